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
//! - Containment (`contained_filters_equal_can`): random policies with parent
//!   chains, string ids, rules written in ancestors and prerequisites on ancestor
//!   instances (a local generator on top of the shared one), checked on every
//!   kind's contained universe (every ancestor prefix, own ids named and not,
//!   random owners and states) in memory (`matches`, `can_many`, `can_ids`,
//!   `can_ids_within`, serde) and in SQLite with ancestor columns, plus resources
//!   `can` denies as inconsistent. Hostile: thousands of ancestor ids named at
//!   each depth keep the filter linear in them; a missing ancestor column is an
//!   error.
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
    Branch, Clause, Columns, Cond, ExceptionDef, Filter, IdDef, IdType, Instance, KindId, Policy,
    PolicyDef, PrerequisiteDef, Resource, RestrictionDef, SqlError, SqlValue, SubjectId,
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
    send_sync::<Branch>();
    send_sync::<accessmask::Within>();
}

// ---------------------------------------------------------------------------
// Containment: kinds with parents, rules written in ancestors, prerequisites on
// ancestor instances, string ids.
// ---------------------------------------------------------------------------

/// Pool id `i` of a kind with string ids is `TEXTS[i]` (quotes, a SQL comment,
/// a digit string, non-ASCII); `UNNAMED_TEXT` is named by no rule.
const TEXTS: [&str; ID_POOL] = ["acme/web", "o'brien", "0", "x'; DROP TABLE t; --", "é ü"];
const UNNAMED_TEXT: &str = "zz/unnamed";
/// Rules written in an ancestor name ancestor ids below this.
const ANC_POOL: usize = 3;

fn id_def(text: bool, i: u64) -> IdDef {
    if text {
        IdDef::String(TEXTS[i as usize % ID_POOL].to_string())
    } else {
        IdDef::Number(i)
    }
}

