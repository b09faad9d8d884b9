//! The classes of resources where two policies' answers can differ (instance
//! ids the layers name, ancestors, stand-ins for any other id), and the grouping
//! of changes by class.

use std::collections::HashMap;

use crate::def::{IdDef, InstanceId};
use crate::engine::Policy;
use crate::ids::KindId;
use crate::model::{Layer, Slot};

use super::{DiffEntry, Holder, OwnerClass, Side};

type Within = Vec<(String, Option<IdDef>)>;
type Class = (Option<IdDef>, Within, Option<String>, OwnerClass);
type Delta = (Vec<String>, Vec<String>);

/// The names of `a`, then those of `b` not in `a`.
pub(super) fn union_of_names<'a>(
    a: impl Iterator<Item = &'a str>,
    b: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    let mut out: Vec<String> = a.map(str::to_string).collect();
    for n in b {
        if !out.iter().any(|x| x == n) {
            out.push(n.to_string());
        }
    }
    out
}

/// The class whose change an unlisted class shares: the same without its id, else
/// without its state, else without its owner.
pub(super) fn parent(class: &Class) -> Option<Class> {
    match class {
        (Some(_), w, st, o) => Some((None, w.clone(), st.clone(), o.clone())),
        (None, w, st, o) if !w.is_empty() => {
            let outer = w.get(..w.len() - 1).unwrap_or(&[]).to_vec();
            Some((None, outer, st.clone(), o.clone()))
        }
        (None, _, Some(_), o) => Some((None, Vec::new(), None, o.clone())),
        (None, _, None, OwnerClass::None) => None,
        (None, _, None, _) => Some((None, Vec::new(), None, OwnerClass::None)),
    }
}

/// The entries of one holder on one kind. Classes are added parents first (no id,
/// state or owner first); a class is listed only when its change differs from its
/// parent's, so a kind-wide change is one line, not one per instance and state.
pub(super) struct Group {
    holder: Holder,
    kind: String,
    seen: HashMap<Class, Delta>,
    pub(super) entries: Vec<DiffEntry>,
}

impl Group {
    pub(super) fn new(holder: Holder, kind: &str) -> Self {
        Group {
            holder,
            kind: kind.to_string(),
            seen: HashMap::new(),
            entries: Vec::new(),
        }
    }

    pub(super) fn add(
        &mut self,
        (id, within): (&Option<IdDef>, &Within),
        state: &Option<String>,
        owner: OwnerClass,
        before: Vec<String>,
        now: Vec<String>,
    ) {
        let change: Delta = (
            now.iter()
                .filter(|a| !before.contains(a))
                .cloned()
                .collect(),
            before
                .iter()
                .filter(|a| !now.contains(a))
                .cloned()
                .collect(),
        );
        let class: Class = (id.clone(), within.clone(), state.clone(), owner.clone());
        let inherited = parent(&class).and_then(|p| self.seen.get(&p));
        let listed = match inherited {
            Some(p) => *p != change,
            None => !change.0.is_empty() || !change.1.is_empty(),
        };
        if listed {
            self.entries.push(DiffEntry {
                holder: self.holder.clone(),
                kind: self.kind.clone(),
                id: id.clone(),
                within: within.clone(),
                state: state.clone(),
                owner,
                gained: change.0.clone(),
                lost: change.1.clone(),
            });
        }
        self.seen.insert(class, change);
    }
}

/// A resource class of one side: id, ancestors, stand-ins for "any other"
/// ancestor, state.
type At<'a> = (
    Option<&'a IdDef>,
    &'a [(String, Option<IdDef>)],
    &'a [IdDef],
    Option<&'a str>,
);

type Sides<'a, 'p> = [(&'a Side<'p>, Option<&'a str>, Option<&'a str>); 2];

/// The layers bearing on a holder on one side: a subject's own and its role's,
/// or a role's.
pub(super) fn layers<'p>(
    p: &'p Policy,
    subject: Option<&str>,
    role: Option<&str>,
) -> Vec<&'p Layer> {
    let mut out = Vec::new();
    if let Some(info) = subject
        .and_then(|s| p.subject(s))
        .and_then(|s| p.info(s.index))
    {
        out.push(info.layer());
        out.extend(p.schema.roles.get(info.role().index()).map(|r| &*r.layer));
    }
    out.extend(
        role.and_then(|r| p.role(r))
            .and_then(|r| p.schema.roles.get(r.index()))
            .map(|r| &*r.layer),
    );
    out
}

/// The ids the layers name at these slots, as documents write them (string ids
/// by their strings), of an instance of kind `of`.
pub(super) fn named_at(
    p: &Policy,
    layers: &[&Layer],
    slots: &[Slot],
    of: KindId,
    out: &mut Vec<IdDef>,
) {
    for layer in layers {
        for (sl, id) in layer.named_instances() {
            if slots.contains(&sl) {
                out.push(id_def(p, of, id));
            }
        }
    }
}

