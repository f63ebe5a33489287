//! Runs SingleStepTests files against oxbox's CPU and compares the results.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::GzDecoder;
use oxbox_cpu::{Bus, Cpu, CpuModel, Exit, PageMap, SegReg, Segment};

use crate::meta::{Metadata, OpInfo};
use crate::model::{Test, CS, FLAGS, IP, REG_NAMES, SP, SS};
use crate::moo::MooReader;
use crate::skip::{self, Set};

/// The flags a 386+ core compares: CF PF AF ZF SF TF IF DF OF. Bits 12-15
/// (always 1 on the 8086, IOPL/NT in later cores) and the reserved bits are
/// not part of the comparison.
pub const FLAGS_COMPARED: u16 = 0x0FD5;

/// Most instructions a 286 test may take to reach its HLT (the instruction,
/// perhaps an exception, then the HLT).
/// (A REP string instruction with CX up to FFFFh takes up to 16 runs: the
/// CPU gives the machine back every 4096 iterations.)
const MAX_286_STEPS: u64 = 32;

/// Runs one 8086 instruction; a chunked REP string instruction (IP left
/// on it after 4096 iterations) is run again to its end: 16 more chunks
/// cover CX = FFFFh.
fn run_8086(cpu: &mut Cpu<TestBus>, bus: &mut TestBus) -> Exit {
    let cs = cpu.segment(SegReg::Cs).selector;
    let ip = cpu.eip();
    let rep = is_rep_string(&bus.ram, ((cs as usize) << 4) + ip as usize);
    let mut exit = cpu.run(bus, 1);
    for _ in 0..16 {
        let again = cpu.segment(SegReg::Cs).selector == cs && cpu.eip() == ip;
        if !(rep && again && exit == Exit::Budget) {
            break;
        }
        exit = cpu.run(bus, 1);
    }
    exit
}

/// Whether the 8086 instruction at `lin` is a REP-prefixed string
/// instruction (which resumes itself in chunks, IP staying on it).
fn is_rep_string(ram: &[u8], lin: usize) -> bool {
    let mut rep = false;
    for i in 0..15 {
        let Some(&b) = ram.get((lin + i) & 0xF_FFFF) else {
            return false;
        };
        match b {
            0xF2 | 0xF3 => rep = true,
            0x26 | 0x2E | 0x36 | 0x3E | 0xF0 => {}
            0xA4..=0xA7 | 0xAA..=0xAF | 0x6C..=0x6F => return rep,
            _ => return false,
        }
    }
    false
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Print every failing test with its differences.
    pub verbose: bool,
    /// Tests per file.
    pub limit: Option<usize>,
    /// Run only the test with this index in each file.
    pub index: Option<usize>,
    /// metadata.json to use instead of searching next to the files.
    pub metadata: Option<PathBuf>,
}

/// What happened to one file.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    pub label: String,
    pub passed: usize,
    pub failed: usize,
    /// Tests skipped by a per-test rule or revocation, by reason.
    pub skipped: BTreeMap<&'static str, usize>,
    /// Passed tests that were compared under a documented convention, by note.
    pub notes: BTreeMap<&'static str, usize>,
    /// The whole file was skipped, for this reason, with this many tests.
    pub file_skip: Option<(&'static str, usize)>,
    /// The file could not be read.
    pub error: Option<String>,
    /// Verbose failure output.
    pub log: String,
}

impl FileReport {
    pub fn skipped_tests(&self) -> usize {
        self.skipped.values().sum::<usize>() + self.file_skip.map_or(0, |s| s.1)
    }

    /// The one-line summary.
    pub fn line(&self) -> String {
        if let Some(e) = &self.error {
            return format!("{}: ERROR: {e}", self.label);
        }
        if let Some((why, n)) = self.file_skip {
            return format!("{}: skipped ({n} tests): {why}", self.label);
        }
        let mut s = format!(
            "{}: {} passed, {} failed",
            self.label, self.passed, self.failed
        );
        let k: usize = self.skipped.values().sum();
        if k > 0 {
            let _ = write!(s, ", {k} skipped");
        }
        s
    }
}

/// The bus the tests run on: flat RAM, all-ones ports, no interrupts. The
/// first page (the interrupt vector table) is routed through the slow path
/// so the runner sees which vectors the CPU fetched.
pub struct TestBus {
    ram: Vec<u8>,
    /// Addresses below 400h read through `read_slow`, in order.
    ivt_reads: Vec<u32>,
}

