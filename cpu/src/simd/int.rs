//! Integer SIMD operations shared by MMX (64-bit, `n` = 8 bytes) and SSE2
//! (128-bit, `n` = 16 bytes). Operands are `u128`; an MMX operand has its
//! upper half zero and so does its result.

pub(crate) const PADDB: u8 = 0;
pub(crate) const PADDW: u8 = 1;
pub(crate) const PADDD: u8 = 2;
pub(crate) const PADDQ: u8 = 3;
pub(crate) const PSUBB: u8 = 4;
pub(crate) const PSUBW: u8 = 5;
pub(crate) const PSUBD: u8 = 6;
pub(crate) const PSUBQ: u8 = 7;
pub(crate) const PADDSB: u8 = 8;
pub(crate) const PADDSW: u8 = 9;
pub(crate) const PADDUSB: u8 = 10;
pub(crate) const PADDUSW: u8 = 11;
pub(crate) const PSUBSB: u8 = 12;
pub(crate) const PSUBSW: u8 = 13;
pub(crate) const PSUBUSB: u8 = 14;
pub(crate) const PSUBUSW: u8 = 15;
pub(crate) const PCMPEQB: u8 = 16;
pub(crate) const PCMPEQW: u8 = 17;
pub(crate) const PCMPEQD: u8 = 18;
pub(crate) const PCMPGTB: u8 = 19;
pub(crate) const PCMPGTW: u8 = 20;
pub(crate) const PCMPGTD: u8 = 21;
pub(crate) const PAND: u8 = 22;
pub(crate) const PANDN: u8 = 23;
pub(crate) const POR: u8 = 24;
pub(crate) const PXOR: u8 = 25;
pub(crate) const PMULLW: u8 = 26;
pub(crate) const PMULHW: u8 = 27;
pub(crate) const PMULHUW: u8 = 28;
pub(crate) const PMADDWD: u8 = 29;
pub(crate) const PMULUDQ: u8 = 30;
pub(crate) const PAVGB: u8 = 31;
pub(crate) const PAVGW: u8 = 32;
pub(crate) const PMINUB: u8 = 33;
pub(crate) const PMAXUB: u8 = 34;
pub(crate) const PMINSW: u8 = 35;
pub(crate) const PMAXSW: u8 = 36;
pub(crate) const PSADBW: u8 = 37;
pub(crate) const PACKSSWB: u8 = 38;
pub(crate) const PACKSSDW: u8 = 39;
pub(crate) const PACKUSWB: u8 = 40;
pub(crate) const PUNPCKLBW: u8 = 41;
pub(crate) const PUNPCKLWD: u8 = 42;
pub(crate) const PUNPCKLDQ: u8 = 43;
pub(crate) const PUNPCKLQDQ: u8 = 44;
pub(crate) const PUNPCKHBW: u8 = 45;
pub(crate) const PUNPCKHWD: u8 = 46;
pub(crate) const PUNPCKHDQ: u8 = 47;
pub(crate) const PUNPCKHQDQ: u8 = 48;
pub(crate) const PSRLW: u8 = 49;
pub(crate) const PSRLD: u8 = 50;
pub(crate) const PSRLQ: u8 = 51;
pub(crate) const PSRAW: u8 = 52;
pub(crate) const PSRAD: u8 = 53;
pub(crate) const PSLLW: u8 = 54;
pub(crate) const PSLLD: u8 = 55;
pub(crate) const PSLLQ: u8 = 56;
/// Byte shifts of a whole XMM register (immediate count only).
pub(crate) const PSRLDQ: u8 = 57;
pub(crate) const PSLLDQ: u8 = 58;

/// MMX forms whose memory operand is 32 bits (PUNPCKL*).
pub(crate) const fn mmx_src32(op: u8) -> bool {
    matches!(op, PUNPCKLBW | PUNPCKLWD | PUNPCKLDQ)
}

#[inline(always)]
fn el(v: u128, bits: usize, i: usize) -> u64 {
    let x = (v >> (bits * i)) as u64;
    if bits == 64 {
        x
    } else {
        x & ((1u64 << bits) - 1)
    }
}

