//! Seed 001, Magnews roles, checked row by row against
//! `examples/policies/magnews.json`.
//!
//! Every Can and every Cannot row of the five role tables is below as data, each
//! mapped to exact (kind, action) pairs, plus the prose of Administrator and
//! Manager (which have no table) and the prose sentences of the other roles. On
//! top of the rows, `ROLE_GRANTS` lists the exact kind-wide set of every role, and
//! `KINDS` the exact kinds and actions, so flipping any single grant in the JSON
//! fails a test. Nothing expected is computed from the policy.
//!
//! Reading choices (also written down in `examples/magnews.rs`):
//! - Row mappings: "Manage contacts" = contact view+edit+delete; "Import new
//!   contacts and edit existing ones" = contact import+edit; "Manage audience" =
//!   audience create+edit+delete; "Create web pages/on-site messages" = web_page
//!   create+edit; "Manage web pages/on-site messages" = web_page
//!   create+edit+delete; "Manage/Create content(s)" = content create+edit; "Proceed
//!   with advanced content management" = content.advanced; "Create/Manage shared
//!   files" = shared_file create+edit+delete; "Manage users" = user
//!   create+edit+delete; "Edit/Manage general settings" = settings.edit; "Manage
//!   security rules (including Blacklist)" = security.manage + blacklist.manage;
//!   "View reports" = report view_database+view_journey+view_communication+
//!   view_web_page; "View report details" and Guest's "View statistical details"
//!   = report.view_details; "See contact statistical details" and "View contact
//!   statistics" = contact.view_statistics; "Send communications" =
//!   communication.send (the Designer prose adds send_test).
//! - Database manager: its table lists "Manage/Create content" and "Manage web
//!   pages/on-site messages" under Can, its prose says it "does not have any
//!   operational permission on communications and content" and "can only manage
//!   aspects concerning the Profile Studio area". We follow the prose: those two
//!   Can rows are expected *false* (see `DEVIATIONS`).
//! - Manager keeps the blacklist (the Database manager, below it, manages it; the
//!   Manager loses only "security aspects" and "account users", read as the
//!   `security` and `user` kinds).
//! - Guest "can view contact information": read as its table's "View contact
//!   statistics" (contact.view_statistics), not contact records, so the Guest stays
//!   below Report access in "descending order of the permissions enabled".
//! - Guest views reports for databases too (second prose sentence), so all four
//!   report areas, but never report details ("View statistical details").
//! - Report access likewise views all four report areas (its table's "View
//!   reports"), although its prose names only journeys, communications and web
//!   pages: it must hold at least what the Guest below it holds.
//! - Editor: the table is silent on journeys beyond "Create new journeys"; it
//!   "can manage functionalities in ... Journey Lab", so it edits (not creates,
//!   not deletes) journeys, sends communications, manages service page flows and
//!   web pages; it may not "modify general settings of communications, layout":
//!   no communication.edit_settings, no template.edit and no advanced content
//!   management (the Designer's layout right). It edits database settings (only
//!   creating databases is denied) but does not delete databases.
//! - Designer: "does not permit sending test and final communications" = no send,
//!   no send_test; "management of templates" and "modification of communication
//!   layouts" = no template.edit, no communication.edit_settings.
//! - Message category reports (the "Message categories" section) are held only by
//!   Administrator and Manager by default; a custom role adds them.
//! - "Editor without send" removes only the final send; test sends stay.

mod common;

use accessmask::{Policy, Rule};
use common::{
    can, can_at, explain_at, has_step, kinds_of, load, needs_of, role_can, role_grant_failures,
    want_kinds, want_needs, At, Grants, Needs, TestResult, N, Y,
};

const SEED: &str = "magnews";
const CAN: &str = "Can";
const CANNOT: &str = "Cannot";

type Pairs = &'static [(&'static str, &'static str)];

/// Every kind and its actions, in document order.
const KINDS: Grants = &[
    ("database", &["view", "create", "edit", "delete"]),
    (
        "contact",
        &["view", "view_statistics", "import", "edit", "delete"],
    ),
    ("audience", &["view", "create", "edit", "delete"]),
    ("service_page", &["view", "edit"]),
    ("journey", &["view", "create", "edit", "delete"]),
    (
        "communication",
        &[
            "view",
            "create",
            "edit",
            "edit_settings",
            "send_test",
            "send",
        ],
    ),
    ("content", &["view", "create", "edit", "advanced"]),
    ("template", &["view", "edit"]),
    ("web_page", &["view", "create", "edit", "delete"]),
    ("shared_file", &["view", "create", "edit", "delete"]),
    (
        "report",
        &[
            "view_database",
            "view_journey",
            "view_communication",
            "view_web_page",
            "view_details",
        ],
    ),
    ("message_category", &["view_reports"]),
    ("blacklist", &["view", "manage"]),
    ("security", &["view", "manage"]),
    ("user", &["view", "create", "edit", "delete"]),
    ("settings", &["view", "edit"]),
];

/// Implications per kind (`action` needs `actions`): every write needs the
/// kind's read; advanced content management needs content editing; editing the
/// general settings of a communication needs editing it.
const NEEDS: Needs = &[
    (
        "database",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("delete", &["view"]),
        ],
    ),
    (
        "contact",
        &[
            ("import", &["view"]),
            ("edit", &["view"]),
            ("delete", &["view"]),
        ],
    ),
    (
        "audience",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("delete", &["view"]),
        ],
    ),
    ("service_page", &[("edit", &["view"])]),
    (
        "journey",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("delete", &["view"]),
        ],
    ),
    (
        "communication",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("edit_settings", &["edit"]),
            ("send_test", &["view"]),
            ("send", &["view"]),
        ],
    ),
    (
        "content",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("advanced", &["edit"]),
        ],
    ),
    ("template", &[("edit", &["view"])]),
    (
        "web_page",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("delete", &["view"]),
        ],
    ),
    (
        "shared_file",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("delete", &["view"]),
        ],
    ),
    ("report", &[]),
    ("message_category", &[]),
    ("blacklist", &[("manage", &["view"])]),
    ("security", &[("manage", &["view"])]),
    (
        "user",
        &[
            ("create", &["view"]),
            ("edit", &["view"]),
            ("delete", &["view"]),
        ],
    ),
    ("settings", &[("edit", &["view"])]),
];