impl TestBus {
    pub fn new(size: usize) -> Self {
        TestBus {
            ram: vec![0; size],
            ivt_reads: Vec::with_capacity(64),
        }
    }

    /// Every vector the CPU fetched from the interrupt table (four
    /// consecutive byte reads at 4*v).
    fn vectors(&self) -> Vec<u8> {
        self.ivt_reads
            .windows(4)
            .filter(|w| w[0] % 4 == 0 && w[1] == w[0] + 1 && w[2] == w[0] + 2 && w[3] == w[0] + 3)
            .map(|w| (w[0] / 4) as u8)
            .collect()
    }
}

impl Bus for TestBus {
    fn memory(&mut self) -> &mut [u8] {
        &mut self.ram
    }

    fn map_page(&mut self, phys: u32) -> PageMap {
        let p = phys as usize & !0xFFF;
        if p == 0 || p + 0x1000 > self.ram.len() {
            PageMap::Mmio
        } else {
            PageMap::Direct {
                offset: p,
                writable: true,
            }
        }
    }

    fn read_slow(&mut self, phys: u32) -> u8 {
        if phys < 0x400 {
            self.ivt_reads.push(phys);
        }
        self.ram.get(phys as usize).copied().unwrap_or(0xFF)
    }

    fn write_slow(&mut self, phys: u32, value: u8) {
        if let Some(b) = self.ram.get_mut(phys as usize) {
            *b = value;
        }
    }

    fn io_in(&mut self, _port: u16, size: u8) -> u32 {
        match size {
            1 => 0xFF,
            2 => 0xFFFF,
            _ => u32::MAX,
        }
    }

    fn io_out(&mut self, _port: u16, _size: u8, _value: u32) -> bool {
        false
    }

    fn interrupt_pending(&mut self) -> bool {
        false
    }

    fn acknowledge_interrupt(&mut self) -> u8 {
        0
    }
}

/// The emulator's state after a test ran.
struct Outcome {
    regs: [u32; 14],
    /// Vectors the CPU fetched.
    vectors: Vec<u8>,
    /// A problem with the run itself (no HLT, triple fault).
    problem: Option<String>,
}

/// One CPU and bus per set, reused across tests (and files).
pub struct Runner {
    cpu8086: Option<(Cpu<TestBus>, TestBus)>,
    cpu286: Option<(Cpu<TestBus>, TestBus)>,
    metadata: HashMap<PathBuf, Arc<Metadata>>,
    revoked: HashMap<PathBuf, Arc<HashSet<String>>>,
}

impl Default for Runner {
    fn default() -> Self {
        Runner::new()
    }
}

/// A test file's kind from its name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    Moo { gz: bool },
    Json { gz: bool },
}

/// The format and the stem (`F6.6`) of a test file, or `None` if the name
/// is not a test file's.
pub fn classify(path: &Path) -> Option<(Format, String)> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    for (suffix, f) in [
        (".moo.gz", Format::Moo { gz: true }),
        (".moo", Format::Moo { gz: false }),
        (".json.gz", Format::Json { gz: true }),
        (".json", Format::Json { gz: false }),
    ] {
        if lower.ends_with(suffix) && lower != "metadata.json" {
            return Some((f, name[..name.len() - suffix.len()].to_string()));
        }
    }
    None
}

/// `8086/v1_binary/00.MOO.gz`: the last three components of a path.
pub fn label(path: &Path) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let n = parts.len();
    parts[n.saturating_sub(3)..].join("/")
}

fn open(path: &Path, gz: bool) -> Result<Box<dyn Read>, String> {
    let f = File::open(path).map_err(|e| e.to_string())?;
    let r = BufReader::with_capacity(1 << 16, f);
    Ok(if gz {
        Box::new(GzDecoder::new(r))
    } else {
        Box::new(r)
    })
}

/// Physical address of SS:offset on a CPU with 20 address lines.
fn phys20(seg: u16, off: u16) -> u32 {
    (((seg as u32) << 4) + off as u32) & 0xF_FFFF
}

impl Runner {
    pub fn new() -> Self {
        Runner {
            cpu8086: None,
            cpu286: None,
            metadata: HashMap::new(),
            revoked: HashMap::new(),
        }
    }

