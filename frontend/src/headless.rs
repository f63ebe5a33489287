//! Headless runs: a ROM or the built-in suite, output to stdout or files,
//! an exit status a script can test.

use std::net::{SocketAddr, TcpListener};
use std::time::Instant;

use oxbox_machine::gdb::{self, GdbOutcome};
use oxbox_machine::{Machine, Stop};

use crate::cli::{Args, EXIT_INSTRUCTION_LIMIT, EXIT_TIMEOUT, EXIT_TRIPLE_FAULT};
use crate::suite;

/// Instructions per slice between host-side checks (timeout).
const SLICE: u64 = 20_000_000;

pub fn run(args: &Args) -> Result<u8, Box<dyn std::error::Error>> {
    let Some(config) = crate::config::build(args)? else {
        if args.gdb.is_some() {
            return Err("--gdb needs a guest: --rom, --bios, --kernel or a disk image".into());
        }
        return suite::run(args);
    };
    let mut machine = Machine::new(config)?;
    machine.set_stop_marker(args.until.as_deref().map(str::as_bytes));
    let (stop, elapsed) = match args.gdb {
        Some(addr) => match debug_with_gdb(&mut machine, addr, args)? {
            Some(end) => end,
            None => return Ok(0),
        },
        None => run_machine(&mut machine, args),
    };
    let code = report(&machine, stop, elapsed, args.stats);
    if let Some(path) = &args.screenshot {
        let mut frame = oxbox_machine::devices::vga::Frame::new();
        machine.render(&mut frame);
        crate::png::write(path, frame.width, frame.height, &frame.pixels)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if args.print_screen {
        match machine.text_screen() {
            Some(text) => println!("{text}"),
            None => eprintln!("oxbox: the screen is in a graphics mode; use --screenshot"),
        }
    }
    Ok(code)
}

/// Waits for gdb on `addr` and lets it drive the machine. Returns how the
/// run ended: the guest's own end while gdb watched, or, after gdb
/// detached, the rest of an ordinary run; `None` when gdb killed it.
fn debug_with_gdb(
    machine: &mut Machine,
    addr: SocketAddr,
    args: &Args,
) -> Result<Option<(End, f64)>, Box<dyn std::error::Error>> {
    let listener =
        TcpListener::bind(addr).map_err(|e| format!("cannot listen for gdb on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    eprintln!("oxbox: waiting for gdb on {local}");
    let start = Instant::now();
    let outcome = gdb::serve_listener(machine, &listener)
        .map_err(|e| format!("gdb connection on {local}: {e}"))?;
    match outcome {
        GdbOutcome::Ended(stop) => Ok(Some((End::Stop(stop), start.elapsed().as_secs_f64()))),
        GdbOutcome::Killed => {
            eprintln!("oxbox: killed by gdb");
            Ok(None)
        }
        GdbOutcome::Detached => {
            eprintln!("oxbox: gdb detached; the guest runs on");
            Ok(Some(run_machine(machine, args)))
        }
    }
}

/// What ended a headless run.
pub enum End {
    Stop(Stop),
    Timeout,
}

pub fn run_machine(machine: &mut Machine, args: &Args) -> (End, f64) {
    let start = Instant::now();
    let limit = args.max_instructions.unwrap_or(u64::MAX);
    let end = loop {
        let left = limit - machine.instruction_count().min(limit);
        if left == 0 {
            break End::Stop(Stop::InstructionLimit);
        }
        match machine.run(left.min(SLICE)) {
            Stop::InstructionLimit | Stop::Yield => {}
            stop => break End::Stop(stop),
        }
        if let Some(t) = args.timeout {
            if start.elapsed().as_secs_f64() >= t {
                break End::Timeout;
            }
        }
    };
    (end, start.elapsed().as_secs_f64())
}

pub fn report(machine: &Machine, end: End, secs: f64, stats: bool) -> u8 {
    let n = machine.instruction_count();
    let cs = machine
        .cpu()
        .segment(oxbox_machine::cpu::SegReg::Cs)
        .selector;
    let eip = machine.cpu().eip();
    let code = match end {
        End::Stop(Stop::DebugExit(s)) => (s & 0xFF) as u8,
        End::Stop(Stop::Marker) => 0,
        End::Stop(s @ Stop::Debug(_)) => {
            eprintln!("oxbox: {s} at {cs:04x}:{eip:08x}");
            0
        }
        End::Stop(s @ (Stop::HaltedInterruptsOff | Stop::Idle | Stop::Yield)) => {
            eprintln!("oxbox: {s} at {cs:04x}:{eip:08x}");
            0
        }
        End::Stop(s @ Stop::InstructionLimit) => {
            eprintln!("oxbox: {s} ({n} instructions) at {cs:04x}:{eip:08x}");
            EXIT_INSTRUCTION_LIMIT
        }
        End::Stop(s @ Stop::TripleFault) => {
            eprintln!("oxbox: {s} at {cs:04x}:{eip:08x}");
            EXIT_TRIPLE_FAULT
        }
        End::Timeout => {
            eprintln!("oxbox: timeout after {secs:.1} s at {cs:04x}:{eip:08x}");
            EXIT_TIMEOUT
        }
    };
    if stats {
        let mips = if secs > 0.0 {
            n as f64 / secs / 1e6
        } else {
            0.0
        };
        eprintln!("instructions: {n} in {secs:.3} s ({mips:.1} MIPS)");
        let w = machine.cpu().work_stats();
        eprintln!(
            "work: {} blocks decoded, {} jump-cache misses, {} page walks, {} slow steps, \
             {} code invalidations, {} REP fast runs",
            w.blocks_decoded,
            w.jump_cache_misses,
            w.page_walks,
            w.slow_steps,
            w.code_invalidations,
            w.rep_fast_runs
        );
    }
    code
}
