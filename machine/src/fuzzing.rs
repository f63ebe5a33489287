//! Fuzz targets shared by the cargo-fuzz harnesses in `fuzz/` and the
//! seeded-random tests in `machine/tests/fuzz.rs`.
//!
//! Each target takes arbitrary bytes and derives everything from them: a
//! [`Source`] hands out the input's bytes and, once they run out, a
//! pseudo-random stream seeded from the input, so short libFuzzer inputs
//! still fill whole code pages and the seeded tests can pass a bare seed.
//! A target returns normally whatever the guest or the files do; a panic,
//! a hang or unbounded memory is the bug being looked for. Every run is
//! bounded by an instruction budget.

use std::path::{Path, PathBuf};

use oxbox_cpu::SegReg;

use crate::{Config, DiskImage, LinuxBoot, Machine, MediaKind, Output, Stop};

/// Bytes from the fuzz input, then a splitmix64 stream seeded by the input.
pub struct Source<'a> {
    data: &'a [u8],
    pos: usize,
    state: u64,
}

impl<'a> Source<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        // FNV-1a over the input seeds the tail stream.
        let state = data.iter().fold(0xCBF2_9CE4_8422_2325u64, |h, &b| {
            (h ^ b as u64).wrapping_mul(0x0100_0000_01B3)
        });
        Source {
            data,
            pos: 0,
            state,
        }
    }

    fn next_random(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => self.next_random() as u8,
        }
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// A value below `n` (`n` > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        self.u32() % n.max(1)
    }

    pub fn chance(&mut self, one_in: u32) -> bool {
        self.below(one_in) == 0
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            *b = self.byte();
        }
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.fill(&mut v);
        v
    }
}

/// Instructions each code run may retire.
pub const CODE_BUDGET: u64 = 20_000;

/// A 64 KiB ROM of HLT, so a guest that resets the machine stops there.
fn hlt_rom() -> Vec<u8> {
    vec![0xF4; 0x10000]
}

fn small_config() -> Config {
    let mut c = Config::new(hlt_rom());
    c.ram_size = 2 << 20;
    // Console output is kept in memory (capped) rather than printed.
    c.consoles.push((0xE9, Output::Capture));
    c.serial.push((0, Output::Capture));
    c
}

/// Real mode to protected mode: loads GDT, IDT, TR, LDT, CR3/CR4, ORs
/// [0x7F18] into CR0, POPADs the registers at 0x7100 and IRETDs through
/// the frame at 0x7120 (so CS, EFLAGS, ring and V86 mode come from there).
/// Source: the listing in docs/robustness.md.
const PROLOGUE: [u8; 96] = [
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x0f, 0x01, 0x16, 0x00, 0x7f, 0x0f, 0x01, 0x1e, 0x08, 0x7f, 0x0f,
    0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0, 0x66, 0xea, 0x1f, 0x80, 0x00, 0x00, 0x08, 0x00, 0x66,
    0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0x8e, 0xe0, 0x8e, 0xe8, 0xbc, 0x00, 0x71,
    0x00, 0x00, 0x66, 0xb8, 0x28, 0x00, 0x0f, 0x00, 0xd8, 0x66, 0xb8, 0x40, 0x00, 0x0f, 0x00, 0xd0,
    0xa1, 0x10, 0x7f, 0x00, 0x00, 0x0f, 0x22, 0xd8, 0xa1, 0x14, 0x7f, 0x00, 0x00, 0x0f, 0x22, 0xe0,
    0x0f, 0x20, 0xc0, 0x0b, 0x05, 0x18, 0x7f, 0x00, 0x00, 0x0f, 0x22, 0xc0, 0xeb, 0x00, 0x61, 0xcf,
];

const GDT: u32 = 0x1000;
const IDT: u32 = 0x2000;
const TSS: u32 = 0x3000;
const LDT: u32 = 0x3800;
const PAGE_DIR: u32 = 0x4000;
const PAGE_TABLE: u32 = 0x5000;
const REGS: u32 = 0x7100;
const CODE: u32 = 0x1_0000;

