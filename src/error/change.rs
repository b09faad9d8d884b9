//! Changing a running policy: [`ChangeError`], and the [`Escalation`] a
//! refusal names.

use serde::Serialize;

use super::text::{hint, Shown};
use super::{Item, PolicyError};

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
    #[error("subject `{}` exists already", Shown(name))]
    SubjectExists {
        /// The name given.
        name: String,
    },
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
