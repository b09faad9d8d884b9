//! Integer-keyed hash tables for the check path.
//!
//! Keys are small integers chosen by the compiler, never user strings, so a
//! multiply-rotate hash is enough and costs a few instructions, where std's SipHash
//! would dominate a check. An adversary cannot pick the keys' hashes cheaply: ids are
//! dense indices, and instance ids only come from the policy author.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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

/// A `HashMap` with [`IntHasher`].
pub(crate) type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

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
}
