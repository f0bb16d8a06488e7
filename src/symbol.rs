//! Interned attribute and variable names.
//!
//! A [`Symbol`] is a small integer standing for a name. Attribute sets are
//! sorted by symbol, so lookups compare integers, never strings. The interner
//! is per thread, like the values that use it. Names are bytes, like Nix
//! strings: `listToAttrs` or `${…}` can make a name that is not UTF-8.

use std::cell::RefCell;
use std::fmt;
use std::hash::BuildHasher;
use std::rc::Rc;

use bstr::{BStr, ByteSlice};
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// An interned name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

/// The names of a thread, compact: a generated set of a million new names
/// costs a few bytes of `bytes` and `ends` and one slot of `table` each,
/// where a separate allocation per name, and a table of pointers to them,
/// cost about ten times the memory, most of it fresh pages.
#[derive(Default)]
struct Interner {
    /// Every name's bytes, one after the other, in the order interned.
    bytes: Vec<u8>,
    /// Where each name ends in `bytes`, by symbol: name `i` is
    /// `bytes[ends[i - 1]..ends[i]]`.
    ends: Vec<usize>,
    /// The symbols, hashed by their names.
    table: HashTable<Symbol>,
    /// The names handed out by [`Symbol::name`], by symbol, made the first
    /// time each is asked for: evaluation asks for the same few names over
    /// and over (`attrNames`, `mapAttrs`, `toJSON`), and parsing never.
    shared: Vec<Option<Rc<[u8]>>>,
}

impl Interner {
    fn name(&self, sym: Symbol) -> &[u8] {
        name_in(&self.bytes, &self.ends, sym)
    }

    fn shared_name(&mut self, sym: Symbol) -> Rc<[u8]> {
        let i = sym.0 as usize;
        if self.shared.len() <= i {
            self.shared.resize(i + 1, None);
        }
        if let Some(name) = &self.shared[i] {
            return name.clone();
        }
        let name: Rc<[u8]> = Rc::from(name_in(&self.bytes, &self.ends, sym));
        self.shared[i] = Some(name.clone());
        name
    }

    fn reserve(&mut self, additional: usize) {
        let Interner {
            bytes, ends, table, ..
        } = self;
        ends.reserve(additional);
        table.reserve(additional, |&s| hash_of(name_in(bytes, ends, s)));
    }

    fn intern(&mut self, name: &[u8]) -> Symbol {
        let hash = hash_of(name);
        let Interner {
            bytes, ends, table, ..
        } = self;
        if let Some(&sym) = table.find(hash, |&s| name_in(bytes, ends, s) == name) {
            return sym;
        }
        let sym = Symbol(ends.len() as u32);
        bytes.extend_from_slice(name);
        ends.push(bytes.len());
        table.insert_unique(hash, sym, |&s| hash_of(name_in(bytes, ends, s)));
        sym
    }

