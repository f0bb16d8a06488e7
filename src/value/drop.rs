//! Bounded-depth release of deep value graphs.
//!
//! Rust's drop glue recurses: dropping the head of a long list of nested
//! attribute sets or a chain of thunks would recurse once per link and could
//! overflow any native stack. Containers release their children through
//! [`release`], which drops them directly while few releases are nested on
//! this thread (the common, shallow case costs nothing extra) and, deeper
//! than that, hands the containers among them to a per-thread queue that the
//! outermost release drains in a loop.

use std::cell::{Cell, RefCell};

use super::Value;

/// How many releases may nest before children are queued instead of
/// dropped in place. Each level is one small drop frame, so the deepest
/// direct recursion stays far inside the fiber runtime's red zone.
const DIRECT_DEPTH: u32 = 32;

thread_local! {
    static QUEUE: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
    /// Releases in progress on this thread.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Whether the queue may hold something.
    static QUEUED: Cell<bool> = const { Cell::new(false) };
}

/// Whether dropping `v` now would release a container (and so maybe recurse).
fn owns_container(v: &Value) -> bool {
    match v {
        Value::Attrs(a) => a.is_unique(),
        Value::List(l) => l.is_unique(),
        Value::Thunk(t) => t.is_unique(),
        Value::Closure(c) => c.is_unique(),
        Value::PrimApp(p) => p.is_unique(),
        _ => false,
    }
}

/// Whether dropping `v` has anything to do; numbers and the like need not
/// even call the drop glue.
#[inline(always)]
fn holds_reference(v: &Value) -> bool {
    !matches!(
        v,
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Builtin(_)
    )
}

/// Drops `v`, running the drop glue only when it holds a reference.
#[inline(always)]
fn discard(v: Value) {
    if holds_reference(&v) {
        drop(v);
    } else {
        // Nothing to free; skipping the glue is what makes this cheap.
        std::mem::forget(v);
    }
}

/// Shortens a stack of values to `len`, running the drop glue only for the
/// values that hold a reference: the VMs' value stacks are mostly numbers,
/// `null` and such when a frame's slots are discarded.
#[inline]
pub(crate) fn truncate_values(values: &mut Vec<Value>, len: usize) {
    while values.len() > len {
        match values.pop() {
            Some(v) => discard(v),
            None => break,
        }
    }
}

/// [`release`] of a single child, which costs nothing for a number and
/// needs no count of nested releases for a child whose drop cannot
/// recurse: one that others still refer to, or a string.
#[inline(always)]
pub(super) fn release_one(child: Value) {
    if !holds_reference(&child) {
        // Nothing to free; skipping the glue is what makes this cheap.
        std::mem::forget(child);
    } else if owns_container(&child) {
        release([child]);
    } else {
        drop(child);
    }
}

/// Releases `children` without recursing deeper than [`DIRECT_DEPTH`].
pub(super) fn release(children: impl IntoIterator<Item = Value>) {
    let depth = DEPTH.get();
    if depth >= DIRECT_DEPTH {
        queue_containers(children);
        return;
    }
    DEPTH.set(depth + 1);
    for child in children {
        discard(child);
    }
    if depth == 0 && QUEUED.get() {
        drain_queue();
    }
    DEPTH.set(depth);
}

/// Queues the containers among `children`; leaves (numbers, shared
/// containers) are dropped in place.
#[inline(never)]
fn queue_containers(children: impl IntoIterator<Item = Value>) {
    for child in children {
        if owns_container(&child) {
            // During thread teardown the queue is gone and a plain drop is
            // all there is.
            let _ = QUEUE.try_with(|queue| queue.borrow_mut().push(child));
            QUEUED.set(true);
        }
    }
}

/// Drops what deeper releases queued, each with the direct depth available
/// again. Runs at depth 1, as the outermost release.
#[cold]
#[inline(never)]
fn drain_queue() {
    QUEUED.set(false);
    // The shared empty list and set are thread-locals too, and may be
    // dropped after the queue during thread teardown.
    while let Some(value) = QUEUE
        .try_with(|queue| queue.borrow_mut().pop())
        .ok()
        .flatten()
    {
        drop(value);
    }
    QUEUED.set(false);
}
