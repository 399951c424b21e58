//! asyncio's `Event`.
//!
//! `set` bumps an epoch and releases every parked waiter; a waiter returns when the
//! epoch moved since it parked, so it returns even if the event was cleared again
//! before it ran, as asyncio's do.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::{lock, AtomicBool, Mutex, MutexGuard, Ordering};
use crate::wait_queue::{WaitQueue, WaiterId, Wakers};

/// asyncio's `Event`: a flag that tasks can wait on.
///
/// # Examples
///
/// ```
/// use ferrio_sync::Event;
/// # futures_lite::future::block_on(async {
/// let event = Event::new();
/// assert!(!event.is_set());
/// event.set();
/// event.wait().await;
/// event.clear();
/// assert!(!event.is_set());
/// # });
/// ```
pub struct Event {
    /// Mirrors the flag for lock-free `is_set` and the already-set fast path of
    /// `wait`; written only with `state` locked.
    flag: AtomicBool,
    state: Mutex<State>,
}

struct State {
    epoch: u64,
    waiters: WaitQueue,
}

impl Event {
    /// An event that is not set.
    pub fn new() -> Self {
        Self {
            flag: AtomicBool::new(false),
            state: Mutex::new(State {
                epoch: 0,
                waiters: WaitQueue::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Sets the flag and wakes every waiter. Later waits return at once until
    /// [`clear`](Self::clear).
    pub fn set(&self) {
        if self.flag.load(Ordering::Acquire) {
            return;
        }
        let mut wakers = Wakers::new();
        {
            let mut state = self.state();
            if !self.flag.load(Ordering::Relaxed) {
                self.flag.store(true, Ordering::Release);
                state.epoch = state.epoch.wrapping_add(1);
                state.waiters.drain_all(&mut wakers);
            }
        }
        wakers.wake();
    }

    /// Resets the flag: later waits block until the next [`set`](Self::set).
    pub fn clear(&self) {
        let _state = self.state();
        self.flag.store(false, Ordering::Release);
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Waits until the flag is set; returns at once if it is.
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            wait: None,
        }
    }
}

impl Default for Event {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .finish()
    }
}

/// The future of [`Event::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: &'a Event,
    /// The registration and the epoch it was made in.
    wait: Option<(WaiterId, u64)>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.wait.is_none() && self.event.flag.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        let mut state = self.event.state();
        match self.wait {
            Some((_, epoch)) if epoch != state.epoch => {
                self.wait = None;
                Poll::Ready(())
            }
            Some((id, _)) => {
                state.waiters.update_waker(id, cx.waker());
                Poll::Pending
            }
            None if self.event.flag.load(Ordering::Relaxed) => Poll::Ready(()),
            None => {
                let epoch = state.epoch;
                self.wait = Some((state.waiters.push(cx.waker()), epoch));
                Poll::Pending
            }
        }
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some((id, _)) = self.wait {
            self.event.state().waiters.remove(id);
        }
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait").finish_non_exhaustive()
    }
}
