//! A bus with RAM and nothing else, for running bare CPU code: unit tests,
//! fuzzers, and embedders that bring no devices (the way one uses unicorn).

use crate::bus::{Bus, PageMap};

/// Flat RAM from physical address 0. Reads beyond it give all ones and
/// writes there are dropped, as on a PC with nothing decoding the address;
/// every port reads all ones and ignores writes; no interrupt is ever
/// pending.
///
/// ```
/// use oxbox_cpu::{Cpu, CpuModel, Exit, FlatRam, SegReg};
///
/// let mut ram = FlatRam::new(0x10000);
/// // mov ax,2 ; add ax,ax ; hlt   at 0000:0100
/// ram.0[0x100..0x107].copy_from_slice(&[0xB8, 0x02, 0x00, 0x01, 0xC0, 0xF4, 0xF4]);
/// let mut cpu = Cpu::new(CpuModel::I486);
/// cpu.set_segment_real(SegReg::Cs, 0);
/// cpu.set_eip(0x100);
/// assert_eq!(cpu.run(&mut ram, 10), Exit::Halted);
/// assert_eq!(cpu.gpr(0), 4);
/// ```
pub struct FlatRam(pub Vec<u8>);

impl FlatRam {
    /// `bytes` of zeroed RAM.
    pub fn new(bytes: usize) -> Self {
        FlatRam(vec![0; bytes])
    }
}

impl Bus for FlatRam {
    fn memory(&mut self) -> &mut [u8] {
        &mut self.0
    }
    fn map_page(&mut self, phys: u32) -> PageMap {
        // Only whole pages map straight to RAM; a partial last page (or
        // anything past RAM) takes the slow path.
        let page = phys as usize & !0xFFF;
        if page + 0x1000 <= self.0.len() {
            PageMap::Direct {
                offset: page,
                writable: true,
            }
        } else {
            PageMap::Mmio
        }
    }
    fn read_slow(&mut self, phys: u32) -> u8 {
        self.0.get(phys as usize).copied().unwrap_or(0xFF)
    }
    fn write_slow(&mut self, phys: u32, value: u8) {
        if let Some(b) = self.0.get_mut(phys as usize) {
            *b = value;
        }
    }
    fn io_in(&mut self, _port: u16, _size: u8) -> u32 {
        u32::MAX
    }
    fn io_out(&mut self, _port: u16, _size: u8, _value: u32) -> bool {
        false
    }
    fn interrupt_pending(&mut self) -> bool {
        false
    }
    fn acknowledge_interrupt(&mut self) -> u8 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_last_page_and_beyond_take_the_slow_path() {
        let mut ram = FlatRam::new(0x1800);
        assert!(matches!(
            ram.map_page(0x0FFF),
            PageMap::Direct { offset: 0, .. }
        ));
        assert!(matches!(ram.map_page(0x1000), PageMap::Mmio));
        ram.write_slow(0x17FF, 7);
        ram.write_slow(0x1800, 7);
        assert_eq!((ram.read_slow(0x17FF), ram.read_slow(0x1800)), (7, 0xFF));
    }
}
