//! Regression tests for real-mode behaviour found with the SingleStepTests
//! conformance suites (see docs/conformance.md). Each runs a few bytes of
//! 16-bit code on a flat-RAM bus.

#![allow(dead_code)]

use oxbox_cpu::{Cpu, CpuModel, SegReg};

use oxbox_cpu::FlatRam as Ram;

const AX: usize = 0;
const CX: usize = 1;
const DX: usize = 2;
const BX: usize = 3;
const SP: usize = 4;

const CF: u32 = 1;
const ZF: u32 = 1 << 6;
const SF: u32 = 1 << 7;
const OF: u32 = 1 << 11;

/// A CPU in real mode with `code` at 1000:0000, SS:SP = 2000:1000, every
/// other segment 0, and the given registers and flags.
fn setup(code: &[u8], regs: &[(usize, u32)], flags: u32) -> (Cpu<Ram>, Ram) {
    let mut ram = Ram(vec![0; 1 << 20]);
    ram.0[0x10000..0x10000 + code.len()].copy_from_slice(code);
    let mut cpu = Cpu::new(CpuModel::I486);
    cpu.reset();
    for s in [SegReg::Es, SegReg::Ds, SegReg::Fs, SegReg::Gs] {
        cpu.set_segment_real(s, 0);
    }
    cpu.set_segment_real(SegReg::Cs, 0x1000);
    cpu.set_segment_real(SegReg::Ss, 0x2000);
    cpu.set_eip(0);
    cpu.set_gpr(SP, 0x1000);
    for &(r, v) in regs {
        cpu.set_gpr(r, v);
    }
    cpu.set_eflags(flags);
    cpu.flush_code_cache();
    (cpu, ram)
}

fn run(code: &[u8], regs: &[(usize, u32)], flags: u32, steps: u64) -> (Cpu<Ram>, Ram) {
    let (mut cpu, mut ram) = setup(code, regs, flags);
    cpu.run(&mut ram, steps);
    (cpu, ram)
}

#[test]
fn shr_by_more_than_one_takes_of_from_the_last_step() {
    // shr al, 4 with AL = 0x80: OF = sign of 0x80 >> 3 = 0.
    let (cpu, _) = run(&[0xC0, 0xE8, 0x04], &[(AX, 0x80)], 0, 1);
    assert_eq!(cpu.gpr(AX) & 0xFF, 0x08);
    assert_eq!(cpu.eflags() & OF, 0);
    // shr al, 1 with AL = 0x80: OF = the old sign bit.
    let (cpu, _) = run(&[0xD0, 0xE8], &[(AX, 0x80)], 0, 1);
    assert_eq!(cpu.eflags() & OF, OF);
}

#[test]
fn an_instruction_running_past_the_cs_limit_raises_gp() {
    // mov ax, 1234h at 1000:FFFE: its last byte would be at offset 10000h.
    // #GP(0) goes through vector 13 (pointed at 3000:0000) with the
    // faulting IP pushed.
    let mut ram = Ram(vec![0; 1 << 20]);
    ram.0[0x1FFFE..0x20000].copy_from_slice(&[0xB8, 0x34]);
    ram.0[0x20000] = 0x12;
    ram.0[13 * 4..13 * 4 + 4].copy_from_slice(&[0x00, 0x00, 0x00, 0x30]);
    let mut cpu = Cpu::new(CpuModel::I486);
    cpu.reset();
    for s in [SegReg::Es, SegReg::Ds, SegReg::Fs, SegReg::Gs] {
        cpu.set_segment_real(s, 0);
    }
    cpu.set_segment_real(SegReg::Cs, 0x1000);
    cpu.set_segment_real(SegReg::Ss, 0x2000);
    cpu.set_gpr(SP, 0x1000);
    cpu.set_eip(0xFFFE);
    cpu.flush_code_cache();
    cpu.run(&mut ram, 1);
    assert_eq!(cpu.gpr(AX) & 0xFFFF, 0);
    assert_eq!(cpu.segment(SegReg::Cs).selector, 0x3000);
    assert_eq!(cpu.eip(), 0);
    assert_eq!(&ram.0[0x20FFA..0x20FFC], &[0xFE, 0xFF]);
    // The same bytes one byte lower fit below the limit and execute.
    let (cpu, _) = run(&[0xB8, 0x34, 0x12], &[], 0, 1);
    assert_eq!(cpu.gpr(AX) & 0xFFFF, 0x1234);
}

#[test]
fn a_fetch_fault_loop_uses_up_the_budget() {
    // The #GP handler is the faulting instruction itself (1000:FFFF holds
    // the first byte of a two-byte instruction): every fetch faults, and
    // `run` must still return when its budget is spent.
    let mut ram = Ram(vec![0; 1 << 20]);
    ram.0[0x1FFFF] = 0xB0;
    ram.0[13 * 4..13 * 4 + 4].copy_from_slice(&[0xFF, 0xFF, 0x00, 0x10]);
    let mut cpu = Cpu::new(CpuModel::I486);
    cpu.reset();
    cpu.set_segment_real(SegReg::Cs, 0x1000);
    cpu.set_segment_real(SegReg::Ss, 0x2000);
    cpu.set_gpr(SP, 0x1000);
    cpu.set_eip(0xFFFF);
    cpu.flush_code_cache();
    let start = cpu.instruction_count();
    cpu.run(&mut ram, 100);
    assert_eq!(cpu.instruction_count() - start, 100);
}
