//! The catalogue of bad input: every malformed document here must fail to compile
//! with exactly this message (which names the item and its path), never panic, and
//! never compile into something more permissive.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use accessmask::{Item, Policy, PolicyDef, PolicyError};
use serde_json::{json, Value};

/// A small valid base document that cases modify.
fn base() -> Value {
    json!({
        "kinds": {
            "journey": {
                "actions": ["view", "edit", "delete"],
                "needs": { "edit": ["view"], "delete": ["edit"] },
                "levels": { "No Access": [], "Read Only": ["view"], "Full": ["view", "edit", "delete"] },
                "states": ["draft", "live"],
                "state_rules": [ { "state": "live", "hold": ["edit"], "unless_roles": ["Admin"] } ]
            },
            "database": { "actions": ["view", "create"] }
        },
        "roles": {
            "Admin": { "grants": { "journey": ["*"], "database": ["*"] } },
            "Designer": { "grants": { "journey": ["view"] } }
        },
        "toggles": { "Creator": { "grants": { "database": ["create"] } } },
        "subjects": {
            "ann": { "role": "Admin" },
            "bob": { "role": "Designer", "toggles": ["Creator"] }
        }
    })
}

/// Sets `value` at the JSON pointer `at` (creating objects on the way).
fn with(mut doc: Value, at: &str, value: Value) -> Value {
    let mut cur = &mut doc;
    for part in at.split('/').skip(1) {
        if cur.is_null() {
            *cur = Value::Object(Default::default());
        }
        cur = match cur {
            Value::Object(m) => m.entry(part.to_string()).or_insert(Value::Null),
            Value::Array(a) => {
                let i: usize = part.parse().unwrap();
                &mut a[i]
            }
            _ => panic!("cannot descend into {part}"),
        };
    }
    *cur = value;
    doc
}

fn compile(doc: &Value) -> Result<Policy, PolicyError> {
    let def: PolicyDef = serde_json::from_value(doc.clone()).expect("document should parse");
    Policy::compile(&def)
}

#[track_caller]
fn fails(doc: Value, expected: &str) -> PolicyError {
    match compile(&doc) {
        Ok(_) => panic!("compiled, expected error: {expected}"),
        Err(e) => {
            assert_eq!(e.to_string(), expected);
            assert!(
                expected.starts_with(e.path()),
                "path {} not at the front",
                e.path()
            );
            e
        }
    }
}

#[test]
fn base_document_compiles() {
    compile(&base()).unwrap();
}

