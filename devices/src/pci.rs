//! PCI configuration mechanism #1 and the functions of an i440FX/PIIX3 PC.
//!
//! The host reaches configuration space through two I/O locations: a dword
//! write to `CONFIG_ADDRESS` (CF8h) selects bus, device, function and
//! register (bit 31 enables the cycle), and `CONFIG_DATA` (CFCh-CFFh) then
//! reads or writes that dword, or any byte or word of it: an access at port
//! CFCh + n covers configuration bytes `register + n` onwards. With the enable
//! bit clear, or when nothing answers at the address (another bus, an empty
//! slot, an absent function), reads return all ones and writes are dropped,
//! which is what a master abort gives. Byte and word accesses to CF8h-CFBh are
//! not configuration cycles; the PIIX3 reset control register sits at CF9h.
//!
//! Each function is a [`PciFunction`]: 256 bytes of configuration space with a
//! mask of writable bits and a mask of write-one-to-clear bits. The BARs come
//! from those masks alone: the address bits below the region's size are
//! read-only zero, so writing all ones and reading back gives the size the way
//! firmware probes it.
//!
//! [`PciBus::i440fx`] builds the bus of a QEMU/Bochs `pc` machine:
//!
//! | slot    | function                              | ID        | class  |
//! |---------|---------------------------------------|-----------|--------|
//! | 00:00.0 | 82441FX host bridge (PMC)             | 8086:1237 | 0600   |
//! | 00:01.0 | PIIX3 PCI-to-ISA bridge               | 8086:7000 | 0601   |
//! | 00:01.1 | PIIX3 IDE (legacy mode)               | 8086:7010 | 0101 80|
//! | 00:02.0 | Bochs/QEMU standard VGA               | 1234:1111 | 0300   |
//!
//! The machine reads back what the firmware programmed: the PAM registers
//! that shadow the BIOS areas ([`PciBus::pam_access`]), SMRAM, the PIRQ
//! routing, the VGA's linear framebuffer base, the IDE bus-master base.
//! [`PciBus::generation`] changes whenever any configuration byte changes, so
//! the machine can cheaply tell when to re-read them.
//!
//! Not modelled: the ELCR interplay of the PIRQ routing (the firmware programs
//! the ELCR at 4D0h/4D1h itself, see [`crate::pic`]), PCI-to-PCI bridges and
//! 64-bit BARs, and the PIIX3 functions the PC does not need (USB).

use crate::PortIo;

/// The configuration address register (dword accesses only).
pub const CONFIG_ADDRESS: u16 = 0xCF8;
/// The PIIX3 reset control register (byte accesses).
pub const RESET_CONTROL: u16 = 0xCF9;
/// The configuration data window, CFCh-CFFh.
pub const CONFIG_DATA: u16 = 0xCFC;

/// Configuration address: enable bit.
const ADDR_ENABLE: u32 = 0x8000_0000;
/// Configuration address: the bits that are stored (enable, bus, device,
/// function, dword register number).
const ADDR_MASK: u32 = 0x80FF_FFFC;

/// Reset control: system reset (1 = hard reset, 0 = soft reset).
const RC_SRST: u8 = 0b0000_0010;
/// Reset control: reset the CPU when this bit is written as one.
const RC_RCPU: u8 = 0b0000_0100;

// Standard type-0 header offsets.
/// Vendor ID (16 bits).
pub const VENDOR_ID: u8 = 0x00;
/// Device ID (16 bits).
pub const DEVICE_ID: u8 = 0x02;
/// Command register (16 bits).
pub const COMMAND: u8 = 0x04;
/// Status register (16 bits).
pub const STATUS: u8 = 0x06;
/// Revision ID.
pub const REVISION_ID: u8 = 0x08;
/// Programming interface, then sub-class and base class at 0Ah and 0Bh.
pub const PROG_IF: u8 = 0x09;
/// Cache line size.
pub const CACHE_LINE_SIZE: u8 = 0x0C;
/// Latency timer.
pub const LATENCY_TIMER: u8 = 0x0D;
/// Header type (bit 7: multi-function device).
pub const HEADER_TYPE: u8 = 0x0E;
/// First base address register; BAR `n` is at `BAR0 + 4 * n`.
pub const BAR0: u8 = 0x10;
/// Subsystem vendor ID (16 bits).
pub const SUBSYSTEM_VENDOR_ID: u8 = 0x2C;
/// Subsystem ID (16 bits).
pub const SUBSYSTEM_ID: u8 = 0x2E;
/// Expansion ROM base address.
pub const ROM_ADDRESS: u8 = 0x30;
/// Interrupt line (written by the firmware, read by drivers).
pub const INTERRUPT_LINE: u8 = 0x3C;
/// Interrupt pin: 0 none, 1-4 INTA#-INTD#.
pub const INTERRUPT_PIN: u8 = 0x3D;

/// Command: I/O space decoding.
pub const CMD_IO: u16 = 0b0000_0000_0000_0001;
/// Command: memory space decoding.
pub const CMD_MEMORY: u16 = 0b0000_0000_0000_0010;
/// Command: bus master.
pub const CMD_BUS_MASTER: u16 = 0b0000_0000_0000_0100;
/// Command: VGA palette snoop.
const CMD_VGA_SNOOP: u16 = 0b0000_0000_0010_0000;
/// Command: parity error response.
const CMD_PARITY: u16 = 0b0000_0000_0100_0000;
/// Command: SERR# enable.
const CMD_SERR: u16 = 0b0000_0001_0000_0000;
/// Command: interrupt disable.
const CMD_INTX_DISABLE: u16 = 0b0000_0100_0000_0000;
/// The command bits a plain function implements.
const CMD_WRITABLE: u16 = CMD_IO | CMD_MEMORY | CMD_BUS_MASTER | CMD_PARITY | CMD_SERR;

/// Status: fast back-to-back capable.
const STS_FAST_B2B: u16 = 0b0000_0000_1000_0000;
/// Status: DEVSEL timing = medium.
const STS_DEVSEL_MEDIUM: u16 = 0b0000_0010_0000_0000;
/// Status: the error bits, cleared by writing ones.
const STS_W1C: u16 = 0b1111_1001_0000_0000;

/// Header type: multi-function device.
const HEADER_MULTI_FUNCTION: u8 = 0x80;

/// BAR bit 0: I/O space.
const BAR_IO: u32 = 0b0001;
/// Memory BAR bit 3: prefetchable.
const BAR_PREFETCH: u32 = 0b1000;
/// Expansion ROM BAR: decode enable.
const ROM_ENABLE: u32 = 0b0001;

