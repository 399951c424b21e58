//! `cargo xtask loom`: every crate's `tests/loom.rs` models, with `--cfg loom` in a
//! target directory of their own so the normal build is not invalidated.

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

pub(crate) fn package_name(manifest: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("name = "))
        .map(|v| v.trim_matches('"').to_string())
}

pub(crate) fn run() -> Result<TestCounts, String> {
    let mut total = TestCounts::default();
    for krate in crates_with("loom.rs") {
        let name = format!("loom models of {krate}");
        let step = run_captured(
            &name,
            cargo(&["test", "-p", &krate, "--release", "--test", "loom"])
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
