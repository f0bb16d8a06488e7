//! A JSON parser that builds Nix values directly.
//!
//! It keeps the open arrays and objects on a heap stack rather than
//! recursing, so nesting depth costs memory, never native stack. Numbers
//! follow Nix: a literal without fraction or exponent is an integer when it
//! fits (`-0` included), a negative one too small for that or a positive
//! one beyond the unsigned 64-bit range is a float, and one in between is
//! an error; every other number is a float.

use crate::error::{Error, Result};
use crate::symbol::Symbol;
use crate::value::{Attrs, Value};

/// Parses JSON text into a Nix value. Objects become sets (a repeated key
/// keeps its last value). JSON is UTF-8: like Nix, bytes that are not are
/// an error.
pub fn parse_json(text: &[u8]) -> Result<Value> {
    let text = std::str::from_utf8(text).map_err(|e| {
        syntax_error(
            text,
            e.valid_up_to(),
            "invalid string: ill-formed UTF-8 byte",
        )
    })?;
    Parser { text, pos: 0 }.document()
}

/// A NUL byte cannot come into a Nix string from outside; the message
/// shows it as U+2400, as Nix does.
pub(super) fn check_no_nul(s: &str) -> Result<()> {
    if !s.contains('\0') {
        return Ok(());
    }
    Err(Error::other(format!(
        "input string '{}' cannot be represented as Nix string because it contains null bytes",
        s.replace('\0', "\u{2400}")
    )))
}

