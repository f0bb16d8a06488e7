//! The local store: what Spindle writes, Nix 2.8 accepts, byte for byte.
//!
//! Each test evaluates into a throw-away store (a temporary directory, as
//! `--store DIR`), then asks C++ Nix about it: `nix-store --verify-path`,
//! `-q --references` and `--verify --check-contents`, and compares it with
//! the store Nix writes for the same expression (same paths, same database
//! rows, same files). Without `nix-store` those comparisons are skipped
//! loudly, or fail when `SPINDLE_DIFF_REQUIRE_NIX=1` (as CI sets it).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::rc::Rc;
use std::sync::{Arc, Barrier};

use spindle::store::local::LocalStore;
use spindle::store::Store;
use spindle::{Evaluator, VmKind};

/// The VMs the command line evaluates into the store with.
#[cfg(feature = "generator-vm")]
const VMS: &[&str] = &["fiber", "generator"];
/// The fiber VM alone, as the build has no generator VM.
#[cfg(not(feature = "generator-vm"))]
const VMS: &[&str] = &["fiber"];

/// A source tree with a plain file, an executable, a symlink and a
/// subdirectory, and an expression that puts it in the store every way.
fn sources(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("sub/deeper")).unwrap();
    std::fs::write(src.join("f"), "hi\n").unwrap();
    std::fs::write(src.join("sub/run"), "echo run\n").unwrap();
    std::fs::set_permissions(src.join("sub/run"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(src.join("sub/deeper/data"), "data").unwrap();
    std::os::unix::fs::symlink("run", src.join("sub/link")).unwrap();
    std::fs::write(
        src.join("e.nix"),
        r#"
let
  text = builtins.toFile "foo" "bar ${./f}";
  drv = derivation { name = "d"; system = "x"; builder = "/bin/sh"; src = text; tree = ./sub; };
in {
  inherit text;
  read = builtins.readFile text;
  drv = drv.drvPath;
  out = drv.out;
  flat = builtins.path { path = ./f; recursive = false; };
  named = builtins.path { path = ./sub; name = "renamed"; };
  checked = builtins.path { path = ./f; sha256 = "1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h"; };
  coerced = "${./sub}";
  filtered = builtins.filterSource (p: t: t != "symlink") ./sub;
  listed = builtins.readDir "${./sub}";
  imported = import (builtins.toFile "x.nix" "1 + 2");
}
"#,
    )
    .unwrap();
    src
}

fn spindle(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spindle"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NIX_STORE_DIR")
        .env_remove("NIX_STATE_DIR")
        .output()
        .expect("runs spindle")
}

fn succeed(what: &str, output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{what} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

/// The directory holding C++ Nix's tools, or `None` (with a loud note) when
/// they are missing; a failure instead when `SPINDLE_DIFF_REQUIRE_NIX=1`.
fn nix_bin() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).find(|dir| dir.join("nix-store").is_file())
    });
    if found.is_none() {
        let why = "nix-store is not on PATH: the store was not checked against Nix 2.8 \
                   (Debian: apt-get install nix-bin)";
        if std::env::var("SPINDLE_DIFF_REQUIRE_NIX").is_ok_and(|v| v == "1") {
            panic!("SPINDLE_DIFF_REQUIRE_NIX=1 but {why}");
        }
        eprintln!("!! STORE TEST PARTLY SKIPPED: {why}");
    }
    found
}

fn nix(bin: &Path, tool: &str, store: &Path, args: &[&str], cwd: &Path) -> Output {
    let conf = store.with_extension("etc");
    std::fs::create_dir_all(&conf).unwrap();
    Command::new(bin.join(tool))
        .arg("--store")
        .arg(store)
        .args(args)
        .current_dir(cwd)
        .env_remove("NIX_STORE_DIR")
        .env_remove("NIX_STATE_DIR")
        .env("NIX_CONF_DIR", &conf)
        .env("NIX_CONFIG", "substituters =")
        .output()
        .expect("runs a Nix tool")
}

/// What a store's database says: every path with its NAR hash, size,
/// content address, deriver and references, and the derivation outputs.
fn database(root: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open(root.join("nix/var/nix/db/db.sqlite")).unwrap();
    let mut rows = Vec::new();
    let mut paths = db
        .prepare(
            "select path, hash, narSize, ca, deriver, ultimate, sigs, \
             (select group_concat(p, ' ') from (select r.path as p from Refs join ValidPaths r on r.id = reference where referrer = v.id order by r.path)), \
             (select group_concat(o, ' ') from (select d.id || '=' || d.path as o from DerivationOutputs d where d.drv = v.id order by d.id)) \
             from ValidPaths v order by path",
        )
        .unwrap();
    let mut query = paths.query([]).unwrap();
    while let Some(row) = query.next().unwrap() {
        let fields: Vec<String> = (0..9)
            .map(|i| match row.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => "NULL".to_string(),
                rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                other => format!("{other:?}"),
            })
            .collect();
        rows.push(fields.join("|"));
    }
    rows
}

