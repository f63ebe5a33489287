//! The 8042 keyboard controller (ports 60h and 64h) with a PS/2 keyboard
//! and an optional PS/2 mouse behind it.
//!
//! **Output buffer.** The controller holds one byte for the CPU at a time
//! (status OBF, with AUXB when the mouse sent it). Behind it wait the
//! controller's own replies, then the keyboard's bytes, then the mouse's;
//! a device whose interface is disabled in the command byte keeps its bytes
//! (it cannot clock them out). When the CPU reads 60h the next byte follows
//! [`BYTE_GAP_NS`] later, so the interrupt line drops between two bytes and
//! an edge-triggered PIC sees every one of them. IRQ1 is raised for a
//! non-mouse byte when the command byte enables it, IRQ12 for a mouse byte.
//!
//! **Keyboard.** Keys are [`Key`]s, named by position on a US 104/105-key
//! keyboard; [`Key::set2`] gives each one's set 2 make code (E0xxh for the
//! extended keys) and [`Key::from_set2`] goes back, for callers that keep
//! raw codes. The machine reports host key presses with
//! [`I8042::key_down`]/[`I8042::key_up`], and the keyboard produces what a
//! real one would: set 2 natively, set 1 or 3 after F0h, the multi-byte
//! Print Screen and Pause sequences (which depend on the modifiers held),
//! typematic repeat of the last key pressed in virtual time at the F3h
//! rate, a 16-byte buffer with the overrun code when it fills. The
//! controller translates what the keyboard sends to set 1 when the command
//! byte's XLAT bit is set (the default), as every PC does; the front end
//! must not auto-repeat keys itself. Not modelled: the fake shifts some
//! keyboards add around the navigation keys, and set 3's per-key types
//! (FAh-FDh are acknowledged; every set 3 key makes, breaks and repeats).
//!
//! **Mouse.** [`I8042::mouse_move`] adds motion, wheel and button state to
//! the mouse's counters; in stream mode with reporting on the mouse sends a
//! packet at most once per sample period (F3h), and only when its previous
//! packet has left, as a real mouse cannot send while the controller holds
//! the clock. Counters beyond the 9-bit range set the overflow bits. The
//! IntelliMouse knocks (sample rates 200, 100, 80 and then 200, 200, 80)
//! switch to ID 3 (4-byte packets with a wheel) and ID 4 (wheel plus
//! buttons 4 and 5).
//!
//! **Machine lines.** [`I8042::a20`] is the output port's A20 gate;
//! [`I8042::take_reset_request`] reports a CPU reset asked for by a pulse
//! (FEh) or by clearing output port bit 0.

use std::collections::VecDeque;

use crate::{read_bytes, write_bytes, PortIo};

/// Data port.
pub const DATA_PORT: u16 = 0x60;
/// Status (read) and command (write) port.
pub const STATUS_PORT: u16 = 0x64;

/// The next byte enters the emptied output buffer this long after the CPU
/// read the previous one (a PS/2 byte takes about 1 ms on the wire; this is
/// shorter so that polling loops stay short).
pub const BYTE_GAP_NS: u64 = 100_000;

/// Status: output buffer full.
const STATUS_OBF: u8 = 0b0000_0001;
/// Status: input buffer full (never: writes are taken at once).
#[cfg(test)]
const STATUS_IBF: u8 = 0b0000_0010;
/// Status: system flag (set by a successful self test or the command byte).
const STATUS_SYS: u8 = 0b0000_0100;
/// Status: the last write was a command (64h), not data (60h).
const STATUS_A2: u8 = 0b0000_1000;
/// Status: keyboard not inhibited (the key lock is open).
const STATUS_INH: u8 = 0b0001_0000;
/// Status: the output buffer holds a mouse byte.
const STATUS_AUXB: u8 = 0b0010_0000;
/// Status: a device did not answer.
const STATUS_TIMEOUT: u8 = 0b0100_0000;
/// Status: parity error (never: the wire is perfect).
#[cfg(test)]
const STATUS_PARITY: u8 = 0b1000_0000;

/// Command byte: IRQ1 on keyboard data.
const CB_INT: u8 = 0b0000_0001;
/// Command byte: IRQ12 on mouse data.
const CB_INT2: u8 = 0b0000_0010;
/// Command byte: system flag.
const CB_SYS: u8 = 0b0000_0100;
/// Command byte: keyboard interface disabled.
const CB_KBD_DISABLE: u8 = 0b0001_0000;
/// Command byte: mouse interface disabled.
const CB_AUX_DISABLE: u8 = 0b0010_0000;
/// Command byte: translate keyboard bytes to set 1.
const CB_XLAT: u8 = 0b0100_0000;
/// The command byte at power-on: translation on, keyboard interface off
/// until the firmware sets it up.
const CB_POWER_ON: u8 = CB_XLAT | CB_KBD_DISABLE;

/// Output port: CPU reset line (active low).
const OUT_RESET_N: u8 = 0b0000_0001;
/// Output port: A20 gate.
const OUT_A20: u8 = 0b0000_0010;
/// Output port: IRQ1 (output buffer full with keyboard data).
const OUT_OBF_KBD: u8 = 0b0001_0000;
/// Output port: IRQ12 (output buffer full with mouse data).
const OUT_OBF_AUX: u8 = 0b0010_0000;
/// Output port at power-on: reset inactive, A20 on, clock and data lines
/// idle high.
const OUT_POWER_ON: u8 = 0b1100_1111;

/// Input port as 0C0h reads it: keyboard not inhibited.
const INPUT_PORT: u8 = 0b1000_0000;

/// Controller commands (written to 64h).
const C_READ_RAM: u8 = 0x20;
const C_WRITE_RAM: u8 = 0x60;
const C_PASSWORD_TEST: u8 = 0xA4;
const C_AUX_DISABLE: u8 = 0xA7;
const C_AUX_ENABLE: u8 = 0xA8;
const C_AUX_TEST: u8 = 0xA9;
const C_SELF_TEST: u8 = 0xAA;
const C_KBD_TEST: u8 = 0xAB;
const C_KBD_DISABLE: u8 = 0xAD;
const C_KBD_ENABLE: u8 = 0xAE;
const C_READ_INPUT: u8 = 0xC0;
const C_READ_OUTPUT: u8 = 0xD0;
const C_WRITE_OUTPUT: u8 = 0xD1;
const C_WRITE_KBD_OBUF: u8 = 0xD2;
const C_WRITE_AUX_OBUF: u8 = 0xD3;
const C_WRITE_AUX: u8 = 0xD4;
const C_A20_OFF: u8 = 0xDD;
const C_A20_ON: u8 = 0xDF;
const C_READ_TEST: u8 = 0xE0;
/// 0F0h-0FFh pulse the output port bits whose command bits are 0.
const C_PULSE: u8 = 0xF0;

/// Controller replies.
const SELF_TEST_OK: u8 = 0x55;
const INTERFACE_OK: u8 = 0x00;
const NO_PASSWORD: u8 = 0xF1;

/// Device replies.
const ACK: u8 = 0xFA;
const RESEND: u8 = 0xFE;
const BAT_OK: u8 = 0xAA;
const ECHO: u8 = 0xEE;

/// Keyboard commands.
const K_SET_LEDS: u8 = 0xED;
const K_ECHO: u8 = 0xEE;
const K_SCANCODE_SET: u8 = 0xF0;
const K_IDENTIFY: u8 = 0xF2;
const K_TYPEMATIC: u8 = 0xF3;
const K_ENABLE: u8 = 0xF4;
const K_DISABLE: u8 = 0xF5;
const K_DEFAULTS: u8 = 0xF6;
const K_SET3_ALL_TYPEMATIC: u8 = 0xF7;
const K_SET3_KEY_MAKE: u8 = 0xFD;
const K_RESEND: u8 = 0xFE;
const K_RESET: u8 = 0xFF;
/// The lowest byte a keyboard takes as a command while it waits for an
/// argument.
const K_FIRST_COMMAND: u8 = 0xED;
/// Keyboard ID of an MF2 keyboard.
const KBD_ID: [u8; 2] = [0xAB, 0x83];
/// Typematic byte after reset: 10.9 characters/s after 500 ms.
const TYPEMATIC_DEFAULT: u8 = 0x2B;
/// The keyboard's own buffer.
const KBD_BUFFER: usize = 16;
/// Overrun code in sets 2 and 3 (set 1's FFh is its translation).
const OVERRUN: u8 = 0x00;

/// Mouse commands.
const M_SCALING_1_1: u8 = 0xE6;
const M_SCALING_2_1: u8 = 0xE7;
const M_RESOLUTION: u8 = 0xE8;
const M_STATUS: u8 = 0xE9;
const M_STREAM: u8 = 0xEA;
const M_READ_DATA: u8 = 0xEB;
const M_RESET_WRAP: u8 = 0xEC;
const M_WRAP: u8 = 0xEE;
const M_REMOTE: u8 = 0xF0;
const M_GET_ID: u8 = 0xF2;
const M_SAMPLE_RATE: u8 = 0xF3;
const M_ENABLE: u8 = 0xF4;
const M_DISABLE: u8 = 0xF5;
const M_DEFAULTS: u8 = 0xF6;
const M_RESEND: u8 = 0xFE;
const M_RESET: u8 = 0xFF;

/// Mouse status byte 1 (E9h): remote mode, reporting on, scaling 2:1.
const MS_REMOTE: u8 = 0b0100_0000;
const MS_ENABLED: u8 = 0b0010_0000;
const MS_SCALING: u8 = 0b0001_0000;

/// Packet byte 0: always 1, sign and overflow bits.
const PK_ALWAYS: u8 = 0b0000_1000;
const PK_X_SIGN: u8 = 0b0001_0000;
const PK_Y_SIGN: u8 = 0b0010_0000;
const PK_X_OVERFLOW: u8 = 0b0100_0000;
const PK_Y_OVERFLOW: u8 = 0b1000_0000;

