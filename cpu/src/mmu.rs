//! Memory: segmentation, then paging, then a software TLB from linear page
//! to host memory offset.
//!
//! The TLB is direct-mapped, with separate read and write halves and a
//! separate set for user (CPL 3) and supervisor accesses, so privilege
//! changes never flush it. A read entry exists only where a read at that
//! privilege is allowed; a write entry only where a write is allowed and the
//! page's dirty bit is already set, and never for a page holding cached code,
//! so such writes take the slow path, which sets D or drops stale blocks.

use crate::bus::{Bus, PageMap};
use crate::cpu::{Cpu, SegReg, CR0_PG, CR0_WP, CR4_PGE, CR4_PSE};
use crate::fault::{Exception, Fault, Result};
use crate::hooks::MemAccess;

const TLB_BITS: u32 = 10;
const TLB_SIZE: usize = 1 << TLB_BITS;
const INVALID: u32 = u32::MAX;

const PTE_P: u32 = 1 << 0;
const PTE_W: u32 = 1 << 1;
const PTE_U: u32 = 1 << 2;
const PTE_A: u32 = 1 << 5;
const PTE_D: u32 = 1 << 6;
const PDE_PS: u32 = 1 << 7;
const PTE_G: u32 = 1 << 8;

/// #PF error code bits.
const PF_PRESENT: u32 = 1 << 0;
const PF_WRITE: u32 = 1 << 1;
const PF_USER: u32 = 1 << 2;

#[derive(Clone, Copy)]
struct Entry {
    /// Linear page number, or `INVALID`.
    page: u32,
    /// The mapping survives CR3 loads (PGE).
    global: bool,
    /// Host memory offset of the page's first byte.
    host: usize,
}

const EMPTY: Entry = Entry {
    page: INVALID,
    global: false,
    host: 0,
};

type Set = [[Entry; TLB_SIZE]; 2];

/// One cached translation, as [`Cpu::tlb_entries`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbEntry {
    /// The linear page's first address.
    pub linear: u32,
    /// Offset of the page in the bus's host memory (for RAM, the physical
    /// address).
    pub host: usize,
    /// Cached for CPL 3 accesses (else for CPL 0-2).
    pub user: bool,
    /// A write entry (else a read entry).
    pub write: bool,
    /// A global page (PGE): kept across CR3 loads.
    pub global: bool,
}

pub(crate) struct Tlb {
    read: Box<Set>,
    write: Box<Set>,
    /// Bumped by every flush that can change a code translation, so the
    /// jump cache knows its entries are stale.
    pub gen: u64,
}

impl Tlb {
    pub fn new() -> Self {
        Tlb {
            read: Box::new([[EMPTY; TLB_SIZE]; 2]),
            write: Box::new([[EMPTY; TLB_SIZE]; 2]),
            gen: 0,
        }
    }

    pub fn flush(&mut self) {
        self.gen = self.gen.wrapping_add(1);
        for s in [&mut self.read, &mut self.write] {
            for half in s.iter_mut() {
                half.fill(EMPTY);
            }
        }
    }

    /// A CR3 load: drops everything but global pages.
    pub fn flush_nonglobal(&mut self) {
        self.gen = self.gen.wrapping_add(1);
        for s in [&mut self.read, &mut self.write] {
            for e in s.iter_mut().flatten() {
                if !e.global {
                    *e = EMPTY;
                }
            }
        }
    }

    pub fn flush_page(&mut self, lin: u32) {
        self.gen = self.gen.wrapping_add(1);
        let i = slot(lin);
        for s in [&mut self.read, &mut self.write] {
            for half in s.iter_mut() {
                if half[i].page == lin >> 12 {
                    half[i] = EMPTY;
                }
            }
        }
    }

    /// Every cached translation, for debuggers: read and write sets, each
    /// with its supervisor and user half.
    pub fn entries(&self) -> Vec<TlbEntry> {
        let mut out = Vec::new();
        for (write, set) in [(false, &self.read), (true, &self.write)] {
            for (user, half) in set.iter().enumerate() {
                for e in half.iter().filter(|e| e.page != INVALID) {
                    out.push(TlbEntry {
                        linear: e.page << 12,
                        host: e.host,
                        user: user == 1,
                        write,
                        global: e.global,
                    });
                }
            }
        }
        out.sort_by_key(|e| (e.linear, e.user, e.write));
        out
    }

    pub fn flush_writes(&mut self) {
        for half in self.write.iter_mut() {
            half.fill(EMPTY);
        }
    }
}

