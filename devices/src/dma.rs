//! The PC's two Intel 8237A DMA controllers and the page registers.
//!
//! DMA1 (ports 00h-0Fh) moves bytes on channels 0-3; DMA2 (ports C0h-DFh,
//! registers on even ports, odd ports alias) moves 16-bit words on channels
//! 4-7 and has its channel 4 in cascade mode carrying all of DMA1: with
//! channel 4 masked no 8-bit channel gets the bus, as on the board. Each
//! controller's address register holds 16 bits; the upper address bits come
//! from a page register (80h-8Fh), which the 8237 never increments, so a
//! transfer wraps at a 64 KiB boundary (128 KiB for the word channels, which
//! shift the address left by one and ignore bit 0 of the page). The 16 bytes
//! at 80h-8Fh are plain read/write latches; the ones without a channel are
//! scratch, and 80h is where firmware writes its POST codes.
//!
//! # Moving data: the machine pulls
//!
//! The chip never touches memory or calls a device. When a device raises
//! its DMA request (the floppy controller's [`crate::floppy::Floppy::dma_request`]),
//! the machine asks for the next piece of work and does the copy itself:
//!
//! 1. [`Dma::next_transfer`]`(channel, max_bytes)` returns a [`Transfer`]:
//!    a run of `len` bytes at physical address `addr`, ascending and
//!    contiguous, and which way they go. It returns `None` when the channel
//!    cannot run (masked, controller disabled, cascade, DMA1 cut off by a
//!    masked channel 4).
//! 2. The machine copies between guest memory and the device:
//!    [`Direction::ToMemory`] (an 8237 "write" transfer: device to RAM),
//!    [`Direction::FromMemory`] (a "read" transfer: RAM to device) or
//!    [`Direction::Verify`] (the device is read, memory is left alone).
//!    Addresses may lie past the end of RAM; what happens there is the
//!    machine's bus decision (writes dropped, reads as FFh).
//! 3. [`Dma::complete`]`(channel, bytes_done)` advances the address and
//!    count. It returns `true` at terminal count, the TC pulse the device
//!    must be told about; then the channel auto-initialises or masks itself.
//!
//! A run never crosses the page wrap and never goes past the terminal
//! count. In address-decrement mode each run is a single byte (one word on
//! DMA2), so a run is always ascending; the machine needs no special case.
//! Transfer timing (single, demand, block mode) is not modelled: a run moves
//! as many bytes as the device and the machine want at once.
//!
//! Not modelled: memory-to-memory transfers (command bit 0), DREQ/DACK
//! polarity and priority rotation (the command bits read back, nothing
//! more), and transfers started by the request register alone; a software
//! request shows in the status register.

use crate::{read_bytes, write_bytes, PortIo};

/// First port of DMA1.
pub const DMA1_BASE: u16 = 0x00;
/// First port of DMA2.
pub const DMA2_BASE: u16 = 0xC0;
/// First page register.
pub const PAGE_BASE: u16 = 0x80;
/// The port firmware writes POST codes to (the unused page register 80h).
pub const POST_PORT: u16 = 0x80;

/// Register numbers within a controller (ports on DMA1, ports/2 on DMA2).
const REG_STATUS_COMMAND: u16 = 8;
const REG_REQUEST: u16 = 9;
const REG_SINGLE_MASK: u16 = 10;
const REG_MODE: u16 = 11;
const REG_CLEAR_FLIP_FLOP: u16 = 12;
const REG_TEMP_MASTER_CLEAR: u16 = 13;
const REG_CLEAR_MASK: u16 = 14;
const REG_ALL_MASK: u16 = 15;

/// Command register: memory-to-memory enable.
const CMD_MEM_TO_MEM: u8 = 0b0000_0001;
/// Command register: controller disable.
const CMD_DISABLE: u8 = 0b0000_0100;

