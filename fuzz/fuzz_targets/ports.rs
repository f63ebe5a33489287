//! Random port I/O sequences to every device, disks attached
//! (see `oxbox_machine::fuzzing::run_ports`).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use oxbox_machine::fuzzing::FuzzDisks;

static DISKS: OnceLock<Option<FuzzDisks>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let disks = DISKS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("oxbox-fuzz-ports-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        FuzzDisks::create(&dir).ok()
    });
    if let Some(d) = disks {
        let _ = oxbox_machine::fuzzing::run_ports(data, d);
    }
});
