//! String queries: `SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE]
//! [owner=SUBJECT]`, read ([`Query::parse`]), looked up in a policy
//! ([`Query::resolve`]) and asked ([`Policy::query`], [`Policy::explain_query`]).
//! Expectations files, the assertion macros and the command-line tool all read
//! queries here, so a query means the same everywhere, and the question line of
//! an explanation ([`Explanation::question`]) reads back as the query it asks.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::def::{IdDef, IdType};
use crate::engine::Policy;
use crate::error::IdText;
use crate::error::{hint, nearest, Item, PolicyError};
use crate::explain::Explanation;
use crate::ids::{ActionId, Instance, KindId, Resource, SubjectId};

/// A question by names: `SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE]
/// [owner=SUBJECT]`, in the order every check takes its arguments (subject,
/// action, resource).
///
/// The grammar, word by word (words are split at whitespace, except inside a
/// quoted id):
///
/// ```text
/// query    = SUBJECT ACTION resource { "in" ancestor } [ state ] [ owner ]   (state and owner in either order)
/// resource = KIND [ ":" id ]
/// ancestor = KIND ":" id                      (the parent first, then its parent, ...)
/// state    = "state=" STATE
/// owner    = "owner=" SUBJECT
/// id       = bare | quoted
/// bare     = any non-empty run of non-whitespace characters that does not start with `"`
/// quoted   = `"` { character other than `"` and `\` | escape } `"`, followed by whitespace or the end
/// escape   = `\"` | `\\` | `\'` | `\n` | `\r` | `\t` | `\u{` 1 to 6 hex digits `}`
/// ```
///
/// A bare id is taken as it is: `repo:acme/web`, `doc:a=b`, `file:C:\x` need no
/// quotes (the position of a word says what it is, so `=` and `:` inside an id
/// are not ambiguous). An id needs quotes only when it is empty, starts with
/// `"`, or holds whitespace, a control character or a bidirectional-text control:
/// `repo:"acme web"`, `repo:""`. A bare id that is a whole number in its plain
/// form (`7`, not `07` or `+7`) reads as a number, any other id as a string; which
/// one a kind takes is its `"ids"` type, decided when the query is resolved
/// (a string kind reads `repo:7` as the string `7`; a number kind reads any id
/// that parses as a `u64`, quoted or not, and refuses anything else).
///
/// ```
/// use accessmask::{IdDef, Query};
/// let q = Query::parse(r#"dan merge pull_request:700 in repo:"acme web" in org:1 state=open"#, "q")?;
/// assert_eq!(q.id, Some(IdDef::Number(700)));
/// assert_eq!(
///     q.ancestors,
///     [("repo".to_string(), IdDef::from("acme web")), ("org".to_string(), IdDef::from(1))]
/// );
/// assert_eq!(q.to_string(), r#"dan merge pull_request:700 in repo:"acme web" in org:1 state=open"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Serializes as its fields (`{"subject": "dan", "action": "push", "kind":
/// "repo", "id": 7, "ancestors": [["org", 1]], "state": null, "owner":
/// null}`; `id` a number or a string as written, `ancestors` may be left out when
/// reading).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Query {
    /// The subject.
    pub subject: String,
    /// The action.
    pub action: String,
    /// The kind.
    pub kind: String,
    /// The instance id, as written: [`IdDef::Number`] for a bare whole number in
    /// its plain form (`repo:7`), else [`IdDef::String`] (`repo:acme/web`,
    /// `repo:"7"`, `repo:007`). The kind's id type decides how it is looked up.
    pub id: Option<IdDef>,
    /// The ancestors given with `in KIND:ID`, parent first: each its kind and id
    /// (an id as for [`Query::id`]).
    #[serde(default)]
    pub ancestors: Vec<(String, IdDef)>,
    /// The state.
    pub state: Option<String>,
    /// The owner.
    pub owner: Option<String>,
}

