//! `oxbox --gdb` driven by Debian's real gdb in batch mode.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

/// mov ax,1 / inc ax / mov [0x500],ax / inc ax / out 0xF4,al / hlt, at
/// F000:0000; the reset vector jumps there.
const PROGRAM: &[u8] = &[
    0xB8, 0x01, 0x00, 0x40, 0xA3, 0x00, 0x05, 0x40, 0xE6, 0xF4, 0xF4,
];

fn gdb_present() -> bool {
    Command::new("gdb")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn real_gdb_steps_breaks_watches_and_sees_the_exit() {
    if !gdb_present() {
        eprintln!(
            "SKIPPED: gdb is not installed (apt-get install gdb); the real-gdb test did not run"
        );
        return;
    }
    let mut rom = vec![0xF4u8; 0x10000];
    rom[..PROGRAM.len()].copy_from_slice(PROGRAM);
    rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0x00, 0x00, 0xF0]);
    let path = std::env::temp_dir().join(format!("oxbox-gdb-{}.rom", std::process::id()));
    std::fs::write(&path, &rom).unwrap();

    let mut oxbox = Command::new(env!("CARGO_BIN_EXE_oxbox"))
        .args(["--rom", path.to_str().unwrap(), "--gdb", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("oxbox runs");
    let mut err = BufReader::new(oxbox.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("oxbox: waiting for gdb on 127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();

    let gdb = Command::new("timeout")
        .args(["60", "gdb", "-batch", "-nx"])
        .args(
            [
                format!("target remote 127.0.0.1:{port}"),
                "info registers eip cs".into(),
                "stepi".into(),
                "info registers eip".into(),
                "x/2i $cs*16+$eip".into(),
                "break *0xf0003".into(),
                "continue".into(),
                "info registers eax eip".into(),
                "delete".into(),
                "watch *(short*)0x500".into(),
                "continue".into(),
                "x/2xb 0x500".into(),
                "set $eax = 0x41".into(),
                "monitor icount".into(),
                "continue".into(),
            ]
            .iter()
            .flat_map(|c| ["-ex".to_string(), c.clone()]),
        )
        .output()
        .expect("gdb runs");
    let out =
        String::from_utf8_lossy(&gdb.stdout).into_owned() + &String::from_utf8_lossy(&gdb.stderr);
    let _ = std::fs::remove_file(&path);

    // oxbox exits with the guest's status: (0x42 << 1) | 1 after `inc ax`.
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = oxbox.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = status.unwrap_or_else(|| {
        let _ = oxbox.kill();
        panic!("oxbox did not exit after gdb; gdb said:\n{out}")
    });
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();

    let expect = |what: &str| {
        assert!(
            out.contains(what),
            "gdb output lacks {what:?}:\n{out}\noxbox: {rest}"
        )
    };
    expect("eip            0xfff0");
    expect("cs             0xf000");
    // stepi ran the far jump.
    expect("eip            0x0 ");
    expect("mov    $0x1,%ax");
    // The breakpoint at linear F0003 (gdb's $pc is IP in real mode).
    expect("Program received signal SIGTRAP");
    expect("eax            0x1 ");
    expect("eip            0x3 ");
    expect("Hardware watchpoint 2: *(short*)0x500");
    expect("Old value = 0");
    expect("New value = 2");
    expect("0x500:\t0x02\t0x00");
    expect("instructions");
    expect("exited with code 0205");
    assert_eq!(status.code(), Some(0x85), "oxbox: {rest}");
}
