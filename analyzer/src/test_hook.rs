//! A test hook: make the analyzer panic on purpose, to test that a panic
//! is isolated.
//!
//! When the environment variable `EXTGUARD_TEST_PANIC_ON` is set to a
//! non-empty string, analysing a file whose path contains it panics at the
//! start of [`crate::analysis::analyze_file`] (and unpacking an archive
//! whose path contains it panics in [`crate::driver::archive::unpack`]). The
//! CLI tests use it to check that such a panic becomes an EG003 finding for
//! that file, that the rest of the run completes and that the exit status is
//! 2. It is not meant for anything else; unset, it costs one look-up of the
//! variable per process.

use std::sync::OnceLock;

/// The environment variable read by [`panic_if_requested`].
pub const PANIC_ON: &str = "EXTGUARD_TEST_PANIC_ON";

/// Is [`PANIC_ON`] set to a non-empty substring of `path`?
pub fn requested(path: &str) -> bool {
    static NEEDLE: OnceLock<Option<String>> = OnceLock::new();
    let needle = NEEDLE.get_or_init(|| std::env::var(PANIC_ON).ok().filter(|s| !s.is_empty()));
    needle.as_ref().is_some_and(|n| path.contains(n.as_str()))
}

/// Panic if [`requested`] for `path`.
pub fn panic_if_requested(path: &str) {
    if requested(path) {
        panic!("{PANIC_ON} test hook: deliberate panic for '{path}'");
    }
}
