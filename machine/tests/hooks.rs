//! Hooks and the instruction trace through the embedding API: every hook
//! kind with its exact arguments and counts, stops, register changes,
//! injected exceptions, overrides, and exact trace text.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use oxbox_machine::cpu::SegReg;
use oxbox_machine::{
    Config, CpuidResult, Events, HookCtx, Hooks, Insn, InterruptEvent, InterruptKind, Machine,
    MemAccess, MsrWrite, PcBus, PortAccess, Stop, Syntax, Trace,
};

/// A 4 KiB ROM (physical FF000h-FFFFFh) with `code` at F000:F000 and the
/// reset vector jumping there.
fn machine_with(code: &[u8]) -> Machine {
    let mut rom = vec![0xFFu8; 0x1000];
    rom[..code.len()].copy_from_slice(code);
    rom[0xFF0..0xFF5].copy_from_slice(&[0xEA, 0x00, 0xF0, 0x00, 0xF0]);
    let mut config = Config::new(rom);
    config.pci = false;
    Machine::new(config).expect("machine")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// nasm -f bin, org F000h (offsets below are from F000h, linear FF000h+):
/// ```text
/// 00 cli                      2E out 0x80, al        49 mov [0x508], eax
/// 01 xor ax, ax               30 mov dx, 0x2F0       4D mov [0x50C], edx
/// 03 mov ds, ax               33 in al, dx           52 mov ecx, 0xBEEF
/// 05 mov ss, ax               34 mov [0x502], al     58 mov eax, 0x11111111
/// 07 mov sp, 0x7000           37 xor eax, eax        5E mov edx, 0x22222222
/// 0A mov word [0xC0], int30   3A cpuid               64 wrmsr
/// 10 mov word [0xC2], 0xF000  3C mov [0x504], ebx    66 int 0x30
/// 16 mov word [0x18], ud      41 mov ecx, 0xC0DE     68 mov [0x510], cx   (set_cx)
/// 1C mov word [0x1A], 0xF000  47 rdmsr               6C nop               (inject_here)
/// 22 mov word [0x500], 0x1234                        6D hlt               (stop_here)
/// 28 mov bx, [0x500]
/// 2C mov al, 0x55
/// int30: 6E mov word [0x520], 0x3030 / 74 iret
/// ud:    75 mov bp, sp / 77 mov ax, [bp] / 7A mov [0x522], ax / 7D iret
/// ```
const PROGRAM: &str = "fa31c08ed88ed0bc0070c706c0006ef0c706c20000f0c706180075f0c7061a0000f0\
c706000534128b1e0005b055e680baf002eca202056631c00fa266891e040566b9dec000000f3266a30805\
6689160c0566b9efbe000066b81111111166ba222222220f30cd30890e100590f4c70620053030cf89e58b46\
00a32205cf";

const SET_CX: u32 = 0xFF068;
const INJECT_HERE: u32 = 0xFF06C;
const STOP_HERE: u32 = 0xFF06D;

#[derive(Default)]
struct Recorder {
    before: Vec<u32>,
    memory: Vec<MemAccess>,
    ports: Vec<PortAccess>,
    port_ins: Vec<(u16, u8)>,
    interrupts: Vec<InterruptEvent>,
    cpuids: Vec<(u32, u32)>,
    rdmsrs: Vec<(u32, Option<u64>)>,
    wrmsrs: Vec<(u32, u64)>,
    injected: bool,
}

impl Hooks<PcBus> for Recorder {
    fn before_instruction(&mut self, ctx: &mut HookCtx<'_, PcBus>, insn: Insn) {
        assert_eq!(
            insn.linear,
            ctx.cpu().segment(SegReg::Cs).base + ctx.cpu().eip()
        );
        self.before.push(insn.linear);
        match insn.linear {
            SET_CX => ctx.cpu_mut().set_gpr(1, 0xCAFE),
            INJECT_HERE if !self.injected => {
                self.injected = true;
                ctx.inject_exception(6, None);
            }
            STOP_HERE => ctx.stop(),
            _ => {}
        }
    }

    fn memory(&mut self, _ctx: &mut HookCtx<'_, PcBus>, access: MemAccess) {
        self.memory.push(access);
    }

    fn port_in(&mut self, _ctx: &mut HookCtx<'_, PcBus>, port: u16, size: u8) -> Option<u32> {
        self.port_ins.push((port, size));
        (port == 0x2F0).then_some(0xA5)
    }

    fn port(&mut self, _ctx: &mut HookCtx<'_, PcBus>, access: PortAccess) {
        self.ports.push(access);
    }

    fn interrupt(&mut self, _ctx: &mut HookCtx<'_, PcBus>, event: InterruptEvent) {
        self.interrupts.push(event);
    }

    fn cpuid(
        &mut self,
        _ctx: &mut HookCtx<'_, PcBus>,
        leaf: u32,
        subleaf: u32,
        result: &mut CpuidResult,
    ) {
        self.cpuids.push((leaf, subleaf));
        if leaf == 0 {
            result.ebx = u32::from_le_bytes(*b"oxbo");
        }
    }

    fn rdmsr(&mut self, _ctx: &mut HookCtx<'_, PcBus>, msr: u32, value: &mut Option<u64>) {
        self.rdmsrs.push((msr, *value));
        if msr == 0xC0DE {
            *value = Some(0x1122_3344_5566_7788);
        }
    }

    fn wrmsr(&mut self, _ctx: &mut HookCtx<'_, PcBus>, msr: u32, value: u64) -> MsrWrite {
        self.wrmsrs.push((msr, value));
        if msr == 0xBEEF {
            MsrWrite::Accept
        } else {
            MsrWrite::Default
        }
    }
}

fn read16(m: &mut Machine, a: u32) -> u32 {
    let mut b = [0u8; 2];
    m.read_physical(a, &mut b);
    u16::from_le_bytes(b) as u32
}

fn read32(m: &mut Machine, a: u32) -> u32 {
    let mut b = [0u8; 4];
    m.read_physical(a, &mut b);
    u32::from_le_bytes(b)
}

fn w(linear: u32, size: u8, value: u32) -> MemAccess {
    MemAccess {
        linear,
        physical: linear,
        size,
        value,
        write: true,
    }
}

fn r(linear: u32, size: u8, value: u32) -> MemAccess {
    MemAccess {
        write: false,
        ..w(linear, size, value)
    }
}

#[test]
fn every_hook_kind_fires_with_exact_arguments() {
    let mut m = machine_with(&hex(PROGRAM));
    let id = m.add_hooks(Recorder::default());

    // The hook stops before `hlt`: 37 instructions have run (39 seen by
    // the before-instruction hook: the injected-over `nop` and the `hlt`
    // have not run).
    assert_eq!(m.run(1000), Stop::Hook);
    assert_eq!(m.cpu().eip(), 0xF06D);
    assert_eq!(m.instruction_count(), 37);

    let h = m.hooks_mut::<Recorder>(id).unwrap();
    let mut expect: Vec<u32> = vec![0xFFFF_FFF0];
    for off in [
        0x00, 0x01, 0x03, 0x05, 0x07, 0x0A, 0x10, 0x16, 0x1C, 0x22, 0x28, 0x2C, 0x2E, 0x30, 0x33,
        0x34, 0x37, 0x3A, 0x3C, 0x41, 0x47, 0x49, 0x4D, 0x52, 0x58, 0x5E, 0x64, 0x66,
        // int 0x30 handler, back, the injected #UD's handler, back.
        0x6E, 0x74, 0x68, 0x6C, 0x75, 0x77, 0x7A, 0x7D, 0x6C, 0x6D,
    ] {
        expect.push(0xFF000 + off);
    }
    assert_eq!(h.before, expect);

    // FLAGS pushed by both deliveries: IF clear, ZF and PF from
    // `xor eax, eax`, reserved bit 1.
    let flags = 0x0046;
    assert_eq!(
        h.memory,
        vec![
            w(0xC0, 2, 0xF06E),
            w(0xC2, 2, 0xF000),
            w(0x18, 2, 0xF075),
            w(0x1A, 2, 0xF000),
            w(0x500, 2, 0x1234),
            r(0x500, 2, 0x1234),
            w(0x502, 1, 0xA5),
            w(0x504, 4, 0x6F62_786F),
            w(0x508, 4, 0x5566_7788),
            w(0x50C, 4, 0x1122_3344),
            // int 0x30: IVT entry, then FLAGS, CS, IP pushed.
            r(0xC0, 4, 0xF000_F06E),
            w(0x6FFE, 2, flags),
            w(0x6FFC, 2, 0xF000),
            w(0x6FFA, 2, 0xF068),
            w(0x520, 2, 0x3030),
            // iret
            r(0x6FFA, 2, 0xF068),
            r(0x6FFC, 2, 0xF000),
            r(0x6FFE, 2, flags),
            w(0x510, 2, 0xCAFE),
            // The injected #UD returns to the instruction it replaced.
            r(0x18, 4, 0xF000_F075),
            w(0x6FFE, 2, flags),
            w(0x6FFC, 2, 0xF000),
            w(0x6FFA, 2, 0xF06C),
            r(0x6FFA, 2, 0xF06C),
            w(0x522, 2, 0xF06C),
            r(0x6FFA, 2, 0xF06C),
            r(0x6FFC, 2, 0xF000),
            r(0x6FFE, 2, flags),
        ]
    );
    assert_eq!(
        h.ports,
        vec![
            PortAccess {
                port: 0x80,
                size: 1,
                value: 0x55,
                write: true
            },
            PortAccess {
                port: 0x2F0,
                size: 1,
                value: 0xA5,
                write: false
            },
        ]
    );
    assert_eq!(h.port_ins, vec![(0x2F0, 1)]);
    assert_eq!(
        h.interrupts,
        vec![
            InterruptEvent {
                vector: 0x30,
                kind: InterruptKind::Software,
                error_code: None
            },
            InterruptEvent {
                vector: 6,
                kind: InterruptKind::Exception,
                error_code: None
            },
        ]
    );
    // CPUID leaf 0; ECX (the subleaf) is still 0 from reset.
    assert_eq!(h.cpuids, vec![(0, 0)]);
    // The model has no MSR C0DEh: without the hook RDMSR would #GP.
    assert_eq!(h.rdmsrs, vec![(0xC0DE, None)]);
    assert_eq!(h.wrmsrs, vec![(0xBEEF, 0x2222_2222_1111_1111)]);

    // What the guest saw.
    assert_eq!(read16(&mut m, 0x502) & 0xFF, 0xA5);
    assert_eq!(read32(&mut m, 0x504), u32::from_le_bytes(*b"oxbo"));
    assert_eq!(read32(&mut m, 0x508), 0x5566_7788);
    assert_eq!(read32(&mut m, 0x50C), 0x1122_3344);
    assert_eq!(read16(&mut m, 0x510), 0xCAFE);
    assert_eq!(read16(&mut m, 0x520), 0x3030);
    assert_eq!(read16(&mut m, 0x522), 0xF06C);

    // Resuming runs the `hlt` without calling the hook for it again.
    assert_eq!(m.run(1000), Stop::HaltedInterruptsOff);
    assert_eq!(m.instruction_count(), 38);
    let h = m.take_hooks::<Recorder>(id).unwrap();
    assert_eq!(h.before.len(), 39);
}

#[test]
fn without_hooks_the_same_program_faults_on_rdmsr() {
    // The control: the model has no MSR C0DEh, so RDMSR raises #GP (13),
    // whose IVT entry is 0000:0000 here: the CPU ends up at 0000:0000.
    let mut m = machine_with(&hex(PROGRAM));
    struct Count(u32);
    impl Hooks<PcBus> for Count {
        fn events(&self) -> Events {
            Events::INTERRUPT
        }
        fn interrupt(&mut self, _ctx: &mut HookCtx<'_, PcBus>, e: InterruptEvent) {
            assert_eq!((e.vector, e.kind), (13, InterruptKind::Exception));
            self.0 += 1;
        }
    }
    let id = m.add_hooks(Count(0));
    // The far jump, then 21 instructions through RDMSR.
    assert_eq!(m.run(22), Stop::InstructionLimit);
    assert_eq!(m.hooks_mut::<Count>(id).unwrap().0, 1);
    assert_eq!(m.cpu().segment(SegReg::Cs).selector, 0);
    assert_eq!(m.cpu().eip(), 0);
}

struct CountBefore(u64);

impl Hooks<PcBus> for CountBefore {
    fn events(&self) -> Events {
        Events::INSTRUCTION
    }
    fn before_instruction(&mut self, _ctx: &mut HookCtx<'_, PcBus>, _insn: Insn) {
        self.0 += 1;
    }
}

#[test]
fn installing_and_removing_takes_effect_inside_cached_code() {
    // mov cx, 200 / l: inc ax / loop l / hlt   -- one block, decoded once.
    let mut m = machine_with(&[0xB9, 0xC8, 0x00, 0x40, 0xE2, 0xFD, 0xF4]);
    assert_eq!(m.run(50), Stop::InstructionLimit);
    let id = m.add_hooks(CountBefore(0));
    assert_eq!(m.run(7), Stop::InstructionLimit);
    assert_eq!(m.hooks_mut::<CountBefore>(id).unwrap().0, 7);
    assert!(m.remove_hooks(id));
    assert!(!m.remove_hooks(id));
    assert_eq!(m.run(30), Stop::InstructionLimit);
    let id2 = m.add_hooks(CountBefore(0));
    assert_eq!(m.run(1000), Stop::HaltedInterruptsOff);
    // The reset vector's far jump, then 1 + 2 * 200 + 1 instructions;
    // 87 ran before the second hook.
    assert_eq!(m.instruction_count(), 403);
    assert_eq!(m.hooks_mut::<CountBefore>(id2).unwrap().0, 403 - 87);
    // A hook of another type is not handed out as this one.
    assert!(m.take_hooks::<Recorder>(id2).is_none());
    assert!(m.take_hooks::<CountBefore>(id2).is_some());
}

#[derive(Default)]
struct MemLog(Vec<MemAccess>);

impl Hooks<PcBus> for MemLog {
    fn events(&self) -> Events {
        Events::MEMORY
    }
    fn memory(&mut self, _ctx: &mut HookCtx<'_, PcBus>, a: MemAccess) {
        self.0.push(a);
    }
}

#[test]
fn memory_hooks_see_accesses_the_tlb_would_have_served() {
    // xor ax,ax / mov ds,ax / mov cx,5 / l: mov [0x600],cx / loop l / hlt
    let code = [
        0x31, 0xC0, 0x8E, 0xD8, 0xB9, 0x05, 0x00, 0x89, 0x0E, 0x00, 0x06, 0xE2, 0xFA, 0xF4,
    ];
    let mut m = machine_with(&code);
    // The far jump and the code through the first store: page 0 is now
    // in the write TLB.
    assert_eq!(m.run(5), Stop::InstructionLimit);
    assert_eq!(read16(&mut m, 0x600), 5);
    let id = m.add_hooks(MemLog::default());
    assert_eq!(m.run(1000), Stop::HaltedInterruptsOff);
    let got = m.take_hooks::<MemLog>(id).unwrap().0;
    assert_eq!(
        got,
        vec![
            w(0x600, 2, 4),
            w(0x600, 2, 3),
            w(0x600, 2, 2),
            w(0x600, 2, 1)
        ]
    );
}

#[test]
fn trace_with_registers_is_exact() {
    // At the reset vector F000:FFF0:
    // mov ax,1234h / add ax,bx / jmp short +1 / nop / hlt
    let mut rom = vec![0xFFu8; 0x1000];
    rom[0xFF0..0xFF9].copy_from_slice(&[0xB8, 0x34, 0x12, 0x01, 0xD8, 0xEB, 0x01, 0x90, 0xF4]);
    let mut config = Config::new(rom);
    config.pci = false;
    let mut m = Machine::new(config).unwrap();
    let id = m.add_hooks(Trace::new(Vec::new()).registers(true));
    assert_eq!(m.run(100), Stop::HaltedInterruptsOff);
    let text = String::from_utf8(
        m.take_hooks::<Trace<Vec<u8>>>(id)
            .unwrap()
            .into_inner()
            .unwrap(),
    )
    .unwrap();
    // Registers before each instruction; EDX holds the reset signature.
    let regs = |eax: &str| {
        format!(
            "  eax={eax} ebx=00000000 ecx=00000000 edx=00000400 esi=00000000 edi=00000000 \
             ebp=00000000 esp=00000000 eflags=00000002"
        )
    };
    let expect = format!(
        "fffffff0  f000:fff0  b83412            mov ax,1234h{}\n\
         fffffff3  f000:fff3  01d8              add ax,bx{}\n\
         fffffff5  f000:fff5  eb01              jmp short 0FFF8h{}\n\
         fffffff8  f000:fff8  f4                hlt{}\n",
        regs("00000000"),
        regs("00001234"),
        regs("00001234"),
        regs("00001234"),
    );
    assert_eq!(text, expect);
}

#[test]
fn trace_in_att_syntax_of_32_bit_code() {
    // Flat 32-bit protected mode at 0008:00001000:
    // mov eax, 12345678h / hlt
    let mut m = machine_with(&[0xF4]);
    m.write_physical(0x1000, &[0xB8, 0x78, 0x56, 0x34, 0x12, 0xF4]);
    m.cpu_mut().enter_protected_flat(0, 0xFFFF, 0x08, 0x10);
    m.cpu_mut().set_eip(0x1000);
    let id = m.add_hooks(Trace::new(Vec::new()).syntax(Syntax::Att));
    assert_eq!(m.run(100), Stop::HaltedInterruptsOff);
    let text = m
        .take_hooks::<Trace<Vec<u8>>>(id)
        .unwrap()
        .into_inner()
        .unwrap();
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "00001000  0008:00001000  b878563412        mov $0x12345678,%eax\n\
         00001005  0008:00001005  f4                hlt\n"
    );
}

