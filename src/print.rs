//! Printing values the way `nix-instantiate --eval` does.

use std::fmt::Write as _;

use rustc_hash::FxHashSet;
use spindle_fiber::ensure_sufficient_stack;

use crate::error::Result;
use crate::value::Value;

/// Prints a value that has been forced as far as wanted. Unevaluated thunks
/// print as `<CODE>`; a non-empty set or list met a second time prints as
/// `«repeated»`.
pub fn print_value(value: &Value) -> Result<String> {
    Printer::new("<CODE>").print(value)
}

/// Prints a value for `builtins.trace`, where newer Nix shows unevaluated
/// thunks as `«thunk»`.
pub fn print_traced(value: &Value) -> Result<String> {
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
    out: String,
}

impl Printer {
    fn new(unevaluated: &'static str) -> Printer {
        Printer {
            seen: FxHashSet::default(),
            unevaluated,
            out: String::new(),
        }
    }

    fn print(mut self, value: &Value) -> Result<String> {
        self.value(value, None)?;
        Ok(self.out)
    }

    /// Whether this container was printed already; records it otherwise.
    fn repeated(&mut self, value: &Value, cell: Option<usize>) -> bool {
        let identity = match value {
            Value::Attrs(a) if !a.is_empty() => Identity::Container(a.addr()),
            Value::List(l) if l.len() > 2 => Identity::Container(l.addr()),
            Value::List(l) if !l.is_empty() => match cell {
                Some(c) => Identity::Cell(c),
                None => return false,
            },
            _ => return false,
        };
        !self.seen.insert(identity)
    }

    fn value(&mut self, value: &Value, cell: Option<usize>) -> Result<()> {
        if self.repeated(value, cell) {
            self.out.push_str("«repeated»");
            return Ok(());
        }
        match value {
            Value::Attrs(attrs) => {
                self.out.push('{');
                for (name, v) in attrs.sorted_entries() {
                    self.out.push(' ');
                    print_attr_name(&mut self.out, &name);
                    self.out.push_str(" = ");
                    ensure_sufficient_stack(|| self.value(v, None))?;
                    self.out.push(';');
                }
                self.out.push_str(" }");
            }
            Value::List(items) => {
                self.out.push('[');
                for v in items.iter() {
                    self.out.push(' ');
                    ensure_sufficient_stack(|| self.value(v, None))?;
                }
                self.out.push_str(" ]");
            }
            Value::Thunk(t) => match t.value() {
                Some(v) => self.value(&v, Some(t.addr()))?,
                None => self.out.push_str(self.unevaluated),
            },
            scalar => print_scalar(&mut self.out, scalar),
        }
        Ok(())
    }
}

/// A one-level rendering for debugging output; never recurses deeply.
pub fn print_shallow(value: &Value) -> String {
    match value {
        Value::Attrs(a) => format!("{{ … {} attributes … }}", a.len()),
        Value::List(l) => format!("[ … {} elements … ]", l.len()),
        Value::Thunk(t) => match t.value() {
            Some(v) if !matches!(v, Value::Attrs(_) | Value::List(_)) => print_shallow(&v),
            _ => "<CODE>".to_string(),
        },
        other => {
            let mut out = String::new();
            print_scalar(&mut out, other);
            out
        }
    }
}

fn print_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float(*f)),
        Value::String(s) => escape_string_into(out, s.as_str()),
        Value::Path(p) => out.push_str(p.as_str()),
        Value::Closure(_) => out.push_str("<LAMBDA>"),
        Value::Builtin(_) => out.push_str("<PRIMOP>"),
        Value::PrimApp(app) if app.args().is_empty() => out.push_str("<PRIMOP>"),
        Value::PrimApp(_) => out.push_str("<PRIMOP-APP>"),
        Value::Attrs(_) | Value::List(_) | Value::Thunk(_) => out.push_str("<CODE>"),
    }
}

/// Writes `s` as a Nix string literal.
pub fn escape_string_into(out: &mut String, s: &str) {
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a Nix string literal.
pub fn escape_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    escape_string_into(&mut out, s);
    out
}

/// Writes an attribute name as Nix shows it: bare when it can be, else quoted.
pub(crate) fn print_attr_name(out: &mut String, name: &str) {
    if is_plain_identifier(name) {
        out.push_str(name);
    } else {
        escape_string_into(out, name);
    }
}

/// Whether `name` can be written as a bare attribute name.
pub fn is_plain_identifier(name: &str) -> bool {
    const KEYWORDS: [&str; 9] = [
        "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit",
    ];
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
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
        assert!(is_plain_identifier("a-b'"));
        assert!(!is_plain_identifier("if"));
        assert!(!is_plain_identifier("1a"));
        assert!(!is_plain_identifier(""));
        assert_eq!(escape_string("a\"${b}\n"), "\"a\\\"\\${b}\\n\"");
    }
}
