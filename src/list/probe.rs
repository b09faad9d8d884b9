//! The probe: the engine's answers on every class of resources of one kind (ids
//! named and one unnamed, owner classes, states), read off the compiled tables.
//!
//! ## What is the engine's, and what is the probe's own
//!
//! No step of the decision order is decided here by rules of the probe's own:
//! every table is read through the function the check reads it with. Step 3 is
//! the profile entry (`Policy::list_entry`, found as `allowed_bits` finds it);
//! step 5 is `Policy::role_layer` and the subject's `SubjectExtra::layer`
//! (`engine/layers.rs`, which `Policy::after_scope` and `Policy::contained`
//! call too); steps 2, 6 and 7 are `ProfileKind::keep` and `Policy::state_keep`;
//! a prerequisite on an ancestor instance is `Policy::allowed_bits` on that
//! ancestor (`deep.rs`).
//!
//! What the probe computes that a check of one resource cannot is a *class* of
//! resources at a time, and that needs the steps in a symbolic form:
//!
//! - step 4 per owner **relation** (none, the subject, one it manages, anyone
//!   else), where `Policy::scoped` takes one owner id: the answer is the same for
//!   every owner in a relation, and the probe must answer for every owner, not
//!   one;
//! - step 5 as a **map** ([`Affine`]) per class of ids, applied to the four
//!   scoped sets at once, and (in `deep.rs`) composed down the ancestors so that
//!   ancestors whose maps agree share one node of the tree; the check applies
//!   the same maps to one set, and cannot say which ancestor ids answer alike;
//! - steps 2, 6 and 7 as one keep mask per state, each read once per kind.
//!
//! Asking `can` (or `after_scope`) on a representative resource of every class
//! instead would cost (named ids + 2) x 4 owner classes x (states + 1) checks per
//! filter, each with its own lookups (192 for a subject naming 10 ids of a kind
//! with 3 states), where the probe does one lookup per id class (12) and a few
//! mask operations. The differential tests (`tests/filter.rs`) hold the two
//! forms equal on every resource of a universe.

use smallvec::{smallvec, SmallVec};

use crate::def::InstanceId;
use crate::engine::{Policy, ProfileKind, Subject, SubjectRef};
use crate::ids::{Actions, KindId, Resource, StateId, SubjectId};
use crate::model::{Exception, Layer, Slot, StateIx};
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
pub(super) fn named_in(layer: &Layer, sl: Slot) -> (&[InstanceId], &[Exception]) {
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
    pub(super) policy: &'p Policy,
    pub(super) kind: KindId,
    pub(super) want: u64,
    pub(super) pk: &'p ProfileKind,
    pub(super) subject: &'p Subject,
    /// The scoped set per owner class (`UNOWNED`, `OWN`, `OTHER`, `MANAGED`).
    pub(super) scoped: [u64; OWNER_CLASSES],
    /// The keep mask per state class: 0 no state, `i + 1` state `i`.
    pub(super) keeps: SmallVec<[u64; 8]>,
    /// Bit `s` (for the first 64 state classes): `keeps[s]` holds `want`.
    pub(super) state_row: u64,
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
        Compiled::for_want(
            policy,
            subject,
            action.mask_for(&Resource::new(kind))?,
            kind,
        )
    }

    /// [`Compiled::new`] for the actions `want` of `kind` (a mask).
    pub(super) fn for_want(
        policy: &'p Policy,
        subject: SubjectId,
        want: u64,
        kind: KindId,
    ) -> Option<Compiled<'p>> {
        let k = kind;
        let (subj, profiles, pk) = policy.list_entry(subject, k)?;
        // Step 4 per owner class: what `Policy::scoped` does per owner, with one
        // managed subject standing for all. INVARIANT (scopes, as
        // `Policy::scoped`): an owner that is the subject adds `own`; an owner it
        // manages (and is not itself) adds `managed`; any other owner, or none,
        // leaves the `any` set.
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
        // Step 5 as `Policy::after_scope` reads it, as maps: the role layer, then
        // the subject's own layer (its rules written in ancestors, none given,
        // then its rules on the instance).
        let role = self.policy.role_layer_map(self.pk, self.kind, id);
        let own = self
            .subject
            .own_layer()
            .map_or(Affine::IDENTITY, |e| e.layer(self.kind, id));
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
        !(chained && subj.deep_on(kind))
    }
}

/// Whether two answer tables are equal (word by word: they are a word or two,
/// where a call to `memcmp` costs more than the compare).
pub(super) fn same(a: &Answers, b: &Answers) -> bool {
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
