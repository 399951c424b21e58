//! `run_in_executor`: one verb for both pools, as asyncio's `loop.run_in_executor`.

use std::future::Future;

/// A pool that accepts work of type `W` and returns a future of its result.
///
/// [`ThreadPool`](crate::ThreadPool) accepts closures; [`ProcessPool`](crate::ProcessPool)
/// accepts [`JobCall`](crate::JobCall)s (a registered job with its arguments).
pub trait Executor<W> {
    /// What the future resolves to: the work's value or the pool's error.
    type Output;
    /// The future of the work's result.
    type Future: Future<Output = Self::Output>;

    /// Submits `work`; the returned future resolves to its result.
    fn run_in_executor(&self, work: W) -> Self::Future;
}

/// Submits `work` to `executor`, as asyncio's `loop.run_in_executor(executor, func)`.
///
/// # Examples
///
/// ```
/// use ferrio_executor_pool::{run_in_executor, ThreadPool};
///
/// let pool = ThreadPool::new();
/// let value = futures_lite::future::block_on(run_in_executor(&pool, || 6 * 7));
/// assert_eq!(value.unwrap(), 42);
/// ```
pub fn run_in_executor<E, W>(executor: &E, work: W) -> E::Future
where
    E: Executor<W>,
{
    executor.run_in_executor(work)
}
