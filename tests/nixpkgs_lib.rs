//! The Nixpkgs library's own test suites, run with Spindle standing in for
//! `nix-instantiate`: the real-world bar for an evaluator (the module
//! system, fixpoints, overlays, `lib.systems`, file sets).
//!
//! The library is kept outside the repository: `../shared/nixpkgs-lib`
//! beside the checkout, or the directory named by `SPINDLE_NIXPKGS_LIB`.
//! Its README lists each suite, its command and what Nix 2.8 does on it;
//! each test here runs one suite exactly so, with a `nix-instantiate` on
//! `PATH` that is the `spindle` binary (a symbolic link for the fiber VM; a
//! script that adds `--vm generator` for the generator VM), and expects
//! what Nix 2.8 gives. Suites that write to a store get a throw-away one
//! (`NIX_STORE_DIR`, `NIX_STATE_DIR`), as the README says.
//!
//! Without the library the tests say so on standard error and check
//! nothing; under CI (`CI` set) or with `SPINDLE_REQUIRE_DATA=1` that is a
//! failure instead.
//!
//! Each suite's time is printed on standard error (`--nocapture` shows it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

mod common;

/// Longer than any suite takes (the file-set suite, the longest, takes
/// about two minutes on Nix 2.8): a hang fails rather than blocks CI.
const TIMEOUT: Duration = Duration::from_secs(900);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vm {
    Fiber,
    Generator,
}

/// What a suite must print for it to pass, as Nix 2.8 does.
enum Expect {
    /// Exactly this on standard output (an evaluation's result).
    Stdout(&'static str),
    /// A line of output that is exactly this (the shell suites' verdict).
    Line(&'static str),
}

struct Suite {
    /// The directory to run in, relative to the library's `lib/`.
    dir: &'static str,
    command: Vec<String>,
    /// Whether the suite gets a throw-away store in its environment.
    store: bool,
    expect: Expect,
}

fn library() -> Option<PathBuf> {
    common::nixpkgs_lib_dir()
}

/// A directory of its own for one run of one suite, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("spindle-nixpkgs-lib-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Store paths are read-only, as in Nix: make them writable first.
        let _ = Command::new("chmod")
            .args(["-R", "u+w"])
            .arg(&self.0)
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Puts a `nix-instantiate` that runs Spindle on `vm` into `bin`.
fn install_nix_instantiate(bin: &Path, vm: Vm) {
    let spindle = env!("CARGO_BIN_EXE_spindle");
    let link = bin.join("nix-instantiate");
    match vm {
        Vm::Fiber => std::os::unix::fs::symlink(spindle, &link).expect("symlink"),
        Vm::Generator => {
            use std::os::unix::fs::PermissionsExt;
            let script = format!(
                "#!/usr/bin/env bash\nexec -a nix-instantiate '{spindle}' --vm generator \"$@\"\n"
            );
            std::fs::write(&link, script).expect("write script");
            std::fs::set_permissions(&link, std::fs::Permissions::from_mode(0o755))
                .expect("chmod script");
        }
    }
}

/// Runs `suite` on `vm`; returns what went wrong, if anything.
fn run(name: &str, suite: &Suite, vm: Vm) -> Result<(), String> {
    let Some(library) = library() else {
        common::data_missing("the Nixpkgs library", common::NIXPKGS_LIB_HINT);
        return Ok(());
    };
    let scratch = Scratch::new(&format!("{name}-{vm:?}"));
    let bin = scratch.0.join("bin");
    install_nix_instantiate(&bin, vm);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(&suite.command[0]);
    command
        .args(&suite.command[1..])
        .current_dir(library.join("lib").join(suite.dir))
        .env("PATH", path)
        .env("TMPDIR", &scratch.0)
        .env_remove("NIX_PATH")
        .env_remove("NIX_ABORT_ON_WARN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "NIX_STORE_DIR",
        "NIX_STATE_DIR",
        "NIX_LOG_DIR",
        "NIX_CONF_DIR",
    ] {
        command.env_remove(var);
    }
    if suite.store {
        let root = &scratch.0;
        command
            .env("TEST_ROOT", root)
            .env("NIX_STORE_DIR", root.join("store"))
            .env("NIX_STATE_DIR", root.join("var"))
            .env("NIX_LOG_DIR", root.join("log"))
            .env("NIX_CONF_DIR", root.join("etc"));
    }
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("spawn: {e}"))?;
    // Read both pipes while the suite runs, so that it never blocks on a
    // full one.
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let (stdout, stderr) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let status = match child.wait_timeout(TIMEOUT).expect("wait") {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {TIMEOUT:?}"));
        }
    };
    let (stdout, stderr) = (
        stdout.join().expect("stdout reader"),
        stderr.join().expect("stderr reader"),
    );
    eprintln!(
        "{name} on the {vm:?} VM: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let tail = |text: &str| {
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    };
    let passed = status.success()
        && match suite.expect {
            Expect::Stdout(expected) => stdout == expected,
            Expect::Line(expected) => (stdout.lines().chain(stderr.lines())).any(|l| l == expected),
        };
    if passed {
        Ok(())
    } else {
        Err(format!(
            "{status}\n--- stdout (end)\n{}\n--- stderr (end)\n{}",
            tail(&stdout),
            tail(&stderr)
        ))
    }
}

