//! x87 tests: soft-float unit tests with hand-computed bit patterns, and
//! end-to-end runs of x87 code on a flat-RAM bus.

#![allow(clippy::unwrap_used)]

use super::softfloat::{self as sf, Ctx, DE, F80, IE, OE, PE, UE, ZE};
use super::transcendental as tr;
use crate::cpu::{Cpu, CpuModel, SegReg};

pub(crate) use crate::FlatRam as Ram;

/// Code runs at 1000:0000; data lives in segment 0 (DS = ES = SS = 0).
pub(crate) const CODE: usize = 0x10000;

pub(crate) fn machine(code: &[u8]) -> (Cpu<Ram>, Ram) {
    let mut ram = Ram(vec![0; 1 << 20]);
    ram.0[CODE..CODE + code.len()].copy_from_slice(code);
    let mut cpu = Cpu::new(CpuModel::I486);
    cpu.reset();
    for s in [SegReg::Es, SegReg::Ds, SegReg::Fs, SegReg::Gs, SegReg::Ss] {
        cpu.set_segment_real(s, 0);
    }
    cpu.set_segment_real(SegReg::Cs, 0x1000);
    cpu.set_eip(0);
    cpu.set_gpr(4, 0xFFF0);
    cpu.flush_code_cache();
    (cpu, ram)
}

/// Runs `code` (a HLT is appended) to completion.
pub(crate) fn run_code(
    code: &[u8],
    setup: impl FnOnce(&mut Cpu<Ram>, &mut Ram),
) -> (Cpu<Ram>, Ram) {
    let mut c = code.to_vec();
    c.push(0xF4);
    let (mut cpu, mut ram) = machine(&c);
    setup(&mut cpu, &mut ram);
    for _ in 0..10 {
        if cpu.is_halted() {
            break;
        }
        cpu.run(&mut ram, 10_000);
    }
    assert!(
        cpu.is_halted(),
        "code did not reach HLT; eip={:x}",
        cpu.eip()
    );
    (cpu, ram)
}

fn f(se: u16, sig: u64) -> F80 {
    F80 { sig, se }
}

fn ctx(cw: u16) -> Ctx {
    Ctx::new(cw)
}

/// Control word: all masked, precision `pc` (0 = 24, 2 = 53, 3 = 64), rounding `rc`.
fn cw(pc: u16, rc: u16) -> u16 {
    0x007F | (pc << 8) | (rc << 10)
}

// ---------------------------------------------------------------------------
// Hand-computed soft-float results

#[test]
fn one_third_in_every_precision_and_rounding_mode() {
    let one = F80::ONE;
    let three = sf::from_int(3);
    // 1/3 = 0.010101...b: significand AAAA...(repeating), exponent -2.
    let cases: [(u16, u16, u64); 12] = [
        // (pc, rc, significand)
        (3, 0, 0xAAAA_AAAA_AAAA_AAAB),
        (3, 1, 0xAAAA_AAAA_AAAA_AAAA),
        (3, 2, 0xAAAA_AAAA_AAAA_AAAB),
        (3, 3, 0xAAAA_AAAA_AAAA_AAAA),
        (2, 0, 0xAAAA_AAAA_AAAA_A800),
        (2, 1, 0xAAAA_AAAA_AAAA_A800),
        (2, 2, 0xAAAA_AAAA_AAAA_B000),
        (2, 3, 0xAAAA_AAAA_AAAA_A800),
        (0, 0, 0xAAAA_AB00_0000_0000),
        (0, 1, 0xAAAA_AA00_0000_0000),
        (0, 2, 0xAAAA_AB00_0000_0000),
        (0, 3, 0xAAAA_AA00_0000_0000),
    ];
    for (pc, rc, sig) in cases {
        let mut c = ctx(cw(pc, rc));
        let r = sf::div(&mut c, one, three);
        assert_eq!(r, f(0x3FFD, sig), "pc={pc} rc={rc}");
        assert_eq!(c.flags, PE);
        let up = sig & 0xFF != 0xAA && sig & 0xFFFF != 0xA800 && sig != 0xAAAA_AA00_0000_0000;
        assert_eq!(c.c1, up, "C1 pc={pc} rc={rc}");
    }
    // Negative: round down goes away from zero.
    let mut c = ctx(cw(3, 1));
    assert_eq!(
        sf::div(&mut c, one.negate(), three),
        f(0xBFFD, 0xAAAA_AAAA_AAAA_AAAB)
    );
}

#[test]
fn point_one_plus_point_two() {
    // 0.1 and 0.2 rounded to 64 bits (nearest), then added.
    let tenth = f(0x3FFB, 0xCCCC_CCCC_CCCC_CCCD);
    let fifth = f(0x3FFC, 0xCCCC_CCCC_CCCC_CCCD);
    let mut c = ctx(0x037F);
    let r = sf::add(&mut c, tenth, fifth, false);
    // Exact sum 0.1001100...11001110 1 (65 bits): a tie rounded to even.
    assert_eq!(r, f(0x3FFD, 0x9999_9999_9999_999A));
    assert_eq!(c.flags, PE);
    // 0.3 rounded directly is ...999A as well.
    let mut c = ctx(0x037F);
    assert_eq!(
        sf::div(&mut c, sf::from_int(3), sf::from_int(10)),
        f(0x3FFD, 0x9999_9999_9999_999A)
    );
}

#[test]
fn sqrt_two_bits() {
    let two = sf::from_int(2);
    // sqrt(2) = 1.6A09E667F3BCC908B2FB1366...h
    let mut c = ctx(0x037F);
    assert_eq!(sf::sqrt(&mut c, two), f(0x3FFF, 0xB504_F333_F9DE_6484));
    assert_eq!(c.flags, PE);
    assert!(!c.c1);
    let mut c = ctx(cw(3, 2));
    assert_eq!(sf::sqrt(&mut c, two), f(0x3FFF, 0xB504_F333_F9DE_6485));
    assert!(c.c1);
    // 53-bit: B504F333F9DE6484|597D... → ...6400 + round: bit 10 below = 0x484 → 0x400 + 0x84 < half.
    let mut c = ctx(cw(2, 0));
    assert_eq!(sf::sqrt(&mut c, two), f(0x3FFF, 0xB504_F333_F9DE_6800));
    // Exact squares raise nothing.
    let mut c = ctx(0x037F);
    assert_eq!(sf::sqrt(&mut c, sf::from_int(144)), sf::from_int(12));
    assert_eq!(c.flags, 0);
    // sqrt(-0) = -0, sqrt(-1) invalid.
    let mut c = ctx(0x037F);
    assert_eq!(sf::sqrt(&mut c, F80::zero(true)), F80::zero(true));
    assert_eq!(sf::sqrt(&mut c, F80::ONE.negate()), F80::INDEFINITE);
    assert_eq!(c.flags, IE);
}

#[test]
fn fprem_partial_remainder_sets_c2() {
    // 2^100 rem 3: exponent difference 99 ≥ 64 → partial, reduced by
    // 32 + 99 % 32 = 35 bits.
    let a = f(0x3FFF + 100, 1 << 63);
    let b = sf::from_int(3);
    let mut c = ctx(0x037F);
    let r = sf::rem(&mut c, a, b, false);
    assert!(r.partial);
    // After the step the remainder is 2^100 mod (3·2^64)... = 2^64 × (2^36 mod 3) = 2^64.
    assert_eq!(r.value, f(0x3FFF + 64, 1 << 63));
    let r2 = sf::rem(&mut c, r.value, b, false);
    assert!(!r2.partial);
    // 2^64 mod 3 = 1 (2^even), quotient (2^64 − 1)/3 = 0x5555...5: Q2Q1Q0 = 101.
    assert_eq!(r2.value, F80::ONE);
    assert_eq!(r2.q & 7, 5);
    assert_eq!(c.flags, 0);
    // FPREM1: 7 rem 2 = -1 (quotient 4 rounded to even... 3.5 → 4).
    let mut c = ctx(0x037F);
    let r = sf::rem(&mut c, sf::from_int(7), sf::from_int(2), true);
    assert_eq!(r.value, F80::ONE.negate());
    assert_eq!(r.q & 7, 4);
    // FPREM: 7 rem 2 = 1, quotient 3.
    let r = sf::rem(&mut c, sf::from_int(7), sf::from_int(2), false);
    assert_eq!(r.value, F80::ONE);
    assert_eq!(r.q & 7, 3);
    // -7 rem 2 = -1 (sign of the dividend).
    let r = sf::rem(&mut c, sf::from_int(-7), sf::from_int(2), false);
    assert_eq!(r.value, F80::ONE.negate());
}

#[test]
fn integer_indefinite_on_overflow() {
    let big = sf::from_int(40000);
    let mut c = ctx(0x037F);
    assert_eq!(sf::to_int(&mut c, big, 16), None);
    assert_eq!(c.flags, IE);
    let mut c = ctx(0x037F);
    assert_eq!(sf::to_int(&mut c, sf::from_int(-32768), 16), Some(-32768));
    assert_eq!(sf::to_int(&mut c, sf::from_int(32767), 16), Some(32767));
    assert_eq!(c.flags, 0);
    // -32768.4 rounds to -32768 (nearest) and fits; -32768.6 does not.
    let a = f(0xC00E, 0x8000_6666_6666_6666); // -32768.4
    assert_eq!(sf::to_int(&mut c, a, 16), Some(-32768));
    let a = f(0xC00E, 0x8000_9999_9999_999A); // -32768.6
    let mut c = ctx(0x037F);
    assert_eq!(sf::to_int(&mut c, a, 16), None);
    assert_eq!(c.flags, IE);
    // 2^63 overflows a 64-bit integer; -2^63 fits.
    let mut c = ctx(0x037F);
    assert_eq!(sf::to_int(&mut c, f(0x403E, 1 << 63), 64), None);
    assert_eq!(sf::to_int(&mut c, f(0xC03E, 1 << 63), 64), Some(i64::MIN));
    // NaN and infinity are invalid.
    assert_eq!(sf::to_int(&mut c, F80::INDEFINITE, 32), None);
    assert_eq!(sf::to_int(&mut c, F80::infinity(false), 32), None);
}