    /// Interns `names` as [`Interner::intern`] on each in turn would (new
    /// names numbered in the order they come, equal names given one
    /// symbol), but visits the table in the order of its slots rather than
    /// at random: a million new names would otherwise cost a cache miss
    /// each, most of the time of compiling a set that large. Names new to
    /// the table are first entered under provisional symbols counted down
    /// from `u32::MAX` (`u32::MAX - i` standing for `names[i]`), numbered
    /// in order, then given their numbers in the table.
    fn intern_all(&mut self, names: &[&[u8]]) -> Vec<Symbol> {
        let n = names.len();
        let room = (u32::MAX as usize).saturating_sub(2 * n);
        if n < BATCH || self.ends.len() >= room {
            return names.iter().map(|name| self.intern(name)).collect();
        }
        self.reserve(n);
        let order = table_order(names, self.table.capacity());
        let provisional = |i: u32| Symbol(u32::MAX - i);
        let known = self.ends.len() as u32;
        // Found, or entered provisionally, in table order.
        let mut found = Vec::with_capacity(n);
        {
            let Interner {
                bytes, ends, table, ..
            } = self;
            let name_of = |s: Symbol| -> &[u8] {
                if s.0 < known {
                    name_in(bytes, ends, s)
                } else {
                    names[(u32::MAX - s.0) as usize]
                }
            };
            for &(hash, i) in &order {
                // The name is read only to compare it (to a name whose hash
                // agrees): read at once, it would be read at random.
                let same = |&s: &Symbol| name_of(s) == names[i as usize];
                found.push(match table.find(hash, same) {
                    Some(&s) => s,
                    None => {
                        table.insert_unique(hash, provisional(i), |&s| hash_of(name_of(s)));
                        provisional(i)
                    }
                });
            }
        }
        let mut symbols = vec![Symbol(0); n];
        for (&(_, i), &symbol) in order.iter().zip(&found) {
            symbols[i as usize] = symbol;
        }
        // Numbered in order: `numbers[j]` is the number of the name that
        // `provisional(j)` stands for, once it has one.
        let mut numbers = vec![u32::MAX; n];
        for symbol in &mut symbols {
            if symbol.0 < known {
                continue;
            }
            let j = (u32::MAX - symbol.0) as usize;
            if numbers[j] == u32::MAX {
                numbers[j] = self.ends.len() as u32;
                self.bytes.extend_from_slice(names[j]);
                self.ends.push(self.bytes.len());
            }
            *symbol = Symbol(numbers[j]);
        }
        // The table's provisional symbols replaced, in table order again.
        for (&(hash, i), &symbol) in order.iter().zip(&found) {
            if symbol == provisional(i) {
                if let Some(slot) = self.table.find_mut(hash, |&s| s == symbol) {
                    *slot = Symbol(numbers[i as usize]);
                }
            }
        }
        symbols
    }
}

/// Below this many names, [`Interner::intern_all`] interns them one by one.
const BATCH: usize = 256;

/// Each name's hash and index, in about the order of the slots the hashes
/// start probing at in a table of `capacity` (hashbrown's: a power of two
/// of slots, 7/8 of them usable, probed from the hash's low bits): a
/// counting sort by the slot's group, of at most 1024 groups (each a
/// stream the sort writes to).
fn table_order(names: &[&[u8]], capacity: usize) -> Vec<(u64, u32)> {
    let slots = (capacity.saturating_mul(8) / 7).next_power_of_two().max(1);
    let shift = slots.trailing_zeros().saturating_sub(10);
    let group = |hash: u64| (hash as usize & (slots - 1)) >> shift;
    let hashes: Vec<u64> = names.iter().map(|name| hash_of(name)).collect();
    let mut starts = vec![0usize; (slots >> shift) + 1];
    for &hash in &hashes {
        starts[group(hash) + 1] += 1;
    }
    for g in 1..starts.len() {
        starts[g] += starts[g - 1];
    }
    let mut order = vec![(0, 0); names.len()];
    for (i, &hash) in hashes.iter().enumerate() {
        let at = &mut starts[group(hash)];
        order[*at] = (hash, i as u32);
        *at += 1;
    }
    order
}

fn name_in<'b>(bytes: &'b [u8], ends: &[usize], sym: Symbol) -> &'b [u8] {
    let i = sym.0 as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &bytes[start..ends[i]]
}

fn hash_of(name: &[u8]) -> u64 {
    FxBuildHasher.hash_one(name)
}

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::default());
}

impl Symbol {
    /// Interns `name`, returning the same symbol for equal names.
    pub fn intern(name: impl AsRef<[u8]>) -> Symbol {
        let name = name.as_ref();
        INTERNER.with(|cell| cell.borrow_mut().intern(name))
    }

    /// Makes room for `additional` more names at once, when that many may
    /// come (the names of a set or `let` about to be read): a million new
    /// names would otherwise rehash the table twenty times over, each time
    /// into fresh memory. Names already interned only leave room unused.
    pub fn reserve(additional: usize) {
        INTERNER.with(|cell| cell.borrow_mut().reserve(additional))
    }

    /// Interns `names` at once, returning their symbols in order, as
    /// [`Symbol::intern`] on each would: the names of a large set, whose
    /// lookups it makes in the order of the table's slots.
    pub fn intern_all(names: &[&[u8]]) -> Vec<Symbol> {
        INTERNER.with(|cell| cell.borrow_mut().intern_all(names))
    }

    /// The interned name, shared: made once per name, the first time it
    /// is asked for (the interner keeps its names in one buffer);
    /// [`Symbol::with_name`] reads it in place.
    pub fn name(self) -> Rc<[u8]> {
        INTERNER.with(|cell| match cell.try_borrow_mut() {
            Ok(mut interner) => interner.shared_name(self),
            // Asked for inside `with_name`: a copy of its own.
            Err(_) => Rc::from(cell.borrow().name(self)),
        })
    }