/// i440FX: first PAM register (PAM0, F0000h-FFFFFh in the high nibble).
pub const I440FX_PAM0: u8 = 0x59;
/// i440FX: SMRAM control register.
pub const I440FX_SMRAM: u8 = 0x72;
/// SMRAM: the compatible SMRAM is visible to non-SMM accesses.
pub const SMRAM_D_OPEN: u8 = 0b0100_0000;
/// SMRAM: data accesses in SMM go to the PCI bus.
pub const SMRAM_D_CLS: u8 = 0b0010_0000;
/// SMRAM: lock; D_OPEN is cleared and the register becomes read-only.
pub const SMRAM_D_LCK: u8 = 0b0001_0000;
/// SMRAM: global SMRAM enable.
pub const SMRAM_G_SMRAME: u8 = 0b0000_1000;
/// SMRAM: compatible SMRAM base segment, hardwired to 010b (A0000h).
const SMRAM_C_BASE_SEG: u8 = 0b0000_0010;

/// PIIX3: PIRQ route control registers PIRQRC[A-D].
pub const PIIX3_PIRQRC: u8 = 0x60;
/// PIRQ route: routing disabled.
const PIRQ_DISABLE: u8 = 0x80;
/// PIRQ route: the IRQ number field.
const PIRQ_IRQ: u8 = 0x0F;
/// IRQs a PIRQ may be routed to (3-7, 9-12, 14, 15).
const PIRQ_VALID_IRQS: u16 = 0b1101_1110_1111_1000;

/// PIIX3 IDE: bus-master interface base address (BAR4).
pub const PIIX_IDE_BMIBA: u8 = 0x20;
/// PIIX3 IDE: IDE timing registers, primary at 40h and secondary at 42h.
pub const PIIX_IDE_IDETIM: u8 = 0x40;

/// Device numbers on bus 0 of [`PciBus::i440fx`].
pub const HOST_BRIDGE_DEVFN: u8 = devfn(0, 0);
/// The PIIX3 ISA bridge.
pub const ISA_BRIDGE_DEVFN: u8 = devfn(1, 0);
/// The PIIX3 IDE function.
pub const IDE_DEVFN: u8 = devfn(1, 1);
/// The standard VGA.
pub const VGA_DEVFN: u8 = devfn(2, 0);

/// Default size of the VGA's linear framebuffer BAR.
pub const DEFAULT_LFB_SIZE: u32 = 16 << 20;

/// Device and function packed as in a configuration address (bits 7-3
/// device, 2-0 function).
pub const fn devfn(device: u8, function: u8) -> u8 {
    (device & 0x1F) << 3 | (function & 7)
}

/// One base address register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Bar {
    /// 32-bit memory space of `size` bytes (rounded up to a power of two,
    /// at least 16).
    Memory {
        /// Size of the region in bytes.
        size: u32,
        /// The region may be prefetched (bit 3).
        prefetchable: bool,
    },
    /// I/O space of `size` bytes (rounded up to a power of two, at least 4).
    Io {
        /// Size of the region in bytes.
        size: u32,
    },
}

/// Rounds `size` up to a power of two of at least `min`, saturating at 2 GiB.
fn bar_size(size: u32, min: u32) -> u32 {
    size.max(min)
        .checked_next_power_of_two()
        .unwrap_or(0x8000_0000)
}

/// How the i440FX routes CPU accesses to one shadowable BIOS area.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PamAccess {
    /// Reads go to DRAM (otherwise to the PCI bus, i.e. the ROM).
    pub read_ram: bool,
    /// Writes go to DRAM (otherwise to the PCI bus, where a ROM drops them).
    pub write_ram: bool,
}

impl PamAccess {
    fn from_nibble(n: u8) -> Self {
        PamAccess {
            read_ram: n & 0b01 != 0,
            write_ram: n & 0b10 != 0,
        }
    }
}

/// The 13 areas the PAM registers control: `(start, length)`. Index 0 is the
/// 64 KiB system BIOS area; 1-12 are the 16 KiB areas C0000h-EFFFFh.
pub const PAM_AREAS: [(u32, u32); 13] = {
    let mut areas = [(0xF_0000, 0x1_0000); 13];
    let mut i = 1;
    while i < 13 {
        areas[i] = (0xC_0000 + (i as u32 - 1) * 0x4000, 0x4000);
        i += 1;
    }
    areas
};

/// Which kind of chip a function is, for the registers with side effects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Role {
    Generic,
    HostBridge,
}

/// The configuration space of one PCI function.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PciFunction {
    #[serde(with = "crate::block::big_array")]
    config: [u8; 256],
    /// Bits a configuration write may change.
    #[serde(with = "crate::block::big_array")]
    wmask: [u8; 256],
    /// Bits a configuration write of one clears.
    #[serde(with = "crate::block::big_array")]
    w1cmask: [u8; 256],
    role: Role,
}

impl PciFunction {
    /// A single-function device with the given IDs and 24-bit class code
    /// (base class, sub-class, programming interface), with a writable
    /// command register, cache line size, latency timer and interrupt line,
    /// and everything else read-only.
    pub fn new(vendor: u16, device: u16, class: u32, revision: u8) -> Self {
        let mut f = PciFunction {
            config: [0; 256],
            wmask: [0; 256],
            w1cmask: [0; 256],
            role: Role::Generic,
        };
        f.put16(VENDOR_ID, vendor);
        f.put16(DEVICE_ID, device);
        f.put32(REVISION_ID, u32::from(revision) | (class & 0xFF_FFFF) << 8);
        f.put16(STATUS, STS_DEVSEL_MEDIUM | STS_FAST_B2B);
        f.set_wmask16(COMMAND, CMD_WRITABLE | CMD_INTX_DISABLE);
        f.set_w1c16(STATUS, STS_W1C);
        f.wmask[usize::from(CACHE_LINE_SIZE)] = 0xFF;
        f.wmask[usize::from(LATENCY_TIMER)] = 0xFF;
        f.wmask[usize::from(INTERRUPT_LINE)] = 0xFF;
        f
    }

    /// Marks the device as multi-function (header type bit 7), which tells
    /// the firmware to probe functions 1-7 of the slot. Set on function 0.
    pub fn multi_function(mut self) -> Self {
        self.config[usize::from(HEADER_TYPE)] |= HEADER_MULTI_FUNCTION;
        self
    }

    /// Sets the subsystem vendor and subsystem IDs.
    pub fn with_subsystem(mut self, vendor: u16, id: u16) -> Self {
        self.put16(SUBSYSTEM_VENDOR_ID, vendor);
        self.put16(SUBSYSTEM_ID, id);
        self
    }

    /// Sets the interrupt pin (0 none, 1-4 INTA#-INTD#).
    pub fn with_interrupt_pin(mut self, pin: u8) -> Self {
        self.config[usize::from(INTERRUPT_PIN)] = pin.min(4);
        self
    }

    /// Sets the initial command register (the writable mask is unchanged).
    pub fn with_command(mut self, command: u16) -> Self {
        self.put16(COMMAND, command);
        self
    }

