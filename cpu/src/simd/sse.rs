//! Floating-point SSE/SSE2 instructions on XMM registers, generic over
//! the format (`D`: double) and scalar/packed (`P`): arithmetic, compares,
//! moves, shuffles, MOVMSK, LDMXCSR/STMXCSR.
//! Operand fields: `r0` destination, `r1` source register, `imm` imm8.

use super::fp::{self, Env};
use super::MXCSR_MASK;
use crate::bus::Bus;
use crate::cpu::Cpu;
use crate::fault::{Fault, Result};
use crate::flags::{FLAG_AF, FLAG_CF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF};
use crate::op::Op;

pub(crate) const ADD: u8 = 0;
pub(crate) const SUB: u8 = 1;
pub(crate) const MUL: u8 = 2;
pub(crate) const DIV: u8 = 3;
pub(crate) const MIN: u8 = 4;
pub(crate) const MAX: u8 = 5;
pub(crate) const SQRT: u8 = 6;
pub(crate) const RCP: u8 = 7;
pub(crate) const RSQRT: u8 = 8;

#[inline(always)]
pub(crate) fn lane<const D: bool>(v: u128, i: usize) -> u64 {
    if D {
        (v >> (64 * i)) as u64
    } else {
        (v >> (32 * i)) as u32 as u64
    }
}

#[inline(always)]
pub(crate) fn set_lane<const D: bool>(v: u128, i: usize, x: u64) -> u128 {
    let (bits, m) = if D {
        (64, u64::MAX as u128)
    } else {
        (32, u32::MAX as u128)
    };
    (v & !(m << (bits * i))) | (((x as u128) & m) << (bits * i))
}

#[inline(always)]
pub(crate) const fn lanes<const D: bool, const P: bool>() -> usize {
    match (P, D) {
        (false, _) => 1,
        (true, true) => 2,
        (true, false) => 4,
    }
}

/// The source of a floating-point operation: a register, or memory of the
/// operation's width (an aligned m128 when packed).
#[inline(always)]
fn fsrc<B: Bus, const D: bool, const P: bool, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<u128> {
    Ok(if !MEM {
        cpu.xmm(op.r1)
    } else if P {
        cpu.read_m128::<true>(bus, op)?
    } else if D {
        cpu.read_m64(bus, op)? as u128
    } else {
        cpu.read_m32(bus, op)? as u128
    })
}

/// ADD/SUB/MUL/DIV/MIN/MAX/SQRT/RCP/RSQRT, PS/SS/PD/SD.
pub(crate) fn arith<B: Bus, const OP: u8, const D: bool, const P: bool, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let b = fsrc::<B, D, P, MEM>(cpu, bus, op)?;
    let a = cpu.xmm(op.r0);
    let mut env = Env::new(cpu.mxcsr());
    let mut r = a;
    for i in 0..lanes::<D, P>() {
        let (x, y) = (lane::<D>(a, i), lane::<D>(b, i));
        let v = match OP {
            ADD => fp::add::<D>(&mut env, x, y, false),
            SUB => fp::add::<D>(&mut env, x, y, true),
            MUL => fp::mul::<D>(&mut env, x, y),
            DIV => fp::div::<D>(&mut env, x, y),
            MIN => fp::minmax::<D, false>(&mut env, x, y),
            MAX => fp::minmax::<D, true>(&mut env, x, y),
            SQRT => fp::sqrt::<D>(&mut env, y),
            RCP => fp::rcp(y as u32) as u64,
            _ => fp::rsqrt(y as u32) as u64,
        };
        r = set_lane::<D>(r, i, v);
    }
    cpu.simd_flags(env.flags)?;
    cpu.set_xmm(op.r0, r);
    Ok(())
}

/// CMPPS/CMPSS/CMPPD/CMPSD with the predicate in imm8 bits 2:0: each lane
/// becomes all ones (true) or zero.
pub(crate) fn cmp<B: Bus, const D: bool, const P: bool, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let b = fsrc::<B, D, P, MEM>(cpu, bus, op)?;
    let a = cpu.xmm(op.r0);
    let mut env = Env::new(cpu.mxcsr());
    let mut r = a;
    for i in 0..lanes::<D, P>() {
        let t = fp::compare::<D>(&mut env, lane::<D>(a, i), lane::<D>(b, i), op.imm);
        r = set_lane::<D>(r, i, if t { u64::MAX } else { 0 });
    }
    cpu.simd_flags(env.flags)?;
    cpu.set_xmm(op.r0, r);
    Ok(())
}

/// COMISS/UCOMISS/COMISD/UCOMISD: ZF, PF, CF from the ordering (all three
/// when unordered); OF, SF, AF cleared.
pub(crate) fn comi<B: Bus, const D: bool, const QUIET: bool, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let b = fsrc::<B, D, false, MEM>(cpu, bus, op)?;
    let a = cpu.xmm(op.r0);
    let mut env = Env::new(cpu.mxcsr());
    let o = fp::comi::<D>(&mut env, lane::<D>(a, 0), lane::<D>(b, 0), QUIET);
    cpu.simd_flags(env.flags)?;
    let v = match o {
        None => FLAG_ZF | FLAG_PF | FLAG_CF,
        Some(0) => FLAG_ZF,
        Some(x) if x < 0 => FLAG_CF,
        Some(_) => 0,
    };
    cpu.write_flags(v, FLAG_ZF | FLAG_PF | FLAG_CF | FLAG_OF | FLAG_SF | FLAG_AF);
    Ok(())
}

