//! Traces the first N instructions of a BIOS boot with disassembly.
//!
//! ```sh
//! cargo run --release -p oxbox-machine --example trace_bios -- /usr/share/seabios/bios.bin 40
//! ```

use oxbox_machine::cpu::SegReg;
use oxbox_machine::{Config, Machine, Stop, Syntax};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bios = args
        .next()
        .unwrap_or_else(|| "/usr/share/seabios/bios.bin".into());
    let count: u64 = args.next().map(|n| n.parse()).transpose()?.unwrap_or(40);
    let mut m = Machine::new(Config::new(oxbox_machine::load_rom(bios.as_ref())?))?;
    for _ in 0..count {
        let cs = m.cpu().segment(SegReg::Cs);
        let eip = m.cpu().eip();
        let linear = cs.base.wrapping_add(eip);
        let text = m
            .disassemble(linear, 1, Syntax::Nasm)
            .first()
            .map(|d| {
                format!(
                    "{:<24} {}",
                    d.bytes
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>(),
                    d.text
                )
            })
            .unwrap_or_else(|| "(unmapped)".into());
        println!(
            "{:>6} {:04x}:{:08x}  {text}",
            m.instruction_count(),
            cs.selector,
            eip
        );
        match m.step() {
            Stop::InstructionLimit => {}
            other => {
                println!("stopped: {other}");
                break;
            }
        }
    }
    Ok(())
}
