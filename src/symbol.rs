//! Interned attribute and variable names.
//!
//! A [`Symbol`] is a small integer standing for a string. Attribute sets are
//! sorted by symbol, so lookups compare integers, never strings. The interner
//! is per thread, like the values that use it.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use rustc_hash::FxHashMap;

/// An interned name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

#[derive(Default)]
struct Interner {
    ids: FxHashMap<Rc<str>, Symbol>,
    names: Vec<Rc<str>>,
}

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::default());
}

impl Symbol {
    /// Interns `name`, returning the same symbol for equal strings.
    pub fn intern(name: &str) -> Symbol {
        INTERNER.with(|cell| {
            let mut interner = cell.borrow_mut();
            if let Some(&sym) = interner.ids.get(name) {
                return sym;
            }
            let sym = Symbol(interner.names.len() as u32);
            let shared: Rc<str> = Rc::from(name);
            interner.names.push(shared.clone());
            interner.ids.insert(shared, sym);
            sym
        })
    }

    /// The interned string.
    pub fn name(self) -> Rc<str> {
        INTERNER.with(|cell| cell.borrow().names[self.0 as usize].clone())
    }

    /// Runs `f` on the interned string without cloning it.
    pub fn with_name<R>(self, f: impl FnOnce(&str) -> R) -> R {
        INTERNER.with(|cell| f(&cell.borrow().names[self.0 as usize]))
    }

    /// The raw index, stable for the life of the thread.
    pub fn index(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_name(|n| write!(f, "{n:?}"))
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_name(|n| f.write_str(n))
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
