//! Counters of the work the CPU does besides executing ops: decoding,
//! page walks, lookups that miss, instructions run one at a time. They are
//! bumped only on paths that are already slow (never per op on the fast
//! path), so they cost nothing measurable; the benchmark guard test checks
//! them against ceilings so a change that makes the emulator do much more
//! of this work shows up in `cargo test`.

/// Totals since the CPU was created (see [`crate::Cpu::work_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkStats {
    /// Blocks decoded from guest bytes (cached ones and uncached
    /// one-instruction blocks for code outside plain RAM pages).
    pub blocks_decoded: u64,
    /// Block lookups the jump cache could not answer.
    pub jump_cache_misses: u64,
    /// Page walks: TLB misses of data and code accesses (also counted when
    /// paging is off, where the "walk" is the identity).
    pub page_walks: u64,
    /// Instructions run one at a time with the debug checks around them
    /// (single-step trap, interrupt shadow, breakpoints, RF).
    pub slow_steps: u64,
    /// Times cached code was dropped because its bytes were written.
    pub code_invalidations: u64,
    /// REP string runs done in bulk on host memory (see `string::fast_run`).
    pub rep_fast_runs: u64,
}
