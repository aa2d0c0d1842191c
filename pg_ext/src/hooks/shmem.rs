//! Shared-memory ring buffer of recent records and the cluster-wide
//! sequence counter.
//!
//! Layout: one `Ring` struct in the main shared memory segment, found by
//! name, guarded by one named LWLock tranche. The sequence counter is an
//! atomic inside the struct: taking a number never waits for the lock.
//! A record whose slot has been reused by a newer one is lost from the ring
//! (the seq gap and `overwritten` show it); the log and file keep it.

use pgrx::pg_sys;
use std::sync::atomic::{AtomicU64, Ordering};

/// Number of records the ring keeps.
pub const SLOTS: usize = 1024;
/// Bytes of JSON one slot holds (records are bounded to fit).
pub const SLOT_BYTES: usize = 2040;

const NAME: &std::ffi::CStr = c"extguard ring";

#[repr(C)]
struct Slot {
    seq: u64,
    len: u32,
    data: [u8; SLOT_BYTES],
}

#[repr(C)]
struct Ring {
    /// Last sequence number handed out (0 = none yet).
    last_seq: AtomicU64,
    /// Records that did not fit in their slot and were cut.
    truncated: AtomicU64,
    /// When this shared memory (and so the seq counter) was initialised:
    /// changes on a crash-restart, which the postmaster start time does not.
    epoch: i64,
    slots: [Slot; SLOTS],
}

static mut RING: *mut Ring = std::ptr::null_mut();
static mut LOCK: *mut pg_sys::LWLock = std::ptr::null_mut();
static mut PREV_SHMEM_REQUEST: pg_sys::shmem_request_hook_type = None;
static mut PREV_SHMEM_STARTUP: pg_sys::shmem_startup_hook_type = None;

/// Install the shmem request/startup hooks. Call from `_PG_init` while
/// `shared_preload_libraries` is being processed.
pub fn install() {
    // SAFETY: _PG_init runs single-threaded in the postmaster before any
    // backend exists; we save and replace the hook statics exactly once.
    unsafe {
        PREV_SHMEM_REQUEST = pg_sys::shmem_request_hook;
        pg_sys::shmem_request_hook = Some(shmem_request);
        PREV_SHMEM_STARTUP = pg_sys::shmem_startup_hook;
        pg_sys::shmem_startup_hook = Some(shmem_startup);
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn shmem_request() {
    // SAFETY: called by the postmaster in shmem_request phase; previous hook
    // is a valid C function pointer or None; calls are guarded.
    unsafe {
        if let Some(prev) = PREV_SHMEM_REQUEST {
            pg_sys::ffi::pg_guard_ffi_boundary(|| prev());
        }
        pg_sys::RequestAddinShmemSpace(std::mem::size_of::<Ring>());
        pg_sys::RequestNamedLWLockTranche(NAME.as_ptr(), 1);
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn shmem_startup() {
    // SAFETY: standard add-in initialisation under AddinShmemInitLock; the
    // all-zero bit pattern is a valid empty Ring (integers and atomics).
    unsafe {
        if let Some(prev) = PREV_SHMEM_STARTUP {
            pg_sys::ffi::pg_guard_ffi_boundary(|| prev());
        }
        let init_lock = &raw mut (*pg_sys::MainLWLockArray.add(21)).lock; // AddinShmemInitLock
        pg_sys::LWLockAcquire(init_lock, pg_sys::LWLockMode::LW_EXCLUSIVE);
        let mut found = false;
        let ring = pg_sys::ShmemInitStruct(NAME.as_ptr(), std::mem::size_of::<Ring>(), &mut found)
            .cast::<Ring>();
        if !found {
            std::ptr::write_bytes(ring.cast::<u8>(), 0, std::mem::size_of::<Ring>());
            (*ring).epoch = pg_sys::GetCurrentTimestamp();
        }
        RING = ring;
        LOCK = &raw mut (*pg_sys::GetNamedLWLockTranche(NAME.as_ptr())).lock;
        pg_sys::LWLockRelease(init_lock);
        if !found {
            super::isolation::record_at_start();
        }
    }
}

fn ring() -> Option<&'static Ring> {
    // SAFETY: RING is set once in shmem_startup (inherited by fork) and
    // points to shared memory that lives as long as the postmaster.
    unsafe { RING.as_ref() }
}

/// Whether the ring exists (extension was preloaded).
pub fn available() -> bool {
    ring().is_some()
}

/// When the sequence counter started (shared memory initialisation).
pub fn epoch() -> Option<i64> {
    ring().map(|r| r.epoch)
}

/// Take the next cluster-wide sequence number (0 if no shared memory).
pub fn next_seq() -> u64 {
    ring().map_or(0, |r| r.last_seq.fetch_add(1, Ordering::SeqCst) + 1)
}

/// Store one JSON record under its sequence number.
pub fn push(seq: u64, json: &str) {
    let Some(ring) = ring() else { return };
    let bytes = json.as_bytes();
    let len = if bytes.len() > SLOT_BYTES {
        ring.truncated.fetch_add(1, Ordering::Relaxed);
        0 // a cut JSON would not parse: keep an empty marker instead
    } else {
        bytes.len()
    };
    let idx = (seq as usize) % SLOTS;
    // SAFETY: LOCK is the tranche lock set in shmem_startup; the slot is
    // only written under LW_EXCLUSIVE and read under LW_SHARED.
    unsafe {
        pg_sys::LWLockAcquire(LOCK, pg_sys::LWLockMode::LW_EXCLUSIVE);
        let slot = &raw mut (*RING).slots[idx];
        if (*slot).seq < seq {
            (*slot).seq = seq;
            (*slot).len = len as u32;
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                (&raw mut (*slot).data).cast::<u8>(),
                len,
            );
        }
        pg_sys::LWLockRelease(LOCK);
    }
}

/// Ring counters for `extguard.audit_stats()`.
pub struct Stats {
    pub last_seq: u64,
    pub capacity: u64,
    pub overwritten: u64,
    pub truncated: u64,
}

pub fn stats() -> Option<Stats> {
    let ring = ring()?;
    let last_seq = ring.last_seq.load(Ordering::SeqCst);
    Some(Stats {
        last_seq,
        capacity: SLOTS as u64,
        overwritten: last_seq.saturating_sub(SLOTS as u64),
        truncated: ring.truncated.load(Ordering::Relaxed),
    })
}

/// Copy out every stored record, oldest first, as (seq, json).
pub fn snapshot() -> Vec<(u64, String)> {
    if ring().is_none() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(SLOTS);
    // SAFETY: read under LW_SHARED; lengths were bounded on write.
    unsafe {
        pg_sys::LWLockAcquire(LOCK, pg_sys::LWLockMode::LW_SHARED);
        for i in 0..SLOTS {
            let slot = &raw const (*RING).slots[i];
            let seq = (*slot).seq;
            if seq == 0 {
                continue;
            }
            let len = ((*slot).len as usize).min(SLOT_BYTES);
            let data = std::slice::from_raw_parts((&raw const (*slot).data).cast::<u8>(), len);
            out.push((seq, String::from_utf8_lossy(data).into_owned()));
        }
        pg_sys::LWLockRelease(LOCK);
    }
    out.sort_by_key(|(s, _)| *s);
    out
}
