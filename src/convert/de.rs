//! Nix values into Rust types: a serde `Deserializer` that forces lazily.

use std::rc::Rc;

use bstr::ByteSlice;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use spindle_fiber::ensure_sufficient_stack;

use super::{at_segment, conversion_error};
use crate::error::{Error, Result};
use crate::value::{List, Value};
use crate::vm::Vm;

/// Deserializes a `T` from `value`, forcing only the parts `T` asks for.
///
/// Runs inside an evaluation: in a custom builtin, or through
/// [`Evaluator::from_value`](crate::Evaluator::from_value) from the host.
pub fn from_value<T: DeserializeOwned>(vm: &mut Vm, value: &Value) -> Result<T> {
    T::deserialize(ValueDeserializer::new(vm, value.clone()))
}

/// Deserializes a `T` from a value that is already evaluated as far as `T`
/// looks (deep-forced, say, like the arguments of
/// [`HostRequest::Call`](crate::HostRequest::Call)); needs no evaluator. A
/// part still unevaluated is an error.
pub fn from_evaluated<T: DeserializeOwned>(value: &Value) -> Result<T> {
    T::deserialize(ValueDeserializer {
        vm: None,
        value: value.clone(),
    })
}

/// A serde `Deserializer` over one Nix value. Values are forced when serde
/// asks for them; an ignored attribute stays unevaluated.
pub struct ValueDeserializer<'v> {
    vm: Option<&'v mut Vm>,
    value: Value,
}

impl<'v> ValueDeserializer<'v> {
    /// A deserializer for `value`, forcing through `vm`.
    pub fn new(vm: &'v mut Vm, value: Value) -> Self {
        ValueDeserializer {
            vm: Some(vm),
            value,
        }
    }

    /// A deserializer for a part of the value, forcing as this one does.
    fn part(vm: Option<&'v mut Vm>, value: Value) -> Self {
        ValueDeserializer { vm, value }
    }

    fn forced(&mut self) -> Result<Value> {
        let value = std::mem::take(&mut self.value);
        match self.vm.as_deref_mut() {
            Some(vm) => vm.force(value),
            None => match value.shallow_resolved() {
                Value::Thunk(_) => Err(conversion_error(
                    "the value is not evaluated yet (force it first)",
                )),
                value => Ok(value),
            },
        }
    }
}

