//! Shared by the test suites that run the `spindle` binary: locating and
//! running the upstream Nix language suite exactly as its README describes
//! (working directory, flags, environment, `/pwd` normalisation,
//! byte-exact comparison).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use wait_timeout::ChildExt;

mod data;
// Not every suite that includes this module asks for data.
#[allow(unused_imports)]
pub use data::{data_missing, shared_dir};

const TIMEOUT: Duration = Duration::from_secs(60);

/// How to give the Nixpkgs library when it is missing.
pub const NIXPKGS_LIB_HINT: &str = "set SPINDLE_NIXPKGS_LIB or put it at ../shared/nixpkgs-lib";

/// The Nixpkgs library: `../shared/nixpkgs-lib` next to the checkout, or
/// the directory named by `SPINDLE_NIXPKGS_LIB`; `None` when it is missing.
pub fn nixpkgs_lib_dir() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = shared_dir(repo, "SPINDLE_NIXPKGS_LIB", "nixpkgs-lib");
    dir.join("lib/tests/modules.sh")
        .is_file()
        .then(|| dir.canonicalize().expect("library path"))
}

/// How to give the language suite when it is missing.
pub const SUITE_HINT: &str = "set SPINDLE_LANG_TESTS or put it at ../shared/nix-lang-tests";

/// The language suite's folder, or a copy of it removed when this is
/// dropped.
pub struct Suite {
    root: PathBuf,
    _copy: Option<tempfile::TempDir>,
}

impl std::ops::Deref for Suite {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.root
    }
}

/// The suite: `../shared/nix-lang-tests` next to the checkout, or the
/// directory named by `SPINDLE_LANG_TESTS`; `None` when it is missing.
pub fn suite_dir() -> Option<Suite> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = shared_dir(repo, "SPINDLE_LANG_TESTS", "nix-lang-tests");
    if !dir.join("lang").is_dir() {
        return None;
    }
    let dir = dir.canonicalize().expect("suite path");
    Some(with_symlinks_restored(dir))
}

/// The symbolic links the suite's README says must survive checkout, as
/// (link, target). Some copies of the suite turn them into plain files that
/// hold the target's name.
const SUITE_SYMLINKS: &[(&str, &str)] = &[
    ("lang/readDir/ldir", "foo"),
    ("lang/readDir/linked", "foo/git-hates-directories"),
    ("lang/symlink-resolution/broken", "nonexistent"),
    ("lang/symlink-resolution/foo/overlays", "../overlays"),
];

/// The suite itself when its links are intact; otherwise a copy in a
/// temporary directory with the links put back.
fn with_symlinks_restored(suite: PathBuf) -> Suite {
    let intact = SUITE_SYMLINKS.iter().all(|(link, _)| {
        suite
            .join(link)
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
    });
    if intact {
        return Suite {
            root: suite,
            _copy: None,
        };
    }
    let scratch = tempdir("lang-suite");
    let copy = scratch.path().join("suite");
    copy_tree(&suite, &copy);
    for (link, target) in SUITE_SYMLINKS {
        let path = copy.join(link);
        let _ = std::fs::remove_file(&path);
        std::os::unix::fs::symlink(target, &path).expect("restore a suite symlink");
    }
    eprintln!(
        "note: the suite at {} has lost its symbolic links; running a copy with them restored",
        suite.display()
    );
    Suite {
        root: copy,
        _copy: Some(scratch),
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create suite copy");
    for entry in std::fs::read_dir(from).expect("read suite") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path()).expect("read link");
            std::os::unix::fs::symlink(link, &target).expect("copy link");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
            let mut perms = std::fs::metadata(&target).expect("metadata").permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).expect("permissions");
        }
    }
}

/// The kinds of test in the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    ParseOkay,
    ParseFail,
    EvalOkay,
    EvalOkayXml,
    EvalFail,
}

/// One test.
pub struct Case {
    pub name: String,
    pub kind: Kind,
}

/// What one run of the binary printed (with `/pwd` normalised) and how it
/// exited (`None`: killed, or timed out).
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