const ALL_REPORTS: &[&str] = &[
    "view_database",
    "view_journey",
    "view_communication",
    "view_web_page",
    "view_details",
];
const REPORTS: &[&str] = &[
    "view_database",
    "view_journey",
    "view_communication",
    "view_web_page",
];

const MANAGER: Grants = &[
    ("database", &["view", "create", "edit", "delete"]),
    (
        "contact",
        &["view", "view_statistics", "import", "edit", "delete"],
    ),
    ("audience", &["view", "create", "edit", "delete"]),
    ("service_page", &["view", "edit"]),
    ("journey", &["view", "create", "edit", "delete"]),
    (
        "communication",
        &[
            "view",
            "create",
            "edit",
            "edit_settings",
            "send_test",
            "send",
        ],
    ),
    ("content", &["view", "create", "edit", "advanced"]),
    ("template", &["view", "edit"]),
    ("web_page", &["view", "create", "edit", "delete"]),
    ("shared_file", &["view", "create", "edit", "delete"]),
    ("report", ALL_REPORTS),
    ("message_category", &["view_reports"]),
    ("blacklist", &["view", "manage"]),
    ("settings", &["view", "edit"]),
];

const EDITOR: Grants = &[
    ("database", &["view", "edit"]),
    (
        "contact",
        &["view", "view_statistics", "import", "edit", "delete"],
    ),
    ("audience", &["view", "create", "edit", "delete"]),
    ("service_page", &["view", "edit"]),
    ("journey", &["view", "edit"]),
    (
        "communication",
        &["view", "create", "edit", "send_test", "send"],
    ),
    ("content", &["view", "create", "edit"]),
    ("template", &["view"]),
    ("web_page", &["view", "create", "edit", "delete"]),
    ("shared_file", &["view"]),
    ("report", REPORTS),
    ("settings", &["view"]),
];

const DESIGNER: Grants = &[
    ("database", &["view"]),
    ("contact", &["view", "view_statistics"]),
    ("audience", &["view"]),
    ("service_page", &["view", "edit"]),
    ("journey", &["view", "edit"]),
    ("communication", &["view", "create", "edit"]),
    ("content", &["view", "create", "edit", "advanced"]),
    ("template", &["view"]),
    ("web_page", &["view", "create", "edit", "delete"]),
    ("shared_file", &["view", "create", "edit", "delete"]),
    ("report", REPORTS),
    ("settings", &["view"]),
];

const DATABASE_MANAGER: Grants = &[
    ("database", &["view", "create", "edit", "delete"]),
    (
        "contact",
        &["view", "view_statistics", "import", "edit", "delete"],
    ),
    ("audience", &["view", "create", "edit", "delete"]),
    ("service_page", &["view", "edit"]),
    ("report", ALL_REPORTS),
    ("blacklist", &["view", "manage"]),
    ("settings", &["view"]),
];

const REPORT_ACCESS: Grants = &[("contact", &["view_statistics"]), ("report", ALL_REPORTS)];

const GUEST: Grants = &[("contact", &["view_statistics"]), ("report", REPORTS)];

/// Editor, minus the final send.
const EDITOR_WITHOUT_SEND: Grants = &[
    ("database", &["view", "edit"]),
    (
        "contact",
        &["view", "view_statistics", "import", "edit", "delete"],
    ),
    ("audience", &["view", "create", "edit", "delete"]),
    ("service_page", &["view", "edit"]),
    ("journey", &["view", "edit"]),
    ("communication", &["view", "create", "edit", "send_test"]),
    ("content", &["view", "create", "edit"]),
    ("template", &["view"]),
    ("web_page", &["view", "create", "edit", "delete"]),
    ("shared_file", &["view"]),
    ("report", REPORTS),
    ("settings", &["view"]),
];

/// Editor, plus (General) shared files, (Journey) creating and deleting journeys,
/// (Message categories) their reports; minus (Database) contact import/delete
/// and audience management.
const JOURNEY_EDITOR: Grants = &[
    ("database", &["view", "edit"]),
    ("contact", &["view", "view_statistics", "edit"]),
    ("audience", &["view"]),
    ("service_page", &["view", "edit"]),
    ("journey", &["view", "create", "edit", "delete"]),
    (
        "communication",
        &["view", "create", "edit", "send_test", "send"],
    ),
    ("content", &["view", "create", "edit"]),
    ("template", &["view"]),
    ("web_page", &["view", "create", "edit", "delete"]),
    ("shared_file", &["view", "create", "edit", "delete"]),
    ("report", REPORTS),
    ("message_category", &["view_reports"]),
    ("settings", &["view"]),
];

/// Database manager restricted to some audiences: kind-wide (no audience id)
/// the restricted actions `edit` and `delete` do not hold.
const AUDIENCE_KEEPER: Grants = &[
    ("database", &["view", "create", "edit", "delete"]),
    (
        "contact",
        &["view", "view_statistics", "import", "edit", "delete"],
    ),
    ("audience", &["view", "create"]),
    ("service_page", &["view", "edit"]),
    ("report", ALL_REPORTS),
    ("blacklist", &["view", "manage"]),
    ("settings", &["view"]),
];

/// The exact kind-wide set of every role; anything not listed is denied.
const ROLE_GRANTS: &[(&str, Grants)] = &[
    ("Administrator", KINDS),
    ("Manager", MANAGER),
    ("Editor", EDITOR),
    ("Designer", DESIGNER),
    ("Database manager", DATABASE_MANAGER),
    ("Report access", REPORT_ACCESS),
    ("Guest", GUEST),
    ("Editor without send", EDITOR_WITHOUT_SEND),
    ("Journey Editor", JOURNEY_EDITOR),
    ("Audience keeper", AUDIENCE_KEEPER),
];

