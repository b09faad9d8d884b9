//! Answers as a user gets them: one-call loading (JSON, TOML) with positions and
//! paths, every problem of a bad document at once, string queries, `explain` and
//! `who_can` with flags, and every answer type through JSON (shape and round
//! trip), for decision and audit logs. Also what the plain renderings leave out:
//! unchanged diff lines, unavailable kinds, steps that did not bear.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use accessmask::testing::Expectations;
use accessmask::{
    Change, DiffEntry, Explanation, Holder, LoadError, Matrix, OwnerClass, Policy, PolicyDef,
    PolicyDiff, PolicyError, Query, QueryError, Rule, Step, MAX_ERRORS,
};
use serde_json::{json, Value};

const DOC: &str = r#"{
  "kinds": {
    "repo": {
      "actions": ["pull", "push", "admin"],
      "needs": { "push": ["pull"], "admin": ["push"] },
      "states": ["open", "archived"],
      "state_rules": [{ "state": "archived", "hold": ["push"], "unless_roles": ["Owner"] }]
    },
    "wiki": { "actions": ["read", "write"], "available": false },
    "billing": { "actions": ["view", "pay"], "levels": { "None": [], "View": ["view"] } }
  },
  "roles": {
    "Dev": { "grants": { "repo": { "actions": ["pull"], "own": ["push"] }, "wiki": ["read"] } },
    "Owner": { "grants": { "repo": ["*"], "billing": ["view"] } }
  },
  "toggles": { "Payer": { "grants": { "billing": ["pay"] } } },
  "subjects": {
    "dan": { "role": "Dev" },
    "ana": { "role": "Owner", "toggles": ["Payer"] }
  }
}"#;

/// The same document in TOML.
const DOC_TOML: &str = r#"
[kinds.repo]
actions = ["pull", "push", "admin"]
needs = { push = ["pull"], admin = ["push"] }
states = ["open", "archived"]
state_rules = [{ state = "archived", hold = ["push"], unless_roles = ["Owner"] }]

[kinds.wiki]
actions = ["read", "write"]
available = false

[kinds.billing]
actions = ["view", "pay"]
levels = { None = [], View = ["view"] }

[roles.Dev.grants]
repo = { actions = ["pull"], own = ["push"] }
wiki = ["read"]

[roles.Owner.grants]
repo = ["*"]
billing = ["view"]

[toggles.Payer.grants]
billing = ["pay"]

[subjects.dan]
role = "Dev"

[subjects.ana]
role = "Owner"
toggles = ["Payer"]
"#;

fn policy() -> Policy {
    Policy::from_json_str(DOC).unwrap()
}

#[track_caller]
fn round_trip<T>(value: &T) -> Value
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_value(value).unwrap();
    let back: T = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(&back, value, "round trip through {json}");
    json
}

#[test]
fn the_new_public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<LoadError>();
    check::<Query>();
    check::<QueryError>();
    check::<PolicyDiff>();
    check::<DiffEntry>();
    check::<Step>();
}

#[test]
fn json_and_toml_load_the_same_policy() {
    let a = Policy::from_json_str(DOC).unwrap();
    let b = Policy::from_toml_str(DOC_TOML).unwrap();
    for q in [
        "dan pull repo:1",
        "dan push repo:1",
        "dan push repo:1 owner=dan",
        "dan push repo:1 state=archived owner=dan",
        "ana push repo:1 state=archived",
        "dan read wiki",
        "ana pay billing",
    ] {
        assert_eq!(a.query(q).unwrap(), b.query(q).unwrap(), "{q}");
    }
    assert_eq!(a.role_matrix(), b.role_matrix());
    assert_eq!(a.diff(&b).to_string(), "no change\n");
}

#[test]
fn every_seed_loads_from_json_and_from_toml() {
    for seed in ["real_magnet", "magnews", "thrive", "magnetic"] {
        let text = std::fs::read_to_string(common::policy_path(seed)).unwrap();
        let json = Policy::from_json_str(&text).unwrap();
        let def: PolicyDef = serde_json::from_str(&text).unwrap();
        let toml_text = toml::to_string(&def).unwrap();
        let toml = Policy::from_toml_str(&toml_text).unwrap_or_else(|e| panic!("{seed}: {e}"));
        assert!(json.diff(&toml).is_empty(), "{seed}: {}", json.diff(&toml));
        assert_eq!(json.role_matrix(), toml.role_matrix(), "{seed}");
    }
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let err = Policy::from_json_str("{\n  \"kinds\": {\n    \"a\": { \"actions\": 3 }\n  }\n}")
        .unwrap_err();
    assert_eq!((err.line(), err.column()), (Some(3), Some(23)));
    let LoadError::Syntax { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.starts_with("invalid type: integer `3`"),
        "{message}"
    );
    assert!(!message.contains("at line"), "{message}");
    assert_eq!(err.path(), None);

    let err = Policy::from_toml_str("[kinds.a]\nactions = [\"view\"\n").unwrap_err();
    assert_eq!(err.line(), Some(2));
    assert!(err.column().is_some());
    let err = Policy::from_toml_str("[kinds.a]\nactions = 3\n").unwrap_err();
    assert_eq!((err.line(), err.column()), (Some(2), Some(11)));
    assert!(
        err.to_string()
            .starts_with("line 2, column 11: invalid type"),
        "{err}"
    );
}

