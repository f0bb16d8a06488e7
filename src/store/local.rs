//! A local Nix store on disk that Nix 2.8 itself accepts.
//!
//! The layout is Nix's: the files of each path in the store directory
//! (read-only, modification time 1), and every valid path registered in the
//! SQLite database `<state>/db/db.sqlite` with Nix's schema (version 10,
//! written to `<state>/db/schema`): `ValidPaths` (NAR hash as
//! `sha256:<base16>`, NAR size, content address), `Refs` and
//! `DerivationOutputs`. A database Nix made is used as it is; a new one is
//! created as Nix 2.8 creates it, so that Nix opens it without migrating.
//!
//! Adding a path is safe against other writers, Nix included: the path is
//! locked with Nix's own lock-file protocol (`<path>.lock`, flock, a stale
//! lock file is one its holder wrote a byte to before deleting it), its
//! files are written under a temporary name and renamed into place, and
//! only then registered, in an immediate transaction that first checks
//! whether another process registered it meanwhile.

use std::cell::{RefCell, RefMut};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::error::{Error, Result};

use sha1::Digest;

use super::backend::{check_same_contents, PathInfo, Store, StoreItem};
use super::hash::{Hash, HashAlgo};
use super::nar::Node;

/// The schema version Nix 2.8 writes and expects.
const SCHEMA_VERSION: u32 = 10;

/// The tables of Nix 2.8's store database (its `local-store.sql`, schema
/// version 10), created only where missing.
const SCHEMA: &str = "
create table if not exists ValidPaths (
    id               integer primary key autoincrement not null,
    path             text unique not null,
    hash             text not null,
    registrationTime integer not null,
    deriver          text,
    narSize          integer,
    ultimate         integer, -- null implies \"false\"
    sigs             text, -- space-separated
    ca               text -- if not null, an assertion that the path is content-addressed; see ValidPathInfo
);

create table if not exists Refs (
    referrer  integer not null,
    reference integer not null,
    primary key (referrer, reference),
    foreign key (referrer) references ValidPaths(id) on delete cascade,
    foreign key (reference) references ValidPaths(id) on delete restrict
);

create index if not exists IndexReferrer on Refs(referrer);
create index if not exists IndexReference on Refs(reference);

create trigger if not exists DeleteSelfRefs before delete on ValidPaths
  begin
    delete from Refs where referrer = old.id and reference = old.id;
  end;

create table if not exists DerivationOutputs (
    drv  integer not null,
    id   text not null, -- symbolic output id, usually \"out\"
    path text not null,
    primary key (drv, id),
    foreign key (drv) references ValidPaths(id) on delete cascade
);

create index if not exists IndexDerivationOutputs on DerivationOutputs(path);
";

/// How long a writer waits for another to release the database.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// What to tell a user whose store cannot be written.
pub const STORE_HINT: &str =
    "pass '--store daemon' (the Nix daemon's store), '--store DIR' (a store kept under DIR/nix/store), or set NIX_STORE_DIR and NIX_STATE_DIR to a store of your own";

/// A local Nix store: files under a store directory, a SQLite database
/// under a state directory. Nothing is touched until the first addition or
/// validity query.
pub struct LocalStore {
    /// The store directory that names paths (`/nix/store`).
    store_dir: String,
    /// Where the store directory really is (`DIR/nix/store` for a chroot
    /// store).
    real_store_dir: PathBuf,
    /// `NIX_STATE_DIR`: the database is in its `db` directory.
    state_dir: PathBuf,
    /// For a chroot store, the directory the logical paths are under.
    root: Option<PathBuf>,
    db: RefCell<Option<Connection>>,
    /// This process's temporary roots, once it has any.
    temp_roots: RefCell<Option<TempRoots>>,
}

impl LocalStore {
    /// The store `store_dir` whose state (database) is under `state_dir`,
    /// as `NIX_STORE_DIR` and `NIX_STATE_DIR` describe it.
    pub fn new(store_dir: impl Into<String>, state_dir: impl Into<PathBuf>) -> LocalStore {
        let store_dir = store_dir.into();
        LocalStore {
            real_store_dir: PathBuf::from(&store_dir),
            store_dir,
            state_dir: state_dir.into(),
            root: None,
            db: RefCell::new(None),
            temp_roots: RefCell::new(None),
        }
    }

