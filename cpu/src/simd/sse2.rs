//! The conversions of SSE and SSE2 and the 128-bit integer instructions
//! of SSE2. Operand fields: `r0` destination, `r1` source register,
//! `imm` imm8.

use super::fp::{self, Env};
use super::int;
use super::sse::{lane, set_lane};
use crate::bus::Bus;
use crate::cpu::Cpu;
use crate::fault::Result;
use crate::op::Op;

// ---------------------------------------------------------------------------
// Integer

/// xmm = xmm OP xmm/m128 (aligned); also ANDPS/ORPS/... and UNPCK*PS/PD,
/// which are the same bit operations.
pub(crate) fn binop<B: Bus, const OP: u8, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let b = if MEM {
        cpu.read_m128::<true>(bus, op)?
    } else {
        cpu.xmm(op.r1)
    };
    let r = int::op::<OP>(cpu.xmm(op.r0), b, 16);
    cpu.set_xmm(op.r0, r);
    Ok(())
}

/// Shifts (and PSLLDQ/PSRLDQ) by an immediate count.
pub(crate) fn imm<B: Bus, const OP: u8>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.sse_check()?;
    let r = int::op::<OP>(cpu.xmm(op.r0), (op.imm & 0xFF) as u128, 16);
    cpu.set_xmm(op.r0, r);
    Ok(())
}

pub(crate) const PSHUFD: u8 = 0;
pub(crate) const PSHUFHW: u8 = 1;
pub(crate) const PSHUFLW: u8 = 2;

pub(crate) fn pshuf<B: Bus, const K: u8, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let src = if MEM {
        cpu.read_m128::<true>(bus, op)?
    } else {
        cpu.xmm(op.r1)
    };
    let r = match K {
        PSHUFD => int::shuffle4(src, 32, op.imm),
        PSHUFHW => int::shuffle_half(src, op.imm, true),
        _ => int::shuffle_half(src, op.imm, false),
    };
    cpu.set_xmm(op.r0, r);
    Ok(())
}

/// MOVD xmm, r/m32 (zero-extended to 128 bits).
pub(crate) fn movd_load<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let v = if MEM {
        cpu.read_m32(bus, op)?
    } else {
        cpu.reg_get::<32>(op.r1)
    };
    cpu.set_xmm(op.r0, v as u128);
    Ok(())
}

/// MOVD r/m32, xmm.
pub(crate) fn movd_store<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let v = cpu.xmm(op.r1) as u32;
    if MEM {
        cpu.write_m32(bus, op, v)
    } else {
        cpu.reg_set::<32>(op.r0, v);
        Ok(())
    }
}

/// MOVQ2DQ xmm, mm.
pub(crate) fn movq2dq<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.sse_mmx_check()?;
    let v = cpu.mm(op.r1);
    cpu.mmx_enter();
    cpu.set_xmm(op.r0, v as u128);
    Ok(())
}

/// MOVDQ2Q mm, xmm.
pub(crate) fn movdq2q<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.sse_mmx_check()?;
    let v = cpu.xmm(op.r1) as u64;
    cpu.mmx_enter();
    cpu.set_mm(op.r0, v);
    Ok(())
}

/// PINSRW xmm, r32/m16, imm8.
pub(crate) fn pinsrw<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let w = if MEM {
        cpu.read_ea::<16>(bus, op)?
    } else {
        cpu.reg_get::<16>(op.r1)
    } as u128;
    let sh = 16 * (op.imm & 7);
    let r = (cpu.xmm(op.r0) & !(0xFFFF << sh)) | (w << sh);
    cpu.set_xmm(op.r0, r);
    Ok(())
}

/// PEXTRW r32, xmm, imm8.
pub(crate) fn pextrw<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.sse_check()?;
    let w = (cpu.xmm(op.r1) >> (16 * (op.imm & 7))) as u32 & 0xFFFF;
    cpu.reg_set::<32>(op.r0, w);
    Ok(())
}

/// PMOVMSKB r32, xmm.
pub(crate) fn pmovmskb<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.sse_check()?;
    let m = int::movmskb(cpu.xmm(op.r1), 16);
    cpu.reg_set::<32>(op.r0, m);
    Ok(())
}

/// MASKMOVDQU xmm1, xmm2: data in `r1`, mask in `r0`.
pub(crate) fn maskmovdqu<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.sse_check()?;
    let (v, mask) = (cpu.xmm(op.r1), cpu.xmm(op.r0));
    cpu.mask_store(bus, op, v, mask, 16)
}

// ---------------------------------------------------------------------------
// Conversions

pub(crate) const PI2PS: u8 = 0;
pub(crate) const PI2PD: u8 = 1;
pub(crate) const SI2SS: u8 = 2;
pub(crate) const SI2SD: u8 = 3;
pub(crate) const PS2PI: u8 = 4;
pub(crate) const TPS2PI: u8 = 5;
pub(crate) const PD2PI: u8 = 6;
pub(crate) const TPD2PI: u8 = 7;
pub(crate) const SS2SI: u8 = 8;
pub(crate) const TSS2SI: u8 = 9;
pub(crate) const SD2SI: u8 = 10;
pub(crate) const TSD2SI: u8 = 11;
pub(crate) const PS2PD: u8 = 12;
pub(crate) const PD2PS: u8 = 13;
pub(crate) const SS2SD: u8 = 14;
pub(crate) const SD2SS: u8 = 15;
pub(crate) const DQ2PS: u8 = 16;
pub(crate) const PS2DQ: u8 = 17;
pub(crate) const TPS2DQ: u8 = 18;
pub(crate) const DQ2PD: u8 = 19;
pub(crate) const PD2DQ: u8 = 20;
pub(crate) const TPD2DQ: u8 = 21;

