//! Differential test against C++ Nix: random, well-scoped, mostly
//! well-typed Nix programs over the whole language are evaluated by Spindle
//! (in-process, on both VMs) and by `nix-instantiate --eval --strict` (the
//! reference, C++ Nix 2.8). Both must print the same value, or both must
//! fail; error messages are not compared.
//!
//! - The generator is typed: it builds an expression of a requested type
//!   (integers, floats, booleans, strings, null, lists and attribute sets of
//!   those, functions as arguments). [`gen`] covers the builtins and
//!   operators on data; [`gen::lang`] the language itself: lambdas with
//!   formals (defaults that refer to other formals, `@` on either side,
//!   `...`, arguments missing or extra), curried and partial application
//!   (of lambdas and builtins, functions passed, composed, returned),
//!   `let` groups whose bindings refer to each other, nested attribute
//!   paths, `rec`, nested `with` shadowed by `let`, `inherit (e)`, dynamic
//!   attributes in sets, selections and `?`, `or` (also on non-sets),
//!   `assert`, laziness (what is never forced may fail), `tryEval` (and
//!   what escapes it), and string contexts (`toFile`, derivations,
//!   `getContext`, `appendContext`, discarding them). Variables resolve as
//!   Nix resolves them (a `let` or lambda binding hides every `with`). A
//!   small share of subexpressions has the wrong type on purpose, and
//!   runtime errors arise naturally.
//! - Spindle's two VMs must agree with each other (the same value, or both
//!   an error), and never panic, Nix or not.
//! - What Spindle evaluates goes to `nix-instantiate`, all expressions of a
//!   batch in one process, each as its own `-E` argument: it prints one line
//!   per expression and stops at the first that fails, whose index is the
//!   number of lines printed; the batch then resumes after it. What Spindle
//!   fails on goes to `nix repl` instead, which carries on after an error:
//!   each is forced as deeply as `--strict` prints it, and one Nix does not
//!   fail on is evaluated again by `nix-instantiate` alone, for its value.
//!   (The repl cannot run read-only, so what uses `toFile` or `derivation`
//!   stays with `nix-instantiate`.)
//! - A difference is shrunk with proptest (each candidate evaluated alone)
//!   to a small expression, and reported with both outputs.
//!
//! Known differences are kept out, each where the generator or the
//! comparison deals with it:
//! - Integers: Nix 2.8 wraps around on overflow (and converts out-of-range
//!   floats in `ceil`/`floor` with undefined behaviour), where newer Nix and
//!   Spindle fail. Integers stay small, and an expression that makes Spindle
//!   fail so is set aside ([`out_of_integer_range`]).
//! - `replaceStrings` forces every replacement in Nix 2.8, only those used
//!   in newer Nix and Spindle; `filter` requires a function for an empty
//!   list in Nix 2.8, not in newer Nix and Spindle.
//! - Printing: Nix 2.8 writes `\$` for every `$` in a quoted attribute name
//!   ([`undo_dollar_escapes`]), and quotes no keyword used as an attribute
//!   name but `if` (the generator uses none).
//! - Equality of two sets of one size but different names stops, in Nix, at
//!   the first differing name in the order its symbols were created; values
//!   compared before it may fail. Sets are forced before they are compared.
//! - Lexing: `0.` followed by a name (`0.a`) is a selection from 0 in Nix,
//!   a float applied to a variable in Spindle (rnix); numbers are put in
//!   parentheses before `.`.
//!
//! A bug of Nix 2.8 that Spindle does not copy, which a seed may hit
//! (docs/reliability.md has the details): `substring` takes its start as a
//! 32-bit integer.
//!
//! Environment:
//! - `SPINDLE_DIFF_CASES`: expressions per run (default 4096).
//! - `SPINDLE_DIFF_SEED`: the seed (default: random, printed on stderr).
//! - `SPINDLE_DIFF_DEPTH`: the nesting depth of generated expressions (default 4).
//! - `SPINDLE_DIFF_EXPR`: compare this one expression instead, printing both outputs.
//! - `SPINDLE_DIFF_REQUIRE_NIX=1`: fail, rather than skip the comparison,
//!   when `nix-instantiate` is missing or unusable.
//! - `SPINDLE_DIFF_NIX`: the `nix-instantiate` to run (default from `PATH`).
//! - `SPINDLE_DIFF_VERBOSE=1`: print every expression with both outcomes.

