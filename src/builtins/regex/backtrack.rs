//! A backtracking matcher that explores paths in the same order, and with
//! the same quirks, as libstdc++'s depth-first `std::regex` executor, which
//! decides what C++ Nix reports:
//!
//! - at an alternation, both sides are explored, and a later solution only
//!   replaces an earlier one when it is strictly longer;
//! - a greedy repetition tries one more round first, and skips the "stop
//!   here" path once any solution was found;
//! - a repetition may run at most two rounds at the same position, so an
//!   empty round is taken once more before the loop gives up.
//!
//! The search is exponential in bad cases (as libstdc++'s is), so it runs
//! on a step budget; the caller falls back to another engine when it is
//! spent. Exploration uses an explicit task stack, never native recursion
//! over the input.

use spindle_fiber::ensure_sufficient_stack;

use super::syntax::{ByteSet, Node, Quant};

/// libstdc++'s limit on the number of states of one expression.
pub(crate) const STATE_LIMIT: usize = 100_000;

/// The program would exceed [`STATE_LIMIT`] (or, nested too deeply to
/// compile, the stack).
#[derive(Debug)]
pub(crate) struct TooBig;

impl From<spindle_fiber::StackExhausted> for TooBig {
    fn from(_: spindle_fiber::StackExhausted) -> Self {
        TooBig
    }
}

#[derive(Clone, Copy, Debug)]
enum State {
    /// Consumes one byte from the set at this index.
    Byte(u32, u32),
    GroupStart(u32, u32),
    GroupEnd(u32, u32),
    Bol(u32),
    Eol(u32),
    /// Explores the first, then the second.
    Alt(u32, u32),
    /// A greedy loop: `body` first, then `exit`.
    Repeat {
        body: u32,
        exit: u32,
    },
    /// A greedy loop over one byte set (`.*`, `[^/]*`): the same search
    /// as a `Repeat` of a `Byte`, without a task per byte.
    Star {
        set: u32,
        exit: u32,
    },
    Accept,
}

/// A compiled pattern.
pub(crate) struct Program {
    states: Vec<State>,
    sets: Vec<ByteSet>,
    start: u32,
    /// Group 0 (the whole match) included.
    groups: usize,
}

/// A placeholder target, patched once the loop body is compiled.
const UNSET: u32 = u32::MAX;

impl Program {
    /// Compiles a parsed pattern with `groups` capturing groups.
    pub(crate) fn new(root: &Node, groups: u32) -> Result<Program, TooBig> {
        let mut p = Program {
            states: Vec::new(),
            sets: Vec::new(),
            start: 0,
            groups: groups as usize + 1,
        };
        let accept = p.push(State::Accept)?;
        let end = p.push(State::GroupEnd(0, accept))?;
        let body = p.compile(root, end)?;
        p.start = p.push(State::GroupStart(0, body))?;
        Ok(p)
    }

    fn push(&mut self, state: State) -> Result<u32, TooBig> {
        if self.states.len() >= STATE_LIMIT {
            return Err(TooBig);
        }
        self.states.push(state);
        Ok((self.states.len() - 1) as u32)
    }

    /// Compiles `node` to continue at `next`, returning its entry state.
    fn compile(&mut self, node: &Node, next: u32) -> Result<u32, TooBig> {
        ensure_sufficient_stack(|| match node {
            Node::Empty => Ok(next),
            Node::Set(set) => {
                self.sets.push(**set);
                self.push(State::Byte((self.sets.len() - 1) as u32, next))
            }
            Node::Bol => self.push(State::Bol(next)),
            Node::Eol => self.push(State::Eol(next)),
            Node::Group(g, body) => {
                let end = self.push(State::GroupEnd(*g, next))?;
                let entry = self.compile(body, end)?;
                self.push(State::GroupStart(*g, entry))
            }
            Node::Concat(items) => {
                let mut entry = next;
                for item in items.iter().rev() {
                    entry = self.compile(item, entry)?;
                }
                Ok(entry)
            }
            Node::Alt(branches) => {
                // Nested left to right, as libstdc++ builds `a|b|c`.
                let mut entry = self.compile(&branches[0], next)?;
                for b in &branches[1..] {
                    let other = self.compile(b, next)?;
                    entry = self.push(State::Alt(entry, other))?;
                }
                Ok(entry)
            }
            Node::Repeat(body, quant) => self.compile_repeat(body, *quant, next),
        })
    }

