//! The decision order's steps, one test each.

mod containment;

use super::*;

use serde_json::json;

fn def(v: serde_json::Value) -> PolicyDef {
    serde_json::from_value(v).unwrap()
}

fn q<'a>(subject: &'a str, kind: &'a str, action: &'a str) -> Question<'a> {
    Question {
        subject,
        kind,
        action,
        ..Question::default()
    }
}

/// A document kind `doc` with view < edit < approve, plus `delete` needing view.
fn doc_kind() -> serde_json::Value {
    json!({
        "actions": ["view", "edit", "approve", "delete"],
        "needs": { "edit": ["view"], "approve": ["edit"], "delete": ["view"] },
        "levels": {
            "None": [],
            "Read": ["view"],
            "Write": ["view", "edit"],
            "Full": ["view", "edit", "approve", "delete"]
        },
        "states": ["draft", "billed"]
    })
}

#[test]
fn step1_unknown_names_deny() {
    let d = def(json!({
        "kinds": { "doc": doc_kind() },
        "roles": { "R": { "grants": { "doc": ["*"] } } },
        "subjects": { "u": { "role": "R" } }
    }));
    assert!(is_allowed(&d, &q("u", "doc", "view")));
    assert!(!is_allowed(&d, &q("nobody", "doc", "view")));
    assert!(!is_allowed(&d, &q("u", "nokind", "view")));
    assert!(!is_allowed(&d, &q("u", "doc", "fly")));
    let mut bad_state = q("u", "doc", "view");
    bad_state.state = Some("lost");
    assert!(!is_allowed(&d, &bad_state));
    assert!(allowed_actions(&d, &bad_state).is_empty());
    let mut good_state = q("u", "doc", "view");
    good_state.state = Some("draft");
    assert!(is_allowed(&d, &good_state));
    // unresolved role and toggle names deny
    let d2 = def(json!({
        "kinds": { "doc": doc_kind() },
        "roles": { "R": { "grants": { "doc": ["*"] } } },
        "subjects": { "u": { "role": "Ghost" }, "v": { "role": "R", "toggles": ["nope"] } }
    }));
    assert!(!is_allowed(&d2, &q("u", "doc", "view")));
    assert!(!is_allowed(&d2, &q("v", "doc", "view")));
}

#[test]
fn step2_unavailable_kind_denies() {
    let mut k = doc_kind();
    k["available"] = json!(false);
    let d = def(json!({
        "kinds": { "doc": k },
        "roles": { "R": { "grants": { "doc": ["*"] } } },
        "subjects": { "u": { "role": "R" } }
    }));
    assert!(!is_allowed(&d, &q("u", "doc", "view")));
    assert!(allowed_actions(&d, &q("u", "doc", "")).is_empty());
}

#[test]
fn step3_levels_roles_bases_removes_toggles() {
    let d = def(json!({
        "kinds": { "doc": doc_kind() },
        "roles": {
            "Base": { "grants": { "doc": { "level": "Write" } } },
            "Derived": { "base": "Base", "grants": { "doc": ["delete"] }, "remove": { "doc": ["view"] } },
            "Deeper": { "base": "Derived", "grants": { "doc": ["approve"] } }
        },
        "toggles": { "Approver": { "grants": { "doc": ["approve"] } } },
        "subjects": {
            "b": { "role": "Base" },
            "d": { "role": "Derived" },
            "e": { "role": "Deeper" },
            "lvl": { "role": "Base", "levels": { "doc": "Read" } },
            "lvl_t": { "role": "Base", "levels": { "doc": "Read" }, "toggles": ["Approver"] }
        }
    }));
    assert_eq!(allowed_actions(&d, &q("b", "doc", "")), ["view", "edit"]);
    // removing view removes everything that needs it
    assert!(allowed_actions(&d, &q("d", "doc", "")).is_empty());
    // the derived-of-derived adds approve, which brings edit and view back
    assert_eq!(
        allowed_actions(&d, &q("e", "doc", "")),
        ["view", "edit", "approve"]
    );
    // an explicit level replaces the role's set
    assert_eq!(allowed_actions(&d, &q("lvl", "doc", "")), ["view"]);
    // toggles add on top of the level
    assert_eq!(
        allowed_actions(&d, &q("lvl_t", "doc", "")),
        ["view", "edit", "approve"]
    );
}

