//! IDE: two ATA channels with ATA disks and ATAPI CD-ROMs.
//!
//! Each [`IdeChannel`] decodes eight command-block ports (1F0h-1F7h on the
//! primary channel, 170h-177h on the secondary) and the device control /
//! alternate status register (3F6h, 376h), and drives one interrupt line
//! (IRQ14, IRQ15). Up to two devices sit on a channel, device 0 ("master")
//! and device 1 ("slave"); [`Ide`] bundles both channels behind one
//! [`PortIo`]. The drive address register at 3F7h/377h is not decoded: on a
//! PC that port belongs to the floppy controller.
//!
//! **Registers** follow ATA/ATAPI-6. Both devices latch every command-block
//! write, and each keeps its own copy of the task file; reads come from the
//! selected device. An empty position on a channel with a device reads as
//! its register copy with a status of 00h and, after a reset, FFh in the
//! signature's cylinder registers, which is how drivers tell nothing is
//! there (QEMU behaves the same). A channel with no device at all floats:
//! every register reads FFh.
//! The 48-bit registers are two-deep FIFOs: a write pushes the previous
//! value into the "previous content" slot, which reads back while the HOB
//! bit of the device control register is set (any command-block write clears
//! HOB). The device/head register reads back with its obsolete bits 7 and 5
//! set.
//!
//! **Timing.** Everything happens in virtual time. A command sets BSY at
//! once and its outcome (DRQ with data, or the final status) shows
//! [`COMMAND_NS`] later, together with the interrupt; the same between the
//! DRQ blocks of a multi-block transfer. Releasing SRST keeps BSY up for
//! [`RESET_NS`]. The deadline is reported by `next_deadline`, and any access
//! at or after it sees the outcome, so guests that poll and guests that wait
//! for the interrupt both work. The interrupt is pending from then until the
//! guest reads the status register (not the alternate status) or writes a
//! command; the line is that pending bit gated by nIEN.
//!
//! **ATA disks** ([`Drive::disk`]): IDENTIFY DEVICE, READ/WRITE SECTOR(S),
//! READ/WRITE MULTIPLE with SET MULTIPLE MODE (up to [`MAX_MULTIPLE`]
//! sectors a block), their 48-bit EXT forms, READ VERIFY, SEEK, RECALIBRATE,
//! INITIALIZE DEVICE PARAMETERS, SET FEATURES (write cache, look-ahead, PIO
//! transfer modes), the power commands, FLUSH CACHE (EXT), EXECUTE DEVICE
//! DIAGNOSTIC; CHS (with the current translation), LBA28 and LBA48
//! addressing. After each block the task file holds the next address and the
//! sectors left, as Bochs and QEMU leave it; after an error it holds the
//! failing sector. An address outside the disk is IDNF; a failed read of the
//! image is UNC; a failed write or flush is ABRT. Each I/O failure is also
//! logged and kept for the machine ([`IdeChannel::take_io_errors`]).
//! IDENTIFY also fills the ATA-1 words later standards retired but older
//! firmware still reads: bytes per track and per sector (4, 5; the Bochs
//! BIOS sizes its PIO blocks from word 5) and doubleword I/O (48).
//!
//! **ATAPI CD-ROMs** ([`Drive::cdrom`]): the PACKET protocol in PIO with the
//! byte count limit from the cylinder registers and the interrupt reason in
//! the sector count register (CoD, IO); the commands TEST UNIT READY,
//! REQUEST SENSE, INQUIRY, READ CAPACITY, READ(10), READ(12), SEEK(10),
//! READ TOC (formats 0 and 1, LBA and MSF), MODE SENSE(10) (pages 01h, 2Ah,
//! 3Fh), START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL, GET CONFIGURATION,
//! GET EVENT STATUS NOTIFICATION (media class), SET CD SPEED; 2048-byte
//! blocks. Sense data: NOT READY / medium not present, UNIT ATTENTION /
//! medium may have changed after a disc goes in, ILLEGAL REQUEST for bad
//! opcodes, fields and block addresses, MEDIUM ERROR for failed reads. ATA
//! commands a packet device does not support are aborted with the ATAPI
//! signature in the task file.
//!
//! **Resets**: SRST (device control bit 2) resets both devices; power-on,
//! SRST, EXECUTE DEVICE DIAGNOSTIC and DEVICE RESET (packet devices) leave the
//! signature in the task file: 01h/01h/00h/00h for ATA, 01h/01h/14h/EBh for
//! ATAPI, with diagnostic code 01h in the error register. Multiple mode and
//! the CHS translation survive a soft reset.
//!
//! **DMA**: READ/WRITE DMA and their EXT forms check the whole range (IDNF
//! before any data moves), then show DRQ without an interrupt until the
//! PIIX3 bus master ([`crate::busmaster`], owned by [`Ide`]) has moved
//! every byte; the command then completes like a PIO one (BSY, then DRDY
//! and the interrupt). A PACKET command with the DMA feature bit moves its
//! data-in phase the same way (in chunks of [`CD_BLOCK`] x 16, the byte
//! count limit unused) and interrupts once, at the status phase. IDENTIFY
//! (PACKET) reports multiword DMA 0-2 and Ultra DMA 0-5 and the mode SET
//! FEATURES selected; the data port gives nothing to PIO reads meanwhile.
//!
//! Not modelled: the ATAPI commands not listed above (audio, READ CD,
//! writing), overlapped and queued commands, SMART, security, host
//! protected area, SLEEP as a distinct state (it behaves as STANDBY).

use crate::block::{BlockError, BlockStore};
use crate::busmaster::{BmChannel, DmaMemory};
use crate::{read_bytes, write_bytes, PortIo};

/// Primary channel command block.
pub const PRIMARY_BASE: u16 = 0x1F0;
/// Primary channel device control / alternate status.
pub const PRIMARY_CTRL: u16 = 0x3F6;
/// Secondary channel command block.
pub const SECONDARY_BASE: u16 = 0x170;
/// Secondary channel device control / alternate status.
pub const SECONDARY_CTRL: u16 = 0x376;
/// IRQ of the primary channel.
pub const PRIMARY_IRQ: u8 = 14;
/// IRQ of the secondary channel.
pub const SECONDARY_IRQ: u8 = 15;

/// BSY lasts this long after a command or between data blocks.
pub const COMMAND_NS: u64 = 2_000;
/// BSY lasts this long after SRST is released.
pub const RESET_NS: u64 = 10_000;
/// Largest block for READ/WRITE MULTIPLE.
pub const MAX_MULTIPLE: u8 = 16;
/// Sectors a DMA command moves between the medium and its buffer at once.
const DMA_CHUNK: u32 = 16;
/// Bytes of an ATAPI DMA data phase the drive buffers at once.
const ATAPI_DMA_CHUNK: usize = 16 * CD_BLOCK;
/// Bytes in an ATA sector.
pub const ATA_SECTOR: usize = 512;
/// Bytes in a CD-ROM block.
pub const CD_BLOCK: usize = 2048;

// Command-block register offsets.
const REG_DATA: u16 = 0;
const REG_ERROR_FEATURE: u16 = 1;
const REG_NSECTOR: u16 = 2;
const REG_SECTOR: u16 = 3;
const REG_LCYL: u16 = 4;
const REG_HCYL: u16 = 5;
const REG_SELECT: u16 = 6;
const REG_STATUS_COMMAND: u16 = 7;

/// Status: busy.
pub const ST_BSY: u8 = 0b1000_0000;
/// Status: device ready.
pub const ST_DRDY: u8 = 0b0100_0000;
/// Status: device fault.
pub const ST_DF: u8 = 0b0010_0000;
/// Status: seek complete (DSC; SERV for packet devices).
pub const ST_DSC: u8 = 0b0001_0000;
/// Status: data request.
pub const ST_DRQ: u8 = 0b0000_1000;
/// Status: error (CHECK for packet devices).
pub const ST_ERR: u8 = 0b0000_0001;
/// What a device that is idle and well shows.
const READY: u8 = ST_DRDY | ST_DSC;

/// Error: command aborted.
pub const ERR_ABRT: u8 = 0b0000_0100;
/// Error: ID not found (address out of range).
pub const ERR_IDNF: u8 = 0b0001_0000;
/// Error: uncorrectable data error.
pub const ERR_UNC: u8 = 0b0100_0000;
/// Diagnostic code: device 0 passed, device 1 passed or absent.
pub const DIAG_PASSED: u8 = 0x01;

/// Device control: interrupts disabled.
pub const DC_NIEN: u8 = 0b0000_0010;
/// Device control: software reset.
pub const DC_SRST: u8 = 0b0000_0100;
/// Device control: read the previous contents of the 48-bit registers.
pub const DC_HOB: u8 = 0b1000_0000;

/// Device/head: device 1 selected.
pub const SEL_DEV: u8 = 0b0001_0000;
/// Device/head: LBA addressing.
pub const SEL_LBA: u8 = 0b0100_0000;
/// Device/head: the obsolete bits that read back as ones.
const SEL_OBSOLETE: u8 = 0b1010_0000;
/// Device/head: head number or LBA bits 27-24.
const SEL_HEAD: u8 = 0b0000_1111;

/// ATAPI interrupt reason (sector count register): command packet.
pub const IR_COD: u8 = 0b0000_0001;
/// ATAPI interrupt reason: transfer to the host.
pub const IR_IO: u8 = 0b0000_0010;

/// PACKET features: DMA transfer requested.
const PACKET_DMA: u8 = 0b0000_0001;

// ATA commands.
const CMD_DEVICE_RESET: u8 = 0x08;
const CMD_READ_SECTORS: u8 = 0x20;
const CMD_READ_SECTORS_NORETRY: u8 = 0x21;
const CMD_READ_SECTORS_EXT: u8 = 0x24;
const CMD_READ_DMA_EXT: u8 = 0x25;
const CMD_READ_MULTIPLE_EXT: u8 = 0x29;
const CMD_WRITE_SECTORS: u8 = 0x30;
const CMD_WRITE_SECTORS_NORETRY: u8 = 0x31;
const CMD_WRITE_SECTORS_EXT: u8 = 0x34;
const CMD_WRITE_DMA_EXT: u8 = 0x35;
const CMD_WRITE_MULTIPLE_EXT: u8 = 0x39;
const CMD_VERIFY: u8 = 0x40;
const CMD_VERIFY_NORETRY: u8 = 0x41;
const CMD_VERIFY_EXT: u8 = 0x42;
const CMD_EXECUTE_DIAGNOSTIC: u8 = 0x90;
const CMD_INITIALIZE_PARAMETERS: u8 = 0x91;
const CMD_PACKET: u8 = 0xA0;
const CMD_IDENTIFY_PACKET: u8 = 0xA1;
const CMD_READ_MULTIPLE: u8 = 0xC4;
const CMD_WRITE_MULTIPLE: u8 = 0xC5;
const CMD_SET_MULTIPLE: u8 = 0xC6;
const CMD_READ_DMA: u8 = 0xC8;
const CMD_READ_DMA_NORETRY: u8 = 0xC9;
const CMD_WRITE_DMA: u8 = 0xCA;
const CMD_WRITE_DMA_NORETRY: u8 = 0xCB;
const CMD_STANDBY_IMMEDIATE: u8 = 0xE0;
const CMD_IDLE_IMMEDIATE: u8 = 0xE1;
const CMD_STANDBY: u8 = 0xE2;
const CMD_IDLE: u8 = 0xE3;
const CMD_CHECK_POWER_MODE: u8 = 0xE5;
const CMD_SLEEP: u8 = 0xE6;
const CMD_FLUSH_CACHE: u8 = 0xE7;
const CMD_FLUSH_CACHE_EXT: u8 = 0xEA;
const CMD_IDENTIFY: u8 = 0xEC;
const CMD_SET_FEATURES: u8 = 0xEF;

// SET FEATURES subcommands.
const SF_ENABLE_WRITE_CACHE: u8 = 0x02;
const SF_SET_TRANSFER_MODE: u8 = 0x03;
const SF_DISABLE_LOOKAHEAD: u8 = 0x55;
const SF_DISABLE_REVERT: u8 = 0x66;
const SF_DISABLE_WRITE_CACHE: u8 = 0x82;
const SF_ENABLE_LOOKAHEAD: u8 = 0xAA;
const SF_ENABLE_REVERT: u8 = 0xCC;

// IDENTIFY words.
/// Word 49: DMA supported.
const CAP_DMA: u16 = 1 << 8;
/// Word 49: LBA supported.
const CAP_LBA: u16 = 1 << 9;
/// Word 63: multiword DMA modes 0-2 supported.
const MWDMA_SUPPORTED: u16 = 0x0007;
/// Word 88: Ultra DMA modes 0-5 supported.
const UDMA_SUPPORTED: u16 = 0x003F;
/// SET FEATURES transfer mode values: multiword DMA and Ultra DMA base.
const XFER_MWDMA: u8 = 0x20;
const XFER_UDMA: u8 = 0x40;
/// Word 49: IORDY supported, and may be disabled.
const CAP_IORDY: u16 = 0b11 << 10;
/// Words 82/85: power management, write cache, look-ahead.
const CS_POWER_MANAGEMENT: u16 = 1 << 3;
const CS_PACKET: u16 = 1 << 4;
const CS_WRITE_CACHE: u16 = 1 << 5;
const CS_LOOKAHEAD: u16 = 1 << 6;
const CS_DEVICE_RESET: u16 = 1 << 9;
/// Words 83/86: 48-bit addressing, FLUSH CACHE, FLUSH CACHE EXT.
const CS_LBA48: u16 = 1 << 10;
const CS_FLUSH: u16 = 1 << 12;
const CS_FLUSH_EXT: u16 = 1 << 13;
/// Words 83, 84, 87: "shall be one" bit of a valid word.
const WORD_VALID: u16 = 1 << 14;

// SCSI/MMC operation codes.
const SCSI_TEST_UNIT_READY: u8 = 0x00;
const SCSI_REQUEST_SENSE: u8 = 0x03;
const SCSI_INQUIRY: u8 = 0x12;
const SCSI_START_STOP_UNIT: u8 = 0x1B;
const SCSI_PREVENT_ALLOW: u8 = 0x1E;
const SCSI_READ_CAPACITY: u8 = 0x25;
const SCSI_READ_10: u8 = 0x28;
const SCSI_SEEK_10: u8 = 0x2B;
const SCSI_READ_TOC: u8 = 0x43;
const SCSI_GET_CONFIGURATION: u8 = 0x46;
const SCSI_GET_EVENT_STATUS: u8 = 0x4A;
const SCSI_MODE_SENSE_10: u8 = 0x5A;
const SCSI_READ_12: u8 = 0xA8;
const SCSI_SET_CD_SPEED: u8 = 0xBB;

/// Sense key: no sense.
pub const SK_NO_SENSE: u8 = 0x0;
/// Sense key: not ready.
pub const SK_NOT_READY: u8 = 0x2;
/// Sense key: medium error.
pub const SK_MEDIUM_ERROR: u8 = 0x3;
/// Sense key: illegal request.
pub const SK_ILLEGAL_REQUEST: u8 = 0x5;
/// Sense key: unit attention.
pub const SK_UNIT_ATTENTION: u8 = 0x6;

/// ASC: unrecovered read error.
pub const ASC_READ_ERROR: u8 = 0x11;
/// ASC: invalid command operation code.
pub const ASC_INVALID_OPCODE: u8 = 0x20;
/// ASC: logical block address out of range.
pub const ASC_LBA_OUT_OF_RANGE: u8 = 0x21;
/// ASC: invalid field in CDB.
pub const ASC_INVALID_FIELD: u8 = 0x24;
/// ASC: not ready to ready change, medium may have changed.
pub const ASC_MEDIUM_CHANGED: u8 = 0x28;
/// ASC: saving parameters not supported.
pub const ASC_SAVING_NOT_SUPPORTED: u8 = 0x39;
/// ASC: medium not present (ASCQ 01h tray closed, 02h tray open).
pub const ASC_NO_MEDIUM: u8 = 0x3A;
/// ASC: medium removal prevented (ASCQ 02h).
pub const ASC_REMOVAL_PREVENTED: u8 = 0x53;

/// GET EVENT STATUS NOTIFICATION: the media event class bit.
const GESN_MEDIA: u8 = 0b0001_0000;
/// Media event codes.
const MEDIA_NO_CHANGE: u8 = 0;
const MEDIA_NEW: u8 = 2;
const MEDIA_REMOVAL: u8 = 3;

/// MMC profile: CD-ROM.
const PROFILE_CD_ROM: u16 = 0x0008;

/// Logical CHS geometry of an ATA disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Geometry {
    /// Cylinders (1-65535).
    pub cylinders: u16,
    /// Heads (1-16).
    pub heads: u8,
    /// Sectors per track (1-255).
    pub sectors: u8,
}

impl Geometry {
    /// The usual ATA translation for a disk of `total` sectors: 16 heads,
    /// 63 sectors per track, as many cylinders as fit (at most 16383).
    pub fn for_sectors(total: u64) -> Self {
        let cylinders = (total / (16 * 63)).clamp(1, 16383) as u16;
        Geometry {
            cylinders,
            heads: 16,
            sectors: 63,
        }
    }

    /// Sectors this geometry addresses.
    pub fn capacity(&self) -> u64 {
        u64::from(self.cylinders) * u64::from(self.heads) * u64::from(self.sectors)
    }

    /// The same with heads and sectors in range (1-16, 1-255).
    fn sanitized(self) -> Self {
        Geometry {
            cylinders: self.cylinders.max(1),
            heads: self.heads.clamp(1, 16),
            sectors: self.sectors.max(1),
        }
    }
}

/// What a failed store access was doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IoKind {
    /// Reading sectors for the guest.
    Read,
    /// Writing the guest's sectors.
    Write,
    /// Flushing (FLUSH CACHE or write-through).
    Flush,
}

/// A store access that failed, as reported to the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskIoError {
    /// Device 1 rather than device 0 of the channel.
    pub slave: bool,
    /// What the access was.
    pub kind: IoKind,
    /// The first sector (512 bytes, or 2048 on a CD) of the access.
    pub sector: u64,
    /// Why it failed.
    pub error: BlockError,
}

/// At most this many I/O errors are kept until the machine takes them.
const MAX_KEPT_ERRORS: usize = 64;

/// Power condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Power {
    Active,
    Idle,
    Standby,
}

/// How the sector address of an ATA command was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Addr {
    Chs,
    Lba28,
    Lba48,
}

/// Sense data of a packet device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Sense {
    key: u8,
    asc: u8,
    ascq: u8,
}

impl Sense {
    const NONE: Sense = Sense {
        key: SK_NO_SENSE,
        asc: 0,
        ascq: 0,
    };

    fn new(key: u8, asc: u8, ascq: u8) -> Self {
        Sense { key, asc, ascq }
    }

    fn illegal(asc: u8) -> Self {
        Sense::new(SK_ILLEGAL_REQUEST, asc, 0)
    }
}

/// The task-file registers one device holds.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
struct TaskFile {
    feature: u8,
    hob_feature: u8,
    nsector: u8,
    hob_nsector: u8,
    sector: u8,
    hob_sector: u8,
    lcyl: u8,
    hob_lcyl: u8,
    hcyl: u8,
    hob_hcyl: u8,
    select: u8,
}

impl TaskFile {
    fn write(&mut self, reg: u16, v: u8) {
        let push = |cur: &mut u8, hob: &mut u8| {
            *hob = *cur;
            *cur = v;
        };
        match reg {
            REG_ERROR_FEATURE => push(&mut self.feature, &mut self.hob_feature),
            REG_NSECTOR => push(&mut self.nsector, &mut self.hob_nsector),
            REG_SECTOR => push(&mut self.sector, &mut self.hob_sector),
            REG_LCYL => push(&mut self.lcyl, &mut self.hob_lcyl),
            REG_HCYL => push(&mut self.hcyl, &mut self.hob_hcyl),
            REG_SELECT => self.select = v | SEL_OBSOLETE,
            _ => {}
        }
    }

    fn read(&self, reg: u16, hob: bool) -> u8 {
        match (reg, hob) {
            (REG_NSECTOR, false) => self.nsector,
            (REG_NSECTOR, true) => self.hob_nsector,
            (REG_SECTOR, false) => self.sector,
            (REG_SECTOR, true) => self.hob_sector,
            (REG_LCYL, false) => self.lcyl,
            (REG_LCYL, true) => self.hob_lcyl,
            (REG_HCYL, false) => self.hcyl,
            (REG_HCYL, true) => self.hob_hcyl,
            _ => self.select,
        }
    }

    /// The reset signature of an ATA (`packet` false) or ATAPI device.
    fn set_signature(&mut self, packet: bool) {
        self.set_signature_of(Some(packet));
    }

    /// The reset signature of an ATA device (`Some(false)`), an ATAPI
    /// device (`Some(true)`) or an empty position (`None`: FFh in the
    /// cylinder registers, which no driver takes for a device).
    fn set_signature_of(&mut self, packet: Option<bool>) {
        self.nsector = 1;
        self.sector = 1;
        (self.lcyl, self.hcyl) = match packet {
            Some(true) => (0x14, 0xEB),
            Some(false) => (0, 0),
            None => (0xFF, 0xFF),
        };
        self.hob_nsector = 0;
        self.hob_sector = 0;
        self.hob_lcyl = 0;
        self.hob_hcyl = 0;
    }

    fn lba28(&self) -> u64 {
        u64::from(self.select & SEL_HEAD) << 24
            | u64::from(self.hcyl) << 16
            | u64::from(self.lcyl) << 8
            | u64::from(self.sector)
    }

    fn lba48(&self) -> u64 {
        u64::from_le_bytes([
            self.sector,
            self.lcyl,
            self.hcyl,
            self.hob_sector,
            self.hob_lcyl,
            self.hob_hcyl,
            0,
            0,
        ])
    }

    fn cylinder(&self) -> u16 {
        u16::from_le_bytes([self.lcyl, self.hcyl])
    }

    fn set_cylinder(&mut self, c: u16) {
        [self.lcyl, self.hcyl] = c.to_le_bytes();
    }