    fn compile_repeat(&mut self, body: &Node, quant: Quant, next: u32) -> Result<u32, TooBig> {
        if let Node::Set(set) = body {
            // Each round consumes a byte, so the round counter never
            // interferes and the loop can run without per-byte tasks.
            let unbounded_from = match quant {
                Quant::Star => Some(0),
                Quant::Plus => Some(1),
                Quant::Range(min, None) => Some(min),
                _ => None,
            };
            if let Some(min) = unbounded_from {
                self.sets.push(**set);
                let index = (self.sets.len() - 1) as u32;
                let mut entry = self.push(State::Star {
                    set: index,
                    exit: next,
                })?;
                for _ in 0..min {
                    entry = self.push(State::Byte(index, entry))?;
                }
                return Ok(entry);
            }
        }
        match quant {
            Quant::Star => self.compile_loop(body, next),
            Quant::Plus => {
                // The body runs once, then loops through the same states.
                let repeat = self.push(State::Repeat {
                    body: UNSET,
                    exit: next,
                })?;
                let entry = self.compile(body, repeat)?;
                self.states[repeat as usize] = State::Repeat {
                    body: entry,
                    exit: next,
                };
                Ok(entry)
            }
            Quant::Opt => {
                let entry = self.compile(body, next)?;
                self.push(State::Repeat {
                    body: entry,
                    exit: next,
                })
            }
            Quant::Range(min, max) => {
                // Optional copies chain into each other; each may skip
                // straight to the end.
                let mut entry = match max {
                    None => self.compile_loop(body, next)?,
                    Some(max) => {
                        let mut entry = next;
                        for _ in min..max {
                            let copy = self.compile(body, entry)?;
                            entry = self.push(State::Repeat {
                                body: copy,
                                exit: next,
                            })?;
                        }
                        entry
                    }
                };
                for _ in 0..min {
                    entry = self.compile(body, entry)?;
                }
                Ok(entry)
            }
        }
    }

    /// `body*`.
    fn compile_loop(&mut self, body: &Node, next: u32) -> Result<u32, TooBig> {
        let repeat = self.push(State::Repeat {
            body: UNSET,
            exit: next,
        })?;
        let entry = self.compile(body, repeat)?;
        self.states[repeat as usize] = State::Repeat {
            body: entry,
            exit: next,
        };
        Ok(repeat)
    }
}

/// How a run is to match.
#[derive(Clone, Copy)]
pub(crate) struct Mode {
    /// The match must end at the end of the subject (`regex_match`).
    pub exact: bool,
    /// An empty match does not count.
    pub not_null: bool,
    /// `^` may match at the start position.
    pub bol: bool,
}

/// The outcome of one run.
/// The spans of group 0 (the whole match) and of each group.
pub(crate) type Spans = Vec<Option<(usize, usize)>>;

pub(crate) enum Outcome {
    /// Spans of group 0 and each group.
    Found(Spans),
    NoMatch,
    /// The step budget ran out.
    GaveUp,
}

/// A group's span as libstdc++ tracks it: the start is set on entry, the
/// end and the flag on exit.
#[derive(Clone, Copy, Default)]
struct Slot {
    start: usize,
    end: usize,
    matched: bool,
}

/// Deferred work on the task stack; undo steps restore what a visit changed.
enum Task {
    Visit(u32),
    SetPos(usize),
    RestoreStart(u32, usize),
    RestoreSlot(u32, Slot),
    /// The first side of an alternation is done: try the second.
    AltSecond(u32),
    AltJoin(bool),
    RestoreCounter(u32, (usize, u8)),
    /// Tries the exit of a byte-set loop at `at`, then (unless that found a
    /// match) at each shorter length down to `low`.
    StarExit {
        exit: u32,
        low: usize,
        at: usize,
    },
    DecCounter(u32),
    ExitUnlessSolved(u32),
}

/// Runs `program` on `hay` from `start`, anchored there, spending at most
/// `budget` steps.
pub(crate) fn run(
    program: &Program,
    hay: &[u8],
    start: usize,
    mode: Mode,
    budget: usize,
) -> Outcome {
    let mut m = Machine {
        program,
        hay,
        begin: start,
        mode,
        pos: start,
        slots: vec![Slot::default(); program.groups],
        counters: vec![(0, 0); program.states.len()],
        has_sol: false,
        best: None,
    };
    let mut tasks = vec![Task::Visit(program.start)];
    let mut steps = 0usize;
    while let Some(task) = tasks.pop() {
        steps += 1;
        if steps > budget {
            return Outcome::GaveUp;
        }
        if m.step(task, &mut tasks) {
            break;
        }
    }
    match m.best {
        Some((_, groups)) => Outcome::Found(groups),
        None => Outcome::NoMatch,
    }
}

struct Machine<'a> {
    program: &'a Program,
    hay: &'a [u8],
    begin: usize,
    mode: Mode,
    pos: usize,
    slots: Vec<Slot>,
    /// Per repeat state: the position of its last round and how many
    /// rounds ran there.
    counters: Vec<(usize, u8)>,
    has_sol: bool,
    /// The end and spans of the best match so far.
    best: Option<(usize, Spans)>,
}

