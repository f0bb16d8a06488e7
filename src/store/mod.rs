//! Store paths, computed without a store.
//!
//! Spindle has no Nix store. What it needs of one is the names: the path a
//! local file would be copied to, the paths of `toFile` texts, and the paths
//! of derivations and their outputs. All are hashes of fingerprints, so they
//! can be computed exactly as Nix would, without writing anything.
//!
//! [`StoreState`] remembers what an evaluation has "added": the references
//! of text files and derivations (for the closures that `=`-context needs)
//! and the modulo hashes of derivations (for derivations that depend on
//! them).

pub mod derivation;
pub mod hash;
pub mod nar;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::context::EvalContext;
use crate::error::{Error, Result};
use crate::value::{Context, ContextElem, NixString};

use self::hash::{Hash, HashAlgo};

/// How a path's contents are hashed: the file itself, or its NAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ingestion {
    /// The hash of a regular file's contents.
    Flat,
    /// The hash of the NAR serialisation.
    Recursive,
}

impl Ingestion {
    /// The prefix Nix writes before the algorithm (`"r:"` or nothing).
    pub fn prefix(self) -> &'static str {
        match self {
            Ingestion::Flat => "",
            Ingestion::Recursive => "r:",
        }
    }
}

/// What an evaluation knows about a derivation it instantiated.
#[derive(Clone, Debug)]
pub struct DrvInfo {
    /// The hash each output contributes to derivations that use it.
    pub output_hashes: BTreeMap<String, Hash>,
}

/// The store-related memory of one evaluation.
#[derive(Default)]
pub struct StoreState {
    sources: RefCell<HashMap<PathBuf, String>>,
    references: RefCell<HashMap<String, BTreeSet<String>>>,
    derivations: RefCell<HashMap<String, DrvInfo>>,
}

impl StoreState {
    /// Records the references of a path this evaluation produced.
    pub fn add_references(&self, path: &str, references: BTreeSet<String>) {
        self.references
            .borrow_mut()
            .insert(path.to_string(), references);
    }

    /// Records an instantiated derivation.
    pub fn add_derivation(&self, drv_path: &str, info: DrvInfo) {
        self.derivations
            .borrow_mut()
            .insert(drv_path.to_string(), info);
    }

    /// What is known about the derivation at `drv_path`.
    pub fn derivation(&self, drv_path: &str) -> Option<DrvInfo> {
        self.derivations.borrow().get(drv_path).cloned()
    }

    /// `path` and everything it refers to, transitively. Paths this
    /// evaluation did not produce are taken to refer to nothing, as sources
    /// do.
    pub fn closure(&self, path: &str) -> BTreeSet<String> {
        let references = self.references.borrow();
        let mut done = BTreeSet::new();
        let mut todo = vec![path.to_string()];
        while let Some(p) = todo.pop() {
            if let Some(refs) = references.get(&p) {
                todo.extend(refs.iter().filter(|r| !done.contains(*r)).cloned());
            }
            done.insert(p);
        }
        done
    }
}

/// The store directory of an evaluation.
pub fn store_dir(ctx: &EvalContext) -> &str {
    &ctx.settings.store_dir
}

/// Whether `name` ends in `.drv`, which only derivations may.
pub fn is_derivation_path(name: &str) -> bool {
    name.ends_with(".drv")
}

/// Checks the name part of a store path as Nix does; `base` is the whole
/// `hash-name` for the message.
fn check_name(base: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::other(format!(
            "store path '{base}' has an empty name"
        )));
    }
    if name.len() > 211 {
        return Err(Error::other(format!(
            "store path '{base}' has a name longer than 211 characters"
        )));
    }
    let bad = name
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_' | '?' | '=')));
    match bad {
        Some(c) => Err(Error::other(format!(
            "store path '{base}' contains illegal character '{c}'"
        ))),
        None => Ok(()),
    }
}

/// `store_dir/<hash>-name`, where the hash is the 20-byte fold of the
/// SHA-256 of the fingerprint `type:sha256:<inner>:store_dir:name`.
pub fn make_store_path(store_dir: &str, kind: &str, inner: &Hash, name: &str) -> Result<String> {
    let fingerprint = format!(
        "{kind}:{}:{}:{store_dir}:{name}",
        inner.algo.name(),
        inner.to_base16()
    );
    let digest = Hash::sha256(fingerprint.as_bytes());
    let short = hash::to_base32(&hash::compress(&digest.bytes, 20));
    let base = format!("{short}-{name}");
    check_name(&base, name)?;
    Ok(format!("{store_dir}/{base}"))
}

/// The type part of a fingerprint: `kind` followed by the references.
fn type_with_references<'a>(
    kind: &str,
    references: impl IntoIterator<Item = &'a String>,
) -> String {
    let mut out = kind.to_string();
    for r in references {
        out.push(':');
        out.push_str(r);
    }
    out
}

/// The path of a text file (`toFile`, a `.drv`) with the given references.
pub fn make_text_path(
    store_dir: &str,
    name: &str,
    contents: &[u8],
    references: &BTreeSet<String>,
) -> Result<String> {
    let kind = type_with_references("text", references);
    make_store_path(store_dir, &kind, &Hash::sha256(contents), name)
}

