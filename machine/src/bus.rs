//! The PC's bus as the CPU sees it: memory pages, the port map and the
//! interrupt line. It owns the devices and dispatches to them with a
//! `match` on the port number.

use oxbox_cpu::{Bus, PageMap};
use oxbox_devices::busmaster::DmaMemory;
use oxbox_devices::cmos::{Cmos, DateTime};
use oxbox_devices::debug_exit::DebugExit;
use oxbox_devices::debugcon::DebugCon;
use oxbox_devices::dma::{Direction, Dma};
use oxbox_devices::floppy::{self, Floppy};
use oxbox_devices::fw_cfg::FwCfg;
use oxbox_devices::i8042::I8042;
use oxbox_devices::ide::Ide;
use oxbox_devices::pci::PciBus;
use oxbox_devices::pic::Pic;
use oxbox_devices::pit::Pit;
use oxbox_devices::uart::{Uart, COM1, COM2, COM3, COM4};
use oxbox_devices::vga::{self, Vga};
use oxbox_devices::PortIo;

use crate::memory::{MapState, Memory};

/// System control port A (PS/2 "fast A20"): bit 1 gates A20, bit 0 resets.
const PORT_SYSCTL_A: u16 = 0x92;
const SYSCTL_A20: u8 = 0b0000_0010;
const SYSCTL_RESET: u8 = 0b0000_0001;

const IRQ_PIT: u8 = 0;
const IRQ_COM2: u8 = 3;
const IRQ_COM1: u8 = 4;
const IRQ_RTC: u8 = 8;
const IRQ_KBD: u8 = 1;
const IRQ_MOUSE: u8 = 12;
const IRQ_IDE0: u8 = 14;
const IRQ_IDE1: u8 = 15;
const IRQ_FPU: u8 = 13;
/// Writing here clears the FERR# latch (and on a PC asserts IGNNE#).
const PORT_FPU_CLEAR: u16 = 0xF0;

/// Largest DMA run moved in one go (the floppy gives at most a sector).
const DMA_RUN: usize = 4096;

/// Requests the bus raised for the machine during the last CPU slice.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requests {
    /// isa-debug-exit: the process exit status `(v << 1) | 1`.
    pub exit: Option<i32>,
    /// A new A20 gate state.
    pub a20: Option<bool>,
    /// A reset through port 92h or CF9h.
    pub reset: bool,
    /// Chipset registers changed the memory map: cached translations and
    /// code must be dropped.
    pub memory_map: bool,
}

pub struct PcBus {
    pub mem: Memory,
    /// One bit per 4 KiB page of `mem.bytes` written since dirty tracking
    /// last restarted (snapshots restore only these).
    pub dirty: Vec<u64>,
    /// The VGA changed since dirty tracking last restarted.
    pub vga_touched: bool,
    /// The FERR# latch behind IRQ 13: set when the x87 signals an error
    /// (CR0.NE = 0), cleared by a write to port F0h.
    pub ferr_latch: bool,
    /// Retired instructions at the last `sync`.
    icount: u64,
    /// Virtual nanoseconds per retired instruction.
    ns_per_insn: u64,
    /// Virtual time skipped while the CPU was halted.
    idle_ns: u64,
    pub pic: Pic,
    pub pit: Pit,
    pub cmos: Cmos,
    pub uarts: [Uart; 4],
    pub pci: PciBus,
    pub fw_cfg: FwCfg,
    pub vga: Vga,
    pub dma: Dma,
    pub floppy: Floppy,
    pub kbc: I8042,
    pub ide: Ide,
    /// Host-memory ranges devices wrote by DMA since the machine last
    /// looked: cached code there must be dropped.
    pub dma_dirty: Vec<(usize, usize)>,
    dma_buf: Vec<u8>,
    /// The 8042's A20 output as last seen, to notice changes.
    kbc_a20: bool,
    /// Write protection of the inserted floppies (kept across resets).
    pub floppy_wp: [bool; 2],
    /// Size of the VGA expansion ROM BAR (0: none).
    pub vga_rom_bar: u32,
    pub consoles: Vec<DebugCon>,
    pub debug_exit: Option<DebugExit>,
    pub requests: Requests,
    sysctl_a: u8,
}

