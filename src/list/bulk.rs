//! Bulk checks: [`Policy::can_many`] answers `can` for a slice of resources at
//! memory speed. What depends only on the subject and the kind is worked out once
//! (from the compiled masks, as for [`Policy::filter`]); what is left per
//! resource is its owner class, its state and, only when the subject's layers name
//! instances of the kind, one lookup of its id.
//!
//! [`Policy::can_ids`] is the columnar form for the common list case (ids only):
//! the answer for unnamed ids is worked out once from the compiled masks, and each
//! id costs a hash, two compares and a bit set, or nothing at all when no named id
//! answers differently. [`Policy::can_ids_within`] is the same for the children
//! of one given parent (contacts of database 42).
//!
//! Containment: a resource's answer can depend on its ancestors (rules written
//! `in` an ancestor, prerequisites on an ancestor instance) and a kind can have
//! string ids. The per-kind tables here read the instance's own id only, so they
//! are used only where that is exact (`Policy::list_plain`, and a resource that
//! carries no ancestor and no string id); everything else is asked of `can`, or,
//! for the columnar forms, worked out per class of ids with `can` on one
//! representative each. No answer here is ever more permissive than `can`'s on
//! the same resource.

use super::bits::{BitSet, IdSet, IdTable};
use super::probe::{
    named_ids, unnamed_id, Compiled, Probe, MANAGED, OTHER, OWN, OWNER_CLASSES, UNOWNED,
};
use crate::def::InstanceId;
use crate::engine::Policy;
use crate::ids::{Actions, Instance, KindId, Resource, SubjectId};

/// One subject, action and kind, ready to answer per resource: one `u64` table per
/// class of ids, bit `owner * stride + state` (state 0: none, `i + 1`: state `i`,
/// `n_states + 1`: a state of another kind or out of range, always 0).
#[derive(Debug)]
pub(super) struct Matcher<'p> {
    pub(super) kind: u32,
    pub(super) subject: u32,
    pub(super) n_states: u32,
    pub(super) stride: u32,
    pub(super) managed: &'p [u32],
    /// Whether an owner the subject manages answers differently from any other
    /// owner (else the binary search is skipped).
    pub(super) check_managed: bool,
    /// The managed subjects when they are few (padded with the subject itself,
    /// which is classed as its own owner first): compared without branches.
    pub(super) few: Option<[u32; FEW]>,
    pub(super) other_id: u64,
    pub(super) no_id: u64,
    pub(super) named: IdTable,
}

/// Up to this many managed subjects are compared one by one.
pub(super) const FEW: usize = 8;

