//! The single-step trap (EFLAGS.TF) after instructions that also make the
//! CPU hand control back to the machine (a port write a device wants
//! serviced at once): the #DB must still come after each of them.

use oxbox_machine::{MachineBuilder, Output, Stop};

#[test]
fn single_step_traps_after_port_writes_too() {
    #[rustfmt::skip]
    let code: &[u8] = &[
        0x31, 0xC0,                         // xor ax,ax
        0x8E, 0xD8,                         // mov ds,ax
        0x8E, 0xD0,                         // mov ss,ax
        0xBC, 0x00, 0x70,                   // mov sp,7000h
        0xC7, 0x06, 0x04, 0x00, 0x40, 0x00, // mov word [4],0040h (handler offset)
        0xC7, 0x06, 0x06, 0x00, 0x00, 0xF0, // mov word [6],0F000h
        0x9C,                               // pushf
        0x58,                               // pop ax
        0x80, 0xCC, 0x01,                   // or ah,1 (TF)
        0x50,                               // push ax
        0x9D,                               // popf: TF on from the next instruction
        0xB0, b'a',                         // mov al,'a'        trap 1
        0xE6, 0xE9,                         // out 0E9h,al       trap 2 (console: attention)
        0xE6, 0xE9,                         // out 0E9h,al       trap 3
        0x90,                               // nop               trap 4
        0x9C,                               // pushf             trap 5
        0x58,                               // pop ax            trap 6
        0x80, 0xE4, 0xFE,                   // and ah,0FEh       trap 7
        0x50,                               // push ax           trap 8
        0x9D,                               // popf (TF off)     trap 9: TF was set at its start
        0x90,                               // nop               no trap
        0xF4,                               // hlt
    ];
    // The #DB handler at F000:0040: inc word [600h]; iret
    let handler: &[u8] = &[0xFF, 0x06, 0x00, 0x06, 0xCF];
    let mut rom = vec![0xF4u8; 0x10000];
    rom[..code.len()].copy_from_slice(code);
    rom[0x40..0x40 + handler.len()].copy_from_slice(handler);
    rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0x00, 0x00, 0xF0]);
    let mut m = MachineBuilder::new()
        .memory_mib(1)
        .rom(rom)
        .debug_console(0xE9, Output::Capture)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.run(10_000), Stop::HaltedInterruptsOff);
    assert_eq!(m.captured(0xE9), b"aa");
    let mut count = [0u8; 2];
    m.read_physical(0x600, &mut count);
    assert_eq!(u16::from_le_bytes(count), 9, "single-step traps taken");
}
