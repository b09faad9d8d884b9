//! Small `Copy` ids that names are resolved to once, and the resource a check is about.
//!
//! - `subject`: subject ids and the tags that bind them to a policy's lineage;
//! - `resource`: resources, instances and owner tokens;
//! - `actions`: action sets and the `Actions` a check tests;
//! - `typed`: kinds bound to a `bitflags` type;
//! - `internal`: the crate's own ids (toggles, levels, states, rule slots) and
//!   the limits of every id.
//!
//! Kinds, states, roles and actions are here.

mod actions;
mod internal;
mod resource;
mod subject;
mod typed;

pub use actions::{ActionSet, Actions};
pub(crate) use internal::{role_tag, LevelId, Slot, StateIx, ToggleId};
pub use resource::{Instance, OwnerToken, Resource, MAX_ANCESTORS};
pub(crate) use resource::{MANAGED, OTHER, OWN};
pub use subject::SubjectId;
pub(crate) use subject::{lineage, name_hash, slot_tag};
pub use typed::{ResourceKind, TypedKind};

use crate::def::InstanceId;

/// The most actions a kind can have: one bit each in a `u64` mask.
pub const MAX_ACTIONS: usize = 64;

/// A kind of one compiled policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KindId(pub(crate) u32);

/// A state of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateId {
    pub(crate) kind: KindId,
    pub(crate) index: StateIx,
}

impl StateId {
    /// The kind the state belongs to.
    pub fn kind(self) -> KindId {
        self.kind
    }
}

/// A role of one compiled policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleId(pub(crate) u32);

/// An action of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionId {
    pub(crate) kind: KindId,
    pub(crate) bit: u8,
}

impl KindId {
    /// The kind's position in the policy (document order).
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// Instance `id` of this kind (a kind with number ids; for string ids see
    /// [`Policy::instance`](crate::Policy::instance)).
    pub fn instance(self, id: InstanceId) -> Instance {
        Instance {
            id,
            kind: self,
            stamp: 0,
        }
    }
}

impl RoleId {
    /// The role's position in the policy (document order).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl ActionId {
    /// The kind the action belongs to.
    pub fn kind(self) -> KindId {
        self.kind
    }

    /// The action's position in its kind (its bit is `1 << index`).
    pub fn index(self) -> usize {
        usize::from(self.bit)
    }

    /// The action's bit in its kind's mask.
    pub fn mask(self) -> u64 {
        1u64 << (self.bit & 63)
    }
}