/// SHUFPS: two dwords of the destination, then two of the source.
pub(crate) fn shufps<B: Bus, const MEM: bool>(
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
    let a = cpu.xmm(op.r0);
    let s = op.imm;
    let pick = |v: u128, k: u32| lane::<false>(v, ((s >> k) & 3) as usize) as u128;
    let r = pick(a, 0) | pick(a, 2) << 32 | pick(b, 4) << 64 | pick(b, 6) << 96;
    cpu.set_xmm(op.r0, r);
    Ok(())
}

/// SHUFPD: a qword of the destination, then one of the source.
pub(crate) fn shufpd<B: Bus, const MEM: bool>(
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
    let a = cpu.xmm(op.r0);
    let s = op.imm;
    let r = lane::<true>(a, (s & 1) as usize) as u128
        | (lane::<true>(b, ((s >> 1) & 1) as usize) as u128) << 64;
    cpu.set_xmm(op.r0, r);
    Ok(())
}

/// MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU xmm, xmm/m128.
pub(crate) fn mov_load<B: Bus, const ALIGN: bool, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let v = if MEM {
        cpu.read_m128::<ALIGN>(bus, op)?
    } else {
        cpu.xmm(op.r1)
    };
    cpu.set_xmm(op.r0, v);
    Ok(())
}

/// The store forms xmm/m128, xmm, and MOVNTPS/MOVNTPD/MOVNTDQ.
pub(crate) fn mov_store<B: Bus, const ALIGN: bool, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let v = cpu.xmm(op.r1);
    if MEM {
        cpu.write_m128::<ALIGN>(bus, op, v)
    } else {
        cpu.set_xmm(op.r0, v);
        Ok(())
    }
}

/// Partial moves (`K`):
pub(crate) const MOVSS_LOAD: u8 = 0; // xmm <- m32 zero-extended, or low dword of xmm
pub(crate) const MOVSS_STORE: u8 = 1; // m32 <- low dword (register form: as MOVSS_LOAD)
pub(crate) const MOVSD_LOAD: u8 = 2; // xmm <- m64 zero-extended, or low qword of xmm
pub(crate) const MOVSD_STORE: u8 = 3; // m64 <- low qword (register form: as MOVSD_LOAD)
pub(crate) const MOVLPS_LOAD: u8 = 4; // low qword <- m64
pub(crate) const MOVHPS_LOAD: u8 = 5; // high qword <- m64
pub(crate) const MOVLPS_STORE: u8 = 6; // m64 <- low qword
pub(crate) const MOVHPS_STORE: u8 = 7; // m64 <- high qword
pub(crate) const MOVHLPS: u8 = 8; // low qword <- source's high qword
pub(crate) const MOVLHPS: u8 = 9; // high qword <- source's low qword
pub(crate) const MOVQ_LOAD: u8 = 10; // xmm <- m64 or low qword of xmm, zero-extended
pub(crate) const MOVQ_STORE: u8 = 11; // m64 <- low qword; register form zero-extends

const LO: u128 = u64::MAX as u128;

pub(crate) fn mov_part<B: Bus, const K: u8, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let d = cpu.xmm(op.r0);
    let r = match (K, MEM) {
        (MOVSS_LOAD, true) => cpu.read_m32(bus, op)? as u128,
        (MOVSS_LOAD, false) | (MOVSS_STORE, false) => {
            (d & !(u32::MAX as u128)) | (cpu.xmm(op.r1) & u32::MAX as u128)
        }
        (MOVSS_STORE, true) => return cpu.write_m32(bus, op, cpu.xmm(op.r1) as u32),
        (MOVSD_LOAD, true) | (MOVQ_LOAD, true) => cpu.read_m64(bus, op)? as u128,
        (MOVSD_LOAD, false) | (MOVSD_STORE, false) => (d & !LO) | (cpu.xmm(op.r1) & LO),
        (MOVSD_STORE, true) | (MOVLPS_STORE, _) | (MOVQ_STORE, true) => {
            return cpu.write_m64(bus, op, cpu.xmm(op.r1) as u64)
        }
        (MOVLPS_LOAD, _) => (d & !LO) | cpu.read_m64(bus, op)? as u128,
        (MOVHPS_LOAD, _) => (d & LO) | (cpu.read_m64(bus, op)? as u128) << 64,
        (MOVHPS_STORE, _) => return cpu.write_m64(bus, op, (cpu.xmm(op.r1) >> 64) as u64),
        (MOVHLPS, _) => (d & !LO) | (cpu.xmm(op.r1) >> 64),
        (MOVLHPS, _) => (d & LO) | (cpu.xmm(op.r1) << 64),
        _ => cpu.xmm(op.r1) & LO,
    };
    cpu.set_xmm(op.r0, r);
    Ok(())
}

/// MOVMSKPS/MOVMSKPD r32, xmm: the sign bits.
pub(crate) fn movmsk<B: Bus, const D: bool>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.sse_check()?;
    let v = cpu.xmm(op.r1);
    let m = if D {
        ((v >> 63) & 1) as u32 | (((v >> 127) & 1) as u32) << 1
    } else {
        (0..4).fold(0u32, |m, i| m | ((((v >> (32 * i + 31)) & 1) as u32) << i))
    };
    cpu.reg_set::<32>(op.r0, m);
    Ok(())
}

/// LDMXCSR m32: #GP(0) for reserved bits.
pub(crate) fn ldmxcsr<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.sse_check()?;
    let v = cpu.read_m32(bus, op)?;
    if v & !MXCSR_MASK != 0 {
        return Err(Fault::GP0);
    }
    cpu.fpu.sse.mxcsr = v;
    Ok(())
}

pub(crate) fn stmxcsr<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.sse_check()?;
    let v = cpu.mxcsr();
    cpu.write_m32(bus, op, v)
}
