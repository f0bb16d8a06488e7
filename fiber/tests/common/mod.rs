//! Running a test's damage in a child process: the test binary re-runs itself on one
//! test with `SPINDLE_FIBER_CHILD` set, and the child, seeing it, does the damage
//! (overflows a stack, limits its own address space) where it harms no other test.
//! Also included by the evaluator's `tests/no_stack.rs`.

// Not every suite that includes this module uses all of it.
#![allow(dead_code)]

use std::process::{Command, Output};

const CHILD_VAR: &str = "SPINDLE_FIBER_CHILD";

/// Runs `test` in a child process of this test binary, with `CHILD_VAR=mode`.
pub fn run_child(test: &str, mode: &str) -> Output {
    let exe = std::env::current_exe().unwrap();
    // Under user-mode emulation the child must be started through the same runner
    // (qemu), which the aarch64 CI script exports.
    let runner = if cfg!(target_arch = "aarch64") {
        std::env::var("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER").ok()
    } else {
        None
    };
    let mut command = match runner.as_deref().map(str::split_whitespace) {
        Some(mut words) => {
            let mut c = Command::new(words.next().unwrap());
            c.args(words).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, mode)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

pub fn child_mode() -> Option<String> {
    std::env::var(CHILD_VAR).ok()
}

/// The address space the process has mapped now, in bytes.
#[cfg(target_arch = "x86_64")]
fn mapped_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmSize:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Limits the address space to what is mapped now plus `headroom` bytes.
#[cfg(target_arch = "x86_64")]
pub fn limit_address_space(headroom: u64) {
    use rustix::process::{setrlimit, Resource, Rlimit};
    let limit = mapped_bytes() + headroom;
    setrlimit(
        Resource::As,
        Rlimit {
            current: Some(limit),
            maximum: Some(limit),
        },
    )
    .unwrap();
}

/// Runs `test` in a child with `mode` and checks that the child's own assertions held.
pub fn assert_child_passes(test: &str, mode: &str) {
    let out = run_child(test, mode);
    assert!(
        out.status.success(),
        "child {mode}: {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
