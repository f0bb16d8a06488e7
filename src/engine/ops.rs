//! Operators and typed forcing, written once for every [`Engine`].

use super::{CoercionKind, Engine};
use crate::bytecode::plus_floats;
use crate::error::{Error, ErrorKind, Result};
use crate::symbol::{known, Symbol};
use crate::value::{List, NixString, StringBuilder, Value};

/// The arithmetic operators that treat integers and floats alike.
#[derive(Clone, Copy)]
pub(super) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

impl Arith {
    fn what(self) -> &'static str {
        match self {
            Arith::Add => "addition",
            Arith::Sub => "subtraction",
            Arith::Mul => "multiplication",
            Arith::Div => "division",
        }
    }

    fn ints(self, x: i64, y: i64) -> Option<i64> {
        match self {
            Arith::Add => x.checked_add(y),
            Arith::Sub => x.checked_sub(y),
            Arith::Mul => x.checked_mul(y),
            Arith::Div => x.checked_div(y),
        }
    }

    fn floats(self, x: f64, y: f64) -> f64 {
        match self {
            Arith::Add => x + y,
            Arith::Sub => x - y,
            Arith::Mul => x * y,
            Arith::Div => x / y,
        }
    }
}

/// `a + b`: numbers are added; a path takes the other operand, coerced,
/// as a suffix; anything else is coerced to a string and concatenated
/// (`{ __toString = … ; } + "x"` is a string), as Nix's string
/// concatenation does.
pub(super) fn add<E: Engine + ?Sized>(e: &mut E, a: Value, b: Value) -> Result<Value> {
    let a = e.force(a)?;
    match &a {
        Value::Int(_) | Value::Float(_) => {
            let b = e.force(b)?;
            match (&a, &b) {
                (Value::Int(x), Value::Int(y)) => x
                    .checked_add(*y)
                    .map(Value::Int)
                    .ok_or_else(|| overflow("addition")),
                (Value::Float(x), Value::Float(y)) => Ok(Value::Float(plus_floats(*x, *y))),
                (Value::Int(x), Value::Float(y)) => Ok(Value::Float(plus_floats(*x as f64, *y))),
                (Value::Float(x), Value::Int(y)) => Ok(Value::Float(plus_floats(*x, *y as f64))),
                _ => Err(Error::other(format!(
                    "cannot add {} to {}",
                    b.type_phrase(),
                    a.type_phrase()
                ))),
            }
        }
        Value::Path(p) => {
            // Appended paths stay paths: nothing is copied to the store.
            let suffix = e.coerce_to_string(b, CoercionKind::PathInterpolation)?;
            append_to_path(p, &suffix)
        }
        _ => {
            let a = e.coerce_to_string(a, CoercionKind::Interpolation)?;
            let b = e.coerce_to_string(b, CoercionKind::Interpolation)?;
            let joined = StringBuilder::concat([&a, &b], &e.context().limits)?;
            Ok(Value::String(joined))
        }
    }
}

/// `a / b`.
pub(super) fn div<E: Engine + ?Sized>(e: &mut E, a: Value, b: Value) -> Result<Value> {
    let a = e.force(a)?;
    let b = e.force(b)?;
    match (&b, &a) {
        (Value::Int(0), _) => return Err(Error::new(ErrorKind::DivisionByZero)),
        (Value::Float(f), _) if *f == 0.0 => return Err(Error::new(ErrorKind::DivisionByZero)),
        _ => {}
    }
    arith(e, a, b, Arith::Div)
}

pub(super) fn arith<E: Engine + ?Sized>(e: &mut E, a: Value, b: Value, op: Arith) -> Result<Value> {
    let a = e.force(a)?;
    let b = e.force(b)?;
    match (&a, &b) {
        (Value::Int(x), Value::Int(y)) => op
            .ints(*x, *y)
            .map(Value::Int)
            .ok_or_else(|| overflow(op.what())),
        (Value::Float(x), Value::Float(y)) => Ok(Value::Float(op.floats(*x, *y))),
        (Value::Int(x), Value::Float(y)) => Ok(Value::Float(op.floats(*x as f64, *y))),
        (Value::Float(x), Value::Int(y)) => Ok(Value::Float(op.floats(*x, *y as f64))),
        (Value::Int(_) | Value::Float(_), _) => {
            Err(Error::type_mismatch("an integer", b.type_phrase()))
        }
        _ => Err(Error::type_mismatch("an integer", a.type_phrase())),
    }
}

pub(super) fn negate<E: Engine + ?Sized>(e: &mut E, v: Value) -> Result<Value> {
    match e.force(v)? {
        Value::Int(i) => i
            .checked_neg()
            .map(Value::Int)
            .ok_or_else(|| overflow("negation")),
        // Nix reads `-x` as `0 - x`, so the negation of 0.0 is 0.0.
        Value::Float(f) => Ok(Value::Float(0.0 - f)),
        other => Err(Error::type_mismatch("an integer", other.type_phrase())),
    }
}

