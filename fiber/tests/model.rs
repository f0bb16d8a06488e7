//! Property test: random interleavings of task creation, resumes from random depths,
//! panics, drops and plain `grow` recursion, checked against a model, with the pool's
//! invariants checked after every step.

use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};

use proptest::prelude::*;
use spindle_fiber::{grow, pool, suspend, with_frame, Step, Task, TaskConfig};

/// What a task is told to do on its next resume.
#[derive(Clone, Copy, Debug)]
enum Cmd {
    /// Recurse this deep (pushing one frame record per level), then suspend with
    /// `value + depth`.
    Dive(u32, u64),
    /// Recurse this deep and panic.
    Panic(u32),
    /// Return the number of dives done.
    Finish,
}

#[derive(Clone, Debug)]
enum Op {
    New,
    Resume(usize, Cmd),
    Drop(usize),
    PlainGrow(u32),
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        6 => (0..20_000u32, any::<u32>()).prop_map(|(d, v)| Cmd::Dive(d, v as u64)),
        1 => (0..20_000u32).prop_map(Cmd::Panic),
        1 => Just(Cmd::Finish),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::New),
        6 => (any::<usize>(), cmd()).prop_map(|(i, c)| Op::Resume(i, c)),
        1 => any::<usize>().prop_map(Op::Drop),
        1 => (0..200_000u32).prop_map(Op::PlainGrow),
    ]
}

#[inline(never)]
fn dive(depth: u32, level: u32, value: u64) -> Cmd {
    with_frame(&level, || {
        if level == depth {
            return suspend::<u64, Cmd>(value + depth as u64).expect("in a task");
        }
        grow(|| dive(depth, level + 1, value)).expect("budget")
    })
}

#[inline(never)]
fn dive_and_panic(depth: u32) -> u32 {
    if depth == 0 {
        std::panic::panic_any(0xdead_u32);
    }
    grow(|| dive_and_panic(depth - 1)).unwrap() + 1
}

#[inline(never)]
fn plain(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    grow(|| plain(n - 1)).unwrap() + 1
}

type ModelTask = Task<'static, u64, Cmd, u64>;

fn new_task() -> ModelTask {
    Task::new(TaskConfig::default(), |mut cmd: Cmd| {
        let mut dives = 0;
        loop {
            match cmd {
                Cmd::Dive(depth, value) => {
                    dives += 1;
                    cmd = dive(depth, 0, value);
                }
                Cmd::Panic(depth) => {
                    dive_and_panic(depth);
                }
                Cmd::Finish => return dives,
            }
        }
    })
    .unwrap()
}

struct Live {
    task: ModelTask,
    dives: u64,
    /// Depth of the pending suspend, if suspended.
    suspended_at: Option<u32>,
}

fn check_pool(live: &[Live]) -> Result<(), TestCaseError> {
    let held: usize = live.iter().map(|l| l.task.stats().segments_in_use).sum();
    let stats = pool::stats();
    prop_assert_eq!(stats.in_use_segments, held);
    for l in live {
        let s = l.task.stats();
        prop_assert!(s.segments_in_use >= 1 && s.segments_in_use <= s.peak_segments);
        let mut levels = Vec::new();
        l.task.walk_frames(|p| {
            levels.push(*p.downcast_ref::<u32>().unwrap());
            ControlFlow::Continue(())
        });
        match l.suspended_at {
            Some(depth) => {
                let expected: Vec<u32> = (0..=depth).rev().collect();
                prop_assert_eq!(levels, expected);
            }
            None => prop_assert!(levels.is_empty()),
        }
    }
    Ok(())
}

fn run_ops(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut live: Vec<Live> = Vec::new();
    for op in ops {
        match op {
            Op::New => live.push(Live {
                task: new_task(),
                dives: 0,
                suspended_at: None,
            }),
            Op::Resume(i, cmd) if !live.is_empty() => {
                let i = i % live.len();
                let l = &mut live[i];
                match cmd {
                    Cmd::Dive(depth, value) => {
                        prop_assert_eq!(l.task.resume(cmd), Step::Suspended(value + depth as u64));
                        l.dives += 1;
                        l.suspended_at = Some(depth);
                    }
                    Cmd::Finish => {
                        prop_assert_eq!(l.task.resume(cmd), Step::Finished(l.dives));
                        prop_assert!(l.task.is_finished());
                        prop_assert_eq!(l.task.stats().segments_in_use, 0);
                        live.swap_remove(i);
                    }
                    Cmd::Panic(_) => {
                        let err =
                            catch_unwind(AssertUnwindSafe(|| l.task.resume(cmd))).unwrap_err();
                        prop_assert_eq!(err.downcast_ref::<u32>(), Some(&0xdead));
                        prop_assert!(l.task.is_finished());
                        live.swap_remove(i);
                    }
                }
            }
            Op::Drop(i) if !live.is_empty() => {
                let i = i % live.len();
                drop(live.swap_remove(i));
            }
            Op::PlainGrow(n) => prop_assert_eq!(plain(n), n),
            _ => {}
        }
        check_pool(&live)?;
    }
    drop(live);
    let stats = pool::stats();
    prop_assert_eq!(stats.in_use_segments, 0);
    prop_assert!(stats.hot_segments <= stats.free_segments);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_grow_suspend_resume_drop(ops in proptest::collection::vec(op(), 1..24)) {
        run_ops(ops)?;
    }
}
