//! Flake references: `parseFlakeRef` and `flakeRefToString`.
//!
//! A flake reference is a URL-like string (`github:NixOS/nixpkgs/23.05?dir=lib`)
//! or, equivalently, a set of attributes (`{ type = "github"; owner = …; }`).
//! These builtins convert between the two for the common input types:
//! `github`, `gitlab`, `sourcehut`, `indirect`, `path`, `git`, `hg`,
//! `tarball` and `file`. Nothing is fetched or looked up.

use std::collections::BTreeMap;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::symbol::Symbol;
use crate::value::{Attrs, Builtin, Value};

use super::context::force_string_no_context;

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("parseFlakeRef" / 1 => Plain(parse_flake_ref)),
    builtin!("flakeRefToString" / 1 => Plain(flake_ref_to_string), generator DeepFirst),
];

/// The value of one flake-reference attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Field {
    Str(String),
    Int(u64),
    Bool(bool),
}

impl Field {
    fn to_value(&self) -> Value {
        match self {
            Field::Str(s) => Value::string(s.as_str()),
            Field::Int(i) => Value::Int(*i as i64),
            Field::Bool(b) => Value::Bool(*b),
        }
    }

    /// The form the attribute takes in a URL query.
    fn to_query(&self) -> String {
        match self {
            Field::Str(s) => s.clone(),
            Field::Int(i) => i.to_string(),
            Field::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        }
    }
}

type Fields = BTreeMap<String, Field>;

fn parse_flake_ref<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let text = force_string_no_context(vm, &args[0])?;
    let fields = parse(text.utf8()?)?;
    let entries = fields
        .iter()
        .map(|(k, v)| (Symbol::intern(k), v.to_value()))
        .collect();
    Ok(Value::Attrs(Attrs::from_unsorted(entries)))
}

fn flake_ref_to_string<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let attrs = vm.force_attrs(args[0].clone())?;
    let mut fields = Fields::new();
    for (name, value) in attrs.sorted_entries() {
        // A flake reference is a URL: text.
        let name = crate::value::utf8(&name)?;
        let field = match vm.force(value.clone())? {
            Value::Int(i) if i < 0 => {
                return Err(Error::other(format!(
                    "negative value given for flake ref attr {name}: {i}"
                )))
            }
            Value::Int(i) => Field::Int(i as u64),
            Value::Bool(b) => Field::Bool(b),
            Value::String(s) => Field::Str(s.utf8()?.to_string()),
            other => {
                return Err(Error::other(format!(
                    "flake reference attribute sets may only contain integers, Booleans, and strings, but attribute '{name}' is {}",
                    other.type_phrase()
                )))
            }
        };
        fields.insert(name.to_string(), field);
    }
    Ok(Value::string(to_url(fields)?))
}

// ---- parsing -----------------------------------------------------------------

/// The attributes a flake reference stands for.
fn parse(text: &str) -> Result<Fields> {
    if let Some((_, fragment)) = text.split_once('#') {
        return Err(Error::other(format!(
            "unexpected fragment '{fragment}' in flake reference '{text}'"
        )));
    }
    let (base, query) = match text.split_once('?') {
        Some((b, q)) => (b, parse_query(q)?),
        None => (text, Vec::new()),
    };
    let mut fields = if base.starts_with('/') {
        path_fields(text, base, &query)?
    } else if base.starts_with('.') {
        return Err(Error::other(format!(
            "cannot parse the relative flake reference '{text}' without a base directory"
        )));
    } else {
        match base.split_once(':') {
            None => indirect_fields(text, base, &query)?,
            Some((scheme, rest)) => scheme_fields(text, scheme, rest, &query)?,
        }
    };
    if let Some((_, dir)) = query.iter().find(|(k, _)| k == "dir") {
        if !dir.is_empty() {
            fields.insert("dir".into(), Field::Str(dir.clone()));
        }
    }
    Ok(fields)
}

fn parse_query(query: &str) -> Result<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

