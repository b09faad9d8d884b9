//! Helpers shared by the seed tests (`tests/seed_*.rs`): loading a seed's policy,
//! decisions by names, the seeds' level tables, implications as data, and the
//! check that `explain`, `allowed` and the reference interpreter agree with `can`.
//!
//! Every expected value stays in the test files, written out by hand from the
//! seed; nothing here computes an expectation from the policy.

// Each test crate that declares `mod common;` uses only some of these helpers.
#![allow(dead_code)]

use std::error::Error;

use accessmask::reference::{is_allowed, Question};
use accessmask::{
    ActionId, Explanation, KindId, Policy, PolicyDef, Resource, Rule, StateId, SubjectId,
};

pub type TestResult = Result<(), Box<dyn Error>>;

/// Implications as data: (kind, [(action, the actions it needs)]).
pub type Needs = &'static [(
    &'static str,
    &'static [(&'static str, &'static [&'static str])],
)];
/// Implications as compared: (kind, [(action, the actions it needs)]).
pub type NeedsList<'a> = Vec<(&'a str, Vec<(&'a str, Vec<&'a str>)>)>;

/// Actions per kind: (kind, [action]).
pub type Grants = &'static [(&'static str, &'static [&'static str])];

pub const Y: bool = true;
pub const N: bool = false;

/// The policy document of a seed (`real_magnet`, `magnews`, `thrive`,
/// `magnetic`), the one its example runs.
pub fn policy_path(seed: &str) -> String {
    format!(
        "{}/examples/policies/{seed}.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

pub fn load_def(seed: &str) -> Result<PolicyDef, Box<dyn Error>> {
    let path = policy_path(seed);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
    Ok(serde_json::from_str(&text)?)
}

pub fn load(seed: &str) -> Result<(PolicyDef, Policy), Box<dyn Error>> {
    let def = load_def(seed)?;
    let policy = Policy::compile(&def)?;
    Ok((def, policy))
}

pub fn resource(
    policy: &Policy,
    kind: KindId,
    id: Option<u64>,
    state: Option<StateId>,
    owner: Option<SubjectId>,
) -> Resource {
    let mut r = policy.resource(kind);
    if let Some(id) = id {
        r = r.with_id(id);
    }
    if let Some(state) = state {
        r = r.with_state(state);
    }
    if let Some(owner) = owner {
        r = r.with_owner(owner);
    }
    r
}

/// Where a question is asked, by names: an instance id, a state and an owner,
/// each optional (`At::default()` is kind-wide).
#[derive(Debug, Default, Clone, Copy)]
pub struct At<'a> {
    pub id: Option<u64>,
    pub state: Option<&'a str>,
    pub owner: Option<&'a str>,
}

impl At<'_> {
    /// Instance `id`, no state, no owner.
    pub fn id(id: u64) -> Self {
        At {
            id: Some(id),
            ..At::default()
        }
    }
}

/// A question by names: the subject, the action, and a resource of the action's
/// kind as `at` says.
fn resolve(
    policy: &Policy,
    subject: &str,
    kind: &str,
    action: &str,
    at: At<'_>,
) -> Result<(SubjectId, ActionId, Resource), Box<dyn Error>> {
    let s = policy
        .subject(subject)
        .ok_or_else(|| format!("unknown subject {subject}"))?;
    let a = policy
        .action(kind, action)
        .ok_or_else(|| format!("unknown action {kind}.{action}"))?;
    let state = match at.state {
        Some(name) => Some(
            policy
                .state(a.kind(), name)
                .ok_or_else(|| format!("unknown state {kind}:{name}"))?,
        ),
        None => None,
    };
    let owner = match at.owner {
        Some(name) => Some(
            policy
                .subject(name)
                .ok_or_else(|| format!("unknown owner {name}"))?,
        ),
        None => None,
    };
    Ok((s, a, resource(policy, a.kind(), at.id, state, owner)))
}

/// `can(subject, kind.action)` on the resource `at` says, all by names.
pub fn can_at(
    policy: &Policy,
    subject: &str,
    kind: &str,
    action: &str,
    at: At<'_>,
) -> Result<bool, Box<dyn Error>> {
    let (s, a, r) = resolve(policy, subject, kind, action, at)?;
    Ok(policy.can(s, a, &r))
}

/// `can` for a subject on a kind-wide resource (no id, no state, no owner).
pub fn can(
    policy: &Policy,
    subject: &str,
    kind: &str,
    action: &str,
) -> Result<bool, Box<dyn Error>> {
    can_at(policy, subject, kind, action, At::default())
}

