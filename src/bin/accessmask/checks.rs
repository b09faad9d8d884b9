//! Check files: expectations (`--expect`) and golden matrices (`--golden`).

use std::fmt::Write as _;

use accessmask::testing::{CellMismatch, Expectations, Report};
use accessmask::{Matrix, Policy};

use crate::args::CheckKind;
use crate::output::count;
use crate::queries::ask;
use crate::source::json_error;
use crate::Failure;

/// What a check file found.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// An expectations file's report.
    Expect(Report),
    /// A golden matrix: how many cells it has, and those that differ.
    Golden(usize, Vec<CellMismatch>),
}

/// Reads, parses and runs one check file. Errors (one per problem) name the file
/// and where in it the problem stands.
pub(crate) fn run_check(
    policy: &Policy,
    kind: CheckKind,
    file: &str,
) -> Result<Outcome, Vec<String>> {
    let text = std::fs::read_to_string(file).map_err(|e| vec![format!("{file}: {e}")])?;
    match kind {
        CheckKind::Expect => {
            let doc: Expectations =
                serde_json::from_str(&text).map_err(|e| vec![json_error(file, &e)])?;
            // Every query the policy cannot answer, not only the first (the
            // library's paths: `expect[N]`).
            let problems: Vec<String> = doc
                .expect
                .iter()
                .enumerate()
                .filter_map(|(i, e)| ask(policy, &e.query, &format!("expect[{i}]")).err())
                .map(|p| format!("{file}: {}", p.message))
                .collect();
            if !problems.is_empty() {
                return Err(problems);
            }
            let report = policy
                .verify(&doc)
                .map_err(|e| vec![format!("{file}: {e}")])?;
            Ok(Outcome::Expect(report))
        }
        CheckKind::Golden => {
            let golden = Matrix::from_markdown(&text).map_err(|e| vec![format!("{file}: {e}")])?;
            let diffs = policy
                .verify_matrix(&golden)
                .map_err(|e| vec![format!("{file}: {e}")])?;
            let cells = golden.rows().count() * golden.columns().len();
            Ok(Outcome::Golden(cells, diffs))
        }
    }
}

/// Each check's report, then a summary line; an error if some check is not met.
pub(crate) fn print_checks(
    outcomes: &[(&str, Outcome)],
    markdown: bool,
    out: &mut String,
) -> Result<(), Failure> {
    // (checked, not met) for expectations and for golden cells; None: no such file.
    let mut expectations: Option<(usize, usize)> = None;
    let mut cells: Option<(usize, usize)> = None;
    for (file, outcome) in outcomes {
        let mut block = String::new();
        match outcome {
            Outcome::Expect(report) => {
                write!(block, "{file}: {report}").ok();
                let t = expectations.get_or_insert((0, 0));
                t.0 += report.checked();
                t.1 += report.mismatches().len();
            }
            Outcome::Golden(n, diffs) => {
                writeln!(
                    block,
                    "{file}: {} checked, {} met, {} not met",
                    count(*n, "cell"),
                    n - diffs.len(),
                    diffs.len()
                )
                .ok();
                for d in diffs {
                    writeln!(block, "{d}").ok();
                }
                let t = cells.get_or_insert((0, 0));
                t.0 += n;
                t.1 += diffs.len();
            }
        }
        if markdown {
            writeln!(out, "```text\n{block}```\n").ok();
        } else {
            writeln!(out, "{block}").ok();
        }
    }
    let totals = [(expectations, "expectation"), (cells, "golden cell")];
    let met: Vec<String> = totals
        .iter()
        .filter_map(|&(t, what)| {
            t.map(|(checked, unmet)| format!("{} of {} met", checked - unmet, count(checked, what)))
        })
        .collect();
    writeln!(out, "{}", met.join(", ")).ok();
    let unmet: Vec<String> = totals
        .iter()
        .filter_map(|&(t, what)| {
            t.filter(|&(_, unmet)| unmet > 0)
                .map(|(_, n)| count(n, what))
        })
        .collect();
    if unmet.is_empty() {
        Ok(())
    } else {
        Err(Failure::Unmet(format!("not met: {}", unmet.join(", "))))
    }
}
