//! serde conversions between Nix values and Rust types.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use spindle::{ErrorKind, Evaluator, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Point,
    Circle(f64),
    Rect { w: i64, h: i64 },
    Line(i64, i64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    name: String,
    count: i64,
    small: u8,
    ratio: f64,
    enabled: bool,
    maybe: Option<i32>,
    tags: Vec<String>,
    shapes: Vec<Shape>,
    by_name: BTreeMap<String, Vec<i64>>,
    by_id: HashMap<u32, String>,
    pair: (char, String),
    unit: (),
}

fn finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("NaN is not equal to itself", |f| !f.is_nan())
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Point),
        finite().prop_map(Shape::Circle),
        (any::<i64>(), any::<i64>()).prop_map(|(w, h)| Shape::Rect { w, h }),
        (any::<i64>(), any::<i64>()).prop_map(|(a, b)| Shape::Line(a, b)),
    ]
}

prop_compose! {
    fn record()(
        name in ".*",
        count in any::<i64>(),
        small in any::<u8>(),
        ratio in finite(),
        enabled in any::<bool>(),
        maybe in any::<Option<i32>>(),
        tags in prop::collection::vec(".*", 0..4),
        shapes in prop::collection::vec(shape(), 0..4),
        by_name in prop::collection::btree_map(".*", prop::collection::vec(any::<i64>(), 0..3), 0..4),
        by_id in prop::collection::hash_map(any::<u32>(), ".*", 0..4),
        pair in (any::<char>(), ".*"),
    ) -> Record {
        Record { name, count, small, ratio, enabled, maybe, tags, shapes, by_name, by_id, pair, unit: () }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn rust_values_round_trip_through_nix(record in record()) {
        let evaluator = Evaluator::builder().pure(true).build();
        let value = spindle::to_value(&record).unwrap();
        let back: Record = evaluator.from_value(&value).unwrap();
        prop_assert_eq!(&back, &record);
        // Through Nix code too: the value passes through a function.
        let identity = evaluator.eval_str("x: builtins.removeAttrs x [ ]").unwrap();
        let passed = evaluator.call(&identity, &[value]).unwrap();
        let back: Record = evaluator.from_value(&passed).unwrap();
        prop_assert_eq!(back, record);
    }

    #[test]
    fn nix_values_round_trip_through_rust(source in nix_value(3)) {
        let evaluator = Evaluator::builder().pure(true).build();
        let value = evaluator.eval_str(&source).unwrap();
        let json: serde_json::Value = evaluator.from_value(&value).unwrap();
        let again = spindle::to_value(&json).unwrap();
        prop_assert_eq!(
            evaluator.print(&again, true).unwrap(),
            evaluator.print(&value, true).unwrap()
        );
    }
}

/// The source of a Nix value of at most `depth` levels, with arithmetic in
/// it so that there is something to force.
fn nix_value(depth: u32) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        (-1000i64..1000, -1000i64..1000).prop_map(|(a, b)| format!("({a} + {b})")),
        "[a-z ]{0,8}".prop_map(|s| format!("\"{s}\"")),
    ];
    leaf.prop_recursive(depth, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[ {} ]", items.join(" "))),
            prop::collection::btree_map("[a-z]{1,5}", inner, 0..4).prop_map(|attrs| {
                // quoted: a name may be a keyword (`in`, `if`, `rec`, …)
                let body: String = attrs
                    .iter()
                    .map(|(k, v)| format!("\"{k}\" = {v}; "))
                    .collect();
                format!("{{ {body}}}")
            }),
        ]
    })
}

#[derive(Debug, Deserialize)]
struct Server {
    host: String,
    port: u16,
    #[serde(default)]
    tls: bool,
}

#[derive(Debug, Deserialize)]
struct Config {
    servers: Vec<Server>,
}

#[test]
fn deserializing_forces_only_what_the_type_asks_for() {
    let evaluator = Evaluator::builder().build();
    let value = evaluator
        .eval_str(
            r#"{ servers = [ { host = "a"; port = 80; comment = throw "not needed"; } ];
                 other = abort "never"; }"#,
        )
        .unwrap();
    let config: Config = evaluator.from_value(&value).unwrap();
    assert_eq!(config.servers[0].host, "a");
    assert_eq!(config.servers[0].port, 80);
    assert!(!config.servers[0].tls);
}

