//! The GDB remote stub, driven over TCP by a small RSP client written here.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use oxbox_machine::gdb::{self, GdbOutcome};
use oxbox_machine::{Config, Machine, Stop};

/// Code placed in RAM at 0000:1000 (so CS base is 0 and gdb's $pc is the
/// linear address); the ROM's reset vector jumps there.
const PROGRAM: &[u8] = &[
    0xB8, 0x01, 0x00, // 1000 mov ax,1
    0x40, //             1003 inc ax
    0xA3, 0x00, 0x05, // 1004 mov [0x500],ax
    0x40, //             1007 inc ax
    0xEB, 0xFE, //       1008 jmp $
];

/// `mov al,3 / out 0xF4,al / hlt`: the guest asks to exit with (3 << 1) | 1.
const EXIT_PROGRAM: &[u8] = &[0xB0, 0x03, 0xE6, 0xF4, 0xF4];

fn machine_with(code: &[u8]) -> Machine {
    let mut rom = vec![0xF4u8; 0x10000];
    // F000:FFF0: jmp 0000:1000
    rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0x10, 0x00, 0x00]);
    let mut m = Machine::new(Config::new(rom)).expect("machine");
    m.write_physical(0x1000, code);
    m
}

/// What the machine thread hands back: the outcome and, after a detach,
/// how a further run stopped.
type Served = (GdbOutcome, Option<Stop>);

/// Starts the stub on an ephemeral port in a thread (the machine is built
/// there: it is not `Send`).
fn start(code: &'static [u8]) -> (u16, JoinHandle<Served>) {
    start_with(code, |_| {})
}

fn start_with(code: &'static [u8], setup: fn(&mut Machine)) -> (u16, JoinHandle<Served>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let mut m = machine_with(code);
        setup(&mut m);
        let outcome = gdb::serve_listener(&mut m, &listener).expect("serve");
        let after = (outcome == GdbOutcome::Detached).then(|| m.run(10_000));
        (outcome, after)
    });
    (port, handle)
}

/// A minimal GDB remote-serial-protocol client.
struct Rsp {
    s: TcpStream,
}

fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0u8, |a, &b| a.wrapping_add(b))
}

impl Rsp {
    fn connect(port: u16) -> Rsp {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.set_nodelay(true).unwrap();
        Rsp { s }
    }

