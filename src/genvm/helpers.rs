//! The VM operations that need evaluation, as `async` functions for
//! generators: forcing, calling, equality, ordering, string coercion and
//! deep forcing.
//!
//! They never recurse: an `async fn` that awaited itself would need a boxed
//! future per level, and polling nested futures recurses natively. Nested
//! structure (lists in lists, thunks returning thunks) is walked with an
//! explicit work list instead. None of them awaits another that could lead
//! back to it, so each is awaited inline in whichever generator needs it.

use std::cmp::Ordering;
use std::rc::Rc;

use rustc_hash::FxHashSet;

use super::detached::Detached;
use super::requests::{call, call2, enter_code, Co};
use crate::context::EvalContext;
use crate::engine::{
    append_to_path, compare_scalars, same_object, scalar_equal, CoercionKind, Engine, Visit,
};
use crate::error::{Error, ErrorKind, Result};
use crate::print::format_float_to_string;
use crate::symbol::{known, Symbol};
use crate::value::{Attrs, Begin, Deferred, List, NixString, StringBuilder, Thunk, TwoArgs, Value};

// ---- forcing and calling ----------------------------------------------------

/// Evaluates `value` to weak head normal form.
pub(crate) async fn force(co: &Co, value: Value) -> Result<Value> {
    match value {
        Value::Thunk(t) => force_thunk(co, t).await,
        v => Ok(v),
    }
}

/// Forces a thunk in place. A thunk body may return another thunk; the
/// chain is followed in a loop, and every thunk on it gets the final value
/// (or error), as the fiber VM's nested forcing leaves them.
pub(crate) async fn force_thunk(co: &Co, thunk: Thunk) -> Result<Value> {
    let mut started: Vec<Thunk> = Vec::new();
    let mut current = thunk;
    let result = loop {
        match current.start() {
            Begin::Ready(v) => break Ok(v),
            Begin::Blackhole => break Err(Error::new(ErrorKind::InfiniteRecursion)),
            Begin::Failed(e) => break Err(e),
            Begin::Started => {
                // The work stays in the thunk, marked running, as on the
                // fiber VM: forcing the thunk meanwhile finds it running
                // (infinite recursion). A copy of it runs here, as the
                // borrow cannot be held across the frames it takes.
                let work = current.running().map(|work| work.clone());
                let outcome = match work {
                    Some(work) => run_deferred(co, work).await,
                    None => Err(Error::new(ErrorKind::InfiniteRecursion)),
                };
                match outcome {
                    Ok(Value::Thunk(next)) => {
                        started.push(std::mem::replace(&mut current, next));
                    }
                    other => {
                        started.push(current);
                        break other;
                    }
                }
            }
        }
    };
    // Only the thunks this loop started are settled: one found running
    // belongs to a forcing further up.
    for t in started.iter().rev() {
        t.settle(&result);
    }
    result
}

async fn run_deferred(co: &Co, deferred: Deferred) -> Result<Value> {
    match deferred {
        Deferred::Code(body) => enter_code(co, body).await,
        Deferred::Apply { function, arg } => call(co, function, arg).await,
        Deferred::Apply2(two) => {
            let TwoArgs { function, a, b } = *two;
            call2(co, function, a, b).await
        }
        Deferred::Ready(v) => Ok(v),
    }
}

/// Applies `function` to `arg` and forces the result.
pub(crate) async fn call_forced(co: &Co, function: Value, arg: Value) -> Result<Value> {
    let v = call(co, function, arg).await?;
    force(co, v).await
}

/// Applies `function` to two arguments and forces the result.
pub(crate) async fn call2_forced(co: &Co, function: Value, a: Value, b: Value) -> Result<Value> {
    let v = call2(co, function, a, b).await?;
    force(co, v).await
}

/// The generator behind calling a function value that is a pending thunk.
pub(crate) async fn force_then_call(co: Co, function: Thunk, arg: Value) -> Result<Value> {
    let function = force_thunk(&co, function).await?;
    call(&co, function, arg).await
}

