//! Making a change on a copy: one subject recompiled (or its exception list
//! edited in place), a role redefined and the profiles recomputed.

use std::sync::Arc;

use crate::compile::SubjectNames;
use crate::def::{RoleDef, SubjectDef};
use crate::engine::{Policy, Subject, SubjectRef};
use crate::error::{check_name, nearest, Item, PolicyError};
use crate::ids::SubjectId;
use crate::model::Schema;

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
            _ => {
                let name = change.subject().unwrap_or_default();
                let (s, _) = self.subject_by_name(name)?;
                self.check_names(change, name)?;
                self.edit_subject(s, name, change)
            }
        }
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
    pub(super) fn edit_managed_by(&mut self, s: u32, edit: impl FnOnce(&mut Vec<u32>)) {
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
            return Err(ChangeError::SubjectExists {
                name: name.to_string(),
            });
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
        let mut schema = Schema::clone(&self.schema);
        if !schema.role_index.contains_key(name) {
            check_name(name, Item::Role, || {
                format!("roles[{}]", schema.roles.len())
            })?;
        }
        let mut texts = self.texts.clone();
        texts.intern_rules(&def.exceptions, &def.restrictions);
        schema.define_role(name, def, &texts)?;
        self.texts = texts;
        schema.index_role_instances();
        self.schema = Arc::new(schema);
        self.recompute_profiles();
        Ok(())
    }
}
