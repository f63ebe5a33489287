//! Direct Linux boot: the x86 boot protocol's 32-bit entry, with no BIOS.
//!
//! The protected-mode kernel goes to 1 MiB, the initrd near the top of low
//! RAM, the zero page (boot_params) with an e820 map at `ZERO_PAGE`, the
//! command line after it, and a flat GDT below that. The CPU starts in
//! protected mode at the kernel's 32-bit entry with ESI pointing at the
//! zero page, as the boot protocol specifies.

use std::path::{Path, PathBuf};

use crate::hostfile;

use oxbox_cpu::{Bus, Cpu, SegReg, Segment};

use crate::{Error, PcBus};

const GDT_ADDR: u32 = 0x1000;
const ZERO_PAGE: u32 = 0x7000;
const CMDLINE_ADDR: u32 = 0x2_0000;
const CMDLINE_MAX: usize = 2047;
const KERNEL_ADDR: u32 = 0x10_0000;

/// Setup header fields (offsets into the bzImage and the zero page).
const HDR_SETUP_SECTS: usize = 0x1F1;
const HDR_BOOT_FLAG: usize = 0x1FE;
const HDR_MAGIC: usize = 0x202;
const HDR_VERSION: usize = 0x206;
const HDR_TYPE_OF_LOADER: usize = 0x210;
const HDR_LOADFLAGS: usize = 0x211;
const HDR_RAMDISK_IMAGE: usize = 0x218;
const HDR_RAMDISK_SIZE: usize = 0x21C;
const HDR_HEAP_END_PTR: usize = 0x224;
const HDR_CMD_LINE_PTR: usize = 0x228;
const HDR_INITRD_ADDR_MAX: usize = 0x22C;
const HDR_CMDLINE_SIZE: usize = 0x238;
/// boot_params fields outside the setup header.
const BP_ORIG_VIDEO_COLS: usize = 0x07;
const BP_ORIG_VIDEO_MODE: usize = 0x06;
const BP_ORIG_VIDEO_LINES: usize = 0x0E;
const BP_ORIG_VIDEO_IS_VGA: usize = 0x0F;
const BP_ORIG_VIDEO_POINTS: usize = 0x10;
const BP_E820_ENTRIES: usize = 0x1E8;
const BP_E820_TABLE: usize = 0x2D0;

const LOADFLAG_LOADED_HIGH: u8 = 0b0000_0001;
const LOADFLAG_CAN_USE_HEAP: u8 = 0b1000_0000;

const E820_RAM: u32 = 1;
const E820_RESERVED: u32 = 2;

/// What to boot with `--kernel`: a Linux bzImage or a Multiboot kernel
/// (for Multiboot, `initrd` is a comma-separated module list).
#[derive(Clone, Debug)]
pub struct LinuxBoot {
    pub kernel: PathBuf,
    pub initrd: Option<PathBuf>,
    pub cmdline: String,
}

fn bad(path: &Path, why: &str) -> Error {
    Error::BadConfig(format!("{}: {why}", path.display()))
}

fn put(mem: &mut [u8], addr: u32, bytes: &[u8]) -> Result<(), Error> {
    let a = addr as usize;
    let dst = mem.get_mut(a..a + bytes.len()).ok_or_else(|| {
        Error::BadConfig(format!(
            "{} bytes at {addr:#x} do not fit in RAM",
            bytes.len()
        ))
    })?;
    dst.copy_from_slice(bytes);
    Ok(())
}

fn le16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}

fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

