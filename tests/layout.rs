//! The source layout keeps its shape: no file in `src/` grows past 600 lines
//! and no function past [`MAX_FN_LINES`], and the top-level modules of `src/` import each other without
//! cycles, so the folders read as layers (document -> compile -> tables ->
//! check; change -> new snapshot).
//!
//! The import graph is read from the text: `crate::X` paths (in `use` lines,
//! `use crate::{X::.., Y}` groups, and paths in code) from a file under module
//! `A` to a top-level module `X` make an edge `A -> X`. Comments and
//! `#[cfg(test)]` modules (inline, or files declared `#[cfg(test)] mod NAME;`)
//! are left out: tests may reach anywhere. A path through a `lib.rs` re-export
//! (`crate::Policy`) names no module and makes no edge. `src/bin/` is its own
//! crate and only counts for the size cap.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most lines a file in `src/` may have.
const MAX_LINES: usize = 600;

/// The most lines a function in `src/` may have, from `fn` to its closing brace
/// (the aim is about 80).
const MAX_FN_LINES: usize = 85;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `path` relative to `src/`, with `/` separators.
fn relative(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn no_source_file_is_over_the_cap() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut over: Vec<(usize, String)> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            (text.lines().count(), relative(f))
        })
        .filter(|(n, _)| *n > MAX_LINES)
        .collect();
    over.sort_by(|a, b| b.cmp(a));
    let listed: Vec<String> = over
        .iter()
        .map(|(n, f)| format!("  src/{f}: {n} lines"))
        .collect();
    assert!(
        over.is_empty(),
        "{} file(s) over {MAX_LINES} lines (split them by concept):\n{}",
        over.len(),
        listed.join("\n")
    );
}

/// Each function of `code` (comments already stripped) longer than
/// [`MAX_FN_LINES`]: its first line and length. Braces inside string and char
/// literals do not count.
fn long_functions(code: &str) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let is_fn = t.starts_with("fn ")
            || t.starts_with("pub fn ")
            || t.starts_with("pub(crate) fn ")
            || t.starts_with("pub(super) fn ")
            || t.starts_with("const fn ")
            || t.starts_with("pub const fn ")
            || t.starts_with("pub(crate) const fn ");
        if !is_fn {
            continue;
        }
        let mut depth = 0i64;
        let mut opened = false;
        'scan: for (n, l) in lines.iter().enumerate().skip(start) {
            if !opened && l.trim_end().ends_with(';') {
                break;
            }
            for c in code_chars(l) {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
                if opened && depth == 0 {
                    let len = n - start + 1;
                    if len > MAX_FN_LINES {
                        out.push((start + 1, len));
                    }
                    break 'scan;
                }
            }
        }
    }
    out
}

/// The characters of one line outside string and char literals.
fn code_chars(line: &str) -> Vec<char> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (true, '\\') => {
                chars.next();
            }
            (true, '"') => in_string = false,
            (true, _) => {}
            (false, '"') => in_string = true,
            (false, '\'') => {
                // A char literal ('{', '\\'') or a lifetime ('a): skip a literal.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') {
                    chars.next();
                    chars.next();
                    chars.next();
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.next();
                    chars.next();
                }
            }
            (false, c) => out.push(c),
        }
    }
    out
}

#[test]
fn no_function_is_over_the_cap() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut long = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        for (line, len) in long_functions(&strip_comments(&text)) {
            long.push(format!("  {}:{line}: {len} lines", relative(path)));
        }
    }
    assert!(
        long.is_empty(),
        "{} function(s) over {MAX_FN_LINES} lines (split them into named steps):\n{}",
        long.len(),
        long.join("\n")
    );
    // The reader finds a long function, and skips braces in literals.
    let body = "    let x = '{';\n".repeat(MAX_FN_LINES);
    let sample = format!("fn f() {{\n{body}}}\nfn g() {{ \"}}\" }}\n");
    assert_eq!(long_functions(&sample), [(1, MAX_FN_LINES + 2)]);
}

