//! Hooks: the embedder's code, called from inside the CPU at instruction
//! boundaries, memory and port accesses, interrupt delivery, CPUID and MSR
//! accesses.
//!
//! Installed hooks ride on the debugger's slow lane (see `watch.rs`): while
//! any is installed the loop runs one instruction at a time through
//! `Cpu::step_debug`, and while one wants memory accesses no TLB entries
//! are made, so every access takes the slow path where the hook is called.
//! With no hook installed nothing here runs and the fast path is unchanged:
//! the hooks share the flags (`api_debug`, `api_mem_watch`) the debugger's
//! breakpoints and watchpoints already set.
//!
//! ```
//! use oxbox_cpu::{Cpu, CpuModel, Exit, FlatRam, HookCtx, Hooks, Insn};
//!
//! /// Counts instructions and stops the run at linear address 0x106.
//! #[derive(Default)]
//! struct StopAt { seen: u32 }
//! impl Hooks<FlatRam> for StopAt {
//!     fn before_instruction(&mut self, ctx: &mut HookCtx<'_, FlatRam>, insn: Insn) {
//!         self.seen += 1;
//!         if insn.linear == 0x106 {
//!             ctx.stop();
//!         }
//!     }
//! }
//!
//! let mut bus = FlatRam::new(0x10000);
//! // mov ax, 1 ; inc ax ; inc ax ; hlt   at 0000:0100
//! bus.0[0x100..0x107].copy_from_slice(&[0xB8, 0x01, 0x00, 0x40, 0x40, 0x40, 0xF4]);
//! let mut cpu = Cpu::new(CpuModel::I486);
//! cpu.set_segment_real(oxbox_cpu::SegReg::Cs, 0);
//! cpu.set_eip(0x100);
//! let id = cpu.add_hooks(StopAt::default());
//! assert_eq!(cpu.run(&mut bus, 100), Exit::Hook);
//! // The HLT at 0x106 has not run; the four instructions before it have.
//! assert_eq!((cpu.eip(), cpu.gpr(0), cpu.instruction_count()), (0x106, 4, 4));
//! assert_eq!(cpu.hooks_mut::<StopAt>(id).map(|h| h.seen), Some(5));
//! ```

use std::any::Any;

use crate::bus::{Bus, PageMap};
use crate::cpu::{Cpu, SegReg};
use crate::exec::Exit;
use crate::interrupt::Source;

/// Which events a [`Hooks`] implementation is called for (a bit set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Events(u8);

impl Events {
    pub const NONE: Events = Events(0);
    /// [`Hooks::before_instruction`].
    pub const INSTRUCTION: Events = Events(1);
    /// [`Hooks::memory`]. Makes every memory access take the slow path.
    pub const MEMORY: Events = Events(2);
    /// [`Hooks::port_in`] and [`Hooks::port`].
    pub const PORT: Events = Events(4);
    /// [`Hooks::interrupt`].
    pub const INTERRUPT: Events = Events(8);
    /// [`Hooks::cpuid`].
    pub const CPUID: Events = Events(16);
    /// [`Hooks::rdmsr`] and [`Hooks::wrmsr`].
    pub const MSR: Events = Events(32);
    pub const ALL: Events = Events(63);

    pub const fn contains(self, other: Events) -> bool {
        self.0 & other.0 == other.0
    }

    const fn intersects(self, other: Events) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for Events {
    type Output = Events;
    fn bitor(self, rhs: Events) -> Events {
        Events(self.0 | rhs.0)
    }
}

/// The instruction about to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    /// Linear address of its first byte (CS base + EIP).
    pub linear: u32,
    pub cs: u16,
    pub eip: u32,
    /// Length in bytes (read them with [`HookCtx::read_linear`]).
    pub len: u8,
}

/// A data access by the guest, as the CPU performs it: operands wider than
/// 4 bytes (x87, SSE, far pointers, descriptors) arrive as several accesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemAccess {
    pub linear: u32,
    /// Physical address of the first byte (an access that crosses a page
    /// continues at the next page's own physical address).
    pub physical: u32,
    /// 1, 2 or 4 bytes.
    pub size: u8,
    /// The value read, or the value written.
    pub value: u32,
    pub write: bool,
}

/// A port access by IN, OUT, INS or OUTS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortAccess {
    pub port: u16,
    /// 1, 2 or 4 bytes.
    pub size: u8,
    /// The value the guest received (IN) or sent (OUT).
    pub value: u32,
    pub write: bool,
}

