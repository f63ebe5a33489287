//! The desktop window: minifb on the main thread, the machine on its own
//! thread, input events one way and frames the other over crossbeam
//! channels. The machine never waits for the window: a frame the window has
//! not taken yet is dropped, and frame buffers are recycled.

use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, Sender, TryRecvError};
use minifb::{
    Key as HostKey, KeyRepeat, MouseButton, MouseMode, Scale, ScaleMode, Window, WindowOptions,
};
use oxbox_machine::devices::i8042::Key;
use oxbox_machine::devices::vga::Frame;
use oxbox_machine::{Config, Machine, Stop};

use crate::cli::Args;
use crate::keymap;

/// What the window tells the machine thread.
enum Event {
    Key(Key, bool),
    /// Relative motion and buttons (bit 0 left, 1 right, 2 middle).
    Mouse {
        dx: i32,
        dy: i32,
        dz: i32,
        buttons: u8,
    },
    Pause(bool),
    Reset,
    Screenshot(PathBuf),
    Quit,
}

/// What the machine thread reports back besides frames.
struct Status {
    mips: f64,
    state: &'static str,
    message: Option<String>,
}

/// Host shortcuts: Ctrl+Alt plus a letter no guest needs with both held.
const SHORTCUT_HELP: &str =
    "Ctrl+Alt+Q quit, Ctrl+Alt+R reset, Ctrl+Alt+P pause, Ctrl+Alt+S screenshot, \
     Ctrl+Alt+G release mouse, Ctrl+Alt+Y Print Screen";

/// Fails early, in one line, on a host with no display.
pub fn check_display() -> Result<(), String> {
    let has = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
    if has("DISPLAY") {
        Ok(())
    } else {
        Err("no display found (DISPLAY is not set); run with --headless to use oxbox without a window".into())
    }
}

