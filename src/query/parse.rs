//! Reading a query's text, and writing it back: no policy involved.

use std::fmt;

use super::{Query, QueryError};
use crate::def::IdDef;
use crate::error::IdText;

/// The shape of a query, for syntax errors.
pub(super) const SHAPE: &str =
    "a query is `SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE] [owner=SUBJECT]`";

/// What may follow the resource, for syntax errors.
pub(super) const AFTER: &str =
    "after the resource come `in KIND:ID` (its ancestors, parent first), \
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

/// The words of a query, read from the front: split at whitespace, except that a
/// quoted id (`KIND:"..."`) is read whole.
pub(super) struct Words<'a>(&'a str);

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
pub(super) fn bare_id(text: &str) -> IdDef {
    match text.parse::<u64>() {
        Ok(n) if n.to_string() == text => IdDef::Number(n),
        _ => IdDef::String(text.to_string()),
    }
}

/// Reads the quoted id at the start of `text` (which starts with `"`): the id,
/// and what follows its closing quote.
pub(super) fn unquote(text: &str) -> Result<(String, &str), &'static str> {
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
pub(super) struct QueryId<'a>(&'a IdDef);

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
