//! The I/O an evaluation may do, behind a trait the host can replace.
//!
//! Every impure builtin (`import` of a file, `readFile`, `readDir`,
//! `pathExists`, `getEnv`, `currentTime`, `hashFile`, …) goes through
//! [`EvalIo`]. [`StdIo`] uses the real file system and environment;
//! [`PureIo`] refuses everything, for hermetic evaluation.

use std::io;
use std::path::Path;

/// The type of a directory entry, as `readDir` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    Unknown,
}

impl FileType {
    /// The type of a file as the standard library reports it (from
    /// metadata read without following a symlink).
    pub fn of(t: std::fs::FileType) -> FileType {
        if t.is_symlink() {
            FileType::Symlink
        } else if t.is_dir() {
            FileType::Directory
        } else if t.is_file() {
            FileType::Regular
        } else {
            FileType::Unknown
        }
    }

    /// The name Nix uses (`"regular"`, `"directory"`, `"symlink"`, `"unknown"`).
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Regular => "regular",
            FileType::Directory => "directory",
            FileType::Symlink => "symlink",
            FileType::Unknown => "unknown",
        }
    }
}

/// The host services an evaluation uses.
pub trait EvalIo {
    /// Reads a whole file.
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Reads at most `len` bytes from the start of a file (the evaluator
    /// looks at the beginning of a large source file before it reads it
    /// whole). By default the whole file is read and cut.
    fn read_file_start(&self, path: &Path, len: usize) -> io::Result<Vec<u8>> {
        let mut bytes = self.read_file(path)?;
        bytes.truncate(len);
        Ok(bytes)
    }
    /// The type of the file at `path`, not following a final symlink.
    fn file_type(&self, path: &Path) -> io::Result<FileType>;
    /// The entries of a directory, with their types.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<(Vec<u8>, FileType)>>;
    /// Whether `path` exists (following symlinks).
    fn path_exists(&self, path: &Path) -> io::Result<bool>;
    /// An environment variable.
    fn get_env(&self, name: &str) -> io::Result<Option<String>>;
    /// Seconds since the epoch.
    fn current_time(&self) -> io::Result<i64>;
    /// The target of the symbolic link at `path`, as raw bytes. Hosts
    /// without symbolic links need not provide it.
    fn read_link(&self, path: &Path) -> io::Result<Vec<u8>> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("cannot read the link '{}'", path.display()),
        ))
    }
    /// Whether the regular file at `path` is executable (the only mode bit
    /// a store path keeps). Hosts without the notion say no.
    fn is_executable(&self, _path: &Path) -> io::Result<bool> {
        Ok(false)
    }
    /// Shows a `builtins.trace` message; standard error by default.
    fn trace(&self, message: &str) {
        eprintln!(
            "{}",
            crate::terminal::for_stderr(&format!("trace: {message}"))
        );
    }
    /// Shows a warning, already rendered (it starts with `warning:`);
    /// standard error by default.
    fn warn(&self, rendered: &str) {
        eprintln!("{}", crate::terminal::for_stderr(rendered));
    }
}

/// The real file system and process environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdIo;

impl EvalIo for StdIo {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn read_file_start(&self, path: &Path, len: usize) -> io::Result<Vec<u8>> {
        read_start(path, len)
    }

    fn file_type(&self, path: &Path) -> io::Result<FileType> {
        std::fs::symlink_metadata(path).map(|m| FileType::of(m.file_type()))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<(Vec<u8>, FileType)>> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let kind = FileType::of(entry.file_type()?);
            let name = crate::path::path_bytes(Path::new(&entry.file_name())).to_vec();
            entries.push((name, kind));
        }
        entries.sort();
        Ok(entries)
    }

    fn path_exists(&self, path: &Path) -> io::Result<bool> {
        // A dangling symlink exists, as in Nix: it is the link that is asked about.
        Ok(path.symlink_metadata().is_ok())
    }

    fn get_env(&self, name: &str) -> io::Result<Option<String>> {
        Ok(std::env::var(name).ok())
    }

    fn current_time(&self) -> io::Result<i64> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(io::Error::other)?;
        Ok(now.as_secs() as i64)
    }

    fn read_link(&self, path: &Path) -> io::Result<Vec<u8>> {
        let target = std::fs::read_link(path)?;
        Ok(target.into_os_string().into_encoded_bytes())
    }

    fn is_executable(&self, path: &Path) -> io::Result<bool> {
        is_executable_file(path)
    }
}

#[cfg(unix)]
fn is_executable_file(path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::symlink_metadata(path)?.permissions().mode();
    Ok(mode & 0o100 != 0)
}

#[cfg(not(unix))]
fn is_executable_file(path: &Path) -> io::Result<bool> {
    std::fs::symlink_metadata(path).map(|_| false)
}

/// Refuses all I/O: the pure evaluation mode. Paths are refused with Nix's
/// message for pure evaluation; the builtins that read the environment or
/// the clock do not ask in that mode.
#[derive(Clone, Copy, Debug, Default)]
pub struct PureIo;

fn refused(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{what} is not allowed in pure evaluation mode"),
    )
}

