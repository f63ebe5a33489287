//! Interrupt and exception delivery in every mode, IRET, and the
//! double-fault rules.

use crate::bus::Bus;
use crate::cpu::{Cpu, SegReg, Segment};
use crate::exec::Exit;
use crate::fault::{Exception, Fault, Result};
use crate::flags::*;
use crate::segment::{
    sel_fault, Desc, INT_GATE16, INT_GATE32, TASK_GATE, TRAP_GATE16, TRAP_GATE32,
};
use crate::task::TaskSwitch;

const CS: u8 = SegReg::Cs as u8;
const SS: u8 = SegReg::Ss as u8;

/// Where an interrupt comes from: it decides the gate DPL check and the
/// EXT bit of error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// INT n, INT3, INTO: the gate's DPL must allow the caller.
    Software,
    /// An exception raised by an instruction (or INT1/ICEBP).
    Exception,
    /// A hardware interrupt through INTR, or NMI.
    External,
}

/// Exception classes for the double-fault rule.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Benign,
    Contributory,
    PageFault,
    DoubleFault,
}

fn class(v: u8) -> Class {
    match v {
        0 | 10 | 11 | 12 | 13 => Class::Contributory,
        14 => Class::PageFault,
        8 => Class::DoubleFault,
        _ => Class::Benign,
    }
}

impl<B: Bus> Cpu<B> {
    /// Delivers an event, applying the double-fault and triple-fault rules
    /// when delivery itself faults. `ret` is the EIP to push.
    pub(crate) fn deliver(
        &mut self,
        bus: &mut B,
        vector: u8,
        error_code: Option<u32>,
        ret: u32,
        source: Source,
    ) {
        let (mut v, mut code, mut src) = (vector, error_code, source);
        let mut first = if source == Source::Exception {
            class(vector)
        } else {
            Class::Benign
        };
        for _ in 0..8 {
            if v == Exception::PageFault as u8 {
                self.cr2 = self.fault_addr;
            }
            let f = match self.interrupt(bus, v, code, ret, src) {
                Ok(()) => return,
                Err(f) => f,
            };
            let second = class(f.vector as u8);
            if f.vector == Exception::PageFault {
                // CR2 records every page fault, also one that becomes #DF.
                self.cr2 = self.fault_addr;
            }
            log::debug!("exception {:?} while delivering vector {v}", f.vector);
            if first == Class::DoubleFault && second != Class::Benign {
                break;
            }
            let double = (first == Class::Contributory && second == Class::Contributory)
                || (first == Class::PageFault && second != Class::Benign);
            if double {
                (v, code, src, first) = (8, Some(0), Source::Exception, Class::DoubleFault);
            } else {
                (v, code, src) = (
                    f.vector as u8,
                    f.error_code.map(|c| c | 1),
                    Source::Exception,
                );
                if first != Class::DoubleFault {
                    first = second;
                }
            }
        }
        log::warn!(
            "triple fault at {:04x}:{:08x}",
            self.seg[1].selector,
            self.eip
        );
        self.exit = Some(Exit::TripleFault);
    }

    /// One delivery attempt of interrupt `vector`.
    pub(crate) fn interrupt(
        &mut self,
        bus: &mut B,
        vector: u8,
        error_code: Option<u32>,
        ret: u32,
        source: Source,
    ) -> Result<()> {
        if self.api_debug {
            self.hook_interrupt(bus, vector, error_code, source);
        }
        self.interrupt_once(bus, vector, error_code, ret, source)?;
        if self.api_debug {
            self.check_vector(vector);
        }
        Ok(())
    }

