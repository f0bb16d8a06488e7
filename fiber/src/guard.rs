//! The stack-overflow guard (a SIGSEGV handler), alternate signal stacks, and large
//! one-off stacks for code that cannot call `grow`.

use std::cell::{RefCell, UnsafeCell};
use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use corosensei::stack::{Stack, StackPointer};
use rustix::mm::{self, MapFlags, MprotectFlags, ProtFlags};

use crate::layout::{self, LargeStackLink, GUARD_SIZE};
use crate::StackError;

/// Exit status of a process whose fiber stack overflowed into a guard page while the
/// guard of [`install_overflow_guard`] was installed (134 is taken by `abort`, 139 by an
/// unhandled SIGSEGV).
pub const OVERFLOW_EXIT_CODE: i32 = 86;

/// The line written to stderr before exiting with [`OVERFLOW_EXIT_CODE`].
pub const OVERFLOW_MESSAGE: &str =
    "fatal: fiber stack overflow: a recursion skipped its stack check";

const MESSAGE_LINE: &[u8] = b"fatal: fiber stack overflow: a recursion skipped its stack check\n";

/// Size of the alternate signal stacks this crate installs.
const ALT_STACK_SIZE: usize = 64 * 1024;

/// The outcome of the one installation attempt of the process.
static INSTALL: OnceLock<Result<(), StackError>> = OnceLock::new();
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The actions that were installed before ours, called for faults that are not ours.
struct Previous(UnsafeCell<[MaybeUninit<libc::sigaction>; 2]>);

// SAFETY: written once, inside the initialisation of `INSTALL`, before our handler is
// installed; only read afterwards.
unsafe impl Sync for Previous {}

static PREVIOUS: Previous = Previous(UnsafeCell::new([MaybeUninit::uninit(); 2]));

const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

/// Installs the stack-overflow guard for the whole process (idempotent, thread-safe),
/// and an alternate signal stack for the calling thread.
///
/// The guard is a SIGSEGV/SIGBUS handler running on an alternate signal stack. A fault
/// inside the guard area of a segment (or of an [`on_large_stack`] stack) means some
/// recursion skipped its [`grow`](crate::grow) check and ran off its segment: the
/// handler writes one line, [`OVERFLOW_MESSAGE`], to stderr and exits the process with
/// status [`OVERFLOW_EXIT_CODE`] (86) at once. It never tries to recover. Any other
/// fault goes to the handler installed before (Rust's own guard-page handler, which
/// reports overflows of thread stacks, or the default action).
///
/// Signal handlers run on the faulting thread, which needs its own alternate signal
/// stack. This call gives the calling thread one if it has none, and so do
/// [`Task::new`](crate::Task::new), [`run`](crate::run), [`on_large_stack`] and
/// implicit roots on every other thread, once the guard is installed. Threads made by
/// `std::thread` already have one.
///
/// # Errors
///
/// When the kernel refuses to install the handler (then nothing is installed, and
/// every later call returns the same error), or to give the calling thread an
/// alternate signal stack (the guard is installed; a later call tries again).
pub fn install_overflow_guard() -> Result<(), StackError> {
    (*INSTALL.get_or_init(|| {
        // SAFETY: PREVIOUS is only written here, once, before our handler can run.
        let previous = unsafe { &mut *PREVIOUS.0.get() };
        install_handlers(previous)?;
        INSTALLED.store(true, Ordering::Release);
        Ok(())
    }))?;
    ensure_alt_stack()
}

/// Records the actions installed now in `previous` and installs `on_fault` for
/// every signal of `SIGNALS`; on failure, puts back the actions it replaced.
fn install_handlers(previous: &mut [MaybeUninit<libc::sigaction>; 2]) -> Result<(), StackError> {
    for (slot, &signal) in previous.iter_mut().zip(SIGNALS.iter()) {
        // SAFETY: a null new action only reads the current one into `slot`.
        if unsafe { libc::sigaction(signal, ptr::null(), slot.as_mut_ptr()) } != 0 {
            return Err(StackError::last_os_error("sigaction"));
        }
    }
    // SAFETY: a zeroed `sigaction` is a valid value of that plain C struct.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_fault as *const () as usize;
    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
    // SAFETY: `sa_mask` is a valid sigset_t to fill.
    if unsafe { libc::sigemptyset(&mut action.sa_mask) } != 0 {
        return Err(StackError::last_os_error("sigemptyset"));
    }
    for (i, &signal) in SIGNALS.iter().enumerate() {
        // SAFETY: `action` is fully initialised and `on_fault` has the SA_SIGINFO
        // signature.
        if unsafe { libc::sigaction(signal, &action, ptr::null_mut()) } != 0 {
            let error = StackError::last_os_error("sigaction");
            for (slot, &installed) in previous.iter().zip(&SIGNALS[..i]) {
                // Putting back an action the kernel accepted a moment ago does not
                // fail; were it to, our handler stays and still chains to it.
                // SAFETY: `slot` was filled by the first loop.
                let _ = unsafe { libc::sigaction(installed, slot.as_ptr(), ptr::null_mut()) };
            }
            return Err(error);
        }
    }
    Ok(())
}

