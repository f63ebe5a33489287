//! The execution loop: find the block at CS:EIP, run its ops, deliver
//! faults and interrupts between them.

use std::rc::Rc;

use crate::bus::Bus;
use crate::cache::Block;
use crate::cpu::{Cpu, SegReg};
use crate::decode;
use crate::fault::{Exception, Fault, Result};
use crate::flags::{FLAG_IF, FLAG_RF, FLAG_TF};
use crate::interrupt::Source;
use crate::op::Op;

/// Why [`Cpu::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The instruction budget is spent, exactly.
    Budget,
    /// HLT executed; the CPU waits for an interrupt.
    Halted,
    /// A device asked for the machine's attention (a port write that
    /// rescheduled a timer or requested an exit).
    Attention,
    /// A fault while delivering a double fault: the processor shuts down.
    TripleFault,
    /// A breakpoint, watchpoint or catch set through the debugging API
    /// (see [`Cpu::debug_stop_reason`]).
    Debug,
    /// A hook asked to stop (see [`crate::HookCtx::stop`]).
    Hook,
}

/// Jump-cache entries (a power of two).
pub(crate) const JUMP_CACHE_SIZE: usize = 4096;

#[inline(always)]
fn jump_slot(lin: u32) -> usize {
    ((lin ^ (lin >> 12)) as usize) & (JUMP_CACHE_SIZE - 1)
}

/// One jump-cache entry: the block that starts at linear address `lin`.
pub(crate) struct JumpEntry<B: Bus> {
    pub lin: u32,
    pub mode: u8,
    pub tlb_gen: u64,
    pub cache_gen: u64,
    pub block: Option<Rc<Block<B>>>,
}

impl<B: Bus> JumpEntry<B> {
    pub const fn empty() -> Self {
        JumpEntry {
            lin: 0,
            mode: 0,
            tlb_gen: u64::MAX,
            cache_gen: u64::MAX,
            block: None,
        }
    }
}

/// Longest block, in instructions.
const MAX_BLOCK_OPS: usize = 64;

impl<B: Bus> Cpu<B> {
    /// The mode bits that change how bytes decode or execute.
    #[inline(always)]
    pub(crate) fn decode_mode(&self) -> u8 {
        self.code32() as u8 | ((self.protected() as u8) << 1)
    }

    /// Runs at most `budget` instructions.
    pub fn run(&mut self, bus: &mut B, budget: u64) -> Exit {
        let target = self.icount.saturating_add(budget);
        self.exit = None;
        while self.icount < target {
            if self.eflags & FLAG_IF != 0
                && self.irq_shadow != self.icount
                && bus.interrupt_pending()
            {
                let vector = bus.acknowledge_interrupt();
                self.halted = false;
                let ret = self.eip;
                self.deliver(bus, vector, None, ret, Source::External);
                if self.api_debug {
                    if let Some(stop) = self.watches.pending.take() {
                        self.debug_stop(stop);
                    }
                }
                if let Some(e) = self.exit.take() {
                    return e;
                }
            }
            if self.halted {
                return Exit::Halted;
            }
            self.update_alignment_check();
            let block = match self.fetch_block(bus) {
                Ok(b) => b,
                Err(f) => {
                    // A fetch fault ends the instruction like an execution
                    // fault: it counts, so `step` stops at the handler and a
                    // handler that faults the same way cannot spin forever
                    // inside one `run`.
                    self.icount += 1;
                    self.deliver_fault(bus, f, self.eip);
                    if let Some(e) = self.exit.take() {
                        return e;
                    }
                    continue;
                }
            };
            let left = (target - self.icount) as usize;
            let trap = self.eflags & FLAG_TF != 0;
            // One instruction at a time when something must be looked at
            // between instructions: the single-step trap, the STI/MOV SS
            // shadow (interrupts are checked right after the one instruction
            // it covers), armed breakpoints, a pending RF.
            let slow = trap
                || self.irq_shadow == self.icount
                || self.dbg_exec
                || self.dbg_data
                || self.api_debug
                || self.eflags & FLAG_RF != 0;
            if !slow {
                self.stop_block = false;
                // IP wraps at 64 KiB in 16-bit code. CS (and so its size)
                // only changes through ops that end a block, so the mask
                // holds for the whole block.
                let ip_mask = if self.code32() { u32::MAX } else { 0xFFFF };
                for op in &block.ops[..block.ops.len().min(left)] {
                    let start = self.eip;
                    self.eip = start.wrapping_add(op.len as u32) & ip_mask;
                    self.icount += 1;
                    if let Err(f) = (op.exec)(self, bus, op) {
                        self.deliver_fault(bus, f, start);
                        break;
                    }
                    if self.stop_block {
                        break;
                    }
                }
            } else {
                self.step_debug(bus, &block.ops[0], trap);
            }
            if let Some(e) = self.exit.take() {
                return e;
            }
        }
        Exit::Budget
    }

