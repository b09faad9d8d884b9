//! No escalation, exactly (MODEL.md): an actor with delegated administration tries
//! every route to more power, and a brute-force oracle checks every accepted and
//! refused change against every concrete resource of a small universe.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "common/policygen.rs"]
mod policygen;

use accessmask::{
    Change, ChangeError, ChangeKind, ExceptionDef, GrantDef, Policy, PolicyDef, Resource,
    RestrictionDef, RoleDef, SubjectDef,
};
use policygen::{gen_exceptions, gen_grant, gen_policy, kind_named, level_names, Draw, ID_POOL};
use proptest::prelude::*;

/// The attacker's world: `lead` administers (define roles, set toggles, levels and
/// exceptions) and holds `task` view+edit, except edit on task 42; `locked` tasks
/// hold `edit` back except from `Boss` or toggle `Unlock`; `send.sync` needs
/// `upload.view`; only a `superuser` may set roles, and may grant beyond its own.
fn world() -> Policy {
    let def: PolicyDef = serde_json::from_str(
        r#"{
      "kinds": {
        "task": {
          "actions": ["view", "edit", "delete"],
          "needs": { "edit": ["view"], "delete": ["view"] },
          "levels": { "None": [], "View": ["view"], "Edit": ["view", "edit"] },
          "states": ["open", "locked"],
          "state_rules": [{ "state": "locked", "hold": ["edit"], "unless_roles": ["Boss", "Root"], "unless_toggles": ["Unlock"] }]
        },
        "upload": { "actions": ["view"] },
        "send": {
          "actions": ["sync"],
          "prerequisites": [{ "action": "sync", "kind": "upload", "actions": ["view"] }]
        },
        "admin": { "actions": ["define_roles", "set_toggles", "set_levels", "set_exceptions", "superuser"] }
      },
      "roles": {
        "Lead": { "grants": { "task": ["view", "edit"], "upload": ["view"],
                              "admin": ["define_roles", "set_toggles", "set_levels", "set_exceptions"] } },
        "Editor": { "grants": { "task": ["view", "edit"] } },
        "Boss": { "grants": { "task": ["view"] } },
        "Member": { "grants": { "task": ["view"] } },
        "Root": { "grants": { "task": ["*"], "upload": ["*"], "send": ["*"], "admin": ["*"] } }
      },
      "toggles": {
        "Unlock": {},
        "Syncer": { "grants": { "send": ["sync"] } }
      },
      "admin": [
        { "changes": ["set_toggle"], "requires": { "kind": "admin", "action": "set_toggles" } },
        { "changes": ["set_level"], "requires": { "kind": "admin", "action": "set_levels" } },
        { "changes": ["define_role"], "requires": { "kind": "admin", "action": "define_roles" } },
        { "changes": ["set_exception"], "requires": { "kind": "admin", "action": "set_exceptions" } },
        { "changes": ["set_role"], "requires": { "kind": "admin", "action": "superuser" }, "may_grant_beyond_own": true }
      ],
      "subjects": {
        "lead": { "role": "Lead", "exceptions": [{ "kind": "task", "id": 42, "deny": ["edit"] }] },
        "ed": { "role": "Editor" },
        "boss": { "role": "Boss" },
        "mem": { "role": "Member" },
        "syncy": { "role": "Member", "toggles": ["Syncer"], "manages": ["boss"] },
        "root": { "role": "Root" }
      }
    }"#,
    )
    .unwrap();
    Policy::compile(&def).unwrap()
}

fn toggle(subject: &str, toggle: &str) -> Change {
    Change::SetToggle {
        subject: subject.into(),
        toggle: toggle.into(),
        on: true,
    }
}

fn level(subject: &str, kind: &str, level: &str) -> Change {
    Change::SetLevel {
        subject: subject.into(),
        kind: kind.into(),
        level: Some(level.into()),
    }
}

fn define(role: &str, json: &str) -> Change {
    Change::DefineRole {
        role: role.into(),
        def: serde_json::from_str(json).unwrap(),
    }
}

#[track_caller]
fn refused(p: &Policy, actor: &str, change: &Change, expected: &str) {
    let err = p.apply(actor, change).unwrap_err();
    assert_eq!(err.to_string(), expected);
}

