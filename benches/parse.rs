//! Parsing and compiling long flat chains, 10^4 to 10^6 terms, to show that
//! both grow linearly (see docs/reliability.md). Parse-only times the
//! parser alone (`syntax::parse_green`); parse+compile is
//! `Evaluator::check_source`, what `spindle eval --parse` does. Each figure
//! is the best of a few runs.
//!
//! ```sh
//! cargo bench --bench parse              # every family, 10^4..10^6
//! cargo bench --bench parse -- select 6  # one family, up to 10^6
//! ```
//!
//! Peak memory, and deep nesting refused at 10^5..10^7, are measured per
//! process by `benches/parse-memory.sh`.

use std::time::{Duration, Instant};

use spindle::Evaluator;

/// The allocator the `spindle` binary uses.
#[global_allocator]
static ALLOCATOR: spindle_alloc::Mimalloc = spindle_alloc::Mimalloc;

/// The families: the first term, and what each further term adds.
const FAMILIES: &[(&str, &str, &str, &str)] = &[
    ("plus", "1", " + 1", ""),
    ("concat", "[]", " ++ []", ""),
    ("update", "{}", " // {}", ""),
    ("select", "{ a = 1; }.a", ".a", ""),
    ("apply", "(x: x)", " 1", ""),
    ("list", "[", " 1", " ]"),
    ("set", "{", " a# = 1;", " }"),
];

fn source(first: &str, more: &str, last: &str, n: usize) -> String {
    let mut s = String::with_capacity(first.len() + n * (more.len() + 7) + last.len());
    s.push_str(first);
    for i in 0..n {
        // `#` numbers the attribute names of sets, which must differ.
        s.push_str(&more.replace('#', &i.to_string()));
    }
    s.push_str(last);
    s
}

/// The best of three runs of `f`, on a stack as large as parsing gets.
fn best(f: impl Fn() -> bool + Send + Sync + 'static) -> (Duration, bool) {
    let f = std::sync::Arc::new(f);
    (0..3)
        .map(|_| {
            let f = f.clone();
            std::thread::Builder::new()
                .stack_size(1 << 30)
                .spawn(move || {
                    let start = Instant::now();
                    let ok = f();
                    (start.elapsed(), ok)
                })
                .expect("a thread")
                .join()
                .expect("no panic")
        })
        .min()
        .expect("three runs")
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let only = args.first().cloned();
    let top: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(6);
    println!("| family | terms | parse | parse+compile |");
    println!("|---|---:|---:|---:|");
    for &(name, first, more, last) in FAMILIES {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        for exponent in 4..=top {
            let n = 10usize.pow(exponent);
            let text = std::sync::Arc::new(source(first, more, last, n));
            let t = text.clone();
            let (parse, parsed) = best(move || spindle::syntax::parse_green(&t).is_ok());
            let t = text.clone();
            let (both, compiled) = best(move || {
                let evaluator = Evaluator::builder().build();
                evaluator
                    .check_source("chain.nix".into(), t.to_string(), std::path::Path::new("/"))
                    .is_ok()
            });
            assert!(parsed && compiled, "{name} at 10^{exponent} fails");
            println!(
                "| {name} | 10^{exponent} | {:.3} s | {:.3} s |",
                parse.as_secs_f64(),
                both.as_secs_f64()
            );
        }
    }
}
