//! Stepping evaluations: suspended from any depth, resumed by the host.
//!
//! [`Evaluator::start_str`] and its siblings return an [`Evaluation`]: a
//! computation on a fiber task of its own that has not run yet. Each
//! [`Evaluation::resume`] runs it until it needs something from the host — a
//! [`HostRequest`] — or finishes. Suspending is one stack switch from wherever
//! the evaluation is, however deep; resuming is one switch back. The host may
//! keep many evaluations on one thread and resume them in any order.
//!
//! ```
//! use spindle::{Evaluator, HostReply, HostRequest, Step};
//!
//! let evaluator = Evaluator::builder().host_io().build();
//! let mut evaluation = evaluator.start_str("builtins.readFile /greeting + \"!\"");
//! let mut reply = HostReply::Continue;
//! let value = loop {
//!     match evaluation.resume(reply) {
//!         Step::Request(HostRequest::ReadFile(path)) => {
//!             assert_eq!(path.to_str(), Some("/greeting"));
//!             reply = HostReply::File(Ok(b"hello".to_vec()));
//!         }
//!         Step::Request(other) => panic!("unexpected {other:?}"),
//!         Step::Done(result) => break result.unwrap(),
//!     }
//! };
//! assert_eq!(value.as_str(), Some("hello!"));
//! ```

use std::cell::Cell;
use std::path::Path;
use std::rc::Rc;

use spindle_fiber::{StackStats, Task, TaskConfig};

use crate::context::EvalContext;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::eval::{absolute, Evaluator};
use crate::host::{ask, HostReply, HostRequest};
use crate::value::{Thunk, Value};
use crate::vm::Vm;

/// The most steps the VM is handed at once. Between slices the evaluation
/// checks whether it was cancelled, so even an evaluation without a budget
/// notices cancellation within this many steps.
const SLICE: u64 = 1 << 20;

/// What [`Evaluation::resume`] returns.
#[derive(Debug)]
pub enum Step<T = Value> {
    /// The evaluation is suspended until the host answers this.
    Request(HostRequest),
    /// The evaluation finished.
    Done(Result<T>),
}

/// State shared between an evaluation and the refuel hook inside its task.
struct Shared {
    /// Set once the host cancels; every later step fails.
    cancelled: Cell<bool>,
    /// Steps the host has granted and the VM has not been handed yet;
    /// `None` for no limit.
    budget: Cell<Option<u64>>,
}

impl Shared {
    /// The VM's refuel hook: the next slice of the budget, or a suspension
    /// with [`HostRequest::OutOfFuel`] when the budget is used up.
    fn refuel(&self) -> Result<u64> {
        loop {
            if self.cancelled.get() {
                return Err(Error::new(ErrorKind::Cancelled));
            }
            match self.budget.get() {
                None => return Ok(SLICE),
                Some(0) => match ask(HostRequest::OutOfFuel) {
                    Some(HostReply::Fuel(steps)) if steps > 0 => self.budget.set(Some(steps)),
                    Some(HostReply::Cancel) => self.cancelled.set(true),
                    _ => return Err(Error::new(ErrorKind::OutOfFuel)),
                },
                Some(left) => {
                    let slice = left.min(SLICE);
                    self.budget.set(Some(left - slice));
                    return Ok(slice);
                }
            }
        }
    }
}

/// The fiber task an evaluation runs on.
type EvalTask<T> = Task<'static, HostRequest, HostReply, Result<T>>;

