//! Breakpoints, watchpoints and catches through the embedding API.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use oxbox_machine::cpu::{Access, Breakpoint, DebugStop};
use oxbox_machine::{Config, Machine, Stop};

/// A ROM whose code at F000:0000 is `code`; the reset vector jumps there.
fn machine_with(code: &[u8]) -> Machine {
    let mut rom = vec![0xF4u8; 0x10000];
    rom[..code.len()].copy_from_slice(code);
    rom[0xFFF0..0xFFF5].copy_from_slice(&[0xEA, 0x00, 0x00, 0x00, 0xF0]);
    Machine::new(Config::new(rom)).expect("machine")
}

// mov ax,1 / mov [0x500],ax / inc ax / out 0x80,al / int 0x21 / hlt
const PROGRAM: &[u8] = &[
    0xB8, 0x01, 0x00, 0xA3, 0x00, 0x05, 0x40, 0xE6, 0x80, 0xCD, 0x21, 0xFA, 0xF4,
];

#[test]
fn execution_breakpoint_stops_before_the_instruction_and_resumes() {
    let mut m = machine_with(PROGRAM);
    m.cpu_mut().add_breakpoint(Breakpoint::Linear(0xF0006));
    assert_eq!(
        m.run(100),
        Stop::Debug(DebugStop::Breakpoint { linear: 0xF0006 })
    );
    assert_eq!(m.cpu().eip(), 6);
    assert_eq!(
        m.instruction_count(),
        3,
        "far jmp, mov, mov ran; inc did not"
    );
    assert_eq!(m.cpu().gpr(0) & 0xFFFF, 1);
    // Resuming runs the instruction at the breakpoint.
    assert_eq!(m.step(), Stop::InstructionLimit);
    assert_eq!(m.cpu().gpr(0) & 0xFFFF, 2);
    // CS:IP form, and removal takes effect at once.
    m.cpu_mut().remove_breakpoint(Breakpoint::Linear(0xF0006));
    m.cpu_mut().add_breakpoint(Breakpoint::CsIp(0xF000, 7));
    assert_eq!(
        m.run(100),
        Stop::Debug(DebugStop::Breakpoint { linear: 0xF0007 })
    );
}

#[test]
fn write_watchpoint_stops_after_the_write() {
    let mut m = machine_with(PROGRAM);
    m.cpu_mut().add_watchpoint(0x501, 1, Access::Write);
    assert_eq!(
        m.run(100),
        Stop::Debug(DebugStop::Watchpoint {
            linear: 0x500,
            write: true
        })
    );
    assert_eq!(m.cpu().eip(), 6, "stopped after the MOV that wrote");
    let mut b = [0u8; 2];
    m.read_physical(0x500, &mut b);
    assert_eq!(b, [1, 0]);
}

#[test]
fn port_and_vector_catches() {
    let mut m = machine_with(PROGRAM);
    m.cpu_mut().add_port_watch(0x80, 0x80, Access::Write);
    assert_eq!(
        m.run(100),
        Stop::Debug(DebugStop::Port {
            port: 0x80,
            write: true
        })
    );
    m.cpu_mut().clear_watches();
    m.cpu_mut().catch_vector(0x21, true);
    assert_eq!(
        m.run(100),
        Stop::Debug(DebugStop::Interrupt { vector: 0x21 })
    );
    // The IVT is zeroed: the handler is at 0000:0000.
    assert_eq!(m.cpu().segment(oxbox_machine::cpu::SegReg::Cs).selector, 0);
    assert_eq!(m.cpu().eip(), 0);
}

#[test]
fn magic_breakpoint_and_mode_switch() {
    // xchg bx,bx / mov eax,cr0 / or al,1 / mov cr0,eax / hlt
    let code = [
        0x87, 0xDB, 0x0F, 0x20, 0xC0, 0x0C, 0x01, 0x0F, 0x22, 0xC0, 0xF4,
    ];
    let mut m = machine_with(&code);
    assert_eq!(
        m.run(100),
        Stop::HaltedInterruptsOff,
        "off by default: xchg bx,bx is a no-op"
    );
    let mut m = machine_with(&code);
    m.cpu_mut().set_magic_breakpoint(true);
    m.cpu_mut().catch_mode_switches(true);
    assert_eq!(m.run(100), Stop::Debug(DebugStop::Magic));
    match m.run(100) {
        Stop::Debug(DebugStop::ModeSwitch { from, to }) => {
            assert!(!from.protected && to.protected);
        }
        other => panic!("expected a mode switch, got {other:?}"),
    }
}

#[test]
fn instruction_limit_is_exact_with_and_without_breakpoints() {
    let spin = [0xEB, 0xFE]; // jmp $
    let mut a = machine_with(&spin);
    assert_eq!(a.run(12_345), Stop::InstructionLimit);
    assert_eq!(a.instruction_count(), 12_345);
    let mut b = machine_with(&spin);
    b.cpu_mut().add_breakpoint(Breakpoint::Linear(0x1234_5678));
    assert_eq!(b.run(12_345), Stop::InstructionLimit);
    assert_eq!(b.instruction_count(), 12_345);
}
