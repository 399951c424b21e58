//! The clock seam: where a runtime reads the time, and how an idle loop waits for its
//! next timer. [`SystemClock`] is real time; [`VirtualClock`] moves only when told to
//! (or, with auto-advance, jumps to the next timer whenever the loop is idle), so
//! timer-heavy tests run in microseconds and deterministically.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What an idle loop does about its next timer deadline, as its [`Clock`] decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleAction {
    /// Park the driver for at most this long (`None`: until woken).
    Park(Option<Duration>),
    /// The clock moved itself to the deadline: do not park, fire the due timers.
    Advanced,
}

/// A source of time for a runtime, and its policy for idle waits.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Instant;

    /// Called by an idle loop that has nothing to run; `deadline` is its earliest
    /// timer, if any. Real clocks park until the deadline.
    fn idle(&self, deadline: Option<Instant>) -> IdleAction {
        IdleAction::Park(deadline.map(|d| d.saturating_duration_since(self.now())))
    }

    /// Whether the clock jumps to the next deadline when the runtime is idle (then
    /// the multi-thread executor asks it only when every worker sleeps).
    fn advances_when_idle(&self) -> bool {
        false
    }

    /// Registers a callback the clock calls after its time jumps, so a loop parked
    /// on it re-checks its timers. Real clocks never jump and ignore it.
    fn on_advance(&self, unpark: Box<dyn Fn() + Send + Sync>) {
        drop(unpark);
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn idle(&self, deadline: Option<Instant>) -> IdleAction {
        (**self).idle(deadline)
    }
    fn advances_when_idle(&self) -> bool {
        (**self).advances_when_idle()
    }
    fn on_advance(&self, unpark: Box<dyn Fn() + Send + Sync>) {
        (**self).on_advance(unpark)
    }
}

/// Real time: `Instant::now()`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock whose time moves only when advanced: by [`advance`](VirtualClock::advance),
/// or, when built with [`auto_advance`](VirtualClock::auto_advance), by the runtime
/// itself whenever every task waits on timers alone (the deadline is reached at
/// once instead of waited for). Real work holds it: thread-pool and process-pool
/// jobs and child processes started in the runtime, and I/O that is ready; the
/// full rule, and how to hold the clock for I/O that waits on the outside world,
/// is at [`WorkGuard`](crate::WorkGuard).
///
/// Clones share the same time.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use ferrio_core::clock::VirtualClock;
///
/// let clock = VirtualClock::auto_advance();
/// let rt = ferrio_core::Builder::new().clock(clock.clone()).build().unwrap();
/// let real = Instant::now();
/// rt.block_on(async {
///     ferrio_core::sleep(Duration::from_secs(3600)).await;
/// });
/// assert!(real.elapsed() < Duration::from_secs(60));
/// assert!(clock.elapsed() >= Duration::from_secs(3600));
/// ```
#[derive(Clone)]
pub struct VirtualClock {
    inner: Arc<VirtualInner>,
}

struct VirtualInner {
    base: Instant,
    offset_ns: AtomicU64,
    auto: bool,
    listeners: Mutex<Vec<Box<dyn Fn() + Send + Sync>>>,
}

impl VirtualClock {
    /// A clock that moves only through [`advance`](VirtualClock::advance).
    pub fn new() -> VirtualClock {
        Self::with_auto(false)
    }

    /// A clock that also jumps to the next timer whenever the loop is idle.
    pub fn auto_advance() -> VirtualClock {
        Self::with_auto(true)
    }

    fn with_auto(auto: bool) -> VirtualClock {
        VirtualClock {
            inner: Arc::new(VirtualInner {
                base: Instant::now(),
                offset_ns: AtomicU64::new(0),
                auto,
                listeners: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Moves time forward by `by` and wakes the loops using this clock.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .inner
            .offset_ns
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |o| {
                Some(o.saturating_add(by))
            });
        self.notify();
    }

    /// Moves time forward to `to` (no-op when `to` has passed).
    pub fn advance_to(&self, to: Instant) {
        let target = to.saturating_duration_since(self.inner.base);
        let target = u64::try_from(target.as_nanos()).unwrap_or(u64::MAX);
        let prev = self.inner.offset_ns.fetch_max(target, Ordering::AcqRel);
        if target > prev {
            self.notify();
        }
    }

    /// How far this clock has moved since it was created.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.inner.offset_ns.load(Ordering::Acquire))
    }

    fn notify(&self) {
        let listeners = self
            .inner
            .listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for l in listeners.iter() {
            l();
        }
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualClock")
            .field("elapsed", &self.elapsed())
            .field("auto_advance", &self.inner.auto)
            .finish()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        self.inner.base + self.elapsed()
    }

    fn idle(&self, deadline: Option<Instant>) -> IdleAction {
        match deadline {
            Some(d) if self.inner.auto => {
                self.advance_to(d);
                IdleAction::Advanced
            }
            _ => IdleAction::Park(None),
        }
    }

    fn advances_when_idle(&self) -> bool {
        self.inner.auto
    }

    fn on_advance(&self, unpark: Box<dyn Fn() + Send + Sync>) {
        self.inner
            .listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(unpark);
    }
}
