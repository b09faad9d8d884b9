//! Seed 000, Real Magnet AMS integration permissions, checked cell by cell
//! against `examples/policies/real_magnet.json`.
//!
//! The expected tables below are written out by hand from the seed, never
//! computed from the policy, so flipping any single cell of the JSON fails a test.
//!
//! Reading choices (also written down in `examples/real_magnet.rs`):
//! - The seed names three features but not their actions. Each feature gets a
//!   `view` action and one "doing" action (`list_transfer.transfer`,
//!   `tracking_data.select`, `unsubscribe_management.manage`). Read Only Access
//!   is `view` alone; Full Access is both; No Access is nothing.
//! - "Admins now can control user access to 3 key parts of the integration" and
//!   the levels object sits "at the bottom of every user's Permissions Selection
//!   Page": levels are held by every user, not only Admins, and Full Access is the
//!   default for both roles. What only Admins (with the toggle) can do is *set*
//!   the levels.
//! - Setting levels: `account_management.manage_permissions` is Admin rights (the
//!   Admin role grants it); `account_management.set_integration_levels` comes from
//!   the "Integrations Permission" toggle and has a prerequisite on
//!   `manage_permissions`, so a non-Admin with the toggle still cannot set levels.

use std::error::Error;

use accessmask::reference::{is_allowed, Query};
use accessmask::{Explanation, KindId, Policy, PolicyDef, Resource, Rule, StateId, SubjectId};

type TestResult = Result<(), Box<dyn Error>>;

/// Implications as data: (kind, [(action, the actions it needs)]).
type Needs = &'static [(
    &'static str,
    &'static [(&'static str, &'static [&'static str])],
)];
/// Implications as compared: (kind, [(action, the actions it needs)]).
type NeedsList<'a> = Vec<(&'a str, Vec<(&'a str, Vec<&'a str>)>)>;

const Y: bool = true;
const N: bool = false;

fn load() -> Result<(PolicyDef, Policy), Box<dyn Error>> {
    let def: PolicyDef =
        serde_json::from_str(include_str!("../examples/policies/real_magnet.json"))?;
    let policy = Policy::compile(&def)?;
    Ok((def, policy))
}

fn resource(
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

/// `can` for a subject on a kind-wide resource (no id, no state, no owner).
fn can(policy: &Policy, subject: &str, kind: &str, action: &str) -> Result<bool, Box<dyn Error>> {
    let s = policy
        .subject(subject)
        .ok_or_else(|| format!("unknown subject {subject}"))?;
    let a = policy
        .action(kind, action)
        .ok_or_else(|| format!("unknown action {kind}.{action}"))?;
    Ok(policy.can(s, a, &policy.resource(a.kind())))
}

fn role_can(policy: &Policy, role: &str, kind: &str, action: &str) -> Result<bool, Box<dyn Error>> {
    policy
        .role_can(role, kind, action)
        .ok_or_else(|| format!("role_can({role}, {kind}, {action}): unknown name").into())
}

/// One seed table: a feature, its action columns, and Y/N per level.
struct Table {
    kind: &'static str,
    columns: &'static [&'static str],
    rows: &'static [(&'static str, &'static [bool])],
}

/// The three features x three levels ("Full Access (default)", "Read Only
/// Access", "No Access").
const TABLES: &[Table] = &[
    Table {
        kind: "list_transfer",
        columns: &["view", "transfer"],
        rows: &[
            ("Full Access", &[Y, Y]),
            ("Read Only Access", &[Y, N]),
            ("No Access", &[N, N]),
        ],
    },
    Table {
        kind: "tracking_data",
        columns: &["view", "select"],
        rows: &[
            ("Full Access", &[Y, Y]),
            ("Read Only Access", &[Y, N]),
            ("No Access", &[N, N]),
        ],
    },
    Table {
        kind: "unsubscribe_management",
        columns: &["view", "manage"],
        rows: &[
            ("Full Access", &[Y, Y]),
            ("Read Only Access", &[Y, N]),
            ("No Access", &[N, N]),
        ],
    },
];

fn table(kind: &str) -> Result<&'static Table, Box<dyn Error>> {
    TABLES
        .iter()
        .find(|t| t.kind == kind)
        .ok_or_else(|| format!("no table for {kind}").into())
}

