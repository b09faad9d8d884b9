//! Seed 003, Magnetic user permissions, checked against
//! `examples/policies/magnetic.json`.
//!
//! The expected tables below are written out by hand from the seed, never
//! computed from the policy, so flipping any single grant, level cell, toggle
//! grant, scope or state rule in the JSON fails a test.
//!
//! Reading choices (also written down in `examples/magnetic.rs`):
//! - The five role types are a chain, each `base`d on the previous one:
//!   External Collaborator (view, comment on, close and attach work to tasks; view
//!   projects; own email and calendar) -> Time Tracker (+ track time, own time
//!   entries, `review.be_reviewed` = "can be performance reviewed in the HR
//!   module", own reviews) -> Premium ("almost everything": create/edit tasks,
//!   delete *own* tasks, contacts, view/edit projects and opportunities,
//!   customers/suppliers, view item types, invite free users; the accounts module
//!   only through per-user account-type levels, none by default) -> Manager (+
//!   export contacts, projects, opportunities; subject/to/from of managed users'
//!   emails and calendars) -> Admin (everything: add users, delete any task, all
//!   account types, full content of managed users' emails and calendars).
//! - "They cannot track time and add free users" (External Collaborator):
//!   `time_entry.track` and `user.invite_free` are denied to External
//!   Collaborator and Time Tracker; Premium may invite free users; only Admin
//!   `user.add`s (paid) users.
//! - Creating opportunities and projects (and bulk import) comes only from the
//!   "Can Add Opportunities and Projects" toggle (or Admin).
//! - Account types: `cost_estimate` (levels No access / Can view / Can edit / Can
//!   edit and approve), `invoice` and `purchase_order` (No access / Can view / Can
//!   edit: approve "is particular for Cost Estimates"). "Can view" includes
//!   `view_reports` ("view the reports that contain information about the
//!   relevant account type").
//! - Cost estimate states `draft`, `internally_approved`, `billed`; `approve`
//!   moves draft -> internally approved "or later", so it is not held back
//!   before `billed`. In `billed`, `edit` and `approve` are held back unless the
//!   subject's role is Admin.
//! - Calendars follow emails: a Manager sees the summary of managed users'
//!   events, an Admin their details.
//! - An Admin reads the full content only of users it manages, not of everyone.

mod common;

use std::error::Error;

use accessmask::{Policy, Rule};
use common::{
    assert_every_level_held, assert_explain_agrees_with_can, assert_level_cells,
    assert_tables_match_def, can_at, expected_grant, explain_at, has_step, kinds_of, level_row,
    load, needs_of, role_can, role_grant_failures, want_kinds, want_needs, At, Grants, Needs,
    SubjectLevels, Table, TestResult, N, Y,
};

const SEED: &str = "magnetic";

/// `can(subject, kind.action)` on instance 1 with the given state and owner.
fn check(
    policy: &Policy,
    subject: &str,
    kind: &str,
    action: &str,
    state: Option<&str>,
    owner: Option<&str>,
) -> Result<bool, Box<dyn Error>> {
    let at = At {
        id: Some(1),
        state,
        owner,
    };
    can_at(policy, subject, kind, action, at)
}

/// Every kind and its actions, in document order.
const KINDS: Grants = &[
    (
        "task",
        &[
            "view", "comment", "close", "attach", "create", "edit", "delete",
        ],
    ),
    ("time_entry", &["track", "view", "edit"]),
    ("review", &["be_reviewed", "view", "set_periods"]),
    ("employee_cost", &["view", "edit"]),
    ("user", &["view", "invite_free", "add"]),
    ("contact", &["view", "create", "edit", "export"]),
    ("project", &["view", "create", "edit", "import", "export"]),
    (
        "opportunity",
        &["view", "create", "edit", "import", "export"],
    ),
    ("company", &["view", "edit", "approve"]),
    ("item_type", &["view", "create", "edit"]),
    ("accounting_system", &["export"]),
    (
        "cost_estimate",
        &["view", "view_reports", "edit", "approve"],
    ),
    ("invoice", &["view", "view_reports", "edit"]),
    ("purchase_order", &["view", "view_reports", "edit"]),
    ("email", &["view_header", "view_content"]),
    ("calendar", &["view_summary", "view_details"]),
];

