//! One or more tests per numbered step of "How a decision is made" (crate docs).
//!
//! Each test is a small hand-written policy and asserts answers that would change
//! if its step were left out of an engine. Every answer is checked against both
//! the reference interpreter ([`accessmask::reference`]) and the compiled engine
//! ([`Policy::can`]), and for the engine also against [`Policy::allowed`] and
//! [`Policy::explain`], so the two implementations are held to the same expected
//! value, not merely to each other.

// Test helpers outside `#[test]` functions may fail loudly too.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use accessmask::reference::{self, Question};
use accessmask::{IdDef, Policy, PolicyDef};

/// A policy document together with its compiled engine.
struct Case {
    def: PolicyDef,
    policy: Policy,
}

/// Parses a JSON document (text, so that maps keep their order: levels are
/// ordered), with `DOC_BODY` replaced by [`DOC_BODY`], and compiles it.
fn case(doc: &str) -> Case {
    let doc = doc.replace("DOC_BODY", DOC_BODY);
    let def: PolicyDef = serde_json::from_str(&doc).expect("document parses");
    let policy = match Policy::compile(&def) {
        Ok(p) => p,
        Err(e) => panic!("document compiles: {e}"),
    };
    Case { def, policy }
}

/// A query for `subject` doing `action` on `kind`, with no id, state or owner.
fn q<'a>(subject: &'a str, kind: &'a str, action: &'a str) -> Question<'a> {
    Question {
        subject,
        kind,
        action,
        ..Question::default()
    }
}

/// Builder-style setters for [`Question`].
trait With<'a> {
    fn id(self, id: u64) -> Self;
    fn state(self, state: &'a str) -> Self;
    fn owner(self, owner: &'a str) -> Self;
}

impl<'a> With<'a> for Question<'a> {
    fn id(mut self, id: u64) -> Self {
        self.id = Some(id.into());
        self
    }
    fn state(mut self, state: &'a str) -> Self {
        self.state = Some(state);
        self
    }
    fn owner(mut self, owner: &'a str) -> Self {
        self.owner = Some(owner);
        self
    }
}

/// The engine's answer (`None` when a name does not resolve), after checking that
/// `explain` and `allowed` agree with `can`.
#[track_caller]
fn engine_answer(policy: &Policy, q: &Question<'_>) -> Option<(bool, Vec<String>)> {
    let subject = policy.subject(q.subject)?;
    let kind = policy.kind(q.kind)?;
    let mut resource = policy.resource(kind);
    match &q.id {
        Some(IdDef::Number(id)) => resource = resource.with_id(*id),
        Some(IdDef::String(id)) => resource = resource.with_instance(policy.instance(kind, id)),
        None => {}
    }
    for (name, id) in &q.ancestors {
        let ancestor = policy.kind(name)?;
        resource = resource.within(match id {
            IdDef::Number(n) => ancestor.instance(*n),
            IdDef::String(s) => policy.instance(ancestor, s),
        });
    }
    if let Some(state) = q.state {
        resource = resource.with_state(policy.state(kind, state)?);
    }
    if let Some(owner) = q.owner {
        let owner = policy
            .subject(owner)
            .expect("test owners must be subjects of the policy");
        resource = resource.with_owner(owner);
    }
    let listed: Vec<String> = policy
        .allowed(subject, &resource)
        .iter()
        .map(|name| name.to_string())
        .collect();
    let Some(action) = policy.action(q.kind, q.action) else {
        return Some((false, listed));
    };
    assert_eq!(action.kind(), kind, "action's kind for {q:?}");
    let can = policy.can(subject, action, &resource);
    let explanation = policy.explain(subject, action, &resource);
    assert_eq!(
        explanation.allowed(),
        can,
        "explain disagrees with can for {q:?}:\n{explanation}"
    );
    assert_eq!(
        policy.allowed(subject, &resource).contains(action),
        can,
        "allowed().contains disagrees with can for {q:?}"
    );
    Some((can, listed))
}

impl Case {
    /// Asserts that both the reference and the engine answer `expected` for `q`.
    #[track_caller]
    fn check(&self, q: Question<'_>, expected: bool) {
        let by_reference = reference::is_allowed(&self.def, &q);
        let by_engine = engine_answer(&self.policy, &q).is_some_and(|(can, _)| can);
        assert_eq!(by_reference, expected, "reference on {q:?}");
        assert_eq!(by_engine, expected, "engine on {q:?}");
    }

