//! MMX/SSE/SSE2 tests: hand-computed soft-float and integer results,
//! end-to-end runs of encoded instructions on a flat-RAM bus (faults,
//! aliasing, FXSAVE), and SSE vectors recorded on a host processor.

#![allow(clippy::unwrap_used)]

use super::fp::{self, Env, DE, IE, OE, PE, UE, ZE};
use super::int;
use crate::cpu::{Cpu, CpuModel, SegReg, CR0_EM, CR0_NE, CR0_TS, CR4_OSFXSR};

pub(crate) use crate::FlatRam as Ram;

/// Code at 1000:0000, data in segment 0, exception handlers at 1000:0800 +
/// 16 × vector: each stores its vector number at 0:0FF0 and halts.
const CODE: usize = 0x10000;
const HANDLERS: usize = CODE + 0x800;
const VEC_AT: usize = 0xFF0;

fn machine(code: &[u8]) -> (Cpu<Ram>, Ram) {
    let mut ram = Ram(vec![0; 1 << 20]);
    ram.0[CODE..CODE + code.len()].copy_from_slice(code);
    for v in 0..32usize {
        let at = HANDLERS + 16 * v;
        // mov byte [0FF0h], v ; hlt
        ram.0[at..at + 6].copy_from_slice(&[0xC6, 0x06, 0xF0, 0x0F, v as u8, 0xF4]);
        let ip = (0x800 + 16 * v) as u16;
        ram.0[4 * v..4 * v + 2].copy_from_slice(&ip.to_le_bytes());
        ram.0[4 * v + 2..4 * v + 4].copy_from_slice(&0x1000u16.to_le_bytes());
    }
    ram.0[VEC_AT] = 0xFF;
    let mut cpu = Cpu::new(CpuModel::I486);
    cpu.reset();
    for s in [SegReg::Es, SegReg::Ds, SegReg::Fs, SegReg::Gs, SegReg::Ss] {
        cpu.set_segment_real(s, 0);
    }
    cpu.set_segment_real(SegReg::Cs, 0x1000);
    cpu.set_eip(0);
    cpu.set_gpr(4, 0xFFF0);
    cpu.cr4 |= CR4_OSFXSR | super::CR4_OSXMMEXCPT;
    cpu.cr0 |= CR0_NE;
    cpu.flush_code_cache();
    (cpu, ram)
}

/// Runs `code` (a HLT is appended) until it halts.
fn run_code(code: &[u8], setup: impl FnOnce(&mut Cpu<Ram>, &mut Ram)) -> (Cpu<Ram>, Ram) {
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

/// The exception vector a run ended in, if any.
fn vector(ram: &Ram) -> Option<u8> {
    (ram.0[VEC_AT] != 0xFF).then_some(ram.0[VEC_AT])
}

fn put(ram: &mut Ram, at: usize, v: &[u8]) {
    ram.0[at..at + v.len()].copy_from_slice(v);
}

fn get32(ram: &Ram, at: usize) -> u32 {
    u32::from_le_bytes(ram.0[at..at + 4].try_into().unwrap())
}

fn get64(ram: &Ram, at: usize) -> u64 {
    u64::from_le_bytes(ram.0[at..at + 8].try_into().unwrap())
}

fn get128(ram: &Ram, at: usize) -> u128 {
    u128::from_le_bytes(ram.0[at..at + 16].try_into().unwrap())
}

/// `prefix 0F opc` with a [disp16] memory operand and `reg` in ModR/M.
fn mem16(prefix: &[u8], opc: u8, reg: u8, disp: u16) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.extend([0x0F, opc, (reg << 3) | 6]);
    v.extend(disp.to_le_bytes());
    v
}

/// `prefix 0F opc` with register operands (ModR/M reg, rm).
fn rr(prefix: &[u8], opc: u8, reg: u8, rm: u8) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.extend([0x0F, opc, 0xC0 | (reg << 3) | rm]);
    v
}

