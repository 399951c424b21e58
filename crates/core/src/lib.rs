//! ferrio-core: tasks, the single-thread loop, the multi-thread work-stealing
//! executor, timers and the clock, the asyncio combinators, task introspection, and
//! the [`Driver`](driver::Driver) trait through which a loop parks.
//!
//! core depends on no other ferrio crate. It ships a plain thread-parker driver, so
//! CPU and timer work run with no I/O layer at all.
//!
//! ```
//! use std::time::Duration;
//! use ferrio_core::{sleep, spawn, Runtime};
//!
//! let rt = Runtime::new().unwrap();
//! let total = rt.block_on(async {
//!     let a = spawn(async { sleep(Duration::from_millis(5)).await; 1 });
//!     let b = spawn(async { 2 });
//!     a.await.unwrap() + b.await.unwrap()
//! });
//! assert_eq!(total, 3);
//! ```
//!
//! - [`task`]: the task state machine; [`Task`], [`TaskError`], snapshots.
//! - [`runtime`]: [`Runtime`], [`Builder`], [`Handle`]; the loop turn of each
//!   executor is documented in its module.
//! - [`time`]: timers; [`clock`]: the clock seam; [`driver`]: how loops park.
//! - [`spin_lock`]: the short-hold lock of the task registry and the reactor's
//!   readiness slots.

pub mod clock;
pub mod combinators;
pub mod contextvars;
pub mod driver;
mod loom;
mod registry;
pub mod runtime;
pub mod settable;
mod spawn;
pub mod spin_lock;
pub mod task;
pub mod time;

pub use combinators::{
    as_completed, gather, race, select, shield, try_gather, wait, Either, ReturnWhen, TaskGroup,
};

pub use runtime::{
    block_in_place, in_runtime, stats, Builder, EnterGuard, Flavor, Handle, MainCancelled, Metrics,
    PollHook, Runtime, Stats, WorkGuard,
};
pub use spawn::{
    all_tasks, create_task, current_task, spawn, spawn_eager, spawn_local, yield_now, YieldNow,
};
pub use task::{
    catch_cancel, Builder as TaskBuilder, Cancelled, PanicPayload, PanicReport, SharedTask, Task,
    TaskError, TaskHandle, TaskId, TaskOutcome, TaskSnapshot, TaskState,
};
pub use time::{
    interval, interval_at, sleep, sleep_until, timeout, timeout_at, wait_for, Elapsed, Interval,
    Sleep, Timeout,
};
