//! Thunks: suspended computations that are evaluated at most once.

use std::cell::RefCell;
use std::rc::Rc;

use super::{drop::release, Value};
use crate::bytecode::Code;
use crate::error::Error;

/// The work a pending thunk will do when forced.
pub enum Deferred {
    /// Run compiled code with these captured values.
    Code {
        code: Rc<Code>,
        upvalues: Box<[Value]>,
    },
    /// Apply a function to an argument (`map f xs` makes these).
    Apply { function: Value, arg: Value },
    /// Apply a function to two arguments (`mapAttrs f set` makes these).
    Apply2 { function: Value, a: Value, b: Value },
}

/// The state of a thunk.
pub enum ThunkState {
    /// Not yet forced.
    Pending(Deferred),
    /// Being forced right now; forcing it again is infinite recursion.
    Blackhole,
    /// Forced; holds a value that is never itself a thunk.
    Done(Value),
    /// Forcing failed; forcing again fails the same way without redoing
    /// the work (as Nix does since 2.34).
    Failed(Error),
}

/// A shared, lazily evaluated value.
#[derive(Clone)]
pub struct Thunk(Rc<RefCell<ThunkState>>);

/// What [`Thunk::begin`] found.
pub enum Begin {
    /// The thunk was already evaluated.
    Ready(Value),
    /// The caller must evaluate this and call `finish` or `abandon`.
    Run(Deferred),
    /// The thunk is being evaluated further up: infinite recursion.
    Blackhole,
    /// Forcing failed before, with this error.
    Failed(Error),
}

impl Thunk {
    /// A pending thunk.
    pub fn new(deferred: Deferred) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Pending(deferred))))
    }

    /// A thunk that already holds its value.
    pub fn evaluated(value: Value) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Done(value))))
    }

    /// The value, when already evaluated.
    #[inline]
    pub fn value(&self) -> Option<Value> {
        match &*self.0.borrow() {
            ThunkState::Done(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// Whether the thunk is evaluated.
    pub fn is_evaluated(&self) -> bool {
        matches!(&*self.0.borrow(), ThunkState::Done(_))
    }

    /// Starts forcing: takes out the deferred work, leaving a blackhole.
    #[inline]
    pub fn begin(&self) -> Begin {
        let mut state = self.0.borrow_mut();
        match &*state {
            ThunkState::Done(v) => Begin::Ready(v.clone()),
            ThunkState::Blackhole => Begin::Blackhole,
            ThunkState::Failed(e) => Begin::Failed(e.clone()),
            ThunkState::Pending(_) => match std::mem::replace(&mut *state, ThunkState::Blackhole) {
                ThunkState::Pending(d) => Begin::Run(d),
                _ => unreachable!("matched Pending above"),
            },
        }
    }

    /// Stores the value computed for a thunk begun with [`Thunk::begin`].
    pub fn finish(&self, value: Value) {
        *self.0.borrow_mut() = ThunkState::Done(value);
    }

    /// Records the error of a failed evaluation.
    pub fn fail(&self, error: Error) {
        *self.0.borrow_mut() = ThunkState::Failed(error);
    }

    /// Puts the work back after an evaluation that ran out of a resource
    /// (stack, fuel), which may succeed when forced again from elsewhere.
    pub fn abandon(&self, deferred: Deferred) {
        *self.0.borrow_mut() = ThunkState::Pending(deferred);
    }

    /// Fills captured value `index` of a pending code thunk (used to close
    /// recursive `let` and `rec` bindings over themselves).
    pub fn set_upvalue(&self, index: usize, value: Value) {
        if let ThunkState::Pending(Deferred::Code { upvalues, .. }) = &mut *self.0.borrow_mut() {
            upvalues[index] = value;
        }
    }

    /// The code of a pending code thunk (whose captures `Finalise` fills).
    pub fn pending_code(&self) -> Option<Rc<Code>> {
        match &*self.0.borrow() {
            ThunkState::Pending(Deferred::Code { code, .. }) => Some(code.clone()),
            _ => None,
        }
    }

    /// An address identifying this thunk while it is alive.
    pub fn addr(&self) -> usize {
        Rc::as_ptr(&self.0) as usize
    }

    /// Whether both are the same thunk.
    pub fn ptr_eq(&self, other: &Thunk) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    pub(super) fn is_unique(&self) -> bool {
        Rc::strong_count(&self.0) == 1
    }
}

impl Drop for Thunk {
    fn drop(&mut self) {
        if let Some(cell) = Rc::get_mut(&mut self.0) {
            match std::mem::replace(cell.get_mut(), ThunkState::Blackhole) {
                ThunkState::Done(v) => release([v]),
                ThunkState::Pending(Deferred::Code { upvalues, .. }) => {
                    release(upvalues.into_vec())
                }
                ThunkState::Pending(Deferred::Apply { function, arg }) => release([function, arg]),
                ThunkState::Pending(Deferred::Apply2 { function, a, b }) => {
                    release([function, a, b])
                }
                ThunkState::Blackhole | ThunkState::Failed(_) => {}
            }
        }
    }
}
