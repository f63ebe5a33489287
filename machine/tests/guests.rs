//! Whole-guest boots from ../shared/guests: FreeDOS through SeaBIOS from a
//! floppy, and the Debian Linux kernel booted directly. Each skips loudly
//! when the guest or the firmware is not on this machine.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use oxbox_machine::{BootDevice, Config, DiskImage, LinuxBoot, Machine, MediaKind, Output, Stop};

fn guests() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/guests")
}

const SEABIOS: &str = "/usr/share/seabios/bios.bin";
const VGABIOS: &str = "/usr/share/seabios/vgabios-stdvga.bin";

fn present(paths: &[&Path]) -> bool {
    let missing: Vec<_> = paths.iter().filter(|p| !p.is_file()).collect();
    if !missing.is_empty() {
        eprintln!("SKIPPED: missing {missing:?} (../shared/guests and the seabios package)");
    }
    missing.is_empty()
}

const BOCHS_BIOS: &str = "/usr/share/bochs/BIOS-bochs-latest";
const LGPL_VGABIOS: &str = "/usr/share/vgabios/vgabios.bin";

/// Boots FreeDOS to its last serial marker; returns the serial output and
/// the instruction count there.
fn boot_freedos() -> Option<(String, u64)> {
    boot_freedos_with(SEABIOS, VGABIOS)
}

fn boot_freedos_with(bios: &str, vga: &str) -> Option<(String, u64)> {
    let image = guests().join("freedos-1.44m-com1.img");
    if !present(&[&image, Path::new(bios), Path::new(vga)]) {
        return None;
    }
    let rom = oxbox_machine::load_rom(Path::new(bios)).expect("BIOS loads");
    let mut config = Config::new(rom);
    config.vga_rom = std::fs::read(vga).expect("VGA BIOS");
    config.floppies[0] = Some(DiskImage {
        path: image,
        kind: MediaKind::Floppy,
        snapshot: true,
        read_only: false,
    });
    config.boot_order = vec![BootDevice::Floppy(0)];
    config.serial.push((0, Output::Capture));
    let mut m = Machine::new(config).expect("machine");
    m.set_stop_marker(Some(b"DOS-DONE"));
    let stop = m.run(1_000_000_000);
    let serial = String::from_utf8_lossy(m.serial_captured(0)).into_owned();
    assert_eq!(
        stop,
        Stop::Marker,
        "FreeDOS did not reach DOS-DONE; serial so far:\n{serial}"
    );
    Some((serial, m.instruction_count()))
}

#[test]
fn freedos_boots_from_floppy_through_seabios() {
    let Some((serial, _)) = boot_freedos() else {
        return;
    };
    for want in [
        "DOS-READY",
        "DOS version 7.10",
        "FreeDOS kernel version 0.0.40",
        "Volume Serial Number is A605-12FC",
        "KERNEL   SYS        45,450  10-19-18 11:26a",
        "COMMAND  COM        66,090  10-19-18 11:26a",
        "         5 file(s)        112,108 bytes",
        "DOS-DONE",
    ] {
        assert!(
            serial.contains(want),
            "serial output lacks {want:?}:\n{serial}"
        );
    }
}

#[test]
fn freedos_boots_from_floppy_through_the_bochs_bios() {
    let Some((serial, _)) = boot_freedos_with(BOCHS_BIOS, LGPL_VGABIOS) else {
        return;
    };
    assert!(serial.contains("DOS version 7.10"), "{serial}");
    assert!(
        serial.contains("         5 file(s)        112,108 bytes"),
        "{serial}"
    );
}

#[test]
fn headless_runs_are_deterministic() {
    let Some((a, na)) = boot_freedos() else {
        return;
    };
    let Some((b, nb)) = boot_freedos() else {
        return;
    };
    assert_eq!(
        na, nb,
        "the same boot took a different number of instructions"
    );
    assert_eq!(a, b);
}

