//! Store paths, computed without a store, and written to one when the
//! evaluator has one.
//!
//! What evaluation needs of a store is first the names: the path a local
//! file is copied to, the paths of `toFile` texts, and the paths of
//! derivations and their outputs. All are hashes of fingerprints, so they
//! are computed exactly as Nix would, with or without a store. When the
//! evaluator was given a [`Store`] (`backend.rs`; [`local::LocalStore`] is a
//! real local Nix store), the same functions also hand it the contents:
//! [`add_source`] for local paths, [`add_text`] for texts and, when
//! derivations are written, `.drv` files ([`StoreState::write_text`]).
//!
//! [`StoreState`] remembers what an evaluation has added: the references
//! of text files and derivations (for the closures that `=`-context needs)
//! and the modulo hashes of derivations (for derivations that depend on
//! them).

pub mod backend;
pub mod daemon;
pub mod derivation;
pub mod hash;
pub mod local;
pub mod nar;

pub use backend::{PathInfo, Store, StoreItem, StoreMappedIo, UnwritableStore};

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::context::EvalContext;
use crate::error::{Error, Result};
use crate::value::{Context, ContextElem, NixString};

use self::hash::{Hash, HashAlgo};

/// How a path's contents are hashed: the file itself, or its NAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ingestion {
    /// The hash of a regular file's contents.
    Flat,
    /// The hash of the NAR serialisation.
    Recursive,
}

impl Ingestion {
    /// The prefix Nix writes before the algorithm (`"r:"` or nothing).
    pub fn prefix(self) -> &'static str {
        match self {
            Ingestion::Flat => "",
            Ingestion::Recursive => "r:",
        }
    }
}

/// What an evaluation knows about a derivation it instantiated.
#[derive(Clone, Debug)]
pub struct DrvInfo {
    /// The hash each output contributes to derivations that use it.
    pub output_hashes: BTreeMap<String, Hash>,
}

/// The store-related memory of one evaluation, and the store it writes
/// to, if any.
#[derive(Default)]
pub struct StoreState {
    sources: RefCell<HashMap<PathBuf, String>>,
    references: RefCell<HashMap<String, BTreeSet<String>>>,
    derivations: RefCell<HashMap<String, DrvInfo>>,
    backend: Option<Rc<dyn Store>>,
    read_write: bool,
}

impl StoreState {
    /// The memory of an evaluation that writes to `backend`; `read_write`
    /// is nix-instantiate's `--read-write-mode`: `.drv` files are written
    /// too, and `storePath` insists on valid paths.
    pub fn with_backend(backend: Option<Rc<dyn Store>>, read_write: bool) -> StoreState {
        StoreState {
            backend,
            read_write,
            ..StoreState::default()
        }
    }

    /// The store written to, if any.
    pub fn backend(&self) -> Option<&Rc<dyn Store>> {
        self.backend.as_ref()
    }

    /// Whether paths are written to a store (and so their files are kept
    /// while they are hashed).
    pub fn writes(&self) -> bool {
        self.backend.is_some()
    }

    /// Whether the store is in read-write mode: derivations are written to
    /// it, and `storePath` checks that a path is valid.
    pub fn read_write(&self) -> bool {
        self.read_write && self.writes()
    }

    /// Adds a text file (a `toFile` result, a `.drv`) to the store, if
    /// there is one. `outputs` are a derivation's outputs and their paths.
    pub fn write_text(
        &self,
        path: &str,
        contents: &[u8],
        references: &BTreeSet<String>,
        outputs: Vec<(String, String)>,
    ) -> Result<()> {
        let Some(backend) = &self.backend else {
            return Ok(());
        };
        let node = nar::Node::file(contents);
        backend.add(&StoreItem {
            path,
            contents: &node,
            nar: &node.nar_hash()?,
            references,
            ca: format!("text:{}", Hash::sha256(contents).to_typed_base32()),
            deriver: None,
            outputs,
        })
    }

    /// Records the references of a path this evaluation produced.
    pub fn add_references(&self, path: &str, references: BTreeSet<String>) {
        self.references
            .borrow_mut()
            .insert(path.to_string(), references);
    }

    /// Records an instantiated derivation.
    pub fn add_derivation(&self, drv_path: &str, info: DrvInfo) {
        self.derivations
            .borrow_mut()
            .insert(drv_path.to_string(), info);
    }

