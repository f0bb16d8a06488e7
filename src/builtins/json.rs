//! JSON: `builtins.toJSON`, `builtins.fromJSON` and the `--json` output.
//!
//! Serialising follows Nix 2.8: strings are escaped only as far as JSON
//! requires, floats print like C++ streams (`%g`), set attributes are sorted
//! by name, and a set with `__toString` or `outPath` stands for that string
//! or value. Neither writing nor parsing (in `json_parser`) recurses over
//! the data, so nesting depth costs heap memory only.

use std::io::Write as _;
use std::rc::Rc;

use bstr::BString;

use super::context::force_string_no_context;
use super::json_parser::parse_json;

use crate::engine::{CoercionKind, Engine};
use crate::error::{Error, Result};
use crate::print::format_float;
use crate::symbol::known;
use crate::value::{Builtin, Context, List, NixString, Value};

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("toJSON" / 1 => Plain(to_json), generator DeepFirst),
    builtin!("fromJSON" / 1 => Plain(from_json), forces 0),
];

fn to_json<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let mut writer = JsonWriter::default();
    writer.value(vm, &args[0])?;
    Ok(Value::String(NixString::with_context(
        writer.out,
        writer.context,
    )))
}

/// Serialises a value as JSON text (`--json`). Paths are copied to the
/// store, as `builtins.toJSON` does; the string context is dropped. The
/// text is bytes: strings that are not UTF-8 are written as they are, as
/// Nix writes them.
pub fn to_json_string<E: Engine + ?Sized>(vm: &mut E, value: &Value) -> Result<BString> {
    let mut writer = JsonWriter::default();
    writer.value(vm, value)?;
    Ok(writer.out.into())
}

/// Builds JSON text and collects the context of every string that went in.
///
/// The arrays and objects being written are kept on a heap stack, so deep
/// data costs no native stack; only forcing an element may recurse (into
/// evaluation, which checks its own depth).
#[derive(Default)]
struct JsonWriter {
    out: Vec<u8>,
    context: Context,
}

/// An array or object whose elements are being written.
enum Open {
    List {
        items: List,
        next: usize,
    },
    Object {
        entries: std::vec::IntoIter<(Rc<[u8]>, Value)>,
        first: bool,
    },
}

/// What writing one value left to do.
enum JsonNext {
    /// The value is written completely.
    Done,
    /// An array or object was begun; its elements come next.
    Open(Open),
    /// The value stands for another one (a set's `outPath`).
    Replace(Value),
}

impl JsonWriter {
    fn value<E: Engine + ?Sized>(&mut self, vm: &mut E, root: &Value) -> Result<()> {
        let mut open: Vec<Open> = Vec::new();
        let mut next = Some(root.clone());
        loop {
            if let Some(value) = next.take() {
                match self.begin(vm, value)? {
                    JsonNext::Done => {}
                    JsonNext::Open(container) => open.push(container),
                    JsonNext::Replace(value) => {
                        next = Some(value);
                        continue;
                    }
                }
            }
            let Some(innermost) = open.last_mut() else {
                return Ok(());
            };
            next = self.next_element(innermost);
            if next.is_none() {
                open.pop();
            }
        }
    }

    /// Writes the separator and key before the next element of a container
    /// and returns that element, or closes the container.
    fn next_element(&mut self, container: &mut Open) -> Option<Value> {
        match container {
            Open::List { items, next } => match items.get(*next) {
                Some(item) => {
                    if *next > 0 {
                        self.out.push(b',');
                    }
                    *next += 1;
                    Some(item.clone())
                }
                None => {
                    self.out.push(b']');
                    None
                }
            },
            Open::Object { entries, first } => match entries.next() {
                Some((name, item)) => {
                    if !std::mem::take(first) {
                        self.out.push(b',');
                    }
                    write_json_string(&mut self.out, &name);
                    self.out.push(b':');
                    Some(item)
                }
                None => {
                    self.out.push(b'}');
                    None
                }
            },
        }
    }

    /// Writes a scalar, or the start of an array or object.
    fn begin<E: Engine + ?Sized>(&mut self, vm: &mut E, value: Value) -> Result<JsonNext> {
        match vm.force(value)? {
            Value::Null => self.out.extend_from_slice(b"null"),
            Value::Bool(b) => self
                .out
                .extend_from_slice(if b { b"true" } else { b"false" }),
            Value::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Float(f) => self.out.extend_from_slice(format_float(f).as_bytes()),
            Value::String(s) => self.string(&s),
            Value::Path(p) => {
                let stored = vm.copy_path_to_store(p.utf8()?)?;
                self.string(&stored);
            }
            Value::List(items) => {
                self.out.push(b'[');
                return Ok(JsonNext::Open(Open::List { items, next: 0 }));
            }
            whole @ Value::Attrs(_) => return self.attrs(vm, whole),
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
                    app.name()
                )))
            }
            Value::Thunk(_) => return Err(Error::other("cannot convert a thunk to JSON")),
        }
        Ok(JsonNext::Done)
    }

    fn string(&mut self, s: &NixString) {
        if let Some(ctx) = s.context() {
            self.context.extend(ctx.iter().cloned());
        }
        write_json_string(&mut self.out, s.as_bytes());
    }

    /// A set is an object, unless it knows how to be a string
    /// (`__toString`, whose result is coerced without copying paths) or
    /// stands for its `outPath` (which is serialised whatever it is).
    fn attrs<E: Engine + ?Sized>(&mut self, vm: &mut E, whole: Value) -> Result<JsonNext> {
        let Value::Attrs(attrs) = &whole else {
            unreachable!("JsonWriter::attrs is called with sets")
        };
        if attrs.contains(known::to_string()) {
            let s = vm.coerce_to_string(whole.clone(), CoercionKind::PathInterpolation)?;
            self.string(&s);
            return Ok(JsonNext::Done);
        }
        if let Some(out_path) = attrs.get(known::out_path()) {
            return Ok(JsonNext::Replace(out_path.clone()));
        }
        let entries: Vec<(Rc<[u8]>, Value)> = attrs
            .sorted_entries()
            .into_iter()
            .map(|(name, item)| (name, item.clone()))
            .collect();
        self.out.push(b'{');
        Ok(JsonNext::Open(Open::Object {
            entries: entries.into_iter(),
            first: true,
        }))
    }
}

