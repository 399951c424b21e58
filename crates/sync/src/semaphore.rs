//! asyncio's `Semaphore` and `BoundedSemaphore`.
//!
//! A released permit is handed straight to the oldest parked acquirer (it leaves the
//! free count at once, as in asyncio since 3.11.1), so a newcomer can never take it
//! first. An acquirer dropped after it was handed a permit gives the permit back,
//! which hands it on to the next.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::loom::{lock, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::wait_queue::{WaitQueue, WaiterId, Wakers};

/// Set in [`Semaphore::state`] while the wait list is not empty: then every change of
/// the count goes through the list's lock, and nobody takes a permit past the waiters.
const WAITERS: usize = 1;
/// One permit in [`Semaphore::state`]; the count sits above the flag bit.
const ONE: usize = 2;
/// The most permits a semaphore holds.
const MAX_PERMITS: usize = usize::MAX / ONE;

/// asyncio's `Semaphore`: a count of permits, with fair (FIFO) waiting.
///
/// Taking and giving back a permit while nobody waits is one atomic operation; only
/// waiting goes through the wait list's lock.
///
/// # Examples
///
/// ```
/// use ferrio_sync::Semaphore;
/// # futures_lite::future::block_on(async {
/// let sem = Semaphore::new(2);
/// let first = sem.acquire().await;
/// let _second = sem.acquire().await;
/// assert!(sem.locked());
/// drop(first);
/// assert_eq!(sem.available(), 1);
/// # });
/// ```
pub struct Semaphore {
    /// Free permits times [`ONE`], plus [`WAITERS`]. Permits handed to a notified
    /// waiter are already subtracted. While `WAITERS` is set, it only changes with
    /// `waiters` locked; `WAITERS` itself only changes with `waiters` locked, and is set
    /// exactly when the list is not empty.
    state: AtomicUsize,
    waiters: Mutex<WaitQueue>,
}

impl Semaphore {
    /// A semaphore with `permits` free permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds `usize::MAX / 2`.
    pub fn new(permits: usize) -> Self {
        assert!(permits <= MAX_PERMITS, "too many semaphore permits");
        Self {
            state: AtomicUsize::new(permits * ONE),
            waiters: Mutex::new(WaitQueue::new()),
        }
    }

    fn waiters(&self) -> MutexGuard<'_, WaitQueue> {
        lock(&self.waiters)
    }

    /// Takes a permit if one is free and nobody waits; lock-free.
    fn try_take(&self) -> bool {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            if state & WAITERS != 0 || state < ONE {
                return false;
            }
            match self.state.compare_exchange_weak(
                state,
                state - ONE,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
    }

    /// Adds `n` permits unless that makes more than `bound`; lock-free while nobody
    /// waits. Returns whether they were added.
    fn add(&self, n: usize, bound: usize) -> bool {
        let mut state = self.state.load(Ordering::Acquire);
        while state & WAITERS == 0 {
            match (state / ONE).checked_add(n) {
                Some(permits) if permits <= bound => {}
                _ => return false,
            }
            match self.state.compare_exchange_weak(
                state,
                state + n * ONE,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
        let mut wakers = Wakers::new();
        {
            let mut waiters = self.waiters();
            // The flag may have been cleared meanwhile, so fast paths may race: CAS.
            let mut state = self.state.load(Ordering::Acquire);
            loop {
                match (state / ONE).checked_add(n) {
                    Some(permits) if permits <= bound => {}
                    _ => return false,
                }
                match self.state.compare_exchange_weak(
                    state,
                    state + n * ONE,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(actual) => state = actual,
                }
            }
            self.grant(&mut waiters, &mut wakers);
        }
        wakers.wake();
        true
    }

    /// Hands free permits to the oldest waiters not yet served. Called with the list
    /// locked; while the list is not empty `WAITERS` is set, so only lock holders
    /// change the count.
    fn grant(&self, waiters: &mut WaitQueue, wakers: &mut Wakers) {
        while waiters.notified() < waiters.len() && self.state.load(Ordering::Acquire) >= ONE {
            self.state.fetch_sub(ONE, Ordering::AcqRel);
            waiters.notify_one(wakers);
        }
    }

    /// Clears `WAITERS` once the list is empty, reopening the lock-free path.
    fn clear_flag_if_idle(&self, waiters: &WaitQueue) {
        if waiters.is_empty() {
            self.state.fetch_and(!WAITERS, Ordering::AcqRel);
        }
    }

    /// Waits for a permit; the permit is released when the guard drops.
    ///
    /// Waiters are served in arrival order. Dropping the future never loses a permit.
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            id: None,
        }
    }

    /// Takes a permit if one is free and nobody is waiting.
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        // Lazily: a permit built and dropped would release one.
        self.try_take().then(|| SemaphorePermit { semaphore: self })
    }

    /// Adds one permit, waking the oldest waiter (asyncio's `release`).
    ///
    /// Use it to return a permit given up with [`SemaphorePermit::forget`], or to
    /// grow the semaphore.
    ///
    /// # Panics
    ///
    /// If the count would exceed `usize::MAX / 2`.
    pub fn release(&self) {
        self.add_permits(1);
    }

    /// Adds `n` permits, waking up to `n` waiters.
    ///
    /// # Panics
    ///
    /// If the count would exceed `usize::MAX / 2`.
    pub fn add_permits(&self, n: usize) {
        assert!(
            self.add(n, MAX_PERMITS),
            "semaphore permit count overflowed"
        );
    }

    /// Whether an `acquire` would wait now: no permit is free or someone waits.
    pub fn locked(&self) -> bool {
        let state = self.state.load(Ordering::Acquire);
        state < ONE || state & WAITERS != 0
    }

    /// How many permits are free now.
    pub fn available(&self) -> usize {
        self.state.load(Ordering::Acquire) / ONE
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available", &self.available())
            .field("waiters", &self.waiters().len())
            .finish()
    }
}

