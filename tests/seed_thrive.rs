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

mod common;

use accessmask::{Policy, Rule};
use common::{
    assert_every_level_held, assert_explain_agrees_with_can, assert_level_cells,
    assert_tables_match_def, can, explain_at, has_step, level_row, load, load_def, needs_of,
    role_can, want_needs, At, Needs, SubjectLevels, Table, TestResult, N, Y,
};

const SEED: &str = "thrive";

/// The levels of each feature, in the document's order.
const LEVELS: &[&str] = &["No Access", "Read Only Access", "Full Access"];

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

/// The level each Admin holds per feature ("per Admin user, per activity").
/// `ana` sets none and has the Full Access default; `uma` is not an Admin and
/// holds nothing, the same cells as No Access.
const SUBJECT_LEVELS: SubjectLevels = &[
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

#[test]
fn tables_are_the_seed_tables() -> TestResult {
    let (def, _) = load(SEED)?;
    assert_eq!(needs_of(&def), want_needs(NEEDS));
    // Level contents in the document are exactly the Y cells.
    assert_tables_match_def(&def, TABLES, Some(LEVELS))
}

#[test]
fn every_cell_at_every_level_via_admins() -> TestResult {
    let (_, policy) = load(SEED)?;
    assert_level_cells(&policy, TABLES, SUBJECT_LEVELS, None, |_, cell| cell)?;
    // uma is not an Admin: every level must be held by some Admin.
    assert_every_level_held(TABLES, SUBJECT_LEVELS, |s| s != "uma");
    Ok(())
}

#[test]
fn admin_role_defaults_to_full_access_and_user_role_to_nothing() -> TestResult {
    let (_, policy) = load(SEED)?;
    for t in TABLES {
        let (_, full) = level_row(TABLES, t.kind, "Full Access")?;
        let (_, none) = level_row(TABLES, t.kind, "No Access")?;
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
    let (_, policy) = load(SEED)?;
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
    let e = explain_at(
        &policy,
        "dee",
        "integration",
        "use_sync_on_send",
        At::default(),
    )?;
    assert!(!e.allowed());
    let text = e.to_string();
    assert!(text.contains("scheduled_upload"), "{text}");
    assert!(has_step(&e, Rule::Prerequisite, true), "{e}");
    Ok(())
}

#[test]
fn only_admins_set_access_levels() -> TestResult {
    let (_, policy) = load(SEED)?;
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
    let mut def = load_def(SEED)?;
    def.kinds
        .get_mut("unsubscribe_mapping")
        .ok_or("no unsubscribe_mapping")?
        .available = false;
    let policy = Policy::compile(&def)?;
    // Nothing on the unavailable feature, even at Full Access; the other two
    // features are unchanged.
    assert_level_cells(&policy, TABLES, SUBJECT_LEVELS, None, |kind, cell| {
        kind != "unsubscribe_mapping" && cell
    })?;
    for action in ["view", "create", "edit", "delete"] {
        assert!(!role_can(&policy, "Admin", "unsubscribe_mapping", action)?);
    }
    // The prerequisites on the available features still work.
    assert!(can(&policy, "ben", "integration", "use_sync_on_send")?);
    assert!(can(&policy, "dee", "integration", "enable_tracking")?);
    Ok(())
}

#[test]
fn explain_agrees_with_can_on_every_cell() -> TestResult {
    // Instance ids asked about: kind-wide and one instance.
    assert_explain_agrees_with_can(SEED, &[None, Some(1)])
}
