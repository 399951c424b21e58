//! Shared test helpers: the same test body runs on both executor flavours.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;

use ferrio_core::{Builder, Flavor, Runtime};

#[path = "../../../../test-support/flavours.rs"]
pub mod flavours;

/// Both flavours, the multi-thread one with two workers.
pub const FLAVORS: [Flavor; 2] = [Flavor::CurrentThread, Flavor::MultiThread];

/// A runtime of `flavor` (two workers for the multi-thread one).
pub fn runtime(flavor: Flavor) -> Runtime {
    builder(flavor).build().expect("runtime builds")
}

/// A builder of `flavor` (two workers for the multi-thread one).
pub fn builder(flavor: Flavor) -> Builder {
    match flavor {
        Flavor::CurrentThread => Builder::new_current_thread(),
        Flavor::MultiThread => Builder::new_multi_thread().worker_threads(2),
    }
}

/// Runs the future `make(flavor)` builds as a task spawned on a fresh runtime of
/// each flavour (the suite's one flavour helper, [`flavours`]).
pub fn on_both<F, Fut>(make: F)
where
    F: Fn(Flavor) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    flavours::on_each_flavour_with("", |flavor, main| runtime(flavor).block_on(main), make);
}

/// Scales a count down under miri.
pub const fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        if n / 100 > 2 {
            n / 100
        } else {
            2
        }
    } else {
        n
    }
}

/// A flag a task raises at the start of the poll in which it begins to wait, so the
/// test cancels it only once it is waiting (or mid-poll, where `cancel()` from the
/// test waits for the poll to end).
#[derive(Clone, Default)]
pub struct Started(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Started {
    pub fn mark(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Yields until the flag is raised; fails after 10 s.
    pub async fn wait(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !self.0.load(std::sync::atomic::Ordering::SeqCst) {
            assert!(
                std::time::Instant::now() < deadline,
                "the task never started"
            );
            ferrio_core::yield_now().await;
        }
    }
}