    /// Asserts that both list exactly `expected` as the allowed actions for `q`
    /// (its action ignored), and that each listed action is individually allowed.
    #[track_caller]
    fn check_list(&self, q: Question<'_>, expected: &[&str]) {
        let by_reference = reference::allowed_actions(&self.def, &q);
        let by_engine = engine_answer(&self.policy, &q)
            .map(|(_, listed)| listed)
            .unwrap_or_default();
        assert_eq!(by_reference, expected, "reference list on {q:?}");
        assert_eq!(by_engine, expected, "engine list on {q:?}");
        if let Some(kind) = self.def.kinds.get(q.kind) {
            for action in &kind.actions {
                let one = Question {
                    action,
                    ..q.clone()
                };
                self.check(one, expected.contains(&action.as_str()));
            }
        }
    }
}

/// The body of a document kind (without its braces, so that tests can add
/// fields): view < edit < approve, delete needs view; four levels, lowest first;
/// two states. Documents write it as `{ DOC_BODY }`.
const DOC_BODY: &str = r#"
        "actions": ["view", "edit", "approve", "delete"],
        "needs": { "edit": ["view"], "approve": ["edit"], "delete": ["view"] },
        "levels": {
            "None": [],
            "Read": ["view"],
            "Write": ["view", "edit"],
            "Full": ["view", "edit", "approve", "delete"]
        },
        "states": ["draft", "billed"]
"#;

// ---------------------------------------------------------------------------
// Step 1: default deny; unknown names are denied.

#[test]
fn step1_unknown_names_resolve_to_none_and_deny() {
    let c = case(
        r#"{
        "kinds": { "doc": { DOC_BODY } },
        "roles": { "All": { "grants": { "doc": ["*"] } } },
        "subjects": { "u": { "role": "All" } }
    }"#,
    );
    let p = &c.policy;
    assert!(p.subject("u").is_some());
    assert!(p.subject("nobody").is_none());
    assert!(p.kind("doc").is_some());
    assert!(p.kind("nokind").is_none());
    assert!(p.action("doc", "view").is_some());
    assert!(p.action("doc", "fly").is_none());
    assert!(p.action("nokind", "view").is_none());
    let doc = p.kind("doc").expect("doc");
    assert!(p.state(doc, "billed").is_some());
    assert!(p.state(doc, "lost").is_none());

    c.check(q("u", "doc", "view"), true);
    c.check(q("nobody", "doc", "view"), false);
    c.check(q("u", "nokind", "view"), false);
    c.check(q("u", "doc", "fly"), false);
    // An unknown state denies although every action is granted.
    c.check(q("u", "doc", "view").state("billed"), true);
    c.check(q("u", "doc", "view").state("lost"), false);
    c.check_list(q("u", "doc", "").state("lost"), &[]);
}

#[test]
fn step1_default_is_deny() {
    let c = case(
        r#"{
        "kinds": { "doc": { DOC_BODY }, "other": { "actions": ["x"] } },
        "roles": { "Empty": {}, "OtherOnly": { "grants": { "other": ["x"] } } },
        "subjects": { "e": { "role": "Empty" }, "o": { "role": "OtherOnly" } }
    }"#,
    );
    c.check_list(q("e", "doc", ""), &[]);
    c.check_list(q("o", "doc", "").id(1).owner("o"), &[]);
    c.check(q("o", "other", "x"), true);
}

// ---------------------------------------------------------------------------
// Step 2: an unavailable kind allows nothing.

#[test]
fn step2_unavailable_kind_denies_everything() {
    let c = case(
        r#"{
        "kinds": {
            "doc": { DOC_BODY, "available": false },
            "open": { "actions": ["view"] }
        },
        "roles": {
            "All": {
                "grants": { "doc": ["*"], "open": ["view"] },
                "exceptions": [ { "kind": "doc", "id": 1, "allow": ["view"] } ]
            }
        },
        "toggles": { "T": { "grants": { "doc": { "level": "Full" } } } },
        "subjects": {
            "u": { "role": "All", "toggles": ["T"], "levels": { "doc": "Full" } }
        }
    }"#,
    );
    c.check(q("u", "doc", "view"), false);
    c.check(q("u", "doc", "view").id(1), false);
    c.check_list(q("u", "doc", "").id(1).owner("u"), &[]);
    c.check(q("u", "open", "view"), true);
}

