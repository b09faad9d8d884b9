//! Containment (issue 14): kinds with a parent, resources inside ancestor
//! instances, string ids.
//!
//! - Bad documents fail to compile with exactly these messages, each naming the
//!   bad item and its path: a parent cycle, an unknown parent kind, a chain
//!   deeper than [`MAX_ANCESTORS`], a rule `in` a kind that is not an ancestor,
//!   an `on_ancestor` prerequisite on a kind that is not one, an id of the wrong
//!   type, a duplicate `(kind, in, id)` exception.
//! - An inconsistent resource (ancestors that do not follow the chain, too many
//!   of them, an id of the wrong type, an instance of another kind) is denied for
//!   every subject, even one granted `"*"` everywhere, by `can`, `allowed` and
//!   `explain`, and the reference interpreter agrees.
//! - A hand-written contained policy answers as the reference does, by `can`,
//!   `allowed` and `explain`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use accessmask::reference::{self, Question};
use accessmask::{IdDef, Instance, KindId, Policy, PolicyDef, Resource, MAX_ANCESTORS};
use serde_json::{json, Value};

/// `org` (number ids) > `repo` (string ids) > `pr` (number ids), and an
/// unrelated `team`; a superuser role granted `"*"` on every kind, and a
/// developer role with rules written in ancestors.
fn base() -> Value {
    json!({
        "kinds": {
            "org": { "actions": ["see", "admin"], "needs": { "admin": ["see"] } },
            "repo": {
                "actions": ["read", "push"], "needs": { "push": ["read"] },
                "levels": { "Reader": ["read"], "Writer": ["read", "push"] },
                "parent": "org", "ids": "string"
            },
            "pr": {
                "actions": ["view", "comment", "merge"],
                "needs": { "comment": ["view"], "merge": ["view"] },
                "parent": "repo",
                "prerequisites": [ { "action": "merge", "kind": "repo", "actions": ["push"], "on_ancestor": true } ]
            },
            "team": { "actions": ["join"] }
        },
        "roles": {
            "Super": { "grants": { "org": ["*"], "repo": ["*"], "pr": ["*"], "team": ["*"] } },
            "Dev": {
                "grants": { "org": ["see"], "repo": { "level": "Writer" }, "pr": ["comment", "merge"] },
                "exceptions": [
                    { "kind": "pr", "in": "org", "id": 1, "deny": ["comment"] },
                    { "kind": "pr", "in": "repo", "id": "acme/web", "allow": ["comment"] },
                    { "kind": "repo", "id": "acme/ops", "level": "Reader" }
                ],
                "restrictions": [ { "kind": "repo", "actions": ["push"], "in": "org", "ids": [1, 2] } ]
            }
        },
        "subjects": {
            "root": { "role": "Super" },
            "dan": { "role": "Dev" },
            "eve": { "role": "Dev", "exceptions": [ { "kind": "pr", "id": 7, "deny": ["view"] } ] }
        }
    })
}

fn def_of(doc: &Value) -> PolicyDef {
    serde_json::from_value(doc.clone()).expect("document parses")
}

fn compile(doc: &Value) -> Policy {
    match Policy::compile(&def_of(doc)) {
        Ok(p) => p,
        Err(e) => panic!("document compiles: {e}"),
    }
}

/// A resource by names, as the reference and the engine each take it.
#[derive(Debug, Clone)]
struct At {
    kind: &'static str,
    id: Option<IdDef>,
    ancestors: Vec<(&'static str, IdDef)>,
}

fn at(kind: &'static str, id: Option<IdDef>, ancestors: &[(&'static str, IdDef)]) -> At {
    At {
        kind,
        id,
        ancestors: ancestors.to_vec(),
    }
}

fn instance(policy: &Policy, kind: KindId, id: &IdDef) -> Instance {
    match id {
        IdDef::Number(n) => kind.instance(*n),
        IdDef::String(s) => policy.instance(kind, s),
    }
}

