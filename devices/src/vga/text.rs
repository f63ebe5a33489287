//! The characters of a text mode, for headless runs and tests.

use std::fmt;

use super::Vga;

/// Code page 437 (the VGA BIOS's font) as Unicode, with NUL and FFh as
/// spaces.
const CP437: [char; 256] = {
    const LOW: &str = " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼";
    const HIGH: &str = "⌂ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐\
                        └┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ";
    let mut t = [' '; 256];
    let mut i = 0x20;
    while i < 0x7F {
        t[i] = i as u8 as char;
        i += 1;
    }
    fill(&mut t, 0, LOW);
    fill(&mut t, 0x7F, HIGH);
    t
};

/// Copies the characters of `s` into `t` from index `at` on.
const fn fill(t: &mut [char; 256], at: usize, s: &str) {
    let b = s.as_bytes();
    let (mut i, mut n) = (0, at);
    while i < b.len() && n < 256 {
        // Decode one UTF-8 sequence.
        let (c, len) = match b[i] {
            x if x < 0x80 => (x as u32, 1),
            x if x < 0xE0 => (((x & 0x1F) as u32) << 6 | (b[i + 1] & 0x3F) as u32, 2),
            x => (
                ((x & 0x0F) as u32) << 12
                    | ((b[i + 1] & 0x3F) as u32) << 6
                    | (b[i + 2] & 0x3F) as u32,
                3,
            ),
        };
        t[n] = match char::from_u32(c) {
            Some(c) => c,
            None => ' ',
        };
        i += len;
        n += 1;
    }
}

/// The Unicode character code page 437 shows for `byte`.
pub fn cp437_to_char(byte: u8) -> char {
    CP437[usize::from(byte)]
}

/// The character cells of a text screen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextScreen {
    /// Characters per row.
    pub cols: usize,
    /// Rows.
    pub rows: usize,
    /// `(character, attribute)` for each cell, row by row.
    pub cells: Vec<(u8, u8)>,
    /// Row and column of the cursor, if it is enabled and on the screen.
    pub cursor: Option<(usize, usize)>,
}

impl TextScreen {
    /// Row `row` as text (code page 437 as Unicode), trailing spaces
    /// removed.
    pub fn row_text(&self, row: usize) -> String {
        let start = row.min(self.rows) * self.cols;
        let end = (start + self.cols).min(self.cells.len());
        let s: String = self.cells[start..end]
            .iter()
            .map(|&(c, _)| cp437_to_char(c))
            .collect();
        s.trim_end().to_string()
    }

    /// Whether any row contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        (0..self.rows).any(|r| self.row_text(r).contains(needle))
    }
}

impl fmt::Display for TextScreen {
    /// The rows (trailing spaces removed), each followed by a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in 0..self.rows {
            writeln!(f, "{}", self.row_text(r))?;
        }
        Ok(())
    }
}

impl Vga {
    /// The character cells of the screen, or `None` in a graphics mode.
    /// Follows the start address, offset and addressing mode as the
    /// renderer does (a line-compare split is not applied).
    pub fn text_cells(&self) -> Option<TextScreen> {
        let super::DisplayMode::Text { cols, rows, .. } = self.display_mode() else {
            return None;
        };
        let (cols, rows) = (cols as usize, rows as usize);
        let top = self.top_address();
        let offset = self.row_offset();
        let cursor_ma = self.cursor_address();
        let cursor_enabled = self.cr(super::regs::CR_CURSOR_START) & 0x20 == 0;
        let mut cells = Vec::with_capacity(cols * rows);
        let mut cursor = None;
        for r in 0..rows {
            for c in 0..cols {
                let ma = top.wrapping_add(r as u32 * offset).wrapping_add(c as u32);
                let addr = self.crtc_address(ma, 0);
                cells.push((self.plane_byte(0, addr), self.plane_byte(1, addr)));
                if cursor_enabled && ma == cursor_ma && cursor.is_none() {
                    cursor = Some((r, c));
                }
            }
        }
        Some(TextScreen {
            cols,
            rows,
            cells,
            cursor,
        })
    }

    /// The visible characters of a text mode, one line per row with
    /// trailing spaces removed, or `None` in a graphics mode.
    pub fn text_screen(&self) -> Option<String> {
        self.text_cells().map(|t| t.to_string())
    }
}
