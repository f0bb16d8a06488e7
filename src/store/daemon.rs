//! A client of the Nix daemon's worker protocol, over its Unix socket.
//!
//! A multi-user Nix installation owns its store through `nix-daemon`:
//! clients never write the store or its database, they ask the daemon.
//! [`DaemonStore`] speaks the protocol of Nix 2.4 to 2.8 (worker protocol
//! 1.26 to 1.34; a newer daemon accepts 1.34 and answers in it), and uses
//! only what instantiation needs: `IsValidPath`, `QueryPathInfo`,
//! `AddTextToStore` (texts: `.drv` files, `toFile`), `AddToStore` (sources,
//! sent as a NAR or a flat file in frames), `AddTempRoot` and
//! `AddIndirectRoot`.
//!
//! The wire format ([`wire`]): every number is a little-endian u64, every
//! string its length then its bytes padded with zeros to a multiple of 8,
//! a list its length then its items. After each request the daemon sends
//! log frames (module `stderr`) until `STDERR_LAST`, then the answer; a
//! `STDERR_ERROR` frame instead ends the request with the daemon's error.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::backend::{check_same_contents, PathInfo, Store, StoreItem};
use super::hash::{Hash, HashAlgo};
use super::nar::Node;

/// Where the daemon listens when `NIX_DAEMON_SOCKET_PATH` does not say.
pub const DEFAULT_SOCKET: &str = "/nix/var/nix/daemon-socket/socket";

/// The oldest protocol minor version spoken: 1.26 (Nix 2.4) sends errors
/// as structured frames and takes `AddToStore` with a content-address
/// method and framed data.
pub const MIN_MINOR: u64 = 26;

/// The newest protocol minor version spoken: 1.34 (Nix 2.8).
pub const MAX_MINOR: u64 = 34;

const WORKER_MAGIC_1: u64 = 0x6e69_7863;
const WORKER_MAGIC_2: u64 = 0x6478_696f;

/// The requests this client makes, by their numbers in the protocol.
#[derive(Clone, Copy, Debug)]
enum Op {
    IsValidPath = 1,
    AddToStore = 7,
    AddTextToStore = 8,
    AddTempRoot = 11,
    AddIndirectRoot = 12,
    QueryPathInfo = 26,
}

/// The frames the daemon sends while it works on a request.
mod stderr {
    pub const WRITE: u64 = 0x6461_7416;
    pub const READ: u64 = 0x6461_7461;
    pub const ERROR: u64 = 0x6378_7470;
    pub const NEXT: u64 = 0x6f6c_6d67;
    pub const START_ACTIVITY: u64 = 0x5354_5254;
    pub const STOP_ACTIVITY: u64 = 0x5354_4f50;
    pub const RESULT: u64 = 0x5253_4c54;
    pub const LAST: u64 = 0x616c_7473;
}

/// The protocol's basic values on a byte stream.
pub mod wire {
    use std::io::{self, Read, Write};

    /// The longest string accepted from the daemon: the protocol carries
    /// store paths, hashes and messages, never file contents, to a client.
    const MAX_STRING: u64 = 64 << 20;

    pub fn write_u64(w: &mut impl Write, n: u64) -> io::Result<()> {
        w.write_all(&n.to_le_bytes())
    }

    pub fn write_bytes(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
        write_u64(w, bytes.len() as u64)?;
        w.write_all(bytes)?;
        w.write_all(&[0u8; 8][..padding(bytes.len() as u64)])
    }

