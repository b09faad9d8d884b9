//! Lists: `Policy::filter`, `Filter::matches`, `Filter::to_sql` and
//! `Policy::can_many`, `Policy::can_ids` against `Policy::can`.
//!
//! - In memory: on random policies (the shared generator), for every subject, kind
//!   and action, the filter matches exactly the resources `can` allows, on every
//!   resource of a small universe (every id the policy can name plus one it never
//!   names, and no id; every state and no state; no owner and every subject as
//!   owner, so the subject itself, those it manages and the others). `can_many`
//!   gives the same bits, and the filter survives a serde round trip. `can_ids`
//!   gives the same bits as `can` on a column of ids: every id the policies name,
//!   unnamed ones, and ids that share their low bits (`i << 32`).
//! - In SQLite: on random policies, a 10k-row table per kind; the rows the
//!   rendered SQL returns are exactly those `can` allows (owners and states stored
//!   as text or as integers, ids sometimes missing, and states the kind does not
//!   have).
//! - Injection: names with quotes, semicolons and comment markers never reach the
//!   SQL text; bad column names are refused.
//!
//! By default 256 policies in memory and 6 in SQLite; set
//! `ACCESSMASK_PROPTEST_CASES` for the in-memory count (SQLite runs a 40th of it,
//! at least 2).

// Test helpers outside `#[test]` functions may fail loudly too.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use accessmask::{
    Clause, Columns, Cond, Filter, KindId, Policy, PolicyDef, Resource, SqlError, SqlValue,
    SubjectId,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config;
use rusqlite::types::Value;

#[path = "common/policygen.rs"]
mod policygen;
use policygen::*;

fn cases() -> u32 {
    std::env::var("ACCESSMASK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn sql_cases() -> u32 {
    (cases() / 40).max(2)
}

const POLICY_STREAM: usize = 1500;

fn compile(stream: &[u32]) -> (PolicyDef, Policy) {
    let def = gen_policy(&mut Draw::new(stream));
    let policy = Policy::compile(&def).expect("generated policies compile");
    (def, policy)
}

/// Every resource of `kind` in the small universe.
fn universe(policy: &Policy, kind: KindId) -> Vec<Resource> {
    let mut ids: Vec<Option<u64>> = (0..=ID_POOL as u64).map(Some).collect();
    ids.push(None);
    ids.push(Some(u64::MAX));
    let mut states = vec![None];
    states.extend(policy.states(kind).map(Some));
    let mut owners: Vec<Option<SubjectId>> = vec![None];
    owners.extend(policy.subjects().map(Some));
    let mut out = Vec::new();
    for id in &ids {
        for st in &states {
            for owner in &owners {
                let mut r = policy.resource(kind);
                if let Some(id) = id {
                    r = r.with_id(*id);
                }
                if let Some(st) = st {
                    r = r.with_state(*st);
                }
                if let Some(o) = owner {
                    r = r.with_owner(*o);
                }
                out.push(r);
            }
        }
    }
    out
}

/// The simplification promises: no empty list, no clause without a condition.
fn assert_simple(f: &Filter) {
    let check = |c: &Cond| {
        if let Cond::Any(clauses) = c {
            assert!(!clauses.is_empty(), "empty clause list in {f:?}");
            for Clause { owners, states, .. } in clauses {
                assert!(
                    owners.is_some() || states.is_some(),
                    "empty clause in {f:?}"
                );
                if let Some(os) = owners {
                    assert!(!os.is_empty(), "empty owner list in {f:?}");
                }
                if let Some(s) = states {
                    assert!(!s.names.is_empty() || s.unset, "empty state set in {f:?}");
                }
            }
        }
    };
    check(f.default());
    for e in f.except() {
        assert!(!e.ids.is_empty());
        assert_ne!(&e.cond, f.default(), "an exception that changes nothing");
        assert!(e.ids.windows(2).all(|w| w[0] < w[1]));
        check(&e.cond);
    }
    if let Some(c) = f.no_id() {
        assert_ne!(c, f.default());
        check(c);
    }
}

/// Checks one policy; returns the number of resources compared.
fn check_in_memory(def: &PolicyDef, policy: &Policy) -> usize {
    let mut compared = 0;
    for kind in policy.kinds() {
        let resources = universe(policy, kind);
        for subject in policy.subjects() {
            for action in policy.actions(kind) {
                let filter = policy.filter(subject, action, kind);
                assert_simple(&filter);
                let json = serde_json::to_string(&filter).unwrap();
                let back: Filter = serde_json::from_str(&json).unwrap();
                assert_eq!(back, filter, "serde round trip");
                let bits = policy.can_many(subject, action, &resources);
                assert_eq!(bits.len(), resources.len());
                for (i, r) in resources.iter().enumerate() {
                    let can = policy.can(subject, action, r);
                    let why = || {
                        format!(
                            "subject {}, action {}, resource {r:?}: can = {can}\nfilter: {filter}\n{json}\npolicy: {}",
                            policy.subject_name(subject),
                            policy.action_name(action),
                            serde_json::to_string(def).unwrap()
                        )
                    };
                    assert_eq!(filter.matches(r), can, "matches: {}", why());
                    assert_eq!(bits.contains(i), can, "can_many: {}", why());
                    compared += 1;
                }
                // Another kind's resources never match.
                for other in policy.kinds().filter(|k| *k != kind) {
                    assert!(!filter.matches(&policy.resource(other).with_id(0)));
                }
            }
        }
    }
    compared
}

proptest! {
    #![proptest_config(Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 0,
        ..Config::default()
    })]

    #[test]
    fn filter_and_can_many_equal_can(stream in vec(any::<u32>(), POLICY_STREAM)) {
        let (def, policy) = compile(&stream);
        prop_assert!(check_in_memory(&def, &policy) > 0);
    }
}

