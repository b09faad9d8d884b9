//! The one-line text form of a filter and its conditions.

use super::filter::{Branch, Cond, Filter, Owner, States};
use crate::def::InstanceId;

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Owner::Own => "own",
            Owner::Managed => "managed",
            Owner::Unowned => "unowned",
            Owner::Other => "others'",
        })
    }
}

impl std::fmt::Display for States {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("state ")?;
        let mut parts: Vec<&str> = self.names.iter().map(String::as_str).collect();
        if self.unset {
            parts.push("none");
        }
        match parts.split_last() {
            Some((last, rest)) if !rest.is_empty() => write!(f, "{} or {last}", rest.join(", ")),
            Some((last, _)) => f.write_str(last),
            None => f.write_str("(none)"),
        }
    }
}

impl std::fmt::Display for Cond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cond::All => f.write_str("all"),
            Cond::None => f.write_str("none"),
            Cond::Any(clauses) => {
                let several = clauses.len() > 1;
                for (i, c) in clauses.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    if several {
                        f.write_str("(")?;
                    }
                    let owners = c.owners.as_ref().map(|os| {
                        let names: Vec<String> = os.iter().map(Owner::to_string).collect();
                        names.join(" or ")
                    });
                    match (owners, &c.states) {
                        (Some(o), Some(s)) => write!(f, "{o}, {s}")?,
                        (Some(o), None) => f.write_str(&o)?,
                        (None, Some(s)) => write!(f, "{s}")?,
                        (None, None) => f.write_str("all")?,
                    }
                    if several {
                        f.write_str(")")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// One line: the default, then each exception group (`except ids 5, 6: none`).
/// A filter that splits on ancestors gives the conditions for instances given
/// none first, then each case in parentheses (`no database: all; in database 42:
/// (none); in another database: (all)`).
impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_branch(&self.root, f)
    }
}

pub(super) fn id_list(ids: &[InstanceId], texts: &[String]) -> String {
    if texts.is_empty() {
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        ids.join(", ")
    } else {
        texts.join(", ")
    }
}

pub(super) fn fmt_body(b: &Branch, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "{}", b.default)?;
    for e in &b.except {
        write!(f, "; except ids {}: {}", id_list(&e.ids, &e.texts), e.cond)?;
    }
    if let Some(c) = &b.no_id {
        write!(f, "; no id: {c}")?;
    }
    Ok(())
}

pub(super) fn fmt_branch(b: &Branch, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    let Some(w) = &b.within else {
        return fmt_body(b, f);
    };
    let kind = w.kind.name();
    write!(f, "no {kind}: ")?;
    fmt_body(b, f)?;
    for e in &w.except {
        write!(f, "; in {kind} {}: (", id_list(&e.ids, &e.texts))?;
        fmt_branch(&e.then, f)?;
        f.write_str(")")?;
    }
    write!(f, "; in another {kind}: (")?;
    fmt_branch(&w.default, f)?;
    f.write_str(")")
}
