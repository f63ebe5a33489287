//! Motorola MC146818 real-time clock with its 128 bytes of CMOS RAM.
//!
//! Port 70h selects a register (bit 7 of the write is the PC's NMI mask,
//! remembered here for the machine), port 71h reads or writes it.
//!
//! **Time base.** The clock starts at the date given to [`Cmos::new`] (the
//! machine passes the host's time at start, or a fixed date for deterministic
//! runs) and advances with virtual time only. Its 32.768 kHz divider chain is
//! modelled from virtual nanoseconds with integer math: tick `n` of the chain
//! is at `origin + n * 10^9 / 32768` ns. Once a second (every 32768 ticks) the
//! update cycle advances the time, sets UF and checks the alarm; update-in-
//! progress (UIP in register A) is set for the 8 ticks (244 us) before it.
//! The periodic interrupt comes every 2^(RS-1) ticks. The state is advanced
//! lazily whenever the guest or the machine looks.
//!
//! **Interrupt.** [`Cmos::irq`] is the IRQ8 line: high while IRQF is set,
//! that is while a flag in register C is set with its enable bit in register
//! B. Reading register C clears the flags. [`Cmos::next_deadline`] gives the
//! next periodic or update event that matters for the line.
//!
//! The time is kept internally as numbers and shown in the format register B
//! selects at the time of the read (BCD or binary, 12 or 24 hours); alarm
//! registers are kept as written and compared with the time in the current
//! format, as the chip compares bytes. The century (register 32h, as the PC
//! and ACPI define it) is kept with the clock and carried when the year
//! wraps; leap years follow the Gregorian rule on the full year.

use crate::{read_bytes, write_bytes, PortIo};

/// Index port; bit 7 of a write disables NMI.
pub const INDEX_PORT: u16 = 0x70;
/// Data port.
pub const DATA_PORT: u16 = 0x71;

/// Register indexes of the clock.
pub const REG_SECONDS: u8 = 0x00;
pub const REG_SECONDS_ALARM: u8 = 0x01;
pub const REG_MINUTES: u8 = 0x02;
pub const REG_MINUTES_ALARM: u8 = 0x03;
pub const REG_HOURS: u8 = 0x04;
pub const REG_HOURS_ALARM: u8 = 0x05;
pub const REG_WEEKDAY: u8 = 0x06;
pub const REG_DAY: u8 = 0x07;
pub const REG_MONTH: u8 = 0x08;
pub const REG_YEAR: u8 = 0x09;
pub const REG_A: u8 = 0x0A;
pub const REG_B: u8 = 0x0B;
pub const REG_C: u8 = 0x0C;
pub const REG_D: u8 = 0x0D;
/// Century byte (BCD by convention), read by BIOSes and named by ACPI.
pub const REG_CENTURY: u8 = 0x32;

/// NVRAM fields the PC BIOSes read.
pub const NV_BASE_MEM_LO: u8 = 0x15;
pub const NV_BASE_MEM_HI: u8 = 0x16;
pub const NV_EXT_MEM_LO: u8 = 0x17;
pub const NV_EXT_MEM_HI: u8 = 0x18;
pub const NV_CHECKSUM_HI: u8 = 0x2E;
pub const NV_CHECKSUM_LO: u8 = 0x2F;
pub const NV_EXT_MEM2_LO: u8 = 0x30;
pub const NV_EXT_MEM2_HI: u8 = 0x31;
pub const NV_MEM_ABOVE_16M_LO: u8 = 0x34;
pub const NV_MEM_ABOVE_16M_HI: u8 = 0x35;
pub const NV_MEM_ABOVE_4G: u8 = 0x5B;
/// The checksummed range, 10h-2Dh.
const CHECKSUM_FIRST: u8 = 0x10;
const CHECKSUM_LAST: u8 = 0x2D;

/// Register A: update in progress (read-only).
const A_UIP: u8 = 0b1000_0000;
/// Register A: divider control.
const A_DV: u8 = 0b0111_0000;
/// Register A: divider running from a 32.768 kHz crystal.
const A_DV_32K: u8 = 0b0010_0000;
/// Register A: rate select of the periodic interrupt.
const A_RS: u8 = 0b0000_1111;

/// Register B: halt updates so the time can be set.
const B_SET: u8 = 0b1000_0000;
/// Register B: periodic interrupt enable.
const B_PIE: u8 = 0b0100_0000;
/// Register B: alarm interrupt enable.
const B_AIE: u8 = 0b0010_0000;
/// Register B: update-ended interrupt enable.
const B_UIE: u8 = 0b0001_0000;
/// Register B: binary (1) or BCD (0) data.
const B_DM_BINARY: u8 = 0b0000_0100;
/// Register B: 24-hour (1) or 12-hour (0) format.
const B_24H: u8 = 0b0000_0010;
/// Register B: daylight saving (not modelled).
const B_DSE: u8 = 0b0000_0001;

/// Register C: an enabled flag is set (IRQ asserted).
const C_IRQF: u8 = 0b1000_0000;
/// Register C: periodic interrupt flag.
const C_PF: u8 = 0b0100_0000;
/// Register C: alarm flag.
const C_AF: u8 = 0b0010_0000;
/// Register C: update-ended flag.
const C_UF: u8 = 0b0001_0000;
/// Register C flags line up with their enables in register B.
const C_FLAGS: u8 = C_PF | C_AF | C_UF;