#[test]
fn rounding_to_integer_in_every_mode() {
    let x = f(0x4000, 0xA000_0000_0000_0000); // 2.5
    for (rc, want) in [(0, 2), (1, 2), (2, 3), (3, 2)] {
        let mut c = ctx(cw(3, rc));
        assert_eq!(sf::to_int(&mut c, x, 32), Some(want), "rc={rc}");
        assert_eq!(c.flags, PE);
        assert_eq!(c.c1, want == 3);
    }
    let x = x.negate();
    for (rc, want) in [(0, -2), (1, -3), (2, -2), (3, -2)] {
        let mut c = ctx(cw(3, rc));
        assert_eq!(sf::to_int(&mut c, x, 32), Some(want), "rc={rc}");
        let mut c = ctx(cw(3, rc));
        assert_eq!(sf::round_to_int(&mut c, x), sf::from_int(want));
    }
    // FRNDINT keeps the sign of a zero result.
    let mut c = ctx(0x037F);
    assert_eq!(
        sf::round_to_int(&mut c, f(0xBFFD, 1 << 63)),
        F80::zero(true)
    );
}

#[test]
fn denormal_operands_and_results() {
    let den = f(0x0000, 0x0000_0000_0000_0001); // smallest denormal
    let mut c = ctx(0x037F);
    let r = sf::add(&mut c, den, den, false);
    assert_eq!(r, f(0, 2));
    assert_eq!(c.flags, DE);
    // A pseudo-denormal is accepted (DE) and comes back normalised.
    let pden = f(0x0000, 0x8000_0000_0000_0000);
    let mut c = ctx(0x037F);
    assert_eq!(
        sf::add(&mut c, pden, F80::ZERO, false),
        f(0x0001, 0x8000_0000_0000_0000)
    );
    assert_eq!(c.flags, DE);
    // Underflow: smallest normal / 2 is exact → a denormal, no UE (masked).
    let min = f(0x0001, 1 << 63);
    let mut c = ctx(0x037F);
    assert_eq!(sf::div(&mut c, min, sf::from_int(2)), f(0, 1 << 62));
    assert_eq!(c.flags, 0);
    // min / 3 is tiny and inexact: UE and PE.
    let mut c = ctx(0x037F);
    let r = sf::div(&mut c, min, sf::from_int(3));
    assert_eq!(r, f(0, 0x2AAA_AAAA_AAAA_AAAB));
    assert_eq!(c.flags, UE | PE);
    // Unmasked UE: the exponent is biased by 24576 instead.
    let mut c = ctx(0x037F & !UE);
    let r = sf::div(&mut c, min, sf::from_int(3));
    assert_eq!(r, f(0x6000 - 1, 0xAAAA_AAAA_AAAA_AAAB));
    assert_eq!(c.flags, UE | PE);
    // FLD m32 of a denormal raises DE and normalises exactly.
    let mut c = ctx(0x037F);
    assert_eq!(sf::from_f32(&mut c, 1), f(0x3FFF - 149, 1 << 63));
    assert_eq!(c.flags, DE);
    // FST m32 of a value below the single range: denormal with UE|PE.
    let mut c = ctx(0x037F);
    assert_eq!(
        sf::to_f32(&mut c, f(0x3FFF - 130, 0xC000_0000_0000_0001)),
        0x000C_0000
    );
    assert_eq!(c.flags, UE | PE);
}

#[test]
fn overflow_responses() {
    let max = f(0x7FFE, u64::MAX);
    for (rc, want_inf) in [(0, true), (1, false), (2, true), (3, false)] {
        let mut c = ctx(cw(3, rc));
        let r = sf::mul(&mut c, max, sf::from_int(2));
        assert_eq!(c.flags, OE | PE);
        if want_inf {
            assert_eq!(r, F80::infinity(false));
        } else {
            assert_eq!(r, max);
        }
    }
    // Unmasked OE on a register: exponent biased down by 24576.
    let mut c = ctx(0x037F & !OE);
    let r = sf::mul(&mut c, max, sf::from_int(2));
    assert_eq!(r, f(0x7FFF - 0x6000, u64::MAX));
    assert_eq!(c.flags, OE);
    // FST m64 overflow.
    let mut c = ctx(0x037F);
    assert_eq!(sf::to_f64(&mut c, max), 0x7FF0_0000_0000_0000);
    assert_eq!(c.flags, OE | PE);
    // Precision control 24: max rounds to the 24-bit maximum with RZ.
    let mut c = ctx(cw(0, 3));
    assert_eq!(
        sf::add(&mut c, max, F80::ZERO, false),
        f(0x7FFE, 0xFFFF_FF00_0000_0000)
    );
}

#[test]
fn invalid_operations_and_nans() {
    let inf = F80::infinity(false);
    let mut c = ctx(0x037F);
    assert_eq!(sf::add(&mut c, inf, inf.negate(), false), F80::INDEFINITE);
    assert_eq!(sf::mul(&mut c, inf, F80::ZERO), F80::INDEFINITE);
    assert_eq!(sf::div(&mut c, F80::ZERO, F80::ZERO), F80::INDEFINITE);
    assert_eq!(c.flags, IE);
    let mut c = ctx(0x037F);
    assert_eq!(
        sf::div(&mut c, F80::ONE.negate(), F80::ZERO),
        F80::infinity(true)
    );
    assert_eq!(c.flags, ZE);
    // SNaN quieted, IE; QNaN beats SNaN; larger significand wins.
    let snan = f(0x7FFF, 0x8000_0000_0000_0001);
    let qnan = f(0xFFFF, 0xC000_0000_0000_0002);
    let mut c = ctx(0x037F);
    assert_eq!(
        sf::add(&mut c, snan, F80::ONE, false),
        f(0x7FFF, 0xC000_0000_0000_0001)
    );
    assert_eq!(c.flags, IE);
    let mut c = ctx(0x037F);
    assert_eq!(sf::add(&mut c, snan, qnan, false), qnan);
    assert_eq!(c.flags, IE);
    let q2 = f(0x7FFF, 0xC000_0000_0000_0003);
    assert_eq!(sf::mul(&mut c, qnan, q2), q2);
    // Unsupported encodings (unnormal, pseudo-infinity) are invalid.
    let unnormal = f(0x4000, 0x4000_0000_0000_0000);
    let pinf = f(0x7FFF, 0);
    let mut c = ctx(0x037F);
    assert_eq!(sf::add(&mut c, unnormal, F80::ONE, false), F80::INDEFINITE);
    assert_eq!(c.flags, IE);
    let mut c = ctx(0x037F);
    assert_eq!(sf::sqrt(&mut c, pinf), F80::INDEFINITE);
    assert_eq!(c.flags, IE);
    assert_eq!(sf::fxam_class(unnormal), (false, false, false));
}

#[test]
fn fxam_classes() {
    let cases = [
        (F80::ZERO, (true, false, false)),
        (f(0, 5), (true, true, false)),
        (F80::ONE, (false, true, false)),
        (F80::infinity(true), (false, true, true)),
        (F80::INDEFINITE, (false, false, true)),
        (f(0x7FFF, 0x8000_0000_0000_0001), (false, false, true)),
        (f(0x3FFF, 0x7FFF_FFFF_FFFF_FFFF), (false, false, false)),
    ];
    for (v, want) in cases {
        assert_eq!(sf::fxam_class(v), want, "{v:?}");
    }
}

#[test]
fn bcd_round_trip() {
    let mut c = ctx(0x037F);
    let n = sf::from_int(-123_456_789_012_345_678);
    let b = sf::to_bcd(&mut c, n).unwrap();
    assert_eq!(
        b,
        [0x78, 0x56, 0x34, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x80]
    );
    assert_eq!(sf::from_bcd(b), n);
    let max = sf::from_int(999_999_999_999_999_999);
    assert_eq!(sf::from_bcd(sf::to_bcd(&mut c, max).unwrap()), max);
    assert_eq!(c.flags, 0);
    assert_eq!(
        sf::to_bcd(&mut c, sf::from_int(1_000_000_000_000_000_000)),
        None
    );
    assert_eq!(c.flags, IE);
    // -0 keeps its sign; 2.5 rounds to even.
    let mut c = ctx(0x037F);
    assert_eq!(sf::to_bcd(&mut c, F80::zero(true)).unwrap()[9], 0x80);
    assert_eq!(
        sf::to_bcd(&mut c, f(0x4000, 0xA000_0000_0000_0000)).unwrap()[0],
        2
    );
}

