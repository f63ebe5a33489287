//! Architectural state and the accessors embedders and the conformance runner use.

use crate::bus::Bus;
use crate::cache::CodeCache;
use crate::flags::{Lazy, FLAG_FIXED};
use crate::mmu::Tlb;

/// Segment registers in their encoding order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SegReg {
    Es = 0,
    Cs = 1,
    Ss = 2,
    Ds = 3,
    Fs = 4,
    Gs = 5,
}

/// A segment register with its descriptor cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    pub selector: u16,
    pub base: u32,
    pub limit: u32,
    /// Access rights as in descriptor bytes 5-6 (type, S, DPL, P, AVL, D/B, G).
    pub attr: u16,
}

/// D/B bit in `Segment::attr`: 32-bit code or stack.
pub(crate) const ATTR_DB: u16 = 1 << 14;

impl Segment {
    /// A real-mode segment: base = selector * 16, 64 KiB limit, data/code
    /// present, writable.
    pub const fn real(selector: u16) -> Self {
        Segment {
            selector,
            base: (selector as u32) << 4,
            limit: 0xFFFF,
            attr: 0x93,
        }
    }
}

/// Which processor generation is modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuModel {
    /// A 486/P6-class core: the integer instructions through the 486 plus
    /// CPUID and RDTSC, no x87 yet.
    I486,
}

pub(crate) const CR0_PE: u32 = 1 << 0;
pub(crate) const CR0_MP: u32 = 1 << 1;
pub(crate) const CR0_EM: u32 = 1 << 2;
pub(crate) const CR0_TS: u32 = 1 << 3;
pub(crate) const CR0_ET: u32 = 1 << 4;
pub(crate) const CR0_NE: u32 = 1 << 5;
pub(crate) const CR0_WP: u32 = 1 << 16;
pub(crate) const CR0_AM: u32 = 1 << 18;
pub(crate) const CR0_NW: u32 = 1 << 29;
pub(crate) const CR0_CD: u32 = 1 << 30;
pub(crate) const CR0_PG: u32 = 1 << 31;

pub(crate) const CR4_TSD: u32 = 1 << 2;
pub(crate) const CR4_DE: u32 = 1 << 3;
pub(crate) const CR4_PSE: u32 = 1 << 4;
pub(crate) const CR4_PGE: u32 = 1 << 7;
pub(crate) const CR4_OSFXSR: u32 = 1 << 9;

/// What segment checks allow, derived from a segment's descriptor cache
/// and the mode: offsets `rlo..=rhi` may be read, `wlo..=whi` written.
/// An unusable segment has `lo > hi`, so every access faults.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SegAccess {
    pub base: u32,
    pub rlo: u32,
    pub rhi: u32,
    pub wlo: u32,
    pub whi: u32,
}

/// Model-specific registers this model keeps.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Msrs {
    pub sysenter_cs: u32,
    pub sysenter_esp: u32,
    pub sysenter_eip: u32,
    /// MTRR registers: fixed, variable base/mask pairs, default type.
    pub mtrr_def_type: u64,
    pub mtrr_fixed: [u64; 11],
    pub mtrr_var: [u64; 16],
}