/// Register D: valid RAM and time (the battery is good).
const D_VRT: u8 = 0b1000_0000;

/// Hour register in 12-hour mode: PM.
const HOUR_PM: u8 = 0b1000_0000;
/// Alarm byte with both top bits set matches any value.
const ALARM_DONT_CARE: u8 = 0b1100_0000;
/// Index write: disable NMI.
const INDEX_NMI_DISABLE: u8 = 0b1000_0000;
const INDEX_MASK: u8 = 0b0111_1111;

/// Divider chain input.
const RTC_HZ: u64 = 32_768;
/// UIP rises this many ticks (244 us) before the update.
const UIP_TICKS: u64 = 8;
/// After the divider leaves reset, the first update comes 500 ms later.
const FIRST_UPDATE_AFTER_RESET: u64 = RTC_HZ / 2;
const NS_PER_S: u128 = 1_000_000_000;
const SECONDS_PER_DAY: u64 = 86_400;

/// A calendar date and time of day (Gregorian, no time zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DateTime {
    pub year: u16,
    /// 1-12.
    pub month: u8,
    /// 1-31.
    pub day: u8,
    /// 0-23.
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl DateTime {
    /// The date `secs` seconds after 1970-01-01 00:00:00 (for the machine,
    /// which may read the host clock; this crate never does).
    pub fn from_unix(secs: u64) -> Self {
        let days = (secs / SECONDS_PER_DAY) as i64;
        let tod = secs % SECONDS_PER_DAY;
        let (year, month, day) = civil_from_days(days);
        DateTime {
            year: u16::try_from(year).unwrap_or(u16::MAX),
            month,
            day,
            hour: (tod / 3600) as u8,
            minute: (tod / 60 % 60) as u8,
            second: (tod % 60) as u8,
        }
    }

    /// Day of the week as the MC146818 counts it: 1 = Sunday ... 7 = Saturday.
    pub fn weekday(&self) -> u8 {
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        // 1970-01-01 was a Thursday (5).
        (days + 4).rem_euclid(7) as u8 + 1
    }
}

/// Days since 1970-01-01 of a Gregorian date (month clamped to 1-12).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let m = i64::from(month.clamp(1, 12));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(month: u8, year: u32) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn to_bcd(v: u8) -> u8 {
    (v / 10 % 10) << 4 | (v % 10)
}

fn from_bcd(v: u8) -> u8 {
    (v >> 4) * 10 + (v & 0x0F)
}

/// The time-keeping counters, as numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Clock {
    second: u8,
    minute: u8,
    /// 0-23.
    hour: u8,
    /// 1 = Sunday.
    weekday: u8,
    day: u8,
    month: u8,
    /// 0-99.
    year: u8,
    /// 0-99.
    century: u8,
}

impl Clock {
    fn from_date(d: DateTime) -> Self {
        Clock {
            second: d.second.min(59),
            minute: d.minute.min(59),
            hour: d.hour.min(23),
            weekday: d.weekday(),
            day: d.day.clamp(1, 31),
            month: d.month.clamp(1, 12),
            year: (d.year % 100) as u8,
            century: (d.year / 100 % 100) as u8,
        }
    }

    fn full_year(&self) -> u32 {
        u32::from(self.century) * 100 + u32::from(self.year)
    }

    fn date(&self) -> DateTime {
        DateTime {
            year: self.full_year() as u16,
            month: self.month,
            day: self.day,
            hour: self.hour,
            minute: self.minute,
            second: self.second,
        }
    }

    /// Moves to the next day, carrying into month, year and century.
    fn next_day(&mut self) {
        self.weekday = self.weekday % 7 + 1;
        if self.day >= days_in_month(self.month, self.full_year()) {
            self.day = 1;
            if self.month >= 12 {
                self.month = 1;
                if self.year >= 99 {
                    self.year = 0;
                    self.century = (self.century + 1) % 100;
                } else {
                    self.year += 1;
                }
            } else {
                self.month += 1;
            }
        } else {
            self.day += 1;
        }
    }

    /// One update cycle: one second later. Out-of-range values written by
    /// the guest carry at the next step, without panicking.
    fn tick(&mut self) {
        if self.second < 59 {
            self.second += 1;
            return;
        }
        self.second = 0;
        if self.minute < 59 {
            self.minute += 1;
            return;
        }
        self.minute = 0;
        if self.hour < 23 {
            self.hour += 1;
            return;
        }
        self.hour = 0;
        self.next_day();
    }

    /// `secs` seconds later, in O(months) steps.
    fn add_seconds(&mut self, secs: u64) {
        let tod = u64::from(self.second.min(59))
            + 60 * u64::from(self.minute.min(59))
            + 3600 * u64::from(self.hour.min(23))
            + secs % SECONDS_PER_DAY;
        let mut days = secs / SECONDS_PER_DAY + tod / SECONDS_PER_DAY;
        let tod = tod % SECONDS_PER_DAY;
        self.second = (tod % 60) as u8;
        self.minute = (tod / 60 % 60) as u8;
        self.hour = (tod / 3600) as u8;
        while days > 0 {
            let left = u64::from(days_in_month(self.month, self.full_year()))
                .saturating_sub(u64::from(self.day));
            if days <= left {
                self.day += days as u8;
                self.weekday = ((u64::from(self.weekday) + 6 + days) % 7 + 1) as u8;
                days = 0;
            } else {
                // Jump to the last day of the month, then roll over.
                self.day += left as u8;
                self.weekday = ((u64::from(self.weekday) + 6 + left) % 7 + 1) as u8;
                days -= left + 1;
                self.next_day();
            }
        }
    }
}

