//! The layer maps a check reads, per ancestor depth, for one subject and kind.

use crate::def::InstanceId;
use crate::engine::{Policy, ProfileKind, Subject, SubjectExtra};
use crate::ids::{KindId, MAX_ANCESTORS};
use crate::model::Slot;
use crate::table::Affine;

/// One kind's layer maps as a check of one subject reads them (see
/// `Policy::contained`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Maps<'p> {
    pub(super) policy: &'p Policy,
    pub(super) kind: KindId,
    pub(super) pk: &'p ProfileKind,
    /// The subject's own layer, when a check reads it.
    pub(super) extra: Option<&'p SubjectExtra>,
    /// Per depth `d` (index `d`), the role layer's rules written in the ancestor
    /// there, on an ancestor it does not name: `None` where it writes none (or
    /// the role writes no rule in ancestors). Read once, not once per id.
    pub(super) role_defaults: [Option<Affine>; MAX_ANCESTORS + 1],
    pub(super) subject_deep: bool,
}

impl<'p> Maps<'p> {
    pub(super) fn new(
        policy: &'p Policy,
        subj: &'p Subject,
        pk: &'p ProfileKind,
        kind: KindId,
    ) -> Maps<'p> {
        let mut role_defaults = [None; MAX_ANCESTORS + 1];
        if pk.flags & ProfileKind::DEEP != 0 {
            for (e, d) in role_defaults.iter_mut().enumerate().skip(1) {
                *d = policy.role_in_ancestors(pk, kind, e as u8);
            }
        }
        Maps {
            policy,
            kind,
            pk,
            extra: subj.own_layer(),
            role_defaults,
            subject_deep: subj.deep_on(kind),
        }
    }

    /// The role layer's and the subject's own layer's maps at `level` (0: the
    /// instance itself, 1: its parent, ...) on the instance `id` there (none: no
    /// id, or the ancestor not given).
    pub(super) fn at(&self, level: usize, id: Option<InstanceId>) -> (Affine, Affine) {
        if level == 0 {
            (self.role_own(id), self.subject_own(id))
        } else {
            (self.role_at(level, id), self.subject_at(level, id))
        }
    }

    /// The tails of the chain (`depth` ancestor kinds): at index `d`, the role
    /// layer's maps for depths `d + 1` and up, none of them given, outermost
    /// first; then the subject's own layer's likewise.
    pub(super) fn tails(&self, depth: usize) -> (Vec<Affine>, Vec<Affine>) {
        let (mut role, mut own) = (Affine::IDENTITY, Affine::IDENTITY);
        let mut role_tail = vec![role];
        let mut subject_tail = vec![own];
        for d in (1..=depth).rev() {
            let (r, o) = self.at(d, None);
            role = role.then(r);
            own = own.then(o);
            role_tail.push(role);
            subject_tail.push(own);
        }
        role_tail.reverse();
        subject_tail.reverse();
        (role_tail, subject_tail)
    }

    /// The role layer's rules written in the ancestor at depth `e`.
    fn role_at(&self, e: usize, id: Option<InstanceId>) -> Affine {
        match self.role_defaults.get(e).copied().flatten() {
            Some(default) => self
                .policy
                .role_in_ancestor(self.pk, self.kind, e as u8, id, default),
            None => Affine::IDENTITY,
        }
    }

    /// The subject's own rules written in the ancestor at depth `e`.
    fn subject_at(&self, e: usize, id: Option<InstanceId>) -> Affine {
        match self.extra {
            Some(x) if self.subject_deep => x.at(Slot::new(self.kind, e as u8), id),
            _ => Affine::IDENTITY,
        }
    }

    /// The role layer on the instance itself (as `Compiled::layers`).
    fn role_own(&self, id: Option<InstanceId>) -> Affine {
        self.policy.role_layer_map(self.pk, self.kind, id)
    }

    /// The subject's own rules on the instance itself.
    fn subject_own(&self, id: Option<InstanceId>) -> Affine {
        self.extra
            .map_or(Affine::IDENTITY, |x| x.at(Slot::of(self.kind), id))
    }
}

/// `a` on `bits` only, the identity elsewhere, in its one form (`and` holds
/// `or`): two maps that do the same on `bits` become equal.
pub(super) fn on_bits(a: Affine, bits: u64) -> Affine {
    Affine {
        and: a.and | a.or | !bits,
        or: a.or & bits,
    }
}