#[test]
fn attack_1_state_exemption_by_toggle_for_another_or_for_itself() {
    let p = world();
    refused(
        &p,
        "lead",
        &toggle("ed", "Unlock"),
        "`lead` may not switch `Unlock` on for `ed`: `ed` would gain `edit` on `task` in state `locked`, which `lead` does not hold there (admin rule 0 does not allow granting beyond one's own)",
    );
    refused(
        &p,
        "lead",
        &toggle("lead", "Unlock"),
        "`lead` may not switch `Unlock` on for `lead`: `lead` would gain `edit` on `task` in state `locked`, which `lead` does not hold there (admin rule 0 does not allow granting beyond one's own)",
    );
    // Root holds edit in every state: it may.
    p.apply("root", &toggle("ed", "Unlock")).unwrap();
}

#[test]
fn attack_2_exempt_role_given_more_by_level_or_by_definition() {
    // Without lead's own exception on task 42, only the state exemption is left.
    let mut def = world().to_definition();
    def.subjects.get_mut("lead").unwrap().exceptions.clear();
    let p = Policy::compile(&def).unwrap();
    refused(
        &p,
        "lead",
        &level("boss", "task", "Edit"),
        "`lead` may not set the level of `boss` on `task` to `Edit`: `boss` would gain `edit` on `task` in state `locked`, which `lead` does not hold there (admin rule 1 does not allow granting beyond one's own)",
    );
    refused(
        &p,
        "lead",
        &define("Boss", r#"{"grants": {"task": ["view", "edit"]}}"#),
        "`lead` may not define role `Boss`: `boss` would gain `edit` on `task` in state `locked`, which `lead` does not hold there (admin rule 2 does not allow granting beyond one's own)",
    );
    // With it, the instance lead is denied on is found first.
    refused(
        &world(),
        "lead",
        &level("boss", "task", "Edit"),
        "`lead` may not set the level of `boss` on `task` to `Edit`: `boss` would gain `edit` on `task:42`, which `lead` does not hold there (admin rule 1 does not allow granting beyond one's own)",
    );
}

#[test]
fn attack_3_own_scoped_grants_on_the_actors_own_role_and_the_two_step_batch() {
    let p = world();
    let lead_with = |own: &str| {
        define(
            "Lead",
            &format!(
                r#"{{"grants": {{"task": ["view", "edit"], "upload": ["view"],
                   "admin": {{"actions": ["define_roles", "set_toggles", "set_levels", "set_exceptions"], "own": {own}}}}}}}"#
            ),
        )
    };
    refused(
        &p,
        "lead",
        &lead_with(r#"["superuser"]"#),
        "`lead` may not define role `Lead`: `lead` would gain `superuser` on `admin` owned by `lead`, which `lead` does not hold there (admin rule 2 does not allow granting beyond one's own)",
    );
    refused(
        &p,
        "lead",
        &define(
            "Lead",
            r#"{"grants": {"task": {"actions": ["view", "edit"], "own": ["delete"]}, "upload": ["view"],
                "admin": ["define_roles", "set_toggles", "set_levels", "set_exceptions"]}}"#,
        ),
        "`lead` may not define role `Lead`: `lead` would gain `delete` on `task` owned by `lead`, which `lead` does not hold there (admin rule 2 does not allow granting beyond one's own)",
    );
    // Both steps in one batch: the second needs `superuser` in the snapshot the
    // batch is asked of, which `lead` lacks.
    let batch = [
        lead_with(r#"["superuser"]"#),
        Change::SetRole {
            subject: "lead".into(),
            role: "Root".into(),
        },
    ];
    let err = p.apply_all("lead", &batch).unwrap_err();
    assert_eq!(err.to_string(), "change 1 of the batch was refused");
    let ChangeError::Batch { index: 1, source } = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        source.to_string(),
        "`lead` may not set the role of `lead` to `Root`: it lacks `admin.superuser` (admin rule 4)"
    );
}

