//! The `accessmask` binary (feature `cli`) as a user runs it: the no-argument
//! tour, a good document with queries, JSON and TOML, the CI checks
//! (`--expect`, `--golden`) against every seed's files in `tests/data/`, and
//! every kind of bad input, each with its exit code (0 ok, 1 invalid document or
//! file, 2 bad query or usage, 3 a check not met) and never a panic.
//!
//! Cargo builds the binary before this test and names it in
//! `CARGO_BIN_EXE_accessmask`.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A test's outcome: `Err` says what went wrong around the assertions.
type TestResult = Result<(), String>;

/// What one run printed, and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit code\n--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "the tool panicked:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    fn stdout_has_line(&self, line: &str) -> &Self {
        assert!(
            self.stdout.lines().any(|l| l == line),
            "stdout lacks the line {line:?}:\n{}",
            self.stdout
        );
        self
    }

    #[track_caller]
    fn stderr_has_line(&self, line: &str) -> &Self {
        assert!(
            self.stderr.lines().any(|l| l == line),
            "stderr lacks the line {line:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    fn stderr_contains(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}:\n{}",
            self.stderr
        );
        self
    }
}

fn check(args: &[&str]) -> Result<Run, String> {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_accessmask"))
        .args(args)
        .output()
        .map_err(|e| format!("running accessmask: {e}"))?;
    Ok(Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// A document written to a file of its own in the temp dir, removed on drop.
struct TempDoc(PathBuf);

impl TempDoc {
    /// A `.json` file.
    fn new(name: &str, text: &str) -> Result<TempDoc, String> {
        TempDoc::named(&format!("{name}.json"), text)
    }

    /// A file whose name ends with `name` (with its extension).
    fn named(name: &str, text: &str) -> Result<TempDoc, String> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "accessmask-cli-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
        let doc = TempDoc(path);
        doc.0
            .to_str()
            .ok_or_else(|| format!("{} is not UTF-8", doc.0.display()))?;
        Ok(doc)
    }

    fn path(&self) -> &str {
        // Checked to be UTF-8 by `new`.
        self.0.to_str().unwrap_or_default()
    }
}

impl Drop for TempDoc {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Levels, states, a state rule, a toggle, scoped grants and an exception.
const GOOD: &str = r#"{
  "kinds": {
    "journey": {
      "actions": ["view", "edit"],
      "needs": { "edit": ["view"] }
    },
    "estimate": {
      "actions": ["view", "edit", "approve"],
      "needs": { "edit": ["view"], "approve": ["view"] },
      "levels": {
        "No access": [],
        "Can view": ["view"],
        "Can edit": ["view", "edit"]
      },
      "states": ["draft", "billed"],
      "state_rules": [{ "state": "billed", "hold": ["edit"], "unless_roles": ["Admin"] }]
    }
  },
  "roles": {
    "Admin": { "grants": { "journey": ["*"], "estimate": ["*"] } },
    "Member": {
      "grants": {
        "journey": { "actions": ["view"], "own": ["edit"] },
        "estimate": { "level": "Can edit" }
      },
      "exceptions": [{ "kind": "journey", "id": 9, "allow": ["edit"] }]
    }
  },
  "toggles": {
    "Approver": { "grants": { "estimate": ["approve"] } }
  },
  "subjects": {
    "ann": { "role": "Admin" },
    "bob": { "role": "Member" },
    "cyd": { "role": "Member", "toggles": ["Approver"], "levels": { "estimate": "Can view" } }
  }
}"#;

#[test]
fn no_arguments_runs_the_tour() -> TestResult {
    let run = check(&[])?;
    run.assert_code(0);
    assert!(run.stdout.contains("Roles x actions"), "{}", run.stdout);
    assert!(
        run.stdout.lines().any(|l| l.starts_with("ALLOW ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with("DENY ")),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    Ok(())
}

#[test]
fn the_tour_in_markdown() -> TestResult {
    let run = check(&["--markdown"])?;
    run.assert_code(0);
    assert!(
        run.stdout.contains("| action | Administrator |"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("```text\nALLOW "), "{}", run.stdout);
    Ok(())
}

#[test]
fn help_explains_the_query_convention() -> TestResult {
    for flag in ["--help", "-h"] {
        let run = check(&[flag])?;
        run.assert_code(0);
        assert!(run.stdout.contains("Usage:"), "{}", run.stdout);
        assert!(
            run.stdout.contains("SUBJECT ACTION KIND[:ID]"),
            "{}",
            run.stdout
        );
    }
    Ok(())
}

#[test]
fn a_good_document_answers_its_queries() -> TestResult {
    let doc = TempDoc::new("good", GOOD)?;
    let run = check(&[
        doc.path(),
        "ann edit journey:1",
        "bob edit journey:1",
        "bob edit journey:1 owner=bob",
        "bob edit journey:9",
        "bob edit estimate:3 state=draft",
        "bob edit estimate:3 state=billed",
        "ann edit estimate:3 state=billed",
        "cyd edit estimate",
        "cyd approve estimate",
    ])?;
    run.assert_code(0)
        .stdout_has_line(&format!(
            "{}: ok (2 kinds, 2 roles, 1 toggle, 3 subjects)",
            doc.path()
        ))
        .stdout_has_line("ALLOW ann edit journey:1")
        .stdout_has_line("DENY bob edit journey:1")
        .stdout_has_line("ALLOW bob edit journey:1 owner=bob")
        .stdout_has_line("ALLOW bob edit journey:9")
        .stdout_has_line("ALLOW bob edit estimate:3 state=draft")
        .stdout_has_line("DENY bob edit estimate:3 state=billed")
        .stdout_has_line("ALLOW ann edit estimate:3 state=billed")
        .stdout_has_line("DENY cyd edit estimate")
        .stdout_has_line("ALLOW cyd approve estimate");
    // Both matrices, with the cells the document implies.
    let matrix_line = |prefix: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
    };
    assert_eq!(
        matrix_line("journey.edit"),
        Some(vec!["journey.edit", "Y", "own"])
    );
    assert_eq!(matrix_line("cyd "), Some(vec!["cyd", "custom"]));
    assert_eq!(matrix_line("bob "), Some(vec!["bob", "Can", "edit"]));
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    Ok(())
}

#[test]
fn queries_as_separate_words_split_by_double_dash() -> TestResult {
    let doc = TempDoc::new("words", GOOD)?;
    let run = check(&[
        "--no-matrices",
        doc.path(),
        "bob",
        "edit",
        "journey:1",
        "owner=ann",
        "--",
        "ann",
        "view",
        "estimate",
    ])?;
    run.assert_code(0)
        .stdout_has_line("DENY bob edit journey:1 owner=ann")
        .stdout_has_line("ALLOW ann view estimate");
    assert!(!run.stdout.contains("Roles x actions"), "{}", run.stdout);
    Ok(())
}

#[test]
fn queries_ask_the_embedded_policy_only_when_told() -> TestResult {
    check(&["--embedded", "alma edit database:42"])?
        .assert_code(0)
        .stdout_has_line("ALLOW alma edit database:42");
    check(&["alma edit database:42"])?
        .assert_code(2)
        .stderr_has_line(
            "error: no policy: give POLICY (a .json or .toml file, or `-`) before the \
             queries and checks, or `--embedded` for the embedded Magnews policy",
        );
    Ok(())
}

#[test]
fn a_mistyped_policy_file_exits_1_and_is_never_a_query() -> TestResult {
    let dir = std::env::temp_dir();
    let sep = std::path::MAIN_SEPARATOR;
    let missing = format!(
        "{}{sep}accessmask-cli-{}-thrive.jsn",
        dir.display(),
        std::process::id()
    );
    // A path separator makes it a file; so does a `.json` or `.toml` ending.
    for name in [
        missing.as_str(),
        "thrive-missing.json",
        "thrive-missing.toml",
    ] {
        check(&[name, "ana view tracking"])?
            .assert_code(1)
            .stderr_contains(&format!("error: {name}: "));
    }
    // A second file after the policy, or a file among the queries.
    check(&[THRIVE, "ana view tracking", "nope/thrive.json"])?
        .assert_code(1)
        .stderr_has_line("error: nope/thrive.json: no such file");
    check(&[THRIVE, THRIVE])?
        .assert_code(2)
        .stderr_contains("only one POLICY");
    Ok(())
}

#[test]
fn an_unknown_kind_in_the_document_exits_1_with_its_path() -> TestResult {
    let doc = TempDoc::new(
        "typo",
        r#"{
          "kinds": { "journey": { "actions": ["view"] } },
          "roles": { "X": { "grants": { "jouney": ["view"] } } }
        }"#,
    )?;
    let run = check(&[doc.path(), "x view journey"])?;
    run.assert_code(1).stderr_has_line(&format!(
        "error: {}:3:41: roles.X.grants.jouney: unknown kind `jouney` (did you mean `journey`?)",
        doc.path()
    ));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    Ok(())
}

#[test]
fn malformed_json_exits_1_with_line_and_column() -> TestResult {
    let text = "{\n  \"kinds\": {\n    \"journey\": { \"actions\": [\"view\" }\n  }\n}\n";
    let err = serde_json::from_str::<accessmask::PolicyDef>(text)
        .err()
        .ok_or("the text should be malformed")?;
    let doc = TempDoc::new("malformed", text)?;
    let run = check(&[doc.path()])?;
    run.assert_code(1).stderr_contains(&format!(
        "error: {}:{}:{}: ",
        doc.path(),
        err.line(),
        err.column()
    ));
    assert_eq!(err.line(), 3);
    Ok(())
}

#[test]
fn a_wrongly_typed_document_exits_1_with_line_and_column() -> TestResult {
    let doc = TempDoc::new(
        "typed",
        "{\n  \"kinds\": {\n    \"journey\": { \"actions\": 3 }\n  }\n}\n",
    )?;
    let run = check(&[doc.path()])?;
    run.assert_code(1)
        .stderr_contains(&format!("error: {}:3:", doc.path()))
        .stderr_contains("invalid type");
    Ok(())
}

#[test]
fn a_missing_file_exits_1() -> TestResult {
    let missing = std::env::temp_dir().join(format!(
        "accessmask-cli-{}-does-not-exist.json",
        std::process::id()
    ));
    let missing = missing.to_str().ok_or("a UTF-8 temp path")?;
    check(&[missing])?
        .assert_code(1)
        .stderr_contains(&format!("error: {missing}: "));
    Ok(())
}

#[test]
fn an_unknown_subject_in_a_query_exits_2_with_a_suggestion() -> TestResult {
    let doc = TempDoc::new("subject", GOOD)?;
    let run = check(&[doc.path(), "ann view journey", "bbo view journey"])?;
    run.assert_code(2)
        .stderr_has_line("error: query 2: unknown subject `bbo` (did you mean `bob`?)");
    // Queries are checked before anything is printed; a misspelt name needs no
    // pointer to --help.
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(!run.stderr.contains("--help"), "{}", run.stderr);
    Ok(())
}

#[test]
fn every_bad_query_is_listed_by_its_place() -> TestResult {
    let doc = TempDoc::new("several", GOOD)?;
    let run = check(&[
        doc.path(),
        "bbo view journey",
        "ann view journey",
        "ann",
        "view",
        "--",
        "ann view jorney",
    ])?;
    run.assert_code(2)
        .stderr_has_line("error: query 1: unknown subject `bbo` (did you mean `bob`?)")
        .stderr_has_line(
            "error: query 3: cannot read `ann view`: \
             a query is `SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE] [owner=SUBJECT]`",
        )
        .stderr_has_line("error: query 4: unknown kind `jorney` (did you mean `journey`?)")
        .stderr_has_line("(run with --help for usage)");
    assert_eq!(run.stderr.lines().count(), 4, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    Ok(())
}

#[test]
fn every_unknown_name_in_a_query_exits_2_naming_it() -> TestResult {
    let doc = TempDoc::new("names", GOOD)?;
    // The library's messages; where it has no near miss to suggest, the CLI adds
    // what the policy has instead.
    let cases = [
        (
            "ann veiw journey",
            "unknown action `veiw` (did you mean `view`?)",
        ),
        (
            "ann approve journey",
            "unknown action `approve` (it is an action of `estimate`; `journey` has `view`, `edit`)",
        ),
        (
            "ann view jorney:1",
            "unknown kind `jorney` (did you mean `journey`?)",
        ),
        ("ann view page", "unknown kind `page` (known: `journey`, `estimate`)"),
        (
            "ann edit estimate state=biled",
            "unknown state `biled` (did you mean `billed`?)",
        ),
        (
            "ann edit estimate state=sent",
            "unknown state `sent` (`estimate` has `draft`, `billed`)",
        ),
        (
            "ann edit journey state=billed",
            "unknown state `billed` (`journey` has no states)",
        ),
        (
            "ann edit journey owner=cid",
            "unknown subject `cid` (did you mean `cyd`?)",
        ),
        (
            "zed view journey",
            "unknown subject `zed` (known: `ann`, `bob`, `cyd`)",
        ),
        (
            "ann view journey:seven",
            "kind `journey` has number ids, and `seven` is not one",
        ),
        (
            "ann view journey color=red",
            "cannot read `ann view journey color=red`: \
             after the resource come `in KIND:ID` (its ancestors, parent first), \
             then only `state=STATE` and `owner=SUBJECT`, once each",
        ),
        (
            "ann view",
            "cannot read `ann view`: a query is `SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE] [owner=SUBJECT]`",
        ),
    ];
    for (query, message) in cases {
        check(&[doc.path(), query])?
            .assert_code(2)
            .stderr_has_line(&format!("error: query 1: {message}"));
    }
    Ok(())
}

#[test]
fn an_unknown_option_exits_2() -> TestResult {
    check(&["--frobnicate"])?
        .assert_code(2)
        .stderr_has_line("error: unknown option `--frobnicate`");
    Ok(())
}

#[test]
fn help_documents_the_checks_and_exit_code_3() -> TestResult {
    let run = check(&["--help"])?;
    run.assert_code(0);
    for text in [
        "--expect FILE.json",
        "--golden FILE.md",
        "--print WHICH",
        "--matrices",
        "  3  some expectation or golden cell is not met",
    ] {
        assert!(
            run.stdout.contains(text),
            "help lacks {text:?}:\n{}",
            run.stdout
        );
    }
    Ok(())
}

/// The Thrive policy and the checks kept for it under `tests/data/`.
const THRIVE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policies/thrive.json");
const THRIVE_EXPECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/thrive.expect.json");
const THRIVE_ROLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/thrive.roles.md");

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))
}

#[test]
fn expectations_and_a_golden_that_hold_exit_0() -> TestResult {
    let run = check(&[THRIVE, "--expect", THRIVE_EXPECT, "--golden", THRIVE_ROLES])?;
    run.assert_code(0)
        .stdout_has_line(&format!(
            "{THRIVE}: ok (5 kinds, 2 roles, 0 toggles, 6 subjects)"
        ))
        .stdout_has_line(&format!("{THRIVE_EXPECT}: 12 checked, 12 met, 0 not met"))
        .stdout_has_line(&format!(
            "{THRIVE_ROLES}: 30 cells checked, 30 met, 0 not met"
        ))
        .stdout_has_line("12 of 12 expectations met, 30 of 30 golden cells met");
    // When checking, the matrices are printed only on request.
    assert!(!run.stdout.contains("Roles x actions"), "{}", run.stdout);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let run = check(&[
        "--matrices",
        "--golden",
        THRIVE_ROLES,
        THRIVE,
        "ben view tracking",
    ])?;
    run.assert_code(0)
        .stdout_has_line("ALLOW ben view tracking")
        .stdout_has_line("30 of 30 golden cells met");
    assert!(run.stdout.contains("Roles x actions"), "{}", run.stdout);
    Ok(())
}

#[test]
fn the_golden_is_the_role_matrix_the_cli_prints() -> TestResult {
    let golden = read(THRIVE_ROLES)?;
    let run = check(&[THRIVE, "--print", "roles"])?;
    run.assert_code(0);
    assert_eq!(run.stdout, golden);
    // The same table as in the --markdown report.
    let run = check(&[THRIVE, "--markdown"])?;
    run.assert_code(0);
    assert!(run.stdout.contains(&golden), "{}", run.stdout);
    Ok(())
}

#[test]
fn a_wrong_expectation_exits_3_with_its_path_and_explanation() -> TestResult {
    let text = read(THRIVE_EXPECT)?;
    let wrong = text.replace(
        "\"ben edit tracking => deny\"",
        "\"ben edit tracking => allow\"",
    );
    assert_ne!(
        wrong, text,
        "the data file changed: pick another expectation"
    );
    let doc = TempDoc::named("wrong.expect.json", &wrong)?;
    let run = check(&[THRIVE, "--expect", doc.path()])?;
    run.assert_code(3)
        .stdout_has_line(&format!("{}: 12 checked, 11 met, 1 not met", doc.path()))
        .stdout_has_line("expect[4]: ben edit tracking: expected ALLOW, got DENY")
        .stdout_has_line("    DENY ben edit tracking")
        .stdout_has_line(
            "     * 3. level `Read Only Access` on `tracking` replaces the role's set \
             with {view}: removes {edit}",
        )
        .stdout_has_line("11 of 12 expectations met")
        .stderr_has_line("error: not met: 1 expectation");
    Ok(())
}

#[test]
fn a_flipped_golden_cell_exits_3_naming_row_and_column() -> TestResult {
    let text = read(THRIVE_ROLES)?;
    let flipped = text.replace("| tracking.edit | Y | - |", "| tracking.edit | Y | Y |");
    assert_ne!(flipped, text, "the data file changed: pick another cell");
    let doc = TempDoc::named("flipped.roles.md", &flipped)?;
    let run = check(&[THRIVE, "--golden", doc.path()])?;
    run.assert_code(3)
        .stdout_has_line(&format!(
            "{}: 30 cells checked, 29 met, 1 not met",
            doc.path()
        ))
        .stdout_has_line("row `tracking.edit`, column `User`: expected `Y`, got `-`")
        .stderr_has_line("error: not met: 1 golden cell");
    Ok(())
}

#[test]
fn a_levels_golden_round_trips_and_a_flipped_level_is_named() -> TestResult {
    let run = check(&[THRIVE, "--print", "levels"])?;
    run.assert_code(0);
    let golden = TempDoc::named("levels.md", &run.stdout)?;
    check(&[THRIVE, "--golden", golden.path()])?
        .assert_code(0)
        .stdout_has_line("18 of 18 golden cells met");
    let flipped = run.stdout.replace(
        "| ben | Read Only Access | Read Only Access |",
        "| ben | Read Only Access | Full Access |",
    );
    assert_ne!(flipped, run.stdout);
    let flipped = TempDoc::named("levels-flipped.md", &flipped)?;
    // Checks may be repeated; each reports on its own.
    check(&[
        THRIVE,
        "--golden",
        golden.path(),
        &format!("--golden={}", flipped.path()),
    ])?
    .assert_code(3)
    .stdout_has_line("row `ben`, column `tracking`: expected `Full Access`, got `Read Only Access`")
    .stdout_has_line("35 of 36 golden cells met");
    Ok(())
}

#[test]
fn checks_run_on_the_embedded_policy_with_embedded() -> TestResult {
    let expect = TempDoc::named(
        "magnews.expect.json",
        r#"{"expect": ["eddie send communication:12 => allow",
                       {"query": "desi send communication:12", "allow": false}]}"#,
    )?;
    let roles = check(&["--embedded", "--print", "roles"])?;
    roles.assert_code(0);
    assert!(roles.stdout.starts_with("| action | Administrator |"));
    let golden = TempDoc::named("magnews.roles.md", &roles.stdout)?;
    let run = check(&[
        "--embedded",
        "--expect",
        expect.path(),
        "--golden",
        golden.path(),
    ])?;
    run.assert_code(0);
    // Not pinned to the embedded policy's size, which may grow.
    assert!(
        run.stdout
            .starts_with("examples/policies/magnews.json: ok ("),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("2 of 2 expectations met, ")),
        "{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn malformed_expectations_exit_1_with_line_and_column() -> TestResult {
    let text = "{\n  \"expect\": [\n    \"ana view tracking => allow\"\n    \"ben view tracking => allow\"\n  ]\n}\n";
    let err = serde_json::from_str::<accessmask::testing::Expectations>(text)
        .err()
        .ok_or("the text should be malformed")?;
    assert_eq!((err.line(), err.column()), (4, 5));
    let doc = TempDoc::named("malformed.expect.json", text)?;
    let run = check(&[THRIVE, "--expect", doc.path()])?;
    run.assert_code(1)
        .stderr_has_line(&format!("error: {}:4:5: expected `,` or `]`", doc.path()));
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    // A well-formed document with a decision that is neither allow nor deny.
    let doc = TempDoc::named(
        "typed.expect.json",
        "{\n  \"expect\": [\n    \"ana view tracking => maybe\"\n  ]\n}\n",
    )?;
    check(&[THRIVE, "--expect", doc.path()])?
        .assert_code(1)
        .stderr_has_line(&format!(
            "error: {}:3:32: `maybe` is neither `allow` nor `deny`",
            doc.path()
        ));
    Ok(())
}