    /// The chroot store under `root`, as Nix's `--store DIR` is: paths named
    /// `store_dir/…` kept under `root/nix/store/…` (whatever the store
    /// directory's name, as Nix 2.8 keeps them), the state under
    /// `root/nix/var/nix`.
    pub fn chroot(root: impl Into<PathBuf>, store_dir: impl Into<String>) -> LocalStore {
        let root = root.into();
        let store_dir = store_dir.into();
        LocalStore {
            real_store_dir: root.join("nix/store"),
            state_dir: root.join("nix/var/nix"),
            store_dir,
            root: Some(root),
            db: RefCell::new(None),
            temp_roots: RefCell::new(None),
        }
    }

    /// Where the store's files are.
    pub fn real_store_dir(&self) -> &Path {
        &self.real_store_dir
    }

    /// The state directory (the database is in its `db` directory).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    fn db_dir(&self) -> PathBuf {
        self.state_dir.join("db")
    }

    /// The socket of a Nix daemon that owns this store, if there is one.
    pub fn daemon_socket(&self) -> Option<PathBuf> {
        let socket = self.state_dir.join("daemon-socket/socket");
        socket.symlink_metadata().is_ok().then_some(socket)
    }

    /// The physical location of the store path `path`.
    fn real_path(&self, path: &str) -> Result<PathBuf> {
        let base = path
            .strip_prefix(&self.store_dir)
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|base| !base.is_empty() && !base.contains('/'))
            .ok_or_else(|| {
                Error::other(format!(
                    "path '{path}' is not in the Nix store '{}'",
                    self.store_dir
                ))
            })?;
        Ok(self.real_store_dir.join(base))
    }

    /// The database, opened (and created as Nix would) on first use.
    fn db(&self) -> Result<RefMut<'_, Connection>> {
        let mut slot = self.db.borrow_mut();
        if slot.is_none() {
            *slot = Some(self.open()?);
        }
        RefMut::filter_map(slot, Option::as_mut)
            .map_err(|_| Error::other("the Nix store database could not be opened"))
    }

    fn open(&self) -> Result<Connection> {
        if let Some(socket) = self.daemon_socket() {
            return Err(Error::other(format!(
                "the Nix store '{}' belongs to a Nix daemon ('{}' exists), which alone may write to it; {STORE_HINT}",
                self.store_dir,
                socket.display()
            )));
        }
        let db_dir = self.db_dir();
        for dir in [&self.real_store_dir, &db_dir] {
            fs::create_dir_all(dir).map_err(|e| self.setup_error(dir, &e))?;
            rustix::fs::access(dir, rustix::fs::Access::WRITE_OK)
                .map_err(|e| self.setup_error(dir, &e.into()))?;
        }
        let db_path = db_dir.join("db.sqlite");
        let db = retry_busy(|| {
            let db = Connection::open(&db_path)?;
            db.busy_timeout(BUSY_TIMEOUT)?;
            // As Nix sets them: write-ahead logging, checked foreign keys.
            db.pragma_update(None, "foreign_keys", 1)?;
            db.query_row("pragma journal_mode = wal", [], |_| Ok(()))?;
            db.pragma_update(None, "synchronous", "normal")?;
            Ok(db)
        })
        .map_err(|e| sql_error(&db_path, e))?;
        self.check_schema(&db, &db_dir)?;
        Ok(db)
    }

    /// Uses a database of schema version 10 as it is; creates the tables
    /// of a new one (both writers may do so at once: the statements only
    /// create what is missing, in an immediate transaction).
    fn check_schema(&self, db: &Connection, db_dir: &Path) -> Result<()> {
        let schema_file = db_dir.join("schema");
        match fs::read_to_string(&schema_file) {
            Ok(text) => {
                let version: u32 = text.trim().parse().map_err(|_| {
                    Error::other(format!(
                        "'{}' is not a Nix schema version",
                        schema_file.display()
                    ))
                })?;
                if version != SCHEMA_VERSION {
                    return Err(Error::other(format!(
                        "the Nix store database '{}' has schema version {version}; Spindle writes only version {SCHEMA_VERSION} (Nix 2.8)",
                        db_dir.display()
                    )));
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let db_path = db_dir.join("db.sqlite");
                retry_busy(|| {
                    let tx = db.unchecked_transaction()?;
                    tx.execute_batch(SCHEMA)?;
                    tx.commit()
                })
                .map_err(|e| sql_error(&db_path, e))?;
                write_atomically(&schema_file, SCHEMA_VERSION.to_string().as_bytes())
                    .map_err(|e| self.setup_error(&schema_file, &e))
            }
            Err(e) => Err(self.setup_error(&schema_file, &e)),
        }
    }

    fn setup_error(&self, path: &Path, e: &std::io::Error) -> Error {
        Error::other(format!(
            "cannot use the Nix store '{}': '{}': {}; {STORE_HINT}",
            self.store_dir,
            path.display(),
            crate::context::io_message(e)
        ))
    }

    /// Registers `item` unless another writer did; its files are in place.
    fn register(&self, item: &StoreItem<'_>) -> Result<()> {
        let mut db = self.db()?;
        let db_path = self.db_dir().join("db.sqlite");
        let outcome =
            retry_busy(|| try_register(&mut db, item)).map_err(|e| sql_error(&db_path, e))?;
        outcome.map_err(|reference| {
            Error::other(format!(
                "cannot add '{}' to the Nix store: its reference '{reference}' is not valid",
                item.path
            ))
        })
    }

    /// Puts `item`'s files at `real`, under a temporary name first; any
    /// file already there is not a valid path (the caller holds the lock
    /// and checked) and goes, as Nix removes it.
    fn write_files(&self, item: &StoreItem<'_>, real: &Path) -> Result<()> {
        let write_error = |path: &Path, e: std::io::Error| {
            Error::other(format!(
                "cannot add '{}' to the Nix store: writing '{}': {}",
                item.path,
                path.display(),
                crate::context::io_message(&e)
            ))
        };
        let temp = self.real_store_dir.join(temp_name(real));
        if let Err(e) = write_node(item.contents, &temp) {
            let _ = remove_tree(&temp);
            return Err(write_error(&temp, e));
        }
        if real.symlink_metadata().is_ok() {
            remove_tree(real).map_err(|e| write_error(real, e))?;
        }
        fs::rename(&temp, real).map_err(|e| {
            let _ = remove_tree(&temp);
            write_error(real, e)
        })
    }
}

