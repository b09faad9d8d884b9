//! The rules for names and caller text in messages: what a good name is, how
//! caller text prints (escaped), how a string id is quoted, and the "did you
//! mean" suggestion.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::PolicyError;

/// What sort of item an error is about. Serializes as its name (`"Kind"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Item {
    /// A kind.
    Kind,
    /// An action of a kind.
    Action,
    /// A level of a kind.
    Level,
    /// A role.
    Role,
    /// A toggle.
    Toggle,
    /// A state of a kind.
    State,
    /// A subject.
    Subject,
    /// An exception on one instance.
    Exception,
    /// A restriction on a kind.
    Restriction,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Item::Kind => "kind",
            Item::Action => "action",
            Item::Level => "level",
            Item::Role => "role",
            Item::Toggle => "toggle",
            Item::State => "state",
            Item::Subject => "subject",
            Item::Exception => "exception",
            Item::Restriction => "restriction",
        })
    }
}

/// ` (did you mean `x`?)` for a suggestion, nothing otherwise.
pub(crate) fn hint(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// What is wrong with `name`, or `None` if it is a good name: non-empty, no
/// leading or trailing whitespace, no control character and no
/// bidirectional-text control (U+061C, U+200E, U+200F, U+202A-U+202E,
/// U+2066-U+2069). Such names print safely as they are in an explanation, an
/// error, a log line or a Markdown matrix.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return Some("has leading or trailing whitespace");
    }
    if name.chars().any(char::is_control) {
        return Some("has a control character");
    }
    if name.chars().any(is_bidi_control) {
        return Some("has a bidirectional-text control");
    }
    None
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks a defined name: empty is [`PolicyError::EmptyName`], anything else
/// [`name_problem`] refuses is [`PolicyError::BadName`]. `path` is only built on
/// failure.
pub(crate) fn check_name(
    name: &str,
    what: Item,
    path: impl FnOnce() -> String,
) -> Result<(), PolicyError> {
    match name_problem(name) {
        None => Ok(()),
        Some(_) if name.is_empty() => Err(PolicyError::EmptyName { path: path(), what }),
        Some(reason) => Err(PolicyError::BadName {
            path: path(),
            what,
            name: name.to_string(),
            reason,
        }),
    }
}

/// User input in a message: control and bidirectional-text characters escaped
/// (`\n`, `\u{202e}`), everything else as it is, so a message is one line that
/// reads the way it prints.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shown<'a>(pub(crate) &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() || is_bidi_control(c) {
                write!(f, "{}", c.escape_default())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

/// The known name nearest to `name`, if it is close enough to be a typo. Names
/// whose lengths differ by more than the allowed edits are skipped without
/// comparing, and very long names get no suggestion, so a huge input costs
/// linear time, not quadratic.
pub(crate) fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    const LONGEST: usize = 128;
    let len = name.chars().count();
    if len > LONGEST {
        return None;
    }
    let limit = len.div_ceil(3).clamp(1, 3);
    known
        .into_iter()
        .filter(|k| k.len() <= LONGEST * 4 && k.chars().count().abs_diff(len) <= limit)
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.to_string())
}

/// Edit distance over chars where a swap of two neighbours counts as one edit
/// (optimal string alignment), so `veiw` is one edit from `view`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    let at = |i: usize, j: usize| i * w + j;
    for (i, slot) in d.iter_mut().step_by(w).enumerate() {
        *slot = i;
    }
    for (j, slot) in d.iter_mut().take(w).enumerate() {
        *slot = j;
    }
    let get = |d: &[usize], i: usize, j: usize| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
    for (i, ca) in a.iter().enumerate() {
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let mut v = (get(&d, i, j) + cost)
                .min(get(&d, i, j + 1) + 1)
                .min(get(&d, i + 1, j) + 1);
            if i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) {
                v = v.min(get(&d, i - 1, j - 1) + 1);
            }
            if let Some(slot) = d.get_mut(at(i + 1, j + 1)) {
                *slot = v;
            }
        }
    }
    get(&d, a.len(), b.len())
}

/// A string id as a query writes it: as it is, or in double quotes when it would
/// not read back otherwise (see [`needs_quotes`]). Lives here, with the
/// crate's other rules for printing caller text. The question line of an
/// explanation writes string ids this way, so it reads back as the question.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdText<'a>(pub(crate) &'a str);

impl fmt::Display for IdText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !needs_quotes(self.0) {
            return f.write_str(self.0);
        }
        fmt::Write::write_char(f, '"')?;
        for c in self.0.chars() {
            match c {
                '"' | '\\' => write!(f, "\\{c}")?,
                c if c.is_control() || is_bidi_control(c) => write!(f, "{}", c.escape_default())?,
                c => fmt::Write::write_char(f, c)?,
            }
        }
        fmt::Write::write_char(f, '"')
    }
}

/// Whether a bare `id` would not read back as itself: empty, starting with `"`,
/// or holding whitespace (which ends a word), a control character or a
/// bidirectional-text control (which a message escapes, and a reader cannot see).
pub(crate) fn needs_quotes(id: &str) -> bool {
    id.is_empty()
        || id.starts_with('"')
        || id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || is_bidi_control(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_finds_typos_only() {
        assert_eq!(
            nearest("jouney", ["journey", "database"]),
            Some("journey".into())
        );
        assert_eq!(nearest("x", ["journey"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("veiw", "view"), 1);
        let huge = "x".repeat(1 << 20);
        assert_eq!(nearest(&huge, [huge.as_str()]), None);
    }
}
