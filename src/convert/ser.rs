//! Rust values into Nix values: a serde `Serializer` producing [`Value`]s.

use bstr::ByteSlice;
use serde::ser::{self, Impossible, Serialize};

use super::{at_segment, conversion_error};
use crate::error::{Error, Result};
use crate::symbol::Symbol;
use crate::value::{Attrs, Value};

/// Serializes `value` into a Nix value (see [`crate::convert`] for the
/// mapping). Needs no evaluator.
///
/// ```
/// use std::collections::BTreeMap;
///
/// let ports = BTreeMap::from([("http", 80), ("https", 443)]);
/// let value = spindle::to_value(&ports).unwrap();
/// let printed = spindle::print::print_value(&value).unwrap();
/// assert_eq!(printed, "{ http = 80; https = 443; }");
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value> {
    value.serialize(ValueSerializer)
}

/// The serde `Serializer` that builds Nix values.
#[derive(Clone, Copy, Debug, Default)]
pub struct ValueSerializer;

fn int_from(n: impl TryInto<i64>, what: &str) -> Result<Value> {
    n.try_into()
        .map(Value::Int)
        .map_err(|_| conversion_error(format_args!("{what} is too large for a Nix integer")))
}

fn single_attr(name: &str, value: Value) -> Value {
    Value::Attrs(Attrs::from_sorted(
        vec![(Symbol::intern(name), value)],
        None,
    ))
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = ListBuilder;
    type SerializeTuple = ListBuilder;
    type SerializeTupleStruct = ListBuilder;
    type SerializeTupleVariant = VariantListBuilder;
    type SerializeMap = SetBuilder;
    type SerializeStruct = SetBuilder;
    type SerializeStructVariant = VariantSetBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value> {
        Ok(Value::Int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value> {
        int_from(v, "an i128")
    }
    fn serialize_u8(self, v: u8) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value> {
        int_from(v, "a u64")
    }
    fn serialize_u128(self, v: u128) -> Result<Value> {
        int_from(v, "a u128")
    }
    fn serialize_f32(self, v: f32) -> Result<Value> {
        Ok(Value::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value> {
        Ok(Value::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Value> {
        Ok(Value::string(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value> {
        Ok(Value::string(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value> {
        // Nix strings are bytes: any bytes make a string.
        Ok(Value::string(v))
    }
    fn serialize_none(self) -> Result<Value> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value> {
        Ok(Value::string(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value> {
        let inner = value.serialize(self).map_err(|e| at_segment(e, &variant))?;
        Ok(single_attr(variant, inner))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<ListBuilder> {
        Ok(ListBuilder {
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<ListBuilder> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<ListBuilder> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantListBuilder> {
        Ok(VariantListBuilder {
            variant,
            list: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<SetBuilder> {
        Ok(SetBuilder {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<SetBuilder> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSetBuilder> {
        Ok(VariantSetBuilder {
            variant,
            set: self.serialize_map(Some(len))?,
        })
    }
}

/// Builds a list.
pub struct ListBuilder {
    items: Vec<Value>,
}

impl ListBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let index = self.items.len();
        let item = value
            .serialize(ValueSerializer)
            .map_err(|e| at_segment(e, &index))?;
        self.items.push(item);
        Ok(())
    }
}

impl ser::SerializeSeq for ListBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        Ok(Value::list(self.items))
    }
}

impl ser::SerializeTuple for ListBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        Ok(Value::list(self.items))
    }
}

impl ser::SerializeTupleStruct for ListBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        Ok(Value::list(self.items))
    }
}

/// Builds `{ Variant = [ … ]; }`.
pub struct VariantListBuilder {
    variant: &'static str,
    list: ListBuilder,
}

impl ser::SerializeTupleVariant for VariantListBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.list
            .push(value)
            .map_err(|e| at_segment(e, &self.variant))
    }
    fn end(self) -> Result<Value> {
        Ok(single_attr(self.variant, Value::list(self.list.items)))
    }
}

/// Builds an attribute set; a name given twice keeps its last value.
pub struct SetBuilder {
    entries: Vec<(Symbol, Value)>,
    key: Option<Vec<u8>>,
}

impl SetBuilder {
    fn insert<T: Serialize + ?Sized>(&mut self, name: &[u8], value: &T) -> Result<()> {
        let value = value
            .serialize(ValueSerializer)
            .map_err(|e| at_segment(e, &name.as_bstr()))?;
        self.entries.push((Symbol::intern(name), value));
        Ok(())
    }

    fn finish(self) -> Value {
        Value::Attrs(Attrs::from_unsorted(self.entries))
    }
}

impl ser::SerializeMap for SetBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self
            .key
            .take()
            .ok_or_else(|| conversion_error("a map value came before its key"))?;
        self.insert(&key, value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for SetBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.insert(key.as_bytes(), value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

/// Builds `{ Variant = { … }; }`.
pub struct VariantSetBuilder {
    variant: &'static str,
    set: SetBuilder,
}

impl ser::SerializeStructVariant for VariantSetBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.set
            .insert(key.as_bytes(), value)
            .map_err(|e| at_segment(e, &self.variant))
    }
    fn end(self) -> Result<Value> {
        Ok(single_attr(self.variant, self.set.finish()))
    }
}

/// Turns a map key into an attribute name: strings, characters, integers
/// and Booleans qualify.
struct KeySerializer;

fn bad_key() -> Error {
    conversion_error("an attribute name must be a string, a character, an integer or a Boolean")
}

impl ser::Serializer for KeySerializer {
    type Ok = Vec<u8>;
    type Error = Error;
    type SerializeSeq = Impossible<Vec<u8>, Error>;
    type SerializeTuple = Impossible<Vec<u8>, Error>;
    type SerializeTupleStruct = Impossible<Vec<u8>, Error>;
    type SerializeTupleVariant = Impossible<Vec<u8>, Error>;
    type SerializeMap = Impossible<Vec<u8>, Error>;
    type SerializeStruct = Impossible<Vec<u8>, Error>;
    type SerializeStructVariant = Impossible<Vec<u8>, Error>;

    fn serialize_bool(self, v: bool) -> Result<Vec<u8>> {
        Ok(v.to_string().into_bytes())
    }
    fn serialize_i8(self, v: i8) -> Result<Vec<u8>> {
        Ok(v.to_string().into_bytes())
    }
    fn serialize_i16(self, v: i16) -> Result<Vec<u8>> {
        Ok(v.to_string().into_bytes())
    }
    fn serialize_i32(self, v: i32) -> Result<Vec<u8>> {
        Ok(v.to_string().into_bytes())
    }
    fn serialize_i64(self, v: i64) -> Result<Vec<u8>> {
        Ok(v.to_string().into_bytes())
    }
    fn serialize_u8(self, v: u8) -> Result<Vec<u8>> {
        Ok(v.to_string().into_bytes())
    }
    fn serialize_u16(self, v: u16) -> Result<Vec<u8>> {
        Ok(v.to_string().into_bytes())
    }
    fn serialize_u32(self, v: u32) -> Result<Vec<u8>> {
        Ok(v.to_string().into_bytes())
    }
    fn serialize_u64(self, v: u64) -> Result<Vec<u8>> {
        Ok(v.to_string().into_bytes())
    }
    fn serialize_f32(self, _v: f32) -> Result<Vec<u8>> {
        Err(bad_key())
    }
    fn serialize_f64(self, _v: f64) -> Result<Vec<u8>> {
        Err(bad_key())
    }
    fn serialize_char(self, v: char) -> Result<Vec<u8>> {
        Ok(v.to_string().into_bytes())
    }
    fn serialize_str(self, v: &str) -> Result<Vec<u8>> {
        Ok(v.to_string().into_bytes())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Vec<u8>> {
        Ok(v.to_vec())
    }
    fn serialize_none(self) -> Result<Vec<u8>> {
        Err(bad_key())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Vec<u8>> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Vec<u8>> {
        Err(bad_key())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Vec<u8>> {
        Err(bad_key())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Vec<u8>> {
        Ok(variant.as_bytes().to_vec())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Vec<u8>> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Vec<u8>> {
        Err(bad_key())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(bad_key())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(bad_key())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(bad_key())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(bad_key())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(bad_key())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(bad_key())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(bad_key())
    }
}
