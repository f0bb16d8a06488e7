//! Strings with their context: the store paths they were built from.

use std::collections::BTreeSet;
use std::fmt;
use std::rc::Rc;

/// One element of a string's context.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContextElem {
    /// A plain store path (`"/nix/store/…"`).
    Plain(String),
    /// A derivation and all its outputs (`"=/nix/store/….drv"`).
    AllOutputs(String),
    /// One output of a derivation (`"!out!/nix/store/….drv"`).
    Output { drv: String, output: String },
}

impl ContextElem {
    /// The store path this element refers to.
    pub fn path(&self) -> &str {
        match self {
            ContextElem::Plain(p) | ContextElem::AllOutputs(p) => p,
            ContextElem::Output { drv, .. } => drv,
        }
    }

    /// Nix's textual encoding of the element.
    pub fn encode(&self) -> String {
        match self {
            ContextElem::Plain(p) => p.clone(),
            ContextElem::AllOutputs(p) => format!("={p}"),
            ContextElem::Output { drv, output } => format!("!{output}!{drv}"),
        }
    }

    /// Parses Nix's textual encoding.
    pub fn decode(s: &str) -> ContextElem {
        if let Some(rest) = s.strip_prefix('=') {
            ContextElem::AllOutputs(rest.to_string())
        } else if let Some(rest) = s.strip_prefix('!') {
            match rest.split_once('!') {
                Some((output, drv)) => ContextElem::Output {
                    drv: drv.to_string(),
                    output: output.to_string(),
                },
                None => ContextElem::Plain(s.to_string()),
            }
        } else {
            ContextElem::Plain(s.to_string())
        }
    }
}

/// A set of context elements.
pub type Context = BTreeSet<ContextElem>;

struct StrInner {
    text: Box<str>,
    context: Option<Box<Context>>,
}

/// An immutable Nix string. Cloning shares it.
#[derive(Clone)]
pub struct NixString(Rc<StrInner>);

impl NixString {
    /// A string without context.
    pub fn new(text: impl Into<Box<str>>) -> NixString {
        NixString(Rc::new(StrInner {
            text: text.into(),
            context: None,
        }))
    }

    /// A string with the given context (empty context is dropped).
    pub fn with_context(text: impl Into<Box<str>>, context: Context) -> NixString {
        let context = (!context.is_empty()).then(|| Box::new(context));
        NixString(Rc::new(StrInner {
            text: text.into(),
            context,
        }))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0.text
    }

    /// The context, if any.
    pub fn context(&self) -> Option<&Context> {
        self.0.context.as_deref()
    }

    /// Whether the string has context.
    pub fn has_context(&self) -> bool {
        self.0.context.is_some()
    }

    /// `text` with this string's context: what slicing or renaming a
    /// string makes.
    pub fn with_context_of(&self, text: impl Into<Box<str>>) -> NixString {
        match self.context() {
            Some(ctx) => NixString::with_context(text, ctx.clone()),
            None => NixString::new(text),
        }
    }

    /// The same text without context.
    pub fn without_context(&self) -> NixString {
        if self.has_context() {
            NixString::new(self.as_str())
        } else {
            self.clone()
        }
    }
}

impl fmt::Display for NixString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for NixString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl PartialEq for NixString {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl From<&str> for NixString {
    fn from(s: &str) -> Self {
        NixString::new(s)
    }
}

impl From<String> for NixString {
    fn from(s: String) -> Self {
        NixString::new(s)
    }
}

/// Accumulates text and context while a string is built from parts.
#[derive(Default)]
pub struct StringBuilder {
    text: String,
    context: Context,
}

impl StringBuilder {
    /// Appends a string with its context.
    pub fn push(&mut self, s: &NixString) {
        self.text.push_str(s.as_str());
        if let Some(ctx) = s.context() {
            self.context.extend(ctx.iter().cloned());
        }
    }

    /// Appends plain text.
    pub fn push_str(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// Adds context elements.
    pub fn add_context(&mut self, ctx: &Context) {
        self.context.extend(ctx.iter().cloned());
    }

    /// The string built.
    pub fn finish(self) -> NixString {
        NixString::with_context(self.text, self.context)
    }
}
