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
}

impl Interner {
    fn name(&self, sym: Symbol) -> &[u8] {
        name_in(&self.bytes, &self.ends, sym)
    }

    fn reserve(&mut self, additional: usize) {
        let Interner { bytes, ends, table } = self;
        ends.reserve(additional);
        table.reserve(additional, |&s| hash(name_in(bytes, ends, s)));
    }

    fn intern(&mut self, name: &[u8]) -> Symbol {
        let hash = hash(name);
        let Interner { bytes, ends, table } = self;
        if let Some(&sym) = table.find(hash, |&s| name_in(bytes, ends, s) == name) {
            return sym;
        }
        let sym = Symbol(ends.len() as u32);
        bytes.extend_from_slice(name);
        ends.push(bytes.len());
        table.insert_unique(hash, sym, |&s| hash_of(bytes, ends, s));
        sym
    }
}

fn name_in<'b>(bytes: &'b [u8], ends: &[usize], sym: Symbol) -> &'b [u8] {
    let i = sym.0 as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &bytes[start..ends[i]]
}

fn hash(name: &[u8]) -> u64 {
    FxBuildHasher.hash_one(name)
}

fn hash_of(bytes: &[u8], ends: &[usize], sym: Symbol) -> u64 {
    hash(name_in(bytes, ends, sym))
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

    /// The interned name, in an allocation of its own (the interner keeps
    /// its names in one buffer); [`Symbol::with_name`] reads it in place.
    pub fn name(self) -> Rc<[u8]> {
        INTERNER.with(|cell| Rc::from(cell.borrow().name(self)))
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