/// Every row of the five seed tables: (role, column, row text, pairs, expected).
/// A Can row expects every pair allowed, a Cannot row every pair denied, except
/// the rows listed in `DEVIATIONS`.
const TABLE_ROWS: &[(&str, &str, &str, Pairs, bool)] = &[
    // Editor
    (
        "Editor",
        CAN,
        "Import new contacts and edit existing ones",
        &[("contact", "import"), ("contact", "edit")],
        Y,
    ),
    (
        "Editor",
        CANNOT,
        "Create new databases",
        &[("database", "create")],
        N,
    ),
    (
        "Editor",
        CAN,
        "Manage contacts",
        &[
            ("contact", "view"),
            ("contact", "edit"),
            ("contact", "delete"),
        ],
        Y,
    ),
    (
        "Editor",
        CANNOT,
        "Manage security rules (including Blacklist)",
        &[("security", "manage"), ("blacklist", "manage")],
        N,
    ),
    (
        "Editor",
        CAN,
        "Create and edit communications",
        &[("communication", "create"), ("communication", "edit")],
        Y,
    ),
    (
        "Editor",
        CANNOT,
        "Create new journeys",
        &[("journey", "create")],
        N,
    ),
    (
        "Editor",
        CAN,
        "Manage/Create contents",
        &[("content", "create"), ("content", "edit")],
        Y,
    ),
    (
        "Editor",
        CANNOT,
        "Create/Manage shared files",
        &[
            ("shared_file", "create"),
            ("shared_file", "edit"),
            ("shared_file", "delete"),
        ],
        N,
    ),
    (
        "Editor",
        CAN,
        "Create web pages/on-site messages",
        &[("web_page", "create"), ("web_page", "edit")],
        Y,
    ),
    (
        "Editor",
        CANNOT,
        "View report details",
        &[("report", "view_details")],
        N,
    ),
    ("Editor", CAN, "View reports", REPORT_PAIRS, Y),
    (
        "Editor",
        CANNOT,
        "Manage users",
        &[("user", "create"), ("user", "edit"), ("user", "delete")],
        N,
    ),
    (
        "Editor",
        CANNOT,
        "Edit general settings",
        &[("settings", "edit")],
        N,
    ),
    // Designer
    ("Designer", CAN, "View contacts", &[("contact", "view")], Y),
    (
        "Designer",
        CANNOT,
        "Create new databases",
        &[("database", "create")],
        N,
    ),
    (
        "Designer",
        CAN,
        "Manage service page flows",
        &[("service_page", "edit")],
        Y,
    ),
    (
        "Designer",
        CANNOT,
        "Manage security rules (including Blacklist)",
        &[("security", "manage"), ("blacklist", "manage")],
        N,
    ),
    (
        "Designer",
        CAN,
        "Edit existing journeys",
        &[("journey", "edit")],
        Y,
    ),
    (
        "Designer",
        CANNOT,
        "Create new journeys",
        &[("journey", "create")],
        N,
    ),
    (
        "Designer",
        CAN,
        "Manage/Create content",
        &[("content", "create"), ("content", "edit")],
        Y,
    ),
    (
        "Designer",
        CANNOT,
        "Send communications",
        &[("communication", "send")],
        N,
    ),
    (
        "Designer",
        CAN,
        "Create and edit communications",
        &[("communication", "create"), ("communication", "edit")],
        Y,
    ),
    (
        "Designer",
        CANNOT,
        "Manage audience and edit contacts",
        &[
            ("audience", "create"),
            ("audience", "edit"),
            ("audience", "delete"),
            ("contact", "edit"),
        ],
        N,
    ),
    (
        "Designer",
        CAN,
        "Create web pages/on-site messages",
        &[("web_page", "create"), ("web_page", "edit")],
        Y,
    ),
    (
        "Designer",
        CANNOT,
        "View report details",
        &[("report", "view_details")],
        N,
    ),
    ("Designer", CAN, "View reports", REPORT_PAIRS, Y),
    (
        "Designer",
        CANNOT,
        "Manage users",
        &[("user", "create"), ("user", "edit"), ("user", "delete")],
        N,
    ),
    (
        "Designer",
        CAN,
        "Proceed with advanced content management",
        &[("content", "advanced")],
        Y,
    ),
    (
        "Designer",
        CANNOT,
        "Edit general settings",
        &[("settings", "edit")],
        N,
    ),
    (
        "Designer",
        CAN,
        "Create/Manage shared files",
        &[
            ("shared_file", "create"),
            ("shared_file", "edit"),
            ("shared_file", "delete"),
        ],
        Y,
    ),
    // Database manager
    (
        "Database manager",
        CAN,
        "Create new databases",
        &[("database", "create")],
        Y,
    ),
    (
        "Database manager",
        CANNOT,
        "Manage security rules",
        &[("security", "manage")],
        N,
    ),
    (
        "Database manager",
        CAN,
        "View contacts",
        &[("contact", "view")],
        Y,
    ),
    (
        "Database manager",
        CANNOT,
        "Create new journeys",
        &[("journey", "create")],
        N,
    ),
    // Table says Can, prose denies: see DEVIATIONS.
    (
        "Database manager",
        CAN,
        "Manage/Create content",
        &[("content", "create"), ("content", "edit")],
        N,
    ),
    (
        "Database manager",
        CANNOT,
        "Edit/Send communications",
        &[("communication", "edit"), ("communication", "send")],
        N,
    ),
    // Table says Can, prose denies: see DEVIATIONS.
    (
        "Database manager",
        CAN,
        "Manage web pages/on-site messages",
        &[
            ("web_page", "create"),
            ("web_page", "edit"),
            ("web_page", "delete"),
        ],
        N,
    ),
    (
        "Database manager",
        CANNOT,
        "Proceed with advanced content management",
        &[("content", "advanced")],
        N,
    ),
    ("Database manager", CAN, "View reports", REPORT_PAIRS, Y),
    (
        "Database manager",
        CANNOT,
        "Manage users",
        &[("user", "create"), ("user", "edit"), ("user", "delete")],
        N,
    ),
    (
        "Database manager",
        CAN,
        "View report details",
        &[("report", "view_details")],
        Y,
    ),
    (
        "Database manager",
        CANNOT,
        "Edit general settings",
        &[("settings", "edit")],
        N,
    ),
    (
        "Database manager",
        CAN,
        "Manage the blacklist",
        &[("blacklist", "manage")],
        Y,
    ),
    // Report access
    ("Report access", CAN, "View reports", REPORT_PAIRS, Y),
    (
        "Report access",
        CANNOT,
        "Manage security rules (including Blacklist)",
        &[("security", "manage"), ("blacklist", "manage")],
        N,
    ),
    (
        "Report access",
        CAN,
        "See contact statistical details",
        &[("contact", "view_statistics")],
        Y,
    ),
    (
        "Report access",
        CANNOT,
        "Create new journeys",
        &[("journey", "create")],
        N,
    ),
    (
        "Report access",
        CAN,
        "View journey reports",
        &[("report", "view_journey")],
        Y,
    ),
    (
        "Report access",
        CANNOT,
        "Create/Edit/Send communications",
        &[
            ("communication", "create"),
            ("communication", "edit"),
            ("communication", "send"),
        ],
        N,
    ),
    (
        "Report access",
        CAN,
        "View report details",
        &[("report", "view_details")],
        Y,
    ),
    (
        "Report access",
        CANNOT,
        "Create web pages/on-site messages",
        &[("web_page", "create"), ("web_page", "edit")],
        N,
    ),
    (
        "Report access",
        CANNOT,
        "Create/Manage shared files",
        &[
            ("shared_file", "create"),
            ("shared_file", "edit"),
            ("shared_file", "delete"),
        ],
        N,
    ),
    (
        "Report access",
        CANNOT,
        "Manage users",
        &[("user", "create"), ("user", "edit"), ("user", "delete")],
        N,
    ),
    (
        "Report access",
        CANNOT,
        "Manage general settings",
        &[("settings", "edit")],
        N,
    ),
    (
        "Report access",
        CANNOT,
        "Create new databases",
        &[("database", "create")],
        N,
    ),
    // Guest
    (
        "Guest",
        CAN,
        "View communication reports",
        &[("report", "view_communication")],
        Y,
    ),
    (
        "Guest",
        CANNOT,
        "View statistical details",
        &[("report", "view_details")],
        N,
    ),
    (
        "Guest",
        CAN,
        "View contact statistics",
        &[("contact", "view_statistics")],
        Y,
    ),
    (
        "Guest",
        CANNOT,
        "Manage security rules (including Blacklist)",
        &[("security", "manage"), ("blacklist", "manage")],
        N,
    ),
    (
        "Guest",
        CAN,
        "View web page reports",
        &[("report", "view_web_page")],
        Y,
    ),
    (
        "Guest",
        CANNOT,
        "Create new journeys",
        &[("journey", "create")],
        N,
    ),
    (
        "Guest",
        CANNOT,
        "Create/Edit/Send communications",
        &[
            ("communication", "create"),
            ("communication", "edit"),
            ("communication", "send"),
        ],
        N,
    ),
    (
        "Guest",
        CANNOT,
        "Create web pages/on-site messages",
        &[("web_page", "create"), ("web_page", "edit")],
        N,
    ),
    (
        "Guest",
        CANNOT,
        "Create/Manage shared files",
        &[
            ("shared_file", "create"),
            ("shared_file", "edit"),
            ("shared_file", "delete"),
        ],
        N,
    ),
    (
        "Guest",
        CANNOT,
        "Manage users",
        &[("user", "create"), ("user", "edit"), ("user", "delete")],
        N,
    ),
    (
        "Guest",
        CANNOT,
        "Manage general settings",
        &[("settings", "edit")],
        N,
    ),
    (
        "Guest",
        CANNOT,
        "Create new databases",
        &[("database", "create")],
        N,
    ),
];

