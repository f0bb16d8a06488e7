//! Limits on what one evaluation may use besides its stack: heap memory,
//! wall-clock time and regular-expression backtracking.
//!
//! The stack budget is enforced by the fiber runtime and fuel by the VM's
//! step counter; the limits here are checked at two kinds of points:
//! - periodically, every [`CHECK_INTERVAL`] steps of the VM (the fiber VM
//!   checks where its fuel slice runs out, so the hot path stays a
//!   decrement and a compare): the deadline, and the heap measured as the
//!   process's resident memory minus the fiber stack in use;
//! - before an allocation whose size the evaluation computes (`genList`,
//!   `++`, string concatenation): [`Limits::reserve`] refuses it when it
//!   would not fit under the heap cap, so that doubling a list or a string
//!   ends in an error rather than in the kernel's out-of-memory killer.
//!
//! Every limit ends the evaluation with an error the host can catch
//! ([`Error::is_resource_limit`](crate::Error::is_resource_limit)); the
//! evaluator stays usable, and the memory the failed evaluation used is
//! handed back (see [`release_unused_memory`]).
//!
//! Defaults a machine can honour: [`default_stack_budget`] and
//! [`default_heap_cap`] are fractions of the physical memory (or of the
//! cgroup's memory limit, when that is lower) that add up to less than it.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

/// How many VM steps pass between two checks of the deadline and the heap.
/// Reading the resident size costs a few microseconds; at this interval
/// that is well under one per cent of an evaluation's time.
pub const CHECK_INTERVAL: u64 = 1 << 16;

/// The default budget of backtracking steps for one regular-expression
/// match, after which a linear-time engine gives the answer (see
/// `builtins::regex`): far more than real patterns need, and a few
/// milliseconds of work.
pub const DEFAULT_REGEX_STEPS: u64 = 2_000_000;

/// The default stack budget when the machine's memory is unknown, and the
/// most it is otherwise: the fiber runtime's own default.
const FALLBACK_STACK_BUDGET: usize = spindle_fiber::DEFAULT_STACK_BUDGET;

/// Limits and the state needed to check them, shared by every evaluation of
/// one evaluator.
#[derive(Debug)]
pub struct Limits {
    heap_cap: Option<usize>,
    time_limit: Option<Duration>,
    regex_steps: u64,
    /// A deadline the host set for everything that follows.
    deadline: Cell<Option<Instant>>,
    /// The deadline of the operation running now, from `time_limit`.
    operation_deadline: Cell<Option<Instant>>,
    /// How many operations are running inside one another.
    operations: Cell<u32>,
    /// The heap in use at the last measurement, plus what was reserved
    /// since, in bytes.
    measured_heap: Cell<usize>,
}

/// The limits an evaluator is built with (see
/// [`EvaluatorBuilder`](crate::EvaluatorBuilder)).
#[derive(Clone, Debug)]
pub struct LimitSettings {
    /// The most heap memory an evaluation may use, in bytes.
    pub heap_cap: Option<usize>,
    /// The most wall-clock time one operation of the evaluator may take.
    pub time_limit: Option<Duration>,
    /// The most backtracking steps one regular-expression match may take
    /// before a linear-time engine answers instead.
    pub regex_steps: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            heap_cap: heap_cap_from_env().unwrap_or_else(default_heap_cap),
            time_limit: None,
            regex_steps: DEFAULT_REGEX_STEPS,
        }
    }
}

impl Limits {
    /// Limits as `settings` says.
    pub fn new(settings: &LimitSettings) -> Limits {
        Limits {
            heap_cap: settings.heap_cap,
            time_limit: settings.time_limit,
            regex_steps: settings.regex_steps,
            deadline: Cell::new(None),
            operation_deadline: Cell::new(None),
            operations: Cell::new(0),
            measured_heap: Cell::new(0),
        }
    }

