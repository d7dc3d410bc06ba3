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
//! above its size, whichever allocation it served before.

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

// The wasm32 build runs on one thread; the native tests give each allocator to one thread.
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
    /// when it does not fit.
    unsafe fn carve(&self, s: &mut State, size: usize) -> *mut u8 {
        let align = size.min(PAGE);
        let mut start = (s.next + align - 1) & !(align - 1);
        if start + size > s.end {
            let pages = (size + align).div_ceil(PAGE);
            let Some(region) = (self.grow)(pages) else {
                return ptr::null_mut();
            };
            // Memory grows at its end, so this normally continues the unused part.
            if region != s.end {
                s.next = region;
            }
            s.end = region + pages * PAGE;
            start = (s.next + align - 1) & !(align - 1);
        }
        s.next = start + size;
        start as *mut u8
    }
}

unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let c = class(layout.size(), layout.align());
        if c >= CLASSES {
            return ptr::null_mut();
        }
        let s = &mut *self.state.get();
        let head = s.free[c];
        if head != 0 {
            s.free[c] = *(head as *const usize);
            return head as *mut u8;
        }
        self.carve(s, block_size(c))
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let c = class(layout.size(), layout.align());
        let s = &mut *self.state.get();
        *(block as *mut usize) = s.free[c];
        s.free[c] = block as usize;
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Growing within the block's class (strings and vectors double) needs no copy.
        if class(new_size, layout.align()) == class(layout.size(), layout.align()) {
            return block;
        }
        let moved = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
        if !moved.is_null() {
            ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
            self.dealloc(block, layout);
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

    /// A fake memory: 256 pages, handed out from an address aligned to a page.
    static ARENA: Mutex<(usize, usize)> = Mutex::new((0, 0));

    fn grow(pages: usize) -> Option<usize> {
        let mut arena = ARENA.lock().unwrap();
        if arena.0 == 0 {
            let bytes = vec![0u8; 257 * PAGE].leak();
            arena.0 = (bytes.as_ptr() as usize).next_multiple_of(PAGE);
        }
        if arena.1 + pages > 256 {
            return None;
        }
        let at = arena.0 + arena.1 * PAGE;
        arena.1 += pages;
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
            for i in 0..4000u32 {
                seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
                let size = 1 + (seed >> 8) as usize % 3000;
                let align = 1 << ((seed >> 4) % 6);
                if seed % 3 == 0 && !live.is_empty() {
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
}
