//! The two Intel 8259A programmable interrupt controllers of the PC/AT.
//!
//! The master answers at ports 20h/21h and drives the CPU's INTR pin; the
//! slave answers at A0h/A1h and its INT output is wired to the master's IR2.
//! The PIIX edge/level control registers (ELCR) at 4D0h/4D1h choose, per
//! line, between edge and level triggering.
//!
//! Inputs are levels ([`Pic::set_irq`]). As the data sheet requires, a
//! request must still be present when the CPU acknowledges it: if the line
//! dropped in between, the chip answers with its IR7 vector without setting
//! the in-service bit (a spurious IRQ7, or IRQ15 on the slave).
//!
//! Emulator choices where the data sheet is silent: ICW1 also clears the
//! in-service register; requests are not presented to the CPU while an
//! initialisation sequence is under way; the 8080/85 call-address mode is not
//! modelled (vectors are always returned 8086-style).

use crate::{read_bytes, write_bytes, LineSample, PortIo};

/// Master command port (ICW1, OCW2, OCW3; reads IRR/ISR).
pub const MASTER_CMD: u16 = 0x20;
/// Master data port (ICW2-4, OCW1 = mask).
pub const MASTER_DATA: u16 = 0x21;
/// Slave command port.
pub const SLAVE_CMD: u16 = 0xA0;
/// Slave data port.
pub const SLAVE_DATA: u16 = 0xA1;
/// PIIX ELCR for IRQ0-7.
pub const ELCR_MASTER: u16 = 0x4D0;
/// PIIX ELCR for IRQ8-15.
pub const ELCR_SLAVE: u16 = 0x4D1;

/// ICW1: an ICW4 follows.
const ICW1_IC4: u8 = 0b0000_0001;
/// ICW1: single chip, no ICW3.
const ICW1_SNGL: u8 = 0b0000_0010;
/// ICW1: level-triggered mode for every input.
const ICW1_LTIM: u8 = 0b0000_1000;
/// Command-port write with D4 set is ICW1.
const ICW1_INIT: u8 = 0b0001_0000;

/// ICW4: 8086/88 mode (vectors instead of CALL instructions).
const ICW4_UPM: u8 = 0b0000_0001;
/// ICW4: automatic end of interrupt.
const ICW4_AEOI: u8 = 0b0000_0010;
/// ICW4: special fully nested mode.
const ICW4_SFNM: u8 = 0b0001_0000;

/// OCW2 command field (R, SL, EOI bits).
const OCW2_CMD: u8 = 0b1110_0000;
/// OCW2 level field for the specific commands.
const OCW2_LEVEL: u8 = 0b0000_0111;
const OCW2_ROTATE_AEOI_CLEAR: u8 = 0b0000_0000;
const OCW2_NONSPECIFIC_EOI: u8 = 0b0010_0000;
const OCW2_NOP: u8 = 0b0100_0000;
const OCW2_SPECIFIC_EOI: u8 = 0b0110_0000;
const OCW2_ROTATE_AEOI_SET: u8 = 0b1000_0000;
const OCW2_ROTATE_NONSPECIFIC_EOI: u8 = 0b1010_0000;
const OCW2_SET_PRIORITY: u8 = 0b1100_0000;
const OCW2_ROTATE_SPECIFIC_EOI: u8 = 0b1110_0000;

/// Command-port write with D4 = 0: D3 tells OCW3 (1) from OCW2 (0).
const OCW_SELECT: u8 = 0b0001_1000;
const OCW3_ID: u8 = 0b0000_1000;
/// OCW3: read ISR (1) or IRR (0) when RR is set.
const OCW3_RIS: u8 = 0b0000_0001;
/// OCW3: RIS is valid.
const OCW3_RR: u8 = 0b0000_0010;
/// OCW3: poll command; the next read is an interrupt acknowledge.
const OCW3_POLL: u8 = 0b0000_0100;
/// OCW3: special mask mode value when ESMM is set.
const OCW3_SMM: u8 = 0b0010_0000;
/// OCW3: SMM is valid.
const OCW3_ESMM: u8 = 0b0100_0000;

/// Poll word: an interrupt was pending (bits 2-0 give its level).
const POLL_INT: u8 = 0b1000_0000;

/// ELCR bits that exist: IRQ0, 1 and 2 are always edge-triggered.
const ELCR_MASTER_MASK: u8 = 0b1111_1000;
/// ELCR bits that exist: IRQ8 and IRQ13 are always edge-triggered.
const ELCR_SLAVE_MASK: u8 = 0b1101_1110;

