//! The long run of issue 9 (not in CI): the Linux guest boots to
//! GUEST-READY, is snapshotted, and its workload (to GUEST-DONE) is run
//! again and again from that snapshot for OXBOX_LONGRUN_SECS (default
//! 1800), checking every pass gives the same serial output and instruction
//! count and that the process's RSS does not grow.
//!
//! ```text
//! OXBOX_LONGRUN_SECS=1800 cargo test --release -p oxbox-machine --test longrun -- --ignored --nocapture
//! ```

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use oxbox_machine::{Config, LinuxBoot, Machine, Output, Stop};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
#[ignore = "runs for 30 minutes; see the module docs"]
fn linux_workload_loops_without_growth() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/guests");
    let (kernel, initrd) = (dir.join("vmlinuz-686"), dir.join("initramfs.cpio.gz"));
    assert!(
        kernel.is_file() && initrd.is_file(),
        "needs ../shared/guests"
    );
    let secs = std::env::var("OXBOX_LONGRUN_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1800);
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
    assert_eq!(m.run(20_000_000_000), Stop::Marker);
    let ready = m.snapshot();
    let start_len = m.serial_captured(0).len();
    let t0 = Instant::now();
    let mut first: Option<(Vec<u8>, u64)> = None;
    let mut rss_after_first = 0;
    let mut passes = 0u64;
    while t0.elapsed() < Duration::from_secs(secs) {
        m.restore(&ready).unwrap_or_else(|e| panic!("restore: {e}"));
        let n0 = m.instruction_count();
        m.set_stop_marker(Some(b"GUEST-DONE"));
        let stop = m.run(40_000_000_000);
        let out = m.serial_captured(0)[start_len..].to_vec();
        assert_eq!(stop, Stop::Marker, "{}", String::from_utf8_lossy(&out));
        let n = m.instruction_count() - n0;
        passes += 1;
        match &first {
            None => {
                first = Some((out, n));
                rss_after_first = rss_kib();
            }
            Some((o, c)) => {
                assert!(*o == out, "pass {passes}: serial output differs");
                assert_eq!(*c, n, "pass {passes}: instruction count differs");
            }
        }
        eprintln!(
            "pass {passes}: {n} instructions, {:.0} s, RSS {} KiB (after pass 1: {rss_after_first})",
            t0.elapsed().as_secs_f64(),
            rss_kib()
        );
    }
    let rss = rss_kib();
    eprintln!(
        "{passes} passes in {:.0} s; RSS {rss_after_first} -> {rss} KiB",
        t0.elapsed().as_secs_f64()
    );
    assert!(passes >= 2);
    assert!(
        rss <= rss_after_first + rss_after_first / 20,
        "RSS grew from {rss_after_first} to {rss} KiB"
    );
}