#[test]
fn conversions_to_and_from_binary_formats() {
    let mut c = ctx(0x037F);
    // 1/3 to f32: 0x3EAAAAAB; to f64: 0x3FD5555555555555.
    let third = sf::div(&mut c, F80::ONE, sf::from_int(3));
    assert_eq!(sf::to_f32(&mut c, third), 0x3EAA_AAAB);
    assert_eq!(sf::to_f64(&mut c, third), 0x3FD5_5555_5555_5555);
    let mut c = ctx(0x037F);
    assert_eq!(sf::from_f64(&mut c, 0x3FF0_0000_0000_0000), F80::ONE);
    assert_eq!(sf::from_f32(&mut c, 0xC000_0000), sf::from_int(-2));
    assert_eq!(c.flags, 0);
    // SNaN f32 loads quieted with IE; stores of NaNs keep the payload top.
    assert_eq!(
        sf::from_f32(&mut c, 0x7F80_0001),
        f(0x7FFF, 0xC000_0100_0000_0000)
    );
    assert_eq!(c.flags, IE);
    let mut c = ctx(0x037F);
    assert_eq!(
        sf::to_f32(&mut c, f(0xFFFF, 0xC000_0100_0000_0000)),
        0xFFC0_0001
    );
    assert_eq!(sf::to_f64(&mut c, F80::INDEFINITE), 0xFFF8_0000_0000_0000);
    assert_eq!(c.flags, 0);
}

#[test]
fn comparisons() {
    use sf::Cmp;
    let mut c = ctx(0x037F);
    assert_eq!(
        sf::compare(&mut c, F80::ZERO, F80::zero(true), false),
        Cmp::Equal
    );
    assert_eq!(
        sf::compare(&mut c, F80::ONE.negate(), F80::ZERO, false),
        Cmp::Less
    );
    assert_eq!(
        sf::compare(&mut c, F80::infinity(false), F80::ONE, false),
        Cmp::Greater
    );
    assert_eq!(sf::compare(&mut c, f(0, 1), f(0, 2), false), Cmp::Less);
    assert_eq!(c.flags, DE);
    let mut c = ctx(0x037F);
    assert_eq!(
        sf::compare(&mut c, F80::INDEFINITE, F80::ONE, true),
        Cmp::Unordered
    );
    assert_eq!(c.flags, 0);
    assert_eq!(
        sf::compare(&mut c, F80::INDEFINITE, F80::ONE, false),
        Cmp::Unordered
    );
    assert_eq!(c.flags, IE);
    // A pseudo-denormal equals the smallest normal.
    let mut c = ctx(0x037F);
    assert_eq!(
        sf::compare(&mut c, f(0, 1 << 63), f(1, 1 << 63), false),
        Cmp::Equal
    );
}

#[test]
fn constants_rounded_per_rc() {
    // π = C90FDAA2 2168C234 C4C6...: nearest and up give ...C235.
    assert_eq!(tr::constant(tr::PI, 0), f(0x4000, 0xC90F_DAA2_2168_C235));
    assert_eq!(tr::constant(tr::PI, 1), f(0x4000, 0xC90F_DAA2_2168_C234));
    assert_eq!(tr::constant(tr::PI, 2), f(0x4000, 0xC90F_DAA2_2168_C235));
    assert_eq!(tr::constant(tr::PI, 3), f(0x4000, 0xC90F_DAA2_2168_C234));
    // log2(10) = D49A784B CD1B8AFE 492B...: only round-up changes it.
    assert_eq!(
        tr::constant(tr::LOG2_10, 0),
        f(0x4000, 0xD49A_784B_CD1B_8AFE)
    );
    assert_eq!(
        tr::constant(tr::LOG2_10, 2),
        f(0x4000, 0xD49A_784B_CD1B_8AFF)
    );
    assert_eq!(tr::constant(tr::LOG2E, 0), f(0x3FFF, 0xB8AA_3B29_5C17_F0BC));
    assert_eq!(tr::constant(tr::LOG2E, 1), f(0x3FFF, 0xB8AA_3B29_5C17_F0BB));
    assert_eq!(
        tr::constant(tr::LOG10_2, 0),
        f(0x3FFD, 0x9A20_9A84_FBCF_F799)
    );
    assert_eq!(
        tr::constant(tr::LOG10_2, 3),
        f(0x3FFD, 0x9A20_9A84_FBCF_F798)
    );
    assert_eq!(tr::constant(tr::LN2, 0), f(0x3FFE, 0xB172_17F7_D1CF_79AC));
    assert_eq!(tr::constant(tr::LN2, 1), f(0x3FFE, 0xB172_17F7_D1CF_79AB));
}

// ---------------------------------------------------------------------------
// Transcendental functions

/// FSIN of the extended π (C90FDAA22168C235h × 2^-62) is π minus that
/// value, −0.ECE675D1FC8F8CBB...h × 2^-64 (mpmath, 800 bits); real
/// hardware, reducing with a 66-bit π, returns −2^-64·0.C000... instead.
#[test]
fn fsin_of_pi() {
    let pi = f(0x4000, 0xC90F_DAA2_2168_C235);
    let mut c = ctx(0x037F);
    let r = tr::fsin(&mut c, pi).unwrap();
    assert_eq!(r, f(0xBFBE, 0xECE6_75D1_FC8F_8CBB));
    assert_eq!(c.flags, PE);
    // The round-down π gives a positive result.
    let pid = f(0x4000, 0xC90F_DAA2_2168_C234);
    let mut c = ctx(0x037F);
    let r = tr::fsin(&mut c, pid).unwrap();
    assert!(!r.neg());
}

#[test]
fn fptan_out_of_range_sets_c2() {
    let big = f(0x403E, 1 << 63); // 2^63
    let mut c = ctx(0x037F);
    assert_eq!(tr::fptan(&mut c, big), None);
    assert_eq!(tr::fsin(&mut c, big), None);
    assert_eq!(tr::fcos(&mut c, big.negate()), None);
    assert_eq!(tr::fsincos(&mut c, big), None);
    assert_eq!(c.flags, 0);
    // Just below 2^63 is reduced exactly.
    let below = f(0x403D, u64::MAX);
    assert!(tr::fsin(&mut c, below).is_some());
}

#[test]
fn transcendental_values() {
    let mut c = ctx(0x037F);
    // sin(1) = 0.D76AA47848677020C6E9E...h
    assert_eq!(
        tr::fsin(&mut c, F80::ONE).unwrap(),
        f(0x3FFE, 0xD76A_A478_4867_7021)
    );
    // cos(1) = 0.8A51407DA8345C91C2466...h
    assert_eq!(
        tr::fcos(&mut c, F80::ONE).unwrap(),
        f(0x3FFE, 0x8A51_407D_A834_5C92)
    );
    // atan(1) = π/4
    let r = tr::fpatan(&mut c, F80::ONE, F80::ONE);
    assert_eq!(r, f(0x3FFE, 0xC90F_DAA2_2168_C235));
    // 2^0.5 − 1 = 0.6A09E667F3BCC908B2F...h
    let half = f(0x3FFE, 1 << 63);
    assert_eq!(tr::f2xm1(&mut c, half), f(0x3FFD, 0xD413_CCCF_E779_9211));
    // log2(10) × 1
    assert_eq!(
        tr::fyl2x(&mut c, sf::from_int(10), F80::ONE),
        f(0x4000, 0xD49A_784B_CD1B_8AFE)
    );
    // log2(8) × 3 = 9 exactly
    let mut c = ctx(0x037F);
    assert_eq!(
        tr::fyl2x(&mut c, sf::from_int(8), sf::from_int(3)),
        sf::from_int(9)
    );
    assert_eq!(c.flags, 0);
    // tan(0.5) = 0.8BDA7ADF9A3A5219...h
    let mut c = ctx(0x037F);
    let t = tr::fptan(&mut c, half).unwrap();
    assert_eq!(t, f(0x3FFE, 0x8BDA_7ADF_9A3A_5219));
    // Tiny arguments: sin x rounds toward zero in RZ, tan x away in RU.
    let tiny = f(0x3FFF - 40, 0xC000_0000_0000_0000);
    let mut c = ctx(cw(3, 3));
    assert_eq!(
        tr::fsin(&mut c, tiny).unwrap(),
        f(0x3FFF - 40, 0xBFFF_FFFF_FFFF_FFFF)
    );
    let mut c = ctx(cw(3, 2));
    assert_eq!(
        tr::fptan(&mut c, tiny).unwrap(),
        f(0x3FFF - 40, 0xC000_0000_0000_0001)
    );
    let mut c = ctx(cw(3, 0));
    assert_eq!(tr::fsin(&mut c, tiny).unwrap(), tiny);
    assert_eq!(c.flags, PE);
}

// ---------------------------------------------------------------------------
// End to end

const fn lo(a: u16) -> u8 {
    a as u8
}
const fn hi(a: u16) -> u8 {
    (a >> 8) as u8
}

/// `op [disp16]` with ModR/M reg field `r`.
fn mem(opc: u8, r: u8, addr: u16) -> [u8; 4] {
    [opc, (r << 3) | 6, lo(addr), hi(addr)]
}

fn put80(ram: &mut Ram, at: usize, v: F80) {
    ram.0[at..at + 10].copy_from_slice(&v.to_bytes());
}

fn get80(ram: &Ram, at: usize) -> F80 {
    let mut b = [0u8; 10];
    b.copy_from_slice(&ram.0[at..at + 10]);
    F80::from_bytes(b)
}

fn get16(ram: &Ram, at: usize) -> u16 {
    u16::from_le_bytes([ram.0[at], ram.0[at + 1]])
}

#[test]
fn e2e_arithmetic_and_status() {
    // fninit; fld tbyte [200]; fld tbyte [210]; fdivp st1, st; fstp tbyte [220]; fnstsw [230]
    let mut code = vec![0xDB, 0xE3];
    code.extend(mem(0xDB, 5, 0x200));
    code.extend(mem(0xDB, 5, 0x210));
    code.extend([0xDE, 0xF9]); // fdivp st(1), st: st1 = st1 / st0
    code.extend(mem(0xDB, 7, 0x220));
    code.extend(mem(0xDD, 7, 0x230));
    let (cpu, ram) = run_code(&code, |_, ram| {
        put80(ram, 0x200, F80::ONE);
        put80(ram, 0x210, sf::from_int(3));
    });
    assert_eq!(get80(&ram, 0x220), f(0x3FFD, 0xAAAA_AAAA_AAAA_AAAB));
    // PE; the FSTP cleared C1; TOP back to 0.
    assert_eq!(get16(&ram, 0x230), 0x0020);
    assert_eq!(cpu.fpu.fop, 0x33E); // the FSTP m80 (DB 3E) was last
}

