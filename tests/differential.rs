//! Differential test: the compiled engine against the reference interpreter.
//!
//! Random *valid* policies using every feature together (implications, monotone
//! levels, states and state rules, prerequisites, unavailable kinds, base-role
//! chains, scoped / level / `"*"` grants, `remove`, role and subject exceptions and
//! restrictions, toggles, explicit levels, managed subjects; and containment:
//! parent chains, string ids, exceptions and restrictions written `in` an
//! ancestor, `on_ancestor` prerequisites) are compiled, and random queries are
//! asked of both [`Policy`] and [`accessmask::reference`]: `can` must equal
//! `reference::is_allowed`, the names of `allowed` must equal
//! `reference::allowed_actions`, and `explain(..).allowed()` must equal `can`.
//!
//! Queries give the instance's ancestors (a random prefix of its kind's parent
//! chain, ids from the pool), use string ids (from the pool, or near misses such
//! as `"S0"` and `"s0 "` that only exact matching tells apart), and now and then
//! ask about an inconsistent resource (an ancestor of the wrong kind, more
//! ancestors than the chain is long, a number id on a string kind or the other
//! way round), which both must deny.
//!
//! By default 512 policies are generated, with 64 queries each. Set the
//! environment variable `ACCESSMASK_PROPTEST_CASES` to run more policies, e.g.
//! `ACCESSMASK_PROPTEST_CASES=20000 cargo test --release --test differential`.
//!
//! Policies and queries are decoded from streams of random numbers (a read past
//! the end of a stream reads 0, and 0 always decodes to the simplest choice).
//! Shrinking the streams shrinks poorly (a changed count shifts every later
//! choice), so proptest's shrinking is off; instead, on the first disagreement
//! `compare` minimises the policy and the query structurally (dropping subjects,
//! kinds, parents, roles, toggles, grants, exceptions, rules and list items, and
//! the query's id, ancestors, state and owner, while the policy still compiles and
//! the disagreement remains) and the failure prints the
//! minimised policy as JSON with the query. No regression file is written.
//!
//! `generation_stats` (deterministic) prints the share of allowed queries, the
//! number of distinct features per policy and the share of containment features
//! in policies and queries, to keep the generator honest.

