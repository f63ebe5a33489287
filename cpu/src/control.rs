//! Jumps, calls, returns, loops, INT/INTO/INT3/IRET, BOUND, HLT, and the
//! real-mode interrupt model.

use crate::bus::Bus;
use crate::cpu::{Cpu, SegReg};
use crate::exec::Exit;
use crate::fault::{Exception, Fault, Result};
use crate::flags::{width_mask, FLAG_IF};
use crate::interrupt::Source;
use crate::op::Op;

const CS: u8 = SegReg::Cs as u8;

impl<B: Bus> Cpu<B> {
    /// A far control transfer's CS load.
    /// Real and virtual-8086 mode only: protected mode goes through `far_pm`.
    pub(crate) fn far_jump(&mut self, _bus: &mut B, selector: u16, offset: u32) -> Result<()> {
        if self.v86() {
            if offset > 0xFFFF {
                return Err(Fault::GP0);
            }
            self.set_seg(
                CS,
                crate::cpu::Segment {
                    selector,
                    base: (selector as u32) << 4,
                    limit: 0xFFFF,
                    attr: 0xF3,
                },
            );
        } else {
            self.set_segment_real(SegReg::Cs, selector);
        }
        self.eip = offset;
        self.stop_block = true;
        Ok(())
    }

    #[inline(always)]
    fn pm(&self) -> bool {
        self.protected() && !self.v86()
    }

    #[inline(always)]
    fn branch<const W: u32>(&mut self, target: u32) -> Result<()> {
        let t = target & width_mask(W);
        if t > self.seg[CS as usize].limit {
            return Err(Fault::GP0);
        }
        self.eip = t;
        Ok(())
    }
}

pub(crate) fn jmp_rel<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.branch::<W>(cpu.eip.wrapping_add(op.imm))
}

pub(crate) fn jcc<B: Bus, const W: u32>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    if cpu.cond(op.aux) {
        cpu.branch::<W>(cpu.eip.wrapping_add(op.imm))?;
    }
    Ok(())
}

pub(crate) fn jmp_rm<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let t = cpu.rm::<W, MEM>(bus, op)?;
    cpu.branch::<W>(t)
}

pub(crate) fn jmp_far<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    if cpu.pm() {
        return cpu.far_pm::<W>(bus, op.imm2 as u16, op.imm & width_mask(W), false);
    }
    cpu.far_jump(bus, op.imm2 as u16, op.imm & width_mask(W))
}

pub(crate) fn jmp_far_m<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let off = cpu.ea(op);
    let target = cpu.read::<W>(bus, op.seg, off)?;
    let sel = cpu.read::<16>(bus, op.seg, off.wrapping_add(W / 8) & op.amask)?;
    if cpu.pm() {
        return cpu.far_pm::<W>(bus, sel as u16, target, false);
    }
    cpu.far_jump(bus, sel as u16, target)
}

pub(crate) fn call_rel<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let ret = cpu.eip;
    let t = ret.wrapping_add(op.imm) & width_mask(W);
    if t > cpu.seg[CS as usize].limit {
        return Err(Fault::GP0);
    }
    cpu.push::<W>(bus, ret)?;
    cpu.eip = t;
    Ok(())
}

pub(crate) fn call_rm<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let t = cpu.rm::<W, MEM>(bus, op)?;
    if t > cpu.seg[CS as usize].limit {
        return Err(Fault::GP0);
    }
    cpu.push::<W>(bus, cpu.eip)?;
    cpu.eip = t;
    Ok(())
}

fn call_far_to<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    sel: u16,
    off: u32,
) -> Result<()> {
    if cpu.pm() {
        return cpu.far_pm::<W>(bus, sel, off, true);
    }
    let mut sp = cpu.regs[4];
    sp = cpu.push_at::<W>(bus, sp, cpu.seg[CS as usize].selector as u32)?;
    sp = cpu.push_at::<W>(bus, sp, cpu.eip)?;
    cpu.far_jump(bus, sel, off)?;
    cpu.regs[4] = sp;
    Ok(())
}

pub(crate) fn call_far<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    call_far_to::<B, W>(cpu, bus, op.imm2 as u16, op.imm & width_mask(W))
}

pub(crate) fn call_far_m<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let off = cpu.ea(op);
    let target = cpu.read::<W>(bus, op.seg, off)?;
    let sel = cpu.read::<16>(bus, op.seg, off.wrapping_add(W / 8) & op.amask)?;
    call_far_to::<B, W>(cpu, bus, sel as u16, target)
}

