//! Small `Copy` ids that names are resolved to once, and the resource a check is about.

use std::any::TypeId;
use std::fmt;
use std::marker::PhantomData;

use crate::def::InstanceId;

mod internal;

pub(crate) use internal::{role_tag, LevelId, Slot, StateIx, ToggleId};

/// The most actions a kind can have: one bit each in a `u64` mask.
pub const MAX_ACTIONS: usize = 64;

/// A subject (user) of one compiled policy: its position, and a tag that binds it
/// to the policy's lineage and to the subject's name.
///
/// An id answers only in the policy that handed it out and in snapshots derived
/// from it (changes, [`Policy::recompile`](crate::Policy::recompile),
/// [`LivePolicy::replace`](crate::LivePolicy::replace)); anywhere else, or once its
/// subject is removed, checks deny it and explanations say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectId {
    pub(crate) index: u32,
    /// [`slot_tag`] of the policy's lineage and the subject's name (low two bits
    /// clear), or [`SubjectId::INTERNAL`].
    pub(crate) tag: u32,
}

impl SubjectId {
    /// The tag of ids the engine makes for its own questions about its own
    /// subjects (admin checks, diffs): valid at any lineage. Never handed out.
    pub(crate) const INTERNAL: u32 = 1;
}

/// An id for the engine's own questions about subject `index` of a policy it
/// holds (see [`SubjectId::INTERNAL`]); never returned to callers.
#[expect(non_snake_case, reason = "reads as the tuple constructor it replaced")]
pub(crate) const fn SubjectId(index: u32) -> SubjectId {
    SubjectId {
        index,
        tag: SubjectId::INTERNAL,
    }
}

/// A strong hash of a name (fmix64 over its 8-byte chunks and its length).
pub(crate) fn name_hash(name: &str) -> u64 {
    let mut h = crate::table::fmix64(name.len() as u64 ^ 0x6a09_e667_f3bc_c908);
    for chunk in name.as_bytes().chunks(8) {
        let mut buf = [0u8; 8];
        for (d, s) in buf.iter_mut().zip(chunk) {
            *d = *s;
        }
        h = crate::table::fmix64(h ^ u64::from_le_bytes(buf)).wrapping_add(0x9e37_79b9_7f4a_7c15);
    }
    h
}

/// The lineage of a fresh compile: a hash of its subjects' names in order, so two
/// compiles that number subjects differently get different lineages (two that
/// number them the same give every id the same subject, which is harmless).
pub(crate) fn lineage<'a>(names: impl IntoIterator<Item = &'a str>) -> u64 {
    names.into_iter().fold(0x243f_6a88_85a3_08d3, |h, n| {
        crate::table::fmix64(h ^ name_hash(n)).wrapping_add(1)
    })
}

/// The tag of the subject named `name` in a policy of `lineage`: low two bits
/// clear, so it never equals [`SubjectId::INTERNAL`].
pub(crate) fn slot_tag(lineage: u64, name: &str) -> u32 {
    ((crate::table::fmix64(lineage ^ name_hash(name)) >> 32) as u32) & !3
}

/// A kind of one compiled policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KindId(pub(crate) u32);

/// A state of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateId {
    pub(crate) kind: KindId,
    pub(crate) index: StateIx,
}

impl StateId {
    /// The kind the state belongs to.
    pub fn kind(self) -> KindId {
        self.kind
    }
}

/// A role of one compiled policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleId(pub(crate) u32);

/// An action of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionId {
    pub(crate) kind: KindId,
    pub(crate) bit: u8,
}

impl SubjectId {
    /// The subject's position in the policy (document order; a recompile that
    /// keeps ids keeps positions, and adds new subjects after the others).
    pub fn index(self) -> usize {
        self.index as usize
    }
}

impl KindId {
    /// The kind's position in the policy (document order).
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// Instance `id` of this kind (a kind with number ids; for string ids see
    /// [`Policy::instance`](crate::Policy::instance)).
    pub fn instance(self, id: InstanceId) -> Instance {
        Instance {
            id,
            kind: self,
            stamp: 0,
        }
    }
}

