//! The fuzz targets' checks. They live in `tests/fuzz_harness/mod.rs`, inside the
//! root crate's package, so that `tests/fuzz_regressions.rs` replays saved inputs
//! through the same code from a published `.crate` too (this fuzz package is not
//! part of it).

#[path = "../../fuzz_harness/mod.rs"]
mod harness;

pub use harness::*;
