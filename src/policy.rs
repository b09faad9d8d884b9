//! The compiled policy and its check path.
//!
//! Nothing here looks at a [`PolicyDef`] or hashes a string once a check has ids:
//! definitions are turned into the tables below by `compile.rs`.

use std::collections::HashMap;

use smallvec::SmallVec;

use crate::def::{InstanceId, PolicyDef};
use crate::ids::{ActionId, ActionSet, Actions, KindId, Resource, RoleId, StateId, SubjectId};
use crate::table::{Affine, IntMap};

/// Masks per scope: `any`, `own`, `managed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct Scoped {
    pub(crate) any: u64,
    pub(crate) own: u64,
    pub(crate) managed: u64,
}

impl Scoped {
    pub(crate) fn union(self, o: Scoped) -> Scoped {
        Scoped {
            any: self.any | o.any,
            own: self.own | o.own,
            managed: self.managed | o.managed,
        }
    }

    pub(crate) fn minus(self, m: u64) -> Scoped {
        Scoped {
            any: self.any & !m,
            own: self.own & !m,
            managed: self.managed & !m,
        }
    }
}

/// A compiled kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Kind {
    pub(crate) name: String,
    pub(crate) actions: Vec<String>,
    pub(crate) action_index: HashMap<String, u8>,
    /// `down[i]`: action `i` and everything it needs, transitively.
    pub(crate) down: Vec<u64>,
    /// `up[i]`: action `i` and everything that needs it, transitively.
    pub(crate) up: Vec<u64>,
    /// Levels in order, each closed under implications.
    pub(crate) levels: Vec<(String, u64)>,
    pub(crate) states: Vec<String>,
    pub(crate) state_rules: Vec<StateRule>,
    pub(crate) prerequisites: Vec<Prerequisite>,
    pub(crate) available: bool,
}

impl Kind {
    /// `m` plus everything its actions need.
    pub(crate) fn close_down(&self, m: u64) -> u64 {
        close(&self.down, m)
    }

    /// `m` plus everything that needs its actions.
    pub(crate) fn close_up(&self, m: u64) -> u64 {
        close(&self.up, m)
    }

    pub(crate) fn level_index(&self, name: &str) -> Option<usize> {
        self.levels.iter().position(|(n, _)| n == name)
    }

    pub(crate) fn all(&self) -> u64 {
        match self.actions.len() {
            0 => 0,
            n if n >= 64 => !0,
            n => (1u64 << n) - 1,
        }
    }
}

fn close(table: &[u64], m: u64) -> u64 {
    let mut out = 0;
    let mut rest = m;
    while rest != 0 {
        let i = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        out |= table.get(i).copied().unwrap_or(0);
    }
    out
}

/// In `state`, `hold` (closed upwards) is removed unless the subject's role is in
/// `roles` or it has a toggle in `toggles`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StateRule {
    pub(crate) index: usize,
    pub(crate) state: u32,
    pub(crate) hold: u64,
    pub(crate) roles: Vec<u32>,
    pub(crate) toggles: Vec<u32>,
}

/// `action` of the declaring kind needs every action of `needs` on `kind`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prerequisite {
    pub(crate) index: usize,
    pub(crate) action: u8,
    pub(crate) kind: u32,
    pub(crate) needs: u64,
}

/// What an exception does to the set on one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExceptionOp {
    /// Replace the set with level `.0` (mask `.1`).
    Level(usize, u64),
    /// Add `allow` (closed down), then remove `deny` (closed up).
    AllowDeny { allow: u64, deny: u64 },
}

impl ExceptionOp {
    pub(crate) fn affine(self) -> Affine {
        match self {
            ExceptionOp::Level(_, m) => Affine { and: 0, or: m },
            ExceptionOp::AllowDeny { allow, deny } => Affine {
                and: !deny,
                or: allow & !deny,
            },
        }
    }
}

/// Where an exception or restriction was written, for explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The role (for role layers) that wrote it; for an inherited one, the base.
    pub(crate) role: Option<u32>,
    /// Its index in that role's or subject's list.
    pub(crate) index: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Restriction {
    pub(crate) kind: u32,
    /// The restricted actions, closed down (what a listed id gains).
    pub(crate) allow: u64,
    /// The restricted actions, closed up (what other instances lose).
    pub(crate) deny: u64,
    pub(crate) ids: Vec<InstanceId>,
    pub(crate) origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exception {
    pub(crate) kind: u32,
    pub(crate) id: InstanceId,
    pub(crate) op: ExceptionOp,
    pub(crate) origin: Origin,
}

/// The exceptions and restrictions of one role or subject, sorted by kind (and id).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Layer {
    pub(crate) restrictions: Vec<Restriction>,
    pub(crate) exceptions: Vec<Exception>,
}

