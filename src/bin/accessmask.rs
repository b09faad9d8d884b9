//! `accessmask`: the policy author's command-line tool (feature `cli`).
//!
//! ```text
//! cargo install accessmask --features cli
//! accessmask                                           # a tour of the embedded Magnews policy
//! accessmask policy.json                               # validate, print the matrices
//! accessmask policy.toml "u7 edit database:42 state=billed" "u3 view report"
//! accessmask policy.json u7 edit database:42 -- u3 view report
//! accessmask policy.json --expect policy.expect.json --golden policy.roles.md
//! accessmask policy.json --print roles > policy.roles.md
//! accessmask --embedded "eddie send communication:12"  # ask the embedded policy
//! ```
//!
//! In this repository, `cargo run --features cli -- ARGS`.
//!
//! It reads a policy document (JSON or TOML), compiles it (reporting every
//! problem, each with its path in the document and, where it can be found, its
//! line and column), prints the roles x actions matrix and, when some kind has
//! levels, the subjects x levels matrix, then answers each query with the steps
//! of the decision order that made the answer. Queries are read and looked up by
//! the library ([`accessmask::Query`]), so they mean here what they mean in an
//! expectations file or in [`accessmask::Policy::query`]. Run it with `--help`
//! for the details.
//!
//! For a service's CI, `--expect FILE.json` checks an expectations document and
//! `--golden FILE.md` a golden matrix ([`accessmask::testing`]) against the policy.
//!
//! Exit codes: 0 when every query was answered (an answer of DENY is still an
//! answer) and every check met, 1 when the document or a check file cannot be
//! found, read, parsed or compiled, 2 when the command line or a query is wrong,
//! 3 when some expectation or golden cell is not met. Nothing a user types makes
//! it panic.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use accessmask::testing::{CellMismatch, Expectations, Report};
use accessmask::{
    ActionId, Item, LoadError, Matrix, Policy, PolicyDef, Query, QueryError, Resource, SubjectId,
};

/// The default policy: the Magnews seed, also used by `examples/magnews.rs` and
/// `tests/seed_magnews.rs`.
const DEFAULT_POLICY: &str = include_str!("../../examples/policies/magnews.json");
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
accessmask: validate an accessmask policy document, answer queries against it,
and check expectations and golden matrices (for a service's CI)

Usage:
  accessmask [OPTIONS] POLICY [QUERY...]
  accessmask POLICY --expect FILE.json --golden FILE.md ...
  accessmask POLICY --print roles|levels > FILE.md
  accessmask                      (a tour of the embedded Magnews policy)
  accessmask --embedded ...       (the same, with the embedded policy as POLICY)

  Install with `cargo install accessmask --features cli`; in the crate's
  repository, run it as `cargo run --features cli -- ARGS`.

With no arguments at all, runs a short tour of the embedded Magnews policy
(examples/policies/magnews.json). Queries, checks and --print need a POLICY,
or --embedded to use that embedded policy.

POLICY
  A JSON or TOML policy document: a file ending in `.json` or `.toml` (any
  other name: JSON if it starts with `{`, else TOML), or `-` for standard
  input. The first argument that names a file (it contains a path separator,
  ends in `.json` or `.toml`, or is an existing file) is the policy; a named
  file that does not exist is an error (exit code 1), never a query.

QUERY
  SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE] [owner=SUBJECT]
  for example:  u7 edit database:42 state=billed owner=u3
                dan merge pull_request:700 in repo:acme/web in org:1
  `in KIND:ID` gives the instance's ancestors, parent first. An ID is a number
  or, for a kind with \"ids\": \"string\", any text (`repo:acme/web`); in double
  quotes when it is empty or holds a space: `repo:\"acme web\"` (inside quotes,
  `\\\"` is a quote and `\\\\` a backslash).
  Give each query as ONE quoted argument:
    accessmask policy.json \"u7 edit database:42\" \"u3 view report\"
    accessmask policy.json 'dan push repo:\"acme web\"'
  or give its words as separate arguments and separate queries with `--`:
    accessmask policy.json u7 edit database:42 -- u3 view report
  (an argument with a space outside double quotes is always a whole query, and
  a `KIND:ID` word is never a file, even with a `/` in its id).
  Errors name a query by its place: `query 2` is the second one.

