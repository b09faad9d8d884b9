//! Queries, read and looked up by the library, and what to say when one names
//! something the policy lacks.

use std::fmt::Write as _;

use accessmask::{ActionId, Item, Policy, Query, QueryError, Resource, SubjectId};

/// A query that cannot be asked: the library's message (with the known names
/// when it has no near miss to suggest), and whether the query could not even be
/// read (then `--help` helps).
pub(crate) struct BadQuery {
    pub(crate) message: String,
    pub(crate) syntax: bool,
}

/// Reads `text` and looks its names up in `policy`, with the library; `path` names
/// the query in errors.
pub(crate) fn ask(
    policy: &Policy,
    text: &str,
    path: &str,
) -> Result<(SubjectId, ActionId, Resource), BadQuery> {
    let q = Query::parse(text, path).map_err(|e| BadQuery {
        message: e.to_string(),
        syntax: true,
    })?;
    q.resolve(policy, path).map_err(|e| BadQuery {
        message: format!("{e}{}", known_names(policy, &q, &e)),
        syntax: false,
    })
}

/// For an unknown name with no near miss, what the policy has instead: ` (known:
/// `a`, `b`)`, or for an action or state, what the query's kind has (and, for an
/// action, the kinds it belongs to). Empty when the library suggested a name.
pub(crate) fn known_names(policy: &Policy, q: &Query, e: &QueryError) -> String {
    let QueryError::Unknown {
        what,
        name,
        suggestion: None,
        ..
    } = e
    else {
        return String::new();
    };
    match *what {
        Item::Subject => known(
            &policy
                .subjects()
                .map(|s| policy.subject_name(s))
                .collect::<Vec<_>>(),
        ),
        Item::Kind => known(
            &policy
                .kinds()
                .map(|k| policy.kind_name(k))
                .collect::<Vec<_>>(),
        ),
        Item::Action => {
            let Some(kind) = policy.kind(&q.kind) else {
                return String::new();
            };
            let actions: Vec<&str> = policy
                .actions(kind)
                .map(|a| policy.action_name(a))
                .collect();
            // A right action on the wrong kind is a common slip: say where it is.
            let elsewhere: Vec<&str> = policy
                .kinds()
                .filter(|&k| policy.action(policy.kind_name(k), name).is_some())
                .map(|k| policy.kind_name(k))
                .collect();
            let mut s = String::from(" (");
            if !elsewhere.is_empty() {
                write!(s, "it is an action of {}; ", list(&elsewhere, 3)).ok();
            }
            if actions.is_empty() {
                write!(s, "`{}` has no actions)", q.kind).ok();
            } else {
                write!(s, "`{}` has {})", q.kind, list(&actions, 64)).ok();
            }
            s
        }
        Item::State => {
            let Some(kind) = policy.kind(&q.kind) else {
                return String::new();
            };
            let states: Vec<&str> = policy.states(kind).map(|s| policy.state_name(s)).collect();
            if states.is_empty() {
                format!(" (`{}` has no states)", q.kind)
            } else {
                format!(" (`{}` has {})", q.kind, list(&states, 64))
            }
        }
        _ => String::new(),
    }
}

/// `` (known: `a`, `b`, ...)``, at most ten names.
pub(crate) fn known(names: &[&str]) -> String {
    if names.is_empty() {
        return " (the policy has none)".to_string();
    }
    format!(" (known: {})", list(names, 10))
}

/// `` `a`, `b`, `c` ``, at most `shown` names, then how many more.
pub(crate) fn list(names: &[&str], shown: usize) -> String {
    let mut s = names
        .iter()
        .take(shown)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > shown {
        write!(s, " and {} more", names.len() - shown).ok();
    }
    s
}
