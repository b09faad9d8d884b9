//! The compiled policy: its tables, its names, and the check path (`check`).
//!
//! Nothing here looks at a [`PolicyDef`](crate::PolicyDef) or hashes a string
//! once a check has ids: definitions are turned into these tables by `compile`.

mod check;
mod layers;
mod names;
mod profiles;
mod subjects;

use std::sync::Arc;

use crate::def::InstanceId;
use crate::ids::{ActionId, Instance, KindId, RoleId, StateId, SubjectId};
use crate::model::{Schema, StateIx};
use crate::pvec::PVec;

pub(crate) use names::{NameIndex, Texts};
pub(crate) use profiles::{ProfileKey, ProfileKind, Profiles};
pub(crate) use subjects::{
    OwnLayer, Subject, SubjectExtra, SubjectInfo, SubjectRef, NO_LAYER, REMOVED,
};

/// A compiled policy: answers checks in constant time.
///
/// Build one with [`Policy::compile`] from a [`PolicyDef`](crate::PolicyDef) (a document read with
/// serde, or made with [`PolicyBuilder`](crate::PolicyBuilder)). It is an immutable
/// snapshot, `Send + Sync`; cloning it is cheap (its parts are shared), and a
/// change ([`Policy::apply`](crate::Policy::apply)) makes a new snapshot that
/// shares everything but the changed subject's few hundred neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) schema: Arc<Schema>,
    /// Profiles `0..profiles.count`.
    pub(crate) profiles: Arc<Profiles>,
    /// Profiles made by changes since `profiles` was last extended, numbered from
    /// `profiles.count`: adding one copies this short table, not the long one.
    /// Folded into `profiles` when it grows past an eighth of it.
    pub(crate) recent: Arc<Profiles>,
    // INVARIANT (subjects): `subjects` and `names` have the same length; a removed
    // subject has profile `REMOVED` and no name; every other profile is in range.
    pub(crate) subjects: PVec<Subject>,
    pub(crate) names: PVec<Option<Arc<str>>>,
    pub(crate) index: NameIndex,
    /// Set by a fresh compile ([`crate::ids::lineage`]) and kept by every snapshot
    /// derived from it; with each name, it makes the subject's tag.
    pub(crate) lineage: u64,
    /// String instance ids named by rules.
    pub(crate) texts: Texts,
}