/// Mouse button bits for [`I8042::mouse_move`] (and packet byte 0).
pub const MOUSE_LEFT: u8 = 0b0000_0001;
pub const MOUSE_RIGHT: u8 = 0b0000_0010;
pub const MOUSE_MIDDLE: u8 = 0b0000_0100;
/// Buttons 4 and 5 (reported with mouse ID 4 only).
pub const MOUSE_BUTTON4: u8 = 0b0000_1000;
pub const MOUSE_BUTTON5: u8 = 0b0001_0000;

/// Sample rates a PS/2 mouse accepts.
const SAMPLE_RATES: [u8; 7] = [10, 20, 40, 60, 80, 100, 200];

/// The 8042's translation from set 2 to set 1 for codes below 80h; above,
/// codes pass unchanged except 83h (F7) and 84h (Alt+SysRq).
#[rustfmt::skip]
const XLAT: [u8; 128] = [
    0xFF, 0x43, 0x41, 0x3F, 0x3D, 0x3B, 0x3C, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3E, 0x0F, 0x29, 0x59,
    0x65, 0x38, 0x2A, 0x70, 0x1D, 0x10, 0x02, 0x5A, 0x66, 0x71, 0x2C, 0x1F, 0x1E, 0x11, 0x03, 0x5B,
    0x67, 0x2E, 0x2D, 0x20, 0x12, 0x05, 0x04, 0x5C, 0x68, 0x39, 0x2F, 0x21, 0x14, 0x13, 0x06, 0x5D,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5E, 0x6A, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5F,
    0x6B, 0x33, 0x25, 0x17, 0x18, 0x0B, 0x0A, 0x60, 0x6C, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0C, 0x61,
    0x6D, 0x73, 0x28, 0x74, 0x1A, 0x0D, 0x62, 0x6E, 0x3A, 0x36, 0x1C, 0x1B, 0x75, 0x2B, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7A, 0x0E, 0x7B, 0x7C, 0x4F, 0x7D, 0x4B, 0x47, 0x7E, 0x7F, 0x6F,
    0x52, 0x53, 0x50, 0x4C, 0x4D, 0x48, 0x01, 0x45, 0x57, 0x4E, 0x51, 0x4A, 0x37, 0x49, 0x46, 0x54,
];

/// One set 2 byte through the 8042's translation (F0h handled by caller).
pub fn translate(code: u8) -> u8 {
    match code {
        0x00..=0x7F => XLAT[usize::from(code)],
        0x83 => 0x41,
        0x84 => 0x54,
        _ => code,
    }
}

/// Translates a set 2 byte stream to set 1: F0h disappears and sets bit 7
/// of the next code.
fn translate_stream(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut brk = false;
    for &b in bytes {
        if b == 0xF0 {
            brk = true;
        } else {
            out.push(translate(b) | if brk { 0x80 } else { 0 });
            brk = false;
        }
    }
    out
}

