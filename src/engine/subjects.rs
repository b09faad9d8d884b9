//! Subjects as checks read them: a 16-byte record each, and for the few with
//! their own exceptions or managed subjects, an extra record beside it.

use std::sync::Arc;

use smallvec::SmallVec;

use crate::def::{ExceptionDef, InstanceId, RestrictionDef};
use crate::engine::profiles::ProfileKey;
use crate::ids::{KindId, RoleId, SubjectId};
use crate::model::{deep_defaults, Exception, Layer, Restriction, Slot};
use crate::table::{Affine, IdTable};

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
    pub(crate) fn role(&self) -> RoleId {
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
    pub(crate) defaults: Box<[(Slot, Affine)]>,
    /// `kind` -> the effect of the own layer's rules written in ancestors, on a
    /// resource that gives no ancestor (their restrictions, missed, outermost
    /// first). Only kinds with such rules.
    pub(crate) deep: Box<[(KindId, Affine)]>,
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

impl OwnLayer {
    /// This layer with its exception at `(slot, id)` taken out and `new`, if
    /// any, put in its place, written last (as `Change::SetException` and
    /// `Change::RemoveException` edit the list). Origins stay the places in the
    /// written list. `None` when there is nothing to take out and nothing new.
    pub(crate) fn with_exception(
        &self,
        (slot, id): (Slot, InstanceId),
        new: Option<(ExceptionDef, Exception)>,
    ) -> Option<OwnLayer> {
        let old = self.layer.exception(slot, id).map(|e| e.origin.index);
        if new.is_none() && old.is_none() {
            return None;
        }
        let mut defs = match old {
            Some(o) => self.exceptions.without(o),
            None => self.exceptions.clone(),
        };
        let new = new.map(|(def, mut e)| {
            e.origin.index = defs.len();
            defs.push(def);
            e
        });
        let exceptions = splice(
            &self.layer.exceptions,
            &(slot, id),
            old,
            new,
            |e| (e.slot(), e.id),
            |e| &mut e.origin.index,
        );
        Some(OwnLayer {
            layer: Layer {
                restrictions: self.layer.restrictions.clone(),
                exceptions,
            },
            exceptions: defs,
            restrictions: self.restrictions.clone(),
        })
    }

    /// This layer with its restriction at `slot` taken out and `new`, if any,
    /// put in its place, written last. `None` when there is nothing to take out
    /// and nothing new.
    pub(crate) fn with_restriction(
        &self,
        slot: Slot,
        new: Option<(RestrictionDef, Restriction)>,
    ) -> Option<OwnLayer> {
        let old = self.layer.restriction(slot).map(|r| r.origin.index);
        if new.is_none() && old.is_none() {
            return None;
        }
        let mut defs = self.restrictions.clone();
        if let Some(o) = old {
            if o < defs.len() {
                defs.remove(o);
            }
        }
        let new = new.map(|(def, mut r)| {
            r.origin.index = defs.len();
            defs.push(def);
            r
        });
        let restrictions = splice(
            &self.layer.restrictions,
            &slot,
            old,
            new,
            Restriction::slot,
            |r| &mut r.origin.index,
        );
        Some(OwnLayer {
            layer: Layer {
                restrictions,
                exceptions: self.layer.exceptions.clone(),
            },
            exceptions: self.exceptions.clone(),
            restrictions: defs,
        })
    }
}

/// A sorted, key-unique rule list with its rule at key `at` taken out (when
/// `old`, its written place, is given: later places move up one) and `new`,
/// whose key is `at`, put in its place. A copy, a bisection, and one pass over
/// the places.
fn splice<T: Clone, K: Ord>(
    rules: &[T],
    at: &K,
    old: Option<usize>,
    new: Option<T>,
    key: impl Fn(&T) -> K,
    index: impl Fn(&mut T) -> &mut usize,
) -> Vec<T> {
    let mut out = Vec::with_capacity(rules.len() + 1);
    out.extend_from_slice(rules);
    let pos = out.partition_point(|r| key(r) < *at);
    if let Some(written) = old {
        if out.get(pos).is_some_and(|r| key(r) == *at) {
            out.remove(pos);
        }
        for r in &mut out {
            let i = index(r);
            if *i > written {
                *i -= 1;
            }
        }
    }
    if let Some(n) = new {
        out.insert(pos, n);
    }
    out
}

impl SubjectExtra {
    /// The extra record for `info`, or none if it would be empty.
    pub(crate) fn new(info: SubjectInfo, managed_by: Vec<u32>) -> Option<Arc<SubjectExtra>> {
        let own = OwnLayer {
            layer: info.layer,
            exceptions: Chunked::from_vec(info.exceptions),
            restrictions: info.restrictions,
        };
        SubjectExtra {
            manages: info.manages.into(),
            managed_by: managed_by.into(),
            ..SubjectExtra::default()
        }
        .with_own(own, None)
    }

    /// This record with its own layer replaced by `own` (the tables checks read
    /// rebuilt from it). `changed`: the one `(slot, id)` whose exception is all
    /// that differs, when that is so; then a large instance table is edited in
    /// place of being rebuilt (one copy of it, no rehash of the others).
    pub(crate) fn with_own(
        &self,
        own: OwnLayer,
        changed: Option<(Slot, InstanceId)>,
    ) -> Option<Arc<SubjectExtra>> {
        if let (Some((slot, id)), Instances::Many(table)) = (changed, &self.instances) {
            let layer = &own.layer;
            let named = layer.exception(slot, id).is_some()
                || layer
                    .restriction(slot)
                    .is_some_and(|r| r.ids.binary_search(&id).is_ok());
            let value = named.then(|| layer.affine(slot, Some(id)));
            if let Some(table) = table.with(u64::from(slot.get()), id, value) {
                if table.len() > Instances::SCAN {
                    // Exceptions change no default: only the instance.
                    return SubjectExtra {
                        defaults: self.defaults.clone(),
                        deep: self.deep.clone(),
                        instances: Instances::Many(Box::new(table)),
                        own: Some(Box::new(own)),
                        ..self.without_own()
                    }
                    .finish();
                }
            }
        }
        let layer = &own.layer;
        SubjectExtra {
            defaults: layer
                .restricted_kinds()
                .map(|k| (k, layer.default_affine(k)))
                .collect(),
            deep: deep_defaults(layer),
            instances: Instances::new(layer.instance_affines()),
            own: (!own.layer.is_empty()).then(|| Box::new(own)),
            ..self.without_own()
        }
        .finish()
    }

    /// This record's managed subjects and managers, with no layer.
    fn without_own(&self) -> SubjectExtra {
        SubjectExtra {
            manages: self.manages.clone(),
            managed_by: self.managed_by.clone(),
            ..SubjectExtra::default()
        }
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
    pub(crate) fn layer(&self, k: KindId, id: Option<InstanceId>) -> Affine {
        let own = self.at(Slot::of(k), id);
        match self.deep.iter().find(|(dk, _)| *dk == k) {
            Some((_, deep)) => deep.then(own),
            None => own,
        }
    }

    /// The own layer's rules at one slot, on instance `id` there.
    #[inline]
    pub(crate) fn at(&self, slot: Slot, id: Option<InstanceId>) -> Affine {
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

/// A subject's per-instance effects. Most subjects name a few instances: two sit
/// inline, and a scan of a few pairs beats hashing; past [`Instances::SCAN`] an
/// [`IdTable`] keeps the lookup bounded whatever the ids look like.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Instances {
    Few(SmallVec<[((Slot, InstanceId), Affine); 2]>),
    Many(Box<IdTable<Affine>>),
}

impl Default for Instances {
    fn default() -> Self {
        Instances::Few(SmallVec::new())
    }
}

impl Instances {
    const SCAN: usize = 8;

    fn new(pairs: Vec<((Slot, InstanceId), Affine)>) -> Instances {
        if pairs.len() <= Self::SCAN {
            Instances::Few(pairs.into_iter().collect())
        } else {
            Instances::Many(Box::new(IdTable::build(
                pairs
                    .into_iter()
                    .map(|((k, id), a)| ((u64::from(k.get()), id), a))
                    .collect(),
            )))
        }
    }

    #[inline]
    fn get(&self, key: &(Slot, InstanceId)) -> Option<Affine> {
        match self {
            Instances::Few(v) => v.iter().find(|(k, _)| k == key).map(|(_, a)| *a),
            Instances::Many(m) => m.get(u64::from(key.0.get()), key.1),
        }
    }
}
