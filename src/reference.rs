//! A plain, slow reference interpreter of the decision order.
//!
//! This module follows the numbered list in the crate documentation ("How a
//! decision is made") literally, step by step, on a [`PolicyDef`] with names and
//! [`BTreeSet`]s of action names: no interning, no bitmasks, no precomputation.
//! It exists so that the compiled engine can be property-tested against it; it is
//! not meant to be fast.
//!
//! It never panics and never loops forever, whatever the document: anything that
//! does not resolve (an unknown subject, kind, action, state, role, toggle or
//! level, a base-role cycle) makes the answer "deny", and implication closures are
//! computed with worklists that visit each action at most once, so implication
//! cycles are harmless.
//!
//! ```
//! use accessmask::PolicyDef;
//! use accessmask::reference::{allowed_actions, is_allowed, Query};
//!
//! let def: PolicyDef = serde_json::from_str(r#"{
//!   "kinds": { "report": { "actions": ["view", "export"], "needs": { "export": ["view"] } } },
//!   "roles": { "Analyst": { "grants": { "report": ["export"] } } },
//!   "subjects": { "ann": { "role": "Analyst" } }
//! }"#)?;
//! let q = Query { subject: "ann", kind: "report", action: "view", ..Query::default() };
//! assert!(is_allowed(&def, &q));
//! assert_eq!(allowed_actions(&def, &q), ["view", "export"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use crate::def::{
    ExceptionDef, GrantDef, InstanceId, KindDef, PolicyDef, RestrictionDef, RoleDef, SubjectDef,
};

/// A question for the reference interpreter, by names.
///
/// `id: None` asks about the kind in general: no exception applies, and every
/// restriction on the kind removes its actions. `state: None` means no state rule
/// applies. `owner` is the name of the subject owning the instance; a name that is
/// not a subject owns nothing anyone can reach through `own` or `managed` grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query<'a> {
    /// The subject asking.
    pub subject: &'a str,
    /// The resource's kind.
    pub kind: &'a str,
    /// The action asked about (ignored by [`allowed_actions`]).
    pub action: &'a str,
    /// The instance id, if the question is about one instance.
    pub id: Option<InstanceId>,
    /// The instance's state, if any.
    pub state: Option<&'a str>,
    /// The name of the subject owning the instance, if any.
    pub owner: Option<&'a str>,
}

/// Whether the action is allowed (false for anything unknown: subject, kind,
/// action, state, or role/toggle/level names that don't resolve).
pub fn is_allowed(def: &PolicyDef, q: &Query<'_>) -> bool {
    let Some(kind) = def.kinds.get(q.kind) else {
        return false;
    };
    // Step 1: an unknown action is denied.
    if !kind.actions.iter().any(|a| a == q.action) {
        return false;
    }
    // Step 9: allow iff the action is in the final set.
    final_set(def, q).is_some_and(|set| set.contains(q.action))
}

/// Every allowed action of `q.kind`, in the kind's declaration order (`q.action`
/// is ignored). Empty when the subject, kind or state is unknown, the kind is
/// unavailable, or a name the decision needs does not resolve.
pub fn allowed_actions(def: &PolicyDef, q: &Query<'_>) -> Vec<String> {
    let Some(kind) = def.kinds.get(q.kind) else {
        return Vec::new();
    };
    let Some(set) = final_set(def, q) else {
        return Vec::new();
    };
    let mut seen = BTreeSet::new();
    kind.actions
        .iter()
        .filter(|a| set.contains(a.as_str()) && seen.insert(a.as_str()))
        .cloned()
        .collect()
}

/// A set of action names of one kind.
type Set = BTreeSet<String>;

/// The three kind-wide sets of step 3, one per scope.
#[derive(Debug, Clone, Default)]
struct Scoped {
    any: Set,
    own: Set,
    managed: Set,
}

/// One exception layer (a role's, inheritance resolved, or a subject's).
#[derive(Debug, Default)]
struct Layer<'d> {
    /// Exceptions by `(kind, id)`.
    exceptions: BTreeMap<(&'d str, InstanceId), &'d ExceptionDef>,
    /// Restrictions by kind.
    restrictions: BTreeMap<&'d str, &'d RestrictionDef>,
}

impl<'d> Layer<'d> {
    /// Adds (or replaces, on the same key) these exceptions and restrictions.
    fn overlay(&mut self, exceptions: &'d [ExceptionDef], restrictions: &'d [RestrictionDef]) {
        for e in exceptions {
            if let crate::def::IdDef::Number(id) = e.id {
                self.exceptions.insert((e.kind.as_str(), id), e);
            }
        }
        for r in restrictions {
            self.restrictions.insert(r.kind.as_str(), r);
        }
    }
}