macro_rules! keys {
    ($($(#[$doc:meta])* $name:ident = $set2:literal, $set3:literal;)*) => {
        /// A key, by its position on a US keyboard.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum Key {
            $($(#[$doc])* $name,)*
        }

        impl Key {
            /// Every key.
            pub const ALL: &'static [Key] = &[$(Key::$name,)*];

            /// The set 2 make code: `xx` for plain keys, `E0xx` for
            /// extended ones; Print Screen is E07Ch and Pause E114h, the
            /// cores of their longer sequences.
            pub const fn set2(self) -> u16 {
                match self {
                    $(Key::$name => $set2,)*
                }
            }

            /// The set 3 code.
            pub const fn set3(self) -> u8 {
                match self {
                    $(Key::$name => $set3,)*
                }
            }
        }
    };
}

keys! {
    Escape = 0x76, 0x08;
    F1 = 0x05, 0x07;
    F2 = 0x06, 0x0F;
    F3 = 0x04, 0x17;
    F4 = 0x0C, 0x1F;
    F5 = 0x03, 0x27;
    F6 = 0x0B, 0x2F;
    F7 = 0x83, 0x37;
    F8 = 0x0A, 0x3F;
    F9 = 0x01, 0x47;
    F10 = 0x09, 0x4F;
    F11 = 0x78, 0x56;
    F12 = 0x07, 0x5E;
    PrintScreen = 0xE07C, 0x57;
    ScrollLock = 0x7E, 0x5F;
    Pause = 0xE114, 0x62;
    /// The key left of 1 (`).
    Backquote = 0x0E, 0x0E;
    Digit1 = 0x16, 0x16;
    Digit2 = 0x1E, 0x1E;
    Digit3 = 0x26, 0x26;
    Digit4 = 0x25, 0x25;
    Digit5 = 0x2E, 0x2E;
    Digit6 = 0x36, 0x36;
    Digit7 = 0x3D, 0x3D;
    Digit8 = 0x3E, 0x3E;
    Digit9 = 0x46, 0x46;
    Digit0 = 0x45, 0x45;
    Minus = 0x4E, 0x4E;
    Equal = 0x55, 0x55;
    Backspace = 0x66, 0x66;
    Tab = 0x0D, 0x0D;
    Q = 0x15, 0x15;
    W = 0x1D, 0x1D;
    E = 0x24, 0x24;
    R = 0x2D, 0x2D;
    T = 0x2C, 0x2C;
    Y = 0x35, 0x35;
    U = 0x3C, 0x3C;
    I = 0x43, 0x43;
    O = 0x44, 0x44;
    P = 0x4D, 0x4D;
    LeftBracket = 0x54, 0x54;
    RightBracket = 0x5B, 0x5B;
    Backslash = 0x5D, 0x5C;
    CapsLock = 0x58, 0x14;
    A = 0x1C, 0x1C;
    S = 0x1B, 0x1B;
    D = 0x23, 0x23;
    F = 0x2B, 0x2B;
    G = 0x34, 0x34;
    H = 0x33, 0x33;
    J = 0x3B, 0x3B;
    K = 0x42, 0x42;
    L = 0x4B, 0x4B;
    Semicolon = 0x4C, 0x4C;
    Quote = 0x52, 0x52;
    Enter = 0x5A, 0x5A;
    LeftShift = 0x12, 0x12;
    /// The extra key left of Z on ISO keyboards.
    IntlBackslash = 0x61, 0x13;
    Z = 0x1A, 0x1A;
    X = 0x22, 0x22;
    C = 0x21, 0x21;
    V = 0x2A, 0x2A;
    B = 0x32, 0x32;
    N = 0x31, 0x31;
    M = 0x3A, 0x3A;
    Comma = 0x41, 0x41;
    Period = 0x49, 0x49;
    Slash = 0x4A, 0x4A;
    RightShift = 0x59, 0x59;
    LeftCtrl = 0x14, 0x11;
    LeftMeta = 0xE01F, 0x8B;
    LeftAlt = 0x11, 0x19;
    Space = 0x29, 0x29;
    RightAlt = 0xE011, 0x39;
    RightMeta = 0xE027, 0x8C;
    Menu = 0xE02F, 0x8D;
    RightCtrl = 0xE014, 0x58;
    Insert = 0xE070, 0x67;
    Home = 0xE06C, 0x6E;
    PageUp = 0xE07D, 0x6F;
    Delete = 0xE071, 0x64;
    End = 0xE069, 0x65;
    PageDown = 0xE07A, 0x6D;
    Up = 0xE075, 0x63;
    Left = 0xE06B, 0x61;
    Down = 0xE072, 0x60;
    Right = 0xE074, 0x6A;
    NumLock = 0x77, 0x76;
    KpDivide = 0xE04A, 0x77;
    KpMultiply = 0x7C, 0x7E;
    KpMinus = 0x7B, 0x84;
    KpPlus = 0x79, 0x7C;
    KpEnter = 0xE05A, 0x79;
    KpPeriod = 0x71, 0x71;
    Kp0 = 0x70, 0x70;
    Kp1 = 0x69, 0x69;
    Kp2 = 0x72, 0x72;
    Kp3 = 0x7A, 0x7A;
    Kp4 = 0x6B, 0x6B;
    Kp5 = 0x73, 0x73;
    Kp6 = 0x74, 0x74;
    Kp7 = 0x6C, 0x6C;
    Kp8 = 0x75, 0x75;
    Kp9 = 0x7D, 0x7D;
}

impl Key {
    /// The key whose set 2 make code is `code` (as [`Key::set2`] gives it).
    pub fn from_set2(code: u16) -> Option<Key> {
        Self::ALL.iter().copied().find(|k| k.set2() == code)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Which keys are held, one bit per [`Key`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct KeySet([u64; 2]);

impl KeySet {
    fn contains(&self, k: Key) -> bool {
        let i = k.index();
        self.0[i / 64] & 1 << (i % 64) != 0
    }

    fn set(&mut self, k: Key, on: bool) {
        let i = k.index();
        if on {
            self.0[i / 64] |= 1 << (i % 64);
        } else {
            self.0[i / 64] &= !(1 << (i % 64));
        }
    }

    fn any(&self, keys: &[Key]) -> bool {
        keys.iter().any(|&k| self.contains(k))
    }
}

/// The PS/2 keyboard.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Keyboard {
    /// Replies to commands, sent before any scan code.
    reply: VecDeque<u8>,
    /// Scan codes (at most [`KBD_BUFFER`] bytes plus an overrun code).
    data: VecDeque<u8>,
    overrun: bool,
    scanning: bool,
    set: u8,
    leds: u8,
    typematic: u8,
    /// A command waiting for its argument.
    expect: Option<u8>,
    last_sent: u8,
    held: KeySet,
    repeat: Option<(Key, u64)>,
}

impl Keyboard {
    fn new() -> Self {
        Keyboard {
            reply: VecDeque::new(),
            data: VecDeque::with_capacity(KBD_BUFFER + 1),
            overrun: false,
            scanning: true,
            set: 2,
            leds: 0,
            typematic: TYPEMATIC_DEFAULT,
            expect: None,
            last_sent: 0,
            held: KeySet::default(),
            repeat: None,
        }
    }

    fn defaults(&mut self) {
        self.typematic = TYPEMATIC_DEFAULT;
        self.set = 2;
        self.repeat = None;
        self.clear_buffer();
    }

    fn clear_buffer(&mut self) {
        self.data.clear();
        self.overrun = false;
    }

    fn pop(&mut self) -> Option<u8> {
        let b = self.reply.pop_front().or_else(|| self.data.pop_front())?;
        if self.data.is_empty() {
            self.overrun = false;
        }
        self.last_sent = b;
        Some(b)
    }

    fn has_output(&self) -> bool {
        !self.reply.is_empty() || !self.data.is_empty()
    }

    fn command(&mut self, b: u8) {
        if let Some(cmd) = self.expect {
            if b < K_FIRST_COMMAND {
                self.argument(cmd, b);
                return;
            }
            // A command byte instead of an argument starts a new command.
            self.expect = None;
        }
        let ack = |k: &mut Keyboard| k.reply.push_back(ACK);
        match b {
            K_SET_LEDS | K_SCANCODE_SET | K_TYPEMATIC => {
                ack(self);
                self.expect = Some(b);
            }
            K_ECHO => self.reply.push_back(ECHO),
            K_IDENTIFY => {
                ack(self);
                self.reply.extend(KBD_ID);
            }
            K_ENABLE => {
                ack(self);
                self.clear_buffer();
                self.scanning = true;
            }
            K_DISABLE => {
                ack(self);
                self.defaults();
                self.scanning = false;
            }
            K_DEFAULTS => {
                ack(self);
                self.defaults();
                self.scanning = true;
            }
            K_SET3_ALL_TYPEMATIC..=K_SET3_KEY_MAKE => {
                ack(self);
                // FBh-FDh take a list of keys, ended by the next command.
                if b >= 0xFB {
                    self.expect = Some(b);
                }
            }
            K_RESEND => {
                let last = self.last_sent;
                self.reply.push_back(last);
            }
            K_RESET => {
                ack(self);
                self.defaults();
                self.leds = 0;
                self.scanning = true;
                self.reply.push_back(BAT_OK);
            }
            _ => self.reply.push_back(RESEND),
        }
    }

    fn argument(&mut self, cmd: u8, b: u8) {
        match cmd {
            K_SET_LEDS => {
                self.leds = b & 0b111;
                self.expect = None;
            }
            K_TYPEMATIC => {
                self.typematic = b & 0x7F;
                self.expect = None;
            }
            K_SCANCODE_SET => match b {
                0 => {
                    self.reply.push_back(ACK);
                    self.reply.push_back(self.set);
                    self.expect = None;
                    return;
                }
                1..=3 => {
                    self.set = b;
                    self.clear_buffer();
                    self.expect = None;
                }
                _ => {
                    // Asks for the argument again.
                    self.reply.push_back(RESEND);
                    return;
                }
            },
            // FBh-FDh key lists: acknowledge each key, keep waiting.
            _ => {}
        }
        self.reply.push_back(ACK);
    }

    /// Delay before typematic repeat starts, in ns.
    fn repeat_delay(&self) -> u64 {
        (1 + u64::from(self.typematic >> 5 & 0b11)) * 250_000_000
    }

    /// Period of typematic repeat, in ns: (8 + A) * 2^B / 240 s.
    fn repeat_period(&self) -> u64 {
        let a = u64::from(self.typematic & 0b111);
        let b = u32::from(self.typematic >> 3 & 0b11);
        ((8 + a) << b) * 1_000_000_000 / 240
    }

    /// The bytes for `key` going down or up in the current set.
    fn sequence(&self, key: Key, down: bool) -> Vec<u8> {
        if self.set == 3 {
            let c = key.set3();
            return if down { vec![c] } else { vec![0xF0, c] };
        }
        let alt = self.held.any(&[Key::LeftAlt, Key::RightAlt]);
        let ctrl = self.held.any(&[Key::LeftCtrl, Key::RightCtrl]);
        let shift = self.held.any(&[Key::LeftShift, Key::RightShift]);
        let set2: Vec<u8> = match (key, down) {
            (Key::PrintScreen, true) if alt => vec![0x84],
            (Key::PrintScreen, false) if alt => vec![0xF0, 0x84],
            (Key::PrintScreen, true) if ctrl || shift => vec![0xE0, 0x7C],
            (Key::PrintScreen, false) if ctrl || shift => vec![0xE0, 0xF0, 0x7C],
            (Key::PrintScreen, true) => vec![0xE0, 0x12, 0xE0, 0x7C],
            (Key::PrintScreen, false) => vec![0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12],
            // Ctrl+Pause is Break.
            (Key::Pause, true) if ctrl => vec![0xE0, 0x7E, 0xE0, 0xF0, 0x7E],
            (Key::Pause, true) => vec![0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77],
            (Key::Pause, false) => vec![],
            _ => {
                let code = key.set2();
                let mut v = Vec::with_capacity(3);
                if code > 0xFF {
                    v.push(0xE0);
                }
                if !down {
                    v.push(0xF0);
                }
                v.push(code as u8);
                v
            }
        };
        if self.set == 1 {
            translate_stream(&set2)
        } else {
            set2
        }
    }

    /// Queues scan codes, or the overrun code when they do not fit.
    fn send(&mut self, bytes: &[u8]) -> bool {
        if self.data.len() + bytes.len() <= KBD_BUFFER {
            self.data.extend(bytes);
            true
        } else {
            if !self.overrun {
                let code = if self.set == 1 {
                    translate(OVERRUN)
                } else {
                    OVERRUN
                };
                self.data.push_back(code);
                self.overrun = true;
            }
            false
        }
    }

    fn key(&mut self, key: Key, down: bool, now: u64) {
        if self.held.contains(key) == down {
            return; // the host's own repeats and stray releases
        }
        // Modifier state as the key goes down includes only the others.
        let seq = self.sequence(key, down);
        self.held.set(key, down);
        if !down && self.repeat.is_some_and(|(k, _)| k == key) {
            self.repeat = None;
        }
        if !self.scanning {
            return;
        }
        if down {
            self.repeat =
                (key != Key::Pause).then(|| (key, now.saturating_add(self.repeat_delay())));
        }
        if !seq.is_empty() {
            self.send(&seq);
        }
    }

    /// Typematic repeats due by `now`. Repeats that find the buffer full
    /// are skipped.
    fn tick(&mut self, now: u64) {
        let Some((key, at)) = self.repeat else { return };
        if at > now || !self.scanning {
            return;
        }
        let period = self.repeat_period().max(1);
        let due = (now - at) / period + 1;
        let seq = self.sequence(key, true);
        for _ in 0..due.min(KBD_BUFFER as u64) {
            if self.data.len() + seq.len() > KBD_BUFFER {
                break;
            }
            self.data.extend(&seq);
        }
        self.repeat = Some((key, at.saturating_add(due.saturating_mul(period))));
    }

    fn deadline(&self) -> Option<u64> {
        self.repeat.filter(|_| self.scanning).map(|(_, at)| at)
    }
}

/// The PS/2 mouse.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Mouse {
    reply: VecDeque<u8>,
    data: VecDeque<u8>,
    id: u8,
    rate: u8,
    resolution: u8,
    scaling_2_1: bool,
    remote: bool,
    enabled: bool,
    wrap: bool,
    expect: Option<u8>,
    last_sent: u8,
    /// The last three sample rates set, for the IntelliMouse knocks.
    knock: [u8; 3],
    dx: i32,
    dy: i32,
    dz: i32,
    buttons: u8,
    /// Movement or buttons changed since the last packet.
    dirty: bool,
    next_sample: u64,
}

impl Mouse {
    fn new() -> Self {
        Mouse {
            reply: VecDeque::new(),
            data: VecDeque::new(),
            id: 0,
            rate: 100,
            resolution: 2,
            scaling_2_1: false,
            remote: false,
            enabled: false,
            wrap: false,
            expect: None,
            last_sent: 0,
            knock: [0; 3],
            dx: 0,
            dy: 0,
            dz: 0,
            buttons: 0,
            dirty: false,
            next_sample: 0,
        }
    }

    fn defaults(&mut self) {
        self.rate = 100;
        self.resolution = 2;
        self.scaling_2_1 = false;
        self.remote = false;
        self.enabled = false;
        self.clear_counters();
    }

    fn clear_counters(&mut self) {
        self.dx = 0;
        self.dy = 0;
        self.dz = 0;
        self.dirty = false;
        self.data.clear();
    }

    fn pop(&mut self) -> Option<u8> {
        let b = self.reply.pop_front().or_else(|| self.data.pop_front())?;
        self.last_sent = b;
        Some(b)
    }

    fn has_output(&self) -> bool {
        !self.reply.is_empty() || !self.data.is_empty()
    }

    fn command(&mut self, b: u8) {
        if self.wrap && b != M_RESET_WRAP && b != M_RESET {
            self.reply.push_back(b);
            return;
        }
        if let Some(cmd) = self.expect.take() {
            return self.argument(cmd, b);
        }
        let ack = ACK;
        match b {
            M_SCALING_1_1 => {
                self.scaling_2_1 = false;
                self.reply.push_back(ack);
            }
            M_SCALING_2_1 => {
                self.scaling_2_1 = true;
                self.reply.push_back(ack);
            }
            M_RESOLUTION | M_SAMPLE_RATE => {
                self.reply.push_back(ack);
                self.expect = Some(b);
            }
            M_STATUS => {
                let mut s = self.buttons & (MOUSE_LEFT | MOUSE_MIDDLE | MOUSE_RIGHT);
                // Status byte order: right at bit 0, middle 1, left 2.
                s = (s & MOUSE_LEFT) << 2 | (s & MOUSE_MIDDLE) >> 1 | (s & MOUSE_RIGHT) >> 1;
                if self.remote {
                    s |= MS_REMOTE;
                }
                if self.enabled {
                    s |= MS_ENABLED;
                }
                if self.scaling_2_1 {
                    s |= MS_SCALING;
                }
                self.reply.extend([ack, s, self.resolution, self.rate]);
            }
            M_STREAM => {
                self.remote = false;
                self.clear_counters();
                self.reply.push_back(ack);
            }
            M_READ_DATA => {
                self.reply.push_back(ack);
                let p = self.packet();
                self.reply.extend(p);
            }
            M_RESET_WRAP => {
                self.wrap = false;
                self.clear_counters();
                self.reply.push_back(ack);
            }
            M_WRAP => {
                self.wrap = true;
                self.clear_counters();
                self.reply.push_back(ack);
            }
            M_REMOTE => {
                self.remote = true;
                self.clear_counters();
                self.reply.push_back(ack);
            }
            M_GET_ID => {
                self.reply.extend([ack, self.id]);
            }
            M_ENABLE => {
                self.enabled = true;
                self.clear_counters();
                self.reply.push_back(ack);
            }
            M_DISABLE => {
                self.enabled = false;
                self.clear_counters();
                self.reply.push_back(ack);
            }
            M_DEFAULTS => {
                self.defaults();
                self.reply.push_back(ack);
            }
            M_RESEND => {
                let last = self.last_sent;
                self.reply.push_back(last);
            }
            M_RESET => {
                self.defaults();
                self.wrap = false;
                self.id = 0;
                self.knock = [0; 3];
                self.reply.extend([ack, BAT_OK, 0x00]);
            }
            _ => self.reply.push_back(RESEND),
        }
    }

    fn argument(&mut self, cmd: u8, b: u8) {
        match cmd {
            M_SAMPLE_RATE if SAMPLE_RATES.contains(&b) => {
                self.rate = b;
                self.knock = [self.knock[1], self.knock[2], b];
                match (self.knock, self.id) {
                    ([200, 100, 80], 0) => self.id = 3,
                    ([200, 200, 80], 3) => self.id = 4,
                    _ => {}
                }
                self.reply.push_back(ACK);
            }
            M_RESOLUTION if b <= 3 => {
                self.resolution = b;
                self.reply.push_back(ACK);
            }
            _ => {
                // A bad argument: ask for it again.
                self.reply.push_back(RESEND);
                self.expect = Some(cmd);
            }
        }
    }

    /// 2:1 scaling as the mouse applies it in stream mode.
    fn scale(v: i32) -> i32 {
        match v.abs() {
            0 | 1 => v,
            2 => v.signum(),
            3 => 3 * v.signum(),
            4 => 6 * v.signum(),
            5 => 9 * v.signum(),
            _ => v.saturating_mul(2),
        }
    }

    /// Builds a packet from the counters and clears them.
    fn packet(&mut self) -> Vec<u8> {
        let (mut dx, mut dy) = (self.dx, self.dy);
        if self.scaling_2_1 && !self.remote {
            dx = Self::scale(dx);
            dy = Self::scale(dy);
        }
        let mut b0 = PK_ALWAYS | self.buttons & (MOUSE_LEFT | MOUSE_RIGHT | MOUSE_MIDDLE);
        if !(-256..=255).contains(&dx) {
            b0 |= PK_X_OVERFLOW;
        }
        if !(-256..=255).contains(&dy) {
            b0 |= PK_Y_OVERFLOW;
        }
        let dx = dx.clamp(-256, 255);
        let dy = dy.clamp(-256, 255);
        if dx < 0 {
            b0 |= PK_X_SIGN;
        }
        if dy < 0 {
            b0 |= PK_Y_SIGN;
        }
        let mut p = vec![b0, dx as u8, dy as u8];
        let dz = self.dz.clamp(-8, 7) as u8;
        match self.id {
            3 => p.push(dz),
            4 => p.push(dz & 0x0F | (self.buttons & (MOUSE_BUTTON4 | MOUSE_BUTTON5)) << 1),
            _ => {}
        }
        self.dx = 0;
        self.dy = 0;
        self.dz = 0;
        self.dirty = false;
        p
    }

    fn motion(&mut self, dx: i32, dy: i32, dz: i32, buttons: u8) {
        self.dx = self.dx.saturating_add(dx);
        self.dy = self.dy.saturating_add(dy);
        self.dz = self.dz.saturating_add(dz);
        if dx != 0 || dy != 0 || dz != 0 || buttons != self.buttons {
            self.dirty = true;
        }
        self.buttons = buttons;
    }

    fn streaming(&self) -> bool {
        self.enabled && !self.remote && !self.wrap
    }

    /// Sends a packet when one is due and the last one has gone.
    fn tick(&mut self, now: u64) {
        if self.streaming() && self.dirty && self.data.is_empty() && now >= self.next_sample {
            let p = self.packet();
            self.data.extend(p);
            self.next_sample = now.saturating_add(1_000_000_000 / u64::from(self.rate.max(1)));
        }
    }

    fn deadline(&self) -> Option<u64> {
        (self.streaming() && self.dirty && self.data.is_empty()).then_some(self.next_sample)
    }
}

/// Where the byte in the output buffer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Source {
    Controller,
    Keyboard,
    Mouse,
}

/// The 8042 with its keyboard and mouse.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct I8042 {
    /// Controller RAM; byte 0 is the command byte.
    ram: [u8; 32],
    sys: bool,
    a2: bool,
    timeout: bool,
    out: Option<(u8, Source)>,
    last_out: u8,
    /// Bytes the controller itself puts out (replies, D2h/D3h).
    ctrl: VecDeque<(u8, Source)>,
    /// A controller command waiting for its data byte.
    pending: Option<u8>,
    output_port: u8,
    reset_request: bool,
    /// The output buffer may not be loaded before this time.
    ready_at: u64,
    /// Translation saw F0h; the next code is a break.
    xlat_break: bool,
    kbd: Keyboard,
    mouse: Option<Mouse>,
    now: u64,
}

impl Default for I8042 {
    fn default() -> Self {
        Self::new()
    }
}

impl I8042 {
    /// A controller with a keyboard and a mouse, at power-on.
    pub fn new() -> Self {
        let mut ram = [0; 32];
        ram[0] = CB_POWER_ON;
        I8042 {
            ram,
            sys: false,
            a2: false,
            timeout: false,
            out: None,
            last_out: 0,
            ctrl: VecDeque::new(),
            pending: None,
            output_port: OUT_POWER_ON,
            reset_request: false,
            ready_at: 0,
            xlat_break: false,
            kbd: Keyboard::new(),
            mouse: Some(Mouse::new()),
            now: 0,
        }
    }

    /// A controller with a keyboard and an empty mouse port: commands for
    /// the mouse time out.
    pub fn without_mouse() -> Self {
        I8042 {
            mouse: None,
            ..Self::new()
        }
    }

    /// IRQ1: a keyboard (or controller) byte waits and the command byte
    /// enables its interrupt.
    pub fn irq1(&self) -> bool {
        matches!(self.out, Some((_, s)) if s != Source::Mouse) && self.ram[0] & CB_INT != 0
    }

    /// IRQ12: a mouse byte waits and the command byte enables its interrupt.
    pub fn irq12(&self) -> bool {
        matches!(self.out, Some((_, Source::Mouse))) && self.ram[0] & CB_INT2 != 0
    }

    /// The A20 gate of the output port.
    pub fn a20(&self) -> bool {
        self.output_port & OUT_A20 != 0
    }

    /// Whether the guest asked for a CPU reset since the last call.
    pub fn take_reset_request(&mut self) -> bool {
        std::mem::take(&mut self.reset_request)
    }

    /// The keyboard LEDs: scroll lock at bit 0, num lock 1, caps lock 2.
    pub fn leds(&self) -> u8 {
        self.kbd.leds
    }

    /// The keyboard's scan code set (1, 2 or 3).
    pub fn scancode_set(&self) -> u8 {
        self.kbd.set
    }

    /// The mouse's ID: 0, or 3/4 after the IntelliMouse knocks.
    pub fn mouse_id(&self) -> Option<u8> {
        self.mouse.as_ref().map(|m| m.id)
    }

    /// A host key went down at `now`. Presses of a key already down (the
    /// host's own auto-repeat) are ignored: the keyboard repeats by itself.
    pub fn key_down(&mut self, key: Key, now: u64) {
        self.sync(now);
        self.kbd.key(key, true, self.now);
        self.refill();
    }

    /// A host key came up at `now`.
    pub fn key_up(&mut self, key: Key, now: u64) {
        self.sync(now);
        self.kbd.key(key, false, self.now);
        self.refill();
    }

    /// Host mouse motion at `now`: `dx` to the right, `dy` away from the
    /// user (up the screen, as PS/2 counts; a window's pixel delta is
    /// negated), `dz` wheel detents with negative away from the user
    /// (scrolling up), and the buttons now held ([`MOUSE_LEFT`] etc.).
    pub fn mouse_move(&mut self, dx: i32, dy: i32, dz: i32, buttons: u8, now: u64) {
        self.sync(now);
        if let Some(m) = &mut self.mouse {
            m.motion(dx, dy, dz, buttons);
        }
        self.sync(now);
    }

    /// When the output buffer is next loaded, a key repeats or the mouse
    /// samples.
    pub fn next_deadline(&self, _now: u64) -> Option<u64> {
        let load = (self.out.is_none() && self.source_ready().is_some()).then_some(self.ready_at);
        let mouse = self.mouse.as_ref().and_then(Mouse::deadline);
        [load, self.kbd.deadline(), mouse]
            .into_iter()
            .flatten()
            .min()
    }

    /// Catches up with virtual time `now`.
    pub fn update(&mut self, now: u64) {
        self.sync(now);
    }

    fn sync(&mut self, now: u64) {
        self.now = self.now.max(now);
        self.kbd.tick(self.now);
        if let Some(m) = &mut self.mouse {
            m.tick(self.now);
        }
        self.refill();
    }

    /// The source whose byte goes into the output buffer next.
    fn source_ready(&self) -> Option<Source> {
        if !self.ctrl.is_empty() {
            Some(Source::Controller)
        } else if self.kbd.has_output() && self.ram[0] & CB_KBD_DISABLE == 0 {
            Some(Source::Keyboard)
        } else if self.mouse.as_ref().is_some_and(Mouse::has_output)
            && self.ram[0] & CB_AUX_DISABLE == 0
        {
            Some(Source::Mouse)
        } else {
            None
        }
    }

    /// Loads the output buffer if it is empty and a byte is ready.
    fn refill(&mut self) {
        while self.out.is_none() && self.now >= self.ready_at {
            match self.source_ready() {
                Some(Source::Controller) => self.out = self.ctrl.pop_front(),
                Some(Source::Keyboard) => {
                    let Some(b) = self.kbd.pop() else { break };
                    if self.ram[0] & CB_XLAT == 0 {
                        self.out = Some((b, Source::Keyboard));
                    } else if b == 0xF0 {
                        self.xlat_break = true;
                    } else {
                        let brk = if std::mem::take(&mut self.xlat_break) {
                            0x80
                        } else {
                            0
                        };
                        self.out = Some((translate(b) | brk, Source::Keyboard));
                    }
                }
                Some(Source::Mouse) => {
                    let b = self.mouse.as_mut().and_then(Mouse::pop);
                    self.out = b.map(|b| (b, Source::Mouse));
                }
                None => break,
            }
        }
        if let Some(m) = &mut self.mouse {
            // The packet's last byte left: the next may be sampled.
            m.tick(self.now);
        }
    }

    fn reply(&mut self, b: u8) {
        self.ctrl.push_back((b, Source::Controller));
        self.refill();
    }

    fn read_status(&self) -> u8 {
        let mut s = STATUS_INH;
        match self.out {
            Some((_, Source::Mouse)) => s |= STATUS_OBF | STATUS_AUXB,
            Some(_) => s |= STATUS_OBF,
            None => {}
        }
        if self.sys {
            s |= STATUS_SYS;
        }
        if self.a2 {
            s |= STATUS_A2;
        }
        if self.timeout {
            s |= STATUS_TIMEOUT;
        }
        s
    }

    fn read_data(&mut self) -> u8 {
        if let Some((b, _)) = self.out.take() {
            self.last_out = b;
            self.timeout = false;
            self.ready_at = self.now.saturating_add(BYTE_GAP_NS);
        }
        self.last_out
    }

    fn read_output_port(&self) -> u8 {
        let mut v = self.output_port & !(OUT_OBF_KBD | OUT_OBF_AUX);
        match self.out {
            Some((_, Source::Mouse)) => v |= OUT_OBF_AUX,
            Some(_) => v |= OUT_OBF_KBD,
            None => {}
        }
        v
    }

    fn write_output_port(&mut self, v: u8) {
        if v & OUT_RESET_N == 0 {
            // The CPU resets; the line is released again.
            self.reset_request = true;
        }
        self.output_port = v | OUT_RESET_N;
    }

    fn write_command(&mut self, v: u8) {
        self.a2 = true;
        self.pending = None;
        match v {
            0x20..=0x3F => {
                let b = self.ram[usize::from(v - C_READ_RAM)];
                self.reply(b);
            }
            0x60..=0x7F | C_WRITE_OUTPUT | C_WRITE_KBD_OBUF | C_WRITE_AUX_OBUF | C_WRITE_AUX => {
                self.pending = Some(v);
            }
            C_PASSWORD_TEST => self.reply(NO_PASSWORD),
            C_AUX_DISABLE => self.ram[0] |= CB_AUX_DISABLE,
            C_AUX_ENABLE => self.ram[0] &= !CB_AUX_DISABLE,
            C_AUX_TEST | C_KBD_TEST => self.reply(INTERFACE_OK),
            C_SELF_TEST => {
                self.sys = true;
                self.reply(SELF_TEST_OK);
            }
            C_KBD_DISABLE => self.ram[0] |= CB_KBD_DISABLE,
            C_KBD_ENABLE => self.ram[0] &= !CB_KBD_DISABLE,
            C_READ_INPUT => self.reply(INPUT_PORT),
            C_READ_OUTPUT => {
                let v = self.read_output_port();
                self.reply(v);
            }
            C_A20_OFF => self.output_port &= !OUT_A20,
            C_A20_ON => self.output_port |= OUT_A20,
            C_READ_TEST => self.reply(0x00),
            C_PULSE..=0xFF => {
                if v & OUT_RESET_N == 0 {
                    self.reset_request = true;
                }
            }
            _ => log::debug!("i8042: unknown controller command {v:#04x}"),
        }
        self.refill();
    }

    fn write_data(&mut self, v: u8) {
        self.a2 = false;
        match self.pending.take() {
            Some(c @ 0x60..=0x7F) => {
                let i = usize::from(c - C_WRITE_RAM);
                self.ram[i] = v;
                if i == 0 {
                    self.sys = v & CB_SYS != 0;
                }
            }
            Some(C_WRITE_OUTPUT) => self.write_output_port(v),
            Some(C_WRITE_KBD_OBUF) => self.ctrl.push_back((v, Source::Keyboard)),
            Some(C_WRITE_AUX_OBUF) => self.ctrl.push_back((v, Source::Mouse)),
            Some(C_WRITE_AUX) => match &mut self.mouse {
                Some(m) => m.command(v),
                None => {
                    self.timeout = true;
                    self.ctrl.push_back((RESEND, Source::Mouse));
                }
            },
            _ => {
                // Sending to the keyboard enables its interface.
                self.ram[0] &= !CB_KBD_DISABLE;
                self.kbd.command(v);
            }
        }
        self.refill();
    }
}

impl PortIo for I8042 {
    fn read(&mut self, port: u16, size: u8, now: u64) -> u32 {
        self.sync(now);
        read_bytes(port, size, |p| match p {
            DATA_PORT => self.read_data(),
            STATUS_PORT => self.read_status(),
            _ => 0xFF,
        })
    }

    fn write(&mut self, port: u16, size: u8, value: u32, now: u64) {
        self.sync(now);
        write_bytes(port, size, value, |p, v| match p {
            DATA_PORT => self.write_data(v),
            STATUS_PORT => self.write_command(v),
            _ => {}
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(k: &mut I8042, port: u16, v: u8, now: u64) {
        k.write(port, 1, u32::from(v), now);
    }

    fn status(k: &mut I8042, now: u64) -> u8 {
        k.read(STATUS_PORT, 1, now) as u8
    }

    /// Reads every byte the controller has, advancing time between bytes.
    fn drain(k: &mut I8042, now: &mut u64) -> Vec<u8> {
        let mut got = Vec::new();
        for _ in 0..64 {
            k.update(*now);
            if status(k, *now) & STATUS_OBF == 0 {
                *now += BYTE_GAP_NS;
                k.update(*now);
                if status(k, *now) & STATUS_OBF == 0 {
                    break;
                }
            }
            got.push(k.read(DATA_PORT, 1, *now) as u8);
        }
        got
    }

    /// A controller after a firmware-like setup: command byte `cb`.
    fn setup(cb: u8) -> (I8042, u64) {
        let mut k = I8042::new();
        let mut now = 0;
        out(&mut k, STATUS_PORT, C_WRITE_RAM, now);
        out(&mut k, DATA_PORT, cb, now);
        assert!(drain(&mut k, &mut now).is_empty());
        (k, now)
    }

    fn kbd(k: &mut I8042, bytes: &[u8], now: &mut u64) -> Vec<u8> {
        for &b in bytes {
            out(k, DATA_PORT, b, *now);
        }
        drain(k, now)
    }

    fn press(k: &mut I8042, key: Key, now: &mut u64) -> Vec<u8> {
        k.key_down(key, *now);
        let mut v = drain(k, now);
        k.key_up(key, *now);
        v.extend(drain(k, now));
        v
    }

    fn aux(k: &mut I8042, bytes: &[u8], now: &mut u64) -> Vec<u8> {
        for &b in bytes {
            out(k, STATUS_PORT, C_WRITE_AUX, *now);
            out(k, DATA_PORT, b, *now);
        }
        drain(k, now)
    }

    #[test]
    fn power_on_state_and_controller_ram() {
        let mut k = I8042::new();
        assert_eq!(status(&mut k, 0), STATUS_INH);
        assert_eq!(status(&mut k, 0) & (STATUS_IBF | STATUS_PARITY), 0);
        out(&mut k, STATUS_PORT, C_READ_RAM, 0);
        assert_eq!(status(&mut k, 0), STATUS_INH | STATUS_A2 | STATUS_OBF);
        assert!(!k.irq1(), "IRQ1 is off at power-on");
        assert_eq!(k.read(DATA_PORT, 1, 0), u32::from(CB_POWER_ON));
        assert_eq!(status(&mut k, 0) & STATUS_OBF, 0);
        assert_eq!(
            k.read(DATA_PORT, 1, 0),
            u32::from(CB_POWER_ON),
            "last byte again"
        );
        // RAM bytes 1-31 through 61h-7Fh and 21h-3Fh.
        out(&mut k, STATUS_PORT, 0x65, 0);
        out(&mut k, DATA_PORT, 0xA5, 0);
        assert_eq!(status(&mut k, 0) & STATUS_A2, 0);
        out(&mut k, STATUS_PORT, 0x25, 0);
        assert_eq!(k.read(DATA_PORT, 1, 0), u32::from(CB_POWER_ON), "not yet");
        assert_eq!(
            drain(&mut k, &mut 0),
            [0xA5],
            "a byte time after the last read"
        );
        assert!(k.a20());
        assert!(!k.take_reset_request());
        assert_eq!(k.read(0x61, 1, 0), 0xFF, "not ours");
    }

    #[test]
    fn self_test_and_interface_tests() {
        let (mut k, mut now) = setup(0);
        assert_eq!(status(&mut k, now) & STATUS_SYS, 0);
        for (cmd, reply) in [
            (C_SELF_TEST, SELF_TEST_OK),
            (C_KBD_TEST, INTERFACE_OK),
            (C_AUX_TEST, INTERFACE_OK),
            (C_READ_INPUT, INPUT_PORT),
            (C_PASSWORD_TEST, NO_PASSWORD),
            (C_READ_TEST, 0x00),
        ] {
            out(&mut k, STATUS_PORT, cmd, now);
            assert_eq!(drain(&mut k, &mut now), [reply], "command {cmd:#x}");
        }
        assert_eq!(status(&mut k, now) & STATUS_SYS, STATUS_SYS);
        // The system flag follows the command byte.
        out(&mut k, STATUS_PORT, C_WRITE_RAM, now);
        out(&mut k, DATA_PORT, 0, now);
        assert_eq!(status(&mut k, now) & STATUS_SYS, 0);
        out(&mut k, STATUS_PORT, C_WRITE_RAM, now);
        out(&mut k, DATA_PORT, CB_SYS, now);
        assert_eq!(status(&mut k, now) & STATUS_SYS, STATUS_SYS);
        // Interface enable and disable bits.
        out(&mut k, STATUS_PORT, C_AUX_DISABLE, now);
        out(&mut k, STATUS_PORT, C_KBD_DISABLE, now);
        out(&mut k, STATUS_PORT, C_READ_RAM, now);
        let cb = CB_SYS | CB_KBD_DISABLE | CB_AUX_DISABLE;
        assert_eq!(drain(&mut k, &mut now), [cb]);
        out(&mut k, STATUS_PORT, C_AUX_ENABLE, now);
        out(&mut k, STATUS_PORT, C_KBD_ENABLE, now);
        out(&mut k, STATUS_PORT, C_READ_RAM, now);
        assert_eq!(drain(&mut k, &mut now), [CB_SYS]);
    }

    #[test]
    fn output_port_a20_and_reset() {
        let (mut k, mut now) = setup(0);
        out(&mut k, STATUS_PORT, C_READ_OUTPUT, now);
        assert_eq!(drain(&mut k, &mut now), [OUT_POWER_ON]);
        out(&mut k, STATUS_PORT, C_WRITE_OUTPUT, now);
        out(&mut k, DATA_PORT, OUT_POWER_ON & !OUT_A20, now);
        assert!(!k.a20());
        assert!(!k.take_reset_request());
        out(&mut k, STATUS_PORT, C_A20_ON, now);
        assert!(k.a20());
        out(&mut k, STATUS_PORT, C_A20_OFF, now);
        assert!(!k.a20());
        // Clearing bit 0 resets the CPU; the line is released again.
        out(&mut k, STATUS_PORT, C_WRITE_OUTPUT, now);
        out(&mut k, DATA_PORT, 0xDE, now);
        assert!(k.a20());
        assert!(k.take_reset_request());
        assert!(!k.take_reset_request());
        // The pulse commands: FEh pulses reset, FFh pulses nothing.
        out(&mut k, STATUS_PORT, 0xFF, now);
        assert!(!k.take_reset_request());
        out(&mut k, STATUS_PORT, 0xFE, now);
        assert!(k.take_reset_request());
        out(&mut k, STATUS_PORT, 0xF0, now);
        assert!(k.take_reset_request());
        // D0h shows whether the output buffer holds keyboard or mouse data.
        out(&mut k, STATUS_PORT, C_WRITE_AUX_OBUF, now);
        out(&mut k, DATA_PORT, 0x11, now);
        out(&mut k, STATUS_PORT, C_READ_OUTPUT, now);
        assert_eq!(drain(&mut k, &mut now), [0x11, 0xCF | OUT_OBF_AUX]);
    }

    #[test]
    fn irq1_follows_the_output_buffer_with_a_gap_between_bytes() {
        let (mut k, mut now) = setup(CB_INT);
        kbd(&mut k, &[K_RESET], &mut now);
        k.key_down(Key::A, now);
        k.key_up(Key::A, now);
        assert!(k.irq1(), "the make code is in the buffer at once");
        assert!(!k.irq12());
        assert_eq!(k.read(DATA_PORT, 1, now), 0x1C);
        assert!(!k.irq1(), "the line drops");
        assert_eq!(k.next_deadline(now), Some(now + BYTE_GAP_NS));
        k.update(now + BYTE_GAP_NS - 1);
        assert!(!k.irq1());
        k.update(now + BYTE_GAP_NS);
        assert!(k.irq1(), "and rises for the next byte");
        now += BYTE_GAP_NS;
        assert_eq!(drain(&mut k, &mut now), [0xF0, 0x1C]);
        assert!(!k.irq1());
        assert_eq!(k.next_deadline(now), None);
        // Controller replies raise IRQ1 too.
        out(&mut k, STATUS_PORT, C_READ_RAM, now);
        assert!(k.irq1());
    }

    #[test]
    fn keyboard_reset_identify_and_translation_of_replies() {
        let (mut k, mut now) = setup(0);
        assert_eq!(kbd(&mut k, &[K_RESET], &mut now), [ACK, BAT_OK]);
        assert_eq!(kbd(&mut k, &[K_IDENTIFY], &mut now), [ACK, 0xAB, 0x83]);
        let (mut k, mut now) = setup(CB_XLAT);
        assert_eq!(kbd(&mut k, &[K_IDENTIFY], &mut now), [ACK, 0xAB, 0x41]);
        assert_eq!(
            kbd(&mut k, &[K_SCANCODE_SET, 0], &mut now),
            [ACK, ACK, 0x41]
        );
        // Writing to the keyboard re-enables a disabled interface.
        let mut k = I8042::new();
        let mut now = 0;
        assert_eq!(kbd(&mut k, &[K_ECHO], &mut now), [ECHO]);
        out(&mut k, STATUS_PORT, C_READ_RAM, now);
        assert_eq!(drain(&mut k, &mut now), [CB_XLAT]);
    }

    #[test]
    fn keyboard_commands() {
        let (mut k, mut now) = setup(0);
        assert_eq!(kbd(&mut k, &[K_SET_LEDS, 0x07], &mut now), [ACK, ACK]);
        assert_eq!(k.leds(), 7);
        assert_eq!(kbd(&mut k, &[K_ECHO, K_RESEND], &mut now), [ECHO, ECHO]);
        assert_eq!(kbd(&mut k, &[0x01], &mut now), [RESEND], "not a command");
        // Scan code sets.
        assert_eq!(kbd(&mut k, &[K_SCANCODE_SET, 0], &mut now), [ACK, ACK, 2]);
        assert_eq!(kbd(&mut k, &[K_SCANCODE_SET, 3], &mut now), [ACK, ACK]);
        assert_eq!(k.scancode_set(), 3);
        assert_eq!(kbd(&mut k, &[K_SCANCODE_SET, 7], &mut now), [ACK, RESEND]);
        assert_eq!(kbd(&mut k, &[1], &mut now), [ACK], "the argument again");
        assert_eq!(k.scancode_set(), 1);
        // A command in place of an argument is a command.
        assert_eq!(kbd(&mut k, &[K_SET_LEDS, K_ECHO], &mut now), [ACK, ECHO]);
        assert_eq!(k.leds(), 7);
        // Set 3 key type commands are acknowledged, lists included.
        let r = kbd(
            &mut k,
            &[K_SET3_ALL_TYPEMATIC, 0xFB, 0x1C, 0x1B, K_ECHO],
            &mut now,
        );
        assert_eq!(r, [ACK, ACK, ACK, ACK, ECHO]);
        // Disable: defaults (set 2) and no scanning; enable scans again.
        assert_eq!(kbd(&mut k, &[K_DISABLE], &mut now), [ACK]);
        assert_eq!(k.scancode_set(), 2);
        assert!(press(&mut k, Key::A, &mut now).is_empty());
        assert_eq!(kbd(&mut k, &[K_ENABLE], &mut now), [ACK]);
        assert_eq!(press(&mut k, Key::A, &mut now), [0x1C, 0xF0, 0x1C]);
        assert_eq!(
            kbd(&mut k, &[K_DEFAULTS, K_TYPEMATIC, 0x7F], &mut now),
            [ACK, ACK, ACK]
        );
        assert_eq!(k.kbd.typematic, 0x7F);
        assert_eq!(kbd(&mut k, &[K_RESET], &mut now), [ACK, BAT_OK]);
        assert_eq!((k.leds(), k.kbd.typematic), (0, TYPEMATIC_DEFAULT));
    }

    #[test]
    fn keys_in_set_2_and_translated_to_set_1() {
        let (mut k, mut now) = setup(0);
        assert_eq!(press(&mut k, Key::A, &mut now), [0x1C, 0xF0, 0x1C]);
        assert_eq!(
            press(&mut k, Key::Up, &mut now),
            [0xE0, 0x75, 0xE0, 0xF0, 0x75]
        );
        assert_eq!(press(&mut k, Key::F7, &mut now), [0x83, 0xF0, 0x83]);
        let (mut k, mut now) = setup(CB_XLAT);
        assert_eq!(press(&mut k, Key::A, &mut now), [0x1E, 0x9E]);
        assert_eq!(press(&mut k, Key::Up, &mut now), [0xE0, 0x48, 0xE0, 0xC8]);
        assert_eq!(
            press(&mut k, Key::RightCtrl, &mut now),
            [0xE0, 0x1D, 0xE0, 0x9D]
        );
        assert_eq!(press(&mut k, Key::F7, &mut now), [0x41, 0xC1]);
        assert_eq!(press(&mut k, Key::Escape, &mut now), [0x01, 0x81]);
        assert_eq!(
            press(&mut k, Key::KpDivide, &mut now),
            [0xE0, 0x35, 0xE0, 0xB5]
        );
    }

    #[test]
    fn print_screen_and_pause_sequences() {
        let (mut k, mut now) = setup(0);
        assert_eq!(
            press(&mut k, Key::PrintScreen, &mut now),
            [0xE0, 0x12, 0xE0, 0x7C, 0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12]
        );
        assert_eq!(
            press(&mut k, Key::Pause, &mut now),
            [0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77]
        );
        k.key_down(Key::LeftShift, now);
        drain(&mut k, &mut now);
        assert_eq!(
            press(&mut k, Key::PrintScreen, &mut now),
            [0xE0, 0x7C, 0xE0, 0xF0, 0x7C]
        );
        k.key_up(Key::LeftShift, now);
        k.key_down(Key::RightAlt, now);
        drain(&mut k, &mut now);
        assert_eq!(
            press(&mut k, Key::PrintScreen, &mut now),
            [0x84, 0xF0, 0x84]
        );
        k.key_up(Key::RightAlt, now);
        k.key_down(Key::LeftCtrl, now);
        drain(&mut k, &mut now);
        assert_eq!(
            press(&mut k, Key::Pause, &mut now),
            [0xE0, 0x7E, 0xE0, 0xF0, 0x7E]
        );
        k.key_up(Key::LeftCtrl, now);
        drain(&mut k, &mut now);
        // Through translation: the set 1 sequences.
        let (mut k, mut now) = setup(CB_XLAT);
        assert_eq!(
            press(&mut k, Key::PrintScreen, &mut now),
            [0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA]
        );
        assert_eq!(
            press(&mut k, Key::Pause, &mut now),
            [0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5]
        );
        k.key_down(Key::LeftAlt, now);
        drain(&mut k, &mut now);
        assert_eq!(
            press(&mut k, Key::PrintScreen, &mut now),
            [0x54, 0xD4],
            "SysRq"
        );
    }

    #[test]
    fn native_sets_1_and_3() {
        let (mut k, mut now) = setup(0);
        kbd(&mut k, &[K_SCANCODE_SET, 1], &mut now);
        assert_eq!(press(&mut k, Key::A, &mut now), [0x1E, 0x9E]);
        assert_eq!(press(&mut k, Key::Home, &mut now), [0xE0, 0x47, 0xE0, 0xC7]);
        kbd(&mut k, &[K_SCANCODE_SET, 3], &mut now);
        assert_eq!(press(&mut k, Key::A, &mut now), [0x1C, 0xF0, 0x1C]);
        assert_eq!(press(&mut k, Key::LeftCtrl, &mut now), [0x11, 0xF0, 0x11]);
        assert_eq!(press(&mut k, Key::Up, &mut now), [0x63, 0xF0, 0x63]);
        assert_eq!(press(&mut k, Key::Pause, &mut now), [0x62, 0xF0, 0x62]);
        assert_eq!(
            press(&mut k, Key::PrintScreen, &mut now),
            [0x57, 0xF0, 0x57]
        );
    }

    #[test]
    fn typematic_repeat_in_virtual_time() {
        let (mut k, mut now) = setup(0);
        k.key_down(Key::B, now);
        let t0 = now;
        assert_eq!(drain(&mut k, &mut now), [0x32]);
        assert_eq!(k.next_deadline(now), Some(t0 + 500_000_000), "500 ms delay");
        let period = 11 * 2 * 1_000_000_000 / 240; // 10.9 characters/s
        let mut t = t0 + 500_000_000;
        for _ in 0..3 {
            k.update(t);
            assert_eq!(k.read(DATA_PORT, 1, t), 0x32);
            assert_eq!(k.next_deadline(t), Some(t + period));
            t += period;
        }
        // The host's own repeats change nothing.
        k.key_down(Key::B, t - period);
        // Another key takes over the repeat.
        k.key_down(Key::C, t);
        let mut now = t;
        assert_eq!(drain(&mut k, &mut now), [0x32, 0x21]);
        assert_eq!(k.next_deadline(now), Some(t + 500_000_000));
        // Releasing B does not stop C; releasing C does.
        k.key_up(Key::B, now);
        assert_eq!(drain(&mut k, &mut now), [0xF0, 0x32]);
        assert_eq!(k.next_deadline(now), Some(t + 500_000_000));
        k.key_up(Key::C, now);
        assert_eq!(drain(&mut k, &mut now), [0xF0, 0x21]);
        assert_eq!(k.next_deadline(now), None);
        // Fastest rate, shortest delay: 30/s after 250 ms.
        kbd(&mut k, &[K_TYPEMATIC, 0x00], &mut now);
        k.key_down(Key::Up, now);
        let t0 = now;
        drain(&mut k, &mut now);
        assert_eq!(k.next_deadline(now), Some(t0 + 250_000_000));
        // Missed repeats come at once, as far as the buffer goes.
        let late = t0 + 250_000_000 + 3 * 33_333_333;
        k.update(late);
        let mut now = late;
        assert_eq!(
            drain(&mut k, &mut now),
            [0xE0, 0x75, 0xE0, 0x75, 0xE0, 0x75, 0xE0, 0x75]
        );
        // Pause does not repeat.
        k.key_up(Key::Up, now);
        k.key_down(Key::Pause, now);
        drain(&mut k, &mut now);
        assert_eq!(k.next_deadline(now), None);
    }

    #[test]
    fn held_bytes_and_overrun() {
        let (mut k, mut now) = setup(CB_KBD_DISABLE);
        let keys = [
            Key::Q,
            Key::W,
            Key::E,
            Key::R,
            Key::T,
            Key::Y,
            Key::U,
            Key::I,
            Key::O,
            Key::P,
            Key::A,
            Key::S,
            Key::D,
            Key::F,
            Key::G,
            Key::H,
            Key::J,
            Key::K,
            Key::L,
        ];
        for key in keys {
            k.key_down(key, now);
        }
        assert_eq!(status(&mut k, now) & STATUS_OBF, 0, "interface disabled");
        assert_eq!(k.next_deadline(now), Some(k.kbd.repeat.map_or(0, |r| r.1)));
        out(&mut k, STATUS_PORT, C_KBD_ENABLE, now);
        let got = drain(&mut k, &mut now);
        let mut want: Vec<u8> = keys[..KBD_BUFFER].iter().map(|k| k.set2() as u8).collect();
        want.push(OVERRUN);
        assert_eq!(got, want);
        // Translated, the overrun code is FFh.
        let (mut k, mut now) = setup(CB_XLAT | CB_KBD_DISABLE);
        for key in keys {
            k.key_down(key, now);
        }
        out(&mut k, STATUS_PORT, C_KBD_ENABLE, now);
        assert_eq!(drain(&mut k, &mut now).last(), Some(&0xFF));
    }

    #[test]
    fn mouse_reset_id_and_intellimouse_knocks() {
        let (mut k, mut now) = setup(CB_INT | CB_INT2);
        out(&mut k, STATUS_PORT, C_WRITE_AUX, now);
        out(&mut k, DATA_PORT, M_RESET, now);
        assert_eq!(
            status(&mut k, now) & (STATUS_OBF | STATUS_AUXB),
            STATUS_OBF | STATUS_AUXB
        );
        assert!(k.irq12() && !k.irq1());
        assert_eq!(drain(&mut k, &mut now), [ACK, BAT_OK, 0x00]);
        assert_eq!(aux(&mut k, &[M_GET_ID], &mut now), [ACK, 0]);
        let knock = [M_SAMPLE_RATE, 200, M_SAMPLE_RATE, 100, M_SAMPLE_RATE, 80];
        assert_eq!(aux(&mut k, &knock, &mut now), [ACK; 6]);
        assert_eq!(aux(&mut k, &[M_GET_ID], &mut now), [ACK, 3]);
        let knock = [M_SAMPLE_RATE, 200, M_SAMPLE_RATE, 200, M_SAMPLE_RATE, 80];
        aux(&mut k, &knock, &mut now);
        assert_eq!(k.mouse_id(), Some(4));
        assert_eq!(aux(&mut k, &[M_RESET], &mut now), [ACK, BAT_OK, 0]);
        assert_eq!(k.mouse_id(), Some(0));
        // Status request: defaults.
        assert_eq!(aux(&mut k, &[M_STATUS], &mut now), [ACK, 0, 2, 100]);
        let cmds = [M_RESOLUTION, 3, M_SCALING_2_1, M_REMOTE, M_ENABLE];
        assert_eq!(aux(&mut k, &cmds, &mut now), [ACK; 5]);
        k.mouse_move(0, 0, 0, MOUSE_LEFT | MOUSE_RIGHT, now);
        let st = MS_REMOTE | MS_ENABLED | MS_SCALING | 0b101;
        assert_eq!(aux(&mut k, &[M_STATUS], &mut now), [ACK, st, 3, 100]);
        // Bad arguments are asked for again; unknown commands resent.
        assert_eq!(
            aux(&mut k, &[M_SAMPLE_RATE, 55, 40], &mut now),
            [ACK, RESEND, ACK]
        );
        assert_eq!(
            aux(&mut k, &[M_RESOLUTION, 9, 0], &mut now),
            [ACK, RESEND, ACK]
        );
        assert_eq!(aux(&mut k, &[0x01, M_RESEND], &mut now), [RESEND, RESEND]);
        assert_eq!(
            aux(&mut k, &[M_DEFAULTS, M_STATUS], &mut now),
            [ACK, ACK, 0b101, 2, 100]
        );
    }

    #[test]
    fn mouse_stream_packets_rate_limited() {
        let (mut k, mut now) = setup(CB_INT2);
        aux(&mut k, &[M_ENABLE], &mut now);
        k.mouse_move(5, -3, 0, MOUSE_LEFT, now);
        assert!(k.irq12());
        assert_eq!(drain(&mut k, &mut now), [0x09 | PK_Y_SIGN, 5, 0xFD]);
        // Within the 10 ms sample period motion adds up.
        let t0 = now;
        k.mouse_move(1, 1, 0, MOUSE_LEFT, now);
        k.mouse_move(2, 2, 0, MOUSE_LEFT, now);
        assert_eq!(drain(&mut k, &mut now), Vec::<u8>::new());
        let Some(t) = k.next_deadline(now) else {
            panic!("no sample scheduled")
        };
        assert!(t > t0 && t <= t0 + 10_000_000);
        now = t;
        k.update(now);
        assert_eq!(drain(&mut k, &mut now), [0x09, 3, 3]);
        // Overflow: the counters saturate the packet.
        now += 20_000_000;
        k.mouse_move(300, -400, 0, 0, now);
        assert_eq!(
            drain(&mut k, &mut now),
            [
                PK_ALWAYS | PK_X_OVERFLOW | PK_Y_OVERFLOW | PK_Y_SIGN,
                0xFF,
                0x00
            ]
        );
        // Wheel packets once the mouse is an IntelliMouse.
        let knock = [M_SAMPLE_RATE, 200, M_SAMPLE_RATE, 100, M_SAMPLE_RATE, 80];
        aux(&mut k, &knock, &mut now);
        now += 20_000_000;
        k.mouse_move(0, 0, -1, MOUSE_MIDDLE, now);
        assert_eq!(drain(&mut k, &mut now), [0x0C, 0, 0, 0xFF]);
        // ID 4: buttons 4 and 5 in the fourth byte.
        let knock = [M_SAMPLE_RATE, 200, M_SAMPLE_RATE, 200, M_SAMPLE_RATE, 80];
        aux(&mut k, &knock, &mut now);
        now += 20_000_000;
        k.mouse_move(0, 0, 2, MOUSE_BUTTON5, now);
        assert_eq!(drain(&mut k, &mut now), [0x08, 0, 0, 0x22]);
        // Disabled: nothing is sent.
        aux(&mut k, &[M_DISABLE], &mut now);
        now += 20_000_000;
        k.mouse_move(9, 9, 0, 0, now);
        assert!(drain(&mut k, &mut now).is_empty());
        assert_eq!(k.next_deadline(now), None);
    }

    #[test]
    fn mouse_remote_mode_wrap_mode_and_scaling() {
        let (mut k, mut now) = setup(0);
        aux(&mut k, &[M_REMOTE, M_ENABLE], &mut now);
        k.mouse_move(-2, 7, 0, MOUSE_RIGHT, now);
        assert!(
            drain(&mut k, &mut now).is_empty(),
            "remote: wait to be asked"
        );
        assert_eq!(
            aux(&mut k, &[M_READ_DATA], &mut now),
            [ACK, 0x0A | PK_X_SIGN, 0xFE, 7]
        );
        assert_eq!(aux(&mut k, &[M_READ_DATA], &mut now), [ACK, 0x0A, 0, 0]);
        // Stream mode with 2:1 scaling.
        aux(&mut k, &[M_STREAM, M_SCALING_2_1, M_ENABLE], &mut now);
        k.mouse_move(4, -10, 0, 0, now);
        assert_eq!(
            drain(&mut k, &mut now),
            [0x08 | PK_Y_SIGN, 6, (-20i8) as u8]
        );
        aux(&mut k, &[M_SCALING_1_1], &mut now);
        // Wrap mode echoes everything but reset-wrap and reset.
        assert_eq!(aux(&mut k, &[M_WRAP], &mut now), [ACK]);
        assert_eq!(aux(&mut k, &[0x12, M_GET_ID], &mut now), [0x12, M_GET_ID]);
        assert_eq!(
            aux(&mut k, &[M_RESET_WRAP, M_GET_ID], &mut now),
            [ACK, ACK, 0]
        );
    }

    #[test]
    fn aux_interface_disable_holds_mouse_bytes() {
        let (mut k, mut now) = setup(CB_INT | CB_INT2);
        aux(&mut k, &[M_ENABLE], &mut now);
        out(&mut k, STATUS_PORT, C_AUX_DISABLE, now);
        k.mouse_move(1, 0, 0, 0, now);
        assert!(drain(&mut k, &mut now).is_empty());
        // Keyboard bytes still get through.
        assert_eq!(press(&mut k, Key::Z, &mut now), [0x1A, 0xF0, 0x1A]);
        out(&mut k, STATUS_PORT, C_AUX_ENABLE, now);
        assert_eq!(drain(&mut k, &mut now), [0x08, 1, 0]);
    }

    #[test]
    fn injected_bytes_and_missing_mouse() {
        let (mut k, mut now) = setup(CB_INT | CB_INT2);
        out(&mut k, STATUS_PORT, C_WRITE_KBD_OBUF, now);
        out(&mut k, DATA_PORT, 0x12, now);
        assert!(k.irq1() && !k.irq12());
        assert_eq!(status(&mut k, now) & STATUS_AUXB, 0);
        assert_eq!(drain(&mut k, &mut now), [0x12], "D2h is not translated");
        out(&mut k, STATUS_PORT, C_WRITE_AUX_OBUF, now);
        out(&mut k, DATA_PORT, 0x5A, now);
        assert!(k.irq12() && !k.irq1());
        assert_eq!(drain(&mut k, &mut now), [0x5A]);
        let mut k = I8042::without_mouse();
        let mut now = 0;
        assert_eq!(k.mouse_id(), None);
        out(&mut k, STATUS_PORT, C_WRITE_AUX, now);
        out(&mut k, DATA_PORT, M_GET_ID, now);
        let s = status(&mut k, now);
        assert_eq!(
            s & (STATUS_TIMEOUT | STATUS_AUXB),
            STATUS_TIMEOUT | STATUS_AUXB
        );
        assert_eq!(drain(&mut k, &mut now), [RESEND]);
        assert_eq!(status(&mut k, now) & STATUS_TIMEOUT, 0);
        k.mouse_move(1, 1, 1, 1, now);
        assert_eq!(k.next_deadline(now), None);
    }

    #[test]
    fn translation_table_and_key_table() {
        let mut seen = [false; 128];
        for code in 1..0x80u8 {
            let t = translate(code);
            assert!(t < 0x80 && t != 0 && !seen[usize::from(t)], "{code:#x}");
            seen[usize::from(t)] = true;
        }
        assert_eq!(translate(0), 0xFF);
        assert_eq!((translate(0xE0), translate(0xFA)), (0xE0, 0xFA));
        let mut set2 = std::collections::HashSet::new();
        let mut set3 = std::collections::HashSet::new();
        for &key in Key::ALL {
            assert!(set2.insert(key.set2()), "{key:?}");
            assert!(set3.insert(key.set3()), "{key:?}");
            assert_eq!(Key::from_set2(key.set2()), Some(key));
        }
        assert_eq!(Key::ALL.len(), 105);
        assert_eq!(Key::from_set2(0xE0FF), None);
        // Set 1 codes every PC program knows.
        let set1 = |k: Key| translate_stream(&[k.set2() as u8])[0];
        assert_eq!(set1(Key::Enter), 0x1C);
        assert_eq!(set1(Key::Space), 0x39);
        assert_eq!(set1(Key::F11), 0x57);
        assert_eq!(set1(Key::IntlBackslash), 0x56);
        assert_eq!(set1(Key::NumLock), 0x45);
    }

    #[test]
    fn clone_is_a_snapshot() {
        let (mut k, mut now) = setup(CB_INT);
        k.key_down(Key::S, now);
        let mut snap = k.clone();
        assert_eq!(drain(&mut k, &mut now), [0x1B]);
        let mut t = now;
        assert_eq!(drain(&mut snap, &mut t), [0x1B]);
        assert_eq!(k.next_deadline(now), snap.next_deadline(now));
    }

    #[test]
    fn no_guest_input_panics() {
        let mut k = I8042::new();
        let mut x = 0x2545_F491u32;
        let mut now = 0u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            now += u64::from(x % 50_000);
            let v = (x >> 8) as u8;
            match x % 8 {
                0..=2 => out(&mut k, DATA_PORT, v, now),
                3 => out(&mut k, STATUS_PORT, v, now),
                4 => {
                    k.read(DATA_PORT, (x >> 29) as u8 % 5, now);
                }
                5 => {
                    let key = Key::ALL[usize::from(v) % Key::ALL.len()];
                    if x & 0x1_0000 != 0 {
                        k.key_down(key, now);
                    } else {
                        k.key_up(key, now);
                    }
                }
                6 => k.mouse_move(x as i32 >> 16, x as i32 >> 20, v as i8 as i32, v, now),
                _ => {
                    if let Some(t) = k.next_deadline(now) {
                        now = now.max(t);
                    }
                    k.update(now);
                    k.take_reset_request();
                }
            }
            assert!(k.kbd.data.len() <= KBD_BUFFER + 1);
        }
    }
}
