//! Permissioned changes: who may change what, and the exact no-escalation check
//! (MODEL.md, "No escalation, exactly").
//!
//! A permissioned change or batch is judged in three steps, in this order:
//!
//! 1. **Authorization**, before the change's content is looked at: the actor is a
//!    subject of the snapshot, and every admin rule covering each change is met by
//!    it. An unknown actor, or one that no rule covers, gets one refusal
//!    ([`ChangeError::Refused`]) whatever the change names, with no suggestion, in
//!    time that does not depend on the change or the policy.
//! 2. **Validation**: the changes are made on a copy, with the usual typed errors.
//! 3. **No escalation**: every subject the batch can change (its targets, and every
//!    holder of a redefined role or a role derived from it) is asked, through the
//!    engine's own [`Policy::allowed`] on both snapshots, about every class of
//!    resource on which an answer can differ. Whatever a subject gains, the actor
//!    must hold on the same resource in the old snapshot.

mod probe;

use super::{printable, Change, ChangeError, Escalation};
use crate::engine::{Policy, REMOVED};
use crate::ids::{KindId, Resource, StateId, SubjectId};
use crate::model::AdminRule;

use probe::Probe;

/// Who makes a permissioned change: a subject of the policy, by [`SubjectId`] (as
/// checks take it) or by name.
///
/// Sealed: implemented for [`SubjectId`], `&str`, `String` and `&String`.
pub trait Actor: sealed::Sealed {
    /// The subject's index in `policy`, if it is one of its live subjects.
    #[doc(hidden)]
    fn resolve(&self, policy: &Policy) -> Option<u32>;
    /// How a refusal names it.
    #[doc(hidden)]
    fn shown(&self, policy: &Policy) -> String;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::ids::SubjectId {}
    impl Sealed for &str {}
    impl Sealed for String {}
    impl Sealed for &String {}
}

impl Actor for SubjectId {
    fn resolve(&self, policy: &Policy) -> Option<u32> {
        policy.resolve(*self)
    }

    fn shown(&self, policy: &Policy) -> String {
        match policy.resolve(*self).and_then(|s| policy.info(s)) {
            Some(info) => info.name.to_string(),
            None => format!("#{}", self.index),
        }
    }
}

impl Actor for &str {
    fn resolve(&self, policy: &Policy) -> Option<u32> {
        policy.index.get(self).filter(|&a| policy.info(a).is_some())
    }

    fn shown(&self, _: &Policy) -> String {
        printable(self).to_string()
    }
}

impl Actor for String {
    fn resolve(&self, policy: &Policy) -> Option<u32> {
        self.as_str().resolve(policy)
    }

    fn shown(&self, policy: &Policy) -> String {
        self.as_str().shown(policy)
    }
}

impl Actor for &String {
    fn resolve(&self, policy: &Policy) -> Option<u32> {
        self.as_str().resolve(policy)
    }

    fn shown(&self, policy: &Policy) -> String {
        self.as_str().shown(policy)
    }
}

/// A subject that may gain something: what, and on which resource (as the
/// snapshot after the change knows it).
#[derive(Debug, Clone, Copy)]
pub(super) struct Gain {
    pub(super) subject: u32,
    pub(super) kind: KindId,
    pub(super) bits: u64,
    pub(super) resource: Resource,
    pub(super) state: Option<StateId>,
    pub(super) owner: Option<u32>,
}

/// An owner related to no one (no subject has this index): the "unrelated owner"
/// class of the escalation check.
pub(super) const NOBODY: u32 = REMOVED - 1;

