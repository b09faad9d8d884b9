//! A GitHub-like organisation (`examples/policies/github.json`), checked row by
//! row: containment (issues and pull requests inside repositories with string
//! ids), rules written in a repository, a prerequisite on the parent repository,
//! own-scoped grants and a state rule.
//!
//! Every row names its subject, action and resource (with the repository it is
//! in, or none), and its expected answer is written by hand from
//! `/work/shared/MODEL.md` ("How a decision is made", "Containment") and the
//! policy's comments in `examples/github.rs`; nothing expected is computed from
//! the policy.
//!
//! The people:
//! - `olivia` Owner, `max` Maintainer, `dan` Developer (GitHub's "Write"), `tess`
//!   Triage, `ivy` Read, `bill` Read with the `Billing Manager` toggle.
//! - `dan` has a subject exception denying `push` on repo `acme/web`; merging a
//!   pull request needs `push` on its repository (an `on_ancestor`
//!   prerequisite), so he cannot merge pull requests of `acme/web` either.
//! - `rhea` is Read, with level `Admin` exceptions on repo `acme/docs`: on the
//!   repo itself, and written `in` it for its issues and pull requests.
//! - `carl` is a contractor (Developer) restricted to `acme/api`: `push` only on
//!   that repo, and triage/edit/review of issues and pull requests only `in` it.
//!
//! Beyond the rows: exact sets of plain role holders, invalid resources, loose
//! explanation checks (the wording is the engine's), agreement of `explain`,
//! `allowed`, `who_can` and principals with `can`, permissioned changes of
//! per-repo rules, and string ids resolved by another policy or snapshot. The
//! reference interpreter (`accessmask::reference`) knows neither ancestors nor
//! string ids, so nothing here compares with it.

mod common;

use accessmask::{
    Change, ChangeError, ExceptionDef, Instance, Policy, PrincipalDef, Resource, Rule, SubjectId,
};
use common::{has_step, load, TestResult, N, Y};

const SEED: &str = "github";

/// Where a question is asked: a repo by its slug, or an issue / pull request by
/// its number with the repo it is in (or no repo), and optionally a state and an
/// owner.
#[derive(Debug, Clone, Copy, Default)]
struct On {
    /// The issue or pull request number (`None` for a repo, or kind-wide).
    number: Option<u64>,
    /// For a repo: its own id. For an issue or pull request: the repo it is in.
    repo: Option<&'static str>,
    state: Option<&'static str>,
    owner: Option<&'static str>,
}

/// Repo `slug`.
const fn repo(slug: &'static str) -> On {
    On {
        number: None,
        repo: Some(slug),
        state: None,
        owner: None,
    }
}

/// Issue or pull request `number` in repo `slug`.
const fn at(number: u64, slug: &'static str) -> On {
    On {
        number: Some(number),
        repo: Some(slug),
        state: None,
        owner: None,
    }
}

/// Issue or pull request `number`, the repo it is in not given.
const fn bare(number: u64) -> On {
    On {
        number: Some(number),
        repo: None,
        state: None,
        owner: None,
    }
}

/// No id, no repo.
const ANY: On = On {
    number: None,
    repo: None,
    state: None,
    owner: None,
};

impl On {
    const fn state(mut self, state: &'static str) -> On {
        self.state = Some(state);
        self
    }

    const fn owner(mut self, owner: &'static str) -> On {
        self.owner = Some(owner);
        self
    }
}

/// The resource `on` describes, of `kind`.
fn resource(policy: &Policy, kind: &str, on: On) -> Result<Resource, String> {
    let k = policy.kind(kind).ok_or(format!("kind {kind}"))?;
    let repo_kind = policy.kind("repo").ok_or("kind repo")?;
    let mut r = policy.resource(k);
    if kind == "repo" {
        if let Some(slug) = on.repo {
            r = r.with_instance(policy.instance(repo_kind, slug));
        }
    } else {
        if let Some(n) = on.number {
            r = r.with_id(n);
        }
        if let Some(slug) = on.repo {
            r = r.within(policy.instance(repo_kind, slug));
        }
    }
    if let Some(s) = on.state {
        r = r.with_state(policy.state(k, s).ok_or(format!("state {kind}:{s}"))?);
    }
    if let Some(o) = on.owner {
        r = r.with_owner(subject(policy, o)?);
    }
    Ok(r)
}

fn subject(policy: &Policy, name: &str) -> Result<SubjectId, String> {
    policy.subject(name).ok_or(format!("subject {name}"))
}