/// A segment descriptor from base, limit (bytes or pages), type/flags.
fn descriptor(base: u32, limit: u32, access: u8, flags: u8) -> [u8; 8] {
    let d = (limit as u64 & 0xFFFF)
        | (base as u64 & 0xFF_FFFF) << 16
        | (access as u64) << 40
        | ((limit as u64 >> 16) & 0xF) << 48
        | (flags as u64 & 0xF) << 52
        | (base as u64 >> 24) << 56;
    d.to_le_bytes()
}

/// The CPU mode a code run starts in.
#[derive(Clone, Copy, Debug)]
pub enum CodeMode {
    Real,
    Protected16,
    Protected32,
    Ring3,
    V86,
}

/// Target (a): executes random bytes as code with random registers,
/// descriptor tables, page tables and flags. Returns how the run ended.
pub fn run_code(data: &[u8]) -> Option<Stop> {
    Some(code_machine(data)?.run(CODE_BUDGET))
}

/// The machine [`run_code`] runs, ready at its first instruction.
pub fn code_machine(data: &[u8]) -> Option<Machine> {
    let mut src = Source::new(data);
    let mode = match src.below(5) {
        0 => CodeMode::Real,
        1 => CodeMode::Protected16,
        2 => CodeMode::Protected32,
        3 => CodeMode::Ring3,
        _ => CodeMode::V86,
    };
    let paging = !matches!(mode, CodeMode::Real) && src.chance(2);
    let mut m = Machine::new(small_config()).ok()?;
    // Random code and data: 64 KiB at CODE and the IVT / low page.
    let code = src.bytes(0x1_0000);
    m.write_physical(CODE, &code);
    let low = src.bytes(0x1000);
    m.write_physical(0, &low);
    let sane_stack = src.chance(2);
    let entry = src.below(0x100);
    if let CodeMode::Real = mode {
        let cpu = m.cpu_mut();
        for r in 0..8 {
            cpu.set_gpr(r, src.u32());
        }
        if sane_stack {
            cpu.set_gpr(4, 0x7000);
        }
        for s in [SegReg::Ds, SegReg::Es, SegReg::Fs, SegReg::Gs, SegReg::Ss] {
            let v = if src.chance(2) { 0 } else { src.u16() };
            cpu.set_segment_real(s, v);
        }
        cpu.set_segment_real(SegReg::Cs, (CODE >> 4) as u16);
        cpu.set_eip(entry);
        cpu.set_eflags(src.u32() & !(1 << 17));
        return Some(m);
    }
    // GDT: the fixed entries the prologue and the modes use, random rest.
    let mut gdt = src.bytes(0x800);
    let fixed: [(usize, [u8; 8]); 9] = [
        (0, [0; 8]),
        (1, descriptor(0, 0xF_FFFF, 0x9B, 0xC)),
        (2, descriptor(0, 0xF_FFFF, 0x93, 0xC)),
        (3, descriptor(CODE, 0xFFFF, 0x9B, 0x0)),
        (4, descriptor(CODE, 0xFFFF, 0x93, 0x0)),
        (5, descriptor(TSS, 0x2067, 0x89, 0x0)),
        (6, descriptor(0, 0xF_FFFF, 0xFB, 0xC)),
        (7, descriptor(0, 0xF_FFFF, 0xF3, 0xC)),
        (8, descriptor(LDT, 0x7FF, 0x82, 0x0)),
    ];
    for (i, d) in fixed {
        gdt[i * 8..i * 8 + 8].copy_from_slice(&d);
    }
    m.write_physical(GDT, &gdt);
    m.write_physical(LDT, &src.bytes(0x800));
    // IDT: mostly 32-bit interrupt/trap gates into the random code, some
    // task gates to the TSS, the rest random bytes.
    let mut idt = Vec::with_capacity(0x800);
    for _ in 0..256 {
        let gate = match src.below(8) {
            0 => src.bytes(8),
            1 => {
                let mut g = [0u8; 8];
                g[2..4].copy_from_slice(&0x28u16.to_le_bytes());
                g[5] = 0x85;
                g.to_vec()
            }
            k => {
                // Selector 0x18 is the 16-bit code segment based at CODE.
                let (sel, off): (u16, u32) = if k == 2 {
                    (0x18, src.below(0x1_0000))
                } else {
                    (0x08, CODE + src.below(0x1_0000))
                };
                let kind = if src.chance(2) { 0x8E } else { 0x8F } | (src.below(4) as u8) << 5;
                let mut g = [0u8; 8];
                g[0..2].copy_from_slice(&(off as u16).to_le_bytes());
                g[2..4].copy_from_slice(&sel.to_le_bytes());
                g[5] = kind;
                g[6..8].copy_from_slice(&((off >> 16) as u16).to_le_bytes());
                g.to_vec()
            }
        };
        idt.extend_from_slice(&gate);
    }
    m.write_physical(IDT, &idt);
    // TSS: random, with a usable ring-0 stack half the time; the I/O bitmap
    // after it is random.
    let mut tss = src.bytes(0x2068);
    if sane_stack {
        tss[4..8].copy_from_slice(&0x9_F000u32.to_le_bytes());
        tss[8..10].copy_from_slice(&0x10u16.to_le_bytes());
    }
    m.write_physical(TSS, &tss);
    // Page tables: the first 64 KiB identity mapped for the prologue, the
    // code and stack mostly mapped, the rest of the first 4 MiB with random
    // present/user/write bits; other
    // directory entries random (4 MiB pages where CR4.PSE allows).
    let mut pd = src.bytes(0x1000);
    pd[0..4].copy_from_slice(&(PAGE_TABLE | 0x7).to_le_bytes());
    m.write_physical(PAGE_DIR, &pd);
    let mut pt = Vec::with_capacity(0x1000);
    for page in 0..1024u32 {
        // The prologue, the code and the stack are usually mapped.
        let usual = page < 0x10 || (page < 0x20 || (0x80..0xA0).contains(&page)) && !src.chance(16);
        let flags = if usual || src.chance(4) {
            0x7
        } else {
            src.u16() as u32 & 0xFFF
        };
        let frame = if src.chance(8) {
            src.u32() & !0xFFF
        } else {
            page << 12
        };
        pt.extend_from_slice(&(frame | flags).to_le_bytes());
    }
    m.write_physical(PAGE_TABLE, &pt);
    // The prologue's parameters.
    let mut params = [0u8; 0x1C];
    params[0..2].copy_from_slice(&0x7FFu16.to_le_bytes());
    params[2..6].copy_from_slice(&GDT.to_le_bytes());
    params[8..10].copy_from_slice(&0x7FFu16.to_le_bytes());
    params[10..14].copy_from_slice(&IDT.to_le_bytes());
    params[0x10..0x14].copy_from_slice(&PAGE_DIR.to_le_bytes());
    let cr4 = [0u32, 0x10, 0x90, 0x8, 0x4, 0x14, 0x80, 0x1][src.below(8) as usize];
    params[0x14..0x18].copy_from_slice(&cr4.to_le_bytes());
    let cr0_or = if paging { 0x8000_0000u32 } else { 0 }
        | [0u32, 0x1_0000, 0x20, 0x2, 0x4, 0x8][src.below(6) as usize];
    params[0x18..0x1C].copy_from_slice(&cr0_or.to_le_bytes());
    m.write_physical(0x7F00, &params);
    // POPAD registers, then the IRETD frame.
    let mut regs = Vec::new();
    for r in 0..8 {
        let v = if r == 4 { 0 } else { src.u32() };
        regs.extend_from_slice(&v.to_le_bytes());
    }
    let flags = src.u32() & !(1 << 17 | 1 << 14 | 1 << 8);
    let esp = if sane_stack { 0x9_0000 } else { src.u32() };
    let frame: Vec<u32> = match mode {
        CodeMode::Protected16 => vec![entry, 0x18, flags],
        CodeMode::Protected32 => vec![CODE + entry, 0x08, flags],
        CodeMode::Ring3 => vec![CODE + entry, 0x33, flags, esp, 0x3B],
        _ => {
            let seg = |s: &mut Source<'_>| {
                if s.chance(2) {
                    0x1000
                } else {
                    s.u16() as u32
                }
            };
            vec![
                entry,
                CODE >> 4,
                flags | 1 << 17,
                esp & 0xFFFF,
                seg(&mut src),
                seg(&mut src),
                seg(&mut src),
                seg(&mut src),
                seg(&mut src),
            ]
        }
    };
    for v in frame {
        regs.extend_from_slice(&v.to_le_bytes());
    }
    m.write_physical(REGS, &regs);
    m.write_physical(0x8000, &PROLOGUE);
    m.cpu_mut().set_segment_real(SegReg::Cs, 0);
    m.cpu_mut().set_eip(0x8000);
    Some(m)
}