#[test]
fn expectations_naming_unknown_things_exit_1_with_every_path() -> TestResult {
    let doc = TempDoc::named(
        "names.expect.json",
        r#"{"expect": ["ana view tracking => allow", "zed view tracking => deny",
                       "ana veiw tracking => deny", "ana view => deny"]}"#,
    )?;
    let run = check(&[THRIVE, "--expect", doc.path()])?;
    let p = doc.path();
    run.assert_code(1)
        .stderr_has_line(&format!(
            "error: {p}: expect[1]: unknown subject `zed` \
             (known: `ana`, `ben`, `cal`, `dee`, `eli`, `uma`)"
        ))
        .stderr_has_line(&format!(
            "error: {p}: expect[2]: unknown action `veiw` (did you mean `view`?)"
        ))
        .stderr_has_line(&format!(
            "error: {p}: expect[3]: cannot read `ana view`: \
             a query is `SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE] [owner=SUBJECT]`"
        ));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    Ok(())
}

#[test]
fn a_bad_golden_row_exits_1_with_its_line() -> TestResult {
    let text = read(THRIVE_ROLES)?;
    // Line 8 is `tracking.view`: one cell short, then a row the policy lacks.
    let short = text.replace("| tracking.view | Y | - |", "| tracking.view | Y |");
    assert_ne!(short, text);
    let doc = TempDoc::named("short.roles.md", &short)?;
    let run = check(&[THRIVE, "--golden", doc.path()])?;
    run.assert_code(1).stderr_has_line(&format!(
        "error: {}: line 8: 2 cells, the header has 3",
        doc.path()
    ));
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    let unknown = text.replace("| tracking.view |", "| tracking.look |");
    let doc = TempDoc::named("unknown.roles.md", &unknown)?;
    check(&[THRIVE, "--golden", doc.path()])?
        .assert_code(1)
        .stderr_has_line(&format!(
            "error: {}: line 8: the policy has no row `tracking.look`",
            doc.path()
        ));
    Ok(())
}

