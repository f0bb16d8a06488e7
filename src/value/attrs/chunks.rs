//! Large attribute sets as runs of shared chunks.
//!
//! Copying an entry of a set is not a copy of 24 bytes: the copy counts one
//! more reference to the value it holds, and freeing the copy counts one
//! less, and both touch the value's memory wherever it lies. A package set
//! built by overlays merges sets of thousands of entries once per overlay,
//! so entry copies were most of its time. A set of more than
//! [`FLAT_MOST`] entries therefore keeps them in chunks of at most
//! [`CHUNK_MOST`], each behind a counted reference: `big // small` copies
//! the few chunks `small` lands in and shares the others, one count each.

use std::rc::Rc;

use super::super::{drop::release, Value};
use crate::symbol::Symbol;

/// The most entries a set keeps in one flat array; a larger one is chunked.
pub(super) const FLAT_MOST: usize = 64;

/// The most entries of one chunk.
pub(super) const CHUNK_MOST: usize = 64;

/// A chunk shorter than this is copied instead of shared when sets are
/// merged, and a short run of copied entries joins the chunk before it:
/// so updates one name at a time cannot leave a set in tiny chunks.
const CHUNK_LEAST: usize = 16;

/// Entries in symbol order, shared by the sets made of them.
#[derive(Clone)]
pub(crate) struct Chunk(Rc<[(Symbol, Value)]>);

impl Drop for Chunk {
    /// The last reference releases the values without deep recursion.
    fn drop(&mut self) {
        if let Some(entries) = Rc::get_mut(&mut self.0) {
            release(entries.iter_mut().map(|(_, v)| std::mem::take(v)));
        }
    }
}

impl Chunk {
    fn new(entries: impl ExactSizeIterator<Item = (Symbol, Value)>) -> Chunk {
        Chunk(entries.collect())
    }

    pub(crate) fn entries(&self) -> &[(Symbol, Value)] {
        &self.0
    }

    fn last(&self) -> Symbol {
        self.0[self.0.len() - 1].0
    }

    /// This chunk with `entry` in place of the `replaced` (0 or 1) entries
    /// at `at`: the others moved over when no other set shares this chunk,
    /// copied when one does.
    fn with_entry(&mut self, at: usize, replaced: usize, entry: (Symbol, Value)) -> Chunk {
        let entry = std::iter::once(entry);
        match Rc::get_mut(&mut self.0) {
            Some(entries) => {
                let (before, after) = entries.split_at_mut(at);
                let moved = |e: &mut (Symbol, Value)| (e.0, std::mem::take(&mut e.1));
                let after = after[replaced..].iter_mut().map(moved);
                Chunk(
                    before
                        .iter_mut()
                        .map(moved)
                        .chain(entry)
                        .chain(after)
                        .collect(),
                )
            }
            None => {
                let (before, after) = self.0.split_at(at);
                let after = after[replaced..].iter().cloned();
                Chunk(before.iter().cloned().chain(entry).chain(after).collect())
            }
        }
    }

    /// The entries as an array of their own: moved out when no other set
    /// shares this chunk, copied when one does.
    fn take_entries(&mut self) -> Vec<(Symbol, Value)> {
        match Rc::get_mut(&mut self.0) {
            Some(entries) => entries
                .iter_mut()
                .map(|(k, v)| (*k, std::mem::take(v)))
                .collect(),
            None => self.0.to_vec(),
        }
    }

    /// An address identifying this chunk while it is alive.
    pub(crate) fn addr(&self) -> usize {
        Rc::as_ptr(&self.0) as *const u8 as usize
    }

    /// How many sets share this chunk (for the cycle collector).
    pub(crate) fn strong_count(&self) -> usize {
        Rc::strong_count(&self.0)
    }
}

/// One chunk of a set, with what finding an entry needs without following
/// the chunk's pointer.
struct Slot {
    /// The chunk's last name.
    last: Symbol,
    /// The position of the chunk's first entry in the whole set.
    start: usize,
    chunk: Chunk,
}

/// The entries of a chunked set: non-empty chunks in symbol order.
pub(super) struct Chunks {
    slots: Vec<Slot>,
    len: usize,
}

