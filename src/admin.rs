//! Changing a running policy: one subject (or one role) at a time, as new snapshots
//! that share everything unchanged; permissioned changes without escalation; and
//! [`LivePolicy`], which swaps snapshots under readers.

use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

use crate::compile::SubjectNames;
use crate::def::{ChangeKind, ExceptionDef, IdDef, PolicyDef, RestrictionDef, RoleDef, SubjectDef};
use crate::engine::{Policy, Subject, SubjectRef};
use crate::error::{check_name, hint, nearest, Item, PolicyError, Shown};
use crate::ids::{Actions, Resource, SubjectId};
use crate::model::{Origin, Schema};
use crate::permit::{printable as p, Actor};

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
/// ..., "kind": ..., "actions": [...], "id": 42, "state": null, "owner": null,
/// "rule": 1, "allowed_by": null}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum ChangeError {
    /// The change would make an invalid definition (the path is where the subject
    /// or role stands in [`Policy::to_definition`]'s document).
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
                    - usize::from(info.layer().exception(k, id).is_some());
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
            schema
                .role_index
                .insert(name.to_string(), schema.roles.len() as u32);
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

/// A policy that changes while checks run: readers take the current snapshot (a
/// pointer copy under a read lock held for nanoseconds); one writer at a time
/// builds the next snapshot aside and swaps it in. Readers see every change, or
/// batch of changes, whole or not at all.
///
/// ```
/// # use accessmask::{Change, LivePolicy, Policy, PolicyDef};
/// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"task": {"actions": ["view"]}},
/// #   "roles": {"Viewer": {"grants": {"task": ["view"]}}, "None": {}},
/// #   "subjects": {"u": {"role": "None"}}}"#)?;
/// let live = LivePolicy::new(Policy::compile(&def)?);
/// let before = live.snapshot();
/// live.change(&Change::SetRole { subject: "u".into(), role: "Viewer".into() })?;
/// let after = live.snapshot();
/// let u = after.subject("u").ok_or("no u")?;
/// let view = after.action("task", "view").ok_or("no view")?;
/// assert!(!before.can(u, view, &before.resource(view.kind())));
/// assert!(after.can(u, view, &after.resource(view.kind())));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LivePolicy {
    current: RwLock<Arc<Policy>>,
    writer: Mutex<()>,
}

impl LivePolicy {
    /// Starts from `policy`.
    pub fn new(policy: Policy) -> Self {
        LivePolicy {
            current: RwLock::new(Arc::new(policy)),
            writer: Mutex::new(()),
        }
    }

    /// The current snapshot. Hold it for a request to answer every check of that
    /// request from one consistent policy.
    pub fn snapshot(&self) -> Arc<Policy> {
        match self.current.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// [`Policy::can`] on the current snapshot.
    pub fn can(&self, subject: SubjectId, action: impl Actions, resource: &Resource) -> bool {
        match self.current.read() {
            Ok(g) => g.can(subject, action, resource),
            Err(poisoned) => poisoned.into_inner().can(subject, action, resource),
        }
    }

    /// Makes `change` without permission checks ([`Policy::change`]).
    pub fn change(&self, change: &Change) -> Result<(), ChangeError> {
        self.update(|p| p.change(change))
    }

    /// Makes every change or none ([`Policy::change_all`]).
    pub fn change_all(&self, changes: &[Change]) -> Result<(), ChangeError> {
        self.update(|p| p.change_all(changes))
    }

    /// Makes `change` on behalf of `actor` ([`Policy::apply`]).
    pub fn apply(&self, actor: impl Actor, change: &Change) -> Result<(), ChangeError> {
        self.update(|p| p.apply(actor, change))
    }

    /// Makes every change on behalf of `actor`, or none ([`Policy::apply_all`]).
    pub fn apply_all(&self, actor: impl Actor, changes: &[Change]) -> Result<(), ChangeError> {
        self.update(|p| p.apply_all(actor, changes))
    }

    /// Replaces the whole policy, keeping the id of every subject whose name
    /// stays (see [`Policy::recompile`]): ids the service cached keep answering
    /// for the same subjects, and ids of subjects `policy` drops are denied. A
    /// policy not already of this lineage is recompiled once for that.
    pub fn replace(&self, policy: Policy) {
        let _w = self.writer.lock();
        let current = self.snapshot();
        let next = if policy.lineage == current.lineage {
            policy
        } else {
            current.recompile(&policy.to_definition()).unwrap_or(policy)
        };
        self.swap(Arc::new(next));
    }

    fn update(
        &self,
        f: impl FnOnce(&Policy) -> Result<Policy, ChangeError>,
    ) -> Result<(), ChangeError> {
        // One writer at a time, so no change is lost; readers are not blocked while
        // the next snapshot is built.
        let _w = match self.writer.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let next = f(&self.snapshot())?;
        self.swap(Arc::new(next));
        Ok(())
    }

    fn swap(&self, next: Arc<Policy>) {
        let old = match self.current.write() {
            Ok(mut g) => std::mem::replace(&mut *g, next),
            Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), next),
        };
        // The old snapshot is dropped here, outside the lock.
        drop(old);
    }
}

/// `kind:id`, or `kind in ancestor:id` for a rule written in an ancestor.
pub(crate) fn on_instance(kind: &str, within: Option<&str>, id: &IdDef) -> String {
    match within {
        Some(a) => format!("{kind} in {a}:{id}"),
        None => format!("{kind}:{id}"),
    }
}

/// `kind`, or `kind in ancestor` for a restriction written in an ancestor.
pub(crate) fn on_kind(kind: &str, within: Option<&str>) -> String {
    match within {
        Some(a) => format!("{kind} in {a}"),
        None => kind.to_string(),
    }
}
