//! Instructions on MMX registers: MMX itself, and the integer additions
//! of SSE (PSHUFW, PINSRW, PEXTRW, PMOVMSKB, PAVG*, PMIN*/PMAX*, PSADBW,
//! PMULHUW, MASKMOVQ, MOVNTQ) and SSE2 (PADDQ, PSUBQ, PMULUDQ) on them.
//! Their prologue is [`Cpu::mmx_check`] (no CR4.OSFXSR check); each ends
//! with the x87-to-MMX transition once nothing can fault any more.
//! Operand fields: `r0` destination, `r1` source register, `imm` imm8.

use super::int;
use crate::bus::Bus;
use crate::cpu::Cpu;
use crate::fault::Result;
use crate::op::Op;

/// mm = mm OP mm/m64 (m32 for PUNPCKL*); shifts take the count from the source.
pub(crate) fn binop<B: Bus, const OP: u8, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.mmx_check()?;
    let b = if !MEM {
        cpu.mm(op.r1)
    } else if int::mmx_src32(OP) {
        cpu.read_m32(bus, op)? as u64
    } else {
        cpu.read_m64(bus, op)?
    };
    let r = int::op::<OP>(cpu.mm(op.r0) as u128, b as u128, 8) as u64;
    cpu.mmx_enter();
    cpu.set_mm(op.r0, r);
    Ok(())
}

/// Shifts by an immediate count.
pub(crate) fn imm<B: Bus, const OP: u8>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.mmx_check()?;
    let r = int::op::<OP>(cpu.mm(op.r0) as u128, (op.imm & 0xFF) as u128, 8) as u64;
    cpu.mmx_enter();
    cpu.set_mm(op.r0, r);
    Ok(())
}

/// EMMS: every x87 register tagged empty.
pub(crate) fn emms<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    cpu.mmx_check()?;
    cpu.fpu.empty = 0xFF;
    Ok(())
}

/// MOVD mm, r/m32 (zero-extended).
pub(crate) fn movd_load<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.mmx_check()?;
    let v = if MEM {
        cpu.read_m32(bus, op)?
    } else {
        cpu.reg_get::<32>(op.r1)
    };
    cpu.mmx_enter();
    cpu.set_mm(op.r0, v as u64);
    Ok(())
}

/// MOVD r/m32, mm.
pub(crate) fn movd_store<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.mmx_check()?;
    let v = cpu.mm(op.r1) as u32;
    if MEM {
        cpu.write_m32(bus, op, v)?;
    } else {
        cpu.reg_set::<32>(op.r0, v);
    }
    cpu.mmx_enter();
    Ok(())
}

/// MOVQ mm, mm/m64.
pub(crate) fn movq_load<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.mmx_check()?;
    let v = if MEM {
        cpu.read_m64(bus, op)?
    } else {
        cpu.mm(op.r1)
    };
    cpu.mmx_enter();
    cpu.set_mm(op.r0, v);
    Ok(())
}

/// MOVQ mm/m64, mm and MOVNTQ m64, mm.
pub(crate) fn movq_store<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.mmx_check()?;
    let v = cpu.mm(op.r1);
    if MEM {
        cpu.write_m64(bus, op, v)?;
    }
    cpu.mmx_enter();
    if !MEM {
        cpu.set_mm(op.r0, v);
    }
    Ok(())
}

/// PSHUFW mm, mm/m64, imm8.
pub(crate) fn pshufw<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.mmx_check()?;
    let src = if MEM {
        cpu.read_m64(bus, op)?
    } else {
        cpu.mm(op.r1)
    };
    let r = int::shuffle4(src as u128, 16, op.imm) as u64;
    cpu.mmx_enter();
    cpu.set_mm(op.r0, r);
    Ok(())
}

/// PINSRW mm, r32/m16, imm8.
pub(crate) fn pinsrw<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.mmx_check()?;
    let w = if MEM {
        cpu.read_ea::<16>(bus, op)?
    } else {
        cpu.reg_get::<16>(op.r1)
    } as u64;
    let sh = 16 * (op.imm & 3);
    let r = (cpu.mm(op.r0) & !(0xFFFF << sh)) | (w << sh);
    cpu.mmx_enter();
    cpu.set_mm(op.r0, r);
    Ok(())
}

/// PEXTRW r32, mm, imm8 (zero-extended).
pub(crate) fn pextrw<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.mmx_check()?;
    let w = (cpu.mm(op.r1) >> (16 * (op.imm & 3))) as u32 & 0xFFFF;
    cpu.reg_set::<32>(op.r0, w);
    cpu.mmx_enter();
    Ok(())
}

/// PMOVMSKB r32, mm.
pub(crate) fn pmovmskb<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.mmx_check()?;
    let m = int::movmskb(cpu.mm(op.r1) as u128, 8);
    cpu.reg_set::<32>(op.r0, m);
    cpu.mmx_enter();
    Ok(())
}

/// MASKMOVQ mm1, mm2: data in `r1`, mask in `r0`, destination DS:[(E)DI].
pub(crate) fn maskmovq<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.mmx_check()?;
    let (v, mask) = (cpu.mm(op.r1), cpu.mm(op.r0));
    cpu.mask_store(bus, op, v as u128, mask as u128, 8)?;
    cpu.mmx_enter();
    Ok(())
}
