//! National Semiconductor 16550A UART, one per COM port.
//!
//! The machine picks the base address (COM1 3F8h, COM2 2F8h, COM3 3E8h,
//! COM4 2E8h) and the IRQ (COM1/3 use IRQ4, COM2/4 IRQ3), pushes received
//! bytes with [`Uart::push_input`] and drains transmitted bytes with
//! [`Uart::take_output`].
//!
//! **Timing.** Transmission is instant: a byte written to THR is on the wire
//! at once, so THRE and TEMT always read 1 and the THRE interrupt re-arms
//! right after each write. Received bytes queue outside the chip and move
//! into the receiver FIFO as space frees up, as if the far end honoured flow
//! control, so nothing the machine pushes is lost; overruns still happen in
//! loopback, where the chip feeds itself. The only timer is the FIFO's
//! character timeout (four character times at the programmed baud rate),
//! reported through [`Uart::next_deadline`].
//!
//! **Interrupt.** [`Uart::irq`] is the line as it reaches the ISA bus: the
//! chip's INTR gated by MCR OUT2, which every PC serial card uses as the
//! interrupt enable. In loopback mode OUT2 is disconnected from the pin, so
//! the line stays low.
//!
//! **Word length.** The far end is a byte stream: bytes go out and come in
//! whole whatever LCR says, so a guest that never programs the UART (LCR
//! resets to 5-bit words) still talks to the host. Only loopback, where the
//! chip talks to itself, drops the bits beyond the programmed word length.

use std::collections::VecDeque;

use crate::{read_bytes, write_bytes, PortIo};

/// Usual base addresses.
pub const COM1: u16 = 0x3F8;
pub const COM2: u16 = 0x2F8;
pub const COM3: u16 = 0x3E8;
pub const COM4: u16 = 0x2E8;

/// Register offsets from the base.
const RBR_THR_DLL: u16 = 0;
const IER_DLM: u16 = 1;
const IIR_FCR: u16 = 2;
const LCR: u16 = 3;
const MCR: u16 = 4;
const LSR: u16 = 5;
const MSR: u16 = 6;
const SCR: u16 = 7;

/// IER: received data available (and character timeout).
const IER_RDA: u8 = 0b0000_0001;
/// IER: transmitter holding register empty.
const IER_THRE: u8 = 0b0000_0010;
/// IER: receiver line status.
const IER_RLS: u8 = 0b0000_0100;
/// IER: modem status.
const IER_MSR: u8 = 0b0000_1000;
/// IER bits that exist on a 16550A.
const IER_MASK: u8 = 0b0000_1111;

/// IIR: no interrupt pending.
const IIR_NONE: u8 = 0b0000_0001;
const IIR_RLS: u8 = 0b0000_0110;
const IIR_RDA: u8 = 0b0000_0100;
const IIR_TIMEOUT: u8 = 0b0000_1100;
const IIR_THRE: u8 = 0b0000_0010;
const IIR_MSR: u8 = 0b0000_0000;
/// IIR: FIFOs enabled.
const IIR_FIFO: u8 = 0b1100_0000;

/// FCR: enable the FIFOs (other bits are ignored without it).
const FCR_ENABLE: u8 = 0b0000_0001;
/// FCR: clear the receiver FIFO.
const FCR_CLEAR_RX: u8 = 0b0000_0010;
/// FCR: receiver trigger level, bits 7-6.
const FCR_TRIGGER: u8 = 0b1100_0000;

/// LCR: word length 5-8 bits.
const LCR_WORD_LEN: u8 = 0b0000_0011;
/// LCR: two stop bits (1.5 with 5-bit words).
const LCR_STOP2: u8 = 0b0000_0100;
/// LCR: parity enable.
const LCR_PARITY: u8 = 0b0000_1000;
/// LCR: divisor latch access.
const LCR_DLAB: u8 = 0b1000_0000;

const MCR_DTR: u8 = 0b0000_0001;
const MCR_RTS: u8 = 0b0000_0010;
const MCR_OUT1: u8 = 0b0000_0100;
/// MCR: OUT2, the PC's interrupt enable.
const MCR_OUT2: u8 = 0b0000_1000;
/// MCR: local loopback.
const MCR_LOOP: u8 = 0b0001_0000;
const MCR_MASK: u8 = 0b0001_1111;