    /// What is known about the derivation at `drv_path`.
    pub fn derivation(&self, drv_path: &str) -> Option<DrvInfo> {
        self.derivations.borrow().get(drv_path).cloned()
    }

    /// `path` and everything it refers to, transitively. Paths this
    /// evaluation did not produce are taken to refer to nothing, as sources
    /// do.
    pub fn closure(&self, path: &str) -> BTreeSet<String> {
        let references = self.references.borrow();
        let mut done = BTreeSet::new();
        let mut todo = vec![path.to_string()];
        while let Some(p) = todo.pop() {
            if let Some(refs) = references.get(&p) {
                todo.extend(refs.iter().filter(|r| !done.contains(*r)).cloned());
            }
            done.insert(p);
        }
        done
    }
}

/// Which store a command line asks for (`--store`).
#[derive(Clone, Copy, Debug)]
pub enum StoreChoice<'a> {
    /// No `--store`: the environment decides.
    Auto,
    /// `--store daemon`: the Nix daemon's store.
    Daemon,
    /// `--store DIR`: the local chroot store under DIR.
    Chroot(&'a Path),
}

/// The store a command line asks for, nix-instantiate's way.
///
/// `--store DIR` is a chroot store under DIR and `--store daemon` the Nix
/// daemon at `NIX_DAEMON_SOCKET_PATH` (default
/// `/nix/var/nix/daemon-socket/socket`). Otherwise, when the evaluation
/// writes (`writes_needed`: instantiation, `--read-write-mode`) or
/// `NIX_STORE_DIR` names a store, the daemon is used if its socket
/// answers, and else the local store `NIX_STORE_DIR` (default
/// `/nix/store`) with its database under `NIX_STATE_DIR`; a local store a
/// daemon owns refuses writes, saying how to give a store. Without any of
/// these, evaluation is store-free (`Ok(None)`). `env` reads the
/// environment.
pub fn configured_store(
    choice: StoreChoice<'_>,
    env: impl Fn(&str) -> Option<String>,
    writes_needed: bool,
) -> Result<Option<Rc<dyn Store>>> {
    let given_store_dir = env("NIX_STORE_DIR").filter(|s| !s.is_empty());
    let store_dir = given_store_dir
        .clone()
        .unwrap_or_else(|| local::DEFAULT_STORE_DIR.to_string());
    let state_dir = env("NIX_STATE_DIR")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| local::DEFAULT_STATE_DIR.to_string());
    let socket = env("NIX_DAEMON_SOCKET_PATH")
        .filter(|s| !s.is_empty())
        .map_or_else(
            || Path::new(&state_dir).join("daemon-socket/socket"),
            PathBuf::from,
        );
    match choice {
        StoreChoice::Chroot(root) => {
            let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
            return Ok(Some(Rc::new(local::LocalStore::chroot(root, store_dir))));
        }
        StoreChoice::Daemon => {
            return Ok(Some(Rc::new(daemon::DaemonStore::connect(
                &socket, store_dir,
            )?)));
        }
        StoreChoice::Auto => {}
    }
    if !writes_needed && given_store_dir.is_none() {
        return Ok(None);
    }
    if socket.symlink_metadata().is_ok() {
        if let Ok(daemon) = daemon::DaemonStore::connect(&socket, store_dir.clone()) {
            return Ok(Some(Rc::new(daemon)));
        }
    }
    let store = local::LocalStore::new(store_dir.clone(), state_dir);
    if given_store_dir.is_none() {
        if let Some(socket) = store.daemon_socket() {
            return Ok(Some(Rc::new(UnwritableStore::new(
                store_dir,
                format!(
                    "the default store '{}' belongs to a Nix daemon ('{}' exists) that does not answer; {}",
                    local::DEFAULT_STORE_DIR,
                    socket.display(),
                    local::STORE_HINT
                ),
            ))));
        }
    }
    Ok(Some(Rc::new(store)))
}

/// The store directory of an evaluation.
pub fn store_dir(ctx: &EvalContext) -> &str {
    &ctx.settings.store_dir
}

/// Whether `name` ends in `.drv`, which only derivations may.
pub fn is_derivation_path(name: &str) -> bool {
    name.ends_with(".drv")
}

/// Checks the name part of a store path as Nix does; `base` is the whole
/// `hash-name` for the message.
fn check_name(base: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::other(format!(
            "store path '{base}' has an empty name"
        )));
    }
    if name.len() > 211 {
        return Err(Error::other(format!(
            "store path '{base}' has a name longer than 211 characters"
        )));
    }
    let bad = name
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_' | '?' | '=')));
    match bad {
        Some(c) => Err(Error::other(format!(
            "store path '{base}' contains illegal character '{c}'"
        ))),
        None => Ok(()),
    }
}

