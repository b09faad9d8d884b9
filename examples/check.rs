//! `check`: the policy author's command-line tool.
//!
//! ```text
//! cargo run --example check                                   # a tour of the Magnews policy
//! cargo run --example check -- policy.json                    # validate, print the matrices
//! cargo run --example check -- policy.json "u7 edit database:42 state=billed" "u3 view report"
//! cargo run --example check -- policy.json u7 edit database:42 -- u3 view report
//! ```
//!
//! It reads a policy document, compiles it (reporting the first problem with its
//! path in the document), prints the roles x actions matrix and, when some kind has
//! levels, the subjects x levels matrix, then answers each query with the steps of
//! the decision order that made the answer. Run it with `--help` for the details.
//!
//! Exit codes: 0 when every query was answered (an answer of DENY is still an
//! answer), 1 when the document cannot be read, parsed or compiled, 2 when the
//! command line or a query is wrong. Nothing a user types makes it panic.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use accessmask::{ActionId, Policy, PolicyDef, Resource, SubjectId};

/// The default policy: the Magnews seed, also used by `examples/magnews.rs` and
/// `tests/seed_magnews.rs`.
const DEFAULT_POLICY: &str = include_str!("policies/magnews.json");
const DEFAULT_NAME: &str = "examples/policies/magnews.json";

/// The tour's decisions: a caption and a query on the default policy.
const TOUR: &[(&str, &str)] = &[
    (
        "An Editor may send a communication: the role grants it.",
        "eddie send communication:12",
    ),
    (
        "A Designer may not: the role's grants stop at edit.",
        "desi send communication:12",
    ),
    (
        "A Manager is an Administrator copy with users and security removed.",
        "mark view user",
    ),
    (
        "`Editor without send` has a per-database exception taking edit away on 42.",
        "nora edit database:42",
    ),
    (
        "Its role also takes edit away on journey 5, but otto's own exception gives it back.",
        "otto edit journey:5",
    ),
    (
        "`Audience keeper` may edit and delete only audiences 101 and 102.",
        "aldo delete audience:103",
    ),
];

const USAGE: &str = "\
check: validate an accessmask policy document and answer queries against it

Usage:
  cargo run --example check -- [OPTIONS] [POLICY.json] [QUERY...]

With no POLICY and no QUERY, runs a short tour of the embedded Magnews policy
(examples/policies/magnews.json). With queries but no POLICY, the queries are
asked of that embedded policy.

POLICY.json
  The first argument is the policy document if it ends in `.json`, names an
  existing file, or is `-` (read standard input).

QUERY
  SUBJECT ACTION KIND[:ID] [state=STATE] [owner=SUBJECT]
  for example:  u7 edit database:42 state=billed owner=u3
  Give each query as ONE quoted argument:
    check policy.json \"u7 edit database:42\" \"u3 view report\"
  or give its words as separate arguments and separate queries with `--`:
    check policy.json u7 edit database:42 -- u3 view report
  (an argument that contains a space is always a whole query).

Options:
  --markdown      print the matrices (and explanations) as Markdown
  --no-matrices   answer the queries without printing the matrices
  -h, --help      print this help

Output:
  The roles x actions matrix (Y: on any instance; own / managed: only on
  instances the subject owns / owned by subjects it manages; -: not at all),
  the subjects x levels matrix if some kind has levels, then for each query
  ALLOW or DENY and the steps of the decision order that bore on it (`*` marks
  a step that added or removed the action asked about).

Exit codes:
  0  ok (every query answered, whether ALLOW or DENY)
  1  the policy document cannot be read, parsed or compiled
  2  bad command line or query (unknown subject, action, kind, state, owner)
";

/// Why the tool stops, and its exit code.
#[derive(Debug)]
enum Failure {
    /// The document cannot be read, parsed or compiled: exit code 1.
    Invalid(String),
    /// A bad command line or query: exit code 2. One message per problem, and
    /// whether pointing to `--help` would help (not for a misspelt name).
    Usage(Vec<String>, bool),
}

impl Failure {
    fn usage(msg: impl Into<String>) -> Self {
        Failure::Usage(vec![msg.into()], true)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = String::new();
    let code = match run(&args, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invalid(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(msgs, point_to_help)) => {
            for msg in msgs {
                eprintln!("error: {msg}");
            }
            if point_to_help {
                eprintln!("(run with --help for usage)");
            }
            ExitCode::from(2)
        }
    };
    // Written in one go, and a closed pipe (`check | head`) is not an error.
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: writing the output: {e}");
            ExitCode::from(1)
        }
        _ => code,
    }
}

