//! [`SharedTask`]: a task's value awaited from several places (`T: Clone`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use super::error::Cancelled;
use super::handle::{TaskHandle, TaskOutcome};
use super::shared::DoneWaiter;
use super::{Task, TaskError};

/// A task whose value may be awaited from several places, each getting a clone:
/// asyncio's "many coroutines await the same task". Made by [`Task::shared`].
/// Cloning is cheap; every clone resolves to the same result. A task that did not
/// return a value resolves to `Err` with its [`TaskOutcome`] (the cancel message or
/// the panic message).
///
/// # Examples
///
/// ```
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let shared = ferrio_core::spawn(async { String::from("ready") }).shared();
/// let other = shared.clone();
/// let waiter = ferrio_core::spawn(async move { other.await });
/// assert_eq!(shared.clone().await.unwrap(), "ready");
/// assert_eq!(waiter.await.unwrap().unwrap(), "ready");
/// assert_eq!(shared.await.unwrap(), "ready");
/// # });
/// ```
pub struct SharedTask<T> {
    inner: Arc<Inner<T>>,
    waiter: Option<DoneWaiter>,
}

struct Inner<T> {
    handle: TaskHandle,
    task: Mutex<Option<Task<T>>>,
    result: OnceLock<Result<T, TaskOutcome>>,
}

impl<T> Task<T> {
    /// Makes the value awaitable from several places; see [`SharedTask`].
    pub fn shared(self) -> SharedTask<T>
    where
        T: Clone,
    {
        let handle = self.handle();
        SharedTask {
            inner: Arc::new(Inner {
                handle,
                task: Mutex::new(Some(self)),
                result: OnceLock::new(),
            }),
            waiter: None,
        }
    }
}

impl<T> SharedTask<T> {
    /// A handle to the task, to cancel or inspect it.
    pub fn handle(&self) -> &TaskHandle {
        &self.inner.handle
    }
}

impl<T> Clone for SharedTask<T> {
    fn clone(&self) -> Self {
        SharedTask {
            inner: self.inner.clone(),
            waiter: None,
        }
    }
}

impl<T> Unpin for SharedTask<T> {}

fn outcome_of<T>(result: Result<T, TaskError>) -> Result<T, TaskOutcome> {
    result.map_err(|error| match error {
        TaskError::Cancelled(c) => TaskOutcome::Cancelled(c),
        TaskError::Panicked(p) => TaskOutcome::Panicked(p.message().map(Arc::from)),
    })
}

impl<T: Clone> Future for SharedTask<T> {
    type Output = Result<T, TaskOutcome>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(result) = self.inner.result.get() {
            return Poll::Ready(result.clone());
        }
        {
            let mut task = self.inner.task.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(t) = task.as_mut() {
                // Only the last poller's waker stays with the task itself; the others
                // wait on the handle below.
                if t.poll_ready(cx).is_ready() {
                    let result = t
                        .try_result()
                        .map_or_else(|| Err(TaskOutcome::Cancelled(Cancelled::new())), outcome_of);
                    let _ = self.inner.result.set(result);
                    *task = None;
                }
            }
        }
        if let Some(result) = self.inner.result.get() {
            return Poll::Ready(result.clone());
        }
        let shared = self.inner.handle.shared.clone();
        let waiter = self.waiter.get_or_insert_with(|| DoneWaiter::new(shared));
        if waiter.poll(cx).is_ready() {
            // Ended, but its value is not in the task's slot yet: look again soon.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for SharedTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedTask")
            .field("task", &self.inner.handle)
            .field("ready", &self.inner.result.get().is_some())
            .finish()
    }
}
