//! The SIGSEGV guard, checked in child processes: each test re-runs this test binary
//! with `SPINDLE_FIBER_CHILD` set, and the child does the damage.

mod common;

use std::process::Output;

use common::{child_mode, run_child};

use spindle_fiber::{
    install_overflow_guard, on_large_stack, run, Task, TaskConfig, OVERFLOW_EXIT_CODE,
    OVERFLOW_MESSAGE,
};

/// Recursion that never calls `grow`: it must run off the end of its stack.
#[inline(never)]
fn unchecked(n: u64) -> u64 {
    if n == u64::MAX {
        return 0;
    }
    let pad = std::hint::black_box([n as u8; 256]);
    std::hint::black_box(unchecked(n + 1)) + pad[7] as u64
}

fn assert_overflow_report(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(OVERFLOW_EXIT_CODE),
        "status {:?}, stderr:\n{stderr}",
        out.status
    );
    assert!(
        stderr.lines().any(|l| l == OVERFLOW_MESSAGE),
        "stderr:\n{stderr}"
    );
}

#[test]
fn overflow_in_a_task_is_reported() {
    if child_mode().as_deref() == Some("task") {
        install_overflow_guard().unwrap();
        let mut task: Task<(), (), u64> =
            Task::new(TaskConfig::default(), |()| unchecked(0)).unwrap();
        task.resume(());
        unreachable!("the recursion cannot return");
    }
    assert_overflow_report(&run_child("overflow_in_a_task_is_reported", "task"));
}

#[test]
fn overflow_on_another_thread_is_reported() {
    if child_mode().as_deref() == Some("thread") {
        install_overflow_guard().unwrap();
        // A thread not made by std::thread would have no alternate signal stack;
        // std's threads have one, and run() makes sure of it either way.
        std::thread::spawn(|| run(TaskConfig::default(), || unchecked(0)).unwrap())
            .join()
            .unwrap();
        unreachable!("the recursion cannot return");
    }
    assert_overflow_report(&run_child(
        "overflow_on_another_thread_is_reported",
        "thread",
    ));
}

#[test]
fn overflow_of_a_large_stack_is_reported() {
    if child_mode().as_deref() == Some("large") {
        install_overflow_guard().unwrap();
        install_overflow_guard().unwrap(); // idempotent
        on_large_stack(1 << 20, || unchecked(0)).unwrap();
        unreachable!("the recursion cannot return");
    }
    assert_overflow_report(&run_child("overflow_of_a_large_stack_is_reported", "large"));
}

#[test]
fn other_faults_go_to_the_previous_handler() {
    if child_mode().as_deref() == Some("null") {
        install_overflow_guard().unwrap();
        run(TaskConfig::default(), || {
            let p = std::hint::black_box(std::ptr::null_mut::<u64>());
            // SAFETY: deliberately not: this child must die of SIGSEGV.
            unsafe { p.write_volatile(1) };
        })
        .unwrap();
        unreachable!("the write must fault");
    }
    let out = run_child("other_faults_go_to_the_previous_handler", "null");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(OVERFLOW_EXIT_CODE), "{stderr}");
    assert!(!out.status.success());
    assert!(!stderr.contains(OVERFLOW_MESSAGE), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{stderr}");
    }
}

#[test]
fn thread_stack_overflow_still_reported_by_rust() {
    if child_mode().as_deref() == Some("thread-stack") {
        install_overflow_guard().unwrap();
        std::thread::spawn(|| unchecked(0)).join().unwrap();
        unreachable!("the recursion cannot return");
    }
    let out = run_child(
        "thread_stack_overflow_still_reported_by_rust",
        "thread-stack",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("has overflowed its stack"), "{stderr}");
    assert!(!stderr.contains(OVERFLOW_MESSAGE), "{stderr}");
}

#[test]
fn large_stack_runs_unchecked_recursion() {
    #[inline(never)]
    fn plain(n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            std::hint::black_box(plain(n - 1)) + 1
        }
    }
    assert_eq!(
        on_large_stack(256 << 20, || plain(1_000_000)).unwrap(),
        1_000_000
    );
    let r = std::panic::catch_unwind(|| on_large_stack(1 << 20, || panic!("inside")).unwrap());
    assert!(r.is_err());
}
