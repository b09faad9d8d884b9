//! What the seed examples share: reading the policy (a path given as the first
//! argument, or the embedded document) and explaining a query.

use std::error::Error;

use accessmask::testing::Query;
use accessmask::{Policy, PolicyDef};

/// The document at the path given as the first argument, or `embedded`, compiled.
pub fn load(embedded: &str) -> Result<(PolicyDef, Policy), Box<dyn Error>> {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => embedded.to_string(),
    };
    let def: PolicyDef = serde_json::from_str(&text)?;
    let policy = Policy::compile(&def)?;
    Ok((def, policy))
}

/// Prints the explanation of `query` (`SUBJECT ACTION KIND[:ID] [in KIND:ID].. [state=..]
/// [owner=..]`), or a note if the policy given on the command line lacks one of
/// its names.
pub fn show(policy: &Policy, query: &str) -> Result<(), Box<dyn Error>> {
    let q = Query::parse(query, "question")?;
    match q.resolve(policy, "question") {
        Ok((s, a, r)) => println!("{}", policy.explain(s, a, &r)),
        Err(e) => println!("(skipped `{query}`: {e})\n"),
    }
    Ok(())
}
