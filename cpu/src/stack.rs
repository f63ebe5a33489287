//! PUSH, POP, PUSHA, POPA, PUSHF, POPF, ENTER, LEAVE, and the stack
//! primitives everything else uses.

use crate::bus::Bus;
use crate::cpu::{Cpu, SegReg};
use crate::fault::Result;
use crate::flags::{FLAG_RF, FLAG_VM};
use crate::op::Op;

const SS: u8 = SegReg::Ss as u8;

impl<B: Bus> Cpu<B> {
    #[inline(always)]
    pub(crate) fn sp_mask(&self) -> u32 {
        if self.stack32() {
            u32::MAX
        } else {
            0xFFFF
        }
    }

    /// Writes `v` at SP - W/8 and returns the new SP without committing it.
    #[inline(always)]
    pub(crate) fn push_at<const W: u32>(&mut self, bus: &mut B, sp: u32, v: u32) -> Result<u32> {
        let mask = self.sp_mask();
        let nsp = sp.wrapping_sub(W / 8) & mask;
        self.write::<W>(bus, SS, nsp, v)?;
        Ok((sp & !mask) | nsp)
    }

    #[inline(always)]
    pub(crate) fn push<const W: u32>(&mut self, bus: &mut B, v: u32) -> Result<()> {
        self.regs[4] = self.push_at::<W>(bus, self.regs[4], v)?;
        Ok(())
    }

    /// Reads at SP and returns (value, new SP) without committing SP.
    #[inline(always)]
    pub(crate) fn pop_at<const W: u32>(&mut self, bus: &mut B, sp: u32) -> Result<(u32, u32)> {
        let mask = self.sp_mask();
        let v = self.read::<W>(bus, SS, sp & mask)?;
        Ok((v, (sp & !mask) | (sp.wrapping_add(W / 8) & mask)))
    }

    #[inline(always)]
    pub(crate) fn pop<const W: u32>(&mut self, bus: &mut B) -> Result<u32> {
        let (v, sp) = self.pop_at::<W>(bus, self.regs[4])?;
        self.regs[4] = sp;
        Ok(v)
    }
}

pub(crate) fn push_r<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let v = cpu.reg_get::<W>(op.r0);
    cpu.push::<W>(bus, v)
}

pub(crate) fn pop_r<B: Bus, const W: u32>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    let v = cpu.pop::<W>(bus)?;
    cpu.reg_set::<W>(op.r0, v);
    Ok(())
}

pub(crate) fn push_m<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let v = cpu.read_ea::<W>(bus, op)?;
    cpu.push::<W>(bus, v)
}

/// POP to memory: an ESP-based address is computed after the increment.
pub(crate) fn pop_m<B: Bus, const W: u32>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    let old = cpu.regs[4];
    let (v, sp) = cpu.pop_at::<W>(bus, old)?;
    cpu.regs[4] = sp;
    if let Err(f) = cpu.write_ea::<W>(bus, op, v) {
        cpu.regs[4] = old;
        return Err(f);
    }
    Ok(())
}

pub(crate) fn push_i<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.push::<W>(bus, op.imm)
}

pub(crate) fn push_sreg<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let v = cpu.seg[op.r0 as usize].selector as u32;
    if W == 32 {
        // A 32-bit push of a segment register writes only the low word.
        let mask = cpu.sp_mask();
        let sp = cpu.regs[4].wrapping_sub(4) & mask;
        cpu.write::<16>(bus, SS, sp, v)?;
        cpu.regs[4] = (cpu.regs[4] & !mask) | sp;
        Ok(())
    } else {
        cpu.push::<16>(bus, v)
    }
}

pub(crate) fn pop_sreg<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let (v, sp) = cpu.pop_at::<W>(bus, cpu.regs[4])?;
    cpu.load_seg(bus, op.r0, v as u16)?;
    cpu.regs[4] = sp;
    if op.r0 == SS {
        cpu.irq_shadow = cpu.icount;
        cpu.ss_shadow = true;
        cpu.stop_block = true;
    }
    Ok(())
}

pub(crate) fn pusha<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    _op: &Op<B>,
) -> Result<()> {
    let mut sp = cpu.regs[4];
    for r in 0..8u8 {
        let v = cpu.reg_get::<W>(r);
        sp = cpu.push_at::<W>(bus, sp, v)?;
    }
    cpu.regs[4] = sp;
    Ok(())
}

pub(crate) fn popa<B: Bus, const W: u32>(cpu: &mut Cpu<B>, bus: &mut B, _op: &Op<B>) -> Result<()> {
    let mut sp = cpu.regs[4];
    let mut vals = [0u32; 8];
    for r in (0..8).rev() {
        let (v, nsp) = cpu.pop_at::<W>(bus, sp)?;
        vals[r] = v;
        sp = nsp;
    }
    for (r, &v) in vals.iter().enumerate() {
        if r != 4 {
            cpu.reg_set::<W>(r as u8, v);
        }
    }
    cpu.regs[4] = sp;
    Ok(())
}

pub(crate) fn pushf<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    _op: &Op<B>,
) -> Result<()> {
    if cpu.v86() && cpu.iopl() < 3 {
        return Err(crate::fault::Fault::GP0);
    }
    let f = cpu.eflags() & !(FLAG_RF | FLAG_VM);
    cpu.push::<W>(bus, if W == 16 { f & 0xFFFF } else { f })
}

pub(crate) fn popf<B: Bus, const W: u32>(cpu: &mut Cpu<B>, bus: &mut B, _op: &Op<B>) -> Result<()> {
    if cpu.v86() && cpu.iopl() < 3 {
        return Err(crate::fault::Fault::GP0);
    }
    let v = cpu.pop::<W>(bus)?;
    if cpu.protected() {
        cpu.load_flags_pm::<W>(v, cpu.cpl);
    } else {
        cpu.load_flags::<W>(v);
    }
    cpu.stop_block = true;
    Ok(())
}

pub(crate) fn enter<B: Bus, const W: u32>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    let size = op.imm & 0xFFFF;
    let level = op.imm2 & 31;
    let mask = cpu.sp_mask();
    let mut sp = cpu.push_at::<W>(bus, cpu.regs[4], cpu.reg_get::<W>(5))?;
    let frame = sp;
    if level > 0 {
        let mut bp = cpu.regs[5];
        for _ in 1..level {
            bp = (bp & !mask) | (bp.wrapping_sub(W / 8) & mask);
            let v = cpu.read::<W>(bus, SS, bp & mask)?;
            sp = cpu.push_at::<W>(bus, sp, v)?;
        }
        sp = cpu.push_at::<W>(bus, sp, frame & if W == 16 { 0xFFFF } else { u32::MAX })?;
    }
    let new_sp = (sp & !mask) | (sp.wrapping_sub(size) & mask);
    // The final stack pointer must be usable: touch the lowest byte.
    if size > 0 {
        cpu.linear::<8>(SS, new_sp & mask)?;
    }
    cpu.reg_set::<W>(5, frame);
    cpu.regs[4] = new_sp;
    Ok(())
}

pub(crate) fn leave<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    _op: &Op<B>,
) -> Result<()> {
    let mask = cpu.sp_mask();
    let sp = (cpu.regs[4] & !mask) | (cpu.regs[5] & mask);
    let (v, nsp) = cpu.pop_at::<W>(bus, sp)?;
    cpu.regs[4] = nsp;
    cpu.reg_set::<W>(5, v);
    Ok(())
}
