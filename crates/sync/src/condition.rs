//! asyncio's `Condition`, bound to the lock it owns, which here guards a value.
//!
//! A waiter parks itself in the notification list *before* it unlocks, and `notify`
//! can only be called with the lock held, so no notification falls between the two.
//! A waiter dropped after it was notified passes the notification to the next one
//! (asyncio 3.13 does the same; a spare wake-up is allowed, a lost one is not).

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::lock::{Mutex, MutexGuard};
use crate::loom::{lock, Mutex as StateMutex};
use crate::wait_queue::{WaitQueue, WaiterId, Wakers};

/// asyncio's `Condition`: waits for a notification, with its lock released meanwhile.
///
/// The lock guards a value of type `T` (`()` for asyncio's plain form), reached through
/// the [`ConditionGuard`].
///
/// # Examples
///
/// ```
/// use ferrio_sync::Condition;
/// use std::sync::Arc;
/// # futures_lite::future::block_on(async {
/// let ready = Arc::new(Condition::new(false));
/// let setter = Arc::clone(&ready);
/// let waiter = async {
///     let guard = ready.lock().await.wait_for(|ready| *ready).await;
///     assert!(*guard);
/// };
/// let notifier = async move {
///     let mut guard = setter.lock().await;
///     *guard = true;
///     guard.notify_all();
/// };
/// futures_lite::future::zip(waiter, notifier).await;
/// # });
/// ```
pub struct Condition<T: ?Sized = ()> {
    waiters: StateMutex<WaitQueue>,
    mutex: Mutex<T>,
}

impl<T> Condition<T> {
    /// A condition whose lock guards `value`.
    pub fn new(value: T) -> Self {
        Self {
            waiters: StateMutex::new(WaitQueue::new()),
            mutex: Mutex::new(value),
        }
    }

    /// The value, consuming the condition.
    pub fn into_inner(self) -> T {
        self.mutex.into_inner()
    }
}

impl<T: ?Sized> Condition<T> {
    /// Waits for the condition's lock (asyncio's `acquire`, or `async with cond`).
    pub async fn lock(&self) -> ConditionGuard<'_, T> {
        ConditionGuard {
            condition: self,
            guard: self.mutex.lock().await,
        }
    }

    /// Takes the lock if it is free and nobody is waiting for it.
    pub fn try_lock(&self) -> Option<ConditionGuard<'_, T>> {
        self.mutex.try_lock().map(|guard| ConditionGuard {
            condition: self,
            guard,
        })
    }

    /// Whether the lock is held.
    pub fn locked(&self) -> bool {
        self.mutex.locked()
    }

    fn notify(&self, n: usize) {
        let mut wakers = Wakers::new();
        {
            let mut waiters = lock(&self.waiters);
            for _ in 0..n {
                if !waiters.notify_one(&mut wakers) {
                    break;
                }
            }
        }
        wakers.wake();
    }
}

impl<T: ?Sized> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &self.locked())
            .field("waiters", &lock(&self.waiters).len())
            .finish()
    }
}

/// The held lock of a [`Condition`]: reaches the value, waits, notifies.
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct ConditionGuard<'a, T: ?Sized> {
    condition: &'a Condition<T>,
    guard: MutexGuard<'a, T>,
}

impl<'a, T: ?Sized> ConditionGuard<'a, T> {
    /// Releases the lock, waits for a notification, then takes the lock again
    /// (asyncio's `wait`). The guard comes back when the lock is held again.
    ///
    /// Dropping the future leaves the lock released; a notification it had received
    /// passes to the next waiter.
    pub async fn wait(self) -> ConditionGuard<'a, T> {
        let condition = self.condition;
        // Park while still holding the lock, so a `notify` made once it is released
        // finds this waiter. `poll_fn` only lends the task's waker: it never suspends.
        let id =
            std::future::poll_fn(|cx| Poll::Ready(lock(&condition.waiters).push(cx.waker()))).await;
        let notified = Notified {
            condition,
            id: Some(id),
        };
        drop(self);
        notified.await;
        let pass_on = PassOnIfDropped {
            condition,
            armed: true,
        };
        let guard = condition.lock().await;
        let mut pass_on = pass_on;
        pass_on.armed = false;
        guard
    }

    /// Waits until `predicate` holds for the guarded value, checking it first and after
    /// each notification (asyncio's `wait_for`).
    pub async fn wait_for<F>(self, mut predicate: F) -> ConditionGuard<'a, T>
    where
        F: FnMut(&mut T) -> bool,
    {
        let mut guard = self;
        while !predicate(&mut guard) {
            guard = guard.wait().await;
        }
        guard
    }

    /// Wakes up to `n` waiters, oldest first.
    pub fn notify(&self, n: usize) {
        self.condition.notify(n);
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        self.condition.notify(usize::MAX);
    }

    /// The condition this guard holds the lock of.
    pub fn condition(&self) -> &'a Condition<T> {
        self.condition
    }
}

impl<T: ?Sized> Deref for ConditionGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for ConditionGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ConditionGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Waits in the notification list; passes a received but unobserved notification on
/// if dropped.
struct Notified<'a, T: ?Sized> {
    condition: &'a Condition<T>,
    id: Option<WaiterId>,
}

impl<T: ?Sized> Future for Notified<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(id) = self.id else {
            return Poll::Ready(());
        };
        let mut waiters = lock(&self.condition.waiters);
        if waiters.is_notified(id) {
            waiters.remove(id);
            drop(waiters);
            self.id = None;
            Poll::Ready(())
        } else {
            waiters.update_waker(id, cx.waker());
            Poll::Pending
        }
    }
}

impl<T: ?Sized> Drop for Notified<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            let was_notified = lock(&self.condition.waiters).remove(id) == Some(true);
            if was_notified {
                self.condition.notify(1);
            }
        }
    }
}

/// Passes the notification on if a `wait` is dropped while re-taking the lock.
struct PassOnIfDropped<'a, T: ?Sized> {
    condition: &'a Condition<T>,
    armed: bool,
}

impl<T: ?Sized> Drop for PassOnIfDropped<'_, T> {
    fn drop(&mut self) {
        if self.armed {
            self.condition.notify(1);
        }
    }
}
