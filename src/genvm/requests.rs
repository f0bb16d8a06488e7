//! The protocol between generators and the VM loop.
//!
//! A generator is an `async` Rust function driven by `genawaiter`. Where the
//! fiber VM would recurse (evaluate a thunk body, call a function) it yields
//! a [`Request`] to the VM loop and is resumed with the [`Response`]. Every
//! other operation that needs evaluation (forcing, equality, comparison,
//! string coercion, deep forcing) is an `async fn` built from these two
//! requests and awaited inline, inside the generator that needs it.
//!
//! A request is *same-frame* when the VM can answer it without running
//! another frame (a partial application, a builtin whose arguments are
//! already evaluated): the inner generator loop resumes the generator at
//! once. Otherwise it is *multi-frame*: the VM puts the generator back on
//! the frame stack, pushes the frame that computes the answer above it, and
//! returns to the outer loop; the generator resumes once that frame has left
//! its value on the value stack.

use crate::error::Result;
use crate::value::{Body, Closure, Value};
use std::future::Future;
use std::pin::Pin;

/// What a generator asks of the VM.
pub(crate) enum Request {
    /// Run a thunk's code; answered with the
    /// value it returns (which may itself be a thunk). Always multi-frame.
    EnterCode(Body),
    /// Apply `function` (evaluated or not) to `arg`; answered with the
    /// result, which may be a thunk. Same-frame for partial applications,
    /// errors and shared builtins that need nothing evaluated; multi-frame
    /// for lambdas, generator builtins and `__functor` sets.
    Call { function: Value, arg: Value },
    /// Apply a curried lambda to two arguments at once (see
    /// [`crate::bytecode::Code::fuse`]); answered with the result, which may
    /// be a thunk. Always multi-frame.
    CallFused {
        closure: Closure,
        a: Value,
        b: Value,
    },
}

/// The VM's answer: the value, or the error evaluating it raised.
pub(crate) type Response = Result<Value>;

/// The handle a generator yields requests through.
pub(crate) type Co = genawaiter::rc::Co<Request, Response>;

/// A generator's body, boxed so that every generator has one type.
pub(crate) type GenFuture = Pin<Box<dyn Future<Output = Result<Value>>>>;

/// A generator, as the frame stack holds it.
pub(crate) type Generator = genawaiter::rc::Gen<Request, Response, GenFuture>;

/// Asks the VM to run a thunk body.
pub(crate) async fn enter_code(co: &Co, body: Body) -> Result<Value> {
    co.yield_(Request::EnterCode(body)).await
}

/// Asks the VM to apply `function` to `arg`. The result may be a thunk.
pub(crate) async fn call(co: &Co, function: Value, arg: Value) -> Result<Value> {
    co.yield_(Request::Call { function, arg }).await
}

/// Asks the VM to apply `function` to `a` and the result to `b`: in one
/// request when it is a curried lambda, in two otherwise. The result may be
/// a thunk.
pub(crate) async fn call2(co: &Co, function: Value, a: Value, b: Value) -> Result<Value> {
    match fused_callee(&function) {
        Some(closure) => co.yield_(Request::CallFused { closure, a, b }).await,
        None => {
            let partial = call(co, function, a).await?;
            call(co, partial, b).await
        }
    }
}

/// The curried lambda `function` is, directly or as an evaluated thunk.
pub(crate) fn fused_callee(function: &Value) -> Option<Closure> {
    let closure = match function {
        Value::Closure(c) => c.clone(),
        Value::Thunk(t) => match t.value()? {
            Value::Closure(c) => c,
            _ => return None,
        },
        _ => return None,
    };
    closure.fused().is_some().then_some(closure)
}
