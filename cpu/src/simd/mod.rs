//! MMX, SSE and SSE2.
//!
//! * `mmx`: the MMX instructions and the SSE integer additions on MMX
//!   registers. MMX register i is the 64-bit significand of x87 physical
//!   register R i; writing it sets that register's sign and exponent to
//!   all ones, and every MMX instruction but EMMS sets TOP to 0 and tags
//!   every register valid (EMMS tags them all empty).
//! * `sse`: the floating-point instructions of SSE and SSE2 (single and
//!   double, scalar and packed), their moves, shuffles and logic, MXCSR.
//! * `sse2`: the conversions and the 128-bit integer instructions.
//! * `int`: integer lane operations shared by MMX and SSE2.
//! * `fp`: binary32/binary64 arithmetic with MXCSR rounding, DAZ/FTZ and
//!   exception flags, all in integers.
//!
//! Prologues, in the SDM's order: MMX-register instructions #UD with
//! CR0.EM, #NM with CR0.TS, then a pending unmasked x87 exception (#MF, or
//! FERR# when CR0.NE = 0). XMM instructions #UD with CR0.EM or without
//! CR4.OSFXSR, then #NM with CR0.TS (and the #MF check when they also
//! touch an MMX register). Memory operands are read (16-byte aligned ones
//! checked, #GP(0)) before anything changes; results are written after the
//! SIMD exception check, so a fault leaves registers and memory untouched.
//! Unmasked SIMD floating-point exceptions raise #XM when CR4.OSXMMEXCPT
//! is set and #UD otherwise, with the destination unchanged.

pub(crate) mod fp;
pub(crate) mod int;
pub(crate) mod mmx;
pub(crate) mod sse;
pub(crate) mod sse2;

#[cfg(test)]
mod tests;

use iced_x86::{CpuidFeature, Instruction};

use crate::bus::Bus;
use crate::cpu::{Cpu, CR0_EM, CR0_TS, CR4_OSFXSR};
use crate::fault::{Exception, Fault, Result};
use crate::op::Op;

#[cfg(test)]
pub(crate) use select::pick;
pub(crate) use select::select;

mod select;

/// CR4.OSXMMEXCPT: unmasked SIMD floating-point exceptions raise #XM.
pub(crate) const CR4_OSXMMEXCPT: u32 = 1 << 10;

/// MXCSR bits software may set: flags, DAZ, masks, RC, FZ.
pub(crate) const MXCSR_MASK: u32 = 0xFFFF;
pub(crate) const MXCSR_RESET: u32 = 0x1F80;

const NM: Fault = Fault::new(Exception::DeviceNotAvailable);
const XM: Fault = Fault::new(Exception::Simd);

/// The SSE register file.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct SseState {
    pub xmm: [u128; 8],
    pub mxcsr: u32,
}

impl SseState {
    pub const fn new() -> Self {
        SseState {
            xmm: [0; 8],
            mxcsr: MXCSR_RESET,
        }
    }
}

impl Default for SseState {
    fn default() -> Self {
        SseState::new()
    }
}

/// Whether decode hands this instruction to [`select`]: everything iced-x86
/// marks MMX, SSE, SSE2 or CLFSH.
pub(crate) fn handles(i: &Instruction) -> bool {
    i.cpuid_features().iter().any(|f| {
        matches!(
            f,
            CpuidFeature::MMX | CpuidFeature::SSE | CpuidFeature::SSE2 | CpuidFeature::CLFSH
        )
    })
}

impl<B: Bus> Cpu<B> {
    /// Prologue of instructions on MMX registers only: #UD (EM), #NM (TS),
    /// then a pending x87 exception.
    #[inline(always)]
    pub(crate) fn mmx_check(&mut self) -> Result<()> {
        if self.cr0 & CR0_EM != 0 {
            return Err(Fault::UD);
        }
        self.fpu_wait()
    }