#[inline(always)]
fn put(bits: usize, i: usize, x: u64) -> u128 {
    let x = if bits == 64 {
        x
    } else {
        x & ((1u64 << bits) - 1)
    };
    (x as u128) << (bits * i)
}

/// Applies `f` to every `bits`-wide lane of `a` and `b` over `n` bytes.
#[inline(always)]
fn lanes(a: u128, b: u128, n: usize, bits: usize, f: impl Fn(u64, u64) -> u64) -> u128 {
    let mut r = 0u128;
    for i in 0..n * 8 / bits {
        r |= put(bits, i, f(el(a, bits, i), el(b, bits, i)));
    }
    r
}

/// The top bit of every `bits` lane of a u64.
#[inline(always)]
const fn msb(bits: usize) -> u64 {
    match bits {
        8 => 0x8080_8080_8080_8080,
        16 => 0x8000_8000_8000_8000,
        32 => 0x8000_0000_8000_0000,
        _ => 0x8000_0000_0000_0000,
    }
}

/// Applies a lane-parallel operation on u64s (SWAR) to both halves.
#[inline(always)]
fn halves(a: u128, b: u128, n: usize, f: impl Fn(u64, u64) -> u64) -> u128 {
    let lo = f(a as u64, b as u64) as u128;
    if n == 8 {
        lo
    } else {
        lo | (f((a >> 64) as u64, (b >> 64) as u64) as u128) << 64
    }
}

/// Wrapping lane addition without carries between lanes.
#[inline(always)]
fn swar_add(x: u64, y: u64, bits: usize) -> u64 {
    let h = msb(bits);
    ((x & !h).wrapping_add(y & !h)) ^ ((x ^ y) & h)
}

#[inline(always)]
fn swar_sub(x: u64, y: u64, bits: usize) -> u64 {
    let h = msb(bits);
    ((x | h).wrapping_sub(y & !h)) ^ ((x ^ !y) & h)
}

/// All ones in the lanes where `x` and `y` are equal.
#[inline(always)]
fn swar_eq(x: u64, y: u64, bits: usize) -> u64 {
    let h = msb(bits);
    let t = x ^ y;
    // Top bit set in every lane of t that is nonzero.
    let nz = (((t & !h).wrapping_add(!h)) | t) & h;
    let eq = (!nz & h) >> (bits - 1);
    let ones = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    eq.wrapping_mul(ones)
}

#[inline(always)]
fn sx(x: u64, bits: usize) -> i64 {
    let s = 64 - bits as u32;
    ((x << s) as i64) >> s
}

#[inline(always)]
fn sat_s(v: i64, bits: usize) -> u64 {
    let max = (1i64 << (bits - 1)) - 1;
    let min = -(1i64 << (bits - 1));
    v.clamp(min, max) as u64
}

#[inline(always)]
fn sat_u(v: i64, bits: usize) -> u64 {
    v.clamp(0, (1i64 << bits) - 1) as u64
}

/// Interleaves the low (or high) halves of `a` and `b` in `bits` elements.
#[inline(always)]
fn unpack(a: u128, b: u128, n: usize, bits: usize, high: bool) -> u128 {
    let k = n * 4 / bits;
    let off = if high { k } else { 0 };
    let mut r = 0u128;
    for i in 0..k {
        r |= put(bits, 2 * i, el(a, bits, off + i));
        r |= put(bits, 2 * i + 1, el(b, bits, off + i));
    }
    r
}

/// Packs the `bits` elements of `a` then `b` into elements half as wide.
#[inline(always)]
fn pack(a: u128, b: u128, n: usize, bits: usize, unsigned: bool) -> u128 {
    let k = n * 8 / bits;
    let h = bits / 2;
    let sat = |x: u64| {
        let v = sx(x, bits);
        if unsigned {
            sat_u(v, h)
        } else {
            sat_s(v, h)
        }
    };
    let mut r = 0u128;
    for i in 0..k {
        r |= put(h, i, sat(el(a, bits, i)));
        r |= put(h, k + i, sat(el(b, bits, i)));
    }
    r
}