impl Policy {
    /// Steps 1 to 3 for `changes` by `actor`. `single`: errors of the one change
    /// are not wrapped in [`ChangeError::Batch`].
    pub(crate) fn permitted(
        &self,
        actor: &impl Actor,
        changes: &[&Change],
        single: bool,
    ) -> Result<Policy, ChangeError> {
        let wrap = |index: usize, e: ChangeError| {
            if single {
                e
            } else {
                ChangeError::Batch {
                    index,
                    source: Box::new(e),
                }
            }
        };
        let refused = || ChangeError::Refused {
            actor: actor.shown(self),
        };
        // Step 1: the actor, then rule coverage, before anything else.
        let Some(a) = actor.resolve(self) else {
            return Err(refused());
        };
        let mut escalation_rule = None;
        for (index, change) in changes.iter().enumerate() {
            let mut covered = false;
            for rule in self.covering(change) {
                covered = true;
                let target = change
                    .subject()
                    .and_then(|s| self.index.get(s))
                    .filter(|&t| self.info(t).is_some());
                let mut r = Resource::new(rule.requires.kind);
                if let Some(t) = target {
                    r = r.with_owner(SubjectId(t));
                }
                if !self.can(SubjectId(a), rule.requires, &r) {
                    return Err(wrap(
                        index,
                        ChangeError::NotPermitted {
                            actor: actor.shown(self),
                            change: change.to_string(),
                            kind: self.kind_name(rule.requires.kind).to_string(),
                            action: self.action_name(rule.requires).to_string(),
                            rule: rule.index,
                        },
                    ));
                }
                if !rule.may_escalate && escalation_rule.is_none() {
                    escalation_rule = Some(rule.index);
                }
            }
            if !covered {
                return Err(refused());
            }
        }
        // Step 2: validate by making the changes on a copy.
        let mut next = self.clone();
        for (index, change) in changes.iter().enumerate() {
            next.change_in_place(change).map_err(|e| wrap(index, e))?;
        }
        // Step 3: unless every covering rule lets its holder grant beyond its own.
        if let Some(rule) = escalation_rule {
            let probe = Probe {
                before: self,
                after: &next,
                actor: a,
            };
            if let Some(gain) = probe.first_gain(changes) {
                return Err(self.escalation_error(&next, actor, changes, gain, rule));
            }
        }
        Ok(next)
    }

    /// The admin rules that cover `change`.
    fn covering<'s>(&'s self, change: &Change) -> impl Iterator<Item = &'s AdminRule> + 's {
        let sort = change.kind();
        let about = change
            .about_kind()
            .and_then(|k| self.schema.kind_index.get(k).copied());
        self.schema
            .admin
            .iter()
            .filter(move |r| r.changes.contains(&sort))
            .filter(move |r| r.kinds.is_empty() || about.is_some_and(|k| r.kinds.contains(&k)))
    }

    fn escalation_error(
        &self,
        next: &Policy,
        actor: &impl Actor,
        changes: &[&Change],
        gain: Gain,
        rule: usize,
    ) -> ChangeError {
        let kind = next.kind_name(gain.kind).to_string();
        let actions = next
            .actions(gain.kind)
            .filter(|a| gain.bits & a.mask() != 0)
            .map(|a| next.action_name(a).to_string())
            .collect();
        // A rule that would have allowed it: one that lets its holder grant beyond
        // its own and covers every change.
        let beyond = self
            .schema
            .admin
            .iter()
            .find(|r| r.may_escalate && changes.iter().all(|c| self.covering(c).any(|x| x == *r)))
            .map(|r| {
                (
                    r.index,
                    format!(
                        "{}.{}",
                        self.kind_name(r.requires.kind),
                        self.action_name(r.requires)
                    ),
                )
            });
        let owner = |o: u32| {
            (o != NOBODY).then(|| {
                let name = next.subject_name(SubjectId(o));
                if name.is_empty() {
                    self.subject_name(SubjectId(o)).to_string()
                } else {
                    name.to_string()
                }
            })
        };
        ChangeError::Escalation(Box::new(Escalation {
            actor: actor.shown(self),
            change: match changes {
                [one] => one.to_string(),
                many => format!("make these {} changes", many.len()),
            },
            subject: next.subject_name(SubjectId(gain.subject)).to_string(),
            kind,
            actions,
            id: gain
                .resource
                .id
                .map(|id| next.id_text(gain.resource.kind, id)),
            within: gain
                .resource
                .ancestors()
                .iter()
                .map(|a| format!("{}:{}", next.kind_name(a.kind), next.id_text(a.kind, a.id)))
                .collect(),
            state: gain.state.map(|s| next.state_name(s).to_string()),
            owner: gain.owner.and_then(owner),
            rule,
            allowed_by: beyond,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_controls_and_bidi() {
        assert_eq!(printable("a\nb").to_string(), "a\\nb");
        assert_eq!(printable("x\u{202E}y").to_string(), "x\\u{202e}y");
        assert_eq!(printable("plain é").to_string(), "plain é");
    }
}
