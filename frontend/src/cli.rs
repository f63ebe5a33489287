//! Command-line arguments.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use clap::Parser;

/// Exit status for a problem on the host side (bad file, bad flag).
pub const EXIT_HOST_ERROR: u8 = 2;
/// Exit status when the CPU halted for good (interrupts off, or nothing
/// left that could wake it): the guest can never continue.
pub const EXIT_HALTED: u8 = 4;
/// Exit status when `--timeout` expired.
pub const EXIT_TIMEOUT: u8 = 124;
/// Exit status when `--max-instructions` was reached.
pub const EXIT_INSTRUCTION_LIMIT: u8 = 125;
/// Exit status after a triple fault.
pub const EXIT_TRIPLE_FAULT: u8 = 126;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "oxbox",
    version,
    about = "oxbox: an instruction-level x86 PC emulator",
    long_about = "oxbox: an instruction-level x86 PC emulator.\n\n\
        With no ROM given it runs its built-in CPU test-ROM suite and prints the results.",
    after_help = "Exit status: the guest's isa-debug-exit status ((v << 1) | 1) when it writes v to the \
        debug-exit port; 0 when the --until text appears; 2 for a host-side error; 4 when the CPU \
        halts for good (interrupts off, or nothing left to wake it); \
        124 on --timeout; 125 on --max-instructions; 126 on a triple fault; 130/143 when stopped by \
        SIGINT/SIGTERM (disk images are flushed first)."
)]
pub struct Args {
    /// Disk image to boot: a floppy, hard disk or CD-ROM image, guessed from
    /// its size and name (.iso is a CD).
    #[arg(value_name = "IMAGE")]
    pub image: Option<PathBuf>,

    /// Floppy image for drive A:.
    #[arg(long, value_name = "FILE")]
    pub fda: Option<PathBuf>,

    /// Floppy image for drive B:.
    #[arg(long, value_name = "FILE")]
    pub fdb: Option<PathBuf>,

    /// Hard disk image on the primary IDE master.
    #[arg(long, value_name = "FILE")]
    pub hda: Option<PathBuf>,

    /// Hard disk image on the primary IDE slave.
    #[arg(long, value_name = "FILE")]
    pub hdb: Option<PathBuf>,

    /// Hard disk image on the secondary IDE master.
    #[arg(long, value_name = "FILE", conflicts_with = "cdrom")]
    pub hdc: Option<PathBuf>,

    /// Hard disk image on the secondary IDE slave.
    #[arg(long, value_name = "FILE")]
    pub hdd: Option<PathBuf>,

    /// CD-ROM image (ISO) on the secondary IDE master.
    #[arg(long, value_name = "FILE")]
    pub cdrom: Option<PathBuf>,

    /// Boot order as drive letters, QEMU style: a floppy, c hard disk, d CD-ROM (e.g. "dc").
    #[arg(long, value_name = "ORDER", value_parser = parse_boot)]
    pub boot: Option<String>,

    /// Keep the guest's disk writes in memory; the image files stay unchanged.
    #[arg(long)]
    pub snapshot: bool,

