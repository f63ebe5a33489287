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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
        Segment { selector, base: (selector as u32) << 4, limit: 0xFFFF, attr: 0x93 }
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
pub(crate) const CR0_EM: u32 = 1 << 2;
pub(crate) const CR0_ET: u32 = 1 << 4;

/// The processor. Generic over its bus so that bus calls are static.
pub struct Cpu<B: Bus> {
    /// EAX ECX EDX EBX ESP EBP ESI EDI, then a zero slot for EA arithmetic.
    pub(crate) regs: [u32; 9],
    pub(crate) eip: u32,
    pub(crate) eflags: u32,
    pub(crate) lazy: Lazy,
    pub(crate) seg: [Segment; 6],
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
    /// Set by handlers to end the current block after this op.
    pub(crate) stop_block: bool,
    /// Why `run` must return after the current op, if it must.
    pub(crate) exit: Option<crate::exec::Exit>,
    pub(crate) model: CpuModel,
    pub(crate) tlb: Tlb,
    pub(crate) cache: CodeCache<B>,
    pub(crate) fpu: crate::x87::Fpu,
}

impl<B: Bus> Cpu<B> {
    pub fn new(model: CpuModel) -> Self {
        let mut cpu = Cpu {
            regs: [0; 9],
            eip: 0,
            eflags: FLAG_FIXED,
            lazy: Lazy::none(),
            seg: [Segment::real(0); 6],
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
            stop_block: false,
            exit: None,
            model,
            tlb: Tlb::new(),
            cache: CodeCache::new(),
            fpu: crate::x87::Fpu::new(),
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
        self.seg = [Segment::real(0); 6];
        self.seg[SegReg::Cs as usize] = Segment { selector: 0xF000, base: 0xFFFF_0000, limit: 0xFFFF, attr: 0x9B };
        self.cr0 = 0x6000_0000 | CR0_ET;
        self.cr2 = 0;
        self.cr3 = 0;
        self.cr4 = 0;
        self.dr = [0, 0, 0, 0, 0, 0, 0xFFFF_0FF0, 0x400];
        self.gdtr = (0, 0xFFFF);
        self.idtr = (0, 0x3FF);
        self.halted = false;
        self.irq_shadow = u64::MAX;
        self.stop_block = false;
        self.exit = None;
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
        let s = &mut self.seg[reg as usize];
        s.selector = selector;
        s.base = (selector as u32) << 4;
    }

    /// Loads a segment register with an explicit descriptor cache.
    pub fn set_segment(&mut self, reg: SegReg, seg: Segment) {
        self.seg[reg as usize] = seg;
    }

    pub fn cr0(&self) -> u32 {
        self.cr0
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
    /// [`Cpu::invalidate_physical`] instead).
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
