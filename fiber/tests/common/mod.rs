//! Running a test's damage in a child process: the test binary re-runs itself on one
//! test with `SPINDLE_FIBER_CHILD` set, and the child, seeing it, does the damage
//! (overflows a stack, limits its own address space) where it harms no other test.

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
