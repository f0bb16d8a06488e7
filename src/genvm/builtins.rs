//! How the generator VM runs builtins: the routing table, the shared path,
//! and the builtins written as generators.
//!
//! Builtins whose only use of the VM is forcing a few values take the
//! shared path: the fiber VM's own function runs on a *detached* fiber
//! [`Vm`], which evaluates nothing. When the builtin forces a pending
//! thunk, the detached VM fails and names the thunk; the generator VM
//! forces it with its own frames and runs the builtin again, which now
//! finds the value in the thunk. Nothing recurses natively, and the result
//! is exactly the fiber VM's. Builtins that call back into Nix, coerce
//! values that may have `__toString`, compare deeply or force an unbounded
//! number of values are written here again as `async` functions, as tvix
//! writes every builtin.
//!
//! A builtin missing from [`route`] is refused with a clear error rather
//! than run on a path that might recurse.

use std::cmp::Ordering;

use bstr::ByteSlice;
use std::rc::Rc;

use super::helpers::{
    call2_forced, call_forced, coerce_to_string, compare, deep_force, force, force_attrs,
    force_bool, force_function, force_int, force_list, force_string, force_thunk, less_than,
    name_arg, nix_eq_members,
};
use super::requests::{call, Co, GenFuture};
use crate::builtins::{absolute_path, corepkg_path, not_in_search_path, search_path_candidate};
use crate::context::EvalContext;
use crate::error::{Error, Result};
use crate::symbol::{known, Symbol};
use crate::value::{Attrs, AttrsBuilder, Builtin, List, NixString, StringBuilder, Thunk, Value};
use crate::vm::{prepare_import, CoercionKind, Vm};

/// A builtin written as a generator.
pub(crate) type GenBuiltin = fn(Co, Rc<EvalContext>, Vec<Value>) -> GenFuture;

/// How the generator VM runs one builtin.
#[derive(Clone, Copy)]
pub(crate) enum Route {
    /// The fiber VM's function on a detached VM, run again after each
    /// thunk it forces has been forced by the generator VM. Only for
    /// builtins that force a bounded number of values and never call back
    /// into Nix, coerce sets to strings or compare containers.
    Shared,
    /// For builtins that coerce their first (and only coerced) argument to
    /// a string and are otherwise `Shared`. When that argument is a set or
    /// a list, or not evaluated yet, the generator VM coerces it first
    /// (which may call `__toString`); otherwise the builtin coerces it.
    CoerceFirst(CoercionKind),
    /// For serialisers and the like that walk their whole argument: the
    /// generator VM forces every argument completely first, then runs the
    /// fiber VM's function, which then finds everything evaluated. A
    /// `__toString` met only while serialising is refused.
    DeepFirst,
    /// An `async` implementation in this module.
    Generator(GenBuiltin),
}

/// Wraps an `async fn(Co, Rc<EvalContext>, Vec<Value>)` as a [`Route`].
macro_rules! generator {
    ($f:ident) => {
        Route::Generator(|co, ctx, args| Box::pin($f(co, ctx, args)))
    };
}

