//! The semantic model a document compiles to: kinds, roles, toggles, layers of
//! exceptions and restrictions, admin rules. Names are interned to numbers and
//! action sets are masks closed under implications; nothing here is about one
//! subject or one check (see `engine`), and nothing here reads a document (see
//! `compile`).

mod kind;
mod layer;

use std::collections::HashMap;
use std::sync::Arc;

use crate::def::{AdminRuleDef, ChangeKind, RoleDef, ToggleDef};
use crate::ids::{ActionId, KindId, RoleId};
use crate::table::{Affine, IdTable};

pub(crate) use crate::ids::{role_tag, LevelId, Slot, StateIx, ToggleId};
pub(crate) use kind::{close, AncestorPrerequisite, Kind, Prerequisite, Scoped, StateRule};
pub(crate) use layer::{deep_defaults, Exception, ExceptionOp, Layer, Origin, Restriction};

/// A compiled role: its grants per kind (base included, closed) and its layer
/// (inherited exceptions and restrictions included).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Role {
    pub(crate) name: String,
    pub(crate) def: RoleDef,
    pub(crate) base: Option<RoleId>,
    pub(crate) sets: Vec<Scoped>,
    /// Shared with the base role when the role writes no exception or
    /// restriction of its own, so a long base chain holds its root's layer once.
    pub(crate) layer: Arc<Layer>,
    /// The role whose layer this is (itself, or the nearest base that writes one):
    /// the key of its instances in [`Schema::role_instances`].
    pub(crate) layer_of: RoleId,
}

/// A compiled toggle: grants on the kinds it names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Toggle {
    pub(crate) name: String,
    pub(crate) def: ToggleDef,
    pub(crate) sets: Vec<(KindId, Scoped)>,
}

/// Kinds, roles and toggles: what changes only when a role does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schema {
    pub(crate) kinds: Vec<Kind>,
    pub(crate) kind_index: HashMap<String, KindId>,
    pub(crate) roles: Vec<Role>,
    pub(crate) role_index: HashMap<String, RoleId>,
    pub(crate) toggles: Vec<Toggle>,
    pub(crate) toggle_index: HashMap<String, ToggleId>,
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

/// A compiled [`AdminRuleDef`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AdminRule {
    pub(crate) index: usize,
    pub(crate) changes: Vec<ChangeKind>,
    /// Empty: every kind.
    pub(crate) kinds: Vec<KindId>,
    pub(crate) requires: ActionId,
    pub(crate) may_escalate: bool,
}
