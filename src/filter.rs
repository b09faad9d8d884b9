//! Lists: which instances of a kind may a subject act on? [`Policy::filter`] gives
//! the exact answer as a small closed form over an instance's id, owner, state
//! and ancestors (a [`Filter`]) that a database can evaluate
//! ([`Filter::to_sql`](crate::Filter::to_sql)).
//!
//! The filter is read off the compiled form, the same masks and affine maps
//! [`Policy::can`] reads, on the finitely many classes of resources where answers
//! can differ, then simplified. The classes, for subject `u` and kind `k`:
//!
//! - **ids**: every id named on `k` by `u`'s own exceptions and restrictions or by
//!   its role's (a derived role's layer holds its base's), plus one id named
//!   nowhere (every unnamed id answers alike), plus no id;
//! - **states**: every state of `k`, plus no state;
//! - **owners**: none, `u` itself, a subject `u` manages (the decision order's
//!   step 4 treats every managed subject alike, so one stands for all), and anyone
//!   else;
//! - **ancestors** (kinds with a `parent`), per depth (1: the parent): every
//!   ancestor id named by a rule written `in` that depth, or one a prerequisite
//!   on an ancestor instance can tell apart (see below), plus one named nowhere,
//!   plus "not given".
//!
//! The final set of a class is `((scoped set for the owner class) -> role layer
//! for the id -> subject layer for the id) & keep(state)`, exactly the steps of
//! `Policy::allowed_bits`; it is computed once per owner class and id class, then
//! masked with each state's keep mask. No `can` call is made for a kind whose
//! answers cannot depend on ancestors and whose ids are numbers; the differential
//! tests (`tests/filter.rs`) compare the result with `can` on every resource of a
//! universe.
//!
//! ## Ancestors
//!
//! For a kind whose answers can depend on the instance's ancestors (rules written
//! `in` an ancestor, by the subject or its role; a prerequisite on an ancestor
//! instance) or that has string ids, the filter is a decision tree read parent
//! first: a [`Branch`] holds the condition on id, owner and state for instances
//! given no further ancestor, and a [`Within`] that splits instances given the
//! next ancestor by that ancestor's id (the ids listed, each group with its own
//! branch, and a default branch for any other id). The tree follows
//! `Policy::contained`: the role's and the subject's maps for each ancestor
//! depth come from the same compiled tables, composed outermost first; a
//! prerequisite on an ancestor instance is decided by asking the engine itself
//! (`Policy::allowed_bits`) on that ancestor, built from the ancestor classes
//! (its own id, and the ancestors above it).
//!
//! The tree is built with one node per distinct *state* after the ancestors read
//! so far: the role's and the subject's composed maps (on the bits that can
//! change the answer: the action's, and those of the prerequisites that can
//! remove it) and, per such prerequisite, the ancestors it reads, each replaced by
//! a stand-in (ids whose maps in the ancestor kind's layers agree stand for one
//! another). Ancestor ids that lead to the same state share a node, and nodes equal as
//! trees are merged, so the filter lists each named ancestor id about once per
//! distinct state of the depth above it: linear in the ids named, however many
//! are written in ancestors, and never one node per combination of ancestors.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use serde::{Deserialize, Serialize};
use smallvec::{smallvec, SmallVec};

use crate::def::InstanceId;
use crate::engine::{Policy, ProfileKind, Subject, SubjectExtra, SubjectRef, Texts};
use crate::ids::{Actions, Instance, KindId, Resource, StateId, SubjectId, MAX_ANCESTORS};
use crate::model::{role_tag, Exception, Layer, Slot, StateIx};
use crate::table::{Affine, IntHasher};

/// Owner classes, in the order of a probe's rows.
pub(crate) const UNOWNED: usize = 0;
pub(crate) const OWN: usize = 1;
pub(crate) const OTHER: usize = 2;
pub(crate) const MANAGED: usize = 3;
pub(crate) const OWNER_CLASSES: usize = 4;

/// The engine's answers on one class of ids: bit `owner * (n_states + 1) + state`,
/// where state 0 is "no state" and `i + 1` is state `i`.
pub(crate) type Answers = SmallVec<[u64; 1]>;

/// The engine's answers on every class of resources of one kind, for one subject
/// and action.
#[derive(Debug)]
pub(crate) struct Probe<'p> {
    pub(crate) kind: KindId,
    pub(crate) subject: SubjectId,
    pub(crate) n_states: usize,
    /// The subjects `subject` manages, sorted (empty: the `MANAGED` rows are
    /// meaningless and left empty).
    pub(crate) managed: &'p [u32],
    /// An id named nowhere.
    pub(crate) other_id: Answers,
    /// No id.
    pub(crate) no_id: Answers,
    /// Every named id, sorted, with its answers.
    pub(crate) named: Vec<(InstanceId, Answers)>,
}

impl Probe<'_> {
    pub(crate) fn width(&self) -> usize {
        self.n_states + 1
    }

    pub(crate) fn bit(&self, answers: &Answers, owner: usize, state: usize) -> bool {
        let i = owner * self.width() + state;
        answers
            .get(i / 64)
            .is_some_and(|w| (w >> (i % 64)) & 1 != 0)
    }
}

/// Every id named on `kind` in the subject's own layer or its role's, sorted and
/// unique (rules on the instance itself; rules written in an ancestor name the
/// ancestor's ids, see [`named_at`]).
pub(crate) fn named_ids(
    policy: &Policy,
    info: Option<SubjectRef<'_>>,
    kind: KindId,
) -> Vec<InstanceId> {
    named_at(policy, info, Slot::of(kind))
}

