//! The stack-overflow guard (a SIGSEGV handler), alternate signal stacks, and large
//! one-off stacks for code that cannot call `grow`.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Once;

use corosensei::stack::{Stack, StackPointer};

use crate::layout::{self, LargeStackLink, GUARD_SIZE};

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

static INSTALL: Once = Once::new();
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The actions that were installed before ours, called for faults that are not ours.
struct Previous(UnsafeCell<[MaybeUninit<libc::sigaction>; 2]>);

// SAFETY: written once, inside `INSTALL`, before our handler is installed; only read
// afterwards.
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
pub fn install_overflow_guard() {
    INSTALL.call_once(|| {
        layout::region();
        // SAFETY: plain sigaction calls; PREVIOUS is only written here, before our
        // handler can run.
        unsafe {
            let previous = &mut *PREVIOUS.0.get();
            for (slot, &signal) in previous.iter_mut().zip(SIGNALS.iter()) {
                libc::sigaction(signal, ptr::null(), slot.as_mut_ptr());
            }
            for &signal in &SIGNALS {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_fault as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, ptr::null_mut());
            }
        }
        INSTALLED.store(true, Ordering::Release);
    });
    ALT_STACK.with(|_| ());
}

/// Whether [`install_overflow_guard`] has been called in this process.
pub fn overflow_guard_installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// Makes sure the calling thread has an alternate signal stack once the guard is on.
#[inline]
pub(crate) fn prepare_thread() {
    if INSTALLED.load(Ordering::Relaxed) {
        let _ = ALT_STACK.try_with(|_| ());
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
        // SAFETY: write and _exit are async-signal-safe.
        unsafe {
            libc::write(2, MESSAGE_LINE.as_ptr().cast(), MESSAGE_LINE.len());
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
        // SAFETY: sigaction/raise are async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = libc::SIG_DFL;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, ptr::null_mut());
            if (*info).si_code <= 0 {
                libc::raise(signal);
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
    mapping: Option<(usize, usize)>,
}

thread_local! {
    static ALT_STACK: AltStack = AltStack::install();
}

impl AltStack {
    fn install() -> AltStack {
        // SAFETY: sigaltstack with a null new stack only reads the current one.
        let mut current: libc::stack_t = unsafe { std::mem::zeroed() };
        unsafe { libc::sigaltstack(ptr::null(), &mut current) };
        if current.ss_flags & libc::SS_DISABLE == 0 {
            return AltStack { mapping: None };
        }
        let page = layout::page_size();
        let len = ALT_STACK_SIZE.max(libc::SIGSTKSZ) + page;
        // SAFETY: a fresh anonymous mapping; its lowest page becomes a guard.
        unsafe {
            let p = libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                return AltStack { mapping: None };
            }
            libc::mprotect(p, page, libc::PROT_NONE);
            let stack = libc::stack_t {
                ss_sp: (p as usize + page) as *mut libc::c_void,
                ss_flags: 0,
                ss_size: len - page,
            };
            if libc::sigaltstack(&stack, ptr::null_mut()) != 0 {
                libc::munmap(p, len);
                return AltStack { mapping: None };
            }
            AltStack {
                mapping: Some((p as usize, len)),
            }
        }
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        if let Some((addr, len)) = self.mapping {
            // SAFETY: disable the alternate stack before unmapping it, and only if it is
            // still the one we installed.
            unsafe {
                let mut current: libc::stack_t = std::mem::zeroed();
                libc::sigaltstack(ptr::null(), &mut current);
                if current.ss_sp as usize == addr + layout::page_size() {
                    let disable = libc::stack_t {
                        ss_sp: ptr::null_mut(),
                        ss_flags: libc::SS_DISABLE,
                        ss_size: 0,
                    };
                    libc::sigaltstack(&disable, ptr::null_mut());
                    libc::munmap(addr as *mut libc::c_void, len);
                }
            }
        }
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
    fn new(size: usize) -> LargeStack {
        let page = layout::page_size();
        let usable = size.max(64 * 1024).div_ceil(page) * page;
        let len = usable + GUARD_SIZE;
        // SAFETY: a fresh reservation; everything above the guard becomes read-write
        // and is committed lazily, page by page, as the stack grows into it.
        let mapping = unsafe {
            let p = libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            assert!(
                p != libc::MAP_FAILED,
                "on_large_stack: cannot map {len} bytes"
            );
            let rc = libc::mprotect(
                (p as usize + GUARD_SIZE) as *mut libc::c_void,
                usable,
                libc::PROT_READ | libc::PROT_WRITE,
            );
            if rc != 0 {
                libc::munmap(p, len);
                panic!("on_large_stack: cannot map {len} bytes");
            }
            p as usize
        };
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
        LargeStack { mapping, len, slot }
    }
}

impl Drop for LargeStack {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            LARGE_GUARDS[slot].0.store(0, Ordering::Release);
        }
        // SAFETY: nothing runs on the stack any more; the mapping is ours.
        unsafe { libc::munmap(self.mapping as *mut libc::c_void, self.len) };
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
/// # Panics
///
/// A panic in `f` propagates to the caller. Panics if the stack cannot be mapped.
pub fn on_large_stack<R>(size: usize, f: impl FnOnce() -> R) -> R {
    prepare_thread();
    let mut stack = LargeStack::new(size);
    let _link = LargeStackLink::enter(stack.mapping, stack.mapping + stack.len);
    corosensei::on_stack(&mut stack, f)
}

/// Runs `f` on a fresh stack of `capacity` bytes whose memory is first filled with a
/// pattern, and returns its result with the number of bytes of that stack it used (the
/// deepest point that was written, measured from the top).
///
/// A measuring tool for frame sizes and for the stack use of code between two
/// [`grow`](crate::grow) checks. The stack is not a segment: code that calls `grow`
/// moves onto segments and is not measured past that point. Like [`on_large_stack`],
/// an overflow of `capacity` hits a guard area.
pub fn measure_stack_usage<R>(capacity: usize, f: impl FnOnce() -> R) -> (R, usize) {
    const PATTERN: u64 = 0x5ca1_ab1e_f1be_5eed;
    prepare_thread();
    let mut stack = LargeStack::new(capacity);
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
    (result, high - low - first_used * 8)
}
