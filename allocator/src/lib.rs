//! mimalloc as a global allocator, reached by its plain entry points
//! wherever a word's alignment is enough: the allocator of the `spindle`
//! binary.
//!
//! Evaluation allocates many small, short-lived objects (thunks, closures,
//! attribute arrays), and mimalloc serves them markedly faster than the
//! system allocator. The `mimalloc` crate's adapter passes every request
//! through mimalloc's aligned entry points, which check the alignment of
//! each block they hand out; for the word-aligned layouts nearly every
//! value has, that check costs more instructions than the allocation
//! itself (callgrind: 1 to 4 % of a whole evaluation). mimalloc's blocks
//! are always at least word-aligned, so those layouts take `mi_malloc`.
//!
//! In front of mimalloc, each thread keeps a short list of freed blocks
//! per size class up to [`CACHED_MOST`] bytes (see `cache.rs`): evaluation
//! frees and allocates thunks, closures and small sets of the same few
//! sizes in turn, and taking a block back from such a list costs a few
//! instructions where mimalloc's own free and malloc paths cost a few
//! dozen together.
//!
//! Implementing `GlobalAlloc` takes `unsafe`, which is why this is a crate
//! of its own rather than a part of `spindle`. The `spindle` library leaves
//! the choice of allocator to its embedder.
//!
//! ```
//! #[global_allocator]
//! static ALLOCATOR: spindle_alloc::Mimalloc = spindle_alloc::Mimalloc;
//!
//! let v: Vec<u64> = (0..1000).collect();
//! assert_eq!(v.iter().sum::<u64>(), 499_500);
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

mod cache;
pub use cache::CACHED_MOST;

/// Every block mimalloc hands out is aligned to at least this.
const WORD: usize = std::mem::size_of::<usize>();

/// mimalloc as the global allocator.
pub struct Mimalloc;