const REPORT_PAIRS: Pairs = &[
    ("report", "view_database"),
    ("report", "view_journey"),
    ("report", "view_communication"),
    ("report", "view_web_page"),
];

/// Rows whose expectation differs from their column: the Database manager's
/// table contradicts its prose ("does not have any operational permission on
/// communications and content"; "can only manage aspects concerning the Profile
/// Studio area"), and we follow the prose.
const DEVIATIONS: &[(&str, &str)] = &[
    ("Database manager", "Manage/Create content"),
    ("Database manager", "Manage web pages/on-site messages"),
];

/// (role, Can rows, Cannot rows) as counted in the seed's flattened tables.
const ROW_COUNTS: &[(&str, usize, usize)] = &[
    ("Editor", 6, 7),
    ("Designer", 9, 8),
    ("Database manager", 7, 6),
    ("Report access", 4, 8),
    ("Guest", 3, 9),
];

/// The prose around the tables, and Administrator / Manager which have no table.
const PROSE_ROWS: &[(&str, &str, Pairs, bool)] = &[
    (
        "Administrator",
        "has permission to perform any operation (incl. security and users)",
        &[
            ("security", "manage"),
            ("user", "create"),
            ("user", "delete"),
            ("settings", "edit"),
            ("database", "create"),
            ("journey", "create"),
            ("communication", "send"),
            ("message_category", "view_reports"),
        ],
        Y,
    ),
    (
        "Manager",
        "operates within Profile Studio, Journey Lab, Insight and Settings",
        &[
            ("database", "create"),
            ("audience", "edit"),
            ("journey", "create"),
            ("communication", "send"),
            ("communication", "edit_settings"),
            ("content", "advanced"),
            ("template", "edit"),
            ("report", "view_details"),
            ("message_category", "view_reports"),
            ("settings", "edit"),
            ("blacklist", "manage"),
        ],
        Y,
    ),
    (
        "Manager",
        "cannot manage security aspects",
        &[("security", "view"), ("security", "manage")],
        N,
    ),
    (
        "Manager",
        "cannot create new users, modify or delete existing ones",
        &[
            ("user", "view"),
            ("user", "create"),
            ("user", "edit"),
            ("user", "delete"),
        ],
        N,
    ),
    (
        "Editor",
        "cannot modify general settings of communications, layout",
        &[
            ("communication", "edit_settings"),
            ("template", "edit"),
            ("content", "advanced"),
        ],
        N,
    ),
    (
        "Editor",
        "manages Profile Studio, Journey Lab and Insight",
        &[
            ("journey", "edit"),
            ("communication", "send"),
            ("service_page", "edit"),
            ("audience", "edit"),
            ("database", "edit"),
        ],
        Y,
    ),
    (
        "Designer",
        "not allowed to modify database settings, contact information, audiences",
        &[
            ("database", "edit"),
            ("contact", "edit"),
            ("contact", "import"),
            ("audience", "edit"),
        ],
        N,
    ),
    (
        "Designer",
        "no management of templates or modification of communication layouts",
        &[("template", "edit"), ("communication", "edit_settings")],
        N,
    ),
    (
        "Designer",
        "does not permit sending test and final communications",
        &[("communication", "send_test"), ("communication", "send")],
        N,
    ),
    (
        "Database manager",
        "can perform any operation on databases",
        &[
            ("database", "create"),
            ("database", "edit"),
            ("database", "delete"),
            ("contact", "import"),
            ("contact", "edit"),
            ("contact", "delete"),
            ("audience", "create"),
            ("audience", "edit"),
            ("audience", "delete"),
        ],
        Y,
    ),
    (
        "Database manager",
        "no operational permission on communications and content",
        &[
            ("communication", "view"),
            ("communication", "create"),
            ("communication", "send_test"),
            ("content", "view"),
            ("template", "view"),
            ("journey", "view"),
        ],
        N,
    ),
    (
        "Report access",
        "can only view statistical reports and their details",
        &[
            ("contact", "view"),
            ("database", "view"),
            ("journey", "view"),
            ("settings", "view"),
        ],
        N,
    ),
    (
        "Guest",
        "view statistical reports for databases, journeys, communications, web pages",
        &[
            ("report", "view_database"),
            ("report", "view_journey"),
            ("report", "view_communication"),
            ("report", "view_web_page"),
        ],
        Y,
    ),
    (
        "Guest",
        "contact information read as contact statistics, not records",
        &[("contact", "view"), ("contact", "edit")],
        N,
    ),
];

