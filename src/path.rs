//! Path helpers shared by the compiler, the VM and the builtins.

/// Nix's canonical form of an absolute path: no `.` or `..` components, no
/// repeated or trailing slashes.
pub fn canonicalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(path.len());
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// `dirOf` for a path string: everything before the last slash.
pub fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

/// `baseNameOf`: the part after the last slash, ignoring one trailing slash.
pub fn base_name_of(path: &str) -> &str {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalise_removes_dots_and_slashes() {
        assert_eq!(canonicalise("/a/./b//c/../d/"), "/a/b/d");
        assert_eq!(canonicalise("/.."), "/");
        assert_eq!(canonicalise("/"), "/");
    }

    #[test]
    fn dir_and_base_names() {
        assert_eq!(dir_of("/a/b"), "/a");
        assert_eq!(dir_of("/a"), "/");
        assert_eq!(dir_of("a"), ".");
        assert_eq!(base_name_of("/a/b/"), "b");
        assert_eq!(base_name_of("/a/b"), "b");
    }
}
