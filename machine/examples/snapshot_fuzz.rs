//! Boots FreeDOS, snapshots it at the prompt, then runs a typed command
//! from the restored state 100 times, fuzzer-style, and prints how many
//! restores per second that is.
//!
//! ```sh
//! cargo run --release -p oxbox-machine --example snapshot_fuzz -- ../shared/guests/freedos-1.44m-com1.img
//! ```

use std::time::Instant;

use oxbox_machine::devices::i8042::Key;
use oxbox_machine::{BootDevice, Config, DiskImage, Machine, MediaKind, Output, Stop};

fn press(m: &mut Machine, key: Key) {
    m.key_event(key, true);
    m.run(300_000);
    m.key_event(key, false);
    m.run(300_000);
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let image = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/guests/freedos-1.44m-com1.img".into());
    let mut config = Config::new(oxbox_machine::load_rom(
        "/usr/share/seabios/bios.bin".as_ref(),
    )?);
    config.vga_rom = std::fs::read("/usr/share/seabios/vgabios-stdvga.bin")?;
    config.floppies[0] = Some(DiskImage {
        path: image.into(),
        kind: MediaKind::Floppy,
        snapshot: true,
        read_only: false,
    });
    config.boot_order = vec![BootDevice::Floppy(0)];
    config.serial.push((0, Output::Capture));
    let mut m = Machine::new(config)?;
    m.set_stop_marker(Some(b"DOS-DONE"));
    if m.run(2_000_000_000) != Stop::Marker {
        return Err("FreeDOS did not reach its prompt".into());
    }
    m.set_stop_marker(None);
    m.run(20_000_000);
    let snap = m.snapshot();
    let runs = 100;
    let start = Instant::now();
    let mut instructions = 0;
    for i in 0..runs {
        m.restore(&snap)?;
        let before = m.instruction_count();
        // Each run types VER and a different number of extra spaces.
        for _ in 0..(i % 5) {
            press(&mut m, Key::Space);
        }
        for k in [Key::V, Key::E, Key::R, Key::Enter] {
            press(&mut m, k);
        }
        m.run(3_000_000);
        instructions += m.instruction_count() - before;
    }
    let secs = start.elapsed().as_secs_f64();
    let screen = m.text_screen().unwrap_or_default();
    println!(
        "{}",
        screen
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
    );
    println!(
        "{runs} restores and runs in {secs:.2} s: {:.0} restores/s, {:.0} guest instructions per run",
        runs as f64 / secs,
        instructions as f64 / runs as f64
    );
    Ok(())
}
