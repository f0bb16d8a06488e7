//! `builtins.match` and `builtins.split`: POSIX extended regular expressions.
//!
//! C++ Nix hands the pattern to libstdc++'s `std::regex` (extended grammar)
//! and matches bytes. What it reports follows from libstdc++'s depth-first
//! executor, which is neither leftmost-first nor leftmost-longest; the
//! [`backtrack`] module reproduces it. The `regex` crate does the fast part:
//! it rejects subjects that cannot match and finds where the next match
//! starts, so the backtracker only runs where a match is known to exist.
//! Should the backtracker spend its step budget (libstdc++ would be just as
//! slow there), a PikeVM's leftmost-longest answer stands in.

mod backtrack;
mod syntax;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use bstr::ByteSlice;
use regex_automata::nfa::thompson::{self, pikevm};
use regex_automata::{Anchored, Input, MatchKind};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::value::{Builtin, NixString, Value};

use super::context::force_string_no_context;
use backtrack::{Mode, Outcome, Program};

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("match" / 2 => Plain(match_)),
    builtin!("split" / 2 => Plain(split)),
];

/// `match regex str`: the capture groups when the whole of `str` matches,
/// else null.
fn match_<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let pattern = force_string_no_context(vm, &args[0])?;
    let compiled = compiled(pattern.as_bytes())?;
    let subject = vm.force_string(args[1].clone())?;
    let hay = subject.as_bytes();
    let Some(groups) = compiled.whole_match(hay, regex_budget(vm)) else {
        return Ok(Value::Null);
    };
    let groups = groups[1..]
        .iter()
        .map(|g| match g {
            Some((s, e)) => Value::String(text_of(&hay[*s..*e])),
            None => Value::Null,
        })
        .collect();
    Ok(Value::list(groups))
}

/// `split regex str`: the pieces of `str` between matches, interleaved with
/// lists of each match's capture groups.
fn split<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let pattern = force_string_no_context(vm, &args[0])?;
    let compiled = compiled(pattern.as_bytes())?;
    let subject = vm.force_string(args[1].clone())?;
    let hay = subject.as_bytes();
    let matches = compiled.all_matches(hay, regex_budget(vm));
    if matches.is_empty() {
        // Without a match the argument comes back as it was, context and all.
        return Ok(Value::list(vec![Value::String(subject)]));
    }
    let mut out = Vec::with_capacity(2 * matches.len() + 1);
    let mut prev_end = 0;
    for groups in &matches {
        let (start, end) = groups[0].expect("group 0 of a match is set");
        out.push(Value::String(text_of(&hay[prev_end..start])));
        let captures = groups[1..]
            .iter()
            .map(|g| match g {
                Some((s, e)) => Value::String(text_of(&hay[*s..*e])),
                None => Value::Null,
            })
            .collect();
        out.push(Value::list(captures));
        prev_end = end;
    }
    out.push(Value::String(text_of(&hay[prev_end..])));
    Ok(Value::list(out))
}

/// How many steps the backtracker may take for one match before the
/// linear-time engine answers instead (`EvaluatorBuilder::regex_steps`).
fn regex_budget<E: Engine + ?Sized>(vm: &E) -> usize {
    usize::try_from(vm.context().limits.regex_steps()).unwrap_or(usize::MAX)
}

/// A piece of the subject as a context-free string. A piece may cut a
/// multi-byte character: the regex works on bytes, as Nix's does.
fn text_of(bytes: &[u8]) -> NixString {
    NixString::new(bytes)
}

/// The spans of one match: group 0 (the whole match) and each group.
type Groups = backtrack::Spans;

/// A pattern compiled for every engine.
struct Compiled {
    program: Program,
    /// Anchored at both ends: whether `match` succeeds.
    whole: regex::bytes::Regex,
    /// Unanchored: where the next match starts.
    search: regex::bytes::Regex,
    /// Leftmost-longest at a given start: the fallback for `split`.
    longest: pikevm::PikeVM,
    cache: RefCell<pikevm::Cache>,
}