/// I/O ports of every device the PC has, for [`run_ports`] to aim at.
const DEVICE_PORTS: &[(u16, u16)] = &[
    (0x00, 0x20),   // DMA 1, PIC 1
    (0x40, 0x44),   // PIT
    (0x60, 0x65),   // 8042
    (0x70, 0x72),   // CMOS
    (0x80, 0xA2),   // DMA pages, port 92h, PIC 2
    (0xC0, 0xE0),   // DMA 2
    (0xE9, 0xEA),   // debug console
    (0x170, 0x178), // IDE secondary
    (0x1CE, 0x1D0), // Bochs VBE
    (0x1F0, 0x1F8), // IDE primary
    (0x2F8, 0x300), // COM2
    (0x376, 0x377),
    (0x3B0, 0x3E0), // VGA
    (0x3F0, 0x3F8), // floppy
    (0x3F8, 0x400), // COM1
    (0x402, 0x403),
    (0x4D0, 0x4D2), // ELCR
    (0x510, 0x512), // fw_cfg
    (0xCF8, 0xD00), // PCI configuration
];

/// Where [`run_ports`] code lives and where its string I/O reads and writes.
const PORT_CODE: u32 = 0x1_0000;
const PORT_BUF: u32 = 0x10_0000;

/// Disk images for the port and loader targets: a hard disk, a floppy and
/// a CD, all opened copy-on-write so parallel runs never touch the files.
pub struct FuzzDisks {
    pub hd: PathBuf,
    pub floppy: PathBuf,
    pub cd: PathBuf,
}

