//! The compiled policy and its check path.
//!
//! Nothing here looks at a [`PolicyDef`] or hashes a string once a check has ids:
//! definitions are turned into the tables below by `compile.rs`.

use std::collections::HashMap;

use smallvec::SmallVec;

use std::sync::Arc;

use crate::def::{
    AdminRuleDef, ChangeKind, ExceptionDef, IdDef, InstanceId, KindDef, RestrictionDef, RoleDef,
    ToggleDef,
};
use crate::ids::{
    ActionId, ActionSet, Actions, Instance, KindId, Resource, ResourceKind, RoleId, StateId,
    SubjectId, MAX_ANCESTORS,
};
use crate::pvec::PVec;
use crate::table::{Affine, IdTable};

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
    pub(crate) def: KindDef,
    pub(crate) actions: Vec<String>,
    pub(crate) action_index: HashMap<String, u8>,
    /// `down[i]`: action `i` and everything it needs, transitively.
    pub(crate) down: Vec<u64>,
    /// `up[i]`: action `i` and everything that needs it, transitively.
    pub(crate) up: Vec<u64>,
    /// Levels in order, each closed under implications.
    pub(crate) levels: Vec<(String, u64)>,
    pub(crate) states: Vec<String>,
    pub(crate) state_index: HashMap<String, u32>,
    /// Per state, its keep-mask slot: 0 (the stateless mask) for a state no rule
    /// names, else `1 + i` for the `i`th state some rule names. So a profile stores
    /// one mask per ruled state, not one per state.
    pub(crate) state_class: Vec<u32>,
    /// How many states some rule names.
    pub(crate) n_classes: u32,
    pub(crate) state_rules: Vec<StateRule>,
    pub(crate) prerequisites: Vec<Prerequisite>,
    /// Prerequisites decided on an ancestor instance (`on_ancestor`).
    pub(crate) ancestor_prerequisites: Vec<AncestorPrerequisite>,
    pub(crate) available: bool,
    /// The ancestor kinds, parent first (empty for a kind with no parent).
    pub(crate) chain: SmallVec<[u32; MAX_ANCESTORS]>,
    /// Instances have string ids (resolved to numbers by [`Texts`]).
    pub(crate) text_ids: bool,
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

/// The union of `table[i]` for every bit `i` of `m` (each entry holds its own bit,
/// so this is `m` closed one step).
pub(crate) fn close(table: &[u64], m: u64) -> u64 {
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

/// A prerequisite decided in full on the ancestor instance at `depth` (1: the
/// parent) of kind `kind`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AncestorPrerequisite {
    pub(crate) index: usize,
    pub(crate) action: u8,
    pub(crate) depth: u8,
    pub(crate) kind: u32,
    pub(crate) needs: u64,
}

/// Where a rule of a layer sits: the kind it rules on, and the depth of the
/// instance it names (0: the instance itself; 1: its parent; ...). Depth 0 keeps
/// the kind's own number, so rules on the instance itself are keyed as before.
pub(crate) fn slot(kind: u32, depth: u8) -> u32 {
    kind | u32::from(depth) << SLOT_SHIFT
}

/// The kind of a [`slot`].
pub(crate) fn slot_kind(slot: u32) -> u32 {
    slot & ((1 << SLOT_SHIFT) - 1)
}

/// The depth of a [`slot`].
pub(crate) fn slot_depth(slot: u32) -> u8 {
    (slot >> SLOT_SHIFT) as u8
}

const SLOT_SHIFT: u32 = 24;

/// Kinds are numbered below this, so a kind and a depth fit one [`slot`].
pub(crate) const MAX_KINDS: usize = 1 << SLOT_SHIFT;

/// A list kept in shared chunks of at most [`Chunked::CHUNK`] items: copying it
/// copies pointers, and removing or appending one item copies one chunk.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Arc<[T]>>,
    len: usize,
}

impl<T: Clone> Chunked<T> {
    const CHUNK: usize = 256;

    pub(crate) fn from_vec(items: Vec<T>) -> Self {
        let len = items.len();
        let mut chunks = Vec::with_capacity(len.div_ceil(Self::CHUNK));
        let mut it = items.into_iter();
        loop {
            let chunk: Vec<T> = it.by_ref().take(Self::CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            chunks.push(Arc::from(chunk));
        }
        Chunked { chunks, len }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The chunk holding item `i`, and `i`'s place in it.
    fn locate(&self, mut i: usize) -> Option<(usize, usize)> {
        for (c, chunk) in self.chunks.iter().enumerate() {
            if i < chunk.len() {
                return Some((c, i));
            }
            i -= chunk.len();
        }
        None
    }

    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        let (c, j) = self.locate(i)?;
        self.chunks.get(c)?.get(j)
    }

    /// The list without item `i`.
    pub(crate) fn without(&self, i: usize) -> Self {
        let mut out = self.clone();
        if let Some((c, j)) = self.locate(i) {
            if let Some(chunk) = out.chunks.get_mut(c) {
                let rest: Vec<T> = chunk
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != j)
                    .map(|(_, x)| x.clone())
                    .collect();
                *chunk = Arc::from(rest);
            }
            out.chunks.retain(|c| !c.is_empty());
            out.len -= 1;
        }
        out
    }

    /// Appends `item`.
    pub(crate) fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < Self::CHUNK => {
                let mut v = last.to_vec();
                v.push(item);
                *last = Arc::from(v);
            }
            _ => self.chunks.push(Arc::from(vec![item])),
        }
        self.len += 1;
    }
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
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
    pub(crate) kind: u32,
    /// 0, or the depth of the ancestor kind it is written `in` (then `id` is the
    /// ancestor's).
    pub(crate) depth: u8,
    pub(crate) id: InstanceId,
    pub(crate) op: ExceptionOp,
    pub(crate) origin: Origin,
}

impl Restriction {
    pub(crate) fn slot(&self) -> u32 {
        slot(self.kind, self.depth)
    }
}

impl Exception {
    pub(crate) fn slot(&self) -> u32 {
        slot(self.kind, self.depth)
    }
}

