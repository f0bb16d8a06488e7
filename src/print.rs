//! Printing values the way `nix-instantiate --eval` does.
//!
//! The output is bytes: a string's bytes are printed as they are, escaping
//! only what Nix escapes (`"`, `\`, `${`, newline, return, tab), so a
//! string that is not UTF-8 prints as Nix prints it.

use std::io::Write as _;

use bstr::BString;
use rustc_hash::FxHashSet;
use spindle_fiber::ensure_sufficient_stack;

use crate::error::Result;
use crate::value::Value;

/// Prints a value that has been forced as far as wanted. Unevaluated thunks
/// print as `<CODE>`; a non-empty set or list met a second time prints as
/// `«repeated»`.
pub fn print_value(value: &Value) -> Result<BString> {
    Printer::new("<CODE>").print(value)
}

/// Prints a value for `builtins.trace`, where newer Nix shows unevaluated
/// thunks as `«thunk»`.
pub fn print_traced(value: &Value) -> Result<BString> {
    Printer::new("«thunk»").print(value)
}

/// What makes a set or list "the same" for `«repeated»`, as C++ Nix decides
/// it: a set by its attribute array, a list of more than two elements by its
/// element array, and a shorter list (which Nix stores inside the value
/// cell) by the cell, which here is the thunk it was reached through.
#[derive(Hash, PartialEq, Eq)]
enum Identity {
    Container(usize),
    Cell(usize),
}

struct Printer {
    seen: FxHashSet<Identity>,
    unevaluated: &'static str,
    out: Vec<u8>,
}

impl Printer {
    fn new(unevaluated: &'static str) -> Printer {
        Printer {
            seen: FxHashSet::default(),
            unevaluated,
            out: Vec::new(),
        }
    }

    fn print(mut self, value: &Value) -> Result<BString> {
        self.value(value, None)?;
        Ok(self.out.into())
    }

    /// Whether this container was printed already; records it otherwise.
    fn repeated(&mut self, value: &Value, cell: Option<usize>) -> bool {
        let identity = match value {
            Value::Attrs(a) if !a.is_empty() => Identity::Container(a.addr()),
            v if v.identified_by_cell() => match cell {
                Some(c) => Identity::Cell(c),
                None => return false,
            },
            Value::List(l) if !l.is_empty() => Identity::Container(l.addr()),
            _ => return false,
        };
        !self.seen.insert(identity)
    }

    fn value(&mut self, value: &Value, cell: Option<usize>) -> Result<()> {
        if self.repeated(value, cell) {
            self.out.extend_from_slice("«repeated»".as_bytes());
            return Ok(());
        }
        match value {
            Value::Attrs(attrs) => {
                self.out.push(b'{');
                for (name, v) in attrs.sorted_entries() {
                    self.out.push(b' ');
                    print_attr_name(&mut self.out, &name);
                    self.out.extend_from_slice(b" = ");
                    ensure_sufficient_stack(|| self.value(v, None))?;
                    self.out.push(b';');
                }
                self.out.extend_from_slice(b" }");
            }
            Value::List(items) => {
                self.out.push(b'[');
                for v in items.iter() {
                    self.out.push(b' ');
                    ensure_sufficient_stack(|| self.value(v, None))?;
                }
                self.out.extend_from_slice(b" ]");
            }
            Value::Thunk(t) => match t.value() {
                Some(v) => self.value(&v, Some(t.addr()))?,
                None => self.out.extend_from_slice(self.unevaluated.as_bytes()),
            },
            scalar => print_scalar(&mut self.out, scalar),
        }
        Ok(())
    }
}

/// A one-level rendering for debugging output; never recurses deeply.
/// Bytes that are not UTF-8 show as U+FFFD.
pub fn print_shallow(value: &Value) -> String {
    match value {
        Value::Attrs(a) => format!("{{ … {} attributes … }}", a.len()),
        Value::List(l) => format!("[ … {} elements … ]", l.len()),
        Value::Thunk(t) => match t.value() {
            Some(v) if !matches!(v, Value::Attrs(_) | Value::List(_)) => print_shallow(&v),
            _ => "<CODE>".to_string(),
        },
        other => {
            let mut out = Vec::new();
            print_scalar(&mut out, other);
            String::from_utf8_lossy(&out).into_owned()
        }
    }
}

