//! Frame records: a logical call stack threaded through the native stack.
//!
//! [`with_frame`] pushes a two-word record (payload pointer, previous record) in its
//! own native frame and links it into the header of the segment it runs on. Each
//! segment's header holds its innermost record, and the header's `prev` link leads to
//! the segment below, so a walk visits every record of a chain innermost first.

use std::any::Any;
use std::ops::ControlFlow;

use crate::layout::{self, FrameRecord, Header};

/// Runs `f` with a frame record whose payload is `payload` pushed on the current stack
/// chain, visible to [`walk_frames`] (and [`Task::walk_frames`](crate::Task::walk_frames))
/// while `f` runs. The record lives in this call's native frame; pushing and popping
/// costs a few stores.
///
/// When the caller runs on no chain (a plain thread stack, or an
/// [`on_large_stack`](crate::on_large_stack) stack entered from one), no record is kept
/// and `f` just runs. On a large stack entered from a segment, the record joins that
/// segment's list.
#[inline]
pub fn with_frame<P: Any, R>(payload: &P, f: impl FnOnce() -> R) -> R {
    let Some(header) = layout::current_header() else {
        return f();
    };
    // SAFETY: `header` is the live header of the segment we run on (or that entered the
    // large stack we run on); that segment outlives this call.
    let prev = unsafe { (*header).frames };
    let record = FrameRecord {
        payload: payload as &dyn Any as *const dyn Any,
        prev,
    };
    // SAFETY: as above; the record outlives its link because `PopFrame` unlinks it
    // before this frame ends, on return and on unwind.
    unsafe { (*header).frames = &record };
    let _pop = PopFrame { header, prev };
    f()
}

/// Unlinks a frame record when its `with_frame` returns or unwinds.
struct PopFrame {
    header: *mut Header,
    prev: *const FrameRecord,
}

impl Drop for PopFrame {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the segment outlives the frames running on it.
        unsafe { (*self.header).frames = self.prev };
    }
}

/// Visits the frame records of the current stack chain, innermost first, across
/// segments, until `visit` returns `Break`. The walk ends at the root of the innermost
/// task (or [`run`](crate::run) root); it visits nothing when the caller runs on no
/// chain.
pub fn walk_frames(visit: impl FnMut(&dyn Any) -> ControlFlow<()>) {
    if let Some(header) = layout::current_header() {
        // SAFETY: every segment below the one we run on is live and its records are
        // in frames that are still active (they are below us on the chain).
        unsafe { walk_from(header, visit) }
    }
}

/// Walks from `header` down the chain.
///
/// # Safety
/// `header` and every segment reachable through `prev` must be live and not running
/// (other than the caller's own frames).
pub(crate) unsafe fn walk_from(
    mut header: *mut Header,
    mut visit: impl FnMut(&dyn Any) -> ControlFlow<()>,
) {
    while !header.is_null() {
        // SAFETY: guaranteed by the caller for every header on the chain; records are
        // linked only while their frame is active.
        unsafe {
            let mut record = (*header).frames;
            while !record.is_null() {
                if visit(&*(*record).payload).is_break() {
                    return;
                }
                record = (*record).prev;
            }
            header = (*header).prev;
        }
    }
}