    fn interrupt_once(
        &mut self,
        bus: &mut B,
        vector: u8,
        error_code: Option<u32>,
        ret: u32,
        source: Source,
    ) -> Result<()> {
        self.stop_block = true;
        self.halted = false;
        if !self.protected() {
            return self.interrupt_real(bus, vector, ret);
        }
        let ext = (source == Source::External) as u32;
        let idt_code = vector as u32 * 8 + 2 + ext;
        let gp = Exception::GeneralProtection;
        if vector as u32 * 8 + 7 > self.idtr.1 as u32 {
            return Err(Fault::with_code(gp, idt_code));
        }
        let addr = self.idtr.0.wrapping_add(vector as u32 * 8);
        let gate = Desc {
            lo: self.read_sys::<32>(bus, addr)?,
            hi: self.read_sys::<32>(bus, addr.wrapping_add(4))?,
        };
        let typ = gate.typ();
        if gate.is_segment()
            || !matches!(
                typ,
                TASK_GATE | INT_GATE16 | INT_GATE32 | TRAP_GATE16 | TRAP_GATE32
            )
        {
            return Err(Fault::with_code(gp, idt_code));
        }
        if source == Source::Software && gate.dpl() < self.cpl {
            return Err(Fault::with_code(gp, vector as u32 * 8 + 2));
        }
        if !gate.present() {
            return Err(Fault::with_code(Exception::SegmentNotPresent, idt_code));
        }
        if typ == TASK_GATE {
            let sel = gate.gate_selector();
            self.eip = ret;
            self.task_switch(bus, sel, TaskSwitch::Call, ext)?;
            if let Some(c) = error_code {
                if self.tr.attr & 8 != 0 {
                    self.push::<32>(bus, c)?;
                } else {
                    self.push::<16>(bus, c)?;
                }
            }
            return Ok(());
        }
        let sel = gate.gate_selector();
        if sel & !3 == 0 {
            return Err(Fault::with_code(gp, ext));
        }
        let mut cd = self.fetch_desc(bus, sel, gp).map_err(|f| add_ext(f, ext))?;
        if !cd.is_code() || cd.dpl() > self.cpl {
            return Err(Fault::with_code(gp, (sel & !3) as u32 + ext));
        }
        if !cd.present() {
            return Err(Fault::with_code(
                Exception::SegmentNotPresent,
                (sel & !3) as u32 + ext,
            ));
        }
        let gate32 = typ & 8 != 0;
        let offset = gate.gate_offset();
        if offset > cd.limit() {
            return Err(Fault::with_code(gp, ext));
        }
        let flags = self.eflags();
        let v86 = self.v86();
        let inner = !cd.conforming() && cd.dpl() < self.cpl;
        if v86 && (!inner || cd.dpl() != 0) {
            return Err(Fault::with_code(gp, (sel & !3) as u32 + ext));
        }
        let new_cpl = if inner { cd.dpl() } else { self.cpl };
        let old_cs = self.seg[CS as usize].selector as u32;
        if inner {
            let (ss_sel, esp) = self.tss_stack(bus, new_cpl, ext)?;
            let ss = self.check_inner_ss(bus, ss_sel, new_cpl, ext)?;
            let old_ss = self.seg[SS as usize].selector as u32;
            let old_esp = self.regs[4];
            // Build the frame on the new stack with supervisor accesses.
            let mut frame: [u32; 10] = [0; 10];
            let mut n = 0;
            if v86 {
                for s in [SegReg::Gs, SegReg::Fs, SegReg::Ds, SegReg::Es] {
                    frame[n] = self.seg[s as usize].selector as u32;
                    n += 1;
                }
            }
            for v in [old_ss, old_esp, flags, old_cs, ret] {
                frame[n] = v;
                n += 1;
            }
            if let Some(c) = error_code {
                frame[n] = c;
                n += 1;
            }
            let big = ss.attr & crate::cpu::ATTR_DB != 0;
            let size = if gate32 { 4 } else { 2 };
            let mut sp = esp;
            for &v in &frame[..n] {
                sp = sp.wrapping_sub(size);
                let off = if big { sp } else { sp & 0xFFFF };
                if off as u64 + size as u64 - 1 > ss.limit as u64 {
                    return Err(Fault::with_code(
                        Exception::StackFault,
                        (ss_sel & !3) as u32 + ext,
                    ));
                }
                let lin = ss.base.wrapping_add(off);
                if gate32 {
                    self.write_sys::<32>(bus, lin, v)?;
                } else {
                    self.write_sys::<16>(bus, lin, v)?;
                }
            }
            self.set_accessed(bus, sel, &mut cd)?;
            if v86 {
                self.eflags &= !FLAG_VM;
                for s in [SegReg::Gs, SegReg::Fs, SegReg::Ds, SegReg::Es] {
                    self.set_seg(
                        s as u8,
                        Segment {
                            selector: 0,
                            base: 0,
                            limit: 0,
                            attr: 0,
                        },
                    );
                }
            }
            self.set_seg(SS, ss);
            self.regs[4] = if big {
                sp
            } else {
                (esp & !0xFFFF) | (sp & 0xFFFF)
            };
        } else {
            let mut sp = self.regs[4];
            if gate32 {
                sp = self.push_at::<32>(bus, sp, flags)?;
                sp = self.push_at::<32>(bus, sp, old_cs)?;
                sp = self.push_at::<32>(bus, sp, ret)?;
                if let Some(c) = error_code {
                    sp = self.push_at::<32>(bus, sp, c)?;
                }
            } else {
                sp = self.push_at::<16>(bus, sp, flags)?;
                sp = self.push_at::<16>(bus, sp, old_cs)?;
                sp = self.push_at::<16>(bus, sp, ret)?;
                if let Some(c) = error_code {
                    sp = self.push_at::<16>(bus, sp, c)?;
                }
            }
            self.set_accessed(bus, sel, &mut cd)?;
            self.regs[4] = sp;
        }
        self.set_cpl(new_cpl);
        self.set_seg(CS, cd.to_segment((sel & !3) | new_cpl as u16));
        self.refresh_segs();
        self.eip = offset;
        self.materialize_flags();
        self.eflags &= !(FLAG_TF | FLAG_NT | FLAG_RF | FLAG_VM);
        if typ == INT_GATE16 || typ == INT_GATE32 {
            self.eflags &= !FLAG_IF;
        }
        Ok(())
    }

