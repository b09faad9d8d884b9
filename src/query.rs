//! String queries: `SUBJECT ACTION KIND[:ID] [state=STATE] [owner=SUBJECT]`, read
//! ([`Query::parse`]), looked up in a policy ([`Query::resolve`]) and asked
//! ([`Policy::query`], [`Policy::explain_query`]). Expectations files, the
//! assertion macros and the command-line tool all read queries here, so a query
//! means the same everywhere.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::def::InstanceId;
use crate::engine::Policy;
use crate::error::{hint, nearest, Item, PolicyError};
use crate::explain::Explanation;
use crate::ids::{ActionId, Resource, SubjectId};

/// A question by names: `SUBJECT ACTION KIND[:ID] [state=STATE] [owner=SUBJECT]`,
/// in the order every check takes its arguments (subject, action, resource).
///
/// Serializes as its fields (`{"subject": "dan", "action": "push", "kind":
/// "repo", "id": 7, "state": null, "owner": null}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Query {
    /// The subject.
    pub subject: String,
    /// The action.
    pub action: String,
    /// The kind.
    pub kind: String,
    /// The instance id.
    pub id: Option<InstanceId>,
    /// The state.
    pub state: Option<String>,
    /// The owner.
    pub owner: Option<String>,
}

/// A query that cannot be read or names something the policy lacks.
///
/// Serializes as `{"Syntax": {"path", "text", "problem"}}` or `{"Unknown":
/// {"path", "what", "name", "suggestion"}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum QueryError {
    /// The text is not a query.
    #[error("{path}: cannot read `{text}`: {problem}")]
    Syntax {
        /// Where the query stands.
        path: String,
        /// The text.
        text: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A name the policy does not know.
    #[error("{path}: unknown {what} `{name}`{}", hint(suggestion))]
    Unknown {
        /// Where the query stands.
        path: String,
        /// What the name should name.
        what: Item,
        /// The name.
        name: String,
        /// The nearest known name, if close.
        suggestion: Option<String>,
    },
    /// A principal given inline with the question does not compile against the
    /// policy.
    #[error("{path}: principal `{name}` does not compile")]
    Principal {
        /// Where the principal stands.
        path: String,
        /// Its key, as written.
        name: String,
        /// Why.
        #[source]
        source: Box<PolicyError>,
    },
}

impl Query {
    /// Reads `SUBJECT ACTION KIND[:ID] [state=STATE] [owner=SUBJECT]`; `path` says
    /// where the text stands, for errors.
    pub fn parse(text: &str, path: &str) -> Result<Query, QueryError> {
        let syntax = |problem| QueryError::Syntax {
            path: path.to_string(),
            text: text.to_string(),
            problem,
        };
        let mut words = text.split_whitespace();
        let (Some(subject), Some(action), Some(resource)) =
            (words.next(), words.next(), words.next())
        else {
            return Err(syntax(
                "a query is `SUBJECT ACTION KIND[:ID] [state=STATE] [owner=SUBJECT]`",
            ));
        };
        let (kind, id) = match resource.split_once(':') {
            Some((k, id)) => (
                k,
                Some(
                    id.parse()
                        .map_err(|_| syntax("an instance id is a whole number"))?,
                ),
            ),
            None => (resource, None),
        };
        let mut q = Query {
            subject: subject.to_string(),
            action: action.to_string(),
            kind: kind.to_string(),
            id,
            state: None,
            owner: None,
        };
        for w in words {
            match w.split_once('=') {
                Some(("state", s)) if q.state.is_none() && !s.is_empty() => {
                    q.state = Some(s.to_string())
                }
                Some(("owner", o)) if q.owner.is_none() && !o.is_empty() => {
                    q.owner = Some(o.to_string())
                }
                _ => {
                    return Err(syntax(
                        "after the resource come only `state=STATE` and `owner=SUBJECT`, once each",
                    ))
                }
            }
        }
        Ok(q)
    }

    /// The ids of this query in `policy`.
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
        let kind = policy.kind(&self.kind).ok_or_else(|| {
            unknown(
                Item::Kind,
                &self.kind,
                policy.kinds().map(|k| policy.kind_name(k)).collect(),
            )
        })?;
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
        if let Some(id) = self.id {
            r = r.with_id(id);
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

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.subject, self.action, self.kind)?;
        if let Some(id) = self.id {
            write!(f, ":{id}")?;
        }
        if let Some(s) = &self.state {
            write!(f, " state={s}")?;
        }
        if let Some(o) = &self.owner {
            write!(f, " owner={o}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Query {
    type Err = QueryError;

    /// [`Query::parse`] with the path `query`.
    fn from_str(text: &str) -> Result<Query, QueryError> {
        Query::parse(text, "query")
    }
}

impl QueryError {
    /// Where the query stands (`query`, `expect[3]`).
    pub fn path(&self) -> &str {
        match self {
            QueryError::Syntax { path, .. }
            | QueryError::Unknown { path, .. }
            | QueryError::Principal { path, .. } => path,
        }
    }
}

impl Policy {
    /// Reads and asks a query in one call: whether the subject may do the action on
    /// the resource the text names.
    ///
    /// The text is `SUBJECT ACTION KIND[:ID] [state=STATE] [owner=SUBJECT]`: the
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
