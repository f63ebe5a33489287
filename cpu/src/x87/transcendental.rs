//! The transcendental instructions, computed in a 128-bit-significand
//! software format ([`Xf`], about 125 correct bits per operation) and
//! rounded once to the 64-bit result, so that results are within one ulp
//! (almost always correctly rounded) in every rounding mode.
//!
//! * FSIN/FCOS/FSINCOS/FPTAN: Payne–Hanek reduction modulo π/2 with 512 bits
//!   of 2/π (exact for every |x| < 2^63, unlike the 66-bit π of real
//!   hardware), then Taylor series on |r| ≤ π/4.
//! * FPATAN: atan(k/16) table plus a short series on the reduced argument.
//! * F2XM1: expm1(x·ln 2) by its series.
//! * FYL2X/FYL2XP1: ln m = 2·atanh((m−1)/(m+1)) with m in [√2/2, √2).
//!
//! The constants were generated with mpmath at 600 bits of precision.

use super::softfloat::{
    fmt_ext, pack80, propagate, round, special1, unpack, Class, Ctx, DE, F80, IE, PE, ZE,
};

/// `sig × 2^(exp − 127)`; `sig` is zero or has bit 127 set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Xf {
    pub neg: bool,
    pub exp: i32,
    pub sig: u128,
}

/// (high 128 bits of a × b, low 128 bits nonzero).
#[inline(always)]
fn mul_hi(a: u128, b: u128) -> u128 {
    let (a1, a0) = (a >> 64, a & 0xFFFF_FFFF_FFFF_FFFF);
    let (b1, b0) = (b >> 64, b & 0xFFFF_FFFF_FFFF_FFFF);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & 0xFFFF_FFFF_FFFF_FFFF) + (p10 & 0xFFFF_FFFF_FFFF_FFFF);
    p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64)
}

impl Xf {
    pub const ZERO: Xf = Xf {
        neg: false,
        exp: 0,
        sig: 0,
    };
    pub const ONE: Xf = Xf {
        neg: false,
        exp: 0,
        sig: 1 << 127,
    };
    const TWO: Xf = Xf {
        neg: false,
        exp: 1,
        sig: 1 << 127,
    };

    #[inline]
    pub fn norm(neg: bool, exp: i32, sig: u128) -> Xf {
        if sig == 0 {
            return Xf::ZERO;
        }
        let lz = sig.leading_zeros();
        Xf {
            neg,
            exp: exp.saturating_sub(lz as i32),
            sig: sig << lz,
        }
    }

    /// A finite value (zero included).
    pub fn from_f80(a: F80) -> Xf {
        if a.exp() == 0 && a.sig == 0 {
            return Xf::ZERO;
        }
        let u = unpack(a);
        Xf {
            neg: u.neg,
            exp: u.exp,
            sig: (u.sig as u128) << 64,
        }
    }

    pub fn from_int(v: i64) -> Xf {
        Xf::norm(v < 0, 127, v.unsigned_abs() as u128)
    }

    pub fn is_zero(self) -> bool {
        self.sig == 0
    }

    pub fn negate(self) -> Xf {
        Xf {
            neg: !self.neg && self.sig != 0,
            ..self
        }
    }

    pub fn abs(self) -> Xf {
        Xf { neg: false, ..self }
    }

    pub fn scale(self, n: i32) -> Xf {
        if self.sig == 0 {
            self
        } else {
            Xf {
                exp: self.exp.saturating_add(n),
                ..self
            }
        }
    }

    /// |self| > |o|.
    fn mag_gt(self, o: Xf) -> bool {
        if o.sig == 0 {
            return self.sig != 0;
        }
        if self.sig == 0 {
            return false;
        }
        (self.exp, self.sig) > (o.exp, o.sig)
    }

    pub fn add(self, o: Xf) -> Xf {
        if self.sig == 0 {
            return o;
        }
        if o.sig == 0 {
            return self;
        }
        let (x, y) = if o.mag_gt(self) { (o, self) } else { (self, o) };
        let d = (x.exp as i64 - y.exp as i64) as u64;
        if d >= 127 {
            return x;
        }
        let xs = x.sig >> 1;
        let ys = (y.sig >> 1) >> d;
        if x.neg == y.neg {
            Xf::norm(x.neg, x.exp.saturating_add(1), xs + ys)
        } else {
            Xf::norm(x.neg, x.exp.saturating_add(1), xs - ys)
        }
    }

