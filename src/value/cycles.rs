//! Cycle collection: freeing values that refer to each other in a cycle,
//! which reference counting alone never frees.
//!
//! Values are immutable once made, with two exceptions: a thunk gets its
//! value when it is forced (or, for `builtins.builtins`, is tied to the set
//! it is part of), and a closure of a recursive `let` or `rec` gets its
//! captures after the bindings it captures are made. Only those two
//! changes can close a cycle. A closure whose captures were not set yet
//! when another closure captured it is put behind an evaluated thunk
//! ([`super::Upvalues::route_deferred_through_thunks`]), so every cycle
//! holds at least one thunk, whose state can be taken out to break it.
//!
//! The *candidates* are thunks, kept in a list as weak references that do
//! not keep them alive: a thunk given a container as its value or tied,
//! a pending thunk whose closure got its captures, and each evaluated
//! thunk put in front of a closure as above. Every cycle has one of them
//! on it: of its members, look at the one whose captures were set last.
//! If it is a `let`-bound closure, the member before it captured it while
//! its captures were unset, through such a thunk; if it is a thunk's
//! closure, that thunk was noted when the captures were set; a cycle
//! closed by forcing a thunk has that thunk. Closures themselves are never
//! candidates, so a closure is never weakly referenced and its drop always
//! releases its captures without recursing (see `drop.rs`).
//!
//! A collection is *trial deletion* over the graph of containers reachable
//! from the candidates:
//!
//! 1. Every container reachable from a live candidate is found, and for each
//!    one the references to it from other containers of the graph are
//!    counted.
//! 2. A container with more references (its `Rc` strong count) than the
//!    graph accounts for is held from outside: by a local of a native
//!    frame (on a fiber stack segment, suspended or running), a heap frame
//!    of either VM, a VM's value stack, the evaluator's globals and import
//!    cache, a value the host keeps, a host builtin's closure. Those are
//!    the roots, and everything reachable from them is alive.
//! 3. The rest is garbage: each of its thunks has its state taken out, which
//!    drops the references that made the cycles, and the counts fall to
//!    zero.
//!
//! The entries of a large set sit in chunks that the sets made from it by
//! `//` share (`attrs/chunks.rs`). A chunk is a node of its own, referred to
//! by each set that has it: a value in a chunk is counted once, by the
//! chunk, however many sets share it, and a chunk that a set outside the
//! graph shares is held from outside like any other node.
//!
//! No stack is scanned and no root is registered: every reference the
//! evaluator or the host holds is a counted one, so it shows as a count the
//! graph does not explain. A thunk whose state is being changed right now
//! cannot be read; it counts as held from outside, which keeps what it
//! refers to alive. So a collection may run at any point where no borrow of
//! a value is torn, in particular in the middle of an evaluation, however
//! deep, and while one is suspended.

use std::cell::RefCell;
use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use super::attrs::Chunk;
use super::thunk::WeakThunk;
use super::{Body, Closure, Deferred, Thunk, ThunkState, Value};

/// How many candidates the list holds before the freed ones are first
/// pruned from it.
const FIRST_PRUNE: usize = 1 << 14;

/// How many candidates noted since the last pruning are looked at again on
/// their own. Most thunks die soon after they are noted; until its weak
/// reference is dropped, a dead thunk's allocation cannot be reused, and a
/// list pruned only when it doubles kept tens of thousands of them, so
/// evaluation kept moving on to fresh memory. Pruning the young end this
/// often gives them back while they are still in the cache, for one look
/// at each young entry.
const YOUNG: usize = 1 << 10;

/// How many candidates, at least, must have been noted since the last
/// collection before one runs by itself during an evaluation, unless
/// [`set_running_floor`] says otherwise: rarely enough that a short
/// evaluation pays nothing.
pub const RUNNING_FLOOR: usize = 1 << 20;

/// The same between evaluations ([`collect_if_due`]), where a host or a
/// REPL waits for the next request: often enough that a host making a few
/// cyclic values per request stays at a steady size.
const IDLE_FLOOR: usize = 1 << 8;

thread_local! {
    static CANDIDATES: RefCell<Candidates> = const { RefCell::new(Candidates::new()) };
}

