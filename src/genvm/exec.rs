//! The inner bytecode loop.
//!
//! Instructions whose operands are evaluated run inline, as in the fiber
//! VM, mostly through the same shared code. An operand that is a pending
//! thunk suspends the frame: a "force" generator goes on top, and when it
//! has left the value the instruction runs again (see [`OnReturn::Retry`]).
//! Instructions that need evaluation beyond their operands' weak head
//! normal form (`==` on lists, string coercion of sets, calls) hand the
//! work to a frame above and continue with the value it leaves.

use super::frames::{BytecodeFrame, Frame, OnReturn};
use super::requests::fused_callee;
use super::{helpers, Called, GenVm};
use crate::bytecode::{Capture, Code, Op};
use crate::engine::frames::{
    capture, check_formals_of, code_thunk, deferred_thunk, finalise, lazy_with_lookup, make_attrs,
    make_list,
};
use crate::engine::{compare_scalars, missing_attribute, scalar_equal, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::symbol::Symbol;
use crate::value::{Attrs, Closure, NixString, PrimApp, StringBuilder, Thunk, Value};
use crate::vm::assertion_failed;

/// Ensures the operand in stack slot `$slot` is evaluated, or suspends the
/// frame to force it (the instruction then runs again).
macro_rules! whnf {
    ($vm:ident, $frame:ident, $ip:ident, $slot:expr) => {{
        let slot = $slot;
        if let Some(thunk) = $vm.pending_at(slot) {
            return $vm.wait_for_force($frame, $ip, Some(slot), thunk);
        }
    }};
}

/// Ends the frame with an error raised by the current instruction.
macro_rules! fail {
    ($vm:ident, $frame:ident, $ip:ident, $error:expr) => {{
        let error = $error;
        return Err($vm.fail_frame($frame, $ip, error));
    }};
}

/// Pushes an instruction's result, or ends the frame with its error.
macro_rules! push_or_fail {
    ($vm:ident, $frame:ident, $ip:ident, $result:expr) => {{
        match $result {
            Ok(v) => $vm.stack.push(v),
            Err(e) => fail!($vm, $frame, $ip, e),
        }
    }};
}

/// Runs an instruction handled out of line by what its [`OpOutcome`] says.
macro_rules! step {
    ($vm:ident, $frame:ident, $ip:ident, $step:expr) => {{
        match $step {
            OpOutcome::Push(v) => $vm.stack.push(v),
            OpOutcome::Force(slot, thunk) => return $vm.wait_for_force($frame, $ip, slot, thunk),
            OpOutcome::Wait(next) => return $vm.wait_for_result($frame, $ip, next),
            OpOutcome::Fail(e) => fail!($vm, $frame, $ip, e),
        }
    }};
}

/// What an instruction handled out of line needs next.
enum OpOutcome {
    /// Its result, to push.
    Push(Value),
    /// Force this pending thunk, store its value in the stack slot it came
    /// from (if it came from one), and run the instruction again.
    Force(Option<usize>, Thunk),
    /// Continue with the value the frame leaves (or fail if it could not be made).
    Wait(Result<Frame>),
    /// Its error.
    Fail(Error),
}

impl From<Result<Value>> for OpOutcome {
    fn from(result: Result<Value>) -> OpOutcome {
        match result {
            Ok(v) => OpOutcome::Push(v),
            Err(e) => OpOutcome::Fail(e),
        }
    }
}

/// Returns `OpOutcome::Force` from the enclosing method when the operand `$depth`
/// slots below the top of the stack is a pending thunk.
macro_rules! operand {
    ($vm:ident, $depth:expr) => {{
        let slot = $vm.stack.len() - $depth;
        if let Some(thunk) = $vm.pending_at(slot) {
            return OpOutcome::Force(Some(slot), thunk);
        }
    }};
}

impl GenVm {
    /// Runs a bytecode frame until it returns (`true`: its value is on the
    /// stack) or waits for a frame it pushed above itself (`false`).
    pub(super) fn execute_bytecode(&mut self, mut frame: BytecodeFrame) -> Result<bool> {
        match frame.resume {
            OnReturn::Continue => {}
            OnReturn::Retry(store) => {
                let v = self.pop();
                if let Some(slot) = store {
                    self.stack[slot] = v;
                }
                frame.ip -= 1;
                frame.resume = OnReturn::Continue;
            }
            OnReturn::CallHeld => {
                frame.resume = OnReturn::Continue;
                let ip = frame.ip;
                let function = self.pop();
                let arg = self.pop();
                match self.call_value(function, arg, Some(frame.code.spans[ip - 1])) {
                    Ok(Called::Value(v)) => self.stack.push(v),
                    Ok(Called::Enter(next)) => return Ok(self.wait_for(frame, ip, next)),
                    Err(e) => fail!(self, frame, ip, e),
                }
            }
        }
        let code = frame.code.clone();
        let base = frame.base;
        let mut ip = frame.ip;
        loop {
            let op = code.ops[ip];
            ip += 1;
            match op {
                Op::Constant(i) => self.stack.push(code.constants[i as usize].clone()),
                Op::GetLocal(slot) => {
                    let v = self.stack[base + slot as usize].clone();
                    self.stack.push(v);
                }
                Op::TakeLocal(slot) => {
                    let v = std::mem::take(&mut self.stack[base + slot as usize]);
                    self.stack.push(v);
                }
                Op::GetUpvalue(i) => {
                    let v = frame.body.upvalues()[i as usize].clone();
                    self.stack.push(v);
                }
                Op::SetLocal(slot) => {
                    let v = self.pop();
                    self.stack[base + slot as usize] = v;
                }
                Op::Pop => {
                    self.pop();
                }
                Op::Force => whnf!(self, frame, ip, self.stack.len() - 1),
                Op::MakeClosure(i) => {
                    let child = &code.children[i as usize];
                    let captured =
                        capture(&self.stack, &child.captures, frame.body.upvalues(), base);
                    self.stack
                        .push(Value::Closure(Closure::new(child.clone(), captured)));
                }
                Op::MakeThunk(i) => {
                    let child = &code.children[i as usize];
                    let thunk = code_thunk(&self.stack, child, frame.body.upvalues(), base);
                    self.stack.push(Value::Thunk(thunk));
                }
                Op::MakeClosureDeferred(i) => {
                    let child = code.children[i as usize].clone();
                    self.stack.push(Value::Closure(Closure::deferred(child)));
                }
                Op::MakeThunkDeferred(i) => {
                    let thunk = deferred_thunk(&code.children[i as usize]);
                    self.stack.push(Value::Thunk(thunk));
                }
                Op::Finalise(slot) => finalise(&self.stack, frame.body.upvalues(), base, slot),
                Op::Call | Op::CallBuiltin(_) => {
                    let arg = self.pop();
                    let function = match op {
                        Op::CallBuiltin(i) => {
                            builtin_given_all_but_last(&code.constants[i as usize], &mut self.stack)
                        }
                        _ => self.pop(),
                    };
                    match self.call_value(function, arg, Some(code.spans[ip - 1])) {
                        Ok(Called::Value(v)) => self.stack.push(v),
                        Ok(Called::Enter(next)) => return Ok(self.wait_for(frame, ip, next)),
                        Err(e) => fail!(self, frame, ip, e),
                    }
                }
                Op::Call2 => {
                    let b = self.pop();
                    let a = self.pop();
                    let function = self.pop();
                    let site = Some(code.spans[ip - 1]);
                    if let Some(closure) = fused_callee(&function) {
                        match self.fused_frame(closure, a, b, site) {
                            Ok(next) => return Ok(self.wait_for(frame, ip, next)),
                            Err(e) => fail!(self, frame, ip, e),
                        }
                    }
                    // Held under the frame the first application may need.
                    self.stack.push(b);
                    match self.call_value(function, a, site) {
                        Ok(Called::Value(partial)) => {
                            let b = self.pop();
                            match self.call_value(partial, b, site) {
                                Ok(Called::Value(v)) => self.stack.push(v),
                                Ok(Called::Enter(next)) => {
                                    return Ok(self.wait_for(frame, ip, next))
                                }
                                Err(e) => fail!(self, frame, ip, e),
                            }
                        }
                        Ok(Called::Enter(next)) => {
                            return Ok(self.wait_then(frame, ip, next, OnReturn::CallHeld))
                        }
                        Err(e) => fail!(self, frame, ip, e),
                    }
                }
                Op::Attrs(i) => make_attrs(&mut self.stack, &code, i),
                Op::InsertDynamic => {
                    whnf!(self, frame, ip, self.stack.len() - 2);
                    let value = self.pop();
                    let name = self.pop();
                    let set = self.pop();
                    push_or_fail!(self, frame, ip, insert_dynamic(set, name, value));
                }
                Op::Select(name) => {
                    whnf!(self, frame, ip, self.stack.len() - 1);
                    let set = self.pop();
                    push_or_fail!(self, frame, ip, select(set, name));
                }
                Op::SelectDynamic => {
                    whnf!(self, frame, ip, self.stack.len() - 1);
                    whnf!(self, frame, ip, self.stack.len() - 2);
                    let name = self.pop();
                    let set = self.pop();
                    push_or_fail!(
                        self,
                        frame,
                        ip,
                        attr_name(name).and_then(|n| select(set, n))
                    );
                }
                Op::SelectOrJump(name, target) => {
                    whnf!(self, frame, ip, self.stack.len() - 1);
                    match select_maybe(self.pop(), name) {
                        Some(v) => self.stack.push(v),
                        None => ip = target as usize,
                    }
                }
                Op::SelectDynamicOrJump(target) => {
                    whnf!(self, frame, ip, self.stack.len() - 1);
                    whnf!(self, frame, ip, self.stack.len() - 2);
                    let name = self.pop();
                    let set = self.pop();
                    match attr_name(name) {
                        Ok(name) => match select_maybe(set, name) {
                            Some(v) => self.stack.push(v),
                            None => ip = target as usize,
                        },
                        Err(e) => fail!(self, frame, ip, e),
                    }
                }
                Op::HasAttr(name) => {
                    whnf!(self, frame, ip, self.stack.len() - 1);
                    let has = select_maybe(self.pop(), name).is_some();
                    self.stack.push(Value::Bool(has));
                }
                Op::HasAttrDynamic => {
                    whnf!(self, frame, ip, self.stack.len() - 1);
                    whnf!(self, frame, ip, self.stack.len() - 2);
                    let name = self.pop();
                    let set = self.pop();
                    match attr_name(name) {
                        Ok(name) => self
                            .stack
                            .push(Value::Bool(select_maybe(set, name).is_some())),
                        Err(e) => fail!(self, frame, ip, e),
                    }
                }
                Op::List(n) => make_list(&mut self.stack, n),
                Op::Add => step!(self, frame, ip, self.add()),
                Op::Sub | Op::Mul | Op::Div => step!(self, frame, ip, self.arithmetic(op)),
                Op::Eq | Op::NotEq => step!(self, frame, ip, self.equality(op == Op::NotEq)),
                Op::Less | Op::GreaterEq => {
                    step!(self, frame, ip, self.comparison(op))
                }
                Op::Concat => step!(self, frame, ip, self.merge(true)),
                Op::Update => step!(self, frame, ip, self.merge(false)),
                Op::Not => {
                    whnf!(self, frame, ip, self.stack.len() - 1);
                    match self.pop() {
                        Value::Bool(b) => self.stack.push(Value::Bool(!b)),
                        other => fail!(self, frame, ip, not_a_bool(&other)),
                    }
                }
                Op::Negate => {
                    whnf!(self, frame, ip, self.stack.len() - 1);
                    let v = self.pop();
                    push_or_fail!(self, frame, ip, self.detached.negate(v));
                }
                Op::Jump(target) => ip = target as usize,
                Op::JumpIfFalse(target) => {
                    whnf!(self, frame, ip, self.stack.len() - 1);
                    match self.pop() {
                        Value::Bool(true) => {}
                        Value::Bool(false) => ip = target as usize,
                        other => fail!(self, frame, ip, not_a_bool(&other)),
                    }
                }
                Op::AssertBool => {
                    whnf!(self, frame, ip, self.stack.len() - 1);
                    if let Some(other) = self.stack.last().filter(|v| !matches!(v, Value::Bool(_)))
                    {
                        let e = not_a_bool(other);
                        fail!(self, frame, ip, e);
                    }
                }
                Op::Assert(text) => {
                    whnf!(self, frame, ip, self.stack.len() - 1);
                    match self.pop() {
                        Value::Bool(true) => {}
                        Value::Bool(false) => {
                            fail!(
                                self,
                                frame,
                                ip,
                                assertion_failed(&code.constants[text as usize])
                            )
                        }
                        other => fail!(self, frame, ip, not_a_bool(&other)),
                    }
                }
                Op::Interpolate(n) => step!(self, frame, ip, self.interpolate(n as usize)),
                Op::InterpolatePath(n) => {
                    step!(self, frame, ip, self.interpolate_path(n as usize))
                }
                Op::WithLookup(i) => step!(self, frame, ip, self.with_lookup(&code, i, &frame)),
                Op::LazyWithLookup(i) => {
                    let upvalues = frame.body.upvalues();
                    let value = lazy_with_lookup(&self.stack, &code, i, upvalues, base);
                    step!(self, frame, ip, OpOutcome::from(value))
                }
                Op::CheckFormals => {
                    whnf!(self, frame, ip, base);
                    let checked = match &self.stack[base] {
                        Value::Attrs(attrs) => check_formals_of(&code, attrs),
                        other => Err(Error::type_mismatch("a set", other.type_phrase())),
                    };
                    if let Err(e) = checked {
                        fail!(self, frame, ip, e);
                    }
                }
                Op::FormalOrJump(name, target) => {
                    whnf!(self, frame, ip, base);
                    match self.stack[base].attr(name).cloned() {
                        Some(v) => self.stack.push(v),
                        None => ip = target as usize,
                    }
                }
                Op::Return => {
                    let v = self.pop();
                    self.stack.truncate(base);
                    self.stack.push(v);
                    if frame.call.is_some() {
                        self.call_depth -= 1;
                    }
                    return Ok(true);
                }
            }
        }
    }

    /// The pending thunk in stack slot `slot`, if it holds one; an
    /// evaluated thunk there is replaced by its value.
    #[inline]
    fn pending_at(&mut self, slot: usize) -> Option<Thunk> {
        let Value::Thunk(thunk) = &self.stack[slot] else {
            return None;
        };
        match thunk.value() {
            Some(v) => {
                self.stack[slot] = v;
                None
            }
            None => Some(thunk.clone()),
        }
    }

    /// Replaces evaluated thunks from `start` to the top by their values.
    fn resolve_evaluated(&mut self, start: usize) {
        for v in &mut self.stack[start..] {
            if let Value::Thunk(t) = v {
                if let Some(value) = t.value() {
                    *v = value;
                }
            }
        }
    }

    /// Suspends the frame until `thunk` is forced, then runs the current
    /// instruction again (storing the value in `store` first).
    #[inline(never)]
    fn wait_for_force(
        &mut self,
        mut frame: BytecodeFrame,
        ip: usize,
        store: Option<usize>,
        thunk: Thunk,
    ) -> Result<bool> {
        match self.generator_frame("force", |co| Box::pin(helpers::force_generator(co, thunk))) {
            Ok(next) => {
                frame.ip = ip;
                frame.resume = OnReturn::Retry(store);
                self.frames.push(Frame::Bytecode(frame));
                self.frames.push(next);
                Ok(false)
            }
            Err(e) => Err(self.fail_frame(frame, ip, e)),
        }
    }

    /// Suspends the frame under `next`, continuing with the value it leaves.
    fn wait_for(&mut self, frame: BytecodeFrame, ip: usize, next: Frame) -> bool {
        self.wait_then(frame, ip, next, OnReturn::Continue)
    }

    /// Suspends the frame under `next`, to go on as `resume` says.
    fn wait_then(
        &mut self,
        mut frame: BytecodeFrame,
        ip: usize,
        next: Frame,
        resume: OnReturn,
    ) -> bool {
        frame.ip = ip;
        frame.resume = resume;
        self.frames.push(Frame::Bytecode(frame));
        self.frames.push(next);
        false
    }

    /// As [`GenVm::wait_for`], for a frame that could not be made.
    #[inline(never)]
    fn wait_for_result(
        &mut self,
        frame: BytecodeFrame,
        ip: usize,
        next: Result<Frame>,
    ) -> Result<bool> {
        match next {
            Ok(next) => Ok(self.wait_for(frame, ip, next)),
            Err(e) => Err(self.fail_frame(frame, ip, e)),
        }
    }

    /// Looks a name up in the `with` namespaces in scope, innermost first.
    #[inline(never)]
    fn with_lookup(&self, code: &Code, i: u32, frame: &BytecodeFrame) -> OpOutcome {
        let lookup = &code.with_lookups[i as usize];
        for ns in &lookup.namespaces {
            let namespace = match *ns {
                Capture::Local(s) => &self.stack[frame.base + s as usize],
                Capture::Upvalue(u) => &frame.body.upvalues()[u as usize],
            };
            let namespace = match namespace {
                Value::Thunk(t) => match t.value() {
                    Some(v) => v,
                    None => return OpOutcome::Force(None, t.clone()),
                },
                v => v.clone(),
            };
            match namespace {
                Value::Attrs(attrs) => {
                    if let Some(v) = attrs.get(lookup.name) {
                        return OpOutcome::Push(v.clone());
                    }
                }
                other => {
                    return OpOutcome::Fail(Error::type_mismatch("a set", other.type_phrase()))
                }
            }
        }
        OpOutcome::Fail(Error::new(ErrorKind::UndefinedVariable(
            lookup.name.display_name(),
        )))
    }

    /// `a + b`. Numbers and strings add inline; a string or path plus a set
    /// coerces the set, which may evaluate `__toString` or `outPath`.
    #[inline(never)]
    fn add(&mut self) -> OpOutcome {
        operand!(self, 2);
        operand!(self, 1);
        let b = self.pop();
        let a = self.pop();
        // Coercing a set may call its `__toString`, which needs a generator.
        if matches!(a, Value::Attrs(_)) || matches!(b, Value::Attrs(_)) {
            let ctx = self.ctx.clone();
            return OpOutcome::Wait(
                self.generator_frame("add", |co| Box::pin(helpers::add(co, ctx, a, b))),
            );
        }
        self.detached.add(a, b).into()
    }

    /// `-`, `*` and `/`, by the fiber VM's arithmetic.
    fn arithmetic(&mut self, op: Op) -> OpOutcome {
        operand!(self, 2);
        operand!(self, 1);
        let b = self.pop();
        let a = self.pop();
        match op {
            Op::Sub => self.detached.sub(a, b),
            Op::Mul => self.detached.mul(a, b),
            _ => self.detached.div(a, b),
        }
        .into()
    }

    /// `==` (or `!=` when `negate`). Two lists or sets compare their
    /// elements in a generator (even one compared with itself, whose
    /// members are still forced); anything else compares inline.
    #[inline(never)]
    fn equality(&mut self, negate: bool) -> OpOutcome {
        operand!(self, 2);
        operand!(self, 1);
        let b = self.pop();
        let a = self.pop();
        let containers = matches!(
            (&a, &b),
            (Value::List(_), Value::List(_)) | (Value::Attrs(_), Value::Attrs(_))
        );
        if containers {
            return OpOutcome::Wait(
                self.generator_frame("nix_eq", |co| Box::pin(helpers::equality(co, a, b, negate))),
            );
        }
        let equal = scalar_equal(&a, &b);
        OpOutcome::Push(Value::Bool(equal != negate))
    }

    /// `<` and `>=` (the compiler writes `>` and `<=` with these, operands
    /// swapped): a `<`, its answer negated for `>=`. Two lists compare in a
    /// generator.
    #[inline(never)]
    fn comparison(&mut self, op: Op) -> OpOutcome {
        let negate = op == Op::GreaterEq;
        operand!(self, 2);
        operand!(self, 1);
        let y = self.pop();
        let x = self.pop();
        if let (Value::List(_), Value::List(_)) = (&x, &y) {
            return OpOutcome::Wait(self.generator_frame("compare", |co| {
                Box::pin(helpers::less_than_generator(co, x, y, negate))
            }));
        }
        match compare_scalars(&x, &y) {
            Ok(ord) => OpOutcome::Push(Value::Bool((ord == std::cmp::Ordering::Less) != negate)),
            Err(e) => OpOutcome::Fail(e),
        }
    }

    /// `++` (`lists`) or `//`. Each operand is type-checked before the next
    /// is forced, as the fiber VM does.
    #[inline(never)]
    fn merge(&mut self, lists: bool) -> OpOutcome {
        operand!(self, 2);
        if let Err(e) = expect_container(&self.stack[self.stack.len() - 2], lists) {
            return OpOutcome::Fail(e);
        }
        operand!(self, 1);
        let b = self.pop();
        let a = self.pop();
        if lists {
            self.detached.concat(a, b)
        } else {
            self.detached.update(a, b)
        }
        .into()
    }

    /// `"…${x}…"` of `n` parts: inline when every part is a string already,
    /// otherwise coerced in a generator.
    #[inline(never)]
    fn interpolate(&mut self, n: usize) -> OpOutcome {
        let start = self.stack.len() - n;
        self.resolve_evaluated(start);
        if self.stack[start..]
            .iter()
            .all(|v| matches!(v, Value::String(_)))
        {
            let joined = concat_strings(&self.stack[start..], &self.ctx.limits);
            self.stack.truncate(start);
            return joined.map(Value::String).into();
        }
        let (ctx, parts) = (self.ctx.clone(), self.stack.split_off(start));
        OpOutcome::Wait(self.generator_frame("interpolate", |co| {
            Box::pin(helpers::interpolate(co, ctx, parts))
        }))
    }

    /// `./a/${x}` of `n` parts: inline when every part is a string or path,
    /// otherwise coerced in a generator.
    #[inline(never)]
    fn interpolate_path(&mut self, n: usize) -> OpOutcome {
        let start = self.stack.len() - n;
        self.resolve_evaluated(start);
        if self.stack[start..]
            .iter()
            .all(|v| matches!(v, Value::String(_) | Value::Path(_)))
        {
            let path = concat_path(&self.stack[start..]);
            self.stack.truncate(start);
            return OpOutcome::Push(path);
        }
        let (ctx, parts) = (self.ctx.clone(), self.stack.split_off(start));
        OpOutcome::Wait(self.generator_frame("interpolate_path", |co| {
            Box::pin(helpers::interpolate_path(co, ctx, parts))
        }))
    }
}

/// A computed attribute name, evaluated (a name may not refer to store paths).
fn attr_name(name: Value) -> Result<Symbol> {
    match name {
        Value::String(s) => Ok(Symbol::intern(s.refusing_context()?.as_bytes())),
        other => Err(Error::type_mismatch("a string", other.type_phrase())),
    }
}

/// `set.name` on an evaluated `set`.
fn select(set: Value, name: Symbol) -> Result<Value> {
    match set {
        Value::Attrs(attrs) => match attrs.get(name) {
            Some(v) => Ok(v.clone()),
            None => Err(missing_attribute(name)),
        },
        other => Err(Error::type_mismatch("a set", other.type_phrase())),
    }
}

/// `set.name` on an evaluated value, or `None` when it is not a set with `name`.
fn select_maybe(set: Value, name: Symbol) -> Option<Value> {
    match set {
        Value::Attrs(attrs) => attrs.get(name).cloned(),
        _ => None,
    }
}

/// `{ ${name} = value; }` added to a literal's set; a `null` name adds nothing.
fn insert_dynamic(set: Value, name: Value, value: Value) -> Result<Value> {
    if matches!(name, Value::Null) {
        return Ok(set);
    }
    let name = attr_name(name)?;
    let Value::Attrs(set) = set else {
        return Err(Error::other("internal error: InsertDynamic without a set"));
    };
    if set.contains(name) {
        return Err(Error::new(ErrorKind::DuplicateAttribute(
            name.display_name(),
        )));
    }
    let single = Attrs::from_sorted(vec![(name, value)], None);
    Ok(Value::Attrs(set.update_owned(&single)))
}

/// The type error of `++` or `//` for an operand that is not a list or set.
fn expect_container(v: &Value, list: bool) -> Result<()> {
    match (v, list) {
        (Value::List(_), true) | (Value::Attrs(_), false) => Ok(()),
        (other, true) => Err(Error::type_mismatch("a list", other.type_phrase())),
        (other, false) => Err(Error::type_mismatch("a set", other.type_phrase())),
    }
}

#[cold]
fn not_a_bool(v: &Value) -> Error {
    Error::type_mismatch("a Boolean", v.type_phrase())
}

/// The concatenation of string parts, with their contexts.
fn concat_strings(parts: &[Value], limits: &Limits) -> Result<NixString> {
    let strings = parts.iter().filter_map(|part| match part {
        Value::String(s) => Some(s),
        _ => None,
    });
    StringBuilder::concat(strings, limits)
}

/// The path made of string and path parts.
fn concat_path(parts: &[Value]) -> Value {
    let mut text = Vec::new();
    for part in parts {
        if let Value::String(s) | Value::Path(s) = part {
            text.extend_from_slice(s.as_bytes());
        }
    }
    Value::Path(NixString::new(crate::path::canonicalise(&text)))
}

/// For `Op::CallBuiltin`: the builtin `constant` applied to all but the last
/// of its arguments, popped from `stack`, which the generator VM then calls
/// with the last one like any function.
fn builtin_given_all_but_last(constant: &Value, stack: &mut Vec<Value>) -> Value {
    let Value::Builtin(builtin) = constant else {
        unreachable!("the compiler calls builtins only")
    };
    let given = stack.split_off(stack.len() - (builtin.arity - 1));
    if given.is_empty() {
        Value::Builtin(builtin)
    } else {
        Value::PrimApp(PrimApp::new(builtin, given))
    }
}
