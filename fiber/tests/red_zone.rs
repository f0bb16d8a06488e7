//! Measures the stack used by the kinds of unchecked work an evaluator does between
//! two `grow` checks, and checks that each fits in the red zone with room to spare.
//! Work whose stack use grows with its input (deeply nested regexes or JSON) is
//! checked against what a fresh segment (`on_new_segment`) offers instead.
//!
//! Run with `--nocapture` to see the table (`docs/fiber.md` quotes it).

use std::hint::black_box;

use spindle_fiber::{
    measure_stack_usage, on_new_segment, run, TaskConfig, GUARD_SIZE, RED_ZONE, SEGMENT_SIZE,
};

/// Stack given to each measured closure.
const CAPACITY: usize = 4 << 20;

#[derive(Debug)]
#[allow(dead_code)]
enum Tree {
    Leaf(String),
    Node(Vec<Tree>, Option<Box<Tree>>),
}

fn tree(depth: usize) -> Tree {
    if depth == 0 {
        Tree::Leaf("leaf".into())
    } else {
        Tree::Node(
            vec![tree(depth - 1)],
            Some(Box::new(Tree::Leaf("x".into()))),
        )
    }
}

fn nested_json(depth: usize) -> String {
    "[".repeat(depth) + "{\"k\": 1.5e3}" + &"]".repeat(depth)
}

/// How a measured piece of work relates to the red zone.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Bounded work that may run between two checks: must fit in the red zone.
    Gap,
    /// Stack use grows with the input: belongs in a fresh segment.
    DeepInput,
}

/// A measured piece of work: name, kind, bytes used, and the work itself.
type Row = (&'static str, Kind, usize, Box<dyn Fn()>);

fn measurements() -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut measure = |name: &'static str, kind: Kind, f: Box<dyn Fn()>| {
        let ((), used) = measure_stack_usage(CAPACITY, &*f).unwrap();
        rows.push((name, kind, used, f));
    };
    measure("empty closure (baseline)", Kind::Gap, Box::new(|| {}));
    measure(
        "format! of a 16-deep derived Debug value",
        Kind::Gap,
        Box::new(|| {
            black_box(format!("{:?}", tree(16)));
        }),
    );
    measure(
        "Backtrace::force_capture",
        Kind::Gap,
        Box::new(|| {
            let _ = black_box(std::backtrace::Backtrace::force_capture());
        }),
    );
    measure(
        "Backtrace capture + symbolised Display",
        Kind::Gap,
        Box::new(|| {
            black_box(std::backtrace::Backtrace::force_capture().to_string());
        }),
    );
    measure(
        "panic + catch_unwind (silent hook)",
        Kind::Gap,
        Box::new(|| {
            let prev = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let r = std::panic::catch_unwind(|| panic!("measured {}", 1));
            std::panic::set_hook(prev);
            black_box(r.is_err());
        }),
    );
    measure(
        "regex: compile a 200-way alternation with classes",
        Kind::Gap,
        Box::new(|| {
            let pattern = (0..200)
                .map(|i| format!("(?:a{i}[[:alpha:]]+\\d{{2,5}}(x|y|z)*)"))
                .collect::<Vec<_>>()
                .join("|");
            let re = regex::Regex::new(&pattern).unwrap();
            black_box(re.is_match("a17bcd123xyz"));
        }),
    );
    measure(
        "regex: compile a 100-deep nested group",
        Kind::DeepInput,
        Box::new(|| {
            let pattern = "(".repeat(100) + "a" + &")".repeat(100);
            let re = regex::Regex::new(&pattern).unwrap();
            black_box(re.is_match("a"));
        }),
    );
    measure(
        "serde_json: parse + print 100-deep nesting",
        Kind::DeepInput,
        Box::new(|| {
            let v: serde_json::Value = serde_json::from_str(&nested_json(100)).unwrap();
            black_box(serde_json::to_string(&v).unwrap());
        }),
    );
    rows
}

#[test]
fn unchecked_work_fits_in_the_red_zone() {
    let rows = measurements();
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("stack used ({profile}, {}):", std::env::consts::ARCH);
    for (name, kind, used, _) in &rows {
        println!("  {used:>8} B  {name} ({kind:?})");
    }
    println!("  red zone {RED_ZONE} B");
    let fresh_segment = SEGMENT_SIZE - GUARD_SIZE - 4096;
    for (name, kind, used, work) in rows {
        let room = match kind {
            Kind::Gap => RED_ZONE,
            Kind::DeepInput => fresh_segment,
        };
        assert!(
            used * 4 / 3 <= room,
            "{name} used {used} B: too close to the {room} B it may use"
        );
        if kind == Kind::DeepInput {
            // And it really runs there.
            run(TaskConfig::default(), || on_new_segment(&*work).unwrap()).unwrap();
        }
    }
}
