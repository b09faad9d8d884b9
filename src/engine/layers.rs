//! Step 5 of the decision order, one piece at a time, as the check path and the
//! lists both read it: the role layer's rules on the instance itself, the role
//! layer's rules written in an ancestor, and the subject's own layer. The check
//! ([`Policy::after_scope`], [`Policy::contained`]) applies each to one set;
//! lists (`crate::list`) take each as a map ([`Affine`]) to apply to several
//! sets at once, or to compose down a chain of ancestors. Either way the tables
//! are read here, once.

use crate::def::InstanceId;
use crate::engine::{Policy, ProfileKind, Subject, SubjectExtra};
use crate::ids::KindId;
use crate::model::{role_tag, Slot};
use crate::table::Affine;

impl Policy {
    /// The role layer on instance `id` of kind `k` (none: no id): `x` through the
    /// role's exception or restriction there, or its default for the kind. The
    /// per-instance table is consulted only when the role names instances of
    /// the kind ([`ProfileKind::NAMES`]).
    #[inline(always)]
    pub(crate) fn role_layer(
        &self,
        pk: &ProfileKind,
        k: KindId,
        id: Option<InstanceId>,
        x: u64,
    ) -> u64 {
        match id {
            Some(id) if pk.flags & ProfileKind::NAMES != 0 => self.role_instance(pk, k, id, x),
            _ => pk.role_default.apply(x),
        }
    }

    /// [`Policy::role_layer`] as a map: its values on all-ones and all-zeros
    /// (the layer maps `x` to `x & and | or`).
    pub(crate) fn role_layer_map(
        &self,
        pk: &ProfileKind,
        k: KindId,
        id: Option<InstanceId>,
    ) -> Affine {
        Affine {
            and: self.role_layer(pk, k, id, !0),
            or: self.role_layer(pk, k, id, 0),
        }
    }

    /// The role layer's rules written in the ancestor at depth `depth` (1: the
    /// parent) of a resource of kind `k`, on an ancestor they do not name: `None`
    /// where the role writes no rule at that depth (then it changes nothing).
    #[inline(always)]
    pub(crate) fn role_in_ancestors(
        &self,
        pk: &ProfileKind,
        k: KindId,
        depth: u8,
    ) -> Option<Affine> {
        self.schema
            .role_deep
            .get(role_tag(pk.role, Slot::new(k, depth)), 0)
    }

    /// The role layer's rules written in the ancestor at depth `depth` whose id is
    /// `id` (none: not given), where `default` is
    /// [`Policy::role_in_ancestors`] at that depth.
    #[inline(always)]
    pub(crate) fn role_in_ancestor(
        &self,
        pk: &ProfileKind,
        k: KindId,
        depth: u8,
        id: Option<InstanceId>,
        default: Affine,
    ) -> Affine {
        match id {
            Some(id) => self
                .schema
                .role_instances
                .get(role_tag(pk.role, Slot::new(k, depth)), id)
                .unwrap_or(default),
            None => default,
        }
    }
}

impl Subject {
    /// The subject's own layer, as a check reads it: only when
    /// [`Subject::LAYER`] says it has one.
    #[inline(always)]
    pub(crate) fn own_layer(&self) -> Option<&SubjectExtra> {
        self.extra
            .as_deref()
            .filter(|_| self.flags & Subject::LAYER != 0)
    }

    /// Whether the subject's own layer has rules on kind `k` written in an
    /// ancestor.
    pub(crate) fn deep_on(&self, k: KindId) -> bool {
        self.own_layer().is_some_and(|e| e.deep_on(k))
    }
}

impl SubjectExtra {
    /// Whether this own layer has rules on kind `k` written in an ancestor.
    #[inline(always)]
    pub(crate) fn deep_on(&self, k: KindId) -> bool {
        self.deep.iter().any(|(dk, _)| *dk == k)
    }
}