    /// Prologue of instructions on XMM registers: #UD (EM, no OSFXSR), #NM (TS).
    #[inline(always)]
    pub(crate) fn sse_check(&mut self) -> Result<()> {
        if self.cr0 & CR0_EM != 0 || self.cr4 & CR4_OSFXSR == 0 {
            return Err(Fault::UD);
        }
        if self.cr0 & CR0_TS != 0 {
            return Err(NM);
        }
        Ok(())
    }

    /// Prologue of XMM instructions that also use an MMX register.
    #[inline(always)]
    pub(crate) fn sse_mmx_check(&mut self) -> Result<()> {
        self.sse_check()?;
        self.fpu_wait()
    }

    #[inline(always)]
    pub(crate) fn mm(&self, i: u8) -> u64 {
        self.fpu.regs[(i & 7) as usize].sig
    }

    /// The x87-to-MMX transition: TOP = 0, every register tagged valid.
    #[inline(always)]
    pub(crate) fn mmx_enter(&mut self) {
        self.fpu.top = 0;
        self.fpu.empty = 0;
    }

    /// Writes MMX register `i` (sign and exponent become all ones).
    #[inline(always)]
    pub(crate) fn set_mm(&mut self, i: u8, v: u64) {
        let r = &mut self.fpu.regs[(i & 7) as usize];
        r.sig = v;
        r.se = 0xFFFF;
    }

    #[inline(always)]
    pub(crate) fn xmm(&self, i: u8) -> u128 {
        self.fpu.sse.xmm[(i & 7) as usize]
    }

    #[inline(always)]
    pub(crate) fn set_xmm(&mut self, i: u8, v: u128) {
        self.fpu.sse.xmm[(i & 7) as usize] = v;
    }

    #[inline(always)]
    pub(crate) fn mxcsr(&self) -> u32 {
        self.fpu.sse.mxcsr
    }

    /// Records the SIMD floating-point exceptions an instruction raised. An
    /// unmasked one faults (#XM, or #UD without CR4.OSXMMEXCPT); if it is a
    /// pre-computation exception (IE, DE, ZE) only those flags are set.
    #[inline(always)]
    pub(crate) fn simd_flags(&mut self, flags: u32) -> Result<()> {
        if flags == 0 {
            return Ok(());
        }
        let unmasked = flags & !(self.fpu.sse.mxcsr >> 7) & 0x3F;
        if unmasked == 0 {
            self.fpu.sse.mxcsr |= flags;
            return Ok(());
        }
        self.simd_unmasked(flags, unmasked)
    }

    #[cold]
    fn simd_unmasked(&mut self, flags: u32, unmasked: u32) -> Result<()> {
        let flags = if unmasked & fp::PRE != 0 {
            flags & fp::PRE
        } else {
            flags
        };
        self.fpu.sse.mxcsr |= flags;
        Err(if self.cr4 & CR4_OSXMMEXCPT != 0 {
            XM
        } else {
            Fault::UD
        })
    }

    // -----------------------------------------------------------------------
    // Memory operands

    #[inline(always)]
    pub(crate) fn read_m32(&mut self, bus: &mut B, op: &Op<B>) -> Result<u32> {
        let off = self.ea(op);
        self.read::<32>(bus, op.seg, off)
    }

    /// Reads 64 bits (the whole operand checked against the segment first).
    #[inline(always)]
    pub(crate) fn read_m64(&mut self, bus: &mut B, op: &Op<B>) -> Result<u64> {
        let off = self.ea(op);
        self.linear::<64>(op.seg, off)?;
        let lo = self.read::<32>(bus, op.seg, off)?;
        let hi = self.read::<32>(bus, op.seg, off.wrapping_add(4) & op.amask)?;
        Ok(lo as u64 | (hi as u64) << 32)
    }

    /// Reads 128 bits; `ALIGN`: #GP(0) unless the linear address is a
    /// multiple of 16.
    #[inline(always)]
    pub(crate) fn read_m128<const ALIGN: bool>(&mut self, bus: &mut B, op: &Op<B>) -> Result<u128> {
        let off = self.ea(op);
        let lin = self.linear::<128>(op.seg, off)?;
        if ALIGN && lin & 15 != 0 {
            return Err(Fault::GP0);
        }
        let mut v = 0u128;
        for k in 0..4u32 {
            let w = self.read::<32>(bus, op.seg, off.wrapping_add(4 * k) & op.amask)?;
            v |= (w as u128) << (32 * k);
        }
        Ok(v)
    }