/// Ids for `can_ids`: every id a generated policy can name and one past them,
/// the same shifted into the high half (`i << 32`, sharing their low bits), a few
/// multiples of a power of two, and the largest id; in a scrambled order with
/// repeats, and a length that is not a multiple of 64.
fn id_column() -> Vec<u64> {
    let mut ids: Vec<u64> = (0..=ID_POOL as u64 + 1).collect();
    ids.extend((0..=ID_POOL as u64 + 1).map(|i| i << 32));
    ids.extend((1..=8u64).map(|i| i << 20));
    ids.push(u64::MAX);
    ids.push(u64::MAX - 1);
    let n = ids.len();
    let mut out: Vec<u64> = (0..3 * n + 7).map(|j| ids[(j * 7 + j / n) % n]).collect();
    out.extend_from_slice(&ids);
    out
}

/// `def` with every id its exceptions and restrictions name (roles' and
/// subjects') moved to `id << 32`: ids that share their low 32 bits.
fn shift_ids(def: &PolicyDef) -> PolicyDef {
    let mut v = serde_json::to_value(def).unwrap();
    let shift = |x: &mut serde_json::Value| {
        if let Some(i) = x.as_u64() {
            *x = serde_json::json!(i << 32);
        }
    };
    for holders in ["roles", "subjects"] {
        let Some(map) = v.get_mut(holders).and_then(|m| m.as_object_mut()) else {
            continue;
        };
        for holder in map.values_mut() {
            if let Some(es) = holder.get_mut("exceptions").and_then(|e| e.as_array_mut()) {
                for e in es {
                    if let Some(id) = e.get_mut("id") {
                        shift(id);
                    }
                }
            }
            if let Some(rs) = holder
                .get_mut("restrictions")
                .and_then(|r| r.as_array_mut())
            {
                for r in rs {
                    if let Some(ids) = r.get_mut("ids").and_then(|i| i.as_array_mut()) {
                        ids.iter_mut().for_each(shift);
                    }
                }
            }
        }
    }
    serde_json::from_value(v).unwrap()
}

/// `can_ids` against `can` for every subject, kind and action of one policy
/// (and a subject id the policy does not have); returns the number compared.
fn check_can_ids(def: &PolicyDef, policy: &Policy) -> usize {
    let ids = id_column();
    let mut compared = 0;
    let mut subjects: Vec<SubjectId> = policy.subjects().collect();
    subjects.push(foreign_owner());
    for kind in policy.kinds() {
        for &subject in &subjects {
            for action in policy.actions(kind) {
                let bits = policy.can_ids(subject, action, kind, &ids);
                assert_eq!(bits.len(), ids.len());
                assert_eq!(bits.count(), bits.iter().count(), "no bits past the end");
                for (i, &id) in ids.iter().enumerate() {
                    let r = policy.resource(kind).with_id(id);
                    let can = policy.can(subject, action, &r);
                    assert_eq!(
                        bits.contains(i),
                        can,
                        "can_ids: subject {}, action {}, id {id}\npolicy: {}",
                        policy.subject_name(subject),
                        policy.action_name(action),
                        serde_json::to_string(def).unwrap()
                    );
                    compared += 1;
                }
                // An action of another kind: nothing.
                for other in policy.kinds().filter(|k| *k != kind) {
                    assert_eq!(policy.can_ids(subject, action, other, &ids).count(), 0);
                }
            }
        }
    }
    compared
}

