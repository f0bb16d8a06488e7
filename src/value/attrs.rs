//! Attribute sets: arrays of (symbol, value) sorted by symbol.
//!
//! Lookup is a binary search over integers. Iteration in name order (what
//! Nix prints and what `attrNames` returns) sorts on demand.

use std::rc::Rc;

use super::{drop::release, Value};
use crate::source::Span;
use crate::symbol::Symbol;

/// Source positions of the attributes of one attribute-set literal, shared by
/// every set that literal builds (for `unsafeGetAttrPos`).
#[derive(Debug, Default)]
pub struct PosTable {
    entries: Vec<(Symbol, Span)>,
    /// The file the positions are in, kept in the evaluator's map of
    /// sources while a set built from the literal lives.
    _source: Option<Rc<crate::source::File>>,
}

impl PosTable {
    /// Makes a table from (name, position) pairs in `source`.
    pub fn new(mut entries: Vec<(Symbol, Span)>, source: Rc<crate::source::File>) -> PosTable {
        entries.sort_by_key(|e| e.0);
        PosTable {
            entries,
            _source: Some(source),
        }
    }

    /// The position of `name`, if recorded.
    pub fn get(&self, name: Symbol) -> Option<Span> {
        self.entries
            .binary_search_by_key(&name, |e| e.0)
            .ok()
            .map(|i| self.entries[i].1)
    }
}

struct AttrsInner {
    entries: Vec<(Symbol, Value)>,
    positions: Option<Rc<PosTable>>,
}

/// A Nix attribute set. Cloning shares it.
#[derive(Clone)]
pub struct Attrs(Rc<AttrsInner>);

impl Attrs {
    /// The empty set.
    pub fn empty() -> Attrs {
        thread_local! {
            static EMPTY: Attrs = Attrs(Rc::new(AttrsInner { entries: Vec::new(), positions: None }));
        }
        EMPTY.with(|e| e.clone())
    }

    /// Makes a set from entries already sorted by symbol, without duplicates.
    pub fn from_sorted(entries: Vec<(Symbol, Value)>, positions: Option<Rc<PosTable>>) -> Attrs {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        if entries.is_empty() && positions.is_none() {
            return Attrs::empty();
        }
        Attrs(Rc::new(AttrsInner { entries, positions }))
    }

    /// Makes a set from entries in any order; a later duplicate wins.
    pub fn from_unsorted(mut entries: Vec<(Symbol, Value)>) -> Attrs {
        entries.reverse();
        entries.sort_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        Attrs::from_sorted(entries, None)
    }

    /// The number of attributes.
    pub fn len(&self) -> usize {
        self.0.entries.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.entries.is_empty()
    }

    /// Looks up an attribute.
    #[inline]
    pub fn get(&self, name: Symbol) -> Option<&Value> {
        let entries = &self.0.entries;
        if entries.len() <= 8 {
            return entries.iter().find(|e| e.0 == name).map(|e| &e.1);
        }
        entries
            .binary_search_by_key(&name, |e| e.0)
            .ok()
            .map(|i| &entries[i].1)
    }

    /// Whether the set has `name`.
    pub fn contains(&self, name: Symbol) -> bool {
        self.get(name).is_some()
    }

    /// The source position of an attribute, when the set came from a literal.
    pub fn position(&self, name: Symbol) -> Option<Span> {
        self.0.positions.as_ref().and_then(|p| p.get(name))
    }

    /// The entries in symbol order (fast, but not alphabetical).
    pub fn entries(&self) -> &[(Symbol, Value)] {
        &self.0.entries
    }