/// The MC146818 RTC and CMOS RAM.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Cmos {
    clock: Clock,
    #[serde(with = "crate::block::big_array")]
    ram: [u8; 128],
    index: u8,
    nmi_disabled: bool,
    reg_a: u8,
    reg_b: u8,
    /// Flags PF, AF, UF (IRQF is derived).
    flags: u8,
    alarm: [u8; 3],
    /// Virtual time (ns) at which the divider chain started counting.
    origin: u64,
    /// Chain tick (since `origin`) of the first update cycle.
    first_update: u64,
    /// Chain tick the state has been advanced to.
    synced: u64,
}

impl Cmos {
    /// A battery-backed clock showing `start` at virtual time 0, with the
    /// divider running (first update one second later), BCD 24-hour format,
    /// 1024 Hz periodic rate selected, and zeroed CMOS RAM.
    pub fn new(start: DateTime) -> Self {
        Cmos {
            clock: Clock::from_date(start),
            ram: [0; 128],
            index: 0,
            nmi_disabled: false,
            reg_a: A_DV_32K | 0b0110,
            reg_b: B_24H,
            flags: 0,
            alarm: [0; 3],
            origin: 0,
            first_update: RTC_HZ,
            synced: 0,
        }
    }

    /// Whether the guest last wrote port 70h with bit 7 set (NMI masked).
    pub fn nmi_disabled(&self) -> bool {
        self.nmi_disabled
    }

    /// The IRQ8 line (IRQF).
    pub fn irq(&self) -> bool {
        self.flags & self.reg_b & C_FLAGS != 0
    }

    /// Advances the clock to `now`; call at the deadline, then read `irq()`.
    pub fn update(&mut self, now: u64) {
        self.sync(now);
    }

    /// The date and time the clock shows at `now`.
    pub fn time(&mut self, now: u64) -> DateTime {
        self.sync(now);
        self.clock.date()
    }

    /// Virtual time of the next event that can raise IRQ8: a periodic tick
    /// with PIE set, or an update cycle with UIE or AIE set. `None` while
    /// IRQ8 is already high (it stays so until register C is read) or no
    /// enabled source can fire.
    pub fn next_deadline(&self, _now: u64) -> Option<u64> {
        if !self.running() || self.irq() {
            return None;
        }
        let t = self.synced;
        let periodic = self.periodic_ticks().filter(|_| self.reg_b & B_PIE != 0);
        let periodic = periodic.map(|p| (t / p + 1) * p);
        let update = (self.reg_b & (B_UIE | B_AIE) != 0 && self.reg_b & B_SET == 0)
            .then(|| self.next_update_after(t));
        let tick = match (periodic, update) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(self.time_of_tick(tick))
    }

    /// Writes a CMOS RAM byte (index 0Eh-7Fh) as firmware setup would; the
    /// clock registers below 0Eh are not RAM and are left alone. Index 32h
    /// sets the century, read in the current data format.
    pub fn set_byte(&mut self, index: u8, value: u8) {
        let index = index & INDEX_MASK;
        match index {
            0..=0x0D => log::debug!("CMOS: set_byte({index:#04x}) is a clock register"),
            REG_CENTURY => self.clock.century = self.decode(value) % 100,
            _ => self.ram[usize::from(index)] = value,
        }
    }

    /// Reads a CMOS RAM byte (index 0Eh-7Fh; the century as the guest sees
    /// it at 32h). Clock registers read as 0 here.
    pub fn byte(&self, index: u8) -> u8 {
        let index = index & INDEX_MASK;
        match index {
            0..=0x0D => 0,
            REG_CENTURY => self.encode(self.clock.century),
            _ => self.ram[usize::from(index)],
        }
    }

    /// Fills the memory-size fields BIOSes read: base memory (15h/16h, KiB,
    /// at most 640), extended memory above 1 MiB (17h/18h and 30h/31h, KiB,
    /// at most 63 MiB), memory between 16 MiB and 4 GiB (34h/35h, 64 KiB
    /// units) and memory above 4 GiB (5Bh-5Dh, 64 KiB units); then the
    /// checksum. `below_4g` counts all RAM under 4 GiB, from address 0.
    pub fn set_memory_size(&mut self, below_4g: u64, above_4g: u64) {
        const KIB: u64 = 1024;
        const MIB: u64 = 1024 * KIB;
        let base = (below_4g / KIB).min(640) as u16;
        let ext = (below_4g.saturating_sub(MIB) / KIB).min(0xFC00) as u16;
        let above16 = (below_4g.saturating_sub(16 * MIB) / (64 * KIB)).min(0xFFFF) as u16;
        let above4g = (above_4g / (64 * KIB)).min(0xFF_FFFF) as u32;
        self.set_word(NV_BASE_MEM_LO, base);
        self.set_word(NV_EXT_MEM_LO, ext);
        self.set_word(NV_EXT_MEM2_LO, ext);
        self.set_word(NV_MEM_ABOVE_16M_LO, above16);
        for (i, b) in above4g.to_le_bytes()[..3].iter().enumerate() {
            self.ram[usize::from(NV_MEM_ABOVE_4G) + i] = *b;
        }
        self.update_checksum();
    }