proptest! {
    #![proptest_config(Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 0,
        ..Config::default()
    })]

    #[test]
    fn can_ids_equal_can(stream in vec(any::<u32>(), POLICY_STREAM)) {
        let (def, policy) = compile(&stream);
        prop_assert!(check_can_ids(&def, &policy) > 0);
        // The same policy with every named id `i` written as `i << 32`.
        let shifted = shift_ids(&def);
        let policy = Policy::compile(&shifted).expect("shifted policies compile");
        prop_assert!(check_can_ids(&shifted, &policy) > 0);
    }
}

/// One stored row: `(rowid, id, owner, state)` as stored, and the resource (none
/// for a row in a state the kind does not have).
type Row = (
    i64,
    Option<u64>,
    Option<Value>,
    Option<Value>,
    Option<Resource>,
);

/// The rows of one kind.
struct Table {
    rows: Vec<Row>,
}

const ROWS: usize = 10_000;

/// A 10k-row table of `kind`; owners and states as text (`ints` false) or as
/// integers (subject index + 1000, state index + 1). A row in a state the kind
/// does not have has no resource (nothing may be done to it).
fn fill(
    conn: &rusqlite::Connection,
    policy: &Policy,
    kind: KindId,
    d: &mut Draw,
    ints: bool,
) -> Table {
    conn.execute_batch(
        "DROP TABLE IF EXISTS t; CREATE TABLE t (rid INTEGER PRIMARY KEY, id INTEGER, owner, state);",
    )
    .unwrap();
    let subjects: Vec<SubjectId> = policy.subjects().collect();
    let states: Vec<_> = policy.states(kind).collect();
    let foreign = foreign_owner();
    let mut rows = Vec::with_capacity(ROWS);
    let mut insert = conn
        .prepare("INSERT INTO t (rid, id, owner, state) VALUES (?1, ?2, ?3, ?4)")
        .unwrap();
    for n in 0..ROWS {
        let mut r = policy.resource(kind);
        let id = (!d.chance(3)).then(|| d.below(ID_POOL + 2) as u64);
        if let Some(id) = id {
            r = r.with_id(id);
        }
        let owner = match d.below(subjects.len() + 2) {
            0 => None,
            // An owner that is no subject of the policy.
            1 => {
                r = r.with_owner(foreign);
                Some(if ints {
                    Value::Integer(5)
                } else {
                    Value::Text("nobody".into())
                })
            }
            i => {
                let s = subjects[i - 2];
                r = r.with_owner(s);
                Some(if ints {
                    Value::Integer(s.index() as i64 + 1000)
                } else {
                    Value::Text(policy.subject_name(s).to_string())
                })
            }
        };
        let mut resource = Some(r);
        let state = match d.below(states.len() + 2) {
            0 => None,
            1 => {
                resource = None;
                Some(if ints {
                    Value::Integer(999)
                } else {
                    Value::Text("no such state".into())
                })
            }
            i => {
                let st = states[i - 2];
                resource = resource.map(|r| r.with_state(st));
                Some(if ints {
                    Value::Integer(i as i64 - 1)
                } else {
                    Value::Text(policy.state_name(st).to_string())
                })
            }
        };
        let rowid = n as i64 + 1;
        insert
            .execute((rowid, id.map(|i| i as i64), &owner, &state))
            .unwrap();
        rows.push((rowid, id, owner, state, resource));
    }
    Table { rows }
}

fn to_value(v: &SqlValue) -> Value {
    match v {
        SqlValue::Int(i) => Value::Integer(*i),
        SqlValue::Text(t) => Value::Text(t.clone()),
    }
}

