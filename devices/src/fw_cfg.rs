//! QEMU's firmware configuration interface (fw_cfg), as SeaBIOS reads it.
//!
//! The firmware writes a 16-bit item key to the selector port (510h) and then
//! reads the item's bytes one at a time from the data port (511h); each read
//! advances the offset, and reads past the end of the item (or of an item
//! that does not exist) return 0. Selecting an item rewinds to its start.
//!
//! Keys: 0000h-3FFFh are generic items, the same with bit 15 set
//! (`ARCH_LOCAL`) are x86-specific ones; bit 14 (`WRITE_CHANNEL`) asks for
//! write access and is ignored for reads. Named blobs ("files") get keys from
//! 0020h up and are listed in the file directory, item 0019h: a big-endian
//! 32-bit count followed by 64-byte entries (big-endian 32-bit size, 16-bit
//! key, 16 reserved bits, 56-byte NUL-padded name), sorted by name.
//!
//! As in QEMU since 2.4, data written through the port is ignored, and only
//! the traditional interface is offered: the feature bitmap in item 0001h has
//! bit 0 set and the DMA bit (1) clear, so SeaBIOS never uses the DMA
//! registers at 514h (they read as ones here). Byte reads at either 510h or
//! 511h read data, as on QEMU's combined port; a 16-bit (or wider) write to
//! 510h selects.

use crate::{read_bytes, PortIo};
use std::collections::BTreeMap;
use std::fmt;

/// Selector port (16-bit writes).
pub const SELECTOR_PORT: u16 = 0x510;
/// Data port (byte reads, auto-increment).
pub const DATA_PORT: u16 = 0x511;

/// "QEMU".
pub const FW_CFG_SIGNATURE: u16 = 0x0000;
/// Interface version and features, 32-bit LE.
pub const FW_CFG_ID: u16 = 0x0001;
/// 16-byte machine UUID.
pub const FW_CFG_UUID: u16 = 0x0002;
/// RAM size in bytes, 64-bit LE.
pub const FW_CFG_RAM_SIZE: u16 = 0x0003;
/// Non-zero when there is no display, 16-bit LE.
pub const FW_CFG_NOGRAPHIC: u16 = 0x0004;
/// Number of CPUs present at boot, 16-bit LE.
pub const FW_CFG_NB_CPUS: u16 = 0x0005;
/// Machine ID, 32-bit LE.
pub const FW_CFG_MACHINE_ID: u16 = 0x0006;
/// Legacy boot device letter, 16-bit LE.
pub const FW_CFG_BOOT_DEVICE: u16 = 0x000C;
/// NUMA table: a 64-bit LE node count, then per-CPU and per-node words.
pub const FW_CFG_NUMA: u16 = 0x000D;
/// Legacy "show boot menu" flag, 16-bit LE.
pub const FW_CFG_BOOT_MENU: u16 = 0x000E;
/// Maximum number of CPUs (hot-plug slots), 16-bit LE.
pub const FW_CFG_MAX_CPUS: u16 = 0x000F;
/// The file directory.
pub const FW_CFG_FILE_DIR: u16 = 0x0019;
/// Key of the first file.
pub const FW_CFG_FILE_FIRST: u16 = 0x0020;
/// Key flag: write access requested.
pub const FW_CFG_WRITE_CHANNEL: u16 = 0x4000;
/// Key flag: architecture-specific item.
pub const FW_CFG_ARCH_LOCAL: u16 = 0x8000;
/// The index bits of a key.
const FW_CFG_ENTRY_MASK: u16 = 0x3FFF;
/// x86: legacy e820 table (superseded by the "etc/e820" file).
pub const FW_CFG_E820_TABLE: u16 = FW_CFG_ARCH_LOCAL | 0x0003;

/// Feature bit: the traditional port interface.
pub const FEATURE_TRADITIONAL: u32 = 0b01;
/// Feature bit: the DMA interface (not offered).
pub const FEATURE_DMA: u32 = 0b10;

/// Longest file name, including the terminating NUL.
pub const MAX_FILE_PATH: usize = 56;
/// Size of a file directory entry.
const DIR_ENTRY_SIZE: usize = 64;

/// e820 type: usable RAM.
pub const E820_RAM: u32 = 1;
/// e820 type: reserved.
pub const E820_RESERVED: u32 = 2;
/// e820 type: ACPI reclaimable.
pub const E820_ACPI: u32 = 3;
/// e820 type: ACPI NVS.
pub const E820_NVS: u32 = 4;

