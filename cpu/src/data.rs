//! Data movement: MOV, MOVZX/MOVSX, XCHG, LEA, LDS/LES/LFS/LGS/LSS, XLAT,
//! LAHF/SAHF, CBW/CWDE/CWD/CDQ, BSWAP, SETcc, SALC, CMPXCHG, XADD.

use crate::bus::Bus;
use crate::cpu::{Cpu, SegReg};
use crate::fault::Result;
use crate::flags::{width_mask, LazyOp, ARITH};
use crate::op::Op;

pub(crate) fn mov<B: Bus, const W: u32, const F: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let v = cpu.src::<W, F>(bus, op)?;
    cpu.set_dst::<W, F>(bus, op, v)
}

/// MOV Sreg, r/m16 (segment in `r0`, source register in `r1`).
pub(crate) fn mov_sreg_load<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let v = if MEM {
        cpu.read_ea::<16>(bus, op)?
    } else {
        cpu.reg_get::<16>(op.r1)
    };
    cpu.load_seg(bus, op.r0, v as u16)?;
    if op.r0 == SegReg::Ss as u8 {
        cpu.irq_shadow = cpu.icount;
        cpu.ss_shadow = true;
        cpu.stop_block = true;
    }
    Ok(())
}

/// MOV r/m, Sreg (destination register in `r0`, segment in `r1`). A
/// register destination with a 32-bit operand gets the selector zero-extended.
pub(crate) fn mov_sreg_store<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let v = cpu.seg[op.r1 as usize % 6].selector as u32;
    if MEM {
        cpu.write_ea::<16>(bus, op, v)
    } else {
        cpu.reg_set::<W>(op.r0, v);
        Ok(())
    }
}

pub(crate) fn movzx<B: Bus, const W: u32, const S: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let v = if MEM {
        cpu.read_ea::<S>(bus, op)?
    } else {
        cpu.reg_get::<S>(op.r1)
    };
    cpu.reg_set::<W>(op.r0, v);
    Ok(())
}

pub(crate) fn movsx<B: Bus, const W: u32, const S: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let v = if MEM {
        cpu.read_ea::<S>(bus, op)?
    } else {
        cpu.reg_get::<S>(op.r1)
    };
    let v = if S == 8 {
        v as u8 as i8 as i32 as u32
    } else {
        v as u16 as i16 as i32 as u32
    };
    cpu.reg_set::<W>(op.r0, v);
    Ok(())
}

/// XCHG: operand 0 is r/m (register `r0` or memory), operand 1 the register `r1`.
pub(crate) fn xchg<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let a = cpu.rm_rmw::<W, MEM>(bus, op)?;
    let b = cpu.reg_get::<W>(op.r1);
    cpu.set_rm::<W, MEM>(bus, op, b)?;
    cpu.reg_set::<W>(op.r1, a);
    Ok(())
}

pub(crate) fn lea<B: Bus, const W: u32>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    let a = cpu.ea(op);
    cpu.reg_set::<W>(op.r0, a);
    Ok(())
}

/// LDS/LES/LFS/LGS/LSS: segment in `aux`.
pub(crate) fn load_far<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let off = cpu.ea(op);
    let v = cpu.read::<W>(bus, op.seg, off)?;
    let sel = cpu.read::<16>(bus, op.seg, off.wrapping_add(W / 8) & op.amask)?;
    cpu.load_seg(bus, op.aux, sel as u16)?;
    cpu.reg_set::<W>(op.r0, v);
    if op.aux == SegReg::Ss as u8 {
        cpu.irq_shadow = cpu.icount;
        cpu.stop_block = true;
    }
    Ok(())
}

pub(crate) fn xlat<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    let off = cpu.regs[3].wrapping_add(cpu.regs[0] & 0xFF) & op.amask;
    let v = cpu.read::<8>(bus, op.seg, off)?;
    cpu.reg_set::<8>(0, v);
    Ok(())
}

pub(crate) fn lahf<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    let f = cpu.eflags() & 0xFF;
    cpu.reg_set::<8>(4, f);
    Ok(())
}

pub(crate) fn sahf<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    let ah = cpu.reg_get::<8>(4);
    cpu.write_flags(ah, ARITH & 0xFF);
    Ok(())
}