pub fn run(args: &Args, config: Config, name: String) -> Result<u8, Box<dyn std::error::Error>> {
    check_display()?;
    let (ev_tx, ev_rx) = unbounded::<Event>();
    let (frame_tx, frame_rx) = bounded::<Frame>(1);
    let (recycle_tx, recycle_rx) = unbounded::<Frame>();
    let (status_tx, status_rx) = unbounded::<Status>();
    let realtime = !args.no_realtime;
    let print_screen = args.print_screen;
    let machine = thread::Builder::new()
        .name("machine".into())
        .spawn(move || {
            let mut m = Machine::new(config).map_err(|e| e.to_string())?;
            let code = machine_thread(&mut m, realtime, ev_rx, frame_tx, recycle_rx, status_tx)?;
            // Closing the window ends the run cleanly: disks flushed first.
            m.flush_disks().map_err(|e| e.to_string())?;
            if print_screen {
                match m.text_screen() {
                    Some(text) => println!("{text}"),
                    None => eprintln!("oxbox: the screen is in a graphics mode"),
                }
            }
            Ok::<u8, String>(code)
        })?;

    let mut window = Window::new(
        &format!("oxbox - {name}"),
        960,
        720,
        WindowOptions {
            resize: true,
            scale: Scale::X1,
            scale_mode: ScaleMode::AspectRatioStretch,
            ..WindowOptions::default()
        },
    )
    .map_err(|e| {
        format!("cannot open a window: {e}; run with --headless to use oxbox without one")
    })?;
    window.set_target_fps(60);
    eprintln!("oxbox: {SHORTCUT_HELP}");

    let mut current: Option<Frame> = None;
    let mut paused = false;
    let mut captured = false;
    let mut last_mouse: Option<(f32, f32)> = None;
    let mut last_buttons = 0u8;
    let mut status = Status {
        mips: 0.0,
        state: "running",
        message: None,
    };
    let mut shot = 0u32;
    while window.is_open() {
        let ctrl = window.is_key_down(HostKey::LeftCtrl) || window.is_key_down(HostKey::RightCtrl);
        let alt = window.is_key_down(HostKey::LeftAlt) || window.is_key_down(HostKey::RightAlt);
        let mut quit = false;
        for k in window.get_keys_pressed(KeyRepeat::No) {
            if ctrl && alt {
                let handled = match k {
                    HostKey::Q => {
                        quit = true;
                        true
                    }
                    HostKey::R => ev_tx.send(Event::Reset).is_ok(),
                    HostKey::P => {
                        paused = !paused;
                        ev_tx.send(Event::Pause(paused)).is_ok()
                    }
                    HostKey::S => {
                        shot += 1;
                        let path = PathBuf::from(format!("oxbox-screenshot-{shot}.png"));
                        ev_tx.send(Event::Screenshot(path)).is_ok()
                    }
                    HostKey::G => {
                        captured = false;
                        window.set_cursor_visibility(true);
                        true
                    }
                    // minifb has no Print Screen key: this sends it.
                    HostKey::Y => {
                        ev_tx.send(Event::Key(Key::PrintScreen, true)).is_ok()
                            && ev_tx.send(Event::Key(Key::PrintScreen, false)).is_ok()
                    }
                    _ => false,
                };
                if handled {
                    continue;
                }
            }
            if let Some(key) = keymap::pc_key(k) {
                let _ = ev_tx.send(Event::Key(key, true));
            }
        }
        for k in window.get_keys_released() {
            if let Some(key) = keymap::pc_key(k) {
                let _ = ev_tx.send(Event::Key(key, false));
            }
        }
        if quit || crate::signals::received().is_some() {
            break;
        }
        // The mouse: a click captures it; motion is sent as deltas.
        let buttons = window.get_mouse_down(MouseButton::Left) as u8
            | (window.get_mouse_down(MouseButton::Right) as u8) << 1
            | (window.get_mouse_down(MouseButton::Middle) as u8) << 2;
        if !captured && buttons != 0 {
            captured = true;
            window.set_cursor_visibility(false);
            last_mouse = None;
        }
        if captured {
            let pos = window.get_unscaled_mouse_pos(MouseMode::Pass);
            let wheel = window.get_scroll_wheel().map(|(_, y)| y).unwrap_or(0.0);
            if let Some((x, y)) = pos {
                let (dx, dy) = last_mouse
                    .map(|(lx, ly)| (x - lx, y - ly))
                    .unwrap_or((0.0, 0.0));
                last_mouse = Some((x, y));
                if dx != 0.0 || dy != 0.0 || wheel != 0.0 || buttons != last_buttons {
                    let _ = ev_tx.send(Event::Mouse {
                        dx: dx as i32,
                        dy: -dy as i32,
                        dz: -wheel.signum() as i32,
                        buttons,
                    });
                }
            }
            last_buttons = buttons;
        }
        while let Ok(s) = status_rx.try_recv() {
            status = s;
        }
        if let Some(m) = status.message.take() {
            eprintln!("oxbox: {m}");
        }
        let state = if paused { "paused" } else { status.state };
        window.set_title(&format!(
            "oxbox - {name} - {state} - {:.0} MIPS",
            status.mips
        ));
        match frame_rx.try_recv() {
            Ok(f) => {
                if let Some(old) = current.replace(f) {
                    let _ = recycle_tx.send(old);
                }
            }
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {}
        }
        let drawn = match &current {
            Some(f) if f.width > 0 && f.height > 0 => window
                .update_with_buffer(&f.pixels, f.width, f.height)
                .is_ok(),
            _ => false,
        };
        if !drawn {
            window.update();
        }
    }
    let _ = ev_tx.send(Event::Quit);
    drop(window);
    let code = machine
        .join()
        .map_err(|_| "the machine thread panicked")??;
    if let Some(sig) = crate::signals::received() {
        eprintln!(
            "oxbox: stopped by {}; disk images flushed",
            crate::signals::name(sig)
        );
        return Ok((128 + sig) as u8);
    }
    Ok(code)
}