/// Loads kernel, initrd and boot parameters into RAM and sets up the CPU.
pub fn load(boot: &LinuxBoot, cpu: &mut Cpu<PcBus>, bus: &mut PcBus) -> Result<(), Error> {
    // Nothing larger than RAM can be loaded: refuse it before reading it.
    let ram = bus.mem.ram_size;
    let image = hostfile::read(&boot.kernel, "kernel", ram as u64)?;
    let k = &boot.kernel;
    let linux = image.len() >= 0x1000
        && le16(&image, HDR_BOOT_FLAG) == 0xAA55
        && &image[HDR_MAGIC..HDR_MAGIC + 4] == b"HdrS";
    if !linux {
        if let Some(hdr) = crate::multiboot::find_header(&image) {
            return crate::multiboot::load(boot, &image, hdr, cpu, bus);
        }
        return Err(bad(
            k,
            "neither a Linux bzImage (no HdrS header) nor a Multiboot kernel",
        ));
    }
    let version = le16(&image, HDR_VERSION);
    if version < 0x0204 {
        return Err(bad(
            k,
            &format!(
                "boot protocol {}.{:02} is too old (need 2.04+)",
                version >> 8,
                version & 0xFF
            ),
        ));
    }
    if image[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH == 0 {
        return Err(bad(
            k,
            "not a bzImage (zImage kernels load low and are not supported)",
        ));
    }
    let setup_sects = match image[HDR_SETUP_SECTS] {
        0 => 4,
        n => n as usize,
    };
    let pm_offset = (setup_sects + 1) * 512;
    if pm_offset >= image.len() {
        return Err(bad(
            k,
            "truncated: no protected-mode kernel after the setup code",
        ));
    }
    let mem = &mut bus.mem.bytes[..ram];
    put(mem, KERNEL_ADDR, &image[pm_offset..])?;

    // The zero page starts as a copy of the setup header.
    let mut zp = vec![0u8; 4096];
    let hdr_end = (0x202 + image[0x201] as usize).min(image.len()).min(0x1000);
    zp[HDR_SETUP_SECTS..hdr_end].copy_from_slice(&image[HDR_SETUP_SECTS..hdr_end]);
    zp[HDR_TYPE_OF_LOADER] = 0xFF;
    zp[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
    zp[HDR_HEAP_END_PTR..HDR_HEAP_END_PTR + 2].copy_from_slice(&0xFE00u16.to_le_bytes());
    // An 80x25 VGA text console.
    zp[BP_ORIG_VIDEO_MODE] = 3;
    zp[BP_ORIG_VIDEO_COLS] = 80;
    zp[BP_ORIG_VIDEO_LINES] = 25;
    zp[BP_ORIG_VIDEO_IS_VGA] = 1;
    zp[BP_ORIG_VIDEO_POINTS] = 16;

    let max_cmdline = if version >= 0x0206 {
        (le32(&image, HDR_CMDLINE_SIZE) as usize).min(CMDLINE_MAX)
    } else {
        255
    };
    if boot.cmdline.len() > max_cmdline {
        return Err(Error::BadConfig(format!(
            "kernel command line is {} bytes; this kernel takes at most {max_cmdline}",
            boot.cmdline.len()
        )));
    }
    let mut cmd = boot.cmdline.as_bytes().to_vec();
    cmd.push(0);
    put(mem, CMDLINE_ADDR, &cmd)?;
    zp[HDR_CMD_LINE_PTR..HDR_CMD_LINE_PTR + 4].copy_from_slice(&CMDLINE_ADDR.to_le_bytes());

    if let Some(path) = &boot.initrd {
        let initrd = hostfile::read(path, "initrd", ram as u64)?;
        let max = le32(&image, HDR_INITRD_ADDR_MAX).min(ram as u32 - 1);
        let top = ((max as u64 + 1).min(ram as u64) as u32) & !0xFFF;
        let addr = top.checked_sub(initrd.len() as u32).map(|a| a & !0xFFF);
        let kernel_end = KERNEL_ADDR + (image.len() - pm_offset) as u32;
        match addr {
            Some(a) if a >= kernel_end => {
                put(mem, a, &initrd)?;
                zp[HDR_RAMDISK_IMAGE..HDR_RAMDISK_IMAGE + 4].copy_from_slice(&a.to_le_bytes());
                zp[HDR_RAMDISK_SIZE..HDR_RAMDISK_SIZE + 4]
                    .copy_from_slice(&(initrd.len() as u32).to_le_bytes());
            }
            _ => {
                return Err(bad(
                    path,
                    "initrd does not fit in RAM above the kernel; give more memory with -m",
                ))
            }
        }
    }

    let e820: [(u64, u64, u32); 4] = [
        (0, 0x9_FC00, E820_RAM),
        (0x9_FC00, 0x400, E820_RESERVED),
        (0xF_0000, 0x1_0000, E820_RESERVED),
        (
            KERNEL_ADDR as u64,
            ram as u64 - KERNEL_ADDR as u64,
            E820_RAM,
        ),
    ];
    zp[BP_E820_ENTRIES] = e820.len() as u8;
    for (i, (addr, len, typ)) in e820.iter().enumerate() {
        let o = BP_E820_TABLE + 20 * i;
        zp[o..o + 8].copy_from_slice(&addr.to_le_bytes());
        zp[o + 8..o + 16].copy_from_slice(&len.to_le_bytes());
        zp[o + 16..o + 20].copy_from_slice(&typ.to_le_bytes());
    }
    put(mem, ZERO_PAGE, &zp)?;

    // GDT: null, null, flat code at 0x10, flat data at 0x18 (the boot
    // protocol's __BOOT_CS/__BOOT_DS).
    let gdt: [u64; 4] = [0, 0, 0x00CF_9B00_0000_FFFF, 0x00CF_9300_0000_FFFF];
    for (i, d) in gdt.iter().enumerate() {
        put(mem, GDT_ADDR + 8 * i as u32, &d.to_le_bytes())?;
    }
    // What the firmware would have done for the disks: turn on the PIIX3's
    // legacy IDE decode (IDETIM bit 15 of both channels), which ata_piix
    // checks before it probes a port. The power-on value is 0000h.
    if let Some(f) = bus.pci.function_mut(oxbox_devices::pci::IDE_DEVFN) {
        f.write(oxbox_devices::pci::PIIX_IDE_IDETIM, 2, 0x8000);
        f.write(oxbox_devices::pci::PIIX_IDE_IDETIM + 2, 2, 0x8000);
    }
    let _ = bus.memory();
    cpu.flush_code_cache();
    cpu.enter_protected_flat(GDT_ADDR, (gdt.len() * 8 - 1) as u16, 0x10, 0x18);
    cpu.set_segment(
        SegReg::Cs,
        Segment {
            selector: 0x10,
            base: 0,
            limit: u32::MAX,
            attr: 0xC09B,
        },
    );
    cpu.set_eip(KERNEL_ADDR);
    cpu.set_gpr(6, ZERO_PAGE);
    for r in [0, 1, 2, 3, 5, 7] {
        cpu.set_gpr(r, 0);
    }
    cpu.set_gpr(4, ZERO_PAGE);
    Ok(())
}
