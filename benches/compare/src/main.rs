//! Side by side: one identical RBAC policy (7 roles x 6 kinds, two per-resource
//! deny exceptions) in accessmask, cedar-policy and casbin, for 100, 10k and 100k
//! users. Every engine's answer to every query of the query set is asserted equal
//! (and equal to an independent oracle) before anything is timed.
//!
//! Run from the accessmask checkout:
//!
//! ```text
//! cargo run --release --manifest-path benches/compare/Cargo.toml
//! ```
//!
//! Optional arguments: `compare` (only the side-by-side part), `memory` (only the
//! accessmask memory part on seed-shaped policies).
//!
//! Memory is measured with a counting global allocator: bytes allocated minus bytes
//! freed, before and after building each engine.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashSet;
use std::hint::black_box;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use accessmask::{
    ActionId, ExceptionDef, KindDef, Policy, PolicyBuilder, PolicyDef, Resource, RoleDef,
    SubjectDef, SubjectId,
};
use casbin::prelude::*;
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request,
};

#[path = "../../common/mod.rs"]
mod common;

// ---------------------------------------------------------------------------
// Counting allocator.

struct Counting;

/// Counting is on only while a load is measured, so that the timed checks of the
/// other engines (which allocate per check) pay one relaxed load per allocation.
static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn grow(by: isize) {
    if !COUNTING.load(Ordering::Relaxed) {
        return;
    }
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the same arguments; the counters
// are only statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grow(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grow(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            grow(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts counting; returns the baseline. Only allocations and frees made while
/// counting are seen, so a window must cover what it measures.
fn start() -> isize {
    let now = live();
    PEAK.store(now, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    now
}

fn stop() {
    COUNTING.store(false, Ordering::Relaxed);
}

fn peak() -> isize {
    PEAK.load(Ordering::Relaxed)
}

fn mib(bytes: isize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

// ---------------------------------------------------------------------------
// The comparison policy, as plain data.

const N_ROLES: usize = 7;
const N_KINDS: usize = 6;
/// Instance ids in queries are drawn from `0..ID_RANGE` so exceptions are hit.
const ID_RANGE: u64 = 20;

/// Exception 1: holders of role Editor may not `edit` report 7.
const EX1: (usize, &str, u64, &str) = (2, "report", 7, "edit");
/// Exception 2: user u42 (an Admin) may not `delete` contact 13.
const EX2: (usize, &str, u64, &str) = (42, "contact", 13, "delete");

fn kind_name(k: usize) -> String {
    common::kind_name(k)
}

fn role_name(r: usize) -> String {
    common::role_name(r)
}

fn actions(k: usize) -> &'static [&'static str] {
    &common::ACTIONS[..common::action_count(k)]
}

fn user_role(u: usize) -> usize {
    u % N_ROLES
}

/// The role x kind matrix: which actions each role has on each kind.
fn grants(role: usize, kind: usize) -> Vec<&'static str> {
    let acts = actions(kind);
    let pick = |names: &[&str]| -> Vec<&'static str> {
        acts.iter().copied().filter(|a| names.contains(a)).collect()
    };
    match role {
        0 => acts.to_vec(),
        1 => pick(&["view", "edit", "create", "delete"]),
        2 => pick(&["view", "edit", "create"]),
        3 => pick(&["view", "edit", "create", "export", "approve"]),
        4 => pick(&["view", "export"]),
        5 => pick(&["view", "create"]),
        6 if kind == 0 => pick(&["view"]),
        _ => Vec::new(),
    }
}

/// The independent oracle: what every engine must answer.
fn oracle(user: usize, kind: usize, action: &str, id: u64) -> bool {
    let k = kind_name(kind);
    let role = user_role(user);
    if role == EX1.0 && k == EX1.1 && id == EX1.2 && action == EX1.3 {
        return false;
    }
    if user == EX2.0 && k == EX2.1 && id == EX2.2 && action == EX2.3 {
        return false;
    }
    grants(role, kind).contains(&action)
}

#[derive(Debug, Clone, Copy)]
struct Q {
    user: usize,
    kind: usize,
    action: usize,
    id: u64,
}

impl Q {
    fn action_name(&self) -> &'static str {
        actions(self.kind)[self.action]
    }
}