impl PcBus {
    pub fn new(mem: Memory, ns_per_insn: u64, rtc_start: DateTime) -> Self {
        let mut cmos = Cmos::new(rtc_start);
        cmos.set_memory_size(mem.ram_size as u64, 0);
        let pages = mem.bytes.len().div_ceil(4096);
        let mut bus = PcBus {
            dirty: vec![0; pages.div_ceil(64)],
            vga_touched: false,
            ferr_latch: false,
            mem,
            icount: 0,
            ns_per_insn: ns_per_insn.max(1),
            idle_ns: 0,
            pic: Pic::new(),
            pit: Pit::new(),
            cmos,
            uarts: [
                Uart::new(COM1),
                Uart::new(COM2),
                Uart::new(COM3),
                Uart::new(COM4),
            ],
            pci: PciBus::new(),
            fw_cfg: FwCfg::new(),
            vga: Vga::new(),
            dma: Dma::new(),
            floppy: Floppy::new(),
            kbc: I8042::new(),
            ide: Ide::new(),
            dma_dirty: Vec::new(),
            dma_buf: vec![0; DMA_RUN],
            floppy_wp: [false; 2],
            kbc_a20: true,
            vga_rom_bar: 0,
            consoles: Vec::new(),
            debug_exit: None,
            requests: Requests::default(),
            sysctl_a: 0,
        };
        bus.refresh_irqs();
        bus
    }

    pub fn set_a20_latch(&mut self, on: bool) {
        self.sysctl_a = if on {
            self.sysctl_a | SYSCTL_A20
        } else {
            self.sysctl_a & !SYSCTL_A20
        };
    }

    /// Virtual time in nanoseconds at instruction count `icount`.
    pub fn time_at(&self, icount: u64) -> u64 {
        icount
            .saturating_mul(self.ns_per_insn)
            .saturating_add(self.idle_ns)
    }

    pub fn now(&self) -> u64 {
        self.time_at(self.icount)
    }

    pub fn ns_per_insn(&self) -> u64 {
        self.ns_per_insn
    }

    /// Lets virtual time run forward while the CPU is halted.
    pub fn skip_to(&mut self, icount: u64, t: u64) {
        self.icount = icount;
        let now = self.now();
        if t > now {
            self.idle_ns += t - now;
        }
    }

    /// Brings timer devices up to `now` and copies their outputs to the PIC.
    pub fn service(&mut self, icount: u64) {
        self.icount = icount;
        let now = self.now();
        self.cmos.update(now);
        for u in &mut self.uarts {
            u.update(now);
        }
        self.floppy.update(now);
        self.kbc.update(now);
        self.ide.update(now);
        self.pump_dma();
        self.pump_ide_dma();
        self.refresh_irqs();
    }