/// `explain(subject, kind.action)` on the resource `at` says, all by names.
pub fn explain_at(
    policy: &Policy,
    subject: &str,
    kind: &str,
    action: &str,
    at: At<'_>,
) -> Result<Explanation, Box<dyn Error>> {
    let (s, a, r) = resolve(policy, subject, kind, action, at)?;
    Ok(policy.explain(s, a, &r))
}

pub fn role_can(
    policy: &Policy,
    role: &str,
    kind: &str,
    action: &str,
) -> Result<bool, Box<dyn Error>> {
    policy
        .role_can(role, kind, action)
        .ok_or_else(|| format!("role_can({role}, {kind}, {action}): unknown name").into())
}

/// Whether the explanation has a step of this rule (and, if `decisive`, one
/// marked as deciding the answer).
pub fn has_step(e: &Explanation, rule: Rule, decisive: bool) -> bool {
    e.steps()
        .iter()
        .any(|s| s.rule() == rule && (!decisive || s.is_decisive()))
}

/// The document's kinds and their actions, in document order.
pub fn kinds_of(def: &PolicyDef) -> Vec<(&str, Vec<&str>)> {
    def.kinds
        .iter()
        .map(|(k, d)| (k, d.actions.iter().map(String::as_str).collect()))
        .collect()
}

pub fn want_kinds(table: Grants) -> Vec<(&'static str, Vec<&'static str>)> {
    table.iter().map(|(k, a)| (*k, a.to_vec())).collect()
}

/// The document's implications, as (kind, [(action, needs)]).
pub fn needs_of(def: &PolicyDef) -> NeedsList<'_> {
    def.kinds
        .iter()
        .map(|(k, d)| {
            let needs = d
                .needs
                .iter()
                .map(|(a, n)| (a, n.iter().map(String::as_str).collect()))
                .collect();
            (k, needs)
        })
        .collect()
}

pub fn want_needs(table: Needs) -> NeedsList<'static> {
    table
        .iter()
        .map(|(k, n)| (*k, n.iter().map(|(a, v)| (*a, v.to_vec())).collect()))
        .collect()
}

/// Whether `grants` lists `kind.action`.
pub fn expected_grant(grants: Grants, kind: &str, action: &str) -> bool {
    grants
        .iter()
        .any(|(k, actions)| *k == kind && actions.contains(&action))
}

/// Checks `role_can` on every action of `kinds` for every role against the
/// role's exact kind-wide set (anything not listed is denied); returns one line
/// per differing cell.
pub fn role_grant_failures(
    policy: &Policy,
    roles: &[(&str, Grants)],
    kinds: Grants,
) -> Result<Vec<String>, Box<dyn Error>> {
    let mut failures = Vec::new();
    for (role, grants) in roles {
        for (kind, actions) in kinds {
            for action in *actions {
                let expected = expected_grant(grants, kind, action);
                let got = role_can(policy, role, kind, action)?;
                if got != expected {
                    failures.push(format!(
                        "{role} {kind}.{action}: expected {expected}, got {got}"
                    ));
                }
            }
        }
    }
    Ok(failures)
}

/// One seed table of levels: a kind, its action columns, and Y/N per level.
pub struct Table {
    pub kind: &'static str,
    pub columns: &'static [&'static str],
    pub rows: &'static [(&'static str, &'static [bool])],
}

/// Which level a subject holds on a kind: (subject, kind, level).
pub type SubjectLevels = &'static [(&'static str, &'static str, &'static str)];

/// The table of `kind` and its row for `level`.
pub fn level_row(
    tables: &'static [Table],
    kind: &str,
    level: &str,
) -> Result<(&'static Table, &'static [bool]), Box<dyn Error>> {
    let t = tables
        .iter()
        .find(|t| t.kind == kind)
        .ok_or_else(|| format!("no level table for {kind}"))?;
    let cells = t
        .rows
        .iter()
        .find(|(l, _)| *l == level)
        .map(|(_, c)| *c)
        .ok_or_else(|| format!("no level {level} on {kind}"))?;
    Ok((t, cells))
}

