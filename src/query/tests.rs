use proptest::prelude::*;

use super::parse::{AFTER, SHAPE};
use super::*;
use crate::def::IdType;
use crate::def::PolicyDef;
use crate::engine::Policy;
use crate::error::{IdText, Item};
use crate::ids::Resource;

/// org (number ids) > repo (string ids) > pull_request (number ids), with
/// rules written in ancestors, on string ids that need no quotes and on some
/// that do.
fn chained() -> Policy {
    let def: PolicyDef = serde_json::from_str(
        r#"{
          "kinds": {
            "org": {"actions": ["admin"]},
            "repo": {"actions": ["pull", "push"], "needs": {"push": ["pull"]},
                     "parent": "org", "ids": "string"},
            "pull_request": {"actions": ["view", "merge"], "needs": {"merge": ["view"]},
                             "parent": "repo", "states": ["open", "closed"]}
          },
          "roles": {"Dev": {
            "grants": {"repo": ["push"], "pull_request": ["merge"]},
            "exceptions": [
              {"kind": "pull_request", "in": "repo", "id": "acme/web", "deny": ["merge"]},
              {"kind": "repo", "id": "a=b", "deny": ["push"]},
              {"kind": "repo", "id": "7", "deny": ["push"]},
              {"kind": "repo", "id": "007", "deny": ["pull"]},
              {"kind": "repo", "id": "C:\\x", "deny": ["push"]},
              {"kind": "repo", "id": "x\"y", "deny": ["push"]},
              {"kind": "repo", "id": "naïve/ü", "deny": ["push"]},
              {"kind": "repo", "id": "acme web", "deny": ["push"]},
              {"kind": "repo", "id": "\"q\"", "deny": ["push"]},
              {"kind": "repo", "id": "", "deny": ["push"]},
              {"kind": "repo", "id": "tab\there", "deny": ["push"]},
              {"kind": "repo", "id": "rtl\u202eltr", "deny": ["push"]}
            ],
            "restrictions": [{"kind": "pull_request", "in": "org", "actions": ["merge"], "ids": [1, 2]}]
          }},
          "subjects": {"dan": {"role": "Dev"}, "ana": {"role": "Dev"}}
        }"#,
    )
    .unwrap();
    Policy::compile(&def).unwrap()
}

