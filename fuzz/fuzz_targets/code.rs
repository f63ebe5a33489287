//! Random bytes as code in real, 16/32-bit protected, ring-3 and V86 mode,
//! with and without paging (see `oxbox_machine::fuzzing::run_code`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = oxbox_machine::fuzzing::run_code(data);
});
