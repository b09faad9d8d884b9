//! A decision log: every check's explanation as one JSON line (JSON Lines), the
//! form an audit trail or a log pipeline takes.
//!
//! ```text
//! cargo run --example decision_log --features json
//! ```
//!
//! Each line is an [`accessmask::Explanation`] as serde writes it:
//! `{"allowed": false, "question": "desi send communication:12", "steps": [{"rule":
//! "Role", "step": 3, "text": "...", "decisive": true, "relevant": true}, ...]}`.
//! It reads back with `serde_json::from_str::<Explanation>`; this example checks
//! that it does.

use std::error::Error;
use std::io::Write as _;

use accessmask::{Explanation, Policy};

/// The checks a service made, as queries (subject, action, resource).
const CHECKS: &[&str] = &[
    "eddie send communication:12",
    "desi send communication:12",
    "mark view user",
    "nora edit database:42",
    "otto edit journey:5",
    "aldo delete audience:103",
];

fn main() -> Result<(), Box<dyn Error>> {
    let policy = Policy::from_json_str(include_str!("policies/magnews.json"))?;
    let mut out = std::io::stdout().lock();
    for check in CHECKS {
        // On a hot path a service checks with ids (`can`) and explains only what
        // it logs; here every check is logged.
        let why = policy.explain_query(check)?;
        let line = serde_json::to_string(&why)?;
        // The line is the explanation: it reads back to the same value.
        debug_assert_eq!(serde_json::from_str::<Explanation>(&line)?, why);
        writeln!(out, "{line}")?;
    }
    Ok(())
}
