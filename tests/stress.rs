//! Depth stress tests: every family of nesting that a Nix program can build
//! runs `depth()` levels deep (10^6 in optimised builds) and must give the
//! right answer, bounded only by the stack budget, within the native stack
//! per level its line in `stress/families.tsv` allows.
//!
//! `SPINDLE_STRESS_DEPTH` overrides the depth.

use std::path::Path;

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
    eval_measured(source).0
}

/// [`eval`], also giving the peak native (fiber) stack the evaluation used.
fn eval_measured(source: &str) -> (String, usize) {
    let n = depth();
    let program = format!("let N = {n}; in {source}");
    let evaluator = Evaluator::builder().build();
    let value = evaluator
        .eval_str(&program)
        .unwrap_or_else(|e| panic!("{}", evaluator.render_error(&e, false)));
    let printed = evaluator
        .print(&value, true)
        .unwrap_or_else(|e| panic!("{}", evaluator.render_error(&e, false)));
    (printed.to_string(), evaluator.peak_stack_bytes())
}

/// A family of `stress/families.tsv`.
struct Family {
    name: String,
    program: String,
    expected: String,
    /// The native stack one level may take, in bytes.
    stack_per_level: u64,
}

fn families() -> Vec<Family> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("stress/families.tsv");
    let text = std::fs::read_to_string(path).expect("stress/families.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 4, "malformed family line: {l}");
            Family {
                name: cols[0].to_string(),
                program: cols[1].to_string(),
                expected: cols[2].to_string(),
                stack_per_level: cols[3].parse().expect("STACK is a number of bytes"),
            }
        })
        .collect()
}

/// What a run may take besides its levels: the first segments, and the
/// serialisers' and printer's bounded work.
const STACK_SLACK: u64 = 8 << 20;

/// The expected output of a family at depth `n`.
fn expected(pattern: &str, n: u64) -> String {
    if pattern == "NESTED" {
        let n = n as usize;
        return format!("{}0{}", "[ ".repeat(n), " ]".repeat(n));
    }
    pattern.replace('N', &n.to_string())
}

#[test]
fn every_family_at_depth() {
    let n = depth();
    let mut failures = Vec::new();
    for family in families() {
        let name = &family.name;
        let got = std::panic::catch_unwind(|| eval_measured(&family.program));
        // Unoptimised frames are several times larger; only the families
        // that take no native stack per level are held to it there.
        let per_level = if cfg!(debug_assertions) && family.stack_per_level > 0 {
            u64::MAX / (2 * n)
        } else {
            family.stack_per_level
        };
        let allowed = per_level * n + STACK_SLACK;
        match got {
            Ok((out, _)) if out != expected(&family.expected, n) => failures.push(format!(
                "{name}: printed {:?}",
                out.chars().take(80).collect::<String>()
            )),
            Ok((_, stack)) if stack as u64 > allowed => failures.push(format!(
                "{name}: took {stack} bytes of native stack, more than {allowed} \
                 ({} per level)",
                family.stack_per_level
            )),
            Ok(_) => {}
            Err(_) => failures.push(format!("{name}: failed (see the panic above)")),
        }
    }
    assert!(
        failures.is_empty(),
        "at depth {n}:\n{}",
        failures.join("\n")
    );
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
    let nested = "let mk = n: if n == 0 then null else { next = mk (n - 1); }; in mk N";
    assert_eq!(
        eval(&format!("let s = {nested}; in s.next.next == null")),
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
