//! The error of everything that sets up a stack: a task's root segment, a `run`
//! root, a large one-off stack, the overflow guard.

use std::fmt;

/// Why a stack (or the overflow guard) could not be set up.
///
/// Running out of the *budget* while growing is a different error,
/// [`StackExhausted`](crate::StackExhausted): it is what deep recursion meets, and
/// [`grow`](crate::grow) reports every failure to continue a chain that way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StackError {
    /// Every segment slot of the process's region is in use.
    RegionExhausted {
        /// Number of slots the region has.
        slots: usize,
    },
    /// The kernel refused a system call: most often `mmap` or `mprotect` for lack of
    /// address space (`RLIMIT_AS`) or of mappings (`vm.max_map_count`).
    System {
        /// The system call that failed.
        call: &'static str,
        /// Its `errno`.
        errno: i32,
    },
    /// The system page size does not divide the segment geometry (pages larger than
    /// the 64 KiB guard area).
    PageSize {
        /// The page size, in bytes.
        page: usize,
    },
}

impl StackError {
    /// A failed system call whose error rustix returned.
    pub(crate) fn system(call: &'static str, errno: rustix::io::Errno) -> StackError {
        StackError::System {
            call,
            errno: errno.raw_os_error(),
        }
    }

    /// A failed libc call, whose error is in `errno` now.
    pub(crate) fn last_os_error(call: &'static str) -> StackError {
        StackError::System {
            call,
            errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        }
    }
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StackError::RegionExhausted { slots } => write!(
                f,
                "no fiber stack segment left: all {slots} segments of the region are in use"
            ),
            StackError::System { call, errno } => write!(
                f,
                "cannot set up a fiber stack: {call} failed: {}",
                std::io::Error::from_raw_os_error(errno)
            ),
            StackError::PageSize { page } => write!(
                f,
                "cannot set up a fiber stack: the page size of {page} bytes does not divide \
                 the segment geometry"
            ),
        }
    }
}

impl std::error::Error for StackError {}