fn query_set(n_users: usize, n: usize) -> Vec<Q> {
    let mut rng = common::XorShift::new(0x5eed_0000 + n_users as u64);
    let mut qs: Vec<Q> = (0..n)
        .map(|_| {
            let kind = rng.below(N_KINDS);
            Q {
                user: rng.below(n_users),
                kind,
                action: rng.below(actions(kind).len()),
                id: rng.next_u64() % ID_RANGE,
            }
        })
        .collect();
    // Make sure both exceptions, and their near misses, are in the set.
    let report = (0..N_KINDS)
        .position(|k| kind_name(k) == EX1.1)
        .unwrap_or(0);
    let contact = (0..N_KINDS)
        .position(|k| kind_name(k) == EX2.1)
        .unwrap_or(0);
    let pos = |k: usize, a: &str| actions(k).iter().position(|x| *x == a).unwrap_or(0);
    for (i, u) in (0..n_users)
        .filter(|u| user_role(*u) == EX1.0)
        .take(20)
        .enumerate()
    {
        for id in [EX1.2, EX1.2 + 1] {
            qs.push(Q {
                user: u,
                kind: report,
                action: pos(report, EX1.3),
                id,
            });
        }
        qs.push(Q {
            user: u,
            kind: report,
            action: pos(report, "view"),
            id: EX1.2 + (i as u64 % 2),
        });
    }
    for id in [EX2.2, EX2.2 + 1] {
        for a in ["delete", "edit"] {
            qs.push(Q {
                user: EX2.0,
                kind: contact,
                action: pos(contact, a),
                id,
            });
        }
    }
    qs
}

// ---------------------------------------------------------------------------
// The three engines, built from the plain data.

fn accessmask_def(n_users: usize) -> PolicyDef {
    let mut b = PolicyBuilder::new();
    for k in 0..N_KINDS {
        b = b.kind(kind_name(k), KindDef::new(actions(k).iter().copied()));
    }
    for r in 0..N_ROLES {
        let mut role = RoleDef::new();
        for k in 0..N_KINDS {
            let g = grants(r, k);
            if !g.is_empty() {
                role = role.grant(kind_name(k), accessmask::GrantDef::actions(g));
            }
        }
        if r == EX1.0 {
            role = role.exception(ExceptionDef::allow_deny(
                EX1.1,
                EX1.2,
                Vec::<String>::new(),
                [EX1.3],
            ));
        }
        b = b.role(role_name(r), role);
    }
    for u in 0..n_users {
        let mut s = SubjectDef::new(role_name(user_role(u)));
        if u == EX2.0 {
            s = s.exception(ExceptionDef::allow_deny(
                EX2.1,
                EX2.2,
                Vec::<String>::new(),
                [EX2.3],
            ));
        }
        b = b.subject(format!("u{u}"), s);
    }
    b.into_definition()
}

fn cedar_policies() -> String {
    let mut out = String::new();
    for r in 0..N_ROLES {
        for k in 0..N_KINDS {
            let g = grants(r, k);
            if g.is_empty() {
                continue;
            }
            let acts: Vec<String> = g
                .iter()
                .map(|a| format!("Action::\"{}:{a}\"", kind_name(k)))
                .collect();
            out.push_str(&format!(
                "permit(principal in Role::\"{}\", action in [{}], resource{});\n",
                role_name(r),
                acts.join(", "),
                // `resource is <kind>` would be redundant here (actions are per
                // kind) and costs cedar about 20% per check.
                ""
            ));
        }
    }
    out.push_str(&format!(
        "forbid(principal in Role::\"{}\", action == Action::\"{}:{}\", resource == {}::\"{}\");\n",
        role_name(EX1.0),
        EX1.1,
        EX1.3,
        EX1.1,
        EX1.2
    ));
    out.push_str(&format!(
        "forbid(principal == User::\"u{}\", action == Action::\"{}:{}\", resource == {}::\"{}\");\n",
        EX2.0, EX2.1, EX2.3, EX2.1, EX2.2
    ));
    out
}

fn uid(ty: &str, id: &str) -> EntityUid {
    match EntityTypeName::from_str(ty) {
        Ok(t) => EntityUid::from_type_name_and_id(t, EntityId::new(id)),
        Err(e) => panic!("bad cedar type name {ty}: {e}"),
    }
}

struct CedarEngine {
    policies: PolicySet,
    entities: Entities,
    authorizer: Authorizer,
}

