//! The Bochs/QEMU debug console: a write-only character port, E9h by default.
//!
//! Every byte the guest writes is collected for the machine to drain. A read
//! returns E9h, which is how guests detect the console (Bochs's "port E9
//! hack").

use crate::{read_bytes, write_bytes, PortIo};

/// The usual port.
pub const DEFAULT_PORT: u16 = 0xE9;

/// What a read of the port returns: the presence signature.
const PRESENCE: u8 = 0xE9;

/// The debug console.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DebugCon {
    port: u16,
    output: Vec<u8>,
}

impl Default for DebugCon {
    fn default() -> Self {
        Self::new(DEFAULT_PORT)
    }
}

impl DebugCon {
    /// A console at `port`.
    pub fn new(port: u16) -> Self {
        DebugCon {
            port,
            output: Vec::new(),
        }
    }

    /// The port this console decodes.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything written since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// Appends everything written since the last call to `out`.
    pub fn drain_output(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.output);
    }
}

impl PortIo for DebugCon {
    fn read(&mut self, port: u16, size: u8, _now: u64) -> u32 {
        read_bytes(port, size, |p| if p == self.port { PRESENCE } else { 0xFF })
    }

    /// A wide write is split like any byte port: only the byte that lands on
    /// the console's port is printed.
    fn write(&mut self, port: u16, size: u8, value: u32, _now: u64) {
        write_bytes(port, size, value, |p, v| {
            if p == self.port {
                self.output.push(v);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_bytes_and_answers_e9() {
        let mut con = DebugCon::default();
        for &b in b"PASS cpu\n" {
            con.write(0xE9, 1, u32::from(b), 0);
        }
        assert_eq!(con.read(0xE9, 1, 0), 0xE9);
        assert_eq!(con.take_output(), b"PASS cpu\n");
        assert!(con.take_output().is_empty());
        // outw: the low byte goes to E9h, the high byte to EAh.
        con.write(0xE9, 2, 0x4241, 0);
        con.write(0xE8, 2, 0x4443, 0);
        let mut out = b">".to_vec();
        con.drain_output(&mut out);
        assert_eq!(out, b">AD");
    }

    #[test]
    fn configurable_port() {
        let mut con = DebugCon::new(0x402);
        assert_eq!(con.port(), 0x402);
        con.write(0x402, 1, u32::from(b'x'), 0);
        con.write(0xE9, 1, u32::from(b'y'), 0);
        assert_eq!(con.take_output(), b"x");
        assert_eq!(con.read(0x402, 1, 0), 0xE9);
    }
}