    /// The earliest virtual time a device output may change.
    pub fn next_deadline(&self) -> Option<u64> {
        let now = self.now();
        let mut d = self.pit.next_deadline(now);
        let others = [
            self.cmos.next_deadline(now),
            self.floppy.next_deadline(now),
            self.kbc.next_deadline(now),
            self.ide.next_deadline(now),
        ];
        for x in others
            .into_iter()
            .chain(self.uarts.iter().map(|u| u.next_deadline(now)))
        {
            d = match (d, x) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        d
    }

    fn refresh_irqs(&mut self) {
        let now = self.now();
        let irq0 = self.pit.poll_irq0(now);
        self.pic.set_irq_sample(IRQ_PIT, irq0);
        self.pic.set_irq(IRQ_RTC, self.cmos.irq());
        self.pic
            .set_irq(IRQ_COM1, self.uarts[0].irq() || self.uarts[2].irq());
        self.pic
            .set_irq(IRQ_COM2, self.uarts[1].irq() || self.uarts[3].irq());
        self.pic.set_irq(floppy::IRQ, self.floppy.irq());
        self.pic.set_irq(IRQ_KBD, self.kbc.irq1());
        self.pic.set_irq(IRQ_MOUSE, self.kbc.irq12());
        self.pic.set_irq(IRQ_IDE0, self.ide.irq14());
        self.pic.set_irq(IRQ_IDE1, self.ide.irq15());
        self.pic.set_irq(IRQ_FPU, self.ferr_latch);
    }

    /// Moves data between the floppy controller and RAM while it asks for
    /// DMA and the DMA controller has channel 2 ready.
    fn pump_dma(&mut self) {
        let now = self.now();
        let mut guard = 0;
        while let Some(want) = self.floppy.dma_request() {
            guard += 1;
            let Some(t) = self
                .dma
                .next_transfer(floppy::DMA_CHANNEL, want.min(DMA_RUN))
            else {
                break;
            };
            if t.len == 0 || guard > 4096 {
                break;
            }
            let n = match t.direction {
                Direction::ToMemory => {
                    let n = self.floppy.dma_read(&mut self.dma_buf[..t.len], now);
                    for i in 0..n {
                        let phys = t.addr.wrapping_add(i as u32);
                        if let Some(off) = self.mem.ram_offset(phys) {
                            self.mem.bytes[off] = self.dma_buf[i];
                            self.mark_dirty(off);
                        }
                    }
                    if let Some(off) = self.mem.ram_offset(t.addr) {
                        self.dma_dirty.push((off, n));
                    }
                    n
                }
                Direction::FromMemory => {
                    for i in 0..t.len {
                        let phys = t.addr.wrapping_add(i as u32);
                        self.dma_buf[i] = match self.mem.map_page(phys) {
                            PageMap::Direct { offset, .. } => {
                                self.mem.bytes[offset + (phys & 0xFFF) as usize]
                            }
                            PageMap::Mmio => 0xFF,
                        };
                    }
                    self.floppy.dma_write(&self.dma_buf[..t.len], now)
                }
                Direction::Verify => self.floppy.dma_read(&mut self.dma_buf[..t.len], now),
            };
            let tc = self.dma.complete(floppy::DMA_CHANNEL, n);
            self.floppy.dma_complete(tc, now);
            if n == 0 {
                break;
            }
        }
    }

    /// Tells the IDE where the PIIX3 put its bus-master block (BAR4) and
    /// whether bus mastering is enabled.
    fn route_bus_master(&mut self) {
        let enabled = self
            .pci
            .function(oxbox_devices::pci::IDE_DEVFN)
            .is_some_and(|f| f.command() & oxbox_devices::pci::CMD_BUS_MASTER != 0);
        self.ide
            .set_bus_master(self.pci.ide_bus_master_base(), enabled);
    }

    /// Lets the IDE bus-master engines move data to and from RAM.
    fn pump_ide_dma(&mut self) {
        let now = self.now();
        let mut ram = BusMasterRam {
            mem: &mut self.mem,
            dirty: &mut self.dirty,
            dma_dirty: &mut self.dma_dirty,
        };
        self.ide.run_dma(&mut ram, now);
    }

    /// The A20 line: the 8042 output port's gate and port 92h's are ORed.
    pub fn a20_line(&self) -> bool {
        self.kbc.a20() || self.sysctl_a & SYSCTL_A20 != 0
    }

    #[inline]
    pub fn mark_dirty(&mut self, offset: usize) {
        let page = offset >> 12;
        if let Some(w) = self.dirty.get_mut(page / 64) {
            *w |= 1 << (page % 64);
        }
    }

    /// Pages written since tracking restarted, as host offsets.
    pub fn dirty_pages(&self) -> impl Iterator<Item = usize> + '_ {
        self.dirty.iter().enumerate().flat_map(|(i, &w)| {
            (0..64)
                .filter(move |b| w & (1u64 << b) != 0)
                .map(move |b| (i * 64 + b) << 12)
        })
    }

    pub fn clear_dirty(&mut self) {
        self.dirty.fill(0);
        self.vga_touched = false;
    }

