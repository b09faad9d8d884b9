//! Seed 002, Higher Logic Thrive Marketing Enterprise integration access levels,
//! checked cell by cell against `examples/policies/thrive.json`.
//!
//! The three permission tables below are copied from the seed (Y/N per cell),
//! never computed from the policy, so flipping any single cell of the JSON fails.
//!
//! Reading choices (also written down in `examples/thrive.rs`):
//! - "Create/Schedule" is one column and one action, `create`.
//! - Only Admin users hold integration access levels ("designate which Admin
//!   users ... can access"); the `User` role holds nothing on the integration.
//!   An Admin with no explicit level has Full Access (the default Thrive's
//!   predecessor Real Magnet documents; this page names no default).
//! - Sync on Send and enabling tracking are actions of a kind `integration`
//!   (`use_sync_on_send`, `enable_tracking`) that the Admin role grants, each
//!   with a prerequisite: at least Read Only Access on `scheduled_upload`, and
//!   Full Access on `tracking`. The tables themselves stay exactly the seed's.
//! - Setting levels (`integration_access_levels.set`) is for Admins only.
//! - "Not all features are available for all integrations": the test flips
//!   `available` to false on a copy of the document (an integration without
//!   Unsubscribe Mapping) rather than keeping a second JSON file in sync.

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

fn load_def() -> Result<PolicyDef, Box<dyn Error>> {
    Ok(serde_json::from_str(include_str!(
        "../examples/policies/thrive.json"
    ))?)
}

fn load() -> Result<(PolicyDef, Policy), Box<dyn Error>> {
    let def = load_def()?;
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

struct Table {
    kind: &'static str,
    columns: &'static [&'static str],
    rows: &'static [(&'static str, &'static [bool])],
}

