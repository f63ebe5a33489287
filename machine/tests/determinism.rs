//! Two headless runs of the Linux guest (direct kernel boot with the
//! initramfs, to GUEST-READY) give byte-identical serial output and the
//! same instruction count (issue 9). Both run at once, one per thread.
//! Skips loudly when ../shared/guests is not there.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use oxbox_machine::{Config, LinuxBoot, Machine, Output, Stop};

fn boot_to_ready(kernel: PathBuf, initrd: PathBuf) -> (Stop, Vec<u8>, u64, u64) {
    let mut config = Config::new(Vec::new());
    config.ram_size = 128 << 20;
    config.linux = Some(LinuxBoot {
        kernel,
        initrd: Some(initrd),
        cmdline: "console=ttyS0".into(),
    });
    config.serial.push((0, Output::Capture));
    let mut m = Machine::new(config).expect("machine");
    m.set_stop_marker(Some(b"GUEST-READY"));
    let stop = m.run(20_000_000_000);
    (
        stop,
        m.serial_captured(0).to_vec(),
        m.instruction_count(),
        m.virtual_time_ns(),
    )
}

#[test]
fn two_linux_boots_are_identical() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/guests");
    let (kernel, initrd) = (dir.join("vmlinuz-686"), dir.join("initramfs.cpio.gz"));
    if !kernel.is_file() || !initrd.is_file() {
        eprintln!(
            "SKIPPED: {} or {} missing",
            kernel.display(),
            initrd.display()
        );
        return;
    }
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let (k, i) = (kernel.clone(), initrd.clone());
            std::thread::spawn(move || boot_to_ready(k, i))
        })
        .collect();
    let mut results: Vec<_> = runs.into_iter().map(|t| t.join().unwrap()).collect();
    let b = results.pop().unwrap();
    let a = results.pop().unwrap();
    assert_eq!(a.0, Stop::Marker, "{}", String::from_utf8_lossy(&a.1));
    assert_eq!(b.0, Stop::Marker);
    let text = String::from_utf8_lossy(&a.1);
    assert!(text.contains("GUEST-READY"), "{text}");
    assert!(a.1 == b.1, "serial output differs between the two runs");
    assert_eq!(a.2, b.2, "instruction counts differ");
    assert_eq!(a.3, b.3, "virtual times differ");
    eprintln!(
        "both runs: {} serial bytes, {} instructions, {} ns virtual",
        a.1.len(),
        a.2,
        a.3
    );
}
