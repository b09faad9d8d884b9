//! A GitHub-like organisation: repositories with string ids, and issues and pull
//! requests inside them (containment).
//!
//! Run with `cargo run --example github [policy.json]`; without an argument it
//! uses `examples/policies/github.json`. It prints a table of questions and their
//! answers, explains a few, and exits with an error if any answer is not the one
//! documented here (the same rows, and more, are in `tests/seed_github.rs`).
//!
//! How the organisation is modelled:
//! - Kinds: `repo` (string ids such as `acme/web`: view, push, settings, admin),
//!   `issue` and `pull_request` with `"parent": "repo"` (number ids), and the
//!   organisation's `org_billing` and `org_member`.
//! - GitHub's repository roles are levels of each repository kind (Read, Triage,
//!   Write, Maintain, Admin); the organisation roles grant one of them: Owner
//!   everything, Maintainer Maintain, Developer Write, Triage Triage, Read Read.
//!   Only Owners delete issues, see billing and manage members; the `Billing
//!   Manager` toggle adds billing to anyone.
//! - Authors edit (and, with Read, close) their own issues and pull requests:
//!   grants scoped `own`. The caller says who opened an issue with `with_owner`.
//! - Merging a pull request needs `push` on its repository: a prerequisite
//!   `on_ancestor`, decided in full on that repository (its exceptions included).
//!   A pull request asked about without its repository does not meet it, so
//!   nobody, not even an Owner, merges "a pull request somewhere".
//! - A merged pull request (state `merged`) holds `edit` back from everyone but
//!   Owners; state rules come after exceptions, so no per-repo Admin re-opens it.
//! - `dan` (Developer) has an exception denying `push` on repo `acme/web`: he
//!   cannot push there, and so cannot merge its pull requests.
//! - `rhea` (Read) is an Admin of `acme/docs` only: a level exception on the repo,
//!   and level exceptions written `in` the repo for its issues and pull requests.
//! - `carl`, a contractor (Developer), may push only to `acme/api` (a restriction
//!   on repo ids) and triage, edit and review only issues and pull requests in it
//!   (restrictions written `in` repo).
//! - String ids match exactly: `acme/Web` is another repository, named by no rule,
//!   and answers like any repository no rule names.
//! - Only Owners change people (`org_member.set_role`) and per-repo rules
//!   (`repo.admin`), and only within what they hold themselves.

use std::error::Error;

use accessmask::{Policy, Resource};

#[path = "common/mod.rs"]
mod common;
use common::{load, show};

const POLICY: &str = include_str!("policies/github.json");

/// Where a question is asked: a repo by slug, or an issue / pull request by
/// number with the repo it is in (if given), a state and an author.
#[derive(Clone, Copy)]
struct On {
    number: Option<u64>,
    repo: Option<&'static str>,
    state: Option<&'static str>,
    owner: Option<&'static str>,
}

const fn repo(slug: &'static str) -> On {
    On {
        number: None,
        repo: Some(slug),
        state: None,
        owner: None,
    }
}

const fn at(number: u64, slug: &'static str) -> On {
    On {
        number: Some(number),
        repo: Some(slug),
        state: None,
        owner: None,
    }
}

/// The organisation itself (no id, no repo).
const ORG: On = On {
    number: None,
    repo: None,
    state: None,
    owner: None,
};

const fn bare(number: u64) -> On {
    On {
        number: Some(number),
        repo: None,
        state: None,
        owner: None,
    }
}

impl On {
    const fn state(mut self, state: &'static str) -> On {
        self.state = Some(state);
        self
    }

    const fn owner(mut self, owner: &'static str) -> On {
        self.owner = Some(owner);
        self
    }

    fn describe(&self, kind: &str) -> String {
        let mut s = match (kind, self.number, self.repo) {
            ("repo", _, Some(slug)) => format!("repo {slug}"),
            (_, Some(n), Some(slug)) => format!("{kind} #{n} in {slug}"),
            (_, Some(n), None) => format!("{kind} #{n} (repo not given)"),
            _ => kind.to_string(),
        };
        if let Some(st) = self.state {
            s.push_str(&format!(", {st}"));
        }
        if let Some(o) = self.owner {
            s.push_str(&format!(", by {o}"));
        }
        s
    }

    fn resource(&self, policy: &Policy, kind: &str) -> Result<Resource, Box<dyn Error>> {
        let k = policy.kind(kind).ok_or(format!("no kind {kind}"))?;
        let repo_kind = policy.kind("repo").ok_or("no kind repo")?;
        let mut r = policy.resource(k);
        match (kind, self.repo) {
            ("repo", Some(slug)) => r = r.with_instance(policy.instance(repo_kind, slug)),
            (_, slug) => {
                if let Some(n) = self.number {
                    r = r.with_id(n);
                }
                if let Some(slug) = slug {
                    r = r.within(policy.instance(repo_kind, slug));
                }
            }
        }
        if let Some(st) = self.state {
            r = r.with_state(policy.state(k, st).ok_or(format!("no state {st}"))?);
        }
        if let Some(o) = self.owner {
            r = r.with_owner(policy.subject(o).ok_or(format!("no subject {o}"))?);
        }
        Ok(r)
    }
}

