//! The decision order, step by step, for one subject on one place.

use super::roles::{apply_layer, kind_wide, role_layer, Layer};
use super::sets::{add, check_kind, level_set, remove, resolve, Set};
use super::Question;
use crate::def::{IdDef, IdType, KindDef, PolicyDef, SubjectDef};
use crate::ids::MAX_ANCESTORS;

/// The resource a decision is about, by names (a [`Question`] without its
/// subject and action, so that a prerequisite on an ancestor can ask about the
/// ancestor).
#[derive(Debug, Clone, Copy)]
pub(super) struct Place<'q> {
    pub(super) kind: &'q str,
    pub(super) id: Option<&'q IdDef>,
    pub(super) ancestors: &'q [(&'q str, IdDef)],
    pub(super) state: Option<&'q str>,
    pub(super) owner: Option<&'q str>,
}

impl<'q> Place<'q> {
    pub(super) fn of(q: &'q Question<'q>) -> Self {
        Place {
            kind: q.kind,
            id: q.id.as_ref(),
            ancestors: &q.ancestors,
            state: q.state,
            owner: q.owner,
        }
    }
}

/// The final set of steps 1 to 8 for `subject_name` on `place`, or `None` when
/// the answer is "deny everything" (unknown names, unavailable kind, inconsistent
/// resource, invalid document). `budget` bounds the recursion of `on_ancestor`
/// prerequisites (each goes one ancestor up, so the chain's length bounds it
/// anyway).
pub(super) fn final_set(
    def: &PolicyDef,
    subject_name: &str,
    place: &Place<'_>,
    budget: usize,
) -> Option<Set> {
    // Step 1: unknown subject, kind or state.
    let subject = def.subjects.get(subject_name)?;
    let kind = def.kinds.get(place.kind)?;
    check_kind(kind)?;
    if let Some(state) = place.state {
        if !kind.states.iter().any(|s| s == state) {
            return None;
        }
    }
    // The subject's role and toggles must resolve.
    def.roles.get(&subject.role)?;
    for t in &subject.toggles {
        def.toggles.get(t)?;
    }
    // The kind's parent chain must resolve, and the resource must fit it.
    let chain = parent_chain(def, place.kind)?;
    check_resource(def, kind, &chain, place)?;

    // Step 2: an unavailable kind allows nothing.
    if !kind.available {
        return None;
    }

    // Steps 3 and 4: the kind-wide sets, and scope.
    let mut set = scoped_set(def, subject_name, subject, place)?;

    // Step 5: exceptions, the role's layer, then the subject's; in each, the
    // rules written in ancestors (outermost first), then the instance's own.
    let role_layer = role_layer(def, &subject.role)?;
    let mut subject_layer = Layer::default();
    subject_layer.overlay(&subject.exceptions, &subject.restrictions);
    for layer in [&role_layer, &subject_layer] {
        if !layer.written_in_ancestors(place.kind, &chain) {
            return None;
        }
        apply_layer(kind, &mut set, layer, &chain, place)?;
    }

    // Step 6: prerequisites, kind-wide, then on ancestors.
    kind_prerequisites(def, subject, kind, &mut set)?;
    let ask = Ask {
        def,
        subject_name,
        budget,
    };
    ancestor_prerequisites(&ask, kind, &chain, place, &mut set)?;

    // Step 7: state rules.
    state_rules(subject, kind, place, &mut set)?;

    // Step 8 held throughout: every `add` and `remove` closes the set.
    Some(set)
}

/// Steps 3 and 4: the kind-wide `any` set, plus `own` when the owner is the
/// subject, plus `managed` when the owner is a subject it manages.
fn scoped_set(
    def: &PolicyDef,
    subject_name: &str,
    subject: &SubjectDef,
    place: &Place<'_>,
) -> Option<Set> {
    let kind = def.kinds.get(place.kind)?;
    let scoped = kind_wide(def, subject, place.kind, kind)?;
    let mut set = scoped.any;
    if let Some(owner) = place.owner {
        if owner == subject_name {
            set.extend(scoped.own);
        }
        let managed =
            def.subjects.get(owner).is_some() && subject.manages.iter().any(|m| m == owner);
        if managed {
            set.extend(scoped.managed);
        }
    }
    Some(set)
}

