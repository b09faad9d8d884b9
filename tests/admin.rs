//! Live administration: every change kind, refused changes change nothing, any
//! sequence of changes answers like a fresh compile of the changed definition, no
//! escalation, and readers see whole snapshots while a writer works.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use accessmask::{
    Change, ChangeError, ExceptionDef, IdDef, LivePolicy, Policy, PolicyDef, Resource,
    RestrictionDef, RoleDef, SubjectDef,
};
use proptest::prelude::*;

fn base_def() -> PolicyDef {
    serde_json::from_str(
        r#"{
      "kinds": {
        "upload": {
          "actions": ["view", "run", "create", "edit", "delete"],
          "needs": { "run": ["view"], "create": ["edit"], "edit": ["view"], "delete": ["view"] },
          "levels": { "No Access": [], "Read Only": ["view", "run"], "Full": ["*"] },
          "states": ["draft", "live"],
          "state_rules": [{ "state": "live", "hold": ["edit"], "unless_roles": ["Admin"] }]
        },
        "tracking": {
          "actions": ["view", "edit"],
          "needs": { "edit": ["view"] },
          "levels": { "No Access": [], "Read Only": ["view"], "Full": ["view", "edit"] }
        },
        "admin": { "actions": ["manage_users", "set_levels", "define_roles"] }
      },
      "roles": {
        "Admin": { "grants": { "upload": ["*"], "tracking": ["*"], "admin": ["*"] } },
        "Manager": { "grants": { "upload": { "level": "Read Only", "own": ["edit"] },
                                 "tracking": ["view"],
                                 "admin": { "managed": ["set_levels"] } } },
        "User": { "grants": { "tracking": ["view"] } }
      },
      "toggles": { "Tracker": { "grants": { "tracking": ["edit"] } } },
      "admin": [
        { "changes": ["set_level", "set_toggle", "set_exception"], "requires": { "kind": "admin", "action": "set_levels" } },
        { "changes": ["add_subject", "remove_subject", "set_role", "set_manages"], "requires": { "kind": "admin", "action": "manage_users" } },
        { "changes": ["define_role"], "requires": { "kind": "admin", "action": "define_roles" } }
      ],
      "subjects": {
        "ada": { "role": "Admin" },
        "max": { "role": "Manager", "manages": ["uma", "ulf"] },
        "uma": { "role": "User" },
        "ulf": { "role": "User", "toggles": ["Tracker"] },
        "zed": { "role": "User" }
      }
    }"#,
    )
    .unwrap()
}

fn base() -> Policy {
    Policy::compile(&base_def()).unwrap()
}

/// Every answer of `policy` by names, over every equivalence class of resources:
/// no id or each id named anywhere, no state or each state, owner none/self/each
/// other subject.
fn number(id: &IdDef) -> Option<u64> {
    match id {
        IdDef::Number(n) => Some(*n),
        _ => None,
    }
}

fn answers(policy: &Policy) -> Vec<String> {
    let def = policy.to_definition();
    let mut ids: Vec<u64> = vec![1, 2, 3, 4];
    for (_, s) in def.subjects.iter() {
        ids.extend(s.exceptions.iter().filter_map(|e| number(&e.id)));
        ids.extend(
            s.restrictions
                .iter()
                .flat_map(|r| r.ids.iter().filter_map(number)),
        );
    }
    for (_, r) in def.roles.iter() {
        ids.extend(r.exceptions.iter().filter_map(|e| number(&e.id)));
        ids.extend(
            r.restrictions
                .iter()
                .flat_map(|r| r.ids.iter().filter_map(number)),
        );
    }
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::new();
    let subjects: Vec<_> = policy.subjects().collect();
    for &s in &subjects {
        for k in policy.kinds() {
            let states: Vec<_> = std::iter::once(None)
                .chain(policy.states(k).map(Some))
                .collect();
            for id in std::iter::once(None).chain(ids.iter().copied().map(Some)) {
                for &st in &states {
                    for owner in std::iter::once(None).chain(subjects.iter().copied().map(Some)) {
                        let mut r = Resource::new(k);
                        if let Some(id) = id {
                            r = r.with_id(id);
                        }
                        if let Some(st) = st {
                            r = r.with_state(st);
                        }
                        if let Some(o) = owner {
                            r = r.with_owner(o);
                        }
                        let set = policy.allowed(s, &r);
                        out.push(format!(
                            "{} {} {:?} {:?} {:?}: {}",
                            policy.subject_name(s),
                            policy.kind_name(k),
                            id,
                            st.map(|st| policy.state_name(st)),
                            owner.map(|o| policy.subject_name(o)),
                            set
                        ));
                    }
                }
            }
        }
    }
    out.sort();
    out
}

