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

use std::cell::RefCell;
use std::path::Path;

use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use spindle::bytecode::{Code, Op};
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

/// What the checked programs contained, so that the test fails if the
/// generator stops producing what the invariants are about.
#[derive(Default, Debug)]
struct Seen {
    programs: u32,
    code_objects: u64,
    captures: u64,
    fused: u64,
    deferred: u64,
    takes: u64,
    with_lookups: u64,
}

impl Seen {
    fn add(&mut self, code: &Code) {
        self.code_objects += 1;
        self.captures += code.captures.len() as u64;
        self.with_lookups += code.with_lookups.len() as u64;
        for op in &code.ops {
            match op {
                Op::MakeClosureDeferred(_) | Op::MakeThunkDeferred(_) => self.deferred += 1,
                Op::TakeLocal(_) => self.takes += 1,
                _ => {}
            }
        }
        if let Some(fused) = &code.fused {
            self.fused += 1;
            self.add(fused);
        }
        for child in &code.children {
            self.add(child);
        }
    }
}

/// Compiles `source` and checks the invariants of everything compiled. A
/// program that does not compile (the generator makes a few on purpose) has
/// nothing to check.
fn check(evaluator: &Evaluator, source: &str, seen: &mut Seen) -> Result<(), String> {
    let compiled = evaluator.context().compile_source(
        "generated.nix".into(),
        source.into(),
        Path::new("/"),
        None,
    );
    if let Ok(code) = compiled {
        code.check_invariants()?;
        seen.programs += 1;
        seen.add(&code);
    }
    Ok(())
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
    let seen = RefCell::new(Seen::default());
    let result = runner.run(&ExprStrategy { depth }, |expr| {
        let source = expr.source();
        check(&evaluator, &source, &mut seen.borrow_mut()).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, expr)) => {
            panic!("{why}\nin the program (seed {seed}):\n{}", expr.source())
        }
        Err(other) => panic!("{other}"),
    }
    let seen = seen.into_inner();
    eprintln!("bytecode invariants: checked {seen:?}");
    // Most generated programs compile, and between them they have every
    // shape the invariants are about.
    assert!(seen.programs >= cases / 2, "{seen:?}");
    let shapes = [
        seen.captures,
        seen.fused,
        seen.deferred,
        seen.takes,
        seen.with_lookups,
    ];
    assert!(shapes.iter().all(|&n| n > 0), "{seen:?}");
}