impl Layer {
    pub(crate) fn is_empty(&self) -> bool {
        self.restrictions.is_empty() && self.exceptions.is_empty()
    }

    pub(crate) fn restriction(&self, kind: u32) -> Option<&Restriction> {
        self.restrictions.iter().find(|r| r.kind == kind)
    }

    pub(crate) fn exception(&self, kind: u32, id: InstanceId) -> Option<&Exception> {
        self.exceptions
            .iter()
            .find(|e| e.kind == kind && e.id == id)
    }

    /// The layer's effect on `kind` when the instance is not one it names.
    pub(crate) fn default_affine(&self, kind: u32) -> Affine {
        match self.restriction(kind) {
            Some(r) => Affine {
                and: !r.deny,
                or: 0,
            },
            None => Affine::IDENTITY,
        }
    }

    /// The layer's effect on instance `id` of `kind` (written out, not looked up in
    /// the compiled tables: used by compile and explain).
    pub(crate) fn affine(&self, kind: u32, id: Option<InstanceId>) -> Affine {
        let Some(id) = id else {
            return self.default_affine(kind);
        };
        let first = match self.restriction(kind) {
            Some(r) if r.ids.contains(&id) => Affine {
                and: !0,
                or: r.allow,
            },
            Some(r) => Affine {
                and: !r.deny,
                or: 0,
            },
            None => Affine::IDENTITY,
        };
        match self.exception(kind, id) {
            Some(e) => first.then(e.op.affine()),
            None => first,
        }
    }

    /// Every `(kind, id)` the layer names, each once.
    pub(crate) fn named_instances(&self) -> Vec<(u32, InstanceId)> {
        let mut out: Vec<(u32, InstanceId)> = self
            .restrictions
            .iter()
            .flat_map(|r| r.ids.iter().map(move |id| (r.kind, *id)))
            .chain(self.exceptions.iter().map(|e| (e.kind, e.id)))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Kinds with a restriction.
    pub(crate) fn restricted_kinds(&self) -> impl Iterator<Item = u32> + '_ {
        self.restrictions.iter().map(|r| r.kind)
    }
}

/// A compiled role: its grants per kind (base included, closed) and its layer
/// (inherited exceptions and restrictions included).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Role {
    pub(crate) name: String,
    pub(crate) base: Option<u32>,
    pub(crate) sets: Vec<Scoped>,
    pub(crate) layer: Layer,
}

/// A compiled toggle: grants on the kinds it names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Toggle {
    pub(crate) name: String,
    pub(crate) sets: Vec<(u32, Scoped)>,
}

/// A compiled subject, as the explain and admin paths need it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SubjectInfo {
    pub(crate) name: String,
    pub(crate) role: u32,
    /// Sorted, unique.
    pub(crate) toggles: SmallVec<[u32; 4]>,
    /// `(kind, level index)`, sorted by kind.
    pub(crate) levels: SmallVec<[(u32, u32); 4]>,
    pub(crate) layer: Layer,
    pub(crate) manages: Vec<u32>,
}

/// What subjects sharing a role, toggles and levels share.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ProfileKey {
    pub(crate) role: u32,
    pub(crate) toggles: SmallVec<[u32; 4]>,
    pub(crate) levels: SmallVec<[(u32, u32); 4]>,
}

/// The hot per-subject record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Subject {
    pub(crate) profile: u32,
    /// The subject has exceptions or restrictions of its own.
    pub(crate) has_layer: bool,
}

/// One profile's entry for one kind: everything a check needs that does not depend
/// on the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProfileKind {
    pub(crate) set: Scoped,
    /// The role layer's effect on instances it does not name.
    pub(crate) role_default: Affine,
    /// Index in `keeps` of the stateless keep mask; state `s` is at `+ 1 + s`.
    pub(crate) keep_at: u32,
    pub(crate) n_states: u32,
    pub(crate) role: u32,
    /// The role names instances of this kind (look them up).
    pub(crate) role_names_instances: bool,
}