    pub fn sub(self, o: Xf) -> Xf {
        self.add(o.negate())
    }

    pub fn mul(self, o: Xf) -> Xf {
        if self.sig == 0 || o.sig == 0 {
            return Xf::ZERO;
        }
        Xf::norm(
            self.neg != o.neg,
            self.exp.saturating_add(o.exp).saturating_add(1),
            mul_hi(self.sig, o.sig),
        )
    }

    /// 1 / self (self nonzero), by one Newton step from a 64-bit estimate.
    pub fn recip(self) -> Xf {
        if self.sig == 0 {
            return Xf::ZERO;
        }
        let bh = (self.sig >> 64) + 1;
        let y0 = u128::MAX / bh; // ≈ 2^65 / m, m = sig / 2^127
        let y = Xf::norm(self.neg, 62 - self.exp, y0);
        let t = self.mul(y);
        y.mul(Xf::TWO.sub(t))
    }

    pub fn div(self, o: Xf) -> Xf {
        self.mul(o.recip())
    }

    /// Rounds to the extended format for a register destination. The
    /// value is known to be inexact: the true result lies strictly above
    /// the approximation in magnitude when `dir > 0`, strictly below when
    /// `dir < 0`; `dir == 0` means an approximation whose error direction
    /// is unknown (treated as slightly above).
    pub fn to_f80(self, ctx: &mut Ctx, dir: i8) -> F80 {
        if self.sig == 0 {
            ctx.flags |= PE;
            return F80::zero(self.neg);
        }
        let sig = if dir < 0 { self.sig - 1 } else { self.sig | 1 };
        let lz = sig.leading_zeros();
        pack80(round(
            ctx,
            self.neg,
            self.exp.saturating_sub(lz as i32),
            sig << lz,
            fmt_ext(64),
            true,
        ))
    }

    /// Rounds an exactly computed value.
    pub fn to_f80_exact(self, ctx: &mut Ctx) -> F80 {
        if self.sig == 0 {
            return F80::zero(self.neg);
        }
        pack80(round(ctx, self.neg, self.exp, self.sig, fmt_ext(64), true))
    }
}

/// 1/n to 128 bits (truncated), at compile time.
const fn recip_int(n: u128, neg: bool) -> Xf {
    if n <= 1 {
        return Xf {
            neg,
            exp: 0,
            sig: 1 << 127,
        };
    }
    let mut r: u128 = 1;
    let mut q: u128 = 0;
    let mut pos: i32 = 0;
    let mut first = 0;
    let mut count = 0;
    while count < 128 {
        r <<= 1;
        pos += 1;
        let bit = r >= n;
        if bit {
            r -= n;
        }
        if count == 0 && bit {
            first = -pos;
        }
        if count > 0 || bit {
            q = (q << 1) | bit as u128;
            count += 1;
        }
    }
    Xf {
        neg,
        exp: first,
        sig: q,
    }
}

const fn factorial(n: u32) -> u128 {
    let mut f: u128 = 1;
    let mut i = 2;
    while i <= n {
        f *= i as u128;
        i += 1;
    }
    f
}

const SIN_TERMS: usize = 15;
/// (−1)^k / (2k+1)!
const SIN_C: [Xf; SIN_TERMS] = {
    let mut t = [Xf::ZERO; SIN_TERMS];
    let mut k = 0;
    while k < SIN_TERMS {
        t[k] = recip_int(factorial(2 * k as u32 + 1), k & 1 == 1);
        k += 1;
    }
    t
};
/// (−1)^k / (2k)!
const COS_C: [Xf; SIN_TERMS] = {
    let mut t = [Xf::ZERO; SIN_TERMS];
    let mut k = 0;
    while k < SIN_TERMS {
        t[k] = recip_int(factorial(2 * k as u32), k & 1 == 1);
        k += 1;
    }
    t
};
const EXP_TERMS: usize = 28;
/// 1 / (k+1)!
const EXP_C: [Xf; EXP_TERMS] = {
    let mut t = [Xf::ZERO; EXP_TERMS];
    let mut k = 0;
    while k < EXP_TERMS {
        t[k] = recip_int(factorial(k as u32 + 1), false);
        k += 1;
    }
    t
};
const ATAN_TERMS: usize = 13;
/// (−1)^k / (2k+1)
const ATAN_C: [Xf; ATAN_TERMS] = {
    let mut t = [Xf::ZERO; ATAN_TERMS];
    let mut k = 0;
    while k < ATAN_TERMS {
        t[k] = recip_int(2 * k as u128 + 1, k & 1 == 1);
        k += 1;
    }
    t
};
const ATANH_TERMS: usize = 24;
/// 1 / (2k+1)
const ATANH_C: [Xf; ATANH_TERMS] = {
    let mut t = [Xf::ZERO; ATANH_TERMS];
    let mut k = 0;
    while k < ATANH_TERMS {
        t[k] = recip_int(2 * k as u128 + 1, false);
        k += 1;
    }
    t
};