impl Chunks {
    /// Splits sorted entries into chunks of about equal length.
    pub(super) fn from_sorted(entries: Vec<(Symbol, Value)>) -> Chunks {
        let len = entries.len();
        let count = len.div_ceil(CHUNK_MOST);
        let mut entries = entries.into_iter();
        let mut slots = Vec::with_capacity(count);
        let mut start = 0;
        for i in 0..count {
            let end = len * (i + 1) / count;
            let chunk = Chunk::new(entries.by_ref().take(end - start));
            slots.push(Slot {
                last: chunk.last(),
                start,
                chunk,
            });
            start = end;
        }
        Chunks { slots, len }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(super) fn get(&self, name: Symbol) -> Option<&Value> {
        let slot = &self
            .slots
            .get(self.slots.partition_point(|s| s.last < name))?;
        let entries = slot.chunk.entries();
        entries
            .binary_search_by_key(&name, |e| e.0)
            .ok()
            .map(|i| &entries[i].1)
    }

    pub(super) fn entry_at(&self, i: usize) -> Option<&(Symbol, Value)> {
        let slot = self
            .slots
            .partition_point(|s| s.start <= i)
            .checked_sub(1)?;
        let slot = &self.slots[slot];
        slot.chunk.entries().get(i - slot.start)
    }

    pub(super) fn chunks(&self) -> impl Iterator<Item = &Chunk> {
        self.slots.iter().map(|s| &s.chunk)
    }

    /// Sets `name` to `value` in this set alone: the chunk it lands in is
    /// changed in place when no other set shares it, else replaced by a
    /// copy; one that grows too long is split in two.
    pub(super) fn insert(&mut self, name: Symbol, value: Value) {
        let i = self
            .slots
            .partition_point(|s| s.last < name)
            .min(self.slots.len() - 1);
        let is_last = i + 1 == self.slots.len();
        let slot = &mut self.slots[i];
        let at = match slot.chunk.entries().binary_search_by_key(&name, |e| e.0) {
            Ok(j) => {
                match Rc::get_mut(&mut slot.chunk.0) {
                    Some(entries) => entries[j].1 = value,
                    None => slot.chunk = slot.chunk.with_entry(j, 1, (name, value)),
                }
                return;
            }
            Err(j) => j,
        };
        self.len += 1;
        let full = slot.chunk.0.len() >= CHUNK_MOST;
        if full && is_last && at == slot.chunk.0.len() {
            // Appending to a full last chunk starts the next one, so that
            // a set grown name by name copies no full chunk.
            let start = self.len - 1;
            self.slots.push(Slot {
                last: name,
                start,
                chunk: Chunk::new([(name, value)].into_iter()),
            });
            return;
        }
        if full {
            self.split(i, at, (name, value));
        } else {
            slot.chunk = slot.chunk.with_entry(at, 0, (name, value));
            slot.last = slot.chunk.last();
        }
        let after = if full { i + 2 } else { i + 1 };
        for later in &mut self.slots[after..] {
            later.start += 1;
        }
    }

    /// Puts `entry` at `at` in the full chunk of slot `i`, which becomes
    /// two chunks of half its length.
    fn split(&mut self, i: usize, at: usize, entry: (Symbol, Value)) {
        let mut entries = self.slots[i].chunk.take_entries();
        entries.insert(at, entry);
        let second = Chunk::new(entries.drain(entries.len() / 2..));
        let first = Chunk::new(entries.into_iter());
        let start = self.slots[i].start;
        let second_start = start + first.entries().len();
        self.slots[i] = Slot {
            last: first.last(),
            start,
            chunk: first,
        };
        self.slots.insert(
            i + 1,
            Slot {
                last: second.last(),
                start: second_start,
                chunk: second,
            },
        );
    }

    /// Drops the chunks; each releases its values if it was the last
    /// reference to them.
    pub(super) fn clear(&mut self) {
        self.slots = Vec::new();
        self.len = 0;
    }
}

/// The entries of a set in symbol order, chunk after chunk.
pub struct Iter<'a> {
    current: std::slice::Iter<'a, (Symbol, Value)>,
    rest: std::slice::Iter<'a, Slot>,
    remaining: usize,
}

