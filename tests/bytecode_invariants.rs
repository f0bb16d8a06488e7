//! The bytecode invariants the VMs rely on (`Code::check_invariants`: every
//! capture index of every code object against the frame that makes it,
//! single reads, forward jumps, curried and fused code, deferred closures),
//! checked on random, well-scoped programs over the whole language: those of
//! the differential test's generator (`tests/differential/`), shrunk to a
//! small program when one breaks an invariant.
//!
//! Environment: `SPINDLE_INVARIANTS_CASES` (programs per run, default 2048),
//! `SPINDLE_INVARIANTS_DEPTH` (nesting depth, default 5) and
//! `SPINDLE_INVARIANTS_SEED` (default: random, printed on stderr).

use std::path::Path;

use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use spindle::Evaluator;

// The generator and its expression model, shared with the differential test
// (which uses all of it; this test only generates and shrinks).
#[allow(dead_code)]
#[path = "differential/expr.rs"]
mod expr;
#[allow(dead_code)]
#[path = "differential/gen.rs"]
mod gen;

use expr::*;

/// Compiles `source` and checks the invariants of everything compiled. A
/// program that does not compile (the generator makes a few on purpose) has
/// nothing to check.
fn check(evaluator: &Evaluator, source: &str) -> Result<bool, String> {
    let compiled = evaluator.context().compile_source(
        "generated.nix".into(),
        source.into(),
        Path::new("/"),
        None,
    );
    match compiled {
        Ok(code) => code.check_invariants().map(|()| true),
        Err(_) => Ok(false),
    }
}

#[test]
fn random_programs_compile_to_code_the_vms_can_trust() {
    let cases = env_number("SPINDLE_INVARIANTS_CASES", 2048) as u32;
    let depth = env_number("SPINDLE_INVARIANTS_DEPTH", 5) as u32;
    let seed = seed_from("SPINDLE_INVARIANTS_SEED");
    eprintln!(
        "bytecode invariants: {cases} programs of depth {depth}, seed {seed} \
         (SPINDLE_INVARIANTS_SEED={seed} to replay)"
    );
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, rng_from(seed));
    let evaluator = Evaluator::builder().build();
    let compiled = std::cell::Cell::new(0u32);
    let result = runner.run(&ExprStrategy { depth }, |expr| {
        let source = expr.source();
        match check(&evaluator, &source) {
            Ok(checked) => {
                compiled.set(compiled.get() + u32::from(checked));
                Ok(())
            }
            Err(violation) => Err(TestCaseError::fail(violation)),
        }
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, expr)) => {
            panic!("{why}\nin the program (seed {seed}):\n{}", expr.source())
        }
        Err(other) => panic!("{other}"),
    }
    // Most generated programs compile.
    let compiled = compiled.get();
    assert!(
        compiled >= cases / 2,
        "only {compiled} of {cases} programs compiled"
    );
}