#[test]
fn a_missing_check_file_exits_1_naming_it() -> TestResult {
    let missing = std::env::temp_dir().join(format!(
        "accessmask-cli-{}-no-such.roles.md",
        std::process::id()
    ));
    let missing = missing.to_str().ok_or("a UTF-8 temp path")?;
    check(&[THRIVE, "--golden", missing])?
        .assert_code(1)
        .stderr_contains(&format!("error: {missing}: "));
    Ok(())
}

#[test]
fn bad_check_options_exit_2() -> TestResult {
    let cases: [(&[&str], &str); 5] = [
        (
            &["--expect"],
            "error: `--expect` needs an expectations file (FILE.json)",
        ),
        (
            &["--golden", "--markdown"],
            "error: `--golden` needs a golden matrix file (FILE.md)",
        ),
        (
            &["--print", "users"],
            "error: `--print users`: expected `roles` or `levels`",
        ),
        (
            &["--print", "roles", "ana view tracking"],
            "error: `--print` prints one matrix and nothing else: \
             give it no queries, checks, `--matrices` or `--no-matrices`",
        ),
        (
            &["--matrices", "--no-matrices"],
            "error: `--matrices` and `--no-matrices` contradict each other",
        ),
    ];
    for (args, message) in cases {
        check(args)?.assert_code(2).stderr_has_line(message);
    }
    Ok(())
}

