//! One call from a document's text to a compiled policy: [`Policy::from_json_str`]
//! (feature `json`) and [`Policy::from_toml_str`] (feature `toml`), with a
//! [`LoadError`] that says where the problem stands: a line and column for text
//! that is not a document, the item's path for a document that does not compile.

use crate::def::PolicyDef;
use crate::engine::Policy;
use crate::error::{LoadError, SourceFormat};

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
