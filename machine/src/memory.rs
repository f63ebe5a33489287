//! Physical memory: RAM and the firmware ROM in one host buffer.
//!
//! The buffer holds RAM first, then the ROM image. The ROM sits so that its
//! last byte is at 0xFFFFF and again at 0xFFFFFFFF, as a PC's BIOS does;
//! everything else that is not RAM reads as all ones.

use oxbox_cpu::PageMap;

/// Largest ROM image: the 128 KiB window below 1 MiB from 0xE0000.
pub const MAX_ROM: usize = 128 * 1024;

pub struct Memory {
    /// RAM bytes followed by the ROM bytes.
    pub bytes: Vec<u8>,
    pub ram_size: usize,
    rom_len: usize,
}

impl Memory {
    /// `ram_size` must be a multiple of 4 KiB; `rom` at most [`MAX_ROM`]
    /// bytes and a multiple of 4 KiB (the caller validates user input).
    pub fn new(ram_size: usize, rom: &[u8]) -> Self {
        let mut bytes = vec![0u8; ram_size + rom.len()];
        bytes[ram_size..].copy_from_slice(rom);
        Memory { bytes, ram_size, rom_len: rom.len() }
    }

    /// Where the ROM starts below 1 MiB.
    fn rom_low(&self) -> u32 {
        0x10_0000 - self.rom_len as u32
    }

    /// Where the ROM's alias below 4 GiB starts.
    fn rom_high(&self) -> u32 {
        (0x1_0000_0000u64 - self.rom_len as u64) as u32
    }

    pub fn map_page(&self, phys: u32) -> PageMap {
        let page = phys & !0xFFF;
        if self.rom_len > 0 {
            if (self.rom_low()..0x10_0000).contains(&page) {
                return PageMap::Direct { offset: self.ram_size + (page - self.rom_low()) as usize, writable: false };
            }
            if page >= self.rom_high() {
                return PageMap::Direct { offset: self.ram_size + (page - self.rom_high()) as usize, writable: false };
            }
        }
        if (page as usize) < self.ram_size {
            return PageMap::Direct { offset: page as usize, writable: true };
        }
        PageMap::Mmio
    }

    /// The host offset of a physical RAM byte, if it is plain RAM.
    pub fn ram_offset(&self, phys: u32) -> Option<usize> {
        match self.map_page(phys) {
            PageMap::Direct { offset, writable: true } => Some(offset + (phys & 0xFFF) as usize),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rom_is_mapped_below_1m_and_4g() {
        let rom: Vec<u8> = (0..0x10000u32).map(|i| i as u8).collect();
        let m = Memory::new(1 << 20, &rom);
        assert_eq!(m.map_page(0xF0000), PageMap::Direct { offset: 1 << 20, writable: false });
        assert_eq!(m.map_page(0xFFFF_F123), PageMap::Direct { offset: (1 << 20) + 0xF000, writable: false });
        assert_eq!(m.map_page(0x1000), PageMap::Direct { offset: 0x1000, writable: true });
        assert_eq!(m.map_page(0x20_0000), PageMap::Mmio);
        assert_eq!(m.ram_offset(0x1234), Some(0x1234));
        assert_eq!(m.ram_offset(0xF0000), None);
    }
}
