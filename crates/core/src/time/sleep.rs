use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::store::TimerKey;
use super::Registered;
use crate::runtime::{context, shared::Shared};

/// Waits until `duration` has passed on the runtime's clock (asyncio's `sleep`).
///
/// Inside a runtime the deadline is measured from now. A sleep created outside any
/// runtime (`ferrio::run(sleep(d))`, or a `wait_for`/`timeout` built before the
/// runtime starts) binds to the runtime that first polls it, and its deadline is
/// measured from that first poll, as asyncio's coroutine measures it when it starts.
///
/// `sleep(Duration::ZERO)` completes at once; to let the other ready tasks run, use
/// [`yield_now`](crate::yield_now) (asyncio's `sleep(0)`).
///
/// # Panics
///
/// When polled outside any runtime, with a message naming the fix (`ferrio::run`)
/// and the line that created the sleep.
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
/// // Created outside the runtime: it binds when the runtime first polls it.
/// let rt = ferrio_core::Runtime::new().unwrap();
/// rt.block_on(ferrio_core::sleep(Duration::from_millis(1)));
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let created = Location::caller();
    match context::try_current() {
        Some(shared) => {
            let now = shared.time.now();
            let deadline = now.checked_add(duration).unwrap_or_else(|| far_future(now));
            Sleep::new(shared, deadline, created)
        }
        None => Sleep {
            shared: None,
            deadline: When::After(duration),
            tick: NO_TICK,
            key: None,
            through_loop: false,
            created,
        },
    }
}

/// Waits until `deadline` on the runtime's clock.
///
/// Outside a runtime, the sleep binds to the runtime that first polls it.
///
/// # Panics
///
/// When polled outside any runtime, with a message naming the fix (`ferrio::run`).
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    let created = Location::caller();
    match context::try_current() {
        Some(shared) => Sleep::new(shared, deadline, created),
        None => Sleep {
            shared: None,
            deadline: When::At(deadline),
            tick: NO_TICK,
            key: None,
            through_loop: false,
            created,
        },
    }
}

/// `Sleep::tick` not computed yet (ticks stop one below it).
const NO_TICK: u64 = u64::MAX;

pub(crate) fn far_future(now: Instant) -> Instant {
    now + Duration::from_secs(86400 * 365 * 30)
}

/// A sleep's deadline: known, or (for a sleep created outside a runtime) relative
/// to the first poll.
#[derive(Debug, Clone, Copy)]
enum When {
    At(Instant),
    After(Duration),
}

/// The future [`sleep`] and [`sleep_until`] return. Dropping it cancels the timer.
pub struct Sleep {
    /// The runtime whose timers this sleep uses; `None` until first polled when it
    /// was created outside a runtime.
    shared: Option<Arc<Shared>>,
    deadline: When,
    /// The deadline in the runtime's ticks, computed when the timer is armed
    /// (`NO_TICK` before): a sleep already due at its first poll never needs it.
    tick: u64,
    key: Option<TimerKey>,
    /// A due deadline still waits for the loop's next look at its timers.
    through_loop: bool,
    created: &'static Location<'static>,
}

impl Sleep {
    pub(crate) fn new(
        shared: Arc<Shared>,
        deadline: Instant,
        created: &'static Location<'static>,
    ) -> Sleep {
        Sleep {
            shared: Some(shared),
            deadline: When::At(deadline),
            tick: NO_TICK,
            key: None,
            through_loop: false,
            created,
        }
    }

    /// Makes the sleep fire only through the runtime's timer queue, even when its
    /// deadline has already passed at the first poll: it then completes at the
    /// loop's next look at its timers, after the tasks and callbacks that were
    /// already ready, and in deadline order with every other due timer. This is how
    /// asyncio's `call_later(0, ..)` / `call_at(now, ..)` behave (a due
    /// `TimerHandle` moves to the ready queue at the next turn); the facade's
    /// `call_later`/`call_at` use it.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// # ferrio_core::Runtime::new().unwrap().block_on(async {
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let (a, b) = (log.clone(), log.clone());
    /// let timer = ferrio_core::spawn(async move {
    ///     ferrio_core::sleep(Duration::ZERO).through_timer_queue().await;
    ///     a.lock().unwrap().push("timer");
    /// });
    /// let ready = ferrio_core::spawn(async move { b.lock().unwrap().push("ready") });
    /// timer.await.unwrap();
    /// ready.await.unwrap();
    /// assert_eq!(*log.lock().unwrap(), ["ready", "timer"]);
    /// # });
    /// ```
    pub fn through_timer_queue(mut self) -> Sleep {
        self.through_loop = true;
        self
    }

