//! Bytes -> a base policy and a sequence of `Change`s -> `change` / `apply`,
//! one by one and as batches.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| accessmask_fuzz::changes_target(data));