    fn byte(&mut self) -> u8 {
        let mut b = [0u8];
        self.s.read_exact(&mut b).expect("read from the stub");
        b[0]
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).unwrap();
    }

    /// Sends `$body#cs` and waits for the ack.
    fn send(&mut self, body: &str) {
        let pkt = format!("${body}#{:02x}", checksum(body.as_bytes()));
        self.raw(pkt.as_bytes());
        assert_eq!(self.byte(), b'+', "ack for {body}");
    }

    /// Reads one packet, checks its checksum, acks it and expands
    /// run-length encoding.
    fn recv(&mut self) -> String {
        while self.byte() != b'$' {}
        let mut body = Vec::new();
        loop {
            match self.byte() {
                b'#' => break,
                b => body.push(b),
            }
        }
        let sum = [self.byte(), self.byte()];
        let sum = u8::from_str_radix(std::str::from_utf8(&sum).unwrap(), 16).unwrap();
        assert_eq!(
            sum,
            checksum(&body),
            "checksum of {}",
            String::from_utf8_lossy(&body)
        );
        self.raw(b"+");
        let mut out = Vec::new();
        let mut i = 0;
        while i < body.len() {
            if body[i] == b'*' && i + 1 < body.len() {
                let last = *out.last().unwrap();
                for _ in 0..(body[i + 1] - 29) {
                    out.push(last);
                }
                i += 2;
            } else {
                out.push(body[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    fn cmd(&mut self, body: &str) -> String {
        self.send(body);
        self.recv()
    }
}

/// The 32-bit little-endian register `n` from a `g` reply.
fn reg(g: &str, n: usize) -> u32 {
    let hex = &g[n * 8..n * 8 + 8];
    u32::from_le_bytes(u32::from_str_radix(hex, 16).unwrap().to_be_bytes())
}

/// A hex field `name:value;` of a stop reply.
fn field(stop: &str, name: &str) -> Option<u32> {
    let v = stop
        .split(';')
        .find_map(|f| f.rsplit_once(':').filter(|(k, _)| k.ends_with(name)))?
        .1;
    u32::from_str_radix(v, 16).ok()
}

const EAX: usize = 0;
const EIP: usize = 8;
const CS: usize = 10;

#[test]
fn registers_breakpoint_step_watchpoint_interrupt_and_kill() {
    let (port, server) = start(PROGRAM);
    let mut c = Rsp::connect(port);
    let sup = c.cmd("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    assert!(
        sup.contains("swbreak+") && sup.contains("hwbreak+"),
        "{sup}"
    );
    let q = c.cmd("?");
    assert!(q.starts_with('S') || q.starts_with('T'), "{q}");

    // The reset vector of the test ROM.
    let g = c.cmd("g");
    assert_eq!(reg(&g, EIP), 0xFFF0);
    assert_eq!(reg(&g, CS), 0xF000);
    assert_eq!(c.cmd("mffff0,5"), "ea00100000", "the far jump at F000:FFF0");
    // Single register access: EIP is register 8, CS 10.
    assert_eq!(c.cmd("p8"), "f0ff0000");
    assert_eq!(c.cmd("pa"), "00f00000");

    // A breakpoint: the CPU stops before the instruction at 0x1003.
    assert_eq!(c.cmd("Z0,1003,1"), "OK");
    let stop = c.cmd("c");
    assert!(
        stop.starts_with("T05") && stop.contains("swbreak"),
        "{stop}"
    );
    let g = c.cmd("g");
    assert_eq!(reg(&g, EIP), 0x1003);
    assert_eq!(reg(&g, EAX) & 0xFFFF, 1, "mov ax,1 ran, inc ax did not");
    assert_eq!(
        c.cmd("m1003,1"),
        "40",
        "memory is not patched for breakpoints"
    );

    // Single step over the breakpoint.
    let stop = c.cmd("s");
    assert!(stop.starts_with("S05") || stop.starts_with("T05"), "{stop}");
    let g = c.cmd("g");
    assert_eq!(reg(&g, EIP), 0x1004);
    assert_eq!(reg(&g, EAX) & 0xFFFF, 2);
    assert_eq!(c.cmd("z0,1003,1"), "OK");

    // A write watchpoint on the second byte of the word the guest writes.
    assert_eq!(c.cmd("Z2,501,1"), "OK");
    let stop = c.cmd("c");
    assert_eq!(field(&stop, "watch"), Some(0x501), "{stop}");
    assert_eq!(
        reg(&c.cmd("g"), EIP),
        0x1007,
        "stopped after the writing instruction"
    );
    assert_eq!(c.cmd("m500,2"), "0200");
    assert_eq!(c.cmd("z2,501,1"), "OK");

    // Memory and register writes.
    assert_eq!(c.cmd("M600,3:abcdef"), "OK");
    assert_eq!(c.cmd("m600,3"), "abcdef");
    assert_eq!(c.cmd("P0=78563412"), "OK");
    assert_eq!(c.cmd("p0"), "78563412");
    // A protected-mode-only selector load is refused only in protected
    // mode; in real mode writing DS works.
    assert_eq!(c.cmd("Pc=34120000"), "OK");
    assert_eq!(&c.cmd("g")[12 * 8..12 * 8 + 8], "34120000");

    // Run into `jmp $`, then interrupt with Ctrl-C.
    c.send("c");
    std::thread::sleep(Duration::from_millis(200));
    c.raw(&[0x03]);
    let stop = c.recv();
    assert!(stop.starts_with("S02") || stop.starts_with("T02"), "{stop}");
    assert_eq!(reg(&c.cmd("g"), EIP), 0x1008);

    // Monitor commands come back as hex-encoded console output.
    let mut r = c.cmd("qRcmd,72656773"); // "regs"
    let mut text = Vec::new();
    while r != "OK" {
        let hex = r
            .strip_prefix('O')
            .unwrap_or_else(|| panic!("console output, not {r}"));
        text.extend(
            (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()),
        );
        r = c.recv();
    }
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("mode: real") && text.contains("ds 1234"),
        "{text}"
    );

    // Kill.
    c.send("k");
    let (outcome, _) = server.join().expect("stub thread");
    assert_eq!(outcome, GdbOutcome::Killed);
}

#[test]
fn a_guest_exit_is_reported_to_gdb_and_ends_the_session() {
    let (port, server) = start(EXIT_PROGRAM);
    let mut c = Rsp::connect(port);
    assert_eq!(c.cmd("c"), "W07");
    let (outcome, _) = server.join().expect("stub thread");
    assert_eq!(outcome, GdbOutcome::Ended(Stop::DebugExit(7)));
}

#[test]
fn malformed_input_does_not_end_the_session() {
    let (port, server) = start(PROGRAM);
    let mut c = Rsp::connect(port);
    // A bad checksum is refused with '-'.
    c.raw(b"$g#00");
    assert_eq!(c.byte(), b'-');
    // Stray bytes and NAKs are dropped.
    c.raw(b"\n\r-xyz");
    // Commands gdbstub cannot parse get an error reply.
    for bad in [
        "mzz,qq",
        "m",
        "Z0,q,1",
        "Z9,1,1",
        "H",
        "Mfff,2:zz",
        "p",
        "Pzz=1",
        "G00",
        "vCont;x",
        "qXfer:features:read:",
    ] {
        let r = c.cmd(bad);
        assert!(r.is_empty() || r.starts_with('E'), "{bad}: {r}");
    }
    // Ranges past 4 GiB and oversized packets.
    assert!(c.cmd("mfffffff0,100").starts_with('E'));
    assert!(c.cmd("m100000000,4").starts_with('E'));
    let long = format!("M0,10000:{}", "00".repeat(0x10000));
    assert!(c.cmd(&long).starts_with('E'));
    // A packet restarted before its end.
    c.raw(b"$m10");
    assert_eq!(c.cmd("m1000,1"), "b8");
    // Still alive: registers read fine, a breakpoint can be set.
    assert_eq!(reg(&c.cmd("g"), EIP), 0xFFF0);
    assert_eq!(c.cmd("Z0,1003,1"), "OK");
    assert_eq!(c.cmd("Z2,500,2"), "OK");
    // The client disconnects in the middle of a packet.
    c.raw(b"$m1000,");
    drop(c);
    let (outcome, after) = server.join().expect("stub thread");
    assert_eq!(outcome, GdbOutcome::Detached);
    // gdb's breakpoint and watchpoint went with it: the guest runs on.
    assert_eq!(after, Some(Stop::InstructionLimit));
}

#[test]
fn detach_leaves_the_machine_running_free() {
    let (port, server) = start(PROGRAM);
    let mut c = Rsp::connect(port);
    assert_eq!(c.cmd("Z1,1007,1"), "OK");
    let stop = c.cmd("c");
    assert!(
        stop.starts_with("T05") && stop.contains("hwbreak"),
        "{stop}"
    );
    assert_eq!(c.cmd("D"), "OK");
    let (outcome, after) = server.join().expect("stub thread");
    assert_eq!(outcome, GdbOutcome::Detached);
    assert_eq!(after, Some(Stop::InstructionLimit));
}

#[test]
fn random_packets_get_answers_and_the_session_survives() {
    let (port, server) = start(PROGRAM);
    let mut c = Rsp::connect(port);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    const ALPHABET: &[u8] = b"0123456789abcdefxyzABF,:;=-+.gGmMpPqQXZzHT?*}";
    let mut answered = 0;
    for _ in 0..3000 {
        let len = (rand() % 24) as usize;
        let body: String = (0..len)
            .map(|_| ALPHABET[(rand() % ALPHABET.len() as u64) as usize] as char)
            .collect();
        // Leave out what resumes or ends the guest (it would not answer
        // at once, or would end the session).
        if body.is_empty()
            || matches!(
                body.as_bytes()[0],
                b'c' | b's'
                    | b'C'
                    | b'S'
                    | b'k'
                    | b'D'
                    | b'v'
                    | b'i'
                    | b'I'
                    | b'r'
                    | b'R'
                    | b'b'
                    | b'Q'
            )
        {
            continue;
        }
        // Some junk between packets too (never '$', '#' or Ctrl-C).
        if rand() % 4 == 0 {
            c.raw(b"\nzz-+ ");
        }
        c.send(&body);
        let r = c.recv();
        // Console output of a monitor command is followed by more.
        if r.starts_with('O') && body.starts_with("qRcmd") {
            while c.recv() != "OK" {}
        }
        answered += 1;
    }
    assert!(answered > 1000);
    // Registers may have been rewritten; the stub still answers.
    assert_eq!(c.cmd("g").len(), 2 * 0x134);
    c.send("k");
    let (outcome, _) = server.join().expect("stub thread");
    assert_eq!(outcome, GdbOutcome::Killed);
}

/// Turns paging on with the first 4 MiB identity-mapped, then spins.
const PAGING_PROGRAM: &[u8] = &[
    0x66, 0xB8, 0x00, 0x20, 0x00, 0x00, // mov eax,0x2000
    0x0F, 0x22, 0xD8, //                   mov cr3,eax
    0x0F, 0x20, 0xC0, //                   mov eax,cr0
    0x66, 0x0D, 0x01, 0x00, 0x00, 0x80, // or eax,0x80000001
    0x0F, 0x22, 0xC0, //                   mov cr0,eax
    0xEB, 0xFE, //                         jmp $
];

#[test]
fn unmapped_linear_memory_is_an_error_reply() {
    let (port, server) = start_with(PAGING_PROGRAM, |m| {
        m.write_physical(0x2000, &0x3003u32.to_le_bytes());
        for i in 0..1024u32 {
            m.write_physical(0x3000 + 4 * i, &((i << 12) | 3).to_le_bytes());
        }
    });
    let mut c = Rsp::connect(port);
    c.send("c");
    std::thread::sleep(Duration::from_millis(100));
    c.raw(&[0x03]);
    let stop = c.recv();
    assert!(stop.starts_with("S02") || stop.starts_with("T02"), "{stop}");
    // Paging is on: 4 MiB and up is not mapped.
    assert!(c.cmd("m500000,4").starts_with('E'));
    assert!(c.cmd("M500000,1:00").starts_with('E'));
    // A read that runs into the hole returns the bytes before it.
    assert_eq!(c.cmd("m3ffffe,4"), "0000");
    // The page directory, read through the page tables (the CPU set the
    // accessed bit).
    let pde = c.cmd("m2000,4");
    assert!(pde == "03300000" || pde == "23300000", "{pde}");
    c.send("k");
    let (outcome, _) = server.join().expect("stub thread");
    assert_eq!(outcome, GdbOutcome::Killed);
}

/// x87 and SSE work in real mode: FNINIT, FLD1, FLDPI, CR4.OSFXSR on,
/// PCMPEQB xmm0 (all ones), MOVD xmm1 <- 12345678h.
const FLOAT_PROGRAM: &[u8] = &[
    0xDB, 0xE3, //                         1000 fninit
    0xD9, 0xE8, //                         1002 fld1
    0xD9, 0xEB, //                         1004 fldpi
    0x0F, 0x20, 0xE0, //                   1006 mov eax,cr4
    0x0D, 0x00, 0x02, //                   1009 or ax,0x200
    0x0F, 0x22, 0xE0, //                   100c mov cr4,eax
    0x66, 0x0F, 0x74, 0xC0, //             100f pcmpeqb xmm0,xmm0
    0x66, 0xB8, 0x78, 0x56, 0x34, 0x12, // 1013 mov eax,0x12345678
    0x66, 0x0F, 0x6E, 0xC8, //             1019 movd xmm1,eax
    0xEB, 0xFE, //                         101d jmp $
];

/// Little-endian hex of `bytes`.
fn hex_le(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn x87_and_sse_registers_show_the_guest_values() {
    let (port, server) = start(FLOAT_PROGRAM);
    let mut c = Rsp::connect(port);
    c.cmd("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    assert_eq!(c.cmd("Z0,101d,1"), "OK");
    let stop = c.cmd("c");
    assert!(stop.starts_with("T05"), "{stop}");
    let g = c.cmd("g");
    // Byte offsets in the i386 `g` layout: 16 core registers, then st0-7
    // (10 bytes each), 8 x87 control registers, xmm0-7, mxcsr.
    let bytes = |off: usize, len: usize| &g[2 * off..2 * (off + len)];
    // ST0 = pi rounded to nearest in 64 bits: C90FDAA22168C235h, 2^1.
    let pi = hex_le(&[0x35, 0xC2, 0x68, 0x21, 0xA2, 0xDA, 0x0F, 0xC9, 0x00, 0x40]);
    let one = hex_le(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0x3F]);
    assert_eq!(bytes(64, 10), pi, "st0");
    assert_eq!(bytes(74, 10), one, "st1");
    let fpu = |i: usize| u32::from_str_radix(&g[2 * (144 + 4 * i)..][..8], 16).unwrap();
    let fpu = |i: usize| u32::from_le_bytes(fpu(i).to_be_bytes());
    assert_eq!(fpu(0), 0x037F, "fctrl after FNINIT");
    assert_eq!(fpu(1), 0x3000, "fstat: TOP = 6 after two pushes");
    // R7 (1.0) and R6 (pi) valid (00), the rest empty (11).
    assert_eq!(fpu(2), 0x0FFF, "ftag");
    assert_eq!(fpu(4), 0x1004, "fioff: FLDPI's offset");
    assert_eq!(fpu(7), 0x1EB, "fop: D9 EB");
    assert_eq!(bytes(176, 16), "ff".repeat(16), "xmm0");
    assert_eq!(
        bytes(192, 16),
        format!("78563412{}", "00".repeat(12)),
        "xmm1"
    );
    assert_eq!(bytes(304, 4), "801f0000", "mxcsr");
    // Single registers: st0 is 16, fstat 25, xmm1 33, mxcsr 40.
    assert_eq!(c.cmd("p10"), pi);
    assert_eq!(c.cmd("p19"), "00300000");
    assert_eq!(c.cmd("p21"), format!("78563412{}", "00".repeat(12)));
    assert_eq!(c.cmd("p28"), "801f0000");
    // Writes reach the CPU: st1 = 2.0, xmm2, mxcsr (round toward zero).
    let two = hex_le(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x40]);
    assert_eq!(c.cmd(&format!("P11={two}")), "OK");
    assert_eq!(c.cmd("p11"), two);
    assert_eq!(c.cmd(&format!("P22={}", "01".repeat(16))), "OK");
    assert_eq!(c.cmd("p22"), "01".repeat(16));
    assert_eq!(c.cmd("P28=807f0000"), "OK");
    assert_eq!(c.cmd("p28"), "807f0000");
    // A reserved MXCSR bit is refused and the value stays.
    assert!(c.cmd("P28=00000100").starts_with('E'));
    assert_eq!(c.cmd("p28"), "807f0000");
    c.send("k");
    let (outcome, _) = server.join().expect("stub thread");
    assert_eq!(outcome, GdbOutcome::Killed);
}

/// Debian's gdb itself, in batch mode: `info float` and `p $xmm1` show the
/// guest's x87 and SSE state. Skipped when gdb is not installed.
#[test]
fn real_gdb_shows_the_x87_and_sse_registers() {
    let Ok(out) = std::process::Command::new("gdb").arg("--version").output() else {
        eprintln!("SKIPPED: gdb is not installed");
        return;
    };
    assert!(out.status.success());
    let (port, server) = start(FLOAT_PROGRAM);
    let out = std::process::Command::new("gdb")
        .args(["-q", "-nx", "-batch"])
        .args(["-ex", "set architecture i386"])
        .args(["-ex", &format!("target remote 127.0.0.1:{port}")])
        .args(["-ex", "hbreak *0x101d", "-ex", "continue"])
        .args([
            "-ex",
            "info float",
            "-ex",
            "p/x $xmm1.v4_int32",
            "-ex",
            "p $st0",
        ])
        .args(["-ex", "kill"])
        .output()
        .expect("gdb runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for want in [
        "R7: Valid   0x3fff8000000000000000 +1",
        "=>R6: Valid   0x4000c90fdaa22168c235 +3.14159265358979",
        "TOP: 6",
        "Control Word:        0x037f",
        "Tag Word:            0x0fff",
        "Instruction Pointer: 0x00:0x00001004",
        "Opcode:              0xd9eb",
        "{0x12345678, 0x0, 0x0, 0x0}",
        "= 3.14159265358979",
    ] {
        assert!(text.contains(want), "`{want}` not in gdb's output:\n{text}");
    }
    let (outcome, _) = server.join().expect("stub thread");
    assert_eq!(outcome, GdbOutcome::Killed);
}

/// Sends `monitor TEXT` and returns the console output it printed.
fn monitor(c: &mut Rsp, text: &str) -> String {
    let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
    let mut r = c.cmd(&format!("qRcmd,{hex}"));
    let mut out = Vec::new();
    while r != "OK" {
        let hex = r
            .strip_prefix('O')
            .unwrap_or_else(|| panic!("console output, not {r}"));
        out.extend(
            (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()),
        );
        r = c.recv();
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn monitor_shows_descriptor_tables_and_the_tlb() {
    let (port, server) = start_with(PAGING_PROGRAM, |m| {
        m.write_physical(0x2000, &0x3003u32.to_le_bytes());
        for i in 0..1024u32 {
            m.write_physical(0x3000 + 4 * i, &((i << 12) | 3).to_le_bytes());
        }
        // A GDT at 5000h: null, flat code, flat data.
        m.write_physical(0x5008, &0x00CF_9A00_0000_FFFFu64.to_le_bytes());
        m.write_physical(0x5010, &0x00CF_9300_0000_FFFFu64.to_le_bytes());
        m.cpu_mut().set_gdtr(0x5000, 0x17);
        // Real-mode vector 8 -> F000:FEA5.
        m.write_physical(0x20, &[0xA5, 0xFE, 0x00, 0xF0]);
    });
    let mut c = Rsp::connect(port);
    // Before paging: the IDT is the real-mode vector table.
    assert_eq!(
        monitor(&mut c, "idt 8 1"),
        "idt[08] 00000000f000fea5  f000:fea5\n"
    );
    assert_eq!(
        monitor(&mut c, "gdt"),
        "gdt[0000] 0000000000000000  null\n\
         gdt[0008] 00cf9a000000ffff  code32 base 00000000 limit ffffffff dpl 0 P r\n\
         gdt[0010] 00cf93000000ffff  data32 base 00000000 limit ffffffff dpl 0 P w accessed\n"
    );
    assert_eq!(monitor(&mut c, "ldt"), "(ldt is empty)\n");
    c.send("c");
    std::thread::sleep(Duration::from_millis(100));
    c.raw(&[0x03]);
    let stop = c.recv();
    assert!(stop.starts_with("S02") || stop.starts_with("T02"), "{stop}");
    // Paging is on and the spinning code's page (0000:1000) is cached for
    // supervisor reads (real mode runs at CPL 0).
    let tlb = monitor(&mut c, "tlb");
    assert!(
        tlb.contains("00001000 -> host 00001000 supervisor read"),
        "{tlb}"
    );
    c.send("k");
    let (outcome, _) = server.join().expect("stub thread");
    assert_eq!(outcome, GdbOutcome::Killed);
}
