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

use std::collections::HashMap;

use super::{printable, Change, ChangeError, Escalation};
use crate::def::InstanceId;
use crate::engine::{Policy, REMOVED};
use crate::ids::{KindId, Resource, RoleId, StateId, SubjectId};
use crate::model::{AdminRule, Layer, Slot};

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
struct Gain {
    subject: u32,
    kind: KindId,
    bits: u64,
    resource: Resource,
    state: Option<StateId>,
    owner: Option<u32>,
}

/// An instance id class of the escalation check: an id some layer names, or one
/// no layer bearing on the question names (every such id answers alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdClass {
    Named(InstanceId),
    Unnamed(InstanceId),
}

/// An owner related to no one (no subject has this index): the "unrelated owner"
/// class of the escalation check.
const NOBODY: u32 = REMOVED - 1;

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

/// The escalation check of one permissioned change or batch: `before` is the
/// snapshot it was asked of, `after` the one it would give.
struct Probe<'p> {
    before: &'p Policy,
    after: &'p Policy,
    actor: u32,
}

impl Probe<'_> {
    /// The first thing a subject gains that the actor lacks, trying every subject
    /// the changes can affect.
    fn first_gain(&self, changes: &[&Change]) -> Option<Gain> {
        let mut targets: Vec<u32> = changes
            .iter()
            .filter(|c| !matches!(c, Change::RemoveSubject { .. } | Change::DefineRole { .. }))
            .filter_map(|c| c.subject().and_then(|s| self.after.index.get(s)))
            .collect();
        targets.sort_unstable();
        targets.dedup();
        for &s in &targets {
            if let Some(gain) = self.subject(s) {
                return Some(gain);
            }
        }
        let redefined: Vec<RoleId> = changes
            .iter()
            .filter_map(|c| match c {
                Change::DefineRole { role, .. } => self.after.schema.role_index.get(role).copied(),
                _ => None,
            })
            .collect();
        if redefined.is_empty() {
            return None;
        }
        self.holders(&redefined, &targets)
    }

    /// Every subject holding one of `roles` or a role derived from one of them.
    /// Subjects with no layer of their own that are neither the actor nor managed
    /// by it answer alike when they share a profile, unless they manage someone
    /// and the profile has `managed` masks: one per profile is asked. The rest are
    /// asked one by one.
    fn holders(&self, roles: &[RoleId], asked: &[u32]) -> Option<Gain> {
        let affected = derived_from(self.after, roles);
        // Per profile: a subject asked for it, and whether it has `managed` masks.
        let n = (self.after.profiles.count + self.after.recent.count) as usize;
        let mut per_profile: Vec<u32> = vec![REMOVED; n];
        let mut scoped_managed: HashMap<u32, bool> = HashMap::new();
        for s in 0..self.after.subjects.len() {
            let s = s as u32;
            let Some(record) = self.after.subjects.get(s as usize) else {
                continue;
            };
            if record.profile == REMOVED {
                continue;
            }
            let Some(key) = self.after.profile_key(record.profile) else {
                continue;
            };
            if !affected.get(key.role.index()).copied().unwrap_or(false)
                || asked.binary_search(&s).is_ok()
            {
                continue;
            }
            let extra = record.extra.as_deref();
            let mut alone = s == self.actor
                || self.before.manages(self.actor, s)
                || extra.is_some_and(|e| e.own.is_some());
            if !alone && extra.is_some_and(|e| !e.manages.is_empty()) {
                // INVARIANT (monotone owners), see `subject`: without `managed`
                // masks, whom it manages cannot change its answers after.
                alone = *scoped_managed.entry(record.profile).or_insert_with(|| {
                    self.after
                        .kinds()
                        .any(|k| self.after.scoped_set(s, k).is_some_and(|m| m.managed != 0))
                });
            }
            if alone {
                if let Some(gain) = self.subject(s) {
                    return Some(gain);
                }
            } else if let Some(rep) = per_profile.get_mut(record.profile as usize) {
                if *rep == REMOVED {
                    *rep = s;
                }
            }
        }
        per_profile
            .into_iter()
            .filter(|&s| s != REMOVED)
            .find_map(|s| self.subject(s))
    }

    /// The first gain of subject `s` the actor lacks, over every class of resource
    /// on which the answers of `s` (before and after) or the actor's can differ.
    fn subject(&self, s: u32) -> Option<Gain> {
        let after = self.after.info(s)?;
        let before = self.before.info(s);
        let actor = self.before.info(self.actor);
        // Owners: none, the subject, the actor, everyone either manages before or
        // after, and one subject related to neither. Per kind, `on_kind` keeps
        // only those that can change the subject's answer after the change.
        let mut owners: Vec<u32> = vec![s, self.actor, NOBODY];
        for info in [Some(after), before, actor].into_iter().flatten() {
            owners.extend_from_slice(info.manages());
        }
        if let Some(a) = self.after.info(self.actor) {
            owners.extend_from_slice(a.manages());
        }
        owners.sort_unstable();
        owners.dedup();
        // Ids: every id named in a layer bearing on the subject or the actor.
        let layers = [
            Some((self.after, after)),
            before.map(|b| (self.before, b)),
            actor.map(|a| (self.before, a)),
        ];
        let mut named: Vec<(Slot, InstanceId)> = Vec::new();
        for (policy, info) in layers.into_iter().flatten() {
            push_named(&mut named, info.layer());
            if let Some(role) = policy.schema.roles.get(info.role().index()) {
                push_named(&mut named, &role.layer);
            }
        }
        named.sort_unstable();
        named.dedup();
        let mut kept: Vec<Option<u32>> = Vec::with_capacity(owners.len() + 1);
        for kind in self.after.kinds() {
            let ids = ids_of(&named, Slot::of(kind));
            let within = self.ancestor_classes(&named, kind);
            // INVARIANT (monotone owners): every step after scope is `x & and | or`
            // or `x & keep`, so an answer only grows with the scoped masks an owner
            // earns. An owner that earns the subject nothing after the change (not
            // itself with `own` masks, not one it manages with `managed` masks)
            // gives it the answer of no owner, while the subject before and the
            // actor can only hold more on it than on no owner: no owner finds
            // every gain such an owner would.
            let set = self.after.scoped_set(s, kind).unwrap_or_default();
            kept.clear();
            kept.push(None);
            kept.extend(
                owners
                    .iter()
                    .filter(|&&o| {
                        (o == s && set.own != 0)
                            || (set.managed != 0 && after.manages().binary_search(&o).is_ok())
                    })
                    .map(|&o| Some(o)),
            );
            if let Some(gain) = self.on_kind(s, kind, &ids, &within, &kept) {
                return Some(gain);
            }
        }
        None
    }

    /// The classes of ancestors a resource of `kind` can carry where answers can
    /// differ: no ancestor, then every prefix of the chain with, at each depth,
    /// every id named for that position (by rules written in that ancestor, by
    /// the ancestor kinds' own rules, which prerequisites on ancestors read) and
    /// one id named by none.
    fn ancestor_classes(&self, named: &[(Slot, InstanceId)], kind: KindId) -> Vec<Vec<IdClass>> {
        let chain = self
            .after
            .schema
            .kinds
            .get(kind.index())
            .map_or(&[][..], |k| &k.chain[..]);
        let mut out: Vec<Vec<IdClass>> = vec![Vec::new()];
        let mut level: Vec<Vec<IdClass>> = vec![Vec::new()];
        for d in 1..=chain.len() {
            // Who can name the ancestor at depth `d`: `kind` itself at depth `d`,
            // and each ancestor between at its own depth to it.
            let mut ids: Vec<InstanceId> = Vec::new();
            for sl in self.after.position_slots(kind, d) {
                let lo = named.partition_point(|&(k, _)| k < sl);
                let hi = named.partition_point(|&(k, _)| k <= sl);
                ids.extend(named.get(lo..hi).unwrap_or(&[]).iter().map(|&(_, id)| id));
            }
            ids.sort_unstable();
            ids.dedup();
            let mut classes: Vec<IdClass> = ids.iter().map(|&i| IdClass::Named(i)).collect();
            classes.push(IdClass::Unnamed(first_gap(&ids)));
            level = level
                .iter()
                .flat_map(|prefix| {
                    classes.iter().map(move |&c| {
                        let mut p = prefix.clone();
                        p.push(c);
                        p
                    })
                })
                .collect();
            out.extend(level.iter().cloned());
        }
        out
    }

    fn on_kind(
        &self,
        s: u32,
        kind: KindId,
        ids: &[Option<InstanceId>],
        within: &[Vec<IdClass>],
        owners: &[Option<u32>],
    ) -> Option<Gain> {
        let states = std::iter::once(None).chain(self.after.states(kind).map(Some));
        let subject = SubjectId(s);
        let actor = SubjectId(self.actor);
        let unnamed = ids.last().copied().flatten();
        let chain = self
            .after
            .schema
            .kinds
            .get(kind.index())
            .map_or(&[][..], |k| &k.chain[..]);
        for state in states {
            for (&id, ancestors) in ids
                .iter()
                .flat_map(|id| within.iter().map(move |a| (id, a)))
            {
                for &owner in owners {
                    // The same class of resource, in each snapshot's own numbers.
                    let build = |policy: &Policy| {
                        let mut r = Resource::new(kind);
                        if let Some(id) = id {
                            let class = if Some(id) == unnamed {
                                IdClass::Unnamed(id)
                            } else {
                                IdClass::Named(id)
                            };
                            r = r.with_instance(instance_in(policy, kind, class));
                        }
                        for (&a, &class) in chain.iter().zip(ancestors) {
                            r = r.within(instance_in(policy, a, class));
                        }
                        if let Some(state) = state {
                            r = r.with_state(state);
                        }
                        if let Some(o) = owner {
                            r = r.with_owner(SubjectId(o));
                        }
                        r
                    };
                    let (r, r_before) = (build(self.after), build(self.before));
                    let now = self.after.allowed(subject, &r).bits();
                    if now == 0 {
                        continue;
                    }
                    let gained = now & !self.before.allowed(subject, &r_before).bits();
                    if gained == 0 {
                        continue;
                    }
                    let bits = gained & !self.before.allowed(actor, &r_before).bits();
                    if bits != 0 {
                        return Some(Gain {
                            subject: s,
                            kind,
                            bits,
                            resource: r,
                            state,
                            owner,
                        });
                    }
                }
            }
        }
        None
    }
}

