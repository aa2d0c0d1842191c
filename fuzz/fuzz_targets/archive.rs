//! Fuzz target `archive`: see [`extguard_fuzz::check_archive`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| extguard_fuzz::check_archive(data));