// ---------------------------------------------------------------------------
// Step 3: kind-wide sets: explicit level, else role (base + grants - remove);
// then toggles.

fn step3_case() -> Case {
    case(
        r#"{
        "kinds": { "doc": { DOC_BODY }, "note": { "actions": ["read", "write"] } },
        "roles": {
            "Writer": { "grants": { "doc": { "level": "Write", "own": ["delete"] } } },
            "Copy": { "base": "Writer" },
            "Plus": { "base": "Writer", "grants": { "doc": ["approve"], "note": ["read"] } },
            "Minus": { "base": "Plus", "remove": { "doc": ["edit"] } },
            "MinusView": { "base": "Writer", "remove": { "doc": ["view"] } },
            "Readd": { "base": "MinusView", "grants": { "doc": ["edit"] } }
        },
        "toggles": {
            "Approver": { "grants": { "doc": ["approve"] } },
            "Deleter": { "grants": { "doc": { "managed": ["delete"] } } }
        },
        "subjects": {
            "w": { "role": "Writer" },
            "copy": { "role": "Copy" },
            "plus": { "role": "Plus" },
            "minus": { "role": "Minus" },
            "mv": { "role": "MinusView" },
            "readd": { "role": "Readd" },
            "lvl": { "role": "Plus", "levels": { "doc": "Read" } },
            "lvl_none": { "role": "Plus", "levels": { "doc": "None" } },
            "lvl_t": { "role": "Plus", "levels": { "doc": "Read" }, "toggles": ["Approver"] },
            "tog": { "role": "Writer", "toggles": ["Approver", "Deleter"], "manages": ["w"] }
        }
    }"#,
    )
}

#[test]
fn step3_role_grants_and_base_inheritance() {
    let c = step3_case();
    c.check_list(q("w", "doc", ""), &["view", "edit"]);
    // A derived role with no grants of its own has its base's set.
    c.check_list(q("copy", "doc", ""), &["view", "edit"]);
    c.check_list(
        q("copy", "doc", "").owner("copy"),
        &["view", "edit", "delete"],
    );
    // A derived role adds.
    c.check_list(q("plus", "doc", ""), &["view", "edit", "approve"]);
    c.check(q("plus", "note", "read"), true);
    c.check(q("w", "note", "read"), false);
}

#[test]
fn step3_remove_takes_from_every_scope_after_grants() {
    let c = step3_case();
    // Minus derives from Plus (which added approve) and removes edit: approve
    // needs edit, so it goes too.
    c.check_list(q("minus", "doc", ""), &["view"]);
    c.check(q("minus", "doc", "edit"), false);
    // Removing view removes it from `own` too (delete needs view).
    c.check_list(q("mv", "doc", "").owner("mv"), &[]);
    // A role derived from one that removed may grant again.
    c.check_list(q("readd", "doc", "").owner("readd"), &["view", "edit"]);
}

#[test]
fn step3_explicit_level_replaces_role() {
    let c = step3_case();
    c.check_list(q("lvl", "doc", ""), &["view"]);
    c.check(q("lvl", "doc", "approve"), false);
    // The level replaces the role's scoped grants as well.
    c.check(q("lvl", "doc", "delete").owner("lvl"), false);
    c.check_list(q("lvl_none", "doc", "").owner("lvl_none"), &[]);
    // Only on that kind: the role still gives `note`.
    c.check(q("lvl", "note", "read"), true);
}

#[test]
fn step3_toggles_add_to_role_and_to_level() {
    let c = step3_case();
    c.check_list(q("tog", "doc", ""), &["view", "edit", "approve"]);
    c.check(q("tog", "doc", "delete").owner("w"), true);
    c.check(q("w", "doc", "approve"), false);
    // A toggle adds on top of an explicit level.
    c.check_list(q("lvl_t", "doc", ""), &["view", "edit", "approve"]);
}

// ---------------------------------------------------------------------------
// Step 4: scope.

