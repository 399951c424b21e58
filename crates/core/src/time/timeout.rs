use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::sleep::far_future;
use super::{sleep, sleep_until, Sleep};
use crate::task::current::current_header;
use crate::task::header::OUT_CANCELLED;
use crate::task::propagate;
use crate::task::shared::{DoneWaiter, TaskShared};

/// The error of [`timeout`] / [`wait_for`]: the deadline passed first and the inner
/// future was dropped (asyncio's `TimeoutError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> std::io::Error {
        std::io::ErrorKind::TimedOut.into()
    }
}

/// Runs `future` for at most `duration`. On expiry the inner work is cancelled and
/// `Err(Elapsed)` returned once it has finished: the future is dropped (its
/// destructors run), the tasks it was awaiting are cancelled (see
/// [`catch_cancel`](crate::task::catch_cancel)), and their clean-up, awaits
/// included, completes before the timeout resolves (asyncio's `timeout`).
///
/// Inside a task, when the inner work has [`catch_cancel`](crate::task::catch_cancel)
/// regions, expiry is delivered to the innermost of them instead, as asyncio
/// cancels the task: if the work catches it and produces a value, that value is
/// returned; if it re-raises, the timeout gives `Err(Elapsed)` and its caller goes
/// on (the request is taken back, asyncio's `uncancel`).
///
/// Otherwise the tasks the work is awaiting are cancelled at its await (not
/// [`shield`](crate::shield)ed ones) and the timeout waits for them: if every one
/// of them catches the cancellation, takes it back and returns a value, those
/// values flow back into the work, which runs on (with no deadline) and whose value
/// is returned (asyncio 3.12's `wait_for`, `async with timeout(): return await
/// fut`); if one of them ends cancelled, the work is dropped and `Err(Elapsed)`
/// returned.
///
/// # Panics
///
/// Outside a runtime, with a message naming the fix (`ferrio::run`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ferrio_core::{sleep, timeout};
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let slow = timeout(Duration::from_millis(5), sleep(Duration::from_secs(60))).await;
/// assert!(slow.is_err());
/// let fast = timeout(Duration::from_secs(60), async { 1 }).await;
/// assert_eq!(fast, Ok(1));
/// # });
/// ```
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout::new(future, Some(sleep(duration)))
}

/// Runs `future` until `deadline` at most; see [`timeout`].
#[track_caller]
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout::new(future, Some(sleep_until(deadline)))
}

/// A [`Timeout`] with no deadline yet (asyncio's `timeout(None)`): it runs `future`
/// until a deadline is set with [`Timeout::reschedule`].
///
/// # Examples
///
/// ```
/// use std::pin::pin;
/// use std::time::Duration;
/// use ferrio_core::{sleep, time::timeout_none, Handle};
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let mut t = pin!(timeout_none(sleep(Duration::from_secs(60))));
/// assert_eq!(t.when(), None);
/// t.as_mut().reschedule(Some(Handle::current().now() + Duration::from_millis(5)));
/// assert!(t.await.is_err());
/// # });
/// ```
pub fn timeout_none<F: Future>(future: F) -> Timeout<F> {
    Timeout::new(future, None)
}

/// asyncio's `wait_for(aw, timeout)`, with asyncio's argument order: runs `future`
/// for at most `duration`; on expiry cancels it and waits for it to finish, then
/// gives `Err(Elapsed)` (asyncio's `TimeoutError`). Awaiting a [`Task`](crate::Task)
/// this way cancels the task on expiry; if the task catches the cancellation,
/// takes it back and returns a value, `wait_for` returns `Ok` with that value once
/// its clean-up finished. Same as [`timeout`] with its arguments swapped.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ferrio_core::{spawn, wait_for};
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let task = spawn(std::future::pending::<()>());
/// let handle = task.handle();
/// assert!(wait_for(task, Duration::from_millis(5)).await.is_err());
/// assert!(handle.cancelled());
/// # });
/// ```
#[track_caller]
pub fn wait_for<F: Future>(future: F, duration: Duration) -> Timeout<F> {
    timeout(duration, future)
}

pin_project! {
    /// The future of [`timeout`], [`timeout_at`], [`timeout_none`] and [`wait_for`].
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        future: Option<F>,
        sleep: Option<Sleep>,
        // Expired: the tasks the inner work was awaiting, cancelled and awaited.
        draining: Option<Vec<DoneWaiter>>,
        // Catch regions with ids from here on were registered inside the inner work
        // (`None` before the first poll, or outside a task).
        base: Option<u64>,
        // Expired with catch regions inside: the timeout's own region, just outside
        // them, where a re-raised request comes back.
        region: Option<(Arc<TaskShared>, u64)>,
        // Expired: the tasks the inner work awaited, cancelled by the probe and not
        // yet ended; the work is not polled meanwhile (it waits at its await).
        probed: Option<Vec<DoneWaiter>>,
        // One of the probed tasks ended cancelled: the work is then dropped.
        probe_cancelled: bool,
        // Expired, and every probed task suppressed its cancellation: the work runs
        // on, without a deadline, and its value is returned.
        expired: bool,
    }

    impl<F> PinnedDrop for Timeout<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some((shared, id)) = this.region.take() {
                shared.pop_region(id);
                shared.uncancel();
            }
        }
    }
}

impl<F> Timeout<F> {
    fn new(future: F, sleep: Option<Sleep>) -> Self {
        Timeout {
            future: Some(future),
            sleep,
            draining: None,
            base: None,
            region: None,
            probed: None,
            probe_cancelled: false,
            expired: false,
        }
    }