/// Runs the machine (built on its own thread: it holds per-thread state),
/// paced to host time, until told to quit.
fn machine_thread(
    m: &mut Machine,
    realtime: bool,
    events: Receiver<Event>,
    frames: Sender<Frame>,
    recycled: Receiver<Frame>,
    status: Sender<Status>,
) -> Result<u8, String> {
    let frame_every = Duration::from_micros(16_667);
    let mut last_frame = Instant::now() - frame_every;
    let mut last_status = Instant::now();
    let mut count_at_status = m.instruction_count();
    // Pacing: virtual time since `v0` should equal host time since `h0`.
    let (mut h0, mut v0) = (Instant::now(), m.virtual_time_ns());
    let mut paused = false;
    let mut state: &'static str = "running";
    loop {
        let mut message = None;
        loop {
            let ev = if paused {
                events.recv_timeout(Duration::from_millis(20)).ok()
            } else {
                events.try_recv().ok()
            };
            let Some(ev) = ev else { break };
            match ev {
                Event::Quit => return Ok(0),
                Event::Key(key, down) => m.key_event(key, down),
                Event::Mouse {
                    dx,
                    dy,
                    dz,
                    buttons,
                } => m.mouse_event(dx, dy, dz, buttons),
                Event::Pause(p) => {
                    paused = p;
                    (h0, v0) = (Instant::now(), m.virtual_time_ns());
                }
                Event::Reset => m.reset(),
                Event::Screenshot(path) => {
                    let mut f = Frame::new();
                    m.render(&mut f);
                    message = Some(
                        match crate::png::write(&path, f.width, f.height, &f.pixels) {
                            Ok(()) => format!("screenshot saved to {}", path.display()),
                            Err(e) => format!("cannot write {}: {e}", path.display()),
                        },
                    );
                }
            }
        }
        if !paused && state != "stopped" {
            // One slice: at most 10 ms of virtual time.
            match m.run_for(u64::MAX, 10_000_000) {
                Stop::Yield | Stop::InstructionLimit | Stop::Marker | Stop::Debug(_) => {
                    state = "running"
                }
                Stop::Idle => state = "halted",
                Stop::TripleFault => {
                    // As on a PC: the shutdown cycle resets the machine.
                    m.reset();
                    message = Some("triple fault: the machine was reset".into());
                }
                // The guest asked to end (isa-debug-exit): close, as QEMU does.
                Stop::DebugExit(status) => return Ok((status & 0xFF) as u8),
                stop @ Stop::HaltedInterruptsOff => {
                    state = "stopped";
                    message = Some(stop.to_string());
                }
            }
            if realtime {
                let host = h0.elapsed();
                let virt = Duration::from_nanos(m.virtual_time_ns() - v0);
                if virt > host {
                    thread::sleep((virt - host).min(Duration::from_millis(20)));
                } else if host - virt > Duration::from_millis(100) {
                    // The host is too slow: let the guest run slow instead
                    // of racing to catch up.
                    (h0, v0) = (Instant::now(), m.virtual_time_ns());
                }
            }
        } else if state == "stopped" {
            thread::sleep(Duration::from_millis(20));
        }
        if last_frame.elapsed() >= frame_every {
            last_frame = Instant::now();
            let mut f = recycled.try_recv().unwrap_or_default();
            m.render(&mut f);
            // Never block: if the window has not taken the last frame, drop this one.
            let _ = frames.try_send(f);
        }
        if last_status.elapsed() >= Duration::from_millis(500) || message.is_some() {
            let secs = last_status.elapsed().as_secs_f64().max(1e-6);
            let n = m.instruction_count();
            let mips = (n - count_at_status) as f64 / secs / 1e6;
            count_at_status = n;
            last_status = Instant::now();
            let s = if paused { "paused" } else { state };
            if status
                .send(Status {
                    mips,
                    state: s,
                    message,
                })
                .is_err()
            {
                return Ok(0);
            }
        }
    }
}
