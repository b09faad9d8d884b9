//! Loading a document from text: [`LoadError`], where the text is not a
//! document, or the document does not compile.

use std::fmt;

use serde::Serialize;

use super::PolicyError;
#[cfg(doc)]
use crate::Policy;

/// The format of a policy document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum SourceFormat {
    /// JSON ([`Policy::from_json_str`]).
    Json,
    /// TOML ([`Policy::from_toml_str`]).
    Toml,
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceFormat::Json => "JSON",
            SourceFormat::Toml => "TOML",
        })
    }
}

/// A policy document that cannot be loaded: text that is not a document of the
/// format (with its line and column), or a document that does not compile (with
/// every problem found, up to [`MAX_ERRORS`](crate::MAX_ERRORS), each with its
/// path; see [`Policy::check`]).
///
/// Serializes as `{"Syntax": {"format": "Json", "line": 3, "column": 7,
/// "message": "..."}}` or `{"Invalid": {"path": "...", "source": {..a
/// PolicyError..}, "more": [..]}}`.
///
/// ```
/// # #[cfg(feature = "json")] {
/// use accessmask::{LoadError, Policy};
/// let err = Policy::from_json_str("{\n  \"kinds\": {\n    \"a\": { \"actions\": [\"view\" }\n}").unwrap_err();
/// assert_eq!((err.line(), err.column()), (Some(3), Some(31)));
/// assert!(matches!(err, LoadError::Syntax { .. }));
///
/// let err = Policy::from_json_str(r#"{"kinds": {"a": {"actions": ["view"]}},
///     "roles": {"R": {"grants": {"b": ["view"]}}, "S": {"grants": {"a": ["veiw"]}}}}"#).unwrap_err();
/// assert_eq!(err.path(), Some("roles.R.grants.b"));
/// assert_eq!(err.errors().count(), 2);
/// assert_eq!(err.to_string(), "roles.R.grants.b: the policy does not compile (2 problems)");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum LoadError {
    /// The text is not a document of the format, or not shaped like a policy
    /// (a wrong type, an unknown field).
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// The format it was read as.
        format: SourceFormat,
        /// The line, from 1 (0 when the parser does not say).
        line: usize,
        /// The column in characters, from 1 (0 when the parser does not say).
        column: usize,
        /// What is wrong, as the parser says it, without its position.
        message: String,
    },
    /// The document does not compile.
    #[error("{path}: the policy does not compile ({})", problems(1 + more.len()))]
    Invalid {
        /// Where the first problem stands (`roles.Designer.grants.jouney`).
        path: String,
        /// The first problem: the error [`Policy::compile`] returns.
        #[source]
        source: Box<PolicyError>,
        /// The other problems found, in order (see [`Policy::check`]).
        more: Vec<PolicyError>,
    },
}

fn problems(n: usize) -> String {
    if n == 1 {
        "1 problem".to_string()
    } else {
        format!("{n} problems")
    }
}

impl LoadError {
    /// The line of a syntax error, from 1.
    pub fn line(&self) -> Option<usize> {
        match self {
            LoadError::Syntax { line, .. } => Some(*line).filter(|&l| l > 0),
            LoadError::Invalid { .. } => None,
        }
    }

    /// The column of a syntax error, in characters from 1.
    pub fn column(&self) -> Option<usize> {
        match self {
            LoadError::Syntax { column, .. } => Some(*column).filter(|&c| c > 0),
            LoadError::Invalid { .. } => None,
        }
    }

    /// The path of the first problem of a document that does not compile.
    pub fn path(&self) -> Option<&str> {
        match self {
            LoadError::Syntax { .. } => None,
            LoadError::Invalid { path, .. } => Some(path),
        }
    }

    /// Every problem of a document that does not compile, in order (none for a
    /// syntax error).
    pub fn errors(&self) -> impl Iterator<Item = &PolicyError> {
        let (first, more) = match self {
            LoadError::Syntax { .. } => (None, &[][..]),
            LoadError::Invalid { source, more, .. } => (Some(&**source), more.as_slice()),
        };
        first.into_iter().chain(more)
    }
}
