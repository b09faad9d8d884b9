//! Errors, by phase: [`PolicyError`] when a definition is compiled.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What sort of item an error is about. Serializes as its name (`"Kind"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Item {
    /// A kind.
    Kind,
    /// An action of a kind.
    Action,
    /// A level of a kind.
    Level,
    /// A role.
    Role,
    /// A toggle.
    Toggle,
    /// A state of a kind.
    State,
    /// A subject.
    Subject,
    /// An exception on one instance.
    Exception,
    /// A restriction on a kind.
    Restriction,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Item::Kind => "kind",
            Item::Action => "action",
            Item::Level => "level",
            Item::Role => "role",
            Item::Toggle => "toggle",
            Item::State => "state",
            Item::Subject => "subject",
            Item::Exception => "exception",
            Item::Restriction => "restriction",
        })
    }
}

/// ` (did you mean `x`?)` for a suggestion, nothing otherwise.
pub(crate) fn hint(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

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
    #[error("{path}: unknown {what} `{name}`{}", hint(suggestion))]
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
    #[error("{path}: duplicate {what} `{name}`")]
    Duplicate {
        /// Where the second one stands.
        path: String,
        /// What the name names.
        what: Item,
        /// The repeated name.
        name: String,
    },
    /// An empty name.
    #[error("{path}: empty {what} name")]
    EmptyName {
        /// Where the name stands.
        path: String,
        /// What the name should have named.
        what: Item,
    },
    /// A kind with more actions than fit in its mask.
    #[error("{path}: kind `{kind}` has {given} actions, more than the limit of {limit}")]
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
    #[error("{path}: `{action}` is an action of kind `{owner}`, not of kind `{kind}`")]
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
    #[error("{path}: base-role cycle {}", cycle.join(" -> "))]
    BaseRoleCycle {
        /// Where the loop is closed.
        path: String,
        /// The roles on the loop, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// Prerequisites that loop back to where they started.
    #[error("{path}: prerequisite cycle {}", cycle.join(" -> "))]
    PrerequisiteCycle {
        /// Where the loop is closed.
        path: String,
        /// The `kind.action` nodes on the loop, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// A subject listed among the subjects it manages.
    #[error("{path}: subject `{subject}` manages itself")]
    ManagesItself {
        /// Where the name stands.
        path: String,
        /// The subject.
        subject: String,
    },
    /// A level that lacks an action of the level below it: levels must be ordered.
    #[error(
        "{path}: level `{level}` lacks `{action}`, which the level below it (`{below}`) holds"
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
    /// An item whose fields contradict each other or say nothing.
    #[error("{path}: {problem}")]
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
            | PolicyError::TooManyActions { path, .. }
            | PolicyError::ForeignAction { path, .. }
            | PolicyError::BaseRoleCycle { path, .. }
            | PolicyError::PrerequisiteCycle { path, .. }
            | PolicyError::ManagesItself { path, .. }
            | PolicyError::LevelOrder { path, .. }
            | PolicyError::Malformed { path, .. } => path,
        }
    }
}

/// The known name nearest to `name`, if it is close enough to be a typo. Names
/// whose lengths differ by more than the allowed edits are skipped without
/// comparing, and very long names get no suggestion, so a huge input costs
/// linear time, not quadratic.
pub(crate) fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    const LONGEST: usize = 128;
    let len = name.chars().count();
    if len > LONGEST {
        return None;
    }
    let limit = len.div_ceil(3).clamp(1, 3);
    known
        .into_iter()
        .filter(|k| k.len() <= LONGEST * 4 && k.chars().count().abs_diff(len) <= limit)
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.to_string())
}

/// Edit distance over chars where a swap of two neighbours counts as one edit
/// (optimal string alignment), so `veiw` is one edit from `view`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    let at = |i: usize, j: usize| i * w + j;
    for (i, slot) in d.iter_mut().step_by(w).enumerate() {
        *slot = i;
    }
    for (j, slot) in d.iter_mut().take(w).enumerate() {
        *slot = j;
    }
    let get = |d: &[usize], i: usize, j: usize| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
    for (i, ca) in a.iter().enumerate() {
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let mut v = (get(&d, i, j) + cost)
                .min(get(&d, i, j + 1) + 1)
                .min(get(&d, i + 1, j) + 1);
            if i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) {
                v = v.min(get(&d, i - 1, j - 1) + 1);
            }
            if let Some(slot) = d.get_mut(at(i + 1, j + 1)) {
                *slot = v;
            }
        }
    }
    get(&d, a.len(), b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_finds_typos_only() {
        assert_eq!(
            nearest("jouney", ["journey", "database"]),
            Some("journey".into())
        );
        assert_eq!(nearest("x", ["journey"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("veiw", "view"), 1);
        let huge = "x".repeat(1 << 20);
        assert_eq!(nearest(&huge, [huge.as_str()]), None);
    }
}
