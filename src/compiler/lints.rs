//! Optional lints on literals, as newer Nix has them: absolute and home
//! path literals, relative path literals without `./`, and unquoted URLs.

use crate::error::{Error, ErrorKind};
use crate::source::Span;

/// How a lint reacts when it fires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LintLevel {
    /// Says nothing.
    #[default]
    Off,
    /// Prints a warning.
    Warn,
    /// Fails compilation.
    Fatal,
}

impl LintLevel {
    /// Parses `ignore`, `warn` or `fatal`.
    pub fn parse(s: &str) -> Option<LintLevel> {
        match s {
            "ignore" | "off" => Some(LintLevel::Off),
            "warn" => Some(LintLevel::Warn),
            "fatal" => Some(LintLevel::Fatal),
            _ => None,
        }
    }
}

/// The level of each lint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lints {
    /// `/abs/path` and `~/path` literals.
    pub absolute_paths: LintLevel,
    /// `rel/path` literals that do not start with `./` or `../`.
    pub short_paths: LintLevel,
    /// Unquoted URLs.
    pub urls: LintLevel,
}

/// What a lint found: a warning to show, or the error to fail with.
pub enum Finding {
    Warning(Error),
    Fatal(Error),
}

fn finding(level: LintLevel, message: String, span: Span) -> Option<Finding> {
    let error = Error::at(ErrorKind::Other(message), span);
    match level {
        LintLevel::Off => None,
        LintLevel::Warn => Some(Finding::Warning(error)),
        LintLevel::Fatal => Some(Finding::Fatal(error)),
    }
}

/// Checks a path literal, given as written.
pub fn check_path(lints: &Lints, text: &str, span: Span) -> Option<Finding> {
    let not_portable = |kind: &str| {
        format!(
            "{kind} path literals are not portable. Consider replacing path literal '{text}' by a string, relative path, or parameter (lint-absolute-path-literals)"
        )
    };
    if text.starts_with('/') {
        finding(lints.absolute_paths, not_portable("absolute"), span)
    } else if text.starts_with('~') {
        finding(lints.absolute_paths, not_portable("home"), span)
    } else if !text.starts_with("./") && !text.starts_with("../") && !text.starts_with('<') {
        let message = format!(
            "relative path literal '{text}' should be prefixed with '.' for clarity: './{text}' (lint-short-path-literals)"
        );
        finding(lints.short_paths, message, span)
    } else {
        None
    }
}

/// Checks an unquoted URL literal.
pub fn check_url(lints: &Lints, text: &str, span: Span) -> Option<Finding> {
    let verdict = if lints.urls == LintLevel::Fatal {
        "disallowed"
    } else {
        "discouraged"
    };
    let message = format!(
        "URL literals are {verdict}. Consider using a string literal \"{text}\" instead (lint-url-literals)"
    );
    finding(lints.urls, message, span)
}
