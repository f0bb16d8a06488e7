//! Suspendable tasks: a corosensei coroutine on a pooled root segment.

use std::any::{Any, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::ops::ControlFlow;

use corosensei::{Coroutine, CoroutineResult, Yielder};

use crate::frames::walk_from;
use crate::guard;
use crate::layout::{self, Header, RootKind, SEGMENT_SIZE};
use crate::pool::{self, Segment};
use crate::StackError;

/// Default [`TaskConfig::stack_budget`]: 8 GiB.
pub const DEFAULT_STACK_BUDGET: usize = 8 << 30;

/// Configuration of a task (or of a [`run`](crate::run) root).
#[derive(Clone, Debug)]
pub struct TaskConfig {
    /// Most bytes of stack the task may use, counted in whole segments (rounded down,
    /// at least one). Default [`DEFAULT_STACK_BUDGET`] (8 GiB). Growing beyond it makes
    /// [`grow`](crate::grow) return [`StackExhausted`](crate::StackExhausted).
    pub stack_budget: usize,
}

impl Default for TaskConfig {
    fn default() -> Self {
        TaskConfig {
            stack_budget: DEFAULT_STACK_BUDGET,
        }
    }
}

/// What [`Task::resume`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<Req, Out> {
    /// The task called [`suspend`](crate::suspend) with this request.
    Suspended(Req),
    /// The task returned this result; it cannot be resumed again.
    Finished(Out),
}

/// Why [`suspend`](crate::suspend) could not suspend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuspendError {
    /// The caller does not run inside a [`Task`] (or runs inside a [`run`](crate::run)
    /// root or an implicit root, which cannot suspend).
    NotInTask,
    /// The innermost task was created with other `Req`/`Resp` types.
    TypeMismatch,
}

impl fmt::Display for SuspendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuspendError::NotInTask => f.write_str("suspend called outside of a fiber task"),
            SuspendError::TypeMismatch => {
                f.write_str("suspend called with request/response types other than the task's")
            }
        }
    }
}

impl std::error::Error for SuspendError {}

/// A suspendable computation on pooled fiber stacks.
///
/// `Req` is what the task hands out when it suspends, `Resp` what the resumer passes
/// in, `Out` the result. The closure may borrow data that lives for `'a`.
///
/// The task runs on a root segment taken from the calling thread's pool and grows onto
/// further segments through [`grow`](crate::grow). Code at any depth can
/// [`suspend`](crate::suspend) it: one stack switch out, and one back in on
/// [`resume`](Task::resume). Dropping a suspended task unwinds its stack (running
/// destructors), which returns every segment to the pool.
///
/// A task is tied to the thread that created it: its segments come from that
/// thread's pool and its stack holds whatever the closure holds. It is neither `Send`
/// nor `Sync`, and the compiler holds every caller to that:
///
/// ```compile_fail,E0277
/// use spindle_fiber::{Task, TaskConfig};
///
/// fn send_it<T: Send>(_: T) {}
/// let task: Task<(), (), ()> = Task::new(TaskConfig::default(), |()| ()).unwrap();
/// send_it(task); // error: `*mut Header` cannot be sent between threads safely
/// ```
///
/// ```compile_fail,E0277
/// use spindle_fiber::{Task, TaskConfig};
///
/// fn share_it<T: Sync>(_: &T) {}
/// let task: Task<(), (), ()> = Task::new(TaskConfig::default(), |()| ()).unwrap();
/// share_it(&task); // error: `*mut Header` cannot be shared between threads safely
/// ```
///
/// The same code with the task's result instead of the task compiles, so the two
/// above fail for the reason they show:
///
/// ```
/// use spindle_fiber::{Step, Task, TaskConfig};
///
/// fn send_it<T: Send>(_: T) {}
/// fn share_it<T: Sync>(_: &T) {}
/// let mut task: Task<(), (), u32> = Task::new(TaskConfig::default(), |()| 7)?;
/// let step = task.resume(());
/// share_it(&step);
/// send_it(step);
/// # Ok::<(), spindle_fiber::StackError>(())
/// ```
pub struct Task<'a, Req, Resp, Out> {
    coroutine: Option<Coroutine<Resp, Req, Out, Segment>>,
    root: *mut Header,
    /// Statistics frozen when the task finished (its root segment is back in the pool).
    final_stats: StackStats,
    _borrows: PhantomData<&'a mut ()>,
}

