//! Path helpers shared by the compiler, the VM and the builtins.

use std::path::{Path, PathBuf};

use bstr::ByteSlice;

/// Nix's canonical form of an absolute path: no `.` or `..` components, no
/// repeated or trailing slashes. Paths are bytes, as on Unix.
pub fn canonicalise(path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for component in path.split(|&b| b == b'/') {
        match component {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    for p in &parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// [`canonicalise`] for text: splitting at slashes keeps UTF-8 intact.
pub fn canonicalise_str(path: &str) -> String {
    String::from_utf8(canonicalise(path.as_bytes())).expect("canonicalising keeps UTF-8")
}

/// `dirOf` for a path string: everything before the last slash.
pub fn dir_of(path: &[u8]) -> &[u8] {
    match path.rfind_byte(b'/') {
        Some(0) => b"/",
        Some(i) => &path[..i],
        None => b".",
    }
}

/// `baseNameOf`: the part after the last slash, ignoring one trailing slash.
pub fn base_name_of(path: &[u8]) -> &[u8] {
    let trimmed = path.strip_suffix(b"/").unwrap_or(path);
    match trimmed.rfind_byte(b'/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// [`canonicalise`] for an operating system's path.
pub fn canonical_os_path(path: &Path) -> PathBuf {
    os_path(&canonicalise(path_bytes(path)))
}

/// The operating system's path for the bytes of a Nix path.
#[cfg(unix)]
pub fn os_path(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

/// [`base_name_of`] for text: the part after a slash of UTF-8 is UTF-8.
pub fn base_name_of_str(path: &str) -> &str {
    let base = base_name_of(path.as_bytes());
    // `base` lies within `path`: find where.
    let start = base.as_ptr() as usize - path.as_ptr() as usize;
    &path[start..start + base.len()]
}

/// The operating system's path for the bytes of a Nix path (bytes that are
/// not UTF-8 cannot name a file here).
#[cfg(not(unix))]
pub fn os_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(bytes.to_str_lossy().into_owned())
}

/// The bytes of an operating system's path, as a Nix path holds them.
#[cfg(unix)]
pub fn path_bytes(path: &Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes()
}

/// The bytes of an operating system's path, as a Nix path holds them.
#[cfg(not(unix))]
pub fn path_bytes(path: &Path) -> &[u8] {
    path.to_str().map(str::as_bytes).unwrap_or(b"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalise_removes_dots_and_slashes() {
        assert_eq!(canonicalise(b"/a/./b//c/../d/"), b"/a/b/d");
        assert_eq!(canonicalise(b"/.."), b"/");
        assert_eq!(canonicalise(b"/"), b"/");
        assert_eq!(canonicalise(b"/a\xff/./b"), b"/a\xff/b");
    }

    #[test]
    fn dir_and_base_names() {
        assert_eq!(dir_of(b"/a/b"), b"/a");
        assert_eq!(dir_of(b"/a"), b"/");
        assert_eq!(dir_of(b"a"), b".");
        assert_eq!(base_name_of(b"/a/b/"), b"b");
        assert_eq!(base_name_of(b"/a/b"), b"b");
        assert_eq!(base_name_of(b"/a/\xc3"), b"\xc3");
        assert_eq!(base_name_of_str("/a/ü/"), "ü");
        assert_eq!(base_name_of_str("ü"), "ü");
    }
}
