//! The CPU's view of video memory through the legacy window A0000h-BFFFFh:
//! the memory map select, chain-4, odd/even and planar addressing, the
//! latches, read modes 0-1 and write modes 0-3.

use super::regs::{
    GR5_ODD_EVEN, GR5_READ_COMPARE, GR_BIT_MASK, GR_COLOR_COMPARE, GR_DONT_CARE,
    GR_ENABLE_SET_RESET, GR_MISC, GR_MODE, GR_READ_MAP, GR_ROTATE, GR_SET_RESET, SR4_CHAIN4,
    SR4_SEQUENTIAL, SR_MAP_MASK, SR_MEMORY_MODE,
};
use super::{Vga, MMIO_BASE, MMIO_SIZE, PLANE_SIZE};

/// Size of the VBE bank window at A0000h.
const BANK_WINDOW: u32 = 0x1_0000;

/// Expands bit `p` of `bits` to a whole byte.
fn spread(bits: u8, p: usize) -> u8 {
    if bits & (1 << p) != 0 {
        0xFF
    } else {
        0x00
    }
}

impl Vga {
    /// Number of addresses in one plane: 64 KiB in VGA modes, a quarter of
    /// video memory in the VBE planar modes.
    pub(super) fn plane_limit(&self) -> u32 {
        if self.dispi.planar() {
            (self.vram.len() / 4) as u32
        } else {
            PLANE_SIZE
        }
    }

    /// Byte `addr` of `plane` (addresses wrap at the plane size).
    pub(super) fn plane_byte(&self, plane: usize, addr: u32) -> u8 {
        let a = (addr % self.plane_limit()) as usize;
        self.vram[a * 4 + (plane & 3)]
    }

    /// The four planes' bytes at `addr`, plane 0 first.
    pub(super) fn plane_bytes(&self, addr: u32) -> [u8; 4] {
        let a = (addr % self.plane_limit()) as usize * 4;
        [
            self.vram[a],
            self.vram[a + 1],
            self.vram[a + 2],
            self.vram[a + 3],
        ]
    }

    /// Offset within the window GR6 selects, or `None` outside it.
    fn decode_window(&self, off: u32) -> Option<u32> {
        match (self.gc[GR_MISC] >> 2) & 3 {
            0 => Some(off),
            1 => (off < 0x1_0000).then_some(off),
            2 => (0x1_0000..0x1_8000).contains(&off).then(|| off - 0x1_0000),
            _ => (0x1_8000..0x2_0000).contains(&off).then(|| off - 0x1_8000),
        }
    }

    /// The VBE packed-pixel bank window: offset into `vram` for `off` bytes
    /// into the legacy window.
    fn bank_offset(&self, off: u32) -> Option<u32> {
        (off < BANK_WINDOW).then(|| self.dispi.bank_base() + off)
    }

    /// Plane address for the CPU's window offset `off` (after the address
    /// bits that pick the plane are dropped).
    fn with_bank(&self, addr: u32) -> u32 {
        let base = if self.dispi.planar() {
            self.dispi.bank_base()
        } else {
            0
        };
        base.wrapping_add(addr) % self.plane_limit()
    }

    /// A CPU read of physical address `addr` in the legacy window. Loads the
    /// latches; outside the window selected by GR6 the bus floats (FFh).
    pub fn mem_read(&mut self, addr: u32, now: u64) -> u8 {
        self.see(now);
        let off = addr.wrapping_sub(MMIO_BASE);
        if off >= MMIO_SIZE {
            return 0xFF;
        }
        if self.dispi.packed() {
            return match self.bank_offset(off) {
                Some(o) => self.lfb_read(o),
                None => 0xFF,
            };
        }
        let Some(off) = self.decode_window(off) else {
            return 0xFF;
        };
        let (addr, plane) = if self.seq[SR_MEMORY_MODE] & SR4_CHAIN4 != 0 {
            (off & !3, off & 3)
        } else if self.gc[GR_MODE] & GR5_ODD_EVEN != 0 {
            (off & !1, u32::from(self.gc[GR_READ_MAP] & 2) | (off & 1))
        } else {
            (off, u32::from(self.gc[GR_READ_MAP] & 3))
        };
        self.latch = self.plane_bytes(self.with_bank(addr));
        if self.gc[GR_MODE] & GR5_READ_COMPARE == 0 {
            return self.latch[plane as usize];
        }
        // Read mode 1: a bit is set where every plane that is not "don't
        // care" matches the colour compare value.
        let compare = self.gc[GR_COLOR_COMPARE];
        let care = self.gc[GR_DONT_CARE];
        (0..4)
            .filter(|&p| care & (1 << p) != 0)
            .fold(0xFF, |acc, p| acc & !(self.latch[p] ^ spread(compare, p)))
    }

    /// A CPU write of `value` to physical address `addr` in the legacy
    /// window; ignored outside the window selected by GR6.
    pub fn mem_write(&mut self, addr: u32, value: u8) {
        let off = addr.wrapping_sub(MMIO_BASE);
        if off >= MMIO_SIZE {
            return;
        }
        if self.dispi.packed() {
            if let Some(o) = self.bank_offset(off) {
                self.lfb_write(o, value);
            }
            return;
        }
        let Some(off) = self.decode_window(off) else {
            return;
        };
        let mode = self.seq[SR_MEMORY_MODE];
        let (addr, planes) = if mode & SR4_CHAIN4 != 0 {
            (off & !3, 1u8 << (off & 3))
        } else if mode & SR4_SEQUENTIAL == 0 {
            // Odd/even: A0 picks the odd or the even planes.
            (off & !1, if off & 1 != 0 { 0b1010 } else { 0b0101 })
        } else {
            (off, 0b1111)
        };
        let planes = planes & self.seq[SR_MAP_MASK];
        if planes == 0 {
            return;
        }
        let data = self.write_data(value);
        let base = self.with_bank(addr) as usize * 4;
        for (p, &v) in data.iter().enumerate() {
            if planes & (1 << p) != 0 {
                self.vram[base + p] = v;
            }
        }
    }

    /// What the graphics controller drives onto the four planes for a CPU
    /// write of `value`, per write mode, function select and bit mask.
    fn write_data(&self, value: u8) -> [u8; 4] {
        let write_mode = self.gc[GR_MODE] & 3;
        if write_mode == 1 {
            return self.latch;
        }
        let rotated = value.rotate_right(u32::from(self.gc[GR_ROTATE] & 7));
        let function = (self.gc[GR_ROTATE] >> 3) & 3;
        let set_reset = self.gc[GR_SET_RESET];
        let enable = self.gc[GR_ENABLE_SET_RESET];
        let mask = match write_mode {
            3 => rotated & self.gc[GR_BIT_MASK],
            _ => self.gc[GR_BIT_MASK],
        };
        let mut out = [0; 4];
        for (p, o) in out.iter_mut().enumerate() {
            let src = match write_mode {
                0 if enable & (1 << p) != 0 => spread(set_reset, p),
                0 => rotated,
                2 => spread(value, p),
                _ => spread(set_reset, p),
            };
            let latch = self.latch[p];
            let alu = match function {
                0 => src,
                1 => src & latch,
                2 => src | latch,
                _ => src ^ latch,
            };
            *o = (alu & mask) | (latch & !mask);
        }
        out
    }
}