    fn interrupt_real(&mut self, bus: &mut B, vector: u8, ret: u32) -> Result<()> {
        let off = vector as u32 * 4;
        if off + 3 > self.idtr.1 as u32 {
            return Err(Fault::with_code(
                Exception::GeneralProtection,
                vector as u32 * 8 + 2,
            ));
        }
        let entry = self.read_lin::<32>(bus, self.idtr.0.wrapping_add(off))?;
        let flags = self.eflags();
        let mut sp = self.regs[4];
        sp = self.push_at::<16>(bus, sp, flags & 0xFFFF)?;
        sp = self.push_at::<16>(bus, sp, self.seg[CS as usize].selector as u32)?;
        sp = self.push_at::<16>(bus, sp, ret & 0xFFFF)?;
        self.regs[4] = sp;
        self.eflags &= !(FLAG_IF | FLAG_TF | FLAG_AC | FLAG_RF);
        self.set_segment_real(SegReg::Cs, (entry >> 16) as u16);
        self.eip = entry & 0xFFFF;
        Ok(())
    }

    /// SS:ESP for privilege level `pl` from the current TSS.
    pub(crate) fn tss_stack(&mut self, bus: &mut B, pl: u8, ext: u32) -> Result<(u16, u32)> {
        let ts = Fault::with_code(Exception::InvalidTss, (self.tr.selector & !3) as u32 + ext);
        let tss32 = self.tr.attr & 8 != 0;
        let (off, size) = if tss32 {
            (4 + 8 * pl as u32, 8)
        } else {
            (2 + 4 * pl as u32, 4)
        };
        if off + size - 1 > self.tr.limit {
            return Err(ts);
        }
        let base = self.tr.base.wrapping_add(off);
        if tss32 {
            let esp = self.read_sys::<32>(bus, base)?;
            let ss = self.read_sys::<16>(bus, base.wrapping_add(4))? as u16;
            Ok((ss, esp))
        } else {
            let sp = self.read_sys::<16>(bus, base)?;
            let ss = self.read_sys::<16>(bus, base.wrapping_add(2))? as u16;
            Ok((ss, sp))
        }
    }

    /// Validates a new inner stack segment (from the TSS) for level `pl`.
    pub(crate) fn check_inner_ss(
        &mut self,
        bus: &mut B,
        sel: u16,
        pl: u8,
        ext: u32,
    ) -> Result<Segment> {
        let ts = |s: u16| Fault::with_code(Exception::InvalidTss, (s & !3) as u32 + ext);
        if sel & !3 == 0 || (sel & 3) as u8 != pl {
            return Err(ts(sel));
        }
        let mut d = self
            .fetch_desc(bus, sel, Exception::InvalidTss)
            .map_err(|f| add_ext(f, ext))?;
        if !d.is_data() || !d.rw() || d.dpl() != pl {
            return Err(ts(sel));
        }
        if !d.present() {
            return Err(Fault::with_code(
                Exception::StackFault,
                (sel & !3) as u32 + ext,
            ));
        }
        self.set_accessed(bus, sel, &mut d)?;
        Ok(d.to_segment(sel))
    }

    /// IRET in protected mode (including to virtual-8086 mode and the
    /// nested-task return). Real and V86 IRETs are handled by the caller.
    pub(crate) fn iret_pm<const W: u32>(&mut self, bus: &mut B) -> Result<()> {
        if self.eflags & FLAG_NT != 0 {
            let tss = self.tr.base;
            let back = self.read_sys::<16>(bus, tss)? as u16;
            return self.task_switch(bus, back, TaskSwitch::Iret, 0);
        }
        let (eip, sp) = self.pop_at::<W>(bus, self.regs[4])?;
        let (cs, sp) = self.pop_at::<W>(bus, sp)?;
        let (fl, sp) = self.pop_at::<W>(bus, sp)?;
        let cs = cs as u16;
        if W == 32 && fl & FLAG_VM != 0 && self.cpl == 0 {
            return self.iret_to_v86(bus, eip, cs, fl, sp);
        }
        let (cd, rpl) = self.check_return_cs(bus, cs)?;
        let eip = if W == 16 { eip & 0xFFFF } else { eip };
        if eip > cd.limit() {
            return Err(Fault::GP0);
        }
        let old_cpl = self.cpl;
        if rpl > self.cpl {
            let (esp, sp2) = self.pop_at::<W>(bus, sp)?;
            let (ss_sel, _) = self.pop_at::<W>(bus, sp2)?;
            let ss = self.check_outer_ss(bus, ss_sel as u16, rpl)?;
            self.set_cpl(rpl);
            self.set_seg(CS, cd.to_segment(cs));
            self.set_seg(SS, ss);
            self.regs[4] = if W == 16 {
                (self.regs[4] & !0xFFFF) | (esp & 0xFFFF)
            } else {
                esp
            };
            self.null_inaccessible_segs();
        } else {
            self.set_seg(CS, cd.to_segment(cs));
            self.regs[4] = sp;
        }
        self.eip = eip;
        self.load_flags_pm::<W>(fl, old_cpl);
        if W == 32 {
            // IRET is how a debug handler sets RF for the return.
            self.eflags |= fl & FLAG_RF;
        }
        self.stop_block = true;
        Ok(())
    }