impl At {
    fn resource(&self, policy: &Policy) -> Resource {
        let kind = policy.kind(self.kind).expect("known kind");
        let mut r = policy.resource(kind);
        match &self.id {
            Some(IdDef::Number(n)) => r = r.with_id(*n),
            Some(id) => r = r.with_instance(instance(policy, kind, id)),
            None => {}
        }
        for (name, id) in &self.ancestors {
            let k = policy.kind(name).expect("known ancestor kind");
            r = r.within(instance(policy, k, id));
        }
        r
    }

    fn question<'a>(&'a self, subject: &'a str, action: &'a str) -> Question<'a> {
        Question {
            subject,
            kind: self.kind,
            action,
            id: self.id.clone(),
            ancestors: self.ancestors.clone(),
            ..Question::default()
        }
    }
}

fn n(id: u64) -> IdDef {
    IdDef::from(id)
}

fn s(id: &str) -> IdDef {
    IdDef::from(id)
}

/// Every subject's answer to every action on `at`, by `can`, `allowed`,
/// `explain` and the reference: `(subject, action, allowed)`, after checking
/// that the four agree.
#[track_caller]
fn answers(doc: &Value, place: &At) -> Vec<(String, String, bool)> {
    let def = def_of(doc);
    let policy = compile(doc);
    let r = place.resource(&policy);
    let kind = policy.kind(place.kind).expect("known kind");
    let mut out = Vec::new();
    for (sname, _) in def.subjects.iter() {
        let subject = policy.subject(sname).expect("known subject");
        let listed: Vec<String> = policy
            .allowed(subject, &r)
            .iter()
            .map(String::from)
            .collect();
        assert_eq!(
            listed,
            reference::allowed_actions(&def, &place.question(sname, "")),
            "allowed of {sname} on {place:?}"
        );
        for action in policy.actions(kind) {
            let aname = policy.action_name(action).to_owned();
            let can = policy.can(subject, action, &r);
            let why = policy.explain(subject, action, &r);
            assert_eq!(
                why.allowed(),
                can,
                "explain of {sname} {aname} on {place:?}:\n{why}"
            );
            assert_eq!(
                listed.contains(&aname),
                can,
                "allowed vs can of {sname} {aname} on {place:?}"
            );
            assert_eq!(
                reference::is_allowed(&def, &place.question(sname, &aname)),
                can,
                "reference vs can of {sname} {aname} on {place:?}:\n{why}"
            );
            out.push((sname.to_owned(), aname, can));
        }
    }
    out
}

/// What `subject` may do on `place`, in declaration order (checked as in
/// [`answers`]).
#[track_caller]
fn allowed(doc: &Value, subject: &str, place: &At) -> Vec<String> {
    answers(doc, place)
        .into_iter()
        .filter(|(s, _, yes)| s == subject && *yes)
        .map(|(_, a, _)| a)
        .collect()
}

// ---------------------------------------------------------------------------
// Consistent resources: the engine answers as the reference
// ---------------------------------------------------------------------------

#[test]
fn rules_in_ancestors_apply_outermost_first_then_own() {
    let doc = base();
    // No ancestors: nothing written in one applies, and the prerequisite on the
    // repo is not met.
    assert_eq!(
        allowed(&doc, "dan", &at("pr", Some(n(7)), &[])),
        ["view", "comment"]
    );
    // In org 1 comment is denied, unless the repo (inner) allows it again.
    let web_in_1 = at("pr", Some(n(7)), &[("repo", s("acme/web")), ("org", n(1))]);
    assert_eq!(
        allowed(&doc, "dan", &web_in_1),
        ["view", "comment", "merge"]
    );
    let api_in_1 = at("pr", Some(n(7)), &[("repo", s("acme/api")), ("org", n(1))]);
    assert_eq!(allowed(&doc, "dan", &api_in_1), ["view", "merge"]);
    // The instance's own exception (eve's, on pr 7) comes last.
    assert_eq!(allowed(&doc, "eve", &web_in_1), Vec::<String>::new());
    // The repo's push holds only in orgs 1 and 2: in org 3, merge's
    // prerequisite on the repo is unmet.
    let api_in_3 = at("pr", Some(n(7)), &[("repo", s("acme/api")), ("org", n(3))]);
    assert_eq!(allowed(&doc, "dan", &api_in_3), ["view", "comment"]);
    // Only the parent given: the restriction in the org removes push, so merge
    // goes.
    let api = at("pr", Some(n(7)), &[("repo", s("acme/api"))]);
    assert_eq!(allowed(&doc, "dan", &api), ["view", "comment"]);
    // The repo's own level exception makes it read-only: merge goes.
    let ops_in_1 = at("pr", Some(n(7)), &[("repo", s("acme/ops")), ("org", n(1))]);
    assert_eq!(allowed(&doc, "dan", &ops_in_1), ["view"]);
}

