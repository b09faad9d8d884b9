//! Bench group `filter`: lists.
//!
//! - `filter/build/<n>`: `Policy::filter` for a subject with `n` exceptions of its
//!   own on the kind (target: <= 2 us at 10);
//! - `filter/can_many/<n>`: `Policy::can_many` over 1M resources (random ids,
//!   owners and states) for a subject with `n` exceptions (targets: 500M/s or
//!   more at 0, 100M/s or more at 100); `filter/can_loop/<n>` is the same list
//!   with `can` per resource, and `filter/floor` reads every resource's id,
//!   owner and state once and does nothing else (the memory floor);
//! - `filter/can_ids/<n>`: `Policy::can_ids` over the same 1M ids as a column
//!   (no owner, no state); `filter/can_ids_loop/<n>` calls `can` per id, and
//!   `filter/ids_floor` reads every id once;
//! - `filter/cached/*`: the same on the first 16k resources, which stay in cache;
//! - `filter/sqlite/*`: "which of these 100k rows may I edit?" in an in-memory
//!   SQLite table with an index on the owner, as a list endpoint's table would
//!   have: the rendered filter in the `WHERE` clause (`filtered`, the filter built
//!   and rendered in every iteration) against reading every row and calling
//!   `can` on it (`scan_can`). Both return the same rows (asserted first).
//! - `filter/contained/*`: contacts in databases, with rules written in databases
//!   by the role (100) and by the subject (`n` of them), and a prerequisite on the
//!   database (`edit` needs `view` there; the role denies `view` on 50
//!   databases): `build/<n>` builds the filter; `can_many/<n>` and
//!   `can_loop/<n>` check 1M contacts in random databases (`can_many` asks `can`
//!   per resource for such a kind); `can_ids_within/<n>` checks 1M ids in one
//!   database; `sqlite/filtered` and `sqlite/scan_can` as above, on 100k contacts
//!   with a `database_id` column.
//!
//! Run: `cargo bench --bench filter -- --warm-up-time 1 --measurement-time 2`.

// A bench that cannot set up its fixture should stop loudly.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;

use accessmask::{Columns, Policy, PolicyDef, Resource, SqlValue, SubjectId};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rusqlite::types::Value;

/// A policy of one kind (`cost_estimate`: view, edit, approve; three states,
/// only Admin edits a billed one), 20 Staff subjects (view any, edit own and
/// managed), and three more: `plain` (no exceptions), `ten` and `hundred` (that
/// many exceptions on the kind, half denying edit, half allowing approve).
fn policy() -> Policy {
    let exceptions = |n: usize| -> Vec<serde_json::Value> {
        (0..n)
            .map(|i| {
                let id = (i as u64 + 1) * 7919;
                if i % 2 == 0 {
                    serde_json::json!({ "kind": "cost_estimate", "id": id, "deny": ["edit"] })
                } else {
                    serde_json::json!({ "kind": "cost_estimate", "id": id, "allow": ["approve"] })
                }
            })
            .collect()
    };
    let mut subjects = serde_json::Map::new();
    for i in 0..20 {
        subjects.insert(format!("s{i}"), serde_json::json!({ "role": "Staff" }));
    }
    for (name, n) in [("plain", 0), ("ten", 10), ("hundred", 100)] {
        subjects.insert(
            name.to_string(),
            serde_json::json!({ "role": "Staff", "manages": ["s1", "s2"], "exceptions": exceptions(n) }),
        );
    }
    let def: PolicyDef = serde_json::from_value(serde_json::json!({
        "kinds": { "cost_estimate": {
            "actions": ["view", "edit", "approve"],
            "needs": { "edit": ["view"], "approve": ["edit"] },
            "states": ["draft", "submitted", "billed"],
            "state_rules": [{ "state": "billed", "hold": ["edit"], "unless_roles": ["Admin"] }]
        } },
        "roles": {
            "Admin": { "grants": { "cost_estimate": ["approve"] } },
            "Staff": { "grants": { "cost_estimate": { "actions": ["view"], "own": ["edit"], "managed": ["edit"] } } }
        },
        "subjects": subjects
    }))
    .unwrap_or_default();
    Policy::compile(&def).unwrap_or_else(|e| panic!("bench policy: {e}"))
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// `n` resources of the kind: ids below 1M (so the exceptions' ids come up),
/// an owner among the subjects or none, a state or none.
fn resources(policy: &Policy, n: usize) -> Vec<Resource> {
    let kind = policy
        .kind("cost_estimate")
        .unwrap_or_else(|| panic!("kind"));
    let subjects: Vec<SubjectId> = policy.subjects().collect();
    let states: Vec<_> = policy.states(kind).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|_| {
            let mut r = policy.resource(kind).with_id(rng.below(1_000_000));
            let o = rng.below(subjects.len() as u64 + 1) as usize;
            if let Some(&s) = subjects.get(o) {
                r = r.with_owner(s);
            }
            let s = rng.below(states.len() as u64 + 1) as usize;
            if let Some(&st) = states.get(s) {
                r = r.with_state(st);
            }
            r
        })
        .collect()
}

