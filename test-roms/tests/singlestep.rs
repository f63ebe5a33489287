//! A fixed sample of the SingleStepTests suites: the first tests of every
//! file of the 8086 set (MOO and JSON forms) and the 80286 real-mode set,
//! run against oxbox's CPU, with the pass rates asserted.
//!
//! The data lives outside the repository, in `<repo>/../shared/conformance`.
//! Without it the test says so loudly and passes. The full sets are run with
//! the `oxbox-conformance` binary (see docs/conformance.md).

use std::path::{Path, PathBuf};

use oxbox_tests::{collect_files, run_files, Options};

/// Tests run from the start of every file.
const SAMPLE: usize = 25;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/singlestep")
}

struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
    files: usize,
    /// Files with more than one failure in the sample, with their counts.
    bad_files: Vec<String>,
    errors: Vec<String>,
}

fn run_set(dirs: &[&str]) -> Option<Tally> {
    let root = data_dir();
    let paths: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    if let Some(missing) = paths.iter().find(|p| !p.is_dir()) {
        eprintln!(
            "SKIPPED: SingleStepTests data not found at {}",
            missing.display()
        );
        println!(
            "SKIPPED: SingleStepTests data not found at {}",
            missing.display()
        );
        return None;
    }
    let files = match collect_files(&paths, None) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    let opts = Options {
        limit: Some(SAMPLE),
        verbose: true,
        ..Options::default()
    };
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut t = Tally {
        passed: 0,
        failed: 0,
        skipped: 0,
        files: 0,
        bad_files: Vec::new(),
        errors: Vec::new(),
    };
    run_files(&files, &opts, jobs, |_, r| {
        t.files += 1;
        t.passed += r.passed;
        t.failed += r.failed;
        t.skipped += r.skipped_tests();
        if r.failed > 0 {
            print!("{}", r.log);
        }
        if r.failed > 1 {
            t.bad_files.push(r.line());
        }
        if let Some(e) = &r.error {
            t.errors.push(format!("{}: {e}", r.label));
        }
    });
    Some(t)
}

fn check(name: &str, t: &Tally, min_rate: f64) {
    let ran = t.passed + t.failed;
    let rate = if ran == 0 {
        0.0
    } else {
        t.passed as f64 / ran as f64
    };
    println!(
        "{name}: {} files, {} passed, {} failed, {} skipped ({:.3}% of the tests run passed)",
        t.files,
        t.passed,
        t.failed,
        t.skipped,
        rate * 100.0
    );
    assert!(
        t.errors.is_empty(),
        "{name}: files could not be read: {:#?}",
        t.errors
    );
    assert!(ran > 0, "{name}: no tests ran");
    assert!(
        rate >= min_rate,
        "{name}: pass rate {:.3}% is below {:.1}%",
        rate * 100.0,
        min_rate * 100.0
    );
    assert!(
        t.bad_files.is_empty(),
        "{name}: files with more than one failure in the sample: {:#?}",
        t.bad_files
    );
}

#[test]
fn singlestep_8086_sample() {
    let Some(t) = run_set(&["8086/v1_binary", "8086/v1"]) else {
        return;
    };
    check("8086", &t, 0.99);
}

#[test]
fn singlestep_80286_real_mode_sample() {
    let Some(t) = run_set(&["80286/v1_real_mode"]) else {
        return;
    };
    check("80286", &t, 0.995);
}

#[test]
fn bad_files_are_errors_not_panics() {
    let dir = std::env::temp_dir().join(format!("oxbox-singlestep-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("metadata.json"),
        br#"{"cpu":"8086","opcodes":{"90":{"status":"normal"}}}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cases: [(&str, &[u8]); 4] = [
        ("90.MOO.gz", b"not gzip at all"),
        (
            "91.MOO",
            b"MOO \x0c\x00\x00\x00\x01\x01\x00\x00\x05\x00\x00\x00",
        ),
        ("92.json", b"[{\"name\": 1}"),
        (
            "93.MOO",
            b"MOO \x0c\x00\x00\x00\x01\x01\x00\x00\x01\x00\x00\x008086TEST\xff\xff\x00\x00\x00",
        ),
    ];
    for (name, bytes) in cases {
        std::fs::write(dir.join(name), bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    let files = collect_files(std::slice::from_ref(&dir), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(files.len(), 4);
    let mut errors = 0;
    run_files(&files, &Options::default(), 1, |_, r| {
        assert!(r.error.is_some(), "{} was accepted: {}", r.label, r.line());
        errors += 1;
    });
    assert_eq!(errors, 4);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(collect_files(&[dir.join("missing")], None).is_err());
}