/// The final set of steps 1 to 8 for `q`, or `None` when the answer is "deny
/// everything" (unknown names, unavailable kind, invalid document).
fn final_set(def: &PolicyDef, q: &Query<'_>) -> Option<Set> {
    // Step 1: unknown subject, kind or state.
    let subject = def.subjects.get(q.subject)?;
    let kind = def.kinds.get(q.kind)?;
    check_kind(kind)?;
    if let Some(state) = q.state {
        if !kind.states.iter().any(|s| s == state) {
            return None;
        }
    }
    // The subject's role and toggles must resolve.
    def.roles.get(&subject.role)?;
    for t in &subject.toggles {
        def.toggles.get(t)?;
    }

    // Step 2: an unavailable kind allows nothing.
    if !kind.available {
        return None;
    }

    // Step 3: the kind-wide sets.
    let scoped = kind_wide(def, subject, q.kind, kind)?;

    // Step 4: scope.
    let mut set = scoped.any;
    if let Some(owner) = q.owner {
        if owner == q.subject {
            set.extend(scoped.own);
        }
        let managed =
            def.subjects.get(owner).is_some() && subject.manages.iter().any(|m| m == owner);
        if managed {
            set.extend(scoped.managed);
        }
    }

    // Step 5: exceptions, the role's layer, then the subject's.
    let role_layer = role_layer(def, &subject.role)?;
    apply_layer(kind, q.kind, &mut set, &role_layer, q.id)?;
    let mut subject_layer = Layer::default();
    subject_layer.overlay(&subject.exceptions, &subject.restrictions);
    apply_layer(kind, q.kind, &mut set, &subject_layer, q.id)?;

    // Step 6: prerequisites, against the step-3 `any` set on the other kind.
    for p in &kind.prerequisites {
        let action = resolve(kind, std::slice::from_ref(&p.action), false)?;
        let other = def.kinds.get(&p.kind)?;
        check_kind(other)?;
        let mut needed = resolve(other, &p.actions, false)?;
        if let Some(level) = &p.level {
            needed.extend(level_set(other, level)?);
        }
        let met = other.available && {
            let theirs = kind_wide(def, subject, &p.kind, other)?;
            needed.is_subset(&theirs.any)
        };
        if !met {
            remove(kind, &mut set, &action);
        }
    }

    // Step 7: state rules.
    if let Some(state) = q.state {
        for rule in kind.state_rules.iter().filter(|r| r.state == state) {
            let hold = resolve(kind, &rule.hold, false)?;
            let exempt = rule.unless_roles.contains(&subject.role)
                || rule
                    .unless_toggles
                    .iter()
                    .any(|t| subject.toggles.iter().any(|mine| mine == t));
            if !exempt {
                remove(kind, &mut set, &hold);
            }
        }
    }

    // Step 8 held throughout: every `add` and `remove` closes the set.
    Some(set)
}

/// Step 3 for one kind: the subject's explicit level, or its role's sets; then
/// its toggles' grants.
fn kind_wide(
    def: &PolicyDef,
    subject: &SubjectDef,
    kind_name: &str,
    kind: &KindDef,
) -> Option<Scoped> {
    let mut scoped = match subject.levels.get(kind_name) {
        Some(level) => Scoped {
            any: level_set(kind, level)?,
            ..Scoped::default()
        },
        None => role_sets(def, &subject.role, kind_name, kind)?,
    };
    for t in &subject.toggles {
        let toggle = def.toggles.get(t)?;
        for (k, grant) in toggle.grants.iter() {
            if k == kind_name {
                add_grant(kind, &mut scoped, grant)?;
            }
        }
    }
    Some(scoped)
}

/// The role named `role_name` and its bases, the farthest base first. `None` on
/// an unknown role or a base cycle. A loop, not recursion, so a long chain cannot
/// overflow the stack.
fn role_chain<'d>(def: &'d PolicyDef, role_name: &str) -> Option<Vec<&'d RoleDef>> {
    let mut chain = Vec::new();
    let mut name = role_name;
    loop {
        if chain.len() > def.roles.len() {
            return None; // a base chain longer than the number of roles is a cycle
        }
        let role = def.roles.get(name)?;
        chain.push(role);
        match &role.base {
            Some(base) => name = base,
            None => break,
        }
    }
    chain.reverse();
    Some(chain)
}

/// A role's sets on one kind: its base's, plus its grants, minus its `remove`
/// (from every scope), from the farthest base down. `None` on an unknown role or a
/// base cycle.
fn role_sets(def: &PolicyDef, role_name: &str, kind_name: &str, kind: &KindDef) -> Option<Scoped> {
    let mut scoped = Scoped::default();
    for role in role_chain(def, role_name)? {
        for (k, grant) in role.grants.iter() {
            if k == kind_name {
                add_grant(kind, &mut scoped, grant)?;
            }
        }
        for (k, names) in role.remove.iter() {
            if k == kind_name {
                let gone = resolve(kind, names, true)?;
                remove(kind, &mut scoped.any, &gone);
                remove(kind, &mut scoped.own, &gone);
                remove(kind, &mut scoped.managed, &gone);
            }
        }
    }
    Some(scoped)
}

/// A role's exception layer: its base's, with its own exceptions replacing the
/// base's on the same `(kind, id)` and its own restrictions replacing the base's
/// on the same kind.
fn role_layer<'d>(def: &'d PolicyDef, role_name: &str) -> Option<Layer<'d>> {
    let mut layer = Layer::default();
    for role in role_chain(def, role_name)? {
        layer.overlay(&role.exceptions, &role.restrictions);
    }
    Some(layer)
}

