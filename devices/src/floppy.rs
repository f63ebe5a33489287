//! Intel 82077AA floppy disk controller in PC-AT mode, with up to four
//! drives (a PC cables two).
//!
//! Ports: DOR 3F2h, MSR/DSR 3F4h, FIFO 3F5h, DIR/CCR 3F7h, TDR 3F3h. 3F6h
//! belongs to the IDE controller and is not decoded here; 3F0h/3F1h (the
//! PS/2-mode status registers) read FFh in AT mode.
//!
//! **Disks.** The controller never opens a file: the machine inserts a
//! [`BlockStore`] with [`Floppy::insert`], which picks the geometry from the
//! image size (160K to 2.88M, see [`Geometry::from_size`]). Every sector is
//! 512 bytes (N = 2) and carries the ID (cylinder, head, sector, 2). A
//! medium answers only at its data rate (1 Mbps for 2.88M, 500 kbps for
//! 1.2M/1.44M, 250 kbps for 720K, 250 or 300 kbps for 40-track media), as
//! BIOS media sensing expects: at another rate the controller finds no
//! address mark.
//!
//! **DMA.** Data moves on DMA channel 2 through the machine, which pulls
//! (see [`crate::dma`]): while [`Floppy::dma_request`] says how many bytes
//! the controller wants to move, the machine asks the DMA controller for a
//! run, copies with [`Floppy::dma_read`] (controller to memory) or
//! [`Floppy::dma_write`] (memory to controller), and reports the end of the
//! run, with the DMA's terminal count, to [`Floppy::dma_complete`]:
//!
//! ```
//! use oxbox_devices::block::MemStore;
//! use oxbox_devices::dma::{Direction, Dma};
//! use oxbox_devices::floppy::{Floppy, DMA_CHANNEL};
//! use oxbox_devices::PortIo;
//!
//! let mut image = vec![0u8; 1_474_560];
//! image[512..1024].fill(0xAB); // LBA 1: cylinder 0, head 0, sector 2
//! let mut fdc = Floppy::new();
//! fdc.insert(0, Box::new(MemStore(image)), false).unwrap();
//! let mut dma = Dma::new();
//! let mut ram = vec![0u8; 1 << 20];
//! let now = 0u64;
//!
//! // The BIOS: cascade on, channel 2 writes 512 bytes to 0x7C00.
//! for (port, v) in [(0xD6, 0xC0), (0xD4, 0x00), (0x0A, 0x06), (0x0C, 0), (0x04, 0x00),
//!                   (0x04, 0x7C), (0x05, 0xFF), (0x05, 0x01), (0x0B, 0x46), (0x81, 0), (0x0A, 0x02)] {
//!     dma.write(port, 1, v, now);
//! }
//! fdc.write(0x3F2, 1, 0x1C, now); // out of reset, DMA/IRQ gate, motor A
//! let now = fdc.next_deadline(now).unwrap();
//! fdc.update(now);
//! assert!(fdc.irq()); // the reset interrupt: sense it
//! fdc.write(0x3F5, 1, 0x08, now);
//! assert_eq!([fdc.read(0x3F5, 1, now), fdc.read(0x3F5, 1, now)], [0xC0, 0]);
//! assert!(!fdc.irq());
//! fdc.write(0x3F7, 1, 0x00, now); // 500 kbps
//! for b in [0xE6, 0x00, 0, 0, 2, 2, 18, 0x1B, 0xFF] { // READ DATA C0 H0 R2
//!     fdc.write(0x3F5, 1, b, now);
//! }
//!
//! // The machine's DMA service loop, run after every access to either chip.
//! let mut buf = [0u8; 512];
//! while let Some(want) = fdc.dma_request() {
//!     let Some(t) = dma.next_transfer(DMA_CHANNEL, want.min(buf.len())) else { break };
//!     let n = match t.direction {
//!         Direction::ToMemory => {
//!             let n = fdc.dma_read(&mut buf[..t.len], now);
//!             let a = t.addr as usize;
//!             ram[a..a + n].copy_from_slice(&buf[..n]);
//!             n
//!         }
//!         Direction::FromMemory => {
//!             let a = t.addr as usize;
//!             buf[..t.len].copy_from_slice(&ram[a..a + t.len]);
//!             fdc.dma_write(&buf[..t.len], now)
//!         }
//!         Direction::Verify => fdc.dma_read(&mut buf[..t.len], now),
//!     };
//!     let tc = dma.complete(DMA_CHANNEL, n);
//!     fdc.dma_complete(tc, now);
//! }
//! assert!(ram[0x7C00..0x7E00].iter().all(|&b| b == 0xAB));
//!
//! // The command ends a little later with IRQ6 and seven result bytes.
//! let done = fdc.next_deadline(now).unwrap();
//! fdc.update(done);
//! assert!(fdc.irq());
//! let result: Vec<u8> = (0..7).map(|_| fdc.read(0x3F5, 1, done) as u8).collect();
//! assert_eq!(result, [0x00, 0x00, 0x00, 0, 0, 3, 2]);
//! ```
//!
//! A run never crosses a sector. Without terminal count a read or write
//! goes on to the next sector until EOT (and with MT from head 0 to head 1),
//! and ending at EOT without TC is the datasheet's abnormal termination with
//! ST1 EN set. If the DMA never takes the data the command fails with an
//! overrun after [`DATA_TIMEOUT_NS`]. Non-DMA mode (SPECIFY ND) moves the
//! same bytes through the FIFO, with RQM/NDMA in MSR and IRQ6 held while a
//! byte is ready.
//!
//! **Timing.** Data is ready as soon as the command is written; the result
//! phase and IRQ6 come [`COMMAND_NS`] after the last byte moved. Seeks take
//! the step rate from SPECIFY per cylinder. Rotation is not modelled.
//!
//! **Implied seeks.** READ DATA and WRITE DATA always move the head to the
//! command's cylinder first, as if CONFIGURE's EIS were set: SeaBIOS issues
//! reads without seeking, and Bochs and QEMU behave the same way.
//!
//! **Reset.** Leaving reset (DOR bit 2, or DSR bit 7) raises IRQ6 and
//! queues the four polling results the datasheet describes: SENSE INTERRUPT
//! STATUS returns ST0 = C0h..C3h with each drive's cylinder. Any other
//! command discards the ones not yet read (SeaBIOS reads just one).
//!
//! **Errors** from the [`BlockStore`] become status bits: a failed read is
//! ST1 DE + ST2 DD, a failed write ST1 NW (read-only store) or DE. No
//! medium, a wrong data rate, FM mode or a cylinder/head/sector outside the
//! medium give ST1 MA or ND. Nothing the guest writes can make it panic.
//!
//! Not modelled: READ TRACK, VERIFY, SCAN, READ/WRITE DELETED DATA (these
//! answer as invalid commands), sector sizes other than 512 bytes, 40-track
//! double stepping (the head position is the medium's cylinder), motor
//! spin-up, and the FIFO threshold (it is stored and read back only).

use crate::block::{BlockError, BlockStore};
use crate::{read_bytes, write_bytes, PortIo};

/// The ISA DMA channel of the floppy controller.
pub const DMA_CHANNEL: u8 = 2;
/// The ISA interrupt of the floppy controller.
pub const IRQ: u8 = 6;
/// Primary controller base port.
pub const BASE: u16 = 0x3F0;

/// Delay from the end of a command's data to its result phase and IRQ.
pub const COMMAND_NS: u64 = 50_000;
/// Delay from leaving reset to the reset interrupt.
pub const RESET_NS: u64 = 10_000;
/// How long the controller waits for the DMA (or the CPU, without DMA)
/// to move a byte before it gives up with an overrun.
pub const DATA_TIMEOUT_NS: u64 = 50_000_000;
/// Head settle time added to every seek.
const SETTLE_NS: u64 = 100_000;

const SECTOR: usize = 512;
/// Sector size code N for 512 bytes.
const N_512: u8 = 2;

/// Register offsets from the base.
const SRA: u16 = 0;
const SRB: u16 = 1;
const DOR: u16 = 2;
const TDR: u16 = 3;
const MSR_DSR: u16 = 4;
const FIFO: u16 = 5;
const DIR_CCR: u16 = 7;

/// DOR: drive select.
const DOR_DRIVE: u8 = 0b0000_0011;
/// DOR: not reset (0 holds the controller in reset).
const DOR_NRESET: u8 = 0b0000_0100;
/// DOR: gate for DRQ and INT (AT mode).
const DOR_DMA_GATE: u8 = 0b0000_1000;
/// DOR: motor enable of drive 0; drive n is this shifted left by n.
const DOR_MOTOR0: u8 = 0b0001_0000;

/// MSR: request for master (the FIFO is ready).
const MSR_RQM: u8 = 0b1000_0000;
/// MSR: data direction, controller to CPU.
const MSR_DIO: u8 = 0b0100_0000;
/// MSR: execution phase in non-DMA mode.
const MSR_NDMA: u8 = 0b0010_0000;
/// MSR: command in progress.
const MSR_CB: u8 = 0b0001_0000;

/// DSR: software reset, self-clearing.
const DSR_RESET: u8 = 0b1000_0000;
/// DSR/CCR: data rate select.
const RATE_MASK: u8 = 0b0000_0011;
/// Data rate codes.
pub const RATE_500K: u8 = 0;
pub const RATE_300K: u8 = 1;
pub const RATE_250K: u8 = 2;
pub const RATE_1M: u8 = 3;

/// DIR: disk change line of the selected drive.
const DIR_DSKCHG: u8 = 0b1000_0000;

/// ST0 interrupt codes (bits 7-6) and flags.
const ST0_ABNORMAL: u8 = 0b0100_0000;
const ST0_INVALID: u8 = 0b1000_0000;
const ST0_POLLED: u8 = 0b1100_0000;
const ST0_SEEK_END: u8 = 0b0010_0000;
const ST0_EQUIPMENT: u8 = 0b0001_0000;
const ST0_HEAD: u8 = 0b0000_0100;

/// ST1: end of cylinder (EOT reached without TC).
const ST1_EN: u8 = 0b1000_0000;
/// ST1: data error (CRC).
const ST1_DE: u8 = 0b0010_0000;
/// ST1: overrun/underrun.
const ST1_OR: u8 = 0b0001_0000;
/// ST1: no data (sector not found).
const ST1_ND: u8 = 0b0000_0100;
/// ST1: not writable.
const ST1_NW: u8 = 0b0000_0010;
/// ST1: missing address mark.
const ST1_MA: u8 = 0b0000_0001;

