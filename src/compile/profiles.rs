//! Profile tables: the kind-wide sets, keep masks and role layer defaults of
//! each role, toggles and levels combination.

use std::sync::Arc;

use crate::engine::{Policy, ProfileKey, ProfileKind, Profiles};
use crate::ids::KindId;
use crate::model::{Kind, Layer, LevelId, Prerequisite, Schema, Scoped, Slot, StateRule};
use crate::table::Affine;

impl Policy {
    /// The profile for `key`, computed on first use. While the long table is not
    /// shared (compiling) it grows in place; otherwise new profiles go to the short
    /// `recent` table, so a change that makes one copies little.
    pub(crate) fn intern_profile(&mut self, key: ProfileKey) -> u32 {
        let base = self.profiles.count;
        if let Some(&p) = self.profiles.index.get(&key) {
            return p;
        }
        if let Some(&p) = self.recent.index.get(&key) {
            return base + p;
        }
        let entries = self.schema.profile_entries(&key);
        if self.recent.count == 0 {
            if let Some(profiles) = Arc::get_mut(&mut self.profiles) {
                return profiles.push(key, entries);
            }
        }
        if self.recent.count >= (base / 8).max(32) {
            // Fold `recent` into the long table (a copy, once per many additions).
            let mut merged = Profiles::clone(&self.profiles);
            merged.append(&self.recent);
            self.profiles = Arc::new(merged);
            self.recent = Arc::new(Profiles {
                n_kinds: self.schema.kinds.len(),
                ..Profiles::default()
            });
            return Arc::make_mut(&mut self.profiles).push(key, entries);
        }
        base + Arc::make_mut(&mut self.recent).push(key, entries)
    }

    /// Recomputes every profile's entries from the schema (after a role changed);
    /// profile ids stay the same.
    pub(crate) fn recompute_profiles(&mut self) {
        let mut profiles = Profiles {
            n_kinds: self.schema.kinds.len(),
            ..Profiles::default()
        };
        for key in self.profiles.keys.iter().chain(&self.recent.keys) {
            profiles.push(key.clone(), self.schema.profile_entries(key));
        }
        self.profiles = Arc::new(profiles);
        self.recent = Arc::new(Profiles {
            n_kinds: self.schema.kinds.len(),
            ..Profiles::default()
        });
    }
}

impl Profiles {
    /// Appends a profile with its per-kind entries and keep masks; its id.
    pub(crate) fn push(&mut self, key: ProfileKey, entries: Vec<(ProfileKind, Vec<u64>)>) -> u32 {
        let p = self.keys.len() as u32;
        for (pk, keeps) in entries {
            let keep = keeps.first().copied().unwrap_or(0);
            let keep_at = match self.keep_runs.get(keeps.as_slice()) {
                Some(&at) => at,
                None => {
                    let at = self.keeps.len() as u32;
                    self.keeps.extend_from_slice(&keeps);
                    if keeps.len() > 1 {
                        self.keep_runs.insert(keeps.into_boxed_slice(), at);
                    }
                    at
                }
            };
            self.kinds.push(ProfileKind {
                keep_at,
                keep,
                ..pk
            });
        }
        self.index.insert(key.clone(), p);
        self.keys.push(key);
        self.count += 1;
        p
    }

    /// Appends every profile of `other`, keeping their order.
    pub(super) fn append(&mut self, other: &Profiles) {
        let n = self.n_kinds;
        for (i, key) in other.keys.iter().enumerate() {
            let entries = other
                .kinds
                .get(i * n..(i + 1) * n)
                .unwrap_or(&[])
                .iter()
                .map(|pk| {
                    let from = pk.keep_at as usize;
                    let to = from + 1 + pk.n_classes as usize;
                    (*pk, other.keeps.get(from..to).unwrap_or(&[]).to_vec())
                })
                .collect();
            self.push(key.clone(), entries);
        }
    }
}

