//! The builtins: plain Rust functions, one per Nix builtin.
//!
//! A builtin receives its arguments unevaluated and forces what it needs
//! through the engine running it. Where it calls back into Nix (a
//! comparator, a mapped function) it simply calls; the fiber runtime takes
//! care of depth.
//!
//! Each family lives in its own module and lists its builtins in a
//! `BUILTINS` table; [`globals`] assembles them into the `builtins` set and
//! the top-level names.
//!
//! A builtin is written once, as a function generic over the
//! [`Engine`], and declared once, with `builtin!`:
//! its name, arity and kind, the argument it forces first, and how the
//! generator VM runs it when that is not the default. The table row the
//! macro makes derives the rest from those facts (see `builtin!` below).

/// Declares one builtin: a [`Builtin`] row made from its name, arity, kind
/// (`Plain` or `Stepped`) and function, the argument it forces first
/// (`forces N`), and, when it is not the default (`Shared` for a plain
/// builtin, `Stepped` for a stepped one), how the generator VM runs it
/// (`generator DeepFirst`, `generator CoerceFirst(Interpolation)`,
/// `generator Own`, …; see [`OnGenerator`](crate::value::OnGenerator)).
///
/// ```text
/// builtin!("head" / 1 => Plain(head), forces 0)
/// builtin!("toJSON" / 1 => Plain(to_json), generator DeepFirst)
/// ```
///
/// The function is instantiated twice, for the fiber VM and for the
/// generator VM's engine. With `forces N`, each instantiation is wrapped in
/// one that forces argument `N` before the body runs, so the row's
/// `forces_first` holds by construction: the builtin does nothing
/// observable before it forces that argument, which the fiber VM's
/// dispatch loop relies on when it forces the argument in a frame of its
/// own and runs the builtin again (docs/architecture.md, Invariants).
macro_rules! builtin {
    ($name:literal / $arity:literal => $kind:ident($f:path)
        $(, forces $first:literal)? $(, generator $gen:ident $(($coerce:ident))?)?) => {
        $crate::value::Builtin {
            name: $name,
            arity: $arity,
            func: builtin!(@func $kind, $f $(, $first)?),
            shared: builtin!(@func $kind, $f $(, $first)?),
            on_generator: builtin!(@gen $kind $(, $gen $(($coerce))?)?),
            forces_first: builtin!(@first $arity $(, $first)?),
        }
    };
    (@func $kind:ident, $f:path) => {
        $crate::value::BuiltinFn::$kind($f)
    };
    (@func $kind:ident, $f:path, $first:literal) => {{
        fn forced_first<E: $crate::engine::Engine + ?Sized>(
            engine: &mut E,
            args: &[$crate::value::Value],
        ) -> $crate::error::Result<builtin!(@returns $kind, E)> {
            $crate::builtins::force_declared(engine, &args[$first]);
            $f(engine, args)
        }
        $crate::value::BuiltinFn::$kind(forced_first)
    }};
    (@returns Plain, $e:ident) => { $crate::value::Value };
    (@returns Stepped, $e:ident) => { $crate::engine::BuiltinStep<$e> };
    (@gen Plain) => { $crate::value::OnGenerator::Shared };
    (@gen Stepped) => { $crate::value::OnGenerator::Stepped };
    (@gen $kind:ident, $gen:ident) => { $crate::value::OnGenerator::$gen };
    (@gen $kind:ident, $gen:ident($coerce:ident)) => {
        $crate::value::OnGenerator::$gen($crate::engine::CoercionKind::$coerce)
    };
    (@first $arity:literal) => { None };
    (@first $arity:literal, $first:literal) => {{
        const _: () = assert!($first < $arity, "a builtin forces an argument it does not take");
        Some($first)
    }};
}

mod attrs;
mod closure;
mod context;
mod control;
mod corepkgs;
mod derivation;
mod fetch_git;
mod flake;
mod hash;
mod io;
mod json;
mod json_parser;
mod lists;
mod numbers;
mod regex;
pub(crate) mod store;
mod strings;
mod toml;
mod types;
mod versions;
mod xml;

pub use self::toml::parse_toml;
pub use json::to_json_string;
pub use json_parser::parse_json;
pub use xml::to_xml_string;

#[cfg(feature = "generator-vm")]
pub(crate) use attrs::{zipped, Groups};
#[cfg(feature = "generator-vm")]
pub(crate) use io::{absolute_path, corepkg_path, not_in_search_path, search_path_candidate};
#[cfg(feature = "generator-vm")]
pub(crate) use store::{add_path_with, filter_answer, filter_source_args, path_args};
#[cfg(feature = "generator-vm")]
pub(crate) use strings::substring_of;

