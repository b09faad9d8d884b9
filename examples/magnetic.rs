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

#[path = "common/mod.rs"]
mod common;
use common::{load, show};

const POLICY: &str = include_str!("policies/magnetic.json");

fn main() -> Result<(), Box<dyn Error>> {
    let (_, policy) = load(POLICY)?;

    println!("Role types x actions\n");
    println!("{}", policy.role_matrix());
    println!("Account-type levels (users x account types)\n");
    println!("{}", policy.level_matrix());

    let questions = [
        // Approve moves a draft cost estimate to internally approved.
        "pam approve cost_estimate:1 state=draft",
        // Only Admin edits a Billed cost estimate.
        "pam edit cost_estimate:1 state=billed",
        "ada edit cost_estimate:1 state=billed",
        // Tasks: Premium deletes its own, Admin any.
        "pia delete task:1 owner=tim",
        "ada delete task:1 owner=pia",
        // Managers read subject/to/from of managed users' email, Admins the content.
        "max view_header email:1 owner=tim",
        "max view_content email:1 owner=tim",
        "ada view_content email:1 owner=tim",
        // Toggles.
        "pat set_periods review:1",
        "ext track time_entry:1",
    ];
    for q in questions {
        show(&policy, q)?;
    }
    Ok(())
}
