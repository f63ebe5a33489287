//! Physical memory: RAM, the firmware ROM and option ROMs in one host buffer.
//!
//! The buffer holds RAM first, then the system ROM image, then option ROM
//! images. The system ROM sits so that its last byte is at 0xFFFFF and again
//! at 0xFFFFFFFF, as a PC's BIOS does. The i440FX PAM registers decide, per
//! area of C0000h-FFFFFh, whether reads and writes there go to RAM (the
//! shadow copy) or to the ROM; an option ROM is visible where the guest put
//! its PCI expansion ROM BAR. Everything else that is not RAM reads as all
//! ones.

use oxbox_cpu::PageMap;
use oxbox_devices::pci::{PamAccess, PAM_AREAS};

/// Largest system ROM image: the 128 KiB window below 1 MiB from 0xE0000.
pub const MAX_ROM: usize = 128 * 1024;

/// The memory-map state that comes from chipset registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MapState {
    pub pam: [PamAccess; 13],
    /// Where the VGA expansion ROM is mapped, if enabled.
    pub vga_rom_base: Option<u32>,
}

/// `len` zero bytes, or `None` if the allocator refuses. The pages come
/// from the allocator already zeroed (calloc/mmap), so a large RAM costs
/// host memory only as the guest touches it.
fn zeroed(len: usize) -> Option<Vec<u8>> {
    if len == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(len).ok()?;
    // SAFETY: `layout` has a non-zero size (len > 0 checked above), as
    // `alloc_zeroed` requires.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was allocated by the global allocator with the layout
    // of `[u8; len]` (alignment 1, size len), which is what a Vec<u8> of
    // capacity `len` deallocates with; all `len` bytes are initialised
    // (zeroed); nothing else owns the pointer.
    Some(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

pub struct Memory {
    /// RAM bytes, then the system ROM, then the VGA option ROM.
    pub bytes: Vec<u8>,
    pub ram_size: usize,
    rom_len: usize,
    vga_rom_len: usize,
    /// Without a chipset (raw ROM runs) C0000h-FFFFFh behave as with every
    /// PAM area set to ROM.
    pub map: MapState,
}

impl Memory {
    /// `ram_size` must be a multiple of 4 KiB; the ROMs multiples of 4 KiB
    /// (the caller validates user input).
    #[cfg(test)]
    pub fn new(ram_size: usize, rom: &[u8], vga_rom: &[u8]) -> Self {
        match Self::try_new(ram_size, rom, vga_rom) {
            Some(m) => m,
            None => panic!("test memory of {ram_size} bytes"),
        }
    }

    /// Like `new`, but `None` when the host will not give that much memory
    /// (a large `-m` under a memory limit) instead of aborting.
    pub fn try_new(ram_size: usize, rom: &[u8], vga_rom: &[u8]) -> Option<Self> {
        let mut bytes = zeroed(
            ram_size
                .checked_add(rom.len())?
                .checked_add(vga_rom.len())?,
        )?;
        bytes[ram_size..ram_size + rom.len()].copy_from_slice(rom);
        bytes[ram_size + rom.len()..].copy_from_slice(vga_rom);
        Some(Memory {
            bytes,
            ram_size,
            rom_len: rom.len(),
            vga_rom_len: vga_rom.len(),
            map: MapState::default(),
        })
    }

    /// Where the ROM starts below 1 MiB.
    fn rom_low(&self) -> u32 {
        0x10_0000 - self.rom_len as u32
    }

    /// Where the ROM's alias below 4 GiB starts.
    fn rom_high(&self) -> u32 {
        (0x1_0000_0000u64 - self.rom_len as u64) as u32
    }

    fn pam_for(&self, page: u32) -> Option<PamAccess> {
        PAM_AREAS
            .iter()
            .position(|&(start, len)| (start..start + len).contains(&page))
            .map(|i| self.map.pam[i])
    }

    /// The ROM byte offset behind a physical page, if a ROM decodes it.
    fn rom_page(&self, page: u32) -> Option<usize> {
        if self.rom_len > 0 {
            if (self.rom_low()..0x10_0000).contains(&page) {
                return Some(self.ram_size + (page - self.rom_low()) as usize);
            }
            if page >= self.rom_high() {
                return Some(self.ram_size + (page - self.rom_high()) as usize);
            }
        }
        if let Some(base) = self.map.vga_rom_base {
            if page >= base && ((page - base) as usize) < self.vga_rom_len {
                return Some(self.ram_size + self.rom_len + (page - base) as usize);
            }
        }
        None
    }

    pub fn map_page(&self, phys: u32) -> PageMap {
        let page = phys & !0xFFF;
        if let Some(pam) = self.pam_for(page) {
            if pam.read_ram && (page as usize) < self.ram_size {
                return PageMap::Direct {
                    offset: page as usize,
                    writable: pam.write_ram,
                };
            }
        } else if (page as usize) < self.ram_size && !(0xA_0000..0xC_0000).contains(&page) {
            return PageMap::Direct {
                offset: page as usize,
                writable: true,
            };
        }
        match self.rom_page(page) {
            Some(offset) => PageMap::Direct {
                offset,
                writable: false,
            },
            None => PageMap::Mmio,
        }
    }

    /// A write the CPU could not do directly: lands in shadow RAM when the
    /// PAM area sends writes there, else is dropped (ROM, holes).
    pub fn write_slow(&mut self, phys: u32, value: u8) -> bool {
        if let Some(pam) = self.pam_for(phys & !0xFFF) {
            if pam.write_ram && (phys as usize) < self.ram_size {
                self.bytes[phys as usize] = value;
                return true;
            }
        }
        false
    }

    /// The host offset of a physical RAM byte, if it is plain RAM.
    pub fn ram_offset(&self, phys: u32) -> Option<usize> {
        match self.map_page(phys) {
            PageMap::Direct {
                offset,
                writable: true,
            } if offset < self.ram_size => Some(offset + (phys & 0xFFF) as usize),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn zeroed_memory_is_zero_and_refusal_is_none() {
        let v = super::zeroed(3 << 20).unwrap_or_default();
        assert_eq!(v.len(), 3 << 20);
        assert!(v.iter().all(|&b| b == 0));
        assert_eq!(super::zeroed(0), Some(Vec::new()));
        // More than any allocator gives.
        assert!(super::zeroed(isize::MAX as usize).is_none());
    }

    use super::*;

    #[test]
    fn rom_is_mapped_below_1m_and_4g() {
        let rom: Vec<u8> = (0..0x10000u32).map(|i| i as u8).collect();
        let m = Memory::new(1 << 20, &rom, &[]);
        assert_eq!(
            m.map_page(0xF0000),
            PageMap::Direct {
                offset: 1 << 20,
                writable: false
            }
        );
        assert_eq!(
            m.map_page(0xFFFF_F123),
            PageMap::Direct {
                offset: (1 << 20) + 0xF000,
                writable: false
            }
        );
        assert_eq!(
            m.map_page(0x1000),
            PageMap::Direct {
                offset: 0x1000,
                writable: true
            }
        );
        assert_eq!(m.map_page(0x20_0000), PageMap::Mmio);
        assert_eq!(m.map_page(0xA_0000), PageMap::Mmio);
        assert_eq!(m.map_page(0xC_0000), PageMap::Mmio);
        assert_eq!(m.ram_offset(0x1234), Some(0x1234));
        assert_eq!(m.ram_offset(0xF0000), None);
    }

    #[test]
    fn pam_shadowing_sends_writes_then_reads_to_ram() {
        let rom = vec![0xAAu8; 0x20000];
        let mut m = Memory::new(4 << 20, &rom, &[]);
        // PAM off: ROM reads, writes dropped.
        assert!(!m.write_slow(0xF0010, 1));
        // Write-enable only: reads still from ROM, writes reach RAM.
        m.map.pam[0] = PamAccess {
            read_ram: false,
            write_ram: true,
        };
        assert!(matches!(
            m.map_page(0xF0000),
            PageMap::Direct {
                writable: false,
                ..
            }
        ));
        assert!(m.write_slow(0xF0010, 0x55));
        // Read-enable too: RAM, writable.
        m.map.pam[0] = PamAccess {
            read_ram: true,
            write_ram: true,
        };
        assert_eq!(
            m.map_page(0xF0000),
            PageMap::Direct {
                offset: 0xF0000,
                writable: true
            }
        );
        assert_eq!(m.bytes[0xF0010], 0x55);
        // The alias below 4 GiB is still ROM.
        assert_eq!(
            m.map_page(0xFFFF_0000),
            PageMap::Direct {
                offset: (4 << 20) + 0x10000,
                writable: false
            }
        );
    }

    #[test]
    fn vga_rom_appears_at_its_bar() {
        let vga = vec![0x55u8; 0x10000];
        let mut m = Memory::new(1 << 20, &[], &vga);
        assert_eq!(m.map_page(0xFEB0_0000), PageMap::Mmio);
        m.map.vga_rom_base = Some(0xFEB0_0000);
        assert_eq!(
            m.map_page(0xFEB0_F000),
            PageMap::Direct {
                offset: (1 << 20) + 0xF000,
                writable: false
            }
        );
        assert_eq!(m.map_page(0xFEB1_0000), PageMap::Mmio);
    }
}
