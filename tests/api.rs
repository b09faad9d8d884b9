//! The public face: builder and document agree, ids and policies are shareable,
//! typed flags are checked, and a document survives a round trip.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use accessmask::{
    ActionSet, ExceptionDef, Explanation, GrantDef, KindDef, Matrix, Policy, PolicyBuilder,
    PolicyDef, PolicyError, PrerequisiteDef, Resource, RestrictionDef, RoleDef, StateRuleDef,
    SubjectDef, ToggleDef, TypedKindError,
};

fn document() -> PolicyDef {
    serde_json::from_str(
        r#"{
      "kinds": {
        "scheduled_upload": {
          "actions": ["view", "run", "create", "edit", "delete"],
          "needs": { "run": ["view"], "create": ["edit"], "edit": ["view"], "delete": ["view"] },
          "levels": {
            "No Access": [],
            "Read Only Access": ["view", "run"],
            "Full Access": ["view", "run", "create", "edit", "delete"]
          },
          "states": ["draft", "billed"],
          "state_rules": [{ "state": "billed", "hold": ["edit"], "unless_roles": ["Admin"] }]
        },
        "message": {
          "actions": ["send", "sync_on_send"],
          "prerequisites": [{ "action": "sync_on_send", "kind": "scheduled_upload", "level": "Read Only Access" }]
        }
      },
      "roles": {
        "Admin": { "grants": { "scheduled_upload": { "level": "Full Access" }, "message": ["*"] } },
        "Clerk": { "base": "Admin", "remove": { "scheduled_upload": ["view"] },
                   "grants": { "scheduled_upload": { "own": ["edit"] } },
                   "exceptions": [{ "kind": "scheduled_upload", "id": 4, "level": "Read Only Access" }],
                   "restrictions": [{ "kind": "message", "actions": ["send"], "ids": [1, 2] }] }
      },
      "toggles": { "Uploader": { "grants": { "scheduled_upload": { "managed": ["run"] } } } },
      "subjects": {
        "ada": { "role": "Admin", "levels": { "scheduled_upload": "Read Only Access" } },
        "cy": { "role": "Clerk", "toggles": ["Uploader"], "manages": ["ada"],
                "exceptions": [{ "kind": "scheduled_upload", "id": 9, "allow": ["delete"], "deny": ["run"] }] }
      }
    }"#,
    )
    .unwrap()
}

fn built() -> PolicyBuilder {
    PolicyBuilder::new()
        .kind(
            "scheduled_upload",
            KindDef::new(["view", "run", "create", "edit", "delete"])
                .needs("run", ["view"])
                .needs("create", ["edit"])
                .needs("edit", ["view"])
                .needs("delete", ["view"])
                .level("No Access", Vec::<String>::new())
                .level("Read Only Access", ["view", "run"])
                .level("Full Access", ["view", "run", "create", "edit", "delete"])
                .states(["draft", "billed"])
                .state_rule(StateRuleDef::new("billed", ["edit"]).unless_role("Admin")),
        )
        .kind(
            "message",
            KindDef::new(["send", "sync_on_send"]).prerequisite(PrerequisiteDef::level(
                "sync_on_send",
                "scheduled_upload",
                "Read Only Access",
            )),
        )
        .role(
            "Admin",
            RoleDef::new()
                .grant("scheduled_upload", GrantDef::level("Full Access"))
                .grant("message", ["*"]),
        )
        .role(
            "Clerk",
            RoleDef::derived_from("Admin")
                .grant("scheduled_upload", GrantDef::default().own(["edit"]))
                .remove("scheduled_upload", ["view"])
                .exception(ExceptionDef::level(
                    "scheduled_upload",
                    4,
                    "Read Only Access",
                ))
                .restriction(RestrictionDef::new("message", ["send"], [1, 2])),
        )
        .toggle(
            "Uploader",
            ToggleDef::new().grant("scheduled_upload", GrantDef::default().managed(["run"])),
        )
        .subject(
            "ada",
            SubjectDef::new("Admin").level("scheduled_upload", "Read Only Access"),
        )
        .subject(
            "cy",
            SubjectDef::new("Clerk")
                .toggle("Uploader")
                .manages("ada")
                .exception(ExceptionDef::allow_deny(
                    "scheduled_upload",
                    9,
                    ["delete"],
                    ["run"],
                )),
        )
}

#[test]
fn builder_and_document_compile_to_equal_policies() {
    let from_doc = Policy::compile(&document()).unwrap();
    let from_builder = built().build().unwrap();
    assert_eq!(from_doc, from_builder);
    assert_eq!(built().definition(), &document());
}

#[test]
fn a_changed_builder_compiles_to_a_different_policy() {
    let other = built()
        .subject("dee", SubjectDef::new("Admin"))
        .build()
        .unwrap();
    assert_ne!(Policy::compile(&document()).unwrap(), other);
}

