//! The wasm build's memory allocator: power-of-two size classes, each with its own free list.
//!
//! Why not the standard one: std's dlmalloc is about 6 KB of the wasm, a tenth of the protocol
//! code, and its generality buys nothing here. The package keeps a few kilobytes alive (the
//! session, the provider's metadata and keys) and churns small strings on every call. With size
//! classes both allocating and freeing are a handful of instructions. A block never changes
//! class, so a freed block serves the next request of its class; memory taken from the page is
//! kept for reuse (wasm memory cannot shrink anyway), bounded by the peak of each class.
//!
//! Every block is aligned to its own size (up to a page), so it satisfies any alignment not
//! above its size, whichever allocation it served before. Alignments above a page are refused.

// Each unsafe operation in its own block with the reason it is sound, in unsafe fns too.
#![deny(unsafe_op_in_unsafe_fn)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

/// The smallest block: 16 bytes (room for the free list's link, and the alignment of u128).
const MIN_SHIFT: u32 = 4;
/// Classes from 16 bytes up to 2 GiB.
const CLASSES: usize = 28;
/// Memory comes in pages of 64 KiB.
pub const PAGE: usize = 65536;

/// `grow(pages)` adds `pages` pages of memory and returns the address where they start, or
/// `None` when there is no more.
pub struct SizeClasses {
    grow: fn(usize) -> Option<usize>,
    state: UnsafeCell<State>,
}

struct State {
    /// Head of each class's free list (0: empty); a free block holds the next one's address.
    free: [usize; CLASSES],
    /// The unused end of the memory taken so far: `[next, end)`.
    next: usize,
    end: usize,
}

// SAFETY: `state` is read and written without synchronisation, which is sound only while one
// thread uses the allocator. The wasm32 build is single-threaded (no threads proposal, no shared
// memory), and the global allocator exists only there; the native tests make each allocator
// inside one test and never hand it to another thread.
unsafe impl Sync for SizeClasses {}

/// The class serving `size` bytes aligned to `align`.
fn class(size: usize, align: usize) -> usize {
    let size = size.max(align).max(1 << MIN_SHIFT);
    (usize::BITS - (size - 1).leading_zeros() - MIN_SHIFT) as usize
}

fn block_size(class: usize) -> usize {
    1 << (class as u32 + MIN_SHIFT)
}

impl SizeClasses {
    /// `grow` must hand out memory that nothing else uses: `pages * PAGE` bytes, readable and
    /// writable for as long as the allocator lives, from an address aligned to a page.
    pub const fn new(grow: fn(usize) -> Option<usize>) -> Self {
        SizeClasses {
            grow,
            state: UnsafeCell::new(State {
                free: [0; CLASSES],
                next: 0,
                end: 0,
            }),
        }
    }

    /// A new block of `size` bytes (a power of two) from the unused memory, taking more pages
    /// when it does not fit. `[s.next, s.end)` is memory from `grow` that no block covers.
    fn carve(&self, s: &mut State, size: usize) -> *mut u8 {
        let align = size.min(PAGE);
        let start = match fit(s.next, s.end, size, align) {
            Some(start) => start,
            None => {
                let pages = (size + align).div_ceil(PAGE);
                let Some(region) = (self.grow)(pages) else {
                    return ptr::null_mut();
                };
                // Memory grows at its end, so this normally continues the unused part.
                if region != s.end {
                    s.next = region;
                }
                // Saturating: a region that ends at the very top of the address space loses its
                // last byte rather than wrapping `end` around to 0.
                s.end = region.saturating_add(pages * PAGE);
                match fit(s.next, s.end, size, align) {
                    Some(start) => start,
                    None => return ptr::null_mut(),
                }
            }
        };
        s.next = start + size;
        start as *mut u8
    }
}

/// Where a block of `size` bytes aligned to `align` starts in `[next, end)`, if it fits there.
/// Checked arithmetic: on wasm32 a block near the top of the 4 GiB would otherwise wrap around to
/// low addresses that live blocks use.
fn fit(next: usize, end: usize, size: usize, align: usize) -> Option<usize> {
    let start = next.checked_add(align - 1)? & !(align - 1);
    (start.checked_add(size)? <= end).then_some(start)
}