/// (subject, kind, action, where, documented answer, why).
type Question = (
    &'static str,
    &'static str,
    &'static str,
    On,
    bool,
    &'static str,
);

const QUESTIONS: &[Question] = &[
    (
        "dan",
        "repo",
        "push",
        repo("acme/api"),
        true,
        "Developer = Write",
    ),
    (
        "dan",
        "repo",
        "push",
        repo("acme/web"),
        false,
        "his exception on acme/web",
    ),
    (
        "dan",
        "repo",
        "push",
        repo("acme/Web"),
        true,
        "ids match exactly",
    ),
    (
        "dan",
        "pull_request",
        "merge",
        at(700, "acme/web"),
        false,
        "merge needs push on the repo",
    ),
    (
        "dan",
        "pull_request",
        "merge",
        at(701, "acme/api"),
        true,
        "push on acme/api",
    ),
    (
        "dan",
        "pull_request",
        "merge",
        bare(700),
        false,
        "repo not given: prerequisite unmet",
    ),
    (
        "olivia",
        "pull_request",
        "merge",
        bare(700),
        false,
        "unmet even for the Owner",
    ),
    (
        "rhea",
        "issue",
        "delete",
        at(5, "acme/docs"),
        true,
        "Admin exception in acme/docs",
    ),
    (
        "rhea",
        "issue",
        "delete",
        at(5, "acme/web"),
        false,
        "Read elsewhere",
    ),
    (
        "rhea",
        "pull_request",
        "merge",
        at(900, "acme/docs"),
        true,
        "Admin there, push there",
    ),
    (
        "ivy",
        "issue",
        "edit",
        at(12, "acme/web").owner("ivy"),
        true,
        "her own issue",
    ),
    (
        "ivy",
        "issue",
        "edit",
        at(13, "acme/web").owner("tess"),
        false,
        "not hers",
    ),
    (
        "max",
        "pull_request",
        "edit",
        at(800, "acme/web").state("open"),
        true,
        "Maintain edits",
    ),
    (
        "max",
        "pull_request",
        "edit",
        at(800, "acme/web").state("merged"),
        false,
        "merged: Owners only",
    ),
    (
        "olivia",
        "pull_request",
        "edit",
        at(800, "acme/web").state("merged"),
        true,
        "Owner",
    ),
    (
        "rhea",
        "pull_request",
        "edit",
        at(900, "acme/docs").state("merged"),
        false,
        "no exception re-opens it",
    ),
    (
        "carl",
        "repo",
        "push",
        repo("acme/api"),
        true,
        "his one repo",
    ),
    (
        "carl",
        "repo",
        "push",
        repo("acme/web"),
        false,
        "restricted to acme/api",
    ),
    (
        "carl",
        "pull_request",
        "review",
        at(704, "acme/web"),
        false,
        "restriction in repo",
    ),
    (
        "carl",
        "pull_request",
        "merge",
        at(703, "acme/api"),
        true,
        "in acme/api",
    ),
    (
        "bill",
        "org_billing",
        "manage",
        ORG,
        true,
        "Billing Manager toggle",
    ),
];

fn main() -> Result<(), Box<dyn Error>> {
    let (_, policy) = load(POLICY)?;

    println!("| subject | action | resource | answer | why |");
    println!("|---|---|---|---|---|");
    let mut wrong = Vec::new();
    for (who, kind, action, on, documented, why) in QUESTIONS {
        let s = policy.subject(who).ok_or(format!("no subject {who}"))?;
        let a = policy
            .action(kind, action)
            .ok_or(format!("no action {kind}.{action}"))?;
        let got = policy.can(s, a, &on.resource(&policy, kind)?);
        let answer = if got { "allow" } else { "deny" };
        println!(
            "| {who} | {action} | {} | {answer} | {why} |",
            on.describe(kind)
        );
        if got != *documented {
            wrong.push(format!(
                "{who} {action} {}: documented {documented}, got {got}",
                on.describe(kind)
            ));
        }
    }
    println!();

    // Why dan cannot merge in acme/web, and why rhea may delete in acme/docs.
    for (who, kind, action, on) in [
        ("dan", "pull_request", "merge", at(700, "acme/web")),
        ("rhea", "issue", "delete", at(5, "acme/docs")),
        (
            "max",
            "pull_request",
            "edit",
            at(800, "acme/web").state("merged"),
        ),
    ] {
        let s = policy.subject(who).ok_or(format!("no subject {who}"))?;
        let a = policy
            .action(kind, action)
            .ok_or(format!("no action {kind}.{action}"))?;
        println!("{}", policy.explain(s, a, &on.resource(&policy, kind)?));
    }

    // Questions without containment read as text, like the other seeds'.
    show(&policy, "bill manage org_billing")?;
    show(&policy, "max view org_billing")?;

    if wrong.is_empty() {
        println!("all {} answers as documented", QUESTIONS.len());
        Ok(())
    } else {
        Err(wrong.join("\n").into())
    }
}
