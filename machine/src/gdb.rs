//! A GDB remote stub on top of the embedding API, built with the `gdbstub`
//! crate.
//!
//! ```no_run
//! use oxbox_machine::{gdb, Config, Machine};
//! let mut m = Machine::new(Config::new(oxbox_machine::load_rom("test.rom".as_ref())?))?;
//! // Waits for one gdb client ("target remote :1234") and serves it.
//! match gdb::serve(&mut m, "127.0.0.1:1234")? {
//!     gdb::GdbOutcome::Ended(stop) => println!("the guest ended: {stop}"),
//!     other => println!("gdb went away: {other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What gdb sees:
//!
//! - The i386 register file (`eax`..`edi`, `eip`, `eflags`, `cs`..`gs`
//!   selectors), the x87 (`st0`-`st7` in stack order, `fctrl`, `fstat`
//!   with TOP, the full tag word `ftag`, `fiseg:fioff`, `foseg:fooff`,
//!   `fop`) and SSE (`xmm0`-`xmm7`, `mxcsr`; a reserved MXCSR bit is
//!   refused) from the CPU's register API, so `info float` and `p $xmm0`
//!   show the guest's values. A selector
//!   write loads the segment the real-mode way in real and V86 mode; in
//!   protected mode only writing back the current selector is accepted.
//! - Memory at *linear* addresses, through the current page tables with no
//!   side effects (like QEMU). An unmapped page is an error reply (a read
//!   that runs into one returns the bytes before it). In real mode gdb's
//!   `$pc` is the offset in CS, so use `x/i $cs*16+$eip` or `monitor disas`.
//! - Breakpoints (`Z0` and `Z1`) are execution breakpoints at linear
//!   addresses kept by the CPU; guest memory is never patched. Where CS's
//!   base is not 0 (real mode) `$pc` differs from the linear address gdb
//!   set the breakpoint at, so the stop is reported as a plain SIGTRAP
//!   (gdb would otherwise take it for a stale breakpoint and run on); with
//!   a zero CS base it is a `swbreak`/`hwbreak` stop. Watchpoints
//!   (`Z2` write, `Z3` read, `Z4` access) stop after the accessing
//!   instruction and report the watched address.
//! - `c` runs the machine in slices and looks for Ctrl-C between them; `s`
//!   runs exactly one instruction (a halted CPU waits for its interrupt).
//! - The target description names the `i8086` architecture when the CPU
//!   runs 16-bit code at connection time (so `x/i` decodes real-mode code)
//!   and `i386` otherwise; `set architecture` switches later.
//! - When the guest ends the run (debug-exit port, HLT with interrupts off,
//!   idle with nothing to wake it) gdb sees the process exit; a triple fault
//!   is reported as termination by SIGSEGV.
//! - `monitor help` lists the extra commands (segment caches, control
//!   registers, decoded GDT/LDT/IDT entries, the TLB, physical memory,
//!   address translation, disassembly).
//!
//! The stub survives malformed input: packets with a bad checksum are
//! refused with `-`, stray bytes are dropped, a command gdbstub cannot parse
//! gets an `E01` reply and the session goes on, and a client that
//! disconnects mid-command ends the session as a detach.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};

use crate::Table;
use gdbstub::common::Signal;
use gdbstub::conn::{Connection, ConnectionExt};
use gdbstub::stub::run_blocking::{self, BlockingEventLoop, Event, WaitForStopReasonError};
use gdbstub::stub::{DisconnectReason, GdbStubBuilder, SingleThreadStopReason};
use gdbstub::target::ext::base::single_register_access::{
    SingleRegisterAccess, SingleRegisterAccessOps,
};
use gdbstub::target::ext::base::singlethread::{
    SingleThreadBase, SingleThreadResume, SingleThreadResumeOps, SingleThreadSingleStep,
    SingleThreadSingleStepOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps,
    SwBreakpoint, SwBreakpointOps, WatchKind,
};
use gdbstub::target::ext::monitor_cmd::{outputln, ConsoleOutput, MonitorCmd, MonitorCmdOps};
use gdbstub::target::ext::target_description_xml_override::{
    TargetDescriptionXmlOverride, TargetDescriptionXmlOverrideOps,
};
use gdbstub::target::{Target, TargetError, TargetResult};
use gdbstub_arch::x86::reg::id::X87FpuInternalRegId;
use gdbstub_arch::x86::reg::id::{X86CoreRegId, X86SegmentRegId};
use gdbstub_arch::x86::reg::{X86CoreRegs, X87FpuInternalRegs};
use oxbox_cpu::FpuRegs;
use oxbox_cpu::{Access, Breakpoint, DebugStop, SegReg, FLAG_VM};

use crate::{Machine, Stop, Syntax};

/// Instructions run between two looks at the connection while gdb lets the
/// guest run (about 10 ms of host time).
const SLICE: u64 = 1_000_000;

/// Virtual time a single step may wait for a halted CPU's next interrupt
/// before it looks at the connection again.
const STEP_WAIT_NS: u64 = 10_000_000;

/// The largest packet accepted from the client, framing included (gdbstub's
/// packet buffer, announced to gdb as PacketSize).
const MAX_PACKET: usize = 0x4000;

/// The largest `m` read served (gdb never asks for more than PacketSize).
const MAX_READ: u64 = 1 << 20;

/// How a gdb session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GdbOutcome {
    /// The client detached (`D`) or closed the connection. Its breakpoints
    /// and watchpoints are gone; the machine is where it last stopped and
    /// can be run on.
    Detached,
    /// The client sent `k`.
    Killed,
    /// The guest ended the run while gdb watched (gdb was told it exited or
    /// was terminated); this is why.
    Ended(Stop),
}

