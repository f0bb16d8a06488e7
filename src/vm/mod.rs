//! The fiber VM: a plain, recursive bytecode interpreter.
//!
//! Bytecode calling bytecode and forcing thunks of bytecode stay in the
//! dispatch loop (`dispatch.rs`), with frames on the heap. Where Rust must
//! wait for Nix (a builtin calling back into a closure or forcing its
//! argument, comparison and coercion of nested values) it simply recurses.
//! Each such step goes through [`spindle_fiber::ensure_sufficient_stack`],
//! which continues on a fresh stack segment when the current one runs low,
//! so nesting depth is bounded by the stack budget, not by the thread's
//! stack.

mod dispatch;
mod fuel;
mod instructions;
mod ops;

use std::rc::Rc;

use spindle_fiber::ensure_sufficient_stack;

use self::dispatch::SavedCall;

pub use crate::engine::CoercionKind;

use crate::bytecode::MAX_CALL_BUILTIN_ARITY;
use crate::context::EvalContext;
use crate::engine::frames::curried_closure;
use crate::engine::{run_steps_natively, BuiltinStep, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::CHECK_INTERVAL;
use crate::source::Span;
use crate::symbol::{known, Symbol};
use crate::value::{Attrs, Begin, Closure, Deferred, PrimApp, Thunk, Value};

/// A call in progress, as traces name it.
#[derive(Clone, Copy, Debug)]
pub struct CallFrame {
    /// The called lambda's name, if it was bound to one.
    pub name: Option<Symbol>,
    /// Where the call happened.
    pub span: Span,
}

/// The evaluator state shared by every frame of one evaluation.
pub struct Vm {
    stack: Vec<Value>,
    ctx: Rc<EvalContext>,
    /// Bytecode calls in progress, saved by the dispatch loop.
    calls: Vec<SavedCall>,
    /// The most entries `calls` may have: the call depth limit or what the
    /// stack budget buys, whichever is smaller.
    max_calls: usize,
    /// Closure calls in progress that were made from native code.
    call_depth: usize,
    max_call_depth: usize,
    /// Stepped builtins running their steps with native calls
    /// ([`Vm::run_steps`]), one inside another.
    native_steppers: usize,
    /// Steps (closure calls and thunk forces) left in the current slice of
    /// the fuel budget ([`fuel`]).
    fuel: u64,
    /// Steps of the budget not yet handed out in a slice.
    unsliced_fuel: u64,
    /// Asked for more steps when `fuel` runs out; see [`Vm::set_refuel`].
    refuel: Option<fuel::RefuelHook>,
}

impl Vm {
    /// A VM for the given evaluation context.
    pub fn new(ctx: Rc<EvalContext>) -> Vm {
        Vm::with_stack_capacity(ctx, 1024)
    }

    fn with_stack_capacity(ctx: Rc<EvalContext>, capacity: usize) -> Vm {
        let max_call_depth = ctx.settings.max_call_depth;
        // A saved call and its callee's locals and operands cost heap
        // instead of native stack; they count against the stack budget.
        let per_call = std::mem::size_of::<SavedCall>() + 4 * std::mem::size_of::<Value>();
        let max_calls = (ctx.settings.stack_budget / per_call).min(max_call_depth);
        Vm {
            stack: Vec::with_capacity(capacity),
            ctx,
            calls: Vec::new(),
            max_calls,
            call_depth: 0,
            max_call_depth,
            native_steppers: 0,
            fuel: CHECK_INTERVAL,
            unsliced_fuel: u64::MAX - CHECK_INTERVAL,
            refuel: None,
        }
    }

    /// The evaluation context (settings, sources, I/O, import cache).
    pub fn context(&self) -> &Rc<EvalContext> {
        &self.ctx
    }

    // ---- forcing -------------------------------------------------------------

    /// Evaluates `value` to weak head normal form.
    #[inline]
    pub fn force(&mut self, value: Value) -> Result<Value> {
        match value {
            Value::Thunk(t) => self.force_thunk(&t),
            v => Ok(v),
        }
    }

    /// Evaluates a borrowed value to weak head normal form.
    #[inline]
    pub fn force_ref(&mut self, value: &Value) -> Result<Value> {
        match value {
            Value::Thunk(t) => self.force_thunk(t),
            v => Ok(v.clone()),
        }
    }

    /// Forces a thunk, running its deferred work at most once.
    pub fn force_thunk(&mut self, thunk: &Thunk) -> Result<Value> {
        match thunk.start() {
            Begin::Ready(v) => Ok(v),
            Begin::Started => self.run_thunk(thunk),
            Begin::Failed(e) => Err(e),
            Begin::Blackhole => Err(Error::new(ErrorKind::InfiniteRecursion)),
        }
    }

    /// Runs a started thunk's work where it lies (nothing is moved onto this
    /// frame, which every level of a thunk chain pays for) and settles it.
    /// When the work's value is another pending thunk, that one is run here
    /// too, in a loop rather than by recursion, and every thunk of the
    /// chain is settled with the value at its end.
    #[inline(never)]
    fn run_thunk(&mut self, thunk: &Thunk) -> Result<Value> {
        let mut running = thunk.clone();
        let mut waiting: Vec<Thunk> = Vec::new();
        let result = loop {
            let step = self.burn_fuel().and_then(|()| {
                ensure_sufficient_stack(|| match running.running() {
                    Some(deferred) => self.run_deferred(&deferred),
                    None => Err(Error::new(ErrorKind::InfiniteRecursion)),
                })
            });
            let next = match step {
                Ok(Value::Thunk(next)) => next,
                other => break other,
            };
            match next.start() {
                Begin::Ready(v) => break Ok(v),
                Begin::Started => waiting.push(std::mem::replace(&mut running, next)),
                Begin::Failed(e) => break Err(e),
                Begin::Blackhole => {
                    let error = Error::new(ErrorKind::InfiniteRecursion);
                    break Err(match running.running().as_deref() {
                        Some(Deferred::Code(body)) => error.with_span(body.code().span),
                        _ => error,
                    });
                }
            }
        };
        running.settle(&result);
        for thunk in waiting.iter().rev() {
            thunk.settle(&result);
        }
        result
    }

    /// The value of a thunk's work, which may be another thunk.
    fn run_deferred(&mut self, deferred: &Deferred) -> Result<Value> {
        match deferred {
            Deferred::Code(body) => self.execute(body.code(), body.upvalues(), None),
            Deferred::Apply { function, arg } => self.call(function.clone(), arg.clone()),
            Deferred::Apply2(two) => self.call2(two.function.clone(), two.a.clone(), two.b.clone()),
            Deferred::Ready(v) => Ok(v.clone()),
        }
    }

    // ---- calling -------------------------------------------------------------

    /// Applies `function` to `arg`. The result may be a thunk.
    ///
    /// The paths a builtin calling back into Nix takes (a closure, a
    /// builtin receiving its last argument) are each one small frame, as
    /// every level of a builtin/lambda sandwich pays for them.
    #[inline]
    pub fn call(&mut self, function: Value, arg: Value) -> Result<Value> {
        match function {
            Value::Closure(closure) => self.call_closure(&closure, arg, None),
            Value::PrimApp(app) if app.args().len() + 1 >= app.arity() => {
                self.apply_primitive(&app, arg)
            }
            other => self.call_other(other, arg),
        }
    }

    /// The rarer calls: of a thunk, a builtin of one argument or not yet
    /// given all, a partial application, a set with `__functor`.
    #[inline(never)]
    fn call_other(&mut self, function: Value, arg: Value) -> Result<Value> {
        match function {
            Value::Thunk(t) => {
                let function = self.force_thunk(&t)?;
                self.call(function, arg)
            }
            Value::Builtin(builtin) if builtin.arity == 1 => {
                ensure_sufficient_stack(|| builtin.run(self, &[arg]))
            }
            Value::Builtin(builtin) => Ok(Value::PrimApp(PrimApp::new(builtin, vec![arg]))),
            Value::PrimApp(app) => self.apply_primitive(&app, arg),
            Value::Attrs(attrs) => {
                let partial = self.functor_of(attrs)?;
                self.call(partial, arg)
            }
            other => Err(Error::new(ErrorKind::NotAFunction(other.type_phrase()))),
        }
    }

    /// Gives a partial application of a builtin one more argument, running
    /// the builtin when that is its last.
    #[inline(never)]
    fn apply_primitive(&mut self, app: &PrimApp, arg: Value) -> Result<Value> {
        let given = app.args();
        if given.len() + 1 < app.arity() {
            let mut args = Vec::with_capacity(given.len() + 1);
            args.extend_from_slice(given);
            args.push(arg);
            return Ok(Value::PrimApp(app.with_args(args)));
        }
        // The evaluator's builtins take few arguments, which need no
        // allocation; host builtins may take more.
        let n = given.len();
        if n >= MAX_CALL_BUILTIN_ARITY {
            return self.apply_primitive_with_many(app, arg);
        }
        let mut args: [Value; MAX_CALL_BUILTIN_ARITY] = Default::default();
        args[..n].clone_from_slice(given);
        args[n] = arg;
        ensure_sufficient_stack(|| app.invoke(self, &args[..=n]))
    }

    #[inline(never)]
    fn apply_primitive_with_many(&mut self, app: &PrimApp, arg: Value) -> Result<Value> {
        let args: Vec<Value> = app.args().iter().cloned().chain([arg]).collect();
        ensure_sufficient_stack(|| app.invoke(self, &args))
    }

    /// Calling a set: its `__functor` applied to the set itself, which
    /// gives the function that takes the argument.
    fn functor_of(&mut self, attrs: Attrs) -> Result<Value> {
        match attrs.get(known::functor()) {
            Some(functor) => {
                let functor = functor.clone();
                let partial = self.call(functor, Value::Attrs(attrs))?;
                self.force(partial)
            }
            None => Err(Error::new(ErrorKind::NotAFunction("a set"))),
        }
    }

    /// Applies `function` to `a` and the result to `b`. A curried lambda
    /// takes both at once, without making the closure in between.
    pub fn call2(&mut self, function: Value, a: Value, b: Value) -> Result<Value> {
        match &function {
            Value::Closure(closure) if closure.fused().is_some() => self.call_fused(closure, a, b),
            _ => {
                let partial = self.call(function, a)?;
                self.call(partial, b)
            }
        }
    }

    /// Calls a closure from native code (a builtin, `__functor`, a thunk
    /// of `f x`): a new run of the dispatch loop, on a fresh segment if the
    /// stack runs low. Calls from bytecode to bytecode do not come here;
    /// the loop handles them with frames of its own.
    #[inline(never)]
    fn call_closure(&mut self, closure: &Closure, arg: Value, site: Option<Span>) -> Result<Value> {
        if self.call_depth + self.calls.len() >= self.max_call_depth {
            return Err(call_depth_exceeded(self.max_call_depth));
        }
        self.burn_fuel()?;
        if let Some(inner) = curried_closure(closure, &arg) {
            return Ok(inner);
        }
        self.call_depth += 1;
        let code = closure.code();
        let frame = CallFrame {
            name: code.name,
            span: site.unwrap_or(code.span),
        };
        let result = ensure_sufficient_stack(|| {
            self.execute_as(
                code,
                closure.upvalues(),
                |vm| vm.make_locals(code.locals, Some(arg)),
                Some(frame),
            )
        });
        self.call_depth -= 1;
        result
    }

    /// [`Vm::call_closure`] of a curried lambda given both arguments: runs
    /// its fused code, counting the two applications it stands for.
    #[inline(never)]
    fn call_fused(&mut self, closure: &Closure, a: Value, b: Value) -> Result<Value> {
        if self.call_depth + self.calls.len() >= self.max_call_depth {
            return Err(call_depth_exceeded(self.max_call_depth));
        }
        self.burn_fuel()?;
        self.burn_fuel()?;
        let code = closure.fused().expect("called for a curried lambda");
        self.call_depth += 1;
        let frame = CallFrame {
            name: code.name,
            span: code.span,
        };
        let result = ensure_sufficient_stack(|| {
            self.execute_as(
                code,
                closure.upvalues(),
                |vm| vm.make_fused_locals(code.locals, a, b),
                Some(frame),
            )
        });
        self.call_depth -= 1;
        result
    }
}

#[cold]
pub(crate) fn call_depth_exceeded(limit: usize) -> Error {
    Error::new(ErrorKind::CallDepthExceeded(limit))
}

#[cold]
pub(crate) fn assertion_failed(text: &Value) -> Error {
    let text = match text {
        Value::String(s) => s.to_str_lossy().into_owned(),
        _ => String::new(),
    };
    Error::new(ErrorKind::AssertionFailed(text))
}

impl Engine for Vm {
    #[inline]
    fn context(&self) -> &Rc<EvalContext> {
        &self.ctx
    }

    #[inline]
    fn force(&mut self, value: Value) -> Result<Value> {
        Vm::force(self, value)
    }

    #[inline]
    fn force_ref(&mut self, value: &Value) -> Result<Value> {
        Vm::force_ref(self, value)
    }

    #[inline]
    fn call(&mut self, function: Value, arg: Value) -> Result<Value> {
        Vm::call(self, function, arg)
    }

    #[inline]
    fn call2(&mut self, function: Value, a: Value, b: Value) -> Result<Value> {
        Vm::call2(self, function, a, b)
    }

    fn check_nesting(&mut self, levels: usize) -> Result<()> {
        Vm::check_nesting(self, levels)
    }
}

impl Vm {
    /// Runs a stepped builtin to its result with native calls and forcing:
    /// how Rust code calling the builtin runs it.
    pub fn run_steps(&mut self, step: BuiltinStep<Vm>) -> Result<Value> {
        self.native_steppers += 1;
        let result = run_steps_natively(self, step);
        self.native_steppers -= 1;
        result
    }
}