#[test]
fn meaning_errors_carry_the_path_and_wrap_the_policy_error() {
    let err = Policy::from_toml_str("[roles.R.grants]\nrepo = [\"pull\"]\n").unwrap_err();
    assert_eq!(err.path(), Some("roles.R.grants.repo"));
    assert_eq!(
        err.to_string(),
        "roles.R.grants.repo: the policy does not compile (1 problem)"
    );
    let source = std::error::Error::source(&err).unwrap();
    assert_eq!(
        source.to_string(),
        "roles.R.grants.repo: unknown kind `repo`"
    );
    assert_eq!(err.line(), None);
}

#[test]
fn compiling_reports_every_problem_each_with_its_path() {
    let text = r#"{
      "kinds": {
        "repo": { "actions": ["pull", "push"], "levels": { "Low": ["push"], "High": ["pull"] } },
        "page": { "actions": ["view", "view"] }
      },
      "roles": {
        "Dev": { "grants": { "rpeo": ["pull"] } },
        "Ops": { "base": "Opps" },
        "Lead": { "grants": { "repo": { "level": "High" } } }
      },
      "toggles": { "T": { "grants": { "repo": ["psuh"] } } },
      "subjects": {
        "dan": { "role": "Dev", "manages": ["dan"] },
        "eve": { "role": "Nobody" },
        "fay": { "role": "Dev", "levels": { "repo": "High" } },
        "gus": { "role": "Dev" }
      }
    }"#;
    let err = Policy::from_json_str(text).unwrap_err();
    let all: Vec<String> = err.errors().map(ToString::to_string).collect();
    let def: PolicyDef = serde_json::from_str(text).unwrap();
    assert_eq!(
        all,
        Policy::check(&def)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    // The first is what `compile` says.
    assert_eq!(all[0], Policy::compile(&def).unwrap_err().to_string());
    for (path, text) in [
        ("kinds.repo.levels.High", "lacks `push`"),
        ("kinds.page.actions[1]", "duplicate action `view`"),
        (
            "roles.Dev.grants.rpeo",
            "unknown kind `rpeo` (did you mean `repo`?)",
        ),
        (
            "roles.Ops.base",
            "unknown role `Opps` (did you mean `Ops`?)",
        ),
        (
            "toggles.T.grants.repo",
            "unknown action `psuh` (did you mean `push`?)",
        ),
        ("subjects.dan.manages[0]", "subject `dan` manages itself"),
        ("subjects.eve.role", "unknown role `Nobody`"),
    ] {
        assert!(
            all.iter().any(|e| e.starts_with(path) && e.contains(text)),
            "no `{path}: ...{text}` in {all:#?}"
        );
    }
    // Lead's and fay's level `High` only fails because `repo`'s levels were bad:
    // not reported.
    assert!(
        !all.iter()
            .any(|e| e.starts_with("roles.Lead") || e.starts_with("subjects.fay")),
        "{all:#?}"
    );
    // gus is fine.
    assert!(!all.iter().any(|e| e.contains("gus")), "{all:#?}");
}

#[test]
fn compiling_stops_at_the_cap() {
    let mut def = PolicyDef::default();
    for i in 0..50 {
        def.subjects.insert(
            format!("u{i}"),
            accessmask::SubjectDef {
                role: format!("missing{i}"),
                ..Default::default()
            },
        );
    }
    let errors = Policy::check(&def);
    assert_eq!(errors.len(), MAX_ERRORS);
    assert_eq!(errors[3].path(), "subjects.u3.role");
    assert!(Policy::check(&PolicyDef::default()).is_empty());
}