/// ST2: data error in the data field.
const ST2_DD: u8 = 0b0010_0000;

/// ST3: write protected.
const ST3_WP: u8 = 0b0100_0000;
/// ST3: ready (always 1 on the 82077AA).
const ST3_RDY: u8 = 0b0010_0000;
/// ST3: head on track 0.
const ST3_T0: u8 = 0b0001_0000;
/// ST3: two-sided (always 1 on the 82077AA).
const ST3_TS: u8 = 0b0000_1000;

/// Command byte: multi-track.
const CMD_MT: u8 = 0b1000_0000;
/// Command byte: MFM encoding.
const CMD_MFM: u8 = 0b0100_0000;
/// SEEK: relative seek, and its direction (1 = towards higher cylinders).
const SEEK_RELATIVE: u8 = 0b1000_0000;
const SEEK_INWARD: u8 = 0b0100_0000;
/// LOCK: the lock bit of the command byte.
const LOCK_BIT: u8 = 0b1000_0000;
/// Second byte of most commands: head select and drive select.
const HDS: u8 = 0b0000_0100;
const DS: u8 = 0b0000_0011;

/// CONFIGURE byte 2: implied seek, FIFO disable, polling disable.
const CONF_EIS: u8 = 0b0100_0000;
const CONF_EFIFO: u8 = 0b0010_0000;
const CONF_POLL: u8 = 0b0001_0000;
const CONF_FIFOTHR: u8 = 0b0000_1111;
/// SPECIFY byte 2: non-DMA mode.
const SPEC_ND: u8 = 0b0000_0001;

/// What VERSION returns for an 82077AA.
const VERSION_82077: u8 = 0x90;
/// Steps a RECALIBRATE issues before giving up.
const RECAL_STEPS: u8 = 79;

/// Opcodes (low five bits where bits 7-5 are flags).
const OP_READ_DATA: u8 = 0x06;
const OP_WRITE_DATA: u8 = 0x05;
const OP_READ_ID: u8 = 0x0A;
const OP_FORMAT: u8 = 0x0D;
const OP_SEEK: u8 = 0x0F;
const OP_LOCK: u8 = 0x14;
const OP_SPECIFY: u8 = 0x03;
const OP_SENSE_DRIVE: u8 = 0x04;
const OP_RECALIBRATE: u8 = 0x07;
const OP_SENSE_INT: u8 = 0x08;
const OP_DUMPREG: u8 = 0x0E;
const OP_VERSION: u8 = 0x10;
const OP_PERPENDICULAR: u8 = 0x12;
const OP_CONFIGURE: u8 = 0x13;

/// Length of a command including its opcode, if the opcode is one this
/// controller implements.
fn command_len(op: u8) -> Option<usize> {
    match op & 0x1F {
        OP_READ_DATA | OP_WRITE_DATA => return Some(9),
        OP_READ_ID => return Some(2),
        OP_FORMAT => return Some(6),
        OP_SEEK => return Some(3),
        OP_LOCK => return Some(1),
        _ => {}
    }
    match op {
        OP_SPECIFY => Some(3),
        OP_SENSE_DRIVE | OP_RECALIBRATE | OP_PERPENDICULAR => Some(2),
        OP_SENSE_INT | OP_DUMPREG | OP_VERSION => Some(1),
        OP_CONFIGURE => Some(4),
        _ => None,
    }
}

/// Cylinders, heads and sectors per track of a medium.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Geometry {
    pub cylinders: u8,
    pub heads: u8,
    pub sectors: u8,
}

impl Geometry {
    pub const F160K: Geometry = Geometry::new(40, 1, 8);
    pub const F180K: Geometry = Geometry::new(40, 1, 9);
    pub const F320K: Geometry = Geometry::new(40, 2, 8);
    pub const F360K: Geometry = Geometry::new(40, 2, 9);
    pub const F720K: Geometry = Geometry::new(80, 2, 9);
    pub const F1200K: Geometry = Geometry::new(80, 2, 15);
    pub const F1440K: Geometry = Geometry::new(80, 2, 18);
    /// Microsoft's DMF format.
    pub const F1680K: Geometry = Geometry::new(80, 2, 21);
    pub const F1720K: Geometry = Geometry::new(82, 2, 21);
    pub const F2880K: Geometry = Geometry::new(80, 2, 36);

    const KNOWN: [Geometry; 10] = [
        Self::F160K,
        Self::F180K,
        Self::F320K,
        Self::F360K,
        Self::F720K,
        Self::F1200K,
        Self::F1440K,
        Self::F1680K,
        Self::F1720K,
        Self::F2880K,
    ];

    pub const fn new(cylinders: u8, heads: u8, sectors: u8) -> Self {
        Geometry {
            cylinders,
            heads,
            sectors,
        }
    }

    /// Size of the medium in bytes.
    pub const fn bytes(&self) -> u64 {
        self.cylinders as u64 * self.heads as u64 * self.sectors as u64 * SECTOR as u64
    }

    /// The standard format whose size is exactly `len` bytes.
    pub fn from_size(len: u64) -> Option<Geometry> {
        Self::KNOWN.into_iter().find(|g| g.bytes() == len)
    }

    /// Whether the medium can be read at data rate `rate` (a CCR code).
    pub fn accepts_rate(&self, rate: u8) -> bool {
        let rate = rate & RATE_MASK;
        match self.sectors {
            0..=10 if self.cylinders <= 42 => rate == RATE_250K || rate == RATE_300K,
            0..=10 => rate == RATE_250K,
            11..=21 => rate == RATE_500K,
            _ => rate == RATE_1M,
        }
    }
}

/// Why [`Floppy::insert`] refused a disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MediaError {
    /// No standard floppy format has this many bytes.
    UnknownSize(u64),
    /// Drive number above 3.
    NoSuchDrive(usize),
}

impl std::fmt::Display for MediaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MediaError::UnknownSize(n) => write!(
                f,
                "{n} bytes is not a floppy size (160K, 180K, 320K, 360K, 720K, 1.2M, 1.44M, 1.68M, 1.72M or 2.88M)"
            ),
            MediaError::NoSuchDrive(d) => write!(f, "floppy drive {d} does not exist"),
        }
    }
}

