//! Disk images on the host: raw files written through, or a copy-on-write
//! overlay in memory (`--snapshot`), behind the devices' `BlockStore`.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxbox_devices::block::{BlockError, BlockStore};

use crate::Error;

/// What kind of drive an image belongs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    Floppy,
    HardDisk,
    CdRom,
}

/// Floppy image sizes the controller knows, in bytes.
pub const FLOPPY_SIZES: [u64; 8] = [
    160 * 1024,
    180 * 1024,
    320 * 1024,
    360 * 1024,
    720 * 1024,
    1200 * 1024,
    1440 * 1024,
    2880 * 1024,
];

/// Guesses where an image goes from its name and size: `.iso` is a CD, a
/// floppy-sized image a floppy, anything else a hard disk.
pub fn guess_kind(path: &Path, size: u64) -> MediaKind {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    if ext.as_deref() == Some("iso") {
        MediaKind::CdRom
    } else if FLOPPY_SIZES.contains(&size) {
        MediaKind::Floppy
    } else {
        MediaKind::HardDisk
    }
}

/// A raw image file. Writes go straight to the file, each in one
/// positioned write (a whole sector or block at once).
struct FileStore {
    file: Arc<File>,
    len: u64,
    writable: bool,
    /// For a read-only image: its name, to say once that a guest write was
    /// refused.
    refused: Option<Arc<PathBuf>>,
}

impl BlockStore for FileStore {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.len)
        {
            return Err(BlockError::OutOfRange);
        }
        self.file.read_exact_at(buf, offset)?;
        Ok(())
    }

    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), BlockError> {
        if !self.writable {
            if let Some(p) = self.refused.take() {
                log::warn!(
                    "{}: the guest wrote to this read-only image; the write was refused \
                     (--read-only-images overlay keeps such writes in memory)",
                    p.display()
                );
            }
            return Err(BlockError::ReadOnly);
        }
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.len)
        {
            return Err(BlockError::OutOfRange);
        }
        self.file.write_all_at(buf, offset)?;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), BlockError> {
        if self.writable {
            self.file.sync_data()?;
        }
        Ok(())
    }

    fn box_clone(&self) -> Box<dyn BlockStore + Send> {
        Box::new(FileStore {
            file: self.file.clone(),
            len: self.len,
            writable: self.writable,
            refused: self.refused.clone(),
        })
    }
}

/// A read-only base image with the guest's writes kept in memory, 512-byte
/// granular. A clone copies the written blocks: it is a full snapshot.
#[derive(Clone)]
struct OverlayStore {
    base: Arc<File>,
    len: u64,
    blocks: HashMap<u64, Box<[u8; 512]>>,
    /// For an image that could not be opened for writing (and no
    /// `--snapshot`): its name, to say once where the guest's writes go.
    fallback: Option<Arc<PathBuf>>,
}

impl BlockStore for OverlayStore {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.len)
        {
            return Err(BlockError::OutOfRange);
        }
        self.base.read_exact_at(buf, offset)?;
        let mut pos = 0usize;
        while pos < buf.len() {
            let abs = offset + pos as u64;
            let (blk, within) = (abs / 512, (abs % 512) as usize);
            let n = (512 - within).min(buf.len() - pos);
            if let Some(b) = self.blocks.get(&blk) {
                buf[pos..pos + n].copy_from_slice(&b[within..within + n]);
            }
            pos += n;
        }
        Ok(())
    }

    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), BlockError> {
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.len)
        {
            return Err(BlockError::OutOfRange);
        }
        if let Some(p) = self.fallback.take() {
            log::warn!(
                "{}: the image file is read-only; the guest's writes are kept in memory \
                 and lost at exit (--read-only-images refuse refuses them)",
                p.display()
            );
        }
        let mut pos = 0usize;
        while pos < buf.len() {
            let abs = offset + pos as u64;
            let (blk, within) = (abs / 512, (abs % 512) as usize);
            let n = (512 - within).min(buf.len() - pos);
            if !self.blocks.contains_key(&blk) {
                let mut b = Box::new([0u8; 512]);
                let end = ((blk + 1) * 512).min(self.len);
                let have = (end - blk * 512) as usize;
                self.base.read_exact_at(&mut b[..have], blk * 512)?;
                self.blocks.insert(blk, b);
            }
            if let Some(b) = self.blocks.get_mut(&blk) {
                b[within..within + n].copy_from_slice(&buf[pos..pos + n]);
            }
            pos += n;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), BlockError> {
        Ok(())
    }

    fn box_clone(&self) -> Box<dyn BlockStore + Send> {
        Box::new(self.clone())
    }

    /// The written blocks, in order, each 512 bytes at a 512-byte offset.
    fn overlay(&self) -> Option<Vec<(u64, Vec<u8>)>> {
        let mut v: Vec<(u64, Vec<u8>)> = self
            .blocks
            .iter()
            .map(|(&blk, b)| (blk * 512, b.to_vec()))
            .collect();
        v.sort_unstable_by_key(|e| e.0);
        Some(v)
    }

    fn set_overlay(&mut self, extents: &[(u64, Vec<u8>)]) -> Result<(), BlockError> {
        let mut blocks = HashMap::with_capacity(extents.len());
        for (off, bytes) in extents {
            let block: [u8; 512] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| BlockError::OutOfRange)?;
            if off % 512 != 0 || *off >= self.len {
                return Err(BlockError::OutOfRange);
            }
            blocks.insert(off / 512, Box::new(block));
        }
        self.blocks = blocks;
        Ok(())
    }
}