fn movups_load(x: u8, at: u16) -> Vec<u8> {
    mem16(&[], 0x10, x, at)
}
fn movups_store(x: u8, at: u16) -> Vec<u8> {
    mem16(&[], 0x11, x, at)
}
fn ldmxcsr(at: u16) -> Vec<u8> {
    mem16(&[], 0xAE, 2, at)
}
fn stmxcsr(at: u16) -> Vec<u8> {
    mem16(&[], 0xAE, 3, at)
}
fn movq_mm_load(m: u8, at: u16) -> Vec<u8> {
    mem16(&[], 0x6F, m, at)
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

// ---------------------------------------------------------------------------
// Soft-float, hand-computed

fn env(mxcsr: u32) -> Env {
    Env::new(mxcsr)
}

const MASKED: u32 = 0x1F80;
const RN: u32 = MASKED;
const RD: u32 = MASKED | 1 << 13;
const RU: u32 = MASKED | 2 << 13;
const RZ: u32 = MASKED | 3 << 13;
const DAZ: u32 = 1 << 6;
const FTZ: u32 = 1 << 15;

#[test]
fn add_rounds_in_every_mode() {
    // 1 + 2^-24 (half an ulp of 1.0f): a tie, to even in RN.
    let (one, half_ulp) = (0x3F80_0000u64, 0x3380_0000u64);
    let cases = [
        (RN, 0x3F80_0000),
        (RD, 0x3F80_0000),
        (RU, 0x3F80_0001),
        (RZ, 0x3F80_0000),
    ];
    for (m, want) in cases {
        let mut e = env(m);
        assert_eq!(
            fp::add::<false>(&mut e, one, half_ulp, false),
            want,
            "mxcsr {m:x}"
        );
        assert_eq!(e.flags, PE);
    }
    // -(1 + 2^-24): RD rounds away from zero.
    let mut e = env(RD);
    assert_eq!(
        fp::add::<false>(&mut e, one | 1 << 31, half_ulp | 1 << 31, false),
        0xBF80_0001
    );
    // 1.0000001f + 2^-24: a tie with an odd last bit rounds up in RN.
    let mut e = env(RN);
    assert_eq!(
        fp::add::<false>(&mut e, 0x3F80_0001, half_ulp, false),
        0x3F80_0002
    );
    // 0.1 + 0.2 in binary64 = 0x3FD3333333333334.
    let mut e = env(RN);
    assert_eq!(
        fp::add::<true>(&mut e, 0x3FB9_9999_9999_999A, 0x3FC9_9999_9999_999A, false),
        0x3FD3_3333_3333_3334
    );
    assert_eq!(e.flags, PE);
}

#[test]
fn exact_cancellation_sign_depends_on_rounding() {
    for (m, want) in [(RN, 0u64), (RD, 0x8000_0000), (RU, 0), (RZ, 0)] {
        let mut e = env(m);
        assert_eq!(
            fp::add::<false>(&mut e, 0x4040_0000, 0x4040_0000, true),
            want
        );
        assert_eq!(e.flags, 0);
    }
    let mut e = env(RN);
    assert_eq!(fp::add::<true>(&mut e, 1 << 63, 1 << 63, false), 1 << 63);
    assert_eq!(fp::add::<true>(&mut e, 1 << 63, 0, false), 0);
}

#[test]
fn overflow_responses_per_rounding_mode() {
    let max = 0x7F7F_FFFFu64;
    for (m, pos, negv) in [
        (RN, 0x7F80_0000u64, 0xFF80_0000u64),
        (RD, max, 0xFF80_0000),
        (RU, 0x7F80_0000, 0xFF7F_FFFF),
        (RZ, max, 0xFF7F_FFFF),
    ] {
        let mut e = env(m);
        assert_eq!(fp::mul::<false>(&mut e, max, 0x4000_0000), pos);
        assert_eq!(e.flags, OE | PE);
        let mut e = env(m);
        assert_eq!(fp::mul::<false>(&mut e, max | 1 << 31, 0x4000_0000), negv);
    }
    // Unmasked: OE alone.
    let mut e = env(MASKED & !(OE << 7));
    fp::mul::<true>(&mut e, 0x7FEF_FFFF_FFFF_FFFF, 0x4000_0000_0000_0000);
    assert_eq!(e.flags, OE);
}

#[test]
fn underflow_denormals_ftz_and_tininess_after_rounding() {
    // 2^-126 × 0.5 = 2^-127: an exact denormal, no flags.
    let mut e = env(RN);
    assert_eq!(
        fp::mul::<false>(&mut e, 0x0080_0000, 0x3F00_0000),
        0x0040_0000
    );
    assert_eq!(e.flags, 0);
    // FTZ flushes it with UE and PE.
    let mut e = env(RN | FTZ);
    assert_eq!(fp::mul::<false>(&mut e, 0x0080_0000, 0x3F00_0000), 0);
    assert_eq!(e.flags, UE | PE);
    // (1 + 2^-23)(1 - 2^-23) × 2^-126 rounds to 2^-126 at full precision:
    // not tiny after rounding, so PE only.
    let mut e = env(RN);
    assert_eq!(
        fp::mul::<false>(&mut e, 0x0080_0001, 0x3F7F_FFFE),
        0x0080_0000
    );
    assert_eq!(e.flags, PE);
    // (1 - 2^-24) × 2^-126 is tiny and rounds up to 2^-126: UE and PE.
    let mut e = env(RN);
    assert_eq!(
        fp::mul::<false>(&mut e, 0x3F7F_FFFF, 0x0080_0000),
        0x0080_0000
    );
    assert_eq!(e.flags, UE | PE);
    // Smallest denormal halved: a tie to even gives zero; RU gives it back.
    let mut e = env(RN);
    assert_eq!(fp::mul::<true>(&mut e, 1, 0x3FE0_0000_0000_0000), 0);
    assert_eq!(e.flags, DE | UE | PE);
    let mut e = env(RU);
    assert_eq!(fp::mul::<true>(&mut e, 1, 0x3FE0_0000_0000_0000), 1);
    // Unmasked underflow on an exact tiny result: UE alone.
    let mut e = env(MASKED & !(UE << 7));
    fp::mul::<false>(&mut e, 0x0080_0000, 0x3F00_0000);
    assert_eq!(e.flags, UE);
}

#[test]
fn denormal_operands_and_daz() {
    let mut e = env(RN);
    assert_eq!(fp::add::<false>(&mut e, 1, 0x3F80_0000, false), 0x3F80_0000);
    assert_eq!(e.flags, DE | PE);
    let mut e = env(RN | DAZ);
    assert_eq!(fp::add::<false>(&mut e, 1, 0x3F80_0000, false), 0x3F80_0000);
    assert_eq!(e.flags, 0);
    // DAZ: denormal + -denormal = +0 with no flags.
    let mut e = env(RN | DAZ);
    assert_eq!(fp::add::<false>(&mut e, 1, 0x8000_0001, false), 0);
    assert_eq!(e.flags, 0);
    // A NaN operand suppresses DE.
    let mut e = env(RN);
    assert_eq!(fp::add::<false>(&mut e, 0x7FC0_0001, 1, false), 0x7FC0_0001);
    assert_eq!(e.flags, 0);
    // Infinity + denormal: DE.
    let mut e = env(RN);
    assert_eq!(fp::add::<false>(&mut e, 0x7F80_0000, 1, false), 0x7F80_0000);
    assert_eq!(e.flags, DE);
}

#[test]
fn nan_propagation() {
    let mut e = env(RN);
    // SNaN first: quietened first operand.
    assert_eq!(
        fp::add::<false>(&mut e, 0x7F80_0001, 0xFFC0_0002, false),
        0x7FC0_0001
    );
    assert_eq!(e.flags, IE);
    // QNaN first, SNaN second: the first, IE.
    let mut e = env(RN);
    assert_eq!(
        fp::mul::<false>(&mut e, 0xFFC0_0002, 0x7F80_0001),
        0xFFC0_0002
    );
    assert_eq!(e.flags, IE);
    // Only the second a NaN.
    let mut e = env(RN);
    assert_eq!(
        fp::div::<true>(&mut e, 0x3FF0_0000_0000_0000, 0x7FF0_0000_0000_0005),
        0x7FF8_0000_0000_0005
    );
    assert_eq!(e.flags, IE);
    // Invalid operations: the default NaN.
    let mut e = env(RN);
    assert_eq!(
        fp::add::<false>(&mut e, 0x7F80_0000, 0xFF80_0000, false),
        0xFFC0_0000
    );
    assert_eq!(
        fp::mul::<true>(&mut e, 0, 0xFFF0_0000_0000_0000),
        0xFFF8_0000_0000_0000
    );
    assert_eq!(fp::div::<false>(&mut e, 0, 0x8000_0000), 0xFFC0_0000);
    assert_eq!(
        fp::div::<false>(&mut e, 0x7F80_0000, 0x7F80_0000),
        0xFFC0_0000
    );
    assert_eq!(fp::sqrt::<false>(&mut e, 0xBF80_0000), 0xFFC0_0000);
    assert_eq!(e.flags, IE);
}

#[test]
fn division_by_zero_and_sqrt() {
    let mut e = env(RN);
    assert_eq!(
        fp::div::<false>(&mut e, 0x3F80_0000, 0x8000_0000),
        0xFF80_0000
    );
    assert_eq!(e.flags, ZE);
    // A denormal dividend: ZE without DE.
    let mut e = env(RN);
    assert_eq!(fp::div::<false>(&mut e, 1, 0), 0x7F80_0000);
    assert_eq!(e.flags, ZE);
    // Infinity / 0: no flags.
    let mut e = env(RN);
    assert_eq!(fp::div::<false>(&mut e, 0x7F80_0000, 0), 0x7F80_0000);
    assert_eq!(e.flags, 0);
    // sqrt(2) = 0x3FB504F3 (RN, RU gives ...F4? no: the tail is below half).
    let mut e = env(RN);
    assert_eq!(fp::sqrt::<false>(&mut e, 0x4000_0000), 0x3FB5_04F3);
    assert_eq!(e.flags, PE);
    let mut e = env(RU);
    assert_eq!(fp::sqrt::<false>(&mut e, 0x4000_0000), 0x3FB5_04F4);
    let mut e = env(RN);
    assert_eq!(
        fp::sqrt::<true>(&mut e, 0x4000_0000_0000_0000),
        0x3FF6_A09E_667F_3BCD
    );
    // sqrt(-0) = -0, sqrt(4) = 2 exactly, sqrt of the smallest denormal.
    let mut e = env(RN);
    assert_eq!(fp::sqrt::<true>(&mut e, 1 << 63), 1 << 63);
    assert_eq!(fp::sqrt::<false>(&mut e, 0x4080_0000), 0x4000_0000);
    assert_eq!(e.flags, 0);
    assert_eq!(fp::sqrt::<true>(&mut e, 1), 0x1E60_0000_0000_0000);
    assert_eq!(e.flags, DE);
}

#[test]
fn min_max_compare() {
    let mut e = env(RN);
    // Equal operands (also +0/-0): the second.
    assert_eq!(
        fp::minmax::<false, false>(&mut e, 0, 0x8000_0000),
        0x8000_0000
    );
    assert_eq!(fp::minmax::<false, true>(&mut e, 0x8000_0000, 0), 0);
    // Any NaN: the second operand, unchanged, IE.
    assert_eq!(
        fp::minmax::<false, false>(&mut e, 0x7FC0_0000, 0x3F80_0000),
        0x3F80_0000
    );
    assert_eq!(
        fp::minmax::<false, true>(&mut e, 0x3F80_0000, 0x7F80_0001),
        0x7F80_0001
    );
    assert_eq!(e.flags, IE);
    let mut e = env(RN);
    assert_eq!(
        fp::minmax::<true, false>(&mut e, 0xBFF0_0000_0000_0000, 0x3FF0_0000_0000_0000),
        0xBFF0_0000_0000_0000
    );
    assert_eq!(
        fp::minmax::<true, true>(&mut e, 0xBFF0_0000_0000_0000, 0x3FF0_0000_0000_0000),
        0x3FF0_0000_0000_0000
    );
    assert_eq!(e.flags, 0);
    // DAZ: the zeroed operand is what is returned.
    let mut e = env(RN | DAZ);
    assert_eq!(
        fp::minmax::<false, false>(&mut e, 0, 0x8000_0001),
        0x8000_0000
    );
    // Predicates: LT signals on QNaN, EQ does not; UNORD/NEQ/NLT/NLE true.
    for (p, want, ie) in [
        (0, false, 0),
        (1, false, IE),
        (3, true, 0),
        (4, true, 0),
        (5, true, IE),
        (7, false, 0),
    ] {
        let mut e = env(RN);
        assert_eq!(
            fp::compare::<false>(&mut e, 0x7FC0_0000, 0x3F80_0000, p),
            want,
            "pred {p}"
        );
        assert_eq!(e.flags, ie, "pred {p}");
    }
    let mut e = env(RN);
    assert!(fp::compare::<true>(&mut e, 0x8000_0000_0000_0000, 0, 0));
    assert!(fp::compare::<true>(&mut e, 1 << 63 | 1, 1, 1));
    assert_eq!(e.flags, DE);
    let mut e = env(RN);
    assert_eq!(fp::comi::<false>(&mut e, 0x7FC0_0000, 0, true), None);
    assert_eq!(e.flags, 0);
    assert_eq!(fp::comi::<false>(&mut e, 0x7FC0_0000, 0, false), None);
    assert_eq!(e.flags, IE);
}

#[test]
fn conversions_and_integer_indefinite() {
    let mut e = env(RN);
    assert_eq!(fp::to_i32::<false>(&mut e, 0x4F00_0000, false), 0x8000_0000); // 2^31
    assert_eq!(e.flags, IE);
    let mut e = env(RN);
    assert_eq!(fp::to_i32::<false>(&mut e, 0xCF00_0000, false), 0x8000_0000); // -2^31: exact
    assert_eq!(e.flags, 0);
    assert_eq!(
        fp::to_i32::<true>(&mut e, 0x41DF_FFFF_FFC0_0000, false),
        0x7FFF_FFFF
    );
    assert_eq!(e.flags, 0);
    // 2^31 - 0.5 rounds to 2^31 in RN (overflow), truncates to 2^31-1.
    let mut e = env(RN);
    assert_eq!(
        fp::to_i32::<true>(&mut e, 0x41DF_FFFF_FFE0_0000, false),
        0x8000_0000
    );
    assert_eq!(e.flags, IE);
    let mut e = env(RN);
    assert_eq!(
        fp::to_i32::<true>(&mut e, 0x41DF_FFFF_FFE0_0000, true),
        0x7FFF_FFFF
    );
    assert_eq!(e.flags, PE);
    // 2.5 and -2.5 in each mode.
    for (m, p, n) in [(RN, 2u32, -2i32), (RD, 2, -3), (RU, 3, -2), (RZ, 2, -2)] {
        let mut e = env(m);
        assert_eq!(fp::to_i32::<false>(&mut e, 0x4020_0000, false), p);
        assert_eq!(fp::to_i32::<false>(&mut e, 0xC020_0000, false), n as u32);
        assert_eq!(fp::to_i32::<false>(&mut e, 0xC020_0000, true), -2i32 as u32);
        assert_eq!(e.flags, PE);
    }
    // A denormal rounds like a tiny value, without DE; DAZ makes it exact.
    let mut e = env(RD);
    assert_eq!(fp::to_i32::<false>(&mut e, 0x8000_0001, false), u32::MAX);
    assert_eq!(e.flags, PE);
    let mut e = env(RD | DAZ);
    assert_eq!(fp::to_i32::<false>(&mut e, 0x8000_0001, false), 0);
    assert_eq!(e.flags, 0);
    // NaN and infinity.
    let mut e = env(RN);
    assert_eq!(
        fp::to_i32::<true>(&mut e, 0x7FF8_0000_0000_0000, true),
        0x8000_0000
    );
    assert_eq!(fp::to_i32::<false>(&mut e, 0xFF80_0000, true), 0x8000_0000);
    assert_eq!(e.flags, IE);
    // Integers to floats: 2^24 + 1 is inexact in binary32.
    let mut e = env(RN);
    assert_eq!(fp::from_i32::<false>(&mut e, 0x0100_0001), 0x4B80_0000);
    assert_eq!(e.flags, PE);
    let mut e = env(RU);
    assert_eq!(fp::from_i32::<false>(&mut e, 0x0100_0001), 0x4B80_0001);
    assert_eq!(
        fp::from_i32::<true>(&mut e, i32::MIN),
        0xC1E0_0000_0000_0000
    );
    assert_eq!(fp::from_i32::<true>(&mut e, -1), 0xBFF0_0000_0000_0000);
    // binary32 <-> binary64.
    let mut e = env(RN);
    assert_eq!(fp::f32_to_f64(&mut e, 1), 0x36A0_0000_0000_0000);
    assert_eq!(e.flags, DE);
    let mut e = env(RN);
    assert_eq!(fp::f32_to_f64(&mut e, 0x7F80_0001), 0x7FF8_0000_2000_0000);
    assert_eq!(e.flags, IE);
    let mut e = env(RN);
    assert_eq!(fp::f64_to_f32(&mut e, 0x3FB9_9999_9999_999A), 0x3DCC_CCCD);
    assert_eq!(fp::f64_to_f32(&mut e, 0xFFF0_0000_0000_0001), 0xFFC0_0000);
    assert_eq!(e.flags, PE | IE);
    let mut e = env(RN);
    assert_eq!(fp::f64_to_f32(&mut e, 0x47F0_0000_0000_0000), 0x7F80_0000); // 2^128
    assert_eq!(e.flags, OE | PE);
    let mut e = env(RN);
    assert_eq!(fp::f64_to_f32(&mut e, 0x3690_0000_0000_0000), 0); // 2^-150: tie to 0
    assert_eq!(e.flags, UE | PE);
}

#[test]
fn reciprocal_approximations() {
    let mut worst = 0f64;
    let mut x = 0x0080_0000u32;
    while x < 0x7F80_0000 {
        let v = f32::from_bits(x) as f64;
        let r = f32::from_bits(fp::rcp(x)) as f64;
        if r != 0.0 {
            worst = worst.max((r * v - 1.0).abs());
        }
        let s = f32::from_bits(fp::rsqrt(x)) as f64;
        worst = worst.max((s * v.sqrt() - 1.0).abs());
        x += 0x1357;
    }
    assert!(worst <= 1.5 / 4096.0, "relative error {worst}");
    assert_eq!(fp::rcp(0x3F80_0000), 0x3F80_0000);
    assert_eq!(fp::rcp(0x8000_0001), 0xFF80_0000); // denormal: as -0
    assert_eq!(fp::rcp(0x7F80_0000), 0);
    assert_eq!(fp::rcp(0x7F7F_FFFF), 0); // tiny: flushed
    assert_eq!(fp::rcp(0x7F80_0001), 0x7FC0_0001);
    assert_eq!(fp::rsqrt(0xBF80_0000), 0xFFC0_0000);
    assert_eq!(fp::rsqrt(0x8000_0000), 0xFF80_0000);
    assert_eq!(fp::rsqrt(0x7F80_0000), 0);
    assert_eq!(fp::rsqrt(0x4080_0000), 0x3F00_0000); // 1/sqrt(4)
}

// ---------------------------------------------------------------------------
// Integer lanes, hand-computed

#[test]
fn integer_lane_operations() {
    use int::*;
    let a = 0x7F80_0001_FFFF_8000u128;
    let b = 0x0180_FFFF_0001_8000u128;
    assert_eq!(op::<PADDW>(a, b, 8), 0x8100_0000_0000_0000);
    assert_eq!(op::<PADDSW>(a, b, 8), 0x7FFF_0000_0000_8000);
    assert_eq!(op::<PADDUSW>(a, b, 8), 0x8100_FFFF_FFFF_FFFF);
    assert_eq!(op::<PSUBSW>(a, b, 8), 0x7E00_0002_FFFE_0000);
    assert_eq!(op::<PSUBUSB>(0x0510_FF00, 0x0620_0101, 8), 0x0000_FE00);
    assert_eq!(op::<PADDSB>(0x7F80, 0x0180, 8), 0x7F80);
    assert_eq!(op::<PCMPGTW>(a, b, 8), 0xFFFF_FFFF_0000_0000);
    assert_eq!(op::<PCMPEQD>(a, a ^ 1, 8), 0xFFFF_FFFF_0000_0000);
    assert_eq!(op::<PMULLW>(0x0003_FFFF, 0x0004_FFFF, 8), 0x000C_0001);
    assert_eq!(op::<PMULHW>(0x8000_FFFF, 0x8000_FFFF, 8), 0x4000_0000);
    assert_eq!(op::<PMULHUW>(0xFFFF, 0xFFFF, 8), 0xFFFE);
    assert_eq!(op::<PMADDWD>(0x8000_8000, 0x8000_8000, 8), 0x8000_0000);
    assert_eq!(
        op::<PMADDWD>(0x0002_0003_0004_0005, 0x0006_0007_0008_0009, 8),
        0x0000_0021_0000_004D
    );
    assert_eq!(
        op::<PMULUDQ>(0x1_FFFF_FFFF, 0x7_FFFF_FFFF, 8),
        0xFFFF_FFFE_0000_0001
    );
    assert_eq!(
        op::<PSADBW>(0x00FF_0010, 0xFF00_2000, 8),
        0x10 + 0x20 + 0xFF + 0xFF
    );
    assert_eq!(op::<PAVGB>(0xFF01, 0xFF02, 8), 0xFF02);
    assert_eq!(
        op::<PACKSSWB>(0x0080_FF7F_7FFF_8000, 0x0001, 8),
        0x0000_0001_7F80_7F80
    );
    assert_eq!(op::<PACKUSWB>(0x0100_00FF_FFFF_0010, 0, 8), 0xFF_FF_00_10);
    assert_eq!(
        op::<PACKSSDW>(0x0001_0000_FFFF_0000, 0x7FFF_FFFF_8000_0000, 8),
        0x7FFF_8000_7FFF_8000
    );
    assert_eq!(
        op::<PUNPCKLBW>(0x4433_2211, 0x8877_6655, 8),
        0x8844_7733_6622_5511
    );
    assert_eq!(
        op::<PUNPCKHWD>(0x4444_3333_2222_1111, 0x8888_7777_6666_5555, 8),
        0x8888_4444_7777_3333
    );
    assert_eq!(
        op::<PUNPCKHQDQ>(0xAAAA << 64 | 1, 0xBBBB << 64 | 2, 16),
        0xBBBB << 64 | 0xAAAA
    );
    assert_eq!(op::<PSRAW>(0x8000_4000, 15, 8), 0xFFFF_0000);
    assert_eq!(op::<PSRAW>(0x8000_4000, 200, 8), 0xFFFF_0000);
    assert_eq!(op::<PSRLW>(0x8000_4000, 16, 8), 0);
    assert_eq!(op::<PSLLQ>(1, 63, 8), 1 << 63);
    assert_eq!(op::<PSLLQ>(1, 64, 8), 0);
    assert_eq!(op::<PSRLQ>(u64::MAX as u128, 1 << 32, 8), 0);
    assert_eq!(
        op::<PSLLD>(u128::MAX, 4, 16),
        0xFFFF_FFF0_FFFF_FFF0_FFFF_FFF0_FFFF_FFF0
    );
    assert_eq!(
        op::<PSRLDQ>(0x0102_0304_0506_0708_090A_0B0C_0D0E_0F10, 3, 16),
        0x0001_0203_0405_0607_0809_0A0B_0C0D
    );
    assert_eq!(op::<PSLLDQ>(1, 15, 16), 1 << 120);
    assert_eq!(op::<PSLLDQ>(1, 16, 16), 0);
    assert_eq!(
        shuffle4(0x4444_3333_2222_1111, 16, 0x1B),
        0x1111_2222_3333_4444
    );
    assert_eq!(
        shuffle_half(0x4444_3333_2222_1111 << 64 | 7, 0x00, true),
        0x1111_1111_1111_1111 << 64 | 7
    );
    assert_eq!(movmskb(0x80_00_FF_01, 16), 0b1010);
}

// ---------------------------------------------------------------------------
// End to end

#[test]
fn e2e_sse_arithmetic_and_mxcsr() {
    // movups xmm0,[100h]; movups xmm1,[110h]; ldmxcsr [120h]; addps xmm0,xmm1;
    // divss xmm0,[130h]; stmxcsr [124h]; movups [140h],xmm0
    let code = cat(&[
        movups_load(0, 0x100),
        movups_load(1, 0x110),
        ldmxcsr(0x120),
        rr(&[], 0x58, 0, 1),
        mem16(&[0xF3], 0x5E, 0, 0x130),
        stmxcsr(0x124),
        movups_store(0, 0x140),
    ]);
    let (_, ram) = run_code(&code, |_, ram| {
        // 1.5, -2, inf, 3  +  0.25, 2, 1, 2^-126 (denormal? no: min normal)
        let a: [u32; 4] = [0x3FC0_0000, 0xC000_0000, 0x7F80_0000, 0x4040_0000];
        let b: [u32; 4] = [0x3E80_0000, 0x4000_0000, 0x3F80_0000, 0x0080_0000];
        for k in 0..4 {
            put(ram, 0x100 + 4 * k, &a[k].to_le_bytes());
            put(ram, 0x110 + 4 * k, &b[k].to_le_bytes());
        }
        put(ram, 0x120, &0x1F80u32.to_le_bytes());
        put(ram, 0x130, &0x4000_0000u32.to_le_bytes());
    });
    assert_eq!(vector(&ram), None);
    // 1.75 / 2 = 0.875; -2 + 2 = +0; inf; 3 + 2^-126 = 3 (inexact).
    assert_eq!(
        get128(&ram, 0x140),
        0x4040_0000_7F80_0000_0000_0000_3F60_0000
    );
    assert_eq!(get32(&ram, 0x124), 0x1F80 | PE);
}

#[test]
fn e2e_unmasked_exception_raises_xm_or_ud_and_keeps_destination() {
    // ldmxcsr [120h] (ZE unmasked); movups xmm0,[100h]; divps xmm0,[110h]
    let code = cat(&[
        ldmxcsr(0x120),
        movups_load(0, 0x100),
        mem16(&[], 0x5E, 0, 0x110),
    ]);
    let setup = |cpu: &mut Cpu<Ram>, ram: &mut Ram, osxmm: bool| {
        if !osxmm {
            cpu.cr4 &= !super::CR4_OSXMMEXCPT;
        }
        put(
            ram,
            0x100,
            &0x3F80_0000_3F80_0000_3F80_0000_3F80_0000u128.to_le_bytes(),
        );
        put(
            ram,
            0x110,
            &0x3F80_0000_0000_0000_3F80_0000_3F80_0000u128.to_le_bytes(),
        );
        put(ram, 0x120, &(0x1F80u32 & !(ZE << 7)).to_le_bytes());
    };
    for (osxmm, want) in [(true, 19u8), (false, 6)] {
        let (cpu, ram) = run_code(&code, |c, r| setup(c, r, osxmm));
        assert_eq!(vector(&ram), Some(want));
        assert_eq!(cpu.xmm(0), 0x3F80_0000_3F80_0000_3F80_0000_3F80_0000);
        assert_eq!(cpu.mxcsr(), (0x1F80 & !(ZE << 7)) | ZE);
    }
    // A masked ZE with an unmasked PE: post-computation, so every flag is set.
    let (cpu, ram) = run_code(&code, |c, r| {
        setup(c, r, true);
        put(
            r,
            0x110,
            &0x4040_0000_0000_0000_3F80_0000_3F80_0000u128.to_le_bytes(),
        );
        put(r, 0x120, &(0x1F80u32 & !(PE << 7)).to_le_bytes());
    });
    assert_eq!(vector(&ram), Some(19));
    assert_eq!(cpu.mxcsr(), (0x1F80 & !(PE << 7)) | ZE | PE);
}

#[test]
fn e2e_ud_nm_and_alignment() {
    let addps_m = mem16(&[], 0x58, 0, 0x108);
    // Misaligned m128: #GP.
    let (_, ram) = run_code(&addps_m, |_, _| {});
    assert_eq!(vector(&ram), Some(13));
    // MOVUPS takes it; MOVAPS does not.
    let (_, ram) = run_code(&movups_load(0, 0x108), |_, _| {});
    assert_eq!(vector(&ram), None);
    let (_, ram) = run_code(&mem16(&[], 0x28, 0, 0x108), |_, _| {});
    assert_eq!(vector(&ram), Some(13));
    let sq = rr(&[0xF3], 0x51, 0, 1);
    // No OSFXSR or EM: #UD; TS: #NM.
    let (_, ram) = run_code(&sq, |c, _| c.cr4 &= !CR4_OSFXSR);
    assert_eq!(vector(&ram), Some(6));
    let (_, ram) = run_code(&sq, |c, _| c.cr0 |= CR0_EM);
    assert_eq!(vector(&ram), Some(6));
    let (_, ram) = run_code(&sq, |c, _| c.cr0 |= CR0_TS);
    assert_eq!(vector(&ram), Some(7));
    // MMX: EM #UD, TS #NM, OSFXSR not needed.
    let paddb = rr(&[], 0xFC, 0, 1);
    let (_, ram) = run_code(&paddb, |c, _| c.cr4 &= !CR4_OSFXSR);
    assert_eq!(vector(&ram), None);
    let (_, ram) = run_code(&paddb, |c, _| c.cr0 |= CR0_EM | CR0_TS);
    assert_eq!(vector(&ram), Some(6));
    let (_, ram) = run_code(&paddb, |c, _| c.cr0 |= CR0_TS);
    assert_eq!(vector(&ram), Some(7));
    // LOCK: #UD. Reserved MXCSR bits: #GP.
    let (_, ram) = run_code(&[&[0xF0][..], &rr(&[], 0x58, 0, 1)].concat(), |_, _| {});
    assert_eq!(vector(&ram), Some(6));
    let (_, ram) = run_code(&ldmxcsr(0x100), |_, r| {
        put(r, 0x100, &0x1_0000u32.to_le_bytes())
    });
    assert_eq!(vector(&ram), Some(13));
}

#[test]
fn e2e_mmx_aliases_the_x87_registers() {
    // fninit; fld1; movq mm3,[100h]; paddw mm3,[108h]; fxsave [200h]; emms; fxsave [400h]
    let code = cat(&[
        vec![0xDB, 0xE3, 0xD9, 0xE8],
        movq_mm_load(3, 0x100),
        mem16(&[], 0xFD, 3, 0x108),
        mem16(&[], 0xAE, 0, 0x200),
        vec![0x0F, 0x77],
        mem16(&[], 0xAE, 0, 0x400),
    ]);
    let (cpu, ram) = run_code(&code, |_, r| {
        put(r, 0x100, &0x0001_0002_0003_FFFFu64.to_le_bytes());
        put(r, 0x108, &0x0001_0001_0001_0001u64.to_le_bytes());
    });
    assert_eq!(vector(&ram), None);
    // After the MMX instructions: TOP = 0, all tags valid (abridged FFh).
    let sw = u16::from_le_bytes([ram.0[0x202], ram.0[0x203]]);
    assert_eq!((sw >> 11) & 7, 0);
    assert_eq!(ram.0[0x204], 0xFF);
    // MM3 = R3: significand the value, sign and exponent all ones.
    let r3 = 0x200 + 32 + 16 * 3;
    assert_eq!(get64(&ram, r3), 0x0002_0003_0004_0000);
    assert_eq!(u16::from_le_bytes([ram.0[r3 + 8], ram.0[r3 + 9]]), 0xFFFF);
    // FLD1 pushed into R7, which keeps 1.0.
    let r7 = 0x200 + 32 + 16 * 7;
    assert_eq!(get64(&ram, r7), 1 << 63);
    // EMMS: all empty.
    assert_eq!(ram.0[0x404], 0);
    assert_eq!(cpu.mm(3), 0x0002_0003_0004_0000);
}

#[test]
fn e2e_mmx_reports_a_pending_x87_exception() {
    // fninit; fldcw [100h] (ZE unmasked); fldz; fld1; fdiv st0,st1; paddb mm0,mm1
    let code = cat(&[
        vec![
            0xDB, 0xE3, 0xD9, 0x2E, 0x00, 0x01, 0xD9, 0xEE, 0xD9, 0xE8, 0xD8, 0xF1,
        ],
        rr(&[], 0xFC, 0, 1),
    ]);
    let (cpu, ram) = run_code(&code, |_, r| put(r, 0x100, &0x037Bu16.to_le_bytes()));
    assert_eq!(vector(&ram), Some(16));
    // The MMX instruction did not run: TOP still 6.
    assert_eq!(cpu.fpu.top, 6);
}

#[test]
fn e2e_fxsave_fxrstor_xmm_and_mxcsr() {
    // ldmxcsr [100h]; movups xmm5,[110h]; fxsave [200h]; xorps xmm5,xmm5;
    // ldmxcsr [104h]; fxrstor [200h]; movups [400h],xmm5; stmxcsr [410h]
    let code = cat(&[
        ldmxcsr(0x100),
        movups_load(5, 0x110),
        mem16(&[], 0xAE, 0, 0x200),
        rr(&[], 0x57, 5, 5),
        ldmxcsr(0x104),
        mem16(&[], 0xAE, 1, 0x200),
        movups_store(5, 0x400),
        stmxcsr(0x410),
    ]);
    let x = 0x0123_4567_89AB_CDEF_FEDC_BA98_7654_3210u128;
    let (_, ram) = run_code(&code, |_, r| {
        put(r, 0x100, &0xFFC0u32.to_le_bytes());
        put(r, 0x104, &0x1F80u32.to_le_bytes());
        put(r, 0x110, &x.to_le_bytes());
    });
    assert_eq!(vector(&ram), None);
    assert_eq!(get32(&ram, 0x200 + 24), 0xFFC0);
    assert_eq!(get32(&ram, 0x200 + 28), 0xFFFF);
    assert_eq!(get128(&ram, 0x200 + 160 + 16 * 5), x);
    assert_eq!(get128(&ram, 0x400), x);
    assert_eq!(get32(&ram, 0x410), 0xFFC0);
    // FXRSTOR of reserved MXCSR bits: #GP.
    let (_, ram) = run_code(&mem16(&[], 0xAE, 1, 0x200), |_, r| {
        put(r, 0x200 + 24, &0x2_0000u32.to_le_bytes())
    });
    assert_eq!(vector(&ram), Some(13));
}

#[test]
fn e2e_integer_xmm_and_moves() {
    // movdqa xmm1,[100h]; pshufd xmm2,xmm1,1Bh; pmovmskb eax,xmm1;
    // pextrw ecx,xmm1,7; pinsrw xmm2,ecx,0; movq xmm3,xmm1; movhlps xmm4,xmm1
    // movdqu [200h],xmm2; movdqu [210h],xmm3; movdqu [220h],xmm4;
    // mov [230h],eax; mov [234h],ecx; cvtsi2sd xmm5,ecx; movsd [240h],xmm5
    let code = cat(&[
        mem16(&[0x66], 0x6F, 1, 0x100),
        vec![0x66, 0x0F, 0x70, 0xD1, 0x1B],
        rr(&[0x66], 0xD7, 0, 1),
        vec![0x66, 0x0F, 0xC5, 0xC9, 0x07],
        vec![0x66, 0x0F, 0xC4, 0xD1, 0x00],
        rr(&[0xF3], 0x7E, 3, 1),
        rr(&[], 0x12, 4, 1),
        mem16(&[0xF3], 0x7F, 2, 0x200),
        mem16(&[0xF3], 0x7F, 3, 0x210),
        mem16(&[0xF3], 0x7F, 4, 0x220),
        vec![0x66, 0xA3, 0x30, 0x02],
        vec![0x66, 0x89, 0x0E, 0x34, 0x02],
        rr(&[0xF2], 0x2A, 5, 1),
        mem16(&[0xF2], 0x11, 5, 0x240),
    ]);
    let x = 0x8001_7002_6003_5004_4005_3006_2007_1008u128;
    let (_, ram) = run_code(&code, |_, r| put(r, 0x100, &x.to_le_bytes()));
    assert_eq!(vector(&ram), None);
    assert_eq!(
        get128(&ram, 0x200),
        0x2007_1008_4005_3006_6003_5004_8001_8001
    );
    assert_eq!(get128(&ram, 0x210), 0x4005_3006_2007_1008);
    assert_eq!(get64(&ram, 0x220), 0x8001_7002_6003_5004);
    assert_eq!(get32(&ram, 0x230), 0b1000_0000_0000_0000);
    assert_eq!(get32(&ram, 0x234), 0x8001);
    assert_eq!(get64(&ram, 0x240), 0x40E0_0020_0000_0000); // 32769.0
}

#[test]
fn e2e_comiss_sets_eflags() {
    use crate::flags::{FLAG_CF, FLAG_PF, FLAG_ZF};
    for (a, b, want) in [
        (0x3F80_0000u32, 0x4000_0000u32, FLAG_CF),
        (0x4000_0000, 0x3F80_0000, 0),
        (0x8000_0000, 0, FLAG_ZF),
        (0x7FC0_0000, 0, FLAG_ZF | FLAG_PF | FLAG_CF),
    ] {
        // movss xmm0,[100h]; ucomiss xmm0,[104h]
        let code = cat(&[mem16(&[0xF3], 0x10, 0, 0x100), mem16(&[], 0x2E, 0, 0x104)]);
        let (cpu, ram) = run_code(&code, |_, r| {
            put(r, 0x100, &a.to_le_bytes());
            put(r, 0x104, &b.to_le_bytes());
        });
        assert_eq!(vector(&ram), None);
        assert_eq!(
            cpu.eflags() & (FLAG_CF | FLAG_PF | FLAG_ZF),
            want,
            "{a:x} {b:x}"
        );
    }
}

#[test]
fn e2e_faulting_store_leaves_memory() {
    // movups [0FFF8h], xmm0 crosses the 64 KiB segment limit: #GP, nothing written.
    let code = cat(&[movups_load(0, 0x100), movups_store(0, 0xFFF8)]);
    let (_, ram) = run_code(&code, |_, r| put(r, 0x100, &[0xAB; 16]));
    assert_eq!(vector(&ram), Some(13));
    assert_eq!(get64(&ram, 0xFFF8), 0);
}

#[test]
fn e2e_maskmovq_and_mmx_moves() {
    // movq mm0,[100h]; movq mm1,[108h]; mov di,200h; maskmovq mm0,mm1;
    // movd eax,mm0; psrlq mm0,20h; movd [210h],mm0; emms
    let code = cat(&[
        movq_mm_load(0, 0x100),
        movq_mm_load(1, 0x108),
        vec![0xBF, 0x00, 0x02],
        rr(&[], 0xF7, 0, 1),
        rr(&[], 0x7E, 0, 0),
        vec![0x0F, 0x73, 0xD0, 0x20],
        mem16(&[], 0x7E, 0, 0x210),
        vec![0x66, 0xA3, 0x20, 0x02],
        vec![0x0F, 0x77],
    ]);
    let (_, ram) = run_code(&code, |_, r| {
        put(r, 0x100, &0x1122_3344_5566_7788u64.to_le_bytes());
        put(r, 0x108, &0x8000_0080_0080_8000u64.to_le_bytes());
        put(r, 0x200, &[0xEE; 8]);
    });
    assert_eq!(vector(&ram), None);
    assert_eq!(get64(&ram, 0x200), 0x11EE_EE44_EE66_77EE);
    assert_eq!(get32(&ram, 0x210), 0x1122_3344);
    assert_eq!(get32(&ram, 0x220), 0x5566_7788);
}

// ---------------------------------------------------------------------------
// Host vectors

/// Encoding of a vector's operation on xmm0, xmm1 (ECX/EAX for the
/// integer forms).
fn vector_insn(op: &str, mem: bool) -> Option<Vec<u8>> {
    let (p, opc, imm): (&[u8], u8, Option<u8>) = match op {
        "addss" => (&[0xF3], 0x58, None),
        "subss" => (&[0xF3], 0x5C, None),
        "mulss" => (&[0xF3], 0x59, None),
        "divss" => (&[0xF3], 0x5E, None),
        "minss" => (&[0xF3], 0x5D, None),
        "maxss" => (&[0xF3], 0x5F, None),
        "sqrtss" => (&[0xF3], 0x51, None),
        "addsd" => (&[0xF2], 0x58, None),
        "subsd" => (&[0xF2], 0x5C, None),
        "mulsd" => (&[0xF2], 0x59, None),
        "divsd" => (&[0xF2], 0x5E, None),
        "minsd" => (&[0xF2], 0x5D, None),
        "maxsd" => (&[0xF2], 0x5F, None),
        "sqrtsd" => (&[0xF2], 0x51, None),
        "addps" => (&[], 0x58, None),
        "mulps" => (&[], 0x59, None),
        "divps" => (&[], 0x5E, None),
        "maxps" => (&[], 0x5F, None),
        "subpd" => (&[0x66], 0x5C, None),
        "mulpd" => (&[0x66], 0x59, None),
        "sqrtpd" => (&[0x66], 0x51, None),
        "minpd" => (&[0x66], 0x5D, None),
        "cmpsd1" => (&[0xF2], 0xC2, Some(1)),
        "cmpsd4" => (&[0xF2], 0xC2, Some(4)),
        "cmppd2" => (&[0x66], 0xC2, Some(2)),
        "cmpps6" => (&[], 0xC2, Some(6)),
        "cvtss2sd" => (&[0xF3], 0x5A, None),
        "cvtsd2ss" => (&[0xF2], 0x5A, None),
        "cvtps2pd" => (&[], 0x5A, None),
        "cvtpd2ps" => (&[0x66], 0x5A, None),
        "cvtdq2ps" => (&[], 0x5B, None),
        "cvtps2dq" => (&[0x66], 0x5B, None),
        "cvttps2dq" => (&[0xF3], 0x5B, None),
        "cvtdq2pd" => (&[0xF3], 0xE6, None),
        "cvtpd2dq" => (&[0xF2], 0xE6, None),
        "cvttpd2dq" => (&[0x66], 0xE6, None),
        "comiss" => (&[], 0x2F, None),
        "ucomiss" => (&[], 0x2E, None),
        "comisd" => (&[0x66], 0x2F, None),
        "ucomisd" => (&[0x66], 0x2E, None),
        "cvtss2si" => (&[0xF3], 0x2D, None),
        "cvttss2si" => (&[0xF3], 0x2C, None),
        "cvtsd2si" => (&[0xF2], 0x2D, None),
        "cvttsd2si" => (&[0xF2], 0x2C, None),
        "cvtsi2ss" => (&[0xF3], 0x2A, None),
        "cvtsi2sd" => (&[0xF2], 0x2A, None),
        _ => {
            let n = op.strip_prefix("cmpss")?.parse::<u8>().ok()?;
            (&[0xF3], 0xC2, Some(n))
        }
    };
    let mut v = if mem {
        mem16(p, opc, 0, 0x110)
    } else {
        rr(p, opc, 0, 1)
    };
    v.extend(imm);
    Some(v)
}

/// Runs one line of `sse_vectors.txt` and formats the result the same way.
/// With `mem`, the source operand is the memory copy of xmm1 (or ECX).
fn run_vector(line: &str, mem: bool) -> Option<String> {
    let t: Vec<&str> = line.split_whitespace().collect();
    if t.len() < 6 || t[4] != "->" {
        return None;
    }
    let op = t[0];
    let mx = u32::from_str_radix(t[1], 16).ok()?;
    let a = u128::from_str_radix(t[2], 16).ok()?;
    let b = u128::from_str_radix(t[3], 16).ok()?;
    let insn = vector_insn(op, mem)?;
    let code = cat(&[
        movups_load(0, 0x100),
        movups_load(1, 0x110),
        vec![0x66, 0x8B, 0x0E, 0x10, 0x01], // mov ecx,[110h]
        vec![0x66, 0xB8, 0x78, 0x56, 0x34, 0x12],
        ldmxcsr(0x120),
        insn,
        stmxcsr(0x124),
        movups_store(0, 0x130),
        vec![0x66, 0xA3, 0x40, 0x01],                   // mov [140h],eax
        vec![0x66, 0x9C, 0x66, 0x8F, 0x06, 0x44, 0x01], // pushfd; pop dword [144h]
    ]);
    let (cpu, ram) = run_code(&code, |_, ram| {
        put(ram, 0x100, &a.to_le_bytes());
        put(ram, 0x110, &b.to_le_bytes());
        put(ram, 0x120, &mx.to_le_bytes());
    });
    let head = format!("{} {} {} {} ->", t[0], t[1], t[2], t[3]);
    match vector(&ram) {
        Some(19) => {
            if cpu.xmm(0) != a {
                return Some(format!("{head} FAULT but xmm0 changed"));
            }
            return Some(format!("{head} FAULT {:04x}", cpu.mxcsr()));
        }
        Some(v) => return Some(format!("{head} vector {v}")),
        None => {}
    }
    let m = get32(&ram, 0x124);
    Some(match op {
        "comiss" | "ucomiss" | "comisd" | "ucomisd" => {
            format!("{head} {:08x} {m:04x}", get32(&ram, 0x144) & 0x8D5)
        }
        "cvtss2si" | "cvttss2si" | "cvtsd2si" | "cvttsd2si" => {
            format!("{head} {:08x} {m:04x}", get32(&ram, 0x140))
        }
        _ => format!("{head} {:032x} {m:04x}", get128(&ram, 0x130)),
    })
}

fn check_vectors(text: &str) -> (usize, Vec<String>) {
    let mut bad = Vec::new();
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        n += 1;
        for mem in [false, true] {
            match run_vector(line, mem) {
                Some(got) if got == line.trim() => {}
                Some(got) => bad.push(format!("want {line}\n got {got} (memory source: {mem})")),
                None => bad.push(format!("unparsed {line}")),
            }
        }
    }
    (n, bad)
}

