//! The seed tests as data: golden matrices and expectations files
//! under `tests/data/`, checked against the seed policies in
//! `examples/policies/` with the library's own testing support.
//!
//! - `<seed>.roles.md`: the roles x actions matrix, as `accessmask --print roles`
//!   prints it; `<seed>.levels.md`: the subjects x levels matrix (`--print
//!   levels`), for the seeds with levels (Real Magnet, Thrive, Magnetic). Each was
//!   printed from the policy and then reviewed by hand against the vendor's
//!   help page (the four pages the crate was built from; they are not part of
//!   the repository or the package: the policies' comments and the tables here
//!   stand for them).
//! - `<seed>.expect.json`: the seed's documented rows as `QUERY => allow|deny`
//!   lines asked of the policy's subjects, written from the vendor page.
//!   `thrive.expect.json` is the short file `tests/cli.rs` runs through the `accessmask` binary;
//!   `thrive.tables.expect.json` holds Thrive's three tables cell by cell, per
//!   Admin.
//!
//! Both kinds of file are checked to hold, and to fail naming exactly the one
//! cell or expectation when any single one is flipped.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use accessmask::testing::{CellMismatch, Expectations};
use accessmask::{Matrix, Policy, PolicyDef};
use common::{load, TestResult};

/// (seed, golden matrix file).
const GOLDENS: &[(&str, &str)] = &[
    ("real_magnet", "real_magnet.roles.md"),
    ("real_magnet", "real_magnet.levels.md"),
    ("magnews", "magnews.roles.md"),
    ("thrive", "thrive.roles.md"),
    ("thrive", "thrive.levels.md"),
    ("magnetic", "magnetic.roles.md"),
    ("magnetic", "magnetic.levels.md"),
];

/// (seed, expectations file).
const EXPECTATIONS: &[(&str, &str)] = &[
    ("real_magnet", "real_magnet.expect.json"),
    ("magnews", "magnews.expect.json"),
    ("thrive", "thrive.expect.json"),
    ("thrive", "thrive.tables.expect.json"),
    ("magnetic", "magnetic.expect.json"),
];

/// A data file with its seed's document and policy.
struct Case {
    file: &'static str,
    text: String,
    def: PolicyDef,
    policy: Policy,
}

impl Case {
    fn golden(&self) -> Matrix {
        Matrix::from_markdown(&self.text).unwrap_or_else(|e| panic!("{}: {e}", self.file))
    }

    fn expectations(&self) -> Expectations {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{}: {e}", self.file))
    }
}

