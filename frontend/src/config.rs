//! From command-line arguments to a machine configuration.

use std::fs::File;
use std::path::{Path, PathBuf};

use oxbox_machine::{Config, Output};

use crate::cli::Args;

/// Where Debian's packages put the firmware, in order of preference.
const BIOS_PATHS: &[&str] = &["/usr/share/seabios/bios.bin", "/usr/share/bochs/BIOS-bochs-latest"];
const VGA_BIOS_PATHS: &[&str] = &["/usr/share/seabios/vgabios-stdvga.bin", "/usr/share/vgabios/vgabios.stdvga.bin"];

fn find(paths: &[&str]) -> Option<PathBuf> {
    paths.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// The firmware to boot disks with: `--bios`, else SeaBIOS or the Bochs BIOS
/// from their Debian packages.
pub fn system_bios(args: &Args) -> Result<PathBuf, String> {
    if let Some(p) = &args.bios {
        return Ok(p.clone());
    }
    find(BIOS_PATHS).ok_or_else(|| {
        "no BIOS found: install the seabios package (apt-get install seabios) or give one with --bios FILE".to_string()
    })
}

/// Builds the configuration; `None` means "no guest given: run the suite".
pub fn build(args: &Args) -> Result<Option<Config>, Box<dyn std::error::Error>> {
    let rom = match (args.rom.as_ref().or(args.bios.as_ref()), &args.kernel) {
        (Some(path), _) => oxbox_machine::load_rom(path)?,
        (None, Some(_)) => Vec::new(),
        (None, None) => return Ok(None),
    };
    let mut config = Config::new(rom);
    let vga = args.vga_bios.clone().or_else(|| args.bios.as_ref().and_then(|_| find(VGA_BIOS_PATHS)));
    if let Some(path) = vga {
        config.vga_rom = read(&path)?;
    }
    if let Some(kernel) = &args.kernel {
        config.linux = Some(oxbox_machine::LinuxBoot {
            kernel: kernel.clone(),
            initrd: args.initrd.clone(),
            cmdline: args.append.clone(),
        });
    }
    config.ram_size = args.memory as usize * 1024 * 1024;
    config.a20 = !args.a20_off;
    config.debug_exit_port = Some(args.debug_exit);
    if args.debugcon.is_empty() {
        config.consoles.push((0xE9, Output::Stdout));
    }
    if let Some(out) = open_output(&args.serial)? {
        config.serial.push((0, out));
    }
    for (port, sink) in &args.debugcon {
        if let Some(out) = open_output(sink)? {
            config.consoles.push((*port, out));
        }
    }
    Ok(Some(config))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// `stdout`, `stderr`, `none` or a file name.
pub fn open_output(sink: &str) -> Result<Option<Output>, String> {
    Ok(match sink {
        "stdout" => Some(Output::Stdout),
        "stderr" => Some(Output::Stderr),
        "none" => None,
        path => Some(Output::File(File::create(path).map_err(|e| format!("cannot create {path}: {e}"))?)),
    })
}
