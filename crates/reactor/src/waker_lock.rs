//! The lock of a source's waker slots: a spin lock whose release is a plain store.
//!
//! A task takes it to register its waker when it finds its direction not ready,
//! and the reactor takes it once per event to move the wakers out: a few times per
//! request on a connection, nearly always uncontended (the task and the reactor
//! only meet on it when an event arrives while the task registers), and each hold
//! is a waker clone or a move of one or two wakers. A futex mutex pays a second
//! atomic read-modify-write to release (it must learn whether a waiter sleeps)
//! and, in std, two reads of the thread's panic count for poisoning; here the
//! release is one store. The price is that a waiter does not sleep: it spins
//! briefly, then yields its time slice until the holder releases.
//!
//! Nothing in a hold can leave the slots half updated (a waker clone that panics
//! leaves the slot as it was), so there is no poisoning either.

use std::ops::{Deref, DerefMut};

use crate::loom::{AtomicBool, Ordering};

#[cfg(loom)]
use ::loom::cell::UnsafeCell;
#[cfg(not(loom))]
use std::cell::UnsafeCell;

/// Spins of a waiter before it starts yielding its time slice.
#[cfg(not(loom))]
const SPINS: u32 = 64;

pub(crate) struct WakerLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the lock gives one thread at a time access to the value (`lock` returns
// a guard only after it swapped `locked` from false to true), so sharing the lock
// hands the value between threads, which `T: Send` permits.
unsafe impl<T: Send> Sync for WakerLock<T> {}

impl<T> std::fmt::Debug for WakerLock<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The value is not shown: reading it would need the lock.
        f.debug_struct("WakerLock")
            .field("locked", &self.locked.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<T> WakerLock<T> {
    pub(crate) fn new(value: T) -> WakerLock<T> {
        WakerLock {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    #[inline(always)]
    pub(crate) fn lock(&self) -> WakerGuard<'_, T> {
        // Acquire: what the last holder wrote before its release store is seen.
        // A compare-exchange, not a swap: a failed one writes nothing.
        if self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        WakerGuard { lock: self }
    }

    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut spins = 0;
        while self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.back_off(&mut spins);
        }
    }

    /// Waits, reading only, until the lock looks free: briefly spinning, then
    /// yielding the time slice to the holder.
    #[cfg(not(loom))]
    fn back_off(&self, spins: &mut u32) {
        while self.locked.load(Ordering::Relaxed) {
            if *spins < SPINS {
                *spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// Under loom, one yield per try: the model would let a plain load read the
    /// stale `true` without end, and the read-only wait is an optimisation, not
    /// part of the protocol.
    #[cfg(loom)]
    fn back_off(&self, _spins: &mut u32) {
        ::loom::thread::yield_now();
    }
}

pub(crate) struct WakerGuard<'a, T> {
    lock: &'a WakerLock<T>,
}

impl<T> Deref for WakerGuard<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock, so no
        // other thread has access to the value.
        #[cfg(not(loom))]
        unsafe {
            &*self.lock.value.get()
        }
        #[cfg(loom)]
        // SAFETY: as above; loom checks the exclusivity this claims.
        self.lock.value.with(|v| unsafe { &*v })
    }
}

impl<T> DerefMut for WakerGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow
        // through the guard.
        #[cfg(not(loom))]
        unsafe {
            &mut *self.lock.value.get()
        }
        #[cfg(loom)]
        // SAFETY: as above; loom checks the exclusivity this claims.
        self.lock.value.with_mut(|v| unsafe { &mut *v })
    }
}

impl<T> Drop for WakerGuard<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        // Release: this holder's writes are seen by the next one's acquire
        // compare-exchange.
        self.lock.locked.store(false, Ordering::Release);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    //! Mutual exclusion and hand-over: every update made under the lock is seen
    //! by the next holder, whether it got the lock at once or after waiting.

    use ::loom::sync::Arc;
    use ::loom::thread;

    use super::WakerLock;

    #[test]
    fn holders_exclude_each_other_and_see_each_others_writes() {
        ::loom::model(|| {
            let lock = Arc::new(WakerLock::new(0u32));
            let other = lock.clone();
            let t = thread::spawn(move || {
                *other.lock() += 1;
            });
            *lock.lock() += 1;
            t.join().unwrap();
            assert_eq!(*lock.lock(), 2);
        });
    }

    #[test]
    fn a_holder_never_sees_another_holders_half_done_update() {
        ::loom::model(|| {
            let lock = Arc::new(WakerLock::new((0u32, 0u32)));
            let other = lock.clone();
            let t = thread::spawn(move || {
                let mut g = other.lock();
                g.0 += 1;
                thread::yield_now();
                g.1 += 1;
            });
            let (a, b) = *lock.lock();
            assert_eq!(a, b, "the update is seen whole or not at all");
            t.join().unwrap();
            assert_eq!(*lock.lock(), (1, 1));
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;

    use super::WakerLock;

    /// The contended path (spinning, then yielding) under real threads: no
    /// increment is lost, and each holder sees the pair whole.
    #[test]
    fn contended_holders_lose_no_update() {
        const THREADS: usize = 4;
        const ROUNDS: usize = 200_000;
        let lock = Arc::new(WakerLock::new((0usize, 0usize)));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let lock = lock.clone();
                std::thread::spawn(move || {
                    for _ in 0..ROUNDS {
                        let mut g = lock.lock();
                        assert_eq!(g.0, g.1, "a holder saw another's half-done update");
                        g.0 += 1;
                        std::hint::black_box(&mut *g);
                        g.1 += 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*lock.lock(), (THREADS * ROUNDS, THREADS * ROUNDS));
    }
}