/// Where the document comes from.
#[derive(Debug)]
enum Source {
    Default,
    File(String),
    Stdin,
}

#[derive(Debug, Default)]
struct Options {
    help: bool,
    markdown: bool,
    no_matrices: bool,
    policy: Option<Source>,
    /// Each query as its words.
    queries: Vec<Vec<String>>,
}

fn is_policy_arg(arg: &str) -> bool {
    arg == "-"
        || Path::new(arg)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || Path::new(arg).is_file()
}

fn parse_args(args: &[String]) -> Result<Options, Failure> {
    let mut o = Options::default();
    let mut words: Vec<String> = Vec::new();
    let mut seen_positional = false;
    for arg in args {
        if arg.chars().any(char::is_whitespace) {
            // A whole query in one argument.
            if !words.is_empty() {
                o.queries.push(std::mem::take(&mut words));
            }
            o.queries
                .push(arg.split_whitespace().map(str::to_string).collect());
            seen_positional = true;
            continue;
        }
        match arg.as_str() {
            "--" => {
                if !words.is_empty() {
                    o.queries.push(std::mem::take(&mut words));
                }
            }
            "-h" | "--help" => o.help = true,
            "--markdown" => o.markdown = true,
            "--no-matrices" => o.no_matrices = true,
            a if a.starts_with('-') && a != "-" => {
                return Err(Failure::usage(format!("unknown option `{a}`")));
            }
            a if !seen_positional && is_policy_arg(a) => {
                seen_positional = true;
                o.policy = Some(if a == "-" {
                    Source::Stdin
                } else {
                    Source::File(a.to_string())
                });
            }
            a => {
                seen_positional = true;
                words.push(a.to_string());
            }
        }
    }
    if !words.is_empty() {
        o.queries.push(words);
    }
    Ok(o)
}

fn run(args: &[String], out: &mut String) -> Result<(), Failure> {
    let opts = parse_args(args)?;
    if opts.help {
        out.push_str(USAGE);
        return Ok(());
    }
    let tour = opts.policy.is_none() && opts.queries.is_empty();
    let source = opts.policy.as_ref().unwrap_or(&Source::Default);
    let (name, text) = read_source(source)?;
    let (def, policy) = load(&name, &text)?;

    let queries: Vec<(&str, Vec<String>)> = if tour {
        TOUR.iter()
            .map(|(caption, q)| (*caption, q.split_whitespace().map(str::to_string).collect()))
            .collect()
    } else {
        opts.queries.iter().map(|q| ("", q.clone())).collect()
    };
    // Check every query before printing anything, so that mistakes are not buried
    // under the matrices.
    let mut resolved = Vec::new();
    let mut problems = Vec::new();
    let mut syntax = false;
    for (caption, words) in &queries {
        let answer = match parse_query(words) {
            Ok(q) => resolve(&policy, &q),
            Err(e) => {
                syntax = true;
                Err(e)
            }
        };
        match answer {
            Ok(q) => resolved.push((*caption, q)),
            Err(e) => problems.push(format!("query `{}`: {e}", words.join(" "))),
        }
    }
    if !problems.is_empty() {
        return Err(Failure::Usage(problems, syntax));
    }

    if tour {
        writeln!(
            out,
            "accessmask check: a tour of the Magnews policy ({name}, embedded)\n\
             Run with --help to check your own document and queries.\n"
        )
        .ok();
    } else {
        writeln!(
            out,
            "{name}: ok ({}, {}, {}, {})\n",
            count(def.kinds.len(), "kind"),
            count(def.roles.len(), "role"),
            count(def.toggles.len(), "toggle"),
            count(def.subjects.len(), "subject")
        )
        .ok();
    }
    if !opts.no_matrices {
        print_matrices(&policy, &def, opts.markdown, out);
    }
    if tour {
        heading(
            out,
            opts.markdown,
            "A few decisions, with the steps that made them (`*`: the decisive steps)",
        );
    } else if !resolved.is_empty() {
        heading(out, opts.markdown, "Queries");
    }
    for (i, (caption, (subject, action, resource))) in resolved.iter().enumerate() {
        if !caption.is_empty() {
            writeln!(out, "{}. {caption}", i + 1).ok();
        }
        let why = policy.explain(*subject, *action, resource);
        if opts.markdown {
            writeln!(out, "```text\n{why}```\n").ok();
        } else {
            writeln!(out, "{why}").ok();
        }
    }
    if tour {
        writeln!(
            out,
            "Ask your own: cargo run --example check -- POLICY.json \
             \"SUBJECT ACTION KIND[:ID] [state=STATE] [owner=SUBJECT]\""
        )
        .ok();
    }
    Ok(())
}

