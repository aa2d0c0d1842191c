//! The checks behind the fuzz targets. They live with the tests of the
//! crates they exercise (`analyzer/tests/fuzz_support/`,
//! `sandbox/tests/fuzz_support/`) so that every crash saved under
//! `corpus/fuzz-regressions/` is replayed by `cargo test` with the same code.

#[path = "../../analyzer/tests/fuzz_support/mod.rs"]
mod support;

#[path = "../../sandbox/tests/fuzz_support/mod.rs"]
mod sandbox_support;

pub use sandbox_support::check_sandbox;
pub use support::*;
