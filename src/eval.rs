//! The library API: configure an [`Evaluator`], evaluate a string or a file,
//! and inspect or print the result.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::context::{EvalContext, SearchPathEntry, Settings};
use crate::error::{Error, Result};
use crate::genvm::GenVm;
use crate::io::{EvalIo, PureIo, StdIo};
use crate::value::{Deferred, Thunk, Value};
use crate::vm::Vm;

/// Which virtual machine evaluates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VmKind {
    /// The fiber VM ([`crate::vm`]): recursive Rust on growable fiber stacks.
    #[default]
    Fiber,
    /// The generator VM ([`crate::genvm`]): tvix-eval's design, a heap
    /// frame stack with builtins and VM helpers as generators. A baseline
    /// to measure the fiber VM against.
    Generator,
}

/// The default stack budget of one evaluation: 8 GiB of fiber stack.
pub const DEFAULT_STACK_BUDGET: usize = 8 << 30;

/// Configures an [`Evaluator`].
#[derive(Clone)]
pub struct EvaluatorBuilder {
    pure: bool,
    search_path: Vec<SearchPathEntry>,
    io: Option<Rc<dyn EvalIo>>,
    stack_budget: usize,
    current_system: String,
    home: Option<String>,
    working_dir: Option<PathBuf>,
    max_call_depth: Option<usize>,
    vm: VmKind,
}

impl Default for EvaluatorBuilder {
    fn default() -> Self {
        EvaluatorBuilder {
            pure: false,
            search_path: Vec::new(),
            io: None,
            stack_budget: DEFAULT_STACK_BUDGET,
            current_system: default_system(),
            home: std::env::var("HOME").ok(),
            working_dir: None,
            max_call_depth: None,
            vm: VmKind::Fiber,
        }
    }
}

fn default_system() -> String {
    let arch = std::env::consts::ARCH;
    let os = std::env::consts::OS;
    format!("{arch}-{os}")
}

impl EvaluatorBuilder {
    /// Pure mode: every impure operation (file access, environment, time)
    /// is refused with an error.
    pub fn pure(mut self, pure: bool) -> Self {
        self.pure = pure;
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

    /// Chooses the virtual machine (the fiber VM by default).
    pub fn vm(mut self, kind: VmKind) -> Self {
        self.vm = kind;
        self
    }

    /// Builds the evaluator.
    pub fn build(self) -> Evaluator {
        let io: Rc<dyn EvalIo> = match (self.io, self.pure) {
            (Some(io), _) => io,
            (None, true) => Rc::new(PureIo),
            (None, false) => Rc::new(StdIo),
        };
        let working_dir = self
            .working_dir
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        let settings = Settings {
            pure: self.pure,
            search_path: self.search_path,
            current_system: self.current_system,
            store_dir: "/nix/store".to_string(),
            home: self.home,
            working_dir,
            max_call_depth: self.max_call_depth.unwrap_or(usize::MAX),
        };
        let ctx = Rc::new(EvalContext::new(settings, io));
        ctx.set_globals(crate::builtins::globals(&ctx.settings));
        Evaluator {
            ctx,
            stack_budget: self.stack_budget,
            vm: self.vm,
        }
    }
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
    vm: VmKind,
}

impl Evaluator {
    /// A builder with the defaults: impure, real file system, 8 GiB stack budget.
    pub fn builder() -> EvaluatorBuilder {
        EvaluatorBuilder::default()
    }

    /// The shared evaluation context.
    pub fn context(&self) -> &Rc<EvalContext> {
        &self.ctx
    }

    /// Runs `f` with a fiber VM on a fiber task, so that it may recurse as
    /// deeply as the stack budget allows. This is the fiber VM whichever
    /// [`VmKind`] the evaluator was built with.
    pub fn with_vm<R>(&self, f: impl FnOnce(&mut Vm) -> Result<R>) -> Result<R> {
        let config = spindle_fiber::TaskConfig {
            stack_budget: self.stack_budget,
        };
        let ctx = self.ctx.clone();
        spindle_fiber::run(config, move || {
            let mut vm = Vm::new(ctx);
            f(&mut vm)
        })
    }

    /// The generator VM for one operation, running on the caller's thread
    /// stack (its frames live on the heap).
    fn genvm(&self) -> GenVm {
        GenVm::new(self.ctx.clone(), self.stack_budget)
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
            force(Value::Thunk(Thunk::new(Deferred::Code {
                code,
                upvalues: Box::new([]),
            })))
        };
        match self.vm {
            VmKind::Fiber => self.with_vm(|vm| compile_and_force(&mut |v| vm.force(v))),
            VmKind::Generator => {
                let mut vm = self.genvm();
                compile_and_force(&mut |v| vm.force(v))
            }
        }
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
        match self.vm {
            VmKind::Fiber => self.with_vm(|vm| vm.import_file(&path, None)),
            VmKind::Generator => self.genvm().import_file(&path),
        }
    }

    /// Forces a value to weak head normal form.
    pub fn force(&self, value: &Value) -> Result<Value> {
        match self.vm {
            VmKind::Fiber => self.with_vm(|vm| vm.force(value.clone())),
            VmKind::Generator => self.genvm().force(value.clone()),
        }
    }

    /// Forces a value completely.
    pub fn deep_force(&self, value: &Value) -> Result<Value> {
        match self.vm {
            VmKind::Fiber => self.with_vm(|vm| vm.deep_force(value.clone())),
            VmKind::Generator => self.genvm().deep_force(value.clone()),
        }
    }

    /// Applies `function` to `arg` and forces the result.
    pub fn call(&self, function: &Value, arg: Value) -> Result<Value> {
        match self.vm {
            VmKind::Fiber => self.with_vm(|vm| vm.call_forced(function.clone(), arg)),
            VmKind::Generator => self.genvm().call_forced(function.clone(), arg),
        }
    }

    /// Prints a value as `nix-instantiate --eval` does, forcing it
    /// completely first when `strict`.
    pub fn print(&self, value: &Value, strict: bool) -> Result<String> {
        let forced = if strict {
            self.deep_force(value)?
        } else {
            self.force(value)?
        };
        self.serialise(|_| crate::print::print_value(&forced))
    }

    /// Prints a value as JSON (`--json`), forcing it completely first.
    pub fn print_json(&self, value: &Value) -> Result<String> {
        let forced = self.deep_force(value)?;
        self.serialise(|vm| crate::builtins::to_json_string(vm, &forced))
    }

    /// Prints a value as XML (`--xml`), forcing it completely first.
    pub fn print_xml(&self, value: &Value, location: bool) -> Result<String> {
        let forced = self.deep_force(value)?;
        self.serialise(|vm| crate::builtins::to_xml_string(vm, &forced, location))
    }

    /// Runs a printer on a completely forced value. The printers are shared
    /// recursive code: the fiber VM runs them in its task; for the generator
    /// VM they get a detached VM (which evaluates nothing) and run on a
    /// growable segment, so that deep data cannot overflow the thread stack.
    fn serialise(&self, print: impl FnOnce(&mut Vm) -> Result<String>) -> Result<String> {
        match self.vm {
            VmKind::Fiber => self.with_vm(print),
            VmKind::Generator => {
                let mut vm = Vm::detached(self.ctx.clone());
                spindle_fiber::grow(|| print(&mut vm))?
            }
        }
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
    PathBuf::from(crate::path::canonicalise(&joined.to_string_lossy()))
}
