//! Byte-addressed storage behind a disk controller.
//!
//! The devices never open files: the machine opens a disk image (or builds
//! an overlay for `--snapshot`) and hands the controller a
//! `Box<dyn BlockStore + Send>`. Disk I/O is not on the CPU's hot path, so
//! one dynamic call per sector is fine.
//!
//! **Snapshots.** A device must be `Clone`, so a store can clone itself with
//! [`BlockStore::box_clone`]. What a clone shares is the store's choice:
//! [`MemStore`] copies its bytes, so the clone is a complete, independent
//! snapshot; a store backed by a host file may hand out a second handle to
//! the same file, in which case the machine snapshots the disk contents
//! itself (for instance with a copy-on-write overlay) and the device clone
//! only captures the controller's state.
//!
//! **Errors** are values. A controller turns them into the error bits of its
//! status registers; nothing a store returns may make a device panic.

use std::fmt;

/// Why a [`BlockStore`] access failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockError {
    /// The range is not inside the store.
    OutOfRange,
    /// The store refuses writes.
    ReadOnly,
    /// The host failed the access.
    Io(std::io::ErrorKind),
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockError::OutOfRange => f.write_str("access past the end of the disk image"),
            BlockError::ReadOnly => f.write_str("the disk image is read-only"),
            BlockError::Io(kind) => write!(f, "disk image I/O error: {kind}"),
        }
    }
}

impl std::error::Error for BlockError {}

impl From<std::io::Error> for BlockError {
    fn from(e: std::io::Error) -> Self {
        BlockError::Io(e.kind())
    }
}

/// Storage a disk controller reads and writes, addressed in bytes.
pub trait BlockStore: Send {
    /// Size in bytes.
    fn len(&self) -> u64;

    /// Whether the store holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` from `offset`. A range that does not fit is
    /// [`BlockError::OutOfRange`] and leaves `buf` unspecified.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), BlockError>;

    /// Writes `buf` at `offset`. A range that does not fit is
    /// [`BlockError::OutOfRange`]; nothing is written then.
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), BlockError>;

    /// Pushes buffered writes to the host (a no-op in memory).
    fn flush(&mut self) -> Result<(), BlockError>;

    /// A store for a snapshot of the device holding this one (see the
    /// module documentation for what it must share).
    fn box_clone(&self) -> Box<dyn BlockStore + Send>;
}

impl Clone for Box<dyn BlockStore + Send> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

impl fmt::Debug for dyn BlockStore + Send {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlockStore({} bytes)", self.len())
    }
}

/// The byte range `offset..offset + len` as indices into a store of
/// `size` bytes, if it fits.
pub fn checked_range(offset: u64, len: usize, size: u64) -> Option<std::ops::Range<usize>> {
    let end = offset.checked_add(u64::try_from(len).ok()?)?;
    if end > size {
        return None;
    }
    Some(usize::try_from(offset).ok()?..usize::try_from(end).ok()?)
}

/// A disk held in memory: for tests, for `--snapshot` overlays of small
/// images, and for images built on the fly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemStore(pub Vec<u8>);

impl MemStore {
    /// A store of `len` zero bytes.
    pub fn zeroed(len: usize) -> Self {
        MemStore(vec![0; len])
    }

    /// The bytes, giving up the store.
    pub fn into_inner(self) -> Vec<u8> {
        self.0
    }
}

impl BlockStore for MemStore {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        let r = checked_range(offset, buf.len(), self.len()).ok_or(BlockError::OutOfRange)?;
        buf.copy_from_slice(&self.0[r]);
        Ok(())
    }

    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), BlockError> {
        let r = checked_range(offset, buf.len(), self.len()).ok_or(BlockError::OutOfRange)?;
        self.0[r].copy_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), BlockError> {
        Ok(())
    }

    fn box_clone(&self) -> Box<dyn BlockStore + Send> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_store_reads_writes_and_bounds() {
        let mut s = MemStore::zeroed(1024);
        assert_eq!(s.len(), 1024);
        assert!(!s.is_empty());
        assert_eq!(s.write_at(510, &[0x55, 0xAA]), Ok(()));
        let mut b = [0u8; 4];
        assert_eq!(s.read_at(508, &mut b), Ok(()));
        assert_eq!(b, [0, 0, 0x55, 0xAA]);
        assert_eq!(s.read_at(1022, &mut b), Err(BlockError::OutOfRange));
        assert_eq!(s.write_at(u64::MAX, &b), Err(BlockError::OutOfRange));
        assert_eq!(s.read_at(1020, &mut b), Ok(()));
        assert_eq!(s.flush(), Ok(()));
    }

    #[test]
    fn boxed_clone_is_a_snapshot() {
        let mut a: Box<dyn BlockStore + Send> = Box::new(MemStore(vec![1, 2, 3]));
        let mut b = a.clone();
        assert_eq!(a.write_at(0, &[9]), Ok(()));
        let mut x = [0u8; 1];
        assert_eq!(b.read_at(0, &mut x), Ok(()));
        assert_eq!(x, [1], "the clone kept the old contents");
        assert_eq!(format!("{b:?}"), "BlockStore(3 bytes)");
        assert_eq!(
            BlockError::from(std::io::Error::from(std::io::ErrorKind::NotFound)),
            BlockError::Io(std::io::ErrorKind::NotFound)
        );
    }
}
