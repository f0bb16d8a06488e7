//! Tasks: suspend from depth, interleaving, dropping, panics, frames, context.

use std::any::Any;
use std::cell::Cell;
use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};

use spindle_fiber::{
    context, current_stats, grow, in_task, on_new_segment, pool, run, set_context, suspend,
    walk_frames, with_frame, Step, SuspendError, Task, TaskConfig,
};

fn assert_pool_clean() {
    let stats = pool::stats();
    assert_eq!(
        stats.in_use_segments, 0,
        "segments still checked out: {stats:?}"
    );
}

/// Recurses `n` levels through `grow`, suspends at the bottom with `n`, and returns
/// the response plus the depth.
#[inline(never)]
fn dive(n: u64, total: u64) -> u64 {
    if n == 0 {
        let answer: u64 = suspend::<u64, u64>(total).unwrap();
        return answer;
    }
    grow(|| dive(n - 1, total)).unwrap() + 1
}

#[test]
fn suspend_at_a_million_two_tasks_interleaved() {
    let n = 1_000_000;
    let mut a: Task<u64, u64, u64> = Task::new(TaskConfig::default(), move |start| {
        assert_eq!(start, 7);
        dive(n, n)
    })
    .unwrap();
    let mut b: Task<u64, u64, u64> = Task::new(TaskConfig::default(), move |start| {
        assert_eq!(start, 8);
        dive(n / 2, n / 2) + dive(n / 4, n / 4)
    })
    .unwrap();
    assert!(!a.is_finished());
    assert_eq!(b.resume(8), Step::Suspended(n / 2));
    assert_eq!(a.resume(7), Step::Suspended(n));
    let a_stats = a.stats();
    assert!(a_stats.segments_in_use > 10, "{a_stats:?}");
    assert_eq!(b.resume(100), Step::Suspended(n / 4));
    assert_eq!(a.resume(1), Step::Finished(n + 1));
    assert!(a.is_finished());
    assert_eq!(a.stats().segments_in_use, 0);
    assert_eq!(a.stats().peak_segments, a_stats.segments_in_use);
    assert_eq!(b.resume(5), Step::Finished(n / 2 + 100 + n / 4 + 5));
    drop((a, b));
    assert_pool_clean();
}

#[test]
fn many_suspends_from_varying_depths() {
    let mut task: Task<u32, u32, u32> = Task::new(TaskConfig::default(), |mut x| {
        for i in 0..200u32 {
            #[inline(never)]
            fn down(n: u32, x: u32) -> u32 {
                if n == 0 {
                    return suspend::<u32, u32>(x).unwrap();
                }
                grow(|| down(n - 1, x)).unwrap()
            }
            x = down((i * 7919) % 5000, x + 1);
        }
        x
    })
    .unwrap();
    let mut input = 0;
    let mut steps = 0;
    loop {
        match task.resume(input) {
            Step::Suspended(x) => {
                input = (x % 1000) * 2;
                steps += 1;
            }
            Step::Finished(x) => {
                assert_eq!(steps, 200);
                assert_eq!(x, input);
                break;
            }
        }
    }
    drop(task);
    assert_pool_clean();
}

#[test]
fn dropping_a_task_suspended_deep_returns_every_segment() {
    struct Counted<'a>(&'a Cell<u64>);
    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    #[inline(never)]
    fn hold(n: u64, drops: &Cell<u64>) {
        let _guard = Counted(drops);
        if n == 0 {
            suspend::<(), ()>(()).unwrap();
            unreachable!("resumed a task that was dropped");
        }
        grow(|| hold(n - 1, drops)).unwrap();
    }
    let drops = Cell::new(0);
    let before = pool::stats();
    let mut task: Task<(), (), ()> =
        Task::new(TaskConfig::default(), |()| hold(100_000, &drops)).unwrap();
    assert_eq!(task.resume(()), Step::Suspended(()));
    let in_use = task.stats().segments_in_use;
    assert!(in_use > 1);
    assert_eq!(
        pool::stats().in_use_segments,
        before.in_use_segments + in_use
    );
    drop(task);
    assert_eq!(drops.get(), 100_001, "every frame's destructor ran");
    assert_pool_clean();
    assert!(pool::stats().free_segments >= in_use);
}