fn ask(policy: &Policy, who: &str, kind: &str, action: &str, on: On) -> Result<bool, String> {
    let a = policy
        .action(kind, action)
        .ok_or(format!("action {kind}.{action}"))?;
    Ok(policy.can(subject(policy, who)?, a, &resource(policy, kind, on)?))
}

/// One question: (subject, kind, action, where, expected, why).
type Row = (
    &'static str,
    &'static str,
    &'static str,
    On,
    bool,
    &'static str,
);

const ROWS: &[Row] = &[
    // Repository roles, on a repo no rule names.
    (
        "olivia",
        "repo",
        "admin",
        repo("acme/api"),
        Y,
        "Owner: everything",
    ),
    ("max", "repo", "settings", repo("acme/api"), Y, "Maintain"),
    (
        "max",
        "repo",
        "admin",
        repo("acme/api"),
        N,
        "Maintain is not Admin",
    ),
    ("dan", "repo", "push", repo("acme/api"), Y, "Write"),
    (
        "dan",
        "repo",
        "settings",
        repo("acme/api"),
        N,
        "Write is not Maintain",
    ),
    (
        "tess",
        "repo",
        "push",
        repo("acme/api"),
        N,
        "Triage does not push",
    ),
    ("ivy", "repo", "view", repo("acme/api"), Y, "Read"),
    (
        "ivy",
        "repo",
        "push",
        repo("acme/api"),
        N,
        "Read does not push",
    ),
    // dan's exception on repo acme/web, and matching string ids exactly.
    (
        "dan",
        "repo",
        "push",
        repo("acme/web"),
        N,
        "his exception denies push",
    ),
    (
        "dan",
        "repo",
        "view",
        repo("acme/web"),
        Y,
        "deny push keeps view",
    ),
    (
        "dan",
        "repo",
        "push",
        repo("acme/Web"),
        Y,
        "ids match exactly: acme/Web is another repo",
    ),
    (
        "dan",
        "repo",
        "push",
        repo("acme/web "),
        Y,
        "ids match exactly: no trimming",
    ),
    (
        "dan",
        "repo",
        "push",
        repo("web"),
        Y,
        "ids match exactly: no suffix match",
    ),
    (
        "dan",
        "repo",
        "push",
        ANY,
        Y,
        "kind-wide: the exception is on one repo",
    ),
    (
        "max",
        "repo",
        "push",
        repo("acme/web"),
        Y,
        "dan's exception is his alone",
    ),
    // Merging needs push on the pull request's repository, decided in full.
    (
        "dan",
        "pull_request",
        "merge",
        at(700, "acme/web"),
        N,
        "no push on acme/web: prerequisite on the parent unmet",
    ),
    (
        "dan",
        "pull_request",
        "review",
        at(700, "acme/web"),
        Y,
        "only merge needs push",
    ),
    (
        "dan",
        "pull_request",
        "edit",
        at(700, "acme/web"),
        Y,
        "the repo exception denies push, not pull request edit",
    ),
    (
        "dan",
        "pull_request",
        "merge",
        at(701, "acme/api"),
        Y,
        "push on acme/api",
    ),
    (
        "dan",
        "pull_request",
        "merge",
        at(702, "acme/Web"),
        Y,
        "acme/Web is not acme/web",
    ),
    (
        "dan",
        "pull_request",
        "merge",
        bare(700),
        N,
        "repo not given: prerequisite on the parent unmet",
    ),
    (
        "dan",
        "pull_request",
        "review",
        bare(700),
        Y,
        "review has no prerequisite",
    ),
    (
        "olivia",
        "pull_request",
        "merge",
        bare(700),
        N,
        "repo not given: unmet even for the Owner",
    ),
    (
        "olivia",
        "pull_request",
        "merge",
        at(700, "acme/web"),
        Y,
        "Owner pushes to acme/web",
    ),
    (
        "max",
        "pull_request",
        "merge",
        at(700, "acme/web"),
        Y,
        "Maintain pushes",
    ),
    (
        "tess",
        "pull_request",
        "merge",
        at(701, "acme/api"),
        N,
        "Triage has no merge",
    ),
    (
        "tess",
        "pull_request",
        "close",
        at(701, "acme/api"),
        Y,
        "Triage closes",
    ),
    (
        "ivy",
        "pull_request",
        "merge",
        at(701, "acme/api").owner("ivy"),
        N,
        "Read: no merge, even on her own",
    ),
    // rhea: Read, with Admin on acme/docs written on the repo and in it.
    (
        "rhea",
        "repo",
        "admin",
        repo("acme/docs"),
        Y,
        "repo exception: level Admin",
    ),
    (
        "rhea",
        "repo",
        "push",
        repo("acme/web"),
        N,
        "Read elsewhere",
    ),
    (
        "rhea",
        "issue",
        "delete",
        at(5, "acme/docs"),
        Y,
        "Admin in acme/docs reaches its issues",
    ),
    (
        "rhea",
        "issue",
        "edit",
        at(5, "acme/docs"),
        Y,
        "Admin in acme/docs: edits others' issues",
    ),
    (
        "rhea",
        "issue",
        "label",
        at(5, "acme/docs"),
        Y,
        "Admin in acme/docs: triages",
    ),
    (
        "rhea",
        "issue",
        "delete",
        at(5, "acme/web"),
        N,
        "Read elsewhere",
    ),
    (
        "rhea",
        "issue",
        "edit",
        at(5, "acme/web"),
        N,
        "Read elsewhere: not her issue",
    ),
    (
        "rhea",
        "issue",
        "delete",
        bare(5),
        N,
        "repo not given: the rule in acme/docs does not apply",
    ),
    (
        "rhea",
        "issue",
        "delete",
        at(5, "acme/Docs"),
        N,
        "acme/Docs is not acme/docs",
    ),
    (
        "rhea",
        "pull_request",
        "merge",
        at(900, "acme/docs"),
        Y,
        "Admin in acme/docs, and push there",
    ),
    (
        "rhea",
        "pull_request",
        "review",
        at(901, "acme/web"),
        N,
        "Read elsewhere",
    ),
    (
        "rhea",
        "pull_request",
        "merge",
        bare(900),
        N,
        "repo not given",
    ),
    (
        "rhea",
        "pull_request",
        "edit",
        at(900, "acme/docs").state("open"),
        Y,
        "Admin in acme/docs edits an open pull request",
    ),
    (
        "rhea",
        "pull_request",
        "edit",
        at(900, "acme/docs").state("merged"),
        N,
        "state rule after exceptions: only Owners edit merged",
    ),
    // Authors edit their own issues and pull requests (grants scoped `own`).
    (
        "ivy",
        "issue",
        "edit",
        at(12, "acme/web").owner("ivy"),
        Y,
        "her own issue",
    ),
    (
        "ivy",
        "issue",
        "close",
        at(12, "acme/web").owner("ivy"),
        Y,
        "closes her own issue",
    ),
    (
        "ivy",
        "issue",
        "edit",
        at(13, "acme/web").owner("tess"),
        N,
        "someone else's issue",
    ),
    (
        "ivy",
        "issue",
        "edit",
        at(12, "acme/web"),
        N,
        "owner not given: scoped grants do not count",
    ),
    (
        "ivy",
        "issue",
        "label",
        at(12, "acme/web").owner("ivy"),
        N,
        "Read does not label, even her own",
    ),
    (
        "ivy",
        "issue",
        "delete",
        at(12, "acme/web").owner("ivy"),
        N,
        "only Admin deletes issues",
    ),
    (
        "ivy",
        "issue",
        "comment",
        at(13, "acme/web").owner("tess"),
        Y,
        "Read comments",
    ),
    (
        "ivy",
        "issue",
        "edit",
        bare(12).owner("ivy"),
        Y,
        "own scope needs no repo",
    ),
    (
        "tess",
        "issue",
        "edit",
        at(13, "acme/web").owner("tess"),
        Y,
        "Triage edits its own",
    ),
    (
        "tess",
        "issue",
        "edit",
        at(12, "acme/web").owner("ivy"),
        N,
        "Triage does not edit others'",
    ),
    (
        "tess",
        "issue",
        "label",
        at(12, "acme/web").owner("ivy"),
        Y,
        "Triage labels any issue",
    ),
    (
        "dan",
        "issue",
        "edit",
        at(12, "acme/web").owner("ivy"),
        Y,
        "Write edits any issue, even in acme/web",
    ),
    (
        "max",
        "issue",
        "delete",
        at(12, "acme/web"),
        N,
        "Maintain does not delete issues",
    ),
    (
        "olivia",
        "issue",
        "delete",
        at(12, "acme/web"),
        Y,
        "Owner deletes issues",
    ),
    // A merged pull request: only Owners edit it.
    (
        "olivia",
        "pull_request",
        "edit",
        at(800, "acme/web").state("merged"),
        Y,
        "Owner is exempt",
    ),
    (
        "max",
        "pull_request",
        "edit",
        at(800, "acme/web").state("merged"),
        N,
        "held back when merged",
    ),
    (
        "max",
        "pull_request",
        "edit",
        at(800, "acme/web").state("open"),
        Y,
        "open: Maintain edits",
    ),
    (
        "max",
        "pull_request",
        "comment",
        at(800, "acme/web").state("merged"),
        Y,
        "only edit is held back",
    ),
    (
        "dan",
        "pull_request",
        "edit",
        at(801, "acme/api").state("merged"),
        N,
        "held back when merged",
    ),
    (
        "ivy",
        "pull_request",
        "edit",
        at(802, "acme/api").state("merged").owner("ivy"),
        N,
        "her own, but merged",
    ),
    (
        "ivy",
        "pull_request",
        "edit",
        at(802, "acme/api").state("open").owner("ivy"),
        Y,
        "her own, open",
    ),
    // carl, a contractor restricted to acme/api.
    (
        "carl",
        "repo",
        "push",
        repo("acme/api"),
        Y,
        "the one repo he may push to",
    ),
    (
        "carl",
        "repo",
        "push",
        repo("acme/web"),
        N,
        "restricted to acme/api",
    ),
    ("carl", "repo", "push", ANY, N, "kind-wide: restricted"),
    (
        "carl",
        "repo",
        "view",
        repo("acme/web"),
        Y,
        "view is not restricted",
    ),
    (
        "carl",
        "pull_request",
        "review",
        at(703, "acme/api"),
        Y,
        "in acme/api",
    ),
    (
        "carl",
        "pull_request",
        "merge",
        at(703, "acme/api"),
        Y,
        "in acme/api, push there",
    ),
    (
        "carl",
        "pull_request",
        "review",
        at(704, "acme/web"),
        N,
        "restriction written in repo: not acme/web",
    ),
    (
        "carl",
        "pull_request",
        "merge",
        at(704, "acme/web"),
        N,
        "review needed, and no push on acme/web",
    ),
    (
        "carl",
        "pull_request",
        "review",
        bare(703),
        N,
        "repo not given: restricted actions do not hold",
    ),
    (
        "carl",
        "pull_request",
        "comment",
        at(704, "acme/web"),
        Y,
        "comment is not restricted",
    ),
    (
        "carl",
        "issue",
        "edit",
        at(20, "acme/api"),
        Y,
        "in acme/api",
    ),
    (
        "carl",
        "issue",
        "edit",
        at(21, "acme/web"),
        N,
        "restriction written in repo: not acme/web",
    ),
    ("carl", "issue", "close", bare(20), N, "repo not given"),
    (
        "carl",
        "issue",
        "create",
        at(21, "acme/web"),
        Y,
        "create is not restricted",
    ),
    (
        "carl",
        "issue",
        "edit",
        at(22, "acme/API"),
        N,
        "acme/API is not acme/api",
    ),
    // The organisation: billing and members.
    ("olivia", "org_billing", "manage", ANY, Y, "Owner"),
    (
        "bill",
        "org_billing",
        "manage",
        ANY,
        Y,
        "Billing Manager toggle",
    ),
    (
        "bill",
        "repo",
        "push",
        repo("acme/api"),
        N,
        "the toggle adds billing only",
    ),
    ("ivy", "org_billing", "view", ANY, N, "no toggle"),
    (
        "max",
        "org_billing",
        "view",
        ANY,
        N,
        "billing is the Owner's or the toggle's",
    ),
    (
        "olivia",
        "org_member",
        "set_role",
        ANY,
        Y,
        "Owner manages members",
    ),
    (
        "max",
        "org_member",
        "set_role",
        ANY,
        N,
        "Maintainer does not",
    ),
    ("max", "org_member", "view", ANY, Y, "members see members"),
];