fn print_scalar(out: &mut Vec<u8>, value: &Value) {
    let text: &str = match value {
        Value::Null => "null",
        Value::Bool(b) => {
            if *b {
                "true"
            } else {
                "false"
            }
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
            return;
        }
        Value::Float(f) => return out.extend_from_slice(format_float(*f).as_bytes()),
        Value::String(s) => return escape_string_into(out, s.as_bytes()),
        Value::Path(p) => return out.extend_from_slice(p.as_bytes()),
        Value::Closure(_) => "<LAMBDA>",
        Value::Builtin(_) => "<PRIMOP>",
        Value::PrimApp(app) if app.args().is_empty() => "<PRIMOP>",
        Value::PrimApp(_) => "<PRIMOP-APP>",
        Value::Attrs(_) | Value::List(_) | Value::Thunk(_) => "<CODE>",
    };
    out.extend_from_slice(text.as_bytes());
}

/// Writes `s` as a Nix string literal. Only what Nix escapes is escaped:
/// other control characters and bytes that are not UTF-8 are written as
/// they are.
pub fn escape_string_into(out: &mut Vec<u8>, s: &[u8]) {
    write_quoted(out, s, |out, s, i| {
        let interpolation = s[i] == b'$' && s.get(i + 1) == Some(&b'{');
        if interpolation {
            out.extend_from_slice(b"\\$");
        }
        interpolation
    })
}

/// Writes `s` quoted, with the escapes the string syntaxes of Nix, JSON and
/// a derivation's ATerm text share: a backslash before a quote or a
/// backslash, and `\n`, `\r`, `\t`. `more` may escape any other byte
/// (it gets the text and the byte's index, writes the escape and says
/// whether it did); every byte left is written as it is, UTF-8 or not.
pub(crate) fn write_quoted(
    out: &mut Vec<u8>,
    s: &[u8],
    mut more: impl FnMut(&mut Vec<u8>, &[u8], usize) -> bool,
) {
    out.push(b'"');
    for (i, &b) in s.iter().enumerate() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ if more(out, s, i) => {}
            b => out.push(b),
        }
    }
    out.push(b'"');
}

/// `s` as a Nix string literal.
pub fn escape_string(s: &[u8]) -> BString {
    let mut out = Vec::with_capacity(s.len() + 2);
    escape_string_into(&mut out, s);
    out.into()
}

/// Writes an attribute name as Nix shows it: bare when it can be, else quoted.
pub(crate) fn print_attr_name(out: &mut Vec<u8>, name: &[u8]) {
    if is_plain_identifier(name) {
        out.extend_from_slice(name);
    } else {
        escape_string_into(out, name);
    }
}

/// Whether `name` can be written as a bare attribute name.
pub fn is_plain_identifier(name: &[u8]) -> bool {
    const KEYWORDS: [&[u8]; 9] = [
        b"if", b"then", b"else", b"assert", b"with", b"let", b"in", b"rec", b"inherit",
    ];
    match name.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return false,
    }
    name[1..]
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'\'' | b'-'))
        && !KEYWORDS.contains(&name)
}

/// A float as C++'s default stream formatting prints it (`%g`, six
/// significant digits), which is what Nix shows.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{f:.5e}");
    let (mantissa, exponent) = sci
        .split_once('e')
        .expect("scientific format has an exponent");
    let exponent: i32 = exponent.parse().expect("exponent is an integer");
    if !(-4..6).contains(&exponent) {
        let mantissa = strip_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        let decimals = (5 - exponent).max(0) as usize;
        strip_zeros(&format!("{f:.decimals$}")).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// A float as `toString` prints it (`%f`).
pub fn format_float_to_string(f: f64) -> String {
    format!("{f:.6}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::approx_constant)] // 3.14159265 is a test input, not π
    fn floats_print_like_cpp_streams() {
        let cases = [
            (1000000.0, "1e+06"),
            (0.00001, "1e-05"),
            (123456789.0, "1.23457e+08"),
            (0.1, "0.1"),
            (100000.0, "100000"),
            (1.0e21, "1e+21"),
            (1.23456789, "1.23457"),
            (1.5e-7, "1.5e-07"),
            (1.0 / 3.0, "0.333333"),
            (2.5e300, "2.5e+300"),
            (1.0, "1"),
            (0.0001, "0.0001"),
            (999999.5, "1e+06"),
        ];
        for (f, expected) in cases {
            assert_eq!(format_float(f), expected, "{f}");
        }
    }

    #[test]
    fn identifiers_and_quoting() {
        assert!(is_plain_identifier(b"a-b'"));
        assert!(!is_plain_identifier(b"if"));
        assert!(!is_plain_identifier(b"1a"));
        assert!(!is_plain_identifier(b""));
        assert!(!is_plain_identifier(b"\xc3"));
        assert_eq!(escape_string(b"a\"${b}\n"), "\"a\\\"\\${b}\\n\"");
        // Control characters and bytes that are not UTF-8 stay as they are.
        assert_eq!(escape_string(b"\x01\xff$"), b"\"\x01\xff$\"".as_slice());
    }
}