    /// What happens to guest writes to an image file oxbox may not write
    /// (permissions, read-only file system): kept in memory and lost at exit
    /// (overlay), or refused, so the guest sees a write error (refuse).
    #[arg(long, value_name = "overlay|refuse", default_value = "overlay",
          value_parser = ["overlay", "refuse"])]
    pub read_only_images: String,

    /// Run without a window: serial and debug consoles on stdout, scriptable exit status.
    #[arg(long)]
    pub headless: bool,

    /// Pace guest time to host time (the default in the window). Headless runs
    /// use virtual time and are deterministic unless this is given.
    #[arg(long, overrides_with = "no_realtime")]
    pub realtime: bool,

    /// Run as fast as possible instead of pacing guest time to host time.
    #[arg(long, overrides_with = "realtime")]
    pub no_realtime: bool,

    /// Raw ROM image mapped to end at 0xFFFFF (and below 4 GiB); the CPU starts at F000:FFF0.
    #[arg(long, value_name = "FILE")]
    pub rom: Option<PathBuf>,

    /// System BIOS image (same mapping as --rom), e.g. /usr/share/seabios/bios.bin.
    #[arg(long, value_name = "FILE", conflicts_with = "rom")]
    pub bios: Option<PathBuf>,

    /// VGA BIOS image, offered as the VGA's PCI expansion ROM.
    #[arg(long, value_name = "FILE")]
    pub vga_bios: Option<PathBuf>,

    /// Kernel to boot directly, without firmware: a Linux bzImage or a Multiboot (v1) kernel.
    #[arg(long, value_name = "FILE")]
    pub kernel: Option<PathBuf>,

    /// Initial ramdisk for a Linux --kernel; for a Multiboot kernel, modules separated by commas.
    #[arg(long, value_name = "FILE")]
    pub initrd: Option<PathBuf>,

    /// Kernel command line for --kernel.
    #[arg(
        long,
        value_name = "CMDLINE",
        requires = "kernel",
        default_value = "console=ttyS0,115200"
    )]
    pub append: String,

    /// Stop as soon as this text appears on a serial port or debug console (exit status 0).
    #[arg(long, value_name = "TEXT")]
    pub until: Option<String>,

    /// Debug console: bytes written to PORT go to stdout, stderr or FILE. Repeatable.
    /// Defaults to 0xE9=stdout.
    #[arg(long, value_name = "PORT=stdout|stderr|FILE", value_parser = parse_debugcon)]
    pub debugcon: Vec<(u16, String)>,

    /// Where COM1's output goes: stdout, stderr, none or a file name.
    #[arg(long, value_name = "stdout|stderr|none|FILE", default_value = "stdout")]
    pub serial: String,

    /// Port of the QEMU-style isa-debug-exit device (writing v exits with (v << 1) | 1).
    #[arg(long, value_name = "PORT", default_value = "0xf4", value_parser = parse_port)]
    pub debug_exit: u16,

    /// Stop after this many seconds of host time.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,

    /// Stop after exactly this many guest instructions.
    #[arg(long, value_name = "N")]
    pub max_instructions: Option<u64>,

    /// Guest RAM in MiB.
    #[arg(short = 'm', long = "memory", value_name = "MiB", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=3072))]
    pub memory: u32,

    /// Start with the A20 gate disabled (addresses wrap at 1 MiB like an 8086).
    #[arg(long)]
    pub a20_off: bool,

    /// Write a PNG of the VGA screen here when the run ends.
    #[arg(long, value_name = "FILE")]
    pub screenshot: Option<PathBuf>,

    /// Print the VGA text screen on stdout when the run ends (text modes only).
    #[arg(long)]
    pub print_screen: bool,

    /// Print the instruction count and speed on stderr at the end.
    #[arg(long)]
    pub stats: bool,

    /// Wait for gdb ("target remote :PORT") on 127.0.0.1:PORT, or on HOST:PORT, and let it
    /// control the machine from the first instruction (implies --headless; port 0 picks a free
    /// port). When gdb detaches the guest runs on.
    #[arg(long, value_name = "[HOST:]PORT", value_parser = parse_gdb_addr)]
    pub gdb: Option<SocketAddr>,

    /// Write every executed instruction (address, bytes, disassembly) to FILE, or to stdout
    /// for "-" (implies --headless; slows the guest down a lot).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,

    /// With --trace: add the general registers and EFLAGS (as each instruction finds them).
    #[arg(long, requires = "trace")]
    pub trace_registers: bool,

    /// Write a snapshot file of the whole machine here when the run ends
    /// (implies --headless).
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,

    /// Start from a snapshot file taken with the same guest options
    /// (implies --headless; --max-instructions still counts from power-on).
    #[arg(long, value_name = "FILE")]
    pub load_snapshot: Option<PathBuf>,
}

impl Args {
    /// Whether the options ask for a headless run: outright, through a flag
    /// that only makes sense without a window, or by naming no guest that
    /// has a screen (a bare `--rom`, or nothing: the built-in ROM suite).
    pub fn runs_headless(&self) -> bool {
        let has_screen =
            crate::config::has_disks(self) || self.kernel.is_some() || self.bios.is_some();
        self.headless
            || self.gdb.is_some()
            || self.trace.is_some()
            || self.save_snapshot.is_some()
            || self.load_snapshot.is_some()
            || !has_screen
    }

