//! Guest output cannot pile up in host memory (issue 9): the debug console
//! is drained after every byte, and capture sinks are capped.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use oxbox_machine::{Config, Machine, Output, Stop};

#[test]
fn a_long_rep_outsb_to_the_debug_console_arrives_whole() {
    // push cs; pop ds; xor si,si; mov dx,0xE9; mov cx,0xFFFF; rep outsb;
    // mov al,0; out 0xF4,al
    let code = [
        0x0E, 0x1F, 0x31, 0xF6, 0xBA, 0xE9, 0x00, 0xB9, 0xFF, 0xFF, 0xF3, 0x6E, 0xB0, 0x00, 0xE6,
        0xF4,
    ];
    let mut rom = vec![0u8; 0x10000];
    for (i, b) in rom.iter_mut().enumerate() {
        *b = (i * 13 + i / 256) as u8;
    }
    rom[..code.len()].copy_from_slice(&code);
    rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0x00, 0x00, 0xF0]);
    let mut config = Config::new(rom.clone());
    config.consoles.push((0xE9, Output::Capture));
    let mut m = Machine::new(config).unwrap();
    assert_eq!(m.run(10_000_000), Stop::DebugExit(1));
    assert_eq!(m.captured(0xE9), &rom[..0xFFFF]);
}
