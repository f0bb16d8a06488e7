//! Spindle's parser against rnix 0.15's, whose trees the compiler reads:
//! on every valid Nix file at hand (the language suite's eval and parse
//! tests, the Nixpkgs library, the project's own cases) both must build the
//! same tree, node for node and token for token. Where rnix reads a file
//! differently from Nix 2.8, Spindle follows Nix; such files are listed
//! below with the reason. The suite's parse-fail tests must fail to parse,
//! and broken inputs must give an error, never a panic.

mod common;

use std::path::{Path, PathBuf};

use rowan::{GreenNodeData, NodeOrToken};

/// Files where rnix and Nix 2.8 disagree, and why (Spindle follows Nix).
const RNIX_DIFFERS_FROM_NIX: &[(&str, &str)] = &[
    (
        "eval-fail-pipe-operators.nix",
        "rnix reads the pipe operators `|>` and `<|` of newer Nix; Nix 2.8 has none, so `|` is a syntax error",
    ),
    (
        "path-interpolation-after-newline.nix",
        "rnix takes a path, a newline and `${…}` for one path; Nix 2.8 ends the path at the newline, so `${` is a syntax error",
    ),
    (
        "path-interpolation-after-comment.nix",
        "rnix takes a path, a comment and `${…}` for one path; Nix 2.8 ends the path at the comment, so `${` is a syntax error",
    ),
];

/// rnix ends a `#` comment only at a line feed, Nix at a carriage return
/// too; turning those into line feeds keeps every offset, so that rnix's
/// tree can be compared with Spindle's on the rewritten text.
fn end_comments_at_carriage_returns(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for (kind, text) in rnix::tokenize(source) {
        if kind == rnix::SyntaxKind::TOKEN_COMMENT && text.starts_with('#') {
            out.push_str(&text.replace('\r', "\n"));
        } else {
            out.push_str(text);
        }
    }
    out
}

/// The first place where two trees differ, as a path of child indexes and
/// kinds, with what each has there.
fn first_difference(ours: &GreenNodeData, theirs: &GreenNodeData, path: &str) -> Option<String> {
    let here = format!("{path}/{:?}", kind(ours.kind()));
    if ours.kind() != theirs.kind() {
        return Some(format!(
            "{here}: Spindle has {:?}, rnix {:?}",
            kind(ours.kind()),
            kind(theirs.kind())
        ));
    }
    let (a, b): (Vec<_>, Vec<_>) = (ours.children().collect(), theirs.children().collect());
    for (i, pair) in a.iter().zip(&b).enumerate() {
        match pair {
            (NodeOrToken::Node(x), NodeOrToken::Node(y)) => {
                if let Some(d) = first_difference(x, y, &format!("{here}[{i}]")) {
                    return Some(d);
                }
            }
            (NodeOrToken::Token(x), NodeOrToken::Token(y)) => {
                if x.kind() != y.kind() || x.text() != y.text() {
                    return Some(format!(
                        "{here}[{i}]: Spindle has {:?} {:?}, rnix {:?} {:?}",
                        kind(x.kind()),
                        x.text(),
                        kind(y.kind()),
                        y.text()
                    ));
                }
            }
            (x, y) => {
                return Some(format!(
                    "{here}[{i}]: Spindle has {}, rnix {}",
                    describe(x),
                    describe(y)
                ))
            }
        }
    }
    (a.len() != b.len())
        .then(|| format!("{here}: Spindle has {} children, rnix {}", a.len(), b.len()))
}

fn kind(raw: rowan::SyntaxKind) -> rnix::SyntaxKind {
    use rowan::Language;
    rnix::NixLanguage::kind_from_raw(raw)
}

fn describe(element: &NodeOrToken<&rowan::GreenNodeData, &rowan::GreenTokenData>) -> String {
    match element {
        NodeOrToken::Node(n) => format!("node {:?}", kind(n.kind())),
        NodeOrToken::Token(t) => format!("token {:?} {:?}", kind(t.kind()), t.text()),
    }
}

/// Compares the parsers on one file; `None` when they agree.
fn compare(path: &Path) -> Option<String> {
    let source = std::fs::read_to_string(path).ok()?;
    let source = end_comments_at_carriage_returns(&source);
    let ours = spindle::syntax::parse_green(&source);
    let theirs = rnix::Root::parse(&source);
    match (ours, theirs.errors().is_empty()) {
        (Ok(ours), true) => first_difference(&ours, theirs.syntax().green(), ""),
        (Err(e), true) => Some(format!(
            "rnix parses it, Spindle does not: {} at {}..{}",
            e.message, e.start, e.end
        )),
        (Ok(_), false) => Some(format!(
            "Spindle parses it, rnix does not: {:?}",
            theirs.errors().first()
        )),
        (Err(_), false) => None,
    }
}

