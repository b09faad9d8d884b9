//! Crate-internal ids: small `Copy` newtypes over `u32` that the compiled model
//! numbers its toggles, levels, states and rule slots with (kinds and roles use
//! the public [`KindId`] and [`RoleId`], whose limits are here too).
//!
//! Each id has a `LIMIT` (ids are below it), a checked constructor `new` that
//! refuses `LIMIT` and above, `range(n)` for the first `n` ids (what a table of
//! `n` entries is numbered with), and `index` for the position it stands for.
//! The numeric conversions of ids live here and in the public id types, nowhere else;
//! a newtype over `u32` keeps the layouts the engine asserts (`ProfileKind`,
//! `Subject`).

use super::{KindId, RoleId};

/// Defines a crate-internal id type over `u32` with its limit.
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $limit:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub(crate) struct $name(u32);

        #[allow(dead_code, reason = "the same set of operations for every id type; not every type uses each")]
        impl $name {
            /// Ids are below this.
            pub(crate) const LIMIT: usize = $limit;

            /// The id at `index`, if below [`Self::LIMIT`].
            #[inline]
            pub(crate) fn new(index: usize) -> Option<Self> {
                if index < Self::LIMIT {
                    u32::try_from(index).ok().map(Self)
                } else {
                    None
                }
            }

            /// The ids of a table of `n` entries, in order (at most
            /// [`Self::LIMIT`] of them).
            pub(crate) fn range(n: usize) -> impl DoubleEndedIterator<Item = Self> + ExactSizeIterator {
                (0..n.min(Self::LIMIT) as u32).map(Self)
            }

            /// The position the id stands for.
            #[inline]
            pub(crate) fn index(self) -> usize {
                self.0 as usize
            }

            /// The id as one number, for table keys and packed comparisons.
            #[inline]
            pub(crate) fn get(self) -> u32 {
                self.0
            }
        }
    };
}

id_type!(
    /// A toggle of one compiled policy (document order).
    ToggleId,
    u32::MAX as usize
);

id_type!(
    /// A level of one kind (declaration order, lowest first).
    LevelId,
    u32::MAX as usize
);

id_type!(
    /// A state of one kind (declaration order). The public [`StateId`](crate::StateId)
    /// pairs it with its kind.
    StateIx,
    u32::MAX as usize
);

/// Where a rule of a layer sits: the kind it rules on, and the depth of the
/// instance it names (0: the instance itself; 1: its parent; ...), packed as
/// `kind | depth << 24`. Depth 0 is the kind's own number, so rules on the
/// instance itself are keyed by their kind. Ordered by depth, then kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Slot(u32);

const SLOT_SHIFT: u32 = 24;

// A slot is made only from a kind (below `KindId::LIMIT`) and a depth (a `u8`),
// so every pair fits and it needs no limit of its own.
impl Slot {
    /// The slot of rules written `depth` levels up from instances of `kind`.
    #[inline]
    pub(crate) fn new(kind: KindId, depth: u8) -> Slot {
        Slot(kind.0 | u32::from(depth) << SLOT_SHIFT)
    }

    /// The slot of rules on instances of `kind` themselves.
    #[inline]
    pub(crate) fn of(kind: KindId) -> Slot {
        Slot(kind.0)
    }

    /// The kind the slot's rules are on.
    #[inline]
    pub(crate) fn kind(self) -> KindId {
        KindId(self.0 & ((1 << SLOT_SHIFT) - 1))
    }

    /// The depth of the instance the slot's rules name.
    #[inline]
    pub(crate) fn depth(self) -> u8 {
        (self.0 >> SLOT_SHIFT) as u8
    }

    /// The slot as one number, for table keys.
    #[inline]
    pub(crate) fn get(self) -> u32 {
        self.0
    }
}

impl KindId {
    /// Kinds are numbered below this, so a kind and a depth fit one [`Slot`].
    pub(crate) const LIMIT: usize = 1 << SLOT_SHIFT;

