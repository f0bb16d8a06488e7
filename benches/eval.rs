//! Criterion benchmarks of both VMs on the corpus in `benches/nix/`, at the
//! small sizes `benches/nix/corpus.txt` gives (the full sizes are for the
//! process-level runner, `spindle-bench`).
//!
//! Each program's file is evaluated once (parsing and compiling are not
//! measured); an iteration calls its function with `{ n = SMALL; }` and
//! prints the result strictly, as `eval --strict` does. Both VMs must print
//! the same, which is checked before measuring.
//!
//! ```sh
//! cargo bench --bench eval                 # everything, a few minutes
//! cargo bench --bench eval -- sort/        # one program, both VMs
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use spindle::{Evaluator, Value, VmKind};

/// A program of the corpus and the size criterion runs it at.
struct Program {
    name: String,
    path: PathBuf,
    n: u64,
    /// The search path entry `nixpkgs-lib=DIR` when it imports the Nixpkgs
    /// library.
    search_path: Vec<String>,
}

#[allow(dead_code)]
#[path = "../tests/common/data.rs"]
mod data;

/// The Nixpkgs library for the programs that import it: the folder
/// `SPINDLE_NIXPKGS_LIB` names, or `../shared/nixpkgs-lib`.
fn nixpkgs_lib() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = data::shared_dir(repo, "SPINDLE_NIXPKGS_LIB", "nixpkgs-lib");
    dir.join("lib/default.nix").is_file().then_some(dir)
}

/// The corpus; a program that needs the Nixpkgs library is left out, with
/// a note, when the library is not there.
fn corpus() -> Vec<Program> {
    let lib = nixpkgs_lib();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/nix");
    let text = std::fs::read_to_string(dir.join("corpus.txt")).expect("benches/nix/corpus.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next().expect("a name").to_string();
            let n = fields
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("corpus.txt: no small size for {name}"));
            let needs_lib = fields.nth(1) == Some("yes");
            let search_path = match (needs_lib, &lib) {
                (false, _) => Vec::new(),
                (true, Some(lib)) => vec![format!("nixpkgs-lib={}", lib.display())],
                (true, None) => {
                    eprintln!(
                        "note: {name} is left out: set SPINDLE_NIXPKGS_LIB to the Nixpkgs library"
                    );
                    return None;
                }
            };
            Some(Program {
                path: dir.join(format!("{name}.nix")),
                name,
                n,
                search_path,
            })
        })
        .collect()
}

/// An evaluator on `vm` with the program's function and its argument.
fn prepare(program: &Program, vm: VmKind) -> (Evaluator, Value, Value) {
    let evaluator = Evaluator::builder()
        .vm(vm)
        .search_path(&program.search_path)
        .build();
    let function = evaluator
        .eval_file(&program.path)
        .unwrap_or_else(|e| panic!("{}: {}", program.name, evaluator.render_error(&e, false)));
    let arg = evaluator
        .eval_str(&format!("{{ n = {}; }}", program.n))
        .expect("the size argument");
    (evaluator, function, arg)
}

fn run_once(evaluator: &Evaluator, function: &Value, arg: &Value) -> spindle::bstr::BString {
    let value = evaluator
        .call(function, std::slice::from_ref(arg))
        .and_then(|v| evaluator.print(&v, true));
    value.unwrap_or_else(|e| panic!("{}", evaluator.render_error(&e, false)))
}

fn bench_corpus(c: &mut Criterion) {
    for program in corpus() {
        let fiber = prepare(&program, VmKind::Fiber);
        let generator = prepare(&program, VmKind::Generator);
        assert_eq!(
            run_once(&fiber.0, &fiber.1, &fiber.2),
            run_once(&generator.0, &generator.1, &generator.2),
            "{}: the two VMs print different results",
            program.name
        );
        let mut group = c.benchmark_group(&program.name);
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for (label, (evaluator, function, arg)) in [("fiber", &fiber), ("generator", &generator)] {
            group.bench_function(BenchmarkId::new(label, program.n), |b| {
                b.iter(|| run_once(evaluator, function, arg))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_corpus);
criterion_main!(benches);
