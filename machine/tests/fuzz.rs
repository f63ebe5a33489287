//! Seeded-random fuzzing of the machine (issue 9): random code in every CPU
//! mode, random port I/O to every device, random and mutated images and
//! kernels, damaged snapshot files. The targets live in `oxbox_machine::fuzzing` and are shared
//! with the cargo-fuzz harnesses in `fuzz/`.
//!
//! `cargo test` runs a short smoke run of each. The long mode runs one
//! target for a fixed time:
//!
//! ```text
//! OXBOX_FUZZ_SECS=600 cargo test -p oxbox-machine --test fuzz -- --ignored long_code
//! ```
//!
//! A failure prints the seed; `OXBOX_FUZZ_SEED=<seed>` replays from it.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oxbox_machine::fuzzing::{self, FuzzDisks};
use oxbox_machine::Stop;

/// The fuzz input of case `seed`: the seed's bytes (the target's
/// `Source` expands them into a stream).
fn input(seed: u64) -> [u8; 8] {
    seed.to_le_bytes()
}

fn scratch_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("oxbox-fuzz-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Resident set size in KiB (Linux), for the long runs' memory check.
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

/// Runs `target` on seeds from `start`, for `cases` cases or until
/// `time` passes. A watchdog reports a case that runs for over 30 s (a
/// hang); a panic is reported with its seed.
fn campaign(
    name: &str,
    start: u64,
    cases: u64,
    time: Duration,
    target: impl Fn(&[u8]) -> Option<Stop>,
) -> u64 {
    let current = Arc::new(AtomicU64::new(start));
    let done = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let (current, done, finished) = (current.clone(), done.clone(), finished.clone());
        let name = name.to_string();
        std::thread::spawn(move || {
            let mut last = (u64::MAX, 0u64);
            let mut stuck = 0;
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(500));
                let now = (
                    done.load(Ordering::Relaxed),
                    current.load(Ordering::Relaxed),
                );
                stuck = if now == last { stuck + 1 } else { 0 };
                last = now;
                if stuck == 60 {
                    eprintln!("{name}: seed {} has run for 30 s: a hang", now.1);
                    std::process::abort();
                }
            }
        })
    };
    let t0 = Instant::now();
    let rss0 = rss_kib();
    let mut n = 0;
    let mut outcomes = std::collections::BTreeMap::<String, u64>::new();
    while n < cases && t0.elapsed() < time {
        let seed = start + n;
        current.store(seed, Ordering::Relaxed);
        match catch_unwind(AssertUnwindSafe(|| target(&input(seed)))) {
            Ok(stop) => {
                let kind = match stop {
                    None => "refused".to_string(),
                    Some(s) => format!("{s:?}").split('(').next().unwrap_or("").to_string(),
                };
                *outcomes.entry(kind).or_default() += 1;
            }
            Err(e) => {
                finished.store(true, Ordering::Relaxed);
                eprintln!("{name}: seed {seed} panicked; replay with OXBOX_FUZZ_SEED={seed}");
                std::panic::resume_unwind(e);
            }
        }
        n += 1;
        done.store(n, Ordering::Relaxed);
        if n % 2000 == 0 {
            eprintln!(
                "{name}: {n} cases in {:.0} s, RSS {} KiB (start {rss0})",
                t0.elapsed().as_secs_f64(),
                rss_kib()
            );
        }
    }
    finished.store(true, Ordering::Relaxed);
    let _ = watchdog.join();
    eprintln!(
        "{name}: {n} cases from seed {start} in {:.1} s, no panic, no hang; RSS {} -> {} KiB; \
         outcomes {outcomes:?}",
        t0.elapsed().as_secs_f64(),
        rss0,
        rss_kib()
    );
    n
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Smoke runs: a few seconds each.
const SMOKE: Duration = Duration::from_secs(3);

fn long() -> (u64, Duration) {
    (
        env_u64("OXBOX_FUZZ_SEED").unwrap_or(1_000_000),
        Duration::from_secs(env_u64("OXBOX_FUZZ_SECS").unwrap_or(600)),
    )
}

#[test]
fn smoke_code() {
    let n = campaign("code", 0, 400, SMOKE, fuzzing::run_code);
    assert!(n > 0);
}

#[test]
fn smoke_ports() {
    let dir = scratch_dir("ports");
    let disks = FuzzDisks::create(&dir).expect("images");
    let n = campaign("ports", 0, 400, SMOKE, |d| fuzzing::run_ports(d, &disks));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(n > 0);
}

#[test]
fn smoke_files() {
    let dir = scratch_dir("files");
    let n = campaign("files", 0, 400, SMOKE, |d| fuzzing::load_files(d, &dir));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(n > 0);
}

#[test]
fn smoke_snapshots() {
    let n = campaign("snapshots", 0, 200, SMOKE, fuzzing::load_snapshot_file);
    assert!(n > 0);
}

#[test]
#[ignore = "long fuzz run; OXBOX_FUZZ_SECS sets the time"]
fn long_snapshots() {
    let (seed, time) = long();
    campaign(
        "snapshots",
        seed,
        u64::MAX,
        time,
        fuzzing::load_snapshot_file,
    );
}

#[test]
#[ignore = "long fuzz run; OXBOX_FUZZ_SECS sets the time"]
fn long_code() {
    let (seed, time) = long();
    campaign("code", seed, u64::MAX, time, fuzzing::run_code);
}

#[test]
#[ignore = "long fuzz run; OXBOX_FUZZ_SECS sets the time"]
fn long_ports() {
    let (seed, time) = long();
    let dir = scratch_dir("ports-long");
    let disks = FuzzDisks::create(&dir).expect("images");
    campaign("ports", seed, u64::MAX, time, |d| {
        fuzzing::run_ports(d, &disks)
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "long fuzz run; OXBOX_FUZZ_SECS sets the time"]
fn long_files() {
    let (seed, time) = long();
    let dir = scratch_dir("files-long");
    campaign("files", seed, u64::MAX, time, |d| {
        fuzzing::load_files(d, &dir)
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// Seeds that once failed, each with what it found.
const REGRESSIONS: &[(u64, &str)] = &[
    // REPNE MOVSB with ECX = 0x597CAFB6 ran 87 s inside one instruction.
    (1_001_628, "code"),
];

#[test]
fn fuzz_regressions() {
    for &(seed, target) in REGRESSIONS {
        match target {
            "code" => {
                campaign("code", seed, 1, SMOKE, fuzzing::run_code);
            }
            _ => unreachable!(),
        }
    }
}