/// Binds `addr`, waits for one gdb client and serves it until it detaches,
/// kills the guest or the guest ends. Errors are host-side only (binding,
/// accepting); a misbehaving client ends in [`GdbOutcome::Detached`].
pub fn serve(machine: &mut Machine, addr: impl ToSocketAddrs) -> io::Result<GdbOutcome> {
    let listener = TcpListener::bind(addr)?;
    serve_listener(machine, &listener)
}

/// Waits for one client on `listener` (so the caller can bind port 0 and
/// learn the port first) and serves it.
pub fn serve_listener(machine: &mut Machine, listener: &TcpListener) -> io::Result<GdbOutcome> {
    let (stream, peer) = listener.accept()?;
    log::info!("gdb connected from {peer}");
    serve_stream(machine, stream)
}

/// Serves a gdb client on an accepted connection.
pub fn serve_stream(machine: &mut Machine, stream: TcpStream) -> io::Result<GdbOutcome> {
    let mut wire = Wire::new(stream);
    let mut target = GdbTarget::new(machine);
    let outcome = loop {
        let conn: &mut dyn ConnectionExt<Error = io::Error> = &mut wire;
        let stub = match GdbStubBuilder::new(conn)
            .packet_buffer_size(MAX_PACKET)
            .build()
        {
            Ok(s) => s,
            Err(e) => break Err(io::Error::other(format!("gdb stub: {e:?}"))),
        };
        match stub.run_blocking::<EventLoop<'_, '_>>(&mut target) {
            Ok(DisconnectReason::Disconnect) => break Ok(GdbOutcome::Detached),
            Ok(DisconnectReason::Kill) => break Ok(GdbOutcome::Killed),
            Ok(DisconnectReason::TargetExited(_) | DisconnectReason::TargetTerminated(_)) => {
                break Ok(target
                    .ended
                    .map(GdbOutcome::Ended)
                    .unwrap_or(GdbOutcome::Detached))
            }
            Err(e) if e.is_connection_error() || wire.closed => {
                log::info!("gdb connection closed: {e}");
                break Ok(GdbOutcome::Detached);
            }
            Err(e) if e.is_target_error() => break Err(io::Error::other(format!("gdb stub: {e}"))),
            Err(e) => {
                // A packet gdbstub could not handle: answer it with an error
                // and start a fresh protocol session on the same connection.
                log::warn!("gdb: bad packet from the client ({e}); answering E01");
                if let Err(e) = wire.answer_failed_command() {
                    log::info!("gdb connection closed: {e}");
                    break Ok(GdbOutcome::Detached);
                }
            }
        }
    };
    target.remove_all();
    outcome
}

// ---------------------------------------------------------------------------
// The connection: RSP framing checked before gdbstub sees it.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    Idle,
    Body,
    Sum1,
    Sum2,
}

/// A TCP connection that hands gdbstub only well-formed packets, acks, and
/// Ctrl-C bytes, and remembers whether the last command was answered.
struct Wire {
    stream: TcpStream,
    nonblocking: bool,
    closed: bool,
    /// Bytes for gdbstub; `true` marks the last byte of a command packet.
    ready: VecDeque<(u8, bool)>,
    frame: Frame,
    packet: Vec<u8>,
    oversize: bool,
    /// Since gdbstub took the last command: did it ack it, did it answer?
    acked: bool,
    answered: bool,
}

impl Wire {
    fn new(stream: TcpStream) -> Self {
        Wire {
            stream,
            nonblocking: false,
            closed: false,
            ready: VecDeque::new(),
            frame: Frame::Idle,
            packet: Vec::new(),
            oversize: false,
            acked: true,
            answered: true,
        }
    }

    fn set_nonblocking(&mut self, on: bool) -> io::Result<()> {
        if self.nonblocking != on {
            self.stream.set_nonblocking(on)?;
            self.nonblocking = on;
        }
        Ok(())
    }

    /// Reads what the socket has (blocking or not) and frames it. Returns
    /// false if nothing was available without blocking.
    fn fill(&mut self, block: bool) -> io::Result<bool> {
        if self.closed {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "gdb closed the connection",
            ));
        }
        self.set_nonblocking(!block)?;
        let mut buf = [0u8; 4096];
        let n = loop {
            match Read::read(&mut self.stream, &mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => {
                    self.closed = true;
                    return Err(e);
                }
            }
        };
        if n == 0 {
            self.closed = true;
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "gdb closed the connection",
            ));
        }
        for &b in &buf[..n] {
            self.frame_byte(b)?;
        }
        Ok(true)
    }

    fn frame_byte(&mut self, b: u8) -> io::Result<()> {
        match self.frame {
            Frame::Idle => match b {
                b'$' => self.start_packet(),
                // Ack and Ctrl-C pass; a NAK cannot be honoured (responses
                // are not kept) and would end gdbstub's session, so it goes.
                b'+' | 0x03 => self.ready.push_back((b, false)),
                _ => log::debug!("gdb: dropped stray byte {b:#04x}"),
            },
            Frame::Body => {
                if b == b'$' {
                    log::debug!("gdb: packet restarted before its end");
                    self.start_packet();
                    return Ok(());
                }
                self.push_packet_byte(b);
                if b == b'#' {
                    self.frame = Frame::Sum1;
                }
            }
            Frame::Sum1 => {
                self.push_packet_byte(b);
                self.frame = Frame::Sum2;
            }
            Frame::Sum2 => {
                self.push_packet_byte(b);
                self.frame = Frame::Idle;
                self.finish_packet()?;
            }
        }
        Ok(())
    }

    fn start_packet(&mut self) {
        self.packet.clear();
        self.packet.push(b'$');
        self.oversize = false;
        self.frame = Frame::Body;
    }

    fn push_packet_byte(&mut self, b: u8) {
        if self.packet.len() < MAX_PACKET {
            self.packet.push(b);
        } else {
            self.oversize = true;
        }
    }

    /// A whole `$body#cc` arrived: check it, then hand it over or answer.
    fn finish_packet(&mut self) -> io::Result<()> {
        if self.oversize {
            log::warn!("gdb: packet longer than {MAX_PACKET} bytes refused");
            return self.send_raw(b"+$E01#a6");
        }
        let len = self.packet.len();
        // "$" body "#" c c
        let body = &self.packet[1..len - 3];
        let sum = body.iter().fold(0u8, |s, &b| s.wrapping_add(b));
        let given = std::str::from_utf8(&self.packet[len - 2..])
            .ok()
            .and_then(|s| u8::from_str_radix(s, 16).ok());
        if given != Some(sum) {
            log::warn!("gdb: packet with a bad checksum refused");
            return self.send_raw(b"-");
        }
        if !memory_range_ok(body) {
            log::warn!("gdb: memory access beyond 4 GiB refused");
            return self.send_raw(b"+$E01#a6");
        }
        let last = self.packet.len() - 1;
        for (i, &b) in self.packet.iter().enumerate() {
            self.ready.push_back((b, i == last));
        }
        Ok(())
    }

    fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.set_nonblocking(false)?;
        Write::write_all(&mut self.stream, bytes)?;
        Write::flush(&mut self.stream)
    }

    /// gdbstub gave up on the last command: make sure gdb gets an ack and
    /// an answer so it does not wait forever.
    fn answer_failed_command(&mut self) -> io::Result<()> {
        if !self.acked {
            self.send_raw(b"+")?;
        }
        if !self.answered {
            self.send_raw(b"$E01#a6")?;
        }
        self.acked = true;
        self.answered = true;
        Ok(())
    }

    fn note_write(&mut self, first: u8) {
        if first == b'+' && !self.acked {
            self.acked = true;
        } else {
            self.answered = true;
        }
    }
}

