//! 80-bit extended precision arithmetic in software.
//!
//! Values are kept in the x87 register format ([`F80`]: sign, 15-bit
//! exponent, 64-bit significand with an explicit integer bit). Every
//! operation computes the exact result (or enough extra bits to round it
//! correctly: a 128-bit intermediate with a sticky bit) and then rounds once,
//! in [`round`], to the precision (24/53/64 bits), exponent range and rounding
//! mode asked for. Exception flags accumulate in a [`Ctx`] built from the
//! control word; the masked responses (default NaN, infinities, denormal
//! results) are produced here, the unmasked ones are the caller's business
//! except for the bias-adjusted over/underflow results of register
//! destinations, which only rounding can produce.
//!
//! Nothing here can panic: every shift amount is checked and every exponent
//! computation is done in `i32` on values bounded far below its range.

/// Exception flags, as in the status and control words.
pub(crate) const IE: u16 = 1 << 0;
pub(crate) const DE: u16 = 1 << 1;
pub(crate) const ZE: u16 = 1 << 2;
pub(crate) const OE: u16 = 1 << 3;
pub(crate) const UE: u16 = 1 << 4;
pub(crate) const PE: u16 = 1 << 5;

/// Rounding control values.
pub(crate) const RC_NEAREST: u8 = 0;
pub(crate) const RC_DOWN: u8 = 1;
pub(crate) const RC_UP: u8 = 2;
#[allow(dead_code)]
pub(crate) const RC_ZERO: u8 = 3;

pub(crate) const BIAS: i32 = 16383;
/// Exponent adjustment of unmasked overflow/underflow results (3 × 2^13).
const BIAS_ADJUST: i32 = 24576;

/// An x87 register value.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Default, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct F80 {
    pub sig: u64,
    /// Sign (bit 15) and biased exponent (bits 0-14).
    pub se: u16,
}

/// What an [`F80`] encodes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Class {
    Zero,
    /// Exponent field 0 and a nonzero significand, including the
    /// pseudo-denormals (integer bit set), which the 387+ accepts.
    Denormal,
    Normal,
    Infinity,
    QNaN,
    SNaN,
    /// Unnormals, pseudo-NaNs and pseudo-infinities: invalid operands.
    Unsupported,
}

impl F80 {
    pub const fn new(neg: bool, exp: u16, sig: u64) -> F80 {
        F80 {
            sig,
            se: ((neg as u16) << 15) | (exp & 0x7FFF),
        }
    }
    pub const ZERO: F80 = F80::new(false, 0, 0);
    pub const ONE: F80 = F80::new(false, 0x3FFF, 1 << 63);
    /// The default QNaN ("real indefinite").
    pub const INDEFINITE: F80 = F80::new(true, 0x7FFF, 0xC000_0000_0000_0000);

    pub const fn infinity(neg: bool) -> F80 {
        F80::new(neg, 0x7FFF, 1 << 63)
    }
    pub const fn zero(neg: bool) -> F80 {
        F80::new(neg, 0, 0)
    }
    #[inline(always)]
    pub const fn neg(self) -> bool {
        self.se & 0x8000 != 0
    }
    #[inline(always)]
    pub const fn exp(self) -> u16 {
        self.se & 0x7FFF
    }
    #[inline(always)]
    pub const fn with_sign(self, neg: bool) -> F80 {
        F80 {
            sig: self.sig,
            se: (self.se & 0x7FFF) | ((neg as u16) << 15),
        }
    }
    /// The same value scaled by 2^n (exponent field arithmetic, clamped to
    /// the finite range; for tests and benchmarks).
    #[cfg(test)]
    pub fn with_exp_add(self, n: i32) -> F80 {
        let e = (self.exp() as i32 + n).clamp(1, 0x7FFE) as u16;
        F80::new(self.neg(), e, self.sig)
    }
    #[inline(always)]
    pub const fn negate(self) -> F80 {
        F80 {
            sig: self.sig,
            se: self.se ^ 0x8000,
        }
    }

    #[inline]
    pub fn class(self) -> Class {
        let int = self.sig >> 63 != 0;
        match self.exp() {
            0 => {
                if self.sig == 0 {
                    Class::Zero
                } else {
                    Class::Denormal
                }
            }
            0x7FFF => {
                if !int {
                    Class::Unsupported
                } else if self.sig << 1 == 0 {
                    Class::Infinity
                } else if self.sig & (1 << 62) != 0 {
                    Class::QNaN
                } else {
                    Class::SNaN
                }
            }
            _ => {
                if int {
                    Class::Normal
                } else {
                    Class::Unsupported
                }
            }
        }
    }

    pub fn is_nan(self) -> bool {
        matches!(self.class(), Class::QNaN | Class::SNaN)
    }

    pub fn to_bytes(self) -> [u8; 10] {
        let mut b = [0u8; 10];
        b[..8].copy_from_slice(&self.sig.to_le_bytes());
        b[8..].copy_from_slice(&self.se.to_le_bytes());
        b
    }

    pub fn from_bytes(b: [u8; 10]) -> F80 {
        let mut s = [0u8; 8];
        s.copy_from_slice(&b[..8]);
        F80 {
            sig: u64::from_le_bytes(s),
            se: u16::from_le_bytes([b[8], b[9]]),
        }
    }
}

