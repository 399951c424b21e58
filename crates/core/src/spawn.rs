//! Spawning and introspection from inside a runtime: [`spawn`] (asyncio's
//! `create_task`), [`spawn_local`], [`yield_now`] (asyncio's `sleep(0)`),
//! [`all_tasks`] and [`current_task`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::runtime::context;
use crate::task::{Builder, Task, TaskSnapshot};

/// Spawns `future` as a new task on the runtime running on this thread; it starts
/// running concurrently at once. Await the returned [`Task`] for its value; dropping
/// the `Task` detaches it (the task keeps running).
///
/// # Panics
///
/// Outside a runtime, with a message naming the fix (`ferrio::run`).
///
/// # Examples
///
/// ```
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let task = ferrio_core::spawn(async { "done" });
/// assert_eq!(task.await.unwrap(), "done");
/// # });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Builder::new().spawn(future)
}

/// asyncio's name for [`spawn`].
#[track_caller]
pub fn create_task<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Builder::new().spawn(future)
}

/// Spawns `future` as an eager task (asyncio's `eager_task_factory`, for one
/// spawn): its first step runs at once, inside this call, whatever the runtime's
/// default; see [`Builder::eager_tasks`](crate::Builder::eager_tasks) for the
/// ordering this brings.
///
/// # Panics
///
/// Outside a runtime, with a message naming the fix (`ferrio::run`).
///
/// # Examples
///
/// ```
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let task = ferrio_core::spawn_eager(async { 5 });
/// assert!(task.is_finished(), "done before spawn_eager returned");
/// assert_eq!(task.await.unwrap(), 5);
/// # });
/// ```
#[track_caller]
pub fn spawn_eager<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = std::panic::Location::caller();
    context::with_current(
        |rt| rt.spawn_with(future, None, location, true),
        "ferrio::spawn_eager",
    )
}

/// Spawns a `!Send` future on the single-thread loop running on this thread.
///
/// # Panics
///
/// Outside a single-thread loop (including on a multi-thread runtime).
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let shared = Rc::new(5);
/// let task = ferrio_core::spawn_local(async move { *shared + 1 });
/// assert_eq!(task.await.unwrap(), 6);
/// # });
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Builder::new().spawn_local(future)
}

/// Lets every other ready task run once before the caller resumes (asyncio's
/// `await asyncio.sleep(0)`).
///
/// # Examples
///
/// ```
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// ferrio_core::yield_now().await;
/// # });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Snapshots of every live task of the runtime running on this thread, by id.
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let t = ferrio_core::spawn(std::future::pending::<()>());
/// assert!(ferrio_core::all_tasks().iter().any(|s| s.id == t.id()));
/// t.cancel();
/// # });
/// ```
#[track_caller]
pub fn all_tasks() -> Vec<TaskSnapshot> {
    context::with_current(|rt| rt.registry.snapshots(), "ferrio::all_tasks")
}

/// A snapshot of the task being polled on this thread, the main future of
/// `block_on` included (it is a task); `None` outside any task (in a destructor run
/// at shutdown, or on a thread that runs no runtime).
pub fn current_task() -> Option<TaskSnapshot> {
    crate::task::current::current_snapshot()
}