/// The generator behind calling a set with `__functor`: `functor set arg`.
pub(crate) async fn call_functor(co: Co, functor: Value, set: Attrs, arg: Value) -> Result<Value> {
    let partial = call(&co, functor, Value::Attrs(set)).await?;
    call(&co, partial, arg).await
}

/// The generator behind `Op::Force` and forcing an instruction's operand.
pub(crate) async fn force_generator(co: Co, thunk: Thunk) -> Result<Value> {
    force_thunk(&co, thunk).await
}

// ---- typed forcing --------------------------------------------------------

/// Forces `v` and requires a list.
pub(crate) async fn force_list(co: &Co, v: Value) -> Result<List> {
    match force(co, v).await? {
        Value::List(l) => Ok(l),
        other => Err(Error::type_mismatch("a list", other.type_phrase())),
    }
}

/// Forces `v` and requires a set.
pub(crate) async fn force_attrs(co: &Co, v: Value) -> Result<Attrs> {
    match force(co, v).await? {
        Value::Attrs(a) => Ok(a),
        other => Err(Error::type_mismatch("a set", other.type_phrase())),
    }
}

/// Forces `v` and requires an integer.
pub(crate) async fn force_int(co: &Co, v: Value) -> Result<i64> {
    match force(co, v).await? {
        Value::Int(i) => Ok(i),
        other => Err(Error::type_mismatch("an integer", other.type_phrase())),
    }
}

/// Forces `v` and requires a string.
pub(crate) async fn force_string(co: &Co, v: Value) -> Result<NixString> {
    match force(co, v).await? {
        Value::String(s) => Ok(s),
        other => Err(Error::type_mismatch("a string", other.type_phrase())),
    }
}

/// Forces `v` and requires a function.
pub(crate) async fn force_function(co: &Co, v: Value) -> Result<Value> {
    let v = force(co, v).await?;
    let functor = matches!(&v, Value::Attrs(a) if a.get(crate::symbol::known::functor()).is_some());
    if v.is_function() || functor {
        Ok(v)
    } else {
        Err(Error::type_mismatch("a function", v.type_phrase()))
    }
}

/// Forces a string and interns it as an attribute name (which may not
/// refer to store paths).
pub(crate) async fn name_arg(co: &Co, v: Value) -> Result<Symbol> {
    Ok(Symbol::intern(
        force_string(co, v).await?.refusing_context()?.as_bytes(),
    ))
}

// ---- equality and ordering --------------------------------------------------

/// Containers whose elements are being compared, with the next position
/// and whether the two are one container compared with itself.
enum EqWork {
    Lists(List, List, usize, bool),
    Sets(Attrs, Attrs, usize, bool),
}

/// `a == b`, comparing nested elements depth first in the fiber VM's
/// order and stopping at the first difference. Members of containers that
/// are the same cell (`same_object`, or the same position of one container)
/// are only forced, as in `Vm::equal_members`.
pub(crate) async fn nix_eq(co: &Co, a: Value, b: Value) -> Result<bool> {
    let mut work: Vec<EqWork> = Vec::new();
    let mut pair = Some((a, b));
    loop {
        if let Some((a, b)) = pair.take() {
            let a = force(co, a).await?;
            let b = force(co, b).await?;
            match (a, b) {
                (Value::List(x), Value::List(y)) => {
                    if x.len() != y.len() {
                        return Ok(false);
                    }
                    let same = x.ptr_eq(&y);
                    work.push(EqWork::Lists(x, y, 0, same));
                }
                (Value::Attrs(x), Value::Attrs(y)) => {
                    let same = x.ptr_eq(&y);
                    if is_derivation(co, &x).await? && is_derivation(co, &y).await? {
                        if let (Some(p), Some(q)) =
                            (x.get(known::out_path()), y.get(known::out_path()))
                        {
                            // Two derivations are equal when their outputs are.
                            pair = member_pair(co, same, p, q).await?;
                            continue;
                        }
                    }
                    if x.len() != y.len() {
                        return Ok(false);
                    }
                    work.push(EqWork::Sets(x, y, 0, same));
                }
                (a, b) => {
                    if !scalar_equal(&a, &b) {
                        return Ok(false);
                    }
                }
            }
        }
        let Some(top) = work.last_mut() else {
            return Ok(true);
        };
        match top {
            EqWork::Lists(x, y, i, same) => {
                if *i == x.len() {
                    work.pop();
                } else {
                    let (p, q) = (x.as_slice()[*i].clone(), y.as_slice()[*i].clone());
                    *i += 1;
                    let same = *same;
                    pair = member_pair(co, same, &p, &q).await?;
                }
            }
            EqWork::Sets(x, y, i, same) => match (x.entry_at(*i), y.entry_at(*i)) {
                (Some((kx, vx)), Some((ky, vy))) => {
                    *i += 1;
                    if kx != ky {
                        return Ok(false);
                    }
                    let (vx, vy, same) = (vx.clone(), vy.clone(), *same);
                    pair = member_pair(co, same, &vx, &vy).await?;
                }
                _ => {
                    work.pop();
                }
            },
        }
    }
}

