//! `builtins.fetchGit` of a local working tree, as Nix 2.8 fetches one.
//!
//! Only what needs no network: a local repository (a path, or a `file://`
//! URL) at its current state, without `ref` or `rev`. Its tracked files, as
//! `git ls-files` lists them (`--recurse-submodules` with `submodules`),
//! are added to the store like a filtered `builtins.path` named `source`.
//! A tree whose tracked files differ from `HEAD` is "dirty", reported as
//! revision zero, as Nix does. It needs a store, and runs `git`, so it is
//! refused without a store and in pure mode.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use bstr::ByteSlice;

use crate::engine::{CoercionKind, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::io::FileType;
use crate::store::{self, Ingestion};
use crate::value::Value;

use super::store::{force_string_no_context, needs_store, store_path_string};

/// What `fetchGit` was asked for.
struct Request {
    dir: String,
    name: String,
    submodules: bool,
    shallow: bool,
}

/// `builtins.fetchGit url` or `builtins.fetchGit { url; name ? "source";
/// submodules ? false; shallow ? false; }`.
pub(super) fn fetch_git<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let ctx = vm.context().clone();
    if ctx.store.backend().is_none() {
        return needs_store("builtins.fetchGit");
    }
    let request = parse(vm, &args[0])?;
    if ctx.settings.pure {
        return Err(Error::new(ErrorKind::Impure(
            "'builtins.fetchGit' of a working tree".to_string(),
        )));
    }
    let dir = request.dir.as_str();
    let head = git(dir, &["rev-parse", "--verify", "--quiet", "HEAD"])
        .ok()
        .map(|out| out.trim().to_string())
        .filter(|rev| !rev.is_empty());
    // Clean when the tracked files match HEAD (`diff-index` exits 1 when not).
    let clean = head.is_some() && git_status(dir, &["diff-index", "--quiet", "HEAD", "--"])?;
    if !clean {
        ctx.io.warn(&format!("warning: Git tree '{dir}' is dirty"));
    }
    let mut list = vec!["ls-files", "-z"];
    if request.submodules {
        list.push("--recurse-submodules");
    }
    let files: BTreeSet<String> = git(dir, &list)?
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(String::from)
        .collect();
    let root = Path::new(dir);
    let mut tracked = |path: &Path, kind: FileType| -> Result<bool> {
        let rel = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        if kind == FileType::Directory {
            let prefix = format!("{rel}/");
            let inside = files
                .range(prefix.clone()..)
                .next()
                .is_some_and(|f| f.starts_with(&prefix));
            return Ok(inside || files.contains(&rel));
        }
        Ok(files.contains(&rel))
    };
    let (out_path, nar_hash) = store::add_source(
        &ctx,
        &request.name,
        root,
        Ingestion::Recursive,
        &mut tracked,
        None,
    )?;
    let last_modified: i64 = match &head {
        Some(_) => git(
            dir,
            &["log", "-1", "--format=%ct", "--no-show-signature", "HEAD"],
        )?
        .trim()
        .parse()
        .unwrap_or(0),
        None => 0,
    };
    let rev = match (&head, clean) {
        (Some(rev), true) => rev.clone(),
        _ => "0".repeat(40),
    };
    let mut attrs = vec![
        ("lastModified", Value::Int(last_modified)),
        (
            "lastModifiedDate",
            Value::string(format_timestamp(last_modified)),
        ),
        (
            "narHash",
            Value::string(format!(
                "sha256-{}",
                data_encoding::BASE64.encode(&nar_hash.bytes)
            )),
        ),
        ("outPath", store_path_string(out_path)),
        ("shortRev", Value::string(rev[..7].to_string())),
        ("submodules", Value::Bool(request.submodules)),
    ];
    // Nix 2.8 counts no revisions of a shallow clone, nor of a dirty tree.
    let rev_count = match (&head, clean) {
        (Some(_), true) if !request.shallow => git(dir, &["rev-list", "--count", "HEAD"])?
            .trim()
            .parse()
            .unwrap_or(0),
        _ => 0,
    };
    attrs.push(("revCount", Value::Int(rev_count)));
    attrs.push(("rev", Value::string(rev)));
    Ok(super::attrs_of(attrs))
}