/// Exceptions and restrictions: (subject, kind, instance id, action, expected, why).
/// (subject, kind, instance id, action, expected, why).
type InstanceCase = (
    &'static str,
    &'static str,
    Option<u64>,
    &'static str,
    bool,
    &'static str,
);

const INSTANCE_CASES: &[InstanceCase] = &[
    // "Editor without send": role-level exceptions on databases 42, 43 and
    // journeys 5, 6.
    (
        "nora",
        "communication",
        None,
        "send",
        N,
        "role removes send",
    ),
    (
        "nora",
        "communication",
        None,
        "send_test",
        Y,
        "test sends stay",
    ),
    (
        "nora",
        "communication",
        None,
        "edit",
        Y,
        "rest of Editor stays",
    ),
    (
        "nora",
        "database",
        Some(42),
        "edit",
        N,
        "role exception denies edit on db 42",
    ),
    (
        "nora",
        "database",
        Some(42),
        "view",
        Y,
        "deny edit keeps view",
    ),
    (
        "nora",
        "database",
        Some(44),
        "edit",
        Y,
        "other databases unchanged",
    ),
    (
        "nora",
        "database",
        Some(43),
        "delete",
        Y,
        "role exception allows delete on db 43",
    ),
    (
        "nora",
        "database",
        Some(44),
        "delete",
        N,
        "Editor does not delete databases",
    ),
    ("nora", "database", None, "delete", N, "kind-wide unchanged"),
    (
        "nora",
        "journey",
        Some(5),
        "edit",
        N,
        "role exception denies edit on journey 5",
    ),
    (
        "nora",
        "journey",
        Some(5),
        "view",
        Y,
        "deny edit keeps view",
    ),
    (
        "nora",
        "journey",
        Some(7),
        "edit",
        Y,
        "other journeys unchanged",
    ),
    (
        "nora",
        "journey",
        Some(6),
        "delete",
        Y,
        "role exception allows delete on journey 6",
    ),
    (
        "nora",
        "journey",
        Some(7),
        "delete",
        N,
        "Editor does not delete journeys",
    ),
    // otto: same role, plus his own exception on journey 5 (the subject's wins).
    (
        "otto",
        "journey",
        Some(5),
        "edit",
        Y,
        "subject exception beats role's deny",
    ),
    (
        "otto",
        "database",
        Some(42),
        "edit",
        N,
        "role exception still applies",
    ),
    (
        "otto",
        "journey",
        Some(6),
        "delete",
        Y,
        "role exception still applies",
    ),
    // A plain Editor has none of these exceptions.
    (
        "eddie",
        "database",
        Some(42),
        "edit",
        Y,
        "no exception on Editor",
    ),
    (
        "eddie",
        "database",
        Some(43),
        "delete",
        N,
        "no exception on Editor",
    ),
    (
        "eddie",
        "journey",
        Some(5),
        "edit",
        Y,
        "no exception on Editor",
    ),
    ("eddie", "communication", None, "send", Y, "Editor sends"),
    // "Restrict access to some audiences": Audience keeper modifies 101, 102 only.
    ("aldo", "audience", Some(101), "edit", Y, "listed audience"),
    (
        "aldo",
        "audience",
        Some(102),
        "delete",
        Y,
        "listed audience",
    ),
    (
        "aldo",
        "audience",
        Some(103),
        "edit",
        N,
        "unlisted audience",
    ),
    (
        "aldo",
        "audience",
        Some(103),
        "delete",
        N,
        "unlisted audience",
    ),
    (
        "aldo",
        "audience",
        Some(103),
        "view",
        Y,
        "view is not restricted",
    ),
    ("aldo", "audience", None, "edit", N, "kind-wide: restricted"),
    (
        "aldo",
        "audience",
        None,
        "create",
        Y,
        "create is not restricted",
    ),
    (
        "aldo",
        "database",
        Some(42),
        "edit",
        Y,
        "databases are not restricted",
    ),
    (
        "dora",
        "audience",
        Some(103),
        "edit",
        Y,
        "plain Database manager",
    ),
    // "limit operations to certain databases": lena's own restriction.
    ("lena", "database", Some(42), "edit", Y, "listed database"),
    ("lena", "database", Some(42), "delete", Y, "listed database"),
    ("lena", "database", Some(7), "edit", N, "unlisted database"),
    (
        "lena",
        "database",
        Some(7),
        "delete",
        N,
        "unlisted database",
    ),
    (
        "lena",
        "database",
        Some(7),
        "view",
        Y,
        "view is not restricted",
    ),
    (
        "lena",
        "database",
        None,
        "create",
        Y,
        "create is not restricted",
    ),
    (
        "lena",
        "audience",
        Some(7),
        "edit",
        Y,
        "audiences are not restricted",
    ),
    (
        "lena",
        "journey",
        None,
        "view",
        N,
        "Database manager: Profile Studio only",
    ),
    (
        "lena",
        "settings",
        None,
        "edit",
        N,
        "Database manager: no general settings",
    ),
    (
        "aldo",
        "journey",
        None,
        "view",
        N,
        "Database manager: Profile Studio only",
    ),
];

/// Which subject holds which role with nothing else kind-wide (used to check
/// that a plain holder's kind-wide answers equal `role_can`; otto's own
/// exception is per instance, so kind-wide he is a plain holder too). lena, the
/// one subject with a kind-wide restriction of her own, is covered by
/// `INSTANCE_CASES`; so is dina, whose restriction written in a database holds
/// kind-wide too. edna's exceptions are on database 44 and in it, so kind-wide
/// she is a plain Editor.
const PLAIN_HOLDERS: &[(&str, &str)] = &[
    ("alma", "Administrator"),
    ("mark", "Manager"),
    ("eddie", "Editor"),
    ("desi", "Designer"),
    ("dora", "Database manager"),
    ("rita", "Report access"),
    ("gus", "Guest"),
    ("nora", "Editor without send"),
    ("otto", "Editor without send"),
    ("jill", "Journey Editor"),
    ("aldo", "Audience keeper"),
    ("edna", "Editor"),
];

