//! Runs the upstream Nix language test suite against the `spindle` binary,
//! exactly as the suite's README describes (working directory, flags,
//! environment, `/pwd` normalisation, byte-exact comparison).
//!
//! The suite is data read from outside the repository: by default
//! `../shared/nix-lang-tests` next to the checkout, or the directory named
//! by `SPINDLE_LANG_TESTS`. Tests expected to fail are listed, with their
//! reasons, in `tests/lang-known-failures.txt`; this test fails when any other
//! test fails, and also when a listed test passes, so that the list only
//! shrinks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use wait_timeout::ChildExt;

const TIMEOUT: Duration = Duration::from_secs(60);

fn suite_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("SPINDLE_LANG_TESTS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/nix-lang-tests"),
    };
    if !dir.join("lang").is_dir() {
        return None;
    }
    let dir = dir.canonicalize().expect("suite path");
    Some(with_symlinks_restored(&dir))
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
fn with_symlinks_restored(suite: &Path) -> PathBuf {
    let intact = SUITE_SYMLINKS.iter().all(|(link, _)| {
        suite
            .join(link)
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
    });
    if intact {
        return suite.to_path_buf();
    }
    let copy = std::env::temp_dir().join(format!("spindle-lang-suite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    copy_tree(suite, &copy);
    for (link, target) in SUITE_SYMLINKS {
        let path = copy.join(link);
        let _ = std::fs::remove_file(&path);
        std::os::unix::fs::symlink(target, &path).expect("restore a suite symlink");
    }
    eprintln!(
        "note: the suite at {} has lost its symbolic links; running a copy with them restored",
        suite.display()
    );
    copy
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    ParseOkay,
    ParseFail,
    EvalOkay,
    EvalOkayXml,
    EvalFail,
}

struct Case {
    name: String,
    kind: Kind,
}

struct Outcome {
    passed: bool,
    detail: String,
}

fn discover(lang: &Path) -> Vec<Case> {
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

fn run_case(root: &Path, home: &Path, case: &Case) -> Outcome {
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
    let status = match child.wait_timeout(TIMEOUT).expect("wait") {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            return Outcome {
                passed: false,
                detail: "timed out".into(),
            };
        }
    };
    let pwd = root.to_string_lossy().into_owned();
    let normalise = |s: String| s.replace(&pwd, "/pwd");
    let stdout = normalise(out_reader.join().expect("reader"));
    let stderr = normalise(err_reader.join().expect("reader"));
    let code = match status.code() {
        Some(c) => c,
        None => {
            return Outcome {
                passed: false,
                detail: format!(
                    "killed by a signal: {status}; stderr: {}",
                    first_line(&stderr)
                ),
            };
        }
    };
    let expect = |ext: &str| read_or_empty(&lang.join(format!("{}.{ext}", case.name)));
    match case.kind {
        Kind::ParseOkay => outcome(code == 0, || {
            format!("exit {code}: {}", first_line(&stderr))
        }),
        Kind::ParseFail | Kind::EvalFail => outcome(code == 1, || {
            format!(
                "exit {code}, expected 1: {}",
                first_line(&(stdout.clone() + &stderr))
            )
        }),
        Kind::EvalOkayXml => {
            let expected = expect("exp.xml");
            outcome(code == 0 && stdout == expected, || {
                diff_detail(code, &stdout, &expected, &stderr)
            })
        }
        Kind::EvalOkay => {
            let expected = expect("exp");
            let expected_err = expect("err.exp");
            if code == 0 && stdout == expected && stderr != expected_err {
                return Outcome {
                    passed: false,
                    detail: format!(
                        "stdout matches; stderr differs: {:?}",
                        stderr.chars().take(200).collect::<String>()
                    ),
                };
            }
            outcome(code == 0 && stdout == expected, || {
                diff_detail(code, &stdout, &expected, &stderr)
            })
        }
    }
}

fn read_all(mut r: impl std::io::Read) -> String {
    let mut buf = Vec::new();
    let _ = r.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .chars()
        .take(160)
        .collect()
}

fn outcome(passed: bool, detail: impl FnOnce() -> String) -> Outcome {
    Outcome {
        passed,
        detail: if passed { String::new() } else { detail() },
    }
}

fn diff_detail(code: i32, got: &str, expected: &str, stderr: &str) -> String {
    if code != 0 {
        return format!("exit {code}: {}", first_line(stderr));
    }
    let got: String = got.chars().take(160).collect();
    let expected: String = expected.chars().take(160).collect();
    format!("stdout differs: got {got:?}, expected {expected:?}")
}

/// `name  reason` lines; `#` starts a comment.
fn known_failures() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lang-known-failures.txt");
    let text = std::fs::read_to_string(path).expect("tests/lang-known-failures.txt");
    text.lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((name, reason)) => (name.to_string(), reason.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

/// Tests that C++ Nix 2.8 passes, from the suite's reference results.
fn passing_on_nix_2_8(root: &Path) -> Vec<String> {
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

#[test]
fn nix_language_suite() {
    let Some(root) = suite_dir() else {
        eprintln!(
            "\n*** SKIPPED: the Nix language suite was not found (set SPINDLE_LANG_TESTS or put it at ../shared/nix-lang-tests) ***\n"
        );
        return;
    };
    let cases = discover(&root.join("lang"));
    let home = tempdir();
    let results: Mutex<BTreeMap<String, (Kind, Outcome)>> = Mutex::new(BTreeMap::new());
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let outcome = run_case(&root, &home, case);
                results
                    .lock()
                    .unwrap()
                    .insert(case.name.clone(), (case.kind, outcome));
            });
        }
    });
    let results = results.into_inner().unwrap();
    let known = known_failures();

    let mut counts: BTreeMap<Kind, (usize, usize)> = BTreeMap::new();
    let mut unexpected_failures = Vec::new();
    let mut unexpected_passes = Vec::new();
    for (name, (kind, outcome)) in &results {
        let entry = counts.entry(*kind).or_default();
        entry.1 += 1;
        if outcome.passed {
            entry.0 += 1;
            if known.contains_key(name) {
                unexpected_passes.push(name.clone());
            }
        } else if !known.contains_key(name) {
            unexpected_failures.push(format!("{name}: {}", outcome.detail));
        }
    }
    for name in known.keys() {
        assert!(
            results.contains_key(name),
            "known-failures list names a test that does not exist: {name}"
        );
    }
    let reference = passing_on_nix_2_8(&root);
    let okay_of_reference = reference
        .iter()
        .filter(|n| results.get(*n).is_some_and(|(_, o)| o.passed))
        .count();
    eprintln!("\nNix language suite:");
    for (kind, (passed, total)) in &counts {
        eprintln!("  {kind:?}: {passed}/{total} pass");
    }
    eprintln!(
        "  eval-okay tests that pass on Nix 2.8: {okay_of_reference}/{} pass here",
        reference.len()
    );
    eprintln!("  known failures listed: {}", known.len());
    if std::env::var_os("SPINDLE_LANG_VERBOSE").is_some() {
        for (name, (_, outcome)) in &results {
            if !outcome.passed {
                eprintln!("  FAIL {name}: {}", outcome.detail);
            }
        }
    }
    assert!(
        unexpected_failures.is_empty() && unexpected_passes.is_empty(),
        "\nunexpected failures ({}):\n  {}\nlisted as known failures but passing now (remove them from tests/lang-known-failures.txt) ({}):\n  {}\n",
        unexpected_failures.len(),
        unexpected_failures.join("\n  "),
        unexpected_passes.len(),
        unexpected_passes.join("\n  ")
    );
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spindle-lang-home-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp home");
    dir
}
