//! Fuel: a budget of evaluation steps.
//!
//! Every closure call and every thunk force burns one step. The check on the
//! hot path is a decrement and a compare; only when the budget is used up does
//! the VM leave the fast path and ask its refuel hook for more. An embedder's
//! hook may suspend the whole evaluation there (from any depth) and resume it
//! later, or fail it.

use super::Vm;
use crate::error::{Error, ErrorKind, Result};

/// Asked for more steps when a VM runs out; returns how many, or the error
/// that ends the evaluation (`OutOfFuel`, `Cancelled`).
pub type RefuelHook = Box<dyn FnMut() -> Result<u64>>;

impl Vm {
    /// Sets how many steps (closure calls and thunk forces) the VM may take
    /// before it asks its refuel hook for more. `u64::MAX` (the default) means
    /// no limit in practice.
    pub fn set_fuel(&mut self, steps: u64) {
        self.fuel = steps;
    }

    /// Steps left before the refuel hook is asked.
    pub fn fuel(&self) -> u64 {
        self.fuel
    }

    /// Installs the hook asked for more steps when the fuel runs out. Without
    /// one, running out fails with [`ErrorKind::OutOfFuel`].
    pub fn set_refuel(&mut self, hook: impl FnMut() -> Result<u64> + 'static) {
        self.refuel = Some(Box::new(hook));
    }

    /// Burns one step.
    #[inline(always)]
    pub(super) fn burn_fuel(&mut self) -> Result<()> {
        match self.fuel.checked_sub(1) {
            Some(left) => {
                self.fuel = left;
                Ok(())
            }
            None => self.refuel(),
        }
    }

    /// The slow path of [`Vm::burn_fuel`]: get more steps, then burn one.
    #[cold]
    #[inline(never)]
    fn refuel(&mut self) -> Result<()> {
        let granted = match self.refuel.as_mut() {
            Some(hook) => hook()?,
            None => 0,
        };
        match granted.checked_sub(1) {
            Some(left) => {
                self.fuel = left;
                Ok(())
            }
            None => Err(Error::new(ErrorKind::OutOfFuel)),
        }
    }
}