impl FuzzDisks {
    /// Writes the three images into `dir` (patterned, so reads return
    /// recognisable data).
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        let pattern = |n: usize| (0..n).map(|i| (i * 7 + i / 512) as u8).collect::<Vec<u8>>();
        let d = FuzzDisks {
            hd: dir.join("fuzz-hd.img"),
            floppy: dir.join("fuzz-fd.img"),
            cd: dir.join("fuzz-cd.iso"),
        };
        std::fs::write(&d.hd, pattern(2 << 20))?;
        std::fs::write(&d.floppy, pattern(1_474_560))?;
        std::fs::write(&d.cd, pattern(64 * 2048))?;
        Ok(d)
    }

    fn attach(&self, c: &mut Config) {
        let img = |path: &Path, kind| DiskImage {
            path: path.to_path_buf(),
            kind,
            snapshot: true,
            read_only: false,
        };
        c.ide[0] = Some(img(&self.hd, MediaKind::HardDisk));
        c.ide[2] = Some(img(&self.cd, MediaKind::CdRom));
        c.floppies[0] = Some(img(&self.floppy, MediaKind::Floppy));
    }
}

/// Appends code for one random port access (or a short pause).
fn port_op(src: &mut Source<'_>, code: &mut Vec<u8>) {
    let port = if src.chance(8) {
        src.u16()
    } else {
        let (lo, hi) = DEVICE_PORTS[src.below(DEVICE_PORTS.len() as u32) as usize];
        lo + src.below((hi - lo) as u32) as u16
    };
    // mov edx, port
    code.push(0xBA);
    code.extend_from_slice(&(port as u32).to_le_bytes());
    match src.below(10) {
        0..=3 => {
            // mov eax, imm32; out dx, al/ax/eax
            code.push(0xB8);
            code.extend_from_slice(&src.u32().to_le_bytes());
            match src.below(3) {
                0 => code.push(0xEE),
                1 => code.extend_from_slice(&[0x66, 0xEF]),
                _ => code.push(0xEF),
            }
        }
        4..=6 => match src.below(3) {
            0 => code.push(0xEC),
            1 => code.extend_from_slice(&[0x66, 0xED]),
            _ => code.push(0xED),
        },
        7 | 8 => {
            // mov ecx, n; mov esi/edi, buffer; rep outs/ins (b/w/d)
            let max = if src.chance(4) { 70_000 } else { 600 };
            let n = src.below(max);
            code.push(0xB9);
            code.extend_from_slice(&n.to_le_bytes());
            let out = src.chance(2);
            code.push(if out { 0xBE } else { 0xBF });
            code.extend_from_slice(&(PORT_BUF + src.below(0x1000)).to_le_bytes());
            code.push(0xF3);
            let w = src.below(3);
            if w == 1 {
                code.push(0x66);
            }
            code.push(match (out, w) {
                (true, 0) => 0x6E,
                (true, _) => 0x6F,
                (false, 0) => 0x6C,
                (false, _) => 0x6D,
            });
        }
        _ => {
            // mov ecx, n; loop $ : lets timers and DMA run.
            code.push(0xB9);
            code.extend_from_slice(&src.below(2000).to_le_bytes());
            code.extend_from_slice(&[0xE2, 0xFE]);
        }
    }
    if src.chance(16) {
        code.push(if src.chance(2) { 0xFB } else { 0xFA }); // sti / cli
    }
}