fn nix_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_symlink() {
            continue;
        }
        if path.is_dir() {
            nix_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "nix") {
            out.push(path);
        }
    }
}

/// Every file of `files` must parse as rnix parses it, but those listed.
fn assert_same_trees(files: &[PathBuf]) {
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    let mut listed_but_equal = Vec::new();
    for file in files {
        let name = file.to_string_lossy();
        let listed = RNIX_DIFFERS_FROM_NIX
            .iter()
            .find(|(n, _)| name.ends_with(n));
        match (compare(file), listed) {
            (Some(d), None) => failures.push(format!("{name}: {d}")),
            (None, Some((n, _))) => listed_but_equal.push(n.to_string()),
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert!(
        listed_but_equal.is_empty(),
        "listed as differing but equal: {listed_but_equal:?}"
    );
    eprintln!("{} files: the same trees as rnix", files.len());
}

/// The language suite's Nix files: its parse-fail tests, or all others;
/// with the suite, which keeps them while a copy of it is in use.
fn suite_files(parse_fail: bool) -> Option<(common::Suite, Vec<PathBuf>)> {
    let Some(root) = common::suite_dir() else {
        common::data_missing("the Nix language suite", common::SUITE_HINT);
        return None;
    };
    let mut files = Vec::new();
    nix_files(&root.join("lang"), &mut files);
    files.retain(|f| {
        let name = f.file_name().unwrap_or_default().to_string_lossy();
        name.starts_with("parse-fail-") == parse_fail
    });
    Some((root, files))
}

#[test]
fn same_trees_as_rnix_on_the_language_suite() {
    if let Some((_suite, files)) = suite_files(false) {
        assert_same_trees(&files);
    }
}

#[test]
fn same_trees_as_rnix_on_the_nixpkgs_library() {
    let Some(root) = common::nixpkgs_lib_dir() else {
        common::data_missing("the Nixpkgs library", common::NIXPKGS_LIB_HINT);
        return;
    };
    let mut files = Vec::new();
    nix_files(&root, &mut files);
    assert_same_trees(&files);
}

#[test]
fn same_trees_as_rnix_on_the_projects_cases() {
    let mut files = Vec::new();
    nix_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nix"),
        &mut files,
    );
    nix_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/nix"),
        &mut files,
    );
    assert_same_trees(&files);
}

#[test]
fn parse_fail_tests_of_the_suite_fail_to_parse() {
    let Some((_suite, files)) = suite_files(true) else {
        return;
    };
    assert!(!files.is_empty());
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_spindle"))
            .args(["eval", "--parse"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}: {source}",
            file.display()
        );
    }
}

/// Every prefix of every project case (cut at a few places in each) and
/// every case with one byte changed parses or gives an error inside the
/// text, never a panic.
#[test]
fn broken_inputs_give_errors_inside_the_text() {
    let mut files = Vec::new();
    nix_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nix"),
        &mut files,
    );
    let mut errors = 0;
    for file in files {
        let Ok(source) = std::fs::read_to_string(&file) else {
            continue;
        };
        let len = source.len();
        let mut inputs: Vec<String> = (1..8)
            .map(|i| i * len / 8)
            .filter(|&cut| source.is_char_boundary(cut))
            .map(|cut| source[..cut].to_string())
            .collect();
        for (i, byte) in [(len / 3, "("), (len / 2, "}"), (2 * len / 3, "\"")] {
            if source.is_char_boundary(i) && source.is_char_boundary(i + 1) && i < len {
                inputs.push(format!("{}{byte}{}", &source[..i], &source[i + 1..]));
            }
        }
        for input in inputs {
            if let Err(e) = spindle::syntax::parse_green(&input) {
                errors += 1;
                assert!(
                    e.start <= e.end && e.end <= input.len(),
                    "{}: {e:?}",
                    file.display()
                );
                assert!(
                    e.message.starts_with("syntax error") || e.message.starts_with("path "),
                    "{e:?}"
                );
                if e.at_end {
                    assert_eq!(e.end, input.len(), "{}: {e:?}", file.display());
                }
            }
        }
    }
    assert!(errors > 100, "only {errors} broken inputs");
}
