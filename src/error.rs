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

/// "its ancestors are `a`, `b`" or "it has no ancestor".
fn ancestors_text(chain: &[String]) -> String {
    if chain.is_empty() {
        return "it has no ancestor".into();
    }
    let list: Vec<String> = chain.iter().map(|c| format!("`{}`", Shown(c))).collect();
    format!("its ancestors are {}", list.join(", "))
}

/// ` (did you mean `x`?)` for a suggestion, nothing otherwise.
pub(crate) fn hint(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// What is wrong with `name`, or `None` if it is a good name: non-empty, no
/// leading or trailing whitespace, no control character and no
/// bidirectional-text control (U+061C, U+200E, U+200F, U+202A-U+202E,
/// U+2066-U+2069). Such names print safely as they are in an explanation, an
/// error, a log line or a Markdown matrix.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return Some("has leading or trailing whitespace");
    }
    if name.chars().any(char::is_control) {
        return Some("has a control character");
    }
    if name.chars().any(is_bidi_control) {
        return Some("has a bidirectional-text control");
    }
    None
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks a defined name: empty is [`PolicyError::EmptyName`], anything else
/// [`name_problem`] refuses is [`PolicyError::BadName`]. `path` is only built on
/// failure.
pub(crate) fn check_name(
    name: &str,
    what: Item,
    path: impl FnOnce() -> String,
) -> Result<(), PolicyError> {
    match name_problem(name) {
        None => Ok(()),
        Some(_) if name.is_empty() => Err(PolicyError::EmptyName { path: path(), what }),
        Some(reason) => Err(PolicyError::BadName {
            path: path(),
            what,
            name: name.to_string(),
            reason,
        }),
    }
}

/// User input in a message: control and bidirectional-text characters escaped
/// (`\n`, `\u{202e}`), everything else as it is, so a message is one line that
/// reads the way it prints.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shown<'a>(pub(crate) &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() || is_bidi_control(c) {
                write!(f, "{}", c.escape_default())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
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
    /// A name that could not be printed safely as it is (see [`name_problem`]
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

/// A string id as a query writes it: as it is, or in double quotes when it would
/// not read back otherwise (see [`needs_quotes`]). Lives here, with the
/// crate's other rules for printing caller text. The question line of an
/// explanation writes string ids this way, so it reads back as the question.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdText<'a>(pub(crate) &'a str);

impl fmt::Display for IdText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !needs_quotes(self.0) {
            return f.write_str(self.0);
        }
        fmt::Write::write_char(f, '"')?;
        for c in self.0.chars() {
            match c {
                '"' | '\\' => write!(f, "\\{c}")?,
                c if c.is_control() || is_bidi_control(c) => write!(f, "{}", c.escape_default())?,
                c => fmt::Write::write_char(f, c)?,
            }
        }
        fmt::Write::write_char(f, '"')
    }
}

/// Whether a bare `id` would not read back as itself: empty, starting with `"`,
/// or holding whitespace (which ends a word), a control character or a
/// bidirectional-text control (which a message escapes, and a reader cannot see).
pub(crate) fn needs_quotes(id: &str) -> bool {
    id.is_empty()
        || id.starts_with('"')
        || id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || is_bidi_control(c))
}
