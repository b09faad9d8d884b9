//! Administration benches: one single-subject change on a seed-shaped policy of
//! 1M subjects (`Policy::change` returns a new snapshot sharing everything
//! unchanged). The old and new snapshots' drops are not timed.
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

use accessmask::{Change, ExceptionDef};
use common::{compile, kind_name, subject_name, Shape};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn change(c: &mut Criterion) {
    let policy = compile(&Shape::seed(1_000_000));
    // A subject in the middle, with a role that has no exceptions of its own.
    let who = subject_name(500_001);
    let changes = [
        (
            "set_level",
            Change::SetLevel {
                subject: who.clone(),
                kind: kind_name(2),
                level: Some("Read Only".into()),
            },
        ),
        (
            "set_role",
            Change::SetRole {
                subject: who.clone(),
                role: "Viewer".into(),
            },
        ),
        (
            "set_toggle",
            Change::SetToggle {
                subject: who.clone(),
                toggle: "HR Manager".into(),
                on: true,
            },
        ),
        (
            "set_exception",
            Change::SetException {
                subject: who.clone(),
                exception: ExceptionDef::allow_deny(kind_name(1), 42, ["edit"], ["delete"]),
            },
        ),
    ];
    let mut g = c.benchmark_group("change");
    for (label, ch) in &changes {
        // Sanity: the change applies.
        policy.change(ch).expect("change applies");
        g.bench_function(BenchmarkId::new(*label, "1M"), |b| {
            b.iter_with_large_drop(|| policy.change(black_box(ch)).expect("change applies"))
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = change
}
criterion_main!(benches);
