//! Shared test helpers: runners of both flavours, and the suite's one flavour
//! helper ([`flavours`]) over them.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::time::{Duration, Instant};

use ferrio::Flavor;

#[path = "../../../../test-support/flavours.rs"]
pub mod flavours;

/// A fresh runner of `flavor` (two workers for the multi-thread one).
pub fn runner(flavor: Flavor) -> ferrio::Runner {
    builder(flavor).build().expect("runner")
}

/// A runner builder of `flavor` (two workers for the multi-thread one).
pub fn builder(flavor: Flavor) -> ferrio::RunnerBuilder {
    match flavor {
        Flavor::CurrentThread => ferrio::Runner::builder(),
        Flavor::MultiThread => ferrio::Runner::builder().multi_thread().worker_threads(2),
    }
}

/// A fresh runner of each flavour, for tests of the runner itself (`run`'s value,
/// what it cancels, what survives between runs). Each derefs to its
/// [`ferrio::Runner`] and names its flavour if the test fails while it is alive.
pub fn runners() -> Vec<FlavouredRunner> {
    runners_with(|builder| builder)
}

/// [`runners`] with `configure` applied to each flavour's builder.
pub fn runners_with(
    configure: impl Fn(ferrio::RunnerBuilder) -> ferrio::RunnerBuilder,
) -> Vec<FlavouredRunner> {
    flavours::FLAVOURS
        .iter()
        .map(|&(name, flavor)| FlavouredRunner {
            flavour: name,
            runner: Some(configure(builder(flavor)).build().expect("runner")),
        })
        .collect()
}

/// A runner of one flavour that names the flavour when a test fails while it is
/// alive.
pub struct FlavouredRunner {
    /// The flavour's name.
    pub flavour: &'static str,
    runner: Option<ferrio::Runner>,
}

impl FlavouredRunner {
    /// Closes the runner (see [`ferrio::Runner::close`]).
    pub fn close(mut self) {
        self.runner.take().expect("not closed yet").close();
    }

    /// What `ferrio::run` does on a runner of its own: runs `future`, then closes
    /// (leftover tasks cancelled and their clean-up waited for).
    pub fn run_then_close<F: Future>(self, future: F) -> F::Output {
        let out = self.run(future);
        self.close();
        out
    }
}

impl std::ops::Deref for FlavouredRunner {
    type Target = ferrio::Runner;

    fn deref(&self) -> &ferrio::Runner {
        self.runner.as_ref().expect("not closed yet")
    }
}

impl Drop for FlavouredRunner {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "(the failure above happened on the {} flavour)",
                self.flavour
            );
        }
    }
}

/// How long [`until`] waits.
pub const UNTIL: Duration = Duration::from_secs(30);

/// Yields until `done()` holds; fails naming `what` after [`UNTIL`] of wall-clock
/// time, so that a lost wake-up fails the test instead of hanging it.
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + UNTIL;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {UNTIL:?}");
        ferrio::yield_now().await;
    }
}

/// Runs the future `body(flavor)` makes as a task spawned on a fresh runner of
/// each flavour, under a deadline; a failure names the flavour.
pub fn on_each_flavour<F, Fut>(body: F)
where
    F: Fn(Flavor) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    flavours::on_each_flavour_with("", |flavor, main| runner(flavor).run(main), body);
}
