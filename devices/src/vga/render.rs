//! From VGA state to pixels: text modes, the CGA, planar and 256-colour
//! graphics modes through the CRTC's address generator, and the VBE modes.

use super::regs::{
    AR10_BLINK, AR10_LINE_GRAPHICS, AR10_P54_SELECT, AR10_PAN_COMPAT, AR_COLOR_SELECT,
    AR_INDEX_PAS, AR_MODE, AR_PANNING, AR_PLANE_ENABLE, CR14_DWORD, CR17_ADDR_WRAP, CR17_BYTE,
    CR17_NO_MAP13, CR17_NO_MAP14, CR_CURSOR_END, CR_CURSOR_START, CR_MODE, CR_OFFSET,
    CR_PRESET_ROW, CR_UNDERLINE, GR5_SHIFT_256, GR5_SHIFT_INTERLEAVE, GR6_GRAPHICS, GR_MISC,
    GR_MODE, SR1_SCREEN_OFF, SR4_CHAIN4, SR_CHAR_MAP, SR_CLOCKING, SR_MEMORY_MODE,
};
use super::vbe::Dispi;
use super::Vga;

/// A rendered screen: `width * height` pixels, row by row from the top
/// left, each `0x00RRGGBB` (the layout minifb and most framebuffers take).
/// [`Vga::render`] reuses the vector, reallocating only when it grows.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Frame {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// The pixels, `0x00RRGGBB`.
    pub pixels: Vec<u32>,
}

impl Frame {
    /// An empty frame.
    pub fn new() -> Self {
        Self::default()
    }

    /// The pixel at (`x`, `y`), if inside the frame.
    pub fn pixel(&self, x: usize, y: usize) -> Option<u32> {
        if x < self.width && y < self.height {
            self.pixels.get(y * self.width + x).copied()
        } else {
            None
        }
    }

    /// The pixels as RGBA bytes (alpha FFh), e.g. for a PNG encoder.
    pub fn to_rgba(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|&p| [(p >> 16) as u8, (p >> 8) as u8, p as u8, 0xFF])
            .collect()
    }

    fn reshape(&mut self, width: usize, height: usize) {
        self.width = width;
        self.height = height;
        self.pixels.resize(width * height, 0);
    }

    fn row_mut(&mut self, y: usize) -> &mut [u32] {
        &mut self.pixels[y * self.width..(y + 1) * self.width]
    }
}

/// What the display shows, at its logical resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DisplayMode {
    /// Text: `cols` x `rows` characters of `char_width` x `char_height`.
    Text {
        cols: u32,
        rows: u32,
        char_width: u32,
        char_height: u32,
    },
    /// 16-colour planar graphics (EGA/VGA modes 0Dh-12h, and the 2-colour
    /// mode 6, which is planar with one plane enabled).
    Planar16 { width: u32, height: u32 },
    /// CGA 4-colour graphics (modes 4 and 5, shift register interleave).
    Cga4 { width: u32, height: u32 },
    /// 256-colour graphics: mode 13h when `chained`, Mode X otherwise.
    Packed256 {
        width: u32,
        height: u32,
        chained: bool,
    },
    /// A VBE mode of the dispi interface.
    Vbe { width: u32, height: u32, bpp: u32 },
}

impl DisplayMode {
    /// Size of the rendered frame.
    pub fn size(&self) -> (u32, u32) {
        match *self {
            DisplayMode::Text {
                cols,
                rows,
                char_width,
                char_height,
            } => (cols * char_width, rows * char_height),
            DisplayMode::Planar16 { width, height }
            | DisplayMode::Cga4 { width, height }
            | DisplayMode::Packed256 { width, height, .. }
            | DisplayMode::Vbe { width, height, .. } => (width, height),
        }
    }
}

/// How the serializer turns plane bytes into pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Shift {
    Planar,
    Interleave,
    Packed,
}

/// Expands a 6-bit DAC component to 8 bits.
fn dac6(v: u8) -> u32 {
    let v = u32::from(v & 0x3F);
    (v << 2) | (v >> 4)
}

fn rgb(r: u32, g: u32, b: u32) -> u32 {
    (r & 0xFF) << 16 | (g & 0xFF) << 8 | (b & 0xFF)
}

/// Expands a 5-bit component to 8 bits.
fn c5(v: u32) -> u32 {
    let v = v & 0x1F;
    (v << 3) | (v >> 2)
}

