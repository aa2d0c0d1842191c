//! The bump allocator: the global allocator, and the `alloc` / `reset`
//! exports the host uses to place arguments (ABI.md, "text ... through
//! linear memory").

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

extern "C" {
    /// The first free byte after the module's data and stack (wasm-ld).
    static __heap_base: u8;
}

/// Next free address (0 until first use).
static TOP: AtomicUsize = AtomicUsize::new(0);

fn heap_base() -> usize {
    // Only the address of the linker-defined symbol is taken.
    std::ptr::addr_of!(__heap_base) as usize
}

/// `size` bytes aligned to `align`, growing memory as needed; null when
/// memory cannot grow (the host's limit stops the call first).
fn bump(size: usize, align: usize) -> *mut u8 {
    let top = match TOP.load(Ordering::Relaxed) {
        0 => heap_base(),
        t => t,
    };
    let start = (top + align - 1) & !(align - 1);
    let Some(end) = start.checked_add(size) else {
        return std::ptr::null_mut();
    };
    let have = core::arch::wasm32::memory_size(0) * 65536;
    if end > have {
        let pages = (end - have).div_ceil(65536);
        if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
            return std::ptr::null_mut();
        }
    }
    TOP.store(end, Ordering::Relaxed);
    start as *mut u8
}

struct Bump;

// SAFETY: single-threaded wasm; every block is fresh, never handed out
// twice before `reset`, and aligned as asked.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(layout.size(), layout.align())
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static GLOBAL: Bump = Bump;

/// Called by the host to place an argument of `len` bytes (8-byte aligned).
#[export_name = "alloc"]
pub extern "C" fn extguard_alloc(len: i32) -> i32 {
    let p = bump(len as u32 as usize, 8);
    if p.is_null() {
        core::arch::wasm32::unreachable();
    }
    p as usize as i32
}

/// Called by the host before each call that moves data through memory:
/// frees everything the previous call allocated.
#[export_name = "reset"]
pub extern "C" fn extguard_reset() {
    TOP.store(heap_base(), Ordering::Relaxed);
}

/// Frees what earlier calls allocated. The host does this itself before
/// calls with text-like, array or set arguments or results; a function of
/// numbers only that allocates (an SPI query returning a count) calls it
/// first thing, before anything is allocated.
pub fn start_call() {
    extguard_reset();
}
