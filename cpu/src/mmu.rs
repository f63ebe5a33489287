//! Memory: segmentation, then linear-to-physical translation, then a
//! software TLB from linear page to host memory offset.
//!
//! The TLB is direct-mapped with separate read and write halves. Write
//! entries are never created for pages that hold cached code, so a write to
//! code always takes the slow path, where it drops the stale blocks.

use crate::bus::{Bus, PageMap};
use crate::cpu::{Cpu, SegReg};
use crate::fault::{Fault, Result};

const TLB_BITS: u32 = 10;
const TLB_SIZE: usize = 1 << TLB_BITS;
const INVALID: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Entry {
    /// Linear page number, or `INVALID`.
    page: u32,
    /// Host memory offset of the page's first byte.
    host: usize,
}

const EMPTY: Entry = Entry { page: INVALID, host: 0 };

pub(crate) struct Tlb {
    read: Box<[Entry; TLB_SIZE]>,
    write: Box<[Entry; TLB_SIZE]>,
}

impl Tlb {
    pub fn new() -> Self {
        Tlb { read: Box::new([EMPTY; TLB_SIZE]), write: Box::new([EMPTY; TLB_SIZE]) }
    }

    pub fn flush(&mut self) {
        self.read.fill(EMPTY);
        self.write.fill(EMPTY);
    }

    pub fn flush_writes(&mut self) {
        self.write.fill(EMPTY);
    }
}

#[inline(always)]
fn slot(lin: u32) -> usize {
    (lin >> 12) as usize & (TLB_SIZE - 1)
}

#[inline(always)]
fn load<const W: u32>(m: &[u8], h: usize) -> u32 {
    match W {
        8 => m[h] as u32,
        16 => u16::from_le_bytes([m[h], m[h + 1]]) as u32,
        _ => u32::from_le_bytes([m[h], m[h + 1], m[h + 2], m[h + 3]]),
    }
}

#[inline(always)]
fn store<const W: u32>(m: &mut [u8], h: usize, v: u32) {
    match W {
        8 => m[h] = v as u8,
        16 => m[h..h + 2].copy_from_slice(&(v as u16).to_le_bytes()),
        _ => m[h..h + 4].copy_from_slice(&v.to_le_bytes()),
    }
}

impl<B: Bus> Cpu<B> {
    /// Linear to physical. Paging arrives with protected mode; until then
    /// this is the identity through the A20 gate.
    #[inline(always)]
    pub(crate) fn translate(&mut self, _bus: &mut B, lin: u32, _write: bool) -> Result<u32> {
        Ok(lin & self.a20_mask)
    }

    /// Host offset of a linear address for code fetch, or `None` for code
    /// outside directly mapped memory.
    pub(crate) fn code_host(&mut self, bus: &mut B, lin: u32) -> Result<Option<usize>> {
        let e = self.tlb.read[slot(lin)];
        if e.page == lin >> 12 {
            return Ok(Some(e.host + (lin & 0xFFF) as usize));
        }
        let phys = self.translate(bus, lin, false)?;
        match bus.map_page(phys) {
            PageMap::Direct { offset, .. } if offset + 0x1000 <= bus.memory().len() => {
                self.tlb.read[slot(lin)] = Entry { page: lin >> 12, host: offset };
                Ok(Some(offset + (lin & 0xFFF) as usize))
            }
            _ => Ok(None),
        }
    }

    /// Reads a byte of code at a linear address through the slow path.
    pub(crate) fn code_byte(&mut self, bus: &mut B, lin: u32) -> Result<u8> {
        Ok(self.read_lin_slow::<8>(bus, lin)? as u8)
    }

    #[inline(always)]
    pub(crate) fn read_lin<const W: u32>(&mut self, bus: &mut B, lin: u32) -> Result<u32> {
        let e = self.tlb.read[slot(lin)];
        let off = lin & 0xFFF;
        if e.page == lin >> 12 && off <= 0x1000 - W / 8 {
            return Ok(load::<W>(bus.memory(), e.host + off as usize));
        }
        self.read_lin_slow::<W>(bus, lin)
    }

    #[inline(always)]
    pub(crate) fn write_lin<const W: u32>(&mut self, bus: &mut B, lin: u32, v: u32) -> Result<()> {
        let e = self.tlb.write[slot(lin)];
        let off = lin & 0xFFF;
        if e.page == lin >> 12 && off <= 0x1000 - W / 8 {
            store::<W>(bus.memory(), e.host + off as usize, v);
            return Ok(());
        }
        self.write_lin_slow::<W>(bus, lin, v)
    }

    #[inline(never)]
    fn read_lin_slow<const W: u32>(&mut self, bus: &mut B, lin: u32) -> Result<u32> {
        let mut v = 0u32;
        for i in 0..W / 8 {
            let a = lin.wrapping_add(i);
            let phys = self.translate(bus, a, false)?;
            let byte = match bus.map_page(phys) {
                PageMap::Direct { offset, .. } if offset + 0x1000 <= bus.memory().len() => {
                    self.tlb.read[slot(a)] = Entry { page: a >> 12, host: offset };
                    bus.memory()[offset + (a & 0xFFF) as usize]
                }
                _ => bus.read_slow(phys),
            };
            v |= (byte as u32) << (8 * i);
        }
        Ok(v)
    }

    #[inline(never)]
    fn write_lin_slow<const W: u32>(&mut self, bus: &mut B, lin: u32, v: u32) -> Result<()> {
        // Translate every byte first so a fault leaves memory untouched.
        let mut phys = [0u32; 4];
        for i in 0..W / 8 {
            phys[i as usize] = self.translate(bus, lin.wrapping_add(i), true)?;
        }
        for i in 0..W / 8 {
            let a = lin.wrapping_add(i);
            let p = phys[i as usize];
            let byte = (v >> (8 * i)) as u8;
            match bus.map_page(p) {
                PageMap::Direct { offset, writable: true } if offset + 0x1000 <= bus.memory().len() => {
                    let host = offset + (p & 0xFFF) as usize;
                    if self.cache.page_has_code(offset) {
                        if self.cache.invalidate_range(host, 1) {
                            self.stop_block = true;
                        }
                    } else {
                        self.tlb.write[slot(a)] = Entry { page: a >> 12, host: offset };
                    }
                    bus.memory()[host] = byte;
                }
                _ => bus.write_slow(p, byte),
            }
        }
        Ok(())
    }

    /// Segment limit check, then the linear address.
    #[inline(always)]
    pub(crate) fn linear<const W: u32>(&self, seg: u8, off: u32) -> Result<u32> {
        let s = &self.seg[seg as usize];
        if off as u64 + (W / 8 - 1) as u64 > s.limit as u64 {
            return Err(if seg == SegReg::Ss as u8 { Fault::SS0 } else { Fault::GP0 });
        }
        Ok(s.base.wrapping_add(off))
    }

    #[inline(always)]
    pub(crate) fn read<const W: u32>(&mut self, bus: &mut B, seg: u8, off: u32) -> Result<u32> {
        let lin = self.linear::<W>(seg, off)?;
        self.read_lin::<W>(bus, lin)
    }

    #[inline(always)]
    pub(crate) fn write<const W: u32>(&mut self, bus: &mut B, seg: u8, off: u32, v: u32) -> Result<()> {
        let lin = self.linear::<W>(seg, off)?;
        self.write_lin::<W>(bus, lin, v)
    }

    /// Called when a page starts holding cached code: no write entry may
    /// keep pointing at it.
    pub(crate) fn code_page_added(&mut self) {
        self.tlb.flush_writes();
    }
}