/// Expands a 6-bit component to 8 bits.
fn c6(v: u32) -> u32 {
    let v = v & 0x3F;
    (v << 2) | (v >> 4)
}

/// `SPREAD[b]` puts bit `7 - i` of `b` at bit `4 * i`: eight pixels of
/// one plane as nibbles, pixel 0 lowest.
const SPREAD: [u32; 256] = {
    let mut t = [0; 256];
    let mut b = 0;
    while b < 256 {
        let mut i = 0;
        while i < 8 {
            if b & (0x80 >> i) != 0 {
                t[b] |= 1 << (4 * i);
            }
            i += 1;
        }
        b += 1;
    }
    t
};

/// The eight 4-bit pixels of planar bytes `p`, as nibbles, pixel 0 lowest.
fn planar_pixels(p: [u8; 4]) -> u32 {
    SPREAD[usize::from(p[0])]
        | SPREAD[usize::from(p[1])] << 1
        | SPREAD[usize::from(p[2])] << 2
        | SPREAD[usize::from(p[3])] << 3
}

/// Colour tables for one frame.
struct Palette {
    /// DAC index (after the pixel mask) to RGB.
    dac: [u32; 256],
    /// 4-bit attribute to RGB, through the attribute palette and DAC.
    attr: [u32; 16],
}

impl Vga {
    fn palette(&self) -> Palette {
        let mut dac = [0; 256];
        for (i, d) in dac.iter_mut().enumerate() {
            let [r, g, b] = self.dac[i & usize::from(self.dac_mask)];
            *d = if self.dispi.dac_8bit() {
                rgb(r.into(), g.into(), b.into())
            } else {
                rgb(dac6(r), dac6(g), dac6(b))
            };
        }
        let mode = self.ac[AR_MODE];
        let select = self.ac[AR_COLOR_SELECT];
        let mut attr = [0; 16];
        for (i, a) in attr.iter_mut().enumerate() {
            let v = self.ac[i];
            let index = if mode & AR10_P54_SELECT != 0 {
                (v & 0x0F) | (select & 0x0F) << 4
            } else {
                (v & 0x3F) | (select & 0x0C) << 4
            };
            *a = dac[usize::from(index)];
        }
        Palette { dac, attr }
    }

    fn shift(&self) -> Shift {
        let mode = self.gc[GR_MODE];
        if mode & GR5_SHIFT_256 != 0 {
            Shift::Packed
        } else if mode & GR5_SHIFT_INTERLEAVE != 0 {
            Shift::Interleave
        } else {
            Shift::Planar
        }
    }

    fn text_mode(&self) -> bool {
        !self.dispi.enabled() && self.gc[GR_MISC] & GR6_GRAPHICS == 0
    }

    /// Native scanlines per rendered line.
    fn vscale(&self) -> u32 {
        let dscan = if self.double_scan() { 2 } else { 1 };
        if self.text_mode() {
            return dscan;
        }
        // In graphics the scanlines of a character row repeat the same
        // addresses unless the row scan counter replaces address bits.
        let mode = self.cr(CR_MODE);
        let repeat = if mode & CR17_NO_MAP13 != 0 && mode & CR17_NO_MAP14 != 0 {
            self.max_scan() + 1
        } else {
            1
        };
        dscan * repeat
    }

    /// The mode the display is in, at its logical resolution.
    pub fn display_mode(&self) -> DisplayMode {
        if self.dispi.enabled() {
            return DisplayMode::Vbe {
                width: self.dispi.xres.into(),
                height: self.dispi.yres.into(),
                bpp: self.dispi.bpp.into(),
            };
        }
        let chars = self.hdisp_chars();
        let height = self.vdisp().div_ceil(self.vscale());
        if self.text_mode() {
            let cell_lines = self.max_scan() + 1;
            return DisplayMode::Text {
                cols: chars,
                rows: height / cell_lines,
                char_width: self.char_dots(),
                char_height: cell_lines,
            };
        }
        match self.shift() {
            Shift::Planar => DisplayMode::Planar16 {
                width: chars * 8,
                height,
            },
            Shift::Interleave => DisplayMode::Cga4 {
                width: chars * 8,
                height,
            },
            Shift::Packed => DisplayMode::Packed256 {
                width: chars * 4,
                height,
                chained: self.seq[SR_MEMORY_MODE] & SR4_CHAIN4 != 0,
            },
        }
    }