/// `1 kind`, `2 kinds`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("{n} {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn heading(out: &mut String, markdown: bool, title: &str) {
    if markdown {
        writeln!(out, "## {title}\n").ok();
    } else {
        writeln!(out, "{title}\n").ok();
    }
}

/// The matrices; `def` is the document as read (for what it declares).
fn print_matrices(policy: &Policy, def: &PolicyDef, markdown: bool, out: &mut String) {
    let show = |out: &mut String, m: accessmask::Matrix| {
        if markdown {
            writeln!(out, "{}", m.to_markdown()).ok();
        } else {
            writeln!(out, "{m}").ok();
        }
    };
    if def.roles.is_empty() {
        heading(out, markdown, "Roles x actions: the policy has no roles");
    } else {
        heading(
            out,
            markdown,
            "Roles x actions (Y: any instance; own / managed: only in that scope; -: no)",
        );
        show(out, policy.role_matrix());
    }
    let has_levels = def.kinds.iter().any(|(_, k)| !k.levels.is_empty());
    if has_levels && !def.subjects.is_empty() {
        heading(
            out,
            markdown,
            "Subjects x levels (the level each subject's kind-wide set equals)",
        );
        show(out, policy.level_matrix());
    }
}

/// Reads the document: its display name and text.
fn read_source(source: &Source) -> Result<(String, String), Failure> {
    match source {
        Source::Default => Ok((DEFAULT_NAME.to_string(), DEFAULT_POLICY.to_string())),
        Source::File(path) => std::fs::read_to_string(path)
            .map(|text| (path.clone(), text))
            .map_err(|e| Failure::Invalid(format!("{path}: {e}"))),
        Source::Stdin => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Failure::Invalid(format!("<stdin>: {e}")))?;
            Ok(("<stdin>".to_string(), text))
        }
    }
}

/// Parses and compiles the document.
fn load(name: &str, text: &str) -> Result<(PolicyDef, Policy), Failure> {
    let def: PolicyDef = serde_json::from_str(text).map_err(|e| {
        if e.line() == 0 {
            return Failure::Invalid(format!("{name}: {e}"));
        }
        // `file:line:column: message`, as compilers print it, without serde's own
        // "at line L column C" suffix.
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let msg = full.strip_suffix(&suffix).unwrap_or(&full);
        Failure::Invalid(format!("{name}:{}:{}: {msg}", e.line(), e.column()))
    })?;
    // The error's message already names where in the document the problem stands.
    let policy = Policy::compile(&def).map_err(|e| Failure::Invalid(e.to_string()))?;
    Ok((def, policy))
}

/// A query as written: names, not yet looked up.
#[derive(Debug)]
struct Query<'a> {
    subject: &'a str,
    action: &'a str,
    kind: &'a str,
    id: Option<u64>,
    state: Option<&'a str>,
    owner: Option<&'a str>,
}

const QUERY_FORM: &str = "SUBJECT ACTION KIND[:ID] [state=STATE] [owner=SUBJECT]";

fn parse_query(words: &[String]) -> Result<Query<'_>, String> {
    let [subject, action, target, rest @ ..] = words else {
        return Err(format!("expected {QUERY_FORM}"));
    };
    let (kind, id) = match target.split_once(':') {
        Some((kind, id)) => {
            let id = id.parse::<u64>().map_err(|_| {
                format!("bad instance id `{id}` in `{target}`: expected a whole number")
            })?;
            (kind, Some(id))
        }
        None => (target.as_str(), None),
    };
    let mut q = Query {
        subject,
        action,
        kind,
        id,
        state: None,
        owner: None,
    };
    for word in rest {
        let (slot, value) = match word.split_once('=') {
            Some(("state", v)) => (&mut q.state, v),
            Some(("owner", v)) => (&mut q.owner, v),
            _ => {
                return Err(format!(
                    "unexpected `{word}`: after KIND[:ID] only state=STATE and owner=SUBJECT may follow"
                ))
            }
        };
        if value.is_empty() {
            return Err(format!("`{word}` gives no value"));
        }
        if slot.replace(value).is_some() {
            return Err(format!("`{word}`: given twice"));
        }
    }
    Ok(q)
}

