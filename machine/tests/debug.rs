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

/// Paging set up through the register API: the page directory at 10000h
/// maps linear 0-3FFFFFh through the page table at 11000h, where only
/// page 0 (to physical 0) and page 5 (to physical 20000h) are present.
fn paged_machine() -> Machine {
    let mut m = machine_with(&[]);
    m.write_physical(0x10000, &(0x11000u32 | 3).to_le_bytes());
    m.write_physical(0x11000, &3u32.to_le_bytes());
    m.write_physical(0x11000 + 5 * 4, &(0x20000u32 | 3).to_le_bytes());
    let cpu = m.cpu_mut();
    cpu.set_cr3(0x10000);
    cpu.write_cr0(0x8000_0001).expect("PE and PG");
    m
}

#[test]
fn linear_memory_walks_the_page_tables_without_side_effects() {
    let mut m = paged_machine();
    m.write_physical(0x20FFC, b"page");
    let mut buf = [0u8; 4];
    m.read_linear(0x5FFC, &mut buf).expect("page 5 is present");
    assert_eq!(&buf, b"page");
    assert_eq!(m.linear_to_physical(0x5123), Ok(0x20123));
    // A page fault is a value: the first byte that does not map.
    let mut eight = [0u8; 8];
    assert_eq!(
        m.read_linear(0x5FFC, &mut eight),
        Err(oxbox_machine::Unmapped { linear: 0x6000 })
    );
    assert_eq!(
        m.linear_to_physical(0x40_0000),
        Err(oxbox_machine::Unmapped { linear: 0x40_0000 }),
        "PDE 1 is not present"
    );
    // A write that would fault leaves memory untouched.
    assert!(m.write_linear(0x5FFE, b"abcd").is_err());
    m.read_physical(0x20FFC, &mut buf);
    assert_eq!(&buf, b"page");
    // No accessed or dirty bits were set by any of it.
    let mut pde = [0u8; 4];
    m.read_physical(0x10000, &mut pde);
    assert_eq!(u32::from_le_bytes(pde), 0x11003);
    m.read_physical(0x11000 + 5 * 4, &mut pde);
    assert_eq!(u32::from_le_bytes(pde), 0x20003);
}

#[test]
fn api_misuse_is_an_error_value() {
    use oxbox_machine::cpu::{Access, RegError};
    use oxbox_machine::WatchError;
    let mut m = machine_with(&[]);
    assert_eq!(
        m.watch_memory(0x1000, 0, Access::Write),
        Err(WatchError::Empty)
    );
    assert_eq!(
        m.watch_memory(0xFFFF_FFF0, 0x20, Access::Any),
        Err(WatchError::Wraps {
            start: 0xFFFF_FFF0,
            len: 0x20
        })
    );
    assert_eq!(m.watch_memory(0xFFFF_FFF0, 0x10, Access::Any), Ok(()));
    assert_eq!(
        m.watch_ports(0x3F8, 0x3F0, Access::Any),
        Err(WatchError::Reversed {
            first: 0x3F8,
            last: 0x3F0
        })
    );
    let cpu = m.cpu_mut();
    assert_eq!(cpu.write_cr0(0x8000_0000), Err(RegError::Cr0(0x8000_0000)));
    assert_eq!(cpu.set_dr(9, 0), Err(RegError::Index(9)));
    assert_eq!(cpu.read_xmm(8), Err(RegError::Index(8)));
    assert_eq!(
        cpu.write_mxcsr(0xFFFF_0000),
        Err(RegError::Mxcsr(0xFFFF_0000))
    );
    assert_eq!(cpu.write_cr4(1 << 31), Err(RegError::Cr4(1 << 31)));
    // The machine still runs from where it was.
    m.run(1);
    assert_eq!(m.cpu().eip(), 0);
}
