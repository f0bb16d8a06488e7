//! The fiber VM: a plain, recursive bytecode interpreter.
//!
//! Forcing a thunk, calling a closure and every builtin that calls back
//! into Nix simply recurse in Rust. Each such step goes through
//! [`spindle_fiber::ensure_sufficient_stack`], which continues on a fresh
//! stack segment when the current one runs low, so nesting depth is bounded
//! by the stack budget, not by the thread's stack.

mod coerce;
mod compare;
mod deep;
mod fuel;
mod import;
mod ops;

use std::rc::Rc;

use spindle_fiber::ensure_sufficient_stack;

pub use coerce::CoercionKind;
pub(crate) use compare::{compare_scalars, same_object, scalar_equal};
pub(crate) use import::prepare_import;
pub(crate) use ops::append_to_path;

use crate::bytecode::{numeric_fast, Capture, Code, Eager, EagerOperand, Op};
use crate::context::EvalContext;
use crate::error::{Error, ErrorKind, Result};
use crate::source::Span;
use crate::symbol::{known, Symbol};
use crate::value::{
    Attrs, Begin, Builtin, Closure, Deferred, FrameWork, List, PrimApp, Thunk, Value,
};

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
    /// A detached VM never evaluates: the generator VM uses one as a context
    /// object to run shared builtins and operators on values it has forced.
    detached: bool,
    /// The pending thunk a detached VM was asked to force.
    blocked: Option<Thunk>,
    /// Steps (closure calls and thunk forces) left before `refuel` runs.
    fuel: u64,
    /// Asked for more steps when `fuel` runs out; see [`Vm::set_refuel`].
    refuel: Option<fuel::RefuelHook>,
}

/// Where a run of the dispatch loop is.
struct Position {
    /// The running closure (`None` for the code the loop was started with).
    closure: Option<Closure>,
    /// The next instruction.
    ip: usize,
    /// Where the frame's locals start on the value stack.
    base: usize,
}

impl Position {
    #[inline(always)]
    fn code<'a>(&'a self, root: &'a Code) -> &'a Code {
        match &self.closure {
            Some(c) => c.code(),
            None => root,
        }
    }

    #[inline(always)]
    fn upvalues<'a>(&'a self, root: &'a [Value]) -> &'a [Value] {
        match &self.closure {
            Some(c) => c.upvalues(),
            None => root,
        }
    }
}

/// A caller suspended in the dispatch loop while its callee runs.
struct SavedCall {
    at: Position,
    /// The call that was made, for traces (`None` for a thunk's code).
    frame: Option<CallFrame>,
    /// What to do with the value the callee returns.
    then: Then,
}

/// What the dispatch loop does with the value a frame returns.
enum Then {
    /// Push it for the caller: a call returned.
    Push,
    /// Store it in this thunk, whose forcing the caller's instruction asked
    /// for, and run that instruction again: it now finds its operand
    /// evaluated.
    Retry(Thunk),
    /// Store it in this thunk and return it further down: its value was the
    /// value of the thunk the frame below was forcing.
    Pass(Thunk),
}

/// A thunk whose work the dispatch loop runs as a frame of its own.
struct ThunkFrame {
    thunk: Thunk,
    body: Closure,
    arg: Option<Value>,
    traced: bool,
}

impl Vm {
    /// A VM for the given evaluation context.
    pub fn new(ctx: Rc<EvalContext>) -> Vm {
        let max_call_depth = ctx.settings.max_call_depth;
        // A saved call and its callee's locals and operands cost heap
        // instead of native stack; they count against the stack budget.
        let per_call = std::mem::size_of::<SavedCall>() + 4 * std::mem::size_of::<Value>();
        let max_calls = (ctx.settings.stack_budget / per_call).min(max_call_depth);
        Vm {
            stack: Vec::with_capacity(1024),
            ctx,
            calls: Vec::new(),
            max_calls,
            call_depth: 0,
            max_call_depth,
            fuel: u64::MAX,
            refuel: None,
            detached: false,
            blocked: None,
        }
    }

    /// A VM that refuses to evaluate anything: forcing a pending thunk fails
    /// and records the thunk (see [`Vm::take_blocked`]), and calling fails.
    /// Code that only inspects values already forced runs on it unchanged,
    /// without ever recursing natively.
    pub(crate) fn detached(ctx: Rc<EvalContext>) -> Vm {
        let mut vm = Vm::new(ctx);
        vm.detached = true;
        vm.max_calls = 0;
        vm
    }

    /// The pending thunk whose forcing made a detached VM fail, if any.
    pub(crate) fn take_blocked(&mut self) -> Option<Thunk> {
        self.blocked.take()
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
        if self.detached {
            return self.force_detached(thunk);
        }
        match thunk.start() {
            Begin::Ready(v) => Ok(v),
            Begin::Started => self.run_thunk(thunk),
            Begin::Failed(e) => Err(e),
            Begin::Blackhole | Begin::Run(_) => Err(Error::new(ErrorKind::InfiniteRecursion)),
        }
    }

