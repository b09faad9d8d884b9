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
//!
//! The parts: the command line (`args`), what a run does (`commands`), the
//! document's text and its errors' places (`source`), queries and their
//! mistakes (`queries`), check files (`checks`), printing (`output`), and the
//! help text and tour (`usage`).

mod args;
mod checks;
mod commands;
mod output;
mod queries;
mod source;
mod usage;

use std::io::Write as _;
use std::process::ExitCode;

use commands::run;

/// Why the tool stops, and its exit code.
#[derive(Debug)]
pub(crate) enum Failure {
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
    pub(crate) fn usage(msg: impl Into<String>) -> Self {
        Failure::Usage(vec![msg.into()], true)
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
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
