//! The library API: configure an [`Evaluator`], evaluate a string or a file,
//! and inspect or print the result.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::compiler::Lints;
use crate::context::{EvalContext, SearchPathEntry, Settings};
use crate::error::{Error, Result};
use crate::io::{EvalIo, PureIo, StdIo};
use crate::value::{Deferred, Thunk, Value};
use crate::vm::Vm;

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
    experimental_features: Vec<String>,
    lints: Lints,
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
            experimental_features: Vec::new(),
            lints: Lints::default(),
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
            stack_budget: self.stack_budget,
            experimental_features: self.experimental_features,
            lints: self.lints,
        };
        let ctx = Rc::new(EvalContext::new(settings, io));
        ctx.set_globals(crate::builtins::globals(&ctx.settings));
        Evaluator {
            ctx,
            stack_budget: self.stack_budget,
            peak_stack: std::cell::Cell::new(0),
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
    peak_stack: std::cell::Cell<usize>,
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

    /// Runs `f` with a VM on a fiber task, so that it may recurse as deeply
    /// as the stack budget allows.
    pub fn with_vm<R>(&self, f: impl FnOnce(&mut Vm) -> Result<R>) -> Result<R> {
        let config = spindle_fiber::TaskConfig {
            stack_budget: self.stack_budget,
            ..Default::default()
        };
        let ctx = self.ctx.clone();
        let (result, peak) = spindle_fiber::run(config, move || {
            let mut vm = Vm::new(ctx);
            let result = f(&mut vm);
            let peak = spindle_fiber::current_stats()
                .map(|s| s.peak_segments * s.segment_size)
                .unwrap_or(0);
            (result, peak)
        });
        self.peak_stack.set(self.peak_stack.get().max(peak));
        result
    }

    /// The most fiber stack any evaluation of this evaluator has used so
    /// far, in bytes (whole segments).
    pub fn peak_stack_bytes(&self) -> usize {
        self.peak_stack.get()
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
        self.with_vm(|vm| {
            let code = vm.context().compile_source(name, source, base_dir, None)?;
            let thunk = Value::Thunk(Thunk::new(Deferred::Code {
                code,
                upvalues: Box::new([]),
            }));
            vm.force(thunk)
        })
    }

    /// Parses and compiles without evaluating; reports syntax errors and
    /// undefined variables.
    pub fn check_source(&self, name: String, source: String, base_dir: &Path) -> Result<()> {
        self.with_vm(|vm| {
            vm.context().compile_source(name, source, base_dir, None)?;
            Ok(())
        })
    }

    /// Evaluates a file (a directory means its `default.nix`).
    pub fn eval_file(&self, path: impl AsRef<Path>) -> Result<Value> {
        let path = absolute(&self.ctx.settings.working_dir, path.as_ref());
        self.with_vm(|vm| vm.import_file(&path, None))
    }

    /// Forces a value to weak head normal form.
    pub fn force(&self, value: &Value) -> Result<Value> {
        self.with_vm(|vm| vm.force(value.clone()))
    }

    /// Forces a value completely.
    pub fn deep_force(&self, value: &Value) -> Result<Value> {
        self.with_vm(|vm| vm.deep_force(value.clone()))
    }

    /// Prints a value as `nix-instantiate --eval` does, forcing it
    /// completely first when `strict`.
    pub fn print(&self, value: &Value, strict: bool) -> Result<String> {
        self.with_vm(|vm| {
            let v = if strict {
                vm.deep_force(value.clone())?
            } else {
                vm.force(value.clone())?
            };
            crate::print::print_value(&v)
        })
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
