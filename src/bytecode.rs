//! The bytecode the compiler emits and both VMs run.
//!
//! Each lambda body, thunk body and file is a [`Code`] object: a flat array
//! of [`Op`]s with a parallel array of spans, its constants, the code objects
//! nested in it, and how a creator fills its captured values (upvalues).
//!
//! A frame has `locals` slots at a fixed base on the VM's value stack,
//! followed by operands. Locals are addressed by slot number; captured values
//! of enclosing frames by upvalue number. `with` is the only dynamic lookup.

use std::rc::Rc;

use crate::source::Span;
use crate::symbol::Symbol;
use crate::value::{PosTable, Value};

/// Where a captured value comes from in the frame that creates a closure or thunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// A local slot of the creating frame.
    Local(u32),
    /// A captured value of the creating frame.
    Upvalue(u32),
}

/// The most arguments a builtin called by `Op::CallBuiltin` takes (every
/// builtin of the evaluator takes at most three), so that the VM can pass
/// them without allocating.
pub const MAX_CALL_BUILTIN_ARITY: usize = 3;

/// One instruction. Jump targets are absolute op indices.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// Push `constants[i]`.
    Constant(u32),
    /// Push a local slot.
    GetLocal(u32),
    /// Push a local slot, moving the value out and leaving `null`: the
    /// only read of that slot in its code (see [`Code::take_single_reads`]).
    TakeLocal(u32),
    /// Push a captured value.
    GetUpvalue(u32),
    /// Pop into a local slot.
    SetLocal(u32),
    /// Drop the top of the stack.
    Pop,
    /// Force the top of the stack to weak head normal form.
    Force,
    /// Push a closure over `children[i]`.
    MakeClosure(u32),
    /// Push a thunk of `children[i]`.
    MakeThunk(u32),
    /// Push a closure over `children[i]` whose captures are filled by `Finalise`.
    MakeClosureDeferred(u32),
    /// Push a thunk of `children[i]` whose captures are filled by `Finalise`.
    MakeThunkDeferred(u32),
    /// Fill the captures of the deferred closure or thunk in a local slot.
    Finalise(u32),
    /// Pop an argument and a function; push the result of the call.
    Call,
    /// Pop two arguments and a function; push the result of applying the
    /// function to the first and that to the second (`f a b`). A curried
    /// lambda runs its [`Code::fused`] code on both at once.
    Call2,
    /// Call the builtin `constants[i]` with as many arguments as it takes,
    /// popped from the stack (the first pushed first); push the result. The
    /// compiler emits it for a saturated application of a builtin it knows
    /// statically (`builtins.elemAt xs i`, `map f xs`), which then needs no
    /// partial application. Only builtins of at most
    /// [`MAX_CALL_BUILTIN_ARITY`] arguments are called this way.
    CallBuiltin(u32),
    /// Pop as many values as `attr_templates[i]` has names; push the set.
    Attrs(u32),
    /// Pop a value, a name and a set; push the set with the name added
    /// (a `null` name adds nothing).
    InsertDynamic,
    /// Pop a set; push its attribute.
    Select(Symbol),
    /// Pop a name and a set; push the attribute.
    SelectDynamic,
    /// Pop a value; when it is a set with the attribute push that, otherwise jump.
    SelectOrJump(Symbol, u32),
    /// Pop a name and a value; as `SelectOrJump`.
    SelectDynamicOrJump(u32),
    /// Pop a value; push whether it is a set with the attribute.
    HasAttr(Symbol),
    /// Pop a name and a value; push whether it is a set with the attribute.
    HasAttrDynamic,
    /// Pop `n` values; push a list of them.
    List(u32),
    /// Arithmetic and comparison on the two top values.
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    NotEq,
    /// `a < b`; the compiler writes `a > b` as `b < a`.
    Less,
    /// `!(a < b)`; the compiler writes `a <= b` as `b >= a`.
    GreaterEq,
    /// `++`
    Concat,
    /// `//`
    Update,
    /// `!`
    Not,
    /// Unary `-`.
    Negate,
    /// Jump unconditionally.
    Jump(u32),
    /// Pop a Boolean; jump when false.
    JumpIfFalse(u32),
    /// Force the top and require a Boolean (right operand of `&&`, `||`, `->`).
    AssertBool,
    /// Pop a Boolean; fail the assertion whose source text is `constants[i]` when false.
    Assert(u32),
    /// Pop `n` parts; push their concatenation as a string.
    Interpolate(u32),
    /// Pop `n` parts; push their concatenation as a path.
    InterpolatePath(u32),
    /// Push the value of `with_lookups[i]`.
    WithLookup(u32),
    /// Push what a `with` variable in a lazy position stands for, as Nix
    /// makes it: the value, found now, when every namespace searched
    /// before it is evaluated; a thunk of `with_lookups[i]`'s code when a
    /// namespace on the way is not evaluated yet; an error when no
    /// namespace has it and all are evaluated (see [`WithLookup::now`]).
    LazyWithLookup(u32),
    /// Check the call's argument (local 0) against this code's formals.
    CheckFormals,
    /// Push attribute of the argument set (local 0), or jump when it has none.
    FormalOrJump(Symbol, u32),
    /// Return the top of the stack.
    Return,
}