/// The expected workload results from ../shared/guests/README.md.
const RESULTS: [(&str, &str); 5] = [
    ("arith", "result=545003"),
    ("md5", "result=96995b58d4cbf6aaa9041b4f00c7f6ae"),
    ("gzip", "result=2172340/3d8ea02866a3c68cf4cd5bf52ce6c05f"),
    ("sort", "result=025f48e416763f13d86a6c0deea3856b"),
    ("fork", "result=500"),
];

#[test]
fn linux_kernel_boots_directly_and_runs_every_workload() {
    let kernel = guests().join("vmlinuz-686");
    let initrd = guests().join("initramfs.cpio.gz");
    if !present(&[&kernel, &initrd]) {
        return;
    }
    let mut config = Config::new(Vec::new());
    config.ram_size = 128 << 20;
    config.linux = Some(LinuxBoot {
        kernel,
        initrd: Some(initrd),
        cmdline: "console=ttyS0".into(),
    });
    config.serial.push((0, Output::Capture));
    let mut m = Machine::new(config).expect("machine");
    m.set_stop_marker(Some(b"GUEST-DONE"));
    let stop = m.run(40_000_000_000);
    let serial = String::from_utf8_lossy(m.serial_captured(0)).into_owned();
    let tail: String = serial
        .lines()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        stop,
        Stop::Marker,
        "Linux did not reach GUEST-DONE; serial tail:\n{tail}"
    );
    assert!(serial.contains("GUEST-READY uptime_cs="), "{tail}");
    assert!(serial.contains("INFO kernel 6.1.0-50-686 i686"), "{tail}");
    // The CPU features the kernel found are exactly the ones CPUID claims.
    assert!(
        serial.contains(
            "INFO flags fpu pse tsc msr cx8 sep mtrr pge cmov clflush mmx fxsr sse sse2 cpuid"
        ),
        "{tail}"
    );
    for (item, result) in RESULTS {
        let line = serial
            .lines()
            .find(|l| l.starts_with(&format!("BENCH-END {item} ")))
            .unwrap_or_else(|| panic!("no BENCH-END line for {item}:\n{tail}"));
        assert!(line.ends_with(result), "{item}: {line} (expected {result})");
    }
}

/// Types a line on the PS/2 keyboard (lowercase letters, digits, space,
/// '.', Enter), letting the guest take each key.
fn type_line(m: &mut Machine, text: &str) {
    use oxbox_machine::devices::i8042::Key;
    for c in text.chars().chain(std::iter::once('\n')) {
        let key = match c {
            'a'..='z' => Key::ALL
                .iter()
                .copied()
                .find(|k| format!("{k:?}").eq_ignore_ascii_case(&c.to_string())),
            ' ' => Some(Key::Space),
            '.' => Some(Key::Period),
            '\n' => Some(Key::Enter),
            _ => None,
        }
        .expect("a key for every character");
        m.key_event(key, true);
        m.run(2_000_000);
        m.key_event(key, false);
        m.run(2_000_000);
    }
}

/// Boots FreeDOS from a copy of the floppy, copies a file at the prompt,
/// and returns the image bytes after the machine flushed its disks.
fn freedos_copy_file(snapshot: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    let original = guests().join("freedos-1.44m-com1.img");
    if !present(&[&original, Path::new(SEABIOS), Path::new(VGABIOS)]) {
        return None;
    }
    let copy = std::env::temp_dir().join(format!(
        "oxbox-fd-write-{}-{snapshot}.img",
        std::process::id()
    ));
    std::fs::copy(&original, &copy).expect("copy the floppy");
    let before = std::fs::read(&copy).expect("read the copy");
    let mut config = Config::new(oxbox_machine::load_rom(Path::new(SEABIOS)).expect("bios"));
    config.vga_rom = std::fs::read(VGABIOS).expect("VGA BIOS");
    config.floppies[0] = Some(DiskImage {
        path: copy.clone(),
        kind: MediaKind::Floppy,
        snapshot,
        read_only: false,
    });
    config.boot_order = vec![BootDevice::Floppy(0)];
    config.serial.push((0, Output::Capture));
    let mut m = Machine::new(config).expect("machine");
    m.set_stop_marker(Some(b"DOS-DONE"));
    assert_eq!(m.run(1_000_000_000), Stop::Marker);
    m.set_stop_marker(None);
    m.run(50_000_000);
    type_line(&mut m, "copy readme.txt new.txt");
    m.run(200_000_000);
    let screen = m.text_screen().unwrap_or_default();
    assert!(
        screen.contains("readme.txt => new.txt"),
        "COPY did not run:\n{screen}"
    );
    m.flush_disks().expect("flush");
    drop(m);
    let after = std::fs::read(&copy).expect("read the copy");
    let _ = std::fs::remove_file(&copy);
    Some((before, after))
}

