//! Depth stress tests: every family of nesting that a Nix program can build
//! runs `depth()` levels deep (10^6 in optimised builds) and must give the
//! right answer, bounded only by the stack budget.
//!
//! `SPINDLE_STRESS_DEPTH` overrides the depth.

use spindle::{ErrorKind, Evaluator};

fn depth() -> u64 {
    if let Ok(d) = std::env::var("SPINDLE_STRESS_DEPTH") {
        return d.parse().expect("SPINDLE_STRESS_DEPTH is a number");
    }
    if cfg!(debug_assertions) {
        100_000
    } else {
        1_000_000
    }
}

/// Evaluates `source` with `N` bound to the depth, strictly, and prints it.
fn eval(source: &str) -> String {
    let n = depth();
    let program = format!("let N = {n}; in {source}");
    let evaluator = Evaluator::builder().build();
    let value = evaluator
        .eval_str(&program)
        .unwrap_or_else(|e| panic!("{}", evaluator.render_error(&e, false)));
    evaluator
        .print(&value, true)
        .unwrap_or_else(|e| panic!("{}", evaluator.render_error(&e, false)))
}

fn n() -> String {
    depth().to_string()
}

#[test]
fn plain_recursion() {
    assert_eq!(
        eval("let f = n: if n == 0 then 0 else 1 + f (n - 1); in f N"),
        n()
    );
}

#[test]
fn mutual_recursion() {
    let src = "let even = n: if n == 0 then true else odd (n - 1);
                   odd = n: if n == 0 then false else even (n - 1);
               in [ (even N) (odd N) ]";
    assert_eq!(eval(src), "[ true false ]");
}

/// A recursion whose every level passes through `via`, a builtin that calls
/// back into Nix: `via` receives `k`, the rest of the recursion, and must
/// return `k` applied somehow.
fn sandwich(via: &str) -> String {
    eval(&format!(
        "let via = {via}; f = n: if n == 0 then 0 else via (_: 1 + f (n - 1)); in f N"
    ))
}

#[test]
fn sandwich_foldl() {
    assert_eq!(sandwich("k: builtins.foldl' (acc: x: k x) 0 [ 1 ]"), n());
}

#[test]
fn sandwich_map() {
    assert_eq!(sandwich("k: builtins.head (map k [ 1 ])"), n());
}

#[test]
fn sandwich_filter() {
    assert_eq!(
        sandwich("k: let r = k null; in builtins.head (builtins.filter (x: r >= 0) [ r ])"),
        n()
    );
}

#[test]
fn sandwich_sort_comparator() {
    assert_eq!(
        sandwich(
            "k: let r = k null; in builtins.head (builtins.sort (a: b: r >= 0 && a < b) [ r r ])"
        ),
        n()
    );
}

#[test]
fn sandwich_gen_list() {
    assert_eq!(sandwich("k: builtins.head (builtins.genList k 1)"), n());
}

#[test]
fn sandwich_map_attrs() {
    assert_eq!(
        sandwich("k: (builtins.mapAttrs (name: k) { a = 1; }).a"),
        n()
    );
}

#[test]
fn sandwich_concat_map() {
    assert_eq!(
        sandwich("k: builtins.head (builtins.concatMap (x: [ (k x) ]) [ 1 ])"),
        n()
    );
}

#[test]
fn sandwich_any_all() {
    let any = "k: let r = k null; in if builtins.any (x: x == r) [ r ] then r else -1";
    assert_eq!(sandwich(any), n());
    let all = "k: let r = k null; in if builtins.all (x: x == r) [ r ] then r else -1";
    assert_eq!(sandwich(all), n());
}

#[test]
fn sandwich_partition_group_by() {
    assert_eq!(
        sandwich(
            "k: let r = k null; in builtins.head (builtins.partition (x: r >= 0) [ r ]).right"
        ),
        n()
    );
    assert_eq!(
        sandwich("k: let r = k null; in builtins.head (builtins.groupBy (x: if r >= 0 then \"a\" else \"b\") [ r ]).a"),
        n()
    );
}

#[test]
fn sandwich_zip_attrs_with_and_list_to_attrs() {
    assert_eq!(
        sandwich("k: (builtins.zipAttrsWith (name: vs: k vs) [ { a = 1; } ]).a"),
        n()
    );
    assert_eq!(
        sandwich("k: (builtins.listToAttrs [ { name = \"a\"; value = k null; } ]).a"),
        n()
    );
}

#[test]
fn sandwich_functor_and_to_string() {
    assert_eq!(sandwich("k: { __functor = self: x: k x; } null"), n());
    assert_eq!(
        sandwich("k: builtins.fromJSON (toString { __toString = self: toString (k null); })"),
        n()
    );
}

