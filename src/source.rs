//! Source files and positions.
//!
//! Every file and string the evaluator parses is added to one [`Sources`]
//! map; a [`Span`] is a pair of positions in it, so errors and
//! `unsafeGetAttrPos` can name file, line and column.
//!
//! The map does not keep a file for ever: compiled code
//! ([`crate::bytecode::Code`]) and the position tables of attribute-set
//! literals hold their [`File`], the map only the most recent files besides
//! (so that an error can be shown after the code that raised it is gone), and
//! a file nothing holds any more is freed. A host that evaluates a new string
//! per request therefore does not keep every string it ever evaluated, and
//! positions freed are used again, so they never run out however long the
//! host runs.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::rc::Weak;

/// A position in a [`Sources`] map: a byte of one of its files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos(u32);

/// A range of bytes of one source file, from `low` up to `high`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    low: Pos,
    high: Pos,
}

impl Span {
    /// The part of this span from byte `begin` to byte `end` of it.
    pub fn subspan(&self, begin: u64, end: u64) -> Span {
        debug_assert!(begin <= end && end <= u64::from(self.high.0 - self.low.0));
        Span {
            low: Pos(self.low.0 + begin as u32),
            high: Pos(self.low.0 + end as u32),
        }
    }

    /// Where the span starts.
    pub fn low(&self) -> Pos {
        self.low
    }

    /// Where the span ends (just past its last byte).
    pub fn high(&self) -> Pos {
        self.high
    }
}

/// A 0-based line and a 0-based column in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    /// The line.
    pub line: usize,
    /// The column, in characters from the start of the line.
    pub column: usize,
}

/// A source text with its name and its place in the map.
pub struct File {
    name: String,
    source: String,
    /// Where it lies in the map.
    pub span: Span,
    /// Where each line starts.
    lines: Vec<Pos>,
}

impl File {
    /// The file's name (`«string»` and the like for texts without a file).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The text `span` covers (a span of this file).
    pub fn source_slice(&self, span: Span) -> &str {
        let start = (span.low.0 - self.span.low.0) as usize;
        let end = (span.high.0 - self.span.low.0) as usize;
        &self.source[start..end]
    }

    /// The 0-based line `pos` is on.
    fn find_line(&self, pos: Pos) -> usize {
        match self.lines.binary_search(&pos) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// The line and column of `pos` (a position of this file).
    pub fn find_line_col(&self, pos: Pos) -> LineCol {
        let line = self.find_line(pos);
        let start = self.lines[line];
        let before = self.source_slice(Span {
            low: start,
            high: pos,
        });
        LineCol {
            line,
            column: before.chars().count(),
        }
    }

    /// Line `line`, without its line ending.
    pub fn source_line(&self, line: usize) -> &str {
        let high = self.lines.get(line + 1).copied().unwrap_or(self.span.high);
        self.source_slice(Span {
            low: self.lines[line],
            high,
        })
        .trim_end_matches(['\n', '\r'])
    }

    /// How many lines the file has.
    pub fn num_lines(&self) -> usize {
        self.lines.len()
    }
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "File({:?})", self.name)
    }
}

/// How many of the most recently added files the map keeps whatever holds
/// them: enough for the errors of the last few operations to be shown with
/// their source.
const RECENT: usize = 64;

/// The files of a map, by where they start.
struct Map {
    files: BTreeMap<u32, Weak<File>>,
    recent: VecDeque<Rc<File>>,
    /// Where the next file goes, unless it does not fit below `u32::MAX`.
    next: u32,
    /// How many files there were after the last pruning.
    pruned_at: usize,
}

impl Default for Map {
    fn default() -> Map {
        Map {
            files: BTreeMap::new(),
            recent: VecDeque::new(),
            // Position 0 is left out, so that a default span is nowhere.
            next: 1,
            pruned_at: 0,
        }
    }
}

impl Map {
    fn add(&mut self, name: String, source: String) -> Rc<File> {
        if self.files.len() >= 2 * self.pruned_at.max(RECENT) {
            self.files.retain(|_, file| file.strong_count() > 0);
            self.pruned_at = self.files.len();
        }
        let len = u32::try_from(source.len()).unwrap_or(u32::MAX - 1);
        let low = self.place_for(len);
        let lines = std::iter::once(low)
            .chain(memchr::memchr_iter(b'\n', source.as_bytes()).map(|at| low + at as u32 + 1))
            .map(Pos)
            .collect();
        let file = Rc::new(File {
            name,
            source,
            span: Span {
                low: Pos(low),
                high: Pos(low + len),
            },
            lines,
        });
        self.files.insert(low, Rc::downgrade(&file));
        self.recent.push_back(file.clone());
        if self.recent.len() > RECENT {
            self.recent.pop_front();
        }
        file
    }