    /// The plane address the CRTC fetches for memory address counter `ma`
    /// on row scan line `row_scan`.
    pub(super) fn crtc_address(&self, ma: u32, row_scan: u32) -> u32 {
        let mode = self.cr(CR_MODE);
        let mut a = if self.cr(CR_UNDERLINE) & CR14_DWORD != 0 {
            ma << 2
        } else if mode & CR17_BYTE == 0 {
            let low = if mode & CR17_ADDR_WRAP != 0 {
                (ma >> 15) & 1
            } else {
                (ma >> 13) & 1
            };
            (ma << 1) | low
        } else {
            ma
        };
        if mode & CR17_NO_MAP13 == 0 {
            a = (a & !0x2000) | (row_scan & 1) << 13;
        }
        if mode & CR17_NO_MAP14 == 0 {
            a = (a & !0x4000) | (row_scan >> 1 & 1) << 14;
        }
        a
    }

    /// Memory address counter increment per character row.
    pub(super) fn row_offset(&self) -> u32 {
        u32::from(self.cr(CR_OFFSET)) * 2
    }

    /// The address counter at the top of the screen (start address plus
    /// byte panning).
    pub(super) fn top_address(&self) -> u32 {
        self.start_address() + u32::from(self.cr(super::regs::CR_PRESET_ROW) >> 5 & 3)
    }

    /// Walks the displayed scanlines as the CRTC does and calls
    /// `line(y, ma, row_scan, split)` for each of the `height` rendered
    /// ones: `ma` is the address counter at the start of the line, `split`
    /// whether the line is below the line-compare split.
    fn walk_lines(&self, height: usize, mut line: impl FnMut(usize, u32, u32, bool)) {
        let vdisp = self.vdisp();
        let vscale = self.vscale();
        let max_scan = self.max_scan();
        let dscan = self.double_scan();
        let offset = self.row_offset();
        let compare = self.line_compare();
        let mut ma = self.top_address();
        let mut row_scan = u32::from(self.cr(CR_PRESET_ROW) & 0x1F);
        let mut second_half = false;
        let mut split = false;
        let mut y = 0;
        for s in 0..vdisp {
            if y >= height {
                break;
            }
            if s % vscale == 0 {
                line(y, ma, row_scan, split);
                y += 1;
            }
            if s == compare {
                ma = 0;
                row_scan = 0;
                second_half = false;
                split = true;
                continue;
            }
            if dscan {
                second_half = !second_half;
                if second_half {
                    continue;
                }
            }
            if row_scan >= max_scan {
                row_scan = 0;
                ma = ma.wrapping_add(offset);
            } else {
                row_scan += 1;
            }
        }
    }

    /// Renders the screen as it looks at the latest time the device has
    /// seen (see [`Vga::update`]).
    pub fn render(&self, frame: &mut Frame) {
        self.render_at(frame, self.now);
    }

    /// Renders the screen as it looks at virtual time `now` (which sets the
    /// cursor and character blink phase). The frame takes the size of
    /// [`Vga::display_mode`] (1x1 when the registers describe no picture);
    /// a blanked screen (palette address source off, or SR1 screen off,
    /// outside VBE modes) is black.
    pub fn render_at(&self, frame: &mut Frame, now: u64) {
        let now = now.max(self.now);
        let mode = self.display_mode();
        let (w, h) = mode.size();
        if w == 0 || h == 0 {
            // Registers that describe no picture (power-on zeros).
            frame.reshape(1, 1);
            frame.pixels.fill(0);
            return;
        }
        frame.reshape(w as usize, h as usize);
        if !self.dispi.enabled()
            && (self.ac_index & AR_INDEX_PAS == 0 || self.seq[SR_CLOCKING] & SR1_SCREEN_OFF != 0)
        {
            frame.pixels.fill(0);
            return;
        }
        let pal = self.palette();
        match mode {
            DisplayMode::Text { .. } => self.render_text(frame, &pal, now),
            DisplayMode::Vbe { bpp: 4, .. } => self.render_vbe_planar(frame, &pal),
            DisplayMode::Vbe { .. } => self.render_vbe_packed(frame, &pal),
            _ => self.render_graphics(frame, &pal),
        }
    }

    /// Cursor and character blink phases at `now`.
    fn blink_phases(&self, now: u64) -> (bool, bool) {
        let frame = now / self.timing().frame_ns().max(1);
        (frame & 8 == 0, frame & 16 == 0)
    }

