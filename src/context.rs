//! The state shared by an evaluation: settings, sources, globals, I/O and
//! the import cache. Both VMs read it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::bytecode::Code;
use crate::compiler::{compile, CompileEnv};
use crate::error::{Error, ErrorKind, Result};
use crate::globals::Globals;
use crate::io::EvalIo;
use crate::source::{Sources, Span};
use crate::syntax;
use crate::value::{Attrs, NixString, Value};

/// One entry of the search path (`-I`, `NIX_PATH`): `prefix=path` or `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchPathEntry {
    /// The prefix (empty for a bare path).
    pub prefix: String,
    /// The directory or URL.
    pub path: String,
}

impl SearchPathEntry {
    /// Parses `prefix=path` or `path`.
    pub fn parse(s: &str) -> SearchPathEntry {
        match s.split_once('=') {
            Some((prefix, path)) => SearchPathEntry {
                prefix: prefix.to_string(),
                path: path.to_string(),
            },
            None => SearchPathEntry {
                prefix: String::new(),
                path: s.to_string(),
            },
        }
    }
}

/// Settings fixed for the life of an evaluator.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Refuse impure operations (`pure-eval`).
    pub pure: bool,
    /// Restricted evaluation (`restrict-eval`): only paths under the search
    /// path's directories may be read, and the environment reads as empty.
    pub restrict_eval: bool,
    /// The search path for `<…>` lookups.
    pub search_path: Vec<SearchPathEntry>,
    /// `builtins.currentSystem`.
    pub current_system: String,
    /// `builtins.storeDir`.
    pub store_dir: String,
    /// The home directory for `~/…` paths.
    pub home: Option<String>,
    /// The directory `-E` expressions are relative to.
    pub working_dir: PathBuf,
    /// The most nested function calls allowed.
    pub max_call_depth: usize,
    /// The most stack (native and saved calls) an evaluation may use, in bytes.
    pub stack_budget: usize,
    /// Enabled experimental features (`--extra-experimental-features`).
    pub experimental_features: Vec<String>,
    /// Which literal lints are on.
    pub lints: crate::compiler::Lints,
    /// `builtins.warn` stops the evaluation with an error after warning
    /// (Nix's `abort-on-warn`), so that a warning's trace can be seen.
    pub abort_on_warn: bool,
    /// The heap cap, time limit and regular-expression budget.
    pub limits: crate::limits::LimitSettings,
}

impl Settings {
    /// Whether the experimental feature `name` was enabled.
    pub fn has_feature(&self, name: &str) -> bool {
        self.experimental_features.iter().any(|f| f == name)
    }
}

/// Everything an evaluation shares.
pub struct EvalContext {
    /// The source map for spans.
    pub sources: Sources,
    /// The settings.
    pub settings: Settings,
    /// The host's I/O.
    pub io: Rc<dyn EvalIo>,
    /// What the evaluation has put in its (imaginary) store.
    pub store: crate::store::StoreState,
    /// The limits every evaluation is held to, and the state checking them.
    pub limits: crate::limits::Limits,
    globals: RefCell<Rc<Globals>>,
    imports: RefCell<HashMap<PathBuf, Value>>,
}

impl EvalContext {
    /// A context; the globals are installed afterwards with [`EvalContext::set_globals`].
    pub fn new(settings: Settings, io: Rc<dyn EvalIo>) -> EvalContext {
        EvalContext {
            sources: Sources::new(),
            limits: crate::limits::Limits::new(&settings.limits),
            settings,
            io,
            store: Default::default(),
            globals: RefCell::new(Rc::new(Globals::default())),
            imports: RefCell::new(HashMap::new()),
        }
    }

    /// Installs the global names.
    pub fn set_globals(&self, globals: Globals) {
        *self.globals.borrow_mut() = Rc::new(globals);
    }

    /// The global names.
    pub fn globals(&self) -> Rc<Globals> {
        self.globals.borrow().clone()
    }

    /// Parses and compiles a source text.
    pub fn compile_source(
        &self,
        name: String,
        text: String,
        base_dir: &Path,
        scope: Option<&Attrs>,
    ) -> Result<Rc<Code>> {
        let file = self.sources.add(name, text);
        let globals = self.globals();
        let home = self.settings.home.clone();
        let compiled = spindle_fiber::on_large_stack(PARSER_STACK, || {
            let root = syntax::parse(&file)?;
            let env = CompileEnv {
                globals: &globals,
                scope,
                base_dir,
                home: home.as_deref(),
                lints: self.settings.lints,
            };
            compile(&root, &file, &env)
        })??;
        for warning in &compiled.warnings {
            self.io.warn(&warning.render_warning(&self.sources));
        }
        Ok(compiled.code)
    }