fn build(c: &mut Criterion) {
    let policy = policy();
    let edit = policy
        .action("cost_estimate", "edit")
        .unwrap_or_else(|| panic!("edit"));
    let mut g = c.benchmark_group("filter/build");
    for (name, n) in [("plain", 0), ("ten", 10), ("hundred", 100)] {
        let s = policy.subject(name).unwrap_or_else(|| panic!("{name}"));
        g.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, &s| {
            b.iter(|| policy.filter(black_box(s), black_box(edit), edit.kind()));
        });
    }
    g.finish();
}

fn bulk(c: &mut Criterion) {
    let policy = policy();
    let edit = policy
        .action("cost_estimate", "edit")
        .unwrap_or_else(|| panic!("edit"));
    let rs = resources(&policy, 1_000_000);
    let mut g = c.benchmark_group("filter");
    g.throughput(Throughput::Elements(rs.len() as u64));
    // The floor: read every resource's id, owner and state once, and nothing else.
    g.bench_function("floor", |b| {
        b.iter(|| {
            black_box(&rs).iter().fold(0u64, |acc, r| {
                acc ^ r.id().unwrap_or(1)
                    ^ r.owner().map_or(2, |o| o.index() as u64)
                    ^ r.state().map_or(3, |s| s.kind().index() as u64)
            })
        });
    });
    for (name, n) in [("plain", 0), ("hundred", 100)] {
        let s = policy.subject(name).unwrap_or_else(|| panic!("{name}"));
        g.bench_with_input(BenchmarkId::new("can_many", n), &s, |b, &s| {
            b.iter(|| policy.can_many(black_box(s), edit, black_box(&rs)));
        });
        g.bench_with_input(BenchmarkId::new("can_loop", n), &s, |b, &s| {
            b.iter(|| {
                black_box(&rs)
                    .iter()
                    .filter(|r| policy.can(black_box(s), edit, r))
                    .count()
            });
        });
    }
    // The columnar form: the same 1M ids as a column of their own (8 MB), no
    // owner and no state. `ids_floor` reads every id once and does nothing else;
    // `can_ids_loop` calls `can` on each id.
    let ids: Vec<u64> = rs.iter().map(|r| r.id().unwrap_or(0)).collect();
    let kind = edit.kind();
    g.bench_function("ids_floor", |b| {
        b.iter(|| black_box(&ids).iter().fold(0u64, |acc, id| acc ^ id));
    });
    for (name, n) in [("plain", 0), ("hundred", 100)] {
        let s = policy.subject(name).unwrap_or_else(|| panic!("{name}"));
        g.bench_with_input(BenchmarkId::new("can_ids", n), &s, |b, &s| {
            b.iter(|| policy.can_ids(black_box(s), edit, kind, black_box(&ids)));
        });
        g.bench_with_input(BenchmarkId::new("can_ids_loop", n), &s, |b, &s| {
            b.iter(|| {
                black_box(&ids)
                    .iter()
                    .filter(|&&id| {
                        policy.can(black_box(s), edit, &policy.resource(kind).with_id(id))
                    })
                    .count()
            });
        });
    }
    g.finish();
    // The same on 16k resources (640 KiB, mostly cache-resident): the cost of the
    // work per resource apart from reading memory.
    let small = &rs[..16 * 1024];
    let mut g = c.benchmark_group("filter/cached");
    g.throughput(Throughput::Elements(small.len() as u64));
    g.bench_function("floor", |b| {
        b.iter(|| {
            black_box(small).iter().fold(0u64, |acc, r| {
                acc ^ r.id().unwrap_or(1)
                    ^ r.owner().map_or(2, |o| o.index() as u64)
                    ^ r.state().map_or(3, |s| s.kind().index() as u64)
            })
        });
    });
    for (name, n) in [("plain", 0), ("hundred", 100)] {
        let s = policy.subject(name).unwrap_or_else(|| panic!("{name}"));
        g.bench_with_input(BenchmarkId::new("can_many", n), &s, |b, &s| {
            b.iter(|| policy.can_many(black_box(s), edit, black_box(small)));
        });
    }
    g.finish();
}

