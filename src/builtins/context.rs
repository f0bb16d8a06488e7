//! String-context builtins: `getContext`, `hasContext`, `appendContext`,
//! `unsafeDiscardStringContext`, `unsafeDiscardOutputDependency` and
//! `addDrvOutputDependencies`.
//!
//! A string's context is a set of [`ContextElem`]s. Nix shows it to Nix
//! code as a set keyed by store path:
//! `{ "/nix/store/…" = { path = true; allOutputs = true; outputs = [ … ]; }; }`.

use std::collections::BTreeMap;

use bstr::ByteSlice;

use crate::engine::{CoercionKind, Engine};
use crate::error::{Error, Result};
use crate::symbol::Symbol;
use crate::value::{Attrs, Builtin, Context, ContextElem, NixString, Value};

use super::attrs_of;

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("getContext" / 1 => Plain(get_context)),
    builtin!("hasContext" / 1 => Plain(has_context)),
    builtin!("appendContext" / 2 => Plain(append_context), generator DeepFirst),
    builtin!("unsafeDiscardStringContext" / 1 => Plain(unsafe_discard_string_context)),
    builtin!("unsafeDiscardOutputDependency" / 1 => Plain(unsafe_discard_output_dependency)),
    builtin!("addDrvOutputDependencies" / 1 => Plain(add_drv_output_dependencies)),
];

/// Forces a string that must not refer to store paths (a regular
/// expression, a hash algorithm, an output name, …).
pub(crate) fn force_string_no_context<E: Engine + ?Sized>(
    vm: &mut E,
    value: &Value,
) -> Result<NixString> {
    vm.force_string(value.clone())?.refusing_context()
}

/// What the context says about one store path.
#[derive(Default)]
struct PathInfo {
    path: bool,
    all_outputs: bool,
    outputs: Vec<String>,
}

fn get_context<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let s = vm.force_string(args[0].clone())?;
    let mut by_path: BTreeMap<&str, PathInfo> = BTreeMap::new();
    for elem in s.context().into_iter().flatten() {
        let info = by_path.entry(elem.path()).or_default();
        match elem {
            ContextElem::Plain(_) => info.path = true,
            ContextElem::AllOutputs(_) => info.all_outputs = true,
            ContextElem::Output { output, .. } => info.outputs.push(output.clone()),
        }
    }
    let entries = by_path
        .into_iter()
        .map(|(path, info)| (Symbol::intern(path), path_info_value(info)))
        .collect();
    Ok(Value::Attrs(Attrs::from_unsorted(entries)))
}

fn path_info_value(info: PathInfo) -> Value {
    let mut fields = Vec::new();
    if info.path {
        fields.push(("path", Value::Bool(true)));
    }
    if info.all_outputs {
        fields.push(("allOutputs", Value::Bool(true)));
    }
    if !info.outputs.is_empty() {
        let outputs = info.outputs.into_iter().map(Value::string).collect();
        fields.push(("outputs", Value::list(outputs)));
    }
    attrs_of(fields)
}

fn has_context<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let s = vm.force_string(args[0].clone())?;
    Ok(Value::Bool(s.has_context()))
}

fn append_context<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let s = vm.force_string(args[0].clone())?;
    let additions = vm.force_attrs(args[1].clone())?;
    let mut context: Context = s.context().cloned().unwrap_or_default();
    let store_dir = vm.context().settings.store_dir.clone();
    for (name, info) in additions.sorted_entries() {
        let path = match std::str::from_utf8(&name) {
            Ok(path) if is_store_path(&store_dir, path) => path.to_string(),
            _ => {
                return Err(Error::other(format!(
                    "context key '{}' is not a store path",
                    name.as_bstr()
                )))
            }
        };
        let info = vm.force_attrs(info.clone())?;
        if let Some(v) = info.get(Symbol::intern("path")) {
            if vm.force_bool(v.clone())? {
                context.insert(ContextElem::Plain(path.clone()));
            }
        }
        if let Some(v) = info.get(Symbol::intern("allOutputs")) {
            if vm.force_bool(v.clone())? {
                if !is_derivation(&path) {
                    return Err(Error::other(format!(
                        "tried to add all-outputs context of {path}, which is not a derivation, to a string"
                    )));
                }
                context.insert(ContextElem::AllOutputs(path.clone()));
            }
        }
        if let Some(v) = info.get(Symbol::intern("outputs")) {
            let outputs = vm.force_list(v.clone())?;
            if !outputs.is_empty() && !is_derivation(&path) {
                return Err(Error::other(format!(
                    "tried to add derivation output context of {path}, which is not a derivation, to a string"
                )));
            }
            for output in outputs.iter() {
                let output = force_string_no_context(vm, output)?;
                context.insert(ContextElem::Output {
                    drv: path.clone(),
                    output: output.utf8()?.to_string(),
                });
            }
        }
    }
    Ok(Value::String(NixString::with_context(
        s.as_bytes(),
        context,
    )))
}

