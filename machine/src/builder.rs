//! [`MachineBuilder`]: a machine described step by step, checked once in
//! [`MachineBuilder::build`].

use std::path::{Path, PathBuf};

use crate::{load_rom, BootDevice, Config, DateTime, DiskImage, Error, LinuxBoot, Machine, Output};

/// Builds a [`Machine`]. Every setter is infallible; files are read and
/// every setting is checked in [`MachineBuilder::build`], which returns the
/// first problem as an [`Error`] (a missing file, a bad size, a drive that
/// does not exist, a kernel and an initrd without each other).
///
/// ```
/// use oxbox_machine::{MachineBuilder, Output, Stop};
/// // A ROM whose reset vector (F000:FFF0) holds `mov al,0x41; out 0xe9,al; hlt`.
/// let mut rom = vec![0xF4u8; 0x10000];
/// rom[0xFFF0..0xFFF5].copy_from_slice(&[0xB0, 0x41, 0xE6, 0xE9, 0xF4]);
/// let mut m = MachineBuilder::new()
///     .memory_mib(4)
///     .rom(rom)
///     .pci(false)
///     .debug_console(0xE9, Output::Capture)
///     .build()?;
/// assert_eq!(m.run(1000), Stop::HaltedInterruptsOff);
/// assert_eq!(m.captured(0xE9), b"A");
/// assert_eq!(m.instruction_count(), 3);
/// # Ok::<(), oxbox_machine::Error>(())
/// ```
pub struct MachineBuilder {
    config: Config,
    rom_file: Option<PathBuf>,
    vga_bios_file: Option<PathBuf>,
    kernel: Option<PathBuf>,
    initrd: Option<PathBuf>,
    cmdline: String,
    error: Option<Error>,
}

impl Default for MachineBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl MachineBuilder {
    /// 16 MiB of RAM, the PCI chipset, the debug-exit port at F4h, A20 on,
    /// 100 M instructions per virtual second, no firmware yet.
    pub fn new() -> Self {
        MachineBuilder {
            config: Config::new(Vec::new()),
            rom_file: None,
            vga_bios_file: None,
            kernel: None,
            initrd: None,
            cmdline: String::new(),
            error: None,
        }
    }

    /// Starts from an existing [`Config`].
    pub fn from_config(config: Config) -> Self {
        MachineBuilder {
            config,
            ..Self::new()
        }
    }

    fn fail(mut self, e: Error) -> Self {
        self.error.get_or_insert(e);
        self
    }

    /// RAM in bytes (1 MiB to 3 GiB, rounded up to 4 KiB).
    pub fn memory(mut self, bytes: usize) -> Self {
        self.config.ram_size = bytes;
        self
    }

    /// RAM in MiB.
    pub fn memory_mib(self, mib: usize) -> Self {
        self.memory(mib.saturating_mul(1 << 20))
    }

    /// The system firmware image, mapped to end at 0xFFFFF and 0xFFFFFFFF
    /// (padded at the front to whole pages).
    pub fn rom(mut self, image: Vec<u8>) -> Self {
        self.config.rom = image;
        self.rom_file = None;
        self
    }

    /// The system firmware, read from a file at build time.
    pub fn rom_file(mut self, path: impl AsRef<Path>) -> Self {
        self.rom_file = Some(path.as_ref().into());
        self
    }

    /// The VGA BIOS, offered as the VGA's PCI expansion ROM.
    pub fn vga_bios(mut self, image: Vec<u8>) -> Self {
        self.config.vga_rom = image;
        self.vga_bios_file = None;
        self
    }

    /// The VGA BIOS, read from a file at build time.
    pub fn vga_bios_file(mut self, path: impl AsRef<Path>) -> Self {
        self.vga_bios_file = Some(path.as_ref().into());
        self
    }

    /// A floppy image in drive 0 (A:) or 1 (B:).
    pub fn floppy(mut self, drive: usize, image: DiskImage) -> Self {
        match self.config.floppies.get_mut(drive) {
            Some(slot) => {
                *slot = Some(image);
                self
            }
            None => self.fail(Error::BadConfig(format!(
                "floppy drive {drive} does not exist (0 or 1)"
            ))),
        }
    }

    /// An IDE disk or CD-ROM: 0 primary master, 1 primary slave, 2
    /// secondary master, 3 secondary slave.
    pub fn ide(mut self, position: usize, image: DiskImage) -> Self {
        match self.config.ide.get_mut(position) {
            Some(slot) => {
                *slot = Some(image);
                self
            }
            None => self.fail(Error::BadConfig(format!(
                "IDE position {position} does not exist (0 to 3)"
            ))),
        }
    }

    /// The firmware's boot order.
    pub fn boot_order(mut self, order: Vec<BootDevice>) -> Self {
        self.config.boot_order = order;
        self
    }

    /// Boots a Linux kernel (bzImage) directly through its 32-bit entry
    /// instead of through firmware.
    pub fn kernel(mut self, path: impl AsRef<Path>) -> Self {
        self.kernel = Some(path.as_ref().into());
        self
    }

