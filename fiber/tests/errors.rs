//! The error paths of setting up stacks: every failure to get memory for a stack is an
//! error value, never a panic or a crash. Address-space exhaustion is provoked in child
//! processes (`RLIMIT_AS` cannot be raised again, and the region, once reserved, stays
//! for the life of the process); the limit is set on x86_64 only, since qemu-user
//! manages the address space of the programs it runs itself.

#[cfg(target_arch = "x86_64")]
mod common;

#[cfg(target_arch = "x86_64")]
use common::{assert_child_passes, child_mode, limit_address_space};
use spindle_fiber::{
    grow, measure_stack_usage, on_large_stack, on_new_segment, pool, run, StackError,
    StackExhausted, Step, Task, TaskConfig,
};

/// A size no machine can map.
const HUGE: usize = 1 << 60;

#[test]
fn a_stack_too_large_to_map_is_an_error() {
    let mut called = false;
    let result = on_large_stack(HUGE, || called = true);
    assert!(
        matches!(result, Err(StackError::System { call: "mmap", .. })),
        "{result:?}"
    );
    assert!(!called, "the closure must not run without its stack");
    let message = result.unwrap_err().to_string();
    assert!(message.contains("mmap failed"), "{message}");

    let measured = measure_stack_usage(HUGE, || ());
    assert!(matches!(
        measured,
        Err(StackError::System { call: "mmap", .. })
    ));
    // Sizes that overflow when rounded up to whole pages are refused the same way.
    assert!(on_large_stack(usize::MAX, || ()).is_err());
    // And the next reasonable request is served.
    assert_eq!(on_large_stack(1 << 20, || 5).unwrap(), 5);
}

#[test]
fn a_budget_of_zero_gets_a_root_and_nothing_more() {
    let config = TaskConfig { stack_budget: 0 };
    let mut task: Task<(), (), _> = Task::new(config.clone(), |()| {
        let nested = on_new_segment(|| ());
        (grow(|| 1).unwrap(), nested)
    })
    .unwrap();
    assert_eq!(
        task.resume(()),
        Step::Finished((1, Err(StackExhausted { budget: 0 })))
    );
    let nested = run(config, || on_new_segment(|| ())).unwrap();
    assert_eq!(nested, Err(StackExhausted { budget: 0 }));
}

/// With room for a region of 64 segments only, the 65th root is refused, a chain
/// cannot grow, and both recover once segments come back.
#[cfg(target_arch = "x86_64")]
#[test]
fn an_exhausted_region_is_an_error() {
    if child_mode().as_deref() == Some("region") {
        // Everything this child allocates later is allocated now, before the limit.
        let mut tasks: Vec<Task<(), (), Result<(), StackExhausted>>> = Vec::with_capacity(256);
        // Less than twice the smallest region: the reservation halves down to it.
        limit_address_space(100 << 20);
        let error = loop {
            match Task::new(TaskConfig::default(), |()| on_new_segment(|| ())) {
                Ok(task) => tasks.push(task),
                Err(error) => break error,
            }
        };
        assert_eq!(error, StackError::RegionExhausted { slots: 64 });
        assert_eq!(tasks.len(), 64);
        assert_eq!(pool::stats().region_bytes, 64 << 20);
        assert!(error.to_string().contains("all 64 segments"), "{error}");
        assert!(matches!(
            run(TaskConfig::default(), || ()),
            Err(StackError::RegionExhausted { .. })
        ));
        // A task that exists cannot grow: its budget is untouched, the region is not.
        let budget = TaskConfig::default().stack_budget;
        let mut last = tasks.pop().unwrap();
        assert_eq!(
            last.resume(()),
            Step::Finished(Err(StackExhausted { budget }))
        );
        // Its root is back in the pool: one more task fits, and it can grow once
        // another segment is given back.
        let mut next: Task<(), (), _> =
            Task::new(TaskConfig::default(), |()| on_new_segment(|| ())).unwrap();
        drop(tasks.pop());
        assert_eq!(next.resume(()), Step::Finished(Ok(())));
        return;
    }
    assert_child_passes("an_exhausted_region_is_an_error", "region");
}

/// With no room for even the smallest region, every root is refused with the
/// kernel's error, `grow` from a thread stack reports exhaustion, and stacks of other
/// kinds are still served.
#[cfg(target_arch = "x86_64")]
#[test]
fn a_region_that_cannot_be_reserved_is_an_error() {
    if child_mode().as_deref() == Some("no-region") {
        limit_address_space(32 << 20);
        let task = Task::<(), (), ()>::new(TaskConfig::default(), |()| ());
        let Err(error) = task else {
            panic!("a task without a region")
        };
        assert_eq!(
            error,
            StackError::System {
                call: "mmap",
                errno: libc::ENOMEM
            }
        );
        assert!(error.to_string().contains("mmap failed"), "{error}");
        assert_eq!(run(TaskConfig::default(), || ()), Err(error));
        let budget = TaskConfig::default().stack_budget;
        // From a thread stack, `grow` always starts a chain on a segment.
        assert_eq!(grow(|| ()), Err(StackExhausted { budget }));
        assert_eq!(on_new_segment(|| ()), Err(StackExhausted { budget }));
        assert_eq!(pool::stats().region_bytes, 0);
        assert_eq!(on_large_stack(1 << 20, || 3), Ok(3));
        return;
    }
    assert_child_passes("a_region_that_cannot_be_reserved_is_an_error", "no-region");
}
