//! Snapshot files: a [`Snapshot`] written to any `Write` and read back
//! into a machine built from the same configuration.
//!
//! Layout (all integers little-endian):
//!
//! | offset | size | field |
//! |--------|------|-------|
//! | 0      | 8    | magic `OXBOXSNP` |
//! | 8      | 4    | format version ([`FORMAT_VERSION`]) |
//! | 12     | 4    | reserved, 0 |
//! | 16     | 8    | body length B |
//! | 24     | 8    | memory length M |
//! | 32     | B    | body: configuration fingerprint, CPU state (lazy flags, x87, SSE), every device, captured output, disk overlays, encoded as below |
//! | 32 + B | M    | RAM and ROM bytes as the machine holds them |
//! | end-4  | 4    | CRC-32 of everything before it |
//!
//! The body uses a compact, non-self-describing encoding of serde's data
//! model: little-endian fixed-width integers, a `u64` length before
//! sequences, maps and byte strings, a `u32` variant index before enum
//! contents, one byte for `bool` and `Option`, no field names.
//!
//! A file is checked completely (magic, version, length, checksum, the
//! encoding, the configuration) before the machine is touched, so a
//! failed load leaves it as it was.

use std::fmt;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::codec::{self, crc32};
use crate::{bus, Machine, Snapshot};

/// The first bytes of every snapshot file.
pub const MAGIC: [u8; 8] = *b"OXBOXSNP";
/// The format this build writes and reads. Any change to the layout or to
/// the state of the CPU or a device bumps it.
pub const FORMAT_VERSION: u32 = 1;
const HEADER: usize = 32;

/// Why a snapshot could not be saved, read or restored.
#[derive(Debug)]
pub enum SnapshotError {
    /// The host failed reading or writing.
    Io(std::io::Error),
    /// The data does not start with [`MAGIC`]: not a snapshot file.
    BadMagic,
    /// A snapshot file of another format version.
    Version { found: u32, supported: u32 },
    /// The file ends before its stated length.
    Truncated { expected: u64, found: u64 },
    /// The checksum, the length or the encoded state is wrong.
    Corrupt(String),
    /// The snapshot was taken on a machine of another configuration (RAM
    /// size, firmware, devices or disks); the text says what differs.
    OtherMachine(String),
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Io(e) => write!(f, "snapshot I/O: {e}"),
            SnapshotError::BadMagic => f.write_str("not an oxbox snapshot file (bad magic)"),
            SnapshotError::Version { found, supported } => write!(
                f,
                "snapshot format version {found} is not supported (this build reads version {supported})"
            ),
            SnapshotError::Truncated { expected, found } => write!(
                f,
                "snapshot file is truncated: {found} of {expected} bytes"
            ),
            SnapshotError::Corrupt(why) => write!(f, "snapshot file is corrupt: {why}"),
            SnapshotError::OtherMachine(why) => {
                write!(f, "snapshot is from another machine configuration: {why}")
            }
        }
    }
}

impl std::error::Error for SnapshotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SnapshotError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for SnapshotError {
    fn from(e: std::io::Error) -> Self {
        SnapshotError::Io(e)
    }
}

/// What a snapshot can only be restored into: the parts of the
/// configuration that shape the machine's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Fingerprint {
    pub ram_size: u64,
    /// RAM, ROM and VGA ROM bytes together.
    pub memory_len: u64,
    /// FNV-1a of the firmware and VGA BIOS images as configured.
    pub rom_hash: u64,
    pub vga_rom_hash: u64,
    pub pci: bool,
    pub ips: u64,
    pub consoles: Vec<u16>,
    pub serial: Vec<u64>,
    pub debug_exit: Option<u16>,
    /// Per drive (0-1 floppy, 2-5 IDE): kind, size, kept in memory.
    pub disks: Vec<(u64, String, u64, bool)>,
}

