//! The checks behind the fuzz targets. They live with the analyzer's tests
//! (`analyzer/tests/fuzz_support/`) so that every crash saved under
//! `corpus/fuzz-regressions/` is replayed by `cargo test` with the same code.

#[path = "../../analyzer/tests/fuzz_support/mod.rs"]
mod support;

pub use support::*;
