//! The one place the reactor's lock-free protocols take their synchronisation types
//! from: std's, or loom's under `cfg(loom)` so the models in `loom/models.rs`
//! explore every interleaving of the readiness state ([`Source`]) and of the park
//! state ([`ParkState`]).
//!
//! [`Source`]: crate::source::Source
//! [`ParkState`]: crate::reactor::ParkState

#[cfg(loom)]
pub(crate) use ::loom::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use ::loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(all(test, loom))]
mod models;
