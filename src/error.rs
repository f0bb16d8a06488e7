//! Evaluation errors.
//!
//! An [`Error`] is a boxed [`ErrorKind`] with the span where it arose and a
//! Nix-level trace of the calls it went through. Boxing keeps `Result<Value>`
//! small on the hot paths.

use std::fmt::Write as _;

use crate::source::{Sources, Span};

/// What went wrong.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ErrorKind {
    /// `throw "msg"`: catchable by `tryEval`.
    #[error("{0}")]
    Throw(String),
    /// `abort "msg"`: not catchable.
    #[error("evaluation aborted with the following error message: '{0}'")]
    Abort(String),
    /// `assert e; …` with a false `e`: catchable.
    #[error("assertion '{0}' failed")]
    AssertionFailed(String),
    /// A value had the wrong type.
    #[error("value is {got} while {expected} was expected")]
    TypeMismatch {
        expected: &'static str,
        got: &'static str,
    },
    /// A thunk was forced while being forced.
    #[error("infinite recursion encountered")]
    InfiniteRecursion,
    /// A name bound nowhere.
    #[error("undefined variable '{0}'")]
    UndefinedVariable(String),
    /// `set.name` where the set lacks `name`.
    #[error("attribute '{0}' missing")]
    MissingAttribute(String),
    /// An attribute defined twice.
    #[error("attribute '{0}' already defined")]
    DuplicateAttribute(String),
    /// Division by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// Integer overflow.
    #[error("integer overflow in {0}")]
    IntegerOverflow(&'static str),
    /// A function was called without an argument it requires.
    #[error("function '{function}' called without required argument '{name}'")]
    MissingArgument { function: String, name: String },
    /// A function was called with an argument it does not take.
    #[error("function '{function}' called with unexpected argument '{name}'")]
    UnexpectedArgument { function: String, name: String },
    /// Something that is not a function was called.
    #[error("attempt to call something which is not a function but {0}")]
    NotAFunction(&'static str),
    /// A value could not be turned into a string.
    #[error("cannot coerce {0} to a string")]
    NotCoercible(&'static str),
    /// Values that cannot be compared with `<`.
    #[error("cannot compare {0} with {1}")]
    Incomparable(&'static str, &'static str),
    /// The syntax was invalid.
    #[error("{0}")]
    Syntax(String),
    /// The evaluation used more stack than its budget allows.
    #[error(
        "stack overflow: evaluation nested deeper than the stack budget of {budget} bytes allows"
    )]
    StackExhausted { budget: usize },
    /// No stack could be set up to evaluate on: the process ran out of address
    /// space or of memory mappings.
    #[error("{0}")]
    NoStack(spindle_fiber::StackError),
    /// More nested calls than `--max-call-depth` allows.
    #[error("stack overflow: more than {0} nested function calls (max-call-depth)")]
    CallDepthExceeded(usize),
    /// An evaluation was cancelled by its host.
    #[error("evaluation cancelled")]
    Cancelled,
    /// An evaluation used up its budget of steps (fuel).
    #[error("evaluation ran out of fuel")]
    OutOfFuel,
    /// The heap would grow past its cap (`--max-heap`).
    #[error("out of memory: the evaluation needs more heap than its cap of {} allows", crate::limits::human_bytes(*cap))]
    HeapExhausted { cap: usize },
    /// The evaluation's time limit (`--time-limit`) or its host's deadline passed.
    #[error("evaluation stopped: {}", crate::limits::describe_time_limit(.0))]
    TimeLimit(Option<std::time::Duration>),
    /// A file could not be read, a path did not exist, and similar.
    #[error("{0}")]
    Io(String),
    /// An operation needs the impure mode.
    #[error("{0} is not allowed in pure evaluation mode")]
    Impure(String),
    /// An operation needs a Nix store, which Spindle does not have yet.
    #[error("'{0}' needs a Nix store, which this evaluator does not have")]
    NeedsStore(&'static str),
    /// A value could not be converted between Nix and Rust (serde); `path`
    /// names where in the value, like `servers.0.port`.
    #[error("cannot convert{}: {message}", if path.is_empty() { String::new() } else { format!(" '{path}'") })]
    Conversion { path: String, message: String },
    /// Any other error, with Nix's message.
    #[error("{0}")]
    Other(String),
}

/// One step of a Nix-level trace.
#[derive(Debug, Clone)]
pub struct TraceFrame {
    /// What the evaluator was doing: "while calling 'f'".
    pub message: String,
    /// Where.
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
struct ErrorInner {
    kind: ErrorKind,
    span: Option<Span>,
    trace: Vec<TraceFrame>,
    elided_frames: usize,
    related: Vec<Error>,
}

/// An evaluation error.
#[derive(Debug, Clone)]
pub struct Error(Box<ErrorInner>);

/// The result of evaluation steps.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with no position yet.
    ///
    /// Out of line: building the error where it happens would enlarge the
    /// frames of the evaluator's recursive functions, which every level of
    /// nesting pays for.
    #[cold]
    #[inline(never)]
    pub fn new(kind: ErrorKind) -> Error {
        Error(Box::new(ErrorInner {
            kind,
            span: None,
            trace: Vec::new(),
            elided_frames: 0,
            related: Vec::new(),
        }))
    }

    /// An error at `span`.
    pub fn at(kind: ErrorKind, span: Span) -> Error {
        Error::new(kind).with_span(span)
    }

    /// An I/O failure, described by `message`. A failure that stands for the
    /// cancellation of the evaluation (see [`io_cancelled`]) becomes
    /// [`ErrorKind::Cancelled`], so that thunks forced on the way are left to
    /// be forced again rather than remembered as failed.
    pub fn from_io(e: &std::io::Error, message: impl FnOnce() -> String) -> Error {
        if is_io_cancelled(e) {
            Error::new(ErrorKind::Cancelled)
        } else if let Some(forbidden) = forbidden_access(e) {
            // Nix's message says all there is: no "opening file …" around it.
            Error::new(ErrorKind::Io(forbidden.0.clone()))
        } else {
            Error::new(ErrorKind::Io(message()))
        }
    }

    /// A free-form error message.
    #[cold]
    pub fn other(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Other(msg.into()))
    }

    /// A type error.
    #[cold]
    #[inline(never)]
    pub fn type_mismatch(expected: &'static str, got: &'static str) -> Error {
        Error::new(ErrorKind::TypeMismatch { expected, got })
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// What went wrong, to be adjusted.
    pub(crate) fn kind_mut(&mut self) -> &mut ErrorKind {
        &mut self.0.kind
    }

    /// Where, if known.
    pub fn span(&self) -> Option<Span> {
        self.0.span
    }

    /// Sets the span unless one is already known.
    pub fn with_span(mut self, span: Span) -> Error {
        if self.0.span.is_none() {
            self.0.span = Some(span);
        }
        self
    }

    /// Whether `builtins.tryEval` catches this error.
    pub fn is_catchable(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::Throw(_) | ErrorKind::AssertionFailed(_)
        )
    }

    /// Whether the error says a resource ran out (stack, call depth, fuel,
    /// heap, time)
    /// rather than that the program is wrong.
    pub fn is_resource_limit(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::StackExhausted { .. }
                | ErrorKind::NoStack(_)
                | ErrorKind::CallDepthExceeded(_)
                | ErrorKind::Cancelled
                | ErrorKind::OutOfFuel
                | ErrorKind::HeapExhausted { .. }
                | ErrorKind::TimeLimit(_)
        )
    }

    /// The trace, innermost first.
    pub fn trace(&self) -> &[TraceFrame] {
        &self.0.trace
    }

    /// Adds a trace frame (outer frames come later).
    pub fn push_trace(&mut self, message: String, span: Option<Span>) {
        self.0.trace.push(TraceFrame { message, span });
    }

    /// Counts one more frame left out of the trace.
    pub fn note_elided_frame(&mut self) {
        self.0.elided_frames += 1;
    }

    /// Replaces the trace, noting how many frames were left out.
    pub fn set_trace(&mut self, trace: Vec<TraceFrame>, elided: usize) {
        self.0.trace = trace;
        self.0.elided_frames = elided;
    }

    /// Attaches further errors found together with this one (all syntax
    /// errors of a file, say).
    pub fn set_related(&mut self, related: Vec<Error>) {
        self.0.related = related;
    }

    /// Errors found together with this one.
    pub fn related(&self) -> &[Error] {
        &self.0.related
    }

    /// Renders the error the way `nix-instantiate` does: message, location,
    /// source excerpt and, with `show_trace`, the trace from the outermost
    /// frame in.
    pub fn render(&self, sources: &Sources, show_trace: bool) -> String {
        let mut out = String::new();
        let traced = show_trace && !self.0.trace.is_empty();
        if traced {
            out.push_str("error:\n");
            for frame in self.0.trace.iter().rev() {
                let _ = writeln!(out, "       … {}", frame.message);
                if let Some(span) = frame.span {
                    render_location(&mut out, sources, span, 9);
                }
                out.push('\n');
            }
            if self.0.elided_frames > 0 {
                let _ = writeln!(
                    out,
                    "       … ({} more frames elided)\n",
                    self.0.elided_frames
                );
            }
            write_message(&mut out, "       error: ", &self.0.kind);
        } else {
            write_message(&mut out, "error: ", &self.0.kind);
        }
        if let Some(span) = self.0.span {
            render_location(&mut out, sources, span, 7);
        }
        for other in &self.0.related {
            out.push('\n');
            out.push_str(&other.render(sources, false));
        }
        while out.ends_with('\n') {
            out.pop();
        }
        out
    }

    /// Renders the error as a warning (`warning: …`), as Nix shows lints.
    pub fn render_warning(&self, sources: &Sources) -> String {
        let mut out = format!("warning: {}\n", self.0.kind);
        if let Some(span) = self.0.span {
            render_location(&mut out, sources, span, 9);
        }
        while out.ends_with('\n') {
            out.pop();
        }
        out
    }
}

