//! The per-thread pool of stack segments.
//!
//! Segments are carved once from the process-wide region and never unmapped. Each
//! thread keeps its free segments in a LIFO list, so the segment handed out next is the
//! one most recently used (still in cache, its pages still resident). [`trim`] gives the
//! memory of all but [`KEEP_HOT`] free segments back to the kernel; tasks and roots call
//! it when they finish. When a thread exits, its free segments go back to the region,
//! clean, for any other thread to use.

use std::cell::RefCell;

use crate::layout::{self, Header, SEGMENT_SIZE};
use crate::StackError;

/// Free segments that [`trim`] leaves resident (the hottest ones).
pub const KEEP_HOT: usize = 4;

/// A snapshot of the calling thread's pool, see [`stats`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    /// Size of every segment, in bytes.
    pub segment_size: usize,
    /// Segments in this thread's free list.
    pub free_segments: usize,
    /// Free segments whose memory may still be resident (not trimmed since last use).
    pub hot_segments: usize,
    /// Segments this thread has checked out and not yet given back.
    pub in_use_segments: usize,
    /// Bytes of address space reserved for all segments of the process.
    pub region_bytes: usize,
}

impl PoolStats {
    /// Segments this thread holds mapped read-write: free plus in use.
    pub fn mapped_segments(&self) -> usize {
        self.free_segments + self.in_use_segments
    }

    /// Upper bound of the resident memory of this thread's segments, in bytes: the
    /// memory of trimmed free segments has been given back to the kernel.
    pub fn resident_bound_bytes(&self) -> usize {
        (self.hot_segments + self.in_use_segments) * self.segment_size
    }
}

struct Pool {
    /// Free segments (block addresses); the last one is the hottest.
    free: Vec<usize>,
    /// `free[..clean]` have been discarded since they were last used.
    clean: usize,
    /// Segments checked out through this pool.
    in_use: usize,
}

impl Pool {
    const fn new() -> Self {
        Pool {
            free: Vec::new(),
            clean: 0,
            in_use: 0,
        }
    }

    fn take(&mut self) -> Result<usize, StackError> {
        let seg = match self.free.pop() {
            Some(seg) => {
                self.clean = self.clean.min(self.free.len());
                seg
            }
            None => layout::region()?.take()?,
        };
        self.in_use += 1;
        Ok(seg)
    }

    fn give(&mut self, seg: usize) {
        self.in_use = self.in_use.saturating_sub(1);
        self.free.push(seg);
    }

    /// Discards the free segments below the hot few, oldest first. A segment the
    /// kernel would not discard stops the trim there: it and the ones above it stay
    /// counted as hot, so that [`PoolStats::resident_bound_bytes`] stays an upper
    /// bound, and the next trim tries again.
    fn trim(&mut self) {
        let keep_from = self.free.len().saturating_sub(KEEP_HOT);
        while self.clean < keep_from {
            if layout::discard(self.free[self.clean]).is_err() {
                break;
            }
            self.clean += 1;
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // A pool holds segments only once the region exists.
        if let Some(region) = layout::reserved() {
            for seg in self.free.drain(..) {
                region.adopt(seg);
            }
        }
    }
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool::new()) };
}

/// An owned segment. It implements corosensei's `Stack` and goes back to the pool of
/// the thread that drops it, also when it is dropped during unwinding.
pub(crate) struct Segment {
    block: usize,
}

impl Segment {
    /// Checks out a segment (hottest first).
    ///
    /// # Errors
    /// When the pool is empty and the region cannot provide one (see
    /// [`Region::take`](layout::Region::take)).
    pub(crate) fn take() -> Result<Segment, StackError> {
        let block = POOL
            .try_with(|p| p.borrow_mut().take())
            .unwrap_or_else(|_| layout::region()?.take())?;
        Ok(Segment { block })
    }

    /// This segment's header slot.
    pub(crate) fn header(&self) -> *mut Header {
        layout::header_of(self.block)
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // SAFETY: the header slot belongs to this segment; clearing the magic makes a
        // stale pointer to it recognisable in debug checks.
        unsafe { (*self.header()).magic = 0 };
        let block = self.block;
        if POOL.try_with(|p| p.borrow_mut().give(block)).is_err() {
            if let Some(region) = layout::reserved() {
                region.adopt(block);
            }
        }
    }
}

// SAFETY: `base` is the 16-byte aligned header address at the top of the segment and
// `limit` its lowest address; everything in between except the guard area at the bottom
// is mapped read-write, the guard area is PROT_NONE, and the usable part is far above
// corosensei's MIN_STACK_SIZE. The memory stays mapped for the life of the process.
unsafe impl corosensei::stack::Stack for Segment {
    #[inline]
    fn base(&self) -> corosensei::stack::StackPointer {
        corosensei::stack::StackPointer::new(self.header() as usize).expect("non-null segment")
    }

    #[inline]
    fn limit(&self) -> corosensei::stack::StackPointer {
        corosensei::stack::StackPointer::new(self.block).expect("non-null segment")
    }
}

/// Statistics of the calling thread's pool. Reserves the region if that has not
/// happened yet; `region_bytes` is 0 if it cannot be reserved.
pub fn stats() -> PoolStats {
    let region_bytes = layout::region().map_or(0, |region| region.len());
    POOL.try_with(|p| {
        let p = p.borrow();
        PoolStats {
            segment_size: SEGMENT_SIZE,
            free_segments: p.free.len(),
            hot_segments: p.free.len() - p.clean.min(p.free.len()),
            in_use_segments: p.in_use,
            region_bytes,
        }
    })
    .unwrap_or(PoolStats {
        segment_size: SEGMENT_SIZE,
        free_segments: 0,
        hot_segments: 0,
        in_use_segments: 0,
        region_bytes,
    })
}

/// Gives the memory of all but the [`KEEP_HOT`] most recently used free segments of the
/// calling thread back to the kernel (`madvise(MADV_DONTNEED)`). The segments stay
/// mapped and in the pool; touching them again costs page faults.
///
/// Called automatically when a [`Task`](crate::Task) finishes or is dropped and when an
/// outermost [`run`](crate::run) (or a `grow` from a plain thread stack) returns.
pub fn trim() {
    let _ = POOL.try_with(|p| p.borrow_mut().trim());
}
