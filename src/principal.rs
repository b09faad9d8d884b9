//! Principals: users kept in the service's own database, compiled against the
//! policy on the request path (MODEL.md, "Principals").
//!
//! A [`PrincipalDef`] is one user's row: the same shape as a subject of a policy
//! document, with the users it manages given as the service's own keys.
//! [`Policy::principal`] resolves its names once into a [`Principal`]: the profile
//! it shares with the policy's subjects (or one of its own, for a combination no
//! subject has), its compiled exceptions and the keys it manages. Checks with a
//! principal run the same steps as checks of a subject, and the engine keeps
//! nothing of it: memory does not grow with the number of users.
//!
//! **Freshness.** A principal remembers the role, toggle and level definitions it
//! was built against. Checked against a snapshot whose definitions changed since
//! (a [`Change::DefineRole`](crate::Change::DefineRole), or a replaced policy), it
//! is refused as stale: every check denies, and [`Policy::explain_principal`] says
//! so. It never answers by a revoked definition; build it again from the row. Changes
//! to the policy's own subjects leave principals fresh.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::compile::Assignment;
use crate::def::{ExceptionDef, NamedMap, RestrictionDef};
use crate::engine::{Policy, ProfileKey, ProfileKind, Profiles, SubjectExtra};
use crate::error::{Item, PolicyError};
use crate::eval::{Relation, Rule, Traced};
use crate::explain::Explanation;
use crate::ids::{ActionSet, Actions, Resource};
use crate::model::Schema;

/// One user's assignment as the service stores it: a role, toggles, levels,
/// exceptions, restrictions, and the users it manages by the service's own keys.
///
/// ```
/// # use accessmask::{Key, PrincipalDef};
/// let row: PrincipalDef = serde_json::from_str(r#"{
///   "role": "Manager", "toggles": ["HR Manager"], "levels": {"invoice": "Can view"},
///   "manages": [17, "ana"]
/// }"#)?;
/// assert_eq!(row.manages, [Key::Num(17), Key::Str("ana".into())]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalDef {
    /// The role.
    pub role: String,
    /// Toggles switched on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub toggles: Vec<String>,
    /// Explicit levels per kind.
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub levels: NamedMap<String>,
    /// Exceptions on single instances.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionDef>,
    /// "Only these instances" rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restrictions: Vec<RestrictionDef>,
    /// The keys of the users it manages (numbers or strings, like the
    /// principal's own key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manages: Vec<Key>,
}

/// A user's key in the service: a number or a string (a slug, a UUID). In a
/// document, a JSON number or string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    /// A numeric key.
    Num(u64),
    /// A string key, matched exactly.
    Str(String),
}

impl From<u64> for Key {
    fn from(k: u64) -> Key {
        Key::Num(k)
    }
}

impl From<&str> for Key {
    fn from(k: &str) -> Key {
        Key::Str(k.to_string())
    }
}

impl From<String> for Key {
    fn from(k: String) -> Key {
        Key::Str(k)
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Num(n) => write!(f, "{n}"),
            Key::Str(s) => write!(f, "{}", crate::change::printable(s)),
        }
    }
}

pub use crate::ids::OwnerToken;
use crate::ids::{MANAGED, OTHER, OWN};

impl PrincipalDef {
    /// A principal with `role` and nothing else.
    pub fn new(role: impl Into<String>) -> Self {
        PrincipalDef {
            role: role.into(),
            ..PrincipalDef::default()
        }
    }
}

/// A user of the service, compiled against one policy: ask
/// [`Policy::can_principal`], [`Policy::allowed_principal`] and
/// [`Policy::explain_principal`] with it.
///
/// `Send + Sync`; cloning it costs a few reference counts, so it can be cached per
/// session. It holds no names.
// Laid out by hand: what every check reads comes first, in one cache line (the
// alignment keeps it from straddling two when principals sit in a `Vec`).
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub struct Principal {
    /// The definitions it was built against (freshness).
    schema: Arc<Schema>,
    /// The profile table holding its profile (shared with the policy's subjects
    /// where one has the same role, toggles and levels, so checks of many users
    /// read the same few entries).
    table: Arc<Profiles>,
    /// Where its profile's entries start in `table.kinds`.
    base: usize,
    /// Its own exceptions and restrictions, compiled.
    extra: Option<Arc<SubjectExtra>>,
    /// The key, when it is a number (the hot path compares it).
    num: Option<u64>,
    /// What only checks with a state or an owner token, checks with an owner, and
    /// explanations read.
    keys: Arc<Keys>,
}

