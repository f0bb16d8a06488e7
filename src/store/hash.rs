//! Hashes as Nix writes and reads them: base-16, Nix's own base-32,
//! base-64 and SRI, plus the XOR-fold that shortens a hash for a store path.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The hash algorithms Nix knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgo {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl HashAlgo {
    /// Parses `"md5"`, `"sha1"`, `"sha256"` or `"sha512"`.
    pub fn parse(name: &str) -> Option<HashAlgo> {
        match name {
            "md5" => Some(HashAlgo::Md5),
            "sha1" => Some(HashAlgo::Sha1),
            "sha256" => Some(HashAlgo::Sha256),
            "sha512" => Some(HashAlgo::Sha512),
            _ => None,
        }
    }

    /// The name Nix prints.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgo::Md5 => "md5",
            HashAlgo::Sha1 => "sha1",
            HashAlgo::Sha256 => "sha256",
            HashAlgo::Sha512 => "sha512",
        }
    }

    /// The digest size in bytes.
    pub fn size(self) -> usize {
        match self {
            HashAlgo::Md5 => 16,
            HashAlgo::Sha1 => 20,
            HashAlgo::Sha256 => 32,
            HashAlgo::Sha512 => 64,
        }
    }
}

/// A digest together with its algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hash {
    /// The algorithm.
    pub algo: HashAlgo,
    /// The digest, `algo.size()` bytes.
    pub bytes: Vec<u8>,
}

impl Hash {
    /// The SHA-256 of `data`.
    pub fn sha256(data: &[u8]) -> Hash {
        Hash {
            algo: HashAlgo::Sha256,
            bytes: Sha256::digest(data).to_vec(),
        }
    }

    /// Lower-case base-16, without the algorithm.
    pub fn to_base16(&self) -> String {
        to_base16(&self.bytes)
    }

    /// Nix base-32, without the algorithm.
    pub fn to_base32(&self) -> String {
        to_base32(&self.bytes)
    }

    /// `algo:<Nix base-32>`, as content addresses write it.
    pub fn to_typed_base32(&self) -> String {
        format!("{}:{}", self.algo.name(), self.to_base32())
    }

    /// Parses a hash the way a derivation's `outputHash` or `builtins.path`'s
    /// `sha256` is read: SRI (`sha256-…`), `algo:digest`, or a bare digest in
    /// base-16, base-32 or base-64 when the algorithm is known from context.
    /// An empty string stands for the all-zero hash of that algorithm.
    pub fn parse_allow_empty(text: &str, algo: Option<HashAlgo>) -> Result<Hash> {
        if text.is_empty() {
            let Some(algo) = algo else {
                return Err(Error::other(
                    "empty hash requires explicit hash type".to_string(),
                ));
            };
            return Ok(Hash {
                algo,
                bytes: vec![0; algo.size()],
            });
        }
        Hash::parse(text, algo)
    }

    /// Parses a non-empty hash; see [`Hash::parse_allow_empty`].
    pub fn parse(text: &str, algo: Option<HashAlgo>) -> Result<Hash> {
        let (prefix, rest, is_sri) = split_algo_prefix(text);
        let algo = match (prefix, algo) {
            (Some(p), expected) => {
                let parsed = HashAlgo::parse(p)
                    .ok_or_else(|| Error::other(format!("unknown hash algorithm '{p}'")))?;
                if let Some(e) = expected {
                    if e != parsed {
                        return Err(Error::other(format!(
                            "hash '{text}' should have type '{}'",
                            e.name()
                        )));
                    }
                }
                parsed
            }
            (None, Some(a)) => a,
            (None, None) => {
                return Err(Error::other(format!(
                    "hash '{text}' does not include a type, nor is the type otherwise known from context"
                )))
            }
        };
        let bytes = if is_sri {
            decode_base64(rest).filter(|b| b.len() == algo.size())
        } else {
            decode_any(rest, algo.size())
        };
        match bytes {
            Some(bytes) => Ok(Hash { algo, bytes }),
            None if is_sri => Err(Error::other(format!("invalid SRI hash '{text}'"))),
            None => Err(Error::other(format!(
                "hash '{text}' has wrong length for hash type '{}'",
                algo.name()
            ))),
        }
    }
}

