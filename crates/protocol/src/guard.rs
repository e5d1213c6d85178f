//! A global allocator that keeps hostile array counts from aborting the process.
//!
//! # Why
//! `kafka_protocol` decodes an array by reading its count from the wire and
//! calling `Vec::with_capacity(count)` before reading a single element. A 20-byte
//! frame can announce two billion elements of a 100-byte struct: a 200 GB
//! allocation. The system allocator refuses it, Rust's `handle_alloc_error`
//! aborts, and `catch_unwind` cannot help: one frame would kill the broker and
//! every other connection with it.
//!
//! # How
//! [`GuardedAllocator`] forwards every ordinary allocation to the system
//! allocator. Allocations of [`HUGE_ALLOCATION`] bytes or more, which ferry itself
//! never makes (frames are capped at 100 MiB), are served by an anonymous
//! `mmap` with `MAP_NORESERVE`: the kernel hands out address space without
//! committing memory, the decoder runs out of input after a few elements and
//! returns an error, and the untouched mapping is unmapped when the `Vec` drops.
//! Only pages actually written ever cost memory, and a decoder can only write
//! as many elements as the frame has bytes.
//!
//! The binary installs it with
//! `#[global_allocator] static ALLOC: GuardedAllocator = GuardedAllocator;`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};

/// Allocations at least this large are mapped lazily (see the module docs).
pub const HUGE_ALLOCATION: usize = 1 << 30;

/// The system allocator, with lazily-committed mappings for huge requests.
#[derive(Debug, Default, Clone, Copy)]
pub struct GuardedAllocator;

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 { n as usize } else { 4096 }
}

fn is_huge(layout: &Layout) -> bool {
    layout.size() >= HUGE_ALLOCATION && layout.align() <= page_size()
}

/// Maps `size` bytes of zeroed, uncommitted memory; null on failure.
fn map(size: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping with no address hint; the result is
    // checked against MAP_FAILED.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

// SAFETY: every pointer handed out is either the system allocator's (and goes
// back to it) or a fresh mapping of at least `layout.size()` bytes, page-aligned,
// which `dealloc` unmaps with the same size. Which of the two a pointer is
// follows from its layout alone, which callers must pass back unchanged.
unsafe impl GlobalAlloc for GuardedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_huge(&layout) {
            map(layout.size())
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_huge(&layout) {
            map(layout.size()) // anonymous mappings are zero-filled
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_huge(&layout) {
            // SAFETY: `ptr` came from `map(layout.size())`.
            unsafe {
                libc::munmap(ptr.cast(), layout.size());
            }
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size` with `layout.align()` is valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if !is_huge(&layout) && !is_huge(&new_layout) {
            // SAFETY: forwarded with the caller's guarantees.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: a fresh allocation; the copy covers the smaller of the two
        // sizes, both of which are valid for their pointers; the old block is
        // released with its own layout.
        unsafe {
            let new_ptr = self.alloc(new_layout);
            if !new_ptr.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new_ptr, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new_ptr
        }
    }
}

/// Makes glibc keep and reuse the multi-MiB buffers of fetch responses and
/// mirror appends instead of returning them to the kernel after each one.
///
/// With glibc's dynamic thresholds a freed 10 MiB response buffer may be
/// unmapped or trimmed, and the next one then costs fresh pages that the
/// kernel must zero (measured in BENCHMARKS.md, "Cluster link": a third of
/// the source's CPU while serving a link went to page faults and clearing
/// pages, and its CPU per GB varied threefold with the allocator's history).
/// Buffers up to 32 MiB (glibc's largest mmap threshold) now come from the
/// heap, and up to 1 GiB of free heap is kept before trimming. Allocations
/// of 1 GiB and more still go through [`GuardedAllocator`]'s lazy mapping.
/// A no-op outside glibc.
pub fn tune_for_large_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes malloc parameters; it is called once,
        // at start-up, before other threads exist.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_allocations_are_lazily_mapped_and_released() {
        let a = GuardedAllocator;
        // 256 GiB: more than any machine here has, so only a lazy mapping succeeds.
        let layout = Layout::from_size_align(256 << 30, 8).unwrap();
        // SAFETY: the layout is non-zero; the pointer is checked and released.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            p.write(42);
            assert_eq!(p.read(), 42);
            a.dealloc(p, layout);
        }
    }

    #[test]
    fn small_allocations_go_to_the_system() {
        let a = GuardedAllocator;
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: as above.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            let q = a.realloc(p, layout, 128);
            assert!(!q.is_null());
            a.dealloc(q, Layout::from_size_align(128, 8).unwrap());
        }
    }
}