/// The five role types in order, each with its exact kind-wide (`any` scope)
/// set: what `role_can` answers. Scoped grants (own, managed) are in the
/// subject tables below.
const EXTERNAL_COLLABORATOR: Grants = &[
    ("task", &["view", "comment", "close", "attach"]),
    ("project", &["view"]),
];
const TIME_TRACKER: Grants = &[
    ("task", &["view", "comment", "close", "attach"]),
    ("project", &["view"]),
    ("time_entry", &["track"]),
    ("review", &["be_reviewed"]),
];
const PREMIUM: Grants = &[
    (
        "task",
        &["view", "comment", "close", "attach", "create", "edit"],
    ),
    ("project", &["view", "edit"]),
    ("time_entry", &["track"]),
    ("review", &["be_reviewed"]),
    ("user", &["view", "invite_free"]),
    ("contact", &["view", "create", "edit"]),
    ("opportunity", &["view", "edit"]),
    ("company", &["view", "edit"]),
    ("item_type", &["view"]),
];
const MANAGER: Grants = &[
    (
        "task",
        &["view", "comment", "close", "attach", "create", "edit"],
    ),
    ("project", &["view", "edit", "export"]),
    ("time_entry", &["track"]),
    ("review", &["be_reviewed"]),
    ("user", &["view", "invite_free"]),
    ("contact", &["view", "create", "edit", "export"]),
    ("opportunity", &["view", "edit", "export"]),
    ("company", &["view", "edit"]),
    ("item_type", &["view"]),
];
const ADMIN: Grants = &[
    (
        "task",
        &[
            "view", "comment", "close", "attach", "create", "edit", "delete",
        ],
    ),
    ("time_entry", &["track", "view", "edit"]),
    ("review", &["be_reviewed", "view", "set_periods"]),
    ("employee_cost", &["view", "edit"]),
    ("user", &["view", "invite_free", "add"]),
    ("contact", &["view", "create", "edit", "export"]),
    ("project", &["view", "create", "edit", "import", "export"]),
    (
        "opportunity",
        &["view", "create", "edit", "import", "export"],
    ),
    ("company", &["view", "edit", "approve"]),
    ("item_type", &["view", "create", "edit"]),
    ("accounting_system", &["export"]),
    (
        "cost_estimate",
        &["view", "view_reports", "edit", "approve"],
    ),
    ("invoice", &["view", "view_reports", "edit"]),
    ("purchase_order", &["view", "view_reports", "edit"]),
];

const ROLE_TYPES: &[(&str, Grants)] = &[
    ("External Collaborator", EXTERNAL_COLLABORATOR),
    ("Time Tracker", TIME_TRACKER),
    ("Premium", PREMIUM),
    ("Manager", MANAGER),
    ("Admin", ADMIN),
];

