//! A VGA compatible with the Bochs/QEMU "std VGA", with the Bochs VBE
//! "dispi" extension and a linear framebuffer.
//!
//! The chip answers the VGA ports 3B0h-3DFh (the CRTC and input status 1 at
//! 3B4h/3B5h/3BAh or 3D4h/3D5h/3DAh as misc output bit 0 chooses; the other
//! window decodes nothing), the dispi ports 1CEh/1CFh (and the old aliases
//! FF80h/FF81h), the legacy memory window A0000h-BFFFFh ([`Vga::mem_read`],
//! [`Vga::mem_write`]) and the linear framebuffer the machine puts behind the
//! PCI BAR ([`Vga::lfb_read`], [`Vga::lfb_write`], or [`Vga::vram_mut`]).
//! The VGA BIOS (SeaBIOS's `vgabios-stdvga.bin` or the LGPL VGA BIOS) is the
//! machine's business: it maps the ROM at C0000h and runs it.
//!
//! # Video memory
//!
//! One byte array, `vram` (16 MiB by default), holds everything. The four
//! VGA planes are interleaved in it: byte `a` of plane `p` is `vram[4*a + p]`.
//! In VGA modes a plane has 64 KiB, so the planes occupy the first 256 KiB;
//! in the VBE 4-bit planar modes they extend over all of `vram`. The VBE
//! packed-pixel modes (8 bpp and up) use `vram` as a plain framebuffer:
//! pixel data starts at byte 0, `VIRT_WIDTH * bytes_per_pixel` bytes a line.
//!
//! The **linear framebuffer** is `vram` itself, byte for byte: LFB offset `n`
//! is `vram[n]`, in every mode and whether or not the dispi interface is
//! enabled, and LFB accesses have no side effects (no latches, no plane
//! logic, no time). [`Vga::lfb_read`]/[`Vga::lfb_write`] are the path for a
//! machine that dispatches the BAR as MMIO. Because an LFB access is just a
//! byte of `vram`, the machine may instead map [`Vga::vram_mut`] straight into
//! the guest's physical address space, so that the CPU's TLB treats the BAR
//! as RAM: the buffer is allocated once by the constructor and never resized
//! (its heap address stays put when the `Vga` value moves; only replacing
//! the whole device, as restoring a snapshot does, gives a new buffer), and
//! the renderer reads `vram` afresh every frame, so nothing needs to be told
//! about such writes. The legacy window A0000h-BFFFFh, by contrast, must
//! always go through [`Vga::mem_read`]/[`Vga::mem_write`].
//!
//! # Rendering
//!
//! [`Vga::render`] draws the visible screen into a [`Frame`] of `0x00RRGGBB`
//! pixels at the mode's *logical* resolution: double scanning, the scanlines
//! a graphics row repeats and the doubled pixels of the 256-colour modes are
//! folded away, so mode 13h gives 320x200, mode 12h 640x480, 80x25 text
//! 720x400 (9-dot characters) and 40x25 text 360x400. A frontend scales.
//! [`Vga::text_screen`] returns the characters of a text mode as a string,
//! for headless tests.
//!
//! # Time
//!
//! The CRT timing is derived from the CRTC registers and the dot clock that
//! misc output selects; the retrace and display-enable bits of input status 1
//! and the cursor and character blink are functions of the virtual time `now`
//! (cursor: 8 frames on, 8 off; blinking characters: 16 on, 16 off).
//! Registers that give no sane timing (power-on zeros, VBE modes) fall back
//! to 60 Hz with a 3-line vertical retrace, so a guest polling for retrace
//! always sees it come and go. The VGA's vertical retrace interrupt (an EGA
//! feature few VGA clones wire up) is not modelled.
//!
//! Emulator choices: chain-4 stores CPU byte `A` in plane `A & 3` at plane
//! address `A & !3` and odd/even stores it in plane `A & 1` (and `2 | A & 1`)
//! at `A & !1`; the graphics controller's write modes, function select and
//! bit mask apply in every addressing mode, as on the real chip. In the
//! 256-colour shift mode pixels go to the DAC without passing the attribute
//! palette (the BIOS programs it as the identity anyway).

mod memory;
mod regs;
mod render;
mod text;
mod vbe;

#[cfg(test)]
mod tests;