impl std::error::Error for MediaError {}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Media {
    #[serde(with = "crate::block::detached")]
    store: Box<dyn BlockStore + Send>,
    geometry: Geometry,
    write_protected: bool,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Drive {
    media: Option<Media>,
    /// Cylinder under the head (the controller's PCN for this drive).
    track: u8,
    /// Sector READ ID finds next.
    next_sector: u8,
    /// The disk change latch, set when a disk leaves the drive.
    changed: bool,
    /// A seek or recalibrate ends at this time.
    seek_until: Option<u64>,
    /// The ST0 that the seek ends with.
    seek_st0: u8,
    /// A seek ended and SENSE INTERRUPT STATUS has not reported it yet.
    seek_status: Option<u8>,
}

impl Drive {
    fn new() -> Self {
        Drive {
            media: None,
            track: 0,
            next_sector: 1,
            changed: true,
            seek_until: None,
            seek_st0: 0,
            seek_status: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Op {
    Read,
    Write,
    Format,
}

/// A data transfer in its execution phase.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Xfer {
    op: Op,
    drive: usize,
    /// Physical head.
    head: u8,
    /// The ID being transferred: cylinder, head, sector, size code.
    c: u8,
    h: u8,
    r: u8,
    n: u8,
    eot: u8,
    mt: bool,
    /// The current sector (or, formatting, its four ID bytes).
    buf: Vec<u8>,
    pos: usize,
    /// Formatting: sectors still to format, and the filler byte.
    left: u8,
    filler: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Phase {
    Command,
    Execution,
    /// The command is done; the result phase begins at `busy_until`.
    Busy,
    Result,
}

/// The floppy disk controller.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Floppy {
    drives: [Drive; 4],
    dor: u8,
    tdr: u8,
    rate: u8,
    phase: Phase,
    cmd: Vec<u8>,
    result: Vec<u8>,
    result_pos: usize,
    xfer: Option<Xfer>,
    busy_until: Option<u64>,
    /// The data phase fails with an overrun if nothing moves until then.
    data_deadline: Option<u64>,
    /// IRQ6 from the controller (before the DOR gate).
    int: bool,
    /// Leaving reset raises the interrupt at this time.
    reset_irq_at: Option<u64>,
    /// Polling results after reset still to be sensed.
    reset_sense: u8,
    specify: [u8; 2],
    config: u8,
    pretrk: u8,
    locked: bool,
    perpendicular: u8,
    /// Last EOT (or SC when formatting), for DUMPREG.
    last_eot: u8,
    now: u64,
}

impl Default for Floppy {
    fn default() -> Self {
        Self::new()
    }
}

impl Floppy {
    /// Every inserted disk's store with its drive number, for snapshot
    /// files (see `Ide::stores_mut`).
    pub fn stores_mut(&mut self) -> Vec<(usize, &mut Box<dyn BlockStore + Send>)> {
        self.drives
            .iter_mut()
            .enumerate()
            .filter_map(|(i, d)| d.media.as_mut().map(|m| (i, &mut m.store)))
            .collect()
    }

    /// A controller at power-on: held in reset by DOR = 0, all drives empty.
    pub fn new() -> Self {
        Floppy {
            drives: [Drive::new(), Drive::new(), Drive::new(), Drive::new()],
            dor: 0,
            tdr: 0,
            // 500 kbps at power-on: the rate of 1.44M media, so a BIOS that
            // never programs CCR (the Bochs BIOS) can read the usual disk.
            rate: RATE_500K,
            phase: Phase::Command,
            cmd: Vec::with_capacity(9),
            result: Vec::with_capacity(10),
            result_pos: 0,
            xfer: None,
            busy_until: None,
            data_deadline: None,
            int: false,
            reset_irq_at: None,
            reset_sense: 0,
            specify: [0, 0],
            config: CONF_EFIFO,
            pretrk: 0,
            locked: false,
            perpendicular: 0,
            last_eot: 0,
            now: 0,
        }
    }

    /// Puts a disk in `drive`, its geometry from its size. The disk change
    /// line stays set until the guest steps the drive.
    pub fn insert(
        &mut self,
        drive: usize,
        store: Box<dyn BlockStore + Send>,
        write_protected: bool,
    ) -> Result<Geometry, MediaError> {
        let geometry =
            Geometry::from_size(store.len()).ok_or(MediaError::UnknownSize(store.len()))?;
        self.insert_with_geometry(drive, store, geometry, write_protected)?;
        Ok(geometry)
    }

    /// Puts a disk of a given geometry in `drive` (sectors past the end of
    /// the store read as data errors).
    pub fn insert_with_geometry(
        &mut self,
        drive: usize,
        store: Box<dyn BlockStore + Send>,
        geometry: Geometry,
        write_protected: bool,
    ) -> Result<(), MediaError> {
        let d = self
            .drives
            .get_mut(drive)
            .ok_or(MediaError::NoSuchDrive(drive))?;
        d.media = Some(Media {
            store,
            geometry,
            write_protected,
        });
        d.changed = true;
        d.next_sector = 1;
        Ok(())
    }

    /// Takes the disk out of `drive`, returning its store (flush it).
    pub fn eject(&mut self, drive: usize) -> Option<Box<dyn BlockStore + Send>> {
        let d = self.drives.get_mut(drive)?;
        let media = d.media.take()?;
        d.changed = true;
        Some(media.store)
    }

    /// The geometry of the disk in `drive`, if any.
    pub fn geometry(&self, drive: usize) -> Option<Geometry> {
        self.drives.get(drive)?.media.as_ref().map(|m| m.geometry)
    }

    /// Flushes every inserted store; the first error wins.
    pub fn flush(&mut self) -> Result<(), BlockError> {
        let mut result = Ok(());
        for d in &mut self.drives {
            if let Some(m) = &mut d.media {
                let r = m.store.flush();
                if result.is_ok() {
                    result = r;
                }
            }
        }
        result
    }

    /// Whether the DOR turns `drive`'s motor on (for a drive light).
    pub fn motor_on(&self, drive: usize) -> bool {
        drive < 4 && self.dor & (DOR_MOTOR0 << drive) != 0
    }

    /// The disk change latch of `drive`.
    pub fn disk_changed(&self, drive: usize) -> bool {
        self.drives.get(drive).is_some_and(|d| d.changed)
    }

    /// The cylinder `drive`'s head is on.
    pub fn cylinder(&self, drive: usize) -> u8 {
        self.drives.get(drive).map_or(0, |d| d.track)
    }

    /// IRQ6 as it reaches the ISA bus: the interrupt gated by DOR bit 3.
    pub fn irq(&self) -> bool {
        let pio_data = self.phase == Phase::Execution && self.non_dma();
        (self.int || pio_data) && self.dor & DOR_DMA_GATE != 0 && !self.in_reset()
    }

    /// When something the guest can see happens next.
    pub fn next_deadline(&self, _now: u64) -> Option<u64> {
        let seeks = self.drives.iter().filter_map(|d| d.seek_until);
        [self.busy_until, self.data_deadline, self.reset_irq_at]
            .into_iter()
            .flatten()
            .chain(seeks)
            .min()
    }

    /// Catches up with virtual time `now`: ends seeks and commands.
    pub fn update(&mut self, now: u64) {
        self.now = self.now.max(now);
        let now = self.now;
        if self.reset_irq_at.is_some_and(|t| t <= now) {
            self.reset_irq_at = None;
            self.reset_sense = 4;
            self.int = true;
        }
        for d in &mut self.drives {
            if d.seek_until.is_some_and(|t| t <= now) {
                d.seek_until = None;
                d.seek_status = Some(d.seek_st0);
                self.int = true;
            }
        }
        if self.data_deadline.is_some_and(|t| t <= now) {
            self.data_deadline = None;
            self.data_timeout();
        }
        if self.busy_until.is_some_and(|t| t <= now) {
            self.busy_until = None;
            self.phase = Phase::Result;
            self.result_pos = 0;
            self.int = true;
        }
    }

    /// Bytes the controller wants moved by DMA now (its DRQ), at most the
    /// rest of the current sector.
    pub fn dma_request(&self) -> Option<usize> {
        if self.phase != Phase::Execution
            || self.non_dma()
            || self.dor & DOR_DMA_GATE == 0
            || self.in_reset()
        {
            return None;
        }
        let x = self.xfer.as_ref()?;
        let left = x.buf.len() - x.pos;
        (left > 0).then_some(left)
    }

    /// A DMA cycle from controller to memory: fills `buf` (up to the end of
    /// the current sector) and returns the bytes given. In a write command
    /// the controller drives nothing and the bytes read FFh.
    pub fn dma_read(&mut self, buf: &mut [u8], now: u64) -> usize {
        self.update(now);
        self.data_phase_step();
        let Some(x) = self.xfer.as_mut() else {
            return 0;
        };
        if self.phase != Phase::Execution {
            return 0;
        }
        let n = buf.len().min(x.buf.len() - x.pos);
        if x.op == Op::Read {
            buf[..n].copy_from_slice(&x.buf[x.pos..x.pos + n]);
        } else {
            buf[..n].fill(0xFF);
        }
        x.pos += n;
        self.data_deadline = Some(self.now.saturating_add(DATA_TIMEOUT_NS));
        n
    }

    /// A DMA cycle from memory to controller: takes bytes of `buf` (up to
    /// the end of the current sector) and returns how many. In a read
    /// command the bytes are ignored.
    pub fn dma_write(&mut self, buf: &[u8], now: u64) -> usize {
        self.update(now);
        self.data_phase_step();
        let Some(x) = self.xfer.as_mut() else {
            return 0;
        };
        if self.phase != Phase::Execution {
            return 0;
        }
        let n = buf.len().min(x.buf.len() - x.pos);
        if x.op != Op::Read {
            x.buf[x.pos..x.pos + n].copy_from_slice(&buf[..n]);
        }
        x.pos += n;
        self.data_deadline = Some(self.now.saturating_add(DATA_TIMEOUT_NS));
        n
    }

    /// The end of a DMA run; `tc` is the DMA controller's terminal count,
    /// which ends the command after the current sector.
    pub fn dma_complete(&mut self, tc: bool, now: u64) {
        self.update(now);
        if self.phase != Phase::Execution {
            return;
        }
        let Some(x) = self.xfer.as_ref() else {
            return;
        };
        if tc {
            self.end_of_data();
        } else if x.pos == x.buf.len() {
            self.unit_done();
        }
    }

    fn in_reset(&self) -> bool {
        self.dor & DOR_NRESET == 0
    }

    fn non_dma(&self) -> bool {
        self.specify[1] & SPEC_ND != 0
    }

    fn selected(&self) -> usize {
        usize::from(self.dor & DOR_DRIVE)
    }

    /// A unit the DMA filled (or drained) but whose end nobody reported.
    fn data_phase_step(&mut self) {
        if self.phase == Phase::Execution {
            if let Some(x) = &self.xfer {
                if x.pos == x.buf.len() {
                    self.unit_done();
                }
            }
        }
    }

    fn enter_reset(&mut self) {
        self.phase = Phase::Command;
        self.cmd.clear();
        self.result.clear();
        self.result_pos = 0;
        self.xfer = None;
        self.busy_until = None;
        self.data_deadline = None;
        self.int = false;
        self.reset_irq_at = None;
        self.reset_sense = 0;
        for d in &mut self.drives {
            d.seek_until = None;
            d.seek_status = None;
        }
        if !self.locked {
            self.config = CONF_EFIFO;
            self.pretrk = 0;
        } else {
            // LOCK keeps the FIFO settings; implied seek and polling reset.
            self.config &= CONF_EFIFO | CONF_FIFOTHR;
        }
        // A software reset clears only the GAP and WGATE bits.
        self.perpendicular &= !0b11;
    }

    fn leave_reset(&mut self) {
        self.reset_irq_at = Some(self.now.saturating_add(RESET_NS));
    }

    fn write_dor(&mut self, v: u8) {
        let was_reset = self.in_reset();
        self.dor = v;
        match (was_reset, self.in_reset()) {
            (false, true) => self.enter_reset(),
            (true, false) => self.leave_reset(),
            _ => {}
        }
    }

    fn write_dsr(&mut self, v: u8) {
        self.rate = v & RATE_MASK;
        if v & DSR_RESET != 0 && !self.in_reset() {
            self.enter_reset();
            self.leave_reset();
        }
    }

    fn msr(&self) -> u8 {
        if self.in_reset() {
            return 0;
        }
        let busy = self
            .drives
            .iter()
            .enumerate()
            .filter(|(_, d)| d.seek_until.is_some())
            .fold(0, |m, (i, _)| m | 1 << i);
        busy | match self.phase {
            Phase::Command if self.cmd.is_empty() => MSR_RQM,
            Phase::Command => MSR_RQM | MSR_CB,
            Phase::Execution if self.non_dma() => {
                let dio = match &self.xfer {
                    Some(x) if x.op == Op::Read => MSR_DIO,
                    _ => 0,
                };
                MSR_RQM | MSR_NDMA | MSR_CB | dio
            }
            Phase::Execution | Phase::Busy => MSR_CB,
            Phase::Result => MSR_RQM | MSR_DIO | MSR_CB,
        }
    }

    fn read_fifo(&mut self) -> u8 {
        match self.phase {
            Phase::Result => {
                // Reading the result clears the interrupt.
                self.int = false;
                let v = self.result.get(self.result_pos).copied().unwrap_or(0xFF);
                self.result_pos += 1;
                if self.result_pos >= self.result.len() {
                    self.phase = Phase::Command;
                    self.result.clear();
                    self.result_pos = 0;
                }
                v
            }
            Phase::Execution if self.non_dma() => {
                let mut b = [0xFF];
                if self.dma_read(&mut b, self.now) == 1 {
                    self.dma_complete(false, self.now);
                }
                b[0]
            }
            _ => 0xFF,
        }
    }

    fn write_fifo(&mut self, v: u8) {
        match self.phase {
            Phase::Command => {
                if self.cmd.is_empty() {
                    let Some(_) = command_len(v) else {
                        self.finish_now(&[ST0_INVALID]);
                        return;
                    };
                }
                self.cmd.push(v);
                if Some(self.cmd.len()) == command_len(self.cmd[0]) {
                    self.execute();
                    self.cmd.clear();
                }
            }
            Phase::Execution if self.non_dma() => self.pio_write(v),
            _ => {}
        }
    }

    /// A data byte written to the FIFO in non-DMA mode.
    fn pio_write(&mut self, v: u8) {
        if self.dma_write(&[v], self.now) == 1 {
            self.dma_complete(false, self.now);
        }
    }

    /// Enters the result phase at once, without an interrupt.
    fn finish_now(&mut self, result: &[u8]) {
        self.result.clear();
        self.result.extend_from_slice(result);
        self.result_pos = 0;
        self.phase = Phase::Result;
    }

    /// Ends a read/write/format/read-ID command: the result phase and IRQ6
    /// follow after [`COMMAND_NS`].
    fn finish_later(&mut self, result: [u8; 7]) {
        self.xfer = None;
        self.data_deadline = None;
        self.result.clear();
        self.result.extend_from_slice(&result);
        self.result_pos = 0;
        self.phase = Phase::Busy;
        self.busy_until = Some(self.now.saturating_add(COMMAND_NS));
    }

    fn execute(&mut self) {
        let cmd = std::mem::take(&mut self.cmd);
        let op = cmd[0];
        if op != OP_SENSE_INT {
            self.reset_sense = 0;
        }
        let drive = usize::from(cmd.get(1).copied().unwrap_or(0) & DS);
        let head = (cmd.get(1).copied().unwrap_or(0) & HDS) >> 2;
        match op & 0x1F {
            OP_READ_DATA => return self.start_data(&cmd, Op::Read),
            OP_WRITE_DATA => return self.start_data(&cmd, Op::Write),
            OP_FORMAT => return self.start_format(&cmd),
            OP_READ_ID => return self.read_id(drive, head, op & CMD_MFM != 0),
            OP_SEEK => {
                let cur = self.drives[drive].track;
                let target = if op & SEEK_RELATIVE == 0 {
                    cmd[2]
                } else if op & SEEK_INWARD != 0 {
                    cur.saturating_add(cmd[2])
                } else {
                    cur.saturating_sub(cmd[2])
                };
                return self.seek(drive, head, target, false);
            }
            OP_LOCK => {
                self.locked = op & LOCK_BIT != 0;
                return self.finish_now(&[u8::from(self.locked) << 4]);
            }
            _ => {}
        }
        match op {
            OP_SPECIFY => {
                self.specify = [cmd[1], cmd[2]];
                self.phase = Phase::Command;
            }
            OP_SENSE_DRIVE => {
                let d = &self.drives[drive];
                let mut st3 = ST3_RDY | ST3_TS | head << 2 | drive as u8;
                if d.track == 0 {
                    st3 |= ST3_T0;
                }
                if d.media.as_ref().is_some_and(|m| m.write_protected) {
                    st3 |= ST3_WP;
                }
                self.finish_now(&[st3]);
            }
            OP_RECALIBRATE => self.seek(drive, 0, 0, true),
            OP_SENSE_INT => self.sense_interrupt(),
            OP_DUMPREG => {
                let p = self.drives.each_ref().map(|d| d.track);
                let regs = [
                    p[0],
                    p[1],
                    p[2],
                    p[3],
                    self.specify[0],
                    self.specify[1],
                    self.last_eot,
                    u8::from(self.locked) << 7 | self.perpendicular & 0b0011_1111,
                    self.config,
                    self.pretrk,
                ];
                self.finish_now(&regs);
            }
            OP_VERSION => self.finish_now(&[VERSION_82077]),
            OP_PERPENDICULAR => {
                let v = cmd[1];
                // OW (bit 7) lets the drive bits (5-2) change.
                let keep = if v & 0x80 != 0 { 0 } else { 0b0011_1100 };
                self.perpendicular = (self.perpendicular & keep) | (v & !keep & 0b0011_1111);
                self.phase = Phase::Command;
            }
            OP_CONFIGURE => {
                self.config = cmd[2] & (CONF_EIS | CONF_EFIFO | CONF_POLL | CONF_FIFOTHR);
                self.pretrk = cmd[3];
                self.phase = Phase::Command;
            }
            _ => self.finish_now(&[ST0_INVALID]),
        }
    }

    fn sense_interrupt(&mut self) {
        self.int = false;
        if self.reset_sense > 0 {
            let drive = 4 - self.reset_sense;
            self.reset_sense -= 1;
            let pcn = self.drives[usize::from(drive)].track;
            return self.finish_now(&[ST0_POLLED | drive, pcn]);
        }
        for d in &mut self.drives {
            if let Some(st0) = d.seek_status.take() {
                let pcn = d.track;
                return self.finish_now(&[st0, pcn]);
            }
        }
        self.finish_now(&[ST0_INVALID]);
    }

    /// Time to step `steps` cylinders at SPECIFY's step rate.
    fn seek_time(&self, steps: u8) -> u64 {
        // SRT counts down from 16 ms per step at 500 kbps and scales with
        // the data rate.
        let srt = u64::from(16 - (self.specify[0] >> 4));
        let per_step_us = match self.rate {
            RATE_1M => srt * 500,
            RATE_300K => srt * 1000 * 5 / 3,
            RATE_250K => srt * 2000,
            _ => srt * 1000,
        };
        SETTLE_NS + u64::from(steps) * per_step_us * 1000
    }

    fn seek(&mut self, drive: usize, head: u8, target: u8, recalibrate: bool) {
        self.phase = Phase::Command;
        let d = &self.drives[drive];
        let mut st0 = ST0_SEEK_END | head << 2 | drive as u8;
        let (new_track, steps) = if recalibrate {
            let steps = d.track.min(RECAL_STEPS);
            let left = d.track - steps;
            if left != 0 {
                st0 |= ST0_ABNORMAL | ST0_EQUIPMENT;
            }
            (left, steps)
        } else {
            (target, d.track.abs_diff(target))
        };
        let t = self.now.saturating_add(self.seek_time(steps));
        let d = &mut self.drives[drive];
        d.track = new_track;
        d.seek_st0 = st0;
        d.seek_until = Some(t);
        d.seek_status = None;
        if d.media.is_some() {
            // A step pulse with a disk in clears the change line.
            d.changed = false;
        }
    }

    /// Finds sector (c, h, r, n) under `drive`'s physical `head`, checking
    /// what the controller would: a disk, the data rate, MFM, the ID.
    fn locate(&self, drive: usize, head: u8, c: u8, h: u8, r: u8, n: u8) -> Result<u64, u8> {
        let d = &self.drives[drive];
        let Some(m) = &d.media else {
            return Err(ST1_MA);
        };
        let g = m.geometry;
        if !g.accepts_rate(self.rate) || d.track >= g.cylinders || head >= g.heads {
            return Err(ST1_MA);
        }
        if c != d.track || h != head || n != N_512 || r == 0 || r > g.sectors {
            return Err(ST1_ND);
        }
        let lba = (u64::from(c) * u64::from(g.heads) + u64::from(head)) * u64::from(g.sectors)
            + u64::from(r - 1);
        Ok(lba * SECTOR as u64)
    }

    fn result_bytes(&self, x: &Xfer, ic: u8, st1: u8, st2: u8, id: (u8, u8, u8)) -> [u8; 7] {
        let st0 = ic | ((x.head & 1) * ST0_HEAD) | x.drive as u8;
        [st0, st1, st2, id.0, id.1, id.2, x.n]
    }

    fn fail(&mut self, st1: u8, st2: u8) {
        if let Some(x) = self.xfer.take() {
            let r = self.result_bytes(&x, ST0_ABNORMAL, st1, st2, (x.c, x.h, x.r));
            self.finish_later(r);
        }
    }

    fn start_data(&mut self, cmd: &[u8], op: Op) {
        let drive = usize::from(cmd[1] & DS);
        let head = (cmd[1] & HDS) >> 2;
        let x = Xfer {
            op,
            drive,
            head,
            c: cmd[2],
            h: cmd[3],
            r: cmd[4],
            n: cmd[5],
            eot: cmd[6],
            mt: cmd[0] & CMD_MT != 0,
            buf: vec![0; SECTOR],
            pos: 0,
            left: 0,
            filler: 0,
        };
        self.last_eot = x.eot;
        self.xfer = Some(x);
        self.phase = Phase::Execution;
        if cmd[0] & CMD_MFM == 0 {
            return self.fail(ST1_MA, 0);
        }
        // Implied seek (see the module documentation).
        let d = &mut self.drives[drive];
        if d.track != cmd[2] {
            d.track = cmd[2];
            if d.media.is_some() {
                d.changed = false;
            }
        }
        if op == Op::Write && d.media.as_ref().is_some_and(|m| m.write_protected) {
            return self.fail(ST1_NW, 0);
        }
        self.begin_sector();
    }

    /// Starts the data phase of the current sector: reads it in, or gets
    /// ready to take it.
    fn begin_sector(&mut self) {
        let Some(x) = &self.xfer else { return };
        let at = match self.locate(x.drive, x.head, x.c, x.h, x.r, x.n) {
            Ok(at) => at,
            Err(st1) => return self.fail(st1, 0),
        };
        let (drive, op) = (x.drive, x.op);
        if op == Op::Read {
            let Some(x) = self.xfer.as_mut() else { return };
            let store = self.drives[drive].media.as_mut().map(|m| &mut m.store);
            let ok = store.is_some_and(|s| s.read_at(at, &mut x.buf).is_ok());
            if !ok {
                return self.fail(ST1_DE, ST2_DD);
            }
        }
        if let Some(x) = self.xfer.as_mut() {
            x.pos = 0;
        }
        self.data_deadline = Some(self.now.saturating_add(DATA_TIMEOUT_NS));
    }

    /// Writes the finished sector of a write command to the disk. On
    /// failure the command has ended.
    fn store_sector(&mut self) -> bool {
        let Some(x) = &self.xfer else { return false };
        let at = match self.locate(x.drive, x.head, x.c, x.h, x.r, x.n) {
            Ok(at) => at,
            Err(st1) => {
                self.fail(st1, 0);
                return false;
            }
        };
        let written = match (self.drives[x.drive].media.as_mut(), &self.xfer) {
            (Some(m), Some(x)) => m.store.write_at(at, &x.buf),
            _ => Err(BlockError::OutOfRange),
        };
        self.check_write(written)
    }

    /// Ends the command if a write to the disk failed.
    fn check_write(&mut self, written: Result<(), BlockError>) -> bool {
        match written {
            Ok(()) => true,
            Err(e) => {
                let st1 = if e == BlockError::ReadOnly {
                    ST1_NW
                } else {
                    ST1_DE
                };
                self.fail(st1, 0);
                false
            }
        }
    }

    /// The ID after the current sector, as the result phase reports it.
    fn next_id(x: &Xfer) -> (u8, u8, u8) {
        if x.r != x.eot {
            (x.c, x.h, x.r.wrapping_add(1))
        } else if !x.mt {
            (x.c.wrapping_add(1), x.h, 1)
        } else if x.head == 0 {
            (x.c, x.h ^ 1, 1)
        } else {
            (x.c.wrapping_add(1), x.h ^ 1, 1)
        }
    }

    /// The current sector (or format ID) has moved completely.
    fn unit_done(&mut self) {
        let Some(x) = &self.xfer else { return };
        match x.op {
            Op::Format => self.format_sector(),
            Op::Write => {
                if self.store_sector() {
                    self.next_sector();
                }
            }
            Op::Read => self.next_sector(),
        }
    }

    /// Moves a read or write on to the next sector, or ends it at EOT.
    fn next_sector(&mut self) {
        let Some(x) = self.xfer.as_mut() else { return };
        if x.r != x.eot {
            x.r = x.r.wrapping_add(1);
        } else if x.mt && x.head == 0 {
            x.head = 1;
            x.h ^= 1;
            x.r = 1;
        } else {
            // EOT without terminal count: abnormal, end of cylinder.
            let x = x.clone();
            let r = self.result_bytes(&x, ST0_ABNORMAL, ST1_EN, 0, Self::next_id(&x));
            return self.finish_later(r);
        }
        self.begin_sector();
    }

    /// Terminal count (or the host stopping): finish the current unit and
    /// end normally.
    fn end_of_data(&mut self) {
        let Some(x) = self.xfer.as_mut() else { return };
        match x.op {
            Op::Read => {}
            Op::Write => {
                // The rest of a partly written sector is filled with zeros.
                let pos = x.pos;
                x.buf[pos..].fill(0);
                if !self.store_sector() {
                    return;
                }
            }
            Op::Format => {
                if x.pos == x.buf.len() && !self.format_write_current() {
                    return;
                }
                return self.finish_format();
            }
        }
        let Some(x) = self.xfer.take() else { return };
        let r = self.result_bytes(&x, 0, 0, 0, Self::next_id(&x));
        self.finish_later(r);
    }

    fn data_timeout(&mut self) {
        if self.phase != Phase::Execution {
            return;
        }
        match &self.xfer {
            Some(x) if x.pos == x.buf.len() => {
                // The data all moved; only the end of the run went unreported.
                self.unit_done();
            }
            Some(_) => self.fail(ST1_OR, 0),
            None => {}
        }
    }

    fn start_format(&mut self, cmd: &[u8]) {
        let drive = usize::from(cmd[1] & DS);
        let head = (cmd[1] & HDS) >> 2;
        let track = self.drives[drive].track;
        let x = Xfer {
            op: Op::Format,
            drive,
            head,
            c: track,
            h: head,
            r: 1,
            n: cmd[2],
            eot: cmd[3],
            mt: false,
            buf: vec![0; 4],
            pos: 0,
            left: cmd[3],
            filler: cmd[5],
        };
        self.last_eot = cmd[3];
        self.xfer = Some(x);
        self.phase = Phase::Execution;
        let d = &self.drives[drive];
        let Some(m) = &d.media else {
            return self.fail(ST1_MA, 0);
        };
        if cmd[0] & CMD_MFM == 0
            || !m.geometry.accepts_rate(self.rate)
            || track >= m.geometry.cylinders
            || head >= m.geometry.heads
        {
            return self.fail(ST1_MA, 0);
        }
        if m.write_protected {
            return self.fail(ST1_NW, 0);
        }
        if cmd[3] == 0 {
            return self.finish_format();
        }
        self.data_deadline = Some(self.now.saturating_add(DATA_TIMEOUT_NS));
    }

    /// Fills the sector named by the four ID bytes just received. IDs that
    /// do not fit the image's fixed layout write nothing. On failure the
    /// command has ended.
    fn format_write_current(&mut self) -> bool {
        let Some(x) = &self.xfer else { return false };
        let [c, h, r, n] = [x.buf[0], x.buf[1], x.buf[2], x.buf[3]];
        let (drive, head, filler) = (x.drive, x.head, x.filler);
        let Some(m) = self.drives[drive].media.as_mut() else {
            return true;
        };
        let g = m.geometry;
        if n != N_512 || r == 0 || r > g.sectors || c >= g.cylinders || h >= g.heads {
            return true;
        }
        let lba = (u64::from(c) * u64::from(g.heads) + u64::from(head)) * u64::from(g.sectors)
            + u64::from(r - 1);
        let written = m.store.write_at(lba * SECTOR as u64, &[filler; SECTOR]);
        self.check_write(written)
    }

    /// Four ID bytes arrived: format that sector, then wait for the next.
    fn format_sector(&mut self) {
        if !self.format_write_current() {
            return;
        }
        let Some(x) = self.xfer.as_mut() else { return };
        x.left = x.left.saturating_sub(1);
        if x.left == 0 {
            return self.finish_format();
        }
        // The ID stays in the buffer until the next one overwrites it.
        x.pos = 0;
        self.data_deadline = Some(self.now.saturating_add(DATA_TIMEOUT_NS));
    }

    /// FORMAT's result: the status and the last ID formatted.
    fn finish_format(&mut self) {
        let Some(x) = self.xfer.take() else { return };
        let [c, h, r, n] = [x.buf[0], x.buf[1], x.buf[2], x.buf[3]];
        self.finish_later([x.head << 2 | x.drive as u8, 0, 0, c, h, r, n]);
    }

    fn read_id(&mut self, drive: usize, head: u8, mfm: bool) {
        let d = &self.drives[drive];
        let track = d.track;
        let x = Xfer {
            op: Op::Read,
            drive,
            head,
            c: track,
            h: head,
            r: d.next_sector,
            n: N_512,
            eot: 0,
            mt: false,
            buf: Vec::new(),
            pos: 0,
            left: 0,
            filler: 0,
        };
        self.xfer = Some(x);
        self.phase = Phase::Execution;
        let ok = d.media.as_ref().is_some_and(|m| {
            mfm && m.geometry.accepts_rate(self.rate)
                && track < m.geometry.cylinders
                && head < m.geometry.heads
        });
        if !ok {
            return self.fail(ST1_MA, 0);
        }
        let spt = self.drives[drive]
            .media
            .as_ref()
            .map_or(1, |m| m.geometry.sectors.max(1));
        let d = &mut self.drives[drive];
        let r = d.next_sector.clamp(1, spt);
        d.next_sector = r % spt + 1;
        let result = [head << 2 | drive as u8, 0, 0, track, head, r, N_512];
        self.finish_later(result);
    }

    fn read_u8(&mut self, port: u16) -> u8 {
        match port.wrapping_sub(BASE) {
            SRA | SRB => 0xFF,
            DOR => self.dor,
            TDR => self.tdr,
            MSR_DSR => self.msr(),
            FIFO => self.read_fifo(),
            DIR_CCR => {
                if self.drives[self.selected()].changed {
                    DIR_DSKCHG
                } else {
                    0
                }
            }
            _ => 0xFF,
        }
    }

    fn write_u8(&mut self, port: u16, v: u8) {
        match port.wrapping_sub(BASE) {
            DOR => self.write_dor(v),
            TDR => self.tdr = v & 0b11,
            MSR_DSR => self.write_dsr(v),
            FIFO if !self.in_reset() => self.write_fifo(v),
            DIR_CCR => self.rate = v & RATE_MASK,
            _ => {}
        }
    }
}

impl PortIo for Floppy {
    fn read(&mut self, port: u16, size: u8, now: u64) -> u32 {
        self.update(now);
        read_bytes(port, size, |p| self.read_u8(p))
    }

    fn write(&mut self, port: u16, size: u8, value: u32, now: u64) {
        self.update(now);
        write_bytes(port, size, value, |p, v| self.write_u8(p, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::MemStore;
    use crate::dma::{Direction, Dma};

    const MSR: u16 = BASE + MSR_DSR;
    const DATA: u16 = BASE + FIFO;

    fn out(f: &mut Floppy, port: u16, v: u8, now: u64) {
        f.write(port, 1, u32::from(v), now);
    }

    fn inb(f: &mut Floppy, port: u16, now: u64) -> u8 {
        f.read(port, 1, now) as u8
    }

    fn command(f: &mut Floppy, bytes: &[u8], now: u64) {
        for &b in bytes {
            assert_eq!(
                inb(f, MSR, now) & (MSR_RQM | MSR_DIO),
                MSR_RQM,
                "ready for {b:#x}"
            );
            out(f, DATA, b, now);
        }
    }

    fn results(f: &mut Floppy, now: u64) -> Vec<u8> {
        let mut r = Vec::new();
        while inb(f, MSR, now) & (MSR_RQM | MSR_DIO) == MSR_RQM | MSR_DIO {
            r.push(inb(f, DATA, now));
            assert!(r.len() <= 10, "result phase never ends");
        }
        r
    }

    /// Every sector holds its LBA in its first two bytes and its low byte
    /// everywhere else.
    fn image(g: Geometry) -> Vec<u8> {
        let mut v = vec![0u8; g.bytes() as usize];
        for (lba, s) in v.chunks_mut(SECTOR).enumerate() {
            s.fill(lba as u8);
            s[..2].copy_from_slice(&(lba as u16).to_le_bytes());
        }
        v
    }

    fn lba_of(sector: &[u8]) -> u16 {
        u16::from_le_bytes([sector[0], sector[1]])
    }

    fn take(f: &mut Floppy) -> Box<dyn BlockStore + Send> {
        match f.eject(0) {
            Some(s) => s,
            None => panic!("no disk in A:"),
        }
    }

    /// Runs the controller to its next deadline; returns the time.
    fn wait(f: &mut Floppy) -> u64 {
        let Some(t) = f.next_deadline(0) else {
            panic!("nothing is scheduled")
        };
        f.update(t);
        t
    }

    /// A controller out of reset with its reset interrupt sensed away, a
    /// 1.44M disk in A:, 500 kbps.
    fn ready(g: Geometry, rate: u8) -> (Floppy, u64) {
        let mut f = Floppy::new();
        let insert = f.insert(0, Box::new(MemStore(image(g))), false);
        assert_eq!(insert, Ok(g));
        out(&mut f, BASE + DOR, 0x1C, 0);
        let now = wait(&mut f);
        for _ in 0..4 {
            command(&mut f, &[OP_SENSE_INT], now);
            results(&mut f, now);
        }
        out(&mut f, BASE + DIR_CCR, rate, now);
        (f, now)
    }

    struct Bus {
        dma: Dma,
        ram: Vec<u8>,
    }

    impl Bus {
        fn new() -> Self {
            let mut dma = Dma::new();
            dma.write(0xD6, 1, 0xC0, 0);
            dma.write(0xD4, 1, 0x00, 0);
            Bus {
                dma,
                ram: vec![0; 1 << 20],
            }
        }

        /// Programs channel 2: `mode` 0x46 writes memory, 0x4A reads it.
        fn program(&mut self, mode: u8, addr: u32, len: u16) {
            let [c0, c1] = (len - 1).to_le_bytes();
            for (port, v) in [
                (0x0A, 0x06),
                (0x0C, 0),
                (0x04, addr as u8),
                (0x04, (addr >> 8) as u8),
                (0x05, c0),
                (0x05, c1),
                (0x0B, mode),
                (0x81, (addr >> 16) as u8),
                (0x0A, 0x02),
            ] {
                self.dma.write(port, 1, u32::from(v), 0);
            }
        }

        /// The machine's service loop; returns the bytes moved.
        fn service(&mut self, f: &mut Floppy, now: u64) -> usize {
            let mut moved = 0;
            let mut buf = [0u8; 700];
            while let Some(want) = f.dma_request() {
                let Some(t) = self.dma.next_transfer(DMA_CHANNEL, want.min(buf.len())) else {
                    break;
                };
                let a = t.addr as usize;
                let n = match t.direction {
                    Direction::ToMemory => {
                        let n = f.dma_read(&mut buf[..t.len], now);
                        self.ram[a..a + n].copy_from_slice(&buf[..n]);
                        n
                    }
                    Direction::FromMemory => f.dma_write(&self.ram[a..a + t.len], now),
                    Direction::Verify => f.dma_read(&mut buf[..t.len], now),
                };
                assert!(n > 0);
                moved += n;
                let tc = self.dma.complete(DMA_CHANNEL, n);
                f.dma_complete(tc, now);
            }
            moved
        }
    }

    #[test]
    fn reset_raises_irq_and_four_polling_results() {
        let mut f = Floppy::new();
        assert_eq!(inb(&mut f, MSR, 0), 0, "held in reset at power-on");
        out(&mut f, DATA, OP_VERSION, 0);
        assert_eq!(inb(&mut f, MSR, 0), 0, "commands ignored in reset");
        out(&mut f, BASE + DOR, DOR_NRESET | DOR_DMA_GATE, 100);
        assert_eq!(inb(&mut f, MSR, 100), MSR_RQM);
        assert!(!f.irq());
        assert_eq!(f.next_deadline(100), Some(100 + RESET_NS));
        f.update(100 + RESET_NS);
        assert!(f.irq());
        let now = 100 + RESET_NS;
        command(&mut f, &[OP_SENSE_INT], now);
        assert!(!f.irq(), "SENSE INTERRUPT STATUS clears the line");
        assert_eq!(results(&mut f, now), [0xC0, 0]);
        for d in 1..4 {
            command(&mut f, &[OP_SENSE_INT], now);
            assert_eq!(results(&mut f, now), [0xC0 | d, 0]);
        }
        command(&mut f, &[OP_SENSE_INT], now);
        assert_eq!(results(&mut f, now), [ST0_INVALID], "nothing pending");
        // Without the DMA gate the interrupt does not reach the bus.
        out(&mut f, BASE + DOR, 0, now);
        out(&mut f, BASE + DOR, DOR_NRESET, now);
        f.update(now + RESET_NS);
        assert!(!f.irq());
        out(
            &mut f,
            BASE + DOR,
            DOR_NRESET | DOR_DMA_GATE,
            now + RESET_NS,
        );
        assert!(f.irq());
        // Another command drops the polling results not yet read.
        command(&mut f, &[OP_VERSION], now + RESET_NS);
        assert_eq!(results(&mut f, now + RESET_NS), [VERSION_82077]);
        command(&mut f, &[OP_SENSE_INT], now + RESET_NS);
        assert_eq!(results(&mut f, now + RESET_NS), [ST0_INVALID]);
    }

    #[test]
    fn dsr_software_reset_and_lock() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        command(&mut f, &[OP_CONFIGURE, 0, CONF_EIS | 0x07, 0x05], now);
        command(&mut f, &[OP_LOCK | LOCK_BIT], now);
        assert_eq!(results(&mut f, now), [0x10]);
        out(&mut f, MSR, DSR_RESET | RATE_500K, now);
        assert!(!f.irq());
        let now = wait(&mut f);
        assert!(f.irq(), "reset interrupt again");
        command(&mut f, &[OP_DUMPREG], now);
        let regs = results(&mut f, now);
        assert_eq!(regs[7] & 0x80, 0x80, "still locked");
        assert_eq!(regs[8], 0x07, "FIFO settings kept, EIS reset");
        assert_eq!(regs[9], 0x05);
        command(&mut f, &[OP_LOCK], now);
        assert_eq!(results(&mut f, now), [0x00]);
        out(&mut f, MSR, DSR_RESET, now);
        command(&mut f, &[OP_DUMPREG], now);
        let regs = results(&mut f, now);
        assert_eq!((regs[8], regs[9]), (CONF_EFIFO, 0), "unlocked: reset");
    }

    #[test]
    fn version_specify_configure_perpendicular_dumpreg() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        command(&mut f, &[OP_VERSION], now);
        assert_eq!(inb(&mut f, MSR, now), MSR_RQM | MSR_DIO | MSR_CB);
        assert_eq!(results(&mut f, now), [0x90]);
        assert_eq!(inb(&mut f, MSR, now), MSR_RQM);
        command(&mut f, &[OP_SPECIFY, 0xAF, 0x02], now);
        command(&mut f, &[OP_CONFIGURE, 0, 0x5A, 0x03], now);
        command(&mut f, &[OP_PERPENDICULAR, 0x80 | 0b0001_0000 | 0b11], now);
        command(&mut f, &[OP_PERPENDICULAR, 0b0010_0000], now); // OW = 0
        command(&mut f, &[OP_SEEK, 1, 42], now);
        let now = wait(&mut f);
        command(&mut f, &[OP_SENSE_INT], now);
        results(&mut f, now);
        command(&mut f, &[OP_DUMPREG], now);
        assert_eq!(
            results(&mut f, now),
            [0, 42, 0, 0, 0xAF, 0x02, 0, 0b0001_0000, 0x5A, 0x03]
        );
        // An unknown opcode is an invalid command: one result byte, no IRQ.
        command(&mut f, &[0x1F], now);
        assert_eq!(results(&mut f, now), [ST0_INVALID]);
        assert!(!f.irq());
    }

    #[test]
    fn seek_and_recalibrate_take_step_time_and_report() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        command(&mut f, &[OP_SPECIFY, 0xAF, 0x02], now); // 6 ms per step
        command(&mut f, &[OP_SEEK, HDS, 10], now);
        assert_eq!(inb(&mut f, MSR, now), MSR_RQM | 0x01, "drive 0 busy");
        let Some(t) = f.next_deadline(now) else {
            panic!("no seek scheduled")
        };
        assert_eq!(t - now, SETTLE_NS + 10 * 6_000_000);
        f.update(t - 1);
        assert!(!f.irq());
        f.update(t);
        assert!(f.irq());
        assert_eq!(inb(&mut f, MSR, t), MSR_RQM);
        command(&mut f, &[OP_SENSE_INT], t);
        assert_eq!(results(&mut f, t), [ST0_SEEK_END | ST0_HEAD, 10]);
        assert_eq!(f.cylinder(0), 10);
        // Relative seeks.
        command(&mut f, &[OP_SEEK | SEEK_RELATIVE | SEEK_INWARD, 0, 5], t);
        let t = wait(&mut f);
        assert_eq!(f.cylinder(0), 15);
        command(&mut f, &[OP_SEEK | SEEK_RELATIVE, 0, 20], t);
        let t = wait(&mut f);
        assert_eq!(f.cylinder(0), 0);
        command(&mut f, &[OP_SENSE_INT], t);
        assert_eq!(results(&mut f, t), [ST0_SEEK_END, 0]);
        command(&mut f, &[OP_SENSE_INT], t);
        assert_eq!(results(&mut f, t), [ST0_INVALID], "one status per drive");
        // Recalibrate gives up after 79 steps.
        command(&mut f, &[OP_SEEK, 1, 90], t);
        let t = wait(&mut f);
        command(&mut f, &[OP_SENSE_INT], t);
        assert_eq!(results(&mut f, t), [ST0_SEEK_END | 1, 90]);
        command(&mut f, &[OP_RECALIBRATE, 1], t);
        let t = wait(&mut f);
        command(&mut f, &[OP_SENSE_INT], t);
        assert_eq!(
            results(&mut f, t),
            [ST0_ABNORMAL | ST0_SEEK_END | ST0_EQUIPMENT | 1, 11]
        );
        command(&mut f, &[OP_RECALIBRATE, 1], t);
        let t = wait(&mut f);
        command(&mut f, &[OP_SENSE_INT], t);
        assert_eq!(results(&mut f, t), [ST0_SEEK_END | 1, 0]);
    }

    #[test]
    fn sense_drive_status() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        command(&mut f, &[OP_SENSE_DRIVE, HDS], now);
        assert_eq!(
            results(&mut f, now),
            [ST3_RDY | ST3_T0 | ST3_TS | ST3_HEAD_BIT]
        );
        let store = take(&mut f);
        assert!(f.insert(0, store, true).is_ok());
        command(&mut f, &[OP_SEEK, 0, 3], now);
        let now = wait(&mut f);
        command(&mut f, &[OP_SENSE_DRIVE, 0], now);
        assert_eq!(results(&mut f, now), [ST3_WP | ST3_RDY | ST3_TS]);
        command(&mut f, &[OP_SENSE_DRIVE, 3], now);
        assert_eq!(results(&mut f, now), [ST3_RDY | ST3_T0 | ST3_TS | 3]);
    }

    const ST3_HEAD_BIT: u8 = 0b100;

    #[test]
    fn multitrack_read_ends_normally_at_terminal_count() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        let mut bus = Bus::new();
        bus.program(0x46, 0x1_0000, 3 * 512);
        // Cylinder 2, head 0, sectors 17-18 then head 1 sector 1.
        command(&mut f, &[0xE6, 0, 2, 0, 17, 2, 18, 0x1B, 0xFF], now);
        assert_eq!(f.cylinder(0), 2, "implied seek");
        assert_eq!(bus.service(&mut f, now), 3 * 512);
        assert!(!f.irq());
        assert_eq!(inb(&mut f, MSR, now), MSR_CB);
        let t = wait(&mut f);
        assert_eq!(t, now + COMMAND_NS);
        assert!(f.irq());
        assert_eq!(results(&mut f, t), [ST0_HEAD, 0, 0, 2, 1, 2, 2]);
        assert!(!f.irq(), "reading the result clears the interrupt");
        let lbas: Vec<u16> = bus.ram[0x1_0000..0x1_0600]
            .chunks(512)
            .map(lba_of)
            .collect();
        assert_eq!(lbas, [2 * 36 + 16, 2 * 36 + 17, 2 * 36 + 18]);
    }

