//! The oxbox PC: RAM, firmware, the port map and the CPU, joined, and the
//! API to drive it from a Rust program: build a machine with
//! [`MachineBuilder`], run it with [`Machine::run`] / [`Machine::step`]
//! (each returns why it stopped, [`Stop`]), inspect and change registers
//! through [`Machine::cpu`] / [`Machine::cpu_mut`] and memory by physical
//! or linear address, set breakpoints and watchpoints, take
//! [`Snapshot`]s and write them to files.
//!
//! ```
//! use oxbox_machine::cpu::{Access, DebugStop};
//! use oxbox_machine::{MachineBuilder, Output, Stop, Syntax};
//!
//! // F000:0000: mov ax,1234h; mov [500h],ax; mov al,'A'; out 0E9h,al; hlt
//! let mut rom = vec![0xF4u8; 0x10000];
//! rom[..10].copy_from_slice(&[0xB8, 0x34, 0x12, 0xA3, 0x00, 0x05, 0xB0, 0x41, 0xE6, 0xE9]);
//! rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0x00, 0x00, 0xF0]); // jmp F000:0000
//! let mut m = MachineBuilder::new()
//!     .memory_mib(2)
//!     .rom(rom)
//!     .debug_console(0xE9, Output::Capture)
//!     .build()?;
//! let snap = m.snapshot();
//!
//! // Stop right after the guest writes 500h-501h.
//! m.watch_memory(0x500, 2, Access::Write)?;
//! let stop = m.run(100);
//! assert_eq!(stop, Stop::Debug(DebugStop::Watchpoint { linear: 0x500, write: true }));
//! assert_eq!((m.cpu().eip(), m.cpu().gpr(0) & 0xFFFF), (6, 0x1234));
//! assert_eq!(m.disassemble(0xF0006, 1, Syntax::Nasm)[0].text, "mov al,41h");
//! m.cpu_mut().clear_watches();
//! assert_eq!(m.run(100), Stop::HaltedInterruptsOff);
//! assert_eq!(m.captured(0xE9), b"A");
//!
//! // The snapshot, through a file and back: the machine is at power-on again.
//! let mut file = Vec::new();
//! snap.save(&mut file)?;
//! m.load_snapshot(&file[..])?;
//! assert_eq!((m.instruction_count(), m.captured(0xE9)), (0, &b""[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod builder;
mod bus;
mod capture;
mod codec;
mod debug;
mod descriptor;
mod disk;
pub mod fuzzing;
pub mod gdb;
mod hooks;
mod hostfile;
mod linux;
mod memory;
mod multiboot;
mod replay;
pub mod snapfile;

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use oxbox_cpu::{Bus, Cpu, CpuModel, Exit};

pub use builder::MachineBuilder;
pub use bus::{Devices, PcBus};
use capture::append_capped;
pub use capture::CAPTURE_CAP;
pub use debug::{Disassembly, Syntax, Unmapped, WatchError};
pub use descriptor::{Descriptor, Table, TableEntry};
pub use disk::{guess_kind, DiskImage, MediaKind};
pub use hooks::Trace;
pub use linux::LinuxBoot;
pub use oxbox_cpu::{
    CpuidResult, Events, HookCtx, HookId, Hooks, Insn, InterruptEvent, InterruptKind, MemAccess,
    MsrWrite, PortAccess,
};
pub use oxbox_devices as devices;
pub use oxbox_devices::cmos::DateTime;
pub use oxbox_devices::fw_cfg::BootDevice;
pub use replay::{InputEvent, Recording, Stamped};
pub use snapfile::{SnapshotError, FORMAT_VERSION, MAGIC};

/// Default virtual clock: 100 million instructions per virtual second.
pub const DEFAULT_IPS: u64 = 100_000_000;
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
    /// Serial ports (0 = COM1 ... 3 = COM4) and where their output goes.
    pub serial: Vec<(usize, Output)>,
    /// Guest instructions per virtual second: the rate at which virtual
    /// time advances with retired instructions.
    pub ips: u64,
    /// The VGA BIOS, offered as the VGA's PCI expansion ROM.
    pub vga_rom: Vec<u8>,
    /// Emulate the i440FX/PIIX3 PCI chipset (needed by real BIOSes; raw
    /// test ROMs usually run without it).
    pub pci: bool,
    /// Floppy drives A: and B:.
    pub floppies: [Option<DiskImage>; 2],
    /// IDE devices: [primary master, primary slave, secondary master, secondary slave].
    pub ide: [Option<DiskImage>; 4],
    /// Boot order for the firmware (CMOS and fw_cfg "bootorder").
    pub boot_order: Vec<BootDevice>,
    /// Boot a Linux kernel directly instead of through firmware.
    pub linux: Option<LinuxBoot>,
    /// The RTC's date and time at power-on. The default is a fixed date so
    /// headless runs are deterministic.
    pub rtc_start: DateTime,
}

