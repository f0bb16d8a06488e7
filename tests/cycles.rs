//! The cycle collector: values that refer to each other are freed once
//! nothing else refers to them, and nothing still in use is touched, whether
//! the host holds it or an evaluation suspended deep inside a fiber does.
//! (That memory stays flat over many evaluations is `tests/memory_flat.rs`.)

use std::path::Path;

use spindle::{Evaluator, HostReply, HostRequest, Step, VmKind};

mod common;

/// A `rec` set whose members refer to each other, a recursive function
/// and a fixpoint: the cycles Nix code makes all the time.
const CYCLIC: &str = r#"
  let
    r = rec { a = { inherit b; }; b = { inherit a big; }; big = builtins.genList (i: i * 2) 50; };
    go = n: if n == 0 then r else go (n - 1);
    fix = f: let x = f x; in x;
    pkgs = fix (self: { one = 1; two = self.one + 1; all = [ self.one self.two ]; });
  in { inherit pkgs r go; sum = builtins.foldl' (x: y: x + y) 0 (go 10).a.b.a.b.big; }
"#;

/// What the host reads of a [`CYCLIC`] value.
fn summary(evaluator: &Evaluator, value: &spindle::Value) -> String {
    evaluator.set_global("v", value.clone());
    let summary = evaluator
        .eval_str("[ v.pkgs v.sum (v.go 3).a.b.a.b.big (builtins.length v.r.b.a.b.big) ]")
        .unwrap();
    evaluator.set_global("v", spindle::Value::Null);
    let printed = evaluator.print(&summary, true).unwrap();
    String::from_utf8(printed.into()).unwrap()
}

/// [`summary`] as Nix prints it.
const SUMMARY: &str = "[ { all = [ 1 2 ]; one = 1; two = 2; } 2450 [ 0 2 4 6 8 10 12 14 16 18 20 22 24 26 28 30 32 34 36 38 40 42 44 46 48 50 52 54 56 58 60 62 64 66 68 70 72 74 76 78 80 82 84 86 88 90 92 94 96 98 ] 50 ]";

fn evaluators() -> impl Iterator<Item = Evaluator> {
    VmKind::ALL
        .iter()
        .map(|&vm| Evaluator::builder().vm(vm).build())
}

#[test]
fn cycles_nothing_refers_to_are_freed() {
    for evaluator in evaluators() {
        let value = evaluator.eval_str(CYCLIC).unwrap();
        evaluator.collect_cycles();
        assert_eq!(summary(&evaluator, &value), SUMMARY);
        evaluator.collect_cycles();
        drop(value);
        let collection = evaluator.collect_cycles();
        assert!(
            collection.freed >= 4,
            "{:?}: the rec set, the function and the fixpoint are cycles: {collection:?}",
            evaluator.vm_kind()
        );
        // Nothing is left to free a second time.
        assert_eq!(evaluator.collect_cycles().freed, 0);
    }
}

/// A cycle whose only way back runs through a thunk that keeps its one
/// captured value in its own allocation (`b` inside the element's thunk).
#[test]
fn a_cycle_through_a_thunks_own_capture_is_freed() {
    for evaluator in evaluators() {
        let value = evaluator
            .eval_str("let a = [ (builtins.head b) ]; b = a; in a")
            .unwrap();
        evaluator.collect_cycles();
        drop(value);
        let collection = evaluator.collect_cycles();
        assert!(
            collection.freed >= 1,
            "{:?}: the list and its element refer to each other: {collection:?}",
            evaluator.vm_kind()
        );
    }
}

/// A package set of 200 entries, made by an overlay: the set and the one
/// under it share most of their chunks of entries, and both are on cycles
/// through the fixpoint.
const LAYERED: &str = r#"
  let
    fix = f: let x = f x; in x;
    name = i: "p${toString i}";
    base = self: builtins.listToAttrs (builtins.genList (i: {
      name = name i;
      value = { n = i; next = self.${name (i + 1 - (i + 1) / 200 * 200)}; };
    }) 200);
    overlay = self: super: { p7 = super.p7 // { n = 700; }; extra = self.p3; inherit super; };
  in fix (self: let super = base self; in super // overlay self super)
"#;

/// Sets that share chunks with a package set on a cycle: one on the cycle
/// (the set under the overlay) and one the host made, which nothing on the
/// cycle refers to. Each keeps its values while the host keeps it, though
/// the sets it shares chunks with are freed.
#[test]
fn sets_sharing_chunks_with_freed_ones_stay_whole() {
    for evaluator in evaluators() {
        for (kept, expected) in [
            ("v.super", "[ 7 8 0 700 700 ]"),
            ("v // { z = 1; }", "[ 700 8 0 700 700 ]"),
        ] {
            let layered = evaluator.eval_str(LAYERED).unwrap();
            evaluator.set_global("v", layered.clone());
            let kept = evaluator.eval_str(kept).unwrap();
            evaluator.set_global("v", spindle::Value::Null);
            drop(layered);
            evaluator.collect_cycles();
            evaluator.set_global("s", kept.clone());
            let read = evaluator
                .eval_str("[ s.p7.n s.p7.next.n s.p199.next.n s.p6.next.n s.p5.next.next.n ]")
                .unwrap();
            // `next` is in the final set, where p7 is the overlay's.
            assert_eq!(evaluator.print(&read, true).unwrap(), expected);
            evaluator.set_global("s", spindle::Value::Null);
            drop((read, kept));
            let collection = evaluator.collect_cycles();
            assert!(
                collection.freed >= 2,
                "{:?}: the sets and their fixpoint are a cycle: {collection:?}",
                evaluator.vm_kind()
            );
        }
    }
}

#[test]
fn values_the_host_keeps_stay_whole() {
    for evaluator in evaluators() {
        let kept = evaluator.eval_str(CYCLIC).unwrap();
        // A partly forced value: its pending thunks must still run.
        let lazy = evaluator
            .eval_str(
                "let s = rec { x = 1; y = x + 1; f = n: if n == 0 then y else f (n - 1); }; in s",
            )
            .unwrap();
        for _ in 0..3 {
            let garbage = evaluator.eval_str(CYCLIC).unwrap();
            summary(&evaluator, &garbage);
            drop(garbage);
            evaluator.collect_cycles();
        }
        assert_eq!(summary(&evaluator, &kept), SUMMARY);
        evaluator.set_global("s", lazy);
        let result = evaluator.eval_str("[ (s.f 20) s.y ]").unwrap();
        assert_eq!(evaluator.print(&result, true).unwrap(), "[ 2 2 ]");
    }
}

#[test]
fn an_evaluator_dropped_frees_its_cycles_but_not_the_values_handed_out() {
    let evaluator = Evaluator::builder().build();
    let kept = evaluator.eval_str(CYCLIC).unwrap();
    let printer = Evaluator::builder().build();
    drop(evaluator);
    assert_eq!(summary(&printer, &kept), SUMMARY);
}

/// Collections run while an evaluation is suspended 2,000 calls deep,
/// out of fuel; its frames, thunks and the cycles it is still building are
/// held by it, and it resumes to the right result.
#[test]
fn collecting_while_an_evaluation_is_suspended_deep_inside_a_fiber() {
    let evaluator = Evaluator::builder().build();
    let source = r#"
      let
        fix = f: let x = f x; in x;
        deep = n: if n == 0 then 0 else
          let s = fix (self: { v = n; w = self.v; next = deep (n - 1); }); in s.w + s.next;
        garbage = i: (rec { a = { inherit b i; }; b = { inherit a; }; }).a.b.a.i;
      in deep 2000 + builtins.foldl' (x: i: x + garbage i) 0 (builtins.genList (i: i) 500)
    "#;
    let mut evaluation = evaluator.start_str(source).with_fuel(500);
    let mut suspensions = 0;
    let mut freed = 0;
    let mut reply = HostReply::Continue;
    let value = loop {
        match evaluation.resume(reply) {
            Step::Done(result) => break result.unwrap(),
            Step::Request(HostRequest::OutOfFuel) => {
                suspensions += 1;
                freed += evaluator.collect_cycles().freed;
                reply = HostReply::Fuel(500);
            }
            Step::Request(other) => panic!("unexpected request {other:?}"),
        }
    };
    // 2000 + 1999 + … + 1, and 0 + 1 + … + 499.
    assert_eq!(
        evaluator.print(&value, true).unwrap(),
        (2000 * 2001 / 2 + 499 * 500 / 2).to_string()
    );
    assert!(suspensions > 10, "{suspensions} suspensions");
    assert!(
        freed > 0,
        "the finished `garbage` cycles are freed on the way"
    );
}

/// Evaluates corpus program `program` at size `n` twice, each on a fresh
/// evaluator from `make`, the second time with collections at many points
/// in the middle of the evaluation, and checks that both print the same
/// and that at least `least` of those collections ran (as many candidates
/// as survived the last collection must be noted before the next, so a
/// program that keeps most of what it makes sees few).
fn same_with_collections_during(make: impl Fn() -> Evaluator, program: &str, n: usize, least: u64) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/nix");
    let call = format!("import {} {{ n = {n}; }}", corpus.join(program).display());
    let run = |floor: usize| {
        let evaluator = make();
        spindle::value::set_running_floor(floor);
        let value = evaluator.eval_str(&call).unwrap();
        let printed = evaluator.print(&value, true).unwrap();
        spindle::value::set_running_floor(spindle::value::RUNNING_FLOOR);
        (evaluator.vm_kind(), printed)
    };
    let collections = || spindle::value::collection_totals().collections;
    let start = collections();
    let (vm, quiet) = run(spindle::value::RUNNING_FLOOR);
    // Between operations and when the evaluator is dropped.
    let outside = collections() - start;
    let start = collections();
    let (_, busy) = run(64);
    let during = collections() - start - outside;
    assert_eq!(quiet, busy, "{vm:?} {program}");
    assert!(
        during >= least,
        "{vm:?} {program}: {during} collections during the evaluation"
    );
}

/// Programs of the benchmark corpus that make cycles all the time (a
/// module system, fixpoints, recursion), evaluated with collections in the
/// middle of the evaluation: each prints what it prints without them.
#[test]
fn collections_in_the_middle_of_evaluations_change_nothing() {
    for &vm in VmKind::ALL {
        let make = || Evaluator::builder().vm(vm).build();
        same_with_collections_during(make, "modules.nix", 20, 2);
        same_with_collections_during(make, "fixpoint.nix", 30, 2);
        same_with_collections_during(make, "deep_recursion.nix", 1, 2);
    }
}

/// The same with the Nixpkgs library: `lib.evalModules` with typed
/// options, submodules and `mkIf`/`mkMerge`/`mkForce`.
#[test]
fn collections_in_the_middle_of_library_code_change_nothing() {
    let Some(lib) = common::nixpkgs_lib_dir() else {
        common::data_missing("the Nixpkgs library", common::NIXPKGS_LIB_HINT);
        return;
    };
    for &vm in VmKind::ALL {
        let make = || {
            Evaluator::builder()
                .vm(vm)
                .search_path([format!("nixpkgs-lib={}", lib.display())])
                .build()
        };
        same_with_collections_during(make, "lib_modules.nix", 100, 2);
    }
}

/// A chain of 300,000 thunks the collector knows of, each evaluated to a
/// closure that captures the next, is dropped on the test thread's small
/// stack without recursing natively.
#[test]
fn dropping_a_long_chain_of_candidates_does_not_recurse() {
    for evaluator in evaluators() {
        let chain = evaluator
            .eval_str(
                "let build = n: prev: if n == 0 then prev \
                 else build (n - 1) (let h = x: prev x; z = h; in h); \
                 in build 300000 (x: x)",
            )
            .unwrap();
        evaluator.set_global("chain", chain.clone());
        let called = evaluator.eval_str("chain 7").unwrap();
        assert_eq!(evaluator.print(&called, true).unwrap(), "7");
        evaluator.set_global("chain", spindle::Value::Null);
        drop(chain);
        evaluator.collect_cycles();
    }
}
