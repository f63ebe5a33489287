//! PC chips for oxbox, each a plain struct with no knowledge of the CPU.
//!
//! # The contract between a device and the machine
//!
//! **Port I/O.** Every port-mapped chip implements [`PortIo`]. The machine's
//! bus owns the devices and dispatches an `in`/`out` to the right one with a
//! `match` on the port number; the device gets the port as the CPU issued it.
//! Most PC chips have byte-wide registers; for them a 2- or 4-byte access is
//! split into byte accesses at consecutive ports, low byte first, as the ISA
//! bus does ([`read_bytes`]/[`write_bytes`]). A port inside the device's
//! window that decodes to nothing reads as `0xFF` and ignores writes. No port
//! value, size or write sequence can make a device panic.
//!
//! **Time.** Time is virtual: the machine passes `now`, a count of virtual
//! nanoseconds since power-on, to every call that may depend on it. Devices
//! never read the wall clock and never sleep. `now` should not go backwards;
//! if it does, a device treats it as the latest time it has seen.
//!
//! **Timers.** A device whose outputs change on their own as time passes has
//! `next_deadline(&self, now) -> Option<u64>`: the earliest virtual time at
//! which one of its interrupt outputs may change. `None` means nothing will
//! happen until the guest touches the device again. A deadline may be `<= now`,
//! meaning "already due". When the deadline is reached the machine calls the
//! device's `update(now)` (or for the PIT `poll_irq0(now)`), then re-reads the
//! device's interrupt output and its next deadline. After any port access to a
//! device the machine re-reads its interrupt output and deadline too, since the
//! guest may have reprogrammed it; the same after anything else the machine
//! does to a device (pushing serial input, changing a modem line).
//!
//! **Interrupt lines.** Devices expose the level of their interrupt output
//! (`irq()`), and the machine copies it into the PIC with
//! [`pic::Pic::set_irq`]. Lines are levels, as on the ISA bus; the 8259A turns
//! them into edge- or level-triggered requests as the guest programmed it.
//! A device whose output is a short pulse (the PIT's OUT0 in modes 2 and 4 is
//! low for a single 838 ns clock) reports a [`LineSample`]: the level now plus
//! whether it rose since the machine last looked, and
//! [`pic::Pic::set_irq_sample`] turns that into the edge the 8259A would have
//! seen. At power-on the machine copies every output into the PIC once, so
//! that the PIC starts from the levels the devices really drive (otherwise
//! its first look at a line that is already high would count as an edge).
//! No callbacks, closures or shared handles are involved: the machine pulls
//! state, the devices never push.
//!
//! **Snapshots.** Every device is `Clone`; cloning is a complete snapshot.
//!
//! # Wiring, as the machine does it
//!
//! ```
//! use oxbox_devices::cmos::{Cmos, DateTime};
//! use oxbox_devices::pic::Pic;
//! use oxbox_devices::pit::Pit;
//! use oxbox_devices::uart::{Uart, COM1};
//! use oxbox_devices::PortIo;
//!
//! let mut pic = Pic::new();
//! let mut pit = Pit::new();
//! let mut rtc = Cmos::new(DateTime::from_unix(1_700_000_000));
//! let mut com1 = Uart::new(COM1);
//! let mut now = 0u64;
//!
//! // Power-on: the PIC starts out seeing the lines as the devices drive them.
//! pic.set_irq(0, pit.out(0, now));
//! pic.set_irq(8, rtc.irq());
//!
//! // What the firmware does: vector bases 08h/70h, a 1 kHz tick on IRQ0,
//! // the RTC's periodic interrupt on IRQ8, COM1's THRE interrupt on IRQ4.
//! for (port, v) in [(0x20, 0x11), (0x21, 0x08), (0x21, 0x04), (0x21, 0x01), (0x21, 0x00)] {
//!     pic.write(port, 1, v, now);
//! }
//! for (port, v) in [(0xA0, 0x11), (0xA1, 0x70), (0xA1, 0x02), (0xA1, 0x01), (0xA1, 0x00)] {
//!     pic.write(port, 1, v, now);
//! }
//! pit.write(0x43, 1, 0x34, now); // channel 0, mode 2
//! pit.write(0x40, 1, 1193 & 0xFF, now);
//! pit.write(0x40, 1, 1193 >> 8, now);
//! rtc.write(0x70, 1, 0x0B, now);
//! rtc.write(0x71, 1, 0x42, now); // PIE, 24-hour
//!
//! // The event loop: run the CPU up to the earliest deadline, then let the
//! // devices catch up and copy their lines into the PIC.
//! let mut vectors = Vec::new();
//! for _ in 0..3 {
//!     now = [pit.next_deadline(now), rtc.next_deadline(now)]
//!         .into_iter()
//!         .flatten()
//!         .min()
//!         .expect("something is scheduled");
//!     pic.set_irq_sample(0, pit.poll_irq0(now));
//!     rtc.update(now);
//!     pic.set_irq(8, rtc.irq());
//!     while pic.interrupt_pending() {
//!         let v = pic.acknowledge();
//!         vectors.push(v);
//!         // The guest's handler: read register C for the RTC, then EOI.
//!         if v == 0x70 {
//!             rtc.write(0x70, 1, 0x0C, now);
//!             rtc.read(0x71, 1, now);
//!             pic.set_irq(8, rtc.irq());
//!             pic.write(0xA0, 1, 0x20, now);
//!         }
//!         pic.write(0x20, 1, 0x20, now);
//!     }
//! }
//! // 976.6 us RTC ticks come before the 1 ms PIT tick.
//! assert_eq!(vectors, [0x70, 0x08, 0x70]);
//!
//! // Serial: OUT2 connects the UART to IRQ4.
//! com1.write(0x3FC, 1, 0x08, now);
//! com1.write(0x3F9, 1, 0x02, now);
//! pic.set_irq(4, com1.irq());
//! assert_eq!(pic.acknowledge(), 0x0C);
//! com1.write(0x3F8, 1, u32::from(b'!'), now);
//! assert_eq!(com1.take_output(), b"!");
//! ```
#![forbid(unsafe_code)]

