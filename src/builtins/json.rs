//! JSON: `builtins.toJSON`, `builtins.fromJSON` and the `--json` output.
//!
//! Serialising follows Nix 2.8: strings are escaped only as far as JSON
//! requires, floats print like C++ streams (`%g`), set attributes are sorted
//! by name, and a set with `__toString` or `outPath` stands for that string
//! or value. Parsing streams serde_json's events straight into Nix values;
//! every nesting level goes through the fiber stack check, so neither
//! direction has a depth limit beyond the stack budget.

use std::cell::Cell;
use std::fmt::{self, Write as _};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use spindle_fiber::ensure_sufficient_stack;

use crate::error::{Error, Result};
use crate::print::format_float;
use crate::symbol::{known, Symbol};
use crate::value::{Attrs, Builtin, Context, List, NixString, Value};
use crate::vm::{CoercionKind, Vm};

pub(super) static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "toJSON",
        arity: 1,
        func: to_json,
    },
    Builtin {
        name: "fromJSON",
        arity: 1,
        func: from_json,
    },
];

fn to_json(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let mut writer = JsonWriter::default();
    writer.value(vm, &args[0])?;
    Ok(Value::String(NixString::with_context(
        writer.out,
        writer.context,
    )))
}

/// Serialises a value as JSON text (`--json`). Paths are copied to the
/// store, as `builtins.toJSON` does; the string context is dropped.
pub fn to_json_string(vm: &mut Vm, value: &Value) -> Result<String> {
    let mut writer = JsonWriter::default();
    writer.value(vm, value)?;
    Ok(writer.out)
}

/// Builds JSON text and collects the context of every string that went in.
#[derive(Default)]
struct JsonWriter {
    out: String,
    context: Context,
}

impl JsonWriter {
    fn value(&mut self, vm: &mut Vm, value: &Value) -> Result<()> {
        match vm.force_ref(value)? {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Float(f) => self.out.push_str(&format_float(f)),
            Value::String(s) => self.string(&s),
            Value::Path(p) => {
                let stored = vm.copy_path_to_store(p.as_str())?;
                self.string(&stored);
            }
            Value::List(items) => self.list(vm, &items)?,
            whole @ Value::Attrs(_) => self.attrs(vm, whole)?,
            Value::Closure(closure) => {
                return Err(Error::other("cannot convert a function to JSON")
                    .with_span(closure.code().span))
            }
            Value::Builtin(builtin) => {
                return Err(Error::other(format!(
                    "cannot convert the built-in function '{}' to JSON",
                    builtin.name
                )))
            }
            Value::PrimApp(app) => {
                return Err(Error::other(format!(
                    "cannot convert the partially applied built-in function '{}' to JSON",
                    app.builtin().name
                )))
            }
            Value::Thunk(_) => return Err(Error::other("cannot convert a thunk to JSON")),
        }
        Ok(())
    }

    fn string(&mut self, s: &NixString) {
        if let Some(ctx) = s.context() {
            self.context.extend(ctx.iter().cloned());
        }
        write_json_string(&mut self.out, s.as_str());
    }

    fn list(&mut self, vm: &mut Vm, items: &List) -> Result<()> {
        self.out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            ensure_sufficient_stack(|| self.value(vm, item))?;
        }
        self.out.push(']');
        Ok(())
    }

    /// A set is an object, unless it knows how to be a string
    /// (`__toString`, whose result is coerced without copying paths) or
    /// stands for its `outPath` (which is serialised whatever it is).
    fn attrs(&mut self, vm: &mut Vm, whole: Value) -> Result<()> {
        let Value::Attrs(attrs) = &whole else {
            unreachable!("JsonWriter::attrs is called with sets")
        };
        if attrs.contains(known::to_string()) {
            let s = vm.coerce_to_string(whole.clone(), CoercionKind::PathInterpolation)?;
            self.string(&s);
            return Ok(());
        }
        if let Some(out_path) = attrs.get(known::out_path()) {
            return ensure_sufficient_stack(|| self.value(vm, out_path));
        }
        self.out.push('{');
        for (i, (name, item)) in attrs.sorted_entries().into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            write_json_string(&mut self.out, &name);
            self.out.push(':');
            ensure_sufficient_stack(|| self.value(vm, item))?;
        }
        self.out.push('}');
        Ok(())
    }
}

/// Writes `s` as a JSON string literal. Like Nix, only what JSON requires
/// is escaped: quotes, backslashes and control characters (with the usual
/// short forms for newline, carriage return and tab); everything else,
/// including non-ASCII text, is written as it is.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---- fromJSON ----------------------------------------------------------------

fn from_json(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let text = string_without_context(vm, args[0].clone())?;
    parse_json(text.as_str())
}

