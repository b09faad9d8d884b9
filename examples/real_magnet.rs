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

#[path = "common/mod.rs"]
mod common;
use common::{load, show};

const POLICY: &str = include_str!("policies/real_magnet.json");

fn main() -> Result<(), Box<dyn Error>> {
    let (_, policy) = load(POLICY)?;

    println!("Roles x actions\n");
    println!("{}", policy.role_matrix());
    println!("Integration Access Levels (users x features)\n");
    println!("{}", policy.level_matrix());

    let questions = [
        // Default Full Access.
        "alice transfer list_transfer",
        // Read Only Access: may look, may not transfer.
        "bob view list_transfer",
        "bob transfer list_transfer",
        // No Access.
        "carol view unsubscribe_management",
        // Setting levels: Admin + toggle, Admin without toggle, User + toggle.
        "alice set_integration_levels account_management",
        "bob set_integration_levels account_management",
        "ed set_integration_levels account_management",
    ];
    for q in questions {
        show(&policy, q)?;
    }
    Ok(())
}