/// The future of [`Semaphore::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    id: Option<WaiterId>,
}

impl Semaphore {
    /// Polls one acquisition whose registration is `id`: `Ready` means a permit was
    /// taken for the caller.
    pub(crate) fn poll_acquire(&self, id: &mut Option<WaiterId>, cx: &mut Context<'_>) -> Poll<()> {
        if id.is_none() && self.try_take() {
            return Poll::Ready(());
        }
        let mut wakers = Wakers::new();
        {
            let mut waiters = self.waiters();
            match *id {
                Some(registered) if waiters.is_notified(registered) => {
                    waiters.remove(registered);
                    *id = None;
                    // Permits freed while this waiter held its place go to those who
                    // arrived meanwhile (asyncio's `finally` in `acquire`).
                    self.grant(&mut waiters, &mut wakers);
                    self.clear_flag_if_idle(&waiters);
                }
                Some(registered) => {
                    waiters.update_waker(registered, cx.waker());
                    return Poll::Pending;
                }
                None => {
                    // Take a permit or raise the flag, in one atomic step, so a
                    // lock-free release either is seen here or sees the flag.
                    let mut state = self.state.load(Ordering::Acquire);
                    while state & WAITERS == 0 {
                        let (next, took) = if state >= ONE {
                            (state - ONE, true)
                        } else {
                            (state | WAITERS, false)
                        };
                        match self.state.compare_exchange_weak(
                            state,
                            next,
                            Ordering::AcqRel,
                            Ordering::Acquire,
                        ) {
                            Ok(_) if took => return Poll::Ready(()),
                            Ok(_) => break,
                            Err(actual) => state = actual,
                        }
                    }
                    // A newcomer waits behind anyone parked, even behind waiters
                    // already handed a permit, as asyncio's does.
                    *id = Some(waiters.push(cx.waker()));
                    return Poll::Pending;
                }
            }
        }
        wakers.wake();
        Poll::Ready(())
    }

    /// Withdraws the acquisition `id`, passing on a permit it was handed.
    pub(crate) fn cancel_acquire(&self, id: WaiterId) {
        let mut wakers = Wakers::new();
        {
            let mut waiters = self.waiters();
            if waiters.remove(id) == Some(true) {
                // It was handed a permit it will never use: pass it on.
                self.state.fetch_add(ONE, Ordering::AcqRel);
                self.grant(&mut waiters, &mut wakers);
            }
            self.clear_flag_if_idle(&waiters);
        }
        wakers.wake();
    }

    /// Waits for a permit held through an `Arc`, for permits that move into spawned
    /// tasks (tokio's `acquire_owned`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::Semaphore;
    /// use std::sync::Arc;
    /// # futures_lite::future::block_on(async {
    /// let sem = Arc::new(Semaphore::new(1));
    /// let permit = Arc::clone(&sem).acquire_owned().await;
    /// assert_eq!(sem.available(), 0);
    /// drop(permit);
    /// assert_eq!(sem.available(), 1);
    /// # });
    /// ```
    pub fn acquire_owned(self: Arc<Self>) -> AcquireOwned {
        AcquireOwned {
            semaphore: Some(self),
            id: None,
        }
    }
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let semaphore = self.semaphore;
        semaphore
            .poll_acquire(&mut self.id, cx)
            .map(|()| SemaphorePermit { semaphore })
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Acquire")
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.semaphore.cancel_acquire(id);
        }
    }
}