#[test]
fn e2e_fist_overflow_stores_integer_indefinite() {
    // fninit; fld tbyte [200]; fistp dword [220]; fnstsw ax
    let mut code = vec![0xDB, 0xE3];
    code.extend(mem(0xDB, 5, 0x200));
    code.extend(mem(0xDB, 3, 0x220));
    code.extend([0xDF, 0xE0]);
    let (cpu, ram) = run_code(&code, |_, ram| put80(ram, 0x200, f(0x401F, 1 << 63))); // 2^32
    assert_eq!(&ram.0[0x220..0x224], &[0, 0, 0, 0x80]);
    assert_eq!(cpu.gpr(0) & 0xFFFF, 0x0001); // IE, stack empty again
}

#[test]
fn e2e_stack_overflow_and_underflow() {
    // fninit; 9 × fld1; fnstsw ax -> IE|SF|C1, TOP = 0 (eight pushes + masked ninth)
    let mut code = vec![0xDB, 0xE3];
    for _ in 0..9 {
        code.extend([0xD9, 0xE8]);
    }
    code.extend([0xDF, 0xE0]);
    let (cpu, _) = run_code(&code, |_, _| {});
    let sw = cpu.gpr(0) as u16;
    assert_eq!(sw & 0x7F, 0x41);
    assert_ne!(sw & 0x200, 0);
    assert_eq!(cpu.fpu.st(0), F80::INDEFINITE);
    // fninit; fadd st, st1 (both empty) -> IE|SF, C1 = 0, ST0 = indefinite
    let code = [0xDB, 0xE3, 0xD8, 0xC1, 0xDF, 0xE0];
    let (cpu, _) = run_code(&code, |_, _| {});
    assert_eq!(cpu.gpr(0) as u16 & 0x2FF, 0x41);
}

#[test]
fn e2e_fcomi_sets_eflags_and_fcmov() {
    // fninit; fld1; fldz; fcomi st, st1 (0 < 1: CF); fcmovb st, st1 (st0 = 1); fstp tbyte [220]
    let mut code = vec![0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xEE, 0xDB, 0xF1, 0xDA, 0xC1];
    code.extend(mem(0xDB, 7, 0x220));
    let (cpu, ram) = run_code(&code, |_, _| {});
    assert_eq!(cpu.eflags() & 0x45, 0x01);
    assert_eq!(get80(&ram, 0x220), F80::ONE);
}

#[test]
fn e2e_unmasked_exception_raises_mf_at_next_waiting_instruction() {
    // CR0.NE = 1; fninit; fldcw [200] (ZE unmasked); fld1; fldz; fdivp st1, st
    // (sets ES, no result); fnstsw ax (no wait: fine); fwait -> #MF (int 16)
    let mut code = vec![0xDB, 0xE3];
    code.extend(mem(0xD9, 5, 0x200));
    code.extend([0xD9, 0xE8, 0xD9, 0xEE, 0xDE, 0xF9, 0xDF, 0xE0, 0x9B]);
    let (mut cpu, mut ram) = machine(&[]);
    let mut c = code.clone();
    c.push(0xF4);
    ram.0[CODE..CODE + c.len()].copy_from_slice(&c);
    ram.0[0x200..0x202].copy_from_slice(&(0x037F_u16 & !ZE).to_le_bytes());
    // IVT entry 16 -> 0000:0500, which holds HLT.
    ram.0[0x40..0x44].copy_from_slice(&[0x00, 0x05, 0x00, 0x00]);
    ram.0[0x500] = 0xF4;
    cpu.cr0 |= crate::cpu::CR0_NE;
    cpu.flush_code_cache();
    cpu.run(&mut ram, 100);
    assert!(cpu.is_halted());
    assert_eq!(cpu.segment(SegReg::Cs).selector, 0);
    assert_eq!(cpu.eip(), 0x501);
    let sw = cpu.gpr(0) as u16;
    assert_eq!(sw & 0x80FF, 0x8084); // B, ES, ZE
                                     // ST1 keeps 1.0: no result was stored, no pop.
    assert_eq!(cpu.fpu.st(1), F80::ONE);
    // The fault points at the WAIT.
    assert_eq!(ram.0[0xFFF0 - 6], (code.len() - 1) as u8);
}

#[test]
fn e2e_ferr_when_ne_is_clear() {
    let mut code = vec![0xDB, 0xE3];
    code.extend(mem(0xD9, 5, 0x200));
    code.extend([0xD9, 0xE8, 0xD9, 0xEE, 0xDE, 0xF9, 0x9B]);
    let (cpu, _) = run_code(&code, |cpu, ram| {
        ram.0[0x200..0x202].copy_from_slice(&(0x037F_u16 & !ZE).to_le_bytes());
        cpu.cr0 &= !crate::cpu::CR0_NE;
    });
    assert!(cpu.ferr());
}

#[test]
fn e2e_nm_with_em_or_ts() {
    for (bits, wait_faults) in [
        (crate::cpu::CR0_EM, false),
        (crate::cpu::CR0_TS, false),
        (crate::cpu::CR0_TS | crate::cpu::CR0_MP, true),
    ] {
        // fld1 -> #NM; the handler at 0000:0600 halts.
        let (mut cpu, mut ram) = machine(&[0xD9, 0xE8, 0xF4]);
        ram.0[0x1C..0x20].copy_from_slice(&[0x00, 0x06, 0x00, 0x00]);
        ram.0[0x600] = 0xF4;
        cpu.cr0 |= bits;
        cpu.run(&mut ram, 10);
        assert_eq!(cpu.eip(), 0x601, "cr0 bits {bits:x}");
        // WAIT faults only with TS and MP.
        let (mut cpu, mut ram) = machine(&[0x9B, 0xF4]);
        ram.0[0x1C..0x20].copy_from_slice(&[0x00, 0x06, 0x00, 0x00]);
        ram.0[0x600] = 0xF4;
        cpu.cr0 |= bits;
        cpu.run(&mut ram, 10);
        assert_eq!(cpu.eip() == 0x601, wait_faults, "wait, cr0 bits {bits:x}");
    }
}

#[test]
fn e2e_fisttp_is_invalid_opcode() {
    // fisttp word [200] (SSE3) -> #UD (vector 6 at 0000:0700)
    let (mut cpu, mut ram) = machine(&[0xDF, 0x0E, 0x00, 0x02, 0xF4]);
    ram.0[0x18..0x1C].copy_from_slice(&[0x00, 0x07, 0x00, 0x00]);
    ram.0[0x700] = 0xF4;
    cpu.run(&mut ram, 10);
    assert_eq!(cpu.eip(), 0x701);
}

/// FSAVE then FRSTOR restores everything, in the 16- and 32-bit real
/// layouts (protected layouts are checked on the image builder directly).
#[test]
fn e2e_fsave_frstor_round_trip() {
    for o32 in [false, true] {
        // fninit; fld1; fldpi; fldcw [200]; fsave [300]; (state reset)
        // frstor [300]; fstp tbyte [220]; fstp tbyte [230]; fnstcw [240]
        let p = if o32 { vec![0x66] } else { vec![] };
        let mut code = vec![0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xEB];
        code.extend(mem(0xD9, 5, 0x200));
        code.extend(&p);
        code.extend(mem(0xDD, 6, 0x300));
        code.extend([0xD9, 0xEE]); // fldz after fsave (state was reset)
        code.extend(&p);
        code.extend(mem(0xDD, 4, 0x300));
        code.extend(mem(0xDB, 7, 0x220));
        code.extend(mem(0xDB, 7, 0x230));
        code.extend(mem(0xD9, 7, 0x240));
        let (cpu, ram) = run_code(&code, |_, ram| {
            ram.0[0x200..0x202].copy_from_slice(&0x0C7Fu16.to_le_bytes());
        });
        assert_eq!(get80(&ram, 0x220), f(0x4000, 0xC90F_DAA2_2168_C235));
        assert_eq!(get80(&ram, 0x230), F80::ONE);
        assert_eq!(get16(&ram, 0x240), 0x0C7F);
        let n = if o32 { 28 } else { 14 };
        // Tag word in the image: ST0 = π valid (00), ST1 = 1 valid, rest empty.
        let tw = get16(&ram, 0x300 + if o32 { 8 } else { 4 });
        assert_eq!(tw, 0x0FFF);
        // Registers in ST order after the environment.
        assert_eq!(get80(&ram, 0x300 + n), f(0x4000, 0xC90F_DAA2_2168_C235));
        // Last instruction: FLDPI at 1000:0004 -> linear 10004h.
        let fip = if o32 {
            (get16(&ram, 0x300 + 12) as u32) | ((get16(&ram, 0x300 + 16) as u32 >> 12) << 16)
        } else {
            (get16(&ram, 0x300 + 6) as u32) | ((get16(&ram, 0x300 + 8) as u32 >> 12) << 16)
        };
        assert_eq!(fip, 0x10004);
        let fop = get16(&ram, 0x300 + if o32 { 16 } else { 8 }) & 0x7FF;
        assert_eq!(fop, 0x1EB);
        assert!(cpu.fpu.is_empty(0));
    }
}