pub(crate) const PI: Xf = Xf {
    neg: false,
    exp: 1,
    sig: 0xC90FDAA22168C234C4C6628B80DC1CD1,
};
pub(crate) const PI_2: Xf = Xf {
    neg: false,
    exp: 0,
    sig: 0xC90FDAA22168C234C4C6628B80DC1CD1,
};
pub(crate) const PI_4: Xf = Xf {
    neg: false,
    exp: -1,
    sig: 0xC90FDAA22168C234C4C6628B80DC1CD1,
};
pub(crate) const LN2: Xf = Xf {
    neg: false,
    exp: -1,
    sig: 0xB17217F7D1CF79ABC9E3B39803F2F6AF,
};
pub(crate) const LOG2E: Xf = Xf {
    neg: false,
    exp: 0,
    sig: 0xB8AA3B295C17F0BBBE87FED0691D3E88,
};
pub(crate) const LOG2_10: Xf = Xf {
    neg: false,
    exp: 1,
    sig: 0xD49A784BCD1B8AFE492BF6FF4DAFDB4C,
};
pub(crate) const LOG10_2: Xf = Xf {
    neg: false,
    exp: -2,
    sig: 0x9A209A84FBCFF7988F8959AC0B7C9178,
};
const SQRT2_SIG: u128 = 0xB504F333F9DE6484597D89B3754ABE9F;
/// 2/π: 512 fraction bits, most significant word first.
const TWO_OVER_PI: [u64; 8] = [
    0xA2F9836E4E441529,
    0xFC2757D1F534DDC0,
    0xDB6295993C439041,
    0xFE5163ABDEBBC561,
    0xB7246E3A424DD2E0,
    0x06492EEA09D1921C,
    0xFE1DEB1CB129A73E,
    0xE88235F52EBB4484,
];
/// atan(k/16) for k = 0..=16.
const ATAN_TABLE: [Xf; 17] = [
    Xf::ZERO,
    Xf {
        neg: false,
        exp: -5,
        sig: 0xFFAADDB967EF4E36CB2792DC0E2E0D51,
    },
    Xf {
        neg: false,
        exp: -4,
        sig: 0xFEADD4D5617B6E32C897989F3E888EF7,
    },
    Xf {
        neg: false,
        exp: -3,
        sig: 0xBDCBDA5E72D811347B0B4F881C9C7487,
    },
    Xf {
        neg: false,
        exp: -3,
        sig: 0xFADBAFC96406EB156DC79EF5F7A217E5,
    },
    Xf {
        neg: false,
        exp: -2,
        sig: 0x9B13B9B83F5E5E69C5ABB498D27AF328,
    },
    Xf {
        neg: false,
        exp: -2,
        sig: 0xB7B0CA0F26F784738AA32122DCFE4483,
    },
    Xf {
        neg: false,
        exp: -2,
        sig: 0xD327761E611FE5B6427C95E9001E7136,
    },
    Xf {
        neg: false,
        exp: -2,
        sig: 0xED63382B0DDA7B456FE445ECBC3A8D03,
    },
    Xf {
        neg: false,
        exp: -1,
        sig: 0x832BF4A6D9867E2A4B6A09CB61A515C0,
    },
    Xf {
        neg: false,
        exp: -1,
        sig: 0x8F005D5EF7F59F9B5C835E1665C43747,
    },
    Xf {
        neg: false,
        exp: -1,
        sig: 0x9A2F80E671BDDA204226F8E2204FF3BC,
    },
    Xf {
        neg: false,
        exp: -1,
        sig: 0xA4BC7D1934F7092419A87F2A457DAC9E,
    },
    Xf {
        neg: false,
        exp: -1,
        sig: 0xAEAC4C38B4D8C08014725E2F3E52070A,
    },
    Xf {
        neg: false,
        exp: -1,
        sig: 0xB8053E2BC2319E73CB2DA55210A4443D,
    },
    Xf {
        neg: false,
        exp: -1,
        sig: 0xC0CE85B8AC52664089DD62C46E92FA24,
    },
    Xf {
        neg: false,
        exp: -1,
        sig: 0xC90FDAA22168C234C4C6628B80DC1CD1,
    },
];