    pub fn write_strings<'a>(
        w: &mut impl Write,
        items: impl ExactSizeIterator<Item = &'a String>,
    ) -> io::Result<()> {
        write_u64(w, items.len() as u64)?;
        for item in items {
            write_bytes(w, item.as_bytes())?;
        }
        Ok(())
    }

    /// `data` as a framed stream: chunks each preceded by its length, then
    /// an empty chunk. Frames are not padded.
    pub fn write_framed(w: &mut impl Write, data: &[u8]) -> io::Result<()> {
        for chunk in data.chunks(64 << 10) {
            write_u64(w, chunk.len() as u64)?;
            w.write_all(chunk)?;
        }
        write_u64(w, 0)
    }

    pub fn read_u64(r: &mut impl Read) -> io::Result<u64> {
        let mut buf = [0u8; 8];
        r.read_exact(&mut buf)?;
        Ok(u64::from_le_bytes(buf))
    }

    pub fn read_bytes(r: &mut impl Read) -> io::Result<Vec<u8>> {
        let len = read_u64(r)?;
        if len > MAX_STRING {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the daemon sent a string of {len} bytes"),
            ));
        }
        let mut bytes = vec![0u8; len as usize];
        r.read_exact(&mut bytes)?;
        let mut pad = [0u8; 8];
        r.read_exact(&mut pad[..padding(len)])?;
        Ok(bytes)
    }

    pub fn read_string(r: &mut impl Read) -> io::Result<String> {
        String::from_utf8(read_bytes(r)?).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the daemon sent a non-UTF-8 string",
            )
        })
    }

    pub fn read_strings(r: &mut impl Read) -> io::Result<Vec<String>> {
        let n = read_u64(r)?;
        // Each string takes at least 8 bytes: a count beyond what a
        // message could hold is a broken stream, not an allocation.
        let mut items = Vec::with_capacity(n.min(1024) as usize);
        for _ in 0..n {
            items.push(read_string(r)?);
        }
        Ok(items)
    }

    fn padding(len: u64) -> usize {
        ((8 - len % 8) % 8) as usize
    }
}

/// One connection to the daemon, past the handshake.
struct Connection {
    reader: BufReader<UnixStream>,
    writer: BufWriter<UnixStream>,
    /// The protocol minor version both sides speak.
    minor: u64,
}

/// What went wrong in a request: the connection failed, or the daemon
/// refused with a message.
enum Failure {
    Io(io::Error),
    Daemon(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Io(e)
    }
}

type Reply<T> = std::result::Result<T, Failure>;

/// A Nix store reached through the daemon listening on a Unix socket.
pub struct DaemonStore {
    socket: PathBuf,
    store_dir: String,
    conn: RefCell<Connection>,
}

impl DaemonStore {
    /// Connects to the daemon at `socket`, whose store is named
    /// `store_dir` (the protocol does not say; Nix clients take it from
    /// `NIX_STORE_DIR` as the daemon does), and agrees on a version.
    pub fn connect(socket: &Path, store_dir: impl Into<String>) -> Result<DaemonStore> {
        let stream = UnixStream::connect(socket).map_err(|e| connect_error(socket, &e))?;
        let clone = stream.try_clone().map_err(|e| connect_error(socket, &e))?;
        let mut conn = Connection {
            reader: BufReader::new(clone),
            writer: BufWriter::new(stream),
            minor: MAX_MINOR,
        };
        let store = |conn| DaemonStore {
            socket: socket.to_path_buf(),
            store_dir: store_dir.into(),
            conn: RefCell::new(conn),
        };
        match handshake(&mut conn) {
            Ok(()) => Ok(store(conn)),
            Err(Failure::Io(e)) => Err(protocol_error(socket, "the handshake", &e)),
            Err(Failure::Daemon(message)) => Err(Error::other(format!(
                "cannot use the Nix daemon at '{}': {message}",
                socket.display()
            ))),
        }
    }

    /// The protocol version agreed with the daemon, as `(1, minor)`.
    pub fn protocol_version(&self) -> (u64, u64) {
        (1, self.conn.borrow().minor)
    }

    /// Sends request `op` (its arguments written by `send`), waits through
    /// the daemon's log frames and reads the answer with `receive`.
    fn request<T>(
        &self,
        op: Op,
        what: &str,
        send: impl FnOnce(&mut BufWriter<UnixStream>) -> io::Result<()>,
        receive: impl FnOnce(&mut BufReader<UnixStream>) -> io::Result<T>,
    ) -> Result<T> {
        let mut conn = self.conn.borrow_mut();
        let outcome = (|| -> Reply<T> {
            wire::write_u64(&mut conn.writer, op as u64)?;
            send(&mut conn.writer)?;
            conn.writer.flush()?;
            let minor = conn.minor;
            process_stderr(&mut conn.reader, minor)?;
            Ok(receive(&mut conn.reader)?)
        })();
        outcome.map_err(|failure| match failure {
            Failure::Io(e) => protocol_error(&self.socket, &format!("{op:?} of '{what}'"), &e),
            Failure::Daemon(message) => Error::other(format!(
                "the Nix daemon failed to {}: {message}",
                describe(op, what)
            )),
        })
    }

