//! x87 instruction handlers and their decode-time selection.
//!
//! Every handler first checks CR0 (EM or TS: #NM), then, for the waiting
//! instructions, a pending unmasked exception (#MF or FERR#), then reads
//! its memory operand (a fault leaves the FPU untouched), computes in a
//! [`Ctx`], and only then writes memory and commits the FPU state.
//! Handler operand fields: `r0` holds the ST(i) index of register forms,
//! `aux` the condition of FCMOVcc, `imm2` the 11-bit FOP.

use iced_x86::{Code, Instruction, Register};

use super::softfloat::{self as sf, Class, Cmp, Ctx, DE, F80, IE, OE, UE, ZE};
use super::transcendental as tr;
use super::{SW_ES, SW_SF};
use crate::bus::Bus;
use crate::cpu::{Cpu, SegReg, CR0_EM, CR0_MP, CR0_NE, CR0_TS};
use crate::exec::Exit;
use crate::fault::{Exception, Fault, Result};
use crate::flags::{FLAG_AF, FLAG_CF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_VM, FLAG_ZF};
use crate::op::{Handler, Op};

const NM: Fault = Fault::new(Exception::DeviceNotAvailable);
const MF: Fault = Fault::new(Exception::FloatingPoint);

/// Memory operand formats.
const M32: u8 = 0;
const M64: u8 = 1;
const M80: u8 = 2;
const I16: u8 = 3;
const I32: u8 = 4;
const I64: u8 = 5;
const BCD: u8 = 6;

/// Arithmetic kinds (the ModR/M reg field of D8/DC).
const ADD: u8 = 0;
const MUL: u8 = 1;
const SUB: u8 = 4;
const SUBR: u8 = 5;
const DIV: u8 = 6;
const DIVR: u8 = 7;

/// The FOP field from an instruction's bytes: the low 3 bits of the escape
/// opcode and the ModR/M byte.
pub(crate) fn fop_from_bytes(bytes: &[u8]) -> u32 {
    let mut it = bytes.iter().copied().skip_while(|b| {
        matches!(
            b,
            0x26 | 0x2E | 0x36 | 0x3E | 0x64 | 0x65 | 0x66 | 0x67 | 0xF0 | 0xF2 | 0xF3 | 0x9B
        )
    });
    match (it.next(), it.next()) {
        (Some(b0 @ 0xD8..=0xDF), Some(modrm)) => (((b0 & 7) as u32) << 8) | modrm as u32,
        _ => 0,
    }
}

impl<B: Bus> Cpu<B> {
    /// Prologue of the non-waiting instructions: #NM only.
    #[inline(always)]
    fn fpu_nowait(&self) -> Result<()> {
        if self.cr0 & (CR0_EM | CR0_TS) != 0 {
            return Err(NM);
        }
        Ok(())
    }

    /// Prologue of the waiting instructions: #NM, then a pending unmasked
    /// exception.
    #[inline(always)]
    pub(crate) fn fpu_wait(&mut self) -> Result<()> {
        self.fpu_nowait()?;
        if self.fpu.sw & SW_ES != 0 {
            self.fpu_pending()?;
        }
        Ok(())
    }

    #[cold]
    fn fpu_pending(&mut self) -> Result<()> {
        if self.cr0 & CR0_NE != 0 {
            return Err(MF);
        }
        if !self.fpu.ferr {
            self.fpu.ferr = true;
            self.stop_block = true;
            if self.exit.is_none() {
                self.exit = Some(Exit::Attention);
            }
        }
        Ok(())
    }

    /// Records the last instruction (and data) pointer and opcode.
    #[inline(always)]
    fn fpu_note(&mut self, op: &Op<B>, data: Option<u32>) {
        let mut ip = self.eip.wrapping_sub(op.len as u32);
        if !self.code32() {
            ip &= 0xFFFF;
        }
        let f = &mut self.fpu;
        f.fip = ip;
        f.fcs = self.seg[SegReg::Cs as usize].selector;
        f.fop = (op.imm2 & 0x7FF) as u16;
        if let Some(off) = data {
            f.fdp = off;
            f.fds = self.seg[op.seg as usize % 6].selector;
        }
    }

    /// FERR#: an unmasked x87 exception is pending and CR0.NE = 0. The
    /// machine raises IRQ 13 while this is true (on a PC through the
    /// latch that a write to port F0h clears).
    pub fn ferr(&self) -> bool {
        self.fpu.ferr && self.fpu.sw & SW_ES != 0
    }

    /// Real-address layout of FSTENV/FSAVE (real mode and virtual-8086).
    fn fpu_real_layout(&self) -> bool {
        !self.protected() || self.eflags & FLAG_VM != 0
    }
}

/// Checks a whole memory range (segment limits, and for a write that
/// crosses a page the second page, by writing back one of its bytes)
/// before any byte of it is stored, so a fault leaves memory untouched.
fn check_range<B: Bus>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    seg: u8,
    off: u32,
    len: u32,
    write: bool,
) -> Result<()> {
    let last = len.saturating_sub(1);
    let Some(end) = off.checked_add(last) else {
        return Err(if seg == SegReg::Ss as u8 {
            Fault::SS0
        } else {
            Fault::GP0
        });
    };
    let (lin0, lin1) = if write {
        (cpu.linear_w::<8>(seg, off)?, cpu.linear_w::<8>(seg, end)?)
    } else {
        (cpu.linear::<8>(seg, off)?, cpu.linear::<8>(seg, end)?)
    };
    if write && (lin0 ^ lin1) & !0xFFF != 0 {
        let v = cpu.read::<8>(bus, seg, end)?;
        cpu.write::<8>(bus, seg, end, v)?;
    }
    Ok(())
}

fn read_bytes<B: Bus>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    seg: u8,
    off: u32,
    amask: u32,
    buf: &mut [u8],
) -> Result<()> {
    check_range(cpu, bus, seg, off, buf.len() as u32, false)?;
    let mut i = 0usize;
    for chunk in buf.chunks_mut(4) {
        let a = off.wrapping_add(i as u32) & amask;
        if chunk.len() == 4 {
            chunk.copy_from_slice(&cpu.read::<32>(bus, seg, a)?.to_le_bytes());
        } else {
            for (j, b) in chunk.iter_mut().enumerate() {
                *b = cpu.read::<8>(bus, seg, off.wrapping_add((i + j) as u32) & amask)? as u8;
            }
        }
        i += chunk.len();
    }
    Ok(())
}

fn write_bytes<B: Bus>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    seg: u8,
    off: u32,
    amask: u32,
    buf: &[u8],
) -> Result<()> {
    check_range(cpu, bus, seg, off, buf.len() as u32, true)?;
    let mut i = 0usize;
    for chunk in buf.chunks(4) {
        let a = off.wrapping_add(i as u32) & amask;
        if chunk.len() == 4 {
            let v = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            cpu.write::<32>(bus, seg, a, v)?;
        } else {
            for (j, b) in chunk.iter().enumerate() {
                cpu.write::<8>(
                    bus,
                    seg,
                    off.wrapping_add((i + j) as u32) & amask,
                    *b as u32,
                )?;
            }
        }
        i += chunk.len();
    }
    Ok(())
}

