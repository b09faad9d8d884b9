//! The evaluator's steps (MODEL.md, "How a decision is made", 3 to 9), each
//! observed through the [`Steps`] observer on a small policy.

use super::*;
use crate::ids::{ActionId, SubjectId};
use crate::PolicyDef;

const POLICY: &str = r#"{
  "kinds": {
    "doc": {"actions": ["view", "edit", "approve"],
            "needs": {"approve": ["edit"], "edit": ["view"]},
            "levels": {"Read": ["view"], "Full": ["approve"]},
            "states": ["draft", "billed"],
            "state_rules": [{"state": "billed", "hold": ["edit"], "unless_roles": ["Admin"]}]},
    "task": {"actions": ["run"],
             "prerequisites": [{"action": "run", "kind": "doc", "actions": ["edit"]}]},
    "off": {"actions": ["use"], "available": false}
  },
  "roles": {
    "Editor": {"grants": {"doc": {"actions": ["edit"], "own": ["approve"]}, "task": ["run"], "off": ["use"]},
               "exceptions": [{"kind": "doc", "id": 9, "deny": ["edit"]}]},
    "Admin": {"grants": {"doc": ["approve"]}}
  },
  "toggles": {"Extra": {"grants": {"doc": ["approve"]}}},
  "subjects": {
    "ann": {"role": "Editor"},
    "bob": {"role": "Editor", "levels": {"doc": "Read"}},
    "cat": {"role": "Editor", "toggles": ["Extra"]},
    "dan": {"role": "Editor", "exceptions": [{"kind": "doc", "id": 9, "allow": ["edit"]}]},
    "eve": {"role": "Admin"}
  }
}"#;

const VIEW: u64 = 1;
const EDIT: u64 = 2;
const APPROVE: u64 = 4;

fn policy() -> Policy {
    let def: PolicyDef = serde_json::from_str(POLICY).unwrap();
    Policy::compile(&def).unwrap()
}

/// The evaluator's final set and steps for `subject` asking `want` on `r`, the
/// subject the owner of `r` when `owns`.
#[track_caller]
fn run(p: &Policy, subject: &str, want: u64, r: &Resource, owns: bool) -> (u64, Steps) {
    let id = p.subject(subject).unwrap();
    let info = p.info(id.index).unwrap();
    let who = Traced {
        name: subject.to_string(),
        layer: info.layer(),
        owner: if owns {
            Relation::Own
        } else {
            Relation::NoOwner
        },
    };
    p.evaluate(info.key, Some(&who), want, r, Steps::new())
        .unwrap()
}

fn rules(steps: &Steps) -> Vec<Rule> {
    steps.iter().map(Step::rule).collect()
}

fn decisive(steps: &Steps) -> Vec<Rule> {
    steps
        .iter()
        .filter(|s| s.is_decisive())
        .map(Step::rule)
        .collect()
}

fn doc(p: &Policy) -> Resource {
    p.resource(p.kind("doc").unwrap())
}

#[test]
fn step_3_the_role_s_set_is_closed_and_decides_when_nothing_moves_it() {
    let p = policy();
    let (set, steps) = run(&p, "ann", EDIT, &doc(&p), false);
    assert_eq!(set, VIEW | EDIT, "edit needs view (step 8)");
    assert_eq!(rules(&steps), [Rule::Role, Rule::Scope, Rule::Decision]);
    assert_eq!(decisive(&steps), [Rule::Role]);
    assert!(
        steps[0].text().contains("role `Editor`"),
        "{}",
        steps[0].text()
    );
}

#[test]
fn step_3_a_level_replaces_the_role_s_set() {
    let p = policy();
    let (set, steps) = run(&p, "bob", EDIT, &doc(&p), false);
    assert_eq!(set, VIEW);
    // Decisive: each step that added or removed the action asked about.
    assert_eq!(decisive(&steps), [Rule::Role, Rule::Level]);
}

#[test]
fn step_3_a_toggle_adds_its_set() {
    let p = policy();
    let (set, steps) = run(&p, "cat", APPROVE, &doc(&p), false);
    assert_eq!(set, VIEW | EDIT | APPROVE);
    assert_eq!(decisive(&steps), [Rule::Toggle]);
}

#[test]
fn step_4_own_grants_count_only_for_the_owner() {
    let p = policy();
    let (owned, steps) = run(&p, "ann", APPROVE, &doc(&p), true);
    assert_eq!(owned & APPROVE, APPROVE);
    assert_eq!(decisive(&steps), [Rule::Scope]);
    let (other, steps) = run(&p, "ann", APPROVE, &doc(&p), false);
    assert_eq!(other & APPROVE, 0);
    // The scope step says why the grant did not count.
    assert!(steps
        .iter()
        .any(|s| s.rule() == Rule::Scope && s.is_relevant()));
}

