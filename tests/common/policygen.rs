//! The random policy generator shared by the differential and invariant tests:
//! valid policies that use every feature together, decoded from a stream of
//! random numbers (so proptest can shrink and replay them).
//!
//! [`gen_policy`] makes the policies every user of this file has always had;
//! [`gen_contained_policy`] adds containment (parent chains, string ids, rules
//! written `in` an ancestor, prerequisites `on_ancestor`) at a moderate rate, so
//! that the older features keep their share.

#![allow(dead_code, clippy::indexing_slicing, clippy::unwrap_used)]

use std::collections::BTreeSet;

use accessmask::{
    ActionRefDef, AdminRuleDef, ChangeKind, ExceptionDef, GrantDef, IdDef, IdType, KindDef,
    NamedMap, PolicyDef, PrerequisiteDef, RestrictionDef, RoleDef, StateRuleDef, SubjectDef,
    ToggleDef, MAX_ANCESTORS,
};

/// Property cases: `ACCESSMASK_PROPTEST_CASES` when set (the long modes), else
/// `default`.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("ACCESSMASK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Instance ids come from a small pool so that exceptions are hit often.
pub const ID_POOL: usize = 5;

/// Strings a question may use for a string id that differ from a pool id
/// (`"s0"`, `"s1"`) by case, whitespace or length: exact matching must tell them
/// apart.
pub const NEAR_MISSES: [&str; 4] = ["S0", "s0 ", "", " s1"];

/// Which optional features a generated policy uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    /// Parent chains, string ids, rules written `in` ancestors, `on_ancestor`
    /// prerequisites.
    pub containment: bool,
}

impl Features {
    /// Every feature, containment included.
    pub const ALL: Features = Features { containment: true };
}

/// Id `i` of a kind's pool: `i` for number ids, `"s{i}"` for string ids. Rules
/// use `i < ID_POOL`; `ID_POOL` itself is named by no rule.
pub fn pool_id(kind: &KindDef, i: usize) -> IdDef {
    match kind.ids {
        IdType::Number => IdDef::Number(i as u64),
        IdType::String => IdDef::String(format!("s{i}")),
    }
}

/// An id of the kind's type that no generated rule names.
pub fn fresh_id(kind: &KindDef) -> IdDef {
    match kind.ids {
        IdType::Number => IdDef::Number(1_000_003),
        IdType::String => IdDef::String("fresh".to_owned()),
    }
}

/// An id of the other type than the kind's `ids` (an inconsistent resource).
pub fn mistyped_id(kind: &KindDef, i: usize) -> IdDef {
    match kind.ids {
        IdType::Number => IdDef::String(format!("s{i}")),
        IdType::String => IdDef::Number(i as u64),
    }
}

/// The kind's parent chain, parent first (for a generated policy: no cycles,
/// known parents; bounded anyway).
pub fn parent_chain(def: &PolicyDef, kind: &str) -> Vec<String> {
    let mut chain = Vec::new();
    let mut cur = def.kinds.get(kind).and_then(|k| k.parent.clone());
    while let Some(p) = cur {
        if chain.len() > MAX_ANCESTORS || chain.contains(&p) {
            break;
        }
        cur = def.kinds.get(&p).and_then(|k| k.parent.clone());
        chain.push(p);
    }
    chain
}

/// Whether the kinds' prerequisites (kind-wide and `on_ancestor`, as edges from
/// a kind to the kind it needs) form a loop: the generator keeps them acyclic, so
/// that no prerequisite cycle can be reported.
pub fn prerequisite_loop(def: &PolicyDef) -> bool {
    let kinds: Vec<&str> = def.kinds.iter().map(|(k, _)| k).collect();
    // Kahn's algorithm: repeatedly drop kinds that need no remaining kind.
    let mut left: Vec<&str> = kinds.clone();
    loop {
        let before = left.len();
        let snapshot = left.clone();
        left.retain(|k| {
            def.kinds.get(k).is_some_and(|kd| {
                kd.prerequisites
                    .iter()
                    .any(|p| snapshot.contains(&p.kind.as_str()))
            })
        });
        if left.is_empty() {
            return false;
        }
        if left.len() == before {
            return true;
        }
    }
}

