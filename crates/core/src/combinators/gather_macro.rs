//! `gather!` and `try_gather!`: a fixed tuple of futures of different types.
//!
//! The macros expand to an `async` block that pins one [`MaybeDone`] per future on its
//! own stack (`core::pin::pin!`), so no allocation and no unsafe code is involved.
//! Every wake-up polls each unfinished future once, which suits the handful of
//! futures a tuple holds.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// One future of a `gather!`: running, finished with its output kept, or emptied.
    #[doc(hidden)]
    #[project = MaybeDoneProj]
    #[project_replace = MaybeDoneReplace]
    pub enum MaybeDone<F: Future> {
        Running { #[pin] future: F },
        Done { output: F::Output },
        Taken,
    }
}

impl<F: Future> MaybeDone<F> {
    /// Wraps a future that has not run yet.
    pub fn new(future: F) -> Self {
        MaybeDone::Running { future }
    }

    /// Polls the future if it still runs; `Ready(())` once it has an output.
    pub fn poll_done(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.as_mut().project() {
            MaybeDoneProj::Running { future } => match future.poll(cx) {
                Poll::Ready(output) => {
                    self.set(MaybeDone::Done { output });
                    Poll::Ready(())
                }
                Poll::Pending => Poll::Pending,
            },
            MaybeDoneProj::Done { .. } => Poll::Ready(()),
            MaybeDoneProj::Taken => panic!("`gather!` polled after it completed"),
        }
    }

    /// Moves the output out; the future must have finished.
    pub fn take_output(self: Pin<&mut Self>) -> F::Output {
        match self.project_replace(MaybeDone::Taken) {
            MaybeDoneReplace::Done { output } => output,
            _ => unreachable!("`gather!` takes outputs only once every future finished"),
        }
    }
}

pin_project_lite::pin_project! {
    /// One future of a `try_gather!`: like [`MaybeDone`], but an `Err` output is
    /// handed to the caller at once instead of being kept.
    #[doc(hidden)]
    #[project = TryMaybeDoneProj]
    #[project_replace = TryMaybeDoneReplace]
    pub enum TryMaybeDone<F, T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        Running { #[pin] future: F },
        Done { value: T },
        Taken,
    }
}

impl<F, T, E> TryMaybeDone<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    /// Wraps a future that has not run yet.
    pub fn new(future: F) -> Self {
        TryMaybeDone::Running { future }
    }

    /// Polls the future if it still runs: `Ready(Ok(()))` once it holds an `Ok`
    /// value, `Ready(Err(e))` when it failed (it is then emptied).
    pub fn poll_done(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E>> {
        match self.as_mut().project() {
            TryMaybeDoneProj::Running { future } => match future.poll(cx) {
                Poll::Ready(Ok(value)) => {
                    self.set(TryMaybeDone::Done { value });
                    Poll::Ready(Ok(()))
                }
                Poll::Ready(Err(error)) => {
                    self.set(TryMaybeDone::Taken);
                    Poll::Ready(Err(error))
                }
                Poll::Pending => Poll::Pending,
            },
            TryMaybeDoneProj::Done { .. } => Poll::Ready(Ok(())),
            TryMaybeDoneProj::Taken => panic!("`try_gather!` polled after it completed"),
        }
    }

    /// Moves the `Ok` value out; the future must have succeeded.
    pub fn take_value(self: Pin<&mut Self>) -> T {
        match self.project_replace(TryMaybeDone::Taken) {
            TryMaybeDoneReplace::Done { value } => value,
            _ => unreachable!("`try_gather!` takes values only once every future succeeded"),
        }
    }
}

/// Runs a fixed list of futures of different types concurrently and returns their
/// outputs as a tuple in argument order: `gather!(a, b, c)` is asyncio's
/// `await gather(a, b, c)`.
///
/// Expands to a future; `.await` it. Every future runs to completion (see
/// [`try_gather!`](crate::try_gather!) for short-circuiting on the first `Err`). The futures run inside
/// the awaiting task; nothing is spawned or allocated.
///
/// # Examples
///
/// ```
/// use ferrio_core::gather;
/// # futures_lite::future::block_on(async {
/// let (n, s, unit) = gather!(async { 1 }, async { "two" }, async {}).await;
/// assert_eq!((n, s, unit), (1, "two", ()));
/// # });
/// ```
#[macro_export]
macro_rules! gather {
    ($($future:expr),+ $(,)?) => {
        $crate::__gather_internal!(@collect () () $($future,)+)
    };
}