#[test]
fn string_ids_match_exactly() {
    let doc = base();
    for near in ["ACME/web", "acme/web ", " acme/web", "acme/we", ""] {
        let place = at("pr", Some(n(7)), &[("repo", s(near)), ("org", n(1))]);
        assert_eq!(allowed(&doc, "dan", &place), ["view", "merge"], "{near:?}");
    }
    for near in ["acme/Ops", "acme/ops\n"] {
        let place = at("repo", Some(s(near)), &[("org", n(1))]);
        assert_eq!(allowed(&doc, "dan", &place), ["read", "push"], "{near:?}");
    }
    let ops = at("repo", Some(s("acme/ops")), &[("org", n(1))]);
    assert_eq!(allowed(&doc, "dan", &ops), ["read"]);
}

// ---------------------------------------------------------------------------
// Inconsistent resources: denied for everyone
// ---------------------------------------------------------------------------

/// Asserts that nobody may do anything on `place`, by every path, and that
/// `explain` says so.
#[track_caller]
fn denied_to_everyone(doc: &Value, place: &At) {
    let yes: Vec<_> = answers(doc, place)
        .into_iter()
        .filter(|(_, _, y)| *y)
        .collect();
    assert!(yes.is_empty(), "allowed on {place:?}: {yes:?}");
    let policy = compile(doc);
    let root = policy.subject("root").expect("root");
    let r = place.resource(&policy);
    for action in policy.actions(r.kind()) {
        let why = policy.explain(root, action, &r);
        assert!(!why.allowed(), "{why}");
        assert!(why.to_string().starts_with("DENY "), "{why}");
        // One decisive step says why: the resource does not fit the kind.
        let decisive: Vec<&str> = why
            .steps()
            .iter()
            .filter(|s| s.is_decisive())
            .map(|s| s.text())
            .collect();
        assert_eq!(decisive.len(), 1, "{why}");
        assert!(decisive[0].ends_with(": denied"), "{why}");
    }
}

