//! The library API: configure an [`Evaluator`], evaluate a string or a file,
//! and inspect or print the result.
//!
//! Stepping evaluations, which hand their requests to the host, are in
//! [`crate::evaluation`]; conversions through serde in [`crate::convert`].

use std::path::{Path, PathBuf};
use std::rc::Rc;

use bstr::BString;

use crate::compiler::Lints;
use crate::context::{EvalContext, SearchPathEntry, Settings};
use crate::engine::Engine;
use crate::error::{Error, Result};
#[cfg(feature = "generator-vm")]
use crate::genvm::GenVm;
use crate::globals::Globals;
use crate::host::HostIo;
use crate::io::{EvalIo, PureIo, RestrictedIo, StdIo};
use crate::limits::LimitSettings;
use crate::store::{Store, StoreMappedIo, StoreState};
use crate::symbol::Symbol;
use crate::value::{Attrs, HostBuiltin, Thunk, Value};
use crate::vm::Vm;

/// Which virtual machine evaluates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VmKind {
    /// The fiber VM ([`crate::vm`]): recursive Rust on growable fiber stacks.
    #[default]
    Fiber,
    /// The generator VM ([`crate::genvm`]): tvix-eval's design, a heap
    /// frame stack with builtins and VM helpers as generators. A baseline
    /// to measure the fiber VM against. Built with the `generator-vm`
    /// feature (on by default).
    #[cfg(feature = "generator-vm")]
    Generator,
}

/// What an [`Evaluator`] asks of the VM running one of its operations.
/// Each VM implements it; the evaluator chooses the VM in one place
/// (`Evaluator::with_engine`) and talks to it through this trait. One
/// dynamic call per operation, never per step of the evaluation.
pub(crate) trait EvaluatorVm {
    /// Evaluates `value` to weak head normal form.
    fn force(&mut self, value: Value) -> Result<Value>;
    /// Forces `value` and everything inside it.
    fn deep_force(&mut self, value: Value) -> Result<Value>;
    /// Imports a file (a directory means its `default.nix`) and forces it.
    fn import_file(&mut self, path: &Path) -> Result<Value>;
    /// `function` applied to `args`, one after the other, forced.
    fn apply(&mut self, function: Value, args: &[Value]) -> Result<Value>;
    /// Runs a printer, shared recursive code, over a completely forced
    /// value, with an engine of this VM that evaluates nothing new.
    fn serialise(
        &mut self,
        print: &mut dyn FnMut(&mut dyn Engine) -> Result<BString>,
    ) -> Result<BString>;
}

impl EvaluatorVm for Vm {
    fn force(&mut self, value: Value) -> Result<Value> {
        Vm::force(self, value)
    }

    fn deep_force(&mut self, value: Value) -> Result<Value> {
        Engine::deep_force(self, value)
    }

    fn import_file(&mut self, path: &Path) -> Result<Value> {
        Engine::import_file(self, path, None)
    }

    fn apply(&mut self, function: Value, args: &[Value]) -> Result<Value> {
        let mut result = function;
        for arg in args {
            result = Vm::call(self, result, arg.clone())?;
        }
        Vm::force(self, result)
    }

    fn serialise(
        &mut self,
        print: &mut dyn FnMut(&mut dyn Engine) -> Result<BString>,
    ) -> Result<BString> {
        // The fiber VM already runs on a fiber task.
        print(self)
    }
}

impl VmKind {
    /// Every VM this build has: the fiber VM, and the generator VM when the
    /// `generator-vm` feature is on.
    #[cfg(feature = "generator-vm")]
    pub const ALL: &'static [VmKind] = &[VmKind::Fiber, VmKind::Generator];
    /// Every VM this build has: the fiber VM alone, as the `generator-vm`
    /// feature is off.
    #[cfg(not(feature = "generator-vm"))]
    pub const ALL: &'static [VmKind] = &[VmKind::Fiber];
}

