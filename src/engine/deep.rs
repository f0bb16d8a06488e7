//! Deep forcing, for `--strict`, `deepSeq` and serialisers.

use rustc_hash::FxHashSet;
use spindle_fiber::ensure_sufficient_stack;

use super::Engine;
use crate::error::Result;
use crate::value::Value;

/// Forces `value` and everything inside it. A set or list reached twice
/// (through sharing or a cycle) is walked once.
pub(super) fn deep_force<E: Engine + ?Sized>(e: &mut E, value: Value) -> Result<Value> {
    let mut seen = FxHashSet::default();
    let v = e.force(value)?;
    deep_force_inner(e, &v, &mut seen)?;
    Ok(v)
}

fn deep_force_inner<E: Engine + ?Sized>(
    e: &mut E,
    value: &Value,
    seen: &mut FxHashSet<usize>,
) -> Result<()> {
    match value {
        Value::Attrs(attrs) => {
            if !seen.insert(attrs.addr()) {
                return Ok(());
            }
            for (name, v) in attrs.iter() {
                let v = e.force_ref(v).map_err(|e| {
                    crate::trace::with_context(
                        e,
                        format!("while evaluating the attribute '{name}'"),
                    )
                })?;
                ensure_sufficient_stack(|| deep_force_inner(e, &v, seen))?;
            }
        }
        Value::List(items) => {
            if !seen.insert(items.addr()) {
                return Ok(());
            }
            for item in items.iter() {
                let v = e.force_ref(item)?;
                ensure_sufficient_stack(|| deep_force_inner(e, &v, seen))?;
            }
        }
        _ => {}
    }
    Ok(())
}
