//! `spindle eval`: nix-instantiate's evaluation flags on Spindle.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use spindle::compiler::{LintLevel, Lints};
use spindle::eval::absolute;
use spindle::store::{configured_store, StoreChoice};
use spindle::value::{Attrs, Value};
use spindle::{Error, ErrorKind, Evaluator, VmKind};

#[derive(Parser)]
#[command(
    name = "spindle",
    version,
    about = "A Nix evaluator on growable fiber stacks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate a file, an expression (-E) or standard input (-).
    Eval(Box<EvalArgs>),
    /// Instantiate derivations: write their `.drv` files (and what they
    /// need) to the store and print their paths, like nix-instantiate.
    Instantiate(Box<crate::instantiate_cli::InstantiateArgs>),
    /// Evaluate expressions interactively (like `nix repl`).
    Repl(crate::repl_cli::ReplArgs),
}

/// The command line of `spindle` run under the name `nix-instantiate`.
#[derive(Parser)]
#[command(
    name = "nix-instantiate",
    version,
    about = "Spindle standing in for nix-instantiate"
)]
struct NixInstantiate {
    #[command(flatten)]
    args: crate::instantiate_cli::InstantiateArgs,
}

#[derive(Args)]
pub(crate) struct EvalArgs {
    /// The files to evaluate (`-` for standard input; `./default.nix`
    /// without any), or the expressions with -E.
    inputs: Vec<String>,
    /// Treat the arguments as expressions rather than files.
    #[arg(short = 'E', long = "expr")]
    expr: bool,
    /// Evaluate rather than instantiate; implied by `spindle eval`.
    #[arg(long, alias = "eval-only")]
    pub(crate) eval: bool,
    /// Evaluate the result completely, not just to its outermost constructor.
    #[arg(long)]
    strict: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Print the result as XML.
    #[arg(long)]
    xml: bool,
    /// Leave source positions out of XML output.
    #[arg(long)]
    no_location: bool,
    /// Only parse (and check names); exit 1 with the errors if that fails.
    #[arg(long)]
    pub(crate) parse: bool,
    /// Pass NAME = EXPR to the top-level function.
    #[arg(long, num_args = 2, value_names = ["NAME", "EXPR"], action = clap::ArgAction::Append)]
    arg: Vec<String>,
    /// Pass NAME = "STRING" to the top-level function.
    #[arg(long, num_args = 2, value_names = ["NAME", "STRING"], action = clap::ArgAction::Append)]
    argstr: Vec<String>,
    /// Add a search path entry (`prefix=path` or `path`).
    #[arg(short = 'I', long = "include", action = clap::ArgAction::Append)]
    include: Vec<String>,
    /// Select an attribute path from the result.
    #[arg(short = 'A', long = "attr", action = clap::ArgAction::Append)]
    attr: Vec<String>,
    /// Show the Nix-level trace of errors.
    #[arg(long)]
    show_trace: bool,
    /// Do not show traces (the default).
    #[arg(long)]
    no_show_trace: bool,
    /// Refuse file system, environment and clock access.
    #[arg(long)]
    pure_eval: bool,
    /// Read files only under the search path's directories (`-I`, `NIX_PATH`).
    #[arg(long)]
    restrict_eval: bool,
    /// Cap the fiber stack of the evaluation, in bytes (suffixes K, M, G).
    #[arg(long, value_parser = parse_size)]
    stack_budget: Option<usize>,
    /// Cap the heap of the evaluation, in bytes (suffixes K, M, G; 0 for no
    /// cap). The default is half of the machine's memory.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_heap: Option<usize>,
    /// Stop the evaluation after SECONDS of wall-clock time.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    time_limit: Option<std::time::Duration>,
    /// Backtracking steps one `match` or `split` may take to reproduce C++
    /// Nix's exact answer before a linear-time engine answers instead.
    #[arg(long, value_name = "STEPS")]
    max_regex_steps: Option<u64>,
    /// Write derivations to the store too (and use the default store
    /// when none is configured).
    #[arg(long)]
    read_write_mode: bool,
    /// The store to write to: `daemon` (the Nix daemon at
    /// NIX_DAEMON_SOCKET_PATH), or DIR, a local Nix store under DIR (paths
    /// `/nix/store/…` kept in `DIR/nix/store/…`); NIX_STORE_DIR and
    /// NIX_STATE_DIR name a local store too.
    #[arg(long, value_name = "DIR|daemon")]
    store: Option<PathBuf>,
    /// Nix's build timeout in seconds: accepted, and without effect on
    /// evaluation, which builds nothing.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Set a Nix setting: `pure-eval`, `restrict-eval`, `abort-on-warn`,
    /// `experimental-features`, `extra-experimental-features`.
    #[arg(long, num_args = 2, value_names = ["NAME", "VALUE"], action = clap::ArgAction::Append)]
    option: Vec<String>,
    /// Print the evaluation's time and peak fiber stack on standard error.
    #[arg(long)]
    stats: bool,
    /// Accepted for compatibility: evaluation is impure unless --pure-eval.
    #[arg(long)]
    impure: bool,
    /// Fail after this many nested function calls.
    #[arg(long)]
    max_call_depth: Option<usize>,
    /// Enables experimental features (space-separated names); only
    /// `parse-toml-timestamps` changes anything.
    #[arg(long, value_name = "FEATURES", action = clap::ArgAction::Append)]
    extra_experimental_features: Vec<String>,
    /// Lint absolute and home path literals: ignore, warn or fatal.
    #[arg(long, value_name = "LEVEL", value_parser = parse_lint_level)]
    lint_absolute_path_literals: Option<LintLevel>,
    /// Lint relative path literals without `./`: ignore, warn or fatal.
    #[arg(long, value_name = "LEVEL", value_parser = parse_lint_level)]
    lint_short_path_literals: Option<LintLevel>,
    /// Lint unquoted URL literals: ignore, warn or fatal.
    #[arg(long, value_name = "LEVEL", value_parser = parse_lint_level)]
    lint_url_literals: Option<LintLevel>,
    /// Accepted and ignored: Spindle has no store.
    #[arg(long)]
    readonly_mode: bool,
    /// The virtual machine that evaluates.
    #[arg(long, value_enum, default_value_t = VmChoice::Fiber)]
    vm: VmChoice,
}