/// Runs a fixed list of futures whose outputs are `Result<_, E>` (one error type)
/// concurrently; returns `Ok` with a tuple of their values in argument order, or the
/// first `Err`, dropping (cancelling) the futures that have not finished.
///
/// # Examples
///
/// ```
/// use ferrio_core::try_gather;
/// # futures_lite::future::block_on(async {
/// let ok: Result<(u8, &str), String> = try_gather!(async { Ok(1) }, async { Ok("a") }).await;
/// assert_eq!(ok, Ok((1, "a")));
///
/// let failed: Result<(u8, &str), String> =
///     try_gather!(async { Ok(1) }, async { Err("bad".to_string()) }).await;
/// assert_eq!(failed, Err("bad".to_string()));
/// # });
/// ```
#[macro_export]
macro_rules! try_gather {
    ($($future:expr),+ $(,)?) => {
        $crate::__gather_internal!(@try_collect () () $($future,)+)
    };
}

/// Implementation detail of [`gather!`] and [`try_gather!`].
///
/// Each future is paired with a list of `_` as long as its position, so the expansion
/// can reach the k-th element of the tuple of pinned futures with the pattern
/// `(_, .. k times, future, ..)`.
#[doc(hidden)]
#[macro_export]
macro_rules! __gather_internal {
    // Walk the futures, giving each the skip list of its position.
    (@collect ($($skip:tt)*) ($($done:tt)*) $future:expr, $($rest:expr,)*) => {
        $crate::__gather_internal!(
            @collect ($($skip)* _) ($($done)* [($($skip)*) $future]) $($rest,)*
        )
    };
    (@collect ($($skip:tt)*) ($([($($pos:tt)*) $future:expr])*)) => {
        {
            // Built now, so the futures exist (and `spawn` calls in the arguments run)
            // where the macro is written, not at the first poll.
            let futures = ($(
                $crate::combinators::__private::MaybeDone::new(
                    ::core::future::IntoFuture::into_future($future)
                ),
            )*);
            async move {
            let mut futures = ($(
                ::core::pin::pin!({
                    let ($($pos,)* future, ..) = futures;
                    future
                }),
            )*);
            ::core::future::poll_fn(move |cx| {
                let mut all_done = true;
                $(
                    let ($($pos,)* future, ..) = &mut futures;
                    all_done &= future.as_mut().poll_done(cx).is_ready();
                )*
                if !all_done {
                    return ::core::task::Poll::Pending;
                }
                ::core::task::Poll::Ready(($({
                    let ($($pos,)* future, ..) = &mut futures;
                    future.as_mut().take_output()
                },)*))
            })
            .await
            }
        }
    };
    (@try_collect ($($skip:tt)*) ($($done:tt)*) $future:expr, $($rest:expr,)*) => {
        $crate::__gather_internal!(
            @try_collect ($($skip)* _) ($($done)* [($($skip)*) $future]) $($rest,)*
        )
    };
    (@try_collect ($($skip:tt)*) ($([($($pos:tt)*) $future:expr])*)) => {
        {
            // Built now, so the futures exist (and `spawn` calls in the arguments run)
            // where the macro is written, not at the first poll.
            let futures = ($(
                $crate::combinators::__private::TryMaybeDone::new(
                    ::core::future::IntoFuture::into_future($future)
                ),
            )*);
            async move {
            let mut futures = ($(
                ::core::pin::pin!({
                    let ($($pos,)* future, ..) = futures;
                    future
                }),
            )*);
            ::core::future::poll_fn(move |cx| {
                let mut all_done = true;
                $(
                    let ($($pos,)* future, ..) = &mut futures;
                    match future.as_mut().poll_done(cx) {
                        ::core::task::Poll::Ready(::core::result::Result::Err(error)) => {
                            return ::core::task::Poll::Ready(::core::result::Result::Err(error));
                        }
                        ::core::task::Poll::Ready(::core::result::Result::Ok(())) => {}
                        ::core::task::Poll::Pending => all_done = false,
                    }
                )*
                if !all_done {
                    return ::core::task::Poll::Pending;
                }
                ::core::task::Poll::Ready(::core::result::Result::Ok(($({
                    let ($($pos,)* future, ..) = &mut futures;
                    future.as_mut().take_value()
                },)*)))
            })
            .await
            }
        }
    };
}
