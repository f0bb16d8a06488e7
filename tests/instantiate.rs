//! `spindle instantiate` against Nix 2.8, end to end, through both stores.
//!
//! Each test works in a throw-away Nix installation in a temporary
//! directory (its own store directory, state, configuration and daemon
//! socket). The derivations of `tests/instantiate/drvs.nix` are
//! instantiated by Spindle into the store under test (a local store, or
//! a `nix-daemon` started here on that store) and by `nix-instantiate`
//! into a separate reference store with the same store directory; then
//! the printed paths and the `.drv` bytes must be equal, Nix must accept
//! what Spindle wrote (`nix-store --verify-path`, `-q --references`,
//! `--gc --print-roots`) and build it (`nix-store --realise`, with a
//! static busybox as the builder). Without Nix or busybox the tests say
//! so and check nothing, except under CI, where that is a failure.

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The derivations compared with Nix, by attribute.
const COMPARED: [&str; 11] = [
    "hello",
    "multi",
    "fixedFlat",
    "fixedRecursive",
    "structured",
    "passFile",
    "refs",
    "context",
    "list",
    "set",
    "multi.dev",
];

/// Where the static busybox is (Debian's busybox-static).
const BUSYBOX: &str = "/bin/busybox";

/// Whether Nix's tools and busybox are here; when not, the test is
/// skipped loudly, or fails under CI.
fn prerequisites() -> bool {
    let on_path = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
    };
    if !["nix-daemon", "nix-instantiate", "nix-store"]
        .iter()
        .all(|tool| on_path(tool))
    {
        common::data_missing(
            "Nix 2.8 (nix-daemon, nix-instantiate, nix-store)",
            "apt-get install nix-bin",
        );
        return false;
    }
    if !Path::new(BUSYBOX).is_file() {
        common::data_missing("a static busybox", "apt-get install busybox-static");
        return false;
    }
    true
}

/// A throw-away Nix installation: store, state, logs, configuration and
/// daemon socket in one temporary directory, and a reference store (a
/// chroot store with the same store directory) for `nix-instantiate`.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = Sandbox { dir };
        for sub in ["store", "state", "log", "conf", "bb"] {
            std::fs::create_dir_all(sandbox.path(sub)).unwrap();
        }
        // Builds run as root, unsandboxed, with nothing to substitute.
        std::fs::write(
            sandbox.path("conf/nix.conf"),
            "sandbox = false\nbuild-users-group =\nsubstituters =\n",
        )
        .unwrap();
        // Tests that build check for busybox first; the others need none.
        if Path::new(BUSYBOX).is_file() {
            std::fs::copy(BUSYBOX, sandbox.path("bb/busybox")).unwrap();
        }
        std::fs::write(sandbox.path("added.txt"), "stored text\n").unwrap();
        sandbox
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    fn store_dir(&self) -> String {
        self.path("store").display().to_string()
    }

    /// `command` in this installation's environment, and no other's.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("NIX_") {
                command.env_remove(&name);
            }
        }
        command
            .env("NIX_STORE_DIR", self.path("store"))
            .env("NIX_STATE_DIR", self.path("state"))
            .env("NIX_LOG_DIR", self.path("log"))
            .env("NIX_CONF_DIR", self.path("conf"))
            .env("NIX_DAEMON_SOCKET_PATH", self.path("socket"))
            .current_dir(self.dir.path());
        command
    }

    fn spindle(&self) -> Command {
        self.command(env!("CARGO_BIN_EXE_spindle"))
    }

    /// A Nix tool on the store under test (`--store daemon` or local).
    fn nix(&self, tool: &str, store: Via) -> Command {
        let mut command = self.command(tool);
        match store {
            Via::Daemon => {
                command.args(["--store", "daemon"]);
            }
            Via::Local => {
                command.env("NIX_REMOTE", "local");
            }
        }
        command
    }

    /// A Nix tool on the reference store.
    fn reference(&self, tool: &str) -> Command {
        let mut command = self.command(tool);
        command.arg("--store").arg(self.path("reference"));
        command
    }

    /// The arguments `drvs.nix` takes.
    fn fixture_args(&self, added: &str) -> Vec<String> {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/instantiate/drvs.nix");
        vec![
            file.display().to_string(),
            "--argstr".into(),
            "busybox".into(),
            self.path("bb").display().to_string(),
            "--argstr".into(),
            "added".into(),
            added.into(),
        ]
    }

    /// Where the reference store keeps the file of store path `path` (a
    /// chroot store keeps every store directory in `nix/store`).
    fn reference_file(&self, path: &str) -> PathBuf {
        let base = Path::new(path).file_name().unwrap();
        self.path("reference").join("nix/store").join(base)
    }
}

