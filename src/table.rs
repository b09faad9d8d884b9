//! Integer-keyed tables for the check path.
//!
//! Two kinds of keys. Dense ids the compiler hands out (profiles, subjects) go
//! through [`IntHasher`], a multiply-rotate hash that costs a few instructions where
//! std's SipHash would dominate; nobody but the compiler picks those keys.
//! Instance ids are written by users and can share their low bits (`id << 32`,
//! snowflake ids) or be chosen against the hash, so they go through [`IdTable`], a
//! table built once at compile time whose probe bound is checked when it is built.

use std::hash::Hasher;

/// A hasher for integer keys: FxHash's multiply-rotate step.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IntHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for IntHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            for (d, s) in buf.iter_mut().zip(chunk) {
                *d = *s;
            }
            self.write_u64(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(SEED);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The most entries a bucket of an [`IdTable`] holds when the builder succeeds (it
/// does for every id set tried, crafted ones included; see [`IdTable::build`]). A
/// lookup reads at most two buckets.
pub(crate) const BUCKET: usize = 8;

/// How many seeds the builder tries before it keeps its best attempt.
const ATTEMPTS: u64 = 8;

/// The 64-bit finalizer of MurmurHash3 (`fmix64`): every input bit flips each
/// output bit with probability about 1/2, so ids that differ only in their high
/// bits spread as well as sequential ones.
#[inline]
pub(crate) const fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^= x >> 33;
    x
}

/// A read-only map from `(tag, id)` to `V`, for instance ids on the check path
/// (`tag` folds in the role and kind).
///
/// Layout: `n` keys in about `n` buckets, each key in the emptier of two buckets
/// picked by a 64-bit mix of the key and a seed (two-choice hashing), stored
/// bucket by bucket in one array (`start[b]..start[b + 1]` is bucket `b`), each
/// bucket sorted. With two choices the fullest bucket holds about
/// `log2(ln n) + 1` keys (4-5 at a million), so the builder asks for at most
/// [`BUCKET`] and, if a seed gives more, rebuilds with the next seed of a sequence
/// that starts from a hash of the whole key set: ids crafted against one seed do
/// not collide under the next, and the seed cannot be known before the ids are
/// chosen. If every attempt failed (no id set has been found that does it), the
/// best attempt is kept and its large buckets are searched by bisection, so a
/// lookup still reads at most two buckets and `2 log2(n)` keys.
///
/// A lookup is one mix, two bucket bounds, and a scan of at most [`BUCKET`]
/// sorted keys per bucket: its cost does not depend on how the ids look.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IdTable<V> {
    seed: u64,
    /// The number of buckets.
    buckets: u64,
    // INVARIANT (id table): `start.len() == buckets + 1`, `start` is non-decreasing,
    // its last value is `entries.len()`, and each bucket's entries are sorted by key.
    start: Box<[u32]>,
    entries: Vec<((u64, u64), V)>,
}

impl<V> Default for IdTable<V> {
    fn default() -> Self {
        IdTable {
            seed: 0,
            buckets: 0,
            start: Box::new([0]),
            entries: Vec::new(),
        }
    }
}

impl<V: Copy> IdTable<V> {
    #[inline]
    fn hash(seed: u64, tag: u64, id: u64) -> u64 {
        fmix64(fmix64(id ^ seed) ^ tag.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seed.rotate_left(29))
    }

    /// The two buckets of a hash (Lemire's multiply-shift range reduction of its
    /// two halves).
    #[inline]
    fn pair(h: u64, buckets: u64) -> (usize, usize) {
        let b1 = ((h & 0xffff_ffff) * buckets) >> 32;
        let b2 = ((h >> 32) * buckets) >> 32;
        (b1 as usize, b2 as usize)
    }

