//! The VGA register file: misc output, sequencer, CRTC, graphics
//! controller, attribute controller, DAC and the status registers, with the
//! CRT timing they imply.

use super::Vga;

/// Sequencer registers SR0-SR4.
pub(super) const SEQ_COUNT: usize = 5;
/// CRTC registers CR00-CR18.
pub(super) const CRTC_COUNT: usize = 0x19;
/// Graphics controller registers GR0-GR8.
pub(super) const GC_COUNT: usize = 9;
/// Attribute controller registers: 16 palette entries, then 10h-14h.
pub(super) const AC_COUNT: usize = 0x15;

/// Bits of each sequencer register that exist.
const SEQ_MASK: [u8; SEQ_COUNT] = [0x03, 0x3D, 0x0F, 0x3F, 0x0E];
/// Bits of each graphics controller register that exist.
const GC_MASK: [u8; GC_COUNT] = [0x0F, 0x0F, 0x0F, 0x1F, 0x03, 0x7B, 0x0F, 0x0F, 0xFF];

// Sequencer.
pub(super) const SR_CLOCKING: usize = 1;
pub(super) const SR_MAP_MASK: usize = 2;
pub(super) const SR_CHAR_MAP: usize = 3;
pub(super) const SR_MEMORY_MODE: usize = 4;
/// SR1: 8-dot characters (9 when clear).
pub(super) const SR1_DOT8: u8 = 0x01;
/// SR1: dot clock divided by two.
pub(super) const SR1_DOT_CLOCK_HALF: u8 = 0x08;
/// SR1: screen off.
pub(super) const SR1_SCREEN_OFF: u8 = 0x20;
/// SR4: odd/even addressing disabled (sequential).
pub(super) const SR4_SEQUENTIAL: u8 = 0x04;
/// SR4: chain-4.
pub(super) const SR4_CHAIN4: u8 = 0x08;

// CRTC.
pub(super) const CR_HTOTAL: usize = 0x00;
pub(super) const CR_HDISP_END: usize = 0x01;
pub(super) const CR_VTOTAL: usize = 0x06;
pub(super) const CR_OVERFLOW: usize = 0x07;
pub(super) const CR_PRESET_ROW: usize = 0x08;
pub(super) const CR_MAX_SCAN: usize = 0x09;
pub(super) const CR_CURSOR_START: usize = 0x0A;
pub(super) const CR_CURSOR_END: usize = 0x0B;
pub(super) const CR_START_HI: usize = 0x0C;
pub(super) const CR_START_LO: usize = 0x0D;
pub(super) const CR_CURSOR_HI: usize = 0x0E;
pub(super) const CR_CURSOR_LO: usize = 0x0F;
pub(super) const CR_VRETRACE_START: usize = 0x10;
pub(super) const CR_VRETRACE_END: usize = 0x11;
pub(super) const CR_VDISP_END: usize = 0x12;
pub(super) const CR_OFFSET: usize = 0x13;
pub(super) const CR_UNDERLINE: usize = 0x14;
pub(super) const CR_MODE: usize = 0x17;
pub(super) const CR_LINE_COMPARE: usize = 0x18;
/// CR11: CR00-CR07 are write-protected (except CR07 bit 4).
const CR11_PROTECT: u8 = 0x80;
/// CR09: double scanning.
pub(super) const CR9_DOUBLE_SCAN: u8 = 0x80;
/// CR14: doubleword addressing.
pub(super) const CR14_DWORD: u8 = 0x40;
/// CR17: byte addressing (word addressing when clear).
pub(super) const CR17_BYTE: u8 = 0x40;
/// CR17: in word mode, MA15 (rather than MA13) becomes address bit 0.
pub(super) const CR17_ADDR_WRAP: u8 = 0x20;
/// CR17: row scan bit 1 does not replace address bit 14 (when clear, it does).
pub(super) const CR17_NO_MAP14: u8 = 0x02;
/// CR17: row scan bit 0 does not replace address bit 13 (CGA interleave).
pub(super) const CR17_NO_MAP13: u8 = 0x01;