/// `--vm`: which virtual machine evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum VmChoice {
    /// Recursive Rust on growable fiber stacks.
    Fiber,
    /// tvix-eval's design: a heap frame stack, builtins as generators.
    #[cfg(feature = "generator-vm")]
    Generator,
}

impl From<VmChoice> for VmKind {
    fn from(choice: VmChoice) -> VmKind {
        match choice {
            VmChoice::Fiber => VmKind::Fiber,
            #[cfg(feature = "generator-vm")]
            VmChoice::Generator => VmKind::Generator,
        }
    }
}

fn parse_lint_level(s: &str) -> Result<LintLevel, String> {
    LintLevel::parse(s)
        .ok_or_else(|| format!("invalid lint level '{s}': expected ignore, warn or fatal"))
}

fn parse_size(s: &str) -> Result<usize, String> {
    spindle::limits::parse_size(s).ok_or_else(|| format!("invalid size '{s}'"))
}

fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    s.parse::<f64>()
        .ok()
        .and_then(|secs| std::time::Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| format!("invalid number of seconds '{s}'"))
}

/// Runs the command line; returns the exit status.
pub fn main() -> i32 {
    if let Err(e) = spindle_fiber::install_overflow_guard() {
        // Evaluation works without the guard; only a recursion that skipped its
        // stack check would then die of a plain SIGSEGV instead of a clear report.
        eprintln!("warning: {e}: a fiber stack overflow would not be reported");
    }
    report_panics_as_bugs();
    if invoked_as_nix_instantiate() {
        return match NixInstantiate::try_parse() {
            Ok(cli) if cli.args.eval.eval || cli.args.eval.parse => eval(cli.args.eval),
            Ok(cli) => crate::instantiate_cli::instantiate(cli.args),
            Err(e) => usage_error(e, "nix-instantiate"),
        };
    }
    match Cli::try_parse() {
        Ok(cli) => match cli.command {
            Command::Eval(args) => eval(*args),
            Command::Instantiate(args) => crate::instantiate_cli::instantiate(*args),
            Command::Repl(args) => crate::repl_cli::main(args),
        },
        Err(e) => usage_error(e, "spindle"),
    }
}

