//! asyncio's `Lock`, and `Mutex<T>`, the same lock guarding data the Rust way.
//!
//! Both are a [`Semaphore`] of one permit, so they inherit its FIFO hand-off and its
//! cancellation safety.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::semaphore::{Acquire, Semaphore, SemaphorePermit};
use crate::wait_queue::WaiterId;

/// asyncio's `Lock`: mutual exclusion with fair (FIFO) waiting, released when the
/// guard drops.
///
/// # Examples
///
/// ```
/// use ferrio_sync::Lock;
/// # futures_lite::future::block_on(async {
/// let lock = Lock::new();
/// let guard = lock.acquire().await;
/// assert!(lock.locked());
/// drop(guard);
/// assert!(!lock.locked());
/// # });
/// ```
#[derive(Debug)]
pub struct Lock {
    semaphore: Semaphore,
}

impl Lock {
    /// An unlocked lock.
    pub fn new() -> Self {
        Self {
            semaphore: Semaphore::new(1),
        }
    }

    /// Waits until the lock is free and takes it.
    pub fn acquire(&self) -> LockAcquire<'_> {
        LockAcquire {
            acquire: self.semaphore.acquire(),
        }
    }

    /// Takes the lock if it is free and nobody is waiting.
    pub fn try_acquire(&self) -> Option<LockGuard<'_>> {
        self.semaphore
            .try_acquire()
            .map(|permit| LockGuard { _permit: permit })
    }

    /// Whether the lock is held (or about to be, by a woken waiter).
    pub fn locked(&self) -> bool {
        self.semaphore.locked()
    }
}

impl Default for Lock {
    fn default() -> Self {
        Self::new()
    }
}

/// The future of [`Lock::acquire`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct LockAcquire<'a> {
    acquire: Acquire<'a>,
}

impl<'a> Future for LockAcquire<'a> {
    type Output = LockGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a>> {
        Pin::new(&mut self.acquire)
            .poll(cx)
            .map(|permit| LockGuard { _permit: permit })
    }
}

/// Proof that a [`Lock`] is held; dropping it releases the lock.
#[must_use = "the lock is released at once if the guard is not kept"]
#[derive(Debug)]
pub struct LockGuard<'a> {
    _permit: SemaphorePermit<'a>,
}

/// An async mutex: a [`Lock`] that guards a value, reached through the guard.
///
/// # Examples
///
/// ```
/// use ferrio_sync::Mutex;
/// # futures_lite::future::block_on(async {
/// let counter = Mutex::new(0);
/// *counter.lock().await += 1;
/// assert_eq!(*counter.lock().await, 1);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    semaphore: Semaphore,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached through a `MutexGuard`, and the semaphore of one
// permit lets at most one guard exist at a time, so sharing the mutex between threads
// only ever moves exclusive access to `T` from one thread to another: `T: Send`
// suffices, as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        Self {
            semaphore: Semaphore::new(1),
            value: UnsafeCell::new(value),
        }
    }

    /// The value, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits until the mutex is free and locks it.
    pub fn lock(&self) -> MutexLock<'_, T> {
        MutexLock {
            mutex: self,
            acquire: self.semaphore.acquire(),
        }
    }

    /// Waits until the mutex is free and locks it, through an `Arc`, for a guard that
    /// is `'static` and can move into a spawned task (tokio's `lock_owned`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::Mutex;
    /// use std::sync::Arc;
    /// # futures_lite::future::block_on(async {
    /// let shared = Arc::new(Mutex::new(1));
    /// let mut guard = Arc::clone(&shared).lock_owned().await;
    /// *guard += 1;
    /// drop(guard);
    /// assert_eq!(*shared.lock().await, 2);
    /// # });
    /// ```
    pub fn lock_owned(self: Arc<Self>) -> MutexLockOwned<T> {
        MutexLockOwned {
            mutex: Some(self),
            id: None,
        }
    }

    /// Locks the mutex if it is free and nobody is waiting.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.semaphore.try_acquire().map(|permit| MutexGuard {
            mutex: self,
            _permit: permit,
            _marker: PhantomData,
        })
    }

    /// Whether the mutex is locked (or about to be, by a woken waiter).
    pub fn locked(&self) -> bool {
        self.semaphore.locked()
    }

    /// The value, through exclusive access to the mutex: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("locked", &self.locked())
            .finish_non_exhaustive()
    }
}

/// The future of [`Mutex::lock`].
#[must_use = "futures do nothing unless awaited"]
pub struct MutexLock<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    acquire: Acquire<'a>,
}

impl<'a, T: ?Sized> Future for MutexLock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let mutex = self.mutex;
        Pin::new(&mut self.acquire)
            .poll(cx)
            .map(|permit| MutexGuard {
                mutex,
                _permit: permit,
                _marker: PhantomData,
            })
    }
}

/// Exclusive access to the value of a locked [`Mutex`]; dropping it unlocks.
#[must_use = "the mutex is unlocked at once if the guard is not kept"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    _permit: SemaphorePermit<'a>,
    /// Shares the guard between threads only if `T: Sync`, as `&mut T` would.
    _marker: PhantomData<&'a mut T>,
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's only permit, so no other guard, and so
        // no other reference to the value, exists until it drops.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this reference unique among the
        // ones handed out by this guard.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The future of [`Mutex::lock_owned`].
#[must_use = "futures do nothing unless awaited"]
pub struct MutexLockOwned<T: ?Sized> {
    mutex: Option<Arc<Mutex<T>>>,
    id: Option<WaiterId>,
}

impl<T: ?Sized> Future for MutexLockOwned<T> {
    type Output = OwnedMutexGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedMutexGuard<T>> {
        let this = &mut *self;
        let mutex = this
            .mutex
            .as_ref()
            .expect("`MutexLockOwned` polled after completion");
        ready!(mutex.semaphore.poll_acquire(&mut this.id, cx));
        let mutex = this.mutex.take().expect("checked above");
        Poll::Ready(OwnedMutexGuard {
            mutex,
            _marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Drop for MutexLockOwned<T> {
    fn drop(&mut self) {
        if let (Some(mutex), Some(id)) = (&self.mutex, self.id) {
            mutex.semaphore.cancel_acquire(id);
        }
    }
}

/// Exclusive access to the value of a [`Mutex`] locked through an `Arc`; dropping it
/// unlocks.
#[must_use = "the mutex is unlocked at once if the guard is not kept"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
    /// Shares the guard between threads only if `T: Sync`, as `Box<T>` would.
    _marker: PhantomData<Box<T>>,
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release();
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's only permit, so no other guard, and so
        // no other reference to the value, exists until it drops.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this reference unique among the
        // ones handed out by this guard.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
