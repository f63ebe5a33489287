//! IN and OUT. Protected-mode IOPL and I/O-bitmap checks arrive with
//! protected mode.

use crate::bus::Bus;
use crate::cpu::Cpu;
use crate::exec::Exit;
use crate::fault::{Fault, Result};
use crate::flags::FLAG_IOPL;
use crate::op::Op;

impl<B: Bus> Cpu<B> {
    /// IOPL and the TSS I/O permission bitmap (always consulted in
    /// virtual-8086 mode, and at CPL > IOPL in protected mode).
    #[inline(always)]
    pub(crate) fn io_allowed(&mut self, bus: &mut B, port: u16, size: u32) -> Result<()> {
        if self.protected()
            && (self.v86() || self.cpl > ((self.eflags & FLAG_IOPL) >> 12) as u8)
            && !self.io_bitmap_allows(bus, port, size)?
        {
            return Err(Fault::GP0);
        }
        Ok(())
    }

    #[inline(always)]
    pub(crate) fn port_out(&mut self, bus: &mut B, port: u16, size: u8, v: u32) {
        if self.api_debug {
            self.check_port_watch(port, true);
        }
        bus.sync(self.icount);
        if bus.io_out(port, size, v) && self.exit.is_none() {
            self.exit = Some(Exit::Attention);
            self.stop_block = true;
        }
        if self.api_debug {
            self.hook_port_out(bus, port, size, v);
        }
    }

    /// Port input of `size` bytes (watches and hooks see it when set).
    #[inline(always)]
    pub(crate) fn port_in(&mut self, bus: &mut B, port: u16, size: u8) -> u32 {
        if self.api_debug {
            return self.port_in_watched(bus, port, size);
        }
        bus.sync(self.icount);
        bus.io_in(port, size)
    }
}

/// IN acc, imm8 (IMM) or IN acc, DX.
pub(crate) fn in_<B: Bus, const W: u32, const IMM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let port = if IMM {
        op.imm as u16
    } else {
        cpu.regs[2] as u16
    };
    cpu.io_allowed(bus, port, W / 8)?;
    let v = cpu.port_in(bus, port, (W / 8) as u8);
    cpu.reg_set::<W>(0, v);
    Ok(())
}

pub(crate) fn out<B: Bus, const W: u32, const IMM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let port = if IMM {
        op.imm as u16
    } else {
        cpu.regs[2] as u16
    };
    cpu.io_allowed(bus, port, W / 8)?;
    let v = cpu.reg_get::<W>(0);
    cpu.port_out(bus, port, (W / 8) as u8, v);
    Ok(())
}
