//! A private X server for the window tests. Xvfb picks a free display
//! itself (`-displayfd`) and says which once it is ready, so stale lock
//! files from killed servers or tests running side by side never collide.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Xvfb {
    child: Child,
    /// The value for `DISPLAY`, e.g. ":3".
    pub display: String,
}

impl Xvfb {
    /// Starts Xvfb with one screen of `size` (e.g. "1024x768x24"); `None`
    /// if it cannot start.
    pub fn start(size: &str) -> Option<Xvfb> {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", size, "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut line = String::new();
        let read = child
            .stdout
            .take()
            .map(|out| BufReader::new(out).read_line(&mut line));
        match (read, line.trim().parse::<u32>()) {
            (Some(Ok(_)), Ok(n)) => Some(Xvfb {
                child,
                display: format!(":{n}"),
            }),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                None
            }
        }
    }
}

impl Drop for Xvfb {
    /// SIGTERM first, so the server removes its lock file and socket (a
    /// SIGKILLed one leaves them for the next server on that display).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..50 {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