/// SSE/SSE2 results recorded on a host processor (see `sse_vectors.txt`).
#[test]
fn hardware_vectors() {
    let (n, bad) = check_vectors(include_str!("sse_vectors.txt"));
    assert!(n > 1000);
    assert!(
        bad.is_empty(),
        "{} of {n} vectors differ:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
}

/// Developer check against a freshly generated file:
/// `SSE_VECTORS=/path cargo test -p oxbox-cpu sse_dev -- --ignored --nocapture`.
#[test]
#[ignore]
fn sse_dev_vectors() {
    dev_check("SSE_VECTORS", check_vectors);
}

/// Checks the vector file named by environment variable `var` (if set)
/// with `check`, printing the first differences.
fn dev_check(var: &str, check: fn(&str) -> (usize, Vec<String>)) {
    let Ok(path) = std::env::var(var) else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let (n, bad) = check(&text);
    for b in bad.iter().take(60) {
        println!("{b}");
    }
    println!("{} of {n} differ", bad.len());
    assert!(bad.is_empty());
}

/// Encoding of an operation of `simd_int_vectors.txt` (destination
/// register 0, source register 1) and whether its destination and source
/// are MMX registers.
/// `mem`: the memory form (source at [110h]); `None` where there is none.
fn int_vector_insn(name: &str, mem: bool) -> Option<(Vec<u8>, bool, bool)> {
    let (class, rest) = match name.split_once('.') {
        Some(("x", r)) => ('x', r),
        Some(("m", r)) => ('m', r),
        _ => ('c', name),
    };
    let (op, imm) = match rest.split_once('.') {
        Some((o, i)) => (o, Some(u8::from_str_radix(i, 16).ok()?)),
        None => (rest, None),
    };
    let p: &[u8] = if class == 'x' { &[0x66] } else { &[] };
    let rm = |p: &[u8], opc: u8| {
        if mem {
            mem16(p, opc, 0, 0x110)
        } else {
            rr(p, opc, 0, 1)
        }
    };
    let regop = |opc: u8| Some(rm(p, opc));
    // Forms whose memory variant reads the same bits from [110h].
    let no_mem_form = matches!(
        op,
        "movhlps"
            | "movlhps"
            | "movss"
            | "movsd"
            | "movq"
            | "movq2dq"
            | "movdq2q"
            | "pinsrw"
            | "pextrw"
            | "pmovmskb"
            | "movmskps"
            | "movmskpd"
    );
    let shuffle = matches!(
        op,
        "pshufd" | "pshufhw" | "pshuflw" | "pshufw" | "shufps" | "shufpd"
    );
    let simple = !no_mem_form && (imm.is_none() || shuffle);
    if mem && !simple {
        return None;
    }
    let code = match (class, op, imm) {
        ('c', "cvtpi2ps", _) => return Some((rm(&[], 0x2A), false, true)),
        ('c', "cvtpi2pd", _) => return Some((rm(&[0x66], 0x2A), false, true)),
        ('c', "movq2dq", _) => return Some((rr(&[0xF3], 0xD6, 0, 1), false, true)),
        ('c', "cvtps2pi", _) => return Some((rm(&[], 0x2D), true, false)),
        ('c', "cvttps2pi", _) => return Some((rm(&[], 0x2C), true, false)),
        ('c', "cvtpd2pi", _) => return Some((rm(&[0x66], 0x2D), true, false)),
        ('c', "cvttpd2pi", _) => return Some((rm(&[0x66], 0x2C), true, false)),
        ('c', "movdq2q", _) => return Some((rr(&[0xF2], 0xD6, 0, 1), true, false)),
        (_, "psrlw" | "psraw" | "psllw", Some(i)) => {
            let ext = match op {
                "psrlw" => 2,
                "psraw" => 4,
                _ => 6,
            };
            let mut v = rr(p, 0x71, ext, 0);
            v.push(i);
            Some(v)
        }
        (_, "psrld" | "psrad" | "pslld", Some(i)) => {
            let ext = match op {
                "psrld" => 2,
                "psrad" => 4,
                _ => 6,
            };
            let mut v = rr(p, 0x72, ext, 0);
            v.push(i);
            Some(v)
        }
        (_, "psrlq" | "psllq" | "psrldq" | "pslldq", Some(i)) => {
            let ext = match op {
                "psrlq" => 2,
                "psrldq" => 3,
                "psllq" => 6,
                _ => 7,
            };
            let mut v = rr(p, 0x73, ext, 0);
            v.push(i);
            Some(v)
        }
        (_, "pshufd" | "pshufhw" | "pshuflw" | "pshufw" | "shufps" | "shufpd", Some(i)) => {
            let (pp, opc): (&[u8], u8) = match op {
                "pshufd" => (&[0x66], 0x70),
                "pshufhw" => (&[0xF3], 0x70),
                "pshuflw" => (&[0xF2], 0x70),
                "pshufw" => (&[], 0x70),
                "shufps" => (&[], 0xC6),
                _ => (&[0x66], 0xC6),
            };
            let mut v = rm(pp, opc);
            v.push(i);
            Some(v)
        }
        (_, "pinsrw", Some(i)) => {
            // movd eax, r1 ; pinsrw r0, eax, i
            let mut v = rr(p, 0x7E, 1, 0);
            v.extend(rr(p, 0xC4, 0, 0));
            v.push(i);
            Some(v)
        }
        (_, "pextrw", Some(i)) => {
            // pextrw eax, r1, i ; movd r0, eax
            let mut v = rr(p, 0xC5, 0, 1);
            v.push(i);
            v.extend(rr(p, 0x6E, 0, 0));
            Some(v)
        }
        (_, "pmovmskb" | "movmskps" | "movmskpd", None) => {
            let mut v = match op {
                "pmovmskb" => rr(p, 0xD7, 0, 1),
                "movmskps" => rr(&[], 0x50, 0, 1),
                _ => rr(&[0x66], 0x50, 0, 1),
            };
            v.extend(rr(p, 0x6E, 0, 0));
            Some(v)
        }
        ('x', "unpcklps", _) => Some(rm(&[], 0x14)),
        ('x', "unpckhps", _) => Some(rm(&[], 0x15)),
        ('x', "unpcklpd", _) => regop(0x14),
        ('x', "unpckhpd", _) => regop(0x15),
        ('x', "andnps", _) => Some(rm(&[], 0x55)),
        ('x', "orpd", _) => regop(0x56),
        ('x', "movhlps", _) => Some(rr(&[], 0x12, 0, 1)),
        ('x', "movlhps", _) => Some(rr(&[], 0x16, 0, 1)),
        ('x', "movss", _) => Some(rr(&[0xF3], 0x10, 0, 1)),
        ('x', "movsd", _) => Some(rr(&[0xF2], 0x10, 0, 1)),
        ('x', "movq", _) => Some(rr(&[0xF3], 0x7E, 0, 1)),
        (_, _, None) => regop(match op {
            "paddb" => 0xFC,
            "paddw" => 0xFD,
            "paddd" => 0xFE,
            "paddq" => 0xD4,
            "psubb" => 0xF8,
            "psubw" => 0xF9,
            "psubd" => 0xFA,
            "psubq" => 0xFB,
            "paddsb" => 0xEC,
            "paddsw" => 0xED,
            "paddusb" => 0xDC,
            "paddusw" => 0xDD,
            "psubsb" => 0xE8,
            "psubsw" => 0xE9,
            "psubusb" => 0xD8,
            "psubusw" => 0xD9,
            "pcmpeqb" => 0x74,
            "pcmpeqw" => 0x75,
            "pcmpeqd" => 0x76,
            "pcmpgtb" => 0x64,
            "pcmpgtw" => 0x65,
            "pcmpgtd" => 0x66,
            "pand" => 0xDB,
            "pandn" => 0xDF,
            "por" => 0xEB,
            "pxor" => 0xEF,
            "pmullw" => 0xD5,
            "pmulhw" => 0xE5,
            "pmulhuw" => 0xE4,
            "pmaddwd" => 0xF5,
            "pmuludq" => 0xF4,
            "pavgb" => 0xE0,
            "pavgw" => 0xE3,
            "pminub" => 0xDA,
            "pmaxub" => 0xDE,
            "pminsw" => 0xEA,
            "pmaxsw" => 0xEE,
            "psadbw" => 0xF6,
            "packsswb" => 0x63,
            "packssdw" => 0x6B,
            "packuswb" => 0x67,
            "punpcklbw" => 0x60,
            "punpcklwd" => 0x61,
            "punpckldq" => 0x62,
            "punpcklqdq" => 0x6C,
            "punpckhbw" => 0x68,
            "punpckhwd" => 0x69,
            "punpckhdq" => 0x6A,
            "punpckhqdq" => 0x6D,
            "psrlw" => 0xD1,
            "psrld" => 0xD2,
            "psrlq" => 0xD3,
            "psraw" => 0xE1,
            "psrad" => 0xE2,
            "psllw" => 0xF1,
            "pslld" => 0xF2,
            "psllq" => 0xF3,
            _ => return None,
        }),
        _ => None,
    }?;
    Some((code, class == 'm', class == 'm'))
}

fn run_int_vector(line: &str, mem: bool) -> Option<String> {
    let t: Vec<&str> = line.split_whitespace().collect();
    if t.len() < 6 || t[4] != "->" {
        return None;
    }
    let mx = u32::from_str_radix(t[1], 16).ok()?;
    let a = u128::from_str_radix(t[2], 16).ok()?;
    let b = u128::from_str_radix(t[3], 16).ok()?;
    let Some((insn, mm_dst, mm_src)) = int_vector_insn(t[0], mem) else {
        // No memory form: report the line itself.
        return if mem {
            Some(line.trim().to_string())
        } else {
            None
        };
    };
    let code = cat(&[
        if mm_dst {
            movq_mm_load(0, 0x100)
        } else {
            movups_load(0, 0x100)
        },
        if mm_src {
            movq_mm_load(1, 0x110)
        } else {
            movups_load(1, 0x110)
        },
        ldmxcsr(0x120),
        insn,
        stmxcsr(0x124),
        if mm_dst {
            mem16(&[], 0x7F, 0, 0x130)
        } else {
            movups_store(0, 0x130)
        },
        vec![0x0F, 0x77],
    ]);
    let (_, ram) = run_code(&code, |_, ram| {
        put(ram, 0x100, &a.to_le_bytes());
        put(ram, 0x110, &b.to_le_bytes());
        put(ram, 0x120, &mx.to_le_bytes());
    });
    let head = format!("{} {} {} {} ->", t[0], t[1], t[2], t[3]);
    if let Some(v) = vector(&ram) {
        return Some(format!("{head} vector {v}"));
    }
    Some(format!(
        "{head} {:032x} {:04x}",
        get128(&ram, 0x130),
        get32(&ram, 0x124)
    ))
}

fn check_int_vectors(text: &str) -> (usize, Vec<String>) {
    let mut bad = Vec::new();
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        n += 1;
        for mem in [false, true] {
            match run_int_vector(line, mem) {
                Some(got) if got == line.trim() => {}
                Some(got) => bad.push(format!("want {line}\n got {got} (memory source: {mem})")),
                None => bad.push(format!("unparsed {line}")),
            }
        }
    }
    (n, bad)
}

