//! The global allocator of the `kcfg` binary: mimalloc, asked through its
//! plain entry points when the alignment is one every mimalloc block has.
//!
//! A syntax tree is many small allocations; mimalloc serves them about twice
//! as fast as glibc's malloc (docs/benchmarks.md, "Start-up and allocator").
//! `mimalloc::MiMalloc` calls `mi_malloc_aligned` for every allocation; in
//! mimalloc 3 that only takes the fast path while the free list of the size's
//! page has a block: when it is empty (and the size is not a power of two),
//! it over-allocates from a larger size class and leaves the list empty, so
//! the next allocation of that size does the same (≈ 280 instructions instead
//! of ≈ 20: 16,500 of the runtime bench's 230,000 allocations,
//! docs/benchmarks.md, session 11). `mi_malloc` refills the list (it frees
//! the blocks freed since). Every mimalloc block is aligned to 8 bytes (a
//! page's first block to 16, block sizes are multiples of the word size), so
//! an alignment up to 8 needs nothing more; larger ones go to
//! `mimalloc::MiMalloc`.
//!
//! The `kcfg` binary and the benches and profiling examples use it, so a
//! benchmark measures the allocator `kcfg` runs with:
//!
//! ```text
//! #[global_allocator]
//! static GLOBAL: kcfg_alloc::Mimalloc = kcfg_alloc::Mimalloc;
//! ```
#![no_std]

use core::alloc::{GlobalAlloc, Layout};
use libmimalloc_sys::{mi_malloc, mi_realloc, mi_zalloc};

/// mimalloc through `mi_malloc`/`mi_zalloc`/`mi_realloc` for alignments up
/// to [`MI_BLOCK_ALIGN`], through `mimalloc::MiMalloc` otherwise.
pub struct Mimalloc;

/// The alignment of every mimalloc block.
pub const MI_BLOCK_ALIGN: usize = 8;

// SAFETY: mimalloc's functions return blocks of at least the size asked
// (null when out of memory) aligned to `MI_BLOCK_ALIGN`, or to the layout's
// alignment through `mimalloc::MiMalloc`; `mi_free` (`MiMalloc::dealloc`)
// takes any block either returned, and `mi_realloc` is only given blocks of
// an alignment up to `MI_BLOCK_ALIGN` (the layout is the one they were
// allocated with), which came from `mi_malloc`/`mi_zalloc`/`mi_realloc`.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if l.align() <= MI_BLOCK_ALIGN {
            mi_malloc(l.size()).cast()
        } else {
            mimalloc::MiMalloc.alloc(l)
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if l.align() <= MI_BLOCK_ALIGN {
            mi_zalloc(l.size()).cast()
        } else {
            mimalloc::MiMalloc.alloc_zeroed(l)
        }
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        mimalloc::MiMalloc.dealloc(p, l)
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        if l.align() <= MI_BLOCK_ALIGN {
            mi_realloc(p.cast(), new_size).cast()
        } else {
            mimalloc::MiMalloc.realloc(p, l, new_size)
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Blocks of every small size and alignment come back aligned, zeroed when
    /// asked, keep their bytes through `realloc` and are freed without error.
    #[test]
    fn blocks_are_aligned_zeroed_and_kept_through_realloc() {
        let a = Mimalloc;
        let mut live = Vec::new();
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1..300).step_by(7).chain([4096, 70_000]) {
                let l = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let z = a.alloc_zeroed(l);
                    assert!(!z.is_null());
                    assert_eq!(z as usize % align, 0, "size {size} align {align}");
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    let p = a.alloc(l);
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    for i in 0..size {
                        *p.add(i) = (i % 251) as u8;
                    }
                    let q = a.realloc(p, l, size * 3 + 1);
                    assert_eq!(q as usize % align, 0, "realloc size {size} align {align}");
                    assert!((0..size).all(|i| *q.add(i) == (i % 251) as u8));
                    live.push((z, l));
                    live.push((q, Layout::from_size_align(size * 3 + 1, align).unwrap()));
                }
            }
        }
        for (p, l) in live {
            unsafe { a.dealloc(p, l) };
        }
    }
}