#[test]
fn thunk_chain_forced_from_the_far_end() {
    let src = "let xs = builtins.genList (i: if i == 0 then 0 else builtins.elemAt xs (i - 1) + 1) (N + 1);
               in builtins.elemAt xs N";
    assert_eq!(eval(src), n());
}

#[test]
fn lazy_accumulator_chain() {
    // `acc + 1` is never forced until the end: a chain of N thunks.
    let src = "let go = i: acc: if i == 0 then acc else go (i - 1) (acc + 1); in go N 0";
    assert_eq!(eval(src), n());
}

/// A structure nested N deep: `{ next = { next = … null … }; }` built lazily
/// by recursion and as a list `[ [ … [ ] … ] ]`.
const NESTED_SET: &str = "let mk = n: if n == 0 then null else { next = mk (n - 1); }; in mk N";
const NESTED_LIST: &str = "let mk = n: if n == 0 then [ ] else [ (mk (n - 1)) ]; in mk N";

#[test]
fn deep_seq_of_nested_data() {
    assert_eq!(eval(&format!("builtins.deepSeq ({NESTED_SET}) 1")), "1");
    assert_eq!(eval(&format!("builtins.deepSeq ({NESTED_LIST}) 1")), "1");
}

#[test]
fn equality_and_ordering_of_nested_data() {
    assert_eq!(eval(&format!("({NESTED_SET}) == ({NESTED_SET})")), "true");
    assert_eq!(eval(&format!("({NESTED_LIST}) == ({NESTED_LIST})")), "true");
    // Lists of different lengths are unequal at once, so `<` recurses into
    // the first elements at every level without comparing whole subtrees.
    let less = "let a = n: if n == 0 then [ 1 ] else [ (a (n - 1)) 0 ];
                    b = n: if n == 0 then [ 2 ] else [ (b (n - 1)) ];
                in a N < b N";
    assert_eq!(eval(less), "true");
}

#[test]
fn to_string_of_nested_lists() {
    let src = "let mk = n: if n == 0 then [ \"x\" ] else [ (mk (n - 1)) ]; in toString (mk N)";
    assert_eq!(eval(src), "\"x\"");
}

#[test]
fn printing_nested_data_strictly() {
    let printed = eval(NESTED_LIST);
    assert_eq!(printed.len(), 4 * depth() as usize + 3);
    assert!(printed.starts_with("[ [ [ "));
}

#[test]
fn long_lists_and_attr_chains_are_built_and_dropped() {
    let big = if cfg!(debug_assertions) {
        1_000_000
    } else {
        10_000_000
    };
    let src = format!("builtins.length (builtins.genList (i: i) {big})");
    assert_eq!(eval(&src), big.to_string());
    // A chain of N nested sets, dropped after use.
    assert_eq!(
        eval(&format!("let s = {NESTED_SET}; in s.next.next == null")),
        "false"
    );
}

#[test]
fn import_chain() {
    let dir = std::env::temp_dir().join(format!("spindle-import-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let n = if cfg!(debug_assertions) {
        2_000
    } else {
        10_000
    };
    for i in 0..n {
        let body = if i + 1 == n {
            "0".to_string()
        } else {
            format!("1 + import ./f{}.nix", i + 1)
        };
        std::fs::write(dir.join(format!("f{i}.nix")), body).unwrap();
    }
    let evaluator = Evaluator::builder().build();
    let value = evaluator.eval_file(dir.join("f0.nix")).unwrap();
    assert_eq!(evaluator.print(&value, true).unwrap(), (n - 1).to_string());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn runaway_recursion_hits_the_budget_cleanly() {
    let evaluator = Evaluator::builder().stack_budget(64 << 20).build();
    let err = evaluator
        .eval_str("let f = x: 1 + f x; in f 0")
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::StackExhausted { .. }),
        "{err}"
    );
    let rendered = evaluator.render_error(&err, true);
    assert!(rendered.contains("while calling 'f'"), "{rendered}");
    assert!(rendered.contains("more frames elided"), "{rendered}");
    assert!(
        rendered.lines().count() < 400,
        "trace not elided:\n{rendered}"
    );
}

#[test]
fn self_reference_is_infinite_recursion() {
    let evaluator = Evaluator::builder().build();
    let err = evaluator.eval_str("let x = x + 1; in x").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InfiniteRecursion), "{err}");
}

#[test]
fn deep_chain_within_a_small_budget_reports_the_budget() {
    let evaluator = Evaluator::builder().stack_budget(8 << 20).build();
    let err = evaluator
        .eval_str("let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 1000000")
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::StackExhausted { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("stack budget"), "{err}");
}
