//! Decode-time handler selection for MMX, SSE, SSE2 and CLFLUSH.

use iced_x86::{Instruction, Mnemonic, OpKind, Register};

use super::{int, mmx, sse, sse2};
use crate::bus::Bus;
use crate::op::{Handler, Op, MR, REG_NONE};

fn is_mem(i: &Instruction, n: u32) -> bool {
    n < i.op_count()
        && matches!(
            i.op_kind(n),
            OpKind::Memory | OpKind::MemorySegDI | OpKind::MemorySegEDI | OpKind::MemorySegRDI
        )
}

fn reg(i: &Instruction, n: u32) -> Register {
    if n < i.op_count() && i.op_kind(n) == OpKind::Register {
        i.op_register(n)
    } else {
        Register::None
    }
}

fn is_imm(i: &Instruction, n: u32) -> bool {
    n < i.op_count() && matches!(i.op_kind(n), OpKind::Immediate8)
}

/// A handler generic over `MEM`.
macro_rules! m {
    ($mem:expr, $($f:ident)::+ $(, $g:expr)*) => {
        if $mem { $($f)::+::<B $(, { $g })*, true> as Handler<B> } else { $($f)::+::<B $(, { $g })*, false> as Handler<B> }
    };
}

/// Integer operation on MMX or XMM registers, by register or immediate.
fn int_h<B: Bus, const OP: u8>(i: &Instruction) -> Handler<B> {
    let mmx = reg(i, 0).is_mm();
    let mem = is_mem(i, 1);
    match (mmx, is_imm(i, 1)) {
        (true, true) => mmx::imm::<B, OP>,
        (false, true) => sse2::imm::<B, OP>,
        (true, false) => m!(mem, mmx::binop, OP),
        (false, false) => m!(mem, sse2::binop, OP),
    }
}

/// Floating-point arithmetic: `D` double, `P` packed.
fn fa<B: Bus, const OP: u8, const D: bool, const P: bool>(i: &Instruction) -> Handler<B> {
    m!(is_mem(i, 1), sse::arith, OP, D, P)
}

fn cvt_h<B: Bus, const K: u8>(i: &Instruction) -> Handler<B> {
    m!(is_mem(i, 1), sse2::cvt, K)
}

fn part<B: Bus, const K: u8>(mem: bool) -> Handler<B> {
    m!(mem, sse::mov_part, K)
}

/// The handler of an instruction [`super::handles`] accepted (#UD for
/// the few encodings of those sets that have none, such as PEXTRW with a
/// memory operand, which SSE4.1 added).
pub(crate) fn select<B: Bus>(i: &Instruction, o: &mut Op<B>) -> Handler<B> {
    pick(i, o).unwrap_or(crate::system::ud::<B>)
}