fn parsed(text: &str) -> Query {
    Query::parse(text, "q").unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[track_caller]
fn syntax(text: &str, problem: &str) {
    match Query::parse(text, "q") {
        Err(QueryError::Syntax { problem: p, .. }) => assert_eq!(p, problem, "{text}"),
        other => panic!("{text}: expected a syntax error, got {other:?}"),
    }
}

#[test]
fn ids_read_as_numbers_or_strings_as_written() {
    let id = |text: &str| parsed(text).id;
    assert_eq!(id("dan view repo"), None);
    assert_eq!(id("dan view repo:7"), Some(IdDef::Number(7)));
    assert_eq!(
        id("dan view repo:18446744073709551615"),
        Some(IdDef::Number(u64::MAX))
    );
    for (text, s) in [
        ("dan view repo:007", "007"),
        ("dan view repo:+7", "+7"),
        ("dan view repo:18446744073709551616", "18446744073709551616"),
        (r#"dan view repo:"7""#, "7"),
        ("dan view repo:acme/web", "acme/web"),
        ("dan view repo:a=b", "a=b"),
        ("dan view repo:a:b", "a:b"),
        (r"dan view repo:C:\x", r"C:\x"),
        (r#"dan view repo:x"y"#, r#"x"y"#),
        (r#"dan view repo:"acme web""#, "acme web"),
        (r#"dan view repo:"  two  spaces ""#, "  two  spaces "),
        (r#"dan view repo:"""#, ""),
        (r#"dan view repo:"\"q\"""#, r#""q""#),
        (r#"dan view repo:"a\\b""#, r"a\b"),
        (r#"dan view repo:"tab\there\n""#, "tab\there\n"),
        (r#"dan view repo:"rtl\u{202e}ltr""#, "rtl\u{202e}ltr"),
        (r#"dan view repo:"it\'s""#, "it's"),
        ("dan view repo:名前", "名前"),
    ] {
        assert_eq!(id(text), Some(IdDef::from(s)), "{text}");
    }
}

#[test]
fn ancestors_come_after_the_resource_parent_first() {
    let q = parsed("dan merge pull_request:700 in repo:acme/web in org:1 state=open owner=ana");
    assert_eq!(q.kind, "pull_request");
    assert_eq!(q.id, Some(IdDef::Number(700)));
    assert_eq!(
        q.ancestors,
        [
            ("repo".to_string(), IdDef::from("acme/web")),
            ("org".to_string(), IdDef::from(1))
        ]
    );
    assert_eq!(q.state.as_deref(), Some("open"));
    assert_eq!(q.owner.as_deref(), Some("ana"));
    // A kind in general, inside an instance; whitespace anywhere between words.
    let q = parsed("  dan\tpush  repo \n in   org:\"a b\"  ");
    assert_eq!(q.id, None);
    assert_eq!(q.ancestors, [("org".to_string(), IdDef::from("a b"))]);
    // Words are read by position: `in` and `state=` are names where a name stands.
    let q = parsed("in in in:1 in in:in owner=in");
    assert_eq!(
        (q.subject.as_str(), q.action.as_str(), q.kind.as_str()),
        ("in", "in", "in")
    );
    assert_eq!(q.ancestors, [("in".to_string(), IdDef::from("in"))]);
}

#[test]
fn text_that_is_not_a_query_is_a_syntax_error() {
    for text in ["", "   ", "dan", "dan view", "dan view  \t"] {
        syntax(text, SHAPE);
    }
    for text in [
        "dan view repo in",
        "dan view repo in org",
        "dan view repo in org state=open",
    ] {
        syntax(
            text,
            "`in` is followed by an ancestor with its id, `KIND:ID`",
        );
    }
    for text in [
        "dan view repo colour=red",
        "dan view repo state=open state=closed",
        "dan view repo owner=ana owner=ana",
        "dan view repo state=",
        "dan view repo owner=",
        "dan view repo state=open in org:1",
        "dan view repo owner=ana in org:1",
        "dan view repo org:1",
    ] {
        syntax(text, AFTER);
    }
    for text in [
        "dan view repo:",
        "dan view repo: in org:1",
        "dan view repo in org:",
    ] {
        syntax(
            text,
            "an id follows the `:` (write `KIND` for no id, `KIND:\"\"` for the empty string)",
        );
    }
    for text in [
        r#"dan view repo:"abc"#,
        r#"dan view repo:"abc\""#,
        "dan view repo:\"",
    ] {
        syntax(text, "a quoted id has no closing `\"`");
    }
    syntax(
        r#"dan view repo:"a"b"#,
        "a quoted id ends the word: put a space after its closing `\"`",
    );
    let escapes =
        "inside quotes, `\\` starts one of `\\\"`, `\\\\`, `\\'`, `\\n`, `\\r`, `\\t`, `\\u{HEX}`";
    for text in [
        r#"dan view repo:"\x""#,
        r#"dan view repo:"\u""#,
        r#"dan view repo:"\u{}""#,
        r#"dan view repo:"\u{1234567}""#,
        r#"dan view repo:"\u{12g}""#,
        r#"dan view repo:"\"#,
    ] {
        syntax(text, escapes);
    }
    syntax(
        r#"dan view repo:"\u{d800}""#,
        "`\\u{...}` names no character",
    );
}

#[test]
fn the_text_of_a_query_reads_back_as_the_query() {
    for text in [
        "dan view repo",
        "dan view repo:7",
        r#"dan view repo:"7""#,
        "dan view repo:007",
        r#"dan view repo:"acme web" in org:"" state=open"#,
        r#"dan merge pull_request:700 in repo:x"y in org:1 owner=ana"#,
        r#"dan view repo:"\"q" in org:"tab\t\u{202e}\\""#,
    ] {
        let q = parsed(text);
        assert_eq!(q.to_string(), text);
        assert_eq!(parsed(&q.to_string()), q);
    }
    // Written in the canonical order and spacing.
    assert_eq!(
        parsed("dan  view repo:\"a\" owner=ana state=open").to_string(),
        "dan view repo:a state=open owner=ana"
    );
}

#[test]
fn ids_resolve_by_their_kind_id_type() {
    let p = chained();
    let kind = |n: &str| p.kind(n).unwrap();
    let (pr, repo, org) = (kind("pull_request"), kind("repo"), kind("org"));
    let r = |text: &str| parsed(text).resolve(&p, "q").map(|(_, _, r)| r);
    assert_eq!(
        r("dan merge pull_request:700 in repo:acme/web in org:1").unwrap(),
        Resource::new(pr)
            .with_instance(pr.instance(700))
            .within(p.instance(repo, "acme/web"))
            .within(org.instance(1))
    );
    // A string kind reads a number as its digits; a number kind a quoted number.
    assert_eq!(
        r("dan push repo:7").unwrap(),
        Resource::new(repo).with_instance(p.instance(repo, "7"))
    );
    assert_ne!(
        r("dan push repo:7").unwrap(),
        r("dan push repo:007").unwrap()
    );
    assert_eq!(
        r("dan admin org:\"1\"").unwrap(),
        r("dan admin org:1").unwrap()
    );
    assert_eq!(
        r("dan admin org:01").unwrap(),
        r("dan admin org:1").unwrap()
    );
    assert!(!p.query("dan push repo:7").unwrap());
    assert!(p.query("dan push repo:8").unwrap());
    assert!(!p.query("dan pull repo:007").unwrap());
    assert!(!p
        .query("dan merge pull_request:1 in repo:acme/web in org:1")
        .unwrap());
    assert!(p
        .query("dan merge pull_request:1 in repo:acme/api in org:1")
        .unwrap());
    assert!(!p
        .query("dan merge pull_request:1 in repo:acme/api in org:3")
        .unwrap());
    assert!(!p.query("dan push repo:\"acme web\"").unwrap());
    assert!(p.query("dan push repo:acme").unwrap());
}

#[test]
fn a_number_kind_refuses_any_other_id_naming_its_id_type() {
    let p = chained();
    for (text, kind, id) in [
        ("dan merge pull_request:seven", "pull_request", "seven"),
        ("dan merge pull_request:-1", "pull_request", "-1"),
        (
            "dan merge pull_request:1 in repo:a in org:acme",
            "org",
            "acme",
        ),
        (
            "dan merge pull_request:\"a\u{1}\"",
            "pull_request",
            "a\u{1}",
        ),
    ] {
        let err = parsed(text).resolve(&p, "q").unwrap_err();
        assert_eq!(
            err,
            QueryError::IdType {
                path: "q".into(),
                kind: kind.into(),
                expected: IdType::Number,
                id: id.into()
            }
        );
    }
    assert_eq!(
        p.query("dan merge pull_request:acme/web")
            .unwrap_err()
            .to_string(),
        "query: kind `pull_request` has number ids, and `acme/web` is not one"
    );
    assert_eq!(
        p.query("dan merge pull_request:\"a\u{1}\"")
            .unwrap_err()
            .to_string(),
        "query: kind `pull_request` has number ids, and `a\\u{1}` is not one"
    );
}

#[test]
fn ancestors_of_unknown_kinds_or_out_of_order() {
    let p = chained();
    // An unknown ancestor kind, with a suggestion as for any unknown name.
    assert_eq!(
        p.query("dan merge pull_request:1 in rpeo:acme/web")
            .unwrap_err(),
        QueryError::Unknown {
            path: "query".into(),
            what: Item::Kind,
            name: "rpeo".into(),
            suggestion: Some("repo".into())
        }
    );
    // Ancestors out of the chain's order: the engine's invalid resource, denied
    // and explained.
    let (s, a, bad) = parsed("dan view pull_request:1 in org:1 in repo:acme")
        .resolve(&p, "q")
        .unwrap();
    assert!(!p.can(s, a, &bad));
    assert!(!p.explain(s, a, &bad).allowed());
}

#[test]
fn expectations_read_the_same_queries() {
    let p = chained();
    let e: crate::testing::Expectations = serde_json::from_str(
        r#"{"principals": {"7": {"role": "Dev"}}, "expect": [
            "dan merge pull_request:1 in repo:acme/web in org:1 => deny",
            "dan merge pull_request:1 in repo:acme/api in org:1 => allow",
            "7 merge pull_request:1 in repo:acme/web in org:1 => deny",
            "7 merge pull_request:1 in repo:acme/api in org:3 => deny",
            "dan push repo:\"acme web\" => allow",
            "dan push repo:\"a=>b\" => allow"
        ]}"#,
    )
    .unwrap();
    let report = p.verify(&e).unwrap();
    assert_eq!(report.checked(), 6);
    let [m] = report.mismatches() else {
        panic!("{report}")
    };
    assert_eq!(m.path, "expect[4]");
    assert_eq!(m.query, r#"dan push repo:"acme web""#);
    let bad: crate::testing::Expectations =
        serde_json::from_str(r#"{"expect": ["dan merge pull_request:x => deny"]}"#).unwrap();
    assert_eq!(
        p.verify(&bad).unwrap_err().to_string(),
        "expect[0]: kind `pull_request` has number ids, and `x` is not one"
    );
}

/// Every resource of `chained` whose ids are named by its rules (and some no
/// rule names), at every depth, with and without a state.
fn resources(p: &Policy, strings: &[&str]) -> Vec<Resource> {
    let kind = |n: &str| p.kind(n).unwrap();
    let (pr, repo, org) = (kind("pull_request"), kind("repo"), kind("org"));
    let open = p.state(pr, "open").unwrap();
    let mut out = vec![Resource::new(pr), Resource::new(repo), Resource::new(org)];
    for &s in strings {
        let web = p.instance(repo, s);
        out.push(Resource::new(repo).with_instance(web));
        out.push(
            Resource::new(repo)
                .with_instance(web)
                .within(org.instance(2)),
        );
        out.push(Resource::new(pr).within(web));
        out.push(
            Resource::new(pr)
                .with_instance(pr.instance(700))
                .within(web)
                .within(org.instance(1))
                .with_state(open),
        );
    }
    out.push(Resource::new(org).with_instance(org.instance(u64::MAX)));
    out
}

#[track_caller]
fn question_round_trips(p: &Policy, r: &Resource) {
    let dan = p.subject("dan").unwrap();
    let action = p.actions(r.kind()).next().unwrap();
    let owner = p.subject("ana").unwrap();
    for r in [*r, r.with_owner(owner)] {
        let why = p.explain(dan, action, &r);
        let q =
            Query::parse(why.question(), "q").unwrap_or_else(|e| panic!("{}: {e}", why.question()));
        let (s, a, back) = q
            .resolve(p, "q")
            .unwrap_or_else(|e| panic!("{}: {e}", why.question()));
        assert_eq!((s, a, back), (dan, action, r), "{}", why.question());
    }
}

#[test]
fn explanation_questions_read_back_as_their_resource() {
    let p = chained();
    let plain = [
        "acme/web",
        "a=b",
        "7",
        "007",
        r"C:\x",
        r#"x"y"#,
        "naïve/ü",
        "unnamed/by-any-rule",
    ];
    for r in resources(&p, &plain) {
        question_round_trips(&p, &r);
    }
    let dan = p.subject("dan").unwrap();
    let merge = p.action("pull_request", "merge").unwrap();
    let pr = p.kind("pull_request").unwrap();
    let why = p.explain(
        dan,
        merge,
        &Resource::new(pr)
            .with_instance(pr.instance(700))
            .within(p.instance(p.kind("repo").unwrap(), "acme/web"))
            .within(p.kind("org").unwrap().instance(1)),
    );
    assert_eq!(
        why.question(),
        "dan merge pull_request:700 in repo:acme/web in org:1"
    );
}

/// String ids that read back only quoted: the question line must write them
/// with [`IdText`] (see the report on the `wt-query` branch).
#[test]
fn explanation_questions_quote_ids_that_need_it() {
    let p = chained();
    for r in resources(
        &p,
        &["acme web", "\"q\"", "", "tab\there", "rtl\u{202e}ltr"],
    ) {
        question_round_trips(&p, &r);
    }
}

#[test]
fn id_text_quotes_only_what_would_not_read_back() {
    for (id, text) in [
        ("acme/web", "acme/web"),
        ("a=b", "a=b"),
        (r#"x"y"#, r#"x"y"#),
        (r"a\b", r"a\b"),
        ("7", "7"),
        ("", r#""""#),
        ("acme web", r#""acme web""#),
        (r#""q"#, r#""\"q""#),
        (r"a b\", r#""a b\\""#),
        ("tab\t", r#""tab\t""#),
        ("nbsp\u{a0}", "\"nbsp\u{a0}\""),
        ("rtl\u{202e}", r#""rtl\u{202e}""#),
        ("bell\u{7}", r#""bell\u{7}""#),
    ] {
        assert_eq!(IdText(id).to_string(), text, "{id:?}");
        let q = parsed(&format!("dan view repo:{text}"));
        let expected = if id == "7" {
            IdDef::from(7)
        } else {
            IdDef::from(id)
        };
        assert_eq!(q.id, Some(expected), "{text}");
    }
}

/// Property cases: `ACCESSMASK_PROPTEST_CASES` when set (the long modes, as for
/// the integration tests), else 512.
fn cases() -> u32 {
    std::env::var("ACCESSMASK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

/// Short strings over the characters the grammar cares about.
fn query_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("dan".to_string()),
        Just("in".to_string()),
        Just("repo:".to_string()),
        Just("state=".to_string()),
        Just("owner=".to_string()),
        Just(" ".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("\\u{".to_string()),
        Just("}".to_string()),
        Just(":".to_string()),
        Just("=".to_string()),
        "[0-9]{1,3}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..16).prop_map(|v| v.concat())
}

/// An id string with the characters that need quoting or escaping.
fn id_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just(' '),
            Just('"'),
            Just('\\'),
            Just('\n'),
            Just('\u{202e}'),
            Just('7'),
            Just('/'),
            Just('='),
            Just(':'),
            any::<char>(),
        ],
        0..8,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn any_text_is_a_query_or_a_syntax_error(text in query_text()) {
        match Query::parse(&text, "q") {
            Ok(q) => prop_assert_eq!(Query::parse(&q.to_string(), "q"), Ok(q)),
            Err(e) => prop_assert!(matches!(e, QueryError::Syntax { .. }), "{e}"),
        }
    }

    #[test]
    fn any_id_reads_back(id in id_string(), n in any::<u64>(), number in any::<bool>(), depth in 0usize..3) {
        let id = if number { IdDef::Number(n) } else { IdDef::String(id) };
        let q = Query {
            subject: "dan".into(),
            action: "view".into(),
            kind: "repo".into(),
            id: Some(id.clone()),
            ancestors: vec![("org".into(), id); depth],
            state: Some("open".into()),
            owner: None,
        };
        prop_assert_eq!(Query::parse(&q.to_string(), "q"), Ok(q));
    }
}