impl Config {
    pub fn new(rom: Vec<u8>) -> Self {
        Config {
            ram_size: 16 << 20,
            rom,
            consoles: Vec::new(),
            debug_exit_port: Some(0xF4),
            a20: true,
            serial: Vec::new(),
            ips: DEFAULT_IPS,
            linux: None,
            vga_rom: Vec::new(),
            pci: true,
            floppies: [None, None],
            ide: [None, None, None, None],
            boot_order: Vec::new(),
            rtc_start: DateTime {
                year: 2026,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0,
            },
        }
    }
}

/// A host-side problem: bad file, bad size, bad setting.
#[derive(Debug)]
pub enum Error {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    EmptyRom(PathBuf),
    RomTooLarge {
        path: PathBuf,
        size: u64,
    },
    BadConfig(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(
                f,
                "cannot open {}: {source}; {}",
                path.display(),
                hostfile::hint(source)
            ),
            Error::EmptyRom(p) => write!(
                f,
                "ROM image {} is empty; give a BIOS or ROM image",
                p.display()
            ),
            Error::RomTooLarge { path, size } => write!(
                f,
                "ROM image {} is {size} bytes; the ROM window below 1 MiB holds at most {MAX_ROM} bytes \
                 (give a 64 or 128 KiB BIOS image)",
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
    let len = hostfile::regular_len(path, "ROM image", u64::MAX)?;
    if len > MAX_ROM as u64 {
        return Err(Error::RomTooLarge {
            path: path.into(),
            size: len,
        });
    }
    let data = hostfile::read(path, "ROM image", MAX_ROM as u64)?;
    if data.is_empty() {
        return Err(Error::EmptyRom(path.into()));
    }
    if data.len() > MAX_ROM {
        return Err(Error::RomTooLarge {
            path: path.into(),
            size: data.len() as u64,
        });
    }
    Ok(pad_rom(data))
}

/// Reads a VGA BIOS (a PCI expansion ROM image): 1 byte to [`MAX_ROM`].
pub fn load_vga_rom(path: &Path) -> Result<Vec<u8>, Error> {
    let data = hostfile::read(path, "VGA BIOS", MAX_ROM as u64)?;
    if data.is_empty() {
        return Err(Error::BadConfig(format!(
            "VGA BIOS {} is empty; give a VGA BIOS image (e.g. /usr/share/seabios/vgabios-stdvga.bin)",
            path.display()
        )));
    }
    Ok(data)
}

/// Pads an option ROM at the end to whole pages (it is mapped from its start).
fn pad_rom_back(mut data: Vec<u8>) -> Vec<u8> {
    data.resize(data.len().div_ceil(4096) * 4096, 0xFF);
    data
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
    /// The stop marker appeared on a serial port or debug console.
    Marker,
    /// A breakpoint, watchpoint or catch set on the CPU (see
    /// `Cpu::add_breakpoint` and friends).
    Debug(oxbox_cpu::DebugStop),
    /// The run's virtual-time budget passed (the CPU sat halted part of
    /// it); nothing is wrong, call `run` again.
    Yield,
    /// A hook asked to stop (see [`Machine::add_hooks`] and
    /// `HookCtx::stop`).
    Hook,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::DebugExit(s) => write!(f, "guest requested exit with status {s}"),
            Stop::InstructionLimit => f.write_str("instruction limit reached"),
            Stop::HaltedInterruptsOff => f.write_str("CPU halted with interrupts disabled"),
            Stop::Idle => f.write_str("CPU halted and no device can wake it"),
            Stop::TripleFault => f.write_str("triple fault: the processor shut down"),
            Stop::Yield => f.write_str("halted, waiting for the next device event"),
            Stop::Marker => f.write_str("stop marker seen"),
            Stop::Debug(d) => write!(f, "debugger stop: {d:?}"),
            Stop::Hook => f.write_str("stopped by a hook"),
        }
    }
}

