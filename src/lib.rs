//! # accessmask
//!
//! An embeddable, in-memory policy engine. It compiles roles, per-user toggles,
//! per-kind access levels and per-instance exceptions into bitmasks once, so that
//! [`Policy::can`] answers "may this subject do this action to this resource?" in
//! constant time, with no allocation and no I/O, and [`Policy::explain`] says why.
//!
//! ```
//! use accessmask::{Policy, PolicyDef};
//!
//! let def: PolicyDef = serde_json::from_str(r#"{
//!   "kinds": {
//!     "scheduled_upload": {
//!       "actions": ["view", "run", "create", "edit", "delete"],
//!       "needs": { "run": ["view"], "create": ["edit"], "edit": ["view"], "delete": ["view"] },
//!       "levels": {
//!         "No Access": [],
//!         "Read Only Access": ["view", "run"],
//!         "Full Access": ["view", "run", "create", "edit", "delete"]
//!       }
//!     }
//!   },
//!   "roles": { "Admin": { "grants": { "scheduled_upload": { "level": "Full Access" } } } },
//!   "subjects": {
//!     "ada": { "role": "Admin" },
//!     "bob": { "role": "Admin", "levels": { "scheduled_upload": "Read Only Access" } }
//!   }
//! }"#)?;
//! let policy = Policy::compile(&def)?;
//!
//! // Resolve names to small Copy ids once, then check with ids only.
//! let bob = policy.subject("bob").ok_or("no bob")?;
//! let edit = policy.action("scheduled_upload", "edit").ok_or("no edit")?;
//! let run = policy.action("scheduled_upload", "run").ok_or("no run")?;
//! let upload = policy.resource(edit.kind()).with_id(7);
//!
//! assert!(policy.can(bob, run, &upload));
//! assert!(!policy.can(bob, edit, &upload));
//! println!("{}", policy.explain(bob, edit, &upload));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With the `json` feature, `Policy::from_json_str` reads and compiles a
//! document in one call (`toml`: `Policy::from_toml_str`), and
//! [`Policy::query`] asks by name, in the same order as `can`: subject, action,
//! resource (`"bob edit scheduled_upload:7 state=draft owner=ada"`).
//!
//! ## Features
//!
//! - `json`: `Policy::from_json_str` (serde_json).
//! - `toml`: `Policy::from_toml_str` (toml).
//! - `cli`: the `accessmask` command-line tool (`cargo install accessmask
//!   --features cli`): validate a document, print its matrices, answer and
//!   explain queries, check expectations and golden matrices in CI.
//! - `reference`: `accessmask::reference`, a plain, slow interpreter of the
//!   decision order, to test the engine (or your policies) against.
//!
//! Every answer ([`Explanation`], [`ActionSet`], [`Matrix`], [`PolicyDiff`]) and
//! every error implements serde's `Serialize`, for decision and audit logs.
//!
//! ## Concepts
//!
//! - A **kind** is a type of resource with up to [`MAX_ACTIONS`] named **actions**.
//!   **Implications** (`needs`) say that one action needs another: `edit` needs `view`.
//! - A **level** is a named, ordered action set of a kind (No Access < Read Only <
//!   Full Access); each level holds every action of the level below it.
//! - A **role** grants actions per kind, optionally in a **scope** (`own`: only on
//!   instances the subject owns; `managed`: only on instances owned by subjects it
//!   manages). A role may be derived from a **base** role, adding and removing.
//! - A **toggle** is a named grant bundle switched on per subject (HR Manager).
//! - A **subject** has one role, any toggles, an explicit level per kind, its own
//!   exceptions and restrictions, and the subjects it manages.
//! - A **resource** is a kind, optionally with an instance id, a state and an owner.
//! - **Containment.** A kind may name a **parent** kind (a contact's database, a
//!   pull request's repository; chains up to [`MAX_ANCESTORS`] deep). A resource
//!   may carry its ancestors' ids ([`Resource::within`]): the engine does no I/O,
//!   the caller says which database the contact is in. Instance ids are numbers,
//!   or strings for a kind declared with `"ids": "string"` (resolved once with
//!   [`Policy::instance`], then compared as numbers; matching is exact).
//! - An **exception** rules on one instance `(kind, id)`: it sets a level, or adds
//!   (`allow`) and takes away (`deny`) actions. A **restriction** says the listed
//!   actions hold on the listed ids and nowhere else of the kind.
//! - A **state rule** holds actions back in a state unless the subject has one of
//!   the rule's roles or toggles. A **prerequisite** makes an action need actions on
//!   another kind. An **unavailable** kind allows nothing.
//!
//! ## How a decision is made
//!
//! For subject `u`, action `a` of kind `k` and resource `r = (k, id?, state?, owner?)`,
//! the answer is defined by these steps; the engine computes it differently (see
//! "How it works") and is property-tested against `reference` (feature `reference`), a literal
//! interpreter of this list.
//!
//! 1. Default deny: an unknown subject, kind, action or state is denied.
//! 2. If `k` is unavailable, deny.
//! 3. **Kind-wide set.** Three sets, one per scope (`any`, `own`, `managed`). If `u`
//!    has an explicit level for `k`, `any` is that level and `own`/`managed` are empty:
//!    the level replaces everything the role gives on `k`. Otherwise they are the
//!    role's: its base role's sets (recursively), plus its grants, minus its
//!    `remove` (taken from every scope). Then every toggle `u` has adds its grants.
//! 4. **Scope.** The set is `any`, plus `own` when `r.owner` is `u`, plus `managed`
//!    when `r.owner` is a subject `u` manages. No owner: only `any`.
//! 5. **Exceptions**, first the role's layer, then the subject's (so the subject's
//!    wins). In each layer: if it restricts `k` to ids `I` with actions `A`, then `A`
//!    is added when `r.id` is in `I` and removed otherwise (also when `r` has no id);
//!    then, if `r.id` is given and the layer has an exception on `(k, r.id)`, a
//!    level exception replaces the set and an allow/deny exception adds `allow` and
//!    then removes `deny`. Before these, the layer's rules written `in` an
//!    ancestor kind of `k` apply the same way, outermost ancestor first, each on
//!    the id of `r`'s ancestor of that kind (a restriction removes its actions
//!    when that ancestor is not given). A derived role's layer is its base's, with
//!    its own exceptions replacing the base's on the same `(kind, in, id)` and its
//!    own restriction replacing the base's on the same `(kind, in)`.
//! 6. **Prerequisites.** An action of `k` whose prerequisite on kind `k2` is not met
//!    is removed. It is met when `u`'s step-3 `any` set on `k2` holds every needed
//!    action; scoped grants do not count, and an unavailable `k2` meets nothing.
//!    A prerequisite `on_ancestor` is met when `u`'s final set (all of steps 1 to
//!    9) on `r`'s ancestor of kind `k2` (its id and its own ancestors, no state,
//!    no owner) holds every needed action; a resource that does not give that
//!    ancestor does not meet it.
//! 7. **State rules.** If `r.state` is given, each rule of `k` for that state removes
//!    its held actions unless `u`'s own role (not a role it derives from) is one of
//!    the rule's roles, or `u` has one of its toggles on. Steps 6 and 7 only remove,
//!    and come after exceptions: no exception reopens them.
//! 8. **Implications** hold at every step: adding an action adds what it needs;
//!    removing an action removes every action that needs it (transitively). So every
//!    set above is closed: if `edit` is in it, `view` is too. Implication cycles are
//!    allowed: the actions on a cycle are always granted and removed together.
//! 9. Allow iff `a` is in the final set.
//!
//! ## How it works
//!
//! The source follows the pipeline, each folder named after a MODEL.md concept:
//! the document (`def/`), ids (`ids/`: the public ones, and the internal
//! `ToggleId`, `LevelId`, `StateIx`, `Slot`, each with a limit and checked
//! constructors), errors by phase (`error/`), the semantic model a document
//! compiles to (`model/`: kinds, layers, roles), the compiler, one stage per file
//! (`compile/`), the compiled tables and the hot check (`engine/`, with
//! `engine/check.rs` and step 5's table reads in `engine/layers.rs`), the one
//! evaluator of the decision order, step by step and generic over an observer
//! (`eval/`: explanations record each step, role questions, matrices, diffs and
//! the escalation check observe nothing), changes made on the compiled form with
//! their permission and escalation checks (`change/`), lists (`list/`), query
//! text (`query/`), and the plain reference interpreter the tests compare with
//! (`reference/`, feature `reference`). `lib.rs` only documents and re-exports.
//! Modules import each other without cycles (a test reads the imports), no file
//! passes 600 lines and no function about 80.
//!
//! Compiling interns every name into a small `Copy` id and closes every action set
//! under implications. The compiled layout:
//!
//! - **Profiles.** Subjects that share a role, toggles and levels share one profile.
//!   A flat table holds, per profile and kind, the three scoped masks (`any`, `own`,
//!   `managed`), the role's exception layer for instances it does not name, and an
//!   index into a table of "keep" masks, with availability, prerequisites and state
//!   rules folded in: one for no state (also inline) and one per state that some
//!   rule names; a state no rule names maps to the no-state mask through a per-kind
//!   table. Runs of keep masks that rules leave alike are stored once and shared
//!   between profiles, so a kind with 100k states and 1,000 roles costs tens of MB,
//!   not states x profiles. An entry is one 64-byte cache line. Profiles first
//!   made by a change go to a short side table, folded into the main one as it
//!   grows, so a change never copies the whole table.
//! - **Subjects.** A 16-byte record per subject (its profile, its identity tag,
//!   flags saying what else a check must look at, and a pointer to its own compiled
//!   exceptions and managed subjects when it has any) in a persistent
//!   vector: leaves of 128 records in groups of 128, so a change copies one leaf
//!   and two short lists of pointers, never the other subjects.
//! - **Exceptions.** Each layer (restriction hit or miss, then a level or
//!   allow/deny exception) is a pair `(and, or)` applied as `x & and | or`; a
//!   layer's effects compose into one pair per named instance: for roles in one
//!   table keyed by `(role, kind, id)` (a derived role that writes no exception or
//!   restriction shares its base's layer and entries, so a base chain holds its
//!   root's exceptions once), for a subject next to its record (a short list
//!   scanned, or a table keyed by `(kind, id)` when it names many).
//! - **Instance tables.** Instance ids are the one key a user picks, so they may
//!   share their low bits (`id << 32`, snowflake ids, multiples of 2^20) or be
//!   chosen by someone who read this code. A std `HashMap` with a fast integer
//!   hash degrades to long probe chains on such ids (microseconds per check), and
//!   one with SipHash costs more than the rest of the check. So the tables are
//!   built once, at compile time: each key goes, by a 64-bit MurmurHash3 finalizer
//!   of the id, the role and kind, and a seed, to the emptier of two buckets; the
//!   buckets are stored back to back, each sorted. Two choices keep the fullest
//!   bucket near `log2(ln n)` (4-5 keys at a million), and the builder *enforces*
//!   at most 8: if a seed gives more it rebuilds with the next seed of a sequence
//!   that starts from a hash of the whole key set, so ids crafted against one seed
//!   are spread by the next, and the seed cannot be known before the ids are
//!   fixed. A lookup is one mix, two bucket bounds and a scan of at most 8 keys
//!   per bucket, the same for every id pattern. (Should every seed fail, which no
//!   id set has been found to do, the best attempt is kept and large buckets are
//!   bisected: still two buckets and `2 log2 n` keys at most.) No randomness, clock
//!   or global state is involved: the same document always compiles to the same
//!   tables.
//! - **Identity.** A fresh compile takes a lineage from a hash of its subjects'
//!   names in order; each subject's tag is a hash of the lineage and its name, and
//!   a [`SubjectId`] is its position and tag. A check compares the id's tag with
//!   the record's (one compare), so an id from a policy that numbers subjects
//!   differently, or whose subject was removed (its slot is never reused), answers
//!   nothing. Snapshots made by changes keep the lineage, and
//!   [`Policy::recompile`] (used by [`LivePolicy::replace`]) keeps it and each kept
//!   name's position. Typed `bitflags` actions are bound to their kind the same
//!   way: a resource made from a [`TypedKind`] carries the flags type, and flags
//!   are only checked on such a resource.
//! - **Lists.** Every list of a document is checked by sorting (duplicates are
//!   neighbours) or hashing, and layers are merged and searched by bisection, so
//!   compiling is `O(n log n)` in the length of every list. A change edits the
//!   compiled form: a role, level or toggle change edits the subject's profile
//!   key; an exception or restriction is compiled alone and spliced into the
//!   subject's sorted layer (a subject with many exceptions has its instance
//!   table edited in one copy, its definitions kept in shared chunks); a role
//!   definition compiles that role and the roles derived from it.
//! - **Principals.** A user kept in the service's database ([`PrincipalDef`]) is
//!   compiled on the request path into a [`Principal`]: its names resolved once,
//!   a reference to the profile table entry a directory subject with the same
//!   role, toggles and levels would use (or a one-profile table of its own for a
//!   combination no subject has), its exceptions compiled like a subject's, and
//!   the keys it manages, sorted. The engine keeps nothing of it. A principal
//!   holds the definitions it was built against; checked against a snapshot whose
//!   role, toggle or level definitions changed, it is stale and denied.
//! - **Permissioned changes** ([`Policy::apply`]) authorize the actor first (one
//!   refusal for an unknown or uncovered actor, before the change is read), then
//!   make the change on a copy, then compare the engine's own answers
//!   ([`Policy::allowed`]) before and after on every class of resource where they
//!   can differ: the ids named in the layers of the changed subject and of the
//!   actor, plus one unnamed id and none; each state and none; no owner, the
//!   subject, and whom it manages. Answers only grow with the scoped masks an
//!   owner earns (every later step is `x & and | or` or `x & keep`), so owners
//!   that earn the subject nothing are covered by "no owner". A role definition is
//!   checked on its holders, one per profile where they answer alike.
//! - **Containment.** A rule written `in` an ancestor is stored in the same
//!   layers and tables as a rule on the instance itself, under a *slot* that is
//!   the kind plus the ancestor's depth (depth 0 is the kind's own number, so
//!   rules on instances are keyed as before). A profile entry's flag byte says
//!   whether the role writes rules in ancestors of the kind, whether the kind has
//!   prerequisites on ancestors or string ids; a resource's says whether it
//!   carries ancestors or a string id. The common check tests the two bytes
//!   together and, when both are clear, does exactly what it did before; the rest
//!   runs out of line: one table lookup per ancestor level the role or subject
//!   writes rules in, and a whole check of the ancestor per prerequisite on it, so
//!   the cost grows with the depth of the chain the resource carries, never with
//!   the policy. An ancestor of the wrong kind, too many of them, or an id of the
//!   wrong type makes the resource deny everything (and `explain` says why).
//!   String ids are numbered once per document in a persistent table (a change
//!   naming a new string copies one shard); a resolved id carries a hash of the
//!   strings numbered up to it, so a number from another compile or a sibling
//!   snapshot that means a different string there is denied, never misread.
//! - **Names** are checked once ([`name_problem`]): non-empty, no leading or
//!   trailing whitespace, no control or bidirectional-text characters. So names
//!   print safely as they are in explanations, errors, logs and Markdown matrices
//!   (which escape `|` and `\`).
//!
//! A check is then: index the subject and compare its tag, index its profile's
//! kind entry, OR in the scoped masks the owner earns, apply the role's pair (a
//! table lookup only if the role names instances of that kind) and the subject's
//! (only if it has exceptions), AND with the keep mask for the state, and test one
//! bit; with ancestors, one more lookup per level with rules. None of these steps depends on how many subjects, roles, toggles,
//! exceptions or kinds the policy has, or on what the ids look like, which is why
//! `can` costs the same at any size. (One step grows, slowly, with something
//! else: whether the owner is a subject the checker manages is a binary search
//! over the subjects it manages, taken only when a `managed`-scoped grant could
//! decide.)
//!
//! ## When to use this
//!
//! When the policy is role- and level-shaped (admin screens with dropdowns and
//! switches) and checks are hot. For attribute conditions written as expressions,
//! a general policy language fits better.