#[test]
fn step4_own_and_managed_scopes() {
    let c = case(
        r#"{
        "kinds": { "task": {
            "actions": ["read", "update", "delete"],
            "needs": { "update": ["read"], "delete": ["read"] }
        } },
        "roles": {
            "Member": { "grants": { "task": { "own": ["update"], "managed": ["read"] } } },
            "Admin": { "grants": { "task": ["delete"] } }
        },
        "subjects": {
            "boss": { "role": "Member", "manages": ["ann"] },
            "ann": { "role": "Member" },
            "bob": { "role": "Member" },
            "root": { "role": "Admin" }
        }
    }"#,
    );
    // No owner: only `any`.
    c.check_list(q("boss", "task", "").id(3), &[]);
    // Own.
    c.check_list(q("boss", "task", "").owner("boss"), &["read", "update"]);
    c.check_list(q("ann", "task", "").owner("ann"), &["read", "update"]);
    // Managed.
    c.check_list(q("boss", "task", "").owner("ann"), &["read"]);
    c.check(q("boss", "task", "update").owner("ann"), false);
    // Neither: someone else's, or the manager's own tasks seen by the managed.
    c.check_list(q("boss", "task", "").owner("bob"), &[]);
    c.check_list(q("ann", "task", "").owner("boss"), &[]);
    // `any` holds whatever the owner.
    c.check_list(q("root", "task", "").owner("ann"), &["read", "delete"]);
    c.check_list(q("root", "task", ""), &["read", "delete"]);
}

// ---------------------------------------------------------------------------
// Step 5: exceptions and restrictions; role layer, then subject layer.

fn step5_case() -> Case {
    case(
        r#"{
        "kinds": { "doc": { DOC_BODY } },
        "roles": {
            "Editor": {
                "grants": { "doc": { "level": "Write" } },
                "exceptions": [
                    { "kind": "doc", "id": 1, "deny": ["edit"] },
                    { "kind": "doc", "id": 2, "level": "Full" },
                    { "kind": "doc", "id": 3, "allow": ["approve"], "deny": ["approve"] },
                    { "kind": "doc", "id": 4, "level": "None" }
                ]
            },
            "Junior": {
                "base": "Editor",
                "exceptions": [ { "kind": "doc", "id": 1, "allow": ["delete"] } ],
                "restrictions": [ { "kind": "doc", "actions": ["edit"], "ids": [5, 6] } ]
            },
            "Narrower": {
                "base": "Junior",
                "restrictions": [ { "kind": "doc", "actions": ["edit"], "ids": [7] } ]
            },
            "Reader": {
                "grants": { "doc": ["view"] },
                "restrictions": [ { "kind": "doc", "actions": ["approve"], "ids": [8] } ]
            }
        },
        "subjects": {
            "ed": { "role": "Editor" },
            "own_ex": { "role": "Editor", "exceptions": [
                { "kind": "doc", "id": 2, "level": "Read" },
                { "kind": "doc", "id": 1, "allow": ["edit"] },
                { "kind": "doc", "id": 9, "deny": ["view"] }
            ] },
            "jr": { "role": "Junior" },
            "nr": { "role": "Narrower" },
            "rd": { "role": "Reader" },
            "own_r": { "role": "Editor", "restrictions": [ { "kind": "doc", "actions": ["view"], "ids": [10] } ] }
        }
    }"#,
    )
}

#[test]
fn step5_role_exceptions() {
    let c = step5_case();
    c.check_list(q("ed", "doc", "").id(100), &["view", "edit"]);
    // A deny exception (removing edit, and with it approve: nothing else).
    c.check_list(q("ed", "doc", "").id(1), &["view"]);
    // A level exception replaces the set, upward...
    c.check_list(
        q("ed", "doc", "").id(2),
        &["view", "edit", "approve", "delete"],
    );
    // ...and downward.
    c.check_list(q("ed", "doc", "").id(4), &[]);
    // Within one exception deny beats allow.
    c.check_list(q("ed", "doc", "").id(3), &["view", "edit"]);
    // No id: no exception applies.
    c.check_list(q("ed", "doc", ""), &["view", "edit"]);
}