/// A writer that fails after `left` bytes.
struct Failing {
    left: usize,
}

impl std::io::Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.left {
            return Err(std::io::Error::other("disk full"));
        }
        self.left -= buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_trace_writer_stops_the_run_with_the_error() {
    let mut m = machine_with(&[0x40, 0x40, 0x40, 0xF4]);
    // The far jump's line and the first `inc ax`'s fit; the second fails.
    let line1 = "fffffff0  f000:fff0  ea00f000f0        jmp far 0F000h:0F000h\n".len();
    let line2 = "000ff000  f000:f000  40                inc ax\n".len();
    let id = m.add_hooks(Trace::new(Failing {
        left: line1 + line2,
    }));
    assert_eq!(m.run(100), Stop::Hook);
    // Stopped before the second `inc ax`.
    assert_eq!(m.instruction_count(), 2);
    assert_eq!(m.cpu().eip(), 0xF001);
    let t = m.take_hooks::<Trace<Failing>>(id).unwrap();
    assert_eq!(t.error().map(|e| e.to_string()), Some("disk full".into()));
    assert!(t.into_inner().is_err());
}

/// Injects #GP with an error code before the instruction at `at`.
struct InjectGp {
    at: u32,
    events: Vec<InterruptEvent>,
}

impl Hooks<PcBus> for InjectGp {
    fn before_instruction(&mut self, ctx: &mut HookCtx<'_, PcBus>, insn: Insn) {
        if insn.linear == self.at {
            ctx.inject_exception(13, Some(0x1234));
        }
    }
    fn interrupt(&mut self, _ctx: &mut HookCtx<'_, PcBus>, e: InterruptEvent) {
        self.events.push(e);
    }
}

