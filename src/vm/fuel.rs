//! Fuel: a budget of evaluation steps, handed out in slices.
//!
//! Every closure call and every thunk force burns one step. The check on the
//! hot path is a decrement and a compare. The budget is handed to that
//! counter in slices of at most [`CHECK_INTERVAL`] steps; between two
//! slices the VM checks the evaluation's [limits](crate::limits) (deadline,
//! heap cap), and when the budget itself is used up it asks its refuel hook
//! for more. An embedder's hook may suspend the whole evaluation there (from
//! any depth) and resume it later, or fail it.

use super::Vm;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::CHECK_INTERVAL;

/// Asked for more steps when a VM runs out; returns how many, or the error
/// that ends the evaluation (`OutOfFuel`, `Cancelled`).
pub type RefuelHook = Box<dyn FnMut() -> Result<u64>>;

impl Vm {
    /// Sets how many steps (closure calls and thunk forces) the VM may take
    /// before it asks its refuel hook for more. `u64::MAX` (the default) means
    /// no limit in practice.
    pub fn set_fuel(&mut self, steps: u64) {
        let slice = steps.min(CHECK_INTERVAL);
        self.fuel = slice;
        self.unsliced_fuel = steps - slice;
    }

    /// Steps left before the refuel hook is asked.
    pub fn fuel(&self) -> u64 {
        self.fuel.saturating_add(self.unsliced_fuel)
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
            None => self.next_slice(),
        }
    }

    /// The slow path of [`Vm::burn_fuel`]: check the limits, take the next
    /// slice of the budget (asking the hook when it is used up), then burn
    /// one step.
    #[cold]
    #[inline(never)]
    fn next_slice(&mut self) -> Result<()> {
        self.context().limits.check()?;
        if self.unsliced_fuel == 0 {
            let granted = match self.refuel.as_mut() {
                Some(hook) => hook()?,
                None => 0,
            };
            self.set_fuel(granted);
        } else {
            self.set_fuel(self.unsliced_fuel);
        }
        match self.fuel.checked_sub(1) {
            Some(left) => {
                self.fuel = left;
                Ok(())
            }
            None => Err(Error::new(ErrorKind::OutOfFuel)),
        }
    }
}