fn cedar_load(n_users: usize, policy_text: &str) -> CedarEngine {
    let policies = match PolicySet::from_str(policy_text) {
        Ok(p) => p,
        Err(e) => panic!("cedar policy text does not parse: {e}\n{policy_text}"),
    };
    let roles: Vec<EntityUid> = (0..N_ROLES).map(|r| uid("Role", &role_name(r))).collect();
    let mut ents: Vec<Entity> = roles
        .iter()
        .map(|r| Entity::new_no_attrs(r.clone(), HashSet::new()))
        .collect();
    ents.extend((0..n_users).map(|u| {
        Entity::new_no_attrs(
            uid("User", &format!("u{u}")),
            HashSet::from([roles[user_role(u)].clone()]),
        )
    }));
    let entities = match Entities::from_entities(ents, None) {
        Ok(e) => e,
        Err(e) => panic!("cedar entities: {e}"),
    };
    CedarEngine {
        policies,
        entities,
        authorizer: Authorizer::new(),
    }
}

/// RBAC with deny-override. The matcher tests the cheap string equality first:
/// with `g(r.sub, p.sub)` first, casbin takes about twice as long per check.
const CASBIN_MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = r.act == p.act && keyMatch(r.obj, p.obj) && g(r.sub, p.sub)
"#;

fn casbin_csv(n_users: usize) -> String {
    let mut out = String::new();
    for r in 0..N_ROLES {
        for k in 0..N_KINDS {
            for a in grants(r, k) {
                out.push_str(&format!(
                    "p, {}, {}/*, {a}, allow\n",
                    role_name(r),
                    kind_name(k)
                ));
            }
        }
    }
    out.push_str(&format!(
        "p, {}, {}/{}, {}, deny\n",
        role_name(EX1.0),
        EX1.1,
        EX1.2,
        EX1.3
    ));
    out.push_str(&format!(
        "p, u{}, {}/{}, {}, deny\n",
        EX2.0, EX2.1, EX2.2, EX2.3
    ));
    for u in 0..n_users {
        out.push_str(&format!("g, u{u}, {}\n", role_name(user_role(u))));
    }
    out
}

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(e) => panic!("tokio runtime: {e}"),
    }
}

fn casbin_load(rt: &tokio::runtime::Runtime, csv: &str) -> Enforcer {
    rt.block_on(async {
        let m = DefaultModel::from_str(CASBIN_MODEL).await?;
        Enforcer::new(m, StringAdapter::new(csv)).await
    })
    .unwrap_or_else(|e| panic!("casbin enforcer: {e}"))
}

fn casbin_cached_load(rt: &tokio::runtime::Runtime, csv: &str, capacity: usize) -> CachedEnforcer {
    let mut e = rt
        .block_on(async {
            let m = DefaultModel::from_str(CASBIN_MODEL).await?;
            CachedEnforcer::new(m, StringAdapter::new(csv)).await
        })
        .unwrap_or_else(|e| panic!("casbin cached enforcer: {e}"));
    e.set_cache(Box::new(casbin::DefaultCache::new(capacity)));
    e
}

// ---------------------------------------------------------------------------
// Timing.

/// Median nanoseconds per query: `samples` samples, each running `f` over the
/// whole query set as many times as it takes to last at least `min_sample`.
fn median_ns(
    n_queries: usize,
    samples: usize,
    min_sample: Duration,
    mut f: impl FnMut() -> usize,
) -> f64 {
    // Warm up and calibrate.
    let t = Instant::now();
    black_box(f());
    let once = t.elapsed().max(Duration::from_nanos(1));
    let passes = (min_sample.as_nanos() / once.as_nanos()).max(1) as usize;
    let mut per_query: Vec<f64> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..passes {
                black_box(f());
            }
            t.elapsed().as_nanos() as f64 / (passes * n_queries) as f64
        })
        .collect();
    per_query.sort_by(f64::total_cmp);
    per_query[per_query.len() / 2]
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.1} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} us", ns / 1_000.0)
    } else {
        format!("{ns:.2} ns")
    }
}

fn fmt_ratio(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}x")
    } else {
        format!("{r:.2}x")
    }
}

// ---------------------------------------------------------------------------
// The side-by-side run.

struct Row {
    users: usize,
    engine: &'static str,
    check_ns: f64,
    load: Duration,
    retained: isize,
    peak: isize,
}

