//! Bytes -> `PolicyDef` (JSON) -> `Policy::compile` -> every query API.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| accessmask_fuzz::compile_target(data));