/// A principal's key and the keys it manages, and its profile table.
#[derive(Debug)]
struct Keys {
    key: Key,
    /// Which principal made an [`OwnerToken`]: a hash of its key and managed keys.
    stamp: u64,
    /// The profile table holding its profile (its state keep masks and key), and
    /// the profile's index there.
    table: Arc<Profiles>,
    profile: u32,
    /// Managed numeric keys, sorted, unique.
    manages: Box<[u64]>,
    /// Managed string keys, sorted.
    named: Box<[String]>,
}

impl Principal {
    /// The service's key for this user.
    pub fn key(&self) -> &Key {
        &self.keys.key
    }

    /// The numeric keys of the users it manages, sorted.
    pub fn manages(&self) -> &[u64] {
        &self.keys.manages
    }

    /// The string keys of the users it manages, sorted.
    pub fn manages_named(&self) -> &[String] {
        &self.keys.named
    }

    /// The owner with string key `key`, as this principal sees it, for
    /// [`Resource::with_owner_token`] (numeric owners go in
    /// [`Resource::with_owner_key`]).
    pub fn owner(&self, key: &str) -> OwnerToken {
        let relation = match &self.keys.key {
            Key::Str(me) if me == key => OWN,
            _ if self
                .keys
                .named
                .binary_search_by(|m| m.as_str().cmp(key))
                .is_ok() =>
            {
                MANAGED
            }
            _ => OTHER,
        };
        OwnerToken {
            stamp: self.keys.stamp,
            relation,
        }
    }

    fn key_of_profile(&self) -> Option<&ProfileKey> {
        self.keys.table.keys.get(self.keys.profile as usize)
    }
}

/// The keys a principal manages, sorted; an error for itself or a repeat.
fn checked_manages<'d>(key: &Key, manages: &'d [Key]) -> Result<Vec<&'d Key>, PolicyError> {
    for (j, m) in manages.iter().enumerate() {
        if m == key {
            return Err(PolicyError::ManagesItself {
                path: format!("principal.manages[{j}]"),
                subject: key.to_string(),
            });
        }
    }
    let mut sorted: Vec<&Key> = manages.iter().collect();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w.first() == w.get(1)) {
        let dup = w.first().copied();
        let j = manages.iter().rposition(|m| Some(m) == dup).unwrap_or(0);
        return Err(PolicyError::Duplicate {
            path: format!("principal.manages[{j}]"),
            what: Item::Subject,
            name: dup.map_or(String::new(), ToString::to_string),
        });
    }
    Ok(sorted)
}