fn compare(users: usize, rt: &tokio::runtime::Runtime, rows: &mut Vec<Row>) {
    let qs = query_set(users, 2000);
    let expected: Vec<bool> = qs
        .iter()
        .map(|q| oracle(q.user, q.kind, q.action_name(), q.id))
        .collect();
    let denied_by_exception = qs
        .iter()
        .zip(&expected)
        .filter(|(q, e)| !**e && grants(user_role(q.user), q.kind).contains(&q.action_name()))
        .count();
    println!(
        "\n## {users} users: {} queries, {} allowed, {} denied by an exception",
        qs.len(),
        expected.iter().filter(|e| **e).count(),
        denied_by_exception
    );

    // Each load window counts the engine's input (document, text or CSV) too, so
    // that "peak" includes it; "retained" is measured after the input is dropped.
    // Load times exclude building the input, except for cedar, whose entities are
    // built from the user list inside `cedar_load`.

    // accessmask: compile from the document.
    let base = start();
    let def = accessmask_def(users);
    let t = Instant::now();
    let policy = Policy::compile(&def).unwrap_or_else(|e| panic!("accessmask compile: {e}"));
    let am_load = t.elapsed();
    let am_peak = peak() - base;
    drop(def);
    let am_retained = live() - base;
    stop();
    let subjects: Vec<SubjectId> = policy.subjects().collect();
    let kinds: Vec<_> = policy.kinds().collect();
    let am_q: Vec<(SubjectId, ActionId, Resource)> = qs
        .iter()
        .map(|q| {
            let a = policy
                .actions(kinds[q.kind])
                .nth(q.action)
                .unwrap_or_else(|| panic!("no action {q:?}"));
            (
                subjects[q.user],
                a,
                policy.resource(kinds[q.kind]).with_id(q.id),
            )
        })
        .collect();
    let am_names: Vec<(String, String, &str, u64)> = qs
        .iter()
        .map(|q| {
            (
                format!("u{}", q.user),
                kind_name(q.kind),
                q.action_name(),
                q.id,
            )
        })
        .collect();

    // cedar: parse the policy text, build the entity store.
    let base = start();
    let text = cedar_policies();
    let t = Instant::now();
    let cedar = cedar_load(users, &text);
    let cedar_load_t = t.elapsed();
    let cedar_peak = peak() - base;
    drop(text);
    let cedar_retained = live() - base;
    stop();
    let cedar_q: Vec<Request> = qs
        .iter()
        .map(|q| {
            let k = kind_name(q.kind);
            Request::new(
                uid("User", &format!("u{}", q.user)),
                uid("Action", &format!("{k}:{}", q.action_name())),
                uid(&k, &q.id.to_string()),
                Context::empty(),
                None,
            )
            .unwrap_or_else(|e| panic!("cedar request: {e}"))
        })
        .collect();

    // casbin, plain and cached: load the model and the policy CSV.
    let base = start();
    let csv = casbin_csv(users);
    let t = Instant::now();
    let casbin = casbin_load(rt, &csv);
    let casbin_load_t = t.elapsed();
    let casbin_peak = peak() - base;
    let cached = {
        stop();
        let c = casbin_cached_load(rt, &csv, qs.len() * 4);
        COUNTING.store(true, Ordering::Relaxed);
        c
    };
    drop(csv);
    let casbin_retained = live() - base;
    stop();
    let casbin_q: Vec<(String, String, String)> = qs
        .iter()
        .map(|q| {
            (
                format!("u{}", q.user),
                format!("{}/{}", kind_name(q.kind), q.id),
                q.action_name().to_string(),
            )
        })
        .collect();

    // Every engine agrees with the oracle on every query (asserted, not printed).
    for (i, q) in qs.iter().enumerate() {
        let (s, a, r) = &am_q[i];
        let am = policy.can(*s, *a, r);
        let (un, kn, an, id) = &am_names[i];
        let am_by_name = match (policy.subject(un), policy.action(kn, an)) {
            (Some(s), Some(a)) => policy.can(s, a, &policy.resource(a.kind()).with_id(*id)),
            _ => false,
        };
        let ce = cedar
            .authorizer
            .is_authorized(&cedar_q[i], &cedar.policies, &cedar.entities)
            .decision()
            == Decision::Allow;
        let (cs, co, ca) = &casbin_q[i];
        let cb = casbin
            .enforce((cs.as_str(), co.as_str(), ca.as_str()))
            .unwrap_or_else(|e| panic!("casbin enforce: {e}"));
        let cc = cached
            .enforce((cs.as_str(), co.as_str(), ca.as_str()))
            .unwrap_or_else(|e| panic!("casbin cached enforce: {e}"));
        let want = expected[i];
        if [am, am_by_name, ce, cb, cc].iter().any(|x| *x != want) {
            panic!(
                "engines disagree on query {i} {q:?} (u{} {} {}/{}): expected {want}, \
                 accessmask {am}, accessmask by name {am_by_name}, cedar {ce}, casbin {cb}, \
                 casbin cached {cc}",
                q.user,
                q.action_name(),
                kind_name(q.kind),
                q.id
            );
        }
    }
    println!(
        "all {} queries: accessmask, cedar, casbin and casbin (cached) agree with the oracle",
        qs.len()
    );

    let n = qs.len();
    let samples = 11;
    let fast = Duration::from_millis(20);
    let am_ns = median_ns(n, 31, fast, || {
        am_q.iter()
            .filter(|(s, a, r)| policy.can(black_box(*s), black_box(*a), black_box(r)))
            .count()
    });
    let am_name_ns = median_ns(n, 31, fast, || {
        am_names
            .iter()
            .filter(|(u, k, a, id)| {
                match (
                    policy.subject(black_box(u)),
                    policy.action(black_box(k), black_box(a)),
                ) {
                    (Some(s), Some(a)) => policy.can(s, a, &policy.resource(a.kind()).with_id(*id)),
                    _ => false,
                }
            })
            .count()
    });
    let cedar_ns = median_ns(n, samples, fast, || {
        cedar_q
            .iter()
            .filter(|r| {
                cedar
                    .authorizer
                    .is_authorized(black_box(r), &cedar.policies, &cedar.entities)
                    .decision()
                    == Decision::Allow
            })
            .count()
    });
    let casbin_ns = median_ns(n, samples, fast, || {
        casbin_q
            .iter()
            .filter(|(s, o, a)| {
                casbin
                    .enforce(black_box((s.as_str(), o.as_str(), a.as_str())))
                    .unwrap_or(false)
            })
            .count()
    });
    // The floor: a bare `Vec<u64>` of role masks per (user, kind), indexed by user
    // id, on the same queries (it ignores the two exceptions).
    let floor_masks: Vec<u64> = (0..users)
        .flat_map(|u| {
            (0..N_KINDS).map(move |k| {
                grants(user_role(u), k)
                    .iter()
                    .filter_map(|a| actions(k).iter().position(|x| x == a))
                    .fold(0u64, |m, i| m | 1 << i)
            })
        })
        .collect();
    let floor_q: Vec<(usize, usize, u64)> = qs
        .iter()
        .map(|q| (q.user, q.kind, 1u64 << q.action))
        .collect();
    let floor_ns = median_ns(n, 31, fast, || {
        floor_q
            .iter()
            .filter(|(u, k, bit)| {
                floor_masks[black_box(*u) * N_KINDS + black_box(*k)] & black_box(*bit) != 0
            })
            .count()
    });
    let cached_ns = median_ns(n, 31, fast, || {
        casbin_q
            .iter()
            .filter(|(s, o, a)| {
                cached
                    .enforce(black_box((s.as_str(), o.as_str(), a.as_str())))
                    .unwrap_or(false)
            })
            .count()
    });

    rows.push(Row {
        users,
        engine: "bare Vec<u64> bitmask (floor; ignores the exceptions)",
        check_ns: floor_ns,
        load: Duration::ZERO,
        retained: (floor_masks.capacity() * 8) as isize,
        peak: (floor_masks.capacity() * 8) as isize,
    });
    rows.push(Row {
        users,
        engine: "accessmask (ids)",
        check_ns: am_ns,
        load: am_load,
        retained: am_retained,
        peak: am_peak,
    });
    rows.push(Row {
        users,
        engine: "accessmask (names resolved per check)",
        check_ns: am_name_ns,
        load: am_load,
        retained: am_retained,
        peak: am_peak,
    });
    rows.push(Row {
        users,
        engine: "cedar-policy",
        check_ns: cedar_ns,
        load: cedar_load_t,
        retained: cedar_retained,
        peak: cedar_peak,
    });
    rows.push(Row {
        users,
        engine: "casbin",
        check_ns: casbin_ns,
        load: casbin_load_t,
        retained: casbin_retained,
        peak: casbin_peak,
    });
    rows.push(Row {
        users,
        engine: "casbin CachedEnforcer (warm)",
        check_ns: cached_ns,
        load: casbin_load_t,
        retained: casbin_retained,
        peak: casbin_peak,
    });
}

