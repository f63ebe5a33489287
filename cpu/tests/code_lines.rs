//! Writes next to cached code: data sharing a 128-byte line with code must
//! not throw the code away (a BIOS keeps its stack and variables beside
//! its code), while a write into decoded bytes must (self-modifying code).

use oxbox_cpu::{Cpu, CpuModel, Exit, FlatRam, SegReg};

#[test]
fn data_beside_code_keeps_it_and_real_self_modification_is_seen() {
    let mut ram = FlatRam::new(0x10000);
    #[rustfmt::skip]
    let code: &[u8] = &[
        0xB9, 0xE8, 0x03,             // 1000: mov cx,1000
        0xFE, 0x06, 0x40, 0x10,       // 1003: inc byte [1040h]  (same line as the code)
        0xE2, 0xFA,                   // 1007: loop 1003h
        0xC6, 0x06, 0x0F, 0x10, 0x42, // 1009: mov byte [100Fh],42h  (the next immediate)
        0xB0, 0x00,                   // 100E: mov al,0
        0xF4,                         // 1010: hlt
    ];
    ram.0[0x1000..0x1000 + code.len()].copy_from_slice(code);
    let mut cpu = Cpu::new(CpuModel::I486);
    cpu.set_segment_real(SegReg::Cs, 0);
    cpu.set_segment_real(SegReg::Ds, 0);
    cpu.set_eip(0x1000);
    assert_eq!(cpu.run(&mut ram, 10_000), Exit::Halted);
    assert_eq!(ram.0[0x1040], (1000 % 256) as u8);
    // The patched immediate ran, not the one decoded first.
    assert_eq!(cpu.gpr(0) & 0xFF, 0x42);
    let w = cpu.work_stats();
    // Only the patch dropped code; the thousand data writes did not.
    assert_eq!(w.code_invalidations, 1, "{w:?}");
    assert!(w.blocks_decoded <= 6, "{w:?}");
}
