//! Parsing with rnix, and syntax errors with source positions.

use std::sync::Arc;

use rnix::{ParseError, SyntaxKind, TextRange};

use crate::error::{Error, ErrorKind, Result};

/// Parses a source file, reporting every syntax error rnix finds.
pub fn parse(file: &Arc<codemap::File>) -> Result<rnix::ast::Root> {
    let source = end_comments_at_carriage_returns(file.source());
    let parsed = rnix::Root::parse(&source);
    let errors = parsed.errors();
    if errors.is_empty() {
        return Ok(parsed.tree());
    }
    let mut all: Vec<Error> = errors.iter().map(|e| convert(file, e)).collect();
    let mut first = all.remove(0);
    first.set_related(all);
    Err(first)
}

/// Nix ends a `#` comment at a carriage return as well as at a line feed;
/// rnix only at a line feed. Turning carriage returns inside line comments
/// into line feeds keeps every byte offset, so spans stay right.
fn end_comments_at_carriage_returns(source: &str) -> std::borrow::Cow<'_, str> {
    if !source.contains('\r') {
        return std::borrow::Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    for (kind, text) in rnix::tokenize(source) {
        if kind == SyntaxKind::TOKEN_COMMENT && text.starts_with('#') {
            out.push_str(&text.replace('\r', "\n"));
        } else {
            out.push_str(text);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn convert(file: &Arc<codemap::File>, error: &ParseError) -> Error {
    let source = file.source();
    let end = source.len() as u64;
    let span_of = |range: &TextRange| {
        file.span.subspan(
            u32::from(range.start()) as u64,
            u32::from(range.end()) as u64,
        )
    };
    let text_of = |range: &TextRange| {
        source
            .get(usize::from(range.start())..usize::from(range.end()))
            .unwrap_or("")
            .to_string()
    };
    let (message, span) = match error {
        ParseError::Unexpected(range) => (
            format!(
                "syntax error, unexpected {}",
                describe_text(&text_of(range))
            ),
            span_of(range),
        ),
        ParseError::UnexpectedExtra(range) => (
            format!(
                "syntax error, unexpected {}, expecting end of file",
                describe_text(&text_of(range))
            ),
            span_of(range),
        ),
        ParseError::UnexpectedWanted(got, range, wanted) => (
            format!(
                "syntax error, unexpected {}, expecting {}",
                describe_kind(*got, &text_of(range)),
                wanted
                    .iter()
                    .map(|k| describe_kind(*k, ""))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            span_of(range),
        ),
        ParseError::UnexpectedDoubleBind(range) => (
            "double @-binding in a function pattern".to_string(),
            span_of(range),
        ),
        ParseError::UnexpectedEOF => (
            "syntax error, unexpected end of file".to_string(),
            file.span.subspan(end, end),
        ),
        ParseError::UnexpectedEOFWanted(wanted) => (
            format!(
                "syntax error, unexpected end of file, expecting {}",
                wanted
                    .iter()
                    .map(|k| describe_kind(*k, ""))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            file.span.subspan(end, end),
        ),
        ParseError::DuplicatedArgs(range, name) => (
            format!("duplicate formal function argument '{name}'"),
            span_of(range),
        ),
        ParseError::RecursionLimitExceeded => (
            "expression nested too deeply for the parser".to_string(),
            file.span.subspan(0, end.min(1)),
        ),
        other => (format!("syntax error: {other}"), file.span.subspan(0, 0)),
    };
    Error::at(ErrorKind::Syntax(message), span)
}

fn describe_text(text: &str) -> String {
    let first: String = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .chars()
        .take(20)
        .collect();
    if first.is_empty() {
        "end of file".to_string()
    } else {
        format!("'{first}'")
    }
}

fn describe_kind(kind: SyntaxKind, text: &str) -> String {
    if !text.is_empty() {
        return describe_text(text);
    }
    let name = format!("{kind:?}");
    name.trim_start_matches("TOKEN_")
        .trim_start_matches("NODE_")
        .to_lowercase()
        .replace('_', " ")
}