    /// Checks that `len` bytes at `off` can be written: the segment range,
    /// and when the range crosses a page, the second page (through a
    /// read with write checks), so a fault leaves memory untouched.
    fn check_write(&mut self, bus: &mut B, seg: u8, off: u32, amask: u32, len: u32) -> Result<u32> {
        let end = off.wrapping_add(len - 1) & amask;
        let lin = self.linear_w::<8>(seg, off)?;
        let lin_end = self.linear_w::<8>(seg, end)?;
        if end < off {
            // Wrapped around the segment's address space.
            return Err(if seg == crate::cpu::SegReg::Ss as u8 {
                Fault::SS0
            } else {
                Fault::GP0
            });
        }
        if (lin ^ lin_end) & !0xFFF != 0 {
            self.read_rmw::<8>(bus, seg, end)?;
        }
        Ok(lin)
    }

    #[inline(always)]
    pub(crate) fn write_m32(&mut self, bus: &mut B, op: &Op<B>, v: u32) -> Result<()> {
        let off = self.ea(op);
        self.write::<32>(bus, op.seg, off, v)
    }

    pub(crate) fn write_m64(&mut self, bus: &mut B, op: &Op<B>, v: u64) -> Result<()> {
        let off = self.ea(op);
        self.check_write(bus, op.seg, off, op.amask, 8)?;
        self.write::<32>(bus, op.seg, off, v as u32)?;
        self.write::<32>(
            bus,
            op.seg,
            off.wrapping_add(4) & op.amask,
            (v >> 32) as u32,
        )
    }

    pub(crate) fn write_m128<const ALIGN: bool>(
        &mut self,
        bus: &mut B,
        op: &Op<B>,
        v: u128,
    ) -> Result<()> {
        let off = self.ea(op);
        if ALIGN {
            let lin = self.linear_w::<128>(op.seg, off)?;
            if lin & 15 != 0 {
                return Err(Fault::GP0);
            }
        } else {
            self.check_write(bus, op.seg, off, op.amask, 16)?;
        }
        for k in 0..4u32 {
            self.write::<32>(
                bus,
                op.seg,
                off.wrapping_add(4 * k) & op.amask,
                (v >> (32 * k)) as u32,
            )?;
        }
        Ok(())
    }

    /// MASKMOVQ/MASKMOVDQU: stores the bytes of `v` whose byte in `mask`
    /// has its top bit set, to seg:[(E)DI]; the whole range is checked first.
    pub(crate) fn mask_store(
        &mut self,
        bus: &mut B,
        op: &Op<B>,
        v: u128,
        mask: u128,
        n: u32,
    ) -> Result<()> {
        let off = self.regs[7] & op.amask;
        let sel = int::movmskb(mask, n as usize);
        if sel == 0 {
            return Ok(());
        }
        self.check_write(bus, op.seg, off, op.amask, n)?;
        for k in 0..n {
            if sel & (1 << k) != 0 {
                self.write::<8>(
                    bus,
                    op.seg,
                    off.wrapping_add(k) & op.amask,
                    (v >> (8 * k)) as u32 & 0xFF,
                )?;
            }
        }
        Ok(())
    }
}

/// Handlers that need no SIMD state: SFENCE/LFENCE/MFENCE, PREFETCHh
/// (hints; no faults).
pub(crate) fn nop<B: Bus>(_cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    Ok(())
}

/// CLFLUSH: the line is checked like a byte read (segment, then the page
/// must be present); nothing is cached, so nothing else happens.
pub(crate) fn clflush<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    let off = cpu.ea(op);
    let lin = cpu.linear::<8>(op.seg, off)?;
    if cpu.translate_debug(bus, lin).is_none() {
        cpu.fault_addr = lin;
        let code = if cpu.cpl == 3 { 4 } else { 0 };
        return Err(Fault::with_code(Exception::PageFault, code));
    }
    Ok(())
}