fn row(kind: &str, level: &str) -> Result<&'static [bool], Box<dyn Error>> {
    table(kind)?
        .rows
        .iter()
        .find(|(l, _)| *l == level)
        .map(|(_, cells)| *cells)
        .ok_or_else(|| format!("no row {level} in table {kind}").into())
}

/// Which level each subject holds on each feature: explicit ones from the
/// document, and the Full Access default where the subject sets none.
const SUBJECT_LEVELS: &[(&str, &str, &str)] = &[
    ("alice", "list_transfer", "Full Access"),
    ("alice", "tracking_data", "Full Access"),
    ("alice", "unsubscribe_management", "Full Access"),
    ("bob", "list_transfer", "Read Only Access"),
    ("bob", "tracking_data", "Read Only Access"),
    ("bob", "unsubscribe_management", "Read Only Access"),
    ("carol", "list_transfer", "No Access"),
    ("carol", "tracking_data", "No Access"),
    ("carol", "unsubscribe_management", "No Access"),
    ("dana", "list_transfer", "Full Access"),
    ("dana", "tracking_data", "Read Only Access"),
    ("dana", "unsubscribe_management", "No Access"),
    ("ed", "list_transfer", "Full Access"),
    ("ed", "tracking_data", "Full Access"),
    ("ed", "unsubscribe_management", "Full Access"),
    ("fay", "list_transfer", "Full Access"),
    ("fay", "tracking_data", "Full Access"),
    ("fay", "unsubscribe_management", "Full Access"),
];

/// The administrative kind: (role, action, expected) for a holder of the role
/// with no toggle.
const ROLE_ADMIN_RIGHTS: &[(&str, &str, bool)] = &[
    ("Admin", "manage_permissions", Y),
    ("Admin", "set_integration_levels", N),
    ("User", "manage_permissions", N),
    ("User", "set_integration_levels", N),
];

/// Who may open the permissions page and who may set integration access levels.
const SUBJECT_ADMIN_RIGHTS: &[(&str, &str, bool)] = &[
    // Admin with Integrations Permission: the only ones who set levels.
    ("alice", "manage_permissions", Y),
    ("alice", "set_integration_levels", Y),
    // Admin without the toggle.
    ("bob", "manage_permissions", Y),
    ("bob", "set_integration_levels", N),
    // Admin with the toggle, whose own integration levels are all No Access:
    // the levels they hold do not affect the right to set others' levels.
    ("carol", "manage_permissions", Y),
    ("carol", "set_integration_levels", Y),
    ("dana", "manage_permissions", N),
    ("dana", "set_integration_levels", N),
    // A non-Admin with the toggle: the prerequisite on Admin rights holds it back.
    ("ed", "manage_permissions", N),
    ("ed", "set_integration_levels", N),
    ("fay", "manage_permissions", N),
    ("fay", "set_integration_levels", N),
];

/// Implications: each feature's doing action needs its `view`.
const NEEDS: Needs = &[
    ("list_transfer", &[("transfer", &["view"])]),
    ("tracking_data", &[("select", &["view"])]),
    ("unsubscribe_management", &[("manage", &["view"])]),
    ("account_management", &[]),
];

/// The document's implications, as (kind, [(action, needs)]).
fn needs_of(def: &PolicyDef) -> NeedsList<'_> {
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

fn want_needs(table: Needs) -> NeedsList<'static> {
    table
        .iter()
        .map(|(k, n)| (*k, n.iter().map(|(a, v)| (*a, v.to_vec())).collect()))
        .collect()
}

/// Whether the explanation has a step of this rule (and, if `decisive`, one
/// marked as deciding the answer).
fn has_step(e: &Explanation, rule: Rule, decisive: bool) -> bool {
    e.steps()
        .iter()
        .any(|s| s.rule() == rule && (!decisive || s.is_decisive()))
}

