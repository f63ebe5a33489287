//! Descriptors and segment-register loads: real-mode, virtual-8086 and
//! protected-mode rules, and LAR, LSL, VERR, VERW, ARPL, SLDT, STR, LLDT, LTR.

use crate::bus::Bus;
use crate::cpu::{Cpu, SegReg, Segment};
use crate::fault::{Exception, Fault, Result};
use crate::flags::FLAG_ZF;
use crate::op::Op;

const SS: u8 = SegReg::Ss as u8;

/// A raw 8-byte descriptor.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Desc {
    pub lo: u32,
    pub hi: u32,
}

/// System descriptor types.
pub(crate) const TSS16_AVAIL: u8 = 1;
pub(crate) const LDT: u8 = 2;
pub(crate) const TSS16_BUSY: u8 = 3;
pub(crate) const CALL_GATE16: u8 = 4;
pub(crate) const TASK_GATE: u8 = 5;
pub(crate) const INT_GATE16: u8 = 6;
pub(crate) const TRAP_GATE16: u8 = 7;
pub(crate) const TSS32_AVAIL: u8 = 9;
pub(crate) const TSS32_BUSY: u8 = 11;
pub(crate) const CALL_GATE32: u8 = 12;
pub(crate) const INT_GATE32: u8 = 14;
pub(crate) const TRAP_GATE32: u8 = 15;

impl Desc {
    pub fn base(&self) -> u32 {
        (self.lo >> 16) | ((self.hi & 0xFF) << 16) | (self.hi & 0xFF00_0000)
    }
    /// The limit in bytes (scaled by the granularity bit).
    pub fn limit(&self) -> u32 {
        let raw = (self.lo & 0xFFFF) | (self.hi & 0x000F_0000);
        if self.hi & (1 << 23) != 0 {
            (raw << 12) | 0xFFF
        } else {
            raw
        }
    }
    /// Access byte and flags nibble, as `Segment::attr` keeps them.
    pub fn attr(&self) -> u16 {
        ((self.hi >> 8) & 0xF0FF) as u16
    }
    pub fn typ(&self) -> u8 {
        ((self.hi >> 8) & 0xF) as u8
    }
    /// Code or data (S bit) as opposed to a system descriptor.
    pub fn is_segment(&self) -> bool {
        self.hi & (1 << 12) != 0
    }
    pub fn is_code(&self) -> bool {
        self.is_segment() && self.typ() & 8 != 0
    }
    pub fn is_data(&self) -> bool {
        self.is_segment() && self.typ() & 8 == 0
    }
    pub fn conforming(&self) -> bool {
        self.is_code() && self.typ() & 4 != 0
    }
    /// Readable code or writable data, per the type bit 1.
    pub fn rw(&self) -> bool {
        self.typ() & 2 != 0
    }
    pub fn dpl(&self) -> u8 {
        ((self.hi >> 13) & 3) as u8
    }
    pub fn present(&self) -> bool {
        self.hi & (1 << 15) != 0
    }
    /// Gate target selector.
    pub fn gate_selector(&self) -> u16 {
        (self.lo >> 16) as u16
    }
    /// Gate target offset (16-bit gates use only the low word).
    pub fn gate_offset(&self) -> u32 {
        let low = self.lo & 0xFFFF;
        if self.typ() & 8 != 0 {
            low | (self.hi & 0xFFFF_0000)
        } else {
            low
        }
    }
    pub fn gate_params(&self) -> u32 {
        self.hi & 0x1F
    }
    pub fn to_segment(self, selector: u16) -> Segment {
        Segment {
            selector,
            base: self.base(),
            limit: self.limit(),
            attr: self.attr(),
        }
    }
}

#[inline]
pub(crate) fn sel_fault(e: Exception, sel: u16) -> Fault {
    Fault::with_code(e, (sel & !3) as u32)
}

impl<B: Bus> Cpu<B> {
    /// Linear address of a selector's descriptor, or `None` if it lies
    /// outside its table.
    pub(crate) fn desc_addr(&self, sel: u16) -> Option<u32> {
        let (base, limit) = if sel & 4 != 0 {
            if self.ldtr.attr & 0x80 == 0 || self.ldtr.selector & !3 == 0 {
                return None;
            }
            (self.ldtr.base, self.ldtr.limit)
        } else {
            (self.gdtr.0, self.gdtr.1 as u32)
        };
        let off = (sel & !7) as u32;
        (off + 7 <= limit).then(|| base.wrapping_add(off))
    }

    /// Reads a selector's descriptor; outside its table raises `e(sel)`.
    pub(crate) fn fetch_desc(&mut self, bus: &mut B, sel: u16, e: Exception) -> Result<Desc> {
        let addr = self.desc_addr(sel).ok_or(sel_fault(e, sel))?;
        let lo = self.read_sys::<32>(bus, addr)?;
        let hi = self.read_sys::<32>(bus, addr.wrapping_add(4))?;
        Ok(Desc { lo, hi })
    }