/// Rounding and exception context of one instruction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx {
    pub rc: u8,
    /// Precision control in bits: 24, 53 or 64.
    pub prec: u32,
    /// Exception masks (control word bits 0-5; a set bit masks).
    pub masks: u16,
    /// Exceptions raised so far.
    pub flags: u16,
    /// The last rounding went up in magnitude (C1 on a precision exception).
    pub c1: bool,
}

impl Ctx {
    pub fn new(cw: u16) -> Ctx {
        Ctx {
            rc: ((cw >> 10) & 3) as u8,
            prec: match (cw >> 8) & 3 {
                0 => 24,
                2 => 53,
                // 3, and the reserved 1.
                _ => 64,
            },
            masks: cw & 0x3F,
            flags: 0,
            c1: false,
        }
    }

    /// The same rounding mode at full extended precision (for the
    /// instructions precision control does not affect).
    pub fn ext(mut self) -> Ctx {
        self.prec = 64;
        self
    }
}

/// A destination format for rounding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Format {
    pub prec: u32,
    pub emin: i32,
    pub emax: i32,
}

pub(crate) const FMT_F32: Format = Format {
    prec: 24,
    emin: -126,
    emax: 127,
};
pub(crate) const FMT_F64: Format = Format {
    prec: 53,
    emin: -1022,
    emax: 1023,
};

pub(crate) const fn fmt_ext(prec: u32) -> Format {
    Format {
        prec,
        emin: 1 - BIAS,
        emax: BIAS,
    }
}

/// A rounded finite or infinite value. `sig == 0`: zero; `sig` bit 63 set:
/// `sig / 2^63 * 2^exp`; otherwise a denormal of the format (at `emin`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rounded {
    pub neg: bool,
    pub exp: i32,
    pub sig: u64,
    pub inf: bool,
}

/// Splits off the low `n` bits of `sig`: (kept, half bit, sticky below it).
#[inline(always)]
fn split(sig: u128, n: u32) -> (u128, bool, bool) {
    if n == 0 {
        (sig, false, false)
    } else if n < 128 {
        let half = (sig >> (n - 1)) & 1 != 0;
        let sticky = if n == 1 {
            false
        } else {
            sig & ((1u128 << (n - 1)) - 1) != 0
        };
        (sig >> n, half, sticky)
    } else if n == 128 {
        (0, sig >> 127 != 0, sig & (u128::MAX >> 1) != 0)
    } else {
        (0, false, sig != 0)
    }
}

#[inline(always)]
fn rounds_up(rc: u8, neg: bool, odd: bool, half: bool, sticky: bool) -> bool {
    match rc {
        RC_NEAREST => half && (sticky || odd),
        RC_DOWN => neg && (half || sticky),
        RC_UP => !neg && (half || sticky),
        _ => false,
    }
}

/// Rounds `sig × 2^(exp − 127)` (`sig` normalised: bit 127 set) to `fmt`.
///
/// Tininess is detected after rounding (the SDM: the rounded result with an
/// unbounded exponent is below the smallest normal). `reg` says the
/// destination is the register stack, where unmasked overflow and underflow
/// deliver a result with the exponent adjusted by 24576; for memory
/// destinations they deliver nothing (the caller does not store), raise no
/// precision exception and clear C1.
pub(crate) fn round(
    ctx: &mut Ctx,
    neg: bool,
    exp: i32,
    sig: u128,
    fmt: Format,
    reg: bool,
) -> Rounded {
    let prec = fmt.prec;
    let norm_discard = 128 - prec;
    let mut e = exp;
    let mut tiny = false;
    if e < fmt.emin {
        tiny = if e == fmt.emin.saturating_sub(1) {
            let (k, h, s) = split(sig, norm_discard);
            let k = k + rounds_up(ctx.rc, neg, k & 1 != 0, h, s) as u128;
            k >> prec == 0
        } else {
            true
        };
        if tiny && ctx.masks & UE == 0 {
            ctx.flags |= UE;
            if reg {
                e = e.saturating_add(BIAS_ADJUST);
                if e < fmt.emin {
                    // Massive underflow (FSCALE): still tiny after the
                    // bias adjustment, a properly signed zero.
                    ctx.flags |= PE;
                    ctx.c1 = false;
                    return Rounded {
                        neg,
                        exp: fmt.emin,
                        sig: 0,
                        inf: false,
                    };
                }
            } else {
                ctx.c1 = false;
                return Rounded {
                    neg,
                    exp: fmt.emin,
                    sig: 0,
                    inf: false,
                };
            }
        }
    }
    let d = if e < fmt.emin {
        (fmt.emin as i64 - e as i64).min(256) as u32
    } else {
        0
    };
    let (mut k, half, sticky) = if norm_discard + d == 64 {
        // The common case (64-bit precision, normal result): whole words.
        let lo = sig as u64;
        (sig >> 64, lo >> 63 != 0, lo << 1 != 0)
    } else {
        split(sig, norm_discard + d)
    };
    let inexact = half || sticky;
    let up = rounds_up(ctx.rc, neg, k & 1 != 0, half, sticky);
    if up {
        k += 1;
    }
    let mut oe = if d > 0 { fmt.emin } else { e };
    if k >> prec != 0 {
        k >>= 1;
        oe = oe.saturating_add(1);
    }
    let sig64 = (k as u64) << (64 - prec);
    if oe > fmt.emax {
        if ctx.masks & OE == 0 {
            ctx.flags |= OE;
            if !reg {
                ctx.c1 = false;
                return Rounded {
                    neg,
                    exp: fmt.emax,
                    sig: 0,
                    inf: true,
                };
            }
            if inexact {
                ctx.flags |= PE;
            }
            ctx.c1 = up;
            oe -= BIAS_ADJUST;
            if oe > fmt.emax {
                // Massive overflow (FSCALE): a properly signed infinity,
                // rounded up.
                ctx.flags |= PE;
                ctx.c1 = true;
                return Rounded {
                    neg,
                    exp: fmt.emax,
                    sig: 0,
                    inf: true,
                };
            }
            return Rounded {
                neg,
                exp: oe,
                sig: sig64,
                inf: false,
            };
        }
        ctx.flags |= OE | PE;
        let to_inf = match ctx.rc {
            RC_NEAREST => true,
            RC_DOWN => neg,
            RC_UP => !neg,
            _ => false,
        };
        ctx.c1 = to_inf;
        if to_inf {
            return Rounded {
                neg,
                exp: fmt.emax,
                sig: 0,
                inf: true,
            };
        }
        let max = (u64::MAX >> (64 - prec)) << (64 - prec);
        return Rounded {
            neg,
            exp: fmt.emax,
            sig: max,
            inf: false,
        };
    }
    if inexact {
        ctx.flags |= PE;
        if tiny {
            ctx.flags |= UE;
        }
    }
    ctx.c1 = up;
    Rounded {
        neg,
        exp: oe,
        sig: sig64,
        inf: false,
    }
}