/// Σ c[k] z^k by Horner's rule.
fn poly(z: Xf, c: &[Xf]) -> Xf {
    let mut acc = Xf::ZERO;
    for &ck in c.iter().rev() {
        acc = acc.mul(z).add(ck);
    }
    acc
}

/// A constant rounded in the current rounding mode (FLDPI etc.: no
/// exception is raised).
pub(crate) fn constant(c: Xf, rc: u8) -> F80 {
    let mut ctx = Ctx {
        rc,
        prec: 64,
        masks: 0x3F,
        flags: 0,
        c1: false,
    };
    c.to_f80(&mut ctx, 0)
}

/// Below this exponent the sine, tangent and arctangent equal their
/// argument to within the rounding granularity; only the direction of the
/// difference matters.
const TINY_EXP: i32 = -33;

/// x mod π/2 for finite |x| < 2^63: (quadrant mod 4, r), |r| ≤ π/4.
fn reduce(a: F80) -> (u32, Xf) {
    let u = unpack(a);
    let x = Xf {
        neg: u.neg,
        exp: u.exp,
        sig: (u.sig as u128) << 64,
    };
    if u.exp < -1 || (u.exp == -1 && x.sig <= PI_4.sig) {
        return (0, x);
    }
    // |x|·2/π = m × T × 2^-(512 + s), T = 2/π × 2^512, s = 63 − exp ∈ [1, 64].
    let s = (63 - u.exp).clamp(1, 64) as u32;
    let m = u.sig as u128;
    let mut p = [0u64; 9]; // little-endian words of m × T
    let mut carry: u128 = 0;
    for j in 0..8 {
        let t = TWO_OVER_PI[7 - j] as u128;
        let v = m * t + carry;
        p[j] = v as u64;
        carry = v >> 64;
    }
    p[8] = carry as u64;
    let w = 512 + s; // fraction width in bits
    let bit = |p: &[u64; 9], i: u32| -> u64 {
        let (wi, bi) = ((i / 64) as usize, i % 64);
        p.get(wi).map_or(0, |v| (v >> bi) & 1)
    };
    let mut k = (bit(&p, w) | (bit(&p, w + 1) << 1)) as u32;
    // Fraction: the low w bits.
    let mut f = p;
    for (i, word) in f.iter_mut().enumerate() {
        let lo = i as u32 * 64;
        if lo >= w {
            *word = 0;
        } else if lo + 64 > w {
            *word &= (1u64 << (w - lo)) - 1;
        }
    }
    let mut neg = u.neg;
    if bit(&f, w - 1) == 1 {
        // Round the quotient up: fraction − 1 = −(2^w − f).
        k = k.wrapping_add(1);
        let mut borrow = 0u64;
        for word in f.iter_mut() {
            let (v1, b1) = 0u64.overflowing_sub(*word);
            let (v2, b2) = v1.overflowing_sub(borrow);
            *word = v2;
            borrow = (b1 || b2) as u64;
        }
        for (i, word) in f.iter_mut().enumerate() {
            let lo = i as u32 * 64;
            if lo >= w {
                *word = 0;
            } else if lo + 64 > w {
                *word &= (1u64 << (w - lo)) - 1;
            }
        }
        neg = !neg;
    }
    // Most significant set bit of the fraction magnitude.
    let q = (if u.neg { k.wrapping_neg() } else { k }) & 3;
    let Some(top) = (0..9).rev().find(|&i| f[i] != 0) else {
        return (q, Xf::ZERO);
    };
    let msb = top as i64 * 64 + 63 - f[top].leading_zeros() as i64;
    let lo = msb - 127;
    let sig = ((chunk(&f, lo + 64) as u128) << 64) | chunk(&f, lo) as u128;
    let frac = Xf {
        neg,
        exp: (msb - w as i64) as i32,
        sig,
    };
    (q, frac.mul(PI_2))
}