    /// Offset into plane 2 of font map `n` (0-7) selected by SR3.
    fn font_base(n: u8) -> u32 {
        u32::from(n & 3) * 0x4000 + u32::from(n >> 2 & 1) * 0x2000
    }

    fn render_text(&self, frame: &mut Frame, pal: &Palette, now: u64) {
        let cols = self.hdisp_chars();
        let dots = self.char_dots();
        let mode = self.ac[AR_MODE];
        let sr3 = self.seq[SR_CHAR_MAP];
        let map_a = Self::font_base((sr3 >> 5 & 1) << 2 | (sr3 >> 2 & 3));
        let map_b = Self::font_base((sr3 >> 4 & 1) << 2 | (sr3 & 3));
        let (cursor_on, chars_on) = self.blink_phases(now);
        let cursor_start = u32::from(self.cr(CR_CURSOR_START) & 0x1F);
        let cursor_end = u32::from(self.cr(CR_CURSOR_END) & 0x1F);
        let cursor_visible = cursor_on && self.cr(CR_CURSOR_START) & 0x20 == 0;
        let cursor_ma = self
            .cursor_address()
            .wrapping_add(u32::from(self.cr(CR_CURSOR_END) >> 5 & 3));
        let underline = u32::from(self.cr(CR_UNDERLINE) & 0x1F);
        let pan_reg = u32::from(self.ac[AR_PANNING] & 0x0F);
        let pan = if dots == 9 {
            if pan_reg < 8 {
                pan_reg + 1
            } else {
                0
            }
        } else {
            pan_reg & 7
        } as usize;
        let mut buf = vec![0u32; ((cols + 1) * dots) as usize];
        let height = frame.height;
        let width = frame.width;
        self.walk_lines(height, |y, row_ma, row_scan, split| {
            for c in 0..=cols {
                let ma = row_ma.wrapping_add(c);
                let addr = self.crtc_address(ma, row_scan);
                let ch = self.plane_byte(0, addr);
                let at = self.plane_byte(1, addr);
                let base = if at & 0x08 != 0 { map_a } else { map_b };
                let glyph = self.plane_byte(2, base + u32::from(ch) * 32 + (row_scan & 0x1F));
                let mut fg = at & 0x0F;
                let bg = if mode & AR10_BLINK != 0 {
                    if at & 0x80 != 0 && !chars_on {
                        fg = (at >> 4) & 0x07;
                    }
                    (at >> 4) & 0x07
                } else {
                    at >> 4
                };
                let mut bits = u32::from(glyph) << 1;
                if dots == 9 && mode & AR10_LINE_GRAPHICS != 0 && (0xC0..=0xDF).contains(&ch) {
                    bits |= u32::from(glyph & 1);
                }
                let solid = (at & 0x77 == 0x01 && row_scan == underline)
                    || (cursor_visible
                        && ma == cursor_ma
                        && cursor_start <= cursor_end
                        && (cursor_start..=cursor_end).contains(&row_scan));
                if solid {
                    bits = 0x1FF;
                }
                let (fg, bg) = (pal.attr[usize::from(fg)], pal.attr[usize::from(bg)]);
                let cell = &mut buf[(c * dots) as usize..((c + 1) * dots) as usize];
                for (i, px) in cell.iter_mut().enumerate() {
                    *px = if bits & (0x100 >> i) != 0 { fg } else { bg };
                }
            }
            let pan = if split && mode & AR10_PAN_COMPAT != 0 {
                0
            } else {
                pan
            };
            frame.row_mut(y).copy_from_slice(&buf[pan..pan + width]);
        });
    }

