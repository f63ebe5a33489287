//! Breakpoints and watchpoints for embedders and debuggers (distinct from
//! the guest's own debug registers in `debug.rs`).
//!
//! The fast path pays one test per block: while any of these is set the
//! loop runs one instruction at a time through `Cpu::step_debug`, which
//! checks execution breakpoints before an instruction and everything else
//! after it. Memory watchpoints also keep the TLB empty, so every access
//! takes the slow path where it is compared with the watched ranges.
//! Adding or removing one takes effect on the very next instruction.

use crate::bus::Bus;
use crate::cpu::{Cpu, SegReg, CR0_PE, CR0_PG};
use crate::exec::Exit;
use crate::flags::FLAG_VM;

/// What a memory watchpoint reacts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    /// Reads and writes.
    Any,
}

impl Access {
    fn matches(self, write: bool) -> bool {
        match self {
            Access::Read => !write,
            Access::Write => write,
            Access::Any => true,
        }
    }
}

/// An execution breakpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breakpoint {
    /// Stop before executing the instruction at this linear address.
    Linear(u32),
    /// Stop before executing the instruction at this CS selector and IP.
    CsIp(u16, u32),
}

/// A watched range of linear addresses or ports (`start..=end`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watch {
    pub start: u32,
    pub end: u32,
    pub access: Access,
}

/// Why the last instruction stopped the run for the debugger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugStop {
    /// About to execute an instruction at a breakpoint (it has not run).
    Breakpoint { linear: u32 },
    /// An access touched a watched range (the instruction has completed).
    Watchpoint { linear: u32, write: bool },
    /// A port access in a watched range (the instruction has completed).
    Port { port: u16, write: bool },
    /// An interrupt or exception with a caught vector was delivered; the
    /// CPU is at the first instruction of its handler.
    Interrupt { vector: u8 },
    /// Real/protected/V86 mode or paging changed.
    ModeSwitch { from: CpuMode, to: CpuMode },
    /// Bochs's magic breakpoint, `xchg bx, bx` (the instruction has run).
    Magic,
}

/// The execution mode, for mode-switch stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuMode {
    pub protected: bool,
    pub paging: bool,
    pub v86: bool,
}

/// The debugger's settings.
#[derive(Clone, Debug, Default)]
pub(crate) struct Watches {
    pub breakpoints: Vec<Breakpoint>,
    pub memory: Vec<Watch>,
    pub ports: Vec<Watch>,
    /// Caught interrupt vectors, one bit each.
    pub vectors: [u64; 4],
    pub mode_switches: bool,
    pub magic: bool,
    /// The instruction the last breakpoint stop was at: it runs once
    /// without stopping again when the run resumes.
    pub resume_at: Option<u32>,
    /// A stop found during the current instruction.
    pub pending: Option<DebugStop>,
}

impl Watches {
    pub fn any(&self) -> bool {
        !self.breakpoints.is_empty()
            || !self.memory.is_empty()
            || !self.ports.is_empty()
            || self.vectors != [0; 4]
            || self.mode_switches
    }
}

impl<B: Bus> Cpu<B> {
    /// Adds an execution breakpoint.
    pub fn add_breakpoint(&mut self, bp: Breakpoint) {
        if !self.watches.breakpoints.contains(&bp) {
            self.watches.breakpoints.push(bp);
        }
        self.watches_changed();
    }

    pub fn remove_breakpoint(&mut self, bp: Breakpoint) {
        self.watches.breakpoints.retain(|b| *b != bp);
        self.watches_changed();
    }

    /// Watches `len` bytes of linear memory from `start`.
    pub fn add_watchpoint(&mut self, start: u32, len: u32, access: Access) {
        let end = start.wrapping_add(len.max(1) - 1);
        self.watches.memory.push(Watch { start, end, access });
        self.watches_changed();
    }

    pub fn remove_watchpoint(&mut self, start: u32, len: u32) {
        let end = start.wrapping_add(len.max(1) - 1);
        self.watches
            .memory
            .retain(|w| !(w.start == start && w.end == end));
        self.watches_changed();
    }

    /// Watches the ports `first..=last`.
    pub fn add_port_watch(&mut self, first: u16, last: u16, access: Access) {
        self.watches.ports.push(Watch {
            start: first as u32,
            end: last as u32,
            access,
        });
        self.watches_changed();
    }

    pub fn remove_port_watch(&mut self, first: u16, last: u16) {
        self.watches
            .ports
            .retain(|w| !(w.start == first as u32 && w.end == last as u32));
        self.watches_changed();
    }

