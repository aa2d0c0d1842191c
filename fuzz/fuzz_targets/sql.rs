//! Fuzz target `sql`: see [`extguard_fuzz::check_sql`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| extguard_fuzz::check_sql(data));