/// The exceptions and restrictions of one role or subject, sorted by [`slot`] (and
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

    pub(crate) fn restriction(&self, slot: u32) -> Option<&Restriction> {
        self.restrictions
            .binary_search_by(|r| r.slot().cmp(&slot))
            .ok()
            .and_then(|i| self.restrictions.get(i))
    }

    // INVARIANT (sorted layers): `exceptions` are sorted by `(slot, id)` and unique
    // on it, `restrictions` by slot and unique on it, and every restriction's `ids`
    // sorted and unique (compile's `layer` and `restriction` make them so). The
    // lookups below bisect, so compiling a layer is never quadratic.
    pub(crate) fn exception(&self, slot: u32, id: InstanceId) -> Option<&Exception> {
        self.exceptions
            .binary_search_by(|e| (e.slot(), e.id).cmp(&(slot, id)))
            .ok()
            .and_then(|i| self.exceptions.get(i))
    }

    /// Whether the layer names an instance at `slot` (an exception, or an id of
    /// its restriction).
    pub(crate) fn names_kind(&self, slot: u32) -> bool {
        self.restriction(slot).is_some_and(|x| !x.ids.is_empty())
            || self
                .exceptions
                .get(self.exceptions.partition_point(|e| e.slot() < slot))
                .is_some_and(|e| e.slot() == slot)
    }

    /// Whether the layer has a rule written in an ancestor of `kind`.
    pub(crate) fn rules_in_ancestors(&self, kind: u32) -> bool {
        self.restrictions
            .iter()
            .any(|r| r.kind == kind && r.depth > 0)
            || self
                .exceptions
                .iter()
                .any(|e| e.kind == kind && e.depth > 0)
    }

    /// The slots at depth 1 or more with a rule, each once, in order.
    pub(crate) fn deep_slots(&self) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .restrictions
            .iter()
            .map(Restriction::slot)
            .chain(self.exceptions.iter().map(Exception::slot))
            .filter(|&s| slot_depth(s) > 0)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The layer's effect at `slot` when the instance is not one it names.
    pub(crate) fn default_affine(&self, slot: u32) -> Affine {
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
    pub(crate) fn affine(&self, slot: u32, id: Option<InstanceId>) -> Affine {
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
    pub(crate) fn instance_affines(&self) -> Vec<((u32, InstanceId), Affine)> {
        let named = self.named_instances();
        let mut out = Vec::with_capacity(named.len());
        let mut exceptions = self.exceptions.iter().peekable();
        // The restriction of the current kind, and a cursor into its ids.
        let mut current: Option<(u32, Option<&Restriction>, usize)> = None;
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
    pub(crate) fn named_instances(&self) -> Vec<(u32, InstanceId)> {
        let mut out: Vec<(u32, InstanceId)> = self
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
    pub(crate) fn restricted_kinds(&self) -> impl Iterator<Item = u32> + '_ {
        self.restrictions.iter().map(Restriction::slot)
    }
}

/// A compiled role: its grants per kind (base included, closed) and its layer
/// (inherited exceptions and restrictions included).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Role {
    pub(crate) name: String,
    pub(crate) def: RoleDef,
    pub(crate) base: Option<u32>,
    pub(crate) sets: Vec<Scoped>,
    /// Shared with the base role when the role writes no exception or
    /// restriction of its own, so a long base chain holds its root's layer once.
    pub(crate) layer: Arc<Layer>,
    /// The role whose layer this is (itself, or the nearest base that writes one):
    /// the key of its instances in [`Schema::role_instances`].
    pub(crate) layer_of: u32,
}

/// A compiled toggle: grants on the kinds it names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Toggle {
    pub(crate) name: String,
    pub(crate) def: ToggleDef,
    pub(crate) sets: Vec<(u32, Scoped)>,
}

/// A subject as compile produces it, before it is stored: its profile key and
/// what goes into its [`SubjectExtra`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SubjectInfo {
    pub(crate) key: ProfileKey,
    pub(crate) layer: Layer,
    pub(crate) exceptions: Vec<ExceptionDef>,
    pub(crate) restrictions: Vec<RestrictionDef>,
    /// Sorted, unique.
    pub(crate) manages: Vec<u32>,
}

/// A stored subject, borrowed: what the explain, admin, diff and export paths need.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SubjectRef<'p> {
    pub(crate) name: &'p str,
    pub(crate) key: &'p ProfileKey,
    pub(crate) extra: Option<&'p SubjectExtra>,
}

pub(crate) static NO_LAYER: Layer = Layer {
    restrictions: Vec::new(),
    exceptions: Vec::new(),
};

impl<'p> SubjectRef<'p> {
    pub(crate) fn role(&self) -> u32 {
        self.key.role
    }

    pub(crate) fn layer(&self) -> &'p Layer {
        self.extra
            .and_then(|e| e.own.as_deref())
            .map_or(&NO_LAYER, |o| &o.layer)
    }

    pub(crate) fn manages(&self) -> &'p [u32] {
        self.extra.map_or(&[], |e| &e.manages)
    }

    pub(crate) fn managed_by(&self) -> &'p [u32] {
        self.extra.map_or(&[], |e| &e.managed_by)
    }
}

/// What subjects sharing a role, toggles and levels share.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ProfileKey {
    pub(crate) role: u32,
    pub(crate) toggles: SmallVec<[u32; 4]>,
    pub(crate) levels: SmallVec<[(u32, u32); 4]>,
}

/// A profile id that no profile has: the subject was removed.
pub(crate) const REMOVED: u32 = u32::MAX;

/// The hot per-subject record: 16 bytes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Subject {
    pub(crate) profile: u32,
    /// The subject's tag ([`crate::ids::slot_tag`]) in the high 30 bits, and in
    /// the low two [`Subject::LAYER`] and [`Subject::MANAGES`]: which parts of
    /// `extra` a check must look at, so that most checks never follow the pointer.
    pub(crate) flags: u32,
    /// Only for subjects with exceptions, restrictions or managed subjects (or
    /// managers).
    pub(crate) extra: Option<Arc<SubjectExtra>>,
}