/// Shifts every `bits` lane by `count` (logical right, arithmetic right
/// or left); counts beyond the lane width clear it or fill it with sign.
#[inline(always)]
fn shift(a: u128, n: usize, bits: usize, count: u64, kind: u8) -> u128 {
    let mask = if n == 16 { u128::MAX } else { u64::MAX as u128 };
    match kind {
        0 if count >= bits as u64 => 0,
        1 => {
            let c = count.min(bits as u64 - 1) as u32;
            lanes(a, 0, n, bits, |x, _| (sx(x, bits) >> c) as u64)
        }
        2 if count >= bits as u64 => 0,
        0 => lanes(a, 0, n, bits, |x, _| x >> count),
        _ => lanes(a, 0, n, bits, |x, _| x << count) & mask,
    }
}

/// The two-operand integer operation `OP` on `n`-byte operands; shifts
/// take their count from the low 64 bits of `b`.
#[inline(always)]
pub(crate) fn op<const OP: u8>(a: u128, b: u128, n: usize) -> u128 {
    match OP {
        PADDB => halves(a, b, n, |x, y| swar_add(x, y, 8)),
        PADDW => halves(a, b, n, |x, y| swar_add(x, y, 16)),
        PADDD => halves(a, b, n, |x, y| swar_add(x, y, 32)),
        PADDQ => halves(a, b, n, |x, y| x.wrapping_add(y)),
        PSUBB => halves(a, b, n, |x, y| swar_sub(x, y, 8)),
        PSUBW => halves(a, b, n, |x, y| swar_sub(x, y, 16)),
        PSUBD => halves(a, b, n, |x, y| swar_sub(x, y, 32)),
        PSUBQ => halves(a, b, n, |x, y| x.wrapping_sub(y)),
        PADDSB => lanes(a, b, n, 8, |x, y| sat_s(sx(x, 8) + sx(y, 8), 8)),
        PADDSW => lanes(a, b, n, 16, |x, y| sat_s(sx(x, 16) + sx(y, 16), 16)),
        PADDUSB => lanes(a, b, n, 8, |x, y| sat_u((x + y) as i64, 8)),
        PADDUSW => lanes(a, b, n, 16, |x, y| sat_u((x + y) as i64, 16)),
        PSUBSB => lanes(a, b, n, 8, |x, y| sat_s(sx(x, 8) - sx(y, 8), 8)),
        PSUBSW => lanes(a, b, n, 16, |x, y| sat_s(sx(x, 16) - sx(y, 16), 16)),
        PSUBUSB => lanes(a, b, n, 8, |x, y| x.saturating_sub(y)),
        PSUBUSW => lanes(a, b, n, 16, |x, y| x.saturating_sub(y)),
        PCMPEQB => halves(a, b, n, |x, y| swar_eq(x, y, 8)),
        PCMPEQW => halves(a, b, n, |x, y| swar_eq(x, y, 16)),
        PCMPEQD => halves(a, b, n, |x, y| swar_eq(x, y, 32)),
        PCMPGTB => lanes(
            a,
            b,
            n,
            8,
            |x, y| if sx(x, 8) > sx(y, 8) { u64::MAX } else { 0 },
        ),
        PCMPGTW => lanes(a, b, n, 16, |x, y| {
            if sx(x, 16) > sx(y, 16) {
                u64::MAX
            } else {
                0
            }
        }),
        PCMPGTD => lanes(a, b, n, 32, |x, y| {
            if sx(x, 32) > sx(y, 32) {
                u64::MAX
            } else {
                0
            }
        }),
        PAND => a & b,
        PANDN => !a & b,
        POR => a | b,
        PXOR => a ^ b,
        PMULLW => lanes(a, b, n, 16, |x, y| x.wrapping_mul(y)),
        PMULHW => lanes(a, b, n, 16, |x, y| ((sx(x, 16) * sx(y, 16)) >> 16) as u64),
        PMULHUW => lanes(a, b, n, 16, |x, y| (x * y) >> 16),
        PMADDWD => lanes(a, b, n, 32, |x, y| {
            let lo = sx(x & 0xFFFF, 16) * sx(y & 0xFFFF, 16);
            let hi = sx(x >> 16, 16) * sx(y >> 16, 16);
            (lo + hi) as u64
        }),
        PMULUDQ => lanes(a, b, n, 64, |x, y| (x & 0xFFFF_FFFF) * (y & 0xFFFF_FFFF)),
        PAVGB => lanes(a, b, n, 8, |x, y| (x + y + 1) >> 1),
        PAVGW => lanes(a, b, n, 16, |x, y| (x + y + 1) >> 1),
        PMINUB => lanes(a, b, n, 8, |x, y| x.min(y)),
        PMAXUB => lanes(a, b, n, 8, |x, y| x.max(y)),
        PMINSW => lanes(
            a,
            b,
            n,
            16,
            |x, y| if sx(x, 16) < sx(y, 16) { x } else { y },
        ),
        PMAXSW => lanes(
            a,
            b,
            n,
            16,
            |x, y| if sx(x, 16) > sx(y, 16) { x } else { y },
        ),
        PSADBW => lanes(a, b, n, 64, |x, y| {
            (0..8)
                .map(|i| ((x >> (8 * i)) as u8).abs_diff((y >> (8 * i)) as u8) as u64)
                .sum()
        }),
        PACKSSWB => pack(a, b, n, 16, false),
        PACKSSDW => pack(a, b, n, 32, false),
        PACKUSWB => pack(a, b, n, 16, true),
        PUNPCKLBW => unpack(a, b, n, 8, false),
        PUNPCKLWD => unpack(a, b, n, 16, false),
        PUNPCKLDQ => unpack(a, b, n, 32, false),
        PUNPCKLQDQ => unpack(a, b, n, 64, false),
        PUNPCKHBW => unpack(a, b, n, 8, true),
        PUNPCKHWD => unpack(a, b, n, 16, true),
        PUNPCKHDQ => unpack(a, b, n, 32, true),
        PUNPCKHQDQ => unpack(a, b, n, 64, true),
        PSRLW => shift(a, n, 16, b as u64, 0),
        PSRLD => shift(a, n, 32, b as u64, 0),
        PSRLQ => shift(a, n, 64, b as u64, 0),
        PSRAW => shift(a, n, 16, b as u64, 1),
        PSRAD => shift(a, n, 32, b as u64, 1),
        PSLLW => shift(a, n, 16, b as u64, 2),
        PSLLD => shift(a, n, 32, b as u64, 2),
        PSLLQ => shift(a, n, 64, b as u64, 2),
        PSRLDQ => {
            let c = b as u64;
            if c > 15 {
                0
            } else {
                a >> (8 * c)
            }
        }
        _ => {
            let c = b as u64;
            if c > 15 {
                0
            } else {
                a << (8 * c)
            }
        }
    }
}

