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
    /// The type of the file at `path`, not following a final symlink.
    fn file_type(&self, path: &Path) -> io::Result<FileType>;
    /// The entries of a directory, with their types.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<(String, FileType)>>;
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

    fn file_type(&self, path: &Path) -> io::Result<FileType> {
        std::fs::symlink_metadata(path).map(|m| FileType::of(m.file_type()))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<(String, FileType)>> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let kind = FileType::of(entry.file_type()?);
            entries.push((entry.file_name().to_string_lossy().into_owned(), kind));
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

/// Refuses all I/O: the pure evaluation mode.
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
        Err(refused(&format!("reading '{}'", path.display())))
    }
    fn file_type(&self, path: &Path) -> io::Result<FileType> {
        Err(refused(&format!("inspecting '{}'", path.display())))
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<(String, FileType)>> {
        Err(refused(&format!("listing '{}'", path.display())))
    }
    fn path_exists(&self, path: &Path) -> io::Result<bool> {
        Err(refused(&format!("checking '{}'", path.display())))
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
