//! Memory stays flat over many evaluations that build cyclic values (`rec`
//! sets with closures, `lib.fix` package sets, `lib.evalModules`): in an
//! embedding host, with one evaluator or a fresh one per request, and in
//! `spindle repl`. Reference counting alone never frees those cycles; the
//! cycle collector does (src/value/cycles.rs). Each request is a source text
//! of its own, which the evaluator's map of sources must not keep for ever
//! (src/source.rs).
//!
//! Its own test binary, with the allocator the `spindle` binary uses, so
//! that no other test's allocations move the resident size it measures.
//! Peak resident sizes are compared between the first and the last tenth of
//! the requests: after warming up, the last tenth may not need more than
//! 10 % above the first. In the host, each size is read after the allocator
//! has handed back the pages no live block occupies
//! (`limits::release_unused_memory`): mimalloc otherwise returns freed pages
//! a few milliseconds later, and whether a reading came before or after
//! that moved it by 2 MB either way, more than the margin. What values
//! still hold, and pages that live blocks keep fragmented, stay resident
//! and are measured.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use spindle::limits::resident_bytes;
use spindle::Evaluator;

mod common;

#[global_allocator]
static ALLOCATOR: spindle_alloc::Mimalloc = spindle_alloc::Mimalloc;

/// The requests: the Nixpkgs library's fixpoints and module system, and a
/// recursive set with a closure, each different per request (`i`).
const REQUEST: &str = r#"
  i:
  let
    lib = import <nixpkgs-lib/lib>;
    pkgs = lib.fix (lib.extends
      (self: super: { c = super.a + 1; more = super.big ++ [ self.c ]; })
      (self: { a = i; b = self.a * 2; big = builtins.genList (x: x + self.b) 200; }));
    r = rec { f = x: if x == 0 then big else f (x - 1); big = builtins.genList (j: j + i) 200; };
    m = lib.evalModules {
      modules = [
        { options.x = lib.mkOption { type = lib.types.int; default = 1; }; }
        { config.x = lib.mkForce i; }
      ];
    };
  in pkgs.c + builtins.length (r.f 3) + m.config.x + builtins.length pkgs.more
"#;

/// Request `i` as a source text of its own, on one line: each adds a text
/// to the evaluator's map of sources, which must not keep them all.
fn request(i: usize) -> String {
    format!("({}) {i}", REQUEST.replace('\n', " "))
}

/// What request `i` evaluates to.
fn expected(i: usize) -> String {
    (i + 1 + 200 + i + 201).to_string()
}

fn library() -> Option<PathBuf> {
    let dir = common::nixpkgs_lib_dir();
    if dir.is_none() {
        common::data_missing("the Nixpkgs library", common::NIXPKGS_LIB_HINT);
    }
    dir
}

fn evaluator(lib: &Path) -> Evaluator {
    Evaluator::builder()
        .search_path([format!("nixpkgs-lib={}", lib.display())])
        .build()
}

/// Peak resident sizes (as `resident` measures them) of the first and the
/// last tenth of `n` runs of `run`.
fn peaks(n: usize, resident: impl Fn() -> usize, mut run: impl FnMut(usize)) -> (usize, usize) {
    let tenth = n / 10;
    let (mut first, mut last) = (0, 0);
    for i in 0..n {
        run(i);
        let resident = resident();
        if i < tenth {
            first = first.max(resident);
        } else if i >= n - tenth {
            last = last.max(resident);
        }
    }
    (first, last)
}

fn assert_flat(what: &str, (first, last): (usize, usize)) {
    eprintln!(
        "{what}: peak {} MB in the first tenth, {} MB in the last",
        first >> 20,
        last >> 20
    );
    assert!(
        last <= first + first / 10,
        "{what}: peak {} MB in the first tenth of the requests, {} MB in the last",
        first >> 20,
        last >> 20
    );
}

#[test]
fn an_embedding_host_stays_flat() {
    let Some(lib) = library() else { return };
    if resident_bytes().is_none() {
        eprintln!("the resident size cannot be read on this system");
        return;
    }

    // One evaluator for every request: the library stays loaded.
    let shared = evaluator(&lib);
    let own = || {
        spindle::limits::release_unused_memory();
        resident_bytes().expect("the resident size")
    };
    let measured = peaks(10_000, own, |i| {
        let value = shared.eval_str(&request(i)).unwrap();
        assert_eq!(shared.print(&value, true).unwrap(), expected(i));
    });
    assert_flat("10,000 requests to one evaluator", measured);
    drop(shared);

    // A fresh evaluator per request, each importing the library anew.
    let measured = peaks(300, own, |i| {
        let fresh = evaluator(&lib);
        let value = fresh.eval_str(&request(i)).unwrap();
        assert_eq!(fresh.print(&value, true).unwrap(), expected(i));
    });
    assert_flat("300 requests to a fresh evaluator each", measured);
}

/// The resident size of process `pid`, in bytes.
fn resident_of(pid: u32) -> usize {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).expect("statm");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn the_repl_stays_flat() {
    let Some(lib) = library() else { return };
    if !Path::new("/proc/self/statm").exists() {
        eprintln!("the resident size cannot be read on this system");
        return;
    }
    let mut repl = Command::new(env!("CARGO_BIN_EXE_spindle"))
        .args(["repl", "-I", &format!("nixpkgs-lib={}", lib.display())])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spindle repl");
    let pid = repl.id();
    let mut input = repl.stdin.take().unwrap();
    let mut output = BufReader::new(repl.stdout.take().unwrap());
    let n = 10_000;
    let measured = peaks(
        n,
        || resident_of(pid),
        |i| {
            // A binding replaced on every line, and an expression using it.
            writeln!(input, "r = {}", request(i)).unwrap();
            writeln!(input, "r + 0").unwrap();
            input.flush().unwrap();
            let mut line = String::new();
            loop {
                line.clear();
                assert!(output.read_line(&mut line).unwrap() > 0, "the REPL ended");
                if line.trim_end() == expected(i) {
                    break;
                }
            }
        },
    );
    drop(input);
    repl.wait().unwrap();
    assert_flat("10,000 lines to spindle repl", measured);
}