    /// The kind at `index`, if below [`KindId::LIMIT`].
    #[inline]
    pub(crate) fn new(index: usize) -> Option<KindId> {
        if index < Self::LIMIT {
            u32::try_from(index).ok().map(KindId)
        } else {
            None
        }
    }

    /// The kinds of a table of `n` entries, in order.
    pub(crate) fn range(n: usize) -> impl DoubleEndedIterator<Item = KindId> + ExactSizeIterator {
        (0..n.min(Self::LIMIT) as u32).map(KindId)
    }
}

impl RoleId {
    /// Roles are numbered below this.
    pub(crate) const LIMIT: usize = u32::MAX as usize;

    /// The role at `index`, if below [`RoleId::LIMIT`].
    #[inline]
    pub(crate) fn new(index: usize) -> Option<RoleId> {
        if index < Self::LIMIT {
            u32::try_from(index).ok().map(RoleId)
        } else {
            None
        }
    }

    /// The roles of a table of `n` entries, in order.
    pub(crate) fn range(n: usize) -> impl DoubleEndedIterator<Item = RoleId> + ExactSizeIterator {
        (0..n.min(Self::LIMIT) as u32).map(RoleId)
    }
}

/// The key of a role's slot in `Schema::role_instances`.
#[inline]
pub(crate) fn role_tag(role: RoleId, slot: Slot) -> u64 {
    u64::from(role.0) << 32 | u64::from(slot.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn limits<T: PartialEq + std::fmt::Debug>(
        limit: usize,
        new: fn(usize) -> Option<T>,
        index: fn(T) -> usize,
    ) {
        assert!(new(limit).is_none(), "LIMIT itself is refused");
        assert!(new(usize::MAX).is_none());
        for i in [0, 1, 7, limit - 1] {
            let id = new(i);
            assert!(id.is_some(), "{i} is below the limit");
            assert_eq!(id.map(index), Some(i), "round trip of {i}");
        }
    }

    #[test]
    fn kind_ids() {
        limits(KindId::LIMIT, KindId::new, KindId::index);
        assert_eq!(KindId::LIMIT, 1 << 24);
        assert_eq!(
            KindId::range(3).map(KindId::index).collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }

    #[test]
    fn role_ids() {
        limits(RoleId::LIMIT, RoleId::new, RoleId::index);
        assert_eq!(RoleId::range(2).len(), 2);
    }

    #[test]
    fn toggle_ids() {
        limits(ToggleId::LIMIT, ToggleId::new, ToggleId::index);
        assert_eq!(ToggleId::range(0).len(), 0);
    }

    #[test]
    fn level_ids() {
        limits(LevelId::LIMIT, LevelId::new, LevelId::index);
        assert!(
            LevelId::new(1) > LevelId::new(0),
            "levels order as declared"
        );
    }

    #[test]
    fn state_indexes() {
        limits(StateIx::LIMIT, StateIx::new, StateIx::index);
        assert_eq!(StateIx::range(4).last().map(StateIx::index), Some(3));
    }

    #[test]
    fn slots_keep_rules_on_instances_keyed_by_their_kind() {
        let seven = KindId(7);
        assert_eq!(Slot::new(seven, 0), Slot::of(seven));
        assert_eq!(Slot::of(seven).get(), 7);
        assert_eq!(Slot::new(seven, 3).kind(), seven);
        assert_eq!(Slot::new(seven, 3).depth(), 3);
        assert_ne!(Slot::new(seven, 1), Slot::new(seven, 2));
        let last = KindId::new(KindId::LIMIT - 1);
        assert_eq!(last.map(|k| Slot::new(k, 4).kind()), last);
        assert_eq!(last.map(|k| Slot::new(k, 255).depth()), Some(255));
    }

    #[test]
    fn role_tags_separate_roles_and_slots() {
        let a = role_tag(RoleId(1), Slot::of(KindId(2)));
        assert_ne!(a, role_tag(RoleId(2), Slot::of(KindId(1))));
        assert_ne!(a, role_tag(RoleId(1), Slot::new(KindId(2), 1)));
    }
}
