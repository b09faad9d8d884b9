//! A persistent vector: cloning shares everything, and changing one element copies
//! only the small leaf that holds it (plus one group of leaf pointers), so a policy
//! snapshot with a million subjects can be changed in about a microsecond while
//! readers keep the old snapshot.

use std::sync::Arc;

const LEAF_BITS: usize = 9;
const LEAF: usize = 1 << LEAF_BITS;
const GROUP_BITS: usize = 6;
const GROUP: usize = 1 << GROUP_BITS;

/// Elements in leaves of [`LEAF`], leaves in groups of [`GROUP`]. `get` is three
/// indexed loads; `set` copies one leaf and one group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PVec<T> {
    len: usize,
    groups: Vec<Arc<Vec<Arc<Vec<T>>>>>,
}

impl<T> Default for PVec<T> {
    fn default() -> Self {
        PVec {
            len: 0,
            groups: Vec::new(),
        }
    }
}

impl<T: Clone> PVec<T> {
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.groups
            .get(i >> (LEAF_BITS + GROUP_BITS))?
            .get((i >> LEAF_BITS) & (GROUP - 1))?
            .get(i & (LEAF - 1))
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Replaces element `i`; false if out of range.
    pub(crate) fn set(&mut self, i: usize, value: T) -> bool {
        let Some(group) = self.groups.get_mut(i >> (LEAF_BITS + GROUP_BITS)) else {
            return false;
        };
        let Some(leaf) = Arc::make_mut(group).get_mut((i >> LEAF_BITS) & (GROUP - 1)) else {
            return false;
        };
        match Arc::make_mut(leaf).get_mut(i & (LEAF - 1)) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    pub(crate) fn push(&mut self, value: T) {
        let i = self.len;
        if i % (LEAF * GROUP) == 0 {
            self.groups.push(Arc::new(Vec::with_capacity(GROUP)));
        }
        if let Some(group) = self.groups.last_mut() {
            let group = Arc::make_mut(group);
            if i % LEAF == 0 {
                group.push(Arc::new(Vec::with_capacity(LEAF)));
            }
            if let Some(leaf) = group.last_mut() {
                Arc::make_mut(leaf).push(value);
                self.len += 1;
            }
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.groups
            .iter()
            .flat_map(|g| g.iter())
            .flat_map(|l| l.iter())
    }
}

impl<T: Clone> FromIterator<T> for PVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = PVec::default();
        for x in iter {
            v.push(x);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec_and_shares_on_clone() {
        let n = LEAF * GROUP + 3 * LEAF + 7;
        let mut v: PVec<usize> = (0..n).collect();
        assert_eq!(v.len(), n);
        let old = v.clone();
        assert!(v.set(n - 1, 1));
        assert!(v.set(5, 2));
        assert!(!v.set(n, 0));
        assert_eq!(v.get(n - 1), Some(&1));
        assert_eq!(old.get(n - 1), Some(&(n - 1)));
        assert_eq!(v.get(5), Some(&2));
        assert_eq!(old.get(5), Some(&5));
        assert_eq!(v.get(n), None);
        assert_eq!(v.iter().count(), n);
        assert_eq!(
            old.iter().copied().collect::<Vec<_>>(),
            (0..n).collect::<Vec<_>>()
        );
        // Untouched leaves are shared.
        assert!(Arc::ptr_eq(
            &v.groups[0].as_ref()[1],
            &old.groups[0].as_ref()[1]
        ));
    }
}