// SAFETY: `alloc` returns null or a block of at least `layout.size()` bytes aligned to
// `layout.align()` that no live allocation overlaps: blocks are carved from disjoint memory that
// `grow` hands out, or are taken back from a class's free list, which holds only blocks that were
// freed (so their callers no longer use them). The block of a class is `block_size(class)` bytes,
// at least the size and the alignment asked for, and aligned to its size up to a page;
// alignments above a page get null. `dealloc` and `realloc` get the layout the block was
// allocated with (the trait's contract), so they compute the same class.
unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let c = class(layout.size(), layout.align());
        if c >= CLASSES || layout.align() > PAGE {
            return ptr::null_mut();
        }
        // SAFETY: one thread (see `Sync` above), and no other reference to the state is live:
        // neither `alloc` nor `carve` calls back into the allocator.
        let s = unsafe { &mut *self.state.get() };
        let head = s.free[c];
        if head != 0 {
            // SAFETY: `head` is a free block of class `c` (at least 16 bytes, aligned to 16 or
            // more), whose first word `dealloc` set to the next free block's address.
            s.free[c] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        self.carve(s, block_size(c))
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let c = class(layout.size(), layout.align());
        // SAFETY: one thread, and no other reference to the state is live.
        let s = unsafe { &mut *self.state.get() };
        // SAFETY: `block` came from `alloc` with this layout, so it is a block of class `c`:
        // at least 16 bytes, aligned to 16 or more, and its caller is done with it, so its
        // first word may hold the free list's link.
        unsafe { *(block as *mut usize) = s.free[c] };
        s.free[c] = block as usize;
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Growing within the block's class (strings and vectors double) needs no copy.
        if class(new_size, layout.align()) == class(layout.size(), layout.align()) {
            return block;
        }
        // SAFETY: the trait's contract: `new_size` is not zero and, rounded up to the alignment
        // (a power of two, from a valid layout), does not overflow `isize`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a valid layout of non-zero size.
        let moved = unsafe { self.alloc(new_layout) };
        if !moved.is_null() {
            // SAFETY: `block` holds `layout.size()` bytes and `moved` at least `new_size`; they
            // are different live blocks, so they do not overlap.
            unsafe { ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size)) };
            // SAFETY: `block` came from this allocator with `layout`, and is not used again.
            unsafe { self.dealloc(block, layout) };
        }
        moved
    }
}

