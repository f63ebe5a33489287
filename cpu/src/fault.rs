//! Faults are values: memory accesses and checks return `Result<_, Fault>`
//! and `?` carries the fault to the dispatcher in [`crate::exec`].

/// The architectural exception vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exception {
    DivideError = 0,
    Debug = 1,
    Nmi = 2,
    Breakpoint = 3,
    Overflow = 4,
    BoundRange = 5,
    InvalidOpcode = 6,
    DeviceNotAvailable = 7,
    DoubleFault = 8,
    InvalidTss = 10,
    SegmentNotPresent = 11,
    StackFault = 12,
    GeneralProtection = 13,
    PageFault = 14,
    FloatingPoint = 16,
    AlignmentCheck = 17,
    MachineCheck = 18,
    Simd = 19,
}

/// An exception raised by an instruction, with its error code if it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub vector: Exception,
    pub error_code: Option<u32>,
}

impl Fault {
    pub const fn new(vector: Exception) -> Self {
        Fault {
            vector,
            error_code: None,
        }
    }
    pub const fn with_code(vector: Exception, code: u32) -> Self {
        Fault {
            vector,
            error_code: Some(code),
        }
    }
    pub const UD: Fault = Fault::new(Exception::InvalidOpcode);
    pub const DE: Fault = Fault::new(Exception::DivideError);
    pub const GP0: Fault = Fault::with_code(Exception::GeneralProtection, 0);
    pub const SS0: Fault = Fault::with_code(Exception::StackFault, 0);
}

pub type Result<T> = core::result::Result<T, Fault>;
