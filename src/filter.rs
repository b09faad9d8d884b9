//! Lists: which instances of a kind may a subject act on? [`Policy::filter`] gives
//! the exact answer as a small closed form over an instance's id, owner and state
//! (a [`Filter`]) that a database can evaluate ([`Filter::to_sql`](crate::Filter::to_sql)).
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
//!   else.
//!
//! The final set of a class is `((scoped set for the owner class) -> role layer
//! for the id -> subject layer for the id) & keep(state)`, exactly the steps of
//! `Policy::allowed_bits`; it is computed once per owner class and id class, then
//! masked with each state's keep mask. No `can` call is made; the differential
//! tests (`tests/filter.rs`) compare the result with `can` on every resource of a
//! universe.

use serde::{Deserialize, Serialize};
use smallvec::{smallvec, SmallVec};

use crate::def::InstanceId;
use crate::engine::{Policy, ProfileKind, Subject, SubjectRef};
use crate::ids::{Actions, KindId, Resource, StateId, SubjectId};
use crate::table::Affine;

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
/// unique.
pub(crate) fn named_ids(
    policy: &Policy,
    info: Option<SubjectRef<'_>>,
    kind: KindId,
) -> Vec<InstanceId> {
    let Some(info) = info else {
        return Vec::new();
    };
    let role = policy
        .schema
        .roles
        .get(info.role() as usize)
        .map(|r| &r.layer);
    let layers = [Some(info.layer()), role.map(|l| &**l)];
    let mut ids: Vec<InstanceId> = Vec::with_capacity(
        layers
            .iter()
            .flatten()
            .map(|l| l.exceptions.len() + l.restrictions.iter().map(|r| r.ids.len()).sum::<usize>())
            .sum(),
    );
    for layer in layers.into_iter().flatten() {
        // (The ids `Layer::named_instances` lists, for this kind only.)
        ids.extend(
            layer
                .restrictions
                .iter()
                .filter(|r| r.kind == kind.0)
                .flat_map(|r| r.ids.iter().copied()),
        );
        ids.extend(
            layer
                .exceptions
                .iter()
                .filter(|e| e.kind == kind.0)
                .map(|e| e.id),
        );
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The compiled form one subject reads for one kind and action: what
/// `Policy::allowed_bits` reads, gathered once so that each class of resources
/// costs a few mask operations.
pub(crate) struct Compiled<'p> {
    policy: &'p Policy,
    kind: u32,
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
        let k = kind.0;
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
        let n_states = policy.states(kind).len() as u32;
        let keeps: SmallVec<[u64; 8]> = std::iter::once(pk.keep)
            .chain(
                (0..n_states)
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
    /// over their id, owner and state: `filter.matches(&r) == self.can(subject,
    /// action, &r)` for every resource `r` (of any kind: another kind never
    /// matches). Render it for a database with [`Filter::to_sql`](crate::Filter::to_sql).
    ///
    /// An unknown subject, an action of another kind, or an unavailable kind give
    /// a filter that matches nothing. Reads the compiled masks once per class of
    /// ids (the ids the subject's layers name, an unnamed one and none) and owner
    /// relation, with no `can` call: about 2 µs for a subject naming 10
    /// instances of a kind with 3 states (see `benches/README.md`).
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
    pub fn filter(&self, subject: SubjectId, action: impl Actions, kind: KindId) -> Filter {
        Filter::from_probe(self, &self.probe(subject, action, kind))
    }
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

/// Instances whose id is in `ids` follow `cond` instead of the filter's default.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Except {
    /// The ids, sorted, never empty.
    pub ids: Vec<InstanceId>,
    /// Their condition (never the default's).
    pub cond: Cond,
}

/// The exact set of instances of one kind on which one subject may do one action
/// ([`Policy::filter`]).
///
/// An instance matches when, by its id, the condition that applies to it holds
/// for its owner and state: the [`Except`] entry listing its id, else (for an
/// instance with no id, [`Filter::no_id`] when there is one) the
/// [`default`](Filter::default). Instances in a state the kind does not have never
/// match (default deny). The form is simplified: no empty list, and no part that
/// cannot change the answer (a constant filter is [`is_all`](Filter::is_all) or
/// [`is_none`](Filter::is_none), with no conditions).
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    kind: Named,
    subject: Named,
    /// The subjects the subject manages; only when a condition mentions
    /// [`Owner::Managed`] or [`Owner::Other`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    managed: Vec<Named>,
    /// The kind's states, in declaration order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    states: Vec<String>,
    default: Cond,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    except: Vec<Except>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    no_id: Option<Cond>,
}

impl Filter {
    fn from_probe(policy: &Policy, p: &Probe<'_>) -> Filter {
        let states: Vec<String> = policy
            .states(p.kind)
            .map(|s| policy.state_name(s).to_string())
            .collect();
        let default = cond_of(p, &p.other_id, &states);
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
                ids,
                cond: cond_of(p, answers, &states),
            })
            .collect();
        let no_id = (!same(&p.no_id, &p.other_id)).then(|| cond_of(p, &p.no_id, &states));
        let mentions = |c: &Cond| match c {
            Cond::Any(clauses) => clauses
                .iter()
                .flat_map(|c| c.owners.iter().flatten())
                .any(|o| matches!(o, Owner::Managed | Owner::Other)),
            _ => false,
        };
        let needs_managed = mentions(&default)
            || except.iter().any(|e| mentions(&e.cond))
            || no_id.as_ref().is_some_and(mentions);
        let managed = if needs_managed {
            p.managed
                .iter()
                .map(|&m| Named {
                    name: policy.subject_name(SubjectId(m)).to_string(),
                    index: m,
                })
                .collect()
        } else {
            Vec::new()
        };
        Filter {
            kind: Named {
                name: policy.kind_name(p.kind).to_string(),
                index: p.kind.0,
            },
            subject: Named {
                name: policy.subject_name(p.subject).to_string(),
                index: p.subject.index,
            },
            managed,
            states,
            default,
            except,
            no_id,
        }
    }

    /// The kind the filter is about.
    pub fn kind(&self) -> &Named {
        &self.kind
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

    /// The condition for instances whose id no [`Except`] entry lists.
    pub fn default(&self) -> &Cond {
        &self.default
    }

    /// Ids whose condition differs from the default, grouped by condition.
    pub fn except(&self) -> &[Except] {
        &self.except
    }

    /// The condition for instances with no id, when it differs from the default
    /// (the engine gives an instance with no id the answer of an unnamed id, so
    /// this is `None` in practice).
    pub fn no_id(&self) -> Option<&Cond> {
        self.no_id.as_ref()
    }

    /// Whether the filter matches every instance of the kind (in any of its states).
    pub fn is_all(&self) -> bool {
        self.default == Cond::All && self.except.is_empty() && self.no_id.is_none()
    }

    /// Whether the filter matches no instance.
    pub fn is_none(&self) -> bool {
        self.default == Cond::None && self.except.is_empty() && self.no_id.is_none()
    }

    /// Whether `resource` is in the set: exactly
    /// [`Policy::can`]`(subject, action, resource)` for the policy, subject and
    /// action the filter was made from.
    pub fn matches(&self, resource: &Resource) -> bool {
        if resource.kind.0 != self.kind.index {
            return false;
        }
        let state = match resource.state {
            None => 0,
            Some(st) if st.kind == self.kind.index && (st.index as usize) < self.states.len() => {
                st.index as usize + 1
            }
            Some(_) => return false,
        };
        let owner = match resource.owner {
            None => Owner::Unowned,
            Some(o) if o.index == self.subject.index => Owner::Own,
            Some(o) if self.managed.iter().any(|m| m.index == o.index) => Owner::Managed,
            Some(_) => Owner::Other,
        };
        let cond = match resource.id {
            None => self.no_id.as_ref().unwrap_or(&self.default),
            Some(id) => self
                .except
                .iter()
                .find(|e| e.ids.binary_search(&id).is_ok())
                .map_or(&self.default, |e| &e.cond),
        };
        self.holds(cond, owner, state)
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
impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.default)?;
        for e in &self.except {
            let ids: Vec<String> = e.ids.iter().map(u64::to_string).collect();
            write!(f, "; except ids {}: {}", ids.join(", "), e.cond)?;
        }
        if let Some(c) = &self.no_id {
            write!(f, "; no id: {c}")?;
        }
        Ok(())
    }
}
