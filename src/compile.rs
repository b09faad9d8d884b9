//! Definition -> compiled policy. Every check of a document happens here, so the
//! check path never has to.

use std::collections::HashMap;

use smallvec::SmallVec;

use crate::def::{
    ExceptionDef, GrantDef, IdDef, IdType, InstanceId, KindDef, NamedMap, PolicyDef,
    RestrictionDef, RoleDef, SubjectDef,
};
use crate::engine::{
    NameIndex, Policy, ProfileKey, ProfileKind, Profiles, Subject, SubjectExtra, SubjectInfo,
    SubjectRef, Texts,
};
use crate::error::{check_name, nearest, Item, PolicyError};
use crate::ids::{ActionId, KindId, SubjectId, MAX_ACTIONS, MAX_ANCESTORS};
use crate::model::{
    close, role_tag, AdminRule, AncestorPrerequisite, Exception, ExceptionOp, Kind, Layer, Origin,
    Prerequisite, Restriction, Role, Schema, Scoped, StateRule, Toggle, MAX_KINDS,
};
use crate::pvec::PVec;
use crate::table::{Affine, IdTable};
use std::sync::Arc;

type Result<T> = std::result::Result<T, PolicyError>;

impl Policy {
    /// Checks `def` and compiles it.
    ///
    /// Fails with the first problem found, as a [`PolicyError`] naming the item and
    /// its path; a definition that fails compiles into nothing.
    ///
    /// ```
    /// use accessmask::{Policy, PolicyDef, PolicyError};
    /// let def: PolicyDef = serde_json::from_str(r#"{
    ///   "kinds": { "task": { "actions": ["view"] } },
    ///   "roles": { "A": { "base": "B" }, "B": { "base": "A" } }
    /// }"#)?;
    /// assert!(matches!(Policy::compile(&def), Err(PolicyError::BaseRoleCycle { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(def: &PolicyDef) -> Result<Policy> {
        Self::compile_keeping(def, None)
    }

    /// Compiles `def` as a successor of this policy: every subject whose name
    /// stays keeps its [`SubjectId`] (same position, same lineage), new subjects
    /// come after the others, and the ids of subjects `def` drops are denied. So
    /// ids a service cached stay right across a reload; [`LivePolicy::replace`]
    /// does this itself.
    ///
    /// [`LivePolicy::replace`]: crate::LivePolicy::replace
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef};
    /// let v1: PolicyDef = serde_json::from_str(r#"{"kinds": {"task": {"actions": ["view"]}},
    ///   "roles": {"R": {"grants": {"task": ["view"]}}},
    ///   "subjects": {"ann": {"role": "R"}, "bob": {"role": "R"}}}"#)?;
    /// let v2: PolicyDef = serde_json::from_str(r#"{"kinds": {"task": {"actions": ["view"]}},
    ///   "roles": {"R": {"grants": {"task": ["view"]}}},
    ///   "subjects": {"cat": {"role": "R"}, "bob": {"role": "R"}}}"#)?;
    /// let old = Policy::compile(&v1)?;
    /// let bob = old.subject("bob").ok_or("no bob")?;
    /// let ann = old.subject("ann").ok_or("no ann")?;
    /// let new = old.recompile(&v2)?;
    /// let view = new.action("task", "view").ok_or("no view")?;
    /// assert_eq!(new.subject("bob"), Some(bob));
    /// assert!(new.can(bob, view, &new.resource(view.kind())));
    /// assert!(!new.can(ann, view, &new.resource(view.kind())));
    /// // A fresh compile numbers `cat` first: old ids answer nothing there.
    /// let fresh = Policy::compile(&v2)?;
    /// assert!(!fresh.can(bob, view, &fresh.resource(view.kind())));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recompile(&self, def: &PolicyDef) -> Result<Policy> {
        Self::compile_keeping(def, Some(self))
    }

    /// [`Policy::compile`], numbering subjects after `prior`'s when given.
    fn compile_keeping(def: &PolicyDef, prior: Option<&Policy>) -> Result<Policy> {
        // Every string id the document names, numbered once (keeping `prior`'s
        // numbers, so string ids it resolved stay good).
        let mut texts = prior.map_or_else(Texts::default, |p| p.texts.clone());
        for (_, r) in def.roles.iter() {
            texts.intern_rules(&r.exceptions, &r.restrictions);
        }
        for (_, s) in def.subjects.iter() {
            texts.intern_rules(&s.exceptions, &s.restrictions);
        }
        let schema = Schema::compile(def, &texts)?;
        let mut index = NameIndex::new();
        // Each subject's position: document order, or its position in `prior`
        // (new names after the last of `prior`'s).
        let mut slots: Vec<u32> = Vec::with_capacity(def.subjects.len());
        let mut n_slots = prior.map_or(0, |p| p.subjects.len() as u32);
        for (i, (name, _)) in def.subjects.iter().enumerate() {
            check_name(name, Item::Subject, || format!("subjects[{i}]"))?;
            let slot = match prior.and_then(|p| p.index.get(name)) {
                Some(s) => s,
                None => {
                    n_slots += 1;
                    n_slots - 1
                }
            };
            if !index.insert(Arc::<str>::from(name), slot) {
                return Err(PolicyError::Duplicate {
                    path: format!("subjects.{name}"),
                    what: Item::Subject,
                    name: name.to_string(),
                });
            }
            slots.push(slot);
        }
        let lineage = match prior {
            Some(p) => p.lineage,
            None => crate::ids::lineage(def.subjects.iter().map(|(n, _)| n)),
        };
        let mut names: Vec<Option<Arc<str>>> = vec![None; n_slots as usize];
        for ((name, _), &slot) in def.subjects.iter().zip(&slots) {
            if let Some(n) = names.get_mut(slot as usize) {
                *n = Some(Arc::<str>::from(name));
            }
        }
        // Who manages whom first (names that do not resolve are reported when their
        // subject is compiled), so each subject is compiled once, straight into its
        // record.
        let mut managed_by: Vec<Vec<u32>> = vec![Vec::new(); n_slots as usize];
        for ((_, sdef), &s) in def.subjects.iter().zip(&slots) {
            for m in &sdef.manages {
                if let Some(v) = index.get(m).and_then(|m| managed_by.get_mut(m as usize)) {
                    if v.last() != Some(&s) {
                        v.push(s);
                    }
                }
            }
        }
        for v in &mut managed_by {
            v.sort_unstable();
            v.dedup();
        }
        let mut policy = Policy {
            profiles: Arc::new(Profiles {
                n_kinds: schema.kinds.len(),
                ..Profiles::default()
            }),
            recent: Arc::new(Profiles {
                n_kinds: schema.kinds.len(),
                ..Profiles::default()
            }),
            schema: Arc::new(schema),
            subjects: PVec::default(),
            names: PVec::default(),
            index,
            lineage,
            texts,
        };
        let mut records: Vec<Subject> = vec![Subject::removed(); n_slots as usize];
        for (((name, sdef), &s), by) in def.subjects.iter().zip(&slots).zip(
            // `managed_by` in document order.
            slots
                .iter()
                .map(|&s| managed_by.get_mut(s as usize).map(std::mem::take))
                .collect::<Vec<_>>(),
        ) {
            let info =
                policy
                    .schema
                    .compile_subject(s, name, sdef, &policy.index, &policy.texts)?;
            let tag = policy.tag_for(name);
            let record = policy.subject_record(info, tag, by.unwrap_or_default());
            if let Some(slot) = records.get_mut(s as usize) {
                *slot = record;
            }
        }
        policy.subjects = records.into_iter().collect();
        policy.names = names.into_iter().collect();
        Ok(policy)
    }

    /// The definition this policy answers for: compiling it again gives a policy
    /// with the same answers (after changes too). Subjects' toggles, levels and
    /// managed subjects come out in id order, not necessarily as first written.
    pub fn to_definition(&self) -> PolicyDef {
        let mut def = PolicyDef::default();
        for k in &self.schema.kinds {
            def.kinds.insert(k.name.clone(), k.def.clone());
        }
        for r in &self.schema.roles {
            def.roles.insert(r.name.clone(), r.def.clone());
        }
        for t in &self.schema.toggles {
            def.toggles.insert(t.name.clone(), t.def.clone());
        }
        for s in 0..self.subjects.len() as u32 {
            if let Some(info) = self.info(s) {
                def.subjects.insert(info.name, self.subject_def(info));
            }
        }
        def.admin = self.schema.admin_defs.clone();
        def
    }

    /// A stored subject's definition, rebuilt from its compiled form.
    pub(crate) fn subject_def(&self, info: SubjectRef<'_>) -> SubjectDef {
        let schema = &self.schema;
        let own = info.extra.and_then(|e| e.own.as_deref());
        SubjectDef {
            role: schema
                .roles
                .get(info.role() as usize)
                .map_or(String::new(), |r| r.name.clone()),
            toggles: info
                .key
                .toggles
                .iter()
                .filter_map(|&t| schema.toggles.get(t as usize).map(|t| t.name.clone()))
                .collect(),
            levels: info
                .key
                .levels
                .iter()
                .filter_map(|&(k, l)| {
                    let kind = schema.kinds.get(k as usize)?;
                    Some((kind.name.clone(), kind.levels.get(l as usize)?.0.clone()))
                })
                .collect(),
            exceptions: own.map_or(Vec::new(), |o| o.exceptions.iter().cloned().collect()),
            restrictions: own.map_or(Vec::new(), |o| o.restrictions.clone()),
            manages: info
                .manages()
                .iter()
                .map(|&m| self.subject_name(SubjectId(m)).to_string())
                .collect(),
        }
    }

    /// The hot record for a compiled subject (its profile interned).
    pub(crate) fn subject_record(
        &mut self,
        info: SubjectInfo,
        tag: u32,
        managed_by: Vec<u32>,
    ) -> Subject {
        Subject::new(
            self.intern_profile(info.key.clone()),
            tag,
            SubjectExtra::new(info, managed_by),
        )
    }

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
    fn append(&mut self, other: &Profiles) {
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
    /// Kinds, roles and toggles of `def`.
    pub(crate) fn compile(def: &PolicyDef, texts: &Texts) -> Result<Schema> {
        let kind_index = index_names(&def.kinds, "kinds", Item::Kind)?;
        let role_index = index_names(&def.roles, "roles", Item::Role)?;
        let toggle_index = index_names(&def.toggles, "toggles", Item::Toggle)?;
        let kinds = def
            .kinds
            .iter()
            .map(|(name, k)| compile_kind(name, k))
            .collect::<Result<Vec<_>>>()?;
        let mut schema = Schema {
            kinds,
            kind_index,
            roles: Vec::new(),
            role_index,
            toggles: Vec::new(),
            toggle_index,
            role_instances: IdTable::default(),
            role_deep: IdTable::default(),
            admin: Vec::new(),
            admin_defs: def.admin.clone(),
        };
        schema.compile_parents(def)?;
        schema.compile_kind_rules(def)?;
        schema.roles = schema.compile_roles(def, texts)?;
        schema.toggles = schema.compile_toggles(def)?;
        schema.index_role_instances();
        schema.admin = schema.compile_admin(def)?;
        Ok(schema)
    }

    fn compile_admin(&self, def: &PolicyDef) -> Result<Vec<AdminRule>> {
        let mut rules = Vec::with_capacity(def.admin.len());
        for (i, r) in def.admin.iter().enumerate() {
            let path = format!("admin[{i}]");
            if r.changes.is_empty() {
                return Err(PolicyError::Malformed {
                    path: format!("{path}.changes"),
                    problem: "an admin rule covers no change",
                });
            }
            let kinds = r
                .kinds
                .iter()
                .enumerate()
                .map(|(j, k)| {
                    self.kind_of(k, format!("{path}.kinds[{j}]"))
                        .map(|(k, _)| k)
                })
                .collect::<Result<Vec<_>>>()?;
            let (k, kind) = self.kind_of(&r.requires.kind, format!("{path}.requires.kind"))?;
            let m = self.mask(
                kind,
                std::slice::from_ref(&r.requires.action),
                &format!("{path}.requires.action"),
            )?;
            if m.count_ones() != 1 {
                return Err(PolicyError::Malformed {
                    path: format!("{path}.requires.action"),
                    problem: "an admin rule requires exactly one action",
                });
            }
            rules.push(AdminRule {
                index: i,
                changes: r.changes.clone(),
                kinds,
                requires: ActionId {
                    kind: KindId(k),
                    bit: m.trailing_zeros() as u8,
                },
                may_escalate: r.may_grant_beyond_own,
            });
        }
        Ok(rules)
    }

    pub(crate) fn index_role_instances(&mut self) {
        let mut pairs = Vec::new();
        let mut deep = Vec::new();
        for (r, role) in self.roles.iter().enumerate() {
            // A role sharing its base's layer shares its base's entries too.
            if role.layer_of != r as u32 {
                continue;
            }
            for ((k, id), a) in role.layer.instance_affines() {
                pairs.push(((role_tag(r as u32, k), id), a));
            }
            for sl in role.layer.deep_slots() {
                deep.push(((role_tag(r as u32, sl), 0), role.layer.default_affine(sl)));
            }
        }
        self.role_instances = IdTable::build(pairs);
        self.role_deep = IdTable::build(deep);
    }

    /// Each kind's `parent` chain, checked: known kinds, no cycle, at most
    /// [`MAX_ANCESTORS`] deep. Linear in the number of kinds (each chain is
    /// bounded).
    fn compile_parents(&mut self, def: &PolicyDef) -> Result<()> {
        if self.kinds.len() >= MAX_KINDS {
            return Err(PolicyError::Malformed {
                path: "kinds".into(),
                problem: "more kinds than the limit of 16,777,215",
            });
        }
        let mut parents: Vec<Option<u32>> = Vec::with_capacity(self.kinds.len());
        for (kname, kdef) in def.kinds.iter() {
            parents.push(match &kdef.parent {
                None => None,
                Some(p) => Some(lookup(
                    &self.kind_index,
                    p,
                    format!("kinds.{kname}.parent"),
                    Item::Kind,
                )?),
            });
        }
        for (k, (kname, _)) in def.kinds.iter().enumerate() {
            let mut chain: SmallVec<[u32; MAX_ANCESTORS]> = SmallVec::new();
            let mut at = parents.get(k).copied().flatten();
            while let Some(p) = at {
                if p as usize == k || chain.contains(&p) {
                    let mut cycle = vec![kname.to_string()];
                    cycle.extend(chain.iter().chain([&p]).map(|&c| self.kind_name_of(c)));
                    if p as usize != k {
                        // Report the loop itself, from its first kind.
                        let from = cycle.iter().position(|c| *c == self.kind_name_of(p));
                        cycle.drain(..from.unwrap_or(0));
                    }
                    return Err(PolicyError::ParentCycle {
                        path: format!("kinds.{kname}.parent"),
                        cycle,
                    });
                }
                if chain.len() == MAX_ANCESTORS {
                    return Err(PolicyError::TooDeep {
                        path: format!("kinds.{kname}.parent"),
                        kind: kname.to_string(),
                        limit: MAX_ANCESTORS,
                    });
                }
                chain.push(p);
                at = parents.get(p as usize).copied().flatten();
            }
            if let Some(kind) = self.kinds.get_mut(k) {
                kind.chain = chain;
            }
        }
        Ok(())
    }

    fn kind_name_of(&self, k: u32) -> String {
        self.kinds
            .get(k as usize)
            .map_or(String::new(), |x| x.name.clone())
    }

    /// The depth of ancestor kind `within` for `kind` (1: its parent), or the error
    /// for a kind that is not an ancestor.
    fn depth_of(&self, k: u32, kind: &Kind, within: &str, path: String) -> Result<(u8, u32)> {
        let a = lookup(&self.kind_index, within, path.clone(), Item::Kind)?;
        match kind.chain.iter().position(|&c| c == a) {
            Some(i) => Ok((i as u8 + 1, a)),
            None => Err(PolicyError::NotAnAncestor {
                path,
                kind: self.kind_name_of(k),
                ancestor: within.to_string(),
                chain: kind.chain.iter().map(|&c| self.kind_name_of(c)).collect(),
            }),
        }
    }

    /// The number of `id` for an instance of kind `of`: the id itself, or a string
    /// id's number in `texts`.
    fn instance_number(
        &self,
        of: u32,
        id: &IdDef,
        texts: &Texts,
        path: &str,
    ) -> Result<InstanceId> {
        let kind = self.kinds.get(of as usize);
        let text_ids = kind.is_some_and(|k| k.text_ids);
        match (id, text_ids) {
            (IdDef::Number(n), false) => Ok(*n),
            (IdDef::String(t), true) => texts.get(t).ok_or_else(|| PolicyError::UnnamedStringId {
                path: path.to_string(),
                id: t.clone(),
            }),
            (_, _) => Err(PolicyError::IdType {
                path: path.to_string(),
                kind: kind.map_or(String::new(), |k| k.name.clone()),
                expected: if text_ids {
                    IdType::String
                } else {
                    IdType::Number
                },
                id: match id {
                    IdDef::Number(n) => n.to_string(),
                    IdDef::String(t) => format!("{t:?}"),
                },
            }),
        }
    }

    /// Step 3's kind-wide sets for a role, toggles and levels, one per kind.
    pub(crate) fn kind_wide(&self, key: &ProfileKey) -> Vec<Scoped> {
        let role = self.roles.get(key.role as usize);
        let mut sets: Vec<Scoped> = (0..self.kinds.len())
            .map(
                |k| match key.levels.iter().find(|(lk, _)| *lk as usize == k) {
                    Some(&(_, level)) => Scoped {
                        any: self.level_mask(k as u32, level as usize),
                        ..Scoped::default()
                    },
                    None => role
                        .and_then(|r| r.sets.get(k))
                        .copied()
                        .unwrap_or_default(),
                },
            )
            .collect();
        for &t in &key.toggles {
            if let Some(toggle) = self.toggles.get(t as usize) {
                for &(k, set) in &toggle.sets {
                    if let Some(slot) = sets.get_mut(k as usize) {
                        *slot = slot.union(set);
                    }
                }
            }
        }
        sets
    }

    pub(crate) fn level_mask(&self, kind: u32, level: usize) -> u64 {
        self.kinds
            .get(kind as usize)
            .and_then(|k| k.levels.get(level))
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
        let other_available = self.kinds.get(p.kind as usize).is_some_and(|k| k.available);
        let held = sets.get(p.kind as usize).map_or(0, |s| s.any);
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
                let class = kind.state_class.get(r.state as usize).copied().unwrap_or(0);
                if let Some(m) = keeps.get_mut(class as usize).filter(|_| class != 0) {
                    *m &= !r.hold;
                }
            }
        }
        keeps
    }

    pub(crate) fn profile_entries(&self, key: &ProfileKey) -> Vec<(ProfileKind, Vec<u64>)> {
        let sets = self.kind_wide(key);
        let role = self.roles.get(key.role as usize);
        self.kinds
            .iter()
            .zip(&sets)
            .enumerate()
            .map(|(k, (kind, set))| {
                let k = k as u32;
                let pk = ProfileKind {
                    keep: 0,
                    set: *set,
                    role_default: role.map_or(Affine::IDENTITY, |r| r.layer.default_affine(k)),
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

/// One subject's assignment, borrowed: a document's subject or a principal's row.
pub(crate) struct Assignment<'a> {
    pub(crate) role: &'a str,
    pub(crate) toggles: &'a [String],
    pub(crate) levels: &'a NamedMap<String>,
    pub(crate) exceptions: &'a [ExceptionDef],
    pub(crate) restrictions: &'a [RestrictionDef],
    pub(crate) manages: &'a [String],
    /// Keep the exceptions and restrictions as written (for export).
    pub(crate) written: bool,
}

/// Resolves subject names while compiling subjects.
pub(crate) trait SubjectNames {
    fn id(&self, name: &str) -> Option<u32>;
    fn all(&self) -> Vec<&str>;
}

impl SubjectNames for HashMap<String, u32> {
    fn id(&self, name: &str) -> Option<u32> {
        self.get(name).copied()
    }
    fn all(&self) -> Vec<&str> {
        self.keys().map(String::as_str).collect()
    }
}

impl SubjectNames for NameIndex {
    fn id(&self, name: &str) -> Option<u32> {
        self.get(name)
    }
    fn all(&self) -> Vec<&str> {
        self.names().collect()
    }
}

/// Index the names of a map, reporting empty and duplicate names.
fn index_names<T>(map: &NamedMap<T>, section: &str, what: Item) -> Result<HashMap<String, u32>> {
    let mut index = HashMap::with_capacity(map.len());
    for (i, (name, _)) in map.iter().enumerate() {
        check_name(name, what, || format!("{section}[{i}]"))?;
        if index.insert(name.to_string(), i as u32).is_some() {
            return Err(PolicyError::Duplicate {
                path: format!("{section}.{name}"),
                what,
                name: name.to_string(),
            });
        }
    }
    Ok(index)
}

fn lookup(index: &HashMap<String, u32>, name: &str, path: String, what: Item) -> Result<u32> {
    if name.is_empty() {
        return Err(PolicyError::EmptyName { path, what });
    }
    index
        .get(name)
        .copied()
        .ok_or_else(|| PolicyError::Unknown {
            path,
            what,
            name: name.to_string(),
            suggestion: nearest(name, index.keys().map(String::as_str)),
        })
}

impl Schema {
    fn kind_of(&self, name: &str, path: String) -> Result<(u32, &Kind)> {
        let k = lookup(&self.kind_index, name, path.clone(), Item::Kind)?;
        let kind = self.kinds.get(k as usize).ok_or(PolicyError::Unknown {
            path,
            what: Item::Kind,
            name: name.to_string(),
            suggestion: None,
        })?;
        Ok((k, kind))
    }

    /// The mask of `names` on `kind` (`"*"`: every action), not closed.
    fn mask(&self, kind: &Kind, names: &[String], path: &str) -> Result<u64> {
        action_mask(kind, names, path, Some(&self.kinds))
    }

    fn level(&self, kind: &Kind, name: &str, path: String) -> Result<usize> {
        if name.is_empty() {
            return Err(PolicyError::EmptyName {
                path,
                what: Item::Level,
            });
        }
        kind.level_index(name).ok_or_else(|| PolicyError::Unknown {
            path,
            what: Item::Level,
            name: name.to_string(),
            suggestion: nearest(name, kind.levels.iter().map(|(n, _)| n.as_str())),
        })
    }

    fn grant(&self, kind: &Kind, g: &GrantDef, path: &str) -> Result<Scoped> {
        let level = match &g.level {
            Some(l) => {
                let i = self.level(kind, l, format!("{path}.level"))?;
                kind.levels.get(i).map_or(0, |l| l.1)
            }
            None => 0,
        };
        let any = self.mask(kind, &g.actions, &format!("{path}.actions"))?;
        let own = self.mask(kind, &g.own, &format!("{path}.own"))?;
        let managed = self.mask(kind, &g.managed, &format!("{path}.managed"))?;
        Ok(Scoped {
            any: kind.close_down(any) | level,
            own: kind.close_down(own),
            managed: kind.close_down(managed),
        })
    }

    fn grants(&self, grants: &NamedMap<GrantDef>, path: &str) -> Result<Vec<(u32, Scoped)>> {
        let mut out: Vec<(u32, Scoped)> = Vec::with_capacity(grants.len());
        for (kname, g) in grants.iter() {
            let gpath = format!("{path}.{kname}");
            let (k, kind) = self.kind_of(kname, gpath.clone())?;
            if out.iter().any(|(seen, _)| *seen == k) {
                return Err(PolicyError::Duplicate {
                    path: gpath,
                    what: Item::Kind,
                    name: kname.to_string(),
                });
            }
            out.push((k, self.grant(kind, g, &gpath)?));
        }
        Ok(out)
    }

    fn compile_kind_rules(&mut self, def: &PolicyDef) -> Result<()> {
        let mut rules = Vec::with_capacity(self.kinds.len());
        for (kname, kdef) in def.kinds.iter() {
            let (_, kind) = self.kind_of(kname, format!("kinds.{kname}"))?;
            let mut state_rules = Vec::new();
            for (i, r) in kdef.state_rules.iter().enumerate() {
                let path = format!("kinds.{kname}.state_rules[{i}]");
                let state = match kind.state_index.get(&r.state) {
                    Some(&s) => s as usize,
                    None => {
                        lookup_in(&kind.states, &r.state, format!("{path}.state"), Item::State)?
                    }
                };
                let hold = self.mask(kind, &r.hold, &format!("{path}.hold"))?;
                if hold == 0 {
                    return Err(PolicyError::Malformed {
                        path: format!("{path}.hold"),
                        problem: "a state rule holds back no action",
                    });
                }
                let roles = resolve_list(
                    &self.role_index,
                    &r.unless_roles,
                    &format!("{path}.unless_roles"),
                    Item::Role,
                )?;
                let toggles = resolve_list(
                    &self.toggle_index,
                    &r.unless_toggles,
                    &format!("{path}.unless_toggles"),
                    Item::Toggle,
                )?;
                state_rules.push(StateRule {
                    index: i,
                    state: state as u32,
                    hold: kind.close_up(hold),
                    roles,
                    toggles,
                });
            }
            let mut prerequisites = Vec::new();
            let mut on_ancestors = Vec::new();
            for (i, p) in kdef.prerequisites.iter().enumerate() {
                let path = format!("kinds.{kname}.prerequisites[{i}]");
                let action = self.mask(
                    kind,
                    std::slice::from_ref(&p.action),
                    &format!("{path}.action"),
                )?;
                if action.count_ones() != 1 {
                    return Err(PolicyError::Malformed {
                        path: format!("{path}.action"),
                        problem: "a prerequisite is for exactly one action",
                    });
                }
                let (k2, other) = self.kind_of(&p.kind, format!("{path}.kind"))?;
                let mut needs = self.mask(other, &p.actions, &format!("{path}.actions"))?;
                if let Some(l) = &p.level {
                    let li = self.level(other, l, format!("{path}.level"))?;
                    needs |= other.levels.get(li).map_or(0, |l| l.1);
                }
                if needs == 0 {
                    return Err(PolicyError::Malformed {
                        path,
                        problem: "a prerequisite needs no action (name `actions` or a `level`)",
                    });
                }
                if p.on_ancestor {
                    let k = self.kind_index.get(kname).copied().unwrap_or(0);
                    let (depth, _) = self.depth_of(k, kind, &p.kind, format!("{path}.kind"))?;
                    on_ancestors.push(AncestorPrerequisite {
                        index: i,
                        action: action.trailing_zeros() as u8,
                        depth,
                        kind: k2,
                        needs: other.close_down(needs),
                    });
                    continue;
                }
                prerequisites.push(Prerequisite {
                    index: i,
                    action: action.trailing_zeros() as u8,
                    kind: k2,
                    needs: other.close_down(needs),
                });
            }
            rules.push((state_rules, (prerequisites, on_ancestors)));
        }
        for (kind, (state_rules, (prerequisites, on_ancestors))) in self.kinds.iter_mut().zip(rules)
        {
            kind.ancestor_prerequisites = on_ancestors;
            kind.state_class = vec![0; kind.states.len()];
            kind.n_classes = 0;
            for r in &state_rules {
                if let Some(c) = kind.state_class.get_mut(r.state as usize) {
                    if *c == 0 {
                        kind.n_classes += 1;
                        *c = kind.n_classes;
                    }
                }
            }
            kind.state_rules = state_rules;
            kind.prerequisites = prerequisites;
        }
        self.check_prerequisite_cycles()
    }

    /// A depth-first search over `(kind, action)` nodes along prerequisite edges.
    fn check_prerequisite_cycles(&self) -> Result<()> {
        // 0: unvisited, 1: on the stack, 2: done.
        let mut mark: HashMap<(u32, u8), u8> = HashMap::new();
        for (k, kind) in self.kinds.iter().enumerate() {
            for p in &kind.prerequisites {
                let mut stack: Vec<(u32, u8)> = Vec::new();
                if let Some(cycle) = self.visit((k as u32, p.action), &mut mark, &mut stack) {
                    let names: Vec<String> =
                        cycle.iter().map(|&(k, a)| self.node_name(k, a)).collect();
                    let closing = cycle.first().copied().unwrap_or((k as u32, p.action));
                    let kname = self
                        .kinds
                        .get(closing.0 as usize)
                        .map_or("", |k| k.name.as_str());
                    let index = self
                        .kinds
                        .get(closing.0 as usize)
                        .and_then(|k| k.prerequisites.iter().find(|p| p.action == closing.1))
                        .map_or(0, |p| p.index);
                    return Err(PolicyError::PrerequisiteCycle {
                        path: format!("kinds.{kname}.prerequisites[{index}]"),
                        cycle: names,
                    });
                }
            }
        }
        Ok(())
    }

    /// A depth-first search from `start` with an explicit stack (prerequisite
    /// chains across many kinds must not overflow the call stack); the first cycle
    /// found, from its first node back to it.
    fn visit(
        &self,
        start: (u32, u8),
        mark: &mut HashMap<(u32, u8), u8>,
        path: &mut Vec<(u32, u8)>,
    ) -> Option<Vec<(u32, u8)>> {
        if mark.get(&start) == Some(&2) {
            return None;
        }
        // Each frame: a node and the nodes it still has to visit.
        type Node = (u32, u8);
        let mut frames: Vec<(Node, Vec<Node>)> = Vec::new();
        mark.insert(start, 1);
        path.push(start);
        frames.push((start, self.successors(start)));
        while let Some((node, todo)) = frames.last_mut() {
            let node = *node;
            match todo.pop() {
                None => {
                    frames.pop();
                    path.pop();
                    mark.insert(node, 2);
                }
                Some(next) => match mark.get(&next) {
                    Some(2) => {}
                    Some(_) => {
                        let from = path.iter().position(|n| *n == next).unwrap_or(0);
                        let mut cycle: Vec<(u32, u8)> = path.get(from..).unwrap_or(&[]).to_vec();
                        cycle.push(next);
                        return Some(cycle);
                    }
                    None => {
                        mark.insert(next, 1);
                        path.push(next);
                        frames.push((next, self.successors(next)));
                    }
                },
            }
        }
        None
    }

    /// The `(kind, action)` nodes a node's prerequisites need, in reverse order (so
    /// popping visits them in declaration and bit order).
    fn successors(&self, node: (u32, u8)) -> Vec<(u32, u8)> {
        let mut out = Vec::new();
        if let Some(kind) = self.kinds.get(node.0 as usize) {
            for p in kind.prerequisites.iter().filter(|p| p.action == node.1) {
                let mut rest = p.needs;
                while rest != 0 {
                    out.push((p.kind, rest.trailing_zeros() as u8));
                    rest &= rest - 1;
                }
            }
        }
        out.reverse();
        out
    }

    fn node_name(&self, k: u32, a: u8) -> String {
        let kind = self.kinds.get(k as usize);
        let kname = kind.map_or("", |k| k.name.as_str());
        let aname = kind
            .and_then(|k| k.actions.get(usize::from(a)))
            .map_or("", String::as_str);
        format!("{kname}.{aname}")
    }

    /// [`Schema::exception`] for an exception whose every name resolves, with no
    /// duplicate and no contradiction; `None` for anything else (then the slow
    /// path reports it).
    pub(crate) fn exception_fast(
        &self,
        e: &ExceptionDef,
        origin: &Origin,
        texts: &Texts,
    ) -> Option<Exception> {
        let k = *self.kind_index.get(&e.kind)?;
        let kind = self.kinds.get(k as usize)?;
        if e.within.is_some() {
            return None;
        }
        let id = match (&e.id, kind.text_ids) {
            (IdDef::Number(n), false) => *n,
            (IdDef::String(t), true) => texts.get(t)?,
            _ => return None,
        };
        let mask = |names: &[String]| {
            let mut m = 0u64;
            for n in names {
                let b = if n == "*" {
                    kind.all()
                } else {
                    1u64 << *kind.action_index.get(n.as_str())?
                };
                if m & b != 0 {
                    return None;
                }
                m |= b;
            }
            Some(m)
        };
        let op = match (&e.level, e.allow.is_empty() && e.deny.is_empty()) {
            (Some(l), true) => {
                let i = kind.level_index(l)?;
                ExceptionOp::Level(i, kind.levels.get(i)?.1)
            }
            (None, false) => ExceptionOp::AllowDeny {
                allow: kind.close_down(mask(&e.allow)?),
                deny: kind.close_up(mask(&e.deny)?),
            },
            _ => return None,
        };
        Some(Exception {
            kind: k,
            depth: 0,
            id,
            op,
            origin: origin.clone(),
        })
    }

    pub(crate) fn exception(
        &self,
        e: &ExceptionDef,
        path: &str,
        origin: Origin,
        texts: &Texts,
    ) -> Result<Exception> {
        let (k, kind) = self.kind_of(&e.kind, format!("{path}.kind"))?;
        let (depth, of) = match &e.within {
            Some(w) => self.depth_of(k, kind, w, format!("{path}.in"))?,
            None => (0, k),
        };
        let id = self.instance_number(of, &e.id, texts, &format!("{path}.id"))?;
        let has_sets = !e.allow.is_empty() || !e.deny.is_empty();
        let op = match (&e.level, has_sets) {
            (Some(_), true) => {
                return Err(PolicyError::Malformed {
                    path: path.to_string(),
                    problem: "an exception sets a level or lists allow and deny, not both",
                })
            }
            (None, false) => {
                return Err(PolicyError::Malformed {
                    path: path.to_string(),
                    problem: "an exception sets no level and allows or denies nothing",
                })
            }
            (Some(l), false) => {
                let i = self.level(kind, l, format!("{path}.level"))?;
                ExceptionOp::Level(i, kind.levels.get(i).map_or(0, |l| l.1))
            }
            (None, true) => ExceptionOp::AllowDeny {
                allow: kind.close_down(self.mask(kind, &e.allow, &format!("{path}.allow"))?),
                deny: kind.close_up(self.mask(kind, &e.deny, &format!("{path}.deny"))?),
            },
        };
        Ok(Exception {
            kind: k,
            depth,
            id,
            op,
            origin,
        })
    }

    fn restriction(
        &self,
        r: &RestrictionDef,
        path: &str,
        origin: Origin,
        texts: &Texts,
    ) -> Result<Restriction> {
        let (k, kind) = self.kind_of(&r.kind, format!("{path}.kind"))?;
        let (depth, of) = match &r.within {
            Some(w) => self.depth_of(k, kind, w, format!("{path}.in"))?,
            None => (0, k),
        };
        let m = self.mask(kind, &r.actions, &format!("{path}.actions"))?;
        if m == 0 {
            return Err(PolicyError::Malformed {
                path: format!("{path}.actions"),
                problem: "a restriction restricts no action",
            });
        }
        let mut ids = Vec::with_capacity(r.ids.len());
        for (i, id) in r.ids.iter().enumerate() {
            ids.push(self.instance_number(of, id, texts, &format!("{path}.ids[{i}]"))?);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(Restriction {
            kind: k,
            depth,
            actions: m,
            allow: kind.close_down(m),
            deny: kind.close_up(m),
            ids,
            origin,
        })
    }

    /// A layer from its own lists on top of `inherited` (a base role's layer).
    /// Sorts, then finds duplicates between neighbours and merges the inherited
    /// lists in one pass: `O(n log n)` in every list length.
    fn layer(
        &self,
        exceptions: &[ExceptionDef],
        restrictions: &[RestrictionDef],
        path: &str,
        role: Option<u32>,
        inherited: Option<&Layer>,
        texts: &Texts,
    ) -> Result<Layer> {
        let mut own = Layer::default();
        for (i, r) in restrictions.iter().enumerate() {
            let rpath = format!("{path}.restrictions[{i}]");
            own.restrictions
                .push(self.restriction(r, &rpath, Origin { role, index: i }, texts)?);
        }
        own.restrictions.sort_by_key(|r| (r.slot(), r.origin.index));
        if let Some(i) = first_repeat(&own.restrictions, |r| r.slot(), |r| r.origin.index) {
            let kind = restrictions.get(i).map_or(String::new(), |r| {
                crate::admin::on_kind(&r.kind, r.within.as_deref())
            });
            return Err(PolicyError::Duplicate {
                path: format!("{path}.restrictions[{i}]"),
                what: Item::Restriction,
                name: kind,
            });
        }
        own.exceptions.reserve(exceptions.len());
        for (i, e) in exceptions.iter().enumerate() {
            let origin = Origin { role, index: i };
            // The common case formats no path; a wrong exception is compiled again
            // with its path, for the error.
            let e = match self.exception_fast(e, &origin, texts) {
                Some(e) => e,
                None => self.exception(e, &format!("{path}.exceptions[{i}]"), origin, texts)?,
            };
            own.exceptions.push(e);
        }
        own.exceptions
            .sort_by_key(|e| (e.slot(), e.id, e.origin.index));
        if let Some(i) = first_repeat(&own.exceptions, |e| (e.slot(), e.id), |e| e.origin.index) {
            let e = exceptions.get(i);
            return Err(PolicyError::Duplicate {
                path: format!("{path}.exceptions[{i}]"),
                what: Item::Exception,
                name: e.map_or(String::new(), |e| {
                    crate::admin::on_instance(&e.kind, e.within.as_deref(), &e.id)
                }),
            });
        }
        if let Some(base) = inherited {
            own.restrictions = merge_by_key(
                std::mem::take(&mut own.restrictions),
                &base.restrictions,
                Restriction::slot,
            );
            own.exceptions =
                merge_by_key(std::mem::take(&mut own.exceptions), &base.exceptions, |e| {
                    (e.slot(), e.id)
                });
        }
        Ok(own)
    }

    pub(crate) fn compile_roles(&self, def: &PolicyDef, texts: &Texts) -> Result<Vec<Role>> {
        let order = self.role_order(def)?;
        let mut done: Vec<Option<Role>> = vec![None; def.roles.len()];
        for r in order {
            let Some((name, rdef)) = def.roles.0.get(r as usize) else {
                continue;
            };
            let base = match &rdef.base {
                Some(b) => Some(lookup(
                    &self.role_index,
                    b,
                    format!("roles.{name}.base"),
                    Item::Role,
                )?),
                None => None,
            };
            let base_role = base
                .and_then(|b| done.get(b as usize))
                .and_then(Option::as_ref);
            let role = self.compile_role(name, rdef, r, base, base_role, texts)?;
            if let Some(slot) = done.get_mut(r as usize) {
                *slot = Some(role);
            }
        }
        Ok(done.into_iter().flatten().collect())
    }

    fn compile_role(
        &self,
        name: &str,
        rdef: &RoleDef,
        r: u32,
        base: Option<u32>,
        base_role: Option<&Role>,
        texts: &Texts,
    ) -> Result<Role> {
        let path = format!("roles.{name}");
        let mut sets: Vec<Scoped> = match base_role {
            Some(b) => b.sets.clone(),
            None => vec![Scoped::default(); self.kinds.len()],
        };
        for (k, g) in self.grants(&rdef.grants, &format!("{path}.grants"))? {
            if let Some(slot) = sets.get_mut(k as usize) {
                *slot = slot.union(g);
            }
        }
        let mut seen = Vec::new();
        for (kname, actions) in rdef.remove.iter() {
            let rpath = format!("{path}.remove.{kname}");
            let (k, kind) = self.kind_of(kname, rpath.clone())?;
            if seen.contains(&k) {
                return Err(PolicyError::Duplicate {
                    path: rpath,
                    what: Item::Kind,
                    name: kname.to_string(),
                });
            }
            seen.push(k);
            let m = kind.close_up(self.mask(kind, actions, &rpath)?);
            if let Some(slot) = sets.get_mut(k as usize) {
                *slot = slot.minus(m);
            }
        }
        let (layer, layer_of) = match base_role {
            Some(b) if rdef.exceptions.is_empty() && rdef.restrictions.is_empty() => {
                (Arc::clone(&b.layer), b.layer_of)
            }
            _ => (
                Arc::new(self.layer(
                    &rdef.exceptions,
                    &rdef.restrictions,
                    &path,
                    Some(r),
                    base_role.map(|b| &*b.layer),
                    texts,
                )?),
                r,
            ),
        };
        Ok(Role {
            name: name.to_string(),
            def: rdef.clone(),
            base,
            sets,
            layer,
            layer_of,
        })
    }

    /// Roles in an order where every base comes before the roles derived from it.
    fn role_order(&self, def: &PolicyDef) -> Result<Vec<u32>> {
        let n = def.roles.len();
        let mut state = vec![0u8; n];
        let mut order = Vec::with_capacity(n);
        for start in 0..n as u32 {
            // Follow the base chain iteratively (chains can be long).
            let mut chain: Vec<u32> = Vec::new();
            let mut cur = start;
            loop {
                match state.get(cur as usize).copied() {
                    Some(2) | None => break,
                    Some(1) => {
                        let from = chain.iter().position(|&c| c == cur).unwrap_or(0);
                        let mut cycle: Vec<String> = chain
                            .get(from..)
                            .unwrap_or(&[])
                            .iter()
                            .map(|&c| role_name(def, c))
                            .collect();
                        cycle.push(role_name(def, cur));
                        let last = chain.last().copied().unwrap_or(cur);
                        return Err(PolicyError::BaseRoleCycle {
                            path: format!("roles.{}.base", role_name(def, last)),
                            cycle,
                        });
                    }
                    Some(_) => {}
                }
                if let Some(s) = state.get_mut(cur as usize) {
                    *s = 1;
                }
                chain.push(cur);
                let base = def
                    .roles
                    .0
                    .get(cur as usize)
                    .and_then(|(_, r)| r.base.as_deref());
                match base {
                    Some(b) => {
                        let name = role_name(def, cur);
                        cur = lookup(
                            &self.role_index,
                            b,
                            format!("roles.{name}.base"),
                            Item::Role,
                        )?;
                    }
                    None => break,
                }
            }
            for &c in chain.iter().rev() {
                if let Some(s) = state.get_mut(c as usize) {
                    *s = 2;
                }
                order.push(c);
            }
        }
        Ok(order)
    }

    fn compile_toggles(&self, def: &PolicyDef) -> Result<Vec<Toggle>> {
        def.toggles
            .iter()
            .map(|(name, t)| {
                Ok(Toggle {
                    name: name.to_string(),
                    def: t.clone(),
                    sets: self.grants(&t.grants, &format!("toggles.{name}.grants"))?,
                })
            })
            .collect()
    }

    /// Resolves a subject's definition. The common case (every name known, no
    /// duplicates) formats no error path; only a failure builds one.
    pub(crate) fn compile_subject(
        &self,
        s: u32,
        name: &str,
        sdef: &SubjectDef,
        subjects: &dyn SubjectNames,
        texts: &Texts,
    ) -> Result<SubjectInfo> {
        let assignment = Assignment {
            role: &sdef.role,
            toggles: &sdef.toggles,
            levels: &sdef.levels,
            exceptions: &sdef.exceptions,
            restrictions: &sdef.restrictions,
            manages: &sdef.manages,
            written: true,
        };
        self.compile_assignment(
            s,
            name,
            &|| format!("subjects.{name}"),
            &assignment,
            subjects,
            texts,
        )
    }

    /// [`Schema::compile_subject`] for a borrowed assignment, with error paths
    /// under `at()` (built only on failure).
    pub(crate) fn compile_assignment(
        &self,
        s: u32,
        name: &str,
        at: &dyn Fn() -> String,
        sdef: &Assignment<'_>,
        subjects: &dyn SubjectNames,
        texts: &Texts,
    ) -> Result<SubjectInfo> {
        let path = at;
        let role = match self.role_index.get(sdef.role) {
            Some(&r) => r,
            None => lookup(
                &self.role_index,
                sdef.role,
                format!("{}.role", path()),
                Item::Role,
            )?,
        };
        let mut toggles: SmallVec<[u32; 4]> = SmallVec::with_capacity(sdef.toggles.len());
        for t in sdef.toggles {
            match self.toggle_index.get(t) {
                Some(&id) => toggles.push(id),
                None => {
                    resolve_list(
                        &self.toggle_index,
                        sdef.toggles,
                        &format!("{}.toggles", path()),
                        Item::Toggle,
                    )?;
                }
            }
        }
        toggles.sort_unstable();
        if toggles.windows(2).any(|w| w.first() == w.get(1)) {
            // A repeated toggle: report it where it stands.
            resolve_list(
                &self.toggle_index,
                sdef.toggles,
                &format!("{}.toggles", path()),
                Item::Toggle,
            )?;
        }
        let mut levels: SmallVec<[(u32, u32); 4]> = SmallVec::with_capacity(sdef.levels.len());
        for (kname, level) in sdef.levels.iter() {
            let fast = self.kind_index.get(kname).and_then(|&k| {
                let l = self.kinds.get(k as usize)?.level_index(level)?;
                Some((k, l as u32))
            });
            let (k, l) = match fast {
                Some(x) => x,
                None => {
                    let lpath = format!("{}.levels.{kname}", path());
                    let (k, kind) = self.kind_of(kname, lpath.clone())?;
                    (k, self.level(kind, level, lpath)? as u32)
                }
            };
            if levels.iter().any(|(seen, _)| *seen == k) {
                return Err(PolicyError::Duplicate {
                    path: format!("{}.levels.{kname}", path()),
                    what: Item::Kind,
                    name: kname.to_string(),
                });
            }
            levels.push((k, l));
        }
        levels.sort_unstable();
        let layer = if sdef.exceptions.is_empty() && sdef.restrictions.is_empty() {
            Layer::default()
        } else {
            self.layer(
                sdef.exceptions,
                sdef.restrictions,
                &path(),
                None,
                None,
                texts,
            )?
        };
        let mut manages = Vec::with_capacity(sdef.manages.len());
        let mut seen = std::collections::HashSet::with_capacity(sdef.manages.len());
        for (j, m) in sdef.manages.iter().enumerate() {
            let mpath = || format!("{}.manages[{j}]", path());
            let id = match subjects.id(m) {
                Some(id) => id,
                None if m.is_empty() => {
                    return Err(PolicyError::EmptyName {
                        path: mpath(),
                        what: Item::Subject,
                    })
                }
                None => {
                    return Err(PolicyError::Unknown {
                        path: mpath(),
                        what: Item::Subject,
                        name: m.clone(),
                        suggestion: nearest(m, subjects.all()),
                    })
                }
            };
            if id == s {
                return Err(PolicyError::ManagesItself {
                    path: mpath(),
                    subject: name.to_string(),
                });
            }
            if !seen.insert(id) {
                return Err(PolicyError::Duplicate {
                    path: mpath(),
                    what: Item::Subject,
                    name: m.clone(),
                });
            }
            manages.push(id);
        }
        manages.sort_unstable();
        Ok(SubjectInfo {
            key: ProfileKey {
                role,
                toggles,
                levels,
            },
            layer,
            exceptions: if sdef.written {
                sdef.exceptions.to_vec()
            } else {
                Vec::new()
            },
            restrictions: if sdef.written {
                sdef.restrictions.to_vec()
            } else {
                Vec::new()
            },
            manages,
        })
    }
}

/// [`ProfileKind::flags`] for kind `k` under a role's layer.
fn profile_flags(kind: &Kind, layer: Option<&Layer>, k: u32) -> u8 {
    let mut f = 0;
    if layer.is_some_and(|l| l.names_kind(k)) {
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

/// In `items` sorted by `(key, index)`, the smallest `index` whose key an item
/// with a smaller index already has: the first repeat in document order.
fn first_repeat<T, K: PartialEq>(
    items: &[T],
    key: impl Fn(&T) -> K,
    index: impl Fn(&T) -> usize,
) -> Option<usize> {
    items
        .windows(2)
        .filter_map(|w| match w {
            [a, b] if key(a) == key(b) => Some(index(b)),
            _ => None,
        })
        .min()
}

/// `own` (sorted, unique) with every item of `base` (sorted, unique) whose key it
/// lacks, sorted: one merge pass.
fn merge_by_key<T: Clone, K: Ord>(own: Vec<T>, base: &[T], key: impl Fn(&T) -> K) -> Vec<T> {
    let mut out = Vec::with_capacity(own.len() + base.len());
    let mut base = base.iter().peekable();
    for item in own {
        while let Some(b) = base.next_if(|b| key(b) < key(&item)) {
            out.push(b.clone());
        }
        if base.peek().is_some_and(|b| key(b) == key(&item)) {
            base.next();
        }
        out.push(item);
    }
    out.extend(base.cloned());
    out
}

fn role_name(def: &PolicyDef, r: u32) -> String {
    def.roles
        .0
        .get(r as usize)
        .map_or(String::new(), |(n, _)| n.clone())
}

fn lookup_in(names: &[String], name: &str, path: String, what: Item) -> Result<usize> {
    if name.is_empty() {
        return Err(PolicyError::EmptyName { path, what });
    }
    names
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| PolicyError::Unknown {
            path,
            what,
            name: name.to_string(),
            suggestion: nearest(name, names.iter().map(String::as_str)),
        })
}

/// Resolve a list of names, reporting unknown and repeated ones.
fn resolve_list(
    index: &HashMap<String, u32>,
    names: &[String],
    path: &str,
    what: Item,
) -> Result<Vec<u32>> {
    let mut out: Vec<u32> = Vec::with_capacity(names.len());
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    for (j, n) in names.iter().enumerate() {
        let id = lookup(index, n, format!("{path}[{j}]"), what)?;
        if !seen.insert(id) {
            return Err(PolicyError::Duplicate {
                path: format!("{path}[{j}]"),
                what,
                name: n.clone(),
            });
        }
        out.push(id);
    }
    Ok(out)
}

/// The mask of `names` on `kind`; `"*"` is every action. With `kinds`, an action of
/// another kind is reported as such.
fn action_mask(kind: &Kind, names: &[String], path: &str, kinds: Option<&[Kind]>) -> Result<u64> {
    let mut m = 0u64;
    for (j, n) in names.iter().enumerate() {
        let apath = format!("{path}[{j}]");
        if n == "*" {
            m |= kind.all();
            continue;
        }
        if n.is_empty() {
            return Err(PolicyError::EmptyName {
                path: apath,
                what: Item::Action,
            });
        }
        let Some(&bit) = kind.action_index.get(n.as_str()) else {
            if let Some(owner) = kinds
                .into_iter()
                .flatten()
                .find(|k| k.name != kind.name && k.action_index.contains_key(n.as_str()))
            {
                return Err(PolicyError::ForeignAction {
                    path: apath,
                    action: n.clone(),
                    kind: kind.name.clone(),
                    owner: owner.name.clone(),
                });
            }
            return Err(PolicyError::Unknown {
                path: apath,
                what: Item::Action,
                name: n.clone(),
                suggestion: nearest(n, kind.actions.iter().map(String::as_str)),
            });
        };
        let b = 1u64 << bit;
        if m & b != 0 && names.iter().take(j).any(|p| p == n) {
            return Err(PolicyError::Duplicate {
                path: apath,
                what: Item::Action,
                name: n.clone(),
            });
        }
        m |= b;
    }
    Ok(m)
}

/// A kind's own parts: actions, implications, levels, states, availability. State
/// rules and prerequisites need the other names and come later.
fn compile_kind(name: &str, k: &KindDef) -> Result<Kind> {
    let path = format!("kinds.{name}");
    if k.actions.len() > MAX_ACTIONS {
        return Err(PolicyError::TooManyActions {
            path: format!("{path}.actions"),
            kind: name.to_string(),
            given: k.actions.len(),
            limit: MAX_ACTIONS,
        });
    }
    let mut action_index = HashMap::with_capacity(k.actions.len());
    for (i, a) in k.actions.iter().enumerate() {
        if a == "*" {
            return Err(PolicyError::EmptyName {
                path: format!("{path}.actions[{i}]"),
                what: Item::Action,
            });
        }
        check_name(a, Item::Action, || format!("{path}.actions[{i}]"))?;
        if action_index.insert(a.clone(), i as u8).is_some() {
            return Err(PolicyError::Duplicate {
                path: format!("{path}.actions[{i}]"),
                what: Item::Action,
                name: a.clone(),
            });
        }
    }
    let n = k.actions.len();
    let mut kind = Kind {
        name: name.to_string(),
        def: k.clone(),
        actions: k.actions.clone(),
        action_index,
        down: (0..n).map(|i| 1u64 << i).collect(),
        up: vec![0; n],
        levels: Vec::new(),
        states: Vec::new(),
        state_index: HashMap::with_capacity(k.states.len()),
        state_class: vec![0; k.states.len()],
        n_classes: 0,
        state_rules: Vec::new(),
        prerequisites: Vec::new(),
        ancestor_prerequisites: Vec::new(),
        available: k.available,
        chain: SmallVec::new(),
        text_ids: k.ids == IdType::String,
    };
    // Direct implications, then the transitive closure by iterating to a fixed
    // point (at most 64 rounds; cycles simply make their actions equivalent).
    let mut seen = Vec::new();
    for (a, needs) in k.needs.iter() {
        let npath = format!("{path}.needs.{a}");
        let Some(&bit) = kind.action_index.get(a) else {
            return Err(PolicyError::Unknown {
                path: npath,
                what: Item::Action,
                name: a.to_string(),
                suggestion: nearest(a, kind.actions.iter().map(String::as_str)),
            });
        };
        if seen.contains(&bit) {
            return Err(PolicyError::Duplicate {
                path: npath,
                what: Item::Action,
                name: a.to_string(),
            });
        }
        seen.push(bit);
        let m = action_mask(&kind, needs, &npath, None)?;
        if let Some(d) = kind.down.get_mut(usize::from(bit)) {
            *d |= m;
        }
    }
    loop {
        let next: Vec<u64> = kind.down.iter().map(|&d| close(&kind.down, d)).collect();
        if next == kind.down {
            break;
        }
        kind.down = next;
    }
    for (i, &d) in kind.down.iter().enumerate() {
        let mut rest = d;
        while rest != 0 {
            let j = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if let Some(u) = kind.up.get_mut(j) {
                *u |= 1u64 << i;
            }
        }
    }
    for (i, s) in k.states.iter().enumerate() {
        let spath = format!("{path}.states[{i}]");
        check_name(s, Item::State, || spath.clone())?;
        if kind.state_index.insert(s.clone(), i as u32).is_some() {
            return Err(PolicyError::Duplicate {
                path: spath,
                what: Item::State,
                name: s.clone(),
            });
        }
        kind.states.push(s.clone());
    }
    let mut below: Option<(String, u64)> = None;
    for (i, (lname, actions)) in k.levels.iter().enumerate() {
        if lname.is_empty() {
            return Err(PolicyError::EmptyName {
                path: format!("{path}.levels."),
                what: Item::Level,
            });
        }
        check_name(lname, Item::Level, || format!("{path}.levels[{i}]"))?;
        let lpath = format!("{path}.levels.{lname}");
        if kind.level_index(lname).is_some() {
            return Err(PolicyError::Duplicate {
                path: lpath,
                what: Item::Level,
                name: lname.to_string(),
            });
        }
        let m = kind.close_down(action_mask(&kind, actions, &lpath, None)?);
        if let Some((bname, bm)) = &below {
            let missing = bm & !m;
            if missing != 0 {
                let action = kind
                    .actions
                    .get(missing.trailing_zeros() as usize)
                    .cloned()
                    .unwrap_or_default();
                return Err(PolicyError::LevelOrder {
                    path: lpath,
                    level: lname.to_string(),
                    below: bname.clone(),
                    action,
                });
            }
        }
        below = Some((lname.to_string(), m));
        kind.levels.push((lname.to_string(), m));
    }
    Ok(kind)
}