impl<'p> Matcher<'p> {
    /// The matcher, or none when the tables do not fit a `u64` (more than 14
    /// states) or the id table could not be built (then `can_many` asks `can`).
    fn new(p: &Probe<'p>) -> Option<Matcher<'p>> {
        let stride = p.n_states + 2;
        if OWNER_CLASSES * stride > 64 {
            return None;
        }
        let pack = |answers| -> u64 {
            let mut t = 0u64;
            for o in [UNOWNED, OWN, OTHER, MANAGED] {
                for s in 0..p.width() {
                    if p.bit(answers, o, s) {
                        t |= 1 << ((o * stride + s) & 63);
                    }
                }
            }
            t
        };
        let other_id = pack(&p.other_id);
        let named: Vec<(InstanceId, u64)> = p
            .named
            .iter()
            .map(|(id, a)| (*id, pack(a)))
            .filter(|(_, t)| *t != other_id)
            .collect();
        let no_id = pack(&p.no_id);
        let row = |t: u64, o: usize| (t >> ((o * stride) & 63)) & ((1 << stride) - 1);
        let check_managed = !p.managed.is_empty()
            && std::iter::once(other_id)
                .chain(std::iter::once(no_id))
                .chain(named.iter().map(|(_, t)| *t))
                .any(|t| row(t, MANAGED) != row(t, OTHER));
        let few = match p.managed.len() {
            n if check_managed && n <= FEW => {
                let mut few = [p.subject.index; FEW];
                for (slot, m) in few.iter_mut().zip(p.managed) {
                    *slot = *m;
                }
                Some(few)
            }
            _ => None,
        };
        Some(Matcher {
            few,
            kind: p.kind.0,
            subject: p.subject.index,
            n_states: p.n_states as u32,
            stride: stride as u32,
            managed: p.managed,
            check_managed,
            other_id,
            no_id,
            named: IdTable::new(&named, other_id)?,
        })
    }

    /// Whether `r` (of the matcher's kind) is allowed. Written without branches
    /// on the resource's fields (selects instead), since in a list they are as
    /// random as the data: a mispredicted branch costs more than the whole test.
    #[inline(always)]
    fn test(&self, r: &Resource) -> bool {
        // State class: 0 none, `i + 1` state `i`, `n + 1` invalid (always denied).
        let (st_kind, st_index) = r
            .state
            .map_or((self.kind, 0), |st| (st.kind.0, st.index.get()));
        let valid = (st_kind == self.kind) & (st_index < self.n_states);
        let in_state = if valid {
            st_index.wrapping_add(1)
        } else {
            self.n_states + 1
        };
        let state = u32::from(r.state.is_some()) * in_state;
        // Owner class: UNOWNED 0, OWN 1, OTHER 2, MANAGED 3.
        let w = r.owner.map_or(self.subject, |o| o.index);
        let own = u32::from(w == self.subject);
        let managed = u32::from(self.is_managed(w)) & (own ^ 1);
        let owner = u32::from(r.owner.is_some()) * (OTHER as u32 - own + managed);
        let table = match r.id {
            None => self.no_id,
            Some(id) => self.named.get(id, self.other_id),
        };
        let bit = owner * self.stride + state;
        (table >> (bit & 63)) & 1 != 0
    }

    /// Whether `w` is a subject the matcher's subject manages, where that can
    /// change an answer: a few compares for a short list, else a binary search.
    #[inline(always)]
    fn is_managed(&self, w: u32) -> bool {
        match &self.few {
            Some(few) => few.iter().fold(false, |acc, m| acc | (*m == w)),
            None => self.check_managed && self.managed.binary_search(&w).is_ok(),
        }
    }
}

impl Policy {
    /// [`can`](Policy::can) for each of `resources`: bit `i` of the result is
    /// `self.can(subject, action, &resources[i])`.
    ///
    /// The work that depends only on the subject, the action and the kind (that of
    /// the first resource) is done once, from the compiled masks; each
    /// resource then costs a few compares and one table lookup (see
    /// `benches/README.md`). Resources of another kind than the first, and kinds
    /// with more than 14 states, are checked one by one with `can`.
    ///
    /// Containment: resources given ancestors or a string id, and every resource of
    /// a kind whose answers for this subject can depend on ancestors (its role or
    /// the subject writes rules `in` an ancestor of it, or it has a prerequisite on
    /// an ancestor instance) or that has string ids, are checked one by one with
    /// `can`, at its cost (a prerequisite on an ancestor is a second whole check:
    /// about 250 ns per resource in `benches/README.md`'s containment case): the
    /// answer always reads the ancestors the resource carries, exactly as `can`
    /// does. For many children of one parent
    /// given as ids, [`can_ids_within`](Policy::can_ids_within) is faster; for a
    /// database, [`filter`](Policy::filter).
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"task": {"actions": ["view"]}},
    /// #   "roles": {"R": {"grants": {"task": ["view"]}}},
    /// #   "subjects": {"u": {"role": "R", "exceptions": [{"kind": "task", "id": 2, "deny": ["view"]}]}}}"#)?;
    /// # let policy = Policy::compile(&def)?;
    /// let u = policy.subject("u").ok_or("no u")?;
    /// let view = policy.action("task", "view").ok_or("no view")?;
    /// let tasks: Vec<_> = (0..4).map(|id| policy.resource(view.kind()).with_id(id)).collect();
    /// let allowed = policy.can_many(u, view, &tasks);
    /// assert_eq!(allowed.iter().collect::<Vec<_>>(), [0, 1, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn can_many(
        &self,
        subject: SubjectId,
        action: impl Actions,
        resources: &[Resource],
    ) -> BitSet {
        let len = resources.len();
        let mut words = Vec::with_capacity(len.div_ceil(64));
        // Kinds the matcher cannot read exactly (see `Policy::list_plain`) are
        // asked of `can`, resource by resource.
        let kind: Option<KindId> = resources
            .first()
            .map(|r| r.kind)
            .filter(|&k| self.list_plain(subject, k));
        let probe = kind.map(|k| self.probe(subject, action, k));
        match probe.as_ref().and_then(Matcher::new) {
            Some(m) => {
                for chunk in resources.chunks(64) {
                    let mut w = 0u64;
                    for (i, r) in chunk.iter().enumerate() {
                        // Owners from another policy are asked of `can`, which denies
                        // them as owners; the matcher compares indices only. So are
                        // resources given ancestors or a string id, which `can`
                        // checks for consistency (the matcher reads none of it).
                        let yes = if r.kind.0 == m.kind
                            && r.rare == 0
                            && r.owner.map_or(true, |o| self.resolve(o).is_some())
                        {
                            m.test(r)
                        } else {
                            self.can(subject, action, r)
                        };
                        w |= u64::from(yes) << (i & 63);
                    }
                    words.push(w);
                }
            }
            None => {
                for chunk in resources.chunks(64) {
                    let mut w = 0u64;
                    for (i, r) in chunk.iter().enumerate() {
                        w |= u64::from(self.can(subject, action, r)) << (i & 63);
                    }
                    words.push(w);
                }
            }
        }
        BitSet { words, len }
    }

    /// [`can`](Policy::can) for each of `ids` as instances of `kind` with no owner,
    /// no state and no ancestor: bit `i` of the result is `self.can(subject,
    /// action, &self.resource(kind).with_id(ids[i]))`. The columnar form of
    /// [`can_many`](Policy::can_many) for the common list case, where the ids are
    /// a column of their own.
    ///
    /// Containment: the ids are instances given **no ancestor**, so for a kind
    /// with a parent this is the answer for an instance whose parent is not known
    /// (rules written `in` an ancestor do not apply to it, and a prerequisite on
    /// its parent is not met). To list the children of one parent, give the
    /// parent: [`can_ids_within`](Policy::can_ids_within). A kind with string ids
    /// has no number ids: every bit is 0, as `can` answers (use
    /// [`can_many`](Policy::can_many) with instances resolved by
    /// [`Policy::instance`]).
    ///
    /// The answer for every id the subject's layers (its own and its role's) do
    /// not name is read once from the compiled masks; the named ids whose answer
    /// differs go into a small hash set (at most two probes per lookup, whatever
    /// the ids' bits). Each id then costs a hash, two compares and a bit set; when
    /// no named id answers differently, the result is filled without reading the
    /// ids at all.
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"task": {"actions": ["view"]}},
    /// #   "roles": {"R": {"grants": {"task": ["view"]}}},
    /// #   "subjects": {"u": {"role": "R", "exceptions": [{"kind": "task", "id": 8589934592, "deny": ["view"]}]}}}"#)?;
    /// # let policy = Policy::compile(&def)?;
    /// let u = policy.subject("u").ok_or("no u")?;
    /// let view = policy.action("task", "view").ok_or("no view")?;
    /// // Ids as a column, e.g. read from the database: task 2 << 32 is denied.
    /// let ids = [1, 2 << 32, 3, 2];
    /// let allowed = policy.can_ids(u, view, view.kind(), &ids);
    /// assert_eq!(allowed.iter().collect::<Vec<_>>(), [0, 2, 3]);
    /// assert!(!policy.can(u, view, &policy.resource(view.kind()).with_id(2 << 32)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn can_ids(
        &self,
        subject: SubjectId,
        action: impl Actions,
        kind: KindId,
        ids: &[InstanceId],
    ) -> BitSet {
        if !self.list_plain(subject, kind) {
            return self.can_ids_within(subject, action, kind, &[], ids);
        }
        let len = ids.len();
        let Some(c) = Compiled::new(self, subject, action, kind) else {
            return BitSet {
                words: vec![0; len.div_ceil(64)],
                len,
            };
        };
        // INVARIANT (named ids): an id the subject's and its role's layers do not
        // name answers as `unnamed_id` does (see `Policy::probe`).
        let named = named_ids(self, self.resolve(subject).and_then(|s| self.info(s)), kind);
        by_named(named, ids, |id| c.plain(Some(id)))
    }

    /// [`can`](Policy::can) for each of `ids` as instances of `kind` inside the
    /// same ancestors, with no owner and no state: bit `i` of the result is
    /// `self.can(subject, action, &r.with_id(ids[i]))` where `r` is
    /// `self.resource(kind)` given each of `ancestors` with
    /// [`Resource::within`] (parent first). The list case "which contacts of
    /// database 42 may this user edit?", with rules written in databases and
    /// prerequisites on them taken into account.
    ///
    /// The answer can differ only between the ids the subject's layers (its own
    /// and its role's) name on the kind itself: `can` is asked once for an id
    /// named nowhere and once for each named id, and each id then costs a hash,
    /// two compares and a bit set, as in [`can_ids`](Policy::can_ids). Ancestors
    /// that make the resource invalid (of the wrong kind, too many) deny every id.
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {
    /// #   "database": {"actions": ["view"]},
    /// #   "contact": {"actions": ["view", "edit"], "parent": "database"}},
    /// #   "roles": {"R": {"grants": {"contact": ["edit"]},
    /// #     "exceptions": [{"kind": "contact", "in": "database", "id": 42, "deny": ["edit"]},
    /// #                    {"kind": "contact", "id": 5, "deny": ["edit"]}]}},
    /// #   "subjects": {"u": {"role": "R"}}}"#)?;
    /// # let policy = Policy::compile(&def)?;
    /// let u = policy.subject("u").ok_or("no u")?;
    /// let edit = policy.action("contact", "edit").ok_or("no edit")?;
    /// let database = policy.kind("database").ok_or("no database")?;
    /// let ids = [4, 5, 6];
    /// let in_7 = policy.can_ids_within(u, edit, edit.kind(), &[database.instance(7)], &ids);
    /// assert_eq!(in_7.iter().collect::<Vec<_>>(), [0, 2]);
    /// let in_42 = policy.can_ids_within(u, edit, edit.kind(), &[database.instance(42)], &ids);
    /// assert_eq!(in_42.count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn can_ids_within(
        &self,
        subject: SubjectId,
        action: impl Actions,
        kind: KindId,
        ancestors: &[Instance],
        ids: &[InstanceId],
    ) -> BitSet {
        let base = ancestors
            .iter()
            .fold(self.resource(kind), |r, a| r.within(*a));
        // INVARIANT (named ids): with the ancestors fixed, an id the subject's and
        // its role's layers do not name on the kind itself answers as any other
        // such id (the rules written in ancestors and the prerequisites on them
        // read the ancestors only).
        let named = named_ids(self, self.resolve(subject).and_then(|s| self.info(s)), kind);
        by_named(named, ids, |id| {
            self.can(subject, action, &base.with_id(id))
        })
    }
}

/// The answers on `ids` when every id not in `named` answers as
/// [`unnamed_id`] does: that answer filled in, then flipped on the named ids
/// that answer otherwise. `at` is asked once per named id, plus once.
fn by_named(named: Vec<InstanceId>, ids: &[InstanceId], at: impl Fn(InstanceId) -> bool) -> BitSet {
    let len = ids.len();
    let unnamed = at(unnamed_id(&named));
    let flipped: Vec<InstanceId> = named.into_iter().filter(|&id| at(id) != unnamed).collect();
    let fill = if unnamed { !0u64 } else { 0 };
    let mut words: Vec<u64> = vec![fill; len.div_ceil(64)];
    if !flipped.is_empty() {
        IdSet::new(&flipped).flip(&mut words, ids);
    }
    // Bits past `len` are zero.
    if let Some(last) = words.last_mut() {
        if len % 64 != 0 {
            *last &= (1u64 << (len % 64)) - 1;
        }
    }
    BitSet { words, len }
}
