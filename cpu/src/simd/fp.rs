//! IEEE binary32/binary64 arithmetic for SSE and SSE2, in integers.
//!
//! Every operation computes the exact result (or a 64-bit significand with
//! a sticky bit for the bits below it) and rounds once, in [`round_pack`],
//! in the MXCSR rounding mode. That is exact by construction for every
//! mode, and it is what gives the x86 rules that host floating point
//! cannot: the exception flags, DAZ (denormal operands read as zero, no
//! DE), FTZ (tiny results flushed to zero with UE and PE when underflow is
//! masked), tininess detected after rounding, and NaN propagation (the
//! first operand's NaN, quietened; otherwise the second's; the default NaN
//! for invalid operations). Rules that hardware shows beyond the SDM's
//! text and that the committed host vectors check: a NaN operand
//! suppresses DE, and so does an invalid square root; x/0 raises ZE but
//! not DE; an unmasked overflow or underflow reports PE only when the
//! result rounded to full precision (unbounded exponent) is inexact.
//!
//! One shortcut uses the host: with PM masked, PE already flagged and
//! round-to-nearest, normal operands with a finite, non-tiny host result
//! take the host's IEEE result (see "Host fast path" below for why nothing
//! else can differ); everything else takes the integer path.
//!
//! Values are `u64` bit patterns for both formats; `D` selects binary64.
//! Internally a finite nonzero value is `(exp, sig)` with `sig` in
//! [2^62, 2^63): value = sig / 2^62 × 2^exp. Bits of `sig` below the
//! format's precision are round bits, bit 0 doubling as the sticky bit.

pub(crate) const IE: u32 = 1 << 0;
pub(crate) const DE: u32 = 1 << 1;
pub(crate) const ZE: u32 = 1 << 2;
pub(crate) const OE: u32 = 1 << 3;
pub(crate) const UE: u32 = 1 << 4;
pub(crate) const PE: u32 = 1 << 5;
/// The exceptions detected before a computation.
pub(crate) const PRE: u32 = IE | DE | ZE;

pub(crate) const RC_NEAREST: u32 = 0;
pub(crate) const RC_DOWN: u32 = 1;
pub(crate) const RC_UP: u32 = 2;
pub(crate) const RC_ZERO: u32 = 3;

const MXCSR_DAZ: u32 = 1 << 6;
const MXCSR_FZ: u32 = 1 << 15;

/// Rounding and masking environment of one instruction, and the
/// exception flags it raised (MXCSR bit layout).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Env {
    pub mxcsr: u32,
    pub flags: u32,
}

impl Env {
    #[inline(always)]
    pub fn new(mxcsr: u32) -> Env {
        Env { mxcsr, flags: 0 }
    }
    #[inline(always)]
    fn rc(&self) -> u32 {
        (self.mxcsr >> 13) & 3
    }
    #[inline(always)]
    fn daz(&self) -> bool {
        self.mxcsr & MXCSR_DAZ != 0
    }
    #[inline(always)]
    fn ftz(&self) -> bool {
        self.mxcsr & MXCSR_FZ != 0
    }
    #[inline(always)]
    fn masked(&self, f: u32) -> bool {
        (self.mxcsr >> 7) & f == f
    }
    /// A denormal operand reads as a zero of its sign under DAZ.
    #[inline(always)]
    fn daz_in<const D: bool>(&self, x: u64) -> u64 {
        if self.daz() && is_denormal::<D>(x) {
            x & sign_bit::<D>()
        } else {
            x
        }
    }
}

// ---------------------------------------------------------------------------
// Format

