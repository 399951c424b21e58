//! Task ids: unique per process, handed out in per-thread blocks so that spawning
//! never contends on one shared counter.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// The id of a task, unique for the life of the process. Displays as `Task-N`, the
/// name asyncio gives an unnamed task.
///
/// # Examples
///
/// ```
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let a = ferrio_core::spawn(async {});
/// let b = ferrio_core::spawn(async {});
/// assert_ne!(a.id(), b.id());
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(NonZeroU64);

const BLOCK: u64 = 1024;
static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);

thread_local! {
    // (next id, end of this thread's block)
    static BLOCK_RANGE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

impl TaskId {
    pub(crate) fn next() -> TaskId {
        let raw = BLOCK_RANGE
            .try_with(|range| {
                let (mut next, mut end) = range.get();
                if next == end {
                    next = NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
                    end = next + BLOCK;
                }
                range.set((next + 1, end));
                next
            })
            // During thread teardown: take a single id from the shared counter.
            .unwrap_or_else(|_| NEXT_BLOCK.fetch_add(1, Ordering::Relaxed));
        TaskId(NonZeroU64::new(raw).expect("task ids start at 1"))
    }

    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskId({})", self.0)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Task-{}", self.0)
    }
}
