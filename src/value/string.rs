//! Strings with their context: the store paths they were built from.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::rc::Rc;
use std::str::Utf8Error;

use bstr::{BStr, BString, ByteSlice};

use crate::error::{Error, ErrorKind, Result};

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
    text: Box<[u8]>,
    context: Option<Box<Context>>,
}

/// An immutable Nix string: bytes, as in Nix, which need not be UTF-8 (a
/// `substring` may cut a character, `readFile` may read a binary file).
/// Cloning shares it.
#[derive(Clone)]
pub struct NixString(Rc<StrInner>);

impl NixString {
    /// A string without context.
    pub fn new(text: impl Into<BString>) -> NixString {
        NixString(Rc::new(StrInner {
            text: boxed(text),
            context: None,
        }))
    }

    /// A string with the given context (empty context is dropped).
    pub fn with_context(text: impl Into<BString>, context: Context) -> NixString {
        let context = (!context.is_empty()).then(|| Box::new(context));
        NixString(Rc::new(StrInner {
            text: boxed(text),
            context,
        }))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0.text
    }

    /// The bytes, as a byte string (lossless `Debug`, byte-oriented search).
    pub fn as_bstr(&self) -> &BStr {
        self.0.text.as_bstr()
    }

    /// The text, when it is UTF-8.
    pub fn to_str(&self) -> std::result::Result<&str, Utf8Error> {
        std::str::from_utf8(&self.0.text)
    }

    /// The text with every byte that is not part of UTF-8 shown as U+FFFD:
    /// for messages, never for values.
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        self.0.text.to_str_lossy()
    }

    /// The text, for operations that are only defined on text (store
    /// paths, derivation fields, hash names, URLs): an evaluation error
    /// when it is not UTF-8.
    pub fn utf8(&self) -> Result<&str> {
        utf8(self.as_bytes())
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.text.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.text.is_empty()
    }

    /// The context, if any.
    pub fn context(&self) -> Option<&Context> {
        self.0.context.as_deref()
    }

    /// Whether the string has context.
    pub fn has_context(&self) -> bool {
        self.0.context.is_some()
    }

    /// This string, if it refers to no store path: Nix refuses strings
    /// with a context where they name something (attribute names, store
    /// names, systems) or are parsed (regular expressions, JSON).
    pub fn refusing_context(self) -> Result<NixString> {
        match self.context().and_then(|c| c.iter().next()) {
            Some(elem) => Err(Error::other(format!(
                "the string '{}' is not allowed to refer to a store path (such as '{}')",
                self,
                elem.encode()
            ))),
            None => Ok(self),
        }
    }

    /// `text` with this string's context: what slicing or renaming a
    /// string makes.
    pub fn with_context_of(&self, text: impl Into<BString>) -> NixString {
        match self.context() {
            Some(ctx) => NixString::with_context(text, ctx.clone()),
            None => NixString::new(text),
        }
    }

    /// The same text without context.
    pub fn without_context(&self) -> NixString {
        if self.has_context() {
            NixString::new(self.as_bytes())
        } else {
            self.clone()
        }
    }
}

/// The text for messages: bytes that are not UTF-8 show as U+FFFD.
impl fmt::Display for NixString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_bstr(), f)
    }
}

/// Quoted, with bytes that are not UTF-8 escaped (`"\xFF"`).
impl fmt::Debug for NixString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_bstr(), f)
    }
}

impl PartialEq for NixString {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<str> for NixString {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for NixString {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
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

impl From<&[u8]> for NixString {
    fn from(s: &[u8]) -> Self {
        NixString::new(s)
    }
}

impl From<Vec<u8>> for NixString {
    fn from(s: Vec<u8>) -> Self {
        NixString::new(s)
    }
}

/// `bytes` as text, for operations only defined on text (a store path, a
/// derivation field, an attribute name that must be one of those): an
/// evaluation error when they are not UTF-8.
pub fn utf8(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| {
        Error::new(ErrorKind::Other(format!(
            "string '{}' is not valid UTF-8",
            bytes.escape_bytes()
        )))
    })
}

/// The boxed bytes of `text` (shrinking an owned buffer only when it has
/// spare capacity, as `String::into_boxed_str` did).
fn boxed(text: impl Into<BString>) -> Box<[u8]> {
    let text: BString = text.into();
    Vec::from(text).into_boxed_slice()
}

/// Accumulates text and context while a string is built from parts.
#[derive(Default)]
pub struct StringBuilder {
    text: Vec<u8>,
    context: Context,
}

impl StringBuilder {
    /// Appends a string with its context.
    pub fn push(&mut self, s: &NixString) {
        self.text.extend_from_slice(s.as_bytes());
        if let Some(ctx) = s.context() {
            self.context.extend(ctx.iter().cloned());
        }
    }

    /// Appends plain text.
    pub fn push_str(&mut self, s: &str) {
        self.text.extend_from_slice(s.as_bytes());
    }

    /// Appends plain bytes.
    pub fn push_bytes(&mut self, s: &[u8]) {
        self.text.extend_from_slice(s);
    }

    /// Adds context elements.
    pub fn add_context(&mut self, ctx: &Context) {
        self.context.extend(ctx.iter().cloned());
    }

    /// The string built.
    pub fn finish(self) -> NixString {
        NixString::with_context(self.text, self.context)
    }

    /// The concatenation of `parts` with their contexts, refused when it
    /// would not fit under the heap cap (a string doubled in a loop must
    /// end in an error, not in the kernel's out-of-memory killer).
    pub fn concat<'a>(
        parts: impl IntoIterator<Item = &'a NixString> + Clone,
        limits: &crate::limits::Limits,
    ) -> crate::error::Result<NixString> {
        let len = parts.clone().into_iter().map(NixString::len).sum();
        limits.reserve(len)?;
        let mut out = StringBuilder {
            text: Vec::with_capacity(len),
            context: Context::default(),
        };
        for part in parts {
            out.push(part);
        }
        Ok(out.finish())
    }
}
