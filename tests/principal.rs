//! Principals (users kept in the service's own database) answer exactly like the
//! same users as subjects of the policy, and like the reference interpreter; a
//! principal never answers by a revoked definition; bad rows are typed errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "common/policygen.rs"]
mod policygen;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use accessmask::reference::{self, Question};
use accessmask::{
    Change, ExceptionDef, LivePolicy, Policy, PolicyDef, PrincipalDef, Resource, RoleDef,
    SubjectDef,
};
use policygen::{gen_policy, Draw, ID_POOL};
use proptest::prelude::*;

/// The row a service would keep for subject `name` of `def`: managed users by key
/// (here: their position in the document).
fn row(def: &PolicyDef, name: &str) -> PrincipalDef {
    let s = def.subjects.get(name).unwrap();
    let key = |n: &str| def.subjects.iter().position(|(m, _)| m == n).unwrap() as u64;
    PrincipalDef {
        role: s.role.clone(),
        toggles: s.toggles.clone(),
        levels: s.levels.clone(),
        exceptions: s.exceptions.clone(),
        restrictions: s.restrictions.clone(),
        manages: s.manages.iter().map(|m| key(m).into()).collect(),
    }
}

fn cases() -> u32 {
    policygen::proptest_cases(96)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Every subject of a random policy, asked as a principal, gives the directory's
    /// answer and the reference interpreter's on every resource of the universe
    /// (each kind; no id, each id and one more; no state and each state; no owner
    /// and each subject as owner), and its explanation agrees.
    #[test]
    fn principals_answer_like_directory_subjects(stream in prop::collection::vec(any::<u32>(), 400)) {
        let def = gen_policy(&mut Draw::new(&stream));
        let policy = Policy::compile(&def).unwrap();
        let names: Vec<String> = def.subjects.iter().map(|(n, _)| n.to_string()).collect();
        for (key, name) in names.iter().enumerate() {
            let p = policy.principal(key as u64, &row(&def, name)).unwrap();
            prop_assert!(policy.is_fresh(&p));
            let s = policy.subject(name).unwrap();
            for kind in policy.kinds() {
                let states: Vec<_> = std::iter::once(None).chain(policy.states(kind).map(Some)).collect();
                for id in std::iter::once(None).chain((0..=ID_POOL as u64).map(Some)) {
                    for &state in &states {
                        for owner in std::iter::once(None).chain((0..names.len()).map(Some)) {
                            let mut r = Resource::new(kind);
                            if let Some(id) = id { r = r.with_id(id); }
                            if let Some(st) = state { r = r.with_state(st); }
                            let (by_id, by_key) = match owner {
                                Some(o) => (r.with_owner(policy.subject(&names[o]).unwrap()), r.with_owner_key(o as u64)),
                                None => (r, r),
                            };
                            let directory = policy.allowed(s, &by_id).bits();
                            let principal = policy.allowed_principal(&p, &by_key).bits();
                            prop_assert_eq!(directory, principal, "{} on {:?}", name, by_key);
                            let kname = policy.kind_name(kind);
                            let expected: Vec<String> = reference::allowed_actions(&def, &Question {
                                subject: name,
                                kind: kname,
                                action: "",
                                id: id.map(Into::into),
                                ancestors: Vec::new(),
                                state: state.map(|st| policy.state_name(st)),
                                owner: owner.map(|o| names[o].as_str()),
                            });
                            let got: Vec<String> = policy.allowed_principal(&p, &by_key).iter().map(String::from).collect();
                            prop_assert_eq!(got, expected);
                            for action in policy.actions(kind) {
                                let e = policy.explain_principal(&p, action, &by_key);
                                prop_assert_eq!(e.allowed(), policy.can_principal(&p, action, &by_key), "{}", e);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn small() -> PolicyDef {
    serde_json::from_str(
        r#"{
      "kinds": {
        "task": {
          "actions": ["view", "edit"],
          "needs": { "edit": ["view"] },
          "levels": { "None": [], "View": ["view"], "Edit": ["view", "edit"] },
          "states": ["open", "done"],
          "state_rules": [{ "state": "done", "hold": ["edit"], "unless_roles": ["Boss"] }]
        },
        "email": { "actions": ["header", "content"] }
      },
      "roles": {
        "Member": { "grants": { "task": { "actions": ["view"], "own": ["edit"] } } },
        "Boss": { "grants": { "task": ["view", "edit"], "email": { "managed": ["header"] } } }
      },
      "toggles": { "Editor": { "grants": { "task": ["edit"] } } }
    }"#,
    )
    .unwrap()
}

#[test]
fn a_row_with_a_combination_no_subject_has_answers_like_one_added() {
    let def = small();
    let policy = Policy::compile(&def).unwrap();
    let mut row = PrincipalDef::new("Boss");
    row.toggles.push("Editor".into());
    row.levels.insert("task", "View".to_string());
    row.exceptions.push(ExceptionDef::allow_deny(
        "task",
        3,
        ["edit"],
        Vec::<String>::new(),
    ));
    row.manages = vec![11.into(), 12.into()];
    let p = policy.principal(10, &row).unwrap();
    let mut sdef = SubjectDef::new("Boss")
        .toggle("Editor")
        .level("task", "View");
    sdef.exceptions = row.exceptions.clone();
    let mut def2 = def.clone();
    def2.subjects.insert("m1", SubjectDef::new("Member"));
    def2.subjects.insert("m2", SubjectDef::new("Member"));
    sdef.manages = vec!["m1".into(), "m2".into()];
    def2.subjects.insert("u", sdef);
    let q = Policy::compile(&def2).unwrap();
    let u = q.subject("u").unwrap();
    let m1 = q.subject("m1").unwrap();
    for kind in ["task", "email"] {
        let k = policy.kind(kind).unwrap();
        for id in [None, Some(3), Some(4)] {
            for (owner_id, owner_key) in [(None, None), (Some(m1), Some(11)), (Some(u), Some(10))] {
                let mut r = Resource::new(k);
                let mut rq = Resource::new(q.kind(kind).unwrap());
                if let Some(id) = id {
                    r = r.with_id(id);
                    rq = rq.with_id(id);
                }
                if let (Some(o), Some(key)) = (owner_id, owner_key) {
                    r = r.with_owner_key(key);
                    rq = rq.with_owner(o);
                }
                assert_eq!(
                    policy.allowed_principal(&p, &r).bits(),
                    q.allowed(u, &rq).bits(),
                    "{kind} {id:?} {owner_key:?}"
                );
            }
        }
    }
    // The principal's explanation names it by key and its exception.
    let edit = policy.action("task", "edit").unwrap();
    let e = policy.explain_principal(&p, edit, &Resource::new(edit.kind()).with_id(3));
    assert!(e.allowed());
    assert!(e.to_string().contains("user 10"), "{e}");
}

#[test]
fn owners_and_managed_users_are_keys() {
    let policy = Policy::compile(&small()).unwrap();
    let mut row = PrincipalDef::new("Boss");
    row.manages = vec![5.into()];
    let boss = policy.principal(1, &row).unwrap();
    let member = policy.principal(2, &PrincipalDef::new("Member")).unwrap();
    let header = policy.action("email", "header").unwrap();
    let edit = policy.action("task", "edit").unwrap();
    let mail = Resource::new(header.kind()).with_id(1);
    assert!(policy.can_principal(&boss, header, &mail.with_owner_key(5)));
    assert!(!policy.can_principal(&boss, header, &mail.with_owner_key(6)));
    assert!(!policy.can_principal(&boss, header, &mail));
    let task = Resource::new(edit.kind()).with_id(1);
    assert!(policy.can_principal(&member, edit, &task.with_owner_key(2)));
    assert!(!policy.can_principal(&member, edit, &task.with_owner_key(1)));
    // A subject id as owner is not a key: scoped grants do not count.
    assert_eq!(boss.manages(), [5]);
    assert_eq!(member.key(), &accessmask::Key::Num(2));
}

#[test]
fn string_keys_match_exactly_through_tokens() {
    let policy = Policy::compile(&small()).unwrap();
    let row: PrincipalDef =
        serde_json::from_str(r#"{"role": "Boss", "manages": ["bob", 17]}"#).unwrap();
    let ana = policy.principal("ana", &row).unwrap();
    assert_eq!(ana.manages_named(), ["bob".to_string()]);
    assert_eq!(ana.manages(), [17]);
    let header = policy.action("email", "header").unwrap();
    let mail = Resource::new(header.kind()).with_id(1);
    assert!(policy.can_principal(&ana, header, &mail.with_owner_token(ana.owner("bob"))));
    assert!(policy.can_principal(&ana, header, &mail.with_owner_key(17)));
    // Exact: no prefix, case or near match counts.
    for other in ["bo", "Bob", "bob ", "carl"] {
        assert!(
            !policy.can_principal(&ana, header, &mail.with_owner_token(ana.owner(other))),
            "{other}"
        );
    }
    // A token is read only by the principal that made it.
    let mut other_row = row.clone();
    other_row.manages = vec!["dan".into()];
    let eve = policy.principal("eve", &other_row).unwrap();
    assert!(!policy.can_principal(&eve, header, &mail.with_owner_token(ana.owner("bob"))));
    assert!(policy.can_principal(&eve, header, &mail.with_owner_token(eve.owner("dan"))));
    // Own-scoped grants by string key.
    let member = policy
        .principal("mia", &PrincipalDef::new("Member"))
        .unwrap();
    let edit = policy.action("task", "edit").unwrap();
    let task = Resource::new(edit.kind()).with_id(4);
    assert!(policy.can_principal(&member, edit, &task.with_owner_token(member.owner("mia"))));
    assert!(!policy.can_principal(&member, edit, &task.with_owner_token(member.owner("ana"))));
    let e = policy.explain_principal(&member, edit, &task.with_owner_token(member.owner("mia")));
    assert!(e.allowed() && e.to_string().contains("user mia"), "{e}");
    // Managing itself or the same key twice, by string.
    let bad: PrincipalDef =
        serde_json::from_str(r#"{"role": "Boss", "manages": ["ana"]}"#).unwrap();
    assert_eq!(
        policy.principal("ana", &bad).unwrap_err().to_string(),
        "principal.manages[0]: subject `ana` manages itself"
    );
}

#[test]
fn bad_rows_are_typed_errors_with_their_path() {
    let policy = Policy::compile(&small()).unwrap();
    let cases: Vec<(PrincipalDef, &str)> = vec![
        (
            PrincipalDef::new("Bos"),
            "principal.role: unknown role `Bos` (did you mean `Boss`?)",
        ),
        (
            PrincipalDef {
                toggles: vec!["Edtor".into()],
                ..PrincipalDef::new("Boss")
            },
            "principal.toggles[0]: unknown toggle `Edtor` (did you mean `Editor`?)",
        ),
        (
            PrincipalDef {
                levels: serde_json::from_str(r#"{"task": "Edt"}"#).unwrap(),
                ..PrincipalDef::new("Boss")
            },
            "principal.levels.task: unknown level `Edt` (did you mean `Edit`?)",
        ),
        (
            PrincipalDef {
                levels: serde_json::from_str(r#"{"tsk": "Edit"}"#).unwrap(),
                ..PrincipalDef::new("Boss")
            },
            "principal.levels.tsk: unknown kind `tsk` (did you mean `task`?)",
        ),
        (
            PrincipalDef {
                exceptions: vec![
                    ExceptionDef::allow_deny("task", 1, ["edit"], Vec::<String>::new()),
                    ExceptionDef::allow_deny("task", 1, Vec::<String>::new(), ["edit"]),
                ],
                ..PrincipalDef::new("Boss")
            },
            "",
        ),
        (
            PrincipalDef {
                manages: vec![3.into(), 7.into()],
                ..PrincipalDef::new("Boss")
            },
            "principal.manages[1]: subject `7` manages itself",
        ),
        (
            PrincipalDef {
                manages: vec![3.into(), 4.into(), 3.into()],
                ..PrincipalDef::new("Boss")
            },
            "principal.manages[2]: duplicate subject `3`",
        ),
    ];
    for (row, expected) in cases {
        let err = policy.principal(7, &row).unwrap_err().to_string();
        if expected.is_empty() {
            assert!(err.starts_with("principal.exceptions"), "{err}");
            assert!(err.contains("task"), "{err}");
        } else {
            assert_eq!(err, expected);
        }
    }
}

#[test]
fn a_role_change_makes_existing_principals_stale_never_revoked_answers() {
    let policy = Policy::compile(&small()).unwrap();
    let p = policy.principal(1, &PrincipalDef::new("Boss")).unwrap();
    let edit = policy.action("task", "edit").unwrap();
    let task = Resource::new(edit.kind());
    assert!(policy.can_principal(&p, edit, &task));
    let revoked = policy
        .change(&Change::DefineRole {
            role: "Boss".into(),
            def: RoleDef::new().grant("task", ["view"]),
        })
        .unwrap();
    assert!(!revoked.is_fresh(&p));
    assert!(!revoked.can_principal(&p, edit, &task));
    let e = revoked.explain_principal(&p, edit, &task);
    assert!(!e.allowed());
    assert!(e.to_string().contains("stale"), "{e}");
    // Changes to the policy's own subjects keep principals fresh.
    let added = policy
        .change(&Change::AddSubject {
            subject: "x".into(),
            def: SubjectDef::new("Member"),
        })
        .unwrap();
    assert!(added.is_fresh(&p));
    assert!(added.can_principal(&p, edit, &task));
}

/// Readers build principals from one snapshot and check them against whatever
/// snapshot is current while a writer flips the `Boss` role between granting and
/// revoking `edit`. A reader may be refused (stale), but never sees `edit`
/// allowed by a snapshot whose `Boss` does not grant it.
#[test]
fn principals_under_a_concurrent_writer_never_answer_by_a_revoked_role() {
    let live = Arc::new(LivePolicy::new(Policy::compile(&small()).unwrap()));
    let stop = Arc::new(AtomicBool::new(false));
    let checks = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (live, stop, checks) = (live.clone(), stop.clone(), checks.clone());
            std::thread::spawn(move || {
                let mut built = live.snapshot();
                let mut p = built.principal(1, &PrincipalDef::new("Boss")).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let now = live.snapshot();
                    let edit = now.action("task", "edit").unwrap();
                    let task = Resource::new(edit.kind());
                    let grants = now.role_can("Boss", "task", "edit").unwrap();
                    if now.can_principal(&p, edit, &task) {
                        assert!(grants, "answered by a revoked definition");
                    } else if now.is_fresh(&p) {
                        assert!(!grants);
                    } else {
                        built = now;
                        p = built.principal(1, &PrincipalDef::new("Boss")).unwrap();
                    }
                    checks.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for i in 0..400 {
        let grants: &[&str] = if i % 2 == 0 {
            &["view"]
        } else {
            &["view", "edit"]
        };
        live.change(&Change::DefineRole {
            role: "Boss".into(),
            def: RoleDef::new().grant(
                "task",
                accessmask::GrantDef::actions(grants.iter().copied()),
            ),
        })
        .unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert!(checks.load(Ordering::Relaxed) > 0);
}

#[test]
fn principals_are_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<accessmask::Principal>();
    assert_send_sync::<PrincipalDef>();
}

#[test]
fn expectations_name_principals_given_inline() {
    let policy = Policy::compile(&small()).unwrap();
    let doc: accessmask::testing::Expectations = serde_json::from_str(
        r#"{
      "principals": {
        "7": { "role": "Member" },
        "ana": { "role": "Boss", "manages": ["bob", 3] }
      },
      "expect": [
        "7 edit task:1 owner=7 => allow",
        "7 edit task:1 owner=8 => deny",
        "7 edit task:1 state=done owner=7 => deny",
        "ana header email:1 owner=bob => allow",
        "ana header email:1 owner=3 => allow",
        "ana header email:1 owner=carl => allow"
      ]
    }"#,
    )
    .unwrap();
    let report = policy.verify(&doc).unwrap();
    // Only the last expectation is wrong: carl is not managed by ana.
    let wrong: Vec<&str> = report
        .mismatches()
        .iter()
        .map(|m| m.path.as_str())
        .collect();
    assert_eq!(wrong, ["expect[5]"]);
    // A row that does not compile is a typed error naming it.
    let bad: accessmask::testing::Expectations = serde_json::from_str(
        r#"{"principals": {"7": {"role": "Membr"}}, "expect": ["7 edit task => deny"]}"#,
    )
    .unwrap();
    let err = policy.verify(&bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "principals.7: principal `7` does not compile"
    );
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "principal.role: unknown role `Membr` (did you mean `Member`?)"
    );
}

#[test]
fn principals_name_only_string_ids_the_policy_numbers() {
    let def: PolicyDef = serde_json::from_str(
        r#"{"kinds": {"repo": {"actions": ["push"], "ids": "string"}},
            "roles": {"Dev": {"grants": {"repo": ["push"]},
                              "exceptions": [{"kind": "repo", "id": "acme/web", "deny": ["push"]}]}}}"#,
    )
    .unwrap();
    let policy = Policy::compile(&def).unwrap();
    let repo = policy.kind("repo").unwrap();
    let push = policy.action("repo", "push").unwrap();
    // A string the policy names: the principal's rule on it holds.
    let row: PrincipalDef = serde_json::from_str(
        r#"{"role": "Dev", "exceptions": [{"kind": "repo", "id": "acme/web", "allow": ["push"]}]}"#,
    )
    .unwrap();
    let p = policy.principal(1, &row).unwrap();
    let web = policy
        .resource(repo)
        .with_instance(policy.instance(repo, "acme/web"));
    assert!(policy.can_principal(&p, push, &web));
    // One it names nowhere: a typed error with its path, never a rule that
    // silently matches nothing.
    let row: PrincipalDef = serde_json::from_str(
        r#"{"role": "Dev", "exceptions": [{"kind": "repo", "id": "acme/api", "deny": ["push"]}]}"#,
    )
    .unwrap();
    assert_eq!(
        policy.principal(1, &row).unwrap_err().to_string(),
        "principal.exceptions[0].id: string id `acme/api` is named by no rule of the policy; \
         a principal can name only string ids the policy names"
    );
}
