//! A plain, slow reference interpreter of the decision order.
//!
//! This module follows the numbered list in the crate documentation ("How a
//! decision is made") literally, step by step, on a [`PolicyDef`] with names and
//! [`BTreeSet`]s of action names: no interning, no bitmasks, no precomputation.
//! It exists so that the compiled engine can be property-tested against it; it is
//! not meant to be fast.
//!
//! Containment is read as literally. Let `chain(k)` be `k`'s parent, its parent's
//! parent, and so on; the ancestor at depth `d` (1-based) is `chain[d-1]`, and a
//! [`Question`]'s `ancestors` are a prefix of that chain, parent first. In step 5,
//! within each layer (the role's, then the subject's), for `d` from the chain's
//! length down to 1 (outermost ancestor first), with `A = chain[d-1]`:
//!
//! - a restriction on `(k, in A)` adds its actions when the ancestor at depth `d`
//!   is given and its id is listed, and removes them otherwise;
//! - an exception on `(k, in A, id of the ancestor at depth d)` applies when that
//!   ancestor is given;
//!
//! then, as without containment, the restriction on `k` itself and the exception on
//! `(k, id)`. In step 6, after the kind-wide prerequisites, each `on_ancestor`
//! prerequisite of `k` on ancestor kind `A` (depth `d`) is met only when the
//! ancestor at depth `d` is given and the subject's final set on that ancestor
//! (its id, the ancestors above it, no state, no owner), decided in full by this
//! same interpreter, holds the needed actions. A question about a resource that is
//! not consistent (an ancestor of a kind not at its place in the chain, more
//! ancestors than the chain is long, an id whose type is not its kind's `ids`) is
//! denied everything. String ids match exactly, byte for byte.
//!
//! It never panics and never loops forever, whatever the document: anything that
//! does not resolve (an unknown subject, kind, action or state, role, toggle,
//! level or parent kind, a base-role or parent cycle, a parent chain deeper than
//! [`MAX_ANCESTORS`], a rule written `in` a kind that is not an ancestor, an
//! `on_ancestor` prerequisite on a kind that is not one) makes the answer "deny",
//! and implication closures are computed with worklists that visit each action at
//! most once, so implication cycles are harmless. The only recursion, deciding an
//! `on_ancestor` prerequisite on the ancestor, goes up the chain and so is at
//! most [`MAX_ANCESTORS`] deep.
//!
//! ```
//! use accessmask::PolicyDef;
//! use accessmask::reference::{allowed_actions, is_allowed, Question};
//!
//! let def: PolicyDef = serde_json::from_str(r#"{
//!   "kinds": { "report": { "actions": ["view", "export"], "needs": { "export": ["view"] } } },
//!   "roles": { "Analyst": { "grants": { "report": ["export"] } } },
//!   "subjects": { "ann": { "role": "Analyst" } }
//! }"#)?;
//! let q = Question { subject: "ann", kind: "report", action: "view", ..Question::default() };
//! assert!(is_allowed(&def, &q));
//! assert_eq!(allowed_actions(&def, &q), ["view", "export"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A contained question: a contact inside a database, where the role denies
//! `edit` on every contact of database `"eu"`.
//!
//! ```
//! use accessmask::{IdDef, PolicyDef};
//! use accessmask::reference::{is_allowed, Question};
//!
//! let def: PolicyDef = serde_json::from_str(r#"{
//!   "kinds": {
//!     "database": { "actions": ["open"], "ids": "string" },
//!     "contact": { "actions": ["view", "edit"], "needs": { "edit": ["view"] }, "parent": "database" }
//!   },
//!   "roles": { "Editor": {
//!     "grants": { "contact": ["edit"] },
//!     "exceptions": [ { "kind": "contact", "in": "database", "id": "eu", "deny": ["edit"] } ]
//!   } },
//!   "subjects": { "eve": { "role": "Editor" } }
//! }"#)?;
//! let in_db = |db: &str| Question {
//!     subject: "eve",
//!     kind: "contact",
//!     action: "edit",
//!     id: Some(IdDef::from(7)),
//!     ancestors: vec![("database", IdDef::from(db))],
//!     ..Question::default()
//! };
//! assert!(!is_allowed(&def, &in_db("eu")));
//! assert!(is_allowed(&def, &in_db("us")));
//! assert!(is_allowed(&def, &in_db("EU"))); // exact match only
//! // Not in a database of the chain: an inconsistent resource, denied.
//! let wrong = Question { ancestors: vec![("contact", IdDef::from(1))], ..in_db("us") };
//! assert!(!is_allowed(&def, &wrong));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use crate::def::{
    ExceptionDef, GrantDef, IdDef, IdType, KindDef, PolicyDef, RestrictionDef, RoleDef, SubjectDef,
};
use crate::ids::MAX_ANCESTORS;