/// LSR: data ready.
const LSR_DR: u8 = 0b0000_0001;
/// LSR: overrun error.
const LSR_OE: u8 = 0b0000_0010;
/// LSR: the error bits that raise a line-status interrupt.
const LSR_ERRORS: u8 = 0b0001_1110;
/// LSR: transmitter holding register (or FIFO) empty.
const LSR_THRE: u8 = 0b0010_0000;
/// LSR: transmitter completely idle.
const LSR_TEMT: u8 = 0b0100_0000;

/// MSR delta bits, cleared by reading MSR.
const MSR_DCTS: u8 = 0b0000_0001;
const MSR_DDSR: u8 = 0b0000_0010;
const MSR_TERI: u8 = 0b0000_0100;
const MSR_DDCD: u8 = 0b0000_1000;
const MSR_CTS: u8 = 0b0001_0000;
const MSR_DSR: u8 = 0b0010_0000;
const MSR_RI: u8 = 0b0100_0000;
const MSR_DCD: u8 = 0b1000_0000;

const FIFO_SIZE: usize = 16;
/// Receiver FIFO trigger levels for FCR bits 7-6.
const TRIGGER_LEVELS: [usize; 4] = [1, 4, 8, 14];
/// Input clock / 16: the baud rate with divisor 1.
const BAUD_BASE: u128 = 115_200;

/// A 16550A.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Uart {
    base: u16,
    /// Receiver FIFO (holds at most one byte with FIFOs disabled).
    rx: VecDeque<u8>,
    /// Bytes pushed by the machine, not yet received.
    wire_in: VecDeque<u8>,
    output: Vec<u8>,
    ier: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    divisor: u16,
    fifo_enabled: bool,
    trigger: usize,
    /// Sticky LSR error bits, cleared by reading LSR.
    lsr_errors: u8,
    /// MSR delta bits.
    msr_deltas: u8,
    /// The modem inputs from the far end (CTS, DSR, RI, DCD at bits 7-4).
    inputs: u8,
    /// Modem status as last seen, for the delta bits.
    status: u8,
    /// The THRE interrupt is armed.
    thre_pending: bool,
    /// Character timeout: when it expires, and whether it has.
    timeout_at: Option<u64>,
    timed_out: bool,
    last_rbr: u8,
    now: u64,
}

impl Uart {
    /// A 16550A at `base`, in its reset state, with a far end that asserts
    /// CTS, DSR and DCD.
    pub fn new(base: u16) -> Self {
        let inputs = MSR_CTS | MSR_DSR | MSR_DCD;
        Uart {
            base,
            rx: VecDeque::with_capacity(FIFO_SIZE),
            wire_in: VecDeque::new(),
            output: Vec::new(),
            ier: 0,
            lcr: 0,
            mcr: 0,
            scr: 0,
            divisor: 12,
            fifo_enabled: false,
            trigger: 1,
            lsr_errors: 0,
            msr_deltas: 0,
            inputs,
            status: inputs,
            thre_pending: false,
            timeout_at: None,
            timed_out: false,
            last_rbr: 0,
            now: 0,
        }
    }

    /// The base I/O address this UART decodes (8 ports).
    pub fn base(&self) -> u16 {
        self.base
    }

    /// Bytes arriving from the far end at `now`.
    pub fn push_input(&mut self, bytes: &[u8], now: u64) {
        self.sync(now);
        self.wire_in.extend(bytes);
        self.fill_rx();
    }

    /// Bytes pushed but not yet taken into the receiver.
    pub fn input_pending(&self) -> usize {
        self.wire_in.len()
    }

