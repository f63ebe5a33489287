//! Hardware task switching through 16- and 32-bit TSSs (JMP, CALL, INT
//! through a task gate, IRET with NT), and the I/O permission bitmap.

use crate::bus::Bus;
use crate::cpu::{Cpu, SegReg, Segment, CR0_PG, CR0_TS};
use crate::fault::{Exception, Fault, Result};
use crate::flags::*;
use crate::segment::{sel_fault, Desc, LDT, TSS16_AVAIL, TSS16_BUSY, TSS32_AVAIL, TSS32_BUSY};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TaskSwitch {
    Jmp,
    /// CALL, or an interrupt through a task gate: the new task is nested.
    Call,
    Iret,
}

const BUSY: u32 = 2 << 8;

impl<B: Bus> Cpu<B> {
    /// Switches to the task whose TSS selector is `sel` (`ext` is the EXT
    /// bit for error codes). EIP must already hold the outgoing task's
    /// resume address.
    pub(crate) fn task_switch(
        &mut self,
        bus: &mut B,
        sel: u16,
        kind: TaskSwitch,
        ext: u32,
    ) -> Result<()> {
        let gp = Exception::GeneralProtection;
        let ts = |s: u16| Fault::with_code(Exception::InvalidTss, (s & !3) as u32 + ext);
        if sel & 4 != 0 || sel & !3 == 0 {
            return Err(if kind == TaskSwitch::Iret {
                ts(sel)
            } else {
                sel_fault(gp, sel)
            });
        }
        let nd = self.fetch_desc(bus, sel, gp)?;
        let want_busy = kind == TaskSwitch::Iret;
        let ok_type = match nd.typ() {
            TSS16_AVAIL | TSS32_AVAIL => !want_busy,
            TSS16_BUSY | TSS32_BUSY => want_busy,
            _ => false,
        };
        if nd.is_segment() || !ok_type {
            return Err(if kind == TaskSwitch::Iret {
                ts(sel)
            } else {
                sel_fault(gp, sel)
            });
        }
        if !nd.present() {
            return Err(Fault::with_code(
                Exception::SegmentNotPresent,
                (sel & !3) as u32 + ext,
            ));
        }
        let new32 = nd.typ() & 8 != 0;
        if nd.limit() < if new32 { 0x67 } else { 0x2B } {
            return Err(ts(sel));
        }
        let nbase = nd.base();

        // Read the whole incoming state first so a fault leaves the old task intact.
        let mut nregs = [0u32; 8];
        let mut nsegs = [0u16; 6];
        let (neip, nflags, nldt, ncr3);
        if new32 {
            ncr3 = self.read_sys::<32>(bus, nbase.wrapping_add(0x1C))?;
            neip = self.read_sys::<32>(bus, nbase.wrapping_add(0x20))?;
            nflags = self.read_sys::<32>(bus, nbase.wrapping_add(0x24))?;
            for (i, r) in nregs.iter_mut().enumerate() {
                *r = self.read_sys::<32>(bus, nbase.wrapping_add(0x28 + 4 * i as u32))?;
            }
            for (i, s) in nsegs.iter_mut().enumerate() {
                *s = self.read_sys::<16>(bus, nbase.wrapping_add(0x48 + 4 * i as u32))? as u16;
            }
            nldt = self.read_sys::<16>(bus, nbase.wrapping_add(0x60))? as u16;
        } else {
            ncr3 = self.cr3;
            neip = self.read_sys::<16>(bus, nbase.wrapping_add(0x0E))?;
            nflags = self.read_sys::<16>(bus, nbase.wrapping_add(0x10))?
                | (self.eflags & 0xFFFF_0000 & !FLAG_VM);
            for (i, r) in nregs.iter_mut().enumerate() {
                *r = self.read_sys::<16>(bus, nbase.wrapping_add(0x12 + 2 * i as u32))?
                    | 0xFFFF_0000;
            }
            for (i, s) in nsegs.iter_mut().enumerate().take(4) {
                *s = self.read_sys::<16>(bus, nbase.wrapping_add(0x22 + 2 * i as u32))? as u16;
            }
            nldt = self.read_sys::<16>(bus, nbase.wrapping_add(0x2A))? as u16;
        }

        // Save the outgoing task.
        let obase = self.tr.base;
        let old32 = self.tr.attr & 8 != 0;
        let mut oflags = self.eflags();
        if kind == TaskSwitch::Iret {
            oflags &= !FLAG_NT;
        }
        if kind != TaskSwitch::Call {
            self.set_tss_busy(bus, self.tr.selector, false)?;
        }
        if old32 {
            self.write_sys::<32>(bus, obase.wrapping_add(0x20), self.eip)?;
            self.write_sys::<32>(bus, obase.wrapping_add(0x24), oflags)?;
            for i in 0..8 {
                self.write_sys::<32>(bus, obase.wrapping_add(0x28 + 4 * i as u32), self.regs[i])?;
            }
            for i in 0..6 {
                self.write_sys::<16>(
                    bus,
                    obase.wrapping_add(0x48 + 4 * i as u32),
                    self.seg[i].selector as u32,
                )?;
            }
        } else {
            self.write_sys::<16>(bus, obase.wrapping_add(0x0E), self.eip)?;
            self.write_sys::<16>(bus, obase.wrapping_add(0x10), oflags)?;
            for i in 0..8 {
                self.write_sys::<16>(bus, obase.wrapping_add(0x12 + 2 * i as u32), self.regs[i])?;
            }
            for i in 0..4 {
                self.write_sys::<16>(
                    bus,
                    obase.wrapping_add(0x22 + 2 * i as u32),
                    self.seg[i].selector as u32,
                )?;
            }
        }
        let mut nflags = nflags;
        if kind == TaskSwitch::Call {
            self.write_sys::<16>(bus, nbase, self.tr.selector as u32)?;
            nflags |= FLAG_NT;
        }
        if kind != TaskSwitch::Iret {
            self.set_tss_busy(bus, sel, true)?;
        }

        // Commit: TR, CR3, registers, flags; then the segment loads, whose
        // faults belong to the new task.
        self.tr = Desc {
            lo: nd.lo,
            hi: nd.hi | BUSY,
        }
        .to_segment(sel);
        self.cr0 |= CR0_TS;
        if new32 && self.cr0 & CR0_PG != 0 && ncr3 != self.cr3 {
            self.cr3 = ncr3 & 0xFFFF_F018;
            self.tlb.flush_nonglobal();
        } else if new32 {
            self.cr3 = ncr3 & 0xFFFF_F018;
        }
        self.regs[..8].copy_from_slice(&nregs);
        if !new32 {
            for r in 0..8 {
                self.regs[r] &= 0xFFFF;
            }
        }
        self.eip = neip;
        self.lazy = Lazy::none();
        self.eflags = (nflags & crate::system::EFLAGS_WRITABLE) | FLAG_FIXED;
        self.stop_block = true;
        // Selectors first without checks, so a fault below sees sane values.
        for (i, &s) in nsegs.iter().enumerate() {
            let mut seg = self.seg[i];
            seg.selector = s;
            self.seg[i] = seg;
        }
        self.ldtr = Segment {
            selector: nldt,
            base: 0,
            limit: 0,
            attr: 0,
        };
        if nldt & !3 != 0 {
            if nldt & 4 != 0 {
                return Err(ts(nldt));
            }
            let d = self.fetch_desc(bus, nldt, Exception::InvalidTss)?;
            if d.is_segment() || d.typ() != LDT {
                return Err(ts(nldt));
            }
            if !d.present() {
                return Err(ts(nldt));
            }
            self.ldtr = d.to_segment(nldt);
        }
        if self.v86() {
            self.set_cpl(3);
            for (i, &s) in nsegs.iter().enumerate() {
                self.set_seg(
                    i as u8,
                    Segment {
                        selector: s,
                        base: (s as u32) << 4,
                        limit: 0xFFFF,
                        attr: 0xF3,
                    },
                );
            }
            return Ok(());
        }
        // CS determines the new CPL.
        let cs = nsegs[SegReg::Cs as usize];
        if cs & !3 == 0 {
            return Err(ts(cs));
        }
        let cd = self.fetch_desc(bus, cs, Exception::InvalidTss)?;
        let cpl = (cs & 3) as u8;
        if !cd.is_code()
            || (!cd.conforming() && cd.dpl() != cpl)
            || (cd.conforming() && cd.dpl() > cpl)
        {
            return Err(ts(cs));
        }
        if !cd.present() {
            return Err(Fault::with_code(
                Exception::SegmentNotPresent,
                (cs & !3) as u32 + ext,
            ));
        }
        self.set_cpl(cpl);
        self.set_seg(SegReg::Cs as u8, cd.to_segment(cs));
        let ss = nsegs[SegReg::Ss as usize];
        let ssd = self.fetch_desc(bus, ss, Exception::InvalidTss)?;
        if ss & !3 == 0 || (ss & 3) as u8 != cpl || !ssd.is_data() || !ssd.rw() || ssd.dpl() != cpl
        {
            return Err(ts(ss));
        }
        if !ssd.present() {
            return Err(Fault::with_code(
                Exception::StackFault,
                (ss & !3) as u32 + ext,
            ));
        }
        self.set_seg(SegReg::Ss as u8, ssd.to_segment(ss));
        for i in [SegReg::Es, SegReg::Ds, SegReg::Fs, SegReg::Gs] {
            let s = nsegs[i as usize];
            if s & !3 == 0 {
                self.set_seg(
                    i as u8,
                    Segment {
                        selector: s,
                        base: 0,
                        limit: 0,
                        attr: 0,
                    },
                );
                continue;
            }
            let d = self.fetch_desc(bus, s, Exception::InvalidTss)?;
            if !d.is_segment() || (d.is_code() && !d.rw()) {
                return Err(ts(s));
            }
            if !d.conforming() && ((s & 3) as u8 > d.dpl() || cpl > d.dpl()) {
                return Err(ts(s));
            }
            if !d.present() {
                return Err(Fault::with_code(
                    Exception::SegmentNotPresent,
                    (s & !3) as u32 + ext,
                ));
            }
            self.set_seg(i as u8, d.to_segment(s));
        }
        if self.eip > self.seg[SegReg::Cs as usize].limit {
            return Err(Fault::GP0);
        }
        Ok(())
    }

    fn set_tss_busy(&mut self, bus: &mut B, sel: u16, busy: bool) -> Result<()> {
        let Some(addr) = self.desc_addr(sel) else {
            return Ok(());
        };
        let hi = self.read_sys::<32>(bus, addr.wrapping_add(4))?;
        let hi = if busy { hi | BUSY } else { hi & !BUSY };
        self.write_sys::<32>(bus, addr.wrapping_add(4), hi)
    }

    /// Whether the TSS I/O bitmap allows `size` bytes at `port`.
    pub(crate) fn io_bitmap_allows(&mut self, bus: &mut B, port: u16, size: u32) -> Result<bool> {
        if self.tr.attr & 0xF != TSS32_BUSY as u16 || self.tr.limit < 0x67 {
            return Ok(false);
        }
        let base = self.read_sys::<16>(bus, self.tr.base.wrapping_add(0x66))?;
        let off = base + port as u32 / 8;
        if off + 1 > self.tr.limit {
            return Ok(false);
        }
        let bits = self.read_sys::<16>(bus, self.tr.base.wrapping_add(off))?;
        let mask = ((1u32 << size) - 1) << (port & 7);
        Ok(bits & mask == 0)
    }
}