/// Two members of containers to compare: none when they are one cell,
/// which is then only forced.
async fn member_pair(
    co: &Co,
    same_container: bool,
    a: &Value,
    b: &Value,
) -> Result<Option<(Value, Value)>> {
    if same_container || same_object(a, b) {
        force(co, a.clone()).await?;
        return Ok(None);
    }
    Ok(Some((a.clone(), b.clone())))
}

/// `Vm::equal_members`: equality of two values held by containers.
pub(crate) async fn nix_eq_members(co: &Co, a: &Value, b: &Value) -> Result<bool> {
    match member_pair(co, false, a, b).await? {
        None => Ok(true),
        Some((a, b)) => nix_eq(co, a, b).await,
    }
}

/// Whether a set is a derivation (`type = "derivation"`).
pub(crate) async fn is_derivation(co: &Co, attrs: &Attrs) -> Result<bool> {
    match attrs.get(known::type_()) {
        Some(t) => match force(co, t.clone()).await? {
            Value::String(s) => Ok(s.as_bytes() == b"derivation"),
            _ => Ok(false),
        },
        None => Ok(false),
    }
}

/// Nix's ordering. Lists compare lexicographically: the first elements
/// that are not `==` decide, by `<`, which is a loop rather than recursion.
pub(crate) async fn compare(co: &Co, a: Value, b: Value) -> Result<Ordering> {
    let (mut a, mut b) = (a, b);
    'pair: loop {
        let a_forced = force(co, a).await?;
        let b_forced = force(co, b).await?;
        if let (Value::List(x), Value::List(y)) = (&a_forced, &b_forced) {
            for (p, q) in x.iter().zip(y.iter()) {
                if nix_eq_members(co, p, q).await? {
                    continue;
                }
                (a, b) = (p.clone(), q.clone());
                continue 'pair;
            }
            return Ok(x.len().cmp(&y.len()));
        }
        return compare_scalars(&a_forced, &b_forced);
    }
}

/// `a < b`.
pub(crate) async fn less_than(co: &Co, a: Value, b: Value) -> Result<bool> {
    Ok(compare(co, a, b).await? == Ordering::Less)
}

// ---- string coercion ----------------------------------------------------------

/// A value coerced, or a list whose elements are still to be (`toString`).
enum Coerced {
    String(NixString),
    List(List),
}

/// A list being coerced by `toString`: its elements joined with spaces.
struct OpenList {
    items: List,
    next: usize,
    /// Whether the element being coerced is an empty list (Nix puts no
    /// space after one).
    current_is_empty_list: bool,
    out: StringBuilder,
}

