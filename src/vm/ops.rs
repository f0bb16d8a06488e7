//! Arithmetic, list and set operators, and string interpolation.

use super::{CoercionKind, Vm};
use crate::bytecode::plus_floats;
use crate::error::{Error, ErrorKind, Result};
use crate::symbol::known;
use crate::value::{List, NixString, StringBuilder, Value};

impl Vm {
    /// `a + b`: numbers are added; a path takes the other operand, coerced,
    /// as a suffix; anything else is coerced to a string and concatenated
    /// (`{ __toString = … ; } + "x"` is a string), as Nix's string
    /// concatenation does.
    pub fn add(&mut self, a: Value, b: Value) -> Result<Value> {
        let a = self.force(a)?;
        match &a {
            Value::Int(_) | Value::Float(_) => {
                let b = self.force(b)?;
                match (&a, &b) {
                    (Value::Int(x), Value::Int(y)) => x
                        .checked_add(*y)
                        .map(Value::Int)
                        .ok_or_else(|| overflow("addition")),
                    (Value::Float(x), Value::Float(y)) => Ok(Value::Float(plus_floats(*x, *y))),
                    (Value::Int(x), Value::Float(y)) => {
                        Ok(Value::Float(plus_floats(*x as f64, *y)))
                    }
                    (Value::Float(x), Value::Int(y)) => {
                        Ok(Value::Float(plus_floats(*x, *y as f64)))
                    }
                    _ => Err(Error::other(format!(
                        "cannot add {} to {}",
                        b.type_phrase(),
                        a.type_phrase()
                    ))),
                }
            }
            Value::Path(p) => {
                // Appended paths stay paths: nothing is copied to the store.
                let suffix = self.coerce_to_string(b, CoercionKind::PathInterpolation)?;
                append_to_path(p, &suffix)
            }
            _ => {
                let a = self.coerce_to_string(a, CoercionKind::Interpolation)?;
                let b = self.coerce_to_string(b, CoercionKind::Interpolation)?;
                let joined = StringBuilder::concat([&a, &b], &self.ctx.limits)?;
                Ok(Value::String(joined))
            }
        }
    }

    /// `builtins.add a b`: numbers only, floats added as IEEE does (unlike
    /// the `+` operator, see [`plus_floats`]).
    pub fn add_numbers(&mut self, a: Value, b: Value) -> Result<Value> {
        self.arith(a, b, "addition", i64::checked_add, |x, y| x + y)
    }

    /// `a - b`.
    pub fn sub(&mut self, a: Value, b: Value) -> Result<Value> {
        self.arith(a, b, "subtraction", i64::checked_sub, |x, y| x - y)
    }

    /// `a * b`.
    pub fn mul(&mut self, a: Value, b: Value) -> Result<Value> {
        self.arith(a, b, "multiplication", i64::checked_mul, |x, y| x * y)
    }

    /// `a / b`.
    pub fn div(&mut self, a: Value, b: Value) -> Result<Value> {
        let a = self.force(a)?;
        let b = self.force(b)?;
        match (&b, &a) {
            (Value::Int(0), _) => return Err(Error::new(ErrorKind::DivisionByZero)),
            (Value::Float(f), _) if *f == 0.0 => return Err(Error::new(ErrorKind::DivisionByZero)),
            _ => {}
        }
        self.arith(a, b, "division", i64::checked_div, |x, y| x / y)
    }

    fn arith(
        &mut self,
        a: Value,
        b: Value,
        what: &'static str,
        int_op: fn(i64, i64) -> Option<i64>,
        float_op: fn(f64, f64) -> f64,
    ) -> Result<Value> {
        let a = self.force(a)?;
        let b = self.force(b)?;
        match (&a, &b) {
            (Value::Int(x), Value::Int(y)) => {
                int_op(*x, *y).map(Value::Int).ok_or_else(|| overflow(what))
            }
            (Value::Float(x), Value::Float(y)) => Ok(Value::Float(float_op(*x, *y))),
            (Value::Int(x), Value::Float(y)) => Ok(Value::Float(float_op(*x as f64, *y))),
            (Value::Float(x), Value::Int(y)) => Ok(Value::Float(float_op(*x, *y as f64))),
            (Value::Int(_) | Value::Float(_), _) => {
                Err(Error::type_mismatch("an integer", b.type_phrase()))
            }
            _ => Err(Error::type_mismatch("an integer", a.type_phrase())),
        }
    }

