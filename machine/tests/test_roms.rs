//! Runs every project test ROM (test-roms/roms/*.bin) and checks that each
//! printed only PASS lines, reached DONE and exited through the debug-exit
//! port with status 1.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use oxbox_machine::{Config, Machine, Output, Stop};

fn rom_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../test-roms/roms")
}

fn run_rom(path: &std::path::Path) -> (Stop, String) {
    let rom = oxbox_machine::load_rom(path).unwrap_or_else(|e| panic!("{e}"));
    let mut config = Config::new(rom);
    config.consoles.push((0xE9, Output::Capture));
    let mut m = Machine::new(config).unwrap_or_else(|e| panic!("{e}"));
    let stop = m.run(500_000_000);
    (stop, String::from_utf8_lossy(m.captured(0xE9)).into_owned())
}

#[test]
fn every_test_rom_passes() {
    let mut roms: Vec<_> = std::fs::read_dir(rom_dir())
        .expect("test-roms/roms exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    roms.sort();
    assert!(
        roms.len() >= 3,
        "expected the project's test ROMs in {}",
        rom_dir().display()
    );
    let mut failures = Vec::new();
    for rom in &roms {
        let name = rom
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        let (stop, text) = run_rom(rom);
        let passes = text.lines().filter(|l| l.starts_with("PASS")).count();
        for l in text.lines().filter(|l| l.starts_with("FAIL")) {
            failures.push(format!("{name}: {l}"));
        }
        if stop != Stop::DebugExit(1) || !text.contains("DONE") || passes == 0 {
            failures.push(format!(
                "{name}: ended with {stop:?} after {passes} PASS lines; output tail: {:?}",
                text.lines().rev().take(3).collect::<Vec<_>>()
            ));
        }
        println!("{name}: {passes} checks passed");
    }
    assert!(
        failures.is_empty(),
        "ROM failures:\n{}",
        failures.join("\n")
    );
}
