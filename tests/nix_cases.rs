//! Spindle's own Nix test cases: every `tests/nix/**/NAME.nix` is evaluated
//! with `spindle eval --strict`.
//!
//! - With `NAME.exp`: the evaluation must succeed and print exactly that
//!   (the expected outputs were produced by `nix-instantiate --eval --strict`).
//! - With `NAME.err`: the evaluation must fail with exit status 1, and every
//!   non-empty line of `NAME.err` must appear in the error output.
//! - With `NAME.flags`: extra command-line flags, one line.
//!
//! Every case runs on both VMs: the fiber VM (the default) and the
//! generator VM (`--vm generator`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read tests/nix") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "nix")
            && (path.with_extension("exp").exists() || path.with_extension("err").exists())
        {
            out.push(path);
        }
    }
}

fn check(case: &Path, extra_args: &[&str]) -> Result<(), String> {
    let dir = case.parent().expect("case dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spindle"));
    cmd.current_dir(dir)
        .env("SPINDLE_TEST_VAR", "hello")
        .arg("eval")
        .args(extra_args)
        .arg("--strict");
    if let Ok(flags) = std::fs::read_to_string(case.with_extension("flags")) {
        cmd.args(flags.split_whitespace());
    }
    cmd.arg(case.file_name().expect("name"));
    let output = cmd.output().map_err(|e| format!("spawn: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code();
    // Compared as bytes: Nix strings need not be UTF-8, nor what prints them.
    if let Ok(expected) = std::fs::read(case.with_extension("exp")) {
        if code != Some(0) {
            return Err(format!("exit {code:?}, expected success\n{stderr}"));
        }
        if output.stdout != expected {
            return Err(format!(
                "printed\n  {}expected\n  {}",
                output.stdout.escape_ascii(),
                expected.escape_ascii()
            ));
        }
    } else {
        let expected = std::fs::read_to_string(case.with_extension("err")).expect("NAME.err");
        if code != Some(1) {
            return Err(format!(
                "exit {code:?}, expected 1\nstdout: {stdout}\nstderr: {stderr}"
            ));
        }
        for line in expected.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !stderr.contains(line) {
                return Err(format!("error output lacks {line:?}:\n{stderr}"));
            }
        }
    }
    Ok(())
}

/// Runs every case with `extra_args`, except those in `skip` (paths
/// relative to tests/nix); panics listing the failures.
fn run_cases(extra_args: &[&str], skip: &[String]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nix");
    let mut cases = Vec::new();
    collect(&root, &mut cases);
    cases.sort();
    assert!(!cases.is_empty(), "no cases under tests/nix");
    cases.retain(|c| {
        let rel = c.strip_prefix(&root).unwrap_or(c).display().to_string();
        !skip.contains(&rel)
    });
    let outcomes = common::in_parallel(&cases, |case| check(case, extra_args));
    let failures: Vec<String> = (cases.iter().zip(outcomes))
        .filter_map(|(case, outcome)| {
            outcome.err().map(|e| {
                format!(
                    "{}: {e}",
                    case.strip_prefix(&root).unwrap_or(case).display()
                )
            })
        })
        .collect();
    eprintln!("{} cases, {} failed", cases.len(), failures.len());
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn nix_cases() {
    run_cases(&[], &[]);
}

#[cfg(feature = "generator-vm")]
#[test]
fn nix_cases_generator_vm() {
    common::require_binary_flag("--vm");
    run_cases(&["--vm", "generator"], &generator_gaps());
}

#[cfg(feature = "generator-vm")]
/// Cases the generator VM is known not to pass, from the one known-failures
/// list (lines `generator-vm/nix:PATH  REASON`).
fn generator_gaps() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lang-known-failures.txt");
    std::fs::read_to_string(path)
        .expect("tests/lang-known-failures.txt")
        .lines()
        .filter_map(|l| l.strip_prefix("generator-vm/nix:"))
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect()
}
