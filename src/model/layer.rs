//! Exceptions and restrictions: one role's or subject's layer, and what it does
//! to a set on an instance (an affine pair `x & and | or`).

use crate::def::InstanceId;
use crate::ids::{KindId, RoleId};
use crate::ids::{LevelId, Slot};
use crate::table::Affine;

/// What an exception does to the set on one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExceptionOp {
    /// Replace the set with level `.0` (mask `.1`).
    Level(LevelId, u64),
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
    pub(crate) role: Option<RoleId>,
    /// Its index in that role's or subject's list.
    pub(crate) index: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Restriction {
    pub(crate) kind: KindId,
    /// 0, or the depth of the ancestor kind it is written `in`.
    pub(crate) depth: u8,
    /// The restricted actions as written.
    pub(crate) actions: u64,
    /// The restricted actions, closed down (what a listed id gains).
    pub(crate) allow: u64,
    /// The restricted actions, closed up (what other instances lose).
    pub(crate) deny: u64,
    pub(crate) ids: Vec<InstanceId>,
    pub(crate) origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exception {
    pub(crate) kind: KindId,
    /// 0, or the depth of the ancestor kind it is written `in` (then `id` is the
    /// ancestor's).
    pub(crate) depth: u8,
    pub(crate) id: InstanceId,
    pub(crate) op: ExceptionOp,
    pub(crate) origin: Origin,
}

impl Restriction {
    pub(crate) fn slot(&self) -> Slot {
        Slot::new(self.kind, self.depth)
    }
}

impl Exception {
    pub(crate) fn slot(&self) -> Slot {
        Slot::new(self.kind, self.depth)
    }
}

/// The exceptions and restrictions of one role or subject, sorted by [`Slot`] (and
/// id). Every lookup below takes a slot: for rules on the instance itself, the
/// kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Layer {
    pub(crate) restrictions: Vec<Restriction>,
    pub(crate) exceptions: Vec<Exception>,
}

impl Layer {
    pub(crate) fn is_empty(&self) -> bool {
        self.restrictions.is_empty() && self.exceptions.is_empty()
    }

    pub(crate) fn restriction(&self, slot: Slot) -> Option<&Restriction> {
        self.restrictions
            .binary_search_by(|r| r.slot().cmp(&slot))
            .ok()
            .and_then(|i| self.restrictions.get(i))
    }

    // INVARIANT (sorted layers): `exceptions` are sorted by `(slot, id)` and unique
    // on it, `restrictions` by slot and unique on it, and every restriction's `ids`
    // sorted and unique (compile's `layer` and `restriction` make them so). The
    // lookups below bisect, so compiling a layer is never quadratic.
    pub(crate) fn exception(&self, slot: Slot, id: InstanceId) -> Option<&Exception> {
        self.exceptions
            .binary_search_by(|e| (e.slot(), e.id).cmp(&(slot, id)))
            .ok()
            .and_then(|i| self.exceptions.get(i))
    }

    /// Whether the layer names an instance at `slot` (an exception, or an id of
    /// its restriction).
    pub(crate) fn names_kind(&self, slot: Slot) -> bool {
        self.restriction(slot).is_some_and(|x| !x.ids.is_empty())
            || self
                .exceptions
                .get(self.exceptions.partition_point(|e| e.slot() < slot))
                .is_some_and(|e| e.slot() == slot)
    }

    /// Whether the layer has a rule written in an ancestor of `kind`.
    pub(crate) fn rules_in_ancestors(&self, kind: KindId) -> bool {
        self.restrictions
            .iter()
            .any(|r| r.kind == kind && r.depth > 0)
            || self
                .exceptions
                .iter()
                .any(|e| e.kind == kind && e.depth > 0)
    }