#[track_caller]
fn assert_like_fresh(policy: &Policy) {
    let fresh = Policy::compile(&policy.to_definition()).unwrap();
    assert_eq!(answers(policy), answers(&fresh));
}

fn can(policy: &Policy, who: &str, kind: &str, action: &str, id: Option<u64>) -> bool {
    let s = policy.subject(who).unwrap();
    let a = policy.action(kind, action).unwrap();
    let mut r = policy.resource(a.kind());
    if let Some(id) = id {
        r = r.with_id(id);
    }
    policy.can(s, a, &r)
}

fn level(subject: &str, kind: &str, level: Option<&str>) -> Change {
    Change::SetLevel {
        subject: subject.into(),
        kind: kind.into(),
        level: level.map(Into::into),
    }
}

#[test]
fn every_change_kind_takes_effect() {
    let p = base();
    // set_level and clearing it.
    let q = p
        .change(&level("uma", "upload", Some("Read Only")))
        .unwrap();
    assert!(!can(&p, "uma", "upload", "run", None));
    assert!(can(&q, "uma", "upload", "run", None));
    let q = q.change(&level("uma", "upload", None)).unwrap();
    assert!(!can(&q, "uma", "upload", "run", None));
    // set_role.
    let q = p
        .change(&Change::SetRole {
            subject: "zed".into(),
            role: "Admin".into(),
        })
        .unwrap();
    assert!(can(&q, "zed", "upload", "delete", None));
    // set_toggle on and off.
    let q = p
        .change(&Change::SetToggle {
            subject: "zed".into(),
            toggle: "Tracker".into(),
            on: true,
        })
        .unwrap();
    assert!(can(&q, "zed", "tracking", "edit", None));
    let q = q
        .change(&Change::SetToggle {
            subject: "zed".into(),
            toggle: "Tracker".into(),
            on: false,
        })
        .unwrap();
    assert!(!can(&q, "zed", "tracking", "edit", None));
    // set_exception, replace, remove.
    let q = p
        .change(&Change::SetException {
            subject: "ada".into(),
            exception: ExceptionDef::allow_deny("upload", 7, Vec::<String>::new(), ["edit"]),
        })
        .unwrap();
    assert!(!can(&q, "ada", "upload", "edit", Some(7)));
    assert!(can(&q, "ada", "upload", "edit", Some(8)));
    let q = q
        .change(&Change::SetException {
            subject: "ada".into(),
            exception: ExceptionDef::level("upload", 7, "Read Only"),
        })
        .unwrap();
    assert!(!can(&q, "ada", "upload", "edit", Some(7)));
    assert!(can(&q, "ada", "upload", "run", Some(7)));
    let q = q
        .change(&Change::RemoveException {
            subject: "ada".into(),
            kind: "upload".into(),
            within: None,
            id: 7.into(),
        })
        .unwrap();
    assert!(can(&q, "ada", "upload", "edit", Some(7)));
    // set_restriction and remove.
    let q = p
        .change(&Change::SetRestriction {
            subject: "ada".into(),
            restriction: RestrictionDef::new("upload", ["delete"], [3]),
        })
        .unwrap();
    assert!(can(&q, "ada", "upload", "delete", Some(3)));
    assert!(!can(&q, "ada", "upload", "delete", Some(4)));
    let q = q
        .change(&Change::RemoveRestriction {
            subject: "ada".into(),
            kind: "upload".into(),
            within: None,
        })
        .unwrap();
    assert!(can(&q, "ada", "upload", "delete", Some(4)));
    // set_manages: max stops managing uma.
    let tracking_of = |p: &Policy, owner: &str| {
        let max = p.subject("max").unwrap();
        let a = p.action("admin", "set_levels").unwrap();
        p.can(
            max,
            a,
            &p.resource(a.kind()).with_owner(p.subject(owner).unwrap()),
        )
    };
    assert!(tracking_of(&p, "uma"));
    let q = p
        .change(&Change::SetManages {
            subject: "max".into(),
            manages: vec!["ulf".into()],
        })
        .unwrap();
    assert!(!tracking_of(&q, "uma"));
    assert!(tracking_of(&q, "ulf"));
    // add_subject and remove_subject.
    let q = p
        .change(&Change::AddSubject {
            subject: "new".into(),
            def: SubjectDef::new("Admin"),
        })
        .unwrap();
    assert!(can(&q, "new", "upload", "delete", None));
    assert_eq!(q.subject_count(), p.subject_count() + 1);
    let q = q
        .change(&Change::RemoveSubject {
            subject: "new".into(),
        })
        .unwrap();
    assert!(q.subject("new").is_none());
    assert_eq!(q.subject_count(), p.subject_count());
    // define_role: replace and add.
    let q = p
        .change(&Change::DefineRole {
            role: "User".into(),
            def: RoleDef::new().grant("upload", ["view"]),
        })
        .unwrap();
    assert!(can(&q, "uma", "upload", "view", None));
    assert!(!can(&q, "uma", "tracking", "view", None));
    let q = q
        .change(&Change::DefineRole {
            role: "Auditor".into(),
            def: RoleDef::derived_from("User").grant("tracking", ["view"]),
        })
        .unwrap();
    let q = q
        .change(&Change::SetRole {
            subject: "zed".into(),
            role: "Auditor".into(),
        })
        .unwrap();
    assert!(can(&q, "zed", "upload", "view", None));
    assert!(can(&q, "zed", "tracking", "view", None));
    assert_like_fresh(&q);
}

