//! Debug registers: DR0-DR3 instruction and data breakpoints under DR7,
//! the DR6 status bits, and general detect.
//!
//! Nothing here is on the fast path: while an instruction breakpoint is
//! armed the execution loop runs one instruction at a time and checks it
//! first; while a data breakpoint is armed no TLB entries are made, so every
//! access takes the slow path, which checks it.

use crate::bus::Bus;
use crate::cpu::Cpu;

pub(crate) const DR6_BS: u32 = 1 << 14;
pub(crate) const DR6_BD: u32 = 1 << 13;
pub(crate) const DR7_GD: u32 = 1 << 13;

/// The length DR7 gives breakpoint `n`, in bytes.
fn len(dr7: u32, n: usize) -> u32 {
    match (dr7 >> (18 + 4 * n)) & 3 {
        0 => 1,
        1 => 2,
        2 => 8,
        _ => 4,
    }
}

fn kind(dr7: u32, n: usize) -> u32 {
    (dr7 >> (16 + 4 * n)) & 3
}

fn enabled(dr7: u32, n: usize) -> bool {
    dr7 & (3 << (2 * n)) != 0
}

impl<B: Bus> Cpu<B> {
    /// Recomputes which kinds of breakpoint are armed after a DR7 write.
    pub(crate) fn dr7_changed(&mut self) {
        let dr7 = self.dr[7];
        let exec = (0..4).any(|n| enabled(dr7, n) && kind(dr7, n) == 0);
        let data = (0..4).any(|n| enabled(dr7, n) && matches!(kind(dr7, n), 1 | 3));
        self.dbg_exec = exec;
        if data != self.dbg_data {
            self.dbg_data = data;
            self.tlb.flush();
        }
    }

    /// DR6 B0-B3 bits of the instruction breakpoints at linear `lin`.
    pub(crate) fn exec_bp_hits(&self, lin: u32) -> u32 {
        let dr7 = self.dr[7];
        (0..4)
            .filter(|&n| enabled(dr7, n) && kind(dr7, n) == 0 && self.dr[n] == lin)
            .fold(0, |acc, n| acc | 1 << n)
    }

    /// Records data breakpoints that an access of `size` bytes at `lin` hits.
    pub(crate) fn data_bp_check(&mut self, lin: u32, size: u32, write: bool) {
        let dr7 = self.dr[7];
        for n in 0..4 {
            let k = kind(dr7, n);
            if !enabled(dr7, n) || !(k == 3 || (k == 1 && write)) {
                continue;
            }
            let l = len(dr7, n);
            let start = self.dr[n] & !(l - 1);
            let end = start as u64 + l as u64;
            let (a, b) = (lin as u64, lin as u64 + size as u64);
            if a < end && start as u64 <= b.saturating_sub(1) {
                self.dbg_hits |= 1 << n;
            }
        }
    }
}