/// The routing table: how each builtin runs on the generator VM. A new
/// builtin needs one line here; one without a line is refused.
pub(crate) fn route(name: &str) -> Option<Route> {
    use CoercionKind::{Interpolation, PathInterpolation, ToString};
    use Route::{CoerceFirst, DeepFirst, Shared};
    Some(match name {
        // attrs
        "attrNames" | "attrValues" | "getAttr" | "hasAttr" => Shared,
        "mapAttrs" | "intersectAttrs" | "functionArgs" | "unsafeGetAttrPos" => Shared,
        "removeAttrs" => generator!(remove_attrs),
        "listToAttrs" => generator!(list_to_attrs),
        "catAttrs" => generator!(cat_attrs),
        "zipAttrsWith" => generator!(zip_attrs_with),
        "groupBy" => generator!(group_by),
        // control
        "throw" | "abort" => CoerceFirst(Interpolation),
        "seq" => Shared,
        "tryEval" => generator!(try_eval),
        "deepSeq" => generator!(deep_seq),
        "trace" => generator!(trace),
        "addErrorContext" => generator!(add_error_context),
        // io
        "import" => generator!(import),
        "scopedImport" => generator!(scoped_import),
        "readFile" | "pathExists" | "readDir" => CoerceFirst(PathInterpolation),
        "getEnv" => Shared,
        "findFile" => generator!(find_file),
        // lists
        "map" | "length" | "head" | "tail" | "elemAt" | "genList" => Shared,
        "filter" => generator!(filter),
        "foldl'" => generator!(foldl_strict),
        "concatLists" => generator!(concat_lists),
        "concatMap" => generator!(concat_map),
        "elem" => generator!(elem),
        "any" => generator!(any),
        "all" => generator!(all),
        "sort" => generator!(sort),
        "partition" => generator!(partition),
        // numbers
        "add" | "sub" | "mul" | "div" => Shared,
        "bitAnd" | "bitOr" | "bitXor" | "ceil" | "floor" => Shared,
        "lessThan" => generator!(less_than_builtin),
        // strings
        "toString" => CoerceFirst(ToString),
        "stringLength" => CoerceFirst(Interpolation),
        "baseNameOf" => CoerceFirst(PathInterpolation),
        "substring" => generator!(substring),
        "concatStringsSep" => generator!(concat_strings_sep),
        "dirOf" => generator!(dir_of),
        // types
        "typeOf" | "isAttrs" | "isBool" | "isFloat" | "isFunction" => Shared,
        "isInt" | "isList" | "isNull" | "isPath" | "isString" => Shared,
        // string contexts, hashes, versions, regular expressions
        "getContext" | "hasContext" | "unsafeDiscardStringContext" => Shared,
        "unsafeDiscardOutputDependency" | "addDrvOutputDependencies" => Shared,
        "appendContext" => DeepFirst,
        "hashString" | "convertHash" | "match" | "split" => Shared,
        "hashFile" | "readFileType" => CoerceFirst(PathInterpolation),
        "replaceStrings" => Shared,
        "compareVersions" | "splitVersion" | "parseDrvName" => Shared,
        "warn" | "break" => Shared,
        "parseFlakeRef" => Shared,
        "flakeRefToString" => DeepFirst,
        // data formats
        "toJSON" | "toXML" => DeepFirst,
        "fromJSON" | "fromTOML" => Shared,
        // store paths and derivations
        "derivationStrict" => DeepFirst,
        "placeholder" | "storePath" | "toFile" | "currentTime" => Shared,
        "toPath" => CoerceFirst(PathInterpolation),
        // `derivation` is Nix code, loaded from the built-in files when first used.
        "derivation" => Shared,
        "fetchurl" | "fetchTarball" | "fetchGit" | "fetchMercurial" | "fetchTree" => Shared,
        "genericClosure" => generator!(generic_closure),
        "path" => generator!(path),
        "filterSource" => generator!(filter_source),
        _ => return None,
    })
}

/// The error for a builtin without a route.
pub(crate) fn unsupported(builtin: &Builtin) -> Error {
    Error::other(format!(
        "builtin '{}' is not supported by the generator VM",
        builtin.name
    ))
}

// ---- the shared path ----------------------------------------------------------

/// What running a shared builtin on a detached VM came to.
pub(crate) enum SharedRun {
    /// Its result.
    Done(Result<Value>),
    /// It needs this thunk forced first.
    Blocked(Thunk),
}

/// Runs the fiber VM's builtin on the detached `vm`.
pub(crate) fn run_shared(vm: &mut Vm, builtin: &Builtin, args: &[Value]) -> SharedRun {
    match builtin.run(vm, args) {
        Ok(v) => SharedRun::Done(Ok(v)),
        Err(e) => match vm.take_blocked() {
            Some(thunk) => SharedRun::Blocked(thunk),
            None => SharedRun::Done(Err(e)),
        },
    }
}