fn query(conn: &rusqlite::Connection, filter: &Filter, columns: &Columns<'_>) -> Vec<i64> {
    let sql = filter.to_sql(columns).unwrap();
    let text = format!("SELECT rowid FROM t WHERE {} ORDER BY rowid", sql.text);
    let mut stmt = conn.prepare(&text).unwrap();
    let params: Vec<Value> = sql.params.iter().map(to_value).collect();
    stmt.query_map(rusqlite::params_from_iter(params), |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A subject id that no generated policy has (they have at most 5 subjects): one
/// of a policy with 50.
fn foreign_owner() -> SubjectId {
    let subjects: Vec<String> = (0..50)
        .map(|i| format!(r#""x{i}": {{"role": "R"}}"#))
        .collect();
    let json = format!(
        r#"{{"kinds": {{"k": {{"actions": ["a"]}}}}, "roles": {{"R": {{}}}}, "subjects": {{{}}}}}"#,
        subjects.join(", ")
    );
    let def: PolicyDef = serde_json::from_str(&json).unwrap();
    let p = Policy::compile(&def).unwrap();
    p.subject("x49").unwrap()
}

/// Checks every subject and action of every kind of one policy in SQLite;
/// returns the number of (query, row) pairs compared.
fn check_in_sqlite(stream: &[u32]) -> usize {
    let (def, policy) = compile(stream);
    assert!(policy.subject_count() < 50);
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let mut d = Draw::new(stream.get(POLICY_STREAM / 2..).unwrap_or_default());
    let mut compared = 0;
    for (k, kind) in policy.kinds().enumerate() {
        let ints = k % 2 == 1;
        let table = fill(&conn, &policy, kind, &mut d, ints);
        let policy_ref = &policy;
        let mut columns = Columns::new("t.id").owner("owner").state("t.state");
        if ints {
            columns = columns
                .owner_keys(move |name| {
                    policy_ref
                        .subject(name)
                        .map(|s| SqlValue::Int(s.index() as i64 + 1000))
                })
                .state_values(move |name| {
                    policy_ref
                        .state(kind, name)
                        .and_then(|st| policy_ref.states(kind).position(|x| x == st))
                        .map(|i| SqlValue::Int(i as i64 + 1))
                });
        }
        for subject in policy.subjects() {
            for action in policy.actions(kind) {
                let filter = policy.filter(subject, action, kind);
                let got = query(&conn, &filter, &columns);
                let want: Vec<i64> = table
                    .rows
                    .iter()
                    .filter(|row| {
                        row.4
                            .as_ref()
                            .is_some_and(|r| policy.can(subject, action, r))
                    })
                    .map(|row| row.0)
                    .collect();
                if got != want {
                    let sql = filter.to_sql(&columns).unwrap();
                    panic!(
                        "SQL and can disagree for {} {}: {} rows vs {} rows\nfilter: {filter}\nsql: {}\nparams: {:?}\npolicy: {}",
                        policy.subject_name(subject),
                        policy.action_name(action),
                        got.len(),
                        want.len(),
                        sql.text,
                        sql.params,
                        serde_json::to_string(&def).unwrap()
                    );
                }
                compared += table.rows.len();
            }
        }
    }
    compared
}

proptest! {
    #![proptest_config(Config {
        cases: sql_cases(),
        failure_persistence: None,
        max_shrink_iters: 0,
        ..Config::default()
    })]

    #[test]
    fn sql_rows_equal_can(stream in vec(any::<u32>(), POLICY_STREAM)) {
        prop_assert!(check_in_sqlite(&stream) > 0);
    }
}

/// A policy whose names are built to break SQL that splices them in.
fn hostile() -> (Policy, Vec<&'static str>) {
    let names = vec![
        "o'brien",
        "x\"; DROP TABLE t; --",
        "a/* comment */b",
        "'); DELETE FROM t; --",
        "s' OR '1'='1",
        "-- billed",
    ];
    let json = serde_json::json!({
        "kinds": { "doc": {
            "actions": ["view", "edit"], "needs": { "edit": ["view"] },
            "states": [names[4], names[5], "plain"],
            "state_rules": [{ "state": names[5], "hold": ["edit"] }]
        } },
        "roles": { "R": { "grants": { "doc": { "actions": ["view"], "own": ["edit"], "managed": ["edit"] } } } },
        "subjects": {
            (names[0]): { "role": "R", "manages": [names[1], names[2]],
                          "exceptions": [{ "kind": "doc", "id": 3, "deny": ["view"] },
                                         { "kind": "doc", "id": 4, "allow": ["edit"] }] },
            (names[1]): { "role": "R" },
            (names[2]): { "role": "R" },
            (names[3]): { "role": "R" }
        }
    });
    let def: PolicyDef = serde_json::from_value(json).unwrap();
    (Policy::compile(&def).unwrap(), names)
}

#[test]
fn hostile_names_never_reach_the_sql_text() {
    let (policy, names) = hostile();
    let kind = policy.kind("doc").unwrap();
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (id INTEGER, owner TEXT, state TEXT)")
        .unwrap();
    let subjects: Vec<SubjectId> = policy.subjects().collect();
    let states: Vec<_> = policy.states(kind).collect();
    let mut resources = Vec::new();
    for id in 0..6u64 {
        for owner in std::iter::once(None).chain(subjects.iter().copied().map(Some)) {
            for st in std::iter::once(None).chain(states.iter().copied().map(Some)) {
                let mut r = policy.resource(kind).with_id(id);
                if let Some(o) = owner {
                    r = r.with_owner(o);
                }
                if let Some(st) = st {
                    r = r.with_state(st);
                }
                conn.execute(
                    "INSERT INTO t VALUES (?1, ?2, ?3)",
                    (
                        id as i64,
                        owner.map(|o| policy.subject_name(o).to_string()),
                        st.map(|s| policy.state_name(s).to_string()),
                    ),
                )
                .unwrap();
                resources.push(r);
            }
        }
    }
    let columns = Columns::new("id").owner("t.owner").state("state");
    let mut queries = 0;
    for subject in &subjects {
        for action in policy.actions(kind) {
            let filter = policy.filter(*subject, action, kind);
            let sql = filter.to_sql(&columns).unwrap();
            for name in &names {
                assert!(!sql.text.contains(name), "{name:?} in {}", sql.text);
            }
            assert!(
                sql.text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " _.,()?=<>".contains(c)),
                "unexpected character in {}",
                sql.text
            );
            let got = query(&conn, &filter, &columns);
            let want: Vec<i64> = resources
                .iter()
                .enumerate()
                .filter(|(_, r)| policy.can(*subject, action, r))
                .map(|(i, _)| i as i64 + 1)
                .collect();
            assert_eq!(got, want, "{}: {}", policy.subject_name(*subject), sql.text);
            queries += 1;
        }
    }
    assert_eq!(queries, 8);
    // The table is still there, with every row.
    let n: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as usize, resources.len());
    // The first subject's filter mentions every kind of condition.
    let edit = policy.action("doc", "edit").unwrap();
    let filter = policy.filter(subjects[0], edit, kind);
    assert_eq!(
        filter.to_string(),
        "own or managed, state s' OR '1'='1, plain or none; except ids 3: none; except ids 4: \
         state s' OR '1'='1, plain or none"
    );
    let sql = filter.to_sql(&columns).unwrap();
    assert_eq!(
        sql.text,
        "(id = ? AND (state IN (?, ?) OR state IS NULL)) OR ((id IS NULL OR id <> ?) AND \
         t.owner IN (?, ?, ?) AND (state IN (?, ?) OR state IS NULL))"
    );
    let text = |s: &str| SqlValue::Text(s.to_string());
    assert_eq!(
        sql.params,
        [
            SqlValue::Int(4),
            text(names[4]),
            text("plain"),
            SqlValue::Int(3),
            text(names[0]),
            text(names[1]),
            text(names[2]),
            text(names[4]),
            text("plain"),
        ]
    );
}

