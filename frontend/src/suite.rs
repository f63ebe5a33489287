//! The built-in suite: every project test ROM, run headless, results printed.

use oxbox_machine::{Config, Machine, Output, Stop};

use crate::cli::Args;
use crate::headless::{run_machine, End};

include!(concat!(env!("OUT_DIR"), "/roms.rs"));

/// A ROM that has not finished after this many instructions has hung.
const ROM_LIMIT: u64 = 500_000_000;

pub fn run(args: &Args) -> Result<u8, Box<dyn std::error::Error>> {
    if ROMS.is_empty() {
        return Err("this build has no built-in ROMs; give one with --rom FILE".into());
    }
    println!(
        "oxbox: no ROM given, running the built-in CPU suite ({} ROMs)",
        ROMS.len()
    );
    let (mut pass, mut fail, mut bad) = (0, 0, Vec::new());
    for (name, image) in ROMS {
        let mut config = Config::new(image.to_vec());
        config.ram_size = args.memory as usize * 1024 * 1024;
        config.consoles.push((0xE9, Output::Capture));
        let mut machine = Machine::new(config)?;
        let mut limited = Args {
            max_instructions: Some(args.max_instructions.unwrap_or(ROM_LIMIT)),
            ..args.clone()
        };
        limited.rom = None;
        let (end, _) = run_machine(&mut machine, &limited);
        let text = String::from_utf8_lossy(machine.captured(0xE9)).into_owned();
        let p = text.lines().filter(|l| l.starts_with("PASS")).count();
        let f = text.lines().filter(|l| l.starts_with("FAIL")).count();
        for line in text.lines().filter(|l| l.starts_with("FAIL")) {
            println!("  {name}: {line}");
        }
        let interrupted = matches!(end, End::Signal(_));
        let clean = matches!(end, End::Stop(Stop::DebugExit(1))) && text.contains("DONE");
        if !clean {
            let why = match end {
                End::Stop(s) => s.to_string(),
                End::Timeout => "timeout".to_string(),
                End::Signal(sig) => format!("stopped by {}", crate::signals::name(sig)),
            };
            bad.push(format!("{name} did not finish cleanly: {why}"));
        }
        println!("{name:>10}: {p} passed, {f} failed");
        pass += p;
        fail += f;
        if interrupted {
            break;
        }
    }
    for b in &bad {
        println!("  {b}");
    }
    println!("{pass} passed, {fail} failed");
    if let Some(sig) = crate::signals::received() {
        eprintln!("oxbox: stopped by {}", crate::signals::name(sig));
        return Ok((128 + sig) as u8);
    }
    Ok(if fail == 0 && bad.is_empty() { 0 } else { 1 })
}