fn unsafe_discard_string_context<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let s = vm.coerce_to_string(args[0].clone(), CoercionKind::Interpolation)?;
    Ok(Value::String(s.without_context()))
}

/// Turns "a derivation and all its outputs" into a plain reference to the
/// derivation file.
fn unsafe_discard_output_dependency<E: Engine + ?Sized>(
    vm: &mut E,
    args: &[Value],
) -> Result<Value> {
    let s = vm.coerce_to_string(args[0].clone(), CoercionKind::Interpolation)?;
    let Some(context) = s.context() else {
        return Ok(Value::String(s));
    };
    let context: Context = context
        .iter()
        .map(|elem| match elem {
            ContextElem::AllOutputs(drv) => ContextElem::Plain(drv.clone()),
            other => other.clone(),
        })
        .collect();
    Ok(Value::String(NixString::with_context(
        s.as_bytes(),
        context,
    )))
}

/// The inverse of `unsafeDiscardOutputDependency`, for a string whose
/// context is exactly one derivation.
fn add_drv_output_dependencies<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let s = vm.coerce_to_string(args[0].clone(), CoercionKind::Interpolation)?;
    let elems: Vec<&ContextElem> = s.context().into_iter().flatten().collect();
    let [elem] = elems.as_slice() else {
        return Err(Error::other(format!(
            "context of string '{}' must have exactly one element, but has {}",
            s,
            elems.len()
        )));
    };
    let deep = match elem {
        ContextElem::Plain(path) if is_derivation(path) => ContextElem::AllOutputs(path.clone()),
        ContextElem::Plain(path) => {
            return Err(Error::other(format!("path '{path}' is not a derivation")));
        }
        ContextElem::Output { output, .. } => {
            return Err(Error::other(format!(
                "`addDrvOutputDependencies` can only act on derivations, not on a derivation output such as '{output}'"
            )));
        }
        ContextElem::AllOutputs(_) => (*elem).clone(),
    };
    Ok(Value::String(NixString::with_context(
        s.as_bytes(),
        Context::from([deep]),
    )))
}

fn is_derivation(path: &str) -> bool {
    path.ends_with(".drv")
}

/// The characters of Nix's base-32 alphabet, which store path hashes use.
const NIX32_CHARS: &[u8] = b"0123456789abcdfghijklmnpqrsvwxyz";

/// Whether `path` names an entry directly in the store:
/// `STORE/<32 base-32 characters>-<name>`.
pub(crate) fn is_store_path(store_dir: &str, path: &str) -> bool {
    let Some(base) = path
        .strip_prefix(store_dir)
        .and_then(|rest| rest.strip_prefix('/'))
    else {
        return false;
    };
    let bytes = base.as_bytes();
    if bytes.len() < 34 || bytes[32] != b'-' {
        return false;
    }
    let (hash, name) = (&bytes[..32], &bytes[33..]);
    hash.iter().all(|c| NIX32_CHARS.contains(c))
        && name.len() <= 211
        && name != b"."
        && name != b".."
        && name
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"+-._?=".contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_paths() {
        let p = "/nix/store/ffffffffffffffffffffffffffffffff-x.drv";
        assert!(is_store_path("/nix/store", p));
        assert!(!is_store_path("/nix/store", "/nix/store/abc-x"));
        assert!(!is_store_path("/nix/store", &format!("{p}/sub")));
        assert!(!is_store_path(
            "/nix/store",
            "/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x"
        ));
    }
}
