//! Compile benches: `Policy::compile` on seed-shaped documents of 1k / 100k / 1M
//! subjects (5% of them with 2 exceptions), and on 100k subjects with ~1M
//! exceptions. The compiled policy's drop is not timed.
//!
//! `compile/lists`: one long list per document (exceptions of one subject, ids of
//! one restriction, states, a base chain), at two or three lengths, with element
//! throughput so the per-item cost can be compared; and a `SetException` on a
//! subject with 200k exceptions.
//!
//! Memory of the compiled policy is measured by the comparison crate (a counting
//! global allocator needs `unsafe impl GlobalAlloc`, which this crate's
//! `unsafe_code = "forbid"` lint rules out for every target): run
//! `cargo run --release --manifest-path benches/compare/Cargo.toml -- memory`.
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

#[path = "common/mod.rs"]
mod common;
#[path = "lists/mod.rs"]
mod lists;

use std::hint::black_box;
use std::time::Duration;

use accessmask::{Change, Policy, PolicyDef};
use common::{generate, Shape};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};

fn compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    let cases = [
        ("subjects", "1k", Shape::seed(1_000)),
        ("subjects", "100k", Shape::seed(100_000)),
        ("subjects", "1M", Shape::seed(1_000_000)),
        (
            "exceptions",
            "100k_subjects_1M_exceptions",
            Shape {
                exception_every: 1,
                exceptions_per_subject: 10,
                ..Shape::seed(100_000)
            },
        ),
    ];
    for (name, label, shape) in cases {
        let def = generate(&shape);
        g.bench_with_input(BenchmarkId::new(name, label), &def, |b, def| {
            b.iter_with_large_drop(|| Policy::compile(black_box(def)).expect("compiles"))
        });
    }
    g.finish();
}

/// Ids spread over the whole `u64` range (no two share their low bits' pattern).
fn spread(n: u64) -> impl Iterator<Item = u64> {
    (0..n).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Resident memory of this process, from `/proc/self/statm` (Linux; 0 elsewhere).
fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .unwrap_or(0)
        * 4096
}

/// Prints the resident-memory growth of compiling the base chain of 8,000 roles
/// with 1,000 exceptions at the root, then the 100k-states x 1,000-roles document
/// (one state in ten held back by a rule). Each policy is dropped before the
/// next is built, so the second figure can be low by what the first freed.
fn memory() {
    for (label, def) in [
        (
            "base chain 8000, 1000 exceptions at the root",
            lists::base_chain(8_000, 1_000),
        ),
        ("100k states x 1000 roles", lists::states(100_000, 1_000)),
    ] {
        let before = resident_bytes();
        let policy = Policy::compile(&def).expect("compiles");
        let after = resident_bytes();
        let json = serde_json::to_string(&def).expect("serializes").len();
        eprintln!(
            "compile/lists memory {label}: document {} KB, compiled policy +{} MB resident ({before} -> {after})",
            json / 1024,
            after.saturating_sub(before) / (1024 * 1024)
        );
        drop(black_box(policy));
    }
}

/// Runs first, before other groups' documents fill the allocator's free lists.
fn memory_report(_: &mut Criterion) {
    memory();
}

fn lists(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile/lists");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(2));
    type Make = Box<dyn Fn() -> PolicyDef>;
    let cases: Vec<(&str, &str, u64, Make)> = vec![
        (
            "exceptions",
            "10k",
            10_000,
            Box::new(|| lists::subject_exceptions(spread(10_000))),
        ),
        (
            "exceptions",
            "100k",
            100_000,
            Box::new(|| lists::subject_exceptions(spread(100_000))),
        ),
        (
            "exceptions",
            "1M",
            1_000_000,
            Box::new(|| lists::subject_exceptions(spread(1_000_000))),
        ),
        (
            "restriction_ids",
            "10k",
            10_000,
            Box::new(|| lists::restriction_ids(10_000)),
        ),
        (
            "restriction_ids",
            "1M",
            1_000_000,
            Box::new(|| lists::restriction_ids(1_000_000)),
        ),
        ("states", "100", 100, Box::new(|| lists::states(100, 10))),
        (
            "states",
            "100k",
            100_000,
            Box::new(|| lists::states(100_000, 10)),
        ),
        (
            "base_chain",
            "100",
            100,
            Box::new(|| lists::base_chain(100, 1_000)),
        ),
        (
            "base_chain",
            "8000",
            8_000,
            Box::new(|| lists::base_chain(8_000, 1_000)),
        ),
    ];
    for (name, label, n, make) in cases {
        let def = make();
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::new(name, label), &def, |b, def| {
            b.iter_with_large_drop(|| Policy::compile(black_box(def)).expect("compiles"))
        });
    }
    // One change to a subject with 200k exceptions.
    let policy = Policy::compile(&lists::subject_exceptions(spread(200_000))).expect("compiles");
    let change = Change::SetException {
        subject: "u".into(),
        exception: lists::exception(7),
    };
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("set_exception", "200k"), |b| {
        b.iter_with_large_drop(|| policy.change(black_box(&change)).expect("applies"))
    });
    g.finish();
}

criterion_group!(benches, memory_report, compile, lists);
criterion_main!(benches);
