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

    /// The contents this store keeps privately, for a snapshot file: the
    /// extents (offset, bytes) that differ from the host's copy. `None`
    /// for a store that writes through to the host, whose contents are
    /// not part of a snapshot.
    fn overlay(&self) -> Option<Vec<(u64, Vec<u8>)>> {
        None
    }

    /// Replaces the private contents with extents saved by
    /// [`BlockStore::overlay`] of a store like this one.
    fn set_overlay(&mut self, _extents: &[(u64, Vec<u8>)]) -> Result<(), BlockError> {
        Err(BlockError::ReadOnly)
    }

    /// Whether this is a [`Detached`] stand-in.
    fn is_detached(&self) -> bool {
        false
    }
}

/// A stand-in for a store in a device read back from a snapshot file: it
/// only knows the size. The machine swaps the real store in
/// ([`adopt_store`]); until then every access fails.
#[derive(Clone, Debug)]
pub struct Detached(pub u64);

impl BlockStore for Detached {
    fn len(&self) -> u64 {
        self.0
    }
    fn read_at(&mut self, _offset: u64, _buf: &mut [u8]) -> Result<(), BlockError> {
        Err(BlockError::Io(std::io::ErrorKind::NotConnected))
    }
    fn write_at(&mut self, _offset: u64, _buf: &[u8]) -> Result<(), BlockError> {
        Err(BlockError::Io(std::io::ErrorKind::NotConnected))
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        Ok(())
    }
    fn box_clone(&self) -> Box<dyn BlockStore + Send> {
        Box::new(self.clone())
    }
    fn is_detached(&self) -> bool {
        true
    }
}

/// Puts the live store `live` where a [`Detached`] stand-in of the same
/// size sits; `Err(OutOfRange)` if the sizes differ (another disk).
pub fn adopt_store(
    slot: &mut Box<dyn BlockStore + Send>,
    live: &mut Box<dyn BlockStore + Send>,
) -> Result<(), BlockError> {
    if slot.len() != live.len() {
        return Err(BlockError::OutOfRange);
    }
    std::mem::swap(slot, live);
    Ok(())
}

/// Serde for a store field: only its size is written; reading gives a
/// [`Detached`] stand-in.
pub(crate) mod detached {
    use super::{BlockStore, Detached};
    use serde::{Deserialize, Deserializer, Serializer};

    // serde's `with` hands over a reference to the field's own type.
    #[allow(clippy::borrowed_box)]
    pub fn serialize<S: Serializer>(
        store: &Box<dyn BlockStore + Send>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(store.len())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Box<dyn BlockStore + Send>, D::Error> {
        Ok(Box::new(Detached(u64::deserialize(d)?)))
    }
}

/// [`detached`] for an optional store (a CD-ROM drive's medium).
pub(crate) mod detached_opt {
    use super::{BlockStore, Detached};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        store: &Option<Box<dyn BlockStore + Send>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        store.as_ref().map(|st| st.len()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Box<dyn BlockStore + Send>>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?
            .map(|len| Box::new(Detached(len)) as Box<dyn BlockStore + Send>))
    }
}

/// Serde for a large, mostly zero byte buffer (video memory): its length,
/// then the 4 KiB pages that are not all zero as (index, bytes).
pub(crate) mod sparse_bytes {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    const PAGE: usize = 4096;

    #[derive(Serialize, Deserialize)]
    struct Sparse<'a> {
        len: u64,
        #[serde(borrow)]
        pages: Vec<(u64, &'a [u8])>,
    }

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let pages = v
            .chunks(PAGE)
            .enumerate()
            .filter(|(_, c)| c.iter().any(|&b| b != 0))
            .map(|(i, c)| (i as u64, c))
            .collect();
        Sparse {
            len: v.len() as u64,
            pages,
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let sp = Sparse::deserialize(d)?;
        // Video memory is at most 256 MiB; refuse more before allocating.
        if sp.len > 256 << 20 {
            return Err(D::Error::custom("byte buffer too large"));
        }
        let mut v = vec![0u8; sp.len as usize];
        for (i, bytes) in sp.pages {
            let start = usize::try_from(i)
                .ok()
                .and_then(|i| i.checked_mul(PAGE))
                .filter(|&s| s < v.len() && bytes.len() <= PAGE && s + bytes.len() <= v.len())
                .ok_or_else(|| D::Error::custom("page outside the buffer"))?;
            v[start..start + bytes.len()].copy_from_slice(bytes);
        }
        Ok(v)
    }
}

/// Serde for arrays longer than serde's built-in 32 elements.
pub(crate) mod big_array {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::ser::SerializeTuple;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::marker::PhantomData;

    pub fn serialize<S: Serializer, T: Serialize, const N: usize>(
        a: &[T; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(N)?;
        for v in a {
            t.serialize_element(v)?;
        }
        t.end()
    }

    struct ArrayVisitor<T, const N: usize>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for ArrayVisitor<T, N> {
        type Value = [T; N];
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "an array of {N} elements")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<[T; N], A::Error> {
            let mut v = Vec::with_capacity(N);
            for i in 0..N {
                v.push(
                    seq.next_element()?
                        .ok_or_else(|| A::Error::invalid_length(i, &self))?,
                );
            }
            v.try_into().map_err(|_| A::Error::invalid_length(N, &self))
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>, const N: usize>(
        d: D,
    ) -> Result<[T; N], D::Error> {
        d.deserialize_tuple(N, ArrayVisitor::<T, N>(PhantomData))
    }
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

    /// A store in memory has no host copy: all of it is private.
    fn overlay(&self) -> Option<Vec<(u64, Vec<u8>)>> {
        Some(vec![(0, self.0.clone())])
    }

    fn set_overlay(&mut self, extents: &[(u64, Vec<u8>)]) -> Result<(), BlockError> {
        for (off, bytes) in extents {
            checked_range(*off, bytes.len(), self.len()).ok_or(BlockError::OutOfRange)?;
        }
        for (off, bytes) in extents {
            self.write_at(*off, bytes)?;
        }
        Ok(())
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