impl Op {
    /// The operators the dispatch loop computes inline on numbers with
    /// [`numeric_fast`] (which also divides, out of the loop).
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Op::Add | Op::Sub | Op::Mul | Op::Less | Op::GreaterEq | Op::Eq | Op::NotEq
        )
    }

    /// The operators an [`Eager`] thunk body may be: those
    /// [`numeric_fast`] computes.
    pub fn is_eager(self) -> bool {
        self.is_numeric() || self == Op::Div
    }

    /// Where the instruction may jump to.
    pub fn jump_target(self) -> Option<u32> {
        match self {
            Op::Jump(t)
            | Op::JumpIfFalse(t)
            | Op::SelectOrJump(_, t)
            | Op::SelectDynamicOrJump(t)
            | Op::FormalOrJump(_, t) => Some(t),
            _ => None,
        }
    }

    /// The operands an instruction forces before it does anything else
    /// observable, as stack positions counted from the top (0 is the top),
    /// in the order it forces them (`a // b` checks that `a` is a set before
    /// it forces `b`).
    pub fn forced_operands(self) -> &'static [usize] {
        match self {
            Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Less
            | Op::GreaterEq
            | Op::Eq
            | Op::NotEq => &[1, 0],
            Op::Concat | Op::Update | Op::Call => &[1],
            Op::Call2 => &[2],
            Op::Force
            | Op::Not
            | Op::Negate
            | Op::AssertBool
            | Op::Assert(_)
            | Op::JumpIfFalse(_)
            | Op::Select(_)
            | Op::SelectOrJump(..)
            | Op::HasAttr(_)
            | Op::SelectDynamic
            | Op::SelectDynamicOrJump(_)
            | Op::HasAttrDynamic => &[0],
            _ => &[],
        }
    }
}

/// How a dynamic (`with`) lookup finds a name: the `with` namespaces in
/// scope, innermost first, as slots of the running frame.
#[derive(Clone, Debug)]
pub struct WithLookup {
    /// The name looked up.
    pub name: Symbol,
    /// The namespaces, innermost first.
    pub namespaces: Vec<Capture>,
    /// For a lookup in a lazy position ([`Op::LazyWithLookup`]): the child
    /// code of the thunk that looks the name up later.
    pub thunk: Option<u32>,
}

/// What [`WithLookup::now`] found.
pub enum LookupNow {
    /// The variable's value (which may itself be a thunk).
    Found(Value),
    /// A namespace to search is not evaluated yet: look the name up when
    /// it is needed.
    Later,
    /// Every namespace is evaluated and none has the name.
    Undefined,
}