/// The objects whose change may have closed a cycle.
struct Candidates {
    thunks: Vec<WeakThunk>,
    /// Where the entries noted since the list was last pruned start.
    young_from: usize,
    /// The length at which the freed ones are next pruned.
    next_prune: usize,
    /// How many were alive after the last collection.
    survivors: usize,
    /// How many were noted since the last collection.
    noted: usize,
    /// Whether a collection is running on this thread.
    collecting: bool,
    /// The floor of collections during an evaluation.
    running_floor: usize,
    /// What every collection on this thread did, added up.
    totals: Totals,
}

impl Candidates {
    const fn new() -> Candidates {
        Candidates {
            thunks: Vec::new(),
            young_from: 0,
            next_prune: FIRST_PRUNE,
            survivors: 0,
            noted: 0,
            collecting: false,
            running_floor: RUNNING_FLOOR,
            totals: Totals {
                collections: 0,
                examined: 0,
                freed: 0,
            },
        }
    }

    fn len(&self) -> usize {
        self.thunks.len()
    }

    /// Drops the entries of objects already freed, and sets when to look
    /// again: when the list has doubled, or a collection during an
    /// evaluation is due, whichever comes first.
    fn prune(&mut self) {
        self.drop_dead_from(0);
        self.schedule();
    }

    /// Drops the entries of objects already freed among those noted since
    /// the list was last pruned.
    #[cold]
    #[inline(never)]
    fn prune_young(&mut self) {
        self.drop_dead_from(self.young_from);
        self.young_from = self.len();
    }

    /// Drops the entries of objects already freed from `from` on, keeping
    /// the order of the others.
    fn drop_dead_from(&mut self, from: usize) {
        let mut kept = from;
        for i in from..self.thunks.len() {
            if self.thunks[i].is_alive() {
                self.thunks.swap(kept, i);
                kept += 1;
            }
        }
        self.thunks.truncate(kept);
    }

    /// Sets when to look again (see [`Candidates::prune`]).
    fn schedule(&mut self) {
        self.young_from = self.len();
        let until_due = self
            .threshold(self.running_floor)
            .saturating_sub(self.noted)
            .max(1);
        self.next_prune = self.len() + self.len().max(FIRST_PRUNE).min(until_due);
    }

    /// How many candidates must be noted between two collections: as many
    /// as survived the last one, and at least `floor`. A collection's work
    /// is proportional to what it examines, about the survivors and the
    /// new candidates, so all collections together cost a constant factor
    /// of the candidates noted, and what waits to be freed stays in
    /// proportion to what is alive.
    fn threshold(&self, floor: usize) -> usize {
        floor.max(self.survivors)
    }

    /// Whether a collection is due by the threshold with `floor`.
    fn due(&self, floor: usize) -> bool {
        !self.collecting && self.noted >= self.threshold(floor)
    }
}

/// Whether a thunk getting `value` may close a cycle: only a container
/// with something in it can refer back.
#[inline(always)]
pub(super) fn may_refer_back(value: &Value) -> bool {
    match value {
        Value::Attrs(a) => !a.is_empty(),
        Value::List(l) => !l.is_empty(),
        Value::Closure(c) => !c.upvalues().is_empty(),
        Value::PrimApp(p) => !p.args().is_empty(),
        _ => false,
    }
}

/// Records a thunk whose change may have closed a cycle.
pub(super) fn note_thunk(thunk: &Thunk) {
    let prune_now = CANDIDATES
        .try_with(|c| {
            let mut c = c.borrow_mut();
            c.thunks.push(thunk.downgrade());
            c.noted += 1;
            if c.len() >= c.next_prune {
                return true;
            }
            if c.len().saturating_sub(c.young_from) >= YOUNG {
                c.prune_young();
                // The list may now never grow to `next_prune`.
                return c.due(c.running_floor);
            }
            false
        })
        // During thread teardown nothing is collected any more.
        .unwrap_or(false);
    if prune_now {
        prune_and_maybe_collect();
    }
}

#[cold]
#[inline(never)]
fn prune_and_maybe_collect() {
    let due = CANDIDATES.with(|c| {
        let mut c = c.borrow_mut();
        c.prune();
        let floor = c.running_floor;
        c.due(floor)
    });
    if due {
        collect();
    }
}

