//! `select` and `race`: the first of two futures to finish wins, the other is dropped.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::future::{Future, IntoFuture};
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};

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

/// A cheap per-thread random bit (xorshift64*, seeded from std's random hasher keys).
fn coin_flip() -> bool {
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
        x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 63 == 1
    })
}