fn print_table(rows: &[Row]) {
    println!("\n## Results (median per check; ratio = engine / accessmask (ids), same run)\n");
    println!("| users | engine | check (median) | vs accessmask | load | retained memory | peak during load |");
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
    for r in rows {
        let am = rows
            .iter()
            .find(|x| x.users == r.users && x.engine == "accessmask (ids)")
            .map_or(f64::NAN, |x| x.check_ns);
        let cached_note = if r.engine.contains("Cached") {
            " (same enforcer as casbin, plus its cache)"
        } else {
            ""
        };
        println!(
            "| {} | {} | {} | {} | {:.1} ms | {:.1} MiB{} | {:.1} MiB |",
            r.users,
            r.engine,
            fmt_ns(r.check_ns),
            fmt_ratio(r.check_ns / am),
            r.load.as_secs_f64() * 1000.0,
            mib(r.retained),
            cached_note,
            mib(r.peak),
        );
    }
}

// ---------------------------------------------------------------------------
// accessmask memory on seed-shaped policies (see benches/common/mod.rs).

/// Retained bytes of the compiled policy (the document dropped), and compile time.
fn policy_bytes(shape: &common::Shape) -> (isize, Duration, usize) {
    let before = start();
    let def = common::generate(shape);
    let t = Instant::now();
    let policy = Policy::compile(&def).unwrap_or_else(|e| panic!("compile: {e}"));
    let took = t.elapsed();
    drop(def);
    // Everything still live since `before` is the policy's.
    let retained = live() - before;
    stop();
    let n = policy.subject_count();
    drop(black_box(policy));
    (retained, took, n)
}