/// The payload of an I/O error that stands for a cancelled evaluation.
#[derive(Debug)]
struct IoCancelled;

impl std::fmt::Display for IoCancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("evaluation cancelled")
    }
}

impl std::error::Error for IoCancelled {}

/// An I/O error that [`Error::from_io`] turns into [`ErrorKind::Cancelled`]:
/// what a host's I/O returns when the evaluation waiting for it is cancelled.
pub fn io_cancelled() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::Interrupted, IoCancelled)
}

/// The payload of an I/O error for an access that pure evaluation or
/// restricted mode forbids, with Nix's message.
#[derive(Debug)]
struct ForbiddenAccess(String);

impl std::fmt::Display for ForbiddenAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ForbiddenAccess {}

/// An I/O error refusing access to a path (`message` is the whole of what
/// [`Error::from_io`] will report).
pub fn io_forbidden(message: String) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        ForbiddenAccess(message),
    )
}

fn forbidden_access(e: &std::io::Error) -> Option<&ForbiddenAccess> {
    e.get_ref().and_then(|inner| inner.downcast_ref())
}

/// Whether `e` was made by [`io_cancelled`].
pub fn is_io_cancelled(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<IoCancelled>())
}

/// `label` and the message, whose further lines are indented to where the
/// first began, as Nix lays them out (empty lines stay empty).
pub fn labelled(label: &str, message: &str) -> String {
    let indent = " ".repeat(label.len());
    let mut out = String::from(label);
    for (i, line) in message.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&indent);
            }
        }
        out.push_str(line);
    }
    out
}

fn write_message(out: &mut String, label: &str, message: &impl std::fmt::Display) {
    out.push_str(&labelled(label, &message.to_string()));
    out.push('\n');
}

/// `at FILE:LINE:COLUMN:` indented by `indent` spaces, then the excerpt
/// indented five more.
fn render_location(out: &mut String, sources: &Sources, span: Span, indent: usize) {
    let loc = sources.location(span);
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}at {}:{}:{}:", loc.file, loc.line, loc.column);
    out.push_str(&sources.render_excerpt(span, &" ".repeat(indent + 5)));
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl From<spindle_fiber::StackError> for Error {
    #[cold]
    fn from(e: spindle_fiber::StackError) -> Self {
        Error::new(ErrorKind::NoStack(e))
    }
}

impl From<spindle_fiber::StackExhausted> for Error {
    #[cold]
    #[inline(never)]
    fn from(e: spindle_fiber::StackExhausted) -> Self {
        Error::new(ErrorKind::StackExhausted { budget: e.budget })
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.kind)
    }
}

impl std::error::Error for Error {}
