//! EFLAGS with lazy arithmetic flags.
//!
//! Arithmetic records its operands, result, width and kind; CF/PF/AF/ZF/SF/OF
//! are computed only when something reads them. `Cpu::eflags` holds every
//! other bit, and the arithmetic bits too whenever `lazy.op` is `None`.

use crate::bus::Bus;
use crate::cpu::Cpu;

pub const FLAG_CF: u32 = 1 << 0;
pub const FLAG_PF: u32 = 1 << 2;
pub const FLAG_AF: u32 = 1 << 4;
pub const FLAG_ZF: u32 = 1 << 6;
pub const FLAG_SF: u32 = 1 << 7;
pub const FLAG_TF: u32 = 1 << 8;
pub const FLAG_IF: u32 = 1 << 9;
pub const FLAG_DF: u32 = 1 << 10;
pub const FLAG_OF: u32 = 1 << 11;
pub const FLAG_IOPL: u32 = 3 << 12;
pub const FLAG_NT: u32 = 1 << 14;
pub const FLAG_RF: u32 = 1 << 16;
pub const FLAG_VM: u32 = 1 << 17;
pub const FLAG_AC: u32 = 1 << 18;
pub const FLAG_ID: u32 = 1 << 21;

/// The six flags that arithmetic defines.
pub(crate) const ARITH: u32 = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;
/// Bit 1 always reads as one.
pub(crate) const FLAG_FIXED: u32 = 1 << 1;

/// What the last flag-setting arithmetic was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum LazyOp {
    /// `eflags` holds the arithmetic flags.
    None,
    Add,
    /// ADC with a carry in of one (ADC with carry 0 is recorded as `Add`).
    Adc,
    Sub,
    /// SBB with a borrow in of one.
    Sbb,
    /// AND/OR/XOR/TEST: CF=OF=0, AF cleared.
    Logic,
    /// INC: like `Add` with b=1, but CF lives in `eflags`.
    Inc,
    /// DEC: like `Sub` with b=1, but CF lives in `eflags`.
    Dec,
}

#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Lazy {
    pub op: LazyOp,
    /// Operand width in bits: 8, 16 or 32.
    pub width: u32,
    pub a: u32,
    pub b: u32,
    pub res: u32,
}

impl Lazy {
    pub const fn none() -> Self {
        Lazy {
            op: LazyOp::None,
            width: 32,
            a: 0,
            b: 0,
            res: 0,
        }
    }
}

#[inline(always)]
pub(crate) const fn width_mask(width: u32) -> u32 {
    if width >= 32 {
        u32::MAX
    } else {
        (1 << width) - 1
    }
}

#[inline(always)]
pub(crate) const fn sign_bit(width: u32) -> u32 {
    1 << (width - 1)
}

#[inline(always)]
pub(crate) fn parity(v: u32) -> bool {
    (v as u8).count_ones() & 1 == 0
}

impl<B: Bus> Cpu<B> {
    #[inline(always)]
    pub(crate) fn set_lazy(&mut self, op: LazyOp, width: u32, a: u32, b: u32, res: u32) {
        self.lazy = Lazy {
            op,
            width,
            a,
            b,
            res,
        };
    }

    /// INC/DEC keep CF: fold the current CF into `eflags` before going lazy.
    #[inline(always)]
    pub(crate) fn set_lazy_incdec(&mut self, dec: bool, width: u32, a: u32, res: u32) {
        if !matches!(self.lazy.op, LazyOp::None | LazyOp::Inc | LazyOp::Dec) {
            let cf = self.cf();
            self.eflags = (self.eflags & !FLAG_CF) | cf as u32;
        }
        let op = if dec { LazyOp::Dec } else { LazyOp::Inc };
        self.lazy = Lazy {
            op,
            width,
            a,
            b: 1,
            res,
        };
    }

    #[inline(always)]
    pub(crate) fn cf(&self) -> bool {
        let l = &self.lazy;
        let m = width_mask(l.width);
        match l.op {
            LazyOp::None | LazyOp::Inc | LazyOp::Dec => self.eflags & FLAG_CF != 0,
            LazyOp::Add => (l.res & m) < (l.a & m),
            LazyOp::Adc => (l.res & m) <= (l.a & m),
            LazyOp::Sub => (l.a & m) < (l.b & m),
            LazyOp::Sbb => (l.a & m) <= (l.b & m),
            LazyOp::Logic => false,
        }
    }

