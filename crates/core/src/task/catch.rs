//! Catch points: [`catch_cancel`] (asyncio's `try: await aw / except
//! CancelledError:`), [`Cancelled::reraise`] (`raise`), and [`commit`].

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::current::current_header;
use super::error::Cancelled;
use super::header::{COMMITTED, CONFIRMED, DONE, PENDING};
use super::propagate;
use super::shared::{DoneWaiter, TaskShared};

/// Marks a catch point: awaits `future`, but a cancel request that reaches the task
/// while it runs is delivered here as a value instead of dropping the whole task.
///
/// asyncio's
///
/// ```python
/// try:
///     await work()
/// except asyncio.CancelledError:
///     await cleanup()
///     raise
/// ```
///
/// is, in ferrio:
///
/// ```
/// # use ferrio_core::task::catch_cancel;
/// # async fn work() -> u32 { 1 }
/// # async fn cleanup() {}
/// # async fn task_body() -> u32 {
/// match catch_cancel(work()).await {
///     Ok(value) => value,
///     Err(cancelled) => {
///         cleanup().await;
///         cancelled.reraise().await
///     }
/// }
/// # }
/// ```
///
/// On delivery the inner future is dropped (its destructors run; the tasks it was
/// awaiting are cancelled with the same message, and their clean-up finishes first),
/// then the region resolves to `Err(Cancelled)` carrying the request's message. The
/// code after it may `.await` freely: the request was consumed. It then either
/// re-raises ([`Cancelled::reraise`]: the task ends cancelled, or the next region out
/// catches it), or goes on; asyncio's `uncancel()` is
/// [`TaskHandle::uncancel`](crate::TaskHandle::uncancel) on
/// [`TaskHandle::current`](crate::TaskHandle::current), which brings
/// [`cancelling`](crate::TaskHandle::cancelling) back down.
///
/// Regions nest: the innermost one being awaited gets the request. The main future
/// of `block_on` is a task too: a request to it ([`Handle::cancel_task`](crate::Handle::cancel_task),
/// the facade's Ctrl-C) reaches its regions the same way; after a re-raise
/// `try_block_on` gives `Err(MainCancelled)`. A region polled outside any task
/// never receives one. A [`shield`](crate::shield)ed task awaited inside a region
/// is not cancelled by it.
///
/// # Examples
///
/// ```
/// use ferrio_core::task::catch_cancel;
/// use ferrio_core::{spawn, yield_now, Runtime, TaskHandle};
///
/// Runtime::new().unwrap().block_on(async {
///     let task = spawn(async {
///         match catch_cancel(std::future::pending::<()>()).await {
///             Ok(()) => unreachable!(),
///             Err(cancelled) => {
///                 // Clean-up may await.
///                 yield_now().await;
///                 cancelled.reraise::<&str>().await
///             }
///         }
///     });
///     yield_now().await;
///     assert!(task.handle().cancel_with("bye"));
///     let err = task.await.unwrap_err();
///     assert_eq!(err.cancel_message(), Some("bye"));
/// });
/// ```
pub fn catch_cancel<F: Future>(future: F) -> CatchCancel<F> {
    CatchCancel {
        future: Some(future),
        region: None,
        tried: false,
        draining: Vec::new(),
        caught: None,
    }
}

pin_project! {
    /// The future of [`catch_cancel`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct CatchCancel<F> {
        #[pin]
        future: Option<F>,
        region: Option<(Arc<TaskShared>, u64)>,
        tried: bool,
        draining: Vec<DoneWaiter>,
        caught: Option<Cancelled>,
    }

    impl<F> PinnedDrop for CatchCancel<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some((shared, id)) = this.region.take() {
                shared.pop_region(id);
            }
        }
    }
}