fn percent_decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Error::other(format!("invalid URI parameter '{s}'")))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn is_rev(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_ref(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.contains("..")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/+@".contains(&b))
}

fn fields_of(pairs: &[(&str, Field)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Query parameters a type accepts as its own attributes: integers,
/// Booleans, and the rest strings.
fn add_query_fields(fields: &mut Fields, query: &[(String, String)], allowed: &[&str]) {
    for (k, v) in query {
        if !allowed.contains(&k.as_str()) {
            continue;
        }
        let field = match k.as_str() {
            "lastModified" | "revCount" | "depth" => match v.parse() {
                Ok(n) => Field::Int(n),
                Err(_) => Field::Str(v.clone()),
            },
            "submodules" | "shallow" | "allRefs" | "exportIgnore" | "lfs" => {
                Field::Bool(v == "1" || v == "true")
            }
            _ => Field::Str(v.clone()),
        };
        fields.insert(k.clone(), field);
    }
}

/// `github:owner/repo[/ref-or-rev]` and its GitLab and SourceHut siblings.
fn forge_fields(
    text: &str,
    scheme: &str,
    path: &str,
    query: &[(String, String)],
) -> Result<Fields> {
    let parts: Vec<&str> = path.split('/').collect();
    let invalid = || Error::other(format!("URL '{text}' is invalid"));
    let (owner, repo, rest) = match parts.as_slice() {
        [o, r] => (*o, *r, None),
        [o, r, x] => (*o, *r, Some(*x)),
        _ => return Err(invalid()),
    };
    if owner.is_empty() || repo.is_empty() {
        return Err(invalid());
    }
    let mut fields = fields_of(&[
        ("type", Field::Str(scheme.into())),
        ("owner", Field::Str(owner.into())),
        ("repo", Field::Str(repo.into())),
    ]);
    match rest {
        Some(r) if is_rev(r) => {
            fields.insert("rev".into(), Field::Str(r.into()));
        }
        Some(r) if is_ref(r) => {
            fields.insert("ref".into(), Field::Str(r.into()));
        }
        Some(_) => return Err(invalid()),
        None => {}
    }
    for (k, v) in query {
        match k.as_str() {
            "rev" | "ref" if fields.contains_key("rev") || fields.contains_key("ref") => {
                return Err(Error::other(format!(
                    "URL '{text}' contains multiple commit hashes or branch/tag names"
                )))
            }
            "rev" | "ref" | "host" | "narHash" => {
                fields.insert(k.clone(), Field::Str(v.clone()));
            }
            _ => {}
        }
    }
    Ok(fields)
}

/// `nixpkgs`, `nixpkgs/branch`, `flake:nixpkgs/branch/rev`.
fn indirect_fields(text: &str, path: &str, query: &[(String, String)]) -> Result<Fields> {
    let parts: Vec<&str> = path.split('/').collect();
    let id = parts[0];
    let valid_id = id.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid_id || parts.len() > 3 {
        return Err(Error::other(format!(
            "'{text}' is not a valid flake reference"
        )));
    }
    let mut fields = fields_of(&[
        ("type", Field::Str("indirect".into())),
        ("id", Field::Str(id.into())),
    ]);
    for part in &parts[1..] {
        let key = if is_rev(part) { "rev" } else { "ref" };
        if !is_ref(part) || fields.contains_key(key) {
            return Err(Error::other(format!(
                "'{text}' is not a valid flake reference"
            )));
        }
        fields.insert(key.into(), Field::Str(part.to_string()));
    }
    add_query_fields(&mut fields, query, &["ref", "rev", "narHash"]);
    Ok(fields)
}

/// `path:/some/dir` or `/some/dir`.
fn path_fields(text: &str, path: &str, query: &[(String, String)]) -> Result<Fields> {
    if !path.starts_with('/') {
        return Err(Error::other(format!(
            "flake reference '{text}' is not an absolute path"
        )));
    }
    let mut fields = fields_of(&[
        ("type", Field::Str("path".into())),
        ("path", Field::Str(crate::path::canonicalise_str(path))),
    ]);
    add_query_fields(
        &mut fields,
        query,
        &["lastModified", "narHash", "rev", "revCount"],
    );
    Ok(fields)
}

/// The attributes for a reference with a URL scheme.
fn scheme_fields(
    text: &str,
    scheme: &str,
    rest: &str,
    query: &[(String, String)],
) -> Result<Fields> {
    match scheme {
        "github" | "gitlab" | "sourcehut" => forge_fields(text, scheme, rest, query),
        "flake" => indirect_fields(text, rest, query),
        "path" => path_fields(text, rest, query),
        _ => url_fields(text, scheme, rest, query),
    }
}

/// `git+https://…`, `hg+…`, `tarball+…`, `file+…`, and plain URLs of
/// archives or files.
fn url_fields(text: &str, scheme: &str, rest: &str, query: &[(String, String)]) -> Result<Fields> {
    let (kind, transport) = match scheme.split_once('+') {
        Some((kind, transport)) => (kind, transport),
        None if scheme == "git" => ("git", "git"),
        None if matches!(scheme, "http" | "https" | "file") => {
            let kind = if has_archive_extension(rest) {
                "tarball"
            } else {
                "file"
            };
            (kind, scheme)
        }
        None => return Err(unsupported(text)),
    };
    let allowed: &[&str] = match kind {
        "git" => &[
            "ref",
            "rev",
            "shallow",
            "submodules",
            "allRefs",
            "lastModified",
            "revCount",
            "narHash",
            "exportIgnore",
            "lfs",
        ],
        "hg" => &["ref", "rev", "revCount", "narHash"],
        "tarball" | "file" => &["narHash", "rev", "revCount", "lastModified"],
        _ => return Err(unsupported(text)),
    };
    // Parameters that are not the input's own stay part of its URL.
    let kept: Vec<String> = query
        .iter()
        .filter(|(k, _)| !allowed.contains(&k.as_str()) && k != "dir")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let mut url = format!("{transport}:{rest}");
    if !kept.is_empty() {
        url.push('?');
        url.push_str(&kept.join("&"));
    }
    let mut fields = fields_of(&[("type", Field::Str(kind.into())), ("url", Field::Str(url))]);
    add_query_fields(&mut fields, query, allowed);
    Ok(fields)
}

fn unsupported(text: &str) -> Error {
    Error::other(format!("input '{text}' is unsupported"))
}

fn has_archive_extension(path: &str) -> bool {
    [
        ".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst",
    ]
    .iter()
    .any(|ext| path.ends_with(ext))
}

// ---- printing ----------------------------------------------------------------

/// The URL form of a flake reference given by its attributes.
fn to_url(mut fields: Fields) -> Result<String> {
    let dir = match fields.remove("dir") {
        Some(Field::Str(d)) => Some(d),
        Some(_) => return Err(Error::other("attribute 'dir' should be a string")),
        None => None,
    };
    let kind = match fields.remove("type") {
        Some(Field::Str(t)) => t,
        Some(_) => return Err(Error::other("attribute 'type' should be a string")),
        None => return Err(Error::other("flake reference has no 'type' attribute")),
    };
    let (mut url, mut query) = match kind.as_str() {
        "github" | "gitlab" | "sourcehut" => forge_url(&kind, &mut fields)?,
        "indirect" => {
            let mut path = take_str(&mut fields, "id")?;
            for key in ["ref", "rev"] {
                if let Some(v) = take_opt_str(&mut fields, key)? {
                    path.push('/');
                    path.push_str(&v);
                }
            }
            (format!("flake:{path}"), BTreeMap::new())
        }
        "path" => (
            format!("path:{}", take_str(&mut fields, "path")?),
            BTreeMap::new(),
        ),
        "git" | "hg" | "tarball" | "file" => {
            let url = take_str(&mut fields, "url")?;
            let url = match kind.as_str() {
                "git" if url.starts_with("git:") => url,
                "tarball" if has_archive_extension(url.split('?').next().unwrap_or("")) => url,
                "file" if !has_archive_extension(url.split('?').next().unwrap_or("")) => url,
                _ => format!("{kind}+{url}"),
            };
            (url, BTreeMap::new())
        }
        other => {
            return Err(Error::other(format!(
                "input type '{other}' is not supported"
            )))
        }
    };
    for (k, v) in fields {
        query.insert(k, v.to_query());
    }
    if let Some(dir) = dir.filter(|d| !d.is_empty()) {
        query.insert("dir".into(), dir);
    }
    if !query.is_empty() {
        let (base, existing) = match url.split_once('?') {
            Some((b, e)) => (b.to_string(), Some(e.to_string())),
            None => (url.clone(), None),
        };
        let mut parts: Vec<String> = existing.into_iter().collect();
        parts.extend(
            query
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v))),
        );
        url = format!("{base}?{}", parts.join("&"));
    }
    Ok(url)
}

