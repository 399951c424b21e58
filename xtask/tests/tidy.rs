//! Tidy checks run as ordinary tests, so a local `cargo test -p xtask` and CI agree.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn project_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["crates", "benches", "examples", "xtask/src"] {
        rust_files(&root().join(dir), &mut files);
    }
    files.sort();
    files
}

#[test]
fn no_stubs_or_ignored_tests() {
    let forbidden = [
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("#[", "ignore"),
    ];
    let mut found = Vec::new();
    for file in project_sources() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if forbidden.iter().any(|f| line.contains(f)) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "stubs or ignored tests:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_unsafe_block_names_its_invariant() {
    let mut found = Vec::new();
    for file in project_sources() {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !code.contains("unsafe {") {
                continue;
            }
            let window = &lines[n.saturating_sub(6)..=n];
            if !window.iter().any(|l| l.contains("SAFETY")) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "unsafe blocks without a SAFETY comment:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_example_says_what_it_shows_and_how_to_run_it() {
    let manifest = std::fs::read_to_string(root().join("examples/Cargo.toml")).unwrap();
    let names: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.trim().strip_prefix("name = "))
        .map(|v| v.trim_matches('"'))
        .filter(|n| *n != "ferrio-examples")
        .collect();
    assert!(
        names.len() >= 12,
        "examples/Cargo.toml declares {} examples",
        names.len()
    );
    let mut bad = Vec::new();
    for name in names {
        let text = std::fs::read_to_string(root().join("examples").join(format!("{name}.rs")))
            .unwrap_or_default();
        let run_line = format!("cargo run --example {name}");
        if !text.starts_with("//!") || !text.contains(&run_line) {
            bad.push(name.to_string());
        }
    }
    assert!(
        bad.is_empty(),
        "examples without a `//!` opening that shows `cargo run --example <name>`: {bad:?}"
    );
}
