//! Issue 9: bad input, data safety and hangs, through the real binary.
//! The bad-input rows mirror the table in docs/robustness.md: each is a
//! test that wants exit status 2 and one `oxbox:` line naming the problem
//! and what to do (clap's usage errors: an `error:` line).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_oxbox");

/// Test files, made once per run.
struct Files {
    dir: PathBuf,
}

impl Files {
    fn p(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

/// A 64 KiB ROM: `code` at F000:0000, HLT elsewhere, a far jump there at
/// the reset vector.
fn rom(code: &[u8]) -> Vec<u8> {
    let mut rom = vec![0xF4u8; 0x10000];
    rom[..code.len()].copy_from_slice(code);
    rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0x00, 0x00, 0xF0]);
    rom
}

/// A bzImage header: boot protocol `version`, `setup` setup sectors, `len` bytes.
fn bzimage(version: u16, setup: u8, len: usize) -> Vec<u8> {
    let mut k = vec![0u8; len];
    k[0x1F1] = setup;
    k[0x1FE..0x200].copy_from_slice(&[0x55, 0xAA]);
    k[0x201] = 0x6A;
    k[0x202..0x206].copy_from_slice(b"HdrS");
    k[0x206..0x208].copy_from_slice(&version.to_le_bytes());
    k[0x211] = 1;
    k[0x22C..0x230].copy_from_slice(&0x37FF_FFFFu32.to_le_bytes());
    k[0x238..0x23C].copy_from_slice(&2048u32.to_le_bytes());
    k
}