fn sqlite(c: &mut Criterion) {
    const ROWS: usize = 100_000;
    let policy = policy();
    let edit = policy
        .action("cost_estimate", "edit")
        .unwrap_or_else(|| panic!("edit"));
    let kind = edit.kind();
    let states: Vec<_> = policy.states(kind).collect();
    let rs = resources(&policy, ROWS);
    let conn = rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    conn.execute_batch(
        "CREATE TABLE estimate (id INTEGER PRIMARY KEY, owner INTEGER, state INTEGER, amount INTEGER);
         CREATE INDEX estimate_owner ON estimate (owner);
         BEGIN;",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    {
        let mut insert = conn
            .prepare("INSERT OR IGNORE INTO estimate VALUES (?1, ?2, ?3, ?4)")
            .unwrap_or_else(|e| panic!("{e}"));
        for r in &rs {
            let state = r
                .state()
                .and_then(|st| states.iter().position(|x| *x == st))
                .map(|i| i as i64);
            insert
                .execute((
                    r.id().map(|i| i as i64),
                    r.owner().map(|o| o.index() as i64),
                    state,
                    7i64,
                ))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    conn.execute_batch("COMMIT;")
        .unwrap_or_else(|e| panic!("{e}"));
    let p = &policy;
    let columns = Columns::new("id")
        .owner("owner")
        .state("state")
        .owner_keys(move |name| p.subject(name).map(|s| SqlValue::Int(s.index() as i64)))
        .state_values(move |name| {
            p.state(kind, name)
                .and_then(|st| p.states(kind).position(|x| x == st))
                .map(|i| SqlValue::Int(i as i64))
        });
    let subjects: Vec<SubjectId> = policy.subjects().collect();
    let filtered = |s: SubjectId| -> usize {
        let filter = policy.filter(s, edit, kind);
        let sql = filter.to_sql(&columns).unwrap_or_else(|e| panic!("{e}"));
        let text = format!("SELECT id, amount FROM estimate WHERE {}", sql.text);
        let mut stmt = conn.prepare_cached(&text).unwrap_or_else(|e| panic!("{e}"));
        let params = sql.params.iter().map(|v| match v {
            SqlValue::Int(i) => Value::Integer(*i),
            SqlValue::Text(t) => Value::Text(t.clone()),
        });
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut n = 0usize;
        while let Ok(Some(row)) = rows.next() {
            n += usize::from(row.get::<_, i64>(1).is_ok());
        }
        n
    };
    let scan = |s: SubjectId| -> usize {
        let mut stmt = conn
            .prepare_cached("SELECT id, owner, state, amount FROM estimate")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut rows = stmt.query([]).unwrap_or_else(|e| panic!("{e}"));
        let mut n = 0usize;
        while let Ok(Some(row)) = rows.next() {
            let mut r = policy.resource(kind);
            if let Ok(id) = row.get::<_, i64>(0) {
                r = r.with_id(id as u64);
            }
            if let Ok(Some(o)) = row.get::<_, Option<i64>>(1) {
                if let Some(&o) = subjects.get(o as usize) {
                    r = r.with_owner(o);
                }
            }
            if let Ok(Some(st)) = row.get::<_, Option<i64>>(2) {
                match states.get(st as usize) {
                    Some(&st) => r = r.with_state(st),
                    None => continue,
                }
            }
            if policy.can(s, edit, &r) {
                n += usize::from(row.get::<_, i64>(3).is_ok());
            }
        }
        n
    };
    let mut g = c.benchmark_group("filter/sqlite");
    g.sample_size(10);
    for name in ["plain", "hundred"] {
        let s = policy.subject(name).unwrap_or_else(|| panic!("{name}"));
        // Same rows both ways, before timing either.
        assert_eq!(filtered(s), scan(s), "{name}");
        g.bench_with_input(BenchmarkId::new("filtered", name), &s, |b, &s| {
            b.iter(|| filtered(black_box(s)));
        });
        g.bench_with_input(BenchmarkId::new("scan_can", name), &s, |b, &s| {
            b.iter(|| scan(black_box(s)));
        });
    }
    g.finish();
}

/// Contacts in databases: `contact` (view, edit; edit needs view) has parent
/// `database` (view); `edit` on a contact needs `view` on its database. The
/// `Staff` role edits any contact, except in 100 databases (denied `edit`, ids
/// multiples of 7), and may not view 50 databases (multiples of 11); subjects
/// `c0`, `c10`, `c100`, `c1000` write that many exceptions of their own in
/// databases (alternately allowing and denying `edit`, ids multiples of 13), and
/// 10 on contacts themselves.
fn contained_policy() -> Policy {
    let mut role_exceptions: Vec<serde_json::Value> = (1..=100u64)
        .map(|i| serde_json::json!({ "kind": "contact", "in": "database", "id": i * 7, "deny": ["edit"] }))
        .collect();
    role_exceptions.extend(
        (1..=50u64)
            .map(|i| serde_json::json!({ "kind": "database", "id": i * 11, "deny": ["view"] })),
    );
    let mut subjects = serde_json::Map::new();
    for n in [0u64, 10, 100, 1000] {
        let mut exceptions: Vec<serde_json::Value> = (1..=n)
            .map(|i| {
                if i % 2 == 0 {
                    serde_json::json!({ "kind": "contact", "in": "database", "id": i * 13, "allow": ["edit"] })
                } else {
                    serde_json::json!({ "kind": "contact", "in": "database", "id": i * 13, "deny": ["edit"] })
                }
            })
            .collect();
        exceptions.extend(
            (1..=10u64).map(
                |i| serde_json::json!({ "kind": "contact", "id": i * 7919, "deny": ["view"] }),
            ),
        );
        subjects.insert(
            format!("c{n}"),
            serde_json::json!({ "role": "Staff", "exceptions": exceptions }),
        );
    }
    let def: PolicyDef = serde_json::from_value(serde_json::json!({
        "kinds": {
            "database": { "actions": ["view"] },
            "contact": { "actions": ["view", "edit"], "needs": { "edit": ["view"] }, "parent": "database",
                         "prerequisites": [{ "action": "edit", "kind": "database", "actions": ["view"], "on_ancestor": true }] }
        },
        "roles": { "Staff": { "grants": { "contact": ["edit"], "database": ["view"] }, "exceptions": role_exceptions } },
        "subjects": subjects
    }))
    .unwrap_or_default();
    Policy::compile(&def).unwrap_or_else(|e| panic!("contained bench policy: {e}"))
}

/// `n` contacts: ids below 1M, in a database below 20k (so the named ones come
/// up), one in eight given no database.
fn contacts(policy: &Policy, n: usize) -> Vec<Resource> {
    let contact = policy.kind("contact").unwrap_or_else(|| panic!("contact"));
    let database = policy
        .kind("database")
        .unwrap_or_else(|| panic!("database"));
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    (0..n)
        .map(|_| {
            let r = policy.resource(contact).with_id(rng.below(1_000_000));
            match rng.below(8) {
                0 => r,
                _ => r.within(database.instance(rng.below(20_000))),
            }
        })
        .collect()
}

fn contained(c: &mut Criterion) {
    let policy = contained_policy();
    let edit = policy
        .action("contact", "edit")
        .unwrap_or_else(|| panic!("edit"));
    let kind = edit.kind();
    let database = policy
        .kind("database")
        .unwrap_or_else(|| panic!("database"));
    let mut g = c.benchmark_group("filter/contained/build");
    for n in [0, 10, 100, 1000] {
        let s = policy
            .subject(&format!("c{n}"))
            .unwrap_or_else(|| panic!("c{n}"));
        g.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, &s| {
            b.iter(|| policy.filter(black_box(s), black_box(edit), kind));
        });
    }
    g.finish();
    let rs = contacts(&policy, 1_000_000);
    let ids: Vec<u64> = rs.iter().map(|r| r.id().unwrap_or(0)).collect();
    let mut g = c.benchmark_group("filter/contained");
    g.throughput(Throughput::Elements(rs.len() as u64));
    for n in [10, 1000] {
        let s = policy
            .subject(&format!("c{n}"))
            .unwrap_or_else(|| panic!("c{n}"));
        g.bench_with_input(BenchmarkId::new("can_many", n), &s, |b, &s| {
            b.iter(|| policy.can_many(black_box(s), edit, black_box(&rs)));
        });
        g.bench_with_input(BenchmarkId::new("can_loop", n), &s, |b, &s| {
            b.iter(|| {
                black_box(&rs)
                    .iter()
                    .filter(|r| policy.can(black_box(s), edit, r))
                    .count()
            });
        });
        let within = [database.instance(26)];
        g.bench_with_input(BenchmarkId::new("can_ids_within", n), &s, |b, &s| {
            b.iter(|| policy.can_ids_within(black_box(s), edit, kind, &within, black_box(&ids)));
        });
    }
    g.finish();
    // SQLite: 100k contacts with their database.
    const ROWS: usize = 100_000;
    let conn = rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    conn.execute_batch(
        "CREATE TABLE contact (id INTEGER PRIMARY KEY, database_id INTEGER, amount INTEGER);
         CREATE INDEX contact_database ON contact (database_id);
         BEGIN;",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    {
        let mut insert = conn
            .prepare("INSERT OR IGNORE INTO contact VALUES (?1, ?2, ?3)")
            .unwrap_or_else(|e| panic!("{e}"));
        for r in &rs[..ROWS] {
            insert
                .execute((
                    r.id().map(|i| i as i64),
                    r.ancestors()
                        .first()
                        .and_then(|a| a.number())
                        .map(|i| i as i64),
                    7i64,
                ))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    conn.execute_batch("COMMIT;")
        .unwrap_or_else(|e| panic!("{e}"));
    let columns = Columns::new("id").ancestor("database", "database_id");
    let filtered = |s: SubjectId| -> usize {
        let filter = policy.filter(s, edit, kind);
        let sql = filter.to_sql(&columns).unwrap_or_else(|e| panic!("{e}"));
        let text = format!("SELECT id, amount FROM contact WHERE {}", sql.text);
        let mut stmt = conn.prepare_cached(&text).unwrap_or_else(|e| panic!("{e}"));
        let params = sql.params.iter().map(|v| match v {
            SqlValue::Int(i) => Value::Integer(*i),
            SqlValue::Text(t) => Value::Text(t.clone()),
        });
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut n = 0usize;
        while let Ok(Some(row)) = rows.next() {
            n += usize::from(row.get::<_, i64>(1).is_ok());
        }
        n
    };
    let scan = |s: SubjectId| -> usize {
        let mut stmt = conn
            .prepare_cached("SELECT id, database_id, amount FROM contact")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut rows = stmt.query([]).unwrap_or_else(|e| panic!("{e}"));
        let mut n = 0usize;
        while let Ok(Some(row)) = rows.next() {
            let mut r = policy.resource(kind);
            if let Ok(id) = row.get::<_, i64>(0) {
                r = r.with_id(id as u64);
            }
            if let Ok(Some(db)) = row.get::<_, Option<i64>>(1) {
                r = r.within(database.instance(db as u64));
            }
            if policy.can(s, edit, &r) {
                n += usize::from(row.get::<_, i64>(2).is_ok());
            }
        }
        n
    };
    let mut g = c.benchmark_group("filter/contained/sqlite");
    g.sample_size(10);
    for n in [10, 1000] {
        let s = policy
            .subject(&format!("c{n}"))
            .unwrap_or_else(|| panic!("c{n}"));
        assert_eq!(filtered(s), scan(s), "c{n}");
        g.bench_with_input(BenchmarkId::new("filtered", n), &s, |b, &s| {
            b.iter(|| filtered(black_box(s)));
        });
        g.bench_with_input(BenchmarkId::new("scan_can", n), &s, |b, &s| {
            b.iter(|| scan(black_box(s)));
        });
    }
    g.finish();
}

criterion_group!(benches, build, bulk, sqlite, contained);
criterion_main!(benches);
