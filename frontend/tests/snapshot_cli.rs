//! `--save-snapshot` / `--load-snapshot`: a run cut in two through a
//! snapshot file prints exactly what the uncut run prints.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn oxbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oxbox"))
        .args(args)
        .output()
        .expect("oxbox runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oxbox-snapcli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn a_run_split_by_a_snapshot_file_prints_the_same() {
    // F000:0000: mov al,'0' / l: out 0E9h,al / inc al / jmp l
    let mut rom = vec![0xF4u8; 0x10000];
    rom[..8].copy_from_slice(&[0xB0, 0x30, 0xE6, 0xE9, 0xFE, 0xC0, 0xEB, 0xFA]);
    rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0x00, 0x00, 0xF0]);
    let rom_path = scratch("loop.rom");
    std::fs::write(&rom_path, &rom).unwrap();
    let rom_arg = rom_path.to_str().unwrap();
    let snap = scratch("half.oxsnap");
    let snap_arg = snap.to_str().unwrap();

    let whole = oxbox(&["--rom", rom_arg, "--max-instructions", "3002"]);
    assert_eq!(whole.status.code(), Some(125));
    // Two instructions to start, then 3 per byte.
    assert_eq!(whole.stdout.len(), 1000);

    let first = oxbox(&[
        "--rom",
        rom_arg,
        "--max-instructions",
        "1502",
        "--save-snapshot",
        snap_arg,
    ]);
    assert_eq!(
        first.status.code(),
        Some(125),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = oxbox(&[
        "--rom",
        rom_arg,
        "--max-instructions",
        "3002",
        "--load-snapshot",
        snap_arg,
    ]);
    assert_eq!(
        second.status.code(),
        Some(125),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let mut joined = first.stdout.clone();
    joined.extend_from_slice(&second.stdout);
    assert_eq!(joined, whole.stdout);
    assert_eq!(first.stdout.len(), 500);

    // Another machine (more RAM) or a damaged file: a one-line error, status 2.
    let other = oxbox(&["--rom", rom_arg, "-m", "32", "--load-snapshot", snap_arg]);
    assert_eq!(other.status.code(), Some(2));
    let err = String::from_utf8_lossy(&other.stderr);
    assert!(
        err.contains("another machine configuration") && err.contains("RAM size"),
        "{err}"
    );
    let mut bytes = std::fs::read(&snap).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&snap, &bytes).unwrap();
    let bad = oxbox(&["--rom", rom_arg, "--load-snapshot", snap_arg]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("truncated"));
    let _ = std::fs::remove_dir_all(snap.parent().unwrap());
}
