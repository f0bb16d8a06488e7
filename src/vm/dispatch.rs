//! The dispatch loop: bytecode runs here, and calls between closures and
//! the forcing of thunks whose work is bytecode happen in frames the loop
//! keeps on the heap (`Vm::calls`) rather than on the native stack.
//!
//! A run of the loop starts when Rust code runs bytecode ([`Vm::execute`]:
//! a file, a thunk forced from a builtin, a closure a builtin calls). Inside
//! it, a call saves the caller as a [`SavedCall`] and continues in the
//! callee; an instruction whose operand is a pending thunk of bytecode saves
//! itself with [`Then::Retry`], runs the thunk's code, stores the value and
//! runs again. Every run of the loop and every frame of the out-of-line
//! functions below is paid for by each level of native nesting, so they are
//! kept small.

use spindle_fiber::ensure_sufficient_stack;

use super::{call_depth_exceeded, CallFrame, Vm};
use crate::bytecode::{numeric_fast, Code, Op, MAX_CALL_BUILTIN_ARITY};
use crate::engine::frames::curried_closure;
use crate::engine::steps::NATIVE_STEPPERS;
use crate::engine::{scalar_equal, BuiltinStep, Callback, Resume};
use crate::error::{Error, ErrorKind, Result};
use crate::source::Span;
use crate::symbol::Symbol;
use crate::value::{
    truncate_values, Body, Builtin, BuiltinFn, Closure, FrameWork, PrimApp, Thunk, Value,
};

/// Where a run of the dispatch loop is.
struct Position {
    /// The code running.
    running: Running,
    /// The next instruction.
    ip: usize,
    /// Where the frame's locals start on the value stack.
    base: usize,
}

/// The code a frame of the dispatch loop runs, and its captured values.
struct Running {
    /// The code and captures (`None` for the code the loop was started
    /// with).
    body: Option<Body>,
    /// Whether it is a curried lambda given both arguments, which runs its
    /// fused code (see [`Code::fuse`]).
    fused: bool,
}

impl Running {
    const ROOT: Running = Running {
        body: None,
        fused: false,
    };

    fn closure(closure: Closure) -> Running {
        Running::body(Body::Closure(closure))
    }

    fn body(body: Body) -> Running {
        Running {
            body: Some(body),
            fused: false,
        }
    }

    fn fused(closure: Closure) -> Running {
        Running {
            body: Some(Body::Closure(closure)),
            fused: true,
        }
    }

    #[inline(always)]
    fn code_and_upvalues<'a>(
        &'a self,
        root_code: &'a Code,
        root_upvalues: &'a [Value],
    ) -> (&'a Code, &'a [Value]) {
        match &self.body {
            None => (root_code, root_upvalues),
            Some(Body::Closure(c)) => {
                let code = if self.fused { fused_code(c) } else { c.code() };
                (code, c.upvalues())
            }
            Some(Body::Inline { code, capture }) => (code, Body::inline_upvalues(code, capture)),
        }
    }

    /// The code of a frame entered in the loop (not its first).
    fn entered_code(&self) -> &Code {
        match &self.body {
            Some(Body::Closure(c)) if self.fused => fused_code(c),
            Some(body) => body.code(),
            None => unreachable!("only the loop's first frame runs no body"),
        }
    }
}

/// The closure a call of `function` enters in the loop: `function` itself,
/// or the value of an evaluated thunk (a recursive function reaches itself
/// through one, see `Upvalues::route_deferred_through_thunks`).
#[inline(always)]
fn called_closure(function: &Value) -> Option<Closure> {
    match function {
        Value::Closure(c) => Some(c.clone()),
        Value::Thunk(t) => t
            .peek(|v| match v {
                Value::Closure(c) => Some(c.clone()),
                _ => None,
            })
            .flatten(),
        _ => None,
    }
}

impl Position {
    #[inline(always)]
    fn code<'a>(&'a self, root: &'a Code) -> &'a Code {
        self.running.code_and_upvalues(root, &[]).0
    }
}

#[inline(always)]
fn fused_code(closure: &Closure) -> &Code {
    closure
        .fused()
        .expect("only curried lambdas run fused code")
}

/// A caller suspended in the dispatch loop while its callee runs.
pub(super) struct SavedCall {
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
    /// evaluated. When the thunk is an operand at this index of the value
    /// stack, the value replaces it there, and the instruction runs again
    /// on the value itself.
    Retry(Thunk, Option<usize>),
    /// Store it in this thunk and return it further down: its value was the
    /// value of the thunk the frame below was forcing.
    Pass(Thunk),
    /// Hand it, forced, to this stepped builtin and take its next step; the
    /// saved position is the builtin's caller.
    Resume(Box<dyn Resume<Vm>>),
    /// Apply it to the value on top of the stack (the second argument of a
    /// builtin's callback), then resume the builtin with the result.
    ApplyHeld(Box<dyn Resume<Vm>>),
    /// Apply it to the value on top of the stack (the second argument of
    /// an `Op::Call2`) and push the result for the caller.
    CallHeld,
}

