//! One SingleStepTests test case, whichever file format it came from.

/// Register names in the order of the MOO `REGS` bitmask (bit 0 = `ax`).
pub const REG_NAMES: [&str; 14] = [
    "ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags",
];

pub const AX: usize = 0;
pub const BX: usize = 1;
pub const CX: usize = 2;
pub const DX: usize = 3;
pub const CS: usize = 4;
pub const SS: usize = 5;
pub const DS: usize = 6;
pub const ES: usize = 7;
pub const SP: usize = 8;
pub const BP: usize = 9;
pub const SI: usize = 10;
pub const DI: usize = 11;
pub const IP: usize = 12;
pub const FLAGS: usize = 13;

/// The 16-bit register file; `present` has bit i set when register i is given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Regs {
    pub present: u16,
    pub v: [u16; 14],
}

impl Regs {
    pub fn get(&self, i: usize) -> Option<u16> {
        (self.present & (1 << i) != 0).then_some(self.v[i])
    }

    pub fn set(&mut self, i: usize, value: u16) {
        self.present |= 1 << i;
        self.v[i] = value;
    }

    /// `self` with every register that `over` gives replaced.
    pub fn overlay(&self, over: &Regs) -> Regs {
        let mut r = *self;
        for i in 0..14 {
            if let Some(v) = over.get(i) {
                r.set(i, v);
            }
        }
        r
    }

    pub fn complete(&self) -> bool {
        self.present & 0x3FFF == 0x3FFF
    }
}

/// What a bus cycle did, decoded from the CPU-specific status value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusKind {
    Code,
    MemRead,
    MemWrite,
    IoRead,
    IoWrite,
    Halt,
    IntAck,
    Passive,
}

/// A bus cycle in which an address was latched (ALE active).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cycle {
    pub addr: u32,
    pub kind: BusKind,
}

#[derive(Clone, Debug, Default)]
pub struct State {
    pub regs: Regs,
    /// Physical address, byte.
    pub ram: Vec<(u32, u8)>,
}

/// The exception or interrupt a test took (286 `EXCP` chunk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExceptionInfo {
    pub number: u8,
    /// Physical address of the FLAGS image pushed on the stack.
    pub flag_address: u32,
}

#[derive(Clone, Debug, Default)]
pub struct Test {
    /// Position in the file (0-based).
    pub index: usize,
    pub name: String,
    pub bytes: Vec<u8>,
    pub init: State,
    pub fina: State,
    /// Per-register AND masks from `RMSK` (file-wide and per-test combined).
    pub reg_mask: Option<Regs>,
    /// Address-latch cycles only.
    pub cycles: Vec<Cycle>,
    pub exception: Option<ExceptionInfo>,
    /// Lower-case hex of the test's hash, if the file has one.
    pub hash: Option<String>,
    /// The test uses the 32-bit (80386) register chunks, which this runner
    /// does not execute.
    pub wide: bool,
}

impl Test {
    /// The expected final registers: the initial set overlaid with the final one.
    pub fn expected_regs(&self) -> Regs {
        self.init.regs.overlay(&self.fina.regs)
    }

    /// The vector of the first interrupt-table read in the bus trace: two
    /// consecutive memory reads at 4*v and 4*v+2 (the 8086 reads the vector
    /// as two words before pushing anything).
    pub fn ivt_vector(&self) -> Option<u8> {
        let reads: Vec<u32> = self
            .cycles
            .iter()
            .filter(|c| c.kind == BusKind::MemRead)
            .map(|c| c.addr)
            .collect();
        reads
            .windows(2)
            .find(|w| w[0] % 4 == 0 && w[0] < 0x400 && w[1] == w[0] + 2)
            .map(|w| (w[0] / 4) as u8)
    }
}
