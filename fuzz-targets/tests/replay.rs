//! Replays every saved fuzz input on stable Rust: each file of
//! `fuzz/corpus/<target>/` goes to its target's body, as libFuzzer gave it,
//! and so do the project's Nix cases, the Nix language suite and the
//! Nixpkgs library (the seeds the parser and evaluator corpora grew from,
//! read where they are kept: they are not copied into the repository).
//! A panic fails the test, and so does an input that runs longer than
//! [`PER_INPUT`].

#[path = "../../tests/common/data.rs"]
mod data;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use spindle_fuzz_targets::{Target, TARGETS};

/// How long one input may run. Every target stops a runaway evaluation
/// with fuel long before this; only a hang reaches it.
const PER_INPUT: Duration = Duration::from_secs(30);

/// The stack libFuzzer runs a target on (the main thread's).
const THREAD_STACK: usize = 8 << 20;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn target(name: &str) -> &'static Target {
    TARGETS
        .iter()
        .find(|t| t.name == name)
        .expect("a target of that name")
}

/// Runs `target` on one input in a thread of its own; what went wrong, if
/// anything.
fn run_one(target: &'static Target, input: Vec<u8>) -> Option<String> {
    let (done, finished) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name(format!("fuzz-{}", target.name))
        .stack_size(THREAD_STACK)
        .spawn(move || {
            let outcome = std::panic::catch_unwind(|| (target.run)(&input));
            let _ = done.send(outcome.is_ok());
        })
        .expect("spawn a replay thread");
    match finished.recv_timeout(PER_INPUT) {
        Ok(true) => {
            let _ = worker.join();
            None
        }
        Ok(false) | Err(mpsc::RecvTimeoutError::Disconnected) => Some("panicked".into()),
        // The thread is left running: the test fails anyway.
        Err(mpsc::RecvTimeoutError::Timeout) => Some(format!("ran longer than {PER_INPUT:?}")),
    }
}

/// Feeds `files` to `target`, failing with the list of inputs that
/// panicked or hung.
fn replay(target: &'static Target, files: &[PathBuf]) {
    let mut failures = Vec::new();
    for file in files {
        let input = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if let Some(what) = run_one(target, input) {
            failures.push(format!("{}: {what}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs failed the '{}' target:\n{}",
        failures.len(),
        files.len(),
        target.name,
        failures.join("\n")
    );
    eprintln!("'{}': {} inputs replayed", target.name, files.len());
}

/// The files below `dir` (recursively) whose names end in `suffix`, sorted.
fn files_in(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            let kind = std::fs::symlink_metadata(&path)
                .expect("metadata")
                .file_type();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() && path.to_string_lossy().ends_with(suffix) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Replays the saved corpus of the target `name`.
fn replay_corpus(name: &str) {
    let dir = repo().join("fuzz/corpus").join(name);
    let files = files_in(&dir, "");
    assert!(!files.is_empty(), "the corpus {} is empty", dir.display());
    replay(target(name), &files);
}

#[test]
fn corpus_parse() {
    replay_corpus("parse");
}

#[test]
fn corpus_eval() {
    replay_corpus("eval");
}

#[test]
fn corpus_from_json() {
    replay_corpus("from_json");
}

#[test]
fn corpus_from_toml() {
    replay_corpus("from_toml");
}

#[test]
fn corpus_regex() {
    replay_corpus("regex");
}

#[test]
fn corpus_store() {
    replay_corpus("store");
}

#[test]
fn corpus_serde() {
    replay_corpus("serde");
}

/// A directory of seeds kept outside the repository: the one `var` names,
/// or `default` next to the checkout.
fn shared_dir(var: &str, name: &str) -> Option<PathBuf> {
    let dir = data::shared_dir(&repo(), var, name);
    if dir.is_dir() {
        return Some(dir);
    }
    data::data_missing(
        &format!("{} (seeds of the fuzz corpora)", dir.display()),
        &format!("set {var} or put it at ../shared/{name}"),
    );
    None
}

/// The Nix sources the parser and evaluator corpora were seeded from.
fn nix_seeds() -> Vec<PathBuf> {
    let mut files = files_in(&repo().join("tests/nix"), ".nix");
    if let Some(suite) = shared_dir("SPINDLE_LANG_TESTS", "nix-lang-tests") {
        files.extend(files_in(&suite.join("lang"), ".nix"));
    }
    if let Some(lib) = shared_dir("SPINDLE_NIXPKGS_LIB", "nixpkgs-lib") {
        files.extend(files_in(&lib, ".nix"));
    }
    files
}

#[test]
fn seeds_parse() {
    replay(target("parse"), &nix_seeds());
}

#[test]
fn seeds_eval() {
    replay(target("eval"), &nix_seeds());
}
