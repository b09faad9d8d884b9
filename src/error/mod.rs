//! Errors, by phase. Nothing fails at check time; everything is caught when a
//! policy is built, loaded or changed:
//!
//! - compiling a definition: [`PolicyError`] (`policy`);
//! - loading one from text: [`LoadError`] (`load`, features `json`/`toml`);
//! - changing a running policy: [`ChangeError`] and the [`Escalation`] a refusal
//!   names (`change`);
//! - binding a `bitflags` type to a kind: [`TypedKindError`] (`typed`);
//! - reading and comparing golden matrices: [`MatrixError`] (`matrix`);
//! - reading a query: [`QueryError`] (`query`);
//! - rendering a filter as SQL: [`SqlError`] (`sql`).
//!
//! Every error is a
//! `thiserror` enum, `#[non_exhaustive]`, serializable; a variant about a bad
//! item carries its name (and its path, where there is one), and one about an
//! unknown name carries the nearest known one. `text` holds the rules every
//! message follows for names and caller text.

mod change;
#[cfg(any(feature = "json", feature = "toml"))]
mod load;
mod matrix;
mod policy;
mod query;
mod sql;
mod text;
mod typed;

pub use change::{ChangeError, Escalation};
#[cfg(any(feature = "json", feature = "toml"))]
pub use load::{LoadError, SourceFormat};
pub use matrix::MatrixError;
pub use policy::PolicyError;
pub use query::QueryError;
pub use sql::SqlError;
pub(crate) use text::{check_name, hint, nearest, IdText, Shown};
pub use text::{name_problem, Item};
pub use typed::TypedKindError;
