//! Builtins that name store paths: `path`, `filterSource`, `toFile`,
//! `placeholder`, `storePath`, `toPath`, the `currentTime` constant, and the
//! fetchers, which need a real store and the network and so always fail.
//!
//! Without a store they only compute the paths that adding to the store
//! would give, like `nix-instantiate --eval` in read-only mode; with one
//! (`EvaluatorBuilder::store`) they write the paths to it, as Nix does.

use std::collections::BTreeSet;
use std::path::Path;

use bstr::ByteSlice;

use crate::engine::{CoercionKind, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::io::FileType;
use crate::store::hash::{Hash, HashAlgo};
use crate::store::{self, Ingestion};
use crate::symbol::Symbol;
use crate::value::{Builtin, Context, ContextElem, Deferred, NixString, Thunk, Value};

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("path" / 1 => Plain(path), generator Own),
    builtin!("filterSource" / 2 => Plain(filter_source), generator Own),
    builtin!("toFile" / 2 => Plain(to_file)),
    builtin!("placeholder" / 1 => Plain(placeholder)),
    builtin!("storePath" / 1 => Plain(store_path)),
    builtin!("toPath" / 1 => Plain(to_path), generator CoerceFirst(PathInterpolation)),
    builtin!("fetchurl" / 1 => Plain(fetchurl)),
    builtin!("fetchTarball" / 1 => Plain(fetch_tarball)),
    builtin!("fetchGit" / 1 => Plain(super::fetch_git::fetch_git)),
    builtin!("fetchMercurial" / 1 => Plain(fetch_mercurial)),
    builtin!("fetchTree" / 1 => Plain(fetch_tree)),
];

/// Constants of this family: `currentTime`, read from the host when first
/// used, and absent in pure mode, as in Nix.
pub(super) fn constants(settings: &crate::context::Settings) -> Vec<(Symbol, Value)> {
    if settings.pure {
        return Vec::new();
    }
    static CURRENT_TIME: Builtin = builtin!("currentTime" / 1 => Plain(current_time));
    let lazy = Thunk::new(Deferred::Apply {
        function: Value::Builtin(&CURRENT_TIME),
        arg: Value::Null,
    });
    vec![(Symbol::intern("currentTime"), Value::Thunk(lazy))]
}

fn current_time<E: Engine + ?Sized>(vm: &mut E, _args: &[Value]) -> Result<Value> {
    let now = vm
        .context()
        .io
        .current_time()
        .map_err(|e| Error::from_io(&e, || crate::context::io_message(&e)))?;
    Ok(Value::Int(now))
}

// ---- helpers --------------------------------------------------------------

/// Forces a string that must not refer to store paths (names, hashes, systems).
pub(crate) fn force_string_no_context<E: Engine + ?Sized>(vm: &mut E, v: &Value) -> Result<String> {
    let s = vm.force_string(v.clone())?.refusing_context()?;
    Ok(s.utf8()?.to_string())
}

/// Coerces to an absolute path string (paths stay paths), keeping the context.
fn coerce_to_path<E: Engine + ?Sized>(vm: &mut E, v: &Value) -> Result<NixString> {
    let s = vm.coerce_to_string(v.clone(), CoercionKind::PathInterpolation)?;
    if !s.as_bytes().starts_with(b"/") {
        return Err(Error::other(format!(
            "string '{s}' doesn't represent an absolute path"
        )));
    }
    Ok(s)
}

/// A string naming a store path, with that path as its context.
pub(super) fn store_path_string(path: String) -> Value {
    let mut context = Context::new();
    context.insert(ContextElem::Plain(path.clone()));
    Value::String(NixString::with_context(path, context))
}

// ---- adding paths ---------------------------------------------------------

/// The arguments of `path` or `filterSource`, evaluated; the filter is a
/// function not called yet.
pub(crate) struct AddPathArgs {
    name: String,
    path: String,
    /// The filter function, forced.
    pub filter: Option<Value>,
    method: Ingestion,
    expected: Option<Hash>,
}

impl AddPathArgs {
    /// The path to add.
    pub fn path(&self) -> &Path {
        Path::new(&self.path)
    }
}

/// What a path filter's result means: a Boolean, or an error.
pub(crate) fn filter_answer(result: Value) -> Result<bool> {
    match result {
        Value::Bool(b) => Ok(b),
        other => Err(Error::type_mismatch("a Boolean", other.type_phrase())),
    }
}

/// Adds the path `args` describe to the store (or only names it), asking
/// `decide` about each file below it.
pub(crate) fn add_path_with(
    ctx: &crate::context::EvalContext,
    args: &AddPathArgs,
    decide: &mut store::nar::PathFilter<'_>,
) -> Result<Value> {
    let (added, _) = store::add_source(
        ctx,
        &args.name,
        args.path(),
        args.method,
        decide,
        args.expected.as_ref(),
    )?;
    Ok(store_path_string(added))
}