/// Bits [pos, pos + 64) of a little-endian multiword number (zeros below 0).
fn chunk(f: &[u64; 9], pos: i64) -> u64 {
    let word = |i: i64| -> u64 {
        usize::try_from(i)
            .ok()
            .and_then(|i| f.get(i))
            .copied()
            .unwrap_or(0)
    };
    if pos <= -64 {
        return 0;
    }
    if pos < 0 {
        return word(0) << (-pos);
    }
    let (wi, bi) = (pos / 64, pos % 64);
    let lo = word(wi) >> bi;
    let hi = if bi == 0 {
        0
    } else {
        word(wi + 1) << (64 - bi)
    };
    lo | hi
}

fn sin_xf(r: Xf) -> Xf {
    r.mul(poly(r.mul(r), &SIN_C))
}

fn cos_xf(r: Xf) -> Xf {
    poly(r.mul(r), &COS_C)
}

/// Common operand screening of the one-operand trig instructions: `Err`
/// holds the final result (NaN, invalid), `Ok(None)` means out of range.
fn trig_operand(ctx: &mut Ctx, a: F80) -> Result<Option<()>, F80> {
    let c = a.class();
    if let Some(r) = special1(ctx, a, c) {
        return Err(r);
    }
    match c {
        Class::Infinity => {
            ctx.flags |= IE;
            Err(F80::INDEFINITE)
        }
        _ => {
            if c != Class::Zero && a.exp() as i32 >= 16383 + 63 {
                return Ok(None);
            }
            if c == Class::Denormal {
                ctx.flags |= DE;
            }
            Ok(Some(()))
        }
    }
}

/// Approximations of sin and cos of a finite in-range nonzero operand
/// (each computed only when wanted), and the direction of the true values
/// from them when they are exact representations of the argument (tiny
/// arguments).
fn sincos_xf(a: F80, want_sin: bool, want_cos: bool) -> (Xf, Xf, i8) {
    let u = unpack(a);
    if u.exp < TINY_EXP {
        return (Xf::from_f80(a), Xf::ONE, -1);
    }
    let (q, r) = reduce(a);
    // sin x needs sin r for even quadrants, cos r for odd ones; cos x the
    // other way round.
    let need_sin_r = (want_sin && q & 1 == 0) || (want_cos && q & 1 == 1);
    let need_cos_r = (want_sin && q & 1 == 1) || (want_cos && q & 1 == 0);
    let sr = if need_sin_r { sin_xf(r) } else { Xf::ZERO };
    let cr = if need_cos_r { cos_xf(r) } else { Xf::ZERO };
    let (s, c) = match q {
        0 => (sr, cr),
        1 => (cr, sr.negate()),
        2 => (sr.negate(), cr.negate()),
        _ => (cr.negate(), sr),
    };
    (s, c, 0)
}

/// FSIN: `None` when |x| ≥ 2^63 (C2 set, operand unchanged).
pub(crate) fn fsin(ctx: &mut Ctx, a: F80) -> Option<F80> {
    match trig_operand(ctx, a) {
        Err(r) => Some(r),
        Ok(None) => None,
        Ok(Some(())) => {
            if a.class() == Class::Zero {
                return Some(a);
            }
            let (s, _, d) = sincos_xf(a, true, false);
            Some(s.to_f80(ctx, d))
        }
    }
}

/// FCOS.
pub(crate) fn fcos(ctx: &mut Ctx, a: F80) -> Option<F80> {
    match trig_operand(ctx, a) {
        Err(r) => Some(r),
        Ok(None) => None,
        Ok(Some(())) => {
            if a.class() == Class::Zero {
                return Some(F80::ONE);
            }
            let (_, c, d) = sincos_xf(a, false, true);
            Some(c.to_f80(ctx, d))
        }
    }
}