/// Writes `s` as a JSON string literal. Like Nix, only what JSON requires
/// is escaped: quotes, backslashes and control characters (with the usual
/// short forms for newline, carriage return and tab); every other byte,
/// non-ASCII text and bytes that are not UTF-8 alike, is written as it is.
pub(super) fn write_json_string(out: &mut Vec<u8>, s: &[u8]) {
    crate::print::write_quoted(out, s, |out, s, i| {
        let control = s[i] < 0x20;
        if control {
            let _ = write!(out, "\\u{:04x}", s[i]);
        }
        control
    })
}

/// [`write_json_string`] for text (a derivation's `__json`, which must be
/// UTF-8): escaping only ASCII bytes keeps the text UTF-8.
pub(super) fn write_json_str(out: &mut String, s: &str) {
    let mut bytes = std::mem::take(out).into_bytes();
    write_json_string(&mut bytes, s.as_bytes());
    *out = String::from_utf8(bytes).expect("escaping ASCII keeps UTF-8 intact");
}

// ---- fromJSON ----------------------------------------------------------------

fn from_json<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let text = force_string_no_context(vm, &args[0])?;
    parse_json(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ContextElem;
    use crate::Evaluator;

    /// A budget far too small for recursing once per nesting level.
    const SMALL_STACK: usize = 4 << 20;

    fn to_json_of(value: Value) -> NixString {
        let evaluator = Evaluator::builder().stack_budget(SMALL_STACK).build();
        let result = evaluator
            .with_vm(|vm| vm.call_forced(Value::Builtin(&BUILTINS[0]), value))
            .unwrap();
        match result {
            Value::String(s) => s,
            _ => panic!("toJSON returns a string"),
        }
    }

    #[test]
    fn deep_values_serialise_and_parse() {
        let depth = 200_000;
        let mut deep = Value::list(Vec::new());
        for _ in 0..depth {
            deep = crate::builtins::attrs_of([("a", Value::list(vec![deep]))]);
        }
        let text = to_json_of(deep);
        assert_eq!(text.len(), depth * "{\"a\":[]}".len() + 2);
        let parsed = parse_json(text.as_bytes()).unwrap();
        let again = Evaluator::builder()
            .stack_budget(SMALL_STACK)
            .build()
            .with_vm(|vm| to_json_string(vm, &parsed))
            .unwrap();
        assert!(again == text.as_bytes());
    }

    #[test]
    fn the_result_keeps_the_context_of_its_strings() {
        let elem = |p: &str| ContextElem::Plain(format!("/nix/store/{p}"));
        let with_context = |text: &str, p: &str| {
            Value::String(NixString::with_context(text, Context::from([elem(p)])))
        };
        let value = Value::list(vec![
            with_context("a", "aaa-a"),
            crate::builtins::attrs_of([("k", with_context("b", "bbb-b"))]),
        ]);
        let s = to_json_of(value);
        assert_eq!(s, r#"["a",{"k":"b"}]"#);
        assert_eq!(
            s.context().cloned().unwrap_or_default(),
            Context::from([elem("aaa-a"), elem("bbb-b")])
        );
    }

    #[test]
    fn strings_escape_what_json_requires() {
        let mut out = Vec::new();
        write_json_string(&mut out, "a\"\\\n\r\t\u{1}\u{1f}\u{7f}é/".as_bytes());
        assert_eq!(
            out,
            "\"a\\\"\\\\\\n\\r\\t\\u0001\\u001f\u{7f}é/\"".as_bytes()
        );
        // Bytes that are not UTF-8 are written as they are, as Nix does.
        let mut out = Vec::new();
        write_json_string(&mut out, b"\xc3\xff");
        assert_eq!(out, b"\"\xc3\xff\"");
    }

    #[test]
    fn parsers_refuse_strings_with_context() {
        let evaluator = Evaluator::builder().build();
        let text = NixString::with_context(
            "1",
            Context::from([ContextElem::Plain("/nix/store/aaa-x".into())]),
        );
        for builtin in [&BUILTINS[1], &super::super::toml::BUILTINS[0]] {
            let err = evaluator
                .with_vm(|vm| vm.call_forced(Value::Builtin(builtin), Value::String(text.clone())))
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                "the string '1' is not allowed to refer to a store path (such as '/nix/store/aaa-x')"
            );
        }
    }
}