#[test]
fn bad_column_names_are_refused() {
    let (policy, _) = hostile();
    let s = policy.subjects().next().unwrap();
    let edit = policy.action("doc", "edit").unwrap();
    let filter = policy.filter(s, edit, edit.kind());
    for bad in [
        "", "id;", "id --", "a b", "1id", "t.c.d", ".id", "id.", "\"id\"", "`id`", "id/*", "idé",
        "id)",
    ] {
        for (field, columns) in [
            ("id", Columns::new(bad)),
            ("owner", Columns::new("id").owner(bad)),
            ("state", Columns::new("id").state(bad)),
        ] {
            match filter.to_sql(&columns) {
                Err(SqlError::BadColumn { field: f, name }) => {
                    assert_eq!((f, name.as_str()), (field, bad));
                }
                other => panic!("{bad:?} as {field}: {other:?}"),
            }
        }
    }
    let err = filter
        .to_sql(&Columns::new("id; DROP TABLE t"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "columns.id: `id; DROP TABLE t` is not a SQL identifier (a letter or `_`, then letters, \
         digits or `_`, optionally `table.column`)"
    );
    for good in ["id", "_x", "t.id", "T_1.Col_2"] {
        assert!(filter.to_sql(&Columns::new(good)).is_ok(), "{good}");
    }
}

#[test]
fn ids_beyond_i64_are_an_error_not_a_wrong_answer() {
    let def: PolicyDef = serde_json::from_value(serde_json::json!({
        "kinds": { "doc": { "actions": ["view"] } },
        "roles": { "R": { "grants": { "doc": ["view"] } } },
        "subjects": { "u": { "role": "R",
            "exceptions": [{ "kind": "doc", "id": u64::MAX, "deny": ["view"] }] } }
    }))
    .unwrap();
    let policy = Policy::compile(&def).unwrap();
    let u = policy.subject("u").unwrap();
    let view = policy.action("doc", "view").unwrap();
    let filter = policy.filter(u, view, view.kind());
    assert!(!filter.matches(&policy.resource(view.kind()).with_id(u64::MAX)));
    assert_eq!(
        filter.to_sql(&Columns::new("id")),
        Err(SqlError::IdOutOfRange { id: u64::MAX })
    );
}

#[test]
fn serde_round_trip_and_shape() {
    let (policy, _) = hostile();
    let s = policy.subjects().next().unwrap();
    let edit = policy.action("doc", "edit").unwrap();
    let filter = policy.filter(s, edit, edit.kind());
    let json = serde_json::to_value(&filter).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "kind": { "name": "doc", "index": 0 },
            "subject": { "name": "o'brien", "index": 0 },
            "managed": [
                { "name": "x\"; DROP TABLE t; --", "index": 1 },
                { "name": "a/* comment */b", "index": 2 }
            ],
            "states": ["s' OR '1'='1", "-- billed", "plain"],
            "default": { "any": [
                { "owners": ["own", "managed"], "states": { "names": ["s' OR '1'='1", "plain"], "unset": true } }
            ] },
            "except": [
                { "ids": [3], "cond": "none" },
                { "ids": [4], "cond": { "any": [
                    { "states": { "names": ["s' OR '1'='1", "plain"], "unset": true } }
                ] } }
            ]
        })
    );
    let back: Filter = serde_json::from_value(json).unwrap();
    assert_eq!(back, filter);
    // Constant filters carry no conditions.
    let view = policy.action("doc", "view").unwrap();
    let other = policy.subjects().nth(3).unwrap();
    let all = policy.filter(other, view, view.kind());
    assert!(all.is_all());
    assert_eq!(
        serde_json::to_value(&all).unwrap(),
        serde_json::json!({
            "kind": { "name": "doc", "index": 0 },
            "subject": { "name": "'); DELETE FROM t; --", "index": 3 },
            "states": ["s' OR '1'='1", "-- billed", "plain"],
            "default": "all"
        })
    );
    assert!(policy
        .filter(other, edit, edit.kind())
        .to_string()
        .starts_with("own, state"));
}

