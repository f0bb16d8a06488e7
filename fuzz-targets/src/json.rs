//! `builtins.fromJSON`'s parser on arbitrary bytes. What it accepts must
//! print, and `toJSON` of it must parse back; after one such round trip
//! the JSON text must be stable. (Not after none: the float `-0` is
//! written `-0`, which reads back as the integer 0, as in Nix 2.8.)

use spindle::builtins::{parse_json, to_json_string};
use spindle::{Evaluator, Value, VmKind};

use crate::common::evaluator;

/// `toJSON (fromJSON text)` of a `text` that `toJSON` wrote.
fn round_trip(evaluator: &Evaluator, value: &Value) -> (Value, Vec<u8>) {
    let json = evaluator
        .with_vm(|vm| to_json_string(vm, value))
        .expect("a parsed JSON value converts back to JSON");
    let reparsed = parse_json(&json)
        .unwrap_or_else(|e| panic!("toJSON wrote JSON that fromJSON refuses ({e}): {json}"));
    (reparsed, json.into())
}

pub fn run(data: &[u8]) {
    let Ok(value) = parse_json(data) else {
        return;
    };
    spindle::print::print_value(&value).expect("a parsed JSON value prints");
    let evaluator = evaluator(VmKind::Fiber);
    let (once, _) = round_trip(&evaluator, &value);
    let (twice, json) = round_trip(&evaluator, &once);
    let (_, again) = round_trip(&evaluator, &twice);
    assert!(
        json == again,
        "toJSON (fromJSON j) differs from j = {}",
        String::from_utf8_lossy(&json)
    );
}