#[test]
fn inconsistent_resources_are_denied_to_everyone() {
    let doc = base();
    // The superuser may do everything on consistent resources...
    for place in [
        at("pr", Some(n(7)), &[]),
        at("pr", Some(n(7)), &[("repo", s("x"))]),
        at("pr", None, &[("repo", s("x")), ("org", n(1))]),
        at("repo", Some(s("x")), &[("org", n(1))]),
        at("org", Some(n(1)), &[]),
    ] {
        let merge = place.kind != "pr" || !place.ancestors.is_empty();
        let root: Vec<_> = answers(&doc, &place)
            .into_iter()
            .filter(|(s, a, y)| s == "root" && !y && (merge || a != "merge"))
            .collect();
        assert!(root.is_empty(), "root denied on {place:?}: {root:?}");
    }
    // ...and nothing on inconsistent ones.
    let bad = [
        // An ancestor of the wrong kind, or in the wrong order.
        at("pr", Some(n(7)), &[("org", n(1))]),
        at("pr", Some(n(7)), &[("org", n(1)), ("repo", s("x"))]),
        at("pr", Some(n(7)), &[("team", n(1))]),
        at("pr", Some(n(7)), &[("pr", n(1))]),
        at("repo", Some(s("x")), &[("repo", s("y"))]),
        // More ancestors than the chain is long; more than MAX_ANCESTORS.
        at(
            "pr",
            Some(n(7)),
            &[("repo", s("x")), ("org", n(1)), ("org", n(1))],
        ),
        at("org", Some(n(1)), &[("org", n(2))]),
        at("team", None, &[("team", n(1))]),
        at(
            "pr",
            Some(n(7)),
            &[
                ("repo", s("x")),
                ("org", n(1)),
                ("org", n(1)),
                ("org", n(1)),
                ("org", n(1)),
            ],
        ),
        // A number id on a string kind and a string id on a number kind, own or
        // ancestor's.
        at("repo", Some(n(1)), &[]),
        at("pr", Some(s("7")), &[]),
        at("pr", Some(n(7)), &[("repo", n(1))]),
        at("pr", Some(n(7)), &[("repo", s("x")), ("org", s("1"))]),
    ];
    for place in &bad {
        denied_to_everyone(&doc, place);
    }
    assert_eq!(bad[8].ancestors.len(), MAX_ANCESTORS + 1);
}

#[test]
fn an_instance_of_another_kind_is_denied_to_everyone() {
    let doc = base();
    let policy = compile(&doc);
    let pr = policy.kind("pr").unwrap();
    let org = policy.kind("org").unwrap();
    let root = policy.subject("root").unwrap();
    let r = policy.resource(pr).with_instance(org.instance(7));
    assert!(r.is_invalid());
    for action in policy.actions(pr) {
        assert!(!policy.can(root, action, &r));
        let why = policy.explain(root, action, &r);
        assert!(!why.allowed(), "{why}");
    }
    assert!(policy.allowed(root, &r).is_empty());
    // The same id as the right kind's instance is fine.
    let ok = policy.resource(pr).with_instance(pr.instance(7));
    assert!(!ok.is_invalid());
    assert!(policy
        .actions(pr)
        .all(|a| policy.can(root, a, &ok) || policy.action_name(a) == "merge"));
}

// ---------------------------------------------------------------------------
// Bad documents: exact messages, naming the item and its path
// ---------------------------------------------------------------------------

/// `base()` with `edit` applied.
fn edited(edit: impl FnOnce(&mut Value)) -> Value {
    let mut doc = base();
    edit(&mut doc);
    doc
}

/// Asserts that `doc` fails to compile with exactly `expected`, whose front is
/// the error's path.
#[track_caller]
fn fails(doc: &Value, expected: &str) {
    match Policy::compile(&def_of(doc)) {
        Ok(_) => panic!("compiled, expected error: {expected}"),
        Err(e) => {
            assert_eq!(e.to_string(), expected);
            assert!(
                expected.starts_with(&format!("{}: ", e.path())),
                "path {} not at the front of {expected}",
                e.path()
            );
        }
    }
}

#[test]
fn base_document_compiles() {
    compile(&base());
}

#[test]
fn parent_chains_must_be_acyclic_known_and_short() {
    fails(
        &edited(|d| d["kinds"]["org"]["parent"] = json!("pr")),
        "kinds.org.parent: parent cycle org -> pr -> repo -> org",
    );
    fails(
        &edited(|d| d["kinds"]["team"]["parent"] = json!("team")),
        "kinds.team.parent: parent cycle team -> team",
    );
    fails(
        &edited(|d| d["kinds"]["team"]["parent"] = json!("orgg")),
        "kinds.team.parent: unknown kind `orgg` (did you mean `org`?)",
    );
    fails(
        &edited(|d| d["kinds"]["team"]["parent"] = json!("zzzzzz")),
        "kinds.team.parent: unknown kind `zzzzzz`",
    );
    // org < repo < pr < a1 < a2: a2 has 4 ancestors, a3 would have 5.
    let four = edited(|d| {
        d["kinds"]["a1"] = json!({ "actions": ["x"], "parent": "pr" });
        d["kinds"]["a2"] = json!({ "actions": ["x"], "parent": "a1" });
    });
    compile(&four);
    let mut five = four.clone();
    five["kinds"]["a3"] = json!({ "actions": ["x"], "parent": "a2" });
    fails(
        &five,
        "kinds.a3.parent: kind `a3` has more than 4 ancestors",
    );
}