/// Reads a memory operand of format `SRC` as raw bits.
#[inline(always)]
fn read_raw<B: Bus, const SRC: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
    off: u32,
) -> Result<u128> {
    let (seg, m) = (op.seg, op.amask);
    Ok(match SRC {
        I16 => cpu.read::<16>(bus, seg, off)? as u128,
        M32 | I32 => cpu.read::<32>(bus, seg, off)? as u128,
        M64 | I64 => {
            // The whole operand within the segment first.
            cpu.linear::<64>(seg, off)?;
            let lo = cpu.read::<32>(bus, seg, off)?;
            let hi = cpu.read::<32>(bus, seg, off.wrapping_add(4) & m)?;
            ((hi as u128) << 32) | lo as u128
        }
        _ => {
            cpu.linear::<80>(seg, off)?;
            let lo = cpu.read::<32>(bus, seg, off)?;
            let mid = cpu.read::<32>(bus, seg, off.wrapping_add(4) & m)?;
            let hi = cpu.read::<16>(bus, seg, off.wrapping_add(8) & m)?;
            ((hi as u128) << 64) | ((mid as u128) << 32) | lo as u128
        }
    })
}

fn f80_from_raw(v: u128) -> F80 {
    F80 {
        sig: v as u64,
        se: (v >> 64) as u16,
    }
}

fn bytes10(v: u128) -> [u8; 10] {
    let b = v.to_le_bytes();
    let mut o = [0u8; 10];
    o.copy_from_slice(&b[..10]);
    o
}

/// A memory operand as an arithmetic operand: SNaNs stay signaling (the
/// operation raises IE), and whether it was a denormal (its extended
/// form is normal, so the operation cannot see it).
fn mem_operand<const SRC: u8>(v: u128) -> (F80, bool) {
    match SRC {
        M32 => sf::f32_raw(v as u32),
        M64 => sf::f64_raw(v as u64),
        M80 => (f80_from_raw(v), false),
        I16 => (sf::from_int(v as u16 as i16 as i64), false),
        I32 => (sf::from_int(v as u32 as i32 as i64), false),
        _ => (sf::from_int(v as u64 as i64), false),
    }
}

fn nan_or_bad(a: F80) -> bool {
    matches!(a.class(), Class::QNaN | Class::SNaN | Class::Unsupported)
}

/// DE for a denormal memory operand, unless a higher-priority exception
/// (or a NaN operand) took over.
fn mem_denormal(ctx: &mut Ctx, a: F80, b: F80) {
    if ctx.flags & (IE | ZE) == 0 && !nan_or_bad(a) && !nan_or_bad(b) {
        ctx.flags |= DE;
    }
}

fn arith_op(ctx: &mut Ctx, k: u8, a: F80, b: F80) -> F80 {
    match k {
        ADD => sf::add(ctx, a, b, false),
        MUL => sf::mul(ctx, a, b),
        SUB => sf::add(ctx, a, b, true),
        SUBR => sf::add(ctx, b, a, true),
        DIV => sf::div(ctx, a, b),
        _ => sf::div(ctx, b, a),
    }
}

impl super::Fpu {
    /// Stores an arithmetic result into ST(i) unless an unmasked invalid,
    /// denormal or zero-divide exception suppresses it.
    #[inline]
    fn commit(&mut self, ctx: &Ctx, i: u8, r: F80) -> bool {
        if ctx.flags & !ctx.masks & (IE | DE | ZE) != 0 {
            self.raise(ctx.flags & (IE | DE | ZE));
            return false;
        }
        self.set_st(i, r);
        self.set_c1(ctx.c1);
        self.raise(ctx.flags);
        true
    }

    /// Underflow with the masked response of writing the default NaN to
    /// ST(i) (and popping when `pop`).
    fn underflow_to(&mut self, i: u8, pop: bool) {
        if self.underflow() {
            self.set_st(i, F80::INDEFINITE);
            if pop {
                self.pop();
            }
        }
    }

    fn ctx(&self) -> Ctx {
        Ctx::new(self.cw)
    }
}

// ---------------------------------------------------------------------------
// Arithmetic

/// FADD/FMUL/FSUB/FSUBR/FDIV/FDIVR ST(0), m32/m64 and FIxxx m16/m32.
pub(crate) fn arith_m<B: Bus, const K: u8, const SRC: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    let off = cpu.ea(op);
    let raw = read_raw::<B, SRC>(cpu, bus, op, off)?;
    cpu.fpu_note(op, Some(off));
    let f = &mut cpu.fpu;
    if f.is_empty(0) {
        f.underflow_to(0, false);
        return Ok(());
    }
    let (b, den) = mem_operand::<SRC>(raw);
    let a = f.st(0);
    let mut ctx = f.ctx();
    let r = arith_op(&mut ctx, K, a, b);
    if den {
        mem_denormal(&mut ctx, a, b);
    }
    f.commit(&ctx, 0, r);
    Ok(())
}

/// ST(0) = ST(0) op ST(i).
pub(crate) fn arith_st0_sti<B: Bus, const K: u8>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    let i = op.r0 & 7;
    if f.is_empty(0) || f.is_empty(i) {
        f.underflow_to(0, false);
        return Ok(());
    }
    let mut ctx = f.ctx();
    let r = arith_op(&mut ctx, K, f.st(0), f.st(i));
    f.commit(&ctx, 0, r);
    Ok(())
}

/// ST(i) = ST(i) op ST(0), popping for the P forms.
pub(crate) fn arith_sti_st0<B: Bus, const K: u8, const POP: bool>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    let i = op.r0 & 7;
    if f.is_empty(0) || f.is_empty(i) {
        f.underflow_to(i, POP);
        return Ok(());
    }
    let mut ctx = f.ctx();
    let r = arith_op(&mut ctx, K, f.st(i), f.st(0));
    if f.commit(&ctx, i, r) && POP {
        f.pop();
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Comparisons

fn set_compare_cc(f: &mut super::Fpu, c: Cmp) {
    let (c3, c2, c0) = match c {
        Cmp::Greater => (false, false, false),
        Cmp::Less => (false, false, true),
        Cmp::Equal => (true, false, false),
        Cmp::Unordered => (true, true, true),
    };
    f.set_cc(c3, c2, false, c0);
}

/// Finishes FCOM-style instructions: `pops` registers are popped unless an
/// unmasked exception stops the instruction.
fn finish_compare(f: &mut super::Fpu, ctx: &Ctx, c: Cmp, pops: u8) {
    if ctx.flags & !ctx.masks & (IE | DE) != 0 {
        f.raise(ctx.flags);
        return;
    }
    set_compare_cc(f, c);
    f.raise(ctx.flags);
    for _ in 0..pops {
        f.pop();
    }
}

/// FCOM/FCOMP m32/m64, FICOM/FICOMP m16/m32.
pub(crate) fn fcom_m<B: Bus, const SRC: u8, const POP: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    let off = cpu.ea(op);
    let raw = read_raw::<B, SRC>(cpu, bus, op, off)?;
    cpu.fpu_note(op, Some(off));
    let f = &mut cpu.fpu;
    if f.is_empty(0) {
        if f.underflow() {
            set_compare_cc(f, Cmp::Unordered);
            if POP {
                f.pop();
            }
        }
        return Ok(());
    }
    let (b, den) = mem_operand::<SRC>(raw);
    let a = f.st(0);
    let mut ctx = f.ctx();
    let c = sf::compare(&mut ctx, a, b, false);
    if den {
        mem_denormal(&mut ctx, a, b);
    }
    finish_compare(f, &ctx, c, POP as u8);
    Ok(())
}