/// A suspendable evaluation, made by [`Evaluator::start_with`] and its
/// siblings. It runs only inside [`Evaluation::resume`].
///
/// Dropping an evaluation that has not finished cancels it: it is resumed
/// with [`HostReply::Cancel`] so that it unwinds as an error (thunks it was
/// forcing stay usable), and every stack segment it used goes back to the
/// thread's pool.
///
/// Evaluations started from the same [`Evaluator`] share its import cache
/// and any values passed between them. Two interleaved evaluations that
/// force the same thunk at the same time see infinite recursion in the one
/// that comes second; give independent evaluations their own evaluators.
pub struct Evaluation<T: 'static = Value> {
    /// The task, or why none could be made (reported by the first `resume`).
    task: std::result::Result<EvalTask<T>, Error>,
    stack_budget: usize,
    ctx: Rc<EvalContext>,
    shared: Rc<Shared>,
    started: bool,
    finished: bool,
    /// Whether cycles are collected after each step when due (see
    /// [`crate::EvaluatorBuilder::short_lived`]).
    collect_after_steps: bool,
}

impl<T: 'static> Evaluation<T> {
    fn new(evaluator: &Evaluator, f: impl FnOnce(&mut Vm) -> Result<T> + 'static) -> Self {
        let shared = Rc::new(Shared {
            cancelled: Cell::new(false),
            budget: Cell::new(evaluator.fuel()),
        });
        let ctx = evaluator.context().clone();
        let task_ctx = ctx.clone();
        let hook = shared.clone();
        let stack_budget = evaluator.stack_budget();
        let config = TaskConfig { stack_budget };
        let task = Task::new(config, move |_first: HostReply| {
            let mut vm = Vm::new(task_ctx);
            // The first step asks the hook, which hands out the first slice.
            vm.set_fuel(0);
            vm.set_refuel(move || hook.refuel());
            f(&mut vm)
        })
        .map_err(Error::from);
        Evaluation {
            task,
            stack_budget,
            ctx,
            shared,
            started: false,
            finished: false,
            collect_after_steps: evaluator.collects_between_operations(),
        }
    }

    /// Sets the number of steps (closure calls and thunk forces) the
    /// evaluation may still take before it asks for more with
    /// [`HostRequest::OutOfFuel`]. Takes effect at the start, or between
    /// slices of up to 2^20 steps once running.
    pub fn with_fuel(self, steps: u64) -> Self {
        self.shared.budget.set(Some(steps));
        self
    }

    /// Runs the evaluation until it needs something from the host or
    /// finishes. The first call takes [`HostReply::Continue`]; later calls
    /// answer the request the previous one returned. After it finished, it
    /// returns an error.
    pub fn resume(&mut self, reply: HostReply) -> Step<T> {
        if let (Err(no_stack), false) = (&self.task, self.finished) {
            // An evaluation without a stack ends with the first call.
            self.finished = true;
            return Step::Done(Err(no_stack.clone()));
        }
        if self.finished || self.task.as_ref().is_ok_and(|task| task.is_finished()) {
            self.finished = true;
            return Step::Done(Err(Error::other("the evaluation has already finished")));
        }
        if matches!(reply, HostReply::Cancel) {
            self.shared.cancelled.set(true);
        }
        self.started = true;
        let ctx = self.ctx.clone();
        let step = ctx.limits.operation(|| self.run_until_request(reply));
        // Done or suspended, the evaluation's values are held by counted
        // references, which a collection respects.
        if self.collect_after_steps {
            crate::value::collect_cycles_if_due();
        }
        if let Step::Done(Err(_)) = step {
            crate::limits::release_unused_memory();
        }
        step
    }

    /// Resumes the task until it asks the host something or finishes.
    fn run_until_request(&mut self, reply: HostReply) -> Step<T> {
        let mut reply = reply;
        let Ok(task) = &mut self.task else {
            return Step::Done(Err(Error::other("the evaluation has no stack to run on")));
        };
        loop {
            match task.resume(reply) {
                spindle_fiber::Step::Finished(result) => {
                    self.finished = true;
                    return Step::Done(result);
                }
                // A cancelled evaluation may still ask on its way out;
                // every question gets the same answer.
                spindle_fiber::Step::Suspended(_) if self.shared.cancelled.get() => {
                    reply = HostReply::Cancel;
                }
                spindle_fiber::Step::Suspended(request) => return Step::Request(request),
            }
        }
    }

    /// Runs the evaluation to the end, answering each request with `serve`.
    pub fn run_with(&mut self, mut serve: impl FnMut(HostRequest) -> HostReply) -> Result<T> {
        let mut reply = HostReply::Continue;
        loop {
            match self.resume(reply) {
                Step::Request(request) => reply = serve(request),
                Step::Done(result) => return result,
            }
        }
    }

    /// Cancels the evaluation and returns how it ended: normally an error of
    /// kind [`ErrorKind::Cancelled`]. An evaluation that never ran is simply
    /// dropped.
    pub fn cancel(mut self) -> Result<T> {
        self.finish_cancelled()
    }

    fn finish_cancelled(&mut self) -> Result<T> {
        if !self.started {
            self.finished = true;
            return Err(Error::new(ErrorKind::Cancelled));
        }
        // `resume` answers the requests of a cancelled evaluation itself, so
        // this loop ends at the first step; it is a loop only for safety.
        loop {
            if let Step::Done(result) = self.resume(HostReply::Cancel) {
                return result;
            }
        }
    }

    /// Whether the evaluation has finished.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Statistics of the evaluation's stack: while it is suspended deep
    /// down, how many segments it holds.
    pub fn stack_stats(&self) -> StackStats {
        match &self.task {
            Ok(task) => task.stats(),
            Err(_) => StackStats {
                segments_in_use: 0,
                peak_segments: 0,
                segment_size: spindle_fiber::SEGMENT_SIZE,
                budget: self.stack_budget,
            },
        }
    }
}