/// The generator behind a shared builtin that needed a thunk forced:
/// forces it, runs the builtin again, and so on until it completes.
pub(crate) async fn shared_generator(
    co: Co,
    ctx: Rc<EvalContext>,
    builtin: &'static Builtin,
    args: Vec<Value>,
    blocker: Thunk,
) -> Result<Value> {
    finish_shared(&co, &mut Vm::detached(ctx), builtin, &args, blocker).await
}

async fn finish_shared(
    co: &Co,
    vm: &mut Vm,
    builtin: &Builtin,
    args: &[Value],
    blocker: Thunk,
) -> Result<Value> {
    run_detached(co, vm, builtin.name, Some(blocker), |vm| {
        builtin.run(vm, args)
    })
    .await
}

/// Runs `f` on the detached `vm` until it no longer needs a thunk forced,
/// forcing `pending` first and then each thunk `f` needs, with the
/// generator VM's frames.
async fn run_detached<T>(
    co: &Co,
    vm: &mut Vm,
    what: &str,
    mut pending: Option<Thunk>,
    mut f: impl FnMut(&mut Vm) -> Result<T>,
) -> Result<T> {
    let mut last: Option<Thunk> = None;
    loop {
        if let Some(thunk) = pending.take() {
            // An error is left in the thunk, where `f` meets it again.
            let _ = force_thunk(co, thunk.clone()).await;
            last = Some(thunk);
        }
        match f(vm) {
            Ok(v) => return Ok(v),
            Err(e) => match vm.take_blocked() {
                Some(thunk) if last.as_ref().is_some_and(|t| t.ptr_eq(&thunk)) => {
                    return Err(Error::other(format!(
                        "internal error: builtin '{what}' blocked twice on one thunk"
                    )))
                }
                Some(thunk) => pending = Some(thunk),
                None => return Err(e),
            },
        }
    }
}

/// `builtins.path`: its arguments evaluated as the fiber VM does, then the
/// path added with the filter's answers gathered first.
async fn path(co: Co, ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let parsed = path_arguments(&co, &ctx, "path", crate::builtins::path_args, &args).await?;
    add_filtered_path(&co, &ctx, parsed).await
}

/// `builtins.filterSource`, as [`path`].
async fn filter_source(co: Co, ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let parse = crate::builtins::filter_source_args;
    let parsed = path_arguments(&co, &ctx, "filterSource", parse, &args).await?;
    add_filtered_path(&co, &ctx, parsed).await
}

/// The arguments of `path` or `filterSource`, evaluated by the fiber VM's
/// own `parse` on a detached VM.
async fn path_arguments(
    co: &Co,
    ctx: &Rc<EvalContext>,
    what: &str,
    parse: fn(&mut Vm, &[Value]) -> Result<crate::builtins::store::AddPathArgs>,
    args: &[Value],
) -> Result<crate::builtins::store::AddPathArgs> {
    let mut vm = Vm::detached(ctx.clone());
    run_detached(co, &mut vm, what, None, |vm| parse(vm, args)).await
}