/// The error for a Nix value no Rust value stands for.
fn unconvertible(value: &Value) -> Error {
    conversion_error(format_args!(
        "{} has no Rust counterpart",
        value.type_phrase()
    ))
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        match self.forced()? {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => visitor.visit_i64(i),
            Value::Float(f) => visitor.visit_f64(f),
            Value::String(s) | Value::Path(s) => visit_text(s.as_bytes(), visitor),
            Value::List(items) => visitor.visit_seq(Elements {
                vm: self.vm,
                items,
                next: 0,
            }),
            Value::Attrs(attrs) => {
                let entries: Vec<(Rc<[u8]>, Value)> = attrs
                    .sorted_entries()
                    .into_iter()
                    .map(|(name, v)| (name, v.clone()))
                    .collect();
                visitor.visit_map(Attributes {
                    vm: self.vm,
                    entries: entries.into_iter(),
                    pending: None,
                })
            }
            other => Err(unconvertible(&other)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        match self.forced()? {
            Value::Null => visitor.visit_none(),
            value => visitor.visit_some(ValueDeserializer::part(self.vm, value)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        mut self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let forced = self.forced()?;
        let only_entry = match &forced {
            Value::Attrs(attrs) if attrs.len() == 1 => attrs.entry_at(0).cloned(),
            _ => None,
        };
        match (forced, only_entry) {
            (Value::String(s), _) => visitor.visit_enum(text(s.as_bytes())?.into_deserializer()),
            (_, Some((symbol, value))) => visitor.visit_enum(Variant {
                vm: self.vm,
                name: symbol.name(),
                value,
            }),
            (other, None) => Err(conversion_error(format_args!(
                "an enum is a string or a set with one attribute, not {}",
                other.type_phrase()
            ))),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        match self.forced()? {
            Value::String(s) | Value::Path(s) => visitor.visit_bytes(s.as_bytes()),
            value => ValueDeserializer::part(self.vm, value).deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // What the type ignores is never evaluated.
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// The elements of a list, forced one at a time.
struct Elements<'v> {
    vm: Option<&'v mut Vm>,
    items: List,
    next: usize,
}

impl<'de> SeqAccess<'de> for Elements<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let Some(item) = self.items.get(self.next).cloned() else {
            return Ok(None);
        };
        let index = self.next;
        self.next += 1;
        let vm = self.vm.as_deref_mut();
        ensure_sufficient_stack(|| seed.deserialize(ValueDeserializer::part(vm, item)))
            .map(Some)
            .map_err(|e| at_segment(e, &index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}

/// Hands a string to a visitor: as text when it is UTF-8, else as bytes,
/// which a type that wants text (`String`) refuses and one that takes
/// bytes accepts.
fn visit_text<'de, V: Visitor<'de>>(bytes: &[u8], visitor: V) -> Result<V::Value> {
    match std::str::from_utf8(bytes) {
        Ok(s) => visitor.visit_str(s),
        Err(_) => visitor.visit_bytes(bytes),
    }
}

/// A string that must be text (an enum variant's name).
fn text(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| {
        conversion_error(format_args!(
            "the string '{}' is not valid UTF-8",
            bytes.escape_bytes()
        ))
    })
}

/// The attributes of a set in name order, each value forced only when serde
/// asks for it.
struct Attributes<'v> {
    vm: Option<&'v mut Vm>,
    entries: std::vec::IntoIter<(Rc<[u8]>, Value)>,
    pending: Option<(Rc<[u8]>, Value)>,
}

impl<'de> MapAccess<'de> for Attributes<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some((name, value)) = self.entries.next() else {
            return Ok(None);
        };
        let key = seed.deserialize(AttrName(name.clone()))?;
        self.pending = Some((name, value));
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let (name, value) = self
            .pending
            .take()
            .ok_or_else(|| conversion_error("a value was asked for before its name"))?;
        let vm = self.vm.as_deref_mut();
        ensure_sufficient_stack(|| seed.deserialize(ValueDeserializer::part(vm, value)))
            .map_err(|e| at_segment(e, &name.as_bstr()))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An attribute name as a map key: a string, or a number for maps with
/// integer keys.
struct AttrName(Rc<[u8]>);

impl AttrName {
    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T> {
        let parsed = std::str::from_utf8(&self.0)
            .ok()
            .and_then(|s| s.parse().ok());
        parsed.ok_or_else(|| {
            conversion_error(format_args!(
                "the attribute name '{}' is not {what}",
                self.0.as_bstr()
            ))
        })
    }
}

macro_rules! parse_key {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
                visitor.$visit(self.parse::<$ty>(stringify!($ty))?)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for AttrName {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visit_text(&self.0, visitor)
    }

    parse_key! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_bool => visit_bool: bool,
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_enum(text(&self.0)?.into_deserializer())
    }

    forward_to_deserialize_any! {
        i128 u128 f32 f64 char str string bytes byte_buf option unit unit_struct seq
        tuple tuple_struct map struct identifier ignored_any
    }
}

/// An enum variant written as `{ Variant = content; }`.
struct Variant<'v> {
    vm: Option<&'v mut Vm>,
    name: Rc<[u8]>,
    value: Value,
}

impl<'de, 'v> EnumAccess<'de> for Variant<'v> {
    type Error = Error;
    type Variant = ValueDeserializer<'v>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self::Variant)> {
        let tag = seed.deserialize(AttrName(self.name.clone()))?;
        Ok((tag, ValueDeserializer::part(self.vm, self.value)))
    }
}

impl<'de> VariantAccess<'de> for ValueDeserializer<'_> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}
