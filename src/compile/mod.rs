//! Definition -> compiled policy, one stage per file: names (`names`), kinds
//! and their rules (`kinds`; prerequisite cycles in `cycles`), exceptions and
//! restrictions (`rules`), roles and toggles (`roles`), subjects (`subjects`),
//! profile tables (`profiles`), admin rules (`admin`). Every check of a
//! document happens here, so the check path never has to.

mod admin;
mod cycles;
mod kinds;
mod names;
mod profiles;
mod roles;
mod rules;
mod subjects;

use std::sync::Arc;

use crate::def::PolicyDef;
use crate::engine::{NameIndex, Policy, Profiles, Subject, Texts};
use crate::error::{check_name, Item, PolicyError};
use crate::ids::{KindId, RoleId};
use crate::model::{Schema, ToggleId};
use crate::pvec::PVec;
use crate::table::IdTable;

use kinds::compile_kind;
use names::index_names;
pub(crate) use names::SubjectNames;
pub(crate) use subjects::Assignment;

pub(crate) type Result<T> = std::result::Result<T, PolicyError>;

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
    /// stays keeps its [`SubjectId`](crate::SubjectId) (same position, same lineage), new subjects
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
    pub(super) fn compile_keeping(def: &PolicyDef, prior: Option<&Policy>) -> Result<Policy> {
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
        let (index, slots, n_slots) = number_subjects(def, prior)?;
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
        let mut managed_by = managed_by(def, &index, &slots, n_slots);
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
}

/// Each subject's position: document order, or its position in `prior` (new
/// names after the last of `prior`'s). The name index, the positions in document
/// order, and how many positions there are.
fn number_subjects(def: &PolicyDef, prior: Option<&Policy>) -> Result<(NameIndex, Vec<u32>, u32)> {
    let mut index = NameIndex::new();
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
    Ok((index, slots, n_slots))
}

/// Per position, the positions of the subjects that manage it, sorted and
/// unique (names that do not resolve are skipped here).
fn managed_by(def: &PolicyDef, index: &NameIndex, slots: &[u32], n_slots: u32) -> Vec<Vec<u32>> {
    let mut managed_by: Vec<Vec<u32>> = vec![Vec::new(); n_slots as usize];
    for ((_, sdef), &s) in def.subjects.iter().zip(slots) {
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
    managed_by
}

impl Schema {
    /// Kinds, roles and toggles of `def`.
    pub(crate) fn compile(def: &PolicyDef, texts: &Texts) -> Result<Schema> {
        let kind_index = index_names(&def.kinds, "kinds", Item::Kind, KindId::new)?;
        let role_index = index_names(&def.roles, "roles", Item::Role, RoleId::new)?;
        let toggle_index = index_names(&def.toggles, "toggles", Item::Toggle, ToggleId::new)?;
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
}

/// What the stages' unit tests share: a document from JSON, and its schema.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::def::PolicyDef;
    use crate::engine::Texts;
    use crate::model::Schema;

    /// A document from JSON text.
    #[track_caller]
    pub(crate) fn def(json: &str) -> PolicyDef {
        serde_json::from_str(json).unwrap()
    }

    /// The schema of a document, compiled (every stage up to admin rules).
    #[track_caller]
    pub(crate) fn schema(json: &str) -> Schema {
        Schema::compile(&def(json), &Texts::default()).unwrap()
    }

    /// The error compiling a document's schema gives, as text.
    #[track_caller]
    pub(crate) fn schema_error(json: &str) -> String {
        match Schema::compile(&def(json), &Texts::default()) {
            Ok(_) => panic!("compiled: {json}"),
            Err(e) => e.to_string(),
        }
    }
}
