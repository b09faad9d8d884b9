//! Binding a `bitflags` type to a kind: [`TypedKindError`].

use serde::Serialize;

use super::text::{hint, Shown};

/// A `bitflags` type that does not match a kind's actions bit for bit. Serializes
/// as the variant with its fields (Serialize only).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum TypedKindError {
    /// No kind of that name.
    #[error("unknown kind `{}`{}", Shown(name), hint(suggestion))]
    UnknownKind {
        /// The name given.
        name: String,
        /// The nearest kind name, if one is close.
        suggestion: Option<String>,
    },
    /// A flag whose bit is not the kind's action of the same name.
    #[error("kind `{kind}`: flag `{flag}` is bit {bit:#x}, but the kind's action at that bit is `{action}`")]
    Mismatch {
        /// The kind.
        kind: String,
        /// The flag's name.
        flag: String,
        /// The flag's bits.
        bit: u64,
        /// The kind's action at that bit (empty if none).
        action: String,
    },
}