#[cfg(target_arch = "wasm32")]
fn grow_memory(pages: usize) -> Option<usize> {
    let before = core::arch::wasm32::memory_grow(0, pages);
    (before != usize::MAX).then(|| before * PAGE)
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: SizeClasses = SizeClasses::new(grow_memory);

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A fake memory of 256 pages, aligned to a page as wasm memory is. A static rather than a
    /// leaked vector: Miri reports a leak when the only trace of a live allocation is an address
    /// kept as an integer.
    #[repr(C, align(65536))]
    struct Memory([u8; 256 * PAGE]);
    static mut MEMORY: Memory = Memory([0; 256 * PAGE]);
    /// How many of its pages are handed out.
    static USED: Mutex<usize> = Mutex::new(0);

    fn grow(pages: usize) -> Option<usize> {
        let mut used = USED.lock().unwrap();
        if *used + pages > 256 {
            return None;
        }
        // A raw pointer, never a reference, and a mutable one: the allocator turns these
        // addresses back into pointers that are written through (Miri's Stacked Borrows would
        // flag writes through an address exposed from a shared borrow).
        let base = &raw mut MEMORY as usize;
        let at = base + *used * PAGE;
        *used += pages;
        Some(at)
    }

    #[test]
    fn classes_round_up_to_powers_of_two_and_alignment() {
        assert_eq!(block_size(class(1, 1)), 16);
        assert_eq!(block_size(class(16, 8)), 16);
        assert_eq!(block_size(class(17, 1)), 32);
        assert_eq!(block_size(class(3, 64)), 64);
        assert_eq!(block_size(class(65536, 8)), 65536);
        assert_eq!(block_size(class(65537, 8)), 131072);
    }

    #[test]
    fn blocks_are_aligned_disjoint_reused_and_keep_data_through_realloc() {
        let a = SizeClasses::new(grow);
        unsafe {
            // A deterministic mix of sizes and alignments, with frees in between.
            let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
            let mut seed = 12345u32;
            // Miri interprets every byte access through a pointer made from an address (a
            // wildcard one): a few hundred rounds keep it to a minute or so.
            let rounds = if cfg!(miri) { 300 } else { 4000 };
            for i in 0..rounds {
                seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
                let size = 1 + (seed >> 8) as usize % 3000;
                let align = 1 << ((seed >> 4) % 6);
                if seed.is_multiple_of(3) && !live.is_empty() {
                    let (p, layout, tag) = live.swap_remove((seed as usize / 7) % live.len());
                    assert!((0..layout.size()).all(|k| *p.add(k) == tag), "data kept");
                    a.dealloc(p, layout);
                    continue;
                }
                let layout = Layout::from_size_align(size, align).unwrap();
                let p = a.alloc(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "aligned");
                let tag = i as u8;
                ptr::write_bytes(p, tag, size);
                live.push((p, layout, tag));
            }
            // No two live blocks overlap.
            let mut spans: Vec<(usize, usize)> = live
                .iter()
                .map(|(p, l, _)| (*p as usize, *p as usize + l.size()))
                .collect();
            spans.sort();
            assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0));
            assert!((0..live.len()).all(|j| {
                let (p, l, tag) = live[j];
                (0..l.size()).all(|k| *p.add(k) == tag)
            }));

            // Realloc keeps the bytes, in place within a class, moved across classes.
            let l = Layout::from_size_align(20, 4).unwrap();
            let p = a.alloc(l);
            ptr::copy_nonoverlapping(b"0123456789abcdefghij".as_ptr(), p, 20);
            assert_eq!(
                a.realloc(p, l, 30),
                p,
                "20 and 30 bytes share the 32-byte class"
            );
            let q = a.realloc(p, Layout::from_size_align(30, 4).unwrap(), 5000);
            assert_ne!(q, p);
            assert_eq!(std::slice::from_raw_parts(q, 20), b"0123456789abcdefghij");
            // The freed 32-byte block is the next one of its class.
            assert_eq!(a.alloc(l), p);
        }
    }

    #[test]
    fn out_of_memory_is_a_null_pointer() {
        let a = SizeClasses::new(|_| None);
        unsafe {
            assert!(a.alloc(Layout::from_size_align(10, 1).unwrap()).is_null());
        }
    }

    #[test]
    fn alignments_above_a_page_are_refused() {
        // Blocks are aligned to a page at most, so a larger alignment cannot be promised.
        let a = SizeClasses::new(grow);
        unsafe {
            assert!(a
                .alloc(Layout::from_size_align(16, 2 * PAGE).unwrap())
                .is_null());
            let p = a.alloc(Layout::from_size_align(16, PAGE).unwrap());
            assert!(!p.is_null() && (p as usize).is_multiple_of(PAGE));
        }
    }

    #[test]
    fn a_block_past_the_top_of_the_address_space_is_refused_not_wrapped() {
        // Memory whose last pages end at the very top of the address space (as the end of the
        // 4 GiB of a wasm32 memory does): a block that does not fit there must come from new
        // pages, never from an address that wrapped around to low memory. The pointers are
        // never used, only compared.
        let a = SizeClasses::new(|pages| (pages == 3).then(|| 0usize.wrapping_sub(3 * PAGE)));
        unsafe {
            let first = a.alloc(Layout::from_size_align(2 * PAGE, 8).unwrap());
            assert_eq!(first as usize, 0usize.wrapping_sub(3 * PAGE));
            // 1 GiB does not fit in the page that is left, and `grow` has no more.
            assert!(a
                .alloc(Layout::from_size_align(1 << 30, 8).unwrap())
                .is_null());
        }
    }
}
