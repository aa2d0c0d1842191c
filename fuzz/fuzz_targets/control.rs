//! Fuzz target `control`: see [`extguard_fuzz::check_control`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| extguard_fuzz::check_control(data));