/// FCOM/FCOMP/FUCOM/FUCOMP ST(i) and FCOMPP/FUCOMPP (ST(1), two pops).
pub(crate) fn fcom_st<B: Bus, const POPS: u8, const QUIET: bool>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    let i = op.r0 & 7;
    if f.is_empty(0) || f.is_empty(i) {
        if f.underflow() {
            set_compare_cc(f, Cmp::Unordered);
            for _ in 0..POPS {
                f.pop();
            }
        }
        return Ok(());
    }
    let mut ctx = f.ctx();
    let c = sf::compare(&mut ctx, f.st(0), f.st(i), QUIET);
    finish_compare(f, &ctx, c, POPS);
    Ok(())
}

/// FCOMI/FCOMIP/FUCOMI/FUCOMIP: the result goes to ZF, PF and CF (OF, SF
/// and AF are cleared).
pub(crate) fn fcomi<B: Bus, const POP: bool, const QUIET: bool>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let i = op.r0 & 7;
    let mask = FLAG_ZF | FLAG_PF | FLAG_CF | FLAG_OF | FLAG_SF | FLAG_AF;
    let f = &mut cpu.fpu;
    let c = if f.is_empty(0) || f.is_empty(i) {
        if !f.underflow() {
            return Ok(());
        }
        Cmp::Unordered
    } else {
        let mut ctx = f.ctx();
        let c = sf::compare(&mut ctx, f.st(0), f.st(i), QUIET);
        f.set_c1(false);
        f.raise(ctx.flags);
        if ctx.flags & !ctx.masks & (IE | DE) != 0 {
            return Ok(());
        }
        c
    };
    let v = match c {
        Cmp::Greater => 0,
        Cmp::Less => FLAG_CF,
        Cmp::Equal => FLAG_ZF,
        Cmp::Unordered => FLAG_ZF | FLAG_PF | FLAG_CF,
    };
    if POP {
        cpu.fpu.pop();
    }
    cpu.write_flags(v, mask);
    Ok(())
}

/// FTST: compare ST(0) with +0.0.
pub(crate) fn ftst<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    if f.is_empty(0) {
        if f.underflow() {
            set_compare_cc(f, Cmp::Unordered);
        }
        return Ok(());
    }
    let mut ctx = f.ctx();
    let c = sf::compare(&mut ctx, f.st(0), F80::ZERO, false);
    finish_compare(f, &ctx, c, 0);
    Ok(())
}

/// FXAM: classify ST(0); C1 is its sign.
pub(crate) fn fxam<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    let v = f.st(0);
    let (c3, c2, c0) = if f.is_empty(0) {
        (true, false, true)
    } else {
        sf::fxam_class(v)
    };
    f.set_cc(c3, c2, v.neg(), c0);
    Ok(())
}

// ---------------------------------------------------------------------------
// Loads and stores

/// FLD m32/m64/m80, FILD m16/m32/m64, FBLD m80.
pub(crate) fn fld_m<B: Bus, const SRC: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    let off = cpu.ea(op);
    let raw = read_raw::<B, SRC>(cpu, bus, op, off)?;
    cpu.fpu_note(op, Some(off));
    let f = &mut cpu.fpu;
    if !f.is_empty(7) {
        f.overflow_push();
        return Ok(());
    }
    let mut ctx = f.ctx();
    let v = match SRC {
        M32 => sf::from_f32(&mut ctx, raw as u32),
        M64 => sf::from_f64(&mut ctx, raw as u64),
        M80 => f80_from_raw(raw),
        BCD => sf::from_bcd(bytes10(raw)),
        _ => mem_operand::<SRC>(raw).0,
    };
    if ctx.flags & !ctx.masks & (IE | DE) != 0 {
        f.raise(ctx.flags);
        return Ok(());
    }
    f.push(v);
    f.set_c1(false);
    f.raise(ctx.flags);
    Ok(())
}

/// FLD ST(i).
pub(crate) fn fld_st<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    let i = op.r0 & 7;
    // An empty source is reported (underflow) before a full stack.
    if f.is_empty(i) {
        if f.underflow() {
            f.push(F80::INDEFINITE);
        }
        return Ok(());
    }
    if !f.is_empty(7) {
        f.overflow_push();
        return Ok(());
    }
    let v = f.st(i);
    f.push(v);
    f.set_c1(false);
    Ok(())
}

/// FLD1/FLDL2T/FLDL2E/FLDPI/FLDLG2/FLDLN2/FLDZ (K in that order, 0-6):
/// the constant rounded in the current rounding mode, no exception.
pub(crate) fn fld_const<B: Bus, const K: u8>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    if !f.is_empty(7) {
        f.overflow_push();
        return Ok(());
    }
    let rc = ((f.cw >> 10) & 3) as u8;
    let v = match K {
        0 => F80::ONE,
        1 => tr::constant(tr::LOG2_10, rc),
        2 => tr::constant(tr::LOG2E, rc),
        3 => tr::constant(tr::PI, rc),
        4 => tr::constant(tr::LOG10_2, rc),
        5 => tr::constant(tr::LN2, rc),
        _ => F80::ZERO,
    };
    f.push(v);
    f.set_c1(false);
    Ok(())
}

/// The value to store for format `DST` in a ctx, with the masked-invalid
/// default when the conversion fails.
fn store_value<const DST: u8>(ctx: &mut Ctx, a: F80) -> u128 {
    match DST {
        M32 => sf::to_f32(ctx, a) as u128,
        M64 => sf::to_f64(ctx, a) as u128,
        M80 => (a.sig as u128) | ((a.se as u128) << 64),
        I16 => sf::to_int(ctx, a, 16).map_or(0x8000, |v| v as u16 as u128),
        I32 => sf::to_int(ctx, a, 32).map_or(0x8000_0000, |v| v as u32 as u128),
        I64 => sf::to_int(ctx, a, 64).map_or(0x8000_0000_0000_0000, |v| v as u64 as u128),
        _ => u128::from_le_bytes({
            let mut b = [0u8; 16];
            b[..10].copy_from_slice(&sf::to_bcd(ctx, a).unwrap_or(sf::BCD_INDEFINITE));
            b
        }),
    }
}

fn indefinite_of<const DST: u8>() -> u128 {
    match DST {
        M32 => sf::F32_INDEFINITE as u128,
        M64 => sf::F64_INDEFINITE as u128,
        M80 => (F80::INDEFINITE.sig as u128) | ((F80::INDEFINITE.se as u128) << 64),
        I16 => 0x8000,
        I32 => 0x8000_0000,
        I64 => 0x8000_0000_0000_0000,
        _ => {
            let mut b = [0u8; 16];
            b[..10].copy_from_slice(&sf::BCD_INDEFINITE);
            u128::from_le_bytes(b)
        }
    }
}