/// PSHUFW/PSHUFD: lane i of the result is lane imm[2i+1:2i] of `src`
/// (`bits` = 16 over 64 bits, or 32 over 128 bits).
#[inline(always)]
pub(crate) fn shuffle4(src: u128, bits: usize, imm: u32) -> u128 {
    let mut r = 0u128;
    for i in 0..4 {
        r |= put(bits, i, el(src, bits, ((imm >> (2 * i)) & 3) as usize));
    }
    r
}

/// PSHUFLW (`high` false) / PSHUFHW: shuffles the words of one 64-bit half.
#[inline(always)]
pub(crate) fn shuffle_half(src: u128, imm: u32, high: bool) -> u128 {
    let sh = if high { 64 } else { 0 };
    let half = (src >> sh) as u64 as u128;
    let keep = if high {
        src & u64::MAX as u128
    } else {
        src & !(u64::MAX as u128)
    };
    keep | (shuffle4(half, 16, imm) << sh)
}

/// PMOVMSKB: the top bit of each of the `n` bytes.
#[inline(always)]
pub(crate) fn movmskb(v: u128, n: usize) -> u32 {
    // The top bits of a qword's bytes gathered by one multiplication: bit
    // 8j+7 moves to 56+j, and no partial products collide there.
    let gather = |q: u64| (((q & msb(8)).wrapping_mul(0x0002_0408_1020_4081)) >> 56) as u32;
    let lo = gather(v as u64);
    if n == 8 {
        lo
    } else {
        lo | gather((v >> 64) as u64) << 8
    }
}
