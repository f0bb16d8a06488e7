//! A read-eval-print session, as `nix repl` has it, without the terminal.
//!
//! [`Repl::handle`] takes one complete input (possibly several lines; ask
//! [`Repl::needs_more_input`] first) and says what to show. Bindings made with
//! `name = expr`, `:l FILE` and `:a EXPR` persist for the inputs that follow.
//! Every evaluation is a stepping [`Evaluation`](crate::Evaluation) run in
//! slices of fuel; between slices it checks the interrupt flag (set it from a
//! Ctrl-C handler), so a runaway evaluation stops without ending the session.
//! The `spindle repl` command puts a line editor in front of this.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bstr::BString;

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::eval::Evaluator;
use crate::host::{HostReply, HostRequest};
use crate::io::StdIo;
use crate::print::{escape_string_into, is_plain_identifier, print_value};
use crate::symbol::Symbol;
use crate::value::{Attrs, Thunk, Value};
use crate::vm::Vm;
use crate::Step;

/// Steps an evaluation takes between two looks at the interrupt flag.
const SLICE: u64 = 1 << 16;

/// The name errors give the REPL's input.
const INPUT_NAME: &str = "«repl»";

/// The help text of `:?`.
pub const HELP: &str = "\
The following commands are available:

  <expr>        Evaluate and print an expression
  <x> = <expr>  Bind an expression to a variable
  :a <expr>     Add the attributes of a set to scope
  :l <path>     Load a Nix file and add its attributes to scope
  :p <expr>     Evaluate and print an expression completely
  :t <expr>     Describe the type of the result of an expression
  :q            Exit
  :?            Show this help

An input that is not complete yet continues on the next line.
Ctrl-C interrupts an evaluation.";

/// What to show for one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A printed value, for standard output: bytes, as Nix prints them.
    Value(BString),
    /// A message (help, what `:l` added), for standard output.
    Message(String),
    /// A rendered error, with its source excerpt, for standard error.
    Error(String),
    /// Nothing to show.
    Nothing,
    /// The session should end.
    Quit,
}

/// How an expression's result is shown.
#[derive(Clone, Copy)]
enum Show {
    /// Forced as far as printing one level of sets and lists needs.
    Shallow,
    /// Forced completely (`:p`).
    Strict,
    /// Its type (`:t`).
    Type,
}