    /// Returns the chips to their power-on state (a hardware reset). CMOS
    /// memory and the RTC survive, as they are battery backed.
    pub fn reset_devices(&mut self) {
        self.pic = Pic::new();
        self.pit = Pit::new();
        for u in &mut self.uarts {
            *u = Uart::new(u.base());
        }
        if self
            .pci
            .function(oxbox_devices::pci::HOST_BRIDGE_DEVFN)
            .is_some()
        {
            self.pci = PciBus::i440fx(oxbox_devices::pci::DEFAULT_LFB_SIZE, self.vga_rom_bar);
        }
        self.mem.map = self.chipset_map();
        self.ide.reset_bus_master();
        self.route_bus_master();
        self.vga = Vga::new();
        self.dma = Dma::new();
        self.kbc = I8042::new();
        self.kbc_a20 = self.kbc.a20();
        let mut fdc = Floppy::new();
        for d in 0..2 {
            if let (Some(store), wp) = (self.floppy.eject(d), self.floppy_wp[d]) {
                if let Err(e) = fdc.insert(d, store, wp) {
                    log::warn!("floppy {d} after reset: {e:?}");
                }
            }
        }
        self.floppy = fdc;
        self.sysctl_a = 0;
        self.requests = Requests::default();
        self.refresh_irqs();
    }

    /// Writes disk data to the host.
    pub fn flush_disks(&mut self) -> Result<(), crate::Error> {
        self.floppy
            .flush()
            .map_err(|e| crate::Error::BadConfig(format!("cannot write the floppy image: {e}")))?;
        self.ide
            .flush()
            .map_err(|e| crate::Error::BadConfig(format!("cannot write a disk image: {e}")))?;
        Ok(())
    }

    /// The offset into video memory of a linear-framebuffer address.
    fn lfb_offset(&self, phys: u32) -> Option<u32> {
        let base = self.pci.vga_lfb_base()?;
        let off = phys.checked_sub(base)?;
        ((off as usize) < self.vga.vram_size()).then_some(off)
    }

    /// The memory map the chipset registers describe.
    pub fn chipset_map(&self) -> MapState {
        MapState {
            pam: self.pci.pam_areas(),
            vga_rom_base: self.pci.vga_rom_base(),
        }
    }

    /// The UART for a port, if the port belongs to one.
    fn uart_for(&mut self, port: u16) -> Option<&mut Uart> {
        self.uarts
            .iter_mut()
            .find(|u| (u.base()..u.base() + 8).contains(&port))
    }
}

impl Bus for PcBus {
    #[inline(always)]
    fn memory(&mut self) -> &mut [u8] {
        &mut self.mem.bytes
    }

    fn map_page(&mut self, phys: u32) -> PageMap {
        self.mem.map_page(phys)
    }

    fn read_slow(&mut self, phys: u32) -> u8 {
        if (vga::MMIO_BASE..vga::MMIO_BASE + vga::MMIO_SIZE).contains(&phys) {
            let now = self.now();
            return self.vga.mem_read(phys, now);
        }
        if let Some(off) = self.lfb_offset(phys) {
            return self.vga.lfb_read(off);
        }
        0xFF
    }

    fn write_slow(&mut self, phys: u32, value: u8) {
        if (vga::MMIO_BASE..vga::MMIO_BASE + vga::MMIO_SIZE).contains(&phys) {
            self.vga.mem_write(phys, value);
            self.vga_touched = true;
        } else if let Some(off) = self.lfb_offset(phys) {
            self.vga.lfb_write(off, value);
            self.vga_touched = true;
        } else if self.mem.write_slow(phys, value) {
            self.mark_dirty(phys as usize);
        } else {
            log::trace!("write {value:#04x} to unmapped or read-only {phys:#010x} ignored");
        }
    }

    #[inline(always)]
    fn note_ram_write(&mut self, offset: usize) {
        self.mark_dirty(offset);
    }

    #[inline(always)]
    fn sync(&mut self, icount: u64) {
        self.icount = icount;
    }

    fn io_in(&mut self, port: u16, size: u8) -> u32 {
        let v = self.port_read(port, size);
        log::trace!(target: "oxbox::io", "in  {port:#06x}/{size} -> {v:#x}");
        v
    }

    fn io_out(&mut self, port: u16, size: u8, value: u32) -> bool {
        log::trace!(target: "oxbox::io", "out {port:#06x}/{size} <- {value:#x}");
        self.port_write(port, size, value)
    }

    #[inline(always)]
    fn interrupt_pending(&mut self) -> bool {
        self.pic.interrupt_pending()
    }