/// Configures an [`Evaluator`].
#[derive(Clone)]
pub struct EvaluatorBuilder {
    pure: bool,
    restrict_eval: bool,
    search_path: Vec<SearchPathEntry>,
    io: Option<Rc<dyn EvalIo>>,
    stack_budget: usize,
    current_system: String,
    home: Option<String>,
    working_dir: Option<PathBuf>,
    max_call_depth: Option<usize>,
    experimental_features: Vec<String>,
    lints: Lints,
    abort_on_warn: bool,
    fuel: Option<u64>,
    limits: LimitSettings,
    host_io: bool,
    builtins: Vec<Rc<HostBuiltin>>,
    globals: Vec<(String, GlobalDef)>,
    vm: VmKind,
    store: Option<Rc<dyn Store>>,
    read_write_mode: bool,
    short_lived: bool,
}

/// An extra global name, as given to the builder.
#[derive(Clone)]
enum GlobalDef {
    Value(Value),
    Expr(String),
}

impl Default for EvaluatorBuilder {
    fn default() -> Self {
        EvaluatorBuilder {
            pure: false,
            restrict_eval: false,
            search_path: Vec::new(),
            io: None,
            stack_budget: crate::limits::default_stack_budget(),
            current_system: default_system(),
            home: std::env::var("HOME").ok(),
            working_dir: None,
            max_call_depth: None,
            experimental_features: Vec::new(),
            lints: Lints::default(),
            abort_on_warn: false,
            fuel: None,
            limits: LimitSettings::default(),
            host_io: false,
            builtins: Vec::new(),
            globals: Vec::new(),
            vm: VmKind::Fiber,
            store: None,
            read_write_mode: false,
            short_lived: false,
        }
    }
}

/// The directories restricted evaluation allows: the search path's entries
/// that name local paths (relative ones from the working directory).
fn search_path_roots(entries: &[SearchPathEntry], working_dir: &Path) -> Vec<PathBuf> {
    entries
        .iter()
        .filter(|e| !e.path.contains("://"))
        .map(|e| working_dir.join(&e.path))
        .collect()
}

fn default_system() -> String {
    let arch = std::env::consts::ARCH;
    let os = std::env::consts::OS;
    format!("{arch}-{os}")
}

impl EvaluatorBuilder {
    /// Pure mode, as Nix's `pure-eval`: every file access is refused with
    /// an error (`pathExists` says false), `getEnv` gives "", there is no
    /// `currentSystem` or `currentTime`, and the search path is not used
    /// (`nixPath` is empty, `<name>` fails).
    pub fn pure(mut self, pure: bool) -> Self {
        self.pure = pure;
        self
    }

    /// Makes `builtins.warn` an error after it has warned, as Nix's
    /// `abort-on-warn` setting does.
    pub fn abort_on_warn(mut self, abort: bool) -> Self {
        self.abort_on_warn = abort;
        self
    }

    /// Restricted mode, as Nix's `restrict-eval`: only paths under the
    /// directories of the search path (`-I`, `NIX_PATH`, the built-in
    /// `<nix/…>` files) may be read — not even the file being evaluated
    /// otherwise — a path whose symbolic links lead out is refused too, and
    /// `getEnv` gives "". Pure mode, which refuses every path, takes
    /// precedence.
    pub fn restrict_eval(mut self, restrict: bool) -> Self {
        self.restrict_eval = restrict;
        self
    }

    /// Adds search-path entries (`prefix=path` or `path`), as `-I` does.
    pub fn search_path<S: AsRef<str>>(mut self, entries: impl IntoIterator<Item = S>) -> Self {
        self.search_path.extend(
            entries
                .into_iter()
                .map(|e| SearchPathEntry::parse(e.as_ref())),
        );
        self
    }

    /// Replaces the host I/O (file system, environment, clock).
    pub fn io(mut self, io: Rc<dyn EvalIo>) -> Self {
        self.io = Some(io);
        self
    }

    /// Caps the native stack one evaluation may use, in bytes.
    pub fn stack_budget(mut self, bytes: usize) -> Self {
        self.stack_budget = bytes;
        self
    }

    /// Sets `builtins.currentSystem`.
    pub fn current_system(mut self, system: impl Into<String>) -> Self {
        self.current_system = system.into();
        self
    }

    /// Sets the home directory used for `~/…` paths.
    pub fn home(mut self, home: Option<String>) -> Self {
        self.home = home;
        self
    }

