//! `spindle repl` driven through its standard input.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

fn spawn_repl(dir: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_spindle"))
        .arg("repl")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn spindle repl")
}

/// Waits for the REPL to end; returns its standard output and error.
fn finish(mut child: Child) -> (String, String) {
    drop(child.stdin.take());
    let status = child
        .wait_timeout(Duration::from_secs(60))
        .expect("wait")
        .unwrap_or_else(|| {
            let _ = child.kill();
            panic!("the REPL did not finish");
        });
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "exit {status:?}\n{out}\n{err}");
    (out, err)
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("spindle-repl-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_session_keeps_bindings_and_reports_errors() {
    let dir = temp_dir("session");
    std::fs::write(dir.join("lib.nix"), "{ offset ? 40 }: { z = offset; }").unwrap();
    let mut child = spawn_repl(&dir);
    let input = "\
x = 1
x + 1
:t x
:p { a = { b = [ 1 2 ]; }; }
{ a = { b = 1; }; c = 2; }
let
  y = 5;
in y * x
:l lib.nix
z + x + 1
undefinedVar
\"after an error\"
:q
\"after quitting\"
";
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let (out, err) = finish(child);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "2",
            "an integer",
            "{ a = { b = [ 1 2 ]; }; }",
            "{ a = { ... }; c = 2; }",
            "5",
            "Added 1 variables.",
            "42",
            "\"after an error\"",
        ],
        "stderr: {err}"
    );
    assert!(err.contains("undefined variable 'undefinedVar'"), "{err}");
    assert!(err.contains("1| undefinedVar"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn input_that_ends_incomplete_reports_its_syntax_error() {
    let dir = temp_dir("incomplete");
    let mut child = spawn_repl(&dir);
    child.stdin.as_mut().unwrap().write_all(b"1 +\n").unwrap();
    let (out, err) = finish(child);
    assert_eq!(out, "");
    assert!(err.contains("syntax error"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn ctrl_c_interrupts_an_evaluation_without_leaving_the_repl() {
    let dir = temp_dir("interrupt");
    let mut child = spawn_repl(&dir);
    let stdin = child.stdin.as_mut().unwrap();
    // 2^40 calls, nested 40 deep: runs for hours unless interrupted.
    stdin
        .write_all(b"let f = d: if d == 0 then 0 else f (d - 1) + f (d - 1); in f 40\n")
        .unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let stdin = child.stdin.as_mut().unwrap();
    stdin.write_all(b"2 + 2\n").unwrap();
    let (out, err) = finish(child);
    assert_eq!(out, "4\n", "stderr: {err}");
    assert!(err.contains("interrupted"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