/// The master IR input the slave's INT is wired to on the PC/AT.
const CASCADE_IR: u8 = 2;

/// What the next data-port write is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum InitStep {
    Ready,
    Icw2,
    Icw3,
    Icw4,
}

/// One 8259A.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Chip {
    is_master: bool,
    /// Levels of the IR inputs.
    lines: u8,
    /// Edge-sense latches: set by a rising edge, cleared when the line falls
    /// or the request is acknowledged.
    edge_irr: u8,
    isr: u8,
    imr: u8,
    elcr: u8,
    elcr_mask: u8,
    /// ICW1 LTIM: every input level-triggered.
    ltim: bool,
    single: bool,
    icw4_needed: bool,
    step: InitStep,
    vector_base: u8,
    icw3: u8,
    auto_eoi: bool,
    sfnm: bool,
    rotate_in_aeoi: bool,
    /// The IR with the lowest priority; the one after it has the highest.
    lowest: u8,
    read_isr: bool,
    poll: bool,
    special_mask: bool,
}

impl Chip {
    fn new(is_master: bool) -> Self {
        Chip {
            is_master,
            lines: 0,
            edge_irr: 0,
            isr: 0,
            imr: 0,
            elcr: 0,
            elcr_mask: if is_master {
                ELCR_MASTER_MASK
            } else {
                ELCR_SLAVE_MASK
            },
            ltim: false,
            single: false,
            icw4_needed: false,
            step: InitStep::Ready,
            vector_base: 0,
            icw3: if is_master {
                1 << CASCADE_IR
            } else {
                CASCADE_IR
            },
            auto_eoi: false,
            sfnm: false,
            rotate_in_aeoi: false,
            lowest: 7,
            read_isr: false,
            poll: false,
            special_mask: false,
        }
    }

    /// Inputs that are level-triggered.
    fn level_mask(&self) -> u8 {
        if self.ltim {
            0xFF
        } else {
            self.elcr
        }
    }

    /// The interrupt request register as the chip sees it now.
    fn irr(&self) -> u8 {
        let level = self.level_mask();
        (self.edge_irr & !level) | (self.lines & level)
    }

    fn set_line(&mut self, ir: u8, level: bool) {
        let bit = 1 << (ir & 7);
        if level {
            if self.lines & bit == 0 {
                self.edge_irr |= bit;
            }
            self.lines |= bit;
        } else {
            self.lines &= !bit;
            // A request that vanishes before INTA is lost (spurious IR7).
            self.edge_irr &= !bit;
        }
    }

    /// Rank of `ir` in the current rotation, 0 being the highest priority.
    fn rank(&self, ir: u8) -> u8 {
        ir.wrapping_sub(self.lowest.wrapping_add(1)) & 7
    }

    /// The highest-priority IR among `bits`.
    fn highest(&self, bits: u8) -> Option<u8> {
        (1..=8u8)
            .map(|i| self.lowest.wrapping_add(i) & 7)
            .find(|&ir| bits & (1 << ir) != 0)
    }

    /// Whether `ir` has a slave behind it (master only, cascade mode).
    fn is_cascade(&self, ir: u8) -> bool {
        self.is_master && !self.single && self.icw3 & (1 << (ir & 7)) != 0
    }

    /// The IR the chip would present to the CPU now, if any (its INT output).
    fn pending(&self) -> Option<u8> {
        if self.step != InitStep::Ready {
            return None;
        }
        let req = self.irr() & !self.imr;
        if self.special_mask {
            // Only the in-service levels themselves stay blocked.
            return self.highest(req & !self.isr);
        }
        let cand = self.highest(req)?;
        match self.highest(self.isr) {
            None => Some(cand),
            Some(busy) => {
                let nested = self.sfnm && cand == busy && self.is_cascade(cand);
                (self.rank(cand) < self.rank(busy) || nested).then_some(cand)
            }
        }
    }

    /// The first INTA pulse: picks the request, moves it from IRR to ISR.
    fn ack(&mut self) -> Option<u8> {
        let ir = self.pending()?;
        let bit = 1 << ir;
        self.edge_irr &= !bit;
        if self.auto_eoi {
            if self.rotate_in_aeoi {
                self.lowest = ir;
            }
        } else {
            self.isr |= bit;
        }
        Some(ir)
    }