    /// Recomputes the standard checksum (16-bit sum of 10h-2Dh, stored big-
    /// endian at 2Eh/2Fh).
    pub fn update_checksum(&mut self) {
        let range = usize::from(CHECKSUM_FIRST)..=usize::from(CHECKSUM_LAST);
        let sum = self.ram[range]
            .iter()
            .fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
        let [hi, lo] = sum.to_be_bytes();
        self.ram[usize::from(NV_CHECKSUM_HI)] = hi;
        self.ram[usize::from(NV_CHECKSUM_LO)] = lo;
    }

    fn set_word(&mut self, index: u8, value: u16) {
        let [lo, hi] = value.to_le_bytes();
        self.ram[usize::from(index)] = lo;
        self.ram[usize::from(index) + 1] = hi;
    }

    fn running(&self) -> bool {
        self.reg_a & A_DV == A_DV_32K
    }

    fn binary(&self) -> bool {
        self.reg_b & B_DM_BINARY != 0
    }

    fn encode(&self, v: u8) -> u8 {
        if self.binary() {
            v
        } else {
            to_bcd(v)
        }
    }

    fn decode(&self, v: u8) -> u8 {
        if self.binary() {
            v
        } else {
            from_bcd(v)
        }
    }

    fn encode_hour(&self, h: u8) -> u8 {
        if self.reg_b & B_24H != 0 {
            return self.encode(h);
        }
        let h12 = match h % 12 {
            0 => 12,
            x => x,
        };
        let pm = if h >= 12 { HOUR_PM } else { 0 };
        self.encode(h12) | pm
    }

    fn decode_hour(&self, v: u8) -> u8 {
        if self.reg_b & B_24H != 0 {
            return self.decode(v);
        }
        let h = self.decode(v & !HOUR_PM) % 12;
        if v & HOUR_PM != 0 {
            h + 12
        } else {
            h
        }
    }

    /// Chain ticks elapsed since the origin at `now`.
    fn ticks_at(&self, now: u64) -> u64 {
        let ns = u128::from(now.saturating_sub(self.origin));
        (ns * u128::from(RTC_HZ) / NS_PER_S) as u64
    }

    fn time_of_tick(&self, tick: u64) -> u64 {
        let ns = (u128::from(tick) * NS_PER_S).div_ceil(u128::from(RTC_HZ));
        u64::try_from(ns)
            .unwrap_or(u64::MAX)
            .saturating_add(self.origin)
    }

    /// Ticks between periodic interrupts, if a rate is selected.
    fn periodic_ticks(&self) -> Option<u64> {
        match self.reg_a & A_RS {
            0 => None,
            // Rates 1 and 2 repeat rates 8 and 9 with a 32.768 kHz base.
            rs @ 1..=2 => Some(1 << (rs + 6)),
            rs => Some(1 << (rs - 1)),
        }
    }

    /// Update cycles at ticks in `0..=t`.
    fn updates_until(&self, t: u64) -> u64 {
        if t < self.first_update {
            0
        } else {
            (t - self.first_update) / RTC_HZ + 1
        }
    }

    fn next_update_after(&self, t: u64) -> u64 {
        self.first_update + self.updates_until(t) * RTC_HZ
    }

    fn uip(&self) -> bool {
        self.running()
            && self.reg_b & B_SET == 0
            && self.next_update_after(self.synced) - self.synced <= UIP_TICKS
    }

    fn alarm_matches(&self) -> bool {
        let now = [
            self.encode(self.clock.second),
            self.encode(self.clock.minute),
            self.encode_hour(self.clock.hour),
        ];
        self.alarm
            .iter()
            .zip(now)
            .all(|(&a, v)| a & ALARM_DONT_CARE == ALARM_DONT_CARE || a == v)
    }

    /// Runs the divider chain up to `now`.
    fn sync(&mut self, now: u64) {
        if !self.running() {
            return;
        }
        let t = self.ticks_at(now);
        if t <= self.synced {
            return;
        }
        let from = self.synced;
        if let Some(p) = self.periodic_ticks() {
            if t / p > from / p {
                self.flags |= C_PF;
            }
        }
        let updates = self.updates_until(t) - self.updates_until(from);
        if updates > 0 && self.reg_b & B_SET == 0 {
            self.run_updates(updates);
        }
        self.synced = t;
    }

    /// `n` update cycles: time, UF, and AF if the alarm matched after any.
    fn run_updates(&mut self, n: u64) {
        // The alarm repeats at least daily, so only the last day of a long
        // gap needs checking second by second.
        let checked = if self.flags & C_AF != 0 {
            0
        } else {
            n.min(SECONDS_PER_DAY)
        };
        self.clock.add_seconds(n - checked);
        for _ in 0..checked {
            self.clock.tick();
            if self.alarm_matches() {
                self.flags |= C_AF;
            }
        }
        self.flags |= C_UF;
    }

