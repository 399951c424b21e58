//! The synchronisation primitives of the thread parker, swapped for loom's under
//! `cfg(loom)` so `tests/loom.rs` can explore every interleaving of park/unpark.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicUsize;
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::AtomicUsize;
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex};