impl<T: 'static> Drop for Evaluation<T> {
    fn drop(&mut self) {
        // Unwinding as an error (rather than by dropping the task, which
        // unwinds the stack without running the error paths) puts back the
        // thunks the evaluation was forcing. While panicking, do not run
        // more evaluation: dropping the task still frees every segment.
        if self.started && !self.finished && !std::thread::panicking() {
            let _ = self.finish_cancelled();
        }
    }
}

impl Evaluator {
    /// Starts a stepping evaluation of `f` on a fiber task of its own; see
    /// [`Evaluation`]. Nothing runs until the first
    /// [`resume`](Evaluation::resume).
    pub fn start_with<T: 'static>(
        &self,
        f: impl FnOnce(&mut Vm) -> Result<T> + 'static,
    ) -> Evaluation<T> {
        Evaluation::new(self, f)
    }

    /// Starts a stepping evaluation of an expression to weak head normal
    /// form. Relative paths in it are relative to the working directory.
    pub fn start_str(&self, source: &str) -> Evaluation {
        let dir = self.context().settings.working_dir.clone();
        self.start_source("«string»".to_string(), source.to_string(), &dir)
    }

    /// Starts a stepping evaluation of the source text `source`, named
    /// `name`, with relative paths resolved against `base_dir`.
    pub fn start_source(&self, name: String, source: String, base_dir: &Path) -> Evaluation {
        let base_dir = base_dir.to_path_buf();
        self.start_with(move |vm| {
            let code = vm.context().compile_source(name, source, &base_dir, None)?;
            vm.force(Value::Thunk(Thunk::of_code(code)))
        })
    }

    /// Starts a stepping evaluation of a file (a directory means its
    /// `default.nix`). With [`host_io`](crate::EvaluatorBuilder::host_io),
    /// even reading the file is a request to the host.
    pub fn start_file(&self, path: impl AsRef<Path>) -> Evaluation {
        let path = absolute(&self.context().settings.working_dir, path.as_ref());
        self.start_with(move |vm| vm.import_file(&path, None))
    }

    /// Starts a stepping evaluation that forces `value` completely.
    pub fn start_deep_force(&self, value: &Value) -> Evaluation {
        let value = value.clone();
        self.start_with(move |vm| vm.deep_force(value))
    }
}