/// Mode register: channel select, and in the request/mask registers too.
const SEL_CHANNEL: u8 = 0b0000_0011;
/// Request and single-mask registers: set (1) or clear (0) the bit.
const SEL_SET: u8 = 0b0000_0100;
/// Mode register: transfer type.
const MODE_TYPE: u8 = 0b0000_1100;
const MODE_TYPE_WRITE: u8 = 0b0000_0100;
const MODE_TYPE_READ: u8 = 0b0000_1000;
/// Mode register: reload address and count at terminal count.
const MODE_AUTOINIT: u8 = 0b0001_0000;
/// Mode register: the address counts down.
const MODE_DECREMENT: u8 = 0b0010_0000;
/// Mode register: demand (00), single (01), block (10), cascade (11).
const MODE_MODE: u8 = 0b1100_0000;
const MODE_CASCADE: u8 = 0b1100_0000;

/// Page register (offset from 80h) of each channel.
const PAGE_OF_CHANNEL: [usize; 8] = [0x7, 0x3, 0x1, 0x2, 0xF, 0xB, 0x9, 0xA];

/// Which way a [`Transfer`] moves bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Direction {
    /// Device to memory (the 8237's "write transfer").
    ToMemory,
    /// Memory to device (the 8237's "read transfer").
    FromMemory,
    /// The device is read, memory is untouched (also the illegal type 11b).
    Verify,
}

/// A run of bytes for the machine to move, from [`Dma::next_transfer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transfer {
    /// Channel 0-7.
    pub channel: u8,
    /// Physical address of the first byte (24 bits).
    pub addr: u32,
    /// Bytes in the run, at `addr..addr + len`; even on channels 4-7.
    pub len: usize,
    /// Which way the bytes go.
    pub direction: Direction,
    /// Completing the whole run reaches terminal count.
    pub terminal: bool,
}

#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Channel {
    base_addr: u16,
    base_count: u16,
    addr: u16,
    count: u16,
    mode: u8,
}

impl Channel {
    /// Transfers left before terminal count (count + 1).
    fn remaining(&self) -> u32 {
        u32::from(self.count) + 1
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Controller {
    ch: [Channel; 4],
    command: u8,
    /// Mask bits, channel 0 at bit 0.
    mask: u8,
    /// Software request bits.
    request: u8,
    /// DREQ lines as the devices drive them.
    dreq: u8,
    /// Terminal-count bits, cleared by reading status.
    tc: u8,
    /// The byte pointer flip-flop: the next access is the high byte.
    high_byte: bool,
    temp: u8,
}

impl Controller {
    fn new() -> Self {
        let mut c = Controller {
            ch: [Channel::default(); 4],
            command: 0,
            mask: 0,
            request: 0,
            dreq: 0,
            tc: 0,
            high_byte: false,
            temp: 0,
        };
        c.master_clear();
        c
    }

    /// Master clear (and hardware reset): everything idle, all masked.
    fn master_clear(&mut self) {
        self.command = 0;
        self.mask = 0x0F;
        self.request = 0;
        self.tc = 0;
        self.high_byte = false;
        self.temp = 0;
    }

    fn flip(&mut self) -> bool {
        let high = self.high_byte;
        self.high_byte = !high;
        high
    }

    fn read(&mut self, reg: u16) -> u8 {
        match reg {
            0..=7 => {
                let ch = &self.ch[usize::from(reg >> 1)];
                let v = if reg & 1 == 0 { ch.addr } else { ch.count };
                let [lo, hi] = v.to_le_bytes();
                if self.flip() {
                    hi
                } else {
                    lo
                }
            }
            REG_STATUS_COMMAND => {
                let v = self.tc | (self.request | self.dreq) << 4;
                self.tc = 0;
                v
            }
            REG_TEMP_MASTER_CLEAR => self.temp,
            // Write-only on the 8237A; the PC chipsets read the mask back.
            REG_ALL_MASK => 0xF0 | self.mask,
            _ => 0xFF,
        }
    }

    fn write(&mut self, reg: u16, v: u8) {
        let sel = usize::from(v & SEL_CHANNEL);
        let bit = 1u8 << (v & SEL_CHANNEL);
        match reg {
            0..=7 => {
                let high = self.flip();
                let ch = &mut self.ch[usize::from(reg >> 1)];
                let (base, cur) = if reg & 1 == 0 {
                    (&mut ch.base_addr, &mut ch.addr)
                } else {
                    (&mut ch.base_count, &mut ch.count)
                };
                // The write goes to both the base and the current register.
                *base = if high {
                    (*base & 0x00FF) | u16::from(v) << 8
                } else {
                    (*base & 0xFF00) | u16::from(v)
                };
                *cur = *base;
            }
            REG_STATUS_COMMAND => self.command = v,
            REG_REQUEST if v & SEL_SET != 0 => self.request |= bit,
            REG_REQUEST => self.request &= !bit,
            REG_SINGLE_MASK if v & SEL_SET != 0 => self.mask |= bit,
            REG_SINGLE_MASK => self.mask &= !bit,
            REG_MODE => self.ch[sel].mode = v,
            REG_CLEAR_FLIP_FLOP => self.high_byte = false,
            REG_TEMP_MASTER_CLEAR => self.master_clear(),
            REG_CLEAR_MASK => self.mask = 0,
            REG_ALL_MASK => self.mask = v & 0x0F,
            _ => {}
        }
    }

    /// The channel may take the bus (ignoring the cascade above it).
    fn can_run(&self, local: usize) -> bool {
        self.command & CMD_DISABLE == 0
            && self.mask & (1 << local) == 0
            && self.ch[local].mode & MODE_MODE != MODE_CASCADE
    }
}

/// The two 8237As and the page registers.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Dma {
    ctl: [Controller; 2],
    pages: [u8; 16],
}

impl Default for Dma {
    fn default() -> Self {
        Self::new()
    }
}

impl Dma {
    /// Both controllers after reset: enabled, every channel masked.
    pub fn new() -> Self {
        Dma {
            ctl: [Controller::new(), Controller::new()],
            pages: [0; 16],
        }
    }

