//! `select` and `race`: the first of two futures to finish wins, the other is dropped;
//! `select_all` and `race_all`: the same over any number of futures of one type.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::future_set::FutureSet;

/// The output of [`select`]: which of the two futures finished first, with its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Either<A, B> {
    /// The first future finished first.
    Left(A),
    /// The second future finished first.
    Right(B),
}

impl<A, B> Either<A, B> {
    /// True if the first future won.
    pub fn is_left(&self) -> bool {
        matches!(self, Either::Left(_))
    }

    /// True if the second future won.
    pub fn is_right(&self) -> bool {
        matches!(self, Either::Right(_))
    }

    /// The first future's output, if it won.
    pub fn left(self) -> Option<A> {
        match self {
            Either::Left(a) => Some(a),
            Either::Right(_) => None,
        }
    }

    /// The second future's output, if it won.
    pub fn right(self) -> Option<B> {
        match self {
            Either::Left(_) => None,
            Either::Right(b) => Some(b),
        }
    }
}

impl<T> Either<T, T> {
    /// The winner's output, when both sides have the same type.
    pub fn into_inner(self) -> T {
        match self {
            Either::Left(value) | Either::Right(value) => value,
        }
    }
}

/// Waits for the first of two futures to finish and returns its output tagged with
/// which one it was; the other future is dropped (cancelled) when `Select` completes.
///
/// Fair: each poll flips a coin to decide which future to poll first, so a future that
/// is always ready cannot starve the other. When both are ready on the same poll, either
/// may win. Pass `&mut future` to keep the loser alive and poll it again later.
///
/// # Examples
///
/// ```
/// use ferrio_core::combinators::{select, Either};
/// # futures_lite::future::block_on(async {
/// let winner = select(std::future::pending::<u8>(), async { "done" }).await;
/// assert_eq!(winner, Either::Right("done"));
/// # });
/// ```
pub fn select<A, B>(a: A, b: B) -> Select<A::IntoFuture, B::IntoFuture>
where
    A: IntoFuture,
    B: IntoFuture,
{
    Select {
        a: Some(a.into_future()),
        b: Some(b.into_future()),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`select`].
    #[must_use = "futures do nothing unless awaited"]
    #[derive(Debug)]
    pub struct Select<A, B> {
        #[pin]
        a: Option<A>,
        #[pin]
        b: Option<B>,
    }
}

impl<A: Future, B: Future> Future for Select<A, B> {
    type Output = Either<A::Output, B::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let (Some(a), Some(b)) = (this.a.as_mut().as_pin_mut(), this.b.as_mut().as_pin_mut())
        else {
            panic!("`Select` polled after it completed");
        };
        let winner = if coin_flip() {
            poll_left_then_right(a, b, cx)
        } else {
            poll_right_then_left(a, b, cx)
        };
        if winner.is_ready() {
            // The loser is cancelled now, not whenever the `Select` itself is dropped.
            this.a.set(None);
            this.b.set(None);
        }
        winner
    }
}

fn poll_left_then_right<A: Future, B: Future>(
    a: Pin<&mut A>,
    b: Pin<&mut B>,
    cx: &mut Context<'_>,
) -> Poll<Either<A::Output, B::Output>> {
    if let Poll::Ready(out) = a.poll(cx) {
        return Poll::Ready(Either::Left(out));
    }
    b.poll(cx).map(Either::Right)
}

fn poll_right_then_left<A: Future, B: Future>(
    a: Pin<&mut A>,
    b: Pin<&mut B>,
    cx: &mut Context<'_>,
) -> Poll<Either<A::Output, B::Output>> {
    if let Poll::Ready(out) = b.poll(cx) {
        return Poll::Ready(Either::Right(out));
    }
    a.poll(cx).map(Either::Left)
}

/// Waits for the first of two futures with the same output type and returns that
/// output; the other is dropped (cancelled). Fair like [`select`].
///
/// # Examples
///
/// ```
/// use ferrio_core::combinators::race;
/// # futures_lite::future::block_on(async {
/// let first = race(std::future::pending(), async { 7 }).await;
/// assert_eq!(first, 7);
/// # });
/// ```
pub fn race<A, B, T>(a: A, b: B) -> Race<A::IntoFuture, B::IntoFuture>
where
    A: IntoFuture<Output = T>,
    B: IntoFuture<Output = T>,
{
    Race {
        inner: select(a, b),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`race`].
    #[must_use = "futures do nothing unless awaited"]
    #[derive(Debug)]
    pub struct Race<A, B> {
        #[pin]
        inner: Select<A, B>,
    }
}

impl<A, B, T> Future for Race<A, B>
where
    A: Future<Output = T>,
    B: Future<Output = T>,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.project().inner.poll(cx).map(Either::into_inner)
    }
}