#[inline(always)]
fn slot(lin: u32) -> usize {
    (lin >> 12) as usize & (TLB_SIZE - 1)
}

#[inline(always)]
pub(crate) fn load<const W: u32>(m: &[u8], h: usize) -> u32 {
    match W {
        8 => m[h] as u32,
        16 => u16::from_le_bytes([m[h], m[h + 1]]) as u32,
        _ => u32::from_le_bytes([m[h], m[h + 1], m[h + 2], m[h + 3]]),
    }
}

#[inline(always)]
pub(crate) fn store<const W: u32>(m: &mut [u8], h: usize, v: u32) {
    match W {
        8 => m[h] = v as u8,
        16 => m[h..h + 2].copy_from_slice(&(v as u16).to_le_bytes()),
        _ => m[h..h + 4].copy_from_slice(&v.to_le_bytes()),
    }
}

/// Kinds of linear access, for paging checks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    Execute,
}

/// A successful translation.
struct Walk {
    phys: u32,
    global: bool,
    /// A write through this mapping would not need to set D or fault.
    write_ok: bool,
}

impl<B: Bus> Cpu<B> {
    /// The software TLB's live entries (for debuggers; not on any hot path).
    pub fn tlb_entries(&self) -> Vec<TlbEntry> {
        self.tlb.entries()
    }

    /// Reads a physical dword (page tables, descriptor tables when needed).
    pub(crate) fn phys_read32(&mut self, bus: &mut B, addr: u32) -> u32 {
        // Page-table entries are aligned dwords: one page lookup, one load.
        // (An aligned dword never straddles a page or the A20 bit.)
        if addr & 3 == 0 {
            let a = addr & self.a20_mask;
            if let PageMap::Direct { offset, .. } = bus.map_page(a) {
                if offset + 0x1000 <= bus.memory().len() {
                    return load::<32>(bus.memory(), offset + (a & 0xFFF) as usize);
                }
            }
        }
        let mut v = 0;
        for i in 0..4 {
            v |= (self.phys_read8(bus, addr.wrapping_add(i)) as u32) << (8 * i);
        }
        v
    }

    pub(crate) fn phys_read8(&mut self, bus: &mut B, addr: u32) -> u8 {
        let addr = addr & self.a20_mask;
        match bus.map_page(addr) {
            PageMap::Direct { offset, .. } if offset + 0x1000 <= bus.memory().len() => {
                bus.memory()[offset + (addr & 0xFFF) as usize]
            }
            _ => bus.read_slow(addr),
        }
    }

    pub(crate) fn phys_write8(&mut self, bus: &mut B, addr: u32, v: u8) {
        let addr = addr & self.a20_mask;
        match bus.map_page(addr) {
            PageMap::Direct {
                offset,
                writable: true,
            } if offset + 0x1000 <= bus.memory().len() => {
                let host = offset + (addr & 0xFFF) as usize;
                bus.note_ram_write(host);
                if self.cache.page_has_code(offset) && self.cache.invalidate_range(host, 1) {
                    self.stop_block = true;
                }
                bus.memory()[host] = v;
            }
            _ => bus.write_slow(addr, v),
        }
    }

    pub(crate) fn phys_write32(&mut self, bus: &mut B, addr: u32, v: u32) {
        for i in 0..4 {
            self.phys_write8(bus, addr.wrapping_add(i), (v >> (8 * i)) as u8);
        }
    }

