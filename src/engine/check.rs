//! The check path: `can`, `allowed`, and the steps of the decision order folded
//! into the compiled tables.

use smallvec::SmallVec;

use crate::def::InstanceId;
use crate::engine::Policy;
use crate::engine::{ProfileKey, ProfileKind, Profiles, Subject, SubjectExtra};
use crate::ids::KindId;
use crate::ids::{ActionSet, Actions, Resource, ResourceKind, StateId, SubjectId, MAX_ANCESTORS};
use crate::model::{role_tag, Kind, Scoped, Slot};

impl Policy {
    /// A resource of `kind` with no id, state or owner (see [`Resource`]).
    pub fn resource(&self, kind: impl ResourceKind) -> Resource {
        kind.resource()
    }

    /// Whether `subject` may do `action` on `resource`.
    ///
    /// `action` is an [`ActionId`](crate::ActionId) or `bitflags` flags declared in the kind's action
    /// order (all of the flags must be allowed; see
    /// [`Policy::typed_kind`](crate::Policy::typed_kind)). Ids from another policy,
    /// an action of another kind than the resource's, or a state of another kind:
    /// denied. Never panics, never allocates; constant time.
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"task": {"actions": ["view", "delete"]}},
    /// #   "roles": {"Admin": {"grants": {"task": ["*"]}}}, "subjects": {"root": {"role": "Admin"}}}"#)?;
    /// # let policy = Policy::compile(&def)?;
    /// let root = policy.subject("root").ok_or("no root")?;
    /// let delete = policy.action("task", "delete").ok_or("no action")?;
    /// assert!(policy.can(root, delete, &policy.resource(delete.kind()).with_id(1)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn can(&self, subject: SubjectId, action: impl Actions, resource: &Resource) -> bool {
        match action.mask_for(resource) {
            Some(want) => self.allowed_bits(subject, resource) & want == want,
            None => false,
        }
    }

    /// Every action `subject` may do on `resource`.
    pub fn allowed(&self, subject: SubjectId, resource: &Resource) -> ActionSet<'_> {
        ActionSet {
            kind: resource.kind,
            bits: self.allowed_bits(subject, resource),
            names: self
                .schema
                .kinds
                .get(resource.kind.index())
                .map_or(&[][..], |k| k.actions.as_slice()),
        }
    }

    /// Every subject allowed to do `action` on `resource`, in order. Complete: it
    /// asks every subject.
    pub fn who_can(&self, action: impl Actions, resource: &Resource) -> Vec<SubjectId> {
        self.subjects()
            .filter(|&s| self.can(s, action, resource))
            .collect()
    }

    /// The final set of the decision order, as a mask.
    ///
    /// The common path (no owner, no state, no instance the role names, no
    /// exceptions of the subject's own) is a few loads and masks; the rest is out
    /// of line.
    #[inline(always)]
    pub(crate) fn allowed_bits(&self, subject: SubjectId, r: &Resource) -> u64 {
        let s = subject.index;
        let Some(subj) = self.subjects.get(s as usize) else {
            return 0;
        };
        // Identity: an id of another lineage, or of another subject that had this
        // position, answers nothing (one compare on the common path).
        if !subj.answers(subject) {
            return 0;
        }
        let k = r.kind.index();
        let base = &*self.profiles;
        let (profiles, p) = match subj.profile.checked_sub(base.count) {
            None => (base, subj.profile),
            Some(p) => (&*self.recent, p),
        };
        if k >= profiles.n_kinds {
            return 0;
        }
        let at = (p as usize).wrapping_mul(profiles.n_kinds).wrapping_add(k);
        let Some(pk) = profiles.kinds.get(at) else {
            return 0;
        };
        // Step 4: scopes.
        let mut x = pk.set.any;
        if r.owner.is_some() && (pk.set.own | pk.set.managed) != 0 {
            x = self.scoped(s, subj, pk, r, x);
        }
        if r.rare | (pk.flags & ProfileKind::RARE) != 0 {
            let extra = subj.own_layer();
            return self.contained_subject(subject, pk, profiles, x, extra, r);
        }
        self.after_scope(
            pk,
            profiles,
            x,
            subj.flags & Subject::LAYER != 0,
            &subj.extra,
            r,
        )
    }

    /// [`Policy::contained`] for a subject, out of line (the closure that checks
    /// it again on an ancestor is built only here).
    #[inline(never)]
    fn contained_subject(
        &self,
        subject: SubjectId,
        pk: &ProfileKind,
        profiles: &Profiles,
        x: u64,
        extra: Option<&SubjectExtra>,
        r: &Resource,
    ) -> u64 {
        self.contained(pk, profiles, x, extra, r, &|a| {
            self.allowed_again(subject, a)
        })
    }

    /// Steps 5 to 9 from the set `x` after step 4, for a subject or a principal
    /// (`extra`: its own layer, read only when `layer` says it has one) on the
    /// common path: no ancestors,
    /// no string id, no rules in ancestors (callers send the rest to
    /// [`Policy::contained`]). The one hot form of these steps:
    /// [`Policy::allowed_bits`] and principals' checks both end here.
    #[inline(always)]
    pub(crate) fn after_scope(
        &self,
        pk: &ProfileKind,
        profiles: &Profiles,
        mut x: u64,
        layer: bool,
        extra: &Option<std::sync::Arc<SubjectExtra>>,
        r: &Resource,
    ) -> u64 {
        let k = r.kind;
        // Step 5: the role's layer, then the subject's.
        x = self.role_layer(pk, k, r.id, x);
        if layer {
            if let Some(extra) = extra {
                x = Self::own_layer(extra, k, r.id, x);
            }
        }
        // Steps 2, 6, 7: availability, prerequisites and state rules, folded into one
        // keep mask per state.
        let keep = match r.state {
            None => pk.keep,
            Some(st) => self.state_keep(profiles, pk, k, st),
        };
        x & keep
    }

    /// [`Policy::allowed_bits`] for a resource with ancestors or a string id, or a
    /// kind with rules written in ancestors, prerequisites on them, or string ids.
    /// Costs one lookup per ancestor level with rules, plus a whole check of the
    /// ancestor per prerequisite on it.
    ///
    /// `x` is the set after step 4, `extra` the subject's or principal's own
    /// layer, and `again` a whole check of the same subject on another resource.
    #[inline(never)]
    pub(crate) fn contained(
        &self,
        pk: &ProfileKind,
        profiles: &Profiles,
        mut x: u64,
        extra: Option<&SubjectExtra>,
        r: &Resource,
        again: &dyn Fn(&Resource) -> u64,
    ) -> u64 {
        let k = r.kind;
        let Some(kind) = self.schema.kinds.get(k.index()) else {
            return 0;
        };
        if !self.consistent(kind, r) {
            return 0;
        }
        let mut ids = [0; MAX_ANCESTORS];
        for (slot, a) in ids.iter_mut().zip(r.ancestors()) {
            *slot = a.id;
        }
        let ancestors = ids.get(..r.ancestors().len()).unwrap_or(&[]);
        let chain = kind.chain.len();
        // Step 5: the role's layer (rules in ancestors, outermost first, then the
        // instance's own), then the subject's.
        if pk.flags & ProfileKind::DEEP != 0 {
            for (d, depth) in Self::depths(chain) {
                let Some(default) = self.role_in_ancestors(pk, k, depth) else {
                    continue;
                };
                x = self
                    .role_in_ancestor(pk, k, depth, ancestors.get(d - 1).copied(), default)
                    .apply(x);
            }
        }
        x = self.role_layer(pk, k, r.id, x);
        if let Some(extra) = extra {
            if extra.deep_on(k) {
                for (d, depth) in Self::depths(chain) {
                    x = extra
                        .at(Slot::new(k, depth), ancestors.get(d - 1).copied())
                        .apply(x);
                }
            }
            x = extra.at(Slot::of(k), r.id).apply(x);
        }
        // Steps 2, 6, 7.
        let keep = match r.state {
            None => pk.keep,
            Some(st) => self.state_keep(profiles, pk, k, st),
        };
        x &= keep;
        // Step 6 on ancestor instances, decided in full.
        for p in &kind.ancestor_prerequisites {
            if x & (1u64 << p.action) == 0 {
                continue;
            }
            let met = r
                .ancestor_resource(usize::from(p.depth))
                .is_some_and(|anc| again(&anc) & p.needs == p.needs);
            if !met {
                x &= !kind.close_up(1u64 << p.action);
            }
        }
        x
    }

    /// A whole check of an ancestor, out of line (the recursion goes up the chain,
    /// so it is at most [`MAX_ANCESTORS`] deep).
    #[inline(never)]
    fn allowed_again(&self, subject: SubjectId, r: &Resource) -> u64 {
        self.allowed_bits(subject, r)
    }

    /// The slots whose rules name the ancestor at depth `d` of a resource of
    /// `kind`: rules written in that ancestor, and the rules of each ancestor in
    /// between about the same instance (which a prerequisite on an ancestor
    /// reads). `d` is 1 for the parent.
    pub(crate) fn position_slots(&self, kind: KindId, d: usize) -> SmallVec<[Slot; 5]> {
        let mut out: SmallVec<[Slot; 5]> = SmallVec::new();
        let Some(chain) = self.schema.kinds.get(kind.index()).map(|k| &k.chain) else {
            return out;
        };
        // INVARIANT (chains): at most `MAX_ANCESTORS` long, so depths fit a `u8`.
        let Ok(depth) = u8::try_from(d) else {
            return out;
        };
        if d == 0 || d > chain.len() {
            return out;
        }
        out.push(Slot::new(kind, depth));
        for (j, &a) in (1..=depth).zip(chain.iter()) {
            out.push(Slot::new(a, depth - j));
        }
        out
    }

    /// The depths `chain..=1` of a kind's ancestors, outermost first, each with
    /// its depth as a slot takes it.
    #[inline]
    pub(crate) fn depths(chain: usize) -> impl Iterator<Item = (usize, u8)> {
        (1..=chain.min(MAX_ANCESTORS))
            .rev()
            .filter_map(|d| u8::try_from(d).ok().map(|depth| (d, depth)))
    }

    /// Whether `r` is a consistent resource of `kind` (see [`Policy::invalid`],
    /// which says why not): the check path's form, which reads no other kind's
    /// record.
    #[inline]
    fn consistent(&self, kind: &Kind, r: &Resource) -> bool {
        let id_ok = |text: bool, id: InstanceId, stamp: u32| {
            if text {
                stamp != 0 && self.text_ok(id, stamp)
            } else {
                stamp == 0
            }
        };
        if r.rare & Resource::INVALID != 0
            || r.id.is_some_and(|id| !id_ok(kind.text_ids, id, r.stamp))
        {
            return false;
        }
        let given = r.ancestors();
        given.len() <= kind.chain.len()
            && given
                .iter()
                .zip(&kind.chain)
                .enumerate()
                .all(|(i, (a, &ak))| {
                    a.kind == ak && id_ok(kind.chain_text >> i & 1 != 0, a.id, a.stamp)
                })
    }

    /// Why `r` is not a consistent resource of `kind`, if it is not: every check
    /// on it is denied.
    pub(crate) fn invalid(&self, kind: &Kind, r: &Resource) -> Option<String> {
        if r.rare & Resource::INVALID != 0 {
            return Some(
                "the resource was built inconsistently (an instance of another kind, or more ancestors than fit)"
                    .into(),
            );
        }
        let id_ok = |kind: &Kind, id: InstanceId, stamp: u32| {
            if kind.text_ids {
                stamp != 0 && self.text_ok(id, stamp)
            } else {
                stamp == 0
            }
        };
        let id_problem = |kind: &Kind, stamp: u32| -> String {
            match (kind.text_ids, stamp) {
                (true, 0) => format!("kind `{}` has string ids, and a number id was given", kind.name),
                (true, _) => format!(
                    "the string id given for kind `{}` was resolved by a policy that numbers strings differently (another compile, or a snapshot changed apart from this one): resolve it again",
                    kind.name
                ),
                (false, _) => format!("kind `{}` has number ids, and a string id was given", kind.name),
            }
        };
        if let Some(id) = r.id {
            if !id_ok(kind, id, r.stamp) {
                return Some(id_problem(kind, r.stamp));
            }
        }
        let given = r.ancestors();
        if given.len() > kind.chain.len() {
            return Some(format!(
                "{} ancestors given, and kind `{}` has {}",
                given.len(),
                kind.name,
                kind.chain.len()
            ));
        }
        for (i, (a, &ak)) in given.iter().zip(&kind.chain).enumerate() {
            let Some(akind) = self.schema.kinds.get(ak.index()) else {
                return Some("unknown ancestor kind".into());
            };
            if a.kind != ak {
                return Some(format!(
                    "ancestor {} should be of kind `{}`, and one of kind `{}` was given",
                    i + 1,
                    akind.name,
                    self.kind_name(a.kind)
                ));
            }
            if !id_ok(akind, a.id, a.stamp) {
                return Some(id_problem(akind, a.stamp));
            }
        }
        None
    }

    #[inline(never)]
    fn scoped(&self, s: u32, subj: &Subject, pk: &ProfileKind, r: &Resource, x: u64) -> u64 {
        match r.owner {
            Some(owner) if owner.index == s && subj.answers(owner) => x | pk.set.own,
            Some(owner)
                if pk.set.managed & !x != 0
                    && subj.flags & Subject::MANAGES != 0
                    && subj
                        .extra
                        .as_ref()
                        .is_some_and(|e| e.manages.binary_search(&owner.index).is_ok())
                    && self
                        .subjects
                        .get(owner.index as usize)
                        .is_some_and(|o| o.answers(owner)) =>
            {
                x | pk.set.managed
            }
            _ => x,
        }
    }

    #[inline(never)]
    pub(crate) fn role_instance(&self, pk: &ProfileKind, k: KindId, id: InstanceId, x: u64) -> u64 {
        self.schema
            .role_instances
            .get(role_tag(pk.role, Slot::of(k)), id)
            .unwrap_or(pk.role_default)
            .apply(x)
    }

    #[inline(never)]
    fn own_layer(extra: &SubjectExtra, k: KindId, id: Option<InstanceId>, x: u64) -> u64 {
        extra.layer(k, id).apply(x)
    }

    /// Step 1 for states: a state of another kind, or out of range, denies.
    #[inline(never)]
    pub(crate) fn state_keep(
        &self,
        profiles: &Profiles,
        pk: &ProfileKind,
        k: KindId,
        st: StateId,
    ) -> u64 {
        if st.kind != k {
            return 0;
        }
        let Some(&class) = self
            .schema
            .kinds
            .get(k.index())
            .and_then(|kind| kind.state_class.get(st.index.index()))
        else {
            return 0;
        };
        profiles
            .keeps
            .get(pk.keep_at as usize + class as usize)
            .copied()
            .unwrap_or(0)
    }

    /// The key of profile `p`, in whichever table holds it.
    pub(crate) fn profile_key(&self, p: u32) -> Option<&ProfileKey> {
        match p.checked_sub(self.profiles.count) {
            None => self.profiles.keys.get(p as usize),
            Some(q) => self.recent.keys.get(q as usize),
        }
    }

    /// The scoped masks subject `s` holds on kind `k` (step 3, before exceptions).
    pub(crate) fn scoped_set(&self, s: u32, k: KindId) -> Option<Scoped> {
        let p = self.subjects.get(s as usize)?.profile;
        let (profiles, p) = match p.checked_sub(self.profiles.count) {
            None => (&*self.profiles, p),
            Some(q) => (&*self.recent, q),
        };
        let at = (p as usize)
            .checked_mul(profiles.n_kinds)?
            .checked_add(k.index())?;
        profiles.kinds.get(at).map(|pk| pk.set)
    }

    /// Whether `manager` manages `owner`.
    pub(crate) fn manages(&self, manager: u32, owner: u32) -> bool {
        self.subjects
            .get(manager as usize)
            .and_then(|s| s.extra.as_ref())
            .is_some_and(|e| e.manages.binary_search(&owner).is_ok())
    }

    /// Subject `s`'s record, the profile table that holds its profile, and its
    /// entry there for kind `k`, found as [`Policy::allowed_bits`] finds them: for
    /// lists (`list/`), which read the compiled form directly.
    /// `None` where `allowed_bits` answers 0 whatever the resource.
    // INVARIANT (entry lookup): must resolve a subject exactly as `allowed_bits`
    // does (any check added there on the id, e.g. its lineage, belongs here too).
    pub(crate) fn list_entry(
        &self,
        id: SubjectId,
        k: KindId,
    ) -> Option<(&Subject, &Profiles, &ProfileKind)> {
        let s = self.resolve(id)?;
        let subj = self.subjects.get(s as usize)?;
        let (profiles, p) = match subj.profile.checked_sub(self.profiles.count) {
            None => (&*self.profiles, subj.profile),
            Some(q) => (&*self.recent, q),
        };
        if k.index() >= profiles.n_kinds {
            return None;
        }
        let at = (p as usize)
            .checked_mul(profiles.n_kinds)?
            .checked_add(k.index())?;
        Some((subj, profiles, profiles.kinds.get(at)?))
    }
}