/// Instructions a port run may retire (string I/O counts once per element).
pub const PORT_BUDGET: u64 = 400_000;

/// Target (b): random port I/O sequences to every device, with a hard
/// disk, a floppy and a CD attached, interrupts routed to a handler that
/// acknowledges the PICs.
pub fn run_ports(data: &[u8], disks: &FuzzDisks) -> Option<Stop> {
    let mut src = Source::new(data);
    let mut config = small_config();
    config.ram_size = 4 << 20;
    disks.attach(&mut config);
    let mut m = Machine::new(config).ok()?;
    // IDT: every vector to an EOI-and-IRETD handler at 0x9000.
    let handler: [u8; 11] = [
        0x50, 0xB0, 0x20, 0xE6, 0xA0, 0xE6, 0x20, 0x58, 0xCF, 0x90, 0x90,
    ];
    m.write_physical(0x9000, &handler);
    let mut idt = Vec::with_capacity(0x800);
    for _ in 0..256 {
        idt.extend_from_slice(&[0x00, 0x90, 0x08, 0x00, 0x00, 0x8E, 0x00, 0x00]);
    }
    m.write_physical(IDT, &idt);
    let gdt = [
        [0u8; 8],
        descriptor(0, 0xF_FFFF, 0x9B, 0xC),
        descriptor(0, 0xF_FFFF, 0x93, 0xC),
    ]
    .concat();
    m.write_physical(GDT, &gdt);
    m.write_physical(0x7F08, &[0xFF, 0x07, 0x00, 0x20, 0x00, 0x00]);
    m.write_physical(PORT_BUF, &src.bytes(0x2_0000));
    // lidt [0x7F08]; mov esp, 0x9F000
    let mut code = vec![0x0F, 0x01, 0x1D, 0x08, 0x7F, 0x00, 0x00];
    code.extend_from_slice(&[0xBC, 0x00, 0xF0, 0x09, 0x00]);
    let ops = 1 + src.below(200);
    for _ in 0..ops {
        port_op(&mut src, &mut code);
    }
    code.extend_from_slice(&[0xFA, 0xF4]); // cli; hlt
    m.write_physical(PORT_CODE, &code);
    m.cpu_mut().enter_protected_flat(GDT, 0x17, 0x08, 0x10);
    m.cpu_mut().set_eip(PORT_CODE);
    Some(m.run(PORT_BUDGET))
}