#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

mod def;

/// The README's examples, compiled and run as doc-tests (they load with
/// `Policy::from_json_str`).
#[cfg(all(doctest, feature = "json"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod change;
mod compile;
mod diff;
mod engine;
mod error;
mod eval;
mod explain;
mod export;
mod ids;
mod list;
#[cfg(any(feature = "json", feature = "toml"))]
mod load;
mod model;
mod principal;
mod pvec;
mod query;
#[cfg(feature = "reference")]
pub mod reference;
mod render;
mod serial;
mod table;
pub mod testing;
mod validate;

pub use change::{Actor, Change, LivePolicy};
pub use def::{
    ActionRefDef, AdminRuleDef, ChangeKind, ExceptionDef, GrantDef, IdDef, IdType, InstanceId,
    KindDef, NamedMap, PolicyBuilder, PolicyDef, PrerequisiteDef, RestrictionDef, RoleDef, Scope,
    StateRuleDef, SubjectDef, ToggleDef,
};
pub use diff::{DiffEntry, Holder, OwnerClass, PolicyDiff};
pub use engine::Policy;
pub use error::{name_problem, ChangeError, Escalation, Item, PolicyError, TypedKindError};
#[cfg(any(feature = "json", feature = "toml"))]
pub use error::{LoadError, SourceFormat};
pub use eval::{Rule, Step};
pub use explain::Explanation;
pub use ids::{
    ActionId, ActionSet, Actions, Instance, KindId, Resource, ResourceKind, RoleId, StateId,
    SubjectId, TypedKind, MAX_ACTIONS, MAX_ANCESTORS,
};
pub use list::{
    AncestorKind, BitSet, Branch, Clause, Columns, Cond, Except, Filter, Named, Owner, Sql,
    SqlError, SqlValue, States, Within, WithinIds,
};
pub use principal::{Key, OwnerToken, Principal, PrincipalDef};
pub use query::{Query, QueryError};
pub use render::Matrix;
pub use validate::MAX_ERRORS;