    /// Leaves `lba` in the address registers as `mode` expresses it.
    fn set_address(&mut self, lba: u64, mode: Addr, geometry: Geometry) {
        match mode {
            Addr::Chs => {
                let g = geometry.sanitized();
                let per_cyl = u64::from(g.heads) * u64::from(g.sectors);
                let cyl = lba / per_cyl;
                let rest = lba % per_cyl;
                self.set_cylinder(cyl as u16);
                self.select = (self.select & !SEL_HEAD) | (rest / u64::from(g.sectors)) as u8;
                self.sector = (rest % u64::from(g.sectors)) as u8 + 1;
            }
            Addr::Lba28 => {
                let b = lba.to_le_bytes();
                (self.sector, self.lcyl, self.hcyl) = (b[0], b[1], b[2]);
                self.select = (self.select & !SEL_HEAD) | (b[3] & SEL_HEAD);
            }
            Addr::Lba48 => {
                let b = lba.to_le_bytes();
                (self.sector, self.lcyl, self.hcyl) = (b[0], b[1], b[2]);
                (self.hob_sector, self.hob_lcyl, self.hob_hcyl) = (b[3], b[4], b[5]);
            }
        }
    }

    /// Leaves the count of sectors still to go in the count register(s).
    fn set_count(&mut self, n: u32, mode: Addr) {
        self.nsector = n as u8;
        if mode == Addr::Lba48 {
            self.hob_nsector = (n >> 8) as u8;
        }
    }
}

/// A command's outcome, shown once BSY drops.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
struct Busy {
    until: u64,
    status: u8,
    irq: bool,
}

/// Where the data of an ATAPI data-in command comes from.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
enum Source {
    /// A reply built in memory; `.1` bytes of it were sent.
    Bytes(Vec<u8>, usize),
    /// Blocks of the medium: the next block, how many are left, and bytes
    /// already read from the medium but not yet sent.
    Blocks {
        next: u64,
        left: u32,
        pending: Vec<u8>,
    },
}

impl Source {
    fn remaining(&self) -> usize {
        match self {
            Source::Bytes(v, sent) => v.len() - sent,
            Source::Blocks { left, pending, .. } => pending
                .len()
                .saturating_add((*left as usize).saturating_mul(CD_BLOCK)),
        }
    }
}

/// What the data port is doing.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
enum Op {
    None,
    /// One block to the host and nothing after it (IDENTIFY).
    Single,
    /// ATA data-in: where the next block starts and how many sectors are
    /// left after the one in the buffer.
    Read {
        next: u64,
        remaining: u32,
        block: u32,
        mode: Addr,
    },
    /// ATA data-out: the buffer receives the block for `lba`.
    Write {
        lba: u64,
        remaining: u32,
        block: u32,
        mode: Addr,
    },
    /// READ/WRITE DMA: the bus master moves the data. For a read, `lba`
    /// and `remaining` describe the sectors not yet read into `buf`; for a
    /// write, the sectors not yet written (`buf` holds the start of them).
    Dma {
        lba: u64,
        remaining: u32,
        mode: Addr,
        write: bool,
    },
    /// The host is writing the 12-byte command packet; `dma` if the
    /// PACKET command asked for a DMA data phase.
    Packet {
        limit: usize,
        dma: bool,
    },
    /// ATAPI data-in, through the data port or (`dma`) the bus master.
    AtapiIn {
        source: Source,
        limit: usize,
        dma: bool,
    },
}

/// An ATA disk.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Disk {
    #[serde(with = "crate::block::detached")]
    store: Box<dyn BlockStore + Send>,
    sectors: u64,
    /// The geometry IDENTIFY reports in words 1, 3 and 6.
    default: Geometry,
    /// The current CHS translation (INITIALIZE DEVICE PARAMETERS).
    current: Geometry,
    multiple: u8,
    write_cache: bool,
    lookahead: bool,
}

/// An ATAPI CD-ROM drive.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Cdrom {
    #[serde(with = "crate::block::detached_opt")]
    medium: Option<Box<dyn BlockStore + Send>>,
    tray_open: bool,
    locked: bool,
    sense: Sense,
    unit_attention: bool,
    media_event: u8,
}

impl Cdrom {
    fn present(&self) -> bool {
        !self.tray_open && self.medium.is_some()
    }

    /// Blocks on the medium.
    fn capacity(&self) -> u64 {
        self.medium
            .as_ref()
            .map_or(0, |m| m.len() / CD_BLOCK as u64)
    }

    fn not_ready(&self) -> Option<Sense> {
        if self.present() {
            None
        } else {
            let ascq = if self.tray_open { 0x02 } else { 0x01 };
            Some(Sense::new(SK_NOT_READY, ASC_NO_MEDIUM, ascq))
        }
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
enum Media {
    Disk(Disk),
    Cdrom(Cdrom),
}

/// The reply of a packet command.
enum Reply {
    Good,
    Check(Sense),
    Data(Vec<u8>),
    Read { lba: u64, count: u32 },
}

/// A device on an IDE channel: an ATA disk or an ATAPI CD-ROM drive, with
/// its state.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Drive {
    media: Media,
    model: String,
    serial: Option<String>,
    firmware: String,
    status: u8,
    error: u8,
    busy: Option<Busy>,
    buf: Vec<u8>,
    pos: usize,
    op: Op,
    power: Power,
    /// Failures not yet taken by the machine: reports, not state.
    #[serde(skip)]
    io_errors: Vec<DiskIoError>,
    /// The DMA mode SET FEATURES selected: 0 (none), 20h + multiword DMA
    /// mode or 40h + Ultra DMA mode.
    dma_mode: u8,
}

/// Firmware revision reported by IDENTIFY and INQUIRY.
const FIRMWARE: &str = "0.1";

impl Drive {
    fn new(media: Media, model: &str) -> Self {
        let status = match media {
            Media::Disk(_) => READY,
            Media::Cdrom(_) => 0,
        };
        Drive {
            media,
            model: model.to_string(),
            serial: None,
            firmware: FIRMWARE.to_string(),
            status,
            error: DIAG_PASSED,
            busy: None,
            buf: Vec::new(),
            pos: 0,
            op: Op::None,
            power: Power::Active,
            io_errors: Vec::new(),
            dma_mode: 0,
        }
    }

    /// An ATA disk on `store` (512-byte sectors; a partial last sector is
    /// not addressable), with the geometry of [`Geometry::for_sectors`].
    pub fn disk(store: Box<dyn BlockStore + Send>) -> Self {
        let sectors = store.len() / ATA_SECTOR as u64;
        let g = Geometry::for_sectors(sectors);
        Drive::new(
            Media::Disk(Disk {
                store,
                sectors,
                default: g,
                current: g,
                multiple: 0,
                write_cache: true,
                lookahead: true,
            }),
            "OXBOX HARDDISK",
        )
    }

    /// An ATAPI CD-ROM drive, with a disc in it or empty.
    pub fn cdrom(medium: Option<Box<dyn BlockStore + Send>>) -> Self {
        Drive::new(
            Media::Cdrom(Cdrom {
                medium,
                tray_open: false,
                locked: false,
                sense: Sense::NONE,
                unit_attention: false,
                media_event: MEDIA_NO_CHANGE,
            }),
            "OXBOX DVD-ROM",
        )
    }

    /// Sets the CHS geometry of a disk (heads are limited to 16); no effect
    /// on a CD-ROM drive.
    pub fn with_geometry(mut self, geometry: Geometry) -> Self {
        if let Media::Disk(d) = &mut self.media {
            d.default = geometry.sanitized();
            d.current = d.default;
        }
        self
    }

    /// Sets the model string (40 characters at most are reported).
    pub fn with_model(mut self, model: &str) -> Self {
        self.model = model.to_string();
        self
    }

    /// Sets the serial number (20 characters at most are reported); by
    /// default it is `QM0000n` with n = 1-4 by position, as QEMU numbers
    /// them.
    pub fn with_serial(mut self, serial: &str) -> Self {
        self.serial = Some(serial.to_string());
        self
    }

    /// Sets the firmware revision (8 characters at most are reported).
    pub fn with_firmware(mut self, firmware: &str) -> Self {
        self.firmware = firmware.to_string();
        self
    }

    /// Whether this is a packet (ATAPI) device.
    pub fn is_cdrom(&self) -> bool {
        matches!(self.media, Media::Cdrom(_))
    }

    /// The disk's size in 512-byte sectors, or the CD's in 2048-byte
    /// blocks (0 without a disc).
    pub fn capacity(&self) -> u64 {
        match &self.media {
            Media::Disk(d) => d.sectors,
            Media::Cdrom(c) => c.capacity(),
        }
    }

    /// The default geometry of a disk.
    pub fn geometry(&self) -> Option<Geometry> {
        match &self.media {
            Media::Disk(d) => Some(d.default),
            Media::Cdrom(_) => None,
        }
    }

    /// The disk image, or the disc in the drive.
    pub fn store_mut(&mut self) -> Option<&mut (dyn BlockStore + Send + 'static)> {
        match &mut self.media {
            Media::Disk(d) => Some(d.store.as_mut()),
            Media::Cdrom(c) => c.medium.as_deref_mut(),
        }
    }

    fn flush_store(&mut self) -> Result<(), BlockError> {
        match self.store_mut() {
            Some(s) => s.flush(),
            None => Ok(()),
        }
    }

    fn record(&mut self, kind: IoKind, sector: u64, error: BlockError) {
        log::warn!("ide: {kind:?} of sector {sector} failed: {error}");
        if self.io_errors.len() < MAX_KEPT_ERRORS {
            self.io_errors.push(DiskIoError {
                slave: false,
                kind,
                sector,
                error,
            });
        }
    }

    /// The status register as the host sees it.
    fn visible_status(&self) -> u8 {
        if self.busy.is_some() {
            ST_BSY
        } else {
            self.status
        }
    }

    fn is_data_in(&self) -> bool {
        matches!(
            self.op,
            Op::Single | Op::Read { .. } | Op::AtapiIn { dma: false, .. }
        )
    }

    fn is_data_out(&self) -> bool {
        matches!(self.op, Op::Write { .. } | Op::Packet { .. })
    }

    /// BSY now; `status` (and the interrupt if `irq`) after a while.
    fn complete(&mut self, now: u64, status: u8, irq: bool) {
        self.busy = Some(Busy {
            until: now.saturating_add(COMMAND_NS),
            status,
            irq,
        });
    }

    fn ok(&mut self, now: u64) {
        self.op = Op::None;
        self.complete(now, READY, true);
    }

    fn fail(&mut self, now: u64, error: u8) {
        self.op = Op::None;
        self.buf.clear();
        self.pos = 0;
        self.error = error;
        self.complete(now, READY | ST_ERR, true);
    }

    /// A block for the host is in `buf`: DRQ and the interrupt.
    fn data_in(&mut self, now: u64, data: Vec<u8>, op: Op) {
        self.buf = data;
        self.pos = 0;
        self.op = op;
        self.complete(now, READY | ST_DRQ, true);
    }

    /// Back to the state after power-on (registers aside).
    fn reset(&mut self) {
        self.op = Op::None;
        self.buf.clear();
        self.pos = 0;
        self.busy = None;
        self.error = DIAG_PASSED;
        self.power = Power::Active;
        if let Media::Cdrom(c) = &mut self.media {
            c.sense = Sense::NONE;
        }
    }

    /// The status after a reset or diagnostic: packet devices leave DRDY
    /// clear.
    fn reset_status(&self) -> u8 {
        if self.is_cdrom() {
            0
        } else {
            READY
        }
    }

    // ----- ATA commands -----

    fn exec(&mut self, tf: &mut TaskFile, cmd: u8, now: u64, slave: bool) {
        self.error = 0;
        self.op = Op::None;
        self.buf.clear();
        self.pos = 0;
        if self.is_cdrom() {
            self.exec_packet_device(tf, cmd, now, slave);
        } else {
            self.exec_disk(tf, cmd, now, slave);
        }
    }

    fn exec_disk(&mut self, tf: &mut TaskFile, cmd: u8, now: u64, slave: bool) {
        match cmd {
            CMD_IDENTIFY => {
                let data = self.identify_disk(slave);
                self.data_in(now, data, Op::Single);
            }
            CMD_READ_SECTORS | CMD_READ_SECTORS_NORETRY => self.ata_read(tf, now, false, false),
            CMD_READ_SECTORS_EXT => self.ata_read(tf, now, true, false),
            CMD_READ_MULTIPLE => self.ata_read(tf, now, false, true),
            CMD_READ_MULTIPLE_EXT => self.ata_read(tf, now, true, true),
            CMD_WRITE_SECTORS | CMD_WRITE_SECTORS_NORETRY => self.ata_write(tf, now, false, false),
            CMD_WRITE_SECTORS_EXT => self.ata_write(tf, now, true, false),
            CMD_WRITE_MULTIPLE => self.ata_write(tf, now, false, true),
            CMD_WRITE_MULTIPLE_EXT => self.ata_write(tf, now, true, true),
            CMD_READ_DMA | CMD_READ_DMA_NORETRY => self.dma_start(tf, now, false, false),
            CMD_READ_DMA_EXT => self.dma_start(tf, now, true, false),
            CMD_WRITE_DMA | CMD_WRITE_DMA_NORETRY => self.dma_start(tf, now, false, true),
            CMD_WRITE_DMA_EXT => self.dma_start(tf, now, true, true),
            CMD_VERIFY | CMD_VERIFY_NORETRY => self.verify(tf, now, false),
            CMD_VERIFY_EXT => self.verify(tf, now, true),
            0x10..=0x1F => self.ok(now), // RECALIBRATE
            0x70..=0x7F => self.seek(tf, now),
            CMD_INITIALIZE_PARAMETERS => self.initialize_parameters(tf, now),
            CMD_SET_MULTIPLE => self.set_multiple(tf, now),
            CMD_SET_FEATURES => self.set_features(tf, now),
            CMD_FLUSH_CACHE | CMD_FLUSH_CACHE_EXT => self.flush_cache(now),
            _ => self.power_command(tf, cmd, now),
        }
    }

    /// The power management commands (and their old 94h-99h forms); any
    /// other command is aborted.
    fn power_command(&mut self, tf: &mut TaskFile, cmd: u8, now: u64) {
        match cmd {
            CMD_STANDBY_IMMEDIATE | CMD_STANDBY | CMD_SLEEP | 0x94 | 0x96 | 0x99 => {
                self.power = Power::Standby;
                self.ok(now);
            }
            CMD_IDLE_IMMEDIATE | CMD_IDLE | 0x95 | 0x97 => {
                self.power = Power::Idle;
                self.ok(now);
            }
            CMD_CHECK_POWER_MODE | 0x98 => {
                tf.nsector = match self.power {
                    Power::Standby => 0x00,
                    Power::Idle => 0x80,
                    Power::Active => 0xFF,
                };
                self.ok(now);
            }
            _ => self.fail(now, ERR_ABRT),
        }
    }

    fn disk_ref(&self) -> Option<&Disk> {
        match &self.media {
            Media::Disk(d) => Some(d),
            Media::Cdrom(_) => None,
        }
    }

    fn disk_mut(&mut self) -> Option<&mut Disk> {
        match &mut self.media {
            Media::Disk(d) => Some(d),
            Media::Cdrom(_) => None,
        }
    }

    /// The starting sector, sector count and addressing mode of a
    /// read/write/verify command; `None` for a CHS address outside the
    /// current translation.
    fn address(&self, tf: &TaskFile, ext: bool) -> Option<(u64, u32, Addr)> {
        let disk = self.disk_ref()?;
        if ext {
            let count = u32::from(u16::from_le_bytes([tf.nsector, tf.hob_nsector]));
            let count = if count == 0 { 65536 } else { count };
            return Some((tf.lba48(), count, Addr::Lba48));
        }
        let count = if tf.nsector == 0 {
            256
        } else {
            u32::from(tf.nsector)
        };
        if tf.select & SEL_LBA != 0 {
            return Some((tf.lba28(), count, Addr::Lba28));
        }
        let g = disk.current;
        let (c, h, s) = (tf.cylinder(), tf.select & SEL_HEAD, tf.sector);
        if s == 0 || s > g.sectors || h >= g.heads || c >= g.cylinders {
            return None;
        }
        let lba = (u64::from(c) * u64::from(g.heads) + u64::from(h)) * u64::from(g.sectors)
            + u64::from(s - 1);
        Some((lba, count, Addr::Chs))
    }

    fn current_geometry(&self) -> Geometry {
        self.disk_ref()
            .map_or(Geometry::for_sectors(0), |d| d.current)
    }

    /// IDNF at the first sector past the end (or `lba` itself).
    fn fail_idnf(&mut self, tf: &mut TaskFile, now: u64, lba: u64, mode: Addr) {
        let sectors = self.capacity();
        tf.set_address(lba.max(sectors), mode, self.current_geometry());
        self.fail(now, ERR_IDNF);
    }

    /// The block size of a read/write command, or `None` if it is a
    /// MULTIPLE command and multiple mode is off.
    fn block_size(&self, multiple: bool) -> Option<u32> {
        if !multiple {
            return Some(1);
        }
        match self.disk_ref().map_or(0, |d| d.multiple) {
            0 => None,
            n => Some(u32::from(n)),
        }
    }

    fn ata_read(&mut self, tf: &mut TaskFile, now: u64, ext: bool, multiple: bool) {
        let Some(block) = self.block_size(multiple) else {
            self.fail(now, ERR_ABRT);
            return;
        };
        let Some((lba, count, mode)) = self.address(tf, ext) else {
            self.fail(now, ERR_IDNF);
            return;
        };
        self.power = Power::Active;
        self.read_block(tf, now, lba, count, block, mode);
    }

    /// Reads the next block of a data-in command into the buffer.
    fn read_block(
        &mut self,
        tf: &mut TaskFile,
        now: u64,
        lba: u64,
        count: u32,
        block: u32,
        mode: Addr,
    ) {
        let n = block.min(count);
        let geometry = self.current_geometry();
        let sectors = self.capacity();
        if lba.saturating_add(u64::from(n)) > sectors {
            self.fail_idnf(tf, now, lba, mode);
            return;
        }
        let mut data = vec![0; n as usize * ATA_SECTOR];
        let result = match self.disk_mut() {
            Some(d) => d.store.read_at(lba * ATA_SECTOR as u64, &mut data),
            None => Err(BlockError::OutOfRange),
        };
        if let Err(e) = result {
            self.record(IoKind::Read, lba, e);
            tf.set_address(lba, mode, geometry);
            self.fail(now, ERR_UNC);
            return;
        }
        let next = lba + u64::from(n);
        tf.set_address(next, mode, geometry);
        tf.set_count(count - n, mode);
        let op = Op::Read {
            next,
            remaining: count - n,
            block,
            mode,
        };
        self.data_in(now, data, op);
    }

    fn ata_write(&mut self, tf: &mut TaskFile, now: u64, ext: bool, multiple: bool) {
        let Some(block) = self.block_size(multiple) else {
            self.fail(now, ERR_ABRT);
            return;
        };
        let Some((lba, count, mode)) = self.address(tf, ext) else {
            self.fail(now, ERR_IDNF);
            return;
        };
        self.power = Power::Active;
        self.expect_block(tf, now, lba, count, block, mode, false);
    }

    /// Asks the host for the next block of a data-out command.
    #[allow(clippy::too_many_arguments)]
    fn expect_block(
        &mut self,
        tf: &mut TaskFile,
        now: u64,
        lba: u64,
        count: u32,
        block: u32,
        mode: Addr,
        irq: bool,
    ) {
        let n = block.min(count);
        if lba.saturating_add(u64::from(n)) > self.capacity() {
            self.fail_idnf(tf, now, lba, mode);
            return;
        }
        self.buf = vec![0; n as usize * ATA_SECTOR];
        self.pos = 0;
        self.op = Op::Write {
            lba,
            remaining: count - n,
            block,
            mode,
        };
        self.complete(now, READY | ST_DRQ, irq);
    }

    /// The host has filled the buffer of a data-out block.
    fn write_block(
        &mut self,
        tf: &mut TaskFile,
        now: u64,
        lba: u64,
        remaining: u32,
        block: u32,
        mode: Addr,
    ) {
        let geometry = self.current_geometry();
        let data = std::mem::take(&mut self.buf);
        self.pos = 0;
        if let Err((kind, e)) = self.store_write(lba, &data) {
            self.record(kind, lba, e);
            tf.set_address(lba, mode, geometry);
            self.fail(now, ERR_ABRT);
            return;
        }
        let n = (data.len() / ATA_SECTOR) as u64;
        tf.set_address(lba + n, mode, geometry);
        tf.set_count(remaining, mode);
        if remaining > 0 {
            self.expect_block(tf, now, lba + n, remaining, block, mode, true);
        } else {
            self.ok(now);
        }
    }

    /// Writes `data` at `lba`, then flushes if the write cache is off.
    fn store_write(&mut self, lba: u64, data: &[u8]) -> Result<(), (IoKind, BlockError)> {
        let (written, write_cache) = match self.disk_mut() {
            Some(d) => (
                d.store.write_at(lba * ATA_SECTOR as u64, data),
                d.write_cache,
            ),
            None => (Err(BlockError::OutOfRange), true),
        };
        written.map_err(|e| (IoKind::Write, e)).and_then(|()| {
            if write_cache {
                Ok(())
            } else {
                self.flush_store().map_err(|e| (IoKind::Flush, e))
            }
        })
    }

    /// READ/WRITE DMA (EXT): checks the whole range, then shows DRQ (no
    /// interrupt) and waits for the bus master. An address outside the
    /// disk is IDNF before any data moves.
    fn dma_start(&mut self, tf: &mut TaskFile, now: u64, ext: bool, write: bool) {
        let Some((lba, count, mode)) = self.address(tf, ext) else {
            self.fail(now, ERR_IDNF);
            return;
        };
        if lba.saturating_add(u64::from(count)) > self.capacity() {
            self.fail_idnf(tf, now, lba, mode);
            return;
        }
        self.power = Power::Active;
        self.buf.clear();
        self.pos = 0;
        self.op = Op::Dma {
            lba,
            remaining: count,
            mode,
            write,
        };
        self.complete(now, READY | ST_DRQ, false);
    }

