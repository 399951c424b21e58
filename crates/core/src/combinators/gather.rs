//! `gather` and `try_gather`: run many futures of one type concurrently, inside the
//! caller's task, and collect their outputs in argument order.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::future_set::FutureSet;

/// Runs every future of `futures` concurrently and returns their outputs in argument
/// order, asyncio's `gather(*aws)`.
///
/// The futures are polled inside the task that awaits the gather (nothing is
/// spawned), each only when its own waker fired, so gathering 10 000 futures costs
/// O(1) per wake-up rather than a sweep over all of them. A future is dropped as soon
/// as it finishes. Dropping the `Gather` drops (cancels) every unfinished future.
///
/// # Errors and asyncio's `return_exceptions`
///
/// `gather` never short-circuits: every future runs to completion. Gathering futures
/// whose output is a `Result` is therefore asyncio's `gather(..., return_exceptions=True)`:
/// each slot of the vector holds that future's `Ok` or `Err`. For asyncio's default
/// (the first error is raised at once, the other tasks keep running) use
/// [`try_gather`] over task handles.
///
/// # Tasks
///
/// Gathering [`Task`](crate::Task)s yields one `Result<T, TaskError>` per task. Dropping
/// the gather drops the handles, which detaches the tasks (they keep running); wrap
/// them in [`CancelOnDrop`](crate::combinators::CancelOnDrop) to cancel them instead.
/// Cancelling the task that awaits the gather cancels every unfinished gathered task,
/// in argument order, with the same message.
///
/// # Examples
///
/// ```
/// use ferrio_core::combinators::gather;
/// # futures_lite::future::block_on(async {
/// let squares = gather((1..=4).map(|n| async move { n * n })).await;
/// assert_eq!(squares, vec![1, 4, 9, 16]);
/// # });
/// ```
pub fn gather<I>(futures: I) -> Gather<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let set = FutureSet::new(futures.into_iter().map(IntoFuture::into_future));
    let outputs = std::iter::repeat_with(|| None).take(set.len()).collect();
    Gather {
        set,
        outputs,
        finished: false,
    }
}

/// The future returned by [`gather`].
#[must_use = "futures do nothing unless awaited"]
pub struct Gather<F: Future> {
    set: FutureSet<F>,
    outputs: Vec<Option<F::Output>>,
    finished: bool,
}

// Outputs are plain values moved out at the end, never pinned; the futures are pinned
// inside the set's own box.
impl<F: Future> Unpin for Gather<F> {}

impl<F: Future> Future for Gather<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.finished, "`Gather` polled after it completed");
        let this = &mut *self;
        let outputs = &mut this.outputs;
        let all_done = this.set.poll_each(cx, |index, output| {
            outputs[index] = Some(output);
            ControlFlow::Continue(())
        });
        if all_done.is_pending() {
            return Poll::Pending;
        }
        this.finished = true;
        Poll::Ready(
            std::mem::take(&mut this.outputs)
                .into_iter()
                .map(|output| output.expect("every gathered future finished"))
                .collect(),
        )
    }
}

impl<F: Future> fmt::Debug for Gather<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("len", &self.set.len())
            .field("remaining", &self.set.remaining())
            .finish()
    }
}

/// Runs every future of `futures` concurrently; returns all their `Ok` values in
/// argument order, or the first `Err` in completion order, asyncio's `gather(*aws)`
/// with its default `return_exceptions=False`.
///
/// On the first `Err` every unfinished future is dropped at once, before the error is
/// returned. Like [`gather`], nothing is spawned.
///
/// For [`Task`](crate::Task)s, dropping a handle only detaches its task, so the other
/// tasks keep running: asyncio's default `gather`. The Rust-native option, where the
/// first failure cancels the other tasks, is
/// [`try_gather_tasks`](crate::combinators::try_gather_tasks) (or handles wrapped in
/// [`CancelOnDrop`](crate::combinators::CancelOnDrop)).
///
/// # Examples
///
/// ```
/// use ferrio_core::combinators::try_gather;
/// # futures_lite::future::block_on(async {
/// let parsed: Result<Vec<u32>, _> = try_gather(["1", "2", "3"].map(|s| async move { s.parse::<u32>() })).await;
/// assert_eq!(parsed, Ok(vec![1, 2, 3]));
///
/// let failed: Result<Vec<u32>, _> = try_gather(["1", "x"].map(|s| async move { s.parse::<u32>() })).await;
/// assert!(failed.is_err());
/// # });
/// ```
pub fn try_gather<I, T, E>(futures: I) -> TryGather<<I::Item as IntoFuture>::IntoFuture, T, E>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    let set = FutureSet::new(futures.into_iter().map(IntoFuture::into_future));
    let outputs = std::iter::repeat_with(|| None).take(set.len()).collect();
    TryGather {
        set,
        outputs,
        finished: false,
    }
}

/// The future returned by [`try_gather`].
#[must_use = "futures do nothing unless awaited"]
pub struct TryGather<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    set: FutureSet<F>,
    outputs: Vec<Option<T>>,
    finished: bool,
}

// Outputs are plain values moved out at the end, never pinned; the futures are pinned
// inside the set's own box.
impl<F, T, E> Unpin for TryGather<F, T, E> where F: Future<Output = Result<T, E>> {}

impl<F, T, E> Future for TryGather<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.finished, "`TryGather` polled after it completed");
        let this = &mut *self;
        let outputs = &mut this.outputs;
        let mut failure = None;
        let stopped = this.set.poll_each(cx, |index, output| match output {
            Ok(value) => {
                outputs[index] = Some(value);
                ControlFlow::Continue(())
            }
            Err(error) => {
                failure = Some(error);
                ControlFlow::Break(())
            }
        });
        if stopped.is_pending() {
            return Poll::Pending;
        }
        this.finished = true;
        if let Some(error) = failure {
            // asyncio's default: the first error wins, the rest are cancelled now.
            this.set.clear();
            this.outputs = Vec::new();
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(std::mem::take(&mut this.outputs)
            .into_iter()
            .map(|output| output.expect("every gathered future finished"))
            .collect()))
    }
}

impl<F, T, E> fmt::Debug for TryGather<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryGather")
            .field("len", &self.set.len())
            .field("remaining", &self.set.remaining())
            .finish()
    }
}