    /// Everything transmitted since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// Appends everything transmitted since the last call to `out`.
    pub fn drain_output(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.output);
    }

    /// Sets the modem-control inputs driven by the far end.
    pub fn set_modem_inputs(&mut self, cts: bool, dsr: bool, ri: bool, dcd: bool) {
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        self.inputs = bit(cts, MSR_CTS) | bit(dsr, MSR_DSR) | bit(ri, MSR_RI) | bit(dcd, MSR_DCD);
        self.update_status();
    }

    /// The interrupt line on the ISA bus: INTR gated by OUT2.
    pub fn irq(&self) -> bool {
        self.mcr & (MCR_OUT2 | MCR_LOOP) == MCR_OUT2 && self.interrupt_id() != IIR_NONE
    }

    /// Handles the character timeout at `now`; call at the deadline.
    pub fn update(&mut self, now: u64) {
        self.sync(now);
    }

    /// When the receiver's character timeout will fire, if it matters for
    /// the interrupt line.
    pub fn next_deadline(&self, _now: u64) -> Option<u64> {
        if self.ier & IER_RDA == 0 || self.timed_out {
            return None;
        }
        self.timeout_at
    }

    fn loopback(&self) -> bool {
        self.mcr & MCR_LOOP != 0
    }

    fn rx_capacity(&self) -> usize {
        if self.fifo_enabled {
            FIFO_SIZE
        } else {
            1
        }
    }

    fn word_mask(&self) -> u8 {
        0xFF >> (3 - (self.lcr & LCR_WORD_LEN))
    }

    /// Four character times at the current line settings, in ns.
    fn timeout_ns(&self) -> u64 {
        let data = 5 + u128::from(self.lcr & LCR_WORD_LEN);
        let parity = u128::from(self.lcr & LCR_PARITY != 0);
        let stop = if self.lcr & LCR_STOP2 != 0 { 2 } else { 1 };
        let bits = 1 + data + parity + stop;
        let divisor = match self.divisor {
            0 => 65_536,
            d => u128::from(d),
        };
        let ns = 4 * bits * divisor * 1_000_000_000 / BAUD_BASE;
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    fn sync(&mut self, now: u64) {
        self.now = self.now.max(now);
        if let Some(at) = self.timeout_at {
            if self.now >= at && self.fifo_enabled && !self.rx.is_empty() {
                self.timed_out = true;
            }
        }
    }

    /// Restarts the character timeout after a byte came in or was read.
    fn restart_timeout(&mut self) {
        self.timed_out = false;
        self.timeout_at = if self.fifo_enabled && !self.rx.is_empty() {
            Some(self.now.saturating_add(self.timeout_ns()))
        } else {
            None
        };
    }

    /// A character finished arriving in the receive shift register.
    fn receive(&mut self, byte: u8) {
        if self.rx.len() >= self.rx_capacity() {
            self.lsr_errors |= LSR_OE;
            if !self.fifo_enabled {
                // Without FIFOs the new character overwrites RBR; with
                // them the shift register's character is the one lost.
                self.rx.pop_front();
                self.rx.push_back(byte);
            }
        } else {
            self.rx.push_back(byte);
        }
        self.restart_timeout();
    }

    /// Moves waiting input into the receiver while it has room.
    fn fill_rx(&mut self) {
        if self.loopback() {
            return; // the serial input is disconnected
        }
        while self.rx.len() < self.rx_capacity() {
            match self.wire_in.pop_front() {
                Some(b) => self.receive(b),
                None => break,
            }
        }
    }

    fn modem_status(&self) -> u8 {
        if !self.loopback() {
            return self.inputs;
        }
        let bit = |mcr: u8, msr: u8| if self.mcr & mcr != 0 { msr } else { 0 };
        bit(MCR_RTS, MSR_CTS)
            | bit(MCR_DTR, MSR_DSR)
            | bit(MCR_OUT1, MSR_RI)
            | bit(MCR_OUT2, MSR_DCD)
    }

    fn update_status(&mut self) {
        let new = self.modem_status();
        let changed = new ^ self.status;
        if changed & MSR_CTS != 0 {
            self.msr_deltas |= MSR_DCTS;
        }
        if changed & MSR_DSR != 0 {
            self.msr_deltas |= MSR_DDSR;
        }
        if changed & MSR_DCD != 0 {
            self.msr_deltas |= MSR_DDCD;
        }
        // Trailing edge of RI: on to off.
        if changed & MSR_RI != 0 && new & MSR_RI == 0 {
            self.msr_deltas |= MSR_TERI;
        }
        self.status = new;
    }

    fn rx_data_available(&self) -> bool {
        let level = if self.fifo_enabled { self.trigger } else { 1 };
        self.rx.len() >= level
    }

    /// The highest-priority pending interrupt, as IIR bits 3-0.
    fn interrupt_id(&self) -> u8 {
        if self.ier & IER_RLS != 0 && self.lsr_errors & LSR_ERRORS != 0 {
            IIR_RLS
        } else if self.ier & IER_RDA != 0 && self.rx_data_available() {
            IIR_RDA
        } else if self.ier & IER_RDA != 0 && self.timed_out && !self.rx.is_empty() {
            IIR_TIMEOUT
        } else if self.ier & IER_THRE != 0 && self.thre_pending {
            IIR_THRE
        } else if self.ier & IER_MSR != 0 && self.msr_deltas != 0 {
            IIR_MSR
        } else {
            IIR_NONE
        }
    }

    fn read_rbr(&mut self) -> u8 {
        if let Some(b) = self.rx.pop_front() {
            self.last_rbr = b;
        }
        self.fill_rx();
        self.restart_timeout();
        self.last_rbr
    }

    fn read_iir(&mut self) -> u8 {
        let id = self.interrupt_id();
        if id == IIR_THRE {
            // Reading IIR while it reports THRE clears that interrupt.
            self.thre_pending = false;
        }
        if self.fifo_enabled {
            id | IIR_FIFO
        } else {
            id
        }
    }

    fn read_lsr(&mut self) -> u8 {
        let mut v = LSR_THRE | LSR_TEMT | self.lsr_errors;
        if !self.rx.is_empty() {
            v |= LSR_DR;
        }
        self.lsr_errors = 0;
        v
    }

    fn read_msr(&mut self) -> u8 {
        let v = self.status | self.msr_deltas;
        self.msr_deltas = 0;
        v
    }

    fn write_thr(&mut self, value: u8) {
        if self.loopback() {
            // Only the bits of the programmed word length go round.
            self.receive(value & self.word_mask());
        } else {
            self.output.push(value);
        }
        // The write clears the THRE interrupt, and the instant transmitter
        // empties THR again, which sets it.
        self.thre_pending = true;
    }

    fn write_ier(&mut self, value: u8) {
        let old = self.ier;
        self.ier = value & IER_MASK;
        if self.ier & IER_THRE != 0 && old & IER_THRE == 0 {
            // Enabling ETBEI while THR is empty raises THRE at once.
            self.thre_pending = true;
        }
    }

    fn write_fcr(&mut self, value: u8) {
        let enable = value & FCR_ENABLE != 0;
        if enable != self.fifo_enabled {
            // Switching FIFO mode clears both FIFOs.
            self.rx.clear();
            self.fifo_enabled = enable;
        }
        if enable {
            if value & FCR_CLEAR_RX != 0 {
                self.rx.clear();
            }
            // Bit 2 clears the transmitter FIFO, which is always empty.
            self.trigger = TRIGGER_LEVELS[usize::from((value & FCR_TRIGGER) >> 6)];
        }
        self.restart_timeout();
        self.fill_rx();
    }

    fn write_mcr(&mut self, value: u8) {
        self.mcr = value & MCR_MASK;
        self.update_status();
        self.fill_rx();
    }

    fn read_u8(&mut self, port: u16, now: u64) -> u8 {
        self.sync(now);
        let dlab = self.lcr & LCR_DLAB != 0;
        match port.wrapping_sub(self.base) {
            RBR_THR_DLL if dlab => self.divisor as u8,
            RBR_THR_DLL => self.read_rbr(),
            IER_DLM if dlab => (self.divisor >> 8) as u8,
            IER_DLM => self.ier,
            IIR_FCR => self.read_iir(),
            LCR => self.lcr,
            MCR => self.mcr,
            LSR => self.read_lsr(),
            MSR => self.read_msr(),
            SCR => self.scr,
            _ => 0xFF,
        }
    }

    fn write_u8(&mut self, port: u16, value: u8, now: u64) {
        self.sync(now);
        let dlab = self.lcr & LCR_DLAB != 0;
        match port.wrapping_sub(self.base) {
            RBR_THR_DLL if dlab => self.divisor = (self.divisor & 0xFF00) | u16::from(value),
            RBR_THR_DLL => self.write_thr(value),
            IER_DLM if dlab => self.divisor = (self.divisor & 0x00FF) | u16::from(value) << 8,
            IER_DLM => self.write_ier(value),
            IIR_FCR => self.write_fcr(value),
            LCR => self.lcr = value,
            MCR => self.write_mcr(value),
            // LSR and MSR writes are factory test only.
            LSR | MSR => {}
            SCR => self.scr = value,
            _ => {}
        }
    }
}