impl Schema {
    /// Step 3's kind-wide sets for a role, toggles and levels, one per kind.
    pub(crate) fn kind_wide(&self, key: &ProfileKey) -> Vec<Scoped> {
        let role = self.roles.get(key.role.index());
        let mut sets: Vec<Scoped> = KindId::range(self.kinds.len())
            .map(|k| match key.levels.iter().find(|(lk, _)| *lk == k) {
                Some(&(_, level)) => Scoped {
                    any: self.level_mask(k, level),
                    ..Scoped::default()
                },
                None => role
                    .and_then(|r| r.sets.get(k.index()))
                    .copied()
                    .unwrap_or_default(),
            })
            .collect();
        for &t in &key.toggles {
            if let Some(toggle) = self.toggles.get(t.index()) {
                for &(k, set) in &toggle.sets {
                    if let Some(slot) = sets.get_mut(k.index()) {
                        *slot = slot.union(set);
                    }
                }
            }
        }
        sets
    }

    pub(crate) fn level_mask(&self, kind: KindId, level: LevelId) -> u64 {
        self.kinds
            .get(kind.index())
            .and_then(|k| k.level(level))
            .map_or(0, |l| l.1)
    }

    /// Step 6: the actions of `kind` removed by unmet prerequisites, closed up.
    pub(crate) fn prerequisite_removed(&self, kind: &Kind, sets: &[Scoped]) -> u64 {
        let mut removed = 0;
        for p in &kind.prerequisites {
            if !self.prerequisite_met(p, sets) {
                removed |= kind.close_up(1u64 << p.action);
            }
        }
        removed
    }

    pub(crate) fn prerequisite_met(&self, p: &Prerequisite, sets: &[Scoped]) -> bool {
        let other_available = self.kinds.get(p.kind.index()).is_some_and(|k| k.available);
        let held = sets.get(p.kind.index()).map_or(0, |s| s.any);
        other_available && held & p.needs == p.needs
    }

    /// Step 7: whether `rule` holds its actions back from this profile.
    pub(crate) fn state_rule_applies(rule: &StateRule, key: &ProfileKey) -> bool {
        !(rule.roles.contains(&key.role) || rule.toggles.iter().any(|t| key.toggles.contains(t)))
    }

    /// Steps 2, 6 and 7 folded into keep masks: availability and prerequisites,
    /// then one mask per state with its rules.
    pub(crate) fn keeps(&self, kind: &Kind, key: &ProfileKey, sets: &[Scoped]) -> Vec<u64> {
        let keep = if kind.available {
            kind.all() & !self.prerequisite_removed(kind, sets)
        } else {
            0
        };
        // One pass over the rules, one slot per ruled state: linear in states
        // plus rules, whatever their numbers.
        let mut keeps = vec![keep; kind.n_classes as usize + 1];
        for r in &kind.state_rules {
            if Self::state_rule_applies(r, key) {
                let class = kind.state_class.get(r.state.index()).copied().unwrap_or(0);
                if let Some(m) = keeps.get_mut(class as usize).filter(|_| class != 0) {
                    *m &= !r.hold;
                }
            }
        }
        keeps
    }

    pub(crate) fn profile_entries(&self, key: &ProfileKey) -> Vec<(ProfileKind, Vec<u64>)> {
        let sets = self.kind_wide(key);
        let role = self.roles.get(key.role.index());
        KindId::range(self.kinds.len())
            .zip(&self.kinds)
            .zip(&sets)
            .map(|((k, kind), set)| {
                let pk = ProfileKind {
                    keep: 0,
                    set: *set,
                    role_default: role
                        .map_or(Affine::IDENTITY, |r| r.layer.default_affine(Slot::of(k))),
                    keep_at: 0,
                    n_classes: kind.n_classes,
                    role: role.map_or(key.role, |r| r.layer_of),
                    flags: profile_flags(kind, role.map(|r| &*r.layer), k),
                };
                (pk, self.keeps(kind, key, &sets))
            })
            .collect()
    }
}