/// The processor. Generic over its bus so that bus calls are static.
pub struct Cpu<B: Bus> {
    /// EAX ECX EDX EBX ESP EBP ESI EDI, then a zero slot for EA arithmetic.
    pub(crate) regs: [u32; 9],
    pub(crate) eip: u32,
    pub(crate) eflags: u32,
    pub(crate) lazy: Lazy,
    pub(crate) seg: [Segment; 6],
    /// Segment checks derived from `seg` (kept in step by `set_seg`).
    pub(crate) segx: [SegAccess; 6],
    pub(crate) ldtr: Segment,
    pub(crate) tr: Segment,
    /// Current privilege level (0 in real mode, 3 in virtual-8086 mode).
    pub(crate) cpl: u8,
    /// `cpl == 3`: which half of the TLB serves ordinary accesses.
    pub(crate) user: bool,
    /// The linear address of the last page fault, copied to CR2 when the
    /// fault is delivered.
    pub(crate) fault_addr: u32,
    pub(crate) msr: Msrs,
    /// An instruction breakpoint is armed in DR7.
    pub(crate) dbg_exec: bool,
    /// A data breakpoint is armed in DR7 (no TLB entries are made then).
    pub(crate) dbg_data: bool,
    /// Data breakpoints hit by the current instruction (DR6 B0-B3 bits).
    pub(crate) dbg_hits: u32,
    /// The embedder's breakpoints and watchpoints.
    pub(crate) watches: crate::watch::Watches,
    /// Some embedder breakpoint, watchpoint or catch is set.
    pub(crate) api_debug: bool,
    /// Memory watchpoints are set (no TLB entries are made then).
    pub(crate) api_mem_watch: bool,
    pub(crate) last_debug_stop: Option<crate::watch::DebugStop>,
    /// The embedder's hooks (see `hooks.rs`).
    pub(crate) hooks: crate::hooks::HookSet<B>,
    pub(crate) cr0: u32,
    pub(crate) cr2: u32,
    pub(crate) cr3: u32,
    pub(crate) cr4: u32,
    pub(crate) dr: [u32; 8],
    pub(crate) gdtr: (u32, u16),
    pub(crate) idtr: (u32, u16),
    /// Retired instructions since reset; the virtual clock of the machine.
    pub(crate) icount: u64,
    pub(crate) tsc_offset: u64,
    /// Physical address mask: bit 20 cleared while the A20 gate is off.
    pub(crate) a20_mask: u32,
    pub(crate) halted: bool,
    /// Interrupts are not taken while `icount` equals this (after STI, MOV SS).
    pub(crate) irq_shadow: u64,
    /// Alignment checking is in force (see `update_alignment_check`).
    pub(crate) ac_active: bool,
    /// MOV SS or POP SS just ran: a single-step trap waits one more
    /// instruction, as the SDM specifies.
    pub(crate) ss_shadow: bool,
    /// Set by handlers to end the current block after this op.
    pub(crate) stop_block: bool,
    /// Why `run` must return after the current op, if it must.
    pub(crate) exit: Option<crate::exec::Exit>,
    pub(crate) model: CpuModel,
    pub(crate) tlb: Tlb,
    pub(crate) cache: CodeCache<B>,
    pub(crate) fpu: crate::x87::Fpu,
    /// Linear address to block, in front of the TLB and the code cache.
    pub(crate) jump_cache: Box<[crate::exec::JumpEntry<B>]>,
    /// Work counters (see `stats`).
    pub(crate) stats: crate::stats::WorkStats,
}

impl<B: Bus> Cpu<B> {
    pub fn new(model: CpuModel) -> Self {
        let mut cpu = Cpu {
            regs: [0; 9],
            eip: 0,
            eflags: FLAG_FIXED,
            lazy: Lazy::none(),
            seg: [Segment::real(0); 6],
            segx: [SegAccess {
                base: 0,
                rlo: 0,
                rhi: 0xFFFF,
                wlo: 0,
                whi: 0xFFFF,
            }; 6],
            ldtr: Segment {
                selector: 0,
                base: 0,
                limit: 0xFFFF,
                attr: 0x82,
            },
            tr: Segment {
                selector: 0,
                base: 0,
                limit: 0xFFFF,
                attr: 0x8B,
            },
            cpl: 0,
            user: false,
            fault_addr: 0,
            msr: Msrs::default(),
            dbg_exec: false,
            dbg_data: false,
            dbg_hits: 0,
            watches: crate::watch::Watches::default(),
            api_debug: false,
            api_mem_watch: false,
            last_debug_stop: None,
            hooks: crate::hooks::HookSet::new(),
            cr0: 0,
            cr2: 0,
            cr3: 0,
            cr4: 0,
            dr: [0; 8],
            gdtr: (0, 0xFFFF),
            idtr: (0, 0x3FF),
            icount: 0,
            tsc_offset: 0,
            a20_mask: u32::MAX,
            halted: false,
            irq_shadow: u64::MAX,
            ss_shadow: false,
            ac_active: false,
            stop_block: false,
            exit: None,
            model,
            tlb: Tlb::new(),
            cache: CodeCache::new(),
            fpu: crate::x87::Fpu::new(),
            jump_cache: (0..crate::exec::JUMP_CACHE_SIZE)
                .map(|_| crate::exec::JumpEntry::empty())
                .collect(),
            stats: crate::stats::WorkStats::default(),
        };
        cpu.reset();
        cpu
    }