    /// `AddTextToStore`: a text file with references; returns its path.
    fn add_text(&self, name: &str, contents: &[u8], refs: &BTreeSet<String>) -> Result<String> {
        self.request(
            Op::AddTextToStore,
            name,
            |w| {
                wire::write_bytes(w, name.as_bytes())?;
                wire::write_bytes(w, contents)?;
                wire::write_strings(w, refs.iter())
            },
            wire::read_string,
        )
    }

    /// `AddToStore`: content-addressed data by `method` (`fixed:r:sha256`
    /// with a NAR, `fixed:sha256` with a file's contents); returns its path.
    fn add_dump(
        &self,
        name: &str,
        method: &str,
        refs: &BTreeSet<String>,
        dump: &[u8],
    ) -> Result<String> {
        let minor = self.conn.borrow().minor;
        self.request(
            Op::AddToStore,
            name,
            |w| {
                wire::write_bytes(w, name.as_bytes())?;
                wire::write_bytes(w, method.as_bytes())?;
                wire::write_strings(w, refs.iter())?;
                wire::write_u64(w, 0)?; // no repair
                wire::write_framed(w, dump)
            },
            |r| {
                let path = wire::read_string(r)?;
                read_path_info(r, minor)?;
                Ok(path)
            },
        )
    }

    fn simple(&self, op: Op, path: &str) -> Result<u64> {
        self.request(
            op,
            path,
            |w| wire::write_bytes(w, path.as_bytes()),
            wire::read_u64,
        )
    }
}

impl Store for DaemonStore {
    fn store_dir(&self) -> &str {
        &self.store_dir
    }

    fn add(&self, item: &StoreItem<'_>) -> Result<()> {
        if let Some(existing) = self.query_path_info(item.path)? {
            return check_same_contents(item, &existing);
        }
        let name = item
            .path
            .rsplit('/')
            .next()
            .and_then(|base| base.split_once('-'))
            .map(|(_, name)| name)
            .unwrap_or(item.path);
        let added = if item.ca.starts_with("text:") {
            let Node::Regular { contents, .. } = item.contents else {
                return Err(Error::other(format!(
                    "cannot add '{}' to the Nix store: a text is a single file",
                    item.path
                )));
            };
            self.add_text(name, contents, item.references)?
        } else if item.ca.starts_with("fixed:r:") {
            self.add_dump(
                name,
                "fixed:r:sha256",
                item.references,
                &item.contents.nar_bytes()?,
            )?
        } else {
            let Node::Regular { contents, .. } = item.contents else {
                return Err(Error::other(format!(
                    "cannot add '{}' to the Nix store: a flat path is a single file",
                    item.path
                )));
            };
            self.add_dump(name, "fixed:sha256", item.references, contents)?
        };
        if added != item.path {
            return Err(Error::other(format!(
                "the Nix daemon at '{}' stored '{}' as '{added}': its store directory is not '{}' (set NIX_STORE_DIR to the daemon's)",
                self.socket.display(),
                item.path,
                self.store_dir
            )));
        }
        Ok(())
    }

    fn is_valid(&self, path: &str) -> Result<bool> {
        Ok(self.simple(Op::IsValidPath, path)? != 0)
    }

    fn query_path_info(&self, path: &str) -> Result<Option<PathInfo>> {
        let minor = self.conn.borrow().minor;
        self.request(
            Op::QueryPathInfo,
            path,
            |w| wire::write_bytes(w, path.as_bytes()),
            |r| match wire::read_u64(r)? {
                0 => Ok(None),
                _ => read_path_info(r, minor).map(Some),
            },
        )
    }

    fn add_temp_root(&self, path: &str) -> Result<()> {
        self.simple(Op::AddTempRoot, path).map(drop)
    }

