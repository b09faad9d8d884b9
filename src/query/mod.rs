//! String queries: `SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE]
//! [owner=SUBJECT]`, read ([`Query::parse`]), looked up in a policy
//! ([`Query::resolve`]) and asked ([`Policy::query`], [`Policy::explain_query`]).
//! Expectations files, the assertion macros and the command-line tool all read
//! queries here, so a query means the same everywhere, and the question line of
//! an explanation ([`Explanation::question`]) reads back as the query it asks.

//!
//! `parse.rs` reads the text (no policy), `eval.rs` resolves it in a policy and
//! asks it; [`QueryError`] lives with the other errors (`error/query.rs`).

use serde::{Deserialize, Serialize};

use crate::def::IdDef;

mod eval;
mod parse;
#[cfg(test)]
mod tests;

pub use crate::error::QueryError;

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