    /// The processor's power-on/RESET state: real mode at F000:FFF0 with the
    /// CS base at FFFF0000 as on a 386+.
    pub fn reset(&mut self) {
        self.regs = [0; 9];
        // EDX holds the processor signature after reset (family 4, model 0).
        self.regs[2] = 0x0000_0400;
        self.eip = 0xFFF0;
        self.eflags = FLAG_FIXED;
        self.lazy = Lazy::none();
        self.cr0 = 0x6000_0000 | CR0_ET;
        self.cpl = 0;
        self.user = false;
        for i in 0..6 {
            self.set_seg(i, Segment::real(0));
        }
        self.set_seg(
            SegReg::Cs as u8,
            Segment {
                selector: 0xF000,
                base: 0xFFFF_0000,
                limit: 0xFFFF,
                attr: 0x9B,
            },
        );
        self.ldtr = Segment {
            selector: 0,
            base: 0,
            limit: 0xFFFF,
            attr: 0x82,
        };
        self.tr = Segment {
            selector: 0,
            base: 0,
            limit: 0xFFFF,
            attr: 0x8B,
        };
        self.msr = Msrs::default();
        self.cr2 = 0;
        self.cr3 = 0;
        self.cr4 = 0;
        self.dr = [0, 0, 0, 0, 0, 0, 0xFFFF_0FF0, 0x400];
        self.dbg_exec = false;
        self.dbg_data = false;
        self.dbg_hits = 0;
        self.gdtr = (0, 0xFFFF);
        self.idtr = (0, 0x3FF);
        self.halted = false;
        self.irq_shadow = u64::MAX;
        self.stop_block = false;
        self.exit = None;
        self.hooks.inject = None;
        self.fpu = crate::x87::Fpu::new();
        self.tlb.flush();
    }

    pub fn model(&self) -> CpuModel {
        self.model
    }

    /// General register by encoding (0 = EAX ... 7 = EDI).
    pub fn gpr(&self, index: usize) -> u32 {
        self.regs[index & 7]
    }

    pub fn set_gpr(&mut self, index: usize, value: u32) {
        self.regs[index & 7] = value;
    }

    pub fn eip(&self) -> u32 {
        self.eip
    }

    pub fn set_eip(&mut self, value: u32) {
        self.eip = value;
    }

    /// Replaces EFLAGS (reserved bits are forced to their fixed values).
    pub fn set_eflags(&mut self, value: u32) {
        self.lazy = Lazy::none();
        self.eflags = (value & crate::system::EFLAGS_WRITABLE) | FLAG_FIXED;
    }

    pub fn segment(&self, reg: SegReg) -> Segment {
        self.seg[reg as usize]
    }

    /// Loads a segment register the real-mode way (base = selector << 4).
    pub fn set_segment_real(&mut self, reg: SegReg, selector: u16) {
        let mut s = self.seg[reg as usize];
        s.selector = selector;
        s.base = (selector as u32) << 4;
        self.set_seg(reg as u8, s);
    }

    /// Loads a segment register with an explicit descriptor cache.
    pub fn set_segment(&mut self, reg: SegReg, seg: Segment) {
        self.set_seg(reg as u8, seg);
        if reg == SegReg::Cs && self.protected() && !self.v86() {
            self.set_cpl(seg.selector as u8 & 3);
        }
    }

