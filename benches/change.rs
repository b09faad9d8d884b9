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

use accessmask::{AdminRuleDef, Change, ExceptionDef, Policy, PolicyDef, RoleDef, SubjectDef};
use common::{compile, generate, kind_name, subject_name, Shape};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

/// One change of each single-subject sort, on subject `who`.
fn single_subject_changes(who: &str) -> [(&'static str, Change); 4] {
    [
        (
            "set_level",
            Change::SetLevel {
                subject: who.to_string(),
                kind: kind_name(2),
                level: Some("Read Only".into()),
            },
        ),
        (
            "set_role",
            Change::SetRole {
                subject: who.to_string(),
                role: "Viewer".into(),
            },
        ),
        (
            "set_toggle",
            Change::SetToggle {
                subject: who.to_string(),
                toggle: "HR Manager".into(),
                on: true,
            },
        ),
        (
            "set_exception",
            Change::SetException {
                subject: who.to_string(),
                exception: ExceptionDef::allow_deny(kind_name(1), 42, ["edit"], ["delete"]),
            },
        ),
    ]
}

fn change(c: &mut Criterion) {
    let policy = compile(&Shape::seed(1_000_000));
    // A subject in the middle, with a role that has no exceptions of its own.
    let who = subject_name(500_001);
    let changes = single_subject_changes(&who);
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

/// `doc` with an `admin` kind that Admins hold, and rules covering every change.
fn administered(mut doc: PolicyDef) -> Policy {
    doc.kinds.insert(
        "admin",
        serde_json::from_str(r#"{"actions": ["administer", "define_roles"]}"#).unwrap(),
    );
    let admin = doc.roles.get_mut("Admin").unwrap();
    *admin = admin.clone().grant("admin", ["*"]);
    let rule = |json: &str| -> AdminRuleDef { serde_json::from_str(json).unwrap() };
    doc.admin.push(rule(
        r#"{"changes": ["set_level", "set_role", "set_toggle", "set_exception"],
            "requires": {"kind": "admin", "action": "administer"}}"#,
    ));
    doc.admin.push(rule(
        r#"{"changes": ["define_role"], "requires": {"kind": "admin", "action": "define_roles"}}"#,
    ));
    Policy::compile(&doc).unwrap()
}

/// Makes `u1` a plain Admin and `u2` a plain Guest (the actors), and `u3` a
/// Manager with one exception who manages `u4` (the subject changed).
fn with_actors(mut doc: PolicyDef) -> (PolicyDef, String, String) {
    let (admin, guest) = (subject_name(1), subject_name(2));
    *doc.subjects.get_mut(&admin).unwrap() = SubjectDef::new("Admin");
    *doc.subjects.get_mut(&guest).unwrap() = SubjectDef::new("Guest");
    // The subject changed: the same at every size.
    *doc.subjects.get_mut(&subject_name(3)).unwrap() = SubjectDef::new("Manager")
        .manages(subject_name(4))
        .exception(ExceptionDef::allow_deny(
            kind_name(0),
            9,
            Vec::<String>::new(),
            ["delete"],
        ));
    (doc, admin, guest)
}

/// Permissioned changes (`apply`) side by side with the same change unchecked
/// (`change`), at 10 and at 1M subjects; refusals; a role held by 100k subjects.
fn apply(c: &mut Criterion) {
    let mut g = c.benchmark_group("apply");
    for n in [10usize, 1_000_000] {
        let shape = Shape::seed(n);
        let (doc, admin, guest) = with_actors(generate(&shape));
        let policy = administered(doc);
        let who = subject_name(3);
        let changes = single_subject_changes(&who);
        let size = if n == 10 { "10" } else { "1M" };
        for (label, ch) in &changes {
            policy.apply(admin.as_str(), ch).expect("admin may");
            g.bench_function(BenchmarkId::new(format!("{label}/change"), size), |b| {
                b.iter_with_large_drop(|| policy.change(black_box(ch)).unwrap())
            });
            g.bench_function(BenchmarkId::new(format!("{label}/apply"), size), |b| {
                b.iter_with_large_drop(|| {
                    policy
                        .apply(black_box(admin.as_str()), black_box(ch))
                        .unwrap()
                })
            });
        }
        let (_, ch) = &changes[0];
        assert!(policy.apply("nobody", ch).is_err());
        assert!(policy.apply(guest.as_str(), ch).is_err());
        g.bench_function(BenchmarkId::new("refused/unknown_actor", size), |b| {
            b.iter(|| {
                policy
                    .apply(black_box("nobody"), black_box(ch))
                    .unwrap_err()
            })
        });
        g.bench_function(BenchmarkId::new("refused/unprivileged", size), |b| {
            b.iter(|| {
                policy
                    .apply(black_box(guest.as_str()), black_box(ch))
                    .unwrap_err()
            })
        });
    }
    // A role held by 100k subjects, 5% of them with exceptions of their own.
    let shape = Shape::seed(100_000);
    let (mut doc, admin, _) = with_actors(generate(&shape));
    for (name, s) in doc.subjects.0.iter_mut() {
        if *name != admin {
            s.role = "Editor".into();
        }
    }
    let policy = administered(doc);
    let redefine = Change::DefineRole {
        role: "Editor".into(),
        def: policy
            .to_definition()
            .roles
            .get("Editor")
            .cloned()
            .unwrap_or_else(RoleDef::new)
            .exception(ExceptionDef::allow_deny(
                kind_name(1),
                5,
                ["create"],
                Vec::<String>::new(),
            )),
    };
    if let Err(e) = policy.apply(admin.as_str(), &redefine) {
        panic!("{e}");
    }
    g.sample_size(10);
    g.bench_function(
        BenchmarkId::new("define_role/change", "100k holders"),
        |b| b.iter_with_large_drop(|| policy.change(black_box(&redefine)).unwrap()),
    );
    g.bench_function(BenchmarkId::new("define_role/apply", "100k holders"), |b| {
        b.iter_with_large_drop(|| {
            policy
                .apply(black_box(admin.as_str()), black_box(&redefine))
                .unwrap()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = change, apply
}
criterion_main!(benches);