/// `m`, `M` and `X` packets whose range does not fit in 32 bits are
/// refused here (gdbstub would add past the end of the address type).
fn memory_range_ok(body: &[u8]) -> bool {
    let Some((&kind, rest)) = body.split_first() else {
        return true;
    };
    if !matches!(kind, b'm' | b'M' | b'X') {
        return true;
    }
    let args = match rest.iter().position(|&b| b == b':') {
        Some(i) => &rest[..i],
        None => rest,
    };
    let Some(comma) = args.iter().position(|&b| b == b',') else {
        return true;
    };
    let hex = |s: &[u8]| -> Option<u64> {
        if s.is_empty() || s.len() > 16 {
            return None;
        }
        u64::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok()
    };
    let (Some(addr), Some(len)) = (hex(&args[..comma]), hex(&args[comma + 1..])) else {
        // Not numbers: gdbstub's parser refuses it and we answer E01.
        return true;
    };
    addr <= u32::MAX as u64
        && addr + len.min(MAX_READ + 1) <= 1 << 32
        && (kind != b'm' || len <= MAX_READ)
}

impl Connection for Wire {
    type Error = io::Error;

    fn write(&mut self, byte: u8) -> io::Result<()> {
        self.note_write(byte);
        self.set_nonblocking(false)?;
        Write::write_all(&mut self.stream, &[byte])
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some(&b) = buf.first() {
            self.note_write(b);
        }
        self.set_nonblocking(false)?;
        Write::write_all(&mut self.stream, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.stream)
    }

    fn on_session_start(&mut self) -> io::Result<()> {
        self.stream.set_nodelay(true)
    }
}

impl ConnectionExt for Wire {
    fn read(&mut self) -> io::Result<u8> {
        loop {
            if let Some((b, end)) = self.ready.pop_front() {
                if end {
                    self.acked = false;
                    self.answered = false;
                }
                return Ok(b);
            }
            self.fill(true)?;
        }
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        while self.ready.is_empty() {
            if !self.fill(false)? {
                return Ok(None);
            }
        }
        Ok(self.ready.front().map(|&(b, _)| b))
    }
}

// ---------------------------------------------------------------------------
// The target.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Resume {
    Continue,
    Step,
}

struct GdbTarget<'m> {
    machine: &'m mut Machine,
    /// Addresses gdb set `Z0` / `Z1` breakpoints at.
    sw: Vec<u32>,
    hw: Vec<u32>,
    /// gdb's watchpoints: (address, length, kind).
    watches: Vec<(u32, u32, WatchKind)>,
    resume: Resume,
    /// The stop that ended the guest's run, once there is one.
    ended: Option<Stop>,
    xml: String,
}

impl<'m> GdbTarget<'m> {
    fn new(machine: &'m mut Machine) -> Self {
        // gdb picks its disassembler from the description: 16-bit code at
        // connection time (the reset vector, a boot sector) gets i8086.
        let code16 = machine.cpu().segment(SegReg::Cs).attr & (1 << 14) == 0;
        let arch = if code16 { "i8086" } else { "i386" };
        let xml = format!(
            r#"<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0"><architecture>{arch}</architecture><osabi>none</osabi><feature name="org.gnu.gdb.i386.sse"></feature></target>"#
        );
        GdbTarget {
            machine,
            sw: Vec::new(),
            hw: Vec::new(),
            watches: Vec::new(),
            resume: Resume::Continue,
            ended: None,
            xml,
        }
    }

    fn pc_linear(&self) -> u32 {
        let cpu = self.machine.cpu();
        cpu.segment(SegReg::Cs).base.wrapping_add(cpu.eip())
    }

    /// Removes what gdb set (at the end of a session).
    fn remove_all(&mut self) {
        for a in std::mem::take(&mut self.sw)
            .into_iter()
            .chain(std::mem::take(&mut self.hw))
        {
            self.machine
                .cpu_mut()
                .remove_breakpoint(Breakpoint::Linear(a));
        }
        for (a, l, _) in std::mem::take(&mut self.watches) {
            self.machine.cpu_mut().remove_watchpoint(a, l);
        }
    }