/// The seed's sentences about each role type: (role, sentence, kind, action, expected).
const ROLE_SENTENCES: &[(&str, &str, &str, &str, bool)] = &[
    ("External Collaborator", "can comment", "task", "comment", Y),
    ("External Collaborator", "close tasks", "task", "close", Y),
    (
        "External Collaborator",
        "attach completed work",
        "task",
        "attach",
        Y,
    ),
    (
        "External Collaborator",
        "cannot track time",
        "time_entry",
        "track",
        N,
    ),
    (
        "External Collaborator",
        "cannot add free users",
        "user",
        "invite_free",
        N,
    ),
    (
        "External Collaborator",
        "not reviewable",
        "review",
        "be_reviewed",
        N,
    ),
    ("Time Tracker", "can track time", "time_entry", "track", Y),
    (
        "Time Tracker",
        "can be performance reviewed",
        "review",
        "be_reviewed",
        Y,
    ),
    (
        "Time Tracker",
        "same as External Collaborators",
        "task",
        "close",
        Y,
    ),
    (
        "Time Tracker",
        "still cannot add free users",
        "user",
        "invite_free",
        N,
    ),
    ("Premium", "almost everything", "contact", "edit", Y),
    ("Premium", "almost everything", "task", "create", Y),
    ("Premium", "may add free users", "user", "invite_free", Y),
    (
        "Premium",
        "accounts module only by level",
        "cost_estimate",
        "view",
        N,
    ),
    (
        "Premium",
        "no export (Manager adds it)",
        "contact",
        "export",
        N,
    ),
    ("Premium", "cannot add paid users", "user", "add", N),
    ("Manager", "can export contact list", "contact", "export", Y),
    ("Manager", "can export project list", "project", "export", Y),
    ("Manager", "cannot add users", "user", "add", N),
    (
        "Manager",
        "cannot delete others' tasks",
        "task",
        "delete",
        N,
    ),
    ("Admin", "can add new users", "user", "add", Y),
    ("Admin", "can delete any task", "task", "delete", Y),
    (
        "Admin",
        "can access everything",
        "cost_estimate",
        "approve",
        Y,
    ),
    (
        "Admin",
        "can access everything",
        "accounting_system",
        "export",
        Y,
    ),
];

/// Toggles: (toggle, a Premium subject holding it, the (kind, action) pairs it
/// grants). The test checks the holder has each pair and Premium subjects
/// without the toggle do not.
/// (toggle, holder, pairs).
type ToggleCase = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const TOGGLES: &[ToggleCase] = &[
    (
        "Can Add Opportunities and Projects",
        "pam",
        &[
            ("opportunity", "create"),
            ("opportunity", "import"),
            ("project", "create"),
            ("project", "import"),
        ],
    ),
    (
        "HR Manager",
        "pat",
        &[
            ("review", "set_periods"),
            ("review", "view"),
            ("employee_cost", "edit"),
            ("employee_cost", "view"),
        ],
    ),
    (
        "Accounts Manager",
        "paul",
        &[
            ("company", "approve"),
            ("item_type", "create"),
            ("item_type", "edit"),
            ("accounting_system", "export"),
        ],
    ),
];

/// Premium subjects without any toggle.
const NO_TOGGLE: &[&str] = &["pia", "nick"];

/// The account-type level tables, cell by cell.
const LEVEL_TABLES: &[Table] = &[
    Table {
        kind: "cost_estimate",
        columns: &["view", "view_reports", "edit", "approve"],
        rows: &[
            ("No access", &[N, N, N, N]),
            ("Can view", &[Y, Y, N, N]),
            ("Can edit", &[Y, Y, Y, N]),
            ("Can edit and approve", &[Y, Y, Y, Y]),
        ],
    },
    Table {
        kind: "invoice",
        columns: &["view", "view_reports", "edit"],
        rows: &[
            ("No access", &[N, N, N]),
            ("Can view", &[Y, Y, N]),
            ("Can edit", &[Y, Y, Y]),
        ],
    },
    Table {
        kind: "purchase_order",
        columns: &["view", "view_reports", "edit"],
        rows: &[
            ("No access", &[N, N, N]),
            ("Can view", &[Y, Y, N]),
            ("Can edit", &[Y, Y, Y]),
        ],
    },
];

/// Which subject holds which account-type level (explicit in the document, or
/// "No access" where a Premium / Manager sets none).
const SUBJECT_LEVELS: SubjectLevels = &[
    ("pam", "cost_estimate", "Can edit and approve"),
    ("pam", "invoice", "Can edit"),
    ("pam", "purchase_order", "Can view"),
    ("pia", "cost_estimate", "Can view"),
    ("pia", "invoice", "Can view"),
    ("pia", "purchase_order", "Can edit"),
    ("paul", "cost_estimate", "Can edit"),
    ("paul", "invoice", "No access"),
    ("paul", "purchase_order", "No access"),
    ("pat", "cost_estimate", "No access"),
    ("nick", "cost_estimate", "No access"),
    ("max", "cost_estimate", "No access"),
    ("meg", "cost_estimate", "Can edit and approve"),
];