#[inline(always)]
const fn fb<const D: bool>() -> u32 {
    if D {
        52
    } else {
        23
    }
}
#[inline(always)]
const fn emax_field<const D: bool>() -> u64 {
    if D {
        0x7FF
    } else {
        0xFF
    }
}
#[inline(always)]
const fn bias<const D: bool>() -> i32 {
    if D {
        1023
    } else {
        127
    }
}
#[inline(always)]
pub(crate) const fn sign_bit<const D: bool>() -> u64 {
    if D {
        1 << 63
    } else {
        1 << 31
    }
}
#[inline(always)]
const fn frac_mask<const D: bool>() -> u64 {
    (1 << fb::<D>()) - 1
}
#[inline(always)]
const fn quiet_bit<const D: bool>() -> u64 {
    1 << (fb::<D>() - 1)
}
#[inline(always)]
fn exp_field<const D: bool>(x: u64) -> u64 {
    (x >> fb::<D>()) & emax_field::<D>()
}
#[inline(always)]
fn neg<const D: bool>(x: u64) -> bool {
    x & sign_bit::<D>() != 0
}
#[inline(always)]
pub(crate) fn is_nan<const D: bool>(x: u64) -> bool {
    exp_field::<D>(x) == emax_field::<D>() && x & frac_mask::<D>() != 0
}
#[inline(always)]
pub(crate) fn is_snan<const D: bool>(x: u64) -> bool {
    is_nan::<D>(x) && x & quiet_bit::<D>() == 0
}
#[inline(always)]
fn is_inf<const D: bool>(x: u64) -> bool {
    exp_field::<D>(x) == emax_field::<D>() && x & frac_mask::<D>() == 0
}
#[inline(always)]
fn is_zero<const D: bool>(x: u64) -> bool {
    x & !sign_bit::<D>() == 0
}
#[inline(always)]
pub(crate) fn is_denormal<const D: bool>(x: u64) -> bool {
    exp_field::<D>(x) == 0 && x & frac_mask::<D>() != 0
}
#[inline(always)]
fn quiet<const D: bool>(x: u64) -> u64 {
    x | quiet_bit::<D>()
}
/// The default QNaN ("real indefinite"): FFC00000h / FFF8000000000000h.
#[inline(always)]
pub(crate) const fn default_nan<const D: bool>() -> u64 {
    if D {
        0xFFF8_0000_0000_0000
    } else {
        0xFFC0_0000
    }
}
#[inline(always)]
fn zero<const D: bool>(neg: bool) -> u64 {
    if neg {
        sign_bit::<D>()
    } else {
        0
    }
}
#[inline(always)]
fn inf<const D: bool>(neg: bool) -> u64 {
    zero::<D>(neg) | (emax_field::<D>() << fb::<D>())
}
#[inline(always)]
fn max_finite<const D: bool>(neg: bool) -> u64 {
    inf::<D>(neg) - 1
}

/// Exponent and significand of a finite nonzero value (denormals are
/// normalised): value = sig / 2^62 × 2^exp, sig in [2^62, 2^63).
#[inline(always)]
fn unpack<const D: bool>(x: u64) -> (i32, u64) {
    let e = exp_field::<D>(x) as i32;
    let f = x & frac_mask::<D>();
    if e == 0 {
        let lz = f.leading_zeros();
        (
            64 - lz as i32 - bias::<D>() - fb::<D>() as i32,
            f << (lz - 1),
        )
    } else {
        (e - bias::<D>(), ((1 << fb::<D>()) | f) << (62 - fb::<D>()))
    }
}

#[inline(always)]
fn shift_right_jam(x: u64, n: u32) -> u64 {
    if n == 0 {
        x
    } else if n < 64 {
        (x >> n) | ((x << (64 - n)) != 0) as u64
    } else {
        (x != 0) as u64
    }
}

/// Drops the low `sh` bits (1 <= sh < 64) with rounding: the kept value,
/// possibly one more than `x >> sh`, and whether any dropped bit was set.
#[inline(always)]
fn round_shift(x: u64, sh: u32, rc: u32, neg: bool) -> (u64, bool) {
    let rem = x & ((1u64 << sh) - 1);
    let m = x >> sh;
    let half = 1u64 << (sh - 1);
    let up = match rc {
        RC_NEAREST => rem > half || (rem == half && m & 1 != 0),
        RC_DOWN => neg && rem != 0,
        RC_UP => !neg && rem != 0,
        _ => false,
    };
    (m + up as u64, rem != 0)
}