    fn acknowledge_interrupt(&mut self) -> u8 {
        self.pic.acknowledge()
    }
}

impl PcBus {
    fn port_read(&mut self, port: u16, size: u8) -> u32 {
        let now = self.now();
        let ones = match size {
            1 => 0xFF,
            2 => 0xFFFF,
            _ => u32::MAX,
        };
        if let Some(c) = self.consoles.iter_mut().find(|c| c.port() == port) {
            return c.read(port, size, now);
        }
        let v = match port {
            0x20 | 0x21 | 0xA0 | 0xA1 | 0x4D0 | 0x4D1 => self.pic.read(port, size, now),
            0x40..=0x43 | 0x61 => {
                let v = self.pit.read(port, size, now);
                self.refresh_irqs();
                v
            }
            0x70..=0x71 => {
                let v = self.cmos.read(port, size, now);
                self.refresh_irqs();
                v
            }
            PORT_SYSCTL_A => self.sysctl_a as u32 | (ones & !0xFF),
            0xCF8..=0xCFF => self.pci.read(port, size, now),
            p if Vga::handles_port(p) => {
                // Reads move the attribute flip-flop and DAC indexes.
                self.vga_touched = true;
                self.vga.read(port, size, now)
            }
            0x00..=0x0F | 0x80..=0x8F | 0xC0..=0xDF => self.dma.read(port, size, now),
            0x60 | 0x64 => {
                let v = self.kbc.read(port, size, now);
                self.refresh_irqs();
                v
            }
            p if self.ide.decodes(p) => {
                let v = self.ide.read(port, size, now);
                self.refresh_irqs();
                v
            }
            0x3F0..=0x3F5 | 0x3F7 => {
                let v = self.floppy.read(port, size, now);
                self.pump_dma();
                self.refresh_irqs();
                v
            }
            0x510..=0x511 => self.fw_cfg.read(port, size, now),
            _ => {
                if let Some(u) = self.uart_for(port) {
                    let v = u.read(port, size, now);
                    self.refresh_irqs();
                    return v;
                }
                log::trace!("in {port:#06x} (size {size}) from nothing");
                ones
            }
        };
        v
    }

    fn port_write(&mut self, port: u16, size: u8, value: u32) -> bool {
        let now = self.now();
        if let Some(c) = self.consoles.iter_mut().find(|c| c.port() == port) {
            c.write(port, size, value, now);
            // The machine drains the console after every byte, so a long
            // REP OUTSB cannot pile up output (or hide a stop marker).
            return true;
        }
        if let Some(d) = self.debug_exit.as_mut().filter(|d| d.port() == port) {
            d.write(port, size, value, now);
            self.requests.exit = d.take_exit();
            return true;
        }
        match port {
            0x20 | 0x21 | 0xA0 | 0xA1 | 0x4D0 | 0x4D1 => self.pic.write(port, size, value, now),
            0x40..=0x43 | 0x61 => self.pit.write(port, size, value, now),
            0x70..=0x71 => self.cmos.write(port, size, value, now),
            PORT_SYSCTL_A => {
                let v = value as u8;
                let old = self.sysctl_a;
                self.sysctl_a = v & (SYSCTL_A20 | SYSCTL_RESET);
                if (old ^ v) & SYSCTL_A20 != 0 {
                    self.requests.a20 = Some(self.a20_line());
                }
                if v & SYSCTL_RESET != 0 && old & SYSCTL_RESET == 0 {
                    self.requests.reset = true;
                }
                return self.requests.a20.is_some() || self.requests.reset;
            }
            0xCF8..=0xCFF => {
                self.pci.write(port, size, value, now);
                self.route_bus_master();
                if self.pci.take_reset_request().is_some() {
                    self.requests.reset = true;
                }
                let map = self.chipset_map();
                if map != self.mem.map {
                    self.mem.map = map;
                    self.requests.memory_map = true;
                }
                return self.requests.reset || self.requests.memory_map;
            }
            0x510..=0x511 => {
                self.fw_cfg.write(port, size, value, now);
                return false;
            }
            PORT_FPU_CLEAR => self.ferr_latch = false,
            p if Vga::handles_port(p) => {
                self.vga.write(port, size, value, now);
                self.vga_touched = true;
                return false;
            }
            0x00..=0x0F | 0x80..=0x8F | 0xC0..=0xDF => {
                self.dma.write(port, size, value, now);
                self.pump_dma();
            }
            0x60 | 0x64 => {
                self.kbc.write(port, size, value, now);
                if self.kbc.a20() != self.kbc_a20 {
                    self.kbc_a20 = self.kbc.a20();
                    self.requests.a20 = Some(self.a20_line());
                }
                if self.kbc.take_reset_request() {
                    self.requests.reset = true;
                }
            }
            p if self.ide.decodes(p) => {
                self.ide.write(port, size, value, now);
                self.pump_ide_dma();
            }
            0x3F0..=0x3F5 | 0x3F7 => {
                self.floppy.write(port, size, value, now);
                self.pump_dma();
            }
            _ => match self.uart_for(port) {
                Some(u) => u.write(port, size, value, now),
                None => {
                    log::trace!("out {port:#06x} (size {size}) = {value:#x} to nothing");
                    return false;
                }
            },
        }
        // A device was programmed: its outputs and deadlines may have moved.
        self.refresh_irqs();
        true
    }
}

