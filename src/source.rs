//! Source files and positions.
//!
//! Every file and string the evaluator parses is added to one [`Sources`]
//! map; a [`Span`] is a pair of positions in it, so errors and
//! `unsafeGetAttrPos` can name file, line and column.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

pub use codemap::Span;
use codemap::{CodeMap, File};

/// The shared map of every source text seen by an evaluator.
#[derive(Clone, Default)]
pub struct Sources(Rc<RefCell<CodeMap>>);

/// A resolved position: file name, 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file name, or `«string»` / `«stdin»`.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

impl Sources {
    /// An empty map.
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Adds a source text under `name`.
    pub fn add(&self, name: String, text: String) -> Arc<File> {
        self.0.borrow_mut().add_file(name, text)
    }

    /// Where `span` starts.
    pub fn location(&self, span: Span) -> Location {
        let map = self.0.borrow();
        let loc = map.look_up_span(span);
        Location {
            file: loc.file.name().to_string(),
            line: loc.begin.line + 1,
            column: loc.begin.column + 1,
        }
    }

    /// The source text that `span` covers.
    pub fn snippet(&self, span: Span) -> String {
        let map = self.0.borrow();
        map.find_file(span.low()).source_slice(span).to_string()
    }

    /// Renders the source lines around `span` (the line before, the line,
    /// a caret under the column, the line after) in the layout Nix uses for
    /// its error messages, each line starting with `indent`.
    pub fn render_excerpt(&self, span: Span, indent: &str) -> String {
        let map = self.0.borrow();
        let loc = map.look_up_span(span);
        let file = &loc.file;
        let line = loc.begin.line;
        let lines = file.num_lines();
        let first = line.saturating_sub(1);
        let last = (line + 1).min(lines.saturating_sub(1));
        let width = (last + 1).to_string().len();
        let mut out = String::new();
        for l in first..=last {
            let text = file.source_line(l).trim_end_matches(['\n', '\r']);
            if text.is_empty() {
                out.push_str(&format!("{indent}{:>width$}|\n", l + 1));
            } else {
                out.push_str(&format!("{indent}{:>width$}| {text}\n", l + 1));
            }
            if l == line {
                let lead: String = text
                    .chars()
                    .take(loc.begin.column)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                out.push_str(&format!("{indent}{:>width$}| {lead}^\n", ""));
            }
        }
        out
    }
}