    /// The heap cap, if any.
    pub fn heap_cap(&self) -> Option<usize> {
        self.heap_cap
    }

    /// The budget of backtracking steps of one regular-expression match.
    pub fn regex_steps(&self) -> u64 {
        self.regex_steps
    }

    /// Sets a deadline for everything the evaluator does from now on
    /// (`None` lifts it).
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.deadline.set(deadline);
    }

    /// Runs one operation of the evaluator (an evaluation, a force, a
    /// print): the per-operation time limit counts from the outermost one.
    pub fn operation<R>(&self, f: impl FnOnce() -> R) -> R {
        let outermost = self.operations.get() == 0;
        if outermost {
            self.operation_deadline
                .set(self.time_limit.map(|limit| Instant::now() + limit));
        }
        self.operations.set(self.operations.get() + 1);
        let result = f();
        self.operations.set(self.operations.get() - 1);
        if outermost {
            self.operation_deadline.set(None);
        }
        result
    }

    /// Checks the deadline and the heap cap: the periodic check.
    pub fn check(&self) -> Result<()> {
        self.check_deadline()?;
        if let Some(cap) = self.heap_cap {
            let heap = self.measure_heap();
            if heap > cap {
                return Err(heap_error(cap));
            }
        }
        Ok(())
    }

    fn check_deadline(&self) -> Result<()> {
        let deadlines = [self.deadline.get(), self.operation_deadline.get()];
        let Some(earliest) = deadlines.into_iter().flatten().min() else {
            return Ok(());
        };
        if Instant::now() >= earliest {
            let limit = match (self.time_limit, self.operation_deadline.get()) {
                (Some(limit), Some(d)) if d == earliest => Some(limit),
                _ => None,
            };
            return Err(Error::new(ErrorKind::TimeLimit(limit)));
        }
        Ok(())
    }

    /// Refuses an allocation of about `bytes` that would take the heap past
    /// its cap. Cheap when the allocation fits easily: the heap is measured
    /// again only when the last measurement, plus what was reserved since,
    /// leaves too little room.
    pub fn reserve(&self, bytes: usize) -> Result<()> {
        let Some(cap) = self.heap_cap else {
            return Ok(());
        };
        let fits = |heap: usize| heap.saturating_add(bytes) <= cap;
        if fits(self.measured_heap.get()) || fits(self.measure_heap()) {
            // Counted until the next measurement, so that reservations in
            // a row (a value doubled again and again) add up.
            let heap = self.measured_heap.get();
            self.measured_heap.set(heap.saturating_add(bytes));
            return Ok(());
        }
        Err(heap_error(cap))
    }

    /// Measures the heap: resident memory minus the fiber stack in use.
    fn measure_heap(&self) -> usize {
        let stack = spindle_fiber::pool::stats();
        let stack_bytes = stack.in_use_segments * stack.segment_size;
        let heap = resident_bytes().unwrap_or(0).saturating_sub(stack_bytes);
        self.measured_heap.set(heap);
        heap
    }
}

/// A size for people: `512 MiB`, `3.5 GiB`.
pub fn human_bytes(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{value} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// What stopped an evaluation in time: its own limit, or the host's deadline.
pub fn describe_time_limit(limit: &Option<Duration>) -> String {
    match limit {
        Some(limit) => format!("its time limit of {} s passed", limit.as_secs_f64()),
        None => "its deadline passed".to_string(),
    }
}

fn heap_error(cap: usize) -> Error {
    Error::new(ErrorKind::HeapExhausted { cap })
}

/// The process's resident memory in bytes, where the system says.
pub fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

fn page_size() -> usize {
    #[cfg(target_os = "linux")]
    {
        rustix::param::page_size()
    }
    #[cfg(not(target_os = "linux"))]
    {
        4096
    }
}

/// The memory this process may use: the physical memory, or the cgroup's
/// limit when that is lower (a container).
pub fn usable_memory() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        let info = rustix::system::sysinfo();
        let physical = (info.totalram as usize).saturating_mul(info.mem_unit.max(1) as usize);
        let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok());
        Some(cgroup.map_or(physical, |c| c.min(physical)))
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// The default stack budget: a quarter of the usable memory, at most
/// 8 GiB (a depth of several million nested calls).
pub fn default_stack_budget() -> usize {
    usable_memory().map_or(FALLBACK_STACK_BUDGET, |m| {
        (m / 4).min(FALLBACK_STACK_BUDGET)
    })
}

