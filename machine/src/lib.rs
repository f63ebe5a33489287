//! The oxbox PC: RAM, firmware, the port map and the CPU, joined.
//!
//! ```no_run
//! use oxbox_machine::{Config, Machine, Output, Stop};
//! let rom = oxbox_machine::load_rom("test.rom".as_ref())?;
//! let mut config = Config::new(rom);
//! config.consoles.push((0xE9, Output::Stdout));
//! let mut m = Machine::new(config)?;
//! match m.run(10_000_000) {
//!     Stop::DebugExit(status) => println!("guest asked to exit with {status}"),
//!     other => println!("stopped: {other}"),
//! }
//! # Ok::<(), oxbox_machine::Error>(())
//! ```

mod bus;
mod memory;

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use oxbox_cpu::{Cpu, CpuModel, Exit};

pub use bus::PcBus;
pub use memory::MAX_ROM;
pub use oxbox_cpu as cpu;

/// Where a debug console's bytes go.
pub enum Output {
    Stdout,
    Stderr,
    File(File),
    /// Kept in memory; read with [`Machine::captured`].
    Capture,
}

/// What to build.
pub struct Config {
    /// RAM in bytes (rounded up to 4 KiB).
    pub ram_size: usize,
    /// The firmware image, mapped to end at 0xFFFFF and 0xFFFFFFFF.
    pub rom: Vec<u8>,
    /// Debug console ports and their sinks.
    pub consoles: Vec<(u16, Output)>,
    /// QEMU isa-debug-exit port, if any.
    pub debug_exit_port: Option<u16>,
    /// The A20 gate at power-on (QEMU and Bochs start with it enabled).
    pub a20: bool,
}

impl Config {
    pub fn new(rom: Vec<u8>) -> Self {
        Config { ram_size: 16 << 20, rom, consoles: Vec::new(), debug_exit_port: Some(0xF4), a20: true }
    }
}

/// A host-side problem: bad file, bad size, bad setting.
#[derive(Debug)]
pub enum Error {
    Io { path: PathBuf, source: std::io::Error },
    EmptyRom(PathBuf),
    RomTooLarge { path: PathBuf, size: u64 },
    BadConfig(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Error::EmptyRom(p) => write!(f, "ROM image {} is empty", p.display()),
            Error::RomTooLarge { path, size } => write!(
                f,
                "ROM image {} is {size} bytes; the ROM window below 1 MiB holds at most {MAX_ROM} bytes",
                path.display()
            ),
            Error::BadConfig(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for Error {}

/// Reads a raw ROM image, checking its size. Images whose size is not a
/// multiple of 4 KiB are padded at the front with 0xFF so the last byte
/// still lands at 0xFFFFF.
pub fn load_rom(path: &Path) -> Result<Vec<u8>, Error> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Io { path: path.into(), source })?;
    if meta.len() > MAX_ROM as u64 {
        return Err(Error::RomTooLarge { path: path.into(), size: meta.len() });
    }
    let data = std::fs::read(path).map_err(|source| Error::Io { path: path.into(), source })?;
    if data.is_empty() {
        return Err(Error::EmptyRom(path.into()));
    }
    if data.len() > MAX_ROM {
        return Err(Error::RomTooLarge { path: path.into(), size: data.len() as u64 });
    }
    Ok(pad_rom(data))
}

fn pad_rom(data: Vec<u8>) -> Vec<u8> {
    let padded = data.len().div_ceil(4096) * 4096;
    if padded == data.len() {
        return data;
    }
    let mut v = vec![0xFF; padded - data.len()];
    v.extend_from_slice(&data);
    v
}

/// Why [`Machine::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The guest wrote to the debug-exit port: exit with this status.
    DebugExit(i32),
    /// The instruction limit was reached exactly.
    InstructionLimit,
    /// HLT with interrupts disabled: nothing can ever wake the CPU.
    HaltedInterruptsOff,
    /// HLT with interrupts enabled but no device that could raise one.
    Idle,
    /// A fault while delivering a double fault.
    TripleFault,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::DebugExit(s) => write!(f, "guest requested exit with status {s}"),
            Stop::InstructionLimit => f.write_str("instruction limit reached"),
            Stop::HaltedInterruptsOff => f.write_str("CPU halted with interrupts disabled"),
            Stop::Idle => f.write_str("CPU halted and no device can wake it"),
            Stop::TripleFault => f.write_str("triple fault: the processor shut down"),
        }
    }
}