// Graphics controller.
pub(super) const GR_SET_RESET: usize = 0;
pub(super) const GR_ENABLE_SET_RESET: usize = 1;
pub(super) const GR_COLOR_COMPARE: usize = 2;
pub(super) const GR_ROTATE: usize = 3;
pub(super) const GR_READ_MAP: usize = 4;
pub(super) const GR_MODE: usize = 5;
pub(super) const GR_MISC: usize = 6;
pub(super) const GR_DONT_CARE: usize = 7;
pub(super) const GR_BIT_MASK: usize = 8;
/// GR5: read mode 1 (colour compare).
pub(super) const GR5_READ_COMPARE: u8 = 0x08;
/// GR5: odd/even reads.
pub(super) const GR5_ODD_EVEN: u8 = 0x10;
/// GR5: CGA-style shift register interleave.
pub(super) const GR5_SHIFT_INTERLEAVE: u8 = 0x20;
/// GR5: 256-colour shift mode.
pub(super) const GR5_SHIFT_256: u8 = 0x40;
/// GR6: graphics mode (text when clear).
pub(super) const GR6_GRAPHICS: u8 = 0x01;

// Attribute controller.
pub(super) const AR_MODE: usize = 0x10;
pub(super) const AR_PLANE_ENABLE: usize = 0x12;
pub(super) const AR_PANNING: usize = 0x13;
pub(super) const AR_COLOR_SELECT: usize = 0x14;
/// AR index: palette address source (video enabled).
pub(super) const AR_INDEX_PAS: u8 = 0x20;
/// AR10: line-graphics enable (9th column copies the 8th for C0h-DFh).
pub(super) const AR10_LINE_GRAPHICS: u8 = 0x04;
/// AR10: blink enable (attribute bit 7 blinks instead of intensifying).
pub(super) const AR10_BLINK: u8 = 0x08;
/// AR10: pixel panning is reset to 0 below the line-compare split.
pub(super) const AR10_PAN_COMPAT: u8 = 0x20;
/// AR10: palette bits 5-4 come from AR14 bits 1-0.
pub(super) const AR10_P54_SELECT: u8 = 0x80;

/// Bits of each attribute register that exist.
fn ac_mask(index: usize) -> u8 {
    match index {
        0x00..=0x0F => 0x3F,
        0x10 => 0xEF,
        0x11 => 0xFF,
        0x12 => 0x3F,
        _ => 0x0F,
    }
}

/// Input status 1: display disabled (horizontal or vertical blanking).
const IS1_DISPLAY_DISABLED: u8 = 0x01;
/// Input status 1: vertical retrace.
const IS1_VRETRACE: u8 = 0x08;
/// Input status 0: switch sense.
const IS0_SWITCH_SENSE: u8 = 0x10;

/// 25.175 MHz, the 640-dot clock.
const CLOCK_25M: u64 = 25_175_000;
/// 28.322 MHz, the 720-dot clock.
const CLOCK_28M: u64 = 28_322_000;

/// The CRT's timing, in virtual nanoseconds and scanlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Timing {
    /// Length of a scanline.
    pub line_ns: u64,
    /// Scanlines per frame.
    pub vtotal: u64,
    /// Displayed scanlines.
    pub vdisp: u64,
    /// First scanline of vertical retrace.
    pub vretrace_start: u64,
    /// Scanlines of vertical retrace.
    pub vretrace_len: u64,
    /// Displayed part of a scanline.
    pub hdisp_ns: u64,
}

impl Timing {
    /// 640x480 at 60 Hz, for registers that make no sense.
    fn fallback(vdisp: u64) -> Self {
        let vdisp = vdisp.clamp(1, 4096);
        let vtotal = vdisp + vdisp / 10 + 5;
        let line_ns = (16_666_667 / vtotal).max(1);
        Timing {
            line_ns,
            vtotal,
            vdisp,
            vretrace_start: vdisp + 2,
            vretrace_len: 3,
            hdisp_ns: line_ns * 4 / 5,
        }
    }

    /// Length of a frame.
    pub fn frame_ns(&self) -> u64 {
        self.line_ns * self.vtotal
    }
}

impl Vga {
    /// The CRTC's index/data/status ports are at 3Dxh (colour) or 3Bxh.
    fn crtc_base(&self) -> u16 {
        if self.misc & 0x01 != 0 {
            0x3D0
        } else {
            0x3B0
        }
    }

    pub(super) fn cr(&self, index: usize) -> u8 {
        self.crtc[index]
    }

    /// Vertical display end: the number of displayed scanlines.
    pub(super) fn vdisp(&self) -> u32 {
        let ov = u32::from(self.crtc[CR_OVERFLOW]);
        (u32::from(self.crtc[CR_VDISP_END]) | (ov & 0x02) << 7 | (ov & 0x40) << 3) + 1
    }

