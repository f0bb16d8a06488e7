//! Segment geometry, the process-wide segment region, and the per-segment header.
//!
//! Every segment is a `SEGMENT_SIZE`-aligned block of the region:
//!
//! ```text
//!   block + SEGMENT_SIZE  ┌──────────────────────────────┐
//!                         │ Header (HEADER_SIZE bytes)   │
//!   Stack::base()  ─────► ├──────────────────────────────┤
//!                         │ stack, grows downwards       │
//!                         │ ...                          │
//!                         ├──────────────────────────────┤ block + GUARD_SIZE + RED_ZONE
//!                         │ red zone: reached only by    │
//!                         │ code between two checks      │
//!                         ├──────────────────────────────┤ block + GUARD_SIZE
//!                         │ guard (PROT_NONE)            │
//!   block, Stack::limit() └──────────────────────────────┘
//! ```
//!
//! Because the block is aligned to its size, the header of the segment that the
//! current code runs on is `(sp & !(SEGMENT_SIZE - 1)) + SEGMENT_SIZE - HEADER_SIZE`,
//! and the bytes left above the red zone are `(sp & (SEGMENT_SIZE - 1)) - GUARD_SIZE -
//! RED_ZONE`. Neither needs a thread-local, so both stay right across stack switches.

use std::any::TypeId;
use std::cell::RefCell;
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use rustix::mm::{self, Advice, MapFlags, MprotectFlags, ProtFlags};

use crate::StackError;

#[cfg(not(target_pointer_width = "64"))]
compile_error!("spindle-fiber needs a 64-bit address space for its segment region");

/// Parses the optional build-time override of the segment size (in KiB).
const fn segment_kib(value: Option<&str>, default: usize) -> usize {
    let Some(text) = value else { return default };
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut n = 0usize;
    while i < bytes.len() {
        let d = bytes[i];
        assert!(
            d.is_ascii_digit(),
            "SPINDLE_FIBER_SEGMENT_KIB must be a decimal number"
        );
        n = n * 10 + (d - b'0') as usize;
        i += 1;
    }
    n
}

/// Size and alignment of one stack segment, in bytes (1 MiB).
///
/// Chosen by measurement (see `docs/fiber.md`). For experiments it can be changed at
/// build time with the environment variable `SPINDLE_FIBER_SEGMENT_KIB` (a power of
/// two, at least 256).
pub const SEGMENT_SIZE: usize = segment_kib(option_env!("SPINDLE_FIBER_SEGMENT_KIB"), 1024) * 1024;

/// Size of the inaccessible guard area at the bottom of every segment, in bytes
/// (64 KiB: one page on every Linux page size up to 64 KiB).
pub const GUARD_SIZE: usize = 64 * 1024;

/// Stack that [`grow`](crate::grow) keeps in reserve, in bytes: 128 KiB in optimised
/// builds, 256 KiB when built with debug assertions (unoptimised frames are 2-10 times
/// larger).
///
/// `grow` runs its closure in place only while more than this much stack is left
/// above the guard; code between two checks may use up to this much. Sized from
/// measurements of the deepest unchecked work an evaluator does (formatting, backtraces,
/// panics, regex compilation, JSON), see `docs/fiber.md` and `tests/red_zone.rs`.
/// Work whose stack use grows with its input (compiling a user's deeply nested regex)
/// belongs in [`on_new_segment`](crate::on_new_segment), which gives it a whole fresh
/// segment.
pub const RED_ZONE: usize = if cfg!(debug_assertions) {
    256 * 1024
} else {
    128 * 1024
};

/// Bytes at the top of every segment that hold its [`Header`].
pub(crate) const HEADER_SIZE: usize = {
    let size = std::mem::size_of::<Header>();
    (size + 63) & !63
};

/// Lowest in-segment offset of the stack pointer at which `grow` still runs in place.
pub(crate) const THRESHOLD: usize = GUARD_SIZE + RED_ZONE;

const _: () = {
    assert!(SEGMENT_SIZE.is_power_of_two());
    assert!(SEGMENT_SIZE.is_multiple_of(64 * 1024));
    assert!(SEGMENT_SIZE >= 2 * (THRESHOLD + HEADER_SIZE));
    assert!(HEADER_SIZE.is_multiple_of(16));
};

