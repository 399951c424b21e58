//! A worker's LIFO slot: the one task woken last by the task running on that
//! worker, run next so message ping-pong stays hot in cache. Any worker may take
//! it (stealing); the owner puts into it.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, Ordering};

use async_task::Runnable;

use crate::task::Header;

pub(super) struct LifoSlot(AtomicPtr<()>);

impl LifoSlot {
    pub(super) fn new() -> LifoSlot {
        LifoSlot(AtomicPtr::new(std::ptr::null_mut()))
    }

    /// Takes the task in the slot, if any; any thread may call it.
    pub(super) fn take(&self) -> Option<Runnable<Header>> {
        if self.0.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let ptr = self.0.swap(std::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: a non-null slot holds a pointer from `Runnable::into_raw`, and the
        // swap transferred its ownership to us alone.
        NonNull::new(ptr).map(|p| unsafe { Runnable::from_raw(p) })
    }

    /// Puts `runnable` in the slot; hands back the task it displaced.
    pub(super) fn put(&self, runnable: Runnable<Header>) -> Option<Runnable<Header>> {
        let ptr = runnable.into_raw().as_ptr();
        let old = self.0.swap(ptr, Ordering::AcqRel);
        // SAFETY: as in `take`: the swap handed us the previous occupant.
        NonNull::new(old).map(|p| unsafe { Runnable::from_raw(p) })
    }

    /// The address of the task in the slot (0 when empty), a snapshot to compare
    /// with a later one.
    pub(super) fn peek(&self) -> usize {
        self.0.load(Ordering::Relaxed) as usize
    }

    /// Whether a task waits in the slot (a snapshot).
    pub(super) fn is_occupied(&self) -> bool {
        !self.0.load(Ordering::Acquire).is_null()
    }
}

impl Drop for LifoSlot {
    fn drop(&mut self) {
        drop(self.take());
    }
}
