//! Shared by the combinator tests: run a test on both executor flavours, and small
//! synchronisation tools (a gate, a counter that can be awaited, a drop probe) so no
//! test sleeps to synchronise.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use ferrio_core::clock::VirtualClock;
use ferrio_core::{Builder, Flavor, Runtime};

#[path = "../../../../test-support/flavours.rs"]
pub mod flavours;

/// The two executor flavours every combinator test runs on.
pub fn runtimes() -> Vec<(&'static str, Runtime)> {
    vec![
        (
            "current-thread",
            Builder::new()
                .flavor(Flavor::CurrentThread)
                .build()
                .expect("current-thread runtime"),
        ),
        (
            "multi-thread",
            Builder::new()
                .flavor(Flavor::MultiThread)
                .worker_threads(2)
                .build()
                .expect("multi-thread runtime"),
        ),
    ]
}

/// Runs the future `test()` makes on each flavour with an auto-advancing virtual
/// clock: timers fire as soon as the loop has nothing else to do.
pub fn on_both_flavours_virtual<F, Fut>(test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    on_both_flavours_with_clock(VirtualClock::auto_advance, test);
}

/// Runs the future `test()` makes on each flavour with a virtual clock that nobody
/// advances: no timer ever fires.
pub fn on_both_flavours_frozen_clock<F, Fut>(test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    on_both_flavours_with_clock(VirtualClock::new, test);
}

fn on_both_flavours_with_clock<F, Fut>(clock: fn() -> VirtualClock, test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    flavours::on_each_flavour_with(
        ", virtual clock",
        |flavor, main| {
            Builder::new()
                .flavor(flavor)
                .worker_threads(2)
                .clock(clock())
                .build()
                .expect("runtime with a virtual clock")
                .block_on(main)
        },
        |_| test(),
    );
}

/// Runs the future `test()` makes as a task spawned on each flavour in turn (the
/// suite's one flavour helper, [`flavours`]).
pub fn on_both_flavours<F, Fut>(test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    flavours::on_each_flavour_with(
        "",
        |flavor, main| {
            Builder::new()
                .flavor(flavor)
                .worker_threads(2)
                .build()
                .expect("runtime")
                .block_on(main)
        },
        |_| test(),
    );
}

/// A one-shot event: `wait` resolves once `open` was called.
#[derive(Clone, Default)]
pub struct Gate {
    inner: Arc<Mutex<GateState>>,
}

#[derive(Default)]
struct GateState {
    open: bool,
    waiters: Vec<Waker>,
}

impl Gate {
    pub fn new() -> Self {
        Gate::default()
    }

    pub fn open(&self) {
        let waiters = {
            let mut state = self.inner.lock().unwrap();
            state.open = true;
            std::mem::take(&mut state.waiters)
        };
        for waker in waiters {
            waker.wake();
        }
    }

    pub fn is_open(&self) -> bool {
        self.inner.lock().unwrap().open
    }

    /// Resolves once the gate is open; fails the test after a minute of wall-clock
    /// time instead of hanging it.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let inner = self.inner.clone();
        flavours::within_wall_clock(
            "the gate never opened",
            std::future::poll_fn(move |cx| {
                let mut state = inner.lock().unwrap();
                if state.open {
                    Poll::Ready(())
                } else {
                    state.waiters.push(cx.waker().clone());
                    Poll::Pending
                }
            }),
        )
    }
}

/// A counter whose value can be awaited.
#[derive(Clone, Default)]
pub struct Tally {
    inner: Arc<TallyInner>,
}

#[derive(Default)]
struct TallyInner {
    count: AtomicUsize,
    waiters: Mutex<Vec<Waker>>,
}

impl Tally {
    pub fn new() -> Self {
        Tally::default()
    }

    pub fn hit(&self) {
        self.inner.count.fetch_add(1, Ordering::SeqCst);
        let waiters = std::mem::take(&mut *self.inner.waiters.lock().unwrap());
        for waker in waiters {
            waker.wake();
        }
    }

    pub fn get(&self) -> usize {
        self.inner.count.load(Ordering::SeqCst)
    }

    /// Resolves once the count is at least `target`; fails the test after a minute
    /// of wall-clock time instead of hanging it.
    pub fn reach(&self, target: usize) -> impl Future<Output = ()> + Send + 'static {
        let inner = self.inner.clone();
        flavours::within_wall_clock(
            "the tally never reached its target",
            std::future::poll_fn(move |cx| {
                if inner.count.load(Ordering::SeqCst) >= target {
                    return Poll::Ready(());
                }
                inner.waiters.lock().unwrap().push(cx.waker().clone());
                // Re-check: a hit between the load and the push would be missed
                // otherwise.
                if inner.count.load(Ordering::SeqCst) >= target {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }),
        )
    }

    /// A guard that hits this tally when dropped.
    pub fn probe(&self) -> DropProbe {
        DropProbe(self.clone())
    }
}

/// Hits its tally when dropped: put one inside a future to count its cancellation.
pub struct DropProbe(Tally);

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.0.hit();
    }
}

/// Finishes after being polled `polls + 1` times, yielding in between.
pub async fn after_polls<T>(polls: usize, value: T) -> T {
    for _ in 0..polls {
        futures_lite::future::yield_now().await;
    }
    value
}