impl Subject {
    /// The subject has exceptions or restrictions of its own.
    pub(crate) const LAYER: u32 = 1;
    /// The subject manages someone.
    pub(crate) const MANAGES: u32 = 2;

    /// The bits of `flags` that are the tag.
    pub(crate) const TAG: u32 = !3;

    /// The record of a removed subject: no id answers for it.
    pub(crate) const fn removed() -> Subject {
        Subject {
            profile: REMOVED,
            flags: 0,
            extra: None,
        }
    }

    /// Whether `id` (already known to point here) is this subject's.
    #[inline]
    pub(crate) fn answers(&self, id: SubjectId) -> bool {
        self.flags & Subject::TAG == id.tag || id.tag == SubjectId::INTERNAL
    }

    pub(crate) fn new(profile: u32, tag: u32, extra: Option<Arc<SubjectExtra>>) -> Subject {
        let flags = extra.as_deref().map_or(0, |e| {
            let layer = if e.own.is_none() { 0 } else { Subject::LAYER };
            let manages = if e.manages.is_empty() {
                0
            } else {
                Subject::MANAGES
            };
            layer | manages
        });
        Subject {
            profile,
            flags: tag & Subject::TAG | flags,
            extra,
        }
    }
}

/// What only some subjects have: their own layer (boxed, so a subject that only
/// manages or is managed stays small) and the subjects they manage or are managed
/// by. Plain subjects have none, which keeps them at 16 bytes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SubjectExtra {
    /// Sorted.
    pub(crate) manages: Box<[u32]>,
    /// The subjects that manage this one. Sorted.
    pub(crate) managed_by: Box<[u32]>,
    /// `slot` -> the own layer's effect on instances it does not name.
    pub(crate) defaults: Box<[(u32, Affine)]>,
    /// `kind` -> the effect of the own layer's rules written in ancestors, on a
    /// resource that gives no ancestor (their restrictions, missed, outermost
    /// first). Only kinds with such rules.
    pub(crate) deep: Box<[(u32, Affine)]>,
    /// `(kind, id)` -> the own layer's effect on that instance. Inline here, one
    /// load from the subject record, because checks read it.
    pub(crate) instances: Instances,
    /// The own layer with origins (for explanations) and as written (for export):
    /// boxed, because checks never read it.
    pub(crate) own: Option<Box<OwnLayer>>,
}

/// A subject's own exceptions and restrictions, compiled with their origins and
/// as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct OwnLayer {
    pub(crate) layer: Layer,
    /// In shared chunks, so a change to one exception copies two chunks and a
    /// list of pointers, not every exception's strings.
    pub(crate) exceptions: Chunked<ExceptionDef>,
    pub(crate) restrictions: Vec<RestrictionDef>,
}

impl SubjectExtra {
    /// The extra record for `info`, or none if it would be empty.
    pub(crate) fn new(info: SubjectInfo, managed_by: Vec<u32>) -> Option<Arc<SubjectExtra>> {
        let layer = &info.layer;
        let defaults = layer
            .restricted_kinds()
            .map(|k| (k, layer.default_affine(k)))
            .collect();
        let deep = deep_defaults(layer);
        let instances = Instances::new(layer.instance_affines());
        let own = (!info.layer.is_empty()).then(|| {
            Box::new(OwnLayer {
                layer: info.layer,
                exceptions: Chunked::from_vec(info.exceptions),
                restrictions: info.restrictions,
            })
        });
        SubjectExtra {
            manages: info.manages.into(),
            managed_by: managed_by.into(),
            defaults,
            deep,
            instances,
            own,
        }
        .finish()
    }

    /// This record with its own exception on `(k, id)` (written `kind:id`)
    /// replaced by `new` or, for `None`, removed, as `Change::SetException` and
    /// `Change::RemoveException` edit the list (the old one taken out, the new one
    /// appended). Costs one copy of the subject's tables, no recompile. `None`
    /// where this shortcut does not apply (a short list, nothing to remove, a full
    /// bucket): then the subject is compiled again.
    pub(crate) fn edit_exception(
        &self,
        (kind, k, id): (&str, u32, InstanceId),
        new: Option<(ExceptionDef, Exception)>,
    ) -> Option<SubjectExtra> {
        let own = self.own.as_deref()?;
        let Instances::Many(table) = &self.instances else {
            return None;
        };
        // A subject's own exception's origin is its place in the list as written.
        let old = own.layer.exception(k, id).map(|e| e.origin.index);
        if new.is_none() && old.is_none() {
            return None;
        }
        let written = |o: usize| {
            own.exceptions
                .get(o)
                .is_some_and(|e| e.kind == kind && e.id == id)
        };
        if old.is_some_and(|o| !written(o)) {
            return None;
        }
        let mut defs = match old {
            Some(o) => own.exceptions.without(o),
            None => own.exceptions.clone(),
        };
        let mut compiled = Vec::with_capacity(own.layer.exceptions.len() + 1);
        let new = new.map(|(def, mut e)| {
            e.origin.index = defs.len();
            defs.push(def);
            e
        });
        let mut new = new.into_iter().peekable();
        for e in &own.layer.exceptions {
            if (e.kind, e.id) == (k, id) {
                continue;
            }
            if let Some(n) = new.next_if(|n| (n.kind, n.id) < (e.kind, e.id)) {
                compiled.push(n);
            }
            let mut e = e.clone();
            if old.is_some_and(|o| e.origin.index > o) {
                e.origin.index -= 1;
            }
            compiled.push(e);
        }
        compiled.extend(new);
        let layer = Layer {
            restrictions: own.layer.restrictions.clone(),
            exceptions: compiled,
        };
        let named = layer.exception(k, id).is_some()
            || layer
                .restriction(k)
                .is_some_and(|r| r.ids.binary_search(&id).is_ok());
        let value = named.then(|| layer.affine(k, Some(id)));
        let table = table.with(u64::from(k), id, value)?;
        if table.len() <= Instances::SCAN {
            return None;
        }
        Some(SubjectExtra {
            manages: self.manages.clone(),
            managed_by: self.managed_by.clone(),
            defaults: self.defaults.clone(),
            deep: self.deep.clone(),
            instances: Instances::Many(Box::new(table)),
            own: Some(Box::new(OwnLayer {
                layer,
                exceptions: defs,
                restrictions: own.restrictions.clone(),
            })),
        })
    }