    fn write_a(&mut self, value: u8, now: u64) {
        let was_running = self.running();
        self.reg_a = value & !A_UIP;
        if !was_running && self.running() {
            // Leaving divider reset: the chain restarts from zero and the
            // first update comes half a second later.
            self.origin = now;
            self.synced = 0;
            self.first_update = FIRST_UPDATE_AFTER_RESET;
        } else if was_running && !self.running() {
            log::debug!("CMOS: divider stopped (register A = {value:#04x})");
        }
    }

    fn write_b(&mut self, value: u8) {
        let mut v = value;
        if v & B_SET != 0 {
            // SET stops updates, and with them update-ended interrupts.
            v &= !B_UIE;
        }
        if v & B_DSE != 0 {
            log::debug!("CMOS: daylight saving not modelled");
        }
        self.reg_b = v;
    }

    fn read_register(&mut self, index: u8) -> u8 {
        match index {
            REG_SECONDS => self.encode(self.clock.second),
            REG_MINUTES => self.encode(self.clock.minute),
            REG_HOURS => self.encode_hour(self.clock.hour),
            REG_SECONDS_ALARM => self.alarm[0],
            REG_MINUTES_ALARM => self.alarm[1],
            REG_HOURS_ALARM => self.alarm[2],
            REG_WEEKDAY => self.encode(self.clock.weekday),
            REG_DAY => self.encode(self.clock.day),
            REG_MONTH => self.encode(self.clock.month),
            REG_YEAR => self.encode(self.clock.year),
            REG_A => self.reg_a | if self.uip() { A_UIP } else { 0 },
            REG_B => self.reg_b,
            REG_C => {
                let irqf = if self.irq() { C_IRQF } else { 0 };
                let v = self.flags | irqf;
                self.flags = 0;
                v
            }
            REG_D => D_VRT,
            _ => self.byte(index),
        }
    }

    fn write_register(&mut self, index: u8, value: u8, now: u64) {
        match index {
            REG_SECONDS => self.clock.second = self.decode(value),
            REG_MINUTES => self.clock.minute = self.decode(value),
            REG_HOURS => self.clock.hour = self.decode_hour(value),
            REG_SECONDS_ALARM => self.alarm[0] = value,
            REG_MINUTES_ALARM => self.alarm[1] = value,
            REG_HOURS_ALARM => self.alarm[2] = value,
            REG_WEEKDAY => self.clock.weekday = self.decode(value),
            REG_DAY => self.clock.day = self.decode(value),
            REG_MONTH => self.clock.month = self.decode(value),
            REG_YEAR => self.clock.year = self.decode(value) % 100,
            REG_A => self.write_a(value, now),
            REG_B => self.write_b(value),
            // C and D are read-only.
            REG_C | REG_D => {}
            _ => self.set_byte(index, value),
        }
    }

    fn read_u8(&mut self, port: u16, now: u64) -> u8 {
        match port {
            DATA_PORT => {
                self.sync(now);
                self.read_register(self.index)
            }
            // The index register is write-only.
            _ => 0xFF,
        }
    }

    fn write_u8(&mut self, port: u16, value: u8, now: u64) {
        match port {
            INDEX_PORT => {
                self.index = value & INDEX_MASK;
                self.nmi_disabled = value & INDEX_NMI_DISABLE != 0;
            }
            DATA_PORT => {
                self.sync(now);
                self.write_register(self.index, value, now);
            }
            _ => {}
        }
    }
}

impl PortIo for Cmos {
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

    const SEC: u64 = 1_000_000_000;

    fn date(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> DateTime {
        DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        }
    }

    fn rd(c: &mut Cmos, index: u8, now: u64) -> u8 {
        c.write(INDEX_PORT, 1, u32::from(index), now);
        c.read(DATA_PORT, 1, now) as u8
    }

    fn wr(c: &mut Cmos, index: u8, value: u8, now: u64) {
        c.write(INDEX_PORT, 1, u32::from(index), now);
        c.write(DATA_PORT, 1, u32::from(value), now);
    }

    /// (year, month, day, hour, minute, second) read as a BIOS does (BCD).
    fn read_bcd(c: &mut Cmos, now: u64) -> [u8; 7] {
        [
            rd(c, REG_CENTURY, now),
            rd(c, REG_YEAR, now),
            rd(c, REG_MONTH, now),
            rd(c, REG_DAY, now),
            rd(c, REG_HOURS, now),
            rd(c, REG_MINUTES, now),
            rd(c, REG_SECONDS, now),
        ]
    }

    #[test]
    fn bcd_and_binary_formats() {
        let mut c = Cmos::new(date(2024, 7, 15, 13, 45, 30));
        assert_eq!(
            read_bcd(&mut c, 0),
            [0x20, 0x24, 0x07, 0x15, 0x13, 0x45, 0x30]
        );
        assert_eq!(rd(&mut c, REG_WEEKDAY, 0), 2, "a Monday");
        wr(&mut c, REG_B, B_24H | B_DM_BINARY, 0);
        assert_eq!(read_bcd(&mut c, 0), [20, 24, 7, 15, 13, 45, 30]);
        // Writes are taken in the current format too.
        wr(&mut c, REG_MINUTES, 59, 0);
        wr(&mut c, REG_B, B_24H, 0);
        assert_eq!(rd(&mut c, REG_MINUTES, 0), 0x59);
        wr(&mut c, REG_YEAR, 0x99, 0);
        assert_eq!(c.time(0).year, 2099);
    }