/// How a test went.
pub struct Outcome {
    pub passed: bool,
    pub detail: String,
    pub run: Run,
}

/// The tests in `lang`, sorted by name.
pub fn discover(lang: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(lang).expect("read suite") {
        let file = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let Some(name) = file.strip_suffix(".nix") else {
            continue;
        };
        let kind = if name.starts_with("parse-okay-") {
            Kind::ParseOkay
        } else if name.starts_with("parse-fail-") {
            Kind::ParseFail
        } else if name.starts_with("eval-fail-") {
            Kind::EvalFail
        } else if name.starts_with("eval-okay-") {
            if lang.join(format!("{name}.exp-disabled")).exists() {
                continue;
            }
            if lang.join(format!("{name}.exp.xml")).exists() {
                Kind::EvalOkayXml
            } else {
                Kind::EvalOkay
            }
        } else {
            continue;
        };
        cases.push(Case {
            name: name.to_string(),
            kind,
        });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn read_or_empty(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn flags_for(lang: &Path, case: &Case) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(lang.join(format!("{}.flags", case.name))).ok()?;
    Some(match case.kind {
        // eval-okay: the first line, split on whitespace.
        Kind::EvalOkay => text
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .map(String::from)
            .collect(),
        // eval-fail: every line, comments removed.
        _ => text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .flat_map(|l| l.split_whitespace())
            .map(String::from)
            .collect(),
    })
}

/// Runs one test with `extra_args` (such as `--vm generator`) before the
/// suite's own flags, and judges the result.
pub fn run_case(root: &Path, home: &Path, case: &Case, extra_args: &[&str]) -> Outcome {
    let run = run_spindle(root, home, case, extra_args);
    let (passed, detail) = judge(&root.join("lang"), case, &run);
    Outcome {
        passed,
        detail,
        run,
    }
}

/// Runs the binary on one test as the suite's README says.
pub fn run_spindle(root: &Path, home: &Path, case: &Case, extra_args: &[&str]) -> Run {
    let lang = root.join("lang");
    let file = format!("lang/{}.nix", case.name);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spindle"));
    cmd.current_dir(root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TEST_VAR", "foo")
        .env("IMPURE_VAR1", "foo")
        .env("IMPURE_VAR2", "bar")
        .env("NIX_STORE_DIR", "/nix/store")
        .env("PAGER", "cat")
        .env("HOME", home)
        .arg("eval")
        .args(extra_args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match case.kind {
        Kind::ParseOkay | Kind::ParseFail => {
            cmd.args(["--parse", "-"]);
            cmd.stdin(Stdio::from(
                std::fs::File::open(root.join(&file)).expect("open test"),
            ));
        }
        Kind::EvalOkay => {
            cmd.env("NIX_PATH", "lang/dir3:lang/dir4")
                .env("HOME", "/fake-home");
            cmd.args(flags_for(&lang, case).unwrap_or_default());
            cmd.args(["--eval", "--strict", &file]);
        }
        Kind::EvalOkayXml => {
            cmd.args(["--eval", "--xml", "--no-location", "--strict", &file]);
        }
        Kind::EvalFail => {
            let flags = flags_for(&lang, case)
                .unwrap_or_else(|| vec!["--eval".into(), "--strict".into(), "--show-trace".into()]);
            cmd.args(flags).arg(&file);
        }
    }
    let mut child = cmd.spawn().expect("spawn spindle");
    let stdout_pipe = child.stdout.take().expect("stdout");
    let stderr_pipe = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || read_all(stdout_pipe));
    let err_reader = std::thread::spawn(move || read_all(stderr_pipe));
    let status = child.wait_timeout(TIMEOUT).expect("wait");
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let pwd = root.to_string_lossy().into_owned();
    let normalise = |s: String| s.replace(&pwd, "/pwd");
    Run {
        code: status.and_then(|s| s.code()),
        stdout: normalise(out_reader.join().expect("reader")),
        stderr: normalise(err_reader.join().expect("reader")),
        timed_out: status.is_none(),
    }
}

/// Whether a run passes the test, and if not, why.
fn judge(lang: &Path, case: &Case, run: &Run) -> (bool, String) {
    let (stdout, stderr) = (&run.stdout, &run.stderr);
    if run.timed_out {
        return (false, "timed out".into());
    }
    let Some(code) = run.code else {
        return (
            false,
            format!("killed by a signal; stderr: {}", first_line(stderr)),
        );
    };
    let expect = |ext: &str| read_or_empty(&lang.join(format!("{}.{ext}", case.name)));
    match case.kind {
        Kind::ParseOkay => outcome(code == 0, || format!("exit {code}: {}", first_line(stderr))),
        Kind::ParseFail | Kind::EvalFail => outcome(code == 1, || {
            format!(
                "exit {code}, expected 1: {}",
                first_line(&(stdout.clone() + stderr))
            )
        }),
        Kind::EvalOkayXml => {
            let expected = expect("exp.xml");
            outcome(code == 0 && *stdout == expected, || {
                diff_detail(code, stdout, &expected, stderr)
            })
        }
        Kind::EvalOkay => {
            let expected = expect("exp");
            let expected_err = expect("err.exp");
            if code == 0 && *stdout == expected && *stderr != expected_err {
                return (
                    false,
                    format!(
                        "stdout matches; stderr differs: {:?}",
                        stderr.chars().take(200).collect::<String>()
                    ),
                );
            }
            outcome(code == 0 && *stdout == expected, || {
                diff_detail(code, stdout, &expected, stderr)
            })
        }
    }
}

fn read_all(mut r: impl std::io::Read) -> String {
    let mut buf = Vec::new();
    let _ = r.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The first non-blank line of `s`, shortened.
pub fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .chars()
        .take(160)
        .collect()
}

fn outcome(passed: bool, detail: impl FnOnce() -> String) -> (bool, String) {
    (passed, if passed { String::new() } else { detail() })
}

fn diff_detail(code: i32, got: &str, expected: &str, stderr: &str) -> String {
    if code != 0 {
        return format!("exit {code}: {}", first_line(stderr));
    }
    let got: String = got.chars().take(160).collect();
    let expected: String = expected.chars().take(160).collect();
    format!("stdout differs: got {got:?}, expected {expected:?}")
}

/// Runs `cases` on a few worker threads with `extra_args`; results by name.
pub fn run_all(
    root: &Path,
    cases: &[Case],
    extra_args: &[&str],
) -> BTreeMap<String, (Kind, Outcome)> {
    let home = tempdir(if extra_args.is_empty() {
        "default"
    } else {
        "extra"
    });
    let outcomes = in_parallel(cases, |case| run_case(root, home.path(), case, extra_args));
    (cases.iter())
        .zip(outcomes)
        .map(|(case, outcome)| (case.name.clone(), (case.kind, outcome)))
        .collect()
}

/// `f` of every item, in order, computed on a few threads: each case starts
/// a process of its own, which is what the suites spend their time on (most
/// of all under qemu).
pub fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let result = f(item);
                results.lock().unwrap()[i] = Some(result);
            });
        }
    });
    (results.into_inner().unwrap().into_iter())
        .map(|r| r.expect("every item was run"))
        .collect()
}

/// Tests that C++ Nix 2.8 passes, from the suite's reference results.
pub fn passing_on_nix_2_8(root: &Path) -> Vec<String> {
    read_or_empty(&root.join("reference-nix-2.8.tsv"))
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.len() >= 3 && cols[1] == "eval-okay" && cols[2] == "pass")
                .then(|| cols[0].to_string())
        })
        .collect()
}

/// A fresh scratch directory, removed with everything in it when dropped.
pub fn tempdir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("spindle-{tag}-"))
        .tempdir()
        .expect("scratch directory")
}

/// Fails the test early when the shared target directory's `spindle` binary
/// was replaced by another checkout's build that lacks `flag`.
pub fn require_binary_flag(flag: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_spindle"))
        .args(["eval", "--help"])
        .output()
        .expect("run spindle --help");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains(flag),
        "{} does not know {flag}: another checkout's build replaced it; build again and rerun",
        env!("CARGO_BIN_EXE_spindle")
    );
}
