//! Multiboot (version 1) kernels through `--kernel`, as QEMU boots them:
//! ELF32 images or the a.out kludge (header flag 16), modules from the
//! initrd list, and an information structure with the memory sizes, the
//! memory map, the command line and the boot loader's name.

use std::path::Path;

use oxbox_cpu::Cpu;

use crate::linux::LinuxBoot;
use crate::{Error, PcBus};

const MAGIC: u32 = 0x1BAD_B002;
/// EAX at entry.
const BOOTLOADER_MAGIC: u32 = 0x2BAD_B002;
/// The header must lie in the first 8 KiB, 4-byte aligned.
const SEARCH: usize = 8192;

const FLAG_PAGE_ALIGN: u32 = 1 << 0;
const FLAG_AOUT_KLUDGE: u32 = 1 << 16;
/// Header flags this loader understands in the low 16 bits.
const FLAGS_KNOWN: u32 = 0b111;

const INFO_MEM: u32 = 1 << 0;
const INFO_CMDLINE: u32 = 1 << 2;
const INFO_MODS: u32 = 1 << 3;
const INFO_MMAP: u32 = 1 << 6;
const INFO_LOADER_NAME: u32 = 1 << 9;

/// Where the loader puts its own data: the info structure, the module
/// list, the memory map and the strings, all below 640 KiB.
const INFO_ADDR: u32 = 0x9000;
const GDT_ADDR: u32 = 0x8000;