pub use render::{DisplayMode, Frame};
pub use text::{cp437_to_char, TextScreen};
pub use vbe::{
    VBE_DISPI_8BIT_DAC, VBE_DISPI_BPP_15, VBE_DISPI_BPP_16, VBE_DISPI_BPP_24, VBE_DISPI_BPP_32,
    VBE_DISPI_BPP_4, VBE_DISPI_BPP_8, VBE_DISPI_ENABLED, VBE_DISPI_GETCAPS, VBE_DISPI_ID0,
    VBE_DISPI_ID5, VBE_DISPI_INDEX_BANK, VBE_DISPI_INDEX_BPP, VBE_DISPI_INDEX_ENABLE,
    VBE_DISPI_INDEX_ID, VBE_DISPI_INDEX_VIDEO_MEMORY_64K, VBE_DISPI_INDEX_VIRT_HEIGHT,
    VBE_DISPI_INDEX_VIRT_WIDTH, VBE_DISPI_INDEX_XRES, VBE_DISPI_INDEX_X_OFFSET,
    VBE_DISPI_INDEX_YRES, VBE_DISPI_INDEX_Y_OFFSET, VBE_DISPI_LFB_ENABLED, VBE_DISPI_MAX_BPP,
    VBE_DISPI_MAX_XRES, VBE_DISPI_MAX_YRES, VBE_DISPI_NOCLEARMEM,
};

use crate::{read_bytes, write_bytes, PortIo};
use vbe::Dispi;

/// First byte of the legacy memory window.
pub const MMIO_BASE: u32 = 0xA_0000;
/// Size of the legacy memory window (A0000h-BFFFFh).
pub const MMIO_SIZE: u32 = 0x2_0000;
/// The dispi index port.
pub const VBE_DISPI_IOPORT_INDEX: u16 = 0x1CE;
/// The dispi data port.
pub const VBE_DISPI_IOPORT_DATA: u16 = 0x1CF;
/// Old Bochs alias of the dispi index port.
pub const VBE_DISPI_IOPORT_INDEX_ALT: u16 = 0xFF80;
/// Old Bochs alias of the dispi data port.
pub const VBE_DISPI_IOPORT_DATA_ALT: u16 = 0xFF81;
/// Where the ISA builds of the LGPL VGA BIOS expect the linear framebuffer
/// (and where the machine should put BAR 0 for them).
pub const DEFAULT_LFB_ADDR: u32 = 0xE000_0000;
/// Default size of video memory.
pub const DEFAULT_VRAM_SIZE: usize = 16 << 20;
/// PCI vendor ID of the QEMU/Bochs std VGA.
pub const PCI_VENDOR_ID: u16 = 0x1234;
/// PCI device ID of the QEMU/Bochs std VGA.
pub const PCI_DEVICE_ID: u16 = 0x1111;
/// PCI class code (display controller, VGA compatible).
pub const PCI_CLASS: u32 = 0x03_0000;

/// Size of the QEMU std VGA's optional MMIO BAR (BAR 2): the VGA ports at
/// 400h-41Fh, the dispi registers at 500h-515h (see [`Vga::mmio_bar_read`]).
pub const MMIO_BAR_SIZE: u32 = 0x1000;
/// Offset of the VGA ports 3C0h-3DFh in the MMIO BAR.
const MMIO_BAR_VGA: u32 = 0x400;
/// Offset of the dispi registers (16 bits each, by index) in the MMIO BAR.
const MMIO_BAR_DISPI: u32 = 0x500;
/// Number of dispi registers in the MMIO BAR.
const MMIO_BAR_DISPI_COUNT: u32 = 0xB;

/// Size of one VGA plane in the VGA (non-VBE) modes.
const PLANE_SIZE: u32 = 0x1_0000;

/// The VGA.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Vga {
    /// Misc output register (3C2h write, 3CCh read).
    misc: u8,
    /// Feature control (3BAh/3DAh write, 3CAh read).
    feature: u8,
    /// Video subsystem enable (3C3h).
    subsys_enable: u8,
    seq_index: u8,
    seq: [u8; regs::SEQ_COUNT],
    crtc_index: u8,
    crtc: [u8; regs::CRTC_COUNT],
    gc_index: u8,
    gc: [u8; regs::GC_COUNT],
    /// Attribute controller index, including the palette address source
    /// bit (20h).
    ac_index: u8,
    /// The attribute controller's flip-flop: the next 3C0h write is data.
    ac_data_next: bool,
    ac: [u8; regs::AC_COUNT],
    /// The DAC: 256 entries of red, green, blue.
    #[serde(with = "crate::block::big_array")]
    dac: [[u8; 3]; 256],
    dac_mask: u8,
    dac_read_index: u8,
    dac_write_index: u8,
    /// Which of the three components the next 3C9h access is.
    dac_component: u8,
    /// Components written so far for the entry at `dac_write_index`.
    dac_pending: [u8; 3],
    /// The last index port written was 3C7h (read mode).
    dac_reading: bool,
    /// The four plane latches, plane 0 in the low byte.
    latch: [u8; 4],
    #[serde(with = "crate::block::sparse_bytes")]
    vram: Vec<u8>,
    dispi: Dispi,
    /// The latest virtual time seen.
    now: u64,
}

