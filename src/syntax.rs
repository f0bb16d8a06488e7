//! Parsing with rnix, and syntax errors with source positions.

use std::sync::Arc;

use rnix::{ParseError, SyntaxKind, TextRange};

use crate::error::{Error, ErrorKind, Result};

/// The error for input nested deeper than the parser goes.
const NESTED_TOO_DEEPLY: &str = "expression nested too deeply for the parser";

/// How many of a file's syntax errors are reported: one mistake often
/// confuses the parser into many more.
const MOST_SYNTAX_ERRORS_SHOWN: usize = 10;

/// Parses a source file, reporting the syntax errors rnix finds (the first
/// ten; only the nesting limit when it was hit).
pub fn parse(file: &Arc<codemap::File>) -> Result<rnix::ast::Root> {
    let source = end_comments_at_carriage_returns(file.source());
    check_bracket_depth(file, &source)?;
    let parsed = rnix::Root::parse(&source);
    let errors = parsed.errors();
    if errors.is_empty() {
        return Ok(parsed.tree());
    }
    // Past rnix's nesting limit every enclosing construct is left
    // unfinished and reported too: only the limit is news.
    if let Some(limit) = errors
        .iter()
        .find(|e| matches!(e, ParseError::RecursionLimitExceeded))
    {
        return Err(convert(file, limit));
    }
    let mut shown = errors.iter().take(MOST_SYNTAX_ERRORS_SHOWN);
    let mut first = convert(file, shown.next().expect("errors is not empty"));
    let mut related: Vec<Error> = shown.map(|e| convert(file, e)).collect();
    if errors.len() > MOST_SYNTAX_ERRORS_SHOWN {
        related.push(Error::new(ErrorKind::Syntax(format!(
            "{} more syntax errors not shown",
            errors.len() - MOST_SYNTAX_ERRORS_SHOWN
        ))));
    }
    first.set_related(related);
    Err(first)
}

/// The deepest nesting of brackets (`(`, `[`, `{`, `${`) a file may have:
/// about where Nix's own parser stops.
const DEEPEST_BRACKETS: usize = 10_000;

/// Refuses a file whose brackets nest deeper than [`DEEPEST_BRACKETS`],
/// at the bracket that goes too deep, before rnix parses it. rnix keeps
/// every token past its own nesting limit in one error node, and its
/// syntax tree builder hashes a node's whole subtree when the node is made,
/// so very deep input costs it time and memory far beyond the input's
/// size; this scan costs neither and stops at the first bracket too many.
fn check_bracket_depth(file: &Arc<codemap::File>, source: &str) -> Result<()> {
    if source.len() <= DEEPEST_BRACKETS {
        return Ok(());
    }
    let (mut depth, mut offset) = (0usize, 0usize);
    for (kind, text) in rnix::tokenize(source) {
        match kind {
            SyntaxKind::TOKEN_L_PAREN
            | SyntaxKind::TOKEN_L_BRACK
            | SyntaxKind::TOKEN_L_BRACE
            | SyntaxKind::TOKEN_INTERPOL_START => {
                depth += 1;
                if depth > DEEPEST_BRACKETS {
                    let at = offset as u64;
                    return Err(Error::at(
                        ErrorKind::Syntax(NESTED_TOO_DEEPLY.into()),
                        file.span.subspan(at, at + text.len() as u64),
                    ));
                }
            }
            SyntaxKind::TOKEN_R_PAREN
            | SyntaxKind::TOKEN_R_BRACK
            | SyntaxKind::TOKEN_R_BRACE
            | SyntaxKind::TOKEN_INTERPOL_END => depth = depth.saturating_sub(1),
            _ => {}
        }
        offset += text.len();
    }
    Ok(())
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
            NESTED_TOO_DEEPLY.to_string(),
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