impl PortIo for Uart {
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

    const B: u16 = COM1;

    fn out(u: &mut Uart, reg: u16, value: u8) {
        u.write(B + reg, 1, u32::from(value), 0);
    }

    fn inb(u: &mut Uart, reg: u16) -> u8 {
        u.read(B + reg, 1, 0) as u8
    }

    #[test]
    fn reset_state() {
        let mut u = Uart::new(COM1);
        assert_eq!(inb(&mut u, IIR_FCR), IIR_NONE);
        assert_eq!(inb(&mut u, LSR), LSR_THRE | LSR_TEMT);
        assert_eq!(inb(&mut u, IER_DLM), 0);
        assert_eq!(inb(&mut u, MSR), MSR_CTS | MSR_DSR | MSR_DCD);
        assert!(!u.irq());
        assert_eq!(u.read(B + 8, 1, 0), 0xFF, "outside the window");
    }

    #[test]
    fn divisor_latch() {
        let mut u = Uart::new(COM1);
        out(&mut u, IER_DLM, 0x05);
        out(&mut u, LCR, LCR_DLAB | 0x03);
        out(&mut u, RBR_THR_DLL, 0x01); // 115200 baud
        out(&mut u, IER_DLM, 0x00);
        assert_eq!(inb(&mut u, RBR_THR_DLL), 0x01);
        assert_eq!(inb(&mut u, IER_DLM), 0x00);
        out(&mut u, LCR, 0x03);
        assert_eq!(inb(&mut u, IER_DLM), 0x05, "IER untouched by DLM");
        out(&mut u, RBR_THR_DLL, b'A');
        assert_eq!(u.take_output(), b"A");
        out(&mut u, LCR, LCR_DLAB | 0x03);
        assert_eq!(inb(&mut u, RBR_THR_DLL), 0x01, "THR write missed DLL");
        out(&mut u, IER_DLM, 0x03);
        assert_eq!(u.divisor, 0x0301);
    }