    /// The cached value of an imported file, if it was imported before.
    pub fn cached_import(&self, path: &Path) -> Option<Value> {
        self.imports.borrow().get(path).cloned()
    }

    /// Remembers the value of an imported file.
    pub fn cache_import(&self, path: PathBuf, value: Value) {
        self.imports.borrow_mut().insert(path, value);
    }

    /// Reads a Nix file through the host's I/O, as text (see
    /// [`EvalContext::read_source`]).
    pub fn read_file_text(&self, path: &Path) -> Result<String> {
        let opening = |e: std::io::Error| {
            Error::from_io(&e, || {
                format!("opening file '{}': {}", path.display(), io_message(&e))
            })
        };
        self.read_source(&path.display().to_string(), |len| match len {
            Some(len) => self.io.read_file_start(path, len).map_err(opening),
            None => self.io.read_file(path).map_err(opening),
        })
    }

    /// The text of the source file `name`, which `read` reads (at most the
    /// given number of bytes from its start, or all of it). A file larger
    /// than [`PROBE_BYTES`] is probed first: its beginning is parsed alone,
    /// and when the parser gave up before looking near the cut, that error
    /// is the whole file's (the parser reads from left to right and stops
    /// at its first error), reported without reading the rest. So input
    /// nested absurdly deep, however large the file, is refused having
    /// read its first 256 KiB (enough for 10^4 levels of
    /// any construct up to 25 bytes long).
    pub fn read_source(
        &self,
        name: &str,
        read: impl Fn(Option<usize>) -> Result<Vec<u8>>,
    ) -> Result<String> {
        let start = read(Some(PROBE_BYTES + 1))?;
        if start.len() <= PROBE_BYTES {
            return source_text(start, name);
        }
        self.probe_source(name, start)?;
        source_text(read(None)?, name)
    }

    /// Fails with the syntax error of a source whose first bytes are
    /// `start`, when those bytes alone decide it.
    fn probe_source(&self, name: &str, mut start: Vec<u8>) -> Result<()> {
        start.truncate(PROBE_BYTES);
        // The cut may fall inside a character; other bytes that are not
        // UTF-8 are left for reading the whole file to report.
        if let Err(e) = std::str::from_utf8(&start) {
            if e.error_len().is_some() {
                return Ok(());
            }
            start.truncate(e.valid_up_to());
        }
        let Ok(text) = String::from_utf8(start) else {
            return Ok(());
        };
        let error =
            spindle_fiber::on_large_stack(PARSER_STACK, || syntax::parse_green(&text).err())?;
        let Some(error) = error else { return Ok(()) };
        // What the lexer has not looked at cannot have changed the error.
        if error.examined + PROBE_MARGIN >= text.len() {
            return Ok(());
        }
        let file = self.sources.add(name.to_string(), text);
        Err(error.in_file(&file))
    }

    /// The store path a local path is copied to when interpolated.
    pub fn copy_path_to_store(&self, path: &str) -> Result<NixString> {
        crate::store::copy_path_to_store(self, path)
    }

    /// Renders an error with its source excerpt.
    pub fn render_error(&self, error: &Error, show_trace: bool) -> String {
        error.render(&self.sources, show_trace)
    }

    /// The location a span stands for.
    pub fn location(&self, span: Span) -> crate::source::Location {
        self.sources.location(span)
    }
}

/// The text of a Nix source. The parser reads UTF-8 only, so a source
/// with other bytes (which Nix accepts in strings and comments) is an
/// error that says where the first one is, never text changed silently.
pub fn source_text(bytes: Vec<u8>, name: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let before = &bytes[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = at - before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        Error::new(ErrorKind::Syntax(format!(
            "{name}:{line}:{column}: the byte 0x{:02x} is not UTF-8; Spindle reads Nix source as UTF-8",
            bytes[at]
        )))
    })
}

/// How much of a large source file [`EvalContext::read_source`] parses
/// alone before it reads the whole file.
pub const PROBE_BYTES: usize = 256 << 10;

/// How far beyond the last byte it examined the lexer may have peeked (a
/// few bytes to tell `/` from `//` and the like), with room to spare.
const PROBE_MARGIN: usize = 64;

/// The stack the parser and compiler run on: rnix recurses without a stack
/// check (up to its own nesting limit), so it gets a roomy, lazily
/// committed stack of its own.
const PARSER_STACK: usize = 256 << 20;

/// The OS error text without Rust's "(os error N)" suffix.
pub fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::source_text;

    #[test]
    fn sources_must_be_utf8_and_the_error_says_where() {
        assert_eq!(source_text(b"\"\xc3\xbc\"".to_vec(), "f").unwrap(), "\"ü\"");
        let err = source_text(b"1\n# \xff\n".to_vec(), "f.nix").unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.nix:2:3: the byte 0xff is not UTF-8; Spindle reads Nix source as UTF-8"
        );
    }
}
