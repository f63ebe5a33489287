//! The REP string fast path (whole runs on host memory through TLB-mapped
//! pages) must leave exactly the state the element-by-element path leaves.
//!
//! Each case runs one REP string instruction twice on identical machines: once
//! normally (the fast path runs after the first iteration fills the TLB), once
//! with a data breakpoint armed in DR7 at an address the instruction never
//! touches. An armed data breakpoint stops the CPU from making TLB entries,
//! so every element takes the checked element-wise path. Registers, flags,
//! EIP and all of RAM must agree. The cases cover every kind and width, both
//! directions, 16- and 32-bit addressing, page crossings, overlapping MOVS,
//! CMPS/SCAS runs that end early and runs that reach the segment limit (#GP).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oxbox_cpu::{Bus, Cpu, CpuModel, PageMap, SegReg};

struct Ram(Vec<u8>);

impl Bus for Ram {
    fn memory(&mut self) -> &mut [u8] {
        &mut self.0
    }
    fn map_page(&mut self, phys: u32) -> PageMap {
        if (phys as usize) < self.0.len() {
            PageMap::Direct {
                offset: phys as usize & !0xFFF,
                writable: true,
            }
        } else {
            PageMap::Mmio
        }
    }
    fn read_slow(&mut self, _phys: u32) -> u8 {
        0xFF
    }
    fn write_slow(&mut self, _phys: u32, _value: u8) {}
    fn io_in(&mut self, _port: u16, _size: u8) -> u32 {
        u32::MAX
    }
    fn io_out(&mut self, _port: u16, _size: u8, _value: u32) -> bool {
        false
    }
    fn interrupt_pending(&mut self) -> bool {
        false
    }
    fn acknowledge_interrupt(&mut self) -> u8 {
        0
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

const CODE: usize = 0x10000; // 1000:0000
const HALT: usize = 0x10100; // 1000:0100, where #GP and #DB land

struct Case {
    opcode: u8,
    rep: u8,
    op32: bool,
    a32: bool,
    df: bool,
    ds: u16,
    es: u16,
    esi: u32,
    edi: u32,
    ecx: u32,
    eax: u32,
    /// Elements of the destination made equal to the source (CMPS) or to
    /// AL/AX/EAX (SCAS) before the run, so REPE runs go on for a while.
    equal_run: u32,
}

/// Runs the case; `checked` arms a data breakpoint far away first.
fn run(case: &Case, mem: &[u8], checked: bool) -> (Cpu<Ram>, Ram) {
    let mut ram = Ram(mem.to_vec());
    let dr7: u32 = if checked { 0x000D_0001 } else { 0 }; // L0, write, 4 bytes
    let mut code = vec![0x66, 0xB8];
    code.extend_from_slice(&0x000F_0000u32.to_le_bytes()); // mov eax, 0xF0000
    code.extend_from_slice(&[0x0F, 0x23, 0xC0]); // mov dr0, eax
    code.extend_from_slice(&[0x66, 0xB8]);
    code.extend_from_slice(&dr7.to_le_bytes()); // mov eax, dr7 value
    code.extend_from_slice(&[0x0F, 0x23, 0xF8]); // mov dr7, eax
    code.extend_from_slice(&[0x66, 0xB8]);
    code.extend_from_slice(&case.eax.to_le_bytes()); // mov eax, case.eax
    code.push(case.rep);
    if case.op32 {
        code.push(0x66);
    }
    if case.a32 {
        code.push(0x67);
    }
    code.push(case.opcode);
    code.push(0xF4);
    ram.0[CODE..CODE + code.len()].copy_from_slice(&code);
    ram.0[HALT] = 0xF4;
    for v in [1usize, 13] {
        ram.0[v * 4..v * 4 + 4].copy_from_slice(&[0x00, 0x01, 0x00, 0x10]);
    }
    let mut cpu = Cpu::new(CpuModel::I486);
    cpu.reset();
    cpu.set_segment_real(SegReg::Cs, 0x1000);
    cpu.set_segment_real(SegReg::Ss, 0x0000);
    cpu.set_segment_real(SegReg::Ds, case.ds);
    cpu.set_segment_real(SegReg::Es, case.es);
    cpu.set_segment_real(SegReg::Fs, 0);
    cpu.set_segment_real(SegReg::Gs, 0);
    cpu.set_eip(0);
    cpu.set_gpr(4, 0x0800);
    cpu.set_gpr(1, case.ecx);
    cpu.set_gpr(6, case.esi);
    cpu.set_gpr(7, case.edi);
    cpu.set_eflags(0x0002 | if case.df { 0x0400 } else { 0 });
    cpu.flush_code_cache();
    cpu.run(&mut ram, 8);
    // The code differs in the DR7 value only; no case writes below 0x20000.
    ram.0[CODE..CODE + code.len()].fill(0);
    (cpu, ram)
}

fn make_case(rng: &mut Rng) -> Case {
    const OPS: [u8; 10] = [0xA4, 0xA5, 0xAA, 0xAB, 0xA6, 0xA7, 0xAE, 0xAF, 0xAC, 0xAD];
    let opcode = OPS[rng.below(OPS.len() as u32) as usize];
    let ds = [0x2000, 0x2000, 0x2FFF, 0x3000][rng.below(4) as usize];
    let es = [0x2000, 0x2000, 0x3000, 0x2001][rng.below(4) as usize];
    // Offsets near page edges, near the top of the segment, or anywhere.
    let off = |rng: &mut Rng| match rng.below(4) {
        0 => (rng.below(16) * 0x1000 + 0x1000 - rng.below(9)) & 0xFFFF,
        1 => 0xFFFF - rng.below(40),
        2 => rng.below(40),
        _ => rng.below(0x10000),
    };
    let esi = off(rng);
    let edi = if rng.below(3) == 0 {
        // overlapping MOVS: the destination a few bytes either side
        (esi + 0x10000 - 8 + rng.below(17)) & 0xFFFF
    } else {
        off(rng)
    };
    let count = match rng.below(3) {
        0 => rng.below(8),
        1 => rng.below(600),
        _ => rng.below(9000),
    };
    let a32 = rng.below(3) == 0;
    // With 16-bit addressing the high halves must survive untouched.
    let high = |rng: &mut Rng| if a32 { 0 } else { rng.next() & 0xFFFF_0000 };
    Case {
        opcode,
        rep: if rng.below(2) == 0 { 0xF3 } else { 0xF2 },
        op32: rng.below(2) == 0,
        a32,
        df: rng.below(3) == 0,
        ds,
        es,
        esi: esi | high(rng),
        edi: edi | high(rng),
        ecx: count | high(rng),
        eax: rng.next(),
        equal_run: rng.below(2000),
    }
}

fn prepare_memory(case: &Case, rng: &mut Rng) -> Vec<u8> {
    let mut mem = vec![0u8; 1 << 20];
    for b in &mut mem[0x20000..0x50000] {
        *b = rng.next() as u8;
    }
    // Equal runs so REPE CMPS/SCAS go on past the first elements.
    let width = match (case.opcode & 1, case.op32) {
        (0, _) => 1,
        (_, false) => 2,
        (_, true) => 4,
    };
    let src = (case.ds as usize) * 16;
    let dst = (case.es as usize) * 16;
    let (mut si, mut di) = ((case.esi & 0xFFFF) as usize, (case.edi & 0xFFFF) as usize);
    for _ in 0..case.equal_run {
        for k in 0..width {
            let d = dst + ((di + k) & 0xFFFF);
            mem[d] = if case.opcode >= 0xAE {
                (case.eax >> (8 * k)) as u8
            } else {
                mem[src + ((si + k) & 0xFFFF)]
            };
        }
        if case.df {
            si = si.wrapping_sub(width) & 0xFFFF;
            di = di.wrapping_sub(width) & 0xFFFF;
        } else {
            si = (si + width) & 0xFFFF;
            di = (di + width) & 0xFFFF;
        }
    }
    mem
}

#[test]
fn rep_string_fast_path_matches_the_element_wise_path() {
    let mut rng = Rng(0x00DD_BA11);
    let mut fast_elements = 0u64;
    let mut fast_cases = 0;
    for n in 0..600 {
        let case = make_case(&mut rng);
        let mem = prepare_memory(&case, &mut rng);
        let (fast, fast_ram) = run(&case, &mem, false);
        let (slow, slow_ram) = run(&case, &mem, true);
        let what = format!(
            "case {n}: {:02X} {}{}{:02X} df={} ds={:04X} es={:04X} esi={:08X} edi={:08X} ecx={:08X}",
            case.rep,
            if case.op32 { "66 " } else { "" },
            if case.a32 { "67 " } else { "" },
            case.opcode,
            case.df,
            case.ds,
            case.es,
            case.esi,
            case.edi,
            case.ecx
        );
        for r in 0..8 {
            assert_eq!(fast.gpr(r), slow.gpr(r), "{what}: register {r}");
        }
        assert_eq!(fast.eflags(), slow.eflags(), "{what}: EFLAGS");
        assert_eq!(fast.eip(), slow.eip(), "{what}: EIP");
        assert_eq!(
            fast.segment(SegReg::Cs).selector,
            slow.segment(SegReg::Cs).selector,
            "{what}: CS"
        );
        if fast_ram.0 != slow_ram.0 {
            let i = (0..fast_ram.0.len())
                .find(|&i| fast_ram.0[i] != slow_ram.0[i])
                .unwrap_or(0);
            panic!(
                "{what}: RAM differs first at {i:#x}: {:#x} != {:#x}",
                fast_ram.0[i], slow_ram.0[i]
            );
        }
        assert_eq!(slow.work_stats().rep_fast_runs, 0, "{what}: checked run");
        if fast.work_stats().rep_fast_runs != 0 {
            fast_cases += 1;
            let done = (case.ecx.wrapping_sub(fast.gpr(1))) & if case.a32 { !0 } else { 0xFFFF };
            fast_elements += done as u64;
        }
    }
    // The fast path must really have run, and run long.
    assert!(
        fast_cases > 300 && fast_elements > 250_000,
        "fast path in {fast_cases} cases, {fast_elements} elements"
    );
}
