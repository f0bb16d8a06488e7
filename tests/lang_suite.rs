//! Runs the upstream Nix language test suite against the `spindle` binary,
//! exactly as the suite's README describes (working directory, flags,
//! environment, `/pwd` normalisation, byte-exact comparison).
//!
//! The suite is data read from outside the repository: by default
//! `../shared/nix-lang-tests` next to the checkout, or the directory named
//! by `SPINDLE_LANG_TESTS`. Tests expected to fail are listed, with their
//! reasons, in `tests/lang-known-failures.txt`; this test fails when any other
//! test fails, and also when a listed test passes, so that the list only
//! shrinks.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{discover, passing_on_nix_2_8, run_all, suite_dir, Kind};

/// `name  reason` lines; `#` starts a comment.
fn known_failures() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lang-known-failures.txt");
    let text = std::fs::read_to_string(path).expect("tests/lang-known-failures.txt");
    text.lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("generator-vm/"))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((name, reason)) => (name.to_string(), reason.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

#[test]
fn nix_language_suite() {
    let Some(root) = suite_dir() else {
        common::data_missing("the Nix language suite", common::SUITE_HINT);
        return;
    };
    let cases = discover(&root.join("lang"));
    let results = run_all(&root, &cases, &[]);
    let known = known_failures();

    let mut counts: BTreeMap<Kind, (usize, usize)> = BTreeMap::new();
    let mut unexpected_failures = Vec::new();
    let mut unexpected_passes = Vec::new();
    for (name, (kind, outcome)) in &results {
        let entry = counts.entry(*kind).or_default();
        entry.1 += 1;
        if outcome.passed {
            entry.0 += 1;
            if known.contains_key(name) {
                unexpected_passes.push(name.clone());
            }
        } else if !known.contains_key(name) {
            unexpected_failures.push(format!("{name}: {}", outcome.detail));
        }
    }
    for name in known.keys() {
        assert!(
            results.contains_key(name),
            "known-failures list names a test that does not exist: {name}"
        );
    }
    let reference = passing_on_nix_2_8(&root);
    let okay_of_reference = reference
        .iter()
        .filter(|n| results.get(*n).is_some_and(|(_, o)| o.passed))
        .count();
    eprintln!("\nNix language suite:");
    for (kind, (passed, total)) in &counts {
        eprintln!("  {kind:?}: {passed}/{total} pass");
    }
    eprintln!(
        "  eval-okay tests that pass on Nix 2.8: {okay_of_reference}/{} pass here",
        reference.len()
    );
    eprintln!("  known failures listed: {}", known.len());
    if std::env::var_os("SPINDLE_LANG_VERBOSE").is_some() {
        for (name, (_, outcome)) in &results {
            if !outcome.passed {
                eprintln!("  FAIL {name}: {}", outcome.detail);
            }
        }
    }
    assert!(
        unexpected_failures.is_empty() && unexpected_passes.is_empty(),
        "\nunexpected failures ({}):\n  {}\nlisted as known failures but passing now (remove them from tests/lang-known-failures.txt) ({}):\n  {}\n",
        unexpected_failures.len(),
        unexpected_failures.join("\n  "),
        unexpected_passes.len(),
        unexpected_passes.join("\n  ")
    );
}
