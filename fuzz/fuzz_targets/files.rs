//! Random and mutated ROMs, disk images, ISOs, floppies, bzImages,
//! Multiboot kernels and initrds (see `oxbox_machine::fuzzing::load_files`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("oxbox-fuzz-files-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = oxbox_machine::fuzzing::load_files(data, &dir);
    }
});