/// MMX/SSE2 integer, shuffle and MMX-conversion results recorded on a host
/// processor (see `simd_int_vectors.txt`).
#[test]
fn hardware_int_vectors() {
    let (n, bad) = check_int_vectors(include_str!("simd_int_vectors.txt"));
    assert!(n > 1000);
    assert!(
        bad.is_empty(),
        "{} of {n} vectors differ:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
}

/// `SIMD_INT_VECTORS=/path cargo test -p oxbox-cpu simd_int_dev -- --ignored --nocapture`.
#[test]
#[ignore]
fn simd_int_dev_vectors() {
    dev_check("SIMD_INT_VECTORS", check_int_vectors);
}

// ---------------------------------------------------------------------------
// Decode coverage and robustness

/// Every encoding of an MMX/SSE/SSE2/CLFSH instruction (all prefixes,
/// opcodes and ModR/M bytes after 0F) gets a handler, and every such iced
/// `Code` that 32-bit code can encode is reached.
#[test]
fn every_simd_encoding_has_a_handler() {
    use iced_x86::{Code, CpuidFeature, Decoder, DecoderOptions};
    use std::collections::BTreeSet;
    let mut seen = BTreeSet::new();
    let mut missing = BTreeSet::new();
    for prefix in [&[][..], &[0x66], &[0xF2], &[0xF3]] {
        for opc in 0..=255u8 {
            for modrm in 0..=255u8 {
                let mut bytes = prefix.to_vec();
                bytes.extend([0x0F, opc, modrm, 0x00, 0x01, 0x00, 0x00, 0x05, 0x05, 0x05]);
                let mut dec = Decoder::new(32, &bytes, DecoderOptions::NONE);
                let i = dec.decode();
                if i.is_invalid() || !super::handles(&i) {
                    continue;
                }
                seen.insert(i.code());
                let mut op = crate::op::Op::<Ram> {
                    exec: crate::system::ud::<Ram>,
                    disp: 0,
                    imm: 0,
                    imm2: 0,
                    amask: u32::MAX,
                    r0: 0,
                    r1: 0,
                    base: 0,
                    index: 0,
                    scale: 0,
                    seg: 3,
                    len: 0,
                    aux: 0,
                    code: i.code(),
                };
                if super::pick::<Ram>(&i, &mut op).is_none() {
                    missing.insert(format!("{:?}", i.code()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "no handler: {missing:?}");
    let unreached: Vec<String> = Code::values()
        .filter(|c| {
            c.cpuid_features().iter().any(|f| {
                matches!(
                    f,
                    CpuidFeature::MMX
                        | CpuidFeature::SSE
                        | CpuidFeature::SSE2
                        | CpuidFeature::CLFSH
                )
            })
        })
        .filter(|c| !seen.contains(c))
        .map(|c| format!("{c:?}"))
        .collect();
    // Only the 64-bit-mode forms (REX.W) are out of reach of 32-bit code.
    assert!(
        unreached
            .iter()
            .all(|c| c.contains("r64") || c.contains("rm64")),
        "{unreached:?}"
    );
    assert!(seen.len() > 250, "{}", seen.len());
}

/// Random SIMD instructions with random operands, control registers and
/// MXCSR never panic the host.
#[test]
fn robustness_random_simd_streams() {
    let mut s = 0x1234_5678_9ABC_DEF1u64;
    let mut rnd = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    for _ in 0..3000 {
        let mut code = Vec::new();
        for _ in 0..12 {
            match rnd() % 5 {
                0 => code.push(0x66),
                1 => code.push([0xF2, 0xF3][(rnd() % 2) as usize]),
                _ => {}
            }
            code.push(0x0F);
            code.push(rnd() as u8);
            code.push(rnd() as u8);
            for _ in 0..(rnd() % 4) {
                code.push(rnd() as u8);
            }
        }
        let mx = (rnd() as u32) & 0xFFFF;
        let (cr0x, cr4x) = (rnd(), rnd());
        let regs: Vec<u64> = (0..32).map(|_| rnd()).collect();
        let mut c = code.clone();
        c.push(0xF4);
        let (mut cpu, mut ram) = machine(&c);
        cpu.fpu.sse.mxcsr = mx;
        for k in 0..8 {
            cpu.fpu.sse.xmm[k] = (regs[k] as u128) << 64 | regs[k + 8] as u128;
            cpu.fpu.regs[k].sig = regs[k + 16];
            cpu.set_gpr(k, regs[k + 24] as u32 & 0xFFF);
        }
        if cr0x % 7 == 0 {
            cpu.cr0 |= CR0_TS;
        }
        if cr4x % 5 == 0 {
            cpu.cr4 &= !super::CR4_OSXMMEXCPT;
        }
        for (k, b) in ram.0[..0x1000].iter_mut().enumerate() {
            *b = (k as u8).wrapping_mul(37) ^ (mx as u8);
        }
        ram.0[VEC_AT] = 0xFF;
        cpu.run(&mut ram, 200);
    }
}

#[test]
fn e2e_partial_moves_and_memory_forms() {
    // movups xmm0,[100h]; movlps xmm0,[110h]; movups [200h],xmm0
    // movups xmm1,[100h]; movhpd xmm1,[118h]; movups [210h],xmm1
    // movss xmm2,[120h] (zero-extends); movups [220h],xmm2
    // movsd xmm3,[100h]; movsd [230h],xmm0 (8 bytes only)
    // pinsrw xmm3,[124h],3; movups [240h],xmm3; movhps [250h],xmm1; movnti [258h],ecx
    // mov di,260h; maskmovdqu xmm0,xmm2
    let code = cat(&[
        movups_load(0, 0x100),
        mem16(&[], 0x12, 0, 0x110),
        movups_store(0, 0x200),
        movups_load(1, 0x100),
        mem16(&[0x66], 0x16, 1, 0x118),
        movups_store(1, 0x210),
        mem16(&[0xF3], 0x10, 2, 0x120),
        movups_store(2, 0x220),
        mem16(&[0xF2], 0x10, 3, 0x100),
        mem16(&[0xF2], 0x11, 0, 0x230),
        mem16(&[0x66], 0xC4, 3, 0x124),
        vec![0x03],
        movups_store(3, 0x240),
        mem16(&[], 0x17, 1, 0x250),
        vec![0x66, 0xB9, 0x44, 0x33, 0x22, 0x11], // mov ecx,11223344h
        mem16(&[], 0xC3, 1, 0x258),
        vec![0xBF, 0x60, 0x02],
        rr(&[0x66], 0xF7, 0, 2),
    ]);
    let x = 0x0F0E_0D0C_0B0A_0908_0706_0504_0302_0100u128;
    let (_, ram) = run_code(&code, |_, r| {
        put(r, 0x100, &x.to_le_bytes());
        put(r, 0x110, &0xAAAA_AAAA_AAAA_AAAAu64.to_le_bytes());
        put(r, 0x118, &0xBBBB_BBBB_BBBB_BBBBu64.to_le_bytes());
        put(r, 0x120, &0x8000_00FFu32.to_le_bytes());
        put(r, 0x124, &0x5A5Au16.to_le_bytes());
        put(r, 0x230, &[0xCC; 16]);
        put(r, 0x260, &[0xDD; 16]);
    });
    assert_eq!(vector(&ram), None);
    assert_eq!(
        get128(&ram, 0x200),
        0x0F0E_0D0C_0B0A_0908_AAAA_AAAA_AAAA_AAAA
    );
    assert_eq!(
        get128(&ram, 0x210),
        0xBBBB_BBBB_BBBB_BBBB_0706_0504_0302_0100
    );
    assert_eq!(get128(&ram, 0x220), 0x8000_00FF);
    assert_eq!(
        get128(&ram, 0x230),
        0xCCCC_CCCC_CCCC_CCCC_AAAA_AAAA_AAAA_AAAA
    );
    assert_eq!(get128(&ram, 0x240), 0x5A5A_0504_0302_0100);
    assert_eq!(get64(&ram, 0x250), 0xBBBB_BBBB_BBBB_BBBB);
    assert_eq!(get32(&ram, 0x258), 0x1122_3344);
    // Mask xmm2 = 800000FFh: bytes 0 (FFh) and 3 (80h) of xmm0 are stored.
    assert_eq!(
        get128(&ram, 0x260),
        0xDDDD_DDDD_DDDD_DDDD_DDDD_DDDD_AADD_DDAA
    );
}

#[test]
fn e2e_cvtpi2ps_memory_form_keeps_the_x87_stack() {
    // fninit; fld1 (TOP=7); cvtpi2ps xmm0,[100h]; fnstsw [200h];
    // cvtpi2ps xmm1,mm2; fnstsw [202h]; movups [210h],xmm0
    let code = cat(&[
        vec![0xDB, 0xE3, 0xD9, 0xE8],
        mem16(&[], 0x2A, 0, 0x100),
        vec![0xDD, 0x3E, 0x00, 0x02],
        rr(&[], 0x2A, 1, 2),
        vec![0xDD, 0x3E, 0x02, 0x02],
        movups_store(0, 0x210),
    ]);
    let (_, ram) = run_code(&code, |_, r| {
        put(r, 0x100, &0xFFFF_FFFF_0000_0003u64.to_le_bytes())
    });
    assert_eq!(vector(&ram), None);
    let top = |at: usize| (u16::from_le_bytes([ram.0[at], ram.0[at + 1]]) >> 11) & 7;
    assert_eq!(top(0x200), 7);
    assert_eq!(top(0x202), 0);
    assert_eq!(get64(&ram, 0x210), 0xBF80_0000_4040_0000); // -1.0, 3.0
}

#[test]
fn e2e_mmx_with_ne_clear_asserts_ferr_and_proceeds() {
    // fninit; fldcw [100h]; fldz; fld1; fdiv st0,st1; movq mm0,[108h]; movq [110h],mm0
    let code = cat(&[
        vec![
            0xDB, 0xE3, 0xD9, 0x2E, 0x00, 0x01, 0xD9, 0xEE, 0xD9, 0xE8, 0xD8, 0xF1,
        ],
        movq_mm_load(0, 0x108),
        mem16(&[], 0x7F, 0, 0x110),
    ]);
    let (cpu, ram) = run_code(&code, |c, r| {
        c.cr0 &= !CR0_NE;
        put(r, 0x100, &0x037Bu16.to_le_bytes());
        put(r, 0x108, &0x1234u64.to_le_bytes());
    });
    assert_eq!(vector(&ram), None);
    assert!(cpu.ferr());
    assert_eq!(get64(&ram, 0x110), 0x1234);
}

#[test]
fn e2e_hints_fences_clflush_and_mxcsr_access() {
    // With CR0.TS set: prefetchnta [100h]; sfence; lfence; mfence; clflush [100h]: no fault.
    let code = cat(&[
        mem16(&[], 0x18, 0, 0x100),
        vec![0x0F, 0xAE, 0xF8, 0x0F, 0xAE, 0xE8, 0x0F, 0xAE, 0xF0],
        mem16(&[], 0xAE, 7, 0x100),
    ]);
    let (_, ram) = run_code(&code, |c, _| c.cr0 |= CR0_TS);
    assert_eq!(vector(&ram), None);
    // STMXCSR under TS: #NM; without OSFXSR: #UD.
    let (_, ram) = run_code(&stmxcsr(0x100), |c, _| c.cr0 |= CR0_TS);
    assert_eq!(vector(&ram), Some(7));
    let (_, ram) = run_code(&stmxcsr(0x100), |c, _| c.cr4 &= !CR4_OSFXSR);
    assert_eq!(vector(&ram), Some(6));
    let (_, ram) = run_code(&stmxcsr(0x100), |_, _| {});
    assert_eq!(get32(&ram, 0x100), 0x1F80);
    // Aligned stores: MOVAPS and MOVNTPS to an odd address #GP.
    let (_, ram) = run_code(&mem16(&[], 0x29, 0, 0x104), |_, _| {});
    assert_eq!(vector(&ram), Some(13));
    let (_, ram) = run_code(&mem16(&[], 0x2B, 0, 0x104), |_, _| {});
    assert_eq!(vector(&ram), Some(13));
    // Scalar operands need no alignment.
    let (_, ram) = run_code(&mem16(&[0xF2], 0x58, 0, 0x103), |_, _| {});
    assert_eq!(vector(&ram), None);
}

#[test]
fn snapshot_keeps_xmm_and_mxcsr() {
    let (mut cpu, _) = machine(&[0xF4]);
    cpu.set_xmm(6, 0x1234_5678_9ABC_DEF0_1111_2222_3333_4444);
    cpu.fpu.sse.mxcsr = 0x9FC0;
    let s = cpu.save_state();
    cpu.set_xmm(6, 0);
    cpu.fpu.sse.mxcsr = 0x1F80;
    cpu.restore_state(&s);
    assert_eq!(cpu.xmm(6), 0x1234_5678_9ABC_DEF0_1111_2222_3333_4444);
    assert_eq!(cpu.mxcsr(), 0x9FC0);
    cpu.reset();
    assert_eq!((cpu.xmm(6), cpu.mxcsr()), (0, 0x1F80));
}

/// Speed of the soft-float kernels and of instruction loops:
/// `cargo test --release -p oxbox-cpu simd_bench -- --ignored --nocapture`.
#[test]
#[ignore]
fn simd_bench() {
    use std::hint::black_box;
    use std::time::Instant;
    let v32: Vec<u64> = (0..64u64)
        .map(|i| 0x3F00_0000 + (i.wrapping_mul(0x9E37_79B9) & 0x00FF_FFFF))
        .collect();
    let v64: Vec<u64> = (0..64u64)
        .map(|i| 0x3FE0_0000_0000_0000 + (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11))
        .collect();
    let n = 2_000_000usize;
    let time = |name: &str, f: &dyn Fn(usize) -> u64| {
        let t = Instant::now();
        let mut acc = 0u64;
        for i in 0..n {
            acc = acc.wrapping_add(black_box(f(i)));
        }
        let ns = t.elapsed().as_nanos() as f64 / n as f64;
        println!("{name:10} {ns:6.1} ns/op  ({acc:x})");
    };
    time("addss", &|i| {
        fp::add::<false>(&mut env(RN), v32[i & 63], v32[(i + 7) & 63], false)
    });
    time("mulss", &|i| {
        fp::mul::<false>(&mut env(RN), v32[i & 63], v32[(i + 7) & 63])
    });
    time("divss", &|i| {
        fp::div::<false>(&mut env(RN), v32[i & 63], v32[(i + 7) & 63])
    });
    time("addsd", &|i| {
        fp::add::<true>(&mut env(RN), v64[i & 63], v64[(i + 7) & 63], false)
    });
    time("mulsd", &|i| {
        fp::mul::<true>(&mut env(RN), v64[i & 63], v64[(i + 7) & 63])
    });
    // With PE already set: the host fast path.
    time("addss PE", &|i| {
        fp::add::<false>(&mut env(RN | PE), v32[i & 63], v32[(i + 7) & 63], false)
    });
    time("mulsd PE", &|i| {
        fp::mul::<true>(&mut env(RN | PE), v64[i & 63], v64[(i + 7) & 63])
    });
    time("divsd PE", &|i| {
        fp::div::<true>(&mut env(RN | PE), v64[i & 63], v64[(i + 7) & 63])
    });
    time("divsd", &|i| {
        fp::div::<true>(&mut env(RN), v64[i & 63], v64[(i + 7) & 63])
    });
    time("sqrtsd", &|i| fp::sqrt::<true>(&mut env(RN), v64[i & 63]));
    time("cvtsd2si", &|i| {
        fp::to_i32::<true>(&mut env(RN), v64[i & 63] + (30 << 52), false) as u64
    });
    // Instruction loops: 16 copies of one instruction, then LOOP.
    let bench = |name: &str, insn: &[u8]| {
        let mut code = vec![0xB9, 0x00, 0x00];
        code.extend(movups_load(0, 0x100));
        code.extend(movups_load(1, 0x110));
        let start = code.len();
        for _ in 0..16 {
            code.extend(insn);
        }
        let back = (start as i32 - (code.len() as i32 + 2)) as i8 as u8;
        code.extend([0xE2, back, 0xF4]);
        if code.len() - start > 130 {
            return;
        }
        let (mut cpu, mut ram) = machine(&code);
        put(
            &mut ram,
            0x100,
            &0x3FC0_0000_3FC0_0000_3FC0_0000_3FC0_0000u128.to_le_bytes(),
        );
        put(
            &mut ram,
            0x110,
            &0x3F80_0001_3F80_0001_3F80_0001_3F80_0001u128.to_le_bytes(),
        );
        let t = Instant::now();
        let mut insns = 0u64;
        for _ in 0..20 {
            cpu.set_eip(0);
            cpu.set_halted(false);
            let before = cpu.instruction_count();
            cpu.run(&mut ram, 1_000_000);
            insns += cpu.instruction_count() - before;
        }
        let ns = t.elapsed().as_nanos() as f64 / insns as f64;
        println!("{name:10} {ns:6.1} ns/instruction");
    };
    bench("mulps", &rr(&[], 0x59, 0, 1));
    bench("addsd", &rr(&[0xF2], 0x58, 0, 1));
    bench("divsd", &rr(&[0xF2], 0x5E, 0, 1));
    bench("paddw", &rr(&[0x66], 0xFD, 0, 1));
    bench("pmaddwd", &rr(&[0x66], 0xF5, 0, 1));
    bench("pcmpeqb", &rr(&[0x66], 0x74, 0, 1));
    bench("pmovmskb", &rr(&[0x66], 0xD7, 0, 1));
    bench("movdqa st", &mem16(&[0x66], 0x7F, 0, 0x200));
    bench("movdqu ld", &mem16(&[0xF3], 0x6F, 0, 0x204));
    bench("paddb mm", &rr(&[], 0xFC, 0, 1));
}

#[test]
fn host_fast_path_boundaries() {
    // PE already set, round to nearest: the host path, no new flags.
    let mut e = env(RN | PE);
    assert_eq!(
        fp::add::<true>(&mut e, 0x3FB9_9999_9999_999A, 0x3FC9_9999_9999_999A, false),
        0x3FD3_3333_3333_3334
    );
    assert_eq!(fp::add::<false>(&mut e, 0x4040_0000, 0x4040_0000, true), 0);
    assert_eq!(
        fp::mul::<false>(&mut e, 0x8000_0000, 0x3F80_0000),
        0x8000_0000
    );
    assert_eq!(e.flags, 0);
    // A result that rounds to the smallest normal from below is tiny: UE.
    let mut e = env(RN | PE);
    assert_eq!(
        fp::mul::<false>(&mut e, 0x3F7F_FFFF, 0x0080_0000),
        0x0080_0000
    );
    assert_eq!(e.flags, UE | PE);
    // Products that round to zero or to a denormal underflow.
    let mut e = env(RN | PE);
    assert_eq!(
        fp::mul::<true>(&mut e, 0x1000_0000_0000_0000, 0x1000_0000_0000_0000),
        0
    );
    assert_eq!(e.flags, UE | PE);
    let mut e = env(RN | PE);
    assert_eq!(
        fp::div::<false>(&mut e, 0x0080_0000, 0x4000_0000),
        0x0040_0000
    );
    assert_eq!(e.flags, 0);
    // Overflow, division by zero, denormal operands and NaNs still report.
    let mut e = env(RN | PE);
    assert_eq!(
        fp::mul::<false>(&mut e, 0x7F7F_FFFF, 0x4000_0000),
        0x7F80_0000
    );
    assert_eq!(
        fp::div::<true>(&mut e, 0x3FF0_0000_0000_0000, 0),
        0x7FF0_0000_0000_0000
    );
    assert_eq!(fp::add::<false>(&mut e, 1, 0x3F80_0000, false), 0x3F80_0000);
    assert_eq!(fp::sqrt::<false>(&mut e, 0xBF80_0000), 0xFFC0_0000);
    assert_eq!(e.flags, OE | PE | ZE | DE | IE);
    // PM unmasked: an inexact result must still be seen.
    let mut e = env((RN & !(PE << 7)) | PE);
    fp::mul::<false>(&mut e, 0x3F80_0001, 0x3F80_0001);
    assert_eq!(e.flags, PE);
    // Other rounding modes never take the host path.
    let mut e = env(RU | PE);
    assert_eq!(
        fp::add::<false>(&mut e, 0x3F80_0000, 0x3380_0000, false),
        0x3F80_0001
    );
}