#[test]
fn can_many_mixed_kinds_and_empty() {
    let (policy, _) = hostile();
    let s = policy.subjects().next().unwrap();
    let view = policy.action("doc", "view").unwrap();
    assert!(policy.can_many(s, view, &[]).is_empty());
    let rs: Vec<Resource> = (0..200)
        .map(|i| policy.resource(view.kind()).with_id(i % 7))
        .collect();
    let bits = policy.can_many(s, view, &rs);
    assert_eq!(bits.len(), 200);
    for (i, r) in rs.iter().enumerate() {
        assert_eq!(bits.contains(i), policy.can(s, view, r));
    }
    assert_eq!(bits.count(), bits.iter().count());
    assert!(!bits.contains(200));
}

/// `can_many`, `can_ids` and `filter` on subjects naming many ids that share their low bits
/// (`i << 32`, multiples of 1024): the two-slot table (3,000 ids) and the walked
/// one (10,000 ids).
#[test]
fn many_structured_exception_ids() {
    for (n, shift) in [(3_000u64, 32u32), (10_000, 10)] {
        let exceptions: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                let id = i << shift;
                if i % 3 == 0 {
                    serde_json::json!({ "kind": "doc", "id": id, "deny": ["view"] })
                } else {
                    serde_json::json!({ "kind": "doc", "id": id, "allow": ["edit"] })
                }
            })
            .collect();
        let def: PolicyDef = serde_json::from_value(serde_json::json!({
            "kinds": { "doc": { "actions": ["view", "edit"], "needs": { "edit": ["view"] },
                                "states": ["open", "closed"] } },
            "roles": { "R": { "grants": { "doc": { "actions": ["view"], "own": ["edit"] } } } },
            "subjects": { "u": { "role": "R", "exceptions": exceptions }, "v": { "role": "R" } }
        }))
        .unwrap();
        let policy = Policy::compile(&def).unwrap();
        let u = policy.subject("u").unwrap();
        let v = policy.subject("v").unwrap();
        let kind = policy.kind("doc").unwrap();
        let closed = policy.state(kind, "closed").unwrap();
        let mut rs = Vec::new();
        for i in 0..n + 10 {
            for id in [i << shift, (i << shift) + 1, i] {
                let r = policy.resource(kind).with_id(id);
                rs.push(match i % 4 {
                    0 => r,
                    1 => r.with_owner(u),
                    2 => r.with_owner(v).with_state(closed),
                    _ => r.with_state(closed),
                });
            }
        }
        let column: Vec<u64> = rs.iter().map(|r| r.id().unwrap()).collect();
        for action in policy.actions(kind) {
            let by_id = policy.can_ids(u, action, kind, &column);
            for (i, &id) in column.iter().enumerate() {
                let can = policy.can(u, action, &policy.resource(kind).with_id(id));
                assert_eq!(by_id.contains(i), can, "can_ids: {n} ids, id {id}");
            }
            let bits = policy.can_many(u, action, &rs);
            let filter = policy.filter(u, action, kind);
            for (i, r) in rs.iter().enumerate() {
                let can = policy.can(u, action, r);
                assert_eq!(bits.contains(i), can, "{n} ids, {r:?}");
                assert_eq!(filter.matches(r), can, "{n} ids, {r:?}");
            }
        }
    }
}