fn write_raw<B: Bus, const DST: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
    off: u32,
    v: u128,
) -> Result<()> {
    let (seg, m) = (op.seg, op.amask);
    match DST {
        I16 => cpu.write::<16>(bus, seg, off, v as u32),
        M32 | I32 => cpu.write::<32>(bus, seg, off, v as u32),
        M64 | I64 => {
            let lin = cpu.linear_w::<64>(seg, off)?;
            if lin & 0xFFF > 0x1000 - 8 {
                check_range(cpu, bus, seg, off, 8, true)?;
            }
            cpu.write::<32>(bus, seg, off, v as u32)?;
            cpu.write::<32>(bus, seg, off.wrapping_add(4) & m, (v >> 32) as u32)
        }
        _ => {
            let lin = cpu.linear_w::<80>(seg, off)?;
            if lin & 0xFFF > 0x1000 - 10 {
                check_range(cpu, bus, seg, off, 10, true)?;
            }
            cpu.write::<32>(bus, seg, off, v as u32)?;
            cpu.write::<32>(bus, seg, off.wrapping_add(4) & m, (v >> 32) as u32)?;
            cpu.write::<16>(bus, seg, off.wrapping_add(8) & m, (v >> 64) as u32)
        }
    }
}

/// FST/FSTP m32/m64, FSTP m80, FIST/FISTP m16/m32, FISTP m64, FBSTP m80.
pub(crate) fn fst_m<B: Bus, const DST: u8, const POP: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    let off = cpu.ea(op);
    let f = &cpu.fpu;
    let mut ctx = f.ctx();
    let empty = f.is_empty(0);
    let (v, store) = if empty {
        (indefinite_of::<DST>(), f.cw & IE != 0)
    } else {
        let v = store_value::<DST>(&mut ctx, f.st(0));
        (v, ctx.flags & !ctx.masks & (IE | OE | UE) == 0)
    };
    if store {
        write_raw::<B, DST>(cpu, bus, op, off, v)?;
    }
    cpu.fpu_note(op, Some(off));
    let f = &mut cpu.fpu;
    if empty {
        f.underflow();
    } else {
        f.set_c1(ctx.c1);
        f.raise(ctx.flags);
    }
    if store && POP {
        f.pop();
    }
    Ok(())
}

/// FST/FSTP ST(i) (and the undocumented FSTP aliases).
pub(crate) fn fst_st<B: Bus, const POP: bool>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    let i = op.r0 & 7;
    if f.is_empty(0) {
        f.underflow_to(i, POP);
        return Ok(());
    }
    let v = f.st(0);
    f.set_st(i, v);
    f.set_c1(false);
    if POP {
        f.pop();
    }
    Ok(())
}

/// D9 D8+i (FSTPNCE, "FSTP1"): FSTP ST(i), except that an empty ST(0)
/// raises no stack fault: nothing is stored and the stack is popped.
pub(crate) fn fstpnce<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    let i = op.r0 & 7;
    if f.is_empty(0) {
        f.pop();
        return Ok(());
    }
    let v = f.st(0);
    f.set_st(i, v);
    f.set_c1(false);
    f.pop();
    Ok(())
}

/// FXCH ST(i).
pub(crate) fn fxch<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    let i = op.r0 & 7;
    let (e0, ei) = (f.is_empty(0), f.is_empty(i));
    if e0 || ei {
        if !f.underflow() {
            return Ok(());
        }
        if e0 {
            f.set_st(0, F80::INDEFINITE);
        }
        if ei {
            f.set_st(i, F80::INDEFINITE);
        }
    } else {
        f.set_c1(false);
    }
    let (a, b) = (f.st(0), f.st(i));
    f.set_st(0, b);
    f.set_st(i, a);
    Ok(())
}

/// FCMOVcc ST(0), ST(i) (condition in `aux`, Jcc encoding).
pub(crate) fn fcmov<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let i = op.r0 & 7;
    let cond = cpu.cond(op.aux);
    let f = &mut cpu.fpu;
    if f.is_empty(0) || f.is_empty(i) {
        f.underflow_to(0, false);
        return Ok(());
    }
    if cond {
        let v = f.st(i);
        f.set_st(0, v);
    }
    // C1 is left alone (as on hardware; the SDM leaves it undefined).
    Ok(())
}

/// FFREE ST(i) / FFREEP ST(i).
pub(crate) fn ffree<B: Bus, const POP: bool>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    let p = f.phys(op.r0 & 7);
    f.empty |= 1 << p;
    // C1 is cleared (as on hardware; the SDM leaves it undefined).
    f.set_c1(false);
    if POP {
        f.pop();
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// One-register operations

const FCHS: u8 = 0;
const FABS: u8 = 1;
const FSQRT: u8 = 2;
const FRNDINT: u8 = 3;
const F2XM1: u8 = 4;
const FINCSTP: u8 = 5;
const FDECSTP: u8 = 6;
const FNOP: u8 = 7;

/// FCHS, FABS, FSQRT, FRNDINT, F2XM1, FINCSTP, FDECSTP, FNOP.
pub(crate) fn unary<B: Bus, const K: u8>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    match K {
        FNOP => return Ok(()),
        FINCSTP => {
            f.top = f.top.wrapping_add(1) & 7;
            f.set_c1(false);
            return Ok(());
        }
        FDECSTP => {
            f.top = f.top.wrapping_sub(1) & 7;
            f.set_c1(false);
            return Ok(());
        }
        _ => {}
    }
    if f.is_empty(0) {
        f.underflow_to(0, false);
        return Ok(());
    }
    let a = f.st(0);
    match K {
        FCHS | FABS => {
            let v = if K == FCHS {
                a.negate()
            } else {
                a.with_sign(false)
            };
            f.set_st(0, v);
            f.set_c1(false);
        }
        _ => {
            let mut ctx = f.ctx();
            let r = match K {
                FSQRT => sf::sqrt(&mut ctx, a),
                FRNDINT => sf::round_to_int(&mut ctx, a),
                _ => tr::f2xm1(&mut ctx, a),
            };
            f.commit(&ctx, 0, r);
        }
    }
    Ok(())
}

const FSIN: u8 = 0;
const FCOS: u8 = 1;

/// FSIN/FCOS: C2 set (and ST(0) unchanged) when |ST(0)| ≥ 2^63.
pub(crate) fn ftrig<B: Bus, const K: u8>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    f.sw &= !super::SW_C2;
    if f.is_empty(0) {
        f.underflow_to(0, false);
        return Ok(());
    }
    let mut ctx = f.ctx().ext();
    let a = f.st(0);
    let r = if K == FSIN {
        tr::fsin(&mut ctx, a)
    } else {
        tr::fcos(&mut ctx, a)
    };
    match r {
        None => {
            f.sw |= super::SW_C2;
        }
        Some(r) => {
            f.commit(&ctx, 0, r);
        }
    }
    Ok(())
}

/// Stack checks of the instructions that replace ST(0) and push: ST(0)
/// must be full and ST(7) empty. On a fault the masked response leaves
/// the default NaN in both.
fn replace_and_push_check(f: &mut super::Fpu) -> bool {
    if f.is_empty(0) {
        if f.underflow() {
            f.set_st(0, F80::INDEFINITE);
            f.push(F80::INDEFINITE);
        }
        return false;
    }
    if !f.is_empty(7) {
        f.sw |= SW_SF;
        f.set_c1(true);
        f.raise(IE);
        if f.cw & IE != 0 {
            f.set_st(0, F80::INDEFINITE);
            f.push(F80::INDEFINITE);
        }
        return false;
    }
    true
}