    #[test]
    fn twelve_hour_format() {
        let mut c = Cmos::new(date(2024, 1, 1, 0, 0, 0));
        wr(&mut c, REG_B, 0, 0); // BCD, 12-hour
        assert_eq!(rd(&mut c, REG_HOURS, 0), 0x12, "midnight is 12 AM");
        for (h, want) in [(1, 0x01), (11, 0x11), (12, 0x92), (13, 0x81), (23, 0x91)] {
            c.clock.hour = h;
            assert_eq!(rd(&mut c, REG_HOURS, 0), want, "hour {h}");
        }
        wr(&mut c, REG_HOURS, 0x87, 0); // 7 PM
        assert_eq!(c.time(0).hour, 19);
        wr(&mut c, REG_HOURS, 0x12, 0); // 12 AM
        assert_eq!(c.time(0).hour, 0);
        wr(&mut c, REG_B, B_DM_BINARY, 0); // binary, 12-hour
        wr(&mut c, REG_HOURS, HOUR_PM | 12, 0);
        assert_eq!(c.time(0).hour, 12);
        c.clock.hour = 15;
        assert_eq!(rd(&mut c, REG_HOURS, 0), HOUR_PM | 3);
        // 11:59:59 PM rolls to 12:00:00 AM.
        c.clock = Clock::from_date(date(2024, 1, 1, 23, 59, 59));
        assert_eq!(rd(&mut c, REG_HOURS, 0), HOUR_PM | 11);
        assert_eq!(rd(&mut c, REG_HOURS, SEC), 12);
    }

    #[test]
    fn rollover_through_every_field() {
        let cases = [
            (date(2024, 3, 9, 10, 20, 59), date(2024, 3, 9, 10, 21, 0)),
            (date(2024, 3, 9, 10, 59, 59), date(2024, 3, 9, 11, 0, 0)),
            (date(2024, 3, 9, 23, 59, 59), date(2024, 3, 10, 0, 0, 0)),
            (date(2024, 4, 30, 23, 59, 59), date(2024, 5, 1, 0, 0, 0)),
            (date(2024, 2, 28, 23, 59, 59), date(2024, 2, 29, 0, 0, 0)),
            (date(2024, 2, 29, 23, 59, 59), date(2024, 3, 1, 0, 0, 0)),
            (date(2023, 2, 28, 23, 59, 59), date(2023, 3, 1, 0, 0, 0)),
            (date(2000, 2, 28, 23, 59, 59), date(2000, 2, 29, 0, 0, 0)),
            (date(2100, 2, 28, 23, 59, 59), date(2100, 3, 1, 0, 0, 0)),
            (date(2023, 12, 31, 23, 59, 59), date(2024, 1, 1, 0, 0, 0)),
            (date(2099, 12, 31, 23, 59, 59), date(2100, 1, 1, 0, 0, 0)),
        ];
        for (from, to) in cases {
            let mut c = Cmos::new(from);
            let wd = rd(&mut c, REG_WEEKDAY, 0);
            assert_eq!(c.time(SEC - 1), from);
            assert_eq!(c.time(SEC), to, "from {from:?}");
            let next = wd % 7 + 1;
            let want = if to.day == from.day { wd } else { next };
            assert_eq!(rd(&mut c, REG_WEEKDAY, SEC), want, "weekday after {from:?}");
            assert_eq!(want, to.weekday());
        }
        // The century byte carries, in BCD.
        let mut c = Cmos::new(date(1999, 12, 31, 23, 59, 59));
        assert_eq!(rd(&mut c, REG_CENTURY, 0), 0x19);
        assert_eq!(
            read_bcd(&mut c, SEC),
            [0x20, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00]
        );
    }

    #[test]
    fn long_gaps_match_second_by_second() {
        let start = date(2023, 11, 20, 17, 3, 41);
        for secs in [
            59,
            3_600,
            86_399,
            86_400,
            1_000_000,
            40_000_000,
            400_000_000,
        ] {
            let mut c = Cmos::new(start);
            let got = c.time(secs * SEC + SEC - 1);
            let base = days_from_civil(2023, 11, 20) * 86_400 + 17 * 3600 + 3 * 60 + 41;
            let want = DateTime::from_unix((base as u64) + secs);
            assert_eq!(got, want, "after {secs} s");
            assert_eq!(c.clock.weekday, want.weekday());
        }
        // One step at a time agrees with the bulk path.
        let mut a = Clock::from_date(start);
        let mut b = a;
        for _ in 0..200_000 {
            a.tick();
        }
        b.add_seconds(200_000);
        assert_eq!(a, b);
    }

    #[test]
    fn unix_dates() {
        assert_eq!(DateTime::from_unix(0), date(1970, 1, 1, 0, 0, 0));
        assert_eq!(DateTime::from_unix(0).weekday(), 5, "Thursday");
        assert_eq!(DateTime::from_unix(951_782_400), date(2000, 2, 29, 0, 0, 0));
        assert_eq!(
            DateTime::from_unix(1_700_000_000),
            date(2023, 11, 14, 22, 13, 20)
        );
        assert_eq!(date(2024, 7, 14, 0, 0, 0).weekday(), 1, "Sunday");
    }