    /// Puts the CPU in 32-bit protected mode at CPL 0 with flat 4 GiB code
    /// (`cs`) and data (`ds`, also in ES, SS, FS, GS) segments and the GDT
    /// at `gdt_base`, paging off and interrupts disabled: the state boot
    /// protocols (Linux 32-bit entry, multiboot) hand over in.
    pub fn enter_protected_flat(&mut self, gdt_base: u32, gdt_limit: u16, cs: u16, ds: u16) {
        self.gdtr = (gdt_base, gdt_limit);
        self.cr0 |= CR0_PE;
        self.set_cpl(0);
        self.eflags = crate::flags::FLAG_FIXED;
        self.lazy = Lazy::none();
        let data = Segment {
            selector: ds,
            base: 0,
            limit: u32::MAX,
            attr: 0xC093,
        };
        for s in [SegReg::Es, SegReg::Ss, SegReg::Ds, SegReg::Fs, SegReg::Gs] {
            self.set_seg(s as u8, data);
        }
        self.set_seg(
            SegReg::Cs as u8,
            Segment {
                selector: cs,
                base: 0,
                limit: u32::MAX,
                attr: 0xC09B,
            },
        );
        self.tlb.flush();
    }

    /// Advances the time-stamp counter without retiring instructions: the
    /// machine calls this when it skips virtual time while the CPU halts,
    /// so the TSC keeps pace with virtual time.
    pub fn advance_tsc(&mut self, ticks: u64) {
        self.tsc_offset = self.tsc_offset.wrapping_add(ticks);
    }

    /// GDTR as (base, limit).
    pub fn gdtr(&self) -> (u32, u16) {
        self.gdtr
    }

    /// IDTR as (base, limit).
    pub fn idtr(&self) -> (u32, u16) {
        self.idtr
    }

    pub fn cr2(&self) -> u32 {
        self.cr2
    }

    pub fn cr3(&self) -> u32 {
        self.cr3
    }

    pub fn cr4(&self) -> u32 {
        self.cr4
    }

    /// Current privilege level.
    pub fn cpl(&self) -> u8 {
        self.cpl
    }

    pub(crate) fn set_cpl(&mut self, cpl: u8) {
        self.cpl = cpl;
        self.user = cpl == 3;
    }

    /// Virtual-8086 mode.
    #[inline(always)]
    pub(crate) fn v86(&self) -> bool {
        self.eflags & crate::flags::FLAG_VM != 0
    }

    /// Stores a segment register and recomputes what accesses it allows.
    pub(crate) fn set_seg(&mut self, i: u8, s: Segment) {
        let i = i as usize % 6;
        self.seg[i] = s;
        self.segx[i] = self.seg_access(&s);
    }

    /// Recomputes all segment checks after a mode change.
    pub(crate) fn refresh_segs(&mut self) {
        for i in 0..6 {
            self.segx[i] = self.seg_access(&self.seg[i]);
        }
    }

    fn seg_access(&self, s: &Segment) -> SegAccess {
        let all = |hi: u32| SegAccess {
            base: s.base,
            rlo: 0,
            rhi: hi,
            wlo: 0,
            whi: hi,
        };
        if !self.protected() || self.v86() {
            return all(s.limit);
        }
        const NONE: (u32, u32) = (1, 0);
        if s.attr & 0x80 == 0 {
            return SegAccess {
                base: s.base,
                rlo: NONE.0,
                rhi: NONE.1,
                wlo: NONE.0,
                whi: NONE.1,
            };
        }
        let typ = s.attr & 0xF;
        let code = s.attr & 0x10 != 0 && typ & 8 != 0;
        let (lo, hi) = if !code && typ & 4 != 0 {
            // Expand-down: valid offsets lie above the limit.
            let top = if s.attr & ATTR_DB != 0 {
                u32::MAX
            } else {
                0xFFFF
            };
            if s.limit >= top {
                NONE
            } else {
                (s.limit + 1, top)
            }
        } else {
            (0, s.limit)
        };
        let readable = !code || typ & 2 != 0;
        let writable = !code && typ & 2 != 0;
        let (rlo, rhi) = if readable { (lo, hi) } else { NONE };
        let (wlo, whi) = if writable { (lo, hi) } else { NONE };
        SegAccess {
            base: s.base,
            rlo,
            rhi,
            wlo,
            whi,
        }
    }