impl Policy {
    /// Instance `id` of `kind`, a kind with string ids (`"ids": "string"`): the
    /// string resolved once to the policy's number for it, so checks compare
    /// numbers. A string no rule names resolves to "unnamed", which answers like
    /// any instance no rule names. For a kind with number ids, the instance is
    /// denied on every check (use [`KindId::instance`] there).
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"repo": {"actions": ["push"], "ids": "string"}},
    /// #   "roles": {"Dev": {"grants": {"repo": ["push"]},
    /// #     "exceptions": [{"kind": "repo", "id": "acme/web", "deny": ["push"]}]}},
    /// #   "subjects": {"dan": {"role": "Dev"}}}"#)?;
    /// # let policy = Policy::compile(&def)?;
    /// let dan = policy.subject("dan").ok_or("no dan")?;
    /// let repo = policy.kind("repo").ok_or("no kind")?;
    /// let push = policy.action("repo", "push").ok_or("no action")?;
    /// let web = policy.resource(repo).with_instance(policy.instance(repo, "acme/web"));
    /// let other = policy.resource(repo).with_instance(policy.instance(repo, "acme/Web"));
    /// assert!(!policy.can(dan, push, &web));
    /// assert!(policy.can(dan, push, &other)); // exact match only
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn instance(&self, kind: KindId, id: &str) -> Instance {
        let id = self.texts.get(id).unwrap_or(self.texts.unnamed());
        Instance {
            id,
            kind,
            stamp: self.texts.stamp_of(id),
        }
    }

    /// Whether a string id's number is good in this snapshot (see
    /// "text stamps" on [`Texts`]).
    pub(crate) fn text_ok(&self, id: InstanceId, stamp: u32) -> bool {
        self.texts.holds(id, stamp)
    }

    /// The subject named `name`.
    pub fn subject(&self, name: &str) -> Option<SubjectId> {
        self.index.get(name).and_then(|s| self.id_at(s))
    }

    /// The id to hand out for subject `s` (none if removed).
    pub(crate) fn id_at(&self, s: u32) -> Option<SubjectId> {
        let record = self.subjects.get(s as usize)?;
        (record.profile != REMOVED).then_some(SubjectId {
            index: s,
            tag: record.flags & Subject::TAG,
        })
    }

    /// The position of `id` if it is a live subject of this policy's lineage.
    pub(crate) fn resolve(&self, id: SubjectId) -> Option<u32> {
        let record = self.subjects.get(id.index as usize)?;
        (record.profile != REMOVED && record.answers(id)).then_some(id.index)
    }

    /// Why `id` is not a subject of this policy, in words (none if it is one).
    pub(crate) fn foreign(&self, id: SubjectId) -> Option<&'static str> {
        match self.subjects.get(id.index as usize) {
            _ if self.resolve(id).is_some() => None,
            Some(r) if r.profile == REMOVED => Some("the subject of this id was removed"),
            _ => Some("the id is not from this policy or one derived from it"),
        }
    }

    /// The subject's tag in a policy of this lineage.
    pub(crate) fn tag_for(&self, name: &str) -> u32 {
        crate::ids::slot_tag(self.lineage, name)
    }

    pub(crate) fn info(&self, subject: u32) -> Option<SubjectRef<'_>> {
        let name = self.names.get(subject as usize)?.as_deref()?;
        let record = self.subjects.get(subject as usize)?;
        Some(SubjectRef {
            name,
            key: self.profile_key(record.profile)?,
            extra: record.extra.as_deref(),
        })
    }

    /// The name of `subject` (empty for an id this policy did not make or a
    /// removed subject).
    pub fn subject_name(&self, subject: SubjectId) -> &str {
        let Some(s) = self.resolve(subject) else {
            return "";
        };
        self.names
            .get(s as usize)
            .and_then(|n| n.as_deref())
            .unwrap_or("")
    }

    /// Every subject, in the order they were added (document order first).
    pub fn subjects(&self) -> impl Iterator<Item = SubjectId> + '_ {
        self.subjects
            .iter()
            .enumerate()
            .filter(|(_, r)| r.profile != REMOVED)
            .map(|(s, r)| SubjectId {
                index: s as u32,
                tag: r.flags & Subject::TAG,
            })
    }

    /// How many subjects the policy has.
    pub fn subject_count(&self) -> usize {
        self.names.iter().filter(|n| n.is_some()).count()
    }

    /// The kind named `name`.
    pub fn kind(&self, name: &str) -> Option<KindId> {
        self.schema.kind_index.get(name).copied()
    }

    /// The name of `kind` (empty for an id this policy did not make).
    pub fn kind_name(&self, kind: KindId) -> &str {
        self.schema
            .kinds
            .get(kind.index())
            .map_or("", |k| k.name.as_str())
    }

    /// Every kind, in document order.
    pub fn kinds(&self) -> impl ExactSizeIterator<Item = KindId> + '_ {
        KindId::range(self.schema.kinds.len())
    }

    /// The role named `name`.
    pub fn role(&self, name: &str) -> Option<RoleId> {
        self.schema.role_index.get(name).copied()
    }

    /// The name of `role` (empty for an id this policy did not make).
    pub fn role_name(&self, role: RoleId) -> &str {
        self.schema
            .roles
            .get(role.index())
            .map_or("", |r| r.name.as_str())
    }

    /// Every role, in document order.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = RoleId> + '_ {
        RoleId::range(self.schema.roles.len())
    }

    /// The action `action` of kind `kind`.
    pub fn action(&self, kind: &str, action: &str) -> Option<ActionId> {
        let k = *self.schema.kind_index.get(kind)?;
        let bit = *self.schema.kinds.get(k.index())?.action_index.get(action)?;
        Some(ActionId { kind: k, bit })
    }

    /// The name of `action` (empty for an id this policy did not make).
    pub fn action_name(&self, action: ActionId) -> &str {
        self.schema
            .kinds
            .get(action.kind.index())
            .and_then(|k| k.actions.get(action.index()))
            .map_or("", String::as_str)
    }

    /// Every action of `kind`, in declaration order.
    pub fn actions(&self, kind: KindId) -> impl ExactSizeIterator<Item = ActionId> + '_ {
        let n = self
            .schema
            .kinds
            .get(kind.index())
            .map_or(0, |k| k.actions.len());
        (0..n as u8).map(move |bit| ActionId { kind, bit })
    }

    /// The state `name` of `kind`.
    pub fn state(&self, kind: KindId, name: &str) -> Option<StateId> {
        let k = self.schema.kinds.get(kind.index())?;
        let index = *k.state_index.get(name)?;
        Some(StateId { kind, index })
    }

    /// Every state of `kind`, in declaration order.
    pub fn states(&self, kind: KindId) -> impl ExactSizeIterator<Item = StateId> + '_ {
        let n = self
            .schema
            .kinds
            .get(kind.index())
            .map_or(0, |k| k.states.len());
        StateIx::range(n).map(move |index| StateId { kind, index })
    }

    /// The name of `state` (empty for an id this policy did not make).
    pub fn state_name(&self, state: StateId) -> &str {
        self.schema
            .kinds
            .get(state.kind.index())
            .and_then(|k| k.state_name(state.index))
            .unwrap_or("")
    }
}

#[cfg(test)]
mod layout {
    //! The sizes the crate docs claim ("How it works").
    use super::*;
    use crate::ids::Resource;
    use crate::table::Affine;

    #[test]
    fn a_profile_entry_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<ProfileKind>(), 64);
        assert_eq!(std::mem::align_of::<ProfileKind>(), 64);
    }

    #[test]
    fn a_subject_record_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Subject>(), 16);
    }

    #[test]
    fn an_exception_pair_is_16_bytes_and_an_instance_too() {
        assert_eq!(std::mem::size_of::<Affine>(), 16);
        assert_eq!(std::mem::size_of::<Instance>(), 16);
    }

    #[test]
    fn a_resource_fits_three_cache_lines() {
        // Kind, id, state, owner (three ways), flags type, and four ancestors
        // inline: no allocation to build one.
        assert!(
            std::mem::size_of::<Resource>() <= 192,
            "{}",
            std::mem::size_of::<Resource>()
        );
    }
}
