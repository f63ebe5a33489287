//! MOVS, CMPS, SCAS, LODS, STOS, INS, OUTS with REP/REPE/REPNE and DF.
//!
//! A REP instruction runs up to [`REP_CHUNK`] iterations in one go; after a
//! fault, or when the chunk is used up, the registers show the iterations
//! already done and EIP points back at the instruction, so it restarts
//! where it stopped, as on hardware (where interrupts are taken between
//! iterations). Each restart counts as one more retired instruction.

use crate::bus::Bus;
use crate::cpu::{Cpu, SegReg};
use crate::fault::Result;
use crate::flags::{width_mask, LazyOp, FLAG_DF};
use crate::mmu::{load, store};
use crate::op::Op;

pub(crate) const MOVS: u8 = 0;
pub(crate) const CMPS: u8 = 1;
pub(crate) const SCAS: u8 = 2;
pub(crate) const LODS: u8 = 3;
pub(crate) const STOS: u8 = 4;
pub(crate) const INS: u8 = 5;
pub(crate) const OUTS: u8 = 6;

pub(crate) const REP_NONE: u8 = 0;
pub(crate) const REP_E: u8 = 1;
pub(crate) const REP_NE: u8 = 2;

const ES: u8 = SegReg::Es as u8;

/// Iterations a REP runs before giving the machine back: a guest with a
/// huge ECX must not keep the host inside one instruction for minutes
/// (timeouts, device time and interrupts wait for the instruction to end).
pub(crate) const REP_CHUNK: u32 = 4096;

#[inline(always)]
fn bump(reg: &mut u32, delta: u32, am: u32) {
    *reg = (*reg & !am) | (reg.wrapping_add(delta) & am);
}

pub(crate) fn string<B: Bus, const K: u8, const W: u32, const A: u32, const REP: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
) -> Result<()> {
    let am = width_mask(A);
    let step = W / 8;
    let delta = if cpu.eflags & FLAG_DF != 0 {
        step.wrapping_neg()
    } else {
        step
    };
    if K == INS || K == OUTS {
        cpu.io_allowed(bus, cpu.regs[2] as u16, step)?;
    }
    let mut chunk = REP_CHUNK;
    loop {
        if REP != REP_NONE && cpu.regs[1] & am == 0 {
            break;
        }
        if REP != REP_NONE && matches!(K, MOVS | STOS | CMPS | SCAS) {
            let n = fast_run::<B, K, W, A, REP>(cpu, bus, op, delta, chunk);
            if n != 0 {
                bump(&mut cpu.regs[1], n.wrapping_neg(), am);
                if (K == CMPS || K == SCAS) && cpu.regs[1] & am != 0 {
                    let zf = cpu.zf();
                    if (REP == REP_E && !zf) || (REP == REP_NE && zf) {
                        break;
                    }
                }
                // Fast runs count against the chunk like single iterations.
                chunk -= n;
                if chunk == 0 {
                    if cpu.regs[1] & am != 0 {
                        cpu.restart(op);
                        cpu.stop_block = true;
                    }
                    break;
                }
                continue;
            }
        }
        let si = cpu.regs[6] & am;
        let di = cpu.regs[7] & am;
        match K {
            MOVS => {
                let v = cpu.read::<W>(bus, op.seg, si)?;
                cpu.write::<W>(bus, ES, di, v)?;
                bump(&mut cpu.regs[6], delta, am);
                bump(&mut cpu.regs[7], delta, am);
            }
            CMPS => {
                let a = cpu.read::<W>(bus, op.seg, si)?;
                let b = cpu.read::<W>(bus, ES, di)?;
                cpu.set_lazy(LazyOp::Sub, W, a, b, a.wrapping_sub(b) & width_mask(W));
                bump(&mut cpu.regs[6], delta, am);
                bump(&mut cpu.regs[7], delta, am);
            }
            SCAS => {
                let a = cpu.reg_get::<W>(0);
                let b = cpu.read::<W>(bus, ES, di)?;
                cpu.set_lazy(LazyOp::Sub, W, a, b, a.wrapping_sub(b) & width_mask(W));
                bump(&mut cpu.regs[7], delta, am);
            }
            LODS => {
                let v = cpu.read::<W>(bus, op.seg, si)?;
                cpu.reg_set::<W>(0, v);
                bump(&mut cpu.regs[6], delta, am);
            }
            STOS => {
                let v = cpu.reg_get::<W>(0);
                cpu.write::<W>(bus, ES, di, v)?;
                bump(&mut cpu.regs[7], delta, am);
            }
            INS => {
                // Probe the destination before the port read has side effects.
                cpu.linear::<W>(ES, di)?;
                let v = cpu.port_in(bus, cpu.regs[2] as u16, step as u8);
                cpu.write::<W>(bus, ES, di, v)?;
                bump(&mut cpu.regs[7], delta, am);
            }
            _ => {
                let v = cpu.read::<W>(bus, op.seg, si)?;
                cpu.port_out(bus, cpu.regs[2] as u16, step as u8, v);
                bump(&mut cpu.regs[6], delta, am);
            }
        }
        if REP == REP_NONE {
            break;
        }
        bump(&mut cpu.regs[1], u32::MAX, am);
        if K == CMPS || K == SCAS {
            let zf = cpu.zf();
            if (REP == REP_E && !zf) || (REP == REP_NE && zf) {
                break;
            }
        }
        if cpu.exit.is_some() {
            // A device wants the machine: resume this REP afterwards.
            if cpu.regs[1] & am != 0 {
                cpu.restart(op);
            }
            break;
        }
        chunk -= 1;
        if chunk == 0 {
            if cpu.regs[1] & am != 0 {
                cpu.restart(op);
                cpu.stop_block = true;
            }
            break;
        }
    }
    Ok(())
}