    fn add_indirect_root(&self, link: &Path) -> Result<()> {
        let link = link.to_str().ok_or_else(|| {
            Error::other(format!(
                "cannot register '{}' as a garbage-collector root: the daemon takes only UTF-8 names",
                link.display()
            ))
        })?;
        self.simple(Op::AddIndirectRoot, link).map(drop)
    }
}

/// The opening exchange: magic numbers, then versions. The daemon states
/// its version; the client answers with its own, and both speak the lower.
fn handshake(conn: &mut Connection) -> Reply<()> {
    wire::write_u64(&mut conn.writer, WORKER_MAGIC_1)?;
    conn.writer.flush()?;
    let magic = wire::read_u64(&mut conn.reader)?;
    if magic != WORKER_MAGIC_2 {
        return Err(Failure::Daemon(format!(
            "it is not a Nix daemon (it answered the greeting with {magic:#x})"
        )));
    }
    let version = wire::read_u64(&mut conn.reader)?;
    let (major, minor) = (version >> 8, version & 0xff);
    if major != 1 || minor < MIN_MINOR {
        return Err(Failure::Daemon(format!(
            "it speaks worker protocol {major}.{minor}, and Spindle speaks 1.{MIN_MINOR} to 1.{MAX_MINOR} (Nix 2.4 to 2.8; newer daemons accept 1.{MAX_MINOR})"
        )));
    }
    conn.minor = minor.min(MAX_MINOR);
    wire::write_u64(&mut conn.writer, 1 << 8 | MAX_MINOR)?;
    wire::write_u64(&mut conn.writer, 0)?; // no CPU affinity
    wire::write_u64(&mut conn.writer, 0)?; // no space reserved
    conn.writer.flush()?;
    if conn.minor >= 33 {
        let _daemon_nix_version = wire::read_string(&mut conn.reader)?;
    }
    process_stderr(&mut conn.reader, conn.minor)
}

/// Reads the daemon's frames up to `STDERR_LAST`: log lines are passed on
/// to standard error as Nix's own client does, activities are skipped,
/// and an error frame ends the request with the daemon's message.
fn process_stderr(r: &mut impl Read, minor: u64) -> Reply<()> {
    loop {
        match wire::read_u64(r)? {
            stderr::LAST => return Ok(()),
            stderr::NEXT => {
                let line = wire::read_string(r)?;
                eprint!("{}", crate::terminal::for_stderr(&line));
            }
            stderr::START_ACTIVITY => {
                let _id = wire::read_u64(r)?;
                let _level = wire::read_u64(r)?;
                let _kind = wire::read_u64(r)?;
                let _text = wire::read_string(r)?;
                skip_fields(r)?;
                let _parent = wire::read_u64(r)?;
            }
            stderr::STOP_ACTIVITY => {
                let _id = wire::read_u64(r)?;
            }
            stderr::RESULT => {
                let _id = wire::read_u64(r)?;
                let _kind = wire::read_u64(r)?;
                skip_fields(r)?;
            }
            stderr::ERROR => return Err(Failure::Daemon(read_error(r, minor)?)),
            frame @ (stderr::READ | stderr::WRITE) => {
                return Err(Failure::Io(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the daemon asked for a data transfer ({frame:#x}) no request of Spindle's makes"),
                )))
            }
            other => {
                return Err(Failure::Io(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unknown frame {other:#x}"),
                )))
            }
        }
    }
}

/// The fields of an activity or result: integers and strings.
fn skip_fields(r: &mut impl Read) -> io::Result<()> {
    for _ in 0..wire::read_u64(r)? {
        match wire::read_u64(r)? {
            0 => drop(wire::read_u64(r)?),
            1 => drop(wire::read_bytes(r)?),
            kind => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unknown field type {kind}"),
                ))
            }
        }
    }
    Ok(())
}

/// An error frame's message (with its trace), colours removed.
fn read_error(r: &mut impl Read, minor: u64) -> io::Result<String> {
    let mut message = if minor >= 26 {
        let _kind = wire::read_string(r)?; // "Error"
        let _level = wire::read_u64(r)?;
        let _name = wire::read_string(r)?;
        let message = wire::read_string(r)?;
        let _have_position = wire::read_u64(r)?;
        let mut message = message;
        for _ in 0..wire::read_u64(r)? {
            let _have_position = wire::read_u64(r)?;
            let hint = wire::read_string(r)?;
            message.push_str("\n… ");
            message.push_str(&hint);
        }
        message
    } else {
        let message = wire::read_string(r)?;
        let _status = wire::read_u64(r)?;
        message
    };
    message = crate::terminal::filter(&message, false);
    Ok(message.trim_end().trim_start_matches("error: ").to_string())
}

