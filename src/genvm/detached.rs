//! The engine the generator VM runs shared builtins on: it reads values
//! already forced and refuses to evaluate anything natively.
//!
//! Forcing a pending thunk fails and records the thunk
//! ([`Detached::take_blocked`]), so that the generator VM can force it with
//! its own frames and run the builtin again, which then finds the value in
//! the thunk. Calling fails: builtins that call back into Nix run as
//! stepped builtins or as generators instead.

use std::rc::Rc;

use crate::context::EvalContext;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Thunk, Value};

/// An [`Engine`] that never evaluates.
pub(crate) struct Detached {
    ctx: Rc<EvalContext>,
    /// The pending thunk it was last asked to force.
    blocked: Option<Thunk>,
}

impl Detached {
    /// An engine for `ctx`.
    pub(crate) fn new(ctx: Rc<EvalContext>) -> Detached {
        Detached { ctx, blocked: None }
    }

    /// The pending thunk whose forcing made the engine fail, if any.
    pub(crate) fn take_blocked(&mut self) -> Option<Thunk> {
        self.blocked.take()
    }
}

impl Engine for Detached {
    fn context(&self) -> &Rc<EvalContext> {
        &self.ctx
    }

    fn force(&mut self, value: Value) -> Result<Value> {
        let Value::Thunk(thunk) = value else {
            return Ok(value);
        };
        if let Some(outcome) = thunk.outcome() {
            return outcome;
        }
        if thunk.is_running() {
            return Err(Error::new(ErrorKind::InfiniteRecursion));
        }
        self.blocked = Some(thunk);
        Err(Error::other(
            "internal error: the generator VM's engine was asked to force a thunk",
        ))
    }

    fn call(&mut self, _function: Value, _arg: Value) -> Result<Value> {
        Err(Error::other(
            "internal error: a builtin called back into Nix on the generator VM's engine",
        ))
    }
}