impl Compiled {
    fn new(source: &[u8]) -> Result<Compiled> {
        let parsed = syntax::parse(source).map_err(|_| invalid(source))?;
        let program = Program::new(&parsed.root, parsed.groups).map_err(|_| too_big(source))?;
        let body = syntax::to_regex_syntax(&parsed.root)?;
        let build = |pattern: &str| {
            regex::bytes::RegexBuilder::new(pattern)
                .size_limit(SIZE_LIMIT)
                .nest_limit(NEST_LIMIT)
                .build()
                .map_err(|e| match e {
                    regex::Error::CompiledTooBig(_) => too_big(source),
                    _ => invalid(source),
                })
        };
        let whole = build(&format!("{FLAGS}\\A(?:{body})\\z"))?;
        let search = build(&format!("{FLAGS}{body}"))?;
        let longest = pikevm::PikeVM::builder()
            .configure(pikevm::PikeVM::config().match_kind(MatchKind::All))
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false)
                    .nest_limit(NEST_LIMIT),
            )
            .thompson(
                thompson::Config::new()
                    .utf8(false)
                    .nfa_size_limit(Some(SIZE_LIMIT)),
            )
            .build(&format!("{FLAGS}{body}"))
            .map_err(|_| too_big(source))?;
        let cache = RefCell::new(longest.create_cache());
        Ok(Compiled {
            program,
            whole,
            search,
            longest,
            cache,
        })
    }

    /// The groups when the whole subject matches (`std::regex_match`).
    fn whole_match(&self, hay: &[u8], budget: usize) -> Option<Groups> {
        if !self.whole.is_match(hay) {
            return None;
        }
        let mode = Mode {
            exact: true,
            not_null: false,
            bol: true,
        };
        match backtrack::run(&self.program, hay, 0, mode, budget) {
            Outcome::Found(groups) => Some(groups),
            Outcome::NoMatch | Outcome::GaveUp => {
                let caps = self.whole.captures(hay)?;
                Some(
                    (0..caps.len())
                        .map(|i| caps.get(i).map(|m| (m.start(), m.end())))
                        .collect(),
                )
            }
        }
    }

    /// The match libstdc++ finds when anchored at `at`, if any.
    fn match_at(&self, hay: &[u8], at: usize, mode: Mode, budget: usize) -> Option<Groups> {
        match backtrack::run(&self.program, hay, at, mode, budget) {
            Outcome::Found(groups) => Some(groups),
            Outcome::NoMatch => None,
            Outcome::GaveUp => self.longest_at(hay, at, mode.not_null),
        }
    }

    /// The longest match starting exactly at `at`, if any; with `non_empty`,
    /// only a match that consumes something counts.
    fn longest_at(&self, hay: &[u8], at: usize, non_empty: bool) -> Option<Groups> {
        let input = Input::new(hay).range(at..).anchored(Anchored::Yes);
        let mut caps = self.longest.create_captures();
        let mut cache = self.cache.borrow_mut();
        self.longest.search(&mut cache, &input, &mut caps);
        let whole = caps.get_match()?;
        if non_empty && whole.is_empty() {
            return None;
        }
        Some(
            (0..caps.group_len())
                .map(|i| caps.get_group(i).map(|s| (s.start, s.end)))
                .collect(),
        )
    }

    /// `std::regex_search` from `from`: the first start where a match
    /// exists, and the match found there. `^` matches at `from` unless the
    /// text before it counts as available (`match_prev_avail`).
    fn search_from(
        &self,
        hay: &[u8],
        from: usize,
        prev_avail: bool,
        budget: usize,
    ) -> Option<Groups> {
        let start = self.search.find_at(hay, from)?.start();
        let mode = Mode {
            exact: false,
            not_null: false,
            bol: start == from && !prev_avail,
        };
        self.match_at(hay, start, mode, budget)
            .or_else(|| self.longest_at(hay, start, false))
    }

    /// Every match, in the order `std::regex_iterator` visits them: after an
    /// empty match, a non-empty one at the same place is tried before the
    /// search moves on by one byte; after a non-empty match, an empty one
    /// right at its end still counts.
    fn all_matches(&self, hay: &[u8], budget: usize) -> Vec<Groups> {
        let mut out: Vec<Groups> = Vec::new();
        let mut prev_avail = false;
        let mut next = self.search_from(hay, 0, prev_avail, budget);
        while let Some(groups) = next {
            let (start, end) = groups[0].expect("group 0 of a match is set");
            out.push(groups);
            let mut from = end;
            if start == end {
                if end == hay.len() {
                    break;
                }
                let mode = Mode {
                    exact: false,
                    not_null: true,
                    bol: !prev_avail,
                };
                if let Some(again) = self.match_at(hay, end, mode, budget) {
                    next = Some(again);
                    continue;
                }
                from += 1;
            }
            prev_avail = true;
            next = self.search_from(hay, from, prev_avail, budget);
        }
        out
    }
}

/// Flags for every translated pattern: `.` may match a newline, and
/// everything works on bytes, as in C++.
const FLAGS: &str = "(?s-u)";

/// Compiled-size budget of the `regex` engines.
const SIZE_LIMIT: usize = 32 << 20;

/// How deeply groups may nest.
const NEST_LIMIT: u32 = 1000;

/// How many compiled patterns are kept per thread.
const CACHE_CAPACITY: usize = 256;

thread_local! {
    static CACHE: RefCell<HashMap<Vec<u8>, Rc<Compiled>>> = RefCell::new(HashMap::new());
}

/// The compiled form of `pattern`, from the cache when it was seen before.
fn compiled(pattern: &[u8]) -> Result<Rc<Compiled>> {
    if let Some(hit) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(hit);
    }
    let fresh = Rc::new(Compiled::new(pattern)?);
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        // Patterns are usually few; when a program builds many, start over
        // rather than track recency.
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(pattern.to_vec(), fresh.clone());
    });
    Ok(fresh)
}

fn invalid(pattern: &[u8]) -> Error {
    Error::other(format!(
        "invalid regular expression '{}'",
        pattern.as_bstr()
    ))
}

fn too_big(pattern: &[u8]) -> Error {
    Error::other(format!(
        "memory limit exceeded by regular expression '{}'",
        pattern.as_bstr()
    ))
}
