//! Sets of actions, and the actions a check tests (`ActionId`s or `bitflags`).

use std::any::TypeId;
use std::fmt;

use super::{ActionId, KindId, Resource};

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
/// the [`TypedKind`](super::TypedKind) that [`Policy::typed_kind`](crate::Policy::typed_kind) gave for
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
