//! Fuzz target `image`: bytes as a container image tar (docker save, OCI
//! layout) into the unpacker, with the checks of
//! [`extguard_fuzz::check_archive_of`].
#![no_main]

use extguard_analyzer::driver::archive::ArchiveKind;

libfuzzer_sys::fuzz_target!(|data: &[u8]| extguard_fuzz::check_archive_of(
    ArchiveKind::Tar,
    "tar",
    data
));
