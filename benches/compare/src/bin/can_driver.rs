//! A tiny driver for `valgrind --tool=callgrind`: runs one kind of `can` query in
//! a loop inside `#[inline(never)]` functions, so instruction counts per check can
//! be read off (`--toggle-collect='*run_*'`, then divide by the loop count).
//!
//! ```text
//! cargo build --release --manifest-path benches/compare/Cargo.toml --bin can_driver
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*run_*' \
//!     benches/compare/target/release/can_driver 100000
//! callgrind_annotate callgrind.out.<pid>
//! ```

use std::hint::black_box;

use accessmask::{Policy, Resource};

#[path = "../../../common/mod.rs"]
mod common;

use common::{exception_targets, has_exceptions, queries, Floor, Ids, Query, Shape, HOT};

#[inline(never)]
fn run_floor(floor: &Floor, qs: &[Query], loops: usize) -> usize {
    let mut n = 0;
    for i in 0..loops {
        let q = &qs[i % qs.len()];
        n += usize::from(floor.can(
            black_box(q.subject.index()),
            black_box(q.action.kind().index()),
            black_box(q.action.mask()),
        ));
    }
    n
}

#[inline(always)]
fn check_loop(policy: &Policy, qs: &[(Query, Resource)], loops: usize) -> usize {
    let mut n = 0;
    for i in 0..loops {
        let (q, r) = &qs[i % qs.len()];
        n += usize::from(policy.can(black_box(q.subject), black_box(q.action), black_box(r)));
    }
    n
}

#[inline(never)]
fn run_can_hot_kind(policy: &Policy, qs: &[(Query, Resource)], loops: usize) -> usize {
    // Distinct bodies, so the compiler does not merge these functions.
    check_loop(policy, qs, loops) + black_box(0)
}

#[inline(never)]
fn run_can_hot_instance(policy: &Policy, qs: &[(Query, Resource)], loops: usize) -> usize {
    // Distinct bodies, so the compiler does not merge these functions.
    check_loop(policy, qs, loops) + black_box(1)
}

#[inline(never)]
fn run_can_random(policy: &Policy, qs: &[(Query, Resource)], loops: usize) -> usize {
    // Distinct bodies, so the compiler does not merge these functions.
    check_loop(policy, qs, loops) + black_box(2)
}

#[inline(never)]
fn run_can_exceptions(policy: &Policy, qs: &[(Query, Resource)], loops: usize) -> usize {
    // Distinct bodies, so the compiler does not merge these functions.
    check_loop(policy, qs, loops) + black_box(3)
}

fn main() {
    let loops: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let shape = Shape::seed(1_000);
    let policy = common::compile(&shape);
    let ids = Ids::of(&policy);
    let floor = Floor::of(&policy, &ids);
    let all: Vec<usize> = (0..shape.subjects).collect();
    let hot = queries(&ids, &[HOT], 1024, 1000, 1);
    let random = queries(&ids, &all, 1024, 1000, 2);
    let with_ids = |qs: &[Query]| -> Vec<(Query, Resource)> {
        qs.iter()
            .map(|q| (*q, policy.resource(q.action.kind()).with_id(q.id)))
            .collect()
    };
    let kind_only: Vec<(Query, Resource)> = hot
        .iter()
        .map(|q| (*q, policy.resource(q.action.kind())))
        .collect();
    let exc: Vec<(Query, Resource)> = (0..shape.subjects)
        .filter(|&i| has_exceptions(&shape, i))
        .flat_map(|i| {
            exception_targets(&shape, i)
                .into_iter()
                .map(move |t| (i, t))
        })
        .map(|(i, (k, id))| {
            let q = Query {
                subject: ids.subjects[i],
                action: ids.actions[k][0],
                id,
            };
            (q, policy.resource(ids.kinds[k]).with_id(id))
        })
        .collect();
    let mut total = 0;
    total += run_floor(&floor, &hot, loops);
    total += run_can_hot_kind(&policy, &kind_only, loops);
    total += run_can_hot_instance(&policy, &with_ids(&hot), loops);
    total += run_can_random(&policy, &with_ids(&random), loops);
    total += run_can_exceptions(&policy, &exc, loops);
    println!("{loops} loops per case, {total} allowed");
}
