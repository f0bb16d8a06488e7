//! `grow`, `run`, budgets and panics.

use std::panic::{catch_unwind, AssertUnwindSafe};

use spindle_fiber::{
    current_stats, ensure_sufficient_stack, grow, on_new_segment, pool, remaining_stack, run,
    StackExhausted, Step, Task, TaskConfig, RED_ZONE, SEGMENT_SIZE,
};

/// Recursion whose every level goes through `grow`; returns the depth reached.
#[inline(never)]
fn depth(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    grow(|| depth(n - 1)).expect("budget") + 1
}

/// Like `depth`, but propagates exhaustion as an error.
#[inline(never)]
fn fallible(n: u64) -> Result<u64, StackExhausted> {
    if n == 0 {
        return Ok(0);
    }
    Ok(ensure_sufficient_stack(|| fallible(n - 1))? + 1)
}

fn assert_pool_clean() {
    let stats = pool::stats();
    assert_eq!(
        stats.in_use_segments, 0,
        "segments still checked out: {stats:?}"
    );
}

#[test]
fn ten_million_levels_inside_a_task() {
    let n = 10_000_000;
    let mut task: Task<(), (), _> = Task::new(TaskConfig::default(), move |()| {
        let result = depth(n);
        (result, current_stats().unwrap().peak_segments)
    })
    .unwrap();
    let Step::Finished((result, peak)) = task.resume(()) else {
        panic!("task suspended")
    };
    assert_eq!(result, n);
    assert!(peak > 10, "expected many segments, got {peak}");
    assert_eq!(task.stats().peak_segments, peak);
    assert_eq!(task.stats().segments_in_use, 0);
    drop(task);
    assert_pool_clean();
}

#[test]
fn deep_recursion_from_a_plain_thread_stack() {
    // A small thread stack: grow moves off it at the first call.
    let handle = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(|| {
            assert_eq!(remaining_stack(), None);
            assert_eq!(current_stats(), None);
            let result = depth(1_000_000);
            assert_pool_clean();
            // Trimmed: at most KEEP_HOT free segments still resident.
            assert!(pool::stats().hot_segments <= pool::KEEP_HOT);
            result
        })
        .unwrap();
    assert_eq!(handle.join().unwrap(), 1_000_000);
}

#[test]
fn run_returns_and_reports_stats() {
    let config = TaskConfig {
        stack_budget: 256 * SEGMENT_SIZE,
    };
    let (result, stats) = run(config, || {
        let first = current_stats().unwrap();
        assert_eq!(first.segments_in_use, 1);
        assert!(remaining_stack().unwrap() > 0);
        (depth(200_000), current_stats().unwrap())
    })
    .unwrap();
    assert_eq!(result, 200_000);
    assert_eq!(stats.segments_in_use, 1);
    assert!(stats.peak_segments > 1);
    assert_eq!(stats.segment_size, SEGMENT_SIZE);
    assert_eq!(stats.budget, 256 * SEGMENT_SIZE);
    assert_pool_clean();
}

#[test]
fn budget_exhaustion_is_an_error() {
    let budget = 3 * SEGMENT_SIZE;
    let outcome = run(
        TaskConfig {
            stack_budget: budget,
        },
        || {
            let r = fallible(100_000_000);
            (r, current_stats().unwrap())
        },
    )
    .unwrap();
    assert_eq!(outcome.0, Err(StackExhausted { budget }));
    assert_eq!(outcome.1.peak_segments, 3);
    assert_eq!(outcome.1.segments_in_use, 1);
    assert_eq!(
        StackExhausted { budget }.to_string(),
        format!("fiber stack budget of {budget} bytes exhausted")
    );
    assert_pool_clean();

    // Inside a task too, and the task stays usable afterwards.
    let mut task: Task<(), (), _> = Task::new(
        TaskConfig {
            stack_budget: budget,
        },
        |()| {
            let err = fallible(100_000_000).unwrap_err();
            let again = fallible(1000).unwrap();
            (err, again)
        },
    )
    .unwrap();
    assert_eq!(
        task.resume(()),
        Step::Finished((StackExhausted { budget }, 1000))
    );
    drop(task);
    assert_pool_clean();
}

#[test]
fn a_budget_below_one_segment_still_gets_its_root() {
    let r = run(TaskConfig { stack_budget: 1 }, || {
        (grow(|| 1).unwrap(), on_new_segment(|| 2))
    })
    .unwrap();
    assert_eq!(r, (1, Err(StackExhausted { budget: 1 })));
    assert_pool_clean();
}