    /// Sets the directory that expressions given as strings are relative to.
    pub fn working_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Fails evaluations that nest more than `depth` function calls (by
    /// default only the stack budget limits nesting).
    pub fn max_call_depth(mut self, depth: usize) -> Self {
        self.max_call_depth = Some(depth);
        self
    }

    /// Enables experimental features by name (`parse-toml-timestamps`, …).
    pub fn experimental_features<S: AsRef<str>>(
        mut self,
        features: impl IntoIterator<Item = S>,
    ) -> Self {
        self.experimental_features
            .extend(features.into_iter().map(|f| f.as_ref().to_string()));
        self
    }

    /// Turns on lints for literals (absolute and home paths, `./`-less
    /// relative paths, unquoted URLs).
    pub fn lints(mut self, lints: Lints) -> Self {
        self.lints = lints;
        self
    }

    /// Gives every evaluation a budget of `steps` evaluation steps (closure
    /// calls and thunk forces). A synchronous call (`eval_str`, `force`, …)
    /// that uses them up fails with [`ErrorKind::OutOfFuel`](crate::ErrorKind::OutOfFuel);
    /// a stepping [`Evaluation`](crate::Evaluation) suspends with
    /// [`HostRequest::OutOfFuel`](crate::HostRequest::OutOfFuel) and may be
    /// given more. Without it, evaluation steps are not limited.
    pub fn fuel(mut self, steps: u64) -> Self {
        self.fuel = Some(steps);
        self
    }

    /// Says that the process ends once this evaluator's work is done, as a
    /// command-line run does: cycles of values are then not collected
    /// between operations nor when the evaluator is dropped, which would
    /// only free what the end of the process frees anyway. Collections
    /// during a long evaluation still keep its memory in bounds (see
    /// [`Evaluator::collect_cycles`]).
    pub fn short_lived(mut self, short_lived: bool) -> Self {
        self.short_lived = short_lived;
        self
    }

    /// Caps the heap an evaluation may use, in bytes (`None`: no cap). An
    /// evaluation that would grow past it fails with
    /// [`ErrorKind::HeapExhausted`](crate::ErrorKind::HeapExhausted). The
    /// default is half of the machine's memory ([`crate::limits`]).
    pub fn max_heap(mut self, bytes: Option<usize>) -> Self {
        self.limits.heap_cap = bytes;
        self
    }

    /// Limits each operation of the evaluator (an evaluation, a force, a
    /// print, a call) to `limit` of wall-clock time; past it, the operation
    /// fails with [`ErrorKind::TimeLimit`](crate::ErrorKind::TimeLimit).
    /// See also [`Evaluator::set_deadline`].
    pub fn time_limit(mut self, limit: std::time::Duration) -> Self {
        self.limits.time_limit = Some(limit);
        self
    }

    /// The most backtracking steps one `builtins.match` or `builtins.split`
    /// match may take to reproduce C++ Nix's answer exactly, before a
    /// linear-time engine answers (leftmost-longest) instead. Bounds the
    /// time a pathological pattern can take.
    pub fn regex_steps(mut self, steps: u64) -> Self {
        self.limits.regex_steps = steps;
        self
    }

    /// Sends the I/O of stepping evaluations to the host: each file read,
    /// directory listing, environment lookup, … suspends the evaluation with a
    /// [`HostRequest`](crate::HostRequest) (see [`HostIo`]). Synchronous calls,
    /// which cannot suspend, use the I/O given with [`EvaluatorBuilder::io`],
    /// or the default for [`EvaluatorBuilder::pure`].
    pub fn host_io(mut self) -> Self {
        self.host_io = true;
        self
    }

    /// Adds a builtin written in Rust, as `builtins.<name>`. It receives
    /// `arity` (at least 1) unevaluated arguments and forces what it needs
    /// through the [`Vm`], which also lets it call Nix functions.
    ///
    /// ```
    /// use spindle::{Engine, Evaluator, Value};
    ///
    /// let evaluator = Evaluator::builder()
    ///     .builtin("double", 1, |vm, args| {
    ///         let n = vm.force_int(args[0].clone())?;
    ///         Ok(Value::Int(n * 2))
    ///     })
    ///     .build();
    /// let v = evaluator.eval_str("builtins.double 21").unwrap();
    /// assert_eq!(v.as_int(), Some(42));
    /// ```
    pub fn builtin(
        mut self,
        name: &str,
        arity: usize,
        func: impl Fn(&mut Vm, &[Value]) -> Result<Value> + 'static,
    ) -> Self {
        self.builtins.push(Rc::new(HostBuiltin {
            name: name.into(),
            arity: arity.max(1),
            func: Rc::new(func),
        }));
        self
    }

    /// Adds a builtin, `builtins.<name>`, that the host answers
    /// asynchronously: calling it deep-forces its `arity` arguments and
    /// suspends the evaluation with
    /// [`HostRequest::Call`](crate::HostRequest::Call); the host resumes it
    /// with [`HostReply::Value`](crate::HostReply::Value) whenever the answer
    /// is ready. Outside a stepping evaluation the call fails.
    pub fn async_builtin(mut self, name: &str, arity: usize) -> Self {
        let name: Rc<str> = name.into();
        self.builtins.push(Rc::new(HostBuiltin {
            name: name.clone(),
            arity: arity.max(1),
            func: Rc::new(crate::host::async_builtin(name)),
        }));
        self
    }

    /// Makes `name` a global: visible, without `builtins.`, in every file and
    /// expression the evaluator compiles (like `--arg`, for every file).
    pub fn global(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.globals
            .push((name.to_string(), GlobalDef::Value(value.into())));
        self
    }

    /// Makes `name` a global whose value is the Nix expression `source`
    /// (relative paths in it are relative to the working directory). It is
    /// evaluated lazily, once, when first used; a syntax error in it is
    /// reported there.
    pub fn global_expr(mut self, name: &str, source: &str) -> Self {
        self.globals
            .push((name.to_string(), GlobalDef::Expr(source.to_string())));
        self
    }

    /// Chooses the virtual machine (the fiber VM by default).
    pub fn vm(mut self, kind: VmKind) -> Self {
        self.vm = kind;
        self
    }

    /// Writes to `store` what Nix writes to its store (`toFile`, `path`,
    /// `filterSource`, paths coerced to strings; derivations too with
    /// [`EvaluatorBuilder::read_write_mode`]), and names store paths
    /// after its store directory. Without a store, evaluation writes
    /// nothing and names paths under `/nix/store`. Reading the store's
    /// paths back goes through the I/O, with each store path mapped to
    /// where the store keeps it ([`Store::physical_path`]).
    pub fn store(mut self, store: Rc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// nix-instantiate's `--read-write-mode` (only with a store): the
    /// `.drv` file of each derivation is written to the store too, and
    /// `builtins.storePath` accepts only valid paths.
    pub fn read_write_mode(mut self, write: bool) -> Self {
        self.read_write_mode = write;
        self
    }

    /// Builds the evaluator.
    pub fn build(self) -> Evaluator {
        let base_io: Rc<dyn EvalIo> = match (self.io, self.pure) {
            (Some(io), _) => io,
            (None, true) => Rc::new(PureIo),
            (None, false) => Rc::new(StdIo),
        };
        let io: Rc<dyn EvalIo> = if self.host_io {
            Rc::new(HostIo::with_fallback(base_io))
        } else {
            base_io
        };
        let io: Rc<dyn EvalIo> = match &self.store {
            Some(store) => Rc::new(StoreMappedIo::new(io, store.clone())),
            None => io,
        };
        let store_dir = self
            .store
            .as_ref()
            .map_or_else(|| "/nix/store".to_string(), |s| s.store_dir().to_string());
        let working_dir = self
            .working_dir
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        // Pure evaluation ignores the search path, as Nix does.
        let search_path = if self.pure {
            Vec::new()
        } else {
            self.search_path
        };
        let io: Rc<dyn EvalIo> = if self.restrict_eval && !self.pure {
            let roots = search_path_roots(&search_path, &working_dir);
            Rc::new(RestrictedIo::new(io, roots))
        } else {
            io
        };
        let settings = Settings {
            pure: self.pure,
            restrict_eval: self.restrict_eval,
            search_path,
            current_system: self.current_system,
            store_dir,
            home: self.home,
            working_dir,
            max_call_depth: self.max_call_depth.unwrap_or(usize::MAX),
            stack_budget: self.stack_budget,
            experimental_features: self.experimental_features,
            lints: self.lints,
            abort_on_warn: self.abort_on_warn,
            limits: self.limits,
        };
        let mut ctx = EvalContext::new(settings, io);
        ctx.store = StoreState::with_backend(self.store, self.read_write_mode);
        let ctx = Rc::new(ctx);
        let mut globals = crate::builtins::globals(&ctx.settings);
        add_host_builtins(&mut globals, &self.builtins);
        ctx.set_globals(globals);
        let evaluator = Evaluator {
            ctx,
            stack_budget: self.stack_budget,
            peak_stack: std::cell::Cell::new(0),
            fuel: self.fuel,
            vm: self.vm,
            cycles: CycleCollection {
                automatic: !self.short_lived,
            },
        };
        for (name, def) in self.globals {
            let value = match def {
                GlobalDef::Value(v) => v,
                GlobalDef::Expr(source) => evaluator.lazy_expr(&name, source),
            };
            evaluator.set_global(&name, value);
        }
        evaluator
    }
}

/// Adds the host's builtins to the `builtins` set (and as `__name`), keeping
/// `builtins.builtins` the set itself.
fn add_host_builtins(globals: &mut Globals, builtins: &[Rc<HostBuiltin>]) {
    if builtins.is_empty() {
        return;
    }
    let Some(Value::Attrs(old)) = globals.get(Symbol::intern("builtins")).cloned() else {
        return;
    };
    let itself = Thunk::evaluated(Value::Null);
    let mut added = vec![(Symbol::intern("builtins"), Value::Thunk(itself.clone()))];
    for builtin in builtins {
        let value = Value::PrimApp(crate::value::PrimApp::of(
            crate::value::Primitive::Host(builtin.clone()),
            Vec::new(),
        ));
        globals.insert(&format!("__{}", builtin.name), value.clone());
        added.push((Symbol::intern(&*builtin.name), value));
    }
    let set = Value::Attrs(old.update(&Attrs::from_unsorted(added)));
    itself.tie(set.clone());
    globals.insert("builtins", set);
}

/// A Nix evaluator.
///
/// ```
/// let evaluator = spindle::Evaluator::builder().build();
/// let value = evaluator.eval_str("let x = 20; in x * 2 + 2").unwrap();
/// assert_eq!(evaluator.print(&value, true).unwrap(), "42");
/// ```
pub struct Evaluator {
    ctx: Rc<EvalContext>,
    stack_budget: usize,
    peak_stack: std::cell::Cell<usize>,
    fuel: Option<u64>,
    vm: VmKind,
    /// Last, so that it is dropped after the context it frees.
    cycles: CycleCollection,
}

/// When an [`Evaluator`] collects cycles by itself: between operations, and
/// when it is dropped, unless it is [short-lived](EvaluatorBuilder::short_lived).
/// The last field of an evaluator, so that it is dropped after the context:
/// the globals, import cache and values refer to each other in cycles
/// (`builtins.builtins`, every `rec` set and recursive function), which only
/// a collection frees once the evaluator is gone. Values the host still
/// holds stay alive.
struct CycleCollection {
    automatic: bool,
}

impl Drop for CycleCollection {
    fn drop(&mut self) {
        if self.automatic {
            crate::value::collect_cycles();
        }
    }
}

impl Evaluator {
    /// A builder with the defaults: impure, real file system, the stack
    /// budget and heap cap of [`crate::limits`] (derived from the machine's
    /// memory), no time limit.
    pub fn builder() -> EvaluatorBuilder {
        EvaluatorBuilder::default()
    }

    /// The shared evaluation context.
    pub fn context(&self) -> &Rc<EvalContext> {
        &self.ctx
    }

    /// The stack budget of each evaluation, in bytes.
    pub fn stack_budget(&self) -> usize {
        self.stack_budget
    }

    /// The step budget of each evaluation, if one was set.
    pub fn fuel(&self) -> Option<u64> {
        self.fuel
    }

    /// Runs `f` with a fiber VM on a fiber task, so that it may recurse as
    /// deeply as the stack budget allows. This is the fiber VM whichever
    /// [`VmKind`] the evaluator was built with. It cannot suspend: for an
    /// evaluation that hands requests to the host, see
    /// [`Evaluator::start_with`].
    pub fn with_vm<R>(&self, f: impl FnOnce(&mut Vm) -> Result<R>) -> Result<R> {
        let config = spindle_fiber::TaskConfig {
            stack_budget: self.stack_budget,
        };
        let ctx = self.ctx.clone();
        let fuel = self.fuel;
        self.operation(|| {
            let (result, peak) = spindle_fiber::run(config, move || {
                let mut vm = Vm::new(ctx);
                if let Some(steps) = fuel {
                    vm.set_fuel(steps);
                }
                let result = f(&mut vm);
                let peak = spindle_fiber::current_stats()
                    .map(|s| s.peak_segments * s.segment_size)
                    .unwrap_or(0);
                (result, peak)
            })?;
            self.peak_stack.set(self.peak_stack.get().max(peak));
            result
        })
    }

    /// Runs `f` with the VM the evaluator was built with: the only place
    /// that tells the VMs apart. The fiber VM runs on a fiber task
    /// ([`Evaluator::with_vm`]), the generator VM on the caller's thread
    /// stack (its frames live on the heap).
    fn with_engine<R>(&self, f: impl FnOnce(&mut dyn EvaluatorVm) -> Result<R>) -> Result<R> {
        match self.vm {
            VmKind::Fiber => self.with_vm(|vm| f(vm)),
            #[cfg(feature = "generator-vm")]
            VmKind::Generator => {
                self.operation(|| f(&mut GenVm::new(self.ctx.clone(), self.stack_budget)))
            }
        }
    }

    /// Runs one operation of the evaluator: its time limit counts from
    /// here, and when it fails, the memory it used goes back to the
    /// system, so that a host lives on at the size it had before.
    /// Between operations, cycles are collected when enough candidates
    /// were made since the last collection (see [`crate::value::Collection`]).
    fn operation<R>(&self, f: impl FnOnce() -> Result<R>) -> Result<R> {
        let result = self.ctx.limits.operation(f);
        self.collect_cycles_if_due();
        if result.is_err() {
            crate::limits::release_unused_memory();
        }
        result
    }

    /// Frees every cycle of values on this thread that nothing refers to
    /// any more: values that refer to each other (a `rec` set and the
    /// closures in it, a fixpoint, a module system's `config`), which
    /// reference counting alone never frees. This happens by itself between
    /// operations once enough such values were made, during a long
    /// evaluation, and when an evaluator is dropped; a host may call it at a
    /// moment that suits it. Values it still holds, and those of evaluations
    /// running or suspended on this thread, stay alive.
    ///
    /// ```
    /// let evaluator = spindle::Evaluator::builder().build();
    /// let kept = evaluator.eval_str("rec { a = { inherit b; }; b = { inherit a; n = 1; }; }")?;
    /// for i in 0..1000 {
    ///     let source = format!("let r = rec {{ a = {{ inherit b; }}; b = {{ inherit a; n = {i}; }}; }}; in r.a.b.n");
    ///     assert_eq!(evaluator.print(&evaluator.eval_str(&source)?, true)?, i.to_string());
    /// }
    /// // The 1,000 sets, each a cycle, were collected on the way; what is left goes now.
    /// evaluator.collect_cycles();
    /// evaluator.set_global("kept", kept);
    /// assert_eq!(evaluator.print(&evaluator.eval_str("kept.a.b.a.b.n")?, true)?, "1");
    /// # Ok::<(), spindle::Error>(())
    /// ```
    pub fn collect_cycles(&self) -> crate::value::Collection {
        crate::value::collect_cycles()
    }

    /// Collects cycles if enough candidates were made since the last
    /// collection, unless the evaluator is [short-lived](EvaluatorBuilder::short_lived):
    /// what happens between operations.
    fn collect_cycles_if_due(&self) {
        if self.cycles.automatic {
            crate::value::collect_cycles_if_due();
        }
    }

    /// Whether cycles are collected between operations (see
    /// [`EvaluatorBuilder::short_lived`]).
    pub(crate) fn collects_between_operations(&self) -> bool {
        self.cycles.automatic
    }

    /// Sets a deadline for everything this evaluator does from now on,
    /// across operations (`None` lifts it); past it, an operation fails
    /// with [`ErrorKind::TimeLimit`](crate::ErrorKind::TimeLimit). The
    /// deadline is checked every few thousand evaluation steps.
    pub fn set_deadline(&self, deadline: Option<std::time::Instant>) {
        self.ctx.limits.set_deadline(deadline);
    }

    /// The most fiber stack any evaluation of this evaluator has used so
    /// far, in bytes (whole segments).
    pub fn peak_stack_bytes(&self) -> usize {
        self.peak_stack.get()
    }

    /// Makes `name` a global for every file and expression compiled from now
    /// on (code compiled before keeps what it saw).
    pub fn set_global(&self, name: &str, value: impl Into<Value>) {
        let mut globals = Globals::clone(&self.ctx.globals());
        globals.insert(name, value.into());
        self.ctx.set_globals(globals);
    }

    /// A thunk that evaluates `source` when forced, or fails there with its
    /// syntax error.
    fn lazy_expr(&self, name: &str, source: String) -> Value {
        let dir = self.ctx.settings.working_dir.clone();
        let compiled = self
            .ctx
            .compile_source(format!("«global {name}»"), source, &dir, None);
        match compiled {
            Ok(code) => Value::Thunk(Thunk::of_code(code)),
            Err(e) => Value::Thunk(Thunk::failed(e)),
        }
    }

    /// Which VM this evaluator runs.
    pub fn vm_kind(&self) -> VmKind {
        self.vm
    }

    /// Evaluates an expression to weak head normal form. Relative paths in
    /// it are relative to the working directory.
    pub fn eval_str(&self, source: &str) -> Result<Value> {
        let dir = self.ctx.settings.working_dir.clone();
        self.eval_source("«string»".to_string(), source.to_string(), &dir)
    }

    /// Evaluates a source text named `name`, with relative paths resolved
    /// against `base_dir`.
    pub fn eval_source(&self, name: String, source: String, base_dir: &Path) -> Result<Value> {
        let compile_and_force = |force: &mut dyn FnMut(Value) -> Result<Value>| {
            let code = self.ctx.compile_source(name, source, base_dir, None)?;
            force(Value::Thunk(Thunk::of_code(code)))
        };
        self.with_engine(|vm| compile_and_force(&mut |v| vm.force(v)))
    }

    /// Parses and compiles without evaluating; reports syntax errors and
    /// undefined variables.
    pub fn check_source(&self, name: String, source: String, base_dir: &Path) -> Result<()> {
        self.ctx.compile_source(name, source, base_dir, None)?;
        Ok(())
    }

    /// Evaluates a file (a directory means its `default.nix`).
    pub fn eval_file(&self, path: impl AsRef<Path>) -> Result<Value> {
        let path = absolute(&self.ctx.settings.working_dir, path.as_ref());
        self.with_engine(|vm| vm.import_file(&path))
    }

    /// Forces a value to weak head normal form.
    pub fn force(&self, value: &Value) -> Result<Value> {
        self.with_engine(|vm| vm.force(value.clone()))
    }

    /// Forces a value completely.
    pub fn deep_force(&self, value: &Value) -> Result<Value> {
        self.with_engine(|vm| vm.deep_force(value.clone()))
    }

    /// Prints a value as `nix-instantiate --eval` does, forcing it
    /// completely first when `strict`. The text is bytes, as Nix prints
    /// them: a string that is not UTF-8 is printed as it is.
    pub fn print(&self, value: &Value, strict: bool) -> Result<BString> {
        let forced = if strict {
            self.deep_force(value)?
        } else {
            self.force(value)?
        };
        self.serialise(|_| crate::print::print_value(&forced))
    }

    /// Prints a value as JSON (`--json`), forcing it completely first.
    pub fn print_json(&self, value: &Value) -> Result<BString> {
        let forced = self.deep_force(value)?;
        self.serialise(|vm| crate::builtins::to_json_string(vm, &forced))
    }

    /// Prints a value as XML (`--xml`), forcing it completely first when
    /// `strict`; otherwise what is still unevaluated shows as such.
    pub fn print_xml(&self, value: &Value, location: bool, strict: bool) -> Result<BString> {
        let forced = if strict {
            self.deep_force(value)?
        } else {
            self.force(value)?
        };
        self.serialise(|vm| crate::builtins::to_xml_string(vm, &forced, location))
    }

    /// Runs a printer on a completely forced value (see
    /// [`EvaluatorVm::serialise`]).
    fn serialise(&self, print: impl FnOnce(&mut dyn Engine) -> Result<BString>) -> Result<BString> {
        let mut print = Some(print);
        self.with_engine(|vm| {
            vm.serialise(&mut |engine| match print.take() {
                Some(print) => print(engine),
                None => Err(Error::other("internal error: a printer ran twice")),
            })
        })
    }

    // ---- inspecting values lazily ------------------------------------------

    /// Forces `value` to a set and returns its attribute `name`, forced to
    /// weak head normal form; `None` when the set has no such attribute.
    /// Nothing else in the set is evaluated.
    pub fn get_attr(&self, value: &Value, name: impl AsRef<[u8]>) -> Result<Option<Value>> {
        let name = Symbol::intern(name);
        self.with_vm(|vm| {
            let attrs = vm.force_attrs(value.clone())?;
            attrs.get(name).map(|v| vm.force_ref(v)).transpose()
        })
    }

    /// Forces `value` to a set and returns its attribute names, sorted by
    /// their bytes (names need not be UTF-8).
    pub fn attr_names(&self, value: &Value) -> Result<Vec<BString>> {
        self.with_vm(|vm| {
            let attrs = vm.force_attrs(value.clone())?;
            Ok(attrs
                .sorted_names()
                .iter()
                .map(|n| BString::from(&**n))
                .collect())
        })
    }

    /// Forces `value` to a list and returns its length.
    pub fn list_len(&self, value: &Value) -> Result<usize> {
        self.with_vm(|vm| Ok(vm.force_list(value.clone())?.len()))
    }

    /// Forces `value` to a list and returns element `index`, forced to weak
    /// head normal form; `None` when the list is shorter.
    pub fn get_index(&self, value: &Value, index: usize) -> Result<Option<Value>> {
        self.with_vm(|vm| {
            let list = vm.force_list(value.clone())?;
            list.get(index).map(|v| vm.force_ref(v)).transpose()
        })
    }

    /// Follows a dotted path of attribute names and list indices
    /// (`"services.web.ports.0"`), forcing only what lies on the path, and
    /// returns the value at its end in weak head normal form.
    pub fn select(&self, value: &Value, path: &str) -> Result<Value> {
        self.with_vm(|vm| {
            let mut current = vm.force(value.clone())?;
            for part in path.split('.').filter(|p| !p.is_empty()) {
                let next = match (&current, part.parse::<usize>()) {
                    (Value::List(items), Ok(i)) => items.get(i).cloned().ok_or_else(|| {
                        Error::other(format!("list index {i} of '{path}' is out of range"))
                    })?,
                    _ => vm.select(current.clone(), Symbol::intern(part))?,
                };
                current = vm.force(next)?;
            }
            Ok(current)
        })
    }

    /// Calls a Nix function with arguments, one after the other (curried),
    /// and forces the result to weak head normal form.
    pub fn call(&self, function: &Value, args: &[Value]) -> Result<Value> {
        self.with_engine(|vm| vm.apply(function.clone(), args))
    }

    /// Converts a Nix value to a Rust type through serde, forcing only what
    /// the type asks for (see [`crate::convert`]).
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Server { host: String, port: u16 }
    ///
    /// let evaluator = spindle::Evaluator::builder().build();
    /// let v = evaluator
    ///     .eval_str(r#"{ host = "example.org"; port = 80 + 363; unused = throw "never"; }"#)
    ///     .unwrap();
    /// let server: Server = evaluator.from_value(&v).unwrap();
    /// assert_eq!((server.host.as_str(), server.port), ("example.org", 443));
    /// ```
    pub fn from_value<T: serde::de::DeserializeOwned>(&self, value: &Value) -> Result<T> {
        self.with_vm(|vm| crate::convert::from_value(vm, value))
    }

    /// Renders an error with its source excerpt, and with the trace when
    /// `show_trace`.
    pub fn render_error(&self, error: &Error, show_trace: bool) -> String {
        self.ctx.render_error(error, show_trace)
    }
}

/// `path` made absolute against `base` and put in canonical form.
pub fn absolute(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    crate::path::canonical_os_path(&joined)
}