    /// The record, or none if nothing is left in it.
    pub(crate) fn finish(self) -> Option<Arc<SubjectExtra>> {
        if self.own.is_none() && self.manages.is_empty() && self.managed_by.is_empty() {
            return None;
        }
        Some(Arc::new(self))
    }

    /// The own layer on a resource of kind `k` that gives no ancestor.
    #[inline]
    pub(crate) fn layer(&self, k: u32, id: Option<InstanceId>) -> Affine {
        let own = self.at(k, id);
        match self.deep.iter().find(|(dk, _)| *dk == k) {
            Some((_, deep)) => deep.then(own),
            None => own,
        }
    }

    /// The own layer's rules at one slot, on instance `id` there.
    #[inline]
    pub(crate) fn at(&self, slot: u32, id: Option<InstanceId>) -> Affine {
        if let Some(id) = id {
            if let Some(a) = self.instances.get(&(slot, id)) {
                return a;
            }
        }
        self.defaults
            .iter()
            .find(|(dk, _)| *dk == slot)
            .map_or(Affine::IDENTITY, |(_, a)| *a)
    }
}

/// Per kind with rules written in its ancestors, the layer's effect on a resource
/// that gives no ancestor.
pub(crate) fn deep_defaults(layer: &Layer) -> Box<[(u32, Affine)]> {
    let mut out: Vec<(u32, Affine)> = Vec::new();
    let mut slots = layer.deep_slots();
    // Outermost first within a kind.
    slots.sort_unstable_by_key(|&s| (slot_kind(s), std::cmp::Reverse(slot_depth(s))));
    for s in slots {
        let a = layer.default_affine(s);
        match out.last_mut() {
            Some((k, acc)) if *k == slot_kind(s) => *acc = acc.then(a),
            _ => out.push((slot_kind(s), a)),
        }
    }
    out.into()
}

/// A subject's per-instance effects. Most subjects name a few instances: two sit
/// inline, and a scan of a few pairs beats hashing; past [`Instances::SCAN`] an
/// [`IdTable`] keeps the lookup bounded whatever the ids look like.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Instances {
    Few(SmallVec<[((u32, InstanceId), Affine); 2]>),
    Many(Box<IdTable<Affine>>),
}

impl Default for Instances {
    fn default() -> Self {
        Instances::Few(SmallVec::new())
    }
}

impl Instances {
    const SCAN: usize = 8;

    fn new(pairs: Vec<((u32, InstanceId), Affine)>) -> Instances {
        if pairs.len() <= Self::SCAN {
            Instances::Few(pairs.into_iter().collect())
        } else {
            Instances::Many(Box::new(IdTable::build(
                pairs
                    .into_iter()
                    .map(|((k, id), a)| ((u64::from(k), id), a))
                    .collect(),
            )))
        }
    }

    #[inline]
    fn get(&self, key: &(u32, InstanceId)) -> Option<Affine> {
        match self {
            Instances::Few(v) => v.iter().find(|(k, _)| k == key).map(|(_, a)| *a),
            Instances::Many(m) => m.get(u64::from(key.0), key.1),
        }
    }
}

/// One profile's entry for one kind: everything a check needs that does not depend
/// on the instance. One cache line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(64))]
pub(crate) struct ProfileKind {
    /// The keep mask when no state is given (`keeps[keep_at]`, repeated here so a
    /// stateless check needs no second table).
    pub(crate) keep: u64,
    pub(crate) set: Scoped,
    /// The role layer's effect on instances it does not name.
    pub(crate) role_default: Affine,
    /// Index in `keeps` of the stateless keep mask; state `s` is at
    /// `+ state_class[s]` (see [`Kind::state_class`]).
    pub(crate) keep_at: u32,
    /// How many states have a mask of their own (`Kind::n_classes`).
    pub(crate) n_classes: u32,
    pub(crate) role: u32,
    /// [`ProfileKind::NAMES`] and the [`ProfileKind::RARE`] bits.
    pub(crate) flags: u8,
}

impl ProfileKind {
    /// The role names instances of this kind (look them up).
    pub(crate) const NAMES: u8 = 1;
    /// The role has rules written in an ancestor of this kind.
    pub(crate) const DEEP: u8 = 2;
    /// The kind has a prerequisite on an ancestor instance.
    pub(crate) const ANCESTOR_PREREQUISITE: u8 = 4;
    /// The kind has string ids (a number id on it is denied).
    pub(crate) const TEXT_IDS: u8 = 8;
    /// What sends a check off the common path.
    pub(crate) const RARE: u8 = Self::DEEP | Self::ANCESTOR_PREREQUISITE | Self::TEXT_IDS;
}

/// Kinds, roles and toggles: what changes only when a role does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schema {
    pub(crate) kinds: Vec<Kind>,
    pub(crate) kind_index: HashMap<String, u32>,
    pub(crate) roles: Vec<Role>,
    pub(crate) role_index: HashMap<String, u32>,
    pub(crate) toggles: Vec<Toggle>,
    pub(crate) toggle_index: HashMap<String, u32>,
    /// `(role, slot, id)` -> the role layer's effect on that instance, keyed by
    /// [`role_tag`].
    pub(crate) role_instances: IdTable<Affine>,
    /// `(role, slot)` for slots at depth 1 or more where the role's layer has a
    /// rule -> its effect on instances it does not name (keyed by [`role_tag`],
    /// id 0).
    pub(crate) role_deep: IdTable<Affine>,
    pub(crate) admin: Vec<AdminRule>,
    pub(crate) admin_defs: Vec<AdminRuleDef>,
}