#[test]
fn kinds_and_actions_are_exactly_these() -> TestResult {
    let (def, _) = load(SEED)?;
    assert_eq!(kinds_of(&def), want_kinds(KINDS));
    assert_eq!(needs_of(&def), want_needs(NEEDS));
    let roles: Vec<&str> = def.roles.iter().map(|(r, _)| r).collect();
    let want_roles: Vec<&str> = ROLE_GRANTS.iter().map(|(r, _)| *r).collect();
    assert_eq!(roles, want_roles);
    Ok(())
}

#[test]
fn every_role_holds_exactly_its_grants() -> TestResult {
    let (_, policy) = load(SEED)?;
    for (role, grants) in ROLE_GRANTS {
        for (kind, _) in *grants {
            assert!(
                KINDS.iter().any(|(k, _)| k == kind),
                "{role}: unknown kind {kind} in expected grants"
            );
        }
    }
    let failures = role_grant_failures(&policy, ROLE_GRANTS, KINDS)?;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn every_can_and_cannot_row_of_every_table() -> TestResult {
    let (_, policy) = load(SEED)?;
    let mut failures = Vec::new();
    for (role, column, text, pairs, expected) in TABLE_ROWS {
        assert!(!pairs.is_empty(), "{role}: row '{text}' maps to nothing");
        let deviates = DEVIATIONS.iter().any(|(r, t)| r == role && t == text);
        assert_eq!(
            *expected,
            (*column == CAN) != deviates,
            "{role} '{text}': expectation must follow its column unless listed in DEVIATIONS"
        );
        for (kind, action) in *pairs {
            let got = role_can(&policy, role, kind, action)?;
            if got != *expected {
                failures.push(format!(
                    "{role} [{column}] '{text}' -> {kind}.{action}: expected {expected}, got {got}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn rows_are_all_there() {
    for (role, cans, cannots) in ROW_COUNTS {
        let c = TABLE_ROWS
            .iter()
            .filter(|(r, col, ..)| r == role && *col == CAN)
            .count();
        let x = TABLE_ROWS
            .iter()
            .filter(|(r, col, ..)| r == role && *col == CANNOT)
            .count();
        assert_eq!((c, x), (*cans, *cannots), "{role}: (Can, Cannot) rows");
    }
    assert_eq!(
        TABLE_ROWS.len(),
        ROW_COUNTS.iter().map(|(_, c, x)| c + x).sum::<usize>()
    );
}

#[test]
fn prose_of_every_role() -> TestResult {
    let (_, policy) = load(SEED)?;
    let mut failures = Vec::new();
    for (role, text, pairs, expected) in PROSE_ROWS {
        for (kind, action) in *pairs {
            let got = role_can(&policy, role, kind, action)?;
            if got != *expected {
                failures.push(format!(
                    "{role} '{text}' -> {kind}.{action}: expected {expected}, got {got}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn roles_in_descending_order_of_permissions() -> TestResult {
    // "seven default roles, listed below in descending order of the permissions
    // enabled": each default role's set contains the next one's, except where a
    // table says otherwise (Editor cannot manage shared files or do advanced
    // content management, both of which the Designer can; the Designer's and
    // Database manager's areas are disjoint).
    let chain = [
        ("Administrator", "Manager"),
        ("Manager", "Editor"),
        ("Manager", "Designer"),
        ("Manager", "Database manager"),
        ("Database manager", "Report access"),
        ("Report access", "Guest"),
    ];
    let (_, policy) = load(SEED)?;
    for (upper, lower) in chain {
        for (kind, actions) in KINDS {
            for action in *actions {
                if role_can(&policy, lower, kind, action)? {
                    assert!(
                        role_can(&policy, upper, kind, action)?,
                        "{lower} has {kind}.{action} but {upper} does not"
                    );
                }
            }
        }
    }
    Ok(())
}

#[test]
fn custom_roles_exceptions_and_restrictions() -> TestResult {
    let (_, policy) = load(SEED)?;
    let mut failures = Vec::new();
    for (subject, kind, id, action, expected, why) in INSTANCE_CASES {
        let got = can_at(
            &policy,
            subject,
            kind,
            action,
            At {
                id: *id,
                ..At::default()
            },
        )?;
        if got != *expected {
            failures.push(format!(
                "{subject} {kind}#{id:?}.{action}: expected {expected}, got {got} ({why})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn plain_holders_answer_like_role_can() -> TestResult {
    let (_, policy) = load(SEED)?;
    for (subject, role) in PLAIN_HOLDERS {
        for (kind, actions) in KINDS {
            for action in *actions {
                assert_eq!(
                    can(&policy, subject, kind, action)?,
                    role_can(&policy, role, kind, action)?,
                    "{subject} ({role}) {kind}.{action}"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn explanations_name_the_exception() -> TestResult {
    let (_, policy) = load(SEED)?;
    let e = explain_at(&policy, "nora", "database", "edit", At::id(42))?;
    assert!(!e.allowed());
    assert!(e.to_string().contains("42"), "{e}");
    assert!(has_step(&e, Rule::Exception, true), "{e}");
    // otto's own exception re-allows what his role's exception denies.
    let e = explain_at(&policy, "otto", "journey", "edit", At::id(5))?;
    assert!(e.allowed());
    let exceptions = e
        .steps()
        .iter()
        .filter(|s| s.rule() == Rule::Exception)
        .count();
    assert_eq!(exceptions, 2, "role's then subject's exception:\n{e}");
    // The audience restriction.
    let e = explain_at(&policy, "aldo", "audience", "edit", At::id(103))?;
    assert!(!e.allowed());
    assert!(has_step(&e, Rule::Restriction, true), "{e}");
    Ok(())
}

/// Databases contain contacts and audiences: (subject, kind, instance id, the
/// database it is in, action, expected, why). `None` as the database: the check
/// does not say which database the contact or audience is in.
type ContainedCase = (
    &'static str,
    &'static str,
    Option<u64>,
    Option<u64>,
    &'static str,
    bool,
    &'static str,
);

const CONTAINED_CASES: &[ContainedCase] = &[
    // "Editor without send": database 42's settings, including its audiences'.
    (
        "nora",
        "audience",
        Some(101),
        Some(42),
        "edit",
        N,
        "role exception in database 42",
    ),
    (
        "nora",
        "audience",
        Some(101),
        Some(42),
        "delete",
        N,
        "role exception in database 42",
    ),
    (
        "nora",
        "audience",
        None,
        Some(42),
        "create",
        N,
        "role exception in database 42",
    ),
    (
        "nora",
        "audience",
        Some(101),
        Some(42),
        "view",
        Y,
        "deny edit keeps view",
    ),
    (
        "nora",
        "audience",
        Some(101),
        Some(7),
        "edit",
        Y,
        "other databases unchanged",
    ),
    (
        "nora",
        "audience",
        Some(101),
        None,
        "edit",
        Y,
        "database not given: as before",
    ),
    (
        "nora",
        "audience",
        Some(42),
        None,
        "edit",
        Y,
        "audience 42 is not database 42",
    ),
    (
        "nora",
        "contact",
        Some(5),
        Some(42),
        "edit",
        Y,
        "contacts in database 42 unchanged",
    ),
    (
        "nora",
        "database",
        Some(42),
        None,
        "view",
        Y,
        "the database itself: view kept",
    ),
    // otto's own rule in database 42 beats his role's, for edit only.
    (
        "otto",
        "audience",
        Some(101),
        Some(42),
        "edit",
        Y,
        "subject rule in database 42 re-allows edit",
    ),
    (
        "otto",
        "audience",
        Some(101),
        Some(42),
        "delete",
        N,
        "role's deny stays",
    ),
    (
        "otto",
        "audience",
        None,
        Some(42),
        "create",
        N,
        "role's deny stays",
    ),
    (
        "otto",
        "audience",
        Some(101),
        None,
        "edit",
        Y,
        "database not given: as before",
    ),
    // A plain Editor has none of these.
    (
        "eddie",
        "audience",
        Some(101),
        Some(42),
        "edit",
        Y,
        "no exception on Editor",
    ),
    (
        "eddie",
        "contact",
        Some(9),
        Some(44),
        "edit",
        Y,
        "no exception on Editor",
    ),
    // edna: no contact management, settings or audiences in database 44.
    (
        "edna",
        "contact",
        Some(9),
        Some(44),
        "edit",
        N,
        "subject exception in database 44",
    ),
    (
        "edna",
        "contact",
        Some(9),
        Some(44),
        "view",
        N,
        "no contact management there",
    ),
    (
        "edna",
        "contact",
        None,
        Some(44),
        "import",
        N,
        "no import into database 44",
    ),
    (
        "edna",
        "contact",
        Some(9),
        Some(44),
        "view_statistics",
        Y,
        "contact statistics are reports",
    ),
    (
        "edna",
        "contact",
        Some(9),
        Some(7),
        "edit",
        Y,
        "other databases unchanged",
    ),
    (
        "edna",
        "contact",
        Some(9),
        None,
        "edit",
        Y,
        "database not given: as before",
    ),
    (
        "edna",
        "contact",
        Some(44),
        None,
        "edit",
        Y,
        "contact 44 is not database 44",
    ),
    (
        "edna",
        "audience",
        Some(3),
        Some(44),
        "edit",
        N,
        "subject exception in database 44",
    ),
    (
        "edna",
        "audience",
        Some(3),
        Some(44),
        "view",
        Y,
        "deny edit keeps view",
    ),
    (
        "edna",
        "audience",
        Some(3),
        Some(42),
        "edit",
        Y,
        "other databases unchanged",
    ),
    (
        "edna",
        "database",
        Some(44),
        None,
        "edit",
        N,
        "her exception on database 44",
    ),
    (
        "edna",
        "database",
        Some(44),
        None,
        "view",
        Y,
        "deny edit keeps view",
    ),
    (
        "edna",
        "database",
        Some(7),
        None,
        "edit",
        Y,
        "Editor edits database settings",
    ),
    // dina: configures audiences only in database 7.
    (
        "dina",
        "audience",
        Some(3),
        Some(7),
        "edit",
        Y,
        "in database 7",
    ),
    (
        "dina",
        "audience",
        None,
        Some(7),
        "create",
        Y,
        "in database 7",
    ),
    (
        "dina",
        "audience",
        Some(3),
        Some(7),
        "delete",
        Y,
        "in database 7",
    ),
    (
        "dina",
        "audience",
        Some(3),
        Some(8),
        "edit",
        N,
        "not in database 7",
    ),
    (
        "dina",
        "audience",
        None,
        Some(8),
        "create",
        N,
        "not in database 7",
    ),
    (
        "dina",
        "audience",
        Some(3),
        None,
        "edit",
        N,
        "database not given: restricted",
    ),
    (
        "dina",
        "audience",
        Some(7),
        None,
        "edit",
        N,
        "audience 7 is not database 7",
    ),
    (
        "dina",
        "audience",
        None,
        None,
        "create",
        N,
        "kind-wide: restricted",
    ),
    (
        "dina",
        "audience",
        Some(3),
        Some(8),
        "view",
        Y,
        "view is not restricted",
    ),
    (
        "dina",
        "contact",
        Some(3),
        Some(8),
        "edit",
        Y,
        "contacts are not restricted",
    ),
    (
        "dina",
        "database",
        Some(8),
        None,
        "edit",
        Y,
        "databases are not restricted",
    ),
    // Rules on ids are unchanged by saying which database an instance is in.
    (
        "aldo",
        "audience",
        Some(101),
        Some(42),
        "edit",
        Y,
        "listed audience, in any database",
    ),
    (
        "aldo",
        "audience",
        Some(103),
        Some(42),
        "edit",
        N,
        "unlisted audience, in any database",
    ),
    (
        "lena",
        "contact",
        Some(5),
        Some(7),
        "edit",
        Y,
        "her restriction is on databases, not their contacts",
    ),
    (
        "lena",
        "audience",
        Some(7),
        Some(7),
        "edit",
        Y,
        "audiences are not restricted",
    ),
    (
        "alma",
        "contact",
        Some(5),
        Some(42),
        "delete",
        Y,
        "Administrator",
    ),
];

/// `can` on `kind` instance `id`, inside `database` when given.
fn can_in(
    policy: &Policy,
    subject: &str,
    kind: &str,
    id: Option<u64>,
    database: Option<u64>,
    action: &str,
) -> Result<bool, Box<dyn std::error::Error>> {
    let s = policy.subject(subject).ok_or(subject)?;
    let a = policy.action(kind, action).ok_or(action)?;
    let db = policy.kind("database").ok_or("database")?;
    let mut r = policy.resource(a.kind());
    if let Some(id) = id {
        r = r.with_id(id);
    }
    if let Some(d) = database {
        r = r.within(db.instance(d));
    }
    Ok(policy.can(s, a, &r))
}

#[test]
fn contacts_and_audiences_are_in_databases() -> TestResult {
    let (def, _) = load(SEED)?;
    let parents: Vec<(&str, Option<&str>)> = def
        .kinds
        .iter()
        .filter_map(|(k, d)| d.parent.as_deref().map(|p| (k, Some(p))))
        .collect();
    assert_eq!(
        parents,
        [
            ("contact", Some("database")),
            ("audience", Some("database"))
        ]
    );
    Ok(())
}

#[test]
fn per_database_exceptions_and_restrictions() -> TestResult {
    let (_, policy) = load(SEED)?;
    let mut failures = Vec::new();
    for (subject, kind, id, database, action, expected, why) in CONTAINED_CASES {
        let got = can_in(&policy, subject, kind, *id, *database, action)?;
        if got != *expected {
            failures.push(format!(
                "{subject} {kind}#{id:?} in database {database:?}.{action}: \
                 expected {expected}, got {got} ({why})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(CONTAINED_CASES.len(), 44);
    Ok(())
}

#[test]
fn a_contact_inside_something_else_is_denied() -> TestResult {
    let (_, policy) = load(SEED)?;
    let alma = policy.subject("alma").ok_or("alma")?;
    let contact = policy.kind("contact").ok_or("contact")?;
    let database = policy.kind("database").ok_or("database")?;
    let journey = policy.kind("journey").ok_or("journey")?;
    let view = policy.action("contact", "view").ok_or("view")?;
    let db_view = policy.action("database", "view").ok_or("view")?;
    // Control: the Administrator views a contact in database 42.
    let ok = policy
        .resource(contact)
        .with_id(5)
        .within(database.instance(42));
    assert!(policy.can(alma, view, &ok));
    for (what, action, r) in [
        (
            "a contact inside a journey",
            view,
            policy
                .resource(contact)
                .with_id(5)
                .within(journey.instance(42)),
        ),
        (
            "a contact inside a database inside a database",
            view,
            policy
                .resource(contact)
                .with_id(5)
                .within(database.instance(42))
                .within(database.instance(43)),
        ),
        (
            "a database inside a database (databases have no parent)",
            db_view,
            policy
                .resource(database)
                .with_id(42)
                .within(database.instance(43)),
        ),
    ] {
        assert!(!policy.can(alma, action, &r), "{what}");
        assert!(policy.allowed(alma, &r).is_empty(), "{what}");
        assert!(!policy.explain(alma, action, &r).allowed(), "{what}");
    }
    Ok(())
}

#[test]
fn explanations_name_the_database() -> TestResult {
    let (_, policy) = load(SEED)?;
    let db = policy.kind("database").ok_or("database")?;
    let explain = |subject: &str, kind: &str, id: u64, database: u64, action: &str| {
        let s = policy.subject(subject).ok_or("subject")?;
        let a = policy.action(kind, action).ok_or("action")?;
        let r = policy
            .resource(a.kind())
            .with_id(id)
            .within(db.instance(database));
        Ok::<_, &str>(policy.explain(s, a, &r))
    };
    let e = explain("edna", "contact", 9, 44, "edit")?;
    assert!(!e.allowed(), "{e}");
    assert!(has_step(&e, Rule::Exception, true), "{e}");
    assert!(e.to_string().contains("44"), "{e}");
    let e = explain("otto", "audience", 101, 42, "edit")?;
    assert!(e.allowed(), "{e}");
    let exceptions = e
        .steps()
        .iter()
        .filter(|s| s.rule() == Rule::Exception)
        .count();
    assert!(
        exceptions >= 2,
        "role's then subject's rule in database 42:\n{e}"
    );
    let e = explain("dina", "audience", 3, 8, "edit")?;
    assert!(!e.allowed(), "{e}");
    assert!(has_step(&e, Rule::Restriction, true), "{e}");
    assert!(e.to_string().contains('7'), "{e}");
    Ok(())
}

/// Instance ids the agreement test asks about (those the document names).
const IDS: &[Option<u64>] = &[
    None,
    Some(5),
    Some(6),
    Some(7),
    Some(42),
    Some(43),
    Some(44),
    Some(101),
    Some(102),
    Some(103),
];

/// For every subject, every action and every resource with no database given
/// (kind-wide and each of `IDS`, every state, no owner or each subject):
/// `explain`, `allowed` and the reference interpreter agree with `can`.
#[test]
fn explain_agrees_with_can_on_every_cell() -> TestResult {
    common::assert_explain_agrees_with_can(SEED, IDS)
}

/// Contacts and audiences with each id of `IDS`, inside each database the
/// document names (and one it does not, and none): `explain`, `allowed` and
/// `who_can` agree with `can` for every subject and action.
#[test]
fn explain_agrees_with_can_inside_databases() -> TestResult {
    let (def, policy) = load(SEED)?;
    let db = policy.kind("database").ok_or("database")?;
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for kind_name in ["contact", "audience"] {
        let kind = def.kinds.get(kind_name).ok_or(kind_name)?;
        let k = policy.kind(kind_name).ok_or(kind_name)?;
        for id in IDS {
            for database in [None, Some(7), Some(8), Some(42), Some(43), Some(44)] {
                let mut r = policy.resource(k);
                if let Some(id) = id {
                    r = r.with_id(*id);
                }
                if let Some(d) = database {
                    r = r.within(db.instance(d));
                }
                for action_name in &kind.actions {
                    let a = policy.action(kind_name, action_name).ok_or("action")?;
                    let who = policy.who_can(a, &r);
                    for s in policy.subjects() {
                        let can = policy.can(s, a, &r);
                        let explained = policy.explain(s, a, &r).allowed();
                        let listed = policy.allowed(s, &r).contains(a);
                        let among = who.contains(&s);
                        checked += 1;
                        if can != explained || can != listed || can != among {
                            failures.push(format!(
                                "{} {kind_name}.{action_name} id={id:?} database={database:?}: \
                                 can={can} explain={explained} allowed={listed} who_can={among}",
                                policy.subject_name(s)
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 0);
    Ok(())
}
