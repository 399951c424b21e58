//! Real work in flight: what holds a virtual clock that advances by itself.
//!
//! # The rule
//!
//! A [`VirtualClock::auto_advance`](crate::clock::VirtualClock::auto_advance) clock
//! jumps to the next timer only when every task waits on timers alone:
//!
//! 1. nothing is ready to run (no task, no callback, not the main future);
//! 2. no [`WorkGuard`] is alive: the facade's `to_thread`/`run_in_executor` (thread
//!    and process pools) and child processes spawned inside the runtime hold one
//!    while their work runs, so a `wait_for` around them sees their real result;
//! 3. the driver, polled once more without blocking (twice, letting other threads
//!    run in between), has no I/O ready: I/O between the runtime's own tasks, or
//!    from a peer that has already sent, is delivered before any jump.
//!
//! I/O that waits on the outside world (a peer that has not sent yet, a remote
//! server) does not hold the clock, as with tokio's paused clock: hold a
//! [`WorkGuard`] from [`Handle::work_guard`](crate::Handle::work_guard) for as
//! long as such a wait must count as work.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::shared::Shared;

/// Keeps a runtime's self-advancing virtual clock still while real work (a
/// thread-pool job, a child process, a wait on the outside world) is in flight.
/// Dropping it lets the clock jump again once the runtime is otherwise idle.
/// With any other clock it costs two atomic operations and changes nothing.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ferrio_core::clock::VirtualClock;
///
/// let clock = VirtualClock::auto_advance();
/// let rt = ferrio_core::Builder::new().clock(clock.clone()).build().unwrap();
/// let handle = rt.handle();
/// let out = rt.block_on(async move {
///     let guard = handle.work_guard();
///     let (tx, rx) = std::sync::mpsc::channel();
///     let worker = std::thread::spawn(move || {
///         std::thread::sleep(Duration::from_millis(20));
///         tx.send(5).unwrap();
///         drop(guard);
///     });
///     // The clock does not jump past the 10 s deadline while the guard lives.
///     let out = ferrio_core::timeout(Duration::from_secs(10), async {
///         loop {
///             if let Ok(v) = rx.try_recv() {
///                 break v;
///             }
///             ferrio_core::sleep(Duration::from_millis(1)).await;
///         }
///     })
///     .await;
///     worker.join().unwrap();
///     out
/// });
/// assert_eq!(out, Ok(5));
/// ```
#[must_use = "the clock is held only while the guard lives"]
pub struct WorkGuard {
    shared: Arc<Shared>,
}

impl WorkGuard {
    pub(crate) fn new(shared: Arc<Shared>) -> WorkGuard {
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        WorkGuard { shared }
    }
}

impl Drop for WorkGuard {
    fn drop(&mut self) {
        if self.shared.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 && self.shared.auto_advance {
            // An idle loop waits with no deadline while work is in flight: let it
            // look again, now that the clock may jump.
            self.shared.unpark_driver();
        }
    }
}

impl fmt::Debug for WorkGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkGuard").finish_non_exhaustive()
    }
}

/// What an idle runtime with a self-advancing clock may do.
pub(crate) enum IdleCheck {
    /// Polling the driver made work ready: run it.
    Work,
    /// Real work is in flight, or another thread of the runtime runs: wait (no
    /// deadline) for it.
    Wait,
    /// Only timers are pending: the clock may jump.
    Jump,
}

impl Shared {
    /// Applies the rule above; `alone` says whether no other thread of the runtime
    /// runs, `has_work` whether anything became ready. Called by the thread that
    /// holds the driver. `alone` and the work in flight are read after the last
    /// poll of the driver (see `step::park_in_driver` for why).
    pub(crate) fn idle_check(
        &self,
        alone: impl Fn() -> bool,
        has_work: impl Fn() -> bool,
    ) -> IdleCheck {
        for round in 0..2 {
            if self.in_flight.load(Ordering::SeqCst) > 0 {
                return IdleCheck::Wait;
            }
            if round == 1 {
                // Let a peer thread that is about to send get its turn first.
                std::thread::yield_now();
            }
            self.driver.park(Some(Duration::ZERO));
            if has_work() {
                return IdleCheck::Work;
            }
        }
        if self.in_flight.load(Ordering::SeqCst) > 0 || !alone() {
            return IdleCheck::Wait;
        }
        IdleCheck::Jump
    }
}