#[test]
fn rules_in_a_kind_that_is_not_an_ancestor_are_refused() {
    fails(
        &edited(|d| d["roles"]["Dev"]["exceptions"][0]["in"] = json!("team")),
        "roles.Dev.exceptions[0].in: kind `team` is not an ancestor of kind `pr` (its ancestors are `repo`, `org`)",
    );
    fails(
        &edited(|d| d["roles"]["Dev"]["exceptions"][0]["in"] = json!("pr")),
        "roles.Dev.exceptions[0].in: kind `pr` is not an ancestor of kind `pr` (its ancestors are `repo`, `org`)",
    );
    fails(
        &edited(|d| d["roles"]["Dev"]["exceptions"][0]["in"] = json!("orgg")),
        "roles.Dev.exceptions[0].in: unknown kind `orgg` (did you mean `org`?)",
    );
    // A descendant is not an ancestor.
    fails(
        &edited(|d| {
            d["subjects"]["eve"]["exceptions"] =
                json!([{ "kind": "org", "in": "pr", "id": 1, "deny": ["see"] }]);
        }),
        "subjects.eve.exceptions[0].in: kind `pr` is not an ancestor of kind `org` (it has no ancestor)",
    );
    fails(
        &edited(|d| d["roles"]["Dev"]["restrictions"][0]["in"] = json!("team")),
        "roles.Dev.restrictions[0].in: kind `team` is not an ancestor of kind `repo` (its ancestors are `org`)",
    );
    fails(
        &edited(|d| {
            d["roles"]["Dev"]["restrictions"][0]["kind"] = json!("org");
            d["roles"]["Dev"]["restrictions"][0]["actions"] = json!(["see"]);
        }),
        "roles.Dev.restrictions[0].in: kind `org` is not an ancestor of kind `org` (it has no ancestor)",
    );
}

#[test]
fn prerequisites_on_ancestor_need_an_ancestor() {
    fails(
        &edited(|d| {
            d["kinds"]["pr"]["prerequisites"][0]["kind"] = json!("team");
            d["kinds"]["pr"]["prerequisites"][0]["actions"] = json!(["join"]);
        }),
        "kinds.pr.prerequisites[0].kind: kind `team` is not an ancestor of kind `pr` (its ancestors are `repo`, `org`)",
    );
    fails(
        &edited(|d| {
            d["kinds"]["org"]["prerequisites"] = json!([
                { "action": "see", "kind": "team", "actions": ["join"], "on_ancestor": true }
            ]);
        }),
        "kinds.org.prerequisites[0].kind: kind `team` is not an ancestor of kind `org` (it has no ancestor)",
    );
}