#[test]
fn catalogue() {
    let cases: Vec<(Value, &str)> = vec![
        (
            with(base(), "/roles/Designer/grants/jouney", json!(["view"])),
            "roles.Designer.grants.jouney: unknown kind `jouney` (did you mean `journey`?)",
        ),
        (
            with(base(), "/roles/Designer/grants/journey", json!(["veiw"])),
            "roles.Designer.grants.journey.actions[0]: unknown action `veiw` (did you mean `view`?)",
        ),
        (
            with(base(), "/roles/Designer/grants/journey", json!(["create"])),
            "roles.Designer.grants.journey.actions[0]: `create` is an action of kind `database`, not of kind `journey`",
        ),
        (
            with(base(), "/roles/Designer/grants/journey", json!({"level": "Fulll"})),
            "roles.Designer.grants.journey.level: unknown level `Fulll` (did you mean `Full`?)",
        ),
        (
            with(base(), "/roles/Designer/grants/journey", json!({"own": ["zzz"]})),
            "roles.Designer.grants.journey.own[0]: unknown action `zzz`",
        ),
        (
            with(base(), "/roles/Designer/grants/journey", json!({"managed": ["view", "view"]})),
            "roles.Designer.grants.journey.managed[1]: duplicate action `view`",
        ),
        (
            with(base(), "/roles/Designer/grants/journey", json!([""])),
            "roles.Designer.grants.journey.actions[0]: empty action name",
        ),
        (
            with(base(), "/roles/Designer/base", json!("Admn")),
            "roles.Designer.base: unknown role `Admn` (did you mean `Admin`?)",
        ),
        (
            with(with(base(), "/roles/Designer/base", json!("Admin")), "/roles/Admin/base", json!("Designer")),
            "roles.Designer.base: base-role cycle Admin -> Designer -> Admin",
        ),
        (
            with(base(), "/roles/Admin/base", json!("Admin")),
            "roles.Admin.base: base-role cycle Admin -> Admin",
        ),
        (
            with(base(), "/roles/Designer/remove/journy", json!(["view"])),
            "roles.Designer.remove.journy: unknown kind `journy` (did you mean `journey`?)",
        ),
        (
            with(base(), "/roles/Designer/remove/journey", json!(["wiew"])),
            "roles.Designer.remove.journey[0]: unknown action `wiew` (did you mean `view`?)",
        ),
        (
            with(base(), "/roles/Designer/exceptions", json!([{"kind": "journey", "id": 5}])),
            "roles.Designer.exceptions[0]: an exception sets no level and allows or denies nothing",
        ),
        (
            with(base(), "/roles/Designer/exceptions", json!([{"kind": "journey", "id": 5, "level": "Full", "deny": ["view"]}])),
            "roles.Designer.exceptions[0]: an exception sets a level or lists allow and deny, not both",
        ),
        (
            with(base(), "/roles/Designer/exceptions", json!([{"kind": "jorney", "id": 5, "allow": ["view"]}])),
            "roles.Designer.exceptions[0].kind: unknown kind `jorney` (did you mean `journey`?)",
        ),
        (
            with(base(), "/roles/Designer/exceptions", json!([{"kind": "journey", "id": 5, "level": "Ful"}])),
            "roles.Designer.exceptions[0].level: unknown level `Ful` (did you mean `Full`?)",
        ),
        (
            with(base(), "/roles/Designer/exceptions", json!([{"kind": "journey", "id": 5, "deny": ["edit"]}, {"kind": "journey", "id": 5, "allow": ["edit"]}])),
            "roles.Designer.exceptions[1]: duplicate exception `journey:5`",
        ),
        (
            with(base(), "/roles/Designer/restrictions", json!([{"kind": "journey", "actions": [], "ids": [1]}])),
            "roles.Designer.restrictions[0].actions: a restriction restricts no action",
        ),
        (
            with(base(), "/roles/Designer/restrictions", json!([{"kind": "journey", "actions": ["edit"], "ids": [1]}, {"kind": "journey", "actions": ["view"], "ids": [2]}])),
            "roles.Designer.restrictions[1]: duplicate restriction `journey`",
        ),
        (
            with(base(), "/toggles/Creator/grants/databse", json!(["create"])),
            "toggles.Creator.grants.databse: unknown kind `databse` (did you mean `database`?)",
        ),
        (
            with(base(), "/subjects/bob/role", json!("Desginer")),
            "subjects.bob.role: unknown role `Desginer` (did you mean `Designer`?)",
        ),
        (
            with(base(), "/subjects/bob/role", json!("")),
            "subjects.bob.role: empty role name",
        ),
        (
            with(base(), "/subjects/bob/toggles", json!(["Creater"])),
            "subjects.bob.toggles[0]: unknown toggle `Creater` (did you mean `Creator`?)",
        ),
        (
            with(base(), "/subjects/bob/toggles", json!(["Creator", "Creator"])),
            "subjects.bob.toggles[1]: duplicate toggle `Creator`",
        ),
        (
            with(base(), "/subjects/bob/levels/journey", json!("Read only")),
            "subjects.bob.levels.journey: unknown level `Read only` (did you mean `Read Only`?)",
        ),
        (
            with(base(), "/subjects/bob/levels/database", json!("Full")),
            "subjects.bob.levels.database: unknown level `Full`",
        ),
        (
            with(base(), "/subjects/bob/manages", json!(["bob"])),
            "subjects.bob.manages[0]: subject `bob` manages itself",
        ),
        (
            with(base(), "/subjects/bob/manages", json!(["anne"])),
            "subjects.bob.manages[0]: unknown subject `anne` (did you mean `ann`?)",
        ),
        (
            with(base(), "/subjects/bob/manages", json!(["ann", "ann"])),
            "subjects.bob.manages[1]: duplicate subject `ann`",
        ),
        (
            with(base(), "/subjects/bob/exceptions", json!([{"kind": "journey", "id": 1, "allow": ["delete"], "deny": ["vew"]}])),
            "subjects.bob.exceptions[0].deny[0]: unknown action `vew` (did you mean `view`?)",
        ),
        (
            with(base(), "/subjects/bob/restrictions", json!([{"kind": "database", "actions": ["edit"], "ids": [1]}])),
            "subjects.bob.restrictions[0].actions[0]: `edit` is an action of kind `journey`, not of kind `database`",
        ),
        (
            with(base(), "/kinds/journey/actions", json!(["view", "edit", "view"])),
            "kinds.journey.actions[2]: duplicate action `view`",
        ),
        (
            with(base(), "/kinds/database/actions", json!(["view", ""])),
            "kinds.database.actions[1]: empty action name",
        ),
        (
            with(base(), "/kinds/database/actions", json!((0..65).map(|i| format!("a{i}")).collect::<Vec<_>>())),
            "kinds.database.actions: kind `database` has 65 actions, more than the limit of 64",
        ),
        (
            with(base(), "/kinds/journey/needs/edt", json!(["view"])),
            "kinds.journey.needs.edt: unknown action `edt` (did you mean `edit`?)",
        ),
        (
            with(base(), "/kinds/journey/needs/edit", json!(["create"])),
            "kinds.journey.needs.edit[0]: unknown action `create`",
        ),
        (
            with(base(), "/kinds/journey/levels/Full", json!([])),
            "kinds.journey.levels.Full: level `Full` lacks `view`, which the level below it (`Read Only`) holds",
        ),
        (
            with(base(), "/kinds/journey/states", json!(["draft", "draft"])),
            "kinds.journey.states[1]: duplicate state `draft`",
        ),
        (
            with(base(), "/kinds/journey/state_rules/0/state", json!("lve")),
            "kinds.journey.state_rules[0].state: unknown state `lve` (did you mean `live`?)",
        ),
        (
            with(base(), "/kinds/journey/state_rules/0/hold", json!([])),
            "kinds.journey.state_rules[0].hold: a state rule holds back no action",
        ),
        (
            with(base(), "/kinds/journey/state_rules/0/unless_roles", json!(["Admni"])),
            "kinds.journey.state_rules[0].unless_roles[0]: unknown role `Admni` (did you mean `Admin`?)",
        ),
        (
            with(base(), "/kinds/journey/state_rules/0/unless_toggles", json!(["Nope"])),
            "kinds.journey.state_rules[0].unless_toggles[0]: unknown toggle `Nope`",
        ),
        (
            with(base(), "/kinds/journey/prerequisites", json!([{"action": "edit", "kind": "database"}])),
            "kinds.journey.prerequisites[0]: a prerequisite needs no action (name `actions` or a `level`)",
        ),
        (
            with(base(), "/kinds/journey/prerequisites", json!([{"action": "edit", "kind": "dtabase", "actions": ["view"]}])),
            "kinds.journey.prerequisites[0].kind: unknown kind `dtabase` (did you mean `database`?)",
        ),
        (
            with(base(), "/kinds/journey/prerequisites", json!([{"action": "publish", "kind": "database", "actions": ["view"]}])),
            "kinds.journey.prerequisites[0].action[0]: unknown action `publish`",
        ),
        (
            with(
                with(base(), "/kinds/journey/prerequisites", json!([{"action": "edit", "kind": "database", "actions": ["create"]}])),
                "/kinds/database/prerequisites",
                json!([{"action": "create", "kind": "journey", "actions": ["edit"]}]),
            ),
            "kinds.journey.prerequisites[0]: prerequisite cycle journey.edit -> database.create -> journey.edit",
        ),
        (
            with(base(), "/kinds/journey/prerequisites", json!([{"action": "edit", "kind": "journey", "actions": ["edit"]}])),
            "kinds.journey.prerequisites[0]: prerequisite cycle journey.edit -> journey.edit",
        ),
        (
            with(base(), "/kinds/journey/prerequisites", json!([{"action": "edit", "kind": "database", "level": "Full"}])),
            "kinds.journey.prerequisites[0].level: unknown level `Full`",
        ),
    ];
    assert!(cases.len() >= 40, "{} cases", cases.len());
    for (doc, expected) in cases {
        fails(doc, expected);
    }
}