#[test]
fn string_queries_take_the_order_of_can() {
    let p = policy();
    assert!(p.query("dan pull repo:7").unwrap());
    assert!(!p.query("dan push repo:7").unwrap());
    assert!(p.query("dan push repo:7 owner=dan").unwrap());
    assert!(!p.query("dan push repo:7 state=archived owner=dan").unwrap());
    assert!(p.query("ana push repo:7 state=archived").unwrap());
    let why = p
        .explain_query("dan push repo:7 state=archived owner=dan")
        .unwrap();
    assert_eq!(why.question(), "dan push repo:7 state=archived owner=dan");
    assert!(!why.allowed());
    assert_eq!(
        p.query("dan push repos:7").unwrap_err().to_string(),
        "query: unknown kind `repos` (did you mean `repo`?)"
    );
    assert!(matches!(
        p.query("dan push").unwrap_err(),
        QueryError::Syntax { .. }
    ));
    // One Query type: the testing module's is the crate's.
    let q: accessmask::testing::Query = "dan push repo:7".parse().unwrap();
    let _: Query = q;
}

bitflags::bitflags! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct RepoFlags: u64 {
        const PULL = 1;
        const PUSH = 1 << 1;
        const ADMIN = 1 << 2;
    }
}

#[test]
fn explain_and_who_can_take_what_can_takes() {
    let p = policy();
    let repo = p.typed_kind::<RepoFlags>("repo").unwrap();
    let dan = p.subject("dan").unwrap();
    let ana = p.subject("ana").unwrap();
    let r = p.resource(repo).with_id(1);
    let pull = p.action("repo", "pull").unwrap();
    for flags in [
        RepoFlags::PULL,
        RepoFlags::PULL | RepoFlags::PUSH,
        RepoFlags::ADMIN,
    ] {
        assert_eq!(
            p.explain(dan, flags, &r).allowed(),
            p.can(dan, flags, &r),
            "{flags:?}"
        );
        assert_eq!(
            p.who_can(flags, &r),
            p.subjects()
                .filter(|&s| p.can(s, flags, &r))
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(p.who_can(pull, &r), vec![dan, ana]);
    assert_eq!(p.who_can(RepoFlags::PUSH, &r), vec![ana]);
    assert_eq!(
        p.explain(dan, RepoFlags::PULL | RepoFlags::PUSH, &r)
            .question(),
        "dan pull+push repo:1"
    );
    assert_eq!(
        p.explain(dan, pull, &r).to_string(),
        p.explain(dan, RepoFlags::PULL, &r).to_string()
    );
}

#[test]
fn step_2_is_decisive_and_plain_text_shows_only_what_bore() {
    let p = policy();
    let why = p.explain_query("dan read wiki:3").unwrap();
    assert!(!why.allowed());
    let decisive: Vec<Rule> = why
        .steps()
        .iter()
        .filter(|s| s.is_decisive())
        .map(Step::rule)
        .collect();
    assert_eq!(decisive, [Rule::Unavailable]);
    assert_eq!(
        why.to_string(),
        "DENY dan read wiki:3\n * 2. kind `wiki` is not available in this policy: nothing is allowed\n"
    );
    // A scope step that changed nothing the question is about is left out, and
    // shown by the verbose forms.
    let why = p.explain_query("ana pull repo:1").unwrap();
    let plain = why.to_string();
    let verbose = format!("{why:#}");
    assert_eq!(verbose, why.clone().verbose().to_string());
    assert!(why.steps().len() >= why.relevant_steps().count());
    assert!(plain.lines().count() <= verbose.lines().count());
    let why = p.explain_query("dan push repo:1").unwrap();
    // The scoped grant that did not count bears on this denial.
    assert!(
        why.to_string()
            .contains("no owner given: scoped grants do not count"),
        "{why}"
    );
}

#[test]
fn explanations_round_trip_through_json() {
    let p = policy();
    let why = p
        .explain_query("dan push repo:1 state=archived owner=dan")
        .unwrap();
    let json = round_trip(&why);
    assert_eq!(json["allowed"], json!(false));
    assert_eq!(
        json["question"],
        json!("dan push repo:1 state=archived owner=dan")
    );
    let steps = json["steps"].as_array().unwrap();
    let rule = steps
        .iter()
        .find(|s| s["rule"] == json!("StateRule"))
        .unwrap();
    assert_eq!(rule["step"], json!(7));
    assert_eq!(rule["decisive"], json!(true));
    assert_eq!(rule["relevant"], json!(true));
    assert_eq!(
        rule["text"],
        json!("state rule `archived` holds {push, admin} back: removes {push}")
    );
    // The verbose flag travels too.
    round_trip(&why.clone().verbose());
    let step: Step = serde_json::from_value(rule.clone()).unwrap();
    assert_eq!(step.rule(), Rule::StateRule);
    assert_eq!(round_trip(&Rule::Unavailable), json!("Unavailable"));
}

#[test]
fn action_sets_serialize_as_names_in_declaration_order() {
    let p = policy();
    let ana = p.subject("ana").unwrap();
    let set = p.allowed(ana, &p.resource(p.kind("repo").unwrap()));
    assert_eq!(
        serde_json::to_value(set).unwrap(),
        json!(["pull", "push", "admin"])
    );
}

#[test]
fn matrices_leave_out_unavailable_kinds_and_name_toggle_only_actions() {
    let p = policy();
    let m = p.role_matrix();
    assert!(m.rows().all(|(r, _)| !r.starts_with("wiki.")), "{m}");
    assert_eq!(m.cell("billing.pay", "Owner"), Some("-"));
    assert_eq!(
        m.legend(),
        ["only from toggles (no role gives them): billing.pay (`Payer`)"]
    );
    assert!(m
        .to_string()
        .ends_with("only from toggles (no role gives them): billing.pay (`Payer`)\n"));
    // The Markdown is the table alone: it reads back.
    let back = Matrix::from_markdown(&m.to_markdown()).unwrap();
    assert!(p.verify_matrix(&back).unwrap().is_empty());
    let json = round_trip(&m);
    assert_eq!(json["corner"], json!("action"));
    assert_eq!(json["columns"], json!(["Dev", "Owner"]));
    assert_eq!(json["rows"][0], json!(["repo.pull", ["Y", "Y"]]));
    let levels = p.level_matrix();
    assert_eq!(levels.columns(), ["billing"]);
    round_trip(&levels);
}

#[test]
fn diffs_print_only_changes_in_declaration_order() {
    let before = policy();
    let after = before
        .change(&Change::SetRole {
            subject: "dan".into(),
            role: "Owner".into(),
        })
        .unwrap();
    let diff = before.diff(&after);
    let text = diff.to_string();
    assert!(!text.contains("unchanged"), "{text}");
    // Declaration order (pull, push, admin), not alphabetical.
    assert!(
        text.contains("subject `dan` on `repo`: + push, admin"),
        "{text}"
    );
    let json = round_trip(&diff);
    let first = &json["entries"][0];
    assert!(first["holder"].is_object(), "{json}");
    let entry: DiffEntry = serde_json::from_value(first.clone()).unwrap();
    assert!(entry.changed());
    round_trip(&Holder::Role("Dev".into()));
    assert_eq!(
        round_trip(&OwnerClass::Of("ana".into())),
        json!({"Of": "ana"})
    );
    round_trip(&PolicyDiff::default());
}

#[test]
fn an_unchanged_instance_is_named_on_its_parent_line() {
    let before = Policy::from_json_str(
        r#"{"kinds": {"repo": {"actions": ["pull", "push"]}},
            "roles": {"Dev": {"grants": {"repo": ["pull"]}}},
            "subjects": {"dan": {"role": "Dev", "exceptions": [{"kind": "repo", "id": 7, "level": null, "deny": ["push"]}]}}}"#,
    )
    .unwrap();
    let after = before
        .change(&Change::SetRole {
            subject: "dan".into(),
            role: "Dev".into(),
        })
        .unwrap();
    assert!(before.diff(&after).is_empty());
    let wider = Policy::from_json_str(
        r#"{"kinds": {"repo": {"actions": ["pull", "push"]}},
            "roles": {"Dev": {"grants": {"repo": ["pull", "push"]}}},
            "subjects": {"dan": {"role": "Dev", "exceptions": [{"kind": "repo", "id": 7, "level": null, "deny": ["push"]}]}}}"#,
    )
    .unwrap();
    let text = before.diff(&wider).to_string();
    assert!(
        text.contains("subject `dan` on `repo`: + push (not on `repo:7`"),
        "{text}"
    );
    assert!(!text.contains("unchanged"), "{text}");
}