/// Commits a (new ST(1), pushed ST(0)) pair.
fn commit_pair(f: &mut super::Fpu, ctx: &Ctx, st1: F80, st0: F80) {
    if ctx.flags & !ctx.masks & (IE | DE | ZE) != 0 {
        f.raise(ctx.flags & (IE | DE | ZE));
        return;
    }
    f.set_st(0, st1);
    f.push(st0);
    f.set_c1(ctx.c1);
    f.raise(ctx.flags);
}

/// FPTAN: tan(ST(0)) replaces ST(0), then 1.0 is pushed.
pub(crate) fn fptan<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    f.sw &= !super::SW_C2;
    if !replace_and_push_check(f) {
        return Ok(());
    }
    let mut ctx = f.ctx().ext();
    match tr::fptan(&mut ctx, f.st(0)) {
        None => f.sw |= super::SW_C2,
        Some(t) => {
            // A NaN result is left in both registers.
            let one = if t.is_nan() { t } else { F80::ONE };
            commit_pair(f, &ctx, t, one);
        }
    }
    Ok(())
}

/// FSINCOS: ST(0) = sin, then cos is pushed.
pub(crate) fn fsincos<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    f.sw &= !super::SW_C2;
    if !replace_and_push_check(f) {
        return Ok(());
    }
    let mut ctx = f.ctx().ext();
    match tr::fsincos(&mut ctx, f.st(0)) {
        None => f.sw |= super::SW_C2,
        Some((s, c)) => commit_pair(f, &ctx, s, c),
    }
    Ok(())
}

/// FXTRACT: ST(0) = exponent, then the significand is pushed.
pub(crate) fn fxtract<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    if !replace_and_push_check(f) {
        return Ok(());
    }
    let a = f.st(0);
    let mut ctx = f.ctx();
    let c = a.class();
    let (e, s) = if let Some(r) = sf::special1(&mut ctx, a, c) {
        (r, r)
    } else {
        match c {
            Class::Zero => {
                ctx.flags |= ZE;
                (F80::infinity(true), a)
            }
            Class::Infinity => (F80::infinity(false), a),
            _ => {
                if c == Class::Denormal {
                    ctx.flags |= DE;
                }
                sf::xtract(a)
            }
        }
    };
    commit_pair(f, &ctx, e, s);
    Ok(())
}

const FPREM: u8 = 0;
const FPREM1: u8 = 1;
const FSCALE: u8 = 2;

/// FPREM/FPREM1/FSCALE: ST(0) op ST(1) into ST(0).
pub(crate) fn st0_st1<B: Bus, const K: u8>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    if f.is_empty(0) || f.is_empty(1) {
        if K != FSCALE {
            // C0 and C3 keep their values (as on hardware); C2 = 0.
            f.sw &= !super::SW_C2;
        }
        f.underflow_to(0, false);
        return Ok(());
    }
    let (a, b) = (f.st(0), f.st(1));
    let mut ctx = f.ctx().ext();
    if K == FSCALE {
        let r = sf::scale(&mut ctx, a, b);
        f.commit(&ctx, 0, r);
        return Ok(());
    }
    let r = sf::rem(&mut ctx, a, b, K == FPREM1);
    if f.commit(&ctx, 0, r.value) {
        let q = r.q;
        if r.value.is_nan() {
            // NaN and invalid results leave C0 and C3 alone.
            f.sw &= !(super::SW_C1 | super::SW_C2);
        } else if r.partial {
            f.set_cc(false, true, false, false);
        } else {
            f.set_cc(q & 2 != 0, false, q & 1 != 0, q & 4 != 0);
        }
    }
    Ok(())
}

const FPATAN: u8 = 0;
const FYL2X: u8 = 1;
const FYL2XP1: u8 = 2;

/// FPATAN/FYL2X/FYL2XP1: result in ST(1), then pop.
pub(crate) fn st1_pop<B: Bus, const K: u8>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    cpu.fpu_note(op, None);
    let f = &mut cpu.fpu;
    if f.is_empty(0) || f.is_empty(1) {
        f.underflow_to(1, true);
        return Ok(());
    }
    let (x, y) = (f.st(0), f.st(1));
    let mut ctx = f.ctx().ext();
    let r = match K {
        FPATAN => tr::fpatan(&mut ctx, y, x),
        FYL2X => tr::fyl2x(&mut ctx, x, y),
        _ => tr::fyl2xp1(&mut ctx, x, y),
    };
    if f.commit(&ctx, 1, r) {
        f.pop();
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Control instructions

/// FNINIT (and FINIT after its WAIT).
pub(crate) fn finit<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    cpu.fpu_nowait()?;
    cpu.fpu.init();
    Ok(())
}

/// FNCLEX: clears the exception flags, SF, ES and B.
pub(crate) fn fclex<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    cpu.fpu_nowait()?;
    cpu.fpu.sw &= !0x80FF;
    cpu.fpu.update_es();
    Ok(())
}

/// FNENI/FNDISI/FNSETPM: 8087/287 control that the 387 and later ignore.
pub(crate) fn fnop_legacy<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    cpu.fpu_nowait()
}

pub(crate) fn fldcw<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_wait()?;
    let v = cpu.read_ea::<16>(bus, op)?;
    cpu.fpu.set_cw(v as u16);
    Ok(())
}

pub(crate) fn fnstcw<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_nowait()?;
    let v = cpu.fpu.cw as u32;
    cpu.write_ea::<16>(bus, op, v)
}

pub(crate) fn fnstsw_m<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_nowait()?;
    let v = cpu.fpu.status() as u32;
    cpu.write_ea::<16>(bus, op, v)
}

pub(crate) fn fnstsw_ax<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    cpu.fpu_nowait()?;
    let v = cpu.fpu.status() as u32;
    cpu.reg_set::<16>(0, v);
    Ok(())
}