/// Every `(slot, id)` a layer names.
fn push_named(out: &mut Vec<(Slot, InstanceId)>, layer: &Layer) {
    out.extend(
        layer
            .restrictions
            .iter()
            .flat_map(|r| r.ids.iter().map(move |&id| (r.slot(), id))),
    );
    out.extend(layer.exceptions.iter().map(|e| (e.slot(), e.id)));
}

/// No id, every id of `named` (sorted) on `kind`, and one id named by none of them
/// (last).
fn ids_of(named: &[(Slot, InstanceId)], kind: Slot) -> Vec<Option<InstanceId>> {
    let lo = named.partition_point(|&(k, _)| k < kind);
    let hi = named.partition_point(|&(k, _)| k <= kind);
    let on_kind: Vec<InstanceId> = named
        .get(lo..hi)
        .unwrap_or(&[])
        .iter()
        .map(|&(_, id)| id)
        .collect();
    let mut ids: Vec<Option<InstanceId>> = vec![None];
    ids.extend(on_kind.iter().map(|&id| Some(id)));
    ids.push(Some(first_gap(&on_kind)));
    ids
}

/// The smallest id not in `sorted` (unique): the ids are `0, 1, ...` up to a
/// first gap.
fn first_gap(sorted: &[InstanceId]) -> InstanceId {
    sorted
        .iter()
        .enumerate()
        .find(|&(i, &id)| id != i as InstanceId)
        .map_or(sorted.len() as InstanceId, |(i, _)| i as InstanceId)
}

