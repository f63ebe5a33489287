//! The Bochs VBE "dispi" interface: a 16-bit index port (1CEh) and data
//! port (1CFh) selecting resolution, depth, bank, virtual size and display
//! start of the packed-pixel and planar VBE modes.

use super::Vga;

/// Index of the interface ID register.
pub const VBE_DISPI_INDEX_ID: u16 = 0x0;
/// Index of the horizontal resolution.
pub const VBE_DISPI_INDEX_XRES: u16 = 0x1;
/// Index of the vertical resolution.
pub const VBE_DISPI_INDEX_YRES: u16 = 0x2;
/// Index of the bits per pixel.
pub const VBE_DISPI_INDEX_BPP: u16 = 0x3;
/// Index of the enable register.
pub const VBE_DISPI_INDEX_ENABLE: u16 = 0x4;
/// Index of the bank (64 KiB units) shown at A0000h.
pub const VBE_DISPI_INDEX_BANK: u16 = 0x5;
/// Index of the virtual (scanline) width in pixels.
pub const VBE_DISPI_INDEX_VIRT_WIDTH: u16 = 0x6;
/// Index of the virtual height (read-only: what fits in video memory).
pub const VBE_DISPI_INDEX_VIRT_HEIGHT: u16 = 0x7;
/// Index of the display start column.
pub const VBE_DISPI_INDEX_X_OFFSET: u16 = 0x8;
/// Index of the display start row.
pub const VBE_DISPI_INDEX_Y_OFFSET: u16 = 0x9;
/// Index of the video memory size in 64 KiB units (read-only).
pub const VBE_DISPI_INDEX_VIDEO_MEMORY_64K: u16 = 0xA;

/// First interface version.
pub const VBE_DISPI_ID0: u16 = 0xB0C0;
/// Latest interface version (video memory size register and the rest).
pub const VBE_DISPI_ID5: u16 = 0xB0C5;

/// ENABLE: a VBE mode is on.
pub const VBE_DISPI_ENABLED: u16 = 0x01;
/// ENABLE: XRES/YRES/BPP read back the maxima.
pub const VBE_DISPI_GETCAPS: u16 = 0x02;
/// ENABLE: DAC entries are 8 bits wide.
pub const VBE_DISPI_8BIT_DAC: u16 = 0x20;
/// ENABLE: the guest uses the linear framebuffer.
pub const VBE_DISPI_LFB_ENABLED: u16 = 0x40;
/// ENABLE: keep video memory when the mode is set.
pub const VBE_DISPI_NOCLEARMEM: u16 = 0x80;

/// Largest horizontal resolution.
pub const VBE_DISPI_MAX_XRES: u16 = 2560;
/// Largest vertical resolution.
pub const VBE_DISPI_MAX_YRES: u16 = 1600;
/// Largest depth.
pub const VBE_DISPI_MAX_BPP: u16 = 32;

/// 16-colour planar.
pub const VBE_DISPI_BPP_4: u16 = 4;
/// 256 colours through the DAC.
pub const VBE_DISPI_BPP_8: u16 = 8;
/// 5:5:5 direct colour.
pub const VBE_DISPI_BPP_15: u16 = 15;
/// 5:6:5 direct colour.
pub const VBE_DISPI_BPP_16: u16 = 16;
/// 8:8:8 direct colour, three bytes a pixel (B, G, R).
pub const VBE_DISPI_BPP_24: u16 = 24;
/// 8:8:8 direct colour, four bytes a pixel (B, G, R, unused).
pub const VBE_DISPI_BPP_32: u16 = 32;

/// Bits of ENABLE that are stored.
const ENABLE_BITS: u16 = VBE_DISPI_ENABLED
    | VBE_DISPI_GETCAPS
    | VBE_DISPI_8BIT_DAC
    | VBE_DISPI_LFB_ENABLED
    | VBE_DISPI_NOCLEARMEM;

/// The dispi registers.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Dispi {
    pub index: u16,
    pub id: u16,
    pub xres: u16,
    pub yres: u16,
    pub bpp: u16,
    pub enable: u16,
    pub bank: u16,
    pub virt_width: u16,
    pub virt_height: u16,
    pub x_offset: u16,
    pub y_offset: u16,
}

impl Dispi {
    pub fn new() -> Self {
        Dispi {
            index: 0,
            id: VBE_DISPI_ID5,
            xres: 640,
            yres: 480,
            bpp: VBE_DISPI_BPP_8,
            enable: 0,
            bank: 0,
            virt_width: 640,
            virt_height: 480,
            x_offset: 0,
            y_offset: 0,
        }
    }

    pub fn enabled(&self) -> bool {
        self.enable & VBE_DISPI_ENABLED != 0
    }

    pub fn dac_8bit(&self) -> bool {
        self.enable & VBE_DISPI_8BIT_DAC != 0
    }

    /// A VBE planar (4 bpp) mode is on.
    pub fn planar(&self) -> bool {
        self.enabled() && self.bpp == VBE_DISPI_BPP_4
    }

    /// A VBE packed-pixel mode is on: the A0000h window is a plain bank.
    pub fn packed(&self) -> bool {
        self.enabled() && self.bpp != VBE_DISPI_BPP_4
    }

    /// Bytes per pixel of a packed-pixel depth.
    pub fn bytes_per_pixel(bpp: u16) -> u32 {
        match bpp {
            15 | 16 => 2,
            24 => 3,
            32 => 4,
            _ => 1,
        }
    }