fn le32(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

fn le16(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
}

/// The offset of a valid Multiboot header in `image`, if there is one.
pub fn find_header(image: &[u8]) -> Option<usize> {
    (0..image.len().min(SEARCH).saturating_sub(11))
        .step_by(4)
        .find(|&o| {
            let (Some(m), Some(f), Some(c)) =
                (le32(image, o), le32(image, o + 4), le32(image, o + 8))
            else {
                return false;
            };
            m == MAGIC && m.wrapping_add(f).wrapping_add(c) == 0
        })
}

fn bad(path: &Path, why: &str) -> Error {
    Error::BadConfig(format!("{}: {why}", path.display()))
}

fn put(mem: &mut [u8], addr: u32, bytes: &[u8], what: &str) -> Result<(), Error> {
    let a = addr as usize;
    mem.get_mut(a..a + bytes.len())
        .ok_or_else(|| {
            Error::BadConfig(format!(
                "{what} ({} bytes at {addr:#x}) does not fit in RAM; give more with -m",
                bytes.len()
            ))
        })?
        .copy_from_slice(bytes);
    Ok(())
}

/// Zeroes `len` bytes at `addr` (a bss), without allocating: the length
/// comes from the file and may be anything.
fn zero(mem: &mut [u8], addr: u32, len: u32, what: &str) -> Result<(), Error> {
    let a = addr as usize;
    mem.get_mut(a..a + len as usize)
        .ok_or_else(|| {
            Error::BadConfig(format!(
                "{what} ({len} bytes at {addr:#x}) does not fit in RAM; give more with -m"
            ))
        })?
        .fill(0);
    Ok(())
}

/// Loads the kernel's segments; returns (entry point, end of the image).
fn load_image(image: &[u8], hdr: usize, mem: &mut [u8], path: &Path) -> Result<(u32, u32), Error> {
    let flags = le32(image, hdr + 4).unwrap_or(0);
    if flags & 0xFFFF & !FLAGS_KNOWN != 0 {
        return Err(bad(
            path,
            &format!("Multiboot header asks for unsupported features (flags {flags:#x})"),
        ));
    }
    if flags & FLAG_AOUT_KLUDGE != 0 {
        let f = |i: usize| {
            le32(image, hdr + 12 + 4 * i).ok_or_else(|| bad(path, "truncated Multiboot header"))
        };
        let (header_addr, load_addr, load_end, bss_end, entry) =
            (f(0)?, f(1)?, f(2)?, f(3)?, f(4)?);
        let file_start = (hdr as u32)
            .checked_sub(header_addr.wrapping_sub(load_addr))
            .ok_or_else(|| bad(path, "Multiboot load address lies after the header"))?
            as usize;
        let len = if load_end == 0 {
            image.len() - file_start
        } else {
            load_end.saturating_sub(load_addr) as usize
        };
        let bytes = image
            .get(file_start..file_start + len)
            .ok_or_else(|| bad(path, "Multiboot image is shorter than its header says"))?;
        put(mem, load_addr, bytes, "the kernel")?;
        let mut end = load_addr + len as u32;
        if bss_end > end {
            zero(mem, end, bss_end - end, "the kernel's bss")?;
            end = bss_end;
        }
        return Ok((entry, end));
    }
    // ELF32, i386, executable: load every PT_LOAD segment at its physical address.
    if image.get(..4) != Some(b"\x7fELF".as_slice())
        || image.get(4) != Some(&1)
        || le16(image, 18) != Some(3)
    {
        return Err(bad(
            path,
            "Multiboot kernel is neither a 32-bit i386 ELF nor uses the a.out kludge",
        ));
    }
    let entry = le32(image, 24).ok_or_else(|| bad(path, "truncated ELF header"))?;
    let phoff = le32(image, 28).unwrap_or(0) as usize;
    let phentsize = le16(image, 42).unwrap_or(0) as usize;
    let phnum = le16(image, 44).unwrap_or(0) as usize;
    let mut end = 0u32;
    for i in 0..phnum {
        let p = phoff + i * phentsize;
        let g =
            |o: usize| le32(image, p + o).ok_or_else(|| bad(path, "truncated ELF program header"));
        if g(0)? != 1 {
            continue;
        }
        let (off, paddr, filesz, memsz) = (g(4)? as usize, g(12)?, g(16)? as usize, g(20)?);
        let data = image
            .get(off..off + filesz)
            .ok_or_else(|| bad(path, "ELF segment lies outside the file"))?;
        put(mem, paddr, data, "an ELF segment")?;
        if memsz as usize > filesz {
            zero(
                mem,
                paddr + filesz as u32,
                memsz - filesz as u32,
                "an ELF segment's bss",
            )?;
        }
        end = end.max(paddr.saturating_add(memsz));
    }
    Ok((entry, end))
}

/// Boots a Multiboot kernel: `boot.initrd` may list modules separated by
/// commas (each may carry arguments after a space, as in QEMU).
pub fn load(
    boot: &LinuxBoot,
    image: &[u8],
    hdr: usize,
    cpu: &mut Cpu<PcBus>,
    bus: &mut PcBus,
) -> Result<(), Error> {
    let path = &boot.kernel;
    let flags = le32(image, hdr + 4).unwrap_or(0);
    let ram = bus.mem.ram_size;
    let mem = &mut bus.mem.bytes[..ram];
    let (entry, image_end) = load_image(image, hdr, mem, path)?;

    // Strings and tables go after the info structure, below 640 KiB.
    let mut scratch = INFO_ADDR + 0x100;
    let mut strings = |mem: &mut [u8], s: &str| -> Result<u32, Error> {
        let at = scratch;
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        put(mem, at, &b, "a boot string")?;
        scratch = (at + b.len() as u32 + 3) & !3;
        Ok(at)
    };
    let cmdline = strings(
        mem,
        format!("{} {}", path.display(), boot.cmdline).trim_end(),
    )?;
    let loader = strings(mem, "oxbox")?;

    // Modules, page aligned after the kernel.
    let mut mods = Vec::new();
    let mut next = (image_end + 0xFFF) & !0xFFF;
    if let Some(list) = &boot.initrd {
        for spec in list.to_string_lossy().split(',').filter(|s| !s.is_empty()) {
            let file = spec.split_whitespace().next().unwrap_or(spec);
            let data = crate::hostfile::read(file.as_ref(), "Multiboot module", ram as u64)?;
            let start = if flags & FLAG_PAGE_ALIGN != 0 {
                (next + 0xFFF) & !0xFFF
            } else {
                next
            };
            put(mem, start, &data, "a module")?;
            let name = strings(mem, spec)?;
            mods.push((start, start + data.len() as u32, name));
            next = start + data.len() as u32;
        }
    }
    let mods_addr = scratch;
    for (i, (s, e, n)) in mods.iter().enumerate() {
        let mut entry = [0u8; 16];
        entry[..4].copy_from_slice(&s.to_le_bytes());
        entry[4..8].copy_from_slice(&e.to_le_bytes());
        entry[8..12].copy_from_slice(&n.to_le_bytes());
        put(mem, mods_addr + 16 * i as u32, &entry, "the module list")?;
    }
    let mmap_addr = mods_addr + 16 * mods.len() as u32;
    let map: [(u64, u64, u32); 3] = [
        (0, 0x9_FC00, 1),
        (0x9_FC00, 0x400, 2),
        (0x10_0000, ram as u64 - 0x10_0000, 1),
    ];
    for (i, (base, len, kind)) in map.iter().enumerate() {
        let mut e = [0u8; 24];
        e[..4].copy_from_slice(&20u32.to_le_bytes());
        e[4..12].copy_from_slice(&base.to_le_bytes());
        e[12..20].copy_from_slice(&len.to_le_bytes());
        e[20..24].copy_from_slice(&kind.to_le_bytes());
        put(mem, mmap_addr + 24 * i as u32, &e, "the memory map")?;
    }

    let mut info = [0u8; 0x48];
    let mut w = |o: usize, v: u32| info[o..o + 4].copy_from_slice(&v.to_le_bytes());
    w(
        0,
        INFO_MEM | INFO_CMDLINE | INFO_MODS | INFO_MMAP | INFO_LOADER_NAME,
    );
    w(4, 639);
    w(8, (ram as u32 - 0x10_0000) / 1024);
    w(16, cmdline);
    w(20, mods.len() as u32);
    w(24, mods_addr);
    w(44, 24 * map.len() as u32);
    w(48, mmap_addr);
    w(64, loader);
    put(mem, INFO_ADDR, &info, "the Multiboot information")?;

    let gdt: [u64; 3] = [0, 0x00CF_9B00_0000_FFFF, 0x00CF_9300_0000_FFFF];
    for (i, d) in gdt.iter().enumerate() {
        put(mem, GDT_ADDR + 8 * i as u32, &d.to_le_bytes(), "the GDT")?;
    }
    cpu.flush_code_cache();
    cpu.enter_protected_flat(GDT_ADDR, (gdt.len() * 8 - 1) as u16, 0x08, 0x10);
    cpu.set_eip(entry);
    for r in 0..8 {
        cpu.set_gpr(r, 0);
    }
    cpu.set_gpr(0, BOOTLOADER_MAGIC);
    cpu.set_gpr(3, INFO_ADDR);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An a.out-kludge kernel of `len` bytes loaded at 1 MiB whose bss
    /// ends at `bss_end`.
    fn kludge(len: u32, bss_end: u32) -> Vec<u8> {
        let flags = FLAG_AOUT_KLUDGE;
        let mut k = vec![0x90u8; len as usize];
        let fields = [
            MAGIC,
            flags,
            0u32.wrapping_sub(MAGIC).wrapping_sub(flags),
            0x10_0000,
            0x10_0000,
            0x10_0000 + len,
            bss_end,
            0x10_0000,
        ];
        for (i, v) in fields.iter().enumerate() {
            k[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        k
    }

    #[test]
    fn a_huge_bss_is_an_error_not_an_allocation() {
        let mut mem = vec![0xAAu8; 2 << 20];
        let k = kludge(64, 0xFFFF_F000);
        let e = load_image(&k, 0, &mut mem, Path::new("k"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("the kernel's bss (4293914560 bytes at 0x100040) does not fit in RAM"),
            "{e}"
        );
        // A bss that fits is zeroed in place.
        let k = kludge(64, 0x10_0100);
        assert_eq!(
            load_image(&k, 0, &mut mem, Path::new("k")).ok(),
            Some((0x10_0000, 0x10_0100))
        );
        assert_eq!(mem[0x10_0000], 0x02, "the image is loaded");
        assert!(mem[0x10_0040..0x10_0100].iter().all(|&b| b == 0));
        assert_eq!(mem[0x10_0100], 0xAA);
    }
}