/// Looks the query's names up in the policy.
fn resolve(policy: &Policy, q: &Query<'_>) -> Result<(SubjectId, ActionId, Resource), String> {
    let subject_names: Vec<&str> = policy.subjects().map(|s| policy.subject_name(s)).collect();
    let subject = policy.subject(q.subject).ok_or_else(|| {
        format!(
            "unknown subject `{}`{}",
            q.subject,
            hint(q.subject, &subject_names)
        )
    })?;
    let kind = policy.kind(q.kind).ok_or_else(|| {
        let kinds: Vec<&str> = policy.kinds().map(|k| policy.kind_name(k)).collect();
        format!("unknown kind `{}`{}", q.kind, hint(q.kind, &kinds))
    })?;
    let action = policy.action(q.kind, q.action).ok_or_else(|| {
        let actions: Vec<&str> = policy
            .actions(kind)
            .map(|a| policy.action_name(a))
            .collect();
        let mut msg = format!("unknown action `{}` of kind `{}`", q.action, q.kind);
        match nearest(q.action, &actions) {
            Some(s) => msg.push_str(&format!(" (did you mean `{s}`?)")),
            None => {
                // A right action on the wrong kind is a common slip: say where it is.
                let elsewhere: Vec<&str> = policy
                    .kinds()
                    .filter(|&k| policy.action(policy.kind_name(k), q.action).is_some())
                    .map(|k| policy.kind_name(k))
                    .collect();
                msg.push_str(" (");
                if !elsewhere.is_empty() {
                    msg.push_str(&format!("it is an action of {}; ", list(&elsewhere, 3)));
                }
                if actions.is_empty() {
                    msg.push_str(&format!("`{}` has no actions)", q.kind));
                } else {
                    msg.push_str(&format!("`{}` has {})", q.kind, list(&actions, 64)));
                }
            }
        }
        msg
    })?;
    let mut resource = policy.resource(kind);
    if let Some(id) = q.id {
        resource = resource.with_id(id);
    }
    if let Some(state) = q.state {
        let st = policy.state(kind, state).ok_or_else(|| {
            let states: Vec<&str> = policy.states(kind).map(|s| policy.state_name(s)).collect();
            if states.is_empty() {
                format!("unknown state `{state}`: kind `{}` has no states", q.kind)
            } else {
                format!(
                    "unknown state `{state}` of kind `{}`{}",
                    q.kind,
                    hint(state, &states)
                )
            }
        })?;
        resource = resource.with_state(st);
    }
    if let Some(owner) = q.owner {
        let o = policy.subject(owner).ok_or_else(|| {
            format!(
                "unknown owner `{owner}`: not a subject of the policy{}",
                hint(owner, &subject_names)
            )
        })?;
        resource = resource.with_owner(o);
    }
    Ok((subject, action, resource))
}

/// ` (did you mean `x`?)` when a known name is close, else the known names.
fn hint(name: &str, known_names: &[&str]) -> String {
    match nearest(name, known_names) {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => known(known_names),
    }
}

/// `` (known: `a`, `b`, ...)``, at most ten names.
fn known(names: &[&str]) -> String {
    if names.is_empty() {
        return " (the policy has none)".to_string();
    }
    format!(" (known: {})", list(names, 10))
}

/// `` `a`, `b`, `c` ``, at most `shown` names, then how many more.
fn list(names: &[&str], shown: usize) -> String {
    let mut s = names
        .iter()
        .take(shown)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > shown {
        s.push_str(&format!(" and {} more", names.len() - shown));
    }
    s
}

/// The known name nearest to `name`, if it is close enough to be a typo: the
/// compiler's rule (at most a third of the name's length, 1 to 3 edits), where a
/// swap of two adjacent letters (`veiw`) counts as one edit.
fn nearest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    known
        .iter()
        .map(|&k| (edit_distance(name, k), k))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// Optimal string alignment distance over chars: insertions, deletions,
/// substitutions and transpositions of adjacent chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    // d[i * w + j]: distance between a[..i] and b[..j].
    let mut d: Vec<usize> = vec![0; (a.len() + 1) * w];
    let at = |d: &[usize], i: usize, j: usize| d.get(i * w + j).copied().unwrap_or(usize::MAX / 2);
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            let v = match (i.checked_sub(1), j.checked_sub(1)) {
                (None, _) => j,
                (_, None) => i,
                (Some(pi), Some(pj)) => {
                    let (ca, cb) = (a.get(pi), b.get(pj));
                    let cost = usize::from(ca != cb);
                    let mut v = (at(&d, pi, j) + 1)
                        .min(at(&d, i, pj) + 1)
                        .min(at(&d, pi, pj) + cost);
                    if let (Some(ppi), Some(ppj)) = (pi.checked_sub(1), pj.checked_sub(1)) {
                        if ca == b.get(ppj) && a.get(ppi) == cb {
                            v = v.min(at(&d, ppi, ppj) + 1);
                        }
                    }
                    v
                }
            };
            if let Some(slot) = d.get_mut(i * w + j) {
                *slot = v;
            }
        }
    }
    at(&d, a.len(), b.len())
}