/// `github:owner/repo[/ref-or-rev]`; `host` and `narHash` go to the query.
fn forge_url(kind: &str, fields: &mut Fields) -> Result<(String, BTreeMap<String, String>)> {
    let owner = take_str(fields, "owner")?;
    let repo = take_str(fields, "repo")?;
    let reference = take_opt_str(fields, "ref")?;
    let rev = take_opt_str(fields, "rev")?;
    if reference.is_some() && rev.is_some() {
        return Err(Error::other(format!(
            "{kind} input cannot have both a branch/tag name and a commit hash"
        )));
    }
    let mut url = format!("{kind}:{owner}/{repo}");
    if let Some(r) = reference.or(rev) {
        url.push('/');
        url.push_str(&r);
    }
    let mut query = BTreeMap::new();
    for key in ["host", "narHash"] {
        if let Some(v) = take_opt_str(fields, key)? {
            query.insert(key.to_string(), v);
        }
    }
    if let Some(extra) = fields.keys().next() {
        return Err(Error::other(format!(
            "unsupported {kind} input attribute '{extra}'"
        )));
    }
    Ok((url, query))
}

fn take_opt_str(fields: &mut Fields, key: &str) -> Result<Option<String>> {
    match fields.remove(key) {
        None => Ok(None),
        Some(Field::Str(s)) => Ok(Some(s)),
        Some(_) => Err(Error::other(format!(
            "attribute '{key}' should be a string"
        ))),
    }
}

