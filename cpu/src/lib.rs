//! x86 CPU.