    pub fn cr0(&self) -> u32 {
        self.cr0
    }

    /// The work counters since the CPU was created (not part of snapshots).
    pub fn work_stats(&self) -> crate::stats::WorkStats {
        crate::stats::WorkStats {
            code_invalidations: self.cache.invalidations,
            ..self.stats
        }
    }

    /// Retired instructions since the CPU was created.
    pub fn instruction_count(&self) -> u64 {
        self.icount
    }

    pub fn is_halted(&self) -> bool {
        self.halted
    }

    /// Wakes a halted CPU (the machine does this when an interrupt arrives).
    pub fn set_halted(&mut self, halted: bool) {
        self.halted = halted;
    }

    /// The A20 gate. Off: physical addresses wrap at 1 MiB like an 8086.
    pub fn set_a20(&mut self, enabled: bool) {
        let mask = if enabled { u32::MAX } else { !(1 << 20) };
        if mask != self.a20_mask {
            self.a20_mask = mask;
            self.tlb.flush();
        }
    }

    pub fn a20(&self) -> bool {
        self.a20_mask & (1 << 20) != 0
    }

    /// Drops every decoded block and TLB entry. Call after changing guest
    /// memory behind the CPU's back (the bus's own writes go through
    /// [`Cpu::invalidate_memory`] instead).
    pub fn flush_code_cache(&mut self) {
        self.cache.flush_all();
        self.tlb.flush();
    }

    /// Tells the CPU that `len` bytes at host memory offset `offset` changed
    /// (DMA, a debugger write): cached code there is dropped.
    pub fn invalidate_memory(&mut self, offset: usize, len: usize) {
        if self.cache.invalidate_range(offset, len) {
            self.stop_block = true;
        }
    }

    #[inline(always)]
    pub(crate) fn code32(&self) -> bool {
        self.seg[SegReg::Cs as usize].attr & ATTR_DB != 0
    }

    #[inline(always)]
    pub(crate) fn stack32(&self) -> bool {
        self.seg[SegReg::Ss as usize].attr & ATTR_DB != 0
    }

    #[inline(always)]
    pub(crate) fn protected(&self) -> bool {
        self.cr0 & CR0_PE != 0
    }

    /// 8/16/32-bit general register read; 8-bit indexes 4-7 are AH..BH.
    #[inline(always)]
    pub(crate) fn reg_get<const W: u32>(&self, r: u8) -> u32 {
        match W {
            8 => {
                if r < 4 {
                    self.regs[r as usize] & 0xFF
                } else {
                    (self.regs[(r & 3) as usize] >> 8) & 0xFF
                }
            }
            16 => self.regs[r as usize & 7] & 0xFFFF,
            _ => self.regs[r as usize & 7],
        }
    }

    #[inline(always)]
    pub(crate) fn reg_set<const W: u32>(&mut self, r: u8, v: u32) {
        match W {
            8 => {
                if r < 4 {
                    let x = &mut self.regs[r as usize];
                    *x = (*x & !0xFF) | (v & 0xFF);
                } else {
                    let x = &mut self.regs[(r & 3) as usize];
                    *x = (*x & !0xFF00) | ((v & 0xFF) << 8);
                }
            }
            16 => {
                let x = &mut self.regs[r as usize & 7];
                *x = (*x & !0xFFFF) | (v & 0xFFFF);
            }
            _ => self.regs[r as usize & 7] = v,
        }
    }
}