/// A random policy with containment, until the shared generator has it: the
/// shared generator's policy, plus parent chains (up to 3 deep), string ids on
/// some kinds (the ids of their rules written as strings), exceptions and
/// restrictions written in ancestors on roles and subjects, and prerequisites on
/// ancestor instances.
fn gen_contained(d: &mut Draw) -> PolicyDef {
    let mut def = gen_policy(d);
    let names: Vec<String> = def.kinds.iter().map(|(n, _)| n.to_string()).collect();
    let n = names.len();
    let mut parent: Vec<Option<usize>> = vec![None; n];
    for (i, p) in parent.iter_mut().enumerate().skip(1) {
        if d.chance(75) {
            *p = Some(d.below(i));
        }
    }
    let chain = |i: usize| -> Vec<usize> {
        let mut c = Vec::new();
        let mut x = parent[i];
        while let Some(p) = x {
            c.push(p);
            x = parent[p];
        }
        c
    };
    let text: Vec<bool> = (0..n).map(|_| d.chance(35)).collect();
    let info: Vec<(Vec<String>, Vec<String>)> = names
        .iter()
        .map(|k| {
            let kd = kind_named(&def, k);
            (kd.actions.clone(), level_names(kd))
        })
        .collect();
    for (i, name) in names.iter().enumerate() {
        let k = def.kinds.get_mut(name).unwrap();
        k.parent = parent[i].map(|p| names[p].clone());
        if text[i] {
            k.ids = IdType::String;
        }
    }
    let index = |kind: &str| names.iter().position(|n| n == kind).unwrap();
    let contained: Vec<usize> = (0..n).filter(|&i| parent[i].is_some()).collect();
    let edit = |exceptions: &mut Vec<ExceptionDef>,
                restrictions: &mut Vec<RestrictionDef>,
                d: &mut Draw| {
        for e in exceptions.iter_mut() {
            if let IdDef::Number(i) = e.id {
                e.id = id_def(text[index(&e.kind)], i);
            }
        }
        for r in restrictions.iter_mut() {
            let t = text[index(&r.kind)];
            for id in &mut r.ids {
                if let IdDef::Number(i) = *id {
                    *id = id_def(t, i);
                }
            }
        }
        if contained.is_empty() {
            return;
        }
        for _ in 0..d.range(0, 3) {
            let i = *d.pick(&contained).unwrap();
            let ch = chain(i);
            let a = ch[d.below(ch.len())];
            let id = id_def(text[a], d.below(ANC_POOL) as u64);
            if exceptions
                .iter()
                .any(|e| e.kind == names[i] && e.within.as_deref() == Some(&names[a]) && e.id == id)
            {
                continue;
            }
            let (actions, levels) = &info[i];
            let mut e = ExceptionDef {
                kind: names[i].clone(),
                within: Some(names[a].clone()),
                id,
                ..ExceptionDef::default()
            };
            if !levels.is_empty() && d.chance(30) {
                e.level = d.pick(levels).cloned();
            } else {
                e.allow = d.subset(actions, 25);
                e.deny = d.subset(actions, 25);
                if e.allow.is_empty() && e.deny.is_empty() {
                    let one = d.pick(actions).cloned().unwrap();
                    if d.chance(50) {
                        e.allow.push(one);
                    } else {
                        e.deny.push(one);
                    }
                }
            }
            exceptions.push(e);
        }
        if d.chance(35) {
            let i = *d.pick(&contained).unwrap();
            let ch = chain(i);
            let a = ch[d.below(ch.len())];
            if !restrictions
                .iter()
                .any(|r| r.kind == names[i] && r.within.as_deref() == Some(&names[a]))
            {
                let mut ids: Vec<IdDef> = (0..ANC_POOL as u64)
                    .filter(|_| d.chance(40))
                    .map(|x| id_def(text[a], x))
                    .collect();
                if ids.is_empty() {
                    ids.push(id_def(text[a], d.below(ANC_POOL) as u64));
                }
                restrictions.push(RestrictionDef {
                    kind: names[i].clone(),
                    actions: d.non_empty_subset(&info[i].0, 25),
                    within: Some(names[a].clone()),
                    ids,
                });
            }
        }
    };
    let roles: Vec<String> = def.roles.iter().map(|(n, _)| n.to_string()).collect();
    for r in &roles {
        let role = def.roles.get_mut(r).unwrap();
        edit(&mut role.exceptions, &mut role.restrictions, d);
    }
    let subjects: Vec<String> = def.subjects.iter().map(|(n, _)| n.to_string()).collect();
    for s in &subjects {
        let subject = def.subjects.get_mut(s).unwrap();
        edit(&mut subject.exceptions, &mut subject.restrictions, d);
    }
    for &i in &contained {
        if !d.chance(45) {
            continue;
        }
        let ch = chain(i);
        let a = ch[d.below(ch.len())];
        let (actions, levels) = &info[a];
        let level = if !levels.is_empty() && d.chance(40) {
            d.pick(levels).cloned()
        } else {
            None
        };
        let mut needs = d.subset(actions, 25);
        let level_empty = level
            .as_ref()
            .and_then(|l| kind_named(&def, &names[a]).levels.get(l))
            .map_or(true, |l| l.is_empty());
        if needs.is_empty() && level_empty {
            needs.push(d.pick(actions).cloned().unwrap());
        }
        let action = d.pick(&info[i].0).cloned().unwrap();
        def.kinds
            .get_mut(&names[i])
            .unwrap()
            .prerequisites
            .push(PrerequisiteDef {
                action,
                kind: names[a].clone(),
                actions: needs,
                level,
                on_ancestor: true,
            });
    }
    def
}

/// The ancestor kinds of `kind`, parent first, with whether they have string ids.
fn chain_of(def: &PolicyDef, policy: &Policy, kind: KindId) -> Vec<(KindId, bool)> {
    let mut out = Vec::new();
    let mut name = policy.kind_name(kind).to_string();
    while let Some(p) = def.kinds.get(&name).and_then(|k| k.parent.clone()) {
        out.push((
            policy.kind(&p).unwrap(),
            def.kinds.get(&p).unwrap().ids == IdType::String,
        ));
        name = p;
    }
    out
}

fn string_kind(def: &PolicyDef, policy: &Policy, kind: KindId) -> bool {
    def.kinds.get(policy.kind_name(kind)).unwrap().ids == IdType::String
}

/// `n` pool instances of `kind` and one named nowhere, with how a table stores
/// each (an integer, or the string).
fn instances(policy: &Policy, kind: KindId, text: bool, n: usize) -> Vec<(Instance, Value)> {
    let mut out: Vec<(Instance, Value)> = (0..n)
        .map(|i| {
            if text {
                (
                    policy.instance(kind, TEXTS[i]),
                    Value::Text(TEXTS[i].into()),
                )
            } else {
                (kind.instance(i as u64), Value::Integer(i as i64))
            }
        })
        .collect();
    out.push(if text {
        (
            policy.instance(kind, UNNAMED_TEXT),
            Value::Text(UNNAMED_TEXT.into()),
        )
    } else {
        let id = ID_POOL as u64 + 1;
        (kind.instance(id), Value::Integer(id as i64))
    });
    out
}

