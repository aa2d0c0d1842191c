//! Shared-memory ring buffer of recent records and the cluster-wide
//! sequence counter.
//!
//! Layout: one `Ring` struct in the main shared memory segment, found by
//! name, guarded by one named LWLock tranche. The sequence counter is an
//! atomic inside the struct: taking a number never waits for the lock.
//! A record whose slot has been reused by a newer one is lost from the ring
//! (the seq gap and `overwritten` show it); the log and file keep it.
//!
//! Two partitions: records of privileged sessions (a superuser is the
//! current, session or authenticated user) and records of everyone else.
//! A record only ever replaces one of its own partition, so however many
//! records unprivileged roles cause, they never push a privileged session's
//! record out of the ring. The privileged partition is indexed by
//! `seq % SLOTS`: it always holds every privileged record among the last
//! `SLOTS` sequence numbers.
//!
//! The struct also carries the cluster's audit key (read from, or created
//! in, the data directory at initialisation; see `audit_mac`).

use pgrx::pg_sys;
use std::sync::atomic::{AtomicU64, Ordering};

/// Number of records the privileged partition keeps.
pub const SLOTS: usize = 1024;
/// Number of records the unprivileged partition keeps.
pub const UNPRIVILEGED_SLOTS: usize = 256;
/// Key file in the data directory (mode 0600, 64 hex digits).
pub const KEY_FILE: &str = "extguard_audit.key";
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
    /// Records that replaced an older one in their slot.
    overwritten: AtomicU64,
    /// Records stored in the unprivileged partition.
    unprivileged_pushed: AtomicU64,
    /// HMAC key of the records; `have_key` false if none could be set up.
    key: [u8; crate::audit_mac::KEY_BYTES],
    have_key: bool,
    slots: [Slot; SLOTS],
    unprivileged: [Slot; UNPRIVILEGED_SLOTS],
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
            match load_or_create_key() {
                Ok(key) => {
                    (*ring).key = key;
                    (*ring).have_key = true;
                }
                Err(e) => pgrx::warning!(
                    "extguard: no audit key ({KEY_FILE}): {e}; records are not sealed"
                ),
            }
        }
        RING = ring;
        LOCK = &raw mut (*pg_sys::GetNamedLWLockTranche(NAME.as_ptr())).lock;
        pg_sys::LWLockRelease(init_lock);
        if !found {
            super::isolation::record_at_start();
            super::gate::record_preload_at_start();
        }
    }
}

/// The cluster's audit key: read from `KEY_FILE` in the data directory
/// (the postmaster's working directory), or created there with fresh
/// random bytes (mode 0600, never overwritten).
fn load_or_create_key() -> Result<[u8; crate::audit_mac::KEY_BYTES], String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::read_to_string(KEY_FILE) {
        Ok(text) => return crate::audit_mac::key_from_text(&text),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.to_string()),
        Err(_) => {}
    }
    let mut key = [0u8; crate::audit_mac::KEY_BYTES];
    // SAFETY: writes exactly key.len() bytes into the buffer.
    if !unsafe { pg_sys::pg_strong_random(key.as_mut_ptr().cast(), key.len()) } {
        return Err("no strong random source".into());
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(KEY_FILE)
        .map_err(|e| e.to_string())?;
    f.write_all(crate::audit_mac::key_to_text(&key).as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| e.to_string())?;
    Ok(key)
}

/// The audit key, if shared memory is set up and a key could be had.
pub fn key() -> Option<&'static [u8]> {
    ring().and_then(|r| r.have_key.then_some(&r.key[..]))
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

/// Store one JSON record under its sequence number, in the partition of
/// privileged sessions or in the other one.
pub fn push(seq: u64, json: &str, privileged: bool) {
    let Some(ring) = ring() else { return };
    let bytes = json.as_bytes();
    let len = if bytes.len() > SLOT_BYTES {
        ring.truncated.fetch_add(1, Ordering::Relaxed);
        0 // a cut JSON would not parse: keep an empty marker instead
    } else {
        bytes.len()
    };
    // SAFETY: LOCK is the tranche lock set in shmem_startup; the slot is
    // only written under LW_EXCLUSIVE and read under LW_SHARED.
    unsafe {
        let slot = if privileged {
            &raw mut (*RING).slots[(seq as usize) % SLOTS]
        } else {
            let n = ring.unprivileged_pushed.fetch_add(1, Ordering::Relaxed);
            &raw mut (*RING).unprivileged[(n as usize) % UNPRIVILEGED_SLOTS]
        };
        pg_sys::LWLockAcquire(LOCK, pg_sys::LWLockMode::LW_EXCLUSIVE);
        if (*slot).seq < seq {
            if (*slot).seq != 0 {
                ring.overwritten.fetch_add(1, Ordering::Relaxed);
            }
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
    pub unprivileged_capacity: u64,
    pub overwritten: u64,
    pub truncated: u64,
}

pub fn stats() -> Option<Stats> {
    let ring = ring()?;
    let last_seq = ring.last_seq.load(Ordering::SeqCst);
    Some(Stats {
        last_seq,
        capacity: SLOTS as u64,
        unprivileged_capacity: UNPRIVILEGED_SLOTS as u64,
        overwritten: ring.overwritten.load(Ordering::Relaxed),
        truncated: ring.truncated.load(Ordering::Relaxed),
    })
}

/// Copy out every stored record, oldest first, as (seq, json).
pub fn snapshot() -> Vec<(u64, String)> {
    if ring().is_none() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(SLOTS + UNPRIVILEGED_SLOTS);
    // SAFETY: read under LW_SHARED; lengths were bounded on write.
    unsafe {
        pg_sys::LWLockAcquire(LOCK, pg_sys::LWLockMode::LW_SHARED);
        let privileged = (0..SLOTS).map(|i| &raw const (*RING).slots[i]);
        let others = (0..UNPRIVILEGED_SLOTS).map(|i| &raw const (*RING).unprivileged[i]);
        for slot in privileged.chain(others) {
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