pub mod block;
pub mod busmaster;
pub mod cmos;
pub mod debug_exit;
pub mod debugcon;
pub mod dma;
pub mod floppy;
pub mod fw_cfg;
pub mod i8042;
pub mod ide;
pub mod pci;
pub mod pic;
pub mod pit;
pub mod uart;
pub mod vga;

/// A port-mapped device.
pub trait PortIo {
    /// An `in` of `size` bytes (1, 2 or 4) from `port` at virtual time `now`.
    fn read(&mut self, port: u16, size: u8, now: u64) -> u32;
    /// An `out` of `size` bytes (1, 2 or 4) of `value` to `port` at `now`.
    fn write(&mut self, port: u16, size: u8, value: u32, now: u64);
}

/// Sample of an interrupt output that may pulse between two looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineSample {
    /// Level of the output now.
    pub level: bool,
    /// The output went from low to high at least once since the previous
    /// sample (it may have fallen again since).
    pub rose: bool,
}

/// Number of bytes an access of `size` covers: 1, 2 or 4 (anything else is
/// treated as the nearest sensible width so no size can fault the host).
fn access_len(size: u8) -> u16 {
    match size {
        0 | 1 => 1,
        2 | 3 => 2,
        _ => 4,
    }
}

/// Splits a wide `in` on a byte-wide chip into byte reads at `port`,
/// `port + 1`, ..., assembled little-endian, as the ISA bus does.
pub fn read_bytes(port: u16, size: u8, mut read8: impl FnMut(u16) -> u8) -> u32 {
    (0..access_len(size)).fold(0, |acc, i| {
        acc | u32::from(read8(port.wrapping_add(i))) << (8 * i)
    })
}

/// Splits a wide `out` on a byte-wide chip into byte writes at `port`,
/// `port + 1`, ..., low byte first.
pub fn write_bytes(port: u16, size: u8, value: u32, mut write8: impl FnMut(u16, u8)) {
    for i in 0..access_len(size) {
        write8(port.wrapping_add(i), (value >> (8 * i)) as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_access_splits_low_byte_first() {
        let mut seen = Vec::new();
        write_bytes(0x20, 2, 0xBEEF, |p, v| seen.push((p, v)));
        assert_eq!(seen, vec![(0x20, 0xEF), (0x21, 0xBE)]);
        let v = read_bytes(0x40, 4, |p| p as u8);
        assert_eq!(v, 0x4342_4140);
        assert_eq!(read_bytes(0xFFFF, 2, |p| p as u8), 0x00FF);
    }
}
