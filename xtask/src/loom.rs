//! `cargo xtask loom`: every crate's loom models, with `--cfg loom` in a target
//! directory of their own so the normal build is not invalidated. Models live
//! either next to the code they check, in `#[cfg(all(test, loom))]` modules named
//! `loom_models` (run from the crate's unit tests, filtered by that name), or in
//! a crate's `tests/loom.rs` when public API is enough.

use std::time::Duration;

use crate::cmd::{cargo, ok, root, run_captured, TestCounts};

/// Package names of the crates under `crates/` that have loom models.
pub(crate) fn crates_with(test_file: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(root().join("crates")) else {
        return found;
    };
    let mut dirs: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    for dir in dirs {
        if !dir.join("tests").join(test_file).exists() {
            continue;
        }
        if let Some(name) = package_name(&dir.join("Cargo.toml")) {
            found.push(name);
        }
    }
    found
}

/// Package names of the crates under `crates/` with `loom_models` modules in
/// `src/`.
fn crates_with_inner_models() -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(root().join("crates")) else {
        return found;
    };
    let mut dirs: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    for dir in dirs {
        if !mentions(&dir.join("src"), "mod loom_models") {
            continue;
        }
        if let Some(name) = package_name(&dir.join("Cargo.toml")) {
            found.push(name);
        }
    }
    found
}

/// Whether some `.rs` file under `dir` contains `needle`.
fn mentions(dir: &std::path::Path, needle: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            mentions(&path, needle)
        } else {
            path.extension().is_some_and(|x| x == "rs")
                && std::fs::read_to_string(&path).is_ok_and(|t| t.contains(needle))
        }
    })
}

pub(crate) fn package_name(manifest: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("name = "))
        .map(|v| v.trim_matches('"').to_string())
}

pub(crate) fn run() -> Result<TestCounts, String> {
    let mut total = TestCounts::default();
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    for krate in crates_with_inner_models() {
        let args = [
            "test",
            "-p",
            &krate,
            "--release",
            "--lib",
            "--",
            "loom_models",
        ];
        steps.push((
            format!("loom models in {krate}"),
            args.iter().map(|a| a.to_string()).collect(),
        ));
    }
    for krate in crates_with("loom.rs") {
        let args = ["test", "-p", &krate, "--release", "--test", "loom"];
        steps.push((
            format!("loom models of {krate}"),
            args.iter().map(|a| a.to_string()).collect(),
        ));
    }
    for (name, args) in steps {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let step = run_captured(
            &name,
            cargo(&args)
                .env("RUSTFLAGS", "--cfg loom")
                .env("LOOM_MAX_PREEMPTIONS", "2")
                .env("CARGO_TARGET_DIR", root().join("target/loom")),
            Duration::from_secs(15 * 60),
        )?;
        let counts = TestCounts::parse(&step.text);
        total.add(counts);
        ok(
            &name,
            step.elapsed,
            &format!("{} models passed", counts.passed),
        );
    }
    Ok(total)
}
