//! Timers owned by the loop, as in asyncio's `BaseEventLoop`: [`sleep`],
//! [`sleep_until`], [`interval`], and [`timeout`] / [`timeout_at`] / [`wait_for`].
//!
//! Each runtime keeps one timer store (an indexed heap for near deadlines, O(log n)
//! insert and cancel, and coarse buckets for those more than about a second out,
//! O(1) insert and cancel: see `store`) and reads time from its clock
//! ([`crate::clock::Clock`]), so a virtual clock drives every timer in tests. A
//! `Sleep` registers its deadline on first poll and removes it when dropped, or
//! completes without touching the store when the timer already fired.

mod interval;
mod sleep;
pub(crate) mod store;
mod timeout;

use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

pub use interval::{interval, interval_at, Interval};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, timeout_none, wait_for, Elapsed, Timeout};

use crate::clock::Clock;
use crate::loom::{AtomicU64, Mutex, MutexGuard, Ordering};
use store::{TimerKey, TimerStore};

/// Marks "no deadline" in the parked-until slot and the earliest-deadline cache.
const NONE: u64 = u64::MAX;

pub(crate) struct TimeShared {
    pub(crate) clock: Arc<dyn Clock>,
    base: Instant,
    inner: Mutex<Inner>,
    /// Earliest deadline in ticks (`NONE` when empty): lets the loop skip the lock.
    next: AtomicU64,
    /// A time (in ticks) by which every timer was fired: a pass of `fire_due` left
    /// none due at it, and a sleep registering later with a deadline at or before
    /// it is refused as due. So a sleep whose deadline is at or before it finds its
    /// timer gone without taking the lock.
    fired_through: AtomicU64,
}

/// What [`TimeShared::register`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Registered {
    /// Armed (or its waker updated).
    Armed,
    /// Armed, earlier than the deadline the parked driver waits for: wake it.
    ArmedUnpark,
    /// Not armed: the deadline is already past `fired_through`.
    Due,
}

struct Inner {
    store: TimerStore,
    /// The deadline the driver is parked until (`NONE`: parked with no deadline),
    /// or `None` when nobody is parked.
    parked_until: Option<u64>,
}

