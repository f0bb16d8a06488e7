//! Stack operations both VMs' dispatch loops share: making closures, sets
//! and lists from a frame's values, and checking a call's formals. None of
//! them evaluates anything.

use std::rc::Rc;

use crate::bytecode::{Capture, Code, LookupNow};
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Attrs, Body, Closure, Deferred, List, Thunk, Upvalues, Value};

/// The captured values for a new closure or thunk, read from the creating
/// frame's locals (at `base` on `stack`) and captured values.
pub(crate) fn capture(
    stack: &[Value],
    captures: &[Capture],
    upvalues: &[Value],
    base: usize,
) -> Upvalues {
    Upvalues::from_fn(captures.len(), |i| {
        captured(stack, captures[i], upvalues, base)
    })
}

/// A new thunk running `code`, which it captures from the creating frame
/// as [`capture`] does.
#[inline]
pub(crate) fn code_thunk(
    stack: &[Value],
    code: &Rc<Code>,
    upvalues: &[Value],
    base: usize,
) -> Thunk {
    let body = Body::new(code, |i| captured(stack, code.captures[i], upvalues, base));
    Thunk::new(Deferred::Code(body))
}

/// A new thunk running `code`, whose captures `Finalise` fills in later
/// (a binding of a recursive `let` or `rec`).
pub(crate) fn deferred_thunk(code: &Rc<Code>) -> Thunk {
    Thunk::new(Deferred::Code(Body::Closure(Closure::deferred(
        code.clone(),
    ))))
}

/// One captured value, read from the creating frame.
#[inline(always)]
fn captured(stack: &[Value], capture: Capture, upvalues: &[Value], base: usize) -> Value {
    match capture {
        Capture::Local(slot) => stack[base + slot as usize].clone(),
        Capture::Upvalue(i) => upvalues[i as usize].clone(),
    }
}

/// What [`Op::LazyWithLookup`](crate::bytecode::Op::LazyWithLookup) `i`
/// of `code` pushes: the variable's value when the namespaces before it
/// are evaluated, a thunk that looks it up later when one is not.
pub(crate) fn lazy_with_lookup(
    stack: &[Value],
    code: &Code,
    i: u32,
    upvalues: &[Value],
    base: usize,
) -> Result<Value> {
    let lookup = &code.with_lookups[i as usize];
    let namespace = |c: Capture| match c {
        Capture::Local(slot) => &stack[base + slot as usize],
        Capture::Upvalue(u) => &upvalues[u as usize],
    };
    match lookup.now(namespace) {
        LookupNow::Found(value) => Ok(value),
        LookupNow::Later => {
            let Some(child) = lookup.thunk.map(|c| &code.children[c as usize]) else {
                return Err(Error::other(
                    "internal error: a lazy lookup without its thunk",
                ));
            };
            Ok(Value::Thunk(code_thunk(stack, child, upvalues, base)))
        }
        LookupNow::Undefined => Err(Error::new(ErrorKind::UndefinedVariable(
            lookup.name.display_name(),
        ))),
    }
}

/// What calling `closure` with `arg` returns when the closure's body is
/// itself a lambda (`a: b: …` applied to `a`, the usual function of two
/// arguments): the inner closure, made here without running any code.
pub(crate) fn curried_closure(closure: &Closure, arg: &Value) -> Option<Value> {
    let code = closure.code();
    let inner = &code.children[code.curried()? as usize];
    let locals = std::slice::from_ref(arg);
    let upvalues = capture(locals, &inner.captures, closure.upvalues(), 0);
    Some(Value::Closure(Closure::new(inner.clone(), upvalues)))
}

/// Fills the captures of the deferred closure or thunk in local `slot`.
///
/// The slot may hold something else by now: a formal's slot holds the
/// caller's value when the caller gave one, and that value's captures
/// belong to another frame, so only a body still deferred is completed.
#[inline(never)]
pub(crate) fn finalise(stack: &[Value], upvalues: &[Value], base: usize, slot: u32) {
    let (body, thunk) = match &stack[base + slot as usize] {
        Value::Closure(closure) => (Some(closure.clone()), None),
        Value::Thunk(thunk) => (thunk.pending_closure(), Some(thunk)),
        _ => (None, None),
    };
    if let Some(body) = body.filter(Closure::is_deferred) {
        let mut captured = capture(stack, &body.code().captures, upvalues, base);
        captured.route_deferred_through_thunks();
        body.set_upvalues(captured);
        if let Some(thunk) = thunk {
            thunk.body_completed();
        }
    }
}

/// Pops the values of attribute template `template` and pushes the set.
#[inline(never)]
pub(crate) fn make_attrs(stack: &mut Vec<Value>, code: &Code, template: u32) {
    let template = &code.attr_templates[template as usize];
    let n = template.names.len();
    let values = stack.drain(stack.len() - n..);
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
                name: name.display_name(),
            }));
        }
    }
    if !formals.ellipsis {
        if let Some((name, _)) = attrs.iter().find(|(n, _)| !formals.contains(*n)) {
            // Nix quotes a name that is not an identifier.
            let mut shown = Vec::new();
            crate::print::print_attr_name(&mut shown, &name.name());
            let shown = String::from_utf8_lossy(&shown).into_owned();
            return Err(Error::new(ErrorKind::UnexpectedArgument {
                function: code.display_name(),
                name: shown,
            }));
        }
    }
    Ok(())
}