/// A query that cannot be read or names something the policy lacks.
///
/// Serializes as `{"Syntax": {"path", "text", "problem"}}`, `{"Unknown":
/// {"path", "what", "name", "suggestion"}}` or `{"IdType": {"path", "kind",
/// "expected", "id"}}`.
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
    /// An id that is not of its kind's id type: a kind with number ids given an id
    /// that is not a `u64` (`repo:acme/web` where `repo` has number ids).
    #[error(
        "{path}: kind `{kind}` has {expected} ids, and `{}` is not one",
        crate::error::Shown(id)
    )]
    IdType {
        /// Where the query stands.
        path: String,
        /// The kind of the instance (the resource's or an ancestor's).
        kind: String,
        /// The kind's id type.
        expected: IdType,
        /// The id as written (unquoted).
        id: String,
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

/// The shape of a query, for syntax errors.
const SHAPE: &str =
    "a query is `SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE] [owner=SUBJECT]`";

/// What may follow the resource, for syntax errors.
const AFTER: &str = "after the resource come `in KIND:ID` (its ancestors, parent first), \
                     then only `state=STATE` and `owner=SUBJECT`, once each";

impl Query {
    /// Reads `SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE]
    /// [owner=SUBJECT]` (see [`Query`] for ids and their quoting);
    /// `path` says where the text stands, for errors. Any text gives a query or a
    /// [`QueryError::Syntax`], never a panic.
    pub fn parse(text: &str, path: &str) -> Result<Query, QueryError> {
        let syntax = |problem| QueryError::Syntax {
            path: path.to_string(),
            text: text.to_string(),
            problem,
        };
        let mut words = Words(text);
        let (Some(subject), Some(action)) = (words.word(), words.word()) else {
            return Err(syntax(SHAPE));
        };
        let Some((kind, id)) = words.resource().map_err(syntax)? else {
            return Err(syntax(SHAPE));
        };
        let mut q = Query {
            subject: subject.to_string(),
            action: action.to_string(),
            kind: kind.to_string(),
            id,
            ancestors: Vec::new(),
            state: None,
            owner: None,
        };
        while let Some(w) = words.word() {
            match w.split_once('=') {
                None if w == "in" && q.state.is_none() && q.owner.is_none() => {
                    match words.resource().map_err(syntax)? {
                        Some((kind, Some(id))) => q.ancestors.push((kind.to_string(), id)),
                        _ => {
                            return Err(syntax(
                                "`in` is followed by an ancestor with its id, `KIND:ID`",
                            ))
                        }
                    }
                }
                Some(("state", s)) if q.state.is_none() && !s.is_empty() => {
                    q.state = Some(s.to_string())
                }
                Some(("owner", o)) if q.owner.is_none() && !o.is_empty() => {
                    q.owner = Some(o.to_string())
                }
                _ => return Err(syntax(AFTER)),
            }
        }
        Ok(q)
    }

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

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.subject, self.action, self.kind)?;
        if let Some(id) = &self.id {
            write!(f, ":{}", QueryId(id))?;
        }
        for (kind, id) in &self.ancestors {
            write!(f, " in {kind}:{}", QueryId(id))?;
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

/// Instance `id` of `kind`, by the kind's id type: a string kind resolves the id's
/// text (a number as its digits) with [`Policy::instance`]; a number kind takes an
/// id that parses as a `u64`.
fn instance(policy: &Policy, kind: KindId, id: &IdDef, path: &str) -> Result<Instance, QueryError> {
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

/// The words of a query, read from the front: split at whitespace, except that a
/// quoted id (`KIND:"..."`) is read whole.
struct Words<'a>(&'a str);

impl<'a> Words<'a> {
    /// The next word, if any.
    fn word(&mut self) -> Option<&'a str> {
        let rest = self.0.trim_start();
        if rest.is_empty() {
            self.0 = rest;
            return None;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, after) = rest.split_at_checked(end).unwrap_or((rest, ""));
        self.0 = after;
        Some(word)
    }

    /// The next word as `KIND[:ID]`, if there is one: the kind is what comes before
    /// the word's first `:`, the id what follows it, bare or quoted.
    fn resource(&mut self) -> Result<Option<(&'a str, Option<IdDef>)>, &'static str> {
        let rest = self.0.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = rest.get(..end).unwrap_or(rest);
        let Some((kind, _)) = word.split_once(':') else {
            return Ok(self.word().map(|kind| (kind, None)));
        };
        // What follows the `:`, up to the end of the text (a quoted id may hold
        // whitespace).
        let after = rest.get(kind.len() + 1..).unwrap_or("");
        if after.starts_with('"') {
            let (id, tail) = unquote(after)?;
            if tail.starts_with(|c: char| !c.is_whitespace()) {
                return Err("a quoted id ends the word: put a space after its closing `\"`");
            }
            self.0 = tail;
            return Ok(Some((kind, Some(IdDef::String(id)))));
        }
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        let (bare, tail) = after.split_at_checked(end).unwrap_or((after, ""));
        if bare.is_empty() {
            return Err(
                "an id follows the `:` (write `KIND` for no id, `KIND:\"\"` for the empty string)",
            );
        }
        self.0 = tail;
        Ok(Some((kind, Some(bare_id(bare)))))
    }
}

/// A bare id: a number if it is a whole number in its plain form (what the
/// number prints as), else a string.
fn bare_id(text: &str) -> IdDef {
    match text.parse::<u64>() {
        Ok(n) if n.to_string() == text => IdDef::Number(n),
        _ => IdDef::String(text.to_string()),
    }
}

/// Reads the quoted id at the start of `text` (which starts with `"`): the id,
/// and what follows its closing quote.
fn unquote(text: &str) -> Result<(String, &str), &'static str> {
    const ESCAPES: &str =
        "inside quotes, `\\` starts one of `\\\"`, `\\\\`, `\\'`, `\\n`, `\\r`, `\\t`, `\\u{HEX}`";
    let mut id = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((id, text.get(i + 1..).unwrap_or(""))),
            '\\' => {
                let c = match chars.next().map(|(_, c)| c) {
                    Some(c @ ('"' | '\\' | '\'')) => c,
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('t') => '\t',
                    Some('u') => {
                        if chars.next().map(|(_, c)| c) != Some('{') {
                            return Err(ESCAPES);
                        }
                        let mut code = 0u32;
                        let mut digits = 0;
                        loop {
                            match chars.next().map(|(_, c)| c) {
                                Some('}') if digits > 0 => break,
                                Some(d) if digits < 6 => {
                                    let v = d.to_digit(16).ok_or(ESCAPES)?;
                                    code = code * 16 + v;
                                    digits += 1;
                                }
                                _ => return Err(ESCAPES),
                            }
                        }
                        char::from_u32(code).ok_or("`\\u{...}` names no character")?
                    }
                    _ => return Err(ESCAPES),
                };
                id.push(c);
            }
            c => id.push(c),
        }
    }
    Err("a quoted id has no closing `\"`")
}