impl RoleId {
    /// The role's position in the policy (document order).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl ActionId {
    /// The kind the action belongs to.
    pub fn kind(self) -> KindId {
        self.kind
    }

    /// The action's position in its kind (its bit is `1 << index`).
    pub fn index(self) -> usize {
        usize::from(self.bit)
    }

    /// The action's bit in its kind's mask.
    pub fn mask(self) -> u64 {
        1u64 << (self.bit & 63)
    }
}

/// What a check is about: a kind, and optionally an instance id, a state and an
/// owner.
///
/// ```
/// # use accessmask::{Policy, PolicyDef};
/// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"cost_estimate":
/// #   {"actions": ["view"], "states": ["draft", "billed"]}},
/// #   "roles": {"R": {}}, "subjects": {"u3": {"role": "R"}}}"#)?;
/// # let policy = Policy::compile(&def)?;
/// let kind = policy.kind("cost_estimate").ok_or("no kind")?;
/// let billed = policy.state(kind, "billed").ok_or("no state")?;
/// let owner = policy.subject("u3").ok_or("no subject")?;
/// let estimate = policy.resource(kind).with_id(9).with_state(billed).with_owner(owner);
/// assert_eq!(estimate.id(), Some(9));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Resource {
    pub(crate) kind: KindId,
    pub(crate) id: Option<InstanceId>,
    /// What a check must look at beyond the common path: [`Resource::ANCESTORS`],
    /// [`Resource::TEXT`], [`Resource::INVALID`].
    pub(crate) rare: u8,
    /// How many of `ancestors` are given (parent first).
    pub(crate) depth: u8,
    /// The own id's stamp: 0 for a number id, else see [`Instance`].
    pub(crate) stamp: u32,
    pub(crate) ancestors: [Instance; MAX_ANCESTORS],
    pub(crate) state: Option<StateId>,
    pub(crate) owner: Option<SubjectId>,
    pub(crate) owner_key: Option<u64>,
    pub(crate) owner_token: Option<OwnerToken>,
    /// The `bitflags` type bound to the kind, for a resource made from a
    /// [`TypedKind`]: only that type's flags are checked on it.
    pub(crate) flags: Option<TypeId>,
}

impl Resource {
    /// A resource of `kind` with no id, state or owner: a question about the kind
    /// in general.
    pub fn new(kind: KindId) -> Self {
        Resource {
            kind,
            id: None,
            rare: 0,
            depth: 0,
            stamp: 0,
            ancestors: [Instance::NONE; MAX_ANCESTORS],
            state: None,
            owner: None,
            owner_key: None,
            owner_token: None,
            flags: None,
        }
    }

    /// The same resource, about instance `id` (of a kind with number ids).
    #[must_use]
    pub fn with_id(mut self, id: InstanceId) -> Self {
        self.id = Some(id);
        self.stamp = 0;
        self.rare &= !Self::TEXT;
        self
    }

    /// The same resource, about `instance`: a string id resolved with
    /// [`Policy::instance`](crate::Policy::instance), or a number id
    /// ([`KindId::instance`]). An instance of another kind makes the resource
    /// invalid: every check on it is denied, and explained.
    #[must_use]
    pub fn with_instance(mut self, instance: Instance) -> Self {
        if instance.kind != self.kind {
            self.rare |= Self::INVALID;
        }
        self.id = Some(instance.id);
        self.stamp = instance.stamp;
        if instance.stamp != 0 {
            self.rare |= Self::TEXT;
        } else {
            self.rare &= !Self::TEXT;
        }
        self
    }

