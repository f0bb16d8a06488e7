//! Interned attribute and variable names.
//!
//! A [`Symbol`] is a small integer standing for a name. Attribute sets are
//! sorted by symbol, so lookups compare integers, never strings. The interner
//! is per thread, like the values that use it. Names are bytes, like Nix
//! strings: `listToAttrs` or `${…}` can make a name that is not UTF-8.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use bstr::{BStr, ByteSlice};
use rustc_hash::FxHashMap;

/// An interned name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

#[derive(Default)]
struct Interner {
    ids: FxHashMap<Rc<[u8]>, Symbol>,
    names: Vec<Rc<[u8]>>,
}

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::default());
}

impl Symbol {
    /// Interns `name`, returning the same symbol for equal names.
    pub fn intern(name: impl AsRef<[u8]>) -> Symbol {
        Symbol::intern_bytes(name.as_ref())
    }

    /// Makes room for `additional` more names at once, when that many may
    /// come (the names of a set or `let` about to be read): a million new
    /// names would otherwise rehash the table twenty times over, each time
    /// into fresh memory. Names already interned only leave room unused.
    pub fn reserve(additional: usize) {
        INTERNER.with(|cell| {
            let mut interner = cell.borrow_mut();
            interner.ids.reserve(additional);
            interner.names.reserve(additional);
        })
    }

    fn intern_bytes(name: &[u8]) -> Symbol {
        INTERNER.with(|cell| {
            let mut interner = cell.borrow_mut();
            if let Some(&sym) = interner.ids.get(name) {
                return sym;
            }
            let sym = Symbol(interner.names.len() as u32);
            let shared: Rc<[u8]> = Rc::from(name);
            interner.names.push(shared.clone());
            interner.ids.insert(shared, sym);
            sym
        })
    }

    /// The interned name.
    pub fn name(self) -> Rc<[u8]> {
        INTERNER.with(|cell| cell.borrow().names[self.0 as usize].clone())
    }

    /// Runs `f` on the interned name without cloning it.
    pub fn with_name<R>(self, f: impl FnOnce(&BStr) -> R) -> R {
        INTERNER.with(|cell| f(cell.borrow().names[self.0 as usize].as_bstr()))
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
        INTERNER.with(|cell| cell.borrow().names.len() as u32)
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