#[test]
fn serde_round_trip_keeps_every_answer() {
    let policy = Policy::compile(&document()).unwrap();
    let text = serde_json::to_string_pretty(&policy.to_definition()).unwrap();
    let again = Policy::compile(&serde_json::from_str(&text).unwrap()).unwrap();
    assert_eq!(policy, again);
    for s in policy.subjects() {
        for k in policy.kinds() {
            for id in [None, Some(1), Some(4), Some(9)] {
                let mut r = policy.resource(k);
                if let Some(id) = id {
                    r = r.with_id(id);
                }
                assert_eq!(policy.allowed(s, &r).bits(), again.allowed(s, &r).bits());
            }
        }
    }
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Policy>();
    check::<PolicyDef>();
    check::<PolicyError>();
    check::<PolicyBuilder>();
    check::<Explanation>();
    check::<Matrix>();
    check::<Resource>();
    check::<ActionSet<'static>>();
    check::<TypedKindError>();
    check::<accessmask::SubjectId>();
    check::<accessmask::ActionId>();
}

bitflags::bitflags! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Upload: u16 {
        const VIEW = 1 << 0;
        const RUN = 1 << 1;
        const CREATE = 1 << 2;
        const EDIT = 1 << 3;
        const DELETE = 1 << 4;
    }
}

bitflags::bitflags! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Swapped: u8 {
        const RUN = 1 << 0;
        const VIEW = 1 << 1;
    }
}

#[test]
fn typed_flags_check_like_action_ids() {
    let policy = Policy::compile(&document()).unwrap();
    let uploads = policy.typed_kind::<Upload>("scheduled_upload").unwrap();
    let ada = policy.subject("ada").unwrap();
    let r = policy.resource(uploads).with_id(1);
    for (flag, name) in [
        (Upload::VIEW, "view"),
        (Upload::RUN, "run"),
        (Upload::EDIT, "edit"),
    ] {
        let id = policy.action("scheduled_upload", name).unwrap();
        assert_eq!(policy.can(ada, flag, &r), policy.can(ada, id, &r), "{name}");
    }
    assert!(policy.can(ada, Upload::VIEW | Upload::RUN, &r));
    assert!(!policy.can(ada, Upload::VIEW | Upload::EDIT, &r));
    assert!(!policy.can(ada, Upload::empty(), &r));
    let set = policy.allowed(ada, &r);
    assert_eq!(set.to_flags::<Upload>(), Upload::VIEW | Upload::RUN);
    assert!(set.contains_flags(Upload::RUN));
    assert_eq!(
        policy
            .typed_kind::<Swapped>("scheduled_upload")
            .unwrap_err(),
        TypedKindError::Mismatch {
            kind: "scheduled_upload".into(),
            flag: "RUN".into(),
            bit: 1,
            action: "view".into()
        }
    );
    assert_eq!(
        policy
            .typed_kind::<Upload>("upload")
            .unwrap_err()
            .to_string(),
        "unknown kind `upload`"
    );
    assert_eq!(
        policy
            .typed_kind::<Upload>("scheduled_uplaod")
            .unwrap_err()
            .to_string(),
        "unknown kind `scheduled_uplaod` (did you mean `scheduled_upload`?)"
    );
}

#[test]
fn ids_from_elsewhere_are_denied_not_panicking() {
    let policy = Policy::compile(&document()).unwrap();
    let big = Policy::compile(&document()).unwrap();
    let ada = policy.subject("ada").unwrap();
    let view = policy.action("scheduled_upload", "view").unwrap();
    let send = policy.action("message", "send").unwrap();
    let upload = policy.resource(view.kind());
    // An action of another kind than the resource's.
    assert!(!policy.can(ada, send, &upload));
    assert!(!policy.explain(ada, send, &upload).allowed());
    // A state of another kind.
    let billed = policy.state(view.kind(), "billed").unwrap();
    let msg = policy.resource(send.kind()).with_state(billed);
    assert!(!policy.can(ada, send, &msg));
    assert!(!policy.explain(ada, send, &msg).allowed());
    // Lookups of unknown names.
    assert!(policy.subject("nobody").is_none());
    assert!(policy.action("scheduled_upload", "fly").is_none());
    assert!(policy.kind("nope").is_none());
    assert!(policy.state(view.kind(), "gone").is_none());
    assert_eq!(big.subject_name(ada), "ada");
}

#[test]
fn many_exceptions_on_one_subject_answer_like_the_reference() {
    // Past a handful of exceptions a subject's instances move from a scanned list
    // to a hash map; both must answer alike.
    for n in [1u64, 8, 9, 40] {
        let mut def = document();
        let cy = def.subjects.get_mut("cy").unwrap();
        cy.exceptions.clear();
        for id in 0..n {
            let e = if id % 2 == 0 {
                ExceptionDef::allow_deny(
                    "scheduled_upload",
                    id * 3,
                    ["delete"],
                    Vec::<String>::new(),
                )
            } else {
                ExceptionDef::level("scheduled_upload", id * 3, "No Access")
            };
            cy.exceptions.push(e);
        }
        let policy = Policy::compile(&def).unwrap();
        let cy = policy.subject("cy").unwrap();
        let k = policy.kind("scheduled_upload").unwrap();
        for id in 0..n * 3 + 2 {
            let r = policy.resource(k).with_id(id);
            let got: Vec<&str> = policy.allowed(cy, &r).iter().collect();
            let q = accessmask::reference::Question {
                subject: "cy",
                kind: "scheduled_upload",
                id: Some(id.into()),
                ..Default::default()
            };
            assert_eq!(
                got,
                accessmask::reference::allowed_actions(&def, &q),
                "n={n} id={id}"
            );
        }
    }
}