    /// One instruction with the debug checks around it: instruction
    /// breakpoints before (unless RF), data breakpoints and the single-step
    /// trap after, RF cleared once it has done its job.
    fn step_debug(&mut self, bus: &mut B, op: &Op<B>, trap: bool) {
        self.stats.slow_steps += 1;
        let start = self.eip;
        if self.api_debug {
            if let Some(stop) = self.breakpoint_at(start) {
                self.debug_stop(stop);
                return;
            }
            if self.has_hooks() && self.hooks_before(bus, op.len) == crate::hooks::Before::Skip {
                return;
            }
        }
        let mode_before = self.mode();
        let rf = self.eflags & FLAG_RF != 0;
        if self.dbg_exec && !rf {
            let lin = self.seg[SegReg::Cs as usize].base.wrapping_add(start);
            let hits = self.exec_bp_hits(lin);
            if hits != 0 {
                self.dr[6] = (self.dr[6] & !0xF) | hits;
                self.icount += 1;
                self.deliver_fault(bus, Fault::new(Exception::Debug), start);
                return;
            }
        }
        self.stop_block = false;
        self.dbg_hits = 0;
        self.ss_shadow = false;
        self.eip = start.wrapping_add(op.len as u32);
        if !self.code32() {
            self.eip &= 0xFFFF;
        }
        self.icount += 1;
        if let Err(f) = (op.exec)(self, bus, op) {
            self.deliver_fault(bus, f, start);
            self.after_debug_step(bus, mode_before);
            return;
        }
        if rf {
            self.eflags &= !FLAG_RF;
        }
        let mut dr6 = 0;
        if self.dbg_hits != 0 {
            dr6 |= self.dbg_hits;
            self.dbg_hits = 0;
        }
        if trap && !std::mem::take(&mut self.ss_shadow) {
            dr6 |= crate::debug::DR6_BS;
        }
        // A port write that wants the machine at once (Attention) still
        // traps; only a real stop (halt, shutdown, debugger) defers it.
        if dr6 != 0 && (self.exit.is_none() || self.exit == Some(Exit::Attention)) {
            self.dr[6] = (self.dr[6] & !0xF) | dr6;
            let ret = self.eip;
            self.deliver(bus, Exception::Debug as u8, None, ret, Source::Exception);
        }
        self.after_debug_step(bus, mode_before);
    }

    /// Turns what the debugger watches into a stop after an instruction.
    fn after_debug_step(&mut self, bus: &mut B, mode_before: crate::watch::CpuMode) {
        if !self.api_debug {
            return;
        }
        self.hook_injection(bus);
        if self.watches.mode_switches && self.watches.pending.is_none() {
            let now = self.mode();
            if now != mode_before {
                self.watches.pending = Some(crate::watch::DebugStop::ModeSwitch {
                    from: mode_before,
                    to: now,
                });
            }
        }
        if let Some(stop) = self.watches.pending.take() {
            if self.exit.is_none() || self.exit == Some(Exit::Attention) {
                self.debug_stop(stop);
            }
        }
    }

    /// Runs exactly one instruction (a REP string instruction runs to the end).
    pub fn step(&mut self, bus: &mut B) -> Exit {
        self.run(bus, 1)
    }

