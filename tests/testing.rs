//! The testing helpers themselves: every mismatch is reported with its explanation,
//! golden matrices round-trip and name every flipped cell, malformed inputs are
//! typed errors with their line or path, assertion failures explain themselves.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use accessmask::testing::{Expectations, MatrixError, Query, QueryError};
use accessmask::{Item, Matrix, Policy, PolicyDef};

fn policy() -> Policy {
    let def: PolicyDef =
        serde_json::from_str(include_str!("../examples/policies/thrive.json")).unwrap();
    Policy::compile(&def).unwrap()
}

fn small() -> Policy {
    Policy::compile(
        &serde_json::from_str::<PolicyDef>(
            r#"{
      "kinds": { "report": { "actions": ["view", "export"], "needs": { "export": ["view"] },
                              "states": ["draft", "final"],
                              "state_rules": [{ "state": "final", "hold": ["export"], "unless_roles": ["Admin"] }] } },
      "roles": { "Guest": { "grants": { "report": ["view"] } }, "Admin": { "grants": { "report": ["*"] } },
                 "Editor": { "grants": { "report": { "actions": ["view"], "own": ["export"] } } } },
      "subjects": { "gus": { "role": "Guest" }, "ann": { "role": "Admin" }, "eve": { "role": "Editor" } }
    }"#,
        )
        .unwrap(),
    )
    .unwrap()
}

#[test]
fn every_mismatch_is_reported_with_its_explanation() {
    let p = small();
    let e: Expectations = serde_json::from_str(
        r#"{"expect": [
        "gus view report => allow",
        "gus export report => allow",
        "ann export report:3 state=final => allow",
        { "query": "eve export report owner=eve", "allow": true },
        { "query": "eve export report owner=gus", "allow": true },
        "ann view report => deny"
    ]}"#,
    )
    .unwrap();
    let report = p.verify(&e).unwrap();
    assert_eq!(report.checked(), 6);
    let paths: Vec<&str> = report
        .mismatches()
        .iter()
        .map(|m| m.path.as_str())
        .collect();
    assert_eq!(paths, ["expect[1]", "expect[4]", "expect[5]"]);
    let text = report.to_string();
    assert!(text.starts_with("6 checked, 3 met, 3 not met\n"), "{text}");
    assert!(
        text.contains("expect[1]: gus export report: expected ALLOW, got DENY"),
        "{text}"
    );
    assert!(text.contains("role `Guest` gives {view}"), "{text}");
    assert!(
        text.contains("expect[4]: eve export report owner=gus: expected ALLOW, got DENY"),
        "{text}"
    );
    assert!(
        text.contains("neither the subject nor managed by it"),
        "{text}"
    );
    assert!(
        text.contains("expect[5]: ann view report: expected DENY, got ALLOW"),
        "{text}"
    );
    assert!(!report.passed());
}