/// Every id named at `slot` (a kind, and the depth of the instance its rules
/// name) in the subject's own layer or its role's, sorted and unique.
pub(crate) fn named_at(policy: &Policy, info: Option<SubjectRef<'_>>, sl: Slot) -> Vec<InstanceId> {
    let Some(info) = info else {
        return Vec::new();
    };
    let role = policy
        .schema
        .roles
        .get(info.role().index())
        .map(|r| &*r.layer);
    let layers = [Some(info.layer()), role];
    let ranges: SmallVec<[(&[InstanceId], &[Exception]); 2]> = layers
        .into_iter()
        .flatten()
        .map(|layer| named_in(layer, sl))
        .collect();
    let mut ids: Vec<InstanceId> =
        Vec::with_capacity(ranges.iter().map(|(r, e)| r.len() + e.len()).sum());
    for (restricted, exceptions) in ranges {
        ids.extend_from_slice(restricted);
        ids.extend(exceptions.iter().map(|e| e.id));
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The ids `layer` names at `slot`: its restriction's there, and its exceptions
/// there. Bisects: the layer is sorted by slot.
fn named_in(layer: &Layer, sl: Slot) -> (&[InstanceId], &[Exception]) {
    // INVARIANT (sorted layers, see `Layer::exception`): exceptions sorted by
    // `(slot, id)`, one restriction per slot.
    let restricted = layer.restriction(sl).map_or(&[][..], |r| &r.ids[..]);
    let from = layer.exceptions.partition_point(|e| e.slot() < sl);
    let to = layer.exceptions.partition_point(|e| e.slot() <= sl);
    (restricted, layer.exceptions.get(from..to).unwrap_or(&[]))
}

/// The compiled form one subject reads for one kind and action: what
/// `Policy::allowed_bits` reads, gathered once so that each class of resources
/// costs a few mask operations.
pub(crate) struct Compiled<'p> {
    policy: &'p Policy,
    kind: KindId,
    want: u64,
    pk: &'p ProfileKind,
    subject: &'p Subject,
    /// The scoped set per owner class (`UNOWNED`, `OWN`, `OTHER`, `MANAGED`).
    scoped: [u64; OWNER_CLASSES],
    /// The keep mask per state class: 0 no state, `i + 1` state `i`.
    keeps: SmallVec<[u64; 8]>,
    /// Bit `s` (for the first 64 state classes): `keeps[s]` holds `want`.
    state_row: u64,
}

impl<'p> Compiled<'p> {
    /// `None` when `can` denies every resource of `kind` to `subject` whatever its
    /// id, owner and state: unknown subject (or removed), unknown kind, or an
    /// action of another kind.
    pub(crate) fn new(
        policy: &'p Policy,
        subject: SubjectId,
        action: impl Actions,
        kind: KindId,
    ) -> Option<Compiled<'p>> {
        let want = action.mask_for(&Resource::new(kind))?;
        let k = kind;
        let (subj, profiles, pk) = policy.list_entry(subject, k)?;
        // INVARIANT (scopes, as `Policy::scoped`): an owner that is the subject adds
        // `own`; an owner it manages (and is not itself) adds `managed`; any other
        // owner, or none, leaves the `any` set.
        let set = pk.set;
        let mut scoped = [set.any; OWNER_CLASSES];
        if let Some(x) = scoped.get_mut(OWN) {
            *x |= set.own;
        }
        if let Some(x) = scoped.get_mut(MANAGED) {
            *x |= set.managed;
        }
        // The stateless keep mask, then each state's, read as a check reads them
        // (`state_keep` maps a state no rule names to the stateless mask).
        let n_states = policy.states(kind).len();
        let keeps: SmallVec<[u64; 8]> = std::iter::once(pk.keep)
            .chain(
                StateIx::range(n_states)
                    .map(|index| policy.state_keep(profiles, pk, k, StateId { kind: k, index })),
            )
            .collect();
        let state_row = keeps
            .iter()
            .take(64)
            .enumerate()
            .filter(|(_, keep)| *keep & want == want)
            .fold(0u64, |row, (s, _)| row | 1 << s);
        Some(Compiled {
            state_row,
            policy,
            kind: k,
            want,
            pk,
            subject: subj,
            scoped,
            keeps,
        })
    }

    /// The role layer's and then the subject's layer's effect on instance `id`
    /// (none: no id), as one map.
    pub(crate) fn layers(&self, id: Option<InstanceId>) -> Affine {
        let pk = self.pk;
        // INVARIANT (role layer, as `allowed_bits` step 5): the role's per-instance
        // table is consulted only when `role_names_instances`; else, and for no
        // id, the role's default applies. `role_instance` maps `x` to
        // `x & and | or`, so its values on all-zeros and all-ones give that map.
        let role = match id {
            Some(id) if pk.flags & crate::engine::ProfileKind::NAMES != 0 => Affine {
                and: self.policy.role_instance(pk, self.kind, id, !0),
                or: self.policy.role_instance(pk, self.kind, id, 0),
            },
            _ => pk.role_default,
        };
        // INVARIANT (subject layer): read only when the `LAYER` flag is set, from the
        // same compiled record a check reads.
        let own = match &self.subject.extra {
            Some(e) if self.subject.flags & Subject::LAYER != 0 => e.layer(self.kind, id),
            _ => Affine::IDENTITY,
        };
        role.then(own)
    }

    /// Whether `can` allows the final set `x` in state class `s`.
    fn allows(&self, x: u64, s: usize) -> bool {
        self.keeps
            .get(s)
            .is_some_and(|keep| x & keep & self.want == self.want)
    }

    /// The answers on one class of ids (see [`Answers`]); the `MANAGED` row only
    /// when `managed`.
    fn answers(&self, id: Option<InstanceId>, managed: bool) -> Answers {
        let width = self.keeps.len();
        let words = (OWNER_CLASSES * width).div_ceil(64);
        let mut bits: Answers = smallvec![0; words];
        let layers = self.layers(id);
        // `x & keep & want == want` is `want` in `x` and `want` in `keep`: the
        // second part is the same row for every owner class.
        for (o, set) in self.scoped.iter().enumerate() {
            if (o == MANAGED && !managed) || layers.apply(*set) & self.want != self.want {
                continue;
            }
            if OWNER_CLASSES * width <= 64 {
                // One word: the row of states whose keep mask holds `want`.
                if let Some(w) = bits.first_mut() {
                    *w |= self.state_row << ((o * width) & 63);
                }
                continue;
            }
            for s in 0..width {
                if self.allows(!0, s) {
                    let i = o * width + s;
                    if let Some(w) = bits.get_mut(i / 64) {
                        *w |= 1 << (i % 64);
                    }
                }
            }
        }
        bits
    }

    /// Whether `can` allows an instance with id `id` (none: no id) and no owner
    /// and no state.
    pub(crate) fn plain(&self, id: Option<InstanceId>) -> bool {
        let x = self.layers(id).apply(self.scoped[UNOWNED]);
        self.allows(x, 0)
    }
}

impl Policy {
    /// The answers of `can` on every class of resources of `kind` (see the module
    /// docs), read off the compiled form.
    pub(crate) fn probe(
        &self,
        subject: SubjectId,
        action: impl Actions,
        kind: KindId,
    ) -> Probe<'_> {
        let n_states = self.states(kind).len();
        let info = self.resolve(subject).and_then(|s| self.info(s));
        let managed: &[u32] = info.map_or(&[], |i| i.manages());
        let words = (OWNER_CLASSES * (n_states + 1)).div_ceil(64);
        let compiled = Compiled::new(self, subject, action, kind);
        let answers = |id: Option<InstanceId>| -> Answers {
            match &compiled {
                Some(c) => c.answers(id, !managed.is_empty()),
                None => smallvec![0; words],
            }
        };
        // INVARIANT (named ids): the compiled role and subject tables differ from
        // their defaults only on ids their layers name, which `named_ids` lists.
        let ids = named_ids(self, info, kind);
        let other_id = answers(Some(unnamed_id(&ids)));
        Probe {
            kind,
            subject,
            n_states,
            managed,
            no_id: answers(None),
            named: ids.into_iter().map(|id| (id, answers(Some(id)))).collect(),
            other_id,
        }
    }

    /// The instances of `kind` on which `subject` may do `action`, as a closed form
    /// over their id, owner, state and ancestors: `filter.matches(&r) ==
    /// self.can(subject, action, &r)` for every resource `r` (of any kind: another
    /// kind never matches). Render it for a database with
    /// [`Filter::to_sql`](crate::Filter::to_sql).
    ///
    /// An unknown subject, an action of another kind, or an unavailable kind give
    /// a filter that matches nothing. Reads the compiled masks once per class of
    /// ids (the ids the subject's layers name, an unnamed one and none) and owner
    /// relation, with no `can` call: about 2 µs for a subject naming 10
    /// instances of a kind with 3 states (see `benches/README.md`).
    ///
    /// For a kind whose answers can depend on ancestors (a rule of the subject or
    /// its role written `in` an ancestor, a prerequisite on an ancestor instance)
    /// the filter splits on the ancestors' ids, parent first ([`Filter::within`]),
    /// once per class of ancestor ids; a prerequisite on an ancestor is decided by
    /// a check of the ancestor itself, once per class. Its size grows with the ids
    /// named, not with their combinations (see the module docs, and
    /// `benches/README.md` for the cost).
    ///
    /// ```
    /// use accessmask::{Cond, Policy, PolicyDef};
    ///
    /// let def: PolicyDef = serde_json::from_str(r#"{
    ///   "kinds": { "cost_estimate": { "actions": ["view", "edit"], "needs": { "edit": ["view"] },
    ///     "states": ["draft", "billed"],
    ///     "state_rules": [{ "state": "billed", "hold": ["edit"], "unless_roles": ["Admin"] }] } },
    ///   "roles": { "Admin": { "grants": { "cost_estimate": ["edit"] } },
    ///              "Staff": { "grants": { "cost_estimate": { "actions": ["view"], "own": ["edit"] } } } },
    ///   "subjects": { "ann": { "role": "Staff",
    ///                          "exceptions": [{ "kind": "cost_estimate", "id": 7, "deny": ["view"] }] },
    ///                 "root": { "role": "Admin" } }
    /// }"#)?;
    /// let policy = Policy::compile(&def)?;
    /// let ann = policy.subject("ann").ok_or("no ann")?;
    /// let edit = policy.action("cost_estimate", "edit").ok_or("no edit")?;
    /// let filter = policy.filter(ann, edit, edit.kind());
    ///
    /// // ann edits her own estimates unless billed; never estimate 7.
    /// assert_eq!(filter.to_string(), "own, state draft or none; except ids 7: none");
    /// assert_eq!(filter.except()[0].cond, Cond::None);
    ///
    /// let kind = edit.kind();
    /// let draft = policy.state(kind, "draft").ok_or("no draft")?;
    /// let mine = policy.resource(kind).with_id(1).with_owner(ann).with_state(draft);
    /// assert!(filter.matches(&mine) && policy.can(ann, edit, &mine));
    /// assert!(!filter.matches(&mine.with_id(7)));
    ///
    /// let root = policy.subject("root").ok_or("no root")?;
    /// assert!(policy.filter(root, edit, kind).is_all());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Contacts in databases: a rule written in database 42 holds for every
    /// contact in it.
    ///
    /// ```
    /// use accessmask::{Policy, PolicyDef};
    ///
    /// let def: PolicyDef = serde_json::from_str(r#"{
    ///   "kinds": { "database": { "actions": ["view"] },
    ///              "contact": { "actions": ["view", "edit"], "needs": { "edit": ["view"] },
    ///                           "parent": "database" } },
    ///   "roles": { "Editor": { "grants": { "contact": ["edit"] },
    ///     "exceptions": [{ "kind": "contact", "in": "database", "id": 42, "deny": ["edit"] }] } },
    ///   "subjects": { "ann": { "role": "Editor",
    ///                          "exceptions": [{ "kind": "contact", "id": 7, "deny": ["edit"] }] } }
    /// }"#)?;
    /// let policy = Policy::compile(&def)?;
    /// let ann = policy.subject("ann").ok_or("no ann")?;
    /// let edit = policy.action("contact", "edit").ok_or("no edit")?;
    /// let database = policy.kind("database").ok_or("no database")?;
    /// let filter = policy.filter(ann, edit, edit.kind());
    ///
    /// // Contact 7 never; any contact of database 42 never; the others always.
    /// assert_eq!(
    ///     filter.to_string(),
    ///     "no database: all; except ids 7: none; in database 42: (none); \
    ///      in another database: (all; except ids 7: none)"
    /// );
    /// let within = filter.within().ok_or("a split on databases")?;
    /// assert_eq!((within.depth, within.kind.name(), &within.except[0].ids[..]), (1, "database", &[42][..]));
    ///
    /// let contact = |id, db| policy.resource(edit.kind()).with_id(id).within(database.instance(db));
    /// assert!(filter.matches(&contact(1, 5)) && policy.can(ann, edit, &contact(1, 5)));
    /// assert!(!filter.matches(&contact(1, 42)) && !policy.can(ann, edit, &contact(1, 42)));
    /// assert!(!filter.matches(&contact(7, 5)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn filter(&self, subject: SubjectId, action: impl Actions, kind: KindId) -> Filter {
        if self.list_plain(subject, kind) {
            return Filter::from_probe(self, &self.probe(subject, action, kind));
        }
        let states: Vec<String> = self
            .states(kind)
            .map(|s| self.state_name(s).to_string())
            .collect();
        let root = action
            .mask_for(&Resource::new(kind))
            .and_then(|want| Deep::new(self, subject, want, kind))
            .map_or_else(Branch::nothing, |mut deep| deep.build(&states));
        let managed = self
            .resolve(subject)
            .and_then(|s| self.info(s))
            .map_or(&[][..], |i| i.manages());
        Filter::assemble(self, kind, subject, managed, states, root)
    }

    /// Whether the answers of `subject` on `kind` are read off the compiled masks
    /// by [`Compiled`] alone (what [`Policy::probe`] does): no rule of its role
    /// written in an ancestor, no prerequisite on an ancestor instance, number
    /// ids, and (for a kind with a parent) no rule of its own written in an
    /// ancestor. Then a resource that carries no ancestor and no string id takes
    /// `can`'s common path, and one that does answers alike or is invalid.
    pub(crate) fn list_plain(&self, subject: SubjectId, kind: KindId) -> bool {
        let Some((subj, _, pk)) = self.list_entry(subject, kind) else {
            // `can` denies every resource: so does the probe.
            return true;
        };
        if pk.flags & ProfileKind::RARE != 0 {
            return false;
        }
        let chained = self
            .schema
            .kinds
            .get(kind.index())
            .is_some_and(|k| !k.chain.is_empty());
        !(chained && subject_deep(subj, kind))
    }
}