Checks (each may be repeated; they run in the order given):
  --expect FILE.json
      An expectations document: {\"expect\": [\"QUERY => allow\",
      \"QUERY => deny\", {\"query\": \"QUERY\", \"allow\": false}, ...]}.
      Prints how many were met and, for each one not met, its place
      (`expect[3]`, counted from 0), the query, both decisions and the
      explanation of the actual one.
  --golden FILE.md
      A Markdown table in the form --print (or --markdown) prints: corner
      `action` for roles x actions, `subject` for subjects x levels; any subset
      of the rows and columns. Prints each cell that differs by row and column.
  When checking, the matrices are not printed unless --matrices is given;
  queries given too are answered as usual.

Options:
  --embedded        use the embedded Magnews policy as POLICY
  --markdown        print the matrices, explanations and check reports as Markdown
  --matrices        print the matrices even when checking
  --no-matrices     do not print the matrices
  --verbose         explanations list every step of the decision order, not
                    only those that bore on the answer
  --print WHICH     print only the `roles` (roles x actions) or `levels` (subjects
                    x levels) matrix as a Markdown table, nothing else: a golden
                    file to check in (no queries or checks with it)
  -h, --help        print this help

Output:
  The roles x actions matrix (Y: on any instance; own / managed: only on
  instances the subject owns / owned by subjects it manages; -: not at all;
  unavailable kinds are left out), the subjects x levels matrix if some kind
  has levels, then for each query ALLOW or DENY and the steps of the decision
  order that bore on it (`*` marks a step that decided the action asked
  about), then the checks. A policy with no kinds, roles or subjects compiles,
  with a warning.

Exit codes:
  0  ok (every query answered, whether ALLOW or DENY; every check met)
  1  the policy document, an expectations file or a golden file cannot be
     found, read or parsed, or names something the policy lacks (the error
     gives the file and its line and column, `expect[N]`, or the table's line;
     every problem of a document that does not compile, each with its path)
  2  bad command line or query (unknown subject, action, kind, state, owner)
  3  some expectation or golden cell is not met
";

/// Why the tool stops, and its exit code.
#[derive(Debug)]
enum Failure {
    /// The document or a check file cannot be read, parsed or compiled: exit
    /// code 1. One message per problem.
    Invalid(Vec<String>),
    /// A bad command line or query: exit code 2. One message per problem, and
    /// whether pointing to `--help` would help (not for a misspelt name).
    Usage(Vec<String>, bool),
    /// Some expectation or golden cell is not met: exit code 3. The report is on
    /// standard output; this is the summary.
    Unmet(String),
}

impl Failure {
    fn usage(msg: impl Into<String>) -> Self {
        Failure::Usage(vec![msg.into()], true)
    }

    fn invalid(msg: impl Into<String>) -> Self {
        Failure::Invalid(vec![msg.into()])
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = String::new();
    let outcome = run(&args, &mut out);
    // Written in one go, and a closed pipe (`check | head`) is not an error. The
    // report comes first, so that a failure's summary is the last thing printed.
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: writing the output: {e}");
            return ExitCode::from(1);
        }
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invalid(msgs)) => {
            for msg in msgs {
                eprintln!("error: {msg}");
            }
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
        Err(Failure::Unmet(summary)) => {
            eprintln!("error: {summary}");
            ExitCode::from(3)
        }
    }
}

/// Where the document comes from.
#[derive(Debug)]
enum Source {
    Default,
    File(String),
    Stdin,
}

/// What a check file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckKind {
    /// `--expect`: an expectations document.
    Expect,
    /// `--golden`: a Markdown matrix.
    Golden,
}

/// Which matrix `--print` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Roles,
    Levels,
}