/// Cost estimates through their lifecycle: (subject, state, action, expected).
const LIFECYCLE: &[(&str, &str, &str, bool)] = &[
    ("pam", "draft", "edit", Y),
    ("pam", "draft", "approve", Y),
    ("pam", "internally_approved", "edit", Y),
    ("pam", "internally_approved", "approve", Y),
    ("pam", "billed", "view", Y),
    ("pam", "billed", "view_reports", Y),
    ("pam", "billed", "edit", N),
    ("pam", "billed", "approve", N),
    ("paul", "draft", "edit", Y),
    ("paul", "draft", "approve", N),
    ("paul", "billed", "edit", N),
    ("pia", "draft", "edit", N),
    ("pia", "billed", "view", Y),
    ("meg", "draft", "approve", Y),
    ("meg", "billed", "edit", N),
    ("meg", "billed", "approve", N),
    ("max", "billed", "view", N),
    ("ada", "draft", "approve", Y),
    ("ada", "billed", "edit", Y),
    ("ada", "billed", "approve", Y),
];

/// Scoped grants: (subject, kind, action, owner, expected, why).
const SCOPED: &[(&str, &str, &str, &str, bool, &str)] = &[
    // Tasks: Premium and Manager delete their own, Admin any.
    ("pia", "task", "delete", "pia", Y, "own task"),
    ("pia", "task", "delete", "tim", N, "someone else's task"),
    ("max", "task", "delete", "max", Y, "own task"),
    (
        "max",
        "task",
        "delete",
        "tim",
        N,
        "managed user's task: not own",
    ),
    ("ada", "task", "delete", "pia", Y, "Admin deletes any task"),
    ("ada", "task", "delete", "ada", Y, "Admin deletes any task"),
    (
        "ext",
        "task",
        "delete",
        "ext",
        N,
        "External Collaborator deletes nothing",
    ),
    (
        "tim",
        "task",
        "delete",
        "tim",
        N,
        "Time Tracker deletes nothing",
    ),
    ("ext", "task", "close", "pia", Y, "closes tasks"),
    // Time entries and reviews are seen by their owner.
    ("tim", "time_entry", "view", "tim", Y, "own time"),
    ("tim", "time_entry", "edit", "tim", Y, "own time"),
    ("tim", "time_entry", "view", "pia", N, "someone else's time"),
    ("ext", "time_entry", "view", "ext", N, "no time tracking"),
    ("tim", "review", "view", "tim", Y, "own review"),
    ("tim", "review", "view", "pia", N, "someone else's review"),
    (
        "pat",
        "review",
        "view",
        "tim",
        Y,
        "HR Manager sees all reviews",
    ),
    // Email and calendar of managed users: Manager subject/to/from, Admin all.
    ("tim", "email", "view_header", "tim", Y, "own email"),
    ("tim", "email", "view_content", "tim", Y, "own email"),
    ("ext", "email", "view_content", "ext", Y, "own email"),
    ("tim", "email", "view_header", "pam", N, "not managed"),
    (
        "max",
        "email",
        "view_header",
        "tim",
        Y,
        "Manager: managed user's subject/to/from",
    ),
    (
        "max",
        "email",
        "view_content",
        "tim",
        N,
        "Manager: not the content",
    ),
    ("max", "email", "view_header", "pam", Y, "managed"),
    (
        "max",
        "email",
        "view_content",
        "pam",
        N,
        "Manager: not the content",
    ),
    (
        "max",
        "email",
        "view_header",
        "pia",
        N,
        "not managed by max",
    ),
    (
        "max",
        "email",
        "view_header",
        "ada",
        N,
        "not managed by max",
    ),
    (
        "ada",
        "email",
        "view_header",
        "max",
        Y,
        "Admin: managed user",
    ),
    (
        "ada",
        "email",
        "view_content",
        "max",
        Y,
        "Admin: full content",
    ),
    (
        "ada",
        "email",
        "view_content",
        "tim",
        Y,
        "Admin: full content",
    ),
    (
        "ada",
        "email",
        "view_header",
        "pam",
        N,
        "not managed by ada",
    ),
    (
        "ada",
        "email",
        "view_content",
        "pam",
        N,
        "not managed by ada",
    ),
    (
        "meg",
        "email",
        "view_header",
        "tim",
        N,
        "meg manages nobody",
    ),
    (
        "max",
        "calendar",
        "view_summary",
        "tim",
        Y,
        "Manager: managed calendar",
    ),
    (
        "max",
        "calendar",
        "view_details",
        "tim",
        N,
        "Manager: not the details",
    ),
    (
        "ada",
        "calendar",
        "view_details",
        "tim",
        Y,
        "Admin: full details",
    ),
    (
        "ada",
        "calendar",
        "view_details",
        "pam",
        N,
        "not managed by ada",
    ),
    ("ext", "calendar", "view_details", "ext", Y, "own calendar"),
    (
        "ext",
        "calendar",
        "view_summary",
        "tim",
        N,
        "someone else's calendar",
    ),
    (
        "max",
        "time_entry",
        "view",
        "tim",
        N,
        "managing shows email and calendar only",
    ),
    (
        "max",
        "review",
        "view",
        "tim",
        N,
        "managing shows email and calendar only",
    ),
    (
        "eve",
        "email",
        "view_header",
        "tim",
        N,
        "toggles add no email access",
    ),
];