/// The subject's own layer, as a check reads it (only with [`Subject::LAYER`]).
fn own_layer(subj: &Subject) -> Option<&SubjectExtra> {
    subj.extra
        .as_deref()
        .filter(|_| subj.flags & Subject::LAYER != 0)
}

/// Whether the subject's own layer has rules on `k` written in an ancestor.
fn subject_deep(subj: &Subject, k: KindId) -> bool {
    own_layer(subj).is_some_and(|e| e.deep.iter().any(|(dk, _)| *dk == k))
}

/// Whether two answer tables are equal (word by word: they are a word or two,
/// where a call to `memcmp` costs more than the compare).
fn same(a: &Answers, b: &Answers) -> bool {
    a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y)
}

/// An id that is not in `named` (sorted): the first gap from 0 upwards.
pub(crate) fn unnamed_id(named: &[InstanceId]) -> InstanceId {
    let mut candidate: InstanceId = 0;
    for &id in named {
        if id == candidate {
            candidate = candidate.wrapping_add(1);
        } else if id > candidate {
            break;
        }
    }
    candidate
}

/// A name from the policy a filter was made from, with its position there (what
/// [`Filter::matches`] compares; [`Filter::to_sql`](crate::Filter::to_sql) uses the
/// name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Named {
    name: String,
    index: u32,
}

impl Named {
    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The position in the policy ([`SubjectId::index`], [`KindId::index`]).
    pub fn index(&self) -> usize {
        self.index as usize
    }
}

/// Who owns an instance, relative to the filter's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Owner {
    /// Owned by the subject itself.
    Own,
    /// Owned by one of the subjects it manages ([`Filter::managed`]).
    Managed,
    /// No owner.
    Unowned,
    /// Owned by anyone else: neither the subject nor one it manages.
    Other,
}

impl Owner {
    fn of_class(class: usize) -> Owner {
        match class {
            OWN => Owner::Own,
            MANAGED => Owner::Managed,
            UNOWNED => Owner::Unowned,
            _ => Owner::Other,
        }
    }
}

/// A set of states: some of the kind's states, and or "no state". Never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct States {
    /// States by name, in the kind's declaration order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Whether instances with no state are in the set.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unset: bool,
}

/// One alternative of a [`Cond`]: the instance's owner is in `owners` (any owner
/// when `None`) and its state is in `states` (any state when `None`). Never both
/// `None`; `owners` is never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Clause {
    /// The owner relations allowed, if restricted, in the order own, managed,
    /// unowned, other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owners: Option<Vec<Owner>>,
    /// The states allowed, if restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub states: Option<States>,
}

/// A condition on an instance's owner and state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cond {
    /// Every instance.
    All,
    /// No instance.
    None,
    /// Instances that satisfy at least one clause (never an empty list).
    Any(Vec<Clause>),
}

/// Instances whose id is in `ids` follow `cond` instead of the default.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Except {
    /// The ids, sorted, never empty. For a kind with string ids: the policy's
    /// numbers for the strings of `texts` (what a resolved [`Instance`] holds).
    pub ids: Vec<InstanceId>,
    /// For a kind with string ids, the ids as strings: `texts[i]` is `ids[i]`
    /// (what [`Filter::to_sql`](crate::Filter::to_sql) binds). Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub texts: Vec<String>,
    /// Their condition (never the default's).
    pub cond: Cond,
}

/// What holds for instances given some ancestors (none, at the top of a
/// [`Filter`]): `default`, `except` and `no_id` for those given no further
/// ancestor, by their own id; `within` for those given the next ancestor, by its
/// id. A filter's top is a branch; so is each case of a [`Within`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Branch {
    /// The condition for instances whose id no `except` entry lists.
    pub default: Cond,
    /// Ids whose condition differs from the default, grouped by condition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<Except>,
    /// The condition for instances with no id, when it differs from the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_id: Option<Cond>,
    /// Instances given the next ancestor, split by its id. `None`: they follow
    /// the conditions above, whatever their further ancestors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Box<Within>>,
}

/// The instances given their ancestor at `depth` (1: the parent), split by that
/// ancestor's id: those listed in an `except` entry follow its branch, the others
/// `default`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Within {
    /// 1: the parent; 2: the grandparent; and so on.
    pub depth: usize,
    /// The ancestor's kind.
    pub kind: Named,
    /// Instances whose ancestor at `depth` has an id no `except` entry lists.
    pub default: Branch,
    /// Ancestor ids whose branch differs from the default, grouped by branch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<WithinIds>,
}

/// Instances whose ancestor (at the depth of the enclosing [`Within`]) has an id
/// in `ids` follow `then`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WithinIds {
    /// The ancestor ids, sorted, never empty. For an ancestor kind with string
    /// ids: the policy's numbers for the strings of `texts`.
    pub ids: Vec<InstanceId>,
    /// For an ancestor kind with string ids, the ids as strings: `texts[i]` is
    /// `ids[i]`. Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub texts: Vec<String>,
    /// Their branch (never the default's).
    pub then: Branch,
}

/// An ancestor kind of a filter's kind ([`Filter::ancestors`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AncestorKind {
    /// The kind.
    pub kind: Named,
    /// Whether its instances have string ids.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub string_ids: bool,
}

