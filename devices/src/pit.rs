//! Intel 8254 programmable interval timer and the PC's port 61h.
//!
//! Three counters clocked at 1.193182 MHz: channel 0 drives IRQ0, channel 1
//! once paced DRAM refresh, channel 2 feeds the speaker and is gated by bit 0
//! of port 61h, which also reads back channel 2's OUT.
//!
//! **Time.** The clock is derived from virtual nanoseconds with integer math:
//! clock pulse `n` happens at `n * 10^9 / 1_193_182` ns (rounded up), so
//! `ticks_at(now)` is exact at any `now` and never drifts. The chip's state
//! is kept as of the last pulse it has seen and advanced lazily, in O(1) per
//! counter, whenever the guest or the machine looks at it.
//!
//! **IRQ0.** OUT0 is reported as a [`LineSample`] by [`Pit::poll_irq0`]:
//! the level plus whether it rose since the previous poll (in mode 2 OUT0 is
//! low for one 838 ns clock only). [`Pit::next_deadline`] gives the time of
//! the next rising edge of OUT0, the moment the machine should poll.
//!
//! **Counting** follows the 8254 data sheet: a count written is moved to the
//! counting element on the next clock pulse (that pulse does not count), a
//! count of 0 means 65536 (10000 in BCD), mode 3 counts by two and gives
//! `ceil(N/2)` clocks high and `floor(N/2)` low, and GATE suspends counting
//! in modes 0, 2, 3 and 4 and triggers modes 1, 2, 3 and 5 on a rising edge.

use crate::{read_bytes, write_bytes, LineSample, PortIo};

/// Input clock of the 8254 on a PC, in Hz.
pub const PIT_HZ: u64 = 1_193_182;
/// Channel 0 data port; channel `n` is at `CHANNEL0 + n`.
pub const CHANNEL0: u16 = 0x40;
/// Mode/command register.
pub const CONTROL: u16 = 0x43;
/// System control port B (speaker gate and data, refresh toggle, OUT2).
pub const PORT_61: u16 = 0x61;

const NS_PER_S: u128 = 1_000_000_000;

/// Control word: counter select (11 = read-back command).
const CW_SELECT: u8 = 0b1100_0000;
const CW_READ_BACK: u8 = 0b1100_0000;
/// Control word: access mode (00 = counter latch command).
const CW_ACCESS: u8 = 0b0011_0000;
const CW_ACCESS_LATCH: u8 = 0b0000_0000;
const CW_ACCESS_LSB: u8 = 0b0001_0000;
const CW_ACCESS_MSB: u8 = 0b0010_0000;
/// Control word: counting mode, bits 3-1.
const CW_MODE: u8 = 0b0000_1110;
/// Control word: BCD counting.
const CW_BCD: u8 = 0b0000_0001;
/// The bits of the control word echoed in the status byte.
const CW_STATUS_BITS: u8 = 0b0011_1111;

/// Read-back: do not latch the count (active low).
const RB_NO_COUNT: u8 = 0b0010_0000;
/// Read-back: do not latch the status (active low).
const RB_NO_STATUS: u8 = 0b0001_0000;
/// Read-back: the counter-select bits, CNT0 at bit 1.
const RB_COUNTERS: u8 = 0b0000_1110;

/// Status byte: level of OUT.
const STATUS_OUT: u8 = 0b1000_0000;
/// Status byte: a count was written but not yet loaded into the counter.
const STATUS_NULL_COUNT: u8 = 0b0100_0000;

/// Port 61h: gate of channel 2.
const P61_GATE2: u8 = 0b0000_0001;
/// Port 61h: speaker data enable (ANDed with OUT2).
const P61_SPEAKER: u8 = 0b0000_0010;
/// Port 61h: bits the guest can write (gate, speaker, parity/IOCHK enables).
const P61_WRITABLE: u8 = 0b0000_1111;
/// Port 61h: refresh request toggle.
const P61_REFRESH: u8 = 0b0001_0000;
/// Port 61h: OUT of channel 2.
const P61_OUT2: u8 = 0b0010_0000;
/// The refresh toggle flips every 15 us of virtual time.
const REFRESH_PERIOD_NS: u64 = 15_000;

/// Clock pulses of the 8254 that have happened by virtual time `now`.
pub fn ticks_at(now: u64) -> u64 {
    (u128::from(now) * u128::from(PIT_HZ) / NS_PER_S) as u64
}

/// Virtual time of clock pulse `tick` (the first nanosecond at which
/// `ticks_at` reaches it).
pub fn time_of_tick(tick: u64) -> u64 {
    let hz = u128::from(PIT_HZ);
    let ns = (u128::from(tick) * NS_PER_S).div_ceil(hz);
    u64::try_from(ns).unwrap_or(u64::MAX)
}

fn from_bcd(v: u16) -> u32 {
    let d = |shift: u16| u32::from((v >> shift) & 0xF);
    (d(12) * 1000 + d(8) * 100 + d(4) * 10 + d(0)) % 10_000
}