/// Every seed: (policy, expectations files, golden files), as kept in
/// `examples/policies/` and `tests/data/`.
const SEEDS: &[(&str, &[&str], &[&str])] = &[
    (
        "real_magnet",
        &["real_magnet.expect.json"],
        &["real_magnet.roles.md", "real_magnet.levels.md"],
    ),
    ("magnews", &["magnews.expect.json"], &["magnews.roles.md"]),
    (
        "thrive",
        &["thrive.expect.json", "thrive.tables.expect.json"],
        &["thrive.roles.md", "thrive.levels.md"],
    ),
    (
        "magnetic",
        &["magnetic.expect.json"],
        &["magnetic.roles.md", "magnetic.levels.md"],
    ),
];

#[test]
fn every_seed_meets_its_expectations_and_goldens() -> TestResult {
    let root = env!("CARGO_MANIFEST_DIR");
    for (seed, expects, goldens) in SEEDS {
        let policy = format!("{root}/examples/policies/{seed}.json");
        let mut args = vec![policy.clone()];
        for e in *expects {
            args.push("--expect".into());
            args.push(format!("{root}/tests/data/{e}"));
        }
        for g in *goldens {
            args.push("--golden".into());
            args.push(format!("{root}/tests/data/{g}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = check(&args)?;
        run.assert_code(0);
        let last = run.stdout.lines().last().unwrap_or_default().to_string();
        assert!(
            last.contains("expectations met") && last.contains("golden cells met"),
            "{seed}: {last}"
        );
        // met == checked in the summary: `N of N ...`.
        for part in last.split(", ") {
            let words: Vec<&str> = part.split_whitespace().collect();
            assert_eq!(words.first(), words.get(2), "{seed}: {last}");
        }
        assert!(run.stderr.is_empty(), "{seed}: {}", run.stderr);
        // Each golden is what --print prints.
        for g in *goldens {
            let which = if g.ends_with(".roles.md") {
                "roles"
            } else {
                "levels"
            };
            let printed = check(&[&policy, "--print", which])?;
            printed.assert_code(0);
            assert_eq!(
                printed.stdout,
                read(&format!("{root}/tests/data/{g}"))?,
                "{g}"
            );
        }
    }
    Ok(())
}

/// `GOOD`, in TOML.
const GOOD_TOML: &str = r#"
[kinds.journey]
actions = ["view", "edit"]
needs = { edit = ["view"] }

[kinds.estimate]
actions = ["view", "edit", "approve"]
needs = { edit = ["view"], approve = ["view"] }
levels = { "No access" = [], "Can view" = ["view"], "Can edit" = ["view", "edit"] }
states = ["draft", "billed"]
state_rules = [{ state = "billed", hold = ["edit"], unless_roles = ["Admin"] }]

[roles.Admin.grants]
journey = ["*"]
estimate = ["*"]

[roles.Member]
grants = { journey = { actions = ["view"], own = ["edit"] }, estimate = { level = "Can edit" } }
exceptions = [{ kind = "journey", id = 9, allow = ["edit"] }]

[toggles.Approver.grants]
estimate = ["approve"]

[subjects.ann]
role = "Admin"

[subjects.bob]
role = "Member"

[subjects.cyd]
role = "Member"
toggles = ["Approver"]
levels = { estimate = "Can view" }
"#;

#[test]
fn a_toml_document_answers_as_its_json_twin() -> TestResult {
    let json = TempDoc::new("twin", GOOD)?;
    let toml = TempDoc::named("twin.toml", GOOD_TOML)?;
    let queries = [
        "ann edit journey:1",
        "bob edit journey:1 owner=bob",
        "bob edit estimate:3 state=billed",
        "cyd approve estimate",
    ];
    let mut a = vec![json.path()];
    a.extend(queries);
    let mut b = vec![toml.path()];
    b.extend(queries);
    let (a, b) = (check(&a)?, check(&b)?);
    a.assert_code(0);
    b.assert_code(0)
        .stdout_has_line(&format!(
            "{}: ok (2 kinds, 2 roles, 1 toggle, 3 subjects)",
            toml.path()
        ))
        .stdout_has_line("ALLOW bob edit journey:1 owner=bob")
        .stdout_has_line("DENY bob edit estimate:3 state=billed");
    // Everything after the first line is the same.
    let rest = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(rest(&a.stdout), rest(&b.stdout));
    // A name without .toml is read as TOML when it does not start with `{`.
    let plain = TempDoc::named("twin.policy", GOOD_TOML)?;
    check(&[plain.path(), "ann view journey"])?
        .assert_code(0)
        .stdout_has_line("ALLOW ann view journey");
    Ok(())
}

#[test]
fn bad_toml_exits_1_with_line_and_column() -> TestResult {
    let doc = TempDoc::named("bad.toml", "[kinds.journey]\nactions = 3\n")?;
    check(&[doc.path()])?
        .assert_code(1)
        .stderr_contains(&format!("error: {}:2:11: invalid type", doc.path()));
    let doc = TempDoc::named(
        "unknown.toml",
        "[kinds.journey]\nactions = [\"view\"]\n\n[roles.X.grants]\njouney = [\"view\"]\n",
    )?;
    check(&[doc.path()])?
        .assert_code(1)
        .stderr_has_line(&format!(
            "error: {}:5:1: roles.X.grants.jouney: unknown kind `jouney` (did you mean `journey`?)",
            doc.path()
        ));
    Ok(())
}

#[test]
fn every_problem_of_a_document_is_listed_with_its_place() -> TestResult {
    let doc = TempDoc::new(
        "many",
        r#"{
  "kinds": { "journey": { "actions": ["view", "edit"] } },
  "roles": {
    "A": { "grants": { "jouney": ["view"] } },
    "B": { "grants": { "journey": ["veiw"] } }
  },
  "subjects": { "ann": { "role": "Bx" } }
}"#,
    )?;
    let p = doc.path();
    let run = check(&[p])?;
    run.assert_code(1)
        .stderr_has_line(&format!(
            "error: {p}:4:24: roles.A.grants.jouney: unknown kind `jouney` (did you mean `journey`?)"
        ))
        .stderr_has_line(&format!(
            "error: {p}:5:24: roles.B.grants.journey.actions[0]: unknown action `veiw` (did you mean `view`?)"
        ))
        .stderr_has_line(&format!(
            "error: {p}:7:26: subjects.ann.role: unknown role `Bx` (did you mean `B`?)"
        ));
    assert_eq!(run.stderr.lines().count(), 3, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    Ok(())
}

#[test]
fn an_empty_policy_compiles_with_a_warning() -> TestResult {
    let doc = TempDoc::new("empty", "{}")?;
    let run = check(&[doc.path()])?;
    run.assert_code(0)
        .stdout_has_line(&format!(
            "{}: ok (0 kinds, 0 roles, 0 toggles, 0 subjects)",
            doc.path()
        ))
        .stderr_has_line(&format!(
            "warning: {}: the policy is empty (no kinds, roles or subjects): it allows nothing",
            doc.path()
        ));
    Ok(())
}

#[test]
fn verbose_shows_every_step() -> TestResult {
    let doc = TempDoc::new("verbose", GOOD)?;
    let plain = check(&[
        doc.path(),
        "--no-matrices",
        "ann edit estimate:3 state=draft",
    ])?;
    plain.assert_code(0);
    let verbose = check(&[
        doc.path(),
        "--no-matrices",
        "--verbose",
        "ann edit estimate:3 state=draft",
    ])?;
    verbose.assert_code(0);
    assert!(
        plain.stdout.lines().count() <= verbose.stdout.lines().count(),
        "{}\n{}",
        plain.stdout,
        verbose.stdout
    );
    Ok(())
}

/// Three nested kinds (org > repo > pull_request; repo with string ids), rules
/// written in ancestors and a prerequisite on the repository, with the
/// expectations kept for it.
const CONTAINMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/containment.json");
const CONTAINMENT_EXPECT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/containment.expect.json"
);

#[test]
fn queries_name_ancestors_with_in_and_string_ids() -> TestResult {
    let run = check(&[
        CONTAINMENT,
        "--no-matrices",
        "dan merge pull_request:700 in repo:acme/api in org:1",
        "dan merge pull_request:700 in repo:acme/api in org:2",
        r#"dan merge pull_request:701 in repo:"acme web" in org:1"#,
        "dan merge pull_request:702",
        "ria push repo:acme/api",
    ])?;
    run.assert_code(0)
        .stdout_has_line("ALLOW dan merge pull_request:700 in repo:acme/api in org:1")
        .stdout_has_line("DENY dan merge pull_request:700 in repo:acme/api in org:2")
        .stdout_has_line("DENY dan merge pull_request:702")
        .stdout_has_line("ALLOW ria push repo:acme/api");
    // The rule written in the repository, found through the quoted id.
    assert!(
        run.stdout.contains(
            "subject `dan`'s exception on pull_request in repo \"acme web\" denies {merge}"
        ),
        "{}",
        run.stdout
    );
    // As separate words: `repo:acme/api` has a `/` but is a query word, not a
    // file; a quoted id with a space is one word.
    let run = check(&[
        CONTAINMENT,
        "--no-matrices",
        "dan",
        "merge",
        "pull_request:700",
        "in",
        "repo:acme/api",
        "in",
        "org:1",
        "--",
        "dan",
        "merge",
        "pull_request:701",
        "in",
        r#"repo:"acme web""#,
    ])?;
    run.assert_code(0)
        .stdout_has_line("ALLOW dan merge pull_request:700 in repo:acme/api in org:1");
    assert!(
        run.stdout.contains("in repo \"acme web\" denies {merge}"),
        "{}",
        run.stdout
    );
    // The expectations kept with the policy.
    check(&[CONTAINMENT, "--expect", CONTAINMENT_EXPECT])?
        .assert_code(0)
        .stdout_has_line("13 of 13 expectations met");
    Ok(())
}

#[test]
fn bad_ancestors_and_ids_exit_2_naming_them() -> TestResult {
    let cases = [
        (
            "dan merge pull_request:1 in rpeo:acme/api",
            "unknown kind `rpeo` (did you mean `repo`?)",
        ),
        (
            "dan merge pull_request:1 in branch:main",
            "unknown kind `branch` (known: `org`, `repo`, `pull_request`)",
        ),
        (
            "dan view org:acme",
            "kind `org` has number ids, and `acme` is not one",
        ),
        (
            "dan merge pull_request:1 in repo:a in org:acme",
            "kind `org` has number ids, and `acme` is not one",
        ),
        (
            "dan merge pull_request:1 in repo",
            "cannot read `dan merge pull_request:1 in repo`: \
             `in` is followed by an ancestor with its id, `KIND:ID`",
        ),
        (
            r#"dan push repo:"acme web"#,
            r#"cannot read `dan push repo:"acme web`: a quoted id has no closing `"`"#,
        ),
    ];
    for (query, message) in cases {
        check(&[CONTAINMENT, query])?
            .assert_code(2)
            .stderr_has_line(&format!("error: query 1: {message}"));
    }
    // Ancestors out of the chain's order: an answer (DENY), with the reason.
    check(&[
        CONTAINMENT,
        "--no-matrices",
        "dan view pull_request:1 in org:1 in repo:acme/api",
    ])?
    .assert_code(0)
    .stdout_has_line("DENY dan view pull_request:1 in org:1 in repo:acme/api");
    Ok(())
}