/// An instance of kind `k` of `class`, in `policy`'s numbers: for a kind with
/// string ids, a string the snapshot does not number (new in the other one), or
/// the unnamed class, is "a string no rule names" there.
fn instance_in(policy: &Policy, k: KindId, class: IdClass) -> crate::Instance {
    let text = policy
        .schema
        .kinds
        .get(k.index())
        .is_some_and(|kind| kind.text_ids);
    let unnamed = policy.texts.unnamed();
    match class {
        IdClass::Named(id) if text && id < policy.texts.len() as u64 => {
            crate::Instance::text(k, id, policy.texts.stamp_of(id))
        }
        IdClass::Named(_) | IdClass::Unnamed(_) if text => {
            crate::Instance::text(k, unnamed, policy.texts.stamp_of(unnamed))
        }
        IdClass::Named(id) | IdClass::Unnamed(id) => k.instance(id),
    }
}

/// Per role of `policy`: whether it is one of `roles` or derives from one of them
/// (linear in the number of roles, whatever the depth of base chains).
fn derived_from(policy: &Policy, roles: &[RoleId]) -> Vec<bool> {
    let all = &policy.schema.roles;
    let mut known: Vec<Option<bool>> = vec![None; all.len()];
    for &r in roles {
        if let Some(k) = known.get_mut(r.index()) {
            *k = Some(true);
        }
    }
    for start in RoleId::range(all.len()) {
        let mut chain = Vec::new();
        let mut at = Some(start);
        let answer = loop {
            let Some(r) = at else { break false };
            match known.get(r.index()).copied().flatten() {
                Some(v) => break v,
                None if chain.len() > all.len() => break false,
                None => {
                    chain.push(r);
                    at = all.get(r.index()).and_then(|role| role.base);
                }
            }
        };
        for r in chain {
            if let Some(k) = known.get_mut(r.index()) {
                *k = Some(answer);
            }
        }
    }
    known.into_iter().map(|k| k.unwrap_or(false)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unnamed_id_is_the_first_gap() {
        let sl = |k| Slot::of(KindId(k));
        let named = [(sl(0), 0), (sl(0), 1), (sl(0), 3), (sl(1), 0), (sl(2), 5)];
        assert_eq!(first_gap(&[]), 0);
        assert_eq!(first_gap(&[0, 1, 2]), 3);
        assert_eq!(
            ids_of(&named, sl(0)),
            vec![None, Some(0), Some(1), Some(3), Some(2)]
        );
        assert_eq!(ids_of(&named, sl(1)), vec![None, Some(0), Some(1)]);
        assert_eq!(ids_of(&named, sl(2)), vec![None, Some(5), Some(0)]);
        assert_eq!(ids_of(&named, sl(3)), vec![None, Some(0)]);
    }

    #[test]
    fn printable_escapes_controls_and_bidi() {
        assert_eq!(printable("a\nb").to_string(), "a\\nb");
        assert_eq!(printable("x\u{202E}y").to_string(), "x\\u{202e}y");
        assert_eq!(printable("plain é").to_string(), "plain é");
    }
}
