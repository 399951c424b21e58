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
use std::task::{Context, Poll};

use crate::loom::{lock, Mutex, MutexGuard};
use crate::wait_queue::{WaitQueue, WaiterId, Wakers};

/// asyncio's `Semaphore`: a count of permits, with fair (FIFO) waiting.
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
    state: Mutex<State>,
}

struct State {
    /// Free permits; those handed to a notified waiter are already subtracted.
    permits: usize,
    waiters: WaitQueue,
}

impl State {
    /// Hands free permits to the oldest waiters.
    fn grant(&mut self, wakers: &mut Wakers) {
        while self.permits > 0 && self.waiters.notify_one(wakers) {
            self.permits -= 1;
        }
    }
}

impl Semaphore {
    /// A semaphore with `permits` free permits.
    pub fn new(permits: usize) -> Self {
        Self {
            state: Mutex::new(State {
                permits,
                waiters: WaitQueue::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
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
        let mut state = self.state();
        if state.permits > 0 && state.waiters.is_empty() {
            state.permits -= 1;
            Some(SemaphorePermit { semaphore: self })
        } else {
            None
        }
    }

    /// Adds one permit, waking the oldest waiter (asyncio's `release`).
    ///
    /// Use it to return a permit given up with [`SemaphorePermit::forget`], or to
    /// grow the semaphore.
    pub fn release(&self) {
        self.add_permits(1);
    }

    /// Adds `n` permits, waking up to `n` waiters.
    pub fn add_permits(&self, n: usize) {
        let mut wakers = Wakers::new();
        {
            let mut state = self.state();
            state.permits = state
                .permits
                .checked_add(n)
                .expect("semaphore permit count overflowed usize");
            state.grant(&mut wakers);
        }
        wakers.wake();
    }

    /// Whether an `acquire` would wait now: no permit is free or someone waits.
    pub fn locked(&self) -> bool {
        let state = self.state();
        state.permits == 0 || !state.waiters.is_empty()
    }

    /// How many permits are free now.
    pub fn available(&self) -> usize {
        self.state().permits
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Semaphore")
            .field("available", &state.permits)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

/// The future of [`Semaphore::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    id: Option<WaiterId>,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let semaphore = self.semaphore;
        let mut wakers = Wakers::new();
        {
            let mut state = semaphore.state();
            match self.id {
                // A newcomer waits behind anyone parked, even behind waiters already
                // handed a permit, as asyncio's does.
                None if state.permits > 0 && state.waiters.is_empty() => {
                    state.permits -= 1;
                }
                Some(id) if state.waiters.is_notified(id) => {
                    state.waiters.remove(id);
                    self.id = None;
                    // Permits freed while this waiter held its place go to those who
                    // arrived meanwhile (asyncio's `finally` in `acquire`).
                    state.grant(&mut wakers);
                }
                Some(id) => {
                    state.waiters.update_waker(id, cx.waker());
                    return Poll::Pending;
                }
                None => {
                    self.id = Some(state.waiters.push(cx.waker()));
                    return Poll::Pending;
                }
            }
        }
        wakers.wake();
        Poll::Ready(SemaphorePermit { semaphore })
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            let mut wakers = Wakers::new();
            {
                let mut state = self.semaphore.state();
                if state.waiters.remove(id) == Some(true) {
                    // It was handed a permit it will never use: pass it on.
                    state.permits += 1;
                    state.grant(&mut wakers);
                }
            }
            wakers.wake();
        }
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
        let mut wakers = Wakers::new();
        {
            let mut state = self.inner.state();
            if state.permits >= self.bound {
                return Err(TooManyReleases);
            }
            state.permits += 1;
            state.grant(&mut wakers);
        }
        wakers.wake();
        Ok(())
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyReleases;

impl fmt::Display for TooManyReleases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoundedSemaphore released too many times")
    }
}

impl Error for TooManyReleases {}