/// Whether the binary was started under the name `nix-instantiate` (a
/// symlink to it), and so stands in for it.
fn invoked_as_nix_instantiate() -> bool {
    std::env::args_os()
        .next()
        .as_deref()
        .and_then(|arg0| Path::new(arg0).file_name())
        .is_some_and(|name| name == "nix-instantiate")
}

/// Prints a command-line error (exit status 1) or the help or version
/// asked for (status 0). An unknown flag is named as Nix names it.
fn usage_error(e: clap::Error, program: &str) -> i32 {
    if !e.use_stderr() {
        let _ = e.print();
        return 0;
    }
    match (e.kind(), e.get(clap::error::ContextKind::InvalidArg)) {
        (clap::error::ErrorKind::UnknownArgument, Some(flag)) => {
            eprintln!(
                "error: unrecognised flag '{flag}'\nTry '{program} --help' for more information."
            );
        }
        _ => {
            let _ = e.print();
        }
    }
    1
}

/// A panic is a bug in Spindle: the user gets one line saying so and
/// asking for a report, and the process exits with status 101; the
/// default report with its backtrace is kept for `RUST_BACKTRACE`.
fn report_panics_as_bugs() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
        eprintln!("{}", bug_report(message, info.location()));
    }));
}

/// The line a panic is reported with.
fn bug_report(message: Option<&str>, at: Option<&std::panic::Location>) -> String {
    let place = at
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    let message = message.unwrap_or("unknown cause").replace('\n', " ");
    format!(
        "error: internal error (a bug in Spindle): {message}{place}; please report it \
         with the input that caused it (RUST_BACKTRACE=1 shows where)"
    )
}

/// The Nix settings that `--option` and the environment give.
#[derive(Default)]
struct NixSettings {
    pure_eval: bool,
    restrict_eval: bool,
    abort_on_warn: bool,
    experimental_features: Vec<String>,
}

impl NixSettings {
    /// Reads the `--option NAME VALUE` pairs and `NIX_ABORT_ON_WARN`; an
    /// unknown setting is warned about, as Nix does.
    fn from_args(args: &EvalArgs) -> Result<NixSettings, String> {
        let mut settings = NixSettings {
            pure_eval: args.pure_eval,
            restrict_eval: args.restrict_eval,
            abort_on_warn: std::env::var("NIX_ABORT_ON_WARN")
                .is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes")),
            experimental_features: args.extra_experimental_features.clone(),
        };
        for pair in args.option.chunks(2) {
            let (name, value) = (pair[0].as_str(), pair[1].as_str());
            match name {
                "pure-eval" => settings.pure_eval = parse_bool_setting(name, value)?,
                "restrict-eval" => settings.restrict_eval = parse_bool_setting(name, value)?,
                "abort-on-warn" => settings.abort_on_warn = parse_bool_setting(name, value)?,
                "experimental-features" => {
                    settings.experimental_features = vec![value.to_string()];
                }
                "extra-experimental-features" => {
                    settings.experimental_features.push(value.to_string());
                }
                _ => eprintln!("warning: unknown setting '{name}'"),
            }
        }
        Ok(settings)
    }
}

/// A Boolean setting's value, spelt as Nix accepts it.
fn parse_bool_setting(name: &str, value: &str) -> Result<bool, String> {
    match value {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!(
            "Boolean setting '{name}' has invalid value '{value}'"
        )),
    }
}

pub(crate) fn eval(args: EvalArgs) -> i32 {
    let evaluator = match make_evaluator(&args, args.read_write_mode) {
        Ok(evaluator) => evaluator,
        Err(status) => return status,
    };
    let started = std::time::Instant::now();
    // Output is bytes: a string that is not UTF-8 is printed as it is.
    let mut print = |output: &[u8]| {
        let _ = std::io::stdout().write_all(output);
    };
    let outcome = run(&evaluator, &args, &mut |value, auto_args| {
        print_value(&evaluator, &args, value, auto_args, &mut print)
    });
    finish(&evaluator, &args, started, outcome)
}

