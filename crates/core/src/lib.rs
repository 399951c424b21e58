//! ferrio-core: tasks, the single-thread loop, the multi-thread work-stealing
//! executor, timers and the clock, the asyncio combinators, task introspection, and
//! the [`Driver`](driver::Driver) trait through which a loop parks.
//!
//! core depends on no other ferrio crate. It ships a plain thread-parker driver, so
//! CPU and timer work run with no I/O layer at all.

pub mod combinators;
pub mod driver;