    #[test]
    fn scratch_and_ier_probe_like_linux() {
        let mut u = Uart::new(COM1);
        out(&mut u, IER_DLM, 0);
        assert_eq!(inb(&mut u, IER_DLM) & 0x0F, 0);
        out(&mut u, IER_DLM, 0xFF);
        assert_eq!(inb(&mut u, IER_DLM), 0x0F, "only four IER bits");
        out(&mut u, SCR, 0xA5);
        assert_eq!(inb(&mut u, SCR), 0xA5);
    }

    #[test]
    fn loopback() {
        let mut u = Uart::new(COM1);
        // Linux's presence check: MCR = LOOP | OUT2 | RTS -> MSR 0x90.
        out(&mut u, MCR, MCR_LOOP | 0x0A);
        assert_eq!(inb(&mut u, MSR) & 0xF0, 0x90);
        out(&mut u, MCR, MCR_LOOP | MCR_DTR | MCR_OUT1);
        assert_eq!(
            inb(&mut u, MSR),
            MSR_DSR | MSR_RI | MSR_DDSR | MSR_DCTS | MSR_DDCD
        );
        out(&mut u, MCR, MCR_LOOP);
        assert_eq!(inb(&mut u, MSR), MSR_DDSR | MSR_TERI);
        // Transmitted bytes come back and never reach the wire.
        out(&mut u, LCR, 0x03);
        out(&mut u, RBR_THR_DLL, 0x42);
        assert!(u.take_output().is_empty());
        assert_eq!(inb(&mut u, LSR) & LSR_DR, LSR_DR);
        assert_eq!(inb(&mut u, RBR_THR_DLL), 0x42);
        assert_eq!(inb(&mut u, LSR) & LSR_DR, 0);
        // External input waits until loopback ends.
        u.push_input(b"x", 0);
        assert_eq!(inb(&mut u, LSR) & LSR_DR, 0);
        out(&mut u, MCR, 0);
        assert_eq!(inb(&mut u, RBR_THR_DLL), b'x');
        // No IRQ reaches the bus in loopback even with OUT2 set.
        out(&mut u, MCR, MCR_LOOP | MCR_OUT2);
        out(&mut u, IER_DLM, IER_THRE);
        assert_ne!(u.interrupt_id(), IIR_NONE);
        assert!(!u.irq());
        out(&mut u, MCR, MCR_OUT2);
        assert!(u.irq());
    }