    /// Whether `channel` would hand out a transfer now.
    pub fn is_ready(&self, channel: u8) -> bool {
        match channel {
            0..=3 => {
                // DMA1 reaches the bus through DMA2's channel 4.
                let dma2 = &self.ctl[1];
                dma2.command & CMD_DISABLE == 0
                    && dma2.mask & 1 == 0
                    && self.ctl[0].can_run(usize::from(channel))
            }
            5..=7 => self.ctl[1].can_run(usize::from(channel - 4)),
            _ => false,
        }
    }

    /// Drives the DREQ input of `channel` (shown in the status register).
    pub fn set_dreq(&mut self, channel: u8, level: bool) {
        if channel > 7 {
            return;
        }
        let c = &mut self.ctl[usize::from(channel / 4)];
        let bit = 1 << (channel % 4);
        if level {
            c.dreq |= bit;
        } else {
            c.dreq &= !bit;
        }
    }

    /// The next run of at most `max_bytes` for `channel`, if it can run.
    /// On channels 4-7 `max_bytes` is rounded down to whole words.
    pub fn next_transfer(&self, channel: u8, max_bytes: usize) -> Option<Transfer> {
        if !self.is_ready(channel) {
            return None;
        }
        let wide = channel >= 4;
        let unit = if wide { 2 } else { 1 };
        let ch = &self.ctl[usize::from(channel / 4)].ch[usize::from(channel % 4)];
        let max_units = u32::try_from(max_bytes / unit).unwrap_or(u32::MAX);
        if max_units == 0 {
            return None;
        }
        let remaining = ch.remaining();
        let units = if ch.mode & MODE_DECREMENT != 0 {
            1
        } else {
            max_units.min(remaining).min(0x1_0000 - u32::from(ch.addr))
        };
        let page = u32::from(self.pages[PAGE_OF_CHANNEL[usize::from(channel)]]);
        let addr = if wide {
            (page & 0xFE) << 16 | u32::from(ch.addr) << 1
        } else {
            page << 16 | u32::from(ch.addr)
        };
        let direction = match ch.mode & MODE_TYPE {
            MODE_TYPE_WRITE => Direction::ToMemory,
            MODE_TYPE_READ => Direction::FromMemory,
            _ => Direction::Verify,
        };
        Some(Transfer {
            channel,
            addr,
            len: units as usize * unit,
            direction,
            terminal: units == remaining,
        })
    }