pub(crate) fn ret_near<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let (t, sp) = cpu.pop_at::<W>(bus, cpu.regs[4])?;
    cpu.branch::<W>(t)?;
    let mask = cpu.sp_mask();
    cpu.regs[4] = (sp & !mask) | (sp.wrapping_add(op.imm) & mask);
    Ok(())
}

pub(crate) fn ret_far<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    if cpu.pm() {
        return cpu.ret_far_pm::<W>(bus, op.imm);
    }
    let (t, sp) = cpu.pop_at::<W>(bus, cpu.regs[4])?;
    let (sel, sp) = cpu.pop_at::<W>(bus, sp)?;
    cpu.far_jump(bus, sel as u16, t & width_mask(W))?;
    let mask = cpu.sp_mask();
    cpu.regs[4] = (sp & !mask) | (sp.wrapping_add(op.imm) & mask);
    Ok(())
}

pub(crate) const LOOP: u8 = 0;
pub(crate) const LOOPE: u8 = 1;
pub(crate) const LOOPNE: u8 = 2;
pub(crate) const JCXZ: u8 = 3;

/// LOOP/LOOPE/LOOPNE/JCXZ; the counter width is the address size `A`.
pub(crate) fn loop_<B: Bus, const W: u32, const A: u32, const KIND: u8>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let m = width_mask(A);
    let taken = if KIND == JCXZ {
        cpu.regs[1] & m == 0
    } else {
        let c = cpu.regs[1].wrapping_sub(1) & m;
        let nz = c != 0;
        let t = match KIND {
            LOOP => nz,
            LOOPE => nz && cpu.zf(),
            _ => nz && !cpu.zf(),
        };
        if t {
            cpu.branch::<W>(cpu.eip.wrapping_add(op.imm))?;
        }
        cpu.regs[1] = (cpu.regs[1] & !m) | c;
        return Ok(());
    };
    if taken {
        cpu.branch::<W>(cpu.eip.wrapping_add(op.imm))?;
    }
    Ok(())
}

/// INT n (aux = 0), INT3 (aux = 1) and INT1/ICEBP (aux = 2), vector in `imm`.
pub(crate) fn int_n<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    if op.aux == 0 && cpu.v86() && cpu.iopl() < 3 {
        return Err(Fault::GP0);
    }
    let ret = cpu.eip;
    let src = if op.aux == 2 {
        Source::Exception
    } else {
        Source::Software
    };
    cpu.interrupt(bus, op.imm as u8, None, ret, src)
}

pub(crate) fn into<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, _op: &Op<B>) -> Result<()> {
    if cpu.of() {
        let ret = cpu.eip;
        cpu.interrupt(bus, Exception::Overflow as u8, None, ret, Source::Software)?;
    }
    Ok(())
}

pub(crate) fn iret<B: Bus, const W: u32>(cpu: &mut Cpu<B>, bus: &mut B, _op: &Op<B>) -> Result<()> {
    if cpu.pm() {
        return cpu.iret_pm::<W>(bus);
    }
    if cpu.v86() && cpu.iopl() < 3 {
        return Err(Fault::GP0);
    }
    let (ip, sp) = cpu.pop_at::<W>(bus, cpu.regs[4])?;
    let (cs, sp) = cpu.pop_at::<W>(bus, sp)?;
    let (fl, sp) = cpu.pop_at::<W>(bus, sp)?;
    if ip & width_mask(W) > cpu.seg[CS as usize].limit {
        return Err(Fault::GP0);
    }
    cpu.far_jump(bus, cs as u16, ip & width_mask(W))?;
    cpu.regs[4] = sp;
    if cpu.v86() {
        cpu.load_flags_pm::<W>(fl, 3);
    } else {
        cpu.load_flags::<W>(fl);
    }
    Ok(())
}

pub(crate) fn bound<B: Bus, const W: u32>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    let off = cpu.ea(op);
    let lo = cpu.read::<W>(bus, op.seg, off)?;
    let hi = cpu.read::<W>(bus, op.seg, off.wrapping_add(W / 8) & op.amask)?;
    let v = cpu.reg_get::<W>(op.r0);
    let (v, lo, hi) = if W == 16 {
        (
            v as u16 as i16 as i32,
            lo as u16 as i16 as i32,
            hi as u16 as i16 as i32,
        )
    } else {
        (v as i32, lo as i32, hi as i32)
    };
    if v < lo || v > hi {
        return Err(Fault::new(Exception::BoundRange));
    }
    Ok(())
}

pub(crate) fn hlt<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    if cpu.cpl != 0 {
        return Err(Fault::GP0);
    }
    cpu.halted = true;
    cpu.stop_block = true;
    if cpu.eflags & FLAG_IF == 0 {
        cpu.exit = Some(Exit::Halted);
    }
    Ok(())
}