pub(crate) fn pack80(r: Rounded) -> F80 {
    if r.inf {
        F80::infinity(r.neg)
    } else if r.sig == 0 {
        F80::zero(r.neg)
    } else if r.sig >> 63 == 0 {
        F80::new(r.neg, 0, r.sig)
    } else {
        F80::new(r.neg, (r.exp + BIAS).clamp(1, 0x7FFE) as u16, r.sig)
    }
}

fn pack64(r: Rounded) -> u64 {
    let s = (r.neg as u64) << 63;
    if r.inf {
        s | 0x7FF0_0000_0000_0000
    } else if r.sig >> 63 == 0 {
        s | (r.sig >> 11)
    } else {
        s | (((r.exp + 1023).clamp(1, 0x7FE) as u64) << 52) | ((r.sig >> 11) & ((1 << 52) - 1))
    }
}

fn pack32(r: Rounded) -> u32 {
    let s = (r.neg as u32) << 31;
    if r.inf {
        s | 0x7F80_0000
    } else if r.sig >> 63 == 0 {
        s | (r.sig >> 40) as u32
    } else {
        s | (((r.exp + 127).clamp(1, 0xFE) as u32) << 23) | ((r.sig >> 40) as u32 & 0x7F_FFFF)
    }
}

/// Normalises a nonzero `sig` whose bit 127 weighs `2^exp`, rounds to the
/// extended format at precision `prec` for a register destination.
#[inline]
pub(crate) fn norm_round(ctx: &mut Ctx, neg: bool, exp: i32, sig: u128, prec: u32) -> F80 {
    if sig == 0 {
        return F80::zero(neg);
    }
    let lz = sig.leading_zeros();
    pack80(round(
        ctx,
        neg,
        exp.saturating_sub(lz as i32),
        sig << lz,
        fmt_ext(prec),
        true,
    ))
}

/// A finite nonzero operand: `sig / 2^63 × 2^exp`, `sig` bit 63 set.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unp {
    pub neg: bool,
    pub exp: i32,
    pub sig: u64,
}

/// Unpacks a normal, denormal or pseudo-denormal value.
#[inline]
pub(crate) fn unpack(a: F80) -> Unp {
    let e = a.exp() as i32;
    if e == 0 {
        let lz = a.sig.leading_zeros();
        Unp {
            neg: a.neg(),
            exp: 1 - BIAS - lz as i32,
            sig: a.sig.checked_shl(lz).unwrap_or(0),
        }
    } else {
        Unp {
            neg: a.neg(),
            exp: e - BIAS,
            sig: a.sig,
        }
    }
}

#[inline]
pub(crate) fn quiet(a: F80) -> F80 {
    F80 {
        sig: a.sig | (1 << 62),
        se: a.se,
    }
}

fn is_nan_class(c: Class) -> bool {
    matches!(c, Class::QNaN | Class::SNaN)
}

/// The NaN result of a two-operand operation with at least one NaN operand
/// (SDM table 4-7): a QNaN beats an SNaN; between NaNs of the same kind the
/// larger significand wins; an SNaN result is quieted and raises IE.
pub(crate) fn propagate(ctx: &mut Ctx, a: F80, b: F80) -> F80 {
    let (ca, cb) = (a.class(), b.class());
    if ca == Class::SNaN || cb == Class::SNaN {
        ctx.flags |= IE;
    }
    match (is_nan_class(ca), is_nan_class(cb)) {
        (true, false) => quiet(a),
        (false, true) => quiet(b),
        _ => {
            if ca == Class::QNaN && cb == Class::SNaN {
                a
            } else if ca == Class::SNaN && cb == Class::QNaN {
                b
            } else if a.sig > b.sig {
                quiet(a)
            } else if b.sig > a.sig || (b.sig == a.sig && a.neg()) {
                // Equal significands: the positive one.
                quiet(b)
            } else {
                quiet(a)
            }
        }
    }
}