/// Whether [`install_overflow_guard`] has been called in this process.
pub fn overflow_guard_installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// Makes sure the calling thread has an alternate signal stack once the guard is on.
///
/// # Errors
/// When the thread has none and the kernel refuses one: an overflow on this thread
/// would then go unreported (a plain SIGSEGV), so nothing should run on a segment.
#[inline]
pub(crate) fn prepare_thread() -> Result<(), StackError> {
    if INSTALLED.load(Ordering::Relaxed) {
        ensure_alt_stack()
    } else {
        Ok(())
    }
}

extern "C" fn on_fault(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    if layout::is_segment_guard(addr) || in_large_guard(addr) {
        // A failed or short write (stderr closed) cannot be reported anywhere: the
        // exit status alone then tells what happened.
        // SAFETY: write and _exit are async-signal-safe; the buffer is a static.
        unsafe {
            let _ = libc::write(2, MESSAGE_LINE.as_ptr().cast(), MESSAGE_LINE.len());
            libc::_exit(OVERFLOW_EXIT_CODE);
        }
    }
    let index = if signal == libc::SIGSEGV { 0 } else { 1 };
    // SAFETY: PREVIOUS was fully written before this handler was installed.
    let previous = unsafe { (*PREVIOUS.0.get())[index].assume_init() };
    let handler = previous.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // Restore the default action and return: the faulting instruction runs again
        // and the kernel applies it. A signal sent by kill() is re-raised instead.
        // A handler has no one to report a failure to. If the default action cannot
        // be restored, returning would fault again into this handler forever, so the
        // process exits at once with the status a shell shows for a death by this
        // signal (128 + signal); so it does when a re-raise fails.
        // SAFETY: sigemptyset, sigaction, raise and _exit are async-signal-safe;
        // `action` is a plain C struct, valid zeroed.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = libc::SIG_DFL;
            let restored = libc::sigemptyset(&mut action.sa_mask) == 0
                && libc::sigaction(signal, &action, ptr::null_mut()) == 0;
            if !restored || ((*info).si_code <= 0 && libc::raise(signal) != 0) {
                libc::_exit(128 + signal);
            }
        }
    } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed with SA_SIGINFO, so it has the
        // three-argument signature.
        unsafe {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(handler);
            f(signal, info, context);
        }
    } else {
        // SAFETY: the previous handler is a one-argument handler.
        unsafe {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(handler);
            f(signal);
        }
    }
}

/// An alternate signal stack that this crate installed for the current thread.
struct AltStack {
    /// The mapping (guard page included), or `None` when the thread had an
    /// alternate stack of its own already.
    mapping: Option<(usize, usize)>,
}

thread_local! {
    /// The calling thread's alternate stack, once it has been made sure of.
    static ALT_STACK: RefCell<Option<AltStack>> = const { RefCell::new(None) };
}

/// Gives the calling thread an alternate signal stack unless it has one. A thread
/// that is exiting (its thread-locals gone) runs nothing more on segments: `Ok`.
fn ensure_alt_stack() -> Result<(), StackError> {
    ALT_STACK
        .try_with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.is_none() {
                *slot = Some(AltStack::install()?);
            }
            Ok(())
        })
        .unwrap_or(Ok(()))
}

/// The calling thread's alternate signal stack, as the kernel has it.
fn current_alt_stack() -> Result<libc::stack_t, StackError> {
    // SAFETY: a zeroed `stack_t` is a valid value of that plain C struct.
    let mut current: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: a null new stack only reads the current one into `current`.
    if unsafe { libc::sigaltstack(ptr::null(), &mut current) } != 0 {
        return Err(StackError::last_os_error("sigaltstack"));
    }
    Ok(current)
}