/// `Header::magic` of a live segment ("spindle!" in ASCII).
pub(crate) const MAGIC: usize = usize::from_be_bytes(*b"spindle!");

/// Kind of stack chain a root segment starts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(usize)]
pub(crate) enum RootKind {
    /// Root of a [`Task`](crate::Task): may suspend.
    Task = 1,
    /// Root made by [`run`](crate::run).
    Run = 2,
    /// Root made by `grow` when called from a stack that is not a segment.
    Implicit = 3,
}

/// A record pushed by [`with_frame`](crate::with_frame), living on the native stack.
pub(crate) struct FrameRecord {
    pub(crate) payload: *const dyn std::any::Any,
    pub(crate) prev: *const FrameRecord,
}

/// Metadata at the top of each segment. All fields are accessed through raw pointers
/// only (never through `&mut Header`), by the single thread that runs the chain.
#[repr(C)]
pub(crate) struct Header {
    /// `MAGIC` while the segment is in use.
    pub(crate) magic: usize,
    /// Header of the segment that grew into this one; null on a root.
    pub(crate) prev: *mut Header,
    /// Header of the root segment of this chain (itself on a root).
    pub(crate) root: *mut Header,
    /// Innermost frame record pushed while running on this segment.
    pub(crate) frames: *const FrameRecord,
    /// The task's `corosensei::Yielder<Resp, Req>`, type-erased; null if the chain
    /// cannot suspend (or its task has not started yet). Copied into every segment of
    /// the chain so that `suspend` reads one header, not two.
    pub(crate) yielder: *const (),
    /// `TypeId` of the task's `(Req, Resp)`, checked by [`suspend`](crate::suspend)
    /// (meaningful only when `yielder` is set). Copied like `yielder`.
    pub(crate) suspend_type: TypeId,
    // ---- the fields below are meaningful on root segments only ----
    /// Segments of this chain checked out of the pool (root included).
    pub(crate) segments_in_use: usize,
    /// Highest `segments_in_use` so far.
    pub(crate) peak_segments: usize,
    /// `segments_in_use` never exceeds this.
    pub(crate) max_segments: usize,
    /// The budget in bytes, as configured (for error reports).
    pub(crate) budget: usize,
    /// Opaque user context (see [`set_context`](crate::set_context)).
    pub(crate) context: *mut (),
    /// Header of the innermost segment of the chain that is in use.
    pub(crate) deepest: *mut Header,
    /// What kind of root this is.
    pub(crate) kind: RootKind,
}

impl Header {
    /// Writes a fresh header for a segment that continues the chain of `prev`.
    ///
    /// # Safety
    /// `this` must be the header slot of a segment checked out of the pool, and `prev`
    /// the live header of the segment the caller runs on.
    pub(crate) unsafe fn init_child(this: *mut Header, prev: *mut Header) {
        // SAFETY: caller guarantees both pointers; `prev` is live so its root is too.
        unsafe {
            this.write(Header {
                magic: MAGIC,
                prev,
                root: (*prev).root,
                frames: ptr::null(),
                yielder: (*prev).yielder,
                suspend_type: (*prev).suspend_type,
                segments_in_use: 0,
                peak_segments: 0,
                max_segments: 0,
                budget: 0,
                context: ptr::null_mut(),
                deepest: ptr::null_mut(),
                kind: RootKind::Implicit,
            })
        }
    }

    /// Writes a fresh root header.
    ///
    /// # Safety
    /// `this` must be the header slot of a segment checked out of the pool.
    pub(crate) unsafe fn init_root(
        this: *mut Header,
        kind: RootKind,
        budget: usize,
        suspend_type: TypeId,
    ) {
        // SAFETY: caller guarantees the slot is ours and writable.
        unsafe {
            this.write(Header {
                magic: MAGIC,
                prev: ptr::null_mut(),
                root: this,
                frames: ptr::null(),
                yielder: ptr::null(),
                suspend_type,
                segments_in_use: 1,
                peak_segments: 1,
                max_segments: (budget / SEGMENT_SIZE).max(1),
                budget,
                context: ptr::null_mut(),
                deepest: this,
                kind,
            })
        }
    }
}