#[test]
fn errors_serialize_with_their_fields() {
    let def: PolicyDef =
        serde_json::from_str(r#"{"roles": {"R": {"grants": {"repo": ["pull"]}}}}"#).unwrap();
    let err = Policy::compile(&def).unwrap_err();
    assert_eq!(
        serde_json::to_value(&err).unwrap(),
        json!({"Unknown": {"path": "roles.R.grants.repo", "what": "Kind", "name": "repo", "suggestion": null}})
    );
    let _: &PolicyError = &err;
    let q = policy().query("dna pull repo").unwrap_err();
    assert_eq!(
        serde_json::to_value(&q).unwrap(),
        json!({"Unknown": {"path": "query", "what": "Subject", "name": "dna", "suggestion": "dan"}})
    );
    let load = Policy::from_json_str("{\"kinds\": 3}").unwrap_err();
    let json = serde_json::to_value(&load).unwrap();
    assert_eq!(json["Syntax"]["format"], json!("Json"));
    assert_eq!(json["Syntax"]["line"], json!(1));
    let load =
        Policy::from_json_str(r#"{"roles": {"R": {"grants": {"repo": ["pull"]}}}}"#).unwrap_err();
    let json = serde_json::to_value(&load).unwrap();
    assert_eq!(json["Invalid"]["path"], json!("roles.R.grants.repo"));
    assert_eq!(json["Invalid"]["source"]["Unknown"]["name"], json!("repo"));
    assert_eq!(json["Invalid"]["more"], json!([]));
}

#[test]
fn queries_and_reports_round_trip_through_json() {
    let q = Query::parse("dan push repo:7 state=open owner=ana", "q").unwrap();
    let json = round_trip(&q);
    assert_eq!(json["id"], json!(7));
    let p = policy();
    let expectations: Expectations =
        serde_json::from_str(r#"{"expect": ["dan push repo:1 => allow"]}"#).unwrap();
    let report = p.verify(&expectations).unwrap();
    let json = round_trip(&report);
    assert_eq!(json["checked"], json!(1));
    assert_eq!(json["mismatches"][0]["path"], json!("expect[0]"));
    let golden = Matrix::from_markdown("| action | Dev |\n|---|---|\n| repo.pull | - |\n").unwrap();
    let cells = p.verify_matrix(&golden).unwrap();
    round_trip(&cells);
    let _: Vec<Explanation> = vec![];
}

/// Contacts inside databases (string ids), as the Magnews seed nests them.
fn nested() -> Policy {
    let def: PolicyDef = serde_json::from_str(
        r#"{
      "kinds": {
        "database": { "actions": ["view", "edit"], "needs": { "edit": ["view"] }, "ids": "string" },
        "contact": { "actions": ["view", "edit"], "needs": { "edit": ["view"] }, "parent": "database" }
      },
      "roles": { "Editor": { "grants": { "database": ["edit"], "contact": ["edit"] } } },
      "subjects": { "eve": { "role": "Editor" }, "ned": { "role": "Editor" } }
    }"#,
    )
    .unwrap();
    Policy::compile(&def).unwrap()
}

#[test]
fn diffs_and_who_can_see_rules_written_in_ancestors() {
    let before = nested();
    let after = before
        .change(&Change::SetException {
            subject: "eve".into(),
            exception: accessmask::ExceptionDef::allow_deny("contact", "crm", [""; 0], ["edit"])
                .within("database"),
        })
        .unwrap();
    // The loss is only on contacts inside database `crm` (owned by anyone, and
    // by `eve` herself: each owner class's parent is its class with no owner).
    assert_eq!(
        before.diff(&after).to_string(),
        "subject `eve` on `contact` in `database:crm`: - edit\n\
         subject `eve` on `contact` in `database:crm` (its own): - edit\n"
    );
    let diff = before.diff(&after);
    let entry = &diff.entries()[0];
    assert_eq!(entry.within, [("database".to_string(), Some("crm".into()))]);
    let json = serde_json::to_value(entry).unwrap();
    assert_eq!(json["within"], json!([["database", "crm"]]));
    // Going back is the opposite change.
    assert!(after
        .diff(&before)
        .to_string()
        .starts_with("subject `eve` on `contact` in `database:crm`: + edit\n"));
    // who_can asks every subject with the ancestors given.
    let contact = after.kind("contact").unwrap();
    let database = after.kind("database").unwrap();
    let edit = after.action("contact", "edit").unwrap();
    let in_crm = after
        .resource(contact)
        .with_id(5)
        .within(after.instance(database, "crm"));
    let in_hr = after
        .resource(contact)
        .with_id(5)
        .within(after.instance(database, "hr"));
    let names = |ids: Vec<accessmask::SubjectId>| -> Vec<String> {
        ids.into_iter()
            .map(|s| after.subject_name(s).to_string())
            .collect()
    };
    assert_eq!(names(after.who_can(edit, &in_crm)), ["ned"]);
    assert_eq!(names(after.who_can(edit, &in_hr)), ["eve", "ned"]);
}