/// A question for the reference interpreter, by names.
///
/// `id: None` asks about the kind in general: no exception on the instance itself
/// applies, and every restriction on the kind itself removes its actions.
/// `ancestors` are the instances the resource is inside, as `(kind, id)`, parent
/// first; a prefix of the kind's parent chain (empty: none known). `state: None`
/// means no state rule applies. `owner` is the name of the subject owning the
/// instance; a name that is not a subject owns nothing anyone can reach through
/// `own` or `managed` grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Question<'a> {
    /// The subject asking.
    pub subject: &'a str,
    /// The resource's kind.
    pub kind: &'a str,
    /// The action asked about (ignored by [`allowed_actions`]).
    pub action: &'a str,
    /// The instance id, if the question is about one instance: a number, or a
    /// string for a kind with `"ids": "string"`.
    pub id: Option<IdDef>,
    /// The instances the resource is inside, `(kind name, id)`, parent first.
    pub ancestors: Vec<(&'a str, IdDef)>,
    /// The instance's state, if any.
    pub state: Option<&'a str>,
    /// The name of the subject owning the instance, if any.
    pub owner: Option<&'a str>,
}

/// Whether the action is allowed (false for anything unknown: subject, kind,
/// action, state, or role/toggle/level names that don't resolve; and for an
/// inconsistent resource).
pub fn is_allowed(def: &PolicyDef, q: &Question<'_>) -> bool {
    let Some(kind) = def.kinds.get(q.kind) else {
        return false;
    };
    // Step 1: an unknown action is denied.
    if !kind.actions.iter().any(|a| a == q.action) {
        return false;
    }
    // Step 9: allow iff the action is in the final set.
    final_set(def, q.subject, &Place::of(q), MAX_ANCESTORS)
        .is_some_and(|set| set.contains(q.action))
}

/// Every allowed action of `q.kind`, in the kind's declaration order (`q.action`
/// is ignored). Empty when the subject, kind or state is unknown, the kind is
/// unavailable, the resource is inconsistent, or a name the decision needs does
/// not resolve.
pub fn allowed_actions(def: &PolicyDef, q: &Question<'_>) -> Vec<String> {
    let Some(kind) = def.kinds.get(q.kind) else {
        return Vec::new();
    };
    let Some(set) = final_set(def, q.subject, &Place::of(q), MAX_ANCESTORS) else {
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

/// The resource a decision is about, by names (a [`Question`] without its
/// subject and action, so that a prerequisite on an ancestor can ask about the
/// ancestor).
#[derive(Debug, Clone, Copy)]
struct Place<'q> {
    kind: &'q str,
    id: Option<&'q IdDef>,
    ancestors: &'q [(&'q str, IdDef)],
    state: Option<&'q str>,
    owner: Option<&'q str>,
}

impl<'q> Place<'q> {
    fn of(q: &'q Question<'q>) -> Self {
        Place {
            kind: q.kind,
            id: q.id.as_ref(),
            ancestors: &q.ancestors,
            state: q.state,
            owner: q.owner,
        }
    }
}

/// An exception's key: `(kind, in, id)`.
type ExceptionKey = (String, Option<String>, IdDef);
/// A restriction's key: `(kind, in)`.
type RestrictionKey = (String, Option<String>);

/// One exception layer (a role's, inheritance resolved, or a subject's).
#[derive(Debug, Default)]
struct Layer<'d> {
    /// Exceptions by `(kind, in, id)`.
    exceptions: BTreeMap<ExceptionKey, &'d ExceptionDef>,
    /// Restrictions by `(kind, in)`.
    restrictions: BTreeMap<RestrictionKey, &'d RestrictionDef>,
    /// Every `(kind, in)` a rule of the layer (replaced ones included) is written
    /// in, to deny when one is not an ancestor.
    written_in: BTreeSet<(String, String)>,
}