impl TimeShared {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> TimeShared {
        let base = clock.now();
        TimeShared {
            clock,
            base,
            inner: Mutex::new(Inner {
                store: TimerStore::new(),
                parked_until: None,
            }),
            next: AtomicU64::new(NONE),
            fired_through: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    pub(crate) fn to_tick(&self, t: Instant) -> u64 {
        let nanos = t.saturating_duration_since(self.base).as_nanos();
        u64::try_from(nanos).unwrap_or(NONE - 1).min(NONE - 1)
    }

    fn to_instant(&self, tick: u64) -> Instant {
        self.base
            .checked_add(Duration::from_nanos(tick))
            .unwrap_or(self.base)
    }

    pub(crate) fn now_tick(&self) -> u64 {
        self.to_tick(self.clock.now())
    }

    fn publish_next(&self, inner: &Inner) {
        self.next
            .store(inner.store.peek().unwrap_or(NONE), Ordering::Release);
    }

    /// Registers (or re-registers) a timer. `through_queue`: arm it even when it
    /// is already due (it then fires at the next pass), instead of answering `Due`.
    pub(crate) fn register(
        &self,
        key: &mut Option<TimerKey>,
        tick: u64,
        waker: &Waker,
        through_queue: bool,
    ) -> Registered {
        let mut inner = self.lock();
        if let Some(k) = *key {
            if inner.store.set_waker(k, waker) {
                return Registered::Armed;
            }
        }
        if !through_queue && tick <= self.fired_through.load(Ordering::Relaxed) {
            *key = None;
            return Registered::Due;
        }
        *key = Some(inner.store.insert(tick, waker.clone()));
        self.publish_next(&inner);
        match inner.parked_until {
            Some(until) if tick < until => {
                inner.parked_until = None;
                Registered::ArmedUnpark
            }
            _ => Registered::Armed,
        }
    }

    /// Whether a timer registered with `tick` (not through the queue) has surely
    /// fired, so it need not be cancelled.
    #[inline]
    pub(crate) fn surely_fired(&self, tick: u64) -> bool {
        tick <= self.fired_through.load(Ordering::Acquire)
    }

    pub(crate) fn cancel(&self, key: TimerKey) {
        let waker = {
            let mut inner = self.lock();
            let w = inner.store.remove(key);
            if w.is_some() {
                self.publish_next(&inner);
            }
            w
        };
        drop(waker);
    }

    pub(crate) fn is_registered(&self, key: TimerKey) -> bool {
        self.lock().store.contains(key)
    }

    /// Whether a timer is due at `now_tick` (lock-free check).
    #[inline]
    pub(crate) fn has_timers(&self) -> bool {
        self.next.load(Ordering::Acquire) != NONE
    }

    /// Fires every due timer. Returns how many fired.
    pub(crate) fn fire_due(&self) -> usize {
        let next = self.next.load(Ordering::Acquire);
        if next == NONE {
            return 0;
        }
        let now = self.now_tick();
        if next > now {
            return 0;
        }
        let mut fired = 0;
        let mut batch: Vec<Waker> = Vec::new();
        loop {
            {
                let mut inner = self.lock();
                let mut drained = false;
                while batch.len() < 256 {
                    match inner.store.pop_due(now) {
                        Some((_, w)) => batch.push(w),
                        None => {
                            drained = true;
                            break;
                        }
                    }
                }
                if drained {
                    // Under the lock, after the pops, so that a registration
                    // either came before them or sees the new value.
                    self.fired_through.fetch_max(now, Ordering::Release);
                }
                self.publish_next(&inner);
            }
            if batch.is_empty() {
                return fired;
            }
            fired += batch.len();
            let full = batch.len() == 256;
            for w in batch.drain(..) {
                w.wake();
            }
            if !full {
                return fired;
            }
        }
    }

    /// The earliest deadline, and marks the driver as parked until it. Pair with
    /// [`unparked`](TimeShared::unparked).
    pub(crate) fn parking(&self) -> Option<Instant> {
        let mut inner = self.lock();
        let next = inner.store.peek();
        inner.parked_until = Some(next.unwrap_or(NONE));
        next.map(|t| self.to_instant(t))
    }

    pub(crate) fn unparked(&self) {
        self.lock().parked_until = None;
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().store.len()
    }

    /// Drops every timer's waker (shutdown).
    pub(crate) fn clear(&self) {
        let wakers = {
            let mut inner = self.lock();
            let w = inner.store.clear();
            self.publish_next(&inner);
            w
        };
        drop(wakers);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    //! A sleep that finds its deadline at or before `fired_through` skips its
    //! cancel: however its registration and a pass of `fire_due` interleave, its
    //! timer is then gone from the store, and a registration refused as due is one
    //! that pass would have fired.

    use std::sync::Arc;
    use std::task::Waker;
    use std::time::Duration;

    use loom::thread;

    use super::{Registered, TimeShared};
    use crate::clock::VirtualClock;

    #[test]
    fn loom_a_timer_surely_fired_is_gone_from_the_store() {
        loom::model(|| {
            let clock = VirtualClock::new();
            let time = Arc::new(TimeShared::new(Arc::new(clock.clone())));
            clock.advance(Duration::from_nanos(10));
            let tick = time.now_tick();
            // Due too, so the pass takes the lock whenever it runs.
            let mut earlier = None;
            time.register(&mut earlier, tick - 5, Waker::noop(), false);
            let firing = {
                let time = time.clone();
                thread::spawn(move || time.fire_due())
            };
            let mut key = None;
            let registered = time.register(&mut key, tick, Waker::noop(), false);
            let seen_fired = time.surely_fired(tick);
            match (registered, key) {
                (Registered::Due, None) => assert!(seen_fired),
                (Registered::Armed | Registered::ArmedUnpark, Some(k)) => {
                    if seen_fired {
                        assert!(!time.is_registered(k));
                    }
                }
                other => panic!("inconsistent registration {other:?}"),
            }
            let fired = firing.join().unwrap();
            // Armed before the pass: it fired then; refused: the pass was over.
            let expected = if registered == Registered::Due { 1 } else { 2 };
            assert_eq!(fired, expected);
            assert!(time.surely_fired(tick));
            assert_eq!(time.len(), 0);
        });
    }
}
