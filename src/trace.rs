//! Nix-level traces: the fiber VM adds the calls its dispatch loops had in
//! progress as an error unwinds through them; the generator VM reads its
//! frame stack.

#[cfg(feature = "generator-vm")]
use std::ops::ControlFlow;

use crate::error::Error;
#[cfg(feature = "generator-vm")]
use crate::error::TraceFrame;
use crate::vm::CallFrame;

/// How many innermost frames a trace shows; the rest are counted.
const SHOWN_FRAMES: usize = 24;

/// Collects the trace of an error from call frames visited innermost first,
/// for the generator VM, so that its traces read as the fiber VM's.
#[cfg(feature = "generator-vm")]
pub(crate) struct TraceBuilder {
    frames: Vec<TraceFrame>,
    elided: usize,
    count_all: bool,
}

#[cfg(feature = "generator-vm")]
impl TraceBuilder {
    /// A builder for the trace of `error`.
    pub(crate) fn new(error: &Error) -> TraceBuilder {
        TraceBuilder {
            frames: Vec::new(),
            elided: 0,
            count_all: !error.is_catchable(),
        }
    }

    /// Records the next outer call; `Break` when the rest need not be visited.
    pub(crate) fn visit(&mut self, frame: &CallFrame) -> ControlFlow<()> {
        if self.frames.len() < SHOWN_FRAMES {
            let name = frame
                .name
                .map(|n| format!("'{n}'"))
                .unwrap_or_else(|| "anonymous lambda".to_string());
            self.frames.push(TraceFrame {
                message: format!("while calling {name}"),
                span: Some(frame.span),
            });
        } else if self.count_all {
            self.elided += 1;
        } else {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// Gives `error` the trace collected.
    pub(crate) fn finish(self, mut error: Error) -> Error {
        error.set_trace(self.frames, self.elided);
        error
    }
}

/// Adds a context line ("while evaluating the attribute 'x'") to an error.
#[cold]
#[inline(never)]
pub fn with_context(mut error: Error, message: String) -> Error {
    error.push_trace(message, None);
    error
}

/// Adds "while calling" for one call to the error's trace, keeping the
/// innermost `SHOWN_FRAMES` and counting the rest.
pub fn add_call(error: &mut Error, frame: &CallFrame) {
    if error.trace().len() < SHOWN_FRAMES {
        let name = frame
            .name
            .map(|n| format!("'{n}'"))
            .unwrap_or_else(|| "anonymous lambda".to_string());
        error.push_trace(format!("while calling {name}"), Some(frame.span));
    } else {
        error.note_elided_frame();
    }
}
