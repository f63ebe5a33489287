//! Headless runs: a ROM or the built-in suite, output to stdout or files,
//! an exit status a script can test.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::Instant;

use oxbox_machine::gdb::{self, GdbOutcome};
use oxbox_machine::{HookId, Machine, Stop, Trace};

use crate::cli::{Args, EXIT_HALTED, EXIT_INSTRUCTION_LIMIT, EXIT_TIMEOUT, EXIT_TRIPLE_FAULT};
use crate::pacing::Pacer;
use crate::suite;

/// Instructions per slice between host-side checks (timeout, signals).
/// Small enough that even a guest made of 4096-iteration REP chunks comes
/// back within seconds.
const SLICE: u64 = 1_000_000;
/// Virtual time per slice when pacing to host time (`--realtime`).
const PACED_SLICE_NS: u64 = 10_000_000;

pub fn run(args: &Args) -> Result<u8, Box<dyn std::error::Error>> {
    let Some(config) = crate::config::build(args)? else {
        if args.gdb.is_some() {
            return Err("--gdb needs a guest: --rom, --bios, --kernel or a disk image".into());
        }
        return suite::run(args);
    };
    let mut machine = Machine::new(config)?;
    if let Some(path) = &args.load_snapshot {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        machine
            .load_snapshot(std::io::BufReader::new(file))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    machine.set_stop_marker(args.until.as_deref().map(str::as_bytes));
    let trace = match &args.trace {
        Some(path) => Some(start_trace(&mut machine, path, args.trace_registers)?),
        None => None,
    };
    let (stop, elapsed) = match args.gdb {
        Some(addr) => match debug_with_gdb(&mut machine, addr, args)? {
            Some(end) => end,
            None => return Ok(0),
        },
        None => run_machine(&mut machine, args),
    };
    // Writes went to the files as the guest made them; make them durable
    // before saying the run is over.
    machine.flush_disks()?;
    let code = report(&machine, stop, elapsed, args.stats);
    if let (Some(id), Some(path)) = (trace, &args.trace) {
        let done = machine
            .take_hooks::<Trace<TraceOut>>(id)
            .map(Trace::into_inner);
        if let Some(Err(e)) = done {
            return Err(format!("cannot write trace {}: {e}", path.display()).into());
        }
    }
    if let Some(path) = &args.save_snapshot {
        let file = std::fs::File::create(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        machine
            .snapshot()
            .save(std::io::BufWriter::new(file))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
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

/// Where `--trace` writes.
type TraceOut = BufWriter<Box<dyn Write>>;

/// Installs the `--trace` hook writing to `path` ("-": stdout).
fn start_trace(
    machine: &mut Machine,
    path: &Path,
    registers: bool,
) -> Result<HookId, Box<dyn std::error::Error>> {
    let out: Box<dyn Write> = if path == Path::new("-") {
        Box::new(std::io::stdout())
    } else {
        Box::new(
            File::create(path)
                .map_err(|e| format!("cannot create trace {}: {e}", path.display()))?,
        )
    };
    let trace = Trace::new(BufWriter::with_capacity(1 << 16, out)).registers(registers);
    Ok(machine.add_hooks(trace))
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
    /// SIGINT or SIGTERM.
    Signal(i32),
}

pub fn run_machine(machine: &mut Machine, args: &Args) -> (End, f64) {
    let start = Instant::now();
    let limit = args.max_instructions.unwrap_or(u64::MAX);
    let mut pacer = args
        .realtime()
        .then(|| Pacer::new(machine.virtual_time_ns()));
    let end = loop {
        let left = limit - machine.instruction_count().min(limit);
        if left == 0 {
            break End::Stop(Stop::InstructionLimit);
        }
        let stop = match pacer.as_mut() {
            // Paced: short slices of virtual time, then sleep off the lead.
            Some(p) => {
                let stop = machine.run_for(left.min(SLICE), PACED_SLICE_NS);
                p.pace(machine.virtual_time_ns());
                stop
            }
            None => machine.run(left.min(SLICE)),
        };
        match stop {
            Stop::InstructionLimit | Stop::Yield => {}
            stop => break End::Stop(stop),
        }
        if let Some(sig) = crate::signals::received() {
            break End::Signal(sig);
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
        End::Stop(s @ (Stop::Debug(_) | Stop::Hook)) => {
            eprintln!("oxbox: {s} at {cs:04x}:{eip:08x}");
            0
        }
        End::Stop(s @ (Stop::HaltedInterruptsOff | Stop::Idle)) => {
            eprintln!("oxbox: {s} at {cs:04x}:{eip:08x}");
            EXIT_HALTED
        }
        End::Stop(s @ Stop::Yield) => {
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
            eprintln!(
                "oxbox: timeout after {secs:.1} s at {cs:04x}:{eip:08x}: the guest did not finish \
                 (raise --timeout if it needs longer)"
            );
            EXIT_TIMEOUT
        }
        End::Signal(sig) => {
            eprintln!(
                "oxbox: stopped by {} at {cs:04x}:{eip:08x}; disk images flushed",
                crate::signals::name(sig)
            );
            (128 + sig) as u8
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
