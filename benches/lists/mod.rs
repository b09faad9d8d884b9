//! Documents with one long list each, for the `compile/lists` and
//! `can/id_patterns` groups: the costs that must not grow faster than the list.
#![allow(dead_code)]

use accessmask::{ExceptionDef, PolicyDef, RestrictionDef, RoleDef, StateRuleDef, SubjectDef};

/// A kind `doc` (view < edit < delete), roles `Reader` and `Editor`, no subjects.
pub fn base() -> PolicyDef {
    serde_json::from_str(
        r#"{
          "kinds": { "doc": { "actions": ["view", "edit", "delete"],
                              "needs": { "edit": ["view"], "delete": ["edit"] },
                              "levels": { "None": [], "Read": ["view"], "Write": ["view", "edit"] } } },
          "roles": { "Reader": { "grants": { "doc": ["view"] } },
                     "Editor": { "grants": { "doc": ["edit"] } } }
        }"#,
    )
    .expect("base document")
}

/// An exception on `doc:id` (allow edit, deny delete).
pub fn exception(id: u64) -> ExceptionDef {
    ExceptionDef {
        kind: "doc".into(),
        within: None,
        id: id.into(),
        level: None,
        allow: vec!["edit".into()],
        deny: vec!["delete".into()],
    }
}

/// One subject `u` with `n` exceptions on the ids `ids(0..n)`.
pub fn subject_exceptions(ids: impl Iterator<Item = u64>) -> PolicyDef {
    let mut def = base();
    let mut u = SubjectDef::new("Reader");
    u.exceptions = ids.map(exception).collect();
    def.subjects.insert("u", u);
    def
}

/// One subject `u` restricted to `n` ids.
pub fn restriction_ids(n: u64) -> PolicyDef {
    let mut def = base();
    let mut u = SubjectDef::new("Editor");
    u.restrictions = vec![RestrictionDef {
        kind: "doc".into(),
        actions: vec!["edit".into()],
        within: None,
        ids: (0..n)
            .map(|i| (i.wrapping_mul(0x9e37_79b9) ^ (i << 40)).into())
            .collect(),
    }];
    def.subjects.insert("u", u);
    def
}

/// `doc` with `n` states, one in ten held back by a rule (unless `Editor`), and
/// `roles` more roles, each with a subject.
pub fn states(n: usize, roles: usize) -> PolicyDef {
    let mut def = base();
    let kind = def.kinds.get_mut("doc").expect("doc");
    kind.states = (0..n).map(|i| format!("s{i}")).collect();
    kind.state_rules = (0..n)
        .step_by(10)
        .map(|i| StateRuleDef {
            state: format!("s{i}"),
            hold: vec!["edit".into()],
            unless_roles: vec!["Editor".into()],
            unless_toggles: Vec::new(),
        })
        .collect();
    for r in 0..roles {
        let mut role = RoleDef::new();
        role.grants = serde_json::from_str(&format!(
            r#"{{"doc": {}}}"#,
            if r % 2 == 0 {
                r#"["view"]"#
            } else {
                r#"["edit"]"#
            }
        ))
        .expect("grants");
        def.roles.insert(format!("Role {r}"), role);
        def.subjects
            .insert(format!("user {r}"), SubjectDef::new(format!("Role {r}")));
    }
    def
}

/// A chain of `n` roles, each derived from the one before, the root with
/// `exceptions` exceptions; one subject on the last role.
pub fn base_chain(n: usize, exceptions: u64) -> PolicyDef {
    let mut def = base();
    let mut root = RoleDef::new();
    root.grants = serde_json::from_str(r#"{"doc": ["view"]}"#).expect("grants");
    root.exceptions = (0..exceptions).map(exception).collect();
    def.roles.insert("chain 0", root);
    for i in 1..n {
        let mut role = RoleDef::new();
        role.base = Some(format!("chain {}", i - 1));
        def.roles.insert(format!("chain {i}"), role);
    }
    def.subjects
        .insert("u", SubjectDef::new(format!("chain {}", n - 1)));
    def
}
