//! The generator VM: a baseline of tvix-eval's design, to measure the fiber
//! VM against.
//!
//! It runs the same bytecode on the same values as the fiber VM ([`crate::vm`]),
//! but never recurses natively when it forces a thunk or calls a function.
//! Execution state lives on a heap *frame stack* of two kinds of frames:
//!
//! - a bytecode frame runs compiled code (a lambda call or a thunk body);
//! - a generator frame runs VM logic written as `async` Rust and driven by
//!   `genawaiter` (builtins, forcing a thunk, `==` on lists, string
//!   coercion, deep forcing). Where it needs an evaluation it yields a
//!   *request* and is resumed with the answer.
//!
//! The *outer loop* pops the top frame and hands it to one of two *inner
//! loops*. The inner bytecode loop runs instructions until the code returns
//! or an instruction has to wait: it then pushes its own frame back with
//! the frame that computes what it waits for on top (a lambda call pushes a
//! bytecode frame directly; forcing a thunk pushes a generator). The inner
//! generator loop resumes its generator until it completes, answering
//! same-frame requests at once and suspending on multi-frame ones. Frames
//! communicate only through the value stack: a completed frame leaves
//! exactly one value on it. An error unwinds frame by frame; a generator
//! receives it as the answer to its request and may catch it (`tryEval`).
//!
//! Depth is bounded by memory, not by the native stack: each frame counts
//! [`FRAME_COST`] bytes against the evaluation's stack budget.

mod builtins;
mod detached;
mod exec;
mod frames;
mod helpers;
mod requests;

use std::ops::ControlFlow;
use std::path::Path;
use std::rc::Rc;

use genawaiter::GeneratorState;