impl WithLookup {
    /// Looks the name up without evaluating anything, as Nix 2.8 does for a
    /// `with` variable in a lazy position (a list element, an attribute, an
    /// argument, a binding): the namespaces are searched innermost first
    /// while they are evaluated, so a missing name is an error as soon as
    /// its thunk would be made rather than when it is forced. A namespace
    /// is evaluated once a lookup has forced it: the compiler gives every
    /// `with` a thunk of its own for its namespace, as Nix keeps the
    /// namespace's expression in the `with`'s environment until a lookup
    /// needs it. `namespace` gives the value a capture refers to.
    pub fn now<'a>(&self, namespace: impl Fn(Capture) -> &'a Value) -> LookupNow {
        for ns in &self.namespaces {
            match namespace(*ns).attr_in_place(self.name) {
                Some(Some(value)) => return LookupNow::Found(value),
                Some(None) => {}
                None => return LookupNow::Later,
            }
        }
        LookupNow::Undefined
    }
}

/// The static names of an attribute-set literal, sorted by symbol, and
/// their source positions.
#[derive(Clone, Debug)]
pub struct AttrTemplate {
    /// Names, sorted; values are pushed in this order.
    pub names: Vec<Symbol>,
    /// Positions for `unsafeGetAttrPos`.
    pub positions: Rc<PosTable>,
}

/// The formal parameters of a lambda with a `{ … }` pattern.
#[derive(Clone, Debug)]
pub struct Formals {
    /// Each formal name and whether it has a default.
    pub entries: Vec<(Symbol, bool)>,
    /// Whether `...` allows other attributes.
    pub ellipsis: bool,
    /// Where each formal is written, for `unsafeGetAttrPos` on `functionArgs`.
    pub positions: Rc<PosTable>,
}

impl Formals {
    /// Whether `name` is a formal.
    pub fn contains(&self, name: Symbol) -> bool {
        self.entries.iter().any(|(n, _)| *n == name)
    }
}

/// An operand of an [`Eager`] thunk.
#[derive(Clone, Debug)]
pub enum EagerOperand {
    /// The thunk's captured value number `i`.
    Captured(u32),
    /// A number literal.
    Constant(Value),
}

/// A thunk body that is one arithmetic or comparison operator on captured
/// values and number literals (`n - 1`, `i < len`, `i / 2`). When its
/// operands are already numbers, the VM computes it when the thunk is made:
/// that cannot fail or diverge on numbers (overflow and division by zero are
/// checked and then fall back to the ordinary thunk), and the thunk, which still looks unevaluated to
/// printing and tracing, holds the result instead of code to run.
#[derive(Clone, Debug)]
pub struct Eager {
    /// The operator: `Add`, `Sub`, `Mul`, `Div` or a comparison.
    pub op: Op,
    /// Left operand.
    pub lhs: EagerOperand,
    /// Right operand.
    pub rhs: EagerOperand,
}

impl Eager {
    /// Recognises a thunk body of that shape.
    pub fn detect(code: &Code) -> Option<Eager> {
        let [a, b, op, Op::Return] = code.ops.as_slice() else {
            return None;
        };
        if !op.is_eager() {
            return None;
        }
        let operand = |op: &Op| match *op {
            Op::GetUpvalue(i) => Some(EagerOperand::Captured(i)),
            Op::Constant(i) => match &code.constants[i as usize] {
                v @ (Value::Int(_) | Value::Float(_)) => Some(EagerOperand::Constant(v.clone())),
                _ => None,
            },
            _ => None,
        };
        Some(Eager {
            op: *op,
            lhs: operand(a)?,
            rhs: operand(b)?,
        })
    }
}

/// The `+` operator on two numbers as floats. Nix evaluates `a + b` as a
/// concatenation that sums its operands onto 0.0, so `-0.0 + -0.0` is 0.0
/// there (`builtins.add` is plain IEEE addition, and gives -0.0).
#[inline(always)]
pub fn plus_floats(x: f64, y: f64) -> f64 {
    0.0 + x + y
}

