//! The embedding API: stepping evaluations, fuel, cancellation, host
//! builtins, globals and lazy inspection.

use std::cell::Cell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use spindle::bstr::ByteSlice;
use spindle::{Engine, ErrorKind, Evaluation, Evaluator, HostReply, HostRequest, Step, Value};

/// Resumes until the next request, which must be a file read; returns its path.
fn expect_read(evaluation: &mut Evaluation, reply: HostReply) -> PathBuf {
    match evaluation.resume(reply) {
        Step::Request(HostRequest::ReadFile(path)) => path,
        Step::Request(other) => panic!("expected a file read, got {other:?}"),
        Step::Done(result) => panic!("expected a file read, finished with {result:?}"),
    }
}

fn expect_done(evaluation: &mut Evaluation, reply: HostReply) -> spindle::Result<Value> {
    match evaluation.resume(reply) {
        Step::Done(result) => result,
        Step::Request(other) => panic!("expected the end, got {other:?}"),
    }
}

fn file(text: &str) -> HostReply {
    HostReply::File(Ok(text.as_bytes().to_vec()))
}

fn in_use_segments() -> usize {
    spindle_fiber::pool::stats().in_use_segments
}

/// A read requested 100 000 levels down, each level nesting natively
/// through `tryEval`, which forces its argument from Rust (plain Nix-to-Nix
/// calls would not touch the native stack at all).
const DEEP_READ: &str = "let f = n: if n == 0 then builtins.readFile /deep/bottom
                                    else (builtins.tryEval (f (n - 1))).value;
                         in f 100000";

#[test]
fn a_request_from_a_hundred_thousand_frames_deep_is_answered() {
    let evaluator = Evaluator::builder().host_io().build();
    let mut evaluation = evaluator.start_str(DEEP_READ);
    let path = expect_read(&mut evaluation, HostReply::Continue);
    assert_eq!(path, PathBuf::from("/deep/bottom"));
    let stats = evaluation.stack_stats();
    assert!(
        stats.segments_in_use > 4,
        "suspended deep down on few segments: {stats:?}"
    );
    let value = expect_done(&mut evaluation, file("found")).unwrap();
    assert_eq!(value.as_str(), Some("found"));
    assert!(evaluation.is_finished());
}

#[test]
fn interleaved_evaluations_resume_in_any_order() {
    let evaluator = Evaluator::builder().host_io().build();
    let sources: Vec<String> = (0..4)
        .map(|i| {
            format!(
                "let deep = n: if n == 0 then builtins.readFile /a/{i} else deep (n - 1); \
                 in deep {} + builtins.readFile /b/{i}",
                1000 * (i + 1)
            )
        })
        .collect();
    let mut evaluations: Vec<Evaluation> = sources.iter().map(|s| evaluator.start_str(s)).collect();
    // Start all; each stops at its first read.
    for (i, evaluation) in evaluations.iter_mut().enumerate() {
        let path = expect_read(evaluation, HostReply::Continue);
        assert_eq!(path, PathBuf::from(format!("/a/{i}")));
    }
    // Answer the first reads in reverse order; each stops at its second.
    for (i, evaluation) in evaluations.iter_mut().enumerate().rev() {
        let path = expect_read(evaluation, file(&format!("x{i}")));
        assert_eq!(path, PathBuf::from(format!("/b/{i}")));
    }
    // Finish them in a shuffled order.
    for i in [2, 0, 3, 1] {
        let value = expect_done(&mut evaluations[i], file(&format!("y{i}"))).unwrap();
        assert_eq!(value.as_str(), Some(format!("x{i}y{i}").as_str()));
    }
}

#[test]
fn separate_evaluators_interleave_on_one_thread() {
    let evaluators: Vec<Evaluator> = (0..3)
        .map(|_| Evaluator::builder().host_io().build())
        .collect();
    let mut evaluations: Vec<Evaluation> =
        evaluators.iter().map(|e| e.start_str(DEEP_READ)).collect();
    for evaluation in &mut evaluations {
        expect_read(evaluation, HostReply::Continue);
    }
    for (i, evaluation) in evaluations.iter_mut().enumerate().rev() {
        let value = expect_done(evaluation, file(&i.to_string())).unwrap();
        assert_eq!(value.as_str(), Some(i.to_string().as_str()));
    }
}