#[test]
fn fstenv_protected_layout_and_fldenv_round_trip() {
    let (mut cpu, _) = machine(&[]);
    cpu.fpu.init();
    cpu.fpu.push(F80::ONE);
    cpu.fpu.fip = 0x1234_5678;
    cpu.fpu.fcs = 0x0008;
    cpu.fpu.fop = 0x5EB;
    cpu.fpu.fdp = 0x9ABC_DEF0;
    cpu.fpu.fds = 0x0010;
    cpu.cr0 |= crate::cpu::CR0_PE;
    let img = super::ops::env_image_for_test(&cpu, true);
    assert_eq!(&img[0..4], &[0x7F, 0x03, 0xFF, 0xFF]);
    assert_eq!(
        u32::from_le_bytes([img[12], img[13], img[14], img[15]]),
        0x1234_5678
    );
    assert_eq!(
        u32::from_le_bytes([img[16], img[17], img[18], img[19]]),
        0x05EB_0008
    );
    assert_eq!(
        u32::from_le_bytes([img[20], img[21], img[22], img[23]]),
        0x9ABC_DEF0
    );
    assert_eq!(u16::from_le_bytes([img[24], img[25]]), 0x0010);
    let img16 = super::ops::env_image_for_test(&cpu, false);
    assert_eq!(u16::from_le_bytes([img16[6], img16[7]]), 0x5678);
    assert_eq!(u16::from_le_bytes([img16[8], img16[9]]), 0x0008);
    // Load it back into a fresh FPU.
    let (mut cpu2, _) = machine(&[]);
    cpu2.cr0 |= crate::cpu::CR0_PE;
    super::ops::load_env_for_test(&mut cpu2, &img, true);
    assert_eq!(
        (
            cpu2.fpu.fip,
            cpu2.fpu.fcs,
            cpu2.fpu.fop,
            cpu2.fpu.fdp,
            cpu2.fpu.fds
        ),
        (0x1234_5678, 8, 0x5EB, 0x9ABC_DEF0, 0x10)
    );
    assert_eq!(cpu2.fpu.empty, cpu.fpu.empty);
    assert_eq!(cpu2.fpu.status(), cpu.fpu.status());
}

#[test]
fn e2e_fxsave_fxrstor_round_trip() {
    // fninit; fld1; fldl2t; fxsave [400]; fninit; fxrstor [400]; fstp tbyte [220]
    let mut code = vec![0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xE9];
    code.extend([0x0F, 0xAE, 0x06, 0x00, 0x04]);
    code.extend([0xDB, 0xE3]);
    code.extend([0x0F, 0xAE, 0x0E, 0x00, 0x04]);
    code.extend(mem(0xDB, 7, 0x220));
    let (_, ram) = run_code(&code, |_, _| {});
    assert_eq!(get80(&ram, 0x220), f(0x4000, 0xD49A_784B_CD1B_8AFE));
    assert_eq!(ram.0[0x404], 0xC0); // abridged tag: R6, R7 valid
    assert_eq!(get16(&ram, 0x402) >> 11 & 7, 6);
    assert_eq!(get80(&ram, 0x400 + 48), F80::ONE);
}

// ---------------------------------------------------------------------------
// Hardware vectors

/// Runs one vector of the host-hardware format (see `x87_vectors.txt`).
fn run_vector(line: &str) -> Option<String> {
    let t: Vec<&str> = line.split_whitespace().collect();
    if t.len() < 6 || t[4] != "->" {
        return None;
    }
    let op = t[0];
    let cwv = u16::from_str_radix(t[1], 16).ok()?;
    let parse80 = |s: &str| -> Option<F80> {
        Some(F80 {
            se: u16::from_str_radix(&s[..4], 16).ok()?,
            sig: u64::from_str_radix(&s[4..], 16).ok()?,
        })
    };
    let a = parse80(t[2])?;
    let bm = t[3];
    let mut code = vec![0xDB, 0xE3];
    code.extend(mem(0xD9, 5, 0x100));
    let bin = |insn: &[u8]| -> Vec<u8> {
        let mut c = Vec::new();
        c.extend(mem(0xDB, 5, 0x120));
        c.extend(mem(0xDB, 5, 0x110));
        c.extend(insn);
        c.extend(mem(0xDD, 7, 0x102));
        c.extend(mem(0xDB, 7, 0x130));
        c
    };
    let un = |insn: &[u8]| -> Vec<u8> {
        let mut c = Vec::new();
        c.extend(mem(0xDB, 5, 0x110));
        c.extend(insn);
        c.extend(mem(0xDD, 7, 0x102));
        c.extend(mem(0xDB, 7, 0x130));
        c
    };
    let stm = |insn: [u8; 4]| -> Vec<u8> {
        let mut c = Vec::new();
        c.extend(mem(0xDB, 5, 0x110));
        c.extend(insn);
        c.extend(mem(0xDD, 7, 0x102));
        c
    };
    let body = match op {
        "add" => bin(&[0xD8, 0xC1]),
        "sub" => bin(&[0xD8, 0xE1]),
        "subr" => bin(&[0xD8, 0xE9]),
        "mul" => bin(&[0xD8, 0xC9]),
        "div" => bin(&[0xD8, 0xF1]),
        "divr" => bin(&[0xD8, 0xF9]),
        "prem" => bin(&[0xD9, 0xF8]),
        "prem1" => bin(&[0xD9, 0xF5]),
        "scale" => bin(&[0xD9, 0xFD]),
        "com" => bin(&[0xD8, 0xD1]),
        "ucom" => bin(&[0xDD, 0xE1]),
        "sqrt" => un(&[0xD9, 0xFA]),
        "rnd" => un(&[0xD9, 0xFC]),
        "st32" => stm(mem(0xD9, 2, 0x140)),
        "st64" => stm(mem(0xDD, 2, 0x140)),
        "ist16" => stm(mem(0xDF, 2, 0x140)),
        "ist32" => stm(mem(0xDB, 2, 0x140)),
        "ist64" => stm(mem(0xDF, 7, 0x140)),
        "bst" => {
            let mut c = mem(0xDB, 5, 0x110).to_vec();
            c.extend(mem(0xDF, 6, 0x130));
            c.extend(mem(0xDD, 7, 0x102));
            c
        }
        "ld32" | "ld64" => {
            let mut c = if op == "ld32" {
                mem(0xD9, 0, 0x140).to_vec()
            } else {
                mem(0xDD, 0, 0x140).to_vec()
            };
            c.extend(mem(0xDD, 7, 0x102));
            c.extend(mem(0xDB, 7, 0x130));
            c
        }
        "xtract" => {
            let mut c = un(&[0xD9, 0xF4]);
            c.extend(mem(0xDB, 7, 0x150));
            c
        }
        _ => return None,
    };
    code.extend(body);
    let (_, ram) = run_code(&code, |_, ram| {
        ram.0[0x100..0x102].copy_from_slice(&cwv.to_le_bytes());
        put80(ram, 0x110, a);
        if op == "ld32" || op == "ld64" {
            let v = u64::from_str_radix(bm, 16).unwrap_or(0);
            ram.0[0x140..0x148].copy_from_slice(&v.to_le_bytes());
        } else if let Some(b) = parse80(bm) {
            put80(ram, 0x120, b);
        }
    });
    let sw = get16(&ram, 0x102);
    let r80 = |at: usize| {
        let v = get80(&ram, at);
        format!("{:04x}{:016x}", v.se, v.sig)
    };
    let res = match op {
        "st32" | "st64" | "ist16" | "ist32" | "ist64" => {
            let n = match op {
                "st32" | "ist32" => 4,
                "st64" | "ist64" => 8,
                _ => 2,
            };
            let mut v = [0u8; 8];
            v[..n].copy_from_slice(&ram.0[0x140..0x140 + n]);
            format!("{:016x}", u64::from_le_bytes(v))
        }
        "xtract" => format!("{} {}", r80(0x130), r80(0x150)),
        _ => r80(0x130),
    };
    Some(format!(
        "{} {} {} {} -> {} {:04x}",
        t[0], t[1], t[2], t[3], res, sw
    ))
}