impl Policy {
    /// Compiles one user's row against this policy. Names are resolved once;
    /// errors are the same typed errors as for a subject of a document, with paths
    /// under `principal` (`principal.levels.invoice: unknown level ...`).
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef, PrincipalDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"task": {"actions": ["view", "edit"]}},
    /// #   "roles": {"Member": {"grants": {"task": {"actions": ["view"], "own": ["edit"]}}}}}"#)?;
    /// let policy = Policy::compile(&def)?;
    /// // A row loaded from the service's database for user 7.
    /// let ana = policy.principal(7, &PrincipalDef::new("Member"))?;
    /// let edit = policy.action("task", "edit").ok_or("no edit")?;
    /// let task = policy.resource(edit.kind()).with_id(1);
    /// assert!(policy.can_principal(&ana, edit, &task.with_owner_key(7)));
    /// assert!(!policy.can_principal(&ana, edit, &task.with_owner_key(8)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn principal(
        &self,
        key: impl Into<Key>,
        def: &PrincipalDef,
    ) -> Result<Principal, PolicyError> {
        let key = key.into();
        let info = self.schema.compile_assignment(
            u32::MAX,
            "principal",
            &|| "principal".to_string(),
            &Assignment {
                role: &def.role,
                toggles: &def.toggles,
                levels: &def.levels,
                exceptions: &def.exceptions,
                restrictions: &def.restrictions,
                manages: &[],
                written: false,
            },
            &NoSubjects,
            &self.texts,
        )?;
        let sorted = checked_manages(&key, &def.manages)?;
        let manages: Vec<u64> = sorted
            .iter()
            .filter_map(|k| match k {
                Key::Num(n) => Some(*n),
                Key::Str(_) => None,
            })
            .collect();
        let named: Vec<String> = sorted
            .iter()
            .filter_map(|k| match k {
                Key::Str(s) => Some(s.clone()),
                Key::Num(_) => None,
            })
            .collect();
        let stamp = {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            (&key, &sorted).hash(&mut h);
            h.finish()
        };
        let (table, profile) = self.profile_for(&info.key);
        // The layer as written is kept for export only: a principal has none.
        let extra = SubjectExtra::new(info, Vec::new());
        Ok(Principal {
            num: match key {
                Key::Num(n) => Some(n),
                Key::Str(_) => None,
            },
            schema: Arc::clone(&self.schema),
            table: Arc::clone(&table),
            base: (profile as usize).saturating_mul(table.n_kinds),
            extra,
            keys: Arc::new(Keys {
                key,
                stamp,
                table,
                profile,
                manages: manages.into(),
                named: named.into(),
            }),
        })
    }

    /// The table and index of the profile `key`: the policy's own when a subject
    /// has it, otherwise a one-profile table of the principal's own.
    fn profile_for(&self, key: &ProfileKey) -> (Arc<Profiles>, u32) {
        if let Some(&p) = self.profiles.index.get(key) {
            return (Arc::clone(&self.profiles), p);
        }
        if let Some(&p) = self.recent.index.get(key) {
            return (Arc::clone(&self.recent), p);
        }
        // A one-profile table: no index or shared runs to maintain.
        let entries = self.schema.profile_entries(key);
        let mut own = Profiles {
            n_kinds: self.schema.kinds.len(),
            count: 1,
            keys: vec![key.clone()],
            kinds: Vec::with_capacity(entries.len()),
            keeps: Vec::with_capacity(entries.iter().map(|(_, k)| k.len()).sum()),
            ..Profiles::default()
        };
        for (pk, keeps) in entries {
            // INVARIANT (hot tables): each entry's keep masks start at `keep_at`.
            let keep_at = own.keeps.len() as u32;
            own.kinds.push(crate::engine::ProfileKind {
                keep_at,
                keep: keeps.first().copied().unwrap_or(0),
                ..pk
            });
            own.keeps.extend(keeps);
        }
        (Arc::new(own), 0)
    }

    /// Whether `principal` was built against this snapshot's role, toggle and
    /// level definitions. A stale principal is denied everything.
    pub fn is_fresh(&self, principal: &Principal) -> bool {
        Arc::ptr_eq(&principal.schema, &self.schema)
    }

    /// Whether `principal` may do `action` on `resource` (the resource's owner
    /// given by key: [`Resource::with_owner_key`]). Denied if the principal is
    /// stale ([`Policy::is_fresh`]). Never panics, never allocates; constant time.
    #[inline]
    pub fn can_principal(
        &self,
        principal: &Principal,
        action: impl Actions,
        resource: &Resource,
    ) -> bool {
        match action.mask_for(resource) {
            Some(want) => self.principal_bits(principal, resource) & want == want,
            None => false,
        }
    }

    /// Every action `principal` may do on `resource`.
    pub fn allowed_principal(&self, principal: &Principal, resource: &Resource) -> ActionSet<'_> {
        ActionSet {
            kind: resource.kind,
            bits: self.principal_bits(principal, resource),
            names: self
                .schema
                .kinds
                .get(resource.kind.index())
                .map_or(&[][..], |k| k.actions.as_slice()),
        }
    }

    /// The decision for `principal` and the steps that made it; agrees with
    /// [`Policy::can_principal`].
    pub fn explain_principal(
        &self,
        principal: &Principal,
        action: impl Actions,
        resource: &Resource,
    ) -> Explanation {
        let want = action.mask_for(resource);
        let question = self.question_text(
            &format!("user {}", principal.keys.key),
            want,
            resource,
            match (resource.owner_key, resource.owner_token) {
                (Some(o), _) => Some(format!("user {o}")),
                (None, Some(_)) => Some("(by token)".to_string()),
                (None, None) => None,
            },
        );
        let deny = |rule, text: String| Explanation::single(question.clone(), rule, text);
        if !self.is_fresh(principal) {
            return deny(
                Rule::Unknown,
                "the principal was built against other role, toggle or level definitions \
                 than this policy's: stale, denied (build it again)"
                    .into(),
            );
        }
        let want = match self.asked(want, resource) {
            Ok(w) => w,
            Err(why) => return deny(Rule::Unknown, why),
        };
        let Some(key) = principal.key_of_profile() else {
            return deny(Rule::Unknown, "unknown profile: default deny".into());
        };
        let owner = match (resource.owner_key, resource.owner_token) {
            (Some(o), _) if Some(o) == principal.num => Relation::Own,
            (Some(o), _) if principal.keys.manages.binary_search(&o).is_ok() => {
                Relation::Managed(format!("user {o}"))
            }
            (Some(o), _) => Relation::Other(format!("user {o}")),
            (None, Some(t)) if t.stamp == principal.keys.stamp && t.relation == OWN => {
                Relation::Own
            }
            (None, Some(t)) if t.stamp == principal.keys.stamp && t.relation == MANAGED => {
                Relation::Managed("a user it manages".into())
            }
            (None, Some(_)) => Relation::Other("another user".into()),
            (None, None) => Relation::NoOwner,
        };
        let layer = principal
            .extra
            .as_deref()
            .and_then(|e| e.own.as_deref())
            .map_or(&crate::engine::NO_LAYER, |o| &o.layer);
        let who = Traced {
            name: format!("user {}", principal.keys.key),
            layer,
            owner,
        };
        match self.trace(key, Some(who), want, resource) {
            Ok((set, steps)) => Explanation::from_steps(question, set & want == want, steps),
            Err(step) => Explanation::from_steps(question, false, vec![step]),
        }
    }

    /// The final set for a principal: the steps of [`Policy::allowed_bits`], with
    /// the principal's profile, exceptions and managed keys.
    #[inline(always)]
    fn principal_bits(&self, who: &Principal, r: &Resource) -> u64 {
        if !Arc::ptr_eq(&who.schema, &self.schema) {
            return 0;
        }
        let k = r.kind.0;
        let table = &*who.table;
        if k as usize >= table.n_kinds {
            return 0;
        }
        let Some(pk) = table.kinds.get(who.base.wrapping_add(k as usize)) else {
            return 0;
        };
        // Step 4: scopes, by the owner's key (or a token this principal made).
        let mut x = pk.set.any;
        if let Some(owner) = r.owner_key {
            if Some(owner) == who.num {
                x |= pk.set.own;
            } else if pk.set.managed & !x != 0 && who.keys.manages.binary_search(&owner).is_ok() {
                x |= pk.set.managed;
            }
        } else if let Some(t) = r.owner_token {
            if t.stamp == who.keys.stamp {
                match t.relation {
                    OWN => x |= pk.set.own,
                    MANAGED => x |= pk.set.managed,
                    _ => {}
                }
            }
        }
        if r.rare | (pk.flags & ProfileKind::RARE) != 0 {
            return self.contained_principal(who, pk, x, r);
        }
        self.after_scope(pk, &who.keys.table, x, true, &who.extra, r)
    }

    /// [`Policy::contained`] for a principal, out of line.
    #[inline(never)]
    fn contained_principal(&self, who: &Principal, pk: &ProfileKind, x: u64, r: &Resource) -> u64 {
        self.contained(pk, &who.keys.table, x, who.extra.as_deref(), r, &|a| {
            self.principal_again(who, a)
        })
    }
}