    /// The table of `pairs` (keys unique). Linear in their number, times the
    /// attempts (one for every id set tried but crafted ones).
    pub(crate) fn build(mut pairs: Vec<((u64, u64), V)>) -> IdTable<V> {
        if pairs.is_empty() {
            return IdTable::default();
        }
        pairs.sort_unstable_by_key(|p| p.0);
        let n = pairs.len();
        let buckets = (n as u64).clamp(1, u64::from(u32::MAX));
        // A seed that depends on every key: whoever picks the ids cannot know it
        // without fixing them first.
        let content = pairs.iter().fold(n as u64, |acc, ((t, i), _)| {
            fmix64(acc ^ *t).wrapping_add(fmix64(acc.rotate_left(17) ^ *i))
        });
        let mut best: Option<(usize, u64, Vec<u32>)> = None;
        for attempt in 0..ATTEMPTS {
            let seed = fmix64(content.wrapping_add(attempt.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
            let mut load = vec![0u32; buckets as usize];
            let mut at = Vec::with_capacity(n);
            let mut fullest = 0u32;
            for ((t, i), _) in &pairs {
                let (b1, b2) = Self::pair(Self::hash(seed, *t, *i), buckets);
                let l1 = load.get(b1).copied().unwrap_or(0);
                let l2 = load.get(b2).copied().unwrap_or(0);
                let b = if l2 < l1 { b2 } else { b1 };
                if let Some(l) = load.get_mut(b) {
                    *l += 1;
                    fullest = fullest.max(*l);
                }
                at.push(b as u32);
            }
            let better = best
                .as_ref()
                .map_or(true, |(f, _, _)| (fullest as usize) < *f);
            if better {
                best = Some((fullest as usize, seed, at));
            }
            if fullest as usize <= BUCKET {
                break;
            }
        }
        let Some((_, seed, at)) = best else {
            return IdTable::default();
        };
        // Counting sort by bucket; within a bucket keys stay sorted (stable).
        let mut start = vec![0u32; buckets as usize + 1];
        for &b in &at {
            if let Some(s) = start.get_mut(b as usize + 1) {
                *s += 1;
            }
        }
        for b in 0..buckets as usize {
            let prev = start.get(b).copied().unwrap_or(0);
            if let Some(s) = start.get_mut(b + 1) {
                *s += prev;
            }
        }
        let mut next = start.clone();
        let mut slots: Vec<Option<((u64, u64), V)>> = vec![None; n];
        for (p, &b) in pairs.into_iter().zip(&at) {
            if let Some(pos) = next.get_mut(b as usize) {
                if let Some(slot) = slots.get_mut(*pos as usize) {
                    *slot = Some(p);
                }
                *pos += 1;
            }
        }
        IdTable {
            seed,
            buckets,
            start: start.into(),
            entries: slots.into_iter().flatten().collect(),
        }
    }

    /// The value of `(tag, id)`.
    #[inline]
    pub(crate) fn get(&self, tag: u64, id: u64) -> Option<V> {
        if self.buckets == 0 {
            return None;
        }
        let (b1, b2) = Self::pair(Self::hash(self.seed, tag, id), self.buckets);
        self.in_bucket(b1, (tag, id))
            .or_else(|| self.in_bucket(b2, (tag, id)))
    }

    #[inline]
    fn in_bucket(&self, b: usize, key: (u64, u64)) -> Option<V> {
        let from = *self.start.get(b)? as usize;
        let to = *self.start.get(b + 1)? as usize;
        let bucket = self.entries.get(from..to)?;
        if bucket.len() <= BUCKET {
            bucket.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        } else {
            bucket
                .binary_search_by(|(k, _)| k.cmp(&key))
                .ok()
                .and_then(|i| bucket.get(i))
                .map(|(_, v)| *v)
        }
    }

    /// Where `key` sits in `entries`, if in bucket `b`.
    fn position(&self, b: usize, key: (u64, u64)) -> Option<usize> {
        let from = *self.start.get(b)? as usize;
        let to = *self.start.get(b + 1)? as usize;
        let i = self
            .entries
            .get(from..to)?
            .binary_search_by(|(k, _)| k.cmp(&key))
            .ok()?;
        Some(from + i)
    }

    /// A copy of the table with `(tag, id)` set to `value` (removed for `None`),
    /// made in one pass over the entries: what a change to one subject's
    /// exceptions costs. `None` if the key's buckets are full (then rebuild).
    pub(crate) fn with(&self, tag: u64, id: u64, value: Option<V>) -> Option<IdTable<V>> {
        if self.buckets == 0 {
            return None;
        }
        let key = (tag, id);
        let (b1, b2) = Self::pair(Self::hash(self.seed, tag, id), self.buckets);
        let found = [b1, b2]
            .into_iter()
            .find_map(|b| self.position(b, key).map(|i| (b, i)));
        let load = |b: usize| -> Option<u32> { Some(self.start.get(b + 1)? - self.start.get(b)?) };
        let (b, at, delta, new) = match (found, value) {
            (Some((_, i)), Some(v)) => {
                let mut entries = self.entries.clone();
                if let Some(e) = entries.get_mut(i) {
                    e.1 = v;
                }
                return Some(IdTable {
                    entries,
                    start: self.start.clone(),
                    ..*self
                });
            }
            (Some((b, i)), None) => (b, i, -1i64, None),
            (None, None) => return Some(self.clone()),
            (None, Some(v)) => {
                let b = if load(b2)? < load(b1)? { b2 } else { b1 };
                if load(b)? as usize >= BUCKET {
                    return None;
                }
                let from = *self.start.get(b)? as usize;
                let to = *self.start.get(b + 1)? as usize;
                let i = self
                    .entries
                    .get(from..to)?
                    .partition_point(|(k, _)| *k < key);
                (b, from + i, 1, Some((key, v)))
            }
        };
        let mut entries = Vec::with_capacity(self.entries.len() + 1);
        entries.extend_from_slice(self.entries.get(..at)?);
        let rest = match new {
            Some(e) => {
                entries.push(e);
                self.entries.get(at..)?
            }
            None => self.entries.get(at + 1..)?,
        };
        entries.extend_from_slice(rest);
        let start = self
            .start
            .iter()
            .enumerate()
            .map(|(j, &s)| {
                if j > b {
                    (i64::from(s) + delta) as u32
                } else {
                    s
                }
            })
            .collect();
        Some(IdTable {
            entries,
            start,
            ..*self
        })
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The most keys in one bucket.
    #[cfg(test)]
    pub(crate) fn fullest(&self) -> usize {
        self.start
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(0)
    }
}

/// `x -> x & and | or`: how an exception layer transforms an action set. Every layer
/// (restriction hit or miss, then a level or allow/deny exception) has this form, and
/// so does any composition of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Affine {
    pub(crate) and: u64,
    pub(crate) or: u64,
}

impl Affine {
    /// Leaves the set as it is.
    pub(crate) const IDENTITY: Affine = Affine { and: !0, or: 0 };

    #[inline]
    pub(crate) fn apply(self, x: u64) -> u64 {
        x & self.and | self.or
    }

    /// `self` first, then `next`.
    pub(crate) fn then(self, next: Affine) -> Affine {
        Affine {
            and: self.and & next.and,
            or: self.or & next.and | next.or,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affine_composition_matches_sequential_application() {
        let a = Affine {
            and: 0b1100,
            or: 0b0001,
        };
        let b = Affine {
            and: 0b0101,
            or: 0b0010,
        };
        for x in 0..16u64 {
            assert_eq!(a.then(b).apply(x), b.apply(a.apply(x)));
        }
        assert_eq!(Affine::IDENTITY.apply(0b1010), 0b1010);
    }

    /// The inverse of [`fmix64`], to craft ids against the table.
    fn unfmix64(mut x: u64) -> u64 {
        fn inv(a: u64) -> u64 {
            let mut y = a;
            for _ in 0..6 {
                y = y.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(y)));
            }
            y
        }
        x ^= x >> 33;
        x = x.wrapping_mul(inv(0xc4ce_b9fe_1a85_ec53));
        x ^= x >> 33;
        x = x.wrapping_mul(inv(0xff51_afd7_ed55_8ccd));
        x ^= x >> 33;
        x
    }

    #[track_caller]
    fn check_table(ids: &[u64], tag: u64) {
        let table = IdTable::build(ids.iter().map(|&i| ((tag, i), i)).collect());
        assert_eq!(table.len(), ids.len());
        assert!(
            table.fullest() <= BUCKET,
            "fullest bucket {}",
            table.fullest()
        );
        for &i in ids {
            assert_eq!(table.get(tag, i), Some(i));
            assert_eq!(table.get(tag + 1, i), None);
        }
        assert_eq!(table.get(tag, u64::MAX - 12345), None);
    }

    #[test]
    fn id_table_bounds_buckets_for_hostile_patterns() {
        let n = 20_000u64;
        check_table(&(0..n).collect::<Vec<_>>(), 3);
        check_table(&(0..n).map(|i| i << 32).collect::<Vec<_>>(), 3);
        check_table(
            &(0..n).map(|i| (1_700_000 + i) << 22).collect::<Vec<_>>(),
            3,
        );
        check_table(&(0..n).map(|i| i << 20).collect::<Vec<_>>(), 3);
        assert_eq!(fmix64(unfmix64(12345)), 12345);
        // Ids crafted so that, under the seed a key-independent builder would use,
        // every hash lands in bucket 0 twice over.
        let crafted: Vec<u64> = (0..n).map(unfmix64).collect();
        check_table(&crafted, 0);
    }

    #[test]
    fn id_table_with_sets_inserts_and_removes_like_a_rebuild() {
        let ids: Vec<u64> = (0..500u64).map(|i| i << 32).collect();
        let mut table = IdTable::build(ids.iter().map(|&i| ((1, i), i)).collect());
        let mut model: std::collections::BTreeMap<u64, u64> = ids.iter().map(|&i| (i, i)).collect();
        for step in 0..2_000u64 {
            let id = (step * 7919 % 700) << 32;
            let value = (step % 3 != 0).then_some(step);
            let Some(next) = table.with(1, id, value) else {
                // A full bucket: the caller rebuilds.
                table = IdTable::build(model.iter().map(|(&k, &v)| ((1, k), v)).collect());
                continue;
            };
            table = next;
            match value {
                Some(v) => model.insert(id, v),
                None => model.remove(&id),
            };
            assert_eq!(table.len(), model.len());
        }
        for id in (0..700u64).map(|i| i << 32) {
            assert_eq!(table.get(1, id), model.get(&id).copied(), "{id}");
            assert_eq!(table.get(2, id), None);
        }
        assert!(table.fullest() <= BUCKET);
    }

    #[test]
    fn id_table_empty_and_single() {
        let t: IdTable<u8> = IdTable::build(Vec::new());
        assert_eq!(t.get(0, 0), None);
        let t = IdTable::build(vec![((1, 2), 7u8)]);
        assert_eq!(t.get(1, 2), Some(7));
        assert_eq!(t.get(2, 1), None);
    }
}