/// `a op b` for two numbers, when it cannot fail: `None` for anything else
/// (other types, integer overflow, division by zero), which takes the
/// general path.
pub fn numeric_fast(op: Op, a: &Value, b: &Value) -> Option<Value> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (*x, *y);
            Some(match op {
                Op::Add => Value::Int(x.checked_add(y)?),
                Op::Sub => Value::Int(x.checked_sub(y)?),
                Op::Mul => Value::Int(x.checked_mul(y)?),
                // Division by zero and `MIN / -1` fail on the general path.
                Op::Div => Value::Int(x.checked_div(y)?),
                Op::Less => Value::Bool(x < y),
                Op::GreaterEq => Value::Bool(x >= y),
                Op::Eq => Value::Bool(x == y),
                Op::NotEq => Value::Bool(x != y),
                _ => return None,
            })
        }
        (Value::Float(_) | Value::Int(_), Value::Float(_) | Value::Int(_)) => {
            let as_float = |v: &Value| match v {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                _ => unreachable!("matched numbers"),
            };
            let (x, y) = (as_float(a), as_float(b));
            Some(match op {
                Op::Add => Value::Float(plus_floats(x, y)),
                Op::Sub => Value::Float(x - y),
                Op::Mul => Value::Float(x * y),
                Op::Div if y == 0.0 => return None,
                Op::Div => Value::Float(x / y),
                Op::Less => Value::Bool(x < y),
                Op::GreaterEq => Value::Bool(x.partial_cmp(&y) != Some(std::cmp::Ordering::Less)),
                Op::Eq => Value::Bool(x == y),
                Op::NotEq => Value::Bool(x != y),
                _ => return None,
            })
        }
        _ => None,
    }
}

/// What a code object is.
#[derive(Clone, Debug)]
pub enum CodeKind {
    /// A file or expression being evaluated.
    Toplevel,
    /// A lambda body; `formals` for `{ … }:` patterns, `param` for the name
    /// the whole argument is bound to (`x:` or `args@{ … }:`), which
    /// `toXML` shows.
    Lambda {
        formals: Option<Rc<Formals>>,
        param: Option<Symbol>,
    },
    /// A thunk body.
    Thunk,
}

/// A compiled piece of code.
///
/// The fields are laid out in this order (`repr(C)`) so that making a
/// thunk or closure of this code reads only the first 48 bytes of its
/// allocation: the reference counts, the captures and whether it is eager
/// (boxed, as it is rare and large). Code objects are many and each is
/// read seldom, so those bytes are rarely in the cache: with the
/// compiler's own order, which put the eager form 240 bytes in,
/// `lib_modules` missed the first-level data cache 8 % more often.
#[derive(Clone)]
#[repr(C)]
pub struct Code {
    /// How the creator of this code fills its upvalues.
    pub captures: Vec<Capture>,
    /// For thunk bodies that are one operator on numbers: how to compute
    /// them on the spot instead of allocating the thunk.
    pub eager: Option<Box<Eager>>,
    /// The instructions.
    pub ops: Vec<Op>,
    /// Local slots this code needs.
    pub locals: u32,
    /// The name a lambda was bound to, for traces.
    pub name: Option<Symbol>,
    /// What it is.
    pub kind: CodeKind,
    /// Constants referenced by `Op::Constant` and friends.
    pub constants: Vec<Value>,
    /// Code objects nested in this one.
    pub children: Vec<Rc<Code>>,
    /// For a curried lambda (see [`Code::curried`]): the inner lambda's
    /// code taking both arguments at once (see [`Code::fuse`]).
    pub fused: Option<Rc<Code>>,
    /// The span of each instruction.
    pub spans: Vec<Span>,
    /// Attribute-set literals.
    pub attr_templates: Vec<AttrTemplate>,
    /// `with` lookups.
    pub with_lookups: Vec<WithLookup>,
    /// The whole expression's span.
    pub span: Span,
    /// The source file the spans point into, kept in the evaluator's map of
    /// sources for as long as this code lives (see [`crate::source`]).
    pub source: Rc<crate::source::File>,
}