    /// Vertical total in scanlines.
    fn vtotal(&self) -> u32 {
        let ov = u32::from(self.crtc[CR_OVERFLOW]);
        (u32::from(self.crtc[CR_VTOTAL]) | (ov & 0x01) << 8 | (ov & 0x20) << 4) + 2
    }

    fn vretrace_start(&self) -> u32 {
        let ov = u32::from(self.crtc[CR_OVERFLOW]);
        u32::from(self.crtc[CR_VRETRACE_START]) | (ov & 0x04) << 6 | (ov & 0x80) << 2
    }

    /// The scanline after which the display restarts at address 0.
    pub(super) fn line_compare(&self) -> u32 {
        u32::from(self.crtc[CR_LINE_COMPARE])
            | u32::from(self.crtc[CR_OVERFLOW] & 0x10) << 4
            | u32::from(self.crtc[CR_MAX_SCAN] & 0x40) << 3
    }

    /// Start address (CR0C/CR0D).
    pub(super) fn start_address(&self) -> u32 {
        u32::from(self.crtc[CR_START_HI]) << 8 | u32::from(self.crtc[CR_START_LO])
    }

    /// Cursor location (CR0E/CR0F).
    pub(super) fn cursor_address(&self) -> u32 {
        u32::from(self.crtc[CR_CURSOR_HI]) << 8 | u32::from(self.crtc[CR_CURSOR_LO])
    }

    /// Character clocks displayed per scanline.
    pub(super) fn hdisp_chars(&self) -> u32 {
        u32::from(self.crtc[CR_HDISP_END]) + 1
    }

    /// Scanlines per character row, less one.
    pub(super) fn max_scan(&self) -> u32 {
        u32::from(self.crtc[CR_MAX_SCAN] & 0x1F)
    }

    pub(super) fn double_scan(&self) -> bool {
        self.crtc[CR_MAX_SCAN] & CR9_DOUBLE_SCAN != 0
    }

    /// Dots per character clock (8 or 9).
    pub(super) fn char_dots(&self) -> u32 {
        if self.seq[SR_CLOCKING] & SR1_DOT8 != 0 || self.gc[GR_MISC] & GR6_GRAPHICS != 0 {
            8
        } else {
            9
        }
    }

    /// The CRT timing the registers describe, or a 60 Hz fallback.
    pub(super) fn timing(&self) -> Timing {
        if self.dispi.enabled() {
            return Timing::fallback(u64::from(self.dispi.yres));
        }
        let vdisp = u64::from(self.vdisp());
        let vtotal = u64::from(self.vtotal());
        let vrs = u64::from(self.vretrace_start());
        let htotal = u64::from(self.crtc[CR_HTOTAL]) + 5;
        let hdisp = u64::from(self.hdisp_chars());
        if vtotal < 100 || vdisp >= vtotal || vrs >= vtotal || hdisp >= htotal {
            return Timing::fallback(vdisp.min(1200));
        }
        // The retrace ends at the first line whose low 4 bits match CR11.
        let end = u64::from(self.crtc[CR_VRETRACE_END] & 0x0F);
        let len = match end.wrapping_sub(vrs) & 0x0F {
            0 => 16,
            n => n,
        }
        .min(vtotal - vrs);
        let clock = match (self.misc >> 2) & 3 {
            1 => CLOCK_28M,
            _ => CLOCK_25M,
        };
        let mut dots = htotal * u64::from(self.char_dots());
        if self.seq[SR_CLOCKING] & SR1_DOT_CLOCK_HALF != 0 {
            dots *= 2;
        }
        let line_ns = (dots * 1_000_000_000 / clock).max(1);
        Timing {
            line_ns,
            vtotal,
            vdisp,
            vretrace_start: vrs,
            vretrace_len: len.max(1),
            hdisp_ns: line_ns * hdisp / htotal,
        }
    }

    /// Input status 1 at `now`.
    fn input_status_1(&self, now: u64) -> u8 {
        let t = self.timing();
        let pos = now % t.frame_ns();
        let line = pos / t.line_ns;
        let in_line = pos % t.line_ns;
        let mut v = 0;
        if line >= t.vretrace_start && line < t.vretrace_start + t.vretrace_len {
            v |= IS1_VRETRACE;
        }
        if line >= t.vdisp || in_line >= t.hdisp_ns {
            v |= IS1_DISPLAY_DISABLED;
        }
        v
    }