    /// Implements BAR `index` (0-5; others are ignored) with the region
    /// `bar`, at base address 0.
    pub fn with_bar(mut self, index: usize, bar: Bar) -> Self {
        if index > 5 {
            return self;
        }
        let offset = BAR0 + 4 * index as u8;
        let (value, mask) = match bar {
            Bar::Memory { size, prefetchable } => {
                let size = bar_size(size, 16);
                let flags = if prefetchable { BAR_PREFETCH } else { 0 };
                (flags, !(size - 1))
            }
            Bar::Io { size } => (BAR_IO, !(bar_size(size, 4) - 1)),
        };
        self.put32(offset, value);
        self.set_wmask32(offset, mask);
        self
    }

    /// Implements an expansion ROM BAR of `size` bytes (at least 2 KiB),
    /// disabled, at base 0.
    pub fn with_rom(mut self, size: u32) -> Self {
        let size = bar_size(size, 0x800);
        self.put32(ROM_ADDRESS, 0);
        self.set_wmask32(ROM_ADDRESS, !(size - 1) | ROM_ENABLE);
        self
    }

    /// Makes the bits `mask` of the `len` bytes at `offset` (little-endian,
    /// len 1, 2 or 4) writable, for a device-specific register.
    pub fn with_writable(mut self, offset: u8, len: u8, mask: u32) -> Self {
        for i in 0..len.min(4) {
            let at = usize::from(offset) + usize::from(i);
            if let Some(m) = self.wmask.get_mut(at) {
                *m = (mask >> (8 * i)) as u8;
            }
        }
        self
    }

    /// Sets the `len` bytes at `offset` to `value` (little-endian) as the
    /// device's reset value, ignoring the writable mask.
    pub fn with_value(mut self, offset: u8, len: u8, value: u32) -> Self {
        for i in 0..len.min(4) {
            let at = usize::from(offset) + usize::from(i);
            if let Some(b) = self.config.get_mut(at) {
                *b = (value >> (8 * i)) as u8;
            }
        }
        self
    }

    /// Reads `size` bytes (1, 2 or 4) of configuration space at `offset`,
    /// little-endian; bytes past the end read as ones.
    pub fn read(&self, offset: u8, size: u8) -> u32 {
        let len = match size {
            0 | 1 => 1,
            2 | 3 => 2,
            _ => 4,
        };
        (0..len).fold(0, |acc, i| {
            let b = self
                .config
                .get(usize::from(offset) + i)
                .copied()
                .unwrap_or(0xFF);
            acc | u32::from(b) << (8 * i)
        })
    }

    /// Writes `size` bytes (1, 2 or 4) of configuration space at `offset`:
    /// writable bits take the new value, write-one-to-clear bits are
    /// cleared where a one is written, the rest are kept.
    pub fn write(&mut self, offset: u8, size: u8, value: u32) {
        let len = match size {
            0 | 1 => 1,
            2 | 3 => 2,
            _ => 4,
        };
        for i in 0..len {
            let at = usize::from(offset) + i;
            if at > 0xFF {
                break;
            }
            let v = (value >> (8 * i)) as u8;
            self.write_byte(at as u8, v);
        }
    }

    /// One byte of configuration space.
    pub fn byte(&self, offset: u8) -> u8 {
        self.config[usize::from(offset)]
    }

    /// The whole 256-byte configuration space.
    pub fn config(&self) -> &[u8; 256] {
        &self.config
    }

    /// The vendor ID.
    pub fn vendor_id(&self) -> u16 {
        self.read(VENDOR_ID, 2) as u16
    }

    /// The device ID.
    pub fn device_id(&self) -> u16 {
        self.read(DEVICE_ID, 2) as u16
    }

    /// The command register.
    pub fn command(&self) -> u16 {
        self.read(COMMAND, 2) as u16
    }

    /// The raw value of BAR `index` (0-5), or `None` if out of range.
    pub fn bar_raw(&self, index: usize) -> Option<u32> {
        (index <= 5).then(|| self.read(BAR0 + 4 * index as u8, 4))
    }

    /// The base address of BAR `index` if it is implemented and its space
    /// (I/O or memory) is enabled in the command register.
    pub fn bar_base(&self, index: usize) -> Option<u32> {
        let offset = BAR0 + 4 * u8::try_from(index).ok().filter(|&i| i <= 5)?;
        if self.read(offset, 4) == 0 && self.wmask32(offset) == 0 {
            return None; // not implemented
        }
        let raw = self.read(offset, 4);
        let (enabled, base) = if raw & BAR_IO != 0 {
            (self.command() & CMD_IO != 0, raw & !0b11)
        } else {
            (self.command() & CMD_MEMORY != 0, raw & !0b1111)
        };
        enabled.then_some(base)
    }

    /// The expansion ROM base if the ROM BAR is implemented, enabled (bit 0)
    /// and memory decoding is on.
    pub fn rom_base(&self) -> Option<u32> {
        let raw = self.read(ROM_ADDRESS, 4);
        let implemented = self.wmask32(ROM_ADDRESS) != 0;
        (implemented && raw & ROM_ENABLE != 0 && self.command() & CMD_MEMORY != 0)
            .then_some(raw & !0x7FF)
    }

    fn write_byte(&mut self, at: u8, v: u8) {
        let i = usize::from(at);
        if self.role == Role::HostBridge && at == I440FX_SMRAM {
            self.write_smram(v);
            return;
        }
        let old = self.config[i];
        let mut new = (old & !self.wmask[i]) | (v & self.wmask[i]);
        new &= !(v & self.w1cmask[i]);
        self.config[i] = new;
    }

    /// i440FX SMRAM: C_BASE_SEG is fixed; once D_LCK is set, D_OPEN reads 0
    /// and only D_CLS stays writable until reset.
    fn write_smram(&mut self, v: u8) {
        let i = usize::from(I440FX_SMRAM);
        let old = self.config[i];
        let new = if old & SMRAM_D_LCK != 0 {
            (old & !SMRAM_D_CLS) | (v & SMRAM_D_CLS)
        } else {
            let mut n = v & (SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME);
            if n & SMRAM_D_LCK != 0 {
                n &= !SMRAM_D_OPEN;
            }
            n
        };
        self.config[i] = new | SMRAM_C_BASE_SEG;
    }

    fn wmask32(&self, offset: u8) -> u32 {
        (0..4).fold(0, |acc, i| {
            acc | u32::from(self.wmask[usize::from(offset) + i]) << (8 * i)
        })
    }

    fn put16(&mut self, offset: u8, v: u16) {
        let o = usize::from(offset);
        self.config[o..o + 2].copy_from_slice(&v.to_le_bytes());
    }