    /// The entries in alphabetical order of their names, as Nix lists them.
    pub fn sorted_entries(&self) -> Vec<(Rc<[u8]>, &Value)> {
        let mut out: Vec<(Rc<[u8]>, &Value)> =
            self.0.entries.iter().map(|(k, v)| (k.name(), v)).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The names in alphabetical order.
    pub fn sorted_names(&self) -> Vec<Rc<[u8]>> {
        let mut names: Vec<Rc<[u8]>> = self.0.entries.iter().map(|(k, _)| k.name()).collect();
        names.sort();
        names
    }

    /// `self // other`: a linear merge of two sorted arrays.
    pub fn update(&self, other: &Attrs) -> Attrs {
        if other.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        let (a, b) = (&self.0.entries, &other.0.entries);
        let mut out = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => {
                    out.push(a[i].clone());
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    out.push(b[j].clone());
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    out.push(b[j].clone());
                    i += 1;
                    j += 1;
                }
            }
        }
        out.extend_from_slice(&a[i..]);
        out.extend_from_slice(&b[j..]);
        let positions = other
            .0
            .positions
            .clone()
            .or_else(|| self.0.positions.clone());
        Attrs::from_sorted(out, positions)
    }

    /// `self // other`, updating `self` in place when nothing else refers
    /// to it and `other` is small (an accumulator given an attribute or
    /// two): each attribute is inserted where it belongs instead of both
    /// sets being copied.
    pub fn update_owned(mut self, other: &Attrs) -> Attrs {
        const IN_PLACE_MOST: usize = 4;
        // `{ } // s` is `s` itself, as in Nix, which prints it as repeated
        // where `s` is printed too.
        if self.is_empty() {
            return other.clone();
        }
        if other.len() <= IN_PLACE_MOST {
            if let Some(inner) = Rc::get_mut(&mut self.0) {
                for (name, v) in other.entries() {
                    match inner.entries.binary_search_by_key(name, |e| e.0) {
                        Ok(i) => inner.entries[i].1 = v.clone(),
                        Err(i) => inner.entries.insert(i, (*name, v.clone())),
                    }
                }
                if let Some(positions) = &other.0.positions {
                    inner.positions = Some(positions.clone());
                }
                return self;
            }
        }
        self.update(other)
    }

    /// Whether both are the same allocation.
    pub fn ptr_eq(&self, other: &Attrs) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// An address identifying this set while it is alive.
    pub fn addr(&self) -> usize {
        Rc::as_ptr(&self.0) as usize
    }

    pub(super) fn is_unique(&self) -> bool {
        Rc::strong_count(&self.0) == 1 && !self.0.entries.is_empty()
    }

    /// How many references to this set exist (for the cycle collector).
    pub(super) fn strong_count(&self) -> usize {
        Rc::strong_count(&self.0)
    }
}

impl Drop for Attrs {
    /// Only the last reference releases anything (see `Thunk`'s drop).
    #[inline(always)]
    fn drop(&mut self) {
        if Rc::strong_count(&self.0) == 1 {
            self.release_entries();
        }
    }
}

impl Attrs {
    /// Releases the values, when this is the last reference.
    #[inline(never)]
    fn release_entries(&mut self) {
        if let Some(inner) = Rc::get_mut(&mut self.0) {
            release(inner.entries.drain(..).map(|(_, v)| v));
        }
    }
}

/// Collects attributes in any order, reporting the first duplicate.
#[derive(Default)]
pub struct AttrsBuilder {
    entries: Vec<(Symbol, Value)>,
}

impl AttrsBuilder {
    /// A builder with room for `n` attributes.
    pub fn with_capacity(n: usize) -> Self {
        AttrsBuilder {
            entries: Vec::with_capacity(n),
        }
    }

    /// Adds an attribute.
    pub fn insert(&mut self, name: Symbol, value: Value) {
        self.entries.push((name, value));
    }

    /// Sorts and builds. A duplicate name is returned as the error.
    pub fn finish(mut self) -> Result<Attrs, Symbol> {
        self.entries.sort_by_key(|e| e.0);
        if let Some(w) = self.entries.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(w[0].0);
        }
        Ok(Attrs::from_sorted(self.entries, None))
    }

    /// Sorts and builds; for duplicates the first insertion wins.
    pub fn finish_first_wins(mut self) -> Attrs {
        self.entries.sort_by_key(|e| e.0);
        self.entries.dedup_by_key(|e| e.0);
        Attrs::from_sorted(self.entries, None)
    }

    /// Sorts and builds; for duplicates the last insertion wins.
    pub fn finish_last_wins(self) -> Attrs {
        Attrs::from_unsorted(self.entries)
    }
}
