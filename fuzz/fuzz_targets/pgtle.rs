//! Fuzz target `pgtle`: see [`extguard_fuzz::check_pgtle`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| extguard_fuzz::check_pgtle(data));