/// An image to attach.
#[derive(Clone, Debug)]
pub struct DiskImage {
    pub path: PathBuf,
    pub kind: MediaKind,
    /// Keep the guest's writes in memory instead of writing the file.
    pub snapshot: bool,
    /// Refuse guest writes (CD-ROMs always are).
    pub read_only: bool,
}

/// Opens and checks an image: it must be a regular file, readable, with a
/// size its drive can use, and not in use by another oxbox (an advisory
/// lock: exclusive when the file is written, shared otherwise). A file the
/// host will not let us write (permissions, read-only file system) is
/// opened read-only with the guest's writes kept in memory, and a warning
/// at the first one; set `read_only` to refuse such writes instead.
pub fn open(image: &DiskImage) -> Result<Box<dyn BlockStore + Send>, Error> {
    let p = &image.path;
    let io = |source| Error::Io {
        path: p.clone(),
        source,
    };
    let len = crate::hostfile::regular_len(p, "disk image", u64::MAX)?;
    let bad = |why: String| Error::BadConfig(format!("{}: {why}", p.display()));
    match image.kind {
        MediaKind::Floppy if !FLOPPY_SIZES.contains(&len) => {
            return Err(bad(format!(
                "{len} bytes is not a floppy size (160K, 180K, 320K, 360K, 720K, 1.2M, 1.44M \
                 or 2.88M); give a raw floppy image or attach it with --hda"
            )))
        }
        MediaKind::HardDisk if len == 0 || len % 512 != 0 => {
            return Err(bad(format!(
                "{len} bytes is not a whole number of 512-byte sectors; \
                 pad it (truncate -s) or check it is a raw image"
            )))
        }
        MediaKind::HardDisk if len > (1 << 41) => {
            return Err(bad(
                "larger than 2 TiB, the most a disk here can hold".into()
            ))
        }
        MediaKind::CdRom if len == 0 || len % 2048 != 0 => {
            return Err(bad(format!(
                "{len} bytes is not a whole number of 2048-byte CD sectors; \
                 give an ISO 9660 image"
            )))
        }
        _ => {}
    }
    let mut writable = !image.read_only && !image.snapshot && image.kind != MediaKind::CdRom;
    let mut fallback = false;
    let file = match OpenOptions::new().read(true).write(writable).open(p) {
        Ok(f) => f,
        Err(e)
            if writable
                && matches!(
                    e.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                ) =>
        {
            writable = false;
            fallback = true;
            OpenOptions::new().read(true).open(p).map_err(io)?
        }
        Err(e) => return Err(io(e)),
    };
    let locked = if writable {
        file.try_lock()
    } else {
        file.try_lock_shared()
    };
    if let Err(e) = locked {
        return Err(match e {
            std::fs::TryLockError::WouldBlock => bad(
                "already in use by another oxbox (or another program holds a lock on it); \
                 close that one first, or give each its own copy"
                    .into(),
            ),
            std::fs::TryLockError::Error(e) => io(e),
        });
    }
    let file = Arc::new(file);
    let name = Arc::new(p.clone());
    Ok(if image.snapshot || fallback {
        Box::new(OverlayStore {
            base: file,
            len,
            blocks: HashMap::new(),
            fallback: fallback.then_some(name),
        })
    } else {
        Box::new(FileStore {
            file,
            len,
            writable,
            refused: (!writable && image.kind != MediaKind::CdRom).then_some(name),
        })
    })
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn temp(name: &str, bytes: &[u8]) -> PathBuf {
        let p = std::env::temp_dir().join(format!("oxbox-disk-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).expect("temp image");
        p
    }

    #[test]
    fn overlay_keeps_writes_in_memory() {
        let p = temp("ov.img", &vec![7u8; 4096]);
        let img = DiskImage {
            path: p.clone(),
            kind: MediaKind::HardDisk,
            snapshot: true,
            read_only: false,
        };
        let mut s = open(&img).expect("opens");
        s.write_at(510, &[1, 2, 3, 4]).expect("write");
        let mut buf = [0u8; 6];
        s.read_at(509, &mut buf).expect("read");
        assert_eq!(buf, [7, 1, 2, 3, 4, 7]);
        let mut clone = s.box_clone();
        s.write_at(0, &[9]).expect("write");
        let mut b = [0u8; 1];
        clone.read_at(0, &mut b).expect("read");
        assert_eq!(b[0], 7, "a clone is an independent snapshot");
        assert_eq!(
            std::fs::read(&p).expect("file")[510],
            7,
            "the file is untouched"
        );
        assert_eq!(s.write_at(4095, &[0, 0]), Err(BlockError::OutOfRange));
        let _ = std::fs::remove_file(p);
    }

    #[test]
    fn file_store_writes_through() {
        let p = temp("wt.img", &vec![0u8; 1024]);
        let img = DiskImage {
            path: p.clone(),
            kind: MediaKind::HardDisk,
            snapshot: false,
            read_only: false,
        };
        let mut s = open(&img).expect("opens");
        s.write_at(600, b"hi").expect("write");
        s.flush().expect("flush");
        assert_eq!(&std::fs::read(&p).expect("file")[600..602], b"hi");
        let _ = std::fs::remove_file(p);
    }

    #[test]
    fn an_image_in_use_is_refused() {
        let p = temp("lock.img", &[0u8; 1024]);
        let img = |snapshot| DiskImage {
            path: p.clone(),
            kind: MediaKind::HardDisk,
            snapshot,
            read_only: false,
        };
        let writer = open(&img(false)).expect("first opens");
        for snapshot in [false, true] {
            let e = open(&img(snapshot)).err().map(|e| e.to_string());
            assert!(
                e.as_deref()
                    .unwrap_or("")
                    .contains("already in use by another oxbox"),
                "{e:?}"
            );
        }
        drop(writer);
        // Readers (snapshot) share; a writer is refused while they run.
        let a = open(&img(true)).expect("reader");
        let b = open(&img(true)).expect("second reader");
        assert!(open(&img(false)).is_err());
        drop((a, b));
        assert!(
            open(&img(false)).is_ok(),
            "the lock goes with the last user"
        );
        let _ = std::fs::remove_file(p);
    }

    #[test]
    fn bad_images_are_clear_errors() {
        let p = temp("odd.img", &[0u8; 1000]);
        let e = open(&DiskImage {
            path: p.clone(),
            kind: MediaKind::HardDisk,
            snapshot: false,
            read_only: false,
        });
        assert!(e
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("512-byte sectors"));
        let e = open(&DiskImage {
            path: p.clone(),
            kind: MediaKind::Floppy,
            snapshot: false,
            read_only: false,
        });
        assert!(e
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("not a floppy size"));
        let _ = std::fs::remove_file(p);
        let e = open(&DiskImage {
            path: "/nonexistent.img".into(),
            kind: MediaKind::HardDisk,
            snapshot: true,
            read_only: false,
        });
        assert!(e
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .starts_with("cannot open /nonexistent.img"));
        assert_eq!(guess_kind(Path::new("x.ISO"), 2048), MediaKind::CdRom);
        assert_eq!(
            guess_kind(Path::new("fd.img"), 1_474_560),
            MediaKind::Floppy
        );
        assert_eq!(
            guess_kind(Path::new("hd.img"), 33_546_240),
            MediaKind::HardDisk
        );
    }
}