#[test]
fn injected_exception_goes_through_the_protected_mode_idt() {
    let mut m = machine_with(&[0xF4]);
    // GDT at 1800h: null, flat 32-bit code (08h), flat data (10h).
    m.write_physical(
        0x1800,
        &[
            0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0x9A, 0xCF, 0, 0xFF, 0xFF, 0, 0, 0, 0x92,
            0xCF, 0,
        ],
    );
    // IDT at 2000h: vector 13 is a 32-bit interrupt gate to 0008:00003000.
    m.write_physical(
        0x2000 + 13 * 8,
        &[0x00, 0x30, 0x08, 0x00, 0x00, 0x8E, 0x00, 0x00],
    );
    // IDTR image at 1F00h: limit 7FFh, base 2000h.
    m.write_physical(0x1F00, &[0xFF, 0x07, 0x00, 0x20, 0x00, 0x00]);
    // 1000: lidt [1F00h] / 1007: nop / 1008: hlt
    m.write_physical(
        0x1000,
        &[0x0F, 0x01, 0x1D, 0x00, 0x1F, 0x00, 0x00, 0x90, 0xF4],
    );
    // 3000: pop eax / mov [600h], eax / pop ebx / mov [604h], ebx / hlt
    m.write_physical(
        0x3000,
        &[
            0x58, 0xA3, 0x00, 0x06, 0x00, 0x00, 0x5B, 0x89, 0x1D, 0x04, 0x06, 0x00, 0x00, 0xF4,
        ],
    );
    m.cpu_mut().enter_protected_flat(0x1800, 0x17, 0x08, 0x10);
    m.cpu_mut().set_eip(0x1000);
    m.cpu_mut().set_gpr(4, 0x7000);
    let id = m.add_hooks(InjectGp {
        at: 0x1007,
        events: Vec::new(),
    });
    assert_eq!(m.run(100), Stop::HaltedInterruptsOff);
    // lidt, then the handler's five instructions; the nop never ran.
    assert_eq!(m.instruction_count(), 6);
    assert_eq!(read32(&mut m, 0x600), 0x1234);
    assert_eq!(read32(&mut m, 0x604), 0x1007);
    // What is left on the stack: CS and EFLAGS (IF clear, bit 1).
    assert_eq!(m.cpu().gpr(4), 0x7000 - 8);
    assert_eq!(read32(&mut m, 0x7000 - 8), 0x08);
    assert_eq!(read32(&mut m, 0x7000 - 4), 0x02);
    let h = m.take_hooks::<InjectGp>(id).unwrap();
    assert_eq!(
        h.events,
        vec![InterruptEvent {
            vector: 13,
            kind: InterruptKind::Exception,
            error_code: Some(0x1234)
        }]
    );
}