    /// Device to memory: fills `out` with the next bytes of a READ DMA;
    /// returns how many. After the last byte the command completes (BSY,
    /// then DRDY and the interrupt); a failed read ends it with UNC.
    fn dma_in(&mut self, tf: &mut TaskFile, out: &mut [u8], now: u64) -> usize {
        if matches!(self.op, Op::AtapiIn { dma: true, .. }) {
            // One buffered chunk; the next one follows after its BSY time.
            let m = out.len().min(self.buf.len().saturating_sub(self.pos));
            out[..m].copy_from_slice(&self.buf[self.pos..self.pos + m]);
            self.pos += m;
            if self.pos >= self.buf.len() {
                self.status &= !ST_DRQ;
                self.next_chunk(tf, now);
            }
            return m;
        }
        let mut n = 0;
        while n < out.len() {
            if self.pos >= self.buf.len() {
                let Op::Dma {
                    lba,
                    remaining,
                    mode,
                    write: false,
                } = self.op
                else {
                    break;
                };
                if remaining == 0 {
                    break;
                }
                let k = remaining.min(DMA_CHUNK);
                let geometry = self.current_geometry();
                let mut data = vec![0; k as usize * ATA_SECTOR];
                let result = match self.disk_mut() {
                    Some(d) => d.store.read_at(lba * ATA_SECTOR as u64, &mut data),
                    None => Err(BlockError::OutOfRange),
                };
                if let Err(e) = result {
                    self.record(IoKind::Read, lba, e);
                    tf.set_address(lba, mode, geometry);
                    self.fail(now, ERR_UNC);
                    return n;
                }
                tf.set_address(lba + u64::from(k), mode, geometry);
                tf.set_count(remaining - k, mode);
                self.op = Op::Dma {
                    lba: lba + u64::from(k),
                    remaining: remaining - k,
                    mode,
                    write: false,
                };
                self.buf = data;
                self.pos = 0;
            }
            let m = (out.len() - n).min(self.buf.len() - self.pos);
            out[n..n + m].copy_from_slice(&self.buf[self.pos..self.pos + m]);
            n += m;
            self.pos += m;
        }
        if matches!(
            self.op,
            Op::Dma {
                remaining: 0,
                write: false,
                ..
            }
        ) && self.pos >= self.buf.len()
        {
            self.buf.clear();
            self.pos = 0;
            self.ok(now);
        }
        n
    }

    /// Memory to device: takes the next bytes of a WRITE DMA; returns how
    /// many it took. Each full chunk of sectors goes to the medium; after
    /// the last one the command completes. A failed write ends it (ABRT).
    fn dma_out(&mut self, tf: &mut TaskFile, data: &[u8], now: u64) -> usize {
        let mut n = 0;
        while n < data.len() {
            let Op::Dma {
                lba,
                remaining,
                mode,
                write: true,
            } = self.op
            else {
                break;
            };
            if self.buf.is_empty() {
                self.buf = vec![0; remaining.min(DMA_CHUNK) as usize * ATA_SECTOR];
                self.pos = 0;
            }
            let m = (data.len() - n).min(self.buf.len() - self.pos);
            self.buf[self.pos..self.pos + m].copy_from_slice(&data[n..n + m]);
            n += m;
            self.pos += m;
            if self.pos < self.buf.len() {
                continue;
            }
            let geometry = self.current_geometry();
            let chunk = std::mem::take(&mut self.buf);
            self.pos = 0;
            if let Err((kind, e)) = self.store_write(lba, &chunk) {
                self.record(kind, lba, e);
                tf.set_address(lba, mode, geometry);
                self.fail(now, ERR_ABRT);
                return n;
            }
            let k = (chunk.len() / ATA_SECTOR) as u32;
            tf.set_address(lba + u64::from(k), mode, geometry);
            tf.set_count(remaining - k, mode);
            self.op = Op::Dma {
                lba: lba + u64::from(k),
                remaining: remaining - k,
                mode,
                write: true,
            };
            if remaining == k {
                self.ok(now);
                break;
            }
        }
        n
    }

    fn verify(&mut self, tf: &mut TaskFile, now: u64, ext: bool) {
        let Some((lba, count, mode)) = self.address(tf, ext) else {
            self.fail(now, ERR_IDNF);
            return;
        };
        self.power = Power::Active;
        let end = lba.saturating_add(u64::from(count));
        if end > self.capacity() {
            self.fail_idnf(tf, now, lba, mode);
            return;
        }
        tf.set_address(end, mode, self.current_geometry());
        tf.set_count(0, mode);
        self.ok(now);
    }

    fn seek(&mut self, tf: &TaskFile, now: u64) {
        match self.address(tf, false) {
            Some((lba, _, _)) if lba < self.capacity() => self.ok(now),
            _ => self.fail(now, ERR_IDNF),
        }
    }

    fn initialize_parameters(&mut self, tf: &TaskFile, now: u64) {
        let (heads, sectors) = ((tf.select & SEL_HEAD) + 1, tf.nsector);
        let Some(disk) = self.disk_mut() else {
            self.fail(now, ERR_ABRT);
            return;
        };
        if sectors == 0 {
            self.fail(now, ERR_ABRT);
            return;
        }
        let chs_max = disk.sectors.min(16383 * 16 * 63);
        let per_cyl = u64::from(heads) * u64::from(sectors);
        disk.current = Geometry {
            cylinders: (chs_max / per_cyl).min(65535) as u16,
            heads,
            sectors,
        };
        self.ok(now);
    }

    fn set_multiple(&mut self, tf: &TaskFile, now: u64) {
        let n = tf.nsector;
        if n > MAX_MULTIPLE || !(n == 0 || n.is_power_of_two()) {
            self.fail(now, ERR_ABRT);
            return;
        }
        if let Some(d) = self.disk_mut() {
            d.multiple = n;
        }
        self.ok(now);
    }

    fn set_features(&mut self, tf: &TaskFile, now: u64) {
        let packet = self.is_cdrom();
        let set = |d: &mut Drive, f: fn(&mut Disk)| match d.disk_mut() {
            Some(disk) => {
                f(disk);
                true
            }
            None => false,
        };
        let accepted = match tf.feature {
            SF_SET_TRANSFER_MODE => match tf.nsector {
                // PIO default (00h, 01h) or PIO flow control modes 0-4.
                0x00 | 0x01 | 0x08..=0x0C => true,
                // Multiword DMA 0-2 and Ultra DMA 0-5.
                m @ (0x20..=0x22 | 0x40..=0x45) => {
                    self.dma_mode = m;
                    true
                }
                _ => false,
            },
            SF_ENABLE_WRITE_CACHE => set(self, |d| d.write_cache = true),
            SF_DISABLE_WRITE_CACHE => set(self, |d| d.write_cache = false),
            SF_ENABLE_LOOKAHEAD => set(self, |d| d.lookahead = true),
            SF_DISABLE_LOOKAHEAD => set(self, |d| d.lookahead = false),
            SF_DISABLE_REVERT | SF_ENABLE_REVERT => !packet,
            _ => false,
        };
        if accepted {
            self.ok(now);
        } else {
            self.fail(now, ERR_ABRT);
        }
    }

    fn flush_cache(&mut self, now: u64) {
        match self.flush_store() {
            Ok(()) => self.ok(now),
            Err(e) => {
                self.record(IoKind::Flush, 0, e);
                self.fail(now, ERR_ABRT);
            }
        }
    }

    // ----- packet devices -----

    fn exec_packet_device(&mut self, tf: &mut TaskFile, cmd: u8, now: u64, slave: bool) {
        match cmd {
            CMD_IDENTIFY_PACKET => {
                let data = self.identify_packet(slave);
                self.data_in(now, data, Op::Single);
            }
            CMD_PACKET => {
                let dma = tf.feature & PACKET_DMA != 0;
                // With DMA the byte count limit does not apply; the data
                // moves in chunks of this size.
                let limit = match tf.cylinder() {
                    _ if dma => ATAPI_DMA_CHUNK,
                    0 | 0xFFFF => 0xFFFE,
                    n => usize::from(n),
                };
                self.buf = vec![0; 12];
                self.pos = 0;
                self.op = Op::Packet { limit, dma };
                tf.nsector = (tf.nsector & !(IR_COD | IR_IO | 0b100)) | IR_COD;
                self.complete(now, READY | ST_DRQ, false);
            }
            CMD_DEVICE_RESET => {
                self.reset();
                tf.set_signature(true);
                self.busy = Some(Busy {
                    until: now.saturating_add(COMMAND_NS),
                    status: 0,
                    irq: false,
                });
            }
            CMD_SET_FEATURES => self.set_features(tf, now),
            CMD_STANDBY_IMMEDIATE | CMD_IDLE_IMMEDIATE | CMD_CHECK_POWER_MODE | CMD_SLEEP => {
                self.power_command(tf, cmd, now)
            }
            _ => {
                // Not a packet-device command: abort and show who we are.
                tf.set_signature(true);
                self.fail(now, ERR_ABRT);
            }
        }
    }

    /// The 12-byte packet is in: run it.
    fn run_packet(&mut self, tf: &mut TaskFile, now: u64, limit: usize, dma: bool) {
        let mut cdb = [0u8; 12];
        let n = self.buf.len().min(12);
        cdb[..n].copy_from_slice(&self.buf[..n]);
        self.buf.clear();
        self.pos = 0;
        let reply = match &mut self.media {
            Media::Cdrom(c) => scsi(c, &cdb, &self.model, &self.firmware),
            Media::Disk(_) => Reply::Check(Sense::illegal(ASC_INVALID_OPCODE)),
        };
        match reply {
            Reply::Good => self.packet_done(tf, now),
            Reply::Check(sense) => self.packet_check(tf, now, sense),
            Reply::Data(data) => {
                self.op = Op::AtapiIn {
                    source: Source::Bytes(data, 0),
                    limit,
                    dma,
                };
                self.next_chunk(tf, now);
            }
            Reply::Read { lba, count } => {
                self.power = Power::Active;
                self.op = Op::AtapiIn {
                    source: Source::Blocks {
                        next: lba,
                        left: count,
                        pending: Vec::new(),
                    },
                    limit,
                    dma,
                };
                self.next_chunk(tf, now);
            }
        }
    }

    /// Successful end of a packet command: status phase.
    fn packet_done(&mut self, tf: &mut TaskFile, now: u64) {
        if let Media::Cdrom(c) = &mut self.media {
            c.sense = Sense::NONE;
        }
        tf.nsector = (tf.nsector & !0b111) | IR_IO | IR_COD;
        self.ok(now);
    }

    /// CHECK CONDITION: the sense key goes to the error register too.
    fn packet_check(&mut self, tf: &mut TaskFile, now: u64, sense: Sense) {
        if let Media::Cdrom(c) = &mut self.media {
            c.sense = sense;
        }
        tf.nsector = (tf.nsector & !0b111) | IR_IO | IR_COD;
        let abrt = if sense.key == SK_ILLEGAL_REQUEST {
            ERR_ABRT
        } else {
            0
        };
        self.fail(now, sense.key << 4 | abrt);
    }

    /// The next DRQ chunk of an ATAPI data-in command, or the status phase
    /// when nothing is left.
    fn next_chunk(&mut self, tf: &mut TaskFile, now: u64) {
        let Op::AtapiIn { source, limit, dma } = &mut self.op else {
            return;
        };
        let dma = *dma;
        let left = source.remaining();
        if left == 0 {
            self.packet_done(tf, now);
            return;
        }
        // A chunk that is not the last one must be even.
        let n = if left <= *limit {
            left
        } else {
            (*limit & !1).max(2)
        };
        let chunk = match source {
            Source::Bytes(v, sent) => {
                let c = v[*sent..*sent + n].to_vec();
                *sent += n;
                Ok(c)
            }
            Source::Blocks {
                next,
                left,
                pending,
            } => {
                let medium = match &mut self.media {
                    Media::Cdrom(c) if c.present() => c.medium.as_mut(),
                    _ => None,
                };
                fill_pending(medium, next, left, pending, n).map(|()| {
                    let rest = pending.split_off(n);
                    std::mem::replace(pending, rest)
                })
            }
        };
        match chunk {
            Ok(data) => {
                tf.set_cylinder(n as u16);
                tf.nsector = (tf.nsector & !0b111) | IR_IO;
                self.buf = data;
                self.pos = 0;
                // A DMA data phase interrupts only at its end.
                self.complete(now, READY | ST_DRQ, !dma);
            }
            Err((sector, e)) => {
                let sense = match e {
                    None => Sense::new(SK_NOT_READY, ASC_NO_MEDIUM, 0x01),
                    Some(e) => {
                        self.record(IoKind::Read, sector, e);
                        Sense::new(SK_MEDIUM_ERROR, ASC_READ_ERROR, 0)
                    }
                };
                self.packet_check(tf, now, sense);
            }
        }
    }

    // ----- data port -----

    fn data_in_done(&mut self, tf: &mut TaskFile, now: u64) {
        match std::mem::replace(&mut self.op, Op::None) {
            Op::Read {
                next,
                remaining,
                block,
                mode,
            } if remaining > 0 => self.read_block(tf, now, next, remaining, block, mode),
            op @ Op::AtapiIn { .. } => {
                self.op = op;
                self.next_chunk(tf, now);
            }
            _ => {
                self.buf.clear();
                self.pos = 0;
                self.status = READY;
            }
        }
    }

    fn data_out_done(&mut self, tf: &mut TaskFile, now: u64) {
        match std::mem::replace(&mut self.op, Op::None) {
            Op::Write {
                lba,
                remaining,
                block,
                mode,
            } => self.write_block(tf, now, lba, remaining, block, mode),
            Op::Packet { limit, dma } => self.run_packet(tf, now, limit, dma),
            _ => {}
        }
    }

    // ----- IDENTIFY -----

    fn identify_common(&self, w: &mut [u16; 256], slave: bool) {
        put_string(&mut w[10..20], self.serial.as_deref().unwrap_or(""));
        put_string(&mut w[23..27], &self.firmware);
        put_string(&mut w[27..47], &self.model);
        w[49] = CAP_LBA | CAP_IORDY;
        w[50] = WORD_VALID;
        w[51] = 0x0200; // PIO mode 2 timing (obsolete word)
        w[64] = 0x0003; // PIO modes 3 and 4
        w[67] = 120; // minimum PIO cycle times, ns
        w[68] = 120;
        w[80] = 0x007E; // ATA/ATAPI-1 to -6
        w[84] = WORD_VALID;
        w[87] = WORD_VALID;
        // Hardware reset result: device number by jumper, diagnostics
        // passed.
        w[93] = WORD_VALID | if slave { 0x0B00 } else { 0x000B };
    }

    /// Words 49, 53, 63, 65, 66 and 88: the DMA modes supported and the
    /// one selected (high byte).
    fn identify_dma(&self, w: &mut [u16; 256]) {
        w[49] |= CAP_DMA;
        w[53] |= 0b100; // word 88 valid
        w[63] = MWDMA_SUPPORTED;
        w[65] = 120; // minimum and recommended multiword DMA cycle, ns
        w[66] = 120;
        w[88] = UDMA_SUPPORTED;
        match self.dma_mode {
            m @ XFER_MWDMA..=0x22 => w[63] |= 0x100 << (m - XFER_MWDMA),
            m @ XFER_UDMA..=0x45 => w[88] |= 0x100 << (m - XFER_UDMA),
            _ => {}
        }
    }

    fn identify_disk(&self, slave: bool) -> Vec<u8> {
        let mut w = [0u16; 256];
        let Some(d) = self.disk_ref() else {
            return Vec::new();
        };
        w[0] = 0x0040; // fixed device
        w[1] = d.default.cylinders;
        w[3] = u16::from(d.default.heads);
        // ATA-1 words 4 and 5 (retired since ATA-4 but still filled by
        // drives and emulators): unformatted bytes per track and per
        // sector. The Bochs BIOS sizes every PIO block from word 5, so a
        // zero there makes it move no data and fail each read.
        w[4] = (u32::from(d.default.sectors) * ATA_SECTOR as u32).min(0xFFFF) as u16;
        w[5] = ATA_SECTOR as u16;
        w[6] = u16::from(d.default.sectors);
        w[20] = 3; // buffer type, size, ECC bytes (obsolete)
        w[21] = 512;
        w[22] = 4;
        w[47] = 0x8000 | u16::from(MAX_MULTIPLE);
        // ATA-1 word 48: doubleword I/O. The data port takes 32-bit
        // accesses (the Bochs BIOS then reads with INSD).
        w[48] = 1;
        self.identify_common(&mut w, slave);
        w[53] = 0b011; // words 54-58 and 64-70 valid
        let cur = d.current;
        w[54] = cur.cylinders;
        w[55] = u16::from(cur.heads);
        w[56] = u16::from(cur.sectors);
        let cur_cap = cur.capacity().min(u64::from(u32::MAX)) as u32;
        w[57] = cur_cap as u16;
        w[58] = (cur_cap >> 16) as u16;
        w[59] = if d.multiple > 0 {
            0x0100 | u16::from(d.multiple)
        } else {
            0
        };
        self.identify_dma(&mut w);
        let lba28 = d.sectors.min(0x0FFF_FFFF) as u32;
        w[60] = lba28 as u16;
        w[61] = (lba28 >> 16) as u16;
        let supported = CS_POWER_MANAGEMENT | CS_WRITE_CACHE | CS_LOOKAHEAD;
        w[82] = supported;
        w[83] = WORD_VALID | CS_LBA48 | CS_FLUSH | CS_FLUSH_EXT;
        w[85] = CS_POWER_MANAGEMENT
            | if d.write_cache { CS_WRITE_CACHE } else { 0 }
            | if d.lookahead { CS_LOOKAHEAD } else { 0 };
        w[86] = CS_LBA48 | CS_FLUSH | CS_FLUSH_EXT;
        let lba48 = d.sectors.min(0xFFFF_FFFF_FFFF);
        for (i, word) in w[100..104].iter_mut().enumerate() {
            *word = (lba48 >> (16 * i)) as u16;
        }
        words_to_bytes(&mut w)
    }

