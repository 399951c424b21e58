use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::store::TimerKey;
use crate::runtime::{context, shared::Shared};

/// Waits until `duration` has passed on the runtime's clock (asyncio's `sleep`).
///
/// `sleep(Duration::ZERO)` completes at once; to let the other ready tasks run, use
/// [`yield_now`](crate::yield_now) (asyncio's `sleep(0)`).
///
/// # Panics
///
/// Outside a runtime, with a message naming the fix (`ferrio::run`).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let start = Instant::now();
/// ferrio_core::sleep(Duration::from_millis(10)).await;
/// assert!(start.elapsed() >= Duration::from_millis(10));
/// # });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let shared = context::current("ferrio::sleep");
    let now = shared.time.now();
    let deadline = now.checked_add(duration).unwrap_or_else(|| far_future(now));
    Sleep::new(shared, deadline)
}

/// Waits until `deadline` on the runtime's clock.
///
/// # Panics
///
/// Outside a runtime, with a message naming the fix (`ferrio::run`).
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(context::current("ferrio::sleep_until"), deadline)
}

pub(crate) fn far_future(now: Instant) -> Instant {
    now + Duration::from_secs(86400 * 365 * 30)
}

/// The future [`sleep`] and [`sleep_until`] return. Dropping it cancels the timer.
pub struct Sleep {
    shared: Arc<Shared>,
    deadline: Instant,
    tick: u64,
    key: Option<TimerKey>,
}

impl Sleep {
    pub(crate) fn new(shared: Arc<Shared>, deadline: Instant) -> Sleep {
        let tick = shared.time.to_tick(deadline);
        Sleep {
            shared,
            deadline,
            tick,
            key: None,
        }
    }

    /// When this sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    pub(crate) fn shared_now(&self) -> Instant {
        self.shared.time.now()
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        self.shared.time.now_tick() >= self.tick
    }

    /// Moves the deadline (the sleep can be awaited again afterwards).
    pub fn reset(&mut self, deadline: Instant) {
        if let Some(key) = self.key.take() {
            self.shared.time.cancel(key);
        }
        self.deadline = deadline;
        self.tick = self.shared.time.to_tick(deadline);
    }

    /// Polls for the deadline; the `Unpin` form of awaiting.
    pub fn poll_sleep(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let time = &self.shared.time;
        if time.now_tick() >= self.tick {
            if let Some(key) = self.key.take() {
                time.cancel(key);
            }
            return Poll::Ready(());
        }
        if time.register(&mut self.key, self.tick, cx.waker()) {
            self.shared.unpark_driver();
        }
        Poll::Pending
    }

    /// Whether the timer is registered in the store (test aid).
    #[doc(hidden)]
    pub fn is_registered(&self) -> bool {
        self.key.is_some_and(|k| self.shared.time.is_registered(k))
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_sleep(cx)
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared.time.cancel(key);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.key.is_some())
            .finish()
    }
}