/// One entry of the "etc/e820" file: 20 bytes, little-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct E820Entry {
    /// Start address.
    pub addr: u64,
    /// Length in bytes.
    pub len: u64,
    /// One of the `E820_*` types.
    pub kind: u32,
}

impl E820Entry {
    /// The entry as it appears in the file.
    pub fn to_bytes(&self) -> [u8; 20] {
        let mut b = [0; 20];
        b[0..8].copy_from_slice(&self.addr.to_le_bytes());
        b[8..16].copy_from_slice(&self.len.to_le_bytes());
        b[16..20].copy_from_slice(&self.kind.to_le_bytes());
        b
    }
}

/// A boot device as SeaBIOS's "bootorder" file names it on an i440FX
/// machine (see [`crate::pci`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BootDevice {
    /// Floppy drive 0 or 1 of the controller at 3F0h.
    Floppy(u8),
    /// An ATA disk or ATAPI CD-ROM on the PIIX3 IDE function.
    Ide {
        /// 0 primary, 1 secondary.
        channel: u8,
        /// The slave (device 1) rather than the master.
        slave: bool,
    },
}

impl BootDevice {
    /// The Open Firmware device path QEMU writes for this device.
    pub fn path(&self) -> String {
        match *self {
            BootDevice::Floppy(n) => format!("/pci@i0cf8/isa@1/fdc@03f0/floppy@{}", n & 1),
            BootDevice::Ide { channel, slave } => format!(
                "/pci@i0cf8/ide@1,1/drive@{}/disk@{}",
                channel & 1,
                u8::from(slave)
            ),
        }
    }
}

/// Why a file could not be added.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FwCfgError {
    /// The name is empty, contains NUL or does not fit in 55 bytes.
    BadName(String),
    /// Every file key is in use.
    TooManyFiles,
}

impl fmt::Display for FwCfgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FwCfgError::BadName(n) => write!(f, "invalid fw_cfg file name {n:?}"),
            FwCfgError::TooManyFiles => f.write_str("no fw_cfg file keys left"),
        }
    }
}

impl std::error::Error for FwCfgError {}

/// The fw_cfg device.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FwCfg {
    /// Items by key (without the write-channel bit).
    items: BTreeMap<u16, Vec<u8>>,
    /// File names and their keys, in the order they were added.
    files: Vec<(String, u16)>,
    /// The selected key, or `None` when the selection is invalid.
    selected: Option<u16>,
    offset: usize,
}

impl Default for FwCfg {
    fn default() -> Self {
        Self::new()
    }
}

impl FwCfg {
    /// A device with the signature, the feature bitmap, one CPU, no RAM
    /// size and an empty file directory.
    pub fn new() -> Self {
        let mut f = FwCfg {
            items: BTreeMap::new(),
            files: Vec::new(),
            selected: None,
            offset: 0,
        };
        f.set_item(FW_CFG_SIGNATURE, b"QEMU".to_vec());
        f.set_item(FW_CFG_ID, FEATURE_TRADITIONAL.to_le_bytes().to_vec());
        f.set_item(FW_CFG_UUID, vec![0; 16]);
        f.set_item(FW_CFG_NOGRAPHIC, 0u16.to_le_bytes().to_vec());
        f.set_item(FW_CFG_NUMA, 0u64.to_le_bytes().to_vec());
        f.set_item(FW_CFG_BOOT_MENU, 0u16.to_le_bytes().to_vec());
        f.set_cpus(1, 1);
        f.rebuild_dir();
        f
    }

    /// Sets (or replaces) the item `key`; the write-channel bit is ignored.
    /// The file directory's key is reserved: files go through
    /// [`FwCfg::add_file`].
    pub fn set_item(&mut self, key: u16, data: Vec<u8>) {
        let key = key & !FW_CFG_WRITE_CHANNEL;
        if key == FW_CFG_FILE_DIR {
            return;
        }
        self.items.insert(key, data);
    }

    /// The item `key`, if set.
    pub fn item(&self, key: u16) -> Option<&[u8]> {
        self.items
            .get(&(key & !FW_CFG_WRITE_CHANNEL))
            .map(Vec::as_slice)
    }

    /// RAM size in bytes (item 0003h).
    pub fn set_ram_size(&mut self, bytes: u64) {
        self.set_item(FW_CFG_RAM_SIZE, bytes.to_le_bytes().to_vec());
    }

    /// CPUs present at boot and the maximum (items 0005h and 000Fh).
    pub fn set_cpus(&mut self, present: u16, max: u16) {
        self.set_item(FW_CFG_NB_CPUS, present.to_le_bytes().to_vec());
        self.set_item(FW_CFG_MAX_CPUS, max.max(present).to_le_bytes().to_vec());
    }