/// Choices decoded from a stream of random numbers; past the end, every choice
/// is 0, the simplest.
pub struct Draw<'a> {
    pub stream: &'a [u32],
    pub pos: usize,
}

impl<'a> Draw<'a> {
    pub fn new(stream: &'a [u32]) -> Self {
        Draw { stream, pos: 0 }
    }

    pub fn next(&mut self) -> u32 {
        let v = self.stream.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        let v = self.next() as usize;
        if n == 0 {
            0
        } else {
            v % n
        }
    }

    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) >= 100 - percent
    }

    pub fn pick<'t, T>(&mut self, items: &'t [T]) -> Option<&'t T> {
        let i = self.below(items.len());
        items.get(i)
    }

    pub fn subset(&mut self, items: &[String], percent: usize) -> Vec<String> {
        items
            .iter()
            .filter(|_| self.chance(percent))
            .cloned()
            .collect()
    }

    pub fn non_empty_subset(&mut self, items: &[String], percent: usize) -> Vec<String> {
        let mut out = self.subset(items, percent);
        if out.is_empty() {
            if let Some(one) = self.pick(items) {
                out.push(one.clone());
            }
        }
        out
    }

    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut rest: Vec<usize> = (0..n).collect();
        let mut out = Vec::with_capacity(n);
        while !rest.is_empty() {
            let i = self.below(rest.len());
            out.push(rest.remove(i));
        }
        out
    }
}

pub fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

pub fn kind_named<'d>(def: &'d PolicyDef, name: &str) -> &'d KindDef {
    def.kinds.get(name).expect("generated kind")
}

pub fn level_names(kind: &KindDef) -> Vec<String> {
    kind.levels.iter().map(|(n, _)| n.to_owned()).collect()
}

pub fn gen_grant(d: &mut Draw, kind: &KindDef) -> GrantDef {
    let levels = level_names(kind);
    let level = if !levels.is_empty() && d.chance(30) {
        d.pick(&levels).cloned()
    } else {
        None
    };
    let actions = if d.chance(8) {
        vec!["*".to_owned()]
    } else {
        d.subset(&kind.actions, 35)
    };
    GrantDef {
        level,
        actions,
        own: if d.chance(30) {
            d.non_empty_subset(&kind.actions, 25)
        } else {
            Vec::new()
        },
        managed: if d.chance(30) {
            d.non_empty_subset(&kind.actions, 25)
        } else {
            Vec::new()
        },
    }
}

/// The ancestor kind a rule on `kind_name` is written in: `None` (the instance
/// itself) unless containment is on, the kind has a parent, and a 35% draw says so.
fn gen_within(d: &mut Draw, def: &PolicyDef, kind_name: &str, f: Features) -> Option<String> {
    if !f.containment {
        return None;
    }
    let chain = parent_chain(def, kind_name);
    if chain.is_empty() || !d.chance(35) {
        return None;
    }
    d.pick(&chain).cloned()
}

/// The kind whose ids a rule on `kind_name` written in `within` lists.
fn id_kind<'d>(def: &'d PolicyDef, kind_name: &str, within: Option<&String>) -> &'d KindDef {
    kind_named(def, within.map_or(kind_name, String::as_str))
}

/// A level, or allow and deny sets (at least one action), for an exception on
/// `kind`.
pub fn gen_exception_body(d: &mut Draw, kind: &KindDef, e: &mut ExceptionDef) {
    let levels = level_names(kind);
    if !levels.is_empty() && d.chance(35) {
        e.level = d.pick(&levels).cloned();
    } else {
        e.allow = d.subset(&kind.actions, 25);
        e.deny = d.subset(&kind.actions, 25);
        if e.allow.is_empty() && e.deny.is_empty() {
            let one = d.pick(&kind.actions).cloned().unwrap_or_default();
            if d.chance(50) {
                e.allow.push(one);
            } else {
                e.deny.push(one);
            }
        }
    }
}