/// The future of [`Semaphore::acquire_owned`].
#[must_use = "futures do nothing unless awaited"]
pub struct AcquireOwned {
    semaphore: Option<Arc<Semaphore>>,
    id: Option<WaiterId>,
}

impl Future for AcquireOwned {
    type Output = OwnedSemaphorePermit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedSemaphorePermit> {
        let this = &mut *self;
        let semaphore = this
            .semaphore
            .as_ref()
            .expect("`AcquireOwned` polled after completion");
        ready!(semaphore.poll_acquire(&mut this.id, cx));
        let semaphore = this.semaphore.take();
        Poll::Ready(OwnedSemaphorePermit { semaphore })
    }
}

impl Drop for AcquireOwned {
    fn drop(&mut self) {
        if let (Some(semaphore), Some(id)) = (&self.semaphore, self.id) {
            semaphore.cancel_acquire(id);
        }
    }
}

impl fmt::Debug for AcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AcquireOwned")
    }
}

/// One permit of a [`Semaphore`] held through an `Arc`; given back when dropped.
#[must_use = "the permit is released at once if not kept"]
pub struct OwnedSemaphorePermit {
    /// `None` once forgotten.
    semaphore: Option<Arc<Semaphore>>,
}

impl OwnedSemaphorePermit {
    /// Keeps the permit taken; see [`SemaphorePermit::forget`].
    pub fn forget(mut self) {
        self.semaphore = None;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if let Some(semaphore) = &self.semaphore {
            semaphore.release();
        }
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnedSemaphorePermit")
    }
}

/// One permit of a [`Semaphore`], given back when dropped.
#[must_use = "the permit is released at once if not kept"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit taken: dropping no longer releases it. Give it back later
    /// with [`Semaphore::release`], the asyncio way.
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SemaphorePermit")
    }
}

/// asyncio's `BoundedSemaphore`: a [`Semaphore`] that refuses to be released above its
/// initial value.
///
/// # Examples
///
/// ```
/// use ferrio_sync::BoundedSemaphore;
/// # futures_lite::future::block_on(async {
/// let sem = BoundedSemaphore::new(1);
/// sem.acquire().await.forget();
/// assert!(sem.release().is_ok());
/// assert!(sem.release().is_err());
/// # });
/// ```
pub struct BoundedSemaphore {
    inner: Semaphore,
    bound: usize,
}

impl BoundedSemaphore {
    /// A semaphore with `permits` free permits, never more.
    pub fn new(permits: usize) -> Self {
        Self {
            inner: Semaphore::new(permits),
            bound: permits,
        }
    }

    /// Waits for a permit; see [`Semaphore::acquire`].
    pub fn acquire(&self) -> Acquire<'_> {
        self.inner.acquire()
    }

    /// Takes a permit if one is free and nobody is waiting.
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.inner.try_acquire()
    }

    /// Gives one permit back.
    ///
    /// # Errors
    ///
    /// [`TooManyReleases`] if every permit is already free; nothing changes then.
    pub fn release(&self) -> Result<(), TooManyReleases> {
        if self.inner.add(1, self.bound) {
            Ok(())
        } else {
            Err(TooManyReleases)
        }
    }

    /// Whether an `acquire` would wait now.
    pub fn locked(&self) -> bool {
        self.inner.locked()
    }

    /// How many permits are free now.
    pub fn available(&self) -> usize {
        self.inner.available()
    }

    /// The initial, and largest, number of permits.
    pub fn bound(&self) -> usize {
        self.bound
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("bound", &self.bound)
            .field("semaphore", &self.inner)
            .finish()
    }
}

/// [`BoundedSemaphore::release`] was called with every permit free (asyncio's
/// `ValueError: BoundedSemaphore released too many times`).
///
/// # Examples
///
/// ```
/// use ferrio_sync::{BoundedSemaphore, TooManyReleases};
/// let semaphore = BoundedSemaphore::new(1);
/// assert_eq!(semaphore.release(), Err(TooManyReleases));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyReleases;

impl fmt::Display for TooManyReleases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoundedSemaphore released too many times")
    }
}

impl Error for TooManyReleases {}