/// How the store under test is reached.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Via {
    Local,
    Daemon,
}

/// A `nix-daemon` serving a sandbox's store; killed when dropped, so also
/// when a test fails.
struct Daemon {
    child: Child,
}

impl Daemon {
    fn start(sandbox: &Sandbox) -> Daemon {
        // The daemon itself must use the store directly: left to choose,
        // it would find its own socket and connect to itself.
        let child = sandbox
            .command("nix-daemon")
            .env("NIX_REMOTE", "local")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts nix-daemon");
        let daemon = Daemon { child };
        let socket = sandbox.path("socket");
        let started = Instant::now();
        while !greets(&socket) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "nix-daemon did not answer on {}",
                socket.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }
}

/// Whether a daemon answers the first word of the worker protocol's
/// handshake on `socket`. The process serving a connection opens the
/// store, creating its database the first time, before it answers, so a
/// test's own connection cannot race that creation.
fn greets(socket: &Path) -> bool {
    const WORKER_MAGIC_1: u64 = 0x6e69_7863;
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let mut reply = [0u8; 8];
    stream.write_all(&WORKER_MAGIC_1.to_le_bytes()).is_ok() && stream.read_exact(&mut reply).is_ok()
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(what: &str, command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    output
}

fn succeed(what: &str, command: &mut Command) -> String {
    let output = run(what, command);
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn fail(what: &str, command: &mut Command) -> String {
    let output = run(what, command);
    assert!(
        !output.status.success(),
        "{what} succeeded:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stderr).unwrap()
}

/// The printed lines' store paths (`!output` and roots left aside).
fn drv_paths(printed: &str) -> Vec<String> {
    printed
        .lines()
        .map(|line| line.split('!').next().unwrap().to_string())
        .collect()
}

/// Instantiates every compared attribute with Spindle through `via` and
/// with Nix into the reference store, and checks that Nix accepts and
/// builds what Spindle wrote.
fn matches_nix(via: Via) {
    if !prerequisites() {
        return;
    }
    let sandbox = Sandbox::new();
    let _daemon = (via == Via::Daemon).then(|| Daemon::start(&sandbox));
    let added = succeed(
        "nix-store --add",
        sandbox.nix("nix-store", via).arg("--add").arg("added.txt"),
    );
    let added = added.trim();
    let reference_added = succeed(
        "nix-store --add (reference)",
        sandbox.reference("nix-store").arg("--add").arg("added.txt"),
    );
    assert_eq!(added, reference_added.trim());
    let args = sandbox.fixture_args(added);
    let mut spindle_store = Vec::new();
    if via == Via::Daemon {
        spindle_store = vec!["--store", "daemon"];
    }
    for attr in COMPARED {
        let ours = succeed(
            &format!("spindle instantiate -A {attr}"),
            sandbox
                .spindle()
                .arg("instantiate")
                .args(&spindle_store)
                .args(&args)
                .args(["-A", attr]),
        );
        let nix = succeed(
            &format!("nix-instantiate -A {attr}"),
            sandbox
                .reference("nix-instantiate")
                .args(&args)
                .args(["-A", attr]),
        );
        assert_eq!(ours, nix, "-A {attr}: what is printed");
        for drv in drv_paths(&ours) {
            assert!(drv.starts_with(&sandbox.store_dir()), "{drv}");
            let bytes = std::fs::read(&drv).unwrap();
            let expected = std::fs::read(sandbox.reference_file(&drv)).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(&expected),
                "-A {attr}: the bytes of {drv}"
            );
            succeed(
                "nix-store --verify-path",
                sandbox.nix("nix-store", via).arg("--verify-path").arg(&drv),
            );
            for query in ["--references", "--requisites"] {
                let ours = succeed(
                    "nix-store -q",
                    sandbox.nix("nix-store", via).args(["-q", query, &drv]),
                );
                let nix = succeed(
                    "nix-store -q (reference)",
                    sandbox.reference("nix-store").args(["-q", query, &drv]),
                );
                assert_eq!(ours, nix, "-A {attr}: {query} of {drv}");
            }
        }
    }
    // Under the name nix-instantiate, without --eval, the binary does the same.
    let alias = sandbox.path("bin/nix-instantiate");
    std::fs::create_dir_all(alias.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_spindle"), &alias).unwrap();
    let as_nix = succeed(
        "spindle as nix-instantiate",
        sandbox
            .command(alias.to_str().unwrap())
            .args(&spindle_store)
            .args(&args)
            .args(["-A", "refs"]),
    );
    let nix = succeed(
        "nix-instantiate -A refs",
        sandbox
            .reference("nix-instantiate")
            .args(&args)
            .args(["-A", "refs"]),
    );
    assert_eq!(as_nix, nix, "as nix-instantiate");
    // The whole store checks out.
    succeed(
        "nix-store --verify --check-contents",
        sandbox
            .nix("nix-store", via)
            .args(["--verify", "--check-contents"]),
    );
    for (attr, expected) in [
        ("hello", "hello from busybox\n"),
        ("refs", "hellodev\nbuilt from "),
        ("context", "stored text\n"),
    ] {
        let drv = succeed(
            "spindle instantiate",
            sandbox
                .spindle()
                .arg("instantiate")
                .args(&spindle_store)
                .args(&args)
                .args(["-A", attr]),
        );
        let out = succeed(
            "nix-store --realise",
            sandbox
                .nix("nix-store", via)
                .arg("--realise")
                .arg(drv.trim()),
        );
        let built = std::fs::read_to_string(out.trim()).unwrap();
        assert!(built.starts_with(expected), "{attr} built {built:?}");
    }
}

#[test]
fn instantiating_into_a_local_store_matches_nix_and_builds() {
    matches_nix(Via::Local);
}

#[test]
fn instantiating_through_the_daemon_matches_nix_and_builds() {
    matches_nix(Via::Daemon);
}

/// `--add-root`: a root per derivation, which the store's collector
/// knows (`nix-store --gc --print-roots`), printed as Nix prints them.
fn roots(via: Via) {
    if !prerequisites() {
        return;
    }
    let sandbox = Sandbox::new();
    let _daemon = (via == Via::Daemon).then(|| Daemon::start(&sandbox));
    let args = sandbox.fixture_args("unused");
    let root = sandbox.path("result");
    let printed = succeed(
        "spindle instantiate --add-root",
        sandbox
            .spindle()
            .arg("instantiate")
            .args(&args)
            .args(["-A", "list", "--add-root"])
            .arg(&root),
    );
    let second = format!("{}-2", root.display());
    assert_eq!(printed, format!("{}\n{second}!dev\n", root.display()));
    let roots = succeed(
        "nix-store --gc --print-roots",
        sandbox
            .nix("nix-store", via)
            .args(["--gc", "--print-roots"]),
    );
    for link in [root.display().to_string(), second] {
        let target = std::fs::read_link(&link).unwrap();
        let line = format!("{link} -> {}", target.display());
        assert!(
            roots.contains(&line),
            "{line} not among the roots:\n{roots}"
        );
    }
}

#[test]
fn roots_are_registered_in_a_local_store() {
    roots(Via::Local);
}

#[test]
fn roots_are_registered_through_the_daemon() {
    roots(Via::Daemon);
}

/// The first line of an error, as both Spindle and Nix begin it.
fn first_line(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn derivations_nix_refuses_are_refused_alike() {
    if !prerequisites() {
        return;
    }
    let sandbox = Sandbox::new();
    let args = sandbox.fixture_args("unused");
    for attr in ["fixedText", "missingOutput", "notValid"] {
        let ours = fail(
            "spindle instantiate",
            sandbox
                .spindle()
                .arg("instantiate")
                .args(&args)
                .args(["-A", attr]),
        );
        let nix = fail(
            "nix-instantiate",
            sandbox
                .reference("nix-instantiate")
                .args(&args)
                .args(["-A", attr]),
        );
        assert_eq!(first_line(&ours), first_line(&nix), "-A {attr}: {ours}");
        assert!(
            ours.contains("drvs.nix:"),
            "-A {attr} names no place: {ours}"
        );
    }
    let ours = fail(
        "spindle instantiate of a number",
        sandbox.spindle().args(["instantiate", "-E", "3"]),
    );
    assert_eq!(
        first_line(&ours),
        "error: expression does not evaluate to a derivation (or a set or list of those)"
    );
}

/// Runs `spindle instantiate --store daemon` on `hello` against `socket`.
fn instantiate_against(sandbox: &Sandbox, socket: &Path) -> Command {
    let mut command = sandbox.spindle();
    command
        .env("NIX_DAEMON_SOCKET_PATH", socket)
        .args(["instantiate", "--store", "daemon"])
        .args(sandbox.fixture_args("unused"))
        .args(["-A", "hello"]);
    command
}

#[test]
fn a_missing_daemon_is_named() {
    let sandbox = Sandbox::new();
    let socket = sandbox.path("no-such-socket");
    let stderr = fail("no daemon", &mut instantiate_against(&sandbox, &socket));
    assert!(
        stderr.contains(&format!(
            "cannot connect to the Nix daemon at '{}': the socket does not exist: is the Nix daemon running?",
            socket.display()
        )),
        "{stderr}"
    );
}

#[test]
fn a_daemon_that_is_gone_is_named() {
    let sandbox = Sandbox::new();
    let socket = sandbox.path("stale-socket");
    // Binding leaves the socket file; nothing listens once it is dropped.
    drop(UnixListener::bind(&socket).unwrap());
    let stderr = fail("stale socket", &mut instantiate_against(&sandbox, &socket));
    assert!(
        stderr.contains("connection refused: the Nix daemon is not running"),
        "{stderr}"
    );
}

#[test]
fn a_socket_this_user_may_not_use_is_named() {
    let sandbox = Sandbox::new();
    let socket = sandbox.path("private-socket");
    let _listener = UnixListener::bind(&socket).unwrap();
    // No one but root may use it.
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut command = instantiate_against(&sandbox, &socket);
    let uid = std::os::unix::fs::MetadataExt::uid(&sandbox.path("added.txt").metadata().unwrap());
    if uid == 0 {
        // Root may use any socket: run as nobody.
        std::fs::set_permissions(sandbox.dir.path(), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        let mut as_nobody = sandbox.command("setpriv");
        as_nobody
            .env("NIX_DAEMON_SOCKET_PATH", &socket)
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_spindle"))
            .args(["instantiate", "--store", "daemon", "-E", "1"]);
        command = as_nobody;
    }
    let stderr = fail("private socket", &mut command);
    assert!(
        stderr.contains("permission denied: this user may not use the Nix daemon"),
        "{stderr}"
    );
}

/// A fake daemon that greets with `version`, then hangs up.
fn fake_daemon(socket: &Path, version: u64) -> std::thread::JoinHandle<()> {
    let listener = UnixListener::bind(socket).unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut magic = [0u8; 8];
        stream.read_exact(&mut magic).unwrap();
        assert_eq!(u64::from_le_bytes(magic), 0x6e69_7863);
        stream.write_all(&0x6478_696fu64.to_le_bytes()).unwrap();
        stream.write_all(&version.to_le_bytes()).unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
    })
}

#[test]
fn an_unsupported_protocol_version_is_named() {
    let sandbox = Sandbox::new();
    for (version, shown) in [(1 << 8 | 10, "1.10"), (2 << 8, "2.0")] {
        let socket = sandbox.path(&format!("old-daemon-{shown}"));
        let daemon = fake_daemon(&socket, version);
        let stderr = fail("old daemon", &mut instantiate_against(&sandbox, &socket));
        assert!(
            stderr.contains(&format!(
                "cannot use the Nix daemon at '{}': it speaks worker protocol {shown}, and Spindle speaks 1.26 to 1.34",
                socket.display()
            )),
            "{stderr}"
        );
        daemon.join().unwrap();
    }
}

/// A path the store has with other contents than Spindle computes (here
/// its recorded NAR hash is changed behind the store's back) is an error
/// naming it, not silently kept or replaced.
fn other_contents(via: Via) {
    if !prerequisites() {
        return;
    }
    let sandbox = Sandbox::new();
    let daemon = (via == Via::Daemon).then(|| Daemon::start(&sandbox));
    let mut spindle_store = Vec::new();
    if via == Via::Daemon {
        spindle_store = vec!["--store", "daemon"];
    }
    let instantiate = || {
        let mut command = sandbox.spindle();
        command
            .arg("instantiate")
            .args(&spindle_store)
            .args(sandbox.fixture_args("unused"))
            .args(["-A", "hello"]);
        command
    };
    let drv = succeed("first instantiation", &mut instantiate());
    let drv = drv.trim();
    let db = rusqlite::Connection::open(sandbox.path("state/db/db.sqlite")).unwrap();
    db.busy_timeout(Duration::from_secs(20)).unwrap();
    let changed = db
        .execute(
            "update ValidPaths set hash = ?1 where path = ?2",
            rusqlite::params![format!("sha256:{}", "0".repeat(64)), drv],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(db);
    let stderr = fail("second instantiation", &mut instantiate());
    assert!(
        stderr.contains(&format!(
            "cannot add '{drv}' to the Nix store: the path exists with other contents"
        )),
        "{stderr}"
    );
    drop(daemon);
}

#[test]
fn a_path_with_other_contents_in_a_local_store_is_an_error() {
    other_contents(Via::Local);
}

#[test]
fn a_path_with_other_contents_behind_the_daemon_is_an_error() {
    other_contents(Via::Daemon);
}