/// Adds a path to the store. The NAR reader calls its filter synchronously,
/// so the filter's answers are gathered first, by a walk in the reader's
/// own order (entries sorted, each accepted directory entered before its
/// next sibling), calling the Nix filter once per entry as Nix does.
async fn add_filtered_path(
    co: &Co,
    ctx: &Rc<EvalContext>,
    args: crate::builtins::store::AddPathArgs,
) -> Result<Value> {
    let Some(filter) = args.filter.clone() else {
        return crate::builtins::add_path_with(ctx, &args, &mut |_, _| Ok(true));
    };
    let io = ctx.io.clone();
    let root = args.path().to_path_buf();
    let mut answers = std::collections::HashMap::new();
    let is_dir = matches!(io.file_type(&root), Ok(crate::io::FileType::Directory));
    // Directories being walked: path, entries, next entry. A directory that
    // cannot be listed is left to the reader, which reports it.
    let mut stack = Vec::new();
    if is_dir {
        if let Ok(entries) = io.read_dir(&root) {
            stack.push((root.clone(), entries, 0));
        }
    }
    while let Some((dir, entries, next)) = stack.last_mut() {
        let Some((name, kind)) = entries.get(*next).cloned() else {
            stack.pop();
            continue;
        };
        *next += 1;
        let child = dir.join(crate::path::os_path(&name));
        let p = Value::string(crate::path::path_bytes(&child));
        let answer = call2_forced(co, filter.clone(), p, Value::string(kind.as_str())).await?;
        let keep = crate::builtins::filter_answer(answer)?;
        answers.insert(child.clone(), keep);
        if keep && kind == crate::io::FileType::Directory {
            if let Ok(entries) = io.read_dir(&child) {
                stack.push((child, entries, 0));
            }
        }
    }
    crate::builtins::add_path_with(ctx, &args, &mut |p, _| {
        Ok(answers.get(p).copied().unwrap_or(false))
    })
}

/// The generator behind a [`Route::CoerceFirst`] builtin whose first
/// argument's coercion may need evaluation.
pub(crate) async fn coerce_first_generator(
    co: Co,
    ctx: Rc<EvalContext>,
    builtin: &'static Builtin,
    mut args: Vec<Value>,
    kind: CoercionKind,
) -> Result<Value> {
    let s = coerce_to_string(&co, &ctx, args[0].clone(), kind).await?;
    args[0] = Value::String(s);
    let mut vm = Vm::detached(ctx);
    match run_shared(&mut vm, builtin, &args) {
        SharedRun::Done(result) => result,
        SharedRun::Blocked(thunk) => finish_shared(&co, &mut vm, builtin, &args, thunk).await,
    }
}

/// The generator behind a [`Route::DeepFirst`] builtin.
pub(crate) async fn deep_first_generator(
    co: Co,
    ctx: Rc<EvalContext>,
    builtin: &'static Builtin,
    mut args: Vec<Value>,
) -> Result<Value> {
    for arg in args.iter_mut() {
        *arg = deep_force(&co, arg.clone()).await?;
    }
    let mut vm = Vm::detached(ctx);
    match run_shared(&mut vm, builtin, &args) {
        SharedRun::Done(result) => result,
        SharedRun::Blocked(thunk) => finish_shared(&co, &mut vm, builtin, &args, thunk).await,
    }
}

// ---- closures ---------------------------------------------------------------------

/// `genericClosure`, as the fiber VM's: breadth-first from `startSet`,
/// keeping each element whose `key` is new (keys kept sorted by Nix's `<`).
async fn generic_closure(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let attrs = force_attrs(&co, args[0].clone()).await?;
    let field = |name: Symbol| {
        attrs.get(name).cloned().ok_or_else(|| {
            Error::other(format!(
                "attribute '{name}' missing for call to 'genericClosure'"
            ))
        })
    };
    let start = field(known::start_set())?;
    let operator = force(&co, field(known::operator())?).await?;
    let mut queue: std::collections::VecDeque<Value> =
        force_list(&co, start).await?.iter().cloned().collect();
    let mut keys: Vec<Value> = Vec::new();
    let mut result = Vec::new();
    while let Some(element) = queue.pop_front() {
        let element = force(&co, element).await?;
        let key = match &element {
            Value::Attrs(a) => a.get(known::key()).cloned(),
            other => return Err(Error::type_mismatch("a set", other.type_phrase())),
        };
        let Some(key) = key else {
            return Err(Error::other("attribute 'key' required"));
        };
        let key = force(&co, key).await?;
        let (mut low, mut high) = (0, keys.len());
        let mut seen = false;
        while low < high {
            let mid = (low + high) / 2;
            match compare(&co, key.clone(), keys[mid].clone()).await? {
                Ordering::Less => high = mid,
                Ordering::Greater => low = mid + 1,
                Ordering::Equal => {
                    seen = true;
                    break;
                }
            }
        }
        if seen {
            continue;
        }
        keys.insert(low, key);
        result.push(element.clone());
        match call_forced(&co, operator.clone(), element).await? {
            Value::List(items) => queue.extend(items.iter().cloned()),
            other => return Err(Error::type_mismatch("a list", other.type_phrase())),
        }
    }
    Ok(Value::list(result))
}