#[test]
fn duplicate_names_in_maps_are_reported_not_overwritten() {
    // serde_json into a NamedMap keeps both entries; the compiler reports the second.
    let text = r#"{"kinds": {"a": {"actions": ["x"]}, "a": {"actions": ["y"]}}}"#;
    let def: PolicyDef = serde_json::from_str(text).unwrap();
    let err = Policy::compile(&def).unwrap_err();
    assert_eq!(err.to_string(), "kinds.a: duplicate kind `a`");
    let text = r#"{"kinds": {"k": {"actions": ["x"]}}, "roles": {"R": {}, "R": {"grants": {"k": ["x"]}}}}"#;
    let def: PolicyDef = serde_json::from_str(text).unwrap();
    assert_eq!(
        Policy::compile(&def).unwrap_err(),
        PolicyError::Duplicate {
            path: "roles.R".into(),
            what: Item::Role,
            name: "R".into()
        }
    );
    let text = r#"{"kinds": {"k": {"actions": ["x"]}}, "roles": {"R": {"grants": {"k": ["x"], "k": []}}}}"#;
    let def: PolicyDef = serde_json::from_str(text).unwrap();
    assert_eq!(
        Policy::compile(&def).unwrap_err().to_string(),
        "roles.R.grants.k: duplicate kind `k`"
    );
}

