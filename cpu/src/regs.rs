//! The register API for embedders and debuggers: control, debug and
//! system-table registers, and the x87/MMX/SSE register files.
//!
//! Setters take effect on the next instruction: anything derived from a
//! register (segment checks, the TLB, armed debug breakpoints) is brought up
//! to date here. Values the processor could never hold are refused with a
//! [`RegError`] instead of being stored.

use crate::bus::Bus;
use crate::cpu::{Cpu, Segment, CR0_PE, CR0_PG, CR4_PGE, CR4_PSE};
use crate::x87::softfloat::F80;

/// A register value the processor cannot hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegError {
    /// CR0 with PG but not PE, or NW but not CD (MOV CR0 would #GP).
    Cr0(u32),
    /// CR4 bits this processor does not implement.
    Cr4(u32),
    /// Reserved MXCSR bits set (LDMXCSR would #GP).
    Mxcsr(u32),
    /// A register index out of range (debug registers 0-7, x87/MMX/XMM 0-7).
    Index(usize),
}

impl std::fmt::Display for RegError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegError::Cr0(v) => write!(
                f,
                "CR0 value {v:#010x} is invalid (PG without PE or NW without CD)"
            ),
            RegError::Cr4(v) => write!(f, "CR4 value {v:#010x} sets bits this processor lacks"),
            RegError::Mxcsr(v) => write!(f, "MXCSR value {v:#010x} sets reserved bits"),
            RegError::Index(i) => write!(f, "register index {i} is out of range"),
        }
    }
}

impl std::error::Error for RegError {}

/// The x87 register file as FXSAVE and debuggers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FpuRegs {
    /// ST(0)-ST(7) in stack order, each the 80-bit register format: the
    /// 64-bit significand little-endian, then sign and exponent.
    pub st: [[u8; 10]; 8],
    /// Control word (FCW).
    pub control: u16,
    /// Status word (FSW) including TOP.
    pub status: u16,
    /// Full tag word (two bits per physical register, 11 = empty). Only
    /// "empty" versus "not empty" is stored; the other tags follow from the
    /// register contents, as on the hardware.
    pub tag: u16,
    /// Last instruction's offset (FIP) and code selector (FCS).
    pub fip: u32,
    pub fcs: u16,
    /// Last memory operand's offset (FDP) and data selector (FDS).
    pub fdp: u32,
    pub fds: u16,
    /// Last opcode (FOP, 11 bits).
    pub fop: u16,
}

/// Converts an x87 register to its 10-byte memory image.
pub(crate) fn f80_bytes(v: F80) -> [u8; 10] {
    let mut b = [0u8; 10];
    b[..8].copy_from_slice(&v.sig.to_le_bytes());
    b[8..].copy_from_slice(&v.se.to_le_bytes());
    b
}

pub(crate) fn f80_from(b: &[u8; 10]) -> F80 {
    let mut sig = [0u8; 8];
    sig.copy_from_slice(&b[..8]);
    F80 {
        sig: u64::from_le_bytes(sig),
        se: u16::from_le_bytes([b[8], b[9]]),
    }
}

impl<B: Bus> Cpu<B> {
    /// Sets CR0 as MOV CR0 would (ET reads as 1), refusing the
    /// combinations that make MOV CR0 fault.
    pub fn write_cr0(&mut self, value: u32) -> Result<(), RegError> {
        self.set_cr0(value).map_err(|_| RegError::Cr0(value))
    }

    pub fn set_cr2(&mut self, value: u32) {
        self.cr2 = value;
    }

    /// Sets CR3 (the page directory base); the whole TLB is dropped.
    pub fn set_cr3(&mut self, value: u32) {
        self.cr3 = value & 0xFFFF_F018;
        self.tlb.flush();
        self.stop_block = true;
    }

    /// Sets CR4, refusing bits this processor does not have.
    pub fn write_cr4(&mut self, value: u32) -> Result<(), RegError> {
        if value & !self.cr4_writable() != 0 {
            return Err(RegError::Cr4(value));
        }
        if (self.cr4 ^ value) & (CR4_PSE | CR4_PGE) != 0 {
            self.tlb.flush();
        }
        self.cr4 = value;
        self.stop_block = true;
        Ok(())
    }

