//! Record and replay: inputs recorded during a run and replayed on the same
//! start state give the same run (instruction count, screen, output).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use oxbox_machine::devices::i8042::Key;
use oxbox_machine::{BootDevice, Config, DiskImage, Machine, MediaKind, Output, Stop};

fn freedos() -> Option<Machine> {
    let image = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/guests/freedos-1.44m-com1.img");
    let bios = Path::new("/usr/share/seabios/bios.bin");
    if !image.is_file() || !bios.is_file() {
        eprintln!("SKIPPED: needs {} and the seabios package", image.display());
        return None;
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
    Some(Machine::new(config).expect("machine"))
}

/// Boots to the prompt, then types VER with irregular gaps; `inputs`
/// says whether to type (recording) or leave it to a replay.
fn session(m: &mut Machine, inputs: bool) -> (u64, String) {
    m.set_stop_marker(Some(b"DOS-DONE"));
    assert_eq!(m.run(1_000_000_000), Stop::Marker);
    m.set_stop_marker(None);
    // Gaps of odd lengths, some landing while DOS sits in HLT.
    let gaps = [
        3_000_001u64,
        777_777,
        1_234_567,
        99_999,
        2_500_000,
        31_337,
        4_000_000,
        123_456,
    ];
    for (i, key) in [Key::V, Key::E, Key::R, Key::Enter].into_iter().enumerate() {
        if inputs {
            m.key_event(key, true);
        }
        m.run(gaps[2 * i]);
        if inputs {
            m.key_event(key, false);
        }
        m.run(gaps[2 * i + 1]);
    }
    m.run(20_000_000);
    (m.instruction_count(), m.text_screen().unwrap_or_default())
}

#[test]
fn a_replayed_session_is_the_same_run() {
    let Some(mut a) = freedos() else { return };
    a.start_recording();
    let (count_a, screen_a) = session(&mut a, true);
    let recording = a.take_recording().expect("recording");
    assert_eq!(recording.events.len(), 8);
    assert!(screen_a.contains("A:\\>ver"), "{screen_a}");

    let Some(mut b) = freedos() else { return };
    b.replay(recording);
    let (count_b, screen_b) = session(&mut b, false);
    assert!(!b.replaying(), "every recorded input was applied");
    assert_eq!(count_b, count_a);
    assert_eq!(screen_b, screen_a);
    assert_eq!(b.serial_captured(0), a.serial_captured(0));
}