/// Vectors recorded on a host x87 (see the module docs of `x87_vectors.txt`).
#[test]
fn hardware_vectors() {
    let text = include_str!("x87_vectors.txt");
    let mut bad = Vec::new();
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        n += 1;
        match run_vector(line) {
            Some(got) if got == line.trim() => {}
            Some(got) => bad.push(format!("want {line}\n got {got}")),
            None => bad.push(format!("unparsed {line}")),
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {n} vectors differ:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
}

/// Developer check against a freshly generated vector file (not part of
/// the normal run): `X87_VECTORS=/path cargo test -p oxbox-cpu x87_dev -- --ignored`.
#[test]
#[ignore]
fn x87_dev_vectors() {
    let Ok(path) = std::env::var("X87_VECTORS") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let mut bad = 0;
    let mut n = 0;
    for line in text.lines() {
        n += 1;
        if let Some(got) = run_vector(line) {
            if got != line.trim() {
                bad += 1;
                if bad <= 60 {
                    println!("want {line}\n got {got}");
                }
            }
        }
    }
    println!("{bad} of {n} differ");
    assert_eq!(bad, 0);
}

/// Runs one unmasked-exception vector: the op with random masks, then
/// FNSAVE captures the state without trapping (format of `hwu`):
/// `op cw a b -> m st0 st1 sw tw`.
fn run_unmasked_vector(line: &str) -> Option<String> {
    let t: Vec<&str> = line.split_whitespace().collect();
    if t.len() < 10 || t[4] != "->" {
        return None;
    }
    let op = t[0];
    let cwv = u16::from_str_radix(t[1], 16).ok()?;
    let parse80 = |s: &str| -> Option<F80> {
        Some(F80 {
            se: u16::from_str_radix(&s[..4], 16).ok()?,
            sig: u64::from_str_radix(&s[4..], 16).ok()?,
        })
    };
    let a = parse80(t[2])?;
    let b = parse80(t[3])?;
    let m0 = if op == "ld64" {
        u64::from_str_radix(t[5], 16).ok()?
    } else {
        0x5555_5555_5555_5555
    };
    let mut code = vec![0xDB, 0xE3];
    code.extend(mem(0xD9, 5, 0x100));
    code.extend(mem(0xDB, 5, 0x120));
    code.extend(mem(0xDB, 5, 0x110));
    match op {
        "add" => code.extend([0xD8, 0xC1]),
        "mul" => code.extend([0xD8, 0xC9]),
        "div" => code.extend([0xD8, 0xF1]),
        "sqrt" => code.extend([0xD9, 0xFA]),
        "st32" => code.extend(mem(0xD9, 3, 0x140)),
        "st64" => code.extend(mem(0xDD, 2, 0x140)),
        "ist32" => code.extend(mem(0xDB, 2, 0x140)),
        "scale" => code.extend([0xD9, 0xFD]),
        "com" => code.extend([0xD8, 0xD9]),
        "ld64" => code.extend(mem(0xDD, 0, 0x140)),
        "rnd" => code.extend([0xD9, 0xFC]),
        "prem" => code.extend([0xD9, 0xF8]),
        "fst80" => code.extend(mem(0xDB, 7, 0x140)),
        _ => return None,
    }
    code.extend(mem(0xDD, 6, 0x200));
    let (_, ram) = run_code(&code, |_, ram| {
        ram.0[0x100..0x102].copy_from_slice(&cwv.to_le_bytes());
        put80(ram, 0x110, a);
        put80(ram, 0x120, b);
        ram.0[0x140..0x148].copy_from_slice(&m0.to_le_bytes());
    });
    let mut m = [0u8; 8];
    m.copy_from_slice(&ram.0[0x140..0x148]);
    let r80 = |at: usize| {
        let v = get80(&ram, at);
        format!("{:04x}{:016x}", v.se, v.sig)
    };
    Some(format!(
        "{} {} {} {} -> {:016x} {} {} {:04x} {:04x}",
        t[0],
        t[1],
        t[2],
        t[3],
        u64::from_le_bytes(m),
        r80(0x200 + 14),
        r80(0x200 + 24),
        get16(&ram, 0x202),
        get16(&ram, 0x204)
    ))
}

#[test]
fn hardware_unmasked_vectors() {
    let text = include_str!("x87_unmasked_vectors.txt");
    let mut bad = Vec::new();
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        n += 1;
        match run_unmasked_vector(line) {
            Some(got) if got == line.trim() => {}
            Some(got) => bad.push(format!("want {line}\n got {got}")),
            None => bad.push(format!("unparsed {line}")),
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {n} vectors differ:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
}

/// `X87_UNMASKED=/path cargo test -p oxbox-cpu x87_dev_unmasked -- --ignored --nocapture`
#[test]
#[ignore]
fn x87_dev_unmasked() {
    let Ok(path) = std::env::var("X87_UNMASKED") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let mut bad = 0;
    let mut n = 0;
    for line in text.lines() {
        n += 1;
        if let Some(got) = run_unmasked_vector(line) {
            if got != line.trim() {
                bad += 1;
                if bad <= 40 {
                    println!("want {line}\n got {got}");
                }
            }
        }
    }
    println!("{bad} of {n} differ");
    assert_eq!(bad, 0);
}

/// Ordered integer of a finite positive-or-negative F80, for ulp distances.
fn ordinal(v: F80) -> i128 {
    let mag = ((v.exp() as i128) << 64) | v.sig as i128;
    if v.neg() {
        -mag
    } else {
        mag
    }
}

/// Runs a transcendental reference file (`op x y expected [rc]`, expected
/// rounded in mode rc (default nearest) from 1200-bit mpmath values):
/// returns (count, exact, max ulp, mismatches).
fn transcendental_check(text: &str) -> (usize, usize, i128, Vec<String>) {
    let parse = |s: &str| F80 {
        se: u16::from_str_radix(&s[..4], 16).unwrap(),
        sig: u64::from_str_radix(&s[4..], 16).unwrap(),
    };
    let (mut n, mut exact, mut worst) = (0, 0, 0i128);
    let mut bad = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let t: Vec<&str> = line.split_whitespace().collect();
        let x = parse(t[1]);
        let y = if t[2] == "0" { F80::ZERO } else { parse(t[2]) };
        let want = parse(t[3]);
        let rc = t.get(4).and_then(|r| r.parse::<u16>().ok()).unwrap_or(0);
        let mut c = ctx(cw(3, rc));
        let got = match t[0] {
            "sin" => tr::fsin(&mut c, x).unwrap(),
            "cos" => tr::fcos(&mut c, x).unwrap(),
            "tan" => tr::fptan(&mut c, x).unwrap(),
            "atan" => tr::fpatan(&mut c, y, x),
            "f2xm1" => tr::f2xm1(&mut c, x),
            "yl2x" => tr::fyl2x(&mut c, x, y),
            _ => tr::fyl2xp1(&mut c, x, y),
        };
        n += 1;
        let d = (ordinal(got) - ordinal(want)).abs();
        if d == 0 {
            exact += 1;
        } else {
            bad.push(format!("{line} got {:04x}{:016x}", got.se, got.sig));
        }
        worst = worst.max(d);
    }
    (n, exact, worst, bad)
}

/// Random and hard (near multiples of π/2, tiny, near 1) arguments of
/// every transcendental instruction, in all four rounding modes, against
/// mpmath: all correctly rounded.
#[test]
fn transcendental_reference() {
    let (n, exact, worst, bad) = transcendental_check(include_str!("x87_transcendental.txt"));
    assert!(worst <= 1, "worst error {worst} ulp");
    assert_eq!(
        exact,
        n,
        "{} not correctly rounded:\n{}",
        n - exact,
        bad.join("\n")
    );
}

/// `X87_TRANS=/path cargo test -p oxbox-cpu x87_dev_trans -- --ignored --nocapture`
#[test]
#[ignore]
fn x87_dev_trans() {
    let Ok(path) = std::env::var("X87_TRANS") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let (n, exact, worst, bad) = transcendental_check(&text);
    for b in bad.iter().take(30) {
        println!("{b}");
    }
    println!("{n} cases, {exact} correctly rounded, worst {worst} ulp");
}

/// Soft-float speed: `cargo test -p oxbox-cpu --release x87_bench -- --ignored --nocapture`.
#[test]
#[ignore]
fn x87_bench() {
    use std::hint::black_box;
    use std::time::Instant;
    let vals: Vec<F80> = (0..64u64)
        .map(|i| {
            let s = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | (1 << 63);
            f(0x3FFF + (i % 16) as u16 - 8, s)
        })
        .collect();
    let n = 2_000_000usize;
    let time = |name: &str, f: &dyn Fn(usize) -> F80| {
        let t = Instant::now();
        let mut acc = 0u64;
        for i in 0..n {
            acc = acc.wrapping_add(black_box(f(i)).sig);
        }
        let ns = t.elapsed().as_nanos() as f64 / n as f64;
        println!("{name:8} {ns:7.1} ns/op  ({acc:x})");
    };
    time("(loop)", &|i| vals[i & 63]);
    time("fadd", &|i| {
        sf::add(&mut ctx(0x037F), vals[i & 63], vals[(i + 7) & 63], false)
    });
    time("fmul", &|i| {
        sf::mul(&mut ctx(0x037F), vals[i & 63], vals[(i + 7) & 63])
    });
    time("fdiv", &|i| {
        sf::div(&mut ctx(0x037F), vals[i & 63], vals[(i + 7) & 63])
    });
    time("fsqrt", &|i| sf::sqrt(&mut ctx(0x037F), vals[i & 63]));
    time("fst64", &|i| F80 {
        sig: sf::to_f64(&mut ctx(0x037F), vals[i & 63]),
        se: 0,
    });
    let n2 = n / 20;
    let time2 = |name: &str, f: &dyn Fn(usize) -> F80| {
        let t = Instant::now();
        let mut acc = 0u64;
        for i in 0..n2 {
            acc = acc.wrapping_add(black_box(f(i)).sig);
        }
        let ns = t.elapsed().as_nanos() as f64 / n2 as f64;
        println!("{name:8} {ns:7.1} ns/op  ({acc:x})");
    };
    time2("fsin", &|i| {
        tr::fsin(&mut ctx(0x037F), vals[i & 63]).unwrap_or_default()
    });
    time2("fsinbig", &|i| {
        tr::fsin(
            &mut ctx(0x037F),
            vals[i & 63].with_sign(false).with_exp_add(40),
        )
        .unwrap_or_default()
    });
    time2("fptan", &|i| {
        tr::fptan(&mut ctx(0x037F), vals[i & 63]).unwrap_or_default()
    });
    time2("fpatan", &|i| {
        tr::fpatan(&mut ctx(0x037F), vals[i & 63], vals[(i + 7) & 63])
    });
    time2("f2xm1", &|i| {
        tr::f2xm1(&mut ctx(0x037F), vals[i & 63].with_exp_add(-9))
    });
    time2("fyl2x", &|i| {
        tr::fyl2x(
            &mut ctx(0x037F),
            vals[i & 63].with_sign(false),
            vals[(i + 7) & 63],
        )
    });
    // End to end: a loop of FLD/FMUL/FADD/FSTP m64 and FSQRT.
    // fninit; mov cx, 0; L: fld qword [200]; fmul qword [208]; fadd st0, st0;
    // fsqrt; fstp qword [210]; loop L; hlt
    let mut code = vec![0xDB, 0xE3, 0xB9, 0x00, 0x00];
    let body_start = code.len();
    code.extend(mem(0xDD, 0, 0x200));
    code.extend(mem(0xDC, 1, 0x208));
    code.extend([0xD8, 0xC0, 0xD9, 0xFA]);
    code.extend(mem(0xDD, 3, 0x210));
    let back = (body_start as i32 - (code.len() as i32 + 2)) as i8 as u8;
    code.extend([0xE2, back, 0xF4]);
    let (mut cpu, mut ram) = machine(&code);
    ram.0[0x200..0x208].copy_from_slice(&1.5f64.to_bits().to_le_bytes());
    ram.0[0x208..0x210].copy_from_slice(&2.25f64.to_bits().to_le_bytes());
    let t = Instant::now();
    let mut insns = 0u64;
    for _ in 0..40 {
        let (c, r) = (&mut cpu, &mut ram);
        c.set_eip(0);
        c.set_halted(false);
        let before = c.instruction_count();
        c.run(r, 1_000_000);
        insns += c.instruction_count() - before;
    }
    let el = t.elapsed().as_secs_f64();
    println!(
        "e2e      {:7.1} M x87-loop instructions/s ({insns} instructions)",
        insns as f64 / el / 1e6
    );
}

/// A small deterministic generator for the robustness tests.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Random values biased towards the encodings that matter.
    fn f80(&mut self) -> F80 {
        let r = self.next();
        let sign = (r as u16) & 0x8000;
        let sig = self.next();
        let exp = match (r >> 16) % 10 {
            0 => 0,
            1 => 0x7FFF,
            2 => 1 + (r >> 32) as u16 % 8,
            3 => 0x7FFE - (r >> 32) as u16 % 8,
            4 => 0x3FFFu16.wrapping_add(((r >> 32) as u16 % 130).wrapping_sub(65)) & 0x7FFF,
            _ => (r >> 32) as u16 & 0x7FFF,
        };
        let sig = match (r >> 40) % 6 {
            0 => sig & !(1 << 63),
            1 => 1 << 63,
            2 => sig | 1 << 63 | 1 << 62,
            3 => 0,
            _ => sig | 1 << 63,
        };
        F80 {
            sig,
            se: sign | exp,
        }
    }
}

