//! The limits an embedder sets besides the stack budget and fuel: a heap
//! cap, a time limit or deadline, and the regular-expression budget. Each
//! ends the evaluation with a catchable error (or, for the regex budget, a
//! bounded answer), and the next evaluation in the same evaluator succeeds.
//!
//! The heap cap bounds the process's heap as the kernel sees it (resident
//! memory less the fiber stacks in use), so the tests run one at a time
//! ([`one_at_a_time`]): another test's heap would count too.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use spindle::{ErrorKind, Evaluator, EvaluatorBuilder, VmKind};

/// Both VMs when the generator VM is built in.
const BOTH_VMS: &[VmKind] = VmKind::ALL;

fn builder(vm: VmKind) -> EvaluatorBuilder {
    Evaluator::builder().vm(vm)
}

/// Serialises the tests whose memory use or cap would disturb the others.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The evaluator still works after an error.
fn assert_usable(evaluator: &Evaluator) {
    let value = evaluator.eval_str("builtins.length (builtins.genList (x: x) 1000)");
    let printed = evaluator.print(&value.unwrap(), true).unwrap();
    assert_eq!(printed, "1000");
}

#[test]
fn a_list_too_big_for_the_heap_cap_is_refused_before_it_is_built() {
    let _alone = one_at_a_time();
    for &vm in BOTH_VMS {
        let evaluator = builder(vm).max_heap(Some(256 << 20)).build();
        let err = evaluator
            .eval_str("builtins.length (builtins.genList (x: x) 1000000000)")
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::HeapExhausted { cap } if *cap == 256 << 20),
            "{vm:?}: {err}"
        );
        assert!(err.is_resource_limit());
        assert!(err.to_string().contains("256 MiB"), "{err}");
        assert_usable(&evaluator);
    }
}

#[test]
fn strings_and_lists_doubled_in_a_loop_stop_at_the_heap_cap() {
    let _alone = one_at_a_time();
    let doubling = [
        "let d = s: s + s; f = n: s: if n == 0 then s else f (n - 1) (d s); \
         in builtins.stringLength (f 40 \"ab\")",
        "let d = s: \"${s}${s}\"; f = n: s: if n == 0 then s else f (n - 1) (d s); \
         in builtins.stringLength (f 40 \"ab\")",
        "let d = l: l ++ l; f = n: l: if n == 0 then l else f (n - 1) (d l); \
         in builtins.length (f 40 [ 1 ])",
        "let d = l: builtins.concatLists [ l l ]; \
         f = n: l: if n == 0 then l else f (n - 1) (d l); in builtins.length (f 40 [ 1 ])",
    ];
    for &vm in BOTH_VMS {
        let evaluator = builder(vm).max_heap(Some(512 << 20)).build();
        for source in doubling {
            let err = evaluator.eval_str(source).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::HeapExhausted { .. }),
                "{vm:?} {source}: {err}"
            );
            assert_usable(&evaluator);
        }
    }
}

#[test]
fn a_heap_growing_step_by_step_is_caught_by_the_periodic_check() {
    let _alone = one_at_a_time();
    // A million small sets kept alive: no single allocation is large.
    let source = "let xs = builtins.genList (i: { inherit i; s = toString i; }) 3000000; \
                  in builtins.foldl' (n: x: n + x.i + builtins.stringLength x.s) 0 xs";
    for &vm in BOTH_VMS {
        let evaluator = builder(vm).max_heap(Some(64 << 20)).build();
        let err = evaluator.eval_str(source).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::HeapExhausted { .. }),
            "{vm:?}: {err}"
        );
        assert_usable(&evaluator);
    }
}

#[test]
fn an_endless_evaluation_stops_at_its_time_limit_and_the_next_one_runs() {
    let _alone = one_at_a_time();
    for &vm in BOTH_VMS {
        let evaluator = builder(vm)
            .time_limit(Duration::from_millis(200))
            .max_call_depth(1 << 40)
            .build();
        // Tail calls through a thunk: endless, in bounded memory.
        let err = evaluator
            .eval_str("let f = n: if n < 0 then 0 else f (n + 1); in f 0")
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::TimeLimit(Some(limit)) if *limit == Duration::from_millis(200)),
            "{vm:?}: {err}"
        );
        assert!(err.is_resource_limit());
        assert_usable(&evaluator);
    }
}

#[test]
fn a_deadline_set_by_the_host_holds_across_operations_until_lifted() {
    let _alone = one_at_a_time();
    for &vm in BOTH_VMS {
        let evaluator = builder(vm).max_call_depth(1 << 40).build();
        evaluator.set_deadline(Some(Instant::now() + Duration::from_millis(100)));
        let endless = "let f = n: if n < 0 then 0 else f (n + 1); in f 0";
        let err = evaluator.eval_str(endless).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::TimeLimit(None)),
            "{vm:?}: {err}"
        );
        evaluator.set_deadline(None);
        assert_usable(&evaluator);
    }
}

#[test]
fn values_cut_short_by_a_time_limit_are_computed_when_forced_again() {
    let _alone = one_at_a_time();
    for &vm in BOTH_VMS {
        let evaluator = builder(vm).max_call_depth(1 << 40).build();
        // `y` is forced by `y + 1` inside `x`, in a frame of its own, and
        // the deadline strikes while `count` runs for it.
        let value = evaluator
            .eval_str(
                "let count = n: if n == 100000 then n else count (n + 1); \
                 y = count 0; in { x = y + 1; }",
            )
            .unwrap();
        evaluator.set_deadline(Some(Instant::now()));
        let err = evaluator.print(&value, true).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::TimeLimit(None)),
            "{vm:?}: {err}"
        );
        evaluator.set_deadline(None);
        let printed = evaluator.print(&value, true).unwrap();
        assert_eq!(printed, "{ x = 100001; }", "{vm:?}");
    }
}

#[test]
fn a_pathological_pattern_gets_its_answer_within_the_regex_budget() {
    let _alone = one_at_a_time();
    // Nested stars on a subject that does not match: exponential for a
    // backtracker; the budget hands it to the linear-time engine.
    let subject = "a".repeat(40);
    let source = format!(
        "[ (builtins.match \"(a*)*b\" \"{subject}\") \
           (builtins.match \"(a|aa)*\" \"{subject}\") \
           (builtins.length (builtins.split \"(a*)*b\" \"{subject}\")) ]"
    );
    for &vm in BOTH_VMS {
        let evaluator = builder(vm).regex_steps(10_000).build();
        let value = evaluator.eval_str(&source).unwrap();
        let printed = evaluator.print(&value, true).unwrap();
        assert_eq!(printed, "[ null [ \"a\" ] 1 ]", "{vm:?}");
    }
}
