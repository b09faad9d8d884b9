//! Kinds bound to a `bitflags` type of their actions.

use std::any::TypeId;
use std::fmt;
use std::marker::PhantomData;

use super::{KindId, Resource};

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
/// [`KindId`] (checked with [`ActionId`](super::ActionId)s), or a [`TypedKind`] (checked with its
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