pub(super) fn concat<E: Engine + ?Sized>(e: &mut E, a: Value, b: Value) -> Result<Value> {
    let a = e.force_list(a)?;
    let b = e.force_list(b)?;
    e.context()
        .limits
        .reserve(List::bytes_for(a.len() + b.len()))?;
    Ok(Value::List(a.concat(b)))
}

pub(super) fn update<E: Engine + ?Sized>(e: &mut E, a: Value, b: Value) -> Result<Value> {
    let a = e.force_attrs(a)?;
    let b = e.force_attrs(b)?;
    Ok(Value::Attrs(a.update_owned(&b)))
}

/// Forces `v` and requires a list.
pub(super) fn force_list<E: Engine + ?Sized>(e: &mut E, v: Value) -> Result<List> {
    match e.force(v)? {
        Value::List(l) => Ok(l),
        other => Err(Error::type_mismatch("a list", other.type_phrase())),
    }
}

/// Forces `v` and requires a set.
pub(super) fn force_attrs<E: Engine + ?Sized>(e: &mut E, v: Value) -> Result<crate::value::Attrs> {
    match e.force(v)? {
        Value::Attrs(a) => Ok(a),
        other => Err(Error::type_mismatch("a set", other.type_phrase())),
    }
}

/// Forces `v` and requires an integer.
pub(super) fn force_int<E: Engine + ?Sized>(e: &mut E, v: Value) -> Result<i64> {
    match e.force(v)? {
        Value::Int(i) => Ok(i),
        other => Err(Error::type_mismatch("an integer", other.type_phrase())),
    }
}

/// Forces `v` and requires a string (with its context).
pub(super) fn force_string<E: Engine + ?Sized>(e: &mut E, v: Value) -> Result<NixString> {
    match e.force(v)? {
        Value::String(s) => Ok(s),
        other => Err(Error::type_mismatch("a string", other.type_phrase())),
    }
}

/// Forces `v` and requires something callable: a function, or a set with
/// `__functor` (what Nix's `forceFunction` accepts).
pub(super) fn force_function<E: Engine + ?Sized>(e: &mut E, v: Value) -> Result<Value> {
    let v = e.force(v)?;
    let functor = matches!(&v, Value::Attrs(a) if a.get(known::functor()).is_some());
    if v.is_function() || functor {
        Ok(v)
    } else {
        Err(Error::type_mismatch("a function", v.type_phrase()))
    }
}

/// Forces `value` and requires a Boolean.
pub(super) fn force_bool<E: Engine + ?Sized>(e: &mut E, value: Value) -> Result<bool> {
    match e.force(value)? {
        Value::Bool(b) => Ok(b),
        other => Err(Error::type_mismatch("a Boolean", other.type_phrase())),
    }
}

/// Turns a computed attribute name into a symbol.
pub(super) fn attr_name<E: Engine + ?Sized>(e: &mut E, name: Value) -> Result<Symbol> {
    match e.force(name)? {
        Value::String(s) => Ok(Symbol::intern(s.refusing_context()?.as_bytes())),
        other => Err(Error::type_mismatch("a string", other.type_phrase())),
    }
}

/// `set.name`, failing when it is missing.
pub(super) fn select<E: Engine + ?Sized>(e: &mut E, set: Value, name: Symbol) -> Result<Value> {
    match e.force(set)? {
        Value::Attrs(attrs) => match attrs.get(name) {
            Some(v) => Ok(v.clone()),
            None => Err(missing_attribute(name)),
        },
        other => Err(Error::type_mismatch("a set", other.type_phrase())),
    }
}

/// `set.name`, or `None` when `set` is not a set or lacks `name`.
pub(super) fn select_maybe<E: Engine + ?Sized>(
    e: &mut E,
    set: Value,
    name: Symbol,
) -> Result<Option<Value>> {
    match e.force(set)? {
        Value::Attrs(attrs) => Ok(attrs.get(name).cloned()),
        _ => Ok(None),
    }
}

#[cold]
pub(crate) fn missing_attribute(name: Symbol) -> Error {
    Error::new(ErrorKind::MissingAttribute(name.display_name()))
}

/// `path + "suffix"`, once the suffix is coerced.
pub(crate) fn append_to_path(path: &NixString, suffix: &NixString) -> Result<Value> {
    if suffix.has_context() {
        return Err(Error::other(format!(
            "a string that refers to a store path cannot be appended to a path ('{suffix}')"
        )));
    }
    let joined = [path.as_bytes(), suffix.as_bytes()].concat();
    Ok(Value::Path(NixString::new(crate::path::canonicalise(
        &joined,
    ))))
}

#[cold]
fn overflow(what: &'static str) -> Error {
    Error::new(ErrorKind::IntegerOverflow(what))
}
