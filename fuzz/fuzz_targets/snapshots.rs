//! Damaged snapshot files given to `Machine::load_snapshot` (see
//! `oxbox_machine::fuzzing::load_snapshot_file`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = oxbox_machine::fuzzing::load_snapshot_file(data);
});