fn to_bcd(v: u32) -> u16 {
    let v = v % 10_000;
    ((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10)) as u16
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Access {
    Lsb,
    Msb,
    Word,
}

/// One of the three counters.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
struct Counter {
    /// Control word bits 5-0 as written, for the status byte.
    control: u8,
    /// Counting mode 0-5 (6 and 7 are aliases of 2 and 3).
    mode: u8,
    access: Access,
    bcd: bool,
    /// Count register, as written (BCD digits in BCD mode).
    cr: u16,
    /// A complete count was written since the control word.
    cr_written: bool,
    write_msb_next: bool,
    read_msb_next: bool,
    /// Output latch: bytes still to be read come from the end of the array.
    latched: [u8; 2],
    latch_left: u8,
    status: Option<u8>,
    gate: bool,
    out: bool,
    null_count: bool,
    /// The count register is loaded into the counter on the next pulse.
    load_pending: bool,
    /// A gate rising edge was seen; acted on at the next pulse.
    trigger_pending: bool,
    /// The counter holds a loaded count and runs (modulo GATE).
    armed: bool,
    /// Modes 4 and 5: the strobe already happened for this count.
    strobe_done: bool,
    /// Counting element, modes 0, 1, 4 and 5 (0 stands for 65536/10000).
    ce: u32,
    /// Mode 2: count 1..=n. Mode 3: clocks since the period began, 0..n.
    pos: u32,
    /// Modes 2 and 3: period in clocks.
    n: u32,
}

impl Counter {
    fn new(gate: bool) -> Self {
        Counter {
            control: CW_ACCESS,
            mode: 0,
            access: Access::Word,
            bcd: false,
            cr: 0,
            cr_written: false,
            write_msb_next: false,
            read_msb_next: false,
            latched: [0; 2],
            latch_left: 0,
            status: None,
            gate,
            // Undefined before programming; high avoids a bogus IRQ0 edge
            // when the firmware sets up mode 2 or 3.
            out: true,
            null_count: true,
            load_pending: false,
            trigger_pending: false,
            armed: false,
            strobe_done: false,
            ce: 0,
            pos: 0,
            n: 1,
        }
    }

    fn modulus(&self) -> u32 {
        if self.bcd {
            10_000
        } else {
            65_536
        }
    }

    /// The count register as a number (0 stays 0).
    fn cr_value(&self) -> u32 {
        if self.bcd {
            from_bcd(self.cr)
        } else {
            u32::from(self.cr)
        }
    }

    /// The count register as a period in clocks (0 is the full range).
    fn period(&self) -> u32 {
        match self.cr_value() {
            0 => self.modulus(),
            v => v,
        }
    }

    /// The value the counting element shows now, as a number.
    fn count(&self) -> u32 {
        let m = self.modulus();
        match self.mode {
            2 if self.armed => self.pos % m,
            3 if self.armed => mode3_count(self.pos, self.n) % m,
            _ => self.ce % m,
        }
    }

    /// The count as it appears on the data bus (BCD digits in BCD mode).
    fn count_bits(&self) -> u16 {
        let v = self.count();
        if self.bcd {
            to_bcd(v)
        } else {
            v as u16
        }
    }

    fn status_byte(&self) -> u8 {
        let mut s = self.control & CW_STATUS_BITS;
        if self.out {
            s |= STATUS_OUT;
        }
        if self.null_count {
            s |= STATUS_NULL_COUNT;
        }
        s
    }

    fn program(&mut self, cw: u8) {
        let shown = self.count();
        self.control = cw & CW_STATUS_BITS;
        self.access = match cw & CW_ACCESS {
            CW_ACCESS_LSB => Access::Lsb,
            CW_ACCESS_MSB => Access::Msb,
            _ => Access::Word,
        };
        self.mode = match (cw & CW_MODE) >> 1 {
            6 => 2,
            7 => 3,
            m => m,
        };
        self.bcd = cw & CW_BCD != 0;
        self.ce = shown % self.modulus();
        self.out = self.mode != 0;
        self.armed = false;
        self.load_pending = false;
        self.trigger_pending = false;
        self.null_count = true;
        self.cr_written = false;
        self.strobe_done = false;
        self.write_msb_next = false;
        self.read_msb_next = false;
        self.latch_left = 0;
        self.status = None;
    }

    fn write_count(&mut self, v: u8) {
        let v = u16::from(v);
        match self.access {
            Access::Lsb => self.cr = v,
            Access::Msb => self.cr = v << 8,
            Access::Word if !self.write_msb_next => {
                self.cr = (self.cr & 0xFF00) | v;
                self.write_msb_next = true;
                if self.mode == 0 {
                    // Mode 0: the first byte stops the count and drops OUT.
                    self.armed = false;
                    self.out = false;
                }
                return;
            }
            Access::Word => {
                self.cr = (self.cr & 0x00FF) | v << 8;
                self.write_msb_next = false;
            }
        }
        self.cr_written = true;
        self.null_count = true;
        match self.mode {
            0 => {
                self.out = false;
                self.armed = false;
                self.load_pending = true;
            }
            4 => self.load_pending = true,
            // A running rate generator takes the new count at its next reload.
            2 | 3 if !self.armed => self.load_pending = true,
            // Modes 1 and 5 wait for a gate trigger.
            _ => {}
        }
    }

    fn read(&mut self) -> u8 {
        if let Some(s) = self.status.take() {
            return s;
        }
        if self.latch_left > 0 {
            let b = self.latched[usize::from(2 - self.latch_left.min(2))];
            self.latch_left -= 1;
            return b;
        }
        let v = self.count_bits();
        let b = match self.access {
            Access::Lsb => v,
            Access::Msb => v >> 8,
            Access::Word => {
                let msb = self.read_msb_next;
                self.read_msb_next = !msb;
                if msb {
                    v >> 8
                } else {
                    v
                }
            }
        };
        b as u8
    }

    fn latch_count(&mut self) {
        if self.latch_left > 0 {
            return; // a second latch before the first is read is ignored
        }
        let [lo, hi] = self.count_bits().to_le_bytes();
        match self.access {
            Access::Lsb => {
                self.latched[1] = lo;
                self.latch_left = 1;
            }
            Access::Msb => {
                self.latched[1] = hi;
                self.latch_left = 1;
            }
            Access::Word => {
                self.latched = [lo, hi];
                self.latch_left = 2;
            }
        }
    }

    fn latch_status(&mut self) {
        if self.status.is_none() {
            self.status = Some(self.status_byte());
        }
    }

    fn set_gate(&mut self, level: bool) {
        if level && !self.gate {
            if matches!(self.mode, 1 | 2 | 3 | 5) && self.cr_written {
                self.trigger_pending = true;
            }
        } else if !level && self.gate && matches!(self.mode, 2 | 3) {
            self.out = true;
        }
        self.gate = level;
    }

    /// Loads the counting element from the count register.
    fn load_ce(&mut self) {
        self.ce = self.cr_value();
        self.load_pending = false;
        self.trigger_pending = false;
        self.null_count = false;
        self.armed = true;
        self.strobe_done = false;
    }

    /// Whether the next pulse does something the bulk advance doesn't cover.
    fn needs_single_pulse(&self) -> bool {
        self.load_pending || self.trigger_pending || (matches!(self.mode, 4 | 5) && !self.out)
    }

    /// One clock pulse with a load, a trigger or the end of a strobe.
    fn single_pulse(&mut self) {
        let m = self.modulus();
        match self.mode {
            0 | 4 if self.load_pending => self.load_ce(),
            1 | 5 if self.trigger_pending => {
                self.load_ce();
                if self.mode == 1 {
                    self.out = false;
                }
            }
            4 | 5 if !self.out => {
                self.out = true;
                if self.armed && (self.mode == 5 || self.gate) {
                    self.ce = (self.ce + m - 1) % m;
                }
            }
            2 | 3 if self.load_pending || self.trigger_pending => {
                self.load_ce();
                self.n = self.period();
                self.pos = if self.mode == 2 { self.n } else { 0 };
                self.out = true;
            }
            _ => {
                // Not reachable through needs_single_pulse; drop stale flags.
                self.load_pending = false;
                self.trigger_pending = false;
            }
        }
    }

    /// Advances `k > 0` plain pulses (no load, trigger or strobe end on the
    /// first one). Returns the pulses consumed (at least 1) and whether OUT
    /// rose among them.
    fn bulk(&mut self, k: u64) -> (u64, bool) {
        let m = u64::from(self.modulus());
        let ce = u64::from(self.ce) % m;
        let to_zero = if ce == 0 { m } else { ce };
        match self.mode {
            0 | 1 => {
                if !self.armed || (self.mode == 0 && !self.gate) {
                    return (k, false);
                }
                let rose = !self.out && k >= to_zero;
                self.out |= rose;
                self.ce = ((ce + m - k % m) % m) as u32;
                (k, rose)
            }
            4 | 5 => {
                if !self.armed || (self.mode == 4 && !self.gate) {
                    return (k, false);
                }
                if self.strobe_done || k < to_zero {
                    self.ce = ((ce + m - k % m) % m) as u32;
                    return (k, false);
                }
                // Terminal count: OUT low for one clock (ended by single_pulse).
                self.ce = 0;
                self.out = false;
                self.strobe_done = true;
                (to_zero, false)
            }
            2 => {
                if !self.armed || !self.gate {
                    return (k, false);
                }
                let c = u64::from(self.pos.clamp(1, self.n.max(1)));
                if k < c {
                    self.pos = (c - k) as u32;
                    self.out = !(self.pos == 1 && self.n > 1);
                    return (k, false);
                }
                // Reload after the one-clock low pulse at count 1.
                let mut rose = self.n > 1;
                if self.null_count {
                    self.n = self.period();
                    self.null_count = false;
                }
                let n = u64::from(self.n);
                let rest = k - c;
                rose |= n > 1 && rest >= n;
                self.pos = (n - rest % n) as u32;
                self.out = !(self.pos == 1 && n > 1);
                (k, rose)
            }
            _ => {
                if !self.armed || !self.gate {
                    return (k, false);
                }
                let n = u64::from(self.n.max(1));
                let p = u64::from(self.pos) % n;
                let high = n.div_ceil(2);
                if !self.null_count {
                    let total = p + k;
                    self.pos = (total % n) as u32;
                    self.out = u64::from(self.pos) < high;
                    return (k, n > 1 && total >= n);
                }
                // A new count is taken at the end of the current half-cycle.
                let boundary = if p < high { high - p } else { n - p };
                if k < boundary {
                    self.pos = (p + k) as u32;
                    self.out = p + k < high;
                    return (k, false);
                }
                let going_low = p < high && high < n;
                self.n = self.period();
                self.null_count = false;
                let new_high = self.n.div_ceil(2);
                self.pos = if going_low && new_high < self.n {
                    new_high
                } else {
                    0
                };
                self.out = self.pos < new_high;
                (boundary, !going_low && n > 1)
            }
        }
    }

    /// Advances `k` clock pulses; returns whether OUT rose on the way.
    fn advance(&mut self, mut k: u64) -> bool {
        let mut rose = false;
        while k > 0 {
            if self.needs_single_pulse() {
                let before = self.out;
                self.single_pulse();
                rose |= !before && self.out;
                k -= 1;
            } else {
                let (used, r) = self.bulk(k);
                rose |= r;
                k -= used.clamp(1, k);
            }
        }
        rose
    }

    /// Pulses from now until OUT next rises on its own, if it will.
    fn pulses_to_rise(&self) -> Option<u64> {
        let mut c = *self;
        let mut spent = 0;
        // Loads, triggers and strobe ends are one pulse each; at most two
        // can come in a row before the counter is in a steady state.
        for _ in 0..3 {
            if !c.needs_single_pulse() {
                break;
            }
            let before = c.out;
            c.single_pulse();
            spent += 1;
            if !before && c.out {
                return Some(spent);
            }
        }
        let m = u64::from(c.modulus());
        let ce = u64::from(c.ce) % m;
        let to_zero = if ce == 0 { m } else { ce };
        let rest = match c.mode {
            0 | 1 => {
                let counting = c.armed && (c.mode == 1 || c.gate);
                (counting && !c.out).then_some(to_zero)
            }
            4 | 5 => {
                let counting = c.armed && (c.mode == 5 || c.gate);
                (counting && !c.strobe_done).then_some(to_zero + 1)
            }
            2 => {
                if !c.armed || !c.gate {
                    None
                } else if c.n > 1 {
                    Some(u64::from(c.pos.max(1)))
                } else if c.null_count && c.period() > 1 {
                    Some(u64::from(c.pos.max(1)) + u64::from(c.period()))
                } else {
                    None
                }
            }
            _ => {
                if !c.armed || !c.gate {
                    return None;
                }
                let n = u64::from(c.n.max(1));
                let p = u64::from(c.pos) % n;
                let high = n.div_ceil(2);
                let nn = u64::from(c.period());
                if !c.null_count || p >= high {
                    (n > 1).then_some(n - p)
                } else if high < n {
                    // The new count starts with its low half.
                    (nn > 1).then_some(high - p + nn - nn.div_ceil(2))
                } else {
                    // A period of 1 has no low half: the new count reloads.
                    (nn > 1).then_some(high - p + nn)
                }
            }
        };
        rest.map(|r| spent + r)
    }
}

/// The count shown in mode 3 at `pos` clocks into a period of `n`.
fn mode3_count(pos: u32, n: u32) -> u32 {
    let n = n.max(1);
    let pos = pos % n;
    if n & 1 == 0 {
        let half = n / 2;
        n - 2 * (pos % half)
    } else {
        let high = n.div_ceil(2);
        match pos {
            0 => n,
            p if p < high => n + 1 - 2 * p,
            p if p == high => n,
            p => n - 1 - 2 * (p - high),
        }
    }
}

/// The 8254 and port 61h.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Pit {
    counters: [Counter; 3],
    /// The clock pulse the counters have been advanced to.
    synced: u64,
    /// OUT0 rose since the machine last polled it.
    irq0_rose: bool,
    /// Writable bits of port 61h.
    port61: u8,
}

