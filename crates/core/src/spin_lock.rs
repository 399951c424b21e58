//! [`SpinLock`]: a lock for holds of a few dozen instructions, nearly always
//! uncontended, whose release is a plain store.
//!
//! Every spawn and every task's end take their registry shard's lock once, and
//! the reactor takes a source's waker slots for each registration and each event:
//! a shard belongs to one thread, and others take it only to walk it a bounded
//! chunk at a time (a task that ends on another thread leaves its slot on a list
//! of the shard's, which walks and the owner empty); a source's slots are met
//! by its task and the reactor only when an event lands while the task registers.
//! A futex mutex pays a second atomic read-modify-write to release (it must learn
//! whether a waiter sleeps) and, in std, two reads of the thread's panic count for
//! poisoning; here the release is one store. The price is that a waiter does not
//! sleep: it spins briefly, then yields its time slice until the holder releases.
//! Not for holds that may block or run user code.
//!
//! Public for the drivers of other crates (`ferrio-reactor`), not part of the
//! asyncio-named API.

use std::ops::{Deref, DerefMut};

use crate::loom::{AtomicBool, AtomicUsize, Ordering};

#[cfg(loom)]
use loom::cell::UnsafeCell;
#[cfg(not(loom))]
use std::cell::UnsafeCell;

/// Spins of a waiter before it starts yielding its time slice.
#[cfg(not(loom))]
const SPINS: u32 = 64;

/// A spin lock for short holds (see the [module](self) docs). No poisoning: a
/// holder that panics releases it as it unwinds, and the value is as it left it.
///
/// ```
/// use ferrio_core::spin_lock::SpinLock;
///
/// let slots = SpinLock::new(Vec::new());
/// slots.lock().push(1);
/// assert_eq!(*slots.lock(), [1]);
/// ```
pub struct SpinLock<T> {
    locked: AtomicBool,
    /// Threads in `lock_contended`: a holder that releases only to lock again at
    /// once (a walk, chunk after chunk) leaves them room first (see
    /// [`SpinLock::has_waiters`]).
    waiters: AtomicUsize,
    value: UnsafeCell<T>,
}

// SAFETY: the lock gives one thread at a time access to the value (`lock` returns
// a guard only after it changed `locked` from false to true), so sharing the lock
// hands the value between threads, which `T: Send` permits.
unsafe impl<T: Send> Sync for SpinLock<T> {}

impl<T> std::fmt::Debug for SpinLock<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The value is not shown: reading it would need the lock.
        f.debug_struct("SpinLock")
            .field("locked", &self.locked.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<T> SpinLock<T> {
    /// A new, unlocked lock holding `value`.
    pub fn new(value: T) -> SpinLock<T> {
        SpinLock {
            locked: AtomicBool::new(false),
            waiters: AtomicUsize::new(0),
            value: UnsafeCell::new(value),
        }
    }

    /// Locks, spinning then yielding while another thread holds the lock; the
    /// guard releases it when dropped.
    #[inline(always)]
    pub fn lock(&self) -> SpinGuard<'_, T> {
        // Acquire: what the last holder wrote before its release store is seen.
        // A compare-exchange, not a swap: a failed one writes nothing.
        if self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        SpinGuard { lock: self }
    }

    /// Locks if no other thread holds the lock, without waiting: for a caller
    /// that has somewhere else to leave its work (a task ending on another thread
    /// than its registry shard's, which then leaves its key to the shard's next
    /// holder).
    #[inline(always)]
    pub fn try_lock(&self) -> Option<SpinGuard<'_, T>> {
        // Acquire, as in `lock`.
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            // Built only on success: a guard built and dropped on failure would
            // release the holder's lock.
            .then(|| SpinGuard { lock: self })
    }

    /// Whether another thread is waiting for the lock right now. A waiter spins
    /// or yields rather than sleeping, so a holder that releases only to lock
    /// again at once would win nearly every race and starve it: such a holder
    /// checks this before releasing and then leaves the lock alone a while.
    pub fn has_waiters(&self) -> bool {
        self.waiters.load(Ordering::Relaxed) != 0
    }

    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        self.waiters.fetch_add(1, Ordering::Relaxed);
        let mut spins = 0;
        while self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.back_off(&mut spins);
        }
        self.waiters.fetch_sub(1, Ordering::Relaxed);
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
        loom::thread::yield_now();
    }
}

/// Access to a [`SpinLock`]'s value while it is held; releases it when dropped.
pub struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
}

impl<T> Deref for SpinGuard<'_, T> {
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

impl<T> DerefMut for SpinGuard<'_, T> {
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

impl<T> Drop for SpinGuard<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        // Release: this holder's writes are seen by the next holder's Acquire
        // compare-exchange.
        self.lock.locked.store(false, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;

    use super::SpinLock;

    /// The contended path (spinning, then yielding) under real threads: no
    /// increment is lost, and each holder sees the pair whole.
    #[test]
    fn contended_holders_lose_no_update() {
        const THREADS: usize = 4;
        const ROUNDS: usize = 100_000;
        let lock = Arc::new(SpinLock::new((0usize, 0usize)));
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

    /// `try_lock` fails while another guard is held and succeeds once it is
    /// released, seeing the value as the holder left it.
    #[test]
    fn try_lock_fails_only_while_held() {
        let lock = SpinLock::new(1);
        let mut held = lock.try_lock().expect("a free lock is taken at once");
        *held = 2;
        assert!(lock.try_lock().is_none(), "a held lock was taken twice");
        assert!(
            lock.locked.load(std::sync::atomic::Ordering::Acquire),
            "a failed try_lock released the holder's lock"
        );
        assert!(lock.try_lock().is_none());
        drop(held);
        assert_eq!(lock.try_lock().map(|g| *g), Some(2));
    }

    /// A holder that panics releases the lock as it unwinds.
    #[test]
    fn a_panicking_holder_releases_the_lock() {
        let lock = SpinLock::new(1);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut g = lock.lock();
            *g = 2;
            panic!("inside the hold");
        }));
        assert!(caught.is_err());
        // Checked before locking again: a lock left held would hang that call.
        assert!(!lock.locked.load(std::sync::atomic::Ordering::Acquire));
        assert_eq!(*lock.lock(), 2);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    //! Mutual exclusion and hand-over: every increment made under the lock is
    //! seen by the next holder, whether it got the lock at once or after waiting.

    use loom::sync::Arc;
    use loom::thread;

    use super::SpinLock;

    #[test]
    fn holders_exclude_each_other_and_see_each_others_writes() {
        loom::model(|| {
            let lock = Arc::new(SpinLock::new(0u32));
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
        loom::model(|| {
            let lock = Arc::new(SpinLock::new((0u32, 0u32)));
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

    /// A `try_lock` that fails leaves the holder's lock held, and one that
    /// succeeds excludes the holder: the thread that failed then waits in `lock`,
    /// and loom's cell sees no two accesses overlap.
    #[test]
    fn try_lock_excludes_and_a_failed_one_leaves_the_lock_held() {
        loom::model(|| {
            let lock = Arc::new(SpinLock::new(0u32));
            let other = lock.clone();
            let t = thread::spawn(move || match other.try_lock() {
                Some(mut g) => *g += 1,
                None => *other.lock() += 10,
            });
            {
                let mut g = lock.lock();
                *g += 1;
                thread::yield_now();
                *g += 1;
            }
            t.join().unwrap();
            let total = *lock.lock();
            assert!(total == 3 || total == 12, "an update was lost: {total}");
        });
    }
}