use self::builtins::{
    coerce_first_generator, deep_first_generator, drive_steps, own, run_shared, shared_generator,
    unsupported, SharedRun,
};
pub(crate) use self::detached::Detached;
use self::frames::{BytecodeFrame, Frame, GeneratorFrame, OnReturn};
use self::requests::{Co, GenFuture, Request, Response};
use crate::bytecode::Code;
use crate::context::EvalContext;
use crate::engine::frames::curried_closure;
use crate::engine::{prepare_import, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::CHECK_INTERVAL;
use crate::source::Span;
use crate::symbol::known;
use crate::trace::TraceBuilder;
use crate::value::{Body, Builtin, Closure, OnGenerator, PrimApp, Value};
use crate::vm::{call_depth_exceeded, CallFrame};

/// Bytes of the stack budget one frame of the frame stack counts for: a
/// frame record plus a typical generator's boxed state. Measured on an
/// endless recursion, the default 8 GiB budget then stops this VM at 32
/// million frames with 3-7 GB resident, about what the fiber VM reaches on
/// the same budget (its frames are bigger, so it nests less deep).
pub const FRAME_COST: usize = 256;

/// What the VM does with a call or request: answer it now, or run a frame.
enum Called {
    /// The answer, available at once.
    Value(Value),
    /// The frame that computes the answer, to push above the caller.
    Enter(Frame),
}

/// The generator VM.
pub struct GenVm {
    /// The value stack shared by all frames.
    stack: Vec<Value>,
    /// The frame stack; the top frame runs.
    frames: Vec<Frame>,
    ctx: Rc<EvalContext>,
    /// An engine that never evaluates, for running shared code (builtins,
    /// arithmetic) on values this VM has forced.
    detached: Detached,
    /// Lambda calls in progress, for `--max-call-depth`.
    call_depth: usize,
    max_call_depth: usize,
    /// The most frames the budget allows.
    max_frames: usize,
    stack_budget: usize,
    /// Frames left to run before the evaluation's limits are checked again.
    frames_to_check: u64,
}

impl GenVm {
    /// A VM for `ctx`, whose frames may use `stack_budget` bytes.
    pub fn new(ctx: Rc<EvalContext>, stack_budget: usize) -> GenVm {
        let max_call_depth = ctx.settings.max_call_depth;
        GenVm {
            stack: Vec::with_capacity(1024),
            frames: Vec::with_capacity(64),
            detached: Detached::new(ctx.clone()),
            ctx,
            call_depth: 0,
            max_call_depth,
            max_frames: (stack_budget / FRAME_COST).max(1),
            stack_budget,
            frames_to_check: CHECK_INTERVAL,
        }
    }

    /// The evaluation context.
    pub fn context(&self) -> &Rc<EvalContext> {
        &self.ctx
    }

    /// Evaluates `value` to weak head normal form.
    pub fn force(&mut self, value: Value) -> Result<Value> {
        match value {
            Value::Thunk(thunk) => match thunk.value() {
                Some(v) => Ok(v),
                None => self.run("force", |co| Box::pin(helpers::force_generator(co, thunk))),
            },
            v => Ok(v),
        }
    }

    /// Forces `value` and everything inside it.
    pub fn deep_force(&mut self, value: Value) -> Result<Value> {
        self.run("deep_force", |co| {
            Box::pin(helpers::deep_force_generator(co, value))
        })
    }

    /// Applies `function` to `arg` and forces the result.
    pub fn call_forced(&mut self, function: Value, arg: Value) -> Result<Value> {
        self.run("call", |co| {
            Box::pin(async move { helpers::call_forced(&co, function, arg).await })
        })
    }

    /// Imports a file (a directory means its `default.nix`) and forces it.
    pub fn import_file(&mut self, path: &Path) -> Result<Value> {
        let file = prepare_import(&self.ctx, path, None)?;
        self.force(file)
    }

    /// Applies `function` to `args`, one after the other, each result forced.
    fn apply_all(&mut self, function: Value, args: &[Value]) -> Result<Value> {
        let mut result = function;
        for arg in args {
            result = self.call_forced(result, arg.clone())?;
        }
        Ok(result)
    }

    /// Runs a generator to completion on an empty frame stack.
    fn run(&mut self, name: &'static str, body: impl FnOnce(Co) -> GenFuture) -> Result<Value> {
        let height = self.stack.len();
        let frame = self.generator_frame(name, body)?;
        self.frames.push(frame);
        let result = self.run_frames();
        self.stack.truncate(height);
        result
    }

    // ---- the outer loop ---------------------------------------------------------

    /// Runs frames until the frame stack is empty, and returns the value the
    /// last one left (or the error that unwound it).
    fn run_frames(&mut self) -> Result<Value> {
        let mut error: Option<Error> = None;
        while let Some(frame) = self.frames.pop() {
            if error.is_none() {
                error = self.check_limits_now_and_then().err();
            }
            let outcome = match frame {
                Frame::Bytecode(frame) => match error.take() {
                    Some(e) => {
                        let ip = frame.ip;
                        Err(self.fail_frame(frame, ip, e))
                    }
                    None => self.execute_bytecode(frame),
                },
                Frame::Generator(frame) => {
                    let message = match error.take() {
                        Some(e) => {
                            self.stack.truncate(frame.stack_height);
                            Err(e)
                        }
                        None if frame.started => Ok(self.pop()),
                        None => Ok(Value::Null),
                    };
                    self.run_generator(frame, message)
                }
            };
            // Whether the frame completed or suspended, the next one to run
            // is on top now; only errors need carrying down.
            if let Err(e) = outcome {
                error = Some(e);
            }
        }
        match error {
            Some(e) => Err(e),
            None => Ok(self.pop()),
        }
    }

    /// Checks the evaluation's limits (deadline, heap cap) every
    /// [`CHECK_INTERVAL`] frames run: about as often as the fiber VM does
    /// per step, since most frames are a call or a force.
    fn check_limits_now_and_then(&mut self) -> Result<()> {
        self.frames_to_check -= 1;
        if self.frames_to_check > 0 {
            return Ok(());
        }
        self.frames_to_check = CHECK_INTERVAL;
        self.ctx.limits.check()
    }

    // ---- the inner generator loop -------------------------------------------------

    /// Resumes a generator with `message` until it completes (`true`: its
    /// value is on the stack) or waits for another frame (`false`).
    fn run_generator(&mut self, mut frame: GeneratorFrame, message: Response) -> Result<bool> {
        let mut message = message;
        loop {
            match frame.generator.resume_with(message) {
                GeneratorState::Yielded(request) => match self.handle_request(request) {
                    Ok(Called::Value(v)) => message = Ok(v),
                    Err(e) => message = Err(e),
                    Ok(Called::Enter(next)) => {
                        frame.started = true;
                        self.frames.push(Frame::Generator(frame));
                        self.frames.push(next);
                        return Ok(false);
                    }
                },
                GeneratorState::Complete(result) => {
                    self.stack.push(result?);
                    return Ok(true);
                }
            }
        }
    }

    fn handle_request(&mut self, request: Request) -> Result<Called> {
        match request {
            Request::EnterCode(body) => self.code_frame(body).map(Called::Enter),
            Request::Call { function, arg } => self.call_value(function, arg, None),
            Request::CallFused { closure, a, b } => {
                self.fused_frame(closure, a, b, None).map(Called::Enter)
            }
        }
    }

    // ---- calls ------------------------------------------------------------------

    /// Applies `function` to `arg`; `site` is the call's span in code.
    fn call_value(&mut self, function: Value, arg: Value, site: Option<Span>) -> Result<Called> {
        match function {
            Value::Closure(closure) => match curried_closure(&closure, &arg) {
                Some(inner) => Ok(Called::Value(inner)),
                None => self.closure_frame(closure, arg, site).map(Called::Enter),
            },
            Value::Builtin(builtin) if builtin.arity == 1 => {
                self.call_builtin(builtin, std::slice::from_ref(&arg))
            }
            Value::Builtin(builtin) => Ok(Called::Value(Value::PrimApp(PrimApp::new(
                builtin,
                vec![arg],
            )))),
            Value::PrimApp(app) => {
                let Some(builtin) = app.builtin() else {
                    return Err(Error::other(format!(
                        "the host builtin '{}' is not supported by the generator VM",
                        app.name()
                    )));
                };
                let mut args = Vec::with_capacity(app.args().len() + 1);
                args.extend_from_slice(app.args());
                args.push(arg);
                if args.len() == builtin.arity {
                    self.call_builtin(builtin, &args)
                } else {
                    Ok(Called::Value(Value::PrimApp(PrimApp::new(builtin, args))))
                }
            }
            Value::Thunk(thunk) => match thunk.value() {
                // As in the fiber VM, a function reached through a thunk is
                // called without the call site.
                Some(function) => self.call_value(function, arg, None),
                None => self
                    .generator_frame("call", |co| {
                        Box::pin(helpers::force_then_call(co, thunk, arg))
                    })
                    .map(Called::Enter),
            },
            Value::Attrs(attrs) => match attrs.get(known::functor()).cloned() {
                Some(functor) => self
                    .generator_frame("call_functor", |co| {
                        Box::pin(helpers::call_functor(co, functor, attrs, arg))
                    })
                    .map(Called::Enter),
                None => Err(Error::new(ErrorKind::NotAFunction("a set"))),
            },
            other => Err(Error::new(ErrorKind::NotAFunction(other.type_phrase()))),
        }
    }

    /// Runs a builtin with all its arguments, the way its declaration says.
    fn call_builtin(&mut self, builtin: &'static Builtin, args: &[Value]) -> Result<Called> {
        match builtin.on_generator {
            OnGenerator::Shared => self.call_shared(builtin, args),
            OnGenerator::CoerceFirst(kind) => {
                if coerces_without_evaluation(&args[0]) {
                    return self.call_shared(builtin, args);
                }
                let (ctx, args) = (self.ctx.clone(), args.to_vec());
                self.generator_frame(builtin.name, |co| {
                    Box::pin(coerce_first_generator(co, ctx, builtin, args, kind))
                })
                .map(Called::Enter)
            }
            OnGenerator::DeepFirst => {
                let (ctx, args) = (self.ctx.clone(), args.to_vec());
                self.generator_frame(builtin.name, |co| {
                    Box::pin(deep_first_generator(co, ctx, builtin, args))
                })
                .map(Called::Enter)
            }
            OnGenerator::Stepped => {
                let (ctx, args) = (self.ctx.clone(), args.to_vec());
                self.generator_frame(builtin.name, |co| {
                    Box::pin(drive_steps(co, ctx, builtin, args))
                })
                .map(Called::Enter)
            }
            OnGenerator::Own => {
                let body = own(builtin.name).ok_or_else(|| unsupported(builtin))?;
                let (ctx, args) = (self.ctx.clone(), args.to_vec());
                self.generator_frame(builtin.name, |co| body(co, ctx, args))
                    .map(Called::Enter)
            }
        }
    }

    /// A shared builtin: at once when it needs nothing forced, otherwise
    /// by a generator that forces and runs it again.
    fn call_shared(&mut self, builtin: &'static Builtin, args: &[Value]) -> Result<Called> {
        match run_shared(&mut self.detached, builtin, args) {
            SharedRun::Done(result) => result.map(Called::Value),
            SharedRun::Blocked(thunk) => {
                let (ctx, args) = (self.ctx.clone(), args.to_vec());
                self.generator_frame(builtin.name, |co| {
                    Box::pin(shared_generator(co, ctx, builtin, args, thunk))
                })
                .map(Called::Enter)
            }
        }
    }

    // ---- making frames --------------------------------------------------------------

    fn check_frame_budget(&self) -> Result<()> {
        if self.frames.len() >= self.max_frames {
            return Err(Error::new(ErrorKind::StackExhausted {
                budget: self.stack_budget,
            }));
        }
        Ok(())
    }

    /// A frame for calling a lambda, with its locals reserved.
    fn closure_frame(&mut self, closure: Closure, arg: Value, site: Option<Span>) -> Result<Frame> {
        let code = closure.code().clone();
        self.lambda_frame(code, closure, arg, None, site)
    }

    /// A frame running a curried lambda's fused code on both arguments:
    /// `b` in the first local, as any lambda's argument, `a` in the last
    /// (see [`crate::bytecode::Code::fuse`]).
    fn fused_frame(
        &mut self,
        closure: Closure,
        a: Value,
        b: Value,
        site: Option<Span>,
    ) -> Result<Frame> {
        let code = closure
            .fused()
            .expect("called for a curried lambda")
            .clone();
        self.lambda_frame(code, closure, b, Some(a), site)
    }

    /// A frame running `code` with `body`'s captured values, `arg` in the
    /// first local and `last`, if given, in the last.
    fn lambda_frame(
        &mut self,
        code: Rc<Code>,
        body: Closure,
        arg: Value,
        last: Option<Value>,
        site: Option<Span>,
    ) -> Result<Frame> {
        if self.call_depth >= self.max_call_depth {
            return Err(call_depth_exceeded(self.max_call_depth));
        }
        self.check_frame_budget()?;
        let base = self.stack.len();
        self.stack.resize(base + code.locals as usize, Value::Null);
        if let Some(slot) = self.stack.get_mut(base) {
            *slot = arg;
        }
        if let Some(last) = last {
            *self.stack.last_mut().expect("fused code has two locals") = last;
        }
        self.call_depth += 1;
        let call = CallFrame {
            name: code.name,
            span: site.unwrap_or(code.span),
        };
        Ok(Frame::Bytecode(BytecodeFrame {
            code,
            body: Body::Closure(body),
            ip: 0,
            base,
            call: Some(call),
            resume: OnReturn::Continue,
        }))
    }

    /// A frame for a thunk body.
    fn code_frame(&mut self, body: Body) -> Result<Frame> {
        self.check_frame_budget()?;
        let code = body.code().clone();
        let base = self.stack.len();
        self.stack.resize(base + code.locals as usize, Value::Null);
        Ok(Frame::Bytecode(BytecodeFrame {
            code,
            body,
            ip: 0,
            base,
            call: None,
            resume: OnReturn::Continue,
        }))
    }

    /// A frame for a new generator.
    fn generator_frame(
        &self,
        name: &'static str,
        body: impl FnOnce(Co) -> GenFuture,
    ) -> Result<Frame> {
        self.check_frame_budget()?;
        Ok(Frame::Generator(GeneratorFrame {
            name,
            generator: genawaiter::rc::Gen::new(body),
            stack_height: self.stack.len(),
            started: false,
        }))
    }

    // ---- errors -------------------------------------------------------------------------

    /// Ends a bytecode frame with an error raised at instruction `ip - 1`:
    /// gives the error its span and, leaving a lambda, its trace, and drops
    /// the frame's values.
    fn fail_frame(&mut self, frame: BytecodeFrame, ip: usize, error: Error) -> Error {
        let mut error = match frame.code.spans.get(ip.wrapping_sub(1)) {
            Some(span) => error.with_span(*span),
            None => error,
        };
        if let Some(call) = &frame.call {
            self.call_depth -= 1;
            if error.trace().is_empty() {
                error = self.attach_trace(error, call);
            }
        }
        self.stack.truncate(frame.base);
        error
    }

    /// The trace of the lambda calls in progress, innermost first, as the
    /// fiber VM reads it from its native stack.
    fn attach_trace(&self, error: Error, innermost: &CallFrame) -> Error {
        let mut trace = TraceBuilder::new(&error);
        let outer = self.frames.iter().rev().filter_map(|f| match f {
            Frame::Bytecode(b) => b.call.as_ref(),
            Frame::Generator(_) => None,
        });
        let _: ControlFlow<()> = std::iter::once(innermost)
            .chain(outer)
            .try_for_each(|frame| trace.visit(frame));
        trace.finish(error)
    }

    #[inline]
    fn pop(&mut self) -> Value {
        self.stack
            .pop()
            .expect("frames leave their value on the stack")
    }
}

/// Whether coercing a builtin argument to a string evaluates nothing, so
/// that the shared coercion can run on the detached engine: anything
/// evaluated but a set (`__toString`, `outPath`) or a list (its elements).
fn coerces_without_evaluation(v: &Value) -> bool {
    let resolved;
    let v = match v {
        Value::Thunk(t) => match t.value() {
            Some(value) => {
                resolved = value;
                &resolved
            }
            None => return false,
        },
        v => v,
    };
    !matches!(v, Value::Attrs(_) | Value::List(_))
}

impl crate::eval::EvaluatorVm for GenVm {
    fn force(&mut self, value: Value) -> Result<Value> {
        GenVm::force(self, value)
    }

    fn deep_force(&mut self, value: Value) -> Result<Value> {
        GenVm::deep_force(self, value)
    }

    fn import_file(&mut self, path: &Path) -> Result<Value> {
        GenVm::import_file(self, path)
    }

    fn apply(&mut self, function: Value, args: &[Value]) -> Result<Value> {
        self.apply_all(function, args)
    }

    /// The printers run on the engine that evaluates nothing, on a growable
    /// segment, so that deep data cannot overflow the thread stack.
    fn serialise(
        &mut self,
        print: &mut dyn FnMut(&mut dyn Engine) -> Result<bstr::BString>,
    ) -> Result<bstr::BString> {
        let mut engine = Detached::new(self.ctx.clone());
        spindle_fiber::grow(|| print(&mut engine))?
    }
}
