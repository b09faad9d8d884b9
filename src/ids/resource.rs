//! What a check is about: a resource (kind, instance, ancestors, state, owner),
//! its instances, and owner tokens.

use std::any::TypeId;

use crate::def::InstanceId;

use super::{KindId, StateId, SubjectId};

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
