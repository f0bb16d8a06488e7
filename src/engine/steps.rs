//! Builtins that call back into Nix once per element (`foldl'`, `filter`,
//! `sort`, …) as small state machines, which both VMs drive.
//!
//! A plain builtin that calls a closure waits for it on the native stack:
//! its frame, the call, and a fresh run of the dispatch loop stay there
//! until the closure returns, about a kilobyte for every level of a
//! builtin/lambda sandwich. A *stepped* builtin instead returns a [`BuiltinStep`]
//! each time it needs Nix to run: "force this", "call that", or "done".
//! The dispatch loop carries the step out in a frame of its own on the heap
//! and hands the value to the builtin's [`Resume`] when it is ready, so a
//! sandwich through a stepped builtin nests no native frames at all. Rust
//! code that calls a stepped builtin runs the same steps with plain calls
//! ([`run_steps_natively`]).
//!
//! Plain calls are cheaper than frames of the loop (about 10% fewer
//! instructions on a `sort` with a Nix comparator), so the fiber VM's loop,
//! too, runs a stepped builtin's steps natively as long as fewer than
//! [`NATIVE_STEPPERS`] stepped builtins are doing so already; only the
//! deeper ones take frames of the loop. A sandwich then nests at most that
//! many levels of native stack, a constant, whatever its depth. The
//! generator VM always carries the steps out with frames of its own.
//!
//! The machines are generic over the [`Engine`] resuming them, so that
//! each VM instantiates them for its own engine: the fiber VM for
//! [`crate::vm::Vm`], the generator VM for `dyn Engine`.
//!
//! Each step is ordinary Rust between two such requests. It may read what
//! the last request forced, but forces nothing pending itself: on the
//! generator VM, whose engine refuses to force natively, that would fail.

use super::Engine;
use crate::error::Result;
use crate::value::Value;

/// How many stepped builtins may run their steps with native calls, one
/// inside another, before the fiber VM's dispatch loop takes over: a few
/// kilobytes of native stack each.
pub(crate) const NATIVE_STEPPERS: usize = 16;

/// What a stepped builtin asks for next.
pub enum BuiltinStep<E: ?Sized> {
    /// The builtin's result. Like a plain builtin's, it may be unevaluated.
    Done(Value),
    /// Force the value, then resume with it.
    Force(Value, Box<dyn Resume<E>>),
    /// Call a function, force the result, then resume with it.
    Call(Callback<E>),
}

/// A call a stepped builtin makes: `function arg`, or `function arg second`.
pub struct Callback<E: ?Sized> {
    /// The function called.
    pub function: Value,
    /// Its argument.
    pub arg: Value,
    /// The second argument, when the function is given two.
    pub second: Option<Value>,
    /// The builtin, waiting for the forced result.
    pub then: Box<dyn Resume<E>>,
}

/// A stepped builtin waiting for a value.
pub trait Resume<E: ?Sized> {
    /// Goes on with `value`, forced, the value of what the last step asked for.
    fn resume(self: Box<Self>, engine: &mut E, value: Value) -> Result<BuiltinStep<E>>;
}

impl<E: ?Sized> BuiltinStep<E> {
    /// Asks for `function arg`.
    pub fn call(function: Value, arg: Value, then: Box<dyn Resume<E>>) -> BuiltinStep<E> {
        BuiltinStep::Call(Callback {
            function,
            arg,
            second: None,
            then,
        })
    }

    /// Asks for `function a b`.
    pub fn call2(function: Value, a: Value, b: Value, then: Box<dyn Resume<E>>) -> BuiltinStep<E> {
        BuiltinStep::Call(Callback {
            function,
            arg: a,
            second: Some(b),
            then,
        })
    }
}

/// Runs a stepped builtin to its result with native calls and forcing:
/// how Rust code calling the builtin runs it on an engine that can.
pub fn run_steps_natively<E: Engine + ?Sized>(
    engine: &mut E,
    mut step: BuiltinStep<E>,
) -> Result<Value> {
    loop {
        let (then, value) = match step {
            BuiltinStep::Done(v) => return Ok(v),
            BuiltinStep::Force(v, then) => (then, engine.force(v)?),
            BuiltinStep::Call(c) => {
                let v = match c.second {
                    None => engine.call_forced(c.function, c.arg)?,
                    Some(b) => engine.call2_forced(c.function, c.arg, b)?,
                };
                (c.then, v)
            }
        };
        step = then.resume(engine, value)?;
    }
}