    /// Sets the accessed bit of a code/data descriptor in memory.
    pub(crate) fn set_accessed(&mut self, bus: &mut B, sel: u16, d: &mut Desc) -> Result<()> {
        if d.is_segment() && d.hi & (1 << 8) == 0 {
            d.hi |= 1 << 8;
            if let Some(addr) = self.desc_addr(sel) {
                self.write_sys::<8>(bus, addr.wrapping_add(5), (d.hi >> 8) & 0xFF)?;
            }
        }
        Ok(())
    }

    /// MOV/POP/Lxx to a data or stack segment register.
    pub(crate) fn load_seg(&mut self, bus: &mut B, seg: u8, sel: u16) -> Result<()> {
        if !self.protected() || self.v86() {
            let mut s = self.seg[seg as usize % 6];
            s.selector = sel;
            s.base = (sel as u32) << 4;
            if self.v86() {
                s.limit = 0xFFFF;
                s.attr = 0xF3;
            }
            self.set_seg(seg, s);
            return Ok(());
        }
        let gp = Exception::GeneralProtection;
        if seg == SS {
            if sel & !3 == 0 {
                return Err(Fault::GP0);
            }
            let mut d = self.fetch_desc(bus, sel, gp)?;
            if (sel & 3) as u8 != self.cpl || !d.is_data() || !d.rw() || d.dpl() != self.cpl {
                return Err(sel_fault(gp, sel));
            }
            if !d.present() {
                return Err(sel_fault(Exception::StackFault, sel));
            }
            self.set_accessed(bus, sel, &mut d)?;
            self.set_seg(seg, d.to_segment(sel));
            return Ok(());
        }
        if sel & !3 == 0 {
            // A null selector loads; using it faults.
            self.set_seg(
                seg,
                Segment {
                    selector: sel,
                    base: 0,
                    limit: 0,
                    attr: 0,
                },
            );
            return Ok(());
        }
        let mut d = self.fetch_desc(bus, sel, gp)?;
        if !d.is_segment() || (d.is_code() && !d.rw()) {
            return Err(sel_fault(gp, sel));
        }
        if !d.conforming() && ((sel & 3) as u8 > d.dpl() || self.cpl > d.dpl()) {
            return Err(sel_fault(gp, sel));
        }
        if !d.present() {
            return Err(sel_fault(Exception::SegmentNotPresent, sel));
        }
        self.set_accessed(bus, sel, &mut d)?;
        self.set_seg(seg, d.to_segment(sel));
        Ok(())
    }

    /// After a return or IRET to an outer level: data segment registers
    /// the new level may not use are nulled.
    pub(crate) fn null_inaccessible_segs(&mut self) {
        for i in [
            SegReg::Es as u8,
            SegReg::Ds as u8,
            SegReg::Fs as u8,
            SegReg::Gs as u8,
        ] {
            let s = self.seg[i as usize];
            let code = s.attr & 0x18 == 0x18;
            let conforming = code && s.attr & 4 != 0;
            let dpl = ((s.attr >> 5) & 3) as u8;
            if (s.attr & 0x80 == 0 || !conforming) && dpl < self.cpl {
                self.set_seg(
                    i,
                    Segment {
                        selector: 0,
                        base: 0,
                        limit: 0,
                        attr: 0,
                    },
                );
            }
        }
    }
}

fn pm_only<B: Bus>(cpu: &Cpu<B>) -> Result<()> {
    if !cpu.protected() || cpu.v86() {
        return Err(Fault::UD);
    }
    Ok(())
}

/// SLDT (aux = 0) / STR (aux = 1): operand 0 is r/m.
pub(crate) fn store_sys_sel<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    pm_only(cpu)?;
    let v = if op.aux == 0 {
        cpu.ldtr.selector
    } else {
        cpu.tr.selector
    } as u32;
    if MEM {
        cpu.write_ea::<16>(bus, op, v)
    } else {
        cpu.reg_set::<W>(op.r0, v);
        Ok(())
    }
}

pub(crate) fn lldt<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    pm_only(cpu)?;
    if cpu.cpl != 0 {
        return Err(Fault::GP0);
    }
    let sel = cpu.rm::<16, MEM>(bus, op)? as u16;
    if sel & !3 == 0 {
        cpu.ldtr = Segment {
            selector: sel,
            base: 0,
            limit: 0,
            attr: 0,
        };
        return Ok(());
    }
    let gp = Exception::GeneralProtection;
    if sel & 4 != 0 {
        return Err(sel_fault(gp, sel));
    }
    let d = cpu.fetch_desc(bus, sel, gp)?;
    if d.is_segment() || d.typ() != LDT {
        return Err(sel_fault(gp, sel));
    }
    if !d.present() {
        return Err(sel_fault(Exception::SegmentNotPresent, sel));
    }
    cpu.ldtr = d.to_segment(sel);
    Ok(())
}

