//! Principal benches: building a principal from a row, `can_principal` against the
//! bare-bitmask floor on the same queries (hot and cold), with exceptions, and the
//! engine's memory while 1M distinct users are served as principals.
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use accessmask::{ExceptionDef, Policy, PolicyDef, Principal, PrincipalDef, Resource};
use common::{generate, kind_name, Floor, Ids, Shape, XorShift};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

/// The process's resident set, in KiB (Linux), for the memory figure.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Subject names to their index in `doc`.
fn index(doc: &PolicyDef) -> HashMap<String, u64> {
    doc.subjects
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.to_string(), i as u64))
        .collect()
}

/// The row of subject `i` of `doc`, managed users by index.
fn row(doc: &PolicyDef, keys: &HashMap<String, u64>, i: usize) -> PrincipalDef {
    let (_, s) = doc.subjects.0.get(i).unwrap();
    PrincipalDef {
        role: s.role.clone(),
        toggles: s.toggles.clone(),
        levels: s.levels.clone(),
        exceptions: s.exceptions.clone(),
        restrictions: s.restrictions.clone(),
        manages: s.manages.iter().map(|m| keys[m.as_str()].into()).collect(),
    }
}

/// Role + 2 toggles + 1 level + 3 exceptions, on the 6-kind seed shape.
fn typical_row() -> PrincipalDef {
    let mut r = PrincipalDef::new("Editor");
    r.toggles = vec!["HR Manager".into(), "Billing Override".into()];
    r.levels.insert(kind_name(1), "Read Only".to_string());
    for (k, id) in [(0, 11), (2, 12), (4, 13)] {
        r.exceptions.push(ExceptionDef::allow_deny(
            kind_name(k),
            id,
            Vec::<String>::new(),
            ["view"],
        ));
    }
    r
}

fn principal(c: &mut Criterion) {
    let shape = Shape::seed(100_000);
    let doc = generate(&shape);
    let policy = Policy::compile(&doc).unwrap();
    let keys = index(&doc);
    let ids = Ids::of(&policy);
    let floor = Floor::of(&policy, &ids);
    let mut g = c.benchmark_group("principal");

    let typical = typical_row();
    policy.principal(1, &typical).unwrap();
    g.bench_function("build/role+2toggles+level+3exceptions", |b| {
        b.iter(|| policy.principal(black_box(1), black_box(&typical)).unwrap())
    });

    // The same queries for the floor and the principal: random kinds and actions.
    let mut rng = XorShift::new(7);
    let qs: Vec<(usize, accessmask::ActionId)> = (0..1024)
        .map(|_| {
            let a = ids.random_action(&mut rng);
            (ids.kinds.iter().position(|&k| k == a.kind()).unwrap(), a)
        })
        .collect();
    // Hot: one user (the hot directory subject `u0`, a plain Editor).
    let hot = policy.principal(0, &row(&doc, &keys, 0)).unwrap();
    let mut i = 0usize;
    g.bench_function(BenchmarkId::new("can", "hot/floor"), |b| {
        b.iter(|| {
            let (k, a) = qs[i & 1023];
            i = i.wrapping_add(1);
            floor.can(black_box(0), black_box(k), black_box(a.mask()))
        })
    });
    g.bench_function(BenchmarkId::new("can", "hot/principal"), |b| {
        b.iter(|| {
            let (_, a) = qs[i & 1023];
            i = i.wrapping_add(1);
            let r = Resource::new(a.kind());
            policy.can_principal(black_box(&hot), black_box(a), black_box(&r))
        })
    });
    g.bench_function(BenchmarkId::new("can", "hot/directory"), |b| {
        b.iter(|| {
            let (_, a) = qs[i & 1023];
            i = i.wrapping_add(1);
            let r = Resource::new(a.kind());
            policy.can(black_box(ids.subjects[0]), black_box(a), black_box(&r))
        })
    });
    // Cold: 100k users, one drawn at random per query.
    let users: Vec<Principal> = (0..shape.subjects)
        .map(|i| policy.principal(i as u64, &row(&doc, &keys, i)).unwrap())
        .collect();
    let picks: Vec<usize> = (0..1 << 20).map(|_| rng.below(users.len())).collect();
    g.bench_function(BenchmarkId::new("can", "cold/floor"), |b| {
        b.iter(|| {
            let u = picks[i & ((1 << 20) - 1)];
            let (k, a) = qs[i & 1023];
            i = i.wrapping_add(1);
            floor.can(black_box(u), black_box(k), black_box(a.mask()))
        })
    });
    g.bench_function(BenchmarkId::new("can", "cold/principal"), |b| {
        b.iter(|| {
            let u = picks[i & ((1 << 20) - 1)];
            let (_, a) = qs[i & 1023];
            i = i.wrapping_add(1);
            let r = Resource::new(a.kind());
            policy.can_principal(black_box(&users[u]), black_box(a), black_box(&r))
        })
    });
    // With exceptions, asking about the instances they name and others.
    let with = policy.principal(1, &typical).unwrap();
    g.bench_function(BenchmarkId::new("can", "exceptions/principal"), |b| {
        b.iter(|| {
            let (_, a) = qs[i & 1023];
            i = i.wrapping_add(1);
            let r = Resource::new(a.kind()).with_id(10 + (i as u64 & 3));
            policy.can_principal(black_box(&with), black_box(a), black_box(&r))
        })
    });
    g.finish();
    drop(users);

    // Memory: serve 1M distinct users (keys, and rows cycling through every
    // subject's combination plus the typical one) as principals, one at a time.
    let profiles_before = policy.clone();
    let before = rss_kib();
    let mut allowed = 0usize;
    for key in 0..1_000_000u64 {
        let r = if key % 7 == 0 {
            typical.clone()
        } else {
            row(&doc, &keys, (key as usize) % 1000)
        };
        let p = policy.principal(key, &r).unwrap();
        let a = qs[key as usize & 1023].1;
        allowed += usize::from(policy.can_principal(&p, a, &Resource::new(a.kind())));
    }
    let after = rss_kib();
    // The policy itself is untouched: principals are built from `&Policy`.
    assert_eq!(profiles_before, policy);
    println!(
        "principal/memory: resident {before} KiB before, {after} KiB after 1M distinct \
         principals ({allowed} checks allowed)"
    );
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
    targets = principal
}
criterion_main!(benches);
