//! Guest SDK for extguard's `LANGUAGE wasm` ([ABI version 3]): build a
//! crate of type `cdylib` that depends on this one for
//! `wasm32-unknown-unknown` and export one `extern "C"` function per SQL
//! function, named like it.
//!
//! ```ignore
//! use extguard_guest::{args, result};
//!
//! /// upper(text) RETURNS text
//! #[no_mangle]
//! pub extern "C" fn upper(ptr: i32, len: i32) -> i64 {
//!     let s = unsafe { args::text(ptr, len) };
//!     result::text(s.to_uppercase())
//! }
//! ```
//!
//! The crate declares the ABI version (`extguard_abi_3`), exports the
//! `alloc` / `reset` functions the host calls and installs a bump
//! allocator as the global allocator: everything a call allocates lives
//! until the host's `reset` before the next call that moves data through
//! memory (functions of numbers only: call [`start_call`] first if they
//! allocate). Keep nothing on the heap across calls (the host may start a
//! fresh instance at any time anyway).
//!
//! [ABI version 3]: https://github.com/extguard/extguard/blob/main/sandbox/ABI.md

pub mod args;
#[cfg(target_arch = "wasm32")]
mod heap;
pub mod json;
pub mod raise;
pub mod result;
pub mod spi;
pub mod trigger;

#[cfg(target_arch = "wasm32")]
pub use heap::start_call;
pub use json::Json;

/// The ABI version this crate follows.
pub const ABI_VERSION: u32 = 3;

/// Declares the ABI version to the host (never called).
#[export_name = "extguard_abi_3"]
pub extern "C" fn extguard_abi_3() {}

/// Packs a pointer and a length the way results travel.
pub fn pack(ptr: *const u8, len: usize) -> i64 {
    (((ptr as usize as u64) << 32) | (len as u32 as u64)) as i64
}

/// Splits a packed value into (pointer, length).
pub fn unpack(packed: i64) -> (u32, u32) {
    ((packed as u64 >> 32) as u32, packed as u64 as u32)
}
