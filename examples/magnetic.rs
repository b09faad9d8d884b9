//! Seed 003: Magnetic user role types, explicit permissions, account-type levels,
//! the Billed rule and managed users' email.
//!
//! Run with `cargo run --example magnetic [policy.json]`; without an argument it
//! uses `examples/policies/magnetic.json`.
//!
//! How the seed is read (tested in `tests/seed_magnetic.rs`):
//! - The five role types are a chain of derived roles, each `base`d on the one
//!   before: External Collaborator (view, comment on, close and attach work to
//!   tasks; view projects; its own email and calendar) -> Time Tracker (+ track
//!   time and see/edit its own time entries, + `review.be_reviewed`: "can be
//!   performance reviewed in the HR module", and see its own reviews) -> Premium
//!   ("almost everything": create and edit tasks, delete *its own* tasks,
//!   contacts, view/edit projects and opportunities, customers/suppliers, view
//!   item types, invite free users) -> Manager (+ export contacts, projects and
//!   opportunities; subject/to/from of managed users' email, summaries of their
//!   calendars) -> Admin (everything: add users, delete any task, every account
//!   type, full content of managed users' email and calendars).
//! - "They cannot track time and add free users": External Collaborators and
//!   Time Trackers may not `user.invite_free`; Premium may; only Admin
//!   `user.add`s paid users.
//! - Explicit permissions are toggles: "Can Add Opportunities and Projects"
//!   (create + bulk import of opportunities and projects), "HR Manager" (set
//!   review periods, see all reviews, set and see employee costs), "Accounts
//!   Manager" (approve customers and suppliers, add/edit item types, export to
//!   external accounting systems).
//! - Accounts module: Premium and Manager hold no account type by default; each
//!   user gets a level per account type. `cost_estimate` has No access / Can view
//!   / Can edit / Can edit and approve; `invoice` and `purchase_order` stop at Can
//!   edit ("approve is particular for Cost Estimates"). Can view includes
//!   `view_reports` (the reports about that account type).
//! - Cost estimate states: draft, internally_approved, billed. `approve` moves
//!   DRAFT to INTERNALLY APPROVED "or later", so it is not held before billed.
//!   In `billed`, edit and approve are held back unless the role is Admin
//!   ("Only admin users will be able to edit a Cost Estimate once its status has
//!   been set to Billed").
//! - Calendars are read like emails (Manager: summary; Admin: details), and an
//!   Admin reads full content only of users it manages.

use std::error::Error;

use accessmask::{Policy, PolicyDef};

const POLICY: &str = include_str!("policies/magnetic.json");

/// A question: (subject, kind, action, the instance's state, its owner).
type Question = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

fn main() -> Result<(), Box<dyn Error>> {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => POLICY.to_string(),
    };
    let def: PolicyDef = serde_json::from_str(&text)?;
    let policy = Policy::compile(&def)?;

    println!("Role types x actions\n");
    println!("{}", policy.role_matrix());
    println!("Account-type levels (users x account types)\n");
    println!("{}", policy.level_matrix());

    let questions: [Question; 10] = [
        // Approve moves a draft cost estimate to internally approved.
        ("pam", "cost_estimate", "approve", Some("draft"), None),
        // Only Admin edits a Billed cost estimate.
        ("pam", "cost_estimate", "edit", Some("billed"), None),
        ("ada", "cost_estimate", "edit", Some("billed"), None),
        // Tasks: Premium deletes its own, Admin any.
        ("pia", "task", "delete", None, Some("tim")),
        ("ada", "task", "delete", None, Some("pia")),
        // Managers read subject/to/from of managed users' email, Admins the content.
        ("max", "email", "view_header", None, Some("tim")),
        ("max", "email", "view_content", None, Some("tim")),
        ("ada", "email", "view_content", None, Some("tim")),
        // Toggles.
        ("pat", "review", "set_periods", None, None),
        ("ext", "time_entry", "track", None, None),
    ];
    for (subject, kind, action, state, owner) in questions {
        show(&policy, subject, kind, action, state, owner)?;
    }
    Ok(())
}

/// Prints the explanation of one decision, or a note if the policy given on the
/// command line lacks one of the names.
fn show(
    policy: &Policy,
    subject: &str,
    kind: &str,
    action: &str,
    state: Option<&str>,
    owner: Option<&str>,
) -> Result<(), Box<dyn Error>> {
    let (Some(s), Some(a)) = (policy.subject(subject), policy.action(kind, action)) else {
        println!("(skipped {subject} {kind}.{action}: not in this policy)\n");
        return Ok(());
    };
    let mut resource = policy.resource(a.kind()).with_id(1);
    if let Some(name) = state {
        let st = policy
            .state(a.kind(), name)
            .ok_or_else(|| format!("{kind} has no state {name}"))?;
        resource = resource.with_state(st);
    }
    if let Some(name) = owner {
        let o = policy
            .subject(name)
            .ok_or_else(|| format!("no subject {name}"))?;
        resource = resource.with_owner(o);
    }
    println!("{}", policy.explain(s, a, &resource));
    Ok(())
}