/// Reads the stack pointer.
#[inline(always)]
pub(crate) fn stack_pointer() -> usize {
    let sp: usize;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: reads a register; touches no memory, flags or stack.
    unsafe {
        std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: reads a register; touches no memory, flags or stack.
    unsafe {
        std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let marker = 0u8;
        sp = std::hint::black_box(&marker) as *const u8 as usize;
    }
    sp
}

/// Bounds of the region, read by every `grow` check: kept together so that the check
/// touches one cache line (and one GOT entry in position-independent code).
#[repr(C, align(64))]
struct Bounds {
    /// Start of the region (0 until it is reserved). Aligned to `SEGMENT_SIZE`.
    base: AtomicUsize,
    /// Length of the region in bytes (0 until it is reserved).
    len: AtomicUsize,
}

static BOUNDS: Bounds = Bounds {
    base: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
};
/// Number of segment slots handed out so far (slots `0..CARVED` have been carved).
static CARVED: AtomicUsize = AtomicUsize::new(0);

/// Whether `addr` lies inside the segment region.
#[inline(always)]
pub(crate) fn in_region(addr: usize) -> bool {
    addr.wrapping_sub(BOUNDS.base.load(Ordering::Relaxed)) < BOUNDS.len.load(Ordering::Relaxed)
}

/// The fast-path test of `grow`: on a segment, with more than the red zone left.
#[inline(always)]
pub(crate) fn has_room(sp: usize) -> bool {
    in_region(sp) && (sp & (SEGMENT_SIZE - 1)) >= THRESHOLD
}

/// Header of the segment containing `addr` (only meaningful if `in_region(addr)`).
#[inline(always)]
pub(crate) fn header_of(addr: usize) -> *mut Header {
    ((addr & !(SEGMENT_SIZE - 1)) + SEGMENT_SIZE - HEADER_SIZE) as *mut Header
}

/// Header of the segment the caller runs on, or `None` off the region. On a linked
/// large stack (see [`LargeStackLink`]), the header of the segment that entered it.
#[inline(always)]
pub(crate) fn current_header() -> Option<*mut Header> {
    let sp = stack_pointer();
    if in_region(sp) {
        let h = header_of(sp);
        // SAFETY: sp is on a segment in use (we are running on it), whose header was
        // written before anything ran on it.
        debug_assert_eq!(unsafe { (*h).magic }, MAGIC);
        Some(h)
    } else {
        linked_header(sp)
    }
}

/// A large stack (`on_large_stack`) entered from a segment: code on it belongs to the
/// chain of that segment. Kept in a per-thread list, looked up by address range, so a
/// stale entry (a task suspended on the large stack while others run) is harmless.
struct Link {
    low: usize,
    high: usize,
    header: *mut Header,
}

thread_local! {
    static LINKS: RefCell<Vec<Link>> = const { RefCell::new(Vec::new()) };
}

/// Registration of a large stack `[low, high)` entered from the segment of `header`;
/// removed on drop (also when unwinding).
pub(crate) struct LargeStackLink {
    low: usize,
}

impl LargeStackLink {
    /// Links the large stack `[low, high)` to the chain the caller runs on, if any.
    pub(crate) fn enter(low: usize, high: usize) -> Option<LargeStackLink> {
        let header = current_header()?;
        LINKS
            .try_with(|links| links.borrow_mut().push(Link { low, high, header }))
            .ok()?;
        Some(LargeStackLink { low })
    }
}

impl Drop for LargeStackLink {
    fn drop(&mut self) {
        let low = self.low;
        let _ = LINKS.try_with(|links| {
            let mut links = links.borrow_mut();
            if let Some(i) = links.iter().rposition(|l| l.low == low) {
                links.remove(i);
            }
        });
    }
}

/// The header that code running at `sp` on a linked large stack belongs to.
#[cold]
#[inline(never)]
pub(crate) fn linked_header(sp: usize) -> Option<*mut Header> {
    LINKS
        .try_with(|links| {
            links
                .borrow()
                .iter()
                .rev()
                .find(|l| l.low <= sp && sp < l.high)
                .map(|l| l.header)
        })
        .ok()
        .flatten()
}

/// Whether `addr` lies in the guard area of a carved segment (used by the signal
/// handler; async-signal-safe: atomics only).
pub(crate) fn is_segment_guard(addr: usize) -> bool {
    if !in_region(addr) {
        return false;
    }
    let offset = addr - BOUNDS.base.load(Ordering::Relaxed);
    offset / SEGMENT_SIZE < CARVED.load(Ordering::Relaxed) && offset % SEGMENT_SIZE < GUARD_SIZE
}

/// The system page size.
pub(crate) fn page_size() -> usize {
    rustix::param::page_size()
}

/// The process-wide reservation that all segments are carved from.
pub(crate) struct Region {
    base: usize,
    slots: usize,
    /// Segments whose thread exited, clean (madvised) and free for any thread.
    orphans: Mutex<Vec<usize>>,
}

static REGION: OnceLock<Region> = OnceLock::new();
/// Held while reserving, so that two threads do not both reserve 64 GiB.
static RESERVING: Mutex<()> = Mutex::new(());

/// Largest region tried first; halved on failure down to `MIN_REGION`.
const MAX_REGION: usize = 64 << 30;
const MIN_REGION: usize = 64 << 20;

/// The region, reserved on first use. A failed reservation is not remembered: the
/// next call tries again.
pub(crate) fn region() -> Result<&'static Region, StackError> {
    if let Some(region) = REGION.get() {
        return Ok(region);
    }
    let _reserving = RESERVING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(region) = REGION.get() {
        return Ok(region);
    }
    let region = reserve()?;
    Ok(REGION.get_or_init(|| region))
}