#[test]
fn conversion_errors_say_where() {
    let evaluator = Evaluator::builder().build();
    let value = evaluator
        .eval_str(r#"{ servers = [ { host = "a"; port = 80; } { host = "b"; port = 70000; } ]; }"#)
        .unwrap();
    let error = evaluator.from_value::<Config>(&value).unwrap_err();
    match error.kind() {
        ErrorKind::Conversion { path, .. } => assert_eq!(path, "servers.1.port"),
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("'servers.1.port'"), "{error}");

    let value = evaluator
        .eval_str(r#"{ servers = [ { host = 1; port = 1; } ]; }"#)
        .unwrap();
    let error = evaluator.from_value::<Config>(&value).unwrap_err();
    assert!(error.to_string().contains("servers.0.host"), "{error}");
}

#[test]
fn evaluation_errors_pass_through_conversion() {
    let evaluator = Evaluator::builder().build();
    let value = evaluator
        .eval_str(r#"{ servers = [ { host = throw "no host"; port = 1; } ]; }"#)
        .unwrap();
    let error = evaluator.from_value::<Config>(&value).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Throw(m) if m == "no host"),
        "{error}"
    );
}

#[test]
fn functions_do_not_convert() {
    let evaluator = Evaluator::builder().build();
    let value = evaluator.eval_str("x: x").unwrap();
    let error = evaluator
        .from_value::<serde_json::Value>(&value)
        .unwrap_err();
    assert!(error.to_string().contains("function"), "{error}");
}

#[test]
fn out_of_range_integers_are_errors() {
    assert!(spindle::to_value(&u64::MAX).is_err());
    assert_eq!(spindle::to_value(&7u64).unwrap().as_int(), Some(7));
    let evaluator = Evaluator::builder().build();
    let v = evaluator.eval_str("-1").unwrap();
    assert!(evaluator.from_value::<u32>(&v).is_err());
}

#[test]
fn unevaluated_parts_need_an_evaluator() {
    let evaluator = Evaluator::builder().build();
    // `builtins.add` keeps the attribute a thunk (`1 + 1` may be computed
    // on the spot).
    let value = evaluator.eval_str("{ a = builtins.add 1 1; }").unwrap();
    assert!(spindle::convert::from_evaluated::<HashMap<String, i64>>(&value).is_err());
    let forced = evaluator.deep_force(&value).unwrap();
    let map: HashMap<String, i64> = spindle::convert::from_evaluated(&forced).unwrap();
    assert_eq!(map["a"], 2);
    let _: Value = forced;
}

/// Bytes as serde's byte arrays (what `serde_bytes` does).
#[derive(Debug, PartialEq)]
struct Bytes(Vec<u8>);

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
        }
        d.deserialize_byte_buf(Visit)
    }
}

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

#[test]
fn strings_that_are_not_utf8_are_bytes_never_text() {
    let evaluator = Evaluator::builder().build();
    let cut = evaluator
        .eval_str(r#"{ s = builtins.substring 0 1 "ü"; }"#)
        .unwrap();
    let error = evaluator
        .from_value::<BTreeMap<String, String>>(&cut)
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Conversion { path, .. } if path == "s"),
        "{error}"
    );
    let bytes = evaluator
        .from_value::<BTreeMap<String, Bytes>>(&cut)
        .unwrap();
    assert_eq!(bytes["s"], Bytes(vec![0xc3]));
    // Text is bytes too.
    let text = evaluator.eval_str(r#""ü""#).unwrap();
    assert_eq!(
        evaluator.from_value::<Bytes>(&text).unwrap(),
        Bytes("ü".into())
    );

    // Any bytes serialize to a string, and come back the same.
    let value = spindle::to_value(&Bytes(vec![b'a', 0xff])).unwrap();
    assert_eq!(value.as_bytes(), Some(&b"a\xff"[..]));
    assert_eq!(value.as_str(), None);
    assert_eq!(
        evaluator.print(&value, true).unwrap(),
        b"\"a\xff\"".as_slice()
    );
    assert_eq!(
        evaluator.from_value::<Bytes>(&value).unwrap(),
        Bytes(vec![b'a', 0xff])
    );

    // A set's name that is not UTF-8 cannot be a `String` key.
    let names = evaluator
        .eval_str(r#"builtins.listToAttrs [ { name = builtins.substring 0 1 "ü"; value = 1; } ]"#)
        .unwrap();
    assert!(evaluator
        .from_value::<BTreeMap<String, i64>>(&names)
        .is_err());
    assert_eq!(evaluator.attr_names(&names).unwrap(), [b"\xc3".as_slice()]);
}