impl Fingerprint {
    /// The first difference, described.
    pub(crate) fn differs(&self, other: &Fingerprint) -> Option<String> {
        let mib = |b: u64| b as f64 / (1 << 20) as f64;
        if self.ram_size != other.ram_size {
            return Some(format!(
                "RAM size: snapshot {:.1} MiB, this machine {:.1} MiB",
                mib(self.ram_size),
                mib(other.ram_size)
            ));
        }
        if self.rom_hash != other.rom_hash || self.memory_len != other.memory_len {
            return Some("the firmware (BIOS) image differs".into());
        }
        if self.vga_rom_hash != other.vga_rom_hash {
            return Some("the VGA BIOS image differs".into());
        }
        if self.pci != other.pci {
            return Some("one machine has the PCI chipset, the other not".into());
        }
        if self.ips != other.ips {
            return Some(format!(
                "instructions per virtual second: snapshot {}, this machine {}",
                self.ips, other.ips
            ));
        }
        if self.consoles != other.consoles || self.debug_exit != other.debug_exit {
            return Some("debug console or debug-exit ports differ".into());
        }
        if self.serial != other.serial {
            return Some("serial ports differ".into());
        }
        if self.disks != other.disks {
            let show = |d: &[(u64, String, u64, bool)]| {
                d.iter()
                    .map(|(slot, kind, len, mem)| {
                        format!(
                            "{}: {kind} {len} bytes{}",
                            drive_name(*slot),
                            if *mem { " (snapshot)" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Some(format!(
                "disks: snapshot [{}], this machine [{}]",
                show(&self.disks),
                show(&other.disks)
            ));
        }
        None
    }
}

fn drive_name(slot: u64) -> String {
    match slot {
        0 => "floppy A:".into(),
        1 => "floppy B:".into(),
        n => format!("IDE {}", n - 2),
    }
}

/// FNV-1a, 64 bits: enough to tell firmware images apart.
pub(crate) fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// Private disk contents: per drive slot, the store's overlay extents.
type DiskOverlays = Vec<(u64, Vec<(u64, Vec<u8>)>)>;

/// The encoded part of a file.
#[derive(Serialize, Deserialize)]
struct Body {
    fingerprint: Fingerprint,
    cpu: oxbox_cpu::CpuState,
    devices: bus::Devices,
    captured: Vec<(u16, Vec<u8>)>,
    serial_captured: [Vec<u8>; 4],
    disks: DiskOverlays,
}

impl Snapshot {
    /// Writes the snapshot in the versioned file format laid out in
    /// [`snapfile`](crate::snapfile); [`Machine::load_snapshot`] reads it
    /// back into a machine of the same configuration.
    ///
    /// ```
    /// # use oxbox_machine::{MachineBuilder, Stop};
    /// let mut m = MachineBuilder::new().rom(vec![0xF4; 4096]).build()?;
    /// let snap = m.snapshot();
    /// let mut file = Vec::new();
    /// snap.save(&mut file)?;
    /// assert_eq!(&file[..8], b"OXBOXSNP");
    /// let mut other = MachineBuilder::new().rom(vec![0xF4; 4096]).build()?;
    /// other.load_snapshot(&file[..])?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save<W: Write>(&self, mut w: W) -> Result<(), SnapshotError> {
        let mut devices = self.devices.clone();
        let disks = devices
            .stores_mut()
            .into_iter()
            .filter_map(|(slot, st)| st.overlay().map(|o| (slot as u64, o)))
            .collect();
        let body = Body {
            fingerprint: self.fingerprint.clone(),
            cpu: self.cpu.clone(),
            devices,
            captured: self.captured.clone(),
            serial_captured: self.serial_captured.clone(),
            disks,
        };
        let mut out = Vec::with_capacity(HEADER + self.ram.len() + (1 << 20));
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&[0; 16]);
        codec::encode(&body, &mut out).map_err(|e| SnapshotError::Corrupt(e.0))?;
        let body_len = (out.len() - HEADER) as u64;
        out[16..24].copy_from_slice(&body_len.to_le_bytes());
        out[24..32].copy_from_slice(&(self.ram.len() as u64).to_le_bytes());
        out.extend_from_slice(&self.ram);
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        w.write_all(&out)?;
        w.flush()?;
        Ok(())
    }
}

/// Checks a whole file and decodes it; nothing is applied.
fn parse(data: &[u8]) -> Result<(Body, &[u8]), SnapshotError> {
    let truncated = |expected: u64| SnapshotError::Truncated {
        expected,
        found: data.len() as u64,
    };
    if data.len() < MAGIC.len() {
        return Err(if MAGIC.starts_with(data) {
            truncated(HEADER as u64)
        } else {
            SnapshotError::BadMagic
        });
    }
    if data[..8] != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    let u32_at = |o: usize| {
        data.get(o..o + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    };
    let u64_at = |o: usize| {
        data.get(o..o + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    let version = u32_at(8).ok_or_else(|| truncated(HEADER as u64))?;
    if version != FORMAT_VERSION {
        return Err(SnapshotError::Version {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let (Some(body_len), Some(mem_len)) = (u64_at(16), u64_at(24)) else {
        return Err(truncated(HEADER as u64));
    };
    let total = (HEADER as u64)
        .checked_add(body_len)
        .and_then(|t| t.checked_add(mem_len))
        .and_then(|t| t.checked_add(4))
        .ok_or_else(|| SnapshotError::Corrupt("impossible section lengths".into()))?;
    if (data.len() as u64) < total {
        return Err(truncated(total));
    }
    if data.len() as u64 > total {
        return Err(SnapshotError::Corrupt(format!(
            "{} bytes after the end of the snapshot",
            data.len() as u64 - total
        )));
    }
    let (content, crc) = data.split_at(data.len() - 4);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if crc32(content) != stored {
        return Err(SnapshotError::Corrupt("checksum mismatch".into()));
    }
    let body_end = HEADER + body_len as usize;
    let (body, rest) = codec::decode::<Body>(&content[HEADER..body_end])
        .map_err(|e| SnapshotError::Corrupt(format!("state: {e}")))?;
    if !rest.is_empty() {
        return Err(SnapshotError::Corrupt("extra bytes after the state".into()));
    }
    Ok((body, &content[body_end..]))
}

impl Machine {
    /// Reads a snapshot file written by [`Snapshot::save`] and puts the
    /// machine in its state: CPU, devices, RAM, disk overlays and captured
    /// output. The machine must have been built from the same
    /// configuration (RAM size, firmware, devices, disks); anything else,
    /// or a damaged file, is an error and leaves the machine untouched.
    ///
    /// Returns the loaded state as a [`Snapshot`], which is now the
    /// machine's baseline: restoring it again copies back only the pages
    /// written since.
    pub fn load_snapshot<R: Read>(&mut self, mut r: R) -> Result<Snapshot, SnapshotError> {
        let mut data = Vec::new();
        r.read_to_end(&mut data)?;
        let (body, memory) = parse(&data)?;
        if let Some(why) = body.fingerprint.differs(&self.fingerprint) {
            return Err(SnapshotError::OtherMachine(why));
        }
        if memory.len() != self.bus.mem.bytes.len() {
            return Err(SnapshotError::Corrupt(
                "memory size does not match the configuration".into(),
            ));
        }
        body.cpu
            .check()
            .map_err(|why| SnapshotError::Corrupt(format!("CPU state: {why}")))?;
        let mut devices = body.devices;
        // Put the live disks where the file has stand-ins, then the saved
        // overlays on top: all on copies, so a failure changes nothing.
        let mut live = self.bus.stores_mut();
        for (slot, st) in devices.stores_mut() {
            let Some((_, real)) = live.iter_mut().find(|(s, _)| *s == slot) else {
                return Err(SnapshotError::OtherMachine(format!(
                    "{} has no disk here",
                    drive_name(slot as u64)
                )));
            };
            let mut copy = real.box_clone();
            oxbox_devices::block::adopt_store(st, &mut copy).map_err(|_| {
                SnapshotError::OtherMachine(format!("{} is another size", drive_name(slot as u64)))
            })?;
            if let Some((_, extents)) = body.disks.iter().find(|(s, _)| *s == slot as u64) {
                st.set_overlay(extents).map_err(|e| {
                    SnapshotError::Corrupt(format!("{}: {e}", drive_name(slot as u64)))
                })?;
            }
        }
        let snap = Snapshot {
            id: self.next_snapshot_id,
            fingerprint: body.fingerprint,
            cpu: body.cpu,
            devices,
            ram: std::sync::Arc::new(memory.to_vec()),
            captured: body.captured,
            serial_captured: body.serial_captured,
        };
        self.next_snapshot_id += 1;
        self.restore(&snap)?;
        Ok(snap)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::{DiskImage, MachineBuilder, MediaKind};

    /// Writes `data` at `offset` of the disk in `slot`, as a guest's
    /// controller would.
    fn disk_write(m: &mut crate::Machine, slot: usize, offset: u64, data: &[u8]) {
        let mut stores = m.bus.stores_mut();
        let (_, st) = stores.iter_mut().find(|(s, _)| *s == slot).unwrap();
        st.write_at(offset, data).unwrap();
    }

    fn disk_read(m: &mut crate::Machine, slot: usize, offset: u64, len: usize) -> Vec<u8> {
        let mut stores = m.bus.stores_mut();
        let (_, st) = stores.iter_mut().find(|(s, _)| *s == slot).unwrap();
        let mut buf = vec![0; len];
        st.read_at(offset, &mut buf).unwrap();
        buf
    }

    #[test]
    fn disk_overlays_travel_in_the_file() {
        let dir = std::env::temp_dir().join(format!("oxbox-overlay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("disk.img");
        // The base image: sector i filled with i.
        let base: Vec<u8> = (0..64u32).flat_map(|i| [i as u8; 512]).collect();
        std::fs::write(&path, &base).unwrap();
        let build = || {
            MachineBuilder::new()
                .rom(vec![0xF4; 4096])
                .memory_mib(1)
                .ide(
                    1,
                    DiskImage {
                        path: path.clone(),
                        kind: MediaKind::HardDisk,
                        snapshot: true,
                        read_only: false,
                    },
                )
                .build()
                .unwrap()
        };
        let mut m = build();
        // Sector 3, straddling into 4, and the last sector.
        disk_write(&mut m, 3, 3 * 512 + 500, &[0xAA; 30]);
        disk_write(&mut m, 3, 63 * 512, &[0x55; 512]);
        let mut file = Vec::new();
        m.snapshot().save(&mut file).unwrap();
        // Written after the snapshot: must not come back.
        disk_write(&mut m, 3, 10 * 512, &[0xEE; 4]);

        let mut fresh = build();
        fresh.load_snapshot(&file[..]).unwrap();
        let got = disk_read(&mut fresh, 3, 3 * 512 + 496, 40);
        let mut want = vec![3u8; 4];
        want.extend([0xAA; 12]);
        want.extend([0xAA; 18]);
        want.extend([4u8; 6]);
        assert_eq!(got, want);
        assert_eq!(disk_read(&mut fresh, 3, 63 * 512, 512), vec![0x55; 512]);
        assert_eq!(disk_read(&mut fresh, 3, 10 * 512, 4), vec![10; 4]);
        // The image file itself was never written.
        assert_eq!(std::fs::read(&path).unwrap(), base);
        // Loading into the machine that wrote it drops its later write too.
        m.load_snapshot(&file[..]).unwrap();
        assert_eq!(disk_read(&mut m, 3, 10 * 512, 4), vec![10; 4]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