/// The whole PC.
pub struct Machine {
    cpu: Cpu<PcBus>,
    bus: PcBus,
    outputs: Vec<(u16, Output)>,
    captured: Vec<(u16, Vec<u8>)>,
}

impl Machine {
    pub fn new(config: Config) -> Result<Self, Error> {
        if config.rom.len() > MAX_ROM || config.rom.is_empty() {
            return Err(Error::BadConfig(format!(
                "ROM image must be 1 to {MAX_ROM} bytes, not {}",
                config.rom.len()
            )));
        }
        if config.ram_size < (1 << 20) || config.ram_size > (3 << 30) {
            return Err(Error::BadConfig(format!(
                "RAM size must be between 1 MiB and 3 GiB, not {} bytes",
                config.ram_size
            )));
        }
        let ram = config.ram_size.div_ceil(4096) * 4096;
        let mem = memory::Memory::new(ram, &pad_rom(config.rom));
        let mut bus = PcBus::new(mem);
        bus.debug_exit_port = config.debug_exit_port;
        bus.consoles = config.consoles.iter().map(|(p, _)| (*p, Vec::new())).collect();
        bus.set_a20_latch(config.a20);
        let mut cpu = Cpu::new(CpuModel::I486);
        cpu.set_a20(config.a20);
        Ok(Machine { cpu, bus, outputs: config.consoles, captured: Vec::new() })
    }

    pub fn cpu(&self) -> &Cpu<PcBus> {
        &self.cpu
    }

    pub fn cpu_mut(&mut self) -> &mut Cpu<PcBus> {
        &mut self.cpu
    }

    pub fn instruction_count(&self) -> u64 {
        self.cpu.instruction_count()
    }

    /// Bytes a [`Output::Capture`] console received so far.
    pub fn captured(&self, port: u16) -> &[u8] {
        self.captured.iter().find(|(p, _)| *p == port).map(|(_, v)| v.as_slice()).unwrap_or(&[])
    }

    /// Runs until the guest stops or `max_instructions` more have retired.
    pub fn run(&mut self, max_instructions: u64) -> Stop {
        let target = self.cpu.instruction_count().saturating_add(max_instructions);
        loop {
            let left = target - self.cpu.instruction_count();
            if left == 0 {
                self.drain_consoles();
                return Stop::InstructionLimit;
            }
            let exit = self.cpu.run(&mut self.bus, left);
            self.drain_consoles();
            let req = std::mem::take(&mut self.bus.requests);
            if let Some(on) = req.a20 {
                self.cpu.set_a20(on);
            }
            if req.reset {
                self.cpu.reset();
            }
            if let Some(status) = req.exit {
                return Stop::DebugExit(status);
            }
            match exit {
                Exit::Budget | Exit::Attention => {}
                Exit::Halted => {
                    return if self.cpu.eflags() & oxbox_cpu::FLAG_IF == 0 {
                        Stop::HaltedInterruptsOff
                    } else {
                        Stop::Idle
                    };
                }
                Exit::TripleFault => return Stop::TripleFault,
            }
        }
    }

    /// Moves console bytes to their sinks.
    fn drain_consoles(&mut self) {
        for (port, buf) in &mut self.bus.consoles {
            if buf.is_empty() {
                continue;
            }
            let Some((_, out)) = self.outputs.iter_mut().find(|(p, _)| p == port) else { continue };
            let res = match out {
                Output::Stdout => {
                    let mut o = std::io::stdout().lock();
                    o.write_all(buf).and_then(|_| o.flush())
                }
                Output::Stderr => std::io::stderr().write_all(buf),
                Output::File(f) => f.write_all(buf),
                Output::Capture => {
                    match self.captured.iter_mut().find(|(p, _)| p == port) {
                        Some((_, v)) => v.extend_from_slice(buf),
                        None => self.captured.push((*port, buf.clone())),
                    }
                    Ok(())
                }
            };
            if let Err(e) = res {
                log::warn!("debug console on port {port:#x}: {e}");
            }
            buf.clear();
        }
    }
}
