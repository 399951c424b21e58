//! ferrio-executor-pool: `ThreadPool` and `ProcessPool` offload, as asyncio's
//! `to_thread` and `run_in_executor`, for any executor.
//!
//! The futures returned here complete through [`std::task::Waker`], so they work
//! under ferrio, tokio, smol or `futures_lite::future::block_on` alike.
//!
//! - [`to_thread`] and [`ThreadPool`]: blocking closures on threads.
//! - [`ProcessPool`]: CPU-bound functions, registered by name in a [`Registry`], run
//!   in worker processes that re-execute the current binary; [`init`] at the top of
//!   `main` turns such a re-executed process into a worker.
//! - [`run_in_executor`]: one verb for both, as asyncio's.

pub mod bytes;
mod error;
mod executor;
pub mod frame;
mod process_pool;
mod thread_pool;

pub use bytes::Bytes;
pub use error::{Death, PanicReport, ProcessPoolError, ThreadPoolError};
pub use executor::{run_in_executor, Executor};
pub use process_pool::{init, Job, JobCall, ProcessJob, ProcessPool, ProcessPoolBuilder, Registry};
pub use thread_pool::{to_thread, ThreadJob, ThreadPool, ThreadPoolBuilder, DEFAULT_IDLE_TIMEOUT};
