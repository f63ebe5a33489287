//! Stops when the guest writes a memory range, then dumps the registers,
//! the stack and the chain of saved frame pointers.
//!
//! ```sh
//! cargo run --release -p oxbox-machine --example watch_stack -- \
//!     ../shared/guests/freedos-1.44m-com1.img 0x7c00 512
//! ```
//! (boots the floppy through SeaBIOS and stops when the boot sector is loaded)

use oxbox_machine::cpu::{Access, DebugStop, SegReg};
use oxbox_machine::{BootDevice, Config, DiskImage, Machine, MediaKind, Stop, Syntax};

fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let image = args
        .first()
        .cloned()
        .unwrap_or_else(|| "../shared/guests/freedos-1.44m-com1.img".into());
    let start = args.get(1).map(|s| parse(s)).transpose()?.unwrap_or(0x7C00);
    let len = args.get(2).map(|s| parse(s)).transpose()?.unwrap_or(512);
    let mut config = Config::new(oxbox_machine::load_rom(
        "/usr/share/seabios/bios.bin".as_ref(),
    )?);
    config.vga_rom = std::fs::read("/usr/share/seabios/vgabios-stdvga.bin")?;
    config.floppies[0] = Some(DiskImage {
        path: image.into(),
        kind: MediaKind::Floppy,
        snapshot: true,
        read_only: false,
    });
    config.boot_order = vec![BootDevice::Floppy(0)];
    let mut m = Machine::new(config)?;
    m.cpu_mut().add_watchpoint(start, len, Access::Write);
    loop {
        match m.run(100_000_000) {
            Stop::Debug(DebugStop::Watchpoint { linear, .. }) => {
                println!(
                    "write to {linear:#010x} after {} instructions",
                    m.instruction_count()
                );
                break;
            }
            Stop::InstructionLimit | Stop::Yield => continue,
            other => {
                println!("run ended without a hit: {other}");
                return Ok(());
            }
        }
    }
    let cpu = m.cpu();
    let names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
    for (i, n) in names.iter().enumerate() {
        print!("{n}={:08x} ", cpu.gpr(i));
    }
    let (cs, ss) = (cpu.segment(SegReg::Cs), cpu.segment(SegReg::Ss));
    println!(
        "\ncs:eip={:04x}:{:08x} ss={:04x} eflags={:08x}",
        cs.selector,
        cpu.eip(),
        ss.selector,
        cpu.eflags()
    );
    let at = cs.base.wrapping_add(cpu.eip());
    for d in m.disassemble(at, 3, Syntax::Intel) {
        println!("  {:08x}  {}", d.address, d.text);
    }
    let stack32 = ss.attr & (1 << 14) != 0;
    let (esp, mut ebp) = (m.cpu().gpr(4), m.cpu().gpr(5));
    let width = if stack32 { 4 } else { 2 };
    println!("stack:");
    for i in 0..8u32 {
        let a = ss.base.wrapping_add(esp.wrapping_add(i * width));
        let mut b = [0u8; 4];
        if m.read_linear(a, &mut b[..width as usize]).is_ok() {
            println!("  {a:08x}: {:08x}", u32::from_le_bytes(b));
        }
    }
    println!("frame chain (saved bp, return address):");
    for _ in 0..8 {
        let a = ss.base.wrapping_add(ebp);
        let mut b = [0u8; 8];
        if ebp == 0 || m.read_linear(a, &mut b[..2 * width as usize]).is_err() {
            break;
        }
        let (saved, ret) = if stack32 {
            (
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            )
        } else {
            (
                u16::from_le_bytes([b[0], b[1]]) as u32,
                u16::from_le_bytes([b[2], b[3]]) as u32,
            )
        };
        println!("  bp={ebp:08x} -> return {ret:08x}");
        if saved <= ebp {
            break;
        }
        ebp = saved;
    }
    Ok(())
}
