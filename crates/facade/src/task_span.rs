//! One `tracing` span per task (the `tracing` feature): created at the task's first
//! poll, when its id and name are known, and entered around every poll, so that
//! the events a task emits carry which task emitted them.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

/// The target of the task spans (`ferrio::task=trace` in an `EnvFilter` turns
/// them on).
const TARGET: &str = "ferrio::task";

pin_project! {
    /// A future that runs inside its task's span; see [`task_span`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct TaskSpan<F> {
        #[pin]
        future: F,
        location: &'static Location<'static>,
        // `None` until the first poll, which knows the task's id.
        span: Option<tracing::Span>,
    }
}

impl<F> std::fmt::Debug for TaskSpan<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskSpan")
            .field("location", &self.location)
            .field("span", &self.span)
            .finish_non_exhaustive()
    }
}

/// Wraps `future` so that, spawned as a task, it runs inside a span of its own:
/// `task` (target `ferrio::task`, level TRACE) with the fields `task.id`, `task.name`
/// (empty for an unnamed task) and `loc.file`, `loc.line`, `loc.col` (where this
/// function was called). The span is created at the first poll and entered on each.
///
/// [`spawn`](crate::spawn), [`create_task`](crate::create_task),
/// [`spawn_local`](crate::spawn_local), [`spawn_eager`](crate::spawn_eager),
/// [`Handle::spawn`](crate::Handle::spawn) and the main task of
/// [`run`](crate::run) do this already; wrap a future given to a
/// [`TaskBuilder`](crate::TaskBuilder) or a [`TaskGroup`](crate::TaskGroup) to give
/// it its span too.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let task = ferrio::TaskBuilder::new()
///         .name("worker")
///         .spawn(ferrio::task_span(async { 7 }));
///     assert_eq!(task.await.unwrap(), 7);
/// });
/// ```
#[track_caller]
pub fn task_span<F: Future>(future: F) -> TaskSpan<F> {
    at(future, Location::caller())
}

/// [`task_span`] with the spawn location given.
pub(crate) fn at<F: Future>(future: F, location: &'static Location<'static>) -> TaskSpan<F> {
    TaskSpan {
        future,
        location,
        span: None,
    }
}

impl<F: Future> Future for TaskSpan<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let location = *this.location;
        let span = this.span.get_or_insert_with(|| new_span(location));
        let _entered = span.enter();
        this.future.poll(cx)
    }
}

fn new_span(location: &'static Location<'static>) -> tracing::Span {
    // Polled outside a task (awaited inline), the span still says where it began.
    let task = ferrio_core::current_task();
    let id = task.as_ref().map(|t| t.id.as_u64());
    let name = task.as_ref().and_then(|t| t.name.clone());
    tracing::trace_span!(
        target: TARGET,
        "task",
        task.id = id,
        task.name = name.as_deref(),
        loc.file = location.file(),
        loc.line = location.line(),
        loc.col = location.column(),
    )
}

/// The facade's spawn functions with the `tracing` feature: the core's, with the
/// future in its span.
pub(crate) mod spawn {
    use std::future::Future;
    use std::panic::Location;

    use crate::Task;

    /// Spawns `future` as a task on the current runtime; it starts at once (asyncio's
    /// `create_task`). With the `tracing` feature the task runs inside its span
    /// ([`task_span`](crate::task_span)).
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn<F>(future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        ferrio_core::spawn(super::at(future, Location::caller()))
    }

    /// asyncio's name for [`spawn`].
    #[track_caller]
    pub fn create_task<F>(future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        ferrio_core::create_task(super::at(future, Location::caller()))
    }

    /// Spawns a task that runs its first step at once, inside this call (asyncio's
    /// eager tasks); see [`ferrio_core::spawn_eager`].
    #[track_caller]
    pub fn spawn_eager<F>(future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        ferrio_core::spawn_eager(super::at(future, Location::caller()))
    }

    /// Spawns a `!Send` future on the current thread's loop; see
    /// [`ferrio_core::spawn_local`].
    #[track_caller]
    pub fn spawn_local<F>(future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        ferrio_core::spawn_local(super::at(future, Location::caller()))
    }
}
