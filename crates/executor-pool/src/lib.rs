//! ferrio-executor-pool: `ThreadPool` and `ProcessPool` offload, as asyncio's
//! `to_thread` and `run_in_executor`, for any executor.
//!
//! The futures returned here complete through [`std::task::Waker`], so they work
//! under ferrio, tokio, smol or `futures_lite::future::block_on` alike.
//!
//! | asyncio | here |
//! |---|---|
//! | `await asyncio.to_thread(f)` | [`to_thread(f)`](to_thread)`.await` |
//! | `ThreadPoolExecutor(max_workers=n)` | [`ThreadPool::builder()`](ThreadPool::builder)`.max_threads(n).build()` |
//! | `ProcessPoolExecutor(max_workers=n, max_tasks_per_child=k)` | [`ProcessPool::builder()`](ProcessPool::builder)`.max_workers(n).max_tasks_per_child(k).build()` |
//! | `loop.run_in_executor(pool, f, *args)` | [`run_in_executor`]`(&pool, f)` or `(&pool, JOB.call(args))` |
//! | `executor.shutdown(wait=True)` | `pool.shutdown(true)` |
//!
//! # Threads
//!
//! [`to_thread`] runs a blocking closure on a process-wide [`ThreadPool`] (asyncio's
//! default of `min(32, cores + 4)` threads); explicit pools go through
//! [`run_in_executor`]. Threads start on demand, only when queued work outnumbers the
//! idle threads, and exit after an idle timeout. A panic becomes
//! [`ThreadPoolError::Panicked`] for its awaiter. Dropping the future of a closure
//! that has not started removes it; a closure already running cannot be stopped and
//! runs to the end, its result dropped.
//!
//! ```
//! # futures_lite::future::block_on(async {
//! let text = ferrio_executor_pool::to_thread(|| std::fs::read_to_string("Cargo.toml")).await;
//! assert!(text.unwrap().unwrap().contains("ferrio-executor-pool"));
//! # });
//! ```
//!
//! # Processes
//!
//! A [`ProcessPool`] runs functions registered by name in a [`Registry`], with
//! arguments and results serialized with serde in postcard's compact format (use
//! [`Bytes`] for byte payloads). Its workers are the current executable run again
//! with a marker in the environment — never a bare `fork()` of a multi-threaded
//! process — and [`init`] at the top of `main` turns such a copy into a worker:
//!
//! ```no_run
//! use ferrio_executor_pool::{init, Job, ProcessPool, Registry};
//!
//! const FIB: Job<u32, u64> = Job::new("fib");
//!
//! fn fib(n: u32) -> u64 {
//!     if n < 2 { n as u64 } else { fib(n - 1) + fib(n - 2) }
//! }
//!
//! fn jobs() -> Registry {
//!     let mut registry = Registry::new();
//!     registry.register(FIB, fib);
//!     registry
//! }
//!
//! fn main() {
//!     init(jobs); // returns at once, except in a worker, which never returns
//!     let pool = ProcessPool::new().unwrap();
//!     let value = futures_lite::future::block_on(pool.run(FIB, 30)).unwrap();
//!     assert_eq!(value, 832_040);
//! }
//! ```
//!
//! What the pool guarantees:
//!
//! - **Every job resolves exactly once**, to its value or a [`ProcessPoolError`]; a
//!   job that may have started is never sent again.
//! - **A dying worker fails only its job**, with how it died: the panic message and
//!   location, the signal (`SIGKILL`, `SIGABRT` from `abort()`, ...) or the exit code.
//!   A panic that unwinds is caught in the worker, which stays up. The dead worker is
//!   replaced and the queued jobs go on.
//! - **Workers that keep dying before they are ready break the pool**: queued and new
//!   jobs fail fast with [`ProcessPoolError::Broken`] and the reason.
//! - **A version handshake**: a worker built from another binary (rebuilt on disk
//!   while the pool ran) or another crate version is refused.
//! - **No zombie, no orphan**: [`ProcessPool::shutdown`]`(true)` and dropping the
//!   pool reap every worker; on Linux a worker also dies with its parent.
//! - Workers inherit stdout and stderr, so what jobs print stays visible; the
//!   protocol runs over a dedicated socket, and a worker's stdin is `/dev/null`.
//! - Frames are length-prefixed; the length is checked against the pool's limit
//!   before anything is allocated ([`frame`]).
//!
//! ## In integration tests
//!
//! The test harness owns `main`, so a test that uses a [`ProcessPool`] goes in a test
//! target with `harness = false` whose own `main` calls [`init`] before running its
//! tests (this crate's `tests/process_pool_*.rs` do so):
//!
//! ```toml
//! [[test]]
//! name = "pool"
//! harness = false
//! ```
//!
//! The parent writes to workers' sockets, so a worker that vanishes could raise
//! `SIGPIPE`; Rust programs ignore it from the start of `main`, which this crate
//! relies on.

pub mod bytes;
mod error;
mod executor;
pub mod frame;
mod process_pool;
mod sync;
mod thread_pool;

pub use bytes::Bytes;
pub use error::{Death, PanicPayload, PanicReport, ProcessPoolError, ThreadPoolError};
pub use executor::{run_in_executor, Executor};
pub use process_pool::{init, Job, JobCall, ProcessJob, ProcessPool, ProcessPoolBuilder, Registry};
pub use thread_pool::{to_thread, ThreadJob, ThreadPool, ThreadPoolBuilder, DEFAULT_IDLE_TIMEOUT};