    /// Checks a CS popped by RET/IRET; returns its descriptor and RPL.
    pub(crate) fn check_return_cs(&mut self, bus: &mut B, cs: u16) -> Result<(Desc, u8)> {
        let gp = Exception::GeneralProtection;
        if cs & !3 == 0 {
            return Err(Fault::GP0);
        }
        let mut d = self.fetch_desc(bus, cs, gp)?;
        let rpl = (cs & 3) as u8;
        if !d.is_code() || rpl < self.cpl {
            return Err(sel_fault(gp, cs));
        }
        if (d.conforming() && d.dpl() > rpl) || (!d.conforming() && d.dpl() != rpl) {
            return Err(sel_fault(gp, cs));
        }
        if !d.present() {
            return Err(sel_fault(Exception::SegmentNotPresent, cs));
        }
        self.set_accessed(bus, cs, &mut d)?;
        Ok((d, rpl))
    }

    /// Checks the SS popped when returning to outer level `rpl`.
    pub(crate) fn check_outer_ss(&mut self, bus: &mut B, sel: u16, rpl: u8) -> Result<Segment> {
        let gp = Exception::GeneralProtection;
        if sel & !3 == 0 {
            return Err(Fault::GP0);
        }
        let mut d = self.fetch_desc(bus, sel, gp)?;
        if (sel & 3) as u8 != rpl || !d.is_data() || !d.rw() || d.dpl() != rpl {
            return Err(sel_fault(gp, sel));
        }
        if !d.present() {
            return Err(sel_fault(Exception::StackFault, sel));
        }
        self.set_accessed(bus, sel, &mut d)?;
        Ok(d.to_segment(sel))
    }

    fn iret_to_v86(&mut self, bus: &mut B, eip: u32, cs: u16, fl: u32, sp: u32) -> Result<()> {
        let mut vals = [0u32; 6];
        let mut sp = sp;
        for v in vals.iter_mut() {
            let (x, nsp) = self.pop_at::<32>(bus, sp)?;
            *v = x;
            sp = nsp;
        }
        let [esp, ss, es, ds, fs, gs] = vals;
        self.lazy = crate::flags::Lazy::none();
        self.eflags = (fl & crate::system::EFLAGS_WRITABLE) | FLAG_FIXED;
        self.set_cpl(3);
        for (s, v) in [
            (SegReg::Cs, cs as u32),
            (SegReg::Ss, ss),
            (SegReg::Es, es),
            (SegReg::Ds, ds),
            (SegReg::Fs, fs),
            (SegReg::Gs, gs),
        ] {
            let sel = v as u16;
            self.set_seg(
                s as u8,
                Segment {
                    selector: sel,
                    base: (sel as u32) << 4,
                    limit: 0xFFFF,
                    attr: 0xF3,
                },
            );
        }
        self.regs[4] = esp;
        self.eip = eip & 0xFFFF;
        self.stop_block = true;
        Ok(())
    }

    /// The protected-mode flag load rules of POPF/IRET: IOPL changes only
    /// at CPL 0, IF only when CPL <= IOPL, VM never.
    pub(crate) fn load_flags_pm<const W: u32>(&mut self, v: u32, cpl: u8) {
        let iopl = ((self.eflags & FLAG_IOPL) >> 12) as u8;
        let mut mask = crate::system::EFLAGS_WRITABLE & !(FLAG_VM | FLAG_RF);
        if cpl > 0 {
            mask &= !FLAG_IOPL;
        }
        if cpl > iopl {
            mask &= !FLAG_IF;
        }
        if W == 16 {
            mask &= 0xFFFF;
        }
        self.write_flags(v, mask);
        self.eflags &= !FLAG_RF;
    }
}

fn add_ext(mut f: Fault, ext: u32) -> Fault {
    if let Some(c) = f.error_code.as_mut() {
        *c |= ext;
    }
    f
}
