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
        for vm in ["fiber", "generator"] {
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
