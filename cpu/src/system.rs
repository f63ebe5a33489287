//! Segment loads, flag loads, CPUID, RDTSC, control registers, descriptor
//! table registers and the flag-bit instructions.

use crate::bus::Bus;
use crate::cpu::*;
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

pub(crate) const CLC: u8 = 0;
pub(crate) const STC: u8 = 1;
pub(crate) const CMC: u8 = 2;
pub(crate) const CLD: u8 = 3;
pub(crate) const STD: u8 = 4;
pub(crate) const CLI: u8 = 5;
pub(crate) const STI: u8 = 6;

pub(crate) fn flag_op<B: Bus, const K: u8>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    _op: &Op<B>,
) -> Result<()> {
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

/// CPUID.1:EDX bits for what this model implements, and nothing more.
pub(crate) const CPUID_PSE: u32 = 1 << 3;
pub(crate) const CPUID_TSC: u32 = 1 << 4;
pub(crate) const CPUID_MSR: u32 = 1 << 5;
pub(crate) const CPUID_CX8: u32 = 1 << 8;
pub(crate) const CPUID_SEP: u32 = 1 << 11;
pub(crate) const CPUID_MTRR: u32 = 1 << 12;
pub(crate) const CPUID_PGE: u32 = 1 << 13;
pub(crate) const CPUID_CMOV: u32 = 1 << 15;
const FEATURES: u32 =
    CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_CX8 | CPUID_SEP | CPUID_MTRR | CPUID_PGE | CPUID_CMOV;

pub(crate) fn cpuid<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, _op: &Op<B>) -> Result<()> {
    let word =
        |i: usize| u32::from_le_bytes([VENDOR[i], VENDOR[i + 1], VENDOR[i + 2], VENDOR[i + 3]]);
    let (a, b, c, d) = match cpu.regs[0] {
        0 => (1, word(0), word(8), word(4)),
        // Family 6, model 3, stepping 3: a P6-class core. EBX[15:8]: the
        // CLFLUSH line size in qwords (64 bytes).
        1 => (0x0000_0633, 0x0000_0800, 0, FEATURES | cpu.fpu_cpuid_bits()),
        _ => (0, 0, 0, 0),
    };
    let (a, b, c, d) = if cpu.has_hooks() {
        let mut r = crate::hooks::CpuidResult {
            eax: a,
            ebx: b,
            ecx: c,
            edx: d,
        };
        cpu.hook_cpuid(bus, cpu.regs[0], cpu.regs[1], &mut r);
        (r.eax, r.ebx, r.ecx, r.edx)
    } else {
        (a, b, c, d)
    };
    cpu.regs[0] = a;
    cpu.regs[3] = b;
    cpu.regs[1] = c;
    cpu.regs[2] = d;
    Ok(())
}

/// The time-stamp counter runs at one tick per retired instruction.
pub(crate) fn rdtsc<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    if cpu.cr4 & CR4_TSD != 0 && cpu.cpl != 0 && cpu.protected() {
        return Err(Fault::GP0);
    }
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
pub(crate) fn lgdt_lidt<B: Bus, const W: u32, const IDT: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
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

pub(crate) fn sgdt_sidt<B: Bus, const W: u32, const IDT: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let (base, limit) = if IDT { cpu.idtr } else { cpu.gdtr };
    let off = cpu.ea(op);
    // Check both parts before writing either.
    cpu.linear::<16>(op.seg, off)?;
    cpu.linear::<32>(op.seg, off.wrapping_add(2) & op.amask)?;
    cpu.write::<16>(bus, op.seg, off, limit as u32)?;
    // A 16-bit store still writes 4 bytes; the 386+ stores the full base.
    cpu.write::<32>(bus, op.seg, off.wrapping_add(2) & op.amask, base)
}

pub(crate) fn smsw<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    if MEM {
        cpu.write_ea::<16>(bus, op, cpu.cr0 & 0xFFFF)
    } else {
        cpu.reg_set::<W>(op.r0, cpu.cr0);
        Ok(())
    }
}

/// LMSW: sets PE (never clears it), MP, EM, TS.
pub(crate) fn lmsw<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
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
        // PG without PE, or NW without CD, is invalid.
        if (v & CR0_PG != 0 && v & CR0_PE == 0) || (v & CR0_NW != 0 && v & CR0_CD == 0) {
            return Err(Fault::GP0);
        }
        let old = self.cr0;
        self.cr0 = (v & CR0_WRITABLE) | CR0_ET;
        if (old ^ self.cr0) & (CR0_PG | CR0_PE | CR0_WP) != 0 {
            self.tlb.flush();
        }
        if (old ^ self.cr0) & CR0_PE != 0 {
            if self.cr0 & CR0_PE == 0 {
                self.set_cpl(0);
            }
            self.refresh_segs();
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
            cpu.tlb.flush_nonglobal();
        }
        4 => {
            if v & !cpu.cr4_writable() != 0 {
                return Err(Fault::GP0);
            }
            if (cpu.cr4 ^ v) & (CR4_PSE | CR4_PGE) != 0 {
                cpu.tlb.flush();
            }
            cpu.cr4 = v;
        }
        _ => return Err(Fault::UD),
    }
    cpu.stop_block = true;
    Ok(())
}

