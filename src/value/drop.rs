//! Iterative release of deep value graphs.
//!
//! Rust's drop glue recurses: dropping the head of a long list of nested
//! attribute sets or a chain of thunks would recurse once per link and could
//! overflow any native stack. Instead, containers hand the children they
//! own alone to a per-thread queue; the outermost drop drains it in a loop.

use std::cell::{Cell, RefCell};

use super::Value;

thread_local! {
    static QUEUE: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
    static DRAINING: Cell<bool> = const { Cell::new(false) };
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

/// Releases `children` without recursing deeper than one level.
pub(super) fn release(children: impl IntoIterator<Item = Value>) {
    let mut queued = false;
    for child in children {
        if owns_container(&child) {
            // Dropping here could recurse; queue it instead. During thread
            // teardown the queue is gone and a plain drop is all there is.
            let _ = QUEUE.try_with(|queue| queue.borrow_mut().push(child));
            queued = true;
        }
    }
    // Leaves (numbers, shared containers) were dropped in place: nothing
    // to drain, and no need to touch the thread-locals.
    if !queued {
        return;
    }
    let Ok(was_draining) = DRAINING.try_with(|d| d.replace(true)) else {
        return;
    };
    if was_draining {
        return;
    }
    // The shared empty list and set are thread-locals too, and may be
    // dropped after the queue during thread teardown.
    while let Some(value) = QUEUE
        .try_with(|queue| queue.borrow_mut().pop())
        .ok()
        .flatten()
    {
        drop(value);
    }
    let _ = DRAINING.try_with(|d| d.set(false));
}