#[test]
fn dropping_an_unstarted_task_drops_its_closure() {
    let dropped = std::rc::Rc::new(Cell::new(false));
    struct Flag(std::rc::Rc<Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let flag = Flag(dropped.clone());
    let task: Task<(), (), ()> = Task::new(TaskConfig::default(), move |()| drop(flag)).unwrap();
    assert!(!task.is_finished());
    let mut visited = 0;
    task.walk_frames(|_| {
        visited += 1;
        ControlFlow::Continue(())
    });
    assert_eq!(visited, 0);
    drop(task);
    assert!(dropped.get());
    assert_pool_clean();
}

#[test]
fn panic_at_depth_propagates_out_of_resume() {
    #[inline(never)]
    fn boom(n: u64) -> u64 {
        if n == 0 {
            suspend::<&'static str, ()>("about to panic").unwrap();
            panic!("boom at depth");
        }
        grow(|| boom(n - 1)).unwrap() + 1
    }
    let mut task: Task<&'static str, (), u64> =
        Task::new(TaskConfig::default(), |()| boom(200_000)).unwrap();
    assert_eq!(task.resume(()), Step::Suspended("about to panic"));
    let err = catch_unwind(AssertUnwindSafe(|| task.resume(()))).unwrap_err();
    assert_eq!(*err.downcast_ref::<&str>().unwrap(), "boom at depth");
    assert!(task.is_finished());
    assert_eq!(task.stats().segments_in_use, 0);
    // Nothing stays checked out, even though the task object is still alive.
    assert_pool_clean();
    let again = catch_unwind(AssertUnwindSafe(|| task.resume(()))).unwrap_err();
    assert!(again
        .downcast_ref::<&str>()
        .unwrap()
        .contains("already finished"));
}

#[test]
fn resume_after_finish_panics_clearly() {
    let mut task: Task<(), (), i32> = Task::new(TaskConfig::default(), |()| 5).unwrap();
    assert_eq!(task.resume(()), Step::Finished(5));
    let err = catch_unwind(AssertUnwindSafe(|| task.resume(()))).unwrap_err();
    assert_eq!(
        *err.downcast_ref::<&str>().unwrap(),
        "spindle_fiber::Task::resume: the task has already finished"
    );
}

#[test]
fn suspend_errors() {
    assert_eq!(suspend::<(), ()>(()), Err(SuspendError::NotInTask));
    assert!(!in_task());
    run(TaskConfig::default(), || {
        assert!(!in_task());
        assert_eq!(suspend::<(), ()>(()), Err(SuspendError::NotInTask));
    })
    .unwrap();
    let mut task: Task<u8, u16, ()> = Task::new(TaskConfig::default(), |_| {
        assert!(in_task());
        assert_eq!(suspend::<u16, u8>(1), Err(SuspendError::TypeMismatch));
        assert_eq!(suspend::<u8, u8>(1), Err(SuspendError::TypeMismatch));
        // A run inside a task is its own root and cannot suspend.
        run(TaskConfig::default(), || {
            assert_eq!(suspend::<u8, u16>(1), Err(SuspendError::NotInTask));
        })
        .unwrap();
        assert_eq!(suspend::<u8, u16>(2), Ok(300));
    })
    .unwrap();
    assert_eq!(task.resume(0), Step::Suspended(2));
    assert_eq!(task.resume(300), Step::Finished(()));
    assert_eq!(
        SuspendError::NotInTask.to_string(),
        "suspend called outside of a fiber task"
    );
}

#[test]
fn nested_tasks_suspend_the_innermost() {
    let mut outer: Task<&'static str, (), &'static str> = Task::new(TaskConfig::default(), |()| {
        let mut inner: Task<u32, u32, u32> = Task::new(TaskConfig::default(), |x| {
            let y = grow(|| suspend::<u32, u32>(x + 1).unwrap()).unwrap();
            y * 10
        })
        .unwrap();
        assert_eq!(inner.resume(1), Step::Suspended(2));
        // The outer task suspends while the inner one is suspended.
        suspend::<&'static str, ()>("outer").unwrap();
        assert_eq!(inner.resume(3), Step::Finished(30));
        "done"
    })
    .unwrap();
    assert_eq!(outer.resume(()), Step::Suspended("outer"));
    assert_eq!(outer.resume(()), Step::Finished("done"));
    drop(outer);
    assert_pool_clean();
}

#[test]
fn tasks_borrow_from_their_environment() {
    let mut log = Vec::new();
    {
        let log = &mut log;
        let mut task: Task<(), (), ()> = Task::new(TaskConfig::default(), move |()| {
            log.push(1);
            suspend::<(), ()>(()).unwrap();
            log.push(2);
        })
        .unwrap();
        task.resume(());
        task.resume(());
    }
    assert_eq!(log, [1, 2]);
}

#[test]
fn context_is_per_task() {
    let mut a_value = 1u32;
    let mut b_value = 2u32;
    let a_ptr = &mut a_value as *mut u32 as *mut ();
    let b_ptr = &mut b_value as *mut u32 as *mut ();
    let mut a: Task<(), (), *mut ()> = Task::new(TaskConfig::default(), move |()| {
        assert!(context().is_null());
        set_context(a_ptr);
        suspend::<(), ()>(()).unwrap();
        // Seen from a deeper segment too.
        on_new_segment(context).unwrap()
    })
    .unwrap();
    let mut b: Task<(), (), *mut ()> = Task::new(TaskConfig::default(), move |()| {
        set_context(b_ptr);
        suspend::<(), ()>(()).unwrap();
        context()
    })
    .unwrap();
    a.resume(());
    b.resume(());
    assert!(context().is_null());
    assert_eq!(b.resume(()), Step::Finished(b_ptr));
    assert_eq!(a.resume(()), Step::Finished(a_ptr));
}

/// Pushes a record with payload `n` on every level, checking each `every`th level.
#[inline(never)]
fn framed(n: u32, at_bottom: &mut dyn FnMut()) {
    with_frame(&n, || {
        if n == 0 {
            at_bottom();
        } else {
            grow(|| framed(n - 1, at_bottom)).unwrap();
        }
    })
}

fn collect_frames() -> Vec<u32> {
    let mut seen = Vec::new();
    walk_frames(|p: &dyn Any| {
        seen.push(*p.downcast_ref::<u32>().expect("u32 payload"));
        ControlFlow::Continue(())
    });
    seen
}

#[test]
fn walker_sees_exactly_the_pushed_records_across_segments() {
    let n = 50_000u32;
    run(TaskConfig::default(), || {
        assert!(collect_frames().is_empty());
        framed(n, &mut || {
            assert!(current_stats().unwrap().segments_in_use > 2);
            let seen = collect_frames();
            let expected: Vec<u32> = (0..=n).collect();
            assert_eq!(seen, expected);
            // Break stops the walk.
            let mut count = 0;
            walk_frames(|_| {
                count += 1;
                if count == 10 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            assert_eq!(count, 10);
        });
        assert!(collect_frames().is_empty());
    })
    .unwrap();
}

#[test]
fn walker_of_a_suspended_task_and_mixed_payloads() {
    let mut task: Task<(), (), ()> = Task::new(TaskConfig::default(), |()| {
        with_frame(&"outer", || {
            framed(20_000, &mut || {
                with_frame(&String::from("innermost"), || {
                    suspend::<(), ()>(()).unwrap();
                })
            })
        })
    })
    .unwrap();
    task.walk_frames(|_| panic!("not started: no records"));
    assert_eq!(task.resume(()), Step::Suspended(()));
    let mut seen: Vec<String> = Vec::new();
    task.walk_frames(|p| {
        if let Some(s) = p.downcast_ref::<String>() {
            seen.push(s.clone());
        } else if let Some(n) = p.downcast_ref::<u32>() {
            seen.push(n.to_string());
        } else if let Some(s) = p.downcast_ref::<&str>() {
            seen.push(s.to_string());
        }
        ControlFlow::Continue(())
    });
    let mut expected = vec!["innermost".to_string()];
    expected.extend((0..=20_000u32).map(|n| n.to_string()));
    expected.push("outer".to_string());
    assert_eq!(seen, expected);
    // Records pushed outside the task are not part of its chain.
    assert_eq!(task.resume(()), Step::Finished(()));
    task.walk_frames(|_| panic!("finished: no records"));
}

#[test]
fn records_are_popped_on_unwind() {
    run(TaskConfig::default(), || {
        with_frame(&1u32, || {
            let r = catch_unwind(|| {
                with_frame(&2u32, || {
                    on_new_segment(|| with_frame(&3u32, || panic!("x")))
                })
            });
            assert!(r.is_err());
            assert_eq!(collect_frames(), [1]);
        });
    })
    .unwrap();
}

#[test]
fn with_frame_off_segment_just_runs() {
    assert_eq!(with_frame(&5u32, collect_frames), Vec::<u32>::new());
}

#[test]
fn a_large_stack_entered_from_a_task_joins_its_chain() {
    use spindle_fiber::{on_large_stack, StackExhausted};
    let budget = 40 * spindle_fiber::SEGMENT_SIZE;
    let mut task: Task<u32, u32, (u32, Result<(), StackExhausted>)> = Task::new(
        TaskConfig {
            stack_budget: budget,
        },
        |first| {
            set_context(8 as *mut ());
            with_frame(&100u32, || {
                on_large_stack(4 << 20, || {
                    assert!(in_task());
                    assert_eq!(context(), 8 as *mut ());
                    assert_eq!(current_stats().unwrap().budget, budget);
                    with_frame(&101u32, || {
                        // Deep recursion from the large stack grows into the task's chain.
                        framed(30_000, &mut || {
                            assert!(current_stats().unwrap().segments_in_use > 2);
                        });
                        // Suspend straight from the large stack.
                        let answer = suspend::<u32, u32>(first + 1).unwrap();
                        // Exhausting the task's budget from the large stack is an error.
                        #[inline(never)]
                        fn endless() -> Result<(), StackExhausted> {
                            spindle_fiber::ensure_sufficient_stack(endless)
                        }
                        (answer, endless())
                    })
                })
                .unwrap()
            })
        },
    )
    .unwrap();
    assert_eq!(task.resume(1), Step::Suspended(2));
    let mut seen = Vec::new();
    task.walk_frames(|p| {
        seen.push(*p.downcast_ref::<u32>().unwrap());
        ControlFlow::Continue(())
    });
    assert_eq!(seen, [101, 100]);
    let Step::Finished((answer, exhausted)) = task.resume(7) else {
        panic!("task suspended again")
    };
    assert_eq!(answer, 7);
    assert_eq!(exhausted, Err(StackExhausted { budget }));
    drop(task);
    assert_pool_clean();

    // From a plain thread stack a large stack belongs to no chain.
    on_large_stack(1 << 20, || {
        assert!(!in_task());
        assert_eq!(current_stats(), None);
        assert_eq!(suspend::<(), ()>(()), Err(SuspendError::NotInTask));
        assert_eq!(with_frame(&1u32, collect_frames), Vec::<u32>::new());
    })
    .unwrap();
}

#[test]
fn dropping_a_task_suspended_on_a_large_stack() {
    let mut task: Task<(), (), ()> = Task::new(TaskConfig::default(), |()| {
        spindle_fiber::on_large_stack(1 << 20, || {
            framed(10_000, &mut || suspend::<(), ()>(()).unwrap());
        })
        .unwrap()
    })
    .unwrap();
    task.resume(());
    drop(task);
    assert_pool_clean();
    // The link is gone: a large stack here is unrelated to the dropped task.
    spindle_fiber::on_large_stack(1 << 20, || assert!(!in_task())).unwrap();
}