/// Prints one selected value as `--json`, `--xml` or Nix text ask.
fn print_value(
    evaluator: &Evaluator,
    args: &EvalArgs,
    mut value: Value,
    auto_args: &Attrs,
    print: &mut dyn FnMut(&[u8]),
) -> Result<(), Error> {
    // Only the selected value itself is left uncalled without
    // arguments: nix-instantiate prints a function then.
    if !auto_args.is_empty() {
        value = auto_call(evaluator, value, auto_args)?;
    }
    let output = if args.json {
        evaluator.print_json(&value)?
    } else if args.xml {
        let mut xml = evaluator.print_xml(&value, !args.no_location, args.strict)?;
        xml.push(b'\n');
        xml
    } else {
        let mut text = evaluator.print(&value, args.strict)?;
        text.push(b'\n');
        text
    };
    print(&output);
    Ok(())
}

/// Flushes the output, prints `--stats` and the error, if any; the exit
/// status.
pub(crate) fn finish(
    evaluator: &Evaluator,
    args: &EvalArgs,
    started: std::time::Instant,
    outcome: Result<(), Error>,
) -> i32 {
    let _ = std::io::stdout().flush();
    if args.stats {
        let cycles = spindle::value::collection_totals();
        eprintln!(
            "stats: time {:.3} s, peak fiber stack {} bytes, {} cycle collections ({} values examined, {} freed)",
            started.elapsed().as_secs_f64(),
            evaluator.peak_stack_bytes(),
            cycles.collections,
            cycles.examined,
            cycles.freed
        );
    }
    match outcome {
        Ok(()) => 0,
        Err(e) => {
            let show_trace = args.show_trace && !args.no_show_trace;
            let rendered = evaluator.render_error(&e, show_trace);
            eprintln!("{}", spindle::terminal::for_stderr(&rendered));
            1
        }
    }
}

/// The evaluator the flags describe, with the store they name; `writes`
/// is read-write mode (derivations written too). On an error, it is
/// reported and the exit status returned.
pub(crate) fn make_evaluator(args: &EvalArgs, writes: bool) -> Result<Evaluator, i32> {
    let settings = match NixSettings::from_args(args) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return Err(1);
        }
    };
    let mut search_path = args.include.clone();
    if let Ok(nix_path) = std::env::var("NIX_PATH") {
        search_path.extend(
            nix_path
                .split(':')
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
    }
    let mut builder = Evaluator::builder()
        .pure(settings.pure_eval)
        .restrict_eval(settings.restrict_eval)
        .abort_on_warn(settings.abort_on_warn)
        .search_path(search_path)
        .vm(args.vm.into())
        .short_lived(true);
    if let Some(budget) = args.stack_budget {
        builder = builder.stack_budget(budget);
    }
    if let Some(depth) = args.max_call_depth {
        builder = builder.max_call_depth(depth);
    }
    if let Some(cap) = args.max_heap {
        builder = builder.max_heap((cap > 0).then_some(cap));
    }
    if let Some(steps) = args.max_regex_steps {
        builder = builder.regex_steps(steps);
    }
    builder = builder.experimental_features(
        settings
            .experimental_features
            .iter()
            .flat_map(|f| f.split_whitespace()),
    );
    builder = builder.lints(Lints {
        absolute_paths: args.lint_absolute_path_literals.unwrap_or_default(),
        short_paths: args.lint_short_path_literals.unwrap_or_default(),
        urls: args.lint_url_literals.unwrap_or_default(),
    });
    let choice = match args.store.as_deref() {
        None => StoreChoice::Auto,
        Some(dir) if dir == Path::new("daemon") => StoreChoice::Daemon,
        Some(dir) => StoreChoice::Chroot(dir),
    };
    match configured_store(choice, |name| std::env::var(name).ok(), writes) {
        Ok(Some(store)) => builder = builder.store(store).read_write_mode(writes),
        Ok(None) => {}
        Err(e) => {
            eprintln!("error: {}", spindle::terminal::for_stderr(&e.to_string()));
            return Err(1);
        }
    }
    let evaluator = builder.build();
    // One limit for the whole command: evaluating, forcing and printing.
    evaluator.set_deadline(
        args.time_limit
            .map(|limit| std::time::Instant::now() + limit),
    );
    Ok(evaluator)
}