use crate::context::Settings;
use crate::engine::Engine;
use crate::globals::Globals;
use crate::symbol::Symbol;
use crate::value::{Attrs, Builtin, Value};

/// Forces the argument a builtin's declaration says it forces first, before
/// its body runs (see [`builtin!`]). Nothing happens for a value already
/// evaluated, which is what the fiber VM's dispatch loop passes. A failure
/// is left in the thunk, where the body meets it again and reports it with
/// its own context.
#[inline(always)]
pub(crate) fn force_declared<E: Engine + ?Sized>(engine: &mut E, arg: &Value) {
    if arg.is_pending() {
        let _ = engine.force_ref(arg);
    }
}

/// Every builtin function, by family.
fn families() -> [&'static [Builtin]; 18] {
    [
        attrs::BUILTINS,
        closure::BUILTINS,
        context::BUILTINS,
        control::BUILTINS,
        derivation::BUILTINS,
        flake::BUILTINS,
        hash::BUILTINS,
        io::BUILTINS,
        json::BUILTINS,
        lists::BUILTINS,
        numbers::BUILTINS,
        regex::BUILTINS,
        store::BUILTINS,
        strings::BUILTINS,
        toml::BUILTINS,
        types::BUILTINS,
        versions::BUILTINS,
        xml::BUILTINS,
    ]
}

/// Names that are visible without `builtins.` (besides `__name` for every builtin).
const TOP_LEVEL: &[&str] = &[
    "abort",
    "baseNameOf",
    "break",
    "derivation",
    "dirOf",
    "fetchGit",
    "fetchMercurial",
    "fetchTarball",
    "fetchTree",
    "fromTOML",
    "import",
    "isNull",
    "map",
    "placeholder",
    "removeAttrs",
    "scopedImport",
    "throw",
    "toString",
];

/// Builds the global names for an evaluation with `settings`.
pub fn globals(settings: &Settings) -> Globals {
    let mut entries: Vec<(Symbol, Value)> = Vec::new();
    for family in families() {
        for builtin in family {
            entries.push((Symbol::intern(builtin.name), Value::Builtin(builtin)));
        }
    }
    entries.extend(constants(settings));
    entries.extend(store::constants(settings));
    entries.extend(corepkgs::constants());
    let mut globals = Globals::default();
    for (name, value) in &entries {
        // The builtins' own names, all ASCII.
        let text = name.display_name();
        if !text.starts_with("__") {
            globals.insert(&format!("__{text}"), value.clone());
        }
        if TOP_LEVEL.contains(&text.as_str()) {
            globals.insert(&text, value.clone());
        }
    }
    // `builtins.builtins` is the set itself; a thunk closes the loop.
    let thunk = crate::value::Thunk::evaluated(Value::Null);
    entries.push((Symbol::intern("builtins"), Value::Thunk(thunk.clone())));
    let set = Value::Attrs(Attrs::from_unsorted(entries));
    thunk.tie(set.clone());
    globals.insert("builtins", set);
    for (name, value) in [
        ("true", Value::Bool(true)),
        ("false", Value::Bool(false)),
        ("null", Value::Null),
    ] {
        globals.insert(name, value);
    }
    globals
}

fn constants(settings: &Settings) -> Vec<(Symbol, Value)> {
    let search_path: Vec<Value> = settings
        .search_path
        .iter()
        .map(|e| {
            Value::Attrs(Attrs::from_unsorted(vec![
                (Symbol::intern("path"), Value::string(e.path.as_str())),
                (Symbol::intern("prefix"), Value::string(e.prefix.as_str())),
            ]))
        })
        .collect();
    // Pure evaluation has no `currentSystem`, as in Nix.
    let system = (!settings.pure).then(|| {
        (
            Symbol::intern("currentSystem"),
            Value::string(settings.current_system.as_str()),
        )
    });
    system
        .into_iter()
        .chain([
            (
                Symbol::intern("storeDir"),
                Value::string(settings.store_dir.as_str()),
            ),
            (Symbol::intern("nixVersion"), Value::string("2.8.0")),
            (Symbol::intern("langVersion"), Value::Int(6)),
            (Symbol::intern("nixPath"), Value::list(search_path)),
            (Symbol::intern("true"), Value::Bool(true)),
            (Symbol::intern("false"), Value::Bool(false)),
            (Symbol::intern("null"), Value::Null),
        ])
        .collect()
}

// ---- helpers shared by the families --------------------------------------

/// Makes a set from (name, value) pairs.
pub(crate) fn attrs_of(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Attrs(Attrs::from_unsorted(
        pairs
            .into_iter()
            .map(|(k, v)| (Symbol::intern(k), v))
            .collect(),
    ))
}
