//! The generator VM against the fiber VM.
//!
//! - Every evaluation test of the upstream Nix language suite runs on both
//!   VMs: the generator VM must pass every test the fiber VM passes, and
//!   both must print the same and exit the same way.
//! - Deep programs (recursion 10^5-10^6 deep, builtin/interpreted
//!   sandwiches through `foldl'` and `sort` comparators, deep data) run on
//!   the generator VM on this test's own thread: its frames live on the
//!   heap, so the thread's small stack must be enough.

mod common;

use spindle::{Evaluator, VmKind};

use common::{discover, run_all, suite_dir, Kind};

#[test]
fn language_suite_on_both_vms() {
    let Some(root) = suite_dir() else {
        common::data_missing("the Nix language suite", common::SUITE_HINT);
        return;
    };
    common::require_binary_flag("--vm");
    let cases: Vec<_> = discover(&root.join("lang"))
        .into_iter()
        .filter(|c| matches!(c.kind, Kind::EvalOkay | Kind::EvalOkayXml | Kind::EvalFail))
        .collect();
    let fiber = run_all(&root, &cases, &["--vm", "fiber"]);
    let generator = run_all(&root, &cases, &["--vm", "generator"]);
    let generator_gaps = generator_gaps();
    let mut problems = Vec::new();
    let (mut fiber_passed, mut generator_passed) = (0, 0);
    for (name, (kind, f)) in &fiber {
        let (_, g) = &generator[name];
        fiber_passed += usize::from(f.passed);
        generator_passed += usize::from(g.passed);
        let known_gap = generator_gaps.contains(name);
        if f.passed && !g.passed && !known_gap {
            problems.push(format!("{name}: passes on the fiber VM only: {}", g.detail));
        }
        if known_gap && g.passed {
            problems.push(format!(
                "{name}: listed as a generator VM gap but passes now"
            ));
        }
        let evaluates = *kind != Kind::EvalFail && !known_gap;
        if evaluates && (f.run.stdout != g.run.stdout || f.run.code != g.run.code) {
            problems.push(format!(
                "{name}: the VMs differ: fiber exit {:?} {:?}, generator exit {:?} {:?} {}",
                f.run.code,
                common::first_line(&f.run.stdout),
                g.run.code,
                common::first_line(&g.run.stdout),
                common::first_line(&g.run.stderr),
            ));
        }
        if f.passed && g.passed && f.run.stderr != g.run.stderr && evaluates {
            problems.push(format!("{name}: the VMs print different traces"));
        }
    }
    eprintln!(
        "\nevaluation tests: {} run; fiber VM passes {fiber_passed}, generator VM passes {generator_passed}",
        cases.len()
    );
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

// ---- depth ------------------------------------------------------------------------

fn evaluator(vm: VmKind) -> Evaluator {
    Evaluator::builder().vm(vm).pure(true).build()
}

/// Evaluates `source` strictly and prints it.
fn eval(vm: VmKind, source: &str) -> Result<String, String> {
    let e = evaluator(vm);
    e.eval_str(source)
        .and_then(|v| e.print(&v, true))
        .map(|printed| printed.to_string())
        .map_err(|err| e.render_error(&err, false))
}

/// Evaluates on the generator VM, on this thread, and expects `expected`.
fn expect_generator(source: &str, expected: &str) {
    assert_eq!(eval(VmKind::Generator, source).as_deref(), Ok(expected));
}

/// Evaluates on both VMs and expects them to agree.
fn expect_same(source: &str) -> String {
    let generator = eval(VmKind::Generator, source);
    let fiber = eval(VmKind::Fiber, source);
    assert_eq!(generator, fiber, "the VMs disagree on {source}");
    generator.unwrap_or_else(|e| e)
}

#[test]
fn recursion_a_million_deep() {
    expect_generator(
        "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 1000000",
        "1000000",
    );
}

#[test]
fn thunk_chain_a_million_long() {
    // Each accumulator is a thunk over the previous one: forcing the last
    // forces a million nested thunks.
    expect_generator(
        "let go = n: acc: if n == 0 then acc else go (n - 1) (acc + 1); in go 1000000 0",
        "1000000",
    );
}

#[test]
fn foldl_sandwich() {
    // Interpreted code calling a builtin calling interpreted code, 10^5 deep.
    expect_generator(
        "let go = n: if n == 0 then 0 else builtins.foldl' (acc: _: acc + go (n - 1)) 1 [ 0 ]; \
         in go 100000",
        "100000",
    );
}

#[test]
fn sort_comparator_sandwich() {
    // The comparator forces the next level down, from inside `sort`.
    expect_generator(
        "let go = n: if n == 0 then 0 else \
           let r = go (n - 1); in 1 + builtins.head (builtins.sort (a: b: a < b) [ (r + 1) r ]); \
         in go 100000",
        "100000",
    );
}

#[test]
fn map_and_generic_callbacks_sandwich() {
    expect_generator(
        "let go = n: if n == 0 then 0 else \
           builtins.head (builtins.filter (x: x >= 0) (map (x: x + go (n - 1)) [ 1 ])); \
         in go 100000",
        "100000",
    );
}

#[test]
fn deep_data_prints() {
    let deep = "builtins.foldl' (acc: x: [ acc ]) [ ] (builtins.genList (x: x) 100000)";
    let printed = eval(VmKind::Generator, deep).expect("prints");
    assert_eq!(printed.len(), 100000 * 4 + 3);
    assert!(printed.starts_with("[ [ [ "));
}

#[test]
fn deep_equality_comparison_and_coercion() {
    let mk = "mk = n: builtins.foldl' (acc: x: [ acc x ]) [ ] (builtins.genList (x: x) n);";
    expect_generator(&format!("let {mk} in mk 100000 == mk 100000"), "true");
    expect_generator(&format!("let {mk} in mk 100000 == mk 100001"), "false");
    // Ordering nested lists is quadratic in Nix (each level asks `==`
    // first), and so is building a nested string: keep these smaller.
    expect_generator(&format!("let {mk} in mk 2000 < mk 2001"), "true");
    let length = format!("let {mk} in builtins.stringLength (toString (mk 10000))");
    assert_eq!(expect_same(&length), "48889");
}

#[test]
fn deep_seq_of_deep_sets() {
    expect_generator(
        "let deep = builtins.foldl' (acc: x: { inner = acc; n = x; }) { } (builtins.genList (x: x) 100000); \
         in builtins.deepSeq deep deep.n",
        "99999",
    );
}

#[test]
fn errors_unwind_from_depth() {
    expect_generator(
        "let f = n: if n == 0 then throw \"bottom\" else 1 + f (n - 1); \
         in (builtins.tryEval (f 100000)).success",
        "false",
    );
    let error = eval(
        VmKind::Generator,
        "let f = n: if n == 0 then abort \"bottom\" else 1 + f (n - 1); in f 100000",
    )
    .expect_err("abort");
    assert!(error.contains("bottom"), "{error}");
}

#[test]
fn infinite_recursion_runs_out_of_budget_not_stack() {
    let e = Evaluator::builder()
        .vm(VmKind::Generator)
        .stack_budget(64 << 20)
        .build();
    let error = e
        .eval_str("let f = n: 1 + f n; in f 0")
        .expect_err("no end");
    assert!(error.to_string().contains("stack budget"), "{error}");
    let e = Evaluator::builder()
        .vm(VmKind::Generator)
        .max_call_depth(1000)
        .build();
    let error = e
        .eval_str("let f = n: 1 + f n; in f 0")
        .expect_err("no end");
    assert!(error.to_string().contains("max-call-depth"), "{error}");
}

#[test]
fn the_vms_agree_on_builtins_that_call_back() {
    for source in [
        "builtins.sort (a: b: a < b) (builtins.genList (i: (i * 7919) - (i / 13) * 13 * 7919) 1000)",
        "builtins.sort (a: b: a.k < b.k) (map (i: { k = i / 3; v = i; }) (builtins.genList (i: 20 - i) 21))",
        "builtins.groupBy (x: if x / 2 * 2 == x then \"even\" else \"odd\") (builtins.genList (x: x) 10)",
        "builtins.partition (x: x > 3) [ 1 5 2 6 ]",
        "builtins.concatMap (x: [ x x ]) [ 1 2 ]",
        "builtins.listToAttrs (map (n: { name = toString n; value = n; }) [ 1 2 1 ])",
        "builtins.zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; b = 3; } ]",
        "builtins.catAttrs \"a\" [ { a = 1; } { } { a = 2; } ]",
        "builtins.removeAttrs { a = 1; b = 2; c = 3; } [ \"a\" \"c\" ]",
        "builtins.elem [ 1 ] [ [ 2 ] [ 1 ] ]",
        "[ (builtins.any (x: x) [ false true ]) (builtins.all (x: x) [ true false ]) ]",
        "builtins.concatStringsSep \", \" [ \"a\" { __toString = s: \"b\"; } ]",
        "builtins.substring 1 3 \"abcdef\"",
        "[ (builtins.dirOf /a/b) (builtins.dirOf \"a/b\") (builtins.baseNameOf \"/x/y\") ]",
        "builtins.tryEval (builtins.getAttr \"x\" { x = throw \"no\"; })",
        "builtins.addErrorContext \"ctx\" 1",
        "builtins.lessThan [ 1 2 ] [ 1 3 ]",
        "let s = { __functor = self: x: x + 1; }; in s 41",
        "builtins.mapAttrs (n: v: v * 2) { a = 1; b = 2; }",
        "toString [ 1 [ ] [ 2 [ 3 ] ] null true \"x\" ]",
        "({ a = 1; } // { b = 2; }) == { a = 1; b = 2; }",
        "builtins.typeOf (builtins.seq 1 2)",
        "builtins.genList (x: x * x) 5",
        "let x = { type = \"derivation\"; outPath = \"/x\"; a = 1; }; in x == (x // { a = 2; })",
        "with { a = 1; }; with { b = 2; }; a + b",
        "let f = { a, b ? a + 1, ... }@args: [ a b (args ? c) ]; in f { a = 1; c = 3; }",
        "\"${toString 1}-${\"x\"}\" + ./a",
        "builtins.tryEval (builtins.foldl' (a: b: if b == 3 then throw \"x\" else a + b) 0 [ 1 2 3 ])",
    ] {
        expect_same(source);
    }
}

#[test]
fn depth_costs_no_native_stack() {
    // Evaluating (not printing) never recurses natively: measured on a
    // fresh stack, and without growing onto fiber segments (which would
    // map more of them, as deep native recursion needs many). The programs
    // are functions of their size, compiled first (the shared compiler may
    // use a segment) and then called.
    let e = evaluator(VmKind::Generator);
    let programs = [
        ("n: let f = n: if n == 0 then 0 else 1 + f (n - 1); in f n", 1000000),
        ("n: let go = n: acc: if n == 0 then acc else go (n - 1) (acc + 1); in go n 0", 1000000),
        ("let go = n: if n == 0 then 0 else builtins.foldl' (acc: _: acc + go (n - 1)) 1 [ 0 ]; in go", 100000),
        ("n: let mk = n: builtins.foldl' (acc: x: [ acc x ]) [ ] (builtins.genList (x: x) n); in mk n == mk n", 100000),
        ("n: builtins.foldl' (acc: x: { inner = acc; }) { } (builtins.genList (x: x) n)", 100000),
    ];
    let functions: Vec<_> = programs
        .iter()
        .map(|(source, n)| (e.eval_str(source).expect("compiles"), *n))
        .collect();
    let segments = spindle_fiber::pool::stats().mapped_segments();
    for ((source, _), (function, n)) in programs.iter().zip(functions) {
        let (result, used) = spindle_fiber::measure_stack_usage(8 << 20, || {
            e.call(&function, &[spindle::Value::Int(n)])
                .and_then(|v| e.deep_force(&v))
        })
        .expect("a stack to measure on");
        assert!(result.is_ok(), "{source}");
        eprintln!("{used:>7} bytes of native stack for {source} at {n}");
        assert!(used < 256 << 10, "{source}: {used} bytes of native stack");
    }
    assert_eq!(
        spindle_fiber::pool::stats().mapped_segments(),
        segments,
        "the generator VM grew onto fiber segments"
    );
}

#[test]
fn command_line_flags_on_both_vms() {
    common::require_binary_flag("--vm");
    let scratch = common::tempdir("cli-flags");
    let dir = scratch.path();
    let file = dir.join("args.nix");
    std::fs::write(
        &file,
        "{ x, y ? 2, s }: { sum = x + y; inner = { list = [ s (x * 10) ]; fn = { z }: z + x; }; }",
    )
    .expect("write args.nix");
    let file = file.to_string_lossy().into_owned();
    let runs: [&[&str]; 4] = [
        &["--strict", &file, "--arg", "x", "5", "--argstr", "s", "hi"],
        &[
            &file,
            "--arg",
            "x",
            "5",
            "--argstr",
            "s",
            "hi",
            "-A",
            "inner.list.1",
        ],
        &[
            &file, "--arg", "x", "5", "--argstr", "s", "hi", "-A", "inner.fn", "--arg", "z", "7",
        ],
        &["--strict", "-E", "{ a = [ { b = 1; } ]; }", "-A", "a.0"],
    ];
    let expected = [
        "{ inner = { fn = <LAMBDA>; list = [ \"hi\" 50 ]; }; sum = 7; }\n",
        "50\n",
        "12\n",
        "{ b = 1; }\n",
    ];
    for (args, expected) in runs.iter().zip(expected) {
        for vm in ["fiber", "generator"] {
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_spindle"))
                .args(["eval", "--vm", vm])
                .args(*args)
                .output()
                .expect("run spindle");
            assert_eq!(
                String::from_utf8_lossy(&output.stdout),
                expected,
                "{vm} VM with {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

/// The tests the generator VM is known not to pass, from the one
/// known-failures list (lines `generator-vm/NAME  REASON`).
fn generator_gaps() -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lang-known-failures.txt");
    std::fs::read_to_string(path)
        .expect("tests/lang-known-failures.txt")
        .lines()
        .filter_map(|l| l.strip_prefix("generator-vm/"))
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect()
}

/// Records the messages of `builtins.trace`; refuses all other I/O.
#[derive(Default)]
struct TraceLog(std::cell::RefCell<Vec<String>>);

impl spindle::io::EvalIo for TraceLog {
    fn read_file(&self, path: &std::path::Path) -> std::io::Result<Vec<u8>> {
        spindle::io::PureIo.read_file(path)
    }
    fn file_type(&self, path: &std::path::Path) -> std::io::Result<spindle::io::FileType> {
        spindle::io::PureIo.file_type(path)
    }
    fn read_dir(
        &self,
        path: &std::path::Path,
    ) -> std::io::Result<Vec<(Vec<u8>, spindle::io::FileType)>> {
        spindle::io::PureIo.read_dir(path)
    }
    fn path_exists(&self, path: &std::path::Path) -> std::io::Result<bool> {
        spindle::io::PureIo.path_exists(path)
    }
    fn get_env(&self, name: &str) -> std::io::Result<Option<String>> {
        spindle::io::PureIo.get_env(name)
    }
    fn current_time(&self) -> std::io::Result<i64> {
        spindle::io::PureIo.current_time()
    }
    fn trace(&self, message: &str) {
        self.0.borrow_mut().push(message.to_string());
    }
}

/// The comparisons `sort` asks of its comparator, as "a b", for a list of
/// distinct integers, and the sorted list.
fn comparisons(vm: VmKind, list: &str) -> (Vec<String>, String) {
    let log = std::rc::Rc::new(TraceLog::default());
    let e = Evaluator::builder().vm(vm).io(log.clone()).build();
    let source = format!(
        "builtins.sort (a: b: builtins.trace \"${{toString a}} ${{toString b}}\" (a < b)) {list}"
    );
    let sorted = e
        .eval_str(&source)
        .and_then(|v| e.print(&v, true))
        .map(|printed| printed.to_string())
        .unwrap_or_else(|err| e.render_error(&err, false));
    let asked = log.0.borrow().clone();
    (asked, sorted)
}

#[test]
fn sort_never_asks_a_comparison_twice() {
    for (list, sorted) in [
        ("[ 3 1 2 ]", "[ 1 2 3 ]"),
        ("[ 1 2 3 ]", "[ 1 2 3 ]"),
        ("[ 9 8 7 6 5 4 3 2 1 ]", "[ 1 2 3 4 5 6 7 8 9 ]"),
        ("[ 5 3 1 4 2 6 0 ]", "[ 0 1 2 3 4 5 6 ]"),
        ("[ 2 1 4 3 6 5 8 7 10 9 ]", "[ 1 2 3 4 5 6 7 8 9 10 ]"),
    ] {
        let (fiber, fiber_sorted) = comparisons(VmKind::Fiber, list);
        let (generator, generator_sorted) = comparisons(VmKind::Generator, list);
        assert_eq!(fiber_sorted, sorted, "{list}");
        assert_eq!(generator_sorted, sorted, "{list}");
        assert_eq!(fiber, generator, "the VMs compare differently on {list}");
        let mut distinct = fiber.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), fiber.len(), "{list} asked {fiber:?}");
    }
}