#[test]
fn step3_base_cycle_denies() {
    let d = def(json!({
        "kinds": { "doc": doc_kind() },
        "roles": { "A": { "base": "B", "grants": { "doc": ["view"] } }, "B": { "base": "A" } },
        "subjects": { "u": { "role": "A" } }
    }));
    assert!(!is_allowed(&d, &q("u", "doc", "view")));
    assert!(allowed_actions(&d, &q("u", "doc", "")).is_empty());
}

#[test]
fn step4_scopes() {
    let d = def(json!({
        "kinds": { "doc": doc_kind() },
        "roles": { "R": { "grants": { "doc": { "actions": ["view"], "own": ["edit"], "managed": ["delete"] } } } },
        "subjects": { "u": { "role": "R", "manages": ["m"] }, "m": { "role": "R" }, "o": { "role": "R" } }
    }));
    let at = |owner: Option<&'static str>| Question {
        owner,
        ..q("u", "doc", "")
    };
    assert_eq!(allowed_actions(&d, &at(None)), ["view"]);
    assert_eq!(allowed_actions(&d, &at(Some("u"))), ["view", "edit"]);
    assert_eq!(allowed_actions(&d, &at(Some("m"))), ["view", "delete"]);
    assert_eq!(allowed_actions(&d, &at(Some("o"))), ["view"]);
    assert_eq!(allowed_actions(&d, &at(Some("stranger"))), ["view"]);
}

#[test]
fn step5_exceptions_and_restrictions() {
    let d = def(json!({
        "kinds": { "doc": doc_kind() },
        "roles": {
            "R": {
                "grants": { "doc": { "level": "Write" } },
                "exceptions": [
                    { "kind": "doc", "id": 1, "deny": ["view"] },
                    { "kind": "doc", "id": 2, "level": "Full" },
                    { "kind": "doc", "id": 3, "allow": ["approve"], "deny": ["approve"] }
                ]
            },
            "S": {
                "base": "R",
                "exceptions": [ { "kind": "doc", "id": 1, "allow": ["delete"] } ],
                "restrictions": [ { "kind": "doc", "actions": ["edit"], "ids": [5] } ]
            }
        },
        "subjects": {
            "u": { "role": "R" },
            "w": { "role": "R", "exceptions": [ { "kind": "doc", "id": 2, "level": "Read" } ] },
            "s": { "role": "S" },
            "t": { "role": "S", "restrictions": [ { "kind": "doc", "actions": ["delete"], "ids": [7] } ] }
        }
    }));
    let at = |s: &'static str, id: Option<u64>| Question {
        id: id.map(IdDef::from),
        ..q(s, "doc", "")
    };
    assert_eq!(allowed_actions(&d, &at("u", None)), ["view", "edit"]);
    assert!(allowed_actions(&d, &at("u", Some(1))).is_empty());
    assert_eq!(
        allowed_actions(&d, &at("u", Some(2))),
        ["view", "edit", "approve", "delete"]
    );
    // deny beats allow within one exception
    assert_eq!(allowed_actions(&d, &at("u", Some(3))), ["view", "edit"]);
    // the subject's layer comes last and wins
    assert_eq!(allowed_actions(&d, &at("w", Some(2))), ["view"]);
    // derived: own exception replaces the base's on (doc, 1); restriction on edit
    assert_eq!(allowed_actions(&d, &at("s", Some(1))), ["view", "delete"]);
    assert_eq!(allowed_actions(&d, &at("s", Some(5))), ["view", "edit"]);
    assert_eq!(allowed_actions(&d, &at("s", Some(9))), ["view"]);
    assert_eq!(allowed_actions(&d, &at("s", None)), ["view"]);
    // inherited level exception still applies (restriction came first)
    assert_eq!(
        allowed_actions(&d, &at("s", Some(2))),
        ["view", "edit", "approve", "delete"]
    );
    // the subject's restriction adds delete on 7 only
    assert_eq!(allowed_actions(&d, &at("t", Some(7))), ["view", "delete"]);
    assert_eq!(allowed_actions(&d, &at("t", Some(5))), ["view", "edit"]);
}