/// The invalid-operand checks shared by two-operand arithmetic: an
/// unsupported encoding gives the default NaN, NaNs propagate.
#[inline]
fn special2(ctx: &mut Ctx, a: F80, ca: Class, b: F80, cb: Class) -> Option<F80> {
    if ca == Class::Unsupported || cb == Class::Unsupported {
        ctx.flags |= IE;
        return Some(F80::INDEFINITE);
    }
    if is_nan_class(ca) || is_nan_class(cb) {
        return Some(propagate(ctx, a, b));
    }
    None
}

/// One-operand version of [`special2`].
#[inline]
pub(crate) fn special1(ctx: &mut Ctx, a: F80, ca: Class) -> Option<F80> {
    match ca {
        Class::Unsupported => {
            ctx.flags |= IE;
            Some(F80::INDEFINITE)
        }
        Class::SNaN => {
            ctx.flags |= IE;
            Some(quiet(a))
        }
        Class::QNaN => Some(a),
        _ => None,
    }
}

#[inline(always)]
fn shr_jam(v: u128, n: u32) -> u128 {
    if n == 0 {
        v
    } else if n < 128 {
        (v >> n) | ((v & ((1u128 << n) - 1) != 0) as u128)
    } else {
        (v != 0) as u128
    }
}

/// a + b (or a − b when `sub`), rounded to `ctx.prec`.
pub(crate) fn add(ctx: &mut Ctx, a: F80, b: F80, sub: bool) -> F80 {
    let (ca, cb) = (a.class(), b.class());
    if let Some(r) = special2(ctx, a, ca, b, cb) {
        return r;
    }
    let bneg = b.neg() ^ sub;
    match (ca, cb) {
        (Class::Infinity, Class::Infinity) => {
            if a.neg() != bneg {
                ctx.flags |= IE;
                return F80::INDEFINITE;
            }
            return a;
        }
        (Class::Infinity, _) => {
            if cb == Class::Denormal {
                ctx.flags |= DE;
            }
            return a;
        }
        (_, Class::Infinity) => {
            if ca == Class::Denormal {
                ctx.flags |= DE;
            }
            return F80::infinity(bneg);
        }
        _ => {}
    }
    if ca == Class::Denormal || cb == Class::Denormal {
        ctx.flags |= DE;
    }
    let prec = ctx.prec;
    match (ca == Class::Zero, cb == Class::Zero) {
        (true, true) => {
            let neg = if a.neg() == bneg {
                bneg
            } else {
                ctx.rc == RC_DOWN
            };
            return F80::zero(neg);
        }
        (true, false) => {
            let u = unpack(b);
            return norm_round(ctx, bneg, u.exp, (u.sig as u128) << 64, prec);
        }
        (false, true) => {
            let u = unpack(a);
            return norm_round(ctx, u.neg, u.exp, (u.sig as u128) << 64, prec);
        }
        _ => {}
    }
    let mut x = unpack(a);
    let mut y = unpack(b);
    y.neg = bneg;
    if y.exp > x.exp || (y.exp == x.exp && y.sig > x.sig) {
        core::mem::swap(&mut x, &mut y);
    }
    let d = (x.exp - y.exp) as u32;
    let xs = (x.sig as u128) << 63;
    let ys = shr_jam((y.sig as u128) << 63, d);
    if x.neg == y.neg {
        norm_round(ctx, x.neg, x.exp + 1, xs + ys, prec)
    } else {
        let s = xs - ys;
        if s == 0 {
            return F80::zero(ctx.rc == RC_DOWN);
        }
        norm_round(ctx, x.neg, x.exp + 1, s, prec)
    }
}

/// a × b rounded to `ctx.prec`.
pub(crate) fn mul(ctx: &mut Ctx, a: F80, b: F80) -> F80 {
    let (ca, cb) = (a.class(), b.class());
    if let Some(r) = special2(ctx, a, ca, b, cb) {
        return r;
    }
    let neg = a.neg() ^ b.neg();
    match (ca, cb) {
        (Class::Infinity, Class::Zero) | (Class::Zero, Class::Infinity) => {
            ctx.flags |= IE;
            return F80::INDEFINITE;
        }
        (Class::Infinity, _) | (_, Class::Infinity) => {
            if ca == Class::Denormal || cb == Class::Denormal {
                ctx.flags |= DE;
            }
            return F80::infinity(neg);
        }
        _ => {}
    }
    if ca == Class::Denormal || cb == Class::Denormal {
        ctx.flags |= DE;
    }
    if ca == Class::Zero || cb == Class::Zero {
        return F80::zero(neg);
    }
    let x = unpack(a);
    let y = unpack(b);
    let p = (x.sig as u128) * (y.sig as u128);
    norm_round(ctx, neg, x.exp + y.exp + 1, p, ctx.prec)
}

