//! The `check` example as a user runs it: the no-argument tour, a good document
//! with queries, and every kind of bad input, each with its exit code (0 ok, 1
//! invalid document or file, 2 bad query or usage) and never a panic.
//!
//! The binary is `target/<profile>/examples/check`, next to this test's own
//! `target/<profile>/deps/cli-HASH`. `cargo test` builds examples before running
//! tests; `cargo test --test cli` does not, so the first test to need it runs
//! `cargo build --example check` once (a no-op when it is up to date).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// A test's outcome: `Err` says what went wrong around the assertions.
type TestResult = Result<(), String>;

/// Builds (once per run) and locates the `check` example.
fn check_binary() -> Result<&'static Path, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        let exe = std::env::current_exe().map_err(|e| format!("the test binary's path: {e}"))?;
        // target/<profile>/deps/cli-HASH -> target/<profile>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| format!("{} is not in target/<profile>/deps", exe.display()))?;
        let bin = profile_dir
            .join("examples")
            .join(format!("check{}", std::env::consts::EXE_SUFFIX));
        let mut build = Command::new(env!("CARGO"));
        build.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "build",
            "--quiet",
            "--example",
            "check",
        ]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let out = build.output().map_err(|e| format!("running cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo build --example check failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if !bin.is_file() {
            return Err(format!("no example binary at {}", bin.display()));
        }
        Ok(bin)
    });
    bin.as_deref().map_err(Clone::clone)
}

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
    let out: Output = Command::new(check_binary()?)
        .args(args)
        .output()
        .map_err(|e| format!("running the check example: {e}"))?;
    Ok(Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// A document written to a file of its own in the temp dir, removed on drop.
struct TempDoc(PathBuf);

impl TempDoc {
    fn new(name: &str, text: &str) -> Result<TempDoc, String> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "accessmask-cli-{}-{}-{name}.json",
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
fn queries_without_a_document_ask_the_embedded_policy() -> TestResult {
    check(&["alma edit database:42"])?
        .assert_code(0)
        .stdout_has_line("ALLOW alma edit database:42");
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
    run.assert_code(1).stderr_has_line(
        "error: roles.X.grants.jouney: unknown kind `jouney` (did you mean `journey`?)",
    );
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
    run.assert_code(2).stderr_has_line(
        "error: query `bbo view journey`: unknown subject `bbo` (did you mean `bob`?)",
    );
    // Queries are checked before anything is printed.
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    Ok(())
}

#[test]
fn every_unknown_name_in_a_query_exits_2_naming_it() -> TestResult {
    let doc = TempDoc::new("names", GOOD)?;
    let cases = [
        (
            "ann veiw journey",
            "unknown action `veiw` of kind `journey` (did you mean `view`?)",
        ),
        (
            "ann approve journey",
            "unknown action `approve` of kind `journey` (it is an action of `estimate`; `journey` has `view`, `edit`)",
        ),
        (
            "ann view jorney:1",
            "unknown kind `jorney` (did you mean `journey`?)",
        ),
        (
            "ann edit estimate state=biled",
            "unknown state `biled` of kind `estimate` (did you mean `billed`?)",
        ),
        (
            "ann edit journey state=billed",
            "unknown state `billed`: kind `journey` has no states",
        ),
        (
            "ann edit journey owner=cid",
            "unknown owner `cid`: not a subject of the policy (did you mean `cyd`?)",
        ),
        (
            "zed view journey",
            "unknown subject `zed` (known: `ann`, `bob`, `cyd`)",
        ),
        (
            "ann view journey:seven",
            "bad instance id `seven` in `journey:seven`: expected a whole number",
        ),
        (
            "ann view",
            "expected SUBJECT ACTION KIND[:ID] [state=STATE] [owner=SUBJECT]",
        ),
    ];
    for (query, message) in cases {
        check(&[doc.path(), query])?
            .assert_code(2)
            .stderr_has_line(&format!("error: query `{query}`: {message}"));
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
