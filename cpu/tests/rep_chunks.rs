//! A REP string instruction with a huge count gives the machine back every
//! 4096 iterations (found by the code fuzzer: REPNE MOVSB with ECX near
//! 1.5 billion kept the host inside one instruction for 87 s, past any
//! --timeout). It restarts where it stopped, like an interrupted REP.

use oxbox_cpu::{Cpu, CpuModel, SegReg, Segment};

use oxbox_cpu::FlatRam as Ram;

#[test]
fn rep_stos_runs_in_chunks_of_4096_and_resumes() {
    let mut ram = Ram(vec![0; 1 << 20]);
    // a32 rep stosb; hlt at 1000:0000, with ES a 4 GiB "big real mode" segment.
    ram.0[0x10000..0x10004].copy_from_slice(&[0x67, 0xF3, 0xAA, 0xF4]);
    let mut cpu = Cpu::new(CpuModel::I486);
    cpu.reset();
    cpu.set_segment_real(SegReg::Cs, 0x1000);
    cpu.set_segment_real(SegReg::Ds, 0);
    cpu.set_segment(
        SegReg::Es,
        Segment {
            selector: 0,
            base: 0,
            limit: u32::MAX,
            attr: 0x8093,
        },
    );
    cpu.set_eip(0);
    cpu.set_gpr(0, 0x5A);
    cpu.set_gpr(1, 200_000);
    cpu.set_gpr(7, 0x2_0000);
    cpu.flush_code_cache();
    cpu.run(&mut ram, 1);
    // 200000 = 48 * 4096 + 3392: one chunk done, EIP back on the REP.
    assert_eq!(cpu.gpr(1), 200_000 - 4096);
    assert_eq!(cpu.gpr(7), 0x2_0000 + 4096);
    assert_eq!(cpu.eip(), 0);
    assert_eq!(cpu.instruction_count(), 1);
    cpu.run(&mut ram, 100);
    assert_eq!(cpu.gpr(1), 0);
    assert_eq!(cpu.gpr(7), 0x2_0000 + 200_000);
    // 48 more chunks (the last of 3392 iterations), then the HLT.
    assert_eq!(cpu.instruction_count(), 50);
    assert_eq!(cpu.eip(), 4);
    assert_eq!(ram.0[0x2_0000], 0x5A);
    assert_eq!(ram.0[0x2_0000 + 199_999], 0x5A);
    assert_eq!(ram.0[0x2_0000 + 200_000], 0);
}