#[test]
fn step_5_the_role_s_exception_then_the_subject_s() {
    let p = policy();
    let nine = doc(&p).with_id(9);
    let (set, steps) = run(&p, "ann", EDIT, &nine, false);
    assert_eq!(set, VIEW, "the role's exception denies edit (and approve)");
    assert_eq!(decisive(&steps), [Rule::Role, Rule::Exception]);
    // The subject's own exception comes after the role's, and wins.
    let (set, steps) = run(&p, "dan", EDIT, &nine, false);
    assert_eq!(set, VIEW | EDIT);
    let exceptions: Vec<&str> = steps
        .iter()
        .filter(|s| s.rule() == Rule::Exception)
        .map(Step::text)
        .collect();
    assert_eq!(exceptions.len(), 2);
    assert!(
        exceptions[0].starts_with("role `Editor`"),
        "{}",
        exceptions[0]
    );
    assert!(
        exceptions[1].starts_with("subject `dan`"),
        "{}",
        exceptions[1]
    );
}

#[test]
fn step_6_an_unmet_prerequisite_removes_its_action() {
    let p = policy();
    let task = p.resource(p.kind("task").unwrap());
    let (set, _) = run(&p, "ann", 1, &task, false);
    assert_eq!(set, 1, "edit on doc is held: run stays");
    let (set, steps) = run(&p, "bob", 1, &task, false);
    assert_eq!(set, 0, "view only on doc: run goes");
    assert_eq!(decisive(&steps), [Rule::Role, Rule::Prerequisite]);
}

#[test]
fn step_7_a_state_rule_holds_back_unless_the_role_is_exempt() {
    let p = policy();
    let kind = p.kind("doc").unwrap();
    let billed = doc(&p).with_state(p.state(kind, "billed").unwrap());
    let (set, steps) = run(&p, "cat", APPROVE, &billed, false);
    assert_eq!(set, VIEW, "edit held back, and approve with it");
    assert_eq!(decisive(&steps), [Rule::Toggle, Rule::StateRule]);
    let (set, steps) = run(&p, "eve", APPROVE, &billed, false);
    assert_eq!(set, VIEW | EDIT | APPROVE);
    let note = steps.iter().find(|s| s.rule() == Rule::StateRule).unwrap();
    assert!(
        !note.is_decisive() && note.text().contains("exempt"),
        "{}",
        note.text()
    );
    // A state that rules nothing changes nothing.
    let draft = doc(&p).with_state(p.state(kind, "draft").unwrap());
    assert_eq!(
        run(&p, "cat", APPROVE, &draft, false).0,
        VIEW | EDIT | APPROVE
    );
}

#[test]
fn step_2_an_unavailable_kind_allows_nothing() {
    let p = policy();
    let off = p.resource(p.kind("off").unwrap());
    let (set, steps) = run(&p, "ann", 1, &off, false);
    assert_eq!(set, 0);
    assert_eq!(rules(&steps), [Rule::Unavailable]);
}

#[test]
fn step_9_the_decision_is_the_last_step_and_agrees_with_can() {
    let p = policy();
    let edit = ActionId {
        kind: p.kind("doc").unwrap(),
        bit: 1,
    };
    for (subject, r) in [
        ("ann", doc(&p)),
        ("bob", doc(&p)),
        ("ann", doc(&p).with_id(9)),
    ] {
        let (set, steps) = run(&p, subject, EDIT, &r, false);
        let last = steps.last().unwrap();
        assert_eq!(last.rule(), Rule::Decision);
        let allowed = set & EDIT != 0;
        assert_eq!(last.text().contains("is in it"), allowed, "{}", last.text());
        let id: SubjectId = p.subject(subject).unwrap();
        assert_eq!(p.can(id, edit, &r), allowed, "{subject}");
    }
}

#[test]
fn the_quiet_observer_answers_alike_and_records_nothing() {
    let p = policy();
    let id = p.subject("cat").unwrap();
    let info = p.info(id.index).unwrap();
    let r = doc(&p).with_id(9);
    let (quiet, mut q) = p.evaluate(info.key, None, APPROVE, &r, Quiet).unwrap();
    let (loud, _) = p
        .evaluate(info.key, None, APPROVE, &r, Steps::new())
        .unwrap();
    assert_eq!(quiet, loud);
    assert!(q.steps().is_empty());
}

#[test]
fn step_1_a_state_of_another_kind_is_a_denial() {
    let p = policy();
    let task = p.resource(p.kind("task").unwrap());
    let billed = p.state(p.kind("doc").unwrap(), "billed").unwrap();
    let id = p.subject("ann").unwrap();
    let info = p.info(id.index).unwrap();
    let denied = p.evaluate(info.key, None, 1, &task.with_state(billed), Quiet);
    assert!(matches!(denied, Err(step) if step.rule() == Rule::Unknown));
}