#[test]
fn tables_cover_every_action_of_every_feature() -> TestResult {
    let (def, _) = load()?;
    assert_eq!(needs_of(&def), want_needs(NEEDS));
    for t in TABLES {
        let kind = def
            .kinds
            .get(t.kind)
            .ok_or_else(|| format!("kind {} missing", t.kind))?;
        assert_eq!(kind.actions, t.columns, "columns of {}", t.kind);
        let names: Vec<&str> = kind.levels.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["No Access", "Read Only Access", "Full Access"],
            "levels of {}",
            t.kind
        );
        for (_, cells) in t.rows {
            assert_eq!(cells.len(), t.columns.len());
        }
    }
    assert_eq!(
        def.kinds.len(),
        TABLES.len() + 1,
        "three features + account_management"
    );
    Ok(())
}

#[test]
fn every_level_cell_via_subjects() -> TestResult {
    let (_, policy) = load()?;
    let mut failures = Vec::new();
    for (subject, kind, level) in SUBJECT_LEVELS {
        let t = table(kind)?;
        let cells = row(kind, level)?;
        for (action, expected) in t.columns.iter().zip(cells.iter()) {
            let got = can(&policy, subject, kind, action)?;
            if got != *expected {
                failures.push(format!(
                    "{subject} ({level}) {kind}.{action}: expected {expected}, got {got}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every cell of every table is exercised by at least one subject.
    for t in TABLES {
        for (level, _) in t.rows {
            assert!(
                SUBJECT_LEVELS
                    .iter()
                    .any(|(_, k, l)| *k == t.kind && l == level),
                "no subject holds {level} on {}",
                t.kind
            );
        }
    }
    Ok(())
}

#[test]
fn full_access_is_the_default_for_both_roles() -> TestResult {
    let (_, policy) = load()?;
    for role in ["Admin", "User"] {
        for t in TABLES {
            let full = row(t.kind, "Full Access")?;
            for (action, expected) in t.columns.iter().zip(full.iter()) {
                assert_eq!(
                    role_can(&policy, role, t.kind, action)?,
                    *expected,
                    "{role} {}.{action}",
                    t.kind
                );
            }
        }
    }
    Ok(())
}

#[test]
fn only_admins_with_integrations_permission_set_levels() -> TestResult {
    let (_, policy) = load()?;
    for (role, action, expected) in ROLE_ADMIN_RIGHTS {
        assert_eq!(
            role_can(&policy, role, "account_management", action)?,
            *expected,
            "role {role} account_management.{action}"
        );
    }
    for (subject, action, expected) in SUBJECT_ADMIN_RIGHTS {
        assert_eq!(
            can(&policy, subject, "account_management", action)?,
            *expected,
            "{subject} account_management.{action}"
        );
    }
    Ok(())
}

#[test]
fn prerequisite_explains_the_refusal() -> TestResult {
    let (_, policy) = load()?;
    let ed = policy.subject("ed").ok_or("no ed")?;
    let set = policy
        .action("account_management", "set_integration_levels")
        .ok_or("no set_integration_levels")?;
    let e = policy.explain(ed, set, &policy.resource(set.kind()));
    assert!(!e.allowed());
    let text = e.to_string();
    assert!(
        text.contains("manage_permissions"),
        "explanation should name the unmet prerequisite:\n{text}"
    );
    // ed holds the toggle, and the prerequisite is what takes it away.
    assert!(has_step(&e, Rule::Toggle, true), "{e}");
    assert!(has_step(&e, Rule::Prerequisite, true), "{e}");
    Ok(())
}

/// Instance ids the agreement test asks about (those the document names).
const IDS: &[Option<u64>] = &[None, Some(1)];

#[test]
fn explain_agrees_with_can_on_every_cell() -> TestResult {
    // For every subject, every action and a set of resources (kind-wide, with
    // ids, states and owners): explain, allowed and the reference interpreter of
    // the documented decision order all agree with can.
    let (def, policy) = load()?;
    let ids: &[Option<u64>] = IDS;
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
                            let r = resource(&policy, k, *id, st, ow);
                            let can = policy.can(s, a, &r);
                            let explained = policy.explain(s, a, &r).allowed();
                            let listed = policy.allowed(s, &r).contains(a);
                            let reference = is_allowed(
                                &def,
                                &Query {
                                    subject: sname,
                                    kind: kind_name,
                                    action: action_name,
                                    id: *id,
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