#[derive(Debug, Default)]
struct Options {
    help: bool,
    markdown: bool,
    verbose: bool,
    /// `--matrices` (true) or `--no-matrices` (false); by default the matrices
    /// are printed unless checking.
    matrices: Option<bool>,
    print: Option<Which>,
    policy: Option<Source>,
    /// Each query as its words.
    queries: Vec<Vec<String>>,
    /// The check files, in the order given.
    checks: Vec<(CheckKind, String)>,
}

/// Whether `arg` names a file: it contains a path separator or ends in `.json`
/// or `.toml`. Such an argument is never a query word.
fn names_a_file(arg: &str) -> bool {
    arg.contains('/')
        || arg.contains(std::path::MAIN_SEPARATOR)
        || Path::new(arg)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("toml"))
}

/// Whether `arg` is a whole query: it has whitespace outside a quoted id (one
/// that opens with `:"`, as the library reads it), so `repo:"acme web"` alone is
/// one word of a query.
fn is_whole_query(arg: &str) -> bool {
    let mut quoted = false;
    let mut prev = None;
    let mut chars = arg.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => quoted = false,
            '"' if prev == Some(':') => quoted = true,
            '\\' if quoted => {
                chars.next();
            }
            c if c.is_whitespace() && !quoted => return true,
            _ => {}
        }
        prev = Some(c);
    }
    false
}

/// Whether `arg` is a query's `KIND:ID` word (`repo:acme/web`): a `:` after at
/// least two characters and before any path separator. Such a word is never a
/// file (a Windows drive, `C:`, has one character before its `:`).
fn is_resource_word(arg: &str) -> bool {
    arg.split_once(':').is_some_and(|(kind, _)| {
        kind.chars().count() >= 2 && !kind.contains(['/', std::path::MAIN_SEPARATOR])
    })
}

fn is_policy_arg(arg: &str) -> bool {
    arg == "-" || names_a_file(arg) || Path::new(arg).is_file()
}

/// The value of option `name`: after `=` in the same argument, or the next
/// argument (which may not look like an option).
fn option_value<'a>(
    name: &str,
    inline: Option<&'a str>,
    rest: &mut impl Iterator<Item = &'a String>,
    what: &str,
) -> Result<&'a str, Failure> {
    match inline.or_else(|| rest.next().map(String::as_str)) {
        Some(v) if !v.is_empty() && (inline.is_some() || !v.starts_with('-')) => Ok(v),
        _ => Err(Failure::usage(format!("`{name}` needs {what}"))),
    }
}

