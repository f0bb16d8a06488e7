//! The literal text of string expressions, as Nix 2.8 reads it.
//!
//! The syntax tree keeps a string's content as written, escapes included,
//! in one token between two interpolations. Nix's lexer cuts that content
//! finer, and the cuts matter for indented strings (`''…''`): a run of
//! plain text takes part in measuring and stripping the indentation, while
//! an escape (`''$`, `'''`, `''\x`) or a lone `$` or `'` ends the blank
//! start of a line when the indentation is measured, and its text (an
//! escaped newline too) is then stripped like any other. So an indented
//! string is first cut into the pieces Nix's lexer makes ([`lex_indented`])
//! and then measured and stripped piece by piece ([`strip_indentation`]).

use std::borrow::Cow;

use rnix::ast::{self, AstToken as _, InterpolPart};
use rowan::ast::AstNode;

/// The parts of a string expression with escapes resolved and, for an
/// indented string, its indentation stripped: literal text and the
/// interpolations between it. Adjacent literal text is one part and empty
/// text is left out, so a string without interpolation has at most one
/// part.
pub(super) fn literal_parts(s: &ast::Str) -> Vec<InterpolPart<String>> {
    let mut parts = Vec::new();
    if is_indented(s) {
        let contents: Vec<_> = s.parts().collect();
        let mut pieces = Vec::new();
        for (i, part) in contents.iter().enumerate() {
            match part {
                InterpolPart::Literal(content) => {
                    // The blanks and line feed right after the opening `''`
                    // are no part of the string.
                    let raw = content.syntax().text();
                    let raw = if i == 0 { skip_opening_line(raw) } else { raw };
                    lex_indented(raw, &mut |piece| pieces.push(piece));
                }
                InterpolPart::Interpolation(i) => pieces.push(Piece::Interpolation(i.clone())),
            }
        }
        strip_indentation(&pieces, &mut parts);
    } else {
        for part in s.parts() {
            match part {
                InterpolPart::Literal(content) => {
                    push_text(&mut parts, &unescape(content.syntax().text()))
                }
                InterpolPart::Interpolation(i) => parts.push(InterpolPart::Interpolation(i)),
            }
        }
    }
    parts
}

fn is_indented(s: &ast::Str) -> bool {
    s.syntax()
        .first_token()
        .is_some_and(|token| token.text() == "''")
}

/// Adds literal text to `parts`, joining it to the text before it.
fn push_text(parts: &mut Vec<InterpolPart<String>>, text: &str) {
    if text.is_empty() {
        return;
    }
    match parts.last_mut() {
        Some(InterpolPart::Literal(last)) => last.push_str(text),
        _ => parts.push(InterpolPart::Literal(text.to_owned())),
    }
}

/// The text of a double-quoted string's content: `\n`, `\r` and `\t` are
/// control characters, a backslash before any other character stands for
/// that character, and a carriage return, alone or before a line feed, is
/// a line feed (Nix's `unescapeStr`).
fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains(['\\', '\r']) {
        return Cow::Borrowed(raw);
    }
    let mut text = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => text.push(escaped_char(escaped)),
                // The lexer never ends a content token with a lone backslash.
                None => text.push('\\'),
            },
            '\r' => {
                chars.next_if_eq(&'\n');
                text.push('\n');
            }
            c => text.push(c),
        }
    }
    Cow::Owned(text)
}

/// The character `\c` stands for.
fn escaped_char(c: char) -> char {
    match c {
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        c => c,
    }
}