// ---- attrs ----------------------------------------------------------------------

async fn remove_attrs(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let attrs = force_attrs(&co, args[0].clone()).await?;
    let names = force_list(&co, args[1].clone()).await?;
    let mut remove = Vec::with_capacity(names.len());
    for n in names.iter() {
        remove.push(name_arg(&co, n.clone()).await?);
    }
    let kept: Vec<(Symbol, Value)> = attrs
        .entries()
        .iter()
        .filter(|(k, _)| !remove.contains(k))
        .cloned()
        .collect();
    Ok(Value::Attrs(Attrs::from_sorted(kept, None)))
}

async fn list_to_attrs(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let list = force_list(&co, args[0].clone()).await?;
    let mut builder = AttrsBuilder::with_capacity(list.len());
    for item in list.iter() {
        let entry = force_attrs(&co, item.clone()).await?;
        let name = match entry.get(known::name()) {
            Some(n) => name_arg(&co, n.clone()).await?,
            None => return Err(Error::other("attribute 'name' missing")),
        };
        let value = match entry.get(known::value()) {
            Some(v) => v.clone(),
            None => return Err(Error::other("attribute 'value' missing")),
        };
        builder.insert(name, value);
    }
    Ok(Value::Attrs(builder.finish_first_wins()))
}

async fn cat_attrs(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let name = name_arg(&co, args[0].clone()).await?;
    let list = force_list(&co, args[1].clone()).await?;
    let mut out = Vec::new();
    for item in list.iter() {
        if let Some(v) = force_attrs(&co, item.clone()).await?.get(name) {
            out.push(v.clone());
        }
    }
    Ok(Value::list(out))
}

async fn zip_attrs_with(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    force_function(&co, args[0].clone()).await?;
    let sets = force_list(&co, args[1].clone()).await?;
    let mut grouped: crate::builtins::Groups = Default::default();
    for set in sets.iter() {
        for (k, v) in force_attrs(&co, set.clone()).await?.entries() {
            grouped.entry(*k).or_default().push(v.clone());
        }
    }
    Ok(crate::builtins::zipped(&args[0], grouped))
}

async fn group_by(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    force_function(&co, args[0].clone()).await?;
    let list = force_list(&co, args[1].clone()).await?;
    let mut groups: crate::builtins::Groups = Default::default();
    for x in list.iter() {
        let key = call_forced(&co, args[0].clone(), x.clone()).await?;
        let key = name_arg(&co, key).await?;
        groups.entry(key).or_default().push(x.clone());
    }
    Ok(crate::builtins::grouped_lists(groups))
}

// ---- control ----------------------------------------------------------------------

async fn try_eval(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let (success, value) = match force(&co, args[0].clone()).await {
        Ok(v) => (true, v),
        Err(e) if e.is_catchable() => (false, Value::Bool(false)),
        Err(e) => return Err(e),
    };
    Ok(Value::Attrs(Attrs::from_unsorted(vec![
        (known::success(), Value::Bool(success)),
        (known::value(), value),
    ])))
}

async fn deep_seq(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    deep_force(&co, args[0].clone()).await?;
    force(&co, args[1].clone()).await
}