impl Code {
    /// For a lambda whose body is another lambda (`a: b: …`) and that has
    /// no other local than its argument: the child a call makes a closure
    /// of and returns, which the VMs do without running the body.
    #[inline]
    pub fn curried(&self) -> Option<u32> {
        match self.ops[..] {
            [Op::MakeClosure(inner), Op::Return] if self.locals == 1 => Some(inner),
            _ => None,
        }
    }

    /// Turns each read of a local slot that is the only one its code makes
    /// into `Op::TakeLocal`, which moves the value out instead of copying
    /// it. A value nothing else refers to then reaches the operator that
    /// consumes it unshared, which may update it in place (`xs ++ [ x ]`,
    /// `acc // { … }` with the accumulator of a `foldl'`). Jumps only go
    /// forward, so such a read runs at most once in a frame; slots read in
    /// any other way (captured, a `with` namespace, the argument of a
    /// pattern, a deferred closure being completed) are left alone.
    pub fn take_single_reads(&mut self) {
        #[derive(Clone, Copy)]
        enum Reads {
            None,
            Once(usize),
            Many,
        }
        let mut reads = vec![Reads::None; self.locals as usize];
        let pin = |reads: &mut [Reads], slot: u32| reads[slot as usize] = Reads::Many;
        for (i, op) in self.ops.iter().enumerate() {
            match *op {
                Op::GetLocal(slot) | Op::TakeLocal(slot) => {
                    let r = &mut reads[slot as usize];
                    *r = match r {
                        Reads::None => Reads::Once(i),
                        _ => Reads::Many,
                    };
                }
                Op::Finalise(slot) => pin(&mut reads, slot),
                Op::CheckFormals | Op::FormalOrJump(..) => pin(&mut reads, 0),
                _ => {}
            }
            if op.jump_target().is_some_and(|target| target as usize <= i) {
                return;
            }
        }
        let captured = self.children.iter().flat_map(|child| &child.captures);
        let namespaces = self.with_lookups.iter().flat_map(|l| &l.namespaces);
        for capture in captured.chain(namespaces) {
            if let Capture::Local(slot) = *capture {
                pin(&mut reads, slot);
            }
        }
        for (slot, r) in reads.iter().enumerate() {
            if let Reads::Once(i) = *r {
                self.ops[i] = Op::TakeLocal(slot as u32);
            }
        }
    }

    /// For a curried lambda `a: b: …`: the inner lambda's code, rewritten
    /// to run with the outer lambda's captured values and `a` in a local
    /// slot of its own, the last one ([`Code::locals`] - 1), instead of
    /// among its captured values. Applying the outer lambda to two
    /// arguments then runs it directly: the closure the first application
    /// would make is never built. Traces see the inner lambda's call, as
    /// they do when the application is made in two steps.
    pub fn fuse(&self) -> Option<Code> {
        let inner = &self.children[self.curried()? as usize];
        let first = inner.locals;
        // Where each of the inner lambda's captured values lives in a
        // frame of the fused code.
        let moved: Vec<Capture> = inner
            .captures
            .iter()
            .map(|c| match c {
                Capture::Local(_) => Capture::Local(first),
                upvalue => *upvalue,
            })
            .collect();
        let relocate = |c: &Capture| match c {
            Capture::Upvalue(i) => moved[*i as usize],
            local => *local,
        };
        let ops = inner
            .ops
            .iter()
            .map(|op| match op {
                Op::GetUpvalue(i) => match moved[*i as usize] {
                    Capture::Local(slot) => Op::GetLocal(slot),
                    Capture::Upvalue(j) => Op::GetUpvalue(j),
                },
                other => *other,
            })
            .collect();
        let children = inner
            .children
            .iter()
            .map(|child| {
                if !child
                    .captures
                    .iter()
                    .any(|c| matches!(c, Capture::Upvalue(_)))
                {
                    return child.clone();
                }
                let mut child = (**child).clone();
                child.captures = child.captures.iter().map(relocate).collect();
                // A curried child's fused code runs with the child's
                // captured values: keep its copy of them in step.
                if let Some(fused) = &child.fused {
                    child.fused = Some(Rc::new(Code {
                        captures: child.captures.clone(),
                        ..(**fused).clone()
                    }));
                }
                Rc::new(child)
            })
            .collect();
        let with_lookups = inner
            .with_lookups
            .iter()
            .map(|lookup| WithLookup {
                namespaces: lookup.namespaces.iter().map(relocate).collect(),
                ..lookup.clone()
            })
            .collect();
        let mut fused = Code {
            ops,
            children,
            with_lookups,
            captures: self.captures.clone(),
            locals: first + 1,
            fused: None,
            ..(**inner).clone()
        };
        fused.take_single_reads();
        Some(fused)
    }

