//! Bit sets and id tables for bulk checks: [`BitSet`] (the answers), `IdTable`
//! (answers by named id) and `IdSet` (membership in a set of ids).

use crate::def::InstanceId;

/// A fixed-length set of bits: bit `i` answers for the `i`-th resource given to
/// [`Policy::can_many`](crate::Policy::can_many).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct BitSet {
    pub(super) words: Vec<u64>,
    pub(super) len: usize,
}

impl BitSet {
    /// How many bits (resources) the set has.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set has no bits at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether bit `i` is set (false past the end).
    pub fn contains(&self, i: usize) -> bool {
        i < self.len
            && self
                .words
                .get(i / 64)
                .is_some_and(|w| (w >> (i % 64)) & 1 != 0)
    }

    /// How many bits are set.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The positions of the set bits, in order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut rest = w;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(i * 64 + b)
            })
        })
    }

    /// The bits as words: bit `i` is `words[i / 64] >> (i % 64) & 1`; bits past
    /// [`len`](BitSet::len) are zero.
    pub fn words(&self) -> &[u64] {
        &self.words
    }
}

/// Ids named by the subject's layers, with their answer tables: open addressing
/// with linear probing, at most a quarter full. An empty slot holds a key no named
/// id has and the unnamed ids' table, so a probe stops at the key or at an empty
/// slot and returns that slot's table either way.
///
/// When a table at most an eighth full (up to a 64th, trying larger sizes) puts
/// every id in its home slot or the next one, a lookup reads just those two slots
/// and selects without a branch (`two`); otherwise it walks the run.
#[derive(Debug)]
pub(super) struct IdTable {
    pub(super) slots: Vec<(InstanceId, u64)>,
    pub(super) mask: usize,
    pub(super) shift: u32,
    pub(super) empty: InstanceId,
    pub(super) two: bool,
}

impl IdTable {
    /// The table, or none if it could not be built (it always can: at most a
    /// quarter full, every walk finds an empty slot).
    pub(super) fn new(named: &[(InstanceId, u64)], miss: u64) -> Option<IdTable> {
        if named.is_empty() {
            return Some(IdTable {
                slots: Vec::new(),
                mask: 0,
                shift: 0,
                empty: 0,
                two: false,
            });
        }
        // A key no named id has: the largest ids are the least likely to be named.
        let mut empty = InstanceId::MAX;
        while named.iter().any(|(id, _)| *id == empty) {
            empty = empty.wrapping_sub(1);
        }
        let base = named.len().next_power_of_two().max(8);
        for factor in [8, 16, 32, 64] {
            // Past 64k slots (1 MiB) a walk is cheaper than building.
            if base * factor > 1 << 16 {
                break;
            }
            if let Some(t) = Self::build(named, miss, empty, base * factor, true) {
                return Some(t);
            }
        }
        Self::build(named, miss, empty, base * 4, false)
    }

    /// A table of `cap` slots (a power of two), plus one past the end when `two`;
    /// none if `two` and some id lands past the slot after its home.
    fn build(
        named: &[(InstanceId, u64)],
        miss: u64,
        empty: InstanceId,
        cap: usize,
        two: bool,
    ) -> Option<IdTable> {
        let mut t = IdTable {
            slots: vec![(empty, miss); cap + usize::from(two)],
            mask: cap - 1,
            shift: 64 - cap.trailing_zeros(),
            empty,
            two,
        };
        for &(id, table) in named {
            let home = t.home(id);
            let mut i = home;
            let mut placed = false;
            for _ in 0..t.slots.len() {
                let slot = t.slots.get_mut(i)?;
                if slot.0 == empty {
                    *slot = (id, table);
                    placed = true;
                    break;
                }
                i = if two { i + 1 } else { (i + 1) & t.mask };
                if two && i > home + 1 {
                    return None;
                }
            }
            if !placed {
                return None;
            }
        }
        Some(t)
    }

    /// Fibonacci hashing: the high bits of `id * 2^64 / phi`, which spreads ids
    /// that share their low bits (multiples of a power of two, `id << 32`).
    #[inline(always)]
    fn home(&self, id: InstanceId) -> usize {
        (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (self.shift & 63)) as usize & self.mask
    }

    #[inline(always)]
    pub(super) fn get(&self, id: InstanceId, miss: u64) -> u64 {
        if self.slots.is_empty() {
            return miss;
        }
        let mut i = self.home(id);
        if self.two {
            let (a, ta) = self.slots.get(i).copied().unwrap_or((self.empty, miss));
            let (b, tb) = self.slots.get(i + 1).copied().unwrap_or((self.empty, miss));
            let t = if b == id { tb } else { miss };
            return if a == id { ta } else { t };
        }
        // INVARIANT (quarter full): an empty slot is always reached, so the loop
        // ends; the bound only keeps it from spinning on a broken table.
        for _ in 0..self.slots.len() {
            match self.slots.get(i) {
                Some(&(k, table)) if k == id || k == self.empty => return table,
                Some(_) => i = (i + 1) & self.mask,
                None => return miss,
            }
        }
        miss
    }
}

