//! The engine under `gather`, `try_gather` and `as_completed`: a fixed set of
//! futures, each with its own waker, polled only when that waker fired.
//!
//! Polling every future on every wake-up costs O(n) per wake, O(n²) for a gather of
//! n futures that finish one by one; with 10 000 futures that dominates. Instead each
//! future `i` gets a waker that pushes `i` onto a shared ready queue (at most once
//! until it is polled again, guarded by a per-future flag) and wakes the owner. A
//! poll of the set drains the queue and touches only the futures that asked.
//!
//! The futures live in one pinned boxed slice, so a set of n futures costs one
//! allocation for the futures plus one small `Arc` per waker.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use concurrent_queue::ConcurrentQueue;

/// State shared between a [`FutureSet`] and the wakers it hands to its futures.
struct Shared {
    /// Indices whose waker fired since they were last polled.
    ready: ConcurrentQueue<usize>,
    /// `queued[i]` is true while `i` sits in `ready` (or awaits its first poll), so
    /// a future that is woken many times is queued once.
    queued: Box<[AtomicBool]>,
    /// True once the owner was woken and has not polled since: later child wakes
    /// skip the owner's waker.
    owner_notified: AtomicBool,
    /// The waker of the task that polls the set.
    owner: Mutex<Option<Waker>>,
}

impl Shared {
    fn wake_owner(&self) {
        if !self.owner_notified.swap(true, Ordering::AcqRel) {
            let owner = self.owner.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(waker) = owner.as_ref() {
                waker.wake_by_ref();
            }
        }
    }
}

/// The waker handed to future `index` of a set.
struct ChildWaker {
    index: usize,
    shared: Arc<Shared>,
}

impl Wake for ChildWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let shared = &self.shared;
        if !shared.queued[self.index].swap(true, Ordering::AcqRel) {
            // An unbounded queue only refuses a push when closed, and it is never closed.
            let _ = shared.ready.push(self.index);
            shared.wake_owner();
        }
    }
}

/// A fixed, indexed set of futures, each polled only after its own waker fired.
///
/// `poll_next` returns the index and output of one finished future at a time; a
/// finished future is dropped at once, so its resources go back before the rest finish.
pub(crate) struct FutureSet<F> {
    futures: Pin<Box<[Option<F>]>>,
    wakers: Box<[Waker]>,
    shared: Arc<Shared>,
    /// Futures never polled yet are `0..n` and are swept in order by this cursor
    /// instead of being pushed onto the queue one by one.
    first_poll_cursor: usize,
    remaining: usize,
}

impl<F: Future> FutureSet<F> {
    /// Takes every future of `iter`, in order; index `i` is the `i`-th future.
    pub(crate) fn new(iter: impl IntoIterator<Item = F>) -> Self {
        let futures: Box<[Option<F>]> = iter.into_iter().map(Some).collect();
        let len = futures.len();
        let shared = Arc::new(Shared {
            ready: ConcurrentQueue::unbounded(),
            queued: (0..len).map(|_| AtomicBool::new(true)).collect(),
            owner_notified: AtomicBool::new(false),
            owner: Mutex::new(None),
        });
        let wakers = (0..len)
            .map(|index| {
                Waker::from(Arc::new(ChildWaker {
                    index,
                    shared: shared.clone(),
                }))
            })
            .collect();
        FutureSet {
            futures: Box::into_pin(futures),
            wakers,
            shared,
            first_poll_cursor: 0,
            remaining: len,
        }
    }

    /// How many futures the set was built from.
    pub(crate) fn len(&self) -> usize {
        self.wakers.len()
    }

    /// How many futures have not finished yet.
    pub(crate) fn remaining(&self) -> usize {
        self.remaining
    }

    /// Drops every future that has not finished (cancelling it, for a plain future).
    pub(crate) fn clear(&mut self) {
        for index in 0..self.len() {
            slot(&mut self.futures, index).set(None);
        }
        self.remaining = 0;
    }

    /// Takes out every future that has not finished, in index order, leaving the set
    /// empty.
    pub(crate) fn take_unfinished(&mut self) -> Vec<F>
    where
        F: Unpin,
    {
        self.remaining = 0;
        let futures: &mut [Option<F>] = Pin::get_mut(self.futures.as_mut());
        futures.iter_mut().filter_map(Option::take).collect()
    }

    fn next_ready_index(&mut self) -> Option<usize> {
        if self.first_poll_cursor < self.len() {
            let index = self.first_poll_cursor;
            self.first_poll_cursor += 1;
            return Some(index);
        }
        self.shared.ready.pop().ok()
    }

    /// Polls the futures that were woken and returns the first one that finishes, as
    /// `(index, output)`; `Ready(None)` once all have finished.
    ///
    /// Polls at most `len` futures per call, then yields (waking itself) so one set
    /// full of futures that wake themselves cannot starve the rest of the loop.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, F::Output)>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        self.register_owner(cx.waker());
        let budget = self.len();
        let mut polled = 0;
        while let Some(index) = self.next_ready_index() {
            // Cleared before polling: a wake during or after this poll queues it again.
            self.shared.queued[index].store(false, Ordering::Release);
            let mut child_cx = Context::from_waker(&self.wakers[index]);
            let mut slot = slot(&mut self.futures, index);
            let Some(future) = slot.as_mut().as_pin_mut() else {
                // A late wake of a future that already finished.
                continue;
            };
            if let Poll::Ready(output) = future.poll(&mut child_cx) {
                slot.set(None);
                self.remaining -= 1;
                return Poll::Ready(Some((index, output)));
            }
            polled += 1;
            if polled >= budget {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        Poll::Pending
    }

    fn register_owner(&self, waker: &Waker) {
        {
            let mut owner = self.shared.owner.lock().unwrap_or_else(|e| e.into_inner());
            match owner.as_ref() {
                Some(current) if current.will_wake(waker) => {}
                _ => *owner = Some(waker.clone()),
            }
        }
        // After the waker is in place: a child woken from now on wakes the owner again.
        // A swap, not a store: reading the flag a child set acquires that child's
        // push, so the drain that follows sees it.
        self.shared.owner_notified.swap(false, Ordering::AcqRel);
    }
}

/// Projects the pinned slice to its `index`-th element.
fn slot<F>(futures: &mut Pin<Box<[Option<F>]>>, index: usize) -> Pin<&mut Option<F>> {
    // SAFETY: the slice is pinned inside its box, which is never moved out of,
    // reallocated or resized while the set lives; projecting to one element keeps that
    // element at its address, so it stays pinned. Elements are only ever replaced
    // through `Pin::set`, which drops the old value in place.
    unsafe {
        let slice = futures.as_mut().get_unchecked_mut();
        Pin::new_unchecked(&mut slice[index])
    }
}
