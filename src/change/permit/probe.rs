//! Step 3, no escalation: the subjects a batch can change, asked on every class
//! of resource where their answers can differ (instance ids the layers name,
//! ancestors, states, owners), before and after.

use std::collections::HashMap;

use crate::def::InstanceId;
use crate::engine::{Policy, REMOVED};
use crate::ids::{KindId, Resource, RoleId, SubjectId};
use crate::model::{Layer, Slot};

use super::super::Change;
use super::{Gain, NOBODY};

/// An instance id class of the escalation check: an id some layer names, or one
/// no layer bearing on the question names (every such id answers alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdClass {
    Named(InstanceId),
    Unnamed(InstanceId),
}

/// The escalation check of one permissioned change or batch: `before` is the
/// snapshot it was asked of, `after` the one it would give.
pub(super) struct Probe<'p> {
    pub(super) before: &'p Policy,
    pub(super) after: &'p Policy,
    pub(super) actor: u32,
}

impl Probe<'_> {
    /// The first thing a subject gains that the actor lacks, trying every subject
    /// the changes can affect.
    pub(super) fn first_gain(&self, changes: &[&Change]) -> Option<Gain> {
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
}