async fn trace(co: Co, ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let msg = force(&co, args[0].clone()).await?;
    let text = match &msg {
        Value::String(s) => s.to_str_lossy().into_owned(),
        // The shared printer; it only reads values, never evaluates.
        other => crate::print::print_traced(other)?
            .to_str_lossy()
            .into_owned(),
    };
    ctx.io.trace(&text);
    force(&co, args[1].clone()).await
}

async fn add_error_context(co: Co, ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    match force(&co, args[1].clone()).await {
        Ok(v) => Ok(v),
        Err(mut e) => {
            let msg =
                coerce_to_string(&co, &ctx, args[0].clone(), CoercionKind::Interpolation).await;
            if let Ok(msg) = msg {
                e.push_trace(msg.to_str_lossy().into_owned(), None);
            }
            Err(e)
        }
    }
}

// ---- io ---------------------------------------------------------------------------

/// Coerces a path-like argument to an absolute path.
async fn path_arg(co: &Co, ctx: &EvalContext, v: Value) -> Result<std::path::PathBuf> {
    let s = coerce_to_string(co, ctx, v, CoercionKind::PathInterpolation).await?;
    absolute_path(&s)
}

async fn import(co: Co, ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let path = path_arg(&co, &ctx, args[0].clone()).await?;
    let file = prepare_import(&ctx, &path, None)?;
    force(&co, file).await
}

async fn scoped_import(co: Co, ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let scope = force_attrs(&co, args[0].clone()).await?;
    let path = path_arg(&co, &ctx, args[1].clone()).await?;
    let file = prepare_import(&ctx, &path, Some(scope))?;
    force(&co, file).await
}

async fn find_file(co: Co, ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let entries = force_list(&co, args[0].clone()).await?;
    let wanted = force_string(&co, args[1].clone()).await?;
    let wanted = wanted.utf8()?;
    for entry in entries.iter() {
        let entry = force_attrs(&co, entry.clone()).await?;
        let prefix = match entry.get(known::prefix()) {
            Some(p) => force_string(&co, p.clone()).await?.utf8()?.to_string(),
            None => String::new(),
        };
        let path = match entry.get(known::path()) {
            Some(p) => coerce_to_string(&co, &ctx, p.clone(), CoercionKind::PathInterpolation)
                .await?
                .utf8()?
                .to_string(),
            None => return Err(Error::other("attribute 'path' missing")),
        };
        if let Some(found) = search_path_candidate(&ctx, &prefix, &path, wanted) {
            return Ok(found);
        }
    }
    if let Some(builtin) = corepkg_path(wanted) {
        return Ok(builtin);
    }
    Err(not_in_search_path(&ctx, wanted))
}

// ---- lists ------------------------------------------------------------------------

/// Calls a Nix predicate and requires a Boolean answer.
async fn predicate(co: &Co, f: &Value, x: &Value) -> Result<bool> {
    let answer = call(co, f.clone(), x.clone()).await?;
    force_bool(co, answer).await
}

async fn filter(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let list = force_list(&co, args[1].clone()).await?;
    let mut out = Vec::new();
    for x in list.iter() {
        if predicate(&co, &args[0], x).await? {
            out.push(x.clone());
        }
    }
    if out.len() == list.len() {
        return Ok(Value::List(list));
    }
    Ok(Value::list(out))
}

async fn foldl_strict(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    force_function(&co, args[0].clone()).await?;
    let list = force_list(&co, args[2].clone()).await?;
    let mut acc = args[1].clone();
    for x in list.iter() {
        acc = call2_forced(&co, args[0].clone(), acc, x.clone()).await?;
    }
    force(&co, acc).await
}

async fn concat_lists(co: Co, ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let lists = force_list(&co, args[0].clone()).await?;
    let mut out = Vec::new();
    for l in lists.iter() {
        let l = force_list(&co, l.clone()).await?;
        ctx.limits.reserve(List::bytes_for(out.len() + l.len()))?;
        out.extend_from_slice(l.as_slice());
    }
    Ok(Value::list(out))
}

