//! Why a filter could not be rendered as SQL.

use crate::def::InstanceId;

/// Why a filter could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    /// A column name is not a SQL identifier.
    #[error("columns.{field}: `{name}` is not a SQL identifier (a letter or `_`, then letters, digits or `_`, optionally `table.column`)")]
    BadColumn {
        /// Which column: `id`, `owner`, `state` or `ancestor`.
        field: &'static str,
        /// The name given.
        name: String,
    },
    /// An instance id the filter names is above `i64::MAX`, so no SQL integer
    /// holds it.
    #[error("instance id `{id}` does not fit a SQL integer")]
    IdOutOfRange {
        /// The id.
        id: InstanceId,
    },
    /// The filter tests an ancestor of each row (its answers depend on it) and
    /// the columns name no column for that ancestor kind.
    #[error("columns.ancestor: no column for the `{kind}` of each row (ancestor {depth} of `{of}`), which the filter tests; give one with `Columns::ancestor`")]
    MissingAncestor {
        /// The ancestor kind.
        kind: String,
        /// Its depth (1: the parent).
        depth: usize,
        /// The filter's kind.
        of: String,
    },
    /// A filter of a kind with string ids lists an id without its string (a
    /// filter not made by [`Policy::filter`](crate::Policy::filter)).
    #[error("instance id `{id}` of a kind with string ids has no string in the filter")]
    NoText {
        /// The id (the policy's number for the string).
        id: InstanceId,
    },
}