    #[test]
    fn fifo_trigger_and_timeout() {
        let mut u = Uart::new(COM1);
        out(&mut u, LCR, 0x03); // 8N1, divisor 12: 9600 baud
        out(&mut u, IIR_FCR, FCR_ENABLE | 0b0100_0000); // trigger level 4
        assert_eq!(inb(&mut u, IIR_FCR) & IIR_FIFO, IIR_FIFO);
        out(&mut u, IER_DLM, IER_RDA);
        out(&mut u, MCR, MCR_OUT2);
        u.push_input(b"abc", 1000);
        assert_eq!(u.interrupt_id(), IIR_NONE, "below the trigger of 4");
        // Four characters of 10 bits at 9600 baud.
        let timeout = 4 * 10 * 12 * 1_000_000_000 / 115_200;
        assert_eq!(u.next_deadline(1000), Some(1000 + timeout));
        u.update(1000 + timeout - 1);
        assert!(!u.irq());
        u.update(1000 + timeout);
        assert!(u.irq());
        assert_eq!(u.read(B + IIR_FCR, 1, 1000 + timeout), 0xCC);
        // Reading a byte clears the timeout and restarts it.
        assert_eq!(u.read(B, 1, 1000 + timeout), u32::from(b'a'));
        assert!(!u.irq());
        u.push_input(b"de", 1000 + timeout);
        assert_eq!(
            u.read(B + IIR_FCR, 1, 1000 + timeout),
            0xC4,
            "trigger reached"
        );
        let rest: Vec<u8> = (0..4).map(|_| u.read(B, 1, 2 * timeout) as u8).collect();
        assert_eq!(rest, b"bcde");
        assert_eq!(u.read(B + IIR_FCR, 1, 2 * timeout), 0xC1);
        assert_eq!(u.next_deadline(2 * timeout), None);
    }

    #[test]
    fn fifo_holds_sixteen_and_flow_controls_the_rest() {
        let mut u = Uart::new(COM1);
        out(&mut u, IIR_FCR, FCR_ENABLE | FCR_CLEAR_RX | 0b1100_0000);
        let data: Vec<u8> = (0..40).collect();
        u.push_input(&data, 0);
        assert_eq!(u.rx.len(), 16);
        assert_eq!(u.input_pending(), 24);
        let mut got = Vec::new();
        while inb(&mut u, LSR) & LSR_DR != 0 {
            got.push(inb(&mut u, RBR_THR_DLL));
        }
        assert_eq!(got, data, "nothing lost, in order");
        assert_eq!(inb(&mut u, LSR) & LSR_OE, 0);
        // FCR bit 1 clears the receiver FIFO.
        u.push_input(b"zz", 0);
        out(&mut u, IIR_FCR, FCR_ENABLE | FCR_CLEAR_RX);
        assert_eq!(inb(&mut u, LSR) & LSR_DR, 0);
        // Turning the FIFOs off reports plain IIR values.
        out(&mut u, IIR_FCR, 0);
        assert_eq!(inb(&mut u, IIR_FCR), IIR_NONE);
    }

    #[test]
    fn overrun_in_loopback() {
        let mut u = Uart::new(COM1);
        out(&mut u, MCR, MCR_LOOP);
        out(&mut u, RBR_THR_DLL, 1);
        out(&mut u, RBR_THR_DLL, 2);
        // Without FIFOs the second byte overwrote the first.
        assert_eq!(inb(&mut u, LSR), LSR_DR | LSR_OE | LSR_THRE | LSR_TEMT);
        assert_eq!(inb(&mut u, LSR) & LSR_OE, 0, "OE clears on read");
        assert_eq!(inb(&mut u, RBR_THR_DLL), 2);
        // With FIFOs the 17th byte is lost and the FIFO kept.
        out(&mut u, IIR_FCR, FCR_ENABLE);
        for b in 0..17 {
            out(&mut u, RBR_THR_DLL, b);
        }
        assert_eq!(inb(&mut u, LSR) & LSR_OE, LSR_OE);
        let got: Vec<u8> = (0..16).map(|_| inb(&mut u, RBR_THR_DLL)).collect();
        assert_eq!(got, (0..16).collect::<Vec<u8>>());
    }