/// A piece of an indented string, as Nix's lexer cuts it.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    /// Plain text, which counts for the indentation.
    Text(&'a str),
    /// An escape or a lone `$` or `'`: text that ends a line's leading
    /// blanks when the indentation is measured.
    Escaped(Cow<'static, str>),
    /// `${…}`.
    Interpolation(ast::Interpol),
}

/// `raw` without the blanks and line feed right after the opening `''`.
fn skip_opening_line(raw: &str) -> &str {
    let blanks = raw.len() - raw.trim_start_matches(' ').len();
    raw[blanks..].strip_prefix('\n').unwrap_or(raw)
}

/// Cuts the content of an indented string between two interpolations into
/// the pieces Nix 2.8's lexer makes of it: runs of plain text (in which a
/// `$` or `'` pairs with the character after it unless that would begin
/// `${`, `''` or `'$`), the escapes `''$`, `'''` and `''\c`, and a `$` or
/// `'` that pairs with nothing.
fn lex_indented<'a>(raw: &'a str, emit: &mut dyn FnMut(Piece<'a>)) {
    let mut at = 0;
    while at < raw.len() {
        let rest = &raw[at..];
        if let Some(after) = rest.strip_prefix("''") {
            let (text, len): (Cow<'static, str>, usize) = match after.chars().next() {
                Some('$') => (Cow::Borrowed("$"), 3),
                Some('\'') => (Cow::Borrowed("''"), 3),
                Some('\\') => match after[1..].chars().next() {
                    Some(c) => (Cow::Owned(escaped_char(c).to_string()), 3 + c.len_utf8()),
                    None => (Cow::Borrowed(""), 3),
                },
                // The lexer ends the string at any other `''`.
                _ => (Cow::Borrowed("''"), 2),
            };
            emit(Piece::Escaped(text));
            at += len;
            continue;
        }
        let run = plain_run(rest);
        if run == 0 {
            // A `$` or `'` that pairs with nothing.
            let lone = if rest.starts_with('$') { "$" } else { "'" };
            emit(Piece::Escaped(Cow::Borrowed(lone)));
            at += 1;
        } else {
            emit(Piece::Text(&rest[..run]));
            at += run;
        }
    }
}

/// The length of the run of plain text `rest` starts with: characters
/// other than `$` and `'`, and `$` or `'` with the character after it,
/// where that is neither `{` or `'` (after `$`) nor `'` or `$` (after `'`).
fn plain_run(rest: &str) -> usize {
    let mut chars = rest.chars().peekable();
    let mut len = 0;
    while let Some(c) = chars.next() {
        let refused = match c {
            '$' => ['{', '\''],
            '\'' => ['\'', '$'],
            _ => {
                len += c.len_utf8();
                continue;
            }
        };
        match chars.next_if(|next| !refused.contains(next)) {
            Some(next) => len += c.len_utf8() + next.len_utf8(),
            None => break,
        }
    }
    len
}

/// Nix 2.8's `stripIndentation`: the smallest indentation of the lines
/// that hold anything but blanks is measured (blank lines and a last line
/// of blanks do not count; an interpolation or escape ends a line's leading
/// blanks), then that many leading blanks are dropped from every line, and
/// a last line of blanks is dropped when the string ends with plain text.
fn strip_indentation(pieces: &[Piece<'_>], parts: &mut Vec<InterpolPart<String>>) {
    let indent = smallest_indentation(pieces);
    let mut at_line_start = true;
    let mut dropped = 0;
    for (i, piece) in pieces.iter().enumerate() {
        let text = match piece {
            Piece::Interpolation(interpolation) => {
                at_line_start = false;
                dropped = 0;
                parts.push(InterpolPart::Interpolation(interpolation.clone()));
                continue;
            }
            Piece::Text(text) => text,
            Piece::Escaped(text) => text.as_ref(),
        };
        let mut stripped = String::with_capacity(text.len());
        for c in text.chars() {
            if at_line_start {
                match c {
                    ' ' => {
                        dropped += 1;
                        if dropped > indent {
                            stripped.push(c);
                        }
                        continue;
                    }
                    '\n' => dropped = 0,
                    _ => {
                        at_line_start = false;
                        dropped = 0;
                    }
                }
            } else if c == '\n' {
                at_line_start = true;
            }
            stripped.push(c);
        }
        if i + 1 == pieces.len() {
            drop_blank_last_line(&mut stripped);
        }
        push_text(parts, &stripped);
    }
}

/// The indentation [`strip_indentation`] strips.
fn smallest_indentation(pieces: &[Piece<'_>]) -> usize {
    let mut smallest = usize::MAX;
    let mut at_line_start = true;
    let mut indent = 0;
    for piece in pieces {
        let Piece::Text(text) = piece else {
            if at_line_start {
                at_line_start = false;
                smallest = smallest.min(indent);
            }
            continue;
        };
        for c in text.chars() {
            if at_line_start {
                match c {
                    ' ' => indent += 1,
                    '\n' => indent = 0,
                    _ => {
                        at_line_start = false;
                        smallest = smallest.min(indent);
                    }
                }
            } else if c == '\n' {
                at_line_start = true;
                indent = 0;
            }
        }
    }
    smallest
}

/// Drops what follows the last line feed when it is only blanks.
fn drop_blank_last_line(text: &mut String) {
    if let Some(newline) = text.rfind('\n') {
        if text[newline + 1..].bytes().all(|b| b == b' ') {
            text.truncate(newline + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(raw: &str) -> Vec<Piece<'_>> {
        let mut pieces = Vec::new();
        lex_indented(raw, &mut |piece| pieces.push(piece));
        pieces
    }

    #[test]
    fn plain_text_keeps_dollars_and_quotes_that_pair() {
        assert_eq!(pieces("a$b'c $$"), vec![Piece::Text("a$b'c $$")]);
        assert_eq!(pieces("é$é"), vec![Piece::Text("é$é")]);
    }

    #[test]
    fn escapes_and_lone_characters_are_pieces_of_their_own() {
        let escaped = |s: &'static str| Piece::Escaped(Cow::Borrowed(s));
        assert_eq!(
            pieces("a''$b'''c''\\nd"),
            vec![
                Piece::Text("a"),
                escaped("$"),
                Piece::Text("b"),
                escaped("''"),
                Piece::Text("c"),
                escaped("\n"),
                Piece::Text("d"),
            ]
        );
        assert_eq!(
            pieces("x'$"),
            vec![Piece::Text("x"), escaped("'"), escaped("$")]
        );
        assert_eq!(pieces("$'"), vec![escaped("$"), escaped("'")]);
    }

    #[test]
    fn double_quoted_escapes_and_carriage_returns() {
        assert_eq!(unescape("a\\nb\\$\\\\"), "a\nb$\\");
        assert_eq!(unescape("a\r\nb\rc"), "a\nb\nc");
        assert!(matches!(unescape("plain"), Cow::Borrowed("plain")));
    }
}