impl Machine<'_> {
    /// Performs one task; true when nothing better can be found any more.
    fn step(&mut self, task: Task, tasks: &mut Vec<Task>) -> bool {
        match task {
            Task::Visit(s) => return self.visit(s, tasks),
            Task::SetPos(p) => self.pos = p,
            Task::RestoreStart(g, start) => self.slots[g as usize].start = start,
            Task::RestoreSlot(g, slot) => self.slots[g as usize] = slot,
            Task::AltSecond(second) => {
                tasks.push(Task::AltJoin(self.has_sol));
                self.has_sol = false;
                tasks.push(Task::Visit(second));
            }
            Task::AltJoin(had) => self.has_sol |= had,
            Task::RestoreCounter(s, old) => self.counters[s as usize] = old,
            Task::DecCounter(s) => self.counters[s as usize].1 -= 1,
            Task::ExitUnlessSolved(exit) => {
                if !self.has_sol {
                    tasks.push(Task::Visit(exit));
                }
            }
            Task::StarExit { exit, low, at } => {
                if !self.has_sol {
                    if at > low {
                        tasks.push(Task::StarExit {
                            exit,
                            low,
                            at: at - 1,
                        });
                    }
                    self.pos = at;
                    tasks.push(Task::Visit(exit));
                }
            }
        }
        false
    }

    fn visit(&mut self, s: u32, tasks: &mut Vec<Task>) -> bool {
        match self.program.states[s as usize] {
            State::Byte(set, next) => {
                if let Some(&b) = self.hay.get(self.pos) {
                    if self.program.sets[set as usize][b as usize] {
                        tasks.push(Task::SetPos(self.pos));
                        self.pos += 1;
                        tasks.push(Task::Visit(next));
                    }
                }
            }
            State::GroupStart(g, next) => {
                tasks.push(Task::RestoreStart(g, self.slots[g as usize].start));
                self.slots[g as usize].start = self.pos;
                tasks.push(Task::Visit(next));
            }
            State::GroupEnd(g, next) => {
                let slot = &mut self.slots[g as usize];
                tasks.push(Task::RestoreSlot(g, *slot));
                slot.end = self.pos;
                slot.matched = true;
                tasks.push(Task::Visit(next));
            }
            State::Bol(next) => {
                if self.mode.bol && self.pos == self.begin {
                    tasks.push(Task::Visit(next));
                }
            }
            State::Eol(next) => {
                if self.pos == self.hay.len() {
                    tasks.push(Task::Visit(next));
                }
            }
            State::Alt(first, second) => {
                tasks.push(Task::AltSecond(second));
                tasks.push(Task::Visit(first));
            }
            State::Repeat { body, exit } => {
                tasks.push(Task::ExitUnlessSolved(exit));
                let counter = self.counters[s as usize];
                if counter.1 == 0 || counter.0 != self.pos {
                    tasks.push(Task::RestoreCounter(s, counter));
                    self.counters[s as usize] = (self.pos, 1);
                    tasks.push(Task::Visit(body));
                } else if counter.1 < 2 {
                    self.counters[s as usize].1 += 1;
                    tasks.push(Task::DecCounter(s));
                    tasks.push(Task::Visit(body));
                }
            }
            State::Star { set, exit } => {
                // Once a match was found, a loop only repeats without ever
                // trying its exit, which changes nothing.
                if !self.has_sol {
                    let set = &self.program.sets[set as usize];
                    let start = self.pos;
                    let end = start
                        + self.hay[start..]
                            .iter()
                            .take_while(|&&b| set[b as usize])
                            .count();
                    tasks.push(Task::SetPos(start));
                    tasks.push(Task::StarExit {
                        exit,
                        low: start,
                        at: end,
                    });
                }
            }
            State::Accept => return self.accept(),
        }
        false
    }

    fn accept(&mut self) -> bool {
        if self.mode.exact && self.pos != self.hay.len() {
            return false;
        }
        if self.mode.not_null && self.pos == self.begin {
            return false;
        }
        self.has_sol = true;
        if self.best.as_ref().is_none_or(|(end, _)| self.pos > *end) {
            let groups = self
                .slots
                .iter()
                .map(|s| s.matched.then_some((s.start, s.end)))
                .collect();
            self.best = Some((self.pos, groups));
        }
        // Only a longer match could replace this one.
        self.pos == self.hay.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::syntax::parse;
    use super::*;

    fn search(pattern: &str, hay: &str) -> Option<Spans> {
        let parsed = parse(pattern.as_bytes()).unwrap();
        let program = Program::new(&parsed.root, parsed.groups).unwrap();
        let mode = Mode {
            exact: false,
            not_null: false,
            bol: true,
        };
        match run(&program, hay.as_bytes(), 0, mode, 1_000_000) {
            Outcome::Found(g) => Some(g),
            _ => None,
        }
    }

    #[test]
    fn repetition_stops_at_the_first_success() {
        // Not the longest match "aab": the loop never gives back an `a`.
        assert_eq!(search("a*(ab)?", "aab").unwrap(), vec![Some((0, 2)), None]);
    }

    #[test]
    fn alternation_keeps_the_longer_side() {
        assert_eq!(
            search("(a|ab)", "abc").unwrap(),
            vec![Some((0, 2)), Some((0, 2))]
        );
    }

    #[test]
    fn an_empty_round_is_taken_once_more() {
        assert_eq!(
            search("(a|)+", "aa").unwrap(),
            vec![Some((0, 2)), Some((2, 2))]
        );
    }

    #[test]
    fn state_limit() {
        let parsed = parse(b"(a{1000}){1000}").unwrap();
        assert!(Program::new(&parsed.root, parsed.groups).is_err());
    }
}