    fn identify_packet(&self, slave: bool) -> Vec<u8> {
        let mut w = [0u16; 256];
        // ATAPI, CD-ROM, removable, DRQ within 50 us, 12-byte packets.
        w[0] = 0x8000 | 0x0500 | 0x0080 | 0x0040;
        self.identify_common(&mut w, slave);
        w[53] = 0b010; // words 64-70 valid
        self.identify_dma(&mut w);
        w[82] = CS_DEVICE_RESET | CS_PACKET | CS_POWER_MANAGEMENT;
        w[83] = WORD_VALID;
        w[85] = w[82];
        words_to_bytes(&mut w)
    }
}

/// Reads blocks of the medium into `pending` until it holds `n` bytes.
/// Errors carry the failing block and the store's error (`None`: no disc).
fn fill_pending(
    medium: Option<&mut Box<dyn BlockStore + Send>>,
    next: &mut u64,
    left: &mut u32,
    pending: &mut Vec<u8>,
    n: usize,
) -> Result<(), (u64, Option<BlockError>)> {
    if pending.len() >= n {
        return Ok(());
    }
    let Some(medium) = medium else {
        return Err((*next, None));
    };
    let blocks = (n - pending.len()).div_ceil(CD_BLOCK).min(*left as usize);
    let start = pending.len();
    pending.resize(start + blocks * CD_BLOCK, 0);
    medium
        .read_at(*next * CD_BLOCK as u64, &mut pending[start..])
        .map_err(|e| (*next, Some(e)))?;
    *next += blocks as u64;
    *left -= blocks as u32;
    Ok(())
}

/// An ATA string: two characters a word, the first in the high byte,
/// padded with spaces; anything but printable ASCII becomes a space.
fn put_string(words: &mut [u16], s: &str) {
    let mut bytes = s
        .bytes()
        .map(|b| if (0x20..0x7F).contains(&b) { b } else { b' ' })
        .chain(std::iter::repeat(b' '));
    for w in words {
        let hi = bytes.next().unwrap_or(b' ');
        let lo = bytes.next().unwrap_or(b' ');
        *w = u16::from(hi) << 8 | u16::from(lo);
    }
}

/// The identify block as the host reads it, with the integrity word (255):
/// signature A5h and a checksum that makes all 512 bytes sum to zero.
fn words_to_bytes(w: &mut [u16; 256]) -> Vec<u8> {
    w[255] = 0x00A5;
    let sum = w
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .fold(0u8, u8::wrapping_add);
    w[255] |= u16::from(sum.wrapping_neg()) << 8;
    w.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// `data` cut to the allocation length.
fn reply(mut data: Vec<u8>, alloc: usize) -> Reply {
    data.truncate(alloc);
    if data.is_empty() {
        Reply::Good
    } else {
        Reply::Data(data)
    }
}

/// Runs one packet command on a CD-ROM drive.
fn scsi(c: &mut Cdrom, cdb: &[u8; 12], model: &str, firmware: &str) -> Reply {
    let op = cdb[0];
    let exempt = matches!(
        op,
        SCSI_INQUIRY | SCSI_REQUEST_SENSE | SCSI_GET_CONFIGURATION | SCSI_GET_EVENT_STATUS
    );
    if c.unit_attention && !exempt {
        c.unit_attention = false;
        return Reply::Check(Sense::new(SK_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0));
    }
    let needs_medium = matches!(
        op,
        SCSI_TEST_UNIT_READY
            | SCSI_READ_CAPACITY
            | SCSI_READ_10
            | SCSI_READ_12
            | SCSI_SEEK_10
            | SCSI_READ_TOC
    );
    if needs_medium {
        if let Some(sense) = c.not_ready() {
            return Reply::Check(sense);
        }
    }
    match op {
        SCSI_TEST_UNIT_READY | SCSI_SET_CD_SPEED => Reply::Good,
        SCSI_REQUEST_SENSE => request_sense(c, usize::from(cdb[4])),
        SCSI_INQUIRY => inquiry(cdb, model, firmware),
        SCSI_READ_CAPACITY => {
            let last = c.capacity().saturating_sub(1).min(u64::from(u32::MAX)) as u32;
            let mut d = last.to_be_bytes().to_vec();
            d.extend_from_slice(&(CD_BLOCK as u32).to_be_bytes());
            Reply::Data(d)
        }
        SCSI_READ_10 | SCSI_READ_12 => {
            let lba = u64::from(be32(&cdb[2..6]));
            let count = if op == SCSI_READ_10 {
                u32::from(be16(&cdb[7..9]))
            } else {
                be32(&cdb[6..10])
            };
            if lba + u64::from(count) > c.capacity() {
                return Reply::Check(Sense::illegal(ASC_LBA_OUT_OF_RANGE));
            }
            Reply::Read { lba, count }
        }
        SCSI_SEEK_10 => {
            if u64::from(be32(&cdb[2..6])) >= c.capacity() {
                Reply::Check(Sense::illegal(ASC_LBA_OUT_OF_RANGE))
            } else {
                Reply::Good
            }
        }
        SCSI_READ_TOC => read_toc(c, cdb),
        SCSI_MODE_SENSE_10 => mode_sense(c, cdb),
        SCSI_START_STOP_UNIT => start_stop(c, cdb[4]),
        SCSI_PREVENT_ALLOW => {
            c.locked = cdb[4] & 1 != 0;
            Reply::Good
        }
        SCSI_GET_CONFIGURATION => get_configuration(c, cdb),
        SCSI_GET_EVENT_STATUS => event_status(c, cdb),
        _ => Reply::Check(Sense::illegal(ASC_INVALID_OPCODE)),
    }
}

fn request_sense(c: &mut Cdrom, alloc: usize) -> Reply {
    let sense = if c.unit_attention {
        c.unit_attention = false;
        Sense::new(SK_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0)
    } else if c.sense.key != SK_NO_SENSE {
        std::mem::replace(&mut c.sense, Sense::NONE)
    } else {
        c.not_ready().unwrap_or(Sense::NONE)
    };
    let mut d = vec![0u8; 18];
    d[0] = 0x70; // current error, fixed format
    d[2] = sense.key;
    d[7] = 10; // additional sense length
    d[12] = sense.asc;
    d[13] = sense.ascq;
    reply(d, alloc)
}

fn inquiry(cdb: &[u8; 12], model: &str, firmware: &str) -> Reply {
    if cdb[1] & 1 != 0 {
        return Reply::Check(Sense::illegal(ASC_INVALID_FIELD)); // no VPD pages
    }
    let alloc = usize::from(be16(&cdb[3..5]));
    let mut d = vec![0u8; 36];
    d[0] = 0x05; // CD/DVD device
    d[1] = 0x80; // removable
    d[2] = 0x00;
    d[3] = 0x21; // ATAPI version 2, response data format 1
    d[4] = 31; // additional length
    let field = |s: &str, len: usize| {
        s.bytes()
            .map(|b| if (0x20..0x7F).contains(&b) { b } else { b' ' })
            .chain(std::iter::repeat(b' '))
            .take(len)
            .collect::<Vec<u8>>()
    };
    d[8..16].copy_from_slice(&field("OXBOX", 8));
    let product = model.strip_prefix("OXBOX ").unwrap_or(model);
    d[16..32].copy_from_slice(&field(product, 16));
    d[32..36].copy_from_slice(&field(firmware, 4));
    reply(d, alloc)
}

/// A CD address as READ TOC gives it: LBA, or MSF counting the 2-second
/// pregap.
fn toc_address(lba: u64, msf: bool) -> [u8; 4] {
    if msf {
        let f = lba + 150;
        [
            0,
            (f / 4500).min(255) as u8,
            (f / 75 % 60) as u8,
            (f % 75) as u8,
        ]
    } else {
        (lba.min(u64::from(u32::MAX)) as u32).to_be_bytes()
    }
}

fn read_toc(c: &Cdrom, cdb: &[u8; 12]) -> Reply {
    let msf = cdb[1] & 0x02 != 0;
    let mut format = cdb[2] & 0x0F;
    if format == 0 {
        format = cdb[9] >> 6; // the SFF-8020 place for it
    }
    let track = cdb[6];
    let alloc = usize::from(be16(&cdb[7..9]));
    let mut d = vec![0, 0, 1, 1];
    match format {
        0 => {
            if track > 1 && track != 0xAA {
                return Reply::Check(Sense::illegal(ASC_INVALID_FIELD));
            }
            if track <= 1 {
                d.extend_from_slice(&[0, 0x14, 1, 0]);
                d.extend_from_slice(&toc_address(0, msf));
            }
            d.extend_from_slice(&[0, 0x14, 0xAA, 0]);
            d.extend_from_slice(&toc_address(c.capacity(), msf));
        }
        1 => {
            // Multi-session information: one session, starting at track 1.
            d.extend_from_slice(&[0, 0x14, 1, 0]);
            d.extend_from_slice(&toc_address(0, msf));
        }
        _ => return Reply::Check(Sense::illegal(ASC_INVALID_FIELD)),
    }
    let len = (d.len() - 2) as u16;
    d[0..2].copy_from_slice(&len.to_be_bytes());
    reply(d, alloc)
}

fn mode_sense(c: &Cdrom, cdb: &[u8; 12]) -> Reply {
    let pc = cdb[2] >> 6;
    let page = cdb[2] & 0x3F;
    let alloc = usize::from(be16(&cdb[7..9]));
    if pc == 3 {
        return Reply::Check(Sense::illegal(ASC_SAVING_NOT_SUPPORTED));
    }
    let recovery = vec![0x01, 0x06, 0x00, 0x05, 0, 0, 0, 0];
    let speed = 706u16.to_be_bytes(); // 4x, in kB/s
    let mut caps = vec![
        0x2A,
        0x12,
        0x00, // reads CD-ROM only
        0x00, // writes nothing
        0x00,
        0x00,
        0x29 | if c.locked { 0x02 } else { 0 }, // tray, eject, lock
        0x00,
    ];
    caps.extend_from_slice(&speed); // maximum read speed
    caps.extend_from_slice(&[0, 0]); // volume levels
    caps.extend_from_slice(&512u16.to_be_bytes()); // buffer, KiB
    caps.extend_from_slice(&speed); // current read speed
    caps.extend_from_slice(&[0; 4]); // write speeds
    let mut pages = match page {
        0x01 => recovery,
        0x2A => caps,
        0x3F => [recovery, caps].concat(),
        _ => return Reply::Check(Sense::illegal(ASC_INVALID_FIELD)),
    };
    if pc == 1 {
        // Changeable values: nothing is.
        let mut i = 0;
        while i + 1 < pages.len() {
            let len = usize::from(pages[i + 1]);
            let end = (i + 2 + len).min(pages.len());
            pages[i + 2..end].fill(0);
            i = end;
        }
    }
    let medium_type = match (c.medium.is_some(), c.tray_open) {
        (_, true) => 0x71,
        (true, false) => 0x01,
        (false, false) => 0x70,
    };
    let mut d = vec![0, 0, medium_type, 0, 0, 0, 0, 0];
    d.extend_from_slice(&pages);
    let len = (d.len() - 2) as u16;
    d[0..2].copy_from_slice(&len.to_be_bytes());
    reply(d, alloc)
}

fn start_stop(c: &mut Cdrom, flags: u8) -> Reply {
    let (start, load_eject) = (flags & 1 != 0, flags & 2 != 0);
    if !load_eject {
        return Reply::Good;
    }
    if !start {
        if c.locked {
            return Reply::Check(Sense::new(SK_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 0x02));
        }
        if !c.tray_open {
            c.tray_open = true;
            if c.medium.is_some() {
                c.media_event = MEDIA_REMOVAL;
            }
        }
    } else if c.tray_open {
        c.tray_open = false;
        if c.medium.is_some() {
            c.unit_attention = true;
            c.media_event = MEDIA_NEW;
        }
    }
    Reply::Good
}

fn get_configuration(c: &Cdrom, cdb: &[u8; 12]) -> Reply {
    let rt = cdb[1] & 0b11;
    let start = be16(&cdb[2..4]);
    let alloc = usize::from(be16(&cdb[7..9]));
    if rt == 3 {
        return Reply::Check(Sense::illegal(ASC_INVALID_FIELD));
    }
    let present = c.present();
    let [p0, p1] = PROFILE_CD_ROM.to_be_bytes();
    // (code, current, descriptor)
    let features: [(u16, bool, Vec<u8>); 5] = [
        (
            0x0000,
            true,
            vec![0, 0, 0x03, 4, p0, p1, u8::from(present), 0],
        ),
        (0x0001, true, vec![0, 1, 0x03, 4, 0, 0, 0, 2]), // Core: ATAPI
        (0x0002, true, vec![0, 2, 0x07, 4, 0x02, 0, 0, 0]), // Morphing: OCEvent
        (0x0003, true, vec![0, 3, 0x03, 4, 0x29, 0, 0, 0]), // Removable Medium
        (
            0x0010,
            present,
            vec![0, 0x10, u8::from(present), 8, 0, 0, 0x08, 0, 0, 1, 0, 0],
        ), // Random Readable
    ];
    let profile = if present { PROFILE_CD_ROM } else { 0 };
    let mut d = vec![0, 0, 0, 0, 0, 0];
    d.extend_from_slice(&profile.to_be_bytes());
    for (code, current, desc) in &features {
        let wanted = match rt {
            0 => *code >= start,
            1 => *code >= start && *current,
            _ => *code == start,
        };
        if wanted {
            d.extend_from_slice(desc);
        }
    }
    let len = (d.len() - 4) as u32;
    d[0..4].copy_from_slice(&len.to_be_bytes());
    reply(d, alloc)
}

fn event_status(c: &mut Cdrom, cdb: &[u8; 12]) -> Reply {
    if cdb[1] & 1 == 0 {
        return Reply::Check(Sense::illegal(ASC_INVALID_FIELD)); // async mode
    }
    let alloc = usize::from(be16(&cdb[7..9]));
    let d = if cdb[4] & GESN_MEDIA != 0 {
        let event = std::mem::replace(&mut c.media_event, MEDIA_NO_CHANGE);
        let status = u8::from(c.present()) << 1 | u8::from(c.tray_open);
        vec![0, 6, 0x04, GESN_MEDIA, event, status, 0, 0]
    } else {
        // No event available in the classes asked for.
        vec![0, 2, 0x80, GESN_MEDIA]
    };
    reply(d, alloc)
}

/// A device position on the channel: its task-file copy, and the device if
/// one is attached.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Slot {
    tf: TaskFile,
    drive: Option<Drive>,
}

/// One IDE channel with its two device positions.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct IdeChannel {
    base: u16,
    ctrl: u16,
    slots: [Slot; 2],
    /// The selected device (DEV bit).
    sel: usize,
    /// Device control register.
    dctl: u8,
    srst: bool,
    irq_pending: bool,
    now: u64,
}

impl IdeChannel {
    /// A channel decoding `base`..`base + 7` and `ctrl`, with no devices.
    pub fn new(base: u16, ctrl: u16) -> Self {
        let mut tf = TaskFile {
            select: SEL_OBSOLETE,
            ..TaskFile::default()
        };
        tf.set_signature_of(None);
        IdeChannel {
            base,
            ctrl,
            slots: [Slot { tf, drive: None }, Slot { tf, drive: None }],
            sel: 0,
            dctl: 0,
            srst: false,
            irq_pending: false,
            now: 0,
        }
    }

    /// The primary channel (1F0h, 3F6h, IRQ14).
    pub fn primary() -> Self {
        Self::new(PRIMARY_BASE, PRIMARY_CTRL)
    }

    /// The secondary channel (170h, 376h, IRQ15).
    pub fn secondary() -> Self {
        Self::new(SECONDARY_BASE, SECONDARY_CTRL)
    }

    /// The command block base port.
    pub fn base(&self) -> u16 {
        self.base
    }

    /// The device control / alternate status port.
    pub fn ctrl_port(&self) -> u16 {
        self.ctrl
    }

    /// Whether `port` belongs to this channel.
    pub fn decodes(&self, port: u16) -> bool {
        port.wrapping_sub(self.base) < 8 || port == self.ctrl
    }

    /// Puts `drive` at device 1 (`slave`) or device 0, in its power-on
    /// state with the reset signature, replacing any device there.
    pub fn attach(&mut self, slave: bool, mut drive: Drive) {
        let i = usize::from(slave);
        if drive.serial.is_none() {
            let n = if self.base == SECONDARY_BASE { 3 } else { 1 } + i;
            drive.serial = Some(format!("QM0000{n}"));
        }
        let slot = &mut self.slots[i];
        slot.tf.set_signature(drive.is_cdrom());
        slot.drive = Some(drive);
    }

    /// Removes the device at a position.
    pub fn detach(&mut self, slave: bool) -> Option<Drive> {
        let slot = &mut self.slots[usize::from(slave)];
        slot.tf.set_signature_of(None);
        slot.drive.take()
    }

    /// The device at a position.
    pub fn drive(&self, slave: bool) -> Option<&Drive> {
        self.slots[usize::from(slave)].drive.as_ref()
    }

    /// The device at a position, for direct access to its store.
    pub fn drive_mut(&mut self, slave: bool) -> Option<&mut Drive> {
        self.slots[usize::from(slave)].drive.as_mut()
    }

    /// The INTRQ line: an interrupt is pending and nIEN is clear.
    pub fn irq(&self) -> bool {
        self.irq_pending && self.dctl & DC_NIEN == 0 && self.any_present()
    }

    /// Whether the selected device waits for the bus master at `now`:
    /// `Some(true)` to move data to memory (READ DMA), `Some(false)` from
    /// memory (WRITE DMA).
    pub fn dma_request(&mut self, now: u64) -> Option<bool> {
        self.sync(now);
        if self.srst {
            return None;
        }
        let d = self.slots[self.sel].drive.as_ref()?;
        if d.busy.is_some() || d.status & ST_DRQ == 0 {
            return None;
        }
        match d.op {
            Op::Dma { write, .. } => Some(!write),
            Op::AtapiIn { dma: true, .. } => Some(true),
            _ => None,
        }
    }

    /// Moves the next bytes of the selected device's READ DMA into `out`;
    /// returns how many (0 when it does not ask for DMA to memory).
    pub fn dma_read(&mut self, out: &mut [u8], now: u64) -> usize {
        if self.dma_request(now) != Some(true) {
            return 0;
        }
        let now = self.now;
        let slot = &mut self.slots[self.sel];
        match &mut slot.drive {
            Some(d) => d.dma_in(&mut slot.tf, out, now),
            None => 0,
        }
    }

    /// Gives the selected device's WRITE DMA the next bytes; returns how
    /// many it took (0 when it does not ask for DMA from memory).
    pub fn dma_write(&mut self, data: &[u8], now: u64) -> usize {
        if self.dma_request(now) != Some(false) {
            return 0;
        }
        let now = self.now;
        let slot = &mut self.slots[self.sel];
        match &mut slot.drive {
            Some(d) => d.dma_out(&mut slot.tf, data, now),
            None => 0,
        }
    }

    /// Lets pending BSY periods end at `now`.
    pub fn update(&mut self, now: u64) {
        self.sync(now);
    }

    /// When a BSY period ends (and an interrupt may be raised).
    pub fn next_deadline(&self, _now: u64) -> Option<u64> {
        if self.srst {
            return None;
        }
        self.slots
            .iter()
            .filter_map(|s| s.drive.as_ref()?.busy.map(|b| b.until))
            .min()
    }

    /// Puts a disc in the CD-ROM drive at a position, closing its tray:
    /// the next command other than INQUIRY/REQUEST SENSE/GET
    /// CONFIGURATION/GET EVENT STATUS reports UNIT ATTENTION, and the media
    /// event is "new media". A disc already there is replaced. The store
    /// comes back if there is no CD-ROM drive at that position.
    pub fn insert_media(
        &mut self,
        slave: bool,
        medium: Box<dyn BlockStore + Send>,
    ) -> Result<(), Box<dyn BlockStore + Send>> {
        match self.cdrom_mut(slave) {
            Some(c) => {
                c.medium = Some(medium);
                c.tray_open = false;
                c.unit_attention = true;
                c.media_event = MEDIA_NEW;
                Ok(())
            }
            None => Err(medium),
        }
    }

    /// Takes the disc out of the CD-ROM drive at a position (whether or not
    /// the guest locked it), leaving the tray closed and empty.
    pub fn eject_media(&mut self, slave: bool) -> Option<Box<dyn BlockStore + Send>> {
        let c = self.cdrom_mut(slave)?;
        let medium = c.medium.take()?;
        c.tray_open = false;
        c.media_event = MEDIA_REMOVAL;
        Some(medium)
    }

    /// Whether the CD-ROM drive's tray is open (the guest ejected).
    pub fn tray_open(&self, slave: bool) -> bool {
        self.cdrom(slave).is_some_and(|c| c.tray_open)
    }

    /// Whether the guest prevents medium removal.
    pub fn media_locked(&self, slave: bool) -> bool {
        self.cdrom(slave).is_some_and(|c| c.locked)
    }

    /// Whether the CD-ROM drive has a disc ready (tray closed).
    pub fn media_present(&self, slave: bool) -> bool {
        self.cdrom(slave).is_some_and(Cdrom::present)
    }

    /// Flushes every store on the channel; the first error wins.
    pub fn flush(&mut self) -> Result<(), BlockError> {
        let mut result = Ok(());
        for slot in &mut self.slots {
            if let Some(d) = &mut slot.drive {
                let r = d.flush_store();
                if result.is_ok() {
                    result = r;
                }
            }
        }
        result
    }

    /// Store accesses that failed since the last call (at most 64 are kept
    /// per device; every one is also logged).
    pub fn take_io_errors(&mut self) -> Vec<DiskIoError> {
        let mut out = Vec::new();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if let Some(d) = &mut slot.drive {
                out.extend(d.io_errors.drain(..).map(|mut e| {
                    e.slave = i == 1;
                    e
                }));
            }
        }
        out
    }

    fn cdrom(&self, slave: bool) -> Option<&Cdrom> {
        match &self.slots[usize::from(slave)].drive.as_ref()?.media {
            Media::Cdrom(c) => Some(c),
            Media::Disk(_) => None,
        }
    }

    fn cdrom_mut(&mut self, slave: bool) -> Option<&mut Cdrom> {
        match &mut self.slots[usize::from(slave)].drive.as_mut()?.media {
            Media::Cdrom(c) => Some(c),
            Media::Disk(_) => None,
        }
    }

    fn any_present(&self) -> bool {
        self.slots.iter().any(|s| s.drive.is_some())
    }

    fn sync(&mut self, now: u64) {
        self.now = self.now.max(now);
        if self.srst {
            return;
        }
        for slot in &mut self.slots {
            let Some(d) = &mut slot.drive else { continue };
            if let Some(b) = d.busy {
                if self.now >= b.until {
                    d.busy = None;
                    d.status = b.status;
                    if b.irq {
                        self.irq_pending = true;
                    }
                }
            }
        }
    }

    fn status(&self) -> u8 {
        if self.srst {
            return ST_BSY;
        }
        match &self.slots[self.sel].drive {
            Some(d) => d.visible_status(),
            None => 0,
        }
    }

    fn read_reg(&mut self, port: u16) -> u8 {
        if port == self.ctrl {
            return self.status();
        }
        let hob = self.dctl & DC_HOB != 0;
        let slot = &self.slots[self.sel];
        match port.wrapping_sub(self.base) {
            REG_ERROR_FEATURE => slot.drive.as_ref().map_or(DIAG_PASSED, |d| d.error),
            reg @ REG_NSECTOR..=REG_SELECT => slot.tf.read(reg, hob),
            REG_STATUS_COMMAND => {
                self.irq_pending = false;
                self.status()
            }
            _ => 0xFF,
        }
    }

    fn write_reg(&mut self, port: u16, v: u8) {
        if port == self.ctrl {
            self.write_control(v);
            return;
        }
        if self.srst {
            return;
        }
        match port.wrapping_sub(self.base) {
            reg @ REG_ERROR_FEATURE..=REG_SELECT => {
                for slot in &mut self.slots {
                    slot.tf.write(reg, v);
                }
                if reg == REG_SELECT {
                    self.sel = usize::from(v & SEL_DEV != 0);
                }
                self.dctl &= !DC_HOB;
            }
            REG_STATUS_COMMAND => {
                self.dctl &= !DC_HOB;
                self.command(v);
            }
            _ => {}
        }
    }

    fn write_control(&mut self, v: u8) {
        let was = self.srst;
        self.dctl = v;
        self.srst = v & DC_SRST != 0;
        if self.srst && !was {
            self.irq_pending = false;
            for slot in &mut self.slots {
                if let Some(d) = &mut slot.drive {
                    d.reset();
                }
            }
        } else if was && !self.srst {
            self.sel = 0;
            let until = self.now.saturating_add(RESET_NS);
            for slot in &mut self.slots {
                slot.tf.select = SEL_OBSOLETE;
                slot.tf
                    .set_signature_of(slot.drive.as_ref().map(Drive::is_cdrom));
                let Some(d) = &mut slot.drive else { continue };
                d.reset();
                d.status = d.reset_status();
                d.busy = Some(Busy {
                    until,
                    status: d.reset_status(),
                    irq: false,
                });
            }
        }
    }

    fn command(&mut self, cmd: u8) {
        let now = self.now;
        if cmd == CMD_EXECUTE_DIAGNOSTIC {
            self.diagnostic();
            return;
        }
        let slave = self.sel == 1;
        let slot = &mut self.slots[self.sel];
        let Some(d) = &mut slot.drive else {
            return; // nobody there to take it
        };
        if d.busy.is_some() && !(cmd == CMD_DEVICE_RESET && d.is_cdrom()) {
            return;
        }
        self.irq_pending = false;
        d.exec(&mut slot.tf, cmd, now, slave);
    }

    /// EXECUTE DEVICE DIAGNOSTIC: both devices run it whichever is
    /// selected; device 0 reports for both and raises the interrupt.
    fn diagnostic(&mut self) {
        if self.slots[self.sel]
            .drive
            .as_ref()
            .is_none_or(|d| d.busy.is_some())
        {
            return;
        }
        self.irq_pending = false;
        self.sel = 0;
        let until = self.now.saturating_add(COMMAND_NS);
        let master_present = self.slots[0].drive.is_some();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            slot.tf.select = SEL_OBSOLETE;
            slot.tf
                .set_signature_of(slot.drive.as_ref().map(Drive::is_cdrom));
            let Some(d) = &mut slot.drive else { continue };
            d.reset();
            d.busy = Some(Busy {
                until,
                status: d.reset_status(),
                irq: i == 0 || !master_present,
            });
        }
    }

    fn read_data(&mut self, size: u8) -> u32 {
        // The data register is 16 bits wide: a byte read still moves a
        // whole word off the device and returns its low half (QEMU does
        // the same; old loaders read IDENTIFY with INSB).
        let len = match size {
            0..=3 => 2,
            _ => 4,
        };
        let now = self.now;
        if self.srst {
            return 0;
        }
        let slot = &mut self.slots[self.sel];
        let Some(d) = &mut slot.drive else {
            return 0;
        };
        if d.busy.is_some() || d.status & ST_DRQ == 0 || !d.is_data_in() {
            return 0;
        }
        let mut v = 0u32;
        for i in 0..len {
            let b = d.buf.get(d.pos + i).copied().unwrap_or(0);
            v |= u32::from(b) << (8 * i);
        }
        d.pos += len;
        if d.pos >= d.buf.len() {
            d.status &= !ST_DRQ;
            d.data_in_done(&mut slot.tf, now);
        }
        if size <= 1 {
            v & 0xFF
        } else {
            v
        }
    }

    fn write_data(&mut self, size: u8, value: u32) {
        let len = match size {
            0 | 1 => 1,
            2 | 3 => 2,
            _ => 4,
        };
        let now = self.now;
        if self.srst {
            return;
        }
        let slot = &mut self.slots[self.sel];
        let Some(d) = &mut slot.drive else {
            return;
        };
        if d.busy.is_some() || d.status & ST_DRQ == 0 || !d.is_data_out() {
            return;
        }
        for i in 0..len {
            if let Some(b) = d.buf.get_mut(d.pos + i) {
                *b = (value >> (8 * i)) as u8;
            }
        }
        d.pos += len;
        if d.pos >= d.buf.len() {
            d.status &= !ST_DRQ;
            d.data_out_done(&mut slot.tf, now);
        }
    }
}