/// Where an interrupt or exception comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterruptKind {
    /// A hardware interrupt from the INTR line.
    External,
    /// INT n, INT3, INTO.
    Software,
    /// An exception raised by an instruction, by delivery itself (#DF, or
    /// #GP/#NP/#SS/#PF met while delivering), or injected by a hook.
    Exception,
}

/// One attempt to deliver an interrupt or exception, reported before the
/// processor reads the IVT/IDT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterruptEvent {
    pub vector: u8,
    pub kind: InterruptKind,
    pub error_code: Option<u32>,
}

/// The four registers CPUID returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuidResult {
    pub eax: u32,
    pub ebx: u32,
    pub ecx: u32,
    pub edx: u32,
}

/// What a [`Hooks::wrmsr`] makes of a WRMSR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MsrWrite {
    /// The processor handles it as it would without the hook.
    #[default]
    Default,
    /// The hook took the value; the processor does nothing more.
    Accept,
    /// The write raises #GP(0).
    Fault,
}

/// Identifies an installed [`Hooks`] value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HookId(u64);

/// A linear address that does not map to physical memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unmapped {
    pub linear: u32,
}

impl std::fmt::Display for Unmapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "linear address {:#010x} is not mapped", self.linear)
    }
}

impl std::error::Error for Unmapped {}

/// Code the CPU calls at the points below. Every method defaults to doing
/// nothing; [`Hooks::events`] says which ones are wanted.
///
/// Through the [`HookCtx`] a hook reads and changes registers and memory,
/// stops the run ([`HookCtx::stop`]: `Cpu::run` returns [`Exit::Hook`]) or
/// injects an exception ([`HookCtx::inject_exception`]). Hooks are called
/// in the order they were installed; a hook is not called again while it
/// runs (nothing a hook does through its context reaches the hooks).
pub trait Hooks<B: Bus>: Any {
    /// The events to call this value for, read once when it is installed.
    /// Leaving out [`Events::MEMORY`] keeps memory accesses on the TLB.
    fn events(&self) -> Events {
        Events::ALL
    }