    fn remove_breakpoint(&mut self, addr: u32, hw: bool) -> bool {
        let list = if hw { &mut self.hw } else { &mut self.sw };
        let Some(i) = list.iter().position(|&a| a == addr) else {
            return false;
        };
        list.swap_remove(i);
        if !self.sw.contains(&addr) && !self.hw.contains(&addr) {
            self.machine
                .cpu_mut()
                .remove_breakpoint(Breakpoint::Linear(addr));
        }
        true
    }

    /// Turns a machine stop into what gdb hears; `None` means keep going.
    fn stop_reason(&mut self, stop: Stop) -> Option<SingleThreadStopReason<u32>> {
        Some(match stop {
            Stop::InstructionLimit | Stop::Yield => return None,
            Stop::Debug(DebugStop::Breakpoint { linear }) => {
                if self.machine.cpu().segment(SegReg::Cs).base != 0 {
                    // gdb's $pc is EIP, not the linear address it set the
                    // breakpoint at (real mode): it would not know this
                    // stop as its breakpoint and would run on, so it gets
                    // a plain SIGTRAP and stops.
                    SingleThreadStopReason::Signal(Signal::SIGTRAP)
                } else if self.sw.contains(&linear) {
                    SingleThreadStopReason::SwBreak(())
                } else if self.hw.contains(&linear) {
                    SingleThreadStopReason::HwBreak(())
                } else {
                    SingleThreadStopReason::Signal(Signal::SIGTRAP)
                }
            }
            Stop::Debug(DebugStop::Watchpoint { linear, write }) => {
                // Report the watched address the access touched (gdb matches
                // it against its own ranges); accesses are at most 8 bytes
                // (16 for a far pointer or descriptor).
                let hit = self.watches.iter().find(|&&(a, l, kind)| {
                    let wants = match kind {
                        WatchKind::Write => write,
                        WatchKind::Read => !write,
                        WatchKind::ReadWrite => true,
                    };
                    let end = a.wrapping_add(l.max(1) - 1);
                    wants && linear <= end && a <= linear.saturating_add(15)
                });
                match hit {
                    Some(&(a, _, kind)) => {
                        let addr = linear.max(a);
                        let kind = match kind {
                            WatchKind::ReadWrite => WatchKind::ReadWrite,
                            _ if write => WatchKind::Write,
                            _ => WatchKind::Read,
                        };
                        SingleThreadStopReason::Watch {
                            tid: (),
                            kind,
                            addr,
                        }
                    }
                    None => SingleThreadStopReason::Signal(Signal::SIGTRAP),
                }
            }
            Stop::DebugExit(status) => {
                self.ended = Some(stop);
                SingleThreadStopReason::Exited((status & 0xFF) as u8)
            }
            Stop::HaltedInterruptsOff | Stop::Idle | Stop::Marker => {
                self.ended = Some(stop);
                SingleThreadStopReason::Exited(0)
            }
            Stop::TripleFault => {
                self.ended = Some(stop);
                SingleThreadStopReason::Terminated(Signal::SIGSEGV)
            }
            #[allow(unreachable_patterns)]
            _ => SingleThreadStopReason::Signal(Signal::SIGTRAP),
        })
    }

    fn run_until_stop(
        &mut self,
        conn: &mut Conn<'_>,
    ) -> Result<Event<SingleThreadStopReason<u32>>, WaitError> {
        loop {
            if let Some(ev) = incoming(conn)? {
                return Ok(ev);
            }
            let stop = self.machine.run(SLICE);
            if let Some(reason) = self.stop_reason(stop) {
                return Ok(Event::TargetStopped(reason));
            }
        }
    }

    fn single_step(
        &mut self,
        conn: &mut Conn<'_>,
    ) -> Result<Event<SingleThreadStopReason<u32>>, WaitError> {
        let before = self.machine.instruction_count();
        let mut skipped_breakpoint = false;
        loop {
            let stop = self.machine.run_for(1, STEP_WAIT_NS);
            let progressed = self.machine.instruction_count() != before;
            match stop {
                Stop::InstructionLimit => {
                    return Ok(Event::TargetStopped(SingleThreadStopReason::DoneStep))
                }
                // A breakpoint at the current instruction that this resume
                // has not stopped at yet: the CPU now lets it run once.
                Stop::Debug(DebugStop::Breakpoint { .. }) if !progressed && !skipped_breakpoint => {
                    skipped_breakpoint = true;
                }
                // Halted, waiting for an interrupt.
                Stop::Yield if !progressed => {
                    if let Some(ev) = incoming(conn)? {
                        return Ok(ev);
                    }
                }
                Stop::Yield => return Ok(Event::TargetStopped(SingleThreadStopReason::DoneStep)),
                other => {
                    let reason = self
                        .stop_reason(other)
                        .unwrap_or(SingleThreadStopReason::DoneStep);
                    return Ok(Event::TargetStopped(reason));
                }
            }
        }
    }

    fn write_segment(&mut self, reg: SegReg, selector: u32) -> TargetResult<(), Self> {
        let cpu = self.machine.cpu_mut();
        let cur = cpu.segment(reg).selector;
        if selector as u16 == cur && selector <= 0xFFFF {
            return Ok(());
        }
        if selector > 0xFFFF {
            return Err(TargetError::NonFatal);
        }
        let mode = cpu.mode();
        if mode.protected && !mode.v86 {
            // A protected-mode load needs a descriptor check; not offered.
            return Err(TargetError::NonFatal);
        }
        cpu.set_segment_real(reg, selector as u16);
        Ok(())
    }

    fn write_eflags(&mut self, value: u32) {
        let cpu = self.machine.cpu_mut();
        let vm = cpu.eflags() & FLAG_VM;
        cpu.set_eflags((value & !FLAG_VM) | vm);
    }
}