    /// The formals of a lambda with a `{ … }` pattern.
    pub fn formals(&self) -> Option<&Rc<Formals>> {
        match &self.kind {
            CodeKind::Lambda { formals, .. } => formals.as_ref(),
            _ => None,
        }
    }

    /// The name the whole argument of a lambda is bound to, if any.
    pub fn param(&self) -> Option<Symbol> {
        match &self.kind {
            CodeKind::Lambda { param, .. } => *param,
            _ => None,
        }
    }

    /// The name for traces and errors: the binding name or `anonymous lambda`.
    pub fn display_name(&self) -> String {
        match self.name {
            Some(n) => n.display_name(),
            None => "anonymous lambda".to_string(),
        }
    }
}

/// The frame a code object's captures are read from when it is made: the
/// locals and captured values of the code that creates it.
#[derive(Clone, Copy)]
struct Creator {
    locals: u32,
    upvalues: usize,
}

impl Creator {
    fn of(code: &Code) -> Creator {
        Creator {
            locals: code.locals,
            upvalues: code.captures.len(),
        }
    }

    /// Whether `capture` names a slot or captured value that exists.
    fn holds(self, capture: Capture) -> bool {
        match capture {
            Capture::Local(slot) => slot < self.locals,
            Capture::Upvalue(i) => (i as usize) < self.upvalues,
        }
    }
}

