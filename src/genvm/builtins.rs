//! How the generator VM runs builtins: the shared path, stepped builtins,
//! and the builtins written as generators.
//!
//! Every builtin's declaration says how this VM runs it
//! ([`OnGenerator`]). Builtins whose only use of the VM is forcing a few
//! values take the shared path: the builtin's shared instantiation runs on
//! a [`Detached`] engine, which evaluates nothing. When the builtin forces a
//! pending thunk, the engine fails and names the thunk; the generator VM
//! forces it with its own frames and runs the builtin again, which now
//! finds the value in the thunk. Stepped builtins run their first step the
//! same way; each force or call a step asks for is then carried out by a
//! generator frame ([`drive_steps`]). Nothing recurses natively, and the
//! result is exactly the fiber VM's. The few builtins that call back into
//! Nix in ways no step machine expresses yet (`listToAttrs`, `scopedImport`, …) are
//! written here again as `async` functions, as tvix writes every builtin,
//! and found through [`own`].

use std::cmp::Ordering;

use std::rc::Rc;

use super::detached::Detached;
use super::helpers::{
    call2_forced, call_forced, coerce_to_string, compare, deep_force, force, force_attrs,
    force_function, force_int, force_list, force_string, force_thunk, name_arg, nix_eq_members,
};
use super::requests::{call, Co, GenFuture};
use crate::builtins::{absolute_path, corepkg_path, not_in_search_path, search_path_candidate};
use crate::context::EvalContext;
use crate::engine::{prepare_import, BuiltinStep, CoercionKind, Engine};
use crate::error::{Error, Result};
use crate::symbol::{known, Symbol};
use crate::value::{
    AttrsBuilder, Builtin, BuiltinFn, List, NixString, StringBuilder, Thunk, Value,
};

/// A builtin written as a generator.
pub(crate) type GenBuiltin = fn(Co, Rc<EvalContext>, Vec<Value>) -> GenFuture;

/// Wraps an `async fn(Co, Rc<EvalContext>, Vec<Value>)` as a [`GenBuiltin`].
macro_rules! generator {
    ($f:ident) => {
        (|co, ctx, args| Box::pin($f(co, ctx, args))) as GenBuiltin
    };
}

/// The generator VM's own implementation of a builtin declared
/// [`OnGenerator::Own`]. `every_own_builtin_has_an_implementation` below
/// checks that each such builtin has one, and only those.
pub(crate) fn own(name: &str) -> Option<GenBuiltin> {
    Some(match name {
        "removeAttrs" => generator!(remove_attrs),
        "listToAttrs" => generator!(list_to_attrs),
        "catAttrs" => generator!(cat_attrs),
        "zipAttrsWith" => generator!(zip_attrs_with),
        "deepSeq" => generator!(deep_seq),
        "addErrorContext" => generator!(add_error_context),
        "scopedImport" => generator!(scoped_import),
        "findFile" => generator!(find_file),
        "concatLists" => generator!(concat_lists),
        "concatMap" => generator!(concat_map),
        "elem" => generator!(elem),
        "substring" => generator!(substring),
        "concatStringsSep" => generator!(concat_strings_sep),
        "dirOf" => generator!(dir_of),
        "genericClosure" => generator!(generic_closure),
        "path" => generator!(path),
        "filterSource" => generator!(filter_source),
        _ => return None,
    })
}

/// The error for a builtin the generator VM has no way to run.
pub(crate) fn unsupported(builtin: &Builtin) -> Error {
    Error::other(format!(
        "builtin '{}' is not supported by the generator VM",
        builtin.name
    ))
}

// ---- the shared path ----------------------------------------------------------

/// What running a shared builtin on the detached engine came to.
pub(crate) enum SharedRun<T> {
    /// Its result.
    Done(Result<T>),
    /// It needs this thunk forced first.
    Blocked(Thunk),
}

/// Runs `f` on the detached `engine` once.
pub(crate) fn run_once<T>(
    engine: &mut Detached,
    f: impl FnOnce(&mut Detached) -> Result<T>,
) -> SharedRun<T> {
    match f(engine) {
        Ok(v) => SharedRun::Done(Ok(v)),
        Err(e) => match engine.take_blocked() {
            Some(thunk) => SharedRun::Blocked(thunk),
            None => SharedRun::Done(Err(e)),
        },
    }
}

/// Runs the builtin's shared instantiation on the detached `engine`.
pub(crate) fn run_shared(
    engine: &mut Detached,
    builtin: &Builtin,
    args: &[Value],
) -> SharedRun<Value> {
    run_once(engine, |e| builtin.run_shared(e, args))
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
    finish_shared(&co, &mut Detached::new(ctx), builtin, &args, blocker).await
}

async fn finish_shared(
    co: &Co,
    engine: &mut Detached,
    builtin: &Builtin,
    args: &[Value],
    blocker: Thunk,
) -> Result<Value> {
    run_detached(co, engine, builtin.name, Some(blocker), |e| {
        builtin.run_shared(e, args)
    })
    .await
}

/// Runs `f` on the detached `engine` until it no longer needs a thunk
/// forced, forcing `pending` first and then each thunk `f` needs, with the
/// generator VM's frames.
async fn run_detached<T>(
    co: &Co,
    engine: &mut Detached,
    what: &str,
    mut pending: Option<Thunk>,
    mut f: impl FnMut(&mut Detached) -> Result<T>,
) -> Result<T> {
    let mut last: Option<Thunk> = None;
    loop {
        if let Some(thunk) = pending.take() {
            // An error is left in the thunk, where `f` meets it again; but a
            // thunk that ran out of a resource is pending again, so that
            // error ends the builtin here.
            if let Err(e) = force_thunk(co, thunk.clone()).await {
                if e.is_resource_limit() {
                    return Err(e);
                }
            }
            last = Some(thunk);
        }
        match run_once(engine, &mut f) {
            SharedRun::Done(result) => return result,
            SharedRun::Blocked(thunk) if last.as_ref().is_some_and(|t| t.ptr_eq(&thunk)) => {
                return Err(Error::other(format!(
                    "internal error: builtin '{what}' blocked twice on one thunk"
                )))
            }
            SharedRun::Blocked(thunk) => pending = Some(thunk),
        }
    }
}

