//! An evaluator that cannot get a stack to evaluate on (the process has no
//! address space left for the fiber runtime's region) reports an error of kind
//! `NoStack`, a resource limit, from every way into evaluation, and panics
//! nowhere. Provoked in a child process whose address space is limited before
//! the region is reserved (x86_64 only: qemu-user manages the address space of
//! what it runs itself).
#![cfg(target_arch = "x86_64")]

use spindle::{ErrorKind, Evaluator, HostReply, Step, Value};

// The fiber runtime's own way of running a test's damage in a child process.
#[path = "../fiber/tests/common/mod.rs"]
mod child;

fn assert_no_stack(error: &spindle::Error) {
    assert!(matches!(error.kind(), ErrorKind::NoStack(_)), "{error:?}");
    assert!(error.is_resource_limit());
    let message = error.to_string();
    assert!(message.contains("cannot set up a fiber stack"), "{message}");
}

#[test]
fn an_evaluation_without_a_stack_is_an_error() {
    if child::child_mode().as_deref() == Some("no-stack") {
        let evaluator = Evaluator::builder().build();
        // Less than the smallest region the runtime reserves (64 MiB).
        child::limit_address_space(32 << 20);
        assert_no_stack(&evaluator.with_vm(|_| Ok(())).unwrap_err());
        assert_no_stack(&evaluator.eval_str("1 + 2").unwrap_err());
        let mut evaluation = evaluator.start_with(|_| Ok(Value::Int(1)));
        assert_eq!(evaluation.stack_stats().segments_in_use, 0);
        assert_eq!(evaluation.stack_stats().budget, evaluator.stack_budget());
        match evaluation.resume(HostReply::Continue) {
            Step::Done(Err(error)) => assert_no_stack(&error),
            Step::Done(Ok(_)) => panic!("evaluated without a stack"),
            Step::Request(_) => panic!("asked the host for something without a stack"),
        }
        assert!(evaluation.is_finished());
        match evaluation.resume(HostReply::Continue) {
            Step::Done(Err(error)) => {
                assert!(error.to_string().contains("already finished"), "{error}")
            }
            _ => panic!("a finished evaluation resumed"),
        }
        return;
    }
    child::assert_child_passes("an_evaluation_without_a_stack_is_an_error", "no-stack");
}