#[test]
fn malformed_expectations_are_typed_errors_with_their_path() {
    let p = small();
    let cases: Vec<(&str, QueryError)> = vec![
        (
            r#"{"expect": ["gsu view report => allow"]}"#,
            QueryError::Unknown {
                path: "expect[0]".into(),
                what: Item::Subject,
                name: "gsu".into(),
                suggestion: Some("gus".into()),
            },
        ),
        (
            r#"{"expect": ["gus view report => allow", "gus veiw report => deny"]}"#,
            QueryError::Unknown {
                path: "expect[1]".into(),
                what: Item::Action,
                name: "veiw".into(),
                suggestion: Some("view".into()),
            },
        ),
        (
            r#"{"expect": ["gus view reprot => allow"]}"#,
            QueryError::Unknown {
                path: "expect[0]".into(),
                what: Item::Kind,
                name: "reprot".into(),
                suggestion: Some("report".into()),
            },
        ),
        (
            r#"{"expect": ["gus view report state=finl => allow"]}"#,
            QueryError::Unknown {
                path: "expect[0]".into(),
                what: Item::State,
                name: "finl".into(),
                suggestion: Some("final".into()),
            },
        ),
        (
            r#"{"expect": ["gus view => allow"]}"#,
            QueryError::Syntax {
                path: "expect[0]".into(),
                text: "gus view".into(),
                problem: "a query is `SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE] [owner=SUBJECT]`",
            },
        ),
        (
            r#"{"expect": ["gus view report:x => allow"]}"#,
            QueryError::IdType {
                path: "expect[0]".into(),
                kind: "report".into(),
                expected: accessmask::IdType::Number,
                id: "x".into(),
            },
        ),
        (
            r#"{"expect": ["gus view report colour=red => allow"]}"#,
            QueryError::Syntax {
                path: "expect[0]".into(),
                text: "gus view report colour=red".into(),
                problem: "after the resource come `in KIND:ID` (its ancestors, parent first), \
                          then only `state=STATE` and `owner=SUBJECT`, once each",
            },
        ),
    ];
    for (doc, expected) in cases {
        let e: Expectations = serde_json::from_str(doc).unwrap();
        assert_eq!(p.verify(&e).unwrap_err(), expected, "{doc}");
    }
    // Shapes serde rejects, with line and column.
    let err = serde_json::from_str::<Expectations>(r#"{"expect": ["gus view report => maybe"]}"#)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`maybe` is neither `allow` nor `deny` at line 1 column 38"
    );
    let err =
        serde_json::from_str::<Expectations>(r#"{"expect": ["gus view report"]}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`gus view report` has no `=> allow` or `=> deny` at line 1 column 29"
    );
    let err = serde_json::from_str::<Expectations>(r#"{"expect": [{"query": "gus view report"}]}"#)
        .unwrap_err();
    assert_eq!(err.to_string(), "missing field `allow` at line 1 column 40");
}

#[test]
fn queries_round_trip_through_text() {
    let q = Query::parse("u7 edit database:42 state=billed owner=u3", "q").unwrap();
    assert_eq!(q.id, Some(accessmask::IdDef::Number(42)));
    assert_eq!(q.state.as_deref(), Some("billed"));
    assert_eq!(q.owner.as_deref(), Some("u3"));
    assert_eq!(Query::parse(&q.to_string(), "q").unwrap(), q);
}

#[test]
fn rendered_matrices_verify_and_every_flipped_cell_is_named() {
    for p in [policy(), small()] {
        for m in [p.role_matrix(), p.level_matrix()] {
            if m.columns().is_empty() {
                continue;
            }
            let md = m.to_markdown();
            let golden = Matrix::from_markdown(&md).unwrap();
            assert_eq!(
                golden,
                Matrix::from_markdown(&golden.to_markdown()).unwrap()
            );
            assert!(p.verify_matrix(&golden).unwrap().is_empty());
            // Flip each cell in the Markdown text itself and expect exactly that cell.
            let lines: Vec<&str> = md.lines().collect();
            for (li, line) in lines.iter().enumerate().skip(2) {
                let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
                for ci in 1..cells.len() {
                    let mut flipped_cells: Vec<String> =
                        cells.iter().map(|c| c.to_string()).collect();
                    flipped_cells[ci] = if cells[ci] == "Y" {
                        "-".into()
                    } else {
                        "Y".into()
                    };
                    let mut flipped: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                    flipped[li] = format!("| {} |", flipped_cells.join(" | "));
                    let golden = Matrix::from_markdown(&flipped.join("\n")).unwrap();
                    let diffs = p.verify_matrix(&golden).unwrap();
                    assert_eq!(diffs.len(), 1, "{}", flipped[li]);
                    assert_eq!(diffs[0].row, cells[0]);
                    assert_eq!(diffs[0].column, m.columns()[ci - 1]);
                    assert_eq!(diffs[0].expected, flipped_cells[ci]);
                    assert_eq!(diffs[0].actual, cells[ci]);
                }
            }
        }
    }
}

#[test]
fn a_golden_subset_is_enough() {
    let p = small();
    let golden =
        Matrix::from_markdown("\n| action | Admin |\n|---|---|\n| report.export | Y |\n\n")
            .unwrap();
    assert!(p.verify_matrix(&golden).unwrap().is_empty());
    let golden =
        Matrix::from_markdown("| action | Editor |\n|---|---|\n| report.export | Y |\n").unwrap();
    assert_eq!(
        p.verify_matrix(&golden).unwrap()[0].to_string(),
        "row `report.export`, column `Editor`: expected `Y`, got `own`"
    );
}

#[test]
fn malformed_golden_matrices_are_typed_errors_with_their_line() {
    let p = small();
    let cases: Vec<(&str, MatrixError)> = vec![
        (
            "",
            MatrixError::Syntax {
                line: 1,
                problem: "no table",
            },
        ),
        (
            "action | Admin",
            MatrixError::Syntax {
                line: 1,
                problem: "a table row starts and ends with `|`",
            },
        ),
        (
            "| action | Admin |\n| report.view | Y |",
            MatrixError::Syntax {
                line: 2,
                problem: "the header is not followed by a `|---|` rule as wide as it",
            },
        ),
        (
            "| action | Admin |\n|---|---|\n| report.view | Y | - |",
            MatrixError::Width {
                line: 3,
                expected: 2,
                found: 3,
            },
        ),
        (
            "| action | Admin |\n|---|---|\nreport.view | Y",
            MatrixError::Syntax {
                line: 3,
                problem: "a table row starts and ends with `|`",
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(Matrix::from_markdown(text).unwrap_err(), expected, "{text}");
    }
    let unknown_col = Matrix::from_markdown("| action | Admn |\n|---|---|\n").unwrap();
    assert_eq!(
        p.verify_matrix(&unknown_col).unwrap_err().to_string(),
        "line 1: the policy has no column `Admn` (did you mean `Admin`?)"
    );
    let unknown_row = Matrix::from_markdown(
        "| action | Admin |\n|---|---|\n| report.view | Y |\n| report.print | Y |\n",
    )
    .unwrap();
    assert_eq!(
        p.verify_matrix(&unknown_row).unwrap_err().to_string(),
        "line 4: the policy has no row `report.print`"
    );
    let corner = Matrix::from_markdown("| role | Admin |\n|---|---|\n").unwrap();
    assert_eq!(
        p.verify_matrix(&corner).unwrap_err().to_string(),
        "line 1: corner `role` is neither `action` (roles x actions) nor `subject` (subjects x levels)"
    );
}

#[test]
fn assertion_helpers_pass_and_explain_failures() {
    let p = small();
    accessmask::assert_can!(p, "ann export report:1 state=final");
    accessmask::assert_cannot!(p, "gus export report:1");
    let failure =
        std::panic::catch_unwind(|| accessmask::assert_can!(small(), "gus export report:1"))
            .unwrap_err();
    let msg = failure.downcast_ref::<String>().unwrap();
    assert!(msg.contains("query:    gus export report:1"), "{msg}");
    assert!(msg.contains("expected: ALLOW"), "{msg}");
    assert!(msg.contains("actual:   DENY"), "{msg}");
    assert!(msg.contains("role `Guest` gives {view}"), "{msg}");
    let failure =
        std::panic::catch_unwind(|| accessmask::assert_cannot!(small(), "nobody view report"))
            .unwrap_err();
    let msg = failure.downcast_ref::<String>().unwrap();
    assert_eq!(
        msg,
        "cannot check `nobody view report`: query: unknown subject `nobody`"
    );
}