#[test]
fn dropping_a_suspended_evaluation_returns_every_segment() {
    let before = in_use_segments();
    let evaluator = Evaluator::builder().host_io().build();
    {
        let mut evaluation = evaluator.start_str(DEEP_READ);
        expect_read(&mut evaluation, HostReply::Continue);
        assert!(in_use_segments() > before + 4);
    }
    assert_eq!(in_use_segments(), before);
}

#[test]
fn fuel_suspends_and_cancellation_unwinds_cleanly() {
    let before = in_use_segments();
    let evaluator = Evaluator::builder().build();
    // Never ends, and nests deeper with every step.
    let mut evaluation = evaluator
        .start_str("let f = n: 1 + (builtins.tryEval (f (n + 1))).value; in f 0")
        .with_fuel(10_000);
    let mut reply = HostReply::Continue;
    for _ in 0..20 {
        match evaluation.resume(reply) {
            Step::Request(HostRequest::OutOfFuel) => reply = HostReply::Fuel(10_000),
            other => panic!("expected to run out of fuel, got {other:?}"),
        }
    }
    assert!(in_use_segments() > before + 4, "200 000 nested calls");
    let error = evaluation.cancel().unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Cancelled), "{error}");
    assert_eq!(in_use_segments(), before);
}

#[test]
fn a_thunk_forced_by_a_cancelled_evaluation_can_be_forced_again() {
    let evaluator = Evaluator::builder()
        .global_expr(
            "slow",
            "let f = n: if n == 0 then 42 else f (n - 1); in f 100000",
        )
        .build();
    let mut evaluation = evaluator.start_str("slow + 1").with_fuel(1_000);
    assert!(matches!(
        evaluation.resume(HostReply::Continue),
        Step::Request(HostRequest::OutOfFuel)
    ));
    drop(evaluation);
    assert_eq!(evaluator.eval_str("slow").unwrap().as_int(), Some(42));
}

#[test]
fn declining_more_fuel_fails_with_out_of_fuel() {
    let evaluator = Evaluator::builder().fuel(100).build();
    let error = evaluator
        .eval_str("let f = n: if n == 0 then 0 else f (n - 1); in f 1000")
        .unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::OutOfFuel), "{error}");
    // The same budget is enough for a small evaluation.
    assert_eq!(
        evaluator.eval_str("(x: x + 1) 1").unwrap().as_int(),
        Some(2)
    );

    let mut evaluation =
        evaluator.start_str("let f = n: if n == 0 then 0 else f (n - 1); in f 1000");
    assert!(matches!(
        evaluation.resume(HostReply::Continue),
        Step::Request(HostRequest::OutOfFuel)
    ));
    let error = expect_done(&mut evaluation, HostReply::Fuel(0)).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::OutOfFuel), "{error}");
}

#[test]
fn fuel_counts_closure_calls_and_thunk_forces() {
    let evaluator = Evaluator::builder().build();
    let mut evaluation = evaluator
        .start_str("let f = n: if n == 0 then 0 else f (n - 1); in f 1000")
        .with_fuel(100);
    let mut refills = 0;
    let value = evaluation
        .run_with(|request| match request {
            HostRequest::OutOfFuel => {
                refills += 1;
                HostReply::Fuel(100)
            }
            other => panic!("unexpected {other:?}"),
        })
        .unwrap();
    assert_eq!(value.as_int(), Some(0));
    // 1001 calls, give or take a few; `n - 1` is computed on the spot, as
    // `n` is a number already, so there are no argument thunks to force.
    assert!((9..=12).contains(&refills), "{refills} refills");
}

#[test]
fn cancelling_while_waiting_for_io_leaves_the_import_usable() {
    let files = HashMap::from([("/lib.nix", "{ x = 1; }")]);
    let evaluator = Evaluator::builder().host_io().build();
    let mut first = evaluator.start_str("(import /lib.nix).x");
    // Answer the checks on the path, stop at the read of the file.
    let mut reply = HostReply::Continue;
    loop {
        match first.resume(reply) {
            Step::Request(HostRequest::ReadFile(_)) => break,
            Step::Request(other) => reply = serve(&files, other),
            Step::Done(result) => panic!("finished early: {result:?}"),
        }
    }
    let error = first.cancel().unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Cancelled), "{error}");
    let mut second = evaluator.start_str("(import /lib.nix).x");
    let value = second.run_with(|request| serve(&files, request)).unwrap();
    assert_eq!(value.as_int(), Some(1));
}