#[test]
fn step5_subject_layer_wins_over_role_layer() {
    let c = step5_case();
    // The role's level Full on 2 is replaced by the subject's Read.
    c.check_list(q("own_ex", "doc", "").id(2), &["view"]);
    // The role denies edit on 1, the subject allows it back.
    c.check_list(q("own_ex", "doc", "").id(1), &["view", "edit"]);
    // A subject deny of view takes everything.
    c.check_list(q("own_ex", "doc", "").id(9), &[]);
    c.check_list(q("own_ex", "doc", "").id(3), &["view", "edit"]);
}

#[test]
fn step5_derived_role_exception_replaces_base_on_same_instance() {
    let c = step5_case();
    // Junior's exception on doc 1 (allow delete) replaces Editor's (deny edit),
    // and Junior's restriction first leaves only view on 1.
    c.check_list(q("jr", "doc", "").id(1), &["view", "delete"]);
    // Inherited exceptions on other ids still apply (after the restriction).
    c.check_list(
        q("jr", "doc", "").id(2),
        &["view", "edit", "approve", "delete"],
    );
    c.check_list(q("jr", "doc", "").id(4), &[]);
}

#[test]
fn step5_restrictions() {
    let c = step5_case();
    // Junior: edit only on 5 and 6.
    c.check_list(q("jr", "doc", "").id(5), &["view", "edit"]);
    c.check_list(q("jr", "doc", "").id(6), &["view", "edit"]);
    c.check_list(q("jr", "doc", "").id(100), &["view"]);
    // No id: the restricted actions are removed.
    c.check_list(q("jr", "doc", ""), &["view"]);
    // A derived role's restriction replaces its base's on the same kind.
    c.check_list(q("nr", "doc", "").id(5), &["view"]);
    c.check_list(q("nr", "doc", "").id(7), &["view", "edit"]);
    // A restriction adds its actions on the listed ids (with what they need).
    c.check_list(q("rd", "doc", "").id(8), &["view", "edit", "approve"]);
    c.check_list(q("rd", "doc", "").id(9), &["view"]);
    // A subject's own restriction: view (and all that needs it) only on 10.
    c.check_list(q("own_r", "doc", "").id(10), &["view", "edit"]);
    c.check_list(q("own_r", "doc", "").id(11), &[]);
    c.check_list(q("own_r", "doc", ""), &[]);
    // ...but the role's exceptions came first: the subject's restriction still
    // removes view on 2 although the role's level exception set Full there.
    c.check_list(q("own_r", "doc", "").id(2), &[]);
}

// ---------------------------------------------------------------------------
// Step 6: prerequisites, against the step-3 `any` set on the other kind.

fn step6_case() -> Case {
    case(
        r#"{
        "kinds": {
            "sync": {
            "actions": ["view", "sync", "track"],
            "needs": { "sync": ["view"], "track": ["view"] },
            "prerequisites": [
                { "action": "sync", "kind": "upload", "level": "Read Only" },
                { "action": "track", "kind": "tracking", "actions": ["edit"] }
            ]
        },
            "upload": {
                "actions": ["view", "run", "edit"],
                "needs": { "run": ["view"], "edit": ["view"] },
                "levels": { "No Access": [], "Read Only": ["view", "run"], "Full": ["view", "run", "edit"] }
            },
            "tracking": { "actions": ["view", "edit"], "needs": { "edit": ["view"] }, "available": false }
        },
        "roles": {
            "Syncer": { "grants": { "sync": ["*"] } },
            "Full": { "grants": { "sync": ["*"], "upload": { "level": "Full" }, "tracking": ["*"] } },
            "OwnUploads": { "grants": { "sync": ["*"], "upload": { "own": ["view", "run"] } } },
            "ViewOnly": { "grants": { "sync": ["*"], "upload": ["view"] } },
            "Excepted": {
                "grants": { "sync": ["view"] },
                "exceptions": [ { "kind": "sync", "id": 1, "allow": ["sync"] } ]
            }
        },
        "toggles": { "Uploader": { "grants": { "upload": ["run"] } } },
        "subjects": {
            "s": { "role": "Syncer" },
            "f": { "role": "Full" },
            "o": { "role": "OwnUploads" },
            "v": { "role": "ViewOnly" },
            "vt": { "role": "ViewOnly", "toggles": ["Uploader"] },
            "lv": { "role": "Syncer", "levels": { "upload": "Read Only" } },
            "lv_no": { "role": "Full", "levels": { "upload": "No Access" } },
            "ex": { "role": "Excepted", "levels": { "upload": "Full" } },
            "ex_no": { "role": "Excepted" }
        }
    }"#,
    )
}

