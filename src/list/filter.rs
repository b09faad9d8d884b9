//! [`Policy::filter`] and the public form of a filter: [`Filter`], its
//! [`Branch`]es, conditions ([`Cond`], [`Clause`]), exceptions ([`Except`]) and
//! splits on ancestors ([`Within`]).

use serde::{Deserialize, Serialize};

use super::cond::body_of;
use super::deep::Deep;
use super::probe::{Probe, MANAGED, OWN, UNOWNED};
use crate::def::InstanceId;
use crate::engine::{Policy, Texts};
use crate::ids::{Actions, KindId, Resource, SubjectId};

impl Policy {
    /// The instances of `kind` on which `subject` may do `action`, as a closed form
    /// over their id, owner, state and ancestors: `filter.matches(&r) ==
    /// self.can(subject, action, &r)` for every resource `r` (of any kind: another
    /// kind never matches). Render it for a database with
    /// [`Filter::to_sql`](crate::Filter::to_sql).
    ///
    /// An unknown subject, an action of another kind, or an unavailable kind give
    /// a filter that matches nothing. Reads the compiled masks once per class of
    /// ids (the ids the subject's layers name, an unnamed one and none) and owner
    /// relation, with no `can` call: about 2 µs for a subject naming 10
    /// instances of a kind with 3 states (see `benches/README.md`).
    ///
    /// For a kind whose answers can depend on ancestors (a rule of the subject or
    /// its role written `in` an ancestor, a prerequisite on an ancestor instance)
    /// the filter splits on the ancestors' ids, parent first ([`Filter::within`]),
    /// once per class of ancestor ids; a prerequisite on an ancestor is decided by
    /// a check of the ancestor itself, once per class. Its size grows with the ids
    /// named, not with their combinations (see the module docs, and
    /// `benches/README.md` for the cost).
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
    ///
    /// Contacts in databases: a rule written in database 42 holds for every
    /// contact in it.
    ///
    /// ```
    /// use accessmask::{Policy, PolicyDef};
    ///
    /// let def: PolicyDef = serde_json::from_str(r#"{
    ///   "kinds": { "database": { "actions": ["view"] },
    ///              "contact": { "actions": ["view", "edit"], "needs": { "edit": ["view"] },
    ///                           "parent": "database" } },
    ///   "roles": { "Editor": { "grants": { "contact": ["edit"] },
    ///     "exceptions": [{ "kind": "contact", "in": "database", "id": 42, "deny": ["edit"] }] } },
    ///   "subjects": { "ann": { "role": "Editor",
    ///                          "exceptions": [{ "kind": "contact", "id": 7, "deny": ["edit"] }] } }
    /// }"#)?;
    /// let policy = Policy::compile(&def)?;
    /// let ann = policy.subject("ann").ok_or("no ann")?;
    /// let edit = policy.action("contact", "edit").ok_or("no edit")?;
    /// let database = policy.kind("database").ok_or("no database")?;
    /// let filter = policy.filter(ann, edit, edit.kind());
    ///
    /// // Contact 7 never; any contact of database 42 never; the others always.
    /// assert_eq!(
    ///     filter.to_string(),
    ///     "no database: all; except ids 7: none; in database 42: (none); \
    ///      in another database: (all; except ids 7: none)"
    /// );
    /// let within = filter.within().ok_or("a split on databases")?;
    /// assert_eq!((within.depth, within.kind.name(), &within.except[0].ids[..]), (1, "database", &[42][..]));
    ///
    /// let contact = |id, db| policy.resource(edit.kind()).with_id(id).within(database.instance(db));
    /// assert!(filter.matches(&contact(1, 5)) && policy.can(ann, edit, &contact(1, 5)));
    /// assert!(!filter.matches(&contact(1, 42)) && !policy.can(ann, edit, &contact(1, 42)));
    /// assert!(!filter.matches(&contact(7, 5)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn filter(&self, subject: SubjectId, action: impl Actions, kind: KindId) -> Filter {
        if self.list_plain(subject, kind) {
            return Filter::from_probe(self, &self.probe(subject, action, kind));
        }
        let states: Vec<String> = self
            .states(kind)
            .map(|s| self.state_name(s).to_string())
            .collect();
        let root = action
            .mask_for(&Resource::new(kind))
            .and_then(|want| Deep::new(self, subject, want, kind))
            .map_or_else(Branch::nothing, |mut deep| deep.build(&states));
        let managed = self
            .resolve(subject)
            .and_then(|s| self.info(s))
            .map_or(&[][..], |i| i.manages());
        Filter::assemble(self, kind, subject, managed, states, root)
    }
}

