//! Seed 001: Magnews roles, custom roles, exceptions and audience restrictions.
//!
//! Run with `cargo run --example magnews [policy.json]`; without an argument it
//! uses `examples/policies/magnews.json`.
//!
//! How the seed is read (tested row by row in `tests/seed_magnews.rs`):
//! - Kinds follow the product's areas: Profile Studio (`database`, `contact`,
//!   `audience`, `service_page`), Journey Lab (`journey`, `communication`,
//!   `content`, `template`, `web_page`, `shared_file`), Insight (`report`,
//!   `message_category`) and Settings / Users and security (`blacklist`,
//!   `security`, `user`, `settings`).
//! - Each table row maps to exact (kind, action) pairs, e.g. "Manage contacts" =
//!   contact view+edit+delete; "Import new contacts and edit existing ones" =
//!   contact import+edit; "Manage audience" = audience create+edit+delete;
//!   "Create web pages/on-site messages" = web_page create+edit; "Manage web
//!   pages" adds delete; "Manage/Create content" = content create+edit; "Proceed
//!   with advanced content management" = content.advanced; "Create/Manage shared
//!   files" = shared_file create+edit+delete; "Manage users" = user
//!   create+edit+delete; "Edit general settings" = settings.edit; "Manage security
//!   rules (including Blacklist)" = security.manage + blacklist.manage; "View
//!   reports" = the four report areas; "View report details" and the Guest's "View
//!   statistical details" = report.view_details; "View contact statistics" =
//!   contact.view_statistics.
//! - Database manager: its table puts "Manage/Create content" and "Manage web
//!   pages/on-site messages" under Can, but its prose says it "does not have any
//!   operational permission on communications and content" and "can only manage
//!   aspects concerning the Profile Studio area". We follow the prose: no content,
//!   no web pages. It does manage the blacklist (table) but not security rules.
//! - Manager = Administrator minus the `security` and `user` kinds ("cannot manage
//!   security aspects or account users"); it keeps the blacklist, which the
//!   Database manager below it also manages.
//! - Editor: "manages functionalities in Profile Studio, Journey Lab and Insight"
//!   except what its table and prose deny: it edits (does not create or delete)
//!   journeys, sends communications, edits database settings but neither creates
//!   nor deletes databases; "cannot modify general settings of communications,
//!   layout" = no communication.edit_settings, no template.edit, no advanced
//!   content management (the layout right the Designer has).
//! - Designer: no send and no send_test ("sending test and final
//!   communications"), no template.edit, no communication.edit_settings.
//! - Guest: "can view contact information" read as its table's "View contact
//!   statistics", not contact records, so it stays below Report access; it sees
//!   reports of all four areas ("databases, journeys, communications, and web
//!   pages") but no details.
//! - Report access views all four report areas and their details (its table's
//!   "View reports"; its prose names only journeys, communications and web pages,
//!   but it must hold at least what the Guest below it holds).
//! - Message category reports ("Message categories" section) are held by
//!   Administrator and Manager only; custom roles add them.
//! - Custom roles copy a base and add/remove per section: "Editor without send"
//!   (base Editor, minus the final send; test sends stay) carries role-level
//!   exceptions for databases 42/43 and journeys 5/6; "Journey Editor" (base
//!   Editor) adds shared files, journey create/delete and message category
//!   reports, and removes contact import/delete and audience management;
//!   "Audience keeper" (base Database manager) restricts audience edit/delete to
//!   audiences 101 and 102 ("Restrict access to some audiences"). Subject `otto`
//!   has his own exception that beats his role's; `lena` is limited to database 42
//!   ("limit operations to certain databases").
//! - Databases contain contacts and audiences: `contact` and `audience` have
//!   `"parent": "database"`, and a check may say which database the contact or
//!   audience is in (`Resource::within`). A per-database exception ("define
//!   specific permissions for one or more databases": contact management and
//!   settings, "including those for audiences") is written on the database and
//!   `in` it for its contacts and audiences. "Editor without send" may not modify
//!   the settings of database 42 nor of its audiences; `otto`'s own rule in
//!   database 42 gives audience editing back to him (the subject's layer comes
//!   after the role's). `edna`, a plain Editor, has no contact management in
//!   database 44 and may not touch its settings or audiences.
//! - "Alternatively, you can limit operations to certain databases": `dina`, a
//!   Database manager, configures audiences only in database 7 (a restriction
//!   written `in` database). A contact or audience asked about without its
//!   database meets no rule written in one: exceptions in a database do not
//!   apply, and restricted actions do not hold. Every other rule answers as
//!   before.

use std::error::Error;

use accessmask::{InstanceId, Policy};

#[path = "common/mod.rs"]
mod common;
use common::{load, show};

/// Explains `subject action kind:id` for a contact or audience in `database`.
fn show_in(
    policy: &Policy,
    subject: &str,
    kind: &str,
    action: &str,
    id: InstanceId,
    database: InstanceId,
) -> Result<(), Box<dyn Error>> {
    let (Some(s), Some(a), Some(db)) = (
        policy.subject(subject),
        policy.action(kind, action),
        policy.kind("database"),
    ) else {
        println!("(skipped `{subject} {action} {kind}:{id} in database:{database}`)\n");
        return Ok(());
    };
    let r = policy
        .resource(a.kind())
        .with_id(id)
        .within(db.instance(database));
    println!("{}", policy.explain(s, a, &r));
    Ok(())
}

const POLICY: &str = include_str!("policies/magnews.json");

fn main() -> Result<(), Box<dyn Error>> {
    let (_, policy) = load(POLICY)?;

    println!("Roles x actions (the Can / Cannot tables)\n");
    println!("{}", policy.role_matrix());

    let questions = [
        // Manager: everything but security and users.
        "mark create user",
        // Guest cannot view statistical details.
        "gus view_details report",
        // Database manager: the table says content, the prose says no.
        "dora create content",
        // Custom role without send.
        "nora send communication",
        // Per-database and per-journey exceptions on the custom role.
        "nora edit database:42",
        "nora edit journey:5",
        // The subject's own exception beats the role's.
        "otto edit journey:5",
        // Restrict access to some audiences.
        "aldo edit audience:101",
        "aldo edit audience:103",
        // Limited to certain databases.
        "lena delete database:7",
    ];
    for q in questions {
        show(&policy, q)?;
    }

    // Per-database exceptions reach the database's audiences and contacts.
    show_in(&policy, "nora", "audience", "edit", 101, 42)?;
    show_in(&policy, "otto", "audience", "edit", 101, 42)?;
    show_in(&policy, "edna", "contact", "edit", 9, 44)?;
    show_in(&policy, "edna", "contact", "edit", 9, 7)?;
    // Audiences configured only in database 7.
    show_in(&policy, "dina", "audience", "edit", 3, 7)?;
    show_in(&policy, "dina", "audience", "edit", 3, 8)?;
    // Without its database, a rule written in one does not apply.
    show(&policy, "edna edit contact:9")?;
    show(&policy, "dina edit audience:3")?;
    Ok(())
}