/// The document's levels are exactly the tables: each table's kind has the
/// table's columns as actions, its levels are named `doc_order` (or, if `None`,
/// the table's rows in order), and each level holds exactly its row's Y cells.
pub fn assert_tables_match_def(
    def: &PolicyDef,
    tables: &[Table],
    doc_order: Option<&[&str]>,
) -> TestResult {
    for t in tables {
        let kind = def
            .kinds
            .get(t.kind)
            .ok_or_else(|| format!("kind {} missing", t.kind))?;
        assert_eq!(kind.actions, t.columns, "columns of {}", t.kind);
        let names: Vec<&str> = kind.levels.iter().map(|(n, _)| n).collect();
        let want: Vec<&str> = match doc_order {
            Some(order) => order.to_vec(),
            None => t.rows.iter().map(|(n, _)| *n).collect(),
        };
        assert_eq!(names, want, "levels of {}", t.kind);
        for (level, cells) in t.rows {
            assert_eq!(cells.len(), t.columns.len(), "width of {level}");
            let want: Vec<&str> = t
                .columns
                .iter()
                .zip(cells.iter())
                .filter(|(_, y)| **y)
                .map(|(c, _)| *c)
                .collect();
            let got = kind
                .levels
                .get(level)
                .ok_or_else(|| format!("level {level} missing on {}", t.kind))?;
            assert_eq!(got, &want, "level {level} of {}", t.kind);
        }
    }
    Ok(())
}

/// Asks `can` for every cell of the level row each subject holds (on a resource
/// with `id`, no state, no owner) and asserts it is `expected(kind, cell)`.
pub fn assert_level_cells(
    policy: &Policy,
    tables: &'static [Table],
    subject_levels: SubjectLevels,
    id: Option<u64>,
    expected: impl Fn(&str, bool) -> bool,
) -> TestResult {
    let mut failures = Vec::new();
    for (subject, kind, level) in subject_levels {
        let (t, cells) = level_row(tables, kind, level)?;
        for (action, cell) in t.columns.iter().zip(cells.iter()) {
            let expected = expected(kind, *cell);
            let got = can_at(
                policy,
                subject,
                kind,
                action,
                At {
                    id,
                    ..At::default()
                },
            )?;
            if got != expected {
                failures.push(format!(
                    "{subject} ({level}) {kind}.{action}: expected {expected}, got {got}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

/// Every row of every table is held by at least one subject that `counts`.
pub fn assert_every_level_held(
    tables: &[Table],
    subject_levels: SubjectLevels,
    counts: impl Fn(&str) -> bool,
) {
    for t in tables {
        for (level, _) in t.rows {
            assert!(
                subject_levels
                    .iter()
                    .any(|(s, k, l)| counts(s) && *k == t.kind && l == level),
                "no subject holds {level} on {}",
                t.kind
            );
        }
    }
}

/// For every subject of the seed's policy, every action and a set of resources
/// (kind-wide, with each of `ids`, every state and every owner): `explain`,
/// `allowed` and the reference interpreter of the documented decision order all
/// agree with `can`.
pub fn assert_explain_agrees_with_can(seed: &str, ids: &[Option<u64>]) -> TestResult {
    let (def, policy) = load(seed)?;
    let (def, policy) = (&def, &policy);
    let mut failures = Vec::new();
    let mut checked = 0usize;
    let names: Vec<&str> = def.subjects.iter().map(|(n, _)| n).collect();
    let mut owners: Vec<Option<&str>> = vec![None];
    owners.extend(names.iter().map(|n| Some(*n)));
    for (kind_name, kind) in def.kinds.iter() {
        let k = policy.kind(kind_name).ok_or(kind_name)?;
        let mut states: Vec<Option<&str>> = vec![None];
        states.extend(kind.states.iter().map(|s| Some(s.as_str())));
        for action_name in &kind.actions {
            let a = policy.action(kind_name, action_name).ok_or("action")?;
            for sname in &names {
                let s = policy.subject(sname).ok_or(*sname)?;
                for id in ids {
                    for state in &states {
                        for owner in &owners {
                            let st = match state {
                                Some(n) => Some(policy.state(k, n).ok_or(*n)?),
                                None => None,
                            };
                            let ow = match owner {
                                Some(n) => Some(policy.subject(n).ok_or(*n)?),
                                None => None,
                            };
                            let r = resource(policy, k, *id, st, ow);
                            let can = policy.can(s, a, &r);
                            let explained = policy.explain(s, a, &r).allowed();
                            let listed = policy.allowed(s, &r).contains(a);
                            let reference = is_allowed(
                                def,
                                &Question {
                                    subject: sname,
                                    kind: kind_name,
                                    action: action_name,
                                    id: id.map(Into::into),
                                    ancestors: Vec::new(),
                                    state: *state,
                                    owner: *owner,
                                },
                            );
                            checked += 1;
                            if can != explained || can != listed || can != reference {
                                failures.push(format!(
                                    "{sname} {kind_name}.{action_name} id={id:?} state={state:?} owner={owner:?}: \
                                     can={can} explain={explained} allowed={listed} reference={reference}"
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 0);
    Ok(())
}
