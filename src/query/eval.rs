//! A query resolved in a policy, and asked.

use super::{Query, QueryError};
use crate::def::{IdDef, IdType};
use crate::engine::Policy;
use crate::error::{nearest, Item};
use crate::explain::Explanation;
use crate::ids::{ActionId, Instance, KindId, Resource, SubjectId};

impl Query {
    /// The ids of this query in `policy`: names looked up, string ids resolved
    /// with [`Policy::instance`], number ids with [`KindId::instance`], ancestors
    /// given with [`Resource::within`] in the order written. An ancestor of a kind
    /// that is not next in the resource's chain is not an error here: the resource
    /// is then invalid, every check on it denied and explained.
    pub fn resolve(
        &self,
        policy: &Policy,
        path: &str,
    ) -> Result<(SubjectId, ActionId, Resource), QueryError> {
        let unknown = |what, name: &str, known: Vec<&str>| QueryError::Unknown {
            path: path.to_string(),
            what,
            name: name.to_string(),
            suggestion: nearest(name, known),
        };
        let all_subjects = || {
            policy
                .subjects()
                .map(|s| policy.subject_name(s))
                .collect::<Vec<_>>()
        };
        let subject = policy
            .subject(&self.subject)
            .ok_or_else(|| unknown(Item::Subject, &self.subject, all_subjects()))?;
        let (action, mut r) = self.resource(policy, path)?;
        if let Some(o) = &self.owner {
            r = r.with_owner(
                policy
                    .subject(o)
                    .ok_or_else(|| unknown(Item::Subject, o, all_subjects()))?,
            );
        }
        Ok((subject, action, r))
    }
}

impl Query {
    /// The action and the resource, without the owner.
    fn resource(&self, policy: &Policy, path: &str) -> Result<(ActionId, Resource), QueryError> {
        let unknown = |what, name: &str, known: Vec<&str>| QueryError::Unknown {
            path: path.to_string(),
            what,
            name: name.to_string(),
            suggestion: nearest(name, known),
        };
        let all_kinds = || policy.kinds().map(|k| policy.kind_name(k)).collect();
        let kind = policy
            .kind(&self.kind)
            .ok_or_else(|| unknown(Item::Kind, &self.kind, all_kinds()))?;
        let action = policy.action(&self.kind, &self.action).ok_or_else(|| {
            unknown(
                Item::Action,
                &self.action,
                policy
                    .actions(kind)
                    .map(|a| policy.action_name(a))
                    .collect(),
            )
        })?;
        let mut r = Resource::new(kind);
        if let Some(id) = &self.id {
            r = r.with_instance(instance(policy, kind, id, path)?);
        }
        for (name, id) in &self.ancestors {
            let k = policy
                .kind(name)
                .ok_or_else(|| unknown(Item::Kind, name, all_kinds()))?;
            r = r.within(instance(policy, k, id, path)?);
        }
        if let Some(s) = &self.state {
            let st = policy.state(kind, s).ok_or_else(|| {
                unknown(
                    Item::State,
                    s,
                    policy.states(kind).map(|s| policy.state_name(s)).collect(),
                )
            })?;
            r = r.with_state(st);
        }
        Ok((action, r))
    }

    /// The action and resource of a question asked of `principal` (the subject
    /// named in the query is the principal): the owner is a key, a number
    /// ([`Resource::with_owner_key`]) or a string the principal resolves
    /// ([`Principal::owner`](crate::Principal::owner)).
    pub fn resolve_principal(
        &self,
        policy: &Policy,
        principal: &crate::Principal,
        path: &str,
    ) -> Result<(ActionId, Resource), QueryError> {
        let (action, mut r) = self.resource(policy, path)?;
        if let Some(o) = &self.owner {
            r = match o.parse::<u64>() {
                Ok(n) => r.with_owner_key(n),
                Err(_) => r.with_owner_token(principal.owner(o)),
            };
        }
        Ok((action, r))
    }
}

/// Instance `id` of `kind`, by the kind's id type: a string kind resolves the id's
/// text (a number as its digits) with [`Policy::instance`]; a number kind takes an
/// id that parses as a `u64`.
pub(super) fn instance(
    policy: &Policy,
    kind: KindId,
    id: &IdDef,
    path: &str,
) -> Result<Instance, QueryError> {
    let text_ids = policy
        .schema
        .kinds
        .get(kind.index())
        .is_some_and(|k| k.text_ids);
    match (text_ids, id) {
        (true, IdDef::String(s)) => Ok(policy.instance(kind, s)),
        (true, IdDef::Number(n)) => Ok(policy.instance(kind, &n.to_string())),
        (false, IdDef::Number(n)) => Ok(kind.instance(*n)),
        (false, IdDef::String(s)) => match s.parse::<u64>() {
            Ok(n) => Ok(kind.instance(n)),
            Err(_) => Err(QueryError::IdType {
                path: path.to_string(),
                kind: policy.kind_name(kind).to_string(),
                expected: IdType::Number,
                id: s.clone(),
            }),
        },
    }
}

impl Policy {
    /// Reads and asks a query in one call: whether the subject may do the action on
    /// the resource the text names.
    ///
    /// The text is `SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE]
    /// [owner=SUBJECT]` ([`Query`] says how ids are written): the
    /// order of [`Policy::can`]'s arguments. Unlike `can`, it reads and looks up
    /// names on every call; on a hot path, resolve once ([`Query::resolve`]) and
    /// check with ids. Errors carry the path `query`.
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{
    /// #   "kinds": { "repo": { "actions": ["pull", "push"], "needs": { "push": ["pull"] },
    /// #                        "states": ["open", "merged"] } },
    /// #   "roles": { "Dev": { "grants": { "repo": { "actions": ["pull"], "own": ["push"] } } } },
    /// #   "subjects": { "dan": { "role": "Dev" }, "ana": { "role": "Dev" } } }"#)?;
    /// let policy = Policy::compile(&def)?;
    /// assert!(policy.query("dan push repo:7 owner=dan")?);
    /// assert!(!policy.query("dan push repo:7 state=merged owner=ana")?);
    /// let err = policy.query("dna push repo:7").unwrap_err();
    /// assert_eq!(err.to_string(), "query: unknown subject `dna` (did you mean `dan`?)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn query(&self, text: &str) -> Result<bool, QueryError> {
        let (s, a, r) = Query::parse(text, "query")?.resolve(self, "query")?;
        Ok(self.can(s, a, &r))
    }

    /// Reads a query and explains its answer ([`Policy::explain`]); errors as for
    /// [`Policy::query`].
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{
    /// #   "kinds": { "repo": { "actions": ["pull", "push"] } },
    /// #   "roles": { "Dev": { "grants": { "repo": ["pull"] } } },
    /// #   "subjects": { "dan": { "role": "Dev" } } }"#)?;
    /// # let policy = Policy::compile(&def)?;
    /// let why = policy.explain_query("dan push repo:7")?;
    /// assert!(!why.allowed());
    /// assert_eq!(why.question(), "dan push repo:7");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain_query(&self, text: &str) -> Result<Explanation, QueryError> {
        let (s, a, r) = Query::parse(text, "query")?.resolve(self, "query")?;
        Ok(self.explain(s, a, &r))
    }
}