/// The source to evaluate: its name, text and the directory it is relative
/// to. `input` is an expression with -E, a file name or `-` otherwise.
fn read_input(
    evaluator: &Evaluator,
    input: &str,
    is_expr: bool,
) -> Result<(String, String, PathBuf), Error> {
    let cwd = evaluator.context().settings.working_dir.clone();
    let io_error = |what: String| Error::new(ErrorKind::Io(what));
    match input {
        expr if is_expr => Ok(("«string»".into(), expr.to_string(), cwd)),
        "-" => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| io_error(format!("reading standard input: {e}")))?;
            let text = spindle::context::source_text(bytes, "«stdin»")?;
            Ok(("«stdin»".into(), text, cwd))
        }
        file => {
            let mut path = absolute(&cwd, Path::new(file));
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => path.push("default.nix"),
                Ok(_) => {}
                Err(e) => {
                    return Err(io_error(format!(
                        "getting status of '{}': {}",
                        path.display(),
                        spindle::context::io_message(&e)
                    )))
                }
            }
            let opening = |e: std::io::Error| {
                io_error(format!(
                    "opening file '{}': {}",
                    path.display(),
                    spindle::context::io_message(&e)
                ))
            };
            // Read directly, not through the evaluator's I/O, which pure
            // evaluation restricts: the file named is always read.
            let text =
                evaluator
                    .context()
                    .read_source(&path.display().to_string(), |len| match len {
                        Some(len) => spindle::io::read_start(&path, len).map_err(opening),
                        None => std::fs::read(&path).map_err(opening),
                    })?;
            let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
            Ok((path.display().to_string(), text, dir))
        }
    }
}

/// Evaluates each input in turn (`./default.nix` when there is none, as
/// nix-instantiate does) and prints the value at each `-A` path of it (the
/// whole value without one) as each is found: a line each, but JSON with
/// no line breaks at all; a later path's error leaves the earlier results
/// printed.
pub(crate) fn run(
    evaluator: &Evaluator,
    args: &EvalArgs,
    each: &mut dyn FnMut(Value, &Attrs) -> Result<(), Error>,
) -> Result<(), Error> {
    if args.expr && args.inputs.is_empty() {
        return Err(Error::new(ErrorKind::Io("-E needs an expression".into())));
    }
    let default_file = [String::from("default.nix")];
    let inputs = if args.inputs.is_empty() {
        &default_file[..]
    } else {
        &args.inputs[..]
    };
    for input in inputs {
        run_one(evaluator, args, input, each)?;
    }
    Ok(())
}

fn run_one(
    evaluator: &Evaluator,
    args: &EvalArgs,
    input: &str,
    each: &mut dyn FnMut(Value, &Attrs) -> Result<(), Error>,
) -> Result<(), Error> {
    let (name, text, dir) = read_input(evaluator, input, args.expr)?;
    if args.parse {
        evaluator.check_source(name, text, &dir)?;
        let _ = std::io::stdout().write_all(b"\n");
        return Ok(());
    }
    let root = evaluator.eval_source(name, text, &dir)?;
    let auto_args = auto_args(evaluator, args)?;
    let whole = [String::new()];
    let paths = if args.attr.is_empty() {
        &whole[..]
    } else {
        &args.attr[..]
    };
    for path in paths {
        let value = select_path(evaluator, root.clone(), path, &auto_args)?;
        each(value, &auto_args)?;
    }
    Ok(())
}

fn auto_args(evaluator: &Evaluator, args: &EvalArgs) -> Result<Attrs, Error> {
    let mut pairs = Vec::new();
    for pair in args.arg.chunks(2) {
        let v = evaluator.eval_str(&pair[1])?;
        pairs.push((spindle::symbol::Symbol::intern(&pair[0]), v));
    }
    for pair in args.argstr.chunks(2) {
        pairs.push((
            spindle::symbol::Symbol::intern(&pair[0]),
            Value::string(pair[1].as_str()),
        ));
    }
    Ok(Attrs::from_unsorted(pairs))
}