/// No operand value or control word makes any operation panic (the test
/// profile keeps overflow checks on).
#[test]
fn robustness_random_operands() {
    let mut g = Rng(0x1234_5678_9ABC_DEF1);
    for _ in 0..60_000 {
        let cwv = g.next() as u16;
        let (a, b) = (g.f80(), g.f80());
        let mut c = ctx(cwv);
        let _ = sf::add(&mut c, a, b, false);
        let _ = sf::add(&mut c, a, b, true);
        let _ = sf::mul(&mut c, a, b);
        let _ = sf::div(&mut c, a, b);
        let _ = sf::sqrt(&mut c, a);
        let _ = sf::rem(&mut c, a, b, false);
        let _ = sf::rem(&mut c, a, b, true);
        let _ = sf::scale(&mut c, a, b);
        let _ = sf::round_to_int(&mut c, a);
        for bits in [16, 32, 64] {
            let _ = sf::to_int(&mut c, a, bits);
        }
        let _ = sf::to_bcd(&mut c, a);
        let _ = sf::from_bcd(a.to_bytes());
        let _ = sf::to_f32(&mut c, a);
        let _ = sf::to_f64(&mut c, a);
        let _ = sf::from_f32(&mut c, a.sig as u32);
        let _ = sf::from_f64(&mut c, a.sig);
        let _ = sf::compare(&mut c, a, b, false);
        let _ = tr::fsin(&mut c, a);
        let _ = tr::fcos(&mut c, a);
        let _ = tr::fsincos(&mut c, a);
        let _ = tr::fptan(&mut c, a);
        let _ = tr::fpatan(&mut c, a, b);
        let _ = tr::f2xm1(&mut c, a);
        let _ = tr::fyl2x(&mut c, a, b);
        let _ = tr::fyl2xp1(&mut c, a, b);
        if a.class() != sf::Class::Zero
            && a.class() != sf::Class::Unsupported
            && !a.is_nan()
            && a.exp() != 0x7FFF
        {
            let _ = sf::xtract(a);
        }
    }
}

/// Random x87 instruction streams (every escape opcode, ModR/M and
/// displacement, random memory contents, random CR0.EM/TS/MP/NE) run
/// without panicking.
#[test]
fn robustness_random_instruction_streams() {
    let mut g = Rng(0xDEAD_BEEF_0BAD_F00D);
    for round in 0..1500 {
        let mut code = Vec::new();
        for _ in 0..40 {
            if g.next() & 7 == 0 {
                code.push(0x9B);
            }
            if g.next() % 6 < 1 {
                code.push(0x66);
            }
            code.push(0xD8 + (g.next() % 8) as u8);
            let modrm = g.next() as u8;
            code.push(modrm);
            code.push(g.next() as u8);
            code.push(g.next() as u8);
        }
        code.push(0xF4);
        let (mut cpu, mut ram) = machine(&code);
        for i in 0..0x8000 {
            ram.0[i] = g.next() as u8;
        }
        // Keep the IVT pointing at a HLT so faults end the run.
        for v in 0..32 {
            ram.0[v * 4..v * 4 + 4].copy_from_slice(&[0x00, 0x09, 0x00, 0x00]);
        }
        ram.0[0x900] = 0xF4;
        cpu.cr0 |= (g.next() as u32) & 0x2E & if round % 3 == 0 { 0x2E } else { 0x22 };
        for r in 0..8 {
            cpu.set_gpr(r, g.next() as u32 & 0x7FFF);
        }
        cpu.set_gpr(4, 0xFFF0);
        for r in 0..8 {
            cpu.fpu.regs[r] = g.f80();
        }
        cpu.fpu.empty = g.next() as u8;
        cpu.fpu.top = g.next() as u8 & 7;
        cpu.fpu.set_cw(g.next() as u16);
        for _ in 0..20 {
            cpu.run(&mut ram, 100);
            cpu.set_halted(false);
            cpu.set_eip(cpu.eip() & 0x3F);
            cpu.set_segment_real(SegReg::Cs, 0x1000);
        }
    }
}

/// ST(i) operands of every register form decode to the right register.
#[test]
fn e2e_register_operands() {
    // fninit; fld1; fldz; fldpi; fld1      -> ST: 1 π 0 1
    // fxch st2                            -> 0 π 1 1
    // fld st3                             -> 1 0 π 1 1
    // faddp st2, st                       -> 0 π+1 1 1
    // fsubr st0, st1 (st0 = st1 − st0)    -> π+1 π+1 1 1
    // fstp st3                            -> π+1 1 π+1
    let code = [
        0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xEE, 0xD9, 0xEB, 0xD9, 0xE8, 0xD9, 0xCA, 0xD9, 0xC3, 0xDE,
        0xC2, 0xD8, 0xE9, 0xDD, 0xDB,
    ];
    let (cpu, _) = run_code(&code, |_, _| {});
    let mut c = ctx(0x037F);
    let pi1 = sf::add(&mut c, tr::constant(tr::PI, 0), F80::ONE, false);
    assert_eq!(cpu.fpu.st(0), pi1);
    assert_eq!(cpu.fpu.st(1), F80::ONE);
    assert_eq!(cpu.fpu.st(2), pi1);
    assert!(cpu.fpu.is_empty(3));
    assert_eq!(cpu.fpu.status() >> 11 & 7, 5);
}

#[test]
fn square_root_kernel_is_exact() {
    let mut g = Rng(0x5151_7272_9393_B4B4);
    let check = |m: u128| {
        let r = sf::sqrt_sig(m) as u128;
        assert!(
            r * r <= m && !matches!((r + 1).checked_mul(r + 1), Some(q) if q <= m),
            "m={m:x} r={r:x}"
        );
    };
    check(1 << 126);
    check(u128::MAX);
    check((1u128 << 127) - 1);
    for _ in 0..200_000 {
        let m = ((g.next() as u128) << 64 | g.next() as u128) | 1 << 126;
        check(m);
        let r = (g.next() | 1 << 63) as u128;
        check(r * r);
        check(r * r - 1);
    }
}

#[test]
fn isqrt64_is_exact() {
    let mut g = Rng(0x7777_1234_4321_9999);
    for _ in 0..100_000 {
        let t = g.next() >> (g.next() % 64);
        let r = sf::isqrt64_for_test(t) as u128;
        assert!(r * r <= t as u128 && (r + 1) * (r + 1) > t as u128, "t={t}");
    }
    for t in [0, 1, 2, 3, 4, 15, 16, 17, u64::MAX, 1 << 62, (1 << 62) - 1] {
        let r = sf::isqrt64_for_test(t) as u128;
        assert!(r * r <= t as u128 && (r + 1) * (r + 1) > t as u128, "t={t}");
    }
}

