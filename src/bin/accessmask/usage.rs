//! The help text, and the embedded policy the tour asks.

/// The default policy: the Magnews seed, also used by `examples/magnews.rs` and
/// `tests/seed_magnews.rs`.
pub(crate) const DEFAULT_POLICY: &str = include_str!("../../../examples/policies/magnews.json");
pub(crate) const DEFAULT_NAME: &str = "examples/policies/magnews.json";

/// The tour's decisions: a caption and a query on the default policy.
pub(crate) const TOUR: &[(&str, &str)] = &[
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

pub(crate) const USAGE: &str = "\
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
