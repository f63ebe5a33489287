//! The window, driven the way a user drives it: under Xvfb, keys typed
//! with xdotool into the window, the screen checked at the end.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};

mod common;
use std::time::{Duration, Instant};

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn xdotool(display: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Presses and releases keys, holding each long enough for a 60 Hz window.
#[test]
fn freedos_in_a_window_takes_typed_commands() {
    let image = shared().join("guests/freedos-1.44m-com1.img");
    if !image.is_file() || !have("Xvfb") || !have("xdotool") {
        eprintln!(
            "SKIPPED: needs {} and Xvfb and xdotool (.ci/run installs them)",
            image.display()
        );
        return;
    }
    let xvfb = common::Xvfb::start("1024x768x24").expect("Xvfb starts");
    let display = xvfb.display.clone();
    let serial =
        std::env::temp_dir().join(format!("oxbox-window-serial-{}.txt", std::process::id()));
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_oxbox"))
            .arg(&image)
            .args(["--snapshot", "--print-screen", "--serial"])
            .arg(&serial)
            .env("DISPLAY", &display)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("oxbox starts")
    };
    // A just-started Xvfb now and then refuses the very first client
    // ("cannot open a window"): try again, up to three times.
    let mut window = String::new();
    let mut child = spawn();
    for attempt in 1..=3 {
        let appeared = wait_for(Duration::from_secs(60), || {
            window = xdotool(&display, &["search", "--name", "^oxbox - "]).unwrap_or_default();
            !window.is_empty() || child.try_wait().ok().flatten().is_some()
        }) && !window.is_empty();
        if appeared {
            break;
        }
        let _ = child.kill();
        let status = child.wait().ok();
        let mut err = String::new();
        if let Some(mut s) = child.stderr.take() {
            let _ = s.read_to_string(&mut err);
        }
        if attempt == 3 || !err.contains("cannot open a window") {
            panic!("no oxbox window appeared on {display}; oxbox: {status:?}, stderr:\n{err}");
        }
        std::thread::sleep(Duration::from_millis(500));
        child = spawn();
    }
    let window = window.lines().next().unwrap_or_default().to_string();
    let booted = wait_for(Duration::from_secs(90), || {
        std::fs::read_to_string(&serial).is_ok_and(|s| s.contains("DOS-DONE"))
    });
    assert!(booted, "FreeDOS did not reach DOS-DONE in the window");
    std::thread::sleep(Duration::from_millis(500));
    // Taps far shorter than a frame (xdotool sends press and release
    // back to back): each must still reach the guest as a make and a break.
    xdotool(
        &display,
        &[
            "key", "--window", &window, "--delay", "0", "v", "e", "r", "Return",
        ],
    );
    std::thread::sleep(Duration::from_secs(2));
    // The quit shortcut: Ctrl+Alt+Q.
    xdotool(
        &display,
        &["keydown", "--window", &window, "ctrl", "alt", "q"],
    );
    std::thread::sleep(Duration::from_millis(100));
    xdotool(
        &display,
        &["keyup", "--window", &window, "q", "alt", "ctrl"],
    );
    let exited = wait_for(Duration::from_secs(20), || {
        child.try_wait().ok().flatten().is_some()
    });
    if !exited {
        let _ = child.kill();
    }
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    let _ = std::fs::remove_file(&serial);
    assert!(exited, "Ctrl+Alt+Q did not close oxbox; stderr: {err}");
    assert_eq!(
        child.wait().ok().and_then(|s| s.code()),
        Some(0),
        "stderr: {err}"
    );
    assert!(
        out.contains("A:\\>ver"),
        "the typed command is not on the screen:\n{out}"
    );
    assert!(
        out.matches("FreeCom version 0.82").count() >= 2,
        "VER's output is not on the screen:\n{out}"
    );
}

#[test]
fn no_display_says_so_in_one_line() {
    let img = std::env::temp_dir().join(format!("oxbox-nodisplay-{}.img", std::process::id()));
    std::fs::write(&img, vec![0u8; 1_474_560]).expect("temp floppy");
    let o = Command::new(env!("CARGO_BIN_EXE_oxbox"))
        .arg(&img)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("runs");
    let _ = std::fs::remove_file(&img);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("--headless"), "{e}");
}