/// Rounds a normalised significand (bit 62 set, sticky in bit 0) to the
/// format in the current mode and packs it, raising OE/UE/PE.
/// Tininess is detected after rounding (with unbounded exponent), as on
/// x86. An unmasked overflow or underflow reports OE or UE, with PE when
/// the rounding at full precision was inexact; the value returned then is
/// never written.
fn round_pack<const D: bool>(env: &mut Env, neg: bool, exp: i32, sig: u64) -> u64 {
    let f = fb::<D>();
    let sh = 62 - f;
    let rc = env.rc();
    let s = zero::<D>(neg);
    let (mut m, inexact) = round_shift(sig, sh, rc, neg);
    let mut e = exp;
    if m >> (f + 1) != 0 {
        m >>= 1;
        e += 1;
    }
    if e > bias::<D>() {
        if !env.masked(OE) {
            // Unmasked: PE still reports the rounding at full precision.
            env.flags |= OE | if inexact { PE } else { 0 };
            return s;
        }
        env.flags |= OE | PE;
        let to_inf = match rc {
            RC_NEAREST => true,
            RC_DOWN => neg,
            RC_UP => !neg,
            _ => false,
        };
        return if to_inf {
            inf::<D>(neg)
        } else {
            max_finite::<D>(neg)
        };
    }
    let emin = 1 - bias::<D>();
    if e < emin {
        if !env.masked(UE) {
            env.flags |= UE | if inexact { PE } else { 0 };
            return s;
        }
        if env.ftz() {
            env.flags |= UE | PE;
            return s;
        }
        let shift = (emin - exp) as u32;
        let (m2, inexact2) = round_shift(shift_right_jam(sig, shift), sh, rc, neg);
        if inexact2 {
            env.flags |= UE | PE;
        }
        // A carry into bit `f` gives the smallest normal, as it should.
        return s | m2;
    }
    if inexact {
        env.flags |= PE;
    }
    s | (((e + bias::<D>()) as u64) << f) | (m & frac_mask::<D>())
}

/// The NaN result of a two-operand operation with a NaN operand: the first
/// operand's NaN if it is one, else the second's, quietened; IE for an SNaN.
#[inline]
fn nan2<const D: bool>(env: &mut Env, a: u64, b: u64) -> u64 {
    if is_snan::<D>(a) || is_snan::<D>(b) {
        env.flags |= IE;
    }
    if is_nan::<D>(a) {
        quiet::<D>(a)
    } else {
        quiet::<D>(b)
    }
}

#[inline(always)]
fn denormal_check<const D: bool>(env: &mut Env, a: u64, b: u64) {
    if is_denormal::<D>(a) || is_denormal::<D>(b) {
        env.flags |= DE;
    }
}

// ---------------------------------------------------------------------------
// Host fast path
//
// When MXCSR has the precision exception masked and already flagged and
// rounds to nearest, an operation on normal (or zero) operands whose host
// result is finite and either zero or larger in magnitude than the
// smallest normal raises nothing new and its value is the host's: IEEE
// add/sub/mul/div/sqrt round correctly to nearest on every host, PE is
// sticky so inexactness need not be known, DE cannot arise (no denormal
// operands), OE cannot (a finite round-to-nearest result means no
// overflow), IE and ZE cannot (their results are NaN or infinite), and UE
// cannot: a result above the smallest normal means the exact value is
// above it too, so it is not tiny even before rounding. A zero result is
// exact here (cancellation, or a zero operand; products and quotients of
// nonzero normals that round to zero are excluded). Anything else takes
// the integer path.

#[inline(always)]
fn fast(env: &Env) -> bool {
    // PM set, RC = nearest, PE set; DAZ and FTZ only matter for the
    // denormal operands and tiny results the path leaves out, and the
    // other masks for exceptions it cannot raise.
    const PM: u32 = PE << 7;
    env.mxcsr & (PM | 3 << 13 | PE) == PM | PE
}

/// Normal or zero (not denormal, infinite or NaN).
#[inline(always)]
fn plain<const D: bool>(x: u64) -> bool {
    let e = exp_field::<D>(x);
    (e != 0 && e != emax_field::<D>()) || is_zero::<D>(x)
}

const ADD_OP: u8 = 0;
const MUL_OP: u8 = 1;
const DIV_OP: u8 = 2;
const SQRT_OP: u8 = 3;