#[test]
fn step6_prerequisites() {
    let mut doc = doc_kind();
    doc["prerequisites"] = json!([
        { "action": "approve", "kind": "ledger", "level": "Read" },
        { "action": "delete", "kind": "archive", "actions": [] }
    ]);
    let d = def(json!({
        "kinds": {
            "doc": doc,
            "ledger": { "actions": ["read", "post"], "needs": { "post": ["read"] }, "levels": { "Read": ["read"] } },
            "archive": { "actions": ["x"], "available": false }
        },
        "roles": {
            "R": { "grants": { "doc": ["*"], "ledger": { "own": ["read"] } } },
            "L": { "grants": { "doc": ["*"], "ledger": ["post"] } }
        },
        "subjects": { "u": { "role": "R" }, "l": { "role": "L" } }
    }));
    // scoped grants on the other kind do not meet it; unavailable meets nothing
    assert_eq!(allowed_actions(&d, &q("u", "doc", "")), ["view", "edit"]);
    // an `any` grant on the other kind meets it (post brings read)
    assert_eq!(
        allowed_actions(&d, &q("l", "doc", "")),
        ["view", "edit", "approve"]
    );
}

#[test]
fn step7_state_rules() {
    let mut doc = doc_kind();
    doc["state_rules"] = json!([
        { "state": "billed", "hold": ["edit"], "unless_roles": ["Admin"], "unless_toggles": ["T"] }
    ]);
    let d = def(json!({
        "kinds": { "doc": doc },
        "roles": {
            "Admin": { "grants": { "doc": ["*"] } },
            "SubAdmin": { "base": "Admin" }
        },
        "toggles": { "T": {} },
        "subjects": {
            "a": { "role": "Admin" },
            "s": { "role": "SubAdmin" },
            "t": { "role": "SubAdmin", "toggles": ["T"] },
            "x": { "role": "SubAdmin", "exceptions": [ { "kind": "doc", "id": 1, "allow": ["edit"] } ] }
        }
    }));
    let at = |s: &'static str, state: Option<&'static str>| Question {
        state,
        id: Some(IdDef::from(1)),
        ..q(s, "doc", "")
    };
    assert_eq!(allowed_actions(&d, &at("a", Some("billed"))).len(), 4);
    // held edit takes approve with it; only the own role counts
    assert_eq!(
        allowed_actions(&d, &at("s", Some("billed"))),
        ["view", "delete"]
    );
    assert_eq!(allowed_actions(&d, &at("s", Some("draft"))).len(), 4);
    assert_eq!(allowed_actions(&d, &at("s", None)).len(), 4);
    assert_eq!(allowed_actions(&d, &at("t", Some("billed"))).len(), 4);
    assert_eq!(
        allowed_actions(&d, &at("x", Some("billed"))),
        ["view", "delete"]
    );
}

#[test]
fn step8_implication_cycles_and_chains() {
    let d = def(json!({
        "kinds": { "k": {
            "actions": ["a", "b", "c", "d"],
            "needs": { "a": ["b"], "b": ["a"], "c": ["b"], "d": ["c"] }
        } },
        "roles": {
            "R": { "grants": { "k": ["a"] } },
            "D": { "grants": { "k": ["d"] } },
            "X": { "base": "D", "remove": { "k": ["b"] } }
        },
        "subjects": { "r": { "role": "R" }, "d": { "role": "D" }, "x": { "role": "X" } }
    }));
    assert_eq!(allowed_actions(&d, &q("r", "k", "")), ["a", "b"]);
    assert_eq!(allowed_actions(&d, &q("d", "k", "")), ["a", "b", "c", "d"]);
    assert!(allowed_actions(&d, &q("x", "k", "")).is_empty());
}

#[test]
fn step9_membership() {
    let d = def(json!({
        "kinds": { "doc": doc_kind() },
        "roles": { "R": { "grants": { "doc": ["delete"] } } },
        "subjects": { "u": { "role": "R" } }
    }));
    assert!(is_allowed(&d, &q("u", "doc", "delete")));
    assert!(is_allowed(&d, &q("u", "doc", "view")));
    assert!(!is_allowed(&d, &q("u", "doc", "edit")));
}

#[test]
fn invalid_documents_do_not_panic() {
    let d = def(json!({
        "kinds": { "doc": { "actions": ["view"], "needs": { "view": ["ghost"] } } },
        "roles": { "R": { "grants": { "doc": ["nope"] } } },
        "subjects": { "u": { "role": "R", "levels": { "doc": "Missing" } } }
    }));
    assert!(!is_allowed(&d, &q("u", "doc", "view")));
    assert!(allowed_actions(&d, &q("u", "doc", "")).is_empty());
    let empty = PolicyDef::default();
    assert!(!is_allowed(&empty, &q("", "", "")));
}