/// How the policy a filter was made from resolves string ids: what
/// [`Filter::matches`] checks a resolved [`Instance`] against, as `can` does.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Strings {
    /// How many strings the policy named when the filter was made.
    named: u64,
    /// The policy's string numbers (shared, not copied), to tell whether a
    /// resolved id is good there. Not serialized: a filter read back from JSON
    /// matches no resource with a string id (its SQL still binds the strings).
    #[serde(skip)]
    texts: Option<Texts>,
}

/// Filters compare by what they say: the strings table a filter keeps to check
/// resolved ids is not part of it.
impl PartialEq for Strings {
    fn eq(&self, other: &Self) -> bool {
        self.named == other.named
    }
}

impl Eq for Strings {}

/// The exact set of instances of one kind on which one subject may do one action
/// ([`Policy::filter`]).
///
/// An instance matches when, by its id, the condition that applies to it holds
/// for its owner and state: the [`Except`] entry listing its id, else (for an
/// instance with no id, [`Filter::no_id`] when there is one) the
/// [`default`](Filter::default). Instances in a state the kind does not have never
/// match (default deny), nor do resources `can` denies as built inconsistently
/// (ancestors of the wrong kind or too many, a number id for a kind with string
/// ids or the reverse, a string resolved by another policy). The form is
/// simplified: no empty list, and no part that cannot change the answer (a
/// constant filter is [`is_all`](Filter::is_all) or [`is_none`](Filter::is_none),
/// with no conditions).
///
/// **Ancestors.** For a kind whose answers depend on the instance's ancestors
/// (rules written `in` an ancestor, a prerequisite on an ancestor instance),
/// [`within`](Filter::within) splits the instances given their parent by the
/// parent's id, each case a [`Branch`] with its own conditions and, if the
/// grandparent matters there, its own `within`; `default`, `except` and `no_id`
/// then hold for instances given no ancestor. Ancestors are read parent first, so
/// an instance given its parent and not its grandparent follows the conditions of
/// the parent's branch. For any other kind `within` is `None` and the conditions
/// hold for every instance.
///
/// It serializes through serde (names for reading and for SQL, with positions in
/// the policy for [`Filter::matches`]):
///
/// ```json
/// { "kind": { "name": "cost_estimate", "index": 0 },
///   "subject": { "name": "ann", "index": 0 },
///   "states": ["draft", "billed"],
///   "default": { "any": [ { "owners": ["own"], "states": { "names": ["draft"], "unset": true } } ] },
///   "except": [ { "ids": [7], "cond": "none" } ] }
/// ```
///
/// and, for contacts in databases where the subject's role denies `edit` in
/// database 42:
///
/// ```json
/// { "kind": { "name": "contact", "index": 1 },
///   "subject": { "name": "ann", "index": 0 },
///   "ancestors": [ { "kind": { "name": "database", "index": 0 } } ],
///   "default": "all",
///   "within": { "depth": 1, "kind": { "name": "database", "index": 0 },
///               "default": { "default": "all" },
///               "except": [ { "ids": [42], "then": { "default": "none" } } ] } }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    kind: Named,
    /// The kind's instances have string ids.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    string_ids: bool,
    subject: Named,
    /// The subjects the subject manages; only when a condition mentions
    /// [`Owner::Managed`] or [`Owner::Other`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    managed: Vec<Named>,
    /// The kind's states, in declaration order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    states: Vec<String>,
    /// The kind's ancestor kinds, parent first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ancestors: Vec<AncestorKind>,
    /// When the kind or an ancestor kind has string ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    strings: Option<Strings>,
    #[serde(flatten)]
    root: Branch,
}

impl Filter {
    fn from_probe(policy: &Policy, p: &Probe<'_>) -> Filter {
        let states: Vec<String> = policy
            .states(p.kind)
            .map(|s| policy.state_name(s).to_string())
            .collect();
        let root = body_of(p, &states, None);
        Filter::assemble(policy, p.kind, p.subject, p.managed, states, root)
    }