#[test]
fn empty_names_are_errors() {
    let def: PolicyDef = serde_json::from_str(r#"{"roles": {"": {}}}"#).unwrap();
    assert_eq!(
        Policy::compile(&def).unwrap_err().to_string(),
        "roles[0]: empty role name"
    );
    let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"": {"actions": []}}}"#).unwrap();
    assert_eq!(
        Policy::compile(&def).unwrap_err().to_string(),
        "kinds[0]: empty kind name"
    );
}

#[test]
fn wrong_types_are_serde_errors_with_position() {
    let cases = [
        (r#"{"kinds": {"k": {"actions": "view"}}}"#, "invalid type: string \"view\", expected a sequence at line 1 column 34"),
        (r#"{"roles": {"R": {"grants": {"k": 5}}}}"#, "invalid type: integer `5`, expected a list of action names or a grant object at line 1 column 34"),
        (r#"{"subjects": {"u": {"role": "R", "exceptions": [{"kind": "k", "id": -4, "allow": ["x"]}]}}}"#, "invalid value: integer `-4`, expected an instance id (a number from 0 to 2^64-1, or a string) at line 1 column 70"),
        (r#"{"subjects": {"u": {"role": "R", "exceptions": [{"kind": "k", "id": true, "allow": ["x"]}]}}}"#, "invalid type: boolean `true`, expected an instance id (a number from 0 to 2^64-1, or a string) at line 1 column 72"),
        (r#"{"kinds": {"k": {"actions": [], "colour": 1}}}"#, "unknown field `colour`, expected one of `actions`, `needs`, `levels`, `states`, `state_rules`, `prerequisites`, `available`, `parent`, `ids` at line 1 column 40"),
        (r#"{"roles": []}"#, "invalid type: sequence, expected a map of names at line 1 column 10"),
        (r#"{"subjects": {"u": {}}}"#, "missing field `role` at line 1 column 21"),
    ];
    for (text, expected) in cases {
        let err = serde_json::from_str::<PolicyDef>(text).unwrap_err();
        assert_eq!(err.to_string(), expected, "for {text}");
    }
}

#[test]
fn huge_inputs_compile_in_bounded_time() {
    // 100k roles, each derived from the previous one: a deep base chain must neither
    // overflow the stack nor take quadratic time.
    let mut roles = serde_json::Map::new();
    roles.insert("r0".into(), json!({"grants": {"k": ["a"]}}));
    for i in 1..100_000 {
        roles.insert(format!("r{i}"), json!({"base": format!("r{}", i - 1)}));
    }
    let doc = json!({"kinds": {"k": {"actions": ["a", "b"]}}, "roles": roles, "subjects": {"u": {"role": "r99999"}}});
    let policy = compile(&doc).unwrap();
    let u = policy.subject("u").unwrap();
    let a = policy.action("k", "a").unwrap();
    let b = policy.action("k", "b").unwrap();
    assert!(policy.can(u, a, &policy.resource(a.kind())));
    assert!(!policy.can(u, b, &policy.resource(b.kind())));
}

#[test]
fn the_reference_follows_long_base_chains_without_recursion() {
    // Deep enough to overflow a test thread's stack if each base were a call.
    let mut roles = serde_json::Map::new();
    roles.insert("r0".into(), json!({"grants": {"k": ["a"]}}));
    for i in 1..12_000 {
        roles.insert(format!("r{i}"), json!({"base": format!("r{}", i - 1)}));
    }
    let doc = json!({"kinds": {"k": {"actions": ["a", "b"]}}, "roles": roles, "subjects": {"u": {"role": "r11999"}}});
    let def: PolicyDef = serde_json::from_value(doc).unwrap();
    let q = |action| accessmask::reference::Question {
        subject: "u",
        kind: "k",
        action,
        ..Default::default()
    };
    assert!(accessmask::reference::is_allowed(&def, &q("a")));
    assert!(!accessmask::reference::is_allowed(&def, &q("b")));
}

#[test]
fn unicode_names_work_and_errors_quote_them() {
    let doc = json!({
        "kinds": {"報告": {"actions": ["閲覧", "編集"], "needs": {"編集": ["閲覧"]}}},
        "roles": {"Rédacteur": {"grants": {"報告": ["編集"]}}},
        "subjects": {"Zoë": {"role": "Rédacteur"}}
    });
    let policy = compile(&doc).unwrap();
    let z = policy.subject("Zoë").unwrap();
    let view = policy.action("報告", "閲覧").unwrap();
    assert!(policy.can(z, view, &policy.resource(view.kind())));
    let bad = with(doc, "/subjects/Zoë/role", json!("Redacteur"));
    fails(
        bad,
        "subjects.Zoë.role: unknown role `Redacteur` (did you mean `Rédacteur`?)",
    );
}

#[test]
fn a_huge_unknown_name_is_reported_without_a_quadratic_search() {
    // A 1 MiB role name among 10k roles: the error comes at once, with no
    // suggestion (comparing it to every name letter by letter would take hours).
    let huge = "r".repeat(1 << 20);
    let mut roles = serde_json::Map::new();
    for i in 0..10_000 {
        roles.insert(format!("r{i}"), json!({}));
    }
    roles.insert(huge.clone(), json!({}));
    let doc = json!({"roles": roles, "subjects": {"u": {"role": format!("{huge}x")}}});
    let err = compile(&doc).unwrap_err();
    assert!(
        matches!(
            err,
            PolicyError::Unknown {
                suggestion: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn long_prerequisite_chains_are_searched_without_recursion() {
    // k0.a needs k1.a needs k2.a ... : deep enough to overflow a recursive search.
    let n = 50_000;
    let chain = |close: bool| {
        let mut kinds = serde_json::Map::new();
        for i in 0..n {
            let next = if i + 1 < n {
                Some(i + 1)
            } else if close {
                Some(0)
            } else {
                None
            };
            let prerequisites: Vec<Value> = next
                .map(|j| json!({"action": "a", "kind": format!("k{j}"), "actions": ["a"]}))
                .into_iter()
                .collect();
            kinds.insert(
                format!("k{i}"),
                json!({"actions": ["a"], "prerequisites": prerequisites}),
            );
        }
        json!({ "kinds": kinds })
    };
    compile(&chain(false)).unwrap();
    match compile(&chain(true)).unwrap_err() {
        PolicyError::PrerequisiteCycle { cycle, .. } => assert_eq!(cycle.len(), n + 1),
        other => panic!("{other}"),
    }
}

#[test]
fn names_that_would_not_print_safely_are_typed_errors() {
    // Every kind of name, each with every kind of bad character.
    let cases: Vec<(Value, &str)> =
        vec![
        (
            with(base(), "/kinds/jour\nney", json!({"actions": ["view"]})),
            "kinds[2]: kind name `jour\\nney` has a control character",
        ),
        (
            with(base(), "/kinds/journey/actions/0", json!(" view")),
            "kinds.journey.actions[0]: action name ` view` has leading or trailing whitespace",
        ),
        (
            with(base(), "/kinds/journey/states/1", json!("live\u{202e}")),
            "kinds.journey.states[1]: state name `live\\u{202e}` has a bidirectional-text control",
        ),
        (
            with(base(), "/kinds/database/levels", json!({"Read\tOnly": ["view"]})),
            "kinds.database.levels[0]: level name `Read\\tOnly` has a control character",
        ),
        (
            with(base(), "/roles/Admin\u{1b}[31m", json!({})),
            "roles[2]: role name `Admin\\u{1b}[31m` has a control character",
        ),
        (
            with(base(), "/toggles/Creator ", json!({})),
            "toggles[1]: toggle name `Creator ` has leading or trailing whitespace",
        ),
        (
            with(base(), "/subjects/x\n[ERROR] forged log line", json!({"role": "Admin"})),
            "subjects[2]: subject name `x\\n[ERROR] forged log line` has a control character",
        ),
        (
            with(base(), "/subjects/\u{2066}eve", json!({"role": "Admin"})),
            "subjects[2]: subject name `\\u{2066}eve` has a bidirectional-text control",
        ),
        (
            with(base(), "/subjects/\u{200f}", json!({"role": "Admin"})),
            "subjects[2]: subject name `\\u{200f}` has a bidirectional-text control",
        ),
        (
            with(base(), "/subjects/a\u{61c}b", json!({"role": "Admin"})),
            "subjects[2]: subject name `a\\u{61c}b` has a bidirectional-text control",
        ),
    ];
    for (doc, expected) in cases {
        let e = fails(doc, expected);
        assert!(matches!(e, PolicyError::BadName { .. }), "{e:?}");
        assert!(!e.to_string().contains('\n'), "{e}");
    }
    // Unknown names are echoed escaped too.
    fails(
        with(base(), "/subjects/bob/role", json!("x\n[ERROR] forged")),
        "subjects.bob.role: unknown role `x\\n[ERROR] forged`",
    );
    // Names with inner spaces, punctuation, `|` and backslashes are fine.
    let ok = with(base(), "/subjects/a | b \\ c", json!({"role": "Admin"}));
    compile(&ok).unwrap();
    assert_eq!(accessmask::name_problem("a b"), None);
    assert_eq!(accessmask::name_problem(""), Some("is empty"));
}

#[test]
fn changes_check_names_too() {
    use accessmask::{Change, ChangeError, RoleDef, SubjectDef};
    let policy = compile(&base()).unwrap();
    let err = policy
        .change(&Change::AddSubject {
            subject: "eve\u{202e}".into(),
            def: SubjectDef::new("Admin"),
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "subjects[2]: subject name `eve\\u{202e}` has a bidirectional-text control"
    );
    assert!(matches!(
        err,
        ChangeError::Invalid(PolicyError::BadName {
            what: Item::Subject,
            ..
        })
    ));
    let err = policy
        .change(&Change::DefineRole {
            role: " Admin2".into(),
            def: RoleDef::new(),
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "roles[2]: role name ` Admin2` has leading or trailing whitespace"
    );
    let err = policy
        .change(&Change::SetRole {
            subject: "nobody\n".into(),
            role: "Admin".into(),
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown subject `nobody\\n`");
}