// ---- stepped builtins -----------------------------------------------------------

/// The generator behind a stepped builtin ([`OnGenerator::Stepped`]): its
/// first step computed on the detached engine as a shared builtin is (run
/// again after each thunk it needed forced), then each force and call it
/// asks for carried out with the generator VM's frames, the builtin
/// resumed with the answer on the detached engine.
pub(crate) async fn drive_steps(
    co: Co,
    ctx: Rc<EvalContext>,
    builtin: &'static Builtin,
    args: Vec<Value>,
) -> Result<Value> {
    let BuiltinFn::Stepped(first) = builtin.shared else {
        return Err(unsupported(builtin));
    };
    let mut engine = Detached::new(ctx);
    let mut step: BuiltinStep<dyn Engine> =
        run_detached(&co, &mut engine, builtin.name, None, |e| first(e, &args)).await?;
    loop {
        let (then, value) = match step {
            BuiltinStep::Done(v) => return Ok(v),
            BuiltinStep::Force(v, then) => (then, force(&co, v).await?),
            BuiltinStep::Call(c) => {
                let v = match c.second {
                    None => call_forced(&co, c.function, c.arg).await?,
                    Some(b) => call2_forced(&co, c.function, c.arg, b).await?,
                };
                (c.then, v)
            }
        };
        step = match run_once(&mut engine, |e| then.resume(e, value)) {
            SharedRun::Done(next) => next?,
            // A step forces nothing pending itself (see `crate::engine::steps`).
            SharedRun::Blocked(_) => {
                return Err(Error::other(format!(
                    "internal error: a step of builtin '{}' forced a pending thunk",
                    builtin.name
                )))
            }
        };
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
/// own `parse` on the detached engine.
async fn path_arguments(
    co: &Co,
    ctx: &Rc<EvalContext>,
    what: &str,
    parse: fn(&mut Detached, &[Value]) -> Result<crate::builtins::store::AddPathArgs>,
    args: &[Value],
) -> Result<crate::builtins::store::AddPathArgs> {
    let mut engine = Detached::new(ctx.clone());
    run_detached(co, &mut engine, what, None, |e| parse(e, args)).await
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
    let mut engine = Detached::new(ctx);
    match run_shared(&mut engine, builtin, &args) {
        SharedRun::Done(result) => result,
        SharedRun::Blocked(thunk) => finish_shared(&co, &mut engine, builtin, &args, thunk).await,
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
    let mut engine = Detached::new(ctx);
    match run_shared(&mut engine, builtin, &args) {
        SharedRun::Done(result) => result,
        SharedRun::Blocked(thunk) => finish_shared(&co, &mut engine, builtin, &args, thunk).await,
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
    Ok(Value::Attrs(attrs.without(remove)))
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
        for (k, v) in force_attrs(&co, set.clone()).await?.iter() {
            grouped.entry(*k).or_default().push(v.clone());
        }
    }
    Ok(crate::builtins::zipped(&args[0], grouped))
}

// ---- control ----------------------------------------------------------------------

async fn deep_seq(co: Co, _ctx: Rc<EvalContext>, args: Vec<Value>) -> Result<Value> {
    deep_force(&co, args[0].clone()).await?;
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

// ---- numbers ------------------------------------------------------------------------

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
    use crate::value::OnGenerator;

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

    /// Every builtin of the `builtins` set, and the globals.
    fn every_builtin() -> Vec<&'static Builtin> {
        let globals = crate::builtins::globals(&settings());
        let Some(Value::Attrs(builtins)) = globals.get(Symbol::intern("builtins")) else {
            panic!("no builtins set");
        };
        builtins
            .iter()
            .filter_map(|(_, v)| match v {
                Value::Builtin(b) => Some(*b),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_own_builtin_has_an_implementation() {
        let mut missing = Vec::new();
        let mut needless = Vec::new();
        for b in every_builtin() {
            match (b.on_generator, own(b.name)) {
                (OnGenerator::Own, None) => missing.push(b.name),
                (OnGenerator::Own, Some(_)) | (_, None) => {}
                (_, Some(_)) => needless.push(b.name),
            }
        }
        assert!(
            missing.is_empty(),
            "declared Own without an implementation: {missing:?}"
        );
        assert!(
            needless.is_empty(),
            "implemented but not declared Own: {needless:?}"
        );
    }

    #[test]
    fn every_stepped_builtin_is_stepped_for_both_engines() {
        for b in every_builtin() {
            let fiber = matches!(b.func, BuiltinFn::Stepped(_));
            let shared = matches!(b.shared, BuiltinFn::Stepped(_));
            assert_eq!(fiber, shared, "{}", b.name);
            if b.on_generator == OnGenerator::Stepped {
                assert!(shared, "{} is declared stepped but is not", b.name);
            }
        }
    }

    fn fake<E: Engine + ?Sized>(_engine: &mut E, _args: &[Value]) -> Result<Value> {
        Ok(Value::Null)
    }

    static FAKE: Builtin = Builtin {
        name: "fakeBuiltin",
        arity: 1,
        func: BuiltinFn::Plain(fake),
        shared: BuiltinFn::Plain(fake),
        on_generator: OnGenerator::Own,
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
