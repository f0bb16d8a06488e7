//! `spindle-bench`: runs every program of the benchmark corpus
//! (`benches/nix/`) on Spindle's fiber VM, on its generator VM and, when it
//! is installed, on C++ Nix's `nix-instantiate --eval --strict`, one process
//! per run. The engines alternate (round-robin), so that a slow spell of a
//! shared machine hits all of them alike, and each round takes them in
//! another of their orders: a run can be slowed by the one before it (the
//! pages it released may cost more to fault in again), so over six rounds
//! every engine follows every other equally often.
//!
//! It prints a Markdown table: the median time of each engine, the medians
//! of the ratios taken pair by pair within one round (fiber/generator,
//! fiber/nix), and the median peak resident set of each engine. Outputs are
//! compared with each other; a program whose outputs differ is flagged.
//!
//! Each run is measured by a small monitor process (this binary again, with
//! `--measure`): it spawns the engine, waits for it and reads its peak RSS
//! with `getrusage(RUSAGE_CHILDREN)`, which then covers that one child only.
//!
//! ```text
//! spindle-bench [--rounds N] [--small] [--only NAME,…] [--metric wall|cpu]
//!               [--spindle PATH] [--nix PATH | --no-nix] [--corpus DIR]
//!               [--timeout SECS] [--nixpkgs-lib DIR] [--chart FILE.svg]
//! ```
//!
//! Programs marked `lib` in `corpus.txt` import the Nixpkgs library as
//! `<nixpkgs-lib/lib>`; every engine gets `-I nixpkgs-lib=DIR`. `--chart`
//! also draws the table's ratios to Nix and peak memory as an SVG chart.

#![forbid(unsafe_code)]

mod chart;

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use nix::sys::resource::{getrusage, UsageWho};
use wait_timeout::ChildExt;

const USAGE: &str = "\
usage: spindle-bench [OPTIONS]

Runs the benchmark corpus on the fiber VM, the generator VM and
nix-instantiate, round-robin, one process per run, and prints a table of
median times, per-round ratios and peak RSS.

options:
  --rounds N        rounds (runs of each program on each engine); default 6,
                    a multiple of 6 takes the engines in every order alike
  --small           use the small sizes criterion uses instead of the defaults
  --only A,B,…      run only these programs
  --metric M        wall (elapsed time, the default) or cpu (user + system)
  --spindle PATH    the spindle binary (default: next to this one)
  --nix PATH        nix-instantiate (default: found on PATH)
  --no-nix          leave C++ Nix out
  --corpus DIR      the corpus (default: benches/nix of this source tree)
  --timeout SECS    give up on one run after this long; default 600
  --nixpkgs-lib DIR the Nixpkgs library for the programs that import it
                    (default: $SPINDLE_NIXPKGS_LIB, or ../shared/nixpkgs-lib
                    beside the source tree; without it they are left out)
  --chart FILE      also draw time ratios and peak RSS as an SVG chart
";

