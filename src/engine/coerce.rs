//! Turning values into strings, by Nix's coercion rules.

use spindle_fiber::ensure_sufficient_stack;

use super::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::print::format_float_to_string;
use crate::symbol::known;
use crate::value::{NixString, StringBuilder, Value};

/// Which coercion: they differ in what they accept and what paths become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoercionKind {
    /// `"${x}"` and `+` on strings: strings, paths (copied to the store), and
    /// sets with `__toString` or `outPath`.
    Interpolation,
    /// `./a/${x}`: like interpolation, but paths stay paths.
    PathInterpolation,
    /// `toString x`: also numbers, Booleans, null and lists; paths stay paths.
    ToString,
}

/// Coerces `value` to a string.
pub(super) fn coerce_to_string<E: Engine + ?Sized>(
    e: &mut E,
    value: Value,
    kind: CoercionKind,
) -> Result<NixString> {
    let value = e.force(value)?;
    match value {
        Value::String(s) => Ok(s),
        Value::Path(p) => match kind {
            CoercionKind::Interpolation => e.copy_path_to_store(p.utf8()?),
            _ => Ok(p),
        },
        Value::Attrs(ref attrs) => {
            if let Some(f) = attrs.get(known::to_string()).cloned() {
                let result = ensure_sufficient_stack(|| e.call(f, value.clone()))?;
                return ensure_sufficient_stack(|| coerce_to_string(e, result, kind));
            }
            if let Some(out) = attrs.get(known::out_path()).cloned() {
                return ensure_sufficient_stack(|| coerce_to_string(e, out, kind));
            }
            Err(Error::new(ErrorKind::NotCoercible("a set")))
        }
        Value::Int(i) if kind == CoercionKind::ToString => Ok(NixString::new(i.to_string())),
        Value::Float(f) if kind == CoercionKind::ToString => {
            Ok(NixString::new(format_float_to_string(f)))
        }
        Value::Bool(true) if kind == CoercionKind::ToString => Ok(NixString::new("1")),
        Value::Bool(false) | Value::Null if kind == CoercionKind::ToString => {
            Ok(NixString::new(""))
        }
        Value::List(ref items) if kind == CoercionKind::ToString => {
            let mut out = StringBuilder::default();
            for (i, item) in items.iter().enumerate() {
                let item = e.force_ref(item)?;
                let is_empty_list = matches!(&item, Value::List(l) if l.is_empty());
                let s = ensure_sufficient_stack(|| coerce_to_string(e, item, kind))?;
                out.push(&s);
                if i + 1 < items.len() && !is_empty_list {
                    out.push_str(" ");
                }
            }
            Ok(out.finish())
        }
        other => Err(Error::new(ErrorKind::NotCoercible(other.type_phrase()))),
    }
}
