//! Real-time pacing: keeps the guest's virtual clock in step with the host's.
//!
//! The machine runs in short slices; after each one the pacer sleeps off
//! any lead virtual time has over host time. When the host falls behind by
//! more than [`MAX_LAG`], the pacer forgets the debt instead of letting the
//! guest race to catch up, so a slow host gives a slow guest, never a burst
//! of timer interrupts.

use std::thread;
use std::time::{Duration, Instant};

/// Largest lag forgiven silently; beyond it the reference point moves.
const MAX_LAG: Duration = Duration::from_millis(100);
/// Longest single sleep, so the caller stays responsive to events.
const MAX_SLEEP: Duration = Duration::from_millis(20);

pub struct Pacer {
    host0: Instant,
    virt0: u64,
}

impl Pacer {
    /// Starts pacing from virtual time `virt_ns` (nanoseconds).
    pub fn new(virt_ns: u64) -> Self {
        Pacer {
            host0: Instant::now(),
            virt0: virt_ns,
        }
    }

    /// Restarts from now, e.g. after a pause, so paused time is not made up.
    pub fn restart(&mut self, virt_ns: u64) {
        self.host0 = Instant::now();
        self.virt0 = virt_ns;
    }

    /// Called after a slice ending at virtual time `virt_ns`: sleeps while
    /// the guest is ahead of the host.
    pub fn pace(&mut self, virt_ns: u64) {
        let host = self.host0.elapsed();
        let virt = Duration::from_nanos(virt_ns.saturating_sub(self.virt0));
        if virt > host {
            thread::sleep((virt - host).min(MAX_SLEEP));
        } else if host - virt > MAX_LAG {
            self.restart(virt_ns);
        }
    }
}