fn files() -> &'static Files {
    static F: OnceLock<Files> = OnceLock::new();
    F.get_or_init(|| {
        // Earlier runs' fixtures (their process is gone) are removed first.
        if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("oxbox-robust-") {
                    if !Path::new("/proc").join(pid).exists() {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let dir = std::env::temp_dir().join(format!("oxbox-robust-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("adir")).unwrap();
        let w = |n: &str, b: &[u8]| std::fs::write(dir.join(n), b).unwrap();
        w("empty", &[]);
        w("junk", &[0x5A; 100]);
        w("odd1000", &[0; 1000]);
        w("odd10000", &[0; 10000]);
        w("floppy3m", &vec![0; 3_000_000]);
        w("big.rom", &vec![0xF4; 300_000]);
        w("hlt.rom", &rom(&[0xFA, 0xF4]));
        w("k2m", &vec![0; 2_000_000]);
        w("bz-old", &bzimage(0x0200, 4, 0x2000));
        // Setup code and header, but nothing after them.
        w("bz-trunc", &bzimage(0x020F, 7, 0x1000));
        w("bz", &bzimage(0x020F, 4, 0x2000));
        w("cd.iso", &[0; 2048]);
        w("initrd3m", &vec![0; 3 << 20]);
        // A Multiboot a.out-kludge header whose load_end lies past the file.
        let mut mb = vec![0u8; 256];
        let flags = 0x1_0000u32;
        for (i, v) in [
            0x1BAD_B002u32,
            flags,
            0u32.wrapping_sub(0x1BAD_B002).wrapping_sub(flags),
            0x10_0000,
            0x10_0000,
            0x20_0000,
            0,
            0x10_0000,
        ]
        .iter()
        .enumerate()
        {
            mb[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        w("mb-trunc", &mb);
        // A 3 TiB sparse file: larger than any disk here.
        let f = std::fs::File::create(dir.join("huge3t")).unwrap();
        f.set_len(3 << 40).unwrap();
        // A socket: it exists, but no one (not even root) can open it.
        let _ = std::os::unix::net::UnixListener::bind(dir.join("sock")).unwrap();
        Files { dir }
    })
}

fn run(args: &[String]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("oxbox runs")
}

/// Runs with `args` (`@name` is a test file) and checks the contract: exit
/// status 2, no panic, and a first line that contains `want`.
fn bad(args: &[&str], want: &str) {
    let f = files();
    let args: Vec<String> = args
        .iter()
        .map(|a| match a.strip_prefix('@') {
            Some(n) => f.p(n),
            None => a.to_string(),
        })
        .collect();
    let o = run(&args);
    let e = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
    assert!(!e.contains("panicked"), "{e}");
    let first = e.lines().next().unwrap_or("");
    assert!(
        first.contains(want),
        "{args:?}: wanted {want:?} in {first:?}"
    );
    if first.starts_with("oxbox: ") {
        assert_eq!(e.lines().count(), 1, "one line: {e}");
    } else {
        assert!(first.starts_with("error: "), "{e}");
    }
}

macro_rules! rows {
    ($($name:ident: [$($a:expr),*] => $want:expr;)*) => {
        $(#[test] fn $name() { bad(&[$($a),*], $want); })*
    };
}

rows! {
    rom_missing: ["--headless", "--rom", "/nonexistent/x.rom"] => "No such file or directory (os error 2); check the path";
    rom_directory: ["--headless", "--rom", "@adir"] => "is a directory; give a file";
    rom_unreadable: ["--headless", "--rom", "@sock"] => "is not a regular file (a device, pipe or socket); give a file";
    rom_empty: ["--headless", "--rom", "@empty"] => "is empty; give a BIOS or ROM image";
    rom_oversized: ["--headless", "--rom", "@big.rom"] => "holds at most 131072 bytes (give a 64 or 128 KiB BIOS image)";
    bios_missing: ["--headless", "--bios", "/nonexistent/bios.bin"] => "check the path";
    bios_directory: ["--headless", "--bios", "@adir"] => "is a directory; give a file";
    bios_empty: ["--headless", "--bios", "@empty"] => "is empty";
    bios_oversized: ["--headless", "--bios", "@big.rom"] => "holds at most 131072 bytes";
    vga_bios_missing: ["--headless", "--rom", "@hlt.rom", "--vga-bios", "/nonexistent/vga.bin"] => "check the path";
    vga_bios_directory: ["--headless", "--rom", "@hlt.rom", "--vga-bios", "@adir"] => "VGA BIOS";
    vga_bios_unreadable: ["--headless", "--rom", "@hlt.rom", "--vga-bios", "@sock"] => "is not a regular file";
    vga_bios_empty: ["--headless", "--rom", "@hlt.rom", "--vga-bios", "@empty"] => "is empty; give a VGA BIOS image";
    vga_bios_oversized: ["--headless", "--rom", "@hlt.rom", "--vga-bios", "@big.rom"] => "more than the 131072 bytes that fit";
    floppy_missing: ["--headless", "--rom", "@hlt.rom", "--fda", "/nonexistent/fd.img"] => "check the path";
    floppy_directory: ["--headless", "--rom", "@hlt.rom", "--fda", "@adir"] => "is a directory; give a file";
    floppy_unreadable: ["--headless", "--rom", "@hlt.rom", "--fda", "@sock"] => "is not a regular file";
    floppy_empty: ["--headless", "--rom", "@hlt.rom", "--fda", "@empty"] => "0 bytes is not a floppy size";
    floppy_truncated: ["--headless", "--rom", "@hlt.rom", "--fda", "@odd1000"] => "1000 bytes is not a floppy size";
    floppy_oversized: ["--headless", "--rom", "@hlt.rom", "--fda", "@floppy3m"] => "or attach it with --hda";
    disk_missing: ["--headless", "--rom", "@hlt.rom", "--hda", "/nonexistent/hd.img"] => "check the path";
    disk_directory: ["--headless", "--rom", "@hlt.rom", "--hda", "@adir"] => "is a directory; give a file";
    disk_unreadable: ["--headless", "--rom", "@hlt.rom", "--hda", "@sock"] => "is not a regular file";
    disk_empty: ["--headless", "--rom", "@hlt.rom", "--hda", "@empty"] => "0 bytes is not a whole number of 512-byte sectors";
    disk_truncated: ["--headless", "--rom", "@hlt.rom", "--hda", "@odd1000"] => "pad it (truncate -s)";
    disk_oversized: ["--headless", "--rom", "@hlt.rom", "--hda", "@huge3t"] => "larger than 2 TiB";
    iso_missing: ["--headless", "--rom", "@hlt.rom", "--cdrom", "/nonexistent/cd.iso"] => "check the path";
    iso_directory: ["--headless", "--rom", "@hlt.rom", "--cdrom", "@adir"] => "is a directory; give a file";
    iso_empty: ["--headless", "--rom", "@hlt.rom", "--cdrom", "@empty"] => "not a whole number of 2048-byte CD sectors";
    iso_truncated: ["--headless", "--rom", "@hlt.rom", "--cdrom", "@odd10000"] => "give an ISO 9660 image";
    positional_directory: ["--headless", "@adir"] => "is a directory; give a file";
    kernel_missing: ["--headless", "--kernel", "/nonexistent/vmlinuz"] => "check the path";
    kernel_directory: ["--headless", "--kernel", "@adir"] => "is a directory; give a file";
    kernel_unreadable: ["--headless", "--kernel", "@sock"] => "is not a regular file";
    kernel_empty: ["--headless", "--kernel", "@empty"] => "neither a Linux bzImage (no HdrS header) nor a Multiboot kernel";
    kernel_wrong_format: ["--headless", "--kernel", "@junk"] => "neither a Linux bzImage";
    kernel_too_old: ["--headless", "--kernel", "@bz-old"] => "boot protocol 2.00 is too old (need 2.04+)";
    kernel_truncated: ["--headless", "--kernel", "@bz-trunc"] => "truncated: no protected-mode kernel";
    kernel_oversized: ["--headless", "-m", "1", "--kernel", "@k2m"] => "more than the 1048576 bytes that fit; give more RAM with -m";
    multiboot_truncated: ["--headless", "--kernel", "@mb-trunc"] => "Multiboot image is shorter than its header says";
    initrd_missing: ["--headless", "--kernel", "@bz", "--initrd", "/nonexistent/initrd"] => "check the path";
    initrd_directory: ["--headless", "--kernel", "@bz", "--initrd", "@adir"] => "is a directory; give a file";
    initrd_unreadable: ["--headless", "--kernel", "@bz", "--initrd", "@sock"] => "is not a regular file";
    initrd_oversized: ["--headless", "-m", "2", "--kernel", "@bz", "--initrd", "@initrd3m"] => "initrd";
    initrd_without_kernel: ["--headless", "--rom", "@hlt.rom", "--initrd", "@junk"] => "--initrd needs --kernel";
    memory_zero: ["--headless", "--rom", "@hlt.rom", "-m", "0"] => "0 is not in 1..=3072";
    memory_too_large: ["--headless", "--rom", "@hlt.rom", "-m", "4096"] => "4096 is not in 1..=3072";
    rom_and_bios: ["--headless", "--rom", "@hlt.rom", "--bios", "@hlt.rom"] => "cannot be used with";
    hdc_and_cdrom: ["--headless", "--rom", "@hlt.rom", "--hdc", "@odd1000", "--cdrom", "@odd10000"] => "cannot be used with";
    image_and_its_drive: ["--headless", "--rom", "@hlt.rom", "--cdrom", "@cd.iso", "@cd.iso"] => "would go in a drive that already has an image";
    bad_boot_order: ["--headless", "--rom", "@hlt.rom", "--boot", "x"] => "use the letters a (floppy), c (hard disk) and d (CD-ROM)";
    serial_to_a_directory: ["--headless", "--rom", "@hlt.rom", "--serial", "@adir"] => "give a writable file name, stdout, stderr or none";
    gdb_without_guest: ["--gdb", "0"] => "--gdb needs a guest";
}

/// `-m` more than the host gives (an address-space limit): one line, no abort.
#[test]
fn memory_beyond_what_the_host_allows() {
    let f = files();
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 1000000 && exec {BIN} --headless --rom {} -m 3000",
            f.p("hlt.rom")
        ))
        .output()
        .expect("sh runs");
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(
        e.trim_end(),
        "oxbox: cannot get 3000 MiB of guest RAM from the host; give less with -m"
    );
}

/// A file the user may not read (mode 000, read as user 65534 when the
/// tests run as root): the permission error and what to do.
#[test]
fn unreadable_file_names_the_permission_problem() {
    use std::os::unix::fs::PermissionsExt;
    let dir = files().dir.join("perm");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&files().dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let p = dir.join("secret.rom");
    std::fs::write(&p, rom(&[0xFA, 0xF4])).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    let o = run_unprivileged(&["--headless".into(), "--rom".into(), p.display().to_string()]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(
        e.trim_end(),
        format!(
            "oxbox: cannot open {}: Permission denied (os error 13); check the file's permissions",
            p.display()
        )
    );
}

// ---- Data safety ----------------------------------------------------------

/// A ROM that writes LBA 0 of the primary master with ATA PIO (256 words
/// of "OXBOX-SECTOR-16B"), prints 'W' on port E9h and spins. Assembled
/// from the listing in docs/robustness.md.
fn writer_rom() -> Vec<u8> {
    let mut code = vec![
        0xfa, 0x0e, 0x1f, 0xba, 0xf6, 0x01, 0xb0, 0xe0, 0xee, 0xba, 0xf2, 0x01, 0xb0, 0x01, 0xee,
        0x30, 0xc0, 0xba, 0xf3, 0x01, 0xee, 0x42, 0xee, 0x42, 0xee, 0xba, 0xf7, 0x01, 0xb0, 0x30,
        0xee, 0xec, 0xa8, 0x08, 0x74, 0xfb, 0xb9, 0x00, 0x01, 0xba, 0xf0, 0x01, 0xbe, 0x40, 0x00,
        0xf3, 0x6f, 0xba, 0xf7, 0x01, 0xec, 0xa8, 0x80, 0x75, 0xfb, 0xb0, 0x57, 0xe6, 0xe9, 0xeb,
        0xfe, 0x90, 0x90, 0x90,
    ];
    assert_eq!(code.len(), 0x40);
    for _ in 0..32 {
        code.extend_from_slice(b"OXBOX-SECTOR-16B");
    }
    rom(&code)
}

fn sector() -> Vec<u8> {
    b"OXBOX-SECTOR-16B".repeat(32)
}

/// A fresh 1 MiB zeroed disk image and the writer ROM in a scratch dir.
fn disk_setup(name: &str) -> (PathBuf, PathBuf) {
    let dir = files().dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let rom = dir.join("w.rom");
    std::fs::write(&rom, writer_rom()).unwrap();
    let img = dir.join("hd.img");
    std::fs::write(&img, vec![0u8; 1 << 20]).unwrap();
    (rom, img)
}

fn args(rom: &Path, img: &Path, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["--headless", "--rom"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.push(rom.display().to_string());
    v.push("--hda".into());
    v.push(img.display().to_string());
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

#[test]
fn guest_writes_reach_the_image() {
    let (rom, img) = disk_setup("write");
    let o = run(&args(&rom, &img, &["--until", "W"]));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let data = std::fs::read(&img).unwrap();
    assert_eq!(&data[..512], &sector()[..]);
    assert!(data[512..].iter().all(|&b| b == 0));
}

#[test]
fn snapshot_never_writes_the_image() {
    let (rom, img) = disk_setup("snapshot");
    let before = std::fs::read(&img).unwrap();
    let o = run(&args(&rom, &img, &["--until", "W", "--snapshot"]));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read(&img).unwrap(), before, "byte-identical");
}

/// Starts the writer on `img` and waits until it has written its sector.
fn start_writer(rom: &Path, img: &Path) -> std::process::Child {
    let mut child = Command::new(BIN)
        .args(args(rom, img, &[]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("oxbox starts");
    let mut b = [0u8; 1];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut b)
        .expect("the guest says W");
    assert_eq!(&b, b"W");
    child
}

fn signal(child: &std::process::Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok);
}

#[test]
fn sigterm_flushes_and_a_second_oxbox_is_refused() {
    let (rom, img) = disk_setup("sigterm");
    let first = start_writer(&rom, &img);
    // The image is locked while the first one runs, with or without --snapshot.
    for extra in [&[][..], &["--snapshot"][..]] {
        let o = run(&args(&rom, &img, extra));
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.contains("already in use by another oxbox"), "{e}");
    }
    signal(&first, "-TERM");
    let o = first.wait_with_output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(128 + 15), "{e}");
    assert!(
        e.contains("stopped by SIGTERM") && e.contains("disk images flushed"),
        "{e}"
    );
    assert_eq!(&std::fs::read(&img).unwrap()[..512], &sector()[..]);
}

#[test]
fn sigint_flushes_and_exits_130() {
    let (rom, img) = disk_setup("sigint");
    let first = start_writer(&rom, &img);
    signal(&first, "-INT");
    let o = first.wait_with_output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(128 + 2), "{e}");
    assert!(e.contains("stopped by SIGINT"), "{e}");
    assert_eq!(&std::fs::read(&img).unwrap()[..512], &sector()[..]);
}

/// Runs oxbox as a user that cannot write root's files when we are root
/// (root may write a mode-0444 file), as ourselves otherwise.
fn run_unprivileged(args: &[String]) -> Output {
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
        c
    } else {
        Command::new(BIN)
    };
    cmd.args(args).output().expect("oxbox runs")
}

fn read_only_image(name: &str) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let (rom, img) = disk_setup(name);
    for p in [&files().dir, &img.parent().unwrap().to_path_buf()] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&img, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&rom, std::fs::Permissions::from_mode(0o444)).unwrap();
    (rom, img)
}