    fn put32(&mut self, offset: u8, v: u32) {
        let o = usize::from(offset);
        self.config[o..o + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn set_wmask16(&mut self, offset: u8, m: u16) {
        let o = usize::from(offset);
        self.wmask[o..o + 2].copy_from_slice(&m.to_le_bytes());
    }

    fn set_wmask32(&mut self, offset: u8, m: u32) {
        let o = usize::from(offset);
        self.wmask[o..o + 4].copy_from_slice(&m.to_le_bytes());
    }

    fn set_w1c16(&mut self, offset: u8, m: u16) {
        let o = usize::from(offset);
        self.w1cmask[o..o + 2].copy_from_slice(&m.to_le_bytes());
    }
}

/// The 82441FX PCI and memory controller, 00:00.0.
pub fn i440fx_host_bridge() -> PciFunction {
    let mut f = PciFunction::new(0x8086, 0x1237, 0x06_00_00, 0x02)
        .with_command(CMD_MEMORY | CMD_BUS_MASTER)
        // Memory and bus-master enables are hardwired on.
        .with_writable(COMMAND, 2, u32::from(CMD_PARITY | CMD_SERR))
        // PMCCFG, DETURBO, DBC, AXC, DRT, DRAMC, DRAMT.
        .with_writable(0x50, 4, 0xFFFF_FFFF)
        .with_writable(0x54, 4, 0xFFFF_FFFF)
        .with_writable(0x58, 1, 0xFF)
        // PAM0 has only the BIOS area nibble; the others two areas each.
        .with_writable(I440FX_PAM0, 1, 0x70)
        .with_writable(0x5A, 4, 0x7777_7777)
        .with_writable(0x5E, 2, 0x7777)
        // DRB0-7, FDHC, MTT, CLT.
        .with_writable(0x60, 4, 0xFFFF_FFFF)
        .with_writable(0x64, 4, 0xFFFF_FFFF)
        .with_writable(0x68, 1, 0xFF)
        .with_writable(0x70, 2, 0xFFFF)
        // ERRCMD, ERRSTS, TRC.
        .with_writable(0x90, 4, 0xFFFF_FFFF)
        .with_value(0x53, 1, 0x80)
        .with_value(0x57, 1, 0x01)
        .with_value(0x58, 1, 0x10)
        .with_value(0x60, 4, 0x0101_0101)
        .with_value(0x64, 4, 0x0101_0101)
        .with_value(0x70, 2, 0x1020)
        .with_value(I440FX_SMRAM, 1, u32::from(SMRAM_C_BASE_SEG));
    f.role = Role::HostBridge;
    f
}

/// The PIIX3 PCI-to-ISA bridge, function 0 of a multi-function device.
pub fn piix3_isa_bridge() -> PciFunction {
    PciFunction::new(0x8086, 0x7000, 0x06_01_00, 0x00)
        .multi_function()
        .with_command(CMD_IO | CMD_MEMORY | CMD_BUS_MASTER)
        // IORT, XBCS.
        .with_writable(0x4C, 4, 0xFFFF_FFFF)
        .with_value(0x4C, 1, 0x4D)
        .with_value(0x4E, 1, 0x03)
        .with_writable(PIIX3_PIRQRC, 4, u32::from_le_bytes([0x8F; 4]))
        .with_value(PIIX3_PIRQRC, 4, u32::from_le_bytes([PIRQ_DISABLE; 4]))
        // TOM, MSTAT.
        .with_writable(0x69, 1, 0xFF)
        .with_writable(0x6A, 2, 0xFFFF)
        .with_value(0x69, 1, 0x02)
        // MBIRQ0/1, MBDMA0/1, PCSC.
        .with_writable(0x70, 2, 0xFFFF)
        .with_value(0x70, 2, 0x8080)
        .with_writable(0x76, 2, 0xFFFF)
        .with_value(0x76, 2, 0x0C0C)
        .with_writable(0x78, 2, 0xFFFF)
        .with_value(0x78, 2, 0x0002)
        // APICBASE, DLC.
        .with_writable(0x80, 1, 0xFF)
        .with_writable(0x82, 1, 0xFF)
        // SMI control and timers.
        .with_writable(0xA0, 4, 0xFFFF_FFFF)
        .with_writable(0xA4, 4, 0xFFFF_FFFF)
        .with_writable(0xA8, 4, 0xFFFF_FFFF)
        .with_writable(0xAC, 4, 0xFFFF_FFFF)
        .with_value(0xA0, 1, 0x08)
        .with_value(0xA8, 1, 0x0F)
}

/// The PIIX3 IDE function in legacy (compatibility) mode: the channels
/// decode 1F0h/3F6h and 170h/376h and use IRQ14/15, so BARs 0-3 are absent
/// and there is no interrupt pin. BAR4 is the 16-byte bus-master block.
pub fn piix3_ide() -> PciFunction {
    PciFunction::new(0x8086, 0x7010, 0x01_01_80, 0x00)
        .with_bar(4, Bar::Io { size: 16 })
        // IDETIM primary/secondary, SIDETIM.
        .with_writable(PIIX_IDE_IDETIM, 4, 0xFFFF_FFFF)
        .with_writable(0x44, 1, 0xFF)
}

/// The Bochs/QEMU standard VGA: BAR0 is the linear framebuffer, a
/// prefetchable memory region of `lfb_size` bytes; `rom_size` adds an
/// expansion ROM BAR of that size when non-zero. Subsystem IDs as QEMU gives
/// them (1AF4:1100).
pub fn std_vga(lfb_size: u32, rom_size: u32) -> PciFunction {
    let f = PciFunction::new(0x1234, 0x1111, 0x03_00_00, 0x02)
        .with_writable(COMMAND, 2, u32::from(CMD_WRITABLE | CMD_VGA_SNOOP))
        .with_subsystem(0x1AF4, 0x1100)
        .with_bar(
            0,
            Bar::Memory {
                size: lfb_size,
                prefetchable: true,
            },
        );
    if rom_size != 0 {
        f.with_rom(rom_size)
    } else {
        f
    }
}

/// What a write to the reset control register asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ResetRequest {
    /// RCPU with SRST = 0: reset the CPU only (INIT).
    Soft,
    /// RCPU with SRST = 1: reset the whole system.
    Hard,
}

/// Bus 0 with configuration mechanism #1 and the PIIX3 reset control
/// register.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct PciBus {
    address: u32,
    reset_control: u8,
    reset_request: Option<ResetRequest>,
    /// Functions by device/function number.
    functions: Vec<(u8, PciFunction)>,
    generation: u64,
}

