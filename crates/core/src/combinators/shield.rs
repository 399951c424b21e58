//! `shield`: awaiting work without letting the waiter's cancellation reach it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Task, TaskError, TaskId};

/// Protects a task from the cancellation of whoever awaits it, asyncio's
/// `shield(task)`.
///
/// Awaiting the returned [`Shield`] yields the task's result. Dropping the `Shield`
/// unfinished (its waiter was cancelled, a [`select`](super::select) or `timeout`
/// gave up on it, a [`TaskGroup`](super::TaskGroup) aborted) never cancels the task: it
/// keeps running. To pick its result up later, await the shield through a reference
/// (`timeout(d, &mut shield)`, then `shield.await`) or take the handle back with
/// [`Shield::into_task`].
///
/// In ferrio, dropping a plain [`Task`] handle already only detaches the task, so the
/// shield matters where something would otherwise cancel: a plain future (use
/// [`shield_future`], which spawns it), or code that cancels the tasks it is handed
/// ([`CancelOnDrop`](super::CancelOnDrop), [`try_gather_tasks`](super::try_gather_tasks)).
/// A `Shield` offers no `cancel`.
///
/// # Examples
///
/// ```
/// use ferrio_core::{Runtime, spawn, combinators::{shield, select, Either}};
/// # let runtime = Runtime::new().unwrap();
/// runtime.block_on(async {
///     let mut shielded = shield(spawn(async {
///         ferrio_core::yield_now().await;
///         42
///     }));
///     // The waiter gives up at once (as a timeout would); the task is untouched.
///     assert!(matches!(select(&mut shielded, async {}).await, Either::Right(())));
///     assert_eq!(shielded.await.unwrap(), 42);
/// });
/// ```
pub fn shield<T>(task: Task<T>) -> Shield<T> {
    Shield { task }
}

/// Spawns `future` as a task on the current runtime and shields it: dropping the
/// returned [`Shield`] does not cancel the work, which runs to completion.
///
/// # Panics
///
/// Outside a runtime, like [`spawn`](crate::spawn).
///
/// # Examples
///
/// ```
/// use ferrio_core::{Runtime, combinators::shield_future};
/// # let runtime = Runtime::new().unwrap();
/// runtime.block_on(async {
///     let value = shield_future(async { 7 }).await.unwrap();
///     assert_eq!(value, 7);
/// });
/// ```
#[track_caller]
pub fn shield_future<F>(future: F) -> Shield<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    shield(crate::spawn(future))
}

/// A task awaited without exposing it to its waiter's cancellation; see [`shield`].
#[must_use = "dropping a Shield leaves its task running detached"]
pub struct Shield<T> {
    task: Task<T>,
}

impl<T> Shield<T> {
    /// The handle of the shielded task, to await it elsewhere or cancel it explicitly.
    pub fn into_task(self) -> Task<T> {
        self.task
    }

    /// True once the task finished (its result is then ready at once).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// The shielded task's id.
    pub fn id(&self) -> TaskId {
        self.task.id()
    }
}

impl<T> Future for Shield<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let poll = crate::task::propagate::unprobed(|| Pin::new(&mut self.task).poll(cx));
        // Never counts as awaited: a cancellation that drops the shield leaves the
        // task running.
        self.task.unmark_awaited();
        poll
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield")
            .field("id", &self.task.id())
            .field("finished", &self.task.is_finished())
            .finish()
    }
}