#[test]
fn read_only_image_keeps_guest_writes_in_memory_by_default() {
    let (rom, img) = read_only_image("ro-overlay");
    let o = run_unprivileged(&args(&rom, &img, &["--until", "W"]));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert!(
        e.contains("the image file is read-only; the guest's writes are kept in memory"),
        "{e}"
    );
    assert!(std::fs::read(&img).unwrap().iter().all(|&b| b == 0));
}

#[test]
fn read_only_image_refuses_guest_writes_when_asked() {
    let (rom, img) = read_only_image("ro-refuse");
    let o = run_unprivileged(&args(
        &rom,
        &img,
        &["--until", "W", "--read-only-images", "refuse"],
    ));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert!(
        e.contains("the guest wrote to this read-only image; the write was refused"),
        "{e}"
    );
    assert!(std::fs::read(&img).unwrap().iter().all(|&b| b == 0));
}

// ---- Hangs ----------------------------------------------------------------

#[test]
fn a_spinning_guest_ends_at_the_timeout_with_status_124() {
    let f = files();
    let spin = f.dir.join("spin.rom");
    std::fs::write(&spin, rom(&[0xEB, 0xFE])).unwrap();
    let o = run(&[
        "--headless".into(),
        "--rom".into(),
        spin.display().to_string(),
        "--timeout".into(),
        "0.5".into(),
    ]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(124), "{e}");
    assert!(e.starts_with("oxbox: timeout after "), "{e}");
    assert!(
        e.contains("the guest did not finish (raise --timeout"),
        "{e}"
    );
}

