//! `as_completed`: the outputs of many futures, in the order they finish.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::future_set::FutureSet;

/// Runs every future of `futures` concurrently and yields their outputs in the order
/// they complete, asyncio's `as_completed(aws)`.
///
/// The result is both a [`Stream`] and a small iterator-like type with an inherent
/// `async fn` [`next`](AsCompleted::next), so no extension trait is needed:
/// `while let Some(out) = stream.next().await { .. }` (asyncio's
/// `for coro in as_completed(aws): out = await coro`). Use
/// [`next_indexed`](AsCompleted::next_indexed) to learn which future finished.
///
/// Like [`gather`](super::gather) the futures run inside the caller's task and each is
/// polled only when woken. Dropping the `AsCompleted` drops (cancels) the futures that
/// have not finished; for [`Task`](crate::Task)s that detaches them.
///
/// asyncio's `as_completed(aws, timeout=t)` is a deadline over the whole iteration:
/// compute it once and wrap each call, `timeout_at(deadline, it.next()).await`, which
/// fails with [`Elapsed`](crate::Elapsed) and leaves the unfinished futures in place.
///
/// # Examples
///
/// ```
/// use ferrio_core::combinators::as_completed;
/// use futures_lite::future::yield_now;
///
/// async fn job(name: &str, polls: usize) -> &str {
///     for _ in 0..polls {
///         yield_now().await;
///     }
///     name
/// }
/// # futures_lite::future::block_on(async {
/// let mut done = as_completed([job("slow", 3), job("fast", 0), job("middle", 1)]);
/// assert_eq!(done.next().await, Some("fast"));
/// assert_eq!(done.next().await, Some("middle"));
/// assert_eq!(done.next().await, Some("slow"));
/// assert_eq!(done.next().await, None);
/// # });
/// ```
pub fn as_completed<I>(futures: I) -> AsCompleted<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    AsCompleted {
        set: FutureSet::new(futures.into_iter().map(IntoFuture::into_future)),
    }
}

/// The stream returned by [`as_completed`].
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<F> {
    set: FutureSet<F>,
}

impl<F: Future> AsCompleted<F> {
    /// Waits for the next future to complete and returns its output; `None` once
    /// every future has been yielded.
    pub async fn next(&mut self) -> Option<F::Output> {
        self.next_indexed().await.map(|(_, output)| output)
    }

    /// Like [`next`](AsCompleted::next), with the position of the finished future in
    /// the original iterator.
    pub async fn next_indexed(&mut self) -> Option<(usize, F::Output)> {
        std::future::poll_fn(|cx| self.set.poll_next(cx)).await
    }

    /// Polls for the next finished future, as `(index, output)`.
    pub fn poll_next_indexed(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, F::Output)>> {
        self.set.poll_next(cx)
    }

    /// How many futures have not been yielded yet.
    pub fn remaining(&self) -> usize {
        self.set.remaining()
    }

    /// True once every future has been yielded.
    pub fn is_empty(&self) -> bool {
        self.set.remaining() == 0
    }
}

// The futures are pinned inside the set's own box.
impl<F> Unpin for AsCompleted<F> {}

impl<F: Future> Stream for AsCompleted<F> {
    type Item = F::Output;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        self.set
            .poll_next(cx)
            .map(|next| next.map(|(_, output)| output))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.set.remaining(), Some(self.set.remaining()))
    }
}

impl<F: Future> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.set.remaining())
            .finish()
    }
}
