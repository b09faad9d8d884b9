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

use accessmask::Policy;

#[path = "common/mod.rs"]
mod common;
use common::{load, show};

const POLICY: &str = include_str!("policies/thrive.json");

fn main() -> Result<(), Box<dyn Error>> {
    let (def, policy) = load(POLICY)?;

    println!("Roles x actions\n");
    println!("{}", policy.role_matrix());
    println!("Integration Access Levels (Admins x features)\n");
    println!("{}", policy.level_matrix());

    let questions = [
        // Read Only Access on Scheduled Uploads: view and run, not edit.
        "ben run scheduled_upload",
        "ben edit scheduled_upload",
        // Sync on Send needs Read Only or Full on Scheduled Uploads.
        "ben use_sync_on_send integration",
        "dee use_sync_on_send integration",
        // Enabling tracking needs Full Access on Tracking.
        "dee enable_tracking integration",
        "eli enable_tracking integration",
        // Non-Admins hold nothing.
        "uma view tracking",
    ];
    for q in questions {
        show(&policy, q)?;
    }

    // An integration on which Unsubscribe Mapping is not available.
    let mut without = def.clone();
    if let Some(kind) = without.kinds.get_mut("unsubscribe_mapping") {
        kind.available = false;
        let policy = Policy::compile(&without)?;
        println!("On an integration without Unsubscribe Mapping\n");
        println!("{}", policy.level_matrix());
        show(&policy, "ana view unsubscribe_mapping")?;
    }
    Ok(())
}