/// RAM as the IDE bus master sees it: guest-physical addresses through
/// the chipset's map, in page-sized pieces. Reads outside RAM give all
/// ones and writes there are dropped (a bus master on a PC gets a master
/// abort); writes are recorded for snapshots and the code cache.
struct BusMasterRam<'a> {
    mem: &'a mut Memory,
    dirty: &'a mut Vec<u64>,
    dma_dirty: &'a mut Vec<(usize, usize)>,
}

impl BusMasterRam<'_> {
    /// Splits `len` bytes at `addr` into pieces that stay inside a page.
    fn pieces(addr: u32, len: usize) -> impl Iterator<Item = (u32, usize, usize)> {
        let mut done = 0;
        std::iter::from_fn(move || {
            if done >= len {
                return None;
            }
            let phys = addr.wrapping_add(done as u32);
            let n = (0x1000 - (phys & 0xFFF) as usize).min(len - done);
            let piece = (phys, done, n);
            done += n;
            Some(piece)
        })
    }
}

impl DmaMemory for BusMasterRam<'_> {
    fn read(&mut self, addr: u32, buf: &mut [u8]) {
        for (phys, at, n) in Self::pieces(addr, buf.len()) {
            let src = match self.mem.map_page(phys) {
                PageMap::Direct { offset, .. } => {
                    let o = offset + (phys & 0xFFF) as usize;
                    self.mem.bytes.get(o..o + n)
                }
                PageMap::Mmio => None,
            };
            match src {
                Some(src) => buf[at..at + n].copy_from_slice(src),
                None => buf[at..at + n].fill(0xFF),
            }
        }
    }

    fn write(&mut self, addr: u32, data: &[u8]) {
        for (phys, at, n) in Self::pieces(addr, data.len()) {
            let Some(o) = self.mem.ram_offset(phys) else {
                continue;
            };
            let Some(dst) = self.mem.bytes.get_mut(o..o + n) else {
                continue;
            };
            dst.copy_from_slice(&data[at..at + n]);
            if let Some(w) = self.dirty.get_mut(o >> 18) {
                *w |= 1 << ((o >> 12) % 64);
            }
            self.dma_dirty.push((o, n));
        }
    }
}

/// The state of every device and of the bus itself, for snapshots (RAM is
/// saved separately, page by page).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Devices {
    icount: u64,
    idle_ns: u64,
    pic: Pic,
    pit: Pit,
    cmos: Cmos,
    uarts: [Uart; 4],
    pci: PciBus,
    fw_cfg: FwCfg,
    dma: Dma,
    floppy: Floppy,
    kbc: I8042,
    ide: Ide,
    consoles: Vec<DebugCon>,
    debug_exit: Option<DebugExit>,
    sysctl_a: u8,
    kbc_a20: bool,
    ferr_latch: bool,
    map: MapState,
    /// Video memory is large: kept only when it changed since the baseline.
    vga: Option<Vga>,
}

