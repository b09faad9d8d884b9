//! Changing a running policy: one subject (or one role) at a time, as new snapshots
//! that share everything unchanged; permissioned changes without escalation; and
//! [`LivePolicy`], which swaps snapshots under readers.
//!
//! The parts: the changes and their errors (here), making a change on a copy
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
use crate::error::{hint, Item, PolicyError, Shown};

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

/// A change that cannot be made. Nothing is changed when one is returned.
///
/// Serializes (for audit logs) externally tagged, like [`PolicyError`]:
/// `{"Refused": {"actor": "nobody"}}`, `{"Escalation": {"actor": ..., "subject":
/// ..., "kind": ..., "actions": [...], "id": "42", "within": [], "state": null, "owner": null,
/// "rule": 1, "allowed_by": null}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum ChangeError {
    /// The change would make an invalid definition (the path is where the subject
    /// or role stands in [`Policy::to_definition`](crate::Policy::to_definition)'s document).
    #[error(transparent)]
    Invalid(#[from] PolicyError),
    /// The subject to change does not exist.
    #[error("unknown subject `{}`{}", Shown(name), hint(suggestion))]
    UnknownSubject {
        /// The name given.
        name: String,
        /// The nearest known name, if one is close.
        suggestion: Option<String>,
    },
    /// The subject to add exists already.
    #[error("subject `{0}` exists already")]
    SubjectExists(String),
    /// A subject to remove is still managed by another.
    #[error("cannot remove subject `{subject}`: `{manager}` manages it")]
    StillManaged {
        /// The subject.
        subject: String,
        /// A subject that manages it.
        manager: String,
    },
    /// The exception or restriction to remove does not exist.
    #[error("subject `{subject}` has no {what} on `{on}`")]
    NothingToRemove {
        /// The subject.
        subject: String,
        /// Exception or restriction.
        what: Item,
        /// `kind:id` or `kind`.
        on: String,
    },
    /// The actor is not a subject of the policy, or no admin rule covers the
    /// change. The refusal is the same whatever the change names, and suggests
    /// nothing.
    #[error("`{actor}` may not make this change")]
    Refused {
        /// The actor, as given.
        actor: String,
    },
    /// The actor lacks the administrative action a rule requires.
    #[error("`{actor}` may not {change}: it lacks `{kind}.{action}` (admin rule {rule})")]
    NotPermitted {
        /// The actor.
        actor: String,
        /// The change, in words.
        change: String,
        /// The required action's kind.
        kind: String,
        /// The required action.
        action: String,
        /// The rule's index in `admin`.
        rule: usize,
    },
    /// The change would let a subject do something the actor cannot do itself, on
    /// the same resource: the first such gain found.
    #[error(transparent)]
    Escalation(Box<Escalation>),
    /// A change of a batch failed; none of the batch was applied.
    #[error("change {index} of the batch was refused")]
    Batch {
        /// The position of the failed change.
        index: usize,
        /// Why it failed.
        #[source]
        source: Box<ChangeError>,
    },
}

fn list(actions: &[String]) -> String {
    let quoted: Vec<String> = actions.iter().map(|a| format!("`{a}`")).collect();
    quoted.join(", ")
}

fn resource_words(
    kind: &str,
    id: &Option<String>,
    within: &[String],
    state: &Option<String>,
    owner: &Option<String>,
) -> String {
    let mut out = match id {
        Some(id) => format!("`{kind}:{id}`"),
        None => format!("`{kind}`"),
    };
    for a in within {
        out.push_str(&format!(" in `{a}`"));
    }
    if let Some(state) = state {
        out.push_str(&format!(" in state `{state}`"));
    }
    if let Some(owner) = owner {
        out.push_str(&format!(" owned by `{owner}`"));
    }
    out
}

/// What an escalation refusal found: the first gain of a subject, on one class of
/// resource, that the actor does not hold there itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error(
    "`{actor}` may not {change}: `{subject}` would gain {} on {}, which `{actor}` does not hold there (admin rule {rule} does not allow granting beyond one's own{})",
    list(actions),
    resource_words(kind, id, within, state, owner),
    allowed_by.as_ref().map_or(String::new(), |(i, a)| format!("; admin rule {i}, requiring `{a}`, would"))
)]
#[non_exhaustive]
pub struct Escalation {
    /// The actor.
    pub actor: String,
    /// The change, in words.
    pub change: String,
    /// The subject that would gain.
    pub subject: String,
    /// The kind of the resource.
    pub kind: String,
    /// The actions it would gain that the actor lacks, in declaration order.
    pub actions: Vec<String>,
    /// The resource's instance id as a document writes it (an id no layer names
    /// stands for every such id), if any.
    pub id: Option<String>,
    /// The ancestors the resource is in, parent first, as `kind:id`.
    pub within: Vec<String>,
    /// The resource's state, if any.
    pub state: Option<String>,
    /// The resource's owner, if any (none also stands for an owner related to
    /// neither the subject nor the actor).
    pub owner: Option<String>,
    /// The covering rule that does not let its holder grant beyond its own.
    pub rule: usize,
    /// A rule that would have allowed it (it covers the change and lets its
    /// holder grant beyond its own), with the action it requires.
    pub allowed_by: Option<(usize, String)>,
}