impl PortIo for IdeChannel {
    fn read(&mut self, port: u16, size: u8, now: u64) -> u32 {
        self.sync(now);
        if !self.any_present() {
            return read_bytes(port, size, |_| 0xFF);
        }
        if port == self.base + REG_DATA {
            return self.read_data(size);
        }
        read_bytes(port, size, |p| self.read_reg(p))
    }

    fn write(&mut self, port: u16, size: u8, value: u32, now: u64) {
        self.sync(now);
        if port == self.base + REG_DATA {
            self.write_data(size, value);
            return;
        }
        write_bytes(port, size, value, |p, v| self.write_reg(p, v));
    }
}

/// Both IDE channels of a PC.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Ide {
    /// 1F0h-1F7h, 3F6h, IRQ14.
    pub primary: IdeChannel,
    /// 170h-177h, 376h, IRQ15.
    pub secondary: IdeChannel,
    /// The PIIX3 bus-master engines of the two channels.
    bm: [BmChannel; 2],
    /// Where BAR4 puts the bus-master block (`None`: not decoded).
    bm_base: Option<u16>,
    /// The PCI command register's bus-master enable.
    bm_enabled: bool,
    /// Each channel's interrupt line as last seen, to catch rising edges.
    bm_line: [bool; 2],
}

impl Default for Ide {
    fn default() -> Self {
        Self::new()
    }
}

impl Ide {
    /// Every store on the controller with its position (channel * 2 +
    /// device), for snapshot files: a device read back from one holds
    /// stand-ins the machine replaces with its live stores.
    pub fn stores_mut(&mut self) -> Vec<(usize, &mut Box<dyn BlockStore + Send>)> {
        let mut out = Vec::new();
        for (c, ch) in [&mut self.primary, &mut self.secondary]
            .into_iter()
            .enumerate()
        {
            for (d, slot) in ch.slots.iter_mut().enumerate() {
                let Some(drive) = slot.drive.as_mut() else {
                    continue;
                };
                let store = match &mut drive.media {
                    Media::Disk(disk) => Some(&mut disk.store),
                    Media::Cdrom(cd) => cd.medium.as_mut(),
                };
                if let Some(st) = store {
                    out.push((c * 2 + d, st));
                }
            }
        }
        out
    }

    /// Both channels, empty.
    pub fn new() -> Self {
        Ide {
            primary: IdeChannel::primary(),
            secondary: IdeChannel::secondary(),
            bm: [BmChannel::default(), BmChannel::default()],
            bm_base: None,
            bm_enabled: false,
            bm_line: [false; 2],
        }
    }

    /// Where the bus-master block is (the IDE function's BAR4 with I/O
    /// decoding on) and whether PCI bus mastering is enabled.
    pub fn set_bus_master(&mut self, base: Option<u16>, enabled: bool) {
        self.bm_base = base.filter(|&b| b <= 0xFFF0);
        self.bm_enabled = enabled;
    }

    /// Clears the bus-master registers (a PCI reset).
    pub fn reset_bus_master(&mut self) {
        self.bm = [BmChannel::default(), BmChannel::default()];
        self.bm_base = None;
        self.bm_enabled = false;
    }

    /// The bus-master registers of channel 0 or 1.
    pub fn bus_master(&self, n: usize) -> &BmChannel {
        &self.bm[n.min(1)]
    }

    /// Runs both bus-master engines at `now`: moves whatever data the
    /// devices and the descriptor tables allow, then notes interrupts.
    pub fn run_dma(&mut self, mem: &mut dyn DmaMemory, now: u64) {
        self.sync(now);
        if self.bm_enabled {
            let mut scratch = [0u8; 4096];
            let [bm0, bm1] = &mut self.bm;
            bm0.transfer(&mut self.primary, mem, now, &mut scratch);
            bm1.transfer(&mut self.secondary, mem, now, &mut scratch);
        }
        self.latch_interrupts();
    }

    /// Brings both channels to `now` and latches new interrupts into the
    /// bus-master status registers.
    fn sync(&mut self, now: u64) {
        self.primary.sync(now);
        self.secondary.sync(now);
        self.latch_interrupts();
    }

    fn latch_interrupts(&mut self) {
        for (i, line) in [self.primary.irq(), self.secondary.irq()]
            .into_iter()
            .enumerate()
        {
            if line && !self.bm_line[i] {
                self.bm[i].interrupt();
            }
            self.bm_line[i] = line;
        }
    }

    /// The bus-master channel and register offset of `port`, if it is in
    /// the block.
    fn bm_port(&self, port: u16) -> Option<(usize, u16)> {
        let off = port.checked_sub(self.bm_base?)?;
        (off < 16).then_some((usize::from(off >= 8), off & 7))
    }

    /// Channel 0 (primary) or 1 (secondary).
    pub fn channel(&self, n: usize) -> &IdeChannel {
        if n == 0 {
            &self.primary
        } else {
            &self.secondary
        }
    }

    /// Channel 0 (primary) or 1 (secondary).
    pub fn channel_mut(&mut self, n: usize) -> &mut IdeChannel {
        if n == 0 {
            &mut self.primary
        } else {
            &mut self.secondary
        }
    }

    /// Whether a port belongs to either channel.
    pub fn decodes(&self, port: u16) -> bool {
        self.primary.decodes(port) || self.secondary.decodes(port) || self.bm_port(port).is_some()
    }

    /// IRQ14.
    pub fn irq14(&self) -> bool {
        self.primary.irq()
    }

    /// IRQ15.
    pub fn irq15(&self) -> bool {
        self.secondary.irq()
    }

    /// Both channels at `now`.
    pub fn update(&mut self, now: u64) {
        self.primary.update(now);
        self.secondary.update(now);
        self.latch_interrupts();
    }

    /// The earlier deadline of the two channels.
    pub fn next_deadline(&self, now: u64) -> Option<u64> {
        [
            self.primary.next_deadline(now),
            self.secondary.next_deadline(now),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Flushes every store; the first error wins.
    pub fn flush(&mut self) -> Result<(), BlockError> {
        let a = self.primary.flush();
        let b = self.secondary.flush();
        a.and(b)
    }
}

impl PortIo for Ide {
    fn read(&mut self, port: u16, size: u8, now: u64) -> u32 {
        // Interrupts that came due must reach the bus-master status before
        // a status read acknowledges them.
        self.sync(now);
        let v = if self.primary.decodes(port) {
            self.primary.read(port, size, now)
        } else if self.secondary.decodes(port) {
            self.secondary.read(port, size, now)
        } else if self.bm_port(port).is_some() {
            read_bytes(port, size, |p| match self.bm_port(p) {
                Some((ch, off)) => self.bm[ch].read_reg(off),
                None => 0xFF,
            })
        } else {
            read_bytes(port, size, |_| 0xFF)
        };
        self.latch_interrupts();
        v
    }

    fn write(&mut self, port: u16, size: u8, value: u32, now: u64) {
        self.sync(now);
        if self.primary.decodes(port) {
            self.primary.write(port, size, value, now);
        } else if self.secondary.decodes(port) {
            self.secondary.write(port, size, value, now);
        } else if self.bm_port(port).is_some() {
            write_bytes(port, size, value, |p, v| {
                if let Some((ch, off)) = self.bm_port(p) {
                    self.bm[ch].write_reg(off, v);
                }
            });
        }
        self.latch_interrupts();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::MemStore;
    use crate::busmaster::{
        CMD_START as BM_START, CMD_TO_MEMORY as BM_TO_MEMORY, PRD_EOT, ST_ACTIVE as BM_ACTIVE,
        ST_ERROR as BM_ERROR, ST_INTERRUPT as BM_INTERRUPT,
    };

    const B: u16 = PRIMARY_BASE;
    const C: u16 = PRIMARY_CTRL;

    /// A disk whose sector `n` starts with `n` (64-bit LE) followed by
    /// bytes `n + i`.
    fn pattern(sectors: u64) -> MemStore {
        let mut v = vec![0u8; sectors as usize * ATA_SECTOR];
        for (n, s) in v.chunks_mut(ATA_SECTOR).enumerate() {
            for (i, b) in s.iter_mut().enumerate() {
                *b = (n + i) as u8;
            }
            s[..8].copy_from_slice(&(n as u64).to_le_bytes());
        }
        MemStore(v)
    }

    /// A store of any size that reads zeros and drops writes.
    #[derive(Clone)]
    struct Sparse(u64);

    impl BlockStore for Sparse {
        fn len(&self) -> u64 {
            self.0
        }
        fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), BlockError> {
            if offset + buf.len() as u64 > self.0 {
                return Err(BlockError::OutOfRange);
            }
            buf.fill(0);
            if let Some(b) = buf.get_mut(..8) {
                b.copy_from_slice(&(offset / 512).to_le_bytes());
            }
            Ok(())
        }
        fn write_at(&mut self, _: u64, _: &[u8]) -> Result<(), BlockError> {
            Ok(())
        }
        fn flush(&mut self) -> Result<(), BlockError> {
            Ok(())
        }
        fn box_clone(&self) -> Box<dyn BlockStore + Send> {
            Box::new(self.clone())
        }
    }

    /// A store whose every access fails.
    #[derive(Clone)]
    struct Broken(u64);

    impl BlockStore for Broken {
        fn len(&self) -> u64 {
            self.0
        }
        fn read_at(&mut self, _: u64, _: &mut [u8]) -> Result<(), BlockError> {
            Err(BlockError::Io(std::io::ErrorKind::Other))
        }
        fn write_at(&mut self, _: u64, _: &[u8]) -> Result<(), BlockError> {
            Err(BlockError::ReadOnly)
        }
        fn flush(&mut self) -> Result<(), BlockError> {
            Err(BlockError::Io(std::io::ErrorKind::Other))
        }
        fn box_clone(&self) -> Box<dyn BlockStore + Send> {
            Box::new(self.clone())
        }
    }

    fn iso(blocks: usize) -> MemStore {
        let mut v = vec![0u8; blocks * CD_BLOCK];
        for (n, b) in v.chunks_mut(CD_BLOCK).enumerate() {
            b.fill(n as u8);
            b[..4].copy_from_slice(&(n as u32).to_le_bytes());
        }
        MemStore(v)
    }

    struct T {
        ch: IdeChannel,
        now: u64,
    }

    impl T {
        fn new() -> Self {
            T {
                ch: IdeChannel::primary(),
                now: 1_000,
            }
        }

        fn with_disk(sectors: u64) -> Self {
            let mut t = T::new();
            t.ch.attach(false, Drive::disk(Box::new(pattern(sectors))));
            t
        }

        fn with_cd(blocks: Option<usize>) -> Self {
            let mut t = T::new();
            let medium = blocks.map(|b| Box::new(iso(b)) as Box<dyn BlockStore + Send>);
            t.ch.attach(false, Drive::cdrom(medium));
            t
        }

        fn out(&mut self, reg: u16, v: u8) {
            self.ch.write(B + reg, 1, u32::from(v), self.now);
        }

        fn inb(&mut self, reg: u16) -> u8 {
            self.ch.read(B + reg, 1, self.now) as u8
        }

        fn status(&mut self) -> u8 {
            self.inb(REG_STATUS_COMMAND)
        }

        fn alt(&mut self) -> u8 {
            self.ch.read(C, 1, self.now) as u8
        }

        fn control(&mut self, v: u8) {
            self.ch.write(C, 1, u32::from(v), self.now);
        }

        fn cmd(&mut self, c: u8) {
            self.out(REG_STATUS_COMMAND, c);
        }

        /// Runs to the channel's deadline; the alternate status there.
        fn wait(&mut self) -> u8 {
            if let Some(d) = self.ch.next_deadline(self.now) {
                self.now = self.now.max(d);
                self.ch.update(self.now);
            }
            self.alt()
        }

        fn lba28(&mut self, lba: u32, count: u8) {
            let b = lba.to_le_bytes();
            self.out(REG_NSECTOR, count);
            self.out(REG_SECTOR, b[0]);
            self.out(REG_LCYL, b[1]);
            self.out(REG_HCYL, b[2]);
            self.out(REG_SELECT, SEL_LBA | (b[3] & 0x0F));
        }

        fn lba48(&mut self, lba: u64, count: u16) {
            let b = lba.to_le_bytes();
            let c = count.to_le_bytes();
            for (reg, hi, lo) in [
                (REG_NSECTOR, c[1], c[0]),
                (REG_SECTOR, b[3], b[0]),
                (REG_LCYL, b[4], b[1]),
                (REG_HCYL, b[5], b[2]),
            ] {
                self.out(reg, hi);
                self.out(reg, lo);
            }
            self.out(REG_SELECT, SEL_LBA);
        }

        fn read_words(&mut self, bytes: usize) -> Vec<u8> {
            let mut v = Vec::new();
            for _ in 0..bytes.div_ceil(2) {
                let w = self.ch.read(B, 2, self.now) as u16;
                v.extend_from_slice(&w.to_le_bytes());
            }
            v.truncate(bytes);
            v
        }

        fn write_words(&mut self, data: &[u8]) {
            for w in data.chunks(2) {
                let v = u16::from_le_bytes([w[0], *w.get(1).unwrap_or(&0)]);
                self.ch.write(B, 2, u32::from(v), self.now);
            }
        }

        /// A PIO data-in command: every block after its interrupt.
        fn read_blocks(&mut self, blocks: &[usize]) -> Vec<u8> {
            let mut out = Vec::new();
            for &sectors in blocks {
                assert_eq!(self.wait() & (ST_BSY | ST_DRQ | ST_ERR), ST_DRQ);
                assert!(self.ch.irq(), "interrupt for each block");
                assert_eq!(self.status() & ST_DRQ, ST_DRQ);
                assert!(!self.ch.irq(), "status read acknowledges");
                out.extend(self.read_words(sectors * ATA_SECTOR));
            }
            out
        }

        fn identify(&mut self, cmd: u8) -> [u16; 256] {
            self.cmd(cmd);
            let bytes = self.read_blocks(&[1]);
            let mut w = [0u16; 256];
            for (i, c) in bytes.chunks(2).enumerate() {
                w[i] = u16::from_le_bytes([c[0], c[1]]);
            }
            w
        }

        /// Sends a packet; the data it returns or (status, error).
        fn packet(&mut self, cdb: &[u8], limit: u16) -> Result<Vec<u8>, (u8, u8)> {
            self.out(REG_ERROR_FEATURE, 0);
            self.out(REG_LCYL, limit as u8);
            self.out(REG_HCYL, (limit >> 8) as u8);
            self.cmd(CMD_PACKET);
            assert_eq!(self.alt(), ST_BSY);
            assert_eq!(self.wait() & (ST_BSY | ST_DRQ), ST_DRQ);
            assert!(!self.ch.irq(), "no interrupt before the packet");
            assert_eq!(self.inb(REG_NSECTOR) & 3, IR_COD);
            let mut p = [0u8; 12];
            p[..cdb.len()].copy_from_slice(cdb);
            self.write_words(&p);
            let mut data = Vec::new();
            loop {
                let st = self.wait();
                assert_eq!(st & ST_BSY, 0);
                assert!(self.ch.irq());
                self.status();
                if st & ST_DRQ == 0 {
                    assert_eq!(self.inb(REG_NSECTOR) & 3, IR_IO | IR_COD);
                    if st & ST_ERR != 0 {
                        return Err((st, self.inb(REG_ERROR_FEATURE)));
                    }
                    return Ok(data);
                }
                assert_eq!(self.inb(REG_NSECTOR) & 3, IR_IO);
                let n = usize::from(u16::from_le_bytes([self.inb(REG_LCYL), self.inb(REG_HCYL)]));
                assert!(n <= usize::from(limit.max(1)) || limit == 0);
                data.extend(self.read_words(n));
            }
        }

        /// REQUEST SENSE: (key, asc, ascq).
        fn sense(&mut self) -> (u8, u8, u8) {
            let d = self
                .packet(&[SCSI_REQUEST_SENSE, 0, 0, 0, 18], 18)
                .unwrap_or_default();
            assert_eq!(d.len(), 18);
            assert_eq!(d[0], 0x70);
            (d[2] & 0x0F, d[12], d[13])
        }
    }

    /// Characters of an ATA string field.
    fn ata_string(w: &[u16]) -> String {
        w.iter()
            .flat_map(|x| x.to_be_bytes())
            .map(char::from)
            .collect::<String>()
            .trim_end()
            .to_string()
    }

    #[test]
    fn power_on_state_and_signatures() {
        let mut t = T::with_disk(100);
        t.ch.attach(true, Drive::cdrom(None));
        assert_eq!(t.status(), READY);
        assert_eq!(t.inb(REG_ERROR_FEATURE), DIAG_PASSED);
        let sig = |t: &mut T| [2, 3, 4, 5].map(|r| t.inb(r));
        assert_eq!(sig(&mut t), [1, 1, 0x00, 0x00]);
        assert_eq!(t.inb(REG_SELECT), 0xA0);
        t.out(REG_SELECT, SEL_DEV);
        assert_eq!(t.inb(REG_SELECT), 0xB0, "obsolete bits read as ones");
        assert_eq!(t.status(), 0x00, "packet devices start without DRDY");
        assert_eq!(sig(&mut t), [1, 1, 0x14, 0xEB]);
        assert!(!t.ch.irq());
        assert_eq!(t.ch.next_deadline(t.now), None);

        // A channel with nothing on it floats.
        let mut empty = T::new();
        assert_eq!(empty.status(), 0xFF);
        assert_eq!(empty.alt(), 0xFF);
        assert_eq!(empty.inb(REG_LCYL), 0xFF);
        assert_eq!(empty.ch.read(B, 2, 0), 0xFFFF);
        empty.cmd(CMD_IDENTIFY);
        assert_eq!(empty.ch.next_deadline(0), None);
    }

    #[test]
    fn absent_slave_reads_status_zero_and_ignores_commands() {
        let mut t = T::with_disk(100);
        t.out(REG_SELECT, SEL_DEV);
        assert_eq!(t.status(), 0);
        assert_eq!(t.alt(), 0);
        // SeaBIOS's presence check: the registers hold what was written.
        t.out(REG_NSECTOR, 0x55);
        t.out(REG_SECTOR, 0xAA);
        assert_eq!((t.inb(REG_NSECTOR), t.inb(REG_SECTOR)), (0x55, 0xAA));
        t.cmd(CMD_IDENTIFY);
        assert_eq!(t.alt(), 0);
        assert_eq!(t.ch.next_deadline(t.now), None);
        assert!(!t.ch.irq());
        // After a reset the empty position has no valid signature.
        t.control(DC_SRST);
        t.control(0);
        t.wait();
        t.out(REG_SELECT, SEL_DEV);
        assert_eq!([t.inb(REG_LCYL), t.inb(REG_HCYL)], [0xFF, 0xFF]);
        assert_eq!(t.inb(REG_ERROR_FEATURE), DIAG_PASSED);
        assert_eq!(t.status(), 0);
    }

    #[test]
    fn identify_device_block() {
        let sectors = 20 * 16 * 63 + 5;
        let mut t = T::with_disk(sectors);
        t.cmd(CMD_IDENTIFY);
        assert_eq!(t.alt(), ST_BSY, "busy at once");
        assert_eq!(t.ch.next_deadline(t.now), Some(t.now + COMMAND_NS));
        let w = t.identify_words_after_command();
        assert_eq!(w[0], 0x0040);
        assert_eq!((w[1], w[3], w[6]), (20, 16, 63));
        assert_eq!(ata_string(&w[10..20]), "QM00001");
        assert_eq!(ata_string(&w[23..27]), FIRMWARE);
        assert_eq!(ata_string(&w[27..47]), "OXBOX HARDDISK");
        assert_eq!(w[47], 0x8000 | u16::from(MAX_MULTIPLE));
        // ATA-1: unformatted bytes per track (63 x 512) and per sector;
        // doubleword I/O supported.
        assert_eq!((w[4], w[5], w[48]), (32256, 512, 1));
        assert_eq!(w[49] & CAP_LBA, CAP_LBA);
        assert_eq!(w[49] & CAP_DMA, CAP_DMA);
        assert_eq!(w[53] & 0b111, 0b111);
        assert_eq!((w[54], w[55], w[56]), (20, 16, 63));
        assert_eq!(u32::from(w[57]) | u32::from(w[58]) << 16, 20 * 16 * 63);
        assert_eq!(w[59], 0, "multiple mode off");
        assert_eq!(u32::from(w[60]) | u32::from(w[61]) << 16, sectors as u32);
        assert_eq!((w[63], w[64], w[88]), (0x0007, 0x0003, 0x003F));
        assert_eq!(w[80] & (1 << 6), 1 << 6, "ATA/ATAPI-6");
        assert_eq!(w[83], 0x7400, "LBA48, FLUSH CACHE (EXT)");
        assert_eq!(w[86] & CS_LBA48, CS_LBA48);
        assert_eq!(w[85] & CS_WRITE_CACHE, CS_WRITE_CACHE);
        let lba48 = (0..4).fold(0u64, |a, i| a | u64::from(w[100 + i]) << (16 * i));
        assert_eq!(lba48, sectors);
        assert_eq!(w[255] & 0xFF, 0xA5);
        let sum = w
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .fold(0u8, u8::wrapping_add);
        assert_eq!(sum, 0, "integrity word");
        // The block is done: DRQ drops, no further interrupt.
        assert_eq!(t.alt(), READY);
        assert!(!t.ch.irq());
        assert_eq!(t.ch.read(B, 2, t.now), 0, "no data without DRQ");
    }

    impl T {
        fn identify_words_after_command(&mut self) -> [u16; 256] {
            let bytes = self.read_blocks(&[1]);
            let mut w = [0u16; 256];
            for (i, c) in bytes.chunks(2).enumerate() {
                w[i] = u16::from_le_bytes([c[0], c[1]]);
            }
            w
        }
    }

    #[test]
    fn identify_of_a_huge_disk_caps_lba28_and_chs() {
        let sectors = (1u64 << 30) + 7; // 512 GiB
        let mut t = T::new();
        t.ch.attach(
            false,
            Drive::disk(Box::new(Sparse(sectors * 512)))
                .with_model("Big Disk")
                .with_serial("SN-42"),
        );
        let w = t.identify(CMD_IDENTIFY);
        assert_eq!((w[1], w[3], w[6]), (16383, 16, 63));
        assert_eq!((w[60], w[61]), (0xFFFF, 0x0FFF));
        let lba48 = (0..4).fold(0u64, |a, i| a | u64::from(w[100 + i]) << (16 * i));
        assert_eq!(lba48, sectors);
        assert_eq!(ata_string(&w[27..47]), "Big Disk");
        assert_eq!(ata_string(&w[10..20]), "SN-42");
        // Read a sector beyond 2^28 with LBA48.
        t.lba48((1 << 29) + 3, 1);
        t.cmd(CMD_READ_SECTORS_EXT);
        let d = t.read_blocks(&[1]);
        assert_eq!(d[..8], ((1u64 << 29) + 3).to_le_bytes());
    }

    #[test]
    fn read_sectors_lba28_interrupt_per_sector() {
        let mut t = T::with_disk(100);
        t.lba28(5, 3);
        t.cmd(CMD_READ_SECTORS);
        let d = t.read_blocks(&[1, 1, 1]);
        for (i, s) in d.chunks(ATA_SECTOR).enumerate() {
            assert_eq!(s[..8], (5 + i as u64).to_le_bytes());
            assert_eq!(s[100], (5 + i + 100) as u8);
        }
        assert_eq!(t.alt(), READY);
        assert!(!t.ch.irq(), "no interrupt after the last data-in block");
        // The task file points past the transfer.
        assert_eq!(t.inb(REG_NSECTOR), 0);
        assert_eq!(t.inb(REG_SECTOR), 8);
        assert_eq!(t.inb(REG_SELECT), 0xE0);
    }

    /// A byte read of the data register takes a whole word (ATA's data
    /// register is 16 bits): 256 byte reads drain IDENTIFY, giving the low
    /// byte of each word.
    #[test]
    fn byte_reads_of_the_data_register_move_words() {
        let mut t = T::with_disk(8);
        t.cmd(CMD_IDENTIFY);
        t.wait();
        t.status();
        let low: Vec<u8> = (0..256).map(|_| t.inb(REG_DATA)).collect();
        assert_eq!(low[0], 0x40, "word 0 = 0040h");
        assert_eq!(low[5], 0x00, "word 5 = 0200h");
        assert_eq!(low[47], MAX_MULTIPLE, "word 47 = 8010h");
        assert_eq!(t.alt() & ST_DRQ, 0, "the block is drained");
    }

    /// The Bochs BIOS's ATA driver (rombios `ata_cmd_data_io`): interrupts
    /// masked with nIEN, the PIO block size taken from IDENTIFY word 5 and
    /// the access width from word 48, and after each block a poll until BSY
    /// clears that must see DRDY|DRQ while sectors remain and DRDY alone
    /// (no BSY, DRQ or ERR) after the last one.
    #[test]
    fn bios_style_polled_read_sized_by_identify_words_5_and_48() {
        let mut t = T::with_disk(100);
        let id = t.identify(CMD_IDENTIFY);
        t.control(DC_NIEN);
        let block_bytes = usize::from(id[5]);
        assert_eq!(block_bytes, ATA_SECTOR);
        let width: u8 = if id[48] != 0 { 4 } else { 2 };
        assert_eq!(width, 4, "dword I/O");

        t.lba28(7, 2);
        t.cmd(CMD_READ_SECTORS);
        let mut data = Vec::new();
        for left in (0..2).rev() {
            // await_ide(NOT_BSY_DRQ) / await_ide(NOT_BSY): poll 1F7h.
            t.wait();
            let st = t.status();
            assert_eq!(st & (ST_BSY | ST_DRQ), ST_DRQ);
            assert!(!t.ch.irq(), "nIEN keeps INTRQ low");
            for _ in 0..block_bytes / usize::from(width) {
                let v = t.ch.read(B, width, t.now);
                data.extend_from_slice(&v.to_le_bytes());
            }
            t.wait();
            let st = t.status() & (ST_BSY | ST_DRDY | ST_DRQ | ST_ERR);
            let want = if left > 0 { ST_DRDY | ST_DRQ } else { ST_DRDY };
            assert_eq!(st, want, "status after a block, {left} left");
        }
        assert_eq!(data.len(), 2 * ATA_SECTOR);
        assert_eq!(data[..8], 7u64.to_le_bytes());
        assert_eq!(data[ATA_SECTOR..ATA_SECTOR + 8], 8u64.to_le_bytes());
        assert_eq!(data[ATA_SECTOR + 300], (8 + 300) as u8);
    }

    #[test]
    fn read_sectors_chs_and_initialize_device_parameters() {
        let mut t = T::with_disk(4000);
        // C=0 H=1 S=1 with the default 16/63 translation is sector 63.
        t.out(REG_NSECTOR, 1);
        t.out(REG_SECTOR, 1);
        t.out(REG_LCYL, 0);
        t.out(REG_HCYL, 0);
        t.out(REG_SELECT, 1);
        t.cmd(CMD_READ_SECTORS);
        assert_eq!(t.read_blocks(&[1])[..8], 63u64.to_le_bytes());
        // Next address in CHS terms: C0 H1 S2.
        assert_eq!((t.inb(REG_SECTOR), t.inb(REG_SELECT) & 0xF), (2, 1));
        // INITIALIZE DEVICE PARAMETERS: 4 heads, 17 sectors per track.
        t.out(REG_NSECTOR, 17);
        t.out(REG_SELECT, 3);
        t.cmd(CMD_INITIALIZE_PARAMETERS);
        assert_eq!(t.wait(), READY);
        assert!(t.ch.irq());
        let w = t.identify(CMD_IDENTIFY);
        assert_eq!((w[54], w[55], w[56]), (4000 / 68, 4, 17));
        assert_eq!((w[1], w[3], w[6]), (3, 16, 63), "defaults unchanged");
        // C=1 H=2 S=3 -> (1*4+2)*17+2 = 104.
        t.out(REG_NSECTOR, 2);
        t.out(REG_SECTOR, 3);
        t.out(REG_LCYL, 1);
        t.out(REG_HCYL, 0);
        t.out(REG_SELECT, 2);
        t.cmd(CMD_READ_SECTORS);
        let d = t.read_blocks(&[1, 1]);
        assert_eq!(d[..8], 104u64.to_le_bytes());
        assert_eq!(d[512..520], 105u64.to_le_bytes());
        // Sector 0, or a head past the translation, is not a sector.
        for (s, h) in [(0, 0), (18, 0), (1, 4)] {
            t.out(REG_SECTOR, s);
            t.out(REG_SELECT, h);
            t.cmd(CMD_READ_SECTORS);
            assert_eq!(t.wait(), READY | ST_ERR);
            assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_IDNF);
        }
        // Zero sectors per track is refused.
        t.out(REG_NSECTOR, 0);
        t.cmd(CMD_INITIALIZE_PARAMETERS);
        assert_eq!(t.wait(), READY | ST_ERR);
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_ABRT);
    }

