//! ferrio-sync: asyncio's `Queue`, `PriorityQueue` and `LifoQueue`, and its
//! synchronization primitives, for any executor.
//!
//! Everything here speaks only [`std::task::Waker`], so it runs under ferrio, tokio,
//! smol or `futures_lite::future::block_on` alike.
//!
//! | asyncio | ferrio-sync |
//! |---|---|
//! | `Queue(maxsize)`, `LifoQueue`, `PriorityQueue` | [`Queue`], [`LifoQueue`], [`PriorityQueue`] |
//! | `put` / `get` / `put_nowait` / `get_nowait` | same names; `QueueFull`/`QueueEmpty` are [`TryPutError::Full`] (with the item) / [`TryGetError::Empty`] |
//! | `task_done()`, `join()`, `shutdown(immediate)` | same names; `QueueShutDown` is [`QueueShutDown`] |
//! | `Lock` | [`Lock`] (a guard releases it); [`Mutex<T>`] guards a value, [`Mutex::lock_owned`] for a `'static` guard |
//! | `Event` | [`Event`] |
//! | `Condition` | [`Condition<T>`] (bound to its own lock, which guards a `T`) |
//! | `Semaphore`, `BoundedSemaphore` | [`Semaphore`] ([`Semaphore::acquire_owned`] for a `'static` permit), [`BoundedSemaphore`] |
//! | `Barrier` | [`Barrier`] |
//! | — | [`channel`]: a closing MPMC channel pair (`bounded`/`unbounded`) |
//! | — | [`oneshot`]: one value, one sender, one receiver |
//! | — | [`broadcast`]: every receiver sees every value; laggers learn how many they missed |
//! | — | [`watch`]: the latest value, and a wait for changes |
//! | an `Event` used as a shutdown flag | [`CancellationToken`], with child tokens (its docs map it onto asyncio) |
//!
//! Every channel's receiver is a `futures_core::Stream`; with the `sink` feature, the
//! [`channel`], [`broadcast`] and [`watch`] senders are `futures_sink::Sink`s (a
//! [`oneshot`] sender sends once, by value, so it is not one).
//!
//! Two promises hold for the asyncio primitives (queues, locks, event, condition,
//! semaphores, barrier):
//!
//! - **FIFO fairness**: parked tasks are served in arrival order, and a task arriving
//!   later cannot take what was released to an earlier one.
//! - **Cancellation safety**: dropping a waiting future, even after it was woken,
//!   loses no item, permit or notification; its turn passes to the next waiter.
//!
//! The channels keep the second promise and wake parked tasks in arrival order, but,
//! like async-channel and tokio's channels, let a task that is already running take a
//! value before a woken one gets to run: that keeps throughput up under load.
//!
//! The `_nowait`/`try_` forms never wait, and (as in asyncio) `get_nowait` and
//! `put_nowait` may take an item or slot a parked waiter was woken for; that waiter
//! then waits again at the head of the line.
//!
//! # Examples
//!
//! ```
//! use ferrio_sync::Queue;
//! # futures_lite::future::block_on(async {
//! let queue = Queue::new(10);
//! for job in 0..3 {
//!     queue.put(job).await.unwrap();
//! }
//! let mut done = Vec::new();
//! while let Ok(job) = queue.get_nowait() {
//!     done.push(job);
//!     queue.task_done().unwrap();
//! }
//! queue.join().await;
//! assert_eq!(done, [0, 1, 2]);
//! # });
//! ```

#[macro_use]
mod errors;

mod barrier;
pub mod broadcast;
mod cancellation;
pub mod channel;
mod condition;
mod event;
mod lock;
mod loom;
pub mod oneshot;
pub mod queue;
mod semaphore;
mod wait_queue;
mod wake_list;
pub mod watch;

pub use barrier::{Barrier, BarrierWait, BrokenBarrierError};
pub use cancellation::{
    CancellationToken, DropGuard, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
pub use condition::{Condition, ConditionGuard};
pub use event::{Event, EventWait};
pub use lock::{
    Lock, LockAcquire, LockGuard, Mutex, MutexGuard, MutexLock, MutexLockOwned, OwnedMutexGuard,
};
pub use queue::{
    LifoQueue, PriorityQueue, Queue, QueueShutDown, TaskDoneError, TryGetError, TryPutError,
};
pub use semaphore::{
    Acquire, AcquireOwned, BoundedSemaphore, OwnedSemaphorePermit, Semaphore, SemaphorePermit,
    TooManyReleases,
};

#[cfg(test)]
mod assert_traits {
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn primitives_are_send_and_sync() {
        send_sync::<crate::Queue<String>>();
        send_sync::<crate::PriorityQueue<u32>>();
        send_sync::<crate::Lock>();
        send_sync::<crate::Mutex<Vec<u8>>>();
        send_sync::<crate::MutexGuard<'static, Vec<u8>>>();
        send_sync::<crate::OwnedMutexGuard<Vec<u8>>>();
        send_sync::<crate::OwnedSemaphorePermit>();
        send_sync::<crate::Event>();
        send_sync::<crate::Condition<u32>>();
        send_sync::<crate::Semaphore>();
        send_sync::<crate::BoundedSemaphore>();
        send_sync::<crate::Barrier>();
        send_sync::<crate::channel::Sender<String>>();
        send_sync::<crate::channel::Receiver<String>>();
        send_sync::<crate::oneshot::Sender<String>>();
        send_sync::<crate::oneshot::Receiver<String>>();
        send_sync::<crate::broadcast::Sender<String>>();
        send_sync::<crate::broadcast::Receiver<String>>();
        send_sync::<crate::watch::Sender<String>>();
        send_sync::<crate::watch::Receiver<String>>();
        send_sync::<crate::CancellationToken>();
        send_sync::<crate::WaitForCancellationFutureOwned>();
        send_sync::<crate::DropGuard>();
    }
}