#[test]
fn ids_must_have_their_kinds_type() {
    // The instance's own kind decides, or with `in`, the ancestor kind.
    fails(
        &edited(|d| d["subjects"]["eve"]["exceptions"][0]["id"] = json!("7")),
        "subjects.eve.exceptions[0].id: kind `pr` has number ids, and `\"7\"` is not one",
    );
    fails(
        &edited(|d| d["roles"]["Dev"]["exceptions"][2]["id"] = json!(3)),
        "roles.Dev.exceptions[2].id: kind `repo` has string ids, and `3` is not one",
    );
    fails(
        &edited(|d| d["roles"]["Dev"]["exceptions"][1]["id"] = json!(3)),
        "roles.Dev.exceptions[1].id: kind `repo` has string ids, and `3` is not one",
    );
    fails(
        &edited(|d| d["roles"]["Dev"]["exceptions"][0]["id"] = json!("1")),
        "roles.Dev.exceptions[0].id: kind `org` has number ids, and `\"1\"` is not one",
    );
    fails(
        &edited(|d| d["roles"]["Dev"]["restrictions"][0]["ids"] = json!([1, "2"])),
        "roles.Dev.restrictions[0].ids[1]: kind `org` has number ids, and `\"2\"` is not one",
    );
    fails(
        &edited(|d| {
            d["subjects"]["eve"]["restrictions"] =
                json!([{ "kind": "repo", "actions": ["push"], "ids": ["a", 5] }]);
        }),
        "subjects.eve.restrictions[0].ids[1]: kind `repo` has string ids, and `5` is not one",
    );
    // An id type that does not exist is a parse error.
    let doc = edited(|d| d["kinds"]["team"]["ids"] = json!("uuid"));
    let err = serde_json::from_value::<PolicyDef>(doc).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown variant `uuid`, expected `number` or `string`"
    );
}

#[test]
fn rule_keys_include_the_ancestor() {
    fails(
        &edited(|d| {
            d["roles"]["Dev"]["exceptions"]
                .as_array_mut()
                .unwrap()
                .push(json!({ "kind": "pr", "in": "org", "id": 1, "allow": ["view"] }));
        }),
        "roles.Dev.exceptions[3]: duplicate exception `pr in org:1`",
    );
    fails(
        &edited(|d| {
            d["roles"]["Dev"]["exceptions"]
                .as_array_mut()
                .unwrap()
                .push(json!({ "kind": "pr", "in": "repo", "id": "acme/web", "allow": ["view"] }));
        }),
        "roles.Dev.exceptions[3]: duplicate exception `pr in repo:acme/web`",
    );
    fails(
        &edited(|d| {
            d["subjects"]["eve"]["exceptions"] = json!([
                { "kind": "pr", "in": "org", "id": 1, "deny": ["view"] },
                { "kind": "pr", "in": "org", "id": 1, "deny": ["merge"] }
            ]);
        }),
        "subjects.eve.exceptions[1]: duplicate exception `pr in org:1`",
    );
    fails(
        &edited(|d| {
            d["roles"]["Dev"]["restrictions"]
                .as_array_mut()
                .unwrap()
                .push(json!({ "kind": "repo", "actions": ["read"], "in": "org", "ids": [3] }));
        }),
        "roles.Dev.restrictions[1]: duplicate restriction `repo in org`",
    );
    // The same id in different places is three keys, not a duplicate.
    compile(&edited(|d| {
        d["subjects"]["eve"]["exceptions"] = json!([
            { "kind": "pr", "in": "org", "id": 1, "deny": ["view"] },
            { "kind": "pr", "in": "repo", "id": "1", "deny": ["merge"] },
            { "kind": "pr", "id": 1, "deny": ["merge"] }
        ]);
    }));
}

/// The question line of an explanation names the resource as the caller gave
/// it: a number id given to a string kind is not shown as the string the policy
/// numbers the same, nor a string id given to a number kind as the policy's
/// internal number for it.
#[test]
fn explain_names_a_mistyped_id_as_given() {
    let doc = base();
    let policy = compile(&doc);
    let root = policy.subject("root").unwrap();
    let repo = policy.kind("repo").unwrap();
    let read = policy.action("repo", "read").unwrap();
    let numbered = policy.resource(repo).with_id(1);
    let text = policy.explain(root, read, &numbered).to_string();
    assert!(text.starts_with("DENY root read repo:1\n"), "{text}");
    assert!(!text.contains("acme/ops"), "{text}");
    let stringed = at("pr", Some(n(7)), &[("repo", s("x")), ("org", s("1"))]);
    let r = stringed.resource(&policy);
    let view = policy.action("pr", "view").unwrap();
    let text = policy.explain(root, view, &r).to_string();
    assert!(!text.contains("9223372036854775810"), "{text}");
}