    #[test]
    fn uip_before_each_update() {
        let mut c = Cmos::new(date(2024, 1, 1, 0, 0, 0));
        let uip = |c: &mut Cmos, ns: u64| rd(c, REG_A, ns) & A_UIP != 0;
        let window = 244_140; // 8 ticks of 32.768 kHz, rounded down
        assert!(!uip(&mut c, 0));
        assert!(!uip(&mut c, SEC - window - 1_000));
        assert!(uip(&mut c, SEC - window + 1_000));
        assert_eq!(
            rd(&mut c, REG_SECONDS, SEC - 1),
            0,
            "old time until the update"
        );
        assert!(uip(&mut c, SEC - 1));
        assert!(!uip(&mut c, SEC));
        assert_eq!(rd(&mut c, REG_SECONDS, SEC), 1);
        assert!(uip(&mut c, 2 * SEC - 100_000));
        // SET stops updates and clears UIP.
        wr(&mut c, REG_B, B_SET | B_24H, 2 * SEC - 100_000);
        assert!(!uip(&mut c, 3 * SEC - 100_000));
        assert_eq!(rd(&mut c, REG_SECONDS, 5 * SEC), 1);
        wr(&mut c, REG_B, B_24H, 5 * SEC);
        assert_eq!(rd(&mut c, REG_SECONDS, 6 * SEC), 2);
        assert_eq!(rd(&mut c, REG_A, 0) & 0x7F, 0x26, "the BIOS default");
    }

    #[test]
    fn periodic_interrupt_rate() {
        let mut c = Cmos::new(date(2024, 1, 1, 0, 0, 0));
        wr(&mut c, REG_B, B_24H | B_PIE, 0);
        // Rate 6 (the default): 1024 Hz. Count interrupts over one second.
        let mut now = 0;
        let mut count = 0;
        while let Some(d) = c.next_deadline(now) {
            if d > SEC {
                break;
            }
            now = d;
            c.update(now);
            assert!(c.irq());
            count += 1;
            assert_eq!(
                rd(&mut c, REG_C, now),
                C_IRQF | C_PF | (u8::from(now >= SEC) * C_UF)
            );
            assert!(!c.irq());
        }
        assert_eq!(count, 1024);
        // Rate 15: 2 Hz; rate 3: 8192 Hz; rate 1 = rate 8 (256 Hz).
        for (rs, per_sec) in [(15u8, 2u64), (3, 8192), (1, 256), (8, 256)] {
            wr(&mut c, REG_A, A_DV_32K | rs, now);
            let d = c.next_deadline(now).unwrap_or(0);
            let d2 = c.time_of_tick(c.ticks_at(d) + RTC_HZ / per_sec);
            c.update(d);
            rd(&mut c, REG_C, d);
            assert_eq!(c.next_deadline(d), Some(d2), "rate {rs}");
            now = d;
        }
        // The flag is set even with PIE clear; no interrupt then.
        wr(&mut c, REG_B, B_24H, now);
        wr(&mut c, REG_A, A_DV_32K | 6, now);
        rd(&mut c, REG_C, now);
        assert_eq!(c.next_deadline(now), None);
        assert_eq!(rd(&mut c, REG_C, now + 2_000_000) & (C_PF | C_IRQF), C_PF);
        // Rate 0 disables it.
        wr(&mut c, REG_A, A_DV_32K, now);
        rd(&mut c, REG_C, now);
        assert_eq!(rd(&mut c, REG_C, now + 10_000_000) & C_PF, 0);
    }

    #[test]
    fn register_c_read_clears_flags() {
        let mut c = Cmos::new(date(2024, 1, 1, 0, 0, 0));
        wr(&mut c, REG_B, B_24H | B_UIE, 0);
        assert_eq!(c.next_deadline(0), Some(SEC));
        c.update(SEC);
        assert!(c.irq());
        assert_eq!(c.next_deadline(SEC), None, "line stays up until C is read");
        assert_eq!(rd(&mut c, REG_C, SEC) & (C_IRQF | C_UF), C_IRQF | C_UF);
        assert!(!c.irq());
        assert_eq!(rd(&mut c, REG_C, SEC) & C_FLAGS, 0);
        assert_eq!(c.next_deadline(SEC), Some(2 * SEC));
        // Disabling the source drops IRQF with the flag still set.
        c.update(2 * SEC);
        assert!(c.irq());
        wr(&mut c, REG_B, B_24H, 2 * SEC);
        assert!(!c.irq());
        assert_eq!(rd(&mut c, REG_C, 2 * SEC) & (C_IRQF | C_UF), C_UF);
        // Register D: valid RAM and time, read-only.
        wr(&mut c, REG_D, 0, 0);
        assert_eq!(rd(&mut c, REG_D, 0), D_VRT);
    }