/// a ÷ b rounded to `ctx.prec`.
pub(crate) fn div(ctx: &mut Ctx, a: F80, b: F80) -> F80 {
    let (ca, cb) = (a.class(), b.class());
    if let Some(r) = special2(ctx, a, ca, b, cb) {
        return r;
    }
    let neg = a.neg() ^ b.neg();
    match (ca, cb) {
        (Class::Infinity, Class::Infinity) | (Class::Zero, Class::Zero) => {
            ctx.flags |= IE;
            return F80::INDEFINITE;
        }
        (Class::Infinity, _) => {
            if cb == Class::Denormal {
                ctx.flags |= DE;
            }
            return F80::infinity(neg);
        }
        (_, Class::Zero) => {
            ctx.flags |= ZE;
            return F80::infinity(neg);
        }
        (_, Class::Infinity) => {
            if ca == Class::Denormal {
                ctx.flags |= DE;
            }
            return F80::zero(neg);
        }
        _ => {}
    }
    if ca == Class::Denormal || cb == Class::Denormal {
        ctx.flags |= DE;
    }
    if ca == Class::Zero {
        return F80::zero(neg);
    }
    let x = unpack(a);
    let y = unpack(b);
    let (q, sticky) = div_sig(x.sig, y.sig);
    // q ≈ (x.sig / y.sig) × 2^126.
    norm_round(ctx, neg, x.exp - y.exp + 1, q | sticky as u128, ctx.prec)
}

/// (x / y) × 2^126 truncated, and whether a remainder was left, for
/// significands with bit 63 set.
#[inline]
fn div_sig(x: u64, y: u64) -> (u128, bool) {
    let n = (x as u128) << 64;
    let y = y as u128;
    let q1 = n / y;
    let r1 = n % y;
    let n2 = r1 << 64;
    let q2 = n2 / y;
    let r2 = n2 % y;
    ((q1 << 62) | (q2 >> 2), q2 & 3 != 0 || r2 != 0)
}

/// ceil(sqrt((i + 1) × 2^56)) for the top byte i of a normalised u64: a
/// starting point at or above the root, within 2^-8 of it.
const SQRT_SEED: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let v = ((i as u128) + 1) << 56;
        // Bitwise integer square root, then round up.
        let mut r: u128 = 0;
        let mut bit: u128 = 1 << 32;
        while bit > 0 {
            let c = r | bit;
            if c * c <= v {
                r = c;
            }
            bit >>= 1;
        }
        if r * r < v {
            r += 1;
        }
        t[i] = r as u64;
        i += 1;
    }
    t
};

/// floor(sqrt(t)).
fn isqrt64(t: u64) -> u64 {
    if t < 2 {
        return t;
    }
    // Normalise by an even shift so the top byte indexes the seed table.
    let sh = t.leading_zeros() & !1;
    let n = t << sh;
    let mut x = (SQRT_SEED[(n >> 56) as usize] >> (sh / 2)).max(1);
    // Two Newton steps from above take the 2^-8 relative error below
    // 2^-35: at most one above the floor afterwards.
    x = (x + t / x) >> 1;
    x = ((x + t / x) >> 1).max(1);
    while (x as u128) * (x as u128) > t as u128 {
        x -= 1;
    }
    x
}

#[cfg(test)]
pub(crate) fn isqrt64_for_test(t: u64) -> u64 {
    isqrt64(t)
}

/// floor(sqrt(m)) for m in [2^126, 2^128): a 32-bit root of the top half,
/// one Newton step to 64 bits (64-bit divisions only), then exact fix-up.
pub(crate) fn sqrt_sig(m: u128) -> u64 {
    let t = (m >> 64) as u64;
    let s = isqrt64(t).max(1);
    let rem = m - (((s as u128) * (s as u128)) << 64);
    let d = ((rem >> 33) as u64) / s;
    let mut r = ((s as u128) << 32) + d as u128;
    let sq_gt = |r: u128| match r.checked_mul(r) {
        Some(q) => q > m,
        None => true,
    };
    while sq_gt(r) {
        r -= 1;
    }
    while !sq_gt(r + 1) {
        r += 1;
    }
    r as u64
}

/// √a rounded to `ctx.prec`.
pub(crate) fn sqrt(ctx: &mut Ctx, a: F80) -> F80 {
    let ca = a.class();
    if let Some(r) = special1(ctx, a, ca) {
        return r;
    }
    match ca {
        Class::Zero => return a,
        Class::Infinity => {
            if a.neg() {
                ctx.flags |= IE;
                return F80::INDEFINITE;
            }
            return a;
        }
        _ => {}
    }
    if a.neg() {
        ctx.flags |= IE;
        return F80::INDEFINITE;
    }
    if ca == Class::Denormal {
        ctx.flags |= DE;
    }
    let u = unpack(a);
    let odd = u.exp & 1 != 0;
    let m = if odd {
        (u.sig as u128) << 64
    } else {
        (u.sig as u128) << 63
    };
    let r = sqrt_sig(m) as u128;
    let rem = m - r * r;
    let mut s = r << 64;
    if rem > r {
        s |= 1 << 63;
    }
    if rem != 0 {
        s |= 1;
    }
    norm_round(ctx, false, u.exp >> 1, s, ctx.prec)
}

/// Rounding of a finite nonzero value to an integer: (magnitude, inexact,
/// rounded up). The magnitude is `None` when it does not fit 64 bits.
fn int_mag(u: Unp, rc: u8) -> (Option<u64>, bool, bool) {
    if u.exp >= 64 {
        return (None, false, false);
    }
    if u.exp >= 63 {
        return (Some(u.sig), false, false);
    }
    let shift = (63 - u.exp) as u32;
    let (k, half, sticky) = split(u.sig as u128, shift);
    let up = rounds_up(rc, u.neg, k & 1 != 0, half, sticky);
    let k = k + up as u128;
    (u64::try_from(k).ok(), half || sticky, up)
}

