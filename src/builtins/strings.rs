//! String builtins.

use crate::engine::{BuiltinStep, CoercionKind, Engine, Resume};
use crate::error::{Error, Result};
use crate::symbol::known;
use crate::value::{Builtin, NixString, StringBuilder, Value};

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("toString" / 1 => Stepped(to_string), forces 0, generator CoerceFirst(ToString)),
    builtin!("stringLength" / 1 => Plain(string_length), forces 0, generator CoerceFirst(Interpolation)),
    builtin!("substring" / 3 => Plain(substring), generator Own),
    builtin!("concatStringsSep" / 2 => Plain(concat_strings_sep), generator Own),
    builtin!("replaceStrings" / 3 => Plain(replace_strings)),
    builtin!("baseNameOf" / 1 => Plain(base_name_of), generator CoerceFirst(PathInterpolation)),
    builtin!("dirOf" / 1 => Plain(dir_of), generator Own),
];

/// `toString`. A set's `__toString` is called as a step, so that the
/// dispatch loop runs it in a frame of its own; what it returns is coerced
/// in turn.
fn to_string<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<BuiltinStep<E>> {
    let value = vm.force(args[0].clone())?;
    Box::new(ToString { calls: 0 }).resume(vm, value)
}

/// `toString` waiting for a value to coerce.
struct ToString {
    /// The `__toString` functions called so far, each of which nests a
    /// level in Nix.
    calls: usize,
}

impl<E: Engine + ?Sized> Resume<E> for ToString {
    fn resume(mut self: Box<Self>, vm: &mut E, value: Value) -> Result<BuiltinStep<E>> {
        if let Value::Attrs(attrs) = &value {
            if let Some(f) = attrs.get(known::to_string()).cloned() {
                self.calls += 1;
                vm.check_nesting(self.calls)?;
                return Ok(BuiltinStep::call(f, value, self));
            }
        }
        let s = vm.coerce_to_string(value, CoercionKind::ToString)?;
        Ok(BuiltinStep::Done(Value::String(s)))
    }
}

fn string_length<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let s = vm.coerce_to_string(args[0].clone(), CoercionKind::Interpolation)?;
    Ok(Value::Int(s.len() as i64))
}

fn substring<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let start = vm.force_int(args[0].clone())?;
    let len = vm.force_int(args[1].clone())?;
    let s = vm.coerce_to_string(args[2].clone(), CoercionKind::Interpolation)?;
    substring_of(start, len, &s)
}

/// `substring start len s` once its arguments are evaluated. Shared with the
/// generator VM.
pub(crate) fn substring_of(start: i64, len: i64, s: &NixString) -> Result<Value> {
    if start < 0 {
        return Err(Error::other("negative start position in 'substring'"));
    }
    let text = s.as_bytes();
    let start = (start as usize).min(text.len());
    let end = if len < 0 {
        text.len()
    } else {
        start.saturating_add(len as usize).min(text.len())
    };
    // Bytes, as in Nix: a cut may fall inside a multi-byte character.
    Ok(Value::String(s.with_context_of(&text[start..end])))
}

fn concat_strings_sep<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let sep = vm.force_string(args[0].clone())?;
    let list = vm.force_list(args[1].clone())?;
    let mut out = StringBuilder::default();
    // The separator's context counts even when it is never used.
    if let Some(ctx) = sep.context() {
        out.add_context(ctx);
    }
    for (i, item) in list.iter().enumerate() {
        if i > 0 {
            out.push(&sep);
        }
        let s = vm.coerce_to_string(item.clone(), CoercionKind::Interpolation)?;
        out.push(&s);
    }
    Ok(Value::String(out.finish()))
}

/// `replaceStrings from to s`: scanning `s` from the left, replaces the
/// first of `from` that occurs at each position by the matching `to`. An
/// empty `from` matches between every two bytes (and at both ends). Each
/// replacement is forced only when used, and brings its context along: Nix
/// 2.8 forces every element of `to` before `s`, newer Nix (and the language
/// suite) only those used, which fails less.
fn replace_strings<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let from = vm.force_list(args[0].clone())?;
    let to = vm.force_list(args[1].clone())?;
    if from.len() != to.len() {
        return Err(Error::other(
            "'from' and 'to' arguments to 'replaceStrings' have different lengths",
        ));
    }
    let patterns = from
        .iter()
        .map(|v| vm.force_string(v.clone()))
        .collect::<Result<Vec<NixString>>>()?;
    let s = vm.force_string(args[2].clone())?;
    let mut replacements: Vec<Option<NixString>> = vec![None; to.len()];
    let mut context = s.context().cloned().unwrap_or_default();
    let text = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut p = 0;
    while p <= text.len() {
        let found = patterns
            .iter()
            .position(|pat| text[p..].starts_with(pat.as_bytes()));
        let Some(k) = found else {
            out.extend(text.get(p));
            p += 1;
            continue;
        };
        if replacements[k].is_none() {
            let r = vm.force_string(to.as_slice()[k].clone())?;
            if let Some(ctx) = r.context() {
                context.extend(ctx.iter().cloned());
            }
            replacements[k] = Some(r);
        }
        let r = replacements[k].as_ref().expect("just forced");
        out.extend_from_slice(r.as_bytes());
        let matched = patterns[k].len();
        if matched == 0 {
            out.extend(text.get(p));
            p += 1;
        } else {
            p += matched;
        }
    }
    Ok(Value::String(NixString::with_context(out, context)))
}

fn base_name_of<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let s = vm.coerce_to_string(args[0].clone(), CoercionKind::PathInterpolation)?;
    let base = crate::path::base_name_of(s.as_bytes()).to_vec();
    Ok(Value::String(s.with_context_of(base)))
}

fn dir_of<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let v = vm.force(args[0].clone())?;
    let is_path = matches!(v, Value::Path(_));
    let s = vm.coerce_to_string(v, CoercionKind::PathInterpolation)?;
    let dir = crate::path::dir_of(s.as_bytes()).to_vec();
    if is_path {
        return Ok(Value::Path(NixString::new(dir)));
    }
    Ok(Value::String(s.with_context_of(dir)))
}