/// A query's id as [`Display`](fmt::Display) for [`Query`] writes it: a number as
/// it is; a string as [`IdText`] does, and quoted when it would read back as a
/// number, so that the text reads back as the same [`Query`].
struct QueryId<'a>(&'a IdDef);

impl fmt::Display for QueryId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IdDef::Number(n) => write!(f, "{n}"),
            IdDef::String(s) if matches!(bare_id(s), IdDef::Number(_)) => write!(f, "\"{s}\""),
            IdDef::String(s) => write!(f, "{}", IdText(s)),
        }
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
            | QueryError::IdType { path, .. }
            | QueryError::Principal { path, .. } => path,
        }
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::def::PolicyDef;

    /// org (number ids) > repo (string ids) > pull_request (number ids), with
    /// rules written in ancestors, on string ids that need no quotes and on some
    /// that do.
    fn chained() -> Policy {
        let def: PolicyDef = serde_json::from_str(
            r#"{
              "kinds": {
                "org": {"actions": ["admin"]},
                "repo": {"actions": ["pull", "push"], "needs": {"push": ["pull"]},
                         "parent": "org", "ids": "string"},
                "pull_request": {"actions": ["view", "merge"], "needs": {"merge": ["view"]},
                                 "parent": "repo", "states": ["open", "closed"]}
              },
              "roles": {"Dev": {
                "grants": {"repo": ["push"], "pull_request": ["merge"]},
                "exceptions": [
                  {"kind": "pull_request", "in": "repo", "id": "acme/web", "deny": ["merge"]},
                  {"kind": "repo", "id": "a=b", "deny": ["push"]},
                  {"kind": "repo", "id": "7", "deny": ["push"]},
                  {"kind": "repo", "id": "007", "deny": ["pull"]},
                  {"kind": "repo", "id": "C:\\x", "deny": ["push"]},
                  {"kind": "repo", "id": "x\"y", "deny": ["push"]},
                  {"kind": "repo", "id": "naïve/ü", "deny": ["push"]},
                  {"kind": "repo", "id": "acme web", "deny": ["push"]},
                  {"kind": "repo", "id": "\"q\"", "deny": ["push"]},
                  {"kind": "repo", "id": "", "deny": ["push"]},
                  {"kind": "repo", "id": "tab\there", "deny": ["push"]},
                  {"kind": "repo", "id": "rtl\u202eltr", "deny": ["push"]}
                ],
                "restrictions": [{"kind": "pull_request", "in": "org", "actions": ["merge"], "ids": [1, 2]}]
              }},
              "subjects": {"dan": {"role": "Dev"}, "ana": {"role": "Dev"}}
            }"#,
        )
        .unwrap();
        Policy::compile(&def).unwrap()
    }

    fn parsed(text: &str) -> Query {
        Query::parse(text, "q").unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[track_caller]
    fn syntax(text: &str, problem: &str) {
        match Query::parse(text, "q") {
            Err(QueryError::Syntax { problem: p, .. }) => assert_eq!(p, problem, "{text}"),
            other => panic!("{text}: expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn ids_read_as_numbers_or_strings_as_written() {
        let id = |text: &str| parsed(text).id;
        assert_eq!(id("dan view repo"), None);
        assert_eq!(id("dan view repo:7"), Some(IdDef::Number(7)));
        assert_eq!(
            id("dan view repo:18446744073709551615"),
            Some(IdDef::Number(u64::MAX))
        );
        for (text, s) in [
            ("dan view repo:007", "007"),
            ("dan view repo:+7", "+7"),
            ("dan view repo:18446744073709551616", "18446744073709551616"),
            (r#"dan view repo:"7""#, "7"),
            ("dan view repo:acme/web", "acme/web"),
            ("dan view repo:a=b", "a=b"),
            ("dan view repo:a:b", "a:b"),
            (r"dan view repo:C:\x", r"C:\x"),
            (r#"dan view repo:x"y"#, r#"x"y"#),
            (r#"dan view repo:"acme web""#, "acme web"),
            (r#"dan view repo:"  two  spaces ""#, "  two  spaces "),
            (r#"dan view repo:"""#, ""),
            (r#"dan view repo:"\"q\"""#, r#""q""#),
            (r#"dan view repo:"a\\b""#, r"a\b"),
            (r#"dan view repo:"tab\there\n""#, "tab\there\n"),
            (r#"dan view repo:"rtl\u{202e}ltr""#, "rtl\u{202e}ltr"),
            (r#"dan view repo:"it\'s""#, "it's"),
            ("dan view repo:名前", "名前"),
        ] {
            assert_eq!(id(text), Some(IdDef::from(s)), "{text}");
        }
    }

    #[test]
    fn ancestors_come_after_the_resource_parent_first() {
        let q = parsed("dan merge pull_request:700 in repo:acme/web in org:1 state=open owner=ana");
        assert_eq!(q.kind, "pull_request");
        assert_eq!(q.id, Some(IdDef::Number(700)));
        assert_eq!(
            q.ancestors,
            [
                ("repo".to_string(), IdDef::from("acme/web")),
                ("org".to_string(), IdDef::from(1))
            ]
        );
        assert_eq!(q.state.as_deref(), Some("open"));
        assert_eq!(q.owner.as_deref(), Some("ana"));
        // A kind in general, inside an instance; whitespace anywhere between words.
        let q = parsed("  dan\tpush  repo \n in   org:\"a b\"  ");
        assert_eq!(q.id, None);
        assert_eq!(q.ancestors, [("org".to_string(), IdDef::from("a b"))]);
        // Words are read by position: `in` and `state=` are names where a name stands.
        let q = parsed("in in in:1 in in:in owner=in");
        assert_eq!(
            (q.subject.as_str(), q.action.as_str(), q.kind.as_str()),
            ("in", "in", "in")
        );
        assert_eq!(q.ancestors, [("in".to_string(), IdDef::from("in"))]);
    }

    #[test]
    fn text_that_is_not_a_query_is_a_syntax_error() {
        for text in ["", "   ", "dan", "dan view", "dan view  \t"] {
            syntax(text, SHAPE);
        }
        for text in [
            "dan view repo in",
            "dan view repo in org",
            "dan view repo in org state=open",
        ] {
            syntax(
                text,
                "`in` is followed by an ancestor with its id, `KIND:ID`",
            );
        }
        for text in [
            "dan view repo colour=red",
            "dan view repo state=open state=closed",
            "dan view repo owner=ana owner=ana",
            "dan view repo state=",
            "dan view repo owner=",
            "dan view repo state=open in org:1",
            "dan view repo owner=ana in org:1",
            "dan view repo org:1",
        ] {
            syntax(text, AFTER);
        }
        for text in [
            "dan view repo:",
            "dan view repo: in org:1",
            "dan view repo in org:",
        ] {
            syntax(
                text,
                "an id follows the `:` (write `KIND` for no id, `KIND:\"\"` for the empty string)",
            );
        }
        for text in [
            r#"dan view repo:"abc"#,
            r#"dan view repo:"abc\""#,
            "dan view repo:\"",
        ] {
            syntax(text, "a quoted id has no closing `\"`");
        }
        syntax(
            r#"dan view repo:"a"b"#,
            "a quoted id ends the word: put a space after its closing `\"`",
        );
        let escapes =
            "inside quotes, `\\` starts one of `\\\"`, `\\\\`, `\\'`, `\\n`, `\\r`, `\\t`, `\\u{HEX}`";
        for text in [
            r#"dan view repo:"\x""#,
            r#"dan view repo:"\u""#,
            r#"dan view repo:"\u{}""#,
            r#"dan view repo:"\u{1234567}""#,
            r#"dan view repo:"\u{12g}""#,
            r#"dan view repo:"\"#,
        ] {
            syntax(text, escapes);
        }
        syntax(
            r#"dan view repo:"\u{d800}""#,
            "`\\u{...}` names no character",
        );
    }

    #[test]
    fn the_text_of_a_query_reads_back_as_the_query() {
        for text in [
            "dan view repo",
            "dan view repo:7",
            r#"dan view repo:"7""#,
            "dan view repo:007",
            r#"dan view repo:"acme web" in org:"" state=open"#,
            r#"dan merge pull_request:700 in repo:x"y in org:1 owner=ana"#,
            r#"dan view repo:"\"q" in org:"tab\t\u{202e}\\""#,
        ] {
            let q = parsed(text);
            assert_eq!(q.to_string(), text);
            assert_eq!(parsed(&q.to_string()), q);
        }
        // Written in the canonical order and spacing.
        assert_eq!(
            parsed("dan  view repo:\"a\" owner=ana state=open").to_string(),
            "dan view repo:a state=open owner=ana"
        );
    }

    #[test]
    fn ids_resolve_by_their_kind_id_type() {
        let p = chained();
        let kind = |n: &str| p.kind(n).unwrap();
        let (pr, repo, org) = (kind("pull_request"), kind("repo"), kind("org"));
        let r = |text: &str| parsed(text).resolve(&p, "q").map(|(_, _, r)| r);
        assert_eq!(
            r("dan merge pull_request:700 in repo:acme/web in org:1").unwrap(),
            Resource::new(pr)
                .with_instance(pr.instance(700))
                .within(p.instance(repo, "acme/web"))
                .within(org.instance(1))
        );
        // A string kind reads a number as its digits; a number kind a quoted number.
        assert_eq!(
            r("dan push repo:7").unwrap(),
            Resource::new(repo).with_instance(p.instance(repo, "7"))
        );
        assert_ne!(
            r("dan push repo:7").unwrap(),
            r("dan push repo:007").unwrap()
        );
        assert_eq!(
            r("dan admin org:\"1\"").unwrap(),
            r("dan admin org:1").unwrap()
        );
        assert_eq!(
            r("dan admin org:01").unwrap(),
            r("dan admin org:1").unwrap()
        );
        assert!(!p.query("dan push repo:7").unwrap());
        assert!(p.query("dan push repo:8").unwrap());
        assert!(!p.query("dan pull repo:007").unwrap());
        assert!(!p
            .query("dan merge pull_request:1 in repo:acme/web in org:1")
            .unwrap());
        assert!(p
            .query("dan merge pull_request:1 in repo:acme/api in org:1")
            .unwrap());
        assert!(!p
            .query("dan merge pull_request:1 in repo:acme/api in org:3")
            .unwrap());
        assert!(!p.query("dan push repo:\"acme web\"").unwrap());
        assert!(p.query("dan push repo:acme").unwrap());
        // A number kind refuses any other id, naming its id type.
        for (text, kind, id) in [
            ("dan merge pull_request:seven", "pull_request", "seven"),
            ("dan merge pull_request:-1", "pull_request", "-1"),
            (
                "dan merge pull_request:1 in repo:a in org:acme",
                "org",
                "acme",
            ),
            (
                "dan merge pull_request:\"a\u{1}\"",
                "pull_request",
                "a\u{1}",
            ),
        ] {
            let err = parsed(text).resolve(&p, "q").unwrap_err();
            assert_eq!(
                err,
                QueryError::IdType {
                    path: "q".into(),
                    kind: kind.into(),
                    expected: IdType::Number,
                    id: id.into()
                }
            );
        }
        assert_eq!(
            p.query("dan merge pull_request:acme/web")
                .unwrap_err()
                .to_string(),
            "query: kind `pull_request` has number ids, and `acme/web` is not one"
        );
        assert_eq!(
            p.query("dan merge pull_request:\"a\u{1}\"")
                .unwrap_err()
                .to_string(),
            "query: kind `pull_request` has number ids, and `a\\u{1}` is not one"
        );
        // An unknown ancestor kind, with a suggestion as for any unknown name.
        assert_eq!(
            p.query("dan merge pull_request:1 in rpeo:acme/web")
                .unwrap_err(),
            QueryError::Unknown {
                path: "query".into(),
                what: Item::Kind,
                name: "rpeo".into(),
                suggestion: Some("repo".into())
            }
        );
        // Ancestors out of the chain's order: the engine's invalid resource, denied
        // and explained.
        let (s, a, bad) = parsed("dan view pull_request:1 in org:1 in repo:acme")
            .resolve(&p, "q")
            .unwrap();
        assert!(!p.can(s, a, &bad));
        assert!(!p.explain(s, a, &bad).allowed());
    }

    #[test]
    fn expectations_read_the_same_queries() {
        let p = chained();
        let e: crate::testing::Expectations = serde_json::from_str(
            r#"{"principals": {"7": {"role": "Dev"}}, "expect": [
                "dan merge pull_request:1 in repo:acme/web in org:1 => deny",
                "dan merge pull_request:1 in repo:acme/api in org:1 => allow",
                "7 merge pull_request:1 in repo:acme/web in org:1 => deny",
                "7 merge pull_request:1 in repo:acme/api in org:3 => deny",
                "dan push repo:\"acme web\" => allow",
                "dan push repo:\"a=>b\" => allow"
            ]}"#,
        )
        .unwrap();
        let report = p.verify(&e).unwrap();
        assert_eq!(report.checked(), 6);
        let [m] = report.mismatches() else {
            panic!("{report}")
        };
        assert_eq!(m.path, "expect[4]");
        assert_eq!(m.query, r#"dan push repo:"acme web""#);
        let bad: crate::testing::Expectations =
            serde_json::from_str(r#"{"expect": ["dan merge pull_request:x => deny"]}"#).unwrap();
        assert_eq!(
            p.verify(&bad).unwrap_err().to_string(),
            "expect[0]: kind `pull_request` has number ids, and `x` is not one"
        );
    }

    /// Every resource of `chained` whose ids are named by its rules (and some no
    /// rule names), at every depth, with and without a state.
    fn resources(p: &Policy, strings: &[&str]) -> Vec<Resource> {
        let kind = |n: &str| p.kind(n).unwrap();
        let (pr, repo, org) = (kind("pull_request"), kind("repo"), kind("org"));
        let open = p.state(pr, "open").unwrap();
        let mut out = vec![Resource::new(pr), Resource::new(repo), Resource::new(org)];
        for &s in strings {
            let web = p.instance(repo, s);
            out.push(Resource::new(repo).with_instance(web));
            out.push(
                Resource::new(repo)
                    .with_instance(web)
                    .within(org.instance(2)),
            );
            out.push(Resource::new(pr).within(web));
            out.push(
                Resource::new(pr)
                    .with_instance(pr.instance(700))
                    .within(web)
                    .within(org.instance(1))
                    .with_state(open),
            );
        }
        out.push(Resource::new(org).with_instance(org.instance(u64::MAX)));
        out
    }

    #[track_caller]
    fn question_round_trips(p: &Policy, r: &Resource) {
        let dan = p.subject("dan").unwrap();
        let action = p.actions(r.kind()).next().unwrap();
        let owner = p.subject("ana").unwrap();
        for r in [*r, r.with_owner(owner)] {
            let why = p.explain(dan, action, &r);
            let q = Query::parse(why.question(), "q")
                .unwrap_or_else(|e| panic!("{}: {e}", why.question()));
            let (s, a, back) = q
                .resolve(p, "q")
                .unwrap_or_else(|e| panic!("{}: {e}", why.question()));
            assert_eq!((s, a, back), (dan, action, r), "{}", why.question());
        }
    }

    #[test]
    fn explanation_questions_read_back_as_their_resource() {
        let p = chained();
        let plain = [
            "acme/web",
            "a=b",
            "7",
            "007",
            r"C:\x",
            r#"x"y"#,
            "naïve/ü",
            "unnamed/by-any-rule",
        ];
        for r in resources(&p, &plain) {
            question_round_trips(&p, &r);
        }
        let dan = p.subject("dan").unwrap();
        let merge = p.action("pull_request", "merge").unwrap();
        let pr = p.kind("pull_request").unwrap();
        let why = p.explain(
            dan,
            merge,
            &Resource::new(pr)
                .with_instance(pr.instance(700))
                .within(p.instance(p.kind("repo").unwrap(), "acme/web"))
                .within(p.kind("org").unwrap().instance(1)),
        );
        assert_eq!(
            why.question(),
            "dan merge pull_request:700 in repo:acme/web in org:1"
        );
    }

    /// String ids that read back only quoted: the question line must write them
    /// with [`IdText`] (see the report on the `wt-query` branch).
    #[test]
    fn explanation_questions_quote_ids_that_need_it() {
        let p = chained();
        for r in resources(
            &p,
            &["acme web", "\"q\"", "", "tab\there", "rtl\u{202e}ltr"],
        ) {
            question_round_trips(&p, &r);
        }
    }

    #[test]
    fn id_text_quotes_only_what_would_not_read_back() {
        for (id, text) in [
            ("acme/web", "acme/web"),
            ("a=b", "a=b"),
            (r#"x"y"#, r#"x"y"#),
            (r"a\b", r"a\b"),
            ("7", "7"),
            ("", r#""""#),
            ("acme web", r#""acme web""#),
            (r#""q"#, r#""\"q""#),
            (r"a b\", r#""a b\\""#),
            ("tab\t", r#""tab\t""#),
            ("nbsp\u{a0}", "\"nbsp\u{a0}\""),
            ("rtl\u{202e}", r#""rtl\u{202e}""#),
            ("bell\u{7}", r#""bell\u{7}""#),
        ] {
            assert_eq!(IdText(id).to_string(), text, "{id:?}");
            let q = parsed(&format!("dan view repo:{text}"));
            let expected = if id == "7" {
                IdDef::from(7)
            } else {
                IdDef::from(id)
            };
            assert_eq!(q.id, Some(expected), "{text}");
        }
    }

    /// Property cases: `ACCESSMASK_PROPTEST_CASES` when set (the long modes, as for
    /// the integration tests), else 512.
    fn cases() -> u32 {
        std::env::var("ACCESSMASK_PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(512)
    }

    /// Short strings over the characters the grammar cares about.
    fn query_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("dan".to_string()),
            Just("in".to_string()),
            Just("repo:".to_string()),
            Just("state=".to_string()),
            Just("owner=".to_string()),
            Just(" ".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("\\u{".to_string()),
            Just("}".to_string()),
            Just(":".to_string()),
            Just("=".to_string()),
            "[0-9]{1,3}",
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..16).prop_map(|v| v.concat())
    }

    /// An id string with the characters that need quoting or escaping.
    fn id_string() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just(' '),
                Just('"'),
                Just('\\'),
                Just('\n'),
                Just('\u{202e}'),
                Just('7'),
                Just('/'),
                Just('='),
                Just(':'),
                any::<char>(),
            ],
            0..8,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        #[test]
        fn any_text_is_a_query_or_a_syntax_error(text in query_text()) {
            match Query::parse(&text, "q") {
                Ok(q) => prop_assert_eq!(Query::parse(&q.to_string(), "q"), Ok(q)),
                Err(e) => prop_assert!(matches!(e, QueryError::Syntax { .. }), "{e}"),
            }
        }

        #[test]
        fn any_id_reads_back(id in id_string(), n in any::<u64>(), number in any::<bool>(), depth in 0usize..3) {
            let id = if number { IdDef::Number(n) } else { IdDef::String(id) };
            let q = Query {
                subject: "dan".into(),
                action: "view".into(),
                kind: "repo".into(),
                id: Some(id.clone()),
                ancestors: vec![("org".into(), id); depth],
                state: Some("open".into()),
                owner: None,
            };
            prop_assert_eq!(Query::parse(&q.to_string(), "q"), Ok(q));
        }
    }
}