impl AltStack {
    fn install() -> Result<AltStack, StackError> {
        if current_alt_stack()?.ss_flags & libc::SS_DISABLE == 0 {
            return Ok(AltStack { mapping: None });
        }
        let page = layout::page_size();
        let len = ALT_STACK_SIZE.max(libc::SIGSTKSZ) + page;
        // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing.
        let p = unsafe {
            mm::mmap_anonymous(
                ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE,
            )
        }
        .map_err(|errno| StackError::system("mmap", errno))?;
        let unmap = |error: StackError| {
            // Unmapping a mapping of our own that nothing uses does not fail; were it
            // to, the bytes stay mapped, unused.
            // SAFETY: the mapping was made above and is not in use.
            let _ = unsafe { mm::munmap(p, len) };
            error
        };
        // Its lowest page becomes a guard, so that an overflow of the signal stack
        // faults instead of writing below it.
        // SAFETY: the page lies in the mapping just made.
        unsafe { mm::mprotect(p, page, MprotectFlags::empty()) }
            .map_err(|errno| unmap(StackError::system("mprotect", errno)))?;
        let stack = libc::stack_t {
            ss_sp: (p as usize + page) as *mut c_void,
            ss_flags: 0,
            ss_size: len - page,
        };
        // SAFETY: `stack` describes the read-write part of our mapping, which lives
        // until `Drop` has disabled it again.
        if unsafe { libc::sigaltstack(&stack, ptr::null_mut()) } != 0 {
            return Err(unmap(StackError::last_os_error("sigaltstack")));
        }
        Ok(AltStack {
            mapping: Some((p as usize, len)),
        })
    }
}

impl Drop for AltStack {
    /// Disables the alternate stack and unmaps it, but only when the kernel confirms
    /// that it is still ours and no longer in use: if a call fails, the mapping is
    /// left in place (a leak when the thread ends, never a signal stack pointing at
    /// unmapped memory).
    fn drop(&mut self) {
        let Some((addr, len)) = self.mapping else {
            return;
        };
        let page = layout::page_size();
        match current_alt_stack() {
            Ok(current) if current.ss_sp as usize == addr + page => {}
            _ => return,
        }
        let disable = libc::stack_t {
            ss_sp: ptr::null_mut(),
            ss_flags: libc::SS_DISABLE,
            ss_size: 0,
        };
        // SAFETY: disabling the thread's alternate stack; we do not run on it.
        if unsafe { libc::sigaltstack(&disable, ptr::null_mut()) } != 0 {
            return;
        }
        // SAFETY: the mapping is ours and no longer the signal stack.
        let _ = unsafe { mm::munmap(addr as *mut c_void, len) };
    }
}

/// Guard areas of live [`on_large_stack`] stacks: `(start, end)` pairs, 0 when free.
/// Read by the signal handler, so lock-free.
const LARGE_SLOTS: usize = 64;
#[allow(clippy::declare_interior_mutable_const)]
const EMPTY_SLOT: (AtomicUsize, AtomicUsize) = (AtomicUsize::new(0), AtomicUsize::new(0));
const CLAIMED: usize = usize::MAX;
static LARGE_GUARDS: [(AtomicUsize, AtomicUsize); LARGE_SLOTS] = [EMPTY_SLOT; LARGE_SLOTS];

fn in_large_guard(addr: usize) -> bool {
    LARGE_GUARDS.iter().any(|(start, end)| {
        let start = start.load(Ordering::Acquire);
        start != 0 && start != CLAIMED && addr >= start && addr < end.load(Ordering::Relaxed)
    })
}

/// A one-off mapped stack with a guard area, unmapped on drop.
struct LargeStack {
    mapping: usize,
    len: usize,
    slot: Option<usize>,
}

impl LargeStack {
    fn new(size: usize) -> Result<LargeStack, StackError> {
        let page = layout::page_size();
        let too_large = StackError::System {
            call: "mmap",
            errno: libc::ENOMEM,
        };
        let usable = size
            .max(64 * 1024)
            .checked_next_multiple_of(page)
            .ok_or(too_large)?;
        let len = usable.checked_add(GUARD_SIZE).ok_or(too_large)?;
        // SAFETY: a fresh reservation at an address of the kernel's choosing.
        let p = unsafe {
            mm::mmap_anonymous(
                ptr::null_mut(),
                len,
                ProtFlags::empty(),
                MapFlags::PRIVATE | MapFlags::NORESERVE,
            )
        }
        .map_err(|errno| StackError::system("mmap", errno))?;
        // Everything above the guard becomes read-write, committed lazily, page by
        // page, as the stack grows into it.
        // SAFETY: the range lies in the mapping just made.
        let writable = unsafe {
            mm::mprotect(
                (p as usize + GUARD_SIZE) as *mut c_void,
                usable,
                MprotectFlags::READ | MprotectFlags::WRITE,
            )
        };
        if let Err(errno) = writable {
            // A failure to unmap leaves the reservation in place, unused.
            // SAFETY: the mapping was made above and nothing uses it.
            let _ = unsafe { mm::munmap(p, len) };
            return Err(StackError::system("mprotect", errno));
        }
        let mapping = p as usize;
        // Claim a free slot (0 -> CLAIMED), fill in its end, then publish its start.
        let slot = LARGE_GUARDS.iter().position(|(start, _)| {
            start
                .compare_exchange(0, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        });
        if let Some(slot) = slot {
            let (start, end) = &LARGE_GUARDS[slot];
            end.store(mapping + GUARD_SIZE, Ordering::Relaxed);
            start.store(mapping, Ordering::Release);
        }
        Ok(LargeStack { mapping, len, slot })
    }
}

impl Drop for LargeStack {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            LARGE_GUARDS[slot].0.store(0, Ordering::Release);
        }
        // There is no one to tell if unmapping fails: the address space stays
        // reserved (its pages can still be reclaimed), a leak and nothing worse.
        // SAFETY: nothing runs on the stack any more; the mapping is ours.
        let _ = unsafe { mm::munmap(self.mapping as *mut c_void, self.len) };
    }
}