#[test]
fn step6_unmet_prerequisite_removes_action() {
    let c = step6_case();
    c.check_list(q("s", "sync", ""), &["view"]);
    c.check(q("s", "sync", "sync"), false);
    // Full on upload meets sync; tracking is unavailable, so track is never met.
    c.check_list(q("f", "sync", ""), &["view", "sync"]);
    c.check(q("f", "sync", "track"), false);
    // View alone is not Read Only (run missing); a toggle on the other kind counts.
    c.check_list(q("v", "sync", ""), &["view"]);
    c.check_list(q("vt", "sync", ""), &["view", "sync"]);
}

#[test]
fn step6_uses_step3_set_of_other_kind() {
    let c = step6_case();
    // Scoped grants on the other kind do not count, whoever owns the resource.
    c.check_list(q("o", "sync", "").owner("o"), &["view"]);
    // An explicit level on the other kind counts, both ways.
    c.check_list(q("lv", "sync", ""), &["view", "sync"]);
    c.check_list(q("lv_no", "sync", ""), &["view"]);
}

#[test]
fn step6_exceptions_do_not_reopen_prerequisites() {
    let c = step6_case();
    // The exception adds sync on 1 and the prerequisite is met: allowed.
    c.check(q("ex", "sync", "sync").id(1), true);
    c.check(q("ex", "sync", "sync").id(2), false);
    // Prerequisite unmet: the exception does not reopen it.
    c.check(q("ex_no", "sync", "sync").id(1), false);
    c.check_list(q("ex_no", "sync", "").id(1), &["view"]);
}

// ---------------------------------------------------------------------------
// Step 7: state rules.

fn step7_case() -> Case {
    case(
        r#"{
        "kinds": { "estimate": { DOC_BODY, "state_rules": [
            { "state": "billed", "hold": ["edit", "delete"], "unless_roles": ["Admin"], "unless_toggles": ["Accounts"] },
            { "state": "draft", "hold": ["approve"], "unless_roles": ["Manager"] }
        ] } },
        "roles": {
            "Admin": { "grants": { "estimate": ["*"] } },
            "Manager": { "base": "Admin" },
            "Staff": { "base": "Admin" }
        },
        "toggles": { "Accounts": {} },
        "subjects": {
            "admin": { "role": "Admin" },
            "mgr": { "role": "Manager" },
            "staff": { "role": "Staff" },
            "acct": { "role": "Staff", "toggles": ["Accounts"] },
            "exc": { "role": "Staff", "exceptions": [
                { "kind": "estimate", "id": 1, "allow": ["edit", "delete"] },
                { "kind": "estimate", "id": 2, "level": "Full" }
            ] }
        }
    }"#,
    )
}

#[test]
fn step7_state_rules_hold_back_actions() {
    let c = step7_case();
    // No state: nothing held.
    c.check_list(
        q("staff", "estimate", ""),
        &["view", "edit", "approve", "delete"],
    );
    // Billed holds edit and delete, and approve with edit.
    c.check_list(q("staff", "estimate", "").state("billed"), &["view"]);
    // Draft holds approve.
    c.check_list(
        q("staff", "estimate", "").state("draft"),
        &["view", "edit", "delete"],
    );
}

#[test]
fn step7_exempt_roles_and_toggles() {
    let c = step7_case();
    c.check_list(
        q("admin", "estimate", "").state("billed"),
        &["view", "edit", "approve", "delete"],
    );
    // The subject's own role counts, not a role it derives from: Manager derives
    // from Admin but is not exempt in billed; it is exempt in draft.
    c.check_list(q("mgr", "estimate", "").state("billed"), &["view"]);
    c.check_list(
        q("mgr", "estimate", "").state("draft"),
        &["view", "edit", "approve", "delete"],
    );
    c.check_list(
        q("admin", "estimate", "").state("draft"),
        &["view", "edit", "delete"],
    );
    // A toggle exempts.
    c.check_list(
        q("acct", "estimate", "").state("billed"),
        &["view", "edit", "approve", "delete"],
    );
}