/// A subject id the policy did not hand out (another policy's, past the end):
/// the filter matches nothing and `can_ids`/`can_many` allow nothing, as `can`.
#[test]
fn foreign_subject_ids_are_denied() {
    let (policy, _) = hostile();
    let stranger = foreign_owner();
    let view = policy.action("doc", "view").unwrap();
    let kind = view.kind();
    let filter = policy.filter(stranger, view, kind);
    assert!(filter.is_none(), "{filter}");
    let rs: Vec<Resource> = (0..10).map(|i| policy.resource(kind).with_id(i)).collect();
    assert!(rs
        .iter()
        .all(|r| !policy.can(stranger, view, r) && !filter.matches(r)));
    assert_eq!(policy.can_many(stranger, view, &rs).count(), 0);
    assert_eq!(
        policy
            .can_ids(stranger, view, kind, &[0, 3, 4, 1 << 32])
            .count(),
        0
    );
}

/// Subject ids of another policy compiled from the same document (the same
/// indices, another lineage): whatever `can` answers for them, the filter,
/// `can_many` and `can_ids` answer the same (lists resolve a subject as `can`
/// does; see `Policy::list_entry`).
#[test]
fn other_policies_subject_ids_answer_as_can() {
    let (policy, _) = hostile();
    let (twin, _) = hostile();
    let kind = policy.kind("doc").unwrap();
    let rs = universe(&policy, kind);
    let ids: Vec<u64> = (0..8).chain([1 << 32]).collect();
    for s in twin.subjects() {
        for action in policy.actions(kind) {
            let filter = policy.filter(s, action, kind);
            let bits = policy.can_many(s, action, &rs);
            for (i, r) in rs.iter().enumerate() {
                let can = policy.can(s, action, r);
                assert_eq!(filter.matches(r), can, "{r:?}");
                assert_eq!(bits.contains(i), can, "{r:?}");
            }
            let by_id = policy.can_ids(s, action, kind, &ids);
            for (i, &id) in ids.iter().enumerate() {
                let can = policy.can(s, action, &policy.resource(kind).with_id(id));
                assert_eq!(by_id.contains(i), can, "id {id}");
            }
        }
    }
}

#[test]
fn list_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Filter>();
    send_sync::<Cond>();
    send_sync::<accessmask::BitSet>();
    send_sync::<accessmask::Sql>();
    send_sync::<SqlValue>();
    send_sync::<SqlError>();
}
