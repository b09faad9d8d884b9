//! Invariant properties of the compiled engine, over random *valid* policies that
//! use every feature together (implications, including cycles; ordered levels;
//! states and state rules; prerequisites; unavailable kinds; base-role chains;
//! level, scoped and `"*"` grants; `remove`; role and subject exceptions, both
//! level and allow/deny, and restrictions; toggles; explicit levels; managed
//! subjects; admin rules; and containment: parent chains, string ids, exceptions
//! and restrictions written `in` an ancestor, `on_ancestor` prerequisites):
//!
//! - `closed_under_implications`: every `allowed(..)` set (and every role's
//!   `role_allowed`) holds everything its actions `need`, transitively (the
//!   closure is computed here from the document, not taken from the engine);
//! - `adding_a_grant_never_removes` / `adding_a_deny_never_adds`: an action added
//!   to a role's or toggle's grants (any scope) leaves every answer a superset; a
//!   deny added to a role's or subject's exception, or to a role's `remove`,
//!   leaves every answer a subset;
//! - `user_exception_beats_role_exception`: on the same `(kind, id)`, a subject's
//!   exception decides an action over its role's (or an inherited) exception;
//! - `exceptions_never_reopen_state_rules_or_prerequisites`: an action held back
//!   by a state rule, or whose prerequisite is unmet, stays denied whatever
//!   exceptions (allow, level) and restrictions allow it;
//! - `explain_agrees_with_can`: on every subject x action x resource;
//! - `serde_round_trip_keeps_every_answer`: document -> compile ->
//!   `to_definition` -> JSON -> `PolicyDef` -> compile answers exactly as before;
//! - `who_can_is_exactly_the_subjects_that_can`;
//! - `an_ancestor_deny_never_reopens`: an exception written `in` an ancestor
//!   with `deny` (a new one, or added to the one in force) leaves every answer a
//!   subset;
//! - `own_exception_beats_ancestor_exceptions`: with a subject's level exception
//!   on an instance, the subject's exceptions written in that instance's ancestors
//!   change nothing on it: the answer is the level's actions, less only what
//!   prerequisites and state rules take;
//! - `a_prerequisite_on_the_parent_never_grants`: adding an `on_ancestor`
//!   prerequisite leaves every answer a subset.
//!
//! "Every resource" is every kind x id (none, the ids exceptions use, an id
//! nothing names, and `u64::MAX` or the near miss `"S0"` by the kind's id type) x
//! ancestors (none, and prefixes of the kind's chain with a few id patterns) x
//! state (none or each) x owner (none or each subject; with ancestors, none
//! only: owners bear on step 4, which ancestors do not touch). The containment
//! properties give a kind a parent when the generated policy has none.
//!
//! Cases: by default 192 policies per property, 512 for the three constructed
//! exception properties (they ask few questions) and 48 for the explain property
//! (it explains every question, which is slow); about 40 s of CPU in a debug
//! build, about 25 s on two cores. Set `ACCESSMASK_PROPTEST_CASES=N` to run N
//! policies per property (N/4 for explain), for example
//! `ACCESSMASK_PROPTEST_CASES=20000 cargo test --release --test invariants`.
//! Failures print the policy as JSON; no regression file is written.

// Test helpers outside `#[test]` functions may fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use accessmask::{
    ExceptionDef, GrantDef, IdDef, KindDef, Policy, PolicyDef, PrerequisiteDef, Resource,
    RestrictionDef, StateRuleDef,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Instance ids used by generated exceptions and restrictions are `0..ID_POOL`.
const ID_POOL: u64 = policygen::ID_POOL as u64;
/// Length of the random stream a policy is decoded from (more than it needs).
const POLICY_STREAM: usize = 2000;
/// Length of the random stream a mutation is decoded from.
const EDIT_STREAM: usize = 128;