/// FRNDINT: round to an integer in the current rounding mode.
pub(crate) fn round_to_int(ctx: &mut Ctx, a: F80) -> F80 {
    let ca = a.class();
    if let Some(r) = special1(ctx, a, ca) {
        return r;
    }
    match ca {
        Class::Zero | Class::Infinity => return a,
        Class::Denormal => ctx.flags |= DE,
        _ => {}
    }
    let u = unpack(a);
    if u.exp >= 63 {
        return F80::new(u.neg, (u.exp + BIAS) as u16, u.sig);
    }
    let (mag, inexact, up) = int_mag(u, ctx.rc);
    if inexact {
        ctx.flags |= PE;
    }
    ctx.c1 = up;
    match mag {
        Some(0) => F80::zero(u.neg),
        Some(m) => from_u64(u.neg, m),
        None => F80::new(u.neg, (BIAS + 63) as u16, 1 << 63),
    }
}

fn from_u64(neg: bool, m: u64) -> F80 {
    if m == 0 {
        return F80::zero(neg);
    }
    let lz = m.leading_zeros();
    F80::new(neg, (BIAS + 63 - lz as i32) as u16, m << lz)
}

/// Exact conversion of an integer.
pub(crate) fn from_int(v: i64) -> F80 {
    if v == 0 {
        return F80::ZERO;
    }
    from_u64(v < 0, v.unsigned_abs())
}

/// FIST: round to a `bits`-bit signed integer in the current rounding
/// mode. `None` (with IE) for NaNs, infinities, unsupported encodings and
/// values out of range.
pub(crate) fn to_int(ctx: &mut Ctx, a: F80, bits: u32) -> Option<i64> {
    match a.class() {
        Class::Zero => return Some(0),
        Class::Unsupported | Class::QNaN | Class::SNaN | Class::Infinity => {
            ctx.flags |= IE;
            return None;
        }
        _ => {}
    }
    let u = unpack(a);
    let (mag, inexact, up) = int_mag(u, ctx.rc);
    let limit: u64 = 1u64 << (bits.clamp(2, 64) - 1);
    let v = match mag {
        Some(m) if u.neg && m <= limit => (m as i64).wrapping_neg(),
        Some(m) if !u.neg && m < limit => m as i64,
        _ => {
            ctx.flags |= IE;
            return None;
        }
    };
    if inexact {
        ctx.flags |= PE;
    }
    ctx.c1 = up;
    Some(v)
}

/// FBLD: 18 packed BCD digits and a sign byte. Nibbles above 9 are not
/// valid BCD; they are weighted like digits (the result is undefined on
/// hardware) and cannot overflow the 64-bit significand.
pub(crate) fn from_bcd(b: [u8; 10]) -> F80 {
    let mut v: u64 = 0;
    for i in (0..9).rev() {
        let hi = (b[i] >> 4) as u64;
        let lo = (b[i] & 15) as u64;
        v = v.wrapping_mul(10).wrapping_add(hi);
        v = v.wrapping_mul(10).wrapping_add(lo);
    }
    from_u64(b[9] & 0x80 != 0, v)
}

/// The packed BCD indefinite.
pub(crate) const BCD_INDEFINITE: [u8; 10] = [0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF];

/// FBSTP: round to an integer and encode; `None` (with IE) when out of
/// range (more than 18 digits) or not a number.
pub(crate) fn to_bcd(ctx: &mut Ctx, a: F80) -> Option<[u8; 10]> {
    let (neg, mut m) = match a.class() {
        Class::Zero => (a.neg(), 0u64),
        Class::Unsupported | Class::QNaN | Class::SNaN | Class::Infinity => {
            ctx.flags |= IE;
            return None;
        }
        _ => {
            let u = unpack(a);
            let (mag, inexact, up) = int_mag(u, ctx.rc);
            match mag {
                Some(m) if m <= 999_999_999_999_999_999 => {
                    if inexact {
                        ctx.flags |= PE;
                    }
                    ctx.c1 = up;
                    (u.neg, m)
                }
                _ => {
                    ctx.flags |= IE;
                    return None;
                }
            }
        }
    };
    let mut out = [0u8; 10];
    for byte in out.iter_mut().take(9) {
        let lo = (m % 10) as u8;
        m /= 10;
        let hi = (m % 10) as u8;
        m /= 10;
        *byte = (hi << 4) | lo;
    }
    out[9] = if neg { 0x80 } else { 0 };
    Some(out)
}

/// A single-precision value in extended format, exactly: SNaNs stay
/// signaling; the flag says the source was a denormal.
pub(crate) fn f32_raw(v: u32) -> (F80, bool) {
    let neg = v >> 31 != 0;
    let e = ((v >> 23) & 0xFF) as i32;
    let f = (v & 0x7F_FFFF) as u64;
    match e {
        0xFF => {
            if f == 0 {
                (F80::infinity(neg), false)
            } else {
                (F80::new(neg, 0x7FFF, (1 << 63) | (f << 40)), false)
            }
        }
        0 => {
            if f == 0 {
                (F80::zero(neg), false)
            } else {
                let lz = f.leading_zeros();
                (
                    F80::new(neg, (BIAS + 63 - lz as i32 - 149) as u16, f << lz),
                    true,
                )
            }
        }
        _ => (
            F80::new(neg, (e - 127 + BIAS) as u16, (1 << 63) | (f << 40)),
            false,
        ),
    }
}

