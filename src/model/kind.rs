//! Kinds: actions, implications, levels, states, state rules, prerequisites,
//! parent chains; and the slots that key rules written in ancestors.

use std::collections::HashMap;

use smallvec::SmallVec;

use crate::def::KindDef;
use crate::ids::{KindId, RoleId, MAX_ANCESTORS};
use crate::ids::{LevelId, StateIx, ToggleId};

/// Masks per scope: `any`, `own`, `managed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct Scoped {
    pub(crate) any: u64,
    pub(crate) own: u64,
    pub(crate) managed: u64,
}

impl Scoped {
    pub(crate) fn union(self, o: Scoped) -> Scoped {
        Scoped {
            any: self.any | o.any,
            own: self.own | o.own,
            managed: self.managed | o.managed,
        }
    }

    pub(crate) fn minus(self, m: u64) -> Scoped {
        Scoped {
            any: self.any & !m,
            own: self.own & !m,
            managed: self.managed & !m,
        }
    }
}

/// A compiled kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Kind {
    pub(crate) name: String,
    pub(crate) def: KindDef,
    pub(crate) actions: Vec<String>,
    pub(crate) action_index: HashMap<String, u8>,
    /// `down[i]`: action `i` and everything it needs, transitively.
    pub(crate) down: Vec<u64>,
    /// `up[i]`: action `i` and everything that needs it, transitively.
    pub(crate) up: Vec<u64>,
    /// Levels in order, each closed under implications.
    pub(crate) levels: Vec<(String, u64)>,
    pub(crate) states: Vec<String>,
    pub(crate) state_index: HashMap<String, StateIx>,
    /// Per state, its keep-mask slot: 0 (the stateless mask) for a state no rule
    /// names, else `1 + i` for the `i`th state some rule names. So a profile stores
    /// one mask per ruled state, not one per state.
    pub(crate) state_class: Vec<u32>,
    /// How many states some rule names.
    pub(crate) n_classes: u32,
    pub(crate) state_rules: Vec<StateRule>,
    pub(crate) prerequisites: Vec<Prerequisite>,
    /// Prerequisites decided on an ancestor instance (`on_ancestor`).
    pub(crate) ancestor_prerequisites: Vec<AncestorPrerequisite>,
    pub(crate) available: bool,
    /// The ancestor kinds, parent first (empty for a kind with no parent).
    pub(crate) chain: SmallVec<[KindId; MAX_ANCESTORS]>,
    /// Instances have string ids (resolved to numbers by [`Texts`]).
    pub(crate) text_ids: bool,
    /// Bit `i`: the ancestor at depth `i + 1` has string ids (so a check need
    /// not read the ancestors' records to validate a resource).
    pub(crate) chain_text: u8,
}

impl Kind {
    /// `m` plus everything its actions need.
    pub(crate) fn close_down(&self, m: u64) -> u64 {
        close(&self.down, m)
    }

    /// `m` plus everything that needs its actions.
    pub(crate) fn close_up(&self, m: u64) -> u64 {
        close(&self.up, m)
    }

    pub(crate) fn level_index(&self, name: &str) -> Option<LevelId> {
        self.levels
            .iter()
            .position(|(n, _)| n == name)
            .and_then(LevelId::new)
    }

    /// Level `l`'s name and mask.
    pub(crate) fn level(&self, l: LevelId) -> Option<&(String, u64)> {
        self.levels.get(l.index())
    }

    /// The name of state `s`.
    pub(crate) fn state_name(&self, s: StateIx) -> Option<&str> {
        self.states.get(s.index()).map(String::as_str)
    }

    pub(crate) fn all(&self) -> u64 {
        match self.actions.len() {
            0 => 0,
            n if n >= 64 => !0,
            n => (1u64 << n) - 1,
        }
    }
}

/// The union of `table[i]` for every bit `i` of `m` (each entry holds its own bit,
/// so this is `m` closed one step).
pub(crate) fn close(table: &[u64], m: u64) -> u64 {
    let mut out = 0;
    let mut rest = m;
    while rest != 0 {
        let i = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        out |= table.get(i).copied().unwrap_or(0);
    }
    out
}

/// In `state`, `hold` (closed upwards) is removed unless the subject's role is in
/// `roles` or it has a toggle in `toggles`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StateRule {
    pub(crate) index: usize,
    pub(crate) state: StateIx,
    pub(crate) hold: u64,
    pub(crate) roles: Vec<RoleId>,
    pub(crate) toggles: Vec<ToggleId>,
}

/// `action` of the declaring kind needs every action of `needs` on `kind`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prerequisite {
    pub(crate) index: usize,
    pub(crate) action: u8,
    pub(crate) kind: KindId,
    pub(crate) needs: u64,
}

/// A prerequisite decided in full on the ancestor instance at `depth` (1: the
/// parent) of kind `kind`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AncestorPrerequisite {
    pub(crate) index: usize,
    pub(crate) action: u8,
    pub(crate) depth: u8,
    pub(crate) kind: KindId,
    pub(crate) needs: u64,
}