/// CBW (W=16) / CWDE (W=32).
pub(crate) fn cbw<B: Bus, const W: u32>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    let v = if W == 16 {
        cpu.regs[0] as u8 as i8 as i32 as u32
    } else {
        cpu.regs[0] as u16 as i16 as i32 as u32
    };
    cpu.reg_set::<W>(0, v);
    Ok(())
}

/// CWD (W=16) / CDQ (W=32).
pub(crate) fn cwd<B: Bus, const W: u32>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    let neg = cpu.reg_get::<W>(0) & (1 << (W - 1)) != 0;
    cpu.reg_set::<W>(2, if neg { u32::MAX } else { 0 });
    Ok(())
}

/// BSWAP r32 (a 16-bit operand size is undefined; it clears the register
/// half as P6 cores do).
pub(crate) fn bswap<B: Bus, const W: u32>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    if W == 16 {
        cpu.reg_set::<16>(op.r0, 0);
    } else {
        let r = &mut cpu.regs[op.r0 as usize & 7];
        *r = r.swap_bytes();
    }
    Ok(())
}

pub(crate) fn setcc<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let v = cpu.cond(op.aux) as u32;
    cpu.set_rm::<8, MEM>(bus, op, v)
}

/// SALC (D6): AL = CF ? 0xFF : 0.
pub(crate) fn salc<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    let v = if cpu.cf() { 0xFF } else { 0 };
    cpu.reg_set::<8>(0, v);
    Ok(())
}

/// CMPXCHG r/m, r: compare with the accumulator. Memory is always written
/// (the old value back on a mismatch), as the locked bus cycle does.
pub(crate) fn cmpxchg<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let d = cpu.rm_rmw::<W, MEM>(bus, op)?;
    let acc = cpu.reg_get::<W>(0);
    let r = acc.wrapping_sub(d) & width_mask(W);
    if acc == d {
        let s = cpu.reg_get::<W>(op.r1);
        cpu.set_rm::<W, MEM>(bus, op, s)?;
    } else {
        cpu.set_rm::<W, MEM>(bus, op, d)?;
        cpu.reg_set::<W>(0, d);
    }
    cpu.set_lazy(LazyOp::Sub, W, acc, d, r);
    Ok(())
}

pub(crate) fn xadd<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let d = cpu.rm_rmw::<W, MEM>(bus, op)?;
    let s = cpu.reg_get::<W>(op.r1);
    let r = d.wrapping_add(s) & width_mask(W);
    if MEM {
        cpu.write_ea::<W>(bus, op, r)?;
        cpu.reg_set::<W>(op.r1, d);
    } else {
        cpu.reg_set::<W>(op.r1, d);
        cpu.reg_set::<W>(op.r0, r);
    }
    cpu.set_lazy(LazyOp::Add, W, d, s, r);
    Ok(())
}

/// CMOVcc r, r/m: the source is read (and may fault) even when the
/// condition is false, as on P6 cores.
pub(crate) fn cmov<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let v = if MEM {
        cpu.read_ea::<W>(bus, op)?
    } else {
        cpu.reg_get::<W>(op.r1)
    };
    if cpu.cond(op.aux) {
        cpu.reg_set::<W>(op.r0, v);
    }
    Ok(())
}

/// CMPXCHG8B m64.
pub(crate) fn cmpxchg8b<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    let off = cpu.ea(op);
    let hi_off = off.wrapping_add(4) & op.amask;
    cpu.linear_w::<32>(op.seg, off)?;
    cpu.linear_w::<32>(op.seg, hi_off)?;
    let lo = cpu.read::<32>(bus, op.seg, off)?;
    let hi = cpu.read::<32>(bus, op.seg, hi_off)?;
    let equal = lo == cpu.regs[0] && hi == cpu.regs[2];
    let (nlo, nhi) = if equal {
        (cpu.regs[3], cpu.regs[1])
    } else {
        (lo, hi)
    };
    cpu.write::<32>(bus, op.seg, off, nlo)?;
    cpu.write::<32>(bus, op.seg, hi_off, nhi)?;
    if !equal {
        cpu.regs[0] = lo;
        cpu.regs[2] = hi;
    }
    cpu.set_flag(crate::flags::FLAG_ZF, equal);
    Ok(())
}
