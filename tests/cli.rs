//! `spindle eval` where the Nix cases under `tests/nix` (always a file,
//! always `--strict`) cannot reach: lazy printing and a missing input.
//! Expected outputs are what `nix-instantiate --eval` 2.8 prints.

use std::process::{Command, Output};

fn spindle_eval(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spindle"))
        .arg("eval")
        .args(args)
        .output()
        .expect("run spindle")
}

fn stdout_of(args: &[&str]) -> String {
    let output = spindle_eval(args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn lazy_printing_shows_constants_and_code() {
    // Path literals are constants, like numbers; anything else unevaluated
    // prints as <CODE>.
    let cases = [
        (
            "{ d = /x/../y; e = [ ]; g = builtins.map; n = 1; }",
            "{ d = /y; e = <CODE>; g = <CODE>; n = 1; }\n",
        ),
        ("[ /a/./b (1 + 1) ]", "[ /a/b <CODE> ]\n"),
    ];
    for (expr, expected) in cases {
        let vms: &[&str] = if cfg!(feature = "generator-vm") {
            &["fiber", "generator"]
        } else {
            &["fiber"]
        };
        for vm in vms {
            assert_eq!(
                stdout_of(&["--vm", vm, "-E", expr]),
                expected,
                "{vm}: {expr}"
            );
        }
    }
}

#[test]
fn a_missing_input_file_is_named() {
    let output = spindle_eval(&["--strict", "/nonexistent/spindle-input.nix"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "error: getting status of '/nonexistent/spindle-input.nix': No such file or directory"
        ),
        "{stderr}"
    );
}

/// Runs the binary under the name `nix-instantiate` (a symbolic link to
/// it, as users and the Nixpkgs library's test suites set it up) in `dir`.
fn nix_instantiate(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let link = bin.join("nix-instantiate");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_spindle"), &link).expect("symlink");
    }
    Command::new(&link)
        .current_dir(dir)
        .args(args)
        .env_remove("NIX_ABORT_ON_WARN")
        .envs(env.iter().copied())
        .output()
        .expect("run nix-instantiate")
}

/// A fresh directory, removed with everything in it when dropped.
fn scratch_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("spindle-cli-{name}-"))
        .tempdir()
        .expect("scratch dir")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn run_as_nix_instantiate_it_takes_the_flags_of_the_library_suites() {
    let scratch = scratch_dir("flags");
    let dir = scratch.path();
    std::fs::write(dir.join("default.nix"), "{ a = 1 + 1; }").unwrap();
    std::fs::write(dir.join("b.nix"), "\"b\"").unwrap();
    let cases: &[(&[&str], &str)] = &[
        // What lib/tests/modules.sh passes.
        (
            &[
                "--timeout",
                "1",
                "--eval-only",
                "--show-trace",
                "--read-write-mode",
                "--json",
                "-A",
                "a",
            ],
            "2",
        ),
        // Without a file, ./default.nix; several files in turn.
        (&["--eval", "--strict"], "{ a = 2; }\n"),
        (
            &["--eval", "--strict", "default.nix", "b.nix"],
            "{ a = 2; }\n\"b\"\n",
        ),
        (&["--eval", "-E", "1", "2"], "1\n2\n"),
    ];
    for (args, expected) in cases {
        let output = nix_instantiate(dir, args, &[]);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert_eq!(text(&output.stdout), *expected, "{args:?}");
    }
    let read = ["--eval", "-E", "builtins.readFile ./b.nix"];
    assert!(nix_instantiate(dir, &read, &[]).status.success());
    let pure = [&["--option", "pure-eval", "true"], &read[..]].concat();
    assert_eq!(nix_instantiate(dir, &pure, &[]).status.code(), Some(1));
    // Restricted evaluation reads only under the search path.
    std::fs::create_dir_all(dir.join("inc")).unwrap();
    std::fs::write(dir.join("inc/a.nix"), "\"inside\"").unwrap();
    let inc = dir.join("inc").display().to_string();
    let restricted = |file: &str| {
        let expr = format!("import {}", dir.join(file).display());
        let args = [
            "--eval",
            "--option",
            "restrict-eval",
            "true",
            "-I",
            &inc,
            "-E",
            &expr,
        ];
        nix_instantiate(dir, &args, &[])
    };
    assert_eq!(text(&restricted("inc/a.nix").stdout), "\"inside\"\n");
    let outside = restricted("b.nix");
    assert_eq!(outside.status.code(), Some(1));
    assert!(text(&outside.stderr).contains("is forbidden in restricted mode"));
}