/// The path of content-addressed data: a recursive SHA-256 is a "source";
/// anything else goes through a second, "fixed" fingerprint.
pub fn make_fixed_output_path(
    store_dir: &str,
    method: Ingestion,
    hash: &Hash,
    name: &str,
) -> Result<String> {
    if method == Ingestion::Recursive && hash.algo == HashAlgo::Sha256 {
        return make_store_path(store_dir, "source", hash, name);
    }
    let inner = format!(
        "fixed:out:{}{}:{}:",
        method.prefix(),
        hash.algo.name(),
        hash.to_base16()
    );
    make_store_path(
        store_dir,
        "output:out",
        &Hash::sha256(inner.as_bytes()),
        name,
    )
}

/// The path of output `output` of a derivation whose (modulo) hash is `hash`.
pub fn make_output_path(store_dir: &str, output: &str, hash: &Hash, name: &str) -> Result<String> {
    let name = if output == "out" {
        name.to_string()
    } else {
        format!("{name}-{output}")
    };
    make_store_path(store_dir, &format!("output:{output}"), hash, &name)
}

/// Hashes the file or tree at `path` by `method`, leaving out what
/// `filter` rejects.
pub fn hash_path(
    ctx: &EvalContext,
    path: &Path,
    method: Ingestion,
    filter: &mut nar::PathFilter<'_>,
) -> Result<Hash> {
    let bytes = match method {
        Ingestion::Recursive => nar::hash_path(ctx, path, filter)?,
        Ingestion::Flat => {
            // Nix reports a missing file by its status, then a directory by
            // the failed read.
            ctx.io
                .file_type(path)
                .map_err(|e| nar::status_error(path, &e))?;
            let contents = ctx.io.read_file(path).map_err(|e| {
                Error::other(format!(
                    "reading from file: {}",
                    crate::context::io_message(&e)
                ))
            })?;
            Hash::sha256(&contents).bytes
        }
    };
    Ok(Hash {
        algo: HashAlgo::Sha256,
        bytes,
    })
}

/// The store path `path` would be copied to under `name`, by `method`.
pub fn compute_path_for_path(
    ctx: &EvalContext,
    name: &str,
    path: &Path,
    method: Ingestion,
    filter: &mut nar::PathFilter<'_>,
) -> Result<String> {
    let hash = hash_path(ctx, path, method, filter)?;
    make_fixed_output_path(store_dir(ctx), method, &hash, name)
}

/// The store path `path` would be copied to when interpolated into a string,
/// with that store path as its context.
pub fn copy_path_to_store(ctx: &EvalContext, path: &str) -> Result<NixString> {
    let store_path = source_path(ctx, path)?;
    let mut context = Context::new();
    context.insert(ContextElem::Plain(store_path.clone()));
    Ok(NixString::with_context(store_path, context))
}

fn source_path(ctx: &EvalContext, path: &str) -> Result<String> {
    let base = crate::path::base_name_of(path);
    if is_derivation_path(base) {
        return Err(Error::other(
            "file names are not allowed to end in '.drv'".to_string(),
        ));
    }
    let key = PathBuf::from(path);
    if let Some(known) = ctx.store.sources.borrow().get(&key) {
        return Ok(known.clone());
    }
    let store_path =
        compute_path_for_path(ctx, base, &key, Ingestion::Recursive, &mut |_, _| Ok(true))?;
    ctx.store
        .sources
        .borrow_mut()
        .insert(key, store_path.clone());
    Ok(store_path)
}

/// `/<hash>`: the placeholder a builder's environment replaces by the path
/// of output `output`.
pub fn placeholder(output: &str) -> String {
    let digest = Hash::sha256(format!("nix-output:{output}").as_bytes());
    format!("/{}", digest.to_base32())
}

/// Splits a path inside the store into the store path and the rest.
pub fn split_store_path<'a>(store_dir: &str, path: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = path.strip_prefix(store_dir)?.strip_prefix('/')?;
    let end = rest.find('/').unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    let cut = path.len() - rest.len() + end;
    Some((&path[..cut], &path[cut..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_path_matches_nix() {
        // nix-instantiate --eval -E 'builtins.toFile "foo" "bar"'
        let p = make_text_path("/nix/store", "foo", b"bar", &BTreeSet::new()).unwrap();
        assert_eq!(p, "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo");
    }

    #[test]
    fn placeholder_matches_nix() {
        assert_eq!(
            placeholder("out"),
            "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"
        );
    }

    #[test]
    fn bad_names_are_rejected() {
        assert!(make_text_path("/nix/store", "fo~o", b"", &BTreeSet::new()).is_err());
        assert!(make_text_path("/nix/store", "", b"", &BTreeSet::new()).is_err());
    }

    #[test]
    fn store_paths_split() {
        assert_eq!(
            split_store_path("/nix/store", "/nix/store/abc-x/y/z"),
            Some(("/nix/store/abc-x", "/y/z"))
        );
        assert_eq!(split_store_path("/nix/store", "/nix/store/"), None);
        assert_eq!(split_store_path("/nix/store", "/tmp/x"), None);
    }
}