impl Default for Pit {
    fn default() -> Self {
        Self::new()
    }
}

impl Pit {
    /// Power-on state: counters unprogrammed (mode 0, no count), gates of
    /// channels 0 and 1 tied high, channel 2's gate off.
    pub fn new() -> Self {
        Pit {
            counters: [Counter::new(true), Counter::new(true), Counter::new(false)],
            synced: 0,
            irq0_rose: false,
            port61: 0,
        }
    }

    /// Brings every counter to the clock pulse of `now`.
    fn sync(&mut self, now: u64) {
        let t = ticks_at(now).max(self.synced);
        let k = t - self.synced;
        if k > 0 {
            for (i, c) in self.counters.iter_mut().enumerate() {
                let rose = c.advance(k);
                if i == 0 && rose {
                    self.irq0_rose = true;
                }
            }
            self.synced = t;
        }
    }

    /// A counter as it stands at `now`, without changing the chip.
    fn peek(&self, channel: usize, now: u64) -> Counter {
        let mut c = self.counters[channel % 3];
        let t = ticks_at(now).max(self.synced);
        c.advance(t - self.synced);
        c
    }

    /// Level of OUT of `channel` (0-2; others read as channel `n % 3`).
    pub fn out(&self, channel: usize, now: u64) -> bool {
        self.peek(channel, now).out
    }

