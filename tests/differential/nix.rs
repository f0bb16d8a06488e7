//! Running both evaluators: Spindle in process on both VMs, Nix in batches.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use spindle::{ErrorKind, Evaluator, VmKind};
use wait_timeout::ChildExt;

// ---------------------------------------------------------------------------
// Evaluating

/// What an evaluator made of an expression.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    /// Printed as `nix-instantiate --eval --strict` prints: bytes, compared
    /// exactly (strings need not be UTF-8).
    Value(Vec<u8>),
    /// Failed (the message, for the report).
    Error(String),
    /// Not comparable: out of the range of integers (see [`out_of_integer_range`]).
    Overflow,
    /// Spindle panicked: always a bug.
    Panic(String),
    /// Spindle's two VMs disagree: always a bug.
    #[cfg_attr(not(feature = "generator-vm"), allow(dead_code))]
    VmsDiffer(String),
}

impl Outcome {
    pub(crate) fn agrees_with(&self, nix: &Outcome) -> bool {
        match (self, nix) {
            (Outcome::Value(a), Outcome::Value(b)) => a == b,
            (Outcome::Error(_), Outcome::Error(_)) => true,
            _ => false,
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Outcome::Value(v) => format!("value: {}", v.escape_ascii()),
            Outcome::Error(e) => format!("error: {}", first_lines(e, 6)),
            Outcome::Overflow => "out of the range of integers".to_string(),
            Outcome::Panic(p) => format!("PANIC: {p}"),
            Outcome::VmsDiffer(d) => format!("THE VMS DIFFER: {d}"),
        }
    }

    /// Whether the fiber and the generator VM agree on this: the same value,
    /// both an error (the messages may differ), or both out of range.
    #[cfg(feature = "generator-vm")]
    fn same_on_both_vms(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Value(a), Outcome::Value(b)) => a == b,
            (Outcome::Error(_), Outcome::Error(_)) | (Outcome::Overflow, Outcome::Overflow) => true,
            _ => false,
        }
    }
}

fn first_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.trim().lines().take(n).collect();
    lines.join("\n        ")
}

/// Integer overflow, or a float too large for `ceil` or `floor` to make an
/// integer of: where Nix 2.8 wraps around (or, for the latter, converts with
/// undefined behaviour), newer Nix and Spindle fail.
fn out_of_integer_range(e: &spindle::Error) -> bool {
    match e.kind() {
        ErrorKind::IntegerOverflow(_) => true,
        ErrorKind::Other(message) => message.contains("does not fit in an integer"),
        _ => false,
    }
}

/// Evaluates `src` on both VMs; they must agree (else [`Outcome::VmsDiffer`]).
#[cfg(feature = "generator-vm")]
pub(crate) fn spindle_eval(src: &str) -> Outcome {
    let fiber = eval_on(src, VmKind::Fiber);
    let generator = eval_on(src, VmKind::Generator);
    if fiber.same_on_both_vms(&generator) {
        fiber
    } else {
        Outcome::VmsDiffer(format!(
            "fiber {}; generator {}",
            fiber.describe(),
            generator.describe()
        ))
    }
}

/// Evaluates `src` on the fiber VM, the only one built in.
#[cfg(not(feature = "generator-vm"))]
pub(crate) fn spindle_eval(src: &str) -> Outcome {
    eval_on(src, VmKind::Fiber)
}

fn eval_on(src: &str, vm: VmKind) -> Outcome {
    let result = std::panic::catch_unwind(|| {
        let evaluator = Evaluator::builder().vm(vm).build();
        match evaluator
            .eval_str(src)
            .and_then(|v| evaluator.print(&v, true))
        {
            Ok(printed) => Outcome::Value(printed.into()),
            Err(e) if out_of_integer_range(&e) => Outcome::Overflow,
            Err(e) => Outcome::Error(evaluator.render_error(&e, false)),
        }
    });
    result.unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Outcome::Panic(format!("{vm:?} VM: {msg}"))
    })
}

/// The reference: `nix-instantiate`, and `nix repl` for what should fail.
pub(crate) struct Nix {
    program: String,
    /// `nix`, beside `nix-instantiate`.
    repl: String,
    pub(crate) version: String,
}

/// Expressions per `nix-instantiate` process at most (keeps the command line short).
const BATCH: usize = 128;
const NIX_TIMEOUT: Duration = Duration::from_secs(120);

impl Nix {
    /// Finds a working `nix-instantiate`, or says why there is none.
    pub(crate) fn find() -> Result<Nix, String> {
        let program =
            std::env::var("SPINDLE_DIFF_NIX").unwrap_or_else(|_| "nix-instantiate".to_string());
        let version = Command::new(&program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run `{program}`: {e}"))?;
        let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
        let repl = match std::path::Path::new(&program).parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join("nix").display().to_string(),
            _ => "nix".to_string(),
        };
        let nix = Nix {
            program,
            repl,
            version,
        };
        let probe = nix.run(&["1 + 1".to_string()]);
        match probe {
            Ok((lines, true, _)) if lines == [b"2"] => Ok(nix),
            Ok((lines, _, stderr)) => Err(format!(
                "`{}` does not evaluate `1 + 1` to 2 (printed {lines:?}): {}",
                nix.program,
                stderr.trim()
            )),
            Err(e) => Err(e),
        }
    }

