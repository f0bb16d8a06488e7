//! Deep forcing, for `--strict`, `deepSeq` and serialisers.

use rustc_hash::FxHashSet;
use spindle_fiber::ensure_sufficient_stack;

use super::Vm;
use crate::error::Result;
use crate::value::Value;

impl Vm {
    /// Forces `value` and everything inside it. A set or list reached twice
    /// (through sharing or a cycle) is walked once.
    pub fn deep_force(&mut self, value: Value) -> Result<Value> {
        let mut seen = FxHashSet::default();
        let v = self.force(value)?;
        self.deep_force_inner(&v, &mut seen)?;
        Ok(v)
    }

    fn deep_force_inner(&mut self, value: &Value, seen: &mut FxHashSet<usize>) -> Result<()> {
        match value {
            Value::Attrs(attrs) => {
                if !seen.insert(attrs.addr()) {
                    return Ok(());
                }
                for (name, v) in attrs.entries() {
                    let v = self.force_ref(v).map_err(|e| {
                        crate::trace::with_context(
                            e,
                            format!("while evaluating the attribute '{name}'"),
                        )
                    })?;
                    ensure_sufficient_stack(|| self.deep_force_inner(&v, seen))?;
                }
            }
            Value::List(items) => {
                if !seen.insert(items.addr()) {
                    return Ok(());
                }
                for item in items.iter() {
                    let v = self.force_ref(item)?;
                    ensure_sufficient_stack(|| self.deep_force_inner(&v, seen))?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}