// SAFETY: base is the 16-byte aligned top of the mapping, limit its bottom; the guard
// area at the bottom is PROT_NONE and the rest read-write until the stack is dropped.
unsafe impl Stack for LargeStack {
    fn base(&self) -> StackPointer {
        StackPointer::new(self.mapping + self.len).expect("non-null stack")
    }

    fn limit(&self) -> StackPointer {
        StackPointer::new(self.mapping).expect("non-null stack")
    }
}

/// Runs `f` on a dedicated one-off stack of `size` bytes (rounded up to whole pages),
/// with a guard area below it, and returns its result.
///
/// For third-party recursive code that cannot call [`grow`](crate::grow), such as a
/// parser: give it a stack large enough for the deepest input you accept. The memory is
/// reserved, not committed: only the pages the code touches become resident, and the
/// whole stack is unmapped when `f` returns. With [`install_overflow_guard`], an
/// overflow of this stack is reported like a segment overflow (for up to 64 large
/// stacks alive at once; further ones overflow into a plain SIGSEGV).
///
/// Called from a segment, the large stack joins that segment's chain: code on it sees
/// the same task ([`suspend`](crate::suspend), [`context`](crate::context),
/// [`current_stats`](crate::current_stats)), its [`with_frame`](crate::with_frame)
/// records are walked together with the caller's, and [`grow`](crate::grow) inside
/// continues the chain under the task's budget. Called from a plain thread stack, it
/// belongs to no chain: `grow` inside starts an implicit root and `suspend` fails.
///
/// # Errors
///
/// [`StackError`] when the stack cannot be mapped (`f` is then not called).
///
/// # Panics
///
/// A panic in `f` propagates to the caller.
pub fn on_large_stack<R>(size: usize, f: impl FnOnce() -> R) -> Result<R, StackError> {
    prepare_thread()?;
    let mut stack = LargeStack::new(size)?;
    let _link = LargeStackLink::enter(stack.mapping, stack.mapping + stack.len);
    Ok(corosensei::on_stack(&mut stack, f))
}

/// Runs `f` on a fresh stack of `capacity` bytes whose memory is first filled with a
/// pattern, and returns its result with the number of bytes of that stack it used (the
/// deepest point that was written, measured from the top).
///
/// A measuring tool for frame sizes and for the stack use of code between two
/// [`grow`](crate::grow) checks. The stack is not a segment: code that calls `grow`
/// moves onto segments and is not measured past that point. Like [`on_large_stack`],
/// an overflow of `capacity` hits a guard area.
///
/// # Errors
///
/// [`StackError`] when the stack cannot be mapped (`f` is then not called).
pub fn measure_stack_usage<R>(
    capacity: usize,
    f: impl FnOnce() -> R,
) -> Result<(R, usize), StackError> {
    const PATTERN: u64 = 0x5ca1_ab1e_f1be_5eed;
    prepare_thread()?;
    let mut stack = LargeStack::new(capacity)?;
    let low = stack.mapping + GUARD_SIZE;
    let high = stack.mapping + stack.len;
    // SAFETY: [low, high) is the read-write part of the fresh stack, not in use yet.
    unsafe {
        let words = std::slice::from_raw_parts_mut(low as *mut u64, (high - low) / 8);
        words.fill(PATTERN);
    }
    let result = corosensei::on_stack(&mut stack, f);
    // SAFETY: as above; nothing runs on the stack any more.
    let first_used = unsafe {
        let words = std::slice::from_raw_parts(low as *const u64, (high - low) / 8);
        words
            .iter()
            .position(|&w| w != PATTERN)
            .unwrap_or(words.len())
    };
    Ok((result, high - low - first_used * 8))
}
