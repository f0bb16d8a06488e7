//! Reading evaluated values from Rust, and making host builtins.
//!
//! The accessors look at a value as it is: they never force. Force first
//! (through [`Evaluator`](crate::Evaluator) or the [`Vm`]) when the value may
//! be a thunk.

use std::rc::Rc;

use super::{Attrs, HostBuiltin, List, PrimApp, Primitive, Value};
use crate::error::Result;
use crate::symbol::Symbol;
use crate::vm::Vm;

/// Whether `forced`, a set or list that the caller forced from `entry`
/// (an entry of `container`, a set or list) and holds a copy of, is
/// referred to by nothing but that entry, or by a thunk that nothing but
/// that entry refers to: then, as values never change, it is reached
/// through `container` alone. Reads the counts only, so it may say `false`
/// of such a value (another copy alive for a moment), never `true` of one
/// referred to from elsewhere when it is asked. A large set's entries are
/// never taken for its own: its chunks may be shared with other sets
/// (`attrs/chunks.rs`).
pub(crate) fn reached_only_through(container: &Value, entry: &Value, forced: &Value) -> bool {
    let holds_its_entries = match container {
        Value::Attrs(attrs) => attrs.chunks().is_none(),
        Value::List(_) => true,
        _ => false,
    };
    let copies = match forced {
        Value::Attrs(a) => a.strong_count(),
        Value::List(l) => l.strong_count(),
        _ => return false,
    };
    // The entry's reference (or the thunk's) and the caller's copy; an
    // entry that is not a thunk is `forced` itself.
    holds_its_entries
        && copies == 2
        && match entry {
            Value::Thunk(t) => t.strong_count() == 1,
            _ => true,
        }
}

impl Value {
    /// Attribute `name` of a set, or of a thunk already evaluated to one,
    /// read without forcing or copying the set: `Some(None)` when the set
    /// lacks it, `None` when this is not (yet) a set.
    #[inline]
    pub fn attr_in_place(&self, name: Symbol) -> Option<Option<Value>> {
        self.peek_evaluated(|v| match v {
            Value::Attrs(attrs) => Some(attrs.get(name).cloned()),
            _ => None,
        })
    }

    /// `f` of this value when it needs no forcing: the value itself, or
    /// the value of a thunk already evaluated; `None` for a thunk yet to be
    /// evaluated.
    #[inline(always)]
    pub fn peek_evaluated<R>(&self, f: impl FnOnce(&Value) -> Option<R>) -> Option<R> {
        match self {
            Value::Thunk(t) => t
                .peek(|v| match v {
                    Value::Thunk(_) => None,
                    v => f(v),
                })
                .flatten(),
            other => f(other),
        }
    }

    /// The Boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.shallow_resolved() {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self.shallow_resolved() {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The number as a float, if this is a float or an integer.
    pub fn as_float(&self) -> Option<f64> {
        match self.shallow_resolved() {
            Value::Float(f) => Some(f),
            Value::Int(i) => Some(i as f64),
            _ => None,
        }
    }

    /// The text of a string or a path, if this is one and it is UTF-8
    /// (see [`Value::as_bytes`] for any string).
    pub fn as_str(&self) -> Option<&str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The bytes of a string or a path, if this is one.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::String(s) | Value::Path(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// The attribute set, if this is one.
    pub fn as_attrs(&self) -> Option<&Attrs> {
        match self {
            Value::Attrs(a) => Some(a),
            _ => None,
        }
    }

    /// The list, if this is one.
    pub fn as_list(&self) -> Option<&List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// Whether this is a thunk not evaluated yet.
    pub fn is_pending(&self) -> bool {
        matches!(self, Value::Thunk(t) if !t.is_evaluated())
    }

    /// A function value implemented by a Rust closure taking `arity` (at
    /// least 1) unevaluated arguments: pass it to Nix code as a global, an
    /// attribute or a function argument.
    pub fn host_builtin(
        name: &str,
        arity: usize,
        func: impl Fn(&mut Vm, &[Value]) -> Result<Value> + 'static,
    ) -> Value {
        let builtin = HostBuiltin {
            name: name.into(),
            arity: arity.max(1),
            func: Rc::new(func),
        };
        Value::PrimApp(PrimApp::of(Primitive::Host(Rc::new(builtin)), Vec::new()))
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i.into())
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::list(items)
    }
}

impl From<Attrs> for Value {
    fn from(attrs: Attrs) -> Self {
        Value::Attrs(attrs)
    }
}

impl Attrs {
    /// Looks up an attribute by its name as text.
    pub fn get_str(&self, name: &str) -> Option<&Value> {
        self.get(crate::symbol::Symbol::intern(name))
    }
}