    /// The same resource, inside `ancestor`: call it first with the instance's
    /// parent, then with the grandparent, and so on up the kind's `parent` chain.
    /// An ancestor of a kind that is not next in the chain, or more than
    /// [`MAX_ANCESTORS`], makes the resource invalid: every check on it is denied,
    /// and explained. Ancestors not given are "not known": rules written in them
    /// treat the resource as in no instance, and a prerequisite on them is not met.
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {
    /// #   "repo": {"actions": ["push"], "ids": "string"},
    /// #   "pull_request": {"actions": ["merge"], "parent": "repo"}},
    /// #   "roles": {"Dev": {"grants": {"pull_request": ["merge"]},
    /// #     "exceptions": [{"kind": "pull_request", "in": "repo", "id": "acme/web", "deny": ["merge"]}]}},
    /// #   "subjects": {"dan": {"role": "Dev"}}}"#)?;
    /// # let policy = Policy::compile(&def)?;
    /// let dan = policy.subject("dan").ok_or("no dan")?;
    /// let pr = policy.kind("pull_request").ok_or("no kind")?;
    /// let repo = policy.kind("repo").ok_or("no kind")?;
    /// let merge = policy.action("pull_request", "merge").ok_or("no action")?;
    /// let web = policy.resource(pr).with_id(700).within(policy.instance(repo, "acme/web"));
    /// let api = policy.resource(pr).with_id(701).within(policy.instance(repo, "acme/api"));
    /// assert!(!policy.can(dan, merge, &web));
    /// assert!(policy.can(dan, merge, &api));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn within(mut self, ancestor: Instance) -> Self {
        match self.ancestors.get_mut(usize::from(self.depth)) {
            Some(slot) => {
                *slot = ancestor;
                self.depth += 1;
                self.rare |= Self::ANCESTORS;
            }
            None => self.rare |= Self::INVALID,
        }
        self
    }

    /// The ancestors given with [`Resource::within`], parent first.
    pub fn ancestors(&self) -> &[Instance] {
        self.ancestors.get(..usize::from(self.depth)).unwrap_or(&[])
    }

    /// The ancestor at `depth` (1: the parent) as a resource of its own, with the
    /// ancestors above it; no state, no owner.
    pub(crate) fn ancestor_resource(&self, depth: usize) -> Option<Resource> {
        let given = self.ancestors();
        let a = given.get(depth.checked_sub(1)?)?;
        let mut r = Resource::new(a.kind).with_instance(*a);
        for above in given.get(depth..).unwrap_or(&[]) {
            r = r.within(*above);
        }
        Some(r)
    }

    /// Whether the resource was built inconsistently (an instance of another kind,
    /// too many ancestors): every check on it is denied.
    pub fn is_invalid(&self) -> bool {
        self.rare & Self::INVALID != 0
    }

    /// The same resource, in `state`.
    #[must_use]
    pub fn with_state(mut self, state: StateId) -> Self {
        self.state = Some(state);
        self
    }

    /// The same resource, owned by `owner`.
    #[must_use]
    pub fn with_owner(mut self, owner: SubjectId) -> Self {
        self.owner = Some(owner);
        self
    }

    /// The same resource, owned by the user the service knows by `key` (for
    /// checks with a [`Principal`](crate::Principal); checks of a subject of the
    /// policy look at [`Resource::with_owner`] instead).
    #[must_use]
    pub fn with_owner_key(mut self, key: u64) -> Self {
        self.owner_key = Some(key);
        self
    }

    /// The owner's caller key, if any.
    pub fn owner_key(&self) -> Option<u64> {
        self.owner_key
    }

    /// The same resource, owned by a user a principal with string keys resolved
    /// ([`Principal::owner`](crate::Principal::owner)). Only that principal's checks
    /// read it.
    #[must_use]
    pub fn with_owner_token(mut self, token: OwnerToken) -> Self {
        self.owner_token = Some(token);
        self
    }

    /// The kind.
    pub fn kind(&self) -> KindId {
        self.kind
    }

    /// The instance id, if any.
    pub fn id(&self) -> Option<InstanceId> {
        self.id
    }

    /// The state, if any.
    pub fn state(&self) -> Option<StateId> {
        self.state
    }

    /// The owner, if any.
    pub fn owner(&self) -> Option<SubjectId> {
        self.owner
    }
}

impl Resource {
    /// `rare`: ancestors are given.
    pub(crate) const ANCESTORS: u8 = 1;
    /// `rare`: the own id is a string id.
    pub(crate) const TEXT: u8 = 2;
    /// `rare`: built inconsistently; denies everything.
    pub(crate) const INVALID: u8 = 4;
}

/// A resource owner with a string key, as one principal sees it: itself, a user
/// it manages, or someone else
/// ([`Principal::owner`](crate::Principal::owner)). Resolved once, exactly,
/// before the check, so the check compares no strings. Another principal's
/// checks read a token it did not make as "someone else".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OwnerToken {
    pub(crate) stamp: u64,
    pub(crate) relation: u8,
}

