//! `wait`: block until some or all of a set of tasks finished, asyncio's
//! `wait(aws, timeout=None, return_when=ALL_COMPLETED)`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::future_set::FutureSet;
use super::select::{select, Either};
use crate::{Task, TaskError};

/// When [`wait`] returns, asyncio's `return_when`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReturnWhen {
    /// As soon as any task finished (completed, failed, panicked or was cancelled).
    FirstCompleted,
    /// As soon as any task finished with an exception, or when all finished if none
    /// did. An exception is whatever makes awaiting the task give a [`TaskError`]: a
    /// panic or a cancellation; with [`try_wait`], also an `Err` returned by a
    /// `Task<Result<_, _>>`. (asyncio does not count a cancelled future here; ferrio
    /// does, because awaiting a cancelled task is an error like a panic.)
    FirstException,
    /// When every task finished (the default, as in asyncio).
    #[default]
    AllCompleted,
}

/// The tasks [`wait`] hands back: `done` ones have finished, awaiting them gives their
/// result at once; `pending` ones are still running.
pub type WaitSets<T> = (Vec<Task<T>>, Vec<Task<T>>);

/// Waits until the condition `return_when` holds for `tasks` and returns them split
/// into `(done, pending)`, asyncio's `done, pending = await wait(tasks, return_when=...)`.
///
/// `done` lists finished tasks in the order they finished, `pending` the others in
/// their original order. Awaiting a task from `done` yields its result without
/// waiting. Nothing is cancelled: pending tasks keep running (drop their handles to
/// detach them, or call [`Task::cancel`]). An empty `tasks` returns `(vec![], vec![])`
/// at once. Each task is looked at only when it wakes the waiter, so waiting on
/// thousands of tasks is cheap.
///
/// With [`ReturnWhen::FirstException`], a task counts as having raised when it
/// panicked or was cancelled; use [`try_wait`] for tasks returning `Result` to also
/// count an `Err`. For asyncio's `timeout=`, see [`wait_timeout`].
///
/// # Examples
///
/// ```
/// use ferrio_core::{Runtime, spawn, combinators::{wait, ReturnWhen}};
/// # let runtime = Runtime::new().unwrap();
/// runtime.block_on(async {
///     let quick = spawn(async { 1 });
///     let never = spawn(std::future::pending::<i32>());
///     let (done, pending) = wait([quick, never], ReturnWhen::FirstCompleted).await;
///     assert_eq!((done.len(), pending.len()), (1, 1));
///     for task in done {
///         assert_eq!(task.await.unwrap(), 1);
///     }
///     pending[0].cancel();
/// });
/// ```
pub fn wait<T, I>(tasks: I, return_when: ReturnWhen) -> Wait<T>
where
    I: IntoIterator<Item = Task<T>>,
{
    Wait::new(tasks, return_when, |_| false)
}

/// [`wait`] for tasks that return `Result`: under [`ReturnWhen::FirstException`] an
/// `Err` output counts as an exception too, like a panic or a cancellation.
///
/// # Examples
///
/// ```
/// use ferrio_core::{Runtime, spawn, combinators::{try_wait, ReturnWhen}};
/// # let runtime = Runtime::new().unwrap();
/// runtime.block_on(async {
///     let failing = spawn(async { Err::<u8, &str>("no") });
///     let never = spawn(std::future::pending::<Result<u8, &str>>());
///     let (done, pending) = try_wait([failing, never], ReturnWhen::FirstException).await;
///     assert_eq!((done.len(), pending.len()), (1, 1));
///     pending[0].cancel();
/// });
/// ```
pub fn try_wait<T, E, I>(tasks: I, return_when: ReturnWhen) -> Wait<Result<T, E>>
where
    I: IntoIterator<Item = Task<Result<T, E>>>,
{
    Wait::new(tasks, return_when, Result::is_err)
}