#[test]
fn changes_do_not_touch_the_old_snapshot() {
    let p = base();
    let before = answers(&p);
    let _ = p.change(&level("uma", "upload", Some("Full"))).unwrap();
    assert_eq!(answers(&p), before);
}

#[test]
fn bad_changes_are_typed_errors() {
    let p = base();
    let cases: Vec<(Change, &str)> = vec![
        (
            level("umma", "upload", Some("Full")),
            "unknown subject `umma` (did you mean `uma`?)",
        ),
        (
            level("uma", "uplod", Some("Full")),
            "subjects.uma.levels.uplod: unknown kind `uplod` (did you mean `upload`?)",
        ),
        (
            level("uma", "upload", Some("Fulll")),
            "subjects.uma.levels.upload: unknown level `Fulll` (did you mean `Full`?)",
        ),
        (
            Change::SetRole {
                subject: "uma".into(),
                role: "Admn".into(),
            },
            "subjects.uma.role: unknown role `Admn` (did you mean `Admin`?)",
        ),
        (
            Change::SetToggle {
                subject: "uma".into(),
                toggle: "Trackr".into(),
                on: true,
            },
            "subjects.uma.toggles: unknown toggle `Trackr` (did you mean `Tracker`?)",
        ),
        (
            Change::AddSubject {
                subject: "uma".into(),
                def: SubjectDef::new("User"),
            },
            "subject `uma` exists already",
        ),
        (
            Change::AddSubject {
                subject: "".into(),
                def: SubjectDef::new("User"),
            },
            "subjects[5]: empty subject name",
        ),
        (
            Change::AddSubject {
                subject: "me".into(),
                def: SubjectDef::new("User").manages("me"),
            },
            "subjects.me.manages[0]: subject `me` manages itself",
        ),
        (
            Change::RemoveSubject {
                subject: "uma".into(),
            },
            "cannot remove subject `uma`: `max` manages it",
        ),
        (
            Change::RemoveException {
                subject: "uma".into(),
                kind: "upload".into(),
                within: None,
                id: 1.into(),
            },
            "subject `uma` has no exception on `upload:1`",
        ),
        (
            Change::RemoveRestriction {
                subject: "uma".into(),
                kind: "upload".into(),
                within: None,
            },
            "subject `uma` has no restriction on `upload`",
        ),
        (
            Change::SetManages {
                subject: "max".into(),
                manages: vec!["max".into()],
            },
            "subjects.max.manages[0]: subject `max` manages itself",
        ),
        (
            Change::SetException {
                subject: "uma".into(),
                exception: ExceptionDef {
                    kind: "upload".into(),
                    id: 1.into(),
                    ..Default::default()
                },
            },
            "subjects.uma.exceptions[0]: an exception sets no level and allows or denies nothing",
        ),
        (
            Change::DefineRole {
                role: "User".into(),
                def: RoleDef::derived_from("Ghost"),
            },
            "roles.User.base: unknown role `Ghost`",
        ),
    ];
    // A base-role cycle made by a change: Manager derived from Admin, then Admin
    // from Manager.
    let p2 = p
        .change(&Change::DefineRole {
            role: "Manager".into(),
            def: RoleDef::derived_from("Admin"),
        })
        .unwrap();
    let err = p2
        .change(&Change::DefineRole {
            role: "Admin".into(),
            def: RoleDef::derived_from("Manager"),
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "roles.Manager.base: base-role cycle Admin -> Manager -> Admin"
    );
    for (change, expected) in cases {
        let err = p.change(&change).unwrap_err();
        assert_eq!(err.to_string(), expected, "{change}");
    }
}

#[test]
fn permissions_are_checked_and_refusals_change_nothing() {
    let live = LivePolicy::new(base());
    let before = live.snapshot();
    // A User may change nothing.
    let err = live
        .apply("uma", &level("zed", "upload", Some("Read Only")))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`uma` may not set the level of `zed` on `upload` to `Read Only`: it lacks `admin.set_levels` (admin rule 0)"
    );
    // A Manager may set levels of the users it manages only.
    live.apply("max", &level("uma", "upload", Some("Read Only")))
        .unwrap();
    let err = live
        .apply("max", &level("zed", "upload", Some("Read Only")))
        .unwrap_err();
    assert!(matches!(err, ChangeError::NotPermitted { .. }), "{err}");
    // ... and may not grant what it does not hold itself.
    let err = live
        .apply("max", &level("uma", "upload", Some("Full")))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`max` may not set the level of `uma` on `upload` to `Full`: `uma` would gain `create`, `edit`, `delete` on `upload`, which `max` does not hold there (admin rule 0 does not allow granting beyond one's own)"
    );
    // An own-scoped grant is not a kind-wide one: giving edit on uma's own uploads
    // (which max holds only on max's own) is escalation too.
    let err = live
        .apply(
            "max",
            &Change::SetException {
                subject: "uma".into(),
                exception: ExceptionDef::allow_deny("upload", 5, ["edit"], Vec::<String>::new()),
            },
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`max` may not set an exception for `uma` on `upload:5`: `uma` would gain `edit` on `upload:5`, which `max` does not hold there (admin rule 0 does not allow granting beyond one's own)"
    );
    // No rule covers a change: refused by default.
    let mut def = base_def();
    def.admin.clear();
    let bare = Policy::compile(&def).unwrap();
    let err = bare
        .apply("ada", &level("uma", "upload", Some("Read Only")))
        .unwrap_err();
    assert_eq!(err.to_string(), "`ada` may not make this change");
    assert_eq!(
        bare.apply("nobody", &level("uma", "upload", None))
            .unwrap_err(),
        ChangeError::Refused {
            actor: "nobody".into()
        }
    );
    // An admin may; a batch with one refused change applies none of it.
    let mid = live.snapshot();
    let err = live
        .apply_all(
            "max",
            &[
                level("uma", "tracking", Some("No Access")),
                level("zed", "tracking", Some("No Access")),
            ],
        )
        .unwrap_err();
    assert!(matches!(err, ChangeError::Batch { index: 1, .. }), "{err}");
    assert_eq!(*live.snapshot(), *mid);
    live.apply("ada", &level("zed", "upload", Some("Full")))
        .unwrap();
    assert!(can(&live.snapshot(), "zed", "upload", "delete", None));
    assert_ne!(*live.snapshot(), *before);
}

#[test]
fn managing_someone_new_is_checked_for_escalation() {
    // `hal` may manage users but holds no `admin.set_levels`; making `max` (a
    // Manager, with `set_levels` on managed subjects' instances) manage `zed` would
    // give `max` that power over `zed`: refused. `ada` holds everything: allowed.
    let mut def = base_def();
    def.roles.insert(
        "HR",
        serde_json::from_str(r#"{"grants": {"admin": ["manage_users"]}}"#).unwrap(),
    );
    def.subjects.insert("hal", SubjectDef::new("HR"));
    let p = Policy::compile(&def).unwrap();
    let change = Change::SetManages {
        subject: "max".into(),
        manages: vec!["uma".into(), "ulf".into(), "zed".into()],
    };
    let err = p.apply("hal", &change).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`hal` may not set whom `max` manages: `max` would gain `set_levels` on `admin` owned by `zed`, which `hal` does not hold there (admin rule 1 does not allow granting beyond one's own)"
    );
    let q = p.apply("ada", &change).unwrap();
    let max = q.subject("max").unwrap();
    let set = q.action("admin", "set_levels").unwrap();
    let zed = q.subject("zed").unwrap();
    assert!(q.can(max, set, &q.resource(set.kind()).with_owner(zed)));
}

#[test]
fn a_declared_rule_can_allow_granting_beyond_own() {
    let mut def = base_def();
    def.admin[0].may_grant_beyond_own = true;
    let p = Policy::compile(&def).unwrap();
    let q = p
        .apply("max", &level("uma", "upload", Some("Full")))
        .unwrap();
    assert!(can(&q, "uma", "upload", "delete", None));
}

#[test]
fn a_manager_cannot_promote_itself() {
    let p = base();
    let err = p
        .apply(
            "max",
            &Change::SetRole {
                subject: "max".into(),
                role: "Admin".into(),
            },
        )
        .unwrap_err();
    assert!(matches!(err, ChangeError::NotPermitted { .. }), "{err}");
    let err = p
        .apply(
            "ada",
            &Change::DefineRole {
                role: "User".into(),
                def: RoleDef::new().grant("upload", ["*"]),
            },
        )
        .map(|_| ());
    assert!(
        err.is_ok(),
        "an admin holding everything may redefine roles"
    );
    let err = p
        .apply(
            "max",
            &Change::DefineRole {
                role: "User".into(),
                def: RoleDef::new().grant("upload", ["*"]),
            },
        )
        .unwrap_err();
    assert!(matches!(err, ChangeError::NotPermitted { .. }), "{err}");
}

fn change_strategy() -> impl Strategy<Value = Change> {
    let subject = prop::sample::select(vec!["ada", "max", "uma", "ulf", "zed", "new", "gone"]);
    let kind = prop::sample::select(vec!["upload", "tracking", "admin"]);
    let lvl = prop::option::of(prop::sample::select(vec!["No Access", "Read Only", "Full"]));
    let role = prop::sample::select(vec!["Admin", "Manager", "User", "Auditor"]);
    let action = prop::sample::select(vec!["view", "run", "edit", "delete"]);
    prop_oneof![
        (subject.clone(), kind.clone(), lvl).prop_map(|(s, k, l)| level(s, k, l)),
        (subject.clone(), role.clone()).prop_map(|(s, r)| Change::SetRole {
            subject: s.into(),
            role: r.into()
        }),
        (subject.clone(), any::<bool>()).prop_map(|(s, on)| Change::SetToggle {
            subject: s.into(),
            toggle: "Tracker".into(),
            on
        }),
        (subject.clone(), 1u64..4, action.clone(), any::<bool>()).prop_map(|(s, id, a, allow)| {
            Change::SetException {
                subject: s.into(),
                exception: if allow {
                    ExceptionDef::allow_deny("upload", id, [a], Vec::<String>::new())
                } else {
                    ExceptionDef::allow_deny("upload", id, Vec::<String>::new(), [a])
                },
            }
        }),
        (subject.clone(), 1u64..4).prop_map(|(s, id)| Change::RemoveException {
            subject: s.into(),
            kind: "upload".into(),
            within: None,
            id: id.into()
        }),
        (subject.clone(), action.clone(), 1u64..4).prop_map(|(s, a, id)| Change::SetRestriction {
            subject: s.into(),
            restriction: RestrictionDef::new("upload", [a], [id]),
        }),
        subject.clone().prop_map(|s| Change::RemoveRestriction {
            subject: s.into(),
            kind: "upload".into(),
            within: None
        }),
        (
            subject.clone(),
            prop::collection::vec(subject.clone(), 0..3)
        )
            .prop_map(|(s, m)| Change::SetManages {
                subject: s.into(),
                manages: m.into_iter().map(Into::into).collect(),
            }),
        (subject.clone(), role.clone()).prop_map(|(s, r)| Change::AddSubject {
            subject: s.into(),
            def: SubjectDef::new(r)
        }),
        subject.prop_map(|s| Change::RemoveSubject { subject: s.into() }),
        (
            role,
            prop::option::of(prop::sample::select(vec!["User", "Manager"])),
            action,
            1u64..4
        )
            .prop_map(|(r, base, a, id)| {
                let mut def = match base {
                    Some(b) if b != r => RoleDef::derived_from(b),
                    _ => RoleDef::new(),
                };
                def = def.grant("upload", [a]).exception(ExceptionDef::allow_deny(
                    "upload",
                    id,
                    Vec::<String>::new(),
                    [a],
                ));
                Change::DefineRole {
                    role: r.into(),
                    def,
                }
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("ACCESSMASK_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    /// After any sequence of changes (the invalid ones refused), the policy answers
    /// exactly like a policy compiled from scratch from its definition.
    #[test]
    fn change_sequences_equal_a_fresh_compile(changes in prop::collection::vec(change_strategy(), 1..12)) {
        let mut p = base();
        for c in &changes {
            if let Ok(next) = p.change(c) {
                p = next;
            }
        }
        let fresh = Policy::compile(&p.to_definition()).unwrap();
        prop_assert_eq!(answers(&p), answers(&fresh));
    }

    /// An accepted permissioned change gives its subject nothing the actor did not
    /// hold (no rule here allows granting beyond one's own).
    #[test]
    fn accepted_changes_never_escalate(
        actor in prop::sample::select(vec!["ada", "max", "uma", "ulf", "zed"]),
        changes in prop::collection::vec(change_strategy(), 1..6),
    ) {
        let mut p = base();
        for c in &changes {
            let Some(who) = c.subject() else { continue };
            let Ok(next) = p.apply(actor, c) else { continue };
            if let (Some(t), Some(a)) = (next.subject(who), p.subject(actor)) {
                // Every owner: none, and every subject (the target itself, those it
                // manages, and the others).
                let owners: Vec<Option<accessmask::SubjectId>> =
                    std::iter::once(None).chain(next.subjects().map(Some)).collect();
                for k in next.kinds() {
                    for id in [None, Some(1), Some(2), Some(3)] {
                        for &owner in &owners {
                            let mut r = Resource::new(k);
                            if let Some(id) = id { r = r.with_id(id); }
                            if let Some(o) = owner {
                                // An owner added by this change owns nothing before it.
                                if p.subject(next.subject_name(o)) != Some(o) { continue; }
                                r = r.with_owner(o);
                            }
                            let before = if p.subject(who).is_some() { p.allowed(t, &r).bits() } else { 0 };
                            let after = next.allowed(t, &r).bits();
                            let held = p.allowed(a, &r).bits();
                            prop_assert_eq!(after & !before & !held, 0, "{} escalated {:?}", actor, c);
                        }
                    }
                }
            }
            p = next;
        }
    }
}

/// Readers on several threads keep checking while a writer moves `uma` back and
/// forth between two whole states with batches: (Full on upload, Full on tracking)
/// and (No Access on both). No reader may ever see a mix.
#[test]
fn readers_see_whole_batches_only() {
    let live = Arc::new(LivePolicy::new(base()));
    let stop = Arc::new(AtomicBool::new(false));
    let checks = Arc::new(AtomicUsize::new(0));
    let snapshot = live.snapshot();
    let uma = snapshot.subject("uma").unwrap();
    let up = snapshot.action("upload", "delete").unwrap();
    let tr = snapshot.action("tracking", "edit").unwrap();
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (live, stop, checks) = (Arc::clone(&live), Arc::clone(&stop), Arc::clone(&checks));
            std::thread::spawn(move || {
                let mut mixed = 0usize;
                let mut n = 0usize;
                while !stop.load(Ordering::Relaxed) && n < 5_000_000 {
                    let p = live.snapshot();
                    let a = p.can(uma, up, &p.resource(up.kind()));
                    let b = p.can(uma, tr, &p.resource(tr.kind()));
                    mixed += usize::from(a != b);
                    n += 1;
                }
                checks.fetch_add(n, Ordering::Relaxed);
                mixed
            })
        })
        .collect();
    let up_state = |l: &str| {
        vec![
            level("uma", "upload", Some(l)),
            level("uma", "tracking", Some(l)),
        ]
    };
    for i in 0..2_000 {
        let l = if i % 2 == 0 { "Full" } else { "No Access" };
        live.change_all(&up_state(l)).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let mixed: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert_eq!(mixed, 0);
    assert!(checks.load(Ordering::Relaxed) > 0);
}

/// The change the diff gives a class: its own entry, or its nearest listed
/// ancestor's (instance -> kind, state -> none, owner -> none), as documented.
fn diff_change(
    diff: &accessmask::PolicyDiff,
    subject: &str,
    kind: &str,
    id: Option<u64>,
    state: Option<&str>,
    owner: accessmask::OwnerClass,
) -> (Vec<String>, Vec<String>) {
    use accessmask::OwnerClass;
    let holder = accessmask::Holder::Subject(subject.to_string());
    let mut class = (id.map(IdDef::from), state, owner);
    loop {
        if let Some(e) = diff.entries().iter().find(|e| {
            e.holder == holder
                && e.kind == kind
                && e.within.is_empty()
                && (e.id.clone(), e.state.as_deref(), e.owner.clone()) == class
        }) {
            return (e.gained.clone(), e.lost.clone());
        }
        class = match class {
            (Some(_), st, o) => (None, st, o),
            (None, Some(_), o) => (None, None, o),
            (None, None, OwnerClass::None) => return (vec![], vec![]),
            (None, None, _) => (None, None, OwnerClass::None),
        };
    }
}

fn names(set: accessmask::ActionSet<'_>) -> std::collections::BTreeSet<String> {
    set.iter().map(str::to_string).collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("ACCESSMASK_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    /// The diff is exact and complete: for every subject, kind, id, state and owner
    /// class, before + gained - lost == after.
    #[test]
    fn diff_accounts_for_every_changed_answer(changes in prop::collection::vec(change_strategy(), 1..6)) {
        use accessmask::OwnerClass;
        let before = base();
        let mut after = before.clone();
        for c in &changes {
            if let Ok(next) = after.change(c) {
                after = next;
            }
        }
        let diff = before.diff(&after);
        let subject_entries = diff
            .entries()
            .iter()
            .filter(|e| matches!(e.holder, accessmask::Holder::Subject(_)))
            .count();
        prop_assert_eq!(subject_entries == 0, answers(&before) == answers(&after));
        let subjects: Vec<String> = before
            .subjects()
            .map(|s| before.subject_name(s).to_string())
            .filter(|n| after.subject(n).is_some())
            .collect();
        for name in &subjects {
            let (s0, s1) = (before.subject(name).unwrap(), after.subject(name).unwrap());
            for k0 in before.kinds() {
                let kname = before.kind_name(k0);
                let k1 = after.kind(kname).unwrap();
                let manages = |p: &Policy| p.to_definition().subjects.get(name).map(|d| d.manages.clone()).unwrap_or_default();
                let managed: Vec<String> = manages(&before).into_iter().chain(manages(&after)).collect();
                for id in [None, Some(1), Some(2), Some(3)] {
                    for st in [None, Some("live")] {
                        for owner in std::iter::once(None).chain(subjects.iter().map(Some)) {
                            let res = |p: &Policy, k, s: accessmask::SubjectId| {
                                let mut r = p.resource(k);
                                if let Some(id) = id { r = r.with_id(id); }
                                if let Some(st) = st.and_then(|st| p.state(k, st)) { r = r.with_state(st); }
                                let _ = s;
                                if let Some(o) = owner { r = r.with_owner(p.subject(o).unwrap()); }
                                r
                            };
                            let class = match owner {
                                Some(o) if o == name => OwnerClass::Own,
                                Some(o) if managed.contains(o) => OwnerClass::Of(o.clone()),
                                _ => OwnerClass::None,
                            };
                            let a = names(before.allowed(s0, &res(&before, k0, s0)));
                            let b = names(after.allowed(s1, &res(&after, k1, s1)));
                            let (gained, lost) = diff_change(&diff, name, kname, id, st, class.clone());
                            let mut rebuilt = a.clone();
                            rebuilt.extend(gained.iter().cloned());
                            for l in &lost { rebuilt.remove(l); }
                            prop_assert_eq!(&rebuilt, &b, "{} {} {:?} {:?} {:?}\n{}", name, kname, id, st, class, diff);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn diff_of_a_role_change_names_roles_and_holders() {
    let before = base();
    let after = before
        .change(&Change::DefineRole {
            role: "User".into(),
            def: RoleDef::new().grant("tracking", ["edit"]),
        })
        .unwrap();
    let text = before.diff(&after).to_string();
    assert!(text.contains("role `User` on `tracking`: + edit"), "{text}");
    assert!(
        text.contains("subject `uma` on `tracking`: + edit"),
        "{text}"
    );
    assert!(
        !text.contains("subject `ulf`"),
        "ulf had edit by toggle already: {text}"
    );
    assert!(before.diff(&before).is_empty());
    assert_eq!(before.diff(&before).to_string(), "no change\n");
}

/// Many changes that each make a new combination of levels: new profiles first go
/// to a short side table, which is folded into the main one as it grows. Answers
/// must stay those of a fresh compile all along.
#[test]
fn many_new_profiles_keep_answers_exact() {
    let levels = ["No Access", "Read Only", "Full"];
    let mut p = base();
    let mut n = 0;
    for i in 0..60 {
        let name = format!("s{i}");
        p = p
            .change(&Change::AddSubject {
                subject: name.clone(),
                def: SubjectDef::new(["Admin", "Manager", "User"][i % 3]),
            })
            .unwrap();
        for (j, kind) in ["upload", "tracking"].iter().enumerate() {
            let l = levels[(i / (j + 1) + j) % 3];
            p = p.change(&level(&name, kind, Some(l))).unwrap();
            n += 1;
        }
        if i % 7 == 0 {
            p = p
                .change(&Change::SetToggle {
                    subject: name.clone(),
                    toggle: "Tracker".into(),
                    on: true,
                })
                .unwrap();
        }
        if i % 20 == 19 {
            assert_like_fresh(&p);
        }
    }
    assert!(n > 64);
    assert_like_fresh(&p);
    // A role change recomputes every profile, both tables.
    let q = p
        .change(&Change::DefineRole {
            role: "User".into(),
            def: RoleDef::new().grant("upload", ["view"]),
        })
        .unwrap();
    assert_like_fresh(&q);
}
