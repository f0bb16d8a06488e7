//! Growable, pooled fiber stacks with suspend-from-any-depth.
//!
//! `spindle-fiber` lets plain recursive Rust recurse as deep as memory allows, and
//! lets a computation suspend from any depth, without turning the recursion into a
//! state machine. It builds on [corosensei](https://docs.rs/corosensei) stack
//! switching:
//!
//! * Code runs on *segments*: fixed-size, size-aligned stacks of
//!   [`SEGMENT_SIZE`] bytes with a guard area, carved from one address-space
//!   reservation and recycled through a per-thread pool ([`pool`]).
//! * [`grow`] is called wherever recursion may go deep. When less than [`RED_ZONE`]
//!   bytes are left on the current segment, it runs its closure on a fresh segment and
//!   switches back afterwards. The check reads only the stack pointer, so it is a few
//!   inlined instructions and stays right across stack switches.
//! * A [`Task`] is a coroutine whose stack chain starts on a pooled root segment.
//!   [`suspend`] switches from the innermost segment straight back to the caller of
//!   [`Task::resume`]; `resume` switches straight back in.
//! * Each segment has a header at its top, found from the stack pointer alone, with
//!   the links that make budgets ([`TaskConfig::stack_budget`]), frame records
//!   ([`with_frame`], [`walk_frames`]), a per-task [`context`] and [`current_stats`]
//!   work without thread-locals.
//! * [`install_overflow_guard`] turns an overflow of a segment by code that skipped
//!   the check into a clear one-line report and exit status [`OVERFLOW_EXIT_CODE`].
//! * [`on_large_stack`] runs third-party recursive code that cannot call `grow` on a
//!   big one-off stack; [`on_new_segment`] gives stack-hungry calls a whole fresh
//!   segment; [`measure_stack_usage`] measures how much stack a closure uses.
//!
//! ```
//! use spindle_fiber::{grow, run, TaskConfig};
//!
//! fn depth(n: u64) -> u64 {
//!     if n == 0 {
//!         return 0;
//!     }
//!     grow(|| depth(n - 1)).expect("stack budget") + 1
//! }
//!
//! // A million nested calls: far more than a thread stack holds.
//! assert_eq!(run(TaskConfig::default(), || depth(1_000_000)), Ok(1_000_000));
//! ```
//!
//! Suspending from depth:
//!
//! ```
//! use spindle_fiber::{grow, suspend, Step, Task, TaskConfig};
//!
//! fn walk(n: u32) -> u32 {
//!     if n == 0 {
//!         // Ask the resumer for a value, from 10 000 frames down.
//!         return suspend::<&str, u32>("need a value").unwrap();
//!     }
//!     grow(|| walk(n - 1)).unwrap()
//! }
//!
//! // Req = &str (handed out on suspend), Resp = u32 (passed in on resume).
//! let mut task = Task::new(TaskConfig::default(), |_first: u32| walk(10_000))?;
//! assert_eq!(task.resume(0), Step::Suspended("need a value"));
//! assert_eq!(task.resume(42), Step::Finished(42));
//! # Ok::<(), spindle_fiber::StackError>(())
//! ```
//!
//! See `docs/fiber.md` in the repository for the layout, the design choices and
//! their measurements.
//!
//! # Requirements
//!
//! * Linux on x86_64 or aarch64, 64-bit. Built with `panic = "unwind"`: dropping a
//!   suspended task unwinds its stack.
//! * Everything is per thread: tasks are neither `Send` nor `Sync`, and each thread
//!   has its own pool.

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod error;
mod frames;
mod grow;
mod guard;
mod layout;
pub mod pool;
mod task;

pub use error::StackError;
pub use frames::{walk_frames, with_frame};
pub use grow::{
    ensure_sufficient_stack, grow, on_new_segment, remaining_stack, run, StackExhausted,
};
pub use guard::{
    install_overflow_guard, measure_stack_usage, on_large_stack, overflow_guard_installed,
    OVERFLOW_EXIT_CODE, OVERFLOW_MESSAGE,
};
pub use layout::{GUARD_SIZE, RED_ZONE, SEGMENT_SIZE};
pub use task::{
    context, current_stats, in_task, set_context, suspend, StackStats, Step, SuspendError, Task,
    TaskConfig, DEFAULT_STACK_BUDGET,
};
