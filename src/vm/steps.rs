//! Builtins that call back into Nix once per element (`foldl'`, `filter`,
//! `sort`, …) as small state machines.
//!
//! A plain builtin that calls a closure waits for it on the native stack:
//! its frame, the call, and a fresh run of the dispatch loop stay there
//! until the closure returns, about a kilobyte for every level of a
//! builtin/lambda sandwich. A *stepped* builtin instead returns a [`Step`]
//! each time it needs Nix to run: "force this", "call that", or "done".
//! The dispatch loop carries the step out in a frame of its own on the heap
//! and hands the value to the builtin's [`Resume`] when it is ready, so a
//! sandwich through a stepped builtin nests no native frames at all. Rust
//! code that calls a stepped builtin runs the same steps with plain calls
//! ([`Vm::run_steps`]).
//!
//! Plain calls are cheaper than frames of the loop (about 10% fewer
//! instructions on a `sort` with a Nix comparator), so the loop, too, runs
//! a stepped builtin's steps natively as long as fewer than
//! [`NATIVE_STEPPERS`] stepped builtins are doing so already; only the
//! deeper ones take frames of the loop. A sandwich then nests at most that
//! many levels of native stack, a constant, whatever its depth.
//!
//! Each step is ordinary Rust between two such requests: it may force or
//! compare values natively (a bounded amount of work per step), as any
//! builtin does.

use super::Vm;
use crate::error::Result;
use crate::value::Value;

/// How many stepped builtins may run their steps with native calls, one
/// inside another, before the dispatch loop takes over: a few kilobytes of
/// native stack each.
pub(super) const NATIVE_STEPPERS: usize = 16;

/// What a stepped builtin asks for next.
pub enum Step {
    /// The builtin's result. Like a plain builtin's, it may be unevaluated.
    Done(Value),
    /// Force the value, then resume with it.
    Force(Value, Box<dyn Resume>),
    /// Call a function, force the result, then resume with it.
    Call(Callback),
}

/// A call a stepped builtin makes: `function arg`, or `function arg second`.
pub struct Callback {
    pub(super) function: Value,
    pub(super) arg: Value,
    pub(super) second: Option<Value>,
    pub(super) then: Box<dyn Resume>,
}

/// A stepped builtin waiting for a value.
pub trait Resume {
    /// Goes on with `value`, forced, the value of what the last step asked for.
    fn resume(self: Box<Self>, vm: &mut Vm, value: Value) -> Result<Step>;
}

impl Step {
    /// Asks for `function arg`.
    pub fn call(function: Value, arg: Value, then: Box<dyn Resume>) -> Step {
        Step::Call(Callback {
            function,
            arg,
            second: None,
            then,
        })
    }

    /// Asks for `function a b`.
    pub fn call2(function: Value, a: Value, b: Value, then: Box<dyn Resume>) -> Step {
        Step::Call(Callback {
            function,
            arg: a,
            second: Some(b),
            then,
        })
    }
}

impl Vm {
    /// Runs a stepped builtin to its result with native calls and forcing:
    /// how Rust code calling the builtin runs it.
    pub fn run_steps(&mut self, step: Step) -> Result<Value> {
        self.native_steppers += 1;
        let result = self.run_steps_natively(step);
        self.native_steppers -= 1;
        result
    }

    fn run_steps_natively(&mut self, mut step: Step) -> Result<Value> {
        loop {
            let (then, value) = match step {
                Step::Done(v) => return Ok(v),
                Step::Force(v, then) => (then, self.force(v)?),
                Step::Call(c) => {
                    let v = match c.second {
                        None => self.call_forced(c.function, c.arg)?,
                        Some(b) => self.call2_forced(c.function, c.arg, b)?,
                    };
                    (c.then, v)
                }
            };
            step = then.resume(self, value)?;
        }
    }
}