/// Forces a string that must not refer to store paths: text handed to a
/// parser cannot carry its context into the values it produces.
pub(super) fn string_without_context(vm: &mut Vm, value: Value) -> Result<NixString> {
    let s = vm.force_string(value)?;
    match s.context().and_then(|ctx| ctx.iter().next()) {
        Some(elem) => Err(Error::other(format!(
            "the string '{}' is not allowed to refer to a store path (such as '{}')",
            s.as_str(),
            elem.path()
        ))),
        None => Ok(s),
    }
}

/// Parses JSON text into a Nix value: integers that fit become ints, other
/// numbers floats; objects become sets (a repeated key keeps its last value).
pub fn parse_json(text: &str) -> Result<Value> {
    let failure = Cell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    // The depth limit guards serde_json's own recursion; here every level
    // passes through `ensure_sufficient_stack`, which bounds it instead.
    de.disable_recursion_limit();
    let parsed = JsonSeed { failure: &failure }
        .deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value));
    parsed.map_err(|e| failure.take().unwrap_or_else(|| syntax_error(&e)))
}

fn syntax_error(e: &serde_json::Error) -> Error {
    Error::other(format!("while parsing JSON: {e}"))
}

/// A Nix string cannot hold NUL bytes that came from elsewhere; the message
/// shows them as U+2400, as Nix does.
pub(super) fn check_no_nul(s: &str) -> Result<()> {
    if !s.contains('\0') {
        return Ok(());
    }
    Err(Error::other(format!(
        "input string '{}' cannot be represented as Nix string because it contains null bytes",
        s.replace('\0', "\u{2400}")
    )))
}

/// Builds one JSON value. Errors of our own (NUL bytes, numbers out of
/// range, the stack budget) are kept in `failure`, since serde's error type
/// can only carry a message.
#[derive(Clone, Copy)]
struct JsonSeed<'a> {
    failure: &'a Cell<Option<Error>>,
}

impl JsonSeed<'_> {
    fn fail<E: de::Error>(self, error: Error) -> E {
        let message = error.to_string();
        self.failure.set(Some(error));
        E::custom(message)
    }

    fn check<T, E: de::Error>(self, result: Result<T>) -> Result<T, E> {
        result.map_err(|e| self.fail(e))
    }
}

impl<'de> DeserializeSeed<'de> for JsonSeed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        match spindle_fiber::grow(|| deserializer.deserialize_any(self)) {
            Ok(result) => result,
            Err(exhausted) => Err(self.fail(exhausted.into())),
        }
    }
}

impl<'de> Visitor<'de> for JsonSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        let int = i64::try_from(u).map_err(|_| {
            Error::other(format!(
                "unsigned json number {u} outside of Nix integer range"
            ))
        });
        self.check(int).map(Value::Int)
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        self.check(check_no_nul(s))?;
        Ok(Value::string(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::list(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            self.check(check_no_nul(&key))?;
            let value = map.next_value_seed(self)?;
            entries.push((Symbol::intern(&key), value));
        }
        Ok(Value::Attrs(Attrs::from_unsorted(entries)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: &Value) -> String {
        let mut out = String::new();
        crate::print::print_value(value)
            .map(|s| out.push_str(&s))
            .unwrap();
        out
    }

    #[test]
    fn strings_escape_what_json_requires() {
        let mut out = String::new();
        write_json_string(&mut out, "a\"\\\n\r\t\u{1}\u{1f}\u{7f}é/");
        assert_eq!(out, "\"a\\\"\\\\\\n\\r\\t\\u0001\\u001f\u{7f}é/\"");
    }

    #[test]
    fn numbers_parse_as_nix_does() {
        let v = parse_json("[1, -5, 1.0, 1e2, 9223372036854775807, -9223372036854775809]").unwrap();
        assert_eq!(json(&v), "[ 1 -5 1 100 9223372036854775807 -9.22337e+18 ]");
        let err = parse_json("18446744073709551615").unwrap_err();
        assert!(err.to_string().contains("outside of Nix integer range"));
    }

    #[test]
    fn escaped_surrogate_pairs_decode() {
        let v = parse_json(r#""\ud83d\ude00 \u00e9""#).unwrap();
        assert_eq!(json(&v), "\"😀 é\"");
        assert!(parse_json(r#""\ud800""#).is_err());
    }

    #[test]
    fn later_duplicate_keys_win() {
        let v = parse_json(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(json(&v), "{ a = 3; b = 2; }");
    }

    #[test]
    fn nul_bytes_are_rejected() {
        let err = parse_json(r#"{"a\u0000b": 1}"#).unwrap_err();
        assert!(err.to_string().contains("'a\u{2400}b'"), "{err}");
        assert!(parse_json(r#"["\u0000"]"#).is_err());
    }

    #[test]
    fn trailing_input_is_rejected() {
        assert!(parse_json("1 2").is_err());
        assert!(parse_json("").is_err());
        assert!(parse_json("[1,]").is_err());
        assert_eq!(json(&parse_json(" true ").unwrap()), "true");
    }
}