impl Code {
    /// Checks the invariants both VMs rely on without checking them as they
    /// run, in this code (a file's) and in every code object nested in it,
    /// fused code included; returns the first violation found, with the path
    /// to its code object (`child 2 / fused / child 0`).
    ///
    /// - Every index is in range: slots below [`Code::locals`], captured values
    ///   below the number of captures, constants, children, attribute
    ///   templates and `with` lookups; every capture of a child, and every
    ///   `with` namespace, names a slot or captured value of the frame that
    ///   makes it (a file has no captures).
    /// - Code ends in `Return`, and every jump goes forward to an instruction
    ///   of the same code ([`Code::take_single_reads`] relies on that).
    /// - `TakeLocal` reads a slot that its code reads once and in no other
    ///   way: no other read, no capture, no `with` namespace, no `Finalise`,
    ///   not the argument of a pattern.
    /// - A closure is made of a lambda's code and a thunk of a thunk's (so is
    ///   the thunk of a lazy `with` lookup);
    ///   `CallBuiltin` calls a builtin constant; patterns are checked only in
    ///   lambdas with formals.
    /// - A deferred closure or thunk captures a slot of its frame, is stored
    ///   in a slot at once, and a later `Finalise` completes that slot.
    /// - A lambda has fused code exactly when it is curried, and the fused
    ///   code is its inner lambda's with the outer lambda's captured values
    ///   and the first argument in the last slot: the same instructions but
    ///   for reads of the inner lambda's captured values.
    /// - An eager thunk body is one numeric operator on captured values or
    ///   constants.
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        if !self.captures.is_empty() {
            return Err("a file's code captures values".to_string());
        }
        self.check_in(
            Creator {
                locals: 0,
                upvalues: 0,
            },
            "file",
        )
    }

    fn check_in(&self, creator: Creator, path: &str) -> Result<(), String> {
        let fail = |what: String| Err(format!("{path}: {what}"));
        if let Some(capture) = self.captures.iter().find(|c| !creator.holds(**c)) {
            return fail(format!("captures {capture:?}, which its creator lacks"));
        }
        if self.ops.len() != self.spans.len() {
            return fail("ops and spans differ in length".to_string());
        }
        if self.ops.last() != Some(&Op::Return) {
            return fail("does not end in Return".to_string());
        }
        let own = Creator::of(self);
        for (i, op) in self.ops.iter().enumerate() {
            if let Err(what) = self.check_op(i, *op, own) {
                return fail(format!("op {i} {op:?}: {what}"));
            }
        }
        for lookup in &self.with_lookups {
            if let Some(ns) = lookup.namespaces.iter().find(|c| !own.holds(**c)) {
                return fail(format!("`with` namespace {ns:?} out of range"));
            }
        }
        if let Err(what) = self.check_eager() {
            return fail(what);
        }
        if let Err(what) = self.check_fused() {
            return fail(what);
        }
        if let Some(fused) = &self.fused {
            // Made where the curried lambda is made, from the same captures.
            fused.check_in(creator, &format!("{path} / fused"))?;
        }
        for (i, child) in self.children.iter().enumerate() {
            child.check_in(own, &format!("{path} / child {i}"))?;
        }
        Ok(())
    }

    fn check_op(&self, at: usize, op: Op, own: Creator) -> Result<(), String> {
        let in_range = |i: u32, len: usize, what: &str| {
            if (i as usize) < len {
                Ok(())
            } else {
                Err(format!("{what} {i} of {len}"))
            }
        };
        match op {
            Op::Constant(k) | Op::Assert(k) => in_range(k, self.constants.len(), "constant")?,
            Op::CallBuiltin(k) => {
                in_range(k, self.constants.len(), "constant")?;
                if !matches!(self.constants[k as usize], Value::Builtin(_)) {
                    return Err("calls a constant that is not a builtin".to_string());
                }
            }
            Op::GetLocal(slot) | Op::SetLocal(slot) | Op::Finalise(slot) => {
                in_range(slot, own.locals as usize, "slot")?
            }
            Op::TakeLocal(slot) => {
                in_range(slot, own.locals as usize, "slot")?;
                self.check_single_read(slot)?;
            }
            Op::GetUpvalue(i) => in_range(i, own.upvalues, "captured value")?,
            Op::MakeClosure(c) | Op::MakeClosureDeferred(c) => {
                in_range(c, self.children.len(), "child")?;
                if !matches!(self.children[c as usize].kind, CodeKind::Lambda { .. }) {
                    return Err("a closure of code that is not a lambda".to_string());
                }
            }
            Op::MakeThunk(c) | Op::MakeThunkDeferred(c) => {
                in_range(c, self.children.len(), "child")?;
                if !matches!(self.children[c as usize].kind, CodeKind::Thunk) {
                    return Err("a thunk of code that is not a thunk body".to_string());
                }
            }
            Op::Attrs(t) => in_range(t, self.attr_templates.len(), "attribute template")?,
            Op::WithLookup(w) => in_range(w, self.with_lookups.len(), "`with` lookup")?,
            Op::LazyWithLookup(w) => {
                in_range(w, self.with_lookups.len(), "`with` lookup")?;
                let Some(c) = self.with_lookups[w as usize].thunk else {
                    return Err("a lazy lookup without its thunk".to_string());
                };
                in_range(c, self.children.len(), "child")?;
                if !matches!(self.children[c as usize].kind, CodeKind::Thunk) {
                    return Err("a lazy lookup's thunk is not a thunk body".to_string());
                }
            }
            Op::CheckFormals | Op::FormalOrJump(..) if self.formals().is_none() => {
                return Err("a pattern check in code without formals".to_string());
            }
            _ => {}
        }
        if let Some(target) = op.jump_target() {
            if target as usize <= at || target as usize >= self.ops.len() {
                return Err(format!("jumps to {target}, not forward within the code"));
            }
        }
        if let Op::MakeClosureDeferred(c) | Op::MakeThunkDeferred(c) = op {
            self.check_deferred(at, c)?;
        }
        Ok(())
    }

    /// `TakeLocal(slot)`: the only read of `slot`, which nothing else uses.
    fn check_single_read(&self, slot: u32) -> Result<(), String> {
        let reads = self
            .ops
            .iter()
            .filter(|op| matches!(op, Op::GetLocal(s) | Op::TakeLocal(s) if *s == slot))
            .count();
        if reads != 1 {
            return Err(format!("slot {slot} is read {reads} times"));
        }
        let captured = self.children.iter().flat_map(|child| &child.captures);
        let namespaces = self.with_lookups.iter().flat_map(|l| &l.namespaces);
        if captured
            .chain(namespaces)
            .any(|c| *c == Capture::Local(slot))
        {
            return Err(format!("slot {slot} is also captured"));
        }
        if self.ops.contains(&Op::Finalise(slot)) {
            return Err(format!("slot {slot} is also finalised"));
        }
        if slot == 0 && self.formals().is_some() {
            return Err("the argument of a pattern is taken".to_string());
        }
        Ok(())
    }

    /// A deferred closure or thunk at `at`, of child `c`.
    fn check_deferred(&self, at: usize, c: u32) -> Result<(), String> {
        let child = &self.children[c as usize];
        if !child
            .captures
            .iter()
            .any(|c| matches!(c, Capture::Local(_)))
        {
            return Err("deferred, but captures no slot".to_string());
        }
        let Some(Op::SetLocal(slot)) = self.ops.get(at + 1) else {
            return Err("deferred, but not stored in a slot at once".to_string());
        };
        if !self.ops[at + 2..].contains(&Op::Finalise(*slot)) {
            return Err(format!("deferred into slot {slot}, never finalised"));
        }
        Ok(())
    }

    fn check_eager(&self) -> Result<(), String> {
        let Some(eager) = &self.eager else {
            return Ok(());
        };
        if !matches!(self.kind, CodeKind::Thunk) || !eager.op.is_eager() {
            return Err("eager, but not a thunk of a numeric operator".to_string());
        }
        for operand in [&eager.lhs, &eager.rhs] {
            if let EagerOperand::Captured(i) = operand {
                if *i as usize >= self.captures.len() {
                    return Err(format!("eager operand {i} out of range"));
                }
            }
        }
        Ok(())
    }

    /// The fused code of a curried lambda, against its inner lambda.
    fn check_fused(&self) -> Result<(), String> {
        let (inner, fused) = match (self.curried(), &self.fused) {
            (None, None) => return Ok(()),
            (Some(c), Some(fused)) => (&self.children[c as usize], fused),
            (Some(_), None) => return Err("curried, without fused code".to_string()),
            (None, Some(_)) => return Err("fused code, but not curried".to_string()),
        };
        let first = inner.locals;
        if fused.captures != self.captures || fused.locals != first + 1 {
            return Err("fused code has other captures or slots".to_string());
        }
        if fused.ops.len() != inner.ops.len() || fused.children.len() != inner.children.len() {
            return Err("fused code differs in length from the inner lambda".to_string());
        }
        let read = |op: Op| match op {
            Op::GetLocal(s) | Op::TakeLocal(s) => Some(s),
            _ => None,
        };
        for (i, (&was, &now)) in inner.ops.iter().zip(&fused.ops).enumerate() {
            let agrees = match was {
                Op::GetUpvalue(u) => match inner.captures.get(u as usize) {
                    Some(Capture::Local(_)) => read(now) == Some(first),
                    Some(Capture::Upvalue(j)) => now == Op::GetUpvalue(*j),
                    None => false,
                },
                Op::GetLocal(s) | Op::TakeLocal(s) => read(now) == Some(s),
                other => now == other,
            };
            if !agrees {
                return Err(format!("fused op {i} {now:?} stands for {was:?}"));
            }
        }
        if fused.fused.is_some() {
            return Err("fused code has fused code".to_string());
        }
        Ok(())
    }
}
