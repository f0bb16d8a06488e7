//! Builtins that reach outside the evaluation: `import`, `scopedImport`,
//! `readFile`, `readFileType`, `pathExists`, `readDir`, `getEnv`, `findFile`. All go
//! through the host's [`EvalIo`](crate::io::EvalIo).

use std::path::{Path, PathBuf};

use crate::context::io_message;
use crate::engine::{CoercionKind, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Attrs, Builtin, NixString, Value};

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("import" / 1 => Plain(import), generator CoerceFirst(PathInterpolation)),
    builtin!("scopedImport" / 2 => Plain(scoped_import), generator Own),
    builtin!("readFile" / 1 => Plain(read_file), generator CoerceFirst(PathInterpolation)),
    builtin!("readFileType" / 1 => Plain(read_file_type), generator CoerceFirst(PathInterpolation)),
    builtin!("pathExists" / 1 => Plain(path_exists), generator CoerceFirst(PathInterpolation)),
    builtin!("readDir" / 1 => Plain(read_dir), generator CoerceFirst(PathInterpolation)),
    builtin!("getEnv" / 1 => Plain(get_env)),
    builtin!("findFile" / 2 => Plain(find_file), generator Own),
];

/// Coerces a path-like argument to an absolute path.
pub(crate) fn path_arg<E: Engine + ?Sized>(vm: &mut E, v: &Value) -> Result<PathBuf> {
    let s = vm.coerce_to_string(v.clone(), CoercionKind::PathInterpolation)?;
    absolute_path(&s)
}

/// A coerced path argument, which must be absolute.
pub(crate) fn absolute_path(s: &NixString) -> Result<PathBuf> {
    if !s.as_bytes().starts_with(b"/") {
        return Err(Error::other(format!(
            "string '{s}' doesn't represent an absolute path"
        )));
    }
    Ok(crate::path::os_path(s.as_bytes()))
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::from_io(&e, || {
        format!("{what} '{}': {}", path.display(), io_message(&e))
    })
}

fn import<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let path = path_arg(vm, &args[0])?;
    if let Some(builtin) = super::corepkgs::import(vm, &path)? {
        return Ok(builtin);
    }
    vm.import_file(&path, None)
}

fn scoped_import<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let scope = vm.force_attrs(args[0].clone())?;
    let path = path_arg(vm, &args[1])?;
    vm.import_file(&path, Some(scope))
}

fn read_file<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let path = path_arg(vm, &args[0])?;
    let bytes = vm
        .context()
        .io
        .read_file(&path)
        .map_err(|e| io_error("opening file", &path, e))?;
    // A file's bytes are the string's, UTF-8 or not; only NUL, which Nix's
    // strings cannot hold, is refused, as Nix refuses it.
    if bytes.contains(&0) {
        return Err(Error::other(format!(
            "the contents of the file '{}' cannot be represented as a Nix string",
            path.display()
        )));
    }
    Ok(Value::String(NixString::new(bytes)))
}

/// The type of a file, not following a final symlink: `"regular"`,
/// `"directory"`, `"symlink"` or `"unknown"`.
fn read_file_type<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let path = path_arg(vm, &args[0])?;
    let kind = vm
        .context()
        .io
        .file_type(&path)
        .map_err(|e| io_error("getting status of", &path, e))?;
    Ok(Value::string(kind.as_str()))
}

/// `pathExists`: like Nix, a path it may not look at (pure or restricted
/// evaluation) or cannot look at does not exist.
fn path_exists<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let path = path_arg(vm, &args[0])?;
    match vm.context().io.path_exists(&path) {
        Ok(exists) => Ok(Value::Bool(exists)),
        Err(e) if crate::error::is_io_cancelled(&e) => Err(io_error("checking", &path, e)),
        Err(_) => Ok(Value::Bool(false)),
    }
}