impl<'a, Req: 'static, Resp: 'static, Out> Task<'a, Req, Resp, Out> {
    /// Creates a task that will run `f` on the first [`resume`](Task::resume), passing
    /// it that call's input.
    ///
    /// # Errors
    ///
    /// [`StackError`] when no root segment can be had: every slot of the region is in
    /// use, or the kernel refuses to map one (address-space or mapping limits).
    pub fn new(config: TaskConfig, f: impl FnOnce(Resp) -> Out + 'a) -> Result<Self, StackError> {
        guard::prepare_thread()?;
        let segment = Segment::take()?;
        let root = segment.header();
        // SAFETY: `root` is the header slot of the segment we just checked out.
        unsafe {
            Header::init_root(
                root,
                RootKind::Task,
                config.stack_budget,
                TypeId::of::<(Req, Resp)>(),
            )
        };
        let body = move |yielder: &Yielder<Resp, Req>, input: Resp| {
            // SAFETY: the root header lives at the top of the segment this closure runs
            // on; the yielder lives just below it for the whole life of the coroutine.
            unsafe { (*root).yielder = yielder as *const Yielder<Resp, Req> as *const () };
            f(input)
        };
        // SAFETY: `with_stack_unchecked` lets the body borrow data for `'a`. The task
        // carries `'a` (so it cannot outlive the borrows) and drops the coroutine in its
        // destructor, which unwinds it before the borrows end. If the task is leaked
        // instead, its segments are leaked with it and never reused, and the body never
        // runs again.
        let coroutine = unsafe { Coroutine::with_stack_unchecked(segment, body) };
        Ok(Task {
            coroutine: Some(coroutine),
            root,
            final_stats: StackStats::empty(config.stack_budget),
            _borrows: PhantomData,
        })
    }

    /// Runs the task until it suspends or finishes.
    ///
    /// The first call passes `input` to the closure; later calls make the pending
    /// [`suspend`](crate::suspend) return `Ok(input)`.
    ///
    /// # Panics
    ///
    /// If the task has already finished (returned or panicked). A panic inside the
    /// task propagates out of `resume`; the task is finished afterwards and its
    /// segments are back in the pool.
    #[inline]
    pub fn resume(&mut self, input: Resp) -> Step<Req, Out> {
        if self.coroutine.is_none() {
            panic!("spindle_fiber::Task::resume: the task has already finished");
        }
        let finish_on_unwind = FinishOnUnwind(&mut *self);
        let step = finish_on_unwind
            .0
            .coroutine
            .as_mut()
            .expect("checked above")
            .resume(input);
        std::mem::forget(finish_on_unwind);
        match step {
            CoroutineResult::Yield(request) => Step::Suspended(request),
            CoroutineResult::Return(out) => {
                self.finish();
                Step::Finished(out)
            }
        }
    }
}

impl<Req, Resp, Out> Task<'_, Req, Resp, Out> {
    /// Whether the task has returned or panicked.
    pub fn is_finished(&self) -> bool {
        self.coroutine.as_ref().is_none_or(|c| c.done())
    }

    /// Statistics of the task's stack chain. After the task finished, `segments_in_use`
    /// is 0 and the other fields keep their final values.
    pub fn stats(&self) -> StackStats {
        if self.coroutine.is_some() {
            // SAFETY: while the coroutine exists it owns the root segment.
            unsafe { StackStats::of_root(self.root) }
        } else {
            self.final_stats
        }
    }

    /// Visits the frame records of a suspended task, innermost first, across all of its
    /// segments, until `visit` returns `Break`. Visits nothing if the task is not
    /// suspended (not started yet, or finished).
    pub fn walk_frames(&self, visit: impl FnMut(&dyn Any) -> ControlFlow<()>) {
        let Some(coroutine) = &self.coroutine else {
            return;
        };
        if !coroutine.started() || coroutine.done() {
            return;
        }
        // SAFETY: a suspended task keeps all of its segments, and the frame records on
        // them, alive and unchanged until it is resumed or dropped, neither of which can
        // happen while `self` is borrowed.
        unsafe { walk_from((*self.root).deepest, visit) }
    }

    /// Releases the root segment of a task that returned or panicked.
    fn finish(&mut self) {
        if self.coroutine.is_some() {
            // SAFETY: the root segment is still owned by the coroutine.
            let mut stats = unsafe { StackStats::of_root(self.root) };
            stats.segments_in_use = 0;
            self.final_stats = stats;
        }
        // Dropping a finished coroutine drops its segment, which returns to the pool.
        self.coroutine = None;
        pool::trim();
    }
}

impl<Req, Resp, Out> Drop for Task<'_, Req, Resp, Out> {
    fn drop(&mut self) {
        // Dropping a suspended coroutine unwinds its stack from the innermost segment
        // up: every destructor runs and every nested segment's guard gives its segment
        // back, then the root segment goes back too.
        self.coroutine = None;
        pool::trim();
    }
}

impl<Req, Resp, Out> fmt::Debug for Task<'_, Req, Resp, Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("finished", &self.is_finished())
            .field("stats", &self.stats())
            .finish()
    }
}

