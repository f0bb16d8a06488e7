//! A failed evaluation gives its memory back: an embedding host whose
//! evaluation ran out of its stack budget (after growing a deep heap of
//! frames and thunks) lives on at about the size it had before.
//!
//! Its own test binary, with the allocator the `spindle` binary uses, so
//! that no other test's allocations move the resident size it measures.

use spindle::limits::resident_bytes;
use spindle::{ErrorKind, Evaluator, VmKind};

#[global_allocator]
static ALLOCATOR: spindle_alloc::Mimalloc = spindle_alloc::Mimalloc;

/// What may stay resident after the failure: code pages touched on the
/// way, the allocator's bookkeeping and the fiber pool's hot segments.
const SLACK: usize = 48 << 20;

#[test]
fn runaway_recursion_leaves_resident_memory_where_it_was() {
    let Some(_) = resident_bytes() else {
        eprintln!("the resident size cannot be read on this system");
        return;
    };
    for &vm in VmKind::ALL {
        let evaluator = Evaluator::builder().vm(vm).stack_budget(256 << 20).build();
        // Warm up: code, symbols and the fiber pool's first segments.
        evaluator.eval_str("builtins.length [ 1 2 3 ]").unwrap();
        let before = resident_bytes().unwrap();
        let err = evaluator
            .eval_str("let f = x: f (x + 1); in f 0")
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::StackExhausted { .. }),
            "{vm:?}: {err}"
        );
        let after = resident_bytes().unwrap();
        assert!(
            after < before + SLACK,
            "{vm:?}: {} MB resident before the failure, {} MB after",
            before >> 20,
            after >> 20
        );
        evaluator.eval_str("1 + 1").unwrap();
    }
}