    /// Linear to physical, with paging checks for an access at privilege
    /// `user`. Sets accessed and dirty bits as the hardware does.
    fn walk(&mut self, bus: &mut B, lin: u32, access: Access, user: bool) -> Result<Walk> {
        self.stats.page_walks += 1;
        if self.cr0 & CR0_PG == 0 {
            return Ok(Walk {
                phys: lin & self.a20_mask,
                global: false,
                write_ok: true,
            });
        }
        let write = access == Access::Write;
        let pde_addr = (self.cr3 & 0xFFFF_F000) | ((lin >> 20) & 0xFFC);
        let pde = self.phys_read32(bus, pde_addr);
        let fault = |cpu: &mut Self, present: bool| {
            cpu.fault_addr = lin;
            let code =
                (present as u32 * PF_PRESENT) | (write as u32 * PF_WRITE) | (user as u32 * PF_USER);
            Err(Fault::with_code(Exception::PageFault, code))
        };
        if pde & PTE_P == 0 {
            return fault(self, false);
        }
        let big = pde & PDE_PS != 0 && self.cr4 & CR4_PSE != 0;
        let (pte_addr, pte) = if big {
            (pde_addr, pde)
        } else {
            let a = (pde & 0xFFFF_F000) | ((lin >> 10) & 0xFFC);
            let e = self.phys_read32(bus, a);
            if e & PTE_P == 0 {
                return fault(self, false);
            }
            (a, e)
        };
        let u_ok = pde & pte & PTE_U != 0;
        let w_ok = pde & pte & PTE_W != 0;
        if user && !u_ok {
            return fault(self, true);
        }
        let can_write = if user {
            w_ok
        } else {
            w_ok || self.cr0 & CR0_WP == 0
        };
        if write && !can_write {
            return fault(self, true);
        }
        if !big && pde & PTE_A == 0 {
            self.phys_write32(bus, pde_addr, pde | PTE_A);
        }
        let want = PTE_A | if write { PTE_D } else { 0 };
        if pte & want != want {
            self.phys_write32(bus, pte_addr, pte | want);
        }
        let phys = if big {
            (pte & 0xFFC0_0000) | (lin & 0x003F_FFFF)
        } else {
            (pte & 0xFFFF_F000) | (lin & 0xFFF)
        };
        let global = pte & PTE_G != 0 && self.cr4 & CR4_PGE != 0;
        let dirty = pte & PTE_D != 0 || write;
        Ok(Walk {
            phys: phys & self.a20_mask,
            global,
            write_ok: can_write && dirty,
        })
    }

    /// Translation without side effects for debuggers: `None` if unmapped.
    pub fn translate_debug(&mut self, bus: &mut B, lin: u32) -> Option<u32> {
        if self.cr0 & CR0_PG == 0 {
            return Some(lin & self.a20_mask);
        }
        let pde = self.phys_read32(bus, (self.cr3 & 0xFFFF_F000) | ((lin >> 20) & 0xFFC));
        if pde & PTE_P == 0 {
            return None;
        }
        if pde & PDE_PS != 0 && self.cr4 & CR4_PSE != 0 {
            return Some(((pde & 0xFFC0_0000) | (lin & 0x003F_FFFF)) & self.a20_mask);
        }
        let pte = self.phys_read32(bus, (pde & 0xFFFF_F000) | ((lin >> 10) & 0xFFC));
        (pte & PTE_P != 0).then_some(((pte & 0xFFFF_F000) | (lin & 0xFFF)) & self.a20_mask)
    }

    /// Host offset of a linear address for code fetch, or `None` for code
    /// outside directly mapped memory.
    pub(crate) fn code_host(&mut self, bus: &mut B, lin: u32) -> Result<Option<usize>> {
        let u = self.user as usize;
        let e = self.tlb.read[u][slot(lin)];
        if e.page == lin >> 12 {
            return Ok(Some(e.host + (lin & 0xFFF) as usize));
        }
        let w = self.walk(bus, lin, Access::Execute, self.user)?;
        match bus.map_page(w.phys) {
            PageMap::Direct { offset, .. } if offset + 0x1000 <= bus.memory().len() => {
                if !self.dbg_data && !self.api_mem_watch && !self.ac_active {
                    self.tlb.read[u][slot(lin)] = Entry {
                        page: lin >> 12,
                        global: w.global,
                        host: offset,
                    };
                }
                Ok(Some(offset + (w.phys & 0xFFF) as usize))
            }
            _ => Ok(None),
        }
    }

    /// Reads a byte of code at a linear address through the slow path.
    pub(crate) fn code_byte(&mut self, bus: &mut B, lin: u32) -> Result<u8> {
        self.hooks.fetching = true;
        let b = self.read_lin_as::<8>(bus, lin, self.user);
        self.hooks.fetching = false;
        Ok(b? as u8)
    }

    /// The host offset of `lin` if the TLB already maps its page for this
    /// kind of access at the current privilege. A write entry exists only
    /// for pages that hold no cached code and may be written without any
    /// check (see `write_lin_as`), so bulk writes through it need none.
    #[inline(always)]
    pub(crate) fn tlb_host(&self, lin: u32, write: bool) -> Option<usize> {
        let set = if write {
            &self.tlb.write
        } else {
            &self.tlb.read
        };
        let e = set[self.user as usize][slot(lin)];
        (e.page == lin >> 12).then_some(e.host + (lin & 0xFFF) as usize)
    }

    #[inline(always)]
    pub(crate) fn read_lin<const W: u32>(&mut self, bus: &mut B, lin: u32) -> Result<u32> {
        let e = self.tlb.read[self.user as usize][slot(lin)];
        let off = lin & 0xFFF;
        if e.page == lin >> 12 && off <= 0x1000 - W / 8 {
            return Ok(load::<W>(bus.memory(), e.host + off as usize));
        }
        self.read_lin_as::<W>(bus, lin, self.user)
    }