impl Default for Vga {
    fn default() -> Self {
        Self::new()
    }
}

impl Vga {
    /// A VGA with [`DEFAULT_VRAM_SIZE`] of video memory, all registers zero
    /// as at power-on (the VGA BIOS programs them).
    pub fn new() -> Self {
        Self::with_vram_size(DEFAULT_VRAM_SIZE)
    }

    /// A VGA with `bytes` of video memory, rounded up to a multiple of
    /// 64 KiB and clamped to 256 KiB..=256 MiB.
    pub fn with_vram_size(bytes: usize) -> Self {
        let size = bytes.clamp(256 << 10, 256 << 20).next_multiple_of(64 << 10);
        Vga {
            misc: 0,
            feature: 0,
            subsys_enable: 1,
            seq_index: 0,
            seq: [0; regs::SEQ_COUNT],
            crtc_index: 0,
            crtc: [0; regs::CRTC_COUNT],
            gc_index: 0,
            gc: [0; regs::GC_COUNT],
            ac_index: 0,
            ac_data_next: false,
            ac: [0; regs::AC_COUNT],
            dac: [[0; 3]; 256],
            dac_mask: 0xFF,
            dac_read_index: 0,
            dac_write_index: 0,
            dac_component: 0,
            dac_pending: [0; 3],
            dac_reading: false,
            latch: [0; 4],
            vram: vec![0; size],
            dispi: Dispi::new(),
            now: 0,
        }
    }

    /// Whether `port` belongs to this device (either CRTC window, whatever
    /// misc output selects, and the dispi ports).
    pub fn handles_port(port: u16) -> bool {
        matches!(
            port,
            0x3B0
                ..=0x3DF
                    | VBE_DISPI_IOPORT_INDEX
                    | VBE_DISPI_IOPORT_DATA
                    | VBE_DISPI_IOPORT_INDEX_ALT
                    | VBE_DISPI_IOPORT_DATA_ALT
        )
    }

    /// Size of video memory (and of the linear framebuffer BAR) in bytes.
    pub fn vram_size(&self) -> usize {
        self.vram.len()
    }

    /// All of video memory; also the linear framebuffer, byte for byte.
    pub fn vram(&self) -> &[u8] {
        &self.vram
    }

    /// All of video memory, writable: the machine may map this as the
    /// linear framebuffer directly (see the module docs).
    pub fn vram_mut(&mut self) -> &mut [u8] {
        &mut self.vram
    }

    /// A read from the linear framebuffer at `offset` bytes into the BAR.
    /// Past the end of video memory the bus floats (FFh).
    pub fn lfb_read(&self, offset: u32) -> u8 {
        self.vram.get(offset as usize).copied().unwrap_or(0xFF)
    }

    /// A write to the linear framebuffer; ignored past the end of video
    /// memory.
    pub fn lfb_write(&mut self, offset: u32, value: u8) {
        if let Some(b) = self.vram.get_mut(offset as usize) {
            *b = value;
        }
    }

    /// Whether the dispi interface has a VBE mode enabled.
    pub fn vbe_enabled(&self) -> bool {
        self.dispi.enabled()
    }

    /// Whether the guest enabled the linear framebuffer with its VBE mode
    /// (informational: the LFB decodes either way, as on Bochs and QEMU).
    pub fn lfb_enabled(&self) -> bool {
        self.dispi.enabled() && self.dispi.enable & VBE_DISPI_LFB_ENABLED != 0
    }

    /// One DAC entry as the guest programmed it (6-bit values unless the
    /// 8-bit DAC is on).
    pub fn dac_entry(&self, index: u8) -> [u8; 3] {
        self.dac[usize::from(index)]
    }

    /// Records `now` as the latest time seen (time never goes backwards).
    fn see(&mut self, now: u64) -> u64 {
        self.now = self.now.max(now);
        self.now
    }