/// A compiled policy: answers checks in constant time.
///
/// Build one with [`Policy::compile`] from a [`PolicyDef`] (a document read with
/// serde, or made with [`PolicyBuilder`](crate::PolicyBuilder)). It is immutable,
/// `Send + Sync`, and cheap to share behind an `Arc`.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) def: PolicyDef,
    pub(crate) kinds: Vec<Kind>,
    pub(crate) kind_index: HashMap<String, u32>,
    pub(crate) roles: Vec<Role>,
    pub(crate) role_index: HashMap<String, u32>,
    pub(crate) toggles: Vec<Toggle>,
    pub(crate) toggle_index: HashMap<String, u32>,
    pub(crate) infos: Vec<SubjectInfo>,
    pub(crate) subject_index: HashMap<String, u32>,
    pub(crate) profile_keys: Vec<ProfileKey>,
    pub(crate) profile_index: HashMap<ProfileKey, u32>,
    // INVARIANT (hot tables): `subjects[i].profile < profile_keys.len()`,
    // `profile_kinds.len() == profile_keys.len() * kinds.len()`, and every mask in
    // them is closed under its kind's implications (the check path relies on it to
    // skip closing).
    pub(crate) subjects: Vec<Subject>,
    pub(crate) profile_kinds: Vec<ProfileKind>,
    pub(crate) keeps: Vec<u64>,
    /// `(role, kind, id)` -> the role layer's effect on that instance.
    pub(crate) role_instances: IntMap<(u32, u32, InstanceId), Affine>,
    /// `(subject, kind)` -> the subject layer's effect on instances it does not name.
    pub(crate) subject_defaults: IntMap<(u32, u32), Affine>,
    /// `(subject, kind, id)` -> the subject layer's effect on that instance.
    pub(crate) subject_instances: IntMap<(u32, u32, InstanceId), Affine>,
    /// owner -> the subjects that manage it.
    pub(crate) managers: IntMap<u32, SmallVec<[u32; 2]>>,
}

impl Policy {
    /// The definition this policy was compiled from.
    pub fn definition(&self) -> &PolicyDef {
        &self.def
    }

    /// The subject named `name`.
    pub fn subject(&self, name: &str) -> Option<SubjectId> {
        self.subject_index.get(name).map(|&i| SubjectId(i))
    }

    /// The name of `subject` (empty for an id this policy did not make).
    pub fn subject_name(&self, subject: SubjectId) -> &str {
        self.infos
            .get(subject.index())
            .map_or("", |s| s.name.as_str())
    }