#[inline(always)]
fn host<const D: bool, const K: u8>(a: u64, b: u64) -> Option<u64> {
    if !plain::<D>(a) || !plain::<D>(b) {
        return None;
    }
    let zero_ok = K == ADD_OP || is_zero::<D>(a) || (K == MUL_OP && is_zero::<D>(b));
    if D {
        let (x, y) = (f64::from_bits(a), f64::from_bits(b));
        let r = match K {
            ADD_OP => x + y,
            MUL_OP => x * y,
            DIV_OP => x / y,
            _ => y.sqrt(),
        };
        let ok = r.is_finite()
            && if r == 0.0 {
                zero_ok
            } else {
                r.abs() > f64::MIN_POSITIVE
            };
        ok.then_some(r.to_bits())
    } else {
        let (x, y) = (f32::from_bits(a as u32), f32::from_bits(b as u32));
        let r = match K {
            ADD_OP => x + y,
            MUL_OP => x * y,
            DIV_OP => x / y,
            _ => y.sqrt(),
        };
        let ok = r.is_finite()
            && if r == 0.0 {
                zero_ok
            } else {
                r.abs() > f32::MIN_POSITIVE
            };
        ok.then_some(r.to_bits() as u64)
    }
}

// ---------------------------------------------------------------------------
// Arithmetic

/// a + b, or a - b when `sub`.
pub(crate) fn add<const D: bool>(env: &mut Env, a: u64, b: u64, sub: bool) -> u64 {
    if fast(env) {
        let nb = if sub { b ^ sign_bit::<D>() } else { b };
        if let Some(r) = host::<D, ADD_OP>(a, nb) {
            return r;
        }
    }
    let (a, b) = (env.daz_in::<D>(a), env.daz_in::<D>(b));
    if is_nan::<D>(a) || is_nan::<D>(b) {
        return nan2::<D>(env, a, b);
    }
    let b = if sub { b ^ sign_bit::<D>() } else { b };
    let (sa, sb) = (neg::<D>(a), neg::<D>(b));
    if is_inf::<D>(a) || is_inf::<D>(b) {
        if is_inf::<D>(a) && is_inf::<D>(b) && sa != sb {
            env.flags |= IE;
            return default_nan::<D>();
        }
        denormal_check::<D>(env, a, b);
        return if is_inf::<D>(a) { a } else { b };
    }
    denormal_check::<D>(env, a, b);
    let (za, zb) = (is_zero::<D>(a), is_zero::<D>(b));
    if za && zb {
        return if sa == sb {
            a
        } else {
            zero::<D>(env.rc() == RC_DOWN)
        };
    }
    if za || zb {
        // The other operand, through rounding so that FTZ and unmasked
        // underflow see a denormal result.
        let x = if za { b } else { a };
        let (e, m) = unpack::<D>(x);
        return round_pack::<D>(env, neg::<D>(x), e, m);
    }
    let (mut ea, mut ma) = unpack::<D>(a);
    let (mut eb, mut mb) = unpack::<D>(b);
    let (mut sa, mut sb) = (sa, sb);
    if (eb, mb) > (ea, ma) {
        core::mem::swap(&mut ea, &mut eb);
        core::mem::swap(&mut ma, &mut mb);
        core::mem::swap(&mut sa, &mut sb);
    }
    let mb = shift_right_jam(mb, (ea - eb) as u32);
    if sa == sb {
        let mut m = ma + mb;
        let mut e = ea;
        if m >> 63 != 0 {
            m = (m >> 1) | (m & 1);
            e += 1;
        }
        round_pack::<D>(env, sa, e, m)
    } else {
        let m = ma - mb;
        if m == 0 {
            return zero::<D>(env.rc() == RC_DOWN);
        }
        let lz = m.leading_zeros() - 1;
        round_pack::<D>(env, sa, ea - lz as i32, m << lz)
    }
}

pub(crate) fn mul<const D: bool>(env: &mut Env, a: u64, b: u64) -> u64 {
    if fast(env) {
        if let Some(r) = host::<D, MUL_OP>(a, b) {
            return r;
        }
    }
    let (a, b) = (env.daz_in::<D>(a), env.daz_in::<D>(b));
    if is_nan::<D>(a) || is_nan::<D>(b) {
        return nan2::<D>(env, a, b);
    }
    let s = neg::<D>(a) != neg::<D>(b);
    if is_inf::<D>(a) || is_inf::<D>(b) {
        if is_zero::<D>(a) || is_zero::<D>(b) {
            env.flags |= IE;
            return default_nan::<D>();
        }
        denormal_check::<D>(env, a, b);
        return inf::<D>(s);
    }
    denormal_check::<D>(env, a, b);
    if is_zero::<D>(a) || is_zero::<D>(b) {
        return zero::<D>(s);
    }
    let (ea, ma) = unpack::<D>(a);
    let (eb, mb) = unpack::<D>(b);
    let p = ma as u128 * mb as u128;
    let (m, e) = if p >> 125 != 0 {
        (
            (p >> 63) as u64 | (p as u64 & ((1 << 63) - 1) != 0) as u64,
            ea + eb + 1,
        )
    } else {
        (
            (p >> 62) as u64 | (p as u64 & ((1 << 62) - 1) != 0) as u64,
            ea + eb,
        )
    };
    round_pack::<D>(env, s, e, m)
}

