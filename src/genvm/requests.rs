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
use crate::value::{Closure, Value};
use std::future::Future;
use std::pin::Pin;

/// What a generator asks of the VM.
pub(crate) enum Request {
    /// Run a thunk body (a closure taking no argument); answered with the
    /// value it returns (which may itself be a thunk). Always multi-frame.
    EnterCode(Closure),
    /// Apply `function` (evaluated or not) to `arg`; answered with the
    /// result, which may be a thunk. Same-frame for partial applications,
    /// errors and shared builtins that need nothing evaluated; multi-frame
    /// for lambdas, generator builtins and `__functor` sets.
    Call { function: Value, arg: Value },
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
pub(crate) async fn enter_code(co: &Co, body: Closure) -> Result<Value> {
    co.yield_(Request::EnterCode(body)).await
}

/// Asks the VM to apply `function` to `arg`. The result may be a thunk.
pub(crate) async fn call(co: &Co, function: Value, arg: Value) -> Result<Value> {
    co.yield_(Request::Call { function, arg }).await
}
