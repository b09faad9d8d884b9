//! Compile benches: `Policy::compile` on seed-shaped documents of 1k / 100k / 1M
//! subjects (5% of them with 2 exceptions), and on 100k subjects with ~1M
//! exceptions. The compiled policy's drop is not timed.
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

use std::hint::black_box;
use std::time::Duration;

use accessmask::Policy;
use common::{generate, Shape};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};

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

criterion_group!(benches, compile);
criterion_main!(benches);