/// [`OwnerToken::relation`]: someone else.
pub(crate) const OTHER: u8 = 0;
/// [`OwnerToken::relation`]: the principal itself.
pub(crate) const OWN: u8 = 1;
/// [`OwnerToken::relation`]: a user the principal manages.
pub(crate) const MANAGED: u8 = 2;

/// How many ancestors a resource can carry, and how deep a kind's `parent` chain
/// can be.
pub const MAX_ANCESTORS: usize = 4;

/// One instance of a kind: its kind and its id, a number or a string resolved by
/// [`Policy::instance`](crate::Policy::instance). Small and `Copy`; used for a
/// resource's own id ([`Resource::with_instance`]) and its ancestors
/// ([`Resource::within`]).
///
/// A string id resolves to the policy's own number for it, so checks compare
/// numbers, never strings or hashes of strings. A string the policy names
/// nowhere resolves to "unnamed", which answers like any instance no rule
/// names. A resolved string id is good for the snapshot that resolved it and the
/// snapshots changed from it (an "unnamed" one, until a change names some new
/// string id: then it is denied, so that resolve it again); in a policy compiled
/// apart, it is denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance {
    pub(crate) id: InstanceId,
    pub(crate) kind: KindId,
    /// 0 for a number id; for a string id, the resolving policy's text stamp
    /// (never 0).
    pub(crate) stamp: u32,
}

impl Instance {
    const NONE: Instance = Instance {
        id: 0,
        kind: KindId(u32::MAX),
        stamp: 0,
    };

    /// A string-id instance from its number in a policy and that policy's stamp.
    pub(crate) fn text(kind: KindId, id: InstanceId, stamp: u32) -> Instance {
        Instance { id, kind, stamp }
    }

    /// The instance's kind.
    pub fn kind(&self) -> KindId {
        self.kind
    }

    /// The number id, for an instance of a kind with number ids.
    pub fn number(&self) -> Option<InstanceId> {
        (self.stamp == 0).then_some(self.id)
    }

    /// Whether the id is a string resolved by a policy.
    pub fn is_string(&self) -> bool {
        self.stamp != 0
    }
}

/// A set of actions of one kind, with their names for display.
///
/// ```
/// # use accessmask::{Policy, PolicyDef};
/// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"tracking":
/// #   {"actions": ["view", "edit"], "needs": {"edit": ["view"]}}},
/// #   "roles": {"R": {"grants": {"tracking": ["edit"]}}}, "subjects": {"u": {"role": "R"}}}"#)?;
/// # let policy = Policy::compile(&def)?;
/// let u = policy.subject("u").ok_or("no u")?;
/// let tracking = policy.kind("tracking").ok_or("no kind")?;
/// let set = policy.allowed(u, &policy.resource(tracking));
/// assert_eq!(set.to_string(), "view, edit");
/// assert_eq!(set.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ActionSet<'p> {
    pub(crate) kind: KindId,
    pub(crate) bits: u64,
    pub(crate) names: &'p [String],
}

impl<'p> ActionSet<'p> {
    /// The kind the actions belong to.
    pub fn kind(&self) -> KindId {
        self.kind
    }

    /// The set as a mask: action `i` is bit `1 << i`.
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// Whether `action` is in the set (false for another kind's action).
    pub fn contains(&self, action: ActionId) -> bool {
        action.kind == self.kind && self.bits & action.mask() != 0
    }

    /// Whether every action of `flags` is in the set, for actions declared with
    /// `bitflags!` in the kind's order (see [`Policy::can`](crate::Policy::can)).
    pub fn contains_flags<F>(&self, flags: F) -> bool
    where
        F: bitflags::Flags,
        F::Bits: Into<u64>,
    {
        let want: u64 = flags.bits().into();
        want != 0 && self.bits & want == want
    }

    /// The set as `bitflags` flags of type `F`, bits `F` does not know dropped.
    pub fn to_flags<F>(&self) -> F
    where
        F: bitflags::Flags,
        F::Bits: Into<u64> + TryFrom<u64>,
    {
        let known = self.bits & F::all().bits().into();
        F::Bits::try_from(known)
            .map(F::from_bits_truncate)
            .unwrap_or_else(|_| F::empty())
    }

