//! Thunks: suspended computations that are evaluated at most once.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::drop::{release, release_one};
use super::{Body, Closure, Value};
use crate::bytecode::Code;
use crate::error::Error;

/// The work a pending thunk will do when forced.
#[derive(Clone)]
pub enum Deferred {
    /// Run compiled code with its captured values.
    Code(Body),
    /// Apply a function to an argument (`map f xs` makes these).
    Apply { function: Value, arg: Value },
    /// Apply a function to two arguments (`mapAttrs f set` makes these).
    /// Boxed, as it is rare: every thunk is as large as its largest kind of
    /// work.
    Apply2(Box<TwoArgs>),
    /// Nothing to do: the value was computed when the thunk was made
    /// (see [`crate::bytecode::Eager`]).
    Ready(Value),
}

/// A function and the two arguments a [`Deferred::Apply2`] applies it to.
#[derive(Clone)]
pub struct TwoArgs {
    /// The function.
    pub function: Value,
    /// Its first argument.
    pub a: Value,
    /// Its second argument.
    pub b: Value,
}

impl Deferred {
    /// `function a b`, applied when the thunk is forced.
    pub fn apply2(function: Value, a: Value, b: Value) -> Deferred {
        Deferred::Apply2(Box::new(TwoArgs { function, a, b }))
    }
}

/// A thunk is one 64-byte allocation: two counts, the borrow flag and this.
const _: () = assert!(std::mem::size_of::<ThunkState>() <= 40);

/// The state of a thunk.
pub enum ThunkState {
    /// Not yet forced.
    Pending(Deferred),
    /// Being forced right now by [`Thunk::start`], which reads the work in
    /// place; forcing it again is infinite recursion.
    Running(Deferred),
    /// Only for an instant, while the state changes (the work is moved from
    /// one state to the next), and while a thunk is dropped.
    Blackhole,
    /// Forced; holds a value that is never itself a thunk.
    Done(Value),
    /// Forcing failed; forcing again fails the same way without redoing
    /// the work (as Nix does since 2.34).
    Failed(Error),
}

/// Work the dispatch loop can run as a frame of its own, found by
/// [`Thunk::start_frame`].
pub enum FrameWork {
    /// Run this code with its captured values.
    Code(Body),
    /// Call this closure with this argument.
    Apply(Closure, Value),
    /// Apply the function to the first argument, then the result to the second.
    Apply2(Value, Value, Value),
}

/// A shared, lazily evaluated value.
#[derive(Clone)]
pub struct Thunk(Rc<RefCell<ThunkState>>);

/// What [`Thunk::start`] found. Forcing a thunk is one protocol for every
/// engine: `start`, then, when it says `Started`, the work read with
/// [`Thunk::running`] and run, and the outcome stored with
/// [`Thunk::settle`].
pub enum Begin {
    /// The thunk was already evaluated.
    Ready(Value),
    /// The thunk is being evaluated further up: infinite recursion.
    Blackhole,
    /// [`Thunk::start`] marked the thunk running; read the work with
    /// [`Thunk::running`] and end with [`Thunk::settle`].
    Started,
    /// Forcing failed before, with this error.
    Failed(Error),
}