    #[test]
    fn interrupt_priorities() {
        let mut u = Uart::new(COM1);
        out(&mut u, MCR, MCR_LOOP);
        out(&mut u, IER_DLM, IER_RDA | IER_THRE | IER_RLS | IER_MSR);
        // THRE (armed by the IER write) and a modem-status change pending.
        out(&mut u, MCR, MCR_LOOP | MCR_RTS);
        assert_eq!(u.interrupt_id(), IIR_THRE);
        // Two bytes: data available, and an overrun (line status).
        out(&mut u, RBR_THR_DLL, 7);
        out(&mut u, RBR_THR_DLL, 8);
        assert_eq!(inb(&mut u, IIR_FCR), IIR_RLS);
        inb(&mut u, LSR); // clears RLS
        assert_eq!(inb(&mut u, IIR_FCR), IIR_RDA);
        inb(&mut u, RBR_THR_DLL); // clears RDA
        assert_eq!(inb(&mut u, IIR_FCR), IIR_THRE);
        // That read cleared THRE; modem status is last.
        assert_eq!(inb(&mut u, IIR_FCR), IIR_MSR);
        inb(&mut u, MSR);
        assert_eq!(inb(&mut u, IIR_FCR), IIR_NONE);
    }

    #[test]
    fn thre_interrupt_after_ier_write() {
        let mut u = Uart::new(COM1);
        out(&mut u, MCR, MCR_OUT2 | MCR_RTS | MCR_DTR);
        // Linux's UART_BUG_THRE probe.
        out(&mut u, IER_DLM, IER_THRE);
        assert!(u.irq());
        let iir1 = inb(&mut u, IIR_FCR);
        assert_eq!(iir1, IIR_THRE);
        assert!(!u.irq(), "IIR read cleared it");
        assert_eq!(inb(&mut u, IIR_FCR), IIR_NONE);
        out(&mut u, IER_DLM, 0);
        out(&mut u, IER_DLM, IER_THRE);
        assert_eq!(inb(&mut u, IIR_FCR), IIR_THRE, "re-asserted by enabling");
        // Rewriting IER with ETBEI already set is not an enable.
        out(&mut u, IER_DLM, IER_THRE);
        assert_eq!(inb(&mut u, IIR_FCR), IIR_NONE);
        // A THR write re-arms it (the byte leaves at once).
        out(&mut u, RBR_THR_DLL, b'h');
        assert!(u.irq());
        out(&mut u, RBR_THR_DLL, b'i');
        assert_eq!(inb(&mut u, IIR_FCR), IIR_THRE);
        let mut wire = Vec::new();
        u.drain_output(&mut wire);
        assert_eq!(wire, b"hi");
        // OUT2 gates the line.
        out(&mut u, RBR_THR_DLL, b'!');
        out(&mut u, MCR, MCR_RTS | MCR_DTR);
        assert!(!u.irq());
    }

    #[test]
    fn lsr_bits() {
        let mut u = Uart::new(COM1);
        assert_eq!(inb(&mut u, LSR), 0x60);
        u.push_input(&[0x55], 0);
        assert_eq!(inb(&mut u, LSR), 0x61);
        assert_eq!(inb(&mut u, RBR_THR_DLL), 0x55);
        assert_eq!(inb(&mut u, LSR), 0x60);
        // Reading an empty RBR repeats the last byte.
        assert_eq!(inb(&mut u, RBR_THR_DLL), 0x55);
        // Line-status interrupt on overrun only with ELSI.
        out(&mut u, MCR, MCR_LOOP);
        out(&mut u, RBR_THR_DLL, 1);
        out(&mut u, RBR_THR_DLL, 2);
        assert_eq!(inb(&mut u, IIR_FCR), IIR_NONE);
        out(&mut u, RBR_THR_DLL, 3);
        out(&mut u, IER_DLM, IER_RLS);
        assert_eq!(inb(&mut u, IIR_FCR), IIR_RLS);
    }