fn take_str(fields: &mut Fields, key: &str) -> Result<String> {
    take_opt_str(fields, key)?.ok_or_else(|| Error::other(format!("attribute '{key}' missing")))
}

/// Percent-encodes a query key or value, keeping what URLs allow there.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@/?".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        to_url(parse(text).unwrap()).unwrap()
    }

    #[test]
    fn github() {
        let fields = parse("github:NixOS/nixpkgs/23.05?dir=lib").unwrap();
        assert_eq!(fields.get("ref"), Some(&Field::Str("23.05".into())));
        assert_eq!(fields.get("dir"), Some(&Field::Str("lib".into())));
        assert_eq!(
            round_trip("github:NixOS/nixpkgs/23.05?dir=lib"),
            "github:NixOS/nixpkgs/23.05?dir=lib"
        );
    }

    #[test]
    fn other_kinds() {
        assert_eq!(round_trip("nixpkgs"), "flake:nixpkgs");
        assert_eq!(round_trip("/foo/./bar"), "path:/foo/bar");
        assert_eq!(
            round_trip("git+https://example.org/x.git?ref=main"),
            "git+https://example.org/x.git?ref=main"
        );
        assert_eq!(
            round_trip("https://example.org/x.tar.gz"),
            "https://example.org/x.tar.gz"
        );
        assert!(parse("github:NixOS").is_err());
        assert!(parse("foo:bar").is_err());
        assert!(parse("nixpkgs#hello").is_err());
    }
}