impl Thunk {
    /// A pending thunk.
    pub fn new(deferred: Deferred) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Pending(deferred))))
    }

    /// A pending thunk running `code`, which captures nothing (a file, a
    /// REPL input).
    pub fn of_code(code: Rc<Code>) -> Thunk {
        Thunk::new(Deferred::Code(Body::new(&code, |_| Value::Null)))
    }

    /// A thunk that already holds its value.
    pub fn evaluated(value: Value) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Done(value))))
    }

    /// A thunk whose forcing fails with `error` (a global whose source
    /// does not compile).
    pub fn failed(error: Error) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Failed(error))))
    }

    /// Replaces the value of a thunk made [`Thunk::evaluated`]: for a value
    /// that refers to itself through the thunk (`builtins.builtins`), the
    /// thunk is made first and given the value it is part of after.
    pub fn tie(&self, value: Value) {
        let mut state = self.0.borrow_mut();
        if matches!(*state, ThunkState::Done(_)) {
            *state = ThunkState::Done(value);
            drop(state);
            super::cycles::note_thunk(self);
        }
    }

    /// The stored outcome of a thunk already forced: its value, or its
    /// error; `None` while it is pending or being forced. Reads only.
    pub fn outcome(&self) -> Option<crate::error::Result<Value>> {
        match &*self.0.try_borrow().ok()? {
            ThunkState::Done(v) => Some(Ok(v.clone())),
            ThunkState::Failed(e) => Some(Err(e.clone())),
            _ => None,
        }
    }

    /// Whether the thunk is being forced right now.
    pub fn is_running(&self) -> bool {
        !matches!(
            self.0.try_borrow().as_deref(),
            Ok(ThunkState::Pending(_) | ThunkState::Done(_) | ThunkState::Failed(_))
        )
    }

    /// The value, when already evaluated.
    #[inline]
    pub fn value(&self) -> Option<Value> {
        match &*self.0.borrow() {
            ThunkState::Done(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// `f` of the value, when already evaluated, read where it lies.
    #[inline]
    pub fn peek<R>(&self, f: impl FnOnce(&Value) -> R) -> Option<R> {
        match &*self.0.try_borrow().ok()? {
            ThunkState::Done(v) => Some(f(v)),
            _ => None,
        }
    }

    /// The number the thunk holds, if its value is known without running
    /// anything (see [`Thunk::has_value`]) and is a number.
    #[inline(always)]
    pub fn known_number(&self) -> Option<Value> {
        match &*self.0.try_borrow().ok()? {
            ThunkState::Done(v) | ThunkState::Pending(Deferred::Ready(v)) => match v {
                Value::Int(i) => Some(Value::Int(*i)),
                Value::Float(f) => Some(Value::Float(*f)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the thunk's value is known without running anything: it was
    /// evaluated, or computed when the thunk was made.
    #[inline]
    pub fn has_value(&self) -> bool {
        matches!(
            self.0.try_borrow().as_deref(),
            Ok(ThunkState::Done(_) | ThunkState::Pending(Deferred::Ready(_)))
        )
    }

    /// Whether the thunk is evaluated.
    pub fn is_evaluated(&self) -> bool {
        matches!(&*self.0.borrow(), ThunkState::Done(_))
    }

    /// Starts forcing, leaving the work in place for [`Thunk::running`] to
    /// read: nothing is moved, which keeps the forcing native frame small.
    /// A thunk being forced (its state borrowed by `running`) reports a
    /// blackhole.
    pub fn start(&self) -> Begin {
        let Ok(mut state) = self.0.try_borrow_mut() else {
            return Begin::Blackhole;
        };
        match &mut *state {
            ThunkState::Done(v) => Begin::Ready(v.clone()),
            ThunkState::Blackhole | ThunkState::Running(_) => Begin::Blackhole,
            ThunkState::Failed(e) => Begin::Failed(e.clone()),
            ThunkState::Pending(_) => {
                if let ThunkState::Pending(d) =
                    std::mem::replace(&mut *state, ThunkState::Blackhole)
                {
                    *state = ThunkState::Running(d);
                }
                Begin::Started
            }
        }
    }

    /// Starts forcing a pending thunk whose work is bytecode (the code of a
    /// thunk, or a closure or function of two arguments applied), leaving
    /// the work in place as [`Thunk::start`] does and returning a copy of it
    /// for the dispatch loop to run without recursing natively. Any other
    /// thunk is left as it was.
    pub fn start_frame(&self) -> Option<FrameWork> {
        let mut state = self.0.try_borrow_mut().ok()?;
        let work = match &*state {
            ThunkState::Pending(Deferred::Code(body)) => FrameWork::Code(body.clone()),
            ThunkState::Pending(Deferred::Apply {
                function: Value::Closure(closure),
                arg,
            }) => FrameWork::Apply(closure.clone(), arg.clone()),
            ThunkState::Pending(Deferred::Apply2(two)) => {
                FrameWork::Apply2(two.function.clone(), two.a.clone(), two.b.clone())
            }
            _ => return None,
        };
        if let ThunkState::Pending(d) = std::mem::replace(&mut *state, ThunkState::Blackhole) {
            *state = ThunkState::Running(d);
        }
        Some(work)
    }

    /// Whether forcing the thunk would run something: it is pending.
    #[inline]
    pub fn is_pending(&self) -> bool {
        matches!(
            self.0.try_borrow().as_deref(),
            Ok(ThunkState::Pending(d)) if !matches!(d, Deferred::Ready(_))
        )
    }

    /// The work of a thunk started with [`Thunk::start`], borrowed for as
    /// long as it runs.
    pub fn running(&self) -> Option<std::cell::Ref<'_, Deferred>> {
        std::cell::Ref::filter_map(self.0.borrow(), |s| match s {
            ThunkState::Running(d) => Some(d),
            _ => None,
        })
        .ok()
    }

    /// Ends a forcing begun with [`Thunk::start`]: stores the value or the
    /// error, or, for an error that says a resource ran out, puts the work
    /// back to be tried again.
    pub fn settle(&self, result: &crate::error::Result<Value>) {
        let error = match result {
            Ok(v) => return self.settle_value(v.clone()),
            Err(e) => e,
        };
        let mut state = self.0.borrow_mut();
        let ThunkState::Running(deferred) = std::mem::replace(&mut *state, ThunkState::Blackhole)
        else {
            return;
        };
        *state = if error.is_resource_limit() {
            ThunkState::Pending(deferred)
        } else {
            ThunkState::Failed(error.clone())
        };
    }

    /// [`Thunk::settle`] with a value, which is stored without a copy.
    /// A value that may refer back to the thunk is a possible cycle, which
    /// the cycle collector is told of.
    #[inline]
    pub fn settle_value(&self, value: Value) {
        let may_cycle = super::cycles::may_refer_back(&value);
        let mut state = self.0.borrow_mut();
        if matches!(*state, ThunkState::Running(_)) {
            *state = ThunkState::Done(value);
            drop(state);
            if may_cycle {
                super::cycles::note_thunk(self);
            }
        }
    }

    /// Tells the cycle collector that the closure this pending thunk runs
    /// got its captures ([`Closure::set_upvalues`]), which may refer back to
    /// the thunk (a `rec` set's attributes before they are forced).
    pub fn body_completed(&self) {
        super::cycles::note_thunk(self);
    }

    /// The closure of a pending code thunk (whose captures `Finalise` fills,
    /// closing recursive `let` and `rec` bindings over themselves).
    pub fn pending_closure(&self) -> Option<Closure> {
        match &*self.0.borrow() {
            ThunkState::Pending(Deferred::Code(Body::Closure(closure))) => Some(closure.clone()),
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

    /// How many references to this thunk exist (for the cycle collector).
    pub(super) fn strong_count(&self) -> usize {
        Rc::strong_count(&self.0)
    }

    /// `f` of the state, unless the state is being changed right now.
    pub(super) fn read_state<R>(&self, f: impl FnOnce(&ThunkState) -> R) -> Option<R> {
        self.0.try_borrow().ok().map(|state| f(&state))
    }

    /// Takes the state out, leaving a blackhole, unless something reads or
    /// changes it right now: the cycle collector breaks a cycle so.
    pub(super) fn take_state(&self) -> Option<ThunkState> {
        let mut state = self.0.try_borrow_mut().ok()?;
        Some(std::mem::replace(&mut *state, ThunkState::Blackhole))
    }

    /// A reference that does not keep the thunk alive.
    pub(super) fn downgrade(&self) -> WeakThunk {
        WeakThunk(Rc::downgrade(&self.0))
    }
}

/// A thunk known to the cycle collector without being kept alive by it.
pub(super) struct WeakThunk(Weak<RefCell<ThunkState>>);

impl WeakThunk {
    /// The thunk, while something else keeps it alive.
    pub(super) fn upgrade(&self) -> Option<Thunk> {
        self.0.upgrade().map(Thunk)
    }

    /// Whether the thunk is still alive.
    pub(super) fn is_alive(&self) -> bool {
        self.0.strong_count() > 0
    }
}

impl Drop for Thunk {
    /// Only the last reference has anything to release; the others (most
    /// drops: copies on the value stack, in captures and in sets) just
    /// decrement the count, here in the caller without a call.
    #[inline(always)]
    fn drop(&mut self) {
        if self.is_unique() {
            self.release_state();
        }
    }
}

impl Thunk {
    /// Releases what the thunk holds, when this is its last reference.
    #[inline(never)]
    fn release_state(&mut self) {
        // Not `Rc::get_mut`, which fails while the cycle collector's weak
        // reference exists: the contents are released here either way, so
        // that dropping a long chain never recurses natively.
        let Ok(mut state) = self.0.try_borrow_mut() else {
            return;
        };
        let old = std::mem::replace(&mut *state, ThunkState::Blackhole);
        drop(state);
        match old {
            ThunkState::Done(v) => release_one(v),
            ThunkState::Pending(Deferred::Code(Body::Closure(closure)))
            | ThunkState::Running(Deferred::Code(Body::Closure(closure))) => {
                release_one(Value::Closure(closure))
            }
            ThunkState::Pending(Deferred::Code(Body::Inline { capture, .. }))
            | ThunkState::Running(Deferred::Code(Body::Inline { capture, .. })) => {
                release_one(capture)
            }
            ThunkState::Pending(Deferred::Apply { function, arg })
            | ThunkState::Running(Deferred::Apply { function, arg }) => release([function, arg]),
            ThunkState::Pending(Deferred::Ready(v)) | ThunkState::Running(Deferred::Ready(v)) => {
                release_one(v)
            }
            ThunkState::Pending(Deferred::Apply2(two))
            | ThunkState::Running(Deferred::Apply2(two)) => {
                let TwoArgs { function, a, b } = *two;
                release([function, a, b])
            }
            ThunkState::Blackhole | ThunkState::Failed(_) => {}
        }
    }
}