impl Store for LocalStore {
    fn store_dir(&self) -> &str {
        &self.store_dir
    }

    fn add(&self, item: &StoreItem<'_>) -> Result<()> {
        if let Some(existing) = self.query_path_info(item.path)? {
            return check_same_contents(item, &existing);
        }
        let real = self.real_path(item.path)?;
        let lock = PathLock::acquire(&real).map_err(|e| {
            Error::other(format!(
                "cannot add '{}' to the Nix store: locking '{}.lock': {}",
                item.path,
                real.display(),
                crate::context::io_message(&e)
            ))
        })?;
        let outcome = if let Some(existing) = self.query_path_info(item.path)? {
            check_same_contents(item, &existing)
        } else {
            self.write_files(item, &real)
                .and_then(|()| self.register(item))
        };
        lock.release();
        outcome
    }

    fn is_valid(&self, path: &str) -> Result<bool> {
        let db = self.db()?;
        let db_path = self.db_dir().join("db.sqlite");
        Ok(retry_busy(|| path_id(&db, path))
            .map_err(|e| sql_error(&db_path, e))?
            .is_some())
    }

    fn query_path_info(&self, path: &str) -> Result<Option<PathInfo>> {
        let db = self.db()?;
        let db_path = self.db_dir().join("db.sqlite");
        let row = retry_busy(|| query_info(&db, path)).map_err(|e| sql_error(&db_path, e))?;
        let Some((hash, info)) = row else {
            return Ok(None);
        };
        let nar_hash = hash
            .strip_prefix("sha256:")
            .and_then(|h| Hash::parse(h, Some(HashAlgo::Sha256)).ok())
            .ok_or_else(|| {
                Error::other(format!(
                    "Nix store database '{}': '{path}' has the NAR hash '{hash}', which is not a SHA-256",
                    db_path.display()
                ))
            })?;
        Ok(Some(PathInfo { nar_hash, ..info }))
    }

    fn add_temp_root(&self, path: &str) -> Result<()> {
        let mut slot = self.temp_roots.borrow_mut();
        if slot.is_none() {
            *slot = Some(
                TempRoots::create(&self.state_dir.join("temproots"))
                    .map_err(|e| self.setup_error(&self.state_dir.join("temproots"), &e))?,
            );
        }
        match slot.as_mut() {
            Some(roots) => roots
                .add(path)
                .map_err(|e| self.setup_error(&roots.file_path, &e)),
            None => Ok(()),
        }
    }

