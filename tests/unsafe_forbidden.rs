//! `unsafe` lives only in fiber/ and allocator/: every other package of the workspace
//! forbids it, through the workspace's lints (for all of its targets) and through
//! `#![forbid(unsafe_code)]` at each library and binary root. The cargo-fuzz crate
//! (`fuzz/`, a workspace of its own) sets the lint itself. The compiler enforces all
//! of it; this test makes sure that a package added later takes them too.

use std::path::{Path, PathBuf};

/// The packages that may contain `unsafe`, with the reason in docs/architecture.md.
const MAY_USE_UNSAFE: [&str; 2] = ["fiber", "allocator"];

const ATTRIBUTE: &str = "#![forbid(unsafe_code)]";

/// Packages outside the workspace, which set the lint in their own manifest.
const OUTSIDE_THE_WORKSPACE: [&str; 1] = ["fuzz"];

fn manifest(dir: &Path) -> toml::Table {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    text.parse().unwrap()
}

/// The library and binary roots of the package in `dir`: the conventional ones, and
/// any `[lib]` or `[[bin]]` path the manifest names.
fn crate_roots(dir: &Path, manifest: &toml::Table) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = ["src/lib.rs", "src/main.rs"]
        .iter()
        .map(|p| dir.join(p))
        .filter(|p| p.exists())
        .collect();
    if let Ok(bins) = std::fs::read_dir(dir.join("src/bin")) {
        roots.extend(bins.map(|e| e.unwrap().path()));
    }
    let named = manifest.get("lib").into_iter().chain(
        manifest
            .get("bin")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten(),
    );
    for target in named {
        if let Some(path) = target.get("path").and_then(|p| p.as_str()) {
            roots.push(dir.join(path));
        }
    }
    roots.sort();
    roots.dedup();
    roots
}

#[test]
fn every_package_but_fiber_and_allocator_forbids_unsafe() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest(root);
    assert_eq!(
        workspace["workspace"]["lints"]["rust"]["unsafe_code"].as_str(),
        Some("forbid"),
        "the workspace lints must forbid unsafe code"
    );
    let members = workspace["workspace"]["members"].as_array().unwrap();
    let mut packages = vec![root.to_path_buf()];
    for member in members {
        let name = member.as_str().unwrap();
        if !MAY_USE_UNSAFE.contains(&name) {
            packages.push(root.join(name));
        }
    }
    packages.extend(OUTSIDE_THE_WORKSPACE.iter().map(|name| root.join(name)));
    let mut checked = 0;
    for dir in &packages {
        let manifest = manifest(dir);
        let lints = manifest.get("lints");
        let takes_workspace = lints
            .and_then(|l| l.get("workspace"))
            .and_then(|w| w.as_bool());
        let own = lints
            .and_then(|l| l.get("rust"))
            .and_then(|r| r.get("unsafe_code"))
            .and_then(|u| u.as_str());
        assert!(
            takes_workspace == Some(true) || own == Some("forbid"),
            "{}: the package must forbid unsafe code in its lints \
             (`[lints] workspace = true`)",
            dir.display()
        );
        let roots = crate_roots(dir, &manifest);
        assert!(!roots.is_empty(), "{}: no crate root found", dir.display());
        for path in roots {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.lines().any(|l| l.trim() == ATTRIBUTE),
                "{} lacks {ATTRIBUTE}",
                path.display()
            );
            checked += 1;
        }
    }
    // The main library and binary, the stress binary, the benchmark runner, the fuzz
    // targets' library and the seven cargo-fuzz targets at least.
    assert!(checked >= 12, "only {checked} crate roots found");
}