#[test]
fn every_row() -> TestResult {
    let (_, policy) = load(SEED)?;
    let mut failures = Vec::new();
    for (who, kind, action, on, expected, why) in ROWS {
        let got = ask(&policy, who, kind, action, *on)?;
        if got != *expected {
            failures.push(format!(
                "{who} {kind}.{action} on {on:?}: expected {expected}, got {got} ({why})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(ROWS.len(), 86);
    Ok(())
}

#[test]
fn every_subject_has_rows() -> TestResult {
    let (def, _) = load(SEED)?;
    for (name, _) in def.subjects.iter() {
        assert!(
            ROWS.iter().any(|(who, ..)| *who == name),
            "no row for subject {name}"
        );
    }
    Ok(())
}

/// The exact allowed set of each plain role holder on a repo no rule names
/// (`acme/api`), and on an issue and an open pull request in it owned by
/// nobody: the role's grants, level by level.
const ROLE_SETS: &[(&str, &str, &[&str])] = &[
    ("olivia", "repo", &["view", "push", "settings", "admin"]),
    (
        "olivia",
        "issue",
        &[
            "view", "create", "comment", "label", "close", "edit", "delete",
        ],
    ),
    (
        "olivia",
        "pull_request",
        &[
            "view", "create", "comment", "label", "close", "edit", "review", "merge",
        ],
    ),
    ("max", "repo", &["view", "push", "settings"]),
    (
        "max",
        "issue",
        &["view", "create", "comment", "label", "close", "edit"],
    ),
    (
        "max",
        "pull_request",
        &[
            "view", "create", "comment", "label", "close", "edit", "review", "merge",
        ],
    ),
    ("tess", "repo", &["view"]),
    (
        "tess",
        "issue",
        &["view", "create", "comment", "label", "close"],
    ),
    (
        "tess",
        "pull_request",
        &["view", "create", "comment", "label", "close"],
    ),
    ("ivy", "repo", &["view"]),
    ("ivy", "issue", &["view", "create", "comment"]),
    ("ivy", "pull_request", &["view", "create", "comment"]),
];

#[test]
fn plain_role_holders_hold_their_level_exactly() -> TestResult {
    let (_, policy) = load(SEED)?;
    for (who, kind, want) in ROLE_SETS {
        let on = match *kind {
            "repo" => repo("acme/api"),
            "pull_request" => at(1, "acme/api").state("open"),
            _ => at(1, "acme/api"),
        };
        let r = resource(&policy, kind, on)?;
        let got: Vec<&str> = policy.allowed(subject(&policy, who)?, &r).iter().collect();
        assert_eq!(&got, want, "{who} on {kind} {on:?}");
    }
    Ok(())
}

#[test]
fn invalid_resources_deny_everything() -> TestResult {
    let (_, policy) = load(SEED)?;
    let olivia = subject(&policy, "olivia")?;
    let repo_kind = policy.kind("repo").ok_or("repo")?;
    let issue = policy.kind("issue").ok_or("issue")?;
    let pr = policy.kind("pull_request").ok_or("pull_request")?;
    let web: Instance = policy.instance(repo_kind, "acme/web");
    let cases: Vec<(&str, Resource)> = vec![
        (
            "a pull request within an issue",
            policy.resource(pr).with_id(700).within(issue.instance(3)),
        ),
        (
            "a pull request within a repo within a repo (the chain is one deep)",
            policy.resource(pr).with_id(700).within(web).within(web),
        ),
        (
            "a repo given a number id",
            policy
                .resource(repo_kind)
                .with_instance(repo_kind.instance(7)),
        ),
        (
            "a pull request within a repo given a number id",
            policy
                .resource(pr)
                .with_id(700)
                .within(repo_kind.instance(7)),
        ),
        (
            "a pull request given a string id",
            policy
                .resource(pr)
                .with_instance(policy.instance(pr, "700")),
        ),
        (
            "an issue whose own id is a repo",
            policy.resource(issue).with_instance(web),
        ),
    ];
    // Only what a resource can see without the policy is marked on it (an own
    // instance of another kind); the rest is found by the check.
    assert!(cases.iter().any(|(_, r)| r.is_invalid()));
    for (what, r) in cases {
        assert!(
            policy.allowed(olivia, &r).is_empty(),
            "{what}: the Owner is allowed {}",
            policy.allowed(olivia, &r)
        );
        for a in policy.actions(r.kind()) {
            assert!(!policy.can(olivia, a, &r), "{what}");
            let e = policy.explain(olivia, a, &r);
            assert!(!e.allowed(), "{what}: {e}");
        }
    }
    // The same questions on valid resources are allowed.
    let merge = policy.action("pull_request", "merge").ok_or("merge")?;
    let valid = policy.resource(pr).with_id(700).within(web);
    assert!(!valid.is_invalid());
    assert!(policy.can(olivia, merge, &valid));
    Ok(())
}

/// Explanations name the deciding rule; their exact wording is the engine's, so
/// these only look for the rule's kind and the names it must mention.
#[test]
fn explanations_name_the_deciding_rule() -> TestResult {
    let (_, policy) = load(SEED)?;
    let explain = |who: &str, kind: &str, action: &str, on: On| -> Result<_, String> {
        let a = policy
            .action(kind, action)
            .ok_or(format!("action {kind}.{action}"))?;
        Ok(policy.explain(subject(&policy, who)?, a, &resource(&policy, kind, on)?))
    };

    let e = explain("dan", "repo", "push", repo("acme/web"))?;
    assert!(!e.allowed(), "{e}");
    assert!(has_step(&e, Rule::Exception, true), "{e}");
    assert!(e.to_string().contains("acme/web"), "{e}");

    let e = explain("dan", "pull_request", "merge", at(700, "acme/web"))?;
    assert!(!e.allowed(), "{e}");
    assert!(has_step(&e, Rule::Prerequisite, true), "{e}");
    let text = e.to_string();
    assert!(text.contains("push") && text.contains("repo"), "{e}");

    let e = explain("dan", "pull_request", "merge", bare(700))?;
    assert!(!e.allowed(), "{e}");
    assert!(has_step(&e, Rule::Prerequisite, true), "{e}");

    let e = explain("rhea", "issue", "delete", at(5, "acme/docs"))?;
    assert!(e.allowed(), "{e}");
    assert!(has_step(&e, Rule::Exception, false), "{e}");
    assert!(e.to_string().contains("acme/docs"), "{e}");

    let e = explain(
        "max",
        "pull_request",
        "edit",
        at(800, "acme/web").state("merged"),
    )?;
    assert!(!e.allowed(), "{e}");
    assert!(has_step(&e, Rule::StateRule, true), "{e}");
    assert!(e.to_string().contains("merged"), "{e}");

    let e = explain("carl", "pull_request", "review", at(704, "acme/web"))?;
    assert!(!e.allowed(), "{e}");
    assert!(has_step(&e, Rule::Restriction, true), "{e}");
    assert!(e.to_string().contains("acme/api"), "{e}");

    let e = explain("ivy", "issue", "edit", at(12, "acme/web").owner("ivy"))?;
    assert!(e.allowed(), "{e}");
    assert!(has_step(&e, Rule::Scope, false), "{e}");
    Ok(())
}

/// Repos every rule names, one that differs only in case, one named nowhere.
const SLUGS: &[Option<&str>] = &[
    None,
    Some("acme/web"),
    Some("acme/api"),
    Some("acme/docs"),
    Some("acme/Web"),
    Some("octo/other"),
];

/// On every subject, action and a grid of resources (each repo above; issues and
/// pull requests with and without a number, in each repo or none, in every state,
/// owned by nobody or by each subject): `explain`, `allowed` and `who_can` agree
/// with `can`.
#[test]
fn explain_allowed_and_who_can_agree_with_can() -> TestResult {
    let (def, policy) = load(SEED)?;
    let names: Vec<&str> = def.subjects.iter().map(|(n, _)| n).collect();
    let mut owners: Vec<Option<&'static str>> = vec![None];
    // The On builder takes static names: leak-free, the subjects are few and
    // known.
    for n in [
        "olivia", "max", "dan", "tess", "ivy", "rhea", "carl", "bill",
    ] {
        owners.push(Some(n));
    }
    assert_eq!(owners.len() - 1, names.len(), "update the owner list");
    let mut checked = 0usize;
    let mut failures = Vec::new();
    for (kind_name, kind) in def.kinds.iter() {
        let mut ons = Vec::new();
        if kind_name == "repo" || kind.parent.is_none() {
            for slug in SLUGS {
                if kind_name == "repo" || slug.is_none() {
                    ons.push(On { repo: *slug, ..ANY });
                }
            }
        } else {
            let mut states: Vec<Option<&'static str>> = vec![None];
            if kind_name == "pull_request" {
                states.extend([Some("open"), Some("closed"), Some("merged")]);
            }
            for number in [None, Some(1)] {
                for slug in SLUGS {
                    for state in &states {
                        for owner in &owners {
                            ons.push(On {
                                number,
                                repo: *slug,
                                state: *state,
                                owner: *owner,
                            });
                        }
                    }
                }
            }
        }
        for on in ons {
            let r = resource(&policy, kind_name, on)?;
            for action_name in &kind.actions {
                let a = policy.action(kind_name, action_name).ok_or("action")?;
                let who: Vec<SubjectId> = policy.who_can(a, &r);
                for sname in &names {
                    let s = subject(&policy, sname)?;
                    let can = policy.can(s, a, &r);
                    let explained = policy.explain(s, a, &r).allowed();
                    let listed = policy.allowed(s, &r).contains(a);
                    let among = who.contains(&s);
                    checked += 1;
                    if can != explained || can != listed || can != among {
                        failures.push(format!(
                            "{sname} {kind_name}.{action_name} {on:?}: can={can} \
                             explain={explained} allowed={listed} who_can={among}"
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 10_000, "{checked}");
    Ok(())
}

/// Only Owners change per-repo rules (`repo.admin`); the changes take string ids
/// and rules written in a repo, and a string id resolved before a change keeps
/// answering after it, unless it was unnamed and the change names new strings.
#[test]
fn only_owners_change_per_repo_rules() -> TestResult {
    let (_, policy) = load(SEED)?;
    let no_merge_in_api = Change::SetException {
        subject: "dan".into(),
        exception: ExceptionDef::allow_deny("pull_request", "acme/api", [] as [&str; 0], ["merge"])
            .within("repo"),
    };
    assert!(matches!(
        policy.apply("max", &no_merge_in_api),
        Err(ChangeError::NotPermitted { .. })
    ));
    let after = policy.apply("olivia", &no_merge_in_api)?;
    assert!(ask(
        &policy,
        "dan",
        "pull_request",
        "merge",
        at(701, "acme/api")
    )?);
    assert!(!ask(
        &after,
        "dan",
        "pull_request",
        "merge",
        at(701, "acme/api")
    )?);
    assert!(ask(
        &after,
        "dan",
        "pull_request",
        "review",
        at(701, "acme/api")
    )?);
    assert!(ask(&after, "dan", "repo", "push", repo("acme/api"))?);
    // An instance resolved in the snapshot before the change still answers.
    let repo_kind = policy.kind("repo").ok_or("repo")?;
    let merge = policy.action("pull_request", "merge").ok_or("merge")?;
    let pr = policy.kind("pull_request").ok_or("pull_request")?;
    let dan = subject(&policy, "dan")?;
    let api = policy.instance(repo_kind, "acme/api");
    let r = policy.resource(pr).with_id(701).within(api);
    assert!(policy.can(dan, merge, &r));
    assert!(!after.can(dan, merge, &r));

    // Giving back push on acme/web gives back merging there.
    let push_again = Change::RemoveException {
        subject: "dan".into(),
        kind: "repo".into(),
        within: None,
        id: "acme/web".into(),
    };
    let after = policy.apply("olivia", &push_again)?;
    assert!(ask(&after, "dan", "repo", "push", repo("acme/web"))?);
    assert!(ask(
        &after,
        "dan",
        "pull_request",
        "merge",
        at(700, "acme/web")
    )?);

    // Making ivy Admin of a repo no rule named: an instance resolved before, when
    // the string was unnamed, is denied afterwards (resolve it again).
    let before = policy.instance(repo_kind, "acme/new");
    let admin_of_new = Change::SetException {
        subject: "ivy".into(),
        exception: ExceptionDef::level("repo", "acme/new", "Admin"),
    };
    let after = policy.apply("olivia", &admin_of_new)?;
    assert!(ask(&after, "ivy", "repo", "admin", repo("acme/new"))?);
    assert!(!ask(&after, "ivy", "repo", "admin", repo("acme/old"))?);
    let view = policy.action("repo", "view").ok_or("view")?;
    let olivia = subject(&policy, "olivia")?;
    let stale = after.resource(repo_kind).with_instance(before);
    assert!(policy.can(
        olivia,
        view,
        &policy.resource(repo_kind).with_instance(before)
    ));
    assert!(!after.can(olivia, view, &stale));
    Ok(())
}

/// Each subject, kept instead as a principal in the service's own database (its
/// role, toggles, levels, exceptions and restrictions), answers as the subject
/// does on repos and on issues and pull requests in each repo or none, in every
/// state (no owner: a principal's owners are the service's keys).
#[test]
fn principals_answer_like_the_subjects() -> TestResult {
    let (def, policy) = load(SEED)?;
    let mut checked = 0usize;
    let mut failures = Vec::new();
    for (i, (name, s)) in def.subjects.iter().enumerate() {
        let pdef = PrincipalDef {
            role: s.role.clone(),
            toggles: s.toggles.clone(),
            levels: s.levels.clone(),
            exceptions: s.exceptions.clone(),
            restrictions: s.restrictions.clone(),
            manages: Vec::new(),
        };
        let principal = policy.principal(1000 + i as u64, &pdef)?;
        let sid = subject(&policy, name)?;
        for (kind_name, kind) in def.kinds.iter() {
            let mut ons = Vec::new();
            for slug in SLUGS {
                if kind_name == "repo" {
                    ons.push(On { repo: *slug, ..ANY });
                } else if kind.parent.is_some() {
                    for state in [None, Some("open"), Some("merged")] {
                        let state = if kind_name == "pull_request" {
                            state
                        } else {
                            None
                        };
                        ons.push(On {
                            number: Some(1),
                            repo: *slug,
                            state,
                            owner: None,
                        });
                    }
                } else if slug.is_none() {
                    ons.push(ANY);
                }
            }
            for on in ons {
                let r = resource(&policy, kind_name, on)?;
                for action in &kind.actions {
                    let a = policy.action(kind_name, action).ok_or("action")?;
                    let (want, got) = (
                        policy.can(sid, a, &r),
                        policy.can_principal(&principal, a, &r),
                    );
                    checked += 1;
                    if want != got {
                        failures.push(format!(
                            "{name} {kind_name}.{action} {on:?}: subject {want}, principal {got}"
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 1000, "{checked}");
    Ok(())
}

/// A string id resolved by a policy compiled apart is denied (the `Instance`
/// docs: "in a policy compiled apart, it is denied"; MODEL.md, Identity), never
/// read as whatever string has the same number here. `other` names `acme/api`
/// first, so its number for `acme/api` is this policy's number for `acme/web`.
#[test]
fn a_string_id_from_a_policy_compiled_apart_is_denied() -> TestResult {
    let (def, policy) = load(SEED)?;
    let mut apart = def.clone();
    for name in ["dan", "rhea"] {
        apart.subjects.get_mut(name).ok_or(name)?.exceptions.clear();
    }
    let other = Policy::compile(&apart)?;
    let repo_kind = policy.kind("repo").ok_or("repo")?;
    let view = policy.action("repo", "view").ok_or("view")?;
    let push = policy.action("repo", "push").ok_or("push")?;
    let (dan, olivia) = (subject(&policy, "dan")?, subject(&policy, "olivia")?);
    let api_there = other.instance(repo_kind, "acme/api");
    let r = policy.resource(repo_kind).with_instance(api_there);
    let e = policy.explain(dan, push, &r);
    assert!(
        !e.to_string().contains("acme/web"),
        "read as acme/web:\n{e}"
    );
    assert!(
        !policy.can(olivia, view, &r),
        "{}",
        policy.explain(olivia, view, &r)
    );
    Ok(())
}

/// The same for two snapshots changed apart from one policy: each names a new
/// repo, and gets the same number for it. A string id resolved in one is not a
/// string id of the other (neither is changed from the other), so the other must
/// not read it as its own new repo: in `y` ivy is Admin of acme/y only, and
/// acme/x is a repo `y` names nowhere (or an id `y` did not hand out), where ivy
/// is Read.
#[test]
fn a_string_id_from_a_sibling_snapshot_is_not_another_repo() -> TestResult {
    let (_, policy) = load(SEED)?;
    let set = |slug: &str, level: &str| Change::SetException {
        subject: "ivy".into(),
        exception: ExceptionDef::level("repo", slug, level),
    };
    let x = policy.apply("olivia", &set("acme/x", "Write"))?;
    let y = policy.apply("olivia", &set("acme/y", "Admin"))?;
    let repo_kind = policy.kind("repo").ok_or("repo")?;
    let admin = policy.action("repo", "admin").ok_or("admin")?;
    let ivy = subject(&policy, "ivy")?;
    let in_x = policy
        .resource(repo_kind)
        .with_instance(x.instance(repo_kind, "acme/x"));
    let in_y = policy
        .resource(repo_kind)
        .with_instance(y.instance(repo_kind, "acme/x"));
    assert!(!x.can(ivy, admin, &in_x), "Write in x");
    assert!(!y.can(ivy, admin, &in_y), "acme/x is unnamed in y");
    assert!(
        !y.can(ivy, admin, &in_x),
        "x's acme/x read by y as acme/y:\n{}",
        y.explain(ivy, admin, &in_x)
    );
    Ok(())
}