/// Image sizes that sit on or next to a boundary a loader checks.
fn edge_size(src: &mut Source<'_>) -> u64 {
    let base: u64 = match src.below(8) {
        0 => 0,
        1 => 512,
        2 => 2048,
        3 => crate::disk::FLOPPY_SIZES[src.below(8) as usize],
        4 => 1 << 20,
        5 => 64 << 10,
        6 => (1 << 41) + 512,
        _ if src.chance(4) => src.below(4 << 20) as u64,
        _ => src.below(8192) as u64 * 512,
    };
    match src.below(8) {
        0 => base.saturating_sub(1),
        1 => base + 1,
        _ => base,
    }
}

/// A file of `len` bytes: random head and tail, sparse between.
fn write_image(path: &Path, len: u64, src: &mut Source<'_>) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::create(path)?;
    f.set_len(len)?;
    let head = len.min(4096) as usize;
    f.write_all_at(&src.bytes(head), 0)?;
    if len > 8192 {
        f.write_all_at(&src.bytes(4096), len - 4096)?;
    }
    Ok(())
}

/// A Linux bzImage with a real-looking setup header and random fields.
fn bzimage(src: &mut Source<'_>) -> Vec<u8> {
    let setup_sects = if src.chance(4) { src.byte() } else { 4 };
    let len = match src.below(4) {
        0 => src.below(0x3000) as usize,
        _ => (setup_sects as usize + 1) * 512 + src.below(0x4_0000) as usize,
    };
    let mut k = src.bytes(len);
    let mut set = |o: usize, b: &[u8]| {
        if let Some(d) = k.get_mut(o..o + b.len()) {
            d.copy_from_slice(b);
        }
    };
    if !src.chance(8) {
        set(0x1F1, &[setup_sects]);
        set(0x1FE, &[0x55, 0xAA]);
        set(0x202, b"HdrS");
    }
    if src.chance(2) {
        let v: u16 = [0x0200, 0x0204, 0x0206, 0x020F][src.below(4) as usize];
        set(0x206, &v.to_le_bytes());
        set(0x211, &[1 | src.byte() & 0x80]);
    }
    if src.chance(2) {
        // A kernel that writes "ok" to the debug console and halts.
        set(
            (setup_sects as usize + 1) * 512,
            &[0xB0, b'o', 0xE6, 0xE9, 0xB0, b'k', 0xE6, 0xE9, 0xFA, 0xF4],
        );
    }
    k
}