#[test]
fn unknown_flags_and_settings_are_named() {
    let scratch = scratch_dir("unknown");
    let dir = scratch.path();
    let output = nix_instantiate(dir, &["--eval", "--frobnicate", "-E", "1"], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("error: unrecognised flag '--frobnicate'"),
        "{}",
        text(&output.stderr)
    );
    let output = nix_instantiate(
        dir,
        &["--eval", "--option", "frobnicate", "x", "-E", "1"],
        &[],
    );
    assert_eq!(text(&output.stdout), "1\n");
    assert!(text(&output.stderr).contains("warning: unknown setting 'frobnicate'"));
    let output = nix_instantiate(
        dir,
        &["--eval", "--option", "pure-eval", "maybe", "-E", "1"],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("Boolean setting 'pure-eval' has invalid value 'maybe'"));
    // Without --eval it instantiates, and a number is no derivation.
    let output = nix_instantiate(dir, &["-E", "1"], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains(
            "error: expression does not evaluate to a derivation (or a set or list of those)"
        ),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn warnings_abort_when_asked_to() {
    let scratch = scratch_dir("warn");
    let dir = scratch.path();
    let expr = ["--eval", "-E", "builtins.warn \"careful\" 1"];
    let plain = nix_instantiate(dir, &expr, &[]);
    assert_eq!(text(&plain.stdout), "1\n");
    assert!(text(&plain.stderr).contains("evaluation warning: careful"));
    for value in ["1", "true", "yes"] {
        let aborted = nix_instantiate(dir, &expr, &[("NIX_ABORT_ON_WARN", value)]);
        assert_eq!(aborted.status.code(), Some(1), "NIX_ABORT_ON_WARN={value}");
        let stderr = text(&aborted.stderr);
        assert!(stderr.contains("evaluation warning: careful"), "{stderr}");
        assert!(stderr.contains("abort-on-warn is set"), "{stderr}");
    }
    let mut with_option = vec!["--option", "abort-on-warn", "true"];
    with_option.extend(expr);
    assert_eq!(
        nix_instantiate(dir, &with_option, &[]).status.code(),
        Some(1)
    );
    let kept = nix_instantiate(dir, &expr, &[("NIX_ABORT_ON_WARN", "0")]);
    assert_eq!(text(&kept.stdout), "1\n");
}

#[test]
fn messages_on_standard_error_lose_escapes_and_tabs_as_in_nix() {
    // Nix 2.8 prints `error: ab`, then `       cd     e`: the message's
    // lines indented under the first, colours dropped when standard error
    // is not a terminal, and the tab padded to a multiple of eight.
    let output = spindle_eval(&[
        "-E",
        "throw \"ab\\ncd\\t${builtins.fromJSON \"\\\"\\\\u001b\\\"\"}[1;35me\"",
    ]);
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: ab\n       cd     e\n"),
        "{stderr:?}"
    );
}

#[test]
fn deep_source_is_refused_at_the_bracket_too_many() {
    // Nix's own parser gives up near 10^4 levels; Spindle refuses deeper
    // brackets at once, naming the first one too many, whatever the depth.
    let scratch = scratch_dir("deep");
    let dir = scratch.path();
    for (open, close) in [("(", ")"), ("[ ", " ]"), ("{ a = ", "; }"), ("\"${", "}\"")] {
        let depth = 1_000_000;
        let source = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        let file = dir.join("deep.nix");
        std::fs::write(&file, source).unwrap();
        let output = spindle_eval(&["--parse", file.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{open}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("expression nested too deeply for the parser"),
            "{open}: {stderr}"
        );
        // The bracket itself starts `at` bytes into each opening.
        let at = open.find(['(', '[', '{', '$']).unwrap();
        let column = 10_000 * open.len() + at + 1;
        assert!(
            stderr.contains(&format!("deep.nix:1:{column}:")),
            "{open}: {stderr}"
        );
        // The excerpt of the one long line is cut to a window around the
        // column.
        assert!(
            stderr.len() < 4096,
            "{open}: {} bytes of errors",
            stderr.len()
        );
    }
    // Just inside the limit is fine.
    let file = dir.join("inside.nix");
    std::fs::write(
        &file,
        format!("{}1{}", "[ ".repeat(10_000), " ]".repeat(10_000)),
    )
    .unwrap();
    let output = spindle_eval(&["--parse", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn generated_sets_and_lets_of_many_names_evaluate() {
    let scratch = scratch_dir("wide");
    let dir = scratch.path();
    let n = 100_000;
    let names: String = (0..n).map(|i| format!(" a{i} = {i};")).collect();
    let refs: String = (1..n).map(|i| format!(" b{i} = b{} + 1;", i - 1)).collect();
    let cases = [
        (format!("({{{names} }}).a{}", n - 1), format!("{}\n", n - 1)),
        (
            format!("let b0 = 0;{refs} in b{}", n - 1),
            format!("{}\n", n - 1),
        ),
        (
            format!("(rec {{ b0 = 0;{refs} }}).b{}", n - 1),
            format!("{}\n", n - 1),
        ),
    ];
    for (source, expected) in cases {
        let file = dir.join("wide.nix");
        std::fs::write(&file, &source).unwrap();
        assert_eq!(stdout_of(&[file.to_str().unwrap()]), expected);
    }
}
