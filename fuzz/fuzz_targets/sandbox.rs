//! Fuzz target `sandbox`: see [`extguard_fuzz::check_sandbox`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| extguard_fuzz::check_sandbox(data));