    /// Adds the file `name`, or replaces its contents (keeping its key).
    /// Returns the file's key.
    pub fn add_file(&mut self, name: &str, data: Vec<u8>) -> Result<u16, FwCfgError> {
        if name.is_empty() || name.len() >= MAX_FILE_PATH || name.contains('\0') {
            return Err(FwCfgError::BadName(name.to_string()));
        }
        let key = match self.files.iter().find(|(n, _)| n == name) {
            Some(&(_, key)) => key,
            None => {
                let key = u16::try_from(self.files.len())
                    .ok()
                    .and_then(|n| FW_CFG_FILE_FIRST.checked_add(n))
                    .filter(|&k| k <= FW_CFG_ENTRY_MASK)
                    .ok_or(FwCfgError::TooManyFiles)?;
                self.files.push((name.to_string(), key));
                key
            }
        };
        self.items.insert(key, data);
        self.rebuild_dir();
        Ok(key)
    }

    /// The contents of the file `name`, if present.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        let &(_, key) = self.files.iter().find(|(n, _)| n == name)?;
        self.item(key)
    }

    /// The memory map as the "etc/e820" file.
    pub fn set_e820(&mut self, entries: &[E820Entry]) -> Result<u16, FwCfgError> {
        let data = entries.iter().flat_map(E820Entry::to_bytes).collect();
        self.add_file("etc/e820", data)
    }

    /// The boot order as the "bootorder" file: one device path per line,
    /// the whole NUL-terminated, as QEMU writes it.
    pub fn set_boot_order(&mut self, devices: &[BootDevice]) -> Result<u16, FwCfgError> {
        let mut data = Vec::new();
        for d in devices {
            data.extend_from_slice(d.path().as_bytes());
            data.push(b'\n');
        }
        data.push(0);
        self.add_file("bootorder", data)
    }

    /// Whether SeaBIOS offers its F12 boot menu ("etc/show-boot-menu",
    /// 16-bit LE) and the legacy item 000Eh.
    pub fn set_show_boot_menu(&mut self, show: bool) -> Result<u16, FwCfgError> {
        let v = u16::from(show).to_le_bytes().to_vec();
        self.set_item(FW_CFG_BOOT_MENU, v.clone());
        self.add_file("etc/show-boot-menu", v)
    }

    /// How long SeaBIOS waits before retrying when nothing boots, in
    /// milliseconds ("etc/boot-fail-wait", 32-bit LE).
    pub fn set_boot_fail_wait(&mut self, ms: u32) -> Result<u16, FwCfgError> {
        self.add_file("etc/boot-fail-wait", ms.to_le_bytes().to_vec())
    }

    /// The key selected by the guest, if valid.
    pub fn selected(&self) -> Option<u16> {
        self.selected
    }

    /// Selects `key` as a 16-bit write to the selector port does.
    pub fn select(&mut self, key: u16) {
        self.offset = 0;
        let lookup = key & !FW_CFG_WRITE_CHANNEL;
        self.selected = self.items.contains_key(&lookup).then_some(lookup);
    }

    /// Reads the next data byte.
    pub fn read_data(&mut self) -> u8 {
        let Some(key) = self.selected else {
            return 0;
        };
        let byte = self
            .items
            .get(&key)
            .and_then(|d| d.get(self.offset))
            .copied();
        match byte {
            Some(b) => {
                self.offset += 1;
                b
            }
            None => 0,
        }
    }

    fn rebuild_dir(&mut self) {
        let mut files: Vec<&(String, u16)> = self.files.iter().collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut dir = Vec::with_capacity(4 + files.len() * DIR_ENTRY_SIZE);
        dir.extend_from_slice(&(files.len() as u32).to_be_bytes());
        for (name, key) in files {
            let size = self.items.get(key).map_or(0, Vec::len);
            dir.extend_from_slice(&u32::try_from(size).unwrap_or(u32::MAX).to_be_bytes());
            dir.extend_from_slice(&key.to_be_bytes());
            dir.extend_from_slice(&[0, 0]);
            let mut n = [0u8; MAX_FILE_PATH];
            n[..name.len()].copy_from_slice(name.as_bytes());
            dir.extend_from_slice(&n);
        }
        self.items.insert(FW_CFG_FILE_DIR, dir);
    }
}

impl PortIo for FwCfg {
    fn read(&mut self, port: u16, size: u8, _now: u64) -> u32 {
        read_bytes(port, size, |p| match p {
            SELECTOR_PORT | DATA_PORT => self.read_data(),
            _ => 0xFF,
        })
    }

