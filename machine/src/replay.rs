//! Record and replay of everything that enters the machine from outside
//! during a run: keys, mouse motion and serial input, each stamped with the
//! instruction count and virtual time at which it arrived. The machine is
//! otherwise deterministic, so replaying a recording on the same start state
//! gives the same run: the same instruction counts, the same output.

use crate::devices::i8042::Key;

/// One input from outside the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputEvent {
    Key {
        key: Key,
        down: bool,
    },
    Mouse {
        dx: i32,
        dy: i32,
        dz: i32,
        buttons: u8,
    },
    Serial {
        com: usize,
        bytes: Vec<u8>,
    },
}

/// An input and when it arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamped {
    /// Retired instructions when the input arrived.
    pub icount: u64,
    /// Virtual time in nanoseconds when it arrived (several inputs can
    /// arrive at one instruction count while the CPU is halted).
    pub time_ns: u64,
    pub event: InputEvent,
}

/// The inputs of a run, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    pub events: Vec<Stamped>,
}

/// A recording being played back.
#[derive(Debug)]
pub(crate) struct Replay {
    pub recording: Recording,
    pub next: usize,
}

impl Replay {
    pub fn peek(&self) -> Option<&Stamped> {
        self.recording.events.get(self.next)
    }
}