/// Coerces `value` to a string by Nix's rules (see [`CoercionKind`]).
/// Nested lists are walked with an explicit stack.
pub(crate) async fn coerce_to_string(
    co: &Co,
    ctx: &EvalContext,
    value: Value,
    kind: CoercionKind,
) -> Result<NixString> {
    let mut open: Vec<OpenList> = Vec::new();
    let mut next = value;
    loop {
        let mut done = match coerce_one(co, ctx, next, kind).await? {
            Coerced::String(s) => Some(s),
            Coerced::List(items) => {
                open.push(OpenList {
                    items,
                    next: 0,
                    current_is_empty_list: false,
                    out: StringBuilder::default(),
                });
                None
            }
        };
        // Hand the string to the list it is an element of, closing lists
        // that are complete, until an element is left to coerce.
        next = loop {
            let Some(list) = open.last_mut() else {
                return Ok(done.unwrap_or_else(|| NixString::new("")));
            };
            if let Some(s) = done.take() {
                list.out.push(&s);
                if list.next < list.items.len() && !list.current_is_empty_list {
                    list.out.push_str(" ");
                }
            }
            if list.next < list.items.len() {
                let item = force(co, list.items.as_slice()[list.next].clone()).await?;
                list.current_is_empty_list = matches!(&item, Value::List(l) if l.is_empty());
                list.next += 1;
                break item;
            }
            let finished = open.pop().map(|l| l.out.finish());
            done = finished;
        };
    }
}

/// Coerces one value, following `__toString` and `outPath`; a list under
/// `toString` is handed back for the caller to walk.
async fn coerce_one(
    co: &Co,
    ctx: &EvalContext,
    value: Value,
    kind: CoercionKind,
) -> Result<Coerced> {
    let mut value = value;
    // Each `__toString` nests a call in Nix: an endless chain of them ends
    // as endless recursion does, when the frames it stands for would
    // exceed the stack budget.
    let budget = ctx.settings.stack_budget;
    let mut calls = 0;
    loop {
        let forced = force(co, value).await?;
        let s = match forced {
            Value::String(s) => s,
            Value::Path(p) => match kind {
                CoercionKind::Interpolation => ctx.copy_path_to_store(p.utf8()?)?,
                _ => p,
            },
            Value::Attrs(attrs) => {
                if let Some(f) = attrs.get(known::to_string()).cloned() {
                    calls += 1;
                    if calls >= budget / super::FRAME_COST {
                        return Err(Error::new(ErrorKind::StackExhausted { budget }));
                    }
                    value = call(co, f, Value::Attrs(attrs)).await?;
                    continue;
                }
                if let Some(out) = attrs.get(known::out_path()).cloned() {
                    value = out;
                    continue;
                }
                return Err(Error::new(ErrorKind::NotCoercible("a set")));
            }
            Value::Int(i) if kind == CoercionKind::ToString => NixString::new(i.to_string()),
            Value::Float(f) if kind == CoercionKind::ToString => {
                NixString::new(format_float_to_string(f))
            }
            Value::Bool(true) if kind == CoercionKind::ToString => NixString::new("1"),
            Value::Bool(false) | Value::Null if kind == CoercionKind::ToString => {
                NixString::new("")
            }
            Value::List(items) if kind == CoercionKind::ToString => {
                return Ok(Coerced::List(items))
            }
            other => return Err(Error::new(ErrorKind::NotCoercible(other.type_phrase()))),
        };
        return Ok(Coerced::String(s));
    }
}

// ---- operators that need evaluation -----------------------------------------

/// The generator behind `a + b` when an operand is a set (whose
/// `__toString` or `outPath` may have to be evaluated).
pub(crate) async fn add(co: Co, ctx: Rc<EvalContext>, a: Value, b: Value) -> Result<Value> {
    let a = force(&co, a).await?;
    match &a {
        Value::Int(_) | Value::Float(_) => {
            let b = force(&co, b).await?;
            Detached::new(ctx).add(a, b)
        }
        Value::Path(p) => {
            // Appended paths stay paths: nothing is copied to the store.
            let suffix = coerce_to_string(&co, &ctx, b, CoercionKind::PathInterpolation).await?;
            append_to_path(p, &suffix)
        }
        _ => {
            let a = coerce_to_string(&co, &ctx, a, CoercionKind::Interpolation).await?;
            let b = coerce_to_string(&co, &ctx, b, CoercionKind::Interpolation).await?;
            Ok(Value::String(StringBuilder::concat([&a, &b], &ctx.limits)?))
        }
    }
}

