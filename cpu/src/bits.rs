//! BT, BTS, BTR, BTC, BSF, BSR.

use crate::bus::Bus;
use crate::cpu::Cpu;
use crate::fault::Result;
use crate::flags::{FLAG_CF, FLAG_ZF};
use crate::op::Op;

pub(crate) const BT: u8 = 0;
pub(crate) const BTS: u8 = 1;
pub(crate) const BTR: u8 = 2;
pub(crate) const BTC: u8 = 3;

/// Bit test on operand 0 (r/m); the bit number is `r1` or the immediate.
/// With a register bit number and a memory operand the number is signed
/// and can address outside the operand.
pub(crate) fn bt<B: Bus, const K: u8, const W: u32, const MEM: bool, const IMM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let raw = if IMM { op.imm } else { cpu.reg_get::<W>(op.r1) };
    let (v, bit, off) = if MEM {
        let ea = cpu.ea(op);
        let (off, bit) = if IMM {
            (ea, raw & (W - 1))
        } else {
            let n = if W == 16 {
                raw as u16 as i16 as i32
            } else {
                raw as i32
            };
            let delta = (n >> if W == 16 { 4 } else { 5 }) * (W as i32 / 8);
            (
                ea.wrapping_add(delta as u32) & op.amask,
                (n as u32) & (W - 1),
            )
        };
        let v = if K == BT {
            cpu.read::<W>(bus, op.seg, off)?
        } else {
            cpu.read_rmw::<W>(bus, op.seg, off)?
        };
        (v, bit, off)
    } else {
        (cpu.reg_get::<W>(op.r0), raw & (W - 1), 0)
    };
    let set = (v >> bit) & 1 != 0;
    if K != BT {
        let r = match K {
            BTS => v | 1 << bit,
            BTR => v & !(1 << bit),
            _ => v ^ 1 << bit,
        };
        if MEM {
            cpu.write::<W>(bus, op.seg, off, r)?;
        } else {
            cpu.reg_set::<W>(op.r0, r);
        }
    }
    cpu.set_flag(FLAG_CF, set);
    Ok(())
}

/// BSF (REVERSE = false) / BSR into `r0` from operand 1 (`r1` or memory).
pub(crate) fn bsf<B: Bus, const REVERSE: bool, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let v = if MEM {
        cpu.read_ea::<W>(bus, op)?
    } else {
        cpu.reg_get::<W>(op.r1)
    };
    if v == 0 {
        cpu.set_flag(FLAG_ZF, true);
        return Ok(());
    }
    let i = if REVERSE {
        31 - v.leading_zeros()
    } else {
        v.trailing_zeros()
    };
    cpu.reg_set::<W>(op.r0, i);
    cpu.set_flag(FLAG_ZF, false);
    Ok(())
}