/// Rewrites `inc ax` at `at` into `dec ax` just before it runs, and counts
/// how often it is asked about that instruction.
struct Patch {
    at: u32,
    seen: u32,
}

impl Hooks<PcBus> for Patch {
    fn events(&self) -> Events {
        Events::INSTRUCTION
    }
    fn before_instruction(&mut self, ctx: &mut HookCtx<'_, PcBus>, insn: Insn) {
        if insn.linear == self.at {
            self.seen += 1;
            ctx.write_linear(insn.linear, &[0x48]).unwrap();
        }
    }
}

#[test]
fn code_rewritten_by_a_hook_runs_as_rewritten() {
    // In RAM at 0000:1000: mov ax, 5 / inc ax / hlt (decoded as one block
    // before the hook changes the middle instruction).
    let mut m = machine_with(&[0xEA, 0x00, 0x10, 0x00, 0x00]);
    m.write_physical(0x1000, &[0xB8, 0x05, 0x00, 0x40, 0xF4]);
    let id = m.add_hooks(Patch {
        at: 0x1003,
        seen: 0,
    });
    assert_eq!(m.run(100), Stop::HaltedInterruptsOff);
    assert_eq!(m.cpu().gpr(0) & 0xFFFF, 4);
    assert_eq!(m.instruction_count(), 5);
    assert_eq!(m.hooks_mut::<Patch>(id).unwrap().seen, 1);
}

