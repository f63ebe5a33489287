//! The CPU's only window on the machine.

/// How a physical page is reached, as the TLB caches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageMap {
    /// Backed by [`Bus::memory`] at this byte offset (page aligned).
    /// `writable` is false for ROM: writes then take the slow path and are
    /// handed to [`Bus::write_slow`], which may ignore them.
    Direct { offset: usize, writable: bool },
    /// Memory-mapped I/O or unmapped space: every access goes through
    /// [`Bus::read_slow`]/[`Bus::write_slow`].
    Mmio,
}

/// Everything outside the CPU: memory, ports and the interrupt line.
///
/// The CPU is generic over its bus, so these calls are resolved statically.
/// A bus owns what it reaches (`'static`), so hooks over it can be boxed.
pub trait Bus: 'static {
    /// The host bytes behind every [`PageMap::Direct`] page.
    fn memory(&mut self) -> &mut [u8];
    /// Classifies the 4 KiB physical page holding `phys`.
    fn map_page(&mut self, phys: u32) -> PageMap;
    /// A byte read from a page that is not directly mapped.
    fn read_slow(&mut self, phys: u32) -> u8;
    /// A byte write to a page that is not directly writable.
    fn write_slow(&mut self, phys: u32, value: u8);
    /// Port input of `size` (1, 2 or 4) bytes.
    fn io_in(&mut self, port: u16, size: u8) -> u32;
    /// Port output; returns true when the machine must regain control before
    /// the next instruction (a device rescheduled, an exit was requested).
    fn io_out(&mut self, port: u16, size: u8, value: u32) -> bool;
    /// A guest write is about to change directly mapped memory at host
    /// offset `offset` (reported at least once per page after each
    /// `Cpu::restart_write_tracking`): how a machine tracks dirty pages.
    #[inline(always)]
    fn note_ram_write(&mut self, _offset: usize) {}
    /// Called with the retired-instruction count right before every port
    /// access and every slow (MMIO) memory access, so devices see exact
    /// virtual time.
    #[inline(always)]
    fn sync(&mut self, _icount: u64) {}
    /// The INTR line.
    fn interrupt_pending(&mut self) -> bool;
    /// The INTA cycle: the vector of the highest-priority pending interrupt.
    fn acknowledge_interrupt(&mut self) -> u8;
}