    fn add_indirect_root(&self, link: &Path) -> Result<()> {
        use std::os::unix::ffi::OsStrExt;
        let auto = self.state_dir.join("gcroots/auto");
        fs::create_dir_all(&auto).map_err(|e| self.setup_error(&auto, &e))?;
        // Nix names the entry after the SHA-1 of the link's path.
        let digest = sha1::Sha1::digest(link.as_os_str().as_bytes());
        let entry = auto.join(super::hash::to_base32(&digest));
        super::backend::replace_symlink(link, &entry).map_err(|e| self.setup_error(&entry, &e))
    }

    fn physical_path(&self, path: &Path) -> Option<PathBuf> {
        self.root.as_ref()?;
        path.strip_prefix(&self.store_dir)
            .ok()
            .map(|rest| self.real_store_dir.join(rest))
    }
}

/// Nix's default store directory.
pub const DEFAULT_STORE_DIR: &str = "/nix/store";

/// Nix's default state directory.
pub const DEFAULT_STATE_DIR: &str = "/nix/var/nix";

/// Registers `item` in one immediate transaction, unless it is registered
/// already; `Err(reference)` names a reference that is not valid.
fn try_register(
    db: &mut Connection,
    item: &StoreItem<'_>,
) -> rusqlite::Result<std::result::Result<(), String>> {
    let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if path_id(&tx, item.path)?.is_some() {
        return Ok(Ok(()));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    tx.execute(
        "insert into ValidPaths (path, hash, registrationTime, deriver, narSize, ca) values (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            item.path,
            format!("sha256:{}", item.nar.hash.to_base16()),
            now,
            item.deriver,
            item.nar.size as i64,
            item.ca,
        ],
    )?;
    let id = tx.last_insert_rowid();
    for reference in item.references {
        let target = if reference == item.path {
            id
        } else {
            match path_id(&tx, reference)? {
                Some(target) => target,
                None => return Ok(Err(reference.clone())),
            }
        };
        tx.execute(
            "insert or replace into Refs (referrer, reference) values (?1, ?2)",
            params![id, target],
        )?;
    }
    for (output, path) in &item.outputs {
        tx.execute(
            "insert or replace into DerivationOutputs (drv, id, path) values (?1, ?2, ?3)",
            params![id, output, path],
        )?;
    }
    tx.commit()?;
    Ok(Ok(()))
}

/// Runs `f` again while SQLite says the database is busy, for as long as
/// the busy timeout. SQLite's own busy handler does not cover every case
/// (changing the journal mode, upgrading a read to a write), so Nix
/// retries the same way.
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let started = std::time::Instant::now();
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

