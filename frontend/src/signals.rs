//! SIGINT and SIGTERM end a run cleanly: the handler only records the
//! signal; the run loops (headless and window) see it between slices, stop,
//! and the normal exit path flushes the disk images. A second signal of the
//! same kind, if the first is not acted on, kills as usual (SA_RESETHAND).

use std::sync::atomic::{AtomicI32, Ordering};

static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn record(sig: libc::c_int) {
    // Async-signal-safe: one atomic store.
    RECEIVED.store(sig, Ordering::SeqCst);
}

/// Installs the handler for SIGINT and SIGTERM.
pub fn install() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `sigaction` is zero-initialisable plain data; the mask is
        // initialised by `sigemptyset` before use; the handler has the
        // `extern "C" fn(c_int)` signature `sa_sigaction` expects without
        // SA_SIGINFO and only performs an atomic store, which is
        // async-signal-safe; the old-action pointer may be null.
        // Exercised by frontend/tests/robustness.rs (SIGTERM and SIGINT
        // tests).
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = record as extern "C" fn(libc::c_int) as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// The signal received since `install`, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// The signal's usual name.
pub fn name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}