    /// An initrd for [`MachineBuilder::kernel`].
    pub fn initrd(mut self, path: impl AsRef<Path>) -> Self {
        self.initrd = Some(path.as_ref().into());
        self
    }

    /// The kernel command line for [`MachineBuilder::kernel`].
    pub fn cmdline(mut self, cmdline: impl Into<String>) -> Self {
        self.cmdline = cmdline.into();
        self
    }

    /// Where serial port `com` (0 = COM1 ... 3 = COM4) sends its output.
    pub fn serial(mut self, com: usize, sink: Output) -> Self {
        if com > 3 {
            return self.fail(Error::BadConfig(format!(
                "serial port {com} does not exist (0 = COM1 to 3 = COM4)"
            )));
        }
        self.config.serial.retain(|(c, _)| *c != com);
        self.config.serial.push((com, sink));
        self
    }

    /// A Bochs/QEMU-style debug console on `port` (E9h is the usual one).
    pub fn debug_console(mut self, port: u16, sink: Output) -> Self {
        self.config.consoles.retain(|(p, _)| *p != port);
        self.config.consoles.push((port, sink));
        self
    }

    /// The isa-debug-exit port, or none.
    pub fn debug_exit(mut self, port: Option<u16>) -> Self {
        self.config.debug_exit_port = port;
        self
    }

    /// Emulate the i440FX/PIIX3 chipset (real BIOSes need it).
    pub fn pci(mut self, on: bool) -> Self {
        self.config.pci = on;
        self
    }

    /// The A20 gate at power-on.
    pub fn a20(mut self, on: bool) -> Self {
        self.config.a20 = on;
        self
    }

    /// Guest instructions per virtual second (1 to 10^9).
    pub fn instructions_per_second(mut self, ips: u64) -> Self {
        self.config.ips = ips;
        self
    }

    /// The RTC's date and time at power-on.
    pub fn rtc_start(mut self, at: DateTime) -> Self {
        self.config.rtc_start = at;
        self
    }

    /// Reads the files and checks the settings, giving the [`Config`]
    /// [`Machine::new`] takes.
    pub fn into_config(mut self) -> Result<Config, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if let Some(p) = &self.rom_file {
            self.config.rom = load_rom(p)?;
        }
        if let Some(p) = &self.vga_bios_file {
            self.config.vga_rom = std::fs::read(p).map_err(|source| Error::Io {
                path: p.clone(),
                source,
            })?;
        }
        match self.kernel {
            Some(kernel) => {
                self.config.linux = Some(LinuxBoot {
                    kernel,
                    initrd: self.initrd,
                    cmdline: self.cmdline,
                })
            }
            None if self.initrd.is_some() || !self.cmdline.is_empty() => {
                return Err(Error::BadConfig(
                    "an initrd or a kernel command line needs a kernel".into(),
                ))
            }
            None => {}
        }
        if self.config.rom.is_empty() && self.config.linux.is_none() {
            return Err(Error::BadConfig(
                "no firmware: give a ROM image or a kernel to boot".into(),
            ));
        }
        Ok(self.config)
    }

    /// Builds the machine.
    pub fn build(self) -> Result<Machine, Error> {
        Machine::new(self.into_config()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(b: MachineBuilder) -> String {
        match b.build() {
            Ok(_) => panic!("built a machine from a bad description"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bad_descriptions_are_errors_not_panics() {
        let rom = || vec![0xF4u8; 4096];
        assert!(err(MachineBuilder::new()).contains("no firmware"));
        assert!(err(MachineBuilder::new().rom(rom()).memory(4096)).contains("RAM size"));
        assert!(err(MachineBuilder::new().rom(rom()).memory_mib(usize::MAX)).contains("RAM size"));
        assert!(err(MachineBuilder::new().rom(vec![0; 300 << 10])).contains("ROM image"));
        assert!(
            err(MachineBuilder::new().rom_file("/nonexistent/bios.bin")).contains("cannot open")
        );
        let img = DiskImage {
            path: "/nonexistent/disk.img".into(),
            kind: crate::MediaKind::HardDisk,
            snapshot: true,
            read_only: false,
        };
        assert!(
            err(MachineBuilder::new().rom(rom()).ide(4, img.clone())).contains("IDE position 4")
        );
        assert!(
            err(MachineBuilder::new().rom(rom()).floppy(2, img.clone())).contains("floppy drive 2")
        );
        assert!(err(MachineBuilder::new().rom(rom()).ide(0, img)).contains("/nonexistent/disk.img"));
        assert!(
            err(MachineBuilder::new().rom(rom()).serial(4, Output::Capture))
                .contains("serial port 4")
        );
        assert!(err(MachineBuilder::new().rom(rom()).initrd("/x")).contains("needs a kernel"));
        assert!(
            err(MachineBuilder::new().rom(rom()).instructions_per_second(0))
                .contains("instructions per second")
        );
    }
}
