//! Nix sources built into the evaluator, as C++ Nix has them: the
//! `derivation` function and `<nix/fetchurl.nix>`.
//!
//! They are compiled the first time they are used, against the ordinary
//! globals, and cached like imported files.

use std::path::{Path, PathBuf};

use crate::engine::Engine;
use crate::error::Result;
use crate::symbol::Symbol;
use crate::value::{Builtin, Deferred, Thunk, Value};

/// Where the built-in files appear to live (what `<nix/…>` resolves to).
pub const COREPKGS_DIR: &str = "/__corepkgs__";

/// The built-in files, by name under [`COREPKGS_DIR`].
const FILES: &[(&str, &str)] = &[
    ("derivation.nix", include_str!("corepkgs/derivation.nix")),
    ("fetchurl.nix", include_str!("corepkgs/fetchurl.nix")),
];

/// The built-in source for `path`, if it is one.
fn source_of(path: &Path) -> Option<&'static str> {
    let name = path.strip_prefix(COREPKGS_DIR).ok()?.to_str()?;
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// The value of a built-in file, when `path` names one; `None` otherwise.
pub(crate) fn import<E: Engine + ?Sized>(vm: &mut E, path: &Path) -> Result<Option<Value>> {
    let Some(text) = source_of(path) else {
        return Ok(None);
    };
    let ctx = vm.context().clone();
    if let Some(cached) = ctx.cached_import(path) {
        return vm.force(cached).map(Some);
    }
    let code = ctx.compile_source(
        format!("«nix-internal»{}", path.display()),
        text.to_string(),
        Path::new(COREPKGS_DIR),
        None,
    )?;
    let thunk = Value::Thunk(Thunk::of_code(code));
    ctx.cache_import(path.to_path_buf(), thunk.clone());
    vm.force(thunk).map(Some)
}

/// The `derivation` constant: the built-in `derivation.nix`, loaded when
/// first forced.
pub(super) fn constants() -> Vec<(Symbol, Value)> {
    static LOAD: Builtin = builtin!("derivation" / 1 => Plain(load));
    let lazy = Thunk::new(Deferred::Apply {
        function: Value::Builtin(&LOAD),
        arg: Value::string("derivation.nix"),
    });
    vec![(Symbol::intern("derivation"), Value::Thunk(lazy))]
}

fn load<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let name = vm.force_string(args[0].clone())?;
    let path = PathBuf::from(COREPKGS_DIR).join(crate::path::os_path(name.as_bytes()));
    match import(vm, &path)? {
        Some(v) => Ok(v),
        None => Err(crate::error::Error::other(format!(
            "no built-in file '{}'",
            path.display()
        ))),
    }
}