    /// metadata.json for a test file: the override, the file's directory, or
    /// a sibling directory (the 8086 MOO files keep theirs in `../v1`).
    fn find_metadata(&mut self, path: &Path, opts: &Options) -> Result<Arc<Metadata>, String> {
        let candidate = if let Some(m) = &opts.metadata {
            m.clone()
        } else {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            let here = dir.join("metadata.json");
            if here.is_file() {
                here
            } else {
                let mut found = None;
                if let Some(parent) = dir.parent() {
                    let parent = if parent.as_os_str().is_empty() {
                        Path::new("..")
                    } else {
                        parent
                    };
                    if let Ok(rd) = std::fs::read_dir(parent) {
                        let mut sibs: Vec<PathBuf> = rd
                            .filter_map(|e| e.ok())
                            .map(|e| e.path().join("metadata.json"))
                            .filter(|p| p.is_file())
                            .collect();
                        sibs.sort();
                        found = sibs.into_iter().next();
                    }
                }
                found.ok_or_else(|| {
                    format!(
                        "no metadata.json next to it (looked in {} and its siblings)",
                        dir.display()
                    )
                })?
            }
        };
        if let Some(m) = self.metadata.get(&candidate) {
            return Ok(m.clone());
        }
        let m = Arc::new(Metadata::load(&candidate)?);
        self.metadata.insert(candidate, m.clone());
        Ok(m)
    }

    /// Hashes listed in a `revocation_list.txt` in the file's directory or its parent.
    fn revocations(&mut self, path: &Path) -> Arc<HashSet<String>> {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        if let Some(r) = self.revoked.get(&dir) {
            return r.clone();
        }
        let mut set = HashSet::new();
        for d in [Some(dir.as_path()), dir.parent()].into_iter().flatten() {
            if let Ok(text) = std::fs::read_to_string(d.join("revocation_list.txt")) {
                for line in text.lines() {
                    let l = line.trim();
                    if !l.is_empty() && !l.starts_with('#') {
                        set.insert(l.to_ascii_lowercase());
                    }
                }
            }
        }
        let r = Arc::new(set);
        self.revoked.insert(dir, r.clone());
        r
    }

    /// Runs one test file.
    pub fn run_file(&mut self, path: &Path, opts: &Options) -> FileReport {
        let mut rep = FileReport {
            label: label(path),
            ..FileReport::default()
        };
        if let Err(e) = self.run_file_inner(path, opts, &mut rep) {
            rep.error = Some(e);
        }
        rep
    }