use std::time::Instant;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use expr::*;
use nix::{spindle_eval, Nix, Outcome};

mod expr;
mod gen;
mod nix;

// ---------------------------------------------------------------------------
// The test

/// Says on the real standard error (which the test harness does not
/// capture, unlike `eprintln!`) that the comparison did not happen.
fn skip_loudly(why: &str) {
    use std::io::Write as _;
    let bar = "!".repeat(78);
    let _ = writeln!(
        std::io::stderr(),
        "{bar}\n\
         !! DIFFERENTIAL TEST SKIPPED: no reference Nix evaluator, nothing was compared.\n\
         !! {why}\n\
         !! Install C++ Nix 2.8 (Debian: apt-get install nix-bin) to compare Spindle\n\
         !! with nix-instantiate; SPINDLE_DIFF_REQUIRE_NIX=1 makes this a failure.\n\
         {bar}"
    );
}

/// Evaluates `SPINDLE_DIFF_EXPR` both ways and prints both outputs.
fn compare_one(src: &str) {
    let ours = spindle_eval(src);
    eprintln!("spindle: {}", ours.describe());
    match Nix::find() {
        Ok(nix) => {
            let theirs = nix.eval_one(src);
            eprintln!("nix:     {}", theirs.describe());
            assert!(
                ours.agrees_with(&theirs),
                "the evaluators disagree on {src}"
            );
        }
        Err(why) => skip_loudly(&why),
    }
}

/// Nix's outcome for every expression. Each failing expression costs
/// `nix-instantiate` a process, so those Spindle failed on go to one `nix
/// repl` instead ([`Nix::failing`]), but for those that write to the store;
/// one the repl evaluates without error is evaluated again, alone, by
/// `nix-instantiate`, for its value.
fn nix_outcomes(nix: &Nix, sources: &[String], ours: &[Outcome]) -> Vec<Outcome> {
    let to_repl: Vec<usize> = (0..sources.len())
        .filter(|&i| {
            matches!(ours[i], Outcome::Error(_))
                && !sources[i].contains("toFile")
                && !sources[i].contains("derivation")
        })
        .collect();
    let mut theirs: Vec<Option<Outcome>> = vec![None; sources.len()];
    for chunk in to_repl.chunks(REPL_BATCH) {
        let chunk_sources: Vec<String> = chunk.iter().map(|&i| sources[i].clone()).collect();
        // A repl that did not finish leaves its chunk to `nix-instantiate`.
        let Some(verdicts) = nix.failing(&chunk_sources) else {
            eprintln!("differential: a `nix repl` did not finish; nix-instantiate takes its batch");
            continue;
        };
        for (&i, failed) in chunk.iter().zip(verdicts) {
            theirs[i] = Some(if failed {
                Outcome::Error("failed in nix repl".into())
            } else {
                nix.eval_one(&sources[i])
            });
        }
    }
    let rest: Vec<usize> = (0..sources.len())
        .filter(|&i| theirs[i].is_none())
        .collect();
    let rest_sources: Vec<String> = rest.iter().map(|&i| sources[i].clone()).collect();
    for (&i, o) in rest.iter().zip(nix.eval_all(&rest_sources)) {
        theirs[i] = Some(o);
    }
    theirs.into_iter().map(|o| o.expect("an outcome")).collect()
}

/// Expressions per `nix repl` at most: a crash or a timeout costs only these.
const REPL_BATCH: usize = 256;