/// A name from the policy a filter was made from, with its position there (what
/// [`Filter::matches`] compares; [`Filter::to_sql`](crate::Filter::to_sql) uses the
/// name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Named {
    pub(super) name: String,
    pub(super) index: u32,
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
    pub(super) fn of_class(class: usize) -> Owner {
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

/// Instances whose id is in `ids` follow `cond` instead of the default.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Except {
    /// The ids, sorted, never empty. For a kind with string ids: the policy's
    /// numbers for the strings of `texts` (what a resolved [`Instance`](crate::Instance) holds).
    pub ids: Vec<InstanceId>,
    /// For a kind with string ids, the ids as strings: `texts[i]` is `ids[i]`
    /// (what [`Filter::to_sql`](crate::Filter::to_sql) binds). Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub texts: Vec<String>,
    /// Their condition (never the default's).
    pub cond: Cond,
}

/// What holds for instances given some ancestors (none, at the top of a
/// [`Filter`]): `default`, `except` and `no_id` for those given no further
/// ancestor, by their own id; `within` for those given the next ancestor, by its
/// id. A filter's top is a branch; so is each case of a [`Within`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Branch {
    /// The condition for instances whose id no `except` entry lists.
    pub default: Cond,
    /// Ids whose condition differs from the default, grouped by condition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<Except>,
    /// The condition for instances with no id, when it differs from the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_id: Option<Cond>,
    /// Instances given the next ancestor, split by its id. `None`: they follow
    /// the conditions above, whatever their further ancestors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Box<Within>>,
}

/// The instances given their ancestor at `depth` (1: the parent), split by that
/// ancestor's id: those listed in an `except` entry follow its branch, the others
/// `default`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Within {
    /// 1: the parent; 2: the grandparent; and so on.
    pub depth: usize,
    /// The ancestor's kind.
    pub kind: Named,
    /// Instances whose ancestor at `depth` has an id no `except` entry lists.
    pub default: Branch,
    /// Ancestor ids whose branch differs from the default, grouped by branch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<WithinIds>,
}

/// Instances whose ancestor (at the depth of the enclosing [`Within`]) has an id
/// in `ids` follow `then`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WithinIds {
    /// The ancestor ids, sorted, never empty. For an ancestor kind with string
    /// ids: the policy's numbers for the strings of `texts`.
    pub ids: Vec<InstanceId>,
    /// For an ancestor kind with string ids, the ids as strings: `texts[i]` is
    /// `ids[i]`. Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub texts: Vec<String>,
    /// Their branch (never the default's).
    pub then: Branch,
}

/// An ancestor kind of a filter's kind ([`Filter::ancestors`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AncestorKind {
    /// The kind.
    pub kind: Named,
    /// Whether its instances have string ids.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub string_ids: bool,
}

/// How the policy a filter was made from resolves string ids: what
/// [`Filter::matches`] checks a resolved [`Instance`] against, as `can` does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Strings {
    /// How many strings the policy named when the filter was made.
    pub(super) named: u64,
    /// The policy's string numbers (shared, not copied), to tell whether a
    /// resolved id is good there. Not serialized: a filter read back from JSON
    /// matches no resource with a string id (its SQL still binds the strings).
    #[serde(skip)]
    pub(super) texts: Option<Texts>,
}

/// Filters compare by what they say: the strings table a filter keeps to check
/// resolved ids is not part of it.
impl PartialEq for Strings {
    fn eq(&self, other: &Self) -> bool {
        self.named == other.named
    }
}

impl Eq for Strings {}

/// The exact set of instances of one kind on which one subject may do one action
/// ([`Policy::filter`]).
///
/// An instance matches when, by its id, the condition that applies to it holds
/// for its owner and state: the [`Except`] entry listing its id, else (for an
/// instance with no id, [`Filter::no_id`] when there is one) the
/// [`default`](Filter::default). Instances in a state the kind does not have never
/// match (default deny), nor do resources `can` denies as built inconsistently
/// (ancestors of the wrong kind or too many, a number id for a kind with string
/// ids or the reverse, a string resolved by another policy). The form is
/// simplified: no empty list, and no part that cannot change the answer (a
/// constant filter is [`is_all`](Filter::is_all) or [`is_none`](Filter::is_none),
/// with no conditions).
///
/// **Ancestors.** For a kind whose answers depend on the instance's ancestors
/// (rules written `in` an ancestor, a prerequisite on an ancestor instance),
/// [`within`](Filter::within) splits the instances given their parent by the
/// parent's id, each case a [`Branch`] with its own conditions and, if the
/// grandparent matters there, its own `within`; `default`, `except` and `no_id`
/// then hold for instances given no ancestor. Ancestors are read parent first, so
/// an instance given its parent and not its grandparent follows the conditions of
/// the parent's branch. For any other kind `within` is `None` and the conditions
/// hold for every instance.
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
///
/// and, for contacts in databases where the subject's role denies `edit` in
/// database 42:
///
/// ```json
/// { "kind": { "name": "contact", "index": 1 },
///   "subject": { "name": "ann", "index": 0 },
///   "ancestors": [ { "kind": { "name": "database", "index": 0 } } ],
///   "default": "all",
///   "within": { "depth": 1, "kind": { "name": "database", "index": 0 },
///               "default": { "default": "all" },
///               "except": [ { "ids": [42], "then": { "default": "none" } } ] } }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub(super) kind: Named,
    /// The kind's instances have string ids.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) string_ids: bool,
    pub(super) subject: Named,
    /// The subjects the subject manages; only when a condition mentions
    /// [`Owner::Managed`] or [`Owner::Other`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) managed: Vec<Named>,
    /// The kind's states, in declaration order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) states: Vec<String>,
    /// The kind's ancestor kinds, parent first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) ancestors: Vec<AncestorKind>,
    /// When the kind or an ancestor kind has string ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) strings: Option<Strings>,
    #[serde(flatten)]
    pub(super) root: Branch,
}