/// Every file of a store directory: name, type, mode, modification time
/// and contents.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            // Nix's hard-link directory and lock files are not store contents.
            if prefix.is_empty() && (name == ".links" || name.ends_with(".lock")) {
                continue;
            }
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let key = format!("{prefix}{name}");
            let mtime = filetime::FileTime::from_last_modification_time(&meta).unix_seconds();
            let mode = meta.permissions().mode() & 0o7777;
            let desc = if meta.file_type().is_symlink() {
                format!(
                    "symlink -> {}",
                    std::fs::read_link(&path).unwrap().display()
                )
            } else if meta.is_dir() {
                walk(&path, &format!("{key}/"), out);
                format!("dir {mode:o} mtime {mtime}")
            } else {
                let contents = std::fs::read(&path).unwrap();
                format!(
                    "file {mode:o} mtime {mtime} {}",
                    String::from_utf8_lossy(&contents)
                )
            };
            out.insert(key, desc);
        }
    }
    walk(dir, "", &mut out);
    out
}

#[test]
fn nix_accepts_what_spindle_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = sources(tmp.path());
    let nix_bin = nix_bin();
    let reference = nix_bin.as_ref().map(|bin| {
        let root = tmp.path().join("nix-made");
        let out = succeed(
            "nix-instantiate",
            nix(
                bin,
                "nix-instantiate",
                &root,
                &["--eval", "--strict", "--json", "--read-write-mode", "e.nix"],
                &src,
            ),
        );
        (out, database(&root), files(&root.join("nix/store")))
    });
    for vm in VMS {
        let root = tmp.path().join(format!("spindle-{vm}"));
        let root_arg = root.to_str().unwrap();
        let out = succeed(
            "spindle eval",
            spindle(
                &[
                    "eval",
                    "--vm",
                    vm,
                    "--store",
                    root_arg,
                    "--strict",
                    "--json",
                    "--read-write-mode",
                    "e.nix",
                ],
                &src,
            ),
        );
        let result: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            result["read"],
            format!("bar {}", "/nix/store/ab3li50xq0nl4q5lxdyinb8w8y13my9s-f")
        );
        assert_eq!(result["imported"], 3);
        assert_eq!(
            result["listed"],
            serde_json::json!({ "deeper": "directory", "link": "symlink", "run": "regular" })
        );
        let Some(bin) = &nix_bin else { continue };
        let (nix_out, nix_db, nix_files) = reference.as_ref().unwrap();
        assert_eq!(&out, nix_out, "{vm}: the evaluators name different paths");
        assert_eq!(&database(&root), nix_db, "{vm}: the databases differ");
        assert_eq!(
            &files(&root.join("nix/store")),
            nix_files,
            "{vm}: the files differ"
        );

        let paths: Vec<String> = database(&root)
            .iter()
            .map(|row| row.split('|').next().unwrap().to_string())
            .collect();
        let mut verify = vec!["--verify-path"];
        verify.extend(paths.iter().map(String::as_str));
        succeed(
            "nix-store --verify-path",
            nix(bin, "nix-store", &root, &verify, &src),
        );
        let text = result["text"].as_str().unwrap();
        let references = succeed(
            "nix-store -q --references",
            nix(bin, "nix-store", &root, &["-q", "--references", text], &src),
        );
        assert_eq!(
            references,
            "/nix/store/ab3li50xq0nl4q5lxdyinb8w8y13my9s-f\n"
        );
        let drv_references = succeed(
            "nix-store -q --references",
            nix(
                bin,
                "nix-store",
                &root,
                &["-q", "--references", result["drv"].as_str().unwrap()],
                &src,
            ),
        );
        assert_eq!(drv_references.lines().count(), 2, "{drv_references}");
        let check = nix(
            bin,
            "nix-store",
            &root,
            &["--verify", "--check-contents"],
            &src,
        );
        let stderr = String::from_utf8_lossy(&check.stderr).into_owned();
        assert!(check.status.success(), "nix-store --verify: {stderr}");
        for bad in ["error", "invalid", "modified", "corrupt", "missing"] {
            assert!(!stderr.contains(bad), "nix-store --verify says: {stderr}");
        }
    }
}