    fn vector(&self, ir: u8) -> u8 {
        self.vector_base | (ir & 7)
    }

    /// The poll command's read: an acknowledge answered on the data bus.
    fn poll_read(&mut self) -> u8 {
        self.poll = false;
        match self.ack() {
            Some(ir) => POLL_INT | ir,
            None => 0,
        }
    }

    fn read(&mut self, data_port: bool) -> u8 {
        if self.poll {
            return self.poll_read();
        }
        if data_port {
            self.imr
        } else if self.read_isr {
            self.isr
        } else {
            self.irr()
        }
    }

    fn write_command(&mut self, value: u8) {
        if value & ICW1_INIT != 0 {
            self.icw1(value);
        } else if value & OCW_SELECT == OCW3_ID {
            self.ocw3(value);
        } else {
            self.ocw2(value);
        }
    }

    fn icw1(&mut self, value: u8) {
        self.ltim = value & ICW1_LTIM != 0;
        self.single = value & ICW1_SNGL != 0;
        self.icw4_needed = value & ICW1_IC4 != 0;
        // Edge sense reset: a held-high edge input must fall and rise again.
        self.edge_irr = 0;
        self.isr = 0;
        self.imr = 0;
        self.lowest = 7;
        self.special_mask = false;
        self.read_isr = false;
        self.poll = false;
        self.rotate_in_aeoi = false;
        if !self.icw4_needed {
            self.auto_eoi = false;
            self.sfnm = false;
            log::warn!("8259A: ICW1 without ICW4 selects 8080 mode; using 8086 vectors anyway");
        }
        self.step = InitStep::Icw2;
    }

    fn write_data(&mut self, value: u8) {
        self.step = match self.step {
            InitStep::Ready => {
                self.imr = value;
                InitStep::Ready
            }
            InitStep::Icw2 => {
                self.vector_base = value & 0b1111_1000;
                if !self.single {
                    InitStep::Icw3
                } else if self.icw4_needed {
                    InitStep::Icw4
                } else {
                    InitStep::Ready
                }
            }
            InitStep::Icw3 => {
                self.icw3 = value;
                if self.icw4_needed {
                    InitStep::Icw4
                } else {
                    InitStep::Ready
                }
            }
            InitStep::Icw4 => {
                if value & ICW4_UPM == 0 {
                    log::warn!("8259A: ICW4 selects 8080 mode; using 8086 vectors anyway");
                }
                self.auto_eoi = value & ICW4_AEOI != 0;
                self.sfnm = value & ICW4_SFNM != 0;
                InitStep::Ready
            }
        };
    }

    fn ocw2(&mut self, value: u8) {
        let level = value & OCW2_LEVEL;
        match value & OCW2_CMD {
            OCW2_NONSPECIFIC_EOI => {
                if let Some(ir) = self.highest(self.isr) {
                    self.isr &= !(1 << ir);
                }
            }
            OCW2_SPECIFIC_EOI => self.isr &= !(1 << level),
            OCW2_ROTATE_NONSPECIFIC_EOI => {
                if let Some(ir) = self.highest(self.isr) {
                    self.isr &= !(1 << ir);
                    self.lowest = ir;
                }
            }
            OCW2_ROTATE_SPECIFIC_EOI => {
                self.isr &= !(1 << level);
                self.lowest = level;
            }
            OCW2_SET_PRIORITY => self.lowest = level,
            OCW2_ROTATE_AEOI_SET => self.rotate_in_aeoi = true,
            OCW2_ROTATE_AEOI_CLEAR => self.rotate_in_aeoi = false,
            OCW2_NOP => {}
            _ => {}
        }
    }

    fn ocw3(&mut self, value: u8) {
        if value & OCW3_ESMM != 0 {
            self.special_mask = value & OCW3_SMM != 0;
        }
        if value & OCW3_RR != 0 {
            self.read_isr = value & OCW3_RIS != 0;
        }
        if value & OCW3_POLL != 0 {
            self.poll = true;
        }
    }

    fn set_elcr(&mut self, value: u8) {
        self.elcr = value & self.elcr_mask;
    }
}

/// The master/slave 8259A pair of the PC/AT, with the PIIX ELCR.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Pic {
    master: Chip,
    slave: Chip,
}

impl Default for Pic {
    fn default() -> Self {
        Self::new()
    }
}

