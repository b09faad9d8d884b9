//! Seed 000: Real Magnet's AMS integration permissions.
//!
//! Run with `cargo run --example real_magnet [policy.json]`; without an argument
//! it uses `examples/policies/real_magnet.json`.
//!
//! How the seed is read (tested in `tests/seed_real_magnet.rs`):
//! - Three integration features are three kinds, each with a `view` action and
//!   one "doing" action: `list_transfer.transfer` ("transfer lists to Real
//!   Magnet"), `tracking_data.select` ("select what tracking data is returned to
//!   the AMS/CRM"), `unsubscribe_management.manage` ("managing unsubscribes").
//!   The seed does not say what "Read Only Access" allows; we read it as `view`
//!   alone. Full Access is everything, No Access nothing.
//! - "Admins now can control user access to 3 key parts of the integration", and
//!   the Integration Access Levels object is "at the bottom of every user's
//!   Permissions Selection Page": every user holds levels, and Full Access is the
//!   default for both roles (`Admin` and `User`). A user's explicit level
//!   replaces the default for that feature.
//! - Only Admins with Integrations Permission *set* levels. "Regular Admin
//!   rights" are `account_management.manage_permissions` (the Admin role); the
//!   Integrations Permission toggle grants `account_management.set_integration_levels`,
//!   which has a prerequisite on `manage_permissions`, so a non-Admin with the
//!   toggle still cannot set levels (and no exception can reopen that).

use std::error::Error;

use accessmask::{Policy, PolicyDef};

const POLICY: &str = include_str!("policies/real_magnet.json");

fn main() -> Result<(), Box<dyn Error>> {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => POLICY.to_string(),
    };
    let def: PolicyDef = serde_json::from_str(&text)?;
    let policy = Policy::compile(&def)?;

    println!("Roles x actions\n");
    println!("{}", policy.role_matrix());
    println!("Integration Access Levels (users x features)\n");
    println!("{}", policy.level_matrix());

    let questions = [
        // Default Full Access.
        ("alice", "list_transfer", "transfer"),
        // Read Only Access: may look, may not transfer.
        ("bob", "list_transfer", "view"),
        ("bob", "list_transfer", "transfer"),
        // No Access.
        ("carol", "unsubscribe_management", "view"),
        // Setting levels: Admin + toggle, Admin without toggle, User + toggle.
        ("alice", "account_management", "set_integration_levels"),
        ("bob", "account_management", "set_integration_levels"),
        ("ed", "account_management", "set_integration_levels"),
    ];
    for (subject, kind, action) in questions {
        show(&policy, subject, kind, action)?;
    }
    Ok(())
}

/// Prints the explanation of one kind-wide decision, or a note if the policy
/// given on the command line lacks one of the names.
fn show(policy: &Policy, subject: &str, kind: &str, action: &str) -> Result<(), Box<dyn Error>> {
    let (Some(s), Some(a)) = (policy.subject(subject), policy.action(kind, action)) else {
        println!("(skipped {subject} {kind}.{action}: not in this policy)\n");
        return Ok(());
    };
    println!("{}", policy.explain(s, a, &policy.resource(a.kind())));
    Ok(())
}