impl PciBus {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bus of a `pc` machine: i440FX host bridge, PIIX3 ISA bridge and
    /// IDE, and the standard VGA with an LFB BAR of `lfb_size` bytes and an
    /// expansion ROM BAR of `vga_rom_size` bytes (0 for none).
    pub fn i440fx(lfb_size: u32, vga_rom_size: u32) -> Self {
        let mut bus = Self::new();
        bus.add(HOST_BRIDGE_DEVFN, i440fx_host_bridge());
        bus.add(ISA_BRIDGE_DEVFN, piix3_isa_bridge());
        bus.add(IDE_DEVFN, piix3_ide());
        bus.add(VGA_DEVFN, std_vga(lfb_size, vga_rom_size));
        bus
    }

    /// Plugs `function` in at `devfn` (see [`devfn`]), replacing whatever
    /// was there.
    pub fn add(&mut self, devfn: u8, function: PciFunction) {
        self.functions.retain(|(d, _)| *d != devfn);
        self.functions.push((devfn, function));
        self.functions.sort_by_key(|(d, _)| *d);
        self.generation += 1;
    }

    /// The function at `devfn`, if present.
    pub fn function(&self, devfn: u8) -> Option<&PciFunction> {
        self.functions
            .iter()
            .find(|(d, _)| *d == devfn)
            .map(|(_, f)| f)
    }

    /// The function at `devfn` for direct changes by the machine.
    pub fn function_mut(&mut self, devfn: u8) -> Option<&mut PciFunction> {
        self.generation += 1;
        self.functions
            .iter_mut()
            .find(|(d, _)| *d == devfn)
            .map(|(_, f)| f)
    }

    /// A configuration read as the host bridge performs it: all ones when
    /// nothing answers.
    pub fn config_read(&self, bus: u8, devfn: u8, offset: u8, size: u8) -> u32 {
        let ones = match size {
            0 | 1 => 0xFF,
            2 | 3 => 0xFFFF,
            _ => 0xFFFF_FFFF,
        };
        if bus != 0 {
            return ones;
        }
        match self.function(devfn) {
            Some(f) => f.read(offset, size),
            None => ones,
        }
    }

    /// A configuration write; dropped when nothing answers.
    pub fn config_write(&mut self, bus: u8, devfn: u8, offset: u8, size: u8, value: u32) {
        if bus != 0 {
            return;
        }
        if let Some((_, f)) = self.functions.iter_mut().find(|(d, _)| *d == devfn) {
            let before = f.config;
            f.write(offset, size, value);
            if f.config != before {
                self.generation += 1;
            }
        }
    }

    /// A counter that changes whenever any configuration byte changes (or a
    /// function is added or handed out mutably).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The raw PAM0-PAM6 registers (59h-5Fh) of the host bridge.
    pub fn pam_registers(&self) -> [u8; 7] {
        let mut pam = [0; 7];
        if let Some(f) = self.function(HOST_BRIDGE_DEVFN) {
            for (i, p) in pam.iter_mut().enumerate() {
                *p = f.byte(I440FX_PAM0 + i as u8);
            }
        }
        pam
    }

    /// How the 13 areas of [`PAM_AREAS`] are routed, in that order.
    pub fn pam_areas(&self) -> [PamAccess; 13] {
        let pam = self.pam_registers();
        let mut out = [PamAccess::default(); 13];
        out[0] = PamAccess::from_nibble(pam[0] >> 4);
        for i in 1..13usize {
            let reg = pam[i.div_ceil(2)];
            let nibble = if i % 2 == 1 { reg & 0x0F } else { reg >> 4 };
            out[i] = PamAccess::from_nibble(nibble);
        }
        out
    }

    /// How an access to physical address `addr` in C0000h-FFFFFh is routed;
    /// `None` outside the PAM-controlled range.
    pub fn pam_access(&self, addr: u32) -> Option<PamAccess> {
        let areas = self.pam_areas();
        PAM_AREAS
            .iter()
            .position(|&(start, len)| addr >= start && addr - start < len)
            .map(|i| areas[i])
    }

    /// The i440FX SMRAM control register.
    pub fn smram(&self) -> u8 {
        self.function(HOST_BRIDGE_DEVFN)
            .map_or(SMRAM_C_BASE_SEG, |f| f.byte(I440FX_SMRAM))
    }

    /// PIRQA-D: the ISA IRQ each PCI interrupt line is routed to, or `None`
    /// when routing is disabled or the IRQ number is reserved.
    pub fn pirq_routes(&self) -> [Option<u8>; 4] {
        let mut out = [None; 4];
        if let Some(f) = self.function(ISA_BRIDGE_DEVFN) {
            for (i, o) in out.iter_mut().enumerate() {
                let v = f.byte(PIIX3_PIRQRC + i as u8);
                let irq = v & PIRQ_IRQ;
                if v & PIRQ_DISABLE == 0 && PIRQ_VALID_IRQS & (1 << irq) != 0 {
                    *o = Some(irq);
                }
            }
        }
        out
    }

    /// Where the VGA's linear framebuffer is, if BAR0 has an address and
    /// memory decoding is enabled.
    pub fn vga_lfb_base(&self) -> Option<u32> {
        self.function(VGA_DEVFN)
            .and_then(|f| f.bar_base(0))
            .filter(|&b| b != 0)
    }

    /// Where the VGA's expansion ROM is mapped, if enabled.
    pub fn vga_rom_base(&self) -> Option<u32> {
        self.function(VGA_DEVFN).and_then(PciFunction::rom_base)
    }

    /// The PIIX3 IDE bus-master I/O base (BAR4), if assigned and I/O
    /// decoding is on.
    pub fn ide_bus_master_base(&self) -> Option<u16> {
        self.function(IDE_DEVFN)
            .and_then(|f| f.bar_base(4))
            .filter(|&b| b != 0)
            .and_then(|b| u16::try_from(b).ok())
    }

    /// The configuration address register as last written.
    pub fn config_address(&self) -> u32 {
        self.address
    }

    /// A reset asked for through CF9h since the last call.
    pub fn take_reset_request(&mut self) -> Option<ResetRequest> {
        self.reset_request.take()
    }

    /// The configuration target of a data-port byte, if the cycle is enabled.
    fn target(&self, port: u16) -> Option<(u8, u8, u8)> {
        if self.address & ADDR_ENABLE == 0 {
            return None;
        }
        let bus = (self.address >> 16) as u8;
        let devfn = (self.address >> 8) as u8;
        let offset = (self.address as u8 & 0xFC) | (port & 3) as u8;
        Some((bus, devfn, offset))
    }

    fn data_read8(&self, port: u16) -> u8 {
        match self.target(port) {
            Some((bus, devfn, offset)) => self.config_read(bus, devfn, offset, 1) as u8,
            None => 0xFF,
        }
    }

    fn data_write8(&mut self, port: u16, value: u8) {
        if let Some((bus, devfn, offset)) = self.target(port) {
            self.config_write(bus, devfn, offset, 1, u32::from(value));
        }
    }
}

