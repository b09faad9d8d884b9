//! The document's text: where it comes from, parsing and compiling it, and
//! where in the text an error's path leads.

use std::path::Path;

use accessmask::{LoadError, Policy, PolicyDef};

use crate::args::Source;
use crate::usage::{DEFAULT_NAME, DEFAULT_POLICY};
use crate::Failure;

/// Reads the document: its display name and text.
pub(crate) fn read_source(source: &Source) -> Result<(String, String), Failure> {
    match source {
        Source::Default => Ok((DEFAULT_NAME.to_string(), DEFAULT_POLICY.to_string())),
        Source::File(path) => std::fs::read_to_string(path)
            .map(|text| (path.clone(), text))
            .map_err(|e| Failure::invalid(format!("{path}: {e}"))),
        Source::Stdin => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Failure::invalid(format!("<stdin>: {e}")))?;
            Ok(("<stdin>".to_string(), text))
        }
    }
}

/// `file:line:column: message`, as compilers print it, without serde's own "at
/// line L column C" suffix.
pub(crate) fn json_error(name: &str, e: &serde_json::Error) -> String {
    if e.line() == 0 {
        return format!("{name}: {e}");
    }
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = full.strip_suffix(&suffix).unwrap_or(&full);
    format!("{name}:{}:{}: {msg}", e.line(), e.column())
}

/// Parses and compiles the document with the library
/// ([`Policy::from_json_str`], [`Policy::from_toml_str`]): JSON for a `.json`
/// file, TOML for a `.toml` file, otherwise JSON if the text starts with `{`.
/// Errors as compilers print them, `file:line:column: message`: for a syntax
/// error where the parser found it, and for each problem of a document that does
/// not compile where its path leads in the text (when it can be found).
pub(crate) fn load(name: &str, text: &str) -> Result<(PolicyDef, Policy), Failure> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let toml = match ext.as_deref() {
        Some("toml") => true,
        Some("json") => false,
        _ => !text.trim_start().starts_with('{'),
    };
    let loaded = if toml {
        Policy::from_toml_str(text)
    } else {
        Policy::from_json_str(text)
    };
    let policy = loaded.map_err(|e| match &e {
        LoadError::Syntax { message, .. } => match (e.line(), e.column()) {
            (Some(l), Some(c)) => Failure::invalid(format!("{name}:{l}:{c}: {message}")),
            _ => Failure::invalid(format!("{name}: {message}")),
        },
        _ => Failure::Invalid(
            e.errors()
                .map(|pe| match locate(text, pe.path(), toml) {
                    Some((l, c)) => format!("{name}:{l}:{c}: {pe}"),
                    None => format!("{name}: {pe}"),
                })
                .collect(),
        ),
    })?;
    // Read again for what it declares; it was read once already, so this holds.
    let def = if toml {
        toml::from_str::<PolicyDef>(text).map_err(|e| Failure::invalid(format!("{name}: {e}")))?
    } else {
        serde_json::from_str::<PolicyDef>(text)
            .map_err(|e| Failure::invalid(format!("{name}: {e}")))?
    };
    Ok((def, policy))
}

/// Where `path` (`roles.Designer.grants.jouney`, `subjects.ann.exceptions[2]`)
/// leads in the document's text: each name of the path looked for as a key after
/// the previous one. `None` unless at least the section and the item are found.
/// A heuristic for pointing an editor at the item, not a parser: a name that is
/// also a value earlier in the text can mislead it.
pub(crate) fn locate(text: &str, path: &str, toml: bool) -> Option<(usize, usize)> {
    let mut at = 0;
    let mut found = 0;
    let mut last = None;
    for segment in path.split('.') {
        let name = segment.split('[').next().unwrap_or(segment);
        if name.is_empty() {
            continue;
        }
        let hit = if toml {
            find_word(text, at, name)
        } else {
            text.get(at..)
                .and_then(|t| t.find(&format!("\"{name}\"")))
                .map(|i| at + i)
        };
        let Some(i) = hit else { break };
        found += 1;
        last = Some(i);
        at = i + name.len();
    }
    let i = last.filter(|_| found >= 2 || !path.contains('.'))?;
    let before = text.get(..i)?;
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |n| n + 1);
    let column = before.get(start..)?.chars().count() + 1;
    Some((line, column))
}

/// The first `name` at or after byte `from` that is a whole word (not part of a
/// longer bare key).
pub(crate) fn find_word(text: &str, from: usize, name: &str) -> Option<usize> {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut at = from;
    while let Some(i) = text.get(at..).and_then(|t| t.find(name)).map(|i| at + i) {
        let end = i + name.len();
        let before_ok = text
            .get(..i)
            .and_then(|b| b.chars().last())
            .map_or(true, |c| !word(c));
        let after_ok = text
            .get(end..)
            .and_then(|a| a.chars().next())
            .map_or(true, |c| !word(c));
        if before_ok && after_ok {
            return Some(i);
        }
        at = end;
    }
    None
}
