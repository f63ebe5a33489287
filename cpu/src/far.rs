//! Far JMP, CALL and RET in protected mode: direct to code segments,
//! through call gates (with the privilege-raising stack switch and
//! parameter copy), and to tasks.

use crate::bus::Bus;
use crate::cpu::{Cpu, SegReg, ATTR_DB};
use crate::fault::{Exception, Fault, Result};
use crate::segment::{sel_fault, CALL_GATE16, CALL_GATE32, TASK_GATE, TSS16_AVAIL, TSS32_AVAIL};
use crate::task::TaskSwitch;

const CS: u8 = SegReg::Cs as u8;
const SS: u8 = SegReg::Ss as u8;

impl<B: Bus> Cpu<B> {
    /// JMP far (`call` false) or CALL far with operand size W, in protected mode.
    pub(crate) fn far_pm<const W: u32>(
        &mut self,
        bus: &mut B,
        sel: u16,
        off: u32,
        call: bool,
    ) -> Result<()> {
        let gp = Exception::GeneralProtection;
        let np = Exception::SegmentNotPresent;
        if sel & !3 == 0 {
            return Err(Fault::GP0);
        }
        let mut d = self.fetch_desc(bus, sel, gp)?;
        let rpl = (sel & 3) as u8;
        if d.is_code() {
            if (d.conforming() && d.dpl() > self.cpl)
                || (!d.conforming() && (rpl > self.cpl || d.dpl() != self.cpl))
            {
                return Err(sel_fault(gp, sel));
            }
            if !d.present() {
                return Err(sel_fault(np, sel));
            }
            if off > d.limit() {
                return Err(Fault::GP0);
            }
            if call {
                let mut sp = self.regs[4];
                sp = self.push_at::<W>(bus, sp, self.seg[CS as usize].selector as u32)?;
                sp = self.push_at::<W>(bus, sp, self.eip)?;
                self.regs[4] = sp;
            }
            self.set_accessed(bus, sel, &mut d)?;
            self.set_seg(CS, d.to_segment((sel & !3) | self.cpl as u16));
            self.eip = off;
            self.stop_block = true;
            return Ok(());
        }
        match d.typ() {
            TSS16_AVAIL | TSS32_AVAIL | TASK_GATE => {
                if d.dpl() < self.cpl || d.dpl() < rpl {
                    return Err(sel_fault(gp, sel));
                }
                if !d.present() {
                    return Err(sel_fault(np, sel));
                }
                let tss = if d.typ() == TASK_GATE {
                    d.gate_selector()
                } else {
                    sel
                };
                let kind = if call {
                    TaskSwitch::Call
                } else {
                    TaskSwitch::Jmp
                };
                self.task_switch(bus, tss, kind, 0)
            }
            CALL_GATE16 | CALL_GATE32 => self.call_gate(bus, sel, d, call),
            _ => Err(sel_fault(gp, sel)),
        }
    }