/// The text without comments (line, doc and block comments), string and char
/// literals kept (so a `//` or `"` inside one is not taken for more). Good
/// enough for this crate's sources; line breaks are kept, so lines still count.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('/', Some('/')) => {
                // To the end of the line, keeping the line break.
                if chars.by_ref().any(|n| n == '\n') {
                    out.push('\n');
                }
            }
            ('/', Some('*')) => {
                chars.next();
                skip_block_comment(&mut chars, &mut out);
            }
            ('\'', _) => {
                out.push(c);
                copy_char_literal(&mut chars, &mut out);
            }
            ('"', _) => {
                out.push(c);
                copy_string(&mut chars, &mut out, "\"");
            }
            ('r', Some('#' | '"')) if !out.ends_with(|p: char| p.is_alphanumeric() || p == '_') => {
                // A raw string: `r"..."` or `r#"..."#`, copied whole.
                out.push(c);
                let mut hashes = 0;
                while chars.peek() == Some(&'#') {
                    chars.next();
                    out.push('#');
                    hashes += 1;
                }
                if chars.next_if_eq(&'"').is_some() {
                    out.push('"');
                    copy_raw(&mut chars, &mut out, &format!("\"{}", "#".repeat(hashes)));
                }
            }
            _ => out.push(c),
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Skips a block comment (nested ones too) after its `/*`, keeping line breaks.
fn skip_block_comment(chars: &mut Chars<'_>, out: &mut String) {
    let mut depth = 1;
    let mut prev = ' ';
    for n in chars.by_ref() {
        if n == '\n' {
            out.push('\n');
        }
        match (prev, n) {
            ('/', '*') => depth += 1,
            ('*', '/') => depth -= 1,
            _ => {
                prev = n;
                continue;
            }
        }
        if depth == 0 {
            return;
        }
        prev = ' ';
    }
}

/// After a `'`: copies a char literal (`'"'`, `'\''`, `'\u{..}'`) whole, so
/// that it does not open a string; a lifetime (`'a`) is left to be copied as
/// it is.
fn copy_char_literal(chars: &mut Chars<'_>, out: &mut String) {
    let rest: String = chars.clone().take(12).collect();
    let len = if rest.starts_with('\\') {
        rest.get(2..).and_then(|r| r.find('\'')).map(|i| i + 2)
    } else {
        (rest.chars().nth(1) == Some('\'')).then_some(1)
    };
    for _ in 0..len.map_or(0, |l| l + 1) {
        if let Some(n) = chars.next() {
            out.push(n);
        }
    }
}

/// Copies a string's body after its opening quote, escapes included, up to and
/// including `close`.
fn copy_string(chars: &mut Chars<'_>, out: &mut String, close: &str) {
    while let Some(n) = chars.next() {
        out.push(n);
        if n == '\\' {
            if let Some(escaped) = chars.next() {
                out.push(escaped);
            }
        } else if close.starts_with(n) {
            return;
        }
    }
}

/// Copies a raw string's body after its opening quote, up to and including
/// `close` (`"` and the opening's hashes).
fn copy_raw(chars: &mut Chars<'_>, out: &mut String, close: &str) {
    let start = out.len();
    for n in chars.by_ref() {
        out.push(n);
        if out.get(start..).is_some_and(|body| body.ends_with(close)) {
            return;
        }
    }
}

/// The text with `#[cfg(test)]` inline modules blanked (lines kept), and the
/// names of `#[cfg(test)] mod NAME;` file modules it declares.
fn strip_test_modules(text: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut test_files = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        if line.trim() != "#[cfg(test)]" {
            continue;
        }
        // The item the attribute is on (other attributes may come between).
        let mut item = String::new();
        for next in lines.by_ref() {
            out.push('\n');
            item = next.trim().to_string();
            if !item.starts_with("#[") {
                break;
            }
        }
        let Some(decl) = item
            .strip_prefix("pub(crate) mod ")
            .or_else(|| item.strip_prefix("mod "))
        else {
            // Not a module: an item kept out of normal builds; blank it too if
            // it opens a block.
            skip_block(&item, &mut lines, &mut out);
            continue;
        };
        if let Some(name) = decl.strip_suffix(';') {
            test_files.push(name.trim().to_string());
        } else {
            skip_block(&item, &mut lines, &mut out);
        }
    }
    (out, test_files)
}

/// Skips the lines of the block `first` opens (if it opens one), writing one
/// empty line for each, so line numbers stay.
fn skip_block<'a>(first: &str, lines: &mut impl Iterator<Item = &'a str>, out: &mut String) {
    let mut depth = first.matches('{').count() as i64 - first.matches('}').count() as i64;
    while depth > 0 {
        let Some(line) = lines.next() else { break };
        depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
        out.push('\n');
    }
}

/// The top-level modules of `src/` (files and folders, `lib.rs` and `bin/` aside).
fn top_level_modules() -> BTreeSet<String> {
    std::fs::read_dir(src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            if p.is_dir() {
                (name != "bin" && p.join("mod.rs").exists()).then_some(name)
            } else {
                let stem = name.strip_suffix(".rs")?;
                (stem != "lib" && stem != "main").then(|| stem.to_string())
            }
        })
        .collect()
}

/// The first identifier of each top-level element of the group that starts
/// right after `{` in `text`.
fn group_heads(text: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 1;
    let mut expecting = true;
    let mut ident = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            if expecting {
                ident.push(c);
            }
            continue;
        }
        if !ident.is_empty() {
            heads.push(std::mem::take(&mut ident));
            expecting = false;
        }
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expecting = true,
            _ => {}
        }
    }
    heads
}