    /// OUT0 for the PIC's IRQ0: its level now and whether it rose since the
    /// previous poll. Feed it to [`crate::pic::Pic::set_irq_sample`].
    pub fn poll_irq0(&mut self, now: u64) -> LineSample {
        self.sync(now);
        let sample = LineSample {
            level: self.counters[0].out,
            rose: self.irq0_rose,
        };
        self.irq0_rose = false;
        sample
    }

    /// Virtual time of the next rising edge of OUT0 (`now` if one happened
    /// since the last [`Pit::poll_irq0`]), or `None` if OUT0 will not rise
    /// without the guest reprogramming the chip.
    pub fn next_deadline(&self, now: u64) -> Option<u64> {
        if self.irq0_rose {
            return Some(now);
        }
        let mut c = self.counters[0];
        let t = ticks_at(now).max(self.synced);
        if c.advance(t - self.synced) {
            return Some(now);
        }
        let pulses = c.pulses_to_rise()?;
        Some(time_of_tick(t.saturating_add(pulses)))
    }

    /// Sets the GATE input of `channel` (the machine only needs this for
    /// unusual wiring: channel 2's gate is port 61h bit 0).
    pub fn set_gate(&mut self, channel: usize, level: bool, now: u64) {
        self.sync(now);
        let ch = channel % 3;
        let before = self.counters[ch].out;
        self.counters[ch].set_gate(level);
        if ch == 0 && !before && self.counters[0].out {
            self.irq0_rose = true;
        }
    }

