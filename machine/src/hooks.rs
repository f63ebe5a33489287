//! Hooks on the whole machine, and the instruction trace built on them.
//!
//! The hooks are the CPU's ([`oxbox_cpu::Hooks`], see its documentation
//! for when each method is called); on a [`Machine`] they are implemented
//! for the PC's bus, [`PcBus`]. A hook that stops the run makes
//! [`Machine::run`] return [`crate::Stop::Hook`].
//!
//! ```
//! use oxbox_machine::{Config, Machine, Stop, Syntax, Trace};
//!
//! // A 4 KiB ROM; the reset vector (F000:FFF0) holds
//! // mov ax, 1234h ; add ax, bx ; hlt
//! let mut rom = vec![0xFF; 4096];
//! rom[0xFF0..0xFF6].copy_from_slice(&[0xB8, 0x34, 0x12, 0x01, 0xD8, 0xF4]);
//! let mut config = Config::new(rom);
//! config.pci = false;
//! let mut m = Machine::new(config)?;
//! let id = m.add_hooks(Trace::new(Vec::new()).syntax(Syntax::Intel));
//! assert_eq!(m.run(100), Stop::HaltedInterruptsOff);
//! let text = m.take_hooks::<Trace<Vec<u8>>>(id).unwrap().into_inner()?;
//! assert_eq!(
//!     String::from_utf8(text).unwrap(),
//!     "fffffff0  f000:fff0  b83412            mov ax,1234h\n\
//!      fffffff3  f000:fff3  01d8              add ax,bx\n\
//!      fffffff5  f000:fff5  f4                hlt\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Write};

use iced_x86::{
    Decoder, DecoderOptions, Formatter, GasFormatter, Instruction, IntelFormatter, NasmFormatter,
};
use oxbox_cpu::{Bus, Events, HookCtx, HookId, Hooks, Insn, SegReg};

use crate::{Machine, PcBus, Syntax};

impl Machine {
    /// Installs `hooks`; they are called from the next instruction on,
    /// also inside code the CPU has already decoded.
    pub fn add_hooks<H: Hooks<PcBus>>(&mut self, hooks: H) -> HookId {
        self.cpu.add_hooks(hooks)
    }

    /// Removes hook `id`; false if it is not installed.
    pub fn remove_hooks(&mut self, id: HookId) -> bool {
        self.cpu.remove_hooks(id).is_some()
    }

    /// Removes hook `id` and hands it back, if it is an `H`.
    pub fn take_hooks<H: Hooks<PcBus>>(&mut self, id: HookId) -> Option<H> {
        self.cpu.take_hooks(id)
    }

    /// The installed hook `id`, if it is an `H`.
    pub fn hooks_mut<H: Hooks<PcBus>>(&mut self, id: HookId) -> Option<&mut H> {
        self.cpu.hooks_mut(id)
    }
}

/// Writes one line per executed instruction, before it runs: linear
/// address, CS:EIP, the bytes, the disassembly and, if asked, the
/// registers as the instruction finds them.
///
/// A write error ends the trace and stops the run ([`crate::Stop::Hook`]);
/// [`Trace::error`] and [`Trace::into_inner`] report it.
pub struct Trace<W: Write> {
    out: W,
    registers: bool,
    formatter: Box<dyn Formatter>,
    instr: Instruction,
    line: String,
    error: Option<io::Error>,
}

impl<W: Write> Trace<W> {
    /// A trace in Intel syntax without registers.
    pub fn new(out: W) -> Self {
        Trace {
            out,
            registers: false,
            formatter: Box::new(IntelFormatter::new()),
            instr: Instruction::default(),
            line: String::new(),
            error: None,
        }
    }

    pub fn syntax(mut self, syntax: Syntax) -> Self {
        self.formatter = match syntax {
            Syntax::Intel => Box::new(IntelFormatter::new()),
            Syntax::Nasm => Box::new(NasmFormatter::new()),
            Syntax::Att => Box::new(GasFormatter::new()),
        };
        self
    }

    /// Adds EAX, EBX, ECX, EDX, ESI, EDI, EBP, ESP and EFLAGS to each line.
    pub fn registers(mut self, on: bool) -> Self {
        self.registers = on;
        self
    }

    /// The write error that ended the trace, if one did.
    pub fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    /// Flushes and returns the writer, or the first write error.
    pub fn into_inner(mut self) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }

    fn format<B: Bus>(&mut self, ctx: &mut HookCtx<'_, B>, insn: Insn) {
        use std::fmt::Write as _;
        let mut bytes = [0u8; 15];
        let n = (insn.len as usize).clamp(1, bytes.len());
        let bytes = &mut bytes[..n];
        // Executing code is mapped; should a hook have just unmapped it,
        // the line shows what could be read.
        let got = match ctx.read_linear(insn.linear, bytes) {
            Ok(()) => n,
            Err(e) => e.linear.wrapping_sub(insn.linear) as usize,
        };
        let bytes = &bytes[..got.min(n)];
        let cpu = ctx.cpu();
        let code32 = cpu.segment(SegReg::Cs).attr & (1 << 14) != 0;
        self.line.clear();
        let _ = if code32 {
            write!(
                self.line,
                "{:08x}  {:04x}:{:08x}  ",
                insn.linear, insn.cs, insn.eip
            )
        } else {
            write!(
                self.line,
                "{:08x}  {:04x}:{:04x}  ",
                insn.linear, insn.cs, insn.eip
            )
        };
        for b in bytes {
            let _ = write!(self.line, "{b:02x}");
        }
        for _ in bytes.len()..8 {
            self.line.push_str("  ");
        }
        self.line.push_str("  ");
        let mut dec = Decoder::with_ip(
            if code32 { 32 } else { 16 },
            bytes,
            insn.eip as u64,
            DecoderOptions::NONE,
        );
        dec.decode_out(&mut self.instr);
        if self.instr.is_invalid() {
            self.line.push_str("(bad)");
        } else {
            self.formatter.format(&self.instr, &mut self.line);
        }
        if self.registers {
            let r = |i| cpu.gpr(i);
            let _ = write!(
                self.line,
                "  eax={:08x} ebx={:08x} ecx={:08x} edx={:08x} esi={:08x} edi={:08x} ebp={:08x} esp={:08x} eflags={:08x}",
                r(0),
                r(3),
                r(1),
                r(2),
                r(6),
                r(7),
                r(5),
                r(4),
                cpu.eflags()
            );
        }
        self.line.push('\n');
    }
}

impl<W: Write + 'static, B: Bus> Hooks<B> for Trace<W> {
    fn events(&self) -> Events {
        Events::INSTRUCTION
    }

    fn before_instruction(&mut self, ctx: &mut HookCtx<'_, B>, insn: Insn) {
        if self.error.is_some() {
            return;
        }
        self.format(ctx, insn);
        if let Err(e) = self.out.write_all(self.line.as_bytes()) {
            self.error = Some(e);
            ctx.stop();
        }
    }
}