pub(crate) fn div<const D: bool>(env: &mut Env, a: u64, b: u64) -> u64 {
    if fast(env) && !is_zero::<D>(b) {
        if let Some(r) = host::<D, DIV_OP>(a, b) {
            return r;
        }
    }
    let (a, b) = (env.daz_in::<D>(a), env.daz_in::<D>(b));
    if is_nan::<D>(a) || is_nan::<D>(b) {
        return nan2::<D>(env, a, b);
    }
    let s = neg::<D>(a) != neg::<D>(b);
    if is_inf::<D>(a) {
        if is_inf::<D>(b) {
            env.flags |= IE;
            return default_nan::<D>();
        }
        denormal_check::<D>(env, a, b);
        return inf::<D>(s);
    }
    if is_inf::<D>(b) {
        denormal_check::<D>(env, a, b);
        return zero::<D>(s);
    }
    if is_zero::<D>(b) {
        if is_zero::<D>(a) {
            env.flags |= IE;
            return default_nan::<D>();
        }
        env.flags |= ZE;
        return inf::<D>(s);
    }
    denormal_check::<D>(env, a, b);
    if is_zero::<D>(a) {
        return zero::<D>(s);
    }
    let (ea, ma) = unpack::<D>(a);
    let (eb, mb) = unpack::<D>(b);
    let n = (ma as u128) << 63;
    let q = (n / mb as u128) as u64;
    let sticky = (n != q as u128 * mb as u128) as u64;
    let (m, e) = if q >> 63 != 0 {
        ((q >> 1) | (q & 1) | sticky, ea - eb)
    } else {
        (q | sticky, ea - eb - 1)
    };
    round_pack::<D>(env, s, e, m)
}

pub(crate) fn sqrt<const D: bool>(env: &mut Env, x: u64) -> u64 {
    if fast(env) && !neg::<D>(x) {
        if let Some(r) = host::<D, SQRT_OP>(x, x) {
            return r;
        }
    }
    let x = env.daz_in::<D>(x);
    if is_nan::<D>(x) {
        return nan2::<D>(env, x, x);
    }
    if is_zero::<D>(x) {
        return x;
    }
    if neg::<D>(x) {
        env.flags |= IE;
        return default_nan::<D>();
    }
    if is_inf::<D>(x) {
        return x;
    }
    denormal_check::<D>(env, x, x);
    let (e, m) = unpack::<D>(x);
    // floor(sqrt(n)) for n in [2^126, 2^128): m << 64 (even exponent) or
    // m << 65 (odd), so the root has bit 63 set.
    let odd = e & 1 != 0;
    let n = (m as u128) << if odd { 65 } else { 64 };
    let r = crate::x87::softfloat::sqrt_sig(n);
    let exact = (r as u128) * (r as u128) == n;
    let sig = (r >> 1) | (r & 1) | (!exact) as u64;
    round_pack::<D>(env, false, (e - odd as i32) >> 1, sig)
}

/// Ordering of two non-NaN values: -1, 0 or 1 (zeros of either sign equal).
#[inline]
fn order<const D: bool>(a: u64, b: u64) -> i32 {
    if is_zero::<D>(a) && is_zero::<D>(b) {
        return 0;
    }
    let key = |x: u64| -> i64 {
        let mag = (x & !sign_bit::<D>()) as i64;
        if neg::<D>(x) {
            -mag
        } else {
            mag
        }
    };
    let (ka, kb) = (key(a), key(b));
    (ka > kb) as i32 - (ka < kb) as i32
}

