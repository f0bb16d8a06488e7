//! Compile-time scopes: which names are locals of the code object being
//! compiled, which are captured from enclosing code objects, and which
//! `with` namespaces are in force.

use rustc_hash::FxHashMap;

use crate::bytecode::Capture;
use crate::symbol::Symbol;
use crate::value::Value;

/// A named local slot.
#[derive(Clone)]
pub(super) struct Local {
    pub name: Symbol,
    pub slot: u32,
    /// The value the local is known to hold when the code is compiled (a
    /// builtin bound by `inherit (builtins) map;`), if any.
    pub known: Option<Value>,
}

/// The scope bookkeeping of one code object.
#[derive(Default)]
pub(super) struct Scopes {
    /// Named locals, innermost last.
    locals: Vec<Local>,
    /// For each name, the indices of the locals that bind it, innermost
    /// last: a lookup costs the same however many names are in scope (a
    /// generated `let` may bind a hundred thousand).
    by_name: FxHashMap<Symbol, Vec<usize>>,
    /// Whether each slot holds its final value yet.
    initialised: Vec<bool>,
    /// Slots holding `with` namespaces, innermost last.
    withs: Vec<u32>,
    /// Captured values: where each comes from in the enclosing code object.
    pub captures: Vec<Capture>,
    next_slot: u32,
    /// The high-water mark of slots.
    pub max_slots: u32,
}

/// A mark to return to when a scope ends.
pub(super) struct ScopeMark {
    locals: usize,
    withs: usize,
    next_slot: u32,
}

impl Scopes {
    pub fn mark(&self) -> ScopeMark {
        ScopeMark {
            locals: self.locals.len(),
            withs: self.withs.len(),
            next_slot: self.next_slot,
        }
    }

    pub fn reset(&mut self, mark: ScopeMark) {
        for local in self.locals.drain(mark.locals..).rev() {
            if let Some(indices) = self.by_name.get_mut(&local.name) {
                indices.pop();
            }
        }
        self.withs.truncate(mark.withs);
        self.next_slot = mark.next_slot;
    }

    /// Reserves a fresh slot, not yet initialised.
    pub fn new_slot(&mut self) -> u32 {
        let slot = self.next_slot;
        self.next_slot += 1;
        self.max_slots = self.max_slots.max(self.next_slot);
        if self.initialised.len() <= slot as usize {
            self.initialised.resize(slot as usize + 1, false);
        }
        self.initialised[slot as usize] = false;
        slot
    }

    /// Makes `name` refer to `slot` from now on.
    pub fn bind(&mut self, name: Symbol, slot: u32) {
        self.by_name
            .entry(name)
            .or_default()
            .push(self.locals.len());
        self.locals.push(Local {
            name,
            slot,
            known: None,
        });
    }

    /// Records that the innermost local called `name` holds `value`.
    pub fn set_known(&mut self, name: Symbol, value: Value) {
        if let Some(&i) = self.by_name.get(&name).and_then(|v| v.last()) {
            self.locals[i].known = Some(value);
        }
    }

    pub fn set_initialised(&mut self, slot: u32) {
        self.initialised[slot as usize] = true;
    }

    pub fn is_initialised(&self, slot: u32) -> bool {
        self.initialised[slot as usize]
    }

    /// The slot of the innermost local called `name`.
    pub fn find(&self, name: Symbol) -> Option<u32> {
        self.find_local(name).map(|l| l.slot)
    }

    /// The innermost local called `name`.
    pub fn find_local(&self, name: Symbol) -> Option<&Local> {
        let &i = self.by_name.get(&name)?.last()?;
        Some(&self.locals[i])
    }

    pub fn push_with(&mut self, slot: u32) {
        self.withs.push(slot);
    }

    /// `with` slots, innermost first.
    pub fn withs(&self) -> impl Iterator<Item = u32> + '_ {
        self.withs.iter().rev().copied()
    }

    /// The index of the captured value coming from `source`, adding it.
    pub fn capture(&mut self, source: Capture) -> u32 {
        if let Some(i) = self.captures.iter().position(|c| *c == source) {
            return i as u32;
        }
        self.captures.push(source);
        (self.captures.len() - 1) as u32
    }
}