/// [`wait`] with asyncio's `timeout=`: returns `(done, pending)` when `return_when`
/// holds or when `timeout` has passed, whichever comes first. Like asyncio, the
/// timeout is not an error and cancels nothing.
///
/// # Panics
///
/// Outside a runtime (the timeout needs the runtime's timers).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ferrio_core::{Runtime, spawn, combinators::{wait_timeout, ReturnWhen}};
/// # let runtime = Runtime::new().unwrap();
/// runtime.block_on(async {
///     let never = spawn(std::future::pending::<()>());
///     let (done, pending) =
///         wait_timeout([never], ReturnWhen::AllCompleted, Duration::from_millis(10)).await;
///     assert_eq!((done.len(), pending.len()), (0, 1));
///     pending[0].cancel();
/// });
/// ```
pub async fn wait_timeout<T, I>(tasks: I, return_when: ReturnWhen, timeout: Duration) -> WaitSets<T>
where
    I: IntoIterator<Item = Task<T>>,
{
    wait(tasks, return_when).timeout(timeout).await
}

/// The future returned by [`wait`] and [`try_wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T> {
    set: FutureSet<Finished<T>>,
    done: Vec<Task<T>>,
    return_when: ReturnWhen,
    is_error: fn(&T) -> bool,
    finished: bool,
}

impl<T> Wait<T> {
    fn new(
        tasks: impl IntoIterator<Item = Task<T>>,
        return_when: ReturnWhen,
        is_error: fn(&T) -> bool,
    ) -> Self {
        let set = FutureSet::new(tasks.into_iter().map(|task| Finished { task: Some(task) }));
        Wait {
            done: Vec::new(),
            set,
            return_when,
            is_error,
            finished: false,
        }
    }

    /// Stops waiting after `timeout` (asyncio's `timeout=`), returning the sets as they
    /// are then. Same as [`wait_timeout`].
    ///
    /// # Panics
    ///
    /// When awaited outside a runtime.
    pub async fn timeout(mut self, timeout: Duration) -> WaitSets<T> {
        match select(&mut self, crate::sleep(timeout)).await {
            Either::Left(sets) => sets,
            Either::Right(()) => self.take_sets(),
        }
    }

    fn raised(&self, task: &Task<T>) -> bool {
        match task.peek_result() {
            Some(Ok(value)) => (self.is_error)(value),
            Some(Err(TaskError::Cancelled(_) | TaskError::Panicked(_))) => true,
            None => false,
        }
    }

    /// Splits the tasks; like asyncio, every task finished by now counts as done,
    /// including ones whose wake-up has not been seen yet.
    fn take_sets(&mut self) -> WaitSets<T> {
        self.finished = true;
        let mut done = std::mem::take(&mut self.done);
        let mut pending = Vec::new();
        for task in self
            .set
            .take_unfinished()
            .into_iter()
            .filter_map(|f| f.task)
        {
            if task.is_finished() {
                done.push(task);
            } else {
                // Handed back: no longer awaited by this wait.
                let mut task = task;
                task.unmark_awaited();
                pending.push(task);
            }
        }
        (done, pending)
    }
}

// The set pins its futures in its own box; the rest is plain data.
impl<T> Unpin for Wait<T> {}

impl<T> Future for Wait<T> {
    type Output = WaitSets<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<WaitSets<T>> {
        assert!(!self.finished, "`Wait` polled after it completed");
        let this = &mut *self;
        loop {
            match this.set.poll_next(cx) {
                Poll::Ready(Some((_, task))) => {
                    let satisfied = match this.return_when {
                        ReturnWhen::FirstCompleted => true,
                        ReturnWhen::FirstException => this.raised(&task),
                        ReturnWhen::AllCompleted => false,
                    };
                    this.done.push(task);
                    if satisfied {
                        return Poll::Ready(this.take_sets());
                    }
                }
                Poll::Ready(None) => return Poll::Ready(this.take_sets()),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("return_when", &self.return_when)
            .field("done", &self.done.len())
            .field("pending", &self.set.remaining())
            .finish()
    }
}

/// Resolves to its task once the task has finished, leaving the result inside it.
struct Finished<T> {
    task: Option<Task<T>>,
}

impl<T> Future for Finished<T> {
    type Output = Task<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Task<T>> {
        let task = self
            .task
            .as_mut()
            .expect("`Finished` polled after it completed");
        match task.poll_ready(cx) {
            Poll::Ready(()) => Poll::Ready(self.task.take().expect("checked above")),
            Poll::Pending => Poll::Pending,
        }
    }
}
