//! Source files larger than the part the evaluator parses alone first
//! (`spindle::context::PROBE_BYTES`): an error that the beginning decides
//! is reported as the whole file's, and everything else is read whole and
//! evaluated as usual, however the cut falls.

use std::path::Path;

use spindle::context::PROBE_BYTES;
use spindle::Evaluator;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The error evaluating `path` gives, rendered.
fn error_of(path: &Path) -> String {
    let evaluator = Evaluator::builder().build();
    let error = evaluator.eval_file(path).expect_err("the file must fail");
    evaluator.context().render_error(&error, false)
}

fn value_of(path: &Path) -> String {
    let evaluator = Evaluator::builder().build();
    let value = evaluator.eval_file(path).unwrap();
    let value = evaluator.deep_force(&value).unwrap();
    spindle::print::print_value(&value).unwrap().to_string()
}

/// Text of at least `len` bytes: a list of `1`s.
fn long_list(len: usize) -> String {
    format!("[ {}]", "1 ".repeat(len / 2))
}

#[test]
fn deep_nesting_at_the_start_is_the_whole_files_error() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 20_000;
    let nested = format!("{}{}", "(".repeat(depth), ")".repeat(depth));
    // The same nesting, once in a small file and once followed by more
    // than the probe's worth of text.
    let small = write(
        dir.path(),
        "small.nix",
        &format!("{nested} {}", long_list(8)),
    );
    let large = write(
        dir.path(),
        "large.nix",
        &format!("{nested} {}", long_list(3 * PROBE_BYTES)),
    );
    let small_error = error_of(&small);
    let large_error = error_of(&large);
    assert!(small_error.contains("nested too deeply"), "{small_error}");
    assert_eq!(
        small_error.replace("small.nix", "large.nix").lines().nth(1),
        large_error.lines().nth(1),
        "the same place"
    );
}

#[test]
fn large_valid_files_are_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(dir.path(), "list.nix", &long_list(2 * PROBE_BYTES));
    let length = Evaluator::builder()
        .build()
        .eval_str(&format!("builtins.length (import {})", list.display()))
        .unwrap();
    assert_eq!(length.as_int(), Some(PROBE_BYTES as i64));

    // A string, a comment and a path that run across the cut.
    let filler = "x".repeat(PROBE_BYTES);
    let cases = [
        (format!("\"{filler}\""), format!("\"{filler}\"")),
        (format!("/* {filler} */ 1"), "1".to_string()),
        (format!("''\n  {filler}\n''"), format!("\"{filler}\\n\"")),
    ];
    for (i, (source, expected)) in cases.iter().enumerate() {
        let path = write(dir.path(), &format!("case{i}.nix"), source);
        assert_eq!(&value_of(&path), expected, "case {i}");
    }
}

#[test]
fn errors_past_the_cut_are_found_in_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    // The beginning alone ends too early; the whole file fails further on.
    let text = format!("{} ) ", long_list(2 * PROBE_BYTES));
    let path = write(dir.path(), "late.nix", &text);
    let error = error_of(&path);
    assert!(
        error.contains("syntax error") || error.contains("unexpected"),
        "{error}"
    );
    let column = text.len() - 1;
    assert!(error.contains(&format!("late.nix:1:{column}")), "{error}");
}