/// One parsed input.
enum Input<'a> {
    Empty,
    Quit,
    Help,
    Unknown(&'a str),
    Show(&'a str, Show),
    Bind(&'a str, &'a str),
    AddScope(&'a str),
    Load(&'a str),
}

impl<'a> Input<'a> {
    fn parse(text: &'a str) -> Input<'a> {
        let text = text.trim();
        if text.is_empty() {
            return Input::Empty;
        }
        if let Some(command) = text.strip_prefix(':') {
            let (name, arg) = command
                .split_once(char::is_whitespace)
                .map_or((command, ""), |(n, a)| (n, a.trim()));
            return match name {
                "q" | "quit" => Input::Quit,
                "?" | "help" => Input::Help,
                "p" | "print" => Input::Show(arg, Show::Strict),
                "t" | "type" => Input::Show(arg, Show::Type),
                "a" | "add" => Input::AddScope(arg),
                "l" | "load" => Input::Load(arg),
                _ => Input::Unknown(name),
            };
        }
        match binding(text) {
            Some((name, expr)) => Input::Bind(name, expr),
            None => Input::Show(text, Show::Shallow),
        }
    }

    /// The Nix expression in the input, if it has one.
    fn expression(&self) -> Option<&'a str> {
        match self {
            Input::Show(e, _) | Input::Bind(_, e) | Input::AddScope(e) => Some(e),
            _ => None,
        }
    }
}

/// Splits `name = expr` (not `name == expr`).
fn binding(text: &str) -> Option<(&str, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-')))
        .unwrap_or(text.len());
    let (name, rest) = text.split_at(end);
    let rest = rest.trim_start().strip_prefix('=')?;
    if rest.starts_with('=') || !is_plain_identifier(name.as_bytes()) {
        return None;
    }
    let expr = rest.trim();
    let expr = expr.strip_suffix(';').unwrap_or(expr).trim_end();
    (!expr.is_empty()).then_some((name, expr))
}

/// Whether `source` fails to parse only because it ends too early.
fn is_incomplete(source: &str) -> bool {
    crate::syntax::parse_green(source).is_err_and(|e| e.at_end)
}

/// A REPL session: an evaluator and the names bound so far.
pub struct Repl {
    evaluator: Evaluator,
    scope: Attrs,
    interrupt: Arc<AtomicBool>,
}

impl Repl {
    /// A session evaluating with `evaluator`.
    pub fn new(evaluator: Evaluator) -> Repl {
        Repl {
            evaluator,
            scope: Attrs::empty(),
            interrupt: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The flag that interrupts the running evaluation when set (from a
    /// signal handler, say). It is cleared when an evaluation starts.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    /// The evaluator.
    pub fn evaluator(&self) -> &Evaluator {
        &self.evaluator
    }

    /// Whether `input` is the start of an input that continues on further
    /// lines: its expression does not parse yet because it ends too early.
    pub fn needs_more_input(&self, input: &str) -> bool {
        Input::parse(input).expression().is_some_and(is_incomplete)
    }

    /// Handles one complete input.
    pub fn handle(&mut self, input: &str) -> Output {
        let result = match Input::parse(input) {
            Input::Empty => Ok(Output::Nothing),
            Input::Quit => Ok(Output::Quit),
            Input::Help => Ok(Output::Message(HELP.to_string())),
            Input::Unknown(name) => Err(Error::other(format!(
                "unknown command ':{name}' (:? lists the commands)"
            ))),
            Input::Show(expr, show) => self.show(expr, show).map(Output::Value),
            Input::Bind(name, expr) => self.bind(name, expr).map(|()| Output::Nothing),
            Input::AddScope(expr) => self.add_to_scope(expr.to_string()),
            Input::Load(path) => self.add_to_scope(format!("import {}", load_path(path))),
        };
        result.unwrap_or_else(|e| Output::Error(self.render(&e)))
    }

    fn render(&self, error: &Error) -> String {
        if matches!(error.kind(), ErrorKind::Cancelled) {
            return "error: interrupted".to_string();
        }
        self.evaluator.render_error(error, false)
    }

    fn show(&self, expr: &str, show: Show) -> Result<BString> {
        if expr.is_empty() {
            return Err(Error::other("this command needs an expression"));
        }
        let source = expr.to_string();
        let scope = self.scope.clone();
        let dir = self.working_dir();
        self.run(move |vm| {
            let value = evaluate(vm, source, &dir, &scope)?;
            match show {
                Show::Shallow => {
                    let mut out = Vec::new();
                    render_shallow(vm, value, 1, &mut out)?;
                    Ok(out.into())
                }
                Show::Strict => print_value(&vm.deep_force(value)?),
                Show::Type => Ok(vm.force(value)?.type_phrase().into()),
            }
        })
    }

    /// `name = expr`: binds a thunk of `expr`, evaluated when first used.
    fn bind(&mut self, name: &str, expr: &str) -> Result<()> {
        let code = self.evaluator.context().compile_source(
            INPUT_NAME.to_string(),
            expr.to_string(),
            &self.working_dir(),
            Some(&self.scope),
        )?;
        let value = Value::Thunk(Thunk::of_code(code));
        let binding = Attrs::from_sorted(vec![(Symbol::intern(name), value)], None);
        self.scope = self.scope.update(&binding);
        Ok(())
    }

    /// `:a` and `:l`: evaluates `source` to a set (calling a function whose
    /// arguments all have defaults) and adds its attributes to scope.
    fn add_to_scope(&mut self, source: String) -> Result<Output> {
        let scope = self.scope.clone();
        let dir = self.working_dir();
        let added = self.run(move |vm| {
            let value = evaluate(vm, source, &dir, &scope)?;
            let value = call_with_defaults(vm, value)?;
            vm.force_attrs(value)
        })?;
        self.scope = self.scope.update(&added);
        Ok(Output::Message(format!("Added {} variables.", added.len())))
    }

    fn working_dir(&self) -> PathBuf {
        self.evaluator.context().settings.working_dir.clone()
    }

    /// Runs `f` as a stepping evaluation in slices of fuel, stopping when
    /// the interrupt flag is set.
    fn run<T: 'static>(&self, f: impl FnOnce(&mut Vm) -> Result<T> + 'static) -> Result<T> {
        self.interrupt.store(false, Ordering::SeqCst);
        let mut evaluation = self.evaluator.start_with(f).with_fuel(SLICE);
        let mut reply = HostReply::Continue;
        loop {
            match evaluation.resume(reply) {
                Step::Done(result) => return result,
                Step::Request(HostRequest::OutOfFuel) => {
                    if self.interrupt.swap(false, Ordering::SeqCst) {
                        return evaluation.cancel();
                    }
                    reply = HostReply::Fuel(SLICE);
                }
                Step::Request(request) => {
                    reply = request.serve_io(&StdIo).unwrap_or(HostReply::Cancel);
                }
            }
        }
    }
}

/// The argument of `:l` as a Nix path expression: `<…>`, absolute and
/// `./`-relative paths as written, a bare file name relative to the
/// working directory.
fn load_path(arg: &str) -> String {
    let explicit = ["<", "/", "./", "../", "~/"];
    if explicit.iter().any(|p| arg.starts_with(p)) {
        arg.to_string()
    } else {
        format!("./{arg}")
    }
}

/// Compiles `source` with the session's bindings in scope and forces it.
fn evaluate(vm: &mut Vm, source: String, dir: &std::path::Path, scope: &Attrs) -> Result<Value> {
    let code = vm
        .context()
        .compile_source(INPUT_NAME.to_string(), source, dir, Some(scope))?;
    vm.force(Value::Thunk(Thunk::of_code(code)))
}

/// Calls a function whose formal arguments all have defaults with `{ }`, as
/// `nix repl` does for loaded files; other values pass unchanged.
fn call_with_defaults(vm: &mut Vm, value: Value) -> Result<Value> {
    let value = vm.force(value)?;
    let Value::Closure(closure) = &value else {
        return Ok(value);
    };
    match closure.code().formals() {
        Some(formals) if formals.entries.iter().all(|(_, default)| *default) => {
            vm.call_forced(value.clone(), Value::Attrs(Attrs::empty()))
        }
        _ => Ok(value),
    }
}

/// Prints `value` forcing `depth` levels of sets and lists below it; deeper
/// ones show as `{ ... }` and `[ ... ]`, and an attribute or element whose
/// evaluation fails shows its error in place.
fn render_shallow(vm: &mut Vm, value: Value, depth: usize, out: &mut Vec<u8>) -> Result<()> {
    match vm.force(value)? {
        Value::Attrs(attrs) if attrs.is_empty() => out.extend_from_slice("{ }".as_bytes()),
        Value::Attrs(_) if depth == 0 => out.extend_from_slice("{ ... }".as_bytes()),
        Value::Attrs(attrs) => {
            out.push(b'{');
            for (name, v) in attrs.sorted_entries() {
                out.push(b' ');
                if is_plain_identifier(&name) {
                    out.extend_from_slice(&name);
                } else {
                    escape_string_into(out, &name);
                }
                out.extend_from_slice(" = ".as_bytes());
                render_part(vm, v.clone(), depth - 1, out)?;
                out.push(b';');
            }
            out.extend_from_slice(" }".as_bytes());
        }
        Value::List(items) if items.is_empty() => out.extend_from_slice("[ ]".as_bytes()),
        Value::List(_) if depth == 0 => out.extend_from_slice("[ ... ]".as_bytes()),
        Value::List(items) => {
            out.push(b'[');
            for v in items.iter() {
                out.push(b' ');
                render_part(vm, v.clone(), depth - 1, out)?;
            }
            out.extend_from_slice(" ]".as_bytes());
        }
        scalar => out.extend_from_slice(&print_value(&scalar)?),
    }
    Ok(())
}

/// Renders an attribute or element; its error is shown in place unless it
/// ends the whole evaluation (interrupted, out of stack).
fn render_part(vm: &mut Vm, value: Value, depth: usize, out: &mut Vec<u8>) -> Result<()> {
    let mut part = Vec::new();
    match spindle_fiber::ensure_sufficient_stack(|| render_shallow(vm, value, depth, &mut part)) {
        Ok(()) => out.extend_from_slice(&part),
        Err(e) if e.is_resource_limit() => return Err(e),
        Err(e) => {
            out.extend_from_slice("«error: ".as_bytes());
            out.extend_from_slice(e.to_string().as_bytes());
            out.extend_from_slice("»".as_bytes());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Repl {
        Repl::new(Evaluator::builder().pure(true).build())
    }

    fn value(repl: &mut Repl, input: &str) -> BString {
        match repl.handle(input) {
            Output::Value(v) => v,
            other => panic!("{input}: {other:?}"),
        }
    }

    #[test]
    fn bindings_persist_and_see_earlier_ones() {
        let mut repl = session();
        assert_eq!(repl.handle("x = 1"), Output::Nothing);
        assert_eq!(repl.handle("y = x + 1;"), Output::Nothing);
        assert_eq!(value(&mut repl, "x + y"), "3");
        assert_eq!(repl.handle("x = 10"), Output::Nothing);
        // `y` keeps the `x` it was bound with.
        assert_eq!(value(&mut repl, "x + y"), "12");
        assert_eq!(value(&mut repl, "x == 10"), "true");
    }

    #[test]
    fn commands() {
        let mut repl = session();
        assert_eq!(value(&mut repl, ":t { }"), "a set");
        assert_eq!(
            value(&mut repl, ":p { a.b = [ 1 2 ]; }"),
            "{ a = { b = [ 1 2 ]; }; }"
        );
        assert_eq!(
            value(&mut repl, "{ a.b = 1; c = [ [ 1 ] ]; }"),
            "{ a = { ... }; c = [ ... ]; }"
        );
        assert_eq!(
            value(&mut repl, "{ ok = 1; bad = throw \"no\"; }"),
            "{ bad = «error: no»; ok = 1; }"
        );
        assert_eq!(
            repl.handle(":a { p = 1; q = 2; }"),
            Output::Message("Added 2 variables.".into())
        );
        assert_eq!(value(&mut repl, "p + q"), "3");
        assert!(matches!(repl.handle(":?"), Output::Message(_)));
        assert_eq!(repl.handle(":q"), Output::Quit);
        assert!(matches!(repl.handle(":nope"), Output::Error(_)));
        assert_eq!(repl.handle("   "), Output::Nothing);
    }

    #[test]
    fn errors_come_with_their_source() {
        let mut repl = session();
        let Output::Error(text) = repl.handle("1 + \"a\"") else {
            panic!("expected an error")
        };
        assert!(text.contains("1 + \"a\""), "{text}");
        assert!(text.contains('^'), "{text}");
    }

    #[test]
    fn incomplete_inputs_continue() {
        let repl = session();
        assert!(repl.needs_more_input("let"));
        assert!(repl.needs_more_input("x = {"));
        assert!(repl.needs_more_input(":p [ 1"));
        assert!(!repl.needs_more_input("1 +)"));
        assert!(!repl.needs_more_input("{ }"));
        assert!(!repl.needs_more_input(":q"));
    }

    #[test]
    fn interrupting_stops_an_evaluation_and_keeps_the_session() {
        let mut repl = session();
        repl.handle("f = n: if n == 0 then 0 else f (n - 1)");
        let flag = repl.interrupt_flag();
        // The flag is cleared when an evaluation starts, so set it from a
        // builtin while the evaluation runs.
        repl.evaluator.set_global(
            "interrupt",
            Value::host_builtin("interrupt", 1, move |vm, args| {
                flag.store(true, Ordering::SeqCst);
                vm.force(args[0].clone())
            }),
        );
        let forever = "interrupt (let loop = n: loop (n + 1); in loop 0)";
        assert_eq!(
            repl.handle(forever),
            Output::Error("error: interrupted".into())
        );
        assert_eq!(value(&mut repl, "1 + 1"), "2");
    }
}