/// The region if it has been reserved: every segment that exists lies in it.
pub(crate) fn reserved() -> Option<&'static Region> {
    REGION.get()
}

/// Reserves the largest region the kernel grants, from `MAX_REGION` down to
/// `MIN_REGION`, aligned to `SEGMENT_SIZE`.
fn reserve() -> Result<Region, StackError> {
    let page = page_size();
    if !(GUARD_SIZE.is_multiple_of(page) && SEGMENT_SIZE.is_multiple_of(page)) {
        return Err(StackError::PageSize { page });
    }
    let mut len = MAX_REGION;
    loop {
        // Over-reserve by one segment so that the start can be aligned.
        let total = len + SEGMENT_SIZE;
        // SAFETY: an anonymous PROT_NONE reservation at an address of the kernel's
        // choosing; no existing memory is touched.
        let mapped = unsafe {
            mm::mmap_anonymous(
                ptr::null_mut(),
                total,
                ProtFlags::empty(),
                MapFlags::PRIVATE | MapFlags::NORESERVE,
            )
        };
        let p = match mapped {
            Ok(p) => p,
            Err(_) if len > MIN_REGION => {
                len /= 2;
                continue;
            }
            Err(errno) => return Err(StackError::system("mmap", errno)),
        };
        let start = p as usize;
        let base = (start + SEGMENT_SIZE - 1) & !(SEGMENT_SIZE - 1);
        let head = base - start;
        let tail = total - head - len;
        for (at, bytes) in [(start, head), (base + len, tail)] {
            if bytes > 0 {
                // A failure leaves those bytes reserved and unused (PROT_NONE, no
                // memory behind them): harmless, so it is not an error.
                // SAFETY: the range lies inside the mapping just made, outside the
                // aligned region, and nothing uses it.
                let _ = unsafe { mm::munmap(at as *mut c_void, bytes) };
            }
        }
        BOUNDS.len.store(len, Ordering::Relaxed);
        BOUNDS.base.store(base, Ordering::Relaxed);
        return Ok(Region {
            base,
            slots: len / SEGMENT_SIZE,
            orphans: Mutex::new(Vec::new()),
        });
    }
}

impl Region {
    /// Bytes of address space reserved.
    pub(crate) fn len(&self) -> usize {
        self.slots * SEGMENT_SIZE
    }

