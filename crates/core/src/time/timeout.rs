use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::{sleep, sleep_until, Sleep};

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

/// Runs `future` for at most `duration`. On expiry the future is dropped (its
/// destructors run: the work is cancelled) and `Err(Elapsed)` returned.
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
    Timeout {
        future: Some(future),
        sleep: sleep(duration),
    }
}

/// Runs `future` until `deadline` at most; see [`timeout`].
#[track_caller]
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        sleep: sleep_until(deadline),
    }
}

/// asyncio's name for [`timeout`]: `wait_for(duration, future)`.
#[track_caller]
pub fn wait_for<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    timeout(duration, future)
}

pin_project! {
    /// The future of [`timeout`], [`timeout_at`] and [`wait_for`].
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        future: Option<F>,
        sleep: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("Timeout polled after it completed");
        };
        if let Poll::Ready(v) = future.poll(cx) {
            this.future.set(None);
            return Poll::Ready(Ok(v));
        }
        match this.sleep.poll_sleep(cx) {
            Poll::Ready(()) => {
                this.future.set(None);
                Poll::Ready(Err(Elapsed(())))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
