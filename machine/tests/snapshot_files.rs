//! Snapshot files: run N, save to a file, run M → state S1 and serial
//! output O1; a new machine loaded from the file runs M → exactly S1 and
//! O1. Damaged files, other configurations and API misuse are errors,
//! never panics.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use oxbox_machine::{
    BootDevice, DiskImage, Machine, MachineBuilder, MediaKind, Output, SnapshotError,
    FORMAT_VERSION,
};

/// Real-mode loop at F000:E000 (nasm source below): x87 and SSE state,
/// lazy flags left live in memory arithmetic, a byte to COM1 per turn.
///
/// ```text
///   xor ax,ax / mov ds,ax / mov ss,ax / mov sp,0x7000
///   mov eax,cr4 / or ax,0x200 / mov cr4,eax      ; OSFXSR
///   fninit / fld1 / xor ebx,ebx / mov dx,0x3f8
/// top: fld1 / faddp st1,st0 / fist word [0x500]
///   movd xmm0,ebx / paddd xmm1,xmm0 / pshufd xmm2,xmm1,0x1b
///   inc ebx / mov al,bl / and al,0x3f / add al,0x30 / out dx,al
///   add [0x502],bx / adc word [0x504],0
///   mov cx,200 / delay: loop delay / jmp top
/// ```
const PROGRAM: &[u8] = &[
    0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x70, 0x0f, 0x20, 0xe0, 0x0d, 0x00, 0x02, 0x0f,
    0x22, 0xe0, 0xdb, 0xe3, 0xd9, 0xe8, 0x66, 0x31, 0xdb, 0xba, 0xf8, 0x03, 0xd9, 0xe8, 0xde, 0xc1,
    0xdf, 0x16, 0x00, 0x05, 0x66, 0x0f, 0x6e, 0xc3, 0x66, 0x0f, 0xfe, 0xc8, 0x66, 0x0f, 0x70, 0xd1,
    0x1b, 0x66, 0x43, 0x88, 0xd8, 0x24, 0x3f, 0x04, 0x30, 0xee, 0x01, 0x1e, 0x02, 0x05, 0x83, 0x16,
    0x04, 0x05, 0x00, 0xb9, 0xc8, 0x00, 0xe2, 0xfe, 0xeb, 0xd2,
];

fn rom() -> Vec<u8> {
    let mut rom = vec![0xF4u8; 0x10000];
    rom[0xE000..0xE000 + PROGRAM.len()].copy_from_slice(PROGRAM);
    // F000:FFF0: jmp F000:E000
    rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0xE0, 0x00, 0xF0]);
    rom
}

fn builder(mib: usize) -> MachineBuilder {
    MachineBuilder::new()
        .memory_mib(mib)
        .rom(rom())
        .serial(0, Output::Capture)
}

/// Everything that must come out the same.
#[derive(Debug, PartialEq)]
struct State {
    icount: u64,
    time: u64,
    gpr: Vec<u32>,
    eip: u32,
    eflags: u32,
    fpu: oxbox_machine::cpu::FpuRegs,
    xmm: Vec<u128>,
    mxcsr: u32,
    serial: Vec<u8>,
    low_memory: Vec<u8>,
}

fn state(m: &mut Machine) -> State {
    let mut low_memory = vec![0u8; 0x8000];
    m.read_physical(0, &mut low_memory);
    let cpu = m.cpu();
    State {
        icount: m.instruction_count(),
        time: m.virtual_time_ns(),
        gpr: (0..8).map(|i| cpu.gpr(i)).collect(),
        eip: cpu.eip(),
        eflags: cpu.eflags(),
        fpu: cpu.fpu_regs(),
        xmm: (0..8).map(|i| cpu.read_xmm(i).unwrap()).collect(),
        mxcsr: cpu.read_mxcsr(),
        serial: m.serial_captured(0).to_vec(),
        low_memory,
    }
}