/// What a daemon records of a path, as `QueryPathInfo` and `AddToStore`
/// answer (after the path itself).
fn read_path_info(r: &mut impl Read, minor: u64) -> io::Result<PathInfo> {
    let deriver = wire::read_string(r)?;
    let hash = wire::read_string(r)?;
    let nar_hash = Hash::parse(&hash, Some(HashAlgo::Sha256)).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the daemon sent the NAR hash '{hash}'"),
        )
    })?;
    let references = wire::read_strings(r)?.into_iter().collect();
    let _registration_time = wire::read_u64(r)?;
    let nar_size = wire::read_u64(r)?;
    let mut ca = String::new();
    if minor >= 16 {
        let _ultimate = wire::read_u64(r)?;
        let _signatures = wire::read_strings(r)?;
        ca = wire::read_string(r)?;
    }
    Ok(PathInfo {
        nar_hash,
        nar_size,
        references,
        deriver: (!deriver.is_empty()).then_some(deriver),
        ca: (!ca.is_empty()).then_some(ca),
    })
}

/// What failing request `op` on `what` was doing, for its message.
fn describe(op: Op, what: &str) -> String {
    match op {
        Op::IsValidPath => format!("check whether '{what}' is valid"),
        Op::QueryPathInfo => format!("query '{what}'"),
        Op::AddToStore | Op::AddTextToStore => format!("add '{what}' to the store"),
        Op::AddTempRoot => format!("make '{what}' a temporary root"),
        Op::AddIndirectRoot => format!("register the root '{what}'"),
    }
}

/// Why the daemon could not be reached, in the terms a user acts on.
fn connect_error(socket: &Path, e: &io::Error) -> Error {
    let why = match e.kind() {
        io::ErrorKind::NotFound => {
            "the socket does not exist: is the Nix daemon running? (NIX_DAEMON_SOCKET_PATH names another socket)"
                .to_string()
        }
        io::ErrorKind::ConnectionRefused => {
            "connection refused: the Nix daemon is not running (the socket is left from an earlier one)"
                .to_string()
        }
        io::ErrorKind::PermissionDenied => {
            "permission denied: this user may not use the Nix daemon (the socket's permissions, or its directory's, keep it out)"
                .to_string()
        }
        _ => crate::context::io_message(e),
    };
    Error::other(format!(
        "cannot connect to the Nix daemon at '{}': {why}",
        socket.display()
    ))
}

/// A broken exchange with the daemon.
fn protocol_error(socket: &Path, during: &str, e: &io::Error) -> Error {
    let why = match e.kind() {
        io::ErrorKind::UnexpectedEof => "the daemon closed the connection".to_string(),
        _ => crate::context::io_message(e),
    };
    Error::other(format!(
        "the connection to the Nix daemon at '{}' failed during {during}: {why}",
        socket.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::wire;

    #[test]
    fn strings_are_padded_to_eight_bytes() {
        let mut out = Vec::new();
        wire::write_bytes(&mut out, b"abc").unwrap();
        assert_eq!(
            out,
            [3, 0, 0, 0, 0, 0, 0, 0, b'a', b'b', b'c', 0, 0, 0, 0, 0]
        );
        assert_eq!(wire::read_bytes(&mut &out[..]).unwrap(), b"abc");
    }

    #[test]
    fn frames_are_not_padded_and_end_empty() {
        let mut out = Vec::new();
        wire::write_framed(&mut out, b"abc").unwrap();
        assert_eq!(
            out,
            [3, 0, 0, 0, 0, 0, 0, 0, b'a', b'b', b'c', 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn an_absurd_length_is_refused() {
        let bytes = u64::MAX.to_le_bytes();
        assert!(wire::read_bytes(&mut &bytes[..]).is_err());
    }
}
