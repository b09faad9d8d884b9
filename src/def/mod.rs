//! The policy document: what a policy *says*, in names, as serde reads and writes it.
//!
//! These types are plain data. Nothing here is checked until
//! [`Policy::compile`](crate::Policy::compile) turns a [`PolicyDef`] into the
//! compiled engine, reporting every problem as a [`PolicyError`](crate::PolicyError)
//! with the path of the offending item.
//!
//! Maps keep document order and keep duplicate keys (see [`NamedMap`]), so that a
//! duplicate name in a document is reported instead of silently overwritten.
//!
//! The parts: the document's types (`document`), instance ids as written
//! (`ids`), the ordered maps (`named`), and the builder that assembles a
//! document in code (`builder`).

mod builder;
mod document;
mod ids;
mod named;

pub use builder::PolicyBuilder;
pub(crate) use document::{on_instance, on_kind};
pub use document::{
    ActionRefDef, AdminRuleDef, ChangeKind, ExceptionDef, GrantDef, KindDef, PolicyDef,
    PrerequisiteDef, RestrictionDef, RoleDef, Scope, StateRuleDef, SubjectDef, ToggleDef,
};
pub use ids::{IdDef, IdType, InstanceId};
pub use named::NamedMap;