/// A double-precision value in extended format (see [`f32_raw`]).
pub(crate) fn f64_raw(v: u64) -> (F80, bool) {
    let neg = v >> 63 != 0;
    let e = ((v >> 52) & 0x7FF) as i32;
    let f = v & ((1 << 52) - 1);
    match e {
        0x7FF => {
            if f == 0 {
                (F80::infinity(neg), false)
            } else {
                (F80::new(neg, 0x7FFF, (1 << 63) | (f << 11)), false)
            }
        }
        0 => {
            if f == 0 {
                (F80::zero(neg), false)
            } else {
                let lz = f.leading_zeros();
                (
                    F80::new(neg, (BIAS + 63 - lz as i32 - 1074) as u16, f << lz),
                    true,
                )
            }
        }
        _ => (
            F80::new(neg, (e - 1023 + BIAS) as u16, (1 << 63) | (f << 11)),
            false,
        ),
    }
}

/// FLD m32: exact; an SNaN is quieted with IE, a denormal raises DE.
pub(crate) fn from_f32(ctx: &mut Ctx, v: u32) -> F80 {
    load_fixup(ctx, f32_raw(v))
}

/// FLD m64.
pub(crate) fn from_f64(ctx: &mut Ctx, v: u64) -> F80 {
    load_fixup(ctx, f64_raw(v))
}

fn load_fixup(ctx: &mut Ctx, (a, den): (F80, bool)) -> F80 {
    if den {
        ctx.flags |= DE;
    }
    if a.class() == Class::SNaN {
        ctx.flags |= IE;
        return quiet(a);
    }
    a
}

/// The single-precision default NaN.
pub(crate) const F32_INDEFINITE: u32 = 0xFFC0_0000;
pub(crate) const F64_INDEFINITE: u64 = 0xFFF8_0000_0000_0000;

/// FST m32: round to single precision in the current rounding mode.
pub(crate) fn to_f32(ctx: &mut Ctx, a: F80) -> u32 {
    let s = (a.neg() as u32) << 31;
    match a.class() {
        Class::Unsupported => {
            ctx.flags |= IE;
            F32_INDEFINITE
        }
        Class::SNaN | Class::QNaN => {
            if a.class() == Class::SNaN {
                ctx.flags |= IE;
            }
            s | 0x7FC0_0000 | ((a.sig >> 40) as u32 & 0x7F_FFFF)
        }
        Class::Infinity => s | 0x7F80_0000,
        Class::Zero => s,
        _ => {
            let u = unpack(a);
            pack32(round(
                ctx,
                u.neg,
                u.exp,
                (u.sig as u128) << 64,
                FMT_F32,
                false,
            ))
        }
    }
}

/// FST m64.
pub(crate) fn to_f64(ctx: &mut Ctx, a: F80) -> u64 {
    let s = (a.neg() as u64) << 63;
    match a.class() {
        Class::Unsupported => {
            ctx.flags |= IE;
            F64_INDEFINITE
        }
        Class::SNaN | Class::QNaN => {
            if a.class() == Class::SNaN {
                ctx.flags |= IE;
            }
            s | 0x7FF8_0000_0000_0000 | ((a.sig >> 11) & ((1 << 52) - 1))
        }
        Class::Infinity => s | 0x7FF0_0000_0000_0000,
        Class::Zero => s,
        _ => {
            let u = unpack(a);
            pack64(round(
                ctx,
                u.neg,
                u.exp,
                (u.sig as u128) << 64,
                FMT_F64,
                false,
            ))
        }
    }
}

/// Result of a comparison.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Cmp {
    Less,
    Equal,
    Greater,
    Unordered,
}

/// FCOM (`quiet` false: any NaN raises IE) and FUCOM (`quiet`: only SNaNs).
pub(crate) fn compare(ctx: &mut Ctx, a: F80, b: F80, quiet: bool) -> Cmp {
    let (ca, cb) = (a.class(), b.class());
    if ca == Class::Unsupported || cb == Class::Unsupported {
        ctx.flags |= IE;
        return Cmp::Unordered;
    }
    if is_nan_class(ca) || is_nan_class(cb) {
        if !quiet || ca == Class::SNaN || cb == Class::SNaN {
            ctx.flags |= IE;
        }
        return Cmp::Unordered;
    }
    if ca == Class::Denormal || cb == Class::Denormal {
        ctx.flags |= DE;
    }
    compare_values(a, ca, b, cb)
}

/// Orders two non-NaN supported values.
fn compare_values(a: F80, ca: Class, b: F80, cb: Class) -> Cmp {
    let key = |x: F80, c: Class| -> (i32, u64) {
        match c {
            Class::Zero => (i32::MIN, 0),
            Class::Infinity => (i32::MAX, 0),
            _ => {
                let u = unpack(x);
                (u.exp, u.sig)
            }
        }
    };
    let za = ca == Class::Zero;
    let zb = cb == Class::Zero;
    if za && zb {
        return Cmp::Equal;
    }
    let na = a.neg() && !za;
    let nb = b.neg() && !zb;
    if na != nb {
        return if na { Cmp::Less } else { Cmp::Greater };
    }
    let (ka, kb) = (key(a, ca), key(b, cb));
    let mag = ka.cmp(&kb);
    let ord = if na { mag.reverse() } else { mag };
    match ord {
        core::cmp::Ordering::Less => Cmp::Less,
        core::cmp::Ordering::Equal => Cmp::Equal,
        core::cmp::Ordering::Greater => Cmp::Greater,
    }
}