fn parse<E: Engine + ?Sized>(vm: &mut E, arg: &Value) -> Result<Request> {
    let arg = vm.force(arg.clone())?;
    let mut request = Request {
        dir: String::new(),
        name: "source".to_string(),
        submodules: false,
        shallow: false,
    };
    let url = match &arg {
        Value::Attrs(attrs) => {
            let mut url = None;
            for (key, value) in attrs.sorted_entries() {
                // A name that is not UTF-8 is no attribute this knows.
                let key = key.to_str_lossy();
                match &*key {
                    "url" => url = Some(url_of(vm, value)?),
                    "name" => request.name = force_string_no_context(vm, value)?,
                    "submodules" => request.submodules = vm.force_bool(value.clone())?,
                    "shallow" => request.shallow = vm.force_bool(value.clone())?,
                    "ref" | "rev" | "allRefs" => {
                        return Err(Error::other(format!(
                            "'builtins.fetchGit' with '{key}' needs the network or a Git cache, which Spindle does not have; only a local working tree as it is can be fetched"
                        )))
                    }
                    other => {
                        return Err(Error::other(format!(
                            "unsupported Git input attribute '{other}'"
                        )))
                    }
                }
            }
            url.ok_or_else(|| Error::other("'url' argument required"))?
        }
        other => url_of(vm, other)?,
    };
    let dir = url.strip_prefix("file://").unwrap_or(&url);
    if !dir.starts_with('/') {
        return Err(Error::other(format!(
            "'builtins.fetchGit' of '{url}' needs the network, which Spindle does not use; only a local working tree can be fetched"
        )));
    }
    request.dir = crate::path::canonicalise_str(dir);
    Ok(request)
}

/// The URL as Nix reads it: a path stays a local path (not copied).
fn url_of<E: Engine + ?Sized>(vm: &mut E, value: &Value) -> Result<String> {
    let s = vm.coerce_to_string(value.clone(), CoercionKind::PathInterpolation)?;
    Ok(s.utf8()?.to_string())
}

fn git_command(dir: &str, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).args(args);
    command
}

fn git_error(dir: &str, args: &[&str], detail: &str) -> Error {
    Error::other(format!(
        "'builtins.fetchGit' of '{dir}': 'git {}' failed: {detail}",
        args.join(" ")
    ))
}

/// The output of a `git` command that must succeed.
fn git(dir: &str, args: &[&str]) -> Result<String> {
    let output = git_command(dir, args)
        .output()
        .map_err(|e| git_error(dir, args, &crate::context::io_message(&e)))?;
    if !output.status.success() {
        return Err(git_error(
            dir,
            args,
            String::from_utf8_lossy(&output.stderr).trim(),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether a `git` command exits 0 (true) or 1 (false); anything else fails.
fn git_status(dir: &str, args: &[&str]) -> Result<bool> {
    let output = git_command(dir, args)
        .output()
        .map_err(|e| git_error(dir, args, &crate::context::io_message(&e)))?;
    match output.status.code() {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        _ => Err(git_error(
            dir,
            args,
            String::from_utf8_lossy(&output.stderr).trim(),
        )),
    }
}

/// Seconds since the epoch as `YYYYMMDDHHMMSS` in UTC, as Nix writes
/// `lastModifiedDate`.
fn format_timestamp(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // The proleptic Gregorian date of a day count (Howard Hinnant's
    // days-to-civil algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::format_timestamp;

    #[test]
    fn timestamps_format_as_nix_does() {
        assert_eq!(format_timestamp(0), "19700101000000");
        // nix-instantiate reported lastModifiedDate "20261204141345" for this.
        assert_eq!(format_timestamp(1_796_393_625), "20261204141345");
        assert_eq!(format_timestamp(951_782_400), "20000229000000");
    }
}