/// A set of ids for membership tests with at most two compares: Fibonacci hashing
/// into buckets of two, at most an eighth full, where every id sits in its home
/// bucket (sizes up to 32k buckets are tried); past that, a sorted list searched by
/// halving (at most `log2(n) + 1` probes). Either way no input makes a lookup
/// walk: ids that share their low bits (`i << 32`) are spread by the multiply.
#[derive(Debug)]
pub(super) struct IdSet {
    /// Empty when the set is searched as `sorted`.
    pub(super) buckets: Vec<[InstanceId; 2]>,
    pub(super) shift: u32,
    pub(super) mask: usize,
    /// A key no member has, in every free entry; never a member itself.
    pub(super) empty: InstanceId,
    pub(super) sorted: Vec<InstanceId>,
}

impl IdSet {
    /// The set of `ids` (sorted, unique).
    pub(super) fn new(ids: &[InstanceId]) -> IdSet {
        let mut empty = InstanceId::MAX;
        // At most `ids.len()` steps: the ids are unique.
        while ids.binary_search(&empty).is_ok() {
            empty = empty.wrapping_sub(1);
        }
        let base = ids.len().next_power_of_two().max(8);
        for factor in [4, 8, 16, 32] {
            let cap = base * factor;
            if cap > 1 << 15 {
                break;
            }
            if let Some(set) = Self::hashed(ids, empty, cap) {
                return set;
            }
        }
        IdSet {
            buckets: Vec::new(),
            shift: 0,
            mask: 0,
            empty,
            sorted: ids.to_vec(),
        }
    }

    /// The table of `cap` buckets (a power of two), if every id fits its home.
    fn hashed(ids: &[InstanceId], empty: InstanceId, cap: usize) -> Option<IdSet> {
        let mut set = IdSet {
            buckets: vec![[empty; 2]; cap],
            shift: 64 - cap.trailing_zeros(),
            mask: cap - 1,
            empty,
            sorted: Vec::new(),
        };
        for &id in ids {
            let home = set.home(id);
            let bucket = set.buckets.get_mut(home)?;
            let entry = bucket.iter_mut().find(|e| **e == empty)?;
            *entry = id;
        }
        Some(set)
    }

    #[inline(always)]
    fn home(&self, id: InstanceId) -> usize {
        (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (self.shift & 63)) as usize & self.mask
    }

    /// Whether `id` is in the hashed set: no branch on `id`.
    #[inline(always)]
    fn hashed_contains(&self, id: InstanceId) -> bool {
        let [a, b] = self
            .buckets
            .get(self.home(id))
            .copied()
            .unwrap_or([self.empty; 2]);
        ((a == id) | (b == id)) & (id != self.empty)
    }

    /// Sets bit `i` of `words` (already holding the answer for unnamed ids) to
    /// its opposite for every `ids[i]` in the set.
    pub(super) fn flip(&self, words: &mut [u64], ids: &[InstanceId]) {
        if self.buckets.is_empty() {
            for (w, chunk) in words.iter_mut().zip(ids.chunks(64)) {
                for (i, id) in chunk.iter().enumerate() {
                    *w ^= u64::from(self.sorted.binary_search(id).is_ok()) << (i & 63);
                }
            }
            return;
        }
        for (w, chunk) in words.iter_mut().zip(ids.chunks(64)) {
            let mut bits = 0u64;
            for (i, &id) in chunk.iter().enumerate() {
                bits |= u64::from(self.hashed_contains(id)) << (i & 63);
            }
            *w ^= bits;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both forms of `IdSet` (hashed and sorted) against a plain search, on ids
    /// that share their low bits and on an adversarial set built to overflow one
    /// bucket at every size (which must fall back to the sorted form).
    #[test]
    fn id_set_membership() {
        let mut sets: Vec<Vec<InstanceId>> = vec![
            (0..100).map(|i| i << 32).collect(),
            (0..3000).map(|i| (i << 10) | 7).collect(),
            vec![u64::MAX, u64::MAX - 1, 0],
        ];
        // Three ids with the same top 15 bits after the multiply share a home at
        // every size tried (the multiplier is odd, so invertible mod 2^64).
        let inv = {
            let k: u64 = 0x9E37_79B9_7F4A_7C15;
            let mut x = k;
            for _ in 0..6 {
                x = x.wrapping_mul(2u64.wrapping_sub(k.wrapping_mul(x)));
            }
            x
        };
        sets.push((0..3u64).map(|i| i.wrapping_mul(inv)).collect());
        for mut ids in sets {
            ids.sort_unstable();
            ids.dedup();
            let set = IdSet::new(&ids);
            let probes: Vec<InstanceId> = ids
                .iter()
                .flat_map(|&i| [i, i.wrapping_add(1), i ^ (1 << 40)])
                .chain([0, 1, u64::MAX, set.empty])
                .collect();
            let mut words = vec![0u64; probes.len().div_ceil(64)];
            set.flip(&mut words, &probes);
            for (i, id) in probes.iter().enumerate() {
                let want = ids.binary_search(id).is_ok();
                assert_eq!((words[i / 64] >> (i % 64)) & 1 == 1, want, "{id}");
            }
        }
        let adversarial: Vec<InstanceId> = {
            let mut v: Vec<u64> = (0..3u64).map(|i| i.wrapping_mul(inv)).collect();
            v.sort_unstable();
            v
        };
        assert!(
            IdSet::new(&adversarial).buckets.is_empty(),
            "sorted fallback"
        );
        assert!(!IdSet::new(&[1 << 32, 2 << 32]).buckets.is_empty());
    }
}
