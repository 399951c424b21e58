//! What introspection shows of a task: its state and a point-in-time snapshot.

use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::TaskId;

/// Where a task is in its life. See the [state machine](crate::task) diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Queued to run.
    Scheduled,
    /// Being polled right now.
    Running,
    /// Waiting to be woken.
    Waiting,
    /// Done: completed, panicked, or cancelled.
    Finished,
}

impl TaskState {
    /// The state in a meta word (`Header::meta`).
    pub(super) fn from_bits(meta: u64) -> TaskState {
        match meta & 0b11 {
            0 => TaskState::Scheduled,
            1 => TaskState::Running,
            2 => TaskState::Waiting,
            _ => TaskState::Finished,
        }
    }
}

/// A point-in-time view of one task, as [`all_tasks`](crate::all_tasks) and
/// [`current_task`](crate::current_task) give it.
///
/// # Examples
///
/// ```
/// use ferrio_core::{current_task, TaskBuilder, TaskState};
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let task = TaskBuilder::new().name("worker").spawn(async {
///     current_task().expect("inside a task")
/// });
/// let snap = task.await.unwrap();
/// assert_eq!(snap.name.as_deref(), Some("worker"));
/// assert_eq!(snap.state, TaskState::Running);
/// assert_eq!(snap.polls, 1);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct TaskSnapshot {
    /// The task's id.
    pub id: TaskId,
    /// The task's name, if it was given one.
    pub name: Option<Arc<str>>,
    /// Its state when the snapshot was taken.
    pub state: TaskState,
    /// Where it was spawned (`#[track_caller]`).
    pub location: &'static Location<'static>,
    /// When it was spawned (to the millisecond).
    pub spawned_at: Instant,
    /// How many times it was polled.
    pub polls: u64,
}

impl TaskSnapshot {
    /// How long ago the task was spawned.
    pub fn age(&self) -> Duration {
        self.spawned_at.elapsed()
    }
}
