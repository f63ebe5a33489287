//! The processor's architectural state as a value, for machine snapshots.
//! Decoded blocks, the TLB and debugger settings are not part of it: they
//! are caches or belong to the embedder.

use crate::bus::Bus;
use crate::cpu::{Cpu, Msrs, Segment};
use crate::flags::Lazy;

/// Everything a restore needs to continue exactly where the snapshot was.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CpuState {
    regs: [u32; 9],
    eip: u32,
    eflags: u32,
    lazy: Lazy,
    seg: [Segment; 6],
    ldtr: Segment,
    tr: Segment,
    cpl: u8,
    fault_addr: u32,
    msr: Msrs,
    cr: [u32; 5],
    dr: [u32; 8],
    gdtr: (u32, u16),
    idtr: (u32, u16),
    icount: u64,
    tsc_offset: u64,
    a20_mask: u32,
    halted: bool,
    irq_shadow: u64,
    fpu: crate::x87::Fpu,
}

impl CpuState {
    /// Checks what the processor relies on and a snapshot file could get
    /// wrong: a privilege level, a lazy-flags operand width, an x87 stack
    /// top that exist.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.cpl > 3 {
            return Err("privilege level above 3");
        }
        if !matches!(self.lazy.width, 8 | 16 | 32) {
            return Err("lazy flags with an operand width other than 8, 16 or 32");
        }
        if self.fpu.top > 7 {
            return Err("x87 stack top above 7");
        }
        Ok(())
    }

    /// Retired instructions when the state was saved.
    pub fn instruction_count(&self) -> u64 {
        self.icount
    }
}

impl<B: Bus> Cpu<B> {
    pub fn save_state(&self) -> CpuState {
        CpuState {
            regs: self.regs,
            eip: self.eip,
            eflags: self.eflags,
            lazy: self.lazy,
            seg: self.seg,
            ldtr: self.ldtr,
            tr: self.tr,
            cpl: self.cpl,
            fault_addr: self.fault_addr,
            msr: self.msr,
            cr: [self.cr0, 0, self.cr2, self.cr3, self.cr4],
            dr: self.dr,
            gdtr: self.gdtr,
            idtr: self.idtr,
            icount: self.icount,
            tsc_offset: self.tsc_offset,
            a20_mask: self.a20_mask,
            halted: self.halted,
            irq_shadow: self.irq_shadow,
            fpu: self.fpu.clone(),
        }
    }

    /// Puts the processor back in a saved state. Guest memory must be
    /// restored by the caller, which also drops cached code for any memory
    /// it changed (`invalidate_memory`).
    pub fn restore_state(&mut self, s: &CpuState) {
        self.regs = s.regs;
        self.regs[8] = 0;
        self.eip = s.eip;
        self.eflags = s.eflags;
        self.lazy = s.lazy;
        self.seg = s.seg;
        self.ldtr = s.ldtr;
        self.tr = s.tr;
        self.set_cpl(s.cpl);
        self.fault_addr = s.fault_addr;
        self.msr = s.msr;
        self.cr0 = s.cr[0];
        self.cr2 = s.cr[2];
        self.cr3 = s.cr[3];
        self.cr4 = s.cr[4];
        self.dr = s.dr;
        self.gdtr = s.gdtr;
        self.idtr = s.idtr;
        self.icount = s.icount;
        self.tsc_offset = s.tsc_offset;
        self.a20_mask = s.a20_mask;
        self.halted = s.halted;
        self.irq_shadow = s.irq_shadow;
        self.fpu = s.fpu.clone();
        self.exit = None;
        self.stop_block = true;
        self.refresh_segs();
        self.dr7_changed();
        self.tlb.flush();
    }

    /// Drops the write half of the TLB, so every page is written through
    /// the slow path (and reported with `Bus::note_ram_write`) once more:
    /// how a machine starts tracking dirty pages.
    pub fn restart_write_tracking(&mut self) {
        self.tlb.flush_writes();
    }
}