pub(crate) fn pick<B: Bus>(i: &Instruction, o: &mut Op<B>) -> Option<Handler<B>> {
    use int::*;
    use sse::{ADD, DIV, MAX, MIN, MUL, RCP, RSQRT, SQRT, SUB};
    use Mnemonic as M;
    let mem0 = is_mem(i, 0);
    let mem1 = is_mem(i, 1);
    let mmx0 = reg(i, 0).is_mm();
    Some(match i.mnemonic() {
        // Integer SIMD, MMX and XMM.
        M::Paddb => int_h::<B, PADDB>(i),
        M::Paddw => int_h::<B, PADDW>(i),
        M::Paddd => int_h::<B, PADDD>(i),
        M::Paddq => int_h::<B, PADDQ>(i),
        M::Psubb => int_h::<B, PSUBB>(i),
        M::Psubw => int_h::<B, PSUBW>(i),
        M::Psubd => int_h::<B, PSUBD>(i),
        M::Psubq => int_h::<B, PSUBQ>(i),
        M::Paddsb => int_h::<B, PADDSB>(i),
        M::Paddsw => int_h::<B, PADDSW>(i),
        M::Paddusb => int_h::<B, PADDUSB>(i),
        M::Paddusw => int_h::<B, PADDUSW>(i),
        M::Psubsb => int_h::<B, PSUBSB>(i),
        M::Psubsw => int_h::<B, PSUBSW>(i),
        M::Psubusb => int_h::<B, PSUBUSB>(i),
        M::Psubusw => int_h::<B, PSUBUSW>(i),
        M::Pcmpeqb => int_h::<B, PCMPEQB>(i),
        M::Pcmpeqw => int_h::<B, PCMPEQW>(i),
        M::Pcmpeqd => int_h::<B, PCMPEQD>(i),
        M::Pcmpgtb => int_h::<B, PCMPGTB>(i),
        M::Pcmpgtw => int_h::<B, PCMPGTW>(i),
        M::Pcmpgtd => int_h::<B, PCMPGTD>(i),
        M::Pand | M::Andps | M::Andpd => int_h::<B, PAND>(i),
        M::Pandn | M::Andnps | M::Andnpd => int_h::<B, PANDN>(i),
        M::Por | M::Orps | M::Orpd => int_h::<B, POR>(i),
        M::Pxor | M::Xorps | M::Xorpd => int_h::<B, PXOR>(i),
        M::Pmullw => int_h::<B, PMULLW>(i),
        M::Pmulhw => int_h::<B, PMULHW>(i),
        M::Pmulhuw => int_h::<B, PMULHUW>(i),
        M::Pmaddwd => int_h::<B, PMADDWD>(i),
        M::Pmuludq => int_h::<B, PMULUDQ>(i),
        M::Pavgb => int_h::<B, PAVGB>(i),
        M::Pavgw => int_h::<B, PAVGW>(i),
        M::Pminub => int_h::<B, PMINUB>(i),
        M::Pmaxub => int_h::<B, PMAXUB>(i),
        M::Pminsw => int_h::<B, PMINSW>(i),
        M::Pmaxsw => int_h::<B, PMAXSW>(i),
        M::Psadbw => int_h::<B, PSADBW>(i),
        M::Packsswb => int_h::<B, PACKSSWB>(i),
        M::Packssdw => int_h::<B, PACKSSDW>(i),
        M::Packuswb => int_h::<B, PACKUSWB>(i),
        M::Punpcklbw => int_h::<B, PUNPCKLBW>(i),
        M::Punpcklwd => int_h::<B, PUNPCKLWD>(i),
        M::Punpckldq | M::Unpcklps => int_h::<B, PUNPCKLDQ>(i),
        M::Punpcklqdq | M::Unpcklpd => int_h::<B, PUNPCKLQDQ>(i),
        M::Punpckhbw => int_h::<B, PUNPCKHBW>(i),
        M::Punpckhwd => int_h::<B, PUNPCKHWD>(i),
        M::Punpckhdq | M::Unpckhps => int_h::<B, PUNPCKHDQ>(i),
        M::Punpckhqdq | M::Unpckhpd => int_h::<B, PUNPCKHQDQ>(i),
        M::Psrlw => int_h::<B, PSRLW>(i),
        M::Psrld => int_h::<B, PSRLD>(i),
        M::Psrlq => int_h::<B, PSRLQ>(i),
        M::Psraw => int_h::<B, PSRAW>(i),
        M::Psrad => int_h::<B, PSRAD>(i),
        M::Psllw => int_h::<B, PSLLW>(i),
        M::Pslld => int_h::<B, PSLLD>(i),
        M::Psllq => int_h::<B, PSLLQ>(i),
        M::Psrldq => int_h::<B, PSRLDQ>(i),
        M::Pslldq => int_h::<B, PSLLDQ>(i),
        M::Pshufw => m!(mem1, mmx::pshufw),
        M::Pshufd => m!(mem1, sse2::pshuf, sse2::PSHUFD),
        M::Pshufhw => m!(mem1, sse2::pshuf, sse2::PSHUFHW),
        M::Pshuflw => m!(mem1, sse2::pshuf, sse2::PSHUFLW),
        M::Pinsrw if mmx0 => m!(mem1, mmx::pinsrw),
        M::Pinsrw => m!(mem1, sse2::pinsrw),
        M::Pextrw if reg(i, 1).is_mm() => mmx::pextrw::<B>,
        M::Pextrw if reg(i, 1).is_xmm() => sse2::pextrw::<B>,
        M::Pmovmskb if reg(i, 1).is_mm() => mmx::pmovmskb::<B>,
        M::Pmovmskb => sse2::pmovmskb::<B>,
        M::Maskmovq | M::Maskmovdqu => {
            // DS:[(E)DI] (segment overridable), the mask register third.
            o.base = 7;
            o.index = REG_NONE;
            o.scale = 0;
            o.disp = 0;
            o.r0 = reg(i, 2).number() as u8;
            if i.mnemonic() == M::Maskmovq {
                mmx::maskmovq::<B>
            } else {
                sse2::maskmovdqu::<B>
            }
        }
        M::Emms => mmx::emms::<B>,

        // Moves.
        M::Movd if mmx0 => m!(mem1, mmx::movd_load),
        M::Movd if reg(i, 1).is_mm() => m!(mem0, mmx::movd_store),
        M::Movd if reg(i, 0).is_xmm() => m!(mem1, sse2::movd_load),
        M::Movd => m!(mem0, sse2::movd_store),
        M::Movq if mmx0 => m!(mem1, mmx::movq_load),
        M::Movq if reg(i, 1).is_mm() => m!(mem0, mmx::movq_store),
        M::Movq if reg(i, 0).is_xmm() && (mem1 || reg(i, 1).is_xmm()) && !is_store_form(i) => {
            part::<B, { sse::MOVQ_LOAD }>(mem1)
        }
        M::Movq => part::<B, { sse::MOVQ_STORE }>(mem0),
        M::Movntq => mmx::movq_store::<B, true>,
        M::Movq2dq => sse2::movq2dq::<B>,
        M::Movdq2q => sse2::movdq2q::<B>,
        M::Movaps | M::Movapd | M::Movdqa if mem0 => sse::mov_store::<B, true, true>,
        M::Movaps | M::Movapd | M::Movdqa => m!(mem1, sse::mov_load, true),
        M::Movups | M::Movupd | M::Movdqu if mem0 => sse::mov_store::<B, false, true>,
        M::Movups | M::Movupd | M::Movdqu => {
            if is_store_form(i) {
                sse::mov_store::<B, false, false>
            } else {
                m!(mem1, sse::mov_load, false)
            }
        }
        M::Movntps | M::Movntpd | M::Movntdq => sse::mov_store::<B, true, true>,
        M::Movnti => crate::data::mov::<B, 32, MR>,
        M::Movss if mem0 || is_store_form(i) => part::<B, { sse::MOVSS_STORE }>(mem0),
        M::Movss => part::<B, { sse::MOVSS_LOAD }>(mem1),
        M::Movsd if mem0 || is_store_form(i) => part::<B, { sse::MOVSD_STORE }>(mem0),
        M::Movsd => part::<B, { sse::MOVSD_LOAD }>(mem1),
        M::Movlps | M::Movlpd if mem0 => part::<B, { sse::MOVLPS_STORE }>(true),
        M::Movlps | M::Movlpd => part::<B, { sse::MOVLPS_LOAD }>(true),
        M::Movhps | M::Movhpd if mem0 => part::<B, { sse::MOVHPS_STORE }>(true),
        M::Movhps | M::Movhpd => part::<B, { sse::MOVHPS_LOAD }>(true),
        M::Movhlps => part::<B, { sse::MOVHLPS }>(false),
        M::Movlhps => part::<B, { sse::MOVLHPS }>(false),
        M::Movmskps => sse::movmsk::<B, false>,
        M::Movmskpd => sse::movmsk::<B, true>,

        // Floating-point arithmetic.
        M::Addps => fa::<B, ADD, false, true>(i),
        M::Addss => fa::<B, ADD, false, false>(i),
        M::Addpd => fa::<B, ADD, true, true>(i),
        M::Addsd => fa::<B, ADD, true, false>(i),
        M::Subps => fa::<B, SUB, false, true>(i),
        M::Subss => fa::<B, SUB, false, false>(i),
        M::Subpd => fa::<B, SUB, true, true>(i),
        M::Subsd => fa::<B, SUB, true, false>(i),
        M::Mulps => fa::<B, MUL, false, true>(i),
        M::Mulss => fa::<B, MUL, false, false>(i),
        M::Mulpd => fa::<B, MUL, true, true>(i),
        M::Mulsd => fa::<B, MUL, true, false>(i),
        M::Divps => fa::<B, DIV, false, true>(i),
        M::Divss => fa::<B, DIV, false, false>(i),
        M::Divpd => fa::<B, DIV, true, true>(i),
        M::Divsd => fa::<B, DIV, true, false>(i),
        M::Minps => fa::<B, MIN, false, true>(i),
        M::Minss => fa::<B, MIN, false, false>(i),
        M::Minpd => fa::<B, MIN, true, true>(i),
        M::Minsd => fa::<B, MIN, true, false>(i),
        M::Maxps => fa::<B, MAX, false, true>(i),
        M::Maxss => fa::<B, MAX, false, false>(i),
        M::Maxpd => fa::<B, MAX, true, true>(i),
        M::Maxsd => fa::<B, MAX, true, false>(i),
        M::Sqrtps => fa::<B, SQRT, false, true>(i),
        M::Sqrtss => fa::<B, SQRT, false, false>(i),
        M::Sqrtpd => fa::<B, SQRT, true, true>(i),
        M::Sqrtsd => fa::<B, SQRT, true, false>(i),
        M::Rcpps => fa::<B, RCP, false, true>(i),
        M::Rcpss => fa::<B, RCP, false, false>(i),
        M::Rsqrtps => fa::<B, RSQRT, false, true>(i),
        M::Rsqrtss => fa::<B, RSQRT, false, false>(i),
        M::Cmpps => m!(mem1, sse::cmp, false, true),
        M::Cmpss => m!(mem1, sse::cmp, false, false),
        M::Cmppd => m!(mem1, sse::cmp, true, true),
        M::Cmpsd => m!(mem1, sse::cmp, true, false),
        M::Comiss => m!(mem1, sse::comi, false, false),
        M::Ucomiss => m!(mem1, sse::comi, false, true),
        M::Comisd => m!(mem1, sse::comi, true, false),
        M::Ucomisd => m!(mem1, sse::comi, true, true),
        M::Shufps => m!(mem1, sse::shufps),
        M::Shufpd => m!(mem1, sse::shufpd),

        // Conversions.
        M::Cvtpi2ps => cvt_h::<B, { sse2::PI2PS }>(i),
        M::Cvtpi2pd => cvt_h::<B, { sse2::PI2PD }>(i),
        M::Cvtsi2ss => cvt_h::<B, { sse2::SI2SS }>(i),
        M::Cvtsi2sd => cvt_h::<B, { sse2::SI2SD }>(i),
        M::Cvtps2pi => cvt_h::<B, { sse2::PS2PI }>(i),
        M::Cvttps2pi => cvt_h::<B, { sse2::TPS2PI }>(i),
        M::Cvtpd2pi => cvt_h::<B, { sse2::PD2PI }>(i),
        M::Cvttpd2pi => cvt_h::<B, { sse2::TPD2PI }>(i),
        M::Cvtss2si => cvt_h::<B, { sse2::SS2SI }>(i),
        M::Cvttss2si => cvt_h::<B, { sse2::TSS2SI }>(i),
        M::Cvtsd2si => cvt_h::<B, { sse2::SD2SI }>(i),
        M::Cvttsd2si => cvt_h::<B, { sse2::TSD2SI }>(i),
        M::Cvtps2pd => cvt_h::<B, { sse2::PS2PD }>(i),
        M::Cvtpd2ps => cvt_h::<B, { sse2::PD2PS }>(i),
        M::Cvtss2sd => cvt_h::<B, { sse2::SS2SD }>(i),
        M::Cvtsd2ss => cvt_h::<B, { sse2::SD2SS }>(i),
        M::Cvtdq2ps => cvt_h::<B, { sse2::DQ2PS }>(i),
        M::Cvtps2dq => cvt_h::<B, { sse2::PS2DQ }>(i),
        M::Cvttps2dq => cvt_h::<B, { sse2::TPS2DQ }>(i),
        M::Cvtdq2pd => cvt_h::<B, { sse2::DQ2PD }>(i),
        M::Cvtpd2dq => cvt_h::<B, { sse2::PD2DQ }>(i),
        M::Cvttpd2dq => cvt_h::<B, { sse2::TPD2DQ }>(i),

        // MXCSR, hints, ordering, cache control.
        M::Ldmxcsr => sse::ldmxcsr::<B>,
        M::Stmxcsr => sse::stmxcsr::<B>,
        M::Prefetchnta | M::Prefetcht0 | M::Prefetcht1 | M::Prefetcht2 => super::nop::<B>,
        M::Sfence | M::Lfence | M::Mfence => super::nop::<B>,
        M::Clflush => super::clflush::<B>,
        _ => return None,
    })
}

/// Register-to-register encodings of the store opcodes (0F 11, 0F 29,
/// 0F 7F, 66 0F D6): operand 0 is the ModR/M r/m register.
fn is_store_form(i: &Instruction) -> bool {
    use iced_x86::Code as C;
    matches!(
        i.code(),
        C::Movups_xmmm128_xmm
            | C::Movupd_xmmm128_xmm
            | C::Movss_xmmm32_xmm
            | C::Movsd_xmmm64_xmm
            | C::Movdqu_xmmm128_xmm
            | C::Movq_xmmm64_xmm
    )
}