/// Disk stores by drive slot: 0-1 floppy A:/B:, 2-5 IDE primary master,
/// primary slave, secondary master, secondary slave.
fn stores<'a>(
    floppy: &'a mut Floppy,
    ide: &'a mut Ide,
) -> Vec<(
    usize,
    &'a mut Box<dyn oxbox_devices::block::BlockStore + Send>,
)> {
    let mut v = floppy.stores_mut();
    v.extend(ide.stores_mut().into_iter().map(|(i, s)| (i + 2, s)));
    v
}

impl Devices {
    pub(crate) fn stores_mut(
        &mut self,
    ) -> Vec<(usize, &mut Box<dyn oxbox_devices::block::BlockStore + Send>)> {
        stores(&mut self.floppy, &mut self.ide)
    }
}

impl PcBus {
    /// Every attached disk's store by drive slot (see `stores`).
    pub(crate) fn stores_mut(
        &mut self,
    ) -> Vec<(usize, &mut Box<dyn oxbox_devices::block::BlockStore + Send>)> {
        stores(&mut self.floppy, &mut self.ide)
    }

    pub fn save_devices(&self) -> Devices {
        Devices {
            icount: self.icount,
            idle_ns: self.idle_ns,
            pic: self.pic.clone(),
            pit: self.pit.clone(),
            cmos: self.cmos.clone(),
            uarts: self.uarts.clone(),
            pci: self.pci.clone(),
            fw_cfg: self.fw_cfg.clone(),
            dma: self.dma.clone(),
            floppy: self.floppy.clone(),
            kbc: self.kbc.clone(),
            ide: self.ide.clone(),
            consoles: self.consoles.clone(),
            debug_exit: self.debug_exit.clone(),
            sysctl_a: self.sysctl_a,
            kbc_a20: self.kbc_a20,
            ferr_latch: self.ferr_latch,
            map: self.mem.map,
            vga: Some(self.vga.clone()),
        }
    }

