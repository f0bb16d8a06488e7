//! Package names and versions: `compareVersions`, `splitVersion` and
//! `parseDrvName`.

use std::cmp::Ordering;

use crate::engine::Engine;
use crate::error::Result;
use crate::value::{Builtin, Value};

use super::attrs_of;
use super::context::force_string_no_context;

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("compareVersions" / 2 => Plain(compare_versions_builtin)),
    builtin!("splitVersion" / 1 => Plain(split_version)),
    builtin!("parseDrvName" / 1 => Plain(parse_drv_name)),
];

fn compare_versions_builtin<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let a = force_string_no_context(vm, &args[0])?;
    let b = force_string_no_context(vm, &args[1])?;
    Ok(Value::Int(
        match compare_versions(a.as_bytes(), b.as_bytes()) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        },
    ))
}

fn split_version<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let version = force_string_no_context(vm, &args[0])?;
    let mut rest = version.as_bytes();
    let mut parts = Vec::new();
    loop {
        let part = next_component(&mut rest);
        if part.is_empty() {
            break;
        }
        parts.push(Value::string(part));
    }
    Ok(Value::list(parts))
}

fn parse_drv_name<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let full = force_string_no_context(vm, &args[0])?;
    let (name, version) = split_drv_name(full.as_bytes());
    Ok(attrs_of([
        ("name", Value::string(name)),
        ("version", Value::string(version)),
    ]))
}

/// Splits `name-version` at the first dash that is followed by something
/// other than a letter.
pub(crate) fn split_drv_name(full: &[u8]) -> (&[u8], &[u8]) {
    for i in 0..full.len() {
        if full[i] == b'-' && full.get(i + 1).is_some_and(|c| !c.is_ascii_alphabetic()) {
            return (&full[..i], &full[i + 1..]);
        }
    }
    (full, b"")
}

/// Takes the next version component off the front of `rest`: a run of
/// digits, or a run of anything but digits and separators (`.`, `-`).
/// Leading separators are skipped; the empty string means the end.
fn next_component<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    let separators = rest.iter().take_while(|&&c| c == b'.' || c == b'-').count();
    let s = &rest[separators..];
    let len = match s.first() {
        None => 0,
        Some(c) if c.is_ascii_digit() => s.iter().take_while(|c| c.is_ascii_digit()).count(),
        Some(_) => s
            .iter()
            .take_while(|&&c| !c.is_ascii_digit() && c != b'.' && c != b'-')
            .count(),
    };
    let (part, tail) = s.split_at(len);
    *rest = tail;
    part
}

/// A component as a number, when it is one that fits a C `int` (longer
/// digit runs compare as text, as in Nix).
fn as_number(c: &[u8]) -> Option<i32> {
    if c.is_empty() || !c.iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    std::str::from_utf8(c).ok()?.parse().ok()
}

/// Nix's ordering of version components: numbers numerically; a missing
/// component before a number; `pre` before everything else; words before
/// numbers; words alphabetically.
fn component_less(a: &[u8], b: &[u8]) -> bool {
    let (na, nb) = (as_number(a), as_number(b));
    match (na, nb) {
        (Some(x), Some(y)) => x < y,
        _ if a.is_empty() && nb.is_some() => true,
        _ if a == b"pre" && b != b"pre" => true,
        _ if b == b"pre" => false,
        (_, Some(_)) => true,
        (Some(_), _) => false,
        _ => a < b,
    }
}

/// Compares two version strings component by component.
/// Versions are bytes, like every Nix string.
pub(crate) fn compare_versions(a: &[u8], b: &[u8]) -> Ordering {
    let (mut ra, mut rb) = (a, b);
    while !ra.is_empty() || !rb.is_empty() {
        let ca = next_component(&mut ra);
        let cb = next_component(&mut rb);
        if component_less(ca, cb) {
            return Ordering::Less;
        }
        if component_less(cb, ca) {
            return Ordering::Greater;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(compare_versions(b"1.0", b"2.3"), Ordering::Less);
        assert_eq!(compare_versions(b"2.3.1", b"2.3a"), Ordering::Greater);
        assert_eq!(compare_versions(b"2.3pre1", b"2.3"), Ordering::Less);
        assert_eq!(compare_versions(b"2.3", b"2.3"), Ordering::Equal);
        assert_eq!(compare_versions(b"1.0", b"1-0"), Ordering::Equal);
    }

    #[test]
    fn versions_are_bytes() {
        assert_eq!(compare_versions(b"1.\xff", b"1.a"), Ordering::Greater);
        assert_eq!(
            split_drv_name(b"\xc3-1"),
            (b"\xc3".as_slice(), b"1".as_slice())
        );
    }

    #[test]
    fn drv_names() {
        assert_eq!(
            split_drv_name(b"hello-1.0.2"),
            (b"hello".as_slice(), b"1.0.2".as_slice())
        );
        assert_eq!(
            split_drv_name(b"xf86-video-i810-1.7.4"),
            (b"xf86-video-i810".as_slice(), b"1.7.4".as_slice())
        );
        assert_eq!(
            split_drv_name(b"hello"),
            (b"hello".as_slice(), b"".as_slice())
        );
        assert_eq!(
            split_drv_name(b"a--1.0"),
            (b"a".as_slice(), b"-1.0".as_slice())
        );
    }
}
