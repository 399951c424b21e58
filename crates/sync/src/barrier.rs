//! asyncio's `Barrier` (3.11+), with its states: filling, draining, resetting, broken.
//!
//! Parties arriving while the barrier drains or resets wait for it to fill again; the
//! last party of a round releases the others and each leaves with its arrival index.
//! A party dropped while waiting leaves the round, as a cancelled asyncio task does.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::{lock, Mutex, MutexGuard};
use crate::wait_queue::{WaitQueue, WaiterId, Wakers};

/// asyncio's `Barrier`: `parties` tasks wait for each other, then all go on.
///
/// # Examples
///
/// ```
/// use ferrio_sync::Barrier;
/// # futures_lite::future::block_on(async {
/// let barrier = Barrier::new(2);
/// let (a, b) = futures_lite::future::zip(barrier.wait(), barrier.wait()).await;
/// let mut indices = [a.unwrap(), b.unwrap()];
/// indices.sort();
/// assert_eq!(indices, [0, 1]);
/// # });
/// ```
pub struct Barrier {
    parties: usize,
    state: Mutex<State>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Filling,
    Draining,
    Resetting,
    Broken,
}

struct State {
    phase: Phase,
    /// Parties inside the barrier: arrived and not yet left.
    count: usize,
    waiters: WaitQueue,
}

impl State {
    /// Wakes every parked party to re-check the phase (asyncio's `notify_all`).
    fn wake_all(&mut self, wakers: &mut Wakers) {
        self.waiters.drain_all(wakers);
    }

    /// One party leaves; the last one out of a drain or reset refills the barrier.
    fn leave(&mut self, wakers: &mut Wakers) {
        self.count -= 1;
        if self.count == 0 && matches!(self.phase, Phase::Draining | Phase::Resetting) {
            self.phase = Phase::Filling;
            self.wake_all(wakers);
        }
    }
}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    ///
    /// If `parties` is 0 (asyncio raises `ValueError`).
    pub fn new(parties: usize) -> Self {
        assert!(parties > 0, "a Barrier needs at least one party");
        Self {
            parties,
            state: Mutex::new(State {
                phase: Phase::Filling,
                count: 0,
                waiters: WaitQueue::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Waits until `parties` tasks are waiting, then returns this party's arrival
    /// index in `0..parties` (the last to arrive gets `parties - 1`).
    ///
    /// # Errors
    ///
    /// [`BrokenBarrierError`] if the barrier is broken with [`abort`](Self::abort), or
    /// reset with [`reset`](Self::reset) while this party waited.
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            index: None,
            id: None,
        }
    }

    /// Returns the barrier to its empty filling state; parties waiting now fail with
    /// [`BrokenBarrierError`]. Also repairs a broken barrier.
    pub fn reset(&self) {
        let mut wakers = Wakers::new();
        {
            let mut state = self.state();
            if state.count > 0 {
                if state.phase != Phase::Resetting {
                    state.phase = Phase::Resetting;
                }
            } else {
                state.phase = Phase::Filling;
            }
            state.wake_all(&mut wakers);
        }
        wakers.wake();
    }

    /// Breaks the barrier: waiting and future `wait` calls fail with
    /// [`BrokenBarrierError`] until [`reset`](Self::reset).
    pub fn abort(&self) {
        let mut wakers = Wakers::new();
        {
            let mut state = self.state();
            state.phase = Phase::Broken;
            state.wake_all(&mut wakers);
        }
        wakers.wake();
    }

    /// How many parties must wait before all are released.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many parties wait now in the filling phase.
    pub fn n_waiting(&self) -> usize {
        let state = self.state();
        if state.phase == Phase::Filling {
            state.count
        } else {
            0
        }
    }

    /// Whether the barrier is broken.
    pub fn broken(&self) -> bool {
        self.state().phase == Phase::Broken
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("phase", &state.phase)
            .field("count", &state.count)
            .finish()
    }
}

/// The future of [`Barrier::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    /// This party's arrival index, once it has entered the round.
    index: Option<usize>,
    id: Option<WaiterId>,
}

impl BarrierWait<'_> {
    fn park(
        &mut self,
        state: &mut State,
        cx: &mut Context<'_>,
    ) -> Poll<Result<usize, BrokenBarrierError>> {
        match self.id {
            Some(id) if state.waiters.contains(id) => state.waiters.update_waker(id, cx.waker()),
            _ => self.id = Some(state.waiters.push(cx.waker())),
        }
        Poll::Pending
    }
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BrokenBarrierError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut wakers = Wakers::new();
        let result = {
            let mut state = this.barrier.state();
            if let Some(id) = this.id.take() {
                state.waiters.remove(id);
            }
            match (this.index, state.phase) {
                // Not yet inside: wait for the drain or reset to finish.
                (None, Phase::Broken) => Poll::Ready(Err(BrokenBarrierError)),
                (None, Phase::Draining | Phase::Resetting) => this.park(&mut state, cx),
                (None, Phase::Filling) => {
                    let index = state.count;
                    state.count += 1;
                    if state.count == this.barrier.parties {
                        state.phase = Phase::Draining;
                        state.wake_all(&mut wakers);
                        state.leave(&mut wakers);
                        Poll::Ready(Ok(index))
                    } else {
                        this.index = Some(index);
                        this.park(&mut state, cx)
                    }
                }
                // Inside: wait for the round to be released.
                (Some(_), Phase::Filling) => this.park(&mut state, cx),
                (Some(index), Phase::Draining) => {
                    this.index = None;
                    state.leave(&mut wakers);
                    Poll::Ready(Ok(index))
                }
                (Some(_), Phase::Resetting | Phase::Broken) => {
                    this.index = None;
                    state.leave(&mut wakers);
                    Poll::Ready(Err(BrokenBarrierError))
                }
            }
        };
        wakers.wake();
        result
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if self.id.is_none() && self.index.is_none() {
            return;
        }
        let mut wakers = Wakers::new();
        {
            let mut state = self.barrier.state();
            if let Some(id) = self.id {
                state.waiters.remove(id);
            }
            if self.index.is_some() {
                state.leave(&mut wakers);
            }
        }
        wakers.wake();
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// The barrier was aborted, or reset while this party waited (asyncio's
/// `BrokenBarrierError`).
///
/// # Examples
///
/// ```
/// use ferrio_sync::{Barrier, BrokenBarrierError};
/// # futures_lite::future::block_on(async {
/// let barrier = Barrier::new(2);
/// barrier.abort();
/// assert_eq!(barrier.wait().await, Err(BrokenBarrierError));
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokenBarrierError;

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the barrier is broken")
    }
}

impl Error for BrokenBarrierError {}
