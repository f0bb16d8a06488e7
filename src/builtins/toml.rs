//! `builtins.fromTOML`.
//!
//! The document is parsed by the `toml` crate into its spanned tree, which
//! keeps each value's source text: timestamps (with the experimental
//! feature `parse-toml-timestamps`) print their fraction of a second with
//! the precision it was written in, as Nix does.

use spindle_fiber::ensure_sufficient_stack;
use toml::de::{DeTable, DeValue};
use toml::value::Datetime;
use toml::Spanned;

use super::attrs_of;
use super::context::force_string_no_context;
use super::json_parser::check_no_nul;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::symbol::Symbol;
use crate::value::{Attrs, Builtin, Value};

pub(super) static BUILTINS: &[Builtin] = &[builtin!("fromTOML" / 1 => Plain(from_toml))];

/// The experimental feature that turns timestamps into values.
const TIMESTAMPS_FEATURE: &str = "parse-toml-timestamps";

fn from_toml<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let text = force_string_no_context(vm, &args[0])?;
    let timestamps = vm.context().settings.has_feature(TIMESTAMPS_FEATURE);
    parse_toml(text.utf8()?, timestamps).map_err(|e| toml_error(&e))
}

fn toml_error(e: &Error) -> Error {
    Error::other(format!("while parsing a TOML string: {e}"))
}

/// Parses a TOML document into a set. Without `timestamps`, dates and times
/// are an error (Nix has no value for them); with it, each becomes
/// `{ _type = "timestamp"; value = "…"; }` in RFC 3339 form.
pub fn parse_toml(text: &str, timestamps: bool) -> Result<Value> {
    let doc = DeTable::parse(text).map_err(|e| Error::other(e.to_string().trim_end()))?;
    let reader = TomlReader { text, timestamps };
    reader.table(doc.get_ref())
}

struct TomlReader<'a> {
    text: &'a str,
    timestamps: bool,
}

impl TomlReader<'_> {
    fn table(&self, table: &DeTable<'_>) -> Result<Value> {
        let mut entries = Vec::with_capacity(table.len());
        for (key, value) in table.iter() {
            check_no_nul(key.get_ref())?;
            let value = ensure_sufficient_stack(|| self.value(value))?;
            entries.push((Symbol::intern(key.get_ref().as_bytes()), value));
        }
        Ok(Value::Attrs(Attrs::from_unsorted(entries)))
    }

    fn value(&self, value: &Spanned<DeValue<'_>>) -> Result<Value> {
        Ok(match value.get_ref() {
            DeValue::String(s) => {
                check_no_nul(s)?;
                Value::string(s.as_ref())
            }
            DeValue::Integer(i) => Value::Int(integer(i.as_str(), i.radix())?),
            DeValue::Float(f) => Value::Float(float(f.as_str())?),
            DeValue::Boolean(b) => Value::Bool(*b),
            DeValue::Datetime(dt) => {
                self.timestamp(dt, self.text.get(value.span()).unwrap_or_default())?
            }
            DeValue::Array(items) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items.iter() {
                    list.push(ensure_sufficient_stack(|| self.value(item))?);
                }
                Value::list(list)
            }
            DeValue::Table(table) => self.table(table)?,
        })
    }

    fn timestamp(&self, dt: &Datetime, source: &str) -> Result<Value> {
        if !self.timestamps {
            return Err(Error::other("Dates and times are not supported"));
        }
        Ok(attrs_of([
            ("_type", Value::string("timestamp")),
            ("value", Value::string(format_timestamp(dt, source))),
        ]))
    }
}

/// An integer's digits (`as_str`: the sign, if any, and no prefix or
/// underscores) in `radix`. Out of the 64-bit range, Nix 2.8 (whose TOML
/// reader reads decimal, octal and hexadecimal digits with a C++ stream)
/// saturates those, while it accumulates binary digits itself and so keeps
/// their low 64 bits, two's complement: `lib.fromHexString` relies on the
/// saturation.
fn integer(digits: &str, radix: u32) -> Result<i64> {
    let invalid = || Error::other(format!("invalid integer '{digits}'"));
    let unsigned = digits.trim_start_matches(['+', '-']);
    if unsigned.is_empty() {
        return Err(invalid());
    }
    if radix == 2 {
        return unsigned
            .chars()
            .try_fold(0u64, |acc, c| {
                let bit = c.to_digit(2).ok_or_else(invalid)?;
                Ok(acc.wrapping_mul(2).wrapping_add(u64::from(bit)))
            })
            .map(|bits| bits as i64);
    }
    match i64::from_str_radix(digits, radix) {
        Ok(n) => Ok(n),
        Err(e) => match e.kind() {
            std::num::IntErrorKind::PosOverflow => Ok(i64::MAX),
            std::num::IntErrorKind::NegOverflow => Ok(i64::MIN),
            _ => Err(invalid()),
        },
    }
}