/// The key of a role's kind in [`Schema::role_instances`].
#[inline]
pub(crate) fn role_tag(role: u32, kind: u32) -> u64 {
    u64::from(role) << 32 | u64::from(kind)
}

/// A compiled [`AdminRuleDef`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AdminRule {
    pub(crate) index: usize,
    pub(crate) changes: Vec<ChangeKind>,
    /// Empty: every kind.
    pub(crate) kinds: Vec<u32>,
    pub(crate) requires: ActionId,
    pub(crate) may_escalate: bool,
}

/// The profiles in use and their per-kind entries (one table; a policy keeps two,
/// see [`Policy::recent`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Profiles {
    /// `keys.len()`, where a check can read it without another load.
    pub(crate) count: u32,
    pub(crate) keys: Vec<ProfileKey>,
    pub(crate) index:
        HashMap<ProfileKey, u32, std::hash::BuildHasherDefault<crate::table::IntHasher>>,
    // INVARIANT (hot tables): `kinds.len() == keys.len() * n_kinds`, every
    // `keep_at + n_classes < keeps.len()`, and every mask is closed under its kind's
    // implications (the check path relies on it to skip closing).
    pub(crate) n_kinds: usize,
    pub(crate) kinds: Vec<ProfileKind>,
    pub(crate) keeps: Vec<u64>,
    /// Where each distinct run of more than one keep mask starts in `keeps`:
    /// profiles that state rules treat alike share their run, so the table grows
    /// with the distinct runs, not with profiles x ruled states.
    pub(crate) keep_runs: HashMap<Box<[u64]>, u32>,
}

/// Subject names to ids, in shards so that adding a name copies one shard. Keys
/// share their allocation with the names table (`Arc<str>`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NameIndex {
    /// One count to clone; adding a name copies the list of shards and one shard.
    shards: Arc<[Shard]>,
}

const SHARDS: usize = 64;

type Shard = Arc<HashMap<Arc<str>, u32>>;

impl NameIndex {
    pub(crate) fn new() -> Self {
        NameIndex {
            shards: (0..SHARDS).map(|_| Arc::new(HashMap::new())).collect(),
        }
    }

    /// A shard by a cheap hash of the bytes; within the shard, std's keyed hash
    /// keeps lookups safe from crafted names.
    fn shard(name: &str) -> usize {
        use std::hash::Hasher;
        let mut h = crate::table::IntHasher::default();
        h.write(name.as_bytes());
        (h.finish() >> 58) as usize % SHARDS
    }

    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        self.shards.get(Self::shard(name))?.get(name).copied()
    }

    /// Inserts `name`; false (and nothing changed) if it is there already.
    pub(crate) fn insert(&mut self, name: Arc<str>, id: u32) -> bool {
        let i = Self::shard(&name);
        if self.shards.get(i).map_or(true, |s| s.contains_key(&name)) {
            return false;
        }
        self.edit_shard(i, |m| {
            m.insert(name, id);
        });
        true
    }

    pub(crate) fn remove(&mut self, name: &str) {
        self.edit_shard(Self::shard(name), |m| {
            m.remove(name);
        });
    }

    fn edit_shard(&mut self, i: usize, edit: impl FnOnce(&mut HashMap<Arc<str>, u32>)) {
        // Compile inserts every name while the list is unshared: edit in place.
        if let Some(shards) = Arc::get_mut(&mut self.shards) {
            if let Some(shard) = shards.get_mut(i) {
                edit(Arc::make_mut(shard));
            }
            return;
        }
        let mut shards = self.shards.to_vec();
        if let Some(shard) = shards.get_mut(i) {
            edit(Arc::make_mut(shard));
        }
        self.shards = shards.into();
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.shards.iter().flat_map(|s| s.keys().map(|k| &**k))
    }
}

/// String instance ids to the policy's own numbers for them, append-only: a
/// string keeps its number in every snapshot changed from the one that first
/// named it. Sharded like [`NameIndex`], so naming a new string copies one shard.
///
/// INVARIANT (text stamps): `stamps[i]` is a hash of strings `0..=i` in order
/// (a chain), never 0. A resolved id carries the stamp of the strings up to it
/// (for "unnamed": of the whole table when it was resolved), so it is good
/// exactly where the table holds the same strings up to there: in the snapshot
/// that resolved it and its successors, and in any table with the same prefix
/// (where the number means the same string). Two snapshots that named different
/// strings at one number (sibling changes, or policies compiled apart) differ in
/// that stamp, and the id is denied there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Texts {
    index: NameIndex,
    names: PVec<Arc<str>>,
    stamps: PVec<u32>,
}

impl Default for Texts {
    fn default() -> Self {
        Texts {
            index: NameIndex::new(),
            names: PVec::default(),
            stamps: PVec::default(),
        }
    }
}

impl Texts {
    /// The number of a resolved string id that no rule names: this bit, plus how
    /// many strings were named when it was resolved.
    pub(crate) const UNNAMED: u64 = 1 << 63;

    /// The number of `text`, if some rule names it.
    pub(crate) fn get(&self, text: &str) -> Option<InstanceId> {
        self.index.get(text).map(u64::from)
    }

    /// The number of `text`, naming it if it is new.
    pub(crate) fn intern(&mut self, text: &str) -> InstanceId {
        if let Some(n) = self.get(text) {
            return n;
        }
        let n = self.names.len() as u32;
        let name: Arc<str> = Arc::from(text);
        let stamp = crate::table::fmix64(
            u64::from(self.stamp()) << 32 ^ crate::ids::name_hash(text) ^ u64::from(n),
        );
        self.index.insert(name.clone(), n);
        self.names.push(name);
        self.stamps.push((stamp >> 32) as u32 | 1);
        u64::from(n)
    }

    /// The stamp of the whole table (of no string: a constant).
    pub(crate) fn stamp(&self) -> u32 {
        match self.stamps.len().checked_sub(1) {
            Some(last) => self.stamps.get(last).copied().unwrap_or(1),
            None => 0x9e37_79b9,
        }
    }

