//! Fuzz inputs replayed under `cargo test`, through the same checks the fuzz
//! targets run (`tests/fuzz_harness/mod.rs`, included below): the seed inputs, so the
//! harness itself keeps compiling and passing, and every minimised crash the
//! fuzzers found, so it stays fixed. To add a crash, put its bytes in `CRASHES`
//! with the target's name and a line on what it broke.

// The harness panics on purpose: that is how libFuzzer learns of a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "fuzz_harness/mod.rs"]
#[allow(dead_code)]
mod harness;

/// Minimised inputs that made a target fail: (target, input).
const CRASHES: &[(&str, &[u8])] = &[];

fn replay(target: &str, data: &[u8]) {
    match target {
        "compile" => harness::compile_target(data),
        "changes" => harness::changes_target(data),
        other => panic!("unknown fuzz target `{other}`"),
    }
}

#[test]
fn seed_policies_pass_the_compile_target() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policies");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let data = std::fs::read(&path).unwrap();
            // The seed must be a compiling policy, or it seeds nothing.
            let def: accessmask::PolicyDef = serde_json::from_slice(&data).unwrap();
            accessmask::Policy::compile(&def).unwrap();
            replay("compile", &data);
            n += 1;
        }
    }
    replay("compile", harness::MINI.as_bytes());
    assert!(n >= 4, "expected the example policies in {dir}");
}

#[test]
fn seed_changes_pass_the_changes_target() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fuzz_harness/seeds/changes"
    );
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        replay("changes", &data);
        n += 1;
    }
    assert!(n > 0, "expected seeds in {dir}");
}

#[test]
fn every_base_policy_with_every_byte() {
    // A short bytes-mode input per base and per first choice.
    for head in 0..32u8 {
        for second in [0u8, 7, 42, 99, 200, 255] {
            replay("changes", &[head, second, 3, second, 1, 250, 4, 9]);
        }
    }
}

#[test]
fn minimised_crashes_stay_fixed() {
    for (target, data) in CRASHES {
        replay(target, data);
    }
}