/// A float's text (`as_str` has no underscores). A finite literal too large
/// for a double becomes the largest double of its sign, as the C++ stream
/// Nix 2.8 reads it with gives; one too small becomes zero.
fn float(text: &str) -> Result<f64> {
    match text.parse::<f64>() {
        Ok(f) if f.is_infinite() && !text.contains("inf") => Ok(f64::MAX.copysign(f)),
        Ok(f) => Ok(f),
        Err(_) => Err(Error::other(format!("invalid float '{text}'"))),
    }
}

/// RFC 3339 text of a TOML date, time or date-time: a `T` between date and
/// time, seconds always present, the offset as `Z` or `±hh:mm`, and the
/// fraction of a second in milli-, micro- or nanoseconds, whichever is the
/// least that holds the digits written in `source`.
fn format_timestamp(dt: &Datetime, source: &str) -> String {
    let mut out = String::new();
    if let Some(date) = &dt.date {
        out.push_str(&format!(
            "{:04}-{:02}-{:02}",
            date.year, date.month, date.day
        ));
    }
    if let Some(time) = &dt.time {
        if dt.date.is_some() {
            out.push('T');
        }
        out.push_str(&format!(
            "{:02}:{:02}:{:02}",
            time.hour,
            time.minute,
            time.second.unwrap_or(0)
        ));
        if let Some(nanos) = time.nanosecond {
            let digits = fraction_digits(source);
            let precision = match digits {
                0..=3 => 3,
                4..=6 => 6,
                _ => 9,
            };
            let all = format!("{nanos:09}");
            out.push('.');
            out.push_str(&all[..precision]);
        }
    }
    if let Some(offset) = &dt.offset {
        out.push_str(&offset.to_string());
    }
    out
}

/// How many digits follow the decimal point of a time's seconds.
fn fraction_digits(source: &str) -> usize {
    match source.split_once('.') {
        Some((_, rest)) => rest.chars().take_while(char::is_ascii_digit).count(),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toml(text: &str) -> bstr::BString {
        crate::print::print_value(&parse_toml(text, true).unwrap()).unwrap()
    }

    #[test]
    fn timestamps_keep_their_precision_class() {
        assert_eq!(
            toml("a = 1979-05-27 07:32:00.1Z"),
            "{ a = { _type = \"timestamp\"; value = \"1979-05-27T07:32:00.100Z\"; }; }"
        );
        assert_eq!(
            toml("a = 00:32:00.1234"),
            "{ a = { _type = \"timestamp\"; value = \"00:32:00.123400\"; }; }"
        );
        assert_eq!(
            toml("a = 1979-05-27t00:32:00.1234567891-07:00"),
            "{ a = { _type = \"timestamp\"; value = \"1979-05-27T00:32:00.123456789-07:00\"; }; }"
        );
        assert_eq!(
            toml("a = 1979-05-27"),
            "{ a = { _type = \"timestamp\"; value = \"1979-05-27\"; }; }"
        );
    }

    #[test]
    fn timestamps_need_the_feature() {
        let err = parse_toml("a = 1979-05-27", false).unwrap_err();
        assert_eq!(err.to_string(), "Dates and times are not supported");
    }

    #[test]
    fn integers_out_of_range_saturate_but_binary_wraps() {
        assert_eq!(
            toml("a = 0x7fffffffffffffff\nb = 0xffffffffffffffff\nc = -99999999999999999999"),
            "{ a = 9223372036854775807; b = 9223372036854775807; c = -9223372036854775808; }"
        );
        let ones = "1".repeat(68);
        assert_eq!(toml(&format!("a = 0b{ones}")), "{ a = -1; }");
        assert_eq!(toml(&format!("a = 0b1{}", "0".repeat(64))), "{ a = 0; }");
    }

    #[test]
    fn special_floats() {
        assert_eq!(
            toml("a = inf\nb = -inf\nc = nan\nd = 1e300\ne = -1e400\nf = 1e-400"),
            "{ a = inf; b = -inf; c = nan; d = 1e+300; e = -1.79769e+308; f = 0; }"
        );
    }
}
