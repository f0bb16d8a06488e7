//! An asynchronous host: several evaluations live on one thread at once, and
//! their file reads are served by tokio, concurrently, with simulated latency.
//!
//! Each evaluation suspends whenever it needs a file — from however deep it
//! is — and hands the request to the host. The host starts the read on tokio
//! and goes on with the other evaluations; when a read completes, the
//! evaluation that asked is resumed with the bytes, in whatever order the
//! reads complete.
//!
//! Run with `cargo run --example async_host`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use spindle::io::FileType;
use spindle::{Evaluation, Evaluator, HostReply, HostRequest, Step, Value};
use tokio::task::{JoinSet, LocalSet};

/// The project the evaluations read: each file, and how long reading it
/// takes (as if it came over a network).
const FILES: &[(&str, &str, u64)] = &[
    (
        "lib.nix",
        "rec { readAtDepth = n: file: if n == 0 then builtins.readFile file else readAtDepth (n - 1) file; }",
        5,
    ),
    (
        "a.nix",
        r#"let lib = import ./lib.nix; in "a: " + lib.readAtDepth 50000 ./a.txt"#,
        30,
    ),
    ("a.txt", "read 50 000 calls deep", 40),
    (
        "b.nix",
        r#"let lib = import ./lib.nix; in "b: " + lib.readAtDepth 10 ./b.txt + (import ./b-extra.nix)"#,
        1,
    ),
    ("b.txt", "quick", 1),
    ("b-extra.nix", r#"" and an extra import""#, 1),
    (
        "c.nix",
        r#""c: " + builtins.concatStringsSep "," (builtins.attrNames (builtins.readDir ./data))"#,
        10,
    ),
    ("data/x", "", 1),
    ("data/y", "", 1),
];

fn latency(path: &Path) -> Duration {
    let ms = FILES
        .iter()
        .find(|(name, _, _)| path.ends_with(name))
        .map_or(2, |f| f.2);
    Duration::from_millis(ms)
}

fn main() -> std::io::Result<()> {
    let dir = std::env::temp_dir().join(format!("spindle-async-host-{}", std::process::id()));
    for (name, text, _) in FILES {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("a parent"))?;
        std::fs::write(path, text)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Evaluations are tied to this thread: run the host in a LocalSet.
    let results = LocalSet::new().block_on(&runtime, host(&dir));
    std::fs::remove_dir_all(&dir)?;

    assert_eq!(
        results,
        [
            "a: read 50 000 calls deep",
            "b: quick and an extra import",
            "c: x,y"
        ]
    );
    Ok(())
}

/// Drives every evaluation to its end, serving requests as they come.
async fn host(dir: &Path) -> Vec<String> {
    let jobs = ["a.nix", "b.nix", "c.nix"];
    // Independent evaluations get evaluators of their own (see `Evaluation`).
    let evaluators: Vec<Evaluator> = jobs
        .iter()
        .map(|_| Evaluator::builder().pure(true).host_io().build())
        .collect();
    let mut evaluations: Vec<Evaluation> = evaluators
        .iter()
        .zip(jobs)
        .map(|(evaluator, job)| evaluator.start_file(dir.join(job)))
        .collect();

    let mut results: Vec<Option<String>> = vec![None; jobs.len()];
    let mut in_flight: JoinSet<(usize, HostReply)> = JoinSet::new();
    for (i, evaluation) in evaluations.iter_mut().enumerate() {
        let step = evaluation.resume(HostReply::Continue);
        dispatch(i, evaluation, step, &mut in_flight, &mut results);
    }
    // Resume whichever evaluation's answer is ready first.
    while let Some(answered) = in_flight.join_next().await {
        let (i, reply) = answered.expect("a host task failed");
        let step = evaluations[i].resume(reply);
        dispatch(i, &evaluations[i], step, &mut in_flight, &mut results);
    }
    results.into_iter().map(|r| r.expect("finished")).collect()
}

/// Starts serving a request, or records a result.
fn dispatch(
    i: usize,
    evaluation: &Evaluation,
    step: Step,
    in_flight: &mut JoinSet<(usize, HostReply)>,
    results: &mut [Option<String>],
) {
    match step {
        Step::Request(request) => {
            println!(
                "evaluation {i} asks {request:?} from {} stack segment(s)",
                evaluation.stack_stats().segments_in_use
            );
            in_flight.spawn_local(async move { (i, serve(request).await) });
        }
        Step::Done(Ok(value)) => {
            let text = printable(&value);
            println!("evaluation {i} finished: {text}");
            results[i] = Some(text);
        }
        Step::Done(Err(error)) => {
            println!("evaluation {i} failed: {error}");
            results[i] = Some(format!("error: {error}"));
        }
    }
}

fn printable(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| format!("{value:?}"), str::to_string)
}

/// Answers one request with tokio's file system, after the file's latency.
async fn serve(request: HostRequest) -> HostReply {
    match request {
        HostRequest::ReadFile(path) => {
            tokio::time::sleep(latency(&path)).await;
            HostReply::File(tokio::fs::read(&path).await)
        }
        HostRequest::FileType(path) => HostReply::FileType(
            tokio::fs::symlink_metadata(&path)
                .await
                .map(|m| FileType::of(m.file_type())),
        ),
        HostRequest::PathExists(path) => HostReply::Exists(tokio::fs::try_exists(&path).await),
        HostRequest::ReadDir(path) => HostReply::Dir(read_dir(path).await),
        HostRequest::GetEnv(_) => HostReply::Env(Ok(None)),
        HostRequest::CurrentTime => HostReply::Time(Ok(0)),
        HostRequest::Trace(message) => {
            println!("trace: {message}");
            HostReply::Continue
        }
        // This host declares no asynchronous builtins and sets no fuel.
        HostRequest::Call { .. } | HostRequest::OutOfFuel => HostReply::Cancel,
    }
}

async fn read_dir(path: PathBuf) -> std::io::Result<Vec<(Vec<u8>, FileType)>> {
    let mut entries = Vec::new();
    let mut dir = tokio::fs::read_dir(path).await?;
    while let Some(entry) = dir.next_entry().await? {
        let meta = tokio::fs::symlink_metadata(entry.path()).await?;
        entries.push((
            // A name is bytes, as Nix strings are.
            spindle::path::path_bytes(std::path::Path::new(&entry.file_name())).to_vec(),
            FileType::of(meta.file_type()),
        ));
    }
    entries.sort();
    Ok(entries)
}
