//! Seed 002: Higher Logic Thrive Marketing Enterprise integration access levels.
//!
//! Run with `cargo run --example thrive [policy.json]`; without an argument it
//! uses `examples/policies/thrive.json`.
//!
//! How the seed is read (tested in `tests/seed_thrive.rs`):
//! - The three permission tables are three kinds whose actions are the tables'
//!   columns (`scheduled_upload`: view, run, create = "Create/Schedule", edit,
//!   delete; `tracking`: view, edit; `unsubscribe_mapping`: view, create, edit,
//!   delete) and whose levels Full Access / Read Only Access / No Access hold
//!   exactly the Y cells.
//! - Only Admin users hold integration access levels ("designate which Admin
//!   users ... can access"); the `User` role holds nothing on the integration.
//!   This page names no default; we take Full Access, the default documented by
//!   its predecessor Real Magnet. Each Admin may get a different level per
//!   feature (explicit `levels` on the subject, replacing the role's default).
//! - Sync on Send and enabling tracking are actions of a kind `integration`
//!   granted to Admins, each with a prerequisite: `use_sync_on_send` needs at
//!   least Read Only Access on `scheduled_upload`, `enable_tracking` needs Full
//!   Access on `tracking`.
//! - "Not all features are available for all integrations": a kind with
//!   `"available": false`. Availability is per policy, so this example (and the
//!   test) flips it on a copy of the document: an integration without
//!   Unsubscribe Mapping.
//! - Only Admins manage the Integration Access Levels page
//!   (`integration_access_levels.set`).

use std::error::Error;

use accessmask::{Policy, PolicyDef};

const POLICY: &str = include_str!("policies/thrive.json");

fn main() -> Result<(), Box<dyn Error>> {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => POLICY.to_string(),
    };
    let def: PolicyDef = serde_json::from_str(&text)?;
    let policy = Policy::compile(&def)?;

    println!("Roles x actions\n");
    println!("{}", policy.role_matrix());
    println!("Integration Access Levels (Admins x features)\n");
    println!("{}", policy.level_matrix());

    let questions = [
        // Read Only Access on Scheduled Uploads: view and run, not edit.
        ("ben", "scheduled_upload", "run"),
        ("ben", "scheduled_upload", "edit"),
        // Sync on Send needs Read Only or Full on Scheduled Uploads.
        ("ben", "integration", "use_sync_on_send"),
        ("dee", "integration", "use_sync_on_send"),
        // Enabling tracking needs Full Access on Tracking.
        ("dee", "integration", "enable_tracking"),
        ("eli", "integration", "enable_tracking"),
        // Non-Admins hold nothing.
        ("uma", "tracking", "view"),
    ];
    for (subject, kind, action) in questions {
        show(&policy, subject, kind, action)?;
    }

    // An integration on which Unsubscribe Mapping is not available.
    let mut without = def.clone();
    if let Some(kind) = without.kinds.get_mut("unsubscribe_mapping") {
        kind.available = false;
        let policy = Policy::compile(&without)?;
        println!("On an integration without Unsubscribe Mapping\n");
        println!("{}", policy.level_matrix());
        show(&policy, "ana", "unsubscribe_mapping", "view")?;
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