    /// The stamp a resolved id carries: of the strings up to it, or for
    /// "unnamed", of the whole table.
    pub(crate) fn stamp_of(&self, id: InstanceId) -> u32 {
        match usize::try_from(id).ok().and_then(|i| self.stamps.get(i)) {
            Some(&s) => s,
            None => self.stamp(),
        }
    }

    /// The number a string no rule names resolves to here.
    pub(crate) fn unnamed(&self) -> InstanceId {
        Self::UNNAMED | self.len() as u64
    }

    /// Whether a resolved id (with its stamp) is good in this table.
    pub(crate) fn holds(&self, id: InstanceId, stamp: u32) -> bool {
        if id == self.unnamed() {
            return stamp == self.stamp();
        }
        id < self.len() as u64 && self.stamp_of(id) == stamp
    }

    /// Names every string id of these rules.
    pub(crate) fn intern_rules(
        &mut self,
        exceptions: &[ExceptionDef],
        restrictions: &[RestrictionDef],
    ) {
        for e in exceptions {
            if let IdDef::String(t) = &e.id {
                self.intern(t);
            }
        }
        for r in restrictions {
            for id in &r.ids {
                if let IdDef::String(t) = id {
                    self.intern(t);
                }
            }
        }
    }

    /// The string of a number this table gave, if it is one.
    pub(crate) fn text(&self, id: InstanceId) -> Option<&str> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.names.get(i))
            .map(|t| &**t)
    }

    /// How many strings are named.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

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
        self.schema.kind_index.get(name).map(|&i| KindId(i))
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
        (0..self.schema.kinds.len() as u32).map(KindId)
    }

    /// The role named `name`.
    pub fn role(&self, name: &str) -> Option<RoleId> {
        self.schema.role_index.get(name).map(|&i| RoleId(i))
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
        (0..self.schema.roles.len() as u32).map(RoleId)
    }

    /// The action `action` of kind `kind`.
    pub fn action(&self, kind: &str, action: &str) -> Option<ActionId> {
        let k = *self.schema.kind_index.get(kind)?;
        let bit = *self
            .schema
            .kinds
            .get(k as usize)?
            .action_index
            .get(action)?;
        Some(ActionId {
            kind: KindId(k),
            bit,
        })
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
        Some(StateId {
            kind: kind.0,
            index,
        })
    }

    /// Every state of `kind`, in declaration order.
    pub fn states(&self, kind: KindId) -> impl ExactSizeIterator<Item = StateId> + '_ {
        let n = self
            .schema
            .kinds
            .get(kind.index())
            .map_or(0, |k| k.states.len());
        (0..n as u32).map(move |index| StateId {
            kind: kind.0,
            index,
        })
    }

    /// The name of `state` (empty for an id this policy did not make).
    pub fn state_name(&self, state: StateId) -> &str {
        self.schema
            .kinds
            .get(state.kind as usize)
            .and_then(|k| k.states.get(state.index as usize))
            .map_or("", String::as_str)
    }

    /// A resource of `kind` with no id, state or owner (see [`Resource`]).
    pub fn resource(&self, kind: impl ResourceKind) -> Resource {
        kind.resource()
    }

    /// Whether `subject` may do `action` on `resource`.
    ///
    /// `action` is an [`ActionId`] or `bitflags` flags declared in the kind's action
    /// order (all of the flags must be allowed; see
    /// [`Policy::typed_kind`](crate::Policy::typed_kind)). Ids from another policy,
    /// an action of another kind than the resource's, or a state of another kind:
    /// denied. Never panics, never allocates; constant time.
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
        match action.mask_for(resource) {
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
                .schema
                .kinds
                .get(resource.kind.index())
                .map_or(&[][..], |k| k.actions.as_slice()),
        }
    }

    /// Every subject allowed to do `action` on `resource`, in order. Complete: it
    /// asks every subject.
    pub fn who_can(&self, action: impl Actions, resource: &Resource) -> Vec<SubjectId> {
        self.subjects()
            .filter(|&s| self.can(s, action, resource))
            .collect()
    }

    /// The final set of the decision order, as a mask.
    ///
    /// The common path (no owner, no state, no instance the role names, no
    /// exceptions of the subject's own) is a few loads and masks; the rest is out
    /// of line.
    #[inline(always)]
    pub(crate) fn allowed_bits(&self, subject: SubjectId, r: &Resource) -> u64 {
        let s = subject.index;
        let Some(subj) = self.subjects.get(s as usize) else {
            return 0;
        };
        // Identity: an id of another lineage, or of another subject that had this
        // position, answers nothing (one compare on the common path).
        if !subj.answers(subject) {
            return 0;
        }
        let k = r.kind.0;
        let base = &*self.profiles;
        let (profiles, p) = match subj.profile.checked_sub(base.count) {
            None => (base, subj.profile),
            Some(p) => (&*self.recent, p),
        };
        if k as usize >= profiles.n_kinds {
            return 0;
        }
        let at = (p as usize)
            .wrapping_mul(profiles.n_kinds)
            .wrapping_add(k as usize);
        let Some(pk) = profiles.kinds.get(at) else {
            return 0;
        };
        // Step 4: scopes.
        let mut x = pk.set.any;
        if r.owner.is_some() && (pk.set.own | pk.set.managed) != 0 {
            x = self.scoped(s, subj, pk, r, x);
        }
        let extra = subj
            .extra
            .as_deref()
            .filter(|_| subj.flags & Subject::LAYER != 0);
        self.after_scope(pk, profiles, x, extra, r, &|a| {
            self.allowed_again(subject, a)
        })
    }

    /// Steps 5 to 9 from the set `x` after step 4, for a subject or a principal
    /// (`extra`: its own layer, if it has one; `again`: a whole check of it on
    /// another resource, for prerequisites on ancestors). The one hot form of
    /// these steps: [`Policy::allowed_bits`] and principals' checks both end here.
    #[inline(always)]
    pub(crate) fn after_scope(
        &self,
        pk: &ProfileKind,
        profiles: &Profiles,
        mut x: u64,
        extra: Option<&SubjectExtra>,
        r: &Resource,
        again: &dyn Fn(&Resource) -> u64,
    ) -> u64 {
        // Ancestors, string ids, rules written in ancestors: out of line.
        if r.rare | (pk.flags & ProfileKind::RARE) != 0 {
            return self.contained(pk, profiles, x, extra, r, again);
        }
        let k = r.kind.0;
        // Step 5: the role's layer, then the subject's.
        x = match r.id {
            Some(id) if pk.flags & ProfileKind::NAMES != 0 => self.role_instance(pk, k, id, x),
            _ => pk.role_default.apply(x),
        };
        if let Some(extra) = extra {
            x = Self::own_layer(extra, k, r.id, x);
        }
        // Steps 2, 6, 7: availability, prerequisites and state rules, folded into one
        // keep mask per state.
        let keep = match r.state {
            None => pk.keep,
            Some(st) => self.state_keep(profiles, pk, k, st),
        };
        x & keep
    }

    /// [`Policy::allowed_bits`] for a resource with ancestors or a string id, or a
    /// kind with rules written in ancestors, prerequisites on them, or string ids.
    /// Costs one lookup per ancestor level with rules, plus a whole check of the
    /// ancestor per prerequisite on it.
    ///
    /// `x` is the set after step 4, `extra` the subject's or principal's own
    /// layer, and `again` a whole check of the same subject on another resource.
    #[inline(never)]
    pub(crate) fn contained(
        &self,
        pk: &ProfileKind,
        profiles: &Profiles,
        mut x: u64,
        extra: Option<&SubjectExtra>,
        r: &Resource,
        again: &dyn Fn(&Resource) -> u64,
    ) -> u64 {
        let k = r.kind.0;
        let Some(kind) = self.schema.kinds.get(k as usize) else {
            return 0;
        };
        if self.invalid(kind, r).is_some() {
            return 0;
        }
        let mut ids = [0; MAX_ANCESTORS];
        for (slot, a) in ids.iter_mut().zip(r.ancestors()) {
            *slot = a.id;
        }
        let ancestors = ids.get(..r.ancestors().len()).unwrap_or(&[]);
        let chain = kind.chain.len();
        // Step 5: the role's layer (rules in ancestors, outermost first, then the
        // instance's own), then the subject's.
        if pk.flags & ProfileKind::DEEP != 0 {
            for d in (1..=chain).rev() {
                let sl = slot(k, d as u8);
                let Some(default) = self.schema.role_deep.get(role_tag(pk.role, sl), 0) else {
                    continue;
                };
                let a = match ancestors.get(d - 1) {
                    Some(&id) => self
                        .schema
                        .role_instances
                        .get(role_tag(pk.role, sl), id)
                        .unwrap_or(default),
                    None => default,
                };
                x = a.apply(x);
            }
        }
        x = match r.id {
            Some(id) if pk.flags & ProfileKind::NAMES != 0 => self.role_instance(pk, k, id, x),
            _ => pk.role_default.apply(x),
        };
        if let Some(extra) = extra {
            if extra.deep.iter().any(|(dk, _)| *dk == k) {
                for d in (1..=chain).rev() {
                    x = extra
                        .at(slot(k, d as u8), ancestors.get(d - 1).copied())
                        .apply(x);
                }
            }
            x = extra.at(k, r.id).apply(x);
        }
        // Steps 2, 6, 7.
        let keep = match r.state {
            None => pk.keep,
            Some(st) => self.state_keep(profiles, pk, k, st),
        };
        x &= keep;
        // Step 6 on ancestor instances, decided in full.
        for p in &kind.ancestor_prerequisites {
            if x & (1u64 << p.action) == 0 {
                continue;
            }
            let met = r
                .ancestor_resource(usize::from(p.depth))
                .is_some_and(|anc| again(&anc) & p.needs == p.needs);
            if !met {
                x &= !kind.close_up(1u64 << p.action);
            }
        }
        x
    }

    /// A whole check of an ancestor, out of line (the recursion goes up the chain,
    /// so it is at most [`MAX_ANCESTORS`] deep).
    #[inline(never)]
    fn allowed_again(&self, subject: SubjectId, r: &Resource) -> u64 {
        self.allowed_bits(subject, r)
    }

    /// The slots whose rules name the ancestor at depth `d` of a resource of
    /// `kind`: rules written in that ancestor, and the rules of each ancestor in
    /// between about the same instance (which a prerequisite on an ancestor
    /// reads). `d` is 1 for the parent.
    pub(crate) fn position_slots(&self, kind: u32, d: usize) -> SmallVec<[u32; 5]> {
        let mut out: SmallVec<[u32; 5]> = SmallVec::new();
        let Some(chain) = self.schema.kinds.get(kind as usize).map(|k| &k.chain) else {
            return out;
        };
        if d == 0 || d > chain.len() {
            return out;
        }
        out.push(slot(kind, d as u8));
        for j in 1..=d {
            if let Some(&a) = chain.get(j - 1) {
                out.push(slot(a, (d - j) as u8));
            }
        }
        out
    }

    /// Why `r` is not a consistent resource of `kind`, if it is not: every check
    /// on it is denied.
    pub(crate) fn invalid(&self, kind: &Kind, r: &Resource) -> Option<String> {
        if r.rare & Resource::INVALID != 0 {
            return Some(
                "the resource was built inconsistently (an instance of another kind, or more ancestors than fit)"
                    .into(),
            );
        }
        let id_ok = |kind: &Kind, id: InstanceId, stamp: u32| {
            if kind.text_ids {
                stamp != 0 && self.text_ok(id, stamp)
            } else {
                stamp == 0
            }
        };
        let id_problem = |kind: &Kind, stamp: u32| -> String {
            match (kind.text_ids, stamp) {
                (true, 0) => format!("kind `{}` has string ids, and a number id was given", kind.name),
                (true, _) => format!(
                    "the string id given for kind `{}` was resolved by a policy that numbers strings differently (another compile, or a snapshot changed apart from this one): resolve it again",
                    kind.name
                ),
                (false, _) => format!("kind `{}` has number ids, and a string id was given", kind.name),
            }
        };
        if let Some(id) = r.id {
            if !id_ok(kind, id, r.stamp) {
                return Some(id_problem(kind, r.stamp));
            }
        }
        let given = r.ancestors();
        if given.len() > kind.chain.len() {
            return Some(format!(
                "{} ancestors given, and kind `{}` has {}",
                given.len(),
                kind.name,
                kind.chain.len()
            ));
        }
        for (i, (a, &ak)) in given.iter().zip(&kind.chain).enumerate() {
            let Some(akind) = self.schema.kinds.get(ak as usize) else {
                return Some("unknown ancestor kind".into());
            };
            if a.kind.0 != ak {
                return Some(format!(
                    "ancestor {} should be of kind `{}`, and one of kind `{}` was given",
                    i + 1,
                    akind.name,
                    self.kind_name(a.kind)
                ));
            }
            if !id_ok(akind, a.id, a.stamp) {
                return Some(id_problem(akind, a.stamp));
            }
        }
        None
    }

    #[inline(never)]
    fn scoped(&self, s: u32, subj: &Subject, pk: &ProfileKind, r: &Resource, x: u64) -> u64 {
        match r.owner {
            Some(owner) if owner.index == s && subj.answers(owner) => x | pk.set.own,
            Some(owner)
                if pk.set.managed & !x != 0
                    && subj.flags & Subject::MANAGES != 0
                    && subj
                        .extra
                        .as_ref()
                        .is_some_and(|e| e.manages.binary_search(&owner.index).is_ok())
                    && self
                        .subjects
                        .get(owner.index as usize)
                        .is_some_and(|o| o.answers(owner)) =>
            {
                x | pk.set.managed
            }
            _ => x,
        }
    }

    #[inline(never)]
    pub(crate) fn role_instance(&self, pk: &ProfileKind, k: u32, id: InstanceId, x: u64) -> u64 {
        self.schema
            .role_instances
            .get(role_tag(pk.role, k), id)
            .unwrap_or(pk.role_default)
            .apply(x)
    }

    #[inline(never)]
    fn own_layer(extra: &SubjectExtra, k: u32, id: Option<InstanceId>, x: u64) -> u64 {
        extra.layer(k, id).apply(x)
    }

    /// Step 1 for states: a state of another kind, or out of range, denies.
    #[inline(never)]
    pub(crate) fn state_keep(
        &self,
        profiles: &Profiles,
        pk: &ProfileKind,
        k: u32,
        st: StateId,
    ) -> u64 {
        if st.kind != k {
            return 0;
        }
        let Some(&class) = self
            .schema
            .kinds
            .get(k as usize)
            .and_then(|kind| kind.state_class.get(st.index as usize))
        else {
            return 0;
        };
        profiles
            .keeps
            .get(pk.keep_at as usize + class as usize)
            .copied()
            .unwrap_or(0)
    }

    /// The key of profile `p`, in whichever table holds it.
    pub(crate) fn profile_key(&self, p: u32) -> Option<&ProfileKey> {
        match p.checked_sub(self.profiles.count) {
            None => self.profiles.keys.get(p as usize),
            Some(q) => self.recent.keys.get(q as usize),
        }
    }

    /// The scoped masks subject `s` holds on kind `k` (step 3, before exceptions).
    pub(crate) fn scoped_set(&self, s: u32, k: u32) -> Option<Scoped> {
        let p = self.subjects.get(s as usize)?.profile;
        let (profiles, p) = match p.checked_sub(self.profiles.count) {
            None => (&*self.profiles, p),
            Some(q) => (&*self.recent, q),
        };
        let at = (p as usize)
            .checked_mul(profiles.n_kinds)?
            .checked_add(k as usize)?;
        profiles.kinds.get(at).map(|pk| pk.set)
    }

    /// Whether `manager` manages `owner`.
    pub(crate) fn manages(&self, manager: u32, owner: u32) -> bool {
        self.subjects
            .get(manager as usize)
            .and_then(|s| s.extra.as_ref())
            .is_some_and(|e| e.manages.binary_search(&owner).is_ok())
    }

    /// Subject `s`'s record, the profile table that holds its profile, and its
    /// entry there for kind `k`, found as [`Policy::allowed_bits`] finds them: for
    /// lists (`filter.rs`, `bulk.rs`), which read the compiled form directly.
    /// `None` where `allowed_bits` answers 0 whatever the resource.
    // INVARIANT (entry lookup): must resolve a subject exactly as `allowed_bits`
    // does (any check added there on the id, e.g. its lineage, belongs here too).
    pub(crate) fn list_entry(
        &self,
        id: SubjectId,
        k: u32,
    ) -> Option<(&Subject, &Profiles, &ProfileKind)> {
        let s = self.resolve(id)?;
        let subj = self.subjects.get(s as usize)?;
        let (profiles, p) = match subj.profile.checked_sub(self.profiles.count) {
            None => (&*self.profiles, subj.profile),
            Some(q) => (&*self.recent, q),
        };
        if k as usize >= profiles.n_kinds {
            return None;
        }
        let at = (p as usize)
            .checked_mul(profiles.n_kinds)?
            .checked_add(k as usize)?;
        Some((subj, profiles, profiles.kinds.get(at)?))
    }
}

#[cfg(test)]
mod layout {
    //! The sizes the crate docs claim ("How it works").
    use super::*;

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

    #[test]
    fn slots_keep_rules_on_instances_keyed_by_their_kind() {
        assert_eq!(slot(7, 0), 7);
        assert_eq!(slot_kind(slot(7, 3)), 7);
        assert_eq!(slot_depth(slot(7, 3)), 3);
        assert_ne!(slot(7, 1), slot(7, 2));
        assert_eq!(
            slot_kind(slot(MAX_KINDS as u32 - 1, 4)),
            MAX_KINDS as u32 - 1
        );
    }
}