    /// Debug register `n` (0-7; DR4/DR5 are their own slots here, the
    /// aliasing is MOV DRn's).
    pub fn dr(&self, n: usize) -> Result<u32, RegError> {
        self.dr.get(n).copied().ok_or(RegError::Index(n))
    }

    /// Sets debug register `n`; a DR7 change arms or disarms its
    /// breakpoints from the next instruction on.
    pub fn set_dr(&mut self, n: usize, value: u32) -> Result<(), RegError> {
        let slot = self.dr.get_mut(n).ok_or(RegError::Index(n))?;
        *slot = value;
        if n == 7 {
            self.dr[7] = (value & !0xD800) | 0x400;
            self.dr7_changed();
        }
        self.stop_block = true;
        Ok(())
    }

    /// GDTR as (base, limit).
    pub fn set_gdtr(&mut self, base: u32, limit: u16) {
        self.gdtr = (base, limit);
    }

    /// IDTR as (base, limit).
    pub fn set_idtr(&mut self, base: u32, limit: u16) {
        self.idtr = (base, limit);
    }

    /// LDTR with its descriptor cache.
    pub fn ldtr(&self) -> Segment {
        self.ldtr
    }

    pub fn set_ldtr(&mut self, seg: Segment) {
        self.ldtr = seg;
    }

    /// The task register with its descriptor cache.
    pub fn tr(&self) -> Segment {
        self.tr
    }

    pub fn set_tr(&mut self, seg: Segment) {
        self.tr = seg;
    }

    /// Whether paging is on (CR0.PG with CR0.PE).
    pub fn paging(&self) -> bool {
        self.cr0 & (CR0_PG | CR0_PE) == CR0_PG | CR0_PE
    }

    /// The x87 registers.
    pub fn fpu_regs(&self) -> FpuRegs {
        let f = &self.fpu;
        let mut st = [[0u8; 10]; 8];
        for (i, s) in st.iter_mut().enumerate() {
            *s = f80_bytes(f.st(i as u8));
        }
        FpuRegs {
            st,
            control: f.cw,
            status: f.status(),
            tag: f.tag_word(),
            fip: f.fip,
            fcs: f.fcs,
            fdp: f.fdp,
            fds: f.fds,
            fop: f.fop,
        }
    }

    /// Replaces the x87 registers (as FRSTOR would: reserved control-word
    /// bits read back fixed, ES/B follow the flags and masks).
    pub fn set_fpu_regs(&mut self, r: &FpuRegs) {
        let f = &mut self.fpu;
        f.set_status(r.status);
        f.set_cw(r.control);
        for (i, s) in r.st.iter().enumerate() {
            let p = f.phys(i as u8);
            f.regs[p] = f80_from(s);
        }
        f.set_tag_word(r.tag);
        f.fip = r.fip;
        f.fcs = r.fcs;
        f.fdp = r.fdp;
        f.fds = r.fds;
        f.fop = r.fop & 0x7FF;
    }

    /// MMX register `i`: the significand of x87 physical register `i`.
    pub fn read_mmx(&self, i: usize) -> Result<u64, RegError> {
        self.fpu
            .regs
            .get(i)
            .map(|r| r.sig)
            .ok_or(RegError::Index(i))
    }

    /// Sets MMX register `i` as an MMX instruction writes it (sign and
    /// exponent become FFFFh); TOP and tags are left alone.
    pub fn write_mmx(&mut self, i: usize, value: u64) -> Result<(), RegError> {
        let r = self.fpu.regs.get_mut(i).ok_or(RegError::Index(i))?;
        *r = F80 {
            sig: value,
            se: 0xFFFF,
        };
        Ok(())
    }

    pub fn read_xmm(&self, i: usize) -> Result<u128, RegError> {
        self.fpu.sse.xmm.get(i).copied().ok_or(RegError::Index(i))
    }