    pub(crate) fn negate(&mut self, v: Value) -> Result<Value> {
        match self.force(v)? {
            Value::Int(i) => i
                .checked_neg()
                .map(Value::Int)
                .ok_or_else(|| overflow("negation")),
            // Nix reads `-x` as `0 - x`, so the negation of 0.0 is 0.0.
            Value::Float(f) => Ok(Value::Float(0.0 - f)),
            other => Err(Error::type_mismatch("an integer", other.type_phrase())),
        }
    }

    pub(crate) fn concat(&mut self, a: Value, b: Value) -> Result<Value> {
        let a = self.force_list(a)?;
        let b = self.force_list(b)?;
        self.ctx
            .limits
            .reserve(List::bytes_for(a.len() + b.len()))?;
        Ok(Value::List(a.concat(b)))
    }

    pub(crate) fn update(&mut self, a: Value, b: Value) -> Result<Value> {
        let a = self.force_attrs(a)?;
        let b = self.force_attrs(b)?;
        Ok(Value::Attrs(a.update_owned(&b)))
    }

    /// Forces `v` and requires a list.
    pub fn force_list(&mut self, v: Value) -> Result<List> {
        match self.force(v)? {
            Value::List(l) => Ok(l),
            other => Err(Error::type_mismatch("a list", other.type_phrase())),
        }
    }

    /// Forces `v` and requires a set.
    pub fn force_attrs(&mut self, v: Value) -> Result<crate::value::Attrs> {
        match self.force(v)? {
            Value::Attrs(a) => Ok(a),
            other => Err(Error::type_mismatch("a set", other.type_phrase())),
        }
    }

    /// Forces `v` and requires an integer.
    pub fn force_int(&mut self, v: Value) -> Result<i64> {
        match self.force(v)? {
            Value::Int(i) => Ok(i),
            other => Err(Error::type_mismatch("an integer", other.type_phrase())),
        }
    }

    /// Forces `v` and requires a string (with its context).
    pub fn force_string(&mut self, v: Value) -> Result<NixString> {
        match self.force(v)? {
            Value::String(s) => Ok(s),
            other => Err(Error::type_mismatch("a string", other.type_phrase())),
        }
    }

    /// Forces `v` and requires something callable: a function, or a set with
    /// `__functor` (what Nix's `forceFunction` accepts).
    pub fn force_function(&mut self, v: Value) -> Result<Value> {
        let v = self.force(v)?;
        let functor = matches!(&v, Value::Attrs(a) if a.get(known::functor()).is_some());
        if v.is_function() || functor {
            Ok(v)
        } else {
            Err(Error::type_mismatch("a function", v.type_phrase()))
        }
    }

    #[inline(never)]
    pub(super) fn interpolate(&mut self, n: usize) -> Result<()> {
        let parts = self.stack.split_off(self.stack.len() - n);
        let strings = parts
            .into_iter()
            .map(|part| self.coerce_to_string(part, CoercionKind::Interpolation))
            .collect::<Result<Vec<_>>>()?;
        let joined = StringBuilder::concat(&strings, &self.ctx.limits)?;
        self.stack.push(Value::String(joined));
        Ok(())
    }

    #[inline(never)]
    pub(super) fn interpolate_path(&mut self, n: usize) -> Result<()> {
        let parts = self.stack.split_off(self.stack.len() - n);
        let mut text = Vec::new();
        for part in parts {
            let s = self.coerce_to_string(part, CoercionKind::PathInterpolation)?;
            text.extend_from_slice(s.as_bytes());
        }
        self.stack
            .push(Value::Path(NixString::new(crate::path::canonicalise(
                &text,
            ))));
        Ok(())
    }
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