pub fn gen_exceptions(
    d: &mut Draw,
    def: &PolicyDef,
    kinds: &[String],
    max: usize,
) -> Vec<ExceptionDef> {
    gen_exceptions_with(d, def, kinds, max, Features::default())
}

pub fn gen_exceptions_with(
    d: &mut Draw,
    def: &PolicyDef,
    kinds: &[String],
    max: usize,
    f: Features,
) -> Vec<ExceptionDef> {
    let mut out: Vec<ExceptionDef> = Vec::new();
    for _ in 0..d.range(0, max) {
        let Some(kind_name) = d.pick(kinds).cloned() else {
            continue;
        };
        let within = gen_within(d, def, &kind_name, f);
        let id = pool_id(id_kind(def, &kind_name, within.as_ref()), d.below(ID_POOL));
        if out
            .iter()
            .any(|e| e.kind == kind_name && e.within == within && e.id == id)
        {
            continue;
        }
        let kind = kind_named(def, &kind_name);
        let mut e = ExceptionDef {
            kind: kind_name.clone(),
            within,
            id,
            ..ExceptionDef::default()
        };
        gen_exception_body(d, kind, &mut e);
        // Now and then a companion at another depth of the same layer (another
        // ancestor, or the instance itself) that says the opposite, so that the
        // order of depths decides.
        let companion = match &e.within {
            Some(a) if d.chance(50) => {
                let mut places: Vec<Option<String>> = parent_chain(def, &kind_name)
                    .into_iter()
                    .filter(|c| c != a)
                    .map(Some)
                    .collect();
                places.push(None);
                let place = d.pick(&places).cloned().flatten();
                let id = pool_id(id_kind(def, &kind_name, place.as_ref()), d.below(ID_POOL));
                Some(ExceptionDef {
                    within: place,
                    id,
                    level: e.level.as_ref().and(d.pick(&level_names(kind)).cloned()),
                    allow: e.deny.clone(),
                    deny: e.allow.clone(),
                    ..e.clone()
                })
            }
            _ => None,
        };
        out.push(e);
        if let Some(c) = companion {
            let taken = out
                .iter()
                .any(|x| x.kind == c.kind && x.within == c.within && x.id == c.id);
            if !taken {
                out.push(c);
            }
        }
    }
    out
}

pub fn gen_restrictions(
    d: &mut Draw,
    def: &PolicyDef,
    kinds: &[String],
    max: usize,
) -> Vec<RestrictionDef> {
    gen_restrictions_with(d, def, kinds, max, Features::default())
}

pub fn gen_restrictions_with(
    d: &mut Draw,
    def: &PolicyDef,
    kinds: &[String],
    max: usize,
    f: Features,
) -> Vec<RestrictionDef> {
    let mut out: Vec<RestrictionDef> = Vec::new();
    for _ in 0..d.range(0, max) {
        let Some(kind_name) = d.pick(kinds).cloned() else {
            continue;
        };
        let within = gen_within(d, def, &kind_name, f);
        if out
            .iter()
            .any(|r| r.kind == kind_name && r.within == within)
        {
            continue;
        }
        let kind = kind_named(def, &kind_name);
        let actions = d.non_empty_subset(&kind.actions, 20);
        let mut ids: Vec<usize> = (0..ID_POOL).filter(|_| d.chance(35)).collect();
        if ids.is_empty() {
            ids.push(d.below(ID_POOL));
        }
        let of = id_kind(def, &kind_name, within.as_ref());
        // Now and then the same actions restricted at another depth too, so that
        // the order of depths decides (the later one wins).
        let companion = match &within {
            Some(a) if d.chance(40) => {
                let mut places: Vec<Option<String>> = parent_chain(def, &kind_name)
                    .into_iter()
                    .filter(|c| c != a)
                    .map(Some)
                    .collect();
                places.push(None);
                let place = d.pick(&places).cloned().flatten();
                let of = id_kind(def, &kind_name, place.as_ref());
                let ids: Vec<IdDef> = (0..ID_POOL)
                    .filter(|_| d.chance(35))
                    .map(|i| pool_id(of, i))
                    .collect();
                Some(RestrictionDef {
                    kind: kind_name.clone(),
                    actions: actions.clone(),
                    within: place,
                    ids,
                })
            }
            _ => None,
        };
        out.push(RestrictionDef {
            kind: kind_name,
            actions,
            within,
            ids: ids.into_iter().map(|i| pool_id(of, i)).collect(),
        });
        if let Some(c) = companion {
            if !out.iter().any(|r| r.kind == c.kind && r.within == c.within) {
                out.push(c);
            }
        }
    }
    out
}