/// A resource of the contained universe, and how a table row stores its id and
/// ancestors (parent first).
struct Item {
    r: Resource,
    id: Option<Value>,
    ancestors: Vec<Value>,
}

/// Every resource of `kind` with an own id among the pool's, one named nowhere or
/// none, given every prefix of its ancestors (each the pool's at depth 1, the
/// first `ANC_POOL` deeper, or one named nowhere); each with no owner and no
/// state, and twice with a random owner (none, or a subject) and state.
fn contained_universe(def: &PolicyDef, policy: &Policy, kind: KindId, d: &mut Draw) -> Vec<Item> {
    let chain = chain_of(def, policy, kind);
    let own = instances(policy, kind, string_kind(def, policy, kind), ID_POOL);
    let per_depth: Vec<Vec<(Instance, Value)>> = chain
        .iter()
        .enumerate()
        .map(|(e, &(k, t))| instances(policy, k, t, if e == 0 { ID_POOL } else { ANC_POOL }))
        .collect();
    let mut prefixes: Vec<Vec<(Instance, Value)>> = vec![Vec::new()];
    let mut frontier: Vec<Vec<(Instance, Value)>> = vec![Vec::new()];
    for opts in &per_depth {
        let mut next = Vec::new();
        for p in &frontier {
            for o in opts {
                let mut q = p.clone();
                q.push(o.clone());
                next.push(q);
            }
        }
        prefixes.extend(next.iter().cloned());
        frontier = next;
    }
    let subjects: Vec<SubjectId> = policy.subjects().collect();
    let states: Vec<_> = policy.states(kind).collect();
    let mut out = Vec::new();
    for prefix in &prefixes {
        for own_id in own.iter().map(Some).chain([None]) {
            for variant in 0..3 {
                let mut r = policy.resource(kind);
                if let Some((inst, _)) = own_id {
                    r = r.with_instance(*inst);
                }
                for (a, _) in prefix {
                    r = r.within(*a);
                }
                if variant > 0 {
                    if let Some(&o) = d.pick(&subjects).filter(|_| d.chance(75)) {
                        r = r.with_owner(o);
                    }
                    if let Some(&st) = d.pick(&states).filter(|_| d.chance(75)) {
                        r = r.with_state(st);
                    }
                }
                out.push(Item {
                    r,
                    id: own_id.map(|x| x.1.clone()),
                    ancestors: prefix.iter().map(|x| x.1.clone()).collect(),
                });
            }
        }
    }
    out
}

/// Resources `can` denies as built inconsistently: an ancestor of the wrong kind,
/// one ancestor too many, a number id for a kind with string ids or the reverse
/// (own or ancestor).
fn invalid_resources(def: &PolicyDef, policy: &Policy, kind: KindId) -> Vec<Resource> {
    let chain = chain_of(def, policy, kind);
    let text = string_kind(def, policy, kind);
    let own = |k: KindId, t: bool| {
        if t {
            k.instance(0)
        } else {
            policy.instance(k, TEXTS[0])
        }
    };
    let good = |k: KindId, t: bool| {
        if t {
            policy.instance(k, TEXTS[0])
        } else {
            k.instance(0)
        }
    };
    let mut out = vec![
        policy.resource(kind).with_instance(own(kind, text)),
        policy.resource(kind).within(kind.instance(0)),
    ];
    let mut full = policy.resource(kind);
    for &(k, t) in &chain {
        out.push(policy.resource(kind).within(own(k, t)));
        full = full.within(good(k, t));
    }
    out.push(full.within(good(kind, text)));
    // An instance of another kind as the own id.
    if let Some(&(k, t)) = chain.first() {
        out.push(policy.resource(kind).with_instance(good(k, t)));
    }
    out
}

