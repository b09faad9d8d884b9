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

use std::error::Error;

use accessmask::{Policy, PolicyDef};

const POLICY: &str = include_str!("policies/magnews.json");

fn main() -> Result<(), Box<dyn Error>> {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => POLICY.to_string(),
    };
    let def: PolicyDef = serde_json::from_str(&text)?;
    let policy = Policy::compile(&def)?;

    println!("Roles x actions (the Can / Cannot tables)\n");
    println!("{}", policy.role_matrix());

    let questions: [(&str, &str, &str, Option<u64>); 10] = [
        // Manager: everything but security and users.
        ("mark", "user", "create", None),
        // Guest cannot view statistical details.
        ("gus", "report", "view_details", None),
        // Database manager: the table says content, the prose says no.
        ("dora", "content", "create", None),
        // Custom role without send.
        ("nora", "communication", "send", None),
        // Per-database and per-journey exceptions on the custom role.
        ("nora", "database", "edit", Some(42)),
        ("nora", "journey", "edit", Some(5)),
        // The subject's own exception beats the role's.
        ("otto", "journey", "edit", Some(5)),
        // Restrict access to some audiences.
        ("aldo", "audience", "edit", Some(101)),
        ("aldo", "audience", "edit", Some(103)),
        // Limited to certain databases.
        ("lena", "database", "delete", Some(7)),
    ];
    for (subject, kind, action, id) in questions {
        show(&policy, subject, kind, action, id)?;
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
    id: Option<u64>,
) -> Result<(), Box<dyn Error>> {
    let (Some(s), Some(a)) = (policy.subject(subject), policy.action(kind, action)) else {
        println!("(skipped {subject} {kind}.{action}: not in this policy)\n");
        return Ok(());
    };
    let mut resource = policy.resource(a.kind());
    if let Some(id) = id {
        resource = resource.with_id(id);
    }
    println!("{}", policy.explain(s, a, &resource));
    Ok(())
}