/// Serves requests from an in-memory file system.
fn serve(files: &HashMap<&str, &str>, request: HostRequest) -> HostReply {
    let lookup = |path: &PathBuf| files.get(path.to_str().unwrap_or("")).copied();
    let missing = || std::io::Error::from(std::io::ErrorKind::NotFound);
    match request {
        HostRequest::ReadFile(path) => HostReply::File(
            lookup(&path)
                .map(|t| t.as_bytes().to_vec())
                .ok_or_else(missing),
        ),
        HostRequest::FileType(path) => HostReply::FileType(
            lookup(&path)
                .map(|_| spindle::io::FileType::Regular)
                .ok_or_else(missing),
        ),
        HostRequest::PathExists(path) => HostReply::Exists(Ok(lookup(&path).is_some())),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_wrong_answer_is_an_error_not_a_panic() {
    let evaluator = Evaluator::builder().host_io().build();
    let mut evaluation = evaluator.start_str("builtins.readFile /x");
    expect_read(&mut evaluation, HostReply::Continue);
    let error = expect_done(&mut evaluation, HostReply::Time(Ok(0))).unwrap_err();
    assert!(error.to_string().contains("answered"), "{error}");
    // Resuming a finished evaluation is an error too.
    assert!(matches!(
        evaluation.resume(HostReply::Continue),
        Step::Done(Err(_))
    ));
}

#[test]
fn synchronous_calls_use_the_fallback_io() {
    let evaluator = Evaluator::builder().host_io().pure(true).build();
    let error = evaluator
        .eval_str("builtins.readFile /etc/hostname")
        .unwrap_err();
    assert!(error.to_string().contains("pure"), "{error}");
}

#[test]
fn async_builtins_are_answered_by_the_host() {
    let evaluator = Evaluator::builder()
        .async_builtin("fetch", 1)
        .host_io()
        .build();
    let mut evaluation =
        evaluator.start_str(r#"(builtins.fetch { url = "https://example.org/" + "a"; }).size * 2"#);
    let value = evaluation
        .run_with(|request| match request {
            HostRequest::Call { name, args } => {
                assert_eq!(&*name, "fetch");
                #[derive(serde::Deserialize)]
                struct Fetch {
                    url: String,
                }
                let fetch: Fetch = spindle::convert::from_evaluated(&args[0]).unwrap();
                assert_eq!(fetch.url, "https://example.org/a");
                HostReply::Value(spindle::to_value(&HashMap::from([("size", 21)])))
            }
            other => panic!("unexpected {other:?}"),
        })
        .unwrap();
    assert_eq!(value.as_int(), Some(42));
    // Synchronously, there is nobody to answer.
    assert!(evaluator.eval_str(r#"builtins.fetch "x""#).is_err());
}

#[test]
fn host_builtins_capture_state_and_call_back_into_nix() {
    let calls = Rc::new(Cell::new(0));
    let counter = calls.clone();
    let evaluator = Evaluator::builder()
        .builtin("count", 1, move |vm, args| {
            counter.set(counter.get() + 1);
            vm.force(args[0].clone())
        })
        .builtin("applyTwice", 2, |vm, args| {
            let once = vm.call(args[0].clone(), args[1].clone())?;
            vm.call_forced(args[0].clone(), once)
        })
        .global("answer", 42)
        .global("nested", spindle::to_value(&vec![1, 2, 3]).unwrap())
        .global(
            "helper",
            Value::host_builtin("helper", 1, |vm, args| {
                Ok(Value::Int(vm.force_int(args[0].clone())? + 1))
            }),
        )
        .global_expr("double", "x: x * 2")
        .build();
    let print = |src: &str| {
        let v = evaluator.eval_str(src).unwrap();
        evaluator.print(&v, true).unwrap()
    };
    assert_eq!(print("builtins.applyTwice (x: x * 3) 2"), "18");
    assert_eq!(print("map builtins.count [ 1 2 3 ]"), "[ 1 2 3 ]");
    assert_eq!(calls.get(), 3);
    assert_eq!(print("let p = builtins.applyTwice double; in p 5"), "20");
    assert_eq!(print("answer + helper 1 + builtins.length nested"), "47");
    assert_eq!(print("builtins.typeOf builtins.count"), "\"lambda\"");
    assert_eq!(print("builtins.count"), "<PRIMOP>");
    assert_eq!(print("builtins.applyTwice (x: x)"), "<PRIMOP-APP>");
    assert_eq!(print("builtins.builtins ? applyTwice"), "true");
    assert_eq!(print("__count 7"), "7");
    // Errors of the closure's Nix code come back as Nix errors.
    let error = evaluator
        .eval_str("builtins.applyTwice (x: x + \"s\") 1")
        .unwrap_err();
    assert!(error.to_string().contains("cannot"), "{error}");
    // Globals can be added after building, for code compiled afterwards.
    evaluator.set_global("late", "here");
    assert_eq!(print("late"), "\"here\"");
}

#[test]
fn a_global_expression_with_a_syntax_error_fails_where_it_is_used() {
    let evaluator = Evaluator::builder().global_expr("broken", "1 +").build();
    assert_eq!(evaluator.eval_str("1").unwrap().as_int(), Some(1));
    let error = evaluator.eval_str("broken").unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Syntax(_)), "{error}");
}

#[test]
fn globals_are_visible_in_imported_files() {
    let files = HashMap::from([("/lib.nix", "answer * 2")]);
    let evaluator = Evaluator::builder().host_io().global("answer", 21).build();
    let mut evaluation = evaluator.start_file("/lib.nix");
    let value = evaluation.run_with(|r| serve(&files, r)).unwrap();
    assert_eq!(value.as_int(), Some(42));
}

#[test]
fn values_are_inspected_one_attribute_at_a_time() {
    let evaluator = Evaluator::builder().build();
    let value = evaluator
        .eval_str(
            r#"{ name = "web"; ports = [ 80 (throw "not this one") 443 ];
                 broken = throw "never forced"; nested.deeper.leaf = 1 + 1;
                 f = a: b: a - b; }"#,
        )
        .unwrap();
    assert_eq!(
        evaluator.attr_names(&value).unwrap(),
        ["broken", "f", "name", "nested", "ports"]
    );
    let name = evaluator.get_attr(&value, "name").unwrap().unwrap();
    assert_eq!(name.as_str(), Some("web"));
    assert!(evaluator.get_attr(&value, "missing").unwrap().is_none());
    assert!(evaluator.get_attr(&value, "broken").is_err());
    let ports = evaluator.get_attr(&value, "ports").unwrap().unwrap();
    assert_eq!(evaluator.list_len(&ports).unwrap(), 3);
    assert_eq!(
        evaluator.get_index(&ports, 2).unwrap().unwrap().as_int(),
        Some(443)
    );
    assert!(evaluator.get_index(&ports, 1).is_err());
    assert!(evaluator.get_index(&ports, 3).unwrap().is_none());
    assert_eq!(
        evaluator.select(&value, "ports.0").unwrap().as_int(),
        Some(80)
    );
    assert_eq!(
        evaluator
            .select(&value, "nested.deeper.leaf")
            .unwrap()
            .as_int(),
        Some(2)
    );
    let f = evaluator.get_attr(&value, "f").unwrap().unwrap();
    let result = evaluator
        .call(&f, &[Value::Int(10), Value::Int(3)])
        .unwrap();
    assert_eq!(result.as_int(), Some(7));
    // Printing lazily shows what is not evaluated yet.
    let printed = evaluator.print(&value, false).unwrap();
    assert!(printed.contains_str("broken = <CODE>"), "{printed}");
}

#[test]
fn stepping_evaluations_of_any_type() {
    let evaluator = Evaluator::builder().build();
    let value = evaluator.eval_str("{ a = [ 1 2 ]; b = \"x\"; }").unwrap();
    let mut evaluation = evaluator.start_with(move |vm| {
        #[derive(serde::Deserialize)]
        struct Shape {
            a: Vec<i64>,
            b: String,
        }
        let shape: Shape = spindle::from_value(vm, &value)?;
        Ok(format!("{}{}", shape.a.len(), shape.b))
    });
    assert_eq!(evaluation.run_with(|r| panic!("{r:?}")).unwrap(), "2x");
}