    /// Records that `bytes` of the last run on `channel` moved (a partial
    /// word counts as a word). Returns `true` at terminal count.
    pub fn complete(&mut self, channel: u8, bytes: usize) -> bool {
        if channel > 7 {
            return false;
        }
        let unit = if channel >= 4 { 2 } else { 1 };
        let c = &mut self.ctl[usize::from(channel / 4)];
        let local = usize::from(channel % 4);
        let ch = &mut c.ch[local];
        let remaining = ch.remaining();
        let units = u32::try_from(bytes.div_ceil(unit))
            .unwrap_or(u32::MAX)
            .min(remaining);
        if units == 0 {
            return false;
        }
        // The address counter is 16 bits and wraps inside the page.
        let step = units as u16;
        ch.addr = if ch.mode & MODE_DECREMENT != 0 {
            ch.addr.wrapping_sub(step)
        } else {
            ch.addr.wrapping_add(step)
        };
        if units < remaining {
            ch.count -= step;
            return false;
        }
        // Terminal count: the count rolled over to FFFFh.
        c.tc |= 1 << local;
        c.request &= !(1 << local);
        if ch.mode & MODE_AUTOINIT != 0 {
            ch.addr = ch.base_addr;
            ch.count = ch.base_count;
        } else {
            ch.count = 0xFFFF;
            c.mask |= 1 << local;
        }
        true
    }

    /// Bytes `channel` will move before terminal count.
    pub fn remaining_bytes(&self, channel: u8) -> usize {
        if channel > 7 {
            return 0;
        }
        let unit = if channel >= 4 { 2 } else { 1 };
        let ch = &self.ctl[usize::from(channel / 4)].ch[usize::from(channel % 4)];
        ch.remaining() as usize * unit
    }

    /// The page register of `channel`.
    pub fn page(&self, channel: u8) -> u8 {
        PAGE_OF_CHANNEL
            .get(usize::from(channel))
            .map_or(0, |&i| self.pages[i])
    }

    /// The last byte written to port 80h, the firmware's POST code.
    pub fn post_code(&self) -> u8 {
        self.pages[usize::from(POST_PORT - PAGE_BASE)]
    }

    /// Whether memory-to-memory mode is on in DMA1 (not modelled).
    pub fn mem_to_mem(&self) -> bool {
        self.ctl[0].command & CMD_MEM_TO_MEM != 0
    }

    fn read_u8(&mut self, port: u16) -> u8 {
        match port {
            0x00..=0x0F => self.ctl[0].read(port - DMA1_BASE),
            0x80..=0x8F => self.pages[usize::from(port - PAGE_BASE)],
            0xC0..=0xDF => self.ctl[1].read((port - DMA2_BASE) >> 1),
            _ => 0xFF,
        }
    }

    fn write_u8(&mut self, port: u16, v: u8) {
        match port {
            0x00..=0x0F => self.ctl[0].write(port - DMA1_BASE, v),
            0x80..=0x8F => self.pages[usize::from(port - PAGE_BASE)] = v,
            0xC0..=0xDF => self.ctl[1].write((port - DMA2_BASE) >> 1, v),
            _ => {}
        }
    }
}

impl PortIo for Dma {
    fn read(&mut self, port: u16, size: u8, _now: u64) -> u32 {
        read_bytes(port, size, |p| self.read_u8(p))
    }

