//! The Nix archive (NAR) format, streamed into a hasher.
//!
//! A NAR is a sequence of length-prefixed, zero-padded strings describing a
//! file tree in a canonical way (directory entries sorted, only the
//! executable bit kept). Its SHA-256 is what names a source path in the
//! store, and its hash and size are what a store records of every path.
//! Spindle never keeps a NAR: [`NarSink`] hashes and counts it as it is
//! produced, from a file tree read through the host's I/O ([`dump`]) or from
//! a [`Node`] tree held in memory (what is about to be written to a store).

use std::path::Path;

use sha2::{Digest, Sha256};
use spindle_fiber::ensure_sufficient_stack;

use crate::context::io_message;
use crate::error::{Error, Result};
use crate::io::{EvalIo, FileType};

use super::hash::{Hash, HashAlgo};

/// Decides, for each path below the root, whether it goes into the archive.
pub type PathFilter<'a> = dyn FnMut(&Path, FileType) -> Result<bool> + 'a;

/// A file tree held in memory: what a NAR describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A regular file.
    Regular { executable: bool, contents: Vec<u8> },
    /// A symbolic link and its target.
    Symlink { target: Vec<u8> },
    /// A directory, its entries sorted by name.
    Directory(Vec<(Vec<u8>, Node)>),
}

impl Node {
    /// A plain, non-executable file.
    pub fn file(contents: &[u8]) -> Node {
        Node::Regular {
            executable: false,
            contents: contents.to_vec(),
        }
    }

    /// The SHA-256 and the size of this tree's NAR.
    pub fn nar_hash(&self) -> Result<NarHash> {
        let mut sink = NarSink::new();
        self.serialise(&mut sink)?;
        Ok(sink.finish())
    }

    /// This tree's NAR itself, as a daemon is sent it.
    pub fn nar_bytes(&self) -> Result<Vec<u8>> {
        let mut sink = NarSink::start(Some(Vec::new()));
        self.serialise(&mut sink)?;
        Ok(sink.bytes.unwrap_or_default())
    }

    fn serialise(&self, sink: &mut NarSink) -> Result<()> {
        match self {
            Node::Regular {
                executable,
                contents,
            } => sink.regular(*executable, contents),
            Node::Symlink { target } => sink.symlink(target),
            Node::Directory(entries) => {
                sink.directory();
                for (name, child) in entries {
                    sink.entry(name);
                    ensure_sufficient_stack(|| child.serialise(sink))?;
                    sink.end_entry();
                }
                sink.end();
            }
        }
        Ok(())
    }
}

/// The SHA-256 of a NAR and its length in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NarHash {
    pub hash: Hash,
    pub size: u64,
}

/// What [`dump`] produced: the NAR's hash and size, and the tree itself
/// when it was asked to keep it.
pub struct Dumped {
    pub nar: NarHash,
    pub tree: Option<Node>,
}

/// Hashes a NAR as it is produced; the one place that knows its grammar.
pub struct NarSink {
    hasher: Sha256,
    size: u64,
    /// The archive's bytes, when they are wanted (to send to a daemon).
    bytes: Option<Vec<u8>>,
}

impl NarSink {
    /// A sink that has seen the archive's magic string.
    pub fn new() -> NarSink {
        NarSink::start(None)
    }

    fn start(bytes: Option<Vec<u8>>) -> NarSink {
        let mut sink = NarSink {
            hasher: Sha256::new(),
            size: 0,
            bytes,
        };
        sink.string(b"nix-archive-1");
        sink
    }

