//! Lists: immutable, shared arrays of values.

use std::rc::Rc;

use super::{drop::release, Value};

/// A Nix list. Cloning shares the elements.
#[derive(Clone)]
pub struct List(Rc<Vec<Value>>);

impl List {
    /// The empty list.
    pub fn empty() -> List {
        thread_local! { static EMPTY: List = List(Rc::new(Vec::new())); }
        EMPTY.with(|e| e.clone())
    }

    /// About how many bytes a list of `len` elements takes, for the heap
    /// cap's reservations ([`crate::limits::Limits::reserve`]).
    pub fn bytes_for(len: usize) -> usize {
        len.saturating_mul(std::mem::size_of::<Value>())
    }

    /// Makes a list from a vector.
    pub fn from_vec(items: Vec<Value>) -> List {
        if items.is_empty() {
            return List::empty();
        }
        List(Rc::new(items))
    }

    /// `self ++ other`. An empty side gives the other back; a list nothing
    /// else refers to is extended in place (`[ x ] ++ f y` in a recursion,
    /// a fresh list appended to) instead of copied: its elements are moved,
    /// not cloned and released.
    pub fn concat(mut self, mut other: List) -> List {
        if self.is_empty() {
            return other;
        }
        if other.is_empty() {
            return self;
        }
        if let Some(items) = Rc::get_mut(&mut self.0) {
            match Rc::get_mut(&mut other.0) {
                Some(more) => items.append(more),
                None => items.extend_from_slice(&other.0),
            }
            return self;
        }
        if let Some(items) = Rc::get_mut(&mut other.0) {
            items.splice(0..0, self.0.iter().cloned());
            return other;
        }
        let mut items = Vec::with_capacity(self.len() + other.len());
        items.extend_from_slice(&self.0);
        items.extend_from_slice(&other.0);
        List::from_vec(items)
    }

    /// The elements.
    pub fn as_slice(&self) -> &[Value] {
        &self.0
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list has no elements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The element at `i`.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.0.get(i)
    }

    /// Iterates over the elements.
    pub fn iter(&self) -> std::slice::Iter<'_, Value> {
        self.0.iter()
    }

    /// Whether both are the same allocation.
    pub fn ptr_eq(&self, other: &List) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// An address identifying this list while it is alive.
    pub fn addr(&self) -> usize {
        Rc::as_ptr(&self.0) as usize
    }

    pub(super) fn is_unique(&self) -> bool {
        Rc::strong_count(&self.0) == 1 && !self.0.is_empty()
    }

    /// How many references to this list exist (for the cycle collector).
    pub(super) fn strong_count(&self) -> usize {
        Rc::strong_count(&self.0)
    }
}

impl Drop for List {
    /// Only the last reference releases anything (see `Thunk`'s drop).
    #[inline(always)]
    fn drop(&mut self) {
        if Rc::strong_count(&self.0) == 1 {
            self.release_items();
        }
    }
}

impl List {
    /// Releases the elements, when this is the last reference.
    #[inline(never)]
    fn release_items(&mut self) {
        if let Some(items) = Rc::get_mut(&mut self.0) {
            release(items.drain(..));
        }
    }
}

impl<'a> IntoIterator for &'a List {
    type Item = &'a Value;
    type IntoIter = std::slice::Iter<'a, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
