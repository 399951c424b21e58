//! The one place the reactor's lock-free protocols take their synchronisation types
//! from: std's, or loom's under `cfg(loom)` so the models in `loom/models.rs`
//! explore every interleaving of the readiness state ([`Source`]) and of the park
//! state ([`ParkState`]). A source's waker slots sit behind ferrio-core's
//! `SpinLock`, which is built on loom's atomics too under `cfg(loom)`.
//!
//! [`Source`]: crate::source::Source
//! [`ParkState`]: crate::reactor::ParkState

#[cfg(loom)]
pub(crate) use ::loom::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

#[cfg(all(test, loom))]
mod models;