/// The environment image (14 or 28 bytes) in the current mode's layout.
fn env_image<B: Bus>(cpu: &Cpu<B>, o32: bool) -> [u8; 28] {
    let f = &cpu.fpu;
    let mut b = [0u8; 28];
    let (cw, sw, tw) = (f.cw, f.status(), f.tag_word());
    let real = cpu.fpu_real_layout();
    let fip_lin = ((f.fcs as u32) << 4).wrapping_add(f.fip);
    let fdp_lin = ((f.fds as u32) << 4).wrapping_add(f.fdp);
    if o32 {
        let mut put = |i: usize, v: u32| b[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        put(0, 0xFFFF_0000 | cw as u32);
        put(1, 0xFFFF_0000 | sw as u32);
        put(2, 0xFFFF_0000 | tw as u32);
        if real {
            put(3, 0xFFFF_0000 | (fip_lin & 0xFFFF));
            put(4, ((fip_lin >> 16) << 12) | (f.fop as u32 & 0x7FF));
            put(5, 0xFFFF_0000 | (fdp_lin & 0xFFFF));
            put(6, (fdp_lin >> 16) << 12);
        } else {
            put(3, f.fip);
            put(4, ((f.fop as u32 & 0x7FF) << 16) | f.fcs as u32);
            put(5, f.fdp);
            put(6, 0xFFFF_0000 | f.fds as u32);
        }
    } else {
        let mut put = |i: usize, v: u16| b[i * 2..i * 2 + 2].copy_from_slice(&v.to_le_bytes());
        put(0, cw);
        put(1, sw);
        put(2, tw);
        if real {
            put(3, fip_lin as u16);
            put(4, (((fip_lin >> 16) & 0xF) << 12) as u16 | (f.fop & 0x7FF));
            put(5, fdp_lin as u16);
            put(6, (((fdp_lin >> 16) & 0xF) << 12) as u16);
        } else {
            put(3, f.fip as u16);
            put(4, f.fcs);
            put(5, f.fdp as u16);
            put(6, f.fds);
        }
    }
    b
}

/// Loads an environment image.
fn load_env<B: Bus>(cpu: &mut Cpu<B>, b: &[u8; 28], o32: bool) {
    let real = cpu.fpu_real_layout();
    let w32 = |i: usize| u32::from_le_bytes([b[i * 4], b[i * 4 + 1], b[i * 4 + 2], b[i * 4 + 3]]);
    let w16 = |i: usize| u16::from_le_bytes([b[i * 2], b[i * 2 + 1]]);
    let f = &mut cpu.fpu;
    let (cw, sw, tw) = if o32 {
        (w32(0) as u16, w32(1) as u16, w32(2) as u16)
    } else {
        (w16(0), w16(1), w16(2))
    };
    f.cw = (cw & 0x1F3F) | 0x0040;
    f.set_tag_word(tw);
    if o32 {
        if real {
            f.fip = (w32(3) & 0xFFFF) | (((w32(4) >> 12) & 0xFFFF) << 16);
            f.fop = (w32(4) & 0x7FF) as u16;
            f.fcs = 0;
            f.fdp = (w32(5) & 0xFFFF) | (((w32(6) >> 12) & 0xFFFF) << 16);
            f.fds = 0;
        } else {
            f.fip = w32(3);
            f.fcs = w32(4) as u16;
            f.fop = ((w32(4) >> 16) & 0x7FF) as u16;
            f.fdp = w32(5);
            f.fds = w32(6) as u16;
        }
    } else if real {
        f.fip = w16(3) as u32 | (((w16(4) >> 12) as u32) << 16);
        f.fop = w16(4) & 0x7FF;
        f.fcs = 0;
        f.fdp = w16(5) as u32 | (((w16(6) >> 12) as u32) << 16);
        f.fds = 0;
    } else {
        f.fip = w16(3) as u32;
        f.fcs = w16(4);
        f.fdp = w16(5) as u32;
        f.fds = w16(6);
    }
    f.set_status(sw);
}

#[cfg(test)]
pub(crate) fn env_image_for_test<B: Bus>(cpu: &Cpu<B>, o32: bool) -> [u8; 28] {
    env_image(cpu, o32)
}

#[cfg(test)]
pub(crate) fn load_env_for_test<B: Bus>(cpu: &mut Cpu<B>, b: &[u8; 28], o32: bool) {
    load_env(cpu, b, o32)
}

/// FNSTENV (O32 selects the 28-byte image): stores, then masks every
/// exception.
pub(crate) fn fnstenv<B: Bus, const O32: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_nowait()?;
    let off = cpu.ea(op);
    let img = env_image(cpu, O32);
    let n = if O32 { 28 } else { 14 };
    write_bytes(cpu, bus, op.seg, off, op.amask, &img[..n])?;
    cpu.fpu.cw |= 0x3F;
    cpu.fpu.update_es();
    Ok(())
}

pub(crate) fn fldenv<B: Bus, const O32: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    let off = cpu.ea(op);
    let mut img = [0u8; 28];
    let n = if O32 { 28 } else { 14 };
    read_bytes(cpu, bus, op.seg, off, op.amask, &mut img[..n])?;
    load_env(cpu, &img, O32);
    Ok(())
}

/// FNSAVE: environment plus ST(0)-ST(7), then FNINIT.
pub(crate) fn fnsave<B: Bus, const O32: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_nowait()?;
    let off = cpu.ea(op);
    let n = if O32 { 28 } else { 14 };
    let mut img = [0u8; 108];
    img[..n].copy_from_slice(&env_image(cpu, O32)[..n]);
    for i in 0..8u8 {
        let at = n + 10 * i as usize;
        img[at..at + 10].copy_from_slice(&cpu.fpu.st(i).to_bytes());
    }
    write_bytes(cpu, bus, op.seg, off, op.amask, &img[..n + 80])?;
    cpu.fpu.init();
    Ok(())
}

pub(crate) fn frstor<B: Bus, const O32: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    cpu.fpu_wait()?;
    let off = cpu.ea(op);
    let n = if O32 { 28 } else { 14 };
    let mut img = [0u8; 108];
    read_bytes(cpu, bus, op.seg, off, op.amask, &mut img[..n + 80])?;
    let mut env = [0u8; 28];
    env[..n].copy_from_slice(&img[..n]);
    load_env(cpu, &env, O32);
    for i in 0..8u8 {
        let at = n + 10 * i as usize;
        let mut r = [0u8; 10];
        r.copy_from_slice(&img[at..at + 10]);
        let p = cpu.fpu.phys(i);
        cpu.fpu.regs[p] = F80::from_bytes(r);
    }
    Ok(())
}

/// FXSAVE: the 512-byte image (16-byte aligned) with MXCSR, MXCSR_MASK
/// and XMM0-7; bytes 288-511 are not written.
pub(crate) fn fxsave<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_nowait()?;
    let off = cpu.ea(op);
    let lin = cpu.linear::<8>(op.seg, off)?;
    if lin & 15 != 0 {
        return Err(Fault::GP0);
    }
    let f = &cpu.fpu;
    let mut img = [0u8; 288];
    img[0..2].copy_from_slice(&f.cw.to_le_bytes());
    img[2..4].copy_from_slice(&f.status().to_le_bytes());
    img[4] = !f.empty;
    img[6..8].copy_from_slice(&(f.fop & 0x7FF).to_le_bytes());
    img[8..12].copy_from_slice(&f.fip.to_le_bytes());
    img[12..14].copy_from_slice(&f.fcs.to_le_bytes());
    img[16..20].copy_from_slice(&f.fdp.to_le_bytes());
    img[20..22].copy_from_slice(&f.fds.to_le_bytes());
    img[24..28].copy_from_slice(&f.sse.mxcsr.to_le_bytes());
    img[28..32].copy_from_slice(&crate::simd::MXCSR_MASK.to_le_bytes());
    for (i, x) in f.sse.xmm.iter().enumerate() {
        img[160 + 16 * i..176 + 16 * i].copy_from_slice(&x.to_le_bytes());
    }
    for i in 0..8u8 {
        let at = 32 + 16 * i as usize;
        img[at..at + 10].copy_from_slice(&f.st(i).to_bytes());
    }
    check_range(cpu, bus, op.seg, off, 512, true)?;
    write_bytes(cpu, bus, op.seg, off, op.amask, &img)
}