fn parse_args(args: &[String]) -> Result<Options, Failure> {
    let mut o = Options::default();
    let mut words: Vec<String> = Vec::new();
    let mut seen_positional = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (arg.as_str(), None),
        };
        match name {
            "--expect" | "--golden" => {
                let (kind, what) = if name == "--expect" {
                    (CheckKind::Expect, "an expectations file (FILE.json)")
                } else {
                    (CheckKind::Golden, "a golden matrix file (FILE.md)")
                };
                let file = option_value(name, inline, &mut rest, what)?;
                o.checks.push((kind, file.to_string()));
                continue;
            }
            "--print" => {
                let which = option_value(name, inline, &mut rest, "`roles` or `levels`")?;
                o.print = Some(match which {
                    "roles" => Which::Roles,
                    "levels" => Which::Levels,
                    other => {
                        return Err(Failure::usage(format!(
                            "`--print {other}`: expected `roles` or `levels`"
                        )))
                    }
                });
                continue;
            }
            _ => {}
        }
        if is_whole_query(arg) {
            // A whole query in one argument, kept as written (a quoted id keeps
            // its spaces).
            if !words.is_empty() {
                o.queries.push(std::mem::take(&mut words));
            }
            o.queries.push(vec![arg.to_string()]);
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
            "--verbose" => o.verbose = true,
            "--embedded" => {
                if o.policy.is_some() {
                    return Err(Failure::usage(
                        "`--embedded` and a POLICY contradict each other",
                    ));
                }
                o.policy = Some(Source::Default);
            }
            "--matrices" | "--no-matrices" => {
                let want = arg == "--matrices";
                if o.matrices == Some(!want) {
                    return Err(Failure::usage(
                        "`--matrices` and `--no-matrices` contradict each other",
                    ));
                }
                o.matrices = Some(want);
            }
            a if a.starts_with('-') && a != "-" => {
                return Err(Failure::usage(format!("unknown option `{a}`")));
            }
            a if o.policy.is_none() && !seen_positional && is_policy_arg(a) => {
                seen_positional = true;
                o.policy = Some(if a == "-" {
                    Source::Stdin
                } else {
                    Source::File(a.to_string())
                });
            }
            a if names_a_file(a) && !is_resource_word(a) => {
                // A second file, or a file after a query: never a query word.
                if !Path::new(a).exists() {
                    return Err(Failure::invalid(format!("{a}: no such file")));
                }
                return Err(Failure::usage(format!(
                    "`{a}`: only one POLICY, before the queries"
                )));
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
    if o.print.is_some() && (!o.queries.is_empty() || !o.checks.is_empty() || o.matrices.is_some())
    {
        return Err(Failure::usage(
            "`--print` prints one matrix and nothing else: give it no queries, \
             checks, `--matrices` or `--no-matrices`",
        ));
    }
    let asking = !o.queries.is_empty() || !o.checks.is_empty() || o.print.is_some();
    if asking && o.policy.is_none() && !o.help {
        return Err(Failure::usage(
            "no policy: give POLICY (a .json or .toml file, or `-`) before the queries \
             and checks, or `--embedded` for the embedded Magnews policy",
        ));
    }
    Ok(o)
}

fn run(args: &[String], out: &mut String) -> Result<(), Failure> {
    let opts = parse_args(args)?;
    if opts.help {
        out.push_str(USAGE);
        return Ok(());
    }
    let checking = !opts.checks.is_empty();
    let tour = matches!(opts.policy, None | Some(Source::Default))
        && opts.queries.is_empty()
        && !checking
        && opts.print.is_none();
    let source = opts.policy.as_ref().unwrap_or(&Source::Default);
    let (name, text) = read_source(source)?;
    let (def, policy) = load(&name, &text)?;
    if def.kinds.is_empty() && def.roles.is_empty() && def.subjects.is_empty() {
        eprintln!(
            "warning: {name}: the policy is empty (no kinds, roles or subjects): it allows nothing"
        );
    }

    if let Some(which) = opts.print {
        let m = match which {
            Which::Roles => policy.role_matrix(),
            Which::Levels => policy.level_matrix(),
        };
        out.push_str(&m.to_markdown());
        return Ok(());
    }

    let queries: Vec<(&str, String)> = if tour {
        TOUR.iter()
            .map(|(caption, q)| (*caption, q.to_string()))
            .collect()
    } else {
        opts.queries.iter().map(|q| ("", q.join(" "))).collect()
    };
    // Check every query before printing anything, so that mistakes are not buried
    // under the matrices.
    let mut resolved = Vec::new();
    let mut problems = Vec::new();
    let mut syntax = false;
    for (i, (caption, text)) in queries.iter().enumerate() {
        match ask(&policy, text, &format!("query {}", i + 1)) {
            Ok(q) => resolved.push((*caption, q)),
            Err(problem) => {
                syntax |= problem.syntax;
                problems.push(problem.message);
            }
        }
    }
    if !problems.is_empty() {
        return Err(Failure::Usage(problems, syntax));
    }
    // Likewise every check file, and run the checks.
    let mut outcomes = Vec::new();
    let mut problems = Vec::new();
    for (kind, file) in &opts.checks {
        match run_check(&policy, *kind, file) {
            Ok(outcome) => outcomes.push((file.as_str(), outcome)),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if !problems.is_empty() {
        return Err(Failure::Invalid(problems));
    }

    if tour {
        writeln!(
            out,
            "accessmask: a tour of the Magnews policy ({name}, embedded)\n\
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
    if opts.matrices.unwrap_or(!checking) {
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
        let why = if opts.verbose {
            format!("{why:#}")
        } else {
            why.to_string()
        };
        if opts.markdown {
            writeln!(out, "```text\n{why}```\n").ok();
        } else {
            writeln!(out, "{why}").ok();
        }
    }
    if tour {
        writeln!(
            out,
            "Ask your own: accessmask POLICY.json \
             \"SUBJECT ACTION KIND[:ID] [in KIND:ID]... [state=STATE] [owner=SUBJECT]\"\n\
             (in the crate's repository: cargo run --features cli -- POLICY.json ...)"
        )
        .ok();
    }
    if checking {
        heading(out, opts.markdown, "Checks");
        print_checks(&outcomes, opts.markdown, out)?;
    }
    Ok(())
}

/// A query that cannot be asked: the library's message (with the known names
/// when it has no near miss to suggest), and whether the query could not even be
/// read (then `--help` helps).
struct BadQuery {
    message: String,
    syntax: bool,
}

/// Reads `text` and looks its names up in `policy`, with the library; `path` names
/// the query in errors.
fn ask(
    policy: &Policy,
    text: &str,
    path: &str,
) -> Result<(SubjectId, ActionId, Resource), BadQuery> {
    let q = Query::parse(text, path).map_err(|e| BadQuery {
        message: e.to_string(),
        syntax: true,
    })?;
    q.resolve(policy, path).map_err(|e| BadQuery {
        message: format!("{e}{}", known_names(policy, &q, &e)),
        syntax: false,
    })
}

/// For an unknown name with no near miss, what the policy has instead: ` (known:
/// `a`, `b`)`, or for an action or state, what the query's kind has (and, for an
/// action, the kinds it belongs to). Empty when the library suggested a name.
fn known_names(policy: &Policy, q: &Query, e: &QueryError) -> String {
    let QueryError::Unknown {
        what,
        name,
        suggestion: None,
        ..
    } = e
    else {
        return String::new();
    };
    match *what {
        Item::Subject => known(
            &policy
                .subjects()
                .map(|s| policy.subject_name(s))
                .collect::<Vec<_>>(),
        ),
        Item::Kind => known(
            &policy
                .kinds()
                .map(|k| policy.kind_name(k))
                .collect::<Vec<_>>(),
        ),
        Item::Action => {
            let Some(kind) = policy.kind(&q.kind) else {
                return String::new();
            };
            let actions: Vec<&str> = policy
                .actions(kind)
                .map(|a| policy.action_name(a))
                .collect();
            // A right action on the wrong kind is a common slip: say where it is.
            let elsewhere: Vec<&str> = policy
                .kinds()
                .filter(|&k| policy.action(policy.kind_name(k), name).is_some())
                .map(|k| policy.kind_name(k))
                .collect();
            let mut s = String::from(" (");
            if !elsewhere.is_empty() {
                write!(s, "it is an action of {}; ", list(&elsewhere, 3)).ok();
            }
            if actions.is_empty() {
                write!(s, "`{}` has no actions)", q.kind).ok();
            } else {
                write!(s, "`{}` has {})", q.kind, list(&actions, 64)).ok();
            }
            s
        }
        Item::State => {
            let Some(kind) = policy.kind(&q.kind) else {
                return String::new();
            };
            let states: Vec<&str> = policy.states(kind).map(|s| policy.state_name(s)).collect();
            if states.is_empty() {
                format!(" (`{}` has no states)", q.kind)
            } else {
                format!(" (`{}` has {})", q.kind, list(&states, 64))
            }
        }
        _ => String::new(),
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
        write!(s, " and {} more", names.len() - shown).ok();
    }
    s
}

/// What a check file found.
#[derive(Debug)]
enum Outcome {
    /// An expectations file's report.
    Expect(Report),
    /// A golden matrix: how many cells it has, and those that differ.
    Golden(usize, Vec<CellMismatch>),
}

/// Reads, parses and runs one check file. Errors (one per problem) name the file
/// and where in it the problem stands.
fn run_check(policy: &Policy, kind: CheckKind, file: &str) -> Result<Outcome, Vec<String>> {
    let text = std::fs::read_to_string(file).map_err(|e| vec![format!("{file}: {e}")])?;
    match kind {
        CheckKind::Expect => {
            let doc: Expectations =
                serde_json::from_str(&text).map_err(|e| vec![json_error(file, &e)])?;
            // Every query the policy cannot answer, not only the first (the
            // library's paths: `expect[N]`).
            let problems: Vec<String> = doc
                .expect
                .iter()
                .enumerate()
                .filter_map(|(i, e)| ask(policy, &e.query, &format!("expect[{i}]")).err())
                .map(|p| format!("{file}: {}", p.message))
                .collect();
            if !problems.is_empty() {
                return Err(problems);
            }
            let report = policy
                .verify(&doc)
                .map_err(|e| vec![format!("{file}: {e}")])?;
            Ok(Outcome::Expect(report))
        }
        CheckKind::Golden => {
            let golden = Matrix::from_markdown(&text).map_err(|e| vec![format!("{file}: {e}")])?;
            let diffs = policy
                .verify_matrix(&golden)
                .map_err(|e| vec![format!("{file}: {e}")])?;
            let cells = golden.rows().count() * golden.columns().len();
            Ok(Outcome::Golden(cells, diffs))
        }
    }
}

/// Each check's report, then a summary line; an error if some check is not met.
fn print_checks(
    outcomes: &[(&str, Outcome)],
    markdown: bool,
    out: &mut String,
) -> Result<(), Failure> {
    // (checked, not met) for expectations and for golden cells; None: no such file.
    let mut expectations: Option<(usize, usize)> = None;
    let mut cells: Option<(usize, usize)> = None;
    for (file, outcome) in outcomes {
        let mut block = String::new();
        match outcome {
            Outcome::Expect(report) => {
                write!(block, "{file}: {report}").ok();
                let t = expectations.get_or_insert((0, 0));
                t.0 += report.checked();
                t.1 += report.mismatches().len();
            }
            Outcome::Golden(n, diffs) => {
                writeln!(
                    block,
                    "{file}: {} checked, {} met, {} not met",
                    count(*n, "cell"),
                    n - diffs.len(),
                    diffs.len()
                )
                .ok();
                for d in diffs {
                    writeln!(block, "{d}").ok();
                }
                let t = cells.get_or_insert((0, 0));
                t.0 += n;
                t.1 += diffs.len();
            }
        }
        if markdown {
            writeln!(out, "```text\n{block}```\n").ok();
        } else {
            writeln!(out, "{block}").ok();
        }
    }
    let totals = [(expectations, "expectation"), (cells, "golden cell")];
    let met: Vec<String> = totals
        .iter()
        .filter_map(|&(t, what)| {
            t.map(|(checked, unmet)| format!("{} of {} met", checked - unmet, count(checked, what)))
        })
        .collect();
    writeln!(out, "{}", met.join(", ")).ok();
    let unmet: Vec<String> = totals
        .iter()
        .filter_map(|&(t, what)| {
            t.filter(|&(_, unmet)| unmet > 0)
                .map(|(_, n)| count(n, what))
        })
        .collect();
    if unmet.is_empty() {
        Ok(())
    } else {
        Err(Failure::Unmet(format!("not met: {}", unmet.join(", "))))
    }
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
    let show = |out: &mut String, m: Matrix| {
        if markdown {
            writeln!(out, "{}", m.to_markdown()).ok();
            for note in m.legend() {
                writeln!(out, "{note}\n").ok();
            }
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
            .map_err(|e| Failure::invalid(format!("{path}: {e}"))),
        Source::Stdin => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Failure::invalid(format!("<stdin>: {e}")))?;
            Ok(("<stdin>".to_string(), text))
        }
    }
}

/// `file:line:column: message`, as compilers print it, without serde's own "at
/// line L column C" suffix.
fn json_error(name: &str, e: &serde_json::Error) -> String {
    if e.line() == 0 {
        return format!("{name}: {e}");
    }
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = full.strip_suffix(&suffix).unwrap_or(&full);
    format!("{name}:{}:{}: {msg}", e.line(), e.column())
}

/// Parses and compiles the document with the library
/// ([`Policy::from_json_str`], [`Policy::from_toml_str`]): JSON for a `.json`
/// file, TOML for a `.toml` file, otherwise JSON if the text starts with `{`.
/// Errors as compilers print them, `file:line:column: message`: for a syntax
/// error where the parser found it, and for each problem of a document that does
/// not compile where its path leads in the text (when it can be found).
fn load(name: &str, text: &str) -> Result<(PolicyDef, Policy), Failure> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let toml = match ext.as_deref() {
        Some("toml") => true,
        Some("json") => false,
        _ => !text.trim_start().starts_with('{'),
    };
    let loaded = if toml {
        Policy::from_toml_str(text)
    } else {
        Policy::from_json_str(text)
    };
    let policy = loaded.map_err(|e| match &e {
        LoadError::Syntax { message, .. } => match (e.line(), e.column()) {
            (Some(l), Some(c)) => Failure::invalid(format!("{name}:{l}:{c}: {message}")),
            _ => Failure::invalid(format!("{name}: {message}")),
        },
        _ => Failure::Invalid(
            e.errors()
                .map(|pe| match locate(text, pe.path(), toml) {
                    Some((l, c)) => format!("{name}:{l}:{c}: {pe}"),
                    None => format!("{name}: {pe}"),
                })
                .collect(),
        ),
    })?;
    // Read again for what it declares; it was read once already, so this holds.
    let def = if toml {
        toml::from_str::<PolicyDef>(text).map_err(|e| Failure::invalid(format!("{name}: {e}")))?
    } else {
        serde_json::from_str::<PolicyDef>(text)
            .map_err(|e| Failure::invalid(format!("{name}: {e}")))?
    };
    Ok((def, policy))
}

/// Where `path` (`roles.Designer.grants.jouney`, `subjects.ann.exceptions[2]`)
/// leads in the document's text: each name of the path looked for as a key after
/// the previous one. `None` unless at least the section and the item are found.
/// A heuristic for pointing an editor at the item, not a parser: a name that is
/// also a value earlier in the text can mislead it.
fn locate(text: &str, path: &str, toml: bool) -> Option<(usize, usize)> {
    let mut at = 0;
    let mut found = 0;
    let mut last = None;
    for segment in path.split('.') {
        let name = segment.split('[').next().unwrap_or(segment);
        if name.is_empty() {
            continue;
        }
        let hit = if toml {
            find_word(text, at, name)
        } else {
            text.get(at..)
                .and_then(|t| t.find(&format!("\"{name}\"")))
                .map(|i| at + i)
        };
        let Some(i) = hit else { break };
        found += 1;
        last = Some(i);
        at = i + name.len();
    }
    let i = last.filter(|_| found >= 2 || !path.contains('.'))?;
    let before = text.get(..i)?;
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |n| n + 1);
    let column = before.get(start..)?.chars().count() + 1;
    Some((line, column))
}

/// The first `name` at or after byte `from` that is a whole word (not part of a
/// longer bare key).
fn find_word(text: &str, from: usize, name: &str) -> Option<usize> {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut at = from;
    while let Some(i) = text.get(at..).and_then(|t| t.find(name)).map(|i| at + i) {
        let end = i + name.len();
        let before_ok = text
            .get(..i)
            .and_then(|b| b.chars().last())
            .map_or(true, |c| !word(c));
        let after_ok = text
            .get(end..)
            .and_then(|a| a.chars().next())
            .map_or(true, |c| !word(c));
        if before_ok && after_ok {
            return Some(i);
        }
        at = end;
    }
    None
}