#[test]
fn step7_exceptions_do_not_reopen_state_rules() {
    let c = step7_case();
    c.check(q("exc", "estimate", "edit").id(1), true);
    c.check(q("exc", "estimate", "edit").id(1).state("billed"), false);
    c.check(q("exc", "estimate", "delete").id(2).state("billed"), false);
    c.check_list(q("exc", "estimate", "").id(2).state("billed"), &["view"]);
}

// ---------------------------------------------------------------------------
// Step 8: implications at every step.

#[test]
fn step8_adding_adds_what_it_needs() {
    let c = case(
        r#"{
        "kinds": { "doc": { DOC_BODY } },
        "roles": {
            "Approver": { "grants": { "doc": ["approve"] } },
            "OwnApprover": { "grants": { "doc": { "own": ["approve"] } } },
            "Reader": {
                "grants": { "doc": ["view"] },
                "exceptions": [ { "kind": "doc", "id": 1, "allow": ["approve"] } ]
            }
        },
        "subjects": {
            "a": { "role": "Approver" },
            "o": { "role": "OwnApprover" },
            "r": { "role": "Reader" }
        }
    }"#,
    );
    // Granting approve grants edit and view (transitively).
    c.check_list(q("a", "doc", ""), &["view", "edit", "approve"]);
    c.check(q("a", "doc", "view"), true);
    // In a scope too.
    c.check_list(q("o", "doc", "").owner("o"), &["view", "edit", "approve"]);
    // An allow exception adds what it needs.
    c.check_list(q("r", "doc", "").id(1), &["view", "edit", "approve"]);
}

#[test]
fn step8_removing_removes_what_needs_it() {
    let c = case(
        r#"{
        "kinds": { "doc": { DOC_BODY } },
        "roles": {
            "All": { "grants": { "doc": ["*"] } },
            "NoView": { "base": "All", "remove": { "doc": ["view"] } },
            "Denied": {
                "grants": { "doc": ["*"] },
                "exceptions": [ { "kind": "doc", "id": 1, "deny": ["edit"] } ]
            }
        },
        "subjects": {
            "n": { "role": "NoView" },
            "d": { "role": "Denied" }
        }
    }"#,
    );
    // Removing view removes edit, approve and delete (transitively).
    c.check_list(q("n", "doc", ""), &[]);
    c.check(q("n", "doc", "approve"), false);
    // A deny exception on edit removes approve too, but not view or delete.
    c.check_list(q("d", "doc", "").id(1), &["view", "delete"]);
}

#[test]
fn step8_implication_cycles_move_together() {
    let c = case(
        r#"{
        "kinds": { "k": {
            "actions": ["a", "b", "c"],
            "needs": { "a": ["b"], "b": ["a"], "c": ["a"] }
        } },
        "roles": {
            "A": { "grants": { "k": ["a"] } },
            "C": { "grants": { "k": ["c"] } },
            "NoB": { "base": "C", "remove": { "k": ["b"] } }
        },
        "subjects": { "a": { "role": "A" }, "c": { "role": "C" }, "nob": { "role": "NoB" } }
    }"#,
    );
    c.check_list(q("a", "k", ""), &["a", "b"]);
    c.check_list(q("c", "k", ""), &["a", "b", "c"]);
    c.check_list(q("nob", "k", ""), &[]);
}

// ---------------------------------------------------------------------------
// Step 9: allow iff the action is in the final set.

#[test]
fn step9_allow_iff_in_final_set() {
    let c = case(
        r#"{
        "kinds": { "doc": { DOC_BODY }, "other": { "actions": ["edit"] } },
        "roles": { "D": { "grants": { "doc": ["delete"], "other": ["edit"] } } },
        "subjects": { "u": { "role": "D" } }
    }"#,
    );
    c.check(q("u", "doc", "delete"), true);
    c.check(q("u", "doc", "view"), true);
    // Same name, other kind: the final set is per kind.
    c.check(q("u", "doc", "edit"), false);
    c.check(q("u", "other", "edit"), true);
    c.check(q("u", "doc", "approve"), false);
}