    /// Lets the device know the time without touching it, so that
    /// [`Vga::render`] blinks at the right phase.
    pub fn update(&mut self, now: u64) {
        self.see(now);
    }

    /// The latest virtual time the device has seen.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// A read from the MMIO BAR QEMU's std VGA has as BAR 2 (optional: a
    /// machine that gives the VGA no BAR 2 leaves guests on the ports).
    /// 400h-41Fh are the ports 3C0h-3DFh, split into bytes; 500h-515h are
    /// the dispi registers, 16 bits each at `2 * index` (the access selects
    /// the index, as in QEMU). Everything else reads as zero, which tells
    /// Linux's bochs-drm there is no "qext" region.
    pub fn mmio_bar_read(&mut self, offset: u32, size: u8, now: u64) -> u32 {
        let now = self.see(now);
        if (MMIO_BAR_VGA..MMIO_BAR_VGA + 0x20).contains(&offset) {
            let port = 0x3C0 + (offset - MMIO_BAR_VGA) as u16;
            return read_bytes(port, size, |p| {
                if p <= 0x3DF {
                    self.read_u8(p, now)
                } else {
                    0xFF
                }
            });
        }
        let dispi_end = MMIO_BAR_DISPI + 2 * MMIO_BAR_DISPI_COUNT;
        if (MMIO_BAR_DISPI..dispi_end).contains(&offset) {
            self.dispi.index = ((offset - MMIO_BAR_DISPI) / 2) as u16;
            let v = u32::from(self.dispi_read());
            return match size {
                0 | 1 => v >> (8 * (offset & 1)) & 0xFF,
                _ => v,
            };
        }
        0
    }

    /// A write to the MMIO BAR (see [`Vga::mmio_bar_read`]).
    pub fn mmio_bar_write(&mut self, offset: u32, size: u8, value: u32, now: u64) {
        let now = self.see(now);
        if (MMIO_BAR_VGA..MMIO_BAR_VGA + 0x20).contains(&offset) {
            let port = 0x3C0 + (offset - MMIO_BAR_VGA) as u16;
            write_bytes(port, size, value, |p, v| {
                if p <= 0x3DF {
                    self.write_u8(p, v, now);
                }
            });
            return;
        }
        let dispi_end = MMIO_BAR_DISPI + 2 * MMIO_BAR_DISPI_COUNT;
        if (MMIO_BAR_DISPI..dispi_end).contains(&offset) && size >= 2 {
            self.dispi.index = ((offset - MMIO_BAR_DISPI) / 2) as u16;
            self.dispi_write(value as u16);
        }
    }

    /// The VGA never interrupts: nothing is scheduled.
    pub fn next_deadline(&self, _now: u64) -> Option<u64> {
        None
    }
}

impl PortIo for Vga {
    fn read(&mut self, port: u16, size: u8, now: u64) -> u32 {
        let now = self.see(now);
        match port {
            VBE_DISPI_IOPORT_INDEX | VBE_DISPI_IOPORT_INDEX_ALT => {
                let v = u32::from(self.dispi.index);
                if size >= 4 {
                    v | u32::from(self.dispi_read()) << 16
                } else {
                    v
                }
            }
            VBE_DISPI_IOPORT_DATA | VBE_DISPI_IOPORT_DATA_ALT => {
                let v = u32::from(self.dispi_read());
                if size >= 4 {
                    v | 0xFFFF_0000
                } else if size <= 1 {
                    v & 0xFF
                } else {
                    v
                }
            }
            _ => read_bytes(port, size, |p| self.read_u8(p, now)),
        }
    }

    fn write(&mut self, port: u16, size: u8, value: u32, now: u64) {
        let now = self.see(now);
        match port {
            VBE_DISPI_IOPORT_INDEX | VBE_DISPI_IOPORT_INDEX_ALT => {
                if size <= 1 {
                    self.dispi.index = value as u8 as u16;
                } else {
                    self.dispi.index = value as u16;
                    if size >= 4 {
                        self.dispi_write((value >> 16) as u16);
                    }
                }
            }
            VBE_DISPI_IOPORT_DATA | VBE_DISPI_IOPORT_DATA_ALT => {
                let v = if size <= 1 { value & 0xFF } else { value };
                self.dispi_write(v as u16);
            }
            _ => write_bytes(port, size, value, |p, v| self.write_u8(p, v, now)),
        }
    }
}