/// `store_dir/<hash>-name`, where the hash is the 20-byte fold of the
/// SHA-256 of the fingerprint `type:sha256:<inner>:store_dir:name`.
pub fn make_store_path(store_dir: &str, kind: &str, inner: &Hash, name: &str) -> Result<String> {
    let fingerprint = format!(
        "{kind}:{}:{}:{store_dir}:{name}",
        inner.algo.name(),
        inner.to_base16()
    );
    let digest = Hash::sha256(fingerprint.as_bytes());
    let short = hash::to_base32(&hash::compress(&digest.bytes, 20));
    let base = format!("{short}-{name}");
    check_name(&base, name)?;
    Ok(format!("{store_dir}/{base}"))
}

/// The type part of a fingerprint: `kind` followed by the references.
fn type_with_references<'a>(
    kind: &str,
    references: impl IntoIterator<Item = &'a String>,
) -> String {
    let mut out = kind.to_string();
    for r in references {
        out.push(':');
        out.push_str(r);
    }
    out
}

/// The path of a text file (`toFile`, a `.drv`) with the given references.
pub fn make_text_path(
    store_dir: &str,
    name: &str,
    contents: &[u8],
    references: &BTreeSet<String>,
) -> Result<String> {
    let kind = type_with_references("text", references);
    make_store_path(store_dir, &kind, &Hash::sha256(contents), name)
}

/// The path of content-addressed data: a recursive SHA-256 is a "source";
/// anything else goes through a second, "fixed" fingerprint.
pub fn make_fixed_output_path(
    store_dir: &str,
    method: Ingestion,
    hash: &Hash,
    name: &str,
) -> Result<String> {
    if method == Ingestion::Recursive && hash.algo == HashAlgo::Sha256 {
        return make_store_path(store_dir, "source", hash, name);
    }
    let inner = format!(
        "fixed:out:{}{}:{}:",
        method.prefix(),
        hash.algo.name(),
        hash.to_base16()
    );
    make_store_path(
        store_dir,
        "output:out",
        &Hash::sha256(inner.as_bytes()),
        name,
    )
}

/// The path of output `output` of a derivation whose (modulo) hash is `hash`.
pub fn make_output_path(store_dir: &str, output: &str, hash: &Hash, name: &str) -> Result<String> {
    let name = if output == "out" {
        name.to_string()
    } else {
        format!("{name}-{output}")
    };
    make_store_path(store_dir, &format!("output:{output}"), hash, &name)
}

/// A local path read for the store: the hash of its contents by the
/// ingestion method, and the files when they are to be written.
pub struct ReadPath {
    /// The hash that names the path (of the NAR, or of a flat file).
    pub hash: Hash,
    /// The files, when the evaluation writes to a store.
    pub tree: Option<(nar::Node, nar::NarHash)>,
}

/// Reads the file or tree at `path` by `method`, leaving out what `filter`
/// rejects; the files are kept when `keep`.
pub fn read_path(
    ctx: &EvalContext,
    path: &Path,
    method: Ingestion,
    filter: &mut nar::PathFilter<'_>,
    keep: bool,
) -> Result<ReadPath> {
    match method {
        Ingestion::Recursive => {
            let dumped = nar::dump(ctx.io.as_ref(), path, filter, keep)?;
            Ok(ReadPath {
                hash: dumped.nar.hash.clone(),
                tree: dumped.tree.map(|tree| (tree, dumped.nar)),
            })
        }
        Ingestion::Flat => {
            // Nix reports a missing file by its status, then a directory by
            // the failed read.
            ctx.io
                .file_type(path)
                .map_err(|e| nar::status_error(path, &e))?;
            let contents = ctx.io.read_file(path).map_err(|e| {
                Error::from_io(&e, || {
                    format!("reading from file: {}", crate::context::io_message(&e))
                })
            })?;
            let tree = match keep {
                true => {
                    let node = nar::Node::file(&contents);
                    let nar = node.nar_hash()?;
                    Some((node, nar))
                }
                false => None,
            };
            Ok(ReadPath {
                hash: Hash::sha256(&contents),
                tree,
            })
        }
    }
}

