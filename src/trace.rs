//! Nix-level traces, read from the frame records the VM keeps on the
//! native stack.

use std::ops::ControlFlow;

use crate::error::{Error, TraceFrame};
use crate::vm::CallFrame;

/// How many innermost frames a trace shows; the rest are counted.
const SHOWN_FRAMES: usize = 24;

/// Gives `error` the trace of the calls in progress, unless it has one.
///
/// Catchable errors (which `tryEval` may swallow) only record the shown
/// frames; others also count the frames left out.
#[cold]
#[inline(never)]
pub fn attach(mut error: Error) -> Error {
    if !error.trace().is_empty() {
        return error;
    }
    let count_all = !error.is_catchable();
    let mut frames = Vec::new();
    let mut elided = 0usize;
    spindle_fiber::walk_frames(|payload| {
        if let Some(frame) = payload.downcast_ref::<CallFrame>() {
            if frames.len() < SHOWN_FRAMES {
                let name = frame
                    .name
                    .map(|n| format!("'{n}'"))
                    .unwrap_or_else(|| "anonymous lambda".to_string());
                frames.push(TraceFrame {
                    message: format!("while calling {name}"),
                    span: Some(frame.span),
                });
            } else if count_all {
                elided += 1;
            } else {
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    error.set_trace(frames, elided);
    error
}

/// Adds a context line ("while evaluating the attribute 'x'") to an error.
#[cold]
#[inline(never)]
pub fn with_context(mut error: Error, message: String) -> Error {
    error.push_trace(message, None);
    error
}

/// Adds "while calling" for one call to the error's trace, keeping the
/// innermost [`SHOWN_FRAMES`] and counting the rest.
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
