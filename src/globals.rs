//! The names visible in every file: `builtins` and the top-level globals.

use rustc_hash::FxHashMap;

use crate::symbol::Symbol;
use crate::value::Value;

/// Global names and their values, resolved by the compiler to constants.
#[derive(Clone, Default)]
pub struct Globals {
    names: FxHashMap<Symbol, Value>,
}

impl Globals {
    /// Looks up a global.
    pub fn get(&self, name: Symbol) -> Option<&Value> {
        self.names.get(&name)
    }

    /// Adds or replaces a global.
    pub fn insert(&mut self, name: &str, value: Value) {
        self.names.insert(Symbol::intern(name), value);
    }
}