/// Scoped grants of each role type: (role, `own` grants, `managed` grants), as
/// the role matrix shows them (a cell is `Y` when the action holds in any scope,
/// else `own`, `managed`, `own, managed` or `-`).
const ROLE_SCOPES: &[(&str, Grants, Grants)] = &[
    (
        "External Collaborator",
        &[
            ("email", &["view_header", "view_content"]),
            ("calendar", &["view_summary", "view_details"]),
        ],
        &[],
    ),
    (
        "Time Tracker",
        &[
            ("email", &["view_header", "view_content"]),
            ("calendar", &["view_summary", "view_details"]),
            ("time_entry", &["view", "edit"]),
            ("review", &["view"]),
        ],
        &[],
    ),
    (
        "Premium",
        &[
            ("email", &["view_header", "view_content"]),
            ("calendar", &["view_summary", "view_details"]),
            ("time_entry", &["view", "edit"]),
            ("review", &["view"]),
            ("task", &["delete"]),
        ],
        &[],
    ),
    (
        "Manager",
        &[
            ("email", &["view_header", "view_content"]),
            ("calendar", &["view_summary", "view_details"]),
            ("time_entry", &["view", "edit"]),
            ("review", &["view"]),
            ("task", &["delete"]),
        ],
        &[("email", &["view_header"]), ("calendar", &["view_summary"])],
    ),
    (
        "Admin",
        &[
            ("email", &["view_header", "view_content"]),
            ("calendar", &["view_summary", "view_details"]),
        ],
        &[
            ("email", &["view_header", "view_content"]),
            ("calendar", &["view_summary", "view_details"]),
        ],
    ),
];

/// What each toggle adds, closed under implications (creating needs viewing).
const TOGGLE_GRANTS: &[(&str, Grants)] = &[
    (
        "Can Add Opportunities and Projects",
        &[
            ("opportunity", &["view", "create", "import"]),
            ("project", &["view", "create", "import"]),
        ],
    ),
    (
        "HR Manager",
        &[
            ("review", &["view", "set_periods"]),
            ("employee_cost", &["view", "edit"]),
        ],
    ),
    (
        "Accounts Manager",
        &[
            ("company", &["view", "approve"]),
            ("item_type", &["view", "create", "edit"]),
            ("accounting_system", &["export"]),
        ],
    ),
];

