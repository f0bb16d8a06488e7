//! Attribute sets: (symbol, value) entries sorted by symbol.
//!
//! Lookup is a binary search over integers. Iteration in name order (what
//! Nix prints and what `attrNames` returns) sorts on demand. A small set is
//! one array; a large one is a run of shared chunks (see `chunks.rs`).

mod chunks;

use std::rc::Rc;

use super::{drop::release, Value};
use crate::source::Span;
use crate::symbol::Symbol;
pub(crate) use chunks::Chunk;
pub use chunks::Iter;
use chunks::{Chunks, FLAT_MOST};

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
    entries: Entries,
    positions: Option<Rc<PosTable>>,
}

/// A set's entries: one array for at most [`FLAT_MOST`], else chunks.
enum Entries {
    Flat(Vec<(Symbol, Value)>),
    Chunked(Chunks),
}

impl Entries {
    fn len(&self) -> usize {
        match self {
            Entries::Flat(entries) => entries.len(),
            Entries::Chunked(chunks) => chunks.len(),
        }
    }
}

/// A Nix attribute set. Cloning shares it.
#[derive(Clone)]
pub struct Attrs(Rc<AttrsInner>);

impl Attrs {
    /// The empty set.
    pub fn empty() -> Attrs {
        thread_local! {
            static EMPTY: Attrs = Attrs(Rc::new(AttrsInner { entries: Entries::Flat(Vec::new()), positions: None }));
        }
        EMPTY.with(|e| e.clone())
    }

    /// Makes a set from entries already sorted by symbol, without duplicates.
    pub fn from_sorted(entries: Vec<(Symbol, Value)>, positions: Option<Rc<PosTable>>) -> Attrs {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        if entries.is_empty() && positions.is_none() {
            return Attrs::empty();
        }
        let entries = if entries.len() <= FLAT_MOST {
            Entries::Flat(entries)
        } else {
            Entries::Chunked(Chunks::from_sorted(entries))
        };
        Attrs(Rc::new(AttrsInner { entries, positions }))
    }

    fn from_entries(entries: Entries, positions: Option<Rc<PosTable>>) -> Attrs {
        if entries.len() == 0 && positions.is_none() {
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
        self.len() == 0
    }

    /// Looks up an attribute.
    #[inline]
    pub fn get(&self, name: Symbol) -> Option<&Value> {
        let entries = match &self.0.entries {
            Entries::Flat(entries) => entries,
            Entries::Chunked(chunks) => return chunks.get(name),
        };
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
    pub fn iter(&self) -> Iter<'_> {
        match &self.0.entries {
            Entries::Flat(entries) => Iter::flat(entries),
            Entries::Chunked(chunks) => Iter::chunked(chunks),
        }
    }

    /// The entry at position `i` in symbol order.
    pub fn entry_at(&self, i: usize) -> Option<&(Symbol, Value)> {
        match &self.0.entries {
            Entries::Flat(entries) => entries.get(i),
            Entries::Chunked(chunks) => chunks.entry_at(i),
        }
    }

    /// The shared chunks of a large set; `None` for a small one, whose
    /// values are its own (for the cycle collector).
    pub(crate) fn chunks(&self) -> Option<impl Iterator<Item = &Chunk>> {
        match &self.0.entries {
            Entries::Flat(_) => None,
            Entries::Chunked(chunks) => Some(chunks.chunks()),
        }
    }

    /// The entries in alphabetical order of their names, as Nix lists them.
    pub fn sorted_entries(&self) -> Vec<(Rc<[u8]>, &Value)> {
        let mut out: Vec<(Rc<[u8]>, &Value)> = self.iter().map(|(k, v)| (k.name(), v)).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The names in alphabetical order.
    pub fn sorted_names(&self) -> Vec<Rc<[u8]>> {
        let mut names: Vec<Rc<[u8]>> = self.iter().map(|(k, _)| k.name()).collect();
        names.sort();
        names
    }

    /// `self // other`: one walk over both in symbol order, sharing the
    /// chunks of either that the other has no name inside.
    pub fn update(&self, other: &Attrs) -> Attrs {
        if other.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        let positions = other
            .0
            .positions
            .clone()
            .or_else(|| self.0.positions.clone());
        Attrs::from_entries(chunks::merge(&self.0.entries, &other.0.entries), positions)
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
        if other.len() <= IN_PLACE_MOST && self.update_in_place(other) {
            return self;
        }
        self.update(other)
    }

    /// `self // other` in place, if nothing else refers to `self`.
    fn update_in_place(&mut self, other: &Attrs) -> bool {
        let Some(inner) = Rc::get_mut(&mut self.0) else {
            return false;
        };
        match &mut inner.entries {
            Entries::Flat(entries) if entries.len() + other.len() <= FLAT_MOST => {
                for (name, v) in other.iter() {
                    match entries.binary_search_by_key(name, |e| e.0) {
                        Ok(i) => entries[i].1 = v.clone(),
                        Err(i) => entries.insert(i, (*name, v.clone())),
                    }
                }
            }
            Entries::Flat(_) => return false,
            Entries::Chunked(chunks) => {
                for (name, v) in other.iter() {
                    chunks.insert(*name, v.clone());
                }
            }
        }
        if let Some(positions) = &other.0.positions {
            inner.positions = Some(positions.clone());
        }
        true
    }

    /// The attributes of `self` whose names `names` has too
    /// (`intersectAttrs names self`), found from the smaller of the two.
    /// They keep their source positions, as in Nix.
    pub fn restricted_to(&self, names: &Attrs) -> Attrs {
        let kept = if names.len() < self.len() {
            names
                .iter()
                .filter_map(|(k, _)| Some((*k, self.get(*k)?.clone())))
                .collect()
        } else {
            self.iter()
                .filter(|(k, _)| names.contains(*k))
                .cloned()
                .collect()
        };
        Attrs::from_sorted(kept, self.0.positions.clone())
    }

    /// The set without the attributes `names` (`removeAttrs`); the rest
    /// keep their source positions, as in Nix.
    pub fn without(&self, mut names: Vec<Symbol>) -> Attrs {
        names.sort_unstable();
        let entries = chunks::without(&self.0.entries, &names);
        if entries.len() == self.len() {
            return self.clone();
        }
        Attrs::from_entries(entries, self.0.positions.clone())
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
        Rc::strong_count(&self.0) == 1 && !self.is_empty()
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
        match Rc::get_mut(&mut self.0).map(|inner| &mut inner.entries) {
            Some(Entries::Flat(entries)) => release(entries.drain(..).map(|(_, v)| v)),
            Some(Entries::Chunked(chunks)) => chunks.clear(),
            None => {}
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