/// Through the library: a chroot store supplied by the embedder, and what
/// was written read back through the evaluator's I/O.
#[test]
fn paths_are_read_back_from_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let src = sources(tmp.path());
    for &vm in VmKind::ALL {
        let root = tmp.path().join(format!("lib-{vm:?}"));
        let store = Rc::new(LocalStore::chroot(&root, "/nix/store"));
        let evaluator = Evaluator::builder()
            .store(store.clone())
            .working_dir(&src)
            .vm(vm)
            .build();
        let value = evaluator
            .eval_str(
                r#"let t = builtins.toFile "x.nix" "{ a = 1; }"; d = "${./sub}"; in
                   [ (import t).a (builtins.readFile t) (builtins.attrNames (builtins.readDir d))
                     (builtins.pathExists "${d}/deeper/data") (builtins.readFile "${d}/deeper/data")
                     (builtins.readFileType "${d}/link") ]"#,
            )
            .unwrap();
        assert_eq!(
            evaluator.print(&value, true).unwrap(),
            r#"[ 1 "{ a = 1; }" [ "deeper" "link" "run" ] true "data" "symlink" ]"#
        );
        // The files are under the root, and registered.
        let sub = evaluator.eval_str(r#""${./sub}""#).unwrap();
        let sub = sub.as_str().unwrap().to_string();
        assert!(store.is_valid(&sub).unwrap());
        assert!(root
            .join(sub.trim_start_matches('/'))
            .join("deeper/data")
            .is_file());
        // Derivations are not written without read-write mode.
        let drv = evaluator
            .eval_str(r#"(derivation { name = "d"; system = "x"; builder = "/bin/sh"; }).drvPath"#)
            .unwrap();
        let drv = drv.as_str().unwrap().to_string();
        assert!(!store.is_valid(&drv).unwrap());
    }
}

/// Two writers adding the same paths at the same moment both succeed,
/// and each path is registered once.
#[test]
fn concurrent_writers_both_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let src = sources(tmp.path());
    let root = tmp.path().join("shared");
    let start = Arc::new(Barrier::new(2));
    let expr = r#"builtins.genList (i: [ (builtins.toFile "same-${toString (i / 2)}" "x") "${./sub}" (builtins.path { path = ./.; name = "all"; }) ]) 40"#;
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let (root, src, start) = (root.clone(), src.clone(), start.clone());
            std::thread::spawn(move || {
                let evaluator = Evaluator::builder()
                    .store(Rc::new(LocalStore::chroot(&root, "/nix/store")))
                    .working_dir(&src)
                    .build();
                start.wait();
                let value = evaluator.eval_str(expr).unwrap();
                evaluator.print(&value, true).unwrap()
            })
        })
        .collect();
    let results: Vec<spindle::bstr::BString> =
        writers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(results[0], results[1]);
    let rows = database(&root);
    assert_eq!(rows.len(), 22, "{rows:#?}");
    let leftovers: Vec<_> = std::fs::read_dir(root.join("nix/store"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.ends_with(".lock"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Processes too: two CLI runs at once on the same store.
    let root2 = tmp.path().join("shared-cli");
    let root2_arg = root2.to_str().unwrap().to_string();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_spindle"))
                .args(["eval", "--store", &root2_arg, "--strict", "-E", expr])
                .current_dir(&src)
                .env_remove("NIX_STORE_DIR")
                .output()
        })
        .collect();
    for child in children {
        succeed("spindle eval", child.unwrap());
    }
    assert_eq!(database(&root2).len(), 22);
    if let Some(bin) = nix_bin() {
        for root in [&root, &root2] {
            let check = nix(
                &bin,
                "nix-store",
                root,
                &["--verify", "--check-contents"],
                &src,
            );
            assert!(
                check.status.success(),
                "{}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
    }
}

/// Without a configured store, reading stays store-free; a write that is
/// needed where only a daemon's store exists fails saying how to give one.
#[test]
fn without_a_writable_store() {
    let tmp = tempfile::tempdir().unwrap();
    let src = sources(tmp.path());
    let out = succeed(
        "spindle eval",
        spindle(&["eval", "--strict", "-E", r#""${./f}""#], &src),
    );
    assert_eq!(out, "\"/nix/store/ab3li50xq0nl4q5lxdyinb8w8y13my9s-f\"\n");
    // A state directory with a daemon's socket stands for a daemon-owned store.
    let state = tmp.path().join("daemon-state");
    std::fs::create_dir_all(state.join("daemon-socket")).unwrap();
    std::fs::write(state.join("daemon-socket/socket"), "").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_spindle"))
        .args(["eval", "--read-write-mode", "--strict", "-E", r#""${./f}""#])
        .current_dir(&src)
        .env_remove("NIX_STORE_DIR")
        .env("NIX_STATE_DIR", &state)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("belongs to a Nix daemon"), "{stderr}");
    assert!(stderr.contains("--store DIR"), "{stderr}");
    // An explicitly configured store that cannot be written is an error too.
    let output = Command::new(env!("CARGO_BIN_EXE_spindle"))
        .args(["eval", "--strict", "-E", r#"builtins.toFile "a" "b""#])
        .current_dir(&src)
        .env("NIX_STORE_DIR", tmp.path().join("store"))
        .env("NIX_STATE_DIR", &state)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("NIX_STATE_DIR"));
}

/// `NIX_STORE_DIR` names the store, as the Nixpkgs library's test suites
/// set it, and in read-write mode `storePath` wants valid paths.
#[test]
fn nix_store_dir_names_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let src = sources(tmp.path());
    let store_dir = tmp.path().join("s/store");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_spindle"))
            .args(args)
            .current_dir(&src)
            .env("NIX_STORE_DIR", &store_dir)
            .env("NIX_STATE_DIR", tmp.path().join("s/var"))
            .output()
            .unwrap()
    };
    let out = succeed(
        "spindle eval",
        run(&[
            "eval",
            "--strict",
            "--read-write-mode",
            "-E",
            r#"let p = "${./sub}"; in [ p (builtins.storePath p) ]"#,
        ]),
    );
    let dir = store_dir.to_str().unwrap();
    assert!(out.starts_with(&format!("[ \"{dir}/")), "{out}");
    let written: Vec<_> = std::fs::read_dir(&store_dir).unwrap().collect();
    assert_eq!(written.len(), 1);
    let missing = format!("{dir}/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-foo");
    let output = run(&[
        "eval",
        "--read-write-mode",
        "-E",
        &format!("builtins.storePath {missing}"),
    ]);
    assert!(String::from_utf8_lossy(&output.stderr).contains(&format!(
        "path '{missing}' does not exist and cannot be created"
    )));
}

/// `fetchGit` of a local working tree: its tracked files, as Nix 2.8
/// fetches them, clean and dirty.
#[test]
fn fetch_git_of_a_working_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("dir")).unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(args)
            .env("GIT_AUTHOR_DATE", "2001-02-03T04:05:06Z")
            .env("GIT_COMMITTER_DATE", "2001-02-03T04:05:06Z")
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["config", "user.name", "t"]);
    git(&["config", "user.email", "t@example.com"]);
    std::fs::write(repo.join("tracked"), "t").unwrap();
    std::fs::write(repo.join("dir/nested"), "n").unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "one"]);
    std::fs::write(repo.join("untracked"), "u").unwrap();
    let expr = r#"let r = builtins.fetchGit ./.; in r // { files = builtins.attrNames (builtins.readDir r.outPath); }"#;
    let nix_bin = nix_bin();
    for state in ["clean", "dirty"] {
        if state == "dirty" {
            std::fs::write(repo.join("tracked"), "changed").unwrap();
        }
        let root = tmp.path().join(format!("spindle-{state}"));
        let ours = succeed(
            "spindle eval",
            spindle(
                &[
                    "eval",
                    "--store",
                    root.to_str().unwrap(),
                    "--strict",
                    "-E",
                    expr,
                ],
                &repo,
            ),
        );
        assert!(ours.contains(r#"files = [ "dir" "tracked" ]"#), "{ours}");
        assert!(
            ours.contains(r#"lastModifiedDate = "20010203040506""#),
            "{ours}"
        );
        assert_eq!(
            ours.contains("rev = \"0000000000000000000000000000000000000000\""),
            state == "dirty",
            "{ours}"
        );
        if let Some(bin) = &nix_bin {
            let theirs = succeed(
                "nix-instantiate",
                nix(
                    bin,
                    "nix-instantiate",
                    &tmp.path().join(format!("nix-{state}")),
                    &["--eval", "--strict", "-E", expr],
                    &repo,
                ),
            );
            assert_eq!(ours, theirs, "{state}");
        }
    }
    // Without a store there is nothing to fetch into.
    let output = spindle(&["eval", "--strict", "-E", "builtins.fetchGit ./."], &repo);
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs a Nix store"));
}