pub(crate) fn fxrstor<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    cpu.fpu_nowait()?;
    let off = cpu.ea(op);
    let lin = cpu.linear::<8>(op.seg, off)?;
    if lin & 15 != 0 {
        return Err(Fault::GP0);
    }
    check_range(cpu, bus, op.seg, off, 512, false)?;
    let mut img = [0u8; 288];
    read_bytes(cpu, bus, op.seg, off, op.amask, &mut img)?;
    let mxcsr = u32::from_le_bytes([img[24], img[25], img[26], img[27]]);
    if mxcsr & !crate::simd::MXCSR_MASK != 0 {
        return Err(Fault::GP0);
    }
    let w16 = |i: usize| u16::from_le_bytes([img[i], img[i + 1]]);
    let w32 = |i: usize| u32::from_le_bytes([img[i], img[i + 1], img[i + 2], img[i + 3]]);
    let f = &mut cpu.fpu;
    f.cw = (w16(0) & 0x1F3F) | 0x0040;
    let sw = w16(2);
    f.top = ((sw >> 11) & 7) as u8;
    f.empty = !img[4];
    f.fop = w16(6) & 0x7FF;
    f.fip = w32(8);
    f.fcs = w16(12);
    f.fdp = w32(16);
    f.fds = w16(20);
    f.sse.mxcsr = mxcsr;
    for (i, x) in f.sse.xmm.iter_mut().enumerate() {
        let mut b = [0u8; 16];
        b.copy_from_slice(&img[160 + 16 * i..176 + 16 * i]);
        *x = u128::from_le_bytes(b);
    }
    for i in 0..8u8 {
        let at = 32 + 16 * i as usize;
        let mut r = [0u8; 10];
        r.copy_from_slice(&img[at..at + 10]);
        let p = f.phys(i);
        f.regs[p] = F80::from_bytes(r);
    }
    f.set_status(sw);
    Ok(())
}

/// WAIT/FWAIT: #NM when CR0.TS and CR0.MP are both set, then a pending
/// unmasked exception is reported.
pub(crate) fn wait<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    if cpu.cr0 & (CR0_TS | CR0_MP) == CR0_TS | CR0_MP {
        return Err(NM);
    }
    if cpu.fpu.sw & SW_ES != 0 {
        cpu.fpu_pending()?;
    }
    Ok(())
}

pub(crate) fn ud<B: Bus>(_cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    Err(Fault::UD)
}

// ---------------------------------------------------------------------------
// Selection

fn sti(i: &Instruction, n: u32) -> u8 {
    if n >= i.op_count() {
        return 1;
    }
    let r = i.op_register(n) as u32;
    r.wrapping_sub(Register::ST0 as u32) as u8 & 7
}

