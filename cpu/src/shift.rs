//! ROL, ROR, RCL, RCR, SHL/SAL, SHR, SAR, SHLD, SHRD. Counts are masked to
//! five bits as on every processor since the 80186; a masked count of zero
//! changes nothing, not even the flags.

use crate::bus::Bus;
use crate::cpu::Cpu;
use crate::fault::Result;
use crate::flags::{sign_bit, width_mask, FLAG_AF, FLAG_CF, FLAG_OF};
use crate::op::Op;

pub(crate) const ROL: u8 = 0;
pub(crate) const ROR: u8 = 1;
pub(crate) const RCL: u8 = 2;
pub(crate) const RCR: u8 = 3;
pub(crate) const SHL: u8 = 4;
pub(crate) const SHR: u8 = 5;
pub(crate) const SAR: u8 = 7;

/// Where the count comes from.
pub(crate) const BY_ONE: u8 = 0;
pub(crate) const BY_CL: u8 = 1;
pub(crate) const BY_IMM: u8 = 2;

impl<B: Bus> Cpu<B> {
    #[inline(always)]
    fn shift_count<const C: u8>(&self, op: &Op<B>) -> u32 {
        match C {
            BY_ONE => 1,
            BY_CL => self.regs[1] & 0x1F,
            _ => op.imm & 0x1F,
        }
    }

    /// Sets CF and OF only (rotates).
    #[inline(always)]
    fn set_cf_of(&mut self, cf: bool, of: bool) {
        self.materialize_flags();
        self.eflags =
            (self.eflags & !(FLAG_CF | FLAG_OF)) | (cf as u32 * FLAG_CF) | (of as u32 * FLAG_OF);
    }

    /// Sets CF, OF, SF, ZF, PF from a shift; AF is cleared.
    #[inline(always)]
    fn set_shift_flags<const W: u32>(&mut self, res: u32, cf: bool, of: bool) {
        self.set_szp(W, res);
        self.eflags = (self.eflags & !(FLAG_CF | FLAG_OF | FLAG_AF))
            | (cf as u32 * FLAG_CF)
            | (of as u32 * FLAG_OF);
    }
}

pub(crate) fn shift<B: Bus, const K: u8, const W: u32, const MEM: bool, const C: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let count = cpu.shift_count::<C>(op);
    let v = cpu.rm_rmw::<W, MEM>(bus, op)?;
    if count == 0 {
        return Ok(());
    }
    let m = width_mask(W);
    let sb = sign_bit(W);
    match K {
        ROL | ROR => {
            let c = count % W;
            let r = match (K, c) {
                (_, 0) => v,
                (ROL, _) => ((v << c) | (v >> (W - c))) & m,
                _ => ((v >> c) | (v << (W - c))) & m,
            };
            cpu.set_rm::<W, MEM>(bus, op, r)?;
            if K == ROL {
                let cf = r & 1 != 0;
                cpu.set_cf_of(cf, (r & sb != 0) != cf);
            } else {
                cpu.set_cf_of(r & sb != 0, (r ^ (r << 1)) & sb != 0);
            }
        }
        RCL | RCR => {
            let c = count % (W + 1);
            let cf_in = cpu.cf();
            let wide_mask = (1u64 << (W + 1)) - 1;
            let x = v as u64 | (cf_in as u64) << W;
            let x = match (K, c) {
                (_, 0) => x,
                (RCL, _) => ((x << c) | (x >> (W + 1 - c))) & wide_mask,
                _ => ((x >> c) | (x << (W + 1 - c))) & wide_mask,
            };
            let r = x as u32 & m;
            let cf = (x >> W) & 1 != 0;
            cpu.set_rm::<W, MEM>(bus, op, r)?;
            if K == RCL {
                cpu.set_cf_of(cf, (r & sb != 0) != cf);
            } else {
                cpu.set_cf_of(cf, (r ^ (r << 1)) & sb != 0);
            }
        }
        SHR => {
            let r = v >> count;
            let cf = (v >> (count - 1)) & 1 != 0;
            cpu.set_rm::<W, MEM>(bus, op, r)?;
            // OF is defined for a count of 1 (the operand's old sign bit);
            // for other counts it is taken from the last one-bit step, as a
            // 286 and later cores record it: the sign of v >> (count - 1).
            cpu.set_shift_flags::<W>(r, cf, (v >> (count - 1)) & sb != 0);
        }
        SAR => {
            let sv = if W == 8 {
                v as u8 as i8 as i32
            } else if W == 16 {
                v as u16 as i16 as i32
            } else {
                v as i32
            };
            let r = (sv >> count.min(31)) as u32 & m;
            let cf = (sv >> (count - 1).min(31)) & 1 != 0;
            cpu.set_rm::<W, MEM>(bus, op, r)?;
            cpu.set_shift_flags::<W>(r, cf, false);
        }
        _ => {
            // SHL and its alias SAL (/6).
            let r = (v << count) & m;
            let cf = count <= W && (v >> (W - count)) & 1 != 0;
            cpu.set_rm::<W, MEM>(bus, op, r)?;
            cpu.set_shift_flags::<W>(r, cf, (r & sb != 0) != cf);
        }
    }
    Ok(())
}

/// SHLD (LEFT) / SHRD: operand 0 is r/m, the source register is `r1`.
pub(crate) fn shxd<B: Bus, const LEFT: bool, const W: u32, const MEM: bool, const C: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let count = cpu.shift_count::<C>(op);
    let d = cpu.rm_rmw::<W, MEM>(bus, op)?;
    if count == 0 {
        return Ok(());
    }
    let s = cpu.reg_get::<W>(op.r1);
    let sb = sign_bit(W);
    let (r, cf) = if W == 32 {
        if LEFT {
            let x = (d as u64) << 32 | s as u64;
            ((x << count >> 32) as u32, (d >> (32 - count)) & 1 != 0)
        } else {
            let x = (s as u64) << 32 | d as u64;
            ((x >> count) as u32, (d >> (count - 1)) & 1 != 0)
        }
    } else if LEFT {
        // Counts above 16 shift through d:s:d, as P6-family cores do.
        let x = (d as u64) << 32 | (s as u64) << 16 | d as u64;
        (
            (x << count >> 32) as u32 & 0xFFFF,
            (x << (count - 1)) >> 47 & 1 != 0,
        )
    } else {
        let x = (d as u64) << 32 | (s as u64) << 16 | d as u64;
        ((x >> count) as u32 & 0xFFFF, (x >> (count - 1)) & 1 != 0)
    };
    cpu.set_rm::<W, MEM>(bus, op, r)?;
    cpu.set_shift_flags::<W>(r, cf, (r ^ d) & sb != 0);
    Ok(())
}