/// Sets how many candidates, at least, this thread notes between two
/// collections that run by themselves during an evaluation
/// ([`RUNNING_FLOOR`] by default). A host that wants a long evaluation's
/// cycles freed sooner lowers it; the tests lower it to collect at many
/// points of an evaluation.
pub fn set_running_floor(candidates: usize) {
    CANDIDATES.with(|c| {
        let mut c = c.borrow_mut();
        c.running_floor = candidates.max(1);
        c.schedule();
    });
}

/// Collects when enough candidates were made since the last collection;
/// for the points between evaluations, where a host waits.
pub fn collect_if_due() -> Option<Collection> {
    let due = CANDIDATES
        .try_with(|c| c.borrow().due(IDLE_FLOOR))
        .unwrap_or(false);
    due.then(collect)
}

/// What a collection did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Collection {
    /// Live candidates it started from.
    pub candidates: usize,
    /// Containers it examined: everything reachable from the candidates.
    pub examined: usize,
    /// Containers it found unreachable and freed.
    pub freed: usize,
}

/// What all collections on a thread did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// How many ran.
    pub collections: u64,
    /// Containers they examined.
    pub examined: u64,
    /// Containers they freed.
    pub freed: u64,
}

/// What all collections on this thread did so far.
pub fn totals() -> Totals {
    CANDIDATES.with(|c| c.borrow().totals)
}

/// Frees every cycle of values on this thread that nothing outside the
/// cycles refers to. Values on this thread's suspended or running
/// evaluations, in its evaluators and held by the host stay alive.
pub fn collect() -> Collection {
    let Some(thunks) = CANDIDATES
        .try_with(|c| {
            let mut c = c.borrow_mut();
            if c.collecting {
                return None;
            }
            c.collecting = true;
            Some(std::mem::take(&mut c.thunks))
        })
        .ok()
        .flatten()
    else {
        return Collection::default();
    };

    let mut graph = Graph::default();
    for thunk in thunks.iter().filter_map(WeakThunk::upgrade) {
        graph.add(Node::Value(Value::Thunk(thunk)));
    }
    let candidates = graph.nodes.len();
    graph.explore();
    let alive = graph.alive();
    let freed = graph.break_garbage(&alive);
    let examined = graph.nodes.len();
    // Dropping the graph's own references frees the garbage.
    drop(graph);

    CANDIDATES.with(|c| {
        let mut c = c.borrow_mut();
        // Candidates noted while this ran (none: nothing evaluates during
        // a collection) stay, after the survivors.
        let noted = std::mem::replace(&mut c.thunks, thunks);
        c.thunks.extend(noted);
        c.thunks.retain(WeakThunk::is_alive);
        c.survivors = c.len();
        c.noted = 0;
        c.schedule();
        c.collecting = false;
        c.totals.collections += 1;
        c.totals.examined += examined as u64;
        c.totals.freed += freed as u64;
    });
    Collection {
        candidates,
        examined,
        freed,
    }
}

/// A container in the graph (a thunk, set, list, closure or partial
/// application, or the chunk of entries that large sets share), held by
/// one counted reference of the graph's own.
#[derive(Clone)]
enum Node {
    Value(Value),
    Chunk(Chunk),
}

