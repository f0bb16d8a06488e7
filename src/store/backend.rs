//! The store an evaluation writes to, behind a trait embedders can implement.
//!
//! Names of store paths never need a store (see [`super`]); contents do.
//! When an evaluator is given a [`Store`], every path Nix would add to its
//! store (`toFile`, `path`, `filterSource`, a path coerced to a string, and
//! derivations when derivations are written) is handed to
//! [`Store::add`] with its contents, NAR hash, references and content
//! address, so that a later `import` or `readFile` of it finds it.
//! [`LocalStore`](super::local::LocalStore) is a real local Nix store;
//! [`DaemonStore`](super::daemon::DaemonStore) is a client of a Nix
//! daemon, which owns its store.
//!
//! A store may keep its files somewhere other than where their names say (a
//! chroot store keeps `/nix/store/…` under `DIR/nix/store/…`). Reading them
//! back goes through the evaluation's [`EvalIo`], which the evaluator wraps
//! in a [`StoreMappedIo`]: the one place that turns a logical store path
//! into the physical one.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::io::{EvalIo, FileType};

use super::hash::Hash;
use super::nar::{NarHash, Node};

/// A path to add to a store, with everything the store records of it.
pub struct StoreItem<'a> {
    /// The store path (under the logical store directory).
    pub path: &'a str,
    /// The files.
    pub contents: &'a Node,
    /// The hash and size of the contents' NAR.
    pub nar: &'a NarHash,
    /// The store paths it refers to.
    pub references: &'a BTreeSet<String>,
    /// Its content address, as Nix writes it (`text:sha256:…`,
    /// `fixed:r:sha256:…`).
    pub ca: String,
    /// The derivation that produced it, if any.
    pub deriver: Option<&'a str>,
    /// For a `.drv`: each output's name and path.
    pub outputs: Vec<(String, String)>,
}

/// What a store records of a valid path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathInfo {
    /// The SHA-256 of its NAR.
    pub nar_hash: Hash,
    /// The size of its NAR.
    pub nar_size: u64,
    /// The store paths it refers to.
    pub references: BTreeSet<String>,
    /// The derivation that produced it, if recorded.
    pub deriver: Option<String>,
    /// Its content address, if it has one.
    pub ca: Option<String>,
}

/// A Nix store that paths can be added to.
pub trait Store {
    /// The logical store directory: the prefix of every store path's name.
    fn store_dir(&self) -> &str;

    /// Adds a path. Adding a path that is already in the store succeeds and
    /// changes nothing; so does adding it from two processes at once.
    fn add(&self, item: &StoreItem<'_>) -> Result<()>;

    /// Whether `path` is a valid (registered) path of the store.
    fn is_valid(&self, path: &str) -> Result<bool>;

    /// What the store records of `path`; `None` when it is not valid.
    fn query_path_info(&self, path: &str) -> Result<Option<PathInfo>>;

    /// Keeps the garbage collector from deleting `path` while this store
    /// is in use (a store without a collector need not do anything).
    fn add_temp_root(&self, _path: &str) -> Result<()> {
        Ok(())
    }

    /// Registers the symbolic link `link` (outside the store, pointing
    /// into it) as a garbage-collector root.
    fn add_indirect_root(&self, link: &Path) -> Result<()> {
        Err(Error::other(format!(
            "cannot register '{}' as a garbage-collector root: the store '{}' keeps no roots",
            link.display(),
            self.store_dir()
        )))
    }

    /// Where the file at `path` (under the logical store directory) really
    /// is, when the store keeps its files elsewhere; `None` when `path`
    /// is where it is named.
    fn physical_path(&self, _path: &Path) -> Option<PathBuf> {
        None
    }
}

/// The store of an evaluation that needs writes but has nowhere to write:
/// every addition fails with the reason, which says how to give a store.
pub struct UnwritableStore {
    store_dir: String,
    reason: String,
}

impl UnwritableStore {
    /// A store named `store_dir` that refuses additions with `reason`.
    pub fn new(store_dir: impl Into<String>, reason: impl Into<String>) -> UnwritableStore {
        UnwritableStore {
            store_dir: store_dir.into(),
            reason: reason.into(),
        }
    }
}

impl Store for UnwritableStore {
    fn store_dir(&self) -> &str {
        &self.store_dir
    }

    fn add(&self, item: &StoreItem<'_>) -> Result<()> {
        Err(Error::other(format!(
            "cannot add '{}' to the Nix store: {}",
            item.path, self.reason
        )))
    }

    fn is_valid(&self, _path: &str) -> Result<bool> {
        Ok(false)
    }

