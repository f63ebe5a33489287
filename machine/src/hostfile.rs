//! Checks on files the user names (ROMs, kernels, initrds, disk images)
//! before they are read, so a wrong path, a directory, a special file or a
//! file far too large for the guest is one clear error instead of a
//! confusing one later (or a huge allocation).

use std::io;
use std::path::Path;

use crate::Error;

/// What to do about an I/O error, for the one-line messages.
pub fn hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::NotFound => "check the path",
        io::ErrorKind::PermissionDenied => "check the file's permissions",
        io::ErrorKind::IsADirectory => "give a file, not a directory",
        io::ErrorKind::ReadOnlyFilesystem => "use --snapshot to keep writes in memory",
        io::ErrorKind::WouldBlock => "another oxbox (or another program) has it open",
        _ => "check the file",
    }
}

/// The length of a regular file that must exist, be readable and hold at
/// most `max` bytes (`what` names it in messages, e.g. "kernel").
pub fn regular_len(path: &Path, what: &str, max: u64) -> Result<u64, Error> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    if meta.is_dir() {
        return Err(Error::BadConfig(format!(
            "{what} {} is a directory; give a file",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(Error::BadConfig(format!(
            "{what} {} is not a regular file (a device, pipe or socket); give a file",
            path.display()
        )));
    }
    if meta.len() > max {
        return Err(Error::BadConfig(format!(
            "{what} {} is {} bytes, more than the {} bytes that fit; give more RAM with -m \
             or a smaller file",
            path.display(),
            meta.len(),
            max
        )));
    }
    Ok(meta.len())
}

/// Reads a regular file of at most `max` bytes.
pub fn read(path: &Path, what: &str, max: u64) -> Result<Vec<u8>, Error> {
    regular_len(path, what, max)?;
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn directories_sockets_and_large_files_are_named() {
        let dir = std::env::temp_dir().join(format!("oxbox-hostfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = regular_len(&dir, "kernel", 10).unwrap_err().to_string();
        assert!(e.ends_with("is a directory; give a file"), "{e}");
        let sock = dir.join("s");
        let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let e = regular_len(&sock, "ROM", 10).unwrap_err().to_string();
        assert!(e.contains("is not a regular file"), "{e}");
        let f = dir.join("f");
        std::fs::write(&f, [0u8; 11]).unwrap();
        let e = read(&f, "initrd", 10).unwrap_err().to_string();
        assert!(e.contains("is 11 bytes, more than the 10 bytes"), "{e}");
        assert_eq!(read(&f, "initrd", 11).unwrap().len(), 11);
        let e = read(&dir.join("none"), "initrd", 11)
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("(os error 2); check the path"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