/// A store that crosses the segment limit faults before writing anything
/// and leaves the FPU unchanged (no pop).
#[test]
fn e2e_faulting_store_leaves_memory_and_stack() {
    // fninit; fld1; fstp qword [FFFC] -> #GP (handler at 0000:0800 halts)
    let mut code = vec![0xDB, 0xE3, 0xD9, 0xE8];
    code.extend(mem(0xDD, 3, 0xFFFC));
    code.push(0xF4);
    let (mut cpu, mut ram) = machine(&code);
    ram.0[13 * 4..13 * 4 + 4].copy_from_slice(&[0x00, 0x08, 0x00, 0x00]);
    ram.0[0x800] = 0xF4;
    ram.0[0xFFFC..0x10000].copy_from_slice(&[0xAA; 4]);
    cpu.run(&mut ram, 20);
    assert_eq!(cpu.eip(), 0x801);
    assert_eq!(&ram.0[0xFFFC..0x10000], &[0xAA; 4]);
    assert_eq!(cpu.fpu.st(0), F80::ONE);
    assert!(!cpu.fpu.is_empty(0));
}

/// Transcendental special-case vectors from a host x87 (`hwt` format:
/// `op cw a b -> st0 st1 sw`): compared exactly for special results and
/// flags, within `tol` ulp for finite ones (hardware is not correctly
/// rounded, and reduces with a 66-bit π).
fn trans_hw_check(text: &str, tol: i128) -> (usize, Vec<String>) {
    let parse = |s: &str| F80 {
        se: u16::from_str_radix(&s[..4], 16).unwrap(),
        sig: u64::from_str_radix(&s[4..], 16).unwrap(),
    };
    let mut bad = Vec::new();
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let t: Vec<&str> = line.split_whitespace().collect();
        let cwv = u16::from_str_radix(t[1], 16).unwrap();
        let (a, b) = (parse(t[2]), parse(t[3]));
        let (w0, w1, wsw) = (
            parse(t[5]),
            parse(t[6]),
            u16::from_str_radix(t[7], 16).unwrap(),
        );
        let insn: [u8; 2] = match t[0] {
            "sin" => [0xD9, 0xFE],
            "cos" => [0xD9, 0xFF],
            "sincos" => [0xD9, 0xFB],
            "ptan" => [0xD9, 0xF2],
            "patan" => [0xD9, 0xF3],
            "f2xm1" => [0xD9, 0xF0],
            "yl2x" => [0xD9, 0xF1],
            "yl2xp1" => [0xD9, 0xF9],
            "xtract" => [0xD9, 0xF4],
            _ => [0xD9, 0xFD],
        };
        let mut code = vec![0xDB, 0xE3];
        code.extend(mem(0xD9, 5, 0x100));
        code.extend(mem(0xDB, 5, 0x120));
        code.extend(mem(0xDB, 5, 0x110));
        code.extend(insn);
        code.extend(mem(0xDD, 6, 0x200));
        let (_, ram) = run_code(&code, |_, ram| {
            ram.0[0x100..0x102].copy_from_slice(&cwv.to_le_bytes());
            put80(ram, 0x110, a);
            put80(ram, 0x120, b);
        });
        let (g0, g1, gsw) = (
            get80(&ram, 0x200 + 14),
            get80(&ram, 0x200 + 24),
            get16(&ram, 0x202),
        );
        n += 1;
        let close = |g: F80, w: F80| {
            g == w
                || (g.class() == sf::Class::Normal
                    && w.class() == sf::Class::Normal
                    && (ordinal(g) - ordinal(w)).abs() <= tol)
        };
        let exact = g0 == w0 && g1 == w1;
        let sw_ok = if exact {
            gsw == wsw
        } else {
            gsw & !0x0200 == wsw & !0x0200
        };
        if !(close(g0, w0) && close(g1, w1) && sw_ok) {
            bad.push(format!(
                "{line}\n got {:04x}{:016x} {:04x}{:016x} {gsw:04x}",
                g0.se, g0.sig, g1.se, g1.sig
            ));
        }
    }
    (n, bad)
}

/// `X87_TRANS_HW=/path cargo test -p oxbox-cpu x87_dev_trans_hw -- --ignored --nocapture`
#[test]
#[ignore]
fn x87_dev_trans_hw() {
    let Ok(path) = std::env::var("X87_TRANS_HW") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let (n, bad) = trans_hw_check(&text, 2);
    for b in bad.iter().take(1000) {
        println!("{b}");
    }
    println!("{} of {n} differ", bad.len());
}

#[test]
fn hardware_transcendental_vectors() {
    let (n, bad) = trans_hw_check(include_str!("x87_transcendental_hw.txt"), 2);
    assert!(
        bad.is_empty(),
        "{} of {n} differ:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
}

/// Random register-only instruction sequences recorded on a host x87
/// (`hwvec_seq.c`): `cw flags values.. | bytes -> cw sw tw st0..st7 eflags`.
/// Empty registers' contents are not compared.
fn run_seq_vector(line: &str) -> Option<Result<(), String>> {
    let (lhs, rhs) = line.split_once(" -> ")?;
    let (head, bytes) = lhs.split_once(" |")?;
    let h: Vec<&str> = head.split_whitespace().collect();
    let cwv = u16::from_str_radix(h[0], 16).ok()?;
    let fl = u32::from_str_radix(h[1], 16).ok()?;
    let parse80 = |s: &str| -> Option<F80> {
        Some(F80 {
            se: u16::from_str_radix(&s[..4], 16).ok()?,
            sig: u64::from_str_radix(&s[4..], 16).ok()?,
        })
    };
    let vals: Vec<F80> = h[2..]
        .iter()
        .filter(|s| s.len() == 20)
        .filter_map(|s| parse80(s))
        .collect();
    let hex16 = |s: &str| -> Option<[u8; 16]> {
        let mut b = [0u8; 16];
        for (i, o) in b.iter_mut().enumerate() {
            *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(b)
    };
    let scratch = h[2..].iter().find(|s| s.len() == 32).and_then(|s| hex16(s));
    // Register forms as two hex bytes; memory forms as `mXX/r` (operand at 300h).
    let mut seq = Vec::new();
    for tok in bytes.split_whitespace() {
        if let Some(m) = tok.strip_prefix('m') {
            let (opc, r) = m.split_once('/')?;
            seq.extend(mem(
                u8::from_str_radix(opc, 16).ok()?,
                r.parse().ok()?,
                0x300,
            ));
        } else {
            seq.push(u8::from_str_radix(tok, 16).ok()?);
        }
    }
    let r: Vec<&str> = rhs.split_whitespace().collect();
    let mut code = vec![0xDB, 0xE3];
    code.extend(mem(0xD9, 5, 0x100));
    for j in 0..vals.len() {
        code.extend(mem(0xDB, 5, 0x110 + 10 * j as u16));
    }
    code.extend(&seq);
    code.extend(mem(0xDD, 6, 0x200));
    let (cpu, ram) = run_code(&code, |cpu, ram| {
        ram.0[0x100..0x102].copy_from_slice(&cwv.to_le_bytes());
        for (j, v) in vals.iter().enumerate() {
            put80(ram, 0x110 + 10 * j, *v);
        }
        if let Some(b) = scratch {
            ram.0[0x300..0x310].copy_from_slice(&b);
        }
        cpu.set_eflags(fl);
    });
    let (wcw, wsw, wtw) = (
        u16::from_str_radix(r[0], 16).ok()?,
        u16::from_str_radix(r[1], 16).ok()?,
        u16::from_str_radix(r[2], 16).ok()?,
    );
    let (gcw, gsw, gtw) = (get16(&ram, 0x200), get16(&ram, 0x202), get16(&ram, 0x204));
    let mut err = Vec::new();
    if (gcw, gsw, gtw) != (wcw, wsw, wtw) {
        err.push(format!("cw/sw/tw {gcw:04x} {gsw:04x} {gtw:04x}"));
    }
    let top = (wsw >> 11) & 7;
    for i in 0..8u16 {
        let phys = (top + i) & 7;
        if (wtw >> (2 * phys)) & 3 == 3 {
            continue;
        }
        let w = parse80(r[3 + i as usize])?;
        let g = get80(&ram, 0x200 + 14 + 10 * i as usize);
        if g != w {
            err.push(format!("st{i} {:04x}{:016x}", g.se, g.sig));
        }
    }
    let wef = u32::from_str_radix(r[11], 16).ok()?;
    let gef = cpu.eflags() & 0x8D5;
    if gef != wef {
        err.push(format!("eflags {gef:03x}"));
    }
    if let Some(want) = r.get(12).and_then(|s| hex16(s)) {
        if ram.0[0x300..0x310] != want {
            let got: String = ram.0[0x300..0x310]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            err.push(format!("memory {got}"));
        }
    }
    Some(if err.is_empty() {
        Ok(())
    } else {
        Err(err.join(", "))
    })
}

fn seq_check(text: &str) -> (usize, Vec<String>) {
    let mut bad = Vec::new();
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        n += 1;
        match run_seq_vector(line) {
            Some(Ok(())) => {}
            Some(Err(e)) => bad.push(format!("{line}\n got {e}")),
            None => bad.push(format!("unparsed {line}")),
        }
    }
    (n, bad)
}

/// `X87_SEQ=/path cargo test -p oxbox-cpu x87_dev_seq -- --ignored --nocapture`
#[test]
#[ignore]
fn x87_dev_seq() {
    let Ok(path) = std::env::var("X87_SEQ") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let (n, bad) = seq_check(&text);
    for b in bad.iter().take(40) {
        println!("{b}");
    }
    println!("{} of {n} differ", bad.len());
}

#[test]
fn hardware_sequence_vectors() {
    let (n, bad) = seq_check(include_str!("x87_sequence_vectors.txt"));
    assert!(
        bad.is_empty(),
        "{} of {n} differ:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
}

#[test]
fn hardware_memory_sequence_vectors() {
    let (n, bad) = seq_check(include_str!("x87_memory_sequence_vectors.txt"));
    assert!(
        bad.is_empty(),
        "{} of {n} differ:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
}