#[test]
fn attack_4_scoped_grants_on_another_role() {
    let p = world();
    refused(
        &p,
        "lead",
        &define("Member", r#"{"grants": {"task": {"actions": ["view"], "own": ["delete"]}}}"#),
        "`lead` may not define role `Member`: `mem` would gain `delete` on `task` owned by `mem`, which `lead` does not hold there (admin rule 2 does not allow granting beyond one's own)",
    );
    refused(
        &p,
        "lead",
        &define("Member", r#"{"grants": {"task": {"actions": ["view"], "managed": ["delete"]}}}"#),
        "`lead` may not define role `Member`: `syncy` would gain `delete` on `task` owned by `boss`, which `lead` does not hold there (admin rule 2 does not allow granting beyond one's own)",
    );
}

#[test]
fn attack_5_role_definitions_are_judged_with_the_holders_toggles() {
    let p = world();
    // `lead` holds upload.view itself; a Member with `Syncer` then meets the
    // prerequisite of send.sync, which `lead` does not hold.
    refused(
        &p,
        "lead",
        &define("Member", r#"{"grants": {"task": ["view"], "upload": ["view"]}}"#),
        "`lead` may not define role `Member`: `syncy` would gain `sync` on `send`, which `lead` does not hold there (admin rule 2 does not allow granting beyond one's own)",
    );
}

#[test]
fn attack_6_the_actors_own_exceptions_are_tried() {
    let p = world();
    refused(
        &p,
        "lead",
        &level("mem", "task", "Edit"),
        "`lead` may not set the level of `mem` on `task` to `Edit`: `mem` would gain `edit` on `task:42`, which `lead` does not hold there (admin rule 1 does not allow granting beyond one's own)",
    );
    // Without the instance the actor is denied on, the same grant is fine.
    let mut def = p.to_definition();
    def.subjects.get_mut("lead").unwrap().exceptions.clear();
    let q = Policy::compile(&def).unwrap();
    q.apply("lead", &level("mem", "task", "Edit")).unwrap();
}

#[test]
fn attack_7_authorization_comes_first_and_says_nothing() {
    let p = world();
    let same = |actor: &str, change: &Change| p.apply(actor, change).unwrap_err().to_string();
    // An unknown actor: one refusal, whatever the change names, no suggestion.
    let typo = Change::SetRole {
        subject: "lead".into(),
        role: "Rooot".into(),
    };
    let ghost = Change::SetRole {
        subject: "ghost".into(),
        role: "Root".into(),
    };
    assert_eq!(same("nobody", &typo), "`nobody` may not make this change");
    assert_eq!(same("nobody", &ghost), "`nobody` may not make this change");
    assert_eq!(
        p.apply("nobody", &typo).unwrap_err(),
        ChangeError::Refused {
            actor: "nobody".into()
        }
    );
    // A subject no rule covers for the change: the same refusal.
    let mut def = p.to_definition();
    def.admin
        .retain(|r| !r.changes.contains(&ChangeKind::SetRole));
    let q = Policy::compile(&def).unwrap();
    assert_eq!(
        q.apply("mem", &typo).unwrap_err().to_string(),
        "`mem` may not make this change"
    );
    assert_eq!(
        q.apply("root", &ghost).unwrap_err().to_string(),
        "`root` may not make this change"
    );
    // A covered actor without the rule's action learns nothing about the target:
    // an existing and a missing subject read the same.
    assert_eq!(
        same("mem", &ghost),
        "`mem` may not set the role of `ghost` to `Root`: it lacks `admin.superuser` (admin rule 4)"
    );
    assert_eq!(
        same("mem", &typo),
        "`mem` may not set the role of `lead` to `Rooot`: it lacks `admin.superuser` (admin rule 4)"
    );
    // Control characters in what a caller sends are escaped in the refusal.
    assert_eq!(
        same("x\n[ERROR] forged", &typo),
        "`x\\n[ERROR] forged` may not make this change"
    );
    // Only an authorized actor reaches validation.
    assert_eq!(
        same("root", &typo),
        "subjects.lead.role: unknown role `Rooot` (did you mean `Root`?)"
    );
}

#[test]
fn refusals_serialize_for_audit_logs() {
    let p = world();
    let err = p.apply("lead", &level("mem", "task", "Edit")).unwrap_err();
    assert_eq!(
        serde_json::to_value(&err).unwrap(),
        serde_json::json!({"Escalation": {
            "actor": "lead", "change": "set the level of `mem` on `task` to `Edit`",
            "subject": "mem", "kind": "task", "actions": ["edit"], "id": "42", "within": [],
            "state": null, "owner": null, "rule": 1, "allowed_by": null
        }})
    );
    let err = p
        .apply("nobody", &level("mem", "task", "Edit"))
        .unwrap_err();
    assert_eq!(
        serde_json::to_value(&err).unwrap(),
        serde_json::json!({"Refused": {"actor": "nobody"}})
    );
    let batch = [toggle("ed", "Unlock"), toggle("mem", "Unlock")];
    let err = p.apply_all("mem", &batch).unwrap_err();
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["Batch"]["index"], 0);
    assert_eq!(json["Batch"]["source"]["NotPermitted"]["rule"], 0);
}

#[test]
fn an_actor_may_act_by_id() {
    let p = world();
    let root = p.subject("root").unwrap();
    let q = p.apply(root, &toggle("ed", "Unlock")).unwrap();
    assert_ne!(q, p);
    let lead = p.subject("lead").unwrap();
    assert!(matches!(
        p.apply(lead, &toggle("ed", "Unlock")),
        Err(ChangeError::Escalation(_))
    ));
}

#[test]
fn a_role_held_by_many_is_checked_per_profile_and_per_own_layer() {
    // 300 Members share a profile; one of them has an own exception that the
    // redefinition makes matter (allow delete on task 7 needs nothing but the
    // role's view, which the new definition takes away and gives back scoped).
    let mut def = world().to_definition();
    for i in 0..300 {
        def.subjects
            .insert(format!("m{i}"), SubjectDef::new("Member"));
    }
    let mut odd = SubjectDef::new("Member");
    odd.exceptions.push(ExceptionDef::allow_deny(
        "upload",
        7,
        ["view"],
        Vec::<String>::new(),
    ));
    def.subjects.insert("odd", odd);
    let p = Policy::compile(&def).unwrap();
    // Granting upload.view kind-wide to Members gives `syncy` send.sync (refused);
    // with syncy moved off the role first, everyone else gains only upload.view,
    // which lead holds.
    let q = p
        .change(&Change::SetRole {
            subject: "syncy".into(),
            role: "Boss".into(),
        })
        .unwrap();
    q.apply(
        "lead",
        &define(
            "Member",
            r#"{"grants": {"task": ["view"], "upload": ["view"]}}"#,
        ),
    )
    .unwrap();
    // Taking task away from Members and giving `odd` a restriction-free own
    // exception is fine; an exception on upload:7 the role now denies is not
    // reopened by anything lead lacks.
    let err = q
        .apply(
            "lead",
            &define(
                "Member",
                r#"{"grants": {"task": ["view"]}, "exceptions": [{"kind": "task", "id": 9, "allow": ["delete"]}]}"#,
            ),
        )
        .unwrap_err();
    let ChangeError::Escalation(e) = &err else {
        panic!("{err}")
    };
    let subject = &e.subject;
    assert_eq!(e.id.as_deref(), Some("9"));
    assert!(
        subject == "mem" || subject.starts_with('m') || subject == "odd",
        "{err}"
    );
}

#[test]
fn seeds_admin_stories() {
    let load = |name: &str| -> PolicyDef {
        let path = format!(
            "{}/examples/policies/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    // Thrive: an Admin sets levels; a User cannot.
    let thrive = Policy::compile(&load("thrive")).unwrap();
    let raise = level("ben", "scheduled_upload", "Full Access");
    thrive.apply("ana", &raise).unwrap();
    assert!(matches!(
        thrive.apply("uma", &raise),
        Err(ChangeError::NotPermitted { .. })
    ));
    // ... and cannot hand out what it does not hold itself.
    assert!(matches!(
        thrive.apply("ben", &level("cal", "scheduled_upload", "Full Access")),
        Err(ChangeError::Escalation(_))
    ));
    // Real Magnet: only Admins with the Integrations Permission set levels.
    let rm = Policy::compile(&load("real_magnet")).unwrap();
    let lower = level("dana", "list_transfer", "Read Only Access");
    rm.apply("alice", &lower).unwrap();
    for who in ["bob", "ed", "fay"] {
        assert!(
            matches!(rm.apply(who, &lower), Err(ChangeError::NotPermitted { .. })),
            "{who}"
        );
    }
    // Magnews: a Manager manages no users; the Administrator does.
    let mn = Policy::compile(&load("magnews")).unwrap();
    let demote = Change::SetRole {
        subject: "eddie".into(),
        role: "Guest".into(),
    };
    mn.apply("alma", &demote).unwrap();
    assert!(matches!(
        mn.apply("mark", &demote),
        Err(ChangeError::NotPermitted { .. })
    ));
    // Magnetic: a Manager changes only the users it manages (an admin kind with a
    // managed-scoped grant, added here: the seed's page names none).
    let mut def = load("magnetic");
    def.kinds.insert(
        "team",
        serde_json::from_str(r#"{"actions": ["administer"]}"#).unwrap(),
    );
    let managed: GrantDef = serde_json::from_str(r#"{"managed": ["administer"]}"#).unwrap();
    def.roles
        .get_mut("Manager")
        .unwrap()
        .grants
        .insert("team", managed);
    def.admin.push(
        serde_json::from_str(
            r#"{"changes": ["set_level"], "requires": {"kind": "team", "action": "administer"}}"#,
        )
        .unwrap(),
    );
    let mg = Policy::compile(&def).unwrap();
    let lower = |who: &str| level(who, "cost_estimate", "No access");
    mg.apply("max", &lower("tim")).unwrap();
    mg.apply("max", &lower("pam")).unwrap();
    for who in ["pia", "meg", "ada"] {
        assert!(
            matches!(
                mg.apply("max", &lower(who)),
                Err(ChangeError::NotPermitted { .. })
            ),
            "{who}"
        );
    }
}

// ---- The oracle -------------------------------------------------------------

/// A random change, by names drawn from `def` (and a few that are not there).
fn gen_change(d: &mut Draw, def: &PolicyDef) -> Change {
    let subjects: Vec<String> = def
        .subjects
        .iter()
        .map(|(n, _)| n.to_string())
        .chain(["new".to_string()])
        .collect();
    let roles: Vec<String> = def.roles.iter().map(|(n, _)| n.to_string()).collect();
    let kinds: Vec<String> = def.kinds.iter().map(|(n, _)| n.to_string()).collect();
    let toggles: Vec<String> = def.toggles.iter().map(|(n, _)| n.to_string()).collect();
    let subject = d.pick(&subjects).cloned().unwrap_or_default();
    let kind_name = d.pick(&kinds).cloned().unwrap_or_default();
    let kind = kind_named(def, &kind_name);
    let levels = level_names(kind);
    let id = d.below(ID_POOL) as u64;
    match d.below(10) {
        0 => Change::SetRole {
            subject,
            role: d.pick(&roles).cloned().unwrap_or_default(),
        },
        1 => Change::SetLevel {
            subject,
            level: if d.chance(80) {
                d.pick(&levels).cloned()
            } else {
                None
            },
            kind: kind_name,
        },
        2 => Change::SetToggle {
            subject,
            toggle: d.pick(&toggles).cloned().unwrap_or_else(|| "t0".into()),
            on: d.chance(70),
        },
        3 => Change::SetException {
            subject,
            exception: if !levels.is_empty() && d.chance(30) {
                ExceptionDef::level(&kind_name, id, d.pick(&levels).cloned().unwrap_or_default())
            } else {
                ExceptionDef::allow_deny(
                    &kind_name,
                    id,
                    d.subset(&kind.actions, 40),
                    d.subset(&kind.actions, 30),
                )
            },
        },
        4 => Change::SetRestriction {
            subject,
            restriction: RestrictionDef::new(
                &kind_name,
                d.non_empty_subset(&kind.actions, 40),
                [id, d.below(ID_POOL) as u64],
            ),
        },
        5 => Change::SetManages {
            manages: d
                .subset(&subjects, 40)
                .into_iter()
                .filter(|s| *s != subject)
                .collect(),
            subject,
        },
        6 => Change::AddSubject {
            subject,
            def: SubjectDef::new(d.pick(&roles).cloned().unwrap_or_default()),
        },
        7 => Change::RemoveException {
            subject,
            kind: kind_name,
            within: None,
            id: id.into(),
        },
        _ => {
            let role = d.pick(&roles).cloned().unwrap_or_default();
            let mut r = RoleDef::new();
            if d.chance(40) {
                let bases: Vec<String> = roles.iter().filter(|b| **b != role).cloned().collect();
                if let Some(b) = d.pick(&bases) {
                    r = RoleDef::derived_from(b.clone());
                }
            }
            for k in &kinds {
                if d.chance(50) {
                    r.grants.insert(k.clone(), gen_grant(d, kind_named(def, k)));
                }
            }
            r.exceptions = gen_exceptions(d, def, &kinds, 2);
            Change::DefineRole { role, def: r }
        }
    }
}

/// Every concrete resource of the small universe: each kind; no id, each id of
/// the pool and one more; no state and each state; no owner and each subject of
/// either snapshot.
fn universe(before: &Policy, after: &Policy) -> Vec<(Resource, Option<String>)> {
    let mut owners: Vec<Option<String>> = vec![None];
    for p in [before, after] {
        for s in p.subjects() {
            let name = p.subject_name(s).to_string();
            if !owners.contains(&Some(name.clone())) {
                owners.push(Some(name));
            }
        }
    }
    let mut out = Vec::new();
    for kind in after.kinds() {
        let states: Vec<_> = std::iter::once(None)
            .chain(after.states(kind).map(Some))
            .collect();
        for id in std::iter::once(None).chain((0..=ID_POOL as u64).map(Some)) {
            for &state in &states {
                for owner in &owners {
                    let mut r = Resource::new(kind);
                    if let Some(id) = id {
                        r = r.with_id(id);
                    }
                    if let Some(state) = state {
                        r = r.with_state(state);
                    }
                    out.push((r, owner.clone()));
                }
            }
        }
    }
    out
}

/// `r` with `owner` (by name) as `p` knows it; an owner `p` lacks owns nothing
/// there (a phantom id no subject has).
fn owned(p: &Policy, r: Resource, owner: &Option<String>) -> Resource {
    match owner {
        None => r,
        Some(name) => match p.subject(name) {
            Some(o) => r.with_owner(o),
            None => r,
        },
    }
}

/// Bits `name` holds on `r` in `p` (none if it is not a subject there).
fn bits(p: &Policy, name: &str, r: &Resource, owner: &Option<String>) -> u64 {
    match p.subject(name) {
        Some(s) => p.allowed(s, &owned(p, *r, owner)).bits(),
        None => 0,
    }
}

/// The first gain (subject, resource, bits) some subject makes from `before` to
/// `after` that `actor` lacks in `before`, over the whole universe.
fn brute_force_gain(
    before: &Policy,
    after: &Policy,
    actor: &str,
) -> Option<(String, Resource, Option<String>, u64)> {
    for (r, owner) in universe(before, after) {
        for s in after.subjects() {
            let name = after.subject_name(s).to_string();
            // A subject removed and added again in a batch is new.
            let was = before.subject(&name) == Some(s);
            let now = after.allowed(s, &owned(after, r, &owner)).bits();
            let then = if was {
                bits(before, &name, &r, &owner)
            } else {
                0
            };
            let lacks = now & !then & !bits(before, actor, &r, &owner);
            if lacks != 0 {
                return Some((name, r, owner, lacks));
            }
        }
    }
    None
}

/// Every admin rule (of `def`) covering `c`: (index, requires kind, action, beyond).
fn covering(def: &PolicyDef, c: &Change) -> Vec<(usize, String, String, bool)> {
    def.admin
        .iter()
        .enumerate()
        .filter(|(_, r)| r.changes.contains(&c.kind()))
        .filter(|(_, r)| {
            r.kinds.is_empty()
                || c.about_kind()
                    .is_some_and(|k| r.kinds.iter().any(|x| x == k))
        })
        .map(|(i, r)| {
            (
                i,
                r.requires.kind.clone(),
                r.requires.action.clone(),
                r.may_grant_beyond_own,
            )
        })
        .collect()
}

fn meets(p: &Policy, actor: &str, kind: &str, action: &str, target: Option<&str>) -> bool {
    let (Some(a), Some(act)) = (p.subject(actor), p.action(kind, action)) else {
        return false;
    };
    let mut r = p.resource(act.kind());
    if let Some(t) = target.and_then(|t| p.subject(t)) {
        r = r.with_owner(t);
    }
    p.can(a, act, &r)
}

/// Checks one permissioned batch against the oracle; the snapshot it gives, if
/// accepted.
fn judge(
    p: &Policy,
    def: &PolicyDef,
    actor: &str,
    changes: &[Change],
) -> Result<Option<Policy>, TestCaseError> {
    let single = changes.len() == 1;
    let result = if single {
        p.apply(actor, &changes[0])
    } else {
        p.apply_all(actor, changes)
    };
    let rules: Vec<_> = changes.iter().map(|c| covering(def, c)).collect();
    let known = p.subject(actor).is_some();
    let authorized = known
        && rules.iter().all(|r| !r.is_empty())
        && changes.iter().zip(&rules).all(|(c, rules)| {
            rules
                .iter()
                .all(|(_, k, a, _)| meets(p, actor, k, a, c.subject()))
        });
    let beyond = rules.iter().flatten().all(|r| r.3);
    let unpermissioned = p.change_all(changes);
    match result {
        Ok(next) => {
            prop_assert!(authorized, "accepted an unauthorized batch {changes:?}");
            prop_assert_eq!(Some(&next), unpermissioned.as_ref().ok());
            if !beyond {
                let gain = brute_force_gain(p, &next, actor);
                prop_assert!(
                    gain.is_none(),
                    "{actor} escalated with {changes:?}: {gain:?}"
                );
            }
            Ok(Some(next))
        }
        Err(e) => {
            let inner = match &e {
                ChangeError::Batch { source, .. } => &**source,
                other => other,
            };
            match inner {
                ChangeError::Refused { .. } => {
                    prop_assert!(!known || rules.iter().any(|r| r.is_empty()), "{e}");
                }
                ChangeError::NotPermitted { .. } => {
                    prop_assert!(known && !authorized, "{e}");
                }
                ChangeError::Escalation(esc) => {
                    let accessmask::Escalation {
                        subject,
                        kind,
                        actions,
                        id,
                        within,
                        state,
                        owner,
                        ..
                    } = &**esc;
                    prop_assert!(authorized && !beyond, "{e}");
                    let next = unpermissioned.as_ref().expect("a valid batch");
                    let k = next.kind(kind).unwrap();
                    // The resource in each snapshot's own numbers (string ids).
                    let build = |policy: &Policy| {
                        let mut r = Resource::new(k);
                        if let Some(id) = id {
                            r = r.with_instance(instance(policy, kind, id));
                        }
                        for a in within {
                            let (ak, aid) = a.split_once(':').expect("kind:id");
                            r = r.within(instance(policy, ak, aid));
                        }
                        if let Some(state) = state {
                            r = r.with_state(policy.state(k, state).unwrap());
                        }
                        r
                    };
                    let r = build(next);
                    let r_before = build(p);
                    let mask = actions
                        .iter()
                        .map(|a| next.action(kind, a).unwrap().mask())
                        .fold(0, |m, b| m | b);
                    let s = next.subject(subject).unwrap();
                    let was = p.subject(subject) == Some(s);
                    let now = next.allowed(s, &owned(next, r, owner)).bits();
                    let then = if was {
                        bits(p, subject, &r_before, owner)
                    } else {
                        0
                    };
                    let held = bits(p, actor, &r_before, owner);
                    prop_assert_eq!(
                        now & !then & !held & mask,
                        mask,
                        "not a real escalation: {}",
                        e
                    );
                }
                _ => {
                    // Invalid: only an authorized actor gets this far, and the
                    // batch is invalid without permissions too.
                    prop_assert!(authorized, "{e}");
                    prop_assert!(unpermissioned.is_err(), "{e}");
                }
            }
            Ok(None)
        }
    }
}

fn cases() -> u32 {
    policygen::proptest_cases(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Random policies (admin rules, states, prerequisites, scopes, toggles, levels,
    /// exceptions), random changes and batches by random actors: an accepted
    /// change escalates nothing on any resource of the universe, and a refusal
    /// names a real missing rule or a real escalation.
    #[test]
    fn the_escalation_check_is_exact(
        policy in prop::collection::vec(any::<u32>(), 400),
        edits in prop::collection::vec(any::<u32>(), 200),
    ) {
        let mut def = gen_policy(&mut Draw::new(&policy));
        let mut d = Draw::new(&edits);
        // More admin rules than the generator makes, so that actors often pass.
        for _ in 0..d.range(1, 4) {
            let kinds: Vec<String> = def.kinds.iter().map(|(n, _)| n.to_string()).collect();
            let k = d.pick(&kinds).cloned().unwrap();
            let a = d.pick(&kind_named(&def, &k).actions).cloned().unwrap();
            let changes = [ChangeKind::SetRole, ChangeKind::SetLevel, ChangeKind::SetToggle,
                ChangeKind::SetException, ChangeKind::SetManages, ChangeKind::AddSubject,
                ChangeKind::DefineRole];
            let mut covered: Vec<ChangeKind> = changes.iter().copied().filter(|_| d.chance(50)).collect();
            if covered.is_empty() {
                covered.push(changes[d.below(changes.len())]);
            }
            def.admin.push(accessmask::AdminRuleDef {
                changes: covered,
                kinds: Vec::new(),
                requires: accessmask::ActionRefDef { kind: k, action: a },
                may_grant_beyond_own: d.chance(15),
            });
        }
        let mut p = Policy::compile(&def).unwrap();
        let actors: Vec<String> = def.subjects.iter().map(|(n, _)| n.to_string()).chain(["nobody".into()]).collect();
        for _ in 0..d.range(1, 3) {
            let actor = d.pick(&actors).cloned().unwrap();
            let n = if d.chance(30) { d.range(2, 3) } else { 1 };
            let changes: Vec<Change> = (0..n).map(|_| gen_change(&mut d, &def)).collect();
            if let Some(next) = judge(&p, &def, &actor, &changes)? {
                p = next;
                def = p.to_definition();
            }
        }
    }
}

/// Instance `id` of kind `kind` in `policy`: a number, or a string resolved there.
fn instance(policy: &Policy, kind: &str, id: &str) -> accessmask::Instance {
    let k = policy.kind(kind).expect("a kind of the policy");
    if kind_has_number_ids(policy, kind) {
        k.instance(id.parse().expect("a number id"))
    } else {
        policy.instance(k, id)
    }
}

/// Whether `kind` has number ids (its definition says nothing else).
fn kind_has_number_ids(policy: &Policy, kind: &str) -> bool {
    policy
        .to_definition()
        .kinds
        .get(kind)
        .is_some_and(|k| k.ids == accessmask::IdType::Number)
}

/// Containment: `lead` administers exceptions and may merge pull requests,
/// except those in repository `acme/web`; merging needs `push` on the
/// repository the pull request is in. `dev` may push and merge, except merge in
/// `acme/web`; `tester` may merge but push nowhere, so it merges nothing.
fn org() -> Policy {
    let def: PolicyDef = serde_json::from_str(
        r#"{
      "kinds": {
        "repo": { "actions": ["view", "push"], "needs": { "push": ["view"] }, "ids": "string" },
        "pull_request": {
          "actions": ["view", "merge"], "needs": { "merge": ["view"] }, "parent": "repo",
          "prerequisites": [{ "action": "merge", "kind": "repo", "actions": ["push"], "on_ancestor": true }]
        },
        "admin": { "actions": ["set_exceptions"] }
      },
      "roles": {
        "Lead": { "grants": { "repo": ["push"], "pull_request": ["merge"], "admin": ["set_exceptions"] },
                  "exceptions": [{ "kind": "pull_request", "in": "repo", "id": "acme/web", "deny": ["merge"] }] },
        "Dev": { "grants": { "repo": ["push"], "pull_request": ["merge"] },
                 "exceptions": [{ "kind": "pull_request", "in": "repo", "id": "acme/web", "deny": ["merge"] }] },
        "Tester": { "grants": { "repo": ["view"], "pull_request": ["merge"] } }
      },
      "admin": [
        { "changes": ["set_exception"], "requires": { "kind": "admin", "action": "set_exceptions" } }
      ],
      "subjects": { "lead": { "role": "Lead" }, "dev": { "role": "Dev" }, "tester": { "role": "Tester" } }
    }"#,
    )
    .unwrap();
    Policy::compile(&def).unwrap()
}

fn exception(subject: &str, e: ExceptionDef) -> Change {
    Change::SetException {
        subject: subject.into(),
        exception: e,
    }
}

#[test]
fn containment_routes_are_checked() {
    let p = org();
    // Route 1: a rule written in a repository the actor is denied in.
    let into_web =
        ExceptionDef::allow_deny("pull_request", "acme/web", ["merge"], [""; 0]).within("repo");
    assert_eq!(
        p.apply("lead", &exception("dev", into_web))
            .unwrap_err()
            .to_string(),
        "`lead` may not set an exception for `dev` on `pull_request in repo:acme/web`: `dev` \
         would gain `merge` on `pull_request` in `repo:acme/web`, which `lead` does not hold \
         there (admin rule 0 does not allow granting beyond one's own)"
    );
    // Route 2: `push` on the repository, which opens `merge` on its pull requests
    // through the prerequisite on the parent.
    let push_web = ExceptionDef::allow_deny("repo", "acme/web", ["push"], [""; 0]);
    assert_eq!(
        p.apply("lead", &exception("tester", push_web))
            .unwrap_err()
            .to_string(),
        "`lead` may not set an exception for `tester` on `repo:acme/web`: `tester` would gain \
         `merge` on `pull_request` in `repo:acme/web`, which `lead` does not hold there \
         (admin rule 0 does not allow granting beyond one's own)"
    );
    // Allowing `merge` on pull requests in `acme/web` gives `tester` nothing: it
    // still lacks `push` there, so the change is within the actor's power.
    let inert =
        ExceptionDef::allow_deny("pull_request", "acme/web", ["merge"], [""; 0]).within("repo");
    assert!(p.apply("lead", &exception("tester", inert)).is_ok());
    // The same grants elsewhere are within the actor's own power.
    let push_api = ExceptionDef::allow_deny("repo", "acme/api", ["push"], [""; 0]);
    let q = p.apply("lead", &exception("tester", push_api)).unwrap();
    let dev = q.subject("tester").unwrap();
    let pr = q.kind("pull_request").unwrap();
    let repo = q.kind("repo").unwrap();
    let merge = q.action("pull_request", "merge").unwrap();
    let api = q
        .resource(pr)
        .with_id(1)
        .within(q.instance(repo, "acme/api"));
    let web = q
        .resource(pr)
        .with_id(1)
        .within(q.instance(repo, "acme/web"));
    assert!(q.can(dev, merge, &api));
    assert!(!q.can(dev, merge, &web));
    // An id resolved before the change named a new string is still good after:
    // `acme/api` was named by the change itself, and the old "unnamed" answer is
    // denied rather than read as unnamed in the new snapshot.
    let stale = p
        .resource(pr)
        .with_id(1)
        .within(p.instance(repo, "acme/api"));
    assert!(!q.can(dev, merge, &stale));
    assert!(q
        .explain(dev, merge, &stale)
        .to_string()
        .contains("resolve it again"));
}
