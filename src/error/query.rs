//! Why a query could not be read or resolved.

use serde::Serialize;

use crate::def::IdType;
use crate::error::{hint, Item, PolicyError};

/// A query that cannot be read or names something the policy lacks.
///
/// Serializes as `{"Syntax": {"path", "text", "problem"}}`, `{"Unknown":
/// {"path", "what", "name", "suggestion"}}` or `{"IdType": {"path", "kind",
/// "expected", "id"}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum QueryError {
    /// The text is not a query.
    #[error("{path}: cannot read `{text}`: {problem}")]
    Syntax {
        /// Where the query stands.
        path: String,
        /// The text.
        text: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A name the policy does not know.
    #[error("{path}: unknown {what} `{name}`{}", hint(suggestion))]
    Unknown {
        /// Where the query stands.
        path: String,
        /// What the name should name.
        what: Item,
        /// The name.
        name: String,
        /// The nearest known name, if close.
        suggestion: Option<String>,
    },
    /// An id that is not of its kind's id type: a kind with number ids given an id
    /// that is not a `u64` (`repo:acme/web` where `repo` has number ids).
    #[error(
        "{path}: kind `{kind}` has {expected} ids, and `{}` is not one",
        crate::error::Shown(id)
    )]
    IdType {
        /// Where the query stands.
        path: String,
        /// The kind of the instance (the resource's or an ancestor's).
        kind: String,
        /// The kind's id type.
        expected: IdType,
        /// The id as written (unquoted).
        id: String,
    },
    /// A principal given inline with the question does not compile against the
    /// policy.
    #[error("{path}: principal `{name}` does not compile")]
    Principal {
        /// Where the principal stands.
        path: String,
        /// Its key, as written.
        name: String,
        /// Why.
        #[source]
        source: Box<PolicyError>,
    },
}

impl QueryError {
    /// Where the query stands (`query`, `expect[3]`).
    pub fn path(&self) -> &str {
        match self {
            QueryError::Syntax { path, .. }
            | QueryError::Unknown { path, .. }
            | QueryError::IdType { path, .. }
            | QueryError::Principal { path, .. } => path,
        }
    }
}
