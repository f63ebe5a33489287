//! DAA, DAS, AAA, AAS, AAM, AAD with 386+ semantics (AAA/AAS adjust AX by
//! 0x106/-0x106 as a whole).

use crate::bus::Bus;
use crate::cpu::Cpu;
use crate::fault::{Fault, Result};
use crate::flags::{FLAG_AF, FLAG_CF, FLAG_OF};
use crate::op::Op;

impl<B: Bus> Cpu<B> {
    fn set_af_cf(&mut self, af: bool, cf: bool) {
        self.materialize_flags();
        self.eflags =
            (self.eflags & !(FLAG_AF | FLAG_CF)) | (af as u32 * FLAG_AF) | (cf as u32 * FLAG_CF);
    }
}

pub(crate) fn daa<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    let old_al = cpu.reg_get::<8>(0);
    let old_cf = cpu.cf();
    let mut al = old_al;
    let mut cf = false;
    let af = (al & 0xF) > 9 || cpu.af();
    if af {
        cf = old_cf || al + 6 > 0xFF;
        al = (al + 6) & 0xFF;
    }
    if old_al > 0x99 || old_cf {
        al = (al + 0x60) & 0xFF;
        cf = true;
    }
    cpu.reg_set::<8>(0, al);
    cpu.set_szp(8, al);
    // OF is undefined; hardware reports the signed overflow of the adds.
    let of = old_al & 0x80 == 0 && al & 0x80 != 0;
    cpu.eflags = (cpu.eflags & !FLAG_OF) | (of as u32 * FLAG_OF);
    cpu.set_af_cf(af, cf);
    Ok(())
}

pub(crate) fn das<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    let old_al = cpu.reg_get::<8>(0);
    let old_cf = cpu.cf();
    let mut al = old_al;
    let mut cf = false;
    let af = (al & 0xF) > 9 || cpu.af();
    if af {
        cf = old_cf || al < 6;
        al = al.wrapping_sub(6) & 0xFF;
    }
    if old_al > 0x99 || old_cf {
        al = al.wrapping_sub(0x60) & 0xFF;
        cf = true;
    }
    cpu.reg_set::<8>(0, al);
    cpu.set_szp(8, al);
    let of = old_al & 0x80 != 0 && al & 0x80 == 0;
    cpu.eflags = (cpu.eflags & !FLAG_OF) | (of as u32 * FLAG_OF);
    cpu.set_af_cf(af, cf);
    Ok(())
}

pub(crate) fn aaa<B: Bus, const SUB: bool>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    _op: &Op<B>,
) -> Result<()> {
    let ax = cpu.reg_get::<16>(0);
    let adjust = (ax & 0xF) > 9 || cpu.af();
    let mut r = ax;
    if adjust {
        r = if SUB {
            ax.wrapping_sub(6).wrapping_sub(0x100)
        } else {
            ax.wrapping_add(0x106)
        };
    }
    r = (r & 0xFF00) | (r & 0x0F);
    cpu.reg_set::<16>(0, r);
    cpu.set_szp(8, r);
    cpu.set_af_cf(adjust, adjust);
    Ok(())
}

pub(crate) fn aam<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    let base = op.imm & 0xFF;
    if base == 0 {
        return Err(Fault::DE);
    }
    let al = cpu.reg_get::<8>(0);
    let r = ((al / base) << 8) | (al % base);
    cpu.reg_set::<16>(0, r);
    cpu.set_szp(8, r);
    cpu.set_af_cf(false, false);
    cpu.eflags &= !FLAG_OF;
    Ok(())
}

pub(crate) fn aad<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    let base = op.imm & 0xFF;
    let al = cpu.reg_get::<8>(0);
    let ah = cpu.reg_get::<8>(4);
    // Computed as the byte add AL + AH*base, whose flags hardware reports.
    let t = (ah * base) & 0xFF;
    let r = (al + t) & 0xFF;
    cpu.reg_set::<16>(0, r);
    cpu.set_lazy(crate::flags::LazyOp::Add, 8, al, t, r);
    Ok(())
}
