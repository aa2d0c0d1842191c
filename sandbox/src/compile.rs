//! Compiling modules: on a helper thread the caller can walk away from, and
//! through an on-disk cache of compiled code shared by every process of the
//! same user (a PostgreSQL server's backends), so a module is compiled once
//! per server rather than once per backend.
//!
//! The cache holds files `<module sha256>-<engine key>.cwasm`: a magic, the
//! SHA-256 of the payload and wasmtime's serialised module. The engine key
//! hashes wasmtime's own compatibility hash (version, compiler settings,
//! proposals). A file is only read from a directory owned by this process's
//! user and writable by no one else, only if it is a regular file of that
//! user, and only after its digest matches; wasmtime then checks the
//! artifact's version and settings again while deserialising.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::SandboxError;

/// How often a waiting caller checks its interrupt flag.
const POLL: Duration = Duration::from_millis(5);
/// First bytes of a cache file.
const MAGIC: &[u8; 8] = b"EGWASM01";
/// Largest cache file read back.
const MAX_CACHE_FILE: u64 = 512 << 20;

pub(crate) struct Compiler {
    /// Where compiled code is shared, or why it is not.
    disk: Result<PathBuf, String>,
    engine_key: String,
    /// A compile the last caller gave up on, perhaps still running.
    detached: Mutex<Option<Detached>>,
}

impl Compiler {
    pub(crate) fn new(engine: &wasmtime::Engine, dir: Option<PathBuf>) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = format!("{:016x}", hasher.finish());
        let disk = match dir {
            None => Err("no cache directory configured".to_string()),
            Some(dir) => Ok(dir),
        };
        Compiler {
            disk,
            engine_key,
            detached: Mutex::new(None),
        }
    }

    /// The cache directory if it exists (it is created on the first write)
    /// and can be trusted, else why not.
    pub(crate) fn disk_status(&self) -> Result<PathBuf, String> {
        let dir = self.disk.clone()?;
        trusted_dir(&dir)?;
        Ok(dir)
    }

    fn file_for(&self, hash: &[u8; 32]) -> Option<PathBuf> {
        let dir = self.disk.as_ref().ok()?;
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        Some(dir.join(format!("{hex}-{}.cwasm", self.engine_key)))
    }

    /// Compiled code for `binary`: from the disk cache if there, else
    /// compiled on a helper thread (and then written to the disk cache).
    ///
    /// Gives up with [`SandboxError::Interrupted`] or
    /// [`SandboxError::CompileTimeLimitExceeded`] while the thread goes on;
    /// the next call waits for that thread first and, when it compiled the
    /// same module, takes its result, so retrying after a spurious
    /// interrupt costs no second compile.
    pub(crate) fn compile(
        &self,
        engine: &wasmtime::Engine,
        binary: Vec<u8>,
        hash: &[u8; 32],
        limit: Option<Duration>,
        interrupted: &dyn Fn() -> bool,
    ) -> Result<wasmtime::Module, SandboxError> {
        let file = self.file_for(hash);
        if let Some(module) = file.as_deref().and_then(|f| read_cached(engine, f)) {
            return Ok(module);
        }
        let deadline = limit.map(|l| Instant::now() + l);
        let give_up = || -> Option<SandboxError> {
            if interrupted() {
                return Some(SandboxError::Interrupted);
            }
            match (deadline, limit) {
                (Some(d), Some(limit)) if Instant::now() >= d => {
                    Some(SandboxError::CompileTimeLimitExceeded { limit })
                }
                _ => None,
            }
        };
        let mut detached = self
            .detached
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut reused = None;
        if let Some(previous) = detached.take() {
            if let Err(e) = wait(&previous.handle, &give_up) {
                *detached = Some(previous);
                return Err(e);
            }
            if previous.hash == *hash {
                reused = previous.handle.join().ok();
            } else {
                let _ = previous.handle.join();
            }
        }
        let compiled = match reused {
            Some(result) => result,
            None => {
                let thread_engine = engine.clone();
                let handle =
                    crate::ticker::spawn_without_signals("extguard-wasm-compile", move || {
                        wasmtime::Module::from_binary(&thread_engine, &binary)
                    })
                    .map_err(|e| {
                        SandboxError::Engine(format!("cannot start the compile thread: {e}"))
                    })?;
                if let Err(e) = wait(&handle, &give_up) {
                    *detached = Some(Detached {
                        hash: *hash,
                        handle,
                    });
                    return Err(e);
                }
                handle
                    .join()
                    .map_err(|_| SandboxError::Engine("the compile thread panicked".into()))?
            }
        };
        drop(detached);
        let module = compiled.map_err(|e| SandboxError::Malformed(format!("{e:#}")))?;
        if let Some(file) = file {
            // Best effort: a server that cannot write its cache still works.
            let _ = write_cached(&module, &file);
        }
        Ok(module)
    }
}

/// A compile the caller stopped waiting for.
struct Detached {
    hash: [u8; 32],
    handle: JoinHandle<wasmtime::Result<wasmtime::Module>>,
}

/// Waits for `handle` to finish, polling `give_up` every [`POLL`].
fn wait<T>(
    handle: &JoinHandle<T>,
    give_up: &dyn Fn() -> Option<SandboxError>,
) -> Result<(), SandboxError> {
    while !handle.is_finished() {
        if let Some(e) = give_up() {
            return Err(e);
        }
        std::thread::sleep(POLL);
    }
    Ok(())
}

/// The directory exists, is a real directory of this process's user, and
/// no one else may write to it.
fn trusted_dir(dir: &Path) -> Result<(), String> {
    let meta = fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if !meta.file_type().is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    if meta.uid() != me {
        return Err(format!("{} belongs to another user", dir.display()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!("{} is writable by others", dir.display()));
    }
    Ok(())
}

fn read_cached(engine: &wasmtime::Engine, file: &Path) -> Option<wasmtime::Module> {
    trusted_dir(file.parent()?).ok()?;
    let meta = fs::symlink_metadata(file).ok()?;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if !meta.file_type().is_file() || meta.uid() != me || meta.len() > MAX_CACHE_FILE {
        return None;
    }
    let bytes = fs::read(file).ok()?;
    let header = MAGIC.len() + 32;
    if bytes.len() < header || &bytes[..MAGIC.len()] != MAGIC {
        return None;
    }
    let payload = &bytes[header..];
    let digest: [u8; 32] = Sha256::digest(payload).into();
    if digest[..] != bytes[MAGIC.len()..header] {
        return None;
    }
    // SAFETY: the payload is what `wasmtime::Module::serialize` wrote (its
    // digest matches and only this user can write the directory), which is
    // what `deserialize` requires; wasmtime also rejects artifacts of
    // another version or configuration.
    unsafe { wasmtime::Module::deserialize(engine, payload) }.ok()
}

fn write_cached(module: &wasmtime::Module, file: &Path) -> Result<(), String> {
    let dir = file.parent().ok_or("no parent")?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| e.to_string())?;
    trusted_dir(dir)?;
    let payload = module.serialize().map_err(|e| e.to_string())?;
    let digest: [u8; 32] = Sha256::digest(&payload).into();
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    let mut out = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| e.to_string())?;
    let written = out
        .write_all(MAGIC)
        .and_then(|_| out.write_all(&digest))
        .and_then(|_| out.write_all(&payload));
    drop(out);
    match written.and_then(|_| fs::rename(&tmp, file)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e.to_string())
        }
    }
}