    /// Bytes of `vram` one line of `width` pixels takes at depth `bpp`
    /// (4 bpp: a byte per 8 pixels in each of the 4 interleaved planes).
    pub fn line_bytes_for(width: u16, bpp: u16) -> u32 {
        if bpp == VBE_DISPI_BPP_4 {
            u32::from(width).div_ceil(8) * 4
        } else {
            u32::from(width) * Self::bytes_per_pixel(bpp)
        }
    }

    /// Bytes of `vram` per virtual line.
    pub fn line_bytes(&self) -> u32 {
        Self::line_bytes_for(self.virt_width, self.bpp)
    }

    /// Start of the bank window: a byte offset into `vram` in packed modes,
    /// a plane address in planar modes (64 KiB units either way).
    pub fn bank_base(&self) -> u32 {
        u32::from(self.bank) << 16
    }

    /// Recomputes the virtual height from the virtual width.
    fn fix_virt_height(&mut self, vram_len: usize) {
        let line = self.line_bytes().max(1) as usize;
        self.virt_height = (vram_len / line).min(0xFFFF) as u16;
    }
}

impl Vga {
    /// A read of the dispi data port.
    pub(super) fn dispi_read(&self) -> u16 {
        let d = &self.dispi;
        let caps = d.enable & VBE_DISPI_GETCAPS != 0;
        match d.index {
            VBE_DISPI_INDEX_ID => d.id,
            VBE_DISPI_INDEX_XRES if caps => VBE_DISPI_MAX_XRES,
            VBE_DISPI_INDEX_XRES => d.xres,
            VBE_DISPI_INDEX_YRES if caps => VBE_DISPI_MAX_YRES,
            VBE_DISPI_INDEX_YRES => d.yres,
            VBE_DISPI_INDEX_BPP if caps => VBE_DISPI_MAX_BPP,
            VBE_DISPI_INDEX_BPP => d.bpp,
            VBE_DISPI_INDEX_ENABLE => d.enable,
            VBE_DISPI_INDEX_BANK => d.bank,
            VBE_DISPI_INDEX_VIRT_WIDTH => d.virt_width,
            VBE_DISPI_INDEX_VIRT_HEIGHT => d.virt_height,
            VBE_DISPI_INDEX_X_OFFSET => d.x_offset,
            VBE_DISPI_INDEX_Y_OFFSET => d.y_offset,
            VBE_DISPI_INDEX_VIDEO_MEMORY_64K => (self.vram.len() >> 16).min(0xFFFF) as u16,
            _ => 0,
        }
    }

    /// A write of the dispi data port.
    pub(super) fn dispi_write(&mut self, value: u16) {
        let enabled = self.dispi.enabled();
        match self.dispi.index {
            VBE_DISPI_INDEX_ID if (VBE_DISPI_ID0..=VBE_DISPI_ID5).contains(&value) => {
                self.dispi.id = value;
            }
            // The mode can only change while the interface is disabled.
            VBE_DISPI_INDEX_XRES if !enabled && value <= VBE_DISPI_MAX_XRES => {
                self.dispi.xres = value;
            }
            VBE_DISPI_INDEX_YRES if !enabled && value <= VBE_DISPI_MAX_YRES => {
                self.dispi.yres = value;
            }
            VBE_DISPI_INDEX_BPP if !enabled => {
                let bpp = if value == 0 { VBE_DISPI_BPP_8 } else { value };
                if matches!(bpp, 4 | 8 | 15 | 16 | 24 | 32) {
                    self.dispi.bpp = bpp;
                }
            }
            VBE_DISPI_INDEX_ENABLE => self.dispi_set_enable(value),
            VBE_DISPI_INDEX_BANK => {
                let window_space = if self.dispi.bpp == VBE_DISPI_BPP_4 {
                    self.vram.len() / 4
                } else {
                    self.vram.len()
                };
                let banks = (window_space >> 16).max(1);
                self.dispi.bank = (usize::from(value) % banks) as u16;
            }
            VBE_DISPI_INDEX_VIRT_WIDTH => {
                let width = value.max(self.dispi.xres);
                let line = Dispi::line_bytes_for(width, self.dispi.bpp) as usize;
                if line * usize::from(self.dispi.yres) <= self.vram.len() {
                    self.dispi.virt_width = width;
                    self.dispi.fix_virt_height(self.vram.len());
                }
            }
            VBE_DISPI_INDEX_X_OFFSET => self.dispi.x_offset = value,
            VBE_DISPI_INDEX_Y_OFFSET => self.dispi.y_offset = value,
            _ => {}
        }
    }

    fn dispi_set_enable(&mut self, value: u16) {
        let mut value = value & ENABLE_BITS;
        if value & VBE_DISPI_ENABLED != 0 && !self.dispi.enabled() {
            let d = &mut self.dispi;
            let line = Dispi::line_bytes_for(d.xres, d.bpp) as usize;
            if d.xres == 0 || d.yres == 0 || line * usize::from(d.yres) > self.vram.len() {
                log::warn!(
                    "vga: VBE mode {}x{}x{} does not fit, not enabled",
                    d.xres,
                    d.yres,
                    d.bpp
                );
                value &= !VBE_DISPI_ENABLED;
            } else {
                d.virt_width = d.xres;
                d.x_offset = 0;
                d.y_offset = 0;
                d.bank = 0;
                d.fix_virt_height(self.vram.len());
                if value & VBE_DISPI_NOCLEARMEM == 0 {
                    let n = (line * usize::from(d.yres)).min(self.vram.len());
                    self.vram[..n].fill(0);
                }
            }
        }
        self.dispi.enable = value;
    }
}