/// MOV r32, DRn (aux = n).
/// The debug register a MOV DRn names: DR4/DR5 alias DR6/DR7 unless
/// CR4.DE makes them #UD; DR7.GD turns any access into a #DB fault.
fn dr_index<B: Bus>(cpu: &mut Cpu<B>, n: u8) -> Result<usize> {
    require_cpl0(cpu)?;
    if cpu.dr[7] & crate::debug::DR7_GD != 0 {
        cpu.dr[7] &= !crate::debug::DR7_GD;
        cpu.dr[6] |= crate::debug::DR6_BD;
        return Err(Fault::new(Exception::Debug));
    }
    Ok(match n {
        4 | 5 if cpu.cr4 & CR4_DE != 0 => return Err(Fault::UD),
        4 => 6,
        5 => 7,
        n => n as usize & 7,
    })
}

pub(crate) fn mov_r_dr<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    let n = dr_index(cpu, op.aux)?;
    cpu.regs[op.r0 as usize & 7] = cpu.dr[n];
    Ok(())
}

pub(crate) fn mov_dr_r<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, op: &Op<B>) -> Result<()> {
    let n = dr_index(cpu, op.aux)?;
    let v = cpu.regs[op.r1 as usize & 7];
    cpu.dr[n] = match n {
        // Reserved bits read as fixed values.
        6 => (v & 0x0000_E00F) | 0xFFFF_0FF0,
        7 => (v & 0xFFFF_2BFF) | 0x400,
        _ => v,
    };
    if n == 7 {
        cpu.dr7_changed();
    }
    cpu.stop_block = true;
    Ok(())
}

/// INVD/WBINVD/INVLPG: no caches are modelled; INVLPG drops the TLB
/// entries of one linear page.
pub(crate) fn cache_op<B: Bus, const TLB: bool>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    require_cpl0(cpu)?;
    if TLB {
        let lin = cpu.seg[op.seg as usize % 6].base.wrapping_add(cpu.ea(op));
        if cpu.cr4 & CR4_PSE != 0 {
            // The page may be a 4 MiB one, cached as many 4 KiB entries.
            cpu.tlb.flush();
        } else {
            cpu.tlb.flush_page(lin);
        }
    }
    Ok(())
}

const CR0_WRITABLE: u32 =
    CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG;

impl<B: Bus> Cpu<B> {
    pub(crate) fn cr4_writable(&self) -> u32 {
        CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE | self.fpu_cr4_bits()
    }

    /// CPUID feature bits contributed by the FPU/SIMD units: the x87
    /// (bit 0), CLFLUSH (19), MMX (23), FXSAVE/FXRSTOR (24), SSE (25),
    /// SSE2 (26).
    pub(crate) fn fpu_cpuid_bits(&self) -> u32 {
        (1 << 0) | (1 << 19) | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26)
    }

    /// CR4.OSFXSR and CR4.OSXMMEXCPT go with FXSR and SSE.
    pub(crate) fn fpu_cr4_bits(&self) -> u32 {
        crate::cpu::CR4_OSFXSR | crate::simd::CR4_OSXMMEXCPT
    }
}

/// MSR numbers this model implements.
const MSR_TSC: u32 = 0x10;
const MSR_BIOS_SIGN_ID: u32 = 0x8B;
const MSR_MTRRCAP: u32 = 0xFE;
const MSR_SYSENTER_CS: u32 = 0x174;
const MSR_SYSENTER_ESP: u32 = 0x175;
const MSR_SYSENTER_EIP: u32 = 0x176;
const MSR_MTRR_PHYS: u32 = 0x200;
const MSR_MTRR_FIX64K: u32 = 0x250;
const MSR_MTRR_FIX16K: u32 = 0x258;
const MSR_MTRR_FIX4K: u32 = 0x268;
const MSR_MTRR_DEF_TYPE: u32 = 0x2FF;
/// MTRRcap: 8 variable ranges, fixed ranges supported, no write-combining.
const MTRRCAP: u64 = 0x108;

impl<B: Bus> Cpu<B> {
    fn mtrr_fixed_index(msr: u32) -> Option<usize> {
        match msr {
            MSR_MTRR_FIX64K => Some(0),
            MSR_MTRR_FIX16K | 0x259 => Some(1 + (msr - MSR_MTRR_FIX16K) as usize),
            MSR_MTRR_FIX4K..=0x26F => Some(3 + (msr - MSR_MTRR_FIX4K) as usize),
            _ => None,
        }
    }