/// nix-instantiate's automatic call: a function with a `{ … }` pattern is
/// called with the `--arg`/`--argstr` values it names (all of them, when
/// it has `...`), and a set with `__functor` is called through it.
pub(crate) fn auto_call(evaluator: &Evaluator, value: Value, args: &Attrs) -> Result<Value, Error> {
    let value = evaluator.force(&value)?;
    if let Value::Attrs(set) = &value {
        if let Some(functor) = set.get(spindle::symbol::known::functor()) {
            let called = evaluator.call(functor, std::slice::from_ref(&value))?;
            return auto_call(evaluator, called, args);
        }
    }
    let Value::Closure(closure) = &value else {
        return Ok(value);
    };
    let Some(formals) = closure.code().formals().cloned() else {
        return Ok(value);
    };
    let actual = if formals.ellipsis {
        args.iter().cloned().collect()
    } else {
        let mut named = Vec::new();
        for (name, has_default) in &formals.entries {
            match args.get(*name) {
                Some(v) => named.push((*name, v.clone())),
                None if *has_default => {}
                None => return Err(missing_auto_arg(*name, formals.positions.get(*name))),
            }
        }
        named
    };
    evaluator.call(&value, &[Value::Attrs(Attrs::from_unsorted(actual))])
}

fn missing_auto_arg(name: spindle::symbol::Symbol, at: Option<spindle::source::Span>) -> Error {
    let error = Error::other(format!(
        "cannot evaluate a function that has an argument without a value ('{name}')\n\n       \
         Nix attempted to evaluate a function as a top level expression; in\n       \
         this case it must have its arguments supplied either by default\n       \
         values, or passed explicitly with '--arg' or '--argstr'. See\n       \
         https://nixos.org/manual/nix/stable/#ss-functions.\n"
    ));
    match at {
        Some(span) => error.with_span(span),
        None => error,
    }
}

/// The value at an `-A` attribute path (`a.b.0`, `"x.y".z`): at each step
/// the value so far is called automatically, then the attribute or list
/// element selected.
fn select_path(
    evaluator: &Evaluator,
    mut value: Value,
    path: &str,
    auto_args: &Attrs,
) -> Result<Value, Error> {
    for part in parse_attr_path(path)? {
        value = auto_call(evaluator, value, auto_args)?;
        let wrong_type = |expected: &str, found: &Value| {
            Error::other(format!(
                "the expression selected by the selection path '{path}' should be {expected} but is {}",
                found.type_phrase()
            ))
        };
        value = match part.parse::<u32>() {
            Ok(i) => {
                let Value::List(items) = &value else {
                    return Err(wrong_type("a list", &value));
                };
                items.get(i as usize).cloned().ok_or_else(|| {
                    Error::other(format!(
                        "list index {i} in selection path '{path}' is out of range"
                    ))
                })?
            }
            Err(_) => {
                if !matches!(value, Value::Attrs(_)) {
                    return Err(wrong_type("a set", &value));
                }
                if part.is_empty() {
                    return Err(Error::other(format!(
                        "empty attribute name in selection path '{path}'"
                    )));
                }
                let name = spindle::symbol::Symbol::intern(&part);
                value.attr(name).cloned().ok_or_else(|| {
                    Error::other(format!(
                        "attribute '{part}' in selection path '{path}' not found"
                    ))
                })?
            }
        };
    }
    Ok(value)
}

/// The names of an attribute path: separated by dots, a part in double
/// quotes taken as it is; an empty path names nothing.
fn parse_attr_path(path: &str) -> Result<Vec<String>, Error> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => parts.push(std::mem::take(&mut current)),
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some(c) => current.push(c),
                    None => {
                        return Err(Error::other(format!(
                            "missing closing quote in selection path '{path}'"
                        )))
                    }
                }
            },
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_reported_on_one_line_naming_the_place() {
        let at = std::panic::Location::caller();
        let line = bug_report(Some("index out of bounds:\nthe len is 3"), Some(at));
        assert!(!line.contains('\n'), "{line}");
        assert!(line.starts_with("error: internal error (a bug in Spindle): index out of bounds: the len is 3 at src/cli.rs:"), "{line}");
        assert!(line.contains("please report it"), "{line}");
        assert!(bug_report(None, None).contains("unknown cause"));
    }

    #[test]
    fn boolean_settings_are_spelt_as_nix_spells_them() {
        assert_eq!(parse_bool_setting("pure-eval", "yes"), Ok(true));
        assert_eq!(parse_bool_setting("pure-eval", "0"), Ok(false));
        assert_eq!(
            parse_bool_setting("pure-eval", "maybe"),
            Err("Boolean setting 'pure-eval' has invalid value 'maybe'".to_string())
        );
    }
}