    /// The filter with `root` as its conditions, and what it needs to read them:
    /// the managed subjects (when a condition mentions them), the kind's ancestor
    /// kinds and how string ids resolve.
    fn assemble(
        policy: &Policy,
        kind: KindId,
        subject: SubjectId,
        managed: &[u32],
        states: Vec<String>,
        root: Branch,
    ) -> Filter {
        let mut needs_managed = false;
        root.each_cond(&mut |c| {
            if let Cond::Any(clauses) = c {
                needs_managed |= clauses
                    .iter()
                    .flat_map(|c| c.owners.iter().flatten())
                    .any(|o| matches!(o, Owner::Managed | Owner::Other));
            }
        });
        let managed = if needs_managed {
            managed
                .iter()
                .map(|&m| Named {
                    name: policy.subject_name(SubjectId(m)).to_string(),
                    index: m,
                })
                .collect()
        } else {
            Vec::new()
        };
        let compiled = policy.schema.kinds.get(kind.index());
        let text = |k: KindId| {
            policy
                .schema
                .kinds
                .get(k.index())
                .is_some_and(|k| k.text_ids)
        };
        let ancestors: Vec<AncestorKind> = compiled
            .map(|c| {
                c.chain
                    .iter()
                    .map(|&a| AncestorKind {
                        kind: Named {
                            name: policy.kind_name(a).to_string(),
                            index: a.0,
                        },
                        string_ids: text(a),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let string_ids = text(kind);
        let strings = (string_ids || ancestors.iter().any(|a| a.string_ids)).then(|| Strings {
            named: policy.texts.len() as u64,
            texts: Some(policy.texts.clone()),
        });
        Filter {
            kind: Named {
                name: policy.kind_name(kind).to_string(),
                index: kind.0,
            },
            string_ids,
            subject: Named {
                name: policy.subject_name(subject).to_string(),
                index: subject.index,
            },
            managed,
            states,
            ancestors,
            strings,
            root,
        }
    }

    /// The kind the filter is about.
    pub fn kind(&self) -> &Named {
        &self.kind
    }

    /// Whether the kind's instances have string ids (then [`Except::texts`] and
    /// [`WithinIds::texts`] hold the ids as strings).
    pub fn string_ids(&self) -> bool {
        self.string_ids
    }

    /// The subject whose permissions the filter gives.
    pub fn subject(&self) -> &Named {
        &self.subject
    }

    /// The subjects the subject manages, when a condition needs them (it mentions
    /// [`Owner::Managed`] or [`Owner::Other`]); otherwise empty.
    pub fn managed(&self) -> &[Named] {
        &self.managed
    }

    /// The kind's states, in declaration order (the states an instance may be in).
    pub fn states(&self) -> &[String] {
        &self.states
    }

    /// The kind's ancestor kinds, parent first (empty for a kind with no parent).
    pub fn ancestors(&self) -> &[AncestorKind] {
        &self.ancestors
    }

    /// The conditions at the top: the whole filter (see [`Branch`]).
    pub fn branch(&self) -> &Branch {
        &self.root
    }

    /// The condition for instances whose id no [`Except`] entry lists (and, when
    /// [`within`](Filter::within) is set, that are given no ancestor).
    pub fn default(&self) -> &Cond {
        &self.root.default
    }

    /// Ids whose condition differs from the default, grouped by condition.
    pub fn except(&self) -> &[Except] {
        &self.root.except
    }

    /// The condition for instances with no id, when it differs from the default
    /// (the engine gives an instance with no id the answer of an unnamed id, so
    /// this is `None` in practice).
    pub fn no_id(&self) -> Option<&Cond> {
        self.root.no_id.as_ref()
    }

    /// Instances given their parent, split by the parent's id, when the answer
    /// depends on it (see [`Filter`]).
    pub fn within(&self) -> Option<&Within> {
        self.root.within.as_deref()
    }

    /// Whether the filter matches every instance of the kind (in any of its states).
    pub fn is_all(&self) -> bool {
        self.root.is_const(&Cond::All)
    }

    /// Whether the filter matches no instance.
    pub fn is_none(&self) -> bool {
        self.root.is_const(&Cond::None)
    }

    /// Whether `resource` is in the set: exactly
    /// [`Policy::can`]`(subject, action, resource)` for the policy, subject and
    /// action the filter was made from.
    pub fn matches(&self, resource: &Resource) -> bool {
        if resource.kind.0 != self.kind.index || !self.valid(resource) {
            return false;
        }
        let state = match resource.state {
            None => 0,
            Some(st) if st.kind.0 == self.kind.index && st.index.index() < self.states.len() => {
                st.index.index() + 1
            }
            Some(_) => return false,
        };
        let owner = match resource.owner {
            None => Owner::Unowned,
            Some(o) if o.index == self.subject.index => Owner::Own,
            Some(o) if self.managed.iter().any(|m| m.index == o.index) => Owner::Managed,
            Some(_) => Owner::Other,
        };
        // Parent first, down the tree while it splits on a given ancestor.
        let given = resource.ancestors();
        let mut branch = &self.root;
        while let Some(w) = &branch.within {
            let Some(a) = w.depth.checked_sub(1).and_then(|d| given.get(d)) else {
                break;
            };
            branch = w
                .except
                .iter()
                .find(|e| e.ids.binary_search(&a.id).is_ok())
                .map_or(&w.default, |e| &e.then);
        }
        let cond = match resource.id {
            None => branch.no_id.as_ref().unwrap_or(&branch.default),
            Some(id) => branch
                .except
                .iter()
                .find(|e| e.ids.binary_search(&id).is_ok())
                .map_or(&branch.default, |e| &e.cond),
        };
        self.holds(cond, owner, state)
    }

    /// Whether `can` reads `r` as a consistent resource of the filter's kind (see
    /// `Policy::invalid`, which denies every check on any other).
    fn valid(&self, r: &Resource) -> bool {
        if r.rare & Resource::INVALID != 0 {
            return false;
        }
        let id_ok = |text: bool, id: InstanceId, stamp: u32| {
            if text {
                self.strings
                    .as_ref()
                    .and_then(|s| s.texts.as_ref())
                    .is_some_and(|t| stamp != 0 && t.holds(id, stamp))
            } else {
                stamp == 0
            }
        };
        if let Some(id) = r.id {
            if !id_ok(self.string_ids, id, r.stamp) {
                return false;
            }
        }
        let given = r.ancestors();
        given.len() <= self.ancestors.len()
            && given
                .iter()
                .zip(&self.ancestors)
                .all(|(a, k)| a.kind.0 == k.kind.index && id_ok(k.string_ids, a.id, a.stamp))
    }

    /// Whether `b` holds for every owner and state for which `a` holds.
    pub(crate) fn implies(&self, a: &Cond, b: &Cond) -> bool {
        [Owner::Own, Owner::Managed, Owner::Unowned, Owner::Other]
            .into_iter()
            .all(|o| (0..=self.states.len()).all(|s| !self.holds(a, o, s) || self.holds(b, o, s)))
    }

    /// Whether `cond` holds for an instance with this owner and state (0: none,
    /// `i + 1`: state `i`).
    fn holds(&self, cond: &Cond, owner: Owner, state: usize) -> bool {
        match cond {
            Cond::All => true,
            Cond::None => false,
            Cond::Any(clauses) => clauses.iter().any(|c| {
                c.owners.as_ref().map_or(true, |os| os.contains(&owner))
                    && c.states.as_ref().map_or(true, |s| match state {
                        0 => s.unset,
                        i => self
                            .states
                            .get(i - 1)
                            .is_some_and(|name| s.names.contains(name)),
                    })
            }),
        }
    }
}

impl Branch {
    /// A branch that matches nothing.
    fn nothing() -> Branch {
        Branch::of(Cond::None)
    }

    /// A branch whose every instance follows `cond`.
    fn of(cond: Cond) -> Branch {
        Branch {
            default: cond,
            except: Vec::new(),
            no_id: None,
            within: None,
        }
    }

    /// Whether every instance, whatever its id and ancestors, follows `cond`.
    fn is_const(&self, cond: &Cond) -> bool {
        self.default == *cond
            && self.except.is_empty()
            && self.no_id.is_none()
            && self.within.is_none()
    }

    /// Whether the two branches hold the same conditions for instances given no
    /// further ancestor.
    pub(crate) fn same_conditions(&self, other: &Branch) -> bool {
        self.default == other.default && self.except == other.except && self.no_id == other.no_id
    }

    /// Calls `f` on every condition of the branch and the branches below it.
    pub(crate) fn each_cond(&self, f: &mut impl FnMut(&Cond)) {
        f(&self.default);
        for e in &self.except {
            f(&e.cond);
        }
        if let Some(c) = &self.no_id {
            f(c);
        }
        if let Some(w) = &self.within {
            w.default.each_cond(f);
            for e in &w.except {
                e.then.each_cond(f);
            }
        }
    }
}

/// The conditions read off a probe's answers (no `within`): the default from the
/// unnamed id's answers, the named ids whose answers differ grouped by answers,
/// and the no-id condition if it differs. `texts`: for a kind with string ids,
/// the policy's strings, to carry each id as its string too.
fn body_of(p: &Probe<'_>, states: &[String], texts: Option<&Texts>) -> Branch {
    let default = cond_of(p, &p.other_id, states);
    let mut groups: SmallVec<[(&Answers, Vec<InstanceId>); 4]> = SmallVec::new();
    for (id, answers) in &p.named {
        if same(answers, &p.other_id) {
            continue;
        }
        match groups.iter_mut().find(|(a, _)| same(a, answers)) {
            Some((_, ids)) => ids.push(*id),
            None => groups.push((answers, vec![*id])),
        }
    }
    let except: Vec<Except> = groups
        .into_iter()
        .map(|(answers, ids)| Except {
            texts: texts.map_or_else(Vec::new, |t| strings_of(t, &ids)),
            ids,
            cond: cond_of(p, answers, states),
        })
        .collect();
    let no_id = (!same(&p.no_id, &p.other_id)).then(|| cond_of(p, &p.no_id, states));
    Branch {
        default,
        except,
        no_id,
        within: None,
    }
}

/// The strings the policy resolves to `ids` (each a number it gave a string).
fn strings_of(texts: &Texts, ids: &[InstanceId]) -> Vec<String> {
    ids.iter()
        .map(|&id| texts.text(id).unwrap_or_default().to_string())
        .collect()
}

/// A prerequisite on an ancestor instance that can remove the filter's action.
#[derive(Debug)]
struct Pre {
    /// The action's bit, and it with every action that needs it (what an unmet
    /// prerequisite removes).
    action: u64,
    close_up: u64,
    /// The depth of the ancestor it is decided on (1: the parent), and the
    /// actions needed there.
    depth: usize,
    needs: u64,
    /// The ancestor's kind.
    kind: KindId,
    /// Per depth (`d - 1`), the ancestor ids that ancestor's own answer can tell
    /// apart, sorted; any other id answers as [`Deep::others`] does.
    classes: Vec<Vec<InstanceId>>,
    /// Per depth (`d - 1`), for each id of `classes` (same position), the id
    /// that stands for it in the walk's state: an id that the ancestor's answer
    /// reads only through its layers' maps at that level stands for every id with
    /// the same maps (so thousands of ancestor exceptions that do the same make
    /// one state, not one each); any other id stands for itself.
    reps: Vec<Vec<InstanceId>>,
}

/// One kind's layer maps as a check of one subject reads them (see
/// `Policy::contained`).
#[derive(Debug, Clone, Copy)]
struct Maps<'p> {
    policy: &'p Policy,
    kind: KindId,
    pk: &'p ProfileKind,
    /// The subject's own layer, when a check reads it.
    extra: Option<&'p SubjectExtra>,
    /// Per depth `d` (index `d`), the role layer's rules written in the ancestor
    /// there, on an ancestor it does not name: `None` where it writes none (or
    /// the role writes no rule in ancestors). Read once, not once per id.
    role_defaults: [Option<Affine>; MAX_ANCESTORS + 1],
    subject_deep: bool,
}

impl<'p> Maps<'p> {
    fn new(policy: &'p Policy, subj: &'p Subject, pk: &'p ProfileKind, kind: KindId) -> Maps<'p> {
        let mut role_defaults = [None; MAX_ANCESTORS + 1];
        if pk.flags & ProfileKind::DEEP != 0 {
            for (e, d) in role_defaults.iter_mut().enumerate().skip(1) {
                // INVARIANT (role rules in ancestors, as `Policy::contained`): a
                // depth where the role writes no rule has no default entry, and
                // changes nothing.
                *d = policy
                    .schema
                    .role_deep
                    .get(role_tag(pk.role, Slot::new(kind, e as u8)), 0);
            }
        }
        Maps {
            policy,
            kind,
            pk,
            extra: own_layer(subj),
            role_defaults,
            subject_deep: subject_deep(subj, kind),
        }
    }

    /// The role layer's and the subject's own layer's maps at `level` (0: the
    /// instance itself, 1: its parent, ...) on the instance `id` there (none: no
    /// id, or the ancestor not given).
    fn at(&self, level: usize, id: Option<InstanceId>) -> (Affine, Affine) {
        if level == 0 {
            (self.role_own(id), self.subject_own(id))
        } else {
            (self.role_at(level, id), self.subject_at(level, id))
        }
    }

    /// The role layer's rules written in the ancestor at depth `e`.
    fn role_at(&self, e: usize, id: Option<InstanceId>) -> Affine {
        let Some(default) = self.role_defaults.get(e).copied().flatten() else {
            return Affine::IDENTITY;
        };
        match id {
            Some(id) => {
                let tag = role_tag(self.pk.role, Slot::new(self.kind, e as u8));
                self.policy
                    .schema
                    .role_instances
                    .get(tag, id)
                    .unwrap_or(default)
            }
            None => default,
        }
    }

    /// The subject's own rules written in the ancestor at depth `e`.
    fn subject_at(&self, e: usize, id: Option<InstanceId>) -> Affine {
        match self.extra {
            Some(x) if self.subject_deep => x.at(Slot::new(self.kind, e as u8), id),
            _ => Affine::IDENTITY,
        }
    }

    /// The role layer on the instance itself (as `Compiled::layers`).
    fn role_own(&self, id: Option<InstanceId>) -> Affine {
        let pk = self.pk;
        match id {
            Some(id) if pk.flags & ProfileKind::NAMES != 0 => Affine {
                and: self.policy.role_instance(pk, self.kind, id, !0),
                or: self.policy.role_instance(pk, self.kind, id, 0),
            },
            _ => pk.role_default,
        }
    }

    /// The subject's own rules on the instance itself.
    fn subject_own(&self, id: Option<InstanceId>) -> Affine {
        self.extra
            .map_or(Affine::IDENTITY, |x| x.at(Slot::of(self.kind), id))
    }
}

/// Where a walk down an instance's ancestors (parent first) stands: how many are
/// read, and what they did.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct State {
    depth: usize,
    /// The role layer's maps for the ancestors read (the parent's applied last),
    /// on [`Deep::bits`] only (the identity elsewhere).
    role: Affine,
    /// The subject's own layer's, likewise.
    subject: Affine,
    /// Per prerequisite of [`Deep::pres`]: the classes of the ancestors it reads,
    /// from its depth to `depth` (empty while `depth` is above it).
    paths: SmallVec<[SmallVec<[InstanceId; 4]>; 2]>,
}

/// The filter of a kind whose answers depend on ancestors or that has string
/// ids, read off what `Policy::contained` reads (see the module docs).
#[derive(Debug)]
struct Deep<'p> {
    policy: &'p Policy,
    subject: SubjectId,
    kind: KindId,
    chain: &'p [KindId],
    maps: Maps<'p>,
    string_ids: bool,
    want: u64,
    /// `want` and the actions of `pres`: the bits an answer reads.
    bits: u64,
    scoped: [u64; OWNER_CLASSES],
    keeps: SmallVec<[u64; 8]>,
    managed: &'p [u32],
    own_named: Vec<InstanceId>,
    own_other: InstanceId,
    /// Per depth (`d - 1`), the ancestor ids with a class of their own, sorted.
    classes: Vec<Vec<InstanceId>>,
    /// Per depth, an id in no class (for a kind with string ids, the unnamed one).
    others: Vec<InstanceId>,
    /// `role_tail[d]`: the role layer's maps for depths `d + 1` and up (further up
    /// the chain), none of them given, outermost first; `subject_tail` likewise.
    role_tail: Vec<Affine>,
    subject_tail: Vec<Affine>,
    pres: Vec<Pre>,
    met: HashMap<(usize, SmallVec<[InstanceId; 4]>), bool>,
    memo: HashMap<State, usize>,
    nodes: Vec<Branch>,
    /// Nodes by content. Keys are whole subtrees, and there are few of them (one
    /// per distinct conditions), so a cheap hash serves: a collision costs one
    /// compare among few.
    interned: HashMap<Branch, usize, BuildHasherDefault<IntHasher>>,
}

/// `a` on `bits` only: the identity elsewhere (two maps that agree on `bits`
/// become equal).
fn on_bits(a: Affine, bits: u64) -> Affine {
    Affine {
        and: a.and | !bits,
        or: a.or & bits,
    }
}

/// Appends to `out` (indexed by depth below the filter's kind, `d - 1`) the
/// ancestor ids the answer on an ancestor of kind `kind` at depth `at` can tell
/// apart: those its own layers name at each of its slots (its own id, then its
/// ancestors'), and, for each prerequisite it has on an ancestor of its own,
/// those that ancestor's answer can tell apart.
fn relevant(
    policy: &Policy,
    info: Option<SubjectRef<'_>>,
    kind: KindId,
    at: usize,
    out: &mut [Vec<InstanceId>],
) {
    let Some(compiled) = policy.schema.kinds.get(kind.index()) else {
        return;
    };
    for level in 0..=compiled.chain.len() {
        if let Some(ids) = (at + level).checked_sub(1).and_then(|i| out.get_mut(i)) {
            ids.extend(named_at(policy, info, Slot::new(kind, level as u8)));
        }
    }
    // The recursion goes up the chain: at most `MAX_ANCESTORS` deep.
    for q in &compiled.ancestor_prerequisites {
        relevant(policy, info, q.kind, at + usize::from(q.depth), out);
    }
}

/// For prerequisite `p`, per depth (`d - 1`), each id of its classes to the id
/// that stands for it (see [`Pre::reps`]). At a level of the ancestor that none
/// of its own prerequisites on ancestors reads, an id enters the ancestor's answer
/// only through the ancestor kind's role and subject maps there: ids whose maps
/// agree on the bits that answer reads (the needed actions, and the actions of
/// the ancestor's own prerequisites) stand for one another, and those that agree
/// with an id named nowhere stand for `others`' id.
fn stand_ins(
    policy: &Policy,
    subject: SubjectId,
    p: &Pre,
    others: &[InstanceId],
) -> Vec<Vec<InstanceId>> {
    let entry = policy.list_entry(subject, p.kind);
    let compiled = policy.schema.kinds.get(p.kind.index());
    let first_read = compiled
        .and_then(|c| {
            c.ancestor_prerequisites
                .iter()
                .map(|q| usize::from(q.depth))
                .min()
        })
        .unwrap_or(usize::MAX);
    let bits = compiled.map_or(p.needs, |c| {
        c.ancestor_prerequisites
            .iter()
            .fold(p.needs, |b, q| b | 1u64 << (q.action & 63))
    });
    let maps = entry.map(|(subj, _, pk)| Maps::new(policy, subj, pk, p.kind));
    p.classes
        .iter()
        .zip(others)
        .enumerate()
        .map(|(i, (ids, &other))| {
            let level = (i + 1).checked_sub(p.depth);
            match (level, maps) {
                (Some(level), Some(maps)) if level < first_read => {
                    let sig = |id: InstanceId| {
                        let (r, s) = maps.at(level, Some(id));
                        (on_bits(r, bits), on_bits(s, bits))
                    };
                    // Few distinct maps (they are masks of a few bits): a cheap hash.
                    let mut seen: HashMap<
                        (Affine, Affine),
                        InstanceId,
                        BuildHasherDefault<IntHasher>,
                    > = HashMap::default();
                    seen.insert(sig(other), other);
                    ids.iter()
                        .map(|&id| *seen.entry(sig(id)).or_insert(id))
                        .collect()
                }
                _ => ids.clone(),
            }
        })
        .collect()
}

impl<'p> Deep<'p> {
    /// The builder, or none when `can` denies every resource of `kind` to
    /// `subject` (unknown subject or kind).
    fn new(policy: &'p Policy, subject: SubjectId, want: u64, kind: KindId) -> Option<Deep<'p>> {
        let k = kind;
        let compiled = policy.schema.kinds.get(kind.index())?;
        let (subj, profiles, pk) = policy.list_entry(subject, k)?;
        let info = policy.resolve(subject).and_then(|s| policy.info(s));
        // INVARIANT (scopes, as `Compiled::new` and `Policy::scoped`).
        let set = pk.set;
        let mut scoped = [set.any; OWNER_CLASSES];
        if let Some(x) = scoped.get_mut(OWN) {
            *x |= set.own;
        }
        if let Some(x) = scoped.get_mut(MANAGED) {
            *x |= set.managed;
        }
        let n_states = policy.states(kind).len();
        let keeps: SmallVec<[u64; 8]> = std::iter::once(pk.keep)
            .chain(
                StateIx::range(n_states)
                    .map(|index| policy.state_keep(profiles, pk, k, StateId { kind: k, index })),
            )
            .collect();
        let chain: &[KindId] = &compiled.chain;
        let depth = chain.len();
        // Only prerequisites whose unmet removal reaches `want` can change the
        // answer: another one removes actions `want` does not hold, and any
        // prerequisite it would make skipped (its action needs the removed one)
        // removes no more than it does.
        let mut pres: Vec<Pre> = compiled
            .ancestor_prerequisites
            .iter()
            .filter_map(|p| {
                let action = 1u64 << (p.action & 63);
                let close_up = compiled.close_up(action);
                if close_up & want == 0 {
                    return None;
                }
                let mut classes = vec![Vec::new(); depth];
                relevant(policy, info, p.kind, usize::from(p.depth), &mut classes);
                for c in &mut classes {
                    c.sort_unstable();
                    c.dedup();
                }
                Some(Pre {
                    action,
                    close_up,
                    depth: usize::from(p.depth),
                    needs: p.needs,
                    classes,
                    reps: Vec::new(),
                    kind: p.kind,
                })
            })
            .collect();
        let bits = pres.iter().fold(want, |b, p| b | p.action);
        let mut classes: Vec<Vec<InstanceId>> = (1..=depth)
            .map(|d| named_at(policy, info, Slot::new(k, d as u8)))
            .collect();
        for p in &pres {
            for (c, pc) in classes.iter_mut().zip(&p.classes) {
                c.extend_from_slice(pc);
            }
        }
        for c in &mut classes {
            c.sort_unstable();
            c.dedup();
        }
        // A string no rule names resolves to this number (see `Policy::instance`).
        let unnamed_text = Texts::UNNAMED | policy.texts.len() as u64;
        let text = |a: KindId| {
            policy
                .schema
                .kinds
                .get(a.index())
                .is_some_and(|x| x.text_ids)
        };
        let others: Vec<InstanceId> = classes
            .iter()
            .zip(chain)
            .map(|(c, &a)| if text(a) { unnamed_text } else { unnamed_id(c) })
            .collect();
        for p in &mut pres {
            p.reps = stand_ins(policy, subject, p, &others);
        }
        let own_named = named_at(policy, info, Slot::new(k, 0));
        let own_other = if compiled.text_ids {
            unnamed_text
        } else {
            unnamed_id(&own_named)
        };
        let mut deep = Deep {
            policy,
            subject,
            kind,
            chain,
            maps: Maps::new(policy, subj, pk, k),
            string_ids: compiled.text_ids,
            want,
            bits,
            scoped,
            keeps,
            managed: info.map_or(&[][..], |i| i.manages()),
            own_named,
            own_other,
            classes,
            others,
            role_tail: Vec::new(),
            subject_tail: Vec::new(),
            pres,
            met: HashMap::new(),
            memo: HashMap::new(),
            nodes: Vec::new(),
            interned: HashMap::default(),
        };
        // Tails: the maps of the depths not given, outermost first.
        let (mut role, mut own) = (Affine::IDENTITY, Affine::IDENTITY);
        let mut role_tail = vec![role];
        let mut subject_tail = vec![own];
        for d in (1..=depth).rev() {
            let (r, o) = deep.maps.at(d, None);
            role = role.then(r);
            own = own.then(o);
            role_tail.push(role);
            subject_tail.push(own);
        }
        role_tail.reverse();
        subject_tail.reverse();
        deep.role_tail = role_tail;
        deep.subject_tail = subject_tail;
        Some(deep)
    }

    /// The whole tree.
    fn build(&mut self, states: &[String]) -> Branch {
        let start = State {
            depth: 0,
            role: on_bits(Affine::IDENTITY, self.bits),
            subject: on_bits(Affine::IDENTITY, self.bits),
            paths: self.pres.iter().map(|_| SmallVec::new()).collect(),
        };
        let root = self.node(start, states);
        self.branch_at(root)
    }

    fn branch_at(&self, n: usize) -> Branch {
        self.nodes.get(n).cloned().unwrap_or_else(Branch::nothing)
    }

    fn intern(&mut self, branch: Branch) -> usize {
        if let Some(&n) = self.interned.get(&branch) {
            return n;
        }
        let n = self.nodes.len();
        self.nodes.push(branch.clone());
        self.interned.insert(branch, n);
        n
    }

    /// The branch for the instances given exactly the ancestors `state` read, and
    /// possibly more: its conditions when no further ancestor is given, and a split
    /// on the next one when that can change an answer.
    fn node(&mut self, state: State, states: &[String]) -> usize {
        if let Some(&n) = self.memo.get(&state) {
            return n;
        }
        let body = self.leaf(&state, states);
        let d = state.depth;
        let branch = match (self.chain.get(d).copied(), self.others.get(d).copied()) {
            (Some(akind), Some(other)) => {
                let next = self.step(&state, other);
                let other_child = self.node(next, states);
                let mut groups: Vec<(usize, Vec<InstanceId>)> = Vec::new();
                // The few states the ids of this depth lead to, compared before
                // hashing: most ids lead to one already seen.
                let mut recent: SmallVec<[(State, usize); 8]> = SmallVec::new();
                let mut i = 0;
                while let Some(&id) = self.classes.get(d).and_then(|c| c.get(i)) {
                    i += 1;
                    let next = self.step(&state, id);
                    let child = match recent.iter().find(|(s, _)| *s == next) {
                        Some(&(_, child)) => child,
                        None => {
                            let child = self.node(next.clone(), states);
                            if !recent.spilled() {
                                recent.push((next, child));
                            }
                            child
                        }
                    };
                    if child == other_child {
                        continue;
                    }
                    match groups.iter_mut().find(|(c, _)| *c == child) {
                        Some((_, ids)) => ids.push(id),
                        None => groups.push((child, vec![id])),
                    }
                }
                let default = self.branch_at(other_child);
                if groups.is_empty() && default.within.is_none() && default.same_conditions(&body) {
                    // The next ancestor changes nothing, whichever it is.
                    body
                } else {
                    let text = self
                        .policy
                        .schema
                        .kinds
                        .get(akind.index())
                        .is_some_and(|x| x.text_ids);
                    let except = groups
                        .into_iter()
                        .map(|(child, ids)| WithinIds {
                            texts: if text {
                                strings_of(&self.policy.texts, &ids)
                            } else {
                                Vec::new()
                            },
                            ids,
                            then: self.branch_at(child),
                        })
                        .collect();
                    Branch {
                        within: Some(Box::new(Within {
                            depth: d + 1,
                            kind: Named {
                                name: self.policy.kind_name(akind).to_string(),
                                index: akind.0,
                            },
                            default,
                            except,
                        })),
                        ..body
                    }
                }
            }
            _ => body,
        };
        let n = self.intern(branch);
        self.memo.insert(state, n);
        n
    }

    /// `state` after reading `id` as the next ancestor.
    fn step(&self, state: &State, id: InstanceId) -> State {
        let e = state.depth + 1;
        let other = self.others.get(e - 1).copied().unwrap_or(id);
        let (role, subject) = self.maps.at(e, Some(id));
        State {
            depth: e,
            role: on_bits(role.then(state.role), self.bits),
            subject: on_bits(subject.then(state.subject), self.bits),
            paths: self
                .pres
                .iter()
                .zip(&state.paths)
                .map(|(p, path)| {
                    let mut path = path.clone();
                    if p.depth <= e {
                        let rep = p.classes.get(e - 1).and_then(|c| {
                            let at = c.binary_search(&id).ok()?;
                            p.reps.get(e - 1)?.get(at)
                        });
                        path.push(rep.copied().unwrap_or(other));
                    }
                    path
                })
                .collect(),
        }
    }

    /// The conditions for instances given exactly the ancestors `state` read.
    fn leaf(&mut self, state: &State, states: &[String]) -> Branch {
        let d = state.depth;
        let mut met: SmallVec<[bool; 4]> = SmallVec::new();
        for (i, path) in state.paths.iter().enumerate() {
            let read = self.pres.get(i).is_some_and(|p| p.depth <= d);
            // INVARIANT (prerequisites on ancestors, as `Policy::contained`): an
            // ancestor not given meets none.
            met.push(read && self.met(i, path));
        }
        let role = self
            .role_tail
            .get(d)
            .copied()
            .unwrap_or(Affine::IDENTITY)
            .then(state.role);
        let subject = self
            .subject_tail
            .get(d)
            .copied()
            .unwrap_or(Affine::IDENTITY)
            .then(state.subject);
        // Step 5 as `Policy::contained` takes it: the role's rules in ancestors
        // (outermost first), the role's on the instance, then the subject's.
        let answers = |id: Option<InstanceId>| {
            let (role_own, subject_own) = self.maps.at(0, id);
            let map = role.then(role_own).then(subject).then(subject_own);
            self.answers(map, &met)
        };
        let probe = Probe {
            kind: self.kind,
            subject: self.subject,
            n_states: self.keeps.len().saturating_sub(1),
            managed: self.managed,
            other_id: answers(Some(self.own_other)),
            no_id: answers(None),
            named: self
                .own_named
                .iter()
                .map(|&id| (id, answers(Some(id))))
                .collect(),
        };
        body_of(
            &probe,
            states,
            self.string_ids.then_some(&self.policy.texts),
        )
    }

    /// Whether the prerequisite `pres[i]` is met on the ancestors of classes
    /// `path` (its own, then those above it): the engine's own answer on that
    /// ancestor, as a check asks it.
    fn met(&mut self, i: usize, path: &SmallVec<[InstanceId; 4]>) -> bool {
        let key = (i, path.clone());
        if let Some(&m) = self.met.get(&key) {
            return m;
        }
        let Some(p) = self.pres.get(i) else {
            return false;
        };
        let mut ancestor: Option<Resource> = None;
        for (j, &id) in path.iter().enumerate() {
            let Some(instance) = self.instance(p.depth + j, id) else {
                break;
            };
            ancestor = Some(match ancestor {
                None => Resource::new(instance.kind).with_instance(instance),
                Some(r) => r.within(instance),
            });
        }
        let ok = ancestor
            .is_some_and(|r| self.policy.allowed_bits(self.subject, &r) & p.needs == p.needs);
        self.met.insert(key, ok);
        ok
    }

    /// The ancestor at depth `e` with id `id`, as a caller would resolve it.
    fn instance(&self, e: usize, id: InstanceId) -> Option<Instance> {
        let kind = *self.chain.get(e.checked_sub(1)?)?;
        let text = self.policy.schema.kinds.get(kind.index())?.text_ids;
        Some(Instance {
            id,
            kind,
            stamp: if text {
                self.policy.texts.stamp_of(id)
            } else {
                0
            },
        })
    }

    /// The answers on one class of ids (see [`Answers`]) under the layers' map
    /// `map`, with the prerequisites of `pres` met as `met` says: steps 6 and 7
    /// as `Policy::contained` takes them (the keep mask, then each prerequisite
    /// on an ancestor in turn).
    fn answers(&self, map: Affine, met: &[bool]) -> Answers {
        let width = self.keeps.len();
        let mut bits: Answers = smallvec![0; (OWNER_CLASSES * width).div_ceil(64)];
        for (o, set) in self.scoped.iter().enumerate() {
            if o == MANAGED && self.managed.is_empty() {
                continue;
            }
            let x = map.apply(*set);
            for (s, keep) in self.keeps.iter().enumerate() {
                let mut x = x & keep;
                for (p, ok) in self.pres.iter().zip(met) {
                    if x & p.action != 0 && !ok {
                        x &= !p.close_up;
                    }
                }
                if x & self.want == self.want {
                    let i = o * width + s;
                    if let Some(w) = bits.get_mut(i / 64) {
                        *w |= 1 << (i % 64);
                    }
                }
            }
        }
        bits
    }
}

/// One owner class's row of answers: bit `s` for state `s`.
type Row = SmallVec<[u64; 1]>;

/// The simplest condition with the answers `answers` (see [`Filter`]).
fn cond_of(p: &Probe<'_>, answers: &Answers, states: &[String]) -> Cond {
    let width = p.width();
    let words = width.div_ceil(64);
    let mut classes: SmallVec<[usize; 4]> = smallvec![OWN, UNOWNED, OTHER];
    if !p.managed.is_empty() {
        classes.insert(1, MANAGED);
    }
    // (In the order of `Clause::owners`.)
    let row = |o: usize| -> Row {
        let mut r: Row = smallvec![0; words];
        for s in 0..width {
            if p.bit(answers, o, s) {
                if let Some(w) = r.get_mut(s / 64) {
                    *w |= 1 << (s % 64);
                }
            }
        }
        r
    };
    let rows: SmallVec<[(usize, Row); 4]> = classes.iter().map(|&o| (o, row(o))).collect();
    let mut full: Row = smallvec![!0; words];
    if let Some(last) = full.last_mut() {
        if width % 64 != 0 {
            *last = (1 << (width % 64)) - 1;
        }
    }
    let is_empty = |r: &Row| r.iter().all(|w| *w == 0);
    if rows.iter().all(|(_, r)| *r == full) {
        return Cond::All;
    }
    if rows.iter().all(|(_, r)| is_empty(r)) {
        return Cond::None;
    }
    let mut common = full.clone();
    for (_, r) in &rows {
        for (c, w) in common.iter_mut().zip(r) {
            *c &= w;
        }
    }
    let set = |r: &Row| -> Option<States> {
        if *r == full {
            return None;
        }
        let has = |s: usize| r.get(s / 64).is_some_and(|w| (w >> (s % 64)) & 1 != 0);
        Some(States {
            names: states
                .iter()
                .enumerate()
                .filter(|(i, _)| has(i + 1))
                .map(|(_, n)| n.clone())
                .collect(),
            unset: has(0),
        })
    };
    let mut clauses = Vec::with_capacity(OWNER_CLASSES + 1);
    if !is_empty(&common) {
        clauses.push(Clause {
            owners: None,
            states: set(&common),
        });
    }
    // The owner classes that allow more than the common states, grouped by what
    // they add (a class allowed in every state adds "any state").
    let mut extras: SmallVec<[(Row, Vec<Owner>); 4]> = SmallVec::new();
    for (o, r) in &rows {
        if *r == common {
            continue;
        }
        let extra: Row = if *r == full {
            full.clone()
        } else {
            r.iter().zip(&common).map(|(w, c)| w & !c).collect()
        };
        match extras.iter_mut().find(|(e, _)| *e == extra) {
            Some((_, owners)) => owners.push(Owner::of_class(*o)),
            None => extras.push((extra, vec![Owner::of_class(*o)])),
        }
    }
    for (extra, owners) in extras {
        clauses.push(Clause {
            owners: Some(owners),
            states: set(&extra),
        });
    }
    Cond::Any(clauses)
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Owner::Own => "own",
            Owner::Managed => "managed",
            Owner::Unowned => "unowned",
            Owner::Other => "others'",
        })
    }
}

