//! Compiling a definition: [`PolicyError`].

use serde::Serialize;

use super::text::{hint, Shown};
use super::Item;

/// A policy definition that cannot be compiled.
///
/// Every variant carries `path`, where the offending item stands in the document
/// (`roles.Designer.grants.jouney`), and the message names the item.
///
/// Serializes as the variant with its fields, and the message:
/// `{"Unknown": {"path": "roles.Designer.grants.jouney", "what": "Kind", "name":
/// "jouney", "suggestion": "journey"}}` (externally tagged, as serde does by
/// default). Serialize only: a message is a `&'static str`.
///
/// ```
/// use accessmask::{Policy, PolicyDef};
/// let def: PolicyDef = serde_json::from_str(r#"{
///   "kinds": { "journey": { "actions": ["view"] } },
///   "roles": { "Designer": { "grants": { "jouney": ["view"] } } }
/// }"#)?;
/// let err = Policy::compile(&def).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "roles.Designer.grants.jouney: unknown kind `jouney` (did you mean `journey`?)"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum PolicyError {
    /// A name that does not resolve.
    #[error(
        "{}: unknown {what} `{}`{}",
        Shown(path),
        Shown(name),
        hint(suggestion)
    )]
    Unknown {
        /// Where the name stands.
        path: String,
        /// What the name should have named.
        what: Item,
        /// The name as written.
        name: String,
        /// The nearest known name, if one is close.
        suggestion: Option<String>,
    },
    /// A name given twice where names must be unique.
    #[error("{}: duplicate {what} `{}`", Shown(path), Shown(name))]
    Duplicate {
        /// Where the second one stands.
        path: String,
        /// What the name names.
        what: Item,
        /// The repeated name.
        name: String,
    },
    /// An empty name.
    #[error("{}: empty {what} name", Shown(path))]
    EmptyName {
        /// Where the name stands.
        path: String,
        /// What the name should have named.
        what: Item,
    },
    /// A name that could not be printed safely as it is (see [`name_problem`](super::name_problem)
    /// for what is refused). The name is shown escaped.
    #[error("{}: {what} name `{}` {reason}", Shown(path), Shown(name))]
    BadName {
        /// Where the name stands (by position, not by the name).
        path: String,
        /// What the name names.
        what: Item,
        /// The name as written.
        name: String,
        /// What is wrong with it, e.g. "has a control character".
        reason: &'static str,
    },
    /// A kind with more actions than fit in its mask.
    #[error(
        "{}: kind `{kind}` has {given} actions, more than the limit of {limit}",
        Shown(path)
    )]
    TooManyActions {
        /// Where the kind stands.
        path: String,
        /// The kind.
        kind: String,
        /// How many actions it declares.
        given: usize,
        /// [`MAX_ACTIONS`](crate::MAX_ACTIONS).
        limit: usize,
    },
    /// An action named on a kind it does not belong to.
    #[error(
        "{}: `{action}` is an action of kind `{owner}`, not of kind `{kind}`",
        Shown(path)
    )]
    ForeignAction {
        /// Where the action stands.
        path: String,
        /// The action.
        action: String,
        /// The kind it was named on.
        kind: String,
        /// A kind that does have it.
        owner: String,
    },
    /// Roles whose `base` chain loops.
    #[error("{}: base-role cycle {}", Shown(path), cycle.join(" -> "))]
    BaseRoleCycle {
        /// Where the loop is closed.
        path: String,
        /// The roles on the loop, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// Prerequisites that loop back to where they started.
    #[error("{}: prerequisite cycle {}", Shown(path), cycle.join(" -> "))]
    PrerequisiteCycle {
        /// Where the loop is closed.
        path: String,
        /// The `kind.action` nodes on the loop, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// A subject listed among the subjects it manages.
    #[error("{}: subject `{subject}` manages itself", Shown(path))]
    ManagesItself {
        /// Where the name stands.
        path: String,
        /// The subject.
        subject: String,
    },
    /// A level that lacks an action of the level below it: levels must be ordered.
    #[error(
        "{}: level `{level}` lacks `{action}`, which the level below it (`{below}`) holds",
        Shown(path)
    )]
    LevelOrder {
        /// Where the level stands.
        path: String,
        /// The level.
        level: String,
        /// The level below it.
        below: String,
        /// An action the lower level holds and this one lacks.
        action: String,
    },
    /// Kinds whose `parent` chain loops.
    #[error("{}: parent cycle {}", Shown(path), cycle.join(" -> "))]
    ParentCycle {
        /// Where the loop is closed.
        path: String,
        /// The kinds on the loop, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// A `parent` chain longer than [`MAX_ANCESTORS`](crate::MAX_ANCESTORS).
    #[error(
        "{}: kind `{}` has more than {limit} ancestors",
        Shown(path),
        Shown(kind)
    )]
    TooDeep {
        /// Where the chain goes too deep.
        path: String,
        /// The kind.
        kind: String,
        /// [`MAX_ANCESTORS`](crate::MAX_ANCESTORS).
        limit: usize,
    },
    /// A rule written `in` (or a prerequisite `on_ancestor` of) a kind that is not
    /// an ancestor of the rule's kind.
    #[error(
        "{}: kind `{}` is not an ancestor of kind `{}` ({})",
        Shown(path),
        Shown(ancestor),
        Shown(kind),
        ancestors_text(chain)
    )]
    NotAnAncestor {
        /// Where the ancestor is named.
        path: String,
        /// The rule's kind.
        kind: String,
        /// The kind named as its ancestor.
        ancestor: String,
        /// The kind's ancestors, parent first.
        chain: Vec<String>,
    },
    /// An id whose type is not the kind's (`"ids"`).
    #[error(
        "{}: kind `{}` has {expected} ids, and `{}` is not one",
        Shown(path),
        Shown(kind),
        Shown(id)
    )]
    IdType {
        /// Where the id stands.
        path: String,
        /// The kind whose instance it names.
        kind: String,
        /// The kind's id type.
        expected: crate::IdType,
        /// The id as written.
        id: String,
    },
    /// A principal's rule naming a string id that no rule of the policy names
    /// (string ids are numbered by the policy, which a principal does not change).
    #[error(
        "{}: string id `{}` is named by no rule of the policy; a principal can name only string ids the policy names",
        Shown(path),
        Shown(id)
    )]
    UnnamedStringId {
        /// Where the id stands.
        path: String,
        /// The id.
        id: String,
    },
    /// An item whose fields contradict each other or say nothing.
    #[error("{}: {problem}", Shown(path))]
    Malformed {
        /// Where the item stands.
        path: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl PolicyError {
    /// Where the offending item stands in the document.
    pub fn path(&self) -> &str {
        match self {
            PolicyError::Unknown { path, .. }
            | PolicyError::Duplicate { path, .. }
            | PolicyError::EmptyName { path, .. }
            | PolicyError::BadName { path, .. }
            | PolicyError::TooManyActions { path, .. }
            | PolicyError::ForeignAction { path, .. }
            | PolicyError::BaseRoleCycle { path, .. }
            | PolicyError::PrerequisiteCycle { path, .. }
            | PolicyError::ManagesItself { path, .. }
            | PolicyError::LevelOrder { path, .. }
            | PolicyError::ParentCycle { path, .. }
            | PolicyError::TooDeep { path, .. }
            | PolicyError::NotAnAncestor { path, .. }
            | PolicyError::IdType { path, .. }
            | PolicyError::UnnamedStringId { path, .. }
            | PolicyError::Malformed { path, .. } => path,
        }
    }
}

/// "its ancestors are `a`, `b`" or "it has no ancestor".
fn ancestors_text(chain: &[String]) -> String {
    if chain.is_empty() {
        return "it has no ancestor".into();
    }
    let list: Vec<String> = chain.iter().map(|c| format!("`{}`", Shown(c))).collect();
    format!("its ancestors are {}", list.join(", "))
}