    fn call_gate(
        &mut self,
        bus: &mut B,
        gsel: u16,
        gate: crate::segment::Desc,
        call: bool,
    ) -> Result<()> {
        let gp = Exception::GeneralProtection;
        let np = Exception::SegmentNotPresent;
        if gate.dpl() < self.cpl || gate.dpl() < (gsel & 3) as u8 {
            return Err(sel_fault(gp, gsel));
        }
        if !gate.present() {
            return Err(sel_fault(np, gsel));
        }
        let sel = gate.gate_selector();
        if sel & !3 == 0 {
            return Err(Fault::GP0);
        }
        let mut cd = self.fetch_desc(bus, sel, gp)?;
        if !cd.is_code()
            || cd.dpl() > self.cpl
            || (!call && !cd.conforming() && cd.dpl() != self.cpl)
        {
            return Err(sel_fault(gp, sel));
        }
        if !cd.present() {
            return Err(sel_fault(np, sel));
        }
        let off = gate.gate_offset();
        if off > cd.limit() {
            return Err(Fault::GP0);
        }
        let gate32 = gate.typ() == CALL_GATE32;
        let old_cs = self.seg[CS as usize].selector as u32;
        if !call {
            self.set_accessed(bus, sel, &mut cd)?;
            self.set_seg(CS, cd.to_segment((sel & !3) | self.cpl as u16));
            self.eip = off;
            self.stop_block = true;
            return Ok(());
        }
        if !cd.conforming() && cd.dpl() < self.cpl {
            // More privileged: switch to the inner stack from the TSS and
            // copy the parameters.
            let pl = cd.dpl();
            let (ss_sel, esp) = self.tss_stack(bus, pl, 0)?;
            let ss = self.check_inner_ss(bus, ss_sel, pl, 0)?;
            let size = if gate32 { 4 } else { 2 };
            let nparams = gate.gate_params();
            let old_ss = self.seg[SS as usize].selector as u32;
            let old_esp = self.regs[4];
            let old_sp_mask = self.sp_mask();
            let mut params = [0u32; 31];
            for (i, p) in params.iter_mut().enumerate().take(nparams as usize) {
                let o = old_esp.wrapping_add(i as u32 * size) & old_sp_mask;
                *p = if gate32 {
                    self.read::<32>(bus, SS, o)?
                } else {
                    self.read::<16>(bus, SS, o)?
                };
            }
            let big = ss.attr & ATTR_DB != 0;
            let mut sp = esp;
            let mut frame = vec![old_ss, old_esp];
            frame.extend(params[..nparams as usize].iter().rev());
            frame.extend([old_cs, self.eip]);
            for v in frame {
                sp = sp.wrapping_sub(size);
                let o = if big { sp } else { sp & 0xFFFF };
                if o as u64 + size as u64 - 1 > ss.limit as u64 {
                    return Err(Fault::with_code(
                        Exception::StackFault,
                        (ss_sel & !3) as u32,
                    ));
                }
                let lin = ss.base.wrapping_add(o);
                if gate32 {
                    self.write_sys::<32>(bus, lin, v)?;
                } else {
                    self.write_sys::<16>(bus, lin, v)?;
                }
            }
            self.set_accessed(bus, sel, &mut cd)?;
            self.set_cpl(pl);
            self.set_seg(SS, ss);
            self.regs[4] = if big {
                sp
            } else {
                (esp & !0xFFFF) | (sp & 0xFFFF)
            };
            self.set_seg(CS, cd.to_segment((sel & !3) | pl as u16));
        } else {
            let mut sp = self.regs[4];
            if gate32 {
                sp = self.push_at::<32>(bus, sp, old_cs)?;
                sp = self.push_at::<32>(bus, sp, self.eip)?;
            } else {
                sp = self.push_at::<16>(bus, sp, old_cs)?;
                sp = self.push_at::<16>(bus, sp, self.eip)?;
            }
            self.set_accessed(bus, sel, &mut cd)?;
            self.regs[4] = sp;
            self.set_seg(CS, cd.to_segment((sel & !3) | self.cpl as u16));
        }
        self.eip = off;
        self.stop_block = true;
        Ok(())
    }

    /// RET far with operand size W and `imm` bytes of parameters, in
    /// protected mode.
    pub(crate) fn ret_far_pm<const W: u32>(&mut self, bus: &mut B, imm: u32) -> Result<()> {
        let (eip, sp) = self.pop_at::<W>(bus, self.regs[4])?;
        let (cs, sp) = self.pop_at::<W>(bus, sp)?;
        let cs = cs as u16;
        let (cd, rpl) = self.check_return_cs(bus, cs)?;
        if eip > cd.limit() {
            return Err(Fault::GP0);
        }
        let mask = self.sp_mask();
        let sp = (sp & !mask) | (sp.wrapping_add(imm) & mask);
        if rpl > self.cpl {
            let (esp, sp2) = self.pop_at::<W>(bus, sp)?;
            let (ss_sel, _) = self.pop_at::<W>(bus, sp2)?;
            let ss = self.check_outer_ss(bus, ss_sel as u16, rpl)?;
            self.set_cpl(rpl);
            self.set_seg(CS, cd.to_segment(cs));
            self.set_seg(SS, ss);
            let m = self.sp_mask();
            self.regs[4] = (esp & !m) | (esp.wrapping_add(imm) & m);
            self.null_inaccessible_segs();
        } else {
            self.set_seg(CS, cd.to_segment(cs));
            self.regs[4] = sp;
        }
        self.eip = eip;
        self.stop_block = true;
        Ok(())
    }
}
