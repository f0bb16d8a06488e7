//! Restricted evaluation (`EvaluatorBuilder::restrict_eval`), on both VMs.
//! The expected results are what Nix 2.8 gives with
//! `--option restrict-eval true -I foo=DIR/sub` on the same files.

use std::path::{Path, PathBuf};

use spindle::{Evaluator, VmKind};

/// `DIR/sub/{s,up,vialink}.nix`, `DIR/sub/link.nix` → `DIR/other/o.nix`.
fn tree() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spindle-restricted-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::create_dir_all(dir.join("other")).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("sub/s.nix", "\"sub\"");
    write("sub/up.nix", "import ../other/o.nix");
    write("sub/vialink.nix", "import ./link.nix");
    write("other/o.nix", "\"other\"");
    std::os::unix::fs::symlink(dir.join("other/o.nix"), dir.join("sub/link.nix")).unwrap();
    dir
}

fn eval(dir: &Path, vm: VmKind, source: &str) -> String {
    let evaluator = Evaluator::builder()
        .restrict_eval(true)
        .search_path([format!("foo={}/sub", dir.display())])
        .working_dir(dir)
        .vm(vm)
        .build();
    match evaluator
        .eval_str(source)
        .and_then(|v| evaluator.print(&v, true))
    {
        Ok(printed) => printed.to_string(),
        Err(e) => format!("error: {}", e.kind()),
    }
}

#[test]
fn only_the_search_path_may_be_read() {
    let dir = tree();
    let d = dir.display();
    for &vm in VmKind::ALL {
        let cases = [
            ("builtins.getEnv \"HOME\"".to_string(), "\"\"".to_string()),
            (
                "builtins.typeOf builtins.currentSystem".into(),
                "\"string\"".into(),
            ),
            (
                format!("builtins.pathExists {d}/sub/s.nix"),
                "true".into(),
            ),
            ("builtins.pathExists /etc/passwd".into(), "false".into()),
            (format!("import {d}/sub/s.nix"), "\"sub\"".into()),
            ("import <foo/s.nix>".into(), "\"sub\"".into()),
            (
                format!("import {d}/other/o.nix"),
                format!(
                    "error: access to absolute path '{d}/other/o.nix' is forbidden in restricted mode"
                ),
            ),
            (
                format!("import {d}/sub/up.nix"),
                format!(
                    "error: access to absolute path '{d}/other/o.nix' is forbidden in restricted mode"
                ),
            ),
            (
                format!("import {d}/sub/vialink.nix"),
                format!(
                    "error: access to canonical path '{d}/other/o.nix' is forbidden in restricted mode"
                ),
            ),
            (
                format!("builtins.readDir {d}"),
                format!("error: access to absolute path '{d}' is forbidden in restricted mode"),
            ),
            (
                "builtins.readFile ./x".into(),
                format!("error: access to absolute path '{d}/x' is forbidden in restricted mode"),
            ),
            (
                "builtins.fetchurl \"https://example.com/x\"".into(),
                "error: access to URI 'https://example.com/x' is forbidden in restricted mode"
                    .into(),
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(eval(&dir, vm, &source), expected, "{source} on {vm:?}");
        }
    }
    // The built-in `<nix/…>` files stay readable (the generator VM's import
    // does not know them at all: tests/lang-known-failures.txt).
    assert_eq!(
        eval(
            &dir,
            VmKind::Fiber,
            "builtins.typeOf (import <nix/fetchurl.nix>)"
        ),
        "\"lambda\""
    );
    let _ = std::fs::remove_dir_all(&dir);
}