type Conn<'a> = &'a mut dyn ConnectionExt<Error = io::Error>;
type WaitError = WaitForStopReasonError<&'static str, io::Error>;

/// A byte from gdb if one is waiting (Ctrl-C, or a packet).
fn incoming(conn: &mut Conn<'_>) -> Result<Option<Event<SingleThreadStopReason<u32>>>, WaitError> {
    match conn.peek() {
        Ok(None) => Ok(None),
        Ok(Some(_)) | Err(_) => {
            let b = conn.read().map_err(WaitForStopReasonError::Connection)?;
            Ok(Some(Event::IncomingData(b)))
        }
    }
}

const SEGMENTS: [(X86SegmentRegId, SegReg); 6] = [
    (X86SegmentRegId::CS, SegReg::Cs),
    (X86SegmentRegId::SS, SegReg::Ss),
    (X86SegmentRegId::DS, SegReg::Ds),
    (X86SegmentRegId::ES, SegReg::Es),
    (X86SegmentRegId::FS, SegReg::Fs),
    (X86SegmentRegId::GS, SegReg::Gs),
];

fn seg_reg(id: X86SegmentRegId) -> SegReg {
    match id {
        X86SegmentRegId::CS => SegReg::Cs,
        X86SegmentRegId::SS => SegReg::Ss,
        X86SegmentRegId::DS => SegReg::Ds,
        X86SegmentRegId::ES => SegReg::Es,
        X86SegmentRegId::FS => SegReg::Fs,
        X86SegmentRegId::GS => SegReg::Gs,
    }
}