// SAFETY: every method forwards to the mimalloc function of the same
// contract (`mi_malloc`, `mi_zalloc`, `mi_realloc`, `mi_free`, which return
// word-aligned blocks or null), or to its `_aligned` variant when the
// layout asks for more than a word's alignment, so each returned block
// satisfies the layout, and blocks are freed and resized only by the
// allocator that made them.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if let Some(class) = cache::class_of(layout) {
            // SAFETY: a block of the class's size, word-aligned as every
            // mimalloc block is, fits the layout.
            return unsafe { cache::take(class) };
        }
        // SAFETY: see the impl.
        unsafe { by_alignment(layout, mi::mi_malloc, mi::mi_malloc_aligned) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if let Some(class) = cache::class_of(layout) {
            // SAFETY: as for `alloc`; the block is zeroed within its size.
            return unsafe {
                let block = cache::take(class);
                if !block.is_null() {
                    block.write_bytes(0, layout.size());
                }
                block
            };
        }
        // SAFETY: see the impl.
        unsafe { by_alignment(layout, mi::mi_zalloc, mi::mi_zalloc_aligned) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(class) = cache::class_of(layout) {
            // SAFETY: the block was allocated with this layout, so through
            // `cache::take` of the same class.
            return unsafe { cache::give_back(class, ptr) };
        }
        // SAFETY: the caller passes a block this allocator returned, which
        // mimalloc frees whatever its alignment.
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align(new_size, layout.align());
        let cached = |l: Layout| cache::class_of(l).is_some();
        if cached(layout) || new_layout.clone().is_ok_and(cached) {
            // SAFETY: a new block for the new size (the caller promises a
            // valid size for the alignment), the contents copied within
            // both sizes, and the old block freed with its own layout.
            return unsafe {
                let Ok(new_layout) = new_layout else {
                    return std::ptr::null_mut();
                };
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            };
        }
        // SAFETY: the caller passes a block this allocator returned with
        // `layout`; the new block keeps that alignment.
        unsafe {
            if layout.align() <= WORD {
                mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

/// Hands memory that mimalloc keeps for reuse but no live block occupies
/// back to the operating system, for the calling thread's heap and the
/// segments other threads left behind.
///
/// mimalloc returns freed pages lazily, so after one evaluation that built
/// a large heap and then failed, hundreds of megabytes could stay resident
/// for the rest of a long-running host's life. Costs a walk over the
/// heap's pages: call it after an evaluation, not during one. Harmless when
/// mimalloc is not the global allocator (its heap is then nearly empty).
pub fn release_unused_memory() {
    cache::flush();
    // SAFETY: `mi_collect` takes no pointers and may be called from any
    // thread at any time; forcing it only makes it do more of its work now.
    unsafe { mi::mi_collect(true) }
}

/// mimalloc's `mi_option_purge_delay`, by its place in the `mi_option_e`
/// enumeration of the bundled mimalloc 2 (`mimalloc.h`), which
/// `libmimalloc-sys` does not name.
const MI_OPTION_PURGE_DELAY: mi::mi_option_t = 15;

/// How long freed memory stays committed before mimalloc hands it back
/// to the system, in milliseconds (mimalloc's default is 10).
const PURGE_DELAY_MS: std::ffi::c_long = 1000;

/// Keeps memory that evaluation frees committed for a second before it is
/// handed back to the system, unless `MIMALLOC_PURGE_DELAY` says
/// otherwise: call it first thing in `main`.
///
/// An evaluation frees in bursts (a frame's thunks, a consumed list) and
/// allocates again right after. With mimalloc's default of 10 ms, pages
/// freed in one phase were returned and then faulted in again, each
/// fault a transparent huge page the kernel zeroes: `deepseq` and
/// `fixpoint` spent 0.1-0.3 s of system time on it, and took 4-6 times
/// the page faults. [`release_unused_memory`] still returns everything at
/// once, whatever the delay.
pub fn delay_purging() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` takes no pointers and may be called at
        // any time; the option is an index into mimalloc's option table.
        unsafe { mi::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
    }
}

/// A new block for `layout` from `plain` when a word's alignment is
/// enough, from `aligned` otherwise.
///
/// # Safety
///
/// `plain` and `aligned` are a mimalloc allocation function and its
/// `_aligned` variant.
#[inline(always)]
unsafe fn by_alignment(
    layout: Layout,
    plain: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    // SAFETY: the functions are mimalloc's, as the caller promises, called
    // with the layout's size and a power of two for an alignment.
    unsafe {
        if layout.align() <= WORD {
            plain(layout.size()).cast()
        } else {
            aligned(layout.size(), layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: reading and setting an option takes no pointers.
        unsafe {
            assert_eq!(
                mi::mi_option_get(MI_OPTION_PURGE_DELAY),
                10,
                "mimalloc's default purge delay, at the index used"
            );
            delay_purging();
            assert_eq!(mi::mi_option_get(MI_OPTION_PURGE_DELAY), PURGE_DELAY_MS);
        }
    }

    #[test]
    fn blocks_meet_their_layout_through_every_entry_point() {
        let sizes = [1, 7, 8, 24, 40, 100, 4096, 1 << 20];
        let aligns = [1, 2, 8, 16, 32, 64, 4096];
        for &size in &sizes {
            for &align in &aligns {
                let layout = Layout::from_size_align(size, align).expect("layout");
                // SAFETY: each block is made by this allocator with
                // `layout`, written and read within its size, and freed once.
                unsafe {
                    let p = Mimalloc.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "alloc {size} aligned {align}");
                    p.write_bytes(0xA5, size);
                    let q = Mimalloc.realloc(p, layout, size * 3);
                    assert_eq!(q as usize % align, 0, "realloc {size} aligned {align}");
                    assert!((0..size).all(|i| *q.add(i) == 0xA5), "contents kept");
                    Mimalloc.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());

                    let z = Mimalloc.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed {size} aligned {align}");
                    assert!((0..size).all(|i| *z.add(i) == 0), "zeroed");
                    Mimalloc.dealloc(z, layout);
                }
            }
        }
    }
}
