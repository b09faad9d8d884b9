//! Profiles: what subjects sharing a role, toggles and levels share, as one
//! cache line per kind.

use std::collections::HashMap;

use smallvec::SmallVec;

use crate::ids::{KindId, RoleId};
use crate::model::{LevelId, Scoped, ToggleId};
use crate::table::Affine;

/// What subjects sharing a role, toggles and levels share.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ProfileKey {
    pub(crate) role: RoleId,
    pub(crate) toggles: SmallVec<[ToggleId; 4]>,
    pub(crate) levels: SmallVec<[(KindId, LevelId); 4]>,
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
    pub(crate) role: RoleId,
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