impl Pic {
    /// Both chips in their power-on state: vector base 0, nothing masked,
    /// every line edge-triggered, slave on IR2. Firmware initialises them.
    pub fn new() -> Self {
        Pic {
            master: Chip::new(true),
            slave: Chip::new(false),
        }
    }

    /// Hardware reset. Input line levels are kept (devices still drive them).
    pub fn reset(&mut self) {
        let (ml, sl) = (self.master.lines, self.slave.lines);
        *self = Self::new();
        self.master.lines = ml;
        self.slave.lines = sl;
        self.cascade();
    }

    /// Drives ISA interrupt line `line` (0-15) to `level`.
    ///
    /// Line 2 is the cascade input on the AT, where the bus's IRQ2 pin is
    /// rewired to IRQ9; `set_irq(2, ..)` therefore drives IRQ9. Lines above
    /// 15 are ignored.
    pub fn set_irq(&mut self, line: u8, level: bool) {
        match line {
            CASCADE_IR => self.slave.set_line(1, level),
            0..=7 => self.master.set_line(line, level),
            8..=15 => self.slave.set_line(line - 8, level),
            _ => {
                log::debug!("8259A: ignoring IRQ line {line}");
                return;
            }
        }
        self.cascade();
    }

    /// Drives `line` from a device output that may have pulsed since the
    /// machine last sampled it: a rise is presented as a fresh edge, and the
    /// line is left high if it rose, so the request is not lost because the
    /// pulse already ended.
    pub fn set_irq_sample(&mut self, line: u8, sample: LineSample) {
        if sample.rose {
            self.set_irq(line, false);
        }
        self.set_irq(line, sample.level || sample.rose);
    }

    /// The INTR output to the CPU.
    pub fn interrupt_pending(&self) -> bool {
        self.master.pending().is_some()
    }

    /// The INTA cycle: returns the vector and updates IRR/ISR. With no
    /// request (it vanished before INTA) the answer is the spurious IR7
    /// vector of the chip concerned, without an in-service bit.
    pub fn acknowledge(&mut self) -> u8 {
        let vector = match self.master.ack() {
            None => {
                log::trace!("8259A: spurious IRQ7");
                self.master.vector(7)
            }
            Some(ir) if self.master.is_cascade(ir) => {
                if ir != self.slave.icw3 & 7 {
                    // No slave answers this cascade address: the bus floats.
                    log::debug!("8259A: no slave with ID {ir}");
                    0xFF
                } else if let Some(sir) = self.slave.ack() {
                    self.slave.vector(sir)
                } else {
                    log::trace!("8259A: spurious IRQ15");
                    self.slave.vector(7)
                }
            }
            Some(ir) => self.master.vector(ir),
        };
        self.cascade();
        vector
    }

    /// Interrupt request registers, IRQ0-15 (slave in the high byte).
    pub fn irr(&self) -> u16 {
        u16::from(self.master.irr()) | u16::from(self.slave.irr()) << 8
    }

    /// In-service registers, IRQ0-15.
    pub fn isr(&self) -> u16 {
        u16::from(self.master.isr) | u16::from(self.slave.isr) << 8
    }

    /// Interrupt mask registers, IRQ0-15.
    pub fn imr(&self) -> u16 {
        u16::from(self.master.imr) | u16::from(self.slave.imr) << 8
    }

    /// Copies the slave's INT output onto the master's IR2 input.
    fn cascade(&mut self) {
        let int = self.slave.pending().is_some();
        self.master.set_line(CASCADE_IR, int);
    }

    fn read_u8(&mut self, port: u16) -> u8 {
        let value = match port {
            MASTER_CMD | MASTER_DATA => self.master.read(port == MASTER_DATA),
            SLAVE_CMD | SLAVE_DATA => self.slave.read(port == SLAVE_DATA),
            ELCR_MASTER => self.master.elcr,
            ELCR_SLAVE => self.slave.elcr,
            _ => return 0xFF,
        };
        // A poll read acknowledges, which may change the slave's INT.
        self.cascade();
        value
    }

    fn write_u8(&mut self, port: u16, value: u8) {
        match port {
            MASTER_CMD => self.master.write_command(value),
            MASTER_DATA => self.master.write_data(value),
            SLAVE_CMD => self.slave.write_command(value),
            SLAVE_DATA => self.slave.write_data(value),
            ELCR_MASTER => self.master.set_elcr(value),
            ELCR_SLAVE => self.slave.set_elcr(value),
            _ => return,
        }
        self.cascade();
    }
}

impl PortIo for Pic {
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