/// The simplification promises of every branch of a tree.
fn assert_simple_tree(f: &Filter) {
    assert_simple(f);
    fn walk(f: &Filter, b: &Branch, depth: usize, string_ids: bool) {
        for e in &b.except {
            assert!(!e.ids.is_empty());
            assert_ne!(
                e.cond, b.default,
                "an exception that changes nothing in {f:?}"
            );
            assert!(e.ids.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(e.texts.len(), if string_ids { e.ids.len() } else { 0 });
        }
        if let Some(c) = &b.no_id {
            assert_ne!(c, &b.default);
        }
        if let Some(w) = &b.within {
            assert_eq!(w.depth, depth + 1, "parent first in {f:?}");
            assert_eq!(w.kind, f.ancestors()[depth].kind);
            let text = f.ancestors()[depth].string_ids;
            let mut all: Vec<u64> = Vec::new();
            for e in &w.except {
                assert!(!e.ids.is_empty());
                assert_ne!(e.then, w.default, "a case that changes nothing in {f:?}");
                assert!(e.ids.windows(2).all(|x| x[0] < x[1]));
                assert_eq!(e.texts.len(), if text { e.ids.len() } else { 0 });
                all.extend(&e.ids);
                walk(f, &e.then, depth + 1, string_ids);
            }
            all.sort_unstable();
            assert!(all.windows(2).all(|x| x[0] < x[1]), "an id in two cases");
            // A split that changes nothing is left out.
            assert!(
                !(w.except.is_empty()
                    && w.default.within.is_none()
                    && w.default.default == b.default
                    && w.default.except == b.except
                    && w.default.no_id == b.no_id),
                "a split that changes nothing in {f:?}"
            );
            walk(f, &w.default, depth + 1, string_ids);
        }
    }
    walk(f, f.branch(), 0, f.string_ids());
}

/// The deepest `within` of a filter (0: none).
fn tree_depth(b: &Branch) -> usize {
    b.within.as_ref().map_or(0, |w| {
        w.except
            .iter()
            .map(|e| tree_depth(&e.then))
            .chain([tree_depth(&w.default)])
            .max()
            .unwrap_or(0)
            + 1
    })
}

/// How many ids (own and ancestor) a filter lists, all branches counted.
fn tree_size(b: &Branch) -> usize {
    b.except.iter().map(|e| e.ids.len()).sum::<usize>()
        + b.within.as_ref().map_or(0, |w| {
            tree_size(&w.default)
                + w.except
                    .iter()
                    .map(|e| e.ids.len() + tree_size(&e.then))
                    .sum::<usize>()
        })
}

#[derive(Default, Debug)]
struct Seen {
    policies: usize,
    filters: usize,
    within: usize,
    deep: usize,
    string_within: usize,
    compared: usize,
    rows: usize,
}

/// One contained policy: in memory (`matches`, `can_many`, `can_ids`,
/// `can_ids_within`, serde) and in SQLite (the rendered `WHERE` over the id,
/// owner, state and ancestor columns) against `can`, on every resource of the
/// contained universe of every kind.
fn check_contained(stream: &[u32], seen: &mut Seen) {
    let mut d = Draw::new(stream);
    let def = gen_contained(&mut d);
    let policy = match Policy::compile(&def) {
        Ok(p) => p,
        Err(e) => panic!("{e}\n{}", serde_json::to_string(&def).unwrap()),
    };
    seen.policies += 1;
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let mut u = Draw::new(stream.get(POLICY_STREAM / 2..).unwrap_or_default());
    let subjects: Vec<SubjectId> = policy.subjects().collect();
    for kind in policy.kinds() {
        let items = contained_universe(&def, &policy, kind, &mut u);
        let invalid = invalid_resources(&def, &policy, kind);
        let resources: Vec<Resource> = items.iter().map(|i| i.r).collect();
        let chain = chain_of(&def, &policy, kind);
        // The table: ids and ancestors as integers or text, owners and states by
        // name.
        conn.execute_batch(
            "DROP TABLE IF EXISTS c; CREATE TABLE c (rid INTEGER PRIMARY KEY, id, owner, state, a1, a2, a3, a4);",
        )
        .unwrap();
        {
            let mut insert = conn
                .prepare("INSERT INTO c VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
                .unwrap();
            for (n, it) in items.iter().enumerate() {
                let a = |i: usize| it.ancestors.get(i).cloned().unwrap_or(Value::Null);
                insert
                    .execute(rusqlite::params![
                        n as i64 + 1,
                        it.id.clone().unwrap_or(Value::Null),
                        it.r.owner().map(|o| policy.subject_name(o).to_string()),
                        it.r.state().map(|s| policy.state_name(s).to_string()),
                        a(0),
                        a(1),
                        a(2),
                        a(3),
                    ])
                    .unwrap();
            }
        }
        let names: Vec<String> = chain
            .iter()
            .map(|(k, _)| policy.kind_name(*k).to_string())
            .collect();
        let cols = ["a1", "a2", "a3", "a4"];
        let mut columns = Columns::new("id").owner("owner").state("c.state");
        for (name, col) in names.iter().zip(cols) {
            columns = columns.ancestor(name, col);
        }
        let why = |s: SubjectId, a, f: &Filter, r: &Resource| {
            format!(
                "subject {}, action {}, resource {r:?}\nfilter: {f}\n{}\npolicy: {}",
                policy.subject_name(s),
                policy.action_name(a),
                serde_json::to_string(f).unwrap(),
                serde_json::to_string(&def).unwrap()
            )
        };
        for &s in &subjects {
            for action in policy.actions(kind) {
                let filter = policy.filter(s, action, kind);
                assert_simple_tree(&filter);
                seen.filters += 1;
                if filter.within().is_some() {
                    seen.within += 1;
                    if tree_depth(filter.branch()) > 1 {
                        seen.deep += 1;
                    }
                    if filter.ancestors().iter().any(|a| a.string_ids) {
                        seen.string_within += 1;
                    }
                }
                let json = serde_json::to_string(&filter).unwrap();
                let back: Filter = serde_json::from_str(&json).unwrap();
                assert_eq!(back, filter, "serde round trip");
                let bits = policy.can_many(s, action, &resources);
                for (i, r) in resources.iter().enumerate() {
                    let can = policy.can(s, action, r);
                    assert_eq!(
                        filter.matches(r),
                        can,
                        "matches: {}",
                        why(s, action, &filter, r)
                    );
                    assert_eq!(
                        bits.contains(i),
                        can,
                        "can_many: {}",
                        why(s, action, &filter, r)
                    );
                    seen.compared += 1;
                }
                for r in &invalid {
                    assert!(!policy.can(s, action, r), "{r:?}");
                    assert!(
                        !filter.matches(r),
                        "invalid: {}",
                        why(s, action, &filter, r)
                    );
                }
                assert_eq!(policy.can_many(s, action, &invalid).count(), 0);
                // Ids as a column, with no ancestor and inside each prefix the
                // universe has (number ids only: a kind with string ids denies
                // them all, as `can` does).
                let column: Vec<u64> = (0..=ID_POOL as u64 + 1)
                    .chain([1 << 32, u64::MAX])
                    .collect();
                let mut prefixes: Vec<Vec<Instance>> = vec![Vec::new()];
                for it in items.iter().filter(|it| {
                    it.id.is_none() && it.r.owner().is_none() && it.r.state().is_none()
                }) {
                    prefixes.push(it.r.ancestors().to_vec());
                }
                prefixes.sort_by_key(|p| format!("{p:?}"));
                prefixes.dedup();
                for p in &prefixes {
                    let by_id = if p.is_empty() {
                        policy.can_ids(s, action, kind, &column)
                    } else {
                        policy.can_ids_within(s, action, kind, p, &column)
                    };
                    for (i, &id) in column.iter().enumerate() {
                        let r = p
                            .iter()
                            .fold(policy.resource(kind).with_id(id), |r, a| r.within(*a));
                        assert_eq!(
                            by_id.contains(i),
                            policy.can(s, action, &r),
                            "can_ids within {p:?}: {}",
                            why(s, action, &filter, &r)
                        );
                    }
                }
                // SQLite.
                let sql = filter.to_sql(&columns).unwrap();
                let text = format!("SELECT rid FROM c WHERE {} ORDER BY rid", sql.text);
                let mut stmt = conn.prepare(&text).unwrap();
                let params: Vec<Value> = sql.params.iter().map(to_value).collect();
                let got: Vec<i64> = stmt
                    .query_map(rusqlite::params_from_iter(params), |row| row.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                let want: Vec<i64> = items
                    .iter()
                    .enumerate()
                    .filter(|(_, it)| policy.can(s, action, &it.r))
                    .map(|(n, _)| n as i64 + 1)
                    .collect();
                if got != want {
                    let first = items
                        .iter()
                        .enumerate()
                        .find(|(n, _)| {
                            got.contains(&(*n as i64 + 1)) != want.contains(&(*n as i64 + 1))
                        })
                        .map(|(_, it)| it.r);
                    panic!(
                        "SQL and can disagree: {} rows vs {}, first {first:?}\nsql: {}\nparams: {:?}\n{}",
                        got.len(),
                        want.len(),
                        sql.text,
                        sql.params,
                        why(s, action, &filter, &first.unwrap())
                    );
                }
                seen.rows += items.len();
            }
        }
    }
}

/// Random contained policies (`ACCESSMASK_PROPTEST_CASES` / 4 of them, 64 by
/// default), each checked in memory and in SQLite on every resource of its
/// contained universe; the run must have exercised ancestor splits, nested ones
/// and string ancestor ids.
#[test]
fn contained_filters_equal_can() {
    let n = (cases() / 4).max(8) as u64;
    let mut seen = Seen::default();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..n {
        let stream: Vec<u32> = (0..POLICY_STREAM)
            .map(|_| {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
            })
            .collect();
        check_contained(&stream, &mut seen);
    }
    eprintln!("{seen:?}");
    assert!(seen.within * 10 >= seen.filters, "{seen:?}");
    assert!(seen.deep > 0 && seen.string_within > 0, "{seen:?}");
}

/// Contacts in databases in accounts (string ids), with thousands of ancestor ids
/// named at each depth by the role and the subject, a prerequisite on the
/// database (whose own exceptions name thousands more), and a hundred own
/// exceptions. The filter stays linear in the ids named (each listed about once
/// per distinct state of the depth above), builds quickly, and agrees with `can`
/// in memory and in SQLite on resources drawn from the named ids and others.
#[test]
fn many_ancestor_ids_named_keep_the_filter_small() {
    let (n_db, n_acct, n_own, n_db_rules) = (4_000u64, 1_500u64, 100u64, 2_000u64);
    let acct = |i: u64| format!("acct-{i}");
    let role_exceptions: Vec<serde_json::Value> = (0..n_db)
        .map(|i| {
            if i % 2 == 0 {
                serde_json::json!({ "kind": "contact", "in": "database", "id": i * 3, "deny": ["edit"] })
            } else {
                serde_json::json!({ "kind": "contact", "in": "database", "id": i * 3, "level": "Read" })
            }
        })
        .chain((0..n_db_rules).map(|i| {
            serde_json::json!({ "kind": "database", "id": i * 5, "deny": ["view"] })
        }))
        .collect();
    let subject_exceptions: Vec<serde_json::Value> = (0..n_acct)
        .map(|i| serde_json::json!({ "kind": "contact", "in": "account", "id": acct(i), "allow": ["edit"] }))
        .chain((0..n_own).map(|i| serde_json::json!({ "kind": "contact", "id": i << 32, "deny": ["view"] })))
        .collect();
    let def: PolicyDef = serde_json::from_value(serde_json::json!({
        "kinds": {
            "account": { "actions": ["view"], "ids": "string" },
            "database": { "actions": ["view", "edit"], "needs": { "edit": ["view"] }, "parent": "account" },
            "contact": { "actions": ["view", "edit"], "needs": { "edit": ["view"] },
                         "levels": { "Read": ["view"], "Write": ["view", "edit"] },
                         "states": ["active", "archived"],
                         "state_rules": [{ "state": "archived", "hold": ["edit"] }],
                         "parent": "database",
                         "prerequisites": [{ "action": "edit", "kind": "database", "actions": ["view"], "on_ancestor": true }] }
        },
        "roles": { "Staff": {
            "grants": { "contact": { "actions": ["view"], "own": ["edit"] }, "database": ["view"], "account": ["view"] },
            "exceptions": role_exceptions,
            "restrictions": [{ "kind": "contact", "actions": ["edit"], "in": "account",
                               "ids": (0..n_acct * 2).map(acct).collect::<Vec<_>>() }]
        } },
        "subjects": { "ann": { "role": "Staff", "exceptions": subject_exceptions }, "bob": { "role": "Staff" } }
    }))
    .unwrap();
    let policy = Policy::compile(&def).unwrap();
    let ann = policy.subject("ann").unwrap();
    let bob = policy.subject("bob").unwrap();
    let contact = policy.kind("contact").unwrap();
    let database = policy.kind("database").unwrap();
    let account = policy.kind("account").unwrap();
    let named = (n_db + n_acct * 2 + n_own + n_db_rules) as usize;
    for action in policy.actions(contact) {
        for s in [ann, bob] {
            let started = std::time::Instant::now();
            let filter = policy.filter(s, action, contact);
            let took = started.elapsed();
            assert_simple_tree(&filter);
            let size = tree_size(filter.branch());
            assert!(
                size <= 4 * named,
                "{} {}: {size} ids listed for {named} named",
                policy.subject_name(s),
                policy.action_name(action)
            );
            eprintln!(
                "{} {}: {size} ids for {named} named, {took:?}",
                policy.subject_name(s),
                policy.action_name(action)
            );
            // Generous for a debug build on a loaded machine; about 10 ms in release.
            assert!(took.as_secs() < 20, "{took:?}");
            // Resources: named and unnamed ancestors at each depth, parent prefixes.
            let mut x: u64 = 7;
            let mut next = |n: u64| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % n
            };
            let conn = rusqlite::Connection::open_in_memory().unwrap();
            conn.execute_batch("CREATE TABLE c (rid INTEGER PRIMARY KEY, id INTEGER, owner TEXT, state TEXT, db INTEGER, acct TEXT)")
                .unwrap();
            let mut rows = Vec::new();
            for i in 0..4_000u64 {
                let own = match next(3) {
                    0 => next(n_own + 5) << 32,
                    1 => next(1 << 20),
                    _ => next(50),
                };
                let db = next(n_db * 3 + 10);
                let ac = acct(next(n_acct * 3));
                let mut r = policy.resource(contact).with_id(own);
                let given = i % 4;
                if given >= 1 {
                    r = r.within(database.instance(db));
                }
                if given >= 2 {
                    r = r.within(policy.instance(account, &ac));
                }
                if next(3) == 0 {
                    r = r.with_owner(if next(2) == 0 { ann } else { bob });
                }
                let state = policy.states(contact).nth(next(3) as usize);
                if let Some(st) = state {
                    r = r.with_state(st);
                }
                conn.execute(
                    "INSERT INTO c VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![
                        i as i64 + 1,
                        own as i64,
                        r.owner().map(|o| policy.subject_name(o).to_string()),
                        r.state().map(|st| policy.state_name(st).to_string()),
                        (given >= 1).then_some(db as i64),
                        (given >= 2).then_some(ac.clone()),
                    ],
                )
                .unwrap();
                rows.push(r);
            }
            let columns = Columns::new("id")
                .owner("owner")
                .state("state")
                .ancestor("database", "db")
                .ancestor("account", "acct");
            let got = query_table(&conn, "c", &filter, &columns);
            let want: Vec<i64> = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| policy.can(s, action, r))
                .map(|(i, _)| i as i64 + 1)
                .collect();
            assert_eq!(got, want, "{}", filter.to_sql(&columns).unwrap().text.len());
            let bits = policy.can_many(s, action, &rows);
            for (i, r) in rows.iter().enumerate() {
                let can = policy.can(s, action, r);
                assert_eq!(filter.matches(r), can, "{r:?}");
                assert_eq!(bits.contains(i), can, "{r:?}");
            }
        }
    }
    // What ann may edit depends on the account and database, so her filter splits
    // two deep; `view` depends on neither (only the own id).
    let edit = policy.action("contact", "edit").unwrap();
    let view = policy.action("contact", "view").unwrap();
    assert_eq!(tree_depth(policy.filter(ann, edit, contact).branch()), 2);
    let viewing = policy.filter(ann, view, contact);
    assert!(viewing.within().is_none(), "{viewing}");
    assert_eq!(viewing.except().len(), 1);
    assert_eq!(viewing.except()[0].ids.len(), n_own as usize);
}

