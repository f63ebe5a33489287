//! MOVS, CMPS, SCAS, LODS, STOS, INS, OUTS with REP/REPE/REPNE and DF.
//!
//! A REP instruction runs up to [`REP_CHUNK`] iterations in one go; after a
//! fault, or when the chunk is used up, the registers show the iterations
//! already done and EIP points back at the instruction, so it restarts
//! where it stopped, as on hardware (where interrupts are taken between
//! iterations). Each restart counts as one more retired instruction.

use crate::bus::Bus;
use crate::cpu::{Cpu, SegReg};
use crate::fault::Result;
use crate::flags::{width_mask, LazyOp, FLAG_DF};
use crate::op::Op;

pub(crate) const MOVS: u8 = 0;
pub(crate) const CMPS: u8 = 1;
pub(crate) const SCAS: u8 = 2;
pub(crate) const LODS: u8 = 3;
pub(crate) const STOS: u8 = 4;
pub(crate) const INS: u8 = 5;
pub(crate) const OUTS: u8 = 6;

pub(crate) const REP_NONE: u8 = 0;
pub(crate) const REP_E: u8 = 1;
pub(crate) const REP_NE: u8 = 2;

const ES: u8 = SegReg::Es as u8;

/// Iterations a REP runs before giving the machine back: a guest with a
/// huge ECX must not keep the host inside one instruction for minutes
/// (timeouts, device time and interrupts wait for the instruction to end).
pub(crate) const REP_CHUNK: u32 = 4096;

#[inline(always)]
fn bump(reg: &mut u32, delta: u32, am: u32) {
    *reg = (*reg & !am) | (reg.wrapping_add(delta) & am);
}

pub(crate) fn string<B: Bus, const K: u8, const W: u32, const A: u32, const REP: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let am = width_mask(A);
    let step = W / 8;
    let delta = if cpu.eflags & FLAG_DF != 0 {
        step.wrapping_neg()
    } else {
        step
    };
    if K == INS || K == OUTS {
        cpu.io_allowed(bus, cpu.regs[2] as u16, step)?;
    }
    let mut chunk = REP_CHUNK;
    loop {
        if REP != REP_NONE && cpu.regs[1] & am == 0 {
            break;
        }
        let si = cpu.regs[6] & am;
        let di = cpu.regs[7] & am;
        match K {
            MOVS => {
                let v = cpu.read::<W>(bus, op.seg, si)?;
                cpu.write::<W>(bus, ES, di, v)?;
                bump(&mut cpu.regs[6], delta, am);
                bump(&mut cpu.regs[7], delta, am);
            }
            CMPS => {
                let a = cpu.read::<W>(bus, op.seg, si)?;
                let b = cpu.read::<W>(bus, ES, di)?;
                cpu.set_lazy(LazyOp::Sub, W, a, b, a.wrapping_sub(b) & width_mask(W));
                bump(&mut cpu.regs[6], delta, am);
                bump(&mut cpu.regs[7], delta, am);
            }
            SCAS => {
                let a = cpu.reg_get::<W>(0);
                let b = cpu.read::<W>(bus, ES, di)?;
                cpu.set_lazy(LazyOp::Sub, W, a, b, a.wrapping_sub(b) & width_mask(W));
                bump(&mut cpu.regs[7], delta, am);
            }
            LODS => {
                let v = cpu.read::<W>(bus, op.seg, si)?;
                cpu.reg_set::<W>(0, v);
                bump(&mut cpu.regs[6], delta, am);
            }
            STOS => {
                let v = cpu.reg_get::<W>(0);
                cpu.write::<W>(bus, ES, di, v)?;
                bump(&mut cpu.regs[7], delta, am);
            }
            INS => {
                // Probe the destination before the port read has side effects.
                cpu.linear::<W>(ES, di)?;
                let v = cpu.port_in(bus, cpu.regs[2] as u16, step as u8);
                cpu.write::<W>(bus, ES, di, v)?;
                bump(&mut cpu.regs[7], delta, am);
            }
            _ => {
                let v = cpu.read::<W>(bus, op.seg, si)?;
                cpu.port_out(bus, cpu.regs[2] as u16, step as u8, v);
                bump(&mut cpu.regs[6], delta, am);
            }
        }
        if REP == REP_NONE {
            break;
        }
        bump(&mut cpu.regs[1], u32::MAX, am);
        if K == CMPS || K == SCAS {
            let zf = cpu.zf();
            if (REP == REP_E && !zf) || (REP == REP_NE && zf) {
                break;
            }
        }
        if cpu.exit.is_some() {
            // A device wants the machine: resume this REP afterwards.
            if cpu.regs[1] & am != 0 {
                cpu.restart(op);
            }
            break;
        }
        chunk -= 1;
        if chunk == 0 {
            if cpu.regs[1] & am != 0 {
                cpu.restart(op);
                cpu.stop_block = true;
            }
            break;
        }
    }
    Ok(())
}

impl<B: Bus> Cpu<B> {
    /// Points EIP back at the op so it runs again.
    pub(crate) fn restart(&mut self, op: &Op<B>) {
        self.eip = self.eip.wrapping_sub(op.len as u32);
        if !self.code32() {
            self.eip &= 0xFFFF;
        }
    }
}