impl<F: Future> Future for CatchCancel<F> {
    type Output = Result<F::Output, Cancelled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(caught) = this.caught.as_ref() {
            this.draining
                .retain_mut(|waiter| waiter.poll(cx).is_pending());
            if !this.draining.is_empty() {
                return Poll::Pending;
            }
            return Poll::Ready(Err(caught.clone()));
        }
        if !*this.tried {
            *this.tried = true;
            if let Some(header) = current_header() {
                let shared = header.shared();
                if let Some(id) = shared.push_region(cx.waker()) {
                    *this.region = Some((shared, id));
                }
            }
        }
        if let Some((shared, id)) = this.region.as_ref() {
            if let Some(delivery) = shared.region_check(*id, cx.waker()) {
                *this.region = None;
                let mut inner = this.future.as_mut();
                let ((), cancelled) = propagate::dropping(delivery.message.clone(), || {
                    inner.set(None);
                });
                *this.draining = cancelled;
                *this.caught = Some(Cancelled::from_message(delivery.message));
                return self_poll_again(this.draining, this.caught, cx);
            }
        }
        let Some(inner) = this.future.as_mut().as_pin_mut() else {
            panic!("`CatchCancel` polled after it completed");
        };
        match inner.poll(cx) {
            Poll::Ready(value) => {
                this.future.set(None);
                if let Some((shared, id)) = this.region.take() {
                    shared.pop_region(id);
                }
                Poll::Ready(Ok(value))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

fn self_poll_again<T>(
    draining: &mut Vec<DoneWaiter>,
    caught: &mut Option<Cancelled>,
    cx: &mut Context<'_>,
) -> Poll<Result<T, Cancelled>> {
    draining.retain_mut(|waiter| waiter.poll(cx).is_pending());
    if !draining.is_empty() {
        return Poll::Pending;
    }
    Poll::Ready(Err(caught.clone().expect("set by the caller")))
}

impl<F> fmt::Debug for CatchCancel<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatchCancel")
            .field("registered", &self.region.is_some())
            .field("caught", &self.caught)
            .finish_non_exhaustive()
    }
}

impl Cancelled {
    /// Re-raises a caught cancellation (asyncio's bare `raise` in `except
    /// CancelledError`): the request is pending again with its message, so the next
    /// catch region out receives it, or the task ends cancelled and awaiting it gives
    /// [`TaskError::Cancelled`](crate::TaskError::Cancelled) with this message. The
    /// returned future never resolves; it is generic so it fits any return type.
    ///
    /// # Panics
    ///
    /// When polled outside a task (outside any runtime's `block_on`), which has
    /// nothing to end.
    pub fn reraise<T>(self) -> Reraise<T> {
        Reraise {
            cancelled: Some(self),
            _output: PhantomData,
        }
    }
}

/// The future of [`Cancelled::reraise`]; it never resolves.
#[must_use = "a re-raise does nothing unless awaited"]
pub struct Reraise<T> {
    cancelled: Option<Cancelled>,
    _output: PhantomData<fn() -> T>,
}

impl<T> Unpin for Reraise<T> {}

impl<T> Future for Reraise<T> {
    type Output = T;

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if let Some(cancelled) = self.cancelled.take() {
            let header = current_header().expect(
                "Cancelled::reraise awaited outside a task; await it inside a spawned task",
            );
            header.shared().rearm(cancelled.into_message(), cx.waker());
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for Reraise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reraise")
            .field("cancelled", &self.cancelled)
            .finish()
    }
}

/// Makes the current task refuse cancellation from now on, for work that must not
/// be half done (it is how a callback commits to running). Returns `false`, and
/// changes nothing, when a request is already pending or the task is not a task:
/// the caller should then return at once (the task ends cancelled). After `true`,
/// `cancel()` on the task answers `false` and its value is never lost.
///
/// # Examples
///
/// ```
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let task = ferrio_core::spawn(async {
///     assert!(ferrio_core::task::commit());
///     ferrio_core::yield_now().await;
///     7
/// });
/// ferrio_core::yield_now().await;
/// assert!(!task.cancel());
/// assert_eq!(task.await.unwrap(), 7);
/// # });
/// ```
pub fn commit() -> bool {
    let Some(header) = current_header() else {
        return false;
    };
    let mut cur = header.cancel.load(std::sync::atomic::Ordering::SeqCst);
    loop {
        if cur & DONE != 0 {
            return false;
        }
        if cur & PENDING != 0 {
            // The request wins: the task ends cancelled even though it returns now,
            // so a canceller waiting for this poll hears `true`.
            header
                .cancel
                .fetch_or(CONFIRMED, std::sync::atomic::Ordering::SeqCst);
            return false;
        }
        match header.cancel.compare_exchange_weak(
            cur,
            cur | COMMITTED,
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
        ) {
            Ok(_) => return true,
            Err(actual) => cur = actual,
        }
    }
}
