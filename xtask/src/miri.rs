//! `cargo xtask miri`: the crates with unsafe code, under miri with strict
//! provenance. Installs the nightly miri component when it is missing, so a fresh
//! machine needs nothing done by hand.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::cmd::{ok, root, run_captured, TestCounts};

/// Each crate with unsafe code, and the test targets miri runs for it (`--lib` for
/// unit tests, `--test NAME` for an integration file). Targets that need syscalls
/// miri lacks (epoll, fork/exec) are left out here, not ignored in the tests.
const MIRI_TARGETS: &[(&str, &[&str])] = &[
    // Task header and registry, both executors' schedule paths, the combinators'
    // hand-built wakers: through the runtime, with other threads waking.
    (
        "ferrio-core",
        &[
            "--test",
            "spawn",
            "--test",
            "cancel",
            "--test",
            "panics",
            "--test",
            "shutdown",
            "--test",
            "gather",
            "--test",
            "wait",
            "--test",
            "task_group",
            "--test",
            "shield",
        ],
    ),
    // Mutex<T>'s data cell, under every primitive's tests (the tokio interop file and
    // the loom models compile to nothing here).
    ("ferrio-sync", &["--lib", "--tests"]),
    // The thread pool's hand-off and the frame decoder; the process pool needs
    // fork/exec, which miri cannot run.
    (
        "ferrio-executor-pool",
        &[
            "--test",
            "thread_pool_results",
            "--test",
            "thread_pool_panic",
            "--test",
            "thread_pool_drop_future",
            "--test",
            "thread_pool_shutdown",
            "--test",
            "frame_decoder",
        ],
    ),
];

fn nightly_miri_present() -> bool {
    Command::new("cargo")
        .args(["+nightly", "miri", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

pub(crate) fn run() -> Result<TestCounts, String> {
    let mut total = TestCounts::default();
    if MIRI_TARGETS.is_empty() {
        println!("[ok] miri: no crate has unsafe code to check");
        return Ok(total);
    }
    if !nightly_miri_present() {
        run_captured(
            "rustup +nightly component add miri rust-src",
            Command::new("rustup").args(["+nightly", "component", "add", "miri", "rust-src"]),
            Duration::from_secs(600),
        )?;
    }
    for (krate, targets) in MIRI_TARGETS {
        let name = format!("miri {krate} {}", targets.join(" "));
        let mut command = Command::new("cargo");
        command
            .args(["+nightly", "miri", "test", "-p", krate])
            .args(*targets)
            .current_dir(root())
            // Isolation off: proptest and the clock read the host, which is harmless here.
            .env(
                "MIRIFLAGS",
                "-Zmiri-strict-provenance -Zmiri-disable-isolation",
            )
            .env("CARGO_TARGET_DIR", root().join("target/miri"));
        let step = run_captured(&name, &mut command, Duration::from_secs(15 * 60))?;
        let counts = TestCounts::parse(&step.text);
        total.add(counts);
        ok(&name, step.elapsed, &format!("{} passed", counts.passed));
    }
    Ok(total)
}
