//! Equality and ordering, with Nix's rules.

use std::cmp::Ordering;

use spindle_fiber::ensure_sufficient_stack;

use super::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::symbol::known;
use crate::value::Value;

/// `a == b`. The operands of `==` are never "the same" in Nix's sense
/// (`f == f` is false for a function): only values held by containers
/// are, see `equal_members`.
pub(super) fn equal<E: Engine + ?Sized>(e: &mut E, a: Value, b: Value) -> Result<bool> {
    let a = e.force(a)?;
    let b = e.force(b)?;
    equal_forced(e, &a, &b)
}

/// Equality of two values held by containers: elements of lists,
/// values of sets, and `elem`'s argument against an element. Nix 2.8
/// compares the cells that hold them, and a cell is equal to itself
/// once forced, whatever it holds (`[ f ] == [ f ]` for a function,
/// `[ x ] == [ x ]` for a set with a failing attribute); see
/// `same_object` for what counts as the same cell here.
pub(super) fn equal_members<E: Engine + ?Sized>(e: &mut E, a: &Value, b: &Value) -> Result<bool> {
    if same_object(a, b) {
        e.force_ref(a)?;
        return Ok(true);
    }
    ensure_sufficient_stack(|| equal(e, a.clone(), b.clone()))
}

/// Like `equal_members`, for two values at the same position of one
/// container compared with itself, which are one cell whatever they are.
fn equal_members_in<E: Engine + ?Sized>(
    e: &mut E,
    same_container: bool,
    a: &Value,
    b: &Value,
) -> Result<bool> {
    if same_container {
        e.force_ref(a)?;
        return Ok(true);
    }
    equal_members(e, a, b)
}

fn equal_forced<E: Engine + ?Sized>(e: &mut E, a: &Value, b: &Value) -> Result<bool> {
    Ok(match (a, b) {
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            // A list compared with itself is still forced element by
            // element, as Nix does.
            let same = x.ptr_eq(y);
            for (p, q) in x.iter().zip(y.iter()) {
                if !equal_members_in(e, same, p, q)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Attrs(x), Value::Attrs(y)) => {
            let same = x.ptr_eq(y);
            if is_derivation(e, x)? && is_derivation(e, y)? {
                if let (Some(p), Some(q)) = (x.get(known::out_path()), y.get(known::out_path())) {
                    return equal_members_in(e, same, &p.clone(), &q.clone());
                }
            }
            if x.len() != y.len() {
                return Ok(false);
            }
            for ((kx, vx), (ky, vy)) in x.iter().zip(y.iter()) {
                if kx != ky {
                    return Ok(false);
                }
                if !equal_members_in(e, same, vx, vy)? {
                    return Ok(false);
                }
            }
            true
        }
        _ => scalar_equal(a, b),
    })
}

/// Whether a set is a derivation (`type = "derivation"`).
pub(super) fn is_derivation<E: Engine + ?Sized>(
    e: &mut E,
    attrs: &crate::value::Attrs,
) -> Result<bool> {
    match attrs.get(known::type_()) {
        Some(t) => match e.force_ref(t)? {
            Value::String(s) => Ok(s.as_bytes() == b"derivation"),
            _ => Ok(false),
        },
        None => Ok(false),
    }
}

/// Nix's ordering: numbers, strings, paths, and lists lexicographically.
pub(super) fn compare<E: Engine + ?Sized>(e: &mut E, a: Value, b: Value) -> Result<Ordering> {
    let a = e.force(a)?;
    let b = e.force(b)?;
    match (&a, &b) {
        (Value::List(x), Value::List(y)) => {
            for (p, q) in x.iter().zip(y.iter()) {
                // Nix compares elements with `==` first, then `<`.
                if equal_members(e, p, q)? {
                    continue;
                }
                let (p, q) = (p.clone(), q.clone());
                return ensure_sufficient_stack(|| compare(e, p, q));
            }
            Ok(x.len().cmp(&y.len()))
        }
        _ => compare_scalars(&a, &b),
    }
}

/// Whether two values held by containers stand for the same cell of Nix
/// 2.8, which compares such cells by address before their contents. A
/// thunk is its own cell, shared by every container that took it from a
/// variable; a value that needed no thunk (a variable bound to a function,
/// set or list, a builtin named by a global) is shared as the same
/// allocation. A thunk and an evaluated value are never the same cell, even
/// when the thunk evaluates to that value (`[ s.f ] == [ f ]` is false in
/// Nix for a function `f`, since selecting makes a cell of its own).
pub(crate) fn same_object(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Thunk(x), Value::Thunk(y)) => x.ptr_eq(y),
        (Value::Closure(x), Value::Closure(y)) => x.ptr_eq(y),
        (Value::Attrs(x), Value::Attrs(y)) => x.ptr_eq(y),
        (Value::List(x), Value::List(y)) => x.ptr_eq(y),
        (Value::PrimApp(x), Value::PrimApp(y)) => x.ptr_eq(y),
        (Value::Builtin(x), Value::Builtin(y)) => std::ptr::eq(*x, *y),
        _ => false,
    }
}

/// `==` on evaluated values other than two lists or two sets.
pub(crate) fn scalar_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Int(x), Value::Float(y)) => (*x as f64) == *y,
        (Value::Float(x), Value::Int(y)) => *x == (*y as f64),
        (Value::String(x), Value::String(y)) => x.as_bytes() == y.as_bytes(),
        (Value::Path(x), Value::Path(y)) => x.as_bytes() == y.as_bytes(),
        _ => false,
    }
}

/// Nix's ordering of evaluated values other than two lists.
pub(crate) fn compare_scalars(a: &Value, b: &Value) -> Result<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => Ok(float_order(*x, *y)),
        (Value::Int(x), Value::Float(y)) => Ok(float_order(*x as f64, *y)),
        (Value::Float(x), Value::Int(y)) => Ok(float_order(*x, *y as f64)),
        (Value::String(x), Value::String(y)) => Ok(x.as_bytes().cmp(y.as_bytes())),
        (Value::Path(x), Value::Path(y)) => Ok(x.as_bytes().cmp(y.as_bytes())),
        _ => Err(Error::new(ErrorKind::Incomparable(
            a.type_phrase(),
            b.type_phrase(),
        ))),
    }
}

/// NaN compares as neither less nor greater, which `<` reads as "not less".
fn float_order(x: f64, y: f64) -> Ordering {
    x.partial_cmp(&y).unwrap_or(Ordering::Equal)
}
