//! Seed-shaped policy generator shared by the benches (and by the comparison crate
//! under `benches/compare/`, which includes this file by path).
//!
//! A generated policy looks like the seed documents in `examples/policies/`, only
//! bigger: roles with levels and scoped grants (one role derived from another),
//! kinds of 4 to 8 actions with implications and three levels each, toggles,
//! subjects with explicit levels, a share of subjects with per-instance exceptions
//! (and a few restrictions), a state rule and a prerequisite. Everything is
//! deterministic: the same [`Shape`] always gives the same document.
//!
//! Not every bench binary uses every item, hence the `dead_code` allowance.
#![allow(dead_code)]

use accessmask::{
    ActionId, ExceptionDef, GrantDef, KindDef, KindId, Policy, PolicyBuilder, PolicyDef,
    PrerequisiteDef, RestrictionDef, RoleDef, StateRuleDef, SubjectDef, SubjectId, ToggleDef,
};

/// Action names, in bit order; kind `i` takes the first `4 + (3 * i) % 5` of them.
pub const ACTIONS: [&str; 8] = [
    "view", "edit", "create", "delete", "run", "export", "share", "approve",
];

/// What each action needs (implications).
const NEEDS: [(&str, &str); 7] = [
    ("edit", "view"),
    ("create", "edit"),
    ("delete", "edit"),
    ("run", "view"),
    ("export", "view"),
    ("share", "view"),
    ("approve", "edit"),
];

/// Names of the first six kinds (further kinds are `kind_<i>`).
const KIND_NAMES: [&str; 6] = [
    "scheduled_upload",
    "tracking",
    "report",
    "cost_estimate",
    "integration",
    "contact",
];

/// The seven base roles; roles past seven are derived from them.
pub const ROLE_NAMES: [&str; 7] = [
    "Admin",
    "Manager",
    "Editor",
    "Senior Editor",
    "Viewer",
    "Contributor",
    "Guest",
];

/// The states of the kind that has a state rule.
pub const STATES: [&str; 3] = ["draft", "submitted", "billed"];

/// The hot subject: `u0`, an Editor with no exceptions, toggles or levels.
pub const HOT: usize = 0;

/// The parameters of a generated policy.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Number of subjects (`u0`, `u1`, ...).
    pub subjects: usize,
    /// Number of kinds (at least 1).
    pub kinds: usize,
    /// Number of roles (at least 1; the first seven are the base roles).
    pub roles: usize,
    /// Every `exception_every`-th subject has exceptions (0: nobody). 20 is 5%.
    pub exception_every: usize,
    /// Exceptions per subject that has them.
    pub exceptions_per_subject: usize,
    /// Instance ids of exceptions are drawn from `0..id_range`.
    pub id_range: u64,
    /// Whether Managers manage the next three subjects (for `managed` grants).
    pub managers: bool,
}

impl Shape {
    /// The default seed shape: 7 roles, 6 kinds, 5% of subjects with 2 exceptions.
    pub fn seed(subjects: usize) -> Shape {
        Shape {
            subjects,
            kinds: 6,
            roles: 7,
            exception_every: 20,
            exceptions_per_subject: 2,
            id_range: 1000,
            managers: true,
        }
    }

    /// Number of subjects with exceptions.
    pub fn subjects_with_exceptions(&self) -> usize {
        if self.exception_every == 0 {
            0
        } else {
            (0..self.subjects)
                .filter(|i| has_exceptions(self, *i))
                .count()
        }
    }

    /// Total number of subject exceptions.
    pub fn exception_count(&self) -> usize {
        self.subjects_with_exceptions() * self.exceptions_per_subject
    }
}

/// Whether subject `i` has exceptions (never the hot subject).
pub fn has_exceptions(shape: &Shape, i: usize) -> bool {
    shape.exception_every != 0 && i % shape.exception_every == shape.exception_every / 2 && i != HOT
}

/// A small, fast, deterministic PRNG (xorshift64*).
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        XorShift(seed | 1)
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) % n as u64) as usize
    }
}

/// A stateless mix of `i`, for per-subject choices.
fn mix(i: usize, salt: u64) -> u64 {
    let mut x = (i as u64)
        .wrapping_add(salt)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^ (x >> 29)
}

/// The name of kind `i`.
pub fn kind_name(i: usize) -> String {
    match KIND_NAMES.get(i) {
        Some(n) => (*n).to_string(),
        None => format!("kind_{i}"),
    }
}

/// The name of role `i`.
pub fn role_name(i: usize) -> String {
    match ROLE_NAMES.get(i) {
        Some(n) => (*n).to_string(),
        None => format!("Role {i}"),
    }
}

/// The name of subject `i`.
pub fn subject_name(i: usize) -> String {
    format!("u{i}")
}

/// The number of actions of kind `i` (4 to 8).
pub fn action_count(i: usize) -> usize {
    4 + (3 * i) % 5
}

/// The kind that carries the state rule.
pub fn state_kind(shape: &Shape) -> usize {
    3.min(shape.kinds - 1)
}