#[test]
fn differential() {
    if let Ok(src) = std::env::var("SPINDLE_DIFF_EXPR") {
        compare_one(&src);
        return;
    }
    let started = Instant::now();
    let cases = env_number("SPINDLE_DIFF_CASES", 4096) as usize;
    let depth = env_number("SPINDLE_DIFF_DEPTH", 4) as u32;
    let seed = seed_from("SPINDLE_DIFF_SEED");
    eprintln!(
        "differential: {cases} expressions of depth {depth}, seed {seed} \
         (SPINDLE_DIFF_SEED={seed} SPINDLE_DIFF_CASES={cases} SPINDLE_DIFF_DEPTH={depth} to replay)"
    );

    let config = Config {
        failure_persistence: None,
        max_shrink_iters: 2000,
        max_shrink_time: 60_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, rng_from(seed));
    let strategy = ExprStrategy { depth };
    let trees: Vec<ExprTree> = (0..cases)
        .map(|_| strategy.new_tree(&mut runner).expect("generate"))
        .collect();
    let sources: Vec<String> = trees.iter().map(|t| t.current().source()).collect();
    let ours: Vec<Outcome> = sources.iter().map(|s| spindle_eval(s)).collect();
    let spindle_time = started.elapsed();

    let nix = match Nix::find() {
        Ok(nix) => nix,
        Err(why) => {
            if std::env::var("SPINDLE_DIFF_REQUIRE_NIX").is_ok_and(|v| v == "1") {
                panic!("SPINDLE_DIFF_REQUIRE_NIX=1 but there is no usable nix-instantiate: {why}");
            }
            skip_loudly(&why);
            let panics: Vec<String> = sources
                .iter()
                .zip(&ours)
                .filter_map(|(s, o)| match o {
                    Outcome::Panic(_) | Outcome::VmsDiffer(_) => {
                        Some(format!("{s}\n    {}", o.describe()))
                    }
                    _ => None,
                })
                .collect();
            assert!(
                panics.is_empty(),
                "Spindle panicked or its VMs disagree:\n{}",
                panics.join("\n")
            );
            return;
        }
    };
    if !nix.version.contains(" 2.8") {
        eprintln!(
            "warning: the reference is `{}`, not Nix 2.8; differences may be Nix's own changes",
            nix.version
        );
    }
    let nix_started = Instant::now();
    let theirs = nix_outcomes(&nix, &sources, &ours);
    let nix_time = nix_started.elapsed();

    let (mut values, mut errors, mut overflows) = (0, 0, 0);
    let mut differing = Vec::new();
    let verbose = std::env::var("SPINDLE_DIFF_VERBOSE").is_ok_and(|v| v == "1");
    for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        if verbose {
            eprintln!(
                "[{i}] {}\n    spindle {}\n    nix     {}",
                sources[i],
                o.describe(),
                t.describe()
            );
        }
        match o {
            Outcome::Overflow => overflows += 1,
            _ if o.agrees_with(t) => {
                if let Outcome::Value(_) = o {
                    values += 1
                } else {
                    errors += 1
                }
            }
            _ => differing.push(i),
        }
    }
    let sizes: Vec<usize> = trees.iter().map(|t| t.current().size()).collect();
    eprintln!(
        "differential: {values} equal values, {errors} errors on both sides, \
         {overflows} set aside (out of integer range), {} different; \
         mean size {:.1} nodes; spindle {spindle_time:.2?}, nix {nix_time:.2?}",
        differing.len(),
        sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64,
    );
    if differing.is_empty() {
        return;
    }

    // Shrink the first few differences, each candidate evaluated alone.
    const SHRINK_AT_MOST: usize = 4;
    let mut report = Vec::new();
    let mut trees: Vec<Option<ExprTree>> = trees.into_iter().map(Some).collect();
    for (n, &i) in differing.iter().enumerate() {
        let original = &sources[i];
        let mut entry = format!(
            "#{n}: {original}\n    spindle {}\n    nix     {}",
            ours[i].describe(),
            theirs[i].describe()
        );
        if n < SHRINK_AT_MOST {
            let tree = trees[i].take().expect("tree");
            let result = runner.run_one(tree, |e| {
                let src = e.source();
                let ours = spindle_eval(&src);
                if let Outcome::Overflow = ours {
                    return Err(TestCaseError::reject("out of the range of integers"));
                }
                let theirs = nix.eval_one(&src);
                if ours.agrees_with(&theirs) {
                    Ok(())
                } else {
                    Err(TestCaseError::fail(format!(
                        "spindle {}\n    nix     {}",
                        ours.describe(),
                        theirs.describe()
                    )))
                }
            });
            match result {
                Err(proptest::test_runner::TestError::Fail(why, minimal)) => {
                    entry.push_str(&format!("\n  shrunk to: {minimal:?}\n    {why}"));
                }
                Ok(_) => entry.push_str("\n  (no difference when evaluated alone)"),
                Err(e) => entry.push_str(&format!("\n  (shrinking stopped: {e})")),
            }
        }
        report.push(entry);
    }
    panic!(
        "Spindle and {} differ on {} of {cases} expressions (seed {seed}):\n\n{}",
        nix.version,
        differing.len(),
        report.join("\n\n")
    );
}
