//! Host keys (minifb) to the emulated keyboard's keys. The scan codes
//! themselves live with the keyboard model (`devices::i8042::Key`).

use minifb::Key as Host;
use oxbox_machine::devices::i8042::Key;

/// The PC key a host key stands for.
pub fn pc_key(key: Host) -> Option<Key> {
    use Host as H;
    Some(match key {
        H::Escape => Key::Escape,
        H::F1 => Key::F1,
        H::F2 => Key::F2,
        H::F3 => Key::F3,
        H::F4 => Key::F4,
        H::F5 => Key::F5,
        H::F6 => Key::F6,
        H::F7 => Key::F7,
        H::F8 => Key::F8,
        H::F9 => Key::F9,
        H::F10 => Key::F10,
        H::F11 => Key::F11,
        H::F12 => Key::F12,
        H::ScrollLock => Key::ScrollLock,
        H::Pause => Key::Pause,
        H::Backquote => Key::Backquote,
        H::Key1 => Key::Digit1,
        H::Key2 => Key::Digit2,
        H::Key3 => Key::Digit3,
        H::Key4 => Key::Digit4,
        H::Key5 => Key::Digit5,
        H::Key6 => Key::Digit6,
        H::Key7 => Key::Digit7,
        H::Key8 => Key::Digit8,
        H::Key9 => Key::Digit9,
        H::Key0 => Key::Digit0,
        H::Minus => Key::Minus,
        H::Equal => Key::Equal,
        H::Backspace => Key::Backspace,
        H::Tab => Key::Tab,
        H::Q => Key::Q,
        H::W => Key::W,
        H::E => Key::E,
        H::R => Key::R,
        H::T => Key::T,
        H::Y => Key::Y,
        H::U => Key::U,
        H::I => Key::I,
        H::O => Key::O,
        H::P => Key::P,
        H::LeftBracket => Key::LeftBracket,
        H::RightBracket => Key::RightBracket,
        H::Backslash => Key::Backslash,
        H::CapsLock => Key::CapsLock,
        H::A => Key::A,
        H::S => Key::S,
        H::D => Key::D,
        H::F => Key::F,
        H::G => Key::G,
        H::H => Key::H,
        H::J => Key::J,
        H::K => Key::K,
        H::L => Key::L,
        H::Semicolon => Key::Semicolon,
        H::Apostrophe => Key::Quote,
        H::Enter => Key::Enter,
        H::LeftShift => Key::LeftShift,
        H::Z => Key::Z,
        H::X => Key::X,
        H::C => Key::C,
        H::V => Key::V,
        H::B => Key::B,
        H::N => Key::N,
        H::M => Key::M,
        H::Comma => Key::Comma,
        H::Period => Key::Period,
        H::Slash => Key::Slash,
        H::RightShift => Key::RightShift,
        H::LeftCtrl => Key::LeftCtrl,
        H::LeftSuper => Key::LeftMeta,
        H::LeftAlt => Key::LeftAlt,
        H::Space => Key::Space,
        H::RightAlt => Key::RightAlt,
        H::RightSuper => Key::RightMeta,
        H::Menu => Key::Menu,
        H::RightCtrl => Key::RightCtrl,
        H::Insert => Key::Insert,
        H::Home => Key::Home,
        H::PageUp => Key::PageUp,
        H::Delete => Key::Delete,
        H::End => Key::End,
        H::PageDown => Key::PageDown,
        H::Up => Key::Up,
        H::Left => Key::Left,
        H::Down => Key::Down,
        H::Right => Key::Right,
        H::NumLock => Key::NumLock,
        H::NumPadSlash => Key::KpDivide,
        H::NumPadAsterisk => Key::KpMultiply,
        H::NumPadMinus => Key::KpMinus,
        H::NumPadPlus => Key::KpPlus,
        H::NumPadEnter => Key::KpEnter,
        H::NumPadDot => Key::KpPeriod,
        H::NumPad0 => Key::Kp0,
        H::NumPad1 => Key::Kp1,
        H::NumPad2 => Key::Kp2,
        H::NumPad3 => Key::Kp3,
        H::NumPad4 => Key::Kp4,
        H::NumPad5 => Key::Kp5,
        H::NumPad6 => Key::Kp6,
        H::NumPad7 => Key::Kp7,
        H::NumPad8 => Key::Kp8,
        H::NumPad9 => Key::Kp9,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_us_key_maps_to_its_own_pc_key() {
        use Host::*;
        let keys = [
            Escape, F1, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12, ScrollLock, Pause, Backquote, Key1, Key2,
            Key3, Key4, Key5, Key6, Key7, Key8, Key9, Key0, Minus, Equal, Backspace, Tab, Q, W, E, R, T, Y, U, I, O,
            P, LeftBracket, RightBracket, Backslash, CapsLock, A, S, D, F, G, H, J, K, L, Semicolon, Apostrophe,
            Enter, LeftShift, Z, X, C, V, B, N, M, Comma, Period, Slash, RightShift, LeftCtrl, LeftSuper, LeftAlt,
            Space, RightAlt, RightSuper, Menu, RightCtrl, Insert, Home, PageUp, Delete, End, PageDown, Up, Left,
            Down, Right, NumLock, NumPadSlash, NumPadAsterisk, NumPadMinus, NumPadPlus, NumPadEnter, NumPadDot,
            NumPad0, NumPad1, NumPad2, NumPad3, NumPad4, NumPad5, NumPad6, NumPad7, NumPad8, NumPad9,
        ];
        let mut seen = std::collections::HashSet::new();
        for k in keys {
            let pc = pc_key(k).unwrap_or_else(|| panic!("{k:?} is not mapped"));
            assert!(seen.insert(pc.set2()), "{k:?} shares a scan code");
        }
        assert_eq!(pc_key(Right).map(|k| k.set2()), Some(0xE074));
        assert_eq!(pc_key(A).map(|k| k.set2()), Some(0x1C));
        assert_eq!(pc_key(Unknown), None);
    }
}