/// Stops the run on a write to 0x500.
struct StopOnWrite;

impl Hooks<PcBus> for StopOnWrite {
    fn memory(&mut self, ctx: &mut HookCtx<'_, PcBus>, a: MemAccess) {
        if a.write && a.physical == 0x500 {
            ctx.stop();
        }
    }
}

#[test]
fn a_memory_hook_stops_after_the_access() {
    // xor ax,ax / mov ds,ax / mov word [0x500], 0xBEEF / inc ax / hlt
    let mut m = machine_with(&[
        0x31, 0xC0, 0x8E, 0xD8, 0xC7, 0x06, 0x00, 0x05, 0xEF, 0xBE, 0x40, 0xF4,
    ]);
    m.add_hooks(StopOnWrite);
    assert_eq!(m.run(100), Stop::Hook);
    // The far jump and three instructions; the store has completed.
    assert_eq!(m.instruction_count(), 4);
    assert_eq!(m.cpu().eip(), 0xF00A);
    assert_eq!(read16(&mut m, 0x500), 0xBEEF);
    assert_eq!(m.run(100), Stop::HaltedInterruptsOff);
    assert_eq!(m.cpu().gpr(0) & 0xFFFF, 1);
}

#[derive(Default)]
struct IrqLog {
    interrupts: Vec<(InterruptEvent, u32)>,
    outs: Vec<(u16, u32)>,
}

