//! The benchmark regression guard: runs every CPU benchmark ROM of bench/
//! with a small iteration count patched in and checks the *work done*, not
//! the time: the checksum (the reference values are QEMU 7.2 TCG's for the
//! same patched images), the exact guest instruction count, and ceilings on
//! the CPU's internal work counters (blocks decoded, jump-cache misses, page
//! walks, slow-lane steps, code invalidations). A change that makes the
//! emulator decode, refill or single-step much more than it does now fails
//! here; a change that makes it faster and these counts smaller should
//! lower the ceilings (see docs/performance.md).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use oxbox_machine::{Config, Machine, Output, Stop};

struct Expect {
    rom: &'static str,
    iter: u32,
    checksum: &'static str,
    instructions: u64,
    /// Ceilings: blocks decoded, jump-cache misses, page walks, slow steps
    /// (the one instruction after MOV SS runs in the slow lane), code
    /// invalidations. About 1.5 times what was measured when they were set.
    max_blocks: u64,
    max_jump_misses: u64,
    max_walks: u64,
    max_slow_steps: u64,
    max_invalidations: u64,
    /// The REP fast path must carry the ROM's REP runs (runs of up to a
    /// page each, counted in `WorkStats::rep_fast_runs`): the measured count.
    min_rep_fast: u64,
}

/// Reads bench/NAME.bin and sets its outer iteration count to `iter`.
fn patched_rom(name: &str, iter: u32) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../bench/{name}.bin"));
    let mut rom = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(rom.len(), 0x10000, "{name}: a 64 KiB image");
    match name {
        "cpu16-32" => {
            // mov dword [0x050C], 54000 (the OUTER counter) in the prologue
            let pat = [0x66, 0xC7, 0x06, 0x0C, 0x05, 0xF0, 0xD2, 0x00, 0x00];
            let hits: Vec<usize> = (0..rom.len() - pat.len())
                .filter(|&i| rom[i..i + pat.len()] == pat)
                .collect();
            assert_eq!(hits.len(), 1, "cpu16-32: the ITER immediate");
            rom[hits[0] + 5..hits[0] + 9].copy_from_slice(&iter.to_le_bytes());
        }
        "real16" => {
            assert_eq!(rom[0xFFE0..0xFFE2], 20000u16.to_le_bytes());
            rom[0xFFE0..0xFFE2].copy_from_slice(&(iter as u16).to_le_bytes());
        }
        _ => {
            assert_eq!(rom[0xFFE0..0xFFE4], 20000u32.to_le_bytes());
            rom[0xFFE0..0xFFE4].copy_from_slice(&iter.to_le_bytes());
        }
    }
    rom
}

fn check(e: &Expect) -> Vec<String> {
    let mut config = Config::new(patched_rom(e.rom, e.iter));
    config.consoles.push((0xE9, Output::Capture));
    let mut m = Machine::new(config).unwrap_or_else(|err| panic!("{err}"));
    let stop = m.run(100_000_000);
    let text = String::from_utf8_lossy(m.captured(0xE9)).into_owned();
    let n = m.instruction_count();
    let w = m.cpu().work_stats();
    println!(
        "{} (ITER={}): {stop:?}, {n} instructions, {w:?}",
        e.rom, e.iter
    );
    let mut bad = Vec::new();
    let mut fail = |s: String| bad.push(format!("{}: {s}", e.rom));
    if stop != Stop::DebugExit(1) || !text.contains("DONE") {
        fail(format!("ended with {stop:?}, output {text:?}"));
    }
    if !text.contains(&format!("CHECKSUM {}", e.checksum)) {
        fail(format!("expected CHECKSUM {}, output {text:?}", e.checksum));
    }
    if n != e.instructions {
        fail(format!("{n} instructions, expected {}", e.instructions));
    }
    let ceilings = [
        ("blocks decoded", w.blocks_decoded, e.max_blocks),
        ("jump-cache misses", w.jump_cache_misses, e.max_jump_misses),
        ("page walks", w.page_walks, e.max_walks),
        ("slow steps", w.slow_steps, e.max_slow_steps),
        (
            "code invalidations",
            w.code_invalidations,
            e.max_invalidations,
        ),
    ];
    for (what, got, max) in ceilings {
        if got > max {
            fail(format!("{got} {what}, ceiling {max}"));
        }
    }
    if w.rep_fast_runs < e.min_rep_fast {
        fail(format!(
            "{} REP fast runs, expected at least {}",
            w.rep_fast_runs, e.min_rep_fast
        ));
    }
    bad
}

const ROMS: [Expect; 4] = [
    // 57878 + 18502 * ITER instructions (derived in bench/cpu16-32.asm).
    Expect {
        rom: "cpu16-32",
        iter: 20,
        checksum: "485da76e",
        instructions: 57878 + 18502 * 20,
        max_blocks: 80,
        max_jump_misses: 80,
        max_walks: 80,
        max_slow_steps: 2,
        max_invalidations: 0,
        min_rep_fast: 40,
    },
    Expect {
        rom: "real16",
        iter: 20,
        checksum: "331cac95",
        // A REP counts once per 4096 iterations: its 16,384-word REP MOVSW
        // (32 KiB) and the like add four per iteration.
        instructions: 1_282_617,
        max_blocks: 110,
        max_jump_misses: 110,
        max_walks: 600,
        max_slow_steps: 2,
        max_invalidations: 0,
        min_rep_fast: 300,
    },
    Expect {
        rom: "pm32",
        iter: 20,
        checksum: "44d770f4",
        instructions: 6_629_372,
        max_blocks: 100,
        max_jump_misses: 100,
        max_walks: 45_000,
        max_slow_steps: 4,
        max_invalidations: 0,
        min_rep_fast: 180,
    },
    // The same work as pm32 plus the paging setup and a CR3 reload per
    // iteration; the same checksum.
    Expect {
        rom: "pm32pg",
        iter: 20,
        checksum: "44d770f4",
        instructions: 6_650_944,
        max_blocks: 110,
        max_jump_misses: 1200,
        max_walks: 70_000,
        max_slow_steps: 4,
        max_invalidations: 0,
        min_rep_fast: 180,
    },
];

#[test]
fn bench_roms_do_the_same_work() {
    let bad: Vec<String> = ROMS.iter().flat_map(check).collect();
    assert!(bad.is_empty(), "benchmark guard:\n{}", bad.join("\n"));
}