    #[test]
    fn modem_status_interrupt() {
        let mut u = Uart::new(COM2);
        u.write(COM2 + IER_DLM, 1, u32::from(IER_MSR), 0);
        u.write(COM2 + MCR, 1, u32::from(MCR_OUT2), 0);
        assert!(!u.irq());
        u.set_modem_inputs(true, true, true, true);
        assert!(!u.irq(), "RI rising is not a trailing edge");
        assert_eq!(u.read(COM2 + MSR, 1, 0) as u8, 0xF0);
        u.set_modem_inputs(false, true, false, true);
        assert!(u.irq());
        assert_eq!(
            u.read(COM2 + MSR, 1, 0) as u8,
            MSR_DSR | MSR_DCD | MSR_DCTS | MSR_TERI
        );
        assert!(!u.irq());
    }

    #[test]
    fn word_length_only_masks_loopback() {
        let mut u = Uart::new(COM1);
        out(&mut u, LCR, 0x02); // 7 bits
        out(&mut u, RBR_THR_DLL, 0xC1);
        assert_eq!(u.take_output(), vec![0xC1], "the host sees whole bytes");
        u.push_input(&[0xFF], 0);
        assert_eq!(inb(&mut u, RBR_THR_DLL), 0xFF);
        out(&mut u, MCR, MCR_LOOP);
        out(&mut u, RBR_THR_DLL, 0xC1);
        assert_eq!(inb(&mut u, RBR_THR_DLL), 0x41);
        out(&mut u, LCR, 0x00); // 5 bits, the reset value
        out(&mut u, RBR_THR_DLL, 0xFF);
        assert_eq!(inb(&mut u, RBR_THR_DLL), 0x1F);
    }

    /// The register dance of Linux's `autoconfig` must end in "16550A".
    #[test]
    fn linux_autoconfig_sees_a_16550a() {
        let mut u = Uart::new(COM1);
        let save_lcr = inb(&mut u, LCR);
        out(&mut u, LCR, 0xBF); // UART_LCR_CONF_MODE_B
        out(&mut u, IIR_FCR, 0); // EFR on a 16650, FCR here
        out(&mut u, LCR, 0);
        out(&mut u, IIR_FCR, FCR_ENABLE);
        assert_eq!(inb(&mut u, IIR_FCR) >> 6, 3, "FIFO: 16550A family");
        // No EFR: reading offset 2 with LCR = BFh gives IIR, not 0.
        out(&mut u, LCR, 0xBF);
        assert_ne!(inb(&mut u, IIR_FCR), 0);
        // Not a National SuperIO: offset 2 under LCR = E0h doesn't follow
        // MCR's LOOP bit.
        out(&mut u, LCR, 0);
        let status1 = inb(&mut u, MCR);
        out(&mut u, LCR, 0xE0);
        let status2 = inb(&mut u, IIR_FCR);
        assert_eq!((status1 ^ status2) & MCR_LOOP, 0);
        out(&mut u, LCR, 0);
        out(&mut u, MCR, status1 ^ MCR_LOOP);
        out(&mut u, LCR, 0xE0);
        let status2 = inb(&mut u, IIR_FCR);
        out(&mut u, LCR, 0);
        out(&mut u, MCR, status1);
        assert_eq!((status1 ^ status2) & MCR_LOOP, 0);
        // Not a 16750: no 64-byte FIFO bit in IIR.
        out(&mut u, IIR_FCR, FCR_ENABLE | 0b0010_0000);
        assert_eq!(inb(&mut u, IIR_FCR) >> 5, 6);
        // Not an XScale: IER bit 6 doesn't stick.
        out(&mut u, IER_DLM, 0b0100_0000);
        assert_eq!(inb(&mut u, IER_DLM), 0);
        out(&mut u, LCR, save_lcr);
    }

    #[test]
    fn odd_values_never_panic() {
        let mut u = Uart::new(COM4);
        let mut x = 99u32;
        for i in 0..50_000u64 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let port = COM4 + u16::from((x >> 8) as u8 & 7);
            if x & 0x1_0000 != 0 {
                u.write(port, 1, x >> 17, i * 1000);
            } else {
                u.read(port, 2, i * 1000);
            }
            if x & 0xF0_0000 == 0 {
                u.push_input(&[x as u8; 3], i * 1000);
            }
            u.update(i * 1000);
            u.next_deadline(i * 1000);
        }
    }
}
