//! `cargo xtask loom`: every crate's loom models, with `--cfg loom` in a target
//! directory of their own so the normal build is not invalidated. Models live in
//! `tests/loom.rs` (those that need only public items) or inside the crate, under
//! `#[cfg(all(test, loom))]` in a module whose path names `loom` (those that reach
//! internal items); the second kind run as the library's tests filtered on `loom`.

use std::time::Duration;

use crate::cmd::{cargo, ok, root, run_captured, TestCounts};

/// Package names of the crates under `crates/` whose directory `holds`, in name order.
fn crates_where(holds: impl Fn(&std::path::Path) -> bool) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root().join("crates")) else {
        return Vec::new();
    };
    let mut dirs: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    dirs.into_iter()
        .filter(|dir| holds(dir))
        .filter_map(|dir| package_name(&dir.join("Cargo.toml")))
        .collect()
}

/// Package names of the crates with a `tests/<test_file>` of loom models.
pub(crate) fn crates_with(test_file: &str) -> Vec<String> {
    crates_where(|dir| dir.join("tests").join(test_file).exists())
}

/// Package names of the crates whose sources hold loom models
/// (`cfg(all(test, loom))`).
fn crates_with_inner_models() -> Vec<String> {
    crates_where(|dir| mentions(&dir.join("src"), "cfg(all(test, loom))"))
}

/// Whether any `.rs` file under `dir` contains `needle`.
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
    let outer = crates_with("loom.rs").into_iter().map(|k| (k, false));
    let inner = crates_with_inner_models().into_iter().map(|k| (k, true));
    for (krate, inside) in outer.chain(inner) {
        let (name, args) = if inside {
            (
                format!("loom models inside {krate}"),
                vec!["test", "-p", &krate, "--release", "--lib", "--", "loom"],
            )
        } else {
            (
                format!("loom models of {krate}"),
                vec!["test", "-p", &krate, "--release", "--test", "loom"],
            )
        };
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