impl Target for GdbTarget<'_> {
    type Arch = gdbstub_arch::x86::X86_SSE;
    type Error = &'static str;

    #[inline(always)]
    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::SingleThread(self)
    }

    // Acks stay on: a session restarted after a bad packet starts in ack
    // mode, and gdb must already be there.
    fn use_no_ack_mode(&self) -> bool {
        false
    }

    #[inline(always)]
    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_monitor_cmd(&mut self) -> Option<MonitorCmdOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_target_description_xml_override(
        &mut self,
    ) -> Option<TargetDescriptionXmlOverrideOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadBase for GdbTarget<'_> {
    fn read_registers(&mut self, regs: &mut X86CoreRegs) -> TargetResult<(), Self> {
        let cpu = self.machine.cpu();
        *regs = X86CoreRegs::default();
        regs.eax = cpu.gpr(0);
        regs.ecx = cpu.gpr(1);
        regs.edx = cpu.gpr(2);
        regs.ebx = cpu.gpr(3);
        regs.esp = cpu.gpr(4);
        regs.ebp = cpu.gpr(5);
        regs.esi = cpu.gpr(6);
        regs.edi = cpu.gpr(7);
        regs.eip = cpu.eip();
        regs.eflags = cpu.eflags();
        let sel = |r| cpu.segment(r).selector as u32;
        regs.segments.cs = sel(SegReg::Cs);
        regs.segments.ss = sel(SegReg::Ss);
        regs.segments.ds = sel(SegReg::Ds);
        regs.segments.es = sel(SegReg::Es);
        regs.segments.fs = sel(SegReg::Fs);
        regs.segments.gs = sel(SegReg::Gs);
        let f = cpu.fpu_regs();
        regs.st = f.st;
        regs.fpu = fpu_internal(&f);
        for (i, x) in regs.xmm.iter_mut().enumerate() {
            *x = cpu.read_xmm(i).unwrap_or(0);
        }
        regs.mxcsr = cpu.read_mxcsr();
        Ok(())
    }

    fn write_registers(&mut self, regs: &X86CoreRegs) -> TargetResult<(), Self> {
        // Check the segment writes first so a refused one changes nothing.
        let wanted = [
            regs.segments.cs,
            regs.segments.ss,
            regs.segments.ds,
            regs.segments.es,
            regs.segments.fs,
            regs.segments.gs,
        ];
        let mode = self.machine.cpu().mode();
        for ((_, reg), &v) in SEGMENTS.iter().zip(&wanted) {
            let same = v == self.machine.cpu().segment(*reg).selector as u32;
            if !same && (v > 0xFFFF || (mode.protected && !mode.v86)) {
                return Err(TargetError::NonFatal);
            }
        }
        for ((_, reg), &v) in SEGMENTS.iter().zip(&wanted) {
            self.write_segment(*reg, v)?;
        }
        let gprs = [
            regs.eax, regs.ecx, regs.edx, regs.ebx, regs.esp, regs.ebp, regs.esi, regs.edi,
        ];
        let cpu = self.machine.cpu_mut();
        for (i, v) in gprs.into_iter().enumerate() {
            cpu.set_gpr(i, v);
        }
        cpu.set_eip(regs.eip);
        // A reserved MXCSR bit would #GP on LDMXCSR: keep the old value.
        let _ = cpu.write_mxcsr(regs.mxcsr);
        for (i, &x) in regs.xmm.iter().enumerate() {
            let _ = cpu.write_xmm(i, x);
        }
        let mut f = cpu.fpu_regs();
        f.st = regs.st;
        set_fpu_internal(&mut f, &regs.fpu);
        cpu.set_fpu_regs(&f);
        self.write_eflags(regs.eflags);
        Ok(())
    }

    #[inline(always)]
    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, (), Self>> {
        Some(self)
    }

    fn read_addrs(&mut self, start: u32, data: &mut [u8]) -> TargetResult<usize, Self> {
        match self.machine.read_linear(start, data) {
            Ok(()) => Ok(data.len()),
            Err(e) => {
                // The bytes before the hole were read.
                let n = e.linear.wrapping_sub(start) as usize;
                if n == 0 || n > data.len() {
                    Err(TargetError::Errno(14))
                } else {
                    Ok(n)
                }
            }
        }
    }

    fn write_addrs(&mut self, start: u32, data: &[u8]) -> TargetResult<(), Self> {
        self.machine
            .write_linear(start, data)
            .map_err(|_| TargetError::Errno(14))
    }

    #[inline(always)]
    fn support_resume(&mut self) -> Option<SingleThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl SingleRegisterAccess<()> for GdbTarget<'_> {
    fn read_register(
        &mut self,
        _tid: (),
        reg: X86CoreRegId,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let cpu = self.machine.cpu();
        let v = match reg {
            X86CoreRegId::Eax => cpu.gpr(0),
            X86CoreRegId::Ecx => cpu.gpr(1),
            X86CoreRegId::Edx => cpu.gpr(2),
            X86CoreRegId::Ebx => cpu.gpr(3),
            X86CoreRegId::Esp => cpu.gpr(4),
            X86CoreRegId::Ebp => cpu.gpr(5),
            X86CoreRegId::Esi => cpu.gpr(6),
            X86CoreRegId::Edi => cpu.gpr(7),
            X86CoreRegId::Eip => cpu.eip(),
            X86CoreRegId::Eflags => cpu.eflags(),
            X86CoreRegId::Segment(s) => cpu.segment(seg_reg(s)).selector as u32,
            X86CoreRegId::St(i) => {
                let st = cpu.fpu_regs().st;
                let v = st.get(i as usize).ok_or(TargetError::NonFatal)?;
                return put::<Self>(buf, v);
            }
            X86CoreRegId::Xmm(i) => {
                let v = cpu
                    .read_xmm(i as usize)
                    .map_err(|_| TargetError::NonFatal)?;
                return put::<Self>(buf, &v.to_le_bytes());
            }
            X86CoreRegId::Fpu(r) => fpu_field(&fpu_internal(&cpu.fpu_regs()), r),
            X86CoreRegId::Mxcsr => cpu.read_mxcsr(),
            _ => return Err(TargetError::NonFatal),
        };
        let bytes = v.to_le_bytes();
        let dst = buf.get_mut(..4).ok_or(TargetError::NonFatal)?;
        dst.copy_from_slice(&bytes);
        Ok(4)
    }

    fn write_register(
        &mut self,
        _tid: (),
        reg: X86CoreRegId,
        val: &[u8],
    ) -> TargetResult<(), Self> {
        let v = match reg {
            X86CoreRegId::St(i) => {
                let v = <[u8; 10]>::try_from(val).map_err(|_| TargetError::NonFatal)?;
                let cpu = self.machine.cpu_mut();
                let mut f = cpu.fpu_regs();
                *f.st.get_mut(i as usize).ok_or(TargetError::NonFatal)? = v;
                cpu.set_fpu_regs(&f);
                return Ok(());
            }
            X86CoreRegId::Xmm(i) => {
                let v = <[u8; 16]>::try_from(val).map_err(|_| TargetError::NonFatal)?;
                return self
                    .machine
                    .cpu_mut()
                    .write_xmm(i as usize, u128::from_le_bytes(v))
                    .map_err(|_| TargetError::NonFatal);
            }
            _ => match <[u8; 4]>::try_from(val) {
                Ok(b) => u32::from_le_bytes(b),
                Err(_) => return Err(TargetError::NonFatal),
            },
        };
        let gpr = |i: usize| Some(i);
        let index = match reg {
            X86CoreRegId::Eax => gpr(0),
            X86CoreRegId::Ecx => gpr(1),
            X86CoreRegId::Edx => gpr(2),
            X86CoreRegId::Ebx => gpr(3),
            X86CoreRegId::Esp => gpr(4),
            X86CoreRegId::Ebp => gpr(5),
            X86CoreRegId::Esi => gpr(6),
            X86CoreRegId::Edi => gpr(7),
            _ => None,
        };
        match (index, reg) {
            (Some(i), _) => self.machine.cpu_mut().set_gpr(i, v),
            (None, X86CoreRegId::Eip) => self.machine.cpu_mut().set_eip(v),
            (None, X86CoreRegId::Eflags) => self.write_eflags(v),
            (None, X86CoreRegId::Segment(s)) => self.write_segment(seg_reg(s), v)?,
            (None, X86CoreRegId::Mxcsr) => self
                .machine
                .cpu_mut()
                .write_mxcsr(v)
                .map_err(|_| TargetError::NonFatal)?,
            (None, X86CoreRegId::Fpu(r)) => {
                let cpu = self.machine.cpu_mut();
                let mut f = cpu.fpu_regs();
                let mut internal = fpu_internal(&f);
                *fpu_field_mut(&mut internal, r) = v;
                set_fpu_internal(&mut f, &internal);
                cpu.set_fpu_regs(&f);
            }
            _ => return Err(TargetError::NonFatal),
        }
        Ok(())
    }
}

fn put<T: Target>(buf: &mut [u8], v: &[u8]) -> TargetResult<usize, T> {
    let dst = buf.get_mut(..v.len()).ok_or(TargetError::NonFatal)?;
    dst.copy_from_slice(v);
    Ok(v.len())
}

/// gdb's i387 control registers (`fctrl`... `fop`), each 32 bits wide.
fn fpu_internal(f: &FpuRegs) -> X87FpuInternalRegs {
    X87FpuInternalRegs {
        fctrl: f.control as u32,
        fstat: f.status as u32,
        ftag: f.tag as u32,
        fiseg: f.fcs as u32,
        fioff: f.fip,
        foseg: f.fds as u32,
        fooff: f.fdp,
        fop: f.fop as u32,
    }
}

fn set_fpu_internal(f: &mut FpuRegs, r: &X87FpuInternalRegs) {
    f.control = r.fctrl as u16;
    f.status = r.fstat as u16;
    f.tag = r.ftag as u16;
    f.fcs = r.fiseg as u16;
    f.fip = r.fioff;
    f.fds = r.foseg as u16;
    f.fdp = r.fooff;
    f.fop = r.fop as u16;
}