/// One subject of the document: (name, role, toggles, explicit levels).
type SubjectRow = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// Every subject of the document. `eve` is an External Collaborator with all
/// three toggles: on a role that holds almost nothing, her answers show exactly
/// what each toggle adds.
const SUBJECTS: &[SubjectRow] = &[
    ("ext", "External Collaborator", &[], &[]),
    (
        "eve",
        "External Collaborator",
        &[
            "Can Add Opportunities and Projects",
            "HR Manager",
            "Accounts Manager",
        ],
        &[],
    ),
    ("tim", "Time Tracker", &[], &[]),
    (
        "pam",
        "Premium",
        &["Can Add Opportunities and Projects"],
        &[
            ("cost_estimate", "Can edit and approve"),
            ("invoice", "Can edit"),
            ("purchase_order", "Can view"),
        ],
    ),
    (
        "pia",
        "Premium",
        &[],
        &[
            ("cost_estimate", "Can view"),
            ("invoice", "Can view"),
            ("purchase_order", "Can edit"),
        ],
    ),
    (
        "paul",
        "Premium",
        &["Accounts Manager"],
        &[
            ("cost_estimate", "Can edit"),
            ("invoice", "No access"),
            ("purchase_order", "No access"),
        ],
    ),
    ("pat", "Premium", &["HR Manager"], &[]),
    ("nick", "Premium", &[], &[("cost_estimate", "No access")]),
    ("max", "Manager", &[], &[]),
    (
        "meg",
        "Manager",
        &[],
        &[("cost_estimate", "Can edit and approve")],
    ),
    ("ada", "Admin", &[], &[]),
];

/// Implications per kind.
const NEEDS: Needs = &[
    (
        "task",
        &[
            ("comment", &["view"]),
            ("close", &["view"]),
            ("attach", &["view"]),
            ("create", &["view"]),
            ("edit", &["view"]),
            ("delete", &["view"]),
        ],
    ),
    ("time_entry", &[("edit", &["view"])]),
    ("review", &[]),
    ("employee_cost", &[("edit", &["view"])]),
    ("user", &[("invite_free", &["view"]), ("add", &["view"])]),
    (
        "contact",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("export", &["view"]),
        ],
    ),
    (
        "project",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("import", &["view"]),
            ("export", &["view"]),
        ],
    ),
    (
        "opportunity",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("import", &["view"]),
            ("export", &["view"]),
        ],
    ),
    ("company", &[("edit", &["view"]), ("approve", &["view"])]),
    ("item_type", &[("create", &["view"]), ("edit", &["view"])]),
    ("accounting_system", &[]),
    (
        "cost_estimate",
        &[
            ("view_reports", &["view"]),
            ("edit", &["view"]),
            ("approve", &["edit"]),
        ],
    ),
    (
        "invoice",
        &[("view_reports", &["view"]), ("edit", &["view"])],
    ),
    (
        "purchase_order",
        &[("view_reports", &["view"]), ("edit", &["view"])],
    ),
    ("email", &[("view_content", &["view_header"])]),
    ("calendar", &[("view_details", &["view_summary"])]),
];

