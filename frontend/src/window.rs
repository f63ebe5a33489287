//! The desktop window: minifb on the main thread, the machine on its own
//! thread, input events one way and frames the other over crossbeam
//! channels. The machine never waits for the window: a frame the window has
//! not taken yet is dropped, and frame buffers are recycled.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, Sender, TryRecvError};
use minifb::{
    InputCallback, Key as HostKey, MouseButton, MouseMode, Scale, ScaleMode, Window, WindowOptions,
};
use oxbox_machine::devices::i8042::Key;
use oxbox_machine::devices::vga::Frame;
use oxbox_machine::{Config, Machine, Stop};

use crate::cli::Args;
use crate::keymap;
use crate::pacing::Pacer;

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

/// Collects key transitions from minifb's event processing.
struct KeyLog(Rc<RefCell<Vec<(HostKey, bool)>>>);

impl InputCallback for KeyLog {
    fn add_char(&mut self, _: u32) {}
    fn set_key_state(&mut self, key: HostKey, down: bool) {
        self.0.borrow_mut().push((key, down));
    }
}

/// What one host key transition means.
#[derive(Debug, PartialEq, Eq)]
enum KeyAction {
    /// A make (true) or break (false) for the guest's keyboard.
    Guest(Key, bool),
    /// A host shortcut (the letter pressed with Ctrl+Alt held).
    Shortcut(HostKey),
}

/// The letters that are host shortcuts when pressed with Ctrl+Alt.
const SHORTCUT_KEYS: [HostKey; 6] = [
    HostKey::Q,
    HostKey::R,
    HostKey::P,
    HostKey::S,
    HostKey::G,
    HostKey::Y,
];

/// Host keyboard state: which keys are down, and which presses became
/// shortcuts (their releases are swallowed too, so the guest never sees
/// half a key).
#[derive(Default)]
struct KeyState {
    down: Vec<HostKey>,
    swallowed: Vec<HostKey>,
}

impl KeyState {
    fn is_down(&self, k: HostKey) -> bool {
        self.down.contains(&k)
    }