    /// Stops after an interrupt or exception with this vector is delivered.
    pub fn catch_vector(&mut self, vector: u8, on: bool) {
        let (i, b) = (vector as usize / 64, 1u64 << (vector % 64));
        if on {
            self.watches.vectors[i] |= b;
        } else {
            self.watches.vectors[i] &= !b;
        }
        self.watches_changed();
    }

    /// Stops whenever protected mode, paging or V86 mode turns on or off.
    pub fn catch_mode_switches(&mut self, on: bool) {
        self.watches.mode_switches = on;
        self.watches_changed();
    }

    /// Makes `xchg bx, bx` stop the run, as Bochs's magic breakpoint does.
    pub fn set_magic_breakpoint(&mut self, on: bool) {
        self.watches.magic = on;
    }

    /// Removes every breakpoint, watchpoint and catch.
    pub fn clear_watches(&mut self) {
        let magic = self.watches.magic;
        self.watches = Watches {
            magic,
            ..Watches::default()
        };
        self.watches_changed();
    }

    pub fn mode(&self) -> CpuMode {
        CpuMode {
            protected: self.cr0 & CR0_PE != 0,
            paging: self.cr0 & CR0_PG != 0,
            v86: self.eflags & FLAG_VM != 0,
        }
    }

    /// Recomputes the slow-lane flags from the watches and the hooks.
    pub(crate) fn watches_changed(&mut self) {
        self.api_debug = self.watches.any() || self.has_hooks();
        let mem = !self.watches.memory.is_empty() || self.hooks.wants_memory();
        if mem != self.api_mem_watch {
            self.api_mem_watch = mem;
            self.tlb.flush();
        }
    }

    /// Is the instruction at CS:`eip` a breakpoint to stop before?
    pub(crate) fn breakpoint_at(&mut self, eip: u32) -> Option<DebugStop> {
        let cs = self.seg[SegReg::Cs as usize];
        let linear = cs.base.wrapping_add(eip);
        if self.watches.resume_at.take() == Some(linear) {
            return None;
        }
        let hit = self.watches.breakpoints.iter().any(|b| match *b {
            Breakpoint::Linear(a) => a == linear,
            Breakpoint::CsIp(sel, ip) => sel == cs.selector && ip == eip,
        });
        hit.then(|| {
            self.watches.resume_at = Some(linear);
            DebugStop::Breakpoint { linear }
        })
    }

    /// Called by the slow memory path for every access while watched.
    pub(crate) fn check_memory_watch(&mut self, lin: u32, size: u32, write: bool) {
        let last = lin.wrapping_add(size - 1);
        if self.watches.pending.is_none()
            && self
                .watches
                .memory
                .iter()
                .any(|w| w.access.matches(write) && lin <= w.end && w.start <= last)
        {
            self.watches.pending = Some(DebugStop::Watchpoint { linear: lin, write });
        }
    }

    /// Called for every port access while watched.
    pub(crate) fn check_port_watch(&mut self, port: u16, write: bool) {
        let p = port as u32;
        if self.watches.pending.is_none()
            && self
                .watches
                .ports
                .iter()
                .any(|w| w.access.matches(write) && w.start <= p && p <= w.end)
        {
            self.watches.pending = Some(DebugStop::Port { port, write });
        }
    }

    /// Called after an interrupt or exception was delivered.
    pub(crate) fn check_vector(&mut self, vector: u8) {
        if self.watches.vectors[vector as usize / 64] & (1 << (vector % 64)) != 0
            && self.watches.pending.is_none()
        {
            self.watches.pending = Some(DebugStop::Interrupt { vector });
        }
    }

    /// Ends the current instruction for the debugger.
    pub(crate) fn debug_stop(&mut self, stop: DebugStop) {
        self.last_debug_stop = Some(stop);
        self.exit = Some(Exit::Debug);
        self.stop_block = true;
    }

    /// What stopped the last run that returned [`Exit::Debug`].
    pub fn debug_stop_reason(&self) -> Option<DebugStop> {
        self.last_debug_stop
    }
}

/// `xchg bx, bx`: an exchange that changes nothing, or a stop for the
/// debugger when the magic breakpoint is on.
pub(crate) fn magic_xchg<B: Bus>(
    cpu: &mut Cpu<B>,
    _bus: &mut B,
    _op: &crate::op::Op<B>,
) -> crate::fault::Result<()> {
    if cpu.watches.magic {
        cpu.debug_stop(DebugStop::Magic);
    }
    Ok(())
}