    fn render_graphics(&self, frame: &mut Frame, pal: &Palette) {
        let chars = self.hdisp_chars();
        let shift = self.shift();
        let per_char: usize = if shift == Shift::Packed { 4 } else { 8 };
        let plane_enable = self.ac[AR_PLANE_ENABLE] & 0x0F;
        let pan_reg = usize::from(self.ac[AR_PANNING] & 0x0F);
        let pan = if shift == Shift::Packed {
            (pan_reg >> 1) & 3
        } else {
            pan_reg & 7
        };
        let mode = self.ac[AR_MODE];
        let mut buf = vec![0u32; (chars as usize + 1) * per_char];
        let width = frame.width;
        self.walk_lines(frame.height, |y, row_ma, row_scan, split| {
            for c in 0..=chars {
                let addr = self.crtc_address(row_ma.wrapping_add(c), row_scan);
                let p = self.plane_bytes(addr);
                let out = &mut buf[c as usize * per_char..(c as usize + 1) * per_char];
                match shift {
                    Shift::Packed => {
                        for (o, &b) in out.iter_mut().zip(p.iter()) {
                            *o = pal.dac[usize::from(b)];
                        }
                    }
                    Shift::Interleave => {
                        for (i, o) in out.iter_mut().enumerate() {
                            let (lo, hi) = if i < 4 { (p[0], p[2]) } else { (p[1], p[3]) };
                            let s = 6 - 2 * (i & 3);
                            let v = (lo >> s & 3) | (hi >> s & 3) << 2;
                            *o = pal.attr[usize::from(v & plane_enable)];
                        }
                    }
                    Shift::Planar => {
                        let px = planar_pixels(p);
                        for (i, o) in out.iter_mut().enumerate() {
                            let v = (px >> (4 * i)) as u8 & plane_enable;
                            *o = pal.attr[usize::from(v)];
                        }
                    }
                }
            }
            let pan = if split && mode & AR10_PAN_COMPAT != 0 {
                0
            } else {
                pan
            };
            frame.row_mut(y).copy_from_slice(&buf[pan..pan + width]);
        });
    }

    fn render_vbe_planar(&self, frame: &mut Frame, pal: &Palette) {
        let d = &self.dispi;
        let line = u32::from(d.virt_width).div_ceil(8);
        let x0 = u32::from(d.x_offset);
        let start = u32::from(d.y_offset) * line + x0 / 8;
        let pan = (x0 % 8) as usize;
        let plane_enable = self.ac[AR_PLANE_ENABLE] & 0x0F;
        let width = frame.width;
        let mut buf = vec![0u32; width.div_ceil(8) * 8 + 8];
        for y in 0..frame.height {
            let row = start.wrapping_add(y as u32 * line);
            for (i, chunk) in buf.chunks_exact_mut(8).enumerate() {
                let px = planar_pixels(self.plane_bytes(row.wrapping_add(i as u32)));
                for (j, o) in chunk.iter_mut().enumerate() {
                    *o = pal.attr[usize::from((px >> (4 * j)) as u8 & plane_enable)];
                }
            }
            frame.row_mut(y).copy_from_slice(&buf[pan..pan + width]);
        }
    }

    fn render_vbe_packed(&self, frame: &mut Frame, pal: &Palette) {
        let d = &self.dispi;
        let bpp = d.bpp;
        let bytes = Dispi::bytes_per_pixel(bpp) as usize;
        let line = d.line_bytes() as usize;
        let start = usize::from(d.y_offset) * line + usize::from(d.x_offset) * bytes;
        let vram = &self.vram;
        let byte = |i: usize| vram.get(i).copied().map_or(0, u32::from);
        for y in 0..frame.height {
            let row = start + y * line;
            let out = frame.row_mut(y);
            // Fast path: the whole line is inside video memory.
            if let Some(src) = vram.get(row..row + out.len() * bytes) {
                for (o, px) in out.iter_mut().zip(src.chunks_exact(bytes)) {
                    *o = match bpp {
                        8 => pal.dac[usize::from(px[0])],
                        15 => {
                            let v = u32::from(u16::from_le_bytes([px[0], px[1]]));
                            rgb(c5(v >> 10), c5(v >> 5), c5(v))
                        }
                        16 => {
                            let v = u32::from(u16::from_le_bytes([px[0], px[1]]));
                            rgb(c5(v >> 11), c6(v >> 5), c5(v))
                        }
                        _ => rgb(px[2].into(), px[1].into(), px[0].into()),
                    };
                }
                continue;
            }
            for (x, o) in out.iter_mut().enumerate() {
                let i = row + x * bytes;
                *o = match bpp {
                    8 => pal.dac[byte(i) as usize],
                    15 => {
                        let v = byte(i) | byte(i + 1) << 8;
                        rgb(c5(v >> 10), c5(v >> 5), c5(v))
                    }
                    16 => {
                        let v = byte(i) | byte(i + 1) << 8;
                        rgb(c5(v >> 11), c6(v >> 5), c5(v))
                    }
                    _ => rgb(byte(i + 2), byte(i + 1), byte(i)),
                };
            }
        }
    }
}