/// FPREM/FPREM1 result: the (partial) remainder and the low quotient bits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rem {
    pub value: F80,
    pub q: u64,
    /// Only a partial remainder was computed (C2).
    pub partial: bool,
}

/// FPREM (`nearest` false: truncated quotient) and FPREM1 (quotient rounded
/// to nearest). An exponent difference of 64 or more reduces by
/// `32 + diff % 32` bits only and reports a partial result.
pub(crate) fn rem(ctx: &mut Ctx, a: F80, b: F80, nearest: bool) -> Rem {
    let (ca, cb) = (a.class(), b.class());
    let done = |v: F80| Rem {
        value: v,
        q: 0,
        partial: false,
    };
    if let Some(r) = special2(ctx, a, ca, b, cb) {
        return done(r);
    }
    if ca == Class::Infinity || cb == Class::Zero {
        ctx.flags |= IE;
        return done(F80::INDEFINITE);
    }
    if ca == Class::Denormal || cb == Class::Denormal {
        ctx.flags |= DE;
    }
    if ca == Class::Zero || cb == Class::Infinity {
        // A denormal dividend is a tiny result (UE when unmasked); a
        // pseudo-denormal comes back in its canonical form.
        if ca == Class::Denormal {
            let x = unpack(a);
            return done(norm_round(ctx, x.neg, x.exp, (x.sig as u128) << 64, 64));
        }
        return done(a);
    }
    let x = unpack(a);
    let y = unpack(b);
    let d = x.exp - y.exp;
    if d < 0 {
        if nearest && d == -1 && x.sig > y.sig {
            // |a| > |b| / 2: q = 1, r = a - b.
            let r = ((y.sig as u128) << 1) - x.sig as u128;
            let v = norm_round(ctx, !x.neg, x.exp - 63 + 127, r, 64);
            return Rem {
                value: v,
                q: 1,
                partial: false,
            };
        }
        // The remainder is a itself; pack it normally (a pseudo-denormal
        // comes back canonical).
        let v = norm_round(ctx, x.neg, x.exp, (x.sig as u128) << 64, 64);
        return done(v);
    }
    let (k, partial) = if d >= 64 {
        (32 + (d % 32) as u32, true)
    } else {
        (d as u32, false)
    };
    // b scaled to the exponent difference k: weight of its unit.
    let unit_exp = x.exp - k as i32 - 63;
    let n = (x.sig as u128) << k;
    let m = y.sig as u128;
    let mut q = n / m;
    let mut r = n % m;
    let mut neg = x.neg;
    if nearest && !partial {
        let r2 = r << 1;
        if r2 > m || (r2 == m && q & 1 == 1) {
            q += 1;
            r = m - r;
            neg = !neg;
        }
    }
    let v = if r == 0 {
        F80::zero(x.neg)
    } else {
        norm_round(ctx, neg, unit_exp + 127, r, 64)
    };
    Rem {
        value: v,
        q: q as u64,
        partial,
    }
}

/// FSCALE: a × 2^trunc(b).
pub(crate) fn scale(ctx: &mut Ctx, a: F80, b: F80) -> F80 {
    let (ca, cb) = (a.class(), b.class());
    if let Some(r) = special2(ctx, a, ca, b, cb) {
        return r;
    }
    if cb == Class::Infinity {
        return match (ca, b.neg()) {
            (Class::Zero, false) | (Class::Infinity, true) => {
                ctx.flags |= IE;
                F80::INDEFINITE
            }
            (Class::Zero, true) | (Class::Infinity, false) => a,
            (_, false) => {
                if ca == Class::Denormal {
                    ctx.flags |= DE;
                }
                F80::infinity(a.neg())
            }
            (_, true) => {
                if ca == Class::Denormal {
                    ctx.flags |= DE;
                }
                F80::zero(a.neg())
            }
        };
    }
    if ca == Class::Denormal || cb == Class::Denormal {
        ctx.flags |= DE;
    }
    if ca == Class::Zero || ca == Class::Infinity {
        return a;
    }
    let n: i32 = if cb == Class::Zero {
        0
    } else {
        let u = unpack(b);
        let m = if u.exp >= 30 {
            1 << 30
        } else if u.exp < 0 {
            0
        } else {
            (u.sig >> (63 - u.exp)) as i32
        };
        if u.neg {
            -m
        } else {
            m
        }
    };
    let x = unpack(a);
    norm_round(ctx, x.neg, x.exp + n, (x.sig as u128) << 64, 64)
}

/// FXTRACT of a finite nonzero value: (exponent, significand in [1, 2)).
pub(crate) fn xtract(a: F80) -> (F80, F80) {
    let u = unpack(a);
    (from_int(u.exp as i64), F80::new(u.neg, BIAS as u16, u.sig))
}

/// FXAM's condition codes (C3, C2, C0) for a non-empty register.
pub(crate) fn fxam_class(a: F80) -> (bool, bool, bool) {
    match a.class() {
        Class::Unsupported => (false, false, false),
        Class::QNaN | Class::SNaN => (false, false, true),
        Class::Normal => (false, true, false),
        Class::Infinity => (false, true, true),
        Class::Zero => (true, false, false),
        Class::Denormal => (true, true, false),
    }
}
