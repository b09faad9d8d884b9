//! Names to numbers on the request path: subject names, and string instance ids.

use std::collections::HashMap;
use std::sync::Arc;

use crate::def::{ExceptionDef, IdDef, InstanceId, RestrictionDef};
use crate::pvec::PVec;

/// Subject names to ids, in shards so that adding a name copies one shard. Keys
/// share their allocation with the names table (`Arc<str>`).
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
