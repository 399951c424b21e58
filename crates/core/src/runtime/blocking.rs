//! `block_in_place`: blocking inside a task without stalling the tasks queued behind
//! it.
//!
//! A worker of the multi-thread executor owns a local queue (through its owner
//! handle, the only one that pushes) and a LIFO slot. Before the closure blocks,
//! the worker gives the owner handle to a new thread that runs the worker loop
//! under the same index (queue and LIFO slot stay where they are: they belong to
//! the index), and this thread stops being a worker: what it spawns or wakes
//! meanwhile goes to the injector. A worker
//! holds the driver only while it parks, never while it runs a task, so there is no
//! driver to hand over; the replacement parks in it like any worker.
//!
//! When the closure returns, the thread takes the queues back if the replacement
//! has not started yet (a short closure costs no thread switch); otherwise it
//! finishes the task's poll as a plain thread and then exits, and the replacement
//! stays worker.

use std::sync::Arc;

use super::context::{self, Place};
use super::multi_thread;
use super::shared::Shared;

/// Runs the blocking closure `f` on this worker thread while the tasks queued on
/// the worker move to another thread, so they keep running (tokio's
/// `block_in_place`). For a blocking call inside a task that cannot go to a thread
/// pool because it borrows from the task (a `&mut` to its state, a lock guard).
///
/// On the multi-thread flavour, the worker's local queue and LIFO slot go to a
/// fresh worker thread before `f` runs; the task calling it stays on this thread
/// and goes on after `f` returns. Costs a thread start when `f` blocks long enough
/// for the new worker to begin; a short `f` takes its queue back without one.
///
/// Called where blocking stalls no worker (inside a multi-thread `block_on`'s
/// main future, [`Handle::block_on`](crate::Handle::block_on), a thread inside
/// [`Handle::enter`](crate::Handle::enter), or a nested `block_in_place`), it runs
/// `f` at once.
///
/// # Panics
///
/// On the single-thread loop (every task shares its one thread: nothing could run
/// meanwhile) and outside a runtime, with a message naming the fix: move the
/// blocking work to a thread pool (`ferrio::to_thread(f).await`), or build a
/// multi-thread runtime. The panic points at the caller's line.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = ferrio_core::Builder::new_multi_thread().worker_threads(1).build().unwrap();
/// let out = rt.block_on(async {
///     let ticker = ferrio_core::spawn(async {
///         ferrio_core::sleep(Duration::from_millis(10)).await;
///         "other tasks ran meanwhile"
///     });
///     let blocked = ferrio_core::spawn(async {
///         ferrio_core::block_in_place(|| std::thread::sleep(Duration::from_millis(50)));
///         "done blocking"
///     });
///     (ticker.await.unwrap(), blocked.await.unwrap())
/// });
/// assert_eq!(out, ("other tasks ran meanwhile", "done blocking"));
/// ```
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    match context::place() {
        Place::Worker(shared, index) => {
            if !multi_thread::hand_off(&shared, index) {
                // Shutting down (no worker loop to hand over) or no thread to be
                // had: block here.
                return f();
            }
            let _back = TakeBack { shared, index };
            f()
        }
        Place::Harmless => f(),
        Place::Loop => panic!(
            "`block_in_place` was called on the single-thread loop, where every task \
             shares one thread: nothing else could run while it blocks. Move the \
             blocking work to the thread pool with `ferrio::to_thread(f).await`, or \
             use a multi-thread runtime (`Runner::builder().multi_thread()`)."
        ),
        Place::Nowhere => panic!(
            "`block_in_place` was called outside a ferrio runtime. Call it from a task \
             of a multi-thread runtime, or just call the closure: outside a runtime \
             there is no task to keep running."
        ),
    }
}

/// After the closure (even by a panic): takes the worker's queues back if the
/// replacement has not claimed them.
struct TakeBack {
    shared: Arc<Shared>,
    index: usize,
}

impl Drop for TakeBack {
    fn drop(&mut self) {
        let reclaimed = multi_thread::take_back(&self.shared, self.index);
        context::after_blocking(self.index, reclaimed);
    }
}
