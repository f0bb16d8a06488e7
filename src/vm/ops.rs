//! String interpolation, which works on the dispatch loop's stack.

use super::Vm;
use crate::engine::{CoercionKind, Engine};
use crate::error::Result;
use crate::value::{NixString, StringBuilder, Value};

impl Vm {
    #[inline(never)]
    pub(super) fn interpolate(&mut self, n: usize) -> Result<()> {
        let parts = self.stack.split_off(self.stack.len() - n);
        let strings = parts
            .into_iter()
            .map(|part| self.coerce_to_string(part, CoercionKind::Interpolation))
            .collect::<Result<Vec<_>>>()?;
        let joined = StringBuilder::concat(&strings, &self.ctx.limits)?;
        self.stack.push(Value::String(joined));
        Ok(())
    }

    #[inline(never)]
    pub(super) fn interpolate_path(&mut self, n: usize) -> Result<()> {
        let parts = self.stack.split_off(self.stack.len() - n);
        let mut text = Vec::new();
        for part in parts {
            let s = self.coerce_to_string(part, CoercionKind::PathInterpolation)?;
            text.extend_from_slice(s.as_bytes());
        }
        self.stack
            .push(Value::Path(NixString::new(crate::path::canonicalise(
                &text,
            ))));
        Ok(())
    }
}