#[test]
fn panic_at_depth_reaches_the_caller_of_run() {
    #[inline(never)]
    fn boom(n: u64) -> u64 {
        if n == 0 {
            std::panic::panic_any(String::from("boom at the bottom"));
        }
        grow(|| boom(n - 1)).unwrap() + 1
    }
    let err = catch_unwind(AssertUnwindSafe(|| {
        run(TaskConfig::default(), || boom(300_000)).unwrap()
    }))
    .unwrap_err();
    assert_eq!(err.downcast_ref::<String>().unwrap(), "boom at the bottom");
    assert_pool_clean();

    // From a plain stack through an implicit root.
    let err = catch_unwind(AssertUnwindSafe(|| boom(300_000))).unwrap_err();
    assert_eq!(err.downcast_ref::<String>().unwrap(), "boom at the bottom");
    assert_pool_clean();
}

#[test]
fn forced_segments_nest_and_unwind() {
    let r = run(TaskConfig::default(), || {
        on_new_segment(|| {
            let inner = on_new_segment(|| current_stats().unwrap().segments_in_use).unwrap();
            (inner, current_stats().unwrap().segments_in_use)
        })
        .unwrap()
    })
    .unwrap();
    assert_eq!(r, (3, 2));
    assert_pool_clean();
}

#[test]
fn grow_switches_exactly_at_the_red_zone() {
    // Burn stack in ~1 KiB steps without checks, and check that remaining_stack
    // reaches 0 exactly when grow starts using a new segment.
    #[inline(never)]
    fn burn() -> (usize, usize) {
        let pad = std::hint::black_box([0u8; 1024]);
        if remaining_stack().unwrap() == 0 {
            let before = current_stats().unwrap().segments_in_use;
            let after = grow(|| current_stats().unwrap().segments_in_use).unwrap();
            return (before, after + pad[0] as usize);
        }
        burn()
    }
    let (before, after) = run(TaskConfig::default(), burn).unwrap();
    assert_eq!(after, before + 1);
    const { assert!(RED_ZONE >= 64 * 1024) };
}

#[test]
fn many_threads_run_concurrently() {
    let threads: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let mut total = 0;
                for _ in 0..3 {
                    total += run(TaskConfig::default(), || depth(100_000 + i)).unwrap();
                }
                assert_pool_clean();
                total
            })
        })
        .collect();
    for (i, t) in threads.into_iter().enumerate() {
        assert_eq!(t.join().unwrap(), 3 * (100_000 + i as u64));
    }
}

#[test]
fn pool_reuses_segments_and_trims_to_the_hot_few() {
    // A fresh thread has a fresh pool.
    std::thread::spawn(|| {
        let fresh = pool::stats();
        assert_eq!(fresh.mapped_segments(), 0);
        assert_eq!(fresh.segment_size, SEGMENT_SIZE);
        let peak = run(TaskConfig::default(), || {
            depth(300_000);
            current_stats().unwrap().peak_segments
        })
        .unwrap();
        assert!(
            peak > pool::KEEP_HOT,
            "need more segments than are kept hot"
        );
        let after = pool::stats();
        assert_eq!(after.in_use_segments, 0);
        assert_eq!(after.free_segments, peak);
        assert_eq!(after.hot_segments, pool::KEEP_HOT);
        assert!(after.resident_bound_bytes() <= pool::KEEP_HOT * SEGMENT_SIZE);
        assert!(after.region_bytes >= 64 << 20);

        // The same recursion again reuses the same segments: none is carved anew.
        run(TaskConfig::default(), || depth(300_000)).unwrap();
        assert_eq!(pool::stats().free_segments, peak);

        // Segments held by a suspended task are counted as in use.
        let mut task: Task<(), (), ()> = Task::new(TaskConfig::default(), |()| {
            on_new_segment(|| spindle_fiber::suspend::<(), ()>(()).unwrap()).unwrap()
        })
        .unwrap();
        task.resume(());
        assert_eq!(pool::stats().in_use_segments, 2);
        assert_eq!(task.stats().segments_in_use, 2);
        task.resume(());
        assert_eq!(pool::stats().in_use_segments, 0);
        pool::trim();
        assert!(pool::stats().hot_segments <= pool::KEEP_HOT);
    })
    .join()
    .unwrap();
}