/// FSINCOS: (sin, cos); a NaN or invalid result is returned in both.
pub(crate) fn fsincos(ctx: &mut Ctx, a: F80) -> Option<(F80, F80)> {
    match trig_operand(ctx, a) {
        Err(r) => Some((r, r)),
        Ok(None) => None,
        Ok(Some(())) => {
            if a.class() == Class::Zero {
                return Some((a, F80::ONE));
            }
            let (s, c, d) = sincos_xf(a, true, true);
            let mut cs = *ctx;
            let c = c.to_f80(&mut cs, d);
            let s = s.to_f80(ctx, d);
            // C1 reports the rounding of the sine (ST(1)), as on hardware.
            ctx.flags |= cs.flags;
            Some((s, c))
        }
    }
}

/// FPTAN: the tangent (the caller pushes 1.0).
pub(crate) fn fptan(ctx: &mut Ctx, a: F80) -> Option<F80> {
    match trig_operand(ctx, a) {
        Err(r) => Some(r),
        Ok(None) => None,
        Ok(Some(())) => {
            if a.class() == Class::Zero {
                return Some(a);
            }
            let u = unpack(a);
            if u.exp < TINY_EXP {
                return Some(Xf::from_f80(a).to_f80(ctx, 1));
            }
            let (q, r) = reduce(a);
            let sr = sin_xf(r);
            let cr = cos_xf(r);
            let t = if q & 1 == 0 {
                sr.div(cr)
            } else {
                cr.div(sr).negate()
            };
            Some(t.to_f80(ctx, 0))
        }
    }
}

/// atan(z) for 0 ≤ z ≤ 1.
fn atan_small(z: Xf) -> Xf {
    // k = round(16 z)
    let shift = 127 - (z.exp as i64 + 4);
    let k: u32 = if z.sig == 0 || shift > 128 {
        0
    } else if shift <= 0 {
        16
    } else {
        let v = (z.sig >> (shift - 1)) as u64;
        (((v + 1) >> 1) as u32).min(16)
    };
    let c = Xf::from_int(k as i64).scale(-4);
    let t = if k == 0 {
        z
    } else {
        z.sub(c).div(Xf::ONE.add(z.mul(c)))
    };
    let tt = t.mul(t);
    ATAN_TABLE[k as usize].add(t.mul(poly(tt, &ATAN_C)))
}

/// FPATAN: atan2(y, x) (y in ST(1), x in ST(0)).
pub(crate) fn fpatan(ctx: &mut Ctx, y: F80, x: F80) -> F80 {
    let (cy, cx) = (y.class(), x.class());
    if cy == Class::Unsupported || cx == Class::Unsupported {
        ctx.flags |= IE;
        return F80::INDEFINITE;
    }
    if matches!(cy, Class::QNaN | Class::SNaN) || matches!(cx, Class::QNaN | Class::SNaN) {
        return propagate(ctx, y, x);
    }
    if cy == Class::Denormal || cx == Class::Denormal {
        ctx.flags |= DE;
    }
    let yneg = y.neg();
    let with_sign = |v: F80| v.with_sign(yneg);
    let pi_like = |ctx: &mut Ctx, c: Xf| -> F80 { Xf { neg: yneg, ..c }.to_f80(ctx, 0) };
    match (cy, cx) {
        (Class::Infinity, Class::Infinity) => {
            let c = if x.neg() {
                PI_4.mul(Xf::from_int(3))
            } else {
                PI_4
            };
            return pi_like(ctx, c);
        }
        (Class::Infinity, _) => return pi_like(ctx, PI_2),
        (_, Class::Infinity) => {
            return if x.neg() {
                pi_like(ctx, PI)
            } else {
                with_sign(F80::ZERO)
            };
        }
        (Class::Zero, _) => {
            return if x.neg() {
                pi_like(ctx, PI)
            } else {
                with_sign(F80::ZERO)
            };
        }
        (_, Class::Zero) => return pi_like(ctx, PI_2),
        _ => {}
    }
    let ay = Xf::from_f80(y).abs();
    let ax = Xf::from_f80(x).abs();
    let tiny_exact;
    let mut a = if !ay.mag_gt(ax) {
        let z = ay.div(ax);
        tiny_exact = z.exp < TINY_EXP && !x.neg();
        atan_small(z)
    } else {
        tiny_exact = false;
        PI_2.sub(atan_small(ax.div(ay)))
    };
    if x.neg() {
        a = PI.sub(a);
    }
    a.neg = yneg;
    // atan z < z for small z: the result lies below the approximation.
    a.to_f80(ctx, if tiny_exact { -1 } else { 0 })
}

