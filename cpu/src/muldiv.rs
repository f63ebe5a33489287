//! MUL, IMUL (one, two and three operands), DIV, IDIV.
//!
//! After MUL/IMUL only CF and OF are defined; SF, ZF and PF follow the low
//! half of the result and AF is cleared, like P6-family cores.

use crate::bus::Bus;
use crate::cpu::Cpu;
use crate::fault::{Fault, Result};
use crate::flags::{width_mask, FLAG_AF, FLAG_CF, FLAG_OF};
use crate::op::{Op, RM};

impl<B: Bus> Cpu<B> {
    #[inline(always)]
    fn set_mul_flags<const W: u32>(&mut self, low: u32, overflow: bool) {
        self.set_szp(W, low);
        self.eflags = (self.eflags & !(FLAG_CF | FLAG_OF | FLAG_AF))
            | (overflow as u32 * (FLAG_CF | FLAG_OF));
    }
}

#[inline(always)]
fn sext<const W: u32>(v: u32) -> i64 {
    match W {
        8 => v as u8 as i8 as i64,
        16 => v as u16 as i16 as i64,
        _ => v as i32 as i64,
    }
}

/// Writes a double-width product: AX for bytes, DX:AX, EDX:EAX.
fn store_wide<B: Bus, const W: u32>(cpu: &mut Cpu<B>, p: u64) {
    if W == 8 {
        cpu.reg_set::<16>(0, p as u32);
    } else {
        cpu.reg_set::<W>(0, p as u32);
        cpu.reg_set::<W>(2, (p >> W) as u32);
    }
}

pub(crate) fn mul<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let b = cpu.rm::<W, MEM>(bus, op)? as u64;
    let a = cpu.reg_get::<W>(0) as u64;
    let p = a * b;
    store_wide::<B, W>(cpu, p);
    cpu.set_mul_flags::<W>(p as u32, p >> W != 0);
    Ok(())
}

pub(crate) fn imul1<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let b = sext::<W>(cpu.rm::<W, MEM>(bus, op)?);
    let a = sext::<W>(cpu.reg_get::<W>(0));
    let p = a * b;
    store_wide::<B, W>(cpu, p as u64);
    let low = p as u32 & width_mask(W);
    cpu.set_mul_flags::<W>(low, sext::<W>(low) != p);
    Ok(())
}

/// IMUL r, r/m (F = RR or RM) and IMUL r, r/m, imm (the immediate in `imm`,
/// `aux` = 1).
pub(crate) fn imul2<B: Bus, const W: u32, const F: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let s = if F == RM {
        cpu.read_ea::<W>(bus, op)?
    } else {
        cpu.reg_get::<W>(op.r1)
    };
    let (a, b) = if op.aux != 0 {
        (sext::<W>(s), sext::<W>(op.imm & width_mask(W)))
    } else {
        (sext::<W>(cpu.reg_get::<W>(op.r0)), sext::<W>(s))
    };
    let p = a * b;
    let low = p as u32 & width_mask(W);
    cpu.reg_set::<W>(op.r0, low);
    cpu.set_mul_flags::<W>(low, sext::<W>(low) != p);
    Ok(())
}

pub(crate) fn div<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let d = cpu.rm::<W, MEM>(bus, op)? as u64;
    if d == 0 {
        return Err(Fault::DE);
    }
    let n = if W == 8 {
        cpu.reg_get::<16>(0) as u64
    } else {
        (cpu.reg_get::<W>(2) as u64) << W | cpu.reg_get::<W>(0) as u64
    };
    let q = n / d;
    let r = n % d;
    if q > width_mask(W) as u64 {
        return Err(Fault::DE);
    }
    if W == 8 {
        cpu.reg_set::<16>(0, (r as u32) << 8 | q as u32);
    } else {
        cpu.reg_set::<W>(0, q as u32);
        cpu.reg_set::<W>(2, r as u32);
    }
    Ok(())
}

pub(crate) fn idiv<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let d = sext::<W>(cpu.rm::<W, MEM>(bus, op)?);
    if d == 0 {
        return Err(Fault::DE);
    }
    let n: i64 = if W == 8 {
        cpu.reg_get::<16>(0) as u16 as i16 as i64
    } else if W == 16 {
        ((cpu.reg_get::<16>(2) << 16) | cpu.reg_get::<16>(0)) as i32 as i64
    } else {
        ((cpu.regs[2] as u64) << 32 | cpu.regs[0] as u64) as i64
    };
    // i64::MIN / -1 cannot happen: n has at most 64 bits only for W=32,
    // where d = -1 and n = i64::MIN is checked below without dividing.
    if n == i64::MIN && d == -1 {
        return Err(Fault::DE);
    }
    let q = n / d;
    let r = n % d;
    let lim = 1i64 << (W - 1);
    if q >= lim || q < -lim {
        return Err(Fault::DE);
    }
    if W == 8 {
        cpu.reg_set::<16>(0, ((r as u32) & 0xFF) << 8 | (q as u32 & 0xFF));
    } else {
        cpu.reg_set::<W>(0, q as u32);
        cpu.reg_set::<W>(2, r as u32);
    }
    Ok(())
}