    fn fetch_block(&mut self, bus: &mut B) -> Result<Rc<Block<B>>> {
        let cs = self.seg[SegReg::Cs as usize];
        if self.eip > cs.limit {
            return Err(Fault::GP0);
        }
        // Code bytes up to the CS limit: an instruction that runs past it
        // raises #GP(0) (it does not wrap as on an 8086).
        let room = ((cs.limit - self.eip) as usize).saturating_add(1);
        let lin = cs.base.wrapping_add(self.eip);
        let mode = self.decode_mode();
        // The jump cache: linear address to block, valid while neither the
        // TLB nor the code cache has changed since it was filled.
        let slot = &self.jump_cache[jump_slot(lin)];
        if slot.lin == lin
            && slot.mode == mode
            && slot.tlb_gen == self.tlb.gen
            && slot.cache_gen == self.cache.gen
        {
            if let Some(b) = &slot.block {
                if b.bytes as usize <= room {
                    return Ok(b.clone());
                }
            }
        }
        self.stats.jump_cache_misses += 1;
        if let Some(host) = self.code_host(bus, lin)? {
            if let Some(b) = self.cache.lookup(host, mode) {
                if b.bytes as usize <= room {
                    self.remember_jump(lin, mode, &b);
                    return Ok(b);
                }
            }
            let page_end = (host & !0xFFF) + 0x1000;
            let end = page_end.min(host.saturating_add(room));
            let mut ops = Vec::with_capacity(16);
            self.stats.blocks_decoded += 1;
            let used = {
                let bytes = &bus.memory()[host..end];
                decode::decode_block(bytes, self.eip, self.code32(), MAX_BLOCK_OPS, &mut ops)
            };
            if !ops.is_empty() {
                let block = Rc::new(Block {
                    ops: ops.into_boxed_slice(),
                    mode,
                    bytes: used as u32,
                });
                if self.cache.insert(host, used, block.clone()) {
                    self.code_page_added();
                }
                self.remember_jump(lin, mode, &block);
                return Ok(block);
            }
        }
        // Code in MMIO space, or an instruction straddling a page or the CS
        // limit: decode one instruction from bytes fetched one by one; not
        // cached.
        let mut buf = [0u8; 15];
        let want = buf.len().min(room);
        let mut got = 0;
        let mut fetch_fault = None;
        for (i, b) in buf[..want].iter_mut().enumerate() {
            match self.code_byte(bus, lin.wrapping_add(i as u32)) {
                Ok(v) => {
                    *b = v;
                    got = i + 1;
                }
                Err(f) if i == 0 => return Err(f),
                Err(f) => {
                    fetch_fault = Some(f);
                    break;
                }
            }
        }
        let mut ops = Vec::with_capacity(1);
        self.stats.blocks_decoded += 1;
        let used = decode::decode_block(&buf[..got], self.eip, self.code32(), 1, &mut ops);
        if ops.is_empty() {
            // The bytes ran out before the instruction did.
            return Err(match fetch_fault {
                Some(f) => f,
                None if got == room => Fault::GP0,
                None => Fault::UD,
            });
        }
        Ok(Rc::new(Block {
            ops: ops.into_boxed_slice(),
            mode,
            bytes: used as u32,
        }))
    }

    fn remember_jump(&mut self, lin: u32, mode: u8, block: &Rc<Block<B>>) {
        self.jump_cache[jump_slot(lin)] = JumpEntry {
            lin,
            mode,
            tlb_gen: self.tlb.gen,
            cache_gen: self.cache.gen,
            block: Some(block.clone()),
        };
    }

    /// Delivers an exception raised by the instruction that began at `start`.
    pub(crate) fn deliver_fault(&mut self, bus: &mut B, f: Fault, start: u32) {
        // Faults restart the instruction; traps are delivered by their handlers.
        self.eip = start;
        self.stop_block = true;
        self.deliver(bus, f.vector as u8, f.error_code, start, Source::Exception);
    }
}