    fn out(pic: &mut Pic, port: u16, value: u8) {
        pic.write(port, 1, u32::from(value), 0);
    }

    fn inb(pic: &mut Pic, port: u16) -> u8 {
        pic.read(port, 1, 0) as u8
    }

    /// The sequence a PC BIOS (and Linux's `init_8259A`) runs.
    fn init(pic: &mut Pic, master_base: u8, slave_base: u8) {
        out(pic, MASTER_CMD, 0x11); // ICW1: edge, cascade, ICW4
        out(pic, SLAVE_CMD, 0x11);
        out(pic, MASTER_DATA, master_base); // ICW2
        out(pic, SLAVE_DATA, slave_base);
        out(pic, MASTER_DATA, 0x04); // ICW3: slave on IR2
        out(pic, SLAVE_DATA, 0x02); // ICW3: slave ID 2
        out(pic, MASTER_DATA, 0x01); // ICW4: 8086 mode
        out(pic, SLAVE_DATA, 0x01);
        out(pic, MASTER_DATA, 0x00); // OCW1: unmask all
        out(pic, SLAVE_DATA, 0x00);
    }

    fn eoi_master(pic: &mut Pic) {
        out(pic, MASTER_CMD, 0x20);
    }

    fn eoi_slave(pic: &mut Pic) {
        out(pic, SLAVE_CMD, 0x20);
    }