/// The handler of an x87 instruction (every instruction iced-x86 marks as
/// FPU, plus FXSAVE/FXRSTOR). Instructions a P6 lacks (FISTTP, the
/// 287/386SL/Cyrix-only ones) raise #UD.
pub(crate) fn select<B: Bus>(i: &Instruction, op: &mut Op<B>) -> Handler<B> {
    use Code as C;
    let c = i.code();
    // ST(i) operand: the non-ST(0) register of two-register forms.
    op.r0 = match c {
        C::Fadd_sti_st0
        | C::Fmul_sti_st0
        | C::Fsub_sti_st0
        | C::Fsubr_sti_st0
        | C::Fdiv_sti_st0
        | C::Fdivr_sti_st0
        | C::Faddp_sti_st0
        | C::Fmulp_sti_st0
        | C::Fsubp_sti_st0
        | C::Fsubrp_sti_st0
        | C::Fdivp_sti_st0
        | C::Fdivrp_sti_st0
        | C::Fld_sti
        | C::Fst_sti
        | C::Fstp_sti
        | C::Fstpnce_sti
        | C::Fstp_sti_DFD0
        | C::Fstp_sti_DFD8
        | C::Ffree_sti
        | C::Ffreep_sti => sti(i, 0),
        _ => sti(i, 1),
    };
    macro_rules! m {
        ($h:ident, $($g:expr),*) => { $h::<B, $($g),*> as Handler<B> };
    }
    match c {
        C::Fadd_m32fp => m!(arith_m, ADD, M32),
        C::Fmul_m32fp => m!(arith_m, MUL, M32),
        C::Fsub_m32fp => m!(arith_m, SUB, M32),
        C::Fsubr_m32fp => m!(arith_m, SUBR, M32),
        C::Fdiv_m32fp => m!(arith_m, DIV, M32),
        C::Fdivr_m32fp => m!(arith_m, DIVR, M32),
        C::Fadd_m64fp => m!(arith_m, ADD, M64),
        C::Fmul_m64fp => m!(arith_m, MUL, M64),
        C::Fsub_m64fp => m!(arith_m, SUB, M64),
        C::Fsubr_m64fp => m!(arith_m, SUBR, M64),
        C::Fdiv_m64fp => m!(arith_m, DIV, M64),
        C::Fdivr_m64fp => m!(arith_m, DIVR, M64),
        C::Fiadd_m16int => m!(arith_m, ADD, I16),
        C::Fimul_m16int => m!(arith_m, MUL, I16),
        C::Fisub_m16int => m!(arith_m, SUB, I16),
        C::Fisubr_m16int => m!(arith_m, SUBR, I16),
        C::Fidiv_m16int => m!(arith_m, DIV, I16),
        C::Fidivr_m16int => m!(arith_m, DIVR, I16),
        C::Fiadd_m32int => m!(arith_m, ADD, I32),
        C::Fimul_m32int => m!(arith_m, MUL, I32),
        C::Fisub_m32int => m!(arith_m, SUB, I32),
        C::Fisubr_m32int => m!(arith_m, SUBR, I32),
        C::Fidiv_m32int => m!(arith_m, DIV, I32),
        C::Fidivr_m32int => m!(arith_m, DIVR, I32),

        C::Fadd_st0_sti => m!(arith_st0_sti, ADD),
        C::Fmul_st0_sti => m!(arith_st0_sti, MUL),
        C::Fsub_st0_sti => m!(arith_st0_sti, SUB),
        C::Fsubr_st0_sti => m!(arith_st0_sti, SUBR),
        C::Fdiv_st0_sti => m!(arith_st0_sti, DIV),
        C::Fdivr_st0_sti => m!(arith_st0_sti, DIVR),
        C::Fadd_sti_st0 => m!(arith_sti_st0, ADD, false),
        C::Fmul_sti_st0 => m!(arith_sti_st0, MUL, false),
        C::Fsub_sti_st0 => m!(arith_sti_st0, SUB, false),
        C::Fsubr_sti_st0 => m!(arith_sti_st0, SUBR, false),
        C::Fdiv_sti_st0 => m!(arith_sti_st0, DIV, false),
        C::Fdivr_sti_st0 => m!(arith_sti_st0, DIVR, false),
        C::Faddp_sti_st0 => m!(arith_sti_st0, ADD, true),
        C::Fmulp_sti_st0 => m!(arith_sti_st0, MUL, true),
        C::Fsubp_sti_st0 => m!(arith_sti_st0, SUB, true),
        C::Fsubrp_sti_st0 => m!(arith_sti_st0, SUBR, true),
        C::Fdivp_sti_st0 => m!(arith_sti_st0, DIV, true),
        C::Fdivrp_sti_st0 => m!(arith_sti_st0, DIVR, true),

        C::Fcom_m32fp => m!(fcom_m, M32, false),
        C::Fcomp_m32fp => m!(fcom_m, M32, true),
        C::Fcom_m64fp => m!(fcom_m, M64, false),
        C::Fcomp_m64fp => m!(fcom_m, M64, true),
        C::Ficom_m16int => m!(fcom_m, I16, false),
        C::Ficomp_m16int => m!(fcom_m, I16, true),
        C::Ficom_m32int => m!(fcom_m, I32, false),
        C::Ficomp_m32int => m!(fcom_m, I32, true),
        C::Fcom_st0_sti | C::Fcom_st0_sti_DCD0 => m!(fcom_st, 0, false),
        C::Fcomp_st0_sti | C::Fcomp_st0_sti_DCD8 | C::Fcomp_st0_sti_DED0 => m!(fcom_st, 1, false),
        C::Fucom_st0_sti => m!(fcom_st, 0, true),
        C::Fucomp_st0_sti => m!(fcom_st, 1, true),
        C::Fcompp => {
            op.r0 = 1;
            m!(fcom_st, 2, false)
        }
        C::Fucompp => {
            op.r0 = 1;
            m!(fcom_st, 2, true)
        }
        C::Fcomi_st0_sti => m!(fcomi, false, false),
        C::Fcomip_st0_sti => m!(fcomi, true, false),
        C::Fucomi_st0_sti => m!(fcomi, false, true),
        C::Fucomip_st0_sti => m!(fcomi, true, true),
        C::Ftst => ftst::<B>,
        C::Fxam => fxam::<B>,

        C::Fld_m32fp => m!(fld_m, M32),
        C::Fld_m64fp => m!(fld_m, M64),
        C::Fld_m80fp => m!(fld_m, M80),
        C::Fild_m16int => m!(fld_m, I16),
        C::Fild_m32int => m!(fld_m, I32),
        C::Fild_m64int => m!(fld_m, I64),
        C::Fbld_m80bcd => m!(fld_m, BCD),
        C::Fld_sti => fld_st::<B>,
        C::Fld1 => m!(fld_const, 0),
        C::Fldl2t => m!(fld_const, 1),
        C::Fldl2e => m!(fld_const, 2),
        C::Fldpi => m!(fld_const, 3),
        C::Fldlg2 => m!(fld_const, 4),
        C::Fldln2 => m!(fld_const, 5),
        C::Fldz => m!(fld_const, 6),

        C::Fst_m32fp => m!(fst_m, M32, false),
        C::Fstp_m32fp => m!(fst_m, M32, true),
        C::Fst_m64fp => m!(fst_m, M64, false),
        C::Fstp_m64fp => m!(fst_m, M64, true),
        C::Fstp_m80fp => m!(fst_m, M80, true),
        C::Fist_m16int => m!(fst_m, I16, false),
        C::Fistp_m16int => m!(fst_m, I16, true),
        C::Fist_m32int => m!(fst_m, I32, false),
        C::Fistp_m32int => m!(fst_m, I32, true),
        C::Fistp_m64int => m!(fst_m, I64, true),
        C::Fbstp_m80bcd => m!(fst_m, BCD, true),
        C::Fst_sti => m!(fst_st, false),
        C::Fstp_sti | C::Fstp_sti_DFD0 | C::Fstp_sti_DFD8 => m!(fst_st, true),
        C::Fstpnce_sti => fstpnce::<B>,
        C::Fxch_st0_sti | C::Fxch_st0_sti_DDC8 | C::Fxch_st0_sti_DFC8 => fxch::<B>,
        C::Fcmovb_st0_sti => fcmov_h(op, 2, false),
        C::Fcmove_st0_sti => fcmov_h(op, 4, false),
        C::Fcmovbe_st0_sti => fcmov_h(op, 6, false),
        C::Fcmovu_st0_sti => fcmov_h(op, 10, false),
        C::Fcmovnb_st0_sti => fcmov_h(op, 2, true),
        C::Fcmovne_st0_sti => fcmov_h(op, 4, true),
        C::Fcmovnbe_st0_sti => fcmov_h(op, 6, true),
        C::Fcmovnu_st0_sti => fcmov_h(op, 10, true),
        C::Ffree_sti => m!(ffree, false),
        C::Ffreep_sti => m!(ffree, true),

        C::Fchs => m!(unary, FCHS),
        C::Fabs => m!(unary, FABS),
        C::Fsqrt => m!(unary, FSQRT),
        C::Frndint => m!(unary, FRNDINT),
        C::F2xm1 => m!(unary, F2XM1),
        C::Fincstp => m!(unary, FINCSTP),
        C::Fdecstp => m!(unary, FDECSTP),
        C::Fnop => m!(unary, FNOP),
        C::Fsin => m!(ftrig, FSIN),
        C::Fcos => m!(ftrig, FCOS),
        C::Fsincos => fsincos::<B>,
        C::Fptan => fptan::<B>,
        C::Fxtract => fxtract::<B>,
        C::Fprem => m!(st0_st1, FPREM),
        C::Fprem1 => m!(st0_st1, FPREM1),
        C::Fscale => m!(st0_st1, FSCALE),
        C::Fpatan => m!(st1_pop, FPATAN),
        C::Fyl2x => m!(st1_pop, FYL2X),
        C::Fyl2xp1 => m!(st1_pop, FYL2XP1),

        C::Fninit | C::Finit => finit::<B>,
        C::Fnclex | C::Fclex => fclex::<B>,
        C::Fneni | C::Feni | C::Fndisi | C::Fdisi | C::Fnsetpm | C::Fsetpm => fnop_legacy::<B>,
        C::Fldcw_m2byte => fldcw::<B>,
        C::Fnstcw_m2byte | C::Fstcw_m2byte => fnstcw::<B>,
        C::Fnstsw_m2byte | C::Fstsw_m2byte => fnstsw_m::<B>,
        C::Fnstsw_AX | C::Fstsw_AX => fnstsw_ax::<B>,
        C::Fldenv_m14byte => m!(fldenv, false),
        C::Fldenv_m28byte => m!(fldenv, true),
        C::Fnstenv_m14byte | C::Fstenv_m14byte => m!(fnstenv, false),
        C::Fnstenv_m28byte | C::Fstenv_m28byte => m!(fnstenv, true),
        C::Fnsave_m94byte | C::Fsave_m94byte => m!(fnsave, false),
        C::Fnsave_m108byte | C::Fsave_m108byte => m!(fnsave, true),
        C::Frstor_m94byte => m!(frstor, false),
        C::Frstor_m108byte => m!(frstor, true),
        C::Fxsave_m512byte => fxsave::<B>,
        C::Fxrstor_m512byte => fxrstor::<B>,
        // FISTTP (SSE3), FRSTPM (287XL), FSTDW/FSTSG (386SL), Cyrix
        // extensions, 64-bit forms: not on this processor.
        _ => ud::<B>,
    }
}

fn fcmov_h<B: Bus>(op: &mut Op<B>, cc: u8, not: bool) -> Handler<B> {
    op.aux = cc | not as u8;
    fcmov::<B>
}