/// One program of the corpus, as `corpus.txt` lists it.
struct Program {
    name: String,
    path: PathBuf,
    /// The size used for this run (the file's default or the small size).
    n: u64,
    on_nix: bool,
    /// Whether it imports the Nixpkgs library (`<nixpkgs-lib/lib>`).
    needs_lib: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Engine {
    Fiber,
    Generator,
    Nix,
}

impl Engine {
    fn label(self) -> &'static str {
        match self {
            Engine::Fiber => "fiber",
            Engine::Generator => "generator",
            Engine::Nix => "nix",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Metric {
    Wall,
    Cpu,
}

/// What one run cost.
#[derive(Clone, Copy)]
struct Sample {
    wall: f64,
    cpu: f64,
    rss_kib: u64,
}

impl Sample {
    fn time(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Wall => self.wall,
            Metric::Cpu => self.cpu,
        }
    }
}

struct Options {
    rounds: usize,
    small: bool,
    only: Vec<String>,
    metric: Metric,
    spindle: PathBuf,
    nix: Option<PathBuf>,
    corpus: PathBuf,
    timeout: Duration,
    /// Whether spindle takes `--vm` (builds before the generator VM do not).
    vm_flag: bool,
    /// The folder holding the Nixpkgs library's `lib/`.
    nixpkgs_lib: Option<PathBuf>,
    /// Where to write the SVG chart.
    chart: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--measure") {
        return measure(&args[1..]);
    }
    match parse_options(&args).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spindle-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let here = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut options = Options {
        rounds: 6,
        small: false,
        only: Vec::new(),
        metric: Metric::Wall,
        spindle: here.with_file_name("spindle"),
        nix: Some(PathBuf::from("nix-instantiate")),
        corpus: Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/nix"),
        timeout: Duration::from_secs(600),
        vm_flag: true,
        nixpkgs_lib: default_nixpkgs_lib(),
        chart: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--rounds" => {
                options.rounds = value("--rounds")?
                    .parse()
                    .map_err(|e| format!("--rounds: {e}"))?;
                if options.rounds == 0 {
                    return Err("--rounds must be at least 1".into());
                }
            }
            "--small" => options.small = true,
            "--only" => {
                options.only = value("--only")?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect()
            }
            "--metric" => {
                options.metric = match value("--metric")?.as_str() {
                    "wall" => Metric::Wall,
                    "cpu" => Metric::Cpu,
                    other => return Err(format!("--metric: '{other}' is not wall or cpu")),
                }
            }
            "--spindle" => options.spindle = PathBuf::from(value("--spindle")?),
            "--nix" => options.nix = Some(PathBuf::from(value("--nix")?)),
            "--no-nix" => options.nix = None,
            "--corpus" => options.corpus = PathBuf::from(value("--corpus")?),
            "--timeout" => {
                let secs: u64 = value("--timeout")?
                    .parse()
                    .map_err(|e| format!("--timeout: {e}"))?;
                options.timeout = Duration::from_secs(secs);
            }
            "--nixpkgs-lib" => options.nixpkgs_lib = Some(PathBuf::from(value("--nixpkgs-lib")?)),
            "--chart" => options.chart = Some(PathBuf::from(value("--chart")?)),
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument '{other}'\n\n{USAGE}")),
        }
    }
    Ok(options)
}

/// `$SPINDLE_NIXPKGS_LIB`, or `../shared/nixpkgs-lib` beside the source
/// tree, when it holds the library.
fn default_nixpkgs_lib() -> Option<PathBuf> {
    let dir = match std::env::var_os("SPINDLE_NIXPKGS_LIB") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/nixpkgs-lib"),
    };
    dir.join("lib/default.nix").is_file().then_some(dir)
}

/// Reads `corpus.txt`: `name small-n nix lib description…` per line
/// (`nix`, `lib`: yes or no).
fn load_corpus(options: &Options) -> Result<Vec<Program>, String> {
    let manifest = options.corpus.join("corpus.txt");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("reading {}: {e}", manifest.display()))?;
    let mut programs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, small, nix, lib, ..] = fields[..] else {
            return Err(format!("{}: malformed line '{line}'", manifest.display()));
        };
        if !options.only.is_empty() && !options.only.iter().any(|o| o == name) {
            continue;
        }
        let needs_lib = lib == "yes";
        if needs_lib && options.nixpkgs_lib.is_none() {
            eprintln!(
                "note: {name} is left out: it needs the Nixpkgs library \
                 (--nixpkgs-lib DIR or SPINDLE_NIXPKGS_LIB)"
            );
            continue;
        }
        let path = options.corpus.join(format!("{name}.nix"));
        let n = if options.small {
            small
                .parse()
                .map_err(|e| format!("{}: size of {name}: {e}", manifest.display()))?
        } else {
            default_size(&path)?
        };
        programs.push(Program {
            name: name.to_string(),
            path,
            n,
            on_nix: nix == "yes",
            needs_lib,
        });
    }
    for wanted in &options.only {
        if !programs.iter().any(|p| &p.name == wanted) {
            return Err(format!("no program '{wanted}' in {}", manifest.display()));
        }
    }
    Ok(programs)
}

/// The `N` of the program's `{ n ? N }:` header.
fn default_size(path: &Path) -> Result<u64, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let start = text
        .find("{ n ? ")
        .ok_or_else(|| format!("{}: no `{{ n ? N }}:` header", path.display()))?;
    let digits: String = text[start + 6..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .map_err(|e| format!("{}: default size: {e}", path.display()))
}

/// Whether the spindle binary takes `--vm generator`.
fn has_generator_vm(spindle: &Path) -> bool {
    Command::new(spindle)
        .args(["eval", "--vm", "generator", "-E", "1 + 1"])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"2"))
}

