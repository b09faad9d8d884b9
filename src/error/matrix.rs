//! Reading and comparing golden matrices: [`MatrixError`].

use serde::Serialize;

use super::text::{hint, Shown};

/// A golden matrix that cannot be read or compared. Serializes as the variant
/// with its fields (Serialize only).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum MatrixError {
    /// A line that is not a table row.
    #[error("line {line}: {problem}")]
    Syntax {
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        problem: &'static str,
    },
    /// A row with another number of cells than the header.
    #[error("line {line}: {found} cells, the header has {expected}")]
    Width {
        /// The line number, from 1.
        line: usize,
        /// Cells in the header.
        expected: usize,
        /// Cells in this row.
        found: usize,
    },
    /// The corner names no matrix the policy renders.
    #[error(
        "line 1: corner `{}` is neither `action` (roles x actions) nor `subject` (subjects x levels)",
        Shown(name)
    )]
    Corner {
        /// The corner as written.
        name: String,
    },
    /// A row the policy's matrix does not have.
    #[error(
        "line {line}: the policy has no row `{}`{}",
        Shown(name),
        hint(suggestion)
    )]
    UnknownRow {
        /// The line number, from 1.
        line: usize,
        /// The row's name.
        name: String,
        /// The nearest row name, if one is close.
        suggestion: Option<String>,
    },
    /// A column the policy's matrix does not have.
    #[error(
        "line {line}: the policy has no column `{}`{}",
        Shown(name),
        hint(suggestion)
    )]
    UnknownColumn {
        /// The line number, from 1.
        line: usize,
        /// The column's name.
        name: String,
        /// The nearest column name, if one is close.
        suggestion: Option<String>,
    },
}
