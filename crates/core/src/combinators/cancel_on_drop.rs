//! Task handles that cancel their task when dropped, for combinators that drop the
//! losers: `try_gather_tasks`, `select`, `race`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::gather::{try_gather, TryGather};
use crate::{Task, TaskError};

/// A [`Task`] handle that cancels its task when dropped unfinished.
///
/// A plain `Task` handle detaches on drop (asyncio's semantics: the task keeps
/// running). Combinators that drop what they no longer need — [`try_gather`] on the
/// first `Err`, [`select`](super::select)/[`race`](super::race) for the loser, a
/// `timeout` — therefore leave plain tasks running; wrap the handles in `CancelOnDrop`
/// to have those tasks cancelled instead.
///
/// # Examples
///
/// ```
/// use ferrio_core::{Runtime, spawn, combinators::{race, CancelOnDrop}};
/// # let runtime = Runtime::new().unwrap();
/// runtime.block_on(async {
///     let slow = CancelOnDrop::new(spawn(std::future::pending::<u32>()));
///     let fast = CancelOnDrop::new(spawn(async { 1 }));
///     // The slow task is cancelled when `race` drops it.
///     assert_eq!(race(slow, fast).await.unwrap(), 1);
/// });
/// ```
pub struct CancelOnDrop<T> {
    task: Option<Task<T>>,
}

impl<T> CancelOnDrop<T> {
    /// Wraps `task` so that dropping the wrapper cancels it.
    pub fn new(task: Task<T>) -> Self {
        CancelOnDrop { task: Some(task) }
    }

    /// Takes the handle back; dropping it then detaches again.
    pub fn into_task(mut self) -> Task<T> {
        self.task.take().expect("the task is present until dropped")
    }

    /// The wrapped handle.
    pub fn task(&self) -> &Task<T> {
        self.task
            .as_ref()
            .expect("the task is present until dropped")
    }
}

impl<T> From<Task<T>> for CancelOnDrop<T> {
    fn from(task: Task<T>) -> Self {
        CancelOnDrop::new(task)
    }
}

impl<T> Drop for CancelOnDrop<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.cancel();
        }
    }
}

impl<T> Future for CancelOnDrop<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = self
            .task
            .as_mut()
            .expect("the task is present until dropped");
        Pin::new(task).poll(cx)
    }
}

impl<T> fmt::Debug for CancelOnDrop<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelOnDrop")
            .field("id", &self.task.as_ref().map(Task::id))
            .finish()
    }
}

/// [`try_gather`] for tasks that return `Result`: waits for every task's `Ok` value,
/// in argument order; the first failure — a task returning `Err`, panicking or being
/// cancelled — cancels every other task and is returned.
///
/// A [`TaskError`] (panic or cancellation) is converted into `E` with `From`, so `E`
/// is typically your error enum with a `TaskError` variant, or a boxed error. For tasks
/// whose output is not a `Result`, use
/// `try_gather(tasks.into_iter().map(CancelOnDrop::new))`, which fails with the
/// `TaskError` and cancels the rest the same way.
///
/// # Examples
///
/// ```
/// use ferrio_core::{Runtime, spawn, TaskError, combinators::try_gather_tasks};
///
/// #[derive(Debug)]
/// enum Failure { Parse, Task(TaskError) }
/// impl From<TaskError> for Failure {
///     fn from(error: TaskError) -> Self { Failure::Task(error) }
/// }
///
/// # let runtime = Runtime::new().unwrap();
/// runtime.block_on(async {
///     let tasks = ["1", "2", "x"].map(|s| spawn(async move { s.parse::<u32>().map_err(|_| Failure::Parse) }));
///     let result = try_gather_tasks(tasks).await;
///     assert!(matches!(result, Err(Failure::Parse)));
/// });
/// ```
pub fn try_gather_tasks<I, T, E>(tasks: I) -> TryGatherTasks<T, E>
where
    I: IntoIterator<Item = Task<Result<T, E>>>,
    E: From<TaskError>,
{
    TryGatherTasks {
        inner: try_gather(tasks.into_iter().map(|task| FlattenTask {
            task: CancelOnDrop::new(task),
            _error: PhantomData,
        })),
    }
}

/// The future returned by [`try_gather_tasks`].
#[must_use = "futures do nothing unless awaited"]
pub struct TryGatherTasks<T, E: From<TaskError>> {
    inner: TryGather<FlattenTask<T, E>, T, E>,
}

impl<T, E: From<TaskError>> Future for TryGatherTasks<T, E> {
    type Output = Result<Vec<T>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.inner).poll(cx)
    }
}

impl<T, E: From<TaskError>> fmt::Debug for TryGatherTasks<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TryGatherTasks").field(&self.inner).finish()
    }
}

/// A cancel-on-drop task whose `Result<Result<T, E>, TaskError>` is flattened into
/// `Result<T, E>`.
struct FlattenTask<T, E> {
    task: CancelOnDrop<Result<T, E>>,
    _error: PhantomData<fn() -> E>,
}

impl<T, E: From<TaskError>> Future for FlattenTask<T, E> {
    type Output = Result<T, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task)
            .poll(cx)
            .map(|result| result.map_err(E::from).and_then(|inner| inner))
    }
}
