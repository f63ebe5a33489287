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
//! guest may have reprogrammed it.
//!
//! **Interrupt lines.** Devices expose the level of their interrupt output
//! (`irq()`), and the machine copies it into the PIC with
//! [`pic::Pic::set_irq`]. Lines are levels, as on the ISA bus; the 8259A turns
//! them into edge- or level-triggered requests as the guest programmed it.
//! A device whose output is a short pulse (the PIT's OUT0 in modes 2 and 4 is
//! low for a single 838 ns clock) reports a [`LineSample`]: the level now plus
//! whether it rose since the machine last looked, and
//! [`pic::Pic::set_irq_sample`] turns that into the edge the 8259A would have
//! seen. No callbacks, closures or shared handles are involved: the machine
//! pulls state, the devices never push.
//!
//! **Snapshots.** Every device is `Clone`; cloning is a complete snapshot.
#![forbid(unsafe_code)]

pub mod cmos;
pub mod debug_exit;
pub mod debugcon;
pub mod pic;
pub mod pit;
pub mod uart;

/// A port-mapped device.
pub trait PortIo {
    /// An `in` of `size` bytes (1, 2 or 4) from `port` at virtual time `now`.
    fn read(&mut self, port: u16, size: u8, now: u64) -> u32;
    /// An `out` of `size` bytes (1, 2 or 4) of `value` to `port` at `now`.
    fn write(&mut self, port: u16, size: u8, value: u32, now: u64);
}

/// Sample of an interrupt output that may pulse between two looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