/// [`ProfileKind::flags`] for kind `k` under a role's layer.
pub(super) fn profile_flags(kind: &Kind, layer: Option<&Layer>, k: KindId) -> u8 {
    let mut f = 0;
    if layer.is_some_and(|l| l.names_kind(Slot::of(k))) {
        f |= ProfileKind::NAMES;
    }
    if layer.is_some_and(|l| l.rules_in_ancestors(k)) {
        f |= ProfileKind::DEEP;
    }
    if !kind.ancestor_prerequisites.is_empty() {
        f |= ProfileKind::ANCESTOR_PREREQUISITE;
    }
    if kind.text_ids {
        f |= ProfileKind::TEXT_IDS;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::schema;
    use super::*;
    use crate::ids::RoleId;
    use crate::model::ToggleId;

    // doc: view 1, edit 2, approve 4 (approve needs edit needs view); task: run 1.
    const DOC: &str = r#""doc": {"actions": ["view", "edit", "approve"],
        "needs": {"approve": ["edit"], "edit": ["view"]},
        "levels": {"Read": ["view"], "Full": ["approve"]},
        "states": ["draft", "billed"],
        "state_rules": [{"state": "billed", "hold": ["edit"], "unless_roles": ["Admin"],
                         "unless_toggles": ["Billing"]}]}"#;

    fn policy() -> Schema {
        schema(&format!(
            r#"{{"kinds": {{{DOC}, "task": {{"actions": ["run"],
                 "prerequisites": [{{"action": "run", "kind": "doc", "actions": ["edit"]}}]}}}},
               "roles": {{"Editor": {{"grants": {{"doc": ["edit"], "task": ["run"]}}}},
                          "Admin": {{"grants": {{"doc": ["approve"]}}}}}},
               "toggles": {{"Billing": {{"grants": {{"doc": {{"own": ["approve"]}}}}}}}}}}"#
        ))
    }

    fn key(role: u32, toggles: &[usize], levels: &[(u32, usize)]) -> ProfileKey {
        ProfileKey {
            role: RoleId(role),
            toggles: toggles.iter().filter_map(|&t| ToggleId::new(t)).collect(),
            levels: levels
                .iter()
                .filter_map(|&(k, l)| Some((KindId(k), LevelId::new(l)?)))
                .collect(),
        }
    }

    #[test]
    fn kind_wide_sets_are_the_role_s_or_a_level_s_plus_toggles() {
        let s = policy();
        // MODEL 3: the role's set for the kind.
        assert_eq!(s.kind_wide(&key(0, &[], &[]))[0].any, 0b011);
        // An explicit level replaces it (Read: view alone, less than the role's).
        assert_eq!(s.kind_wide(&key(0, &[], &[(0, 0)]))[0].any, 0b001);
        // Then a toggle adds its sets, scopes included.
        let with_toggle = s.kind_wide(&key(0, &[0], &[(0, 0)]))[0];
        assert_eq!((with_toggle.any, with_toggle.own), (0b001, 0b111));
        // Other kinds keep the role's set.
        assert_eq!(s.kind_wide(&key(0, &[], &[(0, 0)]))[1].any, 1);
    }

    #[test]
    fn an_unmet_prerequisite_removes_its_action() {
        let s = policy();
        let task = &s.kinds[1];
        let editor = s.kind_wide(&key(0, &[], &[]));
        assert_eq!(s.prerequisite_removed(task, &editor), 0, "edit on doc: met");
        let reader = s.kind_wide(&key(0, &[], &[(0, 0)]));
        assert_eq!(
            s.prerequisite_removed(task, &reader),
            1,
            "view only: run goes"
        );
    }

    #[test]
    fn a_state_rule_s_keep_mask_holds_back_its_actions_unless_exempt() {
        let s = policy();
        let doc = &s.kinds[0];
        let keeps = |k: &ProfileKey| s.keeps(doc, k, &s.kind_wide(k));
        // [stateless, billed]: billed holds edit and what needs it (approve).
        assert_eq!(keeps(&key(0, &[], &[])), [0b111, 0b001]);
        // Exempt by role, or by toggle: billed keeps everything.
        assert_eq!(keeps(&key(1, &[], &[])), [0b111, 0b111]);
        assert_eq!(keeps(&key(0, &[0], &[])), [0b111, 0b111]);
    }

    #[test]
    fn profile_entries_carry_the_sets_and_the_stateless_keep() {
        let s = policy();
        let entries = s.profile_entries(&key(0, &[], &[(0, 0)]));
        assert_eq!(entries.len(), 2, "one per kind");
        let (task, keeps) = &entries[1];
        assert_eq!(task.set.any, 1);
        assert_eq!(
            keeps.first(),
            Some(&0),
            "the unmet prerequisite keeps nothing"
        );
        assert_eq!(task.role, RoleId(0));
    }
}
