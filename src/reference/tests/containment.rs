//! Containment: rules written in ancestors, inconsistent resources, and
//! prerequisites on ancestors.

use super::*;

/// `org` (number ids) > `db` (string ids) > `contact` (number ids).
fn nested(roles: serde_json::Value, subjects: serde_json::Value) -> PolicyDef {
    def(json!({
        "kinds": {
            "org": { "actions": ["admin", "see"], "needs": { "admin": ["see"] } },
            "db": { "actions": ["open", "push"], "needs": { "push": ["open"] }, "parent": "org", "ids": "string" },
            "contact": {
                "actions": ["view", "edit", "delete"],
                "needs": { "edit": ["view"], "delete": ["view"] },
                "levels": { "None": [], "Read": ["view"], "Full": ["view", "edit", "delete"] },
                "parent": "db"
            }
        },
        "roles": roles,
        "subjects": subjects
    }))
}

/// A question about contact `id` (if any) inside `ancestors`, listing actions.
fn contact<'a>(subject: &'a str, id: Option<u64>, ancestors: &[(&'a str, IdDef)]) -> Question<'a> {
    Question {
        id: id.map(IdDef::from),
        ancestors: ancestors.to_vec(),
        ..q(subject, "contact", "")
    }
}

fn db(id: &str) -> (&'static str, IdDef) {
    ("db", IdDef::from(id))
}

fn org(id: u64) -> (&'static str, IdDef) {
    ("org", IdDef::from(id))
}

#[test]
fn containment_ancestor_rules_apply_outermost_first_then_own() {
    let d = nested(
        json!({ "R": {
            "grants": { "contact": ["edit"] },
            "exceptions": [
                { "kind": "contact", "in": "org", "id": 1, "deny": ["view"] },
                { "kind": "contact", "in": "db", "id": "s1", "allow": ["edit"] },
                { "kind": "contact", "id": 5, "level": "Read" }
            ]
        } }),
        json!({
            "u": { "role": "R" },
            "w": { "role": "R", "exceptions": [
                { "kind": "contact", "in": "org", "id": 1, "allow": ["delete"] },
                { "kind": "contact", "in": "db", "id": "s2", "deny": ["view"] }
            ] }
        }),
    );
    let list = |s, id, anc: &[(&'static str, IdDef)]| allowed_actions(&d, &contact(s, id, anc));
    // No ancestor given: no ancestor rule applies.
    assert_eq!(list("u", Some(9), &[]), ["view", "edit"]);
    // The org's deny, then the db's allow: the db (inner) wins.
    assert_eq!(list("u", Some(9), &[db("s1"), org(1)]), ["view", "edit"]);
    assert!(list("u", Some(9), &[db("s0"), org(1)]).is_empty());
    // Only the parent given: the org's rule does not apply.
    assert_eq!(list("u", Some(9), &[db("s1")]), ["view", "edit"]);
    assert_eq!(list("u", Some(9), &[db("s0")]), ["view", "edit"]);
    // The instance's own exception comes after both.
    assert_eq!(list("u", Some(5), &[db("s0"), org(1)]), ["view"]);
    assert_eq!(list("u", None, &[db("s0"), org(1)]), Vec::<String>::new());
    // The subject's layer comes after the role's, ancestors first again.
    assert_eq!(list("w", Some(9), &[db("s0"), org(1)]), ["view", "delete"]);
    assert_eq!(list("w", Some(5), &[db("s0"), org(1)]), ["view", "delete"]);
    assert!(list("w", Some(5), &[db("s2"), org(1)]).is_empty());
    // String ids match exactly.
    for near in ["S1", "s1 ", ""] {
        assert!(
            list("u", Some(9), &[db(near), org(1)]).is_empty(),
            "{near:?}"
        );
    }
}

#[test]
fn containment_restrictions_in_ancestors() {
    let d = nested(
        json!({
            "R": {
                "grants": { "contact": ["edit"] },
                "restrictions": [ { "kind": "contact", "actions": ["edit"], "in": "db", "ids": ["s1", "s2"] } ]
            },
            "Outer": {
                "grants": { "contact": ["view"] },
                "restrictions": [ { "kind": "contact", "actions": ["edit"], "in": "org", "ids": [1] } ],
                "exceptions": [ { "kind": "contact", "in": "db", "id": "s0", "deny": ["edit"] } ]
            }
        }),
        json!({
            "u": { "role": "R" },
            "o": { "role": "Outer" }
        }),
    );
    let list = |s, anc: &[(&'static str, IdDef)]| allowed_actions(&d, &contact(s, Some(7), anc));
    assert_eq!(list("u", &[db("s1")]), ["view", "edit"]);
    assert_eq!(list("u", &[db("s2"), org(9)]), ["view", "edit"]);
    assert_eq!(list("u", &[db("s3")]), ["view"]);
    assert_eq!(list("u", &[db("S1")]), ["view"]);
    // Ancestor not given: closed up.
    assert_eq!(list("u", &[]), ["view"]);
    // A restriction in the org adds edit in org 1 (closed down: view too);
    // the db's exception, inner, comes after and takes it away again.
    assert_eq!(list("o", &[db("s9"), org(1)]), ["view", "edit"]);
    assert_eq!(list("o", &[db("s0"), org(1)]), ["view"]);
    assert_eq!(list("o", &[db("s9"), org(2)]), ["view"]);
    assert_eq!(list("o", &[db("s9")]), ["view"]);
}

#[test]
fn containment_derived_role_replaces_on_the_same_key() {
    let d = nested(
        json!({
            "Base": {
                "grants": { "contact": ["edit"] },
                "exceptions": [
                    { "kind": "contact", "in": "db", "id": "s1", "deny": ["edit"] },
                    { "kind": "contact", "in": "org", "id": 1, "deny": ["edit"] },
                    { "kind": "contact", "id": 1, "deny": ["view"] }
                ],
                "restrictions": [ { "kind": "contact", "actions": ["delete"], "in": "db", "ids": ["s1"] } ]
            },
            "Derived": {
                "base": "Base",
                "exceptions": [ { "kind": "contact", "in": "db", "id": "s1", "allow": ["delete"] } ],
                "restrictions": [ { "kind": "contact", "actions": ["delete"], "in": "db", "ids": ["s2"] } ]
            }
        }),
        json!({ "b": { "role": "Base" }, "d": { "role": "Derived" } }),
    );
    let list =
        |s, id, anc: &[(&'static str, IdDef)]| allowed_actions(&d, &contact(s, Some(id), anc));
    // The base's restriction adds delete in s1, its exception there takes
    // edit away.
    assert_eq!(list("b", 7, &[db("s1")]), ["view", "delete"]);
    assert_eq!(list("b", 7, &[db("s2")]), ["view", "edit"]);
    // The derived role's (db, "s1") exception replaces the base's; its
    // restriction replaces the base's on (contact, in db), so delete holds in
    // s2 and is added back by the exception in s1.
    assert_eq!(list("d", 7, &[db("s1")]), ["view", "edit", "delete"]);
    assert_eq!(list("d", 7, &[db("s2")]), ["view", "edit", "delete"]);
    assert_eq!(list("d", 7, &[db("s3")]), ["view", "edit"]);
    // Keys that differ stay inherited: the org's and the instance's own.
    assert_eq!(list("d", 7, &[db("s3"), org(1)]), ["view"]);
    assert!(list("d", 1, &[db("s1")]).is_empty());
}

#[test]
fn containment_inconsistent_resources_deny_everything() {
    let d = nested(
        json!({ "Super": { "grants": { "contact": ["*"], "db": ["*"], "org": ["*"] } } }),
        json!({ "su": { "role": "Super" } }),
    );
    let ok = |anc: &[(&'static str, IdDef)]| {
        !allowed_actions(&d, &contact("su", Some(1), anc)).is_empty()
    };
    assert!(ok(&[]));
    assert!(ok(&[db("s1")]));
    assert!(ok(&[db("s1"), org(3)]));
    // An ancestor of the wrong kind, or out of order.
    assert!(!ok(&[org(3)]));
    assert!(!ok(&[org(3), db("s1")]));
    assert!(!ok(&[("contact", IdDef::from(1))]));
    assert!(!ok(&[("nokind", IdDef::from(1))]));
    // More ancestors than the chain is long.
    assert!(!ok(&[db("s1"), org(3), org(3)]));
    // A number id on a string kind, and the other way round.
    assert!(!ok(&[("db", IdDef::from(1))]));
    assert!(!ok(&[db("s1"), ("org", IdDef::from("3"))]));
    let own_string = Question {
        id: Some(IdDef::from("1")),
        ..contact("su", None, &[])
    };
    assert!(allowed_actions(&d, &own_string).is_empty());
    assert!(!is_allowed(
        &d,
        &Question {
            action: "view",
            ..own_string
        }
    ));
    let db_number = Question {
        id: Some(IdDef::from(1)),
        ..q("su", "db", "open")
    };
    assert!(!is_allowed(&d, &db_number));
    let db_string = Question {
        id: Some(IdDef::from("1")),
        ancestors: vec![org(1)],
        ..q("su", "db", "open")
    };
    assert!(is_allowed(&d, &db_string));
    // A kind without a parent takes no ancestors.
    let top = Question {
        ancestors: vec![org(1)],
        ..q("su", "org", "see")
    };
    assert!(!is_allowed(&d, &top));
}

#[test]
fn containment_prerequisites_on_ancestors_are_decided_in_full() {
    let d = def(json!({
        "kinds": {
            "org": { "actions": ["own"] },
            "repo": {
                "actions": ["read", "push"], "needs": { "push": ["read"] },
                "levels": { "Reader": ["read"], "Writer": ["read", "push"] },
                "parent": "org", "ids": "string",
                "prerequisites": [ { "action": "push", "kind": "org", "actions": ["own"], "on_ancestor": true } ]
            },
            "pr": {
                "actions": ["comment", "merge"], "parent": "repo",
                "prerequisites": [
                    { "action": "merge", "kind": "repo", "actions": ["push"], "on_ancestor": true },
                    { "action": "comment", "kind": "org", "level": null, "actions": ["own"], "on_ancestor": true }
                ]
            },
            "off": { "actions": ["x"], "available": false }
        },
        "roles": {
            "Dev": {
                "grants": { "pr": ["*"], "repo": ["push"], "org": ["own"] },
                "exceptions": [
                    { "kind": "repo", "id": "web", "deny": ["push"] },
                    { "kind": "repo", "in": "org", "id": 2, "deny": ["push"] },
                    { "kind": "org", "id": 3, "deny": ["own"] }
                ]
            },
            "Scoped": { "grants": { "pr": ["*"], "repo": { "own": ["push"] }, "org": ["own"] } }
        },
        "subjects": { "dan": { "role": "Dev" }, "sam": { "role": "Scoped" } }
    }));
    let pr = |s, anc: Vec<(&'static str, IdDef)>| Question {
        id: Some(IdDef::from(10)),
        ancestors: anc,
        ..q(s, "pr", "")
    };
    let repo = |id: &str| ("repo", IdDef::from(id));
    // Parent not given: neither prerequisite is met.
    assert!(allowed_actions(&d, &pr("dan", vec![])).is_empty());
    // Parent given, grandparent not: push on the repo needs own on the org,
    // which is not given, so push is not held and merge is removed; comment
    // needs the org too.
    assert!(allowed_actions(&d, &pr("dan", vec![repo("api")])).is_empty());
    assert_eq!(
        allowed_actions(&d, &pr("dan", vec![repo("api"), ("org", IdDef::from(1))])),
        ["comment", "merge"]
    );
    // The repo's own exception counts (decided in full)...
    assert_eq!(
        allowed_actions(&d, &pr("dan", vec![repo("web"), ("org", IdDef::from(1))])),
        ["comment"]
    );
    // ...and so do rules on the repo written in the org above it.
    assert_eq!(
        allowed_actions(&d, &pr("dan", vec![repo("api"), ("org", IdDef::from(2))])),
        ["comment"]
    );
    // An exception on the org takes own away: push on the repo goes, and with
    // it merge; comment, on the org directly, goes too.
    assert!(allowed_actions(&d, &pr("dan", vec![repo("api"), ("org", IdDef::from(3))])).is_empty());
    // A scoped grant on the parent does not count: the parent is asked with
    // no owner.
    assert_eq!(
        allowed_actions(&d, &pr("sam", vec![repo("api"), ("org", IdDef::from(1))])),
        ["comment"]
    );
}

#[test]
fn containment_prerequisite_on_an_unavailable_ancestor_is_unmet() {
    let d = def(json!({
        "kinds": {
            "box": { "actions": ["open"], "available": false },
            "item": {
                "actions": ["take", "look"], "parent": "box",
                "prerequisites": [ { "action": "take", "kind": "box", "actions": ["open"], "on_ancestor": true } ]
            }
        },
        "roles": { "R": { "grants": { "box": ["open"], "item": ["*"] } } },
        "subjects": { "u": { "role": "R" } }
    }));
    let item = Question {
        ancestors: vec![("box", IdDef::from(1))],
        ..q("u", "item", "")
    };
    assert_eq!(allowed_actions(&d, &item), ["look"]);
}

#[test]
fn containment_bad_documents_deny_without_looping() {
    let grants = json!({ "R": { "grants": { "a": ["x"], "b": ["x"], "c": ["x"] } } });
    let subjects = json!({ "u": { "role": "R" } });
    let kinds = |a: serde_json::Value, b: serde_json::Value, c: serde_json::Value| {
        def(json!({
            "kinds": { "a": a, "b": b, "c": c },
            "roles": grants.clone(),
            "subjects": subjects.clone()
        }))
    };
    let x = json!({ "actions": ["x"] });
    let with_parent = |p: &str| json!({ "actions": ["x"], "parent": p });
    // A cycle through the kind, a cycle above it, a self-parent, an unknown parent.
    let cyc = kinds(with_parent("b"), with_parent("a"), x.clone());
    assert!(!is_allowed(&cyc, &q("u", "a", "x")));
    assert!(is_allowed(&cyc, &q("u", "c", "x")));
    let above = kinds(with_parent("b"), with_parent("c"), with_parent("b"));
    assert!(!is_allowed(&above, &q("u", "a", "x")));
    let own = kinds(with_parent("a"), x.clone(), x.clone());
    assert!(!is_allowed(&own, &q("u", "a", "x")));
    let unknown = kinds(with_parent("zz"), x.clone(), x.clone());
    assert!(!is_allowed(&unknown, &q("u", "a", "x")));
    assert!(is_allowed(&unknown, &q("u", "b", "x")));

    // A chain of 4 is fine, 5 is too deep.
    let chain = |n: usize| {
        let mut kinds = serde_json::Map::new();
        let mut roles = serde_json::Map::new();
        let mut g = serde_json::Map::new();
        for i in 0..=n {
            let mut k = json!({ "actions": ["x"] });
            if i < n {
                k["parent"] = json!(format!("k{}", i + 1));
            }
            kinds.insert(format!("k{i}"), k);
            g.insert(format!("k{i}"), json!(["x"]));
        }
        roles.insert("R".into(), json!({ "grants": g }));
        def(json!({ "kinds": kinds, "roles": roles, "subjects": { "u": { "role": "R" } } }))
    };
    assert!(is_allowed(&chain(4), &q("u", "k0", "x")));
    assert!(!is_allowed(&chain(5), &q("u", "k0", "x")));
    assert!(is_allowed(&chain(5), &q("u", "k1", "x")));

    // Rules `in` a kind that is not an ancestor, and a prerequisite on one.
    let not_ancestor = def(json!({
        "kinds": { "p": { "actions": ["x"] }, "c": { "actions": ["x"], "parent": "p" }, "o": { "actions": ["x"] } },
        "roles": { "R": { "grants": { "c": ["x"], "p": ["x"] } },
                   "E": { "grants": { "c": ["x"], "p": ["x"] }, "exceptions": [ { "kind": "c", "in": "o", "id": 1, "deny": ["x"] } ] },
                   "S": { "grants": { "c": ["x"], "p": ["x"] }, "restrictions": [ { "kind": "p", "actions": ["x"], "in": "c", "ids": [1] } ] } },
        "subjects": { "r": { "role": "R" }, "e": { "role": "E" }, "s": { "role": "S" } }
    }));
    assert!(is_allowed(&not_ancestor, &q("r", "c", "x")));
    assert!(!is_allowed(&not_ancestor, &q("e", "c", "x")));
    assert!(is_allowed(&not_ancestor, &q("e", "p", "x")));
    assert!(!is_allowed(&not_ancestor, &q("s", "p", "x")));
    let mut prereq = not_ancestor.clone();
    if let Some(c) = prereq.kinds.get_mut("c") {
        c.prerequisites.push(crate::def::PrerequisiteDef {
            action: "x".into(),
            kind: "o".into(),
            on_ancestor: true,
            ..Default::default()
        });
    }
    assert!(!is_allowed(&prereq, &q("r", "c", "x")));
    assert!(is_allowed(&prereq, &q("r", "p", "x")));
}
