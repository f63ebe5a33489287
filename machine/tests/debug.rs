//! The inspection API: memory access and disassembly.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use oxbox_machine::{Config, Machine, Syntax};

fn machine_with(code: &[u8]) -> Machine {
    let mut rom = vec![0xF4u8; 0x10000];
    rom[..code.len()].copy_from_slice(code);
    rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0x00, 0x00, 0xF0]);
    Machine::new(Config::new(rom)).expect("machine")
}

#[test]
fn disassembles_the_reset_vector_in_three_syntaxes() {
    let mut m = machine_with(&[0xB8, 0x34, 0x12]);
    let intel = m.disassemble(0xFFFF_FFF0, 1, Syntax::Intel);
    assert!(intel[0].text.starts_with("jmp far"), "{intel:?}");
    assert_eq!(intel[0].bytes, vec![0xEA, 0x00, 0x00, 0x00, 0xF0]);
    let att = m.disassemble(0xFFFF_FFF0, 1, Syntax::Att);
    assert_eq!(att[0].text, "ljmp $0xF000,$0");
    m.run(1);
    let nasm = m.disassemble(0xF0000, 2, Syntax::Nasm);
    assert_eq!(nasm[0].text, "mov ax,1234h");
    assert_eq!(nasm[1].address, 0xF0003);
    assert_eq!(nasm[1].text, "hlt");
}

#[test]
fn physical_and_linear_memory_round_trip() {
    let mut m = machine_with(&[]);
    m.write_physical(0x1000, b"oxbox");
    let mut buf = [0u8; 5];
    m.read_physical(0x1000, &mut buf);
    assert_eq!(&buf, b"oxbox");
    m.read_linear(0x1000, &mut buf).expect("paging is off");
    assert_eq!(&buf, b"oxbox");
    // ROM reads through; device holes read as all ones.
    let mut b = [0u8; 1];
    m.read_physical(0xFFFF0, &mut b);
    assert_eq!(b[0], 0xEA);
    m.read_physical(0xFEC0_0000, &mut b);
    assert_eq!(b[0], 0xFF);
}

#[test]
fn debugger_writes_to_code_take_effect() {
    // mov ax,1234h; hlt  -- patched to mov ax,5678h before it runs.
    let mut m = machine_with(&[0xB8, 0x34, 0x12, 0xFA, 0xF4]);
    m.run(1); // the far jump
    m.write_physical(0xF0001, &[0x78, 0x56]);
    m.run(10);
    assert_eq!(m.cpu().gpr(0) & 0xFFFF, 0x5678);
}
