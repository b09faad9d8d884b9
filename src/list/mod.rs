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
//!
//! ## Files
//!
//! - `probe.rs`: the engine's answers per class of ids, owner class and state,
//!   read off the compiled tables ([`Probe`](probe::Probe));
//! - `filter.rs`: [`Policy::filter`] and the public form ([`Filter`], [`Branch`],
//!   [`Cond`], [`Except`], [`Within`], ...);
//! - `cond.rs`: the simplest condition for a table of answers;
//! - `deep.rs`, `maps.rs`, `prereq.rs`: the walk down the ancestors for a kind
//!   whose answers depend on them;
//! - `matches.rs`: [`Filter::matches`], the filter read back on one resource;
//! - `display.rs`: the one-line text form;
//! - `sql.rs`, `columns.rs`: the SQL `WHERE` form;
//! - `bulk.rs`, `bits.rs`: checks of many resources at once ([`BitSet`]);
//! - [`SqlError`] lives with the other errors, in `error/sql.rs`.

mod bits;
mod bulk;
mod columns;
mod cond;
mod deep;
mod display;
mod filter;
mod maps;
mod matches;
mod prereq;
mod probe;
mod sql;

pub use crate::error::SqlError;
pub use bits::BitSet;
pub use columns::Columns;
pub use filter::{
    AncestorKind, Branch, Clause, Cond, Except, Filter, Named, Owner, States, Within, WithinIds,
};
pub use sql::{Sql, SqlValue};