impl EvalIo for PureIo {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        Err(forbidden(Restriction::Pure, "absolute", path))
    }
    fn file_type(&self, path: &Path) -> io::Result<FileType> {
        Err(forbidden(Restriction::Pure, "absolute", path))
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<(Vec<u8>, FileType)>> {
        Err(forbidden(Restriction::Pure, "absolute", path))
    }
    fn path_exists(&self, path: &Path) -> io::Result<bool> {
        Err(forbidden(Restriction::Pure, "absolute", path))
    }
    fn get_env(&self, name: &str) -> io::Result<Option<String>> {
        Err(refused(&format!(
            "reading the environment variable '{name}'"
        )))
    }
    fn current_time(&self) -> io::Result<i64> {
        Err(refused("reading the current time"))
    }
}

/// Which mode refuses a path, for Nix's wording of the refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restriction {
    /// `pure-eval`.
    Pure,
    /// `restrict-eval`.
    Restricted,
}

/// `access to absolute path '…' is forbidden in …`, as Nix 2.8 words it
/// (`kind` is "absolute", or "canonical" for a path whose symbolic links
/// lead out of the allowed roots).
fn forbidden(mode: Restriction, kind: &str, path: &Path) -> io::Error {
    let how = match mode {
        Restriction::Pure => "in pure eval mode (use '--impure' to override)",
        Restriction::Restricted => "in restricted mode",
    };
    crate::error::io_forbidden(format!(
        "access to {kind} path '{}' is forbidden {how}",
        path.display()
    ))
}

/// Restricted evaluation (`restrict-eval`): the paths under a few roots
/// (the search path's directories) may be read, nothing else. As in Nix
/// 2.8 a path is checked twice: as written (with `..` resolved), and with
/// its symbolic links resolved, so that a link cannot lead out.
pub struct RestrictedIo {
    inner: std::rc::Rc<dyn EvalIo>,
    roots: Vec<std::path::PathBuf>,
}

/// The most symbolic links followed while resolving one path.
const MAX_SYMLINKS: usize = 40;

impl RestrictedIo {
    /// Restricts `inner` to the paths under `roots` (absolute paths).
    pub fn new(inner: std::rc::Rc<dyn EvalIo>, roots: Vec<std::path::PathBuf>) -> RestrictedIo {
        let roots = roots
            .iter()
            .map(|r| crate::path::canonical_os_path(r))
            .collect();
        RestrictedIo { inner, roots }
    }

    fn allowed(&self, path: &Path) -> bool {
        self.roots.iter().any(|root| path.starts_with(root))
    }

    /// Checks `path` as Nix's `checkSourcePath` does.
    fn check(&self, path: &Path) -> io::Result<()> {
        let lexical = crate::path::canonical_os_path(path);
        if !self.allowed(&lexical) {
            return Err(forbidden(Restriction::Restricted, "absolute", &lexical));
        }
        let resolved = self.resolve_links(&lexical)?;
        if !self.allowed(&resolved) {
            return Err(forbidden(Restriction::Restricted, "canonical", &resolved));
        }
        Ok(())
    }

    /// `path` with every symbolic link along it resolved, through the inner
    /// I/O; a component that does not exist ends the resolution (the access
    /// itself then fails as it would have).
    fn resolve_links(&self, path: &Path) -> io::Result<std::path::PathBuf> {
        let mut done = std::path::PathBuf::from("/");
        let mut pending = names_reversed(path);
        let mut links = 0;
        while let Some(name) = pending.pop() {
            let next = done.join(&name);
            match self.inner.file_type(&next) {
                Ok(FileType::Symlink) if links < MAX_SYMLINKS => {
                    links += 1;
                    let target = self.inner.read_link(&next)?;
                    let target = crate::path::os_path(&target);
                    let target = if target.is_absolute() {
                        target
                    } else {
                        done.join(target)
                    };
                    let target = crate::path::canonical_os_path(&target);
                    pending.extend(names_reversed(&target));
                    done = std::path::PathBuf::from("/");
                }
                Ok(_) => done = next,
                Err(_) => {
                    done = next;
                    while let Some(rest) = pending.pop() {
                        done.push(rest);
                    }
                }
            }
        }
        Ok(done)
    }
}

/// The names along a path, last first (a stack to take them from).
fn names_reversed(path: &Path) -> Vec<std::ffi::OsString> {
    path.components()
        .rev()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n.to_os_string()),
            _ => None,
        })
        .collect()
}

impl EvalIo for RestrictedIo {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.check(path)?;
        self.inner.read_file(path)
    }
    fn read_file_start(&self, path: &Path, len: usize) -> io::Result<Vec<u8>> {
        self.check(path)?;
        self.inner.read_file_start(path, len)
    }
    fn file_type(&self, path: &Path) -> io::Result<FileType> {
        self.check(path)?;
        self.inner.file_type(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<(Vec<u8>, FileType)>> {
        self.check(path)?;
        self.inner.read_dir(path)
    }
    fn path_exists(&self, path: &Path) -> io::Result<bool> {
        self.check(path)?;
        self.inner.path_exists(path)
    }
    fn get_env(&self, name: &str) -> io::Result<Option<String>> {
        self.inner.get_env(name)
    }
    fn current_time(&self) -> io::Result<i64> {
        self.inner.current_time()
    }
    fn read_link(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.check(path)?;
        self.inner.read_link(path)
    }
    fn is_executable(&self, path: &Path) -> io::Result<bool> {
        self.check(path)?;
        self.inner.is_executable(path)
    }
    fn trace(&self, message: &str) {
        self.inner.trace(message)
    }
    fn warn(&self, rendered: &str) {
        self.inner.warn(rendered)
    }
}

/// At most `len` bytes from the start of the file at `path`.
pub fn read_start(path: &Path, len: usize) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(len as u64)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}
