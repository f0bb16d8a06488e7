//! Hashing: `hashString`, `hashFile` and `convertHash`, with Nix's hash
//! encodings (base-16, Nix's own base-32, base-64 and SRI).

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::symbol::Symbol;
use crate::value::{Builtin, Value};

use super::context::force_string_no_context;

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("hashString" / 2 => Plain(hash_string)),
    builtin!("hashFile" / 2 => Plain(hash_file), generator CoerceFirst(PathInterpolation)),
    builtin!("convertHash" / 1 => Plain(convert_hash)),
];

/// A hash algorithm Nix knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Algo {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Algo {
    /// Parses an algorithm name (`"sha256"`, …).
    pub(crate) fn parse(name: &str) -> Option<Algo> {
        match name {
            "md5" => Some(Algo::Md5),
            "sha1" => Some(Algo::Sha1),
            "sha256" => Some(Algo::Sha256),
            "sha512" => Some(Algo::Sha512),
            _ => None,
        }
    }

    /// Parses an algorithm name, failing with Nix's message.
    fn parse_or_fail(name: &str) -> Result<Algo> {
        Algo::parse(name).ok_or_else(|| {
            Error::other(format!(
                "unknown hash algorithm '{name}', expect 'md5', 'sha1', 'sha256', or 'sha512'"
            ))
        })
    }

    /// The name, as in SRI hashes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Algo::Md5 => "md5",
            Algo::Sha1 => "sha1",
            Algo::Sha256 => "sha256",
            Algo::Sha512 => "sha512",
        }
    }

    /// The digest size in bytes.
    fn size(self) -> usize {
        match self {
            Algo::Md5 => 16,
            Algo::Sha1 => 20,
            Algo::Sha256 => 32,
            Algo::Sha512 => 64,
        }
    }

    /// Hashes `data`.
    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Algo::Md5 => Md5::digest(data).to_vec(),
            Algo::Sha1 => Sha1::digest(data).to_vec(),
            Algo::Sha256 => Sha256::digest(data).to_vec(),
            Algo::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

fn hash_string<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let algo = force_string_no_context(vm, &args[0])?;
    // A name that is not UTF-8 names no algorithm: the error says so.
    let algo = Algo::parse_or_fail(&algo.to_str_lossy())?;
    // The context of the hashed string is dropped; its bytes are hashed.
    let s = vm.force_string(args[1].clone())?;
    Ok(Value::string(base16(&algo.digest(s.as_bytes()))))
}

fn hash_file<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let algo = force_string_no_context(vm, &args[0])?;
    let algo = Algo::parse_or_fail(&algo.to_str_lossy())?;
    let path = super::io::path_arg(vm, &args[1])?;
    let data = vm.context().io.read_file(&path).map_err(|e| {
        Error::from_io(&e, || {
            format!(
                "opening file '{}': {}",
                path.display(),
                crate::context::io_message(&e)
            )
        })
    })?;
    Ok(Value::string(base16(&algo.digest(&data))))
}

/// `convertHash { hash; hashAlgo ? …; toHashFormat; }`.
fn convert_hash<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let attrs = vm.force_attrs(args[0].clone())?;
    let hash = vm.select(Value::Attrs(attrs.clone()), Symbol::intern("hash"))?;
    let hash = force_string_no_context(vm, &hash)?;
    let algo = match attrs.get(Symbol::intern("hashAlgo")) {
        Some(v) => Some(Algo::parse_or_fail(
            &force_string_no_context(vm, v)?.to_str_lossy(),
        )?),
        None => None,
    };
    let format = vm.select(Value::Attrs(attrs.clone()), Symbol::intern("toHashFormat"))?;
    let format = force_string_no_context(vm, &format)?;
    let format = match &*format.to_str_lossy() {
        "base16" => Format::Base16,
        "nix32" => Format::Nix32,
        "base32" => {
            vm.context()
                .io
                .warn("warning: \"base32\" is a deprecated alias for hash format \"nix32\".");
            Format::Nix32
        }
        "base64" => Format::Base64,
        "sri" => Format::Sri,
        other => {
            return Err(Error::other(format!(
            "unknown hash format '{other}', expect 'base16', 'base32', 'nix32', 'base64', or 'sri'"
        )))
        }
    };
    let (algo, bytes) = parse_any_hash(&hash.to_str_lossy(), algo)?;
    Ok(Value::string(format.render(algo, &bytes)))
}

/// An output encoding for hashes.
#[derive(Clone, Copy)]
enum Format {
    Base16,
    Nix32,
    Base64,
    Sri,
}

impl Format {
    fn render(self, algo: Algo, bytes: &[u8]) -> String {
        match self {
            Format::Base16 => base16(bytes),
            Format::Nix32 => nix32(bytes),
            Format::Base64 => data_encoding::BASE64.encode(bytes),
            Format::Sri => format!("{}-{}", algo.name(), data_encoding::BASE64.encode(bytes)),
        }
    }
}