fn fpu_field(r: &X87FpuInternalRegs, id: X87FpuInternalRegId) -> u32 {
    let mut r = r.clone();
    *fpu_field_mut(&mut r, id)
}

fn fpu_field_mut(r: &mut X87FpuInternalRegs, id: X87FpuInternalRegId) -> &mut u32 {
    match id {
        X87FpuInternalRegId::Fctrl => &mut r.fctrl,
        X87FpuInternalRegId::Fstat => &mut r.fstat,
        X87FpuInternalRegId::Ftag => &mut r.ftag,
        X87FpuInternalRegId::Fiseg => &mut r.fiseg,
        X87FpuInternalRegId::Fioff => &mut r.fioff,
        X87FpuInternalRegId::Foseg => &mut r.foseg,
        X87FpuInternalRegId::Fooff => &mut r.fooff,
        X87FpuInternalRegId::Fop => &mut r.fop,
    }
}

impl SingleThreadResume for GdbTarget<'_> {
    fn resume(&mut self, _signal: Option<Signal>) -> Result<(), Self::Error> {
        self.resume = Resume::Continue;
        Ok(())
    }

    #[inline(always)]
    fn support_single_step(&mut self) -> Option<SingleThreadSingleStepOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadSingleStep for GdbTarget<'_> {
    fn step(&mut self, _signal: Option<Signal>) -> Result<(), Self::Error> {
        self.resume = Resume::Step;
        Ok(())
    }
}

impl Breakpoints for GdbTarget<'_> {
    #[inline(always)]
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for GdbTarget<'_> {
    fn add_sw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        if !self.sw.contains(&addr) {
            self.sw.push(addr);
        }
        self.machine
            .cpu_mut()
            .add_breakpoint(Breakpoint::Linear(addr));
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.remove_breakpoint(addr, false))
    }
}

impl HwBreakpoint for GdbTarget<'_> {
    fn add_hw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        if !self.hw.contains(&addr) {
            self.hw.push(addr);
        }
        self.machine
            .cpu_mut()
            .add_breakpoint(Breakpoint::Linear(addr));
        Ok(true)
    }

    fn remove_hw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.remove_breakpoint(addr, true))
    }
}

fn access(kind: WatchKind) -> Access {
    match kind {
        WatchKind::Write => Access::Write,
        WatchKind::Read => Access::Read,
        WatchKind::ReadWrite => Access::Any,
    }
}

impl HwWatchpoint for GdbTarget<'_> {
    fn add_hw_watchpoint(
        &mut self,
        addr: u32,
        len: u32,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        if len == 0 || addr.checked_add(len - 1).is_none() {
            return Ok(false);
        }
        self.watches.push((addr, len, kind));
        self.machine
            .cpu_mut()
            .add_watchpoint(addr, len, access(kind));
        Ok(true)
    }

    fn remove_hw_watchpoint(
        &mut self,
        addr: u32,
        len: u32,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        let Some(i) = self.watches.iter().position(|&w| w == (addr, len, kind)) else {
            return Ok(false);
        };
        self.watches.remove(i);
        // The CPU removes every watch on the range: put back the others.
        let cpu = self.machine.cpu_mut();
        cpu.remove_watchpoint(addr, len);
        for &(a, l, k) in &self.watches {
            if (a, l) == (addr, len) {
                cpu.add_watchpoint(a, l, access(k));
            }
        }
        Ok(true)
    }
}

impl TargetDescriptionXmlOverride for GdbTarget<'_> {
    fn target_description_xml(
        &self,
        annex: &[u8],
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        if annex != b"target.xml" {
            return Err(TargetError::NonFatal);
        }
        let data = self.xml.as_bytes();
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let end = start.saturating_add(length).min(data.len());
        let n = (end - start).min(buf.len());
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }
}

const MONITOR_HELP: &str = "oxbox monitor commands:
  regs                  segment caches, control registers, descriptor tables, mode
  phys ADDR [LEN]       hex dump of physical memory (LEN bytes, default 64)
  translate ADDR        linear address -> physical address
  disas [ADDR [N]]      disassemble N instructions (default 10) at linear ADDR
                        (default CS:EIP) in the current code size
  icount                retired instructions and virtual time
  gdt [FIRST [N]]       decoded GDT entries (default all, at most 256)
  ldt [FIRST [N]]       decoded LDT entries
  idt [FIRST [N]]       decoded IDT entries (the vector table in real mode)
  tlb                   the software TLB's cached translations
Numbers are hex (with or without 0x).";

fn parse_hex(s: &str) -> Option<u32> {
    let s = s.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u32::from_str_radix(s, 16).ok()
}

