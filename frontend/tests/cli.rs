//! The `oxbox` binary's contract with scripts: exit statuses and one-line
//! errors for bad input, never a panic.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Output};

fn oxbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oxbox"))
        .args(args)
        .output()
        .expect("oxbox runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A 64 KiB ROM whose reset vector jumps to `code` placed at F000:0000.
fn rom_with(code: &[u8]) -> tempfile_path::TempRom {
    let mut rom = vec![0xF4u8; 0x10000];
    rom[..code.len()].copy_from_slice(code);
    // jmp far F000:0000 at the reset vector.
    rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0x00, 0x00, 0xF0]);
    tempfile_path::TempRom::new(&rom)
}

mod tempfile_path {
    use super::*;
    pub struct TempRom(pub std::path::PathBuf);
    impl TempRom {
        pub fn new(bytes: &[u8]) -> Self {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let p = std::env::temp_dir().join(format!("oxbox-cli-{}-{n}.rom", std::process::id()));
            let mut f = std::fs::File::create(&p).expect("temp file");
            f.write_all(bytes).expect("write temp file");
            TempRom(p)
        }
        pub fn path(&self) -> &str {
            self.0.to_str().expect("utf-8 temp path")
        }
    }
    impl Drop for TempRom {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[test]
fn missing_rom_is_a_one_line_error() {
    let o = oxbox(&["--headless", "--rom", "/nonexistent/oxbox.rom"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.starts_with("oxbox: cannot open /nonexistent/oxbox.rom"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[test]
fn empty_and_oversized_roms_are_rejected() {
    let empty = tempfile_path::TempRom::new(&[]);
    let o = oxbox(&["--headless", "--rom", empty.path()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is empty"), "{}", stderr(&o));
    let big = tempfile_path::TempRom::new(&vec![0u8; 256 * 1024]);
    let o = oxbox(&["--headless", "--rom", big.path()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("at most"), "{}", stderr(&o));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let o = oxbox(&["--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("panicked"));
}

#[test]
fn debug_exit_sets_the_status_and_debugcon_reaches_stdout() {
    // mov al,'A'; out 0e9h,al; mov al,3; out 0f4h,al
    let rom = rom_with(&[0xB0, b'A', 0xE6, 0xE9, 0xB0, 0x03, 0xE6, 0xF4]);
    let o = oxbox(&["--headless", "--rom", rom.path()]);
    assert_eq!(o.status.code(), Some(7));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "A");
}

#[test]
fn debugcon_on_another_port_goes_to_a_file() {
    // mov dx,402h; mov al,'x'; out dx,al; cli; hlt
    let rom = rom_with(&[0xBA, 0x02, 0x04, 0xB0, b'x', 0xEE, 0xFA, 0xF4]);
    let out = std::env::temp_dir().join(format!("oxbox-cli-{}-con.txt", std::process::id()));
    let arg = format!("0x402={}", out.display());
    let o = oxbox(&["--headless", "--rom", rom.path(), "--debugcon", &arg]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("halted with interrupts disabled"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&out).expect("console file"), b"x");
    let _ = std::fs::remove_file(out);
}

#[test]
fn instruction_limit_stops_exactly() {
    // jmp $ (spins forever)
    let rom = rom_with(&[0xEB, 0xFE]);
    let o = oxbox(&[
        "--headless",
        "--rom",
        rom.path(),
        "--max-instructions",
        "1000",
        "--stats",
    ]);
    assert_eq!(o.status.code(), Some(125));
    // The far jump at the reset vector plus 999 spins.
    assert!(stderr(&o).contains("instructions: 1000 "), "{}", stderr(&o));
}

#[test]
fn realtime_headless_runs_keep_exact_instruction_limits() {
    // jmp $ (spins forever); paced slices must not blur the exact stop.
    let rom = rom_with(&[0xEB, 0xFE]);
    let o = oxbox(&[
        "--headless",
        "--realtime",
        "--rom",
        rom.path(),
        "--max-instructions",
        "1000",
        "--stats",
    ]);
    assert_eq!(o.status.code(), Some(125), "{}", stderr(&o));
    assert!(stderr(&o).contains("instructions: 1000 "), "{}", stderr(&o));
}

#[test]
fn timeout_ends_a_spinning_guest() {
    let rom = rom_with(&[0xEB, 0xFE]);
    let o = oxbox(&["--headless", "--rom", rom.path(), "--timeout", "0.2"]);
    assert_eq!(o.status.code(), Some(124));
    assert!(stderr(&o).contains("timeout"), "{}", stderr(&o));
}

#[test]
fn garbage_code_never_panics_the_host() {
    // Pseudo-random bytes as code, many seeds: any outcome but a panic is fine.
    for seed in 1..40u32 {
        let mut x = seed.wrapping_mul(2_654_435_761);
        let code: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let rom = rom_with(&code);
        let o = oxbox(&[
            "--headless",
            "--rom",
            rom.path(),
            "--max-instructions",
            "200000",
            "--debugcon",
            "0xe9=stderr",
        ]);
        let e = stderr(&o);
        assert!(!e.contains("panicked"), "seed {seed}: {e}");
        assert!(o.status.code().is_some(), "seed {seed} killed by a signal");
    }
}

#[test]
fn trace_writes_each_executed_instruction() {
    // mov ax, 1 / out 0xf4, al (debug exit, status (1 << 1) | 1 = 3)
    let rom = rom_with(&[0xB8, 0x01, 0x00, 0xE6, 0xF4]);
    let trace = std::env::temp_dir().join(format!("oxbox-cli-{}.trace", std::process::id()));
    let t = trace.to_str().unwrap();
    let o = oxbox(&["--rom", rom.path(), "--trace", t, "--trace-registers"]);
    let text = std::fs::read_to_string(&trace).unwrap();
    let _ = std::fs::remove_file(&trace);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let regs = |eax: &str| {
        format!(
            "  eax={eax} ebx=00000000 ecx=00000000 edx=00000400 esi=00000000 edi=00000000 \
             ebp=00000000 esp=00000000 eflags=00000002"
        )
    };
    // iced's Intel syntax writes a far pointer as offset,selector.
    assert_eq!(
        text,
        format!(
            "fffffff0  f000:fff0  ea000000f0        jmp far 0,0F000h{}\n\
             000f0000  f000:0000  b80100            mov ax,1{}\n\
             000f0003  f000:0003  e6f4              out 0F4h,al{}\n",
            regs("00000000"),
            regs("00000000"),
            regs("00000001"),
        )
    );
}

#[test]
fn unwritable_trace_is_a_one_line_error() {
    let rom = rom_with(&[0xF4]);
    let o = oxbox(&["--rom", rom.path(), "--trace", "/nonexistent/dir/t.txt"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.starts_with("oxbox: cannot create trace /nonexistent/dir/t.txt"),
        "{e}"
    );
}
