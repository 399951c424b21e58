//! The task being polled on this thread: set for the length of a poll, by the
//! wrapper of a spawned task (`task_future.rs`) and by the main future's poll hooks.

use std::cell::Cell;

use super::header::Header;
use super::snapshot::TaskSnapshot;

/// The header of the task being polled on this thread.
pub(crate) fn current_header() -> Option<&'static Header> {
    CURRENT_TASK
        .try_with(|c| {
            let ptr = c.get();
            // SAFETY: set only during a poll of the task it points to; callers use
            // the reference only within that poll (the `'static` is a lie they must
            // keep: nothing stores it).
            (!ptr.is_null()).then(|| unsafe { &*ptr })
        })
        .ok()
        .flatten()
}

thread_local! {
    pub(super) static CURRENT_TASK: Cell<*const Header> = const { Cell::new(std::ptr::null()) };
}

/// A snapshot of the task being polled on this thread, if any.
pub(crate) fn current_snapshot() -> Option<TaskSnapshot> {
    CURRENT_TASK.with(|c| {
        let ptr = c.get();
        // SAFETY: the pointer is set only for the duration of a poll of the task
        // whose header it points to, and that header outlives the poll.
        (!ptr.is_null()).then(|| unsafe { (*ptr).snapshot() })
    })
}

/// Restores the previous current task when a poll ends, even by unwinding.
pub(super) struct CurrentTaskGuard(pub(super) *const Header);

impl Drop for CurrentTaskGuard {
    fn drop(&mut self) {
        let _ = CURRENT_TASK.try_with(|c| c.set(self.0));
    }
}
