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

mod roles;
mod sets;
mod steps;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use crate::def::{IdDef, PolicyDef};
use crate::ids::MAX_ANCESTORS;
use steps::{final_set, Place};

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
