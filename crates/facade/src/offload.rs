//! asyncio's `to_thread` and `run_in_executor`, runtime-aware: while a job runs,
//! the runtime that started it counts it as work in flight, so a self-advancing
//! virtual clock waits for its real result instead of jumping past a `wait_for`;
//! and a thread-pool job runs in a copy of the caller's context variables (as
//! asyncio's `to_thread` copies `contextvars`; a process-pool job cannot carry
//! them, as in asyncio).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrio_core::contextvars::Context as VarContext;
use ferrio_executor_pool::{Executor, ProcessPool, ThreadJob, ThreadPool};
use pin_project_lite::pin_project;

pin_project! {
    /// The future of [`to_thread`] and [`run_in_executor`]: the pool's own future,
    /// plus the runtime's [`WorkGuard`](crate::core::WorkGuard) while the job is
    /// in flight (dropped once the result is taken or the future is dropped).
    #[must_use = "futures do nothing unless awaited"]
    pub struct InFlight<F> {
        #[pin]
        job: F,
        guard: Option<ferrio_core::WorkGuard>,
    }
}

impl<F> InFlight<F> {
    fn new(job: F) -> InFlight<F> {
        InFlight {
            job,
            guard: ferrio_core::Handle::try_current().map(|h| h.work_guard()),
        }
    }

    /// The pool's own future of the job.
    pub fn get_ref(&self) -> &F {
        &self.job
    }

    /// The pool's own future of the job; the runtime no longer counts it as work in
    /// flight (a virtual clock may jump while it runs).
    pub fn into_inner(self) -> F {
        self.job
    }
}

impl<F: Future> Future for InFlight<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let out = this.job.poll(cx);
        if out.is_ready() {
            this.guard.take();
        }
        out
    }
}

impl<F> fmt::Debug for InFlight<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InFlight")
            .field("in_flight", &self.guard.is_some())
            .finish_non_exhaustive()
    }
}

/// Runs the blocking closure `f` on the default thread pool, as asyncio's
/// `to_thread`; the loop keeps running while it blocks. `f` runs in a copy of the
/// caller's [context variables](crate::contextvars). Inside a runtime the job
/// counts as work in flight (a virtual clock does not jump while it runs).
/// Callable outside any runtime too (then nothing is held).
///
/// # Errors
///
/// The future resolves to
/// [`ThreadPoolError::Panicked`](crate::executor_pool::ThreadPoolError) when `f`
/// panics.
///
/// # Examples
///
/// ```
/// let answer = ferrio::run(async { ferrio::to_thread(|| 6 * 7).await.unwrap() });
/// assert_eq!(answer, 42);
/// ```
pub fn to_thread<F, T>(f: F) -> InFlight<ThreadJob<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let mut vars = VarContext::copy_current();
    InFlight::new(ferrio_executor_pool::to_thread(move || vars.run(f)))
}

/// A pool [`run_in_executor`] submits to: [`ThreadPool`] (closures, run in a copy
/// of the caller's context variables) and [`ProcessPool`] (registered jobs).
pub trait OffloadExecutor<W> {
    /// The pool's future of the job's result.
    type Future: Future;

    /// Submits `work`.
    fn offload(&self, work: W) -> Self::Future;
}

impl<F, T> OffloadExecutor<F> for ThreadPool
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    type Future = ThreadJob<T>;

    fn offload(&self, work: F) -> ThreadJob<T> {
        let mut vars = VarContext::copy_current();
        ThreadPool::run_in_executor(self, move || vars.run(work))
    }
}

impl<W> OffloadExecutor<W> for ProcessPool
where
    ProcessPool: Executor<W>,
{
    type Future = <ProcessPool as Executor<W>>::Future;

    fn offload(&self, work: W) -> Self::Future {
        Executor::run_in_executor(self, work)
    }
}

/// Submits `work` to `executor` (a [`ThreadPool`] or a [`ProcessPool`]), as
/// asyncio's `loop.run_in_executor(executor, func)`. Inside a runtime the job
/// counts as work in flight, as for [`to_thread`]; a thread-pool job runs in a copy
/// of the caller's context variables. (For another [`Executor`], use
/// [`executor_pool::run_in_executor`](crate::executor_pool::run_in_executor).)
///
/// # Examples
///
/// ```
/// let pool = ferrio::ThreadPool::new();
/// let seven = ferrio::run(async { ferrio::run_in_executor(&pool, || 7).await.unwrap() });
/// assert_eq!(seven, 7);
/// ```
pub fn run_in_executor<E, W>(executor: &E, work: W) -> InFlight<E::Future>
where
    E: OffloadExecutor<W>,
{
    InFlight::new(executor.offload(work))
}
