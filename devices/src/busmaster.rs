//! PIIX3 bus-master IDE (the SFF-8038i register block behind BAR4).
//!
//! Sixteen I/O ports at the base the guest puts in the IDE function's BAR4:
//! for the primary channel the command register (+0), the status register
//! (+2) and the physical region descriptor table pointer (+4..+7); the
//! secondary channel's copy at +8. [`crate::ide::Ide`] owns the block and
//! decodes its ports once the machine told it the base.
//!
//! **Command**: bit 0 Start, bit 3 direction (1: the bus master writes
//! memory, that is a device read). Writing Start = 1 sets Active and
//! restarts the table walk at the table pointer; Start = 0 stops the
//! engine and clears Active (a stopped transfer does not resume).
//!
//! **Status**: bit 0 Active (read-only), bit 1 Error and bit 2 Interrupt
//! (write 1 to clear), bits 5-6 "drive 0/1 DMA capable" (plain read/write
//! bits for the BIOS), bit 7 simplex (0: both channels may run at once).
//! Interrupt is set when the channel's device raises its interrupt line,
//! DMA or not. Active drops when the descriptor marked end of table has
//! been used up. Both together tell the driver how a transfer ended
//! (SFF-8038i table 2): Interrupt with Active clear is a normal end,
//! Interrupt with Active set means the table was larger than the transfer,
//! Active clear without Interrupt means the table was too small and the
//! device still waits.
//!
//! **Descriptors**: 8 bytes, dword aligned: the physical address (bit 0
//! ignored), the byte count in bits 15-1 of the next word (0 means 64 KiB),
//! and bit 31 of the second dword marking the last one.
//!
//! Memory goes through [`DmaMemory`], which the machine implements over
//! RAM; the engine moves data when the machine calls
//! [`crate::ide::Ide::run_dma`] (after an I/O access to the IDE and when a
//! device deadline passes), so a transfer takes no virtual time of its own
//! and the device's completion interrupt follows its usual BSY period.

use crate::ide::IdeChannel;

/// Command: start the engine.
pub const CMD_START: u8 = 0b0000_0001;
/// Command: the bus master writes memory (device to memory).
pub const CMD_TO_MEMORY: u8 = 0b0000_1000;
/// Status: the engine is active.
pub const ST_ACTIVE: u8 = 0b0000_0001;
/// Status: a bus error (write 1 to clear).
pub const ST_ERROR: u8 = 0b0000_0010;
/// Status: the device raised its interrupt (write 1 to clear).
pub const ST_INTERRUPT: u8 = 0b0000_0100;
/// Status: drive 0 and drive 1 DMA capable (software bits).
pub const ST_DRIVES_CAPABLE: u8 = 0b0110_0000;
/// Descriptor: last entry of the table.
pub const PRD_EOT: u32 = 1 << 31;

/// Physical memory as a bus master sees it. Addresses outside RAM read as
/// all ones and ignore writes; the implementation decides.
pub trait DmaMemory {
    /// Reads `buf.len()` bytes at `addr`.
    fn read(&mut self, addr: u32, buf: &mut [u8]);
    /// Writes `data` at `addr`.
    fn write(&mut self, addr: u32, data: &[u8]);
}

/// One channel's bus-master registers and its place in the table walk.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct BmChannel {
    cmd: u8,
    status: u8,
    table: u32,
    /// The next descriptor to fetch.
    next: u32,
    /// Where the current region continues, and its bytes left.
    addr: u32,
    left: u32,
    /// The current region is the last one.
    last: bool,
}

impl BmChannel {
    /// Reads the register byte at `offset` (0-7) of this channel's block.
    pub fn read_reg(&self, offset: u16) -> u8 {
        match offset {
            0 => self.cmd,
            2 => self.status,
            4..=7 => (self.table >> (8 * (offset - 4))) as u8,
            _ => 0,
        }
    }

    /// Writes the register byte at `offset` (0-7).
    pub fn write_reg(&mut self, offset: u16, v: u8) {
        match offset {
            0 => {
                let start = v & CMD_START != 0;
                if start && self.cmd & CMD_START == 0 {
                    self.status |= ST_ACTIVE;
                    self.next = self.table;
                    self.left = 0;
                    self.last = false;
                } else if !start {
                    self.status &= !ST_ACTIVE;
                }
                self.cmd = v & (CMD_START | CMD_TO_MEMORY);
            }
            2 => {
                self.status &= !(v & (ST_ERROR | ST_INTERRUPT));
                self.status = (self.status & !ST_DRIVES_CAPABLE) | (v & ST_DRIVES_CAPABLE);
            }
            4..=7 => {
                let shift = 8 * (offset - 4);
                self.table = (self.table & !(0xFF << shift)) | (u32::from(v) << shift);
                self.table &= !3;
            }
            _ => {}
        }
    }

    /// The command register.
    pub fn command(&self) -> u8 {
        self.cmd
    }

    /// The status register.
    pub fn status(&self) -> u8 {
        self.status
    }

    /// The device raised its interrupt line.
    pub fn interrupt(&mut self) {
        self.status |= ST_INTERRUPT;
    }

    /// Moves data between `ch`'s selected device and memory while the
    /// engine is active, the device asks for DMA in the programmed
    /// direction and the table has room. `scratch` bounds each step.
    pub fn transfer(
        &mut self,
        ch: &mut IdeChannel,
        mem: &mut dyn DmaMemory,
        now: u64,
        scratch: &mut [u8],
    ) {
        if self.cmd & CMD_START == 0 || self.status & ST_ACTIVE == 0 || scratch.is_empty() {
            return;
        }
        let to_memory = self.cmd & CMD_TO_MEMORY != 0;
        // Every step moves at least two bytes or ends the walk; the bound
        // only caps the work of one call (a table of tiny regions for a
        // huge transfer), and the next call carries on where it stopped.
        for _ in 0..1 << 20 {
            if ch.dma_request(now) != Some(to_memory) {
                return;
            }
            if self.left == 0 {
                if self.last {
                    self.status &= !ST_ACTIVE;
                    return;
                }
                let mut prd = [0u8; 8];
                mem.read(self.next, &mut prd);
                let addr = u32::from_le_bytes([prd[0], prd[1], prd[2], prd[3]]);
                let count = u32::from_le_bytes([prd[4], prd[5], prd[6], prd[7]]);
                self.next = self.next.wrapping_add(8);
                self.addr = addr & !1;
                self.left = match count & 0xFFFE {
                    0 => 0x1_0000,
                    n => n,
                };
                self.last = count & PRD_EOT != 0;
            }
            let step = (self.left as usize).min(scratch.len());
            let buf = &mut scratch[..step];
            let n = if to_memory {
                let n = ch.dma_read(buf, now);
                mem.write(self.addr, &buf[..n]);
                n
            } else {
                mem.read(self.addr, buf);
                ch.dma_write(buf, now)
            };
            self.addr = self.addr.wrapping_add(n as u32);
            self.left -= n as u32;
            if self.left == 0 && self.last {
                self.status &= !ST_ACTIVE;
                return;
            }
            if n == 0 {
                return;
            }
        }
    }
}
