//! `cargo xtask examples`: build every example once, then run each with a time limit;
//! each must exit 0.

use std::time::Duration;

use crate::cmd::{cargo, ok, root, run_captured};

/// Arguments an example gets under test-all: slow demos run in their fast mode.
fn args_for(example: &str) -> &'static [&'static str] {
    match example {
        "sleep-sequential-vs-gather" => &["--fast"],
        _ => &[],
    }
}

const LIMIT: Duration = Duration::from_secs(60);

/// Example names as `examples/Cargo.toml` declares them.
fn declared() -> Result<Vec<String>, String> {
    let manifest = std::fs::read_to_string(root().join("examples/Cargo.toml"))
        .map_err(|e| format!("examples/Cargo.toml: {e}"))?;
    let mut names = Vec::new();
    let mut in_example = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_example = line == "[[example]]";
        } else if in_example {
            if let Some(value) = line.strip_prefix("name = ") {
                names.push(value.trim_matches('"').to_string());
            }
        }
    }
    Ok(names)
}

/// Runs every example; returns how many passed.
pub(crate) fn run() -> Result<u64, String> {
    let step = run_captured(
        "build examples",
        &mut cargo(&["build", "-p", "ferrio-examples", "--examples"]),
        15 * 60 * Duration::from_secs(1),
    )?;
    ok("cargo build --examples", step.elapsed, "");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root().join("target"));
    let mut passed = 0;
    for name in declared()? {
        let binary = target.join("debug/examples").join(&name);
        let args = args_for(&name);
        let label = format!("example {name} {}", args.join(" "));
        let mut command = std::process::Command::new(&binary);
        command.args(args).current_dir(root());
        let step = run_captured(label.trim_end(), &mut command, LIMIT)?;
        ok(label.trim_end(), step.elapsed, "exit 0");
        passed += 1;
    }
    Ok(passed)
}