    /// Runs one process on `exprs`: the complete lines it printed, whether it
    /// succeeded, and its error output.
    fn run(&self, exprs: &[String]) -> Result<(Vec<Vec<u8>>, bool, String), String> {
        let mut child = Command::new(&self.program)
            .args(["--eval", "--strict", "--readonly-mode", "-E"])
            .args(exprs.iter().map(|e| format!("({e})")))
            .env("NIX_PATH", "")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run `{}`: {e}", self.program))?;
        let mut stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let out_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf);
            buf
        });
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });
        let status = match child.wait_timeout(NIX_TIMEOUT).map_err(|e| e.to_string())? {
            Some(status) => status,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{}` took more than {NIX_TIMEOUT:?} on a batch of {} expressions",
                    self.program,
                    exprs.len()
                ));
            }
        };
        let out = out_reader.join().expect("stdout reader");
        let err = String::from_utf8_lossy(&err_reader.join().expect("stderr reader")).into_owned();
        // Only complete lines count: a value is printed whole or not at all.
        let mut lines: Vec<Vec<u8>> = out.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        lines.pop();
        Ok((lines, status.success(), err))
    }

    /// Evaluates every expression; one process per batch, plus one per
    /// failing expression (the batch resumes after it).
    pub(crate) fn eval_all(&self, exprs: &[String]) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(exprs.len());
        let mut start = 0;
        while start < exprs.len() {
            let end = (start + BATCH).min(exprs.len());
            let chunk = &exprs[start..end];
            let (lines, ok, stderr) = self.run(chunk).unwrap_or_else(|e| panic!("{e}"));
            if ok {
                assert_eq!(
                    lines.len(),
                    chunk.len(),
                    "`{}` printed {} lines for {} expressions",
                    self.program,
                    lines.len(),
                    chunk.len()
                );
            } else {
                assert!(
                    lines.len() < chunk.len(),
                    "`{}` failed after printing a line for every expression: {stderr}",
                    self.program
                );
            }
            let printed = lines.len();
            outcomes.extend(lines.iter().map(|l| Outcome::Value(undo_dollar_escapes(l))));
            if ok {
                start = end;
            } else {
                outcomes.push(Outcome::Error(stderr));
                start += printed + 1;
            }
        }
        outcomes
    }

    /// Which of `exprs` fail in Nix, all evaluated by one `nix repl`,
    /// which goes on after an error where `nix-instantiate` stops: each is
    /// written to a file and forced as deeply as `--strict` forces, as
    /// `builtins.deepSeq (import FILE) "spindle-ok-N"`, and succeeded if that
    /// string is printed. `None` if the repl did not reach the end (it
    /// crashed or took too long).
    ///
    /// The repl has no read-only mode: what writes to the store (`toFile`,
    /// `derivation`) must go through [`Nix::eval_all`] instead.
    pub(crate) fn failing(&self, exprs: &[String]) -> Option<Vec<bool>> {
        let dir = tempfile::tempdir().ok()?;
        let mut input = String::new();
        for (i, e) in exprs.iter().enumerate() {
            let file = dir.path().join(format!("{i}.nix"));
            std::fs::write(&file, e).ok()?;
            input.push_str(&format!(
                "builtins.deepSeq (import {}) (\"spindle-ok-\" + \"{i}\")\n",
                file.display()
            ));
        }
        input.push_str("\"spindle-\" + \"end\"\n");
        let mut child = Command::new(&self.repl)
            .args(["--extra-experimental-features", "nix-command", "repl"])
            .env("NIX_PATH", "")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut stdin = child.stdin.take()?;
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(input.as_bytes());
        });
        let mut stdout = child.stdout.take()?;
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf);
            buf
        });
        if child.wait_timeout(NIX_TIMEOUT).ok()?.is_none() {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        let _ = writer.join();
        let out = String::from_utf8_lossy(&reader.join().ok()?).into_owned();
        if !out.contains("\"spindle-end\"") {
            return None;
        }
        Some(
            (0..exprs.len())
                .map(|i| !out.contains(&format!("\"spindle-ok-{i}\"")))
                .collect(),
        )
    }

    pub(crate) fn eval_one(&self, expr: &str) -> Outcome {
        self.eval_all(&[expr.to_string()]).remove(0)
    }
}

/// Nix 2.8 prints attribute names with the escaping of its expression
/// printer, which puts a backslash before every `$`; its string values, and
/// newer Nix everywhere, escape `$` only before `{`. Spindle does the latter,
/// so the former is undone here: inside quotes, `\$` not followed by `{`
/// becomes `$`. (String values never print that way, so nothing else is
/// touched.)
fn undo_dollar_escapes(printed: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(printed.len());
    let mut in_string = false;
    let mut bytes = printed.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'"' => {
                in_string = !in_string;
                out.push(b);
            }
            b'\\' if in_string => match bytes.next() {
                Some(b'$') if bytes.peek() != Some(&b'{') => out.push(b'$'),
                Some(next) => {
                    out.push(b'\\');
                    out.push(next);
                }
                None => out.push(b'\\'),
            },
            b => out.push(b),
        }
    }
    out
}
