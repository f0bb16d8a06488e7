//! XML: `builtins.toXML` and the `--xml` output, in Nix's own schema
//! (`<expr>`, `<attrs>`, `<attr name=…>`, `<string value=…/>`, …).

use std::collections::HashSet;

use bstr::BString;
use spindle_fiber::ensure_sufficient_stack;

use crate::engine::Engine;
use crate::error::Result;
use crate::print::format_float;
use crate::source::Span;
use crate::symbol::known;
use crate::value::{Attrs, Builtin, Closure, Context, NixString, Value};

pub(super) static BUILTINS: &[Builtin] =
    &[builtin!("toXML" / 1 => Plain(to_xml), generator DeepFirst)];

fn to_xml<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let mut writer = XmlWriter::new(true, false);
    writer.document(vm, &args[0])?;
    Ok(Value::String(NixString::with_context(
        writer.out,
        writer.context,
    )))
}

/// Serialises a value as an XML document (`--xml`), without the final
/// newline (the caller ends the line). Nothing is forced but a set's
/// `type`, to recognise derivations: what is still unevaluated shows as
/// `<unevaluated />`. With `location`, attributes and lambdas carry the
/// file, line and column they were defined at.
pub fn to_xml_string<E: Engine + ?Sized>(
    vm: &mut E,
    value: &Value,
    location: bool,
) -> Result<BString> {
    let mut writer = XmlWriter::new(false, location);
    writer.document(vm, value)?;
    let mut out = writer.out;
    if out.ends_with(b"\n") {
        out.pop();
    }
    Ok(out.into())
}

/// One XML attribute: its name and unescaped value (bytes, as Nix writes
/// them).
type XmlAttr = (&'static str, BString);

struct XmlWriter {
    out: Vec<u8>,
    depth: usize,
    context: Context,
    /// Force values while walking (`toXML`), or print thunks as they are.
    strict: bool,
    location: bool,
    /// Derivations already shown in full, by `drvPath`.
    drvs_seen: HashSet<BString>,
}

impl XmlWriter {
    fn new(strict: bool, location: bool) -> XmlWriter {
        XmlWriter {
            out: Vec::new(),
            depth: 0,
            context: Context::new(),
            strict,
            location,
            drvs_seen: HashSet::new(),
        }
    }

    fn document<E: Engine + ?Sized>(&mut self, vm: &mut E, value: &Value) -> Result<()> {
        self.out
            .extend_from_slice("<?xml version='1.0' encoding='utf-8'?>\n".as_bytes());
        self.open("expr", Vec::new());
        self.value(vm, value)?;
        self.close("expr");
        Ok(())
    }

    // ---- elements ----------------------------------------------------------

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.extend_from_slice("  ".as_bytes());
        }
    }

    fn tag(&mut self, name: &str, mut attrs: Vec<XmlAttr>) {
        self.indent();
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        attrs.sort_by_key(|a| a.0);
        for (key, value) in &attrs {
            self.out.push(b' ');
            self.out.extend_from_slice(key.as_bytes());
            self.out.extend_from_slice(b"=\"");
            escape_into(&mut self.out, value);
            self.out.push(b'"');
        }
    }

    fn open(&mut self, name: &str, attrs: Vec<XmlAttr>) {
        self.tag(name, attrs);
        self.out.extend_from_slice(">\n".as_bytes());
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.out.extend_from_slice("</".as_bytes());
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(">\n".as_bytes());
    }

    fn empty(&mut self, name: &str, attrs: Vec<XmlAttr>) {
        self.tag(name, attrs);
        self.out.extend_from_slice(" />\n".as_bytes());
    }

    fn empty_with_value(&mut self, name: &str, value: impl Into<BString>) {
        self.empty(name, vec![("value", value.into())]);
    }

    // ---- values ------------------------------------------------------------

    fn value<E: Engine + ?Sized>(&mut self, vm: &mut E, value: &Value) -> Result<()> {
        let value = if self.strict {
            vm.force_ref(value)?
        } else {
            value.shallow_resolved()
        };
        match value {
            Value::Int(i) => self.empty_with_value("int", i.to_string()),
            Value::Bool(b) => self.empty_with_value("bool", if b { "true" } else { "false" }),
            Value::String(s) => {
                if let Some(ctx) = s.context() {
                    self.context.extend(ctx.iter().cloned());
                }
                self.empty_with_value("string", s.as_bytes());
            }
            Value::Path(p) => self.empty_with_value("path", p.as_bytes()),
            Value::Null => self.empty("null", Vec::new()),
            Value::Float(f) => self.empty_with_value("float", format_float(f)),
            Value::Attrs(attrs) => {
                if is_derivation(vm, &attrs)? {
                    self.derivation(vm, &attrs)?;
                } else {
                    self.open("attrs", Vec::new());
                    self.attrs(vm, &attrs)?;
                    self.close("attrs");
                }
            }
            Value::List(items) => {
                self.open("list", Vec::new());
                for item in items.iter() {
                    ensure_sufficient_stack(|| self.value(vm, item))?;
                }
                self.close("list");
            }
            Value::Closure(closure) => self.function(vm, &closure),
            Value::Builtin(_) | Value::PrimApp(_) | Value::Thunk(_) => {
                self.empty("unevaluated", Vec::new())
            }
        }
        Ok(())
    }

    /// The attributes of a set, in name order.
    fn attrs<E: Engine + ?Sized>(&mut self, vm: &mut E, attrs: &Attrs) -> Result<()> {
        let mut entries: Vec<_> = attrs.iter().collect();
        entries.sort_by_cached_key(|(name, _)| name.name());
        for (name, item) in entries {
            let mut xml_attrs = vec![("name", BString::from(&*name.name()))];
            if let Some(span) = attrs.position(*name) {
                self.position(vm, span, &mut xml_attrs);
            }
            self.open("attr", xml_attrs);
            ensure_sufficient_stack(|| self.value(vm, item))?;
            self.close("attr");
        }
        Ok(())
    }

    /// A derivation names its `drvPath` and `outPath`; its attributes are
    /// shown the first time only (derivations refer to each other a lot).
    fn derivation<E: Engine + ?Sized>(&mut self, vm: &mut E, attrs: &Attrs) -> Result<()> {
        let drv_path = self.string_attr(vm, attrs, known::drv_path())?;
        let out_path = self.string_attr(vm, attrs, known::out_path())?;
        let mut xml_attrs = Vec::new();
        if let Some(p) = &drv_path {
            xml_attrs.push(("drvPath", p.clone()));
        }
        if let Some(p) = out_path {
            xml_attrs.push(("outPath", p));
        }
        self.open("derivation", xml_attrs);
        let first_time = drv_path.is_some_and(|p| !p.is_empty() && self.drvs_seen.insert(p));
        if first_time {
            self.attrs(vm, attrs)?;
        } else {
            self.empty("repeated", Vec::new());
        }
        self.close("derivation");
        Ok(())
    }

    /// The text of a string attribute (forced when strict), if it is one.
    fn string_attr<E: Engine + ?Sized>(
        &mut self,
        vm: &mut E,
        attrs: &Attrs,
        name: crate::symbol::Symbol,
    ) -> Result<Option<BString>> {
        let Some(value) = attrs.get(name) else {
            return Ok(None);
        };
        let value = if self.strict {
            vm.force_ref(value)?
        } else {
            value.shallow_resolved()
        };
        Ok(match value {
            Value::String(s) => Some(BString::from(s.as_bytes())),
            _ => None,
        })
    }

    /// A lambda shows its parameter: a name, or the pattern's formals in
    /// name order (with the `@` name and `...` if present).
    fn function<E: Engine + ?Sized>(&mut self, vm: &mut E, closure: &Closure) {
        let code = closure.code();
        let mut xml_attrs = Vec::new();
        self.position(vm, code.span, &mut xml_attrs);
        self.open("function", xml_attrs);
        match code.formals() {
            Some(formals) => {
                let mut pattern_attrs = Vec::new();
                if let Some(name) = code.param() {
                    pattern_attrs.push(("name", BString::from(&*name.name())));
                }
                if formals.ellipsis {
                    pattern_attrs.push(("ellipsis", "1".into()));
                }
                self.open("attrspat", pattern_attrs);
                let mut names: Vec<_> = formals.entries.iter().map(|(n, _)| n.name()).collect();
                names.sort();
                for name in names {
                    self.empty("attr", vec![("name", BString::from(&*name))]);
                }
                self.close("attrspat");
            }
            None => {
                let name = code.param().map(|n| BString::from(&*n.name()));
                self.empty("varpat", vec![("name", name.unwrap_or_default())]);
            }
        }
        self.close("function");
    }

    fn position<E: Engine + ?Sized>(&self, vm: &E, span: Span, attrs: &mut Vec<XmlAttr>) {
        if !self.location {
            return;
        }
        let loc = vm.context().location(span);
        attrs.push(("path", loc.file.into()));
        attrs.push(("line", loc.line.to_string().into()));
        attrs.push(("column", loc.column.to_string().into()));
    }
}

