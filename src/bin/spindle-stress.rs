//! `spindle-stress`: runs the depth stress families of `stress/families.tsv`
//! at a large depth (10^7 by default) and reports, for each, the time, peak
//! RSS, native stack per level and how time per level compares with a small
//! depth; optionally the same probes on the generator VM and on
//! `nix-instantiate`. Prints a Markdown table.
//!
//! ```text
//! spindle-stress [--depth N] [--small N] [--only NAME] [--generator] [--nix] [--timeout SECS]
//! ```

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Options {
    depth: u64,
    small: u64,
    only: Option<String>,
    generator: bool,
    nix: bool,
    timeout: u64,
}

struct Run {
    ok: bool,
    seconds: f64,
    rss_mb: Option<f64>,
    stack_bytes: Option<u64>,
    note: String,
}

fn main() {
    let options = parse_options();
    let families = read_families();
    let spindle = sibling_binary("spindle");
    println!("| family | N | time (s) | peak RSS (MB) | native stack / level (B) | time/level vs N={} | generator VM | nix-instantiate 2.8 |", options.small);
    println!("|---|---|---|---|---|---|---|---|");
    for (name, program, expected) in families {
        if options
            .only
            .as_ref()
            .is_some_and(|o| !name.contains(o.as_str()))
        {
            continue;
        }
        let big = run_spindle(
            &spindle,
            &program,
            &expected,
            options.depth,
            &[],
            options.timeout,
        );
        let small = run_spindle(
            &spindle,
            &program,
            &expected,
            options.small,
            &[],
            options.timeout,
        );
        let per_level = |r: &Run, n: u64| r.seconds / n as f64;
        let slowdown = if big.ok && small.ok {
            format!(
                "{:.2}x",
                per_level(&big, options.depth) / per_level(&small, options.small)
            )
        } else {
            "–".to_string()
        };
        let stack = big
            .stack_bytes
            .filter(|_| big.ok)
            .map(|b| format!("{}", b / options.depth))
            .unwrap_or_else(|| "–".into());
        let generator = if options.generator {
            summarise(&run_spindle(
                &spindle,
                &program,
                &expected,
                options.depth,
                &["--vm", "generator"],
                options.timeout,
            ))
        } else {
            "not run".into()
        };
        let nix = if options.nix {
            summarise(&run_nix(&program, options.depth, options.timeout))
        } else {
            "not run".into()
        };
        println!(
            "| {name} | {} | {} | {} | {stack} | {slowdown} | {generator} | {nix} |",
            options.depth,
            if big.ok {
                format!("{:.2}", big.seconds)
            } else {
                big.note.clone()
            },
            big.rss_mb
                .map(|m| format!("{m:.0}"))
                .unwrap_or_else(|| "–".into()),
        );
    }
}

fn summarise(run: &Run) -> String {
    if run.ok {
        match run.rss_mb {
            Some(m) => format!("{:.2} s, {m:.0} MB", run.seconds),
            None => format!("{:.2} s", run.seconds),
        }
    } else {
        run.note.clone()
    }
}

fn parse_options() -> Options {
    let mut options = Options {
        depth: 10_000_000,
        small: 10_000,
        only: None,
        generator: false,
        nix: false,
        timeout: 600,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{what} needs a value")))
        };
        match arg.as_str() {
            "--depth" => {
                options.depth = value("--depth")
                    .parse()
                    .unwrap_or_else(|_| usage("bad --depth"))
            }
            "--small" => {
                options.small = value("--small")
                    .parse()
                    .unwrap_or_else(|_| usage("bad --small"))
            }
            "--timeout" => {
                options.timeout = value("--timeout")
                    .parse()
                    .unwrap_or_else(|_| usage("bad --timeout"))
            }
            "--only" => options.only = Some(value("--only")),
            "--generator" => options.generator = true,
            "--nix" => options.nix = true,
            _ => usage(&format!("unknown argument '{arg}'")),
        }
    }
    options
}

fn usage(problem: &str) -> ! {
    eprintln!("spindle-stress: {problem}\nusage: spindle-stress [--depth N] [--small N] [--only NAME] [--generator] [--nix] [--timeout SECS]");
    std::process::exit(2)
}

fn read_families() -> Vec<(String, String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("stress/families.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| usage(&format!("reading {}: {e}", path.display())));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.len() >= 3).then(|| (cols[0].into(), cols[1].into(), cols[2].into()))
        })
        .collect()
}