/// The common part of `path` and `filterSource` on the fiber VM: the filter
/// is called as the tree is read.
fn add_path<E: Engine + ?Sized>(vm: &mut E, args: AddPathArgs) -> Result<Value> {
    let ctx = vm.context().clone();
    let filter = args.filter.clone();
    let mut call_filter = |p: &Path, kind: FileType| -> Result<bool> {
        let Some(f) = &filter else { return Ok(true) };
        let p = Value::string(crate::path::path_bytes(p));
        filter_answer(vm.call2_forced(f.clone(), p, Value::string(kind.as_str()))?)
    };
    add_path_with(&ctx, &args, &mut call_filter)
}

/// `builtins.path { path; name ? baseNameOf path; filter ? …; recursive ? true; sha256 ? … }`.
fn path<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let args = path_args(vm, args)?;
    add_path(vm, args)
}

/// Evaluates the arguments of `builtins.path`.
pub(crate) fn path_args<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<AddPathArgs> {
    let attrs = vm.force_attrs(args[0].clone())?;
    let mut path = None;
    let mut name = String::new();
    let mut filter = None;
    let mut method = Ingestion::Recursive;
    let mut expected = None;
    for (key, value) in attrs.sorted_entries() {
        match &*key.to_str_lossy() {
            "path" => path = Some(coerce_to_path(vm, value)?),
            "name" => name = force_string_no_context(vm, value)?,
            "filter" => filter = Some(vm.force(value.clone())?),
            "recursive" => {
                method = if vm.force_bool(value.clone())? {
                    Ingestion::Recursive
                } else {
                    Ingestion::Flat
                }
            }
            "sha256" => {
                let text = force_string_no_context(vm, value)?;
                expected = Some(Hash::parse_allow_empty(&text, Some(HashAlgo::Sha256))?);
            }
            other => {
                return Err(Error::other(format!(
                    "unsupported argument '{other}' to 'addPath'"
                )))
            }
        }
    }
    let Some(path) = path else {
        return Err(Error::other("'path' required"));
    };
    if name.is_empty() {
        name = crate::path::base_name_of_str(path.utf8()?).to_string();
    }
    Ok(AddPathArgs {
        name,
        path: path.utf8()?.to_string(),
        filter,
        method,
        expected,
    })
}

/// `builtins.filterSource filter path`.
fn filter_source<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let args = filter_source_args(vm, args)?;
    add_path(vm, args)
}

/// Evaluates the arguments of `builtins.filterSource`.
pub(crate) fn filter_source_args<E: Engine + ?Sized>(
    vm: &mut E,
    args: &[Value],
) -> Result<AddPathArgs> {
    let path = coerce_to_path(vm, &args[1])?;
    let filter = vm.force(args[0].clone())?;
    if !filter.is_function() {
        return Err(Error::other(format!(
            "first argument in call to 'filterSource' is not a function but {}",
            filter.type_phrase()
        )));
    }
    Ok(AddPathArgs {
        name: crate::path::base_name_of_str(path.utf8()?).to_string(),
        path: path.utf8()?.to_string(),
        filter: Some(filter),
        method: Ingestion::Recursive,
        expected: None,
    })
}

/// `builtins.toFile name contents`: a text file whose references are the
/// store paths in the contents' context.
fn to_file<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let name = force_string_no_context(vm, &args[0])?;
    let contents = vm.force_string(args[1].clone())?;
    let mut references = BTreeSet::new();
    for elem in contents.context().into_iter().flatten() {
        match elem {
            ContextElem::Plain(p) => {
                references.insert(p.clone());
            }
            other => {
                return Err(Error::other(format!(
                    "in 'toFile': the file named '{name}' must not contain a reference to a derivation but contains ({})",
                    other.encode()
                )))
            }
        }
    }
    let ctx = vm.context().clone();
    let path = store::add_text(&ctx, &name, contents.as_bytes(), references)?;
    Ok(store_path_string(path))
}

/// `builtins.placeholder output`.
fn placeholder<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let output = force_string_no_context(vm, &args[0])?;
    Ok(Value::string(store::placeholder(&output)))
}