fn has_nix(nix: &Path) -> bool {
    Command::new(nix)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The command line running `program` on `engine`.
/// Every order of `n` engines, by their indices: rounds go through them in
/// turn.
fn orders(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut all = Vec::new();
    for shorter in orders(n - 1) {
        for at in 0..n {
            let mut order = shorter.clone();
            order.insert(at, n - 1);
            all.push(order);
        }
    }
    all
}

fn command_line(options: &Options, engine: Engine, program: &Program) -> Vec<String> {
    let file = program.path.display().to_string();
    let n = program.n.to_string();
    let mut cmd = match engine {
        Engine::Fiber | Engine::Generator if options.vm_flag => vec![
            options.spindle.display().to_string(),
            "eval".into(),
            "--vm".into(),
            engine.label().into(),
        ],
        Engine::Fiber | Engine::Generator => {
            vec![options.spindle.display().to_string(), "eval".into()]
        }
        Engine::Nix => vec![options
            .nix
            .as_ref()
            .expect("nix is only run when present")
            .display()
            .to_string()],
    };
    cmd.extend(["--eval".into(), "--strict".into(), file]);
    cmd.extend(["--arg".into(), "n".into(), n]);
    if let (true, Some(lib)) = (program.needs_lib, &options.nixpkgs_lib) {
        cmd.extend(["-I".into(), format!("nixpkgs-lib={}", lib.display())]);
    }
    cmd
}

/// The results of one engine on one program, round by round (`None`: that
/// run failed).
struct Series {
    samples: Vec<Option<Sample>>,
    failure: Option<String>,
}

fn run(options: Options) -> Result<(), String> {
    if !options.spindle.exists() {
        return Err(format!(
            "no spindle binary at {} (build it with `cargo build --profile dist --workspace`, or pass --spindle)",
            options.spindle.display()
        ));
    }
    let programs = load_corpus(&options)?;
    let mut options = options;
    let mut engines = vec![Engine::Fiber];
    if has_generator_vm(&options.spindle) {
        engines.push(Engine::Generator);
    } else {
        eprintln!("note: this spindle has no --vm generator; the generator column is left out");
        options.vm_flag = false;
    }
    if let Some(nix) = &options.nix {
        if has_nix(nix) {
            engines.push(Engine::Nix);
        } else {
            eprintln!(
                "note: {} is not installed; the nix column is left out",
                nix.display()
            );
            options.nix = None;
        }
    }
    let monitor = std::env::current_exe().map_err(|e| e.to_string())?;

    // results[program][engine]
    let mut results: Vec<Vec<Series>> = programs
        .iter()
        .map(|_| {
            engines
                .iter()
                .map(|_| Series {
                    samples: Vec::new(),
                    failure: None,
                })
                .collect()
        })
        .collect();
    let mut mismatches: Vec<Option<String>> = vec![None; programs.len()];
    let mut reference: Vec<Option<(Engine, Vec<u8>)>> = vec![None; programs.len()];

    let progress = std::io::stderr().is_terminal();
    let orders = orders(engines.len());
    for round in 0..options.rounds {
        let order = &orders[round % orders.len()];
        for (p, program) in programs.iter().enumerate() {
            for &e in order {
                let engine = engines[e];
                if engine == Engine::Nix && !program.on_nix {
                    continue;
                }
                let series = &mut results[p][e];
                if series.failure.is_some() {
                    series.samples.push(None);
                    continue;
                }
                if progress {
                    eprint!(
                        "\rround {}/{}: {:<16} {:<10}",
                        round + 1,
                        options.rounds,
                        program.name,
                        engine.label()
                    );
                }
                let cmd = command_line(&options, engine, program);
                match run_measured(&monitor, &cmd, options.timeout) {
                    Ok((sample, stdout)) => {
                        series.samples.push(Some(sample));
                        match &reference[p] {
                            None => reference[p] = Some((engine, stdout)),
                            Some((first, out)) if *out != stdout => {
                                mismatches[p] = Some(format!(
                                    "{} and {} print different results",
                                    first.label(),
                                    engine.label()
                                ));
                            }
                            Some(_) => {}
                        }
                    }
                    Err(e) => {
                        eprintln!("\n{} on {}: {e}", program.name, engine.label());
                        series.samples.push(None);
                        series.failure = Some(e);
                    }
                }
            }
        }
    }
    if progress {
        eprint!("\r{:<60}\r", "");
    }

    print_table(&options, &programs, &engines, &results, &mismatches);
    if let Some(path) = &options.chart {
        let svg = draw_chart(&options, &programs, &engines, &results);
        std::fs::write(path, svg).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Runs `cmd` under the monitor; returns its cost and standard output.
fn run_measured(
    monitor: &Path,
    cmd: &[String],
    timeout: Duration,
) -> Result<(Sample, Vec<u8>), String> {
    let output = Command::new(monitor)
        .arg("--measure")
        .arg(timeout.as_secs().to_string())
        .args(cmd)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running the monitor: {e}"))?;
    let text = output.stdout;
    let newline = text
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("the monitor printed nothing")?;
    let header = String::from_utf8_lossy(&text[..newline]).to_string();
    let fields: Vec<&str> = header.split_whitespace().collect();
    let [wall, cpu, rss, status] = fields[..] else {
        return Err(format!("unexpected monitor output '{header}'"));
    };
    if status != "0" {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("").to_string();
        return Err(format!("exit status {status}: {first}"));
    }
    let parse = |s: &str| s.parse::<f64>().map_err(|e| format!("{header}: {e}"));
    Ok((
        Sample {
            wall: parse(wall)?,
            cpu: parse(cpu)?,
            rss_kib: rss.parse().map_err(|e| format!("{header}: {e}"))?,
        },
        text[newline + 1..].to_vec(),
    ))
}

/// `--measure TIMEOUT CMD ARGS…`: runs one command and prints
/// `WALL CPU MAXRSS_KIB STATUS` on a line of its own, then the command's
/// standard output; the command's standard error passes through.
fn measure(args: &[String]) -> ExitCode {
    let (Some(timeout), Some(program)) = (args.first(), args.get(1)) else {
        eprintln!("usage: spindle-bench --measure TIMEOUT_SECS COMMAND [ARGS…]");
        return ExitCode::FAILURE;
    };
    let timeout = Duration::from_secs(timeout.parse().unwrap_or(600));
    let start = Instant::now();
    let mut child = match Command::new(program)
        .args(&args[2..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            eprintln!("cannot run {program}: {e}");
            println!("0 0 0 spawn-failed");
            return ExitCode::SUCCESS;
        }
    };
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status
            .code()
            .map_or_else(|| "signal".to_string(), |c| c.to_string()),
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            "timeout".to_string()
        }
        Err(e) => {
            eprintln!("waiting for {program}: {e}");
            "wait-failed".to_string()
        }
    };
    let wall = start.elapsed().as_secs_f64();
    let bytes = reader.join().unwrap_or_default();
    let (cpu, rss) = match getrusage(UsageWho::RUSAGE_CHILDREN) {
        Ok(usage) => {
            let secs =
                |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1_000_000.0;
            (
                secs(usage.user_time()) + secs(usage.system_time()),
                usage.max_rss(),
            )
        }
        Err(_) => (0.0, 0),
    };
    println!("{wall:.6} {cpu:.6} {rss} {status}");
    use std::io::Write;
    let _ = std::io::stdout().write_all(&bytes);
    ExitCode::SUCCESS
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// The median of the per-round ratios of `a`'s time to `b`'s.
fn median_ratio(a: &Series, b: &Series, metric: Metric) -> Option<f64> {
    let time_of = |s: &Option<Sample>| s.map(|s| s.time(metric));
    let mut ratios: Vec<f64> = a
        .samples
        .iter()
        .zip(&b.samples)
        .filter_map(|(x, y)| Some(time_of(x)? / time_of(y)?))
        .collect();
    median(&mut ratios)
}

/// The median peak resident memory of a series, in MiB.
fn median_rss_mib(series: &Series) -> Option<f64> {
    let mut rss: Vec<f64> = series
        .samples
        .iter()
        .filter_map(|s| s.map(|s| s.rss_kib as f64 / 1024.0))
        .collect();
    median(&mut rss)
}

/// The chart of a run: each VM's time against Nix's (when Nix ran), and
/// every engine's peak RSS, per program.
fn draw_chart(
    options: &Options,
    programs: &[Program],
    engines: &[Engine],
    results: &[Vec<Series>],
) -> String {
    let nix = engines.iter().position(|&e| e == Engine::Nix);
    let vms: Vec<usize> = (0..engines.len()).filter(|&e| Some(e) != nix).collect();
    let vm_labels: Vec<String> = vms
        .iter()
        .map(|&e| format!("{} / nix", engines[e].label()))
        .collect();
    let vm_label_refs: Vec<&str> = vm_labels.iter().map(String::as_str).collect();
    let engine_labels: Vec<&str> = engines.iter().map(|e| e.label()).collect();
    let mut panels = Vec::new();
    if let Some(nix) = nix {
        panels.push(chart::Panel {
            title: "Time against Nix 2.8 (median of per-round ratios; below 1 is faster)",
            series: &vm_label_refs,
            rows: programs
                .iter()
                .enumerate()
                .filter(|(_, program)| program.on_nix)
                .map(|(p, program)| {
                    let ratios = vms
                        .iter()
                        .map(|&e| median_ratio(&results[p][e], &results[p][nix], options.metric))
                        .collect();
                    (program.name.clone(), ratios)
                })
                .collect(),
            format: |r| format!("{r:.2}"),
            reference: Some(1.0),
        });
    }
    panels.push(chart::Panel {
        title: "Peak resident memory, MiB (median)",
        series: &engine_labels,
        rows: programs
            .iter()
            .enumerate()
            .map(|(p, program)| {
                let rss = results[p].iter().map(median_rss_mib).collect();
                (program.name.clone(), rss)
            })
            .collect(),
        format: |m| format!("{m:.0}"),
        reference: None,
    });
    chart::render(&panels)
}

fn print_table(
    options: &Options,
    programs: &[Program],
    engines: &[Engine],
    results: &[Vec<Series>],
    mismatches: &[Option<String>],
) {
    let index = |e: Engine| engines.iter().position(|&x| x == e);
    let fiber = index(Engine::Fiber).expect("the fiber VM always runs");
    let ratio_columns: Vec<(Engine, usize)> = [Engine::Generator, Engine::Nix]
        .into_iter()
        .filter_map(|e| index(e).map(|i| (e, i)))
        .collect();
    let metric = match options.metric {
        Metric::Wall => "wall",
        Metric::Cpu => "cpu",
    };

    let mut header = vec!["program".to_string(), "n".to_string()];
    for e in engines {
        header.push(format!("{} s", e.label()));
    }
    for (e, _) in &ratio_columns {
        header.push(format!("fiber/{}", e.label()));
    }
    for e in engines {
        header.push(format!("{} MiB", e.label()));
    }
    println!(
        "{} rounds, median {metric} time per run; ratios are medians of per-round ratios; \
         MiB is the median peak RSS.\n",
        options.rounds
    );
    println!("| {} |", header.join(" | "));
    println!(
        "|{}",
        header
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { " --- |" } else { " ---: |" })
            .collect::<String>()
    );

    let mut log_ratios: Vec<Vec<f64>> = vec![Vec::new(); ratio_columns.len()];
    for (p, program) in programs.iter().enumerate() {
        let mut row = vec![
            match &mismatches[p] {
                Some(_) => format!("{} (!)", program.name),
                None => program.name.clone(),
            },
            program.n.to_string(),
        ];
        let time_of = |s: &Option<Sample>| s.map(|s| s.time(options.metric));
        for (e, engine) in engines.iter().enumerate() {
            let series = &results[p][e];
            let mut times: Vec<f64> = series.samples.iter().filter_map(time_of).collect();
            row.push(if *engine == Engine::Nix && !program.on_nix {
                "not run".into()
            } else if series.failure.is_some() {
                "failed".into()
            } else {
                median(&mut times).map_or("-".into(), |t| format!("{t:.3}"))
            });
        }
        for (c, (_, other)) in ratio_columns.iter().enumerate() {
            let m = median_ratio(&results[p][fiber], &results[p][*other], options.metric);
            if let Some(m) = m {
                log_ratios[c].push(m.ln());
            }
            row.push(m.map_or("-".into(), |r| format!("{r:.2}")));
        }
        for series in &results[p] {
            row.push(median_rss_mib(series).map_or("-".into(), |m| format!("{m:.0}")));
        }
        println!("| {} |", row.join(" | "));
    }
    for (c, (e, _)) in ratio_columns.iter().enumerate() {
        let logs = &log_ratios[c];
        if !logs.is_empty() {
            let geomean = (logs.iter().sum::<f64>() / logs.len() as f64).exp();
            println!(
                "\nGeometric mean of fiber/{} over {} programs: {geomean:.2}",
                e.label(),
                logs.len()
            );
        }
    }
    for (p, m) in mismatches.iter().enumerate() {
        if let Some(m) = m {
            println!("\n(!) {}: {m}", programs[p].name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::orders;

    #[test]
    fn rounds_take_the_engines_in_every_order_once() {
        let all = orders(3);
        assert_eq!(all.len(), 6);
        for order in &all {
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(sorted, vec![0, 1, 2], "{order:?} is not a permutation");
        }
        let mut distinct = all.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 6);
        // Within the six orders, every engine directly follows every other
        // one equally often.
        for a in 0..3 {
            for b in (0..3).filter(|&b| b != a) {
                let follows = all
                    .iter()
                    .filter(|o| o.windows(2).any(|w| w == [a, b]))
                    .count();
                assert_eq!(follows, 2, "{b} after {a}");
            }
        }
        assert_eq!(orders(2), vec![vec![1, 0], vec![0, 1]]);
    }
}