/// expm1(y) for |y| ≤ 0.7.
fn expm1_small(y: Xf) -> Xf {
    y.mul(poly(y, &EXP_C))
}

/// F2XM1: 2^x − 1 (defined for |x| ≤ 1; computed for any finite x).
pub(crate) fn f2xm1(ctx: &mut Ctx, a: F80) -> F80 {
    let c = a.class();
    if let Some(r) = special1(ctx, a, c) {
        return r;
    }
    match c {
        Class::Zero => return a,
        Class::Infinity => return if a.neg() { F80::ONE.negate() } else { a },
        Class::Denormal => ctx.flags |= DE,
        _ => {}
    }
    let x = Xf::from_f80(a);
    if x.exp < 0 {
        return expm1_small(x.mul(LN2)).to_f80(ctx, 0);
    }
    if x.exp == 0 && x.sig == 1 << 127 {
        // 2^1 − 1 = 1, 2^−1 − 1 = −0.5 exactly.
        return if x.neg {
            F80::new(true, 0x3FFE, 1 << 63)
        } else {
            F80::ONE
        };
    }
    // |x| > 1: 2^k × 2^f − 1 with k = trunc(x).
    let k: i64 = if x.exp >= 15 {
        if x.neg {
            -20000
        } else {
            20000
        }
    } else {
        let m = (x.sig >> (127 - x.exp)) as i64;
        if x.neg {
            -m
        } else {
            m
        }
    };
    let f = x.sub(Xf::from_int(k));
    let p = expm1_small(f.mul(LN2)).add(Xf::ONE).scale(k as i32);
    p.sub(Xf::ONE).to_f80(ctx, 0)
}

/// ln m for m in [√2/2, √2), m − 1 computed exactly.
fn ln_mantissa(m: Xf) -> Xf {
    let num = m.sub(Xf::ONE);
    if num.is_zero() {
        return Xf::ZERO;
    }
    let s = num.div(m.add(Xf::ONE));
    ln_from_s(s)
}

/// 2·atanh(s) = ln((1+s)/(1−s)).
fn ln_from_s(s: Xf) -> Xf {
    s.mul(poly(s.mul(s), &ATANH_C)).scale(1)
}

/// log2 of a positive finite value; also whether it is exact (a power of 2).
fn log2_xf(x: Xf) -> (Xf, bool) {
    let mut e = x.exp;
    let mut m = Xf {
        neg: false,
        exp: 0,
        sig: x.sig,
    };
    if m.sig > SQRT2_SIG {
        m.exp = -1;
        e += 1;
    }
    if m.sig == 1 << 127 && m.exp == 0 {
        return (Xf::from_int(e as i64), true);
    }
    (Xf::from_int(e as i64).add(ln_mantissa(m).mul(LOG2E)), false)
}

/// Sign of the infinity or zero that a product with these operands gives.
fn prod_neg(a: bool, b: bool) -> bool {
    a != b
}

/// FYL2X: y × log2(x) (x in ST(0), y in ST(1)).
pub(crate) fn fyl2x(ctx: &mut Ctx, x: F80, y: F80) -> F80 {
    let (cx, cy) = (x.class(), y.class());
    if cx == Class::Unsupported || cy == Class::Unsupported {
        ctx.flags |= IE;
        return F80::INDEFINITE;
    }
    if matches!(cx, Class::QNaN | Class::SNaN) || matches!(cy, Class::QNaN | Class::SNaN) {
        return propagate(ctx, x, y);
    }
    if x.neg() && cx != Class::Zero {
        ctx.flags |= IE;
        return F80::INDEFINITE;
    }
    // Compare x with 1: Less / Equal / Greater.
    let x_vs_one = match cx {
        Class::Zero => core::cmp::Ordering::Less,
        Class::Infinity => core::cmp::Ordering::Greater,
        _ => {
            let u = unpack(x);
            if u.exp < 0 {
                core::cmp::Ordering::Less
            } else if u.exp > 0 || u.sig > 1 << 63 {
                core::cmp::Ordering::Greater
            } else {
                core::cmp::Ordering::Equal
            }
        }
    };
    use core::cmp::Ordering::*;
    match (cx, cy) {
        (Class::Zero, Class::Zero) | (Class::Infinity, Class::Zero) => {
            ctx.flags |= IE;
            return F80::INDEFINITE;
        }
        (Class::Zero, Class::Infinity) => return F80::infinity(!y.neg()),
        (Class::Zero, _) => {
            // Zero-divide takes precedence over a denormal ST(1).
            ctx.flags |= ZE;
            return F80::infinity(!y.neg());
        }
        (Class::Infinity, _) => {
            if cy == Class::Denormal {
                ctx.flags |= DE;
            }
            return F80::infinity(y.neg());
        }
        (_, Class::Infinity) => {
            if cx == Class::Denormal {
                ctx.flags |= DE;
            }
            return match x_vs_one {
                Equal => {
                    ctx.flags |= IE;
                    F80::INDEFINITE
                }
                Less => y.negate(),
                Greater => y,
            };
        }
        _ => {}
    }
    if cx == Class::Denormal || cy == Class::Denormal {
        ctx.flags |= DE;
    }
    if cy == Class::Zero {
        return match x_vs_one {
            Less => y.negate(),
            _ => y,
        };
    }
    if x_vs_one == Equal {
        return F80::zero(y.neg());
    }
    let (l, exact) = log2_xf(Xf::from_f80(x));
    let r = l.mul(Xf::from_f80(y));
    if exact {
        r.to_f80_exact(ctx)
    } else {
        r.to_f80(ctx, 0)
    }
}