    /// Feeds the hash (and the kept bytes, if any).
    fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
        if let Some(bytes) = &mut self.bytes {
            bytes.extend_from_slice(data);
        }
    }

    /// The hash and size of everything written.
    pub fn finish(self) -> NarHash {
        NarHash {
            hash: Hash {
                algo: HashAlgo::Sha256,
                bytes: self.hasher.finalize().to_vec(),
            },
            size: self.size,
        }
    }

    /// One NAR string: little-endian 64-bit length, bytes, zeros to a multiple of 8.
    fn string(&mut self, bytes: &[u8]) {
        self.update(&(bytes.len() as u64).to_le_bytes());
        self.update(bytes);
        let padding = (8 - bytes.len() % 8) % 8;
        self.update(&[0u8; 8][..padding]);
        self.size += 8 + bytes.len() as u64 + padding as u64;
    }

    fn strings(&mut self, parts: &[&[u8]]) {
        for p in parts {
            self.string(p);
        }
    }

    /// A whole regular file.
    fn regular(&mut self, executable: bool, contents: &[u8]) {
        self.strings(&[b"(", b"type", b"regular"]);
        if executable {
            self.strings(&[b"executable", b""]);
        }
        self.strings(&[b"contents", contents, b")"]);
    }

    /// A whole symbolic link.
    fn symlink(&mut self, target: &[u8]) {
        self.strings(&[b"(", b"type", b"symlink", b"target", target, b")"]);
    }

    /// The start of a directory; entries and [`NarSink::end`] follow.
    fn directory(&mut self) {
        self.strings(&[b"(", b"type", b"directory"]);
    }

    /// The start of a directory entry; its node and [`NarSink::end_entry`] follow.
    fn entry(&mut self, name: &[u8]) {
        self.strings(&[b"entry", b"(", b"name", name, b"node"]);
    }

    fn end_entry(&mut self) {
        self.string(b")");
    }

    fn end(&mut self) {
        self.string(b")");
    }
}

impl Default for NarSink {
    fn default() -> Self {
        NarSink::new()
    }
}

/// The NAR hash and size of `path` as read through `io`, leaving out what
/// `filter` rejects (the root itself is never offered to the filter); with
/// `keep`, the tree read is returned too.
pub fn dump(
    io: &dyn EvalIo,
    path: &Path,
    filter: &mut PathFilter<'_>,
    keep: bool,
) -> Result<Dumped> {
    let mut sink = NarSink::new();
    let tree = dump_node(io, path, filter, &mut sink, keep)?;
    Ok(Dumped {
        nar: sink.finish(),
        tree,
    })
}

/// The error Nix gives when a file's status cannot be read.
pub fn status_error(path: &Path, e: &std::io::Error) -> Error {
    Error::from_io(e, || {
        format!("getting status of '{}': {}", path.display(), io_message(e))
    })
}

fn read_error(path: &Path, what: &str, e: &std::io::Error) -> Error {
    Error::from_io(e, || {
        format!("{what} '{}': {}", path.display(), io_message(e))
    })
}

fn dump_node(
    io: &dyn EvalIo,
    path: &Path,
    filter: &mut PathFilter<'_>,
    sink: &mut NarSink,
    keep: bool,
) -> Result<Option<Node>> {
    let kind = io.file_type(path).map_err(|e| status_error(path, &e))?;
    match kind {
        FileType::Regular => {
            let executable = io.is_executable(path).map_err(|e| status_error(path, &e))?;
            let contents = io
                .read_file(path)
                .map_err(|e| read_error(path, "opening file", &e))?;
            sink.regular(executable, &contents);
            Ok(keep.then_some(Node::Regular {
                executable,
                contents,
            }))
        }
        FileType::Symlink => {
            let target = io
                .read_link(path)
                .map_err(|e| read_error(path, "reading symbolic link", &e))?;
            sink.symlink(&target);
            Ok(keep.then_some(Node::Symlink { target }))
        }
        FileType::Directory => {
            sink.directory();
            let entries = io
                .read_dir(path)
                .map_err(|e| read_error(path, "opening directory", &e))?;
            let mut kept = Vec::new();
            for (name, entry_kind) in entries {
                let child = path.join(crate::path::os_path(&name));
                if !filter(&child, entry_kind)? {
                    continue;
                }
                sink.entry(&name);
                let node = ensure_sufficient_stack(|| dump_node(io, &child, filter, sink, keep))?;
                sink.end_entry();
                if let Some(node) = node {
                    kept.push((name, node));
                }
            }
            sink.end();
            Ok(keep.then_some(Node::Directory(kept)))
        }
        FileType::Unknown => Err(Error::other(format!(
            "file '{}' has an unsupported type",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_hashes_as_nix_records_it() {
        // The NAR hash and size Nix 2.8 registers for a file containing "hi\n".
        let nar = Node::file(b"hi\n").nar_hash().unwrap();
        assert_eq!(
            nar.hash.to_base16(),
            "10551daed7fa467d0b58826e7eb9a0f2af7d693de319f2ef775fffcda244b9f6"
        );
        assert_eq!(nar.size, 120);
    }
}
