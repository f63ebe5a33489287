//! Segment loads, flag loads, CPUID, RDTSC, control registers, descriptor
//! table registers and the flag-bit instructions.

use crate::bus::Bus;
use crate::cpu::{Cpu, CR0_EM, CR0_ET, CR0_PE};
use crate::fault::{Exception, Fault, Result};
use crate::flags::*;
use crate::op::Op;

/// EFLAGS bits software can ever set on this model.
pub(crate) const EFLAGS_WRITABLE: u32 = FLAG_CF
    | FLAG_PF
    | FLAG_AF
    | FLAG_ZF
    | FLAG_SF
    | FLAG_TF
    | FLAG_IF
    | FLAG_DF
    | FLAG_OF
    | FLAG_IOPL
    | FLAG_NT
    | FLAG_RF
    | FLAG_VM
    | FLAG_AC
    | FLAG_ID;

/// CPUID vendor string, EBX-EDX-ECX order: "OxboxVirtCPU".
const VENDOR: &[u8; 12] = b"OxboxVirtCPU";

impl<B: Bus> Cpu<B> {
    pub(crate) fn iopl(&self) -> u8 {
        ((self.eflags & FLAG_IOPL) >> 12) as u8
    }

    /// POPF/IRET flag load (real mode: every flag but VM is writable).
    pub(crate) fn load_flags<const W: u32>(&mut self, v: u32) {
        let mut mask = EFLAGS_WRITABLE & !(FLAG_VM | FLAG_RF);
        if W == 16 {
            mask &= 0xFFFF;
        }
        self.write_flags(v, mask);
        self.eflags &= !FLAG_RF;
    }
}

pub(crate) fn ud<B: Bus>(_cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    log::trace!("#UD: {:?}", op.code);
    Err(Fault::UD)
}

pub(crate) fn nop<B: Bus>(_cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    Ok(())
}

/// An x87 escape with no FPU: #NM when CR0.EM says to emulate, else the
/// instruction is ignored (the memory operand is not touched).
pub(crate) fn esc_nofpu<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    if cpu.cr0 & CR0_EM != 0 {
        return Err(Fault::new(Exception::DeviceNotAvailable));
    }
    Ok(())
}

pub(crate) const CLC: u8 = 0;
pub(crate) const STC: u8 = 1;
pub(crate) const CMC: u8 = 2;
pub(crate) const CLD: u8 = 3;
pub(crate) const STD: u8 = 4;
pub(crate) const CLI: u8 = 5;
pub(crate) const STI: u8 = 6;

pub(crate) fn flag_op<B: Bus, const K: u8>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    match K {
        CLC => cpu.set_flag(FLAG_CF, false),
        STC => cpu.set_flag(FLAG_CF, true),
        CMC => {
            let c = cpu.cf();
            cpu.set_flag(FLAG_CF, !c)
        }
        CLD => cpu.eflags &= !FLAG_DF,
        STD => cpu.eflags |= FLAG_DF,
        CLI => {
            if cpu.protected() && cpu.cpl > cpu.iopl() {
                return Err(Fault::GP0);
            }
            cpu.eflags &= !FLAG_IF
        }
        _ => {
            if cpu.protected() && cpu.cpl > cpu.iopl() {
                return Err(Fault::GP0);
            }
            if cpu.eflags & FLAG_IF == 0 {
                cpu.eflags |= FLAG_IF;
                cpu.irq_shadow = cpu.icount;
            }
            cpu.stop_block = true;
        }
    }
    Ok(())
}

pub(crate) fn cpuid<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    let word = |i: usize| u32::from_le_bytes([VENDOR[i], VENDOR[i + 1], VENDOR[i + 2], VENDOR[i + 3]]);
    let (a, b, c, d) = match cpu.regs[0] {
        0 => (1, word(0), word(8), word(4)),
        // Family 4 (486-class), model 8, stepping 0. Features: TSC only;
        // no FPU until the x87 lands.
        1 => (0x0000_0480, 0, 0, 1 << 4),
        _ => (0, 0, 0, 0),
    };
    cpu.regs[0] = a;
    cpu.regs[3] = b;
    cpu.regs[1] = c;
    cpu.regs[2] = d;
    Ok(())
}

/// The time-stamp counter runs at one tick per retired instruction.
pub(crate) fn rdtsc<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    let t = cpu.icount.wrapping_add(cpu.tsc_offset);
    cpu.regs[0] = t as u32;
    cpu.regs[2] = (t >> 32) as u32;
    Ok(())
}

fn require_cpl0<B: Bus>(cpu: &Cpu<B>) -> Result<()> {
    if cpu.cpl != 0 {
        return Err(Fault::GP0);
    }
    Ok(())
}