/// A Multiboot kernel: a header at a random offset, ELF or a.out-kludge
/// layout, random fields.
fn multiboot_kernel(src: &mut Source<'_>) -> Vec<u8> {
    let len = 64 + src.below(0x6000) as usize;
    let mut k = src.bytes(len);
    let at = (src.below(0x2000) as usize) & !3;
    let flags = match src.below(4) {
        0 => src.u32(),
        1 => 0x1_0003,
        2 => 0x3,
        _ => 0x1_0000 | src.u32() & 0x7,
    };
    let mut hdr = Vec::new();
    hdr.extend_from_slice(&0x1BAD_B002u32.to_le_bytes());
    hdr.extend_from_slice(&flags.to_le_bytes());
    hdr.extend_from_slice(
        &0u32
            .wrapping_sub(0x1BAD_B002)
            .wrapping_sub(flags)
            .to_le_bytes(),
    );
    let load = if src.chance(2) { 0x10_0000 } else { src.u32() };
    let pick = |s: &mut Source<'_>, sane: u32| if s.chance(2) { sane } else { s.u32() };
    for v in [
        pick(src, load + at as u32),
        load,
        pick(src, load + len as u32),
        pick(src, load + len as u32 + 0x1000),
        pick(src, load + at as u32 + 48),
    ] {
        hdr.extend_from_slice(&v.to_le_bytes());
    }
    if let Some(d) = k.get_mut(at..at + hdr.len()) {
        d.copy_from_slice(&hdr);
    }
    if src.chance(2) {
        // ELF32 header with program headers at 52.
        let phnum = src.below(6) as u16;
        let mut e = vec![0x7F, b'E', b'L', b'F', 1, 1, 1, 0];
        e.resize(52, 0);
        e[16..18].copy_from_slice(&2u16.to_le_bytes());
        e[18..20].copy_from_slice(&3u16.to_le_bytes());
        e[24..28].copy_from_slice(&pick(src, 0x10_0000).to_le_bytes());
        e[28..32].copy_from_slice(&52u32.to_le_bytes());
        e[42..44].copy_from_slice(&32u16.to_le_bytes());
        e[44..46].copy_from_slice(&phnum.to_le_bytes());
        for _ in 0..phnum {
            let mut p = [0u8; 32];
            for (o, v) in [
                (0, if src.chance(4) { src.u32() } else { 1 }),
                (4, pick(src, 0x1000)),
                (12, pick(src, 0x10_0000)),
                (16, pick(src, 0x1000)),
                (20, pick(src, 0x2000)),
            ] {
                p[o..o + 4].copy_from_slice(&v.to_le_bytes());
            }
            e.extend_from_slice(&p);
        }
        if let Some(d) = k.get_mut(..e.len()) {
            d.copy_from_slice(&e);
        }
    }
    k
}

/// Target (c): random and mutated disk images, ISOs, floppies, ROMs,
/// bzImages, Multiboot kernels and initrds/modules, written to `dir` and
/// given to the machine; when it accepts them, the guest runs briefly.
pub fn load_files(data: &[u8], dir: &Path) -> Option<Stop> {
    let mut src = Source::new(data);
    let ram = [1u32, 2, 4, 16, 64][src.below(5) as usize] << 20;
    let mut config = match src.below(3) {
        0 => {
            let len = if src.chance(4) {
                edge_size(&mut src).min(crate::MAX_ROM as u64 + 1)
            } else {
                1 + src.below(crate::MAX_ROM as u32) as u64
            };
            let rom = src.bytes(len as usize);
            let path = dir.join("rom.bin");
            std::fs::write(&path, &rom).ok()?;
            match crate::load_rom(&path) {
                Ok(r) => Config::new(r),
                Err(_) => return None,
            }
        }
        _ => small_config(),
    };
    config.ram_size = ram as usize;
    config.serial.push((0, Output::Capture));
    config.consoles.push((0xE9, Output::Capture));
    let kinds = [MediaKind::Floppy, MediaKind::HardDisk, MediaKind::CdRom];
    let disks = src.below(3);
    for i in 0..disks {
        let path = dir.join(format!("disk{i}.img"));
        let len = edge_size(&mut src);
        write_image(&path, len, &mut src).ok()?;
        // Usually the kind the size suits (as the front end guesses it).
        let kind = if src.chance(4) {
            kinds[src.below(3) as usize]
        } else if len.is_multiple_of(2048) && len > 0 && src.chance(3) {
            MediaKind::CdRom
        } else {
            crate::disk::guess_kind(&path, len)
        };
        let img = DiskImage {
            path,
            kind,
            snapshot: src.chance(2),
            read_only: src.chance(4),
        };
        match kind {
            MediaKind::Floppy => config.floppies[i as usize % 2] = Some(img),
            _ => config.ide[(i as usize * 2) % 4] = Some(img),
        }
    }
    if src.chance(2) {
        let kernel = if src.chance(2) {
            bzimage(&mut src)
        } else {
            multiboot_kernel(&mut src)
        };
        let kpath = dir.join("kernel");
        std::fs::write(&kpath, &kernel).ok()?;
        let initrd = if src.chance(2) {
            let p = dir.join("initrd");
            let len = edge_size(&mut src).min(80 << 20);
            write_image(&p, len, &mut src).ok()?;
            let list = if src.chance(2) {
                format!("{},{} args", p.display(), p.display())
            } else {
                p.display().to_string()
            };
            Some(PathBuf::from(list))
        } else {
            None
        };
        let cmdline: String = (0..src.below(300))
            .map(|_| (b' ' + src.below(95) as u8) as char)
            .collect();
        config.linux = Some(LinuxBoot {
            kernel: kpath,
            initrd,
            cmdline,
        });
    }
    let mut m = Machine::new(config).ok()?;
    Some(m.run(CODE_BUDGET))
}