/// Step 5 for one layer: its restriction on the kind, then its exception on
/// `(kind, id)`.
fn apply_layer(
    kind: &KindDef,
    kind_name: &str,
    set: &mut Set,
    layer: &Layer<'_>,
    id: Option<InstanceId>,
) -> Option<()> {
    if let Some(r) = layer.restrictions.get(kind_name) {
        let actions = resolve(kind, &r.actions, false)?;
        match id {
            Some(id) if r.ids.contains(&crate::def::IdDef::Number(id)) => add(kind, set, &actions),
            _ => remove(kind, set, &actions),
        }
    }
    if let Some(id) = id {
        if let Some(e) = layer.exceptions.get(&(kind_name, id)) {
            if let Some(level) = &e.level {
                *set = level_set(kind, level)?;
            }
            let allow = resolve(kind, &e.allow, false)?;
            let deny = resolve(kind, &e.deny, false)?;
            add(kind, set, &allow);
            remove(kind, set, &deny);
        }
    }
    Some(())
}

/// Adds a grant to the scoped sets: its level and `actions` to `any`, `own` and
/// `managed` to theirs.
fn add_grant(kind: &KindDef, scoped: &mut Scoped, grant: &GrantDef) -> Option<()> {
    if let Some(level) = &grant.level {
        let actions = level_set(kind, level)?;
        add(kind, &mut scoped.any, &actions);
    }
    let any = resolve(kind, &grant.actions, true)?;
    let own = resolve(kind, &grant.own, true)?;
    let managed = resolve(kind, &grant.managed, true)?;
    add(kind, &mut scoped.any, &any);
    add(kind, &mut scoped.own, &own);
    add(kind, &mut scoped.managed, &managed);
    Some(())
}

/// A level's actions, closed under implications. `None` if the level or one of
/// its actions is unknown.
fn level_set(kind: &KindDef, level: &str) -> Option<Set> {
    let names = kind.levels.get(level)?;
    let actions = resolve(kind, names, false)?;
    let mut set = Set::new();
    add(kind, &mut set, &actions);
    Some(set)
}

/// Checks that a kind's implications name only its own actions.
fn check_kind(kind: &KindDef) -> Option<()> {
    for (a, needed) in kind.needs.iter() {
        if !is_action(kind, a) || !needed.iter().all(|n| is_action(kind, n)) {
            return None;
        }
    }
    Some(())
}

fn is_action(kind: &KindDef, name: &str) -> bool {
    kind.actions.iter().any(|a| a == name)
}

/// Resolves action names of a kind (`"*"` meaning all of them when `star`).
/// `None` if one is unknown.
fn resolve(kind: &KindDef, names: &[String], star: bool) -> Option<Set> {
    let mut out = Set::new();
    for name in names {
        if star && name == "*" {
            out.extend(kind.actions.iter().cloned());
        } else if is_action(kind, name) {
            out.insert(name.clone());
        } else {
            return None;
        }
    }
    Some(out)
}

/// The actions `action` directly needs.
fn needs_of<'k>(kind: &'k KindDef, action: &str) -> impl Iterator<Item = &'k String> + 'k {
    let action = action.to_owned();
    kind.needs
        .0
        .iter()
        .filter(move |(a, _)| *a == action)
        .flat_map(|(_, needed)| needed.iter())
}

/// The actions that directly need `action`.
fn needed_by<'k>(kind: &'k KindDef, action: &str) -> impl Iterator<Item = &'k String> + 'k {
    let action = action.to_owned();
    kind.needs
        .0
        .iter()
        .filter(move |(_, needed)| needed.contains(&action))
        .map(|(a, _)| a)
}

/// Step 8 for adding: adds `actions` and everything they need, transitively.
fn add(kind: &KindDef, set: &mut Set, actions: &Set) {
    let mut seen = Set::new();
    let mut work: Vec<String> = actions.iter().cloned().collect();
    while let Some(a) = work.pop() {
        if seen.insert(a.clone()) {
            work.extend(needs_of(kind, &a).cloned());
            set.insert(a);
        }
    }
}

/// Step 8 for removing: removes `actions` and everything that needs them,
/// transitively.
fn remove(kind: &KindDef, set: &mut Set, actions: &Set) {
    let mut seen = Set::new();
    let mut work: Vec<String> = actions.iter().cloned().collect();
    while let Some(a) = work.pop() {
        if seen.insert(a.clone()) {
            work.extend(needed_by(kind, &a).cloned());
            set.remove(&a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(v: serde_json::Value) -> PolicyDef {
        serde_json::from_value(v).unwrap()
    }

    fn q<'a>(subject: &'a str, kind: &'a str, action: &'a str) -> Query<'a> {
        Query {
            subject,
            kind,
            action,
            ..Query::default()
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
        let at = |owner: Option<&'static str>| Query {
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
        let at = |s: &'static str, id: Option<u64>| Query {
            id,
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
        let at = |s: &'static str, state: Option<&'static str>| Query {
            state,
            id: Some(1),
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
}