impl MonitorCmd for GdbTarget<'_> {
    fn handle_monitor_cmd(
        &mut self,
        cmd: &[u8],
        mut out: ConsoleOutput<'_>,
    ) -> Result<(), Self::Error> {
        let Ok(cmd) = std::str::from_utf8(cmd) else {
            outputln!(out, "monitor commands are text; try 'monitor help'");
            return Ok(());
        };
        let mut words = cmd.split_whitespace();
        let verb = words.next().unwrap_or("help");
        let args: Vec<&str> = words.collect();
        let nums: Option<Vec<u32>> = args.iter().map(|a| parse_hex(a)).collect();
        let Some(nums) = nums else {
            outputln!(out, "bad number in '{cmd}' (numbers are hex)");
            return Ok(());
        };
        match verb {
            "help" => outputln!(out, "{MONITOR_HELP}"),
            "regs" => {
                let cpu = self.machine.cpu();
                let mode = cpu.mode();
                let mut s = String::new();
                let _ = writeln!(
                    s,
                    "mode: {}{}{}  CPL {}",
                    if mode.protected { "protected" } else { "real" },
                    if mode.v86 { " (V86)" } else { "" },
                    if mode.paging { ", paging" } else { "" },
                    cpu.cpl()
                );
                for (name, r) in [
                    ("cs", SegReg::Cs),
                    ("ss", SegReg::Ss),
                    ("ds", SegReg::Ds),
                    ("es", SegReg::Es),
                    ("fs", SegReg::Fs),
                    ("gs", SegReg::Gs),
                ] {
                    let sg = cpu.segment(r);
                    let _ = writeln!(
                        s,
                        "{name} {:04x}  base {:08x} limit {:08x} attr {:04x}",
                        sg.selector, sg.base, sg.limit, sg.attr
                    );
                }
                let (gb, gl) = cpu.gdtr();
                let (ib, il) = cpu.idtr();
                let _ = writeln!(
                    s,
                    "cr0 {:08x} cr2 {:08x} cr3 {:08x} cr4 {:08x}",
                    cpu.cr0(),
                    cpu.cr2(),
                    cpu.cr3(),
                    cpu.cr4()
                );
                let _ = write!(
                    s,
                    "gdtr {gb:08x}:{gl:04x}  idtr {ib:08x}:{il:04x}  a20 {}",
                    cpu.a20()
                );
                outputln!(out, "{s}");
            }
            "phys" => {
                let (Some(&addr), len) =
                    (nums.first(), nums.get(1).copied().unwrap_or(64).min(4096))
                else {
                    outputln!(out, "usage: phys ADDR [LEN]");
                    return Ok(());
                };
                let mut buf = vec![0u8; len as usize];
                self.machine.read_physical(addr, &mut buf);
                let mut s = String::new();
                for (i, chunk) in buf.chunks(16).enumerate() {
                    let _ = write!(s, "{:08x}:", addr.wrapping_add(16 * i as u32));
                    for b in chunk {
                        let _ = write!(s, " {b:02x}");
                    }
                    s.push('\n');
                }
                outputln!(out, "{}", s.trim_end());
            }
            "translate" => {
                let Some(&addr) = nums.first() else {
                    outputln!(out, "usage: translate ADDR");
                    return Ok(());
                };
                match self.machine.linear_to_physical(addr) {
                    Ok(p) => outputln!(out, "linear {addr:08x} -> physical {p:08x}"),
                    Err(e) => outputln!(out, "{e}"),
                }
            }
            "disas" => {
                let addr = nums.first().copied().unwrap_or_else(|| self.pc_linear());
                let count = nums.get(1).copied().unwrap_or(10).min(200) as usize;
                let mut s = String::new();
                for d in self.machine.disassemble(addr, count, Syntax::Intel) {
                    let bytes: String = d.bytes.iter().map(|b| format!("{b:02x}")).collect();
                    let _ = writeln!(s, "{:08x}  {bytes:<16} {}", d.address, d.text);
                }
                if s.is_empty() {
                    s.push_str("(unmapped)");
                }
                outputln!(out, "{}", s.trim_end());
            }
            verb @ ("gdt" | "ldt" | "idt") => {
                let table = match verb {
                    "gdt" => Table::Gdt,
                    "ldt" => Table::Ldt,
                    _ => Table::Idt,
                };
                let first = nums.first().copied().unwrap_or(0);
                let count = nums.get(1).copied().unwrap_or(256).min(256);
                match self.machine.descriptor_table(table, first, count) {
                    Ok(entries) if entries.is_empty() => outputln!(out, "({verb} is empty)"),
                    Ok(entries) => {
                        let mut s = String::new();
                        for e in entries {
                            let sel = if table == Table::Idt {
                                format!("{:02x}", e.index)
                            } else {
                                format!(
                                    "{:04x}",
                                    (e.index << 3) | ((table == Table::Ldt) as u32 * 4)
                                )
                            };
                            let _ = writeln!(s, "{verb}[{sel}] {:016x}  {}", e.raw, e.descriptor);
                        }
                        outputln!(out, "{}", s.trim_end());
                    }
                    Err(e) => outputln!(out, "{e}"),
                }
            }
            "tlb" => {
                let entries = self.machine.cpu().tlb_entries();
                let mut s = String::new();
                for e in &entries {
                    let _ = writeln!(
                        s,
                        "{:08x} -> host {:08x} {} {}{}",
                        e.linear,
                        e.host,
                        if e.user { "user" } else { "supervisor" },
                        if e.write { "write" } else { "read" },
                        if e.global { " global" } else { "" }
                    );
                }
                let _ = write!(s, "{} entries", entries.len());
                outputln!(out, "{s}");
            }
            "icount" => {
                outputln!(
                    out,
                    "{} instructions, {} ns of virtual time",
                    self.machine.instruction_count(),
                    self.machine.virtual_time_ns()
                );
            }
            other => outputln!(out, "unknown monitor command '{other}'; try 'monitor help'"),
        }
        Ok(())
    }
}

/// gdbstub's blocking loop, for a target borrowing the machine for `'m`
/// and a connection borrowed for `'c`.
struct EventLoop<'m, 'c>(std::marker::PhantomData<(&'m (), &'c ())>);

impl<'m, 'c> BlockingEventLoop for EventLoop<'m, 'c> {
    type Target = GdbTarget<'m>;
    type Connection = Conn<'c>;
    type StopReason = SingleThreadStopReason<u32>;

    fn wait_for_stop_reason(
        target: &mut Self::Target,
        conn: &mut Self::Connection,
    ) -> Result<
        Event<Self::StopReason>,
        run_blocking::WaitForStopReasonError<&'static str, io::Error>,
    > {
        match target.resume {
            Resume::Continue => target.run_until_stop(conn),
            Resume::Step => target.single_step(conn),
        }
    }

    fn on_interrupt(_target: &mut Self::Target) -> Result<Option<Self::StopReason>, &'static str> {
        Ok(Some(SingleThreadStopReason::Signal(Signal::SIGINT)))
    }
}
