//! The bodies of Spindle's fuzz targets, written once.
//!
//! Each target is a function of the input bytes that returns normally for
//! every input: a clean error is fine, while a panic, a hang or a runaway
//! allocation is a finding. The cargo-fuzz targets in `fuzz/` call these
//! functions under libFuzzer (nightly); `tests/replay.rs` feeds them every
//! saved corpus file on stable Rust, so CI replays what fuzzing found.
//!
//! Evaluations run with [`FUEL`] steps, a [`STACK_BUDGET`] and a
//! [`HEAP_CAP`], so that a program that runs away ends in a resource
//! error, not a timeout or an out-of-memory kill.

#![forbid(unsafe_code)]

mod common;
pub mod eval;
pub mod json;
pub mod parse;
pub mod regex;
pub mod serde_roundtrip;
pub mod store;
pub mod toml;

/// A target: its name (the directory of its corpus) and its body.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
}

/// Every target, by the name of its cargo-fuzz binary and corpus directory.
pub const TARGETS: &[Target] = &[
    Target {
        name: "parse",
        run: parse::run,
    },
    Target {
        name: "eval",
        run: eval::run,
    },
    Target {
        name: "from_json",
        run: json::run,
    },
    Target {
        name: "from_toml",
        run: toml::run,
    },
    Target {
        name: "regex",
        run: regex::run,
    },
    Target {
        name: "store",
        run: store::run,
    },
    Target {
        name: "serde",
        run: serde_roundtrip::run,
    },
];

pub use common::{FUEL, HEAP_CAP, STACK_BUDGET};