// Test helpers outside `#[test]` functions may fail loudly too.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use accessmask::reference::{self, Question};
use accessmask::{
    GrantDef, IdDef, IdType, KindDef, NamedMap, Policy, PolicyDef, Resource, RoleDef, SubjectDef,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// Queries asked of each policy.
const QUERIES: usize = 64;
/// Instance ids used by exceptions and restrictions are `0..ID_POOL`; queries use
/// `0..=ID_POOL`, so one id is never mentioned.
const ID_POOL: usize = policygen::ID_POOL;
/// Length of the random stream a policy is decoded from (more than it needs).
const POLICY_STREAM: usize = 2000;
/// Length of the random stream the queries are decoded from.
const QUERY_STREAM: usize = QUERIES * 24;

fn cases() -> u32 {
    std::env::var("ACCESSMASK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

#[path = "common/policygen.rs"]
mod policygen;
use policygen::*;

/// A query by names; the owner is always a subject of the policy, and every
/// ancestor's kind is a kind of the policy.
#[derive(Debug, Clone)]
struct Ask {
    subject: String,
    kind: String,
    action: String,
    id: Option<IdDef>,
    ancestors: Vec<(String, IdDef)>,
    state: Option<String>,
    owner: Option<String>,
}

impl Ask {
    fn query(&self) -> Question<'_> {
        Question {
            subject: &self.subject,
            kind: &self.kind,
            action: &self.action,
            id: self.id.clone(),
            ancestors: self
                .ancestors
                .iter()
                .map(|(k, id)| (k.as_str(), id.clone()))
                .collect(),
            state: self.state.as_deref(),
            owner: self.owner.as_deref(),
        }
    }
}

/// An id of `kind`'s pool (`0..=ID_POOL`, the last named by no rule), now and
/// then, for a string kind, a near miss of a pool string.
fn gen_id(d: &mut Draw, kind: &KindDef) -> IdDef {
    if kind.ids == IdType::String && d.chance(12) {
        let near = d.pick(&NEAR_MISSES).copied().unwrap_or_default();
        return IdDef::from(near);
    }
    pool_id(kind, d.below(ID_POOL + 1))
}

/// The ancestors of an instance of `kind`: a random prefix of its chain (often
/// the whole chain), ids from the pool. About one query in 16 is made
/// inconsistent: an ancestor of the wrong kind, one ancestor too many (or more
/// than `MAX_ANCESTORS`), or an id of the wrong type (own or ancestor's).
fn gen_ancestors(
    d: &mut Draw,
    def: &PolicyDef,
    kind: &str,
    id: &mut Option<IdDef>,
) -> Vec<(String, IdDef)> {
    let chain = parent_chain(def, kind);
    let mut out = Vec::new();
    if !chain.is_empty() && d.chance(80) {
        let len = if d.chance(60) {
            chain.len()
        } else {
            d.range(1, chain.len())
        };
        for name in chain.iter().take(len) {
            // Half the time an id some rule written in that kind names.
            let named = ids_named_in(def, name);
            let id = match d.pick(&named) {
                Some(id) if d.chance(50) => id.clone(),
                _ => gen_id(d, kind_named(def, name)),
            };
            out.push((name.clone(), id));
        }
    }
    if d.chance(6) {
        let kinds: Vec<String> = def.kinds.iter().map(|(k, _)| k.to_owned()).collect();
        match d.below(3) {
            // An ancestor of another kind than the chain has there.
            0 => {
                let at = d.below(out.len() + 1).min(chain.len());
                let expected = chain.get(at);
                let wrong: Vec<String> = kinds
                    .iter()
                    .filter(|k| Some(*k) != expected)
                    .cloned()
                    .collect();
                if let Some(w) = d.pick(&wrong).cloned() {
                    let wid = pool_id(kind_named(def, &w), d.below(ID_POOL + 1));
                    out.truncate(at);
                    out.push((w, wid));
                }
            }
            // Too many ancestors: one more than the chain, or past the limit.
            1 => {
                out = chain
                    .iter()
                    .map(|n| (n.clone(), pool_id(kind_named(def, n), 0)))
                    .collect();
                let extra = if d.chance(30) {
                    accessmask::MAX_ANCESTORS + 1 - out.len()
                } else {
                    1
                };
                for _ in 0..extra {
                    let k = d.pick(&kinds).cloned().unwrap_or_default();
                    let kid = pool_id(kind_named(def, &k), 0);
                    out.push((k, kid));
                }
            }
            // An id of the wrong type, the instance's own or an ancestor's.
            _ => {
                let i = d.below(ID_POOL + 1);
                match d.below(out.len() + 1).checked_sub(1) {
                    Some(at) => {
                        if let Some((k, slot)) = out.get_mut(at) {
                            *slot = mistyped_id(kind_named(def, k), i);
                        }
                    }
                    None => *id = Some(mistyped_id(kind_named(def, kind), i)),
                }
            }
        }
    }
    out
}

fn gen_queries(d: &mut Draw, def: &PolicyDef) -> Vec<Ask> {
    let subjects: Vec<(&str, &SubjectDef)> = def.subjects.iter().collect();
    let kinds: Vec<(&str, &KindDef)> = def.kinds.iter().collect();
    let mut out = Vec::with_capacity(QUERIES);
    for _ in 0..QUERIES {
        let (Some(&(subject, sdef)), Some(&(kind, kdef))) = (d.pick(&subjects), d.pick(&kinds))
        else {
            break;
        };
        let action = d.pick(&kdef.actions).cloned().unwrap_or_default();
        let mut id = d.chance(80).then(|| gen_id(d, kdef));
        let ancestors = gen_ancestors(d, def, kind, &mut id);
        let state = if !kdef.states.is_empty() && d.chance(50) {
            d.pick(&kdef.states).cloned()
        } else {
            None
        };
        let owner = match d.below(4) {
            0 => None,
            1 => Some(subject.to_owned()),
            2 if !sdef.manages.is_empty() => d.pick(&sdef.manages).cloned(),
            _ => d.pick(&subjects).map(|&(s, _)| s.to_owned()),
        };
        out.push(Ask {
            subject: subject.to_owned(),
            kind: kind.to_owned(),
            action,
            id,
            ancestors,
            state,
            owner,
        });
    }
    out
}

/// Asks one query of the compiled engine and of the reference; `Ok(can)` when
/// they agree, else a description of the disagreement.
fn check_one(policy: &Policy, def: &PolicyDef, ask: &Ask) -> Result<bool, String> {
    let q = ask.query();
    let subject = policy
        .subject(q.subject)
        .ok_or("engine does not know the subject")?;
    let kind = policy.kind(q.kind).ok_or("engine does not know the kind")?;
    let action = policy
        .action(q.kind, q.action)
        .ok_or("engine does not know the action")?;
    let mut resource = policy.resource(kind);
    match &q.id {
        Some(IdDef::Number(n)) => resource = resource.with_id(*n),
        Some(IdDef::String(s)) => resource = resource.with_instance(policy.instance(kind, s)),
        None => {}
    }
    for (name, id) in &q.ancestors {
        let ancestor = policy
            .kind(name)
            .ok_or("engine does not know the ancestor's kind")?;
        resource = resource.within(match id {
            IdDef::Number(n) => ancestor.instance(*n),
            IdDef::String(s) => policy.instance(ancestor, s),
        });
    }
    if let Some(state) = q.state {
        let state = policy
            .state(kind, state)
            .ok_or("engine does not know the state")?;
        resource = resource.with_state(state);
    }
    if let Some(owner) = q.owner {
        let owner = policy
            .subject(owner)
            .ok_or("engine does not know the owner")?;
        resource = resource.with_owner(owner);
    }
    check_resource(policy, def, subject, action, &resource, &q)
}

/// [`check_one`] once the resource is built.
fn check_resource(
    policy: &Policy,
    def: &PolicyDef,
    subject: accessmask::SubjectId,
    action: accessmask::ActionId,
    resource: &Resource,
    q: &Question<'_>,
) -> Result<bool, String> {
    let can = policy.can(subject, action, resource);
    let explanation = policy.explain(subject, action, resource);
    let expected = reference::is_allowed(def, q);
    if can != expected {
        return Err(format!(
            "can = {can}, reference::is_allowed = {expected}\nexplain:\n{explanation}"
        ));
    }
    let listed: Vec<String> = policy
        .allowed(subject, resource)
        .iter()
        .map(|n| n.to_string())
        .collect();
    let expected_list = reference::allowed_actions(def, q);
    if listed != expected_list {
        return Err(format!(
            "allowed = {listed:?}, reference::allowed_actions = {expected_list:?}"
        ));
    }
    if explanation.allowed() != can {
        return Err(format!(
            "explain().allowed() = {}, can = {can}\nexplain:\n{explanation}",
            explanation.allowed()
        ));
    }
    Ok(can)
}

/// The disagreement on `ask`, if the policy compiles and there is one.
fn disagreement(def: &PolicyDef, ask: &Ask) -> Option<String> {
    let policy = Policy::compile(def).ok()?;
    check_one(&policy, def, ask).err()
}

/// Compares the engine and the reference on every query. On the first
/// disagreement, the policy and query are minimised and described in the error.
fn compare(def: &PolicyDef, asks: &[Ask]) -> Result<usize, String> {
    let policy = Policy::compile(def).map_err(|e| {
        format!(
            "a generated policy failed to compile: {e}\npolicy: {}",
            serde_json::to_string(def).unwrap_or_default()
        )
    })?;
    let mut allowed = 0;
    for ask in asks {
        match check_one(&policy, def, ask) {
            Ok(can) => allowed += usize::from(can),
            Err(_) => {
                let (def, ask) = minimise(def.clone(), ask.clone());
                let why = disagreement(&def, &ask).unwrap_or_default();
                return Err(format!(
                    "engine and reference disagree (minimised case)\n{why}\nquery: {:?}\npolicy: {}",
                    ask.query(),
                    serde_json::to_string_pretty(&def).unwrap_or_default()
                ));
            }
        }
    }
    Ok(allowed)
}

/// Greedy structural minimisation: keeps applying one-step simplifications of
/// the query and of the policy while the policy still compiles and the engine
/// and the reference still disagree on the query.
fn minimise(mut def: PolicyDef, mut ask: Ask) -> (PolicyDef, Ask) {
    'outer: loop {
        for smaller in ask_simplifications(&ask) {
            if disagreement(&def, &smaller).is_some() {
                ask = smaller;
                continue 'outer;
            }
        }
        for smaller in simplifications(&def, &ask) {
            if disagreement(&smaller, &ask).is_some() {
                def = smaller;
                continue 'outer;
            }
        }
        return (def, ask);
    }
}

fn ask_simplifications(ask: &Ask) -> Vec<Ask> {
    let mut out = Vec::new();
    if !ask.ancestors.is_empty() {
        let mut fewer = ask.ancestors.clone();
        fewer.pop();
        out.push(Ask {
            ancestors: fewer,
            ..ask.clone()
        });
    }
    if ask.id.is_some() {
        out.push(Ask {
            id: None,
            ..ask.clone()
        });
    }
    if ask.state.is_some() {
        out.push(Ask {
            state: None,
            ..ask.clone()
        });
    }
    if ask.owner.is_some() {
        out.push(Ask {
            owner: None,
            ..ask.clone()
        });
    }
    out
}

fn kind_at(d: &mut PolicyDef, i: usize) -> Option<&mut KindDef> {
    d.kinds.0.get_mut(i).map(|(_, k)| k)
}

fn role_at(d: &mut PolicyDef, i: usize) -> Option<&mut RoleDef> {
    d.roles.0.get_mut(i).map(|(_, r)| r)
}

fn subject_at(d: &mut PolicyDef, i: usize) -> Option<&mut SubjectDef> {
    d.subjects.0.get_mut(i).map(|(_, s)| s)
}

/// The grants of role `i` (`is_role`) or of toggle `i`.
fn grants_at(d: &mut PolicyDef, is_role: bool, i: usize) -> Option<&mut NamedMap<GrantDef>> {
    if is_role {
        d.roles.0.get_mut(i).map(|(_, r)| &mut r.grants)
    } else {
        d.toggles.0.get_mut(i).map(|(_, t)| &mut t.grants)
    }
}

fn grant_at(d: &mut PolicyDef, is_role: bool, i: usize, g: usize) -> Option<&mut GrantDef> {
    grants_at(d, is_role, i)
        .and_then(|gs| gs.0.get_mut(g))
        .map(|(_, g)| g)
}

/// Drops every rule written `in` a kind that is no longer an ancestor of its
/// kind, and every `on_ancestor` prerequisite on one, so that a document whose
/// parents were cut still compiles.
fn prune_containment(d: &mut PolicyDef) {
    let chains: Vec<(String, Vec<String>)> = d
        .kinds
        .iter()
        .map(|(k, _)| (k.to_owned(), parent_chain(d, k)))
        .collect();
    let ok = |kind: &str, within: Option<&String>| {
        within.map_or(true, |w| {
            chains
                .iter()
                .any(|(k, chain)| k == kind && chain.contains(w))
        })
    };
    for (name, k) in d.kinds.0.iter_mut() {
        k.prerequisites
            .retain(|p| !p.on_ancestor || ok(name, Some(&p.kind)));
    }
    for (_, r) in d.roles.0.iter_mut() {
        r.exceptions.retain(|e| ok(&e.kind, e.within.as_ref()));
        r.restrictions.retain(|e| ok(&e.kind, e.within.as_ref()));
    }
    for (_, s) in d.subjects.0.iter_mut() {
        s.exceptions.retain(|e| ok(&e.kind, e.within.as_ref()));
        s.restrictions.retain(|e| ok(&e.kind, e.within.as_ref()));
    }
}

/// Removes element `i` of `v`, if there is one.
fn drop_at<T>(v: &mut Vec<T>, i: usize) {
    if i < v.len() {
        v.remove(i);
    }
}

/// One-step simplifications of a policy (some may not compile; the caller
/// discards those).
fn simplifications(def: &PolicyDef, ask: &Ask) -> Vec<PolicyDef> {
    let mut out = Vec::new();
    let mut edit = |f: &dyn Fn(&mut PolicyDef)| {
        let mut d = def.clone();
        f(&mut d);
        if d != *def {
            out.push(d);
        }
    };

    // Whole items, with the references to them.
    for (name, _) in def.subjects.iter() {
        if name == ask.subject || Some(name) == ask.owner.as_deref() {
            continue;
        }
        edit(&|d| {
            d.subjects.remove(name);
            for (_, s) in d.subjects.0.iter_mut() {
                s.manages.retain(|m| m != name);
            }
        });
    }
    for (name, _) in def.kinds.iter() {
        if name == ask.kind || ask.ancestors.iter().any(|(k, _)| k == name) {
            continue;
        }
        edit(&|d| {
            d.kinds.remove(name);
            for (_, k) in d.kinds.0.iter_mut() {
                if k.parent.as_deref() == Some(name) {
                    k.parent = None;
                }
            }
            prune_containment(d);
            for (_, k) in d.kinds.0.iter_mut() {
                k.prerequisites.retain(|p| p.kind != name);
            }
            let grants = d.roles.0.iter_mut().map(|(_, r)| &mut r.grants);
            for g in grants.chain(d.toggles.0.iter_mut().map(|(_, t)| &mut t.grants)) {
                g.remove(name);
            }
            for (_, r) in d.roles.0.iter_mut() {
                r.remove.remove(name);
                r.exceptions.retain(|e| e.kind != name);
                r.restrictions.retain(|e| e.kind != name);
            }
            for (_, s) in d.subjects.0.iter_mut() {
                s.levels.remove(name);
                s.exceptions.retain(|e| e.kind != name);
                s.restrictions.retain(|e| e.kind != name);
            }
        });
    }
    for (name, _) in def.roles.iter() {
        edit(&|d| {
            let base = d.roles.get(name).and_then(|r| r.base.clone());
            d.roles.remove(name);
            for (_, r) in d.roles.0.iter_mut() {
                if r.base.as_deref() == Some(name) {
                    r.base.clone_from(&base);
                }
            }
            for (_, k) in d.kinds.0.iter_mut() {
                for rule in &mut k.state_rules {
                    rule.unless_roles.retain(|r| r != name);
                }
            }
        });
    }
    for (name, _) in def.toggles.iter() {
        edit(&|d| {
            d.toggles.remove(name);
            for (_, s) in d.subjects.0.iter_mut() {
                s.toggles.retain(|t| t != name);
            }
            for (_, k) in d.kinds.0.iter_mut() {
                for rule in &mut k.state_rules {
                    rule.unless_toggles.retain(|t| t != name);
                }
            }
        });
    }

    // Parts of kinds.
    for (ki, (_, kind)) in def.kinds.0.iter().enumerate() {
        edit(&|d| {
            if let Some(k) = kind_at(d, ki) {
                k.available = true;
            }
        });
        if kind.parent.is_some() {
            edit(&|d| {
                if let Some(k) = kind_at(d, ki) {
                    k.parent = None;
                }
                prune_containment(d);
            });
        }
        for i in 0..kind.state_rules.len() {
            edit(&|d| {
                if let Some(k) = kind_at(d, ki) {
                    drop_at(&mut k.state_rules, i);
                }
            });
            let rule = kind.state_rules.get(i).cloned().unwrap_or_default();
            for j in 0..rule.hold.len() {
                edit(&|d| {
                    if let Some(r) = kind_at(d, ki).and_then(|k| k.state_rules.get_mut(i)) {
                        drop_at(&mut r.hold, j);
                    }
                });
            }
            edit(&|d| {
                if let Some(r) = kind_at(d, ki).and_then(|k| k.state_rules.get_mut(i)) {
                    r.unless_roles.clear();
                    r.unless_toggles.clear();
                }
            });
        }
        for i in 0..kind.prerequisites.len() {
            edit(&|d| {
                if let Some(k) = kind_at(d, ki) {
                    drop_at(&mut k.prerequisites, i);
                }
            });
        }
        for i in 0..kind.needs.len() {
            edit(&|d| {
                if let Some(k) = kind_at(d, ki) {
                    drop_at(&mut k.needs.0, i);
                }
            });
        }
        for (i, (_, needed)) in kind.needs.0.iter().enumerate() {
            for j in 0..needed.len() {
                edit(&|d| {
                    if let Some((_, n)) = kind_at(d, ki).and_then(|k| k.needs.0.get_mut(i)) {
                        drop_at(n, j);
                    }
                });
            }
        }
        for i in 0..kind.levels.len() {
            edit(&|d| {
                if let Some(k) = kind_at(d, ki) {
                    drop_at(&mut k.levels.0, i);
                }
            });
        }
        for i in 0..kind.states.len() {
            let state = kind.states.get(i).cloned().unwrap_or_default();
            if Some(&state) == ask.state.as_ref() {
                continue;
            }
            edit(&|d| {
                if let Some(k) = kind_at(d, ki) {
                    drop_at(&mut k.states, i);
                    k.state_rules.retain(|r| r.state != state);
                }
            });
        }
    }

    // Parts of grants (roles' and toggles').
    let grant_sets: Vec<(bool, usize, &NamedMap<GrantDef>)> = def
        .roles
        .0
        .iter()
        .enumerate()
        .map(|(i, (_, r))| (true, i, &r.grants))
        .chain(
            def.toggles
                .0
                .iter()
                .enumerate()
                .map(|(i, (_, t))| (false, i, &t.grants)),
        )
        .collect();
    for (is_role, owner, grants) in grant_sets {
        for (gi, (_, grant)) in grants.0.iter().enumerate() {
            edit(&|d| {
                if let Some(gs) = grants_at(d, is_role, owner) {
                    drop_at(&mut gs.0, gi);
                }
            });
            edit(&|d| {
                if let Some(g) = grant_at(d, is_role, owner, gi) {
                    g.level = None;
                }
            });
            for j in 0..grant.actions.len() {
                edit(&|d| {
                    if let Some(g) = grant_at(d, is_role, owner, gi) {
                        drop_at(&mut g.actions, j);
                    }
                });
            }
            for j in 0..grant.own.len() {
                edit(&|d| {
                    if let Some(g) = grant_at(d, is_role, owner, gi) {
                        drop_at(&mut g.own, j);
                    }
                });
            }
            for j in 0..grant.managed.len() {
                edit(&|d| {
                    if let Some(g) = grant_at(d, is_role, owner, gi) {
                        drop_at(&mut g.managed, j);
                    }
                });
            }
        }
    }

    // Parts of roles.
    for (ri, (_, role)) in def.roles.0.iter().enumerate() {
        edit(&|d| {
            if let Some(r) = role_at(d, ri) {
                r.base = None;
            }
        });
        for i in 0..role.remove.len() {
            edit(&|d| {
                if let Some(r) = role_at(d, ri) {
                    drop_at(&mut r.remove.0, i);
                }
            });
        }
        for i in 0..role.exceptions.len() {
            edit(&|d| {
                if let Some(r) = role_at(d, ri) {
                    drop_at(&mut r.exceptions, i);
                }
            });
            let e = role.exceptions.get(i).cloned().unwrap_or_default();
            for j in 0..e.allow.len() {
                edit(&|d| {
                    if let Some(e) = role_at(d, ri).and_then(|r| r.exceptions.get_mut(i)) {
                        drop_at(&mut e.allow, j);
                    }
                });
            }
            for j in 0..e.deny.len() {
                edit(&|d| {
                    if let Some(e) = role_at(d, ri).and_then(|r| r.exceptions.get_mut(i)) {
                        drop_at(&mut e.deny, j);
                    }
                });
            }
        }
        for i in 0..role.restrictions.len() {
            edit(&|d| {
                if let Some(r) = role_at(d, ri) {
                    drop_at(&mut r.restrictions, i);
                }
            });
            let x = role.restrictions.get(i).cloned().unwrap_or_default();
            for j in 0..x.actions.len() {
                edit(&|d| {
                    if let Some(x) = role_at(d, ri).and_then(|r| r.restrictions.get_mut(i)) {
                        drop_at(&mut x.actions, j);
                    }
                });
            }
            for j in 0..x.ids.len() {
                edit(&|d| {
                    if let Some(x) = role_at(d, ri).and_then(|r| r.restrictions.get_mut(i)) {
                        drop_at(&mut x.ids, j);
                    }
                });
            }
        }
    }

    // Parts of subjects.
    for (si, (_, subject)) in def.subjects.0.iter().enumerate() {
        for i in 0..subject.toggles.len() {
            edit(&|d| {
                if let Some(s) = subject_at(d, si) {
                    drop_at(&mut s.toggles, i);
                }
            });
        }
        for i in 0..subject.levels.len() {
            edit(&|d| {
                if let Some(s) = subject_at(d, si) {
                    drop_at(&mut s.levels.0, i);
                }
            });
        }
        for i in 0..subject.exceptions.len() {
            edit(&|d| {
                if let Some(s) = subject_at(d, si) {
                    drop_at(&mut s.exceptions, i);
                }
            });
        }
        for i in 0..subject.restrictions.len() {
            edit(&|d| {
                if let Some(s) = subject_at(d, si) {
                    drop_at(&mut s.restrictions, i);
                }
            });
        }
        for i in 0..subject.manages.len() {
            edit(&|d| {
                if let Some(s) = subject_at(d, si) {
                    drop_at(&mut s.manages, i);
                }
            });
        }
    }
    out
}

fn streams() -> impl Strategy<Value = (Vec<u32>, Vec<u32>)> {
    (
        vec(any::<u32>(), POLICY_STREAM),
        vec(any::<u32>(), QUERY_STREAM),
    )
}

fn decode(policy_stream: &[u32], query_stream: &[u32]) -> (PolicyDef, Vec<Ask>) {
    let def = gen_contained_policy(&mut Draw::new(policy_stream));
    let asks = gen_queries(&mut Draw::new(query_stream), &def);
    (def, asks)
}

proptest! {
    #![proptest_config(Config {
        cases: cases(),
        failure_persistence: None,
        // The streams shrink poorly; `compare` minimises the policy itself.
        max_shrink_iters: 0,
        ..Config::default()
    })]

    #[test]
    fn engine_matches_reference((policy_stream, query_stream) in streams()) {
        let (def, asks) = decode(&policy_stream, &query_stream);
        if let Err(e) = compare(&def, &asks) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// The distinct features a policy uses (out of 22).
fn features(def: &PolicyDef) -> usize {
    let kinds = || def.kinds.iter().map(|(_, k)| k);
    let roles = || def.roles.iter().map(|(_, r)| r);
    let subjects = || def.subjects.iter().map(|(_, s)| s);
    let grants = || {
        roles().flat_map(|r| r.grants.iter().map(|(_, g)| g)).chain(
            def.toggles
                .iter()
                .flat_map(|(_, t)| t.grants.iter().map(|(_, g)| g)),
        )
    };
    let exceptions = || roles().flat_map(|r| r.exceptions.iter());
    let own_exceptions = || subjects().flat_map(|s| s.exceptions.iter());
    [
        kinds().any(|k| !k.needs.is_empty()),
        kinds().any(|k| !k.levels.is_empty()),
        kinds().any(|k| !k.state_rules.is_empty()),
        kinds().any(|k| !k.prerequisites.is_empty()),
        kinds().any(|k| !k.available),
        roles().any(|r| r.base.is_some()),
        roles().any(|r| !r.remove.is_empty()),
        grants().any(|g| g.level.is_some()),
        grants().any(|g| g.actions.iter().any(|a| a == "*")),
        grants().any(|g| !g.own.is_empty()),
        grants().any(|g| !g.managed.is_empty()),
        exceptions().any(|e| e.level.is_some()),
        exceptions().any(|e| !e.allow.is_empty() || !e.deny.is_empty()),
        roles().any(|r| !r.restrictions.is_empty()),
        def.toggles.iter().any(|(_, t)| !t.grants.is_empty()),
        subjects().any(|s| !s.toggles.is_empty()),
        subjects().any(|s| !s.levels.is_empty()),
        own_exceptions().any(|e| e.level.is_some()),
        own_exceptions().any(|e| !e.allow.is_empty() || !e.deny.is_empty()),
        subjects().any(|s| !s.restrictions.is_empty()),
        subjects().any(|s| !s.manages.is_empty()),
        kinds().any(|k| {
            k.state_rules
                .iter()
                .any(|r| !r.unless_roles.is_empty() || !r.unless_toggles.is_empty())
        }),
    ]
    .iter()
    .filter(|&&b| b)
    .count()
}

/// The containment features a policy uses, as flags: a parent chain, a chain of
/// two or more, a string-id kind, an exception written `in` an ancestor (a
/// role's, a subject's), a restriction written `in` one, an `on_ancestor`
/// prerequisite, a derived role's exception replacing an inherited one on the
/// same key written `in` an ancestor, one layer with rules on one kind at two
/// depths (so that their order decides), an `on_ancestor` prerequisite on an
/// ancestor that has one itself.
const CONTAINMENT_FEATURES: [&str; 10] = [
    "parent",
    "chain of 2+",
    "string ids",
    "role exception in",
    "subject exception in",
    "restriction in",
    "on_ancestor",
    "derived replaces in",
    "two depths in a layer",
    "nested on_ancestor",
];

fn containment_features(def: &PolicyDef) -> [bool; 10] {
    let kinds = || def.kinds.iter();
    let roles = || def.roles.iter().map(|(_, r)| r);
    let subjects = || def.subjects.iter().map(|(_, s)| s);
    // Any base up the chain (generated chains are acyclic and short).
    let bases = |role: &RoleDef| {
        std::iter::successors(role.base.as_ref().and_then(|b| def.roles.get(b)), |r| {
            r.base.as_ref().and_then(|b| def.roles.get(b))
        })
        .take(def.roles.len())
    };
    let replaced = roles().any(|r| {
        r.exceptions.iter().filter(|e| e.within.is_some()).any(|e| {
            bases(r).any(|b| {
                b.exceptions
                    .iter()
                    .any(|x| x.kind == e.kind && x.within == e.within && x.id == e.id)
            })
        })
    });
    [
        kinds().any(|(_, k)| k.parent.is_some()),
        kinds().any(|(k, _)| parent_chain(def, k).len() >= 2),
        kinds().any(|(_, k)| k.ids == IdType::String),
        roles().any(|r| r.exceptions.iter().any(|e| e.within.is_some())),
        subjects().any(|s| s.exceptions.iter().any(|e| e.within.is_some())),
        roles()
            .flat_map(|r| r.restrictions.iter())
            .chain(subjects().flat_map(|s| s.restrictions.iter()))
            .any(|r| r.within.is_some()),
        kinds().any(|(_, k)| k.prerequisites.iter().any(|p| p.on_ancestor)),
        replaced,
        roles()
            .map(|r| (&r.exceptions, &r.restrictions))
            .chain(subjects().map(|s| (&s.exceptions, &s.restrictions)))
            .any(|(es, rs)| {
                let places: Vec<(&String, &Option<String>)> = es
                    .iter()
                    .map(|e| (&e.kind, &e.within))
                    .chain(rs.iter().map(|r| (&r.kind, &r.within)))
                    .collect();
                places
                    .iter()
                    .any(|(k, w)| w.is_some() && places.iter().any(|(k2, w2)| k2 == k && w2 != w))
            }),
        kinds().any(|(_, k)| {
            k.prerequisites.iter().filter(|p| p.on_ancestor).any(|p| {
                def.kinds
                    .get(&p.kind)
                    .is_some_and(|a| a.prerequisites.iter().any(|q| q.on_ancestor))
            })
        }),
    ]
}

/// What a query exercises: ancestors given, a string id (own or ancestor's), a
/// near miss, an inconsistent resource (as the reference sees it: it denies every
/// action, although the subject holds some action on the kind-wide resource).
fn query_features(def: &PolicyDef, ask: &Ask) -> [bool; 4] {
    let chain = parent_chain(def, &ask.kind);
    let string = |id: &IdDef| matches!(id, IdDef::String(_));
    let near = |id: &IdDef| matches!(id, IdDef::String(s) if NEAR_MISSES.contains(&s.as_str()));
    let fits = |kind: &str, id: &IdDef| {
        def.kinds
            .get(kind)
            .is_some_and(|k| (k.ids == IdType::String) == string(id))
    };
    let invalid = ask.ancestors.len() > chain.len()
        || ask
            .ancestors
            .iter()
            .zip(&chain)
            .any(|((k, id), c)| k != c || !fits(k, id))
        || ask.id.as_ref().is_some_and(|id| !fits(&ask.kind, id));
    [
        !ask.ancestors.is_empty(),
        ask.id
            .iter()
            .chain(ask.ancestors.iter().map(|(_, id)| id))
            .any(string),
        ask.id
            .iter()
            .chain(ask.ancestors.iter().map(|(_, id)| id))
            .any(near),
        invalid,
    ]
}

#[test]
fn generation_stats() {
    const POLICIES: usize = 200;
    let mut runner = TestRunner::deterministic();
    let strategy = streams();
    let (mut queries, mut allowed, mut feature_sum) = (0usize, 0usize, 0usize);
    let mut listed_sum = 0usize;
    let mut max_draws = 0usize;
    let mut max_query_draws = 0usize;
    let mut policy_has = [0usize; 10];
    let mut query_has = [0usize; 4];
    let mut allowed_within = (0usize, 0usize);
    for _ in 0..POLICIES {
        let (policy_stream, query_stream) = strategy
            .new_tree(&mut runner)
            .expect("strategy generates")
            .current();
        let mut draw = Draw::new(&policy_stream);
        let def = gen_contained_policy(&mut draw);
        max_draws = max_draws.max(draw.pos);
        assert!(
            draw.pos <= POLICY_STREAM,
            "a policy needed {} draws, more than the {POLICY_STREAM} generated",
            draw.pos
        );
        let mut qdraw = Draw::new(&query_stream);
        let asks = gen_queries(&mut qdraw, &def);
        assert!(
            qdraw.pos <= QUERY_STREAM,
            "queries needed {} draws",
            qdraw.pos
        );
        max_query_draws = max_query_draws.max(qdraw.pos);
        feature_sum += features(&def);
        for (n, has) in policy_has.iter_mut().zip(containment_features(&def)) {
            *n += usize::from(has);
        }
        for ask in &asks {
            queries += 1;
            let yes = reference::is_allowed(&def, &ask.query());
            allowed += usize::from(yes);
            listed_sum += reference::allowed_actions(&def, &ask.query()).len();
            let has = query_features(&def, ask);
            for (n, h) in query_has.iter_mut().zip(has) {
                *n += usize::from(h);
            }
            if has[0] && !has[3] {
                allowed_within.0 += 1;
                allowed_within.1 += usize::from(yes);
            }
        }
    }
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    let policy_shares: Vec<String> = CONTAINMENT_FEATURES
        .iter()
        .zip(policy_has)
        .map(|(name, n)| format!("{name} {:.0}%", pct(n, POLICIES)))
        .collect();
    eprintln!(
        "containment: policies with {}; queries with ancestors {:.1}%, string ids {:.1}%, near misses {:.1}%, inconsistent {:.1}%; {:.1}% of consistent queries with ancestors allowed; at most {max_query_draws} of {QUERY_STREAM} query draws used",
        policy_shares.join(", "),
        pct(query_has[0], queries),
        pct(query_has[1], queries),
        pct(query_has[2], queries),
        pct(query_has[3], queries),
        pct(allowed_within.1, allowed_within.0),
    );
    let share = allowed as f64 / queries as f64;
    eprintln!(
        "differential generator: {:.1}% of {queries} queries allowed, {:.2} actions allowed per query, {:.1} of 22 features per policy on average, at most {max_draws} of {POLICY_STREAM} draws used",
        share * 100.0,
        listed_sum as f64 / queries as f64,
        feature_sum as f64 / POLICIES as f64,
    );
    assert!(
        (0.15..=0.65).contains(&share),
        "allowed share {share} out of the useful range"
    );
    for (name, n) in CONTAINMENT_FEATURES.iter().zip(policy_has) {
        assert!(
            (2.0..=95.0).contains(&pct(n, POLICIES)),
            "containment feature {name:?} in {n} of {POLICIES} policies"
        );
    }
    for (name, n) in ["ancestors", "string ids", "near misses", "inconsistent"]
        .iter()
        .zip(query_has)
    {
        assert!(
            (1.0..=60.0).contains(&pct(n, queries)),
            "queries with {name}: {n} of {queries}"
        );
    }
}