/// A compiled id of kind `of` as a document writes it.
pub(super) fn id_def(p: &Policy, of: KindId, id: InstanceId) -> IdDef {
    let text = p.schema.kinds.get(of.index()).is_some_and(|k| k.text_ids);
    match p.texts.text(id) {
        Some(t) if text => IdDef::String(t.to_string()),
        _ => IdDef::Number(id),
    }
}

/// Instance `id` of `k` in `p`: a number, or a string resolved in `p` (a string
/// id on a number kind, or the reverse, gives an instance every check denies).
pub(super) fn instance(p: &Policy, k: KindId, id: &IdDef) -> crate::Instance {
    match id {
        IdDef::Number(n) => k.instance(*n),
        IdDef::String(t) => p.instance(k, t),
    }
}

/// None, and every id that a layer of the subject (and its role) or of the role
/// names on the side's kind, on either side.
pub(super) fn instance_ids(sides: &Sides<'_, '_>) -> Vec<Option<IdDef>> {
    let mut ids = Vec::new();
    for (side, subject, role) in sides {
        let Some(k) = side.kind else { continue };
        let p = side.policy;
        named_at(p, &layers(p, *subject, *role), &[Slot::of(k)], k, &mut ids);
    }
    ids.sort_unstable();
    ids.dedup();
    std::iter::once(None)
        .chain(ids.into_iter().map(Some))
        .collect()
}

/// The ancestor classes of the kind on either side: no ancestor, then every
/// prefix of its chain with, at each depth, every id named for that position
/// and "any other" (`None`); and per depth an id that stands for "any other"
/// (named by neither side's layers at that position).
pub(super) fn ancestor_classes(sides: &Sides<'_, '_>) -> (Vec<Within>, Vec<IdDef>) {
    let mut out: Vec<Within> = vec![Vec::new()];
    let mut others = Vec::new();
    // The chain as the later side has it (else the earlier): a resource in
    // ancestors of another chain is denied by the side whose chain differs.
    let Some((side, _, _)) = sides.iter().rev().find(|(s, _, _)| s.kind.is_some()) else {
        return (out, others);
    };
    let (p, Some(k)) = (side.policy, side.kind) else {
        return (out, others);
    };
    let chain: Vec<KindId> = p
        .schema
        .kinds
        .get(k.index())
        .map_or_else(Vec::new, |kd| kd.chain.to_vec());
    let mut level: Vec<Within> = vec![Vec::new()];
    for (i, &a) in chain.iter().enumerate() {
        let aname = p.kind_name(a).to_string();
        let mut ids = Vec::new();
        for (s, subject, role) in sides {
            let (Some(sk), sp) = (s.kind, s.policy) else {
                continue;
            };
            let Some(ak) = sp.kind(&aname) else { continue };
            let slots = sp.position_slots(sk, i + 1);
            named_at(sp, &layers(sp, *subject, *role), &slots, ak, &mut ids);
        }
        ids.sort_unstable();
        ids.dedup();
        others.push(other_than(
            &ids,
            p.schema.kinds.get(a.index()).is_some_and(|x| x.text_ids),
        ));
        let classes: Vec<Option<IdDef>> = ids
            .into_iter()
            .map(Some)
            .chain(std::iter::once(None))
            .collect();
        level = level
            .iter()
            .flat_map(|prefix| {
                let aname = &aname;
                classes.iter().map(move |c| {
                    let mut w = prefix.clone();
                    w.push((aname.clone(), c.clone()));
                    w
                })
            })
            .collect();
        out.extend(level.iter().cloned());
    }
    (out, others)
}

/// An id not in `named` (sorted): the first gap in the numbers, or a string of
/// spaces no rule names.
pub(super) fn other_than(named: &[IdDef], text: bool) -> IdDef {
    if text {
        let mut t = String::new();
        while named.contains(&IdDef::String(t.clone())) {
            t.push(' ');
        }
        return IdDef::String(t);
    }
    let mut n: InstanceId = 0;
    for id in named {
        if *id == IdDef::Number(n) {
            n += 1;
        }
    }
    IdDef::Number(n)
}

pub(super) fn subject_bits(
    side: &Side<'_>,
    name: &str,
    at: At<'_>,
    owner: &OwnerClass,
) -> Option<u64> {
    let p = side.policy;
    let s = p.subject(name)?;
    let mut r = side.resource(at.0, at.1, at.2, at.3)?;
    match owner {
        OwnerClass::None => {}
        OwnerClass::Own => r = r.with_owner(s),
        OwnerClass::Of(o) => {
            // An owner missing from this side owns nothing here: no owner.
            if let Some(o) = p.subject(o) {
                r = r.with_owner(o);
            }
        }
    }
    Some(p.allowed_bits(s, &r))
}

pub(super) fn role_bits(side: &Side<'_>, name: &str, at: At<'_>) -> Option<u64> {
    let role = side.policy.role(name)?;
    Some(
        side.policy
            .role_bits(role, &side.resource(at.0, at.1, at.2, at.3)?),
    )
}
