//! Steps 3 and 5 on names: the kind-wide sets a subject's level, role (with
//! its bases) and toggles give, and the role's and subject's exception layers.

use std::collections::{BTreeMap, BTreeSet};

use super::sets::{add, add_grant, level_set, remove, resolve, Scoped, Set};
use super::steps::Place;
use crate::def::{ExceptionDef, IdDef, KindDef, PolicyDef, RestrictionDef, RoleDef, SubjectDef};

/// An exception's key: `(kind, in, id)`.
type ExceptionKey = (String, Option<String>, IdDef);
/// A restriction's key: `(kind, in)`.
type RestrictionKey = (String, Option<String>);

/// One exception layer (a role's, inheritance resolved, or a subject's).
#[derive(Debug, Default)]
pub(super) struct Layer<'d> {
    /// Exceptions by `(kind, in, id)`.
    pub(super) exceptions: BTreeMap<ExceptionKey, &'d ExceptionDef>,
    /// Restrictions by `(kind, in)`.
    pub(super) restrictions: BTreeMap<RestrictionKey, &'d RestrictionDef>,
    /// Every `(kind, in)` a rule of the layer (replaced ones included) is written
    /// in, to deny when one is not an ancestor.
    pub(super) written_in: BTreeSet<(String, String)>,
}

impl<'d> Layer<'d> {
    /// Adds (or replaces, on the same key) these exceptions and restrictions.
    pub(super) fn overlay(
        &mut self,
        exceptions: &'d [ExceptionDef],
        restrictions: &'d [RestrictionDef],
    ) {
        for e in exceptions {
            let key = (e.kind.clone(), e.within.clone(), e.id.clone());
            self.exceptions.insert(key, e);
            if let Some(within) = &e.within {
                self.written_in.insert((e.kind.clone(), within.clone()));
            }
        }
        for r in restrictions {
            self.restrictions
                .insert((r.kind.clone(), r.within.clone()), r);
            if let Some(within) = &r.within {
                self.written_in.insert((r.kind.clone(), within.clone()));
            }
        }
    }

    /// Whether every rule on `kind_name` written `in` a kind names one of `chain`.
    pub(super) fn written_in_ancestors(&self, kind_name: &str, chain: &[String]) -> bool {
        self.written_in
            .iter()
            .filter(|(k, _)| k == kind_name)
            .all(|(_, within)| chain.contains(within))
    }
}

/// Step 3 for one kind: the subject's explicit level, or its role's sets; then
/// its toggles' grants.
pub(super) fn kind_wide(
    def: &PolicyDef,
    subject: &SubjectDef,
    kind_name: &str,
    kind: &KindDef,
) -> Option<Scoped> {
    let mut scoped = match subject.levels.get(kind_name) {
        Some(level) => Scoped {
            any: level_set(kind, level)?,
            ..Scoped::default()
        },
        None => role_sets(def, &subject.role, kind_name, kind)?,
    };
    for t in &subject.toggles {
        let toggle = def.toggles.get(t)?;
        for (k, grant) in toggle.grants.iter() {
            if k == kind_name {
                add_grant(kind, &mut scoped, grant)?;
            }
        }
    }
    Some(scoped)
}

/// The role named `role_name` and its bases, the farthest base first. `None` on
/// an unknown role or a base cycle. A loop, not recursion, so a long chain cannot
/// overflow the stack.
fn role_chain<'d>(def: &'d PolicyDef, role_name: &str) -> Option<Vec<&'d RoleDef>> {
    let mut chain = Vec::new();
    let mut name = role_name;
    loop {
        if chain.len() > def.roles.len() {
            return None; // a base chain longer than the number of roles is a cycle
        }
        let role = def.roles.get(name)?;
        chain.push(role);
        match &role.base {
            Some(base) => name = base,
            None => break,
        }
    }
    chain.reverse();
    Some(chain)
}

/// A role's sets on one kind: its base's, plus its grants, minus its `remove`
/// (from every scope), from the farthest base down. `None` on an unknown role or a
/// base cycle.
fn role_sets(def: &PolicyDef, role_name: &str, kind_name: &str, kind: &KindDef) -> Option<Scoped> {
    let mut scoped = Scoped::default();
    for role in role_chain(def, role_name)? {
        for (k, grant) in role.grants.iter() {
            if k == kind_name {
                add_grant(kind, &mut scoped, grant)?;
            }
        }
        for (k, names) in role.remove.iter() {
            if k == kind_name {
                let gone = resolve(kind, names, true)?;
                remove(kind, &mut scoped.any, &gone);
                remove(kind, &mut scoped.own, &gone);
                remove(kind, &mut scoped.managed, &gone);
            }
        }
    }
    Some(scoped)
}

/// A role's exception layer: its base's, with its own exceptions replacing the
/// base's on the same `(kind, in, id)` and its own restrictions replacing the
/// base's on the same `(kind, in)`.
pub(super) fn role_layer<'d>(def: &'d PolicyDef, role_name: &str) -> Option<Layer<'d>> {
    let mut layer = Layer::default();
    for role in role_chain(def, role_name)? {
        layer.overlay(&role.exceptions, &role.restrictions);
    }
    Some(layer)
}

/// Step 5 for one layer: for each ancestor depth, outermost first, its
/// restriction written in that ancestor kind, then its exception written in the
/// given ancestor instance; then its restriction on the kind itself, then its
/// exception on `(kind, id)`.
pub(super) fn apply_layer(
    kind: &KindDef,
    set: &mut Set,
    layer: &Layer<'_>,
    chain: &[String],
    place: &Place<'_>,
) -> Option<()> {
    let depths = chain
        .iter()
        .enumerate()
        .rev()
        .map(|(d, a)| (Some(a.clone()), place.ancestors.get(d).map(|(_, id)| id)));
    // Depth 0 is the instance itself.
    let own = std::iter::once((None, place.id));
    for (within, id) in depths.chain(own) {
        let key = (place.kind.to_owned(), within);
        if let Some(r) = layer.restrictions.get(&key) {
            let actions = resolve(kind, &r.actions, false)?;
            if id.is_some_and(|id| r.ids.contains(id)) {
                add(kind, set, &actions);
            } else {
                remove(kind, set, &actions);
            }
        }
        if let Some(id) = id {
            let (kind_name, within) = key;
            if let Some(e) = layer.exceptions.get(&(kind_name, within, id.clone())) {
                if let Some(level) = &e.level {
                    *set = level_set(kind, level)?;
                }
                let allow = resolve(kind, &e.allow, false)?;
                let deny = resolve(kind, &e.deny, false)?;
                add(kind, set, &allow);
                remove(kind, set, &deny);
            }
        }
    }
    Some(())
}