/// Parses a hash in any of Nix's notations: `algo:body`, SRI `algo-base64`,
/// or a bare body when the algorithm is given. The body's encoding follows
/// from its length.
pub(crate) fn parse_any_hash(text: &str, algo: Option<Algo>) -> Result<(Algo, Vec<u8>)> {
    let (prefix, body, sri) = match text.split_once(':') {
        Some((p, b)) => (Some(p), b, false),
        None => match text.split_once('-') {
            Some((p, b)) => (Some(p), b, true),
            None => (None, text, false),
        },
    };
    let parsed = prefix.map(Algo::parse_or_fail).transpose()?;
    let algo = match (parsed, algo) {
        (None, None) => {
            return Err(Error::other(format!(
            "hash '{body}' does not include a type, nor is the type otherwise known from context"
        )))
        }
        (Some(p), Some(a)) if p != a => {
            return Err(Error::other(format!(
                "hash '{text}' should have type '{}'",
                a.name()
            )))
        }
        (Some(a), _) | (None, Some(a)) => a,
    };
    let size = algo.size();
    let bad = |kind: &str| Error::other(format!("invalid {kind} hash '{body}'"));
    let bytes = if !sri && body.len() == size * 2 {
        decode_base16(body).ok_or_else(|| bad("base-16"))?
    } else if !sri && body.len() == nix32_len(size) {
        decode_nix32(body, size).ok_or_else(|| bad("base-32"))?
    } else if sri || body.len() == base64_len(size) {
        decode_base64(body)
            .filter(|b| b.len() == size)
            .ok_or_else(|| bad(if sri { "SRI" } else { "base-64" }))?
    } else {
        return Err(Error::other(format!(
            "hash '{body}' has wrong length for hash algorithm '{}'",
            algo.name()
        )));
    };
    Ok((algo, bytes))
}

/// Lower-case hexadecimal.
pub(crate) fn base16(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

fn decode_base16(text: &str) -> Option<Vec<u8>> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .ok()
}

/// Nix's base-32 alphabet (no `e`, `o`, `t`, `u`).
const NIX32: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";

fn nix32_len(size: usize) -> usize {
    (size * 8 - 1) / 5 + 1
}

fn base64_len(size: usize) -> usize {
    (4 * size).div_ceil(3).next_multiple_of(4)
}

/// Nix's base-32: five bits per character, taken from the end of the
/// digest first, least significant bits first.
pub(crate) fn nix32(bytes: &[u8]) -> String {
    let len = nix32_len(bytes.len());
    (0..len)
        .rev()
        .map(|n| {
            let bit = n * 5;
            let (i, j) = (bit / 8, bit % 8);
            let low = u32::from(bytes[i]) >> j;
            let high = bytes.get(i + 1).map_or(0, |&b| u32::from(b) << (8 - j));
            NIX32[((low | high) & 0x1f) as usize] as char
        })
        .collect()
}

/// The inverse of [`nix32`]; `None` for a bad character or for bits beyond
/// the digest.
fn decode_nix32(text: &str, size: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; size];
    for (n, c) in text.bytes().rev().enumerate() {
        let digit = NIX32.iter().position(|&d| d == c)? as u32;
        let bit = n * 5;
        let (i, j) = (bit / 8, bit % 8);
        out[i] |= (digit << j) as u8;
        let carry = digit >> (8 - j);
        if i + 1 < size {
            out[i + 1] |= carry as u8;
        } else if carry != 0 {
            return None;
        }
    }
    Some(out)
}

/// Base-64 decoding as lenient as Nix's: it stops at the first `=`, skips
/// newlines and drops leftover bits.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let value = match c {
            b'=' => break,
            b'\n' => continue,
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nix32_round_trip() {
        let digest = Algo::Sha256.digest(b"");
        let text = nix32(&digest);
        assert_eq!(text, "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73");
        assert_eq!(decode_nix32(&text, 32).unwrap(), digest);
    }

    #[test]
    fn parses_every_notation() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e";
        let (algo, bytes) = parse_any_hash(&format!("md5:{md5}"), None).unwrap();
        assert_eq!((algo, base16(&bytes)), (Algo::Md5, md5.to_string()));
        let (_, bytes) = parse_any_hash("md5-1B2M2Y8AsgTpgAmY7PhCfg==", None).unwrap();
        assert_eq!(base16(&bytes), md5);
        let (_, bytes) = parse_any_hash("3y8bwfr609h3lh9ch0izcqq7fl", Some(Algo::Md5)).unwrap();
        assert_eq!(base16(&bytes), md5);
        assert!(parse_any_hash(md5, None).is_err());
        assert!(parse_any_hash(&format!("sha1:{md5}"), Some(Algo::Md5)).is_err());
    }
}