    #[inline(always)]
    pub(crate) fn write_lin<const W: u32>(&mut self, bus: &mut B, lin: u32, v: u32) -> Result<()> {
        let e = self.tlb.write[self.user as usize][slot(lin)];
        let off = lin & 0xFFF;
        if e.page == lin >> 12 && off <= 0x1000 - W / 8 {
            store::<W>(bus.memory(), e.host + off as usize, v);
            return Ok(());
        }
        self.write_lin_as::<W>(bus, lin, v, self.user)
    }

    /// A read at an explicit privilege (`user = false` for the implicit
    /// supervisor accesses to descriptor tables, the TSS and inner stacks).
    #[inline(never)]
    pub(crate) fn read_lin_as<const W: u32>(
        &mut self,
        bus: &mut B,
        lin: u32,
        user: bool,
    ) -> Result<u32> {
        if self.ac_active && user && W > 8 && lin & (W / 8 - 1) != 0 {
            return Err(Fault::with_code(Exception::AlignmentCheck, 0));
        }
        if self.dbg_data {
            self.data_bp_check(lin, W / 8, false);
        }
        if self.api_mem_watch {
            self.check_memory_watch(lin, W / 8, false);
        }
        let mut v = 0u32;
        let mut i = 0;
        let mut phys = 0;
        while i < W / 8 {
            let a = lin.wrapping_add(i);
            let w = self.walk(bus, a, Access::Read, user)?;
            if i == 0 {
                phys = w.phys;
            }
            match bus.map_page(w.phys) {
                PageMap::Direct { offset, .. } if offset + 0x1000 <= bus.memory().len() => {
                    if !self.dbg_data && !self.api_mem_watch && !self.ac_active {
                        self.tlb.read[user as usize][slot(a)] = Entry {
                            page: a >> 12,
                            global: w.global,
                            host: offset,
                        };
                    }
                    // Take every byte of the access that lies in this page.
                    let m = bus.memory();
                    while i < W / 8 && (lin.wrapping_add(i) >> 12) == a >> 12 {
                        let o = offset + (lin.wrapping_add(i) & 0xFFF) as usize;
                        v |= (m[o] as u32) << (8 * i);
                        i += 1;
                    }
                }
                _ => {
                    bus.sync(self.icount);
                    v |= (bus.read_slow(w.phys) as u32) << (8 * i);
                    i += 1;
                }
            }
        }
        if self.api_mem_watch {
            self.hook_memory(
                bus,
                MemAccess {
                    linear: lin,
                    physical: phys,
                    size: (W / 8) as u8,
                    value: v,
                    write: false,
                },
            );
        }
        Ok(v)
    }

    #[inline(never)]
    pub(crate) fn write_lin_as<const W: u32>(
        &mut self,
        bus: &mut B,
        lin: u32,
        v: u32,
        user: bool,
    ) -> Result<()> {
        if self.ac_active && user && W > 8 && lin & (W / 8 - 1) != 0 {
            return Err(Fault::with_code(Exception::AlignmentCheck, 0));
        }
        if self.dbg_data {
            self.data_bp_check(lin, W / 8, true);
        }
        if self.api_mem_watch {
            self.check_memory_watch(lin, W / 8, true);
        }
        // Translate every byte first so a fault leaves memory untouched.
        let mut walks = [(0u32, false, false); 4];
        for i in 0..W / 8 {
            let w = self.walk(bus, lin.wrapping_add(i), Access::Write, user)?;
            walks[i as usize] = (w.phys, w.global, w.write_ok);
        }
        for i in 0..W / 8 {
            let a = lin.wrapping_add(i);
            let (p, global, write_ok) = walks[i as usize];
            let byte = (v >> (8 * i)) as u8;
            match bus.map_page(p) {
                PageMap::Direct {
                    offset,
                    writable: true,
                } if offset + 0x1000 <= bus.memory().len() => {
                    let host = offset + (p & 0xFFF) as usize;
                    bus.note_ram_write(host);
                    if self.cache.page_has_code(offset) {
                        if self.cache.invalidate_range(host, 1) {
                            self.stop_block = true;
                        }
                    } else if write_ok && !self.dbg_data && !self.api_mem_watch && !self.ac_active {
                        self.tlb.write[user as usize][slot(a)] = Entry {
                            page: a >> 12,
                            global,
                            host: offset,
                        };
                    }
                    bus.memory()[host] = byte;
                }
                _ => {
                    bus.sync(self.icount);
                    bus.write_slow(p, byte)
                }
            }
        }
        if self.api_mem_watch {
            self.hook_memory(
                bus,
                MemAccess {
                    linear: lin,
                    physical: walks[0].0,
                    size: (W / 8) as u8,
                    value: v,
                    write: true,
                },
            );
        }
        Ok(())
    }