    /// Before each instruction, with registers as they are before it. A
    /// stop or an injected exception here means the instruction does not
    /// run (a stopped one runs when the run resumes, without this hook
    /// being called for it a second time); a change of CS, EIP or of the
    /// code bytes takes effect before it (the instruction is fetched
    /// again, and the hook is called for the new one if CS:EIP moved).
    /// An instruction whose fetch faults is not reported here (its fault
    /// reaches [`Hooks::interrupt`]).
    fn before_instruction(&mut self, _ctx: &mut HookCtx<'_, B>, _insn: Insn) {}

    /// After each data read or write that succeeded (memory holds the new
    /// value). Instruction fetches and page-table walks are not reported.
    fn memory(&mut self, _ctx: &mut HookCtx<'_, B>, _access: MemAccess) {}

    /// Before an IN (or one INS element) reads the device: `Some(value)`
    /// is what the guest receives, and the device is not touched.
    fn port_in(&mut self, _ctx: &mut HookCtx<'_, B>, _port: u16, _size: u8) -> Option<u32> {
        None
    }

    /// After each port access, with the value that moved.
    fn port(&mut self, _ctx: &mut HookCtx<'_, B>, _access: PortAccess) {}

    /// Before each attempt to deliver an interrupt or exception. A stop
    /// requested here takes effect once delivery is done, at the handler.
    fn interrupt(&mut self, _ctx: &mut HookCtx<'_, B>, _event: InterruptEvent) {}

    /// CPUID with leaf EAX and subleaf ECX: `result` holds what the
    /// processor returns and may be changed.
    fn cpuid(
        &mut self,
        _ctx: &mut HookCtx<'_, B>,
        _leaf: u32,
        _subleaf: u32,
        _result: &mut CpuidResult,
    ) {
    }

    /// RDMSR (at CPL 0): `value` is what the processor returns, `None`
    /// for #GP(0); the hook may change it either way.
    fn rdmsr(&mut self, _ctx: &mut HookCtx<'_, B>, _msr: u32, _value: &mut Option<u64>) {}

    /// WRMSR (at CPL 0), before the processor acts on it.
    fn wrmsr(&mut self, _ctx: &mut HookCtx<'_, B>, _msr: u32, _value: u64) -> MsrWrite {
        MsrWrite::Default
    }
}

/// What a hook reaches: the processor's registers and memory, and the run.
pub struct HookCtx<'a, B: Bus> {
    cpu: &'a mut Cpu<B>,
    bus: &'a mut B,
}

impl<B: Bus> HookCtx<'_, B> {
    /// Registers and the rest of the processor's state.
    pub fn cpu(&self) -> &Cpu<B> {
        self.cpu
    }

    /// Changes registers (`set_gpr`, `set_eip`, `set_eflags`,
    /// `set_segment`, ...). Hooks cannot be removed from here.
    pub fn cpu_mut(&mut self) -> &mut Cpu<B> {
        self.cpu
    }

    /// The bus (devices), for embedders with their own bus type.
    pub fn bus(&mut self) -> &mut B {
        self.bus
    }

    /// Ends the run after the current instruction (before it, from
    /// [`Hooks::before_instruction`]): `Cpu::run` returns [`Exit::Hook`].
    pub fn stop(&mut self) {
        if matches!(self.cpu.exit, None | Some(Exit::Attention)) {
            self.cpu.exit = Some(Exit::Hook);
        }
        self.cpu.stop_block = true;
    }

    /// Delivers exception `vector` through the guest's IVT/IDT at the next
    /// instruction boundary: instead of the instruction when called from
    /// [`Hooks::before_instruction`] (the return address is that
    /// instruction), else right after the current instruction (the return
    /// address is the next one). The gate's DPL is not checked, as for any
    /// exception; `error_code` is pushed if given (in protected mode).
    pub fn inject_exception(&mut self, vector: u8, error_code: Option<u32>) {
        self.cpu.hooks.inject = Some((vector, error_code));
        self.cpu.stop_block = true;
    }

    /// Reads physical memory with no side effects: device memory and
    /// holes read as 0xFF.
    pub fn read_physical(&mut self, addr: u32, buf: &mut [u8]) {
        let mut done = 0;
        while done < buf.len() {
            let a = addr.wrapping_add(done as u32);
            // The rest of this page, at most.
            let n = (0x1000 - (a & 0xFFF) as usize).min(buf.len() - done);
            let part = &mut buf[done..done + n];
            match self.bus.map_page(a) {
                PageMap::Direct { offset, .. } => {
                    let start = offset + (a & 0xFFF) as usize;
                    match self.bus.memory().get(start..start + n) {
                        Some(src) => part.copy_from_slice(src),
                        None => part.fill(0xFF),
                    }
                }
                PageMap::Mmio => part.fill(0xFF),
            }
            done += n;
        }
    }

    /// Writes physical RAM or ROM; bytes on device memory are skipped.
    /// Cached code there is dropped and the write counts as dirtying the
    /// page (snapshots restore it).
    pub fn write_physical(&mut self, addr: u32, data: &[u8]) {
        for (i, &v) in data.iter().enumerate() {
            let a = addr.wrapping_add(i as u32);
            if let PageMap::Direct { offset, .. } = self.bus.map_page(a) {
                let o = offset + (a & 0xFFF) as usize;
                if let Some(slot) = self.bus.memory().get_mut(o) {
                    *slot = v;
                    self.bus.note_ram_write(o);
                    self.cpu.invalidate_memory(o, 1);
                }
            }
        }
    }

    /// Reads linear memory through the current page tables with no side
    /// effects (no accessed bits, no fault).
    pub fn read_linear(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), Unmapped> {
        let mut done = 0;
        while done < buf.len() {
            let lin = addr.wrapping_add(done as u32);
            let n = (0x1000 - (lin & 0xFFF) as usize).min(buf.len() - done);
            let p = self
                .cpu
                .translate_debug(self.bus, lin)
                .ok_or(Unmapped { linear: lin })?;
            // Within a page the physical bytes are contiguous (the A20
            // mask only touches bit 20, never inside a page).
            self.read_physical(p, &mut buf[done..done + n]);
            done += n;
        }
        Ok(())
    }

    /// Writes linear memory; nothing is written if any byte is unmapped.
    pub fn write_linear(&mut self, addr: u32, data: &[u8]) -> Result<(), Unmapped> {
        let mut phys = Vec::with_capacity(data.len());
        for i in 0..data.len() {
            let lin = addr.wrapping_add(i as u32);
            phys.push(
                self.cpu
                    .translate_debug(self.bus, lin)
                    .ok_or(Unmapped { linear: lin })?,
            );
        }
        for (p, v) in phys.into_iter().zip(data) {
            self.write_physical(p, std::slice::from_ref(v));
        }
        Ok(())
    }
}

struct Slot<B: Bus> {
    id: HookId,
    events: Events,
    hook: Box<dyn Hooks<B>>,
}

/// The installed hooks and their requests.
pub(crate) struct HookSet<B: Bus> {
    slots: Vec<Slot<B>>,
    /// The union of the installed hooks' events.
    events: Events,
    next_id: u64,
    /// An exception a hook injected, delivered at the next boundary.
    pub inject: Option<(u8, Option<u32>)>,
    /// (instruction count, linear address) of an instruction the
    /// before-instruction hooks have seen but that has not run yet.
    seen: Option<(u64, u32)>,
    /// A code fetch byte by byte is under way (not a data access).
    pub fetching: bool,
    /// The hooks are out of `slots`, running.
    running: bool,
}

impl<B: Bus> HookSet<B> {
    pub fn new() -> Self {
        HookSet {
            slots: Vec::new(),
            events: Events::NONE,
            next_id: 1,
            inject: None,
            seen: None,
            fetching: false,
            running: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty() && !self.running
    }

    pub fn wants_memory(&self) -> bool {
        self.events.contains(Events::MEMORY)
    }
}

/// What `Cpu::hooks_before` decided about the instruction at CS:EIP.
#[derive(PartialEq, Eq)]
pub(crate) enum Before {
    /// Run it.
    Run,
    /// Do not run it now: the loop looks at CS:EIP again.
    Skip,
}

impl<B: Bus> Cpu<B> {
    /// Installs `hooks`; it is called from the next instruction on.
    pub fn add_hooks<H: Hooks<B>>(&mut self, hooks: H) -> HookId {
        let id = HookId(self.hooks.next_id);
        self.hooks.next_id += 1;
        self.hooks.slots.push(Slot {
            id,
            events: hooks.events(),
            hook: Box::new(hooks),
        });
        self.hooks_changed();
        id
    }

    /// Removes a hook and hands it back (`None` if `id` is not installed,
    /// or when called from inside a hook).
    pub fn remove_hooks(&mut self, id: HookId) -> Option<Box<dyn Hooks<B>>> {
        let i = self.hooks.slots.iter().position(|s| s.id == id)?;
        let slot = self.hooks.slots.remove(i);
        self.hooks_changed();
        Some(slot.hook)
    }

    /// Removes a hook of type `H` and hands it back.
    pub fn take_hooks<H: Hooks<B>>(&mut self, id: HookId) -> Option<H> {
        let i = self.hooks.slots.iter().position(|s| s.id == id)?;
        if !(&*self.hooks.slots[i].hook as &dyn Any).is::<H>() {
            return None;
        }
        let hook: Box<dyn Any> = self.remove_hooks(id)?;
        hook.downcast::<H>().ok().map(|b| *b)
    }

    /// The installed hook `id`, if it is an `H`.
    pub fn hooks_mut<H: Hooks<B>>(&mut self, id: HookId) -> Option<&mut H> {
        let slot = self.hooks.slots.iter_mut().find(|s| s.id == id)?;
        (&mut *slot.hook as &mut dyn Any).downcast_mut::<H>()
    }

    fn hooks_changed(&mut self) {
        self.hooks.events = self
            .hooks
            .slots
            .iter()
            .fold(Events::NONE, |acc, s| acc | s.events);
        self.hooks.seen = None;
        self.watches_changed();
    }

    /// Calls `f` for every hook that wants `ev`, with a context on this CPU.
    fn call_hooks(
        &mut self,
        bus: &mut B,
        ev: Events,
        mut f: impl FnMut(&mut dyn Hooks<B>, &mut HookCtx<'_, B>),
    ) {
        if !self.hooks.events.intersects(ev) {
            return;
        }
        // The hooks are out of the CPU while they run, so a context can
        // borrow the CPU whole (and a hook can never reach itself).
        let mut slots = std::mem::take(&mut self.hooks.slots);
        // A hook that sets or clears a breakpoint recomputes the slow-lane
        // flags: the hooks must still count as installed then.
        let running = std::mem::replace(&mut self.hooks.running, true);
        {
            let mut ctx = HookCtx { cpu: self, bus };
            for s in slots.iter_mut().filter(|s| s.events.intersects(ev)) {
                f(&mut *s.hook, &mut ctx);
            }
        }
        self.hooks.running = running;
        let added = std::mem::replace(&mut self.hooks.slots, slots);
        if !added.is_empty() {
            self.hooks.slots.extend(added);
            self.hooks_changed();
        }
    }

    /// The before-instruction hooks for the instruction at CS:EIP, `len`
    /// bytes long, and the exception a hook injected earlier.
    #[cold]
    #[inline(never)]
    pub(crate) fn hooks_before(&mut self, bus: &mut B, len: u8) -> Before {
        if self.hook_injection(bus) {
            return Before::Skip;
        }
        let cs = self.seg[SegReg::Cs as usize];
        let eip = self.eip;
        let linear = cs.base.wrapping_add(eip);
        if self.hooks.seen.take() == Some((self.icount, linear)) {
            return Before::Run;
        }
        if !self.hooks.events.contains(Events::INSTRUCTION) {
            return Before::Run;
        }
        let mode = self.decode_mode();
        self.stop_block = false;
        let insn = Insn {
            linear,
            cs: cs.selector,
            eip,
            len,
        };
        self.call_hooks(bus, Events::INSTRUCTION, |h, ctx| {
            h.before_instruction(ctx, insn)
        });
        if self.hook_injection(bus) {
            return Before::Skip;
        }
        let now = self.seg[SegReg::Cs as usize];
        if self.eip != eip
            || now.selector != cs.selector
            || now.base != cs.base
            || self.decode_mode() != mode
        {
            return Before::Skip;
        }
        if self.exit.is_some() || self.stop_block {
            // Stopped, or the code changed under the decoded op: the
            // instruction runs (fetched afresh) without a second call.
            self.hooks.seen = Some((self.icount, linear));
            return Before::Skip;
        }
        Before::Run
    }

    /// Delivers an exception a hook injected, if any, returning to EIP.
    #[cold]
    #[inline(never)]
    pub(crate) fn hook_injection(&mut self, bus: &mut B) -> bool {
        let Some((vector, code)) = self.hooks.inject.take() else {
            return false;
        };
        self.halted = false;
        let ret = self.eip;
        self.deliver(bus, vector, code, ret, Source::Exception);
        true
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn hook_memory(&mut self, bus: &mut B, access: MemAccess) {
        if !self.hooks.fetching {
            self.call_hooks(bus, Events::MEMORY, |h, ctx| h.memory(ctx, access));
        }
    }

    /// An IN while the debugger or hooks look on: watches, the hooks'
    /// value, else the device.
    #[cold]
    #[inline(never)]
    pub(crate) fn port_in_watched(&mut self, bus: &mut B, port: u16, size: u8) -> u32 {
        self.check_port_watch(port, false);
        let mut supplied = None;
        self.call_hooks(bus, Events::PORT, |h, ctx| {
            if supplied.is_none() {
                supplied = h.port_in(ctx, port, size);
            }
        });
        let value = match supplied {
            Some(v) => v & (u32::MAX >> (32 - 8 * size as u32)),
            None => {
                bus.sync(self.icount);
                bus.io_in(port, size)
            }
        };
        let access = PortAccess {
            port,
            size,
            value,
            write: false,
        };
        self.call_hooks(bus, Events::PORT, |h, ctx| h.port(ctx, access));
        value
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn hook_port_out(&mut self, bus: &mut B, port: u16, size: u8, value: u32) {
        let access = PortAccess {
            port,
            size,
            value,
            write: true,
        };
        self.call_hooks(bus, Events::PORT, |h, ctx| h.port(ctx, access));
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn hook_interrupt(
        &mut self,
        bus: &mut B,
        vector: u8,
        error_code: Option<u32>,
        source: Source,
    ) {
        let kind = match source {
            Source::External => InterruptKind::External,
            Source::Software => InterruptKind::Software,
            Source::Exception => InterruptKind::Exception,
        };
        let event = InterruptEvent {
            vector,
            kind,
            error_code,
        };
        self.call_hooks(bus, Events::INTERRUPT, |h, ctx| h.interrupt(ctx, event));
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn hook_cpuid(&mut self, bus: &mut B, leaf: u32, subleaf: u32, r: &mut CpuidResult) {
        self.call_hooks(bus, Events::CPUID, |h, ctx| h.cpuid(ctx, leaf, subleaf, r));
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn hook_rdmsr(&mut self, bus: &mut B, msr: u32, value: &mut Option<u64>) {
        self.call_hooks(bus, Events::MSR, |h, ctx| h.rdmsr(ctx, msr, value));
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn hook_wrmsr(&mut self, bus: &mut B, msr: u32, value: u64) -> MsrWrite {
        let mut out = MsrWrite::Default;
        self.call_hooks(bus, Events::MSR, |h, ctx| {
            if out == MsrWrite::Default {
                out = h.wrmsr(ctx, msr, value);
            }
        });
        out
    }

    /// Whether any hook is installed.
    pub fn has_hooks(&self) -> bool {
        !self.hooks.is_empty()
    }
}