/// Step 6 for kind-wide prerequisites: met against the subject's step-3 `any`
/// set on the other kind.
fn kind_prerequisites(
    def: &PolicyDef,
    subject: &SubjectDef,
    kind: &KindDef,
    set: &mut Set,
) -> Option<()> {
    for p in kind.prerequisites.iter().filter(|p| !p.on_ancestor) {
        let action = resolve(kind, std::slice::from_ref(&p.action), false)?;
        let other = def.kinds.get(&p.kind)?;
        check_kind(other)?;
        let mut needed = resolve(other, &p.actions, false)?;
        if let Some(level) = &p.level {
            needed.extend(level_set(other, level)?);
        }
        let met = other.available && {
            let theirs = kind_wide(def, subject, &p.kind, other)?;
            needed.is_subset(&theirs.any)
        };
        if !met {
            remove(kind, set, &action);
        }
    }
    Some(())
}

/// Who asks a decision, for deciding one again on an ancestor.
struct Ask<'a> {
    def: &'a PolicyDef,
    subject_name: &'a str,
    budget: usize,
}

/// Step 6 for prerequisites on an ancestor instance, decided in full on that
/// instance.
fn ancestor_prerequisites(
    ask: &Ask<'_>,
    kind: &KindDef,
    chain: &[String],
    place: &Place<'_>,
    set: &mut Set,
) -> Option<()> {
    for p in kind.prerequisites.iter().filter(|p| p.on_ancestor) {
        let action = resolve(kind, std::slice::from_ref(&p.action), false)?;
        let depth = chain.iter().position(|a| *a == p.kind)?;
        let other = ask.def.kinds.get(&p.kind)?;
        check_kind(other)?;
        let mut needed = Set::new();
        add(other, &mut needed, &resolve(other, &p.actions, false)?);
        if let Some(level) = &p.level {
            needed.extend(level_set(other, level)?);
        }
        let met = match (place.ancestors.get(depth), ask.budget.checked_sub(1)) {
            (Some((_, id)), Some(budget)) => {
                let above = place.ancestors.get(depth + 1..).unwrap_or(&[]);
                let on_ancestor = Place {
                    kind: &p.kind,
                    id: Some(id),
                    ancestors: above,
                    state: None,
                    owner: None,
                };
                // `None`: the ancestor allows nothing (unavailable, ...).
                final_set(ask.def, ask.subject_name, &on_ancestor, budget)
                    .is_some_and(|theirs| needed.is_subset(&theirs))
            }
            _ => false,
        };
        if !met {
            remove(kind, set, &action);
        }
    }
    Some(())
}

/// Step 7: each state rule of the place's state removes its held actions
/// unless the subject's own role or one of its toggles exempts it.
fn state_rules(
    subject: &SubjectDef,
    kind: &KindDef,
    place: &Place<'_>,
    set: &mut Set,
) -> Option<()> {
    let Some(state) = place.state else {
        return Some(());
    };
    for rule in kind.state_rules.iter().filter(|r| r.state == state) {
        let hold = resolve(kind, &rule.hold, false)?;
        let exempt = rule.unless_roles.contains(&subject.role)
            || rule
                .unless_toggles
                .iter()
                .any(|t| subject.toggles.iter().any(|mine| mine == t));
        if !exempt {
            remove(kind, set, &hold);
        }
    }
    Some(())
}

/// `chain(k)`: the parent of `kind_name`, its parent, and so on. `None` on an
/// unknown kind or parent, a cycle, or a chain deeper than [`MAX_ANCESTORS`]. A
/// bounded loop: a cycle shows up as a chain that is too long.
fn parent_chain(def: &PolicyDef, kind_name: &str) -> Option<Vec<String>> {
    let mut chain: Vec<String> = Vec::new();
    let mut kind = def.kinds.get(kind_name)?;
    while let Some(parent) = &kind.parent {
        if chain.len() == MAX_ANCESTORS || parent == kind_name || chain.contains(parent) {
            return None;
        }
        kind = def.kinds.get(parent)?;
        chain.push(parent.clone());
    }
    Some(chain)
}

/// Whether `id` has the type the kind's `ids` declare.
fn id_fits(kind: &KindDef, id: &IdDef) -> bool {
    matches!(
        (kind.ids, id),
        (IdType::Number, IdDef::Number(_)) | (IdType::String, IdDef::String(_))
    )
}

/// Checks that the resource is consistent: its id fits its kind, and its
/// ancestors are a prefix of the chain, each with an id that fits its kind.
fn check_resource(
    def: &PolicyDef,
    kind: &KindDef,
    chain: &[String],
    place: &Place<'_>,
) -> Option<()> {
    if place.id.is_some_and(|id| !id_fits(kind, id)) {
        return None;
    }
    if place.ancestors.len() > chain.len() || place.ancestors.len() > MAX_ANCESTORS {
        return None;
    }
    for ((name, id), expected) in place.ancestors.iter().zip(chain) {
        if name != expected || !id_fits(def.kinds.get(name)?, id) {
            return None;
        }
    }
    Some(())
}