    fn write(&mut self, port: u16, size: u8, value: u32, _now: u64) {
        // Byte writes are data writes, which the port interface ignores.
        if port == SELECTOR_PORT && size >= 2 {
            self.select(value as u16);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SeaBIOS's `qemu_cfg_read_entry` does.
    fn read_entry(f: &mut FwCfg, key: u16, len: usize) -> Vec<u8> {
        f.write(SELECTOR_PORT, 2, u32::from(key), 0);
        (0..len).map(|_| f.read(DATA_PORT, 1, 0) as u8).collect()
    }

    /// SeaBIOS's file lookup: the directory, then the file by its key.
    fn read_file(f: &mut FwCfg, name: &str) -> Option<Vec<u8>> {
        let count = u32::from_be_bytes(read_entry(f, FW_CFG_FILE_DIR, 4).try_into().ok()?);
        let dir = read_entry(f, FW_CFG_FILE_DIR, 4 + count as usize * 64);
        for e in dir[4..].chunks(64) {
            let size = u32::from_be_bytes(e[0..4].try_into().ok()?) as usize;
            let key = u16::from_be_bytes([e[4], e[5]]);
            let end = e[8..].iter().position(|&b| b == 0).unwrap_or(56);
            if &e[8..8 + end] == name.as_bytes() {
                return Some(read_entry(f, key, size));
            }
        }
        None
    }

    #[test]
    fn signature_and_features() {
        let mut f = FwCfg::new();
        assert_eq!(read_entry(&mut f, FW_CFG_SIGNATURE, 4), b"QEMU");
        let id = read_entry(&mut f, FW_CFG_ID, 4);
        assert_eq!(id, [1, 0, 0, 0], "traditional interface, no DMA");
        // Reselecting rewinds.
        assert_eq!(read_entry(&mut f, FW_CFG_SIGNATURE, 2), b"QE");
        assert_eq!(read_entry(&mut f, FW_CFG_SIGNATURE, 6), b"QEMU\0\0");
    }

    #[test]
    fn ram_size_and_cpus() {
        let mut f = FwCfg::new();
        f.set_ram_size(0x1_2000_0000);
        f.set_cpus(2, 4);
        assert_eq!(
            read_entry(&mut f, FW_CFG_RAM_SIZE, 8),
            0x1_2000_0000u64.to_le_bytes()
        );
        assert_eq!(read_entry(&mut f, FW_CFG_NB_CPUS, 2), [2, 0]);
        assert_eq!(read_entry(&mut f, FW_CFG_MAX_CPUS, 2), [4, 0]);
        f.set_cpus(3, 1);
        assert_eq!(read_entry(&mut f, FW_CFG_MAX_CPUS, 2), [3, 0], "max >= nb");
    }

    #[test]
    fn unknown_keys_and_overruns_read_zero() {
        let mut f = FwCfg::new();
        assert_eq!(read_entry(&mut f, 0x1234, 4), [0; 4]);
        assert_eq!(f.selected(), None);
        assert_eq!(read_entry(&mut f, FW_CFG_E820_TABLE, 4), [0; 4]);
        assert_eq!(read_entry(&mut f, 0xFFFF, 2), [0; 2]);
        // The write-channel bit does not change what is read.
        assert_eq!(
            read_entry(&mut f, FW_CFG_SIGNATURE | FW_CFG_WRITE_CHANNEL, 4),
            b"QEMU"
        );
        // Data writes are ignored.
        f.write(SELECTOR_PORT, 2, u32::from(FW_CFG_SIGNATURE), 0);
        f.write(DATA_PORT, 1, 0x41, 0);
        f.write(SELECTOR_PORT, 1, 0x41, 0);
        assert_eq!(f.read(DATA_PORT, 1, 0), u32::from(b'Q'));
        // Byte reads at 510h also read data; DMA registers are absent.
        assert_eq!(f.read(SELECTOR_PORT, 1, 0), u32::from(b'E'));
        assert_eq!(f.read(0x514, 4, 0), 0xFFFF_FFFF);
    }

    #[test]
    fn file_directory_format() {
        let mut f = FwCfg::new();
        assert_eq!(read_entry(&mut f, FW_CFG_FILE_DIR, 4), [0; 4]);
        assert_eq!(f.add_file("zz/last", vec![1, 2, 3]), Ok(0x20));
        assert_eq!(f.add_file("etc/first", vec![9; 300]), Ok(0x21));
        let dir = read_entry(&mut f, FW_CFG_FILE_DIR, 4 + 2 * 64);
        assert_eq!(dir[0..4], [0, 0, 0, 2]);
        // Sorted by name: etc/first, then zz/last.
        assert_eq!(dir[4..8], [0, 0, 0x01, 0x2C], "size 300, big-endian");
        assert_eq!(dir[8..10], [0x00, 0x21], "key, big-endian");
        assert_eq!(&dir[12..21], b"etc/first");
        assert!(dir[21..68].iter().all(|&b| b == 0));
        assert_eq!(dir[68..72], [0, 0, 0, 3]);
        assert_eq!(dir[72..74], [0x00, 0x20]);
        assert_eq!(&dir[76..83], b"zz/last");
        assert_eq!(read_file(&mut f, "zz/last"), Some(vec![1, 2, 3]));
        // Replacing keeps the key and updates the size.
        assert_eq!(f.add_file("zz/last", vec![7; 5]), Ok(0x20));
        assert_eq!(read_file(&mut f, "zz/last"), Some(vec![7; 5]));
        assert_eq!(f.file("etc/first").map(<[u8]>::len), Some(300));
        // Bad names.
        assert!(f.add_file("", vec![]).is_err());
        assert!(f.add_file(&"x".repeat(56), vec![]).is_err());
        assert_eq!(f.add_file(&"x".repeat(55), vec![]), Ok(0x22));
        // The directory cannot be overwritten as an item.
        f.set_item(FW_CFG_FILE_DIR, vec![0xFF; 4]);
        assert_eq!(read_entry(&mut f, FW_CFG_FILE_DIR, 4), [0, 0, 0, 3]);
    }

    #[test]
    fn e820_boot_order_and_options() {
        let mut f = FwCfg::new();
        let map = [
            E820Entry {
                addr: 0,
                len: 0x9_FC00,
                kind: E820_RAM,
            },
            E820Entry {
                addr: 0x10_0000,
                len: 0x7F0_0000,
                kind: E820_RAM,
            },
            E820Entry {
                addr: 0xFEFF_C000,
                len: 0x4000,
                kind: E820_RESERVED,
            },
        ];
        assert!(f.set_e820(&map).is_ok());
        let e820 = read_file(&mut f, "etc/e820").unwrap_or_default();
        assert_eq!(e820.len(), 60);
        assert_eq!(e820[20..28], 0x10_0000u64.to_le_bytes());
        assert_eq!(e820[28..36], 0x7F0_0000u64.to_le_bytes());
        assert_eq!(e820[36..40], [1, 0, 0, 0]);
        assert_eq!(e820[56..60], [2, 0, 0, 0]);

        let order = [
            BootDevice::Ide {
                channel: 1,
                slave: false,
            },
            BootDevice::Ide {
                channel: 0,
                slave: true,
            },
            BootDevice::Floppy(0),
        ];
        assert!(f.set_boot_order(&order).is_ok());
        let text = read_file(&mut f, "bootorder").unwrap_or_default();
        assert_eq!(
            text,
            b"/pci@i0cf8/ide@1,1/drive@1/disk@0\n\
              /pci@i0cf8/ide@1,1/drive@0/disk@1\n\
              /pci@i0cf8/isa@1/fdc@03f0/floppy@0\n\0"
        );
        assert!(f.set_boot_fail_wait(1000).is_ok());
        assert!(f.set_show_boot_menu(false).is_ok());
        assert_eq!(
            read_file(&mut f, "etc/boot-fail-wait"),
            Some(vec![0xE8, 0x03, 0, 0])
        );
        assert_eq!(read_file(&mut f, "etc/show-boot-menu"), Some(vec![0, 0]));
        assert_eq!(read_entry(&mut f, FW_CFG_FILE_DIR, 4), [0, 0, 0, 4]);
    }

    #[test]
    fn wide_reads_and_snapshots() {
        let mut f = FwCfg::new();
        f.write(SELECTOR_PORT, 2, u32::from(FW_CFG_SIGNATURE), 0);
        // A word read at 510h is two data bytes.
        assert_eq!(f.read(SELECTOR_PORT, 2, 0), u32::from_le_bytes(*b"QE\0\0"));
        let mut snap = f.clone();
        assert_eq!(f.read(DATA_PORT, 1, 0), u32::from(b'M'));
        assert_eq!(snap.read(DATA_PORT, 1, 0), u32::from(b'M'));
        // Any port, size and value is harmless.
        for port in 0x50E..0x51E {
            for size in [0, 1, 2, 3, 4, 9] {
                f.write(port, size, 0xFFFF_FFFF, 0);
                f.read(port, size, 0);
            }
        }
    }
}
