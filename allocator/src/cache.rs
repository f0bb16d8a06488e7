//! Per-thread lists of freed small blocks, one per size class, in front of
//! mimalloc.
//!
//! A block of class `c` is always a mimalloc block of exactly
//! `(c + 1) * CLASS_STEP` bytes, whether it comes from a list or from
//! `mi_malloc`, so any request of the class can take any block on its
//! list, and a block can go back to mimalloc at any time (when its list is
//! full, when the lists are flushed, when the thread ends). A free block
//! holds the address of the next one in its first word.

use std::cell::Cell;
use std::ffi::c_void;
use std::ptr;

use libmimalloc_sys as mi;

/// The size classes are multiples of this (mimalloc has a class for each
/// of them, so a block wastes nothing beyond the rounding here).
const CLASS_STEP: usize = 16;

/// The largest request served from the lists: thunks, closures, small
/// sets and lists, strings of a few words.
pub const CACHED_MOST: usize = 128;

const CLASSES: usize = CACHED_MOST / CLASS_STEP;

/// How many freed blocks a list keeps; more go back to mimalloc. Bounds
/// what a thread holds back to about 2.4 MB. Long enough that a frame
/// releasing a few thousand thunks at once mostly refills the lists (512
/// left `lists`, `thunk_chain` and `deep_recursion` 0.5 % more
/// instructions than 4096).
const LIST_MOST: u32 = 4096;

/// One size class's list.
struct List {
    head: Cell<*mut u8>,
    len: Cell<u32>,
}

struct Lists([List; CLASSES]);

impl Drop for Lists {
    fn drop(&mut self) {
        for list in &self.0 {
            release_list(list);
        }
    }
}

thread_local! {
    static LISTS: Lists = const {
        Lists([const { List { head: Cell::new(ptr::null_mut()), len: Cell::new(0) } }; CLASSES])
    };
}

/// The class of a layout the lists serve: at most [`CACHED_MOST`] bytes
/// (and not zero), aligned to a word at most (every mimalloc block is).
#[inline(always)]
pub(crate) fn class_of(layout: std::alloc::Layout) -> Option<usize> {
    let size = layout.size();
    (size.wrapping_sub(1) < CACHED_MOST && layout.align() <= std::mem::size_of::<usize>())
        .then(|| (size - 1) / CLASS_STEP)
}

/// The size of a block of `class`.
#[inline(always)]
fn block_size(class: usize) -> usize {
    (class + 1) * CLASS_STEP
}

/// A block of `class`: the last one freed, or a new one from mimalloc
/// (null when memory is exhausted).
///
/// # Safety
///
/// `class` is below `CLASSES`.
#[inline(always)]
pub(crate) unsafe fn take(class: usize) -> *mut u8 {
    let taken = LISTS.try_with(|lists| {
        // SAFETY: the caller promises the class is in range.
        let list = unsafe { lists.0.get_unchecked(class) };
        let head = list.head.get();
        if head.is_null() {
            return head;
        }
        // SAFETY: a block on the list is a free block of at least a word
        // whose first word holds the next block's address.
        list.head.set(unsafe { head.cast::<*mut u8>().read() });
        list.len.set(list.len.get() - 1);
        head
    });
    match taken {
        Ok(block) if !block.is_null() => block,
        // SAFETY: mimalloc's malloc takes any size.
        _ => unsafe { mi::mi_malloc(block_size(class)).cast() },
    }
}

/// Puts a block of `class` on its list, or back to mimalloc when the list
/// is full or the thread's lists are gone.
///
/// # Safety
///
/// `block` came from [`take`] of `class` and is not used again.
#[inline(always)]
pub(crate) unsafe fn give_back(class: usize, block: *mut u8) {
    let kept = LISTS.try_with(|lists| {
        // SAFETY: the caller promises the class is in range.
        let list = unsafe { lists.0.get_unchecked(class) };
        let len = list.len.get();
        if len >= LIST_MOST {
            return false;
        }
        // SAFETY: the block is free and at least a word long.
        unsafe { block.cast::<*mut u8>().write(list.head.get()) };
        list.head.set(block);
        list.len.set(len + 1);
        true
    });
    if kept != Ok(true) {
        // SAFETY: every block of a class is a mimalloc block.
        unsafe { mi::mi_free(block.cast::<c_void>()) }
    }
}

/// Hands the calling thread's listed blocks back to mimalloc.
pub(crate) fn flush() {
    let _ = LISTS.try_with(|lists| {
        for list in &lists.0 {
            release_list(list);
        }
    });
}

/// Empties `list`, freeing its blocks to mimalloc.
fn release_list(list: &List) {
    let mut block = list.head.replace(ptr::null_mut());
    list.len.set(0);
    while !block.is_null() {
        // SAFETY: a listed block holds the next one's address, and is a
        // mimalloc block.
        unsafe {
            let next = block.cast::<*mut u8>().read();
            mi::mi_free(block.cast::<c_void>());
            block = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::{GlobalAlloc, Layout};

    use crate::Mimalloc;

    #[test]
    fn a_freed_block_is_taken_again_by_a_request_of_its_class() {
        let small = Layout::from_size_align(40, 8).unwrap();
        let same_class = Layout::from_size_align(33, 1).unwrap();
        // SAFETY: blocks made by the allocator with their layouts, written
        // within their sizes and freed once, with the layout they were made
        // with.
        unsafe {
            let a = Mimalloc.alloc(small);
            a.write_bytes(1, small.size());
            Mimalloc.dealloc(a, small);
            let b = Mimalloc.alloc(same_class);
            assert_eq!(a, b, "the list gives back the block just freed");
            b.write_bytes(2, same_class.size());
            Mimalloc.dealloc(b, same_class);
            let z = Mimalloc.alloc_zeroed(small);
            assert!((0..small.size()).all(|i| *z.add(i) == 0), "zeroed");
            Mimalloc.dealloc(z, small);
        }
    }

    #[test]
    fn lists_stay_short_and_blocks_freed_on_another_thread_are_kept_there() {
        let layout = Layout::from_size_align(128, 8).unwrap();
        // SAFETY: as above; a block may be freed on any thread.
        let blocks: Vec<usize> = (0..2 * LIST_MOST as usize)
            .map(|_| unsafe { Mimalloc.alloc(layout) } as usize)
            .collect();
        std::thread::spawn(move || {
            for &b in &blocks {
                // SAFETY: each block is freed once, with its layout.
                unsafe { Mimalloc.dealloc(b as *mut u8, layout) };
            }
            let listed = LISTS.with(|lists| lists.0[class_of(layout).unwrap()].len.get());
            assert_eq!(listed, LIST_MOST, "the rest went back to mimalloc");
            flush();
            let listed = LISTS.with(|lists| lists.0[class_of(layout).unwrap()].len.get());
            assert_eq!(listed, 0);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn classes_cover_the_small_word_aligned_layouts_only() {
        let class = |size, align| class_of(Layout::from_size_align(size, align).unwrap());
        assert_eq!(class(0, 1), None);
        assert_eq!(class(1, 1), Some(0));
        assert_eq!(class(16, 8), Some(0));
        assert_eq!(class(17, 8), Some(1));
        assert_eq!(class(CACHED_MOST, 8), Some(CLASSES - 1));
        assert_eq!(class(CACHED_MOST + 1, 8), None);
        assert_eq!(class(32, 16), None);
    }
}