impl Filter {
    fn from_probe(policy: &Policy, p: &Probe<'_>) -> Filter {
        let states: Vec<String> = policy
            .states(p.kind)
            .map(|s| policy.state_name(s).to_string())
            .collect();
        let root = body_of(p, &states, None);
        Filter::assemble(policy, p.kind, p.subject, p.managed, states, root)
    }

    /// The filter with `root` as its conditions, and what it needs to read them:
    /// the managed subjects (when a condition mentions them), the kind's ancestor
    /// kinds and how string ids resolve.
    fn assemble(
        policy: &Policy,
        kind: KindId,
        subject: SubjectId,
        managed: &[u32],
        states: Vec<String>,
        root: Branch,
    ) -> Filter {
        let managed = if root.mentions_managed() {
            managed
                .iter()
                .map(|&m| Named {
                    name: policy.subject_name(SubjectId(m)).to_string(),
                    index: m,
                })
                .collect()
        } else {
            Vec::new()
        };
        let ancestors = ancestor_kinds(policy, kind);
        let string_ids = text_ids(policy, kind);
        let strings = (string_ids || ancestors.iter().any(|a| a.string_ids)).then(|| Strings {
            named: policy.texts.len() as u64,
            texts: Some(policy.texts.clone()),
        });
        Filter {
            kind: Named {
                name: policy.kind_name(kind).to_string(),
                index: kind.0,
            },
            string_ids,
            subject: Named {
                name: policy.subject_name(subject).to_string(),
                index: subject.index,
            },
            managed,
            states,
            ancestors,
            strings,
            root,
        }
    }

    /// The kind the filter is about.
    pub fn kind(&self) -> &Named {
        &self.kind
    }

    /// Whether the kind's instances have string ids (then [`Except::texts`] and
    /// [`WithinIds::texts`] hold the ids as strings).
    pub fn string_ids(&self) -> bool {
        self.string_ids
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

    /// The kind's ancestor kinds, parent first (empty for a kind with no parent).
    pub fn ancestors(&self) -> &[AncestorKind] {
        &self.ancestors
    }

    /// The conditions at the top: the whole filter (see [`Branch`]).
    pub fn branch(&self) -> &Branch {
        &self.root
    }

    /// The condition for instances whose id no [`Except`] entry lists (and, when
    /// [`within`](Filter::within) is set, that are given no ancestor).
    pub fn default(&self) -> &Cond {
        &self.root.default
    }

    /// Ids whose condition differs from the default, grouped by condition.
    pub fn except(&self) -> &[Except] {
        &self.root.except
    }

    /// The condition for instances with no id, when it differs from the default
    /// (the engine gives an instance with no id the answer of an unnamed id, so
    /// this is `None` in practice).
    pub fn no_id(&self) -> Option<&Cond> {
        self.root.no_id.as_ref()
    }

    /// Instances given their parent, split by the parent's id, when the answer
    /// depends on it (see [`Filter`]).
    pub fn within(&self) -> Option<&Within> {
        self.root.within.as_deref()
    }

    /// Whether the filter matches every instance of the kind (in any of its states).
    pub fn is_all(&self) -> bool {
        self.root.is_const(&Cond::All)
    }

    /// Whether the filter matches no instance.
    pub fn is_none(&self) -> bool {
        self.root.is_const(&Cond::None)
    }
}

/// Whether instances of kind `k` have string ids.
fn text_ids(policy: &Policy, k: KindId) -> bool {
    policy
        .schema
        .kinds
        .get(k.index())
        .is_some_and(|k| k.text_ids)
}

/// The ancestor kinds of `kind`, parent first.
fn ancestor_kinds(policy: &Policy, kind: KindId) -> Vec<AncestorKind> {
    policy
        .schema
        .kinds
        .get(kind.index())
        .map(|c| {
            c.chain
                .iter()
                .map(|&a| AncestorKind {
                    kind: Named {
                        name: policy.kind_name(a).to_string(),
                        index: a.0,
                    },
                    string_ids: text_ids(policy, a),
                })
                .collect()
        })
        .unwrap_or_default()
}
