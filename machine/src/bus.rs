//! The PC's bus as the CPU sees it: memory pages and the port map.

use oxbox_cpu::{Bus, PageMap};

use crate::memory::Memory;

/// System control port A (PS/2 "fast A20"): bit 1 gates A20, bit 0 resets.
const PORT_SYSCTL_A: u16 = 0x92;
const SYSCTL_A20: u8 = 0b0000_0010;
const SYSCTL_RESET: u8 = 0b0000_0001;

/// Requests the bus raised for the machine during the last CPU slice.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requests {
    /// isa-debug-exit: the process exit status `(v << 1) | 1`.
    pub exit: Option<i32>,
    /// A new A20 gate state.
    pub a20: Option<bool>,
    /// A fast reset through port 92h.
    pub reset: bool,
}

pub struct PcBus {
    pub mem: Memory,
    /// Debug console ports (Bochs/QEMU port E9h style) and the bytes
    /// written to each since the machine last drained them.
    pub consoles: Vec<(u16, Vec<u8>)>,
    pub debug_exit_port: Option<u16>,
    pub requests: Requests,
    sysctl_a: u8,
}

impl PcBus {
    pub fn new(mem: Memory) -> Self {
        PcBus { mem, consoles: Vec::new(), debug_exit_port: Some(0xF4), requests: Requests::default(), sysctl_a: SYSCTL_A20 }
    }

    pub fn set_a20_latch(&mut self, on: bool) {
        self.sysctl_a = if on { self.sysctl_a | SYSCTL_A20 } else { self.sysctl_a & !SYSCTL_A20 };
    }
}

impl Bus for PcBus {
    #[inline(always)]
    fn memory(&mut self) -> &mut [u8] {
        &mut self.mem.bytes
    }

    fn map_page(&mut self, phys: u32) -> PageMap {
        self.mem.map_page(phys)
    }

    fn read_slow(&mut self, _phys: u32) -> u8 {
        0xFF
    }

    fn write_slow(&mut self, phys: u32, value: u8) {
        log::trace!("write {value:#04x} to unmapped or read-only {phys:#010x} ignored");
    }

    fn io_in(&mut self, port: u16, size: u8) -> u32 {
        let ones = match size {
            1 => 0xFF,
            2 => 0xFFFF,
            _ => u32::MAX,
        };
        if self.consoles.iter().any(|(p, _)| *p == port) {
            // Bochs's port E9h hack reads back 0xE9 so guests can detect it.
            return 0xE9;
        }
        match port {
            PORT_SYSCTL_A => self.sysctl_a as u32 | (ones & !0xFF),
            _ => {
                log::trace!("in {port:#06x} (size {size}) from nothing");
                ones
            }
        }
    }

    fn io_out(&mut self, port: u16, size: u8, value: u32) -> bool {
        if let Some((_, buf)) = self.consoles.iter_mut().find(|(p, _)| *p == port) {
            buf.push(value as u8);
            return false;
        }
        if Some(port) == self.debug_exit_port {
            let v = match size {
                1 => value & 0xFF,
                2 => value & 0xFFFF,
                _ => value,
            };
            self.requests.exit = Some(((v << 1) | 1) as i32);
            return true;
        }
        match port {
            PORT_SYSCTL_A => {
                let v = value as u8;
                let old = self.sysctl_a;
                self.sysctl_a = v & (SYSCTL_A20 | SYSCTL_RESET);
                if (old ^ v) & SYSCTL_A20 != 0 {
                    self.requests.a20 = Some(v & SYSCTL_A20 != 0);
                }
                if v & SYSCTL_RESET != 0 && old & SYSCTL_RESET == 0 {
                    self.requests.reset = true;
                }
                self.requests.a20.is_some() || self.requests.reset
            }
            _ => {
                log::trace!("out {port:#06x} (size {size}) = {value:#x} to nothing");
                false
            }
        }
    }

    fn interrupt_pending(&mut self) -> bool {
        false
    }

    fn acknowledge_interrupt(&mut self) -> u8 {
        // No interrupt controller yet: a spurious IRQ7 vector.
        0x0F
    }
}
