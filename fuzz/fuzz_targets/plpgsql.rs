//! Fuzz target `plpgsql`: see [`extguard_fuzz::check_plpgsql`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| extguard_fuzz::check_plpgsql(data));