/// Whether a set is a derivation: its `type` (forced) is `"derivation"`.
fn is_derivation<E: Engine + ?Sized>(vm: &mut E, attrs: &Attrs) -> Result<bool> {
    let Some(ty) = attrs.get(known::type_()) else {
        return Ok(false);
    };
    Ok(matches!(vm.force_ref(ty)?, Value::String(s) if s.as_bytes() == b"derivation"))
}

/// Escapes an attribute value as Nix 2.8 does: markup characters and
/// newlines only (tabs and carriage returns stay as they are).
/// Other bytes, UTF-8 or not, are written as they are.
fn escape_into(out: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        match b {
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\n' => out.extend_from_slice(b"&#xA;"),
            b => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ContextElem;
    use crate::Evaluator;
    use bstr::ByteSlice;

    #[test]
    fn the_result_keeps_the_context_of_its_strings() {
        let elem = ContextElem::Plain("/nix/store/aaa-x".into());
        let value = Value::list(vec![Value::String(NixString::with_context(
            "s",
            Context::from([elem.clone()]),
        ))]);
        let result = Evaluator::builder()
            .build()
            .with_vm(|vm| vm.call_forced(Value::Builtin(&BUILTINS[0]), value))
            .unwrap();
        let Value::String(s) = result else {
            panic!("toXML returns a string")
        };
        assert!(s.as_bstr().contains_str("<string value=\"s\" />"));
        assert_eq!(s.context().cloned(), Some(Context::from([elem])));
    }

    #[test]
    fn escaping_covers_markup_and_newlines() {
        let mut out = Vec::new();
        escape_into(&mut out, b"a<b>&\"c'\n\t\r\xff");
        assert_eq!(out, b"a&lt;b&gt;&amp;&quot;c'&#xA;\t\r\xff");
    }
}