/// Every (seed, file) of `list`, read and loaded.
fn cases(list: &[(&str, &'static str)]) -> Vec<Case> {
    list.iter()
        .map(|(seed, file)| {
            let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
            let text =
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
            let (def, policy) = load(seed).unwrap_or_else(|e| panic!("{seed}: {e}"));
            Case {
                file,
                text,
                def,
                policy,
            }
        })
        .collect()
}

/// The policy's own matrix of the kind the golden's corner names.
fn rendered(policy: &Policy, golden: &Matrix) -> Matrix {
    match golden.corner() {
        "action" => policy.role_matrix(),
        "subject" => policy.level_matrix(),
        other => panic!("corner {other}"),
    }
}

/// Another value for a cell: `Y` <-> `-` (a scoped cell such as `own` becomes
/// `Y`) in a roles x actions matrix; the next level of the column's kind in a
/// subjects x levels matrix.
fn flip(def: &PolicyDef, corner: &str, column: &str, cell: &str) -> String {
    if corner == "action" {
        return if cell == "Y" { "-" } else { "Y" }.to_string();
    }
    let kind = def.kinds.get(column).expect("a level column names a kind");
    let names: Vec<&str> = kind.levels.iter().map(|(n, _)| n).collect();
    let at = names
        .iter()
        .position(|n| *n == cell)
        .unwrap_or_else(|| panic!("`{cell}` is not a level of {column}"));
    names[(at + 1) % names.len()].to_string()
}

/// `m` with the cell at row `i`, column `j` replaced.
fn with_cell(m: &Matrix, i: usize, j: usize, value: &str) -> Matrix {
    let mut out = Matrix::new(m.corner(), m.columns().to_vec());
    for (r, (name, cells)) in m.rows().enumerate() {
        let mut cells = cells.to_vec();
        if r == i {
            cells[j] = value.to_string();
        }
        out.push_row(name, cells);
    }
    out
}

#[test]
fn every_golden_matches_its_policy_and_covers_it() -> TestResult {
    for case in cases(GOLDENS) {
        let (file, policy, golden) = (case.file, &case.policy, case.golden());
        let diff = policy.verify_matrix(&golden)?;
        let lines: Vec<String> = diff.iter().map(ToString::to_string).collect();
        assert!(diff.is_empty(), "{file}:\n{}", lines.join("\n"));
        // Every row and column of the policy's matrix is in the golden, in order,
        // so nothing the policy shows goes unchecked.
        let actual = rendered(policy, &golden);
        assert_eq!(golden.columns(), actual.columns(), "{file}: columns");
        let rows = |m: &Matrix| m.rows().map(|(r, _)| r.to_string()).collect::<Vec<_>>();
        assert_eq!(rows(&golden), rows(&actual), "{file}: rows");
        assert!(!golden.columns().is_empty(), "{file}: no columns");
    }
    Ok(())
}

#[test]
fn flipping_any_golden_cell_is_reported_by_row_and_column() -> TestResult {
    for case in cases(GOLDENS) {
        let (file, def, policy, golden) = (case.file, &case.def, &case.policy, case.golden());
        let mut flipped_cells = 0usize;
        for (i, (row, cells)) in golden.rows().enumerate() {
            for (j, (column, cell)) in golden.columns().iter().zip(cells).enumerate() {
                let other = flip(def, golden.corner(), column, cell);
                assert_ne!(&other, cell);
                let diff = policy.verify_matrix(&with_cell(&golden, i, j, &other))?;
                assert_eq!(
                    diff,
                    [CellMismatch {
                        row: row.to_string(),
                        column: column.clone(),
                        expected: other,
                        actual: cell.clone(),
                    }],
                    "{file}: flipping row `{row}`, column `{column}`"
                );
                flipped_cells += 1;
            }
        }
        assert!(flipped_cells > 0, "{file}: no cells");
    }
    Ok(())
}

#[test]
fn every_expectations_file_holds() -> TestResult {
    for case in cases(EXPECTATIONS) {
        let (file, policy, expect) = (case.file, &case.policy, case.expectations());
        let report = policy.verify(&expect)?;
        assert!(report.passed(), "{file}: {report}");
        assert_eq!(report.checked(), expect.expect.len(), "{file}");
        assert!(report.checked() > 0, "{file}: no expectations");
    }
    Ok(())
}

#[test]
fn flipping_any_expectation_is_the_one_mismatch() -> TestResult {
    for case in cases(EXPECTATIONS) {
        let (file, policy, expect) = (case.file, &case.policy, case.expectations());
        for (i, e) in expect.expect.iter().enumerate() {
            let mut flipped = expect.clone();
            flipped.expect[i].allow = !e.allow;
            let report = policy.verify(&flipped)?;
            assert_eq!(report.checked(), expect.expect.len(), "{file}");
            let got: Vec<(&str, bool)> = report
                .mismatches()
                .iter()
                .map(|m| (m.path.as_str(), m.expected))
                .collect();
            assert_eq!(
                got,
                [(format!("expect[{i}]").as_str(), !e.allow)],
                "{file}: flipping `{}`",
                e.query
            );
            let m = &report.mismatches()[0];
            assert_eq!(m.explanation.allowed(), e.allow, "{file}: {}", e.query);
        }
    }
    Ok(())
}
