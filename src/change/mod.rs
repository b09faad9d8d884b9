//! Changing a running policy: one subject (or one role) at a time, as new snapshots
//! that share everything unchanged; permissioned changes without escalation; and
//! [`LivePolicy`], which swaps snapshots under readers.
//!
//! The parts: the changes (here; their errors are in `error`), making a change on a copy
//! (`edit`), who may make it and the exact no-escalation check (`permit`), and
//! the live handle readers share (`live`).

mod edit;
mod live;
mod permit;
mod subject;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::def::{on_instance, on_kind};
use crate::def::{ChangeKind, ExceptionDef, IdDef, RestrictionDef, RoleDef, SubjectDef};
use crate::error::Shown;

pub use crate::error::{ChangeError, Escalation};

pub use live::LivePolicy;
pub use permit::Actor;

/// Text from a caller, shown with control and bidirectional-text characters
/// escaped, so that a refusal cannot forge a log line.
pub(crate) fn printable(text: &str) -> Shown<'_> {
    Shown(text)
}

use printable as p;

/// One change to a running policy, by names.
///
/// In a document: `{"change": "set_level", "subject": "bo", "kind": "tracking",
/// "level": "Read Only Access"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Change {
    /// Adds a subject.
    AddSubject {
        /// Its name (new).
        subject: String,
        /// Its definition.
        def: SubjectDef,
    },
    /// Removes a subject no other subject manages.
    RemoveSubject {
        /// The subject.
        subject: String,
    },
    /// Sets a subject's role.
    SetRole {
        /// The subject.
        subject: String,
        /// The role.
        role: String,
    },
    /// Sets (or with `level: None`, clears) a subject's level on a kind.
    SetLevel {
        /// The subject.
        subject: String,
        /// The kind.
        kind: String,
        /// The level, or none to fall back to the role's set.
        level: Option<String>,
    },
    /// Switches a toggle on or off for a subject.
    SetToggle {
        /// The subject.
        subject: String,
        /// The toggle.
        toggle: String,
        /// On or off.
        on: bool,
    },
    /// Adds a subject's exception, replacing one on the same `(kind, in, id)`.
    SetException {
        /// The subject.
        subject: String,
        /// The exception.
        exception: ExceptionDef,
    },
    /// Removes a subject's exception on `(kind, in, id)`.
    RemoveException {
        /// The subject.
        subject: String,
        /// The kind.
        kind: String,
        /// The ancestor kind, for an exception written `in` one.
        within: Option<String>,
        /// The instance (with `within`, the ancestor instance).
        id: IdDef,
    },
    /// Adds a subject's restriction, replacing one on the same `(kind, in)`.
    SetRestriction {
        /// The subject.
        subject: String,
        /// The restriction.
        restriction: RestrictionDef,
    },
    /// Removes a subject's restriction on a kind (with `within`, its restriction
    /// written `in` that ancestor kind).
    RemoveRestriction {
        /// The subject.
        subject: String,
        /// The kind.
        kind: String,
        /// The ancestor kind, for a restriction written `in` one.
        within: Option<String>,
    },
    /// Sets the subjects a subject manages.
    SetManages {
        /// The subject.
        subject: String,
        /// The subjects it manages.
        manages: Vec<String>,
    },
    /// Adds a role, or replaces the definition of an existing one (roles derived
    /// from it change with it).
    DefineRole {
        /// The role.
        role: String,
        /// Its definition.
        def: RoleDef,
    },
}

impl Change {
    /// Which sort of change this is, for [`AdminRuleDef`](crate::AdminRuleDef)s.
    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::AddSubject { .. } => ChangeKind::AddSubject,
            Change::RemoveSubject { .. } => ChangeKind::RemoveSubject,
            Change::SetRole { .. } => ChangeKind::SetRole,
            Change::SetLevel { .. } => ChangeKind::SetLevel,
            Change::SetToggle { .. } => ChangeKind::SetToggle,
            Change::SetException { .. }
            | Change::RemoveException { .. }
            | Change::SetRestriction { .. }
            | Change::RemoveRestriction { .. } => ChangeKind::SetException,
            Change::SetManages { .. } => ChangeKind::SetManages,
            Change::DefineRole { .. } => ChangeKind::DefineRole,
        }
    }

    /// The subject changed, if the change is about one.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Change::AddSubject { subject, .. }
            | Change::RemoveSubject { subject }
            | Change::SetRole { subject, .. }
            | Change::SetLevel { subject, .. }
            | Change::SetToggle { subject, .. }
            | Change::SetException { subject, .. }
            | Change::RemoveException { subject, .. }
            | Change::SetRestriction { subject, .. }
            | Change::RemoveRestriction { subject, .. }
            | Change::SetManages { subject, .. } => Some(subject),
            Change::DefineRole { .. } => None,
        }
    }

    /// The kind the change is about, if any (levels, exceptions, restrictions).
    pub fn about_kind(&self) -> Option<&str> {
        match self {
            Change::SetLevel { kind, .. }
            | Change::RemoveException { kind, .. }
            | Change::RemoveRestriction { kind, .. } => Some(kind),
            Change::SetException { exception, .. } => Some(&exception.kind),
            Change::SetRestriction { restriction, .. } => Some(&restriction.kind),
            _ => None,
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::AddSubject { subject, .. } => write!(f, "add subject `{}`", p(subject)),
            Change::RemoveSubject { subject } => write!(f, "remove subject `{}`", p(subject)),
            Change::SetRole { subject, role } => {
                write!(f, "set the role of `{}` to `{}`", p(subject), p(role))
            }
            Change::SetLevel {
                subject,
                kind,
                level: Some(level),
            } => write!(
                f,
                "set the level of `{}` on `{}` to `{}`",
                p(subject),
                p(kind),
                p(level)
            ),
            Change::SetLevel {
                subject,
                kind,
                level: None,
            } => write!(f, "clear the level of `{}` on `{}`", p(subject), p(kind)),
            Change::SetToggle {
                subject,
                toggle,
                on,
            } => {
                let state = if *on { "on" } else { "off" };
                write!(f, "switch `{}` {state} for `{}`", p(toggle), p(subject))
            }
            Change::SetException { subject, exception } => write!(
                f,
                "set an exception for `{}` on `{}`",
                p(subject),
                p(&on_instance(
                    &exception.kind,
                    exception.within.as_deref(),
                    &exception.id
                ))
            ),
            Change::RemoveException {
                subject,
                kind,
                within,
                id,
            } => {
                write!(
                    f,
                    "remove the exception for `{}` on `{}`",
                    p(subject),
                    p(&on_instance(kind, within.as_deref(), id))
                )
            }
            Change::SetRestriction {
                subject,
                restriction,
            } => write!(
                f,
                "restrict `{}` on `{}`",
                p(subject),
                p(&on_kind(&restriction.kind, restriction.within.as_deref()))
            ),
            Change::RemoveRestriction {
                subject,
                kind,
                within,
            } => {
                write!(
                    f,
                    "remove the restriction of `{}` on `{}`",
                    p(subject),
                    p(&on_kind(kind, within.as_deref()))
                )
            }
            Change::SetManages { subject, .. } => write!(f, "set whom `{}` manages", p(subject)),
            Change::DefineRole { role, .. } => write!(f, "define role `{}`", p(role)),
        }
    }
}