    /// Runs `f` on the interned name without copying it.
    pub fn with_name<R>(self, f: impl FnOnce(&BStr) -> R) -> R {
        INTERNER.with(|cell| f(cell.borrow().name(self).as_bstr()))
    }

    /// The name for messages: bytes that are not UTF-8 show as U+FFFD.
    pub fn display_name(self) -> String {
        self.with_name(|n| n.to_str_lossy().into_owned())
    }

    /// The raw index, stable for the life of the thread.
    pub fn index(self) -> u32 {
        self.0
    }

    /// How many names the thread has interned: the index the next new name
    /// will have (new names are numbered in the order they come).
    pub fn interned() -> u32 {
        INTERNER.with(|cell| cell.borrow().ends.len() as u32)
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_name(|n| write!(f, "{n:?}"))
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_name(|n| fmt::Display::fmt(n, f))
    }
}

/// Symbols the evaluator itself looks up, interned once per thread.
pub mod known {
    use super::Symbol;

    macro_rules! known_symbols {
        ($($fn_name:ident => $text:literal),* $(,)?) => {
            $(
                #[doc = concat!("The symbol `", $text, "`.")]
                pub fn $fn_name() -> Symbol {
                    thread_local! { static SYM: Symbol = Symbol::intern($text); }
                    SYM.with(|s| *s)
                }
            )*
        };
    }

    known_symbols! {
        functor => "__functor",
        to_string => "__toString",
        out_path => "outPath",
        type_ => "type",
        name => "name",
        value => "value",
        success => "success",
        drv_path => "drvPath",
        outputs => "outputs",
        out => "out",
        output_name => "outputName",
        ignore_nulls => "__ignoreNulls",
        structured_attrs => "__structuredAttrs",
        file => "file",
        line => "line",
        column => "column",
        key => "key",
        operator => "operator",
        start_set => "startSet",
        path => "path",
        prefix => "prefix",
        right => "right",
        wrong => "wrong",
        system => "system",
        builder => "builder",
        args => "args",
        all => "all",
    }
}

#[cfg(test)]
mod tests {
    use super::Symbol;

    /// The symbols of `before` interned one by one and then of `names`,
    /// one by one or all at once, on a thread of their own (a fresh table).
    fn interned(before: &[Vec<u8>], names: &[Vec<u8>], at_once: bool) -> Vec<(Symbol, Vec<u8>)> {
        let (before, names) = (before.to_vec(), names.to_vec());
        std::thread::spawn(move || {
            for name in &before {
                Symbol::intern(name);
            }
            let slices: Vec<&[u8]> = names.iter().map(|n| n.as_slice()).collect();
            let symbols = if at_once {
                Symbol::intern_all(&slices)
            } else {
                slices.iter().map(Symbol::intern).collect()
            };
            let named = symbols.iter().map(|s| (*s, s.name().to_vec())).collect();
            // Every name is found again as it was given.
            for (symbol, name) in symbols.iter().zip(&names) {
                assert_eq!(Symbol::intern(name), *symbol);
            }
            named
        })
        .join()
        .expect("no panic")
    }

    #[test]
    fn interning_at_once_numbers_names_as_one_by_one() {
        // Names already known, new names, and new names given twice, in
        // runs long enough to take the batched path.
        let before: Vec<Vec<u8>> = (0..500).map(|i| format!("k{i}").into_bytes()).collect();
        let names: Vec<Vec<u8>> = (0..5000)
            .map(|i| match i % 5 {
                0 => format!("k{}", i % 700),
                1 => format!("d{}", i % 300),
                _ => format!("n{i}"),
            })
            .map(String::into_bytes)
            .chain([Vec::new(), vec![0xff, 0xfe], b"n2".to_vec()])
            .collect();
        let one_by_one = interned(&before, &names, false);
        let at_once = interned(&before, &names, true);
        assert_eq!(one_by_one, at_once);
        // A few names take the plain path.
        assert_eq!(
            interned(&[], &names[..10], false),
            interned(&[], &names[..10], true)
        );
    }
}
