//! Parsing: Spindle's own lexer and parser for the Nix language, building
//! the rowan trees of rnix 0.15 (whose typed AST, `rnix::ast`, the compiler
//! reads), in time and memory linear in the input and with a bound on
//! nesting. rnix itself is used only for its kinds and AST types: its
//! parser is quadratic on long runs of path characters (`a.a.a.…`) and
//! slow on large inputs, and goes on parsing past its nesting limit.
//!
//! - `lexer`: tokens, produced on demand.
//! - `parser`: the grammar, stopping at the first error.
//! - `tree`: green trees built without rowan's node cache.

mod lexer;
mod parser;
mod tree;

use std::rc::Rc;

use rowan::ast::AstNode;

pub use parser::{DEEPEST_NESTING, NESTED_TOO_DEEPLY};

use crate::error::{Error, ErrorKind, Result};

/// A syntax error: message and byte range in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub start: usize,
    pub end: usize,
    /// Whether the input ended where more was needed: the REPL then asks
    /// for another line.
    pub at_end: bool,
    /// How far into the source the parser looked before it gave up: the
    /// error depends on nothing after this byte.
    pub examined: usize,
}

impl SyntaxError {
    /// The error at its place in `file`.
    pub fn in_file(self, file: &Rc<crate::source::File>) -> Error {
        Error::at(
            ErrorKind::Syntax(self.message),
            file.span.subspan(self.start as u64, self.end as u64),
        )
    }

    fn new(message: String, start: usize, end: usize) -> SyntaxError {
        SyntaxError {
            message,
            start,
            end,
            at_end: false,
            examined: 0,
        }
    }
}

/// Parses a source text into a green tree of kind `NODE_ROOT`, or gives
/// its first syntax error.
pub fn parse_green(source: &str) -> std::result::Result<rowan::GreenNode, SyntaxError> {
    parser::parse(source)
}

/// Parses a source file, reporting its first syntax error with its place.
pub fn parse(file: &Rc<crate::source::File>) -> Result<rnix::ast::Root> {
    match parse_green(file.source()) {
        Ok(green) => {
            let node = rnix::SyntaxNode::new_root(green);
            rnix::ast::Root::cast(node).ok_or_else(|| {
                Error::at(
                    ErrorKind::Syntax("syntax error".into()),
                    file.span.subspan(0, 0),
                )
            })
        }
        Err(e) => Err(e.in_file(file)),
    }
}

#[cfg(test)]
mod tests;