#[test]
fn guest_writes_reach_the_floppy_image() {
    let Some((before, after)) = freedos_copy_file(false) else {
        return;
    };
    assert_ne!(before, after, "the image did not change");
    assert!(
        after.windows(11).any(|w| w == b"NEW     TXT"),
        "no NEW.TXT directory entry on the image"
    );
}

#[test]
fn snapshot_mode_leaves_the_image_untouched() {
    let Some((before, after)) = freedos_copy_file(true) else {
        return;
    };
    assert!(before == after, "--snapshot must not write the image");
}

/// Builds an El Torito ISO of the Linux guest with Debian's isolinux and
/// xorriso and boots it from the IDE CD-ROM through SeaBIOS.
#[test]
fn linux_iso_boots_from_the_cdrom() {
    let kernel = guests().join("vmlinuz-686");
    let initrd = guests().join("initramfs.cpio.gz");
    let isolinux = Path::new("/usr/lib/ISOLINUX/isolinux.bin");
    let ldlinux = Path::new("/usr/lib/syslinux/modules/bios/ldlinux.c32");
    let have_xorriso = std::process::Command::new("xorriso")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_xorriso
        || !present(&[
            &kernel,
            &initrd,
            isolinux,
            ldlinux,
            Path::new(SEABIOS),
            Path::new(VGABIOS),
        ])
    {
        eprintln!("SKIPPED: needs xorriso, isolinux and syslinux-common (.ci/run installs them)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("oxbox-iso-{}", std::process::id()));
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("isolinux")).expect("iso tree");
    std::fs::copy(isolinux, root.join("isolinux/isolinux.bin")).expect("isolinux.bin");
    std::fs::copy(ldlinux, root.join("isolinux/ldlinux.c32")).expect("ldlinux.c32");
    std::fs::copy(&kernel, root.join("vmlinuz")).expect("kernel");
    std::fs::copy(&initrd, root.join("initrd.gz")).expect("initrd");
    std::fs::write(
        root.join("isolinux/isolinux.cfg"),
        "SERIAL 0 115200\nPROMPT 0\nDEFAULT linux\nLABEL linux\n  KERNEL /vmlinuz\n  \
         APPEND initrd=/initrd.gz console=ttyS0,115200 cryptomgr.notests=1 quiet\n",
    )
    .expect("isolinux.cfg");
    let iso = dir.join("guest.iso");
    let made = std::process::Command::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-o"])
        .arg(&iso)
        .args([
            "-b",
            "isolinux/isolinux.bin",
            "-c",
            "isolinux/boot.cat",
            "-no-emul-boot",
        ])
        .args(["-boot-load-size", "4", "-boot-info-table"])
        .arg(&root)
        .output()
        .expect("xorriso runs");
    assert!(
        made.status.success(),
        "xorriso failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut config = Config::new(oxbox_machine::load_rom(Path::new(SEABIOS)).expect("bios"));
    config.vga_rom = std::fs::read(VGABIOS).expect("VGA BIOS");
    config.ram_size = 128 << 20;
    config.ide[2] = Some(DiskImage {
        path: iso,
        kind: MediaKind::CdRom,
        snapshot: false,
        read_only: true,
    });
    config.boot_order = vec![BootDevice::Ide {
        channel: 1,
        slave: false,
    }];
    config.serial.push((0, Output::Capture));
    let mut m = Machine::new(config).expect("machine");
    m.set_stop_marker(Some(b"GUEST-READY"));
    let stop = m.run(10_000_000_000);
    let serial = String::from_utf8_lossy(m.serial_captured(0)).into_owned();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(stop, Stop::Marker, "no GUEST-READY from the CD:\n{serial}");
}

/// Boots `../shared/guests/linux-hd.img` (MBR, SYSLINUX, the kernel's
/// default `bench` label) from the primary master through `bios`, and
/// returns the serial output once `marker` appeared.
fn boot_linux_disk(bios: &str, vga: &str, marker: &[u8], budget: u64) -> Option<String> {
    let image = guests().join("linux-hd.img");
    if !present(&[&image, Path::new(bios), Path::new(vga)]) {
        return None;
    }
    let mut config = Config::new(oxbox_machine::load_rom(Path::new(bios)).expect("BIOS loads"));
    config.vga_rom = std::fs::read(vga).expect("VGA BIOS");
    config.ram_size = 128 << 20;
    config.ide[0] = Some(DiskImage {
        path: image,
        kind: MediaKind::HardDisk,
        snapshot: true,
        read_only: false,
    });
    config.boot_order = vec![BootDevice::Ide {
        channel: 0,
        slave: false,
    }];
    config.serial.push((0, Output::Capture));
    let mut m = Machine::new(config).expect("machine");
    m.set_stop_marker(Some(marker));
    let stop = m.run(budget);
    let serial = String::from_utf8_lossy(m.serial_captured(0)).into_owned();
    let tail: String = serial
        .lines()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        stop,
        Stop::Marker,
        "{bios}: no {} from the disk; serial tail:\n{tail}",
        String::from_utf8_lossy(marker)
    );
    Some(serial)
}

/// Checks the SYSLINUX banner, the guest's identification lines and every
/// workload result the guest README lists that `serial` reached.
fn check_linux_serial(serial: &str, items: &[(&str, &str)]) {
    assert!(
        serial.contains("SYSLINUX 6.04"),
        "no SYSLINUX banner:\n{serial}"
    );
    assert!(serial.contains("GUEST-READY uptime_cs="), "{serial}");
    assert!(serial.contains("INFO kernel 6.1.0-50-686 i686"), "{serial}");
    assert!(
        serial.contains(
            "INFO cmdline BOOT_IMAGE=/vmlinuz console=tty0 console=ttyS0,115200 initrd=/initrd.gz"
        ),
        "{serial}"
    );
    for (item, result) in items {
        let line = serial
            .lines()
            .find(|l| l.starts_with(&format!("BENCH-END {item} ")))
            .unwrap_or_else(|| panic!("no BENCH-END line for {item}"));
        assert!(line.ends_with(result), "{item}: {line} (expected {result})");
    }
}

/// SeaBIOS reads the disk through its own ATA driver, then SYSLINUX and
/// the kernel take over: the whole run to GUEST-DONE, every result checked.
#[test]
fn linux_disk_boots_through_seabios_and_runs_every_workload() {
    let Some(serial) = boot_linux_disk(SEABIOS, VGABIOS, b"GUEST-DONE", 40_000_000_000) else {
        return;
    };
    check_linux_serial(&serial, &RESULTS);
}

/// The Bochs BIOS reads the disk with its own ATA driver (rombios
/// `ata_cmd_data_io`), which sizes each PIO block from IDENTIFY word 5.
#[test]
fn linux_disk_boots_through_the_bochs_bios_and_runs_every_workload() {
    let Some(serial) = boot_linux_disk(BOCHS_BIOS, LGPL_VGABIOS, b"GUEST-DONE", 40_000_000_000)
    else {
        return;
    };
    check_linux_serial(&serial, &RESULTS);
}
