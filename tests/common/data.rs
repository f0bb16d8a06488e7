//! What a test does when data kept outside the repository is missing.
//! Shared with the fuzz corpus replay (`fuzz-targets/tests/replay.rs`),
//! which includes this file by path.

use std::path::{Path, PathBuf};

/// A folder of data kept outside the repository: the one the environment
/// variable `var` names, or `../shared/<name>` beside the checkout at
/// `repo`. Whether it is there is for the caller to check.
pub fn shared_dir(repo: &Path, var: &str, name: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(dir) => PathBuf::from(dir),
        None => repo.join("../shared").join(name),
    }
}

/// What a test does when data kept outside the repository is missing:
/// under CI (`CI` set) or with `SPINDLE_REQUIRE_DATA=1` it fails, naming
/// what is missing and how to give it; elsewhere it says on standard error
/// that it checks nothing.
pub fn data_missing(what: &str, how: &str) {
    if std::env::var_os("CI").is_some()
        || std::env::var("SPINDLE_REQUIRE_DATA").is_ok_and(|v| v == "1")
    {
        panic!("{what} was not found: {how}");
    }
    eprintln!("\n*** SKIPPED: {what} was not found ({how}) ***\n");
}
