//! The x87 FPU of a P6: 80-bit extended precision in software.
//!
//! * `softfloat`: the [`F80`] format, rounding to 24/53/64 bits in the four
//!   modes, the arithmetic, conversions and exception flags.
//! * `transcendental`: FSIN/FCOS/FSINCOS/FPTAN/FPATAN/F2XM1/FYL2X/FYL2XP1
//!   in 128-bit internal precision.
//! * `ops`: the instruction handlers and the decode-time selector.
//!
//! Unmasked exceptions: an instruction that raises one sets ES (and B) in
//! the status word; the next *waiting* x87 instruction (or WAIT) then
//! raises #MF when CR0.NE = 1, or asserts FERR# when CR0.NE = 0 — the
//! machine polls [`crate::Cpu::ferr`] and raises IRQ 13 (the instruction
//! goes on executing, as in Bochs; the CPU ends its run slice with
//! `Exit::Attention` when FERR# goes up so the machine sees it at once).

pub(crate) mod ops;
pub(crate) mod softfloat;
pub(crate) mod transcendental;

#[cfg(test)]
pub(crate) mod tests;

pub(crate) use ops::{fop_from_bytes, select, wait};
use softfloat::{Class, F80, IE};

/// Status word bits.
pub(crate) const SW_SF: u16 = 1 << 6;
pub(crate) const SW_ES: u16 = 1 << 7;
pub(crate) const SW_C0: u16 = 1 << 8;
pub(crate) const SW_C1: u16 = 1 << 9;
pub(crate) const SW_C2: u16 = 1 << 10;
pub(crate) const SW_TOP: u16 = 7 << 11;
pub(crate) const SW_C3: u16 = 1 << 14;
pub(crate) const SW_B: u16 = 1 << 15;
pub(crate) const SW_CC: u16 = SW_C0 | SW_C1 | SW_C2 | SW_C3;

/// Tag values (two bits per register in the full tag word).
pub(crate) const TAG_VALID: u16 = 0;
pub(crate) const TAG_ZERO: u16 = 1;
pub(crate) const TAG_SPECIAL: u16 = 2;
pub(crate) const TAG_EMPTY: u16 = 3;

/// FPU register state.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Fpu {
    /// Physical registers R0-R7; ST(i) is `regs[(top + i) & 7]`.
    pub regs: [F80; 8],
    pub top: u8,
    pub cw: u16,
    /// Status word with the TOP field kept zero (see [`Fpu::status`]).
    pub sw: u16,
    /// Bit i set: physical register i is empty. The other tag values are
    /// computed from the register contents when the tag word is read.
    pub empty: u8,
    /// Last instruction pointer (offset), its CS selector and opcode (11 bits).
    pub fip: u32,
    pub fcs: u16,
    pub fop: u16,
    /// Last data pointer (offset) and its selector.
    pub fdp: u32,
    pub fds: u16,
    /// FERR# asserted (NE = 0 and an unmasked exception was met by a
    /// waiting instruction); drops when ES is cleared.
    pub ferr: bool,
    /// XMM0-7 and MXCSR (kept here so FXSAVE/FXRSTOR and snapshots see
    /// them; FNINIT leaves them alone).
    pub sse: crate::simd::SseState,
}

impl Default for Fpu {
    fn default() -> Self {
        Fpu::new()
    }
}

impl Fpu {
    /// The power-on state: control word 0040h, every register +0 and
    /// tagged zero.
    pub fn new() -> Self {
        Fpu {
            regs: [F80::ZERO; 8],
            top: 0,
            cw: 0x0040,
            sw: 0,
            empty: 0,
            fip: 0,
            fcs: 0,
            fop: 0,
            fdp: 0,
            fds: 0,
            ferr: false,
            sse: crate::simd::SseState::new(),
        }
    }

    /// FNINIT: registers keep their contents but are all tagged empty.
    pub fn init(&mut self) {
        self.cw = 0x037F;
        self.sw = 0;
        self.top = 0;
        self.empty = 0xFF;
        self.fip = 0;
        self.fcs = 0;
        self.fop = 0;
        self.fdp = 0;
        self.fds = 0;
        self.ferr = false;
    }

    /// The architectural status word (with TOP).
    pub fn status(&self) -> u16 {
        (self.sw & !SW_TOP) | (((self.top & 7) as u16) << 11)
    }