pub(crate) fn ltr<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    pm_only(cpu)?;
    if cpu.cpl != 0 {
        return Err(Fault::GP0);
    }
    let sel = cpu.rm::<16, MEM>(bus, op)? as u16;
    let gp = Exception::GeneralProtection;
    if sel & !3 == 0 {
        return Err(Fault::GP0);
    }
    if sel & 4 != 0 {
        return Err(sel_fault(gp, sel));
    }
    let d = cpu.fetch_desc(bus, sel, gp)?;
    if d.is_segment() || !(d.typ() == TSS16_AVAIL || d.typ() == TSS32_AVAIL) {
        return Err(sel_fault(gp, sel));
    }
    if !d.present() {
        return Err(sel_fault(Exception::SegmentNotPresent, sel));
    }
    let addr = cpu.desc_addr(sel).ok_or(sel_fault(gp, sel))?;
    let busy = d.hi | (2 << 8);
    cpu.write_sys::<32>(bus, addr.wrapping_add(4), busy)?;
    cpu.tr = Desc { lo: d.lo, hi: busy }.to_segment(sel);
    Ok(())
}

/// Reads a selector's descriptor for LAR/LSL/VERR/VERW: `None` when the
/// instruction should just clear ZF.
fn probe<B: Bus>(cpu: &mut Cpu<B>, bus: &mut B, sel: u16) -> Result<Option<Desc>> {
    if sel & !3 == 0 || cpu.desc_addr(sel).is_none() {
        return Ok(None);
    }
    Ok(Some(cpu.fetch_desc(
        bus,
        sel,
        Exception::GeneralProtection,
    )?))
}

fn visible<B: Bus>(cpu: &Cpu<B>, sel: u16, d: &Desc) -> bool {
    d.conforming() || (d.dpl() >= cpu.cpl && d.dpl() >= (sel & 3) as u8)
}

/// LAR (aux = 0) / LSL (aux = 1) r, r/m16.
pub(crate) fn lar_lsl<B: Bus, const W: u32, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    pm_only(cpu)?;
    let sel = if MEM {
        cpu.read_ea::<16>(bus, op)?
    } else {
        cpu.reg_get::<16>(op.r1)
    } as u16;
    let lsl = op.aux == 1;
    let ok = match probe(cpu, bus, sel)? {
        Some(d) => {
            let type_ok = d.is_segment()
                || if lsl {
                    matches!(
                        d.typ(),
                        TSS16_AVAIL | LDT | TSS16_BUSY | TSS32_AVAIL | TSS32_BUSY
                    )
                } else {
                    matches!(
                        d.typ(),
                        TSS16_AVAIL
                            | LDT
                            | TSS16_BUSY
                            | CALL_GATE16
                            | TASK_GATE
                            | TSS32_AVAIL
                            | TSS32_BUSY
                            | CALL_GATE32
                    )
                };
            (type_ok && visible(cpu, sel, &d)).then_some(d)
        }
        None => None,
    };
    match ok {
        Some(d) => {
            let v = if lsl { d.limit() } else { d.hi & 0x00F0_FF00 };
            cpu.reg_set::<W>(op.r0, v);
            cpu.set_flag(FLAG_ZF, true);
        }
        None => cpu.set_flag(FLAG_ZF, false),
    }
    Ok(())
}

/// VERR (aux = 0) / VERW (aux = 1) r/m16.
pub(crate) fn verr_verw<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    pm_only(cpu)?;
    let sel = cpu.rm::<16, MEM>(bus, op)? as u16;
    let ok = match probe(cpu, bus, sel)? {
        Some(d) if d.is_segment() => {
            let access = if op.aux == 0 {
                d.is_data() || d.rw()
            } else {
                d.is_data() && d.rw()
            };
            access && visible(cpu, sel, &d)
        }
        _ => false,
    };
    cpu.set_flag(FLAG_ZF, ok);
    Ok(())
}

/// ARPL r/m16, r16.
pub(crate) fn arpl<B: Bus, const MEM: bool>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    pm_only(cpu)?;
    let d = cpu.rm::<16, MEM>(bus, op)?;
    let s = cpu.reg_get::<16>(op.r1);
    if d & 3 < s & 3 {
        cpu.set_rm::<16, MEM>(bus, op, (d & !3) | (s & 3))?;
        cpu.set_flag(FLAG_ZF, true);
    } else {
        cpu.set_flag(FLAG_ZF, false);
    }
    Ok(())
}
