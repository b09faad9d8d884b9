//! Action sets of one kind, closed under implications (step 8), and the
//! scoped sets of step 3.

use std::collections::BTreeSet;

use crate::def::{GrantDef, KindDef};

/// A set of action names of one kind.
pub(super) type Set = BTreeSet<String>;

/// The three kind-wide sets of step 3, one per scope.
#[derive(Debug, Clone, Default)]
pub(super) struct Scoped {
    pub(super) any: Set,
    pub(super) own: Set,
    pub(super) managed: Set,
}

/// Adds a grant to the scoped sets: its level and `actions` to `any`, `own` and
/// `managed` to theirs.
pub(super) fn add_grant(kind: &KindDef, scoped: &mut Scoped, grant: &GrantDef) -> Option<()> {
    if let Some(level) = &grant.level {
        let actions = level_set(kind, level)?;
        add(kind, &mut scoped.any, &actions);
    }
    let any = resolve(kind, &grant.actions, true)?;
    let own = resolve(kind, &grant.own, true)?;
    let managed = resolve(kind, &grant.managed, true)?;
    add(kind, &mut scoped.any, &any);
    add(kind, &mut scoped.own, &own);
    add(kind, &mut scoped.managed, &managed);
    Some(())
}

/// A level's actions, closed under implications. `None` if the level or one of
/// its actions is unknown.
pub(super) fn level_set(kind: &KindDef, level: &str) -> Option<Set> {
    let names = kind.levels.get(level)?;
    let actions = resolve(kind, names, false)?;
    let mut set = Set::new();
    add(kind, &mut set, &actions);
    Some(set)
}

/// Checks that a kind's implications name only its own actions.
pub(super) fn check_kind(kind: &KindDef) -> Option<()> {
    for (a, needed) in kind.needs.iter() {
        if !is_action(kind, a) || !needed.iter().all(|n| is_action(kind, n)) {
            return None;
        }
    }
    Some(())
}

fn is_action(kind: &KindDef, name: &str) -> bool {
    kind.actions.iter().any(|a| a == name)
}

/// Resolves action names of a kind (`"*"` meaning all of them when `star`).
/// `None` if one is unknown.
pub(super) fn resolve(kind: &KindDef, names: &[String], star: bool) -> Option<Set> {
    let mut out = Set::new();
    for name in names {
        if star && name == "*" {
            out.extend(kind.actions.iter().cloned());
        } else if is_action(kind, name) {
            out.insert(name.clone());
        } else {
            return None;
        }
    }
    Some(out)
}

/// The actions `action` directly needs.
fn needs_of<'k>(kind: &'k KindDef, action: &str) -> impl Iterator<Item = &'k String> + 'k {
    let action = action.to_owned();
    kind.needs
        .0
        .iter()
        .filter(move |(a, _)| *a == action)
        .flat_map(|(_, needed)| needed.iter())
}

/// The actions that directly need `action`.
fn needed_by<'k>(kind: &'k KindDef, action: &str) -> impl Iterator<Item = &'k String> + 'k {
    let action = action.to_owned();
    kind.needs
        .0
        .iter()
        .filter(move |(_, needed)| needed.contains(&action))
        .map(|(a, _)| a)
}

/// Step 8 for adding: adds `actions` and everything they need, transitively.
pub(super) fn add(kind: &KindDef, set: &mut Set, actions: &Set) {
    let mut seen = Set::new();
    let mut work: Vec<String> = actions.iter().cloned().collect();
    while let Some(a) = work.pop() {
        if seen.insert(a.clone()) {
            work.extend(needs_of(kind, &a).cloned());
            set.insert(a);
        }
    }
}

/// Step 8 for removing: removes `actions` and everything that needs them,
/// transitively.
pub(super) fn remove(kind: &KindDef, set: &mut Set, actions: &Set) {
    let mut seen = Set::new();
    let mut work: Vec<String> = actions.iter().cloned().collect();
    while let Some(a) = work.pop() {
        if seen.insert(a.clone()) {
            work.extend(needed_by(kind, &a).cloned());
            set.remove(&a);
        }
    }
}
