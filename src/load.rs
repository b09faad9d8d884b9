//! One call from a document's text to a compiled policy: [`Policy::from_json_str`]
//! (feature `json`) and [`Policy::from_toml_str`] (feature `toml`), with a
//! [`LoadError`] that says where the problem stands: a line and column for text
//! that is not a document, the item's path for a document that does not compile.

use std::fmt;

use serde::Serialize;

use crate::def::PolicyDef;
use crate::engine::Policy;
use crate::error::PolicyError;

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

/// The line and column (in characters, both from 1) of byte `offset` in `text`.
#[cfg_attr(not(feature = "toml"), allow(dead_code))]
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

impl Policy {
    /// Compiles `def`, or reports every problem ([`Policy::check`]).
    fn compile_or_report(def: &PolicyDef) -> Result<Policy, LoadError> {
        Policy::compile(def).map_err(|first| {
            let mut all = Policy::check(def).into_iter();
            // The first found again is `first`; keep the compiler's own.
            let _ = all.next();
            LoadError::Invalid {
                path: first.path().to_string(),
                source: Box::new(first),
                more: all.collect(),
            }
        })
    }

    /// Reads a JSON policy document and compiles it (feature `json`).
    ///
    /// ```
    /// use accessmask::Policy;
    /// let policy = Policy::from_json_str(r#"{
    ///   "kinds": { "repo": { "actions": ["pull", "push"] } },
    ///   "roles": { "Dev": { "grants": { "repo": ["pull"] } } },
    ///   "subjects": { "dan": { "role": "Dev" } }
    /// }"#)?;
    /// assert!(policy.query("dan pull repo:7")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "json")]
    pub fn from_json_str(text: &str) -> Result<Policy, LoadError> {
        let def: PolicyDef = serde_json::from_str(text).map_err(|e| {
            let full = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            LoadError::Syntax {
                format: SourceFormat::Json,
                line: e.line(),
                column: e.column(),
                message: full.strip_suffix(&suffix).unwrap_or(&full).to_string(),
            }
        })?;
        Policy::compile_or_report(&def)
    }

    /// Reads a TOML policy document and compiles it (feature `toml`). The
    /// document has the JSON document's shape: `[kinds.repo]`, `[roles.Dev.grants]`.
    ///
    /// ```
    /// use accessmask::Policy;
    /// let policy = Policy::from_toml_str(r#"
    /// [kinds.repo]
    /// actions = ["pull", "push"]
    ///
    /// [roles.Dev.grants]
    /// repo = ["pull"]
    ///
    /// [subjects.dan]
    /// role = "Dev"
    /// "#)?;
    /// assert!(!policy.query("dan push repo:7")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<Policy, LoadError> {
        let def: PolicyDef = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| position(text, s.start));
            LoadError::Syntax {
                format: SourceFormat::Toml,
                line,
                column,
                message: e.message().trim_end().to_string(),
            }
        })?;
        Policy::compile_or_report(&def)
    }
}

#[cfg(test)]
mod tests {
    use super::position;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let text = "ab\ncé\nx";
        assert_eq!(position(text, 0), (1, 1));
        assert_eq!(position(text, 3), (2, 1));
        assert_eq!(position(text, 6), (2, 3));
        assert_eq!(position(text, 7), (3, 1));
        assert_eq!(position(text, 99), (3, 2));
    }
}