/// MINSS/MINPS/MAXSS/...: the second operand unless the first is strictly
/// smaller (larger); any NaN gives the second operand unchanged with IE.
pub(crate) fn minmax<const D: bool, const MAX: bool>(env: &mut Env, a: u64, b: u64) -> u64 {
    let (a, b) = (env.daz_in::<D>(a), env.daz_in::<D>(b));
    if is_nan::<D>(a) || is_nan::<D>(b) {
        env.flags |= IE;
        return b;
    }
    denormal_check::<D>(env, a, b);
    let o = order::<D>(a, b);
    if (MAX && o > 0) || (!MAX && o < 0) {
        a
    } else {
        b
    }
}

/// CMPPS/CMPSS predicates (imm8 bits 2:0): EQ, LT, LE, UNORD, NEQ, NLT,
/// NLE, ORD. LT/LE/NLT/NLE signal IE on any NaN, the others on SNaNs only.
pub(crate) fn compare<const D: bool>(env: &mut Env, a: u64, b: u64, pred: u32) -> bool {
    let (a, b) = (env.daz_in::<D>(a), env.daz_in::<D>(b));
    let pred = pred & 7;
    if is_nan::<D>(a) || is_nan::<D>(b) {
        let signaling = matches!(pred, 1 | 2 | 5 | 6);
        if signaling || is_snan::<D>(a) || is_snan::<D>(b) {
            env.flags |= IE;
        }
        return matches!(pred, 3..=6);
    }
    denormal_check::<D>(env, a, b);
    let o = order::<D>(a, b);
    match pred {
        0 => o == 0,
        1 => o < 0,
        2 => o <= 0,
        3 => false,
        4 => o != 0,
        5 => o >= 0,
        6 => o > 0,
        _ => true,
    }
}

/// COMISS/UCOMISS ordering: `None` when unordered. The quiet form
/// signals IE on SNaNs only.
pub(crate) fn comi<const D: bool>(env: &mut Env, a: u64, b: u64, quiet_cmp: bool) -> Option<i32> {
    let (a, b) = (env.daz_in::<D>(a), env.daz_in::<D>(b));
    if is_nan::<D>(a) || is_nan::<D>(b) {
        if !quiet_cmp || is_snan::<D>(a) || is_snan::<D>(b) {
            env.flags |= IE;
        }
        return None;
    }
    denormal_check::<D>(env, a, b);
    Some(order::<D>(a, b))
}

// ---------------------------------------------------------------------------
// Conversions

/// binary32 to binary64 (CVTSS2SD, CVTPS2PD): exact.
pub(crate) fn f32_to_f64(env: &mut Env, x: u32) -> u64 {
    let x = env.daz_in::<false>(x as u64);
    let s = (x >> 31) << 63;
    if is_nan::<false>(x) {
        if is_snan::<false>(x) {
            env.flags |= IE;
        }
        return s | (0x7FF << 52) | ((quiet::<false>(x) & frac_mask::<false>()) << 29);
    }
    if is_inf::<false>(x) {
        return s | (0x7FF << 52);
    }
    if is_zero::<false>(x) {
        return s;
    }
    denormal_check::<false>(env, x, x);
    let (e, m) = unpack::<false>(x);
    round_pack::<true>(env, s != 0, e, m)
}

/// binary64 to binary32 (CVTSD2SS, CVTPD2PS): rounded; a NaN keeps the
/// top of its payload.
pub(crate) fn f64_to_f32(env: &mut Env, x: u64) -> u32 {
    let x = env.daz_in::<true>(x);
    let s = ((x >> 63) as u32) << 31;
    if is_nan::<true>(x) {
        if is_snan::<true>(x) {
            env.flags |= IE;
        }
        return s | 0x7F80_0000 | ((quiet::<true>(x) & frac_mask::<true>()) >> 29) as u32;
    }
    if is_inf::<true>(x) {
        return s | 0x7F80_0000;
    }
    if is_zero::<true>(x) {
        return s;
    }
    denormal_check::<true>(env, x, x);
    let (e, m) = unpack::<true>(x);
    round_pack::<false>(env, s != 0, e, m) as u32
}

