//! The synchronisation primitives the thread pool uses, swapped for loom's under
//! `--cfg loom` so that `tests/loom.rs` can explore every interleaving of submitters,
//! pool threads, awaiters and shutdown.
//!
//! Reference counts stay `std::sync::Arc` (loom's cannot hold a `dyn` job); the
//! state machines live behind these mutexes and condition variables.

#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::thread;

#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use loom::thread;
