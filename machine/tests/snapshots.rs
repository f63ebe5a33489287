//! Snapshots: run N, snapshot, run M → state S1 and output O1; restore,
//! run M again → exactly S1 and O1.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use oxbox_machine::{BootDevice, Config, DiskImage, LinuxBoot, Machine, MediaKind, Output};

fn guests() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/guests")
}

/// What must come out the same after a restore.
fn state(m: &Machine) -> (u64, Vec<u32>, u32, u32, Vec<u8>, Option<String>) {
    let cpu = m.cpu();
    let regs = (0..8).map(|i| cpu.gpr(i)).collect();
    (
        m.instruction_count(),
        regs,
        cpu.eip(),
        cpu.eflags(),
        m.serial_captured(0).to_vec(),
        m.text_screen(),
    )
}

fn memory_digest(m: &mut Machine, len: u32) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut buf = vec![0u8; 4096];
    for page in (0..len).step_by(4096) {
        m.read_physical(page, &mut buf);
        for &b in &buf {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

#[test]
fn freedos_replays_exactly_after_a_restore() {
    let image = guests().join("freedos-1.44m-com1.img");
    let bios = Path::new("/usr/share/seabios/bios.bin");
    if !image.is_file() || !bios.is_file() {
        eprintln!("SKIPPED: needs {} and the seabios package", image.display());
        return;
    }
    let mut config = Config::new(oxbox_machine::load_rom(bios).expect("bios"));
    config.vga_rom = std::fs::read("/usr/share/seabios/vgabios-stdvga.bin").unwrap_or_default();
    config.floppies[0] = Some(DiskImage {
        path: image,
        kind: MediaKind::Floppy,
        snapshot: true,
        read_only: false,
    });
    config.boot_order = vec![BootDevice::Floppy(0)];
    config.serial.push((0, Output::Capture));
    let mut m = Machine::new(config).expect("machine");
    m.run(12_000_000);
    let snap = m.snapshot();
    m.run(40_000_000);
    let s1 = state(&m);
    let d1 = memory_digest(&mut m, 16 << 20);
    assert!(
        String::from_utf8_lossy(&s1.4).contains("DOS-DONE"),
        "the run after the snapshot reaches DOS-DONE"
    );
    m.restore(&snap).expect("restore");
    m.run(40_000_000);
    assert_eq!(state(&m), s1);
    assert_eq!(memory_digest(&mut m, 16 << 20), d1);
    // A second restore of the same snapshot, after a different run.
    m.restore(&snap).expect("restore");
    m.run(1_234_567);
    m.restore(&snap).expect("restore");
    m.run(40_000_000);
    assert_eq!(state(&m), s1);
}

#[test]
fn restoring_a_big_machine_copies_only_dirty_pages() {
    let kernel = guests().join("vmlinuz-686");
    let initrd = guests().join("initramfs.cpio.gz");
    if !kernel.is_file() || !initrd.is_file() {
        eprintln!("SKIPPED: needs {}", kernel.display());
        return;
    }
    let mut config = Config::new(Vec::new());
    config.ram_size = 128 << 20;
    config.linux = Some(LinuxBoot {
        kernel,
        initrd: Some(initrd),
        cmdline: "console=ttyS0 quiet".into(),
    });
    config.serial.push((0, Output::Capture));
    let mut m = Machine::new(config).expect("machine");
    m.run(300_000_000);
    let snap = m.snapshot();
    m.run(2_000_000);
    let s1 = state(&m);
    let start = std::time::Instant::now();
    m.restore(&snap).expect("restore");
    let took = start.elapsed();
    // Timing is reported, not asserted (machines differ).
    eprintln!("restore of a 128 MiB machine after 2M instructions took {took:?}");
    m.run(2_000_000);
    assert_eq!(state(&m), s1);
}
