//! Shared test helpers: both runtime flavours on every reactor kind, fd counting,
//! child re-execution.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::process::Command;

use ferrio_core::{Flavor, Runtime};
use ferrio_reactor::{Reactor, ReactorKind};

#[path = "../../../../test-support/flavours.rs"]
pub mod flavours;

/// A runtime with the default reactor, of the given flavour (2 workers for
/// multi-thread).
pub fn runtime(flavor: Flavor) -> Runtime {
    runtime_with(ReactorKind::default(), flavor)
}

/// A runtime with a reactor of `kind`, of the given flavour.
pub fn runtime_with(kind: ReactorKind, flavor: Flavor) -> Runtime {
    let reactor = Reactor::with_kind(kind).expect("reactor");
    let builder = ferrio_core::Builder::new().driver(reactor);
    match flavor {
        Flavor::CurrentThread => builder.flavor(Flavor::CurrentThread),
        Flavor::MultiThread => builder.flavor(Flavor::MultiThread).worker_threads(2),
    }
    .build()
    .expect("runtime")
}

/// Runs the test body as a task spawned on the single-thread loop and on the
/// multi-thread executor (so there it runs on a worker, and readiness wakes it
/// there), each over every reactor kind this platform has: the suite's one flavour
/// helper, [`flavours`].
pub fn on_each_flavor<F, Fut>(body: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    for &kind in ReactorKind::available() {
        flavours::on_each_flavour_with(
            &format!(", {kind:?} reactor"),
            |flavor, main| runtime_with(kind, flavor).block_on(main),
            |_| body(),
        );
    }
}

/// Open descriptors of this process.
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// The environment marker under which a test re-executes itself as a child.
pub const CHILD_MARKER: &str = "FERRIO_REACTOR_TEST_CHILD";

/// Whether this process is the re-executed child for `name`.
pub fn is_child(name: &str) -> bool {
    std::env::var(CHILD_MARKER).as_deref() == Ok(name)
}

/// Re-runs this test binary, only the test `name`, as a child with the marker set;
/// returns its output (the child's assertions decide its exit status).
pub fn run_as_child(name: &str) -> std::process::Output {
    let output = Command::new(std::env::current_exe().expect("test binary path"))
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD_MARKER, name)
        .output()
        .expect("re-run the test binary");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success() || stdout.contains("1 passed"),
        "the child did not run the test {name}:\n{stdout}"
    );
    output
}

/// Gives `signal` its default action in this process, whatever the parent left
/// (`nohup` and background jobs of a non-interactive shell start with SIGINT and
/// SIGQUIT ignored): a test that expects death by a signal sets that up itself.
pub fn default_disposition(signal: i32) {
    // SAFETY: SIG_DFL is a valid disposition; nothing in the test child relies on
    // the inherited one.
    let previous = unsafe { libc::signal(signal, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR, "cannot reset signal {signal}");
}
