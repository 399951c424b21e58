//! [`TaskHandle`]: a reference to a task that anyone may hold, as an asyncio `Task`
//! object is.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::current::current_header;
use super::error::Cancelled;
use super::header::{COUNT_SHIFT, DONE, OUT_CANCELLED, OUT_PANICKED};
use super::shared::{DoneWaiter, TaskShared};
use super::TaskId;

/// A cheap, cloneable, `Send + Sync` reference to a task: cancel it, inspect it, add
/// done callbacks, await its end from as many places as you like. Get one from
/// [`Task::handle`](crate::Task::handle) or [`TaskHandle::current`].
///
/// It does not own the task's value (the [`Task`](crate::Task) does, and awaiting
/// the `Task` takes it), but it tells the outcome at any time, also after the value
/// was taken: [`outcome`](TaskHandle::outcome).
///
/// | asyncio | ferrio |
/// |---|---|
/// | `task.cancel(msg)` | [`cancel_with(msg)`](TaskHandle::cancel_with) (or [`cancel()`](TaskHandle::cancel)) |
/// | `task.cancelled()`, `task.done()` | [`cancelled()`](TaskHandle::cancelled), [`done()`](TaskHandle::done) |
/// | `task.cancelling()`, `task.uncancel()` | [`cancelling()`](TaskHandle::cancelling), [`uncancel()`](TaskHandle::uncancel) |
/// | `task.add_done_callback(cb)` | [`add_done_callback(cb)`](TaskHandle::add_done_callback) |
/// | `await asyncio.wait([task])` | `handle.wait().await` / `(&handle).await` |
/// | `asyncio.current_task()` | [`TaskHandle::current()`](TaskHandle::current) |
///
/// Creating the first handle of a task allocates its shared part (once per task);
/// tasks without handles pay nothing.
///
/// # Examples
///
/// ```
/// use ferrio_core::{spawn, yield_now, Runtime, TaskOutcome};
/// Runtime::new().unwrap().block_on(async {
///     let task = spawn(std::future::pending::<()>());
///     let handle = task.handle();
///     let other = handle.clone();
///     let watcher = spawn(async move { other.wait().await });
///     yield_now().await;
///     assert!(handle.cancel_with("enough"));
///     assert!(task.await.unwrap_err().is_cancelled());
///     assert!(handle.cancelled());
///     assert!(matches!(watcher.await.unwrap(), TaskOutcome::Cancelled(c) if c.message() == Some("enough")));
/// });
/// ```
#[derive(Clone)]
pub struct TaskHandle {
    pub(crate) shared: Arc<TaskShared>,
}

/// How a task ended, as a [`TaskHandle`] tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOutcome {
    /// It returned a value (taken, or waiting, in its [`Task`](crate::Task)).
    Returned,
    /// It was cancelled; the request's message rides along.
    Cancelled(Cancelled),
    /// It panicked; the panic message when it was a string and known.
    Panicked(Option<Arc<str>>),
}

impl TaskHandle {
    /// The handle of the task being polled on this thread (asyncio's
    /// `current_task()`), the main task of `block_on` included; `None` outside any
    /// task.
    pub fn current() -> Option<TaskHandle> {
        current_header().map(|header| TaskHandle {
            shared: header.shared(),
        })
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.shared.id
    }

    /// The task's name, if it was given one.
    pub fn name(&self) -> Option<&str> {
        self.shared.name.as_deref()
    }

    /// Requests cancellation without a message; see [`cancel_with`](TaskHandle::cancel_with).
    pub fn cancel(&self) -> bool {
        self.shared.cancel(None)
    }

    /// Requests cancellation with `message` (asyncio's `task.cancel(msg)`), from any
    /// thread. Answers the truth, like [`Task::cancel`](crate::Task::cancel): `true`
    /// exactly when the request takes effect (the task ends cancelled, or a catch
    /// region receives it); `false` when the task already finished or committed, and
    /// then its value is kept. Each accepted request counts in
    /// [`cancelling`](TaskHandle::cancelling); the latest message wins.
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        self.shared.cancel(Some(message.into()))
    }

    /// Whether the task has ended (returned, panicked or was cancelled).
    pub fn done(&self) -> bool {
        self.shared.word() & DONE != 0
    }

    /// Whether the task ended cancelled.
    pub fn cancelled(&self) -> bool {
        let word = self.shared.word();
        word & DONE != 0 && word & OUT_CANCELLED != 0
    }

    /// How many cancel requests are outstanding (asyncio's `cancelling()`): counted by
    /// accepted `cancel` calls, brought down by [`uncancel`](TaskHandle::uncancel).
    pub fn cancelling(&self) -> u32 {
        self.shared.word() >> COUNT_SHIFT
    }

    /// asyncio's `uncancel()`: one outstanding request fewer; when none remain, a
    /// request not yet delivered is withdrawn. Returns how many remain. Meant for the
    /// task itself after it caught a cancellation and decided to go on.
    pub fn uncancel(&self) -> u32 {
        self.shared.uncancel()
    }

    /// How the task ended; `None` while it runs.
    pub fn outcome(&self) -> Option<TaskOutcome> {
        let word = self.shared.word();
        if word & DONE == 0 {
            return None;
        }
        let inner = self.shared.lock();
        Some(if word & OUT_CANCELLED != 0 {
            TaskOutcome::Cancelled(Cancelled::from_message(inner.message.clone()))
        } else if word & OUT_PANICKED != 0 {
            TaskOutcome::Panicked(inner.panic_message.clone())
        } else {
            TaskOutcome::Returned
        })
    }

    /// Runs `callback` on the runtime once the task has ended, with this handle
    /// (asyncio's `add_done_callback`). Callbacks run in the order they were added,
    /// right when the task ends, before its awaiters resume; one added after the end
    /// runs soon, as a tiny task. A panicking callback is reported on stderr and the
    /// others still run.
    #[track_caller]
    pub fn add_done_callback<F>(&self, callback: F)
    where
        F: FnOnce(&TaskHandle) + Send + 'static,
    {
        self.shared.add_callback(Box::new(callback));
    }

    /// Waits for the task to end and says how; any number of places may wait.
    pub fn wait(&self) -> WaitDone {
        WaitDone {
            handle: self.clone(),
            waiter: DoneWaiter::new(self.shared.clone()),
        }
    }
}

impl IntoFuture for TaskHandle {
    type Output = TaskOutcome;
    type IntoFuture = WaitDone;

    fn into_future(self) -> WaitDone {
        self.wait()
    }
}

impl IntoFuture for &TaskHandle {
    type Output = TaskOutcome;
    type IntoFuture = WaitDone;

    fn into_future(self) -> WaitDone {
        self.wait()
    }
}

impl PartialEq for TaskHandle {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for TaskHandle {}

impl fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("done", &self.done())
            .finish()
    }
}

/// The future of [`TaskHandle::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct WaitDone {
    handle: TaskHandle,
    waiter: DoneWaiter,
}

impl Future for WaitDone {
    type Output = TaskOutcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<TaskOutcome> {
        match self.waiter.poll(cx) {
            Poll::Ready(_) => Poll::Ready(
                self.handle
                    .outcome()
                    .expect("the task is done once its waiter is ready"),
            ),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl fmt::Debug for WaitDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitDone")
            .field("task", &self.handle.id())
            .finish()
    }
}
