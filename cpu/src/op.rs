//! The CPU's own decoded instruction: a handler chosen at decode time plus
//! the operand fields it needs, so execution never looks at iced-x86 again.

use crate::bus::Bus;
use crate::cpu::Cpu;
use crate::fault::Result;

pub(crate) type Handler<B> = fn(&mut Cpu<B>, &mut B, &Op<B>) -> Result<()>;

/// Register index that always reads as zero (an absent EA base or index).
pub(crate) const REG_NONE: u8 = 8;

/// Operand forms for two-operand handlers: destination, then source.
pub(crate) const RR: u8 = 0;
pub(crate) const RM: u8 = 1;
pub(crate) const MR: u8 = 2;
pub(crate) const RI: u8 = 3;
pub(crate) const MI: u8 = 4;

pub(crate) struct Op<B: Bus> {
    pub exec: Handler<B>,
    /// Effective-address displacement.
    pub disp: u32,
    /// First immediate, or the branch displacement from the next instruction.
    pub imm: u32,
    /// Second immediate (ENTER nesting level, far pointer selector, ...).
    pub imm2: u32,
    /// 0xFFFF or 0xFFFF_FFFF: the address size.
    pub amask: u32,
    /// Register of operand 0 (GPR index; for 8-bit: AL..BH = 0..7).
    pub r0: u8,
    /// Register of operand 1.
    pub r1: u8,
    pub base: u8,
    pub index: u8,
    pub scale: u8,
    /// Segment of the memory operand (ES, CS, SS, DS, FS, GS = 0..5).
    pub seg: u8,
    pub len: u8,
    /// Extra per-handler byte (condition code, REP kind, ...).
    pub aux: u8,
    pub code: iced_x86::Code,
}

impl<B: Bus> Clone for Op<B> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<B: Bus> Copy for Op<B> {}