impl Hooks<PcBus> for IrqLog {
    fn events(&self) -> Events {
        Events::INTERRUPT | Events::PORT
    }
    fn interrupt(&mut self, ctx: &mut HookCtx<'_, PcBus>, e: InterruptEvent) {
        self.interrupts.push((e, ctx.cpu().eip()));
    }
    fn port(&mut self, _ctx: &mut HookCtx<'_, PcBus>, a: PortAccess) {
        assert!(a.write && a.size == 1);
        self.outs.push((a.port, a.value));
    }
}

#[test]
fn a_timer_interrupt_reaches_the_interrupt_hook_as_external() {
    // Real mode, org F000h: IVT[8] = F000:F039; PIC ICW1-4 (vector base 8),
    // mask all but IRQ 0; PIT channel 0 mode 2, count 1000; sti / hlt
    // (F036) / cli / hlt. F039: mov al,20h / out 20h,al (EOI) /
    // mov byte [600h],1 / iret
    let mut m = machine_with(&hex(
        "31c08ed88ed0bc0070c706200039f0c706220000f0b011e620b008e621b004e621b001e621\
         b0fee621b034e643b0e8e640b003e640fbf4faf4b020e620c606000601cf",
    ));
    let id = m.add_hooks(IrqLog::default());
    let mut stop = m.run(100_000);
    while stop == Stop::Yield {
        stop = m.run(100_000);
    }
    assert_eq!(stop, Stop::HaltedInterruptsOff);
    // The far jump, 24 instructions through the first hlt, the handler's
    // four, cli and hlt.
    assert_eq!(m.instruction_count(), 31);
    assert_eq!(read16(&mut m, 0x600) & 0xFF, 1);
    let h = m.take_hooks::<IrqLog>(id).unwrap();
    // Reported before delivery: EIP is past the hlt the IRQ woke.
    assert_eq!(
        h.interrupts,
        vec![(
            InterruptEvent {
                vector: 8,
                kind: InterruptKind::External,
                error_code: None
            },
            0xF037
        )]
    );
    assert_eq!(
        h.outs,
        vec![
            (0x20, 0x11),
            (0x21, 0x08),
            (0x21, 0x04),
            (0x21, 0x01),
            (0x21, 0xFE),
            (0x43, 0x34),
            (0x40, 0xE8),
            (0x40, 0x03),
            (0x20, 0x20)
        ]
    );
}