/// Finishes the task if `resume` unwinds out of a panic inside it.
struct FinishOnUnwind<'t, 'a, Req, Resp, Out>(&'t mut Task<'a, Req, Resp, Out>);

impl<Req, Resp, Out> Drop for FinishOnUnwind<'_, '_, Req, Resp, Out> {
    fn drop(&mut self) {
        if self.0.is_finished() {
            self.0.finish();
        }
    }
}

/// Suspends the innermost task that the caller runs in, handing `request` to the caller
/// of [`Task::resume`], and returns what the next `resume` passes in.
///
/// Works from any depth, including segments grown below the task's root: the switch
/// goes straight from the current stack to the resumer, and `resume` switches straight
/// back.
///
/// # Errors
///
/// [`SuspendError::NotInTask`] when the caller runs on no task (a plain thread stack, a
/// [`run`](crate::run) root or implicit root, or an
/// [`on_large_stack`](crate::on_large_stack) stack not entered from a task);
/// [`SuspendError::TypeMismatch`] when the task's `Req`/`Resp` differ from these.
///
/// # Panics
///
/// When the task is dropped while suspended here, this function unwinds (with
/// corosensei's private payload) so that the task's stack is cleaned up. Never catch
/// that unwind (`catch_unwind` around code that may suspend must resume it).
#[inline]
pub fn suspend<Req: 'static, Resp: 'static>(request: Req) -> Result<Resp, SuspendError> {
    let header = layout::current_header().ok_or(SuspendError::NotInTask)?;
    // SAFETY: the header of the segment we run on is live; it carries a copy of its
    // root's suspend channel.
    let (yielder, suspend_type) = unsafe { ((*header).yielder, (*header).suspend_type) };
    if yielder.is_null() {
        return Err(SuspendError::NotInTask);
    }
    if suspend_type != TypeId::of::<(Req, Resp)>() {
        return Err(SuspendError::TypeMismatch);
    }
    // SAFETY: the root is a task root whose `(Req, Resp)` TypeId matches, so `yielder`
    // points to the live `Yielder<Resp, Req>` of the coroutine we run in.
    let yielder = unsafe { &*(yielder as *const Yielder<Resp, Req>) };
    Ok(yielder.suspend(request))
}

/// Whether the caller runs inside a [`Task`] that it can [`suspend`].
pub fn in_task() -> bool {
    match layout::current_header() {
        // SAFETY: the header of the segment we run on is live.
        Some(h) => unsafe { !(*h).yielder.is_null() },
        None => false,
    }
}

/// Statistics of a stack chain (a task, a [`run`](crate::run) root or an implicit root).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackStats {
    /// Segments of the chain in use now (the root included).
    pub segments_in_use: usize,
    /// Most segments the chain has used at once.
    pub peak_segments: usize,
    /// Size of one segment, in bytes.
    pub segment_size: usize,
    /// The chain's stack budget, in bytes.
    pub budget: usize,
}

impl StackStats {
    fn empty(budget: usize) -> Self {
        StackStats {
            segments_in_use: 0,
            peak_segments: 0,
            segment_size: SEGMENT_SIZE,
            budget,
        }
    }

    /// # Safety
    /// `root` must be a live root header.
    unsafe fn of_root(root: *mut Header) -> Self {
        // SAFETY: guaranteed by the caller.
        unsafe {
            StackStats {
                segments_in_use: (*root).segments_in_use,
                peak_segments: (*root).peak_segments,
                segment_size: SEGMENT_SIZE,
                budget: (*root).budget,
            }
        }
    }
}

/// Statistics of the task (or root) the caller runs on; `None` when the caller does not
/// run on a segment.
pub fn current_stats() -> Option<StackStats> {
    let header = layout::current_header()?;
    // SAFETY: the header of the segment we run on is live, and so is its root.
    Some(unsafe { StackStats::of_root((*header).root) })
}

/// Sets the opaque context pointer of the task (or root) the caller runs on. Each task
/// has its own, null at first. Ignored when the caller does not run on a segment.
pub fn set_context(ptr: *mut ()) {
    if let Some(header) = layout::current_header() {
        // SAFETY: the header of the segment we run on is live, and so is its root.
        unsafe { (*(*header).root).context = ptr };
    }
}

/// The context pointer of the task (or root) the caller runs on, as set by
/// [`set_context`]; null when unset or when the caller does not run on a segment.
pub fn context() -> *mut () {
    match layout::current_header() {
        // SAFETY: the header of the segment we run on is live, and so is its root.
        Some(header) => unsafe { (*(*header).root).context },
        None => std::ptr::null_mut(),
    }
}