    /// The deadline; for a timeout without one, a point decades away.
    pub fn deadline(&self) -> Instant {
        self.when()
            .unwrap_or_else(|| far_future(crate::runtime::context::coarse_now()))
    }

    /// The deadline, `None` when there is none (asyncio's `Timeout.when()`).
    pub fn when(&self) -> Option<Instant> {
        self.sleep.as_ref().map(Sleep::deadline)
    }

    /// Moves the deadline, or removes it with `None` (asyncio's
    /// `Timeout.reschedule(when)`). A deadline already past expires at the next poll.
    ///
    /// # Panics
    ///
    /// When a deadline is set on a timeout that had none, outside a runtime.
    #[track_caller]
    pub fn reschedule(self: Pin<&mut Self>, when: Option<Instant>) {
        let this = self.project();
        match (when, this.sleep.as_mut()) {
            (None, _) => *this.sleep = None,
            (Some(when), Some(sleep)) => sleep.reset(when),
            (Some(when), None) => *this.sleep = Some(sleep_until(when)),
        }
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(draining) = this.draining.as_mut() {
            draining.retain_mut(|waiter| waiter.poll(cx).is_pending());
            if !draining.is_empty() {
                return Poll::Pending;
            }
            *this.draining = None;
            return Poll::Ready(Err(Elapsed(())));
        }
        if let Some(probed) = this.probed.as_mut() {
            let cancelled = &mut *this.probe_cancelled;
            probed.retain_mut(|waiter| match waiter.poll(cx) {
                Poll::Ready(word) => {
                    *cancelled |= word & OUT_CANCELLED != 0;
                    false
                }
                Poll::Pending => true,
            });
            if !probed.is_empty() {
                return Poll::Pending;
            }
            *this.probed = None;
            if *this.probe_cancelled {
                // The cancellation came back out of the work (asyncio: the
                // `CancelledError` reaches the timeout, which turns it into
                // `TimeoutError`): the work is dropped at its await.
                let mut inner = this.future;
                let ((), drained) = propagate::dropping(None, || inner.set(None));
                *this.draining = Some(drained);
                return self_drain(this.draining, cx);
            }
            // Every awaited task suppressed it: the work goes on with their values.
            *this.expired = true;
        }
        if this.base.is_none() {
            if let Some(header) = current_header() {
                *this.base = Some(header.shared_if_any().map_or(0, TaskShared::region_base));
            }
        }
        if let Some((shared, id)) = this.region.as_ref() {
            // The inner work caught the timeout's request; a re-raise comes back here.
            if let Some(delivery) = shared.region_check(*id, cx.waker()) {
                let shared = shared.clone();
                *this.region = None;
                let mut inner = this.future;
                let ((), drained) =
                    propagate::dropping(delivery.message.clone(), || inner.set(None));
                if shared.uncancel() > 0 {
                    // Another request is outstanding too: it goes on out.
                    shared.rearm(delivery.message, cx.waker());
                    return Poll::Pending;
                }
                *this.draining = Some(drained);
                return self_drain(this.draining, cx);
            }
        }
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("Timeout polled after it completed");
        };
        if let Poll::Ready(v) = future.poll(cx) {
            this.future.set(None);
            if let Some((shared, id)) = this.region.take() {
                // The inner work suppressed the cancellation and produced a value:
                // it is returned (asyncio), and the timeout's request taken back.
                shared.pop_region(id);
                shared.uncancel();
            }
            return Poll::Ready(Ok(v));
        }
        if this.region.is_some() || *this.expired {
            return Poll::Pending;
        }
        let expired = match this.sleep.as_mut() {
            Some(sleep) => sleep.poll_sleep(cx).is_ready(),
            None => false,
        };
        if !expired {
            return Poll::Pending;
        }
        if let (Some(base), Some(header)) = (*this.base, current_header()) {
            if header.shared_if_any().is_some() {
                let shared = header.shared();
                if let Some(id) = shared.cancel_into_regions(base, cx.waker()) {
                    *this.region = Some((shared, id));
                    return Poll::Pending;
                }
            }
        }
        // Cancel the tasks the inner work awaits, at its await: if they all suppress
        // the cancellation, their values flow back into the work (asyncio's
        // `wait_for` on a task that catches and returns).
        let (polled, probed) = propagate::probing(|| match this.future.as_mut().as_pin_mut() {
            Some(future) => future.poll(cx),
            None => unreachable!("checked above"),
        });
        if let Poll::Ready(v) = polled {
            this.future.set(None);
            return Poll::Ready(Ok(v));
        }
        if !probed.is_empty() {
            *this.probed = Some(probed);
            *this.probe_cancelled = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        // Cancel the inner work: tasks it awaits are cancelled, and awaited.
        let mut inner = this.future;
        let ((), drained) = propagate::dropping(None, || inner.set(None));
        if drained.is_empty() {
            return Poll::Ready(Err(Elapsed(())));
        }
        *this.draining = Some(drained);
        self_drain(this.draining, cx)
    }
}

fn self_drain<T>(
    draining: &mut Option<Vec<DoneWaiter>>,
    cx: &mut Context<'_>,
) -> Poll<Result<T, Elapsed>> {
    let list = draining.as_mut().expect("set by the caller");
    list.retain_mut(|waiter| waiter.poll(cx).is_pending());
    if !list.is_empty() {
        return Poll::Pending;
    }
    *draining = None;
    Poll::Ready(Err(Elapsed(())))
}