    /// The slots at depth 1 or more with a rule, each once, in order.
    pub(crate) fn deep_slots(&self) -> Vec<Slot> {
        let mut out: Vec<Slot> = self
            .restrictions
            .iter()
            .map(Restriction::slot)
            .chain(self.exceptions.iter().map(Exception::slot))
            .filter(|&s| s.depth() > 0)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The layer's effect at `slot` when the instance is not one it names.
    pub(crate) fn default_affine(&self, slot: Slot) -> Affine {
        match self.restriction(slot) {
            Some(r) => Affine {
                and: !r.deny,
                or: 0,
            },
            None => Affine::IDENTITY,
        }
    }

    /// The layer's effect at `slot` on instance `id` (written out, not looked up
    /// in the compiled tables: used by compile and explain).
    pub(crate) fn affine(&self, slot: Slot, id: Option<InstanceId>) -> Affine {
        let Some(id) = id else {
            return self.default_affine(slot);
        };
        let first = match self.restriction(slot) {
            Some(r) if r.ids.binary_search(&id).is_ok() => Affine {
                and: !0,
                or: r.allow,
            },
            Some(r) => Affine {
                and: !r.deny,
                or: 0,
            },
            None => Affine::IDENTITY,
        };
        match self.exception(slot, id) {
            Some(e) => first.then(e.op.affine()),
            None => first,
        }
    }

    /// Every `(slot, id)` the layer names with its effect there
    /// ([`Layer::affine`]), sorted: one merge over the sorted lists, no lookups.
    pub(crate) fn instance_affines(&self) -> Vec<((Slot, InstanceId), Affine)> {
        let named = self.named_instances();
        let mut out = Vec::with_capacity(named.len());
        let mut exceptions = self.exceptions.iter().peekable();
        // The restriction of the current kind, and a cursor into its ids.
        let mut current: Option<(Slot, Option<&Restriction>, usize)> = None;
        for (k, id) in named {
            let (_, restriction, at) = match current {
                Some(c) if c.0 == k => current.get_or_insert(c),
                _ => current.insert((k, self.restriction(k), 0)),
            };
            let first = match restriction {
                Some(r) => {
                    // Named ids come in order: the cursor only moves forward,
                    // so the whole walk is linear.
                    while r.ids.get(*at).is_some_and(|x| *x < id) {
                        *at += 1;
                    }
                    if r.ids.get(*at) == Some(&id) {
                        Affine {
                            and: !0,
                            or: r.allow,
                        }
                    } else {
                        Affine {
                            and: !r.deny,
                            or: 0,
                        }
                    }
                }
                None => Affine::IDENTITY,
            };
            while exceptions.next_if(|e| (e.slot(), e.id) < (k, id)).is_some() {}
            let a = match exceptions.peek() {
                Some(e) if (e.slot(), e.id) == (k, id) => first.then(e.op.affine()),
                _ => first,
            };
            out.push(((k, id), a));
        }
        out
    }

    /// Every `(slot, id)` the layer names, each once.
    pub(crate) fn named_instances(&self) -> Vec<(Slot, InstanceId)> {
        let mut out: Vec<(Slot, InstanceId)> = self
            .restrictions
            .iter()
            .flat_map(|r| r.ids.iter().map(move |id| (r.slot(), *id)))
            .chain(self.exceptions.iter().map(|e| (e.slot(), e.id)))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Slots with a restriction.
    pub(crate) fn restricted_kinds(&self) -> impl Iterator<Item = Slot> + '_ {
        self.restrictions.iter().map(Restriction::slot)
    }
}

/// Per kind with rules written in its ancestors, the layer's effect on a resource
/// that gives no ancestor.
pub(crate) fn deep_defaults(layer: &Layer) -> Box<[(KindId, Affine)]> {
    let mut out: Vec<(KindId, Affine)> = Vec::new();
    let mut slots = layer.deep_slots();
    // Outermost first within a kind.
    slots.sort_unstable_by_key(|&s| (s.kind(), std::cmp::Reverse(s.depth())));
    for s in slots {
        let a = layer.default_affine(s);
        match out.last_mut() {
            Some((k, acc)) if *k == s.kind() => *acc = acc.then(a),
            _ => out.push((s.kind(), a)),
        }
    }
    out.into()
}