    /// Whether guest time follows host time: on in the window, off headless
    /// (determinism), unless `--realtime` or `--no-realtime` says otherwise.
    pub fn realtime(&self) -> bool {
        if self.realtime {
            true
        } else if self.no_realtime {
            false
        } else {
            !self.runs_headless()
        }
    }
}

fn parse_boot(s: &str) -> Result<String, String> {
    if s.is_empty() || !s.chars().all(|c| matches!(c, 'a' | 'c' | 'd')) {
        return Err(format!(
            "'{s}': use the letters a (floppy), c (hard disk) and d (CD-ROM), e.g. \"ca\""
        ));
    }
    Ok(s.to_string())
}

pub fn parse_port(s: &str) -> Result<u16, String> {
    let t = s.trim();
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u16::from_str_radix(h, 16)
    } else if let Some(h) = t.strip_suffix('h').or_else(|| t.strip_suffix('H')) {
        u16::from_str_radix(h, 16)
    } else {
        t.parse::<u16>()
    };
    v.map_err(|_| format!("'{s}' is not a port number (use e.g. 0xe9, e9h or 233)"))
}

/// `--gdb`: a port (on the loopback interface), `:PORT`, or `HOST:PORT`.
fn parse_gdb_addr(s: &str) -> Result<SocketAddr, String> {
    let t = s.trim();
    let port = t.strip_prefix(':').unwrap_or(t);
    if let Ok(p) = port.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], p)));
    }
    let bad = || format!("'{s}' is not a port or HOST:PORT (e.g. 1234 or 127.0.0.1:1234)");
    t.to_socket_addrs()
        .map_err(|_| bad())?
        .next()
        .ok_or_else(bad)
}

fn parse_debugcon(s: &str) -> Result<(u16, String), String> {
    let (port, sink) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' should look like 0xe9=stdout"))?;
    if sink.is_empty() {
        return Err(format!(
            "'{s}': say where the output goes (stdout, stderr or a file name)"
        ));
    }
    Ok((parse_port(port)?, sink.to_string()))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    fn args(list: &[&str]) -> Args {
        let mut v = vec!["oxbox"];
        v.extend_from_slice(list);
        Args::try_parse_from(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn realtime_defaults_to_the_window_and_the_last_flag_wins() {
        assert!(args(&["--fda", "a.img"]).realtime());
        assert!(!args(&[]).realtime());
        assert!(!args(&["--rom", "x.rom"]).realtime());
        assert!(!args(&["--fda", "a.img", "--trace", "-"]).realtime());
        assert!(!args(&["--headless"]).realtime());
        assert!(args(&["--headless", "--realtime"]).realtime());
        assert!(!args(&["--realtime", "--no-realtime"]).realtime());
        assert!(args(&["--no-realtime", "--realtime"]).realtime());
    }

    use super::*;

    #[test]
    fn ports_parse_in_the_usual_spellings() {
        assert_eq!(parse_port("0xe9"), Ok(0xE9));
        assert_eq!(parse_port("e9h"), Ok(0xE9));
        assert_eq!(parse_port("233"), Ok(233));
        assert!(parse_port("zz").is_err());
        assert!(parse_port("0x10000").is_err());
        assert_eq!(
            parse_debugcon("0x402=out.txt"),
            Ok((0x402, "out.txt".into()))
        );
        assert!(parse_debugcon("0x402").is_err());
    }

    #[test]
    fn gdb_addresses_default_to_loopback() {
        assert_eq!(
            parse_gdb_addr("1234"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 1234)))
        );
        assert_eq!(
            parse_gdb_addr(":1234"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 1234)))
        );
        assert_eq!(
            parse_gdb_addr("0.0.0.0:99"),
            Ok(SocketAddr::from(([0, 0, 0, 0], 99)))
        );
        assert!(parse_gdb_addr("99999").is_err());
        assert!(parse_gdb_addr("nonsense").is_err());
    }
}
