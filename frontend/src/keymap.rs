//! Host keys to PS/2 scan code set 2 byte sequences (the keyboard's native
//! set; the 8042 translates to set 1 when the guest asks for it).

use minifb::Key;

/// Set-2 make code of a key: the bytes sent when it goes down.
pub fn make(key: Key) -> Option<&'static [u8]> {
    use Key::*;
    Some(match key {
        Escape => &[0x76],
        F1 => &[0x05],
        F2 => &[0x06],
        F3 => &[0x04],
        F4 => &[0x0C],
        F5 => &[0x03],
        F6 => &[0x0B],
        F7 => &[0x83],
        F8 => &[0x0A],
        F9 => &[0x01],
        F10 => &[0x09],
        F11 => &[0x78],
        F12 => &[0x07],
        Backquote => &[0x0E],
        Key1 => &[0x16],
        Key2 => &[0x1E],
        Key3 => &[0x26],
        Key4 => &[0x25],
        Key5 => &[0x2E],
        Key6 => &[0x36],
        Key7 => &[0x3D],
        Key8 => &[0x3E],
        Key9 => &[0x46],
        Key0 => &[0x45],
        Minus => &[0x4E],
        Equal => &[0x55],
        Backspace => &[0x66],
        Tab => &[0x0D],
        Q => &[0x15],
        W => &[0x1D],
        E => &[0x24],
        R => &[0x2D],
        T => &[0x2C],
        Y => &[0x35],
        U => &[0x3C],
        I => &[0x43],
        O => &[0x44],
        P => &[0x4D],
        LeftBracket => &[0x54],
        RightBracket => &[0x5B],
        Backslash => &[0x5D],
        CapsLock => &[0x58],
        A => &[0x1C],
        S => &[0x1B],
        D => &[0x23],
        F => &[0x2B],
        G => &[0x34],
        H => &[0x33],
        J => &[0x3B],
        K => &[0x42],
        L => &[0x4B],
        Semicolon => &[0x4C],
        Apostrophe => &[0x52],
        Enter => &[0x5A],
        LeftShift => &[0x12],
        Z => &[0x1A],
        X => &[0x22],
        C => &[0x21],
        V => &[0x2A],
        B => &[0x32],
        N => &[0x31],
        M => &[0x3A],
        Comma => &[0x41],
        Period => &[0x49],
        Slash => &[0x4A],
        RightShift => &[0x59],
        LeftCtrl => &[0x14],
        LeftSuper => &[0xE0, 0x1F],
        LeftAlt => &[0x11],
        Space => &[0x29],
        RightAlt => &[0xE0, 0x11],
        RightSuper => &[0xE0, 0x27],
        Menu => &[0xE0, 0x2F],
        RightCtrl => &[0xE0, 0x14],
        Insert => &[0xE0, 0x70],
        Home => &[0xE0, 0x6C],
        PageUp => &[0xE0, 0x7D],
        Delete => &[0xE0, 0x71],
        End => &[0xE0, 0x69],
        PageDown => &[0xE0, 0x7A],
        Up => &[0xE0, 0x75],
        Left => &[0xE0, 0x6B],
        Down => &[0xE0, 0x72],
        Right => &[0xE0, 0x74],
        NumLock => &[0x77],
        NumPadSlash => &[0xE0, 0x4A],
        NumPadAsterisk => &[0x7C],
        NumPadMinus => &[0x7B],
        NumPad7 => &[0x6C],
        NumPad8 => &[0x75],
        NumPad9 => &[0x7D],
        NumPadPlus => &[0x79],
        NumPad4 => &[0x6B],
        NumPad5 => &[0x73],
        NumPad6 => &[0x74],
        NumPad1 => &[0x69],
        NumPad2 => &[0x72],
        NumPad3 => &[0x7A],
        NumPad0 => &[0x70],
        NumPadDot => &[0x71],
        NumPadEnter => &[0xE0, 0x5A],
        ScrollLock => &[0x7E],
        // Print Screen sends a fake left-shift make first.
        // (minifb has no Print Screen key; see `PRINT_SCREEN_MAKE`.)
        Pause => PAUSE,
        _ => return None,
    })
}

/// Print Screen's make and break sequences (E0-prefixed fake shift).
pub const PRINT_SCREEN_MAKE: &[u8] = &[0xE0, 0x12, 0xE0, 0x7C];
pub const PRINT_SCREEN_BREAK: &[u8] = &[0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12];
/// Pause has no break code: its make sequence carries both halves.
pub const PAUSE: &[u8] = &[0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77];

/// Set-2 break code: F0 before the final byte (after any E0 prefix).
pub fn brk(key: Key) -> Option<Vec<u8>> {
    if key == Key::Pause {
        return None;
    }
    let m = make(key)?;
    let (last, prefix) = m.split_last()?;
    let mut v = prefix.to_vec();
    v.push(0xF0);
    v.push(*last);
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_extended_keys() {
        assert_eq!(make(Key::A), Some(&[0x1C][..]));
        assert_eq!(brk(Key::A), Some(vec![0xF0, 0x1C]));
        assert_eq!(make(Key::Right), Some(&[0xE0, 0x74][..]));
        assert_eq!(brk(Key::Right), Some(vec![0xE0, 0xF0, 0x74]));
        assert_eq!(brk(Key::RightCtrl), Some(vec![0xE0, 0xF0, 0x14]));
        assert_eq!(make(Key::Pause), Some(PAUSE));
        assert_eq!(brk(Key::Pause), None);
    }

    #[test]
    fn every_us_key_has_a_code() {
        use Key::*;
        let keys = [
            Escape, F1, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12, Backquote, Key1, Key2, Key3, Key4, Key5,
            Key6, Key7, Key8, Key9, Key0, Minus, Equal, Backspace, Tab, Q, W, E, R, T, Y, U, I, O, P, LeftBracket,
            RightBracket, Backslash, CapsLock, A, S, D, F, G, H, J, K, L, Semicolon, Apostrophe, Enter, LeftShift,
            Z, X, C, V, B, N, M, Comma, Period, Slash, RightShift, LeftCtrl, LeftSuper, LeftAlt, Space, RightAlt,
            RightSuper, Menu, RightCtrl, Insert, Home, PageUp, Delete, End, PageDown, Up, Left, Down, Right,
            NumLock, NumPadSlash, NumPadAsterisk, NumPadMinus, NumPad7, NumPad8, NumPad9, NumPadPlus, NumPad4,
            NumPad5, NumPad6, NumPad1, NumPad2, NumPad3, NumPad0, NumPadDot, NumPadEnter, ScrollLock, Pause,
        ];
        let mut seen = std::collections::HashSet::new();
        for k in keys {
            let m = make(k).unwrap_or_else(|| panic!("{k:?} has no make code"));
            assert!(seen.insert(m.to_vec()), "{k:?} shares its code");
        }
    }
}