    pub fn write_xmm(&mut self, i: usize, value: u128) -> Result<(), RegError> {
        let r = self.fpu.sse.xmm.get_mut(i).ok_or(RegError::Index(i))?;
        *r = value;
        Ok(())
    }

    pub fn read_mxcsr(&self) -> u32 {
        self.fpu.sse.mxcsr
    }

    /// Sets MXCSR, refusing reserved bits as LDMXCSR does.
    pub fn write_mxcsr(&mut self, value: u32) -> Result<(), RegError> {
        if value & !crate::simd::MXCSR_MASK != 0 {
            return Err(RegError::Mxcsr(value));
        }
        self.fpu.sse.mxcsr = value;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::x87::tests::Ram as NullBus;

    #[test]
    fn fpu_registers_round_trip_in_stack_order() {
        let mut cpu: Cpu<NullBus> = Cpu::new(crate::CpuModel::I486);
        let mut r = cpu.fpu_regs();
        // Power-on: control 0040h, every register +0 and tagged zero.
        assert_eq!(r.control, 0x0040);
        assert_eq!(r.tag, 0x5555);
        // 1.0 = significand 8000000000000000h, exponent 3FFFh.
        let one = [0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0x3F];
        r.st[0] = one;
        r.status = 3 << 11; // TOP = 3: ST(0) is physical register 3.
        r.tag = 0xFF3F; // only R3 in use
        r.control = 0x037F;
        r.fop = 0xFFFF;
        cpu.set_fpu_regs(&r);
        let back = cpu.fpu_regs();
        assert_eq!(back.st[0], one);
        assert_eq!(back.status, 3 << 11);
        // R3 holds a normal value (tag 00), the rest are empty (11).
        assert_eq!(back.tag, 0xFF3F);
        assert_eq!(back.control, 0x037F);
        assert_eq!(back.fop, 0x7FF);
        assert_eq!(cpu.fpu.regs[3].se, 0x3FFF);
    }

    #[test]
    fn mmx_xmm_mxcsr_and_control_registers() {
        let mut cpu: Cpu<NullBus> = Cpu::new(crate::CpuModel::I486);
        cpu.write_mmx(2, 0x0123_4567_89AB_CDEF).unwrap();
        assert_eq!(cpu.read_mmx(2), Ok(0x0123_4567_89AB_CDEF));
        assert_eq!(cpu.fpu.regs[2].se, 0xFFFF);
        assert_eq!(cpu.write_mmx(8, 0), Err(RegError::Index(8)));
        cpu.write_xmm(7, u128::MAX - 1).unwrap();
        assert_eq!(cpu.read_xmm(7), Ok(u128::MAX - 1));
        assert_eq!(cpu.read_xmm(8), Err(RegError::Index(8)));
        assert_eq!(cpu.read_mxcsr(), 0x1F80);
        assert_eq!(cpu.write_mxcsr(0x1_0000), Err(RegError::Mxcsr(0x1_0000)));
        cpu.write_mxcsr(0x7FC0).unwrap();
        assert_eq!(cpu.read_mxcsr(), 0x7FC0);
        // PG without PE is refused and changes nothing.
        let cr0 = cpu.cr0();
        assert_eq!(cpu.write_cr0(0x8000_0000), Err(RegError::Cr0(0x8000_0000)));
        assert_eq!(cpu.cr0(), cr0);
        cpu.write_cr0(0x8000_0001).unwrap();
        assert!(cpu.paging());
        assert_eq!(cpu.cr0(), 0x8000_0011);
        assert_eq!(cpu.write_cr4(1 << 20), Err(RegError::Cr4(1 << 20)));
        cpu.write_cr4(1 << 4).unwrap();
        assert_eq!(cpu.cr4(), 1 << 4);
        cpu.set_cr3(0x1234_5FFF);
        assert_eq!(cpu.cr3(), 0x1234_5018);
        cpu.set_dr(0, 0x1000).unwrap();
        cpu.set_dr(7, 0x0000_0001).unwrap();
        assert_eq!(cpu.dr(7), Ok(0x401));
        assert!(cpu.dbg_exec);
        assert_eq!(cpu.dr(8), Err(RegError::Index(8)));
    }
}