/// The whole PC.
pub struct Machine {
    cpu: Cpu<PcBus>,
    bus: PcBus,
    outputs: Vec<(u16, Output)>,
    serial_outputs: Vec<(usize, Output)>,
    captured: Vec<(u16, Vec<u8>)>,
    serial_captured: [Vec<u8>; 4],
    scratch: Vec<u8>,
    /// `run` stops when this byte string appears in any output.
    marker: Option<Vec<u8>>,
    /// The last output bytes, enough to find a marker split across drains.
    tail: Vec<u8>,
    marker_seen: bool,
    /// FERR# as last seen, to latch its rising edge.
    ferr_seen: bool,
    /// Inputs recorded since `start_recording`.
    recording: Option<Recording>,
    /// A recording being replayed.
    replay: Option<replay::Replay>,
    /// The snapshot the dirty-page bits are relative to.
    baseline: Option<u64>,
    next_snapshot_id: u64,
    /// What a snapshot must match to be restored here.
    fingerprint: snapfile::Fingerprint,
}

/// A whole-machine snapshot in memory: CPU, devices, RAM, disk overlays
/// (disks opened with `snapshot: true`; a write-through disk's file is not
/// part of it) and captured output.
#[derive(Clone)]
pub struct Snapshot {
    id: u64,
    fingerprint: snapfile::Fingerprint,
    cpu: oxbox_cpu::CpuState,
    devices: bus::Devices,
    ram: std::sync::Arc<Vec<u8>>,
    captured: Vec<(u16, Vec<u8>)>,
    serial_captured: [Vec<u8>; 4],
}