    /// A segment for a thread whose pool is empty: an orphan, or a freshly carved slot.
    ///
    /// # Errors
    /// [`StackError::RegionExhausted`] when every slot is carved and in use;
    /// [`StackError::System`] when the kernel refuses to make a slot writable
    /// (typically its limit on mappings). That slot then stays `PROT_NONE` and is
    /// never handed out.
    pub(crate) fn take(&self) -> Result<usize, StackError> {
        if let Some(seg) = self.orphans.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(seg);
        }
        let slot = CARVED
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.slots).then_some(n + 1)
            })
            .map_err(|_| StackError::RegionExhausted { slots: self.slots })?;
        let seg = self.base + slot * SEGMENT_SIZE;
        // SAFETY: the slot lies in our reservation and was never handed out; make all
        // of it but the guard area readable and writable.
        unsafe {
            mm::mprotect(
                (seg + GUARD_SIZE) as *mut c_void,
                SEGMENT_SIZE - GUARD_SIZE,
                MprotectFlags::READ | MprotectFlags::WRITE,
            )
        }
        .map_err(|errno| StackError::system("mprotect", errno))?;
        Ok(seg)
    }

    /// Takes back a segment from a thread that no longer has a pool.
    pub(crate) fn adopt(&self, seg: usize) {
        // Whether or not its memory could be given back, the segment is as good
        // as any: every use writes its header first.
        let _ = discard(seg);
        self.orphans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(seg);
    }
}

/// Gives the memory of a segment's usable part back to the kernel (contents become
/// zero). A failure (the kernel refusing `madvise`) leaves the memory resident; the
/// caller decides what that means for its bookkeeping.
pub(crate) fn discard(seg: usize) -> Result<(), StackError> {
    // SAFETY: the range is a carved, read-write part of the region that nobody runs
    // on; MADV_DONTNEED only drops its contents.
    unsafe {
        mm::madvise(
            (seg + GUARD_SIZE) as *mut c_void,
            SEGMENT_SIZE - GUARD_SIZE,
            Advice::LinuxDontNeed,
        )
    }
    .map_err(|errno| StackError::system("madvise", errno))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    /// The layout drawn in docs/fiber.md.
    #[test]
    fn header_layout_matches_the_documentation() {
        assert_eq!(HEADER_SIZE, 128);
        assert_eq!(offset_of!(Header, magic), 0);
        assert_eq!(offset_of!(Header, prev), 8);
        assert_eq!(offset_of!(Header, root), 16);
        assert_eq!(offset_of!(Header, frames), 24);
        assert_eq!(offset_of!(Header, yielder), 32);
        assert_eq!(offset_of!(Header, suspend_type), 40);
        assert_eq!(offset_of!(Header, segments_in_use), 56);
        assert_eq!(offset_of!(Header, peak_segments), 64);
        assert_eq!(offset_of!(Header, max_segments), 72);
        assert_eq!(offset_of!(Header, budget), 80);
        assert_eq!(offset_of!(Header, context), 88);
        assert_eq!(offset_of!(Header, deepest), 96);
        assert_eq!(offset_of!(Header, kind), 104);
    }

    #[test]
    fn header_is_found_from_any_address_in_the_segment() {
        let block = 7 * SEGMENT_SIZE;
        let header = block + SEGMENT_SIZE - HEADER_SIZE;
        for addr in [
            block,
            block + GUARD_SIZE,
            block + SEGMENT_SIZE / 2,
            header - 1,
        ] {
            assert_eq!(header_of(addr) as usize, header);
        }
    }

    #[test]
    fn region_is_aligned_and_segments_carve_in_order() {
        let region = region().expect("the region is reserved");
        assert!(region.len() >= MIN_REGION);
        let base = BOUNDS.base.load(Ordering::Relaxed);
        assert_eq!(base % SEGMENT_SIZE, 0);
        assert!(in_region(base) && in_region(base + region.len() - 1));
        assert!(!in_region(base - 1) && !in_region(base + region.len()));
        assert!(
            !has_room(stack_pointer()),
            "test threads run on plain stacks"
        );
    }

    #[test]
    fn size_override_parses() {
        assert_eq!(segment_kib(None, 1024), 1024);
        assert_eq!(segment_kib(Some("4096"), 1024), 4096);
    }
}