async fn concat_map(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    force_function(&co, args[0].clone()).await?;
    let list = force_list(&co, args[1].clone()).await?;
    let mut out = Vec::new();
    for x in list.iter() {
        let mapped = call(&co, args[0].clone(), x.clone()).await?;
        out.extend_from_slice(force_list(&co, mapped).await?.as_slice());
    }
    Ok(Value::list(out))
}

async fn elem(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let list = force_list(&co, args[1].clone()).await?;
    for x in list.iter() {
        if nix_eq_members(&co, &args[0], x).await? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

async fn any(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    force_function(&co, args[0].clone()).await?;
    let list = force_list(&co, args[1].clone()).await?;
    for x in list.iter() {
        if predicate(&co, &args[0], x).await? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

async fn all(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    force_function(&co, args[0].clone()).await?;
    let list = force_list(&co, args[1].clone()).await?;
    for x in list.iter() {
        if !predicate(&co, &args[0], x).await? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

async fn partition(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    force_function(&co, args[0].clone()).await?;
    let list = force_list(&co, args[1].clone()).await?;
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    for x in list.iter() {
        force(&co, x.clone()).await?;
        if predicate(&co, &args[0], x).await? {
            right.push(x.clone());
        } else {
            wrong.push(x.clone());
        }
    }
    Ok(crate::builtins::attrs_of([
        ("right", Value::list(right)),
        ("wrong", Value::list(wrong)),
    ]))
}

/// `sort`: a stable merge sort whose comparisons are Nix calls. The
/// standard library's sort cannot take an `async` comparator, so the
/// generator design needs its own; this one is bottom-up (no recursion),
/// O(n log n), and skips merging runs that are already in order.
async fn sort(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let list = force_list(&co, args[1].clone()).await?;
    let less = force_function(&co, args[0].clone()).await?;
    for x in list.iter() {
        force(&co, x.clone()).await?;
    }
    let mut items: Vec<Value> = list.as_slice().to_vec();
    merge_sort(&co, &less, &mut items).await?;
    Ok(Value::List(List::from_vec(items)))
}

/// Whether the comparator says `a` goes before `b`.
async fn is_less(co: &Co, less: &Value, a: &Value, b: &Value) -> Result<bool> {
    let answer = call2_forced(co, less.clone(), a.clone(), b.clone()).await?;
    force_bool(co, answer).await
}

async fn merge_sort(co: &Co, less: &Value, items: &mut Vec<Value>) -> Result<()> {
    let n = items.len();
    let mut from = std::mem::take(items);
    let mut to: Vec<Value> = Vec::with_capacity(n);
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            merge(co, less, &mut from[start..end], mid - start, &mut to).await?;
            start = end;
        }
        std::mem::swap(&mut from, &mut to);
        to.clear();
        width *= 2;
    }
    *items = from;
    Ok(())
}

/// Merges the sorted runs `run[..mid]` and `run[mid..]` onto `out`, taking
/// from the left run on ties (which keeps the sort stable).
async fn merge(
    co: &Co,
    less: &Value,
    run: &mut [Value],
    mid: usize,
    out: &mut Vec<Value>,
) -> Result<()> {
    let in_order =
        mid == 0 || mid == run.len() || !is_less(co, less, &run[mid], &run[mid - 1]).await?;
    if in_order {
        out.extend(run.iter_mut().map(std::mem::take));
        return Ok(());
    }
    let (mut i, mut j) = (0, mid);
    while i < mid && j < run.len() {
        // When the left run is down to its last element and the right run is
        // untouched, the check above has already compared the two.
        let known = j == mid && i + 1 == mid;
        if known || is_less(co, less, &run[j], &run[i]).await? {
            out.push(std::mem::take(&mut run[j]));
            j += 1;
        } else {
            out.push(std::mem::take(&mut run[i]));
            i += 1;
        }
    }
    out.extend(run[i..mid].iter_mut().map(std::mem::take));
    out.extend(run[j..].iter_mut().map(std::mem::take));
    Ok(())
}

// ---- numbers ------------------------------------------------------------------------

async fn less_than_builtin(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    Ok(Value::Bool(
        less_than(&co, args[0].clone(), args[1].clone()).await?,
    ))
}

// ---- strings ------------------------------------------------------------------------

async fn substring(co: Co, ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let start = force_int(&co, args[0].clone()).await?;
    let len = force_int(&co, args[1].clone()).await?;
    let s = coerce_to_string(&co, &ctx, args[2].clone(), CoercionKind::Interpolation).await?;
    crate::builtins::substring_of(start, len, &s)
}

async fn concat_strings_sep(co: Co, ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let sep = force_string(&co, args[0].clone()).await?;
    let list = force_list(&co, args[1].clone()).await?;
    let mut out = StringBuilder::default();
    // The separator's context counts even when it is never used, as on the
    // fiber VM.
    if let Some(ctx) = sep.context() {
        out.add_context(ctx);
    }
    for (i, item) in list.iter().enumerate() {
        if i > 0 {
            out.push(&sep);
        }
        let s = coerce_to_string(&co, &ctx, item.clone(), CoercionKind::Interpolation).await?;
        out.push(&s);
    }
    Ok(Value::String(out.finish()))
}

async fn dir_of(co: Co, ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    let v = force(&co, args[0].clone()).await?;
    let is_path = matches!(v, Value::Path(_));
    let s = coerce_to_string(&co, &ctx, v, CoercionKind::PathInterpolation).await?;
    let dir = crate::path::dir_of(s.as_bytes()).to_vec();
    if is_path {
        return Ok(Value::Path(NixString::new(dir)));
    }
    Ok(Value::String(s.with_context_of(dir)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Settings;
    use crate::genvm::GenVm;
    use crate::io::PureIo;

    fn settings() -> Settings {
        Settings {
            pure: true,
            restrict_eval: false,
            search_path: Vec::new(),
            current_system: "x86_64-linux".into(),
            store_dir: "/nix/store".into(),
            home: None,
            working_dir: "/".into(),
            max_call_depth: usize::MAX,
            stack_budget: 8 << 30,
            experimental_features: Vec::new(),
            lints: Default::default(),
            abort_on_warn: false,
            limits: Default::default(),
        }
    }

    #[test]
    fn every_builtin_has_a_route() {
        let globals = crate::builtins::globals(&settings());
        let Some(Value::Attrs(builtins)) = globals.get(Symbol::intern("builtins")) else {
            panic!("no builtins set");
        };
        let mut unrouted = Vec::new();
        for (_, v) in builtins.entries() {
            if let Value::Builtin(b) = v {
                if route(b.name).is_none() {
                    unrouted.push(b.name);
                }
            }
        }
        assert!(
            unrouted.is_empty(),
            "builtins without a route: {unrouted:?}"
        );
    }

    fn fake(_vm: &mut Vm, _args: &[Value]) -> Result<Value> {
        Ok(Value::Null)
    }

    static FAKE: Builtin = Builtin {
        name: "fakeBuiltin",
        arity: 1,
        func: crate::value::BuiltinFn::Plain(fake),
        forces_first: None,
    };

    #[test]
    fn builtins_without_a_route_are_refused() {
        let ctx = Rc::new(EvalContext::new(settings(), Rc::new(PureIo)));
        let mut vm = GenVm::new(ctx, 1 << 30);
        let error = vm
            .call_forced(Value::Builtin(&FAKE), Value::Null)
            .expect_err("refused");
        assert!(
            error
                .to_string()
                .contains("builtin 'fakeBuiltin' is not supported by the generator VM"),
            "{error}"
        );
    }
}