    fn query_path_info(&self, _path: &str) -> Result<Option<PathInfo>> {
        Ok(None)
    }
}

/// Adding `item` to a store where its path is already valid: the same
/// contents change nothing; other contents mean the store's copy is not
/// what this evaluation computed (a damaged store, or a store directory
/// shared between stores), and replacing it silently would hide that.
pub fn check_same_contents(item: &StoreItem<'_>, existing: &PathInfo) -> Result<()> {
    if existing.nar_hash == item.nar.hash {
        return Ok(());
    }
    Err(Error::other(format!(
        "cannot add '{}' to the Nix store: the path exists with other contents \
         (the store records NAR hash sha256:{}, the evaluation produced sha256:{}); \
         check the store with 'nix-store --verify --check-contents'",
        item.path,
        existing.nar_hash.to_base32(),
        item.nar.hash.to_base32()
    )))
}

/// Makes `link` a permanent garbage-collector root of the store path
/// `path`, as Nix's `--add-root` does: a symbolic link to the path,
/// registered with the store as an indirect root. An existing link into
/// the store is replaced; anything else at `link` is an error. Returns the
/// absolute link.
pub fn add_perm_root(store: &dyn Store, path: &str, link: &Path) -> Result<PathBuf> {
    let link = std::path::absolute(link).map_err(|e| {
        Error::other(format!(
            "cannot create the root '{}': {}",
            link.display(),
            crate::context::io_message(&e)
        ))
    })?;
    let store_dir = Path::new(store.store_dir());
    if link.starts_with(store_dir) {
        return Err(Error::other(format!(
            "creating a garbage collector root ({}) in the Nix store is forbidden",
            link.display()
        )));
    }
    store.add_temp_root(path)?;
    if let Ok(meta) = link.symlink_metadata() {
        let into_store = meta.file_type().is_symlink()
            && std::fs::read_link(&link).is_ok_and(|target| target.starts_with(store_dir));
        if !into_store {
            return Err(Error::other(format!(
                "cannot create symlink '{}'; already exists",
                link.display()
            )));
        }
    }
    replace_symlink(Path::new(path), &link).map_err(|e| {
        Error::other(format!(
            "cannot create the root '{}': {}",
            link.display(),
            crate::context::io_message(&e)
        ))
    })?;
    store.add_indirect_root(&link)?;
    Ok(link)
}

/// Points `link` at `target`, replacing what is there in one step (a new
/// link under a temporary name, renamed over it).
pub fn replace_symlink(target: &Path, link: &Path) -> io::Result<()> {
    let mut temp = link.as_os_str().to_owned();
    temp.push(format!(".tmp-{}", std::process::id()));
    let temp = PathBuf::from(temp);
    let _ = std::fs::remove_file(&temp);
    std::os::unix::fs::symlink(target, &temp)?;
    std::fs::rename(&temp, link).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// An [`EvalIo`] that reads store paths where the store keeps them.
pub struct StoreMappedIo {
    inner: Rc<dyn EvalIo>,
    store: Rc<dyn Store>,
}

impl StoreMappedIo {
    /// `inner`, with paths inside `store` mapped to their physical places.
    pub fn new(inner: Rc<dyn EvalIo>, store: Rc<dyn Store>) -> StoreMappedIo {
        StoreMappedIo { inner, store }
    }

    fn map(&self, path: &Path) -> PathBuf {
        self.store
            .physical_path(path)
            .unwrap_or_else(|| path.to_path_buf())
    }
}

impl EvalIo for StoreMappedIo {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.inner.read_file(&self.map(path))
    }
    fn read_file_start(&self, path: &Path, len: usize) -> io::Result<Vec<u8>> {
        self.inner.read_file_start(&self.map(path), len)
    }
    fn file_type(&self, path: &Path) -> io::Result<FileType> {
        self.inner.file_type(&self.map(path))
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<(Vec<u8>, FileType)>> {
        self.inner.read_dir(&self.map(path))
    }
    fn path_exists(&self, path: &Path) -> io::Result<bool> {
        self.inner.path_exists(&self.map(path))
    }
    fn get_env(&self, name: &str) -> io::Result<Option<String>> {
        self.inner.get_env(name)
    }
    fn current_time(&self) -> io::Result<i64> {
        self.inner.current_time()
    }
    fn read_link(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.inner.read_link(&self.map(path))
    }
    fn is_executable(&self, path: &Path) -> io::Result<bool> {
        self.inner.is_executable(&self.map(path))
    }
    fn trace(&self, message: &str) {
        self.inner.trace(message)
    }
    fn warn(&self, rendered: &str) {
        self.inner.warn(rendered)
    }
}