#[test]
fn a_huge_rep_movs_still_ends_at_the_timeout() {
    // mov ecx,0xFFFFFFFF; a32 rep movsb (4 G iterations: minutes of work
    // inside one instruction before REPs were split into chunks).
    let f = files();
    let p = f.dir.join("rep.rom");
    std::fs::write(
        &p,
        rom(&[
            0x66, 0xB9, 0xFF, 0xFF, 0xFF, 0xFF, 0x67, 0xF3, 0xA4, 0xEB, 0xFE,
        ]),
    )
    .unwrap();
    let o = run(&[
        "--headless".into(),
        "--rom".into(),
        p.display().to_string(),
        "--timeout".into(),
        "0.5".into(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(124),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn cli_hlt_stops_at_once_with_a_message() {
    // Nothing can wake a CPU halted with interrupts off: the run ends
    // there, with its own status (4), instead of waiting for --timeout.
    let o = run(&[
        "--headless".into(),
        "--rom".into(),
        files().p("hlt.rom"),
        "--timeout".into(),
        "600".into(),
    ]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{e}");
    assert_eq!(
        e.trim_end(),
        "oxbox: CPU halted with interrupts disabled at f000:00000002"
    );
}

// ---- The window: SIGTERM and the quit shortcut end it cleanly ----------------

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the writer ROM in a window under Xvfb until it has written, then
/// ends it with `end` ("TERM" or the Ctrl+Alt+Q shortcut); returns the exit
/// status and stderr. `None` (skipped, said loudly) without Xvfb/xdotool.
fn window_writer(name: &str, end: &str) -> Option<(Option<i32>, String, PathBuf)> {
    if !have("Xvfb") || !have("xdotool") {
        eprintln!("SKIPPED: needs Xvfb and xdotool");
        return None;
    }
    let (rom, img) = disk_setup(name);
    let xvfb = common::Xvfb::start("800x600x24").expect("Xvfb starts");
    let display = xvfb.display.clone();
    let mut child = Command::new(BIN)
        .args(["--rom".into(), rom.display().to_string()])
        .args(["--hda".into(), img.display().to_string()])
        .env("DISPLAY", &display)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("oxbox starts");
    let mut b = [0u8; 1];
    child.stdout.as_mut().unwrap().read_exact(&mut b).unwrap();
    assert_eq!(&b, b"W");
    if end == "TERM" {
        signal(&child, "-TERM");
    } else {
        let xdo = |args: &[&str]| {
            Command::new("xdotool")
                .args(args)
                .env("DISPLAY", &display)
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default()
        };
        let mut window = String::new();
        for _ in 0..100 {
            window = xdo(&["search", "--name", "^oxbox - "]);
            if !window.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let window = window.lines().next().unwrap_or_default().to_string();
        xdo(&["keydown", "--window", &window, "ctrl", "alt", "q"]);
        std::thread::sleep(std::time::Duration::from_millis(100));
        xdo(&["keyup", "--window", &window, "q", "alt", "ctrl"]);
    }
    let o = child.wait_with_output().unwrap();
    Some((
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        img,
    ))
}

#[test]
fn sigterm_ends_the_window_and_flushes() {
    let Some((code, e, img)) = window_writer("win-term", "TERM") else {
        return;
    };
    assert_eq!(code, Some(128 + 15), "{e}");
    assert!(
        e.contains("oxbox: stopped by SIGTERM; disk images flushed"),
        "{e}"
    );
    assert_eq!(&std::fs::read(&img).unwrap()[..512], &sector()[..]);
}

#[test]
fn closing_the_window_keeps_the_guest_writes() {
    let Some((code, e, img)) = window_writer("win-quit", "Q") else {
        return;
    };
    assert_eq!(code, Some(0), "{e}");
    assert_eq!(&std::fs::read(&img).unwrap()[..512], &sector()[..]);
}

// ---- Containment: the GDB stub listens on loopback only ---------------------

#[test]
fn gdb_stub_listens_on_loopback_only() {
    use std::io::BufRead;
    let mut child = KillOnDrop(
        Command::new(BIN)
            .args([
                "--rom".into(),
                files().p("hlt.rom"),
                "--gdb".into(),
                "0".into(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("oxbox starts"),
    );
    let mut line = String::new();
    std::io::BufReader::new(child.0.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("oxbox: waiting for gdb on 127.0.0.1:")
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap();
    // The host's address on its default route (no packet is sent): the
    // stub must not answer there.
    let outside = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip());
    match outside {
        Ok(ip) if !ip.is_loopback() && !ip.is_unspecified() => {
            let r = std::net::TcpStream::connect_timeout(
                &std::net::SocketAddr::new(ip, port),
                std::time::Duration::from_secs(2),
            );
            assert!(r.is_err(), "the stub answered on {ip}:{port}");
        }
        _ => eprintln!("no non-loopback address here; checked the bind address only"),
    }
}