fn grants_of(table: &[(&'static str, Grants)], name: &str) -> Result<Grants, Box<dyn Error>> {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, g)| *g)
        .ok_or_else(|| format!("no expected grants for {name}").into())
}

#[test]
fn kinds_and_roles_are_exactly_these() -> TestResult {
    let (def, _) = load(SEED)?;
    assert_eq!(kinds_of(&def), want_kinds(KINDS));
    // Five role types, in order, each based on the previous one.
    let roles: Vec<(&str, Option<&str>)> = def
        .roles
        .iter()
        .map(|(n, r)| (n, r.base.as_deref()))
        .collect();
    assert_eq!(
        roles,
        [
            ("External Collaborator", None),
            ("Time Tracker", Some("External Collaborator")),
            ("Premium", Some("Time Tracker")),
            ("Manager", Some("Premium")),
            ("Admin", Some("Manager")),
        ]
    );
    let toggles: Vec<&str> = def.toggles.iter().map(|(n, _)| n).collect();
    assert_eq!(
        toggles,
        [
            "Can Add Opportunities and Projects",
            "HR Manager",
            "Accounts Manager"
        ]
    );
    Ok(())
}

#[test]
fn every_role_type_holds_exactly_its_grants() -> TestResult {
    let (_, policy) = load(SEED)?;
    let failures = role_grant_failures(&policy, ROLE_TYPES, KINDS)?;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn implications_are_exactly_these() -> TestResult {
    let (def, _) = load(SEED)?;
    assert_eq!(needs_of(&def), want_needs(NEEDS));
    Ok(())
}

#[test]
fn role_matrix_shows_every_scope() -> TestResult {
    let (_, policy) = load(SEED)?;
    let matrix = policy.role_matrix();
    let mut failures = Vec::new();
    for (role, own, managed) in ROLE_SCOPES {
        let any = grants_of(ROLE_TYPES, role)?;
        for (kind, actions) in KINDS {
            for action in *actions {
                let expected = if expected_grant(any, kind, action) {
                    "Y"
                } else {
                    match (
                        expected_grant(own, kind, action),
                        expected_grant(managed, kind, action),
                    ) {
                        (true, true) => "own, managed",
                        (true, false) => "own",
                        (false, true) => "managed",
                        (false, false) => "-",
                    }
                };
                let row = format!("{kind}.{action}");
                let got = matrix.cell(&row, role);
                if got != Some(expected) {
                    failures.push(format!("{role} {row}: expected {expected}, got {got:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn every_subject_kind_wide_is_role_or_level_plus_toggles() -> TestResult {
    // A subject's kind-wide set (no owner, no state) is its role's set, or its
    // explicit level where it has one, plus what its toggles add.
    let (def, policy) = load(SEED)?;
    let names: Vec<&str> = def.subjects.iter().map(|(n, _)| n).collect();
    let want: Vec<&str> = SUBJECTS.iter().map(|(n, ..)| *n).collect();
    assert_eq!(names, want, "every subject is described in SUBJECTS");
    let mut failures = Vec::new();
    for (subject, role, toggles, levels) in SUBJECTS {
        let role_grants = grants_of(ROLE_TYPES, role)?;
        for (kind, actions) in KINDS {
            let level = levels.iter().find(|(k, _)| k == kind).map(|(_, l)| *l);
            for action in *actions {
                let mut expected = match level {
                    Some(level) => {
                        let (t, cells) = level_row(LEVEL_TABLES, kind, level)?;
                        let col = t.columns.iter().position(|c| c == action);
                        col.and_then(|c| cells.get(c)).copied().unwrap_or(false)
                    }
                    None => expected_grant(role_grants, kind, action),
                };
                for toggle in *toggles {
                    expected |= expected_grant(grants_of(TOGGLE_GRANTS, toggle)?, kind, action);
                }
                let got = check(&policy, subject, kind, action, None, None)?;
                if got != expected {
                    failures.push(format!(
                        "{subject} ({role}, {toggles:?}, {level:?}) {kind}.{action}: expected {expected}, got {got}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn role_types_are_ordered() -> TestResult {
    let (_, policy) = load(SEED)?;
    for pair in ROLE_TYPES.windows(2) {
        let [(lower, _), (upper, _)] = pair else {
            continue;
        };
        let mut strictly_more = false;
        for (kind, actions) in KINDS {
            for action in *actions {
                let lo = role_can(&policy, lower, kind, action)?;
                let hi = role_can(&policy, upper, kind, action)?;
                assert!(
                    !lo || hi,
                    "{lower} has {kind}.{action} but {upper} does not"
                );
                strictly_more |= hi && !lo;
            }
        }
        assert!(strictly_more, "{upper} adds nothing to {lower}");
    }
    Ok(())
}

#[test]
fn what_each_role_type_adds() -> TestResult {
    let (_, policy) = load(SEED)?;
    let mut failures = Vec::new();
    for (role, sentence, kind, action, expected) in ROLE_SENTENCES {
        let got = role_can(&policy, role, kind, action)?;
        if got != *expected {
            failures.push(format!(
                "{role} '{sentence}' {kind}.{action}: expected {expected}, got {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn toggles_add_their_abilities() -> TestResult {
    let (_, policy) = load(SEED)?;
    for (toggle, holder, pairs) in TOGGLES {
        for (kind, action) in *pairs {
            assert!(
                check(&policy, holder, kind, action, None, None)?,
                "{holder} with '{toggle}' should have {kind}.{action}"
            );
            assert!(
                !role_can(&policy, "Premium", kind, action)?,
                "Premium alone should not have {kind}.{action} ('{toggle}')"
            );
            for other in NO_TOGGLE {
                assert!(
                    !check(&policy, other, kind, action, None, None)?,
                    "{other} has no '{toggle}' but has {kind}.{action}"
                );
            }
            // Admin has everything without toggles.
            assert!(role_can(&policy, "Admin", kind, action)?);
        }
    }
    // A toggle grants only its own abilities.
    assert!(!check(&policy, "pam", "review", "set_periods", None, None)?);
    assert!(!check(&policy, "pat", "company", "approve", None, None)?);
    assert!(!check(&policy, "paul", "project", "create", None, None)?);
    Ok(())
}

#[test]
fn account_type_levels_every_cell() -> TestResult {
    let (def, policy) = load(SEED)?;
    assert_level_cells(&policy, LEVEL_TABLES, SUBJECT_LEVELS, Some(1), |_, cell| {
        cell
    })?;
    assert_tables_match_def(&def, LEVEL_TABLES, None)?;
    assert_every_level_held(LEVEL_TABLES, SUBJECT_LEVELS, |_| true);
    Ok(())
}

#[test]
fn only_admin_edits_a_billed_cost_estimate() -> TestResult {
    let (_, policy) = load(SEED)?;
    let mut failures = Vec::new();
    for (subject, state, action, expected) in LIFECYCLE {
        let got = check(&policy, subject, "cost_estimate", action, Some(state), None)?;
        if got != *expected {
            failures.push(format!(
                "{subject} cost_estimate[{state}].{action}: expected {expected}, got {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let billed = At {
        id: Some(9),
        state: Some("billed"),
        owner: None,
    };
    let e = explain_at(&policy, "pam", "cost_estimate", "edit", billed)?;
    assert!(!e.allowed());
    assert!(e.to_string().contains("billed"), "{e}");
    assert!(has_step(&e, Rule::StateRule, true), "{e}");
    // The Admin is exempt: the rule is reported, but does not decide.
    let e = explain_at(&policy, "ada", "cost_estimate", "edit", billed)?;
    assert!(e.allowed());
    assert!(!has_step(&e, Rule::StateRule, true), "{e}");
    Ok(())
}

#[test]
fn scopes_tasks_time_reviews_email_calendar() -> TestResult {
    let (_, policy) = load(SEED)?;
    let mut failures = Vec::new();
    for (subject, kind, action, owner, expected, why) in SCOPED {
        let got = check(&policy, subject, kind, action, None, Some(owner))?;
        if got != *expected {
            failures.push(format!(
                "{subject} {kind}.{action} owned by {owner}: expected {expected}, got {got} ({why})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn explain_agrees_with_can_on_every_cell() -> TestResult {
    // Instance ids asked about: kind-wide and one instance.
    assert_explain_agrees_with_can(SEED, &[None, Some(9)])
}
