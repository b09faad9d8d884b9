//! Golden explanations: `tests/data/explanations.txt` holds, per seed, the text
//! of chosen explanations, showing each wording: a role and what its `remove`
//! took, a derived role, an explicit level, a toggle, each scope (own, managed,
//! no owner), a role's and a subject's exception on an instance, a restriction,
//! a prerequisite, a state rule that holds an action back and one the subject is
//! exempt from; only the steps that bore on the decision, and under a
//! `(verbose)` heading every step (`{:#}`).
//!
//! Each block is the explanation as `Display` prints it; its first line, after
//! `ALLOW` or `DENY`, is the query asked. To rewrite the file after a wanted
//! change of wording, run with `ACCESSMASK_BLESS=1` and review the diff.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use accessmask::Policy;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/explanations.txt");

/// A `# seed` or `# seed (verbose)` section: its blocks, each a list of lines.
struct Section {
    seed: String,
    verbose: bool,
    blocks: Vec<Vec<String>>,
}

fn sections(text: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let flush = |out: &mut Vec<Section>, block: &mut Vec<String>| {
        if !block.is_empty() {
            out.last_mut()
                .expect("a block before any `# seed` heading")
                .blocks
                .push(std::mem::take(block));
        }
    };
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("# ") {
            flush(&mut out, &mut block);
            let (seed, verbose) = match h.strip_suffix(" (verbose)") {
                Some(s) => (s, true),
                None => (h, false),
            };
            out.push(Section {
                seed: seed.to_string(),
                verbose,
                blocks: Vec::new(),
            });
        } else if line.is_empty() {
            flush(&mut out, &mut block);
        } else {
            block.push(line.to_string());
        }
    }
    flush(&mut out, &mut block);
    out
}

fn render(policy: &Policy, query: &str, verbose: bool) -> String {
    let why = policy
        .explain_query(query)
        .unwrap_or_else(|e| panic!("{e}"));
    if verbose {
        format!("{why:#}")
    } else {
        why.to_string()
    }
}

#[test]
fn seed_explanations_read_as_the_golden_file_says() {
    let text = std::fs::read_to_string(FILE).unwrap();
    let bless = std::env::var_os("ACCESSMASK_BLESS").is_some();
    let mut blessed = String::new();
    let mut failures = Vec::new();
    let mut n = 0;
    for section in sections(&text) {
        let (_, policy) = common::load(&section.seed).unwrap();
        let verbose = if section.verbose { " (verbose)" } else { "" };
        blessed.push_str(&format!("# {}{verbose}\n\n", section.seed));
        for block in &section.blocks {
            let first = &block[0];
            let query = first
                .strip_prefix("ALLOW ")
                .or_else(|| first.strip_prefix("DENY "))
                .unwrap_or_else(|| panic!("`{first}`: a block starts with ALLOW or DENY"));
            let got = render(&policy, query, section.verbose);
            let want = format!("{}\n", block.join("\n"));
            if got != want {
                failures.push(format!(
                    "{} {query}:\n--- expected\n{want}--- got\n{got}",
                    section.seed
                ));
            }
            blessed.push_str(&got);
            blessed.push('\n');
            n += 1;
        }
    }
    if bless {
        std::fs::write(FILE, blessed.trim_end().to_string() + "\n").unwrap();
        return;
    }
    assert!(n >= 20, "expected at least 20 explanations in {FILE}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_golden_file_shows_each_wording() {
    let text = std::fs::read_to_string(FILE).unwrap();
    for wording in [
        "'s exception on database 42 denies {edit}",
        "subject `otto`'s exception on journey 5",
        "'s restriction on audience holds {edit, delete} only on ids 101, 102",
        ": its `remove` takes {",
        "(derived from `Editor`)",
        "state rule `billed` holds {edit, approve} back: removes {edit}",
        "but not from this subject (its role `Admin` is exempt)",
        "prerequisite: `use_sync_on_send` needs {view, run} on `scheduled_upload`",
        "toggle `HR Manager` adds",
        "managed-scoped grants count",
        "own-scoped grants count",
        "no owner given: scoped grants do not count",
        "level `Read Only Access` on `tracking` replaces the role's set",
    ] {
        assert!(text.contains(wording), "{FILE} lacks {wording:?}");
    }
    // No item is named by its position.
    for by_index in ["exception 0", "state rule 0", "restriction 0"] {
        assert!(!text.contains(by_index), "{FILE} has {by_index:?}");
    }
}