fn actions_of(i: usize) -> &'static [&'static str] {
    ACTIONS.get(..action_count(i)).unwrap_or(&ACTIONS)
}

fn kind_def(i: usize, shape: &Shape) -> KindDef {
    let actions = actions_of(i);
    let mut k = KindDef::new(actions.iter().copied());
    for (a, needs) in NEEDS {
        if actions.contains(&a) {
            k = k.needs(a, [needs]);
        }
    }
    let read: Vec<&str> = actions
        .iter()
        .copied()
        .filter(|a| *a == "view" || *a == "export")
        .collect();
    k = k
        .level("No Access", Vec::<String>::new())
        .level("Read Only", read)
        .level("Full Access", actions.iter().copied());
    if i == state_kind(shape) {
        k = k.states(STATES).state_rule(
            StateRuleDef::new("billed", ["edit"])
                .unless_role("Admin")
                .unless_toggle("Billing Override"),
        );
    }
    if i == 4 {
        // Like the seeds' integration kind: running needs read access elsewhere.
        k = k.prerequisite(PrerequisiteDef::level("run", kind_name(0), "Read Only"));
    }
    k
}

fn base_role(i: usize, shape: &Shape) -> RoleDef {
    let kinds = shape.kinds;
    let mut r = match i {
        1 => RoleDef::new(),
        3 if shape.roles > 2 => RoleDef::derived_from("Editor"),
        _ => RoleDef::new(),
    };
    for k in 0..kinds {
        let name = kind_name(k);
        let grant: Option<GrantDef> = match i {
            // Admin: everything.
            0 => Some(GrantDef::level("Full Access")),
            // Manager: read everything, edit own and managed instances.
            1 => Some(
                GrantDef::level("Read Only")
                    .own(["edit", "delete"])
                    .managed(["edit"]),
            ),
            // Editor: full on even kinds, read + edit own on odd ones.
            2 if k % 2 == 0 => Some(GrantDef::level("Full Access")),
            2 => Some(GrantDef::level("Read Only").own(["edit"])),
            // Senior Editor: Editor plus create everywhere.
            3 => Some(GrantDef::actions(["create"])),
            // Viewer: read only.
            4 => Some(GrantDef::level("Read Only")),
            // Contributor: create anywhere, delete own.
            5 => Some(GrantDef::actions(["create"]).own(["delete"])),
            // Guest: view the first kind only.
            6 if k == 0 => Some(GrantDef::actions(["view"])),
            _ => None,
        };
        if let Some(g) = grant {
            r = r.grant(name, g);
        }
    }
    match i {
        // A role exception, like a per-instance rule written for a role.
        2 => r.exception(ExceptionDef::allow_deny(
            kind_name(1 % kinds),
            7,
            Vec::<String>::new(),
            ["delete"],
        )),
        3 => r.remove(kind_name(0), ["delete"]),
        _ => r,
    }
}

fn extra_role(i: usize, shape: &Shape) -> RoleDef {
    // Derived from one of the base roles present, with a tweak of its own so that
    // roles differ.
    let base = i % shape.roles.min(7);
    let k1 = i % shape.kinds;
    let k2 = (i / 7 + 1) % shape.kinds;
    let a1 = actions_of(k1)
        .get((i / 7) % action_count(k1))
        .copied()
        .unwrap_or("view");
    let a2 = actions_of(k2)
        .get(action_count(k2) - 1)
        .copied()
        .unwrap_or("view");
    RoleDef::derived_from(role_name(base))
        .grant(kind_name(k1), [a1])
        .remove(kind_name(k2), [a2])
}

fn subject_def(i: usize, shape: &Shape) -> SubjectDef {
    let n = shape.subjects;
    let role = subject_role(shape, i);
    let mut s = SubjectDef::new(role_name(role));
    if i == HOT {
        return s;
    }
    if i % 13 == 0 {
        s = s.toggle("HR Manager");
    }
    if i % 29 == 0 {
        s = s.toggle("Billing Override");
    }
    if i % 11 == 0 {
        let level = ["No Access", "Read Only", "Full Access"]
            .get(i % 3)
            .copied()
            .unwrap_or("Read Only");
        s = s.level(kind_name(i % shape.kinds), level);
    }
    if shape.managers && role == 1 && n > 4 {
        for d in 1..=3 {
            let m = (i + d) % n;
            if m != i {
                s = s.manages(subject_name(m));
            }
        }
    }
    if has_exceptions(shape, i) {
        for (j, (k, id)) in exception_targets(shape, i).into_iter().enumerate() {
            let e = match j % 3 {
                0 => ExceptionDef::allow_deny(kind_name(k), id, ["edit"], ["delete"]),
                1 => ExceptionDef::level(kind_name(k), id, "Read Only"),
                _ => ExceptionDef::allow_deny(kind_name(k), id, Vec::<String>::new(), ["view"]),
            };
            s = s.exception(e);
        }
        // One in ten of them also has an "only these instances" rule.
        if (i / shape.exception_every.max(1)) % 10 == 0 {
            s = s.restriction(RestrictionDef::new(
                kind_name((i + 1) % shape.kinds),
                ["delete"],
                [1, 2, 3],
            ));
        }
    }
    s
}