/// How a stepped builtin's callback goes on.
enum Callee {
    /// Enter this closure with this argument in the loop.
    Enter(Closure, Value, Then),
    /// Enter this curried lambda's fused code with these two arguments.
    EnterFused(Closure, Value, Value, Then),
    /// Make this call next: the function returned by a first application.
    Next(Callback<Vm>),
    /// The call was made natively: resume with this value.
    Returned(Box<dyn Resume<Vm>>, Value),
}

/// A thunk whose work the dispatch loop runs as a frame of its own.
struct ThunkFrame {
    thunk: Thunk,
    /// The code to run.
    running: Running,
    /// The argument when the work is a call, which traces name; a thunk's
    /// own code takes none.
    arg: Option<Value>,
    /// The first argument when the work is a curried lambda's fused code
    /// given both (`arg` is the second).
    first: Option<Value>,
}

impl Vm {
    /// Runs `code` with the given captured values and, for lambdas, argument.
    pub fn execute(
        &mut self,
        code: &Code,
        upvalues: &[Value],
        arg: Option<Value>,
    ) -> Result<Value> {
        self.execute_as(code, upvalues, |vm| vm.make_locals(code.locals, arg), None)
    }

    /// [`Vm::execute`] for the body of a call described by `frame`, which
    /// traces name.
    #[inline(always)]
    pub(super) fn execute_as(
        &mut self,
        code: &Code,
        upvalues: &[Value],
        make_locals: impl FnOnce(&mut Vm),
        frame: Option<CallFrame>,
    ) -> Result<Value> {
        let base = self.stack.len();
        make_locals(self);
        let floor = self.calls.len();
        let result = self.dispatch(code, upvalues, base);
        if let Err(e) = result {
            let e = self.unwind_calls(e, floor, frame);
            truncate_values(&mut self.stack, base);
            return Err(e);
        }
        truncate_values(&mut self.stack, base);
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
            if let Then::Retry(thunk, _) | Then::Pass(thunk) = &call.then {
                thunk.settle(&Err(error.clone()));
            }
        }
        if let Some(frame) = &root {
            crate::trace::add_call(&mut error, frame);
        }
        error
    }

    #[inline]
    pub(super) fn pop(&mut self) -> Value {
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
            running: Running::ROOT,
            ip: 0,
            base: root_base,
        };
        loop {
            // Instructions that stay in the running frame go round this
            // inner loop, which looks up the frame's code only once.
            let op = {
                let Position { running, ip, base } = &mut at;
                let (code, upvalues) = running.code_and_upvalues(root_code, root_upvalues);
                loop {
                    let op = code.ops[*ip];
                    *ip += 1;
                    match op {
                        Op::Constant(i) => self.stack.push(code.constants[i as usize].clone()),
                        Op::GetLocal(slot) => {
                            let v = self.stack[*base + slot as usize].clone();
                            self.stack.push(v);
                        }
                        Op::TakeLocal(slot) => {
                            let v = std::mem::take(&mut self.stack[*base + slot as usize]);
                            self.stack.push(v);
                        }
                        Op::GetUpvalue(i) => self.stack.push(upvalues[i as usize].clone()),
                        Op::SetLocal(slot) => {
                            let v = self.pop();
                            self.stack[*base + slot as usize] = v;
                        }
                        Op::Jump(target) => *ip = target as usize,
                        Op::JumpIfFalse(target)
                            if matches!(self.stack.last(), Some(Value::Bool(_))) =>
                        {
                            if let Some(Value::Bool(false)) = self.stack.pop() {
                                *ip = target as usize;
                            }
                        }
                        // Forcing what is a value already, or a thunk whose
                        // value is known (operators read it in place).
                        Op::Force if !self.top_is_pending() => {}
                        op if op.is_numeric() && self.numbers_in_place(op) => {}
                        Op::Select(name) | Op::SelectOrJump(name, _)
                            if self.select_in_place(name) => {}
                        other => break other,
                    }
                }
            };
            match op {
                Op::Call => self.call_op(&mut at, root_code)?,
                Op::Call2 => self.call2_op(&mut at, root_code)?,
                Op::CallBuiltin(i) => {
                    let Value::Builtin(builtin) = at.code(root_code).constants[i as usize] else {
                        unreachable!("the compiler calls builtins only")
                    };
                    self.run_builtin_op(builtin, 0, &mut at, root_code)?
                }
                Op::MakeClosure(_) | Op::MakeThunk(_) | Op::Attrs(_) | Op::List(_) => {
                    let Position { running, base, .. } = &at;
                    let (code, upvalues) = running.code_and_upvalues(root_code, root_upvalues);
                    self.construct(op, code, upvalues, *base)
                }
                Op::Return if self.calls.len() == floor => return Ok(self.pop()),
                Op::Return => self.return_op(&mut at, root_code)?,
                other => self.general_op(other, &mut at, root_code, root_upvalues)?,
            }
        }
    }

    /// Whether the top of the stack is a thunk whose value is not known
    /// yet (see [`Thunk::has_value`]: one computed when it was made cannot
    /// fail, so leaving it unforced cannot be told apart).
    #[inline(always)]
    fn top_is_pending(&self) -> bool {
        matches!(self.stack.last(), Some(Value::Thunk(t)) if !t.has_value())
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
    /// a number already; and `Op::Div` of numbers.
    #[inline(never)]
    fn known_numbers_in_place(&mut self, op: Op) -> bool {
        let n = self.stack.len();
        // The second operand is looked at only when the first is a number:
        // the usual failure is a first operand yet to be evaluated.
        let Some(a) = known_number(&self.stack[n - 2]) else {
            return false;
        };
        let Some(b) = known_number(&self.stack[n - 1]) else {
            return false;
        };
        let result = numeric_fast(op, &a, &b);
        // Both are numbers: there is nothing to drop.
        std::mem::forget(a);
        std::mem::forget(b);
        self.replace_operands(result)
    }

    /// `Op::Select` (or `SelectOrJump`) of an attribute that an evaluated
    /// set on top of the stack has: replaces the set with the attribute's
    /// value. Anything else (a pending thunk, a missing attribute, not a
    /// set) is left for the general path and says so.
    #[inline(never)]
    fn select_in_place(&mut self, name: Symbol) -> bool {
        let found = self.stack.last().and_then(|set| set.attr_in_place(name));
        let Some(Some(v)) = found else {
            return false;
        };
        let top = self.stack.len() - 1;
        self.stack[top] = v;
        true
    }

    /// The instructions that are quick to run when their operands need no
    /// forcing, done here rather than through [`Vm::slow_op`]; says whether
    /// `op` was one of them and done. Inlined into [`Vm::general_op`], so
    /// that every other instruction pays one jump of this match and no call;
    /// the work of each is out of line.
    #[inline(always)]
    fn evaluated_operands_op(&mut self, op: Op, at: &mut Position) -> bool {
        match op {
            Op::SelectOrJump(name, target) | Op::FormalOrJump(name, target) => {
                self.select_or_jump_in_place(op, name, target, &mut at.ip, at.base)
            }
            Op::HasAttr(name) => self.has_attr_in_place(name),
            Op::SelectDynamic | Op::SelectDynamicOrJump(_) | Op::HasAttrDynamic => {
                self.dynamic_attr_in_place(op, &mut at.ip)
            }
            Op::Eq | Op::NotEq => self.equal_in_place(op),
            Op::AssertBool => matches!(self.stack.last(), Some(Value::Bool(_))),
            // A quotient that cannot fail (no zero divisor, no overflow).
            Op::Div => self.known_numbers_in_place(op),
            _ => false,
        }
    }

    /// `Op::SelectOrJump` of a value that needs no forcing, and
    /// `Op::FormalOrJump` once `Op::CheckFormals` has left the argument
    /// set in local 0: pushes the attribute or jumps to `target` when
    /// there is none (`x.a or d` of a value that is not a set is `d`, as in
    /// Nix). Anything else is left for the general path and says so.
    #[inline(never)]
    fn select_or_jump_in_place(
        &mut self,
        op: Op,
        name: Symbol,
        target: u32,
        ip: &mut usize,
        base: usize,
    ) -> bool {
        let found = match op {
            Op::FormalOrJump(..) => match &self.stack[base] {
                Value::Attrs(attrs) => attrs.get(name).cloned(),
                _ => return false,
            },
            _ => {
                let Some(found) = self.stack.last().and_then(|v| attr_if_evaluated(v, name)) else {
                    return false;
                };
                self.stack.pop();
                found
            }
        };
        match found {
            Some(v) => self.stack.push(v),
            None => *ip = target as usize,
        }
        true
    }

    /// `Op::SelectDynamic`, `Op::SelectDynamicOrJump` and
    /// `Op::HasAttrDynamic` of a name and a value that need no forcing, as
    /// [`Vm::select_or_jump_in_place`] and [`Vm::has_attr_in_place`] do for
    /// a static name. A missing attribute of `Op::SelectDynamic`, a name
    /// that is not a string or has a context, are left for the general
    /// path, which reports them.
    #[inline(never)]
    fn dynamic_attr_in_place(&mut self, op: Op, ip: &mut usize) -> bool {
        let n = self.stack.len();
        let name = self.stack[n - 1].peek_evaluated(|v| match v {
            Value::String(s) if !s.has_context() => Some(Symbol::intern(s.as_bytes())),
            _ => None,
        });
        let Some(found) = name.and_then(|name| attr_if_evaluated(&self.stack[n - 2], name)) else {
            return false;
        };
        let result = match (op, found) {
            (Op::HasAttrDynamic, found) => Value::Bool(found.is_some()),
            (_, Some(v)) => v,
            (Op::SelectDynamicOrJump(target), None) => {
                truncate_values(&mut self.stack, n - 2);
                *ip = target as usize;
                return true;
            }
            (_, None) => return false,
        };
        truncate_values(&mut self.stack, n - 2);
        self.stack.push(result);
        true
    }

    /// `Op::HasAttr` of a value that needs no forcing.
    #[inline(never)]
    fn has_attr_in_place(&mut self, name: Symbol) -> bool {
        let Some(found) = self.stack.last().and_then(|v| attr_if_evaluated(v, name)) else {
            return false;
        };
        let top = self.stack.len() - 1;
        self.stack[top] = Value::Bool(found.is_some());
        true
    }

    /// `Op::Eq` or `Op::NotEq` of two operands that need no forcing and
    /// are not both lists or both sets (whose members `==` forces):
    /// replaces them with the answer. Otherwise leaves them for the
    /// general path and says so.
    #[inline(never)]
    fn equal_in_place(&mut self, op: Op) -> bool {
        let n = self.stack.len();
        let equal = self.stack[n - 2].peek_evaluated(|a| {
            self.stack[n - 1].peek_evaluated(|b| match (a, b) {
                (Value::List(_), Value::List(_)) | (Value::Attrs(_), Value::Attrs(_)) => None,
                _ => Some(scalar_equal(a, b)),
            })
        });
        let Some(equal) = equal else {
            return false;
        };
        self.replace_operands(Some(Value::Bool(equal == matches!(op, Op::Eq))))
    }

    /// Replaces the two operands on top of the stack with `result`, if
    /// there is one, and says whether there was.
    #[inline(always)]
    fn replace_operands(&mut self, result: Option<Value>) -> bool {
        let Some(v) = result else {
            return false;
        };
        let below = self.stack.len() - 2;
        truncate_values(&mut self.stack, below);
        self.stack.push(v);
        true
    }

    /// `Op::Call`. A closure, reached directly, through an evaluated thunk
    /// or through a set's `__functor`, is entered in the loop; anything
    /// else is applied natively.
    #[inline(never)]
    fn call_op(&mut self, at: &mut Position, root_code: &Code) -> Result<()> {
        let n = self.stack.len();
        if let Some(callee) = called_closure(&self.stack[n - 2]) {
            return self.enter_popped_call(callee, at, root_code);
        }
        match &self.stack[n - 2] {
            Value::PrimApp(app) if app.args().len() + 1 >= app.arity() => {
                let app = app.clone();
                self.run_primitive_op(&app, at, root_code)
            }
            Value::Builtin(builtin) if builtin.arity == 1 => {
                let builtin = *builtin;
                self.run_builtin_op(builtin, 1, at, root_code)
            }
            _ => {
                let arg = self.pop();
                let function = self.pop();
                self.call_popped(function, arg, at, root_code)
            }
        }
    }

    /// Calls `callee`, the function below the argument on top of the
    /// stack, with that argument.
    #[inline(always)]
    fn enter_popped_call(
        &mut self,
        callee: Closure,
        at: &mut Position,
        root_code: &Code,
    ) -> Result<()> {
        let arg = self.pop();
        self.stack.pop();
        let site = at.code(root_code).spans[at.ip - 1];
        self.enter_call(callee, arg, site, at)
    }

    /// `Op::Call2`. A curried lambda, reached directly or through an
    /// evaluated thunk, runs its fused code on both arguments in the loop;
    /// another closure is entered in the loop holding the second argument
    /// for the function it returns; anything else is applied to the first
    /// natively, and the result to the second as by `Op::Call`.
    #[inline(never)]
    fn call2_op(&mut self, at: &mut Position, root_code: &Code) -> Result<()> {
        let n = self.stack.len();
        let callee = called_closure(&self.stack[n - 3]);
        let b = self.pop();
        let a = self.pop();
        let function = self.pop();
        let site = at.code(root_code).spans[at.ip - 1];
        match callee {
            Some(callee) if callee.fused().is_some() => {
                self.enter_fused_then(callee, a, b, site, site, Then::Push, at)
            }
            Some(callee) => {
                self.stack.push(b);
                self.enter_call_then(callee, a, site, site, Then::CallHeld, at)
            }
            None => {
                let partial = self.call(function, a).map_err(|e| e.with_span(site))?;
                self.call_popped(partial, b, at, root_code)
            }
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
        let first = app.forces_first().and_then(|i| match app.args().get(i) {
            Some(arg) => pending_thunk(arg).map(|t| (t, None)),
            None => {
                let top = self.stack.len() - 1;
                pending_thunk(&self.stack[top]).map(|t| (t, Some(top)))
            }
        });
        if self.retry_after_forcing(first, at, site)? {
            return Ok(());
        }
        let arg = self.pop();
        self.stack.pop();
        if let Some(stepped) = app.stepped() {
            let mut args: [Value; MAX_CALL_BUILTIN_ARITY] = Default::default();
            let n = app.args().len();
            args[..n].clone_from_slice(app.args());
            args[n] = arg;
            let first = ensure_sufficient_stack(|| stepped(self, &args[..=n]))
                .map_err(|e| e.with_span(site))?;
            return self.run_stepped(first, at, site);
        }
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
            .and_then(|i| pending_thunk(&self.stack[start + i]).map(|t| (t, Some(start + i))));
        if self.retry_after_forcing(first, at, site)? {
            return Ok(());
        }
        let mut args: [Value; MAX_CALL_BUILTIN_ARITY] = Default::default();
        for slot in args[..arity].iter_mut().rev() {
            *slot = self.pop();
        }
        truncate_values(&mut self.stack, start - below);
        let v = match builtin.func {
            BuiltinFn::Plain(f) => ensure_sufficient_stack(|| f(self, &args[..arity])),
            BuiltinFn::Stepped(f) => {
                let first = ensure_sufficient_stack(|| f(self, &args[..arity]))
                    .map_err(|e| e.with_span(site))?;
                return self.run_stepped(first, at, site);
            }
        }
        .map_err(|e| e.with_span(site))?;
        self.stack.push(v);
        Ok(())
    }

    /// When `thunk` (a pending thunk the running instruction forces first,
    /// and the index of the stack where it lies, if it is an operand there)
    /// has bytecode to run, continues in a frame forcing it, set to run the
    /// instruction again after, and says so.
    #[inline(never)]
    fn retry_after_forcing(
        &mut self,
        thunk: Option<(Thunk, Option<usize>)>,
        at: &mut Position,
        site: Span,
    ) -> Result<bool> {
        let Some((thunk, slot)) = thunk else {
            return Ok(false);
        };
        let Some(forced) = self.thunk_frame(thunk).map_err(|e| e.with_span(site))? else {
            return Ok(false);
        };
        at.ip -= 1;
        self.enter_thunk(forced, |thunk| Then::Retry(thunk, slot), at)
            .map_err(|e| e.with_span(site))?;
        Ok(true)
    }

    /// Calls `function` with `arg`, which the caller has taken off the
    /// stack: a closure, reached directly, through an evaluated thunk or
    /// through a set's `__functor`, is entered in the loop; anything else
    /// is applied natively. This is also the second application of an
    /// `Op::Call2`, which cannot force an operand in a frame and run again
    /// as `Op::Call` may.
    #[inline(never)]
    fn call_popped(
        &mut self,
        function: Value,
        arg: Value,
        at: &mut Position,
        root_code: &Code,
    ) -> Result<()> {
        let function = match function {
            Value::Thunk(t) => match t.value() {
                Some(v) => v,
                None => Value::Thunk(t),
            },
            other => other,
        };
        let site = at.code(root_code).spans[at.ip - 1];
        let function = match function {
            Value::Attrs(attrs) => self.functor_of(attrs).map_err(|e| e.with_span(site))?,
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

    /// Saves the caller and continues in the callee (or, for a curried
    /// lambda, just pushes the closure the call returns).
    #[inline(always)]
    fn enter_call(
        &mut self,
        callee: Closure,
        arg: Value,
        site: Span,
        at: &mut Position,
    ) -> Result<()> {
        if let Some(inner) = curried_closure(&callee, &arg) {
            self.burn_fuel().map_err(|e| e.with_span(site))?;
            self.stack.push(inner);
            return Ok(());
        }
        self.enter_call_then(callee, arg, site, site, Then::Push, at)
    }

    /// Saves the caller, to get the callee's value as `then` says, and
    /// continues in the callee. Traces show the call at `shown`.
    fn enter_call_then(
        &mut self,
        callee: Closure,
        arg: Value,
        shown: Span,
        site: Span,
        then: Then,
        at: &mut Position,
    ) -> Result<()> {
        let code = callee.code();
        let (frame, locals) = (
            CallFrame {
                name: code.name,
                span: shown,
            },
            code.locals,
        );
        self.suspend_for(Running::closure(callee), frame, then, at)
            .map_err(|e| e.with_span(site))?;
        self.make_locals(locals, Some(arg));
        Ok(())
    }

    /// [`Vm::enter_call_then`] of a curried lambda given both arguments:
    /// continues in its fused code.
    #[allow(clippy::too_many_arguments)]
    fn enter_fused_then(
        &mut self,
        callee: Closure,
        a: Value,
        b: Value,
        shown: Span,
        site: Span,
        then: Then,
        at: &mut Position,
    ) -> Result<()> {
        let code = fused_code(&callee);
        let (frame, locals) = (
            CallFrame {
                name: code.name,
                span: shown,
            },
            code.locals,
        );
        self.burn_fuel().map_err(|e| e.with_span(site))?;
        self.suspend_for(Running::fused(callee), frame, then, at)
            .map_err(|e| e.with_span(site))?;
        self.make_fused_locals(locals, a, b);
        Ok(())
    }

    /// Saves the frame at `at`, which gets the value of the call described
    /// by `frame` as `then` says, and continues at the start of `running`,
    /// whose locals the caller pushes next.
    #[inline(always)]
    fn suspend_for(
        &mut self,
        running: Running,
        frame: CallFrame,
        then: Then,
        at: &mut Position,
    ) -> Result<()> {
        self.frame_room()?;
        let callee_base = self.stack.len();
        let caller = std::mem::replace(
            at,
            Position {
                running,
                ip: 0,
                base: callee_base,
            },
        );
        self.calls.push(SavedCall {
            at: caller,
            frame: Some(frame),
            then,
        });
        Ok(())
    }

    /// `Op::Return` to a caller saved by the loop.
    #[inline(never)]
    fn return_op(&mut self, at: &mut Position, root_code: &Code) -> Result<()> {
        let value = self.pop();
        truncate_values(&mut self.stack, at.base);
        let caller = self.calls.pop().expect("a call is in progress");
        match caller.then {
            Then::Push => {
                *at = caller.at;
                self.stack.push(value);
            }
            Then::Resume(_) | Then::ApplyHeld(_) => {
                *at = self.returned_to_builtin(caller, value, root_code)?;
            }
            Then::CallHeld => {
                *at = caller.at;
                let held = self.pop();
                self.call_popped(value, held, at, root_code)?;
            }
            Then::Retry(thunk, slot) if !matches!(value, Value::Thunk(_)) => {
                // The usual end of forcing an operand, taken without the
                // loop of `settle_forced`.
                *at = caller.at;
                self.settle_operand(thunk, slot, value);
            }
            Then::Retry(..) | Then::Pass(_) => {
                // Forcing the value returned may fail (a thunk returning
                // itself): the error is the returned expression's.
                let site = at.code(root_code).spans[at.ip - 1];
                *at = self
                    .settle_forced(caller, value, root_code)
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
        if self.evaluated_operands_op(op, at) {
            return Ok(());
        }
        if let Some(pending) = self.pending_operand(op) {
            let site = at.code(root_code).spans[at.ip - 1];
            if self.retry_after_forcing(Some(pending), at, site)? {
                return Ok(());
            }
        }
        let Position { running, ip, base } = at;
        let (code, upvalues) = running.code_and_upvalues(root_code, root_upvalues);
        let op_index = *ip - 1;
        self.slow_op(op, code, upvalues, *base, ip)
            .map_err(|e| e.with_span(code.spans[op_index]))
    }

    /// Checks that one more frame may be saved, and counts the step.
    #[inline(always)]
    fn frame_room(&mut self) -> Result<()> {
        if self.calls.len() >= self.max_calls {
            return Err(self.call_limit_error());
        }
        self.burn_fuel()
    }

    /// Pushes the `locals` slots of a frame about to run: the argument of a
    /// call in the first, `null` in the others.
    #[inline(always)]
    pub(super) fn make_locals(&mut self, locals: u32, arg: Option<Value>) {
        let mut nulls = locals as usize;
        if let Some(arg) = arg {
            self.stack.push(arg);
            nulls = nulls.saturating_sub(1);
        }
        self.stack
            .extend(std::iter::repeat_with(|| Value::Null).take(nulls));
    }

    /// Pushes the `locals` slots of a curried lambda's fused code: the
    /// second argument in the first, as for any lambda, the first argument
    /// in the last (see [`Code::fuse`]), `null` in the others.
    #[inline(always)]
    pub(super) fn make_fused_locals(&mut self, locals: u32, a: Value, b: Value) {
        self.make_locals(locals - 1, Some(b));
        self.stack.push(a);
    }

    /// Fails as a call nested `levels` deeper than the calls in progress
    /// would when that is past the call depth limit or the stack budget:
    /// for a stepped builtin whose steps stand for nested calls in Nix (a
    /// chain of `__toString`s), so that an endless chain ends as endless
    /// recursion does.
    pub(crate) fn check_nesting(&self, levels: usize) -> Result<()> {
        if self.calls.len().saturating_add(levels) >= self.max_calls {
            return Err(self.call_limit_error());
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
    #[inline(always)]
    fn pending_operand(&self, op: Op) -> Option<(Thunk, Option<usize>)> {
        let forced = op.forced_operands();
        if forced.is_empty() {
            return None;
        }
        let top = self.stack.len() - 1;
        let slot = forced
            .iter()
            .map(|&position| top - position)
            .find(|&slot| !is_evaluated(&self.stack[slot]))?;
        pending_thunk(&self.stack[slot]).map(|t| (t, Some(slot)))
    }

    /// Starts forcing a pending thunk in a frame of the loop's own, when its
    /// work is bytecode. Applying a function of two arguments makes the
    /// first application natively (it only builds the function that takes
    /// the second); a thunk whose work turns out not to be bytecode is
    /// forced natively here and `None` returned.
    fn thunk_frame(&mut self, thunk: Thunk) -> Result<Option<ThunkFrame>> {
        let (running, arg) = match thunk.start_frame() {
            None => return Ok(None),
            Some(FrameWork::Code(body)) => (Running::body(body), None),
            Some(FrameWork::Apply(function, arg)) => (Running::closure(function), Some(arg)),
            Some(FrameWork::Apply2(Value::Closure(function), a, b))
                if function.fused().is_some() =>
            {
                return Ok(Some(ThunkFrame {
                    thunk,
                    running: Running::fused(function),
                    arg: Some(b),
                    first: Some(a),
                }));
            }
            Some(FrameWork::Apply2(function, a, b)) => {
                let partial = self.call(function, a).and_then(|f| self.force(f));
                match partial {
                    Ok(Value::Closure(function)) => (Running::closure(function), Some(b)),
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
            running,
            arg,
            first: None,
        }))
    }

    /// Suspends the frame at `at` and continues in one running a forced
    /// thunk's work; `then` says what becomes of its value.
    fn enter_thunk(
        &mut self,
        forced: ThunkFrame,
        then: impl FnOnce(Thunk) -> Then,
        at: &mut Position,
    ) -> Result<()> {
        if let Err(e) = self.frame_room() {
            forced.thunk.settle(&Err(e.clone()));
            return Err(e);
        }
        let code = forced.running.entered_code();
        let (frame, locals) = (
            forced.arg.is_some().then_some(CallFrame {
                name: code.name,
                span: code.span,
            }),
            code.locals,
        );
        let running = forced.running;
        let callee_base = self.stack.len();
        let caller = std::mem::replace(
            at,
            Position {
                running,
                ip: 0,
                base: callee_base,
            },
        );
        self.calls.push(SavedCall {
            at: caller,
            frame,
            then: then(forced.thunk),
        });
        match (forced.first, forced.arg) {
            (Some(a), Some(b)) => self.make_fused_locals(locals, a, b),
            (_, arg) => self.make_locals(locals, arg),
        }
        Ok(())
    }

    /// A frame that forced a thunk returned `value`: stores it in the thunk
    /// (forcing it further first if it is itself a thunk) and says where to
    /// go on.
    #[inline(never)]
    fn settle_forced(
        &mut self,
        mut saved: SavedCall,
        mut value: Value,
        root_code: &Code,
    ) -> Result<Position> {
        loop {
            let thunk = match &saved.then {
                Then::Retry(thunk, _) | Then::Pass(thunk) => thunk,
                Then::Resume(_) | Then::ApplyHeld(_) => {
                    return self.returned_to_builtin(saved, value, root_code)
                }
                Then::Push | Then::CallHeld => {
                    unreachable!("a forced thunk's frame returns to a forcing frame")
                }
            };
            if let Value::Thunk(inner) = &value {
                let thunk = thunk.clone();
                match self.thunk_frame(inner.clone()) {
                    Ok(Some(forced)) => {
                        // The thunk's value is another thunk's: force that
                        // one in a frame above this one, then come back.
                        let mut at = Position {
                            running: Running::ROOT,
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
            match saved.then {
                Then::Retry(thunk, slot) => {
                    self.settle_operand(thunk, slot, value);
                    return Ok(saved.at);
                }
                Then::Pass(thunk) => thunk.settle_value(value.clone()),
                _ => unreachable!("matched a forcing frame above"),
            }
            saved = self
                .calls
                .pop()
                .expect("a passed value has a frame to go to");
        }
    }

    /// Stores the value of a thunk an instruction forced, and puts it in
    /// the thunk's place among the operands when it lies there.
    #[inline(always)]
    fn settle_operand(&mut self, thunk: Thunk, slot: Option<usize>, value: Value) {
        match slot {
            Some(slot) => {
                thunk.settle_value(value.clone());
                self.stack[slot] = value;
            }
            None => thunk.settle_value(value),
        }
    }

    /// A frame a stepped builtin was waiting for returned `value`: takes
    /// the builtin's next steps and says where to go on.
    #[inline(never)]
    fn returned_to_builtin(
        &mut self,
        saved: SavedCall,
        value: Value,
        root_code: &Code,
    ) -> Result<Position> {
        let mut at = saved.at;
        let site = at.code(root_code).spans[at.ip - 1];
        let step = match saved.then {
            Then::Resume(then) => BuiltinStep::Force(value, then),
            Then::ApplyHeld(then) => {
                let second = self.pop();
                BuiltinStep::call(value, second, then)
            }
            _ => unreachable!("only a stepped builtin's frames are resumed"),
        };
        self.take_steps(step, &mut at, site)?;
        Ok(at)
    }

    /// Runs a stepped builtin, called at `site` from the frame at `at`,
    /// from its first step, with native calls when few stepped builtins
    /// run that way already, in frames of the loop otherwise (see
    /// [`NATIVE_STEPPERS`]), and pushes its result.
    fn run_stepped(&mut self, first: BuiltinStep<Vm>, at: &mut Position, site: Span) -> Result<()> {
        if self.native_steppers >= NATIVE_STEPPERS {
            return self.take_steps(first, at, site);
        }
        let v = self.run_steps(first).map_err(|e| e.with_span(site))?;
        self.stack.push(v);
        Ok(())
    }

    /// Carries out a stepped builtin's steps, called at `site` from the
    /// frame at `at`: values are forced and closures called in frames of
    /// the loop's own, which resume the builtin when they return;
    /// anything else is done natively and the builtin resumed at once.
    /// The builtin's result is pushed for its caller.
    #[inline(never)]
    fn take_steps(
        &mut self,
        mut step: BuiltinStep<Vm>,
        at: &mut Position,
        site: Span,
    ) -> Result<()> {
        loop {
            let (then, value) = match step {
                BuiltinStep::Done(v) => {
                    self.stack.push(v);
                    return Ok(());
                }
                BuiltinStep::Force(v, then) => {
                    if let Some(forced) = match pending_thunk(&v) {
                        Some(thunk) => self.thunk_frame(thunk).map_err(|e| e.with_span(site))?,
                        None => None,
                    } {
                        let caller = std::mem::replace(at, self.scratch_position());
                        self.calls.push(SavedCall {
                            at: caller,
                            frame: None,
                            then: Then::Resume(then),
                        });
                        return self
                            .enter_thunk(forced, Then::Pass, at)
                            .map_err(|e| e.with_span(site));
                    }
                    (then, self.force(v).map_err(|e| e.with_span(site))?)
                }
                BuiltinStep::Call(call) => {
                    match self.callee(call).map_err(|e| e.with_span(site))? {
                        Callee::Enter(callee, arg, then) => {
                            let shown = callee.code().span;
                            return self.enter_call_then(callee, arg, shown, site, then, at);
                        }
                        Callee::EnterFused(callee, a, b, then) => {
                            let shown = fused_code(&callee).span;
                            return self.enter_fused_then(callee, a, b, shown, site, then, at);
                        }
                        Callee::Next(next) => {
                            step = BuiltinStep::Call(next);
                            continue;
                        }
                        Callee::Returned(then, v) => (then, v),
                    }
                }
            };
            step = ensure_sufficient_stack(|| then.resume(self, value))
                .map_err(|e| e.with_span(site))?;
        }
    }

    /// Prepares a builtin's callback: a closure is to be entered in the
    /// loop, holding a second argument on the stack for the function it
    /// returns; anything else is applied natively.
    fn callee(&mut self, call: Callback<Vm>) -> Result<Callee> {
        let Callback {
            function,
            arg,
            second,
            then,
        } = call;
        let function = match function {
            Value::Thunk(t) => self.force_thunk(&t)?,
            Value::Attrs(attrs) => self.functor_of(attrs)?,
            other => other,
        };
        if let Value::Closure(callee) = function {
            if let (Some(b), true) = (&second, callee.fused().is_some()) {
                return Ok(Callee::EnterFused(
                    callee,
                    arg,
                    b.clone(),
                    Then::Resume(then),
                ));
            }
            let then = match second {
                Some(b) => {
                    self.stack.push(b);
                    Then::ApplyHeld(then)
                }
                None => Then::Resume(then),
            };
            return Ok(Callee::Enter(callee, arg, then));
        }
        let v = self.call(function, arg)?;
        Ok(match second {
            Some(b) => Callee::Next(Callback {
                function: v,
                arg: b,
                second: None,
                then,
            }),
            None => Callee::Returned(then, self.force(v)?),
        })
    }

    /// A position for a frame that only passes a value down.
    fn scratch_position(&self) -> Position {
        Position {
            running: Running::ROOT,
            ip: 0,
            base: self.stack.len(),
        }
    }
}

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

/// What `v.name or …` finds when `v` needs no forcing: the attribute if
/// `v` is a set that has it, `Some(None)` if it has not or `v` is not a
/// set; `None` when `v` is yet to be evaluated.
#[inline(always)]
fn attr_if_evaluated(v: &Value, name: Symbol) -> Option<Option<Value>> {
    v.peek_evaluated(|v| match v {
        Value::Attrs(attrs) => Some(attrs.get(name).cloned()),
        _ => Some(None),
    })
}

#[inline(always)]
pub(super) fn known_number(v: &Value) -> Option<Value> {
    match v {
        Value::Int(i) => Some(Value::Int(*i)),
        Value::Float(f) => Some(Value::Float(*f)),
        Value::Thunk(t) => t.known_number(),
        _ => None,
    }
}
