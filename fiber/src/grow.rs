//! Growing onto new segments, and roots of stack chains.

use std::any::TypeId;
use std::fmt;

use corosensei::on_stack;

use crate::layout::{self, stack_pointer, Header, RootKind};
use crate::pool::{self, Segment};
use crate::{guard, StackError, TaskConfig};

/// Error returned when a task's stack budget would be exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackExhausted {
    /// The budget, in bytes, of the stack chain that ran out.
    pub budget: usize,
}

impl fmt::Display for StackExhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fiber stack budget of {} bytes exhausted", self.budget)
    }
}

impl std::error::Error for StackExhausted {}

/// Runs `f` directly when the current stack has room (more than
/// [`RED_ZONE`](crate::RED_ZONE) left), otherwise on a fresh pooled segment, and then
/// back.
///
/// Call it at every point where recursion can go deep (evaluating a sub-expression,
/// forcing a thunk, calling back from a builtin). The check is a few instructions and
/// compiles inline; the switch to a new segment is out of line.
///
/// It is safe to call from any stack. When the caller does not run on a segment (a
/// plain thread stack, [`on_large_stack`](crate::on_large_stack)), `f` always runs on
/// a fresh segment that starts an *implicit root*: a chain with the default budget,
/// no frame records from outside it, and no suspend channel.
///
/// # Errors
///
/// [`StackExhausted`] when growing would exceed the budget of the task, or when no
/// further segment can be had at all (every slot of the region in use, or the
/// kernel refusing to map one: see [`StackError`]); for the evaluation this is the
/// same condition, too deep a recursion for what there is. `f` is then not called.
///
/// # Panics
///
/// A panic in `f` propagates to the caller, after the segment went back to the pool.
#[inline(always)]
pub fn grow<R>(f: impl FnOnce() -> R) -> Result<R, StackExhausted> {
    if layout::has_room(stack_pointer()) {
        Ok(f())
    } else {
        grow_cold(f, false)
    }
}

/// Same as [`grow`] for fallible closures, flattening the error.
#[inline(always)]
pub fn ensure_sufficient_stack<T, E: From<StackExhausted>>(
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    match grow(f) {
        Ok(result) => result,
        Err(exhausted) => Err(E::from(exhausted)),
    }
}

/// Runs `f` on a fresh segment even if the current one has room, as a chain boundary
/// that [`grow`] would make (it counts against the budget the same way).
///
/// Meant for tests and benchmarks of segment boundaries; evaluators call [`grow`].
///
/// # Errors
/// As [`grow`].
pub fn on_new_segment<R>(f: impl FnOnce() -> R) -> Result<R, StackExhausted> {
    grow_cold(f, true)
}

/// Packs the generic closure for the non-generic slow path. Kept out of line so that
/// its locals do not enlarge the caller's frame (the caller is usually a recursive
/// function whose frame size is the cost of every level).
#[cold]
#[inline(never)]
fn grow_cold<R, F: FnOnce() -> R>(f: F, force: bool) -> Result<R, StackExhausted> {
    let mut f = Some(f);
    let mut result = None;
    let mut call = || {
        if let Some(f) = f.take() {
            result = Some(f());
        }
    };
    grow_slow(&mut call, force)?;
    Ok(result.expect("grow: closure did not run"))
}

