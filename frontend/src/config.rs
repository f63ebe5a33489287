//! From command-line arguments to a machine configuration.

use std::fs::File;
use std::path::{Path, PathBuf};

use oxbox_machine::{guess_kind, BootDevice, Config, DiskImage, MediaKind, Output};

use crate::cli::Args;

/// Where Debian's packages put the firmware, in order of preference.
const BIOS_PATHS: &[&str] = &[
    "/usr/share/seabios/bios.bin",
    "/usr/share/bochs/BIOS-bochs-latest",
];
const VGA_BIOS_PATHS: &[&str] = &[
    "/usr/share/seabios/vgabios-stdvga.bin",
    "/usr/share/vgabios/vgabios.stdvga.bin",
];

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

/// Whether any disk image was given.
pub fn has_disks(args: &Args) -> bool {
    args.image.is_some()
        || args.fda.is_some()
        || args.fdb.is_some()
        || args.hda.is_some()
        || args.hdb.is_some()
        || args.hdc.is_some()
        || args.hdd.is_some()
        || args.cdrom.is_some()
}

/// A short name for the window title.
pub fn guest_name(args: &Args) -> String {
    [
        &args.image,
        &args.fda,
        &args.hda,
        &args.cdrom,
        &args.kernel,
        &args.rom,
        &args.bios,
    ]
    .into_iter()
    .flatten()
    .next()
    .and_then(|p| p.file_name())
    .map(|n| n.to_string_lossy().into_owned())
    .unwrap_or_else(|| "oxbox".into())
}

/// Builds the configuration; `None` means "no guest given: run the suite".
pub fn build(args: &Args) -> Result<Option<Config>, Box<dyn std::error::Error>> {
    if args.initrd.is_some() && args.kernel.is_none() {
        return Err(
            "--initrd needs --kernel (an initrd goes with a directly booted kernel)".into(),
        );
    }
    let disks = has_disks(args);
    let rom = match (args.rom.as_ref().or(args.bios.as_ref()), &args.kernel) {
        (Some(path), _) => oxbox_machine::load_rom(path)?,
        (None, Some(_)) => Vec::new(),
        (None, None) if disks => oxbox_machine::load_rom(&system_bios(args)?)?,
        (None, None) => return Ok(None),
    };
    let mut config = Config::new(rom);
    attach(args, &mut config)?;
    let firmware = args.bios.is_some() || (disks && args.rom.is_none());
    let vga = args
        .vga_bios
        .clone()
        .or_else(|| if firmware { find(VGA_BIOS_PATHS) } else { None });
    if let Some(path) = vga {
        config.vga_rom = oxbox_machine::load_vga_rom(&path)?;
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

/// `stdout` (or QEMU's `stdio`), `stderr`, `none` or a file name.
pub fn open_output(sink: &str) -> Result<Option<Output>, String> {
    Ok(match sink {
        "stdout" | "stdio" => Some(Output::Stdout),
        "stderr" => Some(Output::Stderr),
        "none" => None,
        path => Some(Output::File(File::create(path).map_err(|e| {
            format!("cannot create {path}: {e}; give a writable file name, stdout, stderr or none")
        })?)),
    })
}

fn image(path: &Path, kind: MediaKind, args: &Args) -> DiskImage {
    DiskImage {
        path: path.to_path_buf(),
        kind,
        snapshot: args.snapshot,
        // The machine keeps writes to a file it cannot write in memory;
        // with `refuse`, such an image is read-only to the guest instead.
        read_only: args.read_only_images == "refuse" && !args.snapshot && !writable(path),
    }
}

/// Whether the host lets us write `path` (an existing file). Opening for
/// writing neither truncates nor changes it.
fn writable(path: &Path) -> bool {
    match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(_) => true,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
        ),
    }
}

/// Puts the disk images in their drives and sets the boot order.
fn attach(args: &Args, config: &mut Config) -> Result<(), String> {
    let mut positional = None;
    if let Some(p) = &args.image {
        let len = std::fs::metadata(p)
            .map_err(|e| format!("cannot open {}: {e}; check the path", p.display()))?
            .len();
        positional = Some((p.clone(), guess_kind(p, len)));
    }
    let mut fda = args.fda.clone();
    let mut hda = args.hda.clone();
    let mut cdrom = args.cdrom.clone();
    let mut first = None;
    if let Some((p, kind)) = positional {
        let slot = match kind {
            MediaKind::Floppy => &mut fda,
            MediaKind::HardDisk => &mut hda,
            MediaKind::CdRom => &mut cdrom,
        };
        if slot.is_some() {
            return Err(format!(
                "{} would go in a drive that already has an image; use --fda/--hda/--cdrom",
                p.display()
            ));
        }
        *slot = Some(p);
        first = Some(kind);
    }
    if let Some(p) = &fda {
        config.floppies[0] = Some(image(p, MediaKind::Floppy, args));
    }
    if let Some(p) = &args.fdb {
        config.floppies[1] = Some(image(p, MediaKind::Floppy, args));
    }
    if let Some(p) = &hda {
        config.ide[0] = Some(image(p, MediaKind::HardDisk, args));
    }
    if let Some(p) = &args.hdb {
        config.ide[1] = Some(image(p, MediaKind::HardDisk, args));
    }
    if let Some(p) = &args.hdc {
        config.ide[2] = Some(image(p, MediaKind::HardDisk, args));
    }
    if let Some(p) = &args.hdd {
        config.ide[3] = Some(image(p, MediaKind::HardDisk, args));
    }
    if let Some(p) = &cdrom {
        if config.ide[2].is_some() {
            return Err("the CD-ROM and --hdc both want the secondary master".into());
        }
        config.ide[2] = Some(image(p, MediaKind::CdRom, args));
    }
    let letters = match (&args.boot, first) {
        (Some(b), _) => b.clone(),
        (None, Some(MediaKind::Floppy)) => "ac".into(),
        (None, Some(MediaKind::CdRom)) => "dc".into(),
        (None, _) if hda.is_some() => "ca".into(),
        (None, _) if cdrom.is_some() => "dc".into(),
        (None, _) => "ac".into(),
    };
    config.boot_order = letters
        .chars()
        .map(|c| match c {
            'a' => BootDevice::Floppy(0),
            'd' => BootDevice::Ide {
                channel: 1,
                slave: false,
            },
            _ => BootDevice::Ide {
                channel: 0,
                slave: false,
            },
        })
        .collect();
    Ok(())
}