fn memory() {
    println!("\n## accessmask memory on seed-shaped policies (counting allocator)\n");
    println!(
        "Retained bytes of the compiled `Policy` alone (the `PolicyDef` it was compiled from \
         dropped); requested sizes, without malloc's own per-block overhead.\n"
    );
    println!("| policy | subjects | subject exceptions | compile | retained | bytes / subject |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let mut slopes: Vec<(&str, Vec<(usize, isize)>)> = Vec::new();
    for n in [1_000usize, 100_000, 1_000_000] {
        let seed = common::Shape::seed(n);
        let no_exc = common::Shape {
            exception_every: 0,
            ..seed
        };
        let plain = common::Shape {
            managers: false,
            ..no_exc
        };
        for (label, shape) in [
            ("seed shape (5% with 2 exceptions)", seed),
            ("no exceptions", no_exc),
            ("no exceptions, no managers", plain),
        ] {
            let (bytes, took, subjects) = policy_bytes(&shape);
            println!(
                "| {label} | {subjects} | {} | {:.1} ms | {:.1} MiB | {:.1} |",
                shape.exception_count(),
                took.as_secs_f64() * 1000.0,
                mib(bytes),
                bytes as f64 / subjects as f64
            );
            match slopes.iter_mut().find(|(l, _)| *l == label) {
                Some((_, v)) => v.push((subjects, bytes)),
                None => slopes.push((label, vec![(subjects, bytes)])),
            }
        }
    }
    println!();
    for (label, points) in &slopes {
        if let (Some(a), Some(b)) = (points.first(), points.last()) {
            let slope = (b.1 - a.1) as f64 / (b.0 - a.0) as f64;
            println!("bytes per subject, {label} (slope 1k -> 1M): {slope:.1}");
        }
    }
    let without = common::Shape {
        subjects: 100_000,
        exception_every: 0,
        managers: false,
        ..common::Shape::seed(0)
    };
    let with = common::Shape {
        exception_every: 1,
        exceptions_per_subject: 10,
        ..without
    };
    let (b0, _, _) = policy_bytes(&without);
    let (b1, took, _) = policy_bytes(&with);
    let n_exc = with.exception_count();
    println!(
        "bytes per exception (100k subjects, {} exceptions, compiled in {:.0} ms): {:.1}",
        n_exc,
        took.as_secs_f64() * 1000.0,
        (b1 - b0) as f64 / n_exc as f64
    );
}

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    if arg.is_empty() || arg == "compare" {
        let rt = runtime();
        let mut rows = Vec::new();
        for users in [100usize, 10_000, 100_000] {
            compare(users, &rt, &mut rows);
        }
        print_table(&rows);
    }
    if arg.is_empty() || arg == "memory" {
        memory();
    }
}