    /// The last sector of 720K, 1.44M and 2.88M media (cylinder 79, head
    /// 1, sector EOT), each at its own data rate. With MT off and the last
    /// sector at EOT, the 82077AA result phase gives C + 1, H unchanged,
    /// R = 1.
    #[test]
    fn last_sector_of_each_3_5_inch_format_at_its_rate() {
        for (g, rate) in [
            (Geometry::F720K, RATE_250K),
            (Geometry::F1440K, RATE_500K),
            (Geometry::F2880K, RATE_1M),
        ] {
            let (mut f, now) = ready(g, rate);
            let spt = g.sectors;
            let mut bus = Bus::new();
            bus.program(0x46, 0x4000, 512);
            command(&mut f, &[0x66, HDS, 79, 1, spt, 2, spt, 0x1B, 0xFF], now);
            assert_eq!(bus.service(&mut f, now), 512, "{g:?}");
            let t = wait(&mut f);
            assert_eq!(results(&mut f, t), [ST0_HEAD, 0, 0, 80, 1, 1, 2], "{g:?}");
            let last = 80 * 2 * u16::from(spt) - 1;
            assert_eq!(lba_of(&bus.ram[0x4000..]), last, "{g:?}");
        }
    }

    #[test]
    fn read_to_eot_without_tc_is_abnormal_end_of_cylinder() {
        let (mut f, now) = ready(Geometry::F720K, RATE_250K);
        let mut bus = Bus::new();
        bus.program(0x46, 0x2000, 8 * 512);
        command(&mut f, &[0x66, HDS, 1, 1, 8, 2, 9, 0x1B, 0xFF], now); // MT off
        assert_eq!(bus.service(&mut f, now), 1024);
        let t = wait(&mut f);
        assert_eq!(
            results(&mut f, t),
            [ST0_ABNORMAL | ST0_HEAD, ST1_EN, 0, 2, 1, 1, 2]
        );
        assert_eq!(lba_of(&bus.ram[0x2000..]), 18 + 9 + 7);
        // MT at the end of head 1 also moves on to the next cylinder.
        command(&mut f, &[0xE6, HDS, 1, 1, 9, 2, 9, 0x1B, 0xFF], t);
        bus.service(&mut f, t);
        let t = wait(&mut f);
        assert_eq!(
            results(&mut f, t),
            [ST0_ABNORMAL | ST0_HEAD, ST1_EN, 0, 2, 0, 1, 2]
        );
    }

