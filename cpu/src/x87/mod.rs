//! The x87 FPU: 80-bit extended precision in software.
//!
//! (Being written; until then every escape opcode behaves as on a CPU with
//! no coprocessor, see `system::esc_nofpu`.)

/// FPU register state.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fpu {}

impl Fpu {
    pub fn new() -> Self {
        Fpu {}
    }
}