    /// Whether the speaker cone is pushed out now: port 61h bit 1 AND OUT2.
    pub fn speaker(&self, now: u64) -> bool {
        self.port61 & P61_SPEAKER != 0 && self.out(2, now)
    }

    fn read_port61(&mut self, now: u64) -> u8 {
        let mut v = self.port61 & P61_WRITABLE;
        if (now / REFRESH_PERIOD_NS) & 1 != 0 {
            v |= P61_REFRESH;
        }
        if self.counters[2].out {
            v |= P61_OUT2;
        }
        v
    }

    fn write_control(&mut self, cw: u8) {
        if cw & CW_SELECT == CW_READ_BACK {
            for (i, c) in self.counters.iter_mut().enumerate() {
                if cw & RB_COUNTERS & (0b10 << i) == 0 {
                    continue;
                }
                // Status first, so that it is read before the count.
                if cw & RB_NO_STATUS == 0 {
                    c.latch_status();
                }
                if cw & RB_NO_COUNT == 0 {
                    c.latch_count();
                }
            }
            return;
        }
        let ch = usize::from(cw >> 6);
        let c = &mut self.counters[ch % 3];
        if cw & CW_ACCESS == CW_ACCESS_LATCH {
            c.latch_count();
        } else {
            c.program(cw);
        }
    }

    fn read_u8(&mut self, port: u16, now: u64) -> u8 {
        self.sync(now);
        match port {
            0x40..=0x42 => self.counters[usize::from(port - CHANNEL0)].read(),
            PORT_61 => self.read_port61(now),
            // The control register cannot be read.
            _ => 0xFF,
        }
    }

    fn write_u8(&mut self, port: u16, value: u8, now: u64) {
        self.sync(now);
        let before = self.counters[0].out;
        match port {
            0x40..=0x42 => self.counters[usize::from(port - CHANNEL0)].write_count(value),
            CONTROL => self.write_control(value),
            PORT_61 => {
                self.port61 = value & P61_WRITABLE;
                self.counters[2].set_gate(value & P61_GATE2 != 0);
            }
            _ => {}
        }
        if !before && self.counters[0].out {
            self.irq0_rose = true;
        }
    }
}

impl PortIo for Pit {
    fn read(&mut self, port: u16, size: u8, now: u64) -> u32 {
        read_bytes(port, size, |p| self.read_u8(p, now))
    }

