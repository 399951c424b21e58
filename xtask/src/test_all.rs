//! `cargo xtask test-all`: the one test command, as CI runs it.
//!
//! Steps, in order, each printing one line: fmt, clippy, each crate's tests on its own
//! (each layer builds and works alone), doc tests, docs with warnings denied, benches
//! compile, examples run, the quick soak (`--no-soak` skips it), loom models, miri.
//! The last line sums the tests run.

use std::time::{Duration, Instant};

use crate::cmd::{self, cargo, ok, run_captured, TestCounts};

/// Every library crate, tested on its own so a layer that only builds inside the
/// workspace is caught (and the soak program's own unit tests).
pub(crate) const CRATES: [&str; 9] = [
    "xtask",
    "ferrio-core",
    "ferrio-sync",
    "ferrio-executor-pool",
    "ferrio-reactor",
    "ferrio-macros",
    "ferrio",
    "ferrio-hyper",
    "ferrio-soak",
];

const MINUTE: Duration = Duration::from_secs(60);

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let skip_miri = args.iter().any(|a| a == "--no-miri");
    let skip_loom = args.iter().any(|a| a == "--no-loom");
    let skip_soak = args.iter().any(|a| a == "--no-soak");
    let start = Instant::now();
    std::env::set_var("CARGO_TERM_COLOR", "never");
    ensure_components()?;

    let step = run_captured(
        "fmt",
        &mut cargo(&["fmt", "--all", "--", "--check"]),
        MINUTE,
    )?;
    ok("cargo fmt --check", step.elapsed, "");

    let step = run_captured(
        "clippy",
        &mut cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
        15 * MINUTE,
    )?;
    ok(
        "cargo clippy --workspace --all-targets -D warnings",
        step.elapsed,
        "",
    );

    let mut total = TestCounts::default();
    for krate in CRATES {
        let name = format!("cargo test -p {krate}");
        let step = run_captured(
            &name,
            // Optional features too (the sync crate's `Sink`s, the facade's hyper).
            &mut cargo(&["test", "-p", krate, "--tests", "--all-features"]),
            10 * MINUTE,
        )?;
        let counts = TestCounts::parse(&step.text);
        total.add(counts);
        ok(
            &name,
            step.elapsed,
            &format!("{} passed, {} failed", counts.passed, counts.failed),
        );
    }

    let step = run_captured(
        "doc tests",
        &mut cargo(&["test", "--workspace", "--doc"]),
        10 * MINUTE,
    )?;
    let counts = TestCounts::parse(&step.text);
    total.add(counts);
    ok(
        "cargo test --workspace --doc",
        step.elapsed,
        &format!("{} passed", counts.passed),
    );

    let step = run_captured(
        "cargo doc",
        cargo(&["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"),
        10 * MINUTE,
    )?;
    ok("cargo doc (warnings denied)", step.elapsed, "");

    let step = run_captured(
        "benches compile",
        &mut cargo(&[
            "bench",
            "-p",
            "ferrio-benches",
            "--no-run",
            "--profile",
            "dev",
        ]),
        15 * MINUTE,
    )?;
    ok("cargo bench --no-run", step.elapsed, "");

    let ran = crate::examples::run()?;
    total.passed += ran;

    if skip_soak {
        println!("[skip] soak --quick (--no-soak)");
    } else {
        crate::soak::quick()?;
    }

    if skip_loom {
        println!("[skip] loom (--no-loom)");
    } else {
        total.add(crate::loom::run()?);
    }
    if skip_miri {
        println!("[skip] miri (--no-miri)");
    } else {
        total.add(crate::miri::run()?);
    }

    println!(
        "test-all: every step passed in {:.0}s",
        start.elapsed().as_secs_f64()
    );
    // The plain closing line CI reads: tests run over all steps.
    println!("test-all: {} passed, {} failed", total.passed, total.failed);
    Ok(())
}

/// rustfmt and clippy come with rustup's default profile, but a minimal toolchain
/// lacks them: install what is missing rather than fail on a fresh machine.
fn ensure_components() -> Result<(), String> {
    for (component, probe) in [("rustfmt", "fmt"), ("clippy", "clippy")] {
        let present = cmd::cargo(&[probe, "--version"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !present {
            run_captured(
                &format!("rustup component add {component}"),
                std::process::Command::new("rustup").args(["component", "add", component]),
                10 * MINUTE,
            )?;
        }
    }
    Ok(())
}