    #[test]
    fn tc_in_mid_sector_ends_after_that_sector() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        let mut bus = Bus::new();
        bus.program(0x46, 0x3000, 100);
        command(&mut f, &[0xE6, 0, 0, 0, 5, 2, 18, 0x1B, 0xFF], now);
        assert_eq!(bus.service(&mut f, now), 100);
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t), [0, 0, 0, 0, 0, 6, 2]);
    }

    #[test]
    fn write_data_reaches_the_store_and_honours_write_protect() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        let mut bus = Bus::new();
        bus.ram[0x4000..0x4200].fill(0x5A);
        bus.ram[0x4200..0x4400].fill(0xA5);
        bus.program(0x4A, 0x4000, 1024);
        // Multi-track from head 0 to head 1; TC after two sectors.
        command(&mut f, &[0xC5, 0, 79, 0, 18, 2, 18, 0x1B, 0xFF], now);
        assert_eq!(bus.service(&mut f, now), 1024);
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t), [ST0_HEAD, 0, 0, 79, 1, 2, 2]);
        let mut store = take(&mut f);
        let mut s = [0u8; 1024];
        assert_eq!(store.read_at((79 * 36 + 17) * 512, &mut s), Ok(()));
        assert!(s[..512].iter().all(|&b| b == 0x5A));
        assert!(s[512..].iter().all(|&b| b == 0xA5));
        // At the end of head 1 a multi-track command stops.
        assert_eq!(f.insert(0, store, false), Ok(Geometry::F1440K));
        bus.program(0x4A, 0x4000, 1024);
        command(&mut f, &[0xC5, HDS, 79, 1, 18, 2, 18, 0x1B, 0xFF], t);
        assert_eq!(bus.service(&mut f, t), 512);
        let t = wait(&mut f);
        assert_eq!(
            results(&mut f, t),
            [ST0_ABNORMAL | ST0_HEAD, ST1_EN, 0, 80, 0, 1, 2]
        );
        // A protected disk refuses before any data moves.
        let store = take(&mut f);
        assert_eq!(f.insert(0, store, true), Ok(Geometry::F1440K));
        bus.program(0x4A, 0x4000, 512);
        command(&mut f, &[0xC5, 0, 0, 0, 1, 2, 18, 0x1B, 0xFF], t);
        assert_eq!(bus.service(&mut f, t), 0, "nothing moves");
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t), [ST0_ABNORMAL, ST1_NW, 0, 0, 0, 1, 2]);
    }

    #[test]
    fn partial_sector_write_at_tc_is_zero_filled() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        let mut bus = Bus::new();
        bus.ram[0..100].fill(0xEE);
        bus.program(0x4A, 0, 100);
        command(&mut f, &[0xC5, 0, 1, 0, 3, 2, 18, 0x1B, 0xFF], now);
        assert_eq!(bus.service(&mut f, now), 100);
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t), [0, 0, 0, 1, 0, 4, 2]);
        let mut store = take(&mut f);
        let mut s = [0u8; 512];
        assert_eq!(store.read_at((36 + 2) * 512, &mut s), Ok(()));
        assert!(s[..100].iter().all(|&b| b == 0xEE));
        assert!(s[100..].iter().all(|&b| b == 0));
    }

    #[test]
    fn wrong_rate_no_disk_and_fm_find_no_address_mark() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_250K);
        command(&mut f, &[0x4A, 0], now);
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t), [ST0_ABNORMAL, ST1_MA, 0, 0, 0, 1, 2]);
        out(&mut f, BASE + DIR_CCR, RATE_500K, t);
        command(&mut f, &[0x0A, 0], t); // FM
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t)[..2], [ST0_ABNORMAL, ST1_MA]);
        command(&mut f, &[0x4A, 1], t); // drive B: is empty
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t)[..2], [ST0_ABNORMAL | 1, ST1_MA]);
        // READ ID walks round the track.
        let mut seen = Vec::new();
        let mut t = t;
        for _ in 0..20 {
            command(&mut f, &[0x4A, HDS], t);
            t = wait(&mut f);
            let r = results(&mut f, t);
            assert_eq!(r[..5], [ST0_HEAD, 0, 0, 0, 1]);
            seen.push(r[5]);
        }
        assert_eq!(seen[..3], [1, 2, 3]);
        assert_eq!(seen[17..], [18, 1, 2]);
        // A sector beyond the track is not found.
        let mut bus = Bus::new();
        bus.program(0x46, 0, 512);
        command(&mut f, &[0xE6, 0, 0, 0, 19, 2, 19, 0x1B, 0xFF], t);
        assert_eq!(bus.service(&mut f, t), 0);
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t), [ST0_ABNORMAL, ST1_ND, 0, 0, 0, 19, 2]);
        // So is a 1024-byte sector, and an ID whose head does not match.
        command(&mut f, &[0xE6, 0, 0, 0, 1, 3, 18, 0x1B, 0xFF], t);
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t)[1], ST1_ND);
        command(&mut f, &[0xE6, 0, 0, 1, 1, 2, 18, 0x1B, 0xFF], t);
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t)[1], ST1_ND);
    }

    #[test]
    fn forty_track_media_read_at_250_or_300_kbps() {
        let g = Geometry::F360K;
        assert!(g.accepts_rate(RATE_300K) && g.accepts_rate(RATE_250K));
        assert!(!g.accepts_rate(RATE_500K));
        assert!(Geometry::F2880K.accepts_rate(RATE_1M));
        assert!(!Geometry::F720K.accepts_rate(RATE_300K));
        let (mut f, now) = ready(g, RATE_300K);
        let mut bus = Bus::new();
        bus.program(0x46, 0x8000, 512);
        command(&mut f, &[0xE6, HDS, 39, 1, 9, 2, 9, 0x1B, 0xFF], now);
        assert_eq!(bus.service(&mut f, now), 512);
        assert_eq!(lba_of(&bus.ram[0x8000..]), 719);
    }

    #[test]
    fn geometry_from_size() {
        let sizes = [
            (163_840, Geometry::F160K),
            (184_320, Geometry::F180K),
            (327_680, Geometry::F320K),
            (368_640, Geometry::F360K),
            (737_280, Geometry::F720K),
            (1_228_800, Geometry::F1200K),
            (1_474_560, Geometry::F1440K),
            (1_720_320, Geometry::F1680K),
            (1_763_328, Geometry::F1720K),
            (2_949_120, Geometry::F2880K),
        ];
        for (len, g) in sizes {
            assert_eq!(Geometry::from_size(len), Some(g));
        }
        assert_eq!(Geometry::from_size(1_474_561), None);
        let mut f = Floppy::new();
        assert_eq!(
            f.insert(0, Box::new(MemStore(vec![0; 1000])), false),
            Err(MediaError::UnknownSize(1000))
        );
        assert_eq!(
            f.insert(4, Box::new(MemStore(image(Geometry::F720K))), false),
            Err(MediaError::NoSuchDrive(4))
        );
        assert_eq!(f.geometry(0), None);
        assert!(f
            .insert(1, Box::new(MemStore(image(Geometry::F720K))), false)
            .is_ok());
        assert_eq!(f.geometry(1), Some(Geometry::F720K));
        assert!(MediaError::UnknownSize(3)
            .to_string()
            .contains("not a floppy size"));
    }

    #[test]
    fn format_track_fills_sectors_from_dma_ids() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        command(&mut f, &[OP_SEEK, HDS, 5], now);
        let now = wait(&mut f);
        command(&mut f, &[OP_SENSE_INT], now);
        results(&mut f, now);
        let mut bus = Bus::new();
        for r in 0..18u8 {
            let at = 0x9000 + 4 * usize::from(r);
            bus.ram[at..at + 4].copy_from_slice(&[5, 1, r + 1, 2]);
        }
        bus.program(0x4A, 0x9000, 18 * 4);
        command(&mut f, &[0x4D, HDS, 2, 18, 0x6C, 0xF6], now);
        assert_eq!(bus.service(&mut f, now), 72);
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t), [ST0_HEAD, 0, 0, 5, 1, 18, 2]);
        let mut store = take(&mut f);
        let mut track = vec![0u8; 18 * 512];
        assert_eq!(store.read_at((5 * 36 + 18) * 512, &mut track), Ok(()));
        assert!(track.iter().all(|&b| b == 0xF6));
        let mut before = [0u8; 512];
        assert_eq!(store.read_at((5 * 36 + 17) * 512, &mut before), Ok(()));
        assert_eq!(lba_of(&before), 5 * 36 + 17, "head 0 untouched");
        // Formatting a protected disk fails at once.
        assert!(f.insert(0, store, true).is_ok());
        command(&mut f, &[0x4D, 0, 2, 18, 0x6C, 0xF6], t);
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t)[..2], [ST0_ABNORMAL, ST1_NW]);
    }

    #[test]
    fn disk_change_line() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        assert_eq!(
            inb(&mut f, BASE + DIR_CCR, now),
            DIR_DSKCHG,
            "set until a step"
        );
        command(&mut f, &[OP_SEEK, 0, 1], now);
        let now = wait(&mut f);
        assert_eq!(inb(&mut f, BASE + DIR_CCR, now), 0);
        assert!(!f.disk_changed(0));
        let store = f.eject(0);
        assert!(store.is_some());
        assert_eq!(inb(&mut f, BASE + DIR_CCR, now), DIR_DSKCHG);
        // Stepping an empty drive leaves it set.
        command(&mut f, &[OP_RECALIBRATE, 0], now);
        let now = wait(&mut f);
        assert_eq!(inb(&mut f, BASE + DIR_CCR, now), DIR_DSKCHG);
        assert!(f
            .insert(0, Box::new(MemStore(image(Geometry::F720K))), false)
            .is_ok());
        command(&mut f, &[OP_RECALIBRATE, 0], now);
        let now = wait(&mut f);
        assert_eq!(inb(&mut f, BASE + DIR_CCR, now), 0);
        // DIR shows the drive DOR selects.
        out(&mut f, BASE + DOR, 0x1D, now);
        assert_eq!(inb(&mut f, BASE + DIR_CCR, now), DIR_DSKCHG);
        assert!(f.motor_on(0) && !f.motor_on(1));
        assert_eq!(inb(&mut f, BASE + DOR, now), 0x1D);
        out(&mut f, BASE + TDR, 0xFF, now);
        assert_eq!(inb(&mut f, BASE + TDR, now), 0x03);
        assert_eq!(inb(&mut f, BASE + SRA, now), 0xFF);
        assert_eq!(inb(&mut f, BASE + 6, now), 0xFF, "3F6h is the IDE's");
    }

    #[test]
    fn non_dma_read_through_the_fifo() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        command(&mut f, &[OP_SPECIFY, 0xAF, SPEC_ND], now);
        command(&mut f, &[0x46, 0, 0, 0, 17, 2, 18, 0x1B, 0xFF], now);
        assert_eq!(inb(&mut f, MSR, now), MSR_RQM | MSR_DIO | MSR_NDMA | MSR_CB);
        assert!(f.irq(), "a byte is ready");
        assert_eq!(f.dma_request(), None);
        let data: Vec<u8> = (0..1024).map(|_| inb(&mut f, DATA, now)).collect();
        assert_eq!(lba_of(&data), 16);
        assert_eq!(lba_of(&data[512..]), 17);
        assert_eq!(inb(&mut f, MSR, now), MSR_CB);
        assert!(!f.irq());
        let t = wait(&mut f);
        assert!(f.irq());
        assert_eq!(results(&mut f, t), [ST0_ABNORMAL, ST1_EN, 0, 1, 0, 1, 2]);
        // And a write the same way.
        command(&mut f, &[0x45, 0, 3, 0, 18, 2, 18, 0x1B, 0xFF], t);
        assert_eq!(inb(&mut f, MSR, t), MSR_RQM | MSR_NDMA | MSR_CB);
        for _ in 0..512 {
            out(&mut f, DATA, 0x77, t);
        }
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t)[..2], [ST0_ABNORMAL, ST1_EN]);
        let mut store = take(&mut f);
        let mut s = [0u8; 512];
        assert_eq!(store.read_at((3 * 36 + 17) * 512, &mut s), Ok(()));
        assert!(s.iter().all(|&b| b == 0x77));
    }

    #[test]
    fn masked_dma_ends_in_overrun() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        let mut bus = Bus::new();
        command(&mut f, &[0xE6, 0, 0, 0, 1, 2, 18, 0x1B, 0xFF], now);
        assert_eq!(f.dma_request(), Some(512));
        assert_eq!(bus.service(&mut f, now), 0, "channel 2 is masked");
        assert_eq!(f.next_deadline(now), Some(now + DATA_TIMEOUT_NS));
        let t = wait(&mut f);
        assert_eq!(f.dma_request(), None);
        let t2 = wait(&mut f);
        assert_eq!(t2, t + COMMAND_NS);
        assert_eq!(results(&mut f, t2), [ST0_ABNORMAL, ST1_OR, 0, 0, 0, 1, 2]);
        // Clearing the DOR gate also withholds DRQ.
        bus.program(0x46, 0, 512);
        out(&mut f, BASE + DOR, 0x14, t2);
        command(&mut f, &[0xE6, 0, 0, 0, 1, 2, 18, 0x1B, 0xFF], t2);
        assert_eq!(f.dma_request(), None);
        out(&mut f, BASE + DOR, 0x1C, t2);
        assert_eq!(bus.service(&mut f, t2), 512);
    }

    /// A store whose every access fails.
    #[derive(Clone)]
    struct Broken(u64, BlockError);

    impl BlockStore for Broken {
        fn len(&self) -> u64 {
            self.0
        }
        fn read_at(&mut self, _: u64, _: &mut [u8]) -> Result<(), BlockError> {
            Err(self.1.clone())
        }
        fn write_at(&mut self, _: u64, _: &[u8]) -> Result<(), BlockError> {
            Err(self.1.clone())
        }
        fn flush(&mut self) -> Result<(), BlockError> {
            Err(self.1.clone())
        }
        fn box_clone(&self) -> Box<dyn BlockStore + Send> {
            Box::new(self.clone())
        }
    }

    #[test]
    fn store_errors_become_status_bits() {
        let mut f = Floppy::new();
        let io = BlockError::Io(std::io::ErrorKind::Other);
        let g = f.insert(0, Box::new(Broken(1_474_560, io.clone())), false);
        assert_eq!(g, Ok(Geometry::F1440K));
        assert_eq!(f.flush(), Err(io));
        out(&mut f, BASE + DOR, 0x1C, 0);
        let now = wait(&mut f);
        out(&mut f, BASE + DIR_CCR, RATE_500K, now);
        command(&mut f, &[0xE6, 0, 0, 0, 1, 2, 18, 0x1B, 0xFF], now);
        let t = wait(&mut f);
        assert_eq!(
            results(&mut f, t),
            [ST0_ABNORMAL, ST1_DE, ST2_DD, 0, 0, 1, 2]
        );
        let mut bus = Bus::new();
        bus.program(0x4A, 0, 512);
        command(&mut f, &[0xC5, 0, 0, 0, 1, 2, 18, 0x1B, 0xFF], t);
        assert_eq!(bus.service(&mut f, t), 512);
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t)[..2], [ST0_ABNORMAL, ST1_DE]);
        assert!(f
            .insert(1, Box::new(Broken(1_474_560, BlockError::ReadOnly)), false)
            .is_ok());
        bus.program(0x4A, 0, 512);
        command(&mut f, &[0xC5, 1, 0, 0, 1, 2, 18, 0x1B, 0xFF], t);
        bus.service(&mut f, t);
        let t = wait(&mut f);
        assert_eq!(results(&mut f, t)[..2], [ST0_ABNORMAL | 1, ST1_NW]);
    }

    #[test]
    fn clone_is_a_snapshot() {
        let (mut f, now) = ready(Geometry::F1440K, RATE_500K);
        let mut bus = Bus::new();
        bus.ram[0..512].fill(0x11);
        bus.program(0x4A, 0, 512);
        let snap = f.clone();
        command(&mut f, &[0xC5, 0, 0, 0, 1, 2, 18, 0x1B, 0xFF], now);
        bus.service(&mut f, now);
        let mut f2 = snap;
        let mut s = [0u8; 512];
        let mut a = take(&mut f);
        let mut b = take(&mut f2);
        assert_eq!(a.read_at(0, &mut s), Ok(()));
        assert_eq!(s[5], 0x11);
        assert_eq!(b.read_at(0, &mut s), Ok(()));
        assert_eq!(s[5], 0, "the snapshot kept the old sector");
    }

    #[test]
    fn no_guest_input_panics() {
        let mut f = Floppy::new();
        assert!(f
            .insert(0, Box::new(MemStore(image(Geometry::F360K))), false)
            .is_ok());
        assert!(f
            .insert(1, Box::new(MemStore(image(Geometry::F1440K))), true)
            .is_ok());
        let mut bus = Bus::new();
        let mut x = 0x9E37_79B9u32;
        let mut now = 0u64;
        for i in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            now += u64::from(x % 3000);
            let port = BASE + (x >> 8) as u16 % 8;
            let v = (x >> 16) as u8;
            match x % 16 {
                0..=8 => out(&mut f, DATA, v, now),
                9 => out(&mut f, port, v, now),
                10 => {
                    inb(&mut f, port, now);
                }
                11 => out(&mut f, BASE + DOR, v | DOR_NRESET, now),
                12 => bus.program(
                    if v & 1 == 0 { 0x46 } else { 0x4A },
                    u32::from(v) << 8,
                    1 + (x >> 20) as u16 % 2048,
                ),
                13 => {
                    bus.service(&mut f, now);
                }
                _ => {
                    if let Some(t) = f.next_deadline(now) {
                        now = now.max(t);
                        f.update(now);
                    }
                    while inb(&mut f, MSR, now) & 0xC0 == 0xC0 {
                        inb(&mut f, DATA, now);
                    }
                }
            }
            if i % 50_000 == 0 {
                f.write(BASE, 4, x, now);
                f.read(BASE + 4, 2, now);
            }
        }
    }
}
