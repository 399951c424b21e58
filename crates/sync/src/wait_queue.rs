//! The FIFO list of parked tasks behind every primitive of the crate.
//!
//! Every primitive keeps one or more `WaitQueue`s inside its own `Mutex`, so the list
//! and the resource it guards (items, permits, the event flag) always change together
//! and no wake-up can fall between a check and a registration.
//!
//! Waiters are kept in arrival order. Notifying marks the *oldest* waiter that is not yet
//! notified, so the notified waiters always form a prefix of the list: a waiter is
//! notified exactly when its position is below `notified`. A notified waiter keeps its
//! place until its future observes the notification and removes itself; if the future
//! is dropped first, the primitive sees the removal report `true` and passes the
//! notification to the next waiter. Ids grow monotonically, so a waiter is found by
//! binary search, and the list reuses its buffer: parking allocates nothing once the
//! list has grown to its working size.

use std::collections::VecDeque;
use std::task::Waker;

/// Identifies one registration in a [`WaitQueue`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WaiterId(u64);

#[derive(Debug)]
struct Waiter {
    id: WaiterId,
    /// Taken when the waiter is notified, so the wake-up moves it instead of cloning;
    /// a waiter without a waker always has a wake-up on its way, and its next poll
    /// stores a waker again.
    waker: Option<Waker>,
}

/// A FIFO list of parked tasks whose notified members form a prefix.
#[derive(Debug, Default)]
pub(crate) struct WaitQueue {
    waiters: VecDeque<Waiter>,
    notified: usize,
    next_id: u64,
}

impl WaitQueue {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// How many tasks are parked, notified or not.
    pub(crate) fn len(&self) -> usize {
        self.waiters.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }

    /// How many parked tasks have been notified and not yet taken their turn.
    pub(crate) fn notified(&self) -> usize {
        self.notified
    }

    /// Parks a task at the back of the list.
    pub(crate) fn push(&mut self, waker: &Waker) -> WaiterId {
        let id = WaiterId(self.next_id);
        self.next_id += 1;
        self.waiters.push_back(Waiter {
            id,
            waker: Some(waker.clone()),
        });
        id
    }

    fn position(&self, id: WaiterId) -> Option<usize> {
        self.waiters.binary_search_by_key(&id, |w| w.id).ok()
    }

    /// Whether `id` is still parked.
    pub(crate) fn contains(&self, id: WaiterId) -> bool {
        self.position(id).is_some()
    }

    /// Whether `id` is parked and notified.
    pub(crate) fn is_notified(&self, id: WaiterId) -> bool {
        self.position(id).is_some_and(|pos| pos < self.notified)
    }

    /// Replaces the stored waker of `id` if it would wake a different task.
    pub(crate) fn update_waker(&mut self, id: WaiterId, waker: &Waker) {
        if let Some(pos) = self.position(id) {
            match &mut self.waiters[pos].waker {
                Some(slot) if slot.will_wake(waker) => {}
                slot => *slot = Some(waker.clone()),
            }
        }
    }

    /// Unparks `id`. Returns `None` if it was not parked, else whether it had been
    /// notified (then the caller must pass the notification on).
    pub(crate) fn remove(&mut self, id: WaiterId) -> Option<bool> {
        let pos = self.position(id)?;
        self.waiters.remove(pos);
        let was_notified = pos < self.notified;
        if was_notified {
            self.notified -= 1;
        }
        Some(was_notified)
    }

    /// Notifies the oldest waiter not yet notified. Returns `false` if there was none.
    pub(crate) fn notify_one(&mut self, wakers: &mut Wakers) -> bool {
        match self.waiters.get_mut(self.notified) {
            Some(waiter) => {
                if let Some(waker) = waiter.waker.take() {
                    wakers.push(waker);
                }
                self.notified += 1;
                true
            }
            None => false,
        }
    }

    /// Withdraws every notification not yet taken up: the waiters stay parked, in
    /// order, and the next notification goes to the oldest again.
    pub(crate) fn clear_notified(&mut self) {
        self.notified = 0;
    }

    /// Unparks and wakes every task; each learns why from the primitive's own state.
    pub(crate) fn drain_all(&mut self, wakers: &mut Wakers) {
        self.notified = 0;
        for waiter in self.waiters.drain(..) {
            if let Some(waker) = waiter.waker {
                wakers.push(waker);
            }
        }
    }
}

/// Wakers collected under a lock, to be woken after it is released.
///
/// One waker is kept inline because almost every operation wakes at most one task, so
/// the common case allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Wakers {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl Wakers {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn push(&mut self, waker: Waker) {
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    /// Wakes everything collected. Call it after releasing the lock.
    pub(crate) fn wake(self) {
        if let Some(first) = self.first {
            first.wake();
        }
        for waker in self.rest {
            waker.wake();
        }
    }
}