/// Copies `path` (filtered) to the store under `name` by `method`, or only
/// names it when the evaluation has no store; checks the result against the
/// store path `expected` names, when given, before writing anything.
/// Returns the store path and the hash that named it.
pub fn add_source(
    ctx: &EvalContext,
    name: &str,
    path: &Path,
    method: Ingestion,
    filter: &mut nar::PathFilter<'_>,
    expected: Option<&Hash>,
) -> Result<(String, Hash)> {
    let read = read_path(ctx, path, method, filter, ctx.store.writes())?;
    let dir = store_dir(ctx);
    let store_path = make_fixed_output_path(dir, method, &read.hash, name)?;
    if let Some(hash) = expected {
        if make_fixed_output_path(dir, method, hash, name)? != store_path {
            return Err(Error::other(format!(
                "store path mismatch in (possibly filtered) path added from '{}'",
                path.display()
            )));
        }
    }
    if let (Some(backend), Some((tree, nar))) = (ctx.store.backend(), &read.tree) {
        backend.add(&StoreItem {
            path: &store_path,
            contents: tree,
            nar,
            references: &BTreeSet::new(),
            ca: format!("fixed:{}{}", method.prefix(), read.hash.to_typed_base32()),
            deriver: None,
            outputs: Vec::new(),
        })?;
    }
    Ok((store_path, read.hash))
}

/// Adds a text file with the given references to the store (or only names
/// it, without a store): `toFile`.
pub fn add_text(
    ctx: &EvalContext,
    name: &str,
    contents: &[u8],
    references: BTreeSet<String>,
) -> Result<String> {
    let path = make_text_path(store_dir(ctx), name, contents, &references)?;
    ctx.store
        .write_text(&path, contents, &references, Vec::new())?;
    ctx.store.add_references(&path, references);
    Ok(path)
}

/// The store path `path` is copied to when interpolated into a string,
/// with that store path as its context.
pub fn copy_path_to_store(ctx: &EvalContext, path: &str) -> Result<NixString> {
    let store_path = source_path(ctx, path)?;
    let mut context = Context::new();
    context.insert(ContextElem::Plain(store_path.clone()));
    Ok(NixString::with_context(store_path, context))
}

fn source_path(ctx: &EvalContext, path: &str) -> Result<String> {
    let base = crate::path::base_name_of_str(path);
    if is_derivation_path(base) {
        return Err(Error::other(
            "file names are not allowed to end in '.drv'".to_string(),
        ));
    }
    let key = PathBuf::from(path);
    if let Some(known) = ctx.store.sources.borrow().get(&key) {
        return Ok(known.clone());
    }
    let (store_path, _) = add_source(
        ctx,
        base,
        &key,
        Ingestion::Recursive,
        &mut |_, _| Ok(true),
        None,
    )?;
    ctx.store
        .sources
        .borrow_mut()
        .insert(key, store_path.clone());
    Ok(store_path)
}

/// `/<hash>`: the placeholder a builder's environment replaces by the path
/// of output `output`.
pub fn placeholder(output: &str) -> String {
    let digest = Hash::sha256(format!("nix-output:{output}").as_bytes());
    format!("/{}", digest.to_base32())
}

/// Splits a path inside the store into the store path and the rest.
pub fn split_store_path<'a>(store_dir: &str, path: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = path.strip_prefix(store_dir)?.strip_prefix('/')?;
    let end = rest.find('/').unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    let cut = path.len() - rest.len() + end;
    Some((&path[..cut], &path[cut..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_path_matches_nix() {
        // nix-instantiate --eval -E 'builtins.toFile "foo" "bar"'
        let p = make_text_path("/nix/store", "foo", b"bar", &BTreeSet::new()).unwrap();
        assert_eq!(p, "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo");
    }

    #[test]
    fn placeholder_matches_nix() {
        assert_eq!(
            placeholder("out"),
            "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"
        );
    }

    #[test]
    fn bad_names_are_rejected() {
        assert!(make_text_path("/nix/store", "fo~o", b"", &BTreeSet::new()).is_err());
        assert!(make_text_path("/nix/store", "", b"", &BTreeSet::new()).is_err());
    }

    #[test]
    fn store_paths_split() {
        assert_eq!(
            split_store_path("/nix/store", "/nix/store/abc-x/y/z"),
            Some(("/nix/store/abc-x", "/y/z"))
        );
        assert_eq!(split_store_path("/nix/store", "/nix/store/"), None);
        assert_eq!(split_store_path("/nix/store", "/tmp/x"), None);
    }
}