    /// Loads a status word (TOP included); ES/B follow the flags and masks.
    pub fn set_status(&mut self, sw: u16) {
        self.top = ((sw >> 11) & 7) as u8;
        self.sw = sw & !SW_TOP;
        self.update_es();
    }

    pub fn set_cw(&mut self, cw: u16) {
        // Bits 6 and 13-15 are reserved; bit 6 reads back as 1 on a P6
        // (FNINIT gives 037Fh), the rest as 0.
        self.cw = (cw & 0x1F3F) | 0x0040;
        self.update_es();
    }

    /// ES and B are set exactly when an unmasked exception flag is set.
    pub fn update_es(&mut self) {
        if self.sw & !self.cw & 0x3F != 0 {
            self.sw |= SW_ES | SW_B;
        } else {
            self.sw &= !(SW_ES | SW_B);
            self.ferr = false;
        }
    }

    #[inline(always)]
    pub fn phys(&self, i: u8) -> usize {
        (self.top.wrapping_add(i) & 7) as usize
    }

    #[inline(always)]
    pub fn st(&self, i: u8) -> F80 {
        self.regs[self.phys(i)]
    }

    #[inline(always)]
    pub fn is_empty(&self, i: u8) -> bool {
        self.empty & (1 << self.phys(i)) != 0
    }

    #[inline(always)]
    pub fn set_st(&mut self, i: u8, v: F80) {
        let p = self.phys(i);
        self.regs[p] = v;
        self.empty &= !(1 << p);
    }

    #[inline(always)]
    pub fn push(&mut self, v: F80) {
        self.top = self.top.wrapping_sub(1) & 7;
        self.set_st(0, v);
    }

    #[inline(always)]
    pub fn pop(&mut self) {
        self.empty |= 1 << self.phys(0);
        self.top = self.top.wrapping_add(1) & 7;
    }

    #[inline(always)]
    pub fn set_c1(&mut self, on: bool) {
        if on {
            self.sw |= SW_C1;
        } else {
            self.sw &= !SW_C1;
        }
    }

    /// Sets C3, C2, C1 and C0.
    pub fn set_cc(&mut self, c3: bool, c2: bool, c1: bool, c0: bool) {
        self.sw = (self.sw & !SW_CC)
            | if c3 { SW_C3 } else { 0 }
            | if c2 { SW_C2 } else { 0 }
            | if c1 { SW_C1 } else { 0 }
            | if c0 { SW_C0 } else { 0 };
    }

    /// Records exception flags; an unmasked one sets ES and B.
    #[inline(always)]
    pub fn raise(&mut self, flags: u16) {
        self.sw |= flags & 0x3F;
        if flags & !self.cw & 0x3F != 0 {
            self.sw |= SW_ES | SW_B;
        }
    }

    /// Stack underflow (an empty operand register): IE with SF, C1 = 0.
    /// Returns whether the masked response applies.
    pub fn underflow(&mut self) -> bool {
        self.sw |= SW_SF;
        self.set_c1(false);
        self.raise(IE);
        self.cw & IE != 0
    }

    /// Stack overflow (pushing onto a non-empty ST(7)): IE with SF, C1 = 1;
    /// the masked response pushes the default NaN.
    pub fn overflow_push(&mut self) {
        self.sw |= SW_SF;
        self.set_c1(true);
        self.raise(IE);
        if self.cw & IE != 0 {
            self.push(F80::INDEFINITE);
        }
    }

    fn tag_of(&self, p: usize) -> u16 {
        if self.empty & (1 << p) != 0 {
            return TAG_EMPTY;
        }
        match self.regs[p].class() {
            Class::Zero => TAG_ZERO,
            Class::Normal => TAG_VALID,
            _ => TAG_SPECIAL,
        }
    }

    /// The full tag word, computed from the register contents.
    pub fn tag_word(&self) -> u16 {
        (0..8).fold(0u16, |tw, p| tw | (self.tag_of(p) << (2 * p)))
    }

    /// Loads a tag word: only "empty" versus "not empty" is kept.
    pub fn set_tag_word(&mut self, tw: u16) {
        let mut e = 0u8;
        for p in 0..8 {
            if (tw >> (2 * p)) & 3 == TAG_EMPTY {
                e |= 1 << p;
            }
        }
        self.empty = e;
    }
}