/// An array or object whose elements are still being read.
enum Open {
    Array(Vec<Value>),
    /// The entries so far and the key whose value is being read.
    Object(Vec<(Symbol, Value)>, Symbol),
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn document(mut self) -> Result<Value> {
        let mut open: Vec<Open> = Vec::new();
        'value: loop {
            self.skip_whitespace();
            let mut value = match self.peek() {
                Some(b'[') => {
                    self.pos += 1;
                    self.skip_whitespace();
                    if !self.eat(b']') {
                        open.push(Open::Array(Vec::new()));
                        continue 'value;
                    }
                    Value::list(Vec::new())
                }
                Some(b'{') => {
                    self.pos += 1;
                    self.skip_whitespace();
                    if !self.eat(b'}') {
                        let key = self.key()?;
                        open.push(Open::Object(Vec::new(), key));
                        continue 'value;
                    }
                    Value::Attrs(Attrs::empty())
                }
                _ => self.scalar()?,
            };
            // Hand the finished value to the innermost open container, and
            // close every container that ends right after it.
            loop {
                self.skip_whitespace();
                match open.last_mut() {
                    None if self.pos == self.text.len() => return Ok(value),
                    None => return Err(self.error("unexpected text after the value")),
                    Some(Open::Array(items)) => {
                        items.push(value);
                        match self.next_byte() {
                            Some(b',') => continue 'value,
                            Some(b']') => {}
                            _ => return Err(self.error_before("expected ',' or ']'")),
                        }
                    }
                    Some(Open::Object(entries, key)) => {
                        entries.push((*key, value));
                        match self.next_byte() {
                            Some(b',') => {
                                self.skip_whitespace();
                                *key = self.key()?;
                                continue 'value;
                            }
                            Some(b'}') => {}
                            _ => return Err(self.error_before("expected ',' or '}'")),
                        }
                    }
                }
                value = match open.pop() {
                    Some(Open::Array(items)) => Value::list(items),
                    Some(Open::Object(entries, _)) => Value::Attrs(Attrs::from_unsorted(entries)),
                    None => unreachable!("a container was just closed"),
                };
            }
        }
    }

    /// An object key and the colon after it.
    fn key(&mut self) -> Result<Symbol> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string as object key"));
        }
        let key = self.string()?;
        self.skip_whitespace();
        if !self.eat(b':') {
            return Err(self.error("expected ':' after object key"));
        }
        Ok(Symbol::intern(&key))
    }

    fn scalar(&mut self) -> Result<Value> {
        match self.peek() {
            Some(b'"') => Ok(Value::string(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of input; expected a value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("invalid literal"))
        }
    }

    // ---- strings -------------------------------------------------------------

    /// A string literal, starting at its opening quote.
    fn string(&mut self) -> Result<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.next_byte() {
                Some(b'"') => break,
                Some(b'\\') => out.push(self.escape()?),
                Some(_) => return Err(self.error_before("control character in string")),
                None => return Err(self.error("unexpected end of input in string")),
            }
        }
        check_no_nul(&out)?;
        Ok(out)
    }

    /// The character an escape sequence stands for (after its backslash).
    fn escape(&mut self) -> Result<char> {
        let c = match self.next_byte() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode_escape(),
            _ => return Err(self.error_before("invalid escape sequence")),
        };
        Ok(c)
    }

    /// `\uXXXX`, or a surrogate pair of two of them.
    fn unicode_escape(&mut self) -> Result<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.text[self.pos..].starts_with("\\u") {
                    return Err(self.error("a high surrogate must be followed by a low one"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("a high surrogate must be followed by a low one"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => {
                return Err(self.error("a low surrogate must follow a high one"));
            }
            _ => first,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid code point"))
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("expected four hexadecimal digits after '\\u'"))?;
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid '\\u' escape"))
    }

    // ---- numbers -------------------------------------------------------------

    fn number(&mut self) -> Result<Value> {
        let start = self.pos;
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("expected a digit")),
        }
        let mut integral = true;
        if self.eat(b'.') {
            integral = false;
            if !self.digits_at_least_one() {
                return Err(self.error("expected a digit after '.'"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integral = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.digits_at_least_one() {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        let literal = &self.text[start..self.pos];
        if integral {
            integer(literal)
        } else {
            float(literal)
        }
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn digits_at_least_one(&mut self) -> bool {
        let start = self.pos;
        self.digits();
        self.pos > start
    }

    // ---- bytes and errors ----------------------------------------------------

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn next_byte(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn eat(&mut self, b: u8) -> bool {
        let found = self.peek() == Some(b);
        if found {
            self.pos += 1;
        }
        found
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// A syntax error at the current position.
    fn error(&self, what: &str) -> Error {
        syntax_error(self.text.as_bytes(), self.pos, what)
    }

    /// A syntax error at the byte just consumed.
    fn error_before(&self, what: &str) -> Error {
        syntax_error(self.text.as_bytes(), self.pos.saturating_sub(1), what)
    }
}

/// An integer literal: an int if it fits; a float if it is negative or
/// beyond 64 unsigned bits (as Nix's JSON library reads those); an error
/// in between, where Nix would once wrap around.
fn integer(literal: &str) -> Result<Value> {
    if let Ok(i) = literal.parse::<i64>() {
        return Ok(Value::Int(i));
    }
    if !literal.starts_with('-') && literal.parse::<u64>().is_ok() {
        return Err(Error::other(format!(
            "unsigned json number {literal} outside of Nix integer range"
        )));
    }
    float(literal)
}

fn float(literal: &str) -> Result<Value> {
    match literal.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(Value::Float(f)),
        _ => Err(Error::other(format!(
            "JSON number {literal} is out of the range of a float"
        ))),
    }
}

fn syntax_error(text: &[u8], pos: usize, what: &str) -> Error {
    let before = &text[..pos.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = pos - line_start + 1;
    Error::other(format!(
        "JSON syntax error at line {line}, column {column}: {what}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> bstr::BString {
        crate::print::print_value(&parse_json(text.as_bytes()).unwrap()).unwrap()
    }

    fn error(text: &str) -> String {
        parse_json(text.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn text_that_is_not_utf8_is_an_error_at_its_position() {
        assert_eq!(
            parse_json(b"\"ab\xff\"").unwrap_err().to_string(),
            "JSON syntax error at line 1, column 4: invalid string: ill-formed UTF-8 byte"
        );
    }

    #[test]
    fn numbers_follow_nix() {
        assert_eq!(
            show("[0, -0, 1, -5, 1.0, -0.0, 1e2, 2E-2, 9223372036854775807, -9223372036854775808]"),
            "[ 0 0 1 -5 1 -0 100 0.02 9223372036854775807 -9223372036854775808 ]"
        );
        assert_eq!(
            show("[-9223372036854775809, 18446744073709551616]"),
            "[ -9.22337e+18 1.84467e+19 ]"
        );
        assert!(error("18446744073709551615").contains("outside of Nix integer range"));
        assert!(error("1e400").contains("out of the range"));
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "0x10"] {
            assert!(parse_json(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            show(r#""\" \\ \/ \n \r \t \u00e9 \ud83d\ude00 é""#),
            r#""\" \\ / \n \r \t é 😀 é""#
        );
        assert_eq!(show(r#""\b\f""#), "\"\u{8}\u{c}\"");
        assert!(error(r#""\ud800""#).contains("high surrogate"));
        assert!(error(r#""\udc00""#).contains("low surrogate"));
        assert!(error(r#""\x""#).contains("invalid escape"));
        assert!(error("\"a\nb\"").contains("control character"));
        assert!(error(r#""abc"#).contains("end of input"));
    }

    #[test]
    fn containers_and_duplicates() {
        assert_eq!(
            show(r#" { "b" : [ 1 , { } , [ ] ] , "a" : 1, "a": 2 } "#),
            "{ a = 2; b = [ 1 { } [ ] ]; }"
        );
        assert_eq!(show("[[[[]]]]"), "[ [ [ [ ] ] ] ]");
        for bad in [
            "[1,]",
            "{\"a\":1,}",
            "[1 2]",
            "{\"a\" 1}",
            "{1: 2}",
            "[",
            "{",
            "]",
        ] {
            assert!(parse_json(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn whole_input_is_one_value() {
        assert!(error("").contains("end of input"));
        assert!(error("1 2").contains("after the value"));
        assert_eq!(show(" \n\ttrue\r\n"), "true");
        assert!(error("nul").contains("invalid literal"));
    }

    #[test]
    fn errors_have_positions() {
        assert_eq!(
            error("[1,\n  ]"),
            "JSON syntax error at line 2, column 3: expected a value"
        );
    }

    #[test]
    fn nul_bytes_are_rejected() {
        assert!(error(r#"{"a\u0000b": 1}"#).contains("'a\u{2400}b'"));
        assert!(error(r#"["\u0000"]"#).contains("null bytes"));
    }

    #[test]
    fn deep_nesting_needs_no_native_stack() {
        let depth = 1_000_000;
        let text = "[".repeat(depth) + &"]".repeat(depth);
        let mut value = parse_json(text.as_bytes()).unwrap();
        for _ in 0..depth - 1 {
            let Value::List(items) = &value else {
                panic!("expected a list")
            };
            let inner = items.get(0).cloned().unwrap();
            value = inner;
        }
        assert!(matches!(value, Value::List(l) if l.is_empty()));
    }

    #[test]
    fn mangled_input_never_panics() {
        let seed = r#"{"a": [1, -2.5e3, "x\u00e9\ud83d\ude00", true, null, {"b": []}], "é": "\n"}"#;
        let pieces = [
            "\"", "\\", "[", "]", "{", "}", ",", ":", "-", "e", ".", "0", "\\u", "é", " ",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as usize
        };
        for _ in 0..20_000 {
            let mut text: Vec<char> = seed.chars().collect();
            for _ in 0..1 + next() % 4 {
                let at = next() % (text.len() + 1);
                match next() % 3 {
                    0 if at < text.len() => {
                        text.remove(at);
                    }
                    _ => {
                        let piece = pieces[next() % pieces.len()];
                        for (i, c) in piece.chars().enumerate() {
                            text.insert(at + i, c);
                        }
                    }
                }
            }
            let text: String = text.into_iter().collect();
            let _ = parse_json(text.as_bytes());
        }
    }
}
