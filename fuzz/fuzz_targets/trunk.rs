//! Fuzz target `trunk`: see [`extguard_fuzz::check_trunk`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| extguard_fuzz::check_trunk(data));