/// The heap cap an operator set in `SPINDLE_MAX_HEAP` (bytes, or with a
/// suffix K, M or G; `0`: no cap), overriding the derived default. Where
/// resident memory does not fall when memory is freed (qemu-user ignores
/// `MADV_DONTNEED`), a cap measured from it would stop evaluations that
/// fit; the variable lets such a host lift it.
fn heap_cap_from_env() -> Option<Option<usize>> {
    let text = std::env::var("SPINDLE_MAX_HEAP").ok()?;
    let size = parse_size(text.trim())?;
    Some((size > 0).then_some(size))
}

/// `512M`, `2G`, `4096`: a size in bytes with an optional binary suffix.
pub fn parse_size(text: &str) -> Option<usize> {
    let (digits, shift) = match text.as_bytes().last()? {
        b'K' | b'k' => (&text[..text.len() - 1], 10),
        b'M' | b'm' => (&text[..text.len() - 1], 20),
        b'G' | b'g' => (&text[..text.len() - 1], 30),
        _ => (text, 0),
    };
    digits.parse::<usize>().ok()?.checked_mul(1 << shift)
}

/// The default heap cap: half of the usable memory, so that with the
/// default stack budget an evaluation stays under three quarters of it.
pub fn default_heap_cap() -> Option<usize> {
    usable_memory().map(|m| m / 2)
}

/// Hands memory the allocator keeps but no value uses back to the system:
/// called after an evaluation failed, when what it built is gone.
pub fn release_unused_memory() {
    spindle_alloc::release_unused_memory();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(heap_cap: Option<usize>, time_limit: Option<Duration>) -> Limits {
        Limits::new(&LimitSettings {
            heap_cap,
            time_limit,
            regex_steps: 10,
        })
    }

    #[test]
    fn defaults_stay_under_the_usable_memory() {
        if let Some(memory) = usable_memory() {
            let heap = default_heap_cap().expect("known memory gives a cap");
            assert!(default_stack_budget() + heap < memory);
        }
    }

    #[test]
    fn a_reservation_beyond_the_cap_is_refused_and_a_small_one_is_not() {
        let l = limits(Some(1 << 40), None);
        assert!(l.reserve(1 << 20).is_ok());
        let err = l.reserve(1 << 41).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::HeapExhausted { .. }),
            "{err}"
        );
        assert!(err.is_resource_limit());
    }

    #[test]
    fn a_passed_deadline_fails_the_check_until_it_is_lifted() {
        let l = limits(None, None);
        assert!(l.check().is_ok());
        l.set_deadline(Some(Instant::now()));
        let err = l.check().unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::TimeLimit(None)), "{err}");
        l.set_deadline(None);
        assert!(l.check().is_ok());
    }

    #[test]
    fn the_time_limit_counts_from_the_outermost_operation() {
        let l = limits(None, Some(Duration::ZERO));
        assert!(l.check().is_ok(), "no operation runs");
        let inner = l.operation(|| l.operation(|| l.check()));
        assert!(matches!(
            inner.unwrap_err().kind(),
            ErrorKind::TimeLimit(Some(_))
        ));
    }

    #[test]
    fn sizes_parse_with_their_suffixes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size(""), None);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(100), "100 bytes");
        assert_eq!(human_bytes(512 << 20), "512 MiB");
        assert_eq!(human_bytes(7 << 29), "3.5 GiB");
    }
}
