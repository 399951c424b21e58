//! The Driver: how an executor thread parks when it has nothing to run.
//!
//! # Contract
//!
//! Every driver, the plain [`ThreadParker`] here and the I/O reactor of
//! `ferrio-reactor`, keeps these promises; the executors rely on nothing else.
//!
//! 1. **One parker at a time.** At most one thread is inside [`Driver::park`] on a
//!    given driver at any moment. The executors guarantee it (the multi-thread
//!    executor lets exactly one idle worker hold the driver; the others park on
//!    their own thread parkers).
//! 2. **Unpark from anywhere, never lost.** [`Driver::unpark`] may be called from any
//!    thread, any number of times, before or during a park. An unpark that arrives
//!    while nobody is parked is remembered: the next `park` returns at once. Several
//!    unparks before one park collapse into one, and what each unparker wrote
//!    before its unpark is visible to the parker once that park has returned.
//! 3. **Timeouts.** `park(None)` blocks until an unpark (or, for an I/O driver, until
//!    an event was dispatched); `park(Some(d))` additionally returns after `d`;
//!    `park(Some(Duration::ZERO))` only polls and never blocks.
//! 4. **Spurious returns are allowed.** The caller re-checks its queues and timers
//!    after every return, so a driver may return early.
//! 5. **Events are dispatched inside park.** An I/O driver wakes the wakers of ready
//!    sources before `park` returns; the woken tasks land in the executor's queues
//!    through their wakers, so `park` itself returns nothing.
//! 6. **Shutdown.** [`Driver::shutdown`] is called once when the runtime that owns the
//!    driver shuts down, after its tasks were cancelled and dropped.
//!
//! # Finding the current driver
//!
//! A layer above core (the reactor) finds its own driver through the runtime entered
//! on the current thread, never through a process global: the executors enter their
//! runtime on every thread they run (and [`Handle::enter`](crate::Handle::enter) on
//! any other), and [`with_current`] hands out that runtime's driver, which the layer
//! downcasts with [`Driver::as_any`].

use std::any::Any;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::loom::{AtomicUsize, Condvar, Mutex};
use std::time::Duration;

/// What an executor thread parks on when it has nothing to run. See the
/// [module documentation](self) for the contract every implementation keeps.
pub trait Driver: Send + Sync + 'static {
    /// Blocks the calling thread until [`unpark`](Driver::unpark) is called, an event
    /// is dispatched, or `timeout` elapses. May return spuriously.
    fn park(&self, timeout: Option<Duration>);

    /// Wakes the thread blocked in [`park`](Driver::park), or makes the next `park`
    /// return at once. Callable from any thread.
    fn unpark(&self);

    /// The driver as `Any`, so a layer can downcast to its own driver type.
    fn as_any(&self) -> &dyn Any;

    /// Called once when the owning runtime shuts down. The default does nothing.
    fn shutdown(&self) {}
}

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

/// The plain driver: parks the thread on a condition variable. Enough for CPU and
/// timer work; no I/O.
#[derive(Debug, Default)]
pub struct ThreadParker {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
}

impl ThreadParker {
    /// A new parker with no pending unpark.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Driver for ThreadParker {
    fn park(&self, timeout: Option<Duration>) {
        // Fast path: a pending notification is consumed without touching the lock.
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
        if timeout == Some(Duration::ZERO) {
            return;
        }
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        match self
            .state
            .compare_exchange(EMPTY, PARKED, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // A swap, not a store: an unpark may land between the failed
                // exchange and here (its swap sees NOTIFIED and takes no lock), and
                // only a read-modify-write reads that latest NOTIFIED and so
                // acquires what its unparker wrote before unparking. A plain store
                // would consume the notification without that edge, and the caller
                // could re-check its state, miss the unparker's write, and park for
                // good.
                self.state.swap(EMPTY, Ordering::SeqCst);
                return;
            }
            Err(other) => unreachable!("parker state {other} while a thread parks"),
        }
        match timeout {
            None => loop {
                guard = self.cvar.wait(guard).unwrap_or_else(|e| e.into_inner());
                if self
                    .state
                    .compare_exchange(NOTIFIED, EMPTY, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    return;
                }
            },
            Some(timeout) => {
                let (_guard, _) = self
                    .cvar
                    .wait_timeout(guard, timeout)
                    .unwrap_or_else(|e| e.into_inner());
                // Whether woken or timed out, leave the state empty: a notification
                // that raced with the timeout is consumed by this return, through a
                // swap so that it acquires that unparker's writes (see above).
                self.state.swap(EMPTY, Ordering::SeqCst);
            }
        }
    }

    fn unpark(&self) {
        match self.state.swap(NOTIFIED, Ordering::SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED => {
                // Taking the lock orders this notify after the parker's wait began.
                drop(self.lock.lock().unwrap_or_else(|e| e.into_inner()));
                self.cvar.notify_one();
            }
            other => unreachable!("parker state {other}"),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Calls `f` with the driver of the runtime entered on this thread (a thread that
/// runs it, or one inside [`Handle::enter`](crate::Handle::enter)), or `None`
/// outside any runtime.
pub fn with_current<R>(f: impl FnOnce(Option<&Arc<dyn Driver>>) -> R) -> R {
    crate::runtime::context::with_driver(f)
}