impl<'d> Layer<'d> {
    /// Adds (or replaces, on the same key) these exceptions and restrictions.
    fn overlay(&mut self, exceptions: &'d [ExceptionDef], restrictions: &'d [RestrictionDef]) {
        for e in exceptions {
            let key = (e.kind.clone(), e.within.clone(), e.id.clone());
            self.exceptions.insert(key, e);
            if let Some(within) = &e.within {
                self.written_in.insert((e.kind.clone(), within.clone()));
            }
        }
        for r in restrictions {
            self.restrictions
                .insert((r.kind.clone(), r.within.clone()), r);
            if let Some(within) = &r.within {
                self.written_in.insert((r.kind.clone(), within.clone()));
            }
        }
    }

    /// Whether every rule on `kind_name` written `in` a kind names one of `chain`.
    fn written_in_ancestors(&self, kind_name: &str, chain: &[String]) -> bool {
        self.written_in
            .iter()
            .filter(|(k, _)| k == kind_name)
            .all(|(_, within)| chain.contains(within))
    }
}

/// The final set of steps 1 to 8 for `subject_name` on `place`, or `None` when
/// the answer is "deny everything" (unknown names, unavailable kind, inconsistent
/// resource, invalid document). `budget` bounds the recursion of `on_ancestor`
/// prerequisites (each goes one ancestor up, so the chain's length bounds it
/// anyway).
fn final_set(def: &PolicyDef, subject_name: &str, place: &Place<'_>, budget: usize) -> Option<Set> {
    // Step 1: unknown subject, kind or state.
    let subject = def.subjects.get(subject_name)?;
    let kind = def.kinds.get(place.kind)?;
    check_kind(kind)?;
    if let Some(state) = place.state {
        if !kind.states.iter().any(|s| s == state) {
            return None;
        }
    }
    // The subject's role and toggles must resolve.
    def.roles.get(&subject.role)?;
    for t in &subject.toggles {
        def.toggles.get(t)?;
    }
    // The kind's parent chain must resolve, and the resource must fit it.
    let chain = parent_chain(def, place.kind)?;
    check_resource(def, kind, &chain, place)?;

    // Step 2: an unavailable kind allows nothing.
    if !kind.available {
        return None;
    }

    // Step 3: the kind-wide sets.
    let scoped = kind_wide(def, subject, place.kind, kind)?;

    // Step 4: scope.
    let mut set = scoped.any;
    if let Some(owner) = place.owner {
        if owner == subject_name {
            set.extend(scoped.own);
        }
        let managed =
            def.subjects.get(owner).is_some() && subject.manages.iter().any(|m| m == owner);
        if managed {
            set.extend(scoped.managed);
        }
    }

    // Step 5: exceptions, the role's layer, then the subject's; in each, the
    // rules written in ancestors (outermost first), then the instance's own.
    let role_layer = role_layer(def, &subject.role)?;
    let mut subject_layer = Layer::default();
    subject_layer.overlay(&subject.exceptions, &subject.restrictions);
    for layer in [&role_layer, &subject_layer] {
        if !layer.written_in_ancestors(place.kind, &chain) {
            return None;
        }
        apply_layer(kind, &mut set, layer, &chain, place)?;
    }

    // Step 6: prerequisites. Kind-wide ones against the step-3 `any` set on the
    // other kind...
    for p in kind.prerequisites.iter().filter(|p| !p.on_ancestor) {
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
    // ...then those on an ancestor instance, decided in full on that instance.
    for p in kind.prerequisites.iter().filter(|p| p.on_ancestor) {
        let action = resolve(kind, std::slice::from_ref(&p.action), false)?;
        let depth = chain.iter().position(|a| *a == p.kind)?;
        let other = def.kinds.get(&p.kind)?;
        check_kind(other)?;
        let mut needed = Set::new();
        add(other, &mut needed, &resolve(other, &p.actions, false)?);
        if let Some(level) = &p.level {
            needed.extend(level_set(other, level)?);
        }
        let met = match (place.ancestors.get(depth), budget.checked_sub(1)) {
            (Some((_, id)), Some(budget)) => {
                let above = place.ancestors.get(depth + 1..).unwrap_or(&[]);
                let on_ancestor = Place {
                    kind: &p.kind,
                    id: Some(id),
                    ancestors: above,
                    state: None,
                    owner: None,
                };
                // `None`: the ancestor allows nothing (unavailable, ...).
                final_set(def, subject_name, &on_ancestor, budget)
                    .is_some_and(|theirs| needed.is_subset(&theirs))
            }
            _ => false,
        };
        if !met {
            remove(kind, &mut set, &action);
        }
    }

    // Step 7: state rules.
    if let Some(state) = place.state {
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

/// `chain(k)`: the parent of `kind_name`, its parent, and so on. `None` on an
/// unknown kind or parent, a cycle, or a chain deeper than [`MAX_ANCESTORS`]. A
/// bounded loop: a cycle shows up as a chain that is too long.
fn parent_chain(def: &PolicyDef, kind_name: &str) -> Option<Vec<String>> {
    let mut chain: Vec<String> = Vec::new();
    let mut kind = def.kinds.get(kind_name)?;
    while let Some(parent) = &kind.parent {
        if chain.len() == MAX_ANCESTORS || parent == kind_name || chain.contains(parent) {
            return None;
        }
        kind = def.kinds.get(parent)?;
        chain.push(parent.clone());
    }
    Some(chain)
}

/// Whether `id` has the type the kind's `ids` declare.
fn id_fits(kind: &KindDef, id: &IdDef) -> bool {
    matches!(
        (kind.ids, id),
        (IdType::Number, IdDef::Number(_)) | (IdType::String, IdDef::String(_))
    )
}

/// Checks that the resource is consistent: its id fits its kind, and its
/// ancestors are a prefix of the chain, each with an id that fits its kind.
fn check_resource(
    def: &PolicyDef,
    kind: &KindDef,
    chain: &[String],
    place: &Place<'_>,
) -> Option<()> {
    if place.id.is_some_and(|id| !id_fits(kind, id)) {
        return None;
    }
    if place.ancestors.len() > chain.len() || place.ancestors.len() > MAX_ANCESTORS {
        return None;
    }
    for ((name, id), expected) in place.ancestors.iter().zip(chain) {
        if name != expected || !id_fits(def.kinds.get(name)?, id) {
            return None;
        }
    }
    Some(())
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
/// base's on the same `(kind, in, id)` and its own restrictions replacing the
/// base's on the same `(kind, in)`.
fn role_layer<'d>(def: &'d PolicyDef, role_name: &str) -> Option<Layer<'d>> {
    let mut layer = Layer::default();
    for role in role_chain(def, role_name)? {
        layer.overlay(&role.exceptions, &role.restrictions);
    }
    Some(layer)
}

/// Step 5 for one layer: for each ancestor depth, outermost first, its
/// restriction written in that ancestor kind, then its exception written in the
/// given ancestor instance; then its restriction on the kind itself, then its
/// exception on `(kind, id)`.
fn apply_layer(
    kind: &KindDef,
    set: &mut Set,
    layer: &Layer<'_>,
    chain: &[String],
    place: &Place<'_>,
) -> Option<()> {
    let depths = chain
        .iter()
        .enumerate()
        .rev()
        .map(|(d, a)| (Some(a.clone()), place.ancestors.get(d).map(|(_, id)| id)));
    // Depth 0 is the instance itself.
    let own = std::iter::once((None, place.id));
    for (within, id) in depths.chain(own) {
        let key = (place.kind.to_owned(), within);
        if let Some(r) = layer.restrictions.get(&key) {
            let actions = resolve(kind, &r.actions, false)?;
            if id.is_some_and(|id| r.ids.contains(id)) {
                add(kind, set, &actions);
            } else {
                remove(kind, set, &actions);
            }
        }
        if let Some(id) = id {
            let (kind_name, within) = key;
            if let Some(e) = layer.exceptions.get(&(kind_name, within, id.clone())) {
                if let Some(level) = &e.level {
                    *set = level_set(kind, level)?;
                }
                let allow = resolve(kind, &e.allow, false)?;
                let deny = resolve(kind, &e.deny, false)?;
                add(kind, set, &allow);
                remove(kind, set, &deny);
            }
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

    // -----------------------------------------------------------------------
    // Containment
    // -----------------------------------------------------------------------

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
    fn contact<'a>(
        subject: &'a str,
        id: Option<u64>,
        ancestors: &[(&'a str, IdDef)],
    ) -> Question<'a> {
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
        let list =
            |s, anc: &[(&'static str, IdDef)]| allowed_actions(&d, &contact(s, Some(7), anc));
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
        assert!(
            allowed_actions(&d, &pr("dan", vec![repo("api"), ("org", IdDef::from(3))])).is_empty()
        );
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
}