impl std::fmt::Display for States {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("state ")?;
        let mut parts: Vec<&str> = self.names.iter().map(String::as_str).collect();
        if self.unset {
            parts.push("none");
        }
        match parts.split_last() {
            Some((last, rest)) if !rest.is_empty() => write!(f, "{} or {last}", rest.join(", ")),
            Some((last, _)) => f.write_str(last),
            None => f.write_str("(none)"),
        }
    }
}

impl std::fmt::Display for Cond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cond::All => f.write_str("all"),
            Cond::None => f.write_str("none"),
            Cond::Any(clauses) => {
                let several = clauses.len() > 1;
                for (i, c) in clauses.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    if several {
                        f.write_str("(")?;
                    }
                    let owners = c.owners.as_ref().map(|os| {
                        let names: Vec<String> = os.iter().map(Owner::to_string).collect();
                        names.join(" or ")
                    });
                    match (owners, &c.states) {
                        (Some(o), Some(s)) => write!(f, "{o}, {s}")?,
                        (Some(o), None) => f.write_str(&o)?,
                        (None, Some(s)) => write!(f, "{s}")?,
                        (None, None) => f.write_str("all")?,
                    }
                    if several {
                        f.write_str(")")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// One line: the default, then each exception group (`except ids 5, 6: none`).
/// A filter that splits on ancestors gives the conditions for instances given
/// none first, then each case in parentheses (`no database: all; in database 42:
/// (none); in another database: (all)`).
impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_branch(&self.root, f)
    }
}

fn id_list(ids: &[InstanceId], texts: &[String]) -> String {
    if texts.is_empty() {
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        ids.join(", ")
    } else {
        texts.join(", ")
    }
}

fn fmt_body(b: &Branch, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "{}", b.default)?;
    for e in &b.except {
        write!(f, "; except ids {}: {}", id_list(&e.ids, &e.texts), e.cond)?;
    }
    if let Some(c) = &b.no_id {
        write!(f, "; no id: {c}")?;
    }
    Ok(())
}

fn fmt_branch(b: &Branch, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    let Some(w) = &b.within else {
        return fmt_body(b, f);
    };
    let kind = w.kind.name();
    write!(f, "no {kind}: ")?;
    fmt_body(b, f)?;
    for e in &w.except {
        write!(f, "; in {kind} {}: (", id_list(&e.ids, &e.texts))?;
        fmt_branch(&e.then, f)?;
        f.write_str(")")?;
    }
    write!(f, "; in another {kind}: (")?;
    fmt_branch(&w.default, f)?;
    f.write_str(")")
}
