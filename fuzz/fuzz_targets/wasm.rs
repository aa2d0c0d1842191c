//! Fuzz target `wasm`: see [`extguard_fuzz::check_wasm`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| extguard_fuzz::check_wasm(data));