/// The names that follow each `crate::` in `code` (not `$crate::`), with their
/// line numbers from 1.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code.get(..at).and_then(|b| b.chars().last());
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let line = code.get(..at).map_or(0, |b| b.matches('\n').count()) + 1;
        let rest = code.get(at + "crate::".len()..).unwrap_or("");
        if let Some(group) = rest.strip_prefix('{') {
            out.extend(group_heads(group).into_iter().map(|h| (line, h)));
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push((line, name));
        }
    }
    out
}

/// `from -> to` edges between top-level modules, each with the first place
/// (`file:line`) that makes it.
fn import_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let modules = top_level_modules();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut test_only: BTreeSet<PathBuf> = BTreeSet::new();
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in &files {
        let rel = relative(file);
        let top = rel.split('/').next().unwrap_or("");
        let top = top.strip_suffix(".rs").unwrap_or(top).to_string();
        if !modules.contains(&top) || test_only.iter().any(|t| file.starts_with(t)) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let (code, tests) = strip_test_modules(&strip_comments(&text));
        // A test module declared here lives next to this file (`x.rs` ->
        // `x/NAME.rs`; `x/mod.rs` -> `x/NAME.rs`), in `NAME.rs` or `NAME/`.
        let dir = if file.ends_with("mod.rs") {
            file.parent().unwrap().to_path_buf()
        } else {
            file.with_extension("")
        };
        for name in tests {
            test_only.insert(dir.join(format!("{name}.rs")));
            test_only.insert(dir.join(&name));
        }
        for (line, target) in crate_paths(&code) {
            if target != top && modules.contains(&target) {
                graph
                    .entry(top.clone())
                    .or_default()
                    .entry(target)
                    .or_insert_with(|| format!("src/{rel}:{line}"));
            }
        }
    }
    graph
}

/// A cycle through `start` in `graph`, as the modules on it (the first
/// repeated at the end), if there is one.
fn cycle_through(
    graph: &BTreeMap<String, BTreeMap<String, String>>,
    start: &str,
) -> Option<Vec<String>> {
    // Breadth-first from `start`, so the cycle found is a shortest one.
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.to_string()]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(&node).into_iter().flat_map(|e| e.keys()) {
            if next == start {
                let mut path = vec![node.clone()];
                while let Some(p) = parent.get(path.last().unwrap()) {
                    path.push(p.clone());
                }
                path.reverse();
                if path.first().map(String::as_str) != Some(start) {
                    path.insert(0, start.to_string());
                }
                path.push(start.to_string());
                return Some(path);
            }
            if next != start && !parent.contains_key(next) {
                parent.insert(next.clone(), node.clone());
                queue.push_back(next.clone());
            }
        }
    }
    None
}

#[test]
fn top_level_modules_import_each_other_without_cycles() {
    let graph = import_graph();
    let mut cycles: Vec<Vec<String>> = Vec::new();
    let mut seen: BTreeSet<BTreeSet<String>> = BTreeSet::new();
    for start in graph.keys() {
        if let Some(cycle) = cycle_through(&graph, start) {
            let members: BTreeSet<String> = cycle.iter().cloned().collect();
            if seen.insert(members) {
                cycles.push(cycle);
            }
        }
    }
    let mut report = String::new();
    for cycle in &cycles {
        report.push_str(&format!("  {}\n", cycle.join(" -> ")));
        for pair in cycle.windows(2) {
            if let [from, to] = pair {
                let at = graph
                    .get(from)
                    .and_then(|e| e.get(to))
                    .map_or("?", String::as_str);
                report.push_str(&format!("    {from} -> {to}: {at}\n"));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "{} import cycle(s) between top-level modules of src/:\n{report}",
        cycles.len()
    );
}

#[test]
fn the_layout_reader_reads_what_it_should() {
    let code = "use crate::{def::{A, B}, engine::Policy, Resource};\nlet x = crate::ids::Id;\n$crate::testing::f();";
    let names: Vec<String> = crate_paths(code).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["def", "engine", "Resource", "ids"]);
    let stripped =
        strip_comments("a // crate::x\nb /* crate::y */ c '\"' '\\'' \"// kept\" r#\"\" // \"# 'a");
    assert!(!stripped.contains("crate::"), "{stripped}");
    assert!(stripped.contains("\"// kept\""), "{stripped}");
    assert!(stripped.contains("r#\"\" // \"# 'a"), "{stripped}");
    let (code, files) = strip_test_modules(
        "use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n}\n#[cfg(test)]\nmod more;\n",
    );
    assert!(
        code.contains("crate::a") && !code.contains("crate::b"),
        "{code}"
    );
    assert_eq!(files, ["more"]);
}
