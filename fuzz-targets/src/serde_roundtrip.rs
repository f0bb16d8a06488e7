//! The serde conversions (`spindle::convert`). The first byte chooses the
//! direction: even, structured Rust data (built by `arbitrary` from the
//! rest) goes to a Nix value and back and must come back the same; odd,
//! the rest is a Nix program whose value is converted to Rust data, lazily,
//! as an embedder would.

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use serde::{Deserialize, Serialize};
use spindle::{to_value, VmKind};

use crate::common::{evaluator, render};

/// Something of every shape the conversions map (see `spindle::convert`).
#[derive(Arbitrary, Serialize, Deserialize, Debug)]
enum Data {
    Unit,
    Bool(bool),
    Int(i64),
    Small(i8, u16, i32),
    Unsigned(u64),
    Float(f64),
    Char(char),
    Text(String),
    Optional(Option<Box<Data>>),
    List(Vec<Data>),
    Map(BTreeMap<String, Data>),
    IntKeys(BTreeMap<i64, Data>),
    Record {
        name: String,
        flag: Option<bool>,
        items: Vec<Data>,
    },
    Wrapped(Wrapper),
    Empty(EmptyStruct),
    Pair((String, Box<Data>)),
}

#[derive(Arbitrary, Serialize, Deserialize, Debug)]
struct Wrapper(Box<Data>);

#[derive(Arbitrary, Serialize, Deserialize, Debug)]
struct EmptyStruct;

/// Whether `data` fits Nix: an unsigned integer beyond the 64-bit signed
/// range does not, and the conversion refuses it.
fn fits_nix(data: &Data) -> bool {
    match data {
        Data::Unsigned(n) => i64::try_from(*n).is_ok(),
        Data::Optional(Some(d)) | Data::Wrapped(Wrapper(d)) | Data::Pair((_, d)) => fits_nix(d),
        Data::List(items) | Data::Record { items, .. } => items.iter().all(fits_nix),
        Data::Map(map) => map.values().all(fits_nix),
        Data::IntKeys(map) => map.values().all(fits_nix),
        _ => true,
    }
}

fn round_trip(data: &Data) {
    let value = match to_value(data) {
        Ok(value) => value,
        Err(e) => {
            assert!(!fits_nix(data), "to_value refused {data:?}: {e}");
            return;
        }
    };
    let back: Data = spindle::convert::from_evaluated(&value)
        .unwrap_or_else(|e| panic!("from_evaluated refused to_value's own {data:?}: {e}"));
    // Debug formatting compares floats by their printed digits, which
    // round-trip exactly and treat NaN as equal to itself.
    assert_eq!(
        format!("{data:?}"),
        format!("{back:?}"),
        "round trip changed the data"
    );
}

/// Converts the value of the program `source` to a few Rust types.
fn from_program(source: &[u8]) {
    let Ok(source) = std::str::from_utf8(source) else {
        return;
    };
    let evaluator = evaluator(VmKind::Fiber);
    let value = match evaluator.eval_str(source) {
        Ok(value) => value,
        Err(e) => {
            render(&evaluator, &e);
            return;
        }
    };
    let results = [
        evaluator.from_value::<Data>(&value).map(drop),
        evaluator
            .from_value::<BTreeMap<String, Data>>(&value)
            .map(drop),
        evaluator
            .from_value::<Vec<Option<String>>>(&value)
            .map(drop),
        evaluator.from_value::<(u8, f32, char)>(&value).map(drop),
    ];
    for e in results.into_iter().filter_map(Result::err) {
        render(&evaluator, &e);
    }
}

pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 1 {
        return from_program(rest);
    }
    if let Ok(data) = Data::arbitrary_take_rest(Unstructured::new(rest)) {
        round_trip(&data);
    }
}
