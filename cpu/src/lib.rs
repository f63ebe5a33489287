//! The x86 processor of oxbox.
//!
//! A decode-once interpreter: iced-x86 turns guest bytes into the CPU's own
//! compact ops with the handler chosen at decode time; ops are cached in
//! blocks keyed by the host-memory offset of their first byte. The CPU
//! reaches the rest of the PC only through the [`Bus`] trait, over which it
//! is generic, so every bus call is static and inlined.
//!
//! Embedders watch and steer it with breakpoints and watchpoints
//! ([`Cpu::add_breakpoint`], ...) and with [`Hooks`] ([`Cpu::add_hooks`]):
//! code called before each instruction, on memory and port accesses,
//! interrupt delivery, CPUID and MSR accesses.

mod alu;
mod bcd;
mod bits;
mod bus;
mod cache;
mod control;
mod cpu;
mod data;
mod debug;
mod decode;
mod exec;
mod far;
mod fault;
mod flags;
mod flat;
mod hooks;
mod interrupt;
mod io;
mod mmu;
mod muldiv;
mod op;
mod regs;
mod segment;
mod shift;
mod simd;
mod snapshot;
mod stack;
mod stats;
mod string;
mod system;
mod task;
mod watch;
mod x87;

pub use bus::{Bus, PageMap};
pub use cpu::{Cpu, CpuModel, SegReg, Segment};
pub use exec::Exit;
pub use fault::{Exception, Fault};
pub use flags::{
    FLAG_AC, FLAG_AF, FLAG_CF, FLAG_DF, FLAG_ID, FLAG_IF, FLAG_IOPL, FLAG_NT, FLAG_OF, FLAG_PF,
    FLAG_RF, FLAG_SF, FLAG_TF, FLAG_VM, FLAG_ZF,
};
pub use flat::FlatRam;
pub use hooks::{
    CpuidResult, Events, HookCtx, HookId, Hooks, Insn, InterruptEvent, InterruptKind, MemAccess,
    MsrWrite, PortAccess, Unmapped,
};
pub use mmu::TlbEntry;
pub use regs::{FpuRegs, RegError};
pub use snapshot::CpuState;
pub use stats::WorkStats;
pub use watch::{Access, Breakpoint, CpuMode, DebugStop, Watch};
