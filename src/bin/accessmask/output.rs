//! Printing: headings, counts and the matrices.

use std::fmt::Write as _;

use accessmask::{Matrix, Policy, PolicyDef};

/// `1 kind`, `2 kinds`.
pub(crate) fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("{n} {what}")
    } else {
        format!("{n} {what}s")
    }
}

pub(crate) fn heading(out: &mut String, markdown: bool, title: &str) {
    if markdown {
        writeln!(out, "## {title}\n").ok();
    } else {
        writeln!(out, "{title}\n").ok();
    }
}

/// The matrices; `def` is the document as read (for what it declares).
pub(crate) fn print_matrices(policy: &Policy, def: &PolicyDef, markdown: bool, out: &mut String) {
    let show = |out: &mut String, m: Matrix| {
        if markdown {
            writeln!(out, "{}", m.to_markdown()).ok();
            for note in m.legend() {
                writeln!(out, "{note}\n").ok();
            }
        } else {
            writeln!(out, "{m}").ok();
        }
    };
    if def.roles.is_empty() {
        heading(out, markdown, "Roles x actions: the policy has no roles");
    } else {
        heading(
            out,
            markdown,
            "Roles x actions (Y: any instance; own / managed: only in that scope; -: no)",
        );
        show(out, policy.role_matrix());
    }
    let has_levels = def.kinds.iter().any(|(_, k)| !k.levels.is_empty());
    if has_levels && !def.subjects.is_empty() {
        heading(
            out,
            markdown,
            "Subjects x levels (the level each subject's kind-wide set equals)",
        );
        show(out, policy.level_matrix());
    }
}
