//! ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST, INC, DEC, NEG, NOT.

use crate::bus::Bus;
use crate::cpu::Cpu;
use crate::fault::Result;
use crate::flags::{width_mask, LazyOp};
use crate::op::{Op, MI, MR, RM, RR};

pub(crate) const ADD: u8 = 0;
pub(crate) const OR: u8 = 1;
pub(crate) const ADC: u8 = 2;
pub(crate) const SBB: u8 = 3;
pub(crate) const AND: u8 = 4;
pub(crate) const SUB: u8 = 5;
pub(crate) const XOR: u8 = 6;
pub(crate) const CMP: u8 = 7;
pub(crate) const TEST: u8 = 8;

impl<B: Bus> Cpu<B> {
    /// Effective address of the op's memory operand (offset within its segment).
    #[inline(always)]
    pub(crate) fn ea(&self, op: &Op<B>) -> u32 {
        self.regs[op.base as usize]
            .wrapping_add(self.regs[op.index as usize] << op.scale)
            .wrapping_add(op.disp)
            & op.amask
    }

    /// Reads the memory operand of `op`.
    #[inline(always)]
    pub(crate) fn read_ea<const W: u32>(&mut self, bus: &mut B, op: &Op<B>) -> Result<u32> {
        let off = self.ea(op);
        self.read::<W>(bus, op.seg, off)
    }

    #[inline(always)]
    pub(crate) fn write_ea<const W: u32>(&mut self, bus: &mut B, op: &Op<B>, v: u32) -> Result<()> {
        let off = self.ea(op);
        self.write::<W>(bus, op.seg, off, v)
    }

    /// Operand 0 of a two-operand form that will be written back.
    #[inline(always)]
    pub(crate) fn dst_rmw<const W: u32, const F: u8>(
        &mut self,
        bus: &mut B,
        op: &Op<B>,
    ) -> Result<u32> {
        match F {
            MR | MI => {
                let off = self.ea(op);
                self.read_rmw::<W>(bus, op.seg, off)
            }
            _ => Ok(self.reg_get::<W>(op.r0)),
        }
    }

    /// The r/m operand of a read-modify-write one-operand form.
    #[inline(always)]
    pub(crate) fn rm_rmw<const W: u32, const MEM: bool>(
        &mut self,
        bus: &mut B,
        op: &Op<B>,
    ) -> Result<u32> {
        if MEM {
            let off = self.ea(op);
            self.read_rmw::<W>(bus, op.seg, off)
        } else {
            Ok(self.reg_get::<W>(op.r0))
        }
    }

    /// Operand 0 of a two-operand form.
    #[inline(always)]
    pub(crate) fn dst<const W: u32, const F: u8>(
        &mut self,
        bus: &mut B,
        op: &Op<B>,
    ) -> Result<u32> {
        match F {
            MR | MI => self.read_ea::<W>(bus, op),
            _ => Ok(self.reg_get::<W>(op.r0)),
        }
    }

    #[inline(always)]
    pub(crate) fn set_dst<const W: u32, const F: u8>(
        &mut self,
        bus: &mut B,
        op: &Op<B>,
        v: u32,
    ) -> Result<()> {
        match F {
            MR | MI => self.write_ea::<W>(bus, op, v),
            _ => {
                self.reg_set::<W>(op.r0, v);
                Ok(())
            }
        }
    }

    /// Operand 1 of a two-operand form.
    #[inline(always)]
    pub(crate) fn src<const W: u32, const F: u8>(
        &mut self,
        bus: &mut B,
        op: &Op<B>,
    ) -> Result<u32> {
        match F {
            RR | MR => Ok(self.reg_get::<W>(op.r1)),
            RM => self.read_ea::<W>(bus, op),
            _ => Ok(op.imm & width_mask(W)),
        }
    }

    /// The single r/m operand of a one-operand form (register in `r0`).
    #[inline(always)]
    pub(crate) fn rm<const W: u32, const MEM: bool>(
        &mut self,
        bus: &mut B,
        op: &Op<B>,
    ) -> Result<u32> {
        if MEM {
            self.read_ea::<W>(bus, op)
        } else {
            Ok(self.reg_get::<W>(op.r0))
        }
    }

    #[inline(always)]
    pub(crate) fn set_rm<const W: u32, const MEM: bool>(
        &mut self,
        bus: &mut B,
        op: &Op<B>,
        v: u32,
    ) -> Result<()> {
        if MEM {
            self.write_ea::<W>(bus, op, v)
        } else {
            self.reg_set::<W>(op.r0, v);
            Ok(())
        }
    }

    /// One ALU operation: the result and how its flags are derived. Flags
    /// are committed by the caller only after the result is stored, so a
    /// faulting store leaves them untouched.
    #[inline(always)]
    pub(crate) fn alu_op<const OP: u8, const W: u32>(&self, a: u32, b: u32) -> (u32, LazyOp) {
        let m = width_mask(W);
        match OP {
            ADD => (a.wrapping_add(b) & m, LazyOp::Add),
            ADC => {
                let c = self.cf() as u32;
                (
                    a.wrapping_add(b).wrapping_add(c) & m,
                    if c != 0 { LazyOp::Adc } else { LazyOp::Add },
                )
            }
            SUB | CMP => (a.wrapping_sub(b) & m, LazyOp::Sub),
            SBB => {
                let c = self.cf() as u32;
                (
                    a.wrapping_sub(b).wrapping_sub(c) & m,
                    if c != 0 { LazyOp::Sbb } else { LazyOp::Sub },
                )
            }
            AND | TEST => (a & b, LazyOp::Logic),
            OR => (a | b, LazyOp::Logic),
            _ => (a ^ b, LazyOp::Logic),
        }
    }
}

pub(crate) fn alu<B: Bus, const OP: u8, const W: u32, const F: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let b = cpu.src::<W, F>(bus, op)?;
    let a = if OP == CMP || OP == TEST {
        cpu.dst::<W, F>(bus, op)?
    } else {
        cpu.dst_rmw::<W, F>(bus, op)?
    };
    let (r, kind) = cpu.alu_op::<OP, W>(a, b);
    if OP != CMP && OP != TEST {
        cpu.set_dst::<W, F>(bus, op, r)?;
    }
    cpu.set_lazy(kind, W, a, b, r);
    Ok(())
}

pub(crate) fn incdec<B: Bus, const W: u32, const MEM: bool, const DEC: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let a = cpu.rm_rmw::<W, MEM>(bus, op)?;
    let r = if DEC {
        a.wrapping_sub(1)
    } else {
        a.wrapping_add(1)
    } & width_mask(W);
    cpu.set_rm::<W, MEM>(bus, op, r)?;
    cpu.set_lazy_incdec(DEC, W, a, r);
    Ok(())
}

pub(crate) fn neg<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let a = cpu.rm_rmw::<W, MEM>(bus, op)?;
    let r = 0u32.wrapping_sub(a) & width_mask(W);
    cpu.set_rm::<W, MEM>(bus, op, r)?;
    cpu.set_lazy(LazyOp::Sub, W, 0, a, r);
    Ok(())
}

pub(crate) fn not<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let a = cpu.rm_rmw::<W, MEM>(bus, op)?;
    cpu.set_rm::<W, MEM>(bus, op, !a & width_mask(W))
}
