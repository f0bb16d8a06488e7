//! Runtime values.
//!
//! A [`Value`] is 16 bytes: a tag and either an immediate (null, bool, int,
//! float) or one reference-counted pointer. Containers (`Attrs`, `List`,
//! `Thunk`, `Closure`) release their children iteratively when dropped, so a
//! million-element thunk chain is freed without deep native recursion.

mod access;
mod attrs;
mod cycles;
pub use cycles::{
    collect as collect_cycles, collect_if_due as collect_cycles_if_due, set_running_floor,
    totals as collection_totals, Collection, Totals as CollectionTotals, RUNNING_FLOOR,
};
mod drop;
pub(crate) use drop::truncate_values;
mod function;
mod list;
mod string;
mod thunk;

pub(crate) use access::reached_only_through;
pub use attrs::{Attrs, AttrsBuilder, Iter as AttrsIter, PosTable};
pub use function::{
    Body, Builtin, BuiltinFn, Closure, HostBuiltin, HostFn, OnGenerator, PrimApp, Primitive,
    SteppedFn, Upvalues,
};
pub use list::List;
pub use string::{utf8, Context, ContextElem, NixString, StringBuilder};
pub use thunk::{Begin, Deferred, FrameWork, Thunk, ThunkState, TwoArgs};

use crate::symbol::Symbol;

/// A Nix value, possibly not yet evaluated (a [`Thunk`]).
#[derive(Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(NixString),
    Path(NixString),
    Attrs(Attrs),
    List(List),
    Closure(Closure),
    Builtin(&'static Builtin),
    PrimApp(PrimApp),
    Thunk(Thunk),
}

const _: () = assert!(std::mem::size_of::<Value>() == 16);

impl Value {
    /// The name Nix uses for this value's type (`builtins.typeOf`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Path(_) => "path",
            Value::Attrs(_) => "set",
            Value::List(_) => "list",
            Value::Closure(_) | Value::Builtin(_) | Value::PrimApp(_) => "lambda",
            Value::Thunk(_) => "thunk",
        }
    }

    /// The phrase used in type errors: "an integer", "a set", ...
    pub fn type_phrase(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a Boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::String(_) => "a string",
            Value::Path(_) => "a path",
            Value::Attrs(_) => "a set",
            Value::List(_) => "a list",
            Value::Closure(_) => "a function",
            Value::Builtin(_) => "a built-in function",
            Value::PrimApp(app) if app.args().is_empty() => "a built-in function",
            Value::PrimApp(_) => "a partially applied built-in function",
            Value::Thunk(_) => "a thunk",
        }
    }

    /// Makes a string value without context.
    pub fn string(s: impl Into<bstr::BString>) -> Value {
        Value::String(NixString::new(s))
    }

    /// Makes a list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List::from_vec(items))
    }

    /// Whether this value is a function of any kind.
    pub fn is_function(&self) -> bool {
        matches!(
            self,
            Value::Closure(_) | Value::Builtin(_) | Value::PrimApp(_)
        )
    }

    /// Whether C++ Nix tells this value apart from an equal one by the cell
    /// holding it rather than by the value: a list of one or two elements,
    /// which Nix stores inside its cell. Printing marks such a value
    /// `«repeated»` only when it is reached through the same thunk again.
    pub fn identified_by_cell(&self) -> bool {
        matches!(self, Value::List(l) if (1..=2).contains(&l.len()))
    }

    /// The value behind an evaluated thunk, or the value itself. Pending
    /// thunks stay as they are.
    pub fn shallow_resolved(&self) -> Value {
        match self {
            Value::Thunk(t) => t.value().unwrap_or_else(|| self.clone()),
            other => other.clone(),
        }
    }

    /// Looks up `name` when this is an attribute set.
    pub fn attr(&self, name: Symbol) -> Option<&Value> {
        match self {
            Value::Attrs(a) => a.get(name),
            _ => None,
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::string(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::string(s)
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::print::print_shallow(self))
    }
}