    fn run_file_inner(
        &mut self,
        path: &Path,
        opts: &Options,
        rep: &mut FileReport,
    ) -> Result<(), String> {
        let (format, stem) = classify(path).ok_or("not a test file name (*.MOO.gz, *.json.gz)")?;
        let meta = self.find_metadata(path, opts)?;
        let revoked = self.revocations(path);
        let set = match meta.cpu.as_str() {
            "8086" | "8088" => Set::I8086,
            "286" | "80286" => Set::I286,
            other => {
                return Err(format!(
                    "CPU '{other}' in {} is not supported by this runner",
                    meta.path.display()
                ))
            }
        };
        let (tests, declared): (Vec<Test>, usize) = match format {
            Format::Moo { gz } => {
                let mut r = MooReader::new(open(path, gz)?)?;
                let id_set = match r.cpu.as_str() {
                    "8086" | "8088" => Some(Set::I8086),
                    "C286" | "286" => Some(Set::I286),
                    _ => None,
                };
                if id_set != Some(set) {
                    return Err(format!(
                        "the file's CPU '{}' does not match the metadata's '{}'",
                        r.cpu, meta.cpu
                    ));
                }
                if let Some(rule) = skip::file_rule(set, &stem) {
                    rep.file_skip = Some((rule.reason, r.declared as usize));
                    return Ok(());
                }
                let want = opts.limit.map(|l| l.max(opts.index.map_or(0, |i| i + 1)));
                let tests = match want {
                    Some(n) => {
                        let mut v = Vec::with_capacity(n);
                        while v.len() < n {
                            match r.next_test()? {
                                Some(t) => v.push(t),
                                None => break,
                            }
                        }
                        v
                    }
                    None => r.read_all()?,
                };
                (tests, r.declared as usize)
            }
            Format::Json { gz } => {
                let mut text = Vec::new();
                open(path, gz)?
                    .read_to_end(&mut text)
                    .map_err(|e| format!("read error: {e}"))?;
                let tests = crate::json::parse(&text)?;
                let n = tests.len();
                if let Some(rule) = skip::file_rule(set, &stem) {
                    rep.file_skip = Some((rule.reason, n));
                    return Ok(());
                }
                (tests, n)
            }
        };
        let _ = declared;
        if tests.iter().any(|t| t.wide) {
            return Err("the file uses 32-bit register chunks (80386 format), which this runner does not run".into());
        }
        let (opcode, file_reg) = match stem.split_once('.') {
            Some((o, r)) => (o.to_string(), r.parse::<u8>().ok()),
            None => (stem.clone(), None),
        };
        let group = meta.is_group(&opcode);
        for t in tests.iter().take(
            opts.limit
                .unwrap_or(usize::MAX)
                .max(opts.index.map_or(0, |i| i + 1)),
        ) {
            if opts.index.is_some_and(|i| i != t.index) {
                continue;
            }
            if t.hash.as_ref().is_some_and(|h| revoked.contains(h)) {
                *rep.skipped
                    .entry("revoked by the suite's revocation_list.txt")
                    .or_default() += 1;
                continue;
            }
            let reg = file_reg.or_else(|| {
                if group {
                    skip::modrm_reg(&t.bytes)
                } else {
                    None
                }
            });
            let info = meta.lookup(&opcode, reg);
            if let Some(rule) = skip::rule_for(set, &stem, t, info.map(|i| i.status.as_str())) {
                *rep.skipped.entry(rule.reason).or_default() += 1;
                continue;
            }
            match self.check(set, &stem, t, info)? {
                Verdict::Pass => rep.passed += 1,
                Verdict::PassNote(note) => {
                    rep.passed += 1;
                    *rep.notes.entry(note).or_default() += 1;
                }
                Verdict::Skip(why) => {
                    *rep.skipped.entry(why).or_default() += 1;
                    if opts.verbose {
                        let _ = writeln!(
                            rep.log,
                            "SKIP {} #{} \"{}\": {why}",
                            rep.label, t.index, t.name
                        );
                    }
                }
                Verdict::Fail(diffs) => {
                    rep.failed += 1;
                    if opts.verbose {
                        let bytes: Vec<String> =
                            t.bytes.iter().map(|b| format!("{b:02X}")).collect();
                        let _ = writeln!(
                            rep.log,
                            "FAIL {} #{} \"{}\" [{}]",
                            rep.label,
                            t.index,
                            t.name,
                            bytes.join(" ")
                        );
                        for d in diffs {
                            let _ = writeln!(rep.log, "    {d}");
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn machine(&mut self, set: Set) -> &mut (Cpu<TestBus>, TestBus) {
        let slot = match set {
            Set::I8086 => &mut self.cpu8086,
            Set::I286 => &mut self.cpu286,
        };
        slot.get_or_insert_with(|| {
            let size = match set {
                Set::I8086 => 1 << 20,
                Set::I286 => (16 << 20) + (64 << 10),
            };
            (Cpu::new(CpuModel::I486), TestBus::new(size))
        })
    }

    /// Loads the test, runs it, and restores the RAM it touched to zero.
    fn execute(&mut self, set: Set, t: &Test, how: Setup) -> Result<(Outcome, Vec<u8>), String> {
        let (cpu, bus) = self.machine(set);
        let r = &t.init.regs.v;
        cpu.reset();
        cpu.set_a20(set != Set::I8086);
        // AX CX DX BX SP BP SI DI in CPU order, from the file's ax bx cx dx ... order.
        let gpr = [r[0], r[2], r[3], r[1], r[8], r[9], r[10], r[11]];
        for (i, v) in gpr.iter().enumerate() {
            cpu.set_gpr(i, *v as u32);
        }
        for (seg, sel) in [
            (SegReg::Cs, r[4]),
            (SegReg::Ss, r[5]),
            (SegReg::Ds, r[6]),
            (SegReg::Es, r[7]),
            (SegReg::Fs, 0),
            (SegReg::Gs, 0),
        ] {
            cpu.set_segment_real(seg, sel);
            if how == Setup::NoLimits {
                let s = cpu.segment(seg);
                cpu.set_segment(
                    seg,
                    Segment {
                        limit: u32::MAX,
                        ..s
                    },
                );
            }
        }
        cpu.set_eip(r[IP] as u32);
        // Bits 12-15 are not real-mode state (see FLAGS_COMPARED).
        cpu.set_eflags((r[FLAGS] & 0x0FFF) as u32);
        for &(a, v) in &t.init.ram {
            let slot = bus
                .ram
                .get_mut(a as usize)
                .ok_or_else(|| format!("test {}: RAM address {a:#x} is outside memory", t.index))?;
            *slot = v;
        }
        let mut alias_saved = None;
        if let Setup::Alias { from, to } = how {
            let (f, t4) = (from as usize * 4, to as usize * 4);
            let mut saved = [0u8; 4];
            saved.copy_from_slice(&bus.ram[f..f + 4]);
            bus.ram.copy_within(t4..t4 + 4, f);
            alias_saved = Some((f, saved));
        }
        cpu.flush_code_cache();
        bus.ivt_reads.clear();
        let problem = match set {
            Set::I8086 => match run_8086(cpu, bus) {
                Exit::Budget | Exit::Halted | Exit::Attention => None,
                Exit::TripleFault => Some("triple fault".to_string()),
                Exit::Debug => Some("unexpected debugger stop".to_string()),
                Exit::Hook => Some("unexpected hook stop".to_string()),
            },
            Set::I286 => match cpu.run(bus, MAX_286_STEPS) {
                Exit::Halted => None,
                Exit::TripleFault => Some("triple fault".to_string()),
                e => Some(format!(
                    "no HLT within {MAX_286_STEPS} instructions ({e:?})"
                )),
            },
        };
        let mut regs = [0u32; 14];
        let g = |i: usize| cpu.gpr(i);
        regs[0] = g(0);
        regs[1] = g(3);
        regs[2] = g(1);
        regs[3] = g(2);
        regs[4] = cpu.segment(SegReg::Cs).selector as u32;
        regs[5] = cpu.segment(SegReg::Ss).selector as u32;
        regs[6] = cpu.segment(SegReg::Ds).selector as u32;
        regs[7] = cpu.segment(SegReg::Es).selector as u32;
        regs[8] = g(4);
        regs[9] = g(5);
        regs[10] = g(6);
        regs[11] = g(7);
        regs[IP] = cpu.eip();
        regs[FLAGS] = cpu.eflags();
        let vectors = bus.vectors();
        let got: Vec<u8> = t
            .fina
            .ram
            .iter()
            .map(|&(a, _)| bus.ram.get(a as usize).copied().unwrap_or(0xFF))
            .collect();
        for &(a, _) in t.init.ram.iter().chain(&t.fina.ram) {
            if let Some(b) = bus.ram.get_mut(a as usize) {
                *b = 0;
            }
        }
        if let Some((f, saved)) = alias_saved {
            bus.ram[f..f + 4].copy_from_slice(&saved);
        }
        Ok((
            Outcome {
                regs,
                vectors,
                problem,
            },
            got,
        ))
    }

    /// Runs and compares one test, applying the dynamic rules of `skip`.
    fn check(
        &mut self,
        set: Set,
        stem: &str,
        t: &Test,
        info: Option<&OpInfo>,
    ) -> Result<Verdict, String> {
        let (out, ram) = self.execute(set, t, Setup::Plain)?;
        let diffs = compare(set, stem, t, info, &out, &ram);
        let divide_error_8086 = divide_error_8086(set, stem, t);
        if diffs.is_empty() {
            return Ok(if divide_error_8086 {
                Verdict::PassNote(skip::DE_RETURN_8086)
            } else if let Some(m) = skip::mask_rule_for(set, stem, t) {
                Verdict::PassNote(m.reason)
            } else {
                Verdict::Pass
            });
        }
        let ours = out.vectors.first().copied();
        let recorded = t.exception.map(|e| e.number);
        match set {
            Set::I8086 => {
                // IDIV's quotient range grew by one value after the 8086.
                if divide_error_8086 && ours.is_none() {
                    let ax = out.regs[crate::model::AX];
                    if (skip::file_matches("F6.7", stem) && ax & 0xFF == 0x80)
                        || (skip::file_matches("F7.7", stem) && ax == 0x8000)
                    {
                        return Ok(Verdict::Skip(skip::IDIV_8086));
                    }
                }
                // The 8086 has no segment limits: an offset of FFFFh plus one
                // wraps to 0 inside the segment, where a 286+ raises #GP or
                // #SS. Such a test is skipped only if the fault goes away when
                // the limits are lifted, which proves the limit check alone
                // caused it.
                if matches!(ours, Some(12 | 13)) && t.ivt_vector().is_none() {
                    let (again, _) = self.execute(set, t, Setup::NoLimits)?;
                    if !again.vectors.iter().any(|&v| v == 12 || v == 13) {
                        return Ok(Verdict::Skip(skip::SEGMENT_WRAP));
                    }
                }
            }
            Set::I286 => {
                if recorded == Some(13) && matches!(ours, Some(12 | 13)) {
                    if skip::file_matches("6D", stem) || skip::file_matches("6F", stem) {
                        return Ok(Verdict::Skip(skip::STRING_GP_286));
                    }
                    if skip::file_matches("8F", stem) {
                        return Ok(Verdict::Skip(skip::POP_GP_286));
                    }
                }
                // The 286 reports a stack-segment overrun as int 13 where a
                // 386 raises #SS: point vector 12 at the int 13 handler and
                // compare everything else.
                let ivt12_free = !t.init.ram.iter().any(|&(a, _)| (0x30..0x34).contains(&a));
                if recorded == Some(13) && ours == Some(12) && ivt12_free {
                    let (again, ram2) = self.execute(set, t, Setup::Alias { from: 12, to: 13 })?;
                    let d2 = compare(set, stem, t, info, &again, &ram2);
                    return Ok(if d2.is_empty() {
                        Verdict::PassNote(skip::SS_AS_GP_286)
                    } else {
                        Verdict::Fail(d2)
                    });
                }
                // IDIV overflows the 286 misses: it stores the most negative
                // quotient where a 386 raises #DE.
                let ax = t.expected_regs().v[crate::model::AX];
                let q_min = (skip::file_matches("F6.7", stem) && ax & 0xFF == 0x80)
                    || (skip::file_matches("F7.7", stem) && ax == 0x8000);
                if recorded.is_none() && ours == Some(0) && q_min {
                    return Ok(Verdict::Skip(skip::IDIV_286));
                }
            }
        }
        Ok(Verdict::Fail(diffs))
    }
}

/// How a test is loaded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Setup {
    Plain,
    /// Every segment limit at 4 GiB.
    NoLimits,
    /// Interrupt vector `from` points where vector `to` does.
    Alias {
        from: u8,
        to: u8,
    },
}

enum Verdict {
    Pass,
    PassNote(&'static str),
    Fail(Vec<String>),
    Skip(&'static str),
}

/// A divide error recorded on the 8086 (see [`skip::DE_RETURN_8086`]).
fn divide_error_8086(set: Set, stem: &str, t: &Test) -> bool {
    set == Set::I8086
        && skip::DIVIDES.iter().any(|d| skip::file_matches(d, stem))
        && t.ivt_vector() == Some(0)
}

fn flag_letters(bits: u16) -> String {
    const NAMES: [(u16, char); 9] = [
        (0x800, 'O'),
        (0x400, 'D'),
        (0x200, 'I'),
        (0x100, 'T'),
        (0x80, 'S'),
        (0x40, 'Z'),
        (0x10, 'A'),
        (0x4, 'P'),
        (0x1, 'C'),
    ];
    NAMES
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|&(_, c)| c)
        .collect()
}

/// The differences between the emulator's result and the recorded one.
fn compare(
    set: Set,
    stem: &str,
    t: &Test,
    info: Option<&OpInfo>,
    out: &Outcome,
    ram: &[u8],
) -> Vec<String> {
    let mut diffs = Vec::new();
    let exp = t.expected_regs();
    let fmask = FLAGS_COMPARED
        & info.and_then(|i| i.flags_mask).unwrap_or(0xFFFF)
        & !skip::extra_flag_mask(set, stem, t);
    for (i, &g) in out.regs.iter().enumerate() {
        // A register mask (RMSK) limits the comparison; without one the whole
        // 32-bit register must match, so a 16-bit instruction that touched the
        // upper half (loaded as zero) is caught, and EIP must equal IP.
        let rmask = t.reg_mask.and_then(|m| m.get(i));
        let e = exp.v[i] & rmask.unwrap_or(0xFFFF);
        if i == FLAGS {
            let (e, g) = (e & fmask, g as u16 & rmask.unwrap_or(0xFFFF) & fmask);
            if e != g {
                diffs.push(format!(
                    "flags: expected {:04X} got {:04X} (compared bits {fmask:04X}; differ in {})",
                    exp.v[i],
                    out.regs[i] & 0xFFFF,
                    flag_letters(e ^ g)
                ));
            }
        } else if g & rmask.map_or(u32::MAX, u32::from) != e as u32 {
            diffs.push(format!(
                "{}: expected {:04X} got {:04X}",
                REG_NAMES[i], exp.v[i], g
            ));
        }
    }
    // FLAGS images the CPU pushed, compared like the FLAGS register.
    // An interrupt pushes FLAGS, CS, IP: the image is at the final SS:SP+4.
    // (The 286 files' EXCP flag address is rounded down to an even address,
    // so it is wrong for an odd SP; the image is located from SS:SP instead.)
    let sp = exp.v[SP];
    let interrupted = match set {
        Set::I8086 => t.ivt_vector().is_some(),
        Set::I286 => t.exception.is_some(),
    };
    let image = if interrupted {
        Some(sp.wrapping_add(4))
    } else if set == Set::I8086 && stem.eq_ignore_ascii_case("9C") {
        Some(sp)
    } else {
        None
    };
    let mut masks: Vec<(u32, u8)> = Vec::new();
    // The return address a 286+ pushes for a divide error is the faulting
    // instruction's (the 8086 pushed the next one's).
    let mut fixed: Vec<(u32, u8)> = Vec::new();
    if divide_error_8086(set, stem, t) {
        let ip = t.init.regs.v[IP];
        fixed.push((phys20(exp.v[SS], sp), ip as u8));
        fixed.push((phys20(exp.v[SS], sp.wrapping_add(1)), (ip >> 8) as u8));
    }
    if let Some(off) = image {
        let phys = |o: u16| match set {
            Set::I8086 => phys20(exp.v[SS], o),
            Set::I286 => ((exp.v[SS] as u32) << 4) + o as u32,
        };
        masks.push((phys(off), fmask as u8));
        masks.push((phys(off.wrapping_add(1)), (fmask >> 8) as u8));
    }
    for (k, &(a, e)) in t.fina.ram.iter().enumerate() {
        let e = fixed.iter().find(|f| f.0 == a).map_or(e, |f| f.1);
        let m = masks
            .iter()
            .filter(|&&(ma, _)| ma == a)
            .fold(0xFF, |acc, &(_, m)| acc & m);
        let g = ram.get(k).copied().unwrap_or(0xFF);
        if (g ^ e) & m != 0 {
            diffs.push(format!(
                "ram[{a:05X}]: expected {e:02X} got {g:02X}{}",
                if m != 0xFF {
                    format!(" (mask {m:02X})")
                } else {
                    String::new()
                }
            ));
        }
    }
    if let Some(p) = &out.problem {
        diffs.push(p.clone());
    }
    if !diffs.is_empty() {
        let recorded = match (t.exception, set) {
            (Some(e), _) => format!("int {}", e.number),
            (None, Set::I8086) => t.ivt_vector().map_or("none".into(), |v| format!("int {v}")),
            (None, _) => "none".into(),
        };
        let ours: Vec<String> = out.vectors.iter().map(|v| format!("int {v}")).collect();
        diffs.push(format!(
            "interrupts: recorded {recorded}; oxbox {} (CS:IP {:04X}:{:04X} -> {:04X}:{:04X})",
            if ours.is_empty() {
                "none".into()
            } else {
                ours.join(", ")
            },
            t.init.regs.v[CS],
            t.init.regs.v[IP],
            out.regs[CS],
            out.regs[IP]
        ));
    }
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_names() {
        assert_eq!(
            classify(Path::new("a/F6.6.MOO.gz")),
            Some((Format::Moo { gz: true }, "F6.6".into()))
        );
        assert_eq!(
            classify(Path::new("00.json.gz")),
            Some((Format::Json { gz: true }, "00".into()))
        );
        assert_eq!(classify(Path::new("metadata.json")), None);
        assert_eq!(classify(Path::new("README.md")), None);
        assert_eq!(
            label(Path::new("/x/y/8086/v1_binary/00.MOO.gz")),
            "8086/v1_binary/00.MOO.gz"
        );
    }
}
