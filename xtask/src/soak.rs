//! `cargo xtask soak [--minutes N | --quick] [--only NAME]...`: builds the stress
//! program (`soak/`, the `ferrio-soak` binary) in release and runs it. Each scenario
//! prints its counts and a verdict; any nonzero bad count fails the task.
//!
//! test-all runs the quick version (about two minutes) through [`quick`].

use std::process::Command;
use std::time::{Duration, Instant};

use crate::cmd::{cargo, ok, root, run_captured};

const MINUTE: Duration = Duration::from_secs(60);

/// The release build of the soak program.
fn build() -> Result<std::path::PathBuf, String> {
    let step = run_captured(
        "build ferrio-soak (release)",
        &mut cargo(&["build", "--release", "-p", "ferrio-soak"]),
        20 * MINUTE,
    )?;
    ok("cargo build --release -p ferrio-soak", step.elapsed, "");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root().join("target"));
    Ok(target.join("release/ferrio-soak"))
}

/// `cargo xtask soak`: the output streams as the scenarios finish.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let binary = build()?;
    let start = Instant::now();
    let status = Command::new(&binary)
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| format!("could not start {}: {e}", binary.display()))?;
    if status.success() {
        println!(
            "xtask soak: every scenario passed in {:.0}s",
            start.elapsed().as_secs_f64()
        );
        Ok(())
    } else {
        Err(format!(
            "the soak failed ({status}); see the FAIL lines above"
        ))
    }
}

/// The quick soak as a test-all step: one summary line, and each scenario's line.
pub(crate) fn quick() -> Result<(), String> {
    let binary = build()?;
    let mut command = Command::new(&binary);
    command.arg("--quick").current_dir(root());
    // The soak's own watchdog ends a hung scenario well before this.
    let step = run_captured("soak --quick", &mut command, 15 * MINUTE)?;
    let verdict = step
        .text
        .lines()
        .rev()
        .find(|line| line.starts_with("ferrio-soak: PASS"))
        .unwrap_or("ferrio-soak: PASS");
    ok("soak --quick", step.elapsed, verdict);
    for line in step.text.lines().filter(|line| line.starts_with("[soak]")) {
        println!("       {line}");
    }
    Ok(())
}