    #[test]
    fn bios_init_vectors() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        pic.set_irq(0, true);
        assert!(pic.interrupt_pending());
        assert_eq!(pic.acknowledge(), 0x08);
        assert_eq!(pic.isr(), 0x0001);
        eoi_master(&mut pic);
        assert_eq!(pic.isr(), 0);
        pic.set_irq(8, true);
        assert!(pic.interrupt_pending());
        assert_eq!(pic.acknowledge(), 0x70);
        assert_eq!(pic.isr(), 0x0104);
    }

    #[test]
    fn linux_init_vectors() {
        let mut pic = Pic::new();
        init(&mut pic, 0x30, 0x38);
        pic.set_irq(1, true);
        assert_eq!(pic.acknowledge(), 0x31);
        eoi_master(&mut pic);
        pic.set_irq(14, true);
        assert_eq!(pic.acknowledge(), 0x3E);
        // Linux reads back the mask to check the chip is there.
        out(&mut pic, MASTER_DATA, 0xFB);
        assert_eq!(inb(&mut pic, MASTER_DATA), 0xFB);
    }

    #[test]
    fn icw1_clears_mask_and_needs_new_edge() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        out(&mut pic, MASTER_DATA, 0xFF);
        pic.set_irq(3, true);
        init(&mut pic, 0x08, 0x70);
        assert_eq!(inb(&mut pic, MASTER_DATA), 0);
        // The line is still high, but the edge was before the ICW1.
        assert!(!pic.interrupt_pending());
        pic.set_irq(3, false);
        pic.set_irq(3, true);
        assert_eq!(pic.acknowledge(), 0x0B);
    }

    #[test]
    fn no_interrupt_during_init_sequence() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        out(&mut pic, MASTER_CMD, 0x11);
        pic.set_irq(4, true);
        assert!(!pic.interrupt_pending());
        out(&mut pic, MASTER_DATA, 0x20);
        out(&mut pic, MASTER_DATA, 0x04);
        out(&mut pic, MASTER_DATA, 0x01);
        assert_eq!(pic.acknowledge(), 0x24);
    }

    #[test]
    fn masking() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        out(&mut pic, MASTER_DATA, 0b0000_0001);
        pic.set_irq(0, true);
        assert!(!pic.interrupt_pending());
        assert_eq!(pic.irr() & 1, 1, "IRR still records a masked request");
        out(&mut pic, MASTER_DATA, 0);
        assert!(pic.interrupt_pending());
        // Masking the slave's line on the slave hides it from the master.
        out(&mut pic, SLAVE_DATA, 0b0001_0000);
        pic.set_irq(0, false);
        pic.set_irq(12, true);
        assert!(!pic.interrupt_pending());
        // So does masking IR2 on the master.
        out(&mut pic, SLAVE_DATA, 0);
        assert!(pic.interrupt_pending());
        out(&mut pic, MASTER_DATA, 0b0000_0100);
        assert!(!pic.interrupt_pending());
    }

    #[test]
    fn priority_order_and_nesting() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        pic.set_irq(3, true);
        pic.set_irq(1, true);
        pic.set_irq(8, true); // via IR2: between IRQ1 and IRQ3
        assert_eq!(pic.acknowledge(), 0x09);
        // IRQ1 in service blocks everything of lower priority.
        assert!(!pic.interrupt_pending());
        // A higher-priority request nests.
        pic.set_irq(0, true);
        assert!(pic.interrupt_pending());
        assert_eq!(pic.acknowledge(), 0x08);
        assert_eq!(pic.isr(), 0b0011);
        eoi_master(&mut pic); // non-specific: clears IRQ0, the highest
        assert_eq!(pic.isr(), 0b0010);
        assert!(!pic.interrupt_pending());
        eoi_master(&mut pic);
        assert_eq!(pic.acknowledge(), 0x70);
        eoi_slave(&mut pic);
        eoi_master(&mut pic);
        assert_eq!(pic.acknowledge(), 0x0B);
        eoi_master(&mut pic);
        assert!(!pic.interrupt_pending());
        assert_eq!(pic.isr(), 0);
    }

    #[test]
    fn specific_eoi() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        pic.set_irq(5, true);
        assert_eq!(pic.acknowledge(), 0x0D);
        out(&mut pic, MASTER_CMD, 0x60 | 4); // wrong level: nothing happens
        assert_eq!(pic.isr(), 0b10_0000);
        out(&mut pic, MASTER_CMD, 0x60 | 5);
        assert_eq!(pic.isr(), 0);
    }

    #[test]
    fn read_irr_and_isr() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        pic.set_irq(6, true);
        pic.set_irq(7, true);
        assert_eq!(inb(&mut pic, MASTER_CMD), 0b1100_0000, "IRR by default");
        pic.acknowledge();
        assert_eq!(inb(&mut pic, MASTER_CMD), 0b1000_0000);
        out(&mut pic, MASTER_CMD, 0x0B); // OCW3: read ISR
        assert_eq!(inb(&mut pic, MASTER_CMD), 0b0100_0000);
        assert_eq!(inb(&mut pic, MASTER_CMD), 0b0100_0000, "selection sticks");
        out(&mut pic, MASTER_CMD, 0x0A); // OCW3: read IRR
        assert_eq!(inb(&mut pic, MASTER_CMD), 0b1000_0000);
    }

    #[test]
    fn cascade_vector_from_slave() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        pic.set_irq(12, true);
        assert_eq!(pic.irr() & 0b100, 0b100, "slave INT raises master IR2");
        assert_eq!(pic.acknowledge(), 0x74);
        assert_eq!(pic.isr(), 0x1004);
        // Slave in service: lower slave lines wait, higher master lines don't.
        pic.set_irq(13, true);
        assert!(!pic.interrupt_pending());
        pic.set_irq(1, true);
        assert_eq!(pic.acknowledge(), 0x09);
        eoi_master(&mut pic);
        // EOI to the slave alone is not enough: master IR2 is in service.
        eoi_slave(&mut pic);
        assert!(!pic.interrupt_pending());
        eoi_master(&mut pic);
        assert_eq!(pic.acknowledge(), 0x75);
    }

    #[test]
    fn irq2_is_irq9() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        pic.set_irq(2, true);
        assert_eq!(pic.acknowledge(), 0x71);
    }

    #[test]
    fn spurious_irq7_when_request_vanishes() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        pic.set_irq(4, true);
        assert!(pic.interrupt_pending());
        pic.set_irq(4, false); // gone before INTA
        assert_eq!(pic.acknowledge(), 0x0F);
        assert_eq!(pic.isr(), 0, "no ISR bit for a spurious IRQ7");
        // The same holds for a level-triggered line.
        out(&mut pic, ELCR_MASTER, 0b0010_0000);
        pic.set_irq(5, true);
        pic.set_irq(5, false);
        assert_eq!(pic.acknowledge(), 0x0F);
    }

    #[test]
    fn spurious_irq15_sets_master_isr2() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        // The race of real hardware: the master latched IR2, then the
        // slave's request went away before its INTA.
        pic.master.set_line(CASCADE_IR, true);
        assert!(pic.slave.pending().is_none());
        assert_eq!(pic.acknowledge(), 0x77);
        assert_eq!(pic.isr(), 0x0004, "master ISR2 set, slave ISR7 not");
        eoi_master(&mut pic);
        assert_eq!(pic.isr(), 0);
        // Through set_irq alone, a slave request dropped before INTA takes
        // the master's IR2 request with it.
        pic.set_irq(15, true);
        pic.set_irq(15, false);
        assert_eq!(pic.acknowledge(), 0x0F);
    }

    #[test]
    fn edge_triggered_needs_new_edge() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        pic.set_irq(3, true);
        assert_eq!(pic.acknowledge(), 0x0B);
        eoi_master(&mut pic);
        assert!(
            !pic.interrupt_pending(),
            "held-high edge line: one interrupt"
        );
        pic.set_irq(3, false);
        pic.set_irq(3, true);
        assert!(pic.interrupt_pending());
    }

    #[test]
    fn level_triggered_repeats_until_released() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        out(&mut pic, ELCR_SLAVE, 0b0000_1000); // IRQ11 level
        assert_eq!(inb(&mut pic, ELCR_SLAVE), 0b0000_1000);
        pic.set_irq(11, true);
        assert_eq!(pic.acknowledge(), 0x73);
        eoi_slave(&mut pic);
        eoi_master(&mut pic);
        assert!(pic.interrupt_pending(), "line still high: again");
        assert_eq!(pic.acknowledge(), 0x73);
        pic.set_irq(11, false);
        eoi_slave(&mut pic);
        eoi_master(&mut pic);
        assert!(!pic.interrupt_pending());
    }

    #[test]
    fn elcr_reserved_bits_and_ltim() {
        let mut pic = Pic::new();
        out(&mut pic, ELCR_MASTER, 0xFF);
        out(&mut pic, ELCR_SLAVE, 0xFF);
        assert_eq!(inb(&mut pic, ELCR_MASTER), 0xF8);
        assert_eq!(inb(&mut pic, ELCR_SLAVE), 0xDE);
        // ICW1 LTIM makes every input level-triggered.
        out(&mut pic, MASTER_CMD, 0x19);
        out(&mut pic, MASTER_DATA, 0x08);
        out(&mut pic, MASTER_DATA, 0x04);
        out(&mut pic, MASTER_DATA, 0x01);
        pic.set_irq(0, true);
        assert_eq!(pic.acknowledge(), 0x08);
        eoi_master(&mut pic);
        assert!(pic.interrupt_pending());
    }

    #[test]
    fn poll_command() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        out(&mut pic, MASTER_CMD, 0x0C); // OCW3: poll
        assert_eq!(inb(&mut pic, MASTER_CMD), 0x00, "nothing pending");
        pic.set_irq(6, true);
        pic.set_irq(4, true);
        out(&mut pic, MASTER_CMD, 0x0C);
        assert_eq!(inb(&mut pic, MASTER_CMD), 0x84);
        assert_eq!(pic.isr(), 0b1_0000, "poll acknowledges");
        // The poll is one-shot: the next read is the IRR again.
        assert_eq!(inb(&mut pic, MASTER_CMD), 0b0100_0000);
        eoi_master(&mut pic);
        out(&mut pic, MASTER_CMD, 0x0C);
        assert_eq!(inb(&mut pic, MASTER_DATA), 0x86, "either port");
    }

    #[test]
    fn set_priority_and_rotation() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        out(&mut pic, MASTER_CMD, 0xC0 | 3); // IR3 lowest, IR4 highest
        pic.set_irq(0, true);
        pic.set_irq(5, true);
        assert_eq!(pic.acknowledge(), 0x0D);
        // IR0 ranks below IR5 now, so it waits.
        assert!(!pic.interrupt_pending());
        out(&mut pic, MASTER_CMD, 0xA0); // rotate on non-specific EOI
                                         // IR5 is now lowest: IR6, 7, 0 ... in that order.
        pic.set_irq(5, false);
        pic.set_irq(5, true);
        pic.set_irq(7, true);
        assert_eq!(pic.acknowledge(), 0x0F);
        out(&mut pic, MASTER_CMD, 0xE0 | 7); // rotate on specific EOI: IR7 lowest
        assert_eq!(pic.acknowledge(), 0x08);
        out(&mut pic, MASTER_CMD, 0xA0);
        assert_eq!(pic.acknowledge(), 0x0D, "IR0 rotated to lowest");
    }

    #[test]
    fn auto_eoi_and_rotation_in_aeoi() {
        let mut pic = Pic::new();
        out(&mut pic, MASTER_CMD, 0x11);
        out(&mut pic, MASTER_DATA, 0x08);
        out(&mut pic, MASTER_DATA, 0x04);
        out(&mut pic, MASTER_DATA, 0x03); // 8086, AEOI
        pic.set_irq(3, true);
        assert_eq!(pic.acknowledge(), 0x0B);
        assert_eq!(pic.isr(), 0, "AEOI leaves nothing in service");
        pic.set_irq(4, true);
        assert_eq!(pic.acknowledge(), 0x0C);
        // Rotation in AEOI: each serviced level becomes the lowest.
        out(&mut pic, MASTER_CMD, 0x80);
        pic.set_irq(1, true);
        pic.set_irq(6, true);
        assert_eq!(pic.acknowledge(), 0x09);
        pic.set_irq(1, false);
        pic.set_irq(1, true);
        assert_eq!(pic.acknowledge(), 0x0E, "IR1 now lowest");
    }

    #[test]
    fn special_mask_mode() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        pic.set_irq(3, true);
        assert_eq!(pic.acknowledge(), 0x0B);
        pic.set_irq(5, true);
        assert!(!pic.interrupt_pending());
        // The IRQ3 handler masks itself and enables special mask mode.
        out(&mut pic, MASTER_DATA, 0b0000_1000);
        out(&mut pic, MASTER_CMD, 0x68);
        assert!(pic.interrupt_pending(), "lower level allowed");
        assert_eq!(pic.acknowledge(), 0x0D);
        out(&mut pic, MASTER_CMD, 0x60 | 5);
        out(&mut pic, MASTER_CMD, 0x48); // leave special mask mode
        out(&mut pic, MASTER_DATA, 0);
        pic.set_irq(5, false);
        pic.set_irq(5, true);
        assert!(!pic.interrupt_pending(), "IRQ3 blocks again");
    }

    #[test]
    fn special_fully_nested_mode() {
        let mut pic = Pic::new();
        out(&mut pic, MASTER_CMD, 0x11);
        out(&mut pic, MASTER_DATA, 0x08);
        out(&mut pic, MASTER_DATA, 0x04);
        out(&mut pic, MASTER_DATA, 0x11); // 8086, SFNM
        out(&mut pic, MASTER_DATA, 0);
        out(&mut pic, SLAVE_CMD, 0x11);
        out(&mut pic, SLAVE_DATA, 0x70);
        out(&mut pic, SLAVE_DATA, 0x02);
        out(&mut pic, SLAVE_DATA, 0x01);
        out(&mut pic, SLAVE_DATA, 0);
        pic.set_irq(12, true);
        assert_eq!(pic.acknowledge(), 0x74);
        pic.set_irq(9, true);
        assert!(pic.interrupt_pending(), "higher slave request nests");
        assert_eq!(pic.acknowledge(), 0x71);
    }

    #[test]
    fn line_sample_pulse() {
        let mut pic = Pic::new();
        init(&mut pic, 0x08, 0x70);
        pic.set_irq(0, true);
        assert_eq!(pic.acknowledge(), 0x08);
        eoi_master(&mut pic);
        // OUT0 pulsed low and back high between two looks.
        pic.set_irq_sample(
            0,
            LineSample {
                level: true,
                rose: true,
            },
        );
        assert_eq!(pic.acknowledge(), 0x08);
        eoi_master(&mut pic);
        pic.set_irq_sample(
            0,
            LineSample {
                level: true,
                rose: false,
            },
        );
        assert!(!pic.interrupt_pending());
    }

    #[test]
    fn single_mode_no_icw3() {
        let mut pic = Pic::new();
        out(&mut pic, MASTER_CMD, 0x13); // single, ICW4
        out(&mut pic, MASTER_DATA, 0x40);
        out(&mut pic, MASTER_DATA, 0x01); // this is ICW4, not ICW3
        out(&mut pic, MASTER_DATA, 0xFD);
        assert_eq!(inb(&mut pic, MASTER_DATA), 0xFD);
        pic.set_irq(1, true);
        assert_eq!(pic.acknowledge(), 0x41);
    }

    #[test]
    fn odd_values_never_panic() {
        let mut pic = Pic::new();
        for port in [0x20u16, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1, 0x22] {
            for v in 0..=255u32 {
                pic.write(port, 1, v, 0);
                pic.read(port, 4, 0);
                pic.set_irq((v % 20) as u8, v & 1 != 0);
                pic.acknowledge();
            }
        }
        pic.set_irq(200, true);
        assert_eq!(pic.read(0x22, 1, 0), 0xFF);
    }
}