/// The seed's three tables, cell for cell.
const TABLES: &[Table] = &[
    // Access Level | View | Run | Create/Schedule | Edit | Delete |
    Table {
        kind: "scheduled_upload",
        columns: &["view", "run", "create", "edit", "delete"],
        rows: &[
            ("Full Access", &[Y, Y, Y, Y, Y]),
            ("Read Only Access", &[Y, Y, N, N, N]),
            ("No Access", &[N, N, N, N, N]),
        ],
    },
    // Access Level | View | Edit |
    Table {
        kind: "tracking",
        columns: &["view", "edit"],
        rows: &[
            ("Full Access", &[Y, Y]),
            ("Read Only Access", &[Y, N]),
            ("No Access", &[N, N]),
        ],
    },
    // Access Level | View | Create | Edit | Delete |
    Table {
        kind: "unsubscribe_mapping",
        columns: &["view", "create", "edit", "delete"],
        rows: &[
            ("Full Access", &[Y, Y, Y, Y]),
            ("Read Only Access", &[Y, N, N, N]),
            ("No Access", &[N, N, N, N]),
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

/// The level each Admin holds per feature ("per Admin user, per activity").
/// `ana` sets none and has the Full Access default; `uma` is not an Admin and
/// holds nothing, the same cells as No Access.
const SUBJECT_LEVELS: &[(&str, &str, &str)] = &[
    ("ana", "scheduled_upload", "Full Access"),
    ("ana", "tracking", "Full Access"),
    ("ana", "unsubscribe_mapping", "Full Access"),
    ("ben", "scheduled_upload", "Read Only Access"),
    ("ben", "tracking", "Read Only Access"),
    ("ben", "unsubscribe_mapping", "Read Only Access"),
    ("cal", "scheduled_upload", "No Access"),
    ("cal", "tracking", "No Access"),
    ("cal", "unsubscribe_mapping", "No Access"),
    ("dee", "scheduled_upload", "No Access"),
    ("dee", "tracking", "Full Access"),
    ("dee", "unsubscribe_mapping", "Read Only Access"),
    ("eli", "scheduled_upload", "Full Access"),
    ("eli", "tracking", "Read Only Access"),
    ("eli", "unsubscribe_mapping", "No Access"),
    ("uma", "scheduled_upload", "No Access"),
    ("uma", "tracking", "No Access"),
    ("uma", "unsubscribe_mapping", "No Access"),
];

/// Sync on Send and enabling tracking, per subject.
const INTEGRATION: &[(&str, &str, bool)] = &[
    // Full on uploads and on tracking.
    ("ana", "use_sync_on_send", Y),
    ("ana", "enable_tracking", Y),
    // Read Only on uploads is enough for Sync on Send; Read Only on tracking
    // is not enough to enable tracking.
    ("ben", "use_sync_on_send", Y),
    ("ben", "enable_tracking", N),
    ("cal", "use_sync_on_send", N),
    ("cal", "enable_tracking", N),
    // No Access on uploads: no Sync on Send; Full on tracking: may enable it.
    ("dee", "use_sync_on_send", N),
    ("dee", "enable_tracking", Y),
    ("eli", "use_sync_on_send", Y),
    ("eli", "enable_tracking", N),
    ("uma", "use_sync_on_send", N),
    ("uma", "enable_tracking", N),
];

/// Who manages the Integration Access Levels page.
const ACCESS_LEVEL_ADMIN: &[(&str, &str, bool)] = &[
    ("ana", "view", Y),
    ("ana", "set", Y),
    ("ben", "view", Y),
    ("ben", "set", Y),
    ("cal", "view", Y),
    ("cal", "set", Y),
    ("dee", "view", Y),
    ("dee", "set", Y),
    ("eli", "view", Y),
    ("eli", "set", Y),
    ("uma", "view", N),
    ("uma", "set", N),
];

/// Implications: every activity needs `view` (which keeps each level's Y cells
/// closed); the Integration Access Levels page: `set` needs `view`.
const NEEDS: Needs = &[
    (
        "scheduled_upload",
        &[
            ("run", &["view"]),
            ("create", &["view"]),
            ("edit", &["view"]),
            ("delete", &["view"]),
        ],
    ),
    ("tracking", &[("edit", &["view"])]),
    (
        "unsubscribe_mapping",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("delete", &["view"]),
        ],
    ),
    ("integration", &[]),
    ("integration_access_levels", &[("set", &["view"])]),
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
fn tables_are_the_seed_tables() -> TestResult {
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
        // Level contents in the document are exactly the Y cells.
        for (level, cells) in t.rows {
            assert_eq!(cells.len(), t.columns.len());
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

#[test]
fn every_cell_at_every_level_via_admins() -> TestResult {
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
    for t in TABLES {
        for (level, _) in t.rows {
            assert!(
                SUBJECT_LEVELS
                    .iter()
                    .any(|(s, k, l)| *s != "uma" && *k == t.kind && l == level),
                "no Admin holds {level} on {}",
                t.kind
            );
        }
    }
    Ok(())
}

#[test]
fn admin_role_defaults_to_full_access_and_user_role_to_nothing() -> TestResult {
    let (_, policy) = load()?;
    for t in TABLES {
        let full = row(t.kind, "Full Access")?;
        let none = row(t.kind, "No Access")?;
        for (i, action) in t.columns.iter().enumerate() {
            assert_eq!(
                Some(role_can(&policy, "Admin", t.kind, action)?),
                full.get(i).copied(),
                "Admin {}.{action}",
                t.kind
            );
            assert_eq!(
                Some(role_can(&policy, "User", t.kind, action)?),
                none.get(i).copied(),
                "User {}.{action}",
                t.kind
            );
        }
    }
    Ok(())
}

#[test]
fn sync_on_send_and_enable_tracking_prerequisites() -> TestResult {
    let (_, policy) = load()?;
    for (subject, action, expected) in INTEGRATION {
        assert_eq!(
            can(&policy, subject, "integration", action)?,
            *expected,
            "{subject} integration.{action}"
        );
    }
    // The role itself holds Full Access on both, so it meets both.
    assert!(role_can(
        &policy,
        "Admin",
        "integration",
        "use_sync_on_send"
    )?);
    assert!(role_can(
        &policy,
        "Admin",
        "integration",
        "enable_tracking"
    )?);
    // The explanation names the unmet prerequisite.
    let dee = policy.subject("dee").ok_or("no dee")?;
    let sync = policy
        .action("integration", "use_sync_on_send")
        .ok_or("no use_sync_on_send")?;
    let e = policy.explain(dee, sync, &policy.resource(sync.kind()));
    assert!(!e.allowed());
    let text = e.to_string();
    assert!(text.contains("scheduled_upload"), "{text}");
    assert!(has_step(&e, Rule::Prerequisite, true), "{e}");
    Ok(())
}

#[test]
fn only_admins_set_access_levels() -> TestResult {
    let (_, policy) = load()?;
    for (subject, action, expected) in ACCESS_LEVEL_ADMIN {
        assert_eq!(
            can(&policy, subject, "integration_access_levels", action)?,
            *expected,
            "{subject} integration_access_levels.{action}"
        );
    }
    Ok(())
}

#[test]
fn feature_not_available_on_an_integration() -> TestResult {
    // An integration without Unsubscribe Mapping: same document, kind switched off.
    let mut def = load_def()?;
    def.kinds
        .get_mut("unsubscribe_mapping")
        .ok_or("no unsubscribe_mapping")?
        .available = false;
    let policy = Policy::compile(&def)?;
    let mut failures = Vec::new();
    for (subject, kind, level) in SUBJECT_LEVELS {
        let t = table(kind)?;
        let cells = row(kind, level)?;
        for (action, cell) in t.columns.iter().zip(cells.iter()) {
            // Nothing on the unavailable feature, even at Full Access; the other
            // two features are unchanged.
            let expected = *kind != "unsubscribe_mapping" && *cell;
            let got = can(&policy, subject, kind, action)?;
            if got != expected {
                failures.push(format!(
                    "{subject} ({level}) {kind}.{action}: expected {expected}, got {got}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for action in ["view", "create", "edit", "delete"] {
        assert!(!role_can(&policy, "Admin", "unsubscribe_mapping", action)?);
    }
    // The prerequisites on the available features still work.
    assert!(can(&policy, "ben", "integration", "use_sync_on_send")?);
    assert!(can(&policy, "dee", "integration", "enable_tracking")?);
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