/// Source operand shapes.
const S_MM: u8 = 0; // mm/m64: two dwords
const S_R32: u8 = 1; // r/m32
const S_M32: u8 = 2; // xmm/m32
const S_M64: u8 = 3; // xmm/m64
const S_M128: u8 = 4; // xmm/m128, aligned

const fn src_shape(k: u8) -> u8 {
    match k {
        PI2PS | PI2PD => S_MM,
        SI2SS | SI2SD => S_R32,
        SS2SI | TSS2SI | SS2SD => S_M32,
        PS2PI | TPS2PI | SD2SI | TSD2SI | PS2PD | SD2SS | DQ2PD => S_M64,
        _ => S_M128,
    }
}

/// Destination shapes.
const D_XMM: u8 = 0;
const D_MM: u8 = 1;
const D_R32: u8 = 2;

const fn dst_shape(k: u8) -> u8 {
    match k {
        PS2PI | TPS2PI | PD2PI | TPD2PI => D_MM,
        SS2SI | TSS2SI | SD2SI | TSD2SI => D_R32,
        _ => D_XMM,
    }
}

/// Every CVT* form. Instructions with an MMX register operand check for a
/// pending x87 exception and make the MMX transition; the memory forms of
/// CVTPI2PS/CVTPI2PD do neither.
pub(crate) fn cvt<B: Bus, const K: u8, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let mmx = dst_shape(K) == D_MM || (src_shape(K) == S_MM && !MEM);
    if mmx {
        cpu.sse_mmx_check()?;
    } else {
        cpu.sse_check()?;
    }
    let s: u128 = match (src_shape(K), MEM) {
        (S_MM, false) => cpu.mm(op.r1) as u128,
        (S_R32, false) => cpu.reg_get::<32>(op.r1) as u128,
        (S_R32, true) | (S_M32, true) => cpu.read_m32(bus, op)? as u128,
        (S_MM, true) | (S_M64, true) => cpu.read_m64(bus, op)? as u128,
        (S_M128, true) => cpu.read_m128::<true>(bus, op)?,
        _ => cpu.xmm(op.r1),
    };
    let d = cpu.xmm(op.r0);
    let mut env = Env::new(cpu.mxcsr());
    let e = &mut env;
    let i32_of = |v: u128, i: usize| (v >> (32 * i)) as u32 as i32;
    let r: u128 = match K {
        PI2PS => {
            (d & !(u64::MAX as u128))
                | fp::from_i32::<false>(e, i32_of(s, 0)) as u128
                | (fp::from_i32::<false>(e, i32_of(s, 1)) as u128) << 32
        }
        PI2PD | DQ2PD => {
            fp::from_i32::<true>(e, i32_of(s, 0)) as u128
                | (fp::from_i32::<true>(e, i32_of(s, 1)) as u128) << 64
        }
        SI2SS => set_lane::<false>(d, 0, fp::from_i32::<false>(e, s as u32 as i32)),
        SI2SD => set_lane::<true>(d, 0, fp::from_i32::<true>(e, s as u32 as i32)),
        PS2PI | TPS2PI | PS2DQ | TPS2DQ => {
            let t = K == TPS2PI || K == TPS2DQ;
            let n = if K == PS2DQ || K == TPS2DQ { 4 } else { 2 };
            let mut r = 0u128;
            for i in 0..n {
                r |= (fp::to_i32::<false>(e, lane::<false>(s, i), t) as u128) << (32 * i);
            }
            r
        }
        PD2PI | TPD2PI | PD2DQ | TPD2DQ => {
            let t = K == TPD2PI || K == TPD2DQ;
            fp::to_i32::<true>(e, lane::<true>(s, 0), t) as u128
                | (fp::to_i32::<true>(e, lane::<true>(s, 1), t) as u128) << 32
        }
        SS2SI | TSS2SI => fp::to_i32::<false>(e, lane::<false>(s, 0), K == TSS2SI) as u128,
        SD2SI | TSD2SI => fp::to_i32::<true>(e, lane::<true>(s, 0), K == TSD2SI) as u128,
        PS2PD => {
            fp::f32_to_f64(e, s as u32) as u128
                | (fp::f32_to_f64(e, (s >> 32) as u32) as u128) << 64
        }
        PD2PS => {
            fp::f64_to_f32(e, s as u64) as u128
                | (fp::f64_to_f32(e, (s >> 64) as u64) as u128) << 32
        }
        SS2SD => set_lane::<true>(d, 0, fp::f32_to_f64(e, s as u32)),
        SD2SS => set_lane::<false>(d, 0, fp::f64_to_f32(e, s as u64) as u64),
        _ => {
            let mut r = 0u128;
            for i in 0..4 {
                r |= (fp::from_i32::<false>(e, i32_of(s, i)) as u128) << (32 * i);
            }
            r
        }
    };
    cpu.simd_flags(env.flags)?;
    if mmx {
        cpu.mmx_enter();
    }
    match dst_shape(K) {
        D_MM => cpu.set_mm(op.r0, r as u64),
        D_R32 => cpu.reg_set::<32>(op.r0, r as u32),
        _ => cpu.set_xmm(op.r0, r),
    }
    Ok(())
}