fn cases(default: u32, divisor: u32) -> u32 {
    std::env::var("ACCESSMASK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .map_or(default, |n| (n / divisor).max(1))
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        // The streams shrink poorly; failures print the whole policy instead.
        max_shrink_iters: 0,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Random choices and the policy generator
// ---------------------------------------------------------------------------

#[path = "common/policygen.rs"]
mod policygen;
use policygen::*;

fn streams() -> impl Strategy<Value = (Vec<u32>, Vec<u32>)> {
    (
        vec(any::<u32>(), POLICY_STREAM),
        vec(any::<u32>(), EDIT_STREAM),
    )
}

fn json(def: &PolicyDef) -> String {
    serde_json::to_string(def).unwrap_or_default()
}

/// Compiles a document the generator or a test edit made: it must be valid.
fn compiled(def: &PolicyDef) -> Result<Policy, TestCaseError> {
    Policy::compile(def).map_err(|e| {
        TestCaseError::fail(format!(
            "a generated policy failed to compile: {e}\npolicy: {}",
            json(def)
        ))
    })
}

// ---------------------------------------------------------------------------
// Questions by name, so that two compiled policies can be asked the same thing
// ---------------------------------------------------------------------------

/// A resource by names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spot {
    kind: String,
    id: Option<IdDef>,
    /// `(kind, id)`, parent first.
    ancestors: Vec<(String, IdDef)>,
    state: Option<String>,
    owner: Option<String>,
}

/// An instance of `kind`, by its id as a document writes it.
fn instance(policy: &Policy, kind: accessmask::KindId, id: &IdDef) -> accessmask::Instance {
    match id {
        IdDef::Number(n) => kind.instance(*n),
        IdDef::String(s) => policy.instance(kind, s),
    }
}

impl Spot {
    fn resolve(&self, policy: &Policy) -> Resource {
        let kind = policy.kind(&self.kind).expect("known kind");
        let mut r = policy.resource(kind);
        match &self.id {
            Some(IdDef::Number(n)) => r = r.with_id(*n),
            Some(id) => r = r.with_instance(instance(policy, kind, id)),
            None => {}
        }
        for (name, id) in &self.ancestors {
            let k = policy.kind(name).expect("known ancestor kind");
            r = r.within(instance(policy, k, id));
        }
        if let Some(state) = &self.state {
            r = r.with_state(policy.state(kind, state).expect("known state"));
        }
        if let Some(owner) = &self.owner {
            r = r.with_owner(policy.subject(owner).expect("known owner"));
        }
        r
    }
}

/// The ids every resource list asks about, of the kind's id type: the pool (the
/// last named by no rule), a fresh id, and `u64::MAX` or a near miss of `"s0"`.
fn ids(kind: &KindDef) -> Vec<Option<IdDef>> {
    let mut v = vec![None];
    v.extend((0..=ID_POOL as usize).map(|i| Some(pool_id(kind, i))));
    v.push(Some(fresh_id(kind)));
    v.push(Some(match kind.ids {
        accessmask::IdType::Number => IdDef::Number(u64::MAX),
        accessmask::IdType::String => IdDef::from(NEAR_MISSES[0]),
    }));
    v
}

/// The ancestors every resource list asks about: none, and each prefix of the
/// kind's chain with three id patterns (named ids at every depth, the parent's id
/// named by no rule, and shifted).
fn ancestor_choices(def: &PolicyDef, kind: &str) -> Vec<Vec<(String, IdDef)>> {
    let chain = parent_chain(def, kind);
    let mut out = vec![Vec::new()];
    for len in 1..=chain.len() {
        for shift in [0, 2, ID_POOL as usize] {
            out.push(
                chain
                    .iter()
                    .take(len)
                    .enumerate()
                    .map(|(depth, a)| {
                        let i = (shift + depth) % (ID_POOL as usize + 1);
                        (a.clone(), pool_id(kind_named(def, a), i))
                    })
                    .collect(),
            );
        }
    }
    out
}

/// Every resource of `kind`: id x ancestors x state x owner.
fn spots_of(def: &PolicyDef, kind: &str) -> Vec<Spot> {
    let k = kind_named(def, kind);
    let states: Vec<Option<String>> = std::iter::once(None)
        .chain(k.states.iter().cloned().map(Some))
        .collect();
    let owners: Vec<Option<String>> = std::iter::once(None)
        .chain(def.subjects.iter().map(|(n, _)| Some(n.to_owned())))
        .collect();
    let mut out = Vec::new();
    for id in ids(k) {
        for ancestors in ancestor_choices(def, kind) {
            // Owners bear on step 4 alone, which ancestors do not touch: with
            // ancestors, only no owner (fewer questions, same coverage of step 5).
            let owners = if ancestors.is_empty() {
                &owners[..]
            } else {
                &owners[..1]
            };
            for state in &states {
                for owner in owners {
                    out.push(Spot {
                        kind: kind.to_owned(),
                        id: id.clone(),
                        ancestors: ancestors.clone(),
                        state: state.clone(),
                        owner: owner.clone(),
                    });
                }
            }
        }
    }
    out
}

fn all_spots(def: &PolicyDef) -> Vec<Spot> {
    def.kinds
        .iter()
        .flat_map(|(k, _)| spots_of(def, k))
        .collect()
}

/// Every subject's allowed mask on every resource, by names, in document order.
fn answers(policy: &Policy, def: &PolicyDef) -> Vec<(String, Spot, u64)> {
    let spots = all_spots(def);
    let mut out = Vec::new();
    for (name, _) in def.subjects.iter() {
        let s = policy.subject(name).expect("known subject");
        for spot in &spots {
            let bits = policy.allowed(s, &spot.resolve(policy)).bits();
            out.push((name.to_owned(), spot.clone(), bits));
        }
    }
    out
}

/// `down[i]`: action `i` and everything it needs, transitively, from the
/// document's `needs` (independently of the engine's own closure).
fn needs_closure(kind: &KindDef) -> Vec<u64> {
    let index = |a: &str| kind.actions.iter().position(|x| x == a);
    let n = kind.actions.len();
    let mut down: Vec<u64> = (0..n).map(|i| 1u64 << i).collect();
    for (a, needed) in kind.needs.iter() {
        let i = index(a).expect("known action");
        for b in needed {
            down[i] |= 1u64 << index(b).expect("known action");
        }
    }
    loop {
        let mut changed = false;
        for i in 0..n {
            let mut m = down[i];
            for (j, dj) in down.iter().enumerate() {
                if m & (1u64 << j) != 0 {
                    m |= dj;
                }
            }
            if m != down[i] {
                down[i] = m;
                changed = true;
            }
        }
        if !changed {
            return down;
        }
    }
}

/// The first action of `bits` whose needs are not all in `bits`.
fn not_closed(down: &[u64], bits: u64) -> Option<usize> {
    (0..down.len()).find(|&i| bits & (1u64 << i) != 0 && down[i] & !bits != 0)
}

fn action_bit(def: &PolicyDef, kind: &str, action: &str) -> u64 {
    let i = kind_named(def, kind)
        .actions
        .iter()
        .position(|a| a == action)
        .expect("known action");
    1u64 << i
}

/// The roles `role` derives from, nearest first (not `role` itself).
fn base_roles(def: &PolicyDef, role: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = def.roles.get(role).and_then(|r| r.base.clone());
    while let Some(b) = cur {
        cur = def.roles.get(&b).and_then(|r| r.base.clone());
        out.push(b);
    }
    out
}

/// Whether no action `x` needs (itself included) has a prerequisite on its kind.
fn prerequisite_free(def: &PolicyDef, kind: &str, x: &str) -> bool {
    let k = kind_named(def, kind);
    let down = needs_closure(k);
    let xi = k.actions.iter().position(|a| a == x).expect("known action");
    k.prerequisites.iter().all(|p| {
        let pi = k
            .actions
            .iter()
            .position(|a| *a == p.action)
            .expect("known");
        down[xi] & (1u64 << pi) == 0
    })
}

// ---------------------------------------------------------------------------
// Edits
// ---------------------------------------------------------------------------

/// Adds one action to a role's or toggle's grants on one kind, in one scope.
/// Returns a description of the edit.
fn add_grant(d: &mut Draw, def: &mut PolicyDef) -> String {
    let kind_names: Vec<String> = def.kinds.iter().map(|(k, _)| k.to_owned()).collect();
    let kind = d.pick(&kind_names).cloned().expect("a kind");
    let action = d
        .pick(&kind_named(def, &kind).actions)
        .cloned()
        .expect("an action");
    let to_toggle = !def.toggles.is_empty() && d.chance(25);
    let scope = d.below(4);
    let (holder, grants) = if to_toggle {
        let i = d.below(def.toggles.len());
        let (name, toggle) = &mut def.toggles.0[i];
        (format!("toggle {name}"), &mut toggle.grants)
    } else {
        let i = d.below(def.roles.len());
        let (name, role) = &mut def.roles.0[i];
        (format!("role {name}"), &mut role.grants)
    };
    if grants.get(&kind).is_none() {
        grants.insert(kind.clone(), GrantDef::default());
    }
    let g = grants.get_mut(&kind).expect("just inserted");
    let list = match scope {
        0 | 1 => &mut g.actions,
        2 => &mut g.own,
        _ => &mut g.managed,
    };
    if !list.contains(&action) {
        list.push(action.clone());
    }
    let scope = ["any", "any", "own", "managed"][scope];
    format!("grant {kind}.{action} ({scope}) to {holder}")
}

/// Whether `e` is the exception on `(kind, in within, id)`.
fn keyed(e: &ExceptionDef, kind: &str, within: Option<&str>, id: &IdDef) -> bool {
    e.kind == kind && e.within.as_deref() == within && e.id == *id
}

/// The exception of `role` on `(kind, in within, id)` in force: its own, or the
/// nearest base role's.
fn role_exception_in_force(
    def: &PolicyDef,
    role: &str,
    kind: &str,
    within: Option<&str>,
    id: &IdDef,
) -> Option<ExceptionDef> {
    std::iter::once(role.to_owned())
        .chain(base_roles(def, role))
        .find_map(|r| {
            def.roles
                .get(&r)?
                .exceptions
                .iter()
                .find(|e| keyed(e, kind, within, id))
                .cloned()
        })
}

/// Adds a deny without replacing anything: an action to a role's `remove`, or to
/// the deny list of a role's or subject's exception on one instance (a new
/// exception, or the one in force with the action added to its deny). Returns a
/// description of the edit.
fn add_deny(d: &mut Draw, def: &mut PolicyDef) -> String {
    let kind_names: Vec<String> = def.kinds.iter().map(|(k, _)| k.to_owned()).collect();
    let kind = d.pick(&kind_names).cloned().expect("a kind");
    let action = d
        .pick(&kind_named(def, &kind).actions)
        .cloned()
        .expect("an action");
    let id = pool_id(kind_named(def, &kind), d.below(ID_POOL as usize + 1));
    if d.below(3) == 0 {
        let i = d.below(def.roles.len());
        let remove = &mut def.roles.0[i].1.remove;
        match remove.get_mut(&kind) {
            Some(list) if list.contains(&action) => {}
            Some(list) => list.push(action.clone()),
            None => remove.insert(kind.clone(), vec![action.clone()]),
        }
        return format!("remove {kind}.{action} from role {}", def.roles.0[i].0);
    }
    deny_in_a_layer(d, def, &kind, None, &id, &action)
}

/// Adds `action` to the deny list of a role's or a subject's exception on
/// `(kind, in within, id)`: a new exception, or the one in force (the layer's own,
/// or for a role an inherited one) with the action added. Replaces nothing: a
/// level exception in force is left alone. Returns a description of the edit.
fn deny_in_a_layer(
    d: &mut Draw,
    def: &mut PolicyDef,
    kind: &str,
    within: Option<&str>,
    id: &IdDef,
    action: &str,
) -> String {
    let with_deny = |e: Option<ExceptionDef>| -> Option<ExceptionDef> {
        match e {
            None => Some(ExceptionDef {
                kind: kind.to_owned(),
                within: within.map(str::to_owned),
                id: id.clone(),
                deny: vec![action.to_owned()],
                ..ExceptionDef::default()
            }),
            Some(e) if e.level.is_some() => None,
            Some(mut e) => {
                if !e.deny.iter().any(|a| a == action) {
                    e.deny.push(action.to_owned());
                }
                Some(e)
            }
        }
    };
    let place = match within {
        Some(a) => format!("in {a} {id}"),
        None => format!("on id {id}"),
    };
    if d.chance(50) {
        let i = d.below(def.roles.len());
        let role = def.roles.0[i].0.clone();
        let Some(e) = with_deny(role_exception_in_force(def, &role, kind, within, id)) else {
            return "nothing (a level exception is in force)".into();
        };
        let list = &mut def.roles.0[i].1.exceptions;
        list.retain(|x| !keyed(x, kind, within, id));
        list.push(e);
        format!("deny {kind}.{action} {place} for role {role}")
    } else {
        let i = d.below(def.subjects.len());
        let list = &mut def.subjects.0[i].1.exceptions;
        let current = list.iter().find(|x| keyed(x, kind, within, id)).cloned();
        let Some(e) = with_deny(current) else {
            return "nothing (a level exception is in force)".into();
        };
        list.retain(|x| !keyed(x, kind, within, id));
        list.push(e);
        format!(
            "deny {kind}.{action} {place} for subject {}",
            def.subjects.0[i].0
        )
    }
}

/// Gives a kind a parent when no kind has one, so that the containment
/// properties always have an ancestor to work with (the generated policy has no
/// rule `in` any kind then, so it stays valid).
fn ensure_parent(def: &mut PolicyDef) {
    if def.kinds.iter().any(|(_, k)| k.parent.is_some()) {
        return;
    }
    let parent = def.kinds.0[0].0.clone();
    def.kinds.0[1].1.parent = Some(parent);
}

/// The kinds that have a parent.
fn contained_kinds(def: &PolicyDef) -> Vec<String> {
    def.kinds
        .iter()
        .filter(|(_, k)| k.parent.is_some())
        .map(|(n, _)| n.to_owned())
        .collect()
}

/// Adds a deny written in an ancestor: an action of a contained kind, denied on
/// its instances inside one ancestor instance, for a role or a subject.
fn add_ancestor_deny(d: &mut Draw, def: &mut PolicyDef) -> String {
    let kind = d
        .pick(&contained_kinds(def))
        .cloned()
        .expect("a kind with a parent");
    let chain = parent_chain(def, &kind);
    let within = d.pick(&chain).cloned().expect("an ancestor");
    let action = d
        .pick(&kind_named(def, &kind).actions)
        .cloned()
        .expect("an action");
    let id = pool_id(kind_named(def, &within), d.below(ID_POOL as usize + 1));
    deny_in_a_layer(d, def, &kind, Some(&within), &id, &action)
}

/// Adds an `on_ancestor` prerequisite to a contained kind (unless it would close
/// a prerequisite loop). Returns a description of the edit.
fn add_ancestor_prerequisite(d: &mut Draw, def: &mut PolicyDef) -> String {
    let kind = d
        .pick(&contained_kinds(def))
        .cloned()
        .expect("a kind with a parent");
    let chain = parent_chain(def, &kind);
    let ancestor = d.pick(&chain).cloned().expect("an ancestor");
    let other = kind_named(def, &ancestor).clone();
    let action = d
        .pick(&kind_named(def, &kind).actions)
        .cloned()
        .expect("an action");
    let level = if other.levels.is_empty() || d.chance(50) {
        None
    } else {
        Some(other.levels.0[d.below(other.levels.len())].0.clone())
    };
    let mut actions = d.subset(&other.actions, 30);
    let level_empty = level
        .as_ref()
        .and_then(|l| other.levels.get(l))
        .map_or(true, |l| l.is_empty());
    if level_empty && actions.is_empty() {
        actions.extend(d.pick(&other.actions).cloned());
    }
    let p = PrerequisiteDef {
        action: action.clone(),
        kind: ancestor.clone(),
        actions: actions.clone(),
        level: level.clone(),
        on_ancestor: true,
    };
    let k = def.kinds.get_mut(&kind).expect("kind");
    k.prerequisites.push(p);
    if prerequisite_loop(def) {
        def.kinds.get_mut(&kind).expect("kind").prerequisites.pop();
        return "nothing (it would close a prerequisite loop)".into();
    }
    format!("{kind}.{action} needs {actions:?} and level {level:?} on its {ancestor}")
}

fn names_of(bits: u64, kind: &KindDef) -> Vec<&str> {
    kind.actions
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1u64 << i) != 0)
        .map(|(_, a)| a.as_str())
        .collect()
}