impl PortIo for PciBus {
    fn read(&mut self, port: u16, size: u8, _now: u64) -> u32 {
        match (port, size) {
            (CONFIG_ADDRESS, 4) => self.address,
            (RESET_CONTROL, 1) => u32::from(self.reset_control),
            (CONFIG_DATA..=0xCFF, _) => {
                // The bytes of the access within the dword window.
                crate::read_bytes(port, size, |p| {
                    if (CONFIG_DATA..=0xCFF).contains(&p) {
                        self.data_read8(p)
                    } else {
                        0xFF
                    }
                })
            }
            _ => crate::read_bytes(port, size, |_| 0xFF),
        }
    }

    fn write(&mut self, port: u16, size: u8, value: u32, _now: u64) {
        match (port, size) {
            (CONFIG_ADDRESS, 4) => self.address = value & ADDR_MASK,
            (RESET_CONTROL, 1) => {
                let v = value as u8;
                if v & RC_RCPU != 0 {
                    self.reset_request = Some(if v & RC_SRST != 0 {
                        ResetRequest::Hard
                    } else {
                        ResetRequest::Soft
                    });
                }
                self.reset_control = v & RC_SRST;
            }
            (CONFIG_DATA..=0xCFF, _) => {
                crate::write_bytes(port, size, value, |p, v| {
                    if (CONFIG_DATA..=0xCFF).contains(&p) {
                        self.data_write8(p, v);
                    }
                });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(dev: u8, func: u8, reg: u8) -> u32 {
        ADDR_ENABLE | u32::from(devfn(dev, func)) << 8 | u32::from(reg)
    }

    fn cfg_read(bus: &mut PciBus, dev: u8, func: u8, reg: u8, size: u8) -> u32 {
        bus.write(CONFIG_ADDRESS, 4, addr(dev, func, reg & 0xFC), 0);
        bus.read(CONFIG_DATA + u16::from(reg & 3), size, 0)
    }

    fn cfg_write(bus: &mut PciBus, dev: u8, func: u8, reg: u8, size: u8, v: u32) {
        bus.write(CONFIG_ADDRESS, 4, addr(dev, func, reg & 0xFC), 0);
        bus.write(CONFIG_DATA + u16::from(reg & 3), size, v, 0);
    }

    fn pc() -> PciBus {
        PciBus::i440fx(DEFAULT_LFB_SIZE, 0)
    }

    #[test]
    fn config_address_register() {
        let mut bus = pc();
        // Linux's type-1 probe: write 80000000h, read it back.
        bus.write(CONFIG_ADDRESS, 4, 0x8000_0000, 0);
        assert_eq!(bus.read(CONFIG_ADDRESS, 4, 0), 0x8000_0000);
        // Reserved bits 30-24 and 1-0 read as zero.
        bus.write(CONFIG_ADDRESS, 4, 0xFFFF_FFFF, 0);
        assert_eq!(bus.read(CONFIG_ADDRESS, 4, 0), 0x80FF_FFFC);
        // Byte and word accesses to CF8h are not the address register.
        bus.write(CONFIG_ADDRESS, 2, 0, 0);
        bus.write(0xCFB, 1, 0, 0);
        assert_eq!(bus.read(CONFIG_ADDRESS, 4, 0), 0x80FF_FFFC);
        assert_eq!(bus.read(CONFIG_ADDRESS, 2, 0), 0xFFFF);
    }

    #[test]
    fn identifies_the_pc_functions() {
        let mut bus = pc();
        let ids = [
            (0, 0, 0x1237_8086, 0x0600_0002, 0x00),
            (1, 0, 0x7000_8086, 0x0601_0000, 0x80),
            (1, 1, 0x7010_8086, 0x0101_8000, 0x00),
            (2, 0, 0x1111_1234, 0x0300_0002, 0x00),
        ];
        for (dev, func, id, class, header) in ids {
            assert_eq!(cfg_read(&mut bus, dev, func, 0, 4), id, "{dev}.{func}");
            assert_eq!(cfg_read(&mut bus, dev, func, 8, 4), class, "{dev}.{func}");
            assert_eq!(cfg_read(&mut bus, dev, func, HEADER_TYPE, 1), header);
        }
        assert_eq!(
            cfg_read(&mut bus, 2, 0, SUBSYSTEM_VENDOR_ID, 4),
            0x1100_1AF4
        );
        assert_eq!(cfg_read(&mut bus, 1, 1, INTERRUPT_PIN, 1), 0);
    }

    #[test]
    fn absent_devices_and_disabled_cycles_read_all_ones() {
        let mut bus = pc();
        assert_eq!(cfg_read(&mut bus, 3, 0, 0, 4), 0xFFFF_FFFF);
        assert_eq!(cfg_read(&mut bus, 0, 1, 0, 2), 0xFFFF);
        assert_eq!(cfg_read(&mut bus, 31, 7, 0xFC, 1), 0xFF);
        // Bus 1 does not exist.
        bus.write(CONFIG_ADDRESS, 4, ADDR_ENABLE | 1 << 16, 0);
        assert_eq!(bus.read(CONFIG_DATA, 4, 0), 0xFFFF_FFFF);
        // Without the enable bit there is no configuration cycle.
        bus.write(CONFIG_ADDRESS, 4, 0, 0);
        assert_eq!(bus.read(CONFIG_DATA, 4, 0), 0xFFFF_FFFF);
        bus.write(CONFIG_DATA + 2, 1, 0x55, 0);
        bus.write(CONFIG_ADDRESS, 4, addr(0, 0, 0), 0);
        assert_eq!(bus.read(CONFIG_DATA, 4, 0), 0x1237_8086);
        // Writes to an empty slot vanish.
        cfg_write(&mut bus, 5, 0, INTERRUPT_LINE, 1, 9);
        assert_eq!(cfg_read(&mut bus, 5, 0, INTERRUPT_LINE, 1), 0xFF);
    }

    #[test]
    fn byte_and_word_accesses_at_any_offset() {
        let mut bus = pc();
        bus.write(CONFIG_ADDRESS, 4, addr(0, 0, 0), 0);
        assert_eq!(bus.read(0xCFC, 1, 0), 0x86);
        assert_eq!(bus.read(0xCFD, 1, 0), 0x80);
        assert_eq!(bus.read(0xCFE, 1, 0), 0x37);
        assert_eq!(bus.read(0xCFF, 1, 0), 0x12);
        assert_eq!(bus.read(0xCFE, 2, 0), 0x1237);
        assert_eq!(bus.read(0xCFD, 2, 0), 0x3780);
        // A word at CFFh runs off the window: the top byte floats.
        assert_eq!(bus.read(0xCFF, 2, 0), 0xFF12);
        // PAM registers written a byte at a time and as a dword.
        cfg_write(&mut bus, 0, 0, 0x5A, 1, 0x33);
        cfg_write(&mut bus, 0, 0, 0x5C, 4, 0x1122_3311);
        assert_eq!(cfg_read(&mut bus, 0, 0, 0x58, 4), 0x0033_0010);
        assert_eq!(cfg_read(&mut bus, 0, 0, 0x5C, 4), 0x1122_3311);
    }

    #[test]
    fn read_only_and_writable_bits() {
        let mut bus = pc();
        // IDs and class are read-only.
        cfg_write(&mut bus, 2, 0, 0, 4, 0);
        cfg_write(&mut bus, 2, 0, 8, 4, 0);
        assert_eq!(cfg_read(&mut bus, 2, 0, 0, 4), 0x1111_1234);
        assert_eq!(cfg_read(&mut bus, 2, 0, 8, 4), 0x0300_0002);
        // Command: only implemented bits stick.
        cfg_write(&mut bus, 2, 0, COMMAND, 2, 0xFFFF);
        assert_eq!(cfg_read(&mut bus, 2, 0, COMMAND, 2), 0x0167);
        // Status: the error bits are write-one-to-clear, the rest read-only.
        cfg_write(&mut bus, 2, 0, STATUS, 2, 0xFFFF);
        assert_eq!(cfg_read(&mut bus, 2, 0, STATUS, 2), 0x0280);
        if let Some(f) = bus.function_mut(VGA_DEVFN) {
            f.config[7] |= 0x20; // received master abort
        }
        assert_eq!(cfg_read(&mut bus, 2, 0, STATUS, 2), 0x2280);
        cfg_write(&mut bus, 2, 0, STATUS, 2, 0x0200);
        assert_eq!(cfg_read(&mut bus, 2, 0, STATUS, 2), 0x2280, "0 keeps");
        cfg_write(&mut bus, 2, 0, STATUS, 2, 0x2000);
        assert_eq!(cfg_read(&mut bus, 2, 0, STATUS, 2), 0x0280, "1 clears");
        // Interrupt line is scratch for the firmware; the pin is fixed.
        cfg_write(&mut bus, 2, 0, INTERRUPT_LINE, 2, 0xFF0B);
        assert_eq!(cfg_read(&mut bus, 2, 0, INTERRUPT_LINE, 2), 0x000B);
        // Host bridge: memory and bus master hardwired on.
        cfg_write(&mut bus, 0, 0, COMMAND, 2, 0);
        assert_eq!(cfg_read(&mut bus, 0, 0, COMMAND, 2), 0x0006);
    }

    #[test]
    fn bar_sizing_with_all_ones() {
        let mut bus = pc();
        let bar0 = cfg_read(&mut bus, 2, 0, BAR0, 4);
        assert_eq!(bar0, 0x0000_0008, "prefetchable 32-bit memory");
        cfg_write(&mut bus, 2, 0, BAR0, 4, 0xFFFF_FFFF);
        let probe = cfg_read(&mut bus, 2, 0, BAR0, 4);
        assert_eq!(probe, 0xFF00_0008);
        assert_eq!(!(probe & !0xF) + 1, 16 << 20);
        // Unimplemented BARs read zero even after all ones.
        for bar in 1..6 {
            let reg = BAR0 + 4 * bar;
            cfg_write(&mut bus, 2, 0, reg, 4, 0xFFFF_FFFF);
            assert_eq!(cfg_read(&mut bus, 2, 0, reg, 4), 0);
        }
        // Assign it; the LFB appears once memory decoding is on.
        cfg_write(&mut bus, 2, 0, BAR0, 4, 0xE012_3456);
        assert_eq!(cfg_read(&mut bus, 2, 0, BAR0, 4), 0xE000_0008);
        assert_eq!(bus.vga_lfb_base(), None);
        cfg_write(&mut bus, 2, 0, COMMAND, 2, u32::from(CMD_IO | CMD_MEMORY));
        assert_eq!(bus.vga_lfb_base(), Some(0xE000_0000));
        // Other sizes.
        let small = PciBus::i440fx(4 << 20, 0);
        let mask = small.function(VGA_DEVFN).map(|f| f.wmask32(BAR0));
        assert_eq!(mask, Some(0xFFC0_0000));
        let odd = PciFunction::new(1, 2, 0, 0).with_bar(
            1,
            Bar::Memory {
                size: 3000,
                prefetchable: false,
            },
        );
        assert_eq!(odd.wmask32(BAR0 + 4), !0xFFF, "rounded up to 4 KiB");
    }

    #[test]
    fn io_bar_and_ide_bus_master_base() {
        let mut bus = pc();
        let reg = PIIX_IDE_BMIBA;
        assert_eq!(cfg_read(&mut bus, 1, 1, reg, 4), 1);
        cfg_write(&mut bus, 1, 1, reg, 4, 0xFFFF_FFFF);
        let probe = cfg_read(&mut bus, 1, 1, reg, 4);
        assert_eq!(probe, 0xFFFF_FFF1);
        assert_eq!((!(probe & !3)).wrapping_add(1), 16);
        cfg_write(&mut bus, 1, 1, reg, 4, 0xC000);
        assert_eq!(bus.ide_bus_master_base(), None, "I/O decoding off");
        cfg_write(
            &mut bus,
            1,
            1,
            COMMAND,
            2,
            u32::from(CMD_IO | CMD_BUS_MASTER),
        );
        assert_eq!(bus.ide_bus_master_base(), Some(0xC000));
        // SeaBIOS enables both legacy channels through IDETIM.
        cfg_write(&mut bus, 1, 1, PIIX_IDE_IDETIM, 2, 0x8000);
        cfg_write(&mut bus, 1, 1, PIIX_IDE_IDETIM + 2, 2, 0x8000);
        assert_eq!(cfg_read(&mut bus, 1, 1, PIIX_IDE_IDETIM, 4), 0x8000_8000);
    }

    #[test]
    fn expansion_rom_bar() {
        let mut bus = PciBus::i440fx(DEFAULT_LFB_SIZE, 0x1_0000);
        cfg_write(&mut bus, 2, 0, ROM_ADDRESS, 4, 0xFFFF_F800);
        assert_eq!(cfg_read(&mut bus, 2, 0, ROM_ADDRESS, 4), 0xFFFF_0000);
        cfg_write(&mut bus, 2, 0, ROM_ADDRESS, 4, 0xFEB0_0001);
        cfg_write(&mut bus, 2, 0, COMMAND, 2, u32::from(CMD_MEMORY));
        assert_eq!(bus.vga_rom_base(), Some(0xFEB0_0000));
        cfg_write(&mut bus, 2, 0, ROM_ADDRESS, 4, 0xFEB0_0000);
        assert_eq!(bus.vga_rom_base(), None, "decode bit off");
        // Without a ROM the register reads zero.
        let mut plain = pc();
        cfg_write(&mut plain, 2, 0, ROM_ADDRESS, 4, 0xFFFF_F800);
        assert_eq!(cfg_read(&mut plain, 2, 0, ROM_ADDRESS, 4), 0);
    }

    #[test]
    fn pam_registers_shadow_the_bios() {
        let mut bus = pc();
        let gen = bus.generation();
        assert_eq!(bus.pam_access(0xF_0000), Some(PamAccess::default()));
        // SeaBIOS: make F0000-FFFFF RAM read/write to copy itself there...
        cfg_write(&mut bus, 0, 0, I440FX_PAM0, 1, 0x30);
        assert_ne!(bus.generation(), gen);
        let rw = PamAccess {
            read_ram: true,
            write_ram: true,
        };
        assert_eq!(bus.pam_access(0xF_FFFF), Some(rw));
        // ...then read-only.
        cfg_write(&mut bus, 0, 0, I440FX_PAM0, 1, 0x10);
        let ro = PamAccess {
            read_ram: true,
            write_ram: false,
        };
        assert_eq!(bus.pam_access(0xF_8000), Some(ro));
        // The low nibble of PAM0 is reserved.
        cfg_write(&mut bus, 0, 0, I440FX_PAM0, 1, 0x0F);
        assert_eq!(bus.pam_registers()[0], 0x00);
        // C0000-C3FFF is PAM1 bits 1-0, C4000-C7FFF bits 5-4, ...
        cfg_write(&mut bus, 0, 0, 0x5A, 1, 0x21);
        cfg_write(&mut bus, 0, 0, 0x5F, 1, 0x30);
        assert_eq!(bus.pam_access(0xC_3FFF), Some(ro));
        let wo = PamAccess {
            read_ram: false,
            write_ram: true,
        };
        assert_eq!(bus.pam_access(0xC_4000), Some(wo));
        assert_eq!(bus.pam_access(0xE_BFFF), Some(PamAccess::default()));
        assert_eq!(bus.pam_access(0xE_C000), Some(rw));
        assert_eq!(bus.pam_access(0xB_FFFF), None);
        assert_eq!(bus.pam_access(0x10_0000), None);
        // Unchanged writes do not bump the generation.
        let gen = bus.generation();
        cfg_write(&mut bus, 0, 0, 0x5F, 1, 0x30);
        assert_eq!(bus.generation(), gen);
    }

    #[test]
    fn smram_lock() {
        let mut bus = pc();
        assert_eq!(bus.smram(), 0x02);
        cfg_write(&mut bus, 0, 0, I440FX_SMRAM, 1, 0xFF);
        assert_eq!(bus.smram(), 0x3A, "D_LCK clears D_OPEN");
        cfg_write(&mut bus, 0, 0, I440FX_SMRAM, 1, 0x4A);
        assert_eq!(bus.smram(), 0x1A, "locked: only D_CLS changes");
        cfg_write(&mut bus, 0, 0, I440FX_SMRAM, 1, 0x00);
        assert_eq!(bus.smram(), 0x1A);
        let mut bus = pc();
        cfg_write(&mut bus, 0, 0, I440FX_SMRAM, 1, 0x48);
        assert_eq!(bus.smram(), 0x4A);
    }

    #[test]
    fn pirq_routing() {
        let mut bus = pc();
        assert_eq!(cfg_read(&mut bus, 1, 0, PIIX3_PIRQRC, 4), 0x8080_8080);
        assert_eq!(bus.pirq_routes(), [None; 4]);
        // SeaBIOS routes PIRQA-D to 10, 10, 11, 11.
        cfg_write(&mut bus, 1, 0, PIIX3_PIRQRC, 4, 0x0B0B_0A0A);
        assert_eq!(bus.pirq_routes(), [Some(10), Some(10), Some(11), Some(11)]);
        cfg_write(&mut bus, 1, 0, PIIX3_PIRQRC + 1, 1, 0xFF);
        assert_eq!(cfg_read(&mut bus, 1, 0, PIIX3_PIRQRC + 1, 1), 0x8F);
        cfg_write(&mut bus, 1, 0, PIIX3_PIRQRC + 2, 1, 0x02);
        cfg_write(&mut bus, 1, 0, PIIX3_PIRQRC + 3, 1, 0x0D);
        assert_eq!(bus.pirq_routes(), [Some(10), None, None, None]);
    }

    #[test]
    fn reset_control_register() {
        let mut bus = pc();
        assert_eq!(bus.read(RESET_CONTROL, 1, 0), 0);
        bus.write(RESET_CONTROL, 1, 0x02, 0);
        assert_eq!(bus.take_reset_request(), None);
        assert_eq!(bus.read(RESET_CONTROL, 1, 0), 0x02);
        bus.write(RESET_CONTROL, 1, 0x06, 0);
        assert_eq!(bus.take_reset_request(), Some(ResetRequest::Hard));
        assert_eq!(bus.take_reset_request(), None);
        bus.write(RESET_CONTROL, 1, 0x04, 0);
        assert_eq!(bus.take_reset_request(), Some(ResetRequest::Soft));
        assert_eq!(bus.read(CONFIG_ADDRESS, 4, 0), 0, "CF9h is not CF8h");
    }

    #[test]
    fn custom_functions_and_snapshots() {
        let mut bus = PciBus::new();
        let f = PciFunction::new(0x10EC, 0x8029, 0x02_00_00, 0)
            .with_bar(0, Bar::Io { size: 32 })
            .with_interrupt_pin(1)
            .with_writable(0x40, 1, 0x0F);
        bus.add(devfn(3, 0), f);
        let snap = bus.clone();
        cfg_write(&mut bus, 3, 0, 0x40, 1, 0xFF);
        assert_eq!(cfg_read(&mut bus, 3, 0, 0x40, 1), 0x0F);
        assert_eq!(cfg_read(&mut bus, 3, 0, INTERRUPT_PIN, 1), 1);
        cfg_write(&mut bus, 3, 0, BAR0, 4, 0xFFFF_FFFF);
        assert_eq!(cfg_read(&mut bus, 3, 0, BAR0, 4), 0xFFFF_FFE1);
        let mut snap = snap;
        assert_eq!(cfg_read(&mut snap, 3, 0, 0x40, 1), 0);
        // Odd-sized accesses never panic.
        for port in 0xCF6..0xD02 {
            for size in [0, 1, 2, 3, 4, 7] {
                bus.write(CONFIG_ADDRESS, 4, addr(3, 0, 0xFC), 0);
                bus.read(port, size, 0);
                bus.write(port, size, 0xFFFF_FFFF, 0);
            }
        }
        let top = bus.function(devfn(3, 0)).map(|f| f.read(0xFE, 4));
        assert_eq!(top, Some(0xFFFF_0000));
    }
}
