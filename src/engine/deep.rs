//! Deep forcing, for `--strict`, `deepSeq` and serialisers.

use rustc_hash::FxHashSet;
use spindle_fiber::ensure_sufficient_stack;

use super::Engine;
use crate::error::Result;
use crate::value::{reached_only_through, Value};

/// Forces `value` and everything inside it. A set or list reached twice
/// (through sharing or a cycle) is walked once: each is remembered, but
/// for those that only their container refers to
/// ([`reached_only_through`]), most of a freshly built tree, which keeps
/// the set of those seen small.
pub(super) fn deep_force<E: Engine + ?Sized>(e: &mut E, value: Value) -> Result<Value> {
    let mut seen = FxHashSet::default();
    let v = e.force(value)?;
    deep_force_inner(e, &v, &mut seen, false)?;
    Ok(v)
}

/// Walks `value`, reached only through a container walked once when
/// `only_here` says so.
fn deep_force_inner<E: Engine + ?Sized>(
    e: &mut E,
    value: &Value,
    seen: &mut FxHashSet<usize>,
    only_here: bool,
) -> Result<()> {
    match value {
        Value::Attrs(attrs) => {
            if !only_here && !seen.insert(attrs.addr()) {
                return Ok(());
            }
            let own_entries = attrs.holds_its_entries();
            for (name, entry) in attrs.iter() {
                let v = e.force_ref(entry).map_err(|e| {
                    crate::trace::with_context(
                        e,
                        format!("while evaluating the attribute '{name}'"),
                    )
                })?;
                let only_here = own_entries && reached_only_through(entry, &v);
                ensure_sufficient_stack(|| deep_force_inner(e, &v, seen, only_here))?;
            }
        }
        Value::List(items) => {
            if !only_here && !seen.insert(items.addr()) {
                return Ok(());
            }
            for item in items.iter() {
                let v = e.force_ref(item)?;
                let only_here = reached_only_through(item, &v);
                ensure_sufficient_stack(|| deep_force_inner(e, &v, seen, only_here))?;
            }
        }
        _ => {}
    }
    Ok(())
}