    pub(crate) fn read_msr(&self, msr: u32) -> Option<u64> {
        Some(match msr {
            MSR_TSC => self.icount.wrapping_add(self.tsc_offset),
            MSR_BIOS_SIGN_ID => 0,
            MSR_MTRRCAP => MTRRCAP,
            MSR_SYSENTER_CS => self.msr.sysenter_cs as u64,
            MSR_SYSENTER_ESP => self.msr.sysenter_esp as u64,
            MSR_SYSENTER_EIP => self.msr.sysenter_eip as u64,
            MSR_MTRR_PHYS..=0x20F => self.msr.mtrr_var[(msr - MSR_MTRR_PHYS) as usize],
            MSR_MTRR_DEF_TYPE => self.msr.mtrr_def_type,
            _ => self.msr.mtrr_fixed[Self::mtrr_fixed_index(msr)?],
        })
    }

    pub(crate) fn write_msr(&mut self, msr: u32, v: u64) -> bool {
        match msr {
            MSR_TSC => self.tsc_offset = v.wrapping_sub(self.icount),
            MSR_BIOS_SIGN_ID => {}
            MSR_SYSENTER_CS => self.msr.sysenter_cs = v as u32,
            MSR_SYSENTER_ESP => self.msr.sysenter_esp = v as u32,
            MSR_SYSENTER_EIP => self.msr.sysenter_eip = v as u32,
            // Physical addresses are 36 bits wide: higher bits are reserved.
            MSR_MTRR_PHYS..=0x20F => {
                if v >> 36 != 0 {
                    return false;
                }
                self.msr.mtrr_var[(msr - MSR_MTRR_PHYS) as usize] = v
            }
            MSR_MTRR_DEF_TYPE => {
                if v & !0xCFF != 0 {
                    return false;
                }
                self.msr.mtrr_def_type = v
            }
            _ => match Self::mtrr_fixed_index(msr) {
                Some(i) => self.msr.mtrr_fixed[i] = v,
                None => return false,
            },
        }
        true
    }
}

pub(crate) fn rdmsr<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, _op: &Op<B>) -> Result<()> {
    require_cpl0(cpu)?;
    let mut v = cpu.read_msr(cpu.regs[1]);
    if cpu.has_hooks() {
        cpu.hook_rdmsr(bus, cpu.regs[1], &mut v);
    }
    let v = v.ok_or(Fault::GP0)?;
    cpu.regs[0] = v as u32;
    cpu.regs[2] = (v >> 32) as u32;
    Ok(())
}

pub(crate) fn wrmsr<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, _op: &Op<B>) -> Result<()> {
    require_cpl0(cpu)?;
    let v = (cpu.regs[2] as u64) << 32 | cpu.regs[0] as u64;
    if cpu.has_hooks() {
        match cpu.hook_wrmsr(bus, cpu.regs[1], v) {
            crate::hooks::MsrWrite::Default => {}
            crate::hooks::MsrWrite::Accept => return Ok(()),
            crate::hooks::MsrWrite::Fault => return Err(Fault::GP0),
        }
    }
    if !cpu.write_msr(cpu.regs[1], v) {
        return Err(Fault::GP0);
    }
    Ok(())
}

/// Flat 4 GiB segments that SYSENTER/SYSEXIT load without reading the GDT.
fn flat(selector: u16, code: bool, dpl: u16) -> Segment {
    let typ = if code { 0x1B } else { 0x13 };
    Segment {
        selector,
        base: 0,
        limit: u32::MAX,
        attr: 0xC080 | (dpl << 5) | typ,
    }
}

pub(crate) fn sysenter<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    let cs = cpu.msr.sysenter_cs as u16 & !3;
    if !cpu.protected() || cs == 0 {
        return Err(Fault::GP0);
    }
    cpu.materialize_flags();
    cpu.eflags &= !(FLAG_VM | FLAG_IF | FLAG_RF);
    cpu.set_cpl(0);
    cpu.set_seg(SegReg::Cs as u8, flat(cs, true, 0));
    cpu.set_seg(SegReg::Ss as u8, flat(cs.wrapping_add(8), false, 0));
    cpu.refresh_segs();
    cpu.regs[4] = cpu.msr.sysenter_esp;
    cpu.eip = cpu.msr.sysenter_eip;
    cpu.stop_block = true;
    Ok(())
}

pub(crate) fn sysexit<B: Bus>(cpu: &mut Cpu<B>, _bus: &mut B, _op: &Op<B>) -> Result<()> {
    let cs = cpu.msr.sysenter_cs as u16 & !3;
    if !cpu.protected() || cpu.v86() || cpu.cpl != 0 || cs == 0 {
        return Err(Fault::GP0);
    }
    cpu.set_cpl(3);
    cpu.set_seg(SegReg::Cs as u8, flat(cs.wrapping_add(16) | 3, true, 3));
    cpu.set_seg(SegReg::Ss as u8, flat(cs.wrapping_add(24) | 3, false, 3));
    cpu.regs[4] = cpu.regs[1];
    cpu.eip = cpu.regs[2];
    cpu.stop_block = true;
    Ok(())
}