    /// Turns one transition into what to do. Host auto-repeat (a press of
    /// a key already down) is dropped: the emulated keyboard repeats by
    /// itself at the typematic rate the guest programmed.
    fn transition(&mut self, k: HostKey, down: bool) -> Option<KeyAction> {
        if down {
            if self.is_down(k) {
                return None;
            }
            let ctrl = self.is_down(HostKey::LeftCtrl) || self.is_down(HostKey::RightCtrl);
            let alt = self.is_down(HostKey::LeftAlt) || self.is_down(HostKey::RightAlt);
            self.down.push(k);
            if ctrl && alt && SHORTCUT_KEYS.contains(&k) {
                self.swallowed.push(k);
                return Some(KeyAction::Shortcut(k));
            }
            keymap::pc_key(k).map(|key| KeyAction::Guest(key, true))
        } else {
            self.down.retain(|&d| d != k);
            if let Some(i) = self.swallowed.iter().position(|&s| s == k) {
                self.swallowed.swap_remove(i);
                return None;
            }
            keymap::pc_key(k).map(|key| KeyAction::Guest(key, false))
        }
    }
}

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
    let realtime = args.realtime();
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
    // Every key transition in the order X delivered it, so a tap shorter
    // than a frame still reaches the guest as a make and a break.
    let key_log = Rc::new(RefCell::new(Vec::<(HostKey, bool)>::new()));
    window.set_input_callback(Box::new(KeyLog(Rc::clone(&key_log))));
    let mut keys = KeyState::default();
    while window.is_open() {
        let mut quit = false;
        let transitions = std::mem::take(&mut *key_log.borrow_mut());
        for (k, down) in transitions {
            let Some(action) = keys.transition(k, down) else {
                continue;
            };
            match action {
                KeyAction::Guest(key, down) => {
                    let _ = ev_tx.send(Event::Key(key, down));
                }
                KeyAction::Shortcut(HostKey::Q) => quit = true,
                KeyAction::Shortcut(HostKey::R) => {
                    let _ = ev_tx.send(Event::Reset);
                }
                KeyAction::Shortcut(HostKey::P) => {
                    paused = !paused;
                    let _ = ev_tx.send(Event::Pause(paused));
                }
                KeyAction::Shortcut(HostKey::S) => {
                    shot += 1;
                    let path = PathBuf::from(format!("oxbox-screenshot-{shot}.png"));
                    let _ = ev_tx.send(Event::Screenshot(path));
                }
                KeyAction::Shortcut(HostKey::G) => {
                    captured = false;
                    window.set_cursor_visibility(true);
                }
                // minifb has no Print Screen key: this sends it.
                KeyAction::Shortcut(_) => {
                    let _ = ev_tx.send(Event::Key(Key::PrintScreen, true));
                    let _ = ev_tx.send(Event::Key(Key::PrintScreen, false));
                }
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

/// Input can wake a guest that halted with nothing else pending.
fn wake(state: &mut &'static str) {
    if *state == "halted" {
        *state = "running";
    }
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
    let mut pacer = Pacer::new(m.virtual_time_ns());
    let mut paused = false;
    let mut state: &'static str = "running";
    loop {
        let mut message = None;
        loop {
            // Paused, stopped or halted for good: wait for input rather
            // than spin (a key can wake a halted guest).
            let ev = if paused || state != "running" {
                events.recv_timeout(Duration::from_millis(10)).ok()
            } else {
                events.try_recv().ok()
            };
            let Some(ev) = ev else { break };
            match ev {
                Event::Quit => return Ok(0),
                Event::Key(key, down) => {
                    m.key_event(key, down);
                    wake(&mut state);
                }
                Event::Mouse {
                    dx,
                    dy,
                    dz,
                    buttons,
                } => {
                    m.mouse_event(dx, dy, dz, buttons);
                    wake(&mut state);
                }
                Event::Pause(p) => {
                    paused = p;
                    pacer.restart(m.virtual_time_ns());
                }
                Event::Reset => {
                    m.reset();
                    state = "running";
                }
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
                Stop::Yield
                | Stop::InstructionLimit
                | Stop::Marker
                | Stop::Debug(_)
                | Stop::Hook => state = "running",
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
                pacer.pace(m.virtual_time_ns());
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(keys: &mut KeyState, events: &[(HostKey, bool)]) -> Vec<KeyAction> {
        events
            .iter()
            .filter_map(|&(k, d)| keys.transition(k, d))
            .collect()
    }

    #[test]
    fn a_tap_inside_one_frame_gives_make_and_break() {
        let mut keys = KeyState::default();
        let out = feed(&mut keys, &[(HostKey::A, true), (HostKey::A, false)]);
        assert_eq!(
            out,
            [
                KeyAction::Guest(Key::A, true),
                KeyAction::Guest(Key::A, false)
            ]
        );
    }

    #[test]
    fn host_auto_repeat_is_left_to_the_keyboard_typematic() {
        let mut keys = KeyState::default();
        let out = feed(
            &mut keys,
            &[
                (HostKey::A, true),
                (HostKey::A, true),
                (HostKey::A, true),
                (HostKey::A, false),
            ],
        );
        assert_eq!(
            out,
            [
                KeyAction::Guest(Key::A, true),
                KeyAction::Guest(Key::A, false)
            ]
        );
    }

    #[test]
    fn shortcuts_swallow_press_and_release_but_ctrl_alt_del_reaches_the_guest() {
        let mut keys = KeyState::default();
        let out = feed(
            &mut keys,
            &[
                (HostKey::LeftCtrl, true),
                (HostKey::LeftAlt, true),
                (HostKey::R, true),
                (HostKey::R, false),
                (HostKey::Delete, true),
                (HostKey::Delete, false),
                (HostKey::LeftAlt, false),
                (HostKey::LeftCtrl, false),
                (HostKey::R, true),
                (HostKey::R, false),
            ],
        );
        assert_eq!(
            out,
            [
                KeyAction::Guest(Key::LeftCtrl, true),
                KeyAction::Guest(Key::LeftAlt, true),
                KeyAction::Shortcut(HostKey::R),
                KeyAction::Guest(Key::Delete, true),
                KeyAction::Guest(Key::Delete, false),
                KeyAction::Guest(Key::LeftAlt, false),
                KeyAction::Guest(Key::LeftCtrl, false),
                KeyAction::Guest(Key::R, true),
                KeyAction::Guest(Key::R, false),
            ]
        );
    }
}