/// The slow path of [`grow`]: continue on a new segment.
#[cold]
#[inline(never)]
fn grow_slow(f: &mut dyn FnMut(), force: bool) -> Result<(), StackExhausted> {
    let sp = stack_pointer();
    let current = if layout::in_region(sp) {
        // Reaching here without `force` means the red zone was entered.
        debug_assert!(force || !layout::has_room(sp));
        layout::header_of(sp)
    } else if let Some(header) = layout::linked_header(sp) {
        // On a large stack entered from a segment: continue that chain.
        header
    } else {
        let budget = TaskConfig::default().stack_budget;
        return run_root(RootKind::Implicit, budget, f).map_err(|_| StackExhausted { budget });
    };
    // SAFETY: `current` is the header of the segment we run on (or that entered the
    // large stack we run on), written before we started running there and valid while
    // we do; so is its root.
    let root = unsafe { (*current).root };
    // SAFETY: as above.
    let (in_use, max, budget) = unsafe {
        (
            (*root).segments_in_use,
            (*root).max_segments,
            (*root).budget,
        )
    };
    if in_use >= max {
        return Err(StackExhausted { budget });
    }
    let mut segment = Segment::take().map_err(|_| StackExhausted { budget })?;
    let header = segment.header();
    // SAFETY: `header` is the slot of a segment we just checked out; `current` is live.
    unsafe { Header::init_child(header, current) };
    // SAFETY: the root is live (see above); only this thread touches it.
    let restore = unsafe {
        (*root).segments_in_use = in_use + 1;
        (*root).peak_segments = (*root).peak_segments.max(in_use + 1);
        let restore = LeaveSegment {
            root,
            deepest: (*root).deepest,
        };
        (*root).deepest = header;
        restore
    };
    on_stack(&mut segment, f);
    drop(restore);
    drop(segment);
    Ok(())
}

/// Undoes the root bookkeeping of a nested segment when its closure returns or
/// unwinds (a panic, or the forced unwind of a dropped task).
struct LeaveSegment {
    root: *mut Header,
    deepest: *mut Header,
}

impl Drop for LeaveSegment {
    fn drop(&mut self) {
        // SAFETY: the root outlives every segment of its chain.
        unsafe {
            (*self.root).segments_in_use -= 1;
            (*self.root).deepest = self.deepest;
        }
    }
}

/// Runs `f` on a fresh root segment (not a task: it cannot suspend).
pub(crate) fn run_root(
    kind: RootKind,
    budget: usize,
    f: &mut dyn FnMut(),
) -> Result<(), StackError> {
    guard::prepare_thread()?;
    let outermost = !layout::in_region(stack_pointer());
    let mut segment = Segment::take()?;
    // SAFETY: the slot belongs to the segment we just checked out.
    unsafe { Header::init_root(segment.header(), kind, budget, TypeId::of::<()>()) };
    let trim = TrimOnExit { outermost };
    on_stack(&mut segment, f);
    drop(segment);
    drop(trim);
    Ok(())
}

/// Trims the pool when an outermost root ends, also when it unwinds.
struct TrimOnExit {
    outermost: bool,
}

impl Drop for TrimOnExit {
    fn drop(&mut self) {
        if self.outermost {
            pool::trim();
        }
    }
}

/// Runs `f` as a task that never suspends, on a fresh root segment with the budget of
/// `config`, and returns its result.
///
/// Use it to enter an evaluation from a plain thread stack. [`suspend`](crate::suspend)
/// inside it fails with [`SuspendError::NotInTask`](crate::SuspendError::NotInTask)
/// (also when `run` is called inside a task). When `run` was called from outside any
/// segment, the pool is trimmed when it returns.
///
/// # Errors
///
/// [`StackError`] when no root segment can be had (`f` is then not called).
///
/// # Panics
///
/// A panic in `f` propagates to the caller (the segment is back in the pool by then).
pub fn run<R>(config: TaskConfig, f: impl FnOnce() -> R) -> Result<R, StackError> {
    let mut f = Some(f);
    let mut result = None;
    let mut call = || {
        if let Some(f) = f.take() {
            result = Some(f());
        }
    };
    run_root(RootKind::Run, config.stack_budget, &mut call)?;
    Ok(result.expect("run: closure did not run"))
}

/// Bytes of stack left above the red zone on the current segment, or `None` when the
/// caller does not run on a segment. [`grow`] switches segments when this is 0.
#[inline]
pub fn remaining_stack() -> Option<usize> {
    let sp = stack_pointer();
    if layout::in_region(sp) {
        Some((sp & (layout::SEGMENT_SIZE - 1)).saturating_sub(layout::THRESHOLD))
    } else {
        None
    }
}