/// Target (d): snapshot files. A random-code machine runs a little, its
/// snapshot is saved, the file is damaged (truncated, bytes flipped, a
/// range overwritten, with the checksum usually fixed up so the decoder
/// itself sees the damage) and loaded into a fresh machine of the same
/// configuration; when the load is accepted, the guest runs on.
pub fn load_snapshot_file(data: &[u8]) -> Option<Stop> {
    let mut m = code_machine(data)?;
    let mut src = Source::new(data);
    // Skip what code_machine drew, roughly: a new stream for the damage.
    for _ in 0..64 {
        src.byte();
    }
    m.run(src.below(20_000) as u64);
    let mut file = Vec::new();
    m.snapshot().save(&mut file).ok()?;
    let crc_fix = !src.chance(4);
    // Most damage lands in the header and the state before RAM.
    let hot = file.len().min(64 << 10) as u32;
    match src.below(4) {
        0 => {
            let n = src.below(file.len() as u32) as usize;
            file.truncate(n);
        }
        1 => {
            for _ in 0..1 + src.below(8) {
                let at = src.below(hot) as usize;
                file[at] ^= 1 << src.below(8);
            }
        }
        2 => {
            let at = src.below(hot) as usize;
            let len = (1 + src.below(64) as usize).min(file.len() - at);
            src.fill(&mut file[at..at + len]);
        }
        _ => {
            let at = src.below(hot) as usize;
            let n = 1 + src.below(32) as usize;
            let extra = src.bytes(n);
            file.splice(at..at, extra);
        }
    }
    if crc_fix && file.len() >= 4 {
        let at = file.len() - 4;
        let crc = crate::codec::crc32(&file[..at]);
        file[at..].copy_from_slice(&crc.to_le_bytes());
    }
    let mut fresh = code_machine(data)?;
    fresh.load_snapshot(&file[..]).ok()?;
    Some(fresh.run(20_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_gives_input_then_a_stream() {
        let mut s = Source::new(&[1, 2]);
        assert_eq!((s.byte(), s.byte()), (1, 2));
        let a: Vec<u8> = (0..8).map(|_| s.byte()).collect();
        let mut t = Source::new(&[1, 2]);
        t.fill(&mut [0; 2]);
        let b: Vec<u8> = (0..8).map(|_| t.byte()).collect();
        assert_eq!(a, b, "the tail stream depends only on the input");
        assert_ne!(a, vec![0; 8]);
    }

    #[test]
    fn descriptors_encode_base_limit_and_access() {
        // Flat 4 GiB ring-0 code: the classic 0x00CF9B000000FFFF.
        assert_eq!(
            u64::from_le_bytes(descriptor(0, 0xF_FFFF, 0x9B, 0xC)),
            0x00CF_9B00_0000_FFFF
        );
        assert_eq!(
            u64::from_le_bytes(descriptor(0x1234_5678, 0x2067, 0x89, 0)),
            0x1200_8934_5678_2067
        );
    }
}