/// The database's row of `path` (its NAR hash as the database writes it,
/// and the rest of what is recorded), if it is valid.
fn query_info(db: &Connection, path: &str) -> rusqlite::Result<Option<(String, PathInfo)>> {
    let row = db
        .query_row(
            "select id, hash, narSize, deriver, ca from ValidPaths where path = ?1",
            params![path],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((id, hash, size, deriver, ca)) = row else {
        return Ok(None);
    };
    let mut references = std::collections::BTreeSet::new();
    let mut refs = db.prepare(
        "select p.path from Refs join ValidPaths p on p.id = reference where referrer = ?1",
    )?;
    for reference in refs.query_map(params![id], |row| row.get::<_, String>(0))? {
        references.insert(reference?);
    }
    Ok(Some((
        hash,
        PathInfo {
            nar_hash: Hash::sha256(b""),
            nar_size: size.unwrap_or(0) as u64,
            references,
            deriver: deriver.filter(|d| !d.is_empty()),
            ca: ca.filter(|c| !c.is_empty()),
        },
    )))
}

fn path_id(db: &Connection, path: &str) -> rusqlite::Result<Option<i64>> {
    db.query_row(
        "select id from ValidPaths where path = ?1",
        params![path],
        |row| row.get(0),
    )
    .optional()
}

fn sql_error(db_path: &Path, e: rusqlite::Error) -> Error {
    Error::other(format!("Nix store database '{}': {e}", db_path.display()))
}

/// A name in the store directory for files being written: it starts with
/// a dot, so no Nix tool takes it for a store path, and is unique to this
/// process and call.
fn temp_name(real: &Path) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(
        ".spindle-tmp-{}-{}-{base}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Writes `contents` to `path` (in a temporary directory of the store)
/// with the metadata Nix gives store files: read-only, executable bits only
/// where the file was executable, modification time 1.
fn write_node(node: &Node, path: &Path) -> std::io::Result<()> {
    let epoch_plus_one = filetime::FileTime::from_unix_time(1, 0);
    match node {
        Node::Regular {
            executable,
            contents,
        } => {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .open(path)?;
            file.write_all(contents)?;
            file.sync_all()?;
            let mode = if *executable { 0o555 } else { 0o444 };
            fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
        }
        Node::Symlink { target } => {
            use std::os::unix::ffi::OsStrExt;
            std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(target), path)?;
        }
        Node::Directory(entries) => {
            fs::create_dir(path)?;
            for (name, child) in entries {
                deeper(|| write_node(child, &path.join(crate::path::os_path(name))))?;
            }
            fs::set_permissions(path, fs::Permissions::from_mode(0o555))?;
        }
    }
    filetime::set_symlink_file_times(path, epoch_plus_one, epoch_plus_one)
}

/// Runs one level deeper of a recursion over a file tree, on a fresh stack
/// segment when the current one runs low.
fn deeper(f: impl FnOnce() -> std::io::Result<()>) -> std::io::Result<()> {
    spindle_fiber::grow(f).map_err(|e| std::io::Error::other(format!("{e:?}")))?
}

/// Removes a file or a tree whose directories may be read-only.
fn remove_tree(path: &Path) -> std::io::Result<()> {
    let meta = path.symlink_metadata()?;
    if !meta.is_dir() {
        return fs::remove_file(path);
    }
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))?;
    for entry in fs::read_dir(path)? {
        let child = entry?.path();
        deeper(|| remove_tree(&child))?;
    }
    fs::remove_dir(path)
}

/// Writes a small file so that readers see all of it or none.
fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    // A name of its own per call: two threads of one process may write the
    // same file at once (both creating a new store's schema file).
    let temp = path.with_file_name(temp_name(path));
    fs::write(&temp, contents)?;
    fs::rename(&temp, path)
}

/// Opens a file of Nix's locking protocols, creating it empty if missing:
/// an empty file is a live lock's, one with contents a stale one's.
fn open_lock_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

/// An exclusive lock on a store path, by Nix's protocol: `flock` on
/// `<path>.lock`; a holder deletes the file when done, writing a byte into
/// it first so that a waiter who then gets the lock sees it is stale.
struct PathLock {
    file: File,
    path: PathBuf,
}

impl PathLock {
    fn acquire(real: &Path) -> std::io::Result<PathLock> {
        let mut name = real.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        loop {
            let file = open_lock_file(&path)?;
            rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
            if file.metadata()?.len() == 0 {
                return Ok(PathLock { file, path });
            }
        }
    }

    fn release(mut self) {
        // Failing to clean up a lock file leaves a stale lock, which the
        // protocol tolerates; the lock itself goes with the descriptor.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.write_all(b"d");
    }
}

/// This process's temporary garbage-collector roots, by Nix's protocol:
/// the file `<state>/temproots/<pid>` lists them (each ended by a NUL)
/// and is read-locked for as long as the process lives; the collector
/// takes a file it can write-lock for a dead process's, and deletes it.
struct TempRoots {
    file: File,
    file_path: PathBuf,
}

impl TempRoots {
    fn create(dir: &Path) -> std::io::Result<TempRoots> {
        use rustix::fs::{flock, FlockOperation};
        fs::create_dir_all(dir)?;
        let file_path = dir.join(std::process::id().to_string());
        loop {
            // A file of this process id is a dead process's.
            let _ = fs::remove_file(&file_path);
            let file = open_lock_file(&file_path)?;
            flock(&file, FlockOperation::LockShared)?;
            // Empty: ours. Not empty: the collector deleted it between our
            // opening and locking it (it writes nothing), so start again.
            if file.metadata()?.len() == 0 {
                return Ok(TempRoots { file, file_path });
            }
        }
    }

    /// Appends `path` under a write lock, then goes back to reading.
    fn add(&mut self, path: &str) -> std::io::Result<()> {
        use rustix::fs::{flock, FlockOperation};
        flock(&self.file, FlockOperation::LockExclusive)?;
        let mut line = path.as_bytes().to_vec();
        line.push(0);
        let written = self.file.write_all(&line);
        flock(&self.file, FlockOperation::LockShared)?;
        written
    }
}
