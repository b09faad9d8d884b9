//! What a run does: read and compile the document, check every query and
//! check file first, then print the matrices, the answers and the checks.

use std::fmt::Write as _;

use accessmask::{ActionId, Policy, PolicyDef, Resource, SubjectId};

use crate::args::{parse_args, Options, Source, Which};
use crate::checks::{print_checks, run_check, Outcome};
use crate::output::{count, heading, print_matrices};
use crate::queries::ask;
use crate::source::{load, read_source};
use crate::usage::{TOUR, USAGE};
use crate::Failure;

pub(crate) fn run(args: &[String], out: &mut String) -> Result<(), Failure> {
    let opts = parse_args(args)?;
    if opts.help {
        out.push_str(USAGE);
        return Ok(());
    }
    let checking = !opts.checks.is_empty();
    let tour = matches!(opts.policy, None | Some(Source::Default))
        && opts.queries.is_empty()
        && !checking
        && opts.print.is_none();
    let source = opts.policy.as_ref().unwrap_or(&Source::Default);
    let (name, text) = read_source(source)?;
    let (def, policy) = load(&name, &text)?;
    if def.kinds.is_empty() && def.roles.is_empty() && def.subjects.is_empty() {
        eprintln!(
            "warning: {name}: the policy is empty (no kinds, roles or subjects): it allows nothing"
        );
    }

    if let Some(which) = opts.print {
        let m = match which {
            Which::Roles => policy.role_matrix(),
            Which::Levels => policy.level_matrix(),
        };
        out.push_str(&m.to_markdown());
        return Ok(());
    }

    // Check every query and check file before printing anything, so that
    // mistakes are not buried under the matrices.
    let resolved = resolve_queries(&policy, &opts, tour)?;
    let outcomes = run_checks(&policy, &opts)?;

    print_title(out, tour, &name, &def);
    if opts.matrices.unwrap_or(!checking) {
        print_matrices(&policy, &def, opts.markdown, out);
    }
    print_answers(out, &policy, &opts, tour, &resolved);
    if checking {
        heading(out, opts.markdown, "Checks");
        print_checks(&outcomes, opts.markdown, out)?;
    }
    Ok(())
}

/// A query to answer: its caption (the tour's; empty otherwise) and its ids.
type Resolved<'a> = (&'a str, (SubjectId, ActionId, Resource));

/// The queries (the tour's, or the command line's), each read and looked up;
/// every problem at once.
fn resolve_queries(
    policy: &Policy,
    opts: &Options,
    tour: bool,
) -> Result<Vec<Resolved<'static>>, Failure> {
    let queries: Vec<(&'static str, String)> = if tour {
        TOUR.iter()
            .map(|(caption, q)| (*caption, q.to_string()))
            .collect()
    } else {
        opts.queries.iter().map(|q| ("", q.join(" "))).collect()
    };
    let mut resolved = Vec::new();
    let mut problems = Vec::new();
    let mut syntax = false;
    for (i, (caption, text)) in queries.iter().enumerate() {
        match ask(policy, text, &format!("query {}", i + 1)) {
            Ok(q) => resolved.push((*caption, q)),
            Err(problem) => {
                syntax |= problem.syntax;
                problems.push(problem.message);
            }
        }
    }
    if !problems.is_empty() {
        return Err(Failure::Usage(problems, syntax));
    }
    Ok(resolved)
}

/// Every check file read and run; every problem at once.
fn run_checks<'o>(policy: &Policy, opts: &'o Options) -> Result<Vec<(&'o str, Outcome)>, Failure> {
    let mut outcomes = Vec::new();
    let mut problems = Vec::new();
    for (kind, file) in &opts.checks {
        match run_check(policy, *kind, file) {
            Ok(outcome) => outcomes.push((file.as_str(), outcome)),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if !problems.is_empty() {
        return Err(Failure::Invalid(problems));
    }
    Ok(outcomes)
}

/// The first line: the tour's greeting, or what the document holds.
fn print_title(out: &mut String, tour: bool, name: &str, def: &PolicyDef) {
    if tour {
        writeln!(
            out,
            "accessmask: a tour of the Magnews policy ({name}, embedded)\n\
             Run with --help to check your own document and queries.\n"
        )
        .ok();
    } else {
        writeln!(
            out,
            "{name}: ok ({}, {}, {}, {})\n",
            count(def.kinds.len(), "kind"),
            count(def.roles.len(), "role"),
            count(def.toggles.len(), "toggle"),
            count(def.subjects.len(), "subject")
        )
        .ok();
    }
}

/// Each query's explanation, under a heading; the tour's ends with how to ask.
fn print_answers(
    out: &mut String,
    policy: &Policy,
    opts: &Options,
    tour: bool,
    resolved: &[Resolved<'_>],
) {
    if tour {
        heading(
            out,
            opts.markdown,
            "A few decisions, with the steps that made them (`*`: the decisive steps)",
        );
    } else if !resolved.is_empty() {
        heading(out, opts.markdown, "Queries");
    }
    for (i, (caption, (subject, action, resource))) in resolved.iter().enumerate() {
        if !caption.is_empty() {
            writeln!(out, "{}. {caption}", i + 1).ok();
        }
        let why = policy.explain(*subject, *action, resource);
        let why = if opts.verbose {
            format!("{why:#}")
        } else {
            why.to_string()
        };
        if opts.markdown {
            writeln!(out, "```text\n{why}```\n").ok();
        } else {
            writeln!(out, "{why}").ok();
        }
    }
    if tour {
        writeln!(
            out,
            "Ask your own: accessmask POLICY.json \
             \"SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE] [owner=SUBJECT]\"\n\
             (in the crate's repository: cargo run --features cli -- POLICY.json ...)"
        )
        .ok();
    }
}
