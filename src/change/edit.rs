//! Making a change on a copy: one subject recompiled (or its exception list
//! edited in place), a role redefined and the profiles recomputed.

use std::sync::Arc;

use crate::compile::SubjectNames;
use crate::def::{on_instance, on_kind};
use crate::def::{IdDef, PolicyDef, RoleDef, SubjectDef};
use crate::engine::{Policy, Subject, SubjectRef};
use crate::error::{check_name, nearest, Item, PolicyError};
use crate::ids::{RoleId, SubjectId};
use crate::model::{Origin, Schema, Slot};

use super::permit::Actor;
use super::{Change, ChangeError};

impl Policy {
    fn subject_by_name(&self, name: &str) -> Result<(u32, SubjectRef<'_>), ChangeError> {
        self.index
            .get(name)
            .and_then(|s| self.info(s).map(|i| (s, i)))
            .ok_or_else(|| ChangeError::UnknownSubject {
                name: name.to_string(),
                suggestion: nearest(name, self.index.all()),
            })
    }

    /// A new snapshot with `change` made, without permission checks (for the
    /// service itself, bootstrapping, or tests). The cost is about the size of the
    /// changed subject, not of the policy; a role change recomputes the profiles.
    ///
    /// ```
    /// # use accessmask::{Change, Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"tracking":
    /// #   {"actions": ["view", "edit"], "levels": {"No Access": [], "Read Only Access": ["view"],
    /// #    "Full Access": ["view", "edit"]}}},
    /// #   "roles": {"Admin": {"grants": {"tracking": {"level": "Full Access"}}}},
    /// #   "subjects": {"bo": {"role": "Admin"}}}"#)?;
    /// let policy = Policy::compile(&def)?;
    /// let changed = policy.change(&Change::SetLevel {
    ///     subject: "bo".into(),
    ///     kind: "tracking".into(),
    ///     level: Some("Read Only Access".into()),
    /// })?;
    /// let bo = policy.subject("bo").ok_or("no bo")?;
    /// let edit = policy.action("tracking", "edit").ok_or("no edit")?;
    /// let tracking = policy.resource(edit.kind());
    /// assert!(policy.can(bo, edit, &tracking));
    /// assert!(!changed.can(bo, edit, &tracking));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn change(&self, change: &Change) -> Result<Policy, ChangeError> {
        let mut next = self.clone();
        next.change_in_place(change)?;
        Ok(next)
    }

    /// A new snapshot with every change made in order, or the first error and no
    /// change at all.
    pub fn change_all<'c>(
        &self,
        changes: impl IntoIterator<Item = &'c Change>,
    ) -> Result<Policy, ChangeError> {
        let mut next = self.clone();
        for (index, c) in changes.into_iter().enumerate() {
            next.change_in_place(c).map_err(|e| ChangeError::Batch {
                index,
                source: Box::new(e),
            })?;
        }
        Ok(next)
    }

    /// A new snapshot with `change` made on behalf of `actor` (a [`SubjectId`], as
    /// checks take a subject, or a name).
    ///
    /// Judged in this order (MODEL.md, "No escalation, exactly"):
    /// 1. the actor is a subject of this snapshot and meets every admin rule that
    ///    covers the change (the rule's action, on a resource owned by the subject
    ///    changed); an unknown actor or an uncovered change gets
    ///    [`ChangeError::Refused`], the same whatever the change names;
    /// 2. the change is valid;
    /// 3. unless every covering rule says `may_grant_beyond_own`, no subject may
    ///    do anything afterwards, on any resource, that it could not do before and
    ///    that the actor cannot do on that same resource. Every class of resource on
    ///    which answers can differ is tried with the engine's own answers: each id
    ///    named in the layers of the changed subject and of the actor (and their
    ///    roles), one unnamed id and none; each state and none; no owner, the
    ///    subject, the actor, everyone either manages, and an unrelated owner. A role
    ///    definition is tried on every holder of it or of a role derived from it.
    ///
    /// ```
    /// # use accessmask::{Change, ChangeError, Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {
    /// #   "tracking": {"actions": ["view", "edit"], "levels": {"No Access": [], "Read Only Access": ["view"],
    /// #    "Full Access": ["view", "edit"]}},
    /// #   "permissions": {"actions": ["set_levels"]}},
    /// #   "roles": {"Admin": {"grants": {"tracking": {"level": "Full Access"}, "permissions": ["set_levels"]}},
    /// #             "User": {}},
    /// #   "admin": [{"changes": ["set_level"], "requires": {"kind": "permissions", "action": "set_levels"}}],
    /// #   "subjects": {"ada": {"role": "Admin"}, "bo": {"role": "Admin"}, "cy": {"role": "User"}}}"#)?;
    /// let policy = Policy::compile(&def)?;
    /// let lower = Change::SetLevel {
    ///     subject: "bo".into(),
    ///     kind: "tracking".into(),
    ///     level: Some("Read Only Access".into()),
    /// };
    /// let policy = policy.apply("ada", &lower)?;
    /// let err = policy.apply("cy", &lower).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "`cy` may not set the level of `bo` on `tracking` to `Read Only Access`: \
    ///      it lacks `permissions.set_levels` (admin rule 0)"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply(&self, actor: impl Actor, change: &Change) -> Result<Policy, ChangeError> {
        self.permitted(&actor, &[change], true)
    }

    /// Every change on behalf of `actor`, all or nothing. Each change must be
    /// covered by an admin rule the actor meets in this snapshot; the batch is then
    /// judged for escalation as a whole, from this snapshot to the last.
    pub fn apply_all<'c>(
        &self,
        actor: impl Actor,
        changes: impl IntoIterator<Item = &'c Change>,
    ) -> Result<Policy, ChangeError> {
        let changes: Vec<&Change> = changes.into_iter().collect();
        self.permitted(&actor, &changes, false)
    }

    pub(crate) fn change_in_place(&mut self, change: &Change) -> Result<(), ChangeError> {
        match change {
            Change::AddSubject { subject, def } => self.add_subject(subject, def),
            Change::RemoveSubject { subject } => self.remove_subject(subject),
            Change::DefineRole { role, def } => self.define_role(role, def),
            Change::SetException { .. } | Change::RemoveException { .. }
                if self.edit_exception_in_place(change)? =>
            {
                Ok(())
            }
            _ => {
                let name = change.subject().unwrap_or_default();
                let (s, info) = self.subject_by_name(name)?;
                let old_manages = info.manages().to_vec();
                let managed_by = info.managed_by().to_vec();
                self.check_names(change, name)?;
                let mut def = self.subject_def(info);
                edit_subject(&mut def, change, name)?;
                let mut texts = self.texts.clone();
                texts.intern_rules(&def.exceptions, &def.restrictions);
                let info = self
                    .schema
                    .compile_subject(s, name, &def, &self.index, &texts)?;
                self.texts = texts;
                let new_manages = info.manages.clone();
                let tag = self.tag_for(name);
                let record = self.subject_record(info, tag, managed_by);
                self.subjects.set(s as usize, record);
                for &m in old_manages.iter().filter(|m| !new_manages.contains(m)) {
                    self.edit_managed_by(m, |v| v.retain(|x| *x != s));
                }
                for &m in new_manages.iter().filter(|m| !old_manages.contains(m)) {
                    self.edit_managed_by(m, |v| {
                        if let Err(pos) = v.binary_search(&s) {
                            v.insert(pos, s);
                        }
                    });
                }
                Ok(())
            }
        }
    }

    /// `SetException` or `RemoveException` on a subject with many exceptions,
    /// without compiling the subject again (see `SubjectExtra::edit_exception`).
    /// False when the shortcut does not apply and the change is still to be made.
    fn edit_exception_in_place(&mut self, change: &Change) -> Result<bool, ChangeError> {
        let name = change.subject().unwrap_or_default();
        let (s, info) = self.subject_by_name(name)?;
        let Some(extra) = info.extra else {
            return Ok(false);
        };
        self.check_names(change, name)?;
        // The shortcut is for number ids written on the instance itself; the
        // rest goes through a recompile of the subject.
        let (kind, id, new) = match change {
            Change::SetException { exception, .. } => match (&exception.within, &exception.id) {
                (None, IdDef::Number(id)) => (exception.kind.as_str(), *id, Some(exception)),
                _ => return Ok(false),
            },
            Change::RemoveException {
                kind,
                within: None,
                id: IdDef::Number(id),
                ..
            } => (kind.as_str(), *id, None),
            _ => return Ok(false),
        };
        let Some(&k) = self.schema.kind_index.get(kind) else {
            return Ok(false);
        };
        let new = match new {
            Some(e) => {
                // Its place in the edited list: after the others.
                let others = info.layer().exceptions.len()
                    - usize::from(info.layer().exception(Slot::of(k), id).is_some());
                let origin = Origin {
                    role: None,
                    index: others,
                };
                let compiled = match self.schema.exception_fast(e, &origin, &self.texts) {
                    Some(c) => c,
                    None => self.schema.exception(
                        e,
                        &format!("subjects.{name}.exceptions[{others}]"),
                        origin,
                        &self.texts,
                    )?,
                };
                Some((e.clone(), compiled))
            }
            None => None,
        };
        let Some(extra) = extra.edit_exception((kind, k, id), new) else {
            return Ok(false);
        };
        let record = self.subjects.get(s as usize).map(|r| (r.profile, r.flags));
        let Some((profile, flags)) = record else {
            return Ok(false);
        };
        self.subjects.set(
            s as usize,
            Subject::new(profile, flags, Some(Arc::new(extra))),
        );
        Ok(true)
    }

    /// Names a change uses that compiling the edited subject would not check
    /// (switching off or clearing something unknown would be silently a no-op).
    fn check_names(&self, change: &Change, subject: &str) -> Result<(), ChangeError> {
        let unknown = |path: String, what: Item, name: &str, known: Vec<&str>| {
            ChangeError::Invalid(PolicyError::Unknown {
                path,
                what,
                name: name.to_string(),
                suggestion: nearest(name, known),
            })
        };
        let kinds = || self.schema.kinds.iter().map(|k| k.name.as_str()).collect();
        match change {
            Change::SetToggle { toggle, .. } if !self.schema.toggle_index.contains_key(toggle) => {
                Err(unknown(
                    format!("subjects.{subject}.toggles"),
                    Item::Toggle,
                    toggle,
                    self.schema
                        .toggles
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect(),
                ))
            }
            Change::SetLevel { kind, .. } if !self.schema.kind_index.contains_key(kind) => {
                Err(unknown(
                    format!("subjects.{subject}.levels.{kind}"),
                    Item::Kind,
                    kind,
                    kinds(),
                ))
            }
            Change::RemoveException { kind, .. } if !self.schema.kind_index.contains_key(kind) => {
                Err(unknown(
                    format!("subjects.{subject}.exceptions"),
                    Item::Kind,
                    kind,
                    kinds(),
                ))
            }
            Change::RemoveRestriction { kind, .. }
                if !self.schema.kind_index.contains_key(kind) =>
            {
                Err(unknown(
                    format!("subjects.{subject}.restrictions"),
                    Item::Kind,
                    kind,
                    kinds(),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Edits the list of subjects managing `s`.
    fn edit_managed_by(&mut self, s: u32, edit: impl FnOnce(&mut Vec<u32>)) {
        let Some(record) = self.subjects.get(s as usize) else {
            return;
        };
        let mut extra = record.extra.as_deref().cloned().unwrap_or_default();
        let mut by = extra.managed_by.to_vec();
        edit(&mut by);
        extra.managed_by = by.into();
        let record = Subject::new(record.profile, record.flags, extra.finish());
        self.subjects.set(s as usize, record);
    }

    fn add_subject(&mut self, name: &str, def: &SubjectDef) -> Result<(), ChangeError> {
        check_name(name, Item::Subject, || {
            format!("subjects[{}]", self.subjects.len())
        })?;
        if self.index.get(name).is_some() {
            return Err(ChangeError::SubjectExists(name.to_string()));
        }
        let s = self.subjects.len() as u32;
        let mut index = self.index.clone();
        let name_rc: Arc<str> = name.into();
        index.insert(Arc::clone(&name_rc), s);
        let mut texts = self.texts.clone();
        texts.intern_rules(&def.exceptions, &def.restrictions);
        let info = self.schema.compile_subject(s, name, def, &index, &texts)?;
        self.texts = texts;
        let manages = info.manages.clone();
        let tag = self.tag_for(name);
        let record = self.subject_record(info, tag, Vec::new());
        self.index = index;
        self.subjects.push(record);
        self.names.push(Some(name_rc));
        for m in manages {
            self.edit_managed_by(m, |v| v.push(s));
        }
        Ok(())
    }

    fn remove_subject(&mut self, name: &str) -> Result<(), ChangeError> {
        let (s, info) = self.subject_by_name(name)?;
        if let Some(&m) = info.managed_by().first() {
            return Err(ChangeError::StillManaged {
                subject: name.to_string(),
                manager: self.subject_name(SubjectId(m)).to_string(),
            });
        }
        let manages = info.manages().to_vec();
        for m in manages {
            self.edit_managed_by(m, |v| v.retain(|x| *x != s));
        }
        self.index.remove(name);
        self.subjects.set(s as usize, Subject::removed());
        self.names.set(s as usize, None);
        Ok(())
    }

    fn define_role(&mut self, name: &str, def: &RoleDef) -> Result<(), ChangeError> {
        let mut whole = PolicyDef::default();
        for r in &self.schema.roles {
            whole.roles.insert(r.name.clone(), r.def.clone());
        }
        let adding = whole.roles.get(name).is_none();
        whole.roles.set(name, def.clone());
        let mut schema = Schema::clone(&self.schema);
        if adding {
            check_name(name, Item::Role, || {
                format!("roles[{}]", schema.roles.len())
            })?;
            let id = RoleId::new(schema.roles.len()).ok_or_else(|| PolicyError::Malformed {
                path: "roles".into(),
                problem: "more entries than the limit of their id",
            })?;
            schema.role_index.insert(name.to_string(), id);
        }
        let mut texts = self.texts.clone();
        texts.intern_rules(&def.exceptions, &def.restrictions);
        schema.roles = schema.compile_roles(&whole, &texts)?;
        self.texts = texts;
        schema.index_role_instances();
        self.schema = Arc::new(schema);
        self.recompute_profiles();
        Ok(())
    }
}

/// Applies a subject-level change to its definition.
fn edit_subject(def: &mut SubjectDef, change: &Change, name: &str) -> Result<(), ChangeError> {
    match change {
        Change::SetRole { role, .. } => def.role = role.clone(),
        Change::SetLevel { kind, level, .. } => match level {
            Some(l) => def.levels.set(kind.clone(), l.clone()),
            None => {
                def.levels.remove(kind);
            }
        },
        Change::SetToggle { toggle, on, .. } => {
            let has = def.toggles.iter().any(|t| t == toggle);
            if *on && !has {
                def.toggles.push(toggle.clone());
            } else if !*on {
                def.toggles.retain(|t| t != toggle);
            }
        }
        Change::SetException { exception, .. } => {
            def.exceptions.retain(|e| {
                !(e.kind == exception.kind && e.within == exception.within && e.id == exception.id)
            });
            def.exceptions.push(exception.clone());
        }
        Change::RemoveException {
            kind, within, id, ..
        } => {
            let before = def.exceptions.len();
            def.exceptions
                .retain(|e| !(e.kind == *kind && e.within == *within && e.id == *id));
            if def.exceptions.len() == before {
                return Err(ChangeError::NothingToRemove {
                    subject: name.to_string(),
                    what: Item::Exception,
                    on: on_instance(kind, within.as_deref(), id),
                });
            }
        }
        Change::SetRestriction { restriction, .. } => {
            def.restrictions
                .retain(|r| !(r.kind == restriction.kind && r.within == restriction.within));
            def.restrictions.push(restriction.clone());
        }
        Change::RemoveRestriction { kind, within, .. } => {
            let before = def.restrictions.len();
            def.restrictions
                .retain(|r| !(r.kind == *kind && r.within == *within));
            if def.restrictions.len() == before {
                return Err(ChangeError::NothingToRemove {
                    subject: name.to_string(),
                    what: Item::Restriction,
                    on: on_kind(kind, within.as_deref()),
                });
            }
        }
        Change::SetManages { manages, .. } => def.manages = manages.clone(),
        Change::AddSubject { .. } | Change::RemoveSubject { .. } | Change::DefineRole { .. } => {}
    }
    Ok(())
}