#[test]
fn memory_hooks_report_the_physical_address_under_paging() {
    let mut m = machine_with(&[0xF4]);
    let le = |v: u32| v.to_le_bytes();
    // Page directory at 10000h: [0] -> table at 11000h, [1] -> 12000h.
    m.write_physical(0x10000, &le(0x11003));
    m.write_physical(0x10004, &le(0x12003));
    // Linear 1000h -> physical 1000h (the code), 400000h -> 5000h.
    m.write_physical(0x11004, &le(0x1003));
    m.write_physical(0x12000, &le(0x5003));
    // 32-bit, at 1000h: mov eax,10000h / mov cr3,eax / mov eax,cr0 /
    // or eax,80000000h / mov cr0,eax / mov dword [400010h],0DEADBEEFh /
    // inc dword [400010h] / hlt
    m.write_physical(
        0x1000,
        &hex("b8000001000f22d80f20c00d000000800f22c0c70510004000efbeaddeff0510004000f4"),
    );
    m.cpu_mut().enter_protected_flat(0, 0xFFFF, 0x08, 0x10);
    m.cpu_mut().set_eip(0x1000);
    let id = m.add_hooks(MemLog::default());
    assert_eq!(m.run(100), Stop::HaltedInterruptsOff);
    let at = |write, value| MemAccess {
        linear: 0x40_0010,
        physical: 0x5010,
        size: 4,
        value,
        write,
    };
    // The store, then INC's read and write; page-table walks are not
    // reported.
    assert_eq!(
        m.take_hooks::<MemLog>(id).unwrap().0,
        vec![
            at(true, 0xDEAD_BEEF),
            at(false, 0xDEAD_BEEF),
            at(true, 0xDEAD_BEF0)
        ]
    );
    assert_eq!(read32(&mut m, 0x5010), 0xDEAD_BEF0);
}

