//! Inspection for debuggers: memory by physical and linear address without
//! side effects, and disassembly with iced-x86's formatters.

use iced_x86::{
    Decoder, DecoderOptions, Formatter, GasFormatter, Instruction, IntelFormatter, NasmFormatter,
};
use oxbox_cpu::{Access, Bus, PageMap, SegReg};

use crate::Machine;

/// Disassembly syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Intel,
    Nasm,
    /// AT&T syntax, as GNU as writes it.
    Att,
}

/// One disassembled instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disassembly {
    /// Linear address of the first byte.
    pub address: u32,
    pub bytes: Vec<u8>,
    pub text: String,
}

pub use oxbox_cpu::Unmapped;

/// A watch request that names no real range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchError {
    /// A memory range of zero bytes.
    Empty,
    /// A memory range running past the top of the 4 GiB linear space.
    Wraps { start: u32, len: u32 },
    /// A port range whose first port is above its last.
    Reversed { first: u16, last: u16 },
}

impl std::fmt::Display for WatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WatchError::Empty => f.write_str("a watchpoint needs at least one byte"),
            WatchError::Wraps { start, len } => write!(
                f,
                "{len} bytes from {start:#010x} run past the end of the linear address space"
            ),
            WatchError::Reversed { first, last } => {
                write!(f, "port range {first:#x}..={last:#x} is reversed")
            }
        }
    }
}

impl std::error::Error for WatchError {}

impl Machine {
    /// Stops the run after any instruction whose `access` touches `len`
    /// bytes of linear memory from `start` ([`Stop::Debug`](crate::Stop)).
    /// Takes effect on the next instruction, even inside cached code.
    pub fn watch_memory(&mut self, start: u32, len: u32, access: Access) -> Result<(), WatchError> {
        if len == 0 {
            return Err(WatchError::Empty);
        }
        if start.checked_add(len - 1).is_none() {
            return Err(WatchError::Wraps { start, len });
        }
        self.cpu.add_watchpoint(start, len, access);
        Ok(())
    }

    /// Stops the run after an `access` to a port in `first..=last`.
    pub fn watch_ports(&mut self, first: u16, last: u16, access: Access) -> Result<(), WatchError> {
        if first > last {
            return Err(WatchError::Reversed { first, last });
        }
        self.cpu.add_port_watch(first, last, access);
        Ok(())
    }

    /// Reads physical memory. Bytes outside RAM and ROM (device memory,
    /// holes) read as 0xFF; device registers are never touched.
    pub fn read_physical(&mut self, addr: u32, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            let a = addr.wrapping_add(i as u32);
            *b = match self.bus.map_page(a) {
                PageMap::Direct { offset, .. } => self
                    .bus
                    .memory()
                    .get(offset + (a & 0xFFF) as usize)
                    .copied()
                    .unwrap_or(0xFF),
                PageMap::Mmio => 0xFF,
            };
        }
    }

    /// Writes physical RAM or ROM (a debugger may patch ROM); bytes that
    /// fall on device memory are skipped. Cached code there is dropped.
    pub fn write_physical(&mut self, addr: u32, data: &[u8]) {
        for (i, &v) in data.iter().enumerate() {
            let a = addr.wrapping_add(i as u32);
            if let PageMap::Direct { offset, .. } = self.bus.map_page(a) {
                let o = offset + (a & 0xFFF) as usize;
                if let Some(slot) = self.bus.memory().get_mut(o) {
                    *slot = v;
                    self.bus.mark_dirty(o);
                    self.cpu.invalidate_memory(o, 1);
                }
            }
        }
    }

    /// Translates a linear address through the current page tables with no
    /// side effects (no accessed/dirty bits, no fault delivered).
    pub fn linear_to_physical(&mut self, linear: u32) -> Result<u32, Unmapped> {
        self.cpu
            .translate_debug(&mut self.bus, linear)
            .ok_or(Unmapped { linear })
    }

    /// Reads linear memory through the current page tables, with no side
    /// effects. A byte that does not map is reported as [`Unmapped`] (the
    /// page fault the guest would take, as a value).
    ///
    /// ```
    /// # use oxbox_machine::{MachineBuilder, Unmapped};
    /// let mut m = MachineBuilder::new().rom(vec![0xF4; 4096]).build()?;
    /// m.write_physical(0x2000, b"hi");
    /// let mut buf = [0u8; 2];
    /// m.read_linear(0x2000, &mut buf)?; // paging is off: linear = physical
    /// assert_eq!(&buf, b"hi");
    /// // Paging on with an empty page directory at 0x10000: nothing maps.
    /// m.cpu_mut().set_cr3(0x10000);
    /// m.cpu_mut().write_cr0(0x8000_0011)?;
    /// assert_eq!(m.read_linear(0x2000, &mut buf), Err(Unmapped { linear: 0x2000 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_linear(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), Unmapped> {
        for (i, b) in buf.iter_mut().enumerate() {
            let p = self.linear_to_physical(addr.wrapping_add(i as u32))?;
            let mut one = [0u8];
            self.read_physical(p, &mut one);
            *b = one[0];
        }
        Ok(())
    }

    pub fn write_linear(&mut self, addr: u32, data: &[u8]) -> Result<(), Unmapped> {
        // Translate everything first so a hole leaves memory untouched.
        let mut phys = Vec::with_capacity(data.len());
        for i in 0..data.len() {
            phys.push(self.linear_to_physical(addr.wrapping_add(i as u32))?);
        }
        for (p, v) in phys.into_iter().zip(data) {
            self.write_physical(p, std::slice::from_ref(v));
        }
        Ok(())
    }

    /// Disassembles `count` instructions from linear address `addr`, in the
    /// current code size (16 or 32 bits, from CS). Stops early at unmapped
    /// memory.
    pub fn disassemble(&mut self, addr: u32, count: usize, syntax: Syntax) -> Vec<Disassembly> {
        let cs = self.cpu.segment(SegReg::Cs);
        let bitness = if cs.attr & (1 << 14) != 0 { 32 } else { 16 };
        let mut out = Vec::with_capacity(count);
        let mut fmt: Box<dyn Formatter> = match syntax {
            Syntax::Intel => Box::new(IntelFormatter::new()),
            Syntax::Nasm => Box::new(NasmFormatter::new()),
            Syntax::Att => Box::new(GasFormatter::new()),
        };
        let mut a = addr;
        let mut instr = Instruction::default();
        for _ in 0..count {
            let mut bytes = [0u8; 15];
            let mut n = 0;
            while n < bytes.len() {
                let mut b = [0u8];
                if self.read_linear(a.wrapping_add(n as u32), &mut b).is_err() {
                    break;
                }
                bytes[n] = b[0];
                n += 1;
            }
            if n == 0 {
                break;
            }
            let ip = a.wrapping_sub(cs.base) as u64;
            let mut dec = Decoder::with_ip(bitness, &bytes[..n], ip, DecoderOptions::NONE);
            dec.decode_out(&mut instr);
            let len = instr.len().max(1);
            let mut text = String::new();
            if instr.is_invalid() {
                text.push_str("(bad)");
            } else {
                fmt.format(&instr, &mut text);
            }
            out.push(Disassembly {
                address: a,
                bytes: bytes[..len.min(n)].to_vec(),
                text,
            });
            a = a.wrapping_add(len as u32);
        }
        out
    }
}
