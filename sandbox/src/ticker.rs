//! The epoch ticker: a thread that advances the engine's epoch every tick
//! while wasm runs, so epoch checks in compiled code call our deadline
//! callback (time slice, caller's interrupt check).
//!
//! The thread is started lazily by the first call, never when the sandbox is
//! created, because a PostgreSQL postmaster must not own threads that forked
//! backends would silently lack. It parks itself after about a second without
//! calls, so idle backends cost nothing, and it blocks every signal so that
//! PostgreSQL's signal handlers always run on the backend's main thread.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, Thread};
use std::time::Duration;

use crate::error::SandboxError;

/// Ticks without any call before the thread parks.
const IDLE_TICKS_BEFORE_PARK: u32 = 100;

#[derive(Default)]
struct State {
    active: AtomicUsize,
    parked: AtomicBool,
    shutdown: AtomicBool,
}

pub(crate) struct Ticker {
    engine: wasmtime::Engine,
    tick: Duration,
    state: Arc<State>,
    thread: OnceLock<Result<Thread, String>>,
}

/// Marks one call as running while it lives.
pub(crate) struct Running<'a> {
    ticker: &'a Ticker,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.ticker.state.active.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Ticker {
    pub(crate) fn new(engine: wasmtime::Engine, tick: Duration) -> Self {
        Ticker {
            engine,
            tick,
            state: Arc::default(),
            thread: OnceLock::new(),
        }
    }

    /// True once the thread has been started.
    pub(crate) fn started(&self) -> bool {
        self.thread.get().is_some()
    }

    /// Registers a running call, starting or waking the thread as needed.
    pub(crate) fn enter(&self) -> Result<Running<'_>, SandboxError> {
        let thread = self
            .thread
            .get_or_init(|| spawn(self.engine.clone(), self.tick, self.state.clone()))
            .as_ref()
            .map_err(|e| SandboxError::Engine(format!("cannot start epoch ticker: {e}")))?;
        self.state.active.fetch_add(1, Ordering::SeqCst);
        if self.state.parked.load(Ordering::SeqCst) {
            thread.unpark();
        }
        Ok(Running { ticker: self })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.state.shutdown.store(true, Ordering::SeqCst);
        if let Some(Ok(thread)) = self.thread.get() {
            thread.unpark();
        }
    }
}

fn spawn(engine: wasmtime::Engine, tick: Duration, state: Arc<State>) -> Result<Thread, String> {
    let run = move || {
        let mut idle = 0u32;
        while !state.shutdown.load(Ordering::SeqCst) {
            if state.active.load(Ordering::SeqCst) == 0 {
                idle += 1;
                if idle > IDLE_TICKS_BEFORE_PARK {
                    // Announce the park, then re-check: a caller increments
                    // `active` before reading `parked`, so one of us sees
                    // the other's write and no wake-up is lost.
                    state.parked.store(true, Ordering::SeqCst);
                    if state.active.load(Ordering::SeqCst) == 0
                        && !state.shutdown.load(Ordering::SeqCst)
                    {
                        thread::park();
                    }
                    state.parked.store(false, Ordering::SeqCst);
                    idle = 0;
                    continue;
                }
            } else {
                idle = 0;
            }
            thread::sleep(tick);
            engine.increment_epoch();
        }
    };
    let builder = thread::Builder::new()
        .name("extguard-wasm-epoch".into())
        .stack_size(64 * 1024);
    spawn_blocked(builder, run)
        .map(|h| h.thread().clone())
        .map_err(|e| e.to_string())
}

/// Starts a helper thread (the compile thread) that no signal is ever
/// delivered to, so PostgreSQL's handlers keep running on the backend's
/// main thread.
pub(crate) fn spawn_without_signals<T: Send + 'static>(
    name: &str,
    run: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<thread::JoinHandle<T>> {
    spawn_blocked(thread::Builder::new().name(name.into()), run)
}

fn spawn_blocked<T: Send + 'static>(
    builder: thread::Builder,
    run: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<thread::JoinHandle<T>> {
    // The new thread inherits the signal mask of its creator: block every
    // signal around the spawn so none is ever delivered to it.
    let old = block_all_signals();
    let spawned = builder.spawn(run);
    restore_signals(&old);
    spawned
}

fn block_all_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigfillset/pthread_sigmask only write
    // to the sets we own.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        old
    }
}

fn restore_signals(old: &libc::sigset_t) {
    // SAFETY: restores the mask saved by block_all_signals.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, old, std::ptr::null_mut());
    }
}