    /// Number of actions in the set.
    pub fn len(&self) -> usize {
        self.bits.count_ones() as usize
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// The actions' names, in the kind's declaration order.
    pub fn iter(&self) -> impl Iterator<Item = &'p str> + 'p {
        let bits = self.bits;
        self.names
            .iter()
            .enumerate()
            .filter(move |(i, _)| bits & (1u64 << (i & 63)) != 0)
            .map(|(_, n)| n.as_str())
    }
}

impl fmt::Debug for ActionSet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for ActionSet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("(none)");
        }
        for (i, name) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

/// An action to check: an [`ActionId`], or `bitflags` flags whose bits follow the
/// kind's declaration order (every flag set must be allowed; no flag is never
/// allowed).
///
/// Flags are bound to their kind: they are checked only on a resource made from
/// the [`TypedKind`] that [`Policy::typed_kind`](crate::Policy::typed_kind) gave for
/// the same flags type, and denied on any other resource (another kind's, or one
/// made from a plain [`KindId`]).
///
/// Sealed: implemented for [`ActionId`] and for `bitflags` types only, so that
/// the masks a check tests always come from the policy's own action ids or a
/// flags type bound to a kind.
pub trait Actions: Copy + sealed::Sealed {
    /// The mask to test, or `None` if the action does not belong to `resource`'s
    /// kind.
    fn mask_for(self, resource: &Resource) -> Option<u64>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ActionId {}
    impl<F> Sealed for F
    where
        F: bitflags::Flags + Copy + 'static,
        F::Bits: Into<u64>,
    {
    }
}

impl Actions for ActionId {
    #[inline]
    fn mask_for(self, resource: &Resource) -> Option<u64> {
        (self.kind == resource.kind).then(|| self.mask())
    }
}

impl<F> Actions for F
where
    F: bitflags::Flags + Copy + 'static,
    F::Bits: Into<u64>,
{
    #[inline]
    fn mask_for(self, resource: &Resource) -> Option<u64> {
        let m: u64 = self.bits().into();
        (m != 0 && resource.flags == Some(TypeId::of::<F>())).then_some(m)
    }
}

/// A kind whose actions are the `bitflags` type `F`, checked by
/// [`Policy::typed_kind`](crate::Policy::typed_kind). Resources made from it
/// ([`Policy::resource`](crate::Policy::resource)) accept `F`'s flags in
/// [`Policy::can`](crate::Policy::can); resources of other kinds deny them.
pub struct TypedKind<F> {
    kind: KindId,
    flags: PhantomData<fn() -> F>,
}

impl<F> TypedKind<F> {
    pub(crate) fn new(kind: KindId) -> Self {
        TypedKind {
            kind,
            flags: PhantomData,
        }
    }

    /// The kind.
    pub fn kind(self) -> KindId {
        self.kind
    }
}

impl<F> Clone for TypedKind<F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F> Copy for TypedKind<F> {}

impl<F> PartialEq for TypedKind<F> {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl<F> Eq for TypedKind<F> {}

impl<F> fmt::Debug for TypedKind<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedKind")
            .field("kind", &self.kind)
            .field("flags", &std::any::type_name::<F>())
            .finish()
    }
}

impl<F> From<TypedKind<F>> for KindId {
    fn from(t: TypedKind<F>) -> KindId {
        t.kind
    }
}

/// What [`Policy::resource`](crate::Policy::resource) makes a resource of: a
/// [`KindId`] (checked with [`ActionId`]s), or a [`TypedKind`] (checked with its
/// flags type as well).
pub trait ResourceKind {
    /// A resource of this kind with no id, state or owner.
    fn resource(self) -> Resource;
}

impl ResourceKind for KindId {
    fn resource(self) -> Resource {
        Resource::new(self)
    }
}

impl<F: 'static> ResourceKind for TypedKind<F> {
    fn resource(self) -> Resource {
        Resource {
            flags: Some(TypeId::of::<F>()),
            ..Resource::new(self.kind)
        }
    }
}