fn read_dir<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let path = path_arg(vm, &args[0])?;
    let entries = vm
        .context()
        .io
        .read_dir(&path)
        .map_err(|e| io_error("reading directory", &path, e))?;
    Ok(Value::Attrs(Attrs::from_unsorted(
        entries
            .into_iter()
            .map(|(name, kind)| {
                (
                    crate::symbol::Symbol::intern(&name),
                    Value::string(kind.as_str()),
                )
            })
            .collect(),
    )))
}

/// `getEnv`: "" in pure and restricted evaluation, as in Nix.
fn get_env<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let name = vm.force_string(args[0].clone())?;
    let settings = &vm.context().settings;
    if settings.pure || settings.restrict_eval {
        return Ok(Value::string(""));
    }
    let value = vm
        .context()
        .io
        .get_env(name.utf8()?)
        .map_err(|e| Error::from_io(&e, || io_message(&e)))?;
    Ok(Value::string(value.unwrap_or_default()))
}

/// `findFile searchPath "name/sub"`: the first entry whose prefix matches
/// and under which the rest exists.
fn find_file<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let entries = vm.force_list(args[0].clone())?;
    let wanted = vm.force_string(args[1].clone())?;
    let wanted = wanted.utf8()?;
    for entry in entries.iter() {
        let entry = vm.force_attrs(entry.clone())?;
        let prefix = match entry.get(crate::symbol::known::prefix()) {
            Some(p) => vm.force_string(p.clone())?.utf8()?.to_string(),
            None => String::new(),
        };
        let path = match entry.get(crate::symbol::known::path()) {
            Some(p) => vm
                .coerce_to_string(p.clone(), CoercionKind::PathInterpolation)?
                .utf8()?
                .to_string(),
            None => return Err(Error::other("attribute 'path' missing")),
        };
        if let Some(found) = search_path_candidate(vm.context(), &prefix, &path, wanted) {
            return Ok(found);
        }
    }
    if let Some(builtin) = corepkg_path(wanted) {
        return Ok(builtin);
    }
    Err(not_in_search_path(vm.context(), wanted))
}

/// Like C++ Nix, `<nix/…>` falls back to the built-in files.
pub(crate) fn corepkg_path(wanted: &str) -> Option<Value> {
    let rest = wanted.strip_prefix("nix/")?;
    let path = format!("{}/{rest}", super::corepkgs::COREPKGS_DIR);
    Some(Value::Path(NixString::new(path)))
}

/// The path `wanted` names under one search-path entry, when the entry's
/// prefix matches and the path exists.
pub(crate) fn search_path_candidate(
    ctx: &crate::context::EvalContext,
    prefix: &str,
    path: &str,
    wanted: &str,
) -> Option<Value> {
    let rest = if prefix.is_empty() {
        Some(wanted)
    } else if wanted == prefix {
        Some("")
    } else {
        wanted
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('/'))
    };
    let rest = rest?;
    let base = if path.starts_with('/') {
        PathBuf::from(path)
    } else {
        ctx.settings.working_dir.join(path)
    };
    let candidate = if rest.is_empty() {
        base
    } else {
        base.join(rest)
    };
    let exists = ctx.io.path_exists(&candidate).unwrap_or(false);
    exists.then(|| {
        let text = crate::path::canonicalise(crate::path::path_bytes(&candidate));
        Value::Path(NixString::new(text))
    })
}

/// `findFile`'s error when no entry has the file. Nix raises it as a
/// catchable error: `tryEval <missing>` is false. Pure evaluation has no
/// search path, and says so.
pub(crate) fn not_in_search_path(ctx: &crate::context::EvalContext, wanted: &str) -> Error {
    Error::new(ErrorKind::Throw(if ctx.settings.pure {
        format!("cannot look up '<{wanted}>' in pure evaluation mode (use '--impure' to override)")
    } else {
        format!(
            "file '{wanted}' was not found in the Nix search path (add it using $NIX_PATH or -I)"
        )
    }))
}