impl Policy {
    /// A whole check of a principal on an ancestor, out of line.
    #[inline(never)]
    fn principal_again(&self, who: &Principal, r: &Resource) -> u64 {
        self.principal_bits(who, r)
    }
}

/// A principal names no subjects of the policy.
struct NoSubjects;

impl crate::compile::SubjectNames for NoSubjects {
    fn id(&self, _: &str) -> Option<u32> {
        None
    }
    fn all(&self) -> Vec<&str> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::def::PolicyDef;

    #[test]
    fn what_a_check_reads_fits_one_cache_line() {
        assert_eq!(std::mem::size_of::<Principal>(), 64);
    }

    #[test]
    fn a_directory_combination_shares_the_policy_profile_table() {
        let def: PolicyDef = serde_json::from_str(
            r#"{"kinds": {"task": {"actions": ["view"]}},
                "roles": {"R": {"grants": {"task": ["view"]}}, "S": {}},
                "subjects": {"u": {"role": "R"}}}"#,
        )
        .unwrap_or_default();
        let policy = Policy::compile(&def).unwrap_or_else(|e| unreachable!("{e}"));
        let shared = policy.principal(1, &PrincipalDef::new("R"));
        assert!(shared.is_ok_and(|p| Arc::ptr_eq(&p.keys.table, &policy.profiles)));
        let own = policy.principal(2, &PrincipalDef::new("S"));
        assert!(
            own.is_ok_and(|p| !Arc::ptr_eq(&p.keys.table, &policy.profiles) && p.keys.profile == 0)
        );
    }
}
