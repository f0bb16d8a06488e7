//! Store paths, computed without a store.
//!
//! Spindle has no Nix store. What it needs of one is the names: the path a
//! local file would be copied to, and the paths of derivations.

use crate::context::EvalContext;
use crate::error::{Error, ErrorKind, Result};
use crate::value::NixString;

/// The store path `path` would be copied to when interpolated into a string.
pub fn copy_path_to_store(_ctx: &EvalContext, _path: &str) -> Result<NixString> {
    Err(Error::new(ErrorKind::NeedsStore(
        "copying a path to the store",
    )))
}