impl Machine {
    /// Builds a machine from a [`Config`] ([`MachineBuilder`] is the
    /// step-by-step way). Every problem (bad sizes, unreadable images) is
    /// an [`Error`].
    pub fn new(mut config: Config) -> Result<Self, Error> {
        if config.rom.len() > MAX_ROM || (config.rom.is_empty() && config.linux.is_none()) {
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
        if config.ips == 0 || config.ips > 1_000_000_000 {
            return Err(Error::BadConfig(format!(
                "instructions per second must be 1 to 10^9, not {}",
                config.ips
            )));
        }
        if config.vga_rom.len() > MAX_ROM {
            return Err(Error::BadConfig(format!(
                "VGA ROM image is {} bytes; at most {MAX_ROM} bytes fit",
                config.vga_rom.len()
            )));
        }
        let vga_rom = pad_rom_back(std::mem::take(&mut config.vga_rom));
        let rom = pad_rom(std::mem::take(&mut config.rom));
        let (rom_hash, vga_rom_hash) = (snapfile::fnv(&rom), snapfile::fnv(&vga_rom));
        let mem = memory::Memory::try_new(ram, &rom, &vga_rom).ok_or_else(|| {
            Error::BadConfig(format!(
                "cannot get {} MiB of guest RAM from the host; give less with -m",
                ram >> 20
            ))
        })?;
        let mut bus = PcBus::new(mem, (1_000_000_000 / config.ips).max(1), config.rtc_start);
        if config.pci {
            bus.vga_rom_bar =
                vga_rom.len().next_power_of_two() as u32 * (!vga_rom.is_empty()) as u32;
            bus.pci = oxbox_devices::pci::PciBus::i440fx(
                oxbox_devices::pci::DEFAULT_LFB_SIZE,
                bus.vga_rom_bar,
            );
        }
        attach_disks(&config, &mut bus)?;
        bus.fw_cfg.set_ram_size(ram as u64);
        bus.fw_cfg.set_cpus(1, 1);
        let e820 = [oxbox_devices::fw_cfg::E820Entry {
            addr: 0,
            len: ram as u64,
            kind: oxbox_devices::fw_cfg::E820_RAM,
        }];
        if let Err(e) = bus.fw_cfg.set_e820(&e820) {
            log::warn!("fw_cfg e820: {e:?}");
        }
        bus.debug_exit = config
            .debug_exit_port
            .map(oxbox_devices::debug_exit::DebugExit::new);
        bus.consoles = config
            .consoles
            .iter()
            .map(|(p, _)| oxbox_devices::debugcon::DebugCon::new(*p))
            .collect();
        let mut cpu = Cpu::new(CpuModel::I486);
        cpu.set_a20(config.a20);
        if let Some(boot) = &config.linux {
            linux::load(boot, &mut cpu, &mut bus)?;
        }
        let disks = bus
            .stores_mut()
            .into_iter()
            .map(|(slot, st)| {
                let img = match slot {
                    0 | 1 => config.floppies[slot].as_ref(),
                    n => config.ide.get(n - 2).and_then(|d| d.as_ref()),
                };
                let kind = img.map_or("disk".to_string(), |d| format!("{:?}", d.kind));
                let in_memory = img.is_some_and(|d| d.snapshot);
                (slot as u64, kind, st.len(), in_memory)
            })
            .collect();
        let fingerprint = snapfile::Fingerprint {
            ram_size: ram as u64,
            memory_len: bus.mem.bytes.len() as u64,
            rom_hash,
            vga_rom_hash,
            pci: config.pci,
            ips: config.ips,
            consoles: config.consoles.iter().map(|(p, _)| *p).collect(),
            serial: config.serial.iter().map(|(c, _)| *c as u64).collect(),
            debug_exit: config.debug_exit_port,
            disks,
        };
        Ok(Machine {
            cpu,
            bus,
            outputs: config.consoles,
            serial_outputs: config.serial,
            captured: Vec::new(),
            serial_captured: Default::default(),
            scratch: Vec::new(),
            marker: None,
            tail: Vec::new(),
            marker_seen: false,
            ferr_seen: false,
            recording: None,
            replay: None,
            baseline: None,
            next_snapshot_id: 1,
            fingerprint,
        })
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

    /// Bytes a [`Output::Capture`] serial port (0 = COM1) sent so far.
    pub fn serial_captured(&self, com: usize) -> &[u8] {
        self.serial_captured
            .get(com)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }

    /// Feeds bytes to a serial port's receiver (0 = COM1).
    pub fn serial_input(&mut self, com: usize, bytes: &[u8]) {
        self.input(InputEvent::Serial {
            com,
            bytes: bytes.to_vec(),
        });
    }

    /// Starts recording every input (keys, mouse, serial) with the
    /// instruction count and virtual time it arrives at.
    pub fn start_recording(&mut self) {
        self.recording = Some(Recording::default());
    }

    /// Stops recording and returns what was recorded.
    pub fn take_recording(&mut self) -> Option<Recording> {
        self.recording.take()
    }

    /// Plays a recording back: each input is applied at exactly the
    /// instruction count and virtual time it was recorded at, as `run`
    /// reaches them. Start from the state the recording started from.
    pub fn replay(&mut self, recording: Recording) {
        self.replay = Some(replay::Replay { recording, next: 0 });
    }

    /// Whether a replay still has inputs to apply.
    pub fn replaying(&self) -> bool {
        self.replay.as_ref().is_some_and(|r| r.peek().is_some())
    }

    /// Takes an input from outside, recording it if a recording is on.
    fn input(&mut self, event: InputEvent) {
        if let Some(rec) = &mut self.recording {
            let icount = self.cpu.instruction_count();
            rec.events.push(Stamped {
                icount,
                time_ns: self.bus.time_at(icount),
                event: event.clone(),
            });
        }
        self.apply_input(event);
    }

    fn apply_input(&mut self, event: InputEvent) {
        let now = self.virtual_time_ns();
        match event {
            InputEvent::Key { key, down: true } => self.bus.kbc.key_down(key, now),
            InputEvent::Key { key, down: false } => self.bus.kbc.key_up(key, now),
            InputEvent::Mouse {
                dx,
                dy,
                dz,
                buttons,
            } => self.bus.kbc.mouse_move(dx, dy, dz, buttons, now),
            InputEvent::Serial { com, bytes } => {
                if let Some(u) = self.bus.uarts.get_mut(com) {
                    u.push_input(&bytes, now);
                }
            }
        }
    }

    /// Applies the replayed inputs that are due now; returns the next
    /// one's (instruction count, time) if it is still ahead.
    fn replay_due(&mut self) -> Option<(u64, u64)> {
        loop {
            let icount = self.cpu.instruction_count();
            let now = self.bus.time_at(icount);
            let r = self.replay.as_mut()?;
            let next = r.peek()?;
            if next.icount < icount || (next.icount == icount && next.time_ns <= now) {
                let ev = next.event.clone();
                r.next += 1;
                self.apply_input(ev);
                self.bus.service(icount);
            } else {
                return Some((next.icount, next.time_ns));
            }
        }
    }

    /// Makes `run` return [`Stop::Marker`] once `marker` has appeared in
    /// the output of any serial port or debug console.
    pub fn set_stop_marker(&mut self, marker: Option<&[u8]>) {
        self.marker = marker.filter(|m| !m.is_empty()).map(|m| m.to_vec());
        self.marker_seen = false;
        self.tail.clear();
    }

    /// Saves the whole machine. The first snapshot copies all of RAM; from
    /// then on the machine tracks which pages the guest writes, so
    /// [`Machine::restore`] of the latest snapshot copies back only those.
    pub fn snapshot(&mut self) -> Snapshot {
        let id = self.next_snapshot_id;
        self.next_snapshot_id += 1;
        let snap = Snapshot {
            id,
            fingerprint: self.fingerprint.clone(),
            cpu: self.cpu.save_state(),
            devices: self.bus.save_devices(),
            ram: std::sync::Arc::new(self.bus.mem.bytes.clone()),
            captured: self.captured.clone(),
            serial_captured: self.serial_captured.clone(),
        };
        self.start_tracking(id);
        snap
    }

    /// Puts the machine back exactly as it was at `snap`. Restoring the
    /// most recent snapshot (or the one last restored) copies only the RAM
    /// pages written since; another one copies all of RAM.
    ///
    /// A snapshot of a machine built from another configuration (RAM
    /// size, firmware, devices, disks) is refused with
    /// [`SnapshotError::OtherMachine`] and the machine is left as it was.
    pub fn restore(&mut self, snap: &Snapshot) -> Result<(), SnapshotError> {
        if let Some(why) = snap.fingerprint.differs(&self.fingerprint) {
            return Err(SnapshotError::OtherMachine(why));
        }
        if snap.ram.len() != self.bus.mem.bytes.len() {
            return Err(SnapshotError::OtherMachine("memory sizes differ".into()));
        }
        if self.baseline == Some(snap.id) {
            let pages: Vec<usize> = self.bus.dirty_pages().collect();
            for off in pages {
                let end = (off + 4096)
                    .min(snap.ram.len())
                    .min(self.bus.mem.bytes.len());
                if off < end {
                    self.bus.mem.bytes[off..end].copy_from_slice(&snap.ram[off..end]);
                    self.cpu.invalidate_memory(off, end - off);
                }
            }
            self.bus.load_devices(&snap.devices, false);
        } else {
            let n = snap.ram.len().min(self.bus.mem.bytes.len());
            self.bus.mem.bytes[..n].copy_from_slice(&snap.ram[..n]);
            self.cpu.flush_code_cache();
            self.bus.load_devices(&snap.devices, true);
        }
        self.cpu.restore_state(&snap.cpu);
        self.captured.clone_from(&snap.captured);
        self.serial_captured.clone_from(&snap.serial_captured);
        self.tail.clear();
        self.marker_seen = false;
        self.ferr_seen = self.cpu.ferr();
        self.start_tracking(snap.id);
        Ok(())
    }

    fn start_tracking(&mut self, id: u64) {
        self.bus.clear_dirty();
        self.cpu.restart_write_tracking();
        self.baseline = Some(id);
    }

    /// A hardware reset: the CPU and the chipset and devices return to their
    /// power-on state; RAM, CMOS memory and the clock keep going, disks stay
    /// attached.
    pub fn reset(&mut self) {
        self.bus.reset_devices();
        self.cpu.reset();
        self.cpu.set_a20(true);
        self.cpu.flush_code_cache();
    }

    /// Writes every disk's pending data to the host.
    pub fn flush_disks(&mut self) -> Result<(), Error> {
        self.bus.flush_disks()
    }

    /// A key went down or up on the PS/2 keyboard.
    pub fn key_event(&mut self, key: devices::i8042::Key, down: bool) {
        self.input(InputEvent::Key { key, down });
    }

    /// PS/2 mouse motion (dy positive is up) and buttons (bit 0 left,
    /// 1 right, 2 middle).
    pub fn mouse_event(&mut self, dx: i32, dy: i32, dz: i32, buttons: u8) {
        self.input(InputEvent::Mouse {
            dx,
            dy,
            dz,
            buttons,
        });
    }

    /// Draws the display as the VGA shows it now.
    pub fn render(&mut self, frame: &mut devices::vga::Frame) {
        self.bus
            .vga
            .render_at(frame, self.bus.time_at(self.cpu.instruction_count()));
    }

    /// The characters on a text-mode screen, one line per row; `None` in
    /// graphics modes.
    pub fn text_screen(&self) -> Option<String> {
        self.bus.vga.text_screen()
    }

    /// Virtual time in nanoseconds since power-on.
    pub fn virtual_time_ns(&self) -> u64 {
        self.bus.time_at(self.cpu.instruction_count())
    }

    /// Bytes a [`Output::Capture`] console received so far.
    pub fn captured(&self, port: u16) -> &[u8] {
        self.captured
            .iter()
            .find(|(p, _)| *p == port)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// Runs until the guest stops or `max_instructions` more have retired.
    ///
    /// The CPU runs in slices that end at the next device deadline; devices
    /// are brought up to date between slices. A halted CPU skips virtual
    /// time straight to the next deadline.
    ///
    /// The instruction budget is also a budget of virtual time (as much as
    /// that many instructions take), so a guest that sits halted still
    /// returns, with [`Stop::Yield`].
    pub fn run(&mut self, max_instructions: u64) -> Stop {
        let time = max_instructions.saturating_mul(self.bus.ns_per_insn());
        self.run_for(max_instructions, time)
    }

    /// Runs exactly one instruction (or stops before it at a breakpoint).
    ///
    /// ```
    /// # use oxbox_machine::{MachineBuilder, Stop};
    /// let mut rom = vec![0x90u8; 0x10000]; // NOPs
    /// rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0x00, 0x00, 0xF0]);
    /// let mut m = MachineBuilder::new().rom(rom).build()?;
    /// assert_eq!(m.step(), Stop::InstructionLimit);
    /// assert_eq!((m.cpu().eip(), m.instruction_count()), (0, 1)); // at F000:0000
    /// m.step();
    /// assert_eq!(m.cpu().eip(), 1);
    /// # Ok::<(), oxbox_machine::Error>(())
    /// ```
    pub fn step(&mut self) -> Stop {
        self.run(1)
    }

    /// Like [`Machine::run`], but also returns [`Stop::Yield`] once
    /// `max_virtual_ns` of virtual time have passed (a real-time front end
    /// paces the guest with this).
    pub fn run_for(&mut self, max_instructions: u64, max_virtual_ns: u64) -> Stop {
        let target = self
            .cpu
            .instruction_count()
            .saturating_add(max_instructions);
        let t_end = self.virtual_time_ns().saturating_add(max_virtual_ns);
        loop {
            let icount = self.cpu.instruction_count();
            self.bus.service(icount);
            let left = target - icount;
            if left == 0 {
                self.drain_outputs();
                return Stop::InstructionLimit;
            }
            let now = self.bus.time_at(icount);
            let deadline = self.bus.next_deadline();
            if now >= t_end {
                return Stop::Yield;
            }
            let to_end = (t_end - now).div_ceil(self.bus.ns_per_insn());
            let replay_next = if self.replay.is_some() {
                self.replay_due()
            } else {
                None
            };
            let deadline = self.bus.next_deadline().or(deadline);
            let budget = match deadline {
                Some(d) if d > now => left.min((d - now).div_ceil(self.bus.ns_per_insn())),
                Some(_) => left.min(1),
                None => left,
            }
            .min(to_end)
            .min(match replay_next {
                Some((n, _)) if n > icount => n - icount,
                _ => u64::MAX,
            });
            let exit = self.cpu.run(&mut self.bus, budget);
            for (off, len) in std::mem::take(&mut self.bus.dma_dirty) {
                self.cpu.invalidate_memory(off, len);
            }
            let ferr = self.cpu.ferr();
            if ferr && !self.ferr_seen {
                self.bus.ferr_latch = true;
            }
            self.ferr_seen = ferr;
            self.drain_outputs();
            if self.marker_seen {
                self.marker_seen = false;
                return Stop::Marker;
            }
            let req = std::mem::take(&mut self.bus.requests);
            if let Some(on) = req.a20 {
                self.cpu.set_a20(on);
            }
            if req.reset {
                self.reset();
            }
            if req.memory_map {
                self.cpu.flush_code_cache();
            }
            if let Some(status) = req.exit {
                return Stop::DebugExit(status);
            }
            match exit {
                Exit::Budget | Exit::Attention => {}
                Exit::Halted => {
                    if self.cpu.eflags() & oxbox_cpu::FLAG_IF == 0 {
                        return Stop::HaltedInterruptsOff;
                    }
                    let icount = self.cpu.instruction_count();
                    self.bus.service(icount);
                    if self.bus.interrupt_pending() {
                        continue;
                    }
                    let now = self.bus.time_at(icount);
                    let due_time = self
                        .replay
                        .as_ref()
                        .and_then(|r| r.peek())
                        .filter(|e| e.icount == icount)
                        .map(|e| e.time_ns.max(now));
                    match self.bus.next_deadline().or(due_time) {
                        Some(d) => {
                            // A replayed input due while halted stops the skip.
                            let due = self
                                .replay
                                .as_ref()
                                .and_then(|r| r.peek())
                                .filter(|e| e.icount == icount);
                            let d = d
                                .max(now)
                                .min(t_end)
                                .min(due.map_or(u64::MAX, |e| e.time_ns.max(now)));
                            self.bus.skip_to(icount, d);
                            self.cpu.advance_tsc((d - now) / self.bus.ns_per_insn());
                            if d >= t_end {
                                return Stop::Yield;
                            }
                        }
                        None => return Stop::Idle,
                    }
                }
                Exit::TripleFault => return Stop::TripleFault,
                Exit::Hook => return Stop::Hook,
                Exit::Debug => {
                    if let Some(d) = self.cpu.debug_stop_reason() {
                        return Stop::Debug(d);
                    }
                }
            }
        }
    }

    /// Moves debug-console and serial bytes to their sinks.
    fn drain_outputs(&mut self) {
        for con in &mut self.bus.consoles {
            let port = con.port();
            self.scratch.clear();
            con.drain_output(&mut self.scratch);
            if self.scratch.is_empty() {
                continue;
            }
            let Some((_, out)) = self.outputs.iter_mut().find(|(p, _)| *p == port) else {
                continue;
            };
            watch(
                &self.marker,
                &mut self.tail,
                &mut self.marker_seen,
                &self.scratch,
            );
            if let Output::Capture = out {
                match self.captured.iter_mut().find(|(p, _)| *p == port) {
                    Some((_, v)) => append_capped(v, &self.scratch),
                    None => {
                        let mut v = Vec::new();
                        append_capped(&mut v, &self.scratch);
                        self.captured.push((port, v));
                    }
                }
            } else if let Err(e) = write_out(out, &self.scratch) {
                log::warn!("debug console on port {port:#x}: {e}");
            }
        }
        for (com, out) in &mut self.serial_outputs {
            let Some(u) = self.bus.uarts.get_mut(*com) else {
                continue;
            };
            self.scratch.clear();
            u.drain_output(&mut self.scratch);
            if self.scratch.is_empty() {
                continue;
            }
            watch(
                &self.marker,
                &mut self.tail,
                &mut self.marker_seen,
                &self.scratch,
            );
            if let Output::Capture = out {
                append_capped(&mut self.serial_captured[*com], &self.scratch);
            } else if let Err(e) = write_out(out, &self.scratch) {
                log::warn!("serial port COM{}: {e}", *com + 1);
            }
        }
        // Ports nobody listens to must not grow without bound.
        for u in &mut self.bus.uarts {
            self.scratch.clear();
            u.drain_output(&mut self.scratch);
        }
    }
}

fn write_out(out: &mut Output, bytes: &[u8]) -> std::io::Result<()> {
    match out {
        Output::Stdout => {
            let mut o = std::io::stdout().lock();
            o.write_all(bytes).and_then(|_| o.flush())
        }
        Output::Stderr => std::io::stderr().write_all(bytes),
        Output::File(f) => f.write_all(bytes),
        Output::Capture => Ok(()),
    }
}

/// Looks for the stop marker in new output, keeping a short tail so a
/// marker split across two drains is still found.
fn watch(marker: &Option<Vec<u8>>, tail: &mut Vec<u8>, seen: &mut bool, new: &[u8]) {
    let Some(m) = marker else { return };
    tail.extend_from_slice(new);
    if tail.windows(m.len()).any(|w| w == m.as_slice()) {
        *seen = true;
    }
    let keep = m.len().saturating_sub(1);
    if tail.len() > keep {
        tail.drain(..tail.len() - keep);
    }
}

/// CMOS floppy drive type codes (register 10h nibbles).
fn cmos_floppy_type(len: u64) -> u8 {
    match len {
        368_640 | 327_680 | 184_320 | 163_840 => 1,
        1_228_800 => 2,
        737_280 => 3,
        1_474_560 => 4,
        2_949_120 => 5,
        _ => 0,
    }
}

/// Opens the configured images, puts them in their drives and tells the
/// firmware about them through CMOS and fw_cfg.
fn attach_disks(config: &Config, bus: &mut PcBus) -> Result<(), Error> {
    let mut types = 0u8;
    let mut count = 0u8;
    for (d, img) in config.floppies.iter().enumerate() {
        let Some(img) = img else { continue };
        let store = disk::open(img)?;
        let len = store.len();
        bus.floppy
            .insert(d, store, img.read_only)
            .map_err(|e| Error::BadConfig(format!("{}: {e:?}", img.path.display())))?;
        bus.floppy_wp[d] = img.read_only;
        types |= cmos_floppy_type(len) << if d == 0 { 4 } else { 0 };
        count += 1;
    }
    // IDE: disks and CD-ROMs, and the CMOS fixed-disk entries (type 47,
    // user geometry) the Bochs BIOS reads for the first two disks.
    let mut hd_types = 0u8;
    for (i, img) in config.ide.iter().enumerate() {
        let Some(img) = img else { continue };
        let store = disk::open(img)?;
        let drive = if img.kind == MediaKind::CdRom {
            oxbox_devices::ide::Drive::cdrom(Some(store))
        } else {
            oxbox_devices::ide::Drive::disk(store)
        };
        let geometry = drive.geometry();
        bus.ide.channel_mut(i / 2).attach(i % 2 == 1, drive);
        if let (Some(g), true) = (geometry, i < 2) {
            let base = if i == 0 { 0x1B } else { 0x24 };
            hd_types |= 0xF0 >> (4 * i);
            bus.cmos.set_byte(0x19 + i as u8, 47);
            let [cl, ch] = g.cylinders.to_le_bytes();
            for (o, v) in [
                (0, cl),
                (1, ch),
                (2, g.heads),
                (3, 0xFF),
                (4, 0xFF),
                (5, 0xC0 | ((g.heads > 8) as u8) << 3),
                (6, cl),
                (7, ch),
                (8, g.sectors),
            ] {
                bus.cmos.set_byte(base + o, v);
            }
            // Translation (register 39h): LBA for disks over 504 MiB.
            if g.capacity() > 1024 * 16 * 63 {
                let t = bus.cmos.byte(0x39) | 1 << (2 * i);
                bus.cmos.set_byte(0x39, t);
            }
        }
    }
    bus.cmos.set_byte(0x12, hd_types);
    // Drives are present even when empty: A: at least, as on a PC.
    if config.floppies[0].is_none() {
        types |= 4 << 4;
    }
    bus.cmos.set_byte(0x10, types);
    let mut equip = bus.cmos.byte(0x14) & !0b1100_0001;
    equip |= 1 | (count.max(1) - 1) << 6;
    bus.cmos.set_byte(0x14, equip);
    // Boot order: CMOS 3Dh/38h as the Bochs BIOS and SeaBIOS read them
    // (1 floppy, 2 hard disk, 3 CD-ROM), and fw_cfg for SeaBIOS.
    let code = |b: &BootDevice| match *b {
        BootDevice::Floppy(_) => 1u8,
        BootDevice::Ide { channel, slave } => {
            let i = channel as usize * 2 + slave as usize;
            match config.ide.get(i).and_then(|d| d.as_ref()) {
                Some(d) if d.kind == MediaKind::CdRom => 3,
                _ => 2,
            }
        }
    };
    let order: Vec<u8> = config.boot_order.iter().map(code).collect();
    let get = |i: usize| order.get(i).copied().unwrap_or(0);
    bus.cmos.set_byte(0x3D, get(0) | get(1) << 4);
    bus.cmos.set_byte(0x38, get(2) << 4);
    bus.cmos.update_checksum();
    if !config.boot_order.is_empty() {
        if let Err(e) = bus.fw_cfg.set_boot_order(&config.boot_order) {
            log::warn!("fw_cfg bootorder: {e:?}");
        }
    }
    Ok(())
}