fn words(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn check(name: &str, suite: Suite) {
    let mut failures = Vec::new();
    for vm in [Vm::Fiber, Vm::Generator] {
        if vm == Vm::Generator && !cfg!(feature = "generator-vm") {
            continue;
        }
        if let Err(why) = run(name, &suite, vm) {
            failures.push(format!("{name} on the {vm:?} VM: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn misc_nix() {
    check(
        "misc.nix",
        Suite {
            dir: "tests",
            command: words(&["nix-instantiate", "--eval", "--strict", "misc.nix"]),
            // One of its tests expects the default store directory.
            store: false,
            expect: Expect::Stdout("[ ]\n"),
        },
    );
}

#[test]
fn systems_nix() {
    check(
        "systems.nix",
        Suite {
            dir: "tests",
            command: words(&["nix-instantiate", "--eval", "--strict", "systems.nix"]),
            store: true,
            expect: Expect::Stdout("[ ]\n"),
        },
    );
}

#[test]
fn fetchers_nix() {
    check(
        "fetchers.nix",
        Suite {
            dir: "tests",
            command: words(&["nix-instantiate", "--eval", "--strict", "fetchers.nix"]),
            store: true,
            expect: Expect::Stdout("[ ]\n"),
        },
    );
}

#[test]
fn modules_sh() {
    // Every one of the 346 checks passes on Nix 2.8; the script exits
    // non-zero when any fails.
    check(
        "modules.sh",
        Suite {
            dir: "tests",
            command: words(&["bash", "modules.sh"]),
            store: true,
            expect: Expect::Line("346 Pass"),
        },
    );
}

#[test]
fn filesystem_sh() {
    check(
        "filesystem.sh",
        Suite {
            dir: "tests",
            command: words(&["bash", "filesystem.sh"]),
            store: true,
            expect: Expect::Line("tests ok"),
        },
    );
}

#[test]
fn sources_sh() {
    check(
        "sources.sh",
        Suite {
            dir: "tests",
            command: words(&["bash", "sources.sh"]),
            store: true,
            expect: Expect::Line("tests ok"),
        },
    );
}

#[test]
fn network_sh() {
    check(
        "network.sh",
        Suite {
            dir: "tests",
            command: words(&["bash", "network.sh"]),
            store: true,
            expect: Expect::Line("tests ok"),
        },
    );
}

#[test]
fn fileset_tests_sh() {
    check(
        "fileset/tests.sh",
        Suite {
            dir: "fileset",
            command: words(&["bash", "tests.sh"]),
            store: true,
            expect: Expect::Line("tests ok"),
        },
    );
}

#[test]
fn path_unit_nix() {
    let libpath = library().map(|l| l.join("lib").display().to_string());
    let libpath = libpath.unwrap_or_default();
    check(
        "path/tests/unit.nix",
        Suite {
            dir: "path/tests",
            command: words(&[
                "nix-instantiate",
                "--eval",
                "--show-trace",
                "--argstr",
                "libpath",
                &libpath,
                "unit.nix",
            ]),
            store: true,
            expect: Expect::Stdout("\"Unit tests successful\"\n"),
        },
    );
}

#[test]
fn path_prop_sh() {
    // A fixed seed keeps the run reproducible; the script picks a random
    // one without it.
    check(
        "path/tests/prop.sh",
        Suite {
            dir: "path/tests",
            command: words(&["bash", "prop.sh", "20261204"]),
            store: true,
            expect: Expect::Line("tests ok"),
        },
    );
}
