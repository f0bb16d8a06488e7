//! The Nix archive (NAR) format, streamed into a hasher.
//!
//! A NAR is a sequence of length-prefixed, zero-padded strings describing a
//! file tree in a canonical way (directory entries sorted, only the
//! executable bit kept). Its SHA-256 is what names a source path in the
//! store. Spindle never stores a NAR; it only hashes one.

use std::path::Path;

use sha2::{Digest, Sha256};
use spindle_fiber::ensure_sufficient_stack;

use crate::context::{io_message, EvalContext};
use crate::error::{Error, ErrorKind, Result};
use crate::io::FileType;

/// Decides, for each path below the root, whether it goes into the archive.
pub type PathFilter<'a> = dyn FnMut(&Path, FileType) -> Result<bool> + 'a;

/// The SHA-256 of the NAR serialisation of `path`, leaving out what
/// `filter` rejects (the root itself is never offered to the filter).
pub fn hash_path(ctx: &EvalContext, path: &Path, filter: &mut PathFilter<'_>) -> Result<Vec<u8>> {
    let mut sink = NarSink {
        hasher: Sha256::new(),
    };
    sink.string(b"nix-archive-1");
    dump(ctx, path, filter, &mut sink)?;
    Ok(sink.hasher.finalize().to_vec())
}

struct NarSink {
    hasher: Sha256,
}

impl NarSink {
    /// One NAR string: little-endian 64-bit length, bytes, zeros to a multiple of 8.
    fn string(&mut self, bytes: &[u8]) {
        self.hasher.update((bytes.len() as u64).to_le_bytes());
        self.hasher.update(bytes);
        let padding = (8 - bytes.len() % 8) % 8;
        self.hasher.update(&[0u8; 8][..padding]);
    }

    fn strings(&mut self, parts: &[&[u8]]) {
        for p in parts {
            self.string(p);
        }
    }
}

/// The error Nix gives when a file's status cannot be read.
pub fn status_error(path: &Path, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Io(format!(
        "getting status of '{}': {}",
        path.display(),
        io_message(e)
    )))
}

fn read_error(path: &Path, what: &str, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Io(format!(
        "{what} '{}': {}",
        path.display(),
        io_message(e)
    )))
}

fn dump(
    ctx: &EvalContext,
    path: &Path,
    filter: &mut PathFilter<'_>,
    sink: &mut NarSink,
) -> Result<()> {
    let io = &ctx.io;
    let kind = io.file_type(path).map_err(|e| status_error(path, &e))?;
    sink.strings(&[b"(", b"type"]);
    match kind {
        FileType::Regular => {
            sink.string(b"regular");
            let executable = io.is_executable(path).map_err(|e| status_error(path, &e))?;
            if executable {
                sink.strings(&[b"executable", b""]);
            }
            let contents = io
                .read_file(path)
                .map_err(|e| read_error(path, "opening file", &e))?;
            sink.string(b"contents");
            sink.string(&contents);
        }
        FileType::Symlink => {
            let target = io
                .read_link(path)
                .map_err(|e| read_error(path, "reading symbolic link", &e))?;
            sink.strings(&[b"symlink", b"target", &target]);
        }
        FileType::Directory => {
            sink.string(b"directory");
            let entries = io
                .read_dir(path)
                .map_err(|e| read_error(path, "opening directory", &e))?;
            for (name, entry_kind) in entries {
                let child = path.join(&name);
                if !filter(&child, entry_kind)? {
                    continue;
                }
                sink.strings(&[b"entry", b"(", b"name", name.as_bytes(), b"node"]);
                ensure_sufficient_stack(|| dump(ctx, &child, filter, sink))?;
                sink.string(b")");
            }
        }
        FileType::Unknown => {
            return Err(Error::other(format!(
                "file '{}' has an unsupported type",
                path.display()
            )))
        }
    }
    sink.string(b")");
    Ok(())
}