/// The `(kind index, instance id)` of each exception of subject `i` (empty for a
/// subject without exceptions).
pub fn exception_targets(shape: &Shape, i: usize) -> Vec<(usize, u64)> {
    if !has_exceptions(shape, i) {
        return Vec::new();
    }
    (0..shape.exceptions_per_subject)
        .map(|j| {
            // Distinct ids per subject, so no (kind, id) repeats.
            let id = (mix(i, 100) + j as u64) % shape.id_range.max(1);
            ((i + j) % shape.kinds, id)
        })
        .collect()
}

/// The role index of subject `i`.
pub fn subject_role(shape: &Shape, i: usize) -> usize {
    if i == HOT {
        2.min(shape.roles - 1)
    } else {
        (mix(i, 1) % shape.roles as u64) as usize
    }
}

/// The seed-shaped document for `shape`.
pub fn generate(shape: &Shape) -> PolicyDef {
    assert!(shape.kinds >= 1 && shape.roles >= 1);
    let mut b = PolicyBuilder::new();
    for k in 0..shape.kinds {
        b = b.kind(kind_name(k), kind_def(k, shape));
    }
    for r in 0..shape.roles {
        let role = if r < 7 {
            base_role(r, shape)
        } else {
            extra_role(r, shape)
        };
        b = b.role(role_name(r), role);
    }
    b = b
        .toggle(
            "HR Manager",
            ToggleDef::new().grant(kind_name(2 % shape.kinds), GrantDef::level("Full Access")),
        )
        .toggle(
            "Billing Override",
            ToggleDef::new().grant(kind_name(state_kind(shape)), ["view"]),
        );
    let mut def = b.into_definition();
    def.subjects.0.reserve(shape.subjects);
    for i in 0..shape.subjects {
        def.subjects.insert(subject_name(i), subject_def(i, shape));
    }
    def
}

/// Compiles the document for `shape`.
pub fn compile(shape: &Shape) -> Policy {
    match Policy::compile(&generate(shape)) {
        Ok(p) => p,
        Err(e) => panic!("generated policy does not compile: {e}"),
    }
}

/// One `can` question by ids: subject, action, and the instance id to ask about.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    /// The subject.
    pub subject: SubjectId,
    /// The action (its kind is the resource's kind).
    pub action: ActionId,
    /// The instance id.
    pub id: u64,
}

/// Ids of a compiled policy, resolved once for building queries.
#[derive(Debug)]
pub struct Ids {
    /// Every subject, by index.
    pub subjects: Vec<SubjectId>,
    /// Every kind.
    pub kinds: Vec<KindId>,
    /// Every action, per kind.
    pub actions: Vec<Vec<ActionId>>,
}

impl Ids {
    /// Resolves the ids of `policy`.
    pub fn of(policy: &Policy) -> Ids {
        let kinds: Vec<KindId> = policy.kinds().collect();
        Ids {
            subjects: policy.subjects().collect(),
            actions: kinds.iter().map(|&k| policy.actions(k).collect()).collect(),
            kinds,
        }
    }

    /// A random action of a random kind.
    pub fn random_action(&self, rng: &mut XorShift) -> ActionId {
        let k = rng.below(self.kinds.len());
        let acts = &self.actions[k];
        acts[rng.below(acts.len())]
    }
}

/// `n` queries with subjects drawn uniformly from `subjects` (indices), random
/// kinds and actions, instance ids in `0..id_range`.
pub fn queries(ids: &Ids, subjects: &[usize], n: usize, id_range: u64, seed: u64) -> Vec<Query> {
    let mut rng = XorShift::new(seed);
    (0..n)
        .map(|_| {
            let s = subjects[rng.below(subjects.len())];
            Query {
                subject: ids.subjects[s],
                action: ids.random_action(&mut rng),
                id: rng.next_u64() % id_range.max(1),
            }
        })
        .collect()
}

/// The bare-bitmask floor: one `u64` per (subject, kind), filled from the policy's
/// answers on resources without id, state or owner.
#[derive(Debug)]
pub struct Floor {
    /// `masks[subject * n_kinds + kind]`.
    pub masks: Vec<u64>,
    /// Number of kinds.
    pub n_kinds: usize,
}

impl Floor {
    /// The floor table for `policy`.
    pub fn of(policy: &Policy, ids: &Ids) -> Floor {
        let n_kinds = ids.kinds.len();
        let mut masks = Vec::with_capacity(ids.subjects.len() * n_kinds);
        for &s in &ids.subjects {
            for &k in &ids.kinds {
                masks.push(policy.allowed(s, &policy.resource(k)).bits());
            }
        }
        Floor { masks, n_kinds }
    }

    /// The floor's check: one indexed load and a bit test.
    #[inline]
    pub fn can(&self, user: usize, kind: usize, bit: u64) -> bool {
        self.masks[user * self.n_kinds + kind] & bit != 0
    }
}
