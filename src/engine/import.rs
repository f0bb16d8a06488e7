//! `import`: files evaluated once and cached.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::error::Result;
use crate::io::FileType;
use crate::value::{Attrs, Thunk, Value};

/// The value of an imported file, unforced: the cached one, or a new thunk
/// of the compiled file (cached unless `scope` makes it a `scopedImport`).
/// Shared by both VMs, which differ only in how they force it
/// ([`super::Engine::import_file`]).
pub(crate) fn prepare_import(
    ctx: &Rc<crate::context::EvalContext>,
    path: &Path,
    scope: Option<Attrs>,
) -> Result<Value> {
    let path = resolve_import_path(ctx, path);
    if scope.is_none() {
        if let Some(cached) = ctx.cached_import(&path) {
            return Ok(cached);
        }
    }
    let text = ctx.read_file_text(&path)?;
    let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
    let code = ctx.compile_source(path.display().to_string(), text, &dir, scope.as_ref())?;
    let thunk = Value::Thunk(Thunk::of_code(code));
    if scope.is_none() {
        ctx.cache_import(path, thunk.clone());
    }
    Ok(thunk)
}

fn resolve_import_path(ctx: &Rc<crate::context::EvalContext>, path: &Path) -> PathBuf {
    let is_file = matches!(ctx.io.file_type(path), Ok(FileType::Regular));
    if !is_file {
        let candidate = path.join("default.nix");
        if ctx.io.path_exists(&candidate).unwrap_or(false) {
            return candidate;
        }
    }
    path.to_path_buf()
}