/// A 32-bit integer to binary32/binary64 (rounded in the current mode;
/// exact for binary64).
pub(crate) fn from_i32<const D: bool>(env: &mut Env, v: i32) -> u64 {
    if v == 0 {
        return 0;
    }
    let mag = v.unsigned_abs() as u64;
    let lz = mag.leading_zeros();
    round_pack::<D>(env, v < 0, 63 - lz as i32, mag << (lz - 1))
}

/// The 32-bit integer indefinite.
pub(crate) const INT_INDEFINITE: u32 = 0x8000_0000;

/// binary32/binary64 to a 32-bit integer, rounded in the current mode or
/// truncated; NaNs and out-of-range values give the integer indefinite
/// with IE. Denormals are not reported (DE is not among these
/// instructions' exceptions): they round like any small value.
pub(crate) fn to_i32<const D: bool>(env: &mut Env, x: u64, truncate: bool) -> u32 {
    let x = env.daz_in::<D>(x);
    if is_nan::<D>(x) || is_inf::<D>(x) {
        env.flags |= IE;
        return INT_INDEFINITE;
    }
    if is_zero::<D>(x) {
        return 0;
    }
    let s = neg::<D>(x);
    let (e, m) = unpack::<D>(x);
    if e > 62 {
        env.flags |= IE;
        return INT_INDEFINITE;
    }
    let rc = if truncate { RC_ZERO } else { env.rc() };
    let shift = (62 - e) as u32;
    let (mag, inexact) = if shift == 0 {
        (m, false)
    } else if shift >= 64 {
        // |x| < 1/2.
        let up = match rc {
            RC_DOWN => s,
            RC_UP => !s,
            _ => false,
        };
        (up as u64, true)
    } else {
        round_shift(m, shift, rc, s)
    };
    let limit = if s { 1u64 << 31 } else { (1u64 << 31) - 1 };
    if mag > limit {
        env.flags |= IE;
        return INT_INDEFINITE;
    }
    if inexact {
        env.flags |= PE;
    }
    if s {
        (mag as u32).wrapping_neg()
    } else {
        mag as u32
    }
}

// ---------------------------------------------------------------------------
// Approximations

/// Rounds a host f64 to 12 significant bits (nearest, ties to even).
fn round12(x: f64) -> f64 {
    let b = x.to_bits();
    let low = b & ((1 << 41) - 1);
    let mut k = b - low;
    if low > 1 << 40 || (low == 1 << 40 && k & (1 << 41) != 0) {
        k += 1 << 41;
    }
    f64::from_bits(k)
}

/// RCPSS/RCPPS. The SDM only bounds the relative error (1.5 × 2^-12);
/// this model returns 1/x rounded to 12 significant bits, computed as the
/// correctly rounded binary64 quotient (IEEE division, identical on every
/// host) rounded again: error at most 2^-12 + 2^-53. Denormal operands
/// read as zero and tiny results are flushed to zero, as the SDM says; no
/// flags, MXCSR is ignored.
pub(crate) fn rcp(x: u32) -> u32 {
    let x64 = x as u64;
    if is_nan::<false>(x64) {
        return x | quiet_bit::<false>() as u32;
    }
    let s = x & 0x8000_0000;
    if x & 0x7F80_0000 == 0 {
        return s | 0x7F80_0000;
    }
    if is_inf::<false>(x64) {
        return s;
    }
    let r = round12(1.0 / f32::from_bits(x & 0x7FFF_FFFF) as f64);
    if r < f64::from_bits(0x3810_0000_0000_0000) {
        // Below 2^-126: flushed.
        return s;
    }
    s | (r as f32).to_bits()
}

/// RSQRTSS/RSQRTPS: 1/sqrt(x) rounded to 12 significant bits (see [`rcp`]);
/// negative operands give the default NaN, zeros and denormals an
/// infinity of their sign.
pub(crate) fn rsqrt(x: u32) -> u32 {
    let x64 = x as u64;
    if is_nan::<false>(x64) {
        return x | quiet_bit::<false>() as u32;
    }
    let s = x & 0x8000_0000;
    if x & 0x7F80_0000 == 0 {
        return s | 0x7F80_0000;
    }
    if s != 0 {
        return default_nan::<false>() as u32;
    }
    if is_inf::<false>(x64) {
        return 0;
    }
    let r = round12(1.0 / (f32::from_bits(x) as f64).sqrt());
    (r as f32).to_bits()
}