    #[inline(always)]
    fn seg_fault(seg: u8) -> Fault {
        if seg == SegReg::Ss as u8 {
            Fault::SS0
        } else {
            Fault::GP0
        }
    }

    /// Segment checks for a read of W bits at `seg:off`; the linear address.
    #[inline(always)]
    pub(crate) fn linear<const W: u32>(&self, seg: u8, off: u32) -> Result<u32> {
        let s = &self.segx[seg as usize];
        if off < s.rlo || off as u64 + (W / 8 - 1) as u64 > s.rhi as u64 {
            return Err(Self::seg_fault(seg));
        }
        Ok(s.base.wrapping_add(off))
    }

    /// Segment checks for a write.
    #[inline(always)]
    pub(crate) fn linear_w<const W: u32>(&self, seg: u8, off: u32) -> Result<u32> {
        let s = &self.segx[seg as usize];
        if off < s.wlo || off as u64 + (W / 8 - 1) as u64 > s.whi as u64 {
            return Err(Self::seg_fault(seg));
        }
        Ok(s.base.wrapping_add(off))
    }

    #[inline(always)]
    pub(crate) fn read<const W: u32>(&mut self, bus: &mut B, seg: u8, off: u32) -> Result<u32> {
        let lin = self.linear::<W>(seg, off)?;
        self.read_lin::<W>(bus, lin)
    }

    #[inline(always)]
    pub(crate) fn write<const W: u32>(
        &mut self,
        bus: &mut B,
        seg: u8,
        off: u32,
        v: u32,
    ) -> Result<()> {
        let lin = self.linear_w::<W>(seg, off)?;
        self.write_lin::<W>(bus, lin, v)
    }

    /// A read that the same instruction follows with a write to the same
    /// place: the segment and paging checks are a write's, as on hardware
    /// (a not-present page faults with W=1 already on the read).
    #[inline(always)]
    pub(crate) fn read_rmw<const W: u32>(&mut self, bus: &mut B, seg: u8, off: u32) -> Result<u32> {
        let lin = self.linear_w::<W>(seg, off)?;
        let e = self.tlb.write[self.user as usize][slot(lin)];
        let o = lin & 0xFFF;
        if e.page == lin >> 12 && o <= 0x1000 - W / 8 {
            return Ok(load::<W>(bus.memory(), e.host + o as usize));
        }
        self.read_rmw_slow::<W>(bus, lin)
    }

    #[inline(never)]
    fn read_rmw_slow<const W: u32>(&mut self, bus: &mut B, lin: u32) -> Result<u32> {
        for i in 0..W / 8 {
            self.walk(bus, lin.wrapping_add(i), Access::Write, self.user)?;
        }
        self.read_lin_as::<W>(bus, lin, self.user)
    }

    /// Supervisor-privilege linear read (descriptor tables, TSS).
    pub(crate) fn read_sys<const W: u32>(&mut self, bus: &mut B, lin: u32) -> Result<u32> {
        self.read_lin_as::<W>(bus, lin, false)
    }

    pub(crate) fn write_sys<const W: u32>(&mut self, bus: &mut B, lin: u32, v: u32) -> Result<()> {
        self.write_lin_as::<W>(bus, lin, v, false)
    }

    /// Alignment checking (#AC) is on at CPL 3 when CR0.AM and EFLAGS.AC
    /// are both set. While it is, no TLB entries are made, so every access
    /// takes the slow path, which checks alignment.
    #[inline(always)]
    pub(crate) fn update_alignment_check(&mut self) {
        if self.cr0 & crate::cpu::CR0_AM != 0 || self.ac_active {
            let on = self.cr0 & crate::cpu::CR0_AM != 0
                && self.eflags & crate::flags::FLAG_AC != 0
                && self.cpl == 3;
            if on != self.ac_active {
                self.ac_active = on;
                self.tlb.flush();
            }
        }
    }

    /// Called when a page starts holding cached code: no write entry may
    /// keep pointing at it.
    pub(crate) fn code_page_added(&mut self) {
        self.tlb.flush_writes();
    }
}