/// How many `step`-byte elements from offset `off` (linear address `lin`)
/// onward, in the direction of `down`, lie inside the segment window
/// `lo..=hi` without wrapping the address size `am` and inside `lin`'s page.
/// 0 if even the first one does not (the element-wise path handles it).
#[inline(always)]
fn elems_in(off: u32, lo: u32, hi: u32, am: u32, lin: u32, step: u32, down: bool) -> u32 {
    let hi = hi.min(am);
    let pg = lin & 0xFFF;
    if off < lo || off > hi || hi - off < step - 1 || pg + step > 0x1000 {
        return 0;
    }
    // saturating: a 4 GiB segment with byte elements has 2^32 of them.
    if down {
        ((off - lo) / step).saturating_add(1).min(pg / step + 1)
    } else {
        ((hi - off - (step - 1)) / step)
            .saturating_add(1)
            .min((0x1000 - pg) / step)
    }
}

/// The REP fast path: runs as many iterations as stay within one page of
/// each operand, both already mapped by the TLB (reads through a read entry,
/// writes through a write entry, so the page holds no cached code and needs
/// no watch, breakpoint or alignment check), straight on host memory.
/// At most `max` iterations (what is left of the REP chunk). Returns the iterations done, SI/DI advanced and flags set as the
/// element-wise loop would have; 0 if it cannot run (the caller then does one
/// iteration the slow way, which also fills the TLB). Segment limits are
/// checked for the whole run up front, so it never faults.
#[inline(always)]
fn fast_run<B: Bus, const K: u8, const W: u32, const A: u32, const REP: u8>(
    cpu: &mut Cpu<B>,
    bus: &mut B,
    op: &Op<B>,
    delta: u32,
    max: u32,
) -> u32 {
    let am = width_mask(A);
    let step = W / 8;
    let down = delta != step;
    let mut n = (cpu.regs[1] & am).min(max);
    let si = cpu.regs[6] & am;
    let di = cpu.regs[7] & am;
    let mut src = 0;
    if matches!(K, MOVS | CMPS) {
        let s = &cpu.segx[op.seg as usize];
        let lin = s.base.wrapping_add(si);
        n = n.min(elems_in(si, s.rlo, s.rhi, am, lin, step, down));
        match cpu.tlb_host(lin, false) {
            Some(h) if n != 0 => src = h,
            _ => return 0,
        }
    }
    let d = &cpu.segx[ES as usize];
    let dlin = d.base.wrapping_add(di);
    let dst = if K == MOVS || K == STOS {
        n = n.min(elems_in(di, d.wlo, d.whi, am, dlin, step, down));
        cpu.tlb_host(dlin, true)
    } else {
        n = n.min(elems_in(di, d.rlo, d.rhi, am, dlin, step, down));
        cpu.tlb_host(dlin, false)
    };
    let Some(dst) = dst else { return 0 };
    if n == 0 {
        return 0;
    }
    let mem = bus.memory();
    // Host offset of element i: base + i*step upward, base - i*step downward.
    let at = |base: usize, i: u32| {
        if down {
            base - (i * step) as usize
        } else {
            base + (i * step) as usize
        }
    };
    let bytes = (n * step) as usize;
    match K {
        MOVS => {
            // memmove gives the element-wise result unless the destination
            // overlaps the source ahead of the copy direction, where the
            // element-wise copy repeats a pattern.
            let (slo, dlo) = if down {
                (at(src, n - 1), at(dst, n - 1))
            } else {
                (src, dst)
            };
            let ahead = if down { dst < src } else { dst > src };
            if !ahead || slo + bytes <= dlo || dlo + bytes <= slo {
                mem.copy_within(slo..slo + bytes, dlo);
            } else {
                for i in 0..n {
                    let v = load::<W>(mem, at(src, i));
                    store::<W>(mem, at(dst, i), v);
                }
            }
        }
        STOS => {
            let v = cpu.regs[0];
            let lo = if down { at(dst, n - 1) } else { dst };
            match W {
                8 => mem[lo..lo + bytes].fill(v as u8),
                16 => {
                    for c in mem[lo..lo + bytes].chunks_exact_mut(2) {
                        c.copy_from_slice(&(v as u16).to_le_bytes());
                    }
                }
                _ => {
                    for c in mem[lo..lo + bytes].chunks_exact_mut(4) {
                        c.copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
        }
        _ => {
            // CMPS, SCAS: stop after the first element that ends the REP.
            let mask = width_mask(W);
            let acc = cpu.regs[0] & mask;
            let (mut a, mut b) = (0, 0);
            let mut done = 0;
            while done < n {
                if K == CMPS {
                    a = load::<W>(mem, at(src, done));
                } else {
                    a = acc;
                }
                b = load::<W>(mem, at(dst, done));
                done += 1;
                if (REP == REP_E) != (a == b) {
                    break;
                }
            }
            cpu.set_lazy(LazyOp::Sub, W, a, b, a.wrapping_sub(b) & mask);
            n = done;
        }
    }
    cpu.stats.rep_fast_runs += 1;
    let moved = n.wrapping_mul(delta);
    if matches!(K, MOVS | CMPS) {
        bump(&mut cpu.regs[6], moved, am);
    }
    bump(&mut cpu.regs[7], moved, am);
    n
}

impl<B: Bus> Cpu<B> {
    /// Points EIP back at the op so it runs again.
    pub(crate) fn restart(&mut self, op: &Op<B>) {
        self.eip = self.eip.wrapping_sub(op.len as u32);
        if !self.code32() {
            self.eip &= 0xFFFF;
        }
    }
}