/// The generator behind `"…${x}…"` when a part is not a string yet.
pub(crate) async fn interpolate(co: Co, ctx: Rc<EvalContext>, parts: Vec<Value>) -> Result<Value> {
    let mut strings = Vec::with_capacity(parts.len());
    for part in parts {
        strings.push(coerce_to_string(&co, &ctx, part, CoercionKind::Interpolation).await?);
    }
    Ok(Value::String(StringBuilder::concat(&strings, &ctx.limits)?))
}

/// The generator behind `./a/${x}` when a part is not a string or path yet.
pub(crate) async fn interpolate_path(
    co: Co,
    ctx: Rc<EvalContext>,
    parts: Vec<Value>,
) -> Result<Value> {
    let mut text = Vec::new();
    for part in parts {
        let s = coerce_to_string(&co, &ctx, part, CoercionKind::PathInterpolation).await?;
        text.extend_from_slice(s.as_bytes());
    }
    Ok(Value::Path(NixString::new(crate::path::canonicalise(
        &text,
    ))))
}

/// The generator behind `==` and `!=` on two lists or two sets.
pub(crate) async fn equality(co: Co, a: Value, b: Value, negate: bool) -> Result<Value> {
    Ok(Value::Bool(nix_eq(&co, a, b).await? != negate))
}

/// The generator behind `<`, `<=`, `>` and `>=` on two lists: whether
/// `a < b` (or, with `negate`, whether not). The instruction orders the
/// operands so that every comparison is a `<`, as the fiber VM does.
pub(crate) async fn less_than_generator(co: Co, a: Value, b: Value, negate: bool) -> Result<Value> {
    Ok(Value::Bool(less_than(&co, a, b).await? != negate))
}

// ---- deep forcing -------------------------------------------------------------

/// Forces `value` and everything inside it, depth first in the fiber VM's
/// order, remembering the sets and lists walked as it does (see
/// [`Visit`]): each is walked at most twice however it is shared, and a
/// cycle ends the walk.
pub(crate) async fn deep_force(co: &Co, value: Value) -> Result<Value> {
    let root = force(co, value).await?;
    let mut seen: FxHashSet<usize> = FxHashSet::default();
    let mut open: Vec<(Value, usize, Visit)> = Vec::new();
    if Visit::Root.first(&root, &mut seen) {
        open.push((root.clone(), 0, Visit::Root));
    }
    while let Some((container, next, visit)) = open.last_mut() {
        let (container, visit) = (&*container, *visit);
        let (item, child) = match container {
            Value::Attrs(attrs) if *next < attrs.len() => {
                let Some((name, entry)) = attrs.entry_at(*next) else {
                    open.pop();
                    continue;
                };
                *next += 1;
                let item = force(co, entry.clone()).await.map_err(|e| {
                    crate::trace::with_context(
                        e,
                        format!("while evaluating the attribute '{name}'"),
                    )
                })?;
                let child = visit.of_child(container, entry, &item);
                (item, child)
            }
            Value::List(items) if *next < items.len() => {
                let at = *next;
                *next += 1;
                let item = force(co, items.as_slice()[at].clone()).await?;
                let child = visit.of_child(container, &items.as_slice()[at], &item);
                (item, child)
            }
            _ => {
                open.pop();
                continue;
            }
        };
        if child.first(&item, &mut seen) {
            open.push((item, 0, child));
        }
    }
    Ok(root)
}

/// The generator behind a deep force requested from outside the VM.
pub(crate) async fn deep_force_generator(co: Co, value: Value) -> Result<Value> {
    deep_force(&co, value).await
}