    /// When this sleep completes. For a sleep created outside a runtime and not
    /// polled yet, the deadline it would have if first polled now.
    pub fn deadline(&self) -> Instant {
        match (self.deadline, &self.shared) {
            (When::At(t), _) => t,
            (When::After(d), Some(shared)) => {
                let now = shared.time.now();
                now.checked_add(d).unwrap_or_else(|| far_future(now))
            }
            (When::After(d), None) => {
                let now = Instant::now();
                now.checked_add(d).unwrap_or_else(|| far_future(now))
            }
        }
    }

    pub(crate) fn shared_now(&self) -> Instant {
        match &self.shared {
            Some(shared) => shared.time.now(),
            // Only the clock is read: borrow the thread's runtime, no reference count.
            None => context::with_try_current(|s| s.map_or_else(Instant::now, |s| s.time.now())),
        }
    }

    /// Whether the deadline has passed (never, for a sleep not yet bound to a
    /// runtime by its first poll).
    pub fn is_elapsed(&self) -> bool {
        match (&self.shared, self.deadline) {
            (Some(shared), When::At(at)) => shared.time.now() >= at,
            _ => false,
        }
    }

    /// Moves the deadline (the sleep can be awaited again afterwards).
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = When::At(deadline);
        self.disarm();
        self.tick = NO_TICK;
    }

    /// Removes the timer from the store, unless it surely fired already (then the
    /// lock is not needed to find that out).
    fn disarm(&mut self) {
        if let (Some(shared), Some(key)) = (&self.shared, self.key.take()) {
            // A timer armed through the queue may have been armed when already due,
            // so `surely_fired` does not speak for it.
            if self.through_loop || !shared.time.surely_fired(self.tick) {
                shared.time.cancel(key);
            }
        }
    }

    /// Binds the sleep to the runtime of this thread at its first poll.
    fn bind(&mut self) -> &Arc<Shared> {
        if self.shared.is_none() {
            let Some(shared) = context::try_current() else {
                panic!(
                    "a ferrio timer (created at {}) was polled outside a ferrio runtime. \
                     Await it inside one: `ferrio::run(async {{ ... }})` (or \
                     `Runtime::block_on`).",
                    self.created
                );
            };
            let deadline = match self.deadline {
                When::At(t) => t,
                When::After(d) => {
                    let now = shared.time.now();
                    now.checked_add(d).unwrap_or_else(|| far_future(now))
                }
            };
            self.deadline = When::At(deadline);
            self.shared = Some(shared);
        }
        self.shared.as_ref().expect("bound just above")
    }

    /// Polls for the deadline; the `Unpin` form of awaiting.
    pub fn poll_sleep(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.bind();
        // Disjoint borrows of the fields, so the runtime's `Arc` is borrowed, not
        // cloned, on every poll.
        let Sleep {
            shared,
            deadline,
            tick,
            key,
            through_loop,
            ..
        } = self;
        let shared = shared.as_ref().expect("bound just above");
        let time = &shared.time;
        let When::At(at) = *deadline else {
            unreachable!("bound just above");
        };
        if *through_loop {
            // Done exactly when the timer queue fired it (it then left the store).
            if let Some(k) = *key {
                if !time.is_registered(k) {
                    *key = None;
                    return Poll::Ready(());
                }
            }
        } else {
            // The same test as `now_tick() >= tick`, without converting the time.
            if time.now() >= at {
                if let Some(k) = key.take() {
                    // Most often the timer fired: then no lock is needed.
                    if !time.surely_fired(*tick) {
                        time.cancel(k);
                    }
                }
                return Poll::Ready(());
            }
        }
        if *tick == NO_TICK {
            *tick = time.to_tick(at);
        }
        match time.register(key, *tick, cx.waker(), *through_loop) {
            Registered::Armed => Poll::Pending,
            Registered::ArmedUnpark => {
                shared.unpark_driver();
                Poll::Pending
            }
            Registered::Due => Poll::Ready(()),
        }
    }

    /// Whether the timer is registered in the store (test aid).
    #[doc(hidden)]
    pub fn is_registered(&self) -> bool {
        match (&self.shared, self.key) {
            (Some(shared), Some(k)) => shared.time.is_registered(k),
            _ => false,
        }
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
        self.disarm();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .field("registered", &self.key.is_some())
            .finish()
    }
}