/// A reference from one container to another, as found in the first.
enum Edge<'a> {
    Value(&'a Value),
    Closure(&'a Closure),
    Chunk(&'a Chunk),
}

impl Edge<'_> {
    /// The address of the container referred to, unless it cannot be part
    /// of a cycle: a leaf (a number, a string, a set or list with nothing
    /// in it, a closure that captured nothing) or a thunk that refers to
    /// nothing but leaves (most elements of a `genList`, most evaluated
    /// attributes).
    fn key(&self) -> Option<usize> {
        match *self {
            Edge::Closure(c) => (!c.upvalues().is_empty()).then(|| c.addr()),
            Edge::Chunk(c) => Some(c.addr()),
            Edge::Value(Value::Thunk(t)) => {
                let inner = t.read_state(|state| {
                    let mut any = false;
                    state_edges(state, |e| any |= e.may_be_container());
                    any
                });
                // A state being changed is examined to be safe.
                inner.unwrap_or(true).then(|| t.addr())
            }
            Edge::Value(v) => may_refer_back(v).then(|| value_addr(v)).flatten(),
        }
    }

    /// The address of the container referred to, if it is one, leaf or
    /// not: only nodes [`Edge::key`] admitted are in the graph's index.
    fn addr(&self) -> Option<usize> {
        match *self {
            Edge::Closure(c) => Some(c.addr()),
            Edge::Chunk(c) => Some(c.addr()),
            Edge::Value(v) => value_addr(v),
        }
    }

    /// Whether [`Edge::key`] may find a container here, without looking
    /// into a thunk (which would recurse along chains of thunks).
    fn may_be_container(&self) -> bool {
        match *self {
            Edge::Closure(c) => !c.upvalues().is_empty(),
            Edge::Chunk(_) => true,
            Edge::Value(v) => matches!(v, Value::Thunk(_)) || may_refer_back(v),
        }
    }
}

/// The address of a container value.
fn value_addr(value: &Value) -> Option<usize> {
    match value {
        Value::Thunk(t) => Some(t.addr()),
        Value::Attrs(a) => Some(a.addr()),
        Value::List(l) => Some(l.addr()),
        Value::Closure(c) => Some(c.addr()),
        Value::PrimApp(p) => Some(p.addr()),
        _ => None,
    }
}

/// Calls `f` on each reference a thunk's state holds.
fn state_edges(state: &ThunkState, mut f: impl FnMut(Edge)) {
    match state {
        ThunkState::Pending(d) | ThunkState::Running(d) => match d {
            Deferred::Code(Body::Closure(c)) => f(Edge::Closure(c)),
            Deferred::Code(Body::Inline { capture, .. }) => f(Edge::Value(capture)),
            Deferred::Apply { function, arg } => {
                f(Edge::Value(function));
                f(Edge::Value(arg));
            }
            Deferred::Apply2(two) => {
                f(Edge::Value(&two.function));
                f(Edge::Value(&two.a));
                f(Edge::Value(&two.b));
            }
            Deferred::Ready(v) => f(Edge::Value(v)),
        },
        ThunkState::Done(v) => f(Edge::Value(v)),
        ThunkState::Blackhole | ThunkState::Failed(_) => {}
    }
}

impl Node {
    /// The container `edge` refers to.
    fn of(edge: &Edge) -> Node {
        match *edge {
            Edge::Closure(c) => Node::Value(Value::Closure(c.clone())),
            Edge::Chunk(c) => Node::Chunk(c.clone()),
            Edge::Value(v) => Node::Value(v.clone()),
        }
    }

    fn addr(&self) -> usize {
        match self {
            Node::Value(v) => value_addr(v).expect("a node is a container"),
            Node::Chunk(c) => c.addr(),
        }
    }

    fn strong_count(&self) -> usize {
        let value = match self {
            Node::Value(v) => v,
            Node::Chunk(c) => return c.strong_count(),
        };
        match value {
            Value::Thunk(t) => t.strong_count(),
            Value::Attrs(a) => a.strong_count(),
            Value::List(l) => l.strong_count(),
            Value::Closure(c) => c.strong_count(),
            Value::PrimApp(p) => p.strong_count(),
            // Not a container (never made a node): counts as held outside.
            _ => usize::MAX,
        }
    }

    /// Calls `f` on each reference the container holds; `false` when they
    /// cannot be read now (a thunk whose state is being changed).
    fn edges(&self, mut f: impl FnMut(Edge)) -> bool {
        let value = match self {
            Node::Value(v) => v,
            Node::Chunk(c) => {
                c.entries().iter().for_each(|(_, v)| f(Edge::Value(v)));
                return true;
            }
        };
        let values: &[Value] = match value {
            Value::Thunk(t) => return t.read_state(|state| state_edges(state, f)).is_some(),
            Value::Attrs(a) => {
                match a.chunks() {
                    Some(chunks) => chunks.for_each(|c| f(Edge::Chunk(c))),
                    None => a.iter().for_each(|(_, v)| f(Edge::Value(v))),
                }
                return true;
            }
            Value::List(l) => l.as_slice(),
            Value::Closure(c) => c.upvalues(),
            Value::PrimApp(p) => p.args(),
            _ => &[],
        };
        values.iter().for_each(|v| f(Edge::Value(v)));
        true
    }
}

/// The containers reachable from the candidates.
#[derive(Default)]
struct Graph {
    index: FxHashMap<usize, u32>,
    nodes: Vec<Node>,
    /// References to each node from nodes of the graph.
    inner: Vec<u32>,
    /// Nodes whose references could not be read.
    unreadable: Vec<bool>,
}

impl Graph {
    /// Adds a candidate (no reference from the graph counted).
    fn add(&mut self, node: Node) {
        if let Entry::Vacant(e) = self.index.entry(node.addr()) {
            e.insert(self.nodes.len() as u32);
            self.push(node, 0);
        }
    }

    fn push(&mut self, node: Node, inner: u32) {
        self.nodes.push(node);
        self.inner.push(inner);
        self.unreadable.push(false);
    }

    /// Finds everything reachable, counting the references between nodes.
    fn explore(&mut self) {
        let mut i = 0;
        while i < self.nodes.len() {
            let node = self.nodes[i].clone();
            let read = node.edges(|edge| {
                let Some(addr) = edge.key() else {
                    return;
                };
                match self.index.entry(addr) {
                    Entry::Occupied(e) => self.inner[*e.get() as usize] += 1,
                    Entry::Vacant(e) => {
                        e.insert(self.nodes.len() as u32);
                        self.push(Node::of(&edge), 1);
                    }
                }
            });
            self.unreadable[i] = !read;
            i += 1;
        }
    }

    /// Marks what is held from outside the graph, and everything
    /// reachable from it.
    fn alive(&self) -> Vec<bool> {
        let mut alive = vec![false; self.nodes.len()];
        // Each node's count includes the graph's own reference to it.
        let mut work: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| {
                self.unreadable[i] || self.nodes[i].strong_count() > self.inner[i] as usize + 1
            })
            .collect();
        for &i in &work {
            alive[i] = true;
        }
        while let Some(i) = work.pop() {
            self.nodes[i].edges(|edge| {
                let Some(&j) = edge.addr().and_then(|a| self.index.get(&a)) else {
                    return;
                };
                if !alive[j as usize] {
                    alive[j as usize] = true;
                    work.push(j as usize);
                }
            });
        }
        alive
    }

    /// Takes the state out of every unreachable thunk and drops it, which
    /// breaks every cycle among the unreachable nodes; returns how many
    /// nodes are unreachable.
    fn break_garbage(&self, alive: &[bool]) -> usize {
        let mut states = Vec::new();
        let mut garbage = 0;
        for (node, _) in self.nodes.iter().zip(alive).filter(|(_, &a)| !a) {
            garbage += 1;
            if let Node::Value(Value::Thunk(t)) = node {
                states.extend(t.take_state());
            }
        }
        drop(states);
        garbage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates() -> usize {
        CANDIDATES.with(|c| c.borrow().len())
    }

    /// A noted thunk that dies is forgotten soon, not when the list has
    /// doubled, so that its allocation can be reused.
    #[test]
    fn dead_candidates_are_dropped_soon() {
        let before = candidates();
        for i in 0..100 * YOUNG as i64 {
            let thunk = Thunk::evaluated(Value::Null);
            thunk.tie(Value::list(vec![Value::Int(i)]));
        }
        assert!(candidates() < before + YOUNG, "{} candidates", candidates());
    }

    /// Pruning the young end keeps the list short, which must not keep
    /// collections from running when they are due.
    #[test]
    fn collections_still_run_when_due() {
        set_running_floor(4 * YOUNG);
        let before = totals().collections;
        let mut kept = Vec::new();
        for i in 0..20 * YOUNG as i64 {
            let thunk = Thunk::evaluated(Value::Null);
            thunk.tie(Value::list(vec![Value::Int(i)]));
            if i % 2 == 0 {
                kept.push(thunk);
            }
        }
        assert!(totals().collections > before);
        set_running_floor(RUNNING_FLOOR);
    }
}