    /// Every subject, in document order.
    pub fn subjects(&self) -> impl ExactSizeIterator<Item = SubjectId> + '_ {
        (0..self.infos.len() as u32).map(SubjectId)
    }

    /// The kind named `name`.
    pub fn kind(&self, name: &str) -> Option<KindId> {
        self.kind_index.get(name).map(|&i| KindId(i))
    }

    /// The name of `kind` (empty for an id this policy did not make).
    pub fn kind_name(&self, kind: KindId) -> &str {
        self.kinds.get(kind.index()).map_or("", |k| k.name.as_str())
    }

    /// Every kind, in document order.
    pub fn kinds(&self) -> impl ExactSizeIterator<Item = KindId> + '_ {
        (0..self.kinds.len() as u32).map(KindId)
    }

    /// The role named `name`.
    pub fn role(&self, name: &str) -> Option<RoleId> {
        self.role_index.get(name).map(|&i| RoleId(i))
    }

    /// The name of `role` (empty for an id this policy did not make).
    pub fn role_name(&self, role: RoleId) -> &str {
        self.roles.get(role.index()).map_or("", |r| r.name.as_str())
    }

    /// Every role, in document order.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = RoleId> + '_ {
        (0..self.roles.len() as u32).map(RoleId)
    }

    /// The action `action` of kind `kind`.
    pub fn action(&self, kind: &str, action: &str) -> Option<ActionId> {
        let k = *self.kind_index.get(kind)?;
        let bit = *self.kinds.get(k as usize)?.action_index.get(action)?;
        Some(ActionId {
            kind: KindId(k),
            bit,
        })
    }

    /// The name of `action` (empty for an id this policy did not make).
    pub fn action_name(&self, action: ActionId) -> &str {
        self.kinds
            .get(action.kind.index())
            .and_then(|k| k.actions.get(action.index()))
            .map_or("", String::as_str)
    }

    /// Every action of `kind`, in declaration order.
    pub fn actions(&self, kind: KindId) -> impl ExactSizeIterator<Item = ActionId> + '_ {
        let n = self.kinds.get(kind.index()).map_or(0, |k| k.actions.len());
        (0..n as u8).map(move |bit| ActionId { kind, bit })
    }

    /// The state `name` of `kind`.
    pub fn state(&self, kind: KindId, name: &str) -> Option<StateId> {
        let k = self.kinds.get(kind.index())?;
        let i = k.states.iter().position(|s| s == name)?;
        Some(StateId {
            kind: kind.0,
            index: i as u32,
        })
    }

    /// The name of `state` (empty for an id this policy did not make).
    pub fn state_name(&self, state: StateId) -> &str {
        self.kinds
            .get(state.kind as usize)
            .and_then(|k| k.states.get(state.index as usize))
            .map_or("", String::as_str)
    }

    /// A resource of `kind` with no id, state or owner (see [`Resource`]).
    pub fn resource(&self, kind: KindId) -> Resource {
        Resource::new(kind)
    }

    /// Whether `subject` may do `action` on `resource`.
    ///
    /// `action` is an [`ActionId`] or `bitflags` flags declared in the kind's action
    /// order (all of the flags must be allowed). Ids from another policy, an action
    /// of another kind than the resource's, or a state of another kind: denied.
    /// Never panics, never allocates; constant time.
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"task": {"actions": ["view", "delete"]}},
    /// #   "roles": {"Admin": {"grants": {"task": ["*"]}}}, "subjects": {"root": {"role": "Admin"}}}"#)?;
    /// # let policy = Policy::compile(&def)?;
    /// let root = policy.subject("root").ok_or("no root")?;
    /// let delete = policy.action("task", "delete").ok_or("no action")?;
    /// assert!(policy.can(root, delete, &policy.resource(delete.kind()).with_id(1)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn can(&self, subject: SubjectId, action: impl Actions, resource: &Resource) -> bool {
        match action.mask_for(resource.kind) {
            Some(want) => self.allowed_bits(subject, resource) & want == want,
            None => false,
        }
    }

    /// Every action `subject` may do on `resource`.
    pub fn allowed(&self, subject: SubjectId, resource: &Resource) -> ActionSet<'_> {
        ActionSet {
            kind: resource.kind,
            bits: self.allowed_bits(subject, resource),
            names: self
                .kinds
                .get(resource.kind.index())
                .map_or(&[][..], |k| k.actions.as_slice()),
        }
    }

    /// Every subject allowed to do `action` on `resource`, in document order.
    /// Complete: it asks every subject.
    pub fn who_can(&self, action: ActionId, resource: &Resource) -> Vec<SubjectId> {
        self.subjects()
            .filter(|&s| self.can(s, action, resource))
            .collect()
    }

    /// The final set of the decision order, as a mask.
    #[inline]
    pub(crate) fn allowed_bits(&self, subject: SubjectId, r: &Resource) -> u64 {
        let s = subject.0;
        let Some(subj) = self.subjects.get(s as usize) else {
            return 0;
        };
        let n_kinds = self.kinds.len();
        let k = r.kind.0;
        if k as usize >= n_kinds {
            return 0;
        }
        let Some(pk) = self
            .profile_kinds
            .get(subj.profile as usize * n_kinds + k as usize)
        else {
            return 0;
        };
        // Step 1 for states: a state of another kind, or out of range, denies.
        let state_slot = match r.state {
            None => 0,
            Some(st) if st.kind == k && st.index < pk.n_states => st.index + 1,
            Some(_) => return 0,
        };
        // Step 4: scopes.
        let mut x = pk.set.any;
        if let Some(owner) = r.owner {
            if owner.0 == s {
                x |= pk.set.own;
            } else if pk.set.managed & !x != 0 && self.manages(s, owner.0) {
                x |= pk.set.managed;
            }
        }
        // Step 5: the role's layer, then the subject's.
        let role_layer = match r.id {
            Some(id) if pk.role_names_instances => self
                .role_instances
                .get(&(pk.role, k, id))
                .copied()
                .unwrap_or(pk.role_default),
            _ => pk.role_default,
        };
        x = role_layer.apply(x);
        if subj.has_layer {
            x = self.subject_layer(s, k, r.id).apply(x);
        }
        // Steps 2, 6, 7: availability, prerequisites and state rules, folded into one
        // keep mask per state.
        let keep = self
            .keeps
            .get(pk.keep_at as usize + state_slot as usize)
            .copied()
            .unwrap_or(0);
        x & keep
    }

    fn subject_layer(&self, s: u32, k: u32, id: Option<InstanceId>) -> Affine {
        if let Some(id) = id {
            if let Some(a) = self.subject_instances.get(&(s, k, id)) {
                return *a;
            }
        }
        self.subject_defaults
            .get(&(s, k))
            .copied()
            .unwrap_or(Affine::IDENTITY)
    }

    /// Whether `manager` manages `owner`.
    pub(crate) fn manages(&self, manager: u32, owner: u32) -> bool {
        self.managers
            .get(&owner)
            .is_some_and(|ms| ms.contains(&manager))
    }
}
