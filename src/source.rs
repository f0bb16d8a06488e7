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
            let full = file.source_line(l).trim_end_matches(['\n', '\r']);
            let column = (l == line).then_some(loc.begin.column);
            let (text, column) = clip_line(full, column.unwrap_or(0));
            if text.is_empty() {
                out.push_str(&format!("{indent}{:>width$}|\n", l + 1));
            } else {
                out.push_str(&format!("{indent}{:>width$}| {text}\n", l + 1));
            }
            if l == line {
                let lead: String = text
                    .chars()
                    .take(column)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                out.push_str(&format!("{indent}{:>width$}| {lead}^\n", ""));
            }
        }
        out
    }
}

/// The longest source line an excerpt shows whole, in characters.
const LONGEST_EXCERPT_LINE: usize = 240;

/// `line` as an excerpt shows it, with the caret's column in what is shown:
/// a line longer than [`LONGEST_EXCERPT_LINE`] (generated code, minified
/// JSON) is cut to a window around `column`, each cut marked `…`, so that
/// an error's report stays short whatever the input.
fn clip_line(line: &str, column: usize) -> (std::borrow::Cow<'_, str>, usize) {
    let length = line.chars().count();
    if length <= LONGEST_EXCERPT_LINE {
        return (line.into(), column);
    }
    let half = LONGEST_EXCERPT_LINE / 2;
    let start = column
        .saturating_sub(half)
        .min(length - LONGEST_EXCERPT_LINE);
    let end = start + LONGEST_EXCERPT_LINE;
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(line.chars().skip(start).take(end - start));
    if end < length {
        shown.push('…');
    }
    (shown.into(), column - start + usize::from(start > 0))
}

#[cfg(test)]
mod tests {
    use super::{clip_line, LONGEST_EXCERPT_LINE};

    #[test]
    fn short_lines_are_shown_whole() {
        assert_eq!(
            clip_line("let x = 1; in x", 4),
            ("let x = 1; in x".into(), 4)
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line: String = (0..10_000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let (shown, column) = clip_line(&line, 5_000);
        assert_eq!(shown.chars().count(), LONGEST_EXCERPT_LINE + 2);
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(shown.chars().nth(column), line.chars().nth(5_000));
        let (start, column) = clip_line(&line, 3);
        assert!(!start.starts_with('…') && start.ends_with('…'));
        assert_eq!(start.chars().nth(column), Some('d'));
        let (end, column) = clip_line(&line, 9_999);
        assert!(end.starts_with('…') && !end.ends_with('…'));
        assert_eq!(end.chars().nth(column), line.chars().last());
    }
}