/// Waits for the first of many futures to finish and returns `(index, output)`:
/// the position of the winner in `futures` and its output; every other future is
/// dropped (cancelled) at that moment. asyncio's `wait(aws, return_when=FIRST_COMPLETED)`
/// keeping only the first, and the N-future form of [`select`].
///
/// Fair: the futures are first polled starting at a random one, and after that in
/// the order they were woken, so when several are ready together any of them may win
/// and none is favoured by its position. Each future has its own waker, so a wake-up
/// polls only the futures that asked (as `gather`). Unlike `futures`'
/// `select_all`, the losers are not handed back: pass `&mut future`s to keep them.
///
/// # Panics
///
/// Panics, at the caller's line, when `futures` is empty: there would be no winner.
///
/// # Examples
///
/// ```
/// use ferrio_core::combinators::select_all;
/// use std::future::{pending, ready, Future};
/// use std::pin::Pin;
///
/// # futures_lite::future::block_on(async {
/// let futures: Vec<Pin<Box<dyn Future<Output = &str>>>> =
///     vec![Box::pin(pending()), Box::pin(ready("second")), Box::pin(pending())];
/// assert_eq!(select_all(futures).await, (1, "second"));
///
/// // An array of futures of one type works as well.
/// async fn after(yields: u32, value: u32) -> u32 {
///     for _ in 0..yields {
///         futures_lite::future::yield_now().await;
///     }
///     value
/// }
/// let (index, n) = select_all([after(5, 10), after(1, 20), after(3, 30)]).await;
/// assert_eq!((index, n), (1, 20));
/// # });
/// ```
#[track_caller]
pub fn select_all<I>(futures: I) -> SelectAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let mut futures: Vec<_> = futures.into_iter().map(IntoFuture::into_future).collect();
    assert!(
        !futures.is_empty(),
        "`select_all`/`race_all` was given no futures; pass at least one"
    );
    // The set polls its futures first in index order: rotate them so that order
    // starts at a random one, and rotate indices back on the way out.
    let offset = random_below(futures.len());
    futures.rotate_left(offset);
    SelectAll {
        set: FutureSet::new(futures),
        offset,
    }
}

/// The future returned by [`select_all`].
#[must_use = "futures do nothing unless awaited"]
pub struct SelectAll<F> {
    set: FutureSet<F>,
    /// Future `i` of the set is future `(i + offset) % len` of the caller.
    offset: usize,
}

// The futures are pinned inside the set's own box.
impl<F> Unpin for SelectAll<F> {}

impl<F: Future> Future for SelectAll<F> {
    type Output = (usize, F::Output);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.set.poll_next(cx) {
            Poll::Ready(Some((index, output))) => {
                // The losers are cancelled now, not whenever `SelectAll` is dropped.
                self.set.clear();
                Poll::Ready(((index + self.offset) % self.set.len(), output))
            }
            Poll::Ready(None) => panic!("`SelectAll` polled after it completed"),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Future> fmt::Debug for SelectAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectAll")
            .field("remaining", &self.set.remaining())
            .finish()
    }
}

/// Waits for the first of many futures to finish and returns its output; every
/// other future is dropped (cancelled). [`select_all`] without the index; fair in
/// the same way.
///
/// # Panics
///
/// Panics, at the caller's line, when `futures` is empty.
///
/// # Examples
///
/// ```
/// use ferrio_core::combinators::race_all;
///
/// # futures_lite::future::block_on(async {
/// let urls = ["mirror-a", "mirror-b", "mirror-c"];
/// let first = race_all(urls.map(|url| async move {
///     if url == "mirror-b" {
///         url // answers at once; the others never do
///     } else {
///         std::future::pending().await
///     }
/// }))
/// .await;
/// assert_eq!(first, "mirror-b");
/// # });
/// ```
#[track_caller]
pub fn race_all<I>(futures: I) -> RaceAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    RaceAll {
        inner: select_all(futures),
    }
}

/// The future returned by [`race_all`].
#[must_use = "futures do nothing unless awaited"]
pub struct RaceAll<F> {
    inner: SelectAll<F>,
}

impl<F: Future> fmt::Debug for RaceAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RaceAll")
            .field("remaining", &self.inner.set.remaining())
            .finish()
    }
}

impl<F: Future> Future for RaceAll<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        Pin::new(&mut self.inner).poll(cx).map(|(_, output)| output)
    }
}

/// A random number in `0..n` (`n > 0`), for the `select!` macro's random start.
#[doc(hidden)]
pub fn random_below(n: usize) -> usize {
    // The modulo bias over a 64-bit draw is negligible for the handful of branches.
    (next_random() % n as u64) as usize
}

/// A cheap per-thread random bit (xorshift64*, seeded from std's random hasher keys).
fn coin_flip() -> bool {
    next_random() >> 63 == 1
}

/// The next number of a per-thread xorshift64* generator seeded from std's random
/// hasher keys.
fn next_random() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u64(0x9e37_79b9_7f4a_7c15);
            hasher.finish() | 1
        });
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}
