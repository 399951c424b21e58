use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::{sleep_until, Sleep};
use crate::runtime::context;

/// Ticks every `period`; the first tick completes at once.
///
/// If the loop falls behind, missed ticks fire back to back until it catches up, so
/// the average rate stays `period` (tokio's "burst" behaviour).
///
/// # Panics
///
/// If `period` is zero, or outside a runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let mut every = ferrio_core::interval(Duration::from_millis(1));
/// for _ in 0..3 {
///     every.tick().await;
/// }
/// # });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    let now = context::current("ferrio::interval").time.now();
    interval_at(now, period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
///
/// If `period` is zero, or outside a runtime.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(!period.is_zero(), "interval period must be non-zero");
    Interval {
        sleep: sleep_until(start),
        period,
    }
}

/// The timer [`interval`] returns.
#[derive(Debug)]
pub struct Interval {
    sleep: Sleep,
    period: Duration,
}

impl Interval {
    /// Waits for the next tick; returns its scheduled time.
    pub fn tick(&mut self) -> impl Future<Output = Instant> + '_ {
        std::future::poll_fn(move |cx| self.poll_tick(cx))
    }

    /// Polls for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        match self.sleep.poll_sleep(cx) {
            Poll::Ready(()) => {
                let fired = self.sleep.deadline();
                let next = fired
                    .checked_add(self.period)
                    .unwrap_or_else(|| super::sleep::far_future(fired));
                self.sleep.reset(next);
                Poll::Ready(fired)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restarts the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        let now = self.sleep.shared_now();
        self.sleep.reset(now + self.period);
    }
}

impl futures_core::Stream for Interval {
    type Item = Instant;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.poll_tick(cx).map(Some)
    }
}