fn sibling_binary(name: &str) -> PathBuf {
    let me = std::env::current_exe().expect("current executable");
    me.with_file_name(name)
}

fn expected_output(pattern: &str, n: u64) -> String {
    if pattern == "NESTED" {
        let n = n as usize;
        return format!("{}0{}", "[ ".repeat(n), " ]".repeat(n));
    }
    pattern.replace('N', &n.to_string())
}

/// Runs a command under GNU time (for peak RSS) when available.
fn measured(
    program: &Path,
    args: &[String],
    timeout: u64,
) -> (Option<std::process::Output>, f64, Option<f64>) {
    let gnu_time = Path::new("/usr/bin/time");
    let mut cmd = if gnu_time.exists() {
        let mut c = Command::new(gnu_time);
        c.args(["-f", "rss-kb %M"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let Ok(mut child) = cmd.spawn() else {
        return (None, 0.0, None);
    };
    // Read both pipes while the child runs, so that a large output cannot
    // fill a pipe and stall it.
    let stdout = child
        .stdout
        .take()
        .map(|p| std::thread::spawn(move || read_all(p)));
    let stderr = child
        .stderr
        .take()
        .map(|p| std::thread::spawn(move || read_all(p)));
    let deadline = started + Duration::from_secs(timeout);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return (None, timeout as f64, None);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return (None, 0.0, None),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let status = child.wait().ok();
    let joined = |h: Option<std::thread::JoinHandle<Vec<u8>>>| {
        h.and_then(|h| h.join().ok()).unwrap_or_default()
    };
    let output = status.map(|status| std::process::Output {
        status,
        stdout: joined(stdout),
        stderr: joined(stderr),
    });
    let rss = output.as_ref().and_then(|o| {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .find_map(|l| {
                l.strip_prefix("rss-kb ")
                    .and_then(|k| k.trim().parse::<f64>().ok())
            })
            .map(|kb| kb / 1024.0)
    });
    (output, seconds, rss)
}

fn read_all(mut pipe: impl std::io::Read) -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = pipe.read_to_end(&mut buf);
    buf
}

fn run_spindle(
    spindle: &Path,
    program: &str,
    expected: &str,
    n: u64,
    extra: &[&str],
    timeout: u64,
) -> Run {
    let mut args: Vec<String> = vec!["eval".into(), "--strict".into(), "--stats".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("-E".into());
    args.push(format!("let N = {n}; in {program}"));
    let (output, seconds, rss_mb) = measured(spindle, &args, timeout);
    let Some(output) = output else {
        return Run {
            ok: false,
            seconds,
            rss_mb: None,
            stack_bytes: None,
            note: format!("timed out after {timeout} s"),
        };
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stack_bytes = stderr.lines().find_map(|l| {
        l.split("peak fiber stack ")
            .nth(1)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let ok = output.status.success() && stdout.trim_end() == expected_output(expected, n);
    let note = if ok {
        String::new()
    } else {
        let first = stderr
            .lines()
            .find(|l| l.starts_with("error:"))
            .unwrap_or("wrong output")
            .to_string();
        first.chars().take(70).collect()
    };
    Run {
        ok,
        seconds,
        rss_mb,
        stack_bytes,
        note,
    }
}

fn run_nix(program: &str, n: u64, timeout: u64) -> Run {
    let nix = Path::new("/usr/bin/nix-instantiate");
    if !nix.exists() {
        return Run {
            ok: false,
            seconds: 0.0,
            rss_mb: None,
            stack_bytes: None,
            note: "not installed".into(),
        };
    }
    let args = vec![
        "--eval".into(),
        "--strict".into(),
        "-E".into(),
        format!("let N = {n}; in {program}"),
    ];
    let (output, seconds, rss_mb) = measured(nix, &args, timeout);
    let Some(output) = output else {
        return Run {
            ok: false,
            seconds,
            rss_mb: None,
            stack_bytes: None,
            note: format!("timed out after {timeout} s"),
        };
    };
    let ok = output.status.success();
    let note = if ok {
        String::new()
    } else {
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .find(|l| l.starts_with("error:"))
            .unwrap_or("failed")
            .chars()
            .take(50)
            .collect()
    };
    Run {
        ok,
        seconds,
        rss_mb,
        stack_bytes: None,
        note,
    }
}