/// At `hlt`, reads linear memory across page boundaries through the context.
#[derive(Default)]
struct ReadAcross(Vec<Result<Vec<u8>, oxbox_machine::Unmapped>>);

impl Hooks<PcBus> for ReadAcross {
    fn events(&self) -> Events {
        Events::INSTRUCTION
    }
    fn before_instruction(&mut self, ctx: &mut HookCtx<'_, PcBus>, insn: Insn) {
        if insn.len == 1 && ctx.cpu().cr0() & 0x8000_0000 != 0 {
            for addr in [0x1FFE, 0x40_0FFE] {
                let mut buf = [0u8; 4];
                self.0
                    .push(ctx.read_linear(addr, &mut buf).map(|()| buf.to_vec()));
            }
        }
    }
}

#[test]
fn context_reads_follow_the_page_tables_across_pages() {
    let mut m = machine_with(&[0xF4]);
    let le = |v: u32| v.to_le_bytes();
    m.write_physical(0x10000, &le(0x11003));
    m.write_physical(0x10004, &le(0x12003));
    // Linear 1000h -> 1000h (code), 2000h -> 7000h, 400000h -> 5000h;
    // 401000h is not present.
    m.write_physical(0x11004, &le(0x1003));
    m.write_physical(0x11008, &le(0x7003));
    m.write_physical(0x12000, &le(0x5003));
    m.write_physical(0x1FFE, &[0xAA, 0xBB]);
    m.write_physical(0x7000, &[0xCC, 0xDD]);
    // mov eax,10000h / mov cr3,eax / mov eax,cr0 / or eax,80000000h /
    // mov cr0,eax / hlt
    m.write_physical(0x1000, &hex("b8000001000f22d80f20c00d000000800f22c0f4"));
    m.cpu_mut().enter_protected_flat(0, 0xFFFF, 0x08, 0x10);
    m.cpu_mut().set_eip(0x1000);
    let id = m.add_hooks(ReadAcross::default());
    assert_eq!(m.run(100), Stop::HaltedInterruptsOff);
    assert_eq!(
        m.take_hooks::<ReadAcross>(id).unwrap().0,
        vec![
            Ok(vec![0xAA, 0xBB, 0xCC, 0xDD]),
            Err(oxbox_machine::Unmapped { linear: 0x40_1000 })
        ]
    );
}

/// Clears the debugger's watches from inside a hook, every instruction.
struct ClearsWatches(u64);

impl Hooks<PcBus> for ClearsWatches {
    fn before_instruction(&mut self, ctx: &mut HookCtx<'_, PcBus>, _insn: Insn) {
        self.0 += 1;
        ctx.cpu_mut().clear_watches();
    }
}

#[test]
fn hooks_stay_installed_when_a_hook_changes_the_watches() {
    // mov cx, 10 / l: inc ax / loop l / hlt
    let mut m = machine_with(&[0xB9, 0x0A, 0x00, 0x40, 0xE2, 0xFD, 0xF4]);
    m.cpu_mut()
        .add_port_watch(0x80, 0x80, oxbox_machine::cpu::Access::Write);
    let id = m.add_hooks(ClearsWatches(0));
    assert_eq!(m.run(1000), Stop::HaltedInterruptsOff);
    // The far jump, mov, 2 * 10, hlt: every one seen.
    assert_eq!(m.instruction_count(), 23);
    assert_eq!(m.hooks_mut::<ClearsWatches>(id).unwrap().0, 23);
}