#[test]
fn a_machine_loaded_from_a_file_continues_exactly() {
    let mut m = builder(4).build().unwrap();
    m.run(123_457);
    let snap = m.snapshot();
    let mut file = Vec::new();
    snap.save(&mut file).unwrap();
    m.run(200_000);
    let s1 = state(&mut m);
    // The run did something: the counter, x87 and XMM registers moved and
    // bytes reached COM1.
    assert!(s1.serial.len() > 100, "{} serial bytes", s1.serial.len());
    assert_ne!(s1.xmm[1], 0);
    assert_eq!(s1.fpu.status >> 11 & 7, 7, "one value on the x87 stack");

    let mut fresh = builder(4).build().unwrap();
    fresh.load_snapshot(&file[..]).unwrap();
    assert_eq!(fresh.instruction_count(), 123_457);
    fresh.run(200_000);
    assert_eq!(state(&mut fresh), s1);

    // Loading into the machine that wrote it, after it ran on, also works,
    // and the returned snapshot restores again (dirty pages only).
    let again = m.load_snapshot(&file[..]).unwrap();
    m.run(200_000);
    assert_eq!(state(&mut m), s1);
    m.restore(&again).unwrap();
    m.run(200_000);
    assert_eq!(state(&mut m), s1);
}

#[test]
fn the_header_says_what_is_wrong() {
    let mut m = builder(1).build().unwrap();
    m.run(10_000);
    let mut file = Vec::new();
    m.snapshot().save(&mut file).unwrap();
    assert_eq!(&file[..8], b"OXBOXSNP");
    assert_eq!(file[8..12], FORMAT_VERSION.to_le_bytes());

    let mut bad = file.clone();
    bad[0] = b'X';
    assert!(matches!(
        m.load_snapshot(&bad[..]),
        Err(SnapshotError::BadMagic)
    ));
    assert!(matches!(
        m.load_snapshot(&b"PK\x03\x04 a zip file"[..]),
        Err(SnapshotError::BadMagic)
    ));
    let mut bad = file.clone();
    bad[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    match m.load_snapshot(&bad[..]) {
        Err(SnapshotError::Version { found, supported }) => {
            assert_eq!((found, supported), (FORMAT_VERSION + 1, FORMAT_VERSION));
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    match m.load_snapshot(&file[..file.len() - 1]) {
        Err(SnapshotError::Truncated { expected, found }) => {
            assert_eq!(
                (expected, found),
                (file.len() as u64, file.len() as u64 - 1)
            );
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    let mut bad = file.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x10;
    match m.load_snapshot(&bad[..]) {
        Err(SnapshotError::Corrupt(why)) => assert!(why.contains("checksum"), "{why}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    let mut long = file.clone();
    long.push(0);
    assert!(matches!(
        m.load_snapshot(&long[..]),
        Err(SnapshotError::Corrupt(_))
    ));
    // None of that changed the machine: the good file still loads.
    m.load_snapshot(&file[..]).unwrap();
}

/// A tiny xorshift generator: the test is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn truncated_and_damaged_files_are_errors_never_panics() {
    let mut m = builder(1).build().unwrap();
    m.run(50_000);
    let mut file = Vec::new();
    m.snapshot().save(&mut file).unwrap();
    let body_end = 32 + u64::from_le_bytes(file[16..24].try_into().unwrap()) as usize;
    let mut target = builder(1).build().unwrap();
    // Every length of the header and the encoded state, then every
    // 997th byte of memory (a cut there is found the same way).
    let lengths = (0..body_end + 64).chain((body_end..file.len()).step_by(997));
    for n in lengths {
        let r = target.load_snapshot(&file[..n]);
        assert!(
            r.is_err(),
            "a file cut at {n} of {} bytes loaded",
            file.len()
        );
    }
    // Random flips of one to four bytes anywhere: the checksum finds them.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..100 {
        let mut bad = file.clone();
        for _ in 0..=rng.next() % 4 {
            let i = (rng.next() % bad.len() as u64) as usize;
            bad[i] ^= (rng.next() % 255 + 1) as u8;
        }
        assert!(target.load_snapshot(&bad[..]).is_err());
    }
    // Flips in the encoded state with the checksum fixed up, as a crafted
    // file would have them: the decoder must refuse or accept the value,
    // never panic or allocate without bound, and a machine that accepted
    // one must run on without panicking.
    for _ in 0..400 {
        let mut bad = file.clone();
        let i = 32 + (rng.next() % (body_end as u64 - 32)) as usize;
        bad[i] ^= (rng.next() % 255 + 1) as u8;
        let crc_at = bad.len() - 4;
        let crc = crc32(&bad[..crc_at]);
        bad[crc_at..].copy_from_slice(&crc.to_le_bytes());
        if target.load_snapshot(&bad[..]).is_ok() {
            target.run(20_000);
        }
    }
}

/// CRC-32 as the file format uses it (zlib's).
fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn a_snapshot_of_another_configuration_is_refused() {
    let mut small = builder(1).build().unwrap();
    small.run(1000);
    let snap = small.snapshot();
    let mut file = Vec::new();
    snap.save(&mut file).unwrap();

    let mut big = builder(2).build().unwrap();
    big.run(500);
    let before = big.instruction_count();
    match big.load_snapshot(&file[..]) {
        Err(SnapshotError::OtherMachine(why)) => assert!(why.contains("RAM size"), "{why}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    // The in-memory restore checks the same.
    match big.restore(&snap) {
        Err(SnapshotError::OtherMachine(why)) => assert!(why.contains("RAM size"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(big.instruction_count(), before, "the machine is untouched");

    let mut other_rom = rom();
    other_rom[0] = 0;
    let mut m = MachineBuilder::new()
        .memory_mib(1)
        .rom(other_rom)
        .serial(0, Output::Capture)
        .build()
        .unwrap();
    match m.load_snapshot(&file[..]) {
        Err(SnapshotError::OtherMachine(why)) => assert!(why.contains("firmware"), "{why}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    let mut m = builder(1).serial(1, Output::Capture).build().unwrap();
    match m.load_snapshot(&file[..]) {
        Err(SnapshotError::OtherMachine(why)) => assert!(why.contains("serial"), "{why}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

fn scratch_image(name: &str, len: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oxbox-snapfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, vec![0u8; len]).unwrap();
    p
}

#[test]
fn disks_must_match_and_their_overlays_travel_in_the_file() {
    let img = |path: &Path| DiskImage {
        path: path.into(),
        kind: MediaKind::HardDisk,
        snapshot: true,
        read_only: false,
    };
    let a = scratch_image("a.img", 512 * 2048);
    let b = scratch_image("b.img", 512 * 4096);
    let mut m = builder(1).ide(0, img(&a)).build().unwrap();
    m.run(1000);
    let mut file = Vec::new();
    m.snapshot().save(&mut file).unwrap();
    let mut other = builder(1).ide(0, img(&b)).build().unwrap();
    match other.load_snapshot(&file[..]) {
        Err(SnapshotError::OtherMachine(why)) => assert!(why.contains("disks"), "{why}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    let mut none = builder(1).build().unwrap();
    assert!(matches!(
        none.load_snapshot(&file[..]),
        Err(SnapshotError::OtherMachine(_))
    ));
    let mut same = builder(1).ide(0, img(&a)).build().unwrap();
    same.load_snapshot(&file[..]).unwrap();
    let _ = std::fs::remove_dir_all(a.parent().unwrap());
}

#[test]
fn freedos_continues_exactly_from_a_file() {
    let guests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/guests");
    let image = guests.join("freedos-1.44m-com1.img");
    let bios = Path::new("/usr/share/seabios/bios.bin");
    if !image.is_file() || !bios.is_file() {
        eprintln!("SKIPPED: needs {} and the seabios package", image.display());
        return;
    }
    let build = || {
        MachineBuilder::new()
            .rom_file(bios)
            .vga_bios_file("/usr/share/seabios/vgabios-stdvga.bin")
            .floppy(
                0,
                DiskImage {
                    path: image.clone(),
                    kind: MediaKind::Floppy,
                    snapshot: true,
                    read_only: false,
                },
            )
            .boot_order(vec![BootDevice::Floppy(0)])
            .serial(0, Output::Capture)
            .build()
            .unwrap()
    };
    let mut m = build();
    m.run(12_000_000);
    let mut file = Vec::new();
    m.snapshot().save(&mut file).unwrap();
    m.run(40_000_000);
    let s1 = (
        m.instruction_count(),
        m.cpu().eip(),
        m.serial_captured(0).to_vec(),
        m.text_screen(),
    );
    assert!(String::from_utf8_lossy(&s1.2).contains("DOS-DONE"));
    let mut fresh = build();
    fresh.load_snapshot(&file[..]).unwrap();
    fresh.run(40_000_000);
    let s2 = (
        fresh.instruction_count(),
        fresh.cpu().eip(),
        fresh.serial_captured(0).to_vec(),
        fresh.text_screen(),
    );
    assert_eq!(s2, s1);
}