    fn write(&mut self, port: u16, size: u8, value: u32, _now: u64) {
        write_bytes(port, size, value, |p, v| self.write_u8(p, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(d: &mut Dma, port: u16, v: u8) {
        d.write(port, 1, u32::from(v), 0);
    }

    fn inb(d: &mut Dma, port: u16) -> u8 {
        d.read(port, 1, 0) as u8
    }

    fn xfer(d: &Dma, ch: u8, max: usize) -> Transfer {
        match d.next_transfer(ch, max) {
            Some(t) => t,
            None => panic!("channel {ch} does not run"),
        }
    }

    /// What firmware does first: DMA2 channel 4 in cascade mode, unmasked.
    fn cascade(d: &mut Dma) {
        out(d, 0xD6, MODE_CASCADE);
        out(d, 0xD4, 0x00);
    }

    /// Programs DMA1 `ch` like a BIOS floppy read: mask, mode, address,
    /// page, count - 1, unmask.
    fn program8(d: &mut Dma, ch: u8, mode: u8, addr: u32, len: u16) {
        out(d, 0x0A, SEL_SET | ch);
        out(d, 0x0C, 0);
        out(d, 0x0B, mode | ch);
        let a = (addr as u16).to_le_bytes();
        out(d, u16::from(ch) * 2, a[0]);
        out(d, u16::from(ch) * 2, a[1]);
        out(
            d,
            0x80 + PAGE_OF_CHANNEL[usize::from(ch)] as u16,
            (addr >> 16) as u8,
        );
        let c = (len - 1).to_le_bytes();
        out(d, u16::from(ch) * 2 + 1, c[0]);
        out(d, u16::from(ch) * 2 + 1, c[1]);
        out(d, 0x0A, ch);
    }

    #[test]
    fn reset_state_masks_everything() {
        let mut d = Dma::new();
        for ch in 0..8 {
            assert!(!d.is_ready(ch));
            assert_eq!(d.next_transfer(ch, 512), None);
        }
        assert_eq!(inb(&mut d, 0x0F), 0xFF, "all four masked");
        assert_eq!(inb(&mut d, 0xDE), 0xFF);
        assert_eq!(inb(&mut d, 0x08), 0x00);
        assert_eq!(inb(&mut d, 0x10), 0xFF, "outside the windows");
    }

    #[test]
    fn floppy_read_in_two_runs_then_terminal_count() {
        let mut d = Dma::new();
        cascade(&mut d);
        program8(&mut d, 2, MODE_TYPE_WRITE | 0x40, 0x0001_7C00, 1024);
        assert!(d.is_ready(2));
        assert_eq!(d.remaining_bytes(2), 1024);
        let t = xfer(&d, 2, 512);
        assert_eq!(
            t,
            Transfer {
                channel: 2,
                addr: 0x1_7C00,
                len: 512,
                direction: Direction::ToMemory,
                terminal: false
            }
        );
        assert!(!d.complete(2, 512));
        let t = xfer(&d, 2, 4096);
        assert_eq!((t.addr, t.len, t.terminal), (0x1_7E00, 512, true));
        d.set_dreq(2, true);
        assert!(d.complete(2, 512), "terminal count");
        // Status: TC for channel 2 and its request line; TC clears on read.
        assert_eq!(inb(&mut d, 0x08), 0x04 | 0x40);
        assert_eq!(inb(&mut d, 0x08), 0x40);
        d.set_dreq(2, false);
        assert_eq!(inb(&mut d, 0x08), 0x00);
        // Without autoinit the channel masked itself; count reads FFFFh.
        assert!(!d.is_ready(2));
        assert_eq!(inb(&mut d, 0x0F) & 0x04, 0x04);
        out(&mut d, 0x0C, 0);
        assert_eq!([inb(&mut d, 0x05), inb(&mut d, 0x05)], [0xFF, 0xFF]);
        assert_eq!([inb(&mut d, 0x04), inb(&mut d, 0x04)], [0x00, 0x80]);
    }

    #[test]
    fn flip_flop_orders_low_then_high() {
        let mut d = Dma::new();
        out(&mut d, 0x0C, 0);
        out(&mut d, 0x02, 0x34);
        out(&mut d, 0x02, 0x12);
        out(&mut d, 0x03, 0xFF); // count low, flip-flop now high
        assert_eq!(inb(&mut d, 0x02), 0x12, "the flip-flop is shared");
        out(&mut d, 0x0C, 0);
        assert_eq!([inb(&mut d, 0x02), inb(&mut d, 0x02)], [0x34, 0x12]);
        // Master clear also resets the flip-flop and masks all channels.
        out(&mut d, 0x02, 0x00);
        out(&mut d, 0x0E, 0);
        assert_eq!(inb(&mut d, 0x0F), 0xF0, "clear mask");
        out(&mut d, 0x0D, 0);
        assert_eq!(inb(&mut d, 0x0F), 0xFF);
        assert_eq!(inb(&mut d, 0x02), 0x00, "low byte first after clear");
    }

    #[test]
    fn a_run_stops_at_the_64k_wrap_and_the_page_stays() {
        let mut d = Dma::new();
        cascade(&mut d);
        program8(&mut d, 1, MODE_TYPE_READ, 0x02_FF00, 0x200);
        let t = xfer(&d, 1, 0x1000);
        assert_eq!(
            (t.addr, t.len, t.direction),
            (0x2_FF00, 0x100, Direction::FromMemory)
        );
        assert!(!d.complete(1, 0x100));
        let t = xfer(&d, 1, 0x1000);
        assert_eq!((t.addr, t.len, t.terminal), (0x2_0000, 0x100, true));
    }

    #[test]
    fn word_channels_shift_the_address_and_count_words() {
        let mut d = Dma::new();
        cascade(&mut d);
        out(&mut d, 0xD4, SEL_SET | 1); // mask channel 5
        out(&mut d, 0xD8, 0);
        out(&mut d, 0xD6, MODE_TYPE_WRITE | 1);
        out(&mut d, 0xC4, 0x00); // word address 8000h
        out(&mut d, 0xC4, 0x80);
        out(&mut d, 0x8B, 0x13); // bit 0 of the page is ignored
        out(&mut d, 0xC6, 0xFF); // 1024 words
        out(&mut d, 0xC6, 0x03);
        out(&mut d, 0xD5, 0x01); // odd port aliases D4h: unmask channel 5
        let t = xfer(&d, 5, 1001);
        assert_eq!((t.addr, t.len, t.terminal), (0x13_0000, 1000, false));
        assert!(!d.complete(5, 999), "a partial word counts");
        assert_eq!(d.remaining_bytes(5), 2048 - 1000);
        let t = xfer(&d, 5, 4096);
        assert_eq!((t.addr, t.len, t.terminal), (0x13_03E8, 1048, true));
        assert!(d.complete(5, 1048));
        assert_eq!(inb(&mut d, 0xD0), 0x02, "TC of channel 5");
        assert_eq!(d.next_transfer(5, 1), None);
        // Channel 4 carries DMA1 and never transfers itself.
        assert_eq!(d.next_transfer(4, 512), None);
    }

    #[test]
    fn autoinit_reloads_and_stays_unmasked() {
        let mut d = Dma::new();
        cascade(&mut d);
        program8(&mut d, 3, MODE_TYPE_READ | MODE_AUTOINIT, 0x1000, 16);
        for _ in 0..3 {
            let t = xfer(&d, 3, 100);
            assert_eq!((t.addr, t.len, t.terminal), (0x1000, 16, true));
            assert!(d.complete(3, 16));
        }
        assert!(d.is_ready(3));
    }

    #[test]
    fn decrement_mode_goes_one_byte_at_a_time() {
        let mut d = Dma::new();
        cascade(&mut d);
        program8(&mut d, 0, MODE_TYPE_WRITE | MODE_DECREMENT, 0x5_0001, 3);
        let mut addrs = Vec::new();
        loop {
            let t = xfer(&d, 0, 512);
            assert_eq!(t.len, 1);
            addrs.push(t.addr);
            if d.complete(0, 1) {
                break;
            }
        }
        assert_eq!(addrs, [0x5_0001, 0x5_0000, 0x5_FFFF], "wraps in the page");
    }

    #[test]
    fn masked_cascade_or_disabled_controller_stops_dma1() {
        let mut d = Dma::new();
        program8(&mut d, 2, MODE_TYPE_WRITE, 0x1000, 512);
        assert_eq!(d.next_transfer(2, 512), None, "channel 4 still masked");
        cascade(&mut d);
        assert!(d.next_transfer(2, 512).is_some());
        out(&mut d, 0xD0, CMD_DISABLE);
        assert_eq!(d.next_transfer(2, 512), None, "DMA2 disabled");
        out(&mut d, 0xD0, 0);
        out(&mut d, 0x08, CMD_DISABLE);
        assert_eq!(d.next_transfer(2, 512), None, "DMA1 disabled");
        out(&mut d, 0x08, 0);
        out(&mut d, 0x0F, 0x04);
        assert_eq!(d.next_transfer(2, 512), None, "all-mask register");
        out(&mut d, 0x0F, 0x00);
        out(&mut d, 0x0B, MODE_CASCADE | 2);
        assert_eq!(d.next_transfer(2, 512), None, "cascade mode");
        out(&mut d, 0x0B, 2); // verify
        assert_eq!(d.next_transfer(2, 0), None, "nothing asked for");
        let t = d.next_transfer(2, 1);
        assert_eq!(t.map(|t| t.direction), Some(Direction::Verify));
        out(&mut d, 0x0B, MODE_TYPE | 2); // the illegal type acts as verify
        assert_eq!(
            d.next_transfer(2, 8).map(|t| t.direction),
            Some(Direction::Verify)
        );
    }

    #[test]
    fn request_register_shows_in_status_until_tc() {
        let mut d = Dma::new();
        cascade(&mut d);
        program8(&mut d, 1, MODE_TYPE_WRITE, 0, 2);
        out(&mut d, 0x09, SEL_SET | 1);
        assert_eq!(inb(&mut d, 0x08), 0x20);
        out(&mut d, 0x09, 1);
        assert_eq!(inb(&mut d, 0x08), 0x00);
        out(&mut d, 0x09, SEL_SET | 1);
        assert!(d.complete(1, 2));
        assert_eq!(inb(&mut d, 0x08), 0x02, "TC clears the request");
        assert!(!d.complete(9, 1));
        assert_eq!(d.remaining_bytes(9), 0);
        d.set_dreq(9, true);
        assert_eq!(d.page(9), 0);
        out(&mut d, 0x08, CMD_MEM_TO_MEM);
        assert!(d.mem_to_mem());
    }

    #[test]
    fn page_registers_and_post_code() {
        let mut d = Dma::new();
        for (i, port) in (0x80..=0x8F).enumerate() {
            out(&mut d, port, 0xA0 + i as u8);
        }
        for (i, port) in (0x80..=0x8F).enumerate() {
            assert_eq!(inb(&mut d, port), 0xA0 + i as u8);
        }
        assert_eq!(d.post_code(), 0xA0);
        assert_eq!(d.page(2), 0xA1);
        assert_eq!(d.page(7), 0xAA);
        // A word write covers two page registers.
        d.write(0x81, 2, 0x0302, 0);
        assert_eq!((d.page(2), d.page(3)), (0x02, 0x03));
    }

    #[test]
    fn no_port_sequence_panics() {
        let mut d = Dma::new();
        let mut x = 0x1234_5678u32;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let port = match x % 3 {
                0 => (x >> 8) as u16 & 0x0F,
                1 => 0xC0 + ((x >> 8) as u16 & 0x1F),
                _ => 0x80 + ((x >> 8) as u16 & 0x0F),
            };
            if x & 0x100_0000 != 0 {
                d.read(port, (x >> 25) as u8 % 5, 0);
            } else {
                d.write(port, (x >> 25) as u8 % 5, x, 0);
            }
            let ch = (x >> 4) as u8 & 7;
            if let Some(t) = d.next_transfer(ch, (x >> 12) as usize & 0xFFFF) {
                assert!(t.len > 0);
                assert!(u64::from(t.addr) + t.len as u64 <= 1 << 24);
                d.complete(ch, t.len);
            }
        }
    }
}
