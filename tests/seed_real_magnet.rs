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

mod common;

use accessmask::Rule;
use common::{
    assert_every_level_held, assert_explain_agrees_with_can, assert_level_cells,
    assert_tables_match_def, can, explain_at, has_step, level_row, load, needs_of, role_can,
    want_needs, At, Needs, SubjectLevels, Table, TestResult, N, Y,
};

const SEED: &str = "real_magnet";

/// The levels of each feature, in the document's order.
const LEVELS: &[&str] = &["No Access", "Read Only Access", "Full Access"];

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

/// Which level each subject holds on each feature: explicit ones from the
/// document, and the Full Access default where the subject sets none.
const SUBJECT_LEVELS: SubjectLevels = &[
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

#[test]
fn tables_cover_every_action_of_every_feature() -> TestResult {
    let (def, _) = load(SEED)?;
    assert_eq!(needs_of(&def), want_needs(NEEDS));
    assert_tables_match_def(&def, TABLES, Some(LEVELS))?;
    assert_eq!(
        def.kinds.len(),
        TABLES.len() + 1,
        "three features + account_management"
    );
    Ok(())
}

#[test]
fn every_level_cell_via_subjects() -> TestResult {
    let (_, policy) = load(SEED)?;
    assert_level_cells(&policy, TABLES, SUBJECT_LEVELS, None, |_, cell| cell)?;
    // Every cell of every table is exercised by at least one subject.
    assert_every_level_held(TABLES, SUBJECT_LEVELS, |_| true);
    Ok(())
}

#[test]
fn full_access_is_the_default_for_both_roles() -> TestResult {
    let (_, policy) = load(SEED)?;
    for role in ["Admin", "User"] {
        for t in TABLES {
            let (_, full) = level_row(TABLES, t.kind, "Full Access")?;
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
    let (_, policy) = load(SEED)?;
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
    let (_, policy) = load(SEED)?;
    let e = explain_at(
        &policy,
        "ed",
        "account_management",
        "set_integration_levels",
        At::default(),
    )?;
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

#[test]
fn explain_agrees_with_can_on_every_cell() -> TestResult {
    // Instance ids asked about: kind-wide and one instance.
    assert_explain_agrees_with_can(SEED, &[None, Some(1)])
}