    /// A byte read from a VGA port.
    pub(super) fn read_u8(&mut self, port: u16, now: u64) -> u8 {
        let crtc = self.crtc_base();
        match port {
            0x3C0 => self.ac_index,
            0x3C1 => {
                let i = usize::from(self.ac_index & 0x1F);
                self.ac.get(i).copied().unwrap_or(0)
            }
            0x3C2 => IS0_SWITCH_SENSE,
            0x3C3 => self.subsys_enable,
            0x3C4 => self.seq_index,
            0x3C5 => self
                .seq
                .get(usize::from(self.seq_index))
                .copied()
                .unwrap_or(0),
            0x3C6 => self.dac_mask,
            0x3C7 => {
                if self.dac_reading {
                    0x03
                } else {
                    0x00
                }
            }
            0x3C8 => self.dac_write_index,
            0x3C9 => self.dac_read_data(),
            0x3CA => self.feature,
            0x3CC => self.misc,
            0x3CE => self.gc_index,
            0x3CF => self
                .gc
                .get(usize::from(self.gc_index))
                .copied()
                .unwrap_or(0),
            p if p == crtc + 4 => self.crtc_index,
            p if p == crtc + 5 => self
                .crtc
                .get(usize::from(self.crtc_index))
                .copied()
                .unwrap_or(0),
            p if p == crtc + 0xA => {
                self.ac_data_next = false;
                self.input_status_1(now)
            }
            _ => 0xFF,
        }
    }

    /// A byte write to a VGA port.
    pub(super) fn write_u8(&mut self, port: u16, value: u8, _now: u64) {
        let crtc = self.crtc_base();
        match port {
            0x3C0 => self.ac_write(value),
            0x3C2 => self.misc = value,
            0x3C3 => self.subsys_enable = value & 0x01,
            0x3C4 => self.seq_index = value,
            0x3C5 => {
                let i = usize::from(self.seq_index);
                if i < SEQ_COUNT {
                    self.seq[i] = value & SEQ_MASK[i];
                }
            }
            0x3C6 => self.dac_mask = value,
            0x3C7 => {
                self.dac_read_index = value;
                self.dac_component = 0;
                self.dac_reading = true;
            }
            0x3C8 => {
                self.dac_write_index = value;
                self.dac_component = 0;
                self.dac_reading = false;
            }
            0x3C9 => self.dac_write_data(value),
            0x3CE => self.gc_index = value,
            0x3CF => {
                let i = usize::from(self.gc_index);
                if i < GC_COUNT {
                    self.gc[i] = value & GC_MASK[i];
                }
            }
            p if p == crtc + 4 => self.crtc_index = value,
            p if p == crtc + 5 => self.crtc_write(value),
            p if p == crtc + 0xA => self.feature = value,
            _ => {}
        }
    }

    fn crtc_write(&mut self, value: u8) {
        let i = usize::from(self.crtc_index);
        if i >= CRTC_COUNT {
            return;
        }
        if self.crtc[CR_VRETRACE_END] & CR11_PROTECT != 0 && i <= CR_OVERFLOW {
            if i == CR_OVERFLOW {
                // Only the line compare bit stays writable.
                self.crtc[i] = (self.crtc[i] & !0x10) | (value & 0x10);
            }
            return;
        }
        self.crtc[i] = value;
    }

    fn ac_write(&mut self, value: u8) {
        if self.ac_data_next {
            let i = usize::from(self.ac_index & 0x1F);
            if i < AC_COUNT {
                self.ac[i] = value & ac_mask(i);
            }
        } else {
            self.ac_index = value & 0x3F;
        }
        self.ac_data_next = !self.ac_data_next;
    }

    /// Bits of a DAC component that are stored.
    fn dac_component_mask(&self) -> u8 {
        if self.dispi.dac_8bit() {
            0xFF
        } else {
            0x3F
        }
    }

    fn dac_write_data(&mut self, value: u8) {
        let c = usize::from(self.dac_component.min(2));
        self.dac_pending[c] = value & self.dac_component_mask();
        if c == 2 {
            self.dac[usize::from(self.dac_write_index)] = self.dac_pending;
            self.dac_write_index = self.dac_write_index.wrapping_add(1);
            self.dac_component = 0;
        } else {
            self.dac_component += 1;
        }
    }

    fn dac_read_data(&mut self) -> u8 {
        let c = usize::from(self.dac_component.min(2));
        let v = self.dac[usize::from(self.dac_read_index)][c] & self.dac_component_mask();
        if c == 2 {
            self.dac_read_index = self.dac_read_index.wrapping_add(1);
            self.dac_component = 0;
        } else {
            self.dac_component += 1;
        }
        v
    }
}