    #[test]
    fn alarm_interrupt() {
        let mut c = Cmos::new(date(2024, 1, 1, 8, 30, 0));
        wr(&mut c, REG_SECONDS_ALARM, 0x05, 0);
        wr(&mut c, REG_MINUTES_ALARM, 0x30, 0);
        wr(&mut c, REG_HOURS_ALARM, 0x08, 0);
        wr(&mut c, REG_B, B_24H | B_AIE, 0);
        c.update(4 * SEC);
        assert!(!c.irq());
        c.update(5 * SEC);
        assert!(c.irq());
        assert_eq!(rd(&mut c, REG_C, 5 * SEC) & !C_PF, C_IRQF | C_AF | C_UF);
        // Don't-care hours and minutes: every minute at :05.
        wr(&mut c, REG_HOURS_ALARM, 0xC0, 5 * SEC);
        wr(&mut c, REG_MINUTES_ALARM, 0xFF, 5 * SEC);
        c.update(64 * SEC);
        assert!(!c.irq());
        c.update(65 * SEC);
        assert!(c.irq());
        // A match inside a long unobserved gap is still flagged.
        rd(&mut c, REG_C, 65 * SEC);
        wr(&mut c, REG_B, B_24H, 65 * SEC);
        wr(&mut c, REG_SECONDS_ALARM, 0x17, 65 * SEC);
        wr(&mut c, REG_MINUTES_ALARM, 0x44, 65 * SEC);
        wr(&mut c, REG_HOURS_ALARM, 0x13, 65 * SEC);
        assert_eq!(rd(&mut c, REG_C, 3 * 86_400 * SEC) & C_AF, C_AF);
    }

    #[test]
    fn divider_reset_delays_first_update() {
        let mut c = Cmos::new(date(2024, 1, 1, 0, 0, 0));
        wr(&mut c, REG_A, 0x70, 0); // hold the divider in reset
        assert_eq!(rd(&mut c, REG_SECONDS, 10 * SEC), 0, "stopped");
        wr(&mut c, REG_A, 0x26, 10 * SEC);
        assert_eq!(rd(&mut c, REG_SECONDS, 10 * SEC + SEC / 2 - 1), 0);
        assert_eq!(rd(&mut c, REG_SECONDS, 10 * SEC + SEC / 2), 1);
        assert_eq!(rd(&mut c, REG_SECONDS, 11 * SEC + SEC / 2), 2);
    }

    #[test]
    fn index_port_and_nmi_mask() {
        let mut c = Cmos::new(date(2024, 1, 1, 0, 0, 0));
        c.write(INDEX_PORT, 1, 0x80 | 0x40, 0);
        assert!(c.nmi_disabled());
        c.write(DATA_PORT, 1, 0x5A, 0);
        assert_eq!(c.byte(0x40), 0x5A);
        c.write(INDEX_PORT, 1, 0x40, 0);
        assert!(!c.nmi_disabled());
        assert_eq!(c.read(DATA_PORT, 1, 0), 0x5A);
        assert_eq!(c.read(INDEX_PORT, 1, 0), 0xFF);
        // Index bit 7 never selects a register beyond 7Fh.
        c.write(INDEX_PORT, 1, 0xFF, 0);
        c.write(DATA_PORT, 1, 0x11, 0);
        assert_eq!(c.byte(0x7F), 0x11);
    }

    #[test]
    fn nvram_memory_fields_and_checksum() {
        let mut c = Cmos::new(date(2024, 1, 1, 0, 0, 0));
        c.set_byte(0x10, 0x40); // a 1.44 MB floppy
        c.set_memory_size(128 << 20, 0);
        assert_eq!((c.byte(0x15), c.byte(0x16)), (0x80, 0x02), "640 KiB");
        assert_eq!((c.byte(0x17), c.byte(0x18)), (0x00, 0xFC), "63 MiB cap");
        assert_eq!((c.byte(0x30), c.byte(0x31)), (0x00, 0xFC));
        assert_eq!(
            (c.byte(0x34), c.byte(0x35)),
            (0x00, 0x07),
            "112 MiB / 64 KiB"
        );
        assert_eq!([c.byte(0x5B), c.byte(0x5C), c.byte(0x5D)], [0, 0, 0]);
        let sum: u16 = (0x10..=0x2D).map(|i| u16::from(c.byte(i))).sum();
        assert_eq!(u16::from_be_bytes([c.byte(0x2E), c.byte(0x2F)]), sum);
        c.set_memory_size(3 << 30, 5 << 30);
        assert_eq!(
            [c.byte(0x5B), c.byte(0x5C), c.byte(0x5D)],
            [0x00, 0x40, 0x01],
            "5 GiB"
        );
        c.set_memory_size(16 << 20, 0);
        assert_eq!((c.byte(0x17), c.byte(0x18)), (0x00, 0x3C), "15 MiB");
        assert_eq!((c.byte(0x34), c.byte(0x35)), (0, 0));
        // The century is a clock register, in the guest's format.
        c.set_byte(REG_CENTURY, 0x21);
        assert_eq!(c.time(0).year, 2124);
        assert_eq!(rd(&mut c, REG_CENTURY, 0), 0x21);
    }

    #[test]
    fn odd_values_never_panic() {
        let mut c = Cmos::new(date(9999, 12, 31, 23, 59, 59));
        let mut x = 12345u32;
        let mut now = 0u64;
        for _ in 0..50_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            now += u64::from(x >> 12);
            let port = if x & 0x100 != 0 {
                DATA_PORT
            } else {
                INDEX_PORT
            };
            c.write(port, 1, x >> 16, now);
            c.read(DATA_PORT, 2, now);
            c.next_deadline(now);
        }
        c.time(u64::MAX);
        c.update(0);
    }
}
