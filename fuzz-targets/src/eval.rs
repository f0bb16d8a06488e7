//! The whole evaluator on arbitrary programs, printed strictly as
//! `--eval --strict` prints them.
//!
//! The fiber VM runs each program with fuel and a stack budget. The
//! generator VM has no fuel of its own, so it runs only the programs the
//! fiber VM finished within its fuel; when both finish, they must print
//! the same.

use spindle::{Error, Evaluator, Result, VmKind};

use crate::common::{evaluator, render};

/// Evaluates and prints `source` on `vm`.
fn eval_and_print(vm: VmKind, source: &str) -> (Evaluator, Result<Vec<u8>>) {
    let evaluator = evaluator(vm);
    let printed = evaluator
        .eval_str(source)
        .and_then(|value| evaluator.print(&value, true))
        .map(Vec::from);
    (evaluator, printed)
}

/// Whether a run stopped at one of the fuzzing limits rather than
/// finishing (with a value or an error of the program's own).
fn hit_limit(result: &Result<Vec<u8>>) -> bool {
    result.as_ref().err().is_some_and(Error::is_resource_limit)
}

pub fn run(data: &[u8]) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let (fiber_eval, fiber) = eval_and_print(VmKind::Fiber, source);
    if let Err(e) = &fiber {
        render(&fiber_eval, e);
    }
    if hit_limit(&fiber) {
        return;
    }
    let (gen_eval, generator) = eval_and_print(VmKind::Generator, source);
    match (&fiber, &generator) {
        (Ok(a), Ok(b)) => assert!(
            a == b,
            "the VMs print differently:\nfiber:     {}\ngenerator: {}",
            String::from_utf8_lossy(a),
            String::from_utf8_lossy(b)
        ),
        (_, Err(e)) => {
            render(&gen_eval, e);
        }
        (Err(_), Ok(_)) => {}
    }
}