/// Checks that every answer of `after` is a superset (`grows`) or a subset of
/// the matching answer of `before`.
fn compare_monotone(
    def: &PolicyDef,
    edited: &PolicyDef,
    edit: &str,
    grows: bool,
) -> Result<(), TestCaseError> {
    let before = answers(&compiled(def)?, def);
    let after = answers(&compiled(edited)?, edited);
    prop_assert_eq!(before.len(), after.len());
    for ((s, spot, b), (_, _, a)) in before.iter().zip(&after) {
        let (lost, gained) = (b & !a, a & !b);
        let wrong = if grows { lost } else { gained };
        if wrong != 0 {
            let k = kind_named(def, &spot.kind);
            return Err(TestCaseError::fail(format!(
                "after {edit}, subject {s} on {spot:?} {} {:?}\nbefore: {}\nafter: {}",
                if grows { "lost" } else { "gained" },
                names_of(wrong, k),
                json(def),
                json(edited)
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(cases(192, 1)))]

    #[test]
    fn closed_under_implications((stream, _) in streams()) {
        let def = gen_contained_policy(&mut Draw::new(&stream));
        let policy = compiled(&def)?;
        for (subject, spot, bits) in answers(&policy, &def) {
            let down = needs_closure(kind_named(&def, &spot.kind));
            if let Some(i) = not_closed(&down, bits) {
                prop_assert!(
                    false,
                    "{subject} on {spot:?}: allowed {bits:#b} holds action {i} but not all it needs ({:#b})\npolicy: {}",
                    down[i],
                    json(&def)
                );
            }
        }
        for role in policy.roles() {
            for kind in policy.kinds() {
                let bits = policy.role_allowed(role, kind).bits();
                let down = needs_closure(kind_named(&def, policy.kind_name(kind)));
                prop_assert!(
                    not_closed(&down, bits).is_none(),
                    "role_allowed({}, {}) = {bits:#b} is not closed\npolicy: {}",
                    policy.role_name(role),
                    policy.kind_name(kind),
                    json(&def)
                );
            }
        }
    }

    #[test]
    fn adding_a_grant_never_removes((stream, edits) in streams()) {
        let def = gen_contained_policy(&mut Draw::new(&stream));
        let mut edited = def.clone();
        let mut d = Draw::new(&edits);
        let mut what = Vec::new();
        for _ in 0..d.range(1, 3) {
            what.push(add_grant(&mut d, &mut edited));
        }
        compare_monotone(&def, &edited, &what.join(", "), true)?;
    }

    #[test]
    fn adding_a_deny_never_adds((stream, edits) in streams()) {
        let def = gen_contained_policy(&mut Draw::new(&stream));
        let mut edited = def.clone();
        let mut d = Draw::new(&edits);
        let mut what = Vec::new();
        for _ in 0..d.range(1, 3) {
            what.push(add_deny(&mut d, &mut edited));
        }
        compare_monotone(&def, &edited, &what.join(", "), false)?;
    }

    #[test]
    fn an_ancestor_deny_never_reopens((stream, edits) in streams()) {
        let mut def = gen_contained_policy(&mut Draw::new(&stream));
        ensure_parent(&mut def);
        let mut edited = def.clone();
        let mut d = Draw::new(&edits);
        let mut what = Vec::new();
        for _ in 0..d.range(1, 3) {
            what.push(add_ancestor_deny(&mut d, &mut edited));
        }
        compare_monotone(&def, &edited, &what.join(", "), false)?;
    }

    #[test]
    fn a_prerequisite_on_the_parent_never_grants((stream, edits) in streams()) {
        let mut def = gen_contained_policy(&mut Draw::new(&stream));
        ensure_parent(&mut def);
        let mut edited = def.clone();
        let mut d = Draw::new(&edits);
        let mut what = Vec::new();
        for _ in 0..d.range(1, 2) {
            what.push(add_ancestor_prerequisite(&mut d, &mut edited));
        }
        compare_monotone(&def, &edited, &what.join(", "), false)?;
    }

    #[test]
    fn serde_round_trip_keeps_every_answer((stream, _) in streams()) {
        let def = gen_contained_policy(&mut Draw::new(&stream));
        let policy = compiled(&def)?;
        let exported = policy.to_definition();
        let text = serde_json::to_string(&exported).expect("serializes");
        let read: PolicyDef = serde_json::from_str(&text).expect("deserializes");
        let again = compiled(&read)?;
        prop_assert_eq!(again.to_definition(), exported, "export is not a fixed point");
        prop_assert_eq!(again.subject_count(), policy.subject_count());
        let (before, after) = (answers(&policy, &def), answers(&again, &def));
        for ((s, spot, b), (_, _, a)) in before.iter().zip(&after) {
            prop_assert_eq!(b, a, "{} on {:?} changed in the round trip\npolicy: {}\nexported: {}", s, spot, json(&def), text);
        }
        prop_assert_eq!(before.len(), after.len());
        prop_assert_eq!(policy.role_matrix().to_markdown(), again.role_matrix().to_markdown());
        prop_assert_eq!(policy.level_matrix().to_markdown(), again.level_matrix().to_markdown());
    }

    #[test]
    fn who_can_is_exactly_the_subjects_that_can((stream, _) in streams()) {
        let def = gen_contained_policy(&mut Draw::new(&stream));
        let policy = compiled(&def)?;
        for spot in all_spots(&def) {
            let r = spot.resolve(&policy);
            for action in policy.actions(r.kind()) {
                let expected: Vec<_> = policy.subjects().filter(|&s| policy.can(s, action, &r)).collect();
                let got = policy.who_can(action, &r);
                prop_assert_eq!(
                    &got, &expected,
                    "who_can({}, {:?})\npolicy: {}", policy.action_name(action), spot, json(&def)
                );
                // And `can` agrees with `allowed`.
                let via_allowed: Vec<_> = policy.subjects()
                    .filter(|&s| policy.allowed(s, &r).contains(action))
                    .collect();
                prop_assert_eq!(&got, &via_allowed);
            }
        }
    }
}

proptest! {
    #![proptest_config(config(cases(512, 1)))]

    #[test]
    fn user_exception_beats_role_exception((stream, edits) in streams()) {
        let def = gen_contained_policy(&mut Draw::new(&stream));
        let mut d = Draw::new(&edits);
        let (subject, sdef) = def.subjects.0[d.below(def.subjects.len())].clone();
        let kind = def.kinds.0[d.below(def.kinds.len())].0.clone();
        let kdef = kind_named(&def, &kind).clone();
        let fresh = fresh_id(&kdef);
        let x = d.pick(&kdef.actions).cloned().expect("an action");
        // The role exception is the subject's role's own or an inherited one.
        let mut chain = vec![sdef.role.clone()];
        chain.extend(base_roles(&def, &sdef.role));
        let writer = d.pick(&chain).cloned().expect("a role");
        // The subject's exception: allow/deny, or a level that holds X or not.
        let level = if kdef.levels.is_empty() || d.chance(50) {
            None
        } else {
            Some(kdef.levels.0[d.below(kdef.levels.len())].clone())
        };
        let user_allows = match &level {
            Some((_, actions)) => {
                // A level holds X if it lists X or an action that needs X.
                let down = needs_closure(&kdef);
                let xb = action_bit(&def, &kind, &x);
                actions.iter().any(|a| down[kdef.actions.iter().position(|b| b == a).expect("known")] & xb != 0)
            }
            None => d.chance(50),
        };
        let role_exception = ExceptionDef {
            kind: kind.clone(),
            id: fresh.clone(),
            allow: if user_allows { vec![] } else { vec![x.clone()] },
            deny: if user_allows { vec![x.clone()] } else { vec![] },
            ..ExceptionDef::default()
        };
        let user_exception = match &level {
            Some((name, _)) => ExceptionDef {
                kind: kind.clone(),
                id: fresh.clone(),
                level: Some(name.clone()),
                ..ExceptionDef::default()
            },
            None => ExceptionDef {
                kind: kind.clone(),
                id: fresh.clone(),
                allow: if user_allows { vec![x.clone()] } else { vec![] },
                deny: if user_allows { vec![] } else { vec![x.clone()] },
                ..ExceptionDef::default()
            },
        };
        let mut edited = def.clone();
        edited.roles.get_mut(&writer).expect("role").exceptions.push(role_exception.clone());
        edited.subjects.get_mut(&subject).expect("subject").exceptions.push(user_exception.clone());
        // The ceiling: the same, but with the role agreeing with the subject.
        let mut agreeing = edited.clone();
        let role_exceptions = &mut agreeing.roles.get_mut(&writer).expect("role").exceptions;
        role_exceptions.retain(|e| !keyed(e, &kind, None, &fresh));
        role_exceptions.push(ExceptionDef {
            allow: role_exception.deny.clone(),
            deny: role_exception.allow.clone(),
            ..role_exception.clone()
        });
        let policy = compiled(&edited)?;
        let ceiling = compiled(&agreeing)?;
        let u = policy.subject(&subject).expect("subject");
        let action = policy.action(&kind, &x).expect("action");
        for spot in spots_of(&def, &kind).into_iter().filter(|s| s.id.as_ref() == Some(&fresh)) {
            let can = policy.can(u, action, &spot.resolve(&policy));
            let expected = user_allows
                && ceiling.can(u, action, &spot.resolve(&ceiling));
            prop_assert_eq!(
                can, expected,
                "{} {}.{} on {:?}: role {} says {:?}, subject says {:?}\npolicy: {}",
                subject, kind, x, spot, writer, role_exception, user_exception, json(&edited)
            );
            // Where nothing but exceptions can take X away, the subject's allow
            // must come through.
            if user_allows && spot.state.is_none() && kdef.available
                && prerequisite_free(&def, &kind, &x)
            {
                prop_assert!(can, "{} {}.{} on {:?}: the subject's allow lost to role {}'s deny\npolicy: {}",
                    subject, kind, x, spot, writer, json(&edited));
            }
        }
    }

    #[test]
    fn own_exception_beats_ancestor_exceptions((stream, edits) in streams()) {
        let mut def = gen_contained_policy(&mut Draw::new(&stream));
        ensure_parent(&mut def);
        let mut d = Draw::new(&edits);
        let subject = def.subjects.0[d.below(def.subjects.len())].0.clone();
        let kind = d.pick(&contained_kinds(&def)).cloned().expect("a kind with a parent");
        // The level the subject's exception sets: one of the kind's, or a new
        // (only) level holding every action.
        if kind_named(&def, &kind).levels.is_empty() {
            let all = kind_named(&def, &kind).actions.clone();
            def.kinds.get_mut(&kind).expect("kind").levels.insert("Top", all);
        }
        let kdef = kind_named(&def, &kind).clone();
        let (level, listed) = kdef.levels.0[d.below(kdef.levels.len())].clone();
        let id = if d.chance(50) { fresh_id(&kdef) } else { pool_id(&kdef, d.below(ID_POOL as usize)) };
        let chain = parent_chain(&def, &kind);

        let mut edited = def.clone();
        let s = edited.subjects.get_mut(&subject).expect("subject");
        s.exceptions.retain(|e| !keyed(e, &kind, None, &id));
        s.exceptions.push(ExceptionDef {
            kind: kind.clone(),
            id: id.clone(),
            level: Some(level.clone()),
            ..ExceptionDef::default()
        });
        // Exceptions in the same layer written in the instance's ancestors (on
        // top of any the subject has).
        for a in &chain {
            for i in 0..=ID_POOL as usize {
                if d.chance(40) {
                    let aid = pool_id(kind_named(&def, a), i);
                    let mut e = ExceptionDef {
                        kind: kind.clone(),
                        within: Some(a.clone()),
                        id: aid.clone(),
                        ..ExceptionDef::default()
                    };
                    gen_exception_body(&mut d, &kdef, &mut e);
                    s.exceptions.retain(|x| !keyed(x, &kind, Some(a), &aid));
                    s.exceptions.push(e);
                }
            }
        }
        let mut bare = edited.clone();
        bare.subjects.get_mut(&subject).expect("subject").exceptions
            .retain(|e| !(e.kind == kind && e.within.is_some()));

        let policy = compiled(&edited)?;
        let without = compiled(&bare)?;
        let u = policy.subject(&subject).expect("subject");
        let ub = without.subject(&subject).expect("subject");
        let down = needs_closure(&kdef);
        let level_bits = listed.iter()
            .map(|a| down[kdef.actions.iter().position(|b| b == a).expect("known")])
            .fold(0u64, |m, b| m | b);
        let nothing_else_removes = kdef.available && kdef.prerequisites.is_empty();
        let spots: Vec<Spot> = spots_of(&edited, &kind)
            .into_iter()
            .filter(|s| s.id.as_ref() == Some(&id))
            .collect();
        for spot in spots {
            let got = policy.allowed(u, &spot.resolve(&policy)).bits();
            let bare_bits = without.allowed(ub, &spot.resolve(&without)).bits();
            prop_assert_eq!(
                got, bare_bits,
                "{} on {:?}: the subject's exceptions in ancestors changed the answer under its level exception {}\npolicy: {}",
                subject, spot, level, json(&edited)
            );
            prop_assert_eq!(
                got & !level_bits, 0,
                "{} on {:?}: {:?} beyond the level {}\npolicy: {}",
                subject, spot, names_of(got & !level_bits, &kdef), level, json(&edited)
            );
            if nothing_else_removes && spot.state.is_none() {
                prop_assert_eq!(
                    got, level_bits,
                    "{} on {:?}: not exactly the level {}\npolicy: {}",
                    subject, spot, level, json(&edited)
                );
            }
        }
    }

    #[test]
    fn exceptions_never_reopen_state_rules_or_prerequisites((stream, edits) in streams()) {
        let def = gen_contained_policy(&mut Draw::new(&stream));
        let mut d = Draw::new(&edits);
        let (subject, sdef) = def.subjects.0[d.below(def.subjects.len())].clone();
        let kind = def.kinds.0[d.below(def.kinds.len())].0.clone();
        let kdef = kind_named(&def, &kind).clone();
        // A: the action held back; X: an action that needs A (or A itself).
        let down = needs_closure(&kdef);
        let a = d.below(kdef.actions.len());
        let above: Vec<usize> = (0..kdef.actions.len()).filter(|&i| down[i] & (1u64 << a) != 0).collect();
        let x = kdef.actions[*d.pick(&above).expect("A needs A")].clone();
        let a = kdef.actions[a].clone();
        let by_state = d.chance(50);

        // The rule, and a baseline without it.
        let mut baseline = def.clone();
        let mut edited;
        let state = "held_back".to_owned();
        if by_state {
            baseline.kinds.get_mut(&kind).expect("kind").states.push(state.clone());
            edited = baseline.clone();
            // Exempt roles and toggles the subject does not qualify by: other roles,
            // and the roles its own role derives from.
            let mut unless_roles: Vec<String> = def.roles.iter()
                .map(|(r, _)| r.to_owned())
                .filter(|r| *r != sdef.role)
                .filter(|_| d.chance(40))
                .collect();
            for r in base_roles(&def, &sdef.role) {
                if !unless_roles.contains(&r) {
                    unless_roles.push(r);
                }
            }
            let unless_toggles: Vec<String> = def.toggles.iter()
                .map(|(t, _)| t.to_owned())
                .filter(|t| !sdef.toggles.contains(t))
                .filter(|_| d.chance(40))
                .collect();
            edited.kinds.get_mut(&kind).expect("kind").state_rules.push(StateRuleDef {
                state: state.clone(),
                hold: vec![a.clone()],
                unless_roles,
                unless_toggles,
            });
        } else {
            // A gate kind whose `pass` the subject's kind-wide set never holds:
            // granted only in scopes (which do not count) or on an unavailable kind.
            let unavailable = d.chance(30);
            let gate = KindDef {
                actions: vec!["pass".into(), "other".into()],
                levels: [("closed", vec![]), ("open", vec!["pass".to_owned()])]
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), v))
                    .collect(),
                available: !unavailable,
                ..KindDef::default()
            };
            baseline.kinds.insert("gate", gate);
            let role = baseline.roles.get_mut(&sdef.role).expect("role");
            role.grants.insert("gate", GrantDef {
                actions: if unavailable { vec!["pass".into()] } else { vec!["other".into()] },
                own: vec!["pass".into()],
                managed: vec!["pass".into()],
                ..GrantDef::default()
            });
            role.exceptions.push(ExceptionDef {
                kind: "gate".into(),
                id: 1.into(),
                allow: vec!["pass".into()],
                ..ExceptionDef::default()
            });
            baseline.subjects.get_mut(&subject).expect("subject").exceptions.push(ExceptionDef {
                kind: "gate".into(),
                id: 2.into(),
                level: Some("open".into()),
                ..ExceptionDef::default()
            });
            edited = baseline.clone();
            edited.kinds.get_mut(&kind).expect("kind").prerequisites.push(PrerequisiteDef {
                action: a.clone(),
                kind: "gate".into(),
                actions: if d.chance(50) { vec!["pass".into()] } else { vec![] },
                level: Some("open".into()),
                on_ancestor: false,
            });
        }

        // Exceptions and a restriction that all allow X on one instance.
        let id = if d.chance(50) { fresh_id(&kdef) } else { pool_id(&kdef, d.below(ID_POOL as usize)) };
        let holding_level = kdef.levels.iter()
            .find(|(_, acts)| acts.iter().any(|b| {
                down[kdef.actions.iter().position(|c| c == b).expect("known")]
                    & action_bit(&def, &kind, &x) != 0
            }))
            .map(|(n, _)| n.to_owned());
        let allow_x = |level: bool| ExceptionDef {
            kind: kind.clone(),
            id: id.clone(),
            level: if level { holding_level.clone() } else { None },
            allow: if level && holding_level.is_some() { vec![] } else { vec![x.clone()] },
            ..ExceptionDef::default()
        };
        let mut opened = Vec::new();
        for doc in [&mut baseline, &mut edited] {
            let role_level = d.chance(30);
            let user_level = d.chance(30);
            let restrict = d.chance(50);
            let role = doc.roles.get_mut(&sdef.role).expect("role");
            role.exceptions.retain(|e| !keyed(e, &kind, None, &id));
            role.exceptions.push(allow_x(role_level));
            let s = doc.subjects.get_mut(&subject).expect("subject");
            s.exceptions.retain(|e| !keyed(e, &kind, None, &id));
            s.exceptions.push(allow_x(user_level));
            if restrict {
                s.restrictions.retain(|r| !(r.kind == kind && r.within.is_none()));
                s.restrictions.push(RestrictionDef { kind: kind.clone(), actions: vec![x.clone()], within: None, ids: vec![id.clone()] });
            }
            opened.push(format!("role level: {role_level}, user level: {user_level}, restricted: {restrict}"));
        }

        let policy = compiled(&edited)?;
        let base = compiled(&baseline)?;
        let u = policy.subject(&subject).expect("subject");
        let action = policy.action(&kind, &x).expect("action");
        let rule = if by_state { format!("state rule holding {a} in {state}") } else { format!("unmet prerequisite of {a}") };
        let spots: Vec<Spot> = spots_of(&edited, &kind)
            .into_iter()
            .filter(|s| s.id.as_ref() == Some(&id))
            .filter(|s| !by_state || s.state.as_deref() == Some(state.as_str()))
            .collect();
        prop_assert!(!spots.is_empty());
        for spot in spots {
            prop_assert!(
                !policy.can(u, action, &spot.resolve(&policy)),
                "{subject} may {kind}.{x} on {spot:?} despite the {rule} ({})\npolicy: {}",
                opened[1], json(&edited)
            );
            // Without the rule, the exceptions would have allowed it.
            let free = kdef.available && prerequisite_free(&def, &kind, &x)
                && (spot.state.is_none() || spot.state.as_deref() == Some(state.as_str()));
            if free {
                prop_assert!(
                    base.can(u, action, &spot.resolve(&base)),
                    "baseline: {subject} may not {kind}.{x} on {spot:?} ({})\npolicy: {}",
                    opened[0], json(&baseline)
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(config(cases(48, 4)))]

    #[test]
    fn explain_agrees_with_can((stream, _) in streams()) {
        let def = gen_contained_policy(&mut Draw::new(&stream));
        let policy = compiled(&def)?;
        let spots = all_spots(&def);
        for s in policy.subjects() {
            for spot in &spots {
                let r = spot.resolve(&policy);
                for action in policy.actions(r.kind()) {
                    let why = policy.explain(s, action, &r);
                    prop_assert_eq!(
                        why.allowed(), policy.can(s, action, &r),
                        "{}\npolicy: {}", why, json(&def)
                    );
                }
            }
        }
    }
}