/// FYL2XP1: y × log2(x + 1) (x in ST(0), y in ST(1)). Defined for
/// |x| < 1 − √2/2; computed for every x > −1.
pub(crate) fn fyl2xp1(ctx: &mut Ctx, x: F80, y: F80) -> F80 {
    let (cx, cy) = (x.class(), y.class());
    if cx == Class::Unsupported || cy == Class::Unsupported {
        ctx.flags |= IE;
        return F80::INDEFINITE;
    }
    if matches!(cx, Class::QNaN | Class::SNaN) || matches!(cy, Class::QNaN | Class::SNaN) {
        return propagate(ctx, x, y);
    }
    let xv = Xf::from_f80(if cx == Class::Infinity { F80::ZERO } else { x });
    let x1 = xv.add(Xf::ONE); // x + 1, exact for |x| < 2^64
    if cx == Class::Infinity && x.neg() || (cx != Class::Infinity && x1.neg && !x1.is_zero()) {
        ctx.flags |= IE;
        return F80::INDEFINITE;
    }
    if cx == Class::Infinity {
        // log2(+∞) = +∞
        if cy == Class::Zero {
            ctx.flags |= IE;
            return F80::INDEFINITE;
        }
        if cy == Class::Denormal {
            ctx.flags |= DE;
        }
        return F80::infinity(y.neg());
    }
    if x1.is_zero() {
        // x = −1: log2(0) = −∞
        if cy == Class::Zero {
            ctx.flags |= IE;
            return F80::INDEFINITE;
        }
        if cy == Class::Infinity {
            return F80::infinity(!y.neg());
        }
        ctx.flags |= ZE;
        return F80::infinity(!y.neg());
    }
    match (cx, cy) {
        (Class::Zero, Class::Infinity) => {
            ctx.flags |= IE;
            return F80::INDEFINITE;
        }
        (_, Class::Infinity) => {
            if cx == Class::Denormal {
                ctx.flags |= DE;
            }
            // log2(1 + x) has the sign of x.
            return F80::infinity(prod_neg(x.neg(), y.neg()));
        }
        _ => {}
    }
    if cx == Class::Denormal || cy == Class::Denormal {
        ctx.flags |= DE;
    }
    if cx == Class::Zero || cy == Class::Zero {
        return F80::zero(prod_neg(x.neg(), y.neg()));
    }
    let yv = Xf::from_f80(y);
    // |x| < 0.29: ln(1+x) = 2·atanh(x / (2 + x)) keeps full relative precision.
    let small = xv.exp < -2 || (xv.exp == -2 && xv.sig < 0x9581_0624_DD2F_1AA0_0000_0000_0000_0000);
    if small {
        let s = xv.div(xv.add(Xf::TWO));
        let r = ln_from_s(s).mul(LOG2E).mul(yv);
        return r.to_f80(ctx, 0);
    }
    let (l, exact) = log2_xf(x1);
    let r = l.mul(yv);
    if exact {
        r.to_f80_exact(ctx)
    } else {
        r.to_f80(ctx, 0)
    }
}
