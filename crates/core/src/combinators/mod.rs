//! The asyncio combinators: run many futures or tasks together and decide what to wait
//! for.
//!
//! | asyncio | ferrio | notes |
//! |---|---|---|
//! | `await gather(*aws)` | [`gather(iter)`](gather) / [`gather!(a, b, c)`](crate::gather!) | outputs in argument order; runs in the caller's task |
//! | `gather(*aws)` raising the first exception | [`try_gather`] / [`try_gather!`](crate::try_gather!) | first `Err` returned; other *tasks* keep running (asyncio), other plain futures are dropped |
//! | `gather(*aws, return_exceptions=True)` | [`gather`] over futures returning `Result` | every `Ok`/`Err` kept in its slot |
//! | `gather(*tasks)`, first failure cancels the rest | [`try_gather_tasks`] | `Err`, panic or cancellation cancels the other tasks |
//! | `wait(aws, return_when=...)` | [`wait`] / [`try_wait`] + [`ReturnWhen`] | `(done, pending)` of [`Task`](crate::Task)s |
//! | `wait(aws, timeout=t)` | [`wait_timeout`] / [`Wait::timeout`] | the timeout is not an error |
//! | `for f in as_completed(aws)` | [`as_completed`] | a `Stream`, or `while let Some(x) = it.next().await` |
//! | `shield(aw)` | [`shield(task)`](shield) / [`shield_future`] | dropping the waiter never cancels the task |
//! | `wait({a, b}, return_when=FIRST_COMPLETED)` on two | [`select`] → [`Either`], [`race`] | fair; the loser is dropped |
//! | `wait(aws, return_when=FIRST_COMPLETED)`, first only | [`select_all`] → `(index, output)`, [`race_all`] | any number of futures of one type; random start; the losers are dropped |
//! | tokio's `select!` | [`select!`](crate::select!) (`biased;` form) | branches of different types, each with its own handler; random start per poll; the losers are dropped before the handler runs |
//! | `async with TaskGroup() as tg` | [`TaskGroup::scope`], [`TaskGroup`] | first failure cancels the siblings and interrupts the body; every failure reported together |
//!
//! # Futures, tasks and cancellation
//!
//! A Rust future is cancelled by dropping it. `gather`, `try_gather`, `as_completed`,
//! `select` and `race` poll the futures they are given inside the awaiting task
//! (nothing is spawned), and drop them when they are no longer needed: `try_gather`
//! drops the rest on the first `Err`, `select` drops the loser, and dropping the
//! combinator drops everything unfinished.
//!
//! A [`Task`](crate::Task) handle is different: dropping it *detaches* the task, which
//! keeps running (asyncio's semantics for tasks). So a combinator given task handles
//! does not cancel those tasks when it merely drops them (`try_gather` returning the
//! first error, `select` dropping a loser). But when the task awaiting the combinator
//! is *cancelled*, the cancellation travels on: every unfinished task it was awaiting
//! is cancelled with the same message, in argument order, and a catch region of the
//! awaiter resolves only after their clean-up (see the [task module](crate::task)).
//! Where cancelling on a plain drop is wanted, wrap the handles in [`CancelOnDrop`],
//! or use [`try_gather_tasks`] or a [`TaskGroup`], which cancel on failure.
//! Conversely, [`shield`] protects a task from any cancellation that reaches its
//! waiter.
//!
//! # Cost
//!
//! `gather`, `try_gather`, `as_completed` and `wait` give every future its own waker
//! and keep a queue of the ones that woke, so a wake-up costs O(1) however many futures
//! are gathered (like `FuturesUnordered`); 10 000 futures cost one allocation for the
//! futures plus one small allocation per waker. `gather!`/`try_gather!` allocate
//! nothing and poll each unfinished future on every wake-up, which suits a handful.

mod as_completed;
mod cancel_on_drop;
mod future_set;
mod gather;
mod gather_macro;
mod select;
mod select_macro;
mod shield;
mod task_group;
mod wait;

pub use as_completed::{as_completed, AsCompleted};
pub use cancel_on_drop::{try_gather_tasks, CancelOnDrop, TryGatherTasks};
pub use gather::{gather, try_gather, Gather, TryGather};
pub use select::{race, race_all, select, select_all, Either, Race, RaceAll, Select, SelectAll};
pub use shield::{shield, shield_future, Shield};
pub use task_group::{
    ChildFailure, FailureKind, GroupClosed, GroupSpawner, GroupTask, GroupTaskError, TaskGroup,
    TaskGroupError,
};
pub use wait::{try_wait, wait, wait_timeout, ReturnWhen, Wait, WaitSets};

/// Items the `gather!` and `try_gather!` macros expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use super::gather_macro::{MaybeDone, TryMaybeDone};
    pub use super::select::random_below;
}

/// Fails to compile if a combinator loses `Send`/`Sync` for `Send` inputs.
#[allow(dead_code)]
fn _assert_thread_safety() {
    use std::future::Ready;

    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}

    send::<Gather<Ready<u8>>>();
    send::<TryGather<Ready<Result<u8, ()>>, u8, ()>>();
    send::<AsCompleted<Ready<u8>>>();
    send::<Wait<u8>>();
    send::<Select<Ready<u8>, Ready<u16>>>();
    send::<SelectAll<Ready<u8>>>();
    send::<RaceAll<Ready<u8>>>();
    send::<Shield<u8>>();
    send::<CancelOnDrop<u8>>();
    send::<TryGatherTasks<u8, crate::TaskError>>();
    send_sync::<TaskGroup<std::io::Error>>();
    send_sync::<GroupSpawner<std::io::Error>>();
    send_sync::<GroupTask<u8>>();
    send_sync::<TaskGroupError<std::io::Error>>();
    send_sync::<crate::TaskHandle>();
}