    /// Restores devices; the VGA only if it changed (or `force_vga`).
    pub fn load_devices(&mut self, d: &Devices, force_vga: bool) {
        self.icount = d.icount;
        self.idle_ns = d.idle_ns;
        self.pic = d.pic.clone();
        self.pit = d.pit.clone();
        self.cmos = d.cmos.clone();
        self.uarts = d.uarts.clone();
        self.pci = d.pci.clone();
        self.fw_cfg = d.fw_cfg.clone();
        self.dma = d.dma.clone();
        self.floppy = d.floppy.clone();
        self.kbc = d.kbc.clone();
        self.ide = d.ide.clone();
        self.consoles = d.consoles.clone();
        self.debug_exit = d.debug_exit.clone();
        self.sysctl_a = d.sysctl_a;
        self.kbc_a20 = d.kbc_a20;
        self.ferr_latch = d.ferr_latch;
        self.mem.map = d.map;
        if self.vga_touched || force_vga {
            if let Some(v) = &d.vga {
                self.vga.clone_from(v);
            }
        }
        self.requests = Requests::default();
        self.dma_dirty.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxbox_devices::block::MemStore;
    use oxbox_devices::ide::Drive;
    use oxbox_devices::pci::{self, IDE_DEVFN};

    const RAM: usize = 2 << 20;
    const BM: u16 = 0xC000;

    /// A PCI PC with 2 MiB of RAM and a disk whose sector `n` is filled
    /// with `n as u8`, at 10 ns per instruction.
    fn pc() -> PcBus {
        let mem = Memory::new(RAM, &[0xF4; 0x1_0000], &[]);
        let mut bus = PcBus::new(mem, 10, DateTime::from_unix(0));
        bus.pci = PciBus::i440fx(pci::DEFAULT_LFB_SIZE, 0);
        let mut disk = vec![0u8; 64 * 512];
        for (n, s) in disk.chunks_mut(512).enumerate() {
            s.fill(n as u8);
        }
        bus.ide
            .channel_mut(0)
            .attach(false, Drive::disk(Box::new(MemStore(disk))));
        bus
    }

    fn config_write(bus: &mut PcBus, devfn: u8, offset: u8, value: u32) {
        let addr = 0x8000_0000 | u32::from(devfn) << 8 | u32::from(offset);
        bus.io_out(0xCF8, 4, addr);
        bus.io_out(0xCFC, 4, value);
    }

    /// Runs devices to `icount` instructions.
    fn at(bus: &mut PcBus, icount: u64) {
        bus.sync(icount);
        bus.service(icount);
    }

    /// The guest programs BAR4 and the command register through CF8h/CFCh,
    /// then runs READ DMA of 2 sectors into a region that ends past the
    /// top of RAM: the part in RAM lands there (marked dirty for snapshots
    /// and the code cache), the rest is dropped, and IRQ14 arrives with
    /// the bus-master Interrupt bit.
    #[test]
    fn ide_bus_master_dma_through_the_pci_bar() {
        let mut bus = pc();
        assert!(!bus.ide.decodes(BM));
        config_write(&mut bus, IDE_DEVFN, 0x20, u32::from(BM) | 1);
        config_write(&mut bus, IDE_DEVFN, 0x04, 0x0001);
        assert!(bus.ide.decodes(BM), "I/O decoding on");
        config_write(&mut bus, IDE_DEVFN, 0x04, 0x0005);

        // Descriptors at 8000h: 512 bytes at 9000h, then 512 bytes that
        // start 256 bytes below the end of RAM.
        let prd = [(0x9000u32, 512u32), (RAM as u32 - 256, 512 | 1 << 31)];
        for (i, (addr, count)) in prd.iter().enumerate() {
            let o = 0x8000 + 8 * i;
            bus.mem.bytes[o..o + 4].copy_from_slice(&addr.to_le_bytes());
            bus.mem.bytes[o + 4..o + 8].copy_from_slice(&count.to_le_bytes());
        }
        bus.dirty.fill(0);
        bus.io_out(BM + 4, 4, 0x8000);
        bus.io_out(BM, 1, 0x08);
        for (port, v) in [
            (0x1F2, 2),
            (0x1F3, 7),
            (0x1F4, 0),
            (0x1F5, 0),
            (0x1F6, 0xE0),
        ] {
            bus.io_out(port, 1, v);
        }
        bus.io_out(0x1F7, 1, 0xC8); // READ DMA
        bus.io_out(BM, 1, 0x09); // Start, to memory
        assert_eq!(bus.io_in(BM + 2, 1), 0x01, "Active");
        at(&mut bus, 200); // the device's BSY period ends: data moves
        assert_eq!(bus.io_in(BM + 2, 1), 0x00, "table used up");
        assert!(bus.mem.bytes[0x9000..0x9200].iter().all(|&b| b == 7));
        assert!(bus.mem.bytes[RAM - 256..RAM].iter().all(|&b| b == 8));
        assert_eq!(bus.mem.bytes[RAM], 0xF4, "ROM past RAM untouched");
        assert_eq!(bus.dirty[0] & (1 << 9), 1 << 9, "page 9000h dirty");
        assert!(bus.dma_dirty.contains(&(0x9000, 512)));
        at(&mut bus, 400);
        assert!(bus.ide.irq14());
        assert_eq!(bus.io_in(BM + 2, 1), 0x04, "Interrupt");
        assert_eq!(bus.io_in(0x1F7, 1), 0x50);

        // Bus mastering off in PCI: the engine does not move data.
        config_write(&mut bus, IDE_DEVFN, 0x04, 0x0001);
        bus.io_out(BM + 2, 1, 0x06);
        bus.mem.bytes[0x9000] = 0;
        for (port, v) in [
            (0x1F2, 2),
            (0x1F3, 7),
            (0x1F4, 0),
            (0x1F5, 0),
            (0x1F6, 0xE0),
        ] {
            bus.io_out(port, 1, v);
        }
        bus.io_out(0x1F7, 1, 0xC8);
        bus.io_out(BM, 1, 0x00);
        bus.io_out(BM, 1, 0x09);
        at(&mut bus, 1_000);
        assert_eq!(bus.mem.bytes[0x9000], 0);
        assert_eq!(bus.io_in(0x1F7, 1), 0x58, "the device still waits");
    }
}