fn query_table(
    conn: &rusqlite::Connection,
    table: &str,
    filter: &Filter,
    columns: &Columns<'_>,
) -> Vec<i64> {
    let sql = filter.to_sql(columns).unwrap();
    let text = format!("SELECT rid FROM {table} WHERE {} ORDER BY rid", sql.text);
    let mut stmt = conn.prepare(&text).unwrap();
    let params: Vec<Value> = sql.params.iter().map(to_value).collect();
    stmt.query_map(rusqlite::params_from_iter(params), |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Contacts in databases in accounts: rules written in each ancestor.
fn contacts() -> Policy {
    let def: PolicyDef = serde_json::from_value(serde_json::json!({
        "kinds": {
            "account": { "actions": ["view"], "ids": "string" },
            "database": { "actions": ["view", "push"], "parent": "account" },
            "contact": { "actions": ["view", "edit"], "needs": { "edit": ["view"] }, "parent": "database",
                         "prerequisites": [{ "action": "edit", "kind": "database", "actions": ["push"], "on_ancestor": true }] }
        },
        "roles": { "R": {
            "grants": { "contact": ["edit"], "database": ["view", "push"], "account": ["view"] },
            "exceptions": [{ "kind": "contact", "in": "database", "id": 42, "deny": ["edit"] },
                           { "kind": "database", "id": 9, "deny": ["push"] }]
        } },
        "subjects": {
            "ann": { "role": "R", "exceptions": [{ "kind": "contact", "in": "account", "id": "acme's", "deny": ["view"] }] },
            "bob": { "role": "R" }
        }
    }))
    .unwrap();
    Policy::compile(&def).unwrap()
}

/// A filter that tests an ancestor needs its column: leaving it out is an error
/// naming the kind, never a `WHERE` without the test. A filter that does not
/// test it needs none.
#[test]
fn missing_ancestor_column_is_an_error() {
    let policy = contacts();
    let ann = policy.subject("ann").unwrap();
    let edit = policy.action("contact", "edit").unwrap();
    let view = policy.action("contact", "view").unwrap();
    let filter = policy.filter(ann, edit, edit.kind());
    assert_eq!(
        filter.to_sql(&Columns::new("id")),
        Err(SqlError::MissingAncestor {
            kind: "database".into(),
            depth: 1,
            of: "contact".into()
        })
    );
    let err = filter
        .to_sql(&Columns::new("id").ancestor("database", "db"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "columns.ancestor: no column for the `account` of each row (ancestor 2 of `contact`), \
         which the filter tests; give one with `Columns::ancestor`"
    );
    let sql = filter
        .to_sql(
            &Columns::new("id")
                .ancestor("database", "db")
                .ancestor("account", "acct"),
        )
        .unwrap();
    assert!(
        sql.text.contains("db") && sql.text.contains("acct"),
        "{}",
        sql.text
    );
    // Bad ancestor column names are refused like the others.
    assert!(matches!(
        filter.to_sql(&Columns::new("id").ancestor("database", "db; --")),
        Err(SqlError::BadColumn {
            field: "ancestor",
            ..
        })
    ));
    // Bob's `view` depends on no ancestor: no ancestor column needed.
    let bob = policy.subject("bob").unwrap();
    let plain = policy.filter(bob, view, view.kind());
    assert!(plain.within().is_none() && plain.is_all(), "{plain}");
    assert_eq!(plain.to_sql(&Columns::new("id")).unwrap().text, "1 = 1");
}

/// The shape of a filter with ancestor conditions and string ids: the strings
/// are carried and bound, never the policy's numbers for them.
#[test]
fn ancestor_conditions_shape_and_sql() {
    let policy = contacts();
    let ann = policy.subject("ann").unwrap();
    let edit = policy.action("contact", "edit").unwrap();
    let filter = policy.filter(ann, edit, edit.kind());
    assert_eq!(
        filter.to_string(),
        "no database: none; in database 9, 42: (none); in another database: \
         (no account: all; in account acme's: (none); in another account: (all))"
    );
    let columns = Columns::new("c.id")
        .ancestor("database", "c.db")
        .ancestor("account", "c.acct");
    let sql = filter.to_sql(&columns).unwrap();
    assert_eq!(
        sql.text,
        "c.db NOT IN (?, ?) AND (c.acct IS NULL OR c.acct <> ?)"
    );
    assert_eq!(
        sql.params,
        [
            SqlValue::Int(9),
            SqlValue::Int(42),
            SqlValue::Text("acme's".into())
        ]
    );
    let w = filter.within().unwrap();
    assert_eq!((w.depth, w.kind.name()), (1, "database"));
    let inner = w.default.within.as_ref().unwrap();
    assert_eq!(inner.except[0].texts, ["acme's"]);
    let json = serde_json::to_value(&filter).unwrap();
    assert_eq!(
        json["ancestors"][1],
        serde_json::json!({ "kind": { "name": "account", "index": 0 }, "string_ids": true })
    );
    assert_eq!(
        json["within"]["default"]["within"]["except"][0]["texts"],
        serde_json::json!(["acme's"])
    );
    let back: Filter = serde_json::from_value(json).unwrap();
    assert_eq!(back, filter);
    // Matching reads resolved ids: the string resolved by this policy matches,
    // one it names nowhere does not, and a number id on the string kind is
    // invalid (denied, as `can` denies it).
    let contact = edit.kind();
    let database = policy.kind("database").unwrap();
    let account = policy.kind("account").unwrap();
    let r = |a: accessmask::Instance| {
        policy
            .resource(contact)
            .with_id(1)
            .within(database.instance(7))
            .within(a)
    };
    for a in [
        policy.instance(account, "acme's"),
        policy.instance(account, "acme"),
        account.instance(0),
    ] {
        assert_eq!(filter.matches(&r(a)), policy.can(ann, edit, &r(a)), "{a:?}");
    }
    assert!(filter.matches(&r(policy.instance(account, "acme"))));
    assert!(!filter.matches(&r(account.instance(0))));
}
