//! The published package must build and pass its tests on its own: nothing the
//! crate's code, tests or examples read may sit in a part left out of it
//! (`tests/fuzz/`, which has its own manifest; `benches/compare/`; anything
//! outside the repository, such as the vendor pages under `../shared/`).
//! `cargo package` then unpacking the `.crate` and running `cargo test
//! --all-features` in it is the full check; this test catches the usual slip
//! (a new `include_str!`, `#[path]` or data path into an excluded folder) in
//! every `cargo test` run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

/// Folders left out of the package, as they appear in a path.
const LEFT_OUT: &[&str] = &[
    "tests/fuzz/",
    "fuzz/src",
    "benches/compare",
    "../shared",
    "shared/seeds",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // The fuzz package and the comparison crate are not in the package.
            if !path.ends_with("tests/fuzz") && !path.ends_with("benches/compare") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn nothing_in_the_package_reads_a_file_left_out_of_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "examples", "benches"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "{files:?}");
    let mut found = Vec::new();
    for file in files.iter().filter(|f| !f.ends_with("tests/package.rs")) {
        let text = std::fs::read_to_string(file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let reads = [
                "include_str!",
                "include_bytes!",
                "#[path",
                "CARGO_MANIFEST_DIR",
            ]
            .iter()
            .any(|m| line.contains(m));
            if reads && LEFT_OUT.iter().any(|p| line.contains(p)) {
                found.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "reads outside the package:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_manifest_names_docs_homepage_and_repository() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    for key in [
        "documentation = ",
        "homepage = ",
        "repository = ",
        "rust-version = ",
    ] {
        assert!(manifest.contains(key), "Cargo.toml lacks {key}");
    }
}