    #[test]
    fn hob_registers_and_lba48_count() {
        let mut t = T::with_disk(70_000);
        t.lba48(0x0102_0304_0506 & 0xFFFF, 0x0102);
        t.control(DC_HOB);
        assert_eq!(t.inb(REG_NSECTOR), 0x01);
        assert_eq!(t.inb(REG_SECTOR), 0x00);
        t.control(0);
        assert_eq!(t.inb(REG_NSECTOR), 0x02);
        assert_eq!(t.inb(REG_SECTOR), 0x06);
        assert_eq!(t.inb(REG_LCYL), 0x05);
        // A register write clears HOB.
        t.control(DC_HOB);
        t.out(REG_ERROR_FEATURE, 0);
        assert_eq!(t.inb(REG_NSECTOR), 0x02);
        // READ SECTORS EXT of 258 sectors: count from both halves.
        t.lba48(1000, 258);
        t.cmd(CMD_READ_SECTORS_EXT);
        let d = t.read_blocks(&[1; 258]);
        assert_eq!(d.len(), 258 * 512);
        assert_eq!(d[257 * 512..257 * 512 + 8], 1257u64.to_le_bytes());
        assert_eq!(t.inb(REG_SECTOR), (1258 & 0xFF) as u8);
        assert_eq!(t.inb(REG_LCYL), (1258 >> 8) as u8);
        // Count 0 in EXT means 65536 sectors: past this disk, IDNF at its end.
        t.lba48(69_999, 0);
        t.cmd(CMD_READ_SECTORS_EXT);
        t.read_blocks(&[1]);
        assert_eq!(t.wait(), READY | ST_ERR);
        assert!(t.ch.irq());
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_IDNF);
        t.control(DC_HOB);
        assert_eq!(t.inb(REG_SECTOR), (70_000u64 >> 24) as u8);
        t.control(0);
        let lo = [t.inb(REG_SECTOR), t.inb(REG_LCYL), t.inb(REG_HCYL)];
        assert_eq!(lo, [0x70, 0x11, 0x01], "the failing sector, 70000");
    }

    #[test]
    fn write_sectors_protocol_and_contents() {
        let mut t = T::with_disk(64);
        t.lba28(10, 2);
        t.cmd(CMD_WRITE_SECTORS);
        assert_eq!(t.alt(), ST_BSY);
        assert_eq!(t.wait(), READY | ST_DRQ);
        assert!(!t.ch.irq(), "no interrupt before the first block");
        let data: Vec<u8> = (0..1024).map(|i| (i * 7) as u8).collect();
        t.write_words(&data[..512]);
        assert_eq!(t.alt(), ST_BSY);
        assert_eq!(t.wait(), READY | ST_DRQ);
        assert!(t.ch.irq(), "interrupt for the second block");
        t.status();
        t.write_words(&data[512..]);
        assert_eq!(t.wait(), READY);
        assert!(t.ch.irq(), "interrupt at completion");
        assert_eq!(t.inb(REG_SECTOR), 12);
        let mut back = vec![0u8; 1024];
        let store = t.ch.drive_mut(false).and_then(Drive::store_mut);
        assert!(store.is_some_and(|s| s.read_at(10 * 512, &mut back).is_ok()));
        assert_eq!(back, data);
        // Read it back through the interface with 32-bit accesses.
        t.lba28(10, 2);
        t.cmd(CMD_READ_SECTORS);
        let mut got = Vec::new();
        for _ in 0..2 {
            t.wait();
            t.status();
            for _ in 0..128 {
                got.extend_from_slice(&t.ch.read(B, 4, t.now).to_le_bytes());
            }
        }
        assert_eq!(got, data);
        // Written past the end: IDNF before any data is taken.
        t.lba28(64, 1);
        t.cmd(CMD_WRITE_SECTORS);
        assert_eq!(t.wait(), READY | ST_ERR);
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_IDNF);
    }

    #[test]
    fn multiple_mode() {
        let mut t = T::with_disk(64);
        t.lba28(0, 10);
        t.cmd(CMD_READ_MULTIPLE);
        assert_eq!(t.wait(), READY | ST_ERR, "multiple mode is off");
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_ABRT);
        for bad in [3, 32] {
            t.out(REG_NSECTOR, bad);
            t.cmd(CMD_SET_MULTIPLE);
            assert_eq!(t.wait(), READY | ST_ERR);
        }
        t.out(REG_NSECTOR, 4);
        t.cmd(CMD_SET_MULTIPLE);
        assert_eq!(t.wait(), READY);
        assert_eq!(t.identify(CMD_IDENTIFY)[59], 0x0104);
        t.lba28(3, 10);
        t.cmd(CMD_READ_MULTIPLE);
        let d = t.read_blocks(&[4, 4, 2]);
        assert_eq!(d[9 * 512..9 * 512 + 8], 12u64.to_le_bytes());
        // WRITE MULTIPLE EXT: blocks of 4, 4, 1.
        t.lba48(40, 9);
        t.cmd(CMD_WRITE_MULTIPLE_EXT);
        for (i, n) in [4, 4, 1].into_iter().enumerate() {
            assert_eq!(t.wait(), READY | ST_DRQ);
            assert_eq!(t.ch.irq(), i > 0);
            t.status();
            t.write_words(&vec![0xEE; n * 512]);
        }
        assert_eq!(t.wait(), READY);
        assert!(t.ch.irq());
        t.lba28(48, 1);
        t.cmd(CMD_READ_SECTORS);
        assert_eq!(t.read_blocks(&[1]), vec![0xEE; 512]);
        t.lba28(49, 1);
        t.cmd(CMD_READ_SECTORS);
        assert_eq!(t.read_blocks(&[1])[..8], 49u64.to_le_bytes());
        // SET MULTIPLE 0 turns it off again.
        t.out(REG_NSECTOR, 0);
        t.cmd(CMD_SET_MULTIPLE);
        assert_eq!(t.wait(), READY);
        assert_eq!(t.identify(CMD_IDENTIFY)[59], 0);
    }

    #[test]
    fn read_past_the_end_stops_at_the_first_missing_sector() {
        let mut t = T::with_disk(16);
        t.lba28(15, 2);
        t.cmd(CMD_READ_SECTORS);
        assert_eq!(t.read_blocks(&[1])[..8], 15u64.to_le_bytes());
        assert_eq!(t.wait(), READY | ST_ERR);
        assert!(t.ch.irq());
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_IDNF);
        assert_eq!(t.inb(REG_SECTOR), 16);
        assert_eq!(t.ch.read(B, 2, t.now), 0, "no DRQ after an error");
        t.lba28(0x0FFF_FFFF, 1);
        t.cmd(CMD_READ_SECTORS);
        assert_eq!(t.wait(), READY | ST_ERR);
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_IDNF);
        // The next command clears the error.
        t.cmd(CMD_IDENTIFY);
        assert_eq!(t.wait(), READY | ST_DRQ);
        assert_eq!(t.inb(REG_ERROR_FEATURE), 0);
    }

    #[test]
    fn verify_seek_recalibrate() {
        let mut t = T::with_disk(32);
        t.lba28(0, 32);
        t.cmd(CMD_VERIFY);
        assert_eq!(t.wait(), READY, "no data phase");
        assert!(t.ch.irq());
        t.lba28(30, 3);
        t.cmd(CMD_VERIFY_NORETRY);
        assert_eq!(t.wait(), READY | ST_ERR);
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_IDNF);
        t.lba48(31, 1);
        t.cmd(CMD_VERIFY_EXT);
        assert_eq!(t.wait(), READY);
        t.cmd(0x10);
        assert_eq!(t.wait(), READY);
        t.lba28(31, 1);
        t.cmd(0x70);
        assert_eq!(t.wait(), READY);
        t.lba28(32, 1);
        t.cmd(0x70);
        assert_eq!(t.wait(), READY | ST_ERR);
    }

    #[test]
    fn io_errors_become_status_and_are_reported() {
        let mut t = T::new();
        t.ch.attach(true, Drive::disk(Box::new(Broken(64 * 512))));
        t.out(REG_SELECT, SEL_DEV);
        t.lba28(3, 1);
        t.out(REG_SELECT, SEL_DEV | SEL_LBA);
        t.cmd(CMD_READ_SECTORS);
        assert_eq!(t.wait(), READY | ST_ERR);
        assert!(t.ch.irq());
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_UNC);
        assert_eq!(t.inb(REG_SECTOR), 3, "the failing sector");
        t.cmd(CMD_WRITE_SECTORS);
        assert_eq!(t.wait(), READY | ST_DRQ);
        t.write_words(&[0; 512]);
        assert_eq!(t.wait(), READY | ST_ERR, "a failed write is never silent");
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_ABRT);
        t.cmd(CMD_FLUSH_CACHE);
        assert_eq!(t.wait(), READY | ST_ERR);
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_ABRT);
        let errors = t.ch.take_io_errors();
        let kinds: Vec<_> = errors.iter().map(|e| (e.slave, e.kind, e.sector)).collect();
        assert_eq!(
            kinds,
            [
                (true, IoKind::Read, 3),
                (true, IoKind::Write, 3),
                (true, IoKind::Flush, 0)
            ]
        );
        assert_eq!(errors[1].error, BlockError::ReadOnly);
        assert!(t.ch.take_io_errors().is_empty());
        assert!(t.ch.flush().is_err());
    }

    #[test]
    fn write_through_when_the_write_cache_is_off() {
        let mut t = T::new();
        t.ch.attach(false, Drive::disk(Box::new(Broken(8 * 512))));
        t.out(REG_ERROR_FEATURE, SF_DISABLE_WRITE_CACHE);
        t.cmd(CMD_SET_FEATURES);
        assert_eq!(t.wait(), READY);
        assert_eq!(t.identify(CMD_IDENTIFY)[85] & CS_WRITE_CACHE, 0);
        let mut t = T::with_disk(8);
        t.out(REG_ERROR_FEATURE, SF_DISABLE_WRITE_CACHE);
        t.cmd(CMD_SET_FEATURES);
        t.wait();
        t.lba28(1, 1);
        t.cmd(CMD_WRITE_SECTORS);
        t.wait();
        t.write_words(&[1; 512]);
        assert_eq!(t.wait(), READY);
        t.cmd(CMD_FLUSH_CACHE_EXT);
        assert_eq!(t.wait(), READY);
        assert!(t.ch.flush().is_ok());
    }

    #[test]
    fn set_features_and_power_modes() {
        let mut t = T::with_disk(8);
        let set = |t: &mut T, f: u8, n: u8| {
            t.out(REG_ERROR_FEATURE, f);
            t.out(REG_NSECTOR, n);
            t.cmd(CMD_SET_FEATURES);
            t.wait()
        };
        assert_eq!(set(&mut t, SF_SET_TRANSFER_MODE, 0x0C), READY, "PIO 4");
        assert_eq!(set(&mut t, SF_SET_TRANSFER_MODE, 0x01), READY);
        assert_eq!(set(&mut t, SF_SET_TRANSFER_MODE, 0x22), READY, "MWDMA 2");
        assert_eq!(set(&mut t, SF_SET_TRANSFER_MODE, 0x45), READY, "UDMA 5");
        assert_eq!(
            set(&mut t, SF_SET_TRANSFER_MODE, 0x10),
            READY | ST_ERR,
            "single-word DMA"
        );
        assert_eq!(set(&mut t, SF_DISABLE_LOOKAHEAD, 0), READY);
        assert_eq!(t.identify(CMD_IDENTIFY)[85] & CS_LOOKAHEAD, 0);
        assert_eq!(set(&mut t, SF_ENABLE_LOOKAHEAD, 0), READY);
        assert_eq!(set(&mut t, SF_DISABLE_REVERT, 0), READY);
        assert_eq!(set(&mut t, 0x77, 0), READY | ST_ERR);
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_ABRT);

        let power = |t: &mut T| {
            t.out(REG_NSECTOR, 0x12);
            t.cmd(CMD_CHECK_POWER_MODE);
            assert_eq!(t.wait(), READY);
            t.inb(REG_NSECTOR)
        };
        assert_eq!(power(&mut t), 0xFF);
        t.cmd(CMD_STANDBY_IMMEDIATE);
        assert_eq!(t.wait(), READY);
        assert!(t.ch.irq());
        assert_eq!(power(&mut t), 0x00);
        t.cmd(CMD_IDLE);
        t.wait();
        assert_eq!(power(&mut t), 0x80);
        t.cmd(0x96); // old STANDBY
        t.wait();
        assert_eq!(power(&mut t), 0x00);
        t.lba28(0, 1);
        t.cmd(CMD_READ_SECTORS);
        t.read_blocks(&[1]);
        assert_eq!(power(&mut t), 0xFF, "media access spins up");
        // Commands a disk does not know are aborted.
        for c in [
            0x00,
            CMD_PACKET,
            CMD_IDENTIFY_PACKET,
            CMD_DEVICE_RESET,
            0xB0,
            0xFF,
        ] {
            t.cmd(c);
            assert_eq!(t.wait(), READY | ST_ERR, "{c:#x}");
            assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_ABRT);
            assert_eq!(
                [t.inb(REG_LCYL), t.inb(REG_HCYL)],
                [0, 0],
                "no ATAPI signature"
            );
        }
    }

    #[test]
    fn soft_reset_of_both_devices() {
        let mut t = T::with_disk(8);
        t.ch.attach(true, Drive::cdrom(Some(Box::new(iso(4)))));
        t.out(REG_NSECTOR, 8);
        t.cmd(CMD_SET_MULTIPLE);
        t.wait();
        // Start a transfer and reset in the middle of it.
        t.lba28(0, 1);
        t.cmd(CMD_READ_SECTORS);
        t.wait();
        assert!(t.ch.irq());
        t.out(REG_SELECT, SEL_DEV);
        t.control(DC_SRST | DC_NIEN);
        assert_eq!(t.alt(), ST_BSY);
        assert!(!t.ch.irq(), "reset drops the interrupt");
        assert_eq!(t.ch.next_deadline(t.now), None, "BSY while SRST is set");
        t.now += 5_000;
        assert_eq!(t.alt(), ST_BSY);
        t.control(DC_NIEN);
        assert_eq!(t.alt(), ST_BSY);
        assert_eq!(t.ch.next_deadline(t.now), Some(t.now + RESET_NS));
        assert_eq!(t.wait(), READY, "device 0 is selected after reset");
        assert!(!t.ch.irq(), "no interrupt after a soft reset");
        assert_eq!(t.inb(REG_ERROR_FEATURE), DIAG_PASSED);
        assert_eq!([2, 3, 4, 5].map(|r| t.inb(r)), [1, 1, 0, 0]);
        assert_eq!(t.ch.read(B, 2, t.now), 0, "the transfer is gone");
        t.out(REG_SELECT, SEL_DEV);
        assert_eq!(t.status(), 0);
        assert_eq!([2, 3, 4, 5].map(|r| t.inb(r)), [1, 1, 0x14, 0xEB]);
        assert_eq!(t.inb(REG_ERROR_FEATURE), DIAG_PASSED);
        t.out(REG_SELECT, 0);
        t.control(0);
        assert_eq!(t.identify(CMD_IDENTIFY)[59], 0x0108, "multiple mode kept");
    }

    #[test]
    fn execute_device_diagnostic() {
        let mut t = T::with_disk(8);
        t.ch.attach(true, Drive::cdrom(None));
        t.out(REG_SELECT, SEL_DEV);
        t.out(REG_LCYL, 0x12);
        t.cmd(CMD_EXECUTE_DIAGNOSTIC);
        assert_eq!(t.alt(), ST_BSY);
        assert_eq!(t.wait(), READY, "device 0 reports");
        assert!(t.ch.irq());
        assert_eq!(t.inb(REG_ERROR_FEATURE), DIAG_PASSED);
        assert_eq!([2, 3, 4, 5].map(|r| t.inb(r)), [1, 1, 0, 0]);
        t.out(REG_SELECT, SEL_DEV);
        assert_eq!(t.status(), 0x00, "packet device: no DRDY");
        assert_eq!([4, 5].map(|r| t.inb(r)), [0x14, 0xEB]);
        assert_eq!(t.inb(REG_ERROR_FEATURE), DIAG_PASSED);
    }

    #[test]
    fn interrupt_line_nien_and_acknowledge() {
        let mut t = T::with_disk(8);
        t.control(DC_NIEN);
        t.cmd(CMD_IDENTIFY);
        t.wait();
        assert!(!t.ch.irq(), "masked by nIEN");
        t.control(0);
        assert!(t.ch.irq(), "still pending");
        t.alt();
        assert!(t.ch.irq(), "the alternate status does not acknowledge");
        t.status();
        assert!(!t.ch.irq());
        // Writing a command also clears a pending interrupt.
        t.cmd(CMD_CHECK_POWER_MODE);
        t.wait();
        assert!(t.ch.irq());
        t.cmd(CMD_CHECK_POWER_MODE);
        assert!(!t.ch.irq());
        t.wait();
        // A command written while BSY is ignored.
        t.cmd(CMD_IDENTIFY);
        t.cmd(CMD_STANDBY_IMMEDIATE);
        assert_eq!(t.wait(), READY | ST_DRQ);
    }

    #[test]
    fn polling_without_update_sees_the_outcome() {
        let mut t = T::with_disk(8);
        t.cmd(CMD_IDENTIFY);
        let until = t.now + COMMAND_NS;
        t.now = until - 1;
        assert_eq!(t.alt(), ST_BSY);
        t.now = until + 50;
        // No update(): the access itself catches up.
        assert_eq!(t.alt(), READY | ST_DRQ);
        assert!(t.ch.irq());
        assert_eq!(t.ch.next_deadline(t.now), None);
        // Time never runs backwards inside the device.
        assert_eq!(t.ch.read(C, 1, 0), u32::from(READY | ST_DRQ));
    }

    #[test]
    fn atapi_identify_and_signature_on_ata_commands() {
        let mut t = T::with_cd(None);
        t.cmd(CMD_IDENTIFY);
        assert_eq!(t.wait(), READY | ST_ERR);
        assert_eq!(t.inb(REG_ERROR_FEATURE), ERR_ABRT);
        assert_eq!([2, 3, 4, 5].map(|r| t.inb(r)), [1, 1, 0x14, 0xEB]);
        t.lba28(0, 1);
        t.cmd(CMD_READ_SECTORS);
        assert_eq!(t.wait(), READY | ST_ERR);
        assert_eq!([4, 5].map(|r| t.inb(r)), [0x14, 0xEB]);
        let w = t.identify(CMD_IDENTIFY_PACKET);
        assert_eq!(w[0], 0x85C0);
        assert_eq!(ata_string(&w[27..47]), "OXBOX DVD-ROM");
        assert_eq!(w[49] & CAP_DMA, CAP_DMA);
        assert_eq!((w[63], w[88]), (MWDMA_SUPPORTED, UDMA_SUPPORTED));
        assert_eq!(w[82] & CS_PACKET, CS_PACKET);
        let sum = w
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .fold(0u8, u8::wrapping_add);
        assert_eq!(sum, 0);
        // Power commands work on packet devices.
        t.cmd(CMD_CHECK_POWER_MODE);
        assert_eq!(t.wait(), READY);
        assert_eq!(t.inb(REG_NSECTOR), 0xFF);
    }

    #[test]
    fn atapi_read_10_in_byte_count_chunks() {
        let mut t = T::with_cd(Some(16));
        let d = t.packet(&[SCSI_READ_10, 0, 0, 0, 0, 3, 0, 0, 2], 2048);
        let d = d.unwrap_or_default();
        assert_eq!(d.len(), 2 * CD_BLOCK);
        assert_eq!(d[..4], 3u32.to_le_bytes());
        assert_eq!(d[CD_BLOCK..CD_BLOCK + 4], 4u32.to_le_bytes());
        assert_eq!(d[CD_BLOCK + 100], 4);
        assert_eq!(t.alt(), READY);
        // A limit that splits blocks, and an odd one (rounded down).
        for limit in [3000u16, 1001, 0xFFFF, 0] {
            let d = t.packet(&[SCSI_READ_10, 0, 0, 0, 0, 5, 0, 0, 3], limit);
            let d = d.unwrap_or_default();
            assert_eq!(d.len(), 3 * CD_BLOCK, "limit {limit}");
            assert_eq!(d[2 * CD_BLOCK..2 * CD_BLOCK + 4], 7u32.to_le_bytes());
        }
        // READ(12), and a zero-length read that only reports status.
        let d = t.packet(&[SCSI_READ_12, 0, 0, 0, 0, 15, 0, 0, 0, 1], 0xFFFE);
        assert_eq!(d.map(|d| d[..4].to_vec()), Ok(15u32.to_le_bytes().to_vec()));
        assert_eq!(t.packet(&[SCSI_READ_10, 0, 0, 0, 0, 1], 2048), Ok(vec![]));
        // Past the end.
        let e = t.packet(&[SCSI_READ_10, 0, 0, 0, 0, 15, 0, 0, 2], 2048);
        assert_eq!(e, Err((READY | ST_ERR, SK_ILLEGAL_REQUEST << 4 | ERR_ABRT)));
        assert_eq!(t.sense(), (SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0));
        assert_eq!(t.sense(), (SK_NO_SENSE, 0, 0), "sense is read once");
    }

    #[test]
    fn atapi_dword_reads_of_a_packet_reply() {
        let mut t = T::with_cd(Some(4));
        t.out(REG_LCYL, 0);
        t.out(REG_HCYL, 8);
        t.cmd(CMD_PACKET);
        t.wait();
        for dw in [u32::from(SCSI_READ_10), 2 << 8, 1] {
            t.ch.write(B, 4, dw, t.now);
        }
        assert_eq!(t.wait(), READY | ST_DRQ);
        let first = t.ch.read(B, 4, t.now);
        assert_eq!(first, 2);
        for _ in 1..512 {
            t.ch.read(B, 4, t.now);
        }
        assert_eq!(t.wait(), READY);
        assert_eq!(t.inb(REG_NSECTOR) & 3, IR_IO | IR_COD);
    }

    #[test]
    fn atapi_no_medium() {
        let mut t = T::with_cd(None);
        let e = t.packet(&[SCSI_TEST_UNIT_READY], 0);
        assert_eq!(e, Err((READY | ST_ERR, SK_NOT_READY << 4)));
        assert_eq!(t.sense(), (SK_NOT_READY, ASC_NO_MEDIUM, 0x01));
        // With nothing stored, REQUEST SENSE still says why it is not ready.
        assert_eq!(t.sense(), (SK_NOT_READY, ASC_NO_MEDIUM, 0x01));
        for cdb in [
            &[SCSI_READ_CAPACITY][..],
            &[SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1],
            &[SCSI_READ_TOC, 0, 0, 0, 0, 0, 0, 0, 12],
        ] {
            assert_eq!(
                t.packet(cdb, 2048),
                Err((READY | ST_ERR, SK_NOT_READY << 4))
            );
        }
        // INQUIRY works without a disc.
        let d = t
            .packet(&[SCSI_INQUIRY, 0, 0, 0, 36], 36)
            .unwrap_or_default();
        assert_eq!(d.len(), 36);
        assert_eq!((d[0], d[1]), (0x05, 0x80));
        assert_eq!(&d[8..16], b"OXBOX   ");
        assert_eq!(&d[16..32], b"DVD-ROM         ");
        let e = t.packet(&[SCSI_INQUIRY, 1, 0x80, 0, 36], 36);
        assert_eq!(e, Err((READY | ST_ERR, SK_ILLEGAL_REQUEST << 4 | ERR_ABRT)));
        // Allocation length cuts the reply; chunks follow the byte count.
        let d = t
            .packet(&[SCSI_INQUIRY, 0, 0, 0, 20], 6)
            .unwrap_or_default();
        assert_eq!(d.len(), 20);
        assert_eq!(&d[8..16], b"OXBOX   ");
    }

    #[test]
    fn atapi_media_change_and_unit_attention() {
        let mut t = T::with_cd(None);
        assert!(t.ch.insert_media(false, Box::new(iso(10))).is_ok());
        assert!(t.ch.media_present(false));
        // INQUIRY neither reports nor clears the unit attention.
        assert!(t.packet(&[SCSI_INQUIRY, 0, 0, 0, 36], 36).is_ok());
        let e = t.packet(&[SCSI_TEST_UNIT_READY], 0);
        assert_eq!(e, Err((READY | ST_ERR, SK_UNIT_ATTENTION << 4)));
        assert_eq!(t.sense(), (SK_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0));
        assert_eq!(t.packet(&[SCSI_TEST_UNIT_READY], 0), Ok(vec![]));
        // GET EVENT STATUS NOTIFICATION reports the new disc once.
        let gesn = [SCSI_GET_EVENT_STATUS, 1, 0, 0, GESN_MEDIA, 0, 0, 0, 8];
        let d = t.packet(&gesn, 8).unwrap_or_default();
        assert_eq!(d, [0, 6, 4, GESN_MEDIA, MEDIA_NEW, 0b10, 0, 0]);
        let d = t.packet(&gesn, 8).unwrap_or_default();
        assert_eq!(d[4], MEDIA_NO_CHANGE);
        // Asking for a class we do not have.
        let d = t.packet(&[SCSI_GET_EVENT_STATUS, 1, 0, 0, 0x02, 0, 0, 0, 8], 8);
        assert_eq!(d, Ok(vec![0, 2, 0x80, GESN_MEDIA]));
        let e = t.packet(&[SCSI_GET_EVENT_STATUS, 0, 0, 0, GESN_MEDIA, 0, 0, 0, 8], 8);
        assert!(e.is_err(), "asynchronous mode is not supported");
        assert_eq!(t.sense(), (SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0));
        // The host takes the disc away.
        assert!(t.ch.eject_media(false).is_some());
        assert_eq!(t.sense(), (SK_NOT_READY, ASC_NO_MEDIUM, 1));
        let d = t.packet(&gesn, 8).unwrap_or_default();
        assert_eq!(d[4..6], [MEDIA_REMOVAL, 0]);
        // Media on a disk position is refused.
        let mut d = T::with_disk(8);
        assert!(d.ch.insert_media(false, Box::new(iso(1))).is_err());
        assert!(d.ch.eject_media(false).is_none());
    }

    #[test]
    fn atapi_capacity_and_toc() {
        let mut t = T::with_cd(Some(1000));
        let d = t.packet(&[SCSI_READ_CAPACITY], 8).unwrap_or_default();
        assert_eq!(d, [0, 0, 0x03, 0xE7, 0, 0, 0x08, 0x00]);
        let toc = |t: &mut T, msf: u8, format: u8, track: u8| {
            t.packet(
                &[SCSI_READ_TOC, msf, format, 0, 0, 0, track, 0x03, 0x24],
                0xFFFE,
            )
        };
        let d = toc(&mut t, 0, 0, 0).unwrap_or_default();
        assert_eq!(
            d,
            [0, 18, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0, 0, 0x14, 0xAA, 0, 0, 0, 0x03, 0xE8]
        );
        // MSF: track 1 at 00:02:00; lead-out at 1000 + 150 = 00:15:25.
        let d = toc(&mut t, 2, 0, 1).unwrap_or_default();
        assert_eq!(d[8..12], [0, 0, 2, 0]);
        assert_eq!(d[16..20], [0, 0, 15, 25]);
        let d = toc(&mut t, 0, 0, 0xAA).unwrap_or_default();
        assert_eq!(d.len(), 12, "only the lead-out");
        assert_eq!(d[..2], [0, 10]);
        assert!(toc(&mut t, 0, 0, 2).is_err());
        // Format 1: session info.
        let d = toc(&mut t, 0, 1, 0).unwrap_or_default();
        assert_eq!(d, [0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0]);
        // Format in byte 9 (SFF-8020 style).
        let d = t.packet(&[SCSI_READ_TOC, 0, 0, 0, 0, 0, 0, 0, 12, 0x40], 12);
        assert_eq!(d.map(|d| d[1]), Ok(10));
        assert!(toc(&mut t, 0, 5, 0).is_err());
        // Allocation length 4: just the header.
        let d = t.packet(&[SCSI_READ_TOC, 0, 0, 0, 0, 0, 0, 0, 4], 4);
        assert_eq!(d, Ok(vec![0, 18, 1, 1]));
        assert_eq!(t.packet(&[SCSI_SEEK_10, 0, 0, 0, 3, 0xE7], 0), Ok(vec![]));
        assert!(t.packet(&[SCSI_SEEK_10, 0, 0, 0, 3, 0xE8], 0).is_err());
        assert_eq!(t.packet(&[SCSI_SET_CD_SPEED, 0, 0xFF, 0xFF], 0), Ok(vec![]));
    }

    #[test]
    fn atapi_mode_sense() {
        let mut t = T::with_cd(Some(4));
        let ms = |t: &mut T, page: u8| {
            t.packet(&[SCSI_MODE_SENSE_10, 0, page, 0, 0, 0, 0, 0, 0xFF], 0xFFFE)
        };
        let d = ms(&mut t, 0x2A).unwrap_or_default();
        assert_eq!(d.len(), 8 + 20);
        assert_eq!(d[..3], [0, 26, 0x01]);
        assert_eq!(d[8..10], [0x2A, 0x12]);
        assert_eq!(d[8 + 6] & 0x29, 0x29, "tray, eject, lock");
        let d = ms(&mut t, 0x01).unwrap_or_default();
        assert_eq!(d[8..], [1, 6, 0, 5, 0, 0, 0, 0]);
        let d = ms(&mut t, 0x3F).unwrap_or_default();
        assert_eq!(d.len(), 8 + 8 + 20);
        let d = ms(&mut t, 0x40 | 0x2A).unwrap_or_default();
        assert!(d[10..].iter().all(|&b| b == 0), "nothing is changeable");
        assert_eq!(d[8..10], [0x2A, 0x12]);
        assert!(ms(&mut t, 0x05).is_err());
        assert_eq!(t.sense(), (SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0));
        assert!(ms(&mut t, 0xC0 | 0x2A).is_err());
        assert_eq!(t.sense(), (SK_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED, 0));
        // MODE SENSE(6) is not an ATAPI command.
        assert!(t.packet(&[0x1A, 0, 0x2A, 0, 0xFF], 0xFF).is_err());
        assert_eq!(t.sense(), (SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0));
    }

    #[test]
    fn atapi_eject_load_and_lock() {
        let mut t = T::with_cd(Some(4));
        let start_stop = |t: &mut T, v: u8| t.packet(&[SCSI_START_STOP_UNIT, 0, 0, 0, v], 0);
        assert!(t.packet(&[SCSI_PREVENT_ALLOW, 0, 0, 0, 1], 0).is_ok());
        assert!(t.ch.media_locked(false));
        assert!(start_stop(&mut t, 0b10).is_err());
        assert_eq!(t.sense(), (SK_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 2));
        assert!(!t.ch.tray_open(false));
        assert!(t.packet(&[SCSI_PREVENT_ALLOW, 0, 0, 0, 0], 0).is_ok());
        assert_eq!(start_stop(&mut t, 0b10), Ok(vec![]));
        assert!(t.ch.tray_open(false));
        assert!(!t.ch.media_present(false));
        assert!(t.packet(&[SCSI_TEST_UNIT_READY], 0).is_err());
        assert_eq!(t.sense(), (SK_NOT_READY, ASC_NO_MEDIUM, 0x02), "tray open");
        let ms = t.packet(&[SCSI_MODE_SENSE_10, 0, 0x2A, 0, 0, 0, 0, 0, 8], 8);
        assert_eq!(ms.map(|d| d[2]), Ok(0x71), "door open");
        // Close the tray: the disc is back, with a unit attention.
        assert_eq!(start_stop(&mut t, 0b11), Ok(vec![]));
        assert!(!t.ch.tray_open(false));
        assert!(t.packet(&[SCSI_TEST_UNIT_READY], 0).is_err());
        assert_eq!(t.packet(&[SCSI_TEST_UNIT_READY], 0), Ok(vec![]));
        // Spin up/down without load/eject changes nothing.
        assert_eq!(start_stop(&mut t, 0b00), Ok(vec![]));
        assert!(t.ch.media_present(false));
    }

    #[test]
    fn atapi_get_configuration() {
        let mut t = T::with_cd(Some(4));
        let gc = |t: &mut T, rt: u8, start: u16| {
            let s = start.to_be_bytes();
            t.packet(
                &[SCSI_GET_CONFIGURATION, rt, s[0], s[1], 0, 0, 0, 1, 0],
                0xFFFE,
            )
        };
        let d = gc(&mut t, 0, 0).unwrap_or_default();
        assert_eq!(d[6..8], [0, 8], "current profile CD-ROM");
        assert_eq!(usize::from(d[3]) + 4, d.len());
        assert_eq!(d[8..16], [0, 0, 3, 4, 0, 8, 1, 0], "profile list");
        assert_eq!(d[16..24], [0, 1, 3, 4, 0, 0, 0, 2], "core, ATAPI");
        let d = gc(&mut t, 2, 0x10).unwrap_or_default();
        assert_eq!(d.len(), 8 + 12);
        assert_eq!(d[8..16], [0, 0x10, 1, 8, 0, 0, 8, 0], "random readable");
        let d = gc(&mut t, 2, 0x1F).unwrap_or_default();
        assert_eq!(d.len(), 8);
        assert!(gc(&mut t, 3, 0).is_err());
        // Without a disc: no current profile, random readable not current.
        let mut e = T::with_cd(None);
        let d = gc(&mut e, 1, 0).unwrap_or_default();
        assert_eq!(d[6..8], [0, 0]);
        assert!(d.chunks(1).len() < 8 + 8 * 4 + 12);
        let d = gc(&mut e, 0, 3).unwrap_or_default();
        assert_eq!(d[8..10], [0, 3], "starts at the removable medium feature");
    }

    #[test]
    fn atapi_read_errors_and_unknown_opcodes() {
        let mut t = T::new();
        t.ch.attach(false, Drive::cdrom(Some(Box::new(Broken(8 * 2048)))));
        let e = t.packet(&[SCSI_READ_10, 0, 0, 0, 0, 2, 0, 0, 1], 2048);
        assert_eq!(e, Err((READY | ST_ERR, SK_MEDIUM_ERROR << 4)));
        assert_eq!(t.sense(), (SK_MEDIUM_ERROR, ASC_READ_ERROR, 0));
        assert_eq!(t.ch.take_io_errors()[0].sector, 2);
        assert!(t.packet(&[0xFF], 0).is_err());
        assert_eq!(t.sense(), (SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0));
    }

    #[test]
    fn atapi_device_reset_during_a_transfer() {
        let mut t = T::with_cd(Some(8));
        t.out(REG_LCYL, 0);
        t.out(REG_HCYL, 8);
        t.cmd(CMD_PACKET);
        t.wait();
        t.write_words(&[SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0]);
        t.wait();
        t.status();
        t.read_words(100);
        t.cmd(CMD_DEVICE_RESET);
        assert_eq!(t.alt(), ST_BSY);
        assert_eq!(t.wait(), 0);
        assert!(!t.ch.irq());
        assert_eq!([4, 5].map(|r| t.inb(r)), [0x14, 0xEB]);
        assert_eq!(t.inb(REG_ERROR_FEATURE), DIAG_PASSED);
        assert_eq!(t.ch.read(B, 2, t.now), 0);
        assert_eq!(t.packet(&[SCSI_TEST_UNIT_READY], 0), Ok(vec![]));
    }

    #[test]
    fn two_channels_behind_one_port_map() {
        let mut ide = Ide::new();
        ide.primary.attach(false, Drive::disk(Box::new(pattern(8))));
        ide.secondary
            .attach(false, Drive::cdrom(Some(Box::new(iso(2)))));
        assert!(ide.decodes(0x1F7) && ide.decodes(0x3F6) && ide.decodes(0x170));
        assert!(!ide.decodes(0x3F7) && !ide.decodes(0x377) && !ide.decodes(0x1F8));
        assert_eq!(ide.read(0x3F7, 1, 0), 0xFF);
        assert_eq!(ide.read(0x1F7, 1, 0), u32::from(READY));
        assert_eq!(ide.read(0x177, 1, 0), 0);
        assert_eq!(ide.read(0x174, 2, 0), 0xEB14, "word read of LBA mid/high");
        ide.write(0x177, 1, u32::from(CMD_IDENTIFY_PACKET), 0);
        assert_eq!(ide.next_deadline(0), Some(COMMAND_NS));
        ide.update(COMMAND_NS);
        assert!(ide.irq15() && !ide.irq14());
        let w0 = ide.read(0x170, 2, COMMAND_NS);
        assert_eq!(w0, 0x85C0);
        let w = ide.channel_mut(1).read(0x170, 2, COMMAND_NS);
        assert_eq!(w, 0, "word 1");
        assert_eq!(ide.channel(1).drive(false).map(Drive::capacity), Some(2));
        assert_eq!(
            ide.channel(0).drive(false).map(Drive::geometry),
            Some(Some(Geometry::for_sectors(8)))
        );
        assert!(ide.flush().is_ok());
    }

    #[test]
    fn snapshot_continues_identically() {
        let mut t = T::with_disk(32);
        t.lba28(4, 4);
        t.cmd(CMD_READ_SECTORS);
        t.read_blocks(&[1]);
        t.wait();
        assert_eq!(t.read_words(8), 5u64.to_le_bytes());
        let mut snap = T {
            ch: t.ch.clone(),
            now: t.now,
        };
        let a = t.read_words(504);
        let b = snap.read_words(504);
        assert_eq!(a, b);
        assert_eq!(a[..2], [5 + 8, 5 + 9]);
        assert_eq!(t.read_blocks(&[1, 1]), snap.read_blocks(&[1, 1]));
        // Writes to the clone's store do not reach the original's.
        snap.lba28(0, 1);
        snap.cmd(CMD_WRITE_SECTORS);
        snap.wait();
        snap.write_words(&[0x5A; 512]);
        snap.wait();
        t.lba28(0, 1);
        t.cmd(CMD_READ_SECTORS);
        assert_eq!(t.read_blocks(&[1])[..8], 0u64.to_le_bytes());
    }

    #[test]
    fn geometry_helpers() {
        assert_eq!(
            Geometry::for_sectors(10),
            Geometry {
                cylinders: 1,
                heads: 16,
                sectors: 63
            }
        );
        assert_eq!(Geometry::for_sectors(u64::MAX).cylinders, 16383);
        let d = Drive::disk(Box::new(pattern(8))).with_geometry(Geometry {
            cylinders: 0,
            heads: 255,
            sectors: 0,
        });
        assert_eq!(
            d.geometry(),
            Some(Geometry {
                cylinders: 1,
                heads: 16,
                sectors: 1
            })
        );
        assert!(!d.is_cdrom());
        assert_eq!(Drive::cdrom(None).geometry(), None);
    }

    /// Guest RAM for the bus master: out-of-range reads give ones, writes
    /// there are dropped.
    struct Ram(Vec<u8>);

    impl DmaMemory for Ram {
        fn read(&mut self, addr: u32, buf: &mut [u8]) {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = *self.0.get(addr as usize + i).unwrap_or(&0xFF);
            }
        }
        fn write(&mut self, addr: u32, data: &[u8]) {
            for (i, &b) in data.iter().enumerate() {
                if let Some(m) = self.0.get_mut(addr as usize + i) {
                    *m = b;
                }
            }
        }
    }

    impl Ram {
        /// Writes a descriptor table at `at`: (address, byte count, last).
        fn prds(&mut self, at: usize, entries: &[(u32, u32, bool)]) {
            for (i, &(addr, count, last)) in entries.iter().enumerate() {
                let o = at + 8 * i;
                self.0[o..o + 4].copy_from_slice(&addr.to_le_bytes());
                let w = count | if last { PRD_EOT } else { 0 };
                self.0[o + 4..o + 8].copy_from_slice(&w.to_le_bytes());
            }
        }
    }

    const BM: u16 = 0xC000;

    /// Both channels with a disk as primary master and the bus-master
    /// block at C000h.
    fn dma_ide(sectors: u64) -> Ide {
        let mut ide = Ide::new();
        ide.primary
            .attach(false, Drive::disk(Box::new(pattern(sectors))));
        ide.set_bus_master(Some(BM), true);
        ide
    }

    /// What a driver does (Linux `ata_bmdma_setup`/`start`): table
    /// pointer, direction, clear Interrupt and Error, the ATA command,
    /// then Start.
    fn start_dma(ide: &mut Ide, table: u32, to_memory: bool, lba: u32, count: u8, cmd: u8) {
        let dir = if to_memory { BM_TO_MEMORY } else { 0 };
        ide.write(BM + 4, 4, table, 0);
        ide.write(BM, 1, u32::from(dir), 0);
        ide.write(BM + 2, 1, u32::from(BM_ERROR | BM_INTERRUPT), 0);
        let b = lba.to_le_bytes();
        for (reg, v) in [
            (REG_NSECTOR, count),
            (REG_SECTOR, b[0]),
            (REG_LCYL, b[1]),
            (REG_HCYL, b[2]),
            (REG_SELECT, SEL_LBA | (b[3] & 0x0F)),
            (REG_STATUS_COMMAND, cmd),
        ] {
            ide.write(B + reg, 1, u32::from(v), 0);
        }
        ide.write(BM, 1, u32::from(dir | BM_START), 0);
    }

    /// Runs the channel to its next deadline and the engine there.
    fn dma_step(ide: &mut Ide, ram: &mut Ram, now: &mut u64) {
        if let Some(t) = ide.next_deadline(*now) {
            *now = t;
        }
        ide.update(*now);
        ide.run_dma(ram, *now);
    }

    #[test]
    fn identify_reports_dma_modes_and_set_features_selects_one() {
        let mut t = T::with_disk(64);
        let w = t.identify(CMD_IDENTIFY);
        assert_eq!(w[49] & CAP_DMA, CAP_DMA);
        assert_eq!(w[53] & 0b100, 0b100, "word 88 valid");
        assert_eq!((w[63], w[88]), (0x0007, 0x003F), "nothing selected");
        assert_eq!((w[65], w[66]), (120, 120));
        for (mode, w63, w88) in [(0x22, 0x0407, 0x003F), (0x45, 0x0007, 0x203F)] {
            t.out(REG_ERROR_FEATURE, SF_SET_TRANSFER_MODE);
            t.out(REG_NSECTOR, mode);
            t.cmd(CMD_SET_FEATURES);
            assert_eq!(t.wait(), READY);
            let w = t.identify(CMD_IDENTIFY);
            assert_eq!((w[63], w[88]), (w63, w88), "mode {mode:#x}");
        }
        // Multiword DMA 3 and Ultra DMA 6 do not exist here.
        for mode in [0x23, 0x46] {
            t.out(REG_ERROR_FEATURE, SF_SET_TRANSFER_MODE);
            t.out(REG_NSECTOR, mode);
            t.cmd(CMD_SET_FEATURES);
            assert_eq!(t.wait(), READY | ST_ERR);
        }
    }

    #[test]
    fn bus_master_registers() {
        let mut ide = Ide::new();
        assert!(!ide.decodes(BM), "no block before BAR4 is set");
        ide.set_bus_master(Some(BM), true);
        assert!(ide.decodes(BM) && ide.decodes(BM + 15) && !ide.decodes(BM + 16));
        // Command: only Start and direction are bits.
        ide.write(BM, 1, 0xFF, 0);
        assert_eq!(ide.read(BM, 1, 0), 0x09);
        assert_eq!(
            ide.read(BM + 2, 1, 0),
            u32::from(BM_ACTIVE),
            "Start sets Active"
        );
        ide.write(BM, 1, 0x08, 0);
        assert_eq!(ide.read(BM + 2, 1, 0), 0, "Stop clears Active");
        // Status: the drive-capable bits are read/write, Active is not.
        ide.write(BM + 2, 1, 0xFF, 0);
        assert_eq!(ide.read(BM + 2, 1, 0), 0x60);
        // Table pointer: dword aligned, byte and dword access.
        ide.write(BM + 4, 4, 0x1234_5677, 0);
        assert_eq!(ide.read(BM + 4, 4, 0), 0x1234_5674);
        ide.write(BM + 7, 1, 0xAB, 0);
        assert_eq!(ide.read(BM + 4, 4, 0), 0xAB34_5674);
        // The secondary channel's block is separate.
        ide.write(BM + 12, 4, 0x8000, 0);
        assert_eq!(ide.bus_master(1).read_reg(4), 0x00);
        assert_eq!(ide.read(BM + 12, 2, 0), 0x8000);
        assert_eq!(ide.read(BM + 4, 4, 0), 0xAB34_5674);
        ide.set_bus_master(None, false);
        assert!(!ide.decodes(BM));
    }

    /// READ DMA of 3 sectors through two descriptors (512 bytes, then
    /// 1024 with end of table): the data lands in both regions, Active
    /// drops when the last region is used up, and Interrupt follows the
    /// device's IRQ14 after its BSY period.
    #[test]
    fn read_dma_scatter_gather_and_normal_end() {
        let mut ide = dma_ide(100);
        let mut ram = Ram(vec![0; 0x10000]);
        ram.prds(0x1000, &[(0x2000, 512, false), (0x3000, 1024, true)]);
        start_dma(&mut ide, 0x1000, true, 10, 3, CMD_READ_DMA);
        let mut now = 0;
        ide.run_dma(&mut ram, now);
        assert_eq!(
            ide.read(BM + 2, 1, now),
            u32::from(BM_ACTIVE),
            "device busy"
        );
        assert_eq!(ide.read(0x3F6, 1, now), u32::from(ST_BSY));
        dma_step(&mut ide, &mut ram, &mut now);
        assert_eq!(now, COMMAND_NS);
        assert_eq!(ide.read(BM + 2, 1, now), 0, "table used up, no IRQ yet");
        assert!(!ide.irq14());
        dma_step(&mut ide, &mut ram, &mut now);
        assert!(ide.irq14());
        assert_eq!(ide.read(BM + 2, 1, now), u32::from(BM_INTERRUPT));
        assert_eq!(ram.0[0x2000..0x2008], 10u64.to_le_bytes());
        assert_eq!(ram.0[0x2000 + 511], (10 + 511) as u8);
        assert_eq!(ram.0[0x3000..0x3008], 11u64.to_le_bytes());
        assert_eq!(ram.0[0x3200..0x3208], 12u64.to_le_bytes());
        assert_eq!(ram.0[0x3400], 0, "nothing past the table");
        // The driver stops the engine, reads the ATA status, clears
        // Interrupt.
        ide.write(BM, 1, u32::from(BM_TO_MEMORY), now);
        assert_eq!(ide.read(0x1F7, 1, now), u32::from(READY));
        assert!(!ide.irq14());
        ide.write(BM + 2, 1, u32::from(BM_INTERRUPT), now);
        assert_eq!(ide.read(BM + 2, 1, now), 0);
        // The task file points past the transfer, count 0.
        assert_eq!(ide.read(0x1F2, 1, now), 0);
        assert_eq!(ide.read(0x1F3, 1, now), 13);
    }

    /// WRITE DMA (EXT) of 2 sectors from one 4 KiB region: the device
    /// finishes first, so Active stays set with Interrupt (SFF-8038i: the
    /// table was larger than the transfer).
    #[test]
    fn write_dma_ext_with_a_larger_table() {
        let mut ide = dma_ide(64);
        let mut ram = Ram(vec![0; 0x10000]);
        ram.prds(0x800, &[(0x4000, 4096, true)]);
        for (i, b) in ram.0[0x4000..0x4400].iter_mut().enumerate() {
            *b = (i / 512) as u8 ^ 0xA5;
        }
        // LBA48 address 40, count 2.
        for (reg, v) in [
            (REG_NSECTOR, 0),
            (REG_SECTOR, 0),
            (REG_LCYL, 0),
            (REG_HCYL, 0),
        ] {
            ide.write(B + reg, 1, v, 0);
        }
        start_dma(&mut ide, 0x800, false, 40, 2, CMD_WRITE_DMA_EXT);
        let mut now = 0;
        dma_step(&mut ide, &mut ram, &mut now);
        assert_eq!(ide.read(BM + 2, 1, now), u32::from(BM_ACTIVE));
        dma_step(&mut ide, &mut ram, &mut now);
        assert_eq!(
            ide.read(BM + 2, 1, now),
            u32::from(BM_ACTIVE | BM_INTERRUPT)
        );
        assert_eq!(ide.read(0x1F7, 1, now), u32::from(READY));
        ide.write(BM, 1, 0, now);
        assert_eq!(ide.read(BM + 2, 1, now), u32::from(BM_INTERRUPT));
        // The sectors are on the disk, the next one is untouched.
        let ch = ide.channel_mut(0);
        let Some(store) = ch.drive_mut(false).and_then(Drive::store_mut) else {
            panic!("no disk");
        };
        let mut s = vec![0; 3 * ATA_SECTOR];
        assert_eq!(store.read_at(40 * ATA_SECTOR as u64, &mut s), Ok(()));
        assert!(s[..512].iter().all(|&b| b == 0xA5));
        assert!(s[512..1024].iter().all(|&b| b == 0xA4));
        assert_eq!(s[1024..1032], 42u64.to_le_bytes());
    }

    /// A table smaller than the transfer: Active drops with no interrupt
    /// and the device keeps DRQ, waiting for data that never comes.
    #[test]
    fn read_dma_with_a_short_table_stalls() {
        let mut ide = dma_ide(16);
        let mut ram = Ram(vec![0; 0x10000]);
        ram.prds(0, &[(0x2000, 512, true)]);
        start_dma(&mut ide, 0, true, 0, 2, CMD_READ_DMA);
        let mut now = 0;
        dma_step(&mut ide, &mut ram, &mut now);
        assert_eq!(ide.read(BM + 2, 1, now), 0);
        assert_eq!(ide.next_deadline(now), None);
        assert_eq!(ide.read(0x1F7, 1, now), u32::from(READY | ST_DRQ));
        assert!(!ide.irq14());
        assert_eq!(ram.0[0x2000..0x2008], 0u64.to_le_bytes());
        // PIO reads of the data port do not take DMA data.
        assert_eq!(ide.read(0x1F0, 2, now), 0);
    }

    /// A descriptor count of 0 means 64 KiB: 128 sectors in one region.
    /// The engine also waits for Start and for the PCI bus-master enable.
    #[test]
    fn zero_count_descriptor_is_64k_and_engine_needs_enable() {
        let mut ide = dma_ide(200);
        let mut ram = Ram(vec![0; 0x30000]);
        ram.prds(0x100, &[(0x10000, 0, true)]);
        ide.set_bus_master(Some(BM), false);
        start_dma(&mut ide, 0x100, true, 50, 128, CMD_READ_DMA);
        let mut now = 0;
        dma_step(&mut ide, &mut ram, &mut now);
        assert_eq!(ram.0[0x10000..0x10008], [0; 8], "bus mastering is off");
        ide.set_bus_master(Some(BM), true);
        ide.run_dma(&mut ram, now);
        assert_eq!(ram.0[0x10000..0x10008], 50u64.to_le_bytes());
        assert_eq!(ram.0[0x1FE00..0x1FE08], 177u64.to_le_bytes());
        assert_eq!(ram.0[0x20000], 0);
        assert_eq!(ide.read(BM + 2, 1, now), 0);
        dma_step(&mut ide, &mut ram, &mut now);
        assert_eq!(ide.read(BM + 2, 1, now), u32::from(BM_INTERRUPT));
    }

    /// A clone taken while a READ DMA is under way (half the table used)
    /// finishes it exactly like the original.
    #[test]
    fn dma_in_progress_is_part_of_the_snapshot() {
        let mut ide = dma_ide(64);
        let mut ram = Ram(vec![0; 0x10000]);
        ram.prds(0, &[(0x1000, 1024, true)]);
        start_dma(&mut ide, 0, true, 4, 4, CMD_READ_DMA);
        let mut now = 0;
        dma_step(&mut ide, &mut ram, &mut now);
        assert_eq!(
            ide.read(0x1F7, 1, now),
            u32::from(READY | ST_DRQ),
            "2 of 4 moved"
        );
        let mut copy = ide.clone();
        let mut copy_ram = Ram(ram.0.clone());
        for (i, r) in [(&mut ide, &mut ram), (&mut copy, &mut copy_ram)] {
            i.write(BM + 2, 1, u32::from(BM_INTERRUPT), now);
            r.prds(0x100, &[(0x2000, 1024, true)]);
            i.write(BM + 4, 4, 0x100, now);
            i.write(BM, 1, u32::from(BM_TO_MEMORY), now);
            i.write(BM, 1, u32::from(BM_TO_MEMORY | BM_START), now);
            let mut t = now;
            dma_step(i, r, &mut t);
            dma_step(i, r, &mut t);
            assert_eq!(i.read(BM + 2, 1, t), u32::from(BM_INTERRUPT));
            assert_eq!(i.read(0x1F7, 1, t), u32::from(READY));
        }
        assert_eq!(ram.0[0x2000..0x2008], 6u64.to_le_bytes());
        assert_eq!(ram.0[0x2200..0x2208], 7u64.to_le_bytes());
        assert!(ram.0 == copy_ram.0);
    }

    /// Sends a PACKET command with the DMA feature bit and its CDB on the
    /// primary master, then starts the bus master on the table at 0.
    fn atapi_dma(ide: &mut Ide, ram: &mut Ram, cdb: &[u8], now: &mut u64) {
        ide.write(BM + 4, 4, 0, *now);
        ide.write(BM, 1, u32::from(BM_TO_MEMORY), *now);
        ide.write(BM + 2, 1, u32::from(BM_ERROR | BM_INTERRUPT), *now);
        ide.write(B + REG_ERROR_FEATURE, 1, u32::from(PACKET_DMA), *now);
        ide.write(B + REG_STATUS_COMMAND, 1, u32::from(CMD_PACKET), *now);
        dma_step(ide, ram, now);
        assert_eq!(
            ide.read(0x1F7, 1, *now),
            u32::from(READY | ST_DRQ),
            "packet phase"
        );
        let mut p = [0u8; 12];
        p[..cdb.len()].copy_from_slice(cdb);
        for w in p.chunks(2) {
            ide.write(B, 2, u32::from(u16::from_le_bytes([w[0], w[1]])), *now);
        }
        ide.write(BM, 1, u32::from(BM_TO_MEMORY | BM_START), *now);
    }

    /// READ(10) and INQUIRY with a DMA data phase: the data goes through
    /// the bus master (none through the data port), one interrupt at the
    /// end, with the status phase's interrupt reason (CoD, IO).
    #[test]
    fn atapi_packet_commands_with_a_dma_data_phase() {
        let mut ide = Ide::new();
        ide.primary
            .attach(false, Drive::cdrom(Some(Box::new(iso(40)))));
        ide.set_bus_master(Some(BM), true);
        let mut ram = Ram(vec![0; 0x40000]);
        let mut now = 0;
        // Clear the power-on unit attention first (PIO).
        for _ in 0..2 {
            ide.write(B + REG_ERROR_FEATURE, 1, 0, now);
            ide.write(B + REG_STATUS_COMMAND, 1, u32::from(CMD_PACKET), now);
            dma_step(&mut ide, &mut ram, &mut now);
            for _ in 0..6 {
                ide.write(B, 2, 0, now);
            }
            dma_step(&mut ide, &mut ram, &mut now);
            ide.read(0x1F7, 1, now);
        }
        // READ(10) of 20 blocks from block 3: more than one drive chunk.
        ram.prds(0, &[(0x10000, 20 * CD_BLOCK as u32, true)]);
        atapi_dma(
            &mut ide,
            &mut ram,
            &[SCSI_READ_10, 0, 0, 0, 0, 3, 0, 0, 20],
            &mut now,
        );
        assert_eq!(ide.read(B, 2, now), 0, "no data through the port");
        let mut steps = 0;
        while !ide.irq14() {
            dma_step(&mut ide, &mut ram, &mut now);
            steps += 1;
            assert!(steps < 10, "no end of the data phase");
        }
        assert_eq!(ide.read(BM + 2, 1, now), u32::from(BM_INTERRUPT));
        assert_eq!(ide.read(0x1F2, 1, now) & 3, u32::from(IR_COD | IR_IO));
        assert_eq!(ide.read(0x1F7, 1, now), u32::from(READY));
        for (i, blk) in ram.0[0x10000..0x10000 + 20 * CD_BLOCK]
            .chunks(CD_BLOCK)
            .enumerate()
        {
            assert_eq!(blk[..4], (3 + i as u32).to_le_bytes());
        }
        assert_eq!(ram.0[0x10000 + 20 * CD_BLOCK], 0);
        // INQUIRY, 36 bytes, into an odd-sized region.
        ram.prds(0, &[(0x100, 36, true)]);
        atapi_dma(&mut ide, &mut ram, &[SCSI_INQUIRY, 0, 0, 0, 36], &mut now);
        dma_step(&mut ide, &mut ram, &mut now);
        dma_step(&mut ide, &mut ram, &mut now);
        assert!(ide.irq14());
        assert_eq!(ram.0[0x100], 0x05, "peripheral type: CD/DVD");
        assert_eq!(&ram.0[0x108..0x10D], b"OXBOX");
    }

    /// A range past the end of the disk is IDNF before any data moves.
    #[test]
    fn read_dma_past_the_end_is_idnf() {
        let mut ide = dma_ide(16);
        let mut ram = Ram(vec![0; 0x10000]);
        ram.prds(0, &[(0x2000, 4096, true)]);
        start_dma(&mut ide, 0, true, 14, 4, CMD_READ_DMA);
        let mut now = 0;
        dma_step(&mut ide, &mut ram, &mut now);
        assert_eq!(ide.read(0x1F7, 1, now), u32::from(READY | ST_ERR));
        assert_eq!(ide.read(0x1F1, 1, now), u32::from(ERR_IDNF));
        assert_eq!(ide.read(0x1F3, 1, now), 16, "first missing sector");
        assert_eq!(ram.0[0x2000..0x2008], [0; 8]);
        assert_eq!(
            ide.read(BM + 2, 1, now),
            u32::from(BM_ACTIVE | BM_INTERRUPT)
        );
    }

    #[test]
    fn guest_garbage_never_panics() {
        let mut state = 0x1234_5678u32;
        let mut next = move || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            state >> 8
        };
        for setup in 0..4 {
            let mut ide = Ide::new();
            match setup {
                0 => ide
                    .primary
                    .attach(false, Drive::disk(Box::new(pattern(40)))),
                1 => ide
                    .primary
                    .attach(true, Drive::cdrom(Some(Box::new(iso(3))))),
                2 => {
                    ide.primary
                        .attach(false, Drive::disk(Box::new(Broken(4096))));
                    ide.primary
                        .attach(true, Drive::cdrom(Some(Box::new(Broken(4096)))));
                }
                _ => ide.primary.attach(false, Drive::cdrom(None)),
            }
            ide.set_bus_master(Some(0xC000), true);
            // A small RAM: descriptors and buffers the guest points past
            // its end are dropped or read as ones.
            let mut ram = Ram(vec![0; 0x4000]);
            let mut now = 0u64;
            for _ in 0..200_000 {
                let r = next();
                now += u64::from(r % 1500);
                let port = match r % 13 {
                    0..=3 => 0x1F0,
                    4 => 0x3F6,
                    5 => 0x1F7,
                    6 | 7 => 0xC000 + (r >> 4) as u16 % 16,
                    _ => 0x1F0 + (r >> 4) as u16 % 8,
                };
                let size = [1, 2, 4][(r >> 12) as usize % 3];
                if r & 0x80_0000 != 0 {
                    ide.read(port, size, now);
                } else {
                    // Mostly plausible commands and CDB bytes.
                    let v = if port == 0x1F7 {
                        [
                            0x20, 0x24, 0x30, 0x34, 0xC4, 0xC5, 0xC6, 0xEC, 0xA0, 0xA1, 0x90, 0x08,
                            0xEF, 0xC8, 0xCA, 0x25, 0x35,
                        ][(r >> 3) as usize % 17]
                    } else {
                        next()
                    };
                    ide.write(port, size, v, now);
                }
                ide.update(now);
                ide.run_dma(&mut ram, now);
                let _ = ide.irq14();
                let _ = ide.next_deadline(now);
            }
        }
    }
}