/// Splits `algo:digest` or `algo-digest` (SRI); the flag says SRI.
fn split_algo_prefix(text: &str) -> (Option<&str>, &str, bool) {
    if let Some((p, rest)) = text.split_once(':') {
        return (Some(p), rest, false);
    }
    if let Some((p, rest)) = text.split_once('-') {
        return (Some(p), rest, true);
    }
    (None, text, false)
}

/// Decodes a digest of `size` bytes, telling the encoding by its length.
fn decode_any(text: &str, size: usize) -> Option<Vec<u8>> {
    if text.len() == size * 2 {
        decode_base16(text)
    } else if text.len() == base32_len(size) {
        decode_base32(text).filter(|b| b.len() == size)
    } else if text.len() == size.div_ceil(3) * 4 {
        decode_base64(text).filter(|b| b.len() == size)
    } else {
        None
    }
}

const BASE16: &[u8; 16] = b"0123456789abcdef";

/// Lower-case base-16.
pub fn to_base16(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(BASE16[(b >> 4) as usize] as char);
        out.push(BASE16[(b & 0xf) as usize] as char);
    }
    out
}

fn decode_base16(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(*pair.get(1)?)?))
        .collect()
}

/// Nix's base-32 alphabet: digits and letters without e, o, u and t.
const BASE32: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";

/// The length of the base-32 form of `size` bytes.
pub fn base32_len(size: usize) -> usize {
    (size * 8).div_ceil(5)
}

/// Nix's base-32: five bits a character, least significant bits last, so
/// the string reads the digest backwards.
pub fn to_base32(bytes: &[u8]) -> String {
    let len = base32_len(bytes.len());
    let mut out = String::with_capacity(len);
    for n in (0..len).rev() {
        let bit = n * 5;
        let (i, j) = (bit / 8, bit % 8);
        let low = bytes[i] >> j;
        let high = match bytes.get(i + 1) {
            Some(next) if j > 3 => next << (8 - j),
            _ => 0,
        };
        out.push(BASE32[((low | high) & 0x1f) as usize] as char);
    }
    out
}

/// Decodes Nix base-32; `None` for a bad character or stray high bits.
pub fn decode_base32(text: &str) -> Option<Vec<u8>> {
    let size = text.len() * 5 / 8;
    let mut bytes = vec![0u8; size];
    for (n, c) in text.bytes().rev().enumerate() {
        let digit = BASE32.iter().position(|&b| b == c)? as u16;
        let bit = n * 5;
        let (i, j) = (bit / 8, bit % 8);
        let shifted = digit << j;
        *bytes.get_mut(i)? |= shifted as u8;
        let carry = (shifted >> 8) as u8;
        match bytes.get_mut(i + 1) {
            Some(b) => *b |= carry,
            None if carry != 0 => return None,
            None => {}
        }
    }
    Some(bytes)
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let trimmed = text.trim_end_matches('=');
    if !text.len().is_multiple_of(4) || text.len() - trimmed.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in trimmed.bytes() {
        acc = acc << 6 | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Folds `hash` into `size` bytes by XOR, as store path hashes are made.
pub fn compress(hash: &[u8], size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    for (i, b) in hash.iter().enumerate() {
        out[i % size] ^= b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_nix() {
        // `nix-hash --type sha256 --to-base32` of the SHA-256 of "".
        let h = Hash::sha256(b"");
        assert_eq!(
            h.to_base32(),
            "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"
        );
        assert_eq!(decode_base32(&h.to_base32()).unwrap(), h.bytes);
    }

    #[test]
    fn parses_every_encoding() {
        let h = Hash::sha256(b"");
        let b16 = format!("sha256:{}", h.to_base16());
        let sri = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        assert_eq!(Hash::parse(&b16, None).unwrap(), h);
        assert_eq!(Hash::parse(sri, None).unwrap(), h);
        assert_eq!(
            Hash::parse(&h.to_base32(), Some(HashAlgo::Sha256)).unwrap(),
            h
        );
        assert!(Hash::parse("abc", None).is_err());
        assert!(Hash::parse("sha256:abc", None).is_err());
    }

    #[test]
    fn compress_folds() {
        assert_eq!(compress(&[1, 2, 3, 4], 2), vec![1 ^ 3, 2 ^ 4]);
    }
}