    /// Where a file of `len` bytes goes: after the last one, or, once the
    /// positions ran out, in the first gap freed files left. Each file is
    /// followed by one unused position, so that a span at a file's very
    /// end is not taken for the next file's start.
    fn place_for(&mut self, len: u32) -> u32 {
        if let Some(end) = self.next.checked_add(len).and_then(|e| e.checked_add(1)) {
            let low = self.next;
            self.next = end;
            return low;
        }
        self.files.retain(|_, file| file.strong_count() > 0);
        let mut gap_start = 1u32;
        for file in self.files.values().filter_map(Weak::upgrade) {
            if file.span.low.0 - gap_start > len {
                return gap_start;
            }
            gap_start = file.span.high.0 + 1;
        }
        // No gap: the files alive fill the positions (4 GiB of source).
        gap_start
    }

    /// The file `pos` lies in, if it is still there.
    fn find(&self, pos: Pos) -> Option<Rc<File>> {
        let (_, file) = self.files.range(..=pos.0).next_back()?;
        let file = file.upgrade()?;
        (pos <= file.span.high).then_some(file)
    }
}

/// The shared map of the source texts an evaluator has seen.
#[derive(Clone, Default)]
pub struct Sources(Rc<RefCell<Map>>);

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

    /// Adds a source text under `name`. The map keeps it while the
    /// returned file is held (by the code compiled from it), and for a
    /// while after.
    pub fn add(&self, name: String, text: String) -> Rc<File> {
        self.0.borrow_mut().add(name, text)
    }

    /// The file `span` lies in, unless nothing holds it any more.
    fn file_of(&self, span: Span) -> Option<Rc<File>> {
        self.0.borrow().find(span.low())
    }

    /// Where `span` starts; a span of a file no longer kept is at line 0
    /// of `«unknown»`.
    pub fn location(&self, span: Span) -> Location {
        let Some(file) = self.file_of(span) else {
            return Location {
                file: "«unknown»".to_string(),
                line: 0,
                column: 0,
            };
        };
        let begin = file.find_line_col(span.low());
        Location {
            file: file.name().to_string(),
            line: begin.line + 1,
            column: begin.column + 1,
        }
    }

    /// The source text that `span` covers (empty when its file is no
    /// longer kept).
    pub fn snippet(&self, span: Span) -> String {
        self.file_of(span)
            .map(|file| file.source_slice(span).to_string())
            .unwrap_or_default()
    }

    /// Renders the source lines around `span` (the line before, the line,
    /// a caret under the column, the line after) in the layout Nix uses for
    /// its error messages, each line starting with `indent`.
    pub fn render_excerpt(&self, span: Span, indent: &str) -> String {
        let Some(file) = self.file_of(span) else {
            return String::new();
        };
        let begin = file.find_line_col(span.low());
        let line = begin.line;
        let lines = file.num_lines();
        let first = line.saturating_sub(1);
        let last = (line + 1).min(lines.saturating_sub(1));
        let width = (last + 1).to_string().len();
        let mut out = String::new();
        for l in first..=last {
            let full = file.source_line(l).trim_end_matches(['\n', '\r']);
            let column = (l == line).then_some(begin.column);
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
    use super::{clip_line, Map, Sources, LONGEST_EXCERPT_LINE, RECENT};

    #[test]
    fn lines_and_columns_count_characters() {
        let sources = Sources::new();
        let file = sources.add("f.nix".into(), "let\n  é = 1;\nin é\n".into());
        let at = |begin, end| sources.location(file.span.subspan(begin, end));
        assert_eq!((at(0, 3).line, at(0, 3).column), (1, 1));
        // `1` is byte 11, the 7th character of line 2.
        assert_eq!((at(11, 12).line, at(11, 12).column), (2, 7));
        assert_eq!(sources.snippet(file.span.subspan(14, 17)), "in ");
        assert_eq!(file.source_line(1), "  é = 1;");
        assert_eq!(file.num_lines(), 4);
    }

    #[test]
    fn a_file_is_kept_while_held_and_a_while_after() {
        let sources = Sources::new();
        let held = sources.add("held.nix".into(), "1 + 1".into());
        let dropped = sources.add("dropped.nix".into(), "2 + 2".into()).span;
        for i in 0..RECENT - 2 {
            sources.add(format!("{i}"), "3".into());
        }
        assert_eq!(sources.location(dropped).file, "dropped.nix");
        for i in 0..10 * RECENT {
            sources.add(format!("{i}"), "3".into());
        }
        assert_eq!(sources.location(dropped).file, "«unknown»");
        assert_eq!(sources.snippet(dropped), "");
        assert_eq!(sources.location(held.span).file, "held.nix");
        assert!(
            sources.0.borrow().files.len() < 4 * RECENT,
            "freed files are pruned"
        );
    }

    #[test]
    fn positions_are_used_again_once_they_run_out() {
        let mut map = Map::default();
        let first = map.add("first".into(), "a".repeat(100));
        let gone = map.add("gone".into(), "b".repeat(100));
        let kept = map.add("kept".into(), "c".repeat(10));
        drop(gone);
        map.recent.clear();
        map.next = u32::MAX - 50;
        let new = map.add("new".into(), "d".repeat(80));
        // In the gap the dropped file left, between `first` and `kept`.
        assert!(new.span.low() > first.span.high() && new.span.high() < kept.span.low());
        let found = map.find(new.span.subspan(5, 6).low()).unwrap();
        assert_eq!(found.name(), "new");
        assert_eq!(map.find(kept.span.low()).unwrap().name(), "kept");
    }

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