    fn write(&mut self, port: u16, size: u8, value: u32, now: u64) {
        write_bytes(port, size, value, |p, v| self.write_u8(p, v, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(pit: &mut Pit, port: u16, value: u8, now: u64) {
        pit.write(port, 1, u32::from(value), now);
    }

    fn inb(pit: &mut Pit, port: u16, now: u64) -> u8 {
        pit.read(port, 1, now) as u8
    }

    /// Programs `channel` with control word `cw` and a 16-bit count.
    fn program(pit: &mut Pit, cw: u8, count: u16, now: u64) {
        let ch = u16::from(cw >> 6);
        out(pit, CONTROL, cw, now);
        out(pit, CHANNEL0 + ch, count as u8, now);
        out(pit, CHANNEL0 + ch, (count >> 8) as u8, now);
    }

    /// Reads a 16-bit count (LSB then MSB) after a counter latch command.
    fn latch_read(pit: &mut Pit, channel: u8, now: u64) -> u16 {
        out(pit, CONTROL, channel << 6, now);
        let lo = inb(pit, CHANNEL0 + u16::from(channel), now);
        let hi = inb(pit, CHANNEL0 + u16::from(channel), now);
        u16::from_le_bytes([lo, hi])
    }

    fn t(tick: u64) -> u64 {
        time_of_tick(tick)
    }

    #[test]
    fn clock_conversion_is_exact() {
        assert_eq!(ticks_at(1_000_000_000), PIT_HZ);
        assert_eq!(ticks_at(3_600 * 1_000_000_000), 3_600 * PIT_HZ);
        for tick in [0, 1, 2, 1_193_181, 1_193_182, 123_456_789_012] {
            assert_eq!(ticks_at(time_of_tick(tick)), tick);
            assert_eq!(
                ticks_at(time_of_tick(tick) - u64::from(tick > 0)),
                tick.saturating_sub(1)
            );
        }
    }

    #[test]
    fn mode2_rate_generator_period() {
        let mut pit = Pit::new();
        program(&mut pit, 0x34, 1000, 0); // ch0, LSB/MSB, mode 2
        assert!(pit.out(0, 0));
        // Loaded at pulse 1; count reaches 1 at pulse 1000: OUT low one clock.
        assert!(pit.out(0, t(999)));
        assert!(!pit.out(0, t(1000)));
        assert!(pit.out(0, t(1001)));
        assert_eq!(pit.next_deadline(0), Some(t(1001)));
        let s = pit.poll_irq0(t(1001) + 500);
        assert!(s.rose && s.level);
        assert_eq!(pit.next_deadline(t(1001) + 500), Some(t(2001)));
        assert!(!pit.poll_irq0(t(2000)).rose);
        assert!(pit.poll_irq0(t(2001)).rose);
        // Polling late still reports the pulse, once.
        assert!(pit.poll_irq0(t(5500)).rose);
        assert!(!pit.poll_irq0(t(5600)).rose);
    }

    #[test]
    fn mode2_counts_down_and_reloads() {
        let mut pit = Pit::new();
        program(&mut pit, 0x34, 5, 0);
        let seq: Vec<u16> = (1..=11).map(|i| latch_read(&mut pit, 0, t(i))).collect();
        assert_eq!(seq, vec![5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5]);
    }

    #[test]
    fn mode2_new_count_waits_for_reload() {
        let mut pit = Pit::new();
        program(&mut pit, 0x34, 100, 0);
        out(&mut pit, CHANNEL0, 50, t(30));
        out(&mut pit, CHANNEL0, 0, t(30));
        assert_eq!(latch_read(&mut pit, 0, t(31)), 100 - 30);
        assert_eq!(pit.next_deadline(t(31)), Some(t(101)));
        assert!(pit.poll_irq0(t(101)).rose);
        assert_eq!(pit.next_deadline(t(101)), Some(t(151)));
    }

    #[test]
    fn mode3_square_wave_even_and_odd() {
        let mut pit = Pit::new();
        program(&mut pit, 0x36, 0, 0); // 65536: the BIOS's 18.2 Hz tick
        assert!(pit.out(0, t(32768)));
        assert!(!pit.out(0, t(32769)));
        assert!(!pit.out(0, t(65536)));
        assert!(pit.out(0, t(65537)));
        assert_eq!(pit.next_deadline(0), Some(t(65537)));
        // Mode 3 counts down by two: 0 (65536), 65534, ...
        assert_eq!(latch_read(&mut pit, 0, t(1)), 0);
        assert_eq!(latch_read(&mut pit, 0, t(2)), 65534);
        assert_eq!(latch_read(&mut pit, 0, t(32768)), 2);
        assert_eq!(latch_read(&mut pit, 0, t(32769)), 0);

        // Odd count 5: high for 3 clocks, low for 2.
        let mut pit = Pit::new();
        program(&mut pit, 0x36, 5, 0);
        let outs: Vec<bool> = (1..=11).map(|i| pit.out(0, t(i))).collect();
        let h = true;
        let l = false;
        assert_eq!(outs, vec![h, h, h, l, l, h, h, h, l, l, h]);
        let counts: Vec<u16> = (1..=6).map(|i| latch_read(&mut pit, 0, t(i))).collect();
        assert_eq!(counts, vec![5, 4, 2, 5, 2, 5]);
    }

    #[test]
    fn mode3_new_count_at_half_cycle() {
        let mut pit = Pit::new();
        program(&mut pit, 0x36, 10, 0);
        out(&mut pit, CHANNEL0, 4, t(3));
        out(&mut pit, CHANNEL0, 0, t(3));
        // High half of 10 ends at pulse 6; the low half then uses 4.
        let outs: Vec<bool> = (1..=12).map(|i| pit.out(0, t(i))).collect();
        let (h, l) = (true, false);
        assert_eq!(outs, vec![h, h, h, h, h, l, l, h, h, l, l, h]);
        assert_eq!(pit.next_deadline(t(3)), Some(t(8)));
    }

    #[test]
    fn mode3_edges_do_not_drift() {
        let mut pit = Pit::new();
        program(&mut pit, 0x36, 0, 0);
        let mut now = 0;
        let mut edges = 0u64;
        while let Some(d) = pit.next_deadline(now) {
            if d > 3_600_000_000_000 {
                break;
            }
            now = d;
            edges += u64::from(pit.poll_irq0(now).rose);
        }
        // One hour: rising edges at pulses 65537, 2*65536+1, ...
        let pulses = ticks_at(3_600_000_000_000);
        assert_eq!(edges, (pulses - 1) / 65536);
    }

    #[test]
    fn mode0_terminal_count() {
        let mut pit = Pit::new();
        program(&mut pit, 0x30, 100, t(10)); // ch0 mode 0
        assert!(!pit.out(0, t(10)));
        // N + 1 pulses after the write.
        assert!(!pit.out(0, t(110)));
        assert!(pit.out(0, t(111)));
        assert_eq!(pit.next_deadline(t(10)), Some(t(111)));
        // OUT stays high while the count wraps.
        assert!(pit.out(0, t(111 + 70_000)));
        assert_eq!(latch_read(&mut pit, 0, t(112)), 0xFFFF);
        assert!(pit.poll_irq0(t(200)).rose);
        assert_eq!(pit.next_deadline(t(200)), None);
        // A new count drops OUT and starts over.
        out(&mut pit, CHANNEL0, 10, t(300));
        assert!(!pit.out(0, t(300)), "first byte drops OUT");
        out(&mut pit, CHANNEL0, 0, t(300));
        assert!(pit.out(0, t(311)));
        assert!(!pit.out(0, t(310)));
    }

    #[test]
    fn mode4_software_strobe_like_linux_oneshot() {
        let mut pit = Pit::new();
        program(&mut pit, 0x38, 20, 0); // Linux's oneshot: mode 4
        assert!(pit.out(0, t(20)));
        assert!(!pit.out(0, t(21)), "strobe at terminal count");
        assert!(pit.out(0, t(22)));
        assert_eq!(pit.next_deadline(0), Some(t(22)));
        assert!(pit.poll_irq0(t(22)).rose);
        assert_eq!(pit.next_deadline(t(22)), None, "one shot");
        // Rearm by writing a new count only.
        out(&mut pit, CHANNEL0, 5, t(100));
        out(&mut pit, CHANNEL0, 0, t(100));
        assert_eq!(pit.next_deadline(t(100)), Some(t(107)));
    }

    #[test]
    fn mode1_and_mode5_wait_for_gate_trigger() {
        let mut pit = Pit::new();
        out(&mut pit, PORT_61, 0x00, 0);
        program(&mut pit, 0xB2, 10, 0); // ch2 mode 1
        assert!(pit.out(2, t(50)), "no trigger yet");
        out(&mut pit, PORT_61, P61_GATE2, t(50));
        assert!(!pit.out(2, t(51)), "one-shot starts on the next clock");
        assert!(!pit.out(2, t(60)));
        assert!(pit.out(2, t(61)));
        // Mode 5: strobe N + 1 clocks after the trigger.
        out(&mut pit, PORT_61, 0, t(100));
        program(&mut pit, 0xBA, 4, t(100));
        out(&mut pit, PORT_61, P61_GATE2, t(110));
        assert!(pit.out(2, t(114)));
        assert!(!pit.out(2, t(115)));
        assert!(pit.out(2, t(116)));
    }

    #[test]
    fn latch_holds_value_while_counting() {
        let mut pit = Pit::new();
        program(&mut pit, 0x34, 10_000, 0);
        out(&mut pit, CONTROL, 0x00, t(101)); // latch ch0
        out(&mut pit, CONTROL, 0x00, t(500)); // ignored: already latched
        assert_eq!(inb(&mut pit, CHANNEL0, t(2000)), (9_900u16 & 0xFF) as u8);
        assert_eq!(inb(&mut pit, CHANNEL0, t(3000)), (9_900u16 >> 8) as u8);
        // Unlatched reads follow the counter.
        let lo = inb(&mut pit, CHANNEL0, t(4001));
        let hi = inb(&mut pit, CHANNEL0, t(4001));
        assert_eq!(u16::from_le_bytes([lo, hi]), 10_000 - 4000);
        // LSB-only access reads a single byte.
        program(&mut pit, 0x14, 0, t(5000));
        out(&mut pit, CHANNEL0, 200, t(5000));
        out(&mut pit, CONTROL, 0x00, t(5011));
        assert_eq!(inb(&mut pit, CHANNEL0, t(5011)), 190);
        assert_eq!(inb(&mut pit, CHANNEL0, t(5011)), 190, "unlatched again");
    }

    #[test]
    fn read_back_status_and_count() {
        let mut pit = Pit::new();
        out(&mut pit, CONTROL, 0x34, 0);
        // Read-back, status only, channel 0.
        out(&mut pit, CONTROL, 0b1110_0010, 0);
        assert_eq!(
            inb(&mut pit, CHANNEL0, 0),
            STATUS_OUT | STATUS_NULL_COUNT | 0x34
        );
        out(&mut pit, CHANNEL0, 0x00, 0);
        out(&mut pit, CHANNEL0, 0x10, 0);
        out(&mut pit, CONTROL, 0b1110_0010, 0);
        assert_eq!(inb(&mut pit, CHANNEL0, 0), 0xF4, "count not loaded yet");
        out(&mut pit, CONTROL, 0b1110_0010, t(1));
        assert_eq!(inb(&mut pit, CHANNEL0, t(1)), 0xB4, "null count cleared");
        // Status and count together: status first, then LSB, MSB.
        out(&mut pit, CONTROL, 0b1100_0010, t(17));
        assert_eq!(inb(&mut pit, CHANNEL0, t(40)), 0xB4);
        assert_eq!(inb(&mut pit, CHANNEL0, t(40)), 0xF0);
        assert_eq!(inb(&mut pit, CHANNEL0, t(40)), 0x0F);
        // Several counters at once; mode 0 OUT low before terminal count.
        program(&mut pit, 0x70, 1000, t(50)); // ch1 mode 0
        out(&mut pit, CONTROL, 0b1110_0110, t(60));
        assert_eq!(inb(&mut pit, CHANNEL0, t(60)) & STATUS_OUT, STATUS_OUT);
        assert_eq!(inb(&mut pit, CHANNEL0 + 1, t(60)), 0x30);
        // The control register reads as nothing.
        assert_eq!(inb(&mut pit, CONTROL, t(60)), 0xFF);
    }

    #[test]
    fn bcd_counting() {
        let mut pit = Pit::new();
        program(&mut pit, 0x31, 0x0100, 0); // mode 0, BCD, 100
        assert_eq!(latch_read(&mut pit, 0, t(51)), 0x0050);
        assert!(!pit.out(0, t(100)));
        assert!(pit.out(0, t(101)));
        assert_eq!(latch_read(&mut pit, 0, t(102)), 0x9999, "wraps to 9999");
        assert!(pit.poll_irq0(t(150)).rose);
        // A count of 0 is 10000 in BCD.
        program(&mut pit, 0x35, 0x0000, t(200));
        assert_eq!(pit.next_deadline(t(200)), Some(t(200 + 1 + 10_000)));
        assert_eq!(latch_read(&mut pit, 0, t(202)), 0x9999);
        assert_eq!(latch_read(&mut pit, 0, t(1201)), 0x9000);
    }

    #[test]
    fn port61_gate_out2_and_refresh() {
        let mut pit = Pit::new();
        // Linux's PIT calibration: gate on, speaker off, ch2 mode 0.
        out(&mut pit, PORT_61, P61_GATE2, 0);
        program(&mut pit, 0xB0, 1000, 0);
        assert_eq!(inb(&mut pit, PORT_61, t(1000)) & P61_OUT2, 0);
        assert_eq!(inb(&mut pit, PORT_61, t(1001)) & P61_OUT2, P61_OUT2);
        // Gate low suspends mode 0 counting.
        program(&mut pit, 0xB0, 1000, t(2000));
        out(&mut pit, PORT_61, 0, t(2501));
        assert_eq!(latch_read(&mut pit, 2, t(9000)), 500);
        out(&mut pit, PORT_61, P61_GATE2 | P61_SPEAKER, t(9000));
        assert_eq!(inb(&mut pit, PORT_61, t(9000)) & 0x0F, 0x03);
        assert!(!pit.out(2, t(9499)));
        assert!(pit.out(2, t(9500)), "500 more pulses after the gate opens");
        assert!(pit.speaker(t(9500)));
        // Mode 3 speaker tone, gate low forces OUT2 high.
        program(&mut pit, 0xB6, 100, t(10_000));
        assert!(!pit.out(2, t(10_060)));
        out(&mut pit, PORT_61, 0, t(10_060));
        assert!(pit.out(2, t(10_060)));
        assert!(pit.out(2, t(20_000)), "suspended");
        // The gate's rising edge restarts the period.
        out(&mut pit, PORT_61, P61_GATE2, t(20_000));
        assert!(pit.out(2, t(20_050)));
        assert!(!pit.out(2, t(20_051)));
        // Refresh toggle: flips every 15 us.
        let r = |pit: &mut Pit, ns| inb(pit, PORT_61, ns) & P61_REFRESH;
        assert_eq!(r(&mut pit, 0), 0);
        assert_eq!(r(&mut pit, 14_999), 0);
        assert_eq!(r(&mut pit, 15_000), P61_REFRESH);
        assert_eq!(r(&mut pit, 30_000), 0);
    }

    #[test]
    fn lsb_msb_only_access() {
        let mut pit = Pit::new();
        out(&mut pit, CONTROL, 0x24, 0); // MSB only, mode 2
        out(&mut pit, CHANNEL0, 0x02, 0); // count 0x200
        assert_eq!(pit.next_deadline(0), Some(t(1 + 0x200)));
        assert_eq!(inb(&mut pit, CHANNEL0, t(1)), 0x02);
        assert_eq!(inb(&mut pit, CHANNEL0, t(2)), 0x01);
    }

    /// A tiny deterministic generator for the property test.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    /// Bulk advancing must agree with pulse-by-pulse advancing, and the
    /// predicted next rising edge with the one the pulses produce.
    #[test]
    fn bulk_matches_single_pulses() {
        let mut rng = Lcg(7);
        for _ in 0..200_000 {
            let mut c = Counter::new(true);
            let mode = (rng.next() % 8) as u8;
            let access = [0x10, 0x20, 0x30][(rng.next() % 3) as usize];
            let bcd = rng.next() & 3 == 0;
            c.program(mode << 1 | access | u8::from(bcd));
            let small = [0u16, 1, 2, 3, 4, 5, 6, 7, 9, 0x10][(rng.next() % 10) as usize];
            for b in small.to_le_bytes() {
                c.write_count(b);
            }
            // Random history: some pulses, gate changes and rewrites.
            for _ in 0..(rng.next() % 6) {
                match rng.next() % 4 {
                    0 => c.set_gate(rng.next() & 3 != 0),
                    1 => c.write_count((rng.next() % 12) as u8),
                    _ => {
                        c.advance(rng.next() % 30);
                    }
                }
            }
            let k = rng.next() % 40 + 1;
            let mut stepped = c;
            let mut first_rise = None;
            for i in 1..=k {
                if stepped.advance(1) && first_rise.is_none() {
                    first_rise = Some(i);
                }
            }
            let mut bulk = c;
            let rose = bulk.advance(k);
            assert_eq!(rose, first_rise.is_some(), "{c:?} k={k}");
            assert_eq!(bulk.out, stepped.out, "{c:?} k={k}");
            assert_eq!(bulk.count(), stepped.count(), "{c:?} k={k}");
            if let Some(r) = first_rise {
                assert_eq!(c.pulses_to_rise(), Some(r), "{c:?}");
            } else if let Some(r) = c.pulses_to_rise() {
                assert!(r > k, "{c:?} predicted {r} within {k}");
            }
        }
    }

    #[test]
    fn odd_values_never_panic() {
        let mut pit = Pit::new();
        let mut rng = Lcg(1);
        let mut now = 0;
        for _ in 0..20_000 {
            now += rng.next() % 5000;
            let port = [0x40, 0x41, 0x42, 0x43, 0x61, 0x44][(rng.next() % 6) as usize];
            if rng.next() & 1 == 0 {
                pit.write(port, (rng.next() % 5) as u8, rng.next() as u32, now);
            } else {
                pit.read(port, 4, now);
            }
            pit.next_deadline(now);
            pit.poll_irq0(now);
        }
        pit.poll_irq0(0); // time going backwards is tolerated
    }
}
