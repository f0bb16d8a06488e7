//! Deep forcing, for `--strict`, `deepSeq` and serialisers.

use rustc_hash::FxHashSet;
use spindle_fiber::ensure_sufficient_stack;

use super::Engine;
use crate::error::Result;
use crate::value::{reached_only_through, Value};

/// Forces `value` and everything inside it, walking each set or list at
/// most twice however it is shared, and stopping at cycles.
///
/// The sets and lists walked are remembered, but for those reached only
/// through a container itself walked once (see [`Visit`]), which most of
/// a freshly built tree is: remembering every node of such a tree took a
/// fifth of the time of `deepSeq` over it (`docs/benchmarks.md`).
pub(super) fn deep_force<E: Engine + ?Sized>(e: &mut E, value: Value) -> Result<Value> {
    let mut seen = FxHashSet::default();
    let v = e.force(value)?;
    deep_force_inner(e, &v, &mut seen, Visit::Root)?;
    Ok(v)
}

/// How a deep walk reaches a set or list.
///
/// A container walked without being remembered ([`Visit::Only`]) may still
/// be reached again: a thunk forced later in the walk may return it. It is
/// then referred to from two places, so that visit is [`Visit::Shared`]:
/// remembered, and its children with it, as they may have been walked
/// unremembered below it before. So every container is walked at most once
/// unremembered and once remembered.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Visit {
    /// The value the walk starts from: remembered (a cycle may lead back
    /// to it), and walked once, so its children may be [`Visit::Only`].
    Root,
    /// Reached only through a container walked once
    /// ([`reached_only_through`]): walked once itself, not remembered.
    Only,
    /// Anything else: remembered, its children too.
    Shared,
}

impl Visit {
    /// How the walk reaches `forced`, forced from `entry` of `container`,
    /// which it reached as `self`.
    pub(crate) fn of_child(self, container: &Value, entry: &Value, forced: &Value) -> Visit {
        if self != Visit::Shared && reached_only_through(container, entry, forced) {
            Visit::Only
        } else {
            Visit::Shared
        }
    }

    /// Whether to walk a container reached so: not if it is remembered
    /// as walked already; otherwise it is remembered now, unless only its
    /// container reaches it.
    pub(crate) fn first(self, container: &Value, seen: &mut FxHashSet<usize>) -> bool {
        let addr = match container {
            Value::Attrs(attrs) => attrs.addr(),
            Value::List(list) => list.addr(),
            _ => return false,
        };
        self == Visit::Only || seen.insert(addr)
    }
}

fn deep_force_inner<E: Engine + ?Sized>(
    e: &mut E,
    value: &Value,
    seen: &mut FxHashSet<usize>,
    visit: Visit,
) -> Result<()> {
    if !visit.first(value, seen) {
        return Ok(());
    }
    match value {
        Value::Attrs(attrs) => {
            for (name, entry) in attrs.iter() {
                let v = e.force_ref(entry).map_err(|e| {
                    crate::trace::with_context(
                        e,
                        format!("while evaluating the attribute '{name}'"),
                    )
                })?;
                let child = visit.of_child(value, entry, &v);
                ensure_sufficient_stack(|| deep_force_inner(e, &v, seen, child))?;
            }
        }
        Value::List(items) => {
            for item in items.iter() {
                let v = e.force_ref(item)?;
                let child = visit.of_child(value, item, &v);
                ensure_sufficient_stack(|| deep_force_inner(e, &v, seen, child))?;
            }
        }
        _ => {}
    }
    Ok(())
}