    /// Forcing on a detached VM: values already there are read, anything
    /// pending is refused and recorded for the generator VM to force.
    #[cold]
    #[inline(never)]
    fn force_detached(&mut self, thunk: &Thunk) -> Result<Value> {
        if let Some(v) = thunk.value() {
            return Ok(v);
        }
        match thunk.begin() {
            Begin::Ready(v) => Ok(v),
            Begin::Failed(e) => Err(e),
            Begin::Run(deferred) => {
                thunk.abandon(deferred);
                self.blocked = Some(thunk.clone());
                Err(Error::other(
                    "internal error: a detached VM was asked to force a thunk",
                ))
            }
            Begin::Blackhole | Begin::Started => Err(Error::new(ErrorKind::InfiniteRecursion)),
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
                Begin::Blackhole | Begin::Run(_) => {
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
            Deferred::Apply2 { function, a, b } => {
                let partial = self.call(function.clone(), a.clone())?;
                self.call(partial, b.clone())
            }
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
            Value::Closure(closure) if !self.detached => self.call_closure(&closure, arg, None),
            Value::PrimApp(app) if !self.detached && app.args().len() + 1 >= app.arity() => {
                self.apply_primitive(&app, arg)
            }
            other => self.call_other(other, arg),
        }
    }

    /// The rarer calls: of a thunk, a builtin of one argument or not yet
    /// given all, a partial application, a set with `__functor`.
    #[inline(never)]
    fn call_other(&mut self, function: Value, arg: Value) -> Result<Value> {
        if self.detached {
            return Err(detached_call());
        }
        match function {
            Value::Thunk(t) => {
                let function = self.force_thunk(&t)?;
                self.call(function, arg)
            }
            Value::Builtin(builtin) if builtin.arity == 1 => {
                ensure_sufficient_stack(|| (builtin.func)(self, &[arg]))
                    .map_err(|e| builtin_context(e, builtin.name))
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
        // The evaluator's builtins take at most three arguments, which need
        // no allocation.
        let n = given.len();
        if n > 2 {
            return self.apply_primitive_with_many(app, arg);
        }
        let mut args = [Value::Null, Value::Null, Value::Null];
        args[..n].clone_from_slice(given);
        args[n] = arg;
        ensure_sufficient_stack(|| app.invoke(self, &args[..=n]))
            .map_err(|e| builtin_context(e, app.name()))
    }

    #[inline(never)]
    fn apply_primitive_with_many(&mut self, app: &PrimApp, arg: Value) -> Result<Value> {
        let args: Vec<Value> = app.args().iter().cloned().chain([arg]).collect();
        ensure_sufficient_stack(|| app.invoke(self, &args))
            .map_err(|e| builtin_context(e, app.name()))
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

    /// Applies `function` to `arg` and forces the result.
    pub fn call_forced(&mut self, function: Value, arg: Value) -> Result<Value> {
        let v = self.call(function, arg)?;
        self.force(v)
    }

    /// Applies `function` to two arguments and forces the result.
    pub fn call2_forced(&mut self, function: Value, a: Value, b: Value) -> Result<Value> {
        let partial = self.call(function, a)?;
        self.call_forced(partial, b)
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
        self.call_depth += 1;
        let code = closure.code();
        let frame = CallFrame {
            name: code.name,
            span: site.unwrap_or(code.span),
        };
        let result = ensure_sufficient_stack(|| {
            self.execute_as(code, closure.upvalues(), Some(arg), Some(frame))
        });
        self.call_depth -= 1;
        result
    }

    // ---- running code --------------------------------------------------------

    /// Runs `code` with the given captured values and, for lambdas, argument.
    pub fn execute(
        &mut self,
        code: &Code,
        upvalues: &[Value],
        arg: Option<Value>,
    ) -> Result<Value> {
        self.execute_as(code, upvalues, arg, None)
    }

    /// [`Vm::execute`] for the body of a call described by `frame`, which
    /// traces name.
    #[inline(always)]
    fn execute_as(
        &mut self,
        code: &Code,
        upvalues: &[Value],
        arg: Option<Value>,
        frame: Option<CallFrame>,
    ) -> Result<Value> {
        let base = self.stack.len();
        self.stack
            .resize_with(base + code.locals as usize, || Value::Null);
        if let Some(arg) = arg {
            self.stack[base] = arg;
        }
        let floor = self.calls.len();
        let result = self.dispatch(code, upvalues, base);
        if let Err(e) = result {
            let e = self.unwind_calls(e, floor, frame);
            self.stack.truncate(base);
            return Err(e);
        }
        self.stack.truncate(base);
        result
    }

    /// After an error in a run of the dispatch loop: records the calls it
    /// had in progress in the error's trace, innermost first, fails the
    /// thunks it was forcing, and drops them.
    #[cold]
    #[inline(never)]
    fn unwind_calls(&mut self, mut error: Error, floor: usize, root: Option<CallFrame>) -> Error {
        let saved: Vec<SavedCall> = self.calls.drain(floor..).collect();
        for call in saved.iter().rev() {
            if let Some(frame) = &call.frame {
                crate::trace::add_call(&mut error, frame);
            }
            if let Then::Retry(thunk) | Then::Pass(thunk) = &call.then {
                thunk.settle(&Err(error.clone()));
            }
        }
        if let Some(frame) = &root {
            crate::trace::add_call(&mut error, frame);
        }
        error
    }

    #[inline]
    fn pop(&mut self) -> Value {
        self.stack.pop().expect("the compiler balances the stack")
    }

    /// The interpreter loop.
    ///
    /// A call from bytecode to a closure does not recurse natively: the
    /// caller's position is saved in `self.calls` and the loop continues in
    /// the callee, so plain Nix recursion costs heap, not native stack.
    /// Forcing a thunk whose work is bytecode works the same way: an
    /// instruction finding such a thunk among the operands it forces saves
    /// itself, runs the thunk's code, stores the value in the thunk and runs
    /// again. Native recursion happens where evaluation must nest inside
    /// Rust: a builtin calling back into Nix, forcing from inside a builtin,
    /// walking nested data. Every level of such nesting pays for this
    /// function's frame, so only the simplest ops are handled inline and
    /// everything else out of line.
    #[inline(never)]
    fn dispatch(
        &mut self,
        root_code: &Code,
        root_upvalues: &[Value],
        root_base: usize,
    ) -> Result<Value> {
        let floor = self.calls.len();
        let mut at = Position {
            closure: None,
            ip: 0,
            base: root_base,
        };
        loop {
            let code: &Code = match &at.closure {
                Some(c) => c.code(),
                None => root_code,
            };
            let op = code.ops[at.ip];
            at.ip += 1;
            match op {
                Op::Constant(i) => self.stack.push(code.constants[i as usize].clone()),
                Op::GetLocal(slot) => {
                    let v = self.stack[at.base + slot as usize].clone();
                    self.stack.push(v);
                }
                Op::GetUpvalue(i) => {
                    let v = at.upvalues(root_upvalues)[i as usize].clone();
                    self.stack.push(v);
                }
                Op::SetLocal(slot) => {
                    let v = self.pop();
                    self.stack[at.base + slot as usize] = v;
                }
                Op::Jump(target) => at.ip = target as usize,
                Op::JumpIfFalse(target) if matches!(self.stack.last(), Some(Value::Bool(_))) => {
                    if let Some(Value::Bool(false)) = self.stack.pop() {
                        at.ip = target as usize;
                    }
                }
                op if op.is_numeric() && self.numbers_in_place(op) => {}
                Op::Call => self.call_op(&mut at, root_code)?,
                Op::CallBuiltin(i) => {
                    let Value::Builtin(builtin) = code.constants[i as usize] else {
                        unreachable!("the compiler calls builtins only")
                    };
                    self.run_builtin_op(builtin, 0, &mut at, root_code)?
                }
                Op::Return if self.calls.len() == floor => return Ok(self.pop()),
                Op::Return => self.return_op(&mut at, root_code)?,
                other => self.general_op(other, &mut at, root_code, root_upvalues)?,
            }
        }
    }

    /// Applies a numeric operator to the two top values in place, when both
    /// are numbers and the result cannot fail. Otherwise leaves them for
    /// the general path and says so.
    #[inline(always)]
    fn numbers_in_place(&mut self, op: Op) -> bool {
        let n = self.stack.len();
        let (a, b) = (&self.stack[n - 2], &self.stack[n - 1]);
        if matches!(a, Value::Thunk(_)) || matches!(b, Value::Thunk(_)) {
            return self.known_numbers_in_place(op);
        }
        let result = numeric_fast(op, a, b);
        self.replace_operands(result)
    }

    /// [`Vm::numbers_in_place`] when an operand is a thunk, which may hold
    /// a number already.
    #[inline(never)]
    fn known_numbers_in_place(&mut self, op: Op) -> bool {
        let n = self.stack.len();
        let (Some(a), Some(b)) = (
            known_number(&self.stack[n - 2]),
            known_number(&self.stack[n - 1]),
        ) else {
            return false;
        };
        let result = numeric_fast(op, &a, &b);
        self.replace_operands(result)
    }

    /// Replaces the two operands on top of the stack with `result`, if
    /// there is one, and says whether there was.
    #[inline(always)]
    fn replace_operands(&mut self, result: Option<Value>) -> bool {
        let Some(v) = result else {
            return false;
        };
        self.stack.truncate(self.stack.len() - 2);
        self.stack.push(v);
        true
    }

    /// `Op::Call`. A closure, reached directly, through an evaluated thunk
    /// or through a set's `__functor`, is entered in the loop; anything
    /// else is applied natively.
    #[inline(never)]
    fn call_op(&mut self, at: &mut Position, root_code: &Code) -> Result<()> {
        let n = self.stack.len();
        match &self.stack[n - 2] {
            Value::Closure(callee) => {
                let callee = callee.clone();
                let arg = self.pop();
                self.stack.pop();
                let site = at.code(root_code).spans[at.ip - 1];
                self.enter_call(callee, arg, site, at)
            }
            Value::PrimApp(app) if !self.detached && app.args().len() + 1 >= app.arity() => {
                let app = app.clone();
                self.run_primitive_op(&app, at, root_code)
            }
            Value::Builtin(builtin) if !self.detached && builtin.arity == 1 => {
                let builtin = *builtin;
                self.run_builtin_op(builtin, 1, at, root_code)
            }
            _ => self.call_other_op(at, root_code),
        }
    }

    /// `Op::Call` giving a builtin its last argument: forces the argument
    /// the builtin forces first in a frame of the loop's own when it is a
    /// pending thunk (and runs the call again after), then runs the builtin.
    fn run_primitive_op(
        &mut self,
        app: &PrimApp,
        at: &mut Position,
        root_code: &Code,
    ) -> Result<()> {
        let site = at.code(root_code).spans[at.ip - 1];
        let first = app.forces_first().and_then(|i| {
            let arg = app.args().get(i).or(self.stack.last());
            arg.and_then(pending_thunk)
        });
        if self.retry_after_forcing(first, at, site)? {
            return Ok(());
        }
        let arg = self.pop();
        self.stack.pop();
        let v = self
            .apply_primitive(app, arg)
            .map_err(|e| e.with_span(site))?;
        self.stack.push(v);
        Ok(())
    }

    /// `Op::CallBuiltin`, and `Op::Call` of a builtin of one argument: runs
    /// the builtin on the `arity` arguments on top of the stack, after
    /// forcing the one it forces first as [`Vm::run_primitive_op`] does,
    /// and replaces them and the `below` values under them (the function
    /// of an `Op::Call`) with the result.
    #[inline(never)]
    fn run_builtin_op(
        &mut self,
        builtin: &'static Builtin,
        below: usize,
        at: &mut Position,
        root_code: &Code,
    ) -> Result<()> {
        let site = at.code(root_code).spans[at.ip - 1];
        let arity = builtin.arity;
        let start = self.stack.len() - arity;
        let first = builtin
            .forces_first
            .and_then(|i| pending_thunk(&self.stack[start + i]));
        if self.retry_after_forcing(first, at, site)? {
            return Ok(());
        }
        let mut args = [Value::Null, Value::Null, Value::Null];
        for slot in args[..arity].iter_mut().rev() {
            *slot = self.pop();
        }
        self.stack.truncate(start - below);
        let v = ensure_sufficient_stack(|| (builtin.func)(self, &args[..arity]))
            .map_err(|e| builtin_context(e, builtin.name).with_span(site))?;
        self.stack.push(v);
        Ok(())
    }

    /// When `thunk` (a pending thunk the running instruction forces first)
    /// has bytecode to run, continues in a frame forcing it, set to run the
    /// instruction again after, and says so.
    #[inline(never)]
    fn retry_after_forcing(
        &mut self,
        thunk: Option<Thunk>,
        at: &mut Position,
        site: Span,
    ) -> Result<bool> {
        let Some(thunk) = thunk else {
            return Ok(false);
        };
        let Some(forced) = self.thunk_frame(thunk).map_err(|e| e.with_span(site))? else {
            return Ok(false);
        };
        at.ip -= 1;
        self.enter_thunk(forced, Then::Retry, at)
            .map_err(|e| e.with_span(site))?;
        Ok(true)
    }

    /// `Op::Call` of anything but a closure.
    #[inline(never)]
    fn call_other_op(&mut self, at: &mut Position, root_code: &Code) -> Result<()> {
        let arg = self.pop();
        let function = match self.pop() {
            Value::Thunk(t) => match t.value() {
                Some(v) => v,
                None => Value::Thunk(t),
            },
            other => other,
        };
        let site = at.code(root_code).spans[at.ip - 1];
        let function = match function {
            Value::Attrs(attrs) if !self.detached => {
                self.functor_of(attrs).map_err(|e| e.with_span(site))?
            }
            other => other,
        };
        match function {
            Value::Closure(callee) => self.enter_call(callee, arg, site, at),
            other => {
                let v = self.call(other, arg).map_err(|e| e.with_span(site))?;
                self.stack.push(v);
                Ok(())
            }
        }
    }

    /// Saves the caller and continues in the callee.
    fn enter_call(
        &mut self,
        callee: Closure,
        arg: Value,
        site: Span,
        at: &mut Position,
    ) -> Result<()> {
        let code = callee.code();
        let (frame, locals) = (
            CallFrame {
                name: code.name,
                span: site,
            },
            code.locals,
        );
        let callee_base = self.stack.len();
        let caller = std::mem::replace(
            at,
            Position {
                closure: Some(callee),
                ip: 0,
                base: callee_base,
            },
        );
        let saved = SavedCall {
            at: caller,
            frame: Some(frame),
            then: Then::Push,
        };
        self.push_frame(saved, locals, Some(arg))
            .map_err(|e| e.with_span(site))
    }

    /// `Op::Return` to a caller saved by the loop.
    #[inline(never)]
    fn return_op(&mut self, at: &mut Position, root_code: &Code) -> Result<()> {
        let value = self.pop();
        self.stack.truncate(at.base);
        let caller = self.calls.pop().expect("a call is in progress");
        match caller.then {
            Then::Push => {
                *at = caller.at;
                self.stack.push(value);
            }
            _ => {
                // Forcing the value returned may fail (a thunk returning
                // itself): the error is the returned expression's.
                let site = at.code(root_code).spans[at.ip - 1];
                *at = self
                    .settle_forced(caller, value)
                    .map_err(|e| e.with_span(site))?
            }
        }
        Ok(())
    }

    /// Every other instruction: first forces a pending operand in a frame
    /// of the loop's own if there is one, then runs [`Vm::slow_op`].
    #[inline(never)]
    fn general_op(
        &mut self,
        op: Op,
        at: &mut Position,
        root_code: &Code,
        root_upvalues: &[Value],
    ) -> Result<()> {
        let site = at.code(root_code).spans[at.ip - 1];
        if self.retry_after_forcing(self.pending_operand(op), at, site)? {
            return Ok(());
        }
        let Position { closure, ip, base } = at;
        let (code, upvalues) = match closure {
            Some(c) => (&**c.code(), c.upvalues()),
            None => (root_code, root_upvalues),
        };
        self.slow_op(op, code, upvalues, *base, ip)
            .map_err(|e| e.with_span(site))
    }

    /// Saves a suspended frame and makes room for the locals of the code
    /// that runs next, with the argument of a call in local 0.
    fn push_frame(&mut self, saved: SavedCall, locals: u32, arg: Option<Value>) -> Result<()> {
        if self.calls.len() >= self.max_calls {
            return Err(self.call_limit_error());
        }
        self.burn_fuel()?;
        self.calls.push(saved);
        let callee_base = self.stack.len();
        self.stack
            .resize_with(callee_base + locals as usize, || Value::Null);
        if let Some(arg) = arg {
            self.stack[callee_base] = arg;
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn call_limit_error(&self) -> Error {
        if self.calls.len() + self.call_depth >= self.max_call_depth {
            call_depth_exceeded(self.max_call_depth)
        } else {
            Error::new(ErrorKind::StackExhausted {
                budget: self.ctx.settings.stack_budget,
            })
        }
    }

    /// The first operand `op` forces that is a pending thunk, started, when
    /// its work is bytecode the loop can run as a frame of its own. Other
    /// pending thunks are left to the instruction, which forces them
    /// natively.
    fn pending_operand(&self, op: Op) -> Option<Thunk> {
        let top = self.stack.len() - 1;
        op.forced_operands()
            .iter()
            .map(|&position| &self.stack[top - position])
            .find(|v| !is_evaluated(v))
            .and_then(pending_thunk)
    }

    /// Starts forcing a pending thunk in a frame of the loop's own, when its
    /// work is bytecode. Applying a function of two arguments makes the
    /// first application natively (it only builds the function that takes
    /// the second); a thunk whose work turns out not to be bytecode is
    /// forced natively here and `None` returned.
    fn thunk_frame(&mut self, thunk: Thunk) -> Result<Option<ThunkFrame>> {
        let (body, arg, traced) = match thunk.start_frame() {
            None => return Ok(None),
            Some(FrameWork::Code(body)) => (body, None, false),
            Some(FrameWork::Apply(function, arg)) => (function, Some(arg), true),
            Some(FrameWork::Apply2(function, a, b)) => {
                let partial = self.call(function, a).and_then(|f| self.force(f));
                match partial {
                    Ok(Value::Closure(function)) => (function, Some(b), true),
                    Ok(other) => {
                        let result = self.call(other, b).and_then(|v| self.force(v));
                        thunk.settle(&result);
                        return result.map(|_| None);
                    }
                    Err(e) => {
                        thunk.settle(&Err(e.clone()));
                        return Err(e);
                    }
                }
            }
        };
        Ok(Some(ThunkFrame {
            thunk,
            body,
            arg,
            traced,
        }))
    }

    /// Suspends the frame at `at` and continues in one running a forced
    /// thunk's work; `then` says what becomes of its value.
    fn enter_thunk(
        &mut self,
        forced: ThunkFrame,
        then: fn(Thunk) -> Then,
        at: &mut Position,
    ) -> Result<()> {
        let code = forced.body.code();
        let (frame, locals) = (
            forced.traced.then_some(CallFrame {
                name: code.name,
                span: code.span,
            }),
            code.locals,
        );
        let callee_base = self.stack.len();
        let caller = std::mem::replace(
            at,
            Position {
                closure: Some(forced.body),
                ip: 0,
                base: callee_base,
            },
        );
        let saved = SavedCall {
            at: caller,
            frame,
            then: then(forced.thunk.clone()),
        };
        if let Err(e) = self.push_frame(saved, locals, forced.arg) {
            forced.thunk.settle(&Err(e.clone()));
            return Err(e);
        }
        Ok(())
    }

    /// A frame that forced a thunk returned `value`: stores it in the thunk
    /// (forcing it further first if it is itself a thunk) and says where to
    /// go on.
    #[inline(never)]
    fn settle_forced(&mut self, mut saved: SavedCall, mut value: Value) -> Result<Position> {
        loop {
            let thunk = match &saved.then {
                Then::Retry(thunk) | Then::Pass(thunk) => thunk.clone(),
                Then::Push => unreachable!("a forced thunk's frame returns to a forcing frame"),
            };
            if let Value::Thunk(inner) = &value {
                match self.thunk_frame(inner.clone()) {
                    Ok(Some(forced)) => {
                        // The thunk's value is another thunk's: force that
                        // one in a frame above this one, then come back.
                        let mut at = Position {
                            closure: None,
                            ip: 0,
                            base: self.stack.len(),
                        };
                        self.calls.push(saved);
                        self.enter_thunk(forced, Then::Pass, &mut at)?;
                        return Ok(at);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        thunk.settle(&Err(e.clone()));
                        return Err(e);
                    }
                }
                value = match self.force(value) {
                    Ok(v) => v,
                    Err(e) => {
                        thunk.settle(&Err(e.clone()));
                        return Err(e);
                    }
                };
            }
            thunk.settle(&Ok(value.clone()));
            if let Then::Retry(_) = saved.then {
                return Ok(saved.at);
            }
            saved = self
                .calls
                .pop()
                .expect("a passed value has a frame to go to");
        }
    }

    #[inline(never)]
    fn slow_op(
        &mut self,
        op: Op,
        code: &Code,
        upvalues: &[Value],
        base: usize,
        ip: &mut usize,
    ) -> Result<()> {
        match op {
            Op::Pop => {
                self.pop();
                Ok(())
            }
            Op::JumpIfFalse(target) => {
                let v = self.pop();
                if !self.force_bool(v)? {
                    *ip = target as usize;
                }
                Ok(())
            }
            Op::Call => {
                let arg = self.pop();
                let function = self.pop();
                self.call(function, arg).map(|v| self.stack.push(v))
            }
            Op::Force => {
                let v = self.pop();
                self.force(v).map(|v| self.stack.push(v))
            }
            Op::MakeClosure(i) => {
                let child = &code.children[i as usize];
                let captured = capture(&self.stack, &child.captures, upvalues, base);
                self.stack
                    .push(Value::Closure(Closure::new(child.clone(), captured)));
                Ok(())
            }
            Op::MakeThunk(i) => {
                let child = &code.children[i as usize];
                if let Some(value) = child
                    .eager
                    .as_ref()
                    .and_then(|e| self.eager_value(e, &child.captures, upvalues, base))
                {
                    self.stack
                        .push(Value::Thunk(Thunk::new(Deferred::Ready(value))));
                    return Ok(());
                }
                let captured = capture(&self.stack, &child.captures, upvalues, base);
                let body = Closure::new(child.clone(), captured);
                self.stack
                    .push(Value::Thunk(Thunk::new(Deferred::Code(body))));
                Ok(())
            }
            Op::MakeClosureDeferred(i) => {
                let child = code.children[i as usize].clone();
                self.stack.push(Value::Closure(Closure::deferred(child)));
                Ok(())
            }
            Op::MakeThunkDeferred(i) => {
                let body = Closure::deferred(code.children[i as usize].clone());
                self.stack
                    .push(Value::Thunk(Thunk::new(Deferred::Code(body))));
                Ok(())
            }
            Op::Finalise(slot) => {
                finalise(&self.stack, upvalues, base, slot);
                Ok(())
            }
            Op::Attrs(i) => {
                make_attrs(&mut self.stack, code, i);
                Ok(())
            }
            Op::InsertDynamic => self.insert_dynamic(),
            Op::Select(name) => {
                let set = self.pop();
                self.select(set, name).map(|v| self.stack.push(v))
            }
            Op::SelectDynamic => {
                let name = self.pop();
                let set = self.pop();
                self.attr_name(name)
                    .and_then(|name| self.select(set, name))
                    .map(|v| self.stack.push(v))
            }
            Op::SelectOrJump(name, target) => {
                let set = self.pop();
                let found = self.select_maybe(set, name);
                self.push_or_jump(found, ip, target)
            }
            Op::SelectDynamicOrJump(target) => {
                let name = self.pop();
                let set = self.pop();
                let found = self
                    .attr_name(name)
                    .and_then(|name| self.select_maybe(set, name));
                self.push_or_jump(found, ip, target)
            }
            Op::HasAttr(name) => {
                let set = self.pop();
                self.select_maybe(set, name)
                    .map(|v| self.stack.push(Value::Bool(v.is_some())))
            }
            Op::HasAttrDynamic => {
                let name = self.pop();
                let set = self.pop();
                self.attr_name(name)
                    .and_then(|name| self.select_maybe(set, name))
                    .map(|v| self.stack.push(Value::Bool(v.is_some())))
            }
            Op::List(n) => {
                make_list(&mut self.stack, n);
                Ok(())
            }
            Op::Add => self.binary(Self::add),
            Op::Sub => self.binary(Self::sub),
            Op::Mul => self.binary(Self::mul),
            Op::Div => self.binary(Self::div),
            Op::Eq => self.binary(|vm, a, b| vm.equal(a, b).map(Value::Bool)),
            Op::NotEq => self.binary(|vm, a, b| vm.equal(a, b).map(|e| Value::Bool(!e))),
            Op::Less => self.binary(|vm, a, b| vm.less_than(a, b).map(Value::Bool)),
            Op::LessEq => self.binary(|vm, a, b| vm.less_than(b, a).map(|l| Value::Bool(!l))),
            Op::Greater => self.binary(|vm, a, b| vm.less_than(b, a).map(Value::Bool)),
            Op::GreaterEq => self.binary(|vm, a, b| vm.less_than(a, b).map(|l| Value::Bool(!l))),
            Op::Concat => self.binary(Self::concat),
            Op::Update => self.binary(Self::update),
            Op::Not => {
                let v = self.pop();
                self.force_bool(v).map(|b| self.stack.push(Value::Bool(!b)))
            }
            Op::Negate => {
                let v = self.pop();
                self.negate(v).map(|v| self.stack.push(v))
            }
            Op::AssertBool => {
                let v = self.pop();
                self.force_bool(v).map(|b| self.stack.push(Value::Bool(b)))
            }
            Op::Assert(text) => {
                let v = self.pop();
                match self.force_bool(v) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(assertion_failed(&code.constants[text as usize])),
                    Err(e) => Err(e),
                }
            }
            Op::Interpolate(n) => self.interpolate(n as usize),
            Op::InterpolatePath(n) => self.interpolate_path(n as usize),
            Op::WithLookup(i) => self.with_lookup(code, i, upvalues, base),
            Op::CheckFormals => self.check_formals(code, base),
            Op::FormalOrJump(name, target) => {
                let arg = self.stack[base].clone();
                let found = self.select_maybe(arg, name);
                self.push_or_jump(found, ip, target)
            }
            Op::Return
            | Op::Constant(_)
            | Op::GetLocal(_)
            | Op::GetUpvalue(_)
            | Op::SetLocal(_)
            | Op::Jump(_)
            | Op::CallBuiltin(_) => unreachable!("handled in dispatch"),
        }
    }

    /// For the `…OrJump` ops: pushes what was found, or jumps to `target`.
    fn push_or_jump(
        &mut self,
        found: Result<Option<Value>>,
        ip: &mut usize,
        target: u32,
    ) -> Result<()> {
        match found? {
            Some(v) => self.stack.push(v),
            None => *ip = target as usize,
        }
        Ok(())
    }

    #[inline]
    fn binary(&mut self, f: impl FnOnce(&mut Vm, Value, Value) -> Result<Value>) -> Result<()> {
        let b = self.pop();
        let a = self.pop();
        let v = f(self, a, b)?;
        self.stack.push(v);
        Ok(())
    }

    /// The value of an [`Eager`] thunk body computed now, when its operands
    /// are numbers already.
    fn eager_value(
        &self,
        eager: &Eager,
        captures: &[Capture],
        upvalues: &[Value],
        base: usize,
    ) -> Option<Value> {
        let operand = |o: &EagerOperand| -> Option<Value> {
            let v = match o {
                EagerOperand::Constant(v) => return Some(v.clone()),
                EagerOperand::Captured(i) => match captures[*i as usize] {
                    Capture::Local(slot) => &self.stack[base + slot as usize],
                    Capture::Upvalue(u) => &upvalues[u as usize],
                },
            };
            known_number(v)
        };
        numeric_fast(eager.op, &operand(&eager.lhs)?, &operand(&eager.rhs)?)
    }

    #[inline(never)]
    fn insert_dynamic(&mut self) -> Result<()> {
        let value = self.pop();
        let name = self.pop();
        let set = self.pop();
        let name = self.force(name)?;
        if matches!(name, Value::Null) {
            self.stack.push(set);
            return Ok(());
        }
        let name = self.attr_name(name)?;
        let Value::Attrs(set) = set else {
            unreachable!("InsertDynamic follows Attrs")
        };
        if set.contains(name) {
            return Err(Error::new(ErrorKind::DuplicateAttribute(
                name.name().to_string(),
            )));
        }
        let single = Attrs::from_sorted(vec![(name, value)], None);
        self.stack.push(Value::Attrs(set.update(&single)));
        Ok(())
    }

    /// Turns a computed attribute name into a symbol.
    pub fn attr_name(&mut self, name: Value) -> Result<Symbol> {
        match self.force(name)? {
            Value::String(s) => Ok(Symbol::intern(s.as_str())),
            other => Err(Error::type_mismatch("a string", other.type_phrase())),
        }
    }

    /// `set.name`, failing when it is missing.
    pub fn select(&mut self, set: Value, name: Symbol) -> Result<Value> {
        match self.force(set)? {
            Value::Attrs(attrs) => match attrs.get(name) {
                Some(v) => Ok(v.clone()),
                None => Err(missing_attribute(name, &attrs)),
            },
            other => Err(Error::type_mismatch("a set", other.type_phrase())),
        }
    }

    /// `set.name`, or `None` when `set` is not a set or lacks `name`.
    pub fn select_maybe(&mut self, set: Value, name: Symbol) -> Result<Option<Value>> {
        match self.force(set)? {
            Value::Attrs(attrs) => Ok(attrs.get(name).cloned()),
            _ => Ok(None),
        }
    }

    #[inline(never)]
    fn with_lookup(&mut self, code: &Code, i: u32, upvalues: &[Value], base: usize) -> Result<()> {
        let lookup = &code.with_lookups[i as usize];
        for ns in &lookup.namespaces {
            let namespace = match *ns {
                Capture::Local(s) => self.stack[base + s as usize].clone(),
                Capture::Upvalue(u) => upvalues[u as usize].clone(),
            };
            match self.force(namespace)? {
                Value::Attrs(attrs) => {
                    if let Some(v) = attrs.get(lookup.name) {
                        self.stack.push(v.clone());
                        return Ok(());
                    }
                }
                other => return Err(Error::type_mismatch("a set", other.type_phrase())),
            }
        }
        Err(Error::new(ErrorKind::UndefinedVariable(
            lookup.name.name().to_string(),
        )))
    }

    #[inline(never)]
    fn check_formals(&mut self, code: &Code, base: usize) -> Result<()> {
        let arg = self.stack[base].clone();
        let attrs = match self.force(arg)? {
            Value::Attrs(a) => a,
            other => return Err(Error::type_mismatch("a set", other.type_phrase())),
        };
        self.stack[base] = Value::Attrs(attrs.clone());
        check_formals_of(code, &attrs)
    }

    /// Forces `value` and requires a Boolean.
    pub fn force_bool(&mut self, value: Value) -> Result<bool> {
        match self.force(value)? {
            Value::Bool(b) => Ok(b),
            other => Err(Error::type_mismatch("a Boolean", other.type_phrase())),
        }
    }
}

/// A number, or a thunk whose number is known without running anything.
/// The thunk, if `v` is one that is pending.
fn pending_thunk(v: &Value) -> Option<Thunk> {
    match v {
        Value::Thunk(t) if t.is_pending() => Some(t.clone()),
        _ => None,
    }
}

/// Whether `v` is not a thunk, or a thunk whose value is known.
fn is_evaluated(v: &Value) -> bool {
    match v {
        Value::Thunk(t) => t.has_value(),
        _ => true,
    }
}

#[inline(always)]
fn known_number(v: &Value) -> Option<Value> {
    match v {
        Value::Int(i) => Some(Value::Int(*i)),
        Value::Float(f) => Some(Value::Float(*f)),
        Value::Thunk(t) => t.known_number(),
        _ => None,
    }
}

#[cold]
fn detached_call() -> Error {
    Error::other("internal error: a builtin called back into Nix on a detached VM")
}

#[cold]
pub(crate) fn call_depth_exceeded(limit: usize) -> Error {
    Error::new(ErrorKind::CallDepthExceeded(limit))
}

#[cold]
pub(crate) fn assertion_failed(text: &Value) -> Error {
    let text = match text {
        Value::String(s) => s.as_str().to_string(),
        _ => String::new(),
    };
    Error::new(ErrorKind::AssertionFailed(text))
}

#[cold]
pub(crate) fn missing_attribute(name: Symbol, _attrs: &Attrs) -> Error {
    Error::new(ErrorKind::MissingAttribute(name.name().to_string()))
}

#[cold]
fn builtin_context(error: Error, _name: &str) -> Error {
    error
}

// ---- stack operations shared with the generator VM ---------------------------
//
// None of these evaluates anything, so both VMs run the same code.

/// The captured values for a new closure or thunk, read from the creating
/// frame's locals (at `base` on `stack`) and captured values.
pub(crate) fn capture(
    stack: &[Value],
    captures: &[Capture],
    upvalues: &[Value],
    base: usize,
) -> Box<[Value]> {
    captures
        .iter()
        .map(|c| match *c {
            Capture::Local(slot) => stack[base + slot as usize].clone(),
            Capture::Upvalue(i) => upvalues[i as usize].clone(),
        })
        .collect()
}

/// Fills the captures of the deferred closure or thunk in local `slot`.
#[inline(never)]
pub(crate) fn finalise(stack: &[Value], upvalues: &[Value], base: usize, slot: u32) {
    let body = match &stack[base + slot as usize] {
        Value::Closure(closure) => Some(closure.clone()),
        Value::Thunk(thunk) => thunk.pending_closure(),
        _ => None,
    };
    if let Some(body) = body {
        body.set_upvalues(capture(stack, &body.code().captures, upvalues, base));
    }
}

/// Pops the values of attribute template `template` and pushes the set.
#[inline(never)]
pub(crate) fn make_attrs(stack: &mut Vec<Value>, code: &Code, template: u32) {
    let template = &code.attr_templates[template as usize];
    let n = template.names.len();
    let values = stack.split_off(stack.len() - n);
    let entries = template.names.iter().copied().zip(values).collect();
    stack.push(Value::Attrs(Attrs::from_sorted(
        entries,
        Some(template.positions.clone()),
    )));
}

/// Pops `n` values and pushes the list of them.
pub(crate) fn make_list(stack: &mut Vec<Value>, n: u32) {
    let items = stack.split_off(stack.len() - n as usize);
    stack.push(Value::List(List::from_vec(items)));
}

/// Checks a call's argument set against a lambda's formals.
pub(crate) fn check_formals_of(code: &Code, attrs: &Attrs) -> Result<()> {
    let formals = code
        .formals()
        .expect("CheckFormals is emitted for patterns");
    for (name, has_default) in &formals.entries {
        if !has_default && !attrs.contains(*name) {
            return Err(Error::new(ErrorKind::MissingArgument {
                function: code.display_name(),
                name: name.name().to_string(),
            }));
        }
    }
    if !formals.ellipsis {
        if let Some((name, _)) = attrs.entries().iter().find(|(n, _)| !formals.contains(*n)) {
            return Err(Error::new(ErrorKind::UnexpectedArgument {
                function: code.display_name(),
                name: name.name().to_string(),
            }));
        }
    }
    Ok(())
}
