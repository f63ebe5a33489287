//! QEMU's isa-debug-exit: a port (F4h by default) whose write ends the run.
//!
//! Writing `v` requests an exit with status `(v << 1) | 1`, QEMU's rule, so
//! a guest can never produce status 0 and be mistaken for a clean exit of
//! the emulator itself. The value is as wide as the write (1, 2 or 4 bytes).
//! The machine polls [`DebugExit::take_exit`]; the first request is kept
//! until taken.

use crate::{read_bytes, PortIo};

/// The usual port.
pub const DEFAULT_PORT: u16 = 0xF4;

/// The exit device.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DebugExit {
    port: u16,
    exit: Option<i32>,
}

impl Default for DebugExit {
    fn default() -> Self {
        Self::new(DEFAULT_PORT)
    }
}

impl DebugExit {
    /// An exit device at `port`.
    pub fn new(port: u16) -> Self {
        DebugExit { port, exit: None }
    }

    /// The port this device decodes.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pending exit status, if the guest asked to exit.
    pub fn take_exit(&mut self) -> Option<i32> {
        self.exit.take()
    }

    /// Whether an exit is pending, without taking it.
    pub fn exit_requested(&self) -> bool {
        self.exit.is_some()
    }
}

impl PortIo for DebugExit {
    /// Nothing to read: the bus floats.
    fn read(&mut self, port: u16, size: u8, _now: u64) -> u32 {
        read_bytes(port, size, |_| 0xFF)
    }

    fn write(&mut self, port: u16, size: u8, value: u32, _now: u64) {
        if port != self.port || self.exit.is_some() {
            return;
        }
        let v = match size {
            0 | 1 => value & 0xFF,
            2 | 3 => value & 0xFFFF,
            _ => value,
        };
        self.exit = Some((v << 1 | 1) as i32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_v_shifted_with_low_bit_set() {
        let mut dev = DebugExit::default();
        assert_eq!(dev.take_exit(), None);
        dev.write(0xF4, 1, 0, 0);
        assert!(dev.exit_requested());
        assert_eq!(dev.take_exit(), Some(1));
        assert_eq!(dev.take_exit(), None);
        dev.write(0xF4, 1, 0x10, 0);
        assert_eq!(dev.take_exit(), Some(0x21));
        // The width of the write sets the width of the value.
        dev.write(0xF4, 1, 0x1234, 0);
        assert_eq!(dev.take_exit(), Some(0x69));
        dev.write(0xF4, 2, 0x1234, 0);
        assert_eq!(dev.take_exit(), Some(0x2469));
        dev.write(0xF4, 4, 0xFFFF_FFFF, 0);
        assert_eq!(dev.take_exit(), Some(-1));
    }

    #[test]
    fn first_request_wins_and_other_ports_ignored() {
        let mut dev = DebugExit::new(0x501);
        dev.write(0xF4, 1, 3, 0);
        assert_eq!(dev.take_exit(), None);
        dev.write(0x501, 1, 3, 0);
        dev.write(0x501, 1, 4, 0);
        assert_eq!(dev.take_exit(), Some(7));
        assert_eq!(dev.read(0x501, 1, 0), 0xFF);
        assert_eq!(dev.port(), 0x501);
    }
}