/// Every id a rule written `in` kind `ancestor` names (so that questions can hit
/// them more often than a uniform draw would).
pub fn ids_named_in(def: &PolicyDef, ancestor: &str) -> Vec<IdDef> {
    let mut out: Vec<IdDef> = Vec::new();
    let layers = def
        .roles
        .iter()
        .map(|(_, r)| (&r.exceptions, &r.restrictions))
        .chain(
            def.subjects
                .iter()
                .map(|(_, s)| (&s.exceptions, &s.restrictions)),
        );
    for (exceptions, restrictions) in layers {
        let named = exceptions
            .iter()
            .filter(|e| e.within.as_deref() == Some(ancestor))
            .map(|e| &e.id)
            .chain(
                restrictions
                    .iter()
                    .filter(|r| r.within.as_deref() == Some(ancestor))
                    .flat_map(|r| r.ids.iter()),
            );
        for id in named {
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
    }
    out
}

/// The exceptions a role inherits from its bases and does not replace, by key
/// `(kind, in, id)`.
fn inherited_exception_keys(
    def: &PolicyDef,
    base: Option<&String>,
) -> Vec<(String, Option<String>, IdDef)> {
    let mut keys = Vec::new();
    let mut cur = base.cloned();
    let mut seen = 0;
    while let Some(name) = cur {
        let Some(role) = def.roles.get(&name) else {
            break;
        };
        for e in &role.exceptions {
            let key = (e.kind.clone(), e.within.clone(), e.id.clone());
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        cur = role.base.clone();
        seen += 1;
        if seen > def.roles.len() {
            break;
        }
    }
    keys
}

/// Parent chains: a random forest over the kinds, each chain at most 3 deep.
fn gen_parents(d: &mut Draw, def: &mut PolicyDef, kind_names: &[String]) {
    if !d.chance(75) {
        return;
    }
    let order = d.permutation(kind_names.len());
    // depth[i]: the chain length of kind_names[order[i]].
    let mut depth: Vec<usize> = Vec::new();
    for (p, &i) in order.iter().enumerate() {
        let mut mine = 0;
        if p > 0 && d.chance(80) {
            let mut candidates: Vec<usize> = (0..p).filter(|&q| depth[q] < 3).collect();
            // Half the time the deepest candidates, for longer chains.
            let deepest = candidates.iter().map(|&q| depth[q]).max().unwrap_or(0);
            if d.chance(50) {
                candidates.retain(|&q| depth[q] == deepest);
            }
            if let Some(&q) = d.pick(&candidates) {
                let parent = kind_names[order[q]].clone();
                if let Some(k) = def.kinds.get_mut(&kind_names[i]) {
                    k.parent = Some(parent);
                }
                mine = depth[q] + 1;
            }
        }
        depth.push(mine);
    }
}

/// `on_ancestor` prerequisites, kept free of prerequisite loops.
fn gen_ancestor_prerequisites(d: &mut Draw, def: &mut PolicyDef, kind_names: &[String]) {
    // Parents first, so that a kind whose parent has a prerequisite on its own
    // ancestor can be given one on that parent more often: deciding it in full
    // then decides the parent's prerequisite too.
    let mut by_depth: Vec<(usize, &String)> = kind_names
        .iter()
        .map(|k| (parent_chain(def, k).len(), k))
        .collect();
    by_depth.sort();
    for (_, name) in by_depth {
        let chain = parent_chain(def, name);
        let parent_has_one = chain.first().is_some_and(|p| {
            kind_named(def, p)
                .prerequisites
                .iter()
                .any(|x| x.on_ancestor)
        });
        let has_child = def
            .kinds
            .iter()
            .any(|(_, k)| k.parent.as_deref() == Some(name.as_str()));
        let percent = if parent_has_one || has_child { 60 } else { 30 };
        if chain.is_empty() || !d.chance(percent) {
            continue;
        }
        let ancestor = if parent_has_one && d.chance(70) {
            chain[0].clone()
        } else {
            d.pick(&chain).cloned().unwrap_or_default()
        };
        let other = kind_named(def, &ancestor);
        let this = kind_named(def, name);
        let action = d.pick(&this.actions).cloned().unwrap_or_default();
        let levels = level_names(other);
        let level = if !levels.is_empty() && d.chance(40) {
            d.pick(&levels).cloned()
        } else {
            None
        };
        let mut actions = d.subset(&other.actions, 20);
        // On a parent with a prerequisite on its own ancestor, usually need the
        // action that prerequisite is for, so that it bears on this one.
        let theirs: Vec<String> = other
            .prerequisites
            .iter()
            .filter(|x| x.on_ancestor)
            .map(|x| x.action.clone())
            .collect();
        if !theirs.is_empty() && d.chance(75) {
            let one = d.pick(&theirs).cloned().unwrap_or_default();
            if !actions.contains(&one) {
                actions.push(one);
            }
        }
        let level_empty = level
            .as_ref()
            .and_then(|l| other.levels.get(l))
            .map_or(true, |l| l.is_empty());
        if level_empty && actions.is_empty() {
            actions.extend(d.pick(&other.actions).cloned());
        }
        let p = PrerequisiteDef {
            action,
            kind: ancestor,
            actions,
            level,
            on_ancestor: true,
        };
        if let Some(k) = def.kinds.get_mut(name) {
            k.prerequisites.push(p);
        }
        if prerequisite_loop(def) {
            if let Some(k) = def.kinds.get_mut(name) {
                k.prerequisites.pop();
            }
        }
    }
}

/// A random valid policy (the differential test's generator, plus implication
/// cycles and admin rules), without containment.
pub fn gen_policy(d: &mut Draw) -> PolicyDef {
    gen_policy_with(d, Features::default())
}

/// A random valid policy with containment too: parent chains (a forest, up to 3
/// deep, in about half the policies), string-id kinds, exceptions and
/// restrictions written `in` ancestors (on roles, derived ones included, and on
/// subjects), and `on_ancestor` prerequisites.
pub fn gen_contained_policy(d: &mut Draw) -> PolicyDef {
    gen_policy_with(d, Features::ALL)
}

/// A random valid policy with the features `f` asks for.
pub fn gen_policy_with(d: &mut Draw, f: Features) -> PolicyDef {
    let kind_names = names("k", d.range(2, 4));
    let role_names = names("r", d.range(1, 5));
    let toggle_names = names("t", d.range(0, 3));
    let subject_names = names("u", d.range(2, 5));
    let mut def = PolicyDef::default();

    for name in &kind_names {
        let actions = names("a", d.range(2, 8));
        let n = actions.len();
        let order = d.permutation(n);
        // needed[i]: the actions action i needs directly.
        let mut needed: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        for (p, &i) in order.iter().enumerate() {
            for &j in order.iter().take(p) {
                if d.chance(20) {
                    needed[i].insert(j);
                }
            }
        }
        // Now and then a back edge: an implication cycle.
        if n >= 2 && d.chance(15) {
            let (i, j) = (order[0], order[d.range(1, n - 1)]);
            needed[i].insert(j);
            needed[j].insert(i);
        }
        let mut needs = NamedMap::new();
        for (i, set) in needed.iter().enumerate() {
            if !set.is_empty() {
                needs.insert(
                    actions[i].clone(),
                    set.iter().map(|&j| actions[j].clone()).collect(),
                );
            }
        }
        let mut levels = NamedMap::new();
        let mut level: BTreeSet<String> = BTreeSet::new();
        for l in 0..d.range(0, 4) {
            level.extend(d.subset(&actions, 35));
            let listed: Vec<String> = actions
                .iter()
                .filter(|a| level.contains(*a))
                .cloned()
                .collect();
            levels.insert(format!("L{l}"), listed);
        }
        let states = names("s", d.range(0, 3));
        let mut state_rules = Vec::new();
        if !states.is_empty() {
            for _ in 0..d.range(0, 3) {
                state_rules.push(StateRuleDef {
                    state: d.pick(&states).cloned().unwrap_or_default(),
                    hold: d.non_empty_subset(&actions, 15),
                    unless_roles: d.subset(&role_names, 25),
                    unless_toggles: d.subset(&toggle_names, 25),
                });
            }
        }
        def.kinds.insert(
            name.clone(),
            KindDef {
                actions,
                needs,
                levels,
                states,
                state_rules,
                prerequisites: Vec::new(),
                available: !d.chance(15),
                ids: if f.containment && d.chance(25) {
                    IdType::String
                } else {
                    IdType::Number
                },
                ..KindDef::default()
            },
        );
    }
    if f.containment {
        gen_parents(d, &mut def, &kind_names);
    }

    // Prerequisites: a kind may depend on kinds earlier in a random order.
    let kind_order = d.permutation(kind_names.len());
    for (p, &i) in kind_order.iter().enumerate().skip(1) {
        let mut prerequisites = Vec::new();
        for _ in 0..d.range(0, 2) {
            let other_name = kind_names[kind_order[d.below(p)]].clone();
            let other = kind_named(&def, &other_name);
            let this = kind_named(&def, &kind_names[i]);
            let action = d.pick(&this.actions).cloned().unwrap_or_default();
            let levels = level_names(other);
            let level = if !levels.is_empty() && d.chance(50) {
                d.pick(&levels).cloned()
            } else {
                None
            };
            let mut actions = d.subset(&other.actions, 20);
            let level_empty = level
                .as_ref()
                .and_then(|l| other.levels.get(l))
                .map_or(true, |l| l.is_empty());
            if level_empty && actions.is_empty() {
                actions.extend(d.pick(&other.actions).cloned());
            }
            prerequisites.push(PrerequisiteDef {
                action,
                kind: other_name,
                actions,
                level,
                on_ancestor: false,
            });
        }
        if let Some(kind) = def.kinds.get_mut(&kind_names[i]) {
            kind.prerequisites = prerequisites;
        }
    }
    if f.containment {
        gen_ancestor_prerequisites(d, &mut def, &kind_names);
    }

    // Roles: acyclic base chains of depth at most 3.
    let mut depth: Vec<usize> = Vec::new();
    for (i, name) in role_names.iter().enumerate() {
        let mut role = RoleDef::default();
        let mut my_depth = 0;
        if i > 0 && d.chance(55) {
            let candidates: Vec<usize> = (0..i).filter(|&j| depth[j] < 3).collect();
            if let Some(&b) = d.pick(&candidates) {
                role.base = Some(role_names[b].clone());
                my_depth = depth[b] + 1;
            }
        }
        depth.push(my_depth);
        for kind_name in &kind_names {
            let kind = kind_named(&def, kind_name);
            if d.chance(65) {
                role.grants.insert(kind_name.clone(), gen_grant(d, kind));
            }
            if d.chance(if role.base.is_some() { 30 } else { 10 }) {
                role.remove
                    .insert(kind_name.clone(), d.non_empty_subset(&kind.actions, 10));
            }
        }
        role.exceptions = gen_exceptions_with(d, &def, &kind_names, 3, f);
        role.restrictions =
            gen_restrictions_with(d, &def, &kind_names, if f.containment { 2 } else { 1 }, f);
        // A derived role now and then replaces an inherited exception (often one
        // written in an ancestor) with its own on the same key.
        if f.containment && role.base.is_some() && d.chance(50) {
            let mut keys = inherited_exception_keys(&def, role.base.as_ref());
            if keys.iter().any(|(_, within, _)| within.is_some()) && d.chance(75) {
                keys.retain(|(_, within, _)| within.is_some());
            }
            if let Some((kind, within, id)) = d.pick(&keys).cloned() {
                let taken = role
                    .exceptions
                    .iter()
                    .any(|e| e.kind == kind && e.within == within && e.id == id);
                if !taken {
                    let mut e = ExceptionDef {
                        kind: kind.clone(),
                        within,
                        id,
                        ..ExceptionDef::default()
                    };
                    gen_exception_body(d, kind_named(&def, &kind), &mut e);
                    role.exceptions.push(e);
                }
            }
        }
        def.roles.insert(name.clone(), role);
    }

    for name in &toggle_names {
        let mut toggle = ToggleDef::default();
        for kind_name in &kind_names {
            if d.chance(35) {
                let grant = gen_grant(d, kind_named(&def, kind_name));
                toggle.grants.insert(kind_name.clone(), grant);
            }
        }
        def.toggles.insert(name.clone(), toggle);
    }

    for (i, name) in subject_names.iter().enumerate() {
        let mut subject = SubjectDef {
            role: d.pick(&role_names).cloned().unwrap_or_default(),
            toggles: d.subset(&toggle_names, 30),
            ..SubjectDef::default()
        };
        for kind_name in &kind_names {
            let levels = level_names(kind_named(&def, kind_name));
            if !levels.is_empty() && d.chance(15) {
                let level = d.pick(&levels).cloned().unwrap_or_default();
                subject.levels.insert(kind_name.clone(), level);
            }
        }
        subject.exceptions = gen_exceptions_with(d, &def, &kind_names, 2, f);
        subject.restrictions =
            gen_restrictions_with(d, &def, &kind_names, if f.containment { 2 } else { 1 }, f);
        let others: Vec<String> = subject_names
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, n)| n.clone())
            .collect();
        subject.manages = d.subset(&others, 35);
        def.subjects.insert(name.clone(), subject);
    }

    // Admin rules (they change no answer, but are part of the document).
    for _ in 0..d.range(0, 2) {
        let kind_name = d.pick(&kind_names).cloned().unwrap_or_default();
        let action = d
            .pick(&kind_named(&def, &kind_name).actions)
            .cloned()
            .unwrap_or_default();
        let all = [
            ChangeKind::AddSubject,
            ChangeKind::RemoveSubject,
            ChangeKind::SetRole,
            ChangeKind::SetLevel,
            ChangeKind::SetToggle,
            ChangeKind::SetException,
            ChangeKind::SetManages,
            ChangeKind::DefineRole,
        ];
        let mut changes: Vec<ChangeKind> = all.iter().copied().filter(|_| d.chance(30)).collect();
        if changes.is_empty() {
            changes.push(all[d.below(all.len())]);
        }
        def.admin.push(AdminRuleDef {
            changes,
            kinds: d.subset(&kind_names, 20),
            requires: ActionRefDef {
                kind: kind_name,
                action,
            },
            may_grant_beyond_own: d.chance(30),
        });
    }
    def
}