impl<'a> Iter<'a> {
    pub(super) fn flat(entries: &'a [(Symbol, Value)]) -> Iter<'a> {
        Iter {
            current: entries.iter(),
            rest: [].iter(),
            remaining: entries.len(),
        }
    }

    pub(super) fn chunked(chunks: &'a Chunks) -> Iter<'a> {
        Iter {
            current: [].iter(),
            rest: chunks.slots.iter(),
            remaining: chunks.len,
        }
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a (Symbol, Value);

    #[inline]
    fn next(&mut self) -> Option<&'a (Symbol, Value)> {
        loop {
            if let Some(entry) = self.current.next() {
                self.remaining -= 1;
                return Some(entry);
            }
            self.current = self.rest.next()?.chunk.entries().iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// What a merge reads one side from: its entries in runs, each run a
/// chunk that may be shared whole when the other side has nothing inside
/// its range.
#[derive(Clone)]
struct Cursor<'a> {
    run: &'a [(Symbol, Value)],
    /// The chunk `run` is, if it may be shared.
    chunk: Option<&'a Chunk>,
    at: usize,
    rest: std::slice::Iter<'a, Slot>,
}

impl<'a> Cursor<'a> {
    fn flat(entries: &'a [(Symbol, Value)]) -> Cursor<'a> {
        Cursor {
            run: entries,
            chunk: None,
            at: 0,
            rest: [].iter(),
        }
    }

    fn chunked(chunks: &'a Chunks) -> Cursor<'a> {
        let mut cursor = Cursor {
            run: &[],
            chunk: None,
            at: 0,
            rest: chunks.slots.iter(),
        };
        cursor.next_run();
        cursor
    }

    /// Moves to the start of the next run, past what is left of this one.
    fn next_run(&mut self) {
        if let Some(slot) = self.rest.next() {
            self.run = slot.chunk.entries();
            self.chunk = Some(&slot.chunk);
        } else {
            self.run = &[];
            self.chunk = None;
        }
        self.at = 0;
    }

    /// The next name, unless the side is exhausted.
    fn peek(&self) -> Option<Symbol> {
        self.run.get(self.at).map(|e| e.0)
    }

    /// The chunk the cursor stands at the start of, which may be shared
    /// whole.
    fn chunk_at_start(&self) -> Option<&'a Chunk> {
        self.chunk.filter(|_| self.at == 0)
    }

    /// The chunk the cursor stands at the start of, if it ends before
    /// `other`, the other side's next name.
    fn whole_chunk_before(&self, other: Symbol) -> Option<&'a Chunk> {
        self.chunk_at_start().filter(|c| c.last() < other)
    }

    /// The chunk the cursor stands at the start of, if it has every name
    /// that `other` has up to the chunk's last one (so sharing it overrides
    /// them all); and `other` moved past those names.
    fn chunk_covering(&self, other: &Cursor<'a>) -> Option<(&'a Chunk, Cursor<'a>)> {
        let chunk = self.chunk_at_start()?;
        let (entries, last) = (chunk.entries(), chunk.last());
        let mut rest = other.clone();
        let mut j = 0;
        while let Some(name) = rest.peek().filter(|&k| k <= last) {
            j += entries[j..].partition_point(|e| e.0 < name);
            if entries.get(j).is_none_or(|e| e.0 != name) {
                return None;
            }
            rest.take();
        }
        Some((chunk, rest))
    }

    fn take(&mut self) -> &'a (Symbol, Value) {
        let entry = &self.run[self.at];
        self.advance(1);
        entry
    }

    /// Moves on by `n` entries, all in the current run.
    fn advance(&mut self, n: usize) {
        self.at += n;
        if self.at == self.run.len() {
            self.next_run();
        }
    }
}

/// Builds the entries of a merged set from copied entries and shared
/// chunks, in symbol order.
struct Builder {
    slots: Vec<Slot>,
    /// Copied entries after the last slot.
    loose: Vec<(Symbol, Value)>,
    len: usize,
}

impl Builder {
    fn new(expected: usize) -> Builder {
        Builder {
            slots: Vec::new(),
            loose: Vec::with_capacity(expected.min(CHUNK_MOST)),
            len: 0,
        }
    }

    fn push(&mut self, entry: (Symbol, Value)) {
        self.loose.push(entry);
        if self.loose.len() == CHUNK_MOST {
            self.seal_loose();
        }
    }

    fn share(&mut self, chunk: &Chunk) {
        if chunk.entries().len() < CHUNK_LEAST {
            for entry in chunk.entries() {
                self.push(entry.clone());
            }
            return;
        }
        self.seal_loose();
        self.add(chunk.clone());
    }

    fn add(&mut self, chunk: Chunk) {
        let n = chunk.entries().len();
        self.slots.push(Slot {
            last: chunk.last(),
            start: self.len,
            chunk,
        });
        self.len += n;
    }

    /// Makes the loose entries a chunk, or when they are few, one with the
    /// chunk before them if both fit.
    fn seal_loose(&mut self) {
        if self.loose.is_empty() {
            return;
        }
        let joins_previous = self.loose.len() < CHUNK_LEAST
            && self
                .slots
                .last()
                .is_some_and(|s| s.chunk.entries().len() + self.loose.len() <= CHUNK_MOST);
        let previous = if joins_previous {
            self.slots.pop()
        } else {
            None
        };
        let chunk = match previous {
            Some(previous) => {
                self.len -= previous.chunk.entries().len();
                let entries = previous.chunk.entries().iter().cloned();
                Chunk(entries.chain(self.loose.drain(..)).collect())
            }
            None => Chunk::new(self.loose.drain(..)),
        };
        self.add(chunk);
    }

    /// The merged entries: flat when few, else chunked.
    fn finish(mut self) -> super::Entries {
        if self.slots.is_empty() {
            return super::Entries::Flat(self.loose);
        }
        if self.len + self.loose.len() <= FLAT_MOST {
            let mut flat = Vec::with_capacity(self.len + self.loose.len());
            for slot in &self.slots {
                flat.extend_from_slice(slot.chunk.entries());
            }
            flat.append(&mut self.loose);
            return super::Entries::Flat(flat);
        }
        self.seal_loose();
        super::Entries::Chunked(Chunks {
            len: self.len,
            slots: self.slots,
        })
    }
}

/// The entries of `a // b`: one walk over both in symbol order, sharing
/// every chunk of either side that the other side has no name inside.
pub(super) fn merge(a: &super::Entries, b: &super::Entries) -> super::Entries {
    let mut out = Builder::new(a.len() + b.len());
    let (mut x, mut y) = (a.cursor(), b.cursor());
    loop {
        match (x.peek(), y.peek()) {
            (None, None) => break,
            (Some(_), None) => {
                copy_rest(&mut out, &mut x);
                break;
            }
            (None, Some(_)) => {
                copy_rest(&mut out, &mut y);
                break;
            }
            (Some(kx), Some(ky)) => {
                if let Some(chunk) = x.whole_chunk_before(ky) {
                    out.share(chunk);
                    x.next_run();
                } else if let Some(chunk) = y.whole_chunk_before(kx) {
                    out.share(chunk);
                    y.next_run();
                } else if let Some((chunk, x_after)) = y.chunk_covering(&x) {
                    out.share(chunk);
                    y.next_run();
                    x = x_after;
                } else {
                    merge_runs(&mut out, &mut x, &mut y);
                }
            }
        }
    }
    out.finish()
}

/// The entries of a set without the names in `removed` (sorted), sharing
/// every chunk that has none of them.
pub(super) fn without(entries: &super::Entries, removed: &[Symbol]) -> super::Entries {
    let mut out = Builder::new(entries.len());
    let mut side = entries.cursor();
    let mut removed = removed.iter().copied().peekable();
    while let Some(name) = side.peek() {
        while removed.next_if(|&r| r < name).is_some() {}
        let Some(&next_removed) = removed.peek() else {
            copy_rest(&mut out, &mut side);
            break;
        };
        if let Some(chunk) = side.whole_chunk_before(next_removed) {
            out.share(chunk);
            side.next_run();
        } else {
            let entry = side.take();
            if entry.0 != next_removed {
                out.push(entry.clone());
            }
        }
    }
    out.finish()
}

/// Copies entries from the runs `x` and `y` stand in, in symbol order, `y`
/// winning, until one of the runs ends: only there can a chunk be shared.
fn merge_runs(out: &mut Builder, x: &mut Cursor, y: &mut Cursor) {
    let (xs, ys) = (&x.run[x.at..], &y.run[y.at..]);
    let (mut i, mut j) = (0, 0);
    while i < xs.len() && j < ys.len() {
        match xs[i].0.cmp(&ys[j].0) {
            std::cmp::Ordering::Less => {
                out.push(xs[i].clone());
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(ys[j].clone());
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(ys[j].clone());
                i += 1;
                j += 1;
            }
        }
    }
    x.advance(i);
    y.advance(j);
}

/// Copies what is left of one side, sharing its whole chunks.
fn copy_rest(out: &mut Builder, side: &mut Cursor) {
    while side.peek().is_some() {
        match side.chunk_at_start() {
            Some(chunk) => {
                out.share(chunk);
                side.next_run();
            }
            None => out.push(side.take().clone()),
        }
    }
}

impl super::Entries {
    fn cursor(&self) -> Cursor<'_> {
        match self {
            super::Entries::Flat(entries) => Cursor::flat(entries),
            super::Entries::Chunked(chunks) => Cursor::chunked(chunks),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::{Attrs, Entries};
    use super::*;

    /// A deterministic stream of numbers for building test sets.
    struct Numbers(u64);

    impl Numbers {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    fn name(i: u64) -> Symbol {
        Symbol::intern(format!("chunk-test-{i}"))
    }

    fn model_of(attrs: &Attrs) -> BTreeMap<Symbol, i64> {
        attrs
            .iter()
            .map(|(k, v)| match v {
                Value::Int(i) => (*k, *i),
                _ => panic!("test sets hold numbers"),
            })
            .collect()
    }

    fn set_of(model: &BTreeMap<Symbol, i64>) -> Attrs {
        Attrs::from_sorted(
            model.iter().map(|(k, v)| (*k, Value::Int(*v))).collect(),
            None,
        )
    }

    /// A set of `len` names drawn from `0..spread`, each with a number.
    fn random_model(numbers: &mut Numbers, len: u64, spread: u64) -> BTreeMap<Symbol, i64> {
        (0..len)
            .map(|_| (name(numbers.below(spread)), numbers.below(1000) as i64))
            .collect()
    }

    /// The layout every set keeps: flat up to [`FLAT_MOST`] entries, else
    /// sorted chunks of at most [`CHUNK_MOST`], no two short ones together,
    /// with their last names and starts right.
    fn check_layout(attrs: &Attrs) {
        match &attrs.0.entries {
            Entries::Flat(entries) => {
                assert!(entries.len() <= FLAT_MOST);
                assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
            }
            Entries::Chunked(chunks) => {
                assert!(chunks.len > FLAT_MOST);
                let mut start = 0;
                let mut previous_short = false;
                for slot in &chunks.slots {
                    let entries = slot.chunk.entries();
                    assert!(!entries.is_empty() && entries.len() <= CHUNK_MOST);
                    assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
                    assert_eq!(slot.last, slot.chunk.last());
                    assert_eq!(slot.start, start);
                    let short = entries.len() < CHUNK_LEAST;
                    assert!(!(short && previous_short), "two short chunks together");
                    previous_short = short;
                    start += entries.len();
                }
                assert_eq!(start, chunks.len);
                let names: Vec<Symbol> = attrs.iter().map(|e| e.0).collect();
                assert!(names.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }

    fn chunk_addrs(attrs: &Attrs) -> Vec<usize> {
        attrs
            .chunks()
            .map(|c| c.map(Chunk::addr).collect())
            .unwrap_or_default()
    }

    #[test]
    fn merging_agrees_with_a_map() {
        let mut numbers = Numbers(7);
        for _ in 0..400 {
            let spread = 1 + numbers.below(1500);
            let (la, lb) = (numbers.below(600), numbers.below(600));
            let (ma, mb) = (
                random_model(&mut numbers, la, spread),
                random_model(&mut numbers, lb, spread),
            );
            let merged = set_of(&ma).update(&set_of(&mb));
            let mut expected = ma.clone();
            expected.extend(mb.iter().map(|(k, v)| (*k, *v)));
            check_layout(&merged);
            assert_eq!(model_of(&merged), expected);
            assert_eq!(merged.len(), expected.len());
            for (i, (k, _)) in expected.iter().enumerate() {
                assert_eq!(merged.entry_at(i).map(|e| e.0), Some(*k));
                assert!(merged.contains(*k));
            }
            assert!(merged.entry_at(expected.len()).is_none());
        }
    }

    #[test]
    fn a_few_names_over_a_large_set_share_its_other_chunks() {
        let big: BTreeMap<Symbol, i64> = (0..2000).map(|i| (name(i), i as i64)).collect();
        let big = set_of(&big);
        let small = set_of(&[(name(1000), -1), (name(5000), -2)].into_iter().collect());
        for merged in [big.update(&small), small.update(&big)] {
            check_layout(&merged);
            let (before, after) = (chunk_addrs(&big), chunk_addrs(&merged));
            let shared = after.iter().filter(|a| before.contains(a)).count();
            assert!(
                shared + 3 >= before.len(),
                "{shared} of {} shared",
                before.len()
            );
        }
    }

    #[test]
    fn a_set_that_overrides_a_whole_range_shares_its_chunks() {
        let base = set_of(&(0..1000).map(|i| (name(i), 0)).collect());
        let full = set_of(&(0..1000).map(|i| (name(i), 2)).collect());
        let merged = base.update(&full);
        assert_eq!(chunk_addrs(&merged), chunk_addrs(&full));
    }

    #[test]
    fn growing_a_set_in_place_keeps_its_layout() {
        let mut numbers = Numbers(11);
        for spread in [100, 400, 3000] {
            let mut model = BTreeMap::new();
            let mut set = Attrs::empty();
            for _ in 0..1500 {
                let (k, v) = (name(numbers.below(spread)), numbers.below(1000) as i64);
                model.insert(k, v);
                set = set.update_owned(&set_of(&[(k, v)].into_iter().collect()));
                check_layout(&set);
            }
            assert_eq!(model_of(&set), model);
        }
        // Appending in name order fills chunks instead of copying full ones.
        let mut set = Attrs::empty();
        for i in 0..1000 {
            let fresh = Symbol::intern(format!("chunk-append-{i}"));
            set = set.update_owned(&set_of(&[(fresh, i)].into_iter().collect()));
        }
        check_layout(&set);
        assert_eq!(set.len(), 1000);
    }

    #[test]
    fn updating_in_place_leaves_a_shared_chunk_alone() {
        let base = set_of(&(0..300).map(|i| (name(i), 0)).collect());
        let copy = base.update(&set_of(&[(name(5000), 1)].into_iter().collect()));
        let changed = copy
            .clone()
            .update_owned(&set_of(&[(name(10), 9)].into_iter().collect()));
        drop(copy);
        assert_eq!(
            base.get(name(10)).map(|v| matches!(v, Value::Int(0))),
            Some(true)
        );
        assert_eq!(
            changed.get(name(10)).map(|v| matches!(v, Value::Int(9))),
            Some(true)
        );
    }

    #[test]
    fn removing_agrees_with_a_map_and_shares_untouched_chunks() {
        let mut numbers = Numbers(3);
        for _ in 0..200 {
            let len = numbers.below(800);
            let model = random_model(&mut numbers, len, 2000);
            let removed: Vec<Symbol> = (0..numbers.below(100))
                .map(|_| name(numbers.below(2000)))
                .collect();
            let set = set_of(&model);
            let result = set.without(removed.clone());
            let mut expected = model.clone();
            for k in &removed {
                expected.remove(k);
            }
            check_layout(&result);
            assert_eq!(model_of(&result), expected);
        }
        let big = set_of(&(0..2000).map(|i| (name(i), 0)).collect());
        let result = big.without(vec![name(3)]);
        let shared = chunk_addrs(&result)
            .iter()
            .filter(|a| chunk_addrs(&big).contains(a))
            .count();
        assert!(shared + 1 >= chunk_addrs(&big).len());
    }
}