/// LGDT/LIDT: a 16-bit operand size loads 24 bits of base.
pub(crate) fn lgdt_lidt<B: Bus, const W: u32, const IDT: bool>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    require_cpl0(cpu)?;
    let off = cpu.ea(op);
    let limit = cpu.read::<16>(bus, op.seg, off)? as u16;
    let mut base = cpu.read::<32>(bus, op.seg, off.wrapping_add(2) & op.amask)?;
    if W == 16 {
        base &= 0x00FF_FFFF;
    }
    if IDT {
        cpu.idtr = (base, limit);
    } else {
        cpu.gdtr = (base, limit);
    }
    Ok(())
}

pub(crate) fn sgdt_sidt<B: Bus, const W: u32, const IDT: bool>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    let (base, limit) = if IDT { cpu.idtr } else { cpu.gdtr };
    let off = cpu.ea(op);
    // Check both parts before writing either.
    cpu.linear::<16>(op.seg, off)?;
    cpu.linear::<32>(op.seg, off.wrapping_add(2) & op.amask)?;
    cpu.write::<16>(bus, op.seg, off, limit as u32)?;
    // A 16-bit store still writes 4 bytes; the 386+ stores the full base.
    cpu.write::<32>(bus, op.seg, off.wrapping_add(2) & op.amask, base)
}

pub(crate) fn smsw<B: Bus, const W: u32, const MEM: bool>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    if MEM {
        cpu.write_ea::<16>(bus, op, cpu.cr0 & 0xFFFF)
    } else {
        cpu.reg_set::<W>(op.r0, cpu.cr0);
        Ok(())
    }
}

/// LMSW: sets PE (never clears it), MP, EM, TS.
pub(crate) fn lmsw<B: Bus, const MEM: bool>(cpu: &mut Cpu<B>, bus: &mut B, op: &Op<B>) -> Result<()> {
    require_cpl0(cpu)?;
    let v = cpu.rm::<16, MEM>(bus, op)?;
    let keep_pe = cpu.cr0 & CR0_PE;
    let cr0 = (cpu.cr0 & !0xF) | (v & 0xF) | keep_pe;
    cpu.set_cr0(cr0)
}

pub(crate) fn clts<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    require_cpl0(cpu)?;
    cpu.cr0 &= !(1 << 3);
    Ok(())
}

impl<B: Bus> Cpu<B> {
    pub(crate) fn set_cr0(&mut self, v: u32) -> Result<()> {
        // PG without PE is invalid; reserved bits are ignored.
        if v & (1 << 31) != 0 && v & CR0_PE == 0 {
            return Err(Fault::GP0);
        }
        let old = self.cr0;
        self.cr0 = v | CR0_ET;
        if (old ^ self.cr0) & 0x8000_0001 != 0 {
            self.tlb.flush();
        }
        self.stop_block = true;
        Ok(())
    }
}

/// MOV r32, CRn (aux = n).
pub(crate) fn mov_r_cr<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    require_cpl0(cpu)?;
    let v = match op.aux {
        0 => cpu.cr0,
        2 => cpu.cr2,
        3 => cpu.cr3,
        4 => cpu.cr4,
        _ => return Err(Fault::UD),
    };
    cpu.regs[op.r0 as usize & 7] = v;
    Ok(())
}

/// MOV CRn, r32 (aux = n).
pub(crate) fn mov_cr_r<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    require_cpl0(cpu)?;
    let v = cpu.regs[op.r1 as usize & 7];
    match op.aux {
        0 => cpu.set_cr0(v)?,
        2 => cpu.cr2 = v,
        3 => {
            cpu.cr3 = v & 0xFFFF_F018;
            cpu.tlb.flush();
        }
        4 => {
            // No CR4 features are implemented on this model yet.
            if v != 0 {
                return Err(Fault::GP0);
            }
            cpu.cr4 = v;
        }
        _ => return Err(Fault::UD),
    }
    cpu.stop_block = true;
    Ok(())
}

/// MOV r32, DRn (aux = n).
pub(crate) fn mov_r_dr<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    require_cpl0(cpu)?;
    let n = match op.aux {
        4 => 6,
        5 => 7,
        n => n,
    };
    cpu.regs[op.r0 as usize & 7] = cpu.dr[n as usize & 7];
    Ok(())
}

pub(crate) fn mov_dr_r<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    require_cpl0(cpu)?;
    let n = match op.aux {
        4 => 6,
        5 => 7,
        n => n,
    };
    cpu.dr[n as usize & 7] = cpu.regs[op.r1 as usize & 7];
    Ok(())
}

/// INVD/WBINVD/INVLPG: no caches are modelled; INVLPG drops the TLB.
pub(crate) fn cache_op<B: Bus, const TLB: bool>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    require_cpl0(cpu)?;
    if TLB {
        cpu.tlb.flush();
    }
    Ok(())
}
