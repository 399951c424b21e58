//! ferrio: an async runtime with Python asyncio's model and vocabulary.
//!
//! One event loop runs tasks; awaits are the only switch points; blocking work goes to
//! a thread or a process pool. The names are asyncio's: [`run`], [`Runner`],
//! [`create_task`], [`gather`](gather()), [`wait_for`], [`TaskGroup`], [`sync::Queue`] with
//! `task_done`/`join`, [`to_thread`], [`run_in_executor`].
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! async fn sleepy(n: u64) -> u64 {
//!     ferrio::sleep(Duration::from_millis(10 * n)).await;
//!     n
//! }
//!
//! ferrio::run(async {
//!     let start = Instant::now();
//!     let results = ferrio::gather((1..=3).map(sleepy)).await;
//!     assert_eq!(results, [1, 2, 3]);
//!     // The three sleeps ran concurrently: about 30 ms, not 60.
//!     assert!(start.elapsed() < Duration::from_millis(60) * 10);
//! });
//! ```
//!
//! This crate only composes the layers and adds what needs all of them: [`run`] and
//! [`Runner`] (a runtime with the I/O reactor as its driver, Ctrl-C handling),
//! [`Handle`]'s loop calls, and [`debug`] mode. Each layer is a crate of its own, to
//! depend on alone: `ferrio-core` (tasks, executors, timers, combinators),
//! `ferrio-reactor` (I/O), `ferrio-sync` (queues, locks; any executor),
//! `ferrio-executor-pool` (thread and process pools; any executor).
//!
//! Optional features: `hyper` (hyper 1.x on ferrio, as `ferrio::hyper`) and
//! `tracing` (each task spawned through this crate runs in a `tracing` span
//! `task` with its id, name and spawn location, entered on each of its polls;
//! `ferrio::task_span` gives one to other futures; debug mode reports through
//! `tracing` events). Without `tracing` the spawn functions are the core's, so
//! the feature costs nothing when off.
#![forbid(unsafe_code)]

mod handle;
mod offload;
mod runner;
#[cfg(feature = "tracing")]
mod task_span;

pub mod debug;
pub mod fs;
pub mod prelude;
pub mod signal;

pub use handle::{CallbackHandle, Handle};
pub use runner::{run, Interrupted, Runner, RunnerBuilder};

/// `#[ferrio::main]`: runs `async fn main` on a fresh [`Runner`].
///
/// Options: `flavor = "current_thread"` (default) or `"multi_thread"`,
/// `worker_threads = N`, `debug = true`, `crate = "path"`.
///
/// ```
/// #[ferrio::main(flavor = "multi_thread", worker_threads = 2)]
/// async fn main() -> std::io::Result<()> {
///     let answer = ferrio::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
///     Ok(())
/// }
/// ```
///
/// It must go on an `async fn`:
///
/// ```compile_fail
/// #[ferrio::main]
/// fn main() {}
/// ```
///
/// and options are checked: workers need the multi-thread flavour, unknown options
/// are named.
///
/// ```compile_fail
/// #[ferrio::main(worker_threads = 2)]
/// async fn main() {}
/// ```
///
/// ```compile_fail
/// #[ferrio::main(threads = 2)]
/// async fn main() {}
/// ```
pub use ferrio_macros::main;

/// `#[ferrio::test]`: runs an `async fn` test on a fresh [`Runner`], one per test.
///
/// Takes the same options as [`macro@main`]; it adds `#[test]` itself.
///
/// ```
/// #[ferrio::test(debug = true)]
/// async fn sleeps() {
///     ferrio::sleep(std::time::Duration::from_millis(1)).await;
/// }
/// ```
pub use ferrio_macros::test;

// The asyncio vocabulary, from the core.
pub use ferrio_core::combinators::{
    as_completed, race, race_all, select_all, shield, shield_future, try_gather_tasks, try_wait,
    wait, wait_timeout, CancelOnDrop, Either, GroupTask, ReturnWhen, TaskGroup, TaskGroupError,
};
pub use ferrio_core::task::{
    catch_cancel, Cancelled, CatchCancel, SharedTask, TaskHandle, TaskOutcome,
};
pub use ferrio_core::time::timeout_none;
pub use ferrio_core::{
    all_tasks, block_in_place, current_task, interval, interval_at, sleep, sleep_until, timeout,
    timeout_at, wait_for, yield_now, Elapsed, EnterGuard, Flavor, Interval, MainCancelled, Sleep,
    Task, TaskBuilder, TaskError, TaskId, TaskSnapshot, TaskState, Timeout,
};
// The spawn functions: the core's, or with the `tracing` feature the same functions
// wrapping each task in its span.
#[cfg(not(feature = "tracing"))]
pub use ferrio_core::{create_task, spawn, spawn_eager, spawn_local};
#[cfg(feature = "tracing")]
pub use task_span::spawn::{create_task, spawn, spawn_eager, spawn_local};
#[cfg(feature = "tracing")]
pub use task_span::{task_span, TaskSpan};
// The functions `gather`, `try_gather` and `select` and the macros `gather!`,
// `try_gather!` and `select!`.
/// asyncio's `Future` (`loop.create_future()`): a one-shot, settable awaitable.
pub use ferrio_core::settable::{Future, FutureError, InvalidStateError};
pub use ferrio_core::{gather, select, try_gather};

/// Every combinator with its future types: gather, wait, as_completed, shield,
/// select/race, TaskGroup and its error types.
pub use ferrio_core::combinators;

// Offload: asyncio's to_thread and run_in_executor.
pub use ferrio_executor_pool::{ProcessPool, ThreadPool};
pub use offload::{run_in_executor, to_thread, InFlight, OffloadExecutor};

/// Context variables (asyncio's `contextvars`): `ContextVar`, `Context`, tokens.
pub use ferrio_core::contextvars;

/// Queues and synchronization primitives: asyncio's `Queue`, `PriorityQueue`,
/// `LifoQueue`, `Lock`, `Event`, `Condition`, `Semaphore`, `BoundedSemaphore`,
/// `Barrier`, plus `Mutex<T>`, `CancellationToken` and the channels `channel`,
/// `oneshot`, `broadcast` and `watch`. They work under any executor.
pub mod sync {
    pub use ferrio_sync::*;
}

/// Networking: TCP, UDP and Unix sockets, with `futures-io` traits so the
/// ecosystem plugs in. asyncio's stream API is in [`streams`].
pub mod net {
    pub use ferrio_reactor::net::*;
}

/// asyncio's streams: `open_connection`, `start_server`, `StreamReader`
/// (`readline`, `readexactly`, `readuntil`), `StreamWriter`.
pub mod streams {
    pub use ferrio_reactor::streams::*;
}

pub use ferrio_reactor::streams::{open_connection, start_server};

/// Child processes with async pipes: asyncio's `create_subprocess_exec`.
pub mod process {
    pub use ferrio_reactor::process::*;
}

/// Futures, streams and I/O helpers from `futures-lite`, as smol offers them.
pub use futures_lite::{future, io, pin, ready, stream};

/// Clocks: the system clock and a virtual one for tests and fast demos
/// (see [`RunnerBuilder::clock`]).
pub use ferrio_core::clock;

/// Runtimes and drivers below the facade, for building one by hand.
pub use ferrio_core as core;
pub use ferrio_executor_pool as executor_pool;
#[cfg(feature = "hyper")]
pub use ferrio_hyper as hyper;
pub use ferrio_reactor as reactor;

#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