/// `builtins.storePath path`: a path in the store, with its store path as
/// context. Without a store only its form and existence can be checked.
fn store_path<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    if vm.context().settings.pure {
        return Err(Error::new(ErrorKind::Impure(
            "'builtins.storePath'".to_string(),
        )));
    }
    let path = coerce_to_path(vm, &args[0])?;
    let text = crate::path::canonicalise_str(path.utf8()?);
    let ctx = vm.context().clone();
    let dir = store::store_dir(&ctx);
    let inside = store::split_store_path(dir, &text);
    let direct = matches!(inside, Some((p, "")) if is_store_path(dir, p));
    if !direct {
        let exists = ctx
            .io
            .path_exists(Path::new(&text))
            .map_err(|e| store::nar::status_error(Path::new(&text), &e))?;
        if !exists {
            let missing = inside.map(|(p, _)| p).unwrap_or(&text);
            return Err(Error::new(ErrorKind::Io(format!(
                "getting status of '{missing}': No such file or directory"
            ))));
        }
    }
    let Some((store_path, _)) = inside.filter(|(p, _)| is_store_path(dir, p)) else {
        return Err(Error::other(format!(
            "path '{text}' is not in the Nix store"
        )));
    };
    // In read-write mode Nix makes sure the path exists (a local store
    // cannot substitute it).
    if let Some(backend) = ctx.store.backend().filter(|_| ctx.store.read_write()) {
        if !backend.is_valid(store_path)? {
            return Err(Error::other(format!(
                "path '{store_path}' does not exist and cannot be created"
            )));
        }
    }
    let mut context = path.context().cloned().unwrap_or_default();
    context.insert(ContextElem::Plain(store_path.to_string()));
    Ok(Value::String(NixString::with_context(
        text.clone(),
        context,
    )))
}

/// Whether `path` is `store_dir/<32 base-32 characters>-<valid name>`.
fn is_store_path(store_dir: &str, path: &str) -> bool {
    let Some(base) = path
        .strip_prefix(store_dir)
        .and_then(|r| r.strip_prefix('/'))
    else {
        return false;
    };
    let Some((hash, name)) = base.split_once('-') else {
        return false;
    };
    hash.len() == 32
        && store::hash::decode_base32(hash).is_some()
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-._?=".contains(c))
}

/// `builtins.toPath s`: the canonical absolute path, as a string.
fn to_path<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let path = coerce_to_path(vm, &args[0])?;
    let text = crate::path::canonicalise(path.as_bytes());
    Ok(Value::String(match path.context() {
        Some(c) => NixString::with_context(text, c.clone()),
        None => NixString::new(text),
    }))
}

// ---- fetchers -------------------------------------------------------------

pub(super) fn needs_store(what: &'static str) -> Result<Value> {
    Err(Error::new(ErrorKind::NeedsStore(what)))
}

/// What Nix 2.8 checks before `fetchurl` or `fetchTarball` downloads
/// anything: restricted evaluation allows no URI, and a pure download needs
/// the `sha256` that makes it reproducible.
fn check_download<E: Engine + ?Sized>(vm: &mut E, who: &str, arg: &Value) -> Result<()> {
    let (url, hash) = match vm.force(arg.clone())? {
        Value::Attrs(attrs) => {
            let url = match attrs.get(Symbol::intern("url")) {
                Some(url) => force_string_no_context(vm, url)?,
                None => return Err(Error::other("'url' argument required")),
            };
            (url, attrs.get(Symbol::intern("sha256")).is_some())
        }
        other => (force_string_no_context(vm, &other)?, false),
    };
    let settings = &vm.context().settings;
    if settings.restrict_eval {
        return Err(Error::other(format!(
            "access to URI '{url}' is forbidden in restricted mode"
        )));
    }
    if settings.pure && !hash {
        return Err(Error::other(format!(
            "in pure evaluation mode, '{who}' requires a 'sha256' argument"
        )));
    }
    Ok(())
}

fn fetchurl<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    check_download(vm, "fetchurl", &args[0])?;
    needs_store("builtins.fetchurl")
}

fn fetch_tarball<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    check_download(vm, "fetchTarball", &args[0])?;
    needs_store("builtins.fetchTarball")
}

fn fetch_mercurial<E: Engine + ?Sized>(_vm: &mut E, _args: &[Value]) -> Result<Value> {
    needs_store("builtins.fetchMercurial")
}

fn fetch_tree<E: Engine + ?Sized>(_vm: &mut E, _args: &[Value]) -> Result<Value> {
    needs_store("builtins.fetchTree")
}

#[cfg(test)]
mod tests {
    use crate::Evaluator;

    fn eval(pure: bool, source: &str) -> String {
        let evaluator = Evaluator::builder().pure(pure).build();
        let value = evaluator.eval_str(source).expect("evaluates");
        evaluator.print(&value, true).expect("prints").to_string()
    }

    #[test]
    fn current_time_is_absent_in_pure_mode() {
        assert_eq!(eval(true, "builtins ? currentTime"), "false");
        assert_eq!(
            eval(false, "builtins.typeOf builtins.currentTime"),
            "\"int\""
        );
    }

    #[test]
    fn derivations_need_no_file_access() {
        assert_eq!(
            eval(
                true,
                r#"(derivation { name = "x"; system = "x"; builder = "/bin/sh"; }).drvPath"#
            ),
            "\"/nix/store/safnr1ywsblyl5qfbca0178m104hzxaw-x.drv\""
        );
    }
}