    #[inline(always)]
    pub(crate) fn zf(&self) -> bool {
        let l = &self.lazy;
        match l.op {
            LazyOp::None => self.eflags & FLAG_ZF != 0,
            _ => l.res & width_mask(l.width) == 0,
        }
    }

    #[inline(always)]
    pub(crate) fn sf(&self) -> bool {
        let l = &self.lazy;
        match l.op {
            LazyOp::None => self.eflags & FLAG_SF != 0,
            _ => l.res & sign_bit(l.width) != 0,
        }
    }

    #[inline(always)]
    pub(crate) fn pf(&self) -> bool {
        match self.lazy.op {
            LazyOp::None => self.eflags & FLAG_PF != 0,
            _ => parity(self.lazy.res),
        }
    }

    #[inline(always)]
    pub(crate) fn af(&self) -> bool {
        let l = &self.lazy;
        match l.op {
            LazyOp::None => self.eflags & FLAG_AF != 0,
            LazyOp::Logic => false,
            _ => (l.a ^ l.b ^ l.res) & 0x10 != 0,
        }
    }

    #[inline(always)]
    pub(crate) fn of(&self) -> bool {
        let l = &self.lazy;
        let s = sign_bit(l.width);
        match l.op {
            LazyOp::None => self.eflags & FLAG_OF != 0,
            LazyOp::Add | LazyOp::Adc | LazyOp::Inc => (l.a ^ l.res) & (l.b ^ l.res) & s != 0,
            LazyOp::Sub | LazyOp::Sbb | LazyOp::Dec => (l.a ^ l.b) & (l.a ^ l.res) & s != 0,
            LazyOp::Logic => false,
        }
    }

    /// Computes the arithmetic flags into `eflags` and drops the lazy state.
    pub(crate) fn materialize_flags(&mut self) {
        if self.lazy.op == LazyOp::None {
            return;
        }
        let mut f = self.eflags & !ARITH;
        f |= self.cf() as u32 * FLAG_CF;
        f |= self.pf() as u32 * FLAG_PF;
        f |= self.af() as u32 * FLAG_AF;
        f |= self.zf() as u32 * FLAG_ZF;
        f |= self.sf() as u32 * FLAG_SF;
        f |= self.of() as u32 * FLAG_OF;
        self.eflags = f;
        self.lazy.op = LazyOp::None;
    }

    /// The architectural EFLAGS value.
    pub fn eflags(&self) -> u32 {
        let mut f = self.eflags & !ARITH;
        f |= self.cf() as u32 * FLAG_CF;
        f |= self.pf() as u32 * FLAG_PF;
        f |= self.af() as u32 * FLAG_AF;
        f |= self.zf() as u32 * FLAG_ZF;
        f |= self.sf() as u32 * FLAG_SF;
        f |= self.of() as u32 * FLAG_OF;
        f | FLAG_FIXED
    }

    /// Sets the flags under `mask`, keeping the rest. Bits the model lacks
    /// (reserved, or ID/AC/VM handled by callers) must be masked out by them.
    #[inline]
    pub(crate) fn write_flags(&mut self, value: u32, mask: u32) {
        self.materialize_flags();
        self.eflags = (self.eflags & !mask) | (value & mask) | FLAG_FIXED;
    }

    /// Sets the arithmetic flags eagerly from a result (for shifts, MUL, BCD...).
    #[inline]
    pub(crate) fn set_szp(&mut self, width: u32, res: u32) {
        self.materialize_flags();
        let mut f = self.eflags & !(FLAG_SF | FLAG_ZF | FLAG_PF);
        if res & width_mask(width) == 0 {
            f |= FLAG_ZF;
        }
        if res & sign_bit(width) != 0 {
            f |= FLAG_SF;
        }
        if parity(res) {
            f |= FLAG_PF;
        }
        self.eflags = f;
    }

    #[inline]
    pub(crate) fn set_flag(&mut self, flag: u32, on: bool) {
        self.materialize_flags();
        if on {
            self.eflags |= flag;
        } else {
            self.eflags &= !flag;
        }
    }

    /// The 16 condition codes of Jcc/SETcc/CMOVcc, by their encoding.
    #[inline(always)]
    pub(crate) fn cond(&self, cc: u8) -> bool {
        let r = match cc >> 1 {
            0 => self.of(),
            1 => self.cf(),
            2 => self.zf(),
            3 => self.cf() || self.zf(),
            4 => self.sf(),
            5 => self.pf(),
            6 => self.sf() != self.of(),
            _ => self.zf() || (self.sf() != self.of()),
        };
        r != (cc & 1 != 0)
    }
}
